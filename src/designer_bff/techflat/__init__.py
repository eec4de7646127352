"""Offline technical-flat renderer: clean tech-pack line art of a GarmentSpec as SVG or PNG."""

from designer_bff.techflat.render import render_png, render_svg

__all__ = ["render_png", "render_svg"]
