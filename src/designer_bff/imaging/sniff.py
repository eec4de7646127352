"""Format detection from magic bytes and image dimensions read from the header, without Pillow.

Reading the size ourselves lets the studio refuse a decompression bomb before any decoder (and before
Pillow's own bomb check, which can only warn through the process-global `warnings` machinery) runs.
"""

from __future__ import annotations

import struct

from designer_bff.errors import InvalidInput

#: Formats the studio accepts, in the order named in messages.
ACCEPTED = ("png", "jpeg", "webp")
ACCEPTED_TEXT = "PNG, JPEG, WebP"

#: Display names of every format we can recognise (accepted or not), for messages.
FORMAT_NAMES = {
    "png": "PNG",
    "jpeg": "JPEG",
    "webp": "WebP",
    "gif": "GIF",
    "bmp": "BMP",
    "tiff": "TIFF",
    "ico": "ICO",
    "heic": "HEIC",
    "avif": "AVIF",
    "jxl": "JPEG XL",
    "psd": "PSD",
    "pdf": "PDF",
    "svg": "SVG",
    "gzip": "gzip (e.g. SVGZ)",
}

MIME_TYPES = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (PNG_SIGNATURE, "png"),
    (b"\xff\xd8\xff", "jpeg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"\xff\x0a", "jxl"),
    (b"\x00\x00\x00\x0cJXL \r\n\x87\n", "jxl"),
    (b"8BPS", "psd"),
    (b"%PDF", "pdf"),
    (b"\x1f\x8b", "gzip"),
)
_HEIF_BRANDS = {b"heic": "heic", b"heix": "heic", b"mif1": "heic", b"msf1": "heic", b"avif": "avif"}
_BOMS = (b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")


def detect_format(data: bytes) -> str | None:
    """Name the format of `data` from its leading bytes (a key of FORMAT_NAMES), or None."""
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in _HEIF_BRANDS:
        return _HEIF_BRANDS[data[8:12]]
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if _looks_like_svg(data[:4096]):
        return "svg"
    return None


def _looks_like_svg(head: bytes) -> bool:
    # Any XML document is refused with the SVG explanation: an SVG may open with a prolog, comments or
    # a DOCTYPE before `<svg`, and a generic XML upload is never a valid image anyway.
    text = _decode_text(head).lstrip().lower()
    return text.startswith("<") and ("<svg" in text or text.startswith("<?xml"))


def _decode_text(head: bytes) -> str:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return head.decode("utf-16", errors="ignore")
    for bom in _BOMS:
        head = head.removeprefix(bom)
    return head.decode("utf-8", errors="ignore")


def header_size(data: bytes, fmt: str) -> tuple[int, int]:
    """Width and height declared in the header of a PNG, JPEG or WebP; InvalidInput when unreadable."""
    try:
        if fmt == "png":
            size = _png_size(data)
        elif fmt == "jpeg":
            size = _jpeg_size(data)
        elif fmt == "webp":
            size = _webp_size(data)
        else:
            raise ValueError(f"no header reader for {fmt}")
    except (struct.error, IndexError) as exc:
        raise InvalidInput(f"the {FORMAT_NAMES[fmt]} header is truncated") from exc
    except ValueError as exc:
        raise InvalidInput(f"the {FORMAT_NAMES[fmt]} header is corrupt: {exc}") from exc
    if size[0] <= 0 or size[1] <= 0:
        raise InvalidInput(f"the {FORMAT_NAMES[fmt]} header declares an empty image ({size[0]}x{size[1]})")
    return size


def _png_size(data: bytes) -> tuple[int, int]:
    length, kind = struct.unpack(">I4s", data[8:16])
    if kind != b"IHDR" or length != 13:
        raise ValueError("the first chunk is not IHDR")
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


# Start-of-frame markers carry the frame size; C4 (DHT), C8 (JPG) and CC (DAC) share the range but do not.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
# Markers that stand alone without a length field.
_BARE_MARKERS = frozenset(range(0xD0, 0xDA)) | {0x01}


def _jpeg_size(data: bytes) -> tuple[int, int]:
    pos = 2
    while True:
        if data[pos] != 0xFF:
            raise ValueError(f"expected a marker at byte {pos}")
        while data[pos] == 0xFF:  # markers may be preceded by any number of fill bytes
            pos += 1
        marker = data[pos]
        pos += 1
        if marker in _BARE_MARKERS:
            continue
        (length,) = struct.unpack(">H", data[pos : pos + 2])
        if marker in _SOF_MARKERS:
            height, width = struct.unpack(">HH", data[pos + 3 : pos + 7])
            return int(width), int(height)
        if marker == 0xDA:  # start of scan before any frame header
            raise ValueError("no frame header before the image data")
        if length < 2:
            raise ValueError(f"segment length {length} at byte {pos}")
        pos += length


def _webp_size(data: bytes) -> tuple[int, int]:
    chunk = data[12:16]
    body = data[20:30]
    if len(body) < 10:
        raise IndexError("short WebP header")
    if chunk == b"VP8X":
        width = int.from_bytes(body[4:7], "little") + 1
        height = int.from_bytes(body[7:10], "little") + 1
        return width, height
    if chunk == b"VP8L":
        if body[0] != 0x2F:
            raise ValueError("bad VP8L signature")
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 ":
        if body[3:6] != b"\x9d\x01\x2a":
            raise ValueError("bad VP8 start code")
        width, height = struct.unpack("<HH", body[6:10])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    raise ValueError(f"unknown first chunk {chunk!r}")
