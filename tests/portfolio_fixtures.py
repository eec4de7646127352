"""Made-up portfolios for tests: tech-flat renders of known garments, and ZIPs (good and hostile)."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from designer_bff.domain.spec import GarmentSpec
from designer_bff.techflat import render_png

# (garment, colour, pattern, fabric, aesthetic): three directions a person would tell apart.
LOOKS: tuple[tuple[str, str, str, str, str], ...] = (
    ("gown", "burgundy", "solid", "satin", "glamorous"),
    ("dress", "emerald", "solid", "silk", "glamorous"),
    ("gown", "black", "solid", "velvet", "glamorous"),
    ("blazer", "navy", "solid", "wool", "minimalist"),
    ("pants", "charcoal", "solid", "wool", "minimalist"),
    ("coat", "camel", "solid", "cashmere", "minimalist"),
    ("dress", "blush", "floral", "chiffon", "romantic"),
    ("blouse", "ivory", "polka-dot", "silk", "romantic"),
    ("skirt", "lavender", "floral", "tulle", "romantic"),
)


def look_spec(i: int) -> GarmentSpec:
    """The i-th look (cycling through LOOKS) as a canonical spec."""
    garment, colour, pattern, fabric, aesthetic = LOOKS[i % len(LOOKS)]
    tree: dict[str, Any] = {
        "garment": {"type": garment},
        "color": {"primary": colour, "pattern": {"type": pattern}},
        "fabric": {"type": fabric},
        "style": {"aesthetic": aesthetic},
    }
    if pattern != "solid":
        tree["color"]["secondary"] = "white" if colour != "ivory" else "navy"
        tree["color"]["pattern"]["scale"] = "medium"
    return GarmentSpec.model_validate(tree)


def portfolio_pngs(n: int, *, seed: int = 0, size: tuple[int, int] = (240, 300)) -> list[tuple[str, bytes]]:
    """`n` distinct garment renders as (filename, PNG bytes)."""
    return [
        (f"look-{i:03d}.png", render_png(look_spec(i), seed=seed + i, width=size[0], height=size[1]))
        for i in range(n)
    ]


def zip_bytes(entries: list[tuple[str, bytes]], *, compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A ZIP archive holding `entries` (names are written verbatim, hostile ones included)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for name, data in entries:
            archive.writestr(zipfile.ZipInfo(name), data, compress_type=compression)
    return buffer.getvalue()
