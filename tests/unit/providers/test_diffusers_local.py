"""The local diffusers adapter on a tiny randomly initialised Stable Diffusion pipeline built offline.

Skipped when the optional `ml` extra is missing, except under CI=true, where the extra is installed and these
tests must run: there a missing package fails them instead. Nothing is ever downloaded.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

# Before huggingface_hub/transformers are imported (they read these once): any hub access fails at once.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import ConfigurationError, ProviderError
from designer_bff.providers.base import ImageProvider, ImageRequest
from designer_bff.providers.diffusers_local import DiffusersProvider, fit_size, has_safety_checker

MISSING = [
    m for m in ("torch", "diffusers", "transformers", "tokenizers") if importlib.util.find_spec(m) is None
]
IN_CI = os.environ.get("CI") == "true"
# Not a plain importorskip: under CI a missing extra must fail these tests, never skip them quietly.
needs_ml = pytest.mark.skipif(
    bool(MISSING) and not IN_CI, reason=f"the 'ml' extra is not installed (missing {', '.join(MISSING)})"
)
SPEC = GarmentSpec.model_validate({"garment": {"type": "dress"}})


@pytest.fixture(autouse=True)
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")


def request(**overrides: Any) -> ImageRequest:
    values: dict[str, Any] = {
        "prompt": "red dress",
        "negative_prompt": None,
        "spec": SPEC,
        "width": 64,
        "height": 64,
        "seed": 1,
        "quality": "standard",
        "idempotency_key": "gen-1:0",
    }
    return ImageRequest(**(values | overrides))


def write_tiny_sd(directory: Path, *, safety_checker: bool = False) -> Path:
    """A 32-wide Stable Diffusion (UNet, VAE, CLIP text encoder, 1-character BPE) in diffusers layout."""
    import torch
    from diffusers import AutoencoderKL, DDIMScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from diffusers.pipelines.stable_diffusion.safety_checker import StableDiffusionSafetyChecker
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    files = directory / "tokenizer-source"
    files.mkdir(parents=True)
    alphabet = sorted(ByteLevel.alphabet())  # no merges: every character is a token, so lengths are easy
    tokens = [*alphabet, *(c + "</w>" for c in alphabet), "<|startoftext|>", "<|endoftext|>"]
    vocab = {t: i for i, t in enumerate(dict.fromkeys(tokens))}
    (files / "vocab.json").write_text(json.dumps(vocab))
    (files / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(files / "vocab.json"), str(files / "merges.txt"), model_max_length=77)
    eos = vocab["<|endoftext|>"]
    torch.manual_seed(0)
    text_config = {
        "hidden_size": 32,
        "intermediate_size": 37,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
    }
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocab),
            max_position_embeddings=77,
            bos_token_id=vocab["<|startoftext|>"],
            eos_token_id=eos,
            pad_token_id=eos,
            **text_config,
        )
    )
    unet = UNet2DConditionModel(
        block_out_channels=(32, 64),
        layers_per_block=1,
        sample_size=32,
        down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
        up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        down_block_types=("DownEncoderBlock2D",) * 2,
        up_block_types=("UpDecoderBlock2D",) * 2,
        latent_channels=4,
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    checker, processor = None, None
    if safety_checker:
        vision = {"image_size": 32, "patch_size": 8, **text_config}
        checker = StableDiffusionSafetyChecker(
            CLIPConfig(text_config=text_config, vision_config=vision, projection_dim=16)
        )
        with torch.no_grad():  # thresholds below any cosine: this checker flags every image
            checker.concept_embeds_weights.fill_(-10.0)
            checker.special_care_embeds_weights.fill_(-10.0)
        processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    pipeline = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=checker,
        feature_extractor=processor,
        requires_safety_checker=safety_checker,
    )
    weights = directory / "tiny-sd"
    pipeline.save_pretrained(weights)
    return weights


@pytest.fixture(scope="module")
def weights(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if MISSING and not IN_CI:
        pytest.skip("the 'ml' extra is not installed")
    import torch

    # One thread: the tiny model is dominated by thread start-up and by contention on a shared machine.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield write_tiny_sd(tmp_path_factory.mktemp("sd"))
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def local(weights: Path) -> DiffusersProvider:
    return DiffusersProvider(weights_dir=weights, steps=2)


def pixels(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "PNG"
        return np.asarray(image.convert("RGB"))


def test_ci_has_the_ml_extra() -> None:
    if IN_CI:
        assert not MISSING, f"CI must install the 'ml' extra; missing {MISSING}"


@needs_ml
def test_generates_a_png_of_the_requested_size(local: DiffusersProvider) -> None:
    image = local.generate(request())
    assert isinstance(local, ImageProvider)
    assert pixels(image.data).shape == (64, 64, 3) and (image.width, image.height, image.mime) == (
        64,
        64,
        "image/png",
    )
    assert (image.provider, image.model, image.seed, image.cost_usd) == ("diffusers", "tiny-sd", 1, 0.0)
    assert image.extra == {"cost_basis": "local", "steps": "2"} and image.vendor_ref is None


@needs_ml
def test_seed_prompt_and_negative_prompt_decide_the_image(local: DiffusersProvider, weights: Path) -> None:
    first = local.generate(request(seed=5)).data
    assert local.generate(request(seed=5)).data == first
    assert (
        DiffusersProvider(weights_dir=weights, steps=2).generate(request(seed=5)).data == first
    )  # fresh load
    assert local.generate(request(seed=6)).data != first
    assert local.generate(request(seed=5, negative_prompt="blurry")).data != first
    assert local.generate(request(seed=5, prompt="navy coat")).data != first


@needs_ml
def test_a_short_prompt_gets_exactly_the_pipelines_own_encoding(local: DiffusersProvider) -> None:
    import torch

    image = local.generate(request(seed=3, negative_prompt="blurry"))
    direct = local._pipeline(
        prompt="red dress",
        negative_prompt="blurry",
        width=64,
        height=64,
        num_inference_steps=2,
        guidance_scale=7.0,
        generator=torch.Generator("cpu").manual_seed(3),
    ).images[0]
    np.testing.assert_array_equal(pixels(image.data), np.asarray(direct))


@needs_ml
def test_words_past_77_tokens_still_count(local: DiffusersProvider) -> None:
    head = "x" * 80  # 80 tokens with the one-character vocabulary: past the 75 a window holds
    tail_a, tail_b = (
        local.generate(request(prompt=f"{head} red")),
        local.generate(request(prompt=f"{head} blue")),
    )
    assert tail_a.data != tail_b.data and (tail_a.width, tail_a.height) == (64, 64)


@needs_ml
def test_sizes_are_rounded_to_multiples_of_8(local: DiffusersProvider) -> None:
    image = local.generate(request(width=70, height=90))
    assert (image.width, image.height) == (72, 88) and pixels(image.data).shape == (88, 72, 3)


@pytest.mark.parametrize(
    ("size", "expected"), [((512, 768), (512, 768)), ((70, 90), (72, 88)), ((30, 5000), (64, 1024))]
)
def test_fit_size(size: tuple[int, int], expected: tuple[int, int]) -> None:
    assert fit_size(*size) == expected


@needs_ml
def test_one_inference_at_a_time_gives_the_same_images_from_threads(local: DiffusersProvider) -> None:
    alone = local.generate(request(seed=9)).data
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(lambda _: local.generate(request(seed=9)).data, range(2)))
    assert results == [alone, alone]


@needs_ml
def test_timeout_stops_between_steps_and_the_instance_still_works(weights: Path) -> None:
    hurried = DiffusersProvider(weights_dir=weights, steps=2, timeout_s=1e-6)
    with pytest.raises(
        ProviderError, match=r"not finished within 1e-06s \(stopped after step 1 of 2\)"
    ) as caught:
        hurried.generate(request())
    assert caught.value.kind == "timeout"
    hurried.timeout_s = 60.0
    assert hurried.generate(request()).width == 64


@needs_ml
def test_a_safety_checker_that_ships_with_the_weights_is_used(tmp_path: Path) -> None:
    weights = write_tiny_sd(tmp_path, safety_checker=True)
    assert has_safety_checker(weights)
    with pytest.raises(ProviderError, match="safety checker shipped with the weights blocked") as caught:
        DiffusersProvider(weights_dir=weights, steps=2).generate(request())
    assert caught.value.kind == "refusal" and not caught.value.retryable


def test_has_safety_checker_reads_the_model_index(tmp_path: Path) -> None:
    index = tmp_path / "model_index.json"
    index.write_text(json.dumps({"safety_checker": [None, None]}))
    assert not has_safety_checker(tmp_path)
    index.write_text(json.dumps({"safety_checker": ["stable_diffusion", "StableDiffusionSafetyChecker"]}))
    assert not has_safety_checker(tmp_path)  # listed but not on disk
    (tmp_path / "safety_checker").mkdir()
    assert has_safety_checker(tmp_path)


@needs_ml
def test_configuration(weights: Path, tmp_path: Path) -> None:
    assert DiffusersProvider(weights_dir=weights).is_configured()
    assert not DiffusersProvider(weights_dir=None).is_configured()
    assert not DiffusersProvider(weights_dir=tmp_path).is_configured()
    with pytest.raises(ConfigurationError, match=rf"model_index\.json \({tmp_path} has none\)"):
        DiffusersProvider(weights_dir=tmp_path).generate(request())
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionXLPipeline"}))
    with pytest.raises(ConfigurationError, match="holds a StableDiffusionXLPipeline"):
        DiffusersProvider(weights_dir=tmp_path).generate(request())
    assert DiffusersProvider(weights_dir=weights, model="sd15-local").model == "sd15-local"


@pytest.mark.parametrize("module", ["diffusers", "torch"])
def test_missing_ml_extra_is_a_configuration_error_naming_the_install(
    module: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "model_index.json").write_text(json.dumps({"_class_name": "StableDiffusionPipeline"}))
    monkeypatch.setitem(sys.modules, module, None)  # makes `import module` raise ImportError
    provider = DiffusersProvider(weights_dir=tmp_path)
    assert not provider.is_configured()
    with pytest.raises(ConfigurationError, match=rf"\({module} is not installed\)") as caught:
        provider.generate(request())
    assert "pip install torch==2.13.0, then pip install -e '.[ml]'" in caught.value.message


def test_prompt_over_the_limit_is_invalid_prices_and_capabilities(tmp_path: Path) -> None:
    provider = DiffusersProvider(weights_dir=tmp_path)
    with pytest.raises(ProviderError, match="prompt of 2001 characters is over 2000") as caught:
        provider.generate(request(prompt="x" * 2001))
    assert caught.value.kind == "invalid"
    assert provider.price_usd(1024, 1024, "hd") == 0.0 and provider.prices.rows[0].usd == 0.0
    caps = provider.capabilities
    assert (caps.negative_prompt, caps.seed, caps.min_side, caps.max_side) == (True, True, 64, 1024)
