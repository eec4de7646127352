"""The command line as a designer uses it: a fresh data directory, real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from PIL import Image

from designer_bff.imaging import read_metadata


def _run(args: list[str], data_dir: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESIGNER_BFF_DATA_DIR": str(data_dir), **extra}
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "designer_bff", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_help_lists_commands(tmp_path: Path) -> None:
    result = _run(["--help"], tmp_path)
    assert result.returncode == 0
    for command in ("generate", "demo", "serve", "worker", "migrate", "user"):
        assert command in result.stdout


def test_generate_writes_images_contact_sheet_and_manifest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = _run(
        [
            "generate",
            "red polka dot wrap dress",
            "-n",
            "3",
            "--out",
            str(out),
            "--seed",
            "4",
            "--aspect-ratio",
            "3:4",
        ],
        tmp_path / "data",
    )
    assert result.returncode == 0, result.stderr
    assert "contact sheet:" in result.stdout
    manifest = json.loads((out / "manifest.json").read_text())
    assert len(manifest["images"]) == 3
    html = (out / "index.html").read_text()
    for entry in manifest["images"]:
        path = out / entry["file"]
        assert entry["file"] in html and entry["caption"] in html
        assert Image.open(path).size == (768, 1024)
        meta = read_metadata(path.read_bytes())
        assert meta["spec"]["color"]["primary"] == "red"
        assert meta["spec"]["color"]["pattern"]["type"] == "polka-dot"
        assert meta["seed"] == entry["seed"]
    # State lives in the data directory only.
    assert (tmp_path / "data" / "designer_bff.db").exists()


def test_user_create_and_migrate(tmp_path: Path) -> None:
    assert "revision 0006" in _run(["migrate"], tmp_path).stdout
    ok = _run(["user", "create", "ana@example.com", "--password", "long-enough-pw"], tmp_path)
    assert ok.returncode == 0 and "created user ana@example.com" in ok.stdout
    dup = _run(["user", "create", "ana@example.com", "--password", "long-enough-pw"], tmp_path)
    assert dup.returncode == 1 and "already exists" in dup.stderr


def test_bad_settings_are_reported_clearly(tmp_path: Path) -> None:
    result = _run(["migrate"], tmp_path, DESIGNER_BFF_STORAGE_BACKEND="s3")
    assert result.returncode == 2
    assert "S3_BUCKET" in result.stderr
