"""A parsed command (stage 3): what the designer asked for, in taxonomy terms."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from designer_bff.domain.spec import CamelModel

Mode = Literal["specific", "exploratory"]


class Intent(CamelModel):
    """Text → intent. Values are canonical taxonomy values; anything not placed is in `unplaced`.

    `count` is None when the command names no number (the caller applies its default); `garment` is None
    for generic nouns ("pieces", "outfits", "looks", "designs"). `attributes` holds every other placed
    attribute by spec path ("garment.neckline": "v-neck", "fabric.drape": "structured"), so
    `to_spec_tree()` gives the partial spec the sampler varies around. `modifiers` are words that qualify
    the request without being a garment attribute (mood, lighting, "bold", "varied"); `schedule` is
    "overnight" for batch requests meant for the nightly run.
    """

    command: str
    count: int | None = None
    garment: str | None = None
    colors: list[str] = Field(default_factory=list)
    fabrics: list[str] = Field(default_factory=list)
    silhouette: str | None = None
    style: str | None = None
    occasion: str | None = None
    mode: Mode = "specific"
    modifiers: list[str] = Field(default_factory=list)
    attributes: dict[str, str | list[str]] = Field(default_factory=dict)
    schedule: Literal["now", "overnight"] = "now"
    unplaced: list[str] = Field(default_factory=list)
    parser: str = "offline"

    def to_spec_tree(self) -> dict[str, object]:
        """The partial spec this intent fixes (nested; first colour primary, second secondary)."""
        flat: dict[str, object] = dict(self.attributes)
        if self.garment:
            flat["garment.type"] = self.garment
        if self.silhouette:
            flat["garment.silhouette"] = self.silhouette
        if self.fabrics:
            flat["fabric.type"] = self.fabrics[0]
        if self.style:
            flat["style.aesthetic"] = self.style
        if self.occasion:
            flat["style.occasion"] = self.occasion
        if self.colors:
            flat["color.primary"] = self.colors[0]
        if len(self.colors) > 1:
            flat["color.secondary"] = self.colors[1]
        tree: dict[str, object] = {}
        for path, value in flat.items():
            node = tree
            *parents, leaf = path.split(".")
            for part in parents:
                node = node.setdefault(part, {})  # type: ignore[assignment]
            node[leaf] = value
        return tree
