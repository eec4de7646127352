"""PNG and RIFF (WebP) chunk reading and writing, so metadata can be spliced in without re-encoding pixels."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from designer_bff.errors import InvalidInput
from designer_bff.imaging.sniff import PNG_SIGNATURE


@dataclass(frozen=True)
class Chunk:
    """One chunk: its four-byte type and payload, plus its complete encoded bytes as found in the file."""

    kind: bytes
    payload: bytes
    raw: bytes


def iter_png_chunks(data: bytes, *, check_crc: bool = True) -> Iterator[Chunk]:
    """Yield the chunks of a PNG up to and including IEND; InvalidInput when truncated or corrupt."""
    if not data.startswith(PNG_SIGNATURE):
        raise InvalidInput("not a PNG file")
    pos = len(PNG_SIGNATURE)
    while True:
        if pos + 12 > len(data):
            raise InvalidInput("the PNG is truncated (no IEND chunk)")
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        end = pos + 12 + length
        if end > len(data):
            raise InvalidInput(f"the PNG is truncated inside a {kind.decode('latin-1')!r} chunk")
        payload = data[pos + 8 : end - 4]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if check_crc and zlib.crc32(kind + payload) != crc:
            raise InvalidInput(f"the PNG is corrupt: bad checksum in a {kind.decode('latin-1')!r} chunk")
        yield Chunk(kind, payload, data[pos:end])
        if kind == b"IEND":
            return
        pos = end


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """Encode one PNG chunk (length, type, payload, CRC)."""
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", zlib.crc32(kind + payload))


def itxt_payload(keyword: str, text: str, *, compress: bool = False) -> bytes:
    """Payload of an iTXt chunk: UTF-8 text under a Latin-1 keyword, optionally zlib-compressed."""
    body = text.encode("utf-8")
    if compress:
        body = zlib.compress(body, 9)
    # keyword NUL, compression flag, method 0, empty language tag NUL, empty translated keyword NUL
    return keyword.encode("latin-1") + b"\x00" + bytes([int(compress), 0]) + b"\x00\x00" + body


def text_chunk_entry(chunk: Chunk) -> tuple[str, str] | None:
    """Keyword and text of a tEXt, zTXt or iTXt chunk; None for other chunks or unreadable ones."""
    try:
        keyword, _, rest = chunk.payload.partition(b"\x00")
        name = keyword.decode("latin-1")
        if chunk.kind == b"tEXt":
            return name, rest.decode("latin-1")
        if chunk.kind == b"zTXt":
            return name, zlib.decompress(rest[1:]).decode("latin-1")
        if chunk.kind == b"iTXt":
            flag = rest[0]
            _language, _, rest = rest[2:].partition(b"\x00")
            _translated, _, body = rest.partition(b"\x00")
            return name, (zlib.decompress(body) if flag else body).decode("utf-8")
    except (IndexError, UnicodeDecodeError, zlib.error):
        return None
    return None


def iter_riff_chunks(data: bytes) -> Iterator[Chunk]:
    """Yield the chunks of a RIFF/WEBP file after the 12-byte file header; InvalidInput when truncated."""
    if not (data.startswith(b"RIFF") and data[8:12] == b"WEBP"):
        raise InvalidInput("not a WebP file")
    (riff_size,) = struct.unpack("<I", data[4:8])
    limit = 8 + riff_size
    if limit > len(data):
        raise InvalidInput("the WebP is truncated")
    pos = 12
    while pos < limit:
        if pos + 8 > limit:
            raise InvalidInput("the WebP is truncated inside a chunk header")
        kind, length = struct.unpack("<4sI", data[pos : pos + 8])
        end = pos + 8 + length + (length & 1)  # chunks are padded to an even size
        if pos + 8 + length > limit:
            raise InvalidInput(f"the WebP is truncated inside a {kind.decode('latin-1')!r} chunk")
        yield Chunk(kind, data[pos + 8 : pos + 8 + length], data[pos : min(end, limit)])
        pos = end


def riff_chunk(kind: bytes, payload: bytes) -> bytes:
    """Encode one RIFF chunk (type, little-endian length, payload, pad byte when odd)."""
    pad = b"\x00" if len(payload) & 1 else b""
    return kind + struct.pack("<I", len(payload)) + payload + pad


def riff_file(chunks: list[bytes]) -> bytes:
    """Wrap encoded chunks into a RIFF/WEBP file with the right size field."""
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body
