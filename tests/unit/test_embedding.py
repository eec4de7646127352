"""Stage 11: the attribute embedder's geometry, weighted combination of embedders, storage blobs."""

from __future__ import annotations

import struct
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.embedding import (
    CATEGORIES,
    DEFAULT_WEIGHTS,
    AttributeEmbedder,
    CombinedEmbedder,
    Embedder,
    EmbeddingInput,
    from_blob,
    to_blob,
)

BASE: dict[str, Any] = {
    "garment": {
        "type": "dress",
        "silhouette": "a-line",
        "neckline": "v-neck",
        "length": "midi",
        "sleeve": {"type": "puff", "length": "short"},
        "closures": ["buttons", "zipper"],
    },
    "fabric": {"type": "linen"},
    "color": {"primary": "rust", "secondary": "cream", "pattern": {"type": "floral"}},
    "style": {"aesthetic": "bohemian"},
}


def spec(**changes: Any) -> GarmentSpec:
    """BASE with dotted-path overrides, e.g. spec(**{"garment.type": "skirt"})."""
    data: dict[str, Any] = {k: dict(v) for k, v in BASE.items()}
    for path, value in changes.items():
        node = data
        *parents, leaf = path.split(".")
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = value
    return GarmentSpec.model_validate(data)


def vectors(embedder: Embedder, *specs: GarmentSpec) -> np.ndarray:
    return embedder.embed([EmbeddingInput(spec=s) for s in specs])


def cos(embedder: Embedder, a: GarmentSpec, b: GarmentSpec) -> float:
    va, vb = vectors(embedder, a, b)
    return float(va @ vb)


def test_rows_are_unit_float32_and_identical_specs_have_cosine_one() -> None:
    e = AttributeEmbedder()
    v = vectors(e, spec(), spec(), spec(**{"garment.type": "gown"}))
    assert v.dtype == np.float32
    assert v.shape == (3, e.dim)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-6)
    assert float(v[0] @ v[1]) == pytest.approx(1.0, abs=1e-6)
    assert float(v[0] @ v[2]) < 0.95


def test_dimension_is_fixed_by_the_taxonomy() -> None:
    e = AttributeEmbedder()
    sparse = GarmentSpec.model_validate({"garment": {"type": "jeans"}})
    assert vectors(e, spec(), sparse).shape == (2, e.dim)
    assert len(e.layout) == e.dim
    assert len(set(e.layout)) == e.dim  # every dimension names a distinct (path, value)
    assert AttributeEmbedder({"garment_type": 3.0, "mood": 0.0}).dim == e.dim
    assert e.embed([]).shape == (0, e.dim)
    assert ("garment.type", "dress") in e.layout and ("color.primary", "~rust") in e.layout


def test_one_hot_disagreement_costs_exactly_its_share_of_the_weights() -> None:
    e = AttributeEmbedder()
    base = spec(**{"color.secondary": None})  # colour kernel dims aside, only one-hot blocks differ below
    other = spec(**{"color.secondary": None, "garment.type": "skirt"})
    active = ["garment_type", "silhouette", "neckline", "length", "sleeve_type", "sleeve_length"]
    active += ["closure", "fabric_type", "color_primary", "pattern", "aesthetic"]
    total = sum(DEFAULT_WEIGHTS[c] ** 2 for c in active)
    assert cos(e, base, other) == pytest.approx(1 - DEFAULT_WEIGHTS["garment_type"] ** 2 / total, abs=1e-6)


def test_garment_type_matters_more_than_length_by_default() -> None:
    e = AttributeEmbedder()
    by_type = cos(e, spec(), spec(**{"garment.type": "skirt"}))
    by_length = cos(e, spec(), spec(**{"garment.length": "mini"}))
    by_silhouette = cos(e, spec(), spec(**{"garment.silhouette": "sheath"}))
    assert by_type < by_silhouette < by_length < 1.0


def test_weights_change_the_geometry() -> None:
    flipped = AttributeEmbedder({"garment_type": 0.2, "length": 2.0})
    assert cos(flipped, spec(), spec(**{"garment.type": "skirt"})) > cos(
        flipped, spec(), spec(**{"garment.length": "mini"})
    )
    ignore_type = AttributeEmbedder({"garment_type": 0.0})
    assert cos(ignore_type, spec(), spec(**{"garment.type": "skirt"})) == pytest.approx(1.0, abs=1e-6)
    assert ignore_type.name != AttributeEmbedder().name  # a different space gets a different name
    assert AttributeEmbedder({"garment_type": 1.0}).name == AttributeEmbedder().name


def test_each_block_holds_its_weight_squared_of_the_norm() -> None:
    e = AttributeEmbedder()
    (v,) = vectors(e, spec())
    total = sum(DEFAULT_WEIGHTS[c] ** 2 for c in CATEGORIES if np.any(v[e.block_slice(c)]))
    for category in ("garment_type", "closure", "color_primary", "color_secondary"):
        block = v[e.block_slice(category)]
        share = DEFAULT_WEIGHTS[category] ** 2 / total
        assert float(block @ block) == pytest.approx(share, rel=1e-5)
    closures = v[e.block_slice("closure")]
    assert np.count_nonzero(closures) == 2 and closures.max() == pytest.approx(closures[closures > 0].min())


def test_multi_hot_partial_overlap_is_partial_agreement() -> None:
    e = AttributeEmbedder({c: 0.0 for c in CATEGORIES if c != "closure"} | {"closure": 1.0})
    both = spec(**{"garment.closures": ["buttons", "zipper"]})
    one = spec(**{"garment.closures": ["buttons"]})
    none = spec(**{"garment.closures": ["snaps"]})
    assert cos(e, both, one) == pytest.approx(1 / np.sqrt(2), abs=1e-6)
    assert cos(e, both, none) == pytest.approx(0.0, abs=1e-6)


def test_similar_colours_are_nearer_than_distant_ones() -> None:
    e = AttributeEmbedder()
    red = spec(**{"color.primary": "red"})
    near = cos(e, red, spec(**{"color.primary": "burgundy"}))
    far = cos(e, red, spec(**{"color.primary": "mint"}))
    assert far < near < cos(e, red, red)


def test_unset_categories_are_not_agreement_and_no_information_gives_a_zero_row() -> None:
    e = AttributeEmbedder()
    with_neckline = spec()
    without = spec(**{"garment.neckline": None})
    assert cos(e, with_neckline, without) < 1.0
    only_neckline = AttributeEmbedder({c: 0.0 for c in CATEGORIES} | {"neckline": 1.0})
    (row,) = vectors(only_neckline, without)
    assert not row.any()


@pytest.mark.parametrize(
    ("weights", "needle"),
    [
        ({"colour": 1.0}, "allowed: garment_type"),
        ({"garment_type": -1.0}, "finite number"),
        ({"garment_type": float("nan")}, "finite number"),
        ({c: 0.0 for c in CATEGORIES}, "at least one"),
    ],
)
def test_bad_weights_are_refused(weights: dict[str, float], needle: str) -> None:
    with pytest.raises(InvalidInput, match=needle):
        AttributeEmbedder(weights)


def test_missing_spec_names_what_is_needed() -> None:
    with pytest.raises(InvalidInput, match="needs a spec; item 1"):
        AttributeEmbedder().embed([EmbeddingInput(spec=spec()), EmbeddingInput(image=b"x")])


class Fixed:
    """A stand-in embedder returning given unit rows (and recording whether it ran)."""

    def __init__(self, name: str, rows: np.ndarray) -> None:
        self.name, self.rows, self.calls = name, rows.astype(np.float32), 0

    @property
    def dim(self) -> int:
        return int(self.rows.shape[1])

    def embed(self, items: Sequence[EmbeddingInput]) -> np.ndarray:
        self.calls += 1
        return self.rows[: len(items)]


def unit_rows(seed: int, n: int, d: int) -> np.ndarray:
    m = np.random.default_rng(seed).normal(size=(n, d))
    rows: np.ndarray = m / np.linalg.norm(m, axis=1, keepdims=True)
    return rows


def test_combined_cosine_is_the_weighted_mean_of_the_parts() -> None:
    a, b = Fixed("a", unit_rows(1, 2, 5)), Fixed("b", unit_rows(2, 2, 3))
    combined = CombinedEmbedder([(a, 2.0), (b, 1.0)])
    items = [EmbeddingInput(), EmbeddingInput()]
    v = combined.embed(items)
    assert combined.dim == 8 and v.shape == (2, 8)
    assert combined.name == "combined(2*a + 1*b)"
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-6)
    cos_a, cos_b = float(a.rows[0] @ a.rows[1]), float(b.rows[0] @ b.rows[1])
    assert float(v[0] @ v[1]) == pytest.approx((4 * cos_a + 1 * cos_b) / 5, abs=1e-6)


def test_a_zero_weight_removes_a_part_and_is_not_run() -> None:
    a, b = Fixed("a", unit_rows(3, 3, 4)), Fixed("b", unit_rows(4, 3, 6))
    items = [EmbeddingInput()] * 3
    v = CombinedEmbedder([(a, 0.7), (b, 0.0)]).embed(items)
    assert b.calls == 0
    np.testing.assert_allclose(v[:, :4], a.rows, atol=1e-6)
    assert not v[:, 4:].any()
    np.testing.assert_allclose(v @ v.T, a.rows @ a.rows.T, atol=1e-6)


def test_combined_with_the_attribute_embedder_and_bad_parts() -> None:
    attrs = AttributeEmbedder()
    other = Fixed("other", unit_rows(5, 2, 3))
    v = CombinedEmbedder([(attrs, 1.0), (other, 1.0)]).embed([EmbeddingInput(spec=spec())] * 2)
    assert v.shape == (2, attrs.dim + 3)
    with pytest.raises(InvalidInput, match="at least one part"):
        CombinedEmbedder([])
    with pytest.raises(InvalidInput, match="at least one"):
        CombinedEmbedder([(other, 0.0)])
    wrong = Fixed("wrong", unit_rows(6, 1, 3))  # returns fewer rows than asked for
    with pytest.raises(ValueError, match="returned shape"):
        CombinedEmbedder([(wrong, 1.0)]).embed([EmbeddingInput()] * 2)


def test_blob_round_trip_is_little_endian_float32() -> None:
    vec = np.array([1.0, -2.5, 3.25], dtype=np.float64)
    blob = to_blob(vec)
    assert blob == struct.pack("<3f", 1.0, -2.5, 3.25)
    back = from_blob(blob, 3)
    assert back.dtype == np.float32 and back.flags.writeable
    np.testing.assert_array_equal(back, vec.astype(np.float32))
    (row,) = vectors(AttributeEmbedder(), spec())
    np.testing.assert_array_equal(from_blob(to_blob(row), row.size), row)


def test_blob_errors_are_clear() -> None:
    with pytest.raises(ValueError, match=r"has 8 bytes, expected 12 \(3 float32 values\)"):
        from_blob(b"\x00" * 8, 3)
    with pytest.raises(ValueError, match="one vector at a time"):
        to_blob(np.zeros((2, 2)))
