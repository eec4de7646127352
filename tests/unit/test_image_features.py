"""Stage 11: offline image descriptors on tech-flat renders and synthetic images."""

from __future__ import annotations

import io
from functools import cache

import numpy as np
import pytest
from PIL import Image

from designer_bff.domain.spec import GarmentSpec
from designer_bff.errors import InvalidInput
from designer_bff.pipeline.embedding import AttributeEmbedder, CombinedEmbedder, EmbeddingInput
from designer_bff.pipeline.image_features import (
    BLOCK_SLICES,
    BLOCKS,
    OfflineImageEmbedder,
    foreground,
)
from designer_bff.taxonomy.colors import rgb_to_lab
from designer_bff.techflat import render_png

SHAPE_BLOCKS = ("occupancy", "width_profile", "shape_stats")
COLOUR_BLOCKS = ("color_hist", "color_moments")
TYPES = ("dress", "pants", "jacket", "skirt", "t-shirt", "jumpsuit")
# One colour and pattern per seed, shared by every garment type: every query then has a distractor of
# each other type in its own colour and pattern, so only the garment's shape can find its own type.
LOOKS = (("rust", "solid"), ("navy", "stripe"), ("black", "solid"), ("white", "floral"), ("sage", "check"))


def make_spec(garment_type: str, color: str = "rust", pattern: str = "solid") -> GarmentSpec:
    return GarmentSpec.model_validate(
        {
            "garment": {"type": garment_type},
            "color": {"primary": color, "secondary": "cream", "pattern": {"type": pattern}},
        }
    )


@cache
def render(
    garment_type: str,
    color: str = "rust",
    pattern: str = "solid",
    seed: int = 1,
    width: int = 384,
    height: int = 384,
) -> bytes:
    return render_png(make_spec(garment_type, color, pattern), seed=seed, width=width, height=height)


def embed(*images: bytes | Image.Image, embedder: OfflineImageEmbedder | None = None) -> np.ndarray:
    return (embedder or OfflineImageEmbedder()).embed([EmbeddingInput(image=i) for i in images])


def block_cos(a: np.ndarray, b: np.ndarray, block: str) -> float:
    x, y = a[BLOCK_SLICES[block]], b[BLOCK_SLICES[block]]
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def test_dimension_norm_and_dtype() -> None:
    e = OfflineImageEmbedder()
    v = embed(render("dress"), render("pants", "navy", "stripe", width=300, height=500))
    assert e.dim == sum(dims for dims, _ in BLOCKS.values()) == 638 == v.shape[1]
    assert v.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-6)
    assert list(BLOCK_SLICES) == list(BLOCKS) and BLOCK_SLICES["shape_stats"].stop == e.dim
    assert e.embed([]).shape == (0, e.dim)


def test_deterministic_and_bytes_equal_decoded_image() -> None:
    png = render("jacket", "navy", "check")
    first, again = embed(png), embed(png)
    np.testing.assert_array_equal(first, again)
    decoded = Image.open(io.BytesIO(png))  # RGBA: must be flattened onto white exactly as load_rgb does
    np.testing.assert_allclose(embed(decoded), first, atol=1e-6)


def test_threads_give_the_same_vectors() -> None:
    images = [render(t) for t in TYPES]
    np.testing.assert_array_equal(embed(*images), embed(*images, embedder=OfflineImageEmbedder(workers=2)))


def test_other_seeds_of_a_garment_are_closer_than_other_garments() -> None:
    v = embed(
        render("dress", seed=1), render("dress", seed=2), render("skirt", seed=1), render("jumpsuit", seed=1)
    )
    same = float(v[0] @ v[1])
    assert same > 0.95
    assert same > float(v[0] @ v[2]) + 0.1 and same > float(v[0] @ v[3]) + 0.1


def test_recolouring_moves_the_colour_blocks_not_the_shape_blocks() -> None:
    rust, navy = embed(render("dress", "rust"), render("dress", "navy"))
    for block in COLOUR_BLOCKS:
        assert block_cos(rust, navy, block) < 0.75, block
    for block in SHAPE_BLOCKS:
        assert block_cos(rust, navy, block) > 0.98, block


def test_a_white_garment_on_a_light_background_keeps_its_silhouette() -> None:
    # Outline connectivity, not colour, separates it from the (near-white) background.
    white, rust = embed(render("pants", "ivory"), render("pants", "rust"))
    for block in SHAPE_BLOCKS:
        assert block_cos(white, rust, block) > 0.97, block


@pytest.mark.parametrize(("small", "large"), [((512, 512), (1024, 1024)), ((300, 400), (750, 1000))])
def test_input_size_barely_matters(small: tuple[int, int], large: tuple[int, int]) -> None:
    a, b = embed(
        render("jumpsuit", "sage", "floral", 3, *small), render("jumpsuit", "sage", "floral", 3, *large)
    )
    assert float(a @ b) > 0.95


def test_nearest_neighbour_retrieval_finds_the_garment_type() -> None:
    images, labels = [], []
    for garment_type in TYPES:
        for seed, (color, pattern) in enumerate(LOOKS):
            images.append(render(garment_type, color, pattern, seed))
            labels.append(garment_type)
    v = embed(*images)
    sim = v @ v.T
    np.fill_diagonal(sim, -np.inf)
    hits = sum(labels[int(j)] == label for label, j in zip(labels, sim.argmax(axis=1), strict=True))
    print(f"offline image features: nearest neighbour has the same garment type for {hits}/{len(labels)}")
    assert hits >= 0.8 * len(labels)
    # The colour blocks alone would retrieve the look, not the garment: this is what shape is for.
    colour_only = OfflineImageEmbedder(weights={name: 0.0 for name in BLOCKS} | {"color_hist": 1.0})
    c = embed(*images, embedder=colour_only)
    csim = c @ c.T
    np.fill_diagonal(csim, -np.inf)
    assert sum(labels[int(j)] == label for label, j in zip(labels, csim.argmax(axis=1), strict=True)) < hits


def test_transparent_background_counts_as_background() -> None:
    rgba = Image.new("RGBA", (200, 300), (0, 0, 0, 0))
    rgba.paste(Image.new("RGBA", (80, 200), (30, 60, 160, 255)), (60, 50))
    flat = Image.new("RGB", (200, 300), "white")
    flat.paste(Image.new("RGB", (80, 200), (30, 60, 160)), (60, 50))
    np.testing.assert_allclose(embed(rgba), embed(flat), atol=1e-6)
    mask = foreground(rgb_to_lab(np.asarray(flat.resize((86, 128), Image.Resampling.BOX))))
    assert 0.2 < mask.mean() < 0.35  # the rectangle, not the white around it


@pytest.mark.parametrize(
    "image",
    [
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (90, 70, 3), dtype=np.uint8)),
        Image.new("RGB", (64, 64), (200, 40, 40)),
        Image.new("L", (5, 3), 128),
        Image.new("RGB", (400, 3), "white"),
    ],
    ids=["noise", "uniform", "tiny-grey", "thin-strip"],
)
def test_odd_images_still_give_finite_unit_vectors(image: Image.Image) -> None:
    (v,) = embed(image)
    assert np.isfinite(v).all()
    assert float(np.linalg.norm(v)) == pytest.approx(1.0, abs=1e-6)


def test_weights_configure_the_blocks() -> None:
    rust_dress, rust_pants = render("dress", "rust"), render("pants", "rust")
    colour_only = OfflineImageEmbedder(weights={name: 0.0 for name in BLOCKS} | {"color_hist": 1.0})
    a, b = embed(rust_dress, rust_pants, embedder=colour_only)
    assert float(a @ b) > 0.95
    assert not a[BLOCK_SLICES["occupancy"]].any()
    d, p = embed(rust_dress, rust_pants)
    assert float(d @ p) < 0.8
    assert (
        colour_only.name.startswith("offline-image-v1/128/w-")
        and OfflineImageEmbedder().name == "offline-image-v1/128"
    )


def test_invalid_configuration_and_missing_image() -> None:
    with pytest.raises(InvalidInput, match="allowed: color_hist, color_moments, hog"):
        OfflineImageEmbedder(weights={"colour": 1.0})
    with pytest.raises(InvalidInput, match="size"):
        OfflineImageEmbedder(size=8)
    with pytest.raises(InvalidInput, match="needs an image; item 1 has none"):
        OfflineImageEmbedder().embed(
            [EmbeddingInput(image=render("skirt")), EmbeddingInput(spec=make_spec("skirt"))]
        )
    with pytest.raises(InvalidInput):
        embed(b"not an image")


def test_table_lab_matches_the_colour_science_formula() -> None:
    greys = np.repeat(np.arange(256, dtype=np.uint8), 3).reshape(-1, 3)
    rgb = np.concatenate([greys, np.random.default_rng(1).integers(0, 256, (768, 3), dtype=np.uint8)])
    c = rgb / 255.0
    linear = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    m = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    )
    xyz = linear @ m.T / np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    expected = np.stack([116 * f[:, 1] - 16, 500 * (f[:, 0] - f[:, 1]), 200 * (f[:, 1] - f[:, 2])], -1)
    np.testing.assert_allclose(rgb_to_lab(rgb), expected, atol=1e-9)
    np.testing.assert_allclose(rgb_to_lab(rgb.astype(np.float64)), expected, atol=1e-9)


def test_combined_attributes_and_image() -> None:
    attrs, image = AttributeEmbedder(), OfflineImageEmbedder()
    combined = CombinedEmbedder([(attrs, 0.7), (image, 0.3)])
    items = [EmbeddingInput(spec=make_spec(t), image=render(t)) for t in ("dress", "skirt")]
    v = combined.embed(items)
    assert v.shape == (2, attrs.dim + image.dim) == (2, combined.dim)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-6)
    with pytest.raises(InvalidInput, match="needs an image"):
        combined.embed([EmbeddingInput(spec=make_spec("dress"))])
    spec_only = CombinedEmbedder([(attrs, 1.0), (image, 0.0)]).embed(
        [EmbeddingInput(spec=make_spec("dress"))]
    )
    assert float(np.linalg.norm(spec_only)) == pytest.approx(1.0, abs=1e-6)
