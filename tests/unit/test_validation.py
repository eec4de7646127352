"""Stage 10: outputs re-analysed offline and scored against the spec they were made from."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.sampling import sample_specs
from designer_bff.pipeline.validation import validate
from designer_bff.techflat import render_png


def _render(spec: GarmentSpec, seed: int = 0) -> np.ndarray:
    data = render_png(spec, seed=seed, width=384, height=512)
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def _spec(**color: object) -> GarmentSpec:
    return GarmentSpec.model_validate({"garment": {"type": "dress"}, "color": color})


def test_renders_are_consistent_with_their_own_specs() -> None:
    specs = sample_specs({}, 40, seed=21)
    verdicts = [validate(_render(s, i), s).verdict for i, s in enumerate(specs)]
    assert verdicts.count("ok") >= 38, verdicts


def test_wrong_colour_is_rejected() -> None:
    image = _render(_spec(primary="emerald"))
    ok = validate(image, _spec(primary="emerald"))
    wrong = validate(image, _spec(primary="red"))
    assert ok.verdict == "ok" and ok.score == pytest.approx(1.0)
    assert wrong.verdict == "rejected"
    primary = next(c for c in wrong.checks if c.attribute == "color.primary")
    assert primary.expected == "red" and primary.observed != "red" and primary.score < 0.2


def test_missing_or_unwanted_print_lowers_the_score() -> None:
    plain = _render(_spec(primary="navy"))
    striped = _render(_spec(primary="navy", secondary="white", pattern={"type": "stripe"}))
    assert (
        validate(striped, _spec(primary="navy", secondary="white", pattern={"type": "stripe"})).verdict
        == "ok"
    )
    missing = validate(plain, _spec(primary="navy", secondary="white", pattern={"type": "stripe"}))
    assert missing.verdict == "rejected"  # neither the print nor its colour is there
    unwanted = validate(striped, _spec(primary="navy"))
    assert unwanted.verdict in ("flagged", "rejected")
    check = next(c for c in unwanted.checks if c.attribute == "color.pattern.type")
    assert check.score == 0 and check.observed.startswith("patterned")


def test_thresholds_and_report_shape() -> None:
    spec = _spec(primary="camel")
    image = _render(spec)
    strict = validate(image, spec, reject_below=0.99, flag_below=1.0)
    assert strict.verdict in ("ok", "rejected")
    report = validate(image, spec).to_dict()
    assert report["verdict"] == "ok"
    assert {c["attribute"] for c in report["checks"]} == {"color.primary", "color.pattern.type"}  # type: ignore[union-attr]
    assert "garment.type" in report["unchecked"]  # type: ignore[operator]
    with pytest.raises(InvalidInput):
        validate(image, spec, reject_below=0.9, flag_below=0.5)
