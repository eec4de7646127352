"""Blobs as files under a root directory, written atomically."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from designer_bff.errors import InvalidInput, NotFound
from designer_bff.storage.base import validate_key


class LocalBlobStore:
    """Files under `root`, one per key; a crash mid-write never leaves a half-written blob."""

    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = Path(root).expanduser().resolve()

    def __repr__(self) -> str:
        return f"LocalBlobStore({str(self.root)!r})"

    def put(self, key: str, data: bytes, content_type: str) -> None:
        """Write `data` to the key's file atomically (temp file, fsync, rename)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # The temp file lives in the target directory so os.replace is a same-filesystem atomic rename;
        # readers see either the old blob or the new one, never a prefix. The dot prefix and suffix keep
        # it from ever matching a valid key.
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        _fsync_dir(path.parent)

    def get(self, key: str) -> bytes:
        """The key's file contents; NotFound when missing."""
        path = self._path(key)
        try:
            return path.read_bytes()
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise NotFound(f"blob {key} not found", key=key) from exc

    def delete(self, key: str) -> None:
        """Remove the key's file if present."""
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        """Whether the key's file exists."""
        return self._path(key).is_file()

    def url(self, key: str, expires_seconds: int) -> str | None:
        """Always None: local blobs are served by the app itself (via signed app URLs)."""
        validate_key(key)
        return None

    def check(self) -> None:
        """Raise OSError unless the root exists (or can be created) and accepts a file."""
        self.root.mkdir(parents=True, exist_ok=True)
        # A real write catches read-only mounts and full disks that os.access() would not notice.
        with tempfile.TemporaryFile(dir=self.root) as probe:
            probe.write(b"ok")

    def _path(self, key: str) -> Path:
        path = (self.root / validate_key(key)).resolve()
        # validate_key already rules out `..` and absolute keys; this also catches a symlink inside
        # the tree that points elsewhere.
        if not path.is_relative_to(self.root):
            raise InvalidInput(f"blob key {key} resolves outside the store", field="key")
        return path


def _fsync_dir(directory: Path) -> None:
    # Makes the rename itself durable; some platforms cannot open directories, which is harmless.
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
