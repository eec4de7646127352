"""Provenance metadata in PNG text chunks and WebP XMP packets, spliced into the file without re-encoding.

Pillow's `pnginfo=`/`xmp=` save parameters would decode and re-encode the image: lossless for PNG, but a
lossy WebP would change pixels (and grow when saved lossless instead). Writing the chunks directly keeps
the image data byte-for-byte, is fast, and leaves every other chunk (ICC profile, EXIF, ...) in place.
Pillow reads the result back (`Image.info["xmp"]`, `Image.text`), which the tests check.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from designer_bff.errors import InvalidInput, UnsupportedMedia
from designer_bff.imaging.chunks import (
    Chunk,
    iter_png_chunks,
    iter_riff_chunks,
    itxt_payload,
    png_chunk,
    riff_chunk,
    riff_file,
    text_chunk_entry,
)
from designer_bff.imaging.sniff import FORMAT_NAMES, detect_format, header_size

#: PNG keyword of the chunk holding the full JSON; per-field chunks are `designer_bff:<field>`.
PNG_KEY = "designer_bff"
#: XMP namespace of the studio's properties (a URN, so it never points at a host someone else owns).
XMP_NS = "urn:designer-bff:xmp:1/"

_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_TEXT_CHUNKS = (b"tEXt", b"zTXt", b"iTXt")
_COMPRESS_ABOVE = 1024
# VP8X flag bits (WebP container spec): ICC 0x20, alpha 0x10, EXIF 0x08, XMP 0x04, animation 0x02.
_VP8X_ALPHA = 0x10
_VP8X_XMP = 0x04
_VP8L_ALPHA_BIT = 1 << 28


def embed_metadata(data: bytes, metadata: Mapping[str, Any]) -> bytes:
    """Embed `metadata` in a PNG or WebP (replacing earlier studio metadata); pixels stay unchanged."""
    fmt = detect_format(data)
    fields = dict(metadata)
    try:
        # allow_nan=False: NaN/Infinity are not JSON and other readers would choke on them.
        document = json.dumps(fields, sort_keys=True, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"image metadata must be JSON-serialisable: {exc}") from exc
    if fmt == "png":
        return _embed_png(data, fields, document)
    if fmt == "webp":
        return _embed_webp(data, fields, document)
    found = FORMAT_NAMES.get(fmt or "", "an unknown format")
    raise UnsupportedMedia(f"metadata can be embedded in PNG and WebP only, this is {found}")


def read_metadata(data: bytes) -> dict[str, Any]:
    """Studio metadata embedded in a PNG or WebP; an empty dict when there is none or it is unreadable."""
    fmt = detect_format(data)
    if fmt == "png":
        text = _png_document(data)
    elif fmt == "webp":
        text = _webp_document(data)
    else:
        return {}
    if text is None:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _scalars(fields: Mapping[str, Any]) -> dict[str, str]:
    """Per-field text for humans and other tools (exiftool, image viewers); the JSON stays authoritative."""
    out: dict[str, str] = {}
    for key, value in fields.items():
        if not isinstance(key, str) or not _FIELD.fullmatch(key):
            continue
        if isinstance(value, str):
            out[key] = value.replace("\x00", "")  # PNG text must not contain NUL
        elif isinstance(value, bool | int | float):
            out[key] = json.dumps(value)
    return out


def _is_studio_text(chunk: Chunk) -> bool:
    if chunk.kind not in _TEXT_CHUNKS:
        return False
    keyword = chunk.payload.partition(b"\x00")[0]
    return keyword == PNG_KEY.encode() or keyword.startswith(PNG_KEY.encode() + b":")


def _embed_png(data: bytes, fields: Mapping[str, Any], document: str) -> bytes:
    chunks = list(iter_png_chunks(data))
    ours = [
        png_chunk(b"iTXt", itxt_payload(f"{PNG_KEY}:{key}", value)) for key, value in _scalars(fields).items()
    ]
    compress = len(document.encode("utf-8")) > _COMPRESS_ABOVE
    ours.append(png_chunk(b"iTXt", itxt_payload(PNG_KEY, document, compress=compress)))
    # Right after IHDR, so readers find the text without walking past the image data.
    kept = [chunk.raw for chunk in chunks[1:] if not _is_studio_text(chunk)]
    return data[:8] + chunks[0].raw + b"".join(ours) + b"".join(kept)


def _png_document(data: bytes) -> str | None:
    try:
        for chunk in iter_png_chunks(data, check_crc=False):
            if chunk.kind in _TEXT_CHUNKS:
                entry = text_chunk_entry(chunk)
                if entry is not None and entry[0] == PNG_KEY:
                    return entry[1]
    except InvalidInput:
        return None
    return None


def _xmp_packet(fields: Mapping[str, Any], document: str) -> bytes:
    # ensure_ascii JSON has no control characters, which XML 1.0 cannot carry even escaped.
    ascii_json = json.dumps(json.loads(document), sort_keys=True, ensure_ascii=True)
    props = "".join(
        f"   <designer_bff:{key}>{escape(value)}</designer_bff:{key}>\n"
        for key, value in _scalars(fields).items()
        if key != "json"
    )
    packet = (
        '<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">\n'
        ' <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">\n'
        f'  <rdf:Description rdf:about="" xmlns:designer_bff="{XMP_NS}">\n'
        f"   <designer_bff:json>{escape(ascii_json)}</designer_bff:json>\n"
        f"{props}"
        "  </rdf:Description>\n"
        " </rdf:RDF>\n"
        "</x:xmpmeta>\n"
        '<?xpacket end="w"?>'
    )
    return packet.encode("utf-8")


def _embed_webp(data: bytes, fields: Mapping[str, Any], document: str) -> bytes:
    chunks = [chunk for chunk in iter_riff_chunks(data) if chunk.kind != b"XMP "]
    if not chunks:
        raise InvalidInput("the WebP has no image data")
    first = chunks[0]
    encoded = [riff_chunk(chunk.kind, chunk.payload) for chunk in chunks]
    if first.kind == b"VP8X":
        flags = first.payload[0] | _VP8X_XMP
        encoded[0] = riff_chunk(b"VP8X", bytes([flags]) + first.payload[1:])
    else:
        # A simple (lossy VP8 / lossless VP8L) file cannot carry XMP; promote it to the extended format,
        # whose VP8X header repeats the canvas size and says whether the image has alpha.
        width, height = header_size(data, "webp")
        flags = _VP8X_XMP
        if first.kind == b"VP8L" and int.from_bytes(first.payload[1:5], "little") & _VP8L_ALPHA_BIT:
            flags |= _VP8X_ALPHA
        canvas = (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
        vp8x = bytes([flags, 0, 0, 0]) + canvas
        encoded.insert(0, riff_chunk(b"VP8X", vp8x))
    encoded.append(riff_chunk(b"XMP ", _xmp_packet(fields, document)))
    return riff_file(encoded)


def _webp_document(data: bytes) -> str | None:
    try:
        packet = next((c.payload for c in iter_riff_chunks(data) if c.kind == b"XMP "), None)
    except InvalidInput:
        return None
    if packet is None:
        return None
    text = packet.decode("utf-8", errors="replace")
    # Uploads carry untrusted XMP: without a DTD no entity can be declared, so no expansion bomb and no
    # external fetch is possible (ElementTree never fetches anyway).
    if re.search(r"<!(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        return None
    try:
        root = ET.fromstring(text)  # noqa: S314 - DTDs are refused above
    except ET.ParseError:
        return None
    tag = f"{{{XMP_NS}}}json"
    for element in root.iter():
        if element.tag == tag:
            return element.text or ""
        # XMP tools may rewrite simple properties as attributes of rdf:Description.
        if tag in element.attrib:
            return element.attrib[tag]
    return None
