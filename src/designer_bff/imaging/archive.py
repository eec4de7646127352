"""Safe reading of uploaded ZIP archives: members in memory, never extracted by name onto disk.

Every member is checked on its own — unsafe names, nested archives, encryption, oversized or suspiciously
compressed entries are reported and skipped while the rest is read — and the archive as a whole is
capped in entries and uncompressed bytes, so a zip bomb costs at most the configured limit.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from dataclasses import dataclass, field

from designer_bff.errors import InvalidInput, PayloadTooLarge

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_ARCHIVE_SUFFIXES = (".zip", ".rar", ".7z", ".tar", ".gz", ".tgz", ".bz2", ".xz")
_MAX_RATIO = 200  # images barely compress; a member inflating 200× is a bomb, not a photo
_READ_CHUNK = 1 << 16


@dataclass
class ArchiveContents:
    """Members read from an archive and the ones refused, each with the reason."""

    files: list[tuple[str, bytes]] = field(default_factory=list)
    refused: list[tuple[str, str]] = field(default_factory=list)


def is_zip(data: bytes) -> bool:
    """True when the bytes start like a ZIP archive."""
    return data[:4] in ZIP_MAGIC


def _unsafe_name(name: str) -> str | None:
    if "\x00" in name:
        return "its name contains a NUL byte"
    normal = posixpath.normpath(name.replace("\\", "/"))
    if name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":"):
        return "its path is absolute"
    if normal == ".." or normal.startswith("../"):
        return "its path leaves the archive (path traversal)"
    return None


def _skipped(info: zipfile.ZipInfo) -> bool:
    """Directories and the metadata files macOS and editors add — not user content, not worth a report."""
    base = posixpath.basename(info.filename.rstrip("/"))
    hidden = base.startswith(".") or base == "Thumbs.db"
    return info.is_dir() or info.filename.startswith("__MACOSX/") or hidden


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """Read at most `limit` bytes, whatever the header claims (headers can lie about sizes)."""
    out = bytearray()
    with archive.open(info) as handle:
        while chunk := handle.read(_READ_CHUNK):
            out.extend(chunk)
            if len(out) > limit:
                raise PayloadTooLarge(f"{info.filename} inflates past {limit} bytes", field="file")
    return bytes(out)


def read_zip(
    data: bytes, *, label: str, max_entries: int, max_member_bytes: int, max_total_bytes: int
) -> ArchiveContents:
    """Read a ZIP's image candidates safely (InvalidInput for a broken archive or too many entries)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InvalidInput(f"{label} is not a readable ZIP archive ({exc})", field="files") from exc
    entries = [i for i in infos if not _skipped(i)]
    if len(entries) > max_entries:
        raise InvalidInput(
            f"{label} has {len(entries)} files; at most {max_entries} are accepted", field="files"
        )
    contents = ArchiveContents()
    total = 0
    for info in entries:
        name = info.filename
        reason = _unsafe_name(name)
        if reason is None and info.flag_bits & 0x1:
            reason = "it is encrypted"
        if reason is None and name.lower().endswith(_ARCHIVE_SUFFIXES):
            reason = "nested archives are not accepted"
        if reason is None and info.file_size > max_member_bytes:
            reason = f"it is {info.file_size} bytes uncompressed, over the {max_member_bytes}-byte limit"
        if reason is None and info.compress_size and info.file_size / info.compress_size > _MAX_RATIO:
            reason = f"it compresses {info.file_size // info.compress_size}:1, which only a zip bomb does"
        if reason is None and total + info.file_size > max_total_bytes:
            reason = f"the archive would inflate past {max_total_bytes} bytes in total"
        if reason is not None:
            contents.refused.append((name, reason))
            continue
        try:
            member = _read_member(archive, info, min(max_member_bytes, max_total_bytes - total))
        except PayloadTooLarge as exc:
            contents.refused.append((name, exc.message))
            continue
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
            contents.refused.append((name, f"it cannot be read ({exc})"))
            continue
        if is_zip(member):
            contents.refused.append((name, "nested archives are not accepted"))
            continue
        total += len(member)
        contents.files.append((posixpath.basename(name), member))
    return contents
