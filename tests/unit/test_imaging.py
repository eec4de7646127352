"""Upload validation, decoding, thumbnails and metadata, on images built in memory with Pillow."""

from __future__ import annotations

import io
import json
import re
import struct
import warnings
import zlib
from typing import Any

import numpy as np
import pytest
from PIL import Image

from designer_bff.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia
from designer_bff.imaging import (
    ImageInfo,
    detect_format,
    embed_metadata,
    inspect_upload,
    load_rgb,
    make_thumbnail,
    read_metadata,
    to_webp,
)
from designer_bff.imaging import decode as decode_module

MB = 1024 * 1024
LIMITS: dict[str, Any] = {"max_bytes": 10 * MB, "max_pixels": 1_000_000}
METADATA: dict[str, Any] = {
    "prompt": 'A-line midi dress, "quoted" <b>bold</b> & ampersand </designer_bff:json> ünïcödé 裙子',
    "negative_prompt": "blurry",
    "spec": {"garment": "dress", "colors": ["#112233", "ivory"], "length_cm": 110.5},
    "seed": 1234567890123,
    "provider": "tech-flat",
    "model": "flat-v1",
    "generation_id": "gen_01",
    "asset_id": "asset_01",
    "guidance": 7.5,
    "nsfw": False,
    "parent": None,
}


def picture(size: tuple[int, int] = (300, 200), mode: str = "RGB") -> Image.Image:
    """A deterministic image with detail in every channel, so lossy codecs actually change pixels."""
    rng = np.random.default_rng(7)
    channels = len(mode)
    pixels = rng.integers(0, 256, size=(size[1], size[0], channels), dtype=np.uint8)
    return Image.fromarray(pixels.squeeze(), mode)


def encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def pixels(data: bytes) -> np.ndarray[Any, Any]:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image.convert("RGBA"))


def inspect(
    data: bytes, filename: str | None = None, declared_type: str | None = None, **limits: Any
) -> ImageInfo:
    return inspect_upload(data, filename=filename, declared_type=declared_type, **{**LIMITS, **limits})


PNG = encode(picture(), "PNG")
JPEG = encode(picture(), "JPEG", quality=90)
WEBP = encode(picture(), "WEBP", quality=80)
WEBP_LOSSLESS = encode(picture(), "WEBP", lossless=True)
WEBP_ALPHA = encode(picture(mode="RGBA"), "WEBP", quality=80)
WEBP_LOSSLESS_ALPHA = encode(picture(mode="RGBA"), "WEBP", lossless=True)
GIF = encode(picture().convert("P"), "GIF")
BMP = encode(picture(), "BMP")
TIFF = encode(picture(), "TIFF")
SVG = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n'
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b'<image href="http://attacker.example/track.png" width="10" height="10"/>'
    b"<script>alert(1)</script></svg>"
)


def with_png_size(data: bytes, width: int, height: int) -> bytes:
    """The PNG with its IHDR rewritten (valid CRC) to claim another size."""
    ihdr = b"IHDR" + struct.pack(">II", width, height) + data[24:29]
    return data[:12] + ihdr + struct.pack(">I", zlib.crc32(ihdr)) + data[33:]


# --- accepted uploads ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "fmt", "mime"),
    [
        (PNG, "png", "image/png"),
        (JPEG, "jpeg", "image/jpeg"),
        (encode(picture(), "JPEG", progressive=True), "jpeg", "image/jpeg"),
        (WEBP, "webp", "image/webp"),
        (WEBP_LOSSLESS, "webp", "image/webp"),
        (WEBP_ALPHA, "webp", "image/webp"),
        (WEBP_LOSSLESS_ALPHA, "webp", "image/webp"),
    ],
)
def test_accepts_png_jpeg_webp(data: bytes, fmt: str, mime: str) -> None:
    assert inspect(data) == ImageInfo(format=fmt, mime=mime, width=300, height=200)
    assert detect_format(data) == fmt


@pytest.mark.parametrize(
    ("data", "filename", "declared"),
    [
        (PNG, "flat.png", "image/png"),
        (JPEG, "PHOTO.JPG", "image/jpeg"),
        (JPEG, "photo.jpeg", "image/jpg"),
        (WEBP, "x.webp", "image/webp; charset=binary"),
        (PNG, "no-extension", "application/octet-stream"),
        (PNG, "archive.tar.bin", ""),
        (JPEG, None, "image/*"),
        (PNG, None, None),
    ],
)
def test_matching_or_uninformative_labels_are_fine(data: bytes, filename: str | None, declared: str) -> None:
    inspect(data, filename, declared)


def test_limits_are_inclusive() -> None:
    inspect(PNG, max_bytes=len(PNG), max_pixels=300 * 200)


# --- refused uploads ----------------------------------------------------------------------------


def test_empty_file() -> None:
    with pytest.raises(InvalidInput, match=r"'x\.png' is empty") as info:
        inspect(b"", "x.png")
    assert type(info.value) is InvalidInput


def test_too_many_bytes_names_the_limit_in_mb() -> None:
    # The size check comes before any parsing, so the content does not matter.
    data = b"\x89PNG\r\n\x1a\n" + b"\x00" * int(1.5 * MB)
    with pytest.raises(PayloadTooLarge, match=r"'big.png' is 1\.5 MB, the limit is 1 MB") as info:
        inspect(data, "big.png", max_bytes=MB)
    assert info.value.status_code == 413


@pytest.mark.parametrize(
    ("data", "name"),
    [(GIF, "a GIF"), (BMP, "a BMP"), (TIFF, "a TIFF"), (b"%PDF-1.7\n...", "a PDF")],
)
def test_other_image_formats_are_named(data: bytes, name: str) -> None:
    with pytest.raises(UnsupportedMedia) as info:
        inspect(data, "x.png", "image/png")
    assert info.value.message == f"file 'x.png' is {name}, accepted: PNG, JPEG, WebP"
    assert info.value.status_code == 415


def test_unknown_bytes() -> None:
    with pytest.raises(UnsupportedMedia, match=r"'notes\.txt' is not a recognised image format, accepted"):
        inspect(b"just some text", "notes.txt", "text/plain")


@pytest.mark.parametrize(
    "data",
    [
        SVG,
        SVG.split(b"\n", 1)[1],  # no XML prolog
        b"\xef\xbb\xbf  \n" + SVG,  # BOM and whitespace first
        b'<!-- made by hand -->\n<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "x.dtd">\n<svg/>',
        b"<SVG onload='alert(1)'></SVG>",
        SVG.decode().encode("utf-16"),
        b'<?xml version="1.0"?><foo/>',
    ],
)
def test_svg_is_refused_with_the_reason(data: bytes) -> None:
    with pytest.raises(UnsupportedMedia) as info:
        inspect(data, "logo.png", "image/png")
    message = info.value.message
    assert "'logo.png' is an SVG" in message
    assert "scripts and external references" in message


@pytest.mark.parametrize(
    ("data", "filename", "declared", "expected"),
    [
        (PNG, None, "image/jpeg", "declared as image/jpeg but its content is PNG"),
        (JPEG, "x.jpg", "image/webp", "declared as image/webp but its content is JPEG"),
        (PNG, "x.png", "image/gif", "declared as image/gif but its content is PNG"),
        (PNG, "x.png", "image/x-unheard-of", "declared as image/x-unheard-of but its content is PNG"),
        (JPEG, "shoe.png", None, "extension .png (PNG) but its content is JPEG"),
        (WEBP, "photo.jpg", "application/octet-stream", "extension .jpg (JPEG) but its content is WebP"),
        (PNG, "x.svg", None, "extension .svg (SVG) but its content is PNG"),
    ],
)
def test_mislabelled_files_name_both_types(
    data: bytes, filename: str | None, declared: str | None, expected: str
) -> None:
    with pytest.raises(UnsupportedMedia, match=re.escape(expected)):
        inspect(data, filename, declared)


@pytest.mark.parametrize(
    "data",
    [
        PNG[: len(PNG) // 2],  # cut inside the image data
        PNG[:-12],  # pixels complete, IEND missing (Pillow alone would accept this)
        PNG[:33],  # header only
        PNG[:20],  # not even a full IHDR
        PNG[:40] + bytes([PNG[40] ^ 0xFF]) + PNG[41:],  # checksum mismatch
        JPEG[: len(JPEG) // 2],
        JPEG[:200],
        WEBP[: len(WEBP) // 2],
        WEBP_LOSSLESS[: len(WEBP_LOSSLESS) - 100],
        WEBP[:24],
        with_png_size(PNG, 0, 200),
    ],
)
def test_truncated_or_corrupt_images(data: bytes) -> None:
    with pytest.raises(InvalidInput, match=r"'x' is (truncated or )?corrupt") as info:
        inspect(data, "x")
    assert type(info.value) is InvalidInput
    assert info.value.status_code == 422


def test_corrupt_jpeg_tables() -> None:
    # A valid frame header, but the Huffman table the pixels need is garbage.
    table = JPEG.index(b"\xff\xc4")
    broken = JPEG[: table + 4] + b"\xff" * 30 + JPEG[table + 34 :]
    with pytest.raises(InvalidInput, match="truncated or corrupt"):
        inspect(broken, "x")


# --- decompression bombs ------------------------------------------------------------------------


def test_crafted_png_header_bomb_is_refused_before_decoding() -> None:
    bomb = with_png_size(PNG, 10_000, 10_000)  # 100 megapixels claimed by a ~180 KB file
    with pytest.raises(PayloadTooLarge) as info:
        inspect(bomb, "bomb.png", max_pixels=50_000_000)
    assert info.value.message == (
        "file 'bomb.png' is 10000x10000 = 100,000,000 pixels, the limit is 50,000,000 pixels"
    )


def test_real_one_bit_bomb() -> None:
    bomb = encode(Image.new("1", (10_000, 10_000)), "PNG")  # 12.5 MB in memory, a few KB on disk
    assert len(bomb) < 100_000
    with pytest.raises(PayloadTooLarge, match="100,000,000 pixels"):
        inspect(bomb, "bomb.png", max_pixels=50_000_000)
    with pytest.raises(PayloadTooLarge):
        load_rgb(bomb, max_pixels=50_000_000)
    with pytest.raises(PayloadTooLarge):
        make_thumbnail(bomb)


def test_crafted_jpeg_and_webp_header_bombs() -> None:
    sof = JPEG.index(b"\xff\xc0")
    jpeg_bomb = JPEG[: sof + 5] + struct.pack(">HH", 30_000, 30_000) + JPEG[sof + 9 :]
    with pytest.raises(PayloadTooLarge, match="30000x30000"):
        inspect(jpeg_bomb)
    assert WEBP_ALPHA[12:16] == b"VP8X"
    canvas = (15_999).to_bytes(3, "little") * 2
    webp_bomb = WEBP_ALPHA[:24] + canvas + WEBP_ALPHA[30:]
    with pytest.raises(PayloadTooLarge, match="16000x16000"):
        inspect(webp_bomb)


def test_pillow_limit_caps_the_configured_limit_without_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 50_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a DecompressionBombWarning would fail the test
        with pytest.raises(PayloadTooLarge, match="the limit is 50,000 pixels"):
            inspect(PNG, max_pixels=10**9)


def test_pillow_decompression_bomb_error_is_mapped(monkeypatch: pytest.MonkeyPatch) -> None:
    # Simulate our header reader and Pillow disagreeing, so Pillow's own guard is what fires.
    monkeypatch.setattr(decode_module, "header_size", lambda data, fmt: (1, 1))
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 10_000)
    with pytest.raises(PayloadTooLarge, match="too large to decode safely"):
        inspect(PNG, max_pixels=10**9)


# --- decoding -----------------------------------------------------------------------------------


def test_load_rgb_flattens_alpha_onto_white() -> None:
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    image.putpixel((0, 0), (255, 0, 0, 255))
    rgb = load_rgb(encode(image, "PNG"), max_pixels=1000)
    assert rgb.mode == "RGB"
    assert rgb.getpixel((0, 0)) == (255, 0, 0)
    assert rgb.getpixel((1, 1)) == (255, 255, 255)


def test_load_rgb_scales_16_bit_grey() -> None:
    grey = Image.new("I;16", (4, 4), 40_000)
    assert load_rgb(encode(grey, "PNG"), max_pixels=1000).getpixel((0, 0)) == (156, 156, 156)


def test_load_rgb_applies_exif_orientation() -> None:
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    data = encode(picture((40, 20)), "JPEG", exif=exif)
    assert load_rgb(data, max_pixels=1000).size == (20, 40)


@pytest.mark.parametrize("data", [GIF, SVG, b""])
def test_load_rgb_refuses_what_uploads_refuse(data: bytes) -> None:
    with pytest.raises(InvalidInput):
        load_rgb(data, max_pixels=10**6)


# --- thumbnails and WebP ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "source_fmt", "expected"),
    [((1000, 500), "PNG", (256, 128)), ((500, 1000), "JPEG", (128, 256)), ((2000, 1000), "JPEG", (256, 128))],
)
def test_thumbnail_longest_side(size: tuple[int, int], source_fmt: str, expected: tuple[int, int]) -> None:
    thumb = make_thumbnail(encode(picture(size), source_fmt))
    assert detect_format(thumb) == "webp"
    with Image.open(io.BytesIO(thumb)) as image:
        assert (image.format, image.size, image.mode) == ("WEBP", expected, "RGB")


def test_thumbnail_never_upscales_and_keeps_alpha() -> None:
    thumb = make_thumbnail(encode(picture((100, 50), "RGBA"), "PNG"), size=256)
    with Image.open(io.BytesIO(thumb)) as image:
        assert (image.size, image.mode) == ((100, 50), "RGBA")
    with Image.open(io.BytesIO(make_thumbnail(PNG, size=64))) as image:
        assert image.size == (64, 43)


def test_thumbnail_size_must_be_positive() -> None:
    with pytest.raises(InvalidInput, match="at least 1"):
        make_thumbnail(PNG, size=0)


def test_to_webp() -> None:
    out = to_webp(JPEG, quality=70)
    assert detect_format(out) == "webp"
    assert inspect(out).width == 300
    assert len(to_webp(PNG, quality=10)) < len(to_webp(PNG, quality=95))
    with pytest.raises(InvalidInput, match="between 0 and 100"):
        to_webp(PNG, quality=101)


def test_to_webp_keeps_studio_metadata() -> None:
    assert read_metadata(to_webp(embed_metadata(PNG, METADATA))) == METADATA


# --- metadata -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [PNG, WEBP, WEBP_LOSSLESS, WEBP_ALPHA, WEBP_LOSSLESS_ALPHA],
    ids=["png", "vp8", "vp8l", "vp8x", "vp8l-a"],
)
def test_metadata_roundtrip_keeps_pixels(data: bytes) -> None:
    tagged = embed_metadata(data, METADATA)
    assert read_metadata(tagged) == METADATA
    assert np.array_equal(pixels(tagged), pixels(data))
    assert inspect(tagged).format == detect_format(data)
    # Embedding again replaces the old metadata instead of piling up.
    again = embed_metadata(tagged, {"seed": 1})
    assert read_metadata(again) == {"seed": 1}
    assert again.count(b"designer_bff") < tagged.count(b"designer_bff")


def test_png_metadata_is_readable_by_pillow_as_text_chunks() -> None:
    with Image.open(io.BytesIO(embed_metadata(PNG, METADATA))) as image:
        text = image.text  # type: ignore[attr-defined]
    assert json.loads(text["designer_bff"]) == METADATA
    assert text["designer_bff:prompt"] == METADATA["prompt"]
    assert text["designer_bff:seed"] == "1234567890123"
    assert "designer_bff:spec" not in text  # non-scalars only live in the JSON


def test_png_metadata_keeps_other_chunks_and_compresses_long_json() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "studio")
    data = encode(picture(), "PNG", pnginfo=info, icc_profile=b"fake-icc-profile")
    big = {**METADATA, "prompt": "pleated " * 2000}
    tagged = embed_metadata(data, big)
    assert read_metadata(tagged) == big
    assert len(tagged) < len(data) + len(big["prompt"]) + 2000  # the JSON copy is zlib-compressed
    with Image.open(io.BytesIO(tagged)) as image:
        assert image.text["Author"] == "studio"  # type: ignore[attr-defined]
        assert image.info["icc_profile"] == b"fake-icc-profile"


def test_webp_metadata_is_an_xmp_packet_pillow_reads() -> None:
    tagged = embed_metadata(WEBP, METADATA)
    with Image.open(io.BytesIO(tagged)) as image:
        xmp = image.info["xmp"]
    assert b'xmlns:designer_bff="urn:designer-bff:xmp:1/"' in xmp
    assert b"&lt;/designer_bff:json&gt;" in xmp  # escaped, cannot close the element early
    assert b"<designer_bff:provider>tech-flat</designer_bff:provider>" in xmp


def test_read_metadata_without_metadata() -> None:
    for data in (PNG, WEBP, JPEG, GIF, b"", b"garbage"):
        assert read_metadata(data) == {}


def test_read_metadata_ignores_hostile_xmp() -> None:
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
        b'<x:xmpmeta xmlns:x="adobe:ns:meta/">'
        b'<designer_bff:json xmlns:designer_bff="urn:designer-bff:xmp:1/">'
        b"&b;</designer_bff:json></x:xmpmeta>"
    )
    tagged = encode(picture(), "WEBP", xmp=bomb)
    assert read_metadata(tagged) == {}
    assert read_metadata(encode(picture(), "WEBP", xmp=b"<not-xml")) == {}


def test_embed_metadata_refuses_other_formats_and_bad_values() -> None:
    with pytest.raises(UnsupportedMedia, match="PNG and WebP only, this is JPEG"):
        embed_metadata(JPEG, METADATA)
    with pytest.raises(TypeError, match="JSON-serialisable"):
        embed_metadata(PNG, {"when": object()})
    with pytest.raises(TypeError, match="JSON-serialisable"):
        embed_metadata(PNG, {"score": float("nan")})
    with pytest.raises(InvalidInput):
        embed_metadata(PNG[:-20], METADATA)
