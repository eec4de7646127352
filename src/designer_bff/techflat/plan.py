"""Turn a (mostly optional) GarmentSpec plus a seed into a complete drawing plan.

Everything the spec states is copied verbatim; only what it leaves open is filled from the
per-garment defaults below, and the seed only varies details the spec cannot express.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from designer_bff.domain.spec import GarmentSpec
from designer_bff.taxonomy import load_taxonomy
from designer_bff.techflat.colors import Palette, build_palette


@dataclass(frozen=True)
class Look:
    """Default cut of one garment type."""

    silhouette: str
    neckline: str | None
    sleeve: tuple[str, str]
    length: str
    closures: tuple[str, ...] = ()
    pockets: str = "none"
    hem: str = "straight"
    waist: str | None = None


DEFAULTS: dict[str, Look] = {
    "dress": Look("a-line", "crew", ("set-in", "short"), "knee", waist="natural"),
    "gown": Look("ball-gown", "sweetheart", ("none", "sleeveless"), "floor", waist="natural"),
    "top": Look("fitted", "scoop", ("none", "sleeveless"), "hip"),
    "blouse": Look("relaxed", "v-neck", ("bishop", "long"), "hip", ("buttons",)),
    "shirt": Look("straight", "collared", ("set-in", "long"), "hip", ("buttons",), "patch", "curved"),
    "t-shirt": Look("straight", "crew", ("set-in", "short"), "hip"),
    "sweater": Look("relaxed", "crew", ("set-in", "long"), "hip"),
    "cardigan": Look("relaxed", "v-neck", ("set-in", "long"), "hip", ("buttons",), "patch"),
    "blazer": Look("fitted", "collared", ("set-in", "long"), "hip", ("buttons",), "flap"),
    "jacket": Look("straight", "collared", ("set-in", "long"), "hip", ("buttons",), "flap"),
    "bomber": Look("relaxed", "crew", ("raglan", "long"), "hip", ("zipper",), "welt"),
    "vest": Look("fitted", "v-neck", ("none", "sleeveless"), "hip", ("buttons",), "welt"),
    "coat": Look("straight", "collared", ("set-in", "long"), "knee", ("buttons",), "flap"),
    "trench": Look("straight", "collared", ("set-in", "long"), "knee", ("buttons",), "flap", waist="belted"),
    "pants": Look("straight", None, ("none", "sleeveless"), "ankle", ("zipper", "buttons"), "slash"),
    "jeans": Look("straight", None, ("none", "sleeveless"), "ankle", ("zipper", "buttons"), "slash"),
    "skirt": Look("a-line", None, ("none", "sleeveless"), "knee", ("zipper",)),
    "shorts": Look("relaxed", None, ("none", "sleeveless"), "mini", ("zipper", "buttons"), "slash"),
    "jumpsuit": Look(
        "wide-leg", "v-neck", ("set-in", "short"), "ankle", ("buttons",), "slash", waist="belted"
    ),
    "romper": Look("relaxed", "square", ("puff", "short"), "mini", waist="elasticated"),
    "bodysuit": Look("fitted", "scoop", ("set-in", "long"), "hip", ("snaps",)),
    "set": Look("relaxed", "crew", ("set-in", "short"), "ankle", ("drawstring",)),
}
KNIT_TYPES = {"t-shirt", "sweater", "cardigan", "bodysuit", "bomber"}
EASE = {"slim": 0.0, "regular": 1.5, "relaxed": 3.5, "oversized": 6.5}
UNWAISTED = {"shift", "sheath", "bodycon", "straight", "relaxed", "oversized"}
SLIM_SILHOUETTES = {"fitted", "bodycon", "sheath", "pencil", "mermaid"}
# Top-of-garment hem heights (cm below the shoulder) for each length value.
TOP_LENGTH = {
    "crop": 33.0,
    "hip": 60.0,
    "mini": 80.0,
    "knee": 98.0,
    "midi": 116.0,
    "maxi": 138.0,
    "ankle": 141.0,
    "floor": 150.0,
}
HIP_BY_TYPE = {"shirt": 66.0, "blazer": 68.0, "jacket": 57.0, "bomber": 58.0, "vest": 58.0, "top": 57.0}
BOTTOM_LENGTH = {
    "crop": 126.0,
    "hip": 72.0,
    "mini": 77.0,
    "knee": 98.0,
    "midi": 116.0,
    "maxi": 141.0,
    "ankle": 141.0,
    "floor": 150.0,
}
BUTTONS = {"shirt": (6, 8), "cardigan": (5, 7), "coat": (3, 4), "blazer": (1, 2), "vest": (4, 5)}


@dataclass
class Plan:
    """A fully resolved drawing plan."""

    kind: str
    group: str
    silhouette: str
    ease: float
    neckline: str
    sleeve_type: str
    sleeve_length: str
    length: str
    hem_y: float
    waist: str | None
    closures: tuple[str, ...]
    pockets: str
    hem: str
    embellishments: tuple[str, ...]
    hardware: tuple[str, ...]
    seams: str | None
    topstitch: bool
    knit: bool
    rib: bool  # rib-knit bands at hem and cuffs
    sheer: float  # fill opacity
    gloss: bool
    quilted: bool
    pattern: str
    pattern_scale: str | None
    palette: Palette
    rng: random.Random
    jw: float = 1.0  # width jitter
    jl: float = 1.0  # length jitter
    buttons: int = 5

    @property
    def sleeveless(self) -> bool:
        """True when the garment shows bare armholes (or no shoulder at all)."""
        return self.sleeve_type == "none" or self.sleeve_length == "sleeveless"

    def has(self, closure: str) -> bool:
        """Whether the closure list contains `closure`."""
        return closure in self.closures


def make_plan(spec: GarmentSpec, seed: int, *, kind: str | None = None, part: str = "main") -> Plan:
    """Resolve the spec for `kind` (defaults to the spec's own garment type)."""
    g = spec.garment
    kind = kind or g.type
    look = DEFAULTS[kind]
    # Each part of a set gets its own stream so a change to the top never reshuffles the bottom.
    rng = random.Random(f"{seed}:{kind}:{part}")
    group = load_taxonomy().group_of(kind) if kind != "set" else "set"
    silhouette = g.silhouette or look.silhouette
    fit = g.fit or (
        "slim"
        if silhouette in SLIM_SILHOUETTES
        else "oversized"
        if silhouette == "oversized"
        else "relaxed"
        if silhouette in ("relaxed", "wide-leg")
        else "regular"
    )
    if g.sleeve is not None:
        sleeve_type, sleeve_length = g.sleeve.type, g.sleeve.length
    else:
        sleeve_type, sleeve_length = look.sleeve
    if sleeve_type == "none":
        sleeve_length = "sleeveless"
    length = g.length or look.length
    if group == "bottom" or part == "bottom":
        hem_y = BOTTOM_LENGTH[length]
    elif length == "hip":
        hem_y = HIP_BY_TYPE.get(kind, TOP_LENGTH["hip"])
    else:
        hem_y = TOP_LENGTH[length]
    fab, con = spec.fabric, spec.construction
    knit = kind in KNIT_TYPES or fab.type in ("knit", "jersey") or fab.texture == "ribbed"
    closures = tuple(c for c in (g.closures or list(look.closures)) if c != "none")
    lo, hi = BUTTONS.get(kind, (4, 6))
    contrast = con.stitching == "contrast" or (kind == "jeans" and con.stitching is None)
    metal = "metal-buttons" in con.hardware or kind == "jeans"
    palette = build_palette(
        spec.color.primary, spec.color.secondary, kind, contrast_stitch=contrast, metal_hardware=metal
    )
    sheer = {"sheer": 0.55, "semi-sheer": 0.78}.get(fab.opacity or "", 1.0)
    if fab.type in ("chiffon", "organza", "tulle") and fab.opacity is None:
        sheer = 0.78
    return Plan(
        kind=kind,
        group=group,
        silhouette=silhouette,
        ease=EASE[fit] + (2.0 if group == "outerwear" and kind != "vest" else 0.0),
        neckline=g.neckline or look.neckline or "crew",
        sleeve_type=sleeve_type,
        sleeve_length=sleeve_length,
        length=length,
        hem_y=hem_y,
        waist=g.waist
        or (look.waist if silhouette not in UNWAISTED or kind not in ("dress", "gown") else None),
        closures=closures,
        pockets=g.pockets or look.pockets,
        hem=g.hem or look.hem,
        embellishments=tuple(con.embellishments),
        hardware=tuple(con.hardware),
        seams=con.seams,
        topstitch=con.seams in ("topstitched", "flat-felled")
        or kind in ("jeans", "jacket", "shirt", "t-shirt"),
        knit=knit,
        rib=kind in ("sweater", "cardigan") or fab.type == "knit" or fab.texture == "ribbed",
        sheer=sheer,
        gloss=fab.finish in ("glossy", "sheen", "metallic") or fab.type in ("satin", "silk", "leather"),
        quilted=fab.texture == "quilted",
        pattern=spec.color.pattern.type,
        pattern_scale=spec.color.pattern.scale,
        palette=palette,
        rng=rng,
        jw=1 + rng.uniform(-0.035, 0.035),
        jl=1 + rng.uniform(-0.03, 0.03),
        buttons=rng.randint(lo, hi),
    )
