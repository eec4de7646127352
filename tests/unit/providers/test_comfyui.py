"""The ComfyUI adapter over HTTP against the local fake ComfyUI server (tests/fakes/comfyui_server.py)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from PIL import Image

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import ImageProvider, ImageRequest
from designer_bff.providers.comfyui import ComfyUIProvider, fill, fit_size, packaged_workflow
from tests.fakes.comfyui_server import make_app
from tests.fakes.faults import FaultPlan
from tests.fakes.server import free_port, serve

SPEC = GarmentSpec.model_validate({"garment": {"type": "dress"}})


def request(**overrides: Any) -> ImageRequest:
    values: dict[str, Any] = {
        "prompt": "a navy linen midi dress, flat lay",
        "negative_prompt": "blurry, watermark",
        "spec": SPEC,
        "width": 768,
        "height": 1024,
        "seed": 1234,
        "quality": "standard",
        "idempotency_key": "gen-1:0",
    }
    return ImageRequest(**(values | overrides))


@pytest.fixture
def fake() -> Iterator[tuple[FastAPI, str]]:
    app = make_app()
    with serve(app) as url:
        yield app, url


def provider(url: str | None, **kwargs: Any) -> ComfyUIProvider:
    return ComfyUIProvider(base_url=url, poll_interval_s=0.02, **kwargs)


def posted_graphs(app: FastAPI) -> list[dict[str, Any]]:
    posts = [r for r in app.state.requests if r["method"] == "POST" and r["path"] == "/prompt"]
    return [json.loads(r["body"])["prompt"] for r in posts]


def test_happy_path_sends_the_filled_graph_and_returns_the_decoded_image(fake: tuple[FastAPI, str]) -> None:
    app, url = fake
    submitted: list[str] = []
    comfy = provider(url)
    image = comfy.generate(request(on_submitted=submitted.append))

    assert isinstance(comfy, ImageProvider)
    with Image.open(io.BytesIO(image.data)) as decoded:
        assert decoded.format == "PNG" and decoded.size == (768, 1024)
    assert (image.width, image.height, image.mime) == (768, 1024, "image/png")
    assert (image.provider, image.model, image.seed, image.cost_usd) == (
        "comfyui",
        "comfyui_workflow",
        1234,
        0.0,
    )
    assert image.extra == {
        "cost_basis": "self-hosted",
        "workflow": "comfyui_workflow.json",
        "filename": "designer-bff_00001_.png",
    }
    [prompt_id] = app.state.prompts
    assert image.vendor_ref == prompt_id and submitted == [prompt_id]
    assert app.state.created == 1

    [graph] = posted_graphs(app)
    assert graph["3"]["inputs"]["seed"] == 1234
    assert graph["5"]["inputs"] == {"width": 768, "height": 1024, "batch_size": 1}
    assert graph["6"]["inputs"]["text"] == "a navy linen midi dress, flat lay"
    assert graph["7"]["inputs"]["text"] == "blurry, watermark"
    assert graph["4"]["inputs"]["ckpt_name"] == "v1-5-pruned-emaonly.safetensors"
    assert graph["3"]["inputs"]["model"] == ["4", 0]  # links untouched
    body = json.loads(next(r["body"] for r in app.state.requests if r["path"] == "/prompt"))
    assert len(body["client_id"]) == 32
    view = next(r for r in app.state.requests if r["path"] == "/view")
    assert view["query"] == {"filename": "designer-bff_00001_.png", "subfolder": "", "type": "output"}
    assert app.state.requests[-1]["authorization"] is None


def test_prompt_with_quotes_braces_and_newlines_arrives_verbatim(fake: tuple[FastAPI, str]) -> None:
    app, url = fake
    tricky = 'a "quoted" dress\n{"json": true} with {{seed}} and \\n backslash, {{ not a placeholder }}'
    provider(url).generate(request(prompt=tricky, negative_prompt=None, seed=7))
    [graph] = posted_graphs(app)
    assert graph["6"]["inputs"]["text"] == tricky
    assert graph["7"]["inputs"]["text"] == ""  # no negative prompt: an empty one
    assert graph["3"]["inputs"]["seed"] == 7


def test_fill_types_whole_placeholders_and_formats_embedded_ones() -> None:
    template = {"a": "{{seed}}", "b": ["x {{width}}x{{height}} y", {"c": "{{prompt}}"}], "d": 1.5, "e": None}
    values: dict[str, str | int] = {"seed": 3, "width": 512, "height": 768, "prompt": "{{seed}}"}
    assert fill(template, values) == {"a": 3, "b": ["x 512x768 y", {"c": "{{seed}}"}], "d": 1.5, "e": None}
    assert template["a"] == "{{seed}}"  # the template itself is not modified


def write_workflow(tmp_path: Path, name: str, drop: tuple[str, ...] = (), **edits: Any) -> Path:
    graph = json.loads(packaged_workflow().read_text())
    text = json.dumps(graph)
    for placeholder in drop:
        text = text.replace(f'"{{{{{placeholder}}}}}"', "0" if placeholder != "prompt" else '"fixed"')
    graph = json.loads(text) | edits
    path = tmp_path / name
    path.write_text(json.dumps(graph))
    return path


def test_a_workflow_missing_required_placeholders_is_a_configuration_error(tmp_path: Path) -> None:
    path = write_workflow(tmp_path, "broken.json", drop=("seed", "width"))
    with pytest.raises(ConfigurationError) as caught:
        ComfyUIProvider(base_url="http://comfy", workflow_path=path)
    message = caught.value.message
    assert str(path) in message and "missing {{seed}}, {{width}}" in message
    assert caught.value.details["missing"] == ["seed", "width"]


def test_unknown_placeholders_non_api_exports_and_unreadable_files_are_rejected(tmp_path: Path) -> None:
    unknown = write_workflow(
        tmp_path, "unknown.json", **{"10": {"class_type": "Note", "inputs": {"t": "{{steps}}"}}}
    )
    with pytest.raises(ConfigurationError, match=r"unknown \{\{steps\}\}"):
        ComfyUIProvider(base_url=None, workflow_path=unknown)
    ui_export = tmp_path / "ui.json"
    ui_export.write_text(json.dumps({"nodes": [{"id": 1, "type": "KSampler"}], "links": []}))
    with pytest.raises(ConfigurationError, match="not a ComfyUI API-format workflow"):
        ComfyUIProvider(base_url=None, workflow_path=ui_export)
    with pytest.raises(ConfigurationError, match=r"cannot read the ComfyUI workflow .*nowhere\.json"):
        ComfyUIProvider(base_url=None, workflow_path=tmp_path / "nowhere.json")


def test_a_template_without_negative_prompt_says_so_in_its_capabilities(tmp_path: Path) -> None:
    path = write_workflow(tmp_path, "sdxl-lightning.json", drop=("negative_prompt",))
    comfy = ComfyUIProvider(base_url=None, workflow_path=path)
    assert comfy.capabilities.negative_prompt is False and comfy.model == "sdxl-lightning"
    assert ComfyUIProvider(base_url=None, model="sd15").model == "sd15"
    assert ComfyUIProvider(base_url=None).capabilities.negative_prompt is True


def test_resume_polls_the_earlier_prompt_and_creates_none(tmp_path: Path) -> None:
    app = make_app(pending_polls=1_000_000)
    with serve(app) as url:
        comfy = provider(url, timeout_s=0.3)
        submitted: list[str] = []
        with pytest.raises(ProviderError) as caught:  # gives up waiting while the run is still going
            comfy.generate(request(on_submitted=submitted.append))
        assert caught.value.kind == "timeout" and submitted[0] in caught.value.message
        app.state.pending_polls = 0  # the run finishes
        again: list[str] = []
        image = provider(url).generate(request(vendor_ref=submitted[0], on_submitted=again.append))
        assert image.vendor_ref == submitted[0] and again == [] and app.state.created == 1
        # A finished prompt resumes too (its history is still there), still without a new prompt.
        assert provider(url).generate(request(vendor_ref=submitted[0])).data == image.data
        assert app.state.created == 1


def test_resume_of_a_prompt_the_server_forgot_queues_a_new_one(fake: tuple[FastAPI, str]) -> None:
    app, url = fake
    submitted: list[str] = []
    image = provider(url).generate(request(vendor_ref="lost-after-restart", on_submitted=submitted.append))
    assert (
        app.state.created == 1
        and submitted == [image.vendor_ref]
        and image.vendor_ref != "lost-after-restart"
    )
    assert [r["path"] for r in app.state.requests[:4]] == [
        "/history/lost-after-restart",
        "/queue",
        "/history/lost-after-restart",
        "/prompt",
    ]


@pytest.mark.parametrize(
    ("width", "height", "expected"),
    [
        (1024, 1024, (1024, 1024)),
        (1021, 767, (1024, 768)),
        (100, 100, (256, 256)),
        (250, 1000, (256, 1024)),
        (1000, 3000, (680, 2048)),
        (4096, 4096, (2048, 2048)),
    ],
)
def test_sizes_become_multiples_of_8_in_range(width: int, height: int, expected: tuple[int, int]) -> None:
    assert fit_size(width, height) == expected


def test_the_mapped_size_goes_over_the_wire(fake: tuple[FastAPI, str]) -> None:
    app, url = fake
    image = provider(url).generate(request(width=1021, height=767))
    assert posted_graphs(app)[0]["5"]["inputs"] == {"width": 1024, "height": 768, "batch_size": 1}
    assert (image.width, image.height) == (1024, 768)


@pytest.mark.parametrize(
    ("fault", "kind", "text"),
    [
        ("500", "transient", "HTTP 500 on POST /prompt: 500 Internal Server Error"),
        ("429", "rate_limit", "HTTP 429"),
        ("malformed", "transient", "malformed answer from /prompt"),
        (
            "refusal",
            "transient",
            "KSampler (node 3): RuntimeError: NSFW content detected by the safety checker",
        ),
    ],
)
def test_faults_map_onto_error_kinds(fault: str, kind: str, text: str) -> None:
    with (
        serve(make_app(faults=FaultPlan([fault], retry_after=0.2))) as url,
        pytest.raises(ProviderError) as caught,
    ):
        provider(url).generate(request())
    error = caught.value
    assert (error.kind, error.provider) == (kind, "comfyui")
    assert text in error.message and error.message.startswith("comfyui (comfyui_workflow): ")
    assert error.retry_after == (0.2 if fault == "429" else None)


def test_a_slow_answer_succeeds_and_a_hang_is_a_timeout() -> None:
    app = make_app(faults=FaultPlan(["slow", "timeout"], slow_s=0.1, hang_s=1.5))
    with serve(app) as url:
        assert provider(url, timeout_s=1.0).generate(request()).width == 768
        with pytest.raises(ProviderError, match=r"POST /prompt timed out after 1s") as caught:
            provider(url, timeout_s=1.0).generate(request())
    assert caught.value.kind == "timeout" and caught.value.retryable


def test_execution_errors_name_the_exception() -> None:
    app = make_app(execution_error="Error(s) in loading state_dict for UNet")
    with (
        serve(app) as url,
        pytest.raises(ProviderError, match=r"RuntimeError: Error\(s\) in loading") as caught,
    ):
        provider(url).generate(request())
    assert caught.value.kind == "transient"


def test_a_graph_comfyui_rejects_is_invalid(tmp_path: Path) -> None:
    graph = json.loads(packaged_workflow().read_text())
    del graph["9"]  # no SaveImage: ComfyUI refuses a graph without an output
    path = tmp_path / "no-output.json"
    path.write_text(json.dumps(graph))
    with (
        serve(make_app()) as url,
        pytest.raises(
            ProviderError, match="HTTP 400 on POST /prompt: Prompt outputs failed validation"
        ) as caught,
    ):
        provider(url, workflow_path=path).generate(request())
    assert caught.value.kind == "invalid" and "SaveImage" in caught.value.message


def test_bearer_key_for_a_proxy_and_auth_failures() -> None:
    app = make_app(api_key="proxy-secret")
    with serve(app) as url:
        assert provider(url, api_key="proxy-secret").generate(request()).width == 768
        assert {r["authorization"] for r in app.state.requests} == {"Bearer proxy-secret"}
        with pytest.raises(ProviderError, match="HTTP 401") as caught:
            provider(url, api_key="wrong").generate(request())
    assert caught.value.kind == "auth"


def test_unreachable_server_is_transient() -> None:
    with pytest.raises(ProviderError, match="cannot reach") as caught:
        provider(f"http://127.0.0.1:{free_port()}").generate(request())
    assert caught.value.kind == "transient"


def test_a_prompt_over_the_limit_is_invalid_and_never_sent(fake: tuple[FastAPI, str]) -> None:
    app, url = fake
    with pytest.raises(ProviderError, match="prompt of 10001 characters is over 10000") as caught:
        provider(url).generate(request(prompt="x" * 10_001))
    assert caught.value.kind == "invalid" and app.state.requests == []


def test_health_configuration_capabilities_and_price(fake: tuple[FastAPI, str]) -> None:
    _, url = fake
    comfy = provider(url)
    assert comfy.health()["system"]["comfyui_version"] == "0.3.40"
    assert comfy.is_configured() and not provider(None).is_configured()
    with pytest.raises(ConfigurationError, match="comfyui_url"):
        provider(None).generate(request())
    caps = comfy.capabilities
    assert (caps.seed, caps.negative_prompt, caps.min_side, caps.max_side) == (True, True, 256, 2048)
    assert {"1:1", "3:4", "16:9"} <= set(caps.aspect_ratios)
    assert comfy.price_usd(1024, 1024, "hd") == 0.0
    assert (comfy.prices.source, comfy.prices.as_of) == ("self-hosted", "2026-11-21")
