"""Validated decoding of uploads and stored images, thumbnails and WebP conversion."""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

from PIL import Image, ImageOps

from designer_bff.errors import InvalidInput, PayloadTooLarge, UnsupportedMedia
from designer_bff.imaging.chunks import iter_png_chunks
from designer_bff.imaging.metadata import embed_metadata, read_metadata
from designer_bff.imaging.sniff import (
    ACCEPTED,
    ACCEPTED_TEXT,
    FORMAT_NAMES,
    MIME_TYPES,
    detect_format,
    header_size,
)

_PIL_FORMATS = {"png": "PNG", "jpeg": "JPEG", "webp": "WEBP"}
# Content types and filename extensions that claim a specific format; anything else claims nothing.
_MIME_CLAIMS = {
    "image/png": "png", "image/x-png": "png", "image/apng": "png",
    "image/jpeg": "jpeg", "image/jpg": "jpeg", "image/pjpeg": "jpeg",
    "image/webp": "webp", "image/gif": "gif", "image/bmp": "bmp", "image/x-ms-bmp": "bmp",
    "image/tiff": "tiff", "image/svg+xml": "svg", "image/heic": "heic", "image/heif": "heic",
    "image/avif": "avif", "image/x-icon": "ico", "image/vnd.microsoft.icon": "ico", "image/jxl": "jxl",
}  # fmt: skip
_EXTENSION_CLAIMS = {
    "png": "png", "apng": "png", "jpg": "jpeg", "jpeg": "jpeg", "jpe": "jpeg", "jfif": "jpeg",
    "webp": "webp", "gif": "gif", "bmp": "bmp", "dib": "bmp", "tif": "tiff", "tiff": "tiff",
    "svg": "svg", "svgz": "svg", "heic": "heic", "heif": "heic", "avif": "avif", "ico": "ico",
    "jxl": "jxl", "psd": "psd", "pdf": "pdf",
}  # fmt: skip
_SIXTEEN_BIT_GREY = ("I;16", "I;16L", "I;16B", "I;16N")
# Pillow raises these (and OSError subclasses such as UnidentifiedImageError) for broken image data.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)


@dataclass(frozen=True)
class ImageInfo:
    """What an accepted upload is: format (`png`, `jpeg`, `webp`), MIME type and pixel size."""

    format: str
    mime: str
    width: int
    height: int


def inspect_upload(
    data: bytes, *, filename: str | None, declared_type: str | None, max_bytes: int, max_pixels: int
) -> ImageInfo:
    """Check an upload is a complete PNG, JPEG or WebP within the limits; raise a clear error otherwise."""
    label = _label(filename)
    if not data:
        raise InvalidInput(f"{label} is empty", field="file")
    if len(data) > max_bytes:
        raise PayloadTooLarge(
            f"{label} is {_megabytes(len(data))}, the limit is {_megabytes(max_bytes)}",
            field="file",
            limit_bytes=max_bytes,
        )
    fmt = _accepted_format(data, label)
    _check_claims(fmt, label, filename=filename, declared_type=declared_type)
    with _decode(data, fmt, label=label, max_pixels=max_pixels) as image:
        return ImageInfo(format=fmt, mime=MIME_TYPES[fmt], width=image.width, height=image.height)


def load_rgb(data: bytes, *, max_pixels: int) -> Image.Image:
    """Decode a PNG, JPEG or WebP to an upright RGB image (transparency flattened onto white)."""
    fmt = _accepted_format(data, "the image")
    image = _decode(data, fmt, label="the image", max_pixels=max_pixels)
    ImageOps.exif_transpose(image, in_place=True)
    return _normalise(image, keep_alpha=False)


def make_thumbnail(data: bytes, *, size: int = 256, max_pixels: int | None = None) -> bytes:
    """WebP thumbnail whose longest side is `size` (never upscaled), keeping aspect ratio and alpha."""
    if size < 1:
        raise InvalidInput(f"thumbnail size must be at least 1, got {size}", field="size")
    fmt = _accepted_format(data, "the image")
    # JPEG can decode at 1/2, 1/4 or 1/8 scale directly, which saves most of the work for big photos.
    image = _decode(data, fmt, label="the image", max_pixels=max_pixels, draft=(size, size))
    ImageOps.exif_transpose(image, in_place=True)
    thumb = _normalise(image, keep_alpha=True)
    thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
    return _save_webp(thumb, quality=80, icc_profile=image.info.get("icc_profile"))


def to_webp(data: bytes, quality: int = 90, *, max_pixels: int | None = None) -> bytes:
    """Re-encode a PNG, JPEG or WebP as WebP at `quality`, keeping alpha, ICC profile and studio metadata."""
    if not 0 <= quality <= 100:
        raise InvalidInput(f"WebP quality must be between 0 and 100, got {quality}", field="quality")
    fmt = _accepted_format(data, "the image")
    image = _decode(data, fmt, label="the image", max_pixels=max_pixels)
    ImageOps.exif_transpose(image, in_place=True)
    out = _save_webp(
        _normalise(image, keep_alpha=True), quality=quality, icc_profile=image.info.get("icc_profile")
    )
    metadata = read_metadata(data)
    return embed_metadata(out, metadata) if metadata else out


def _label(filename: str | None) -> str:
    if not filename:
        return "the upload"
    printable = "".join(ch for ch in filename if ch.isprintable())
    return f"file {printable[:80]!r}"


def _megabytes(size: int) -> str:
    if size < 100 * 1024:  # "0.0 MB" would say nothing
        return f"{size:,} bytes"
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"


def _a(name: str) -> str:
    return f"an {name}" if name[0] in "AEIOU" else f"a {name}"


def _accepted_format(data: bytes, label: str) -> str:
    """The accepted format detected from the magic bytes; UnsupportedMedia for everything else."""
    if not data:
        raise InvalidInput(f"{label} is empty")
    fmt = detect_format(data)
    if fmt == "svg":
        raise UnsupportedMedia(
            f"{label} is an SVG document; SVG is refused because it can carry scripts and external "
            f"references (links to other files and URLs), accepted: {ACCEPTED_TEXT}",
            detected="svg",
            allowed=ACCEPTED,
        )
    if fmt is None:
        raise UnsupportedMedia(
            f"{label} is not a recognised image format, accepted: {ACCEPTED_TEXT}", allowed=ACCEPTED
        )
    if fmt not in ACCEPTED:
        raise UnsupportedMedia(
            f"{label} is {_a(FORMAT_NAMES[fmt])}, accepted: {ACCEPTED_TEXT}", detected=fmt, allowed=ACCEPTED
        )
    return fmt


def _check_claims(fmt: str, label: str, *, filename: str | None, declared_type: str | None) -> None:
    """Refuse a file whose content type or extension names a different image type than its bytes."""
    found = FORMAT_NAMES[fmt]
    if declared_type:
        mime = declared_type.split(";", 1)[0].strip().lower()
        # Only image types are claims: browsers send application/octet-stream for anything they do not know.
        claimed = _MIME_CLAIMS.get(mime, mime if mime.startswith("image/") and mime != "image/*" else None)
        if claimed is not None and claimed != fmt:
            raise UnsupportedMedia(
                f"{label} is declared as {mime} but its content is {found}", detected=fmt, declared=mime
            )
    if filename and "." in filename:
        extension = filename.rsplit(".", 1)[1].strip().lower()
        claimed = _EXTENSION_CLAIMS.get(extension)
        if claimed is not None and claimed != fmt:
            named = FORMAT_NAMES[claimed]
            raise UnsupportedMedia(
                f"{label} has the extension .{extension} ({named}) but its content is {found}",
                detected=fmt,
                extension=extension,
            )


def _pixel_limit(max_pixels: int | None) -> int | None:
    # Never accept more than Pillow's own bomb limit: Pillow would only *warn* between 1x and 2x of it, and
    # silencing that warning means touching process-global warning filters, which is not thread-safe.
    pil_limit = Image.MAX_IMAGE_PIXELS
    if max_pixels is None:
        return pil_limit
    return max_pixels if pil_limit is None else min(max_pixels, pil_limit)


def _check_pixels(width: int, height: int, *, label: str, max_pixels: int | None) -> None:
    limit = _pixel_limit(max_pixels)
    if limit is not None and width * height > limit:
        raise PayloadTooLarge(
            f"{label} is {width}x{height} = {width * height:,} pixels, the limit is {limit:,} pixels",
            field="file",
            pixels=width * height,
            limit_pixels=limit,
        )


def _decode(
    data: bytes, fmt: str, *, label: str, max_pixels: int | None, draft: tuple[int, int] | None = None
) -> Image.Image:
    """Fully decode `data` as `fmt`, after checking its declared size; InvalidInput when broken."""
    try:
        width, height = header_size(data, fmt)
    except InvalidInput as exc:
        raise InvalidInput(f"{label} is corrupt: {exc.message}", field="file") from exc
    # Before any decoder runs: a small file may declare a huge canvas (decompression bomb).
    _check_pixels(width, height, label=label, max_pixels=max_pixels)
    if fmt == "png":
        try:
            for _chunk in iter_png_chunks(data):  # CRCs and IEND: Pillow accepts a PNG cut after its pixels
                pass
        except InvalidInput as exc:
            raise InvalidInput(f"{label} is truncated or corrupt: {exc.message}", field="file") from exc
    try:
        image = Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[fmt]])
        # Pillow's own reading of the header may differ from ours (e.g. unusual JPEG layouts): check again.
        _check_pixels(image.width, image.height, label=label, max_pixels=max_pixels)
        if draft is not None and fmt == "jpeg":
            image.draft(None, draft)
        image.load()  # decode every pixel now, so truncation shows up here and not later
    except Image.DecompressionBombError as exc:
        raise PayloadTooLarge(f"{label} is too large to decode safely: {exc}", field="file") from exc
    except _DECODE_ERRORS as exc:
        raise InvalidInput(f"{label} is truncated or corrupt: {exc}", field="file") from exc
    return image


def _normalise(image: Image.Image, *, keep_alpha: bool) -> Image.Image:
    """RGB (or RGBA when `keep_alpha` and the image has transparency) in 8 bits per channel."""
    if image.mode in _SIXTEEN_BIT_GREY:
        # convert("L") would clip 16-bit values to white; scale them down instead.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info
    if not has_alpha:
        return image.convert("RGB")
    rgba = image.convert("RGBA")
    if keep_alpha:
        return rgba
    flat = Image.new("RGB", rgba.size, (255, 255, 255))
    flat.paste(rgba, mask=rgba.getchannel("A"))
    return flat


def _save_webp(image: Image.Image, *, quality: int, icc_profile: bytes | None) -> bytes:
    out = io.BytesIO()
    options: dict[str, object] = {"quality": quality, "method": 4}
    if icc_profile:
        options["icc_profile"] = icc_profile
    image.save(out, "WEBP", **options)
    return out.getvalue()
