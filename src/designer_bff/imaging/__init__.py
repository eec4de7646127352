"""Image handling: upload validation, validated decoding, thumbnails, WebP conversion, provenance metadata."""

from __future__ import annotations

from designer_bff.imaging.decode import ImageInfo, inspect_upload, load_rgb, make_thumbnail, to_webp
from designer_bff.imaging.metadata import embed_metadata, read_metadata
from designer_bff.imaging.sniff import ACCEPTED, detect_format

__all__ = [
    "ACCEPTED",
    "ImageInfo",
    "detect_format",
    "embed_metadata",
    "inspect_upload",
    "load_rgb",
    "make_thumbnail",
    "read_metadata",
    "to_webp",
]
