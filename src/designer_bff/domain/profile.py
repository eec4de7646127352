"""A designer's style profile (stage 2): named clusters with weights and attribute distributions."""

from __future__ import annotations

from pydantic import Field

from designer_bff.domain.spec import CamelModel


class ValueShare(CamelModel):
    """One value of an attribute and its share (0..1) among the images that state the attribute."""

    value: str
    share: float = Field(ge=0, le=1)
    count: float = Field(ge=0, description="Weighted number of images (feedback can weigh an image up).")


class ColorShare(CamelModel):
    """A signature colour: taxonomy name, a measured hex and its share of the measured garment surface."""

    name: str
    hex: str
    share: float = Field(ge=0, le=1)


class ProfileCluster(CamelModel):
    """One style direction: e.g. name "Fluid Evening", descriptor "a-line, silk, glossy", weight 35 %."""

    id: int
    name: str
    descriptor: str
    weight: float = Field(ge=0, le=100, description="Share of the portfolio, percent.")
    size: int = Field(ge=0)
    attributes: dict[str, list[ValueShare]] = Field(
        default_factory=dict, description="Spec path → value distribution inside this cluster."
    )
    colors: list[ColorShare] = Field(default_factory=list)
    exemplars: list[str] = Field(default_factory=list, description="Portfolio image ids nearest the centre.")


class Signature(CamelModel):
    """What recurs across the whole portfolio."""

    colors: list[ColorShare] = Field(default_factory=list)
    fabrics: list[ValueShare] = Field(default_factory=list)
    details: list[ValueShare] = Field(default_factory=list)


class StyleProfile(CamelModel):
    """The whole profile. `attributes` are portfolio-wide distributions (spec path → values)."""

    images: int
    clusters: list[ProfileCluster]
    attributes: dict[str, list[ValueShare]] = Field(default_factory=dict)
    signature: Signature = Field(default_factory=Signature)
    summary: str = ""
    silhouette_score: float | None = None
