"""Stage 6: prompt parts, per-family rendering within real provider limits, negatives, CLIP windows."""

from __future__ import annotations

import random
import re
from typing import Any

import pytest

from designer_bff.domain.spec import GarmentSpec
from designer_bff.pipeline.modifiers import choose_modifiers, modifier_by_id
from designer_bff.pipeline.prompt import (
    PromptParts,
    Term,
    build_prompt,
    clip_tokens,
    clip_windows,
    negative_prompt,
    prompt_parts,
    render,
    render_pair,
)
from designer_bff.pipeline.sampling import sample_specs
from designer_bff.providers import comfyui, diffusers_local, google_genai, openai_images, replicate, stability
from designer_bff.providers.base import Capabilities, PromptFamily
from designer_bff.providers.tech_flat import TechFlatProvider
from designer_bff.taxonomy import load_taxonomy

FAMILIES: tuple[PromptFamily, ...] = (
    "sd",
    "sd-plain",
    "flux",
    "imagen",
    "dalle",
    "gpt-image",
    "gemini",
    "tech-flat",
)
PROSE: tuple[PromptFamily, ...] = ("flux", "imagen", "dalle", "gpt-image", "gemini", "tech-flat")
TIGHT = 300


def _capabilities() -> dict[str, Capabilities]:
    """Every real adapter's capabilities, plus a tight 300-character limit per family."""
    caps = {f"openai:{k}": m.capabilities for k, m in openai_images.MODELS.items()}
    caps |= {f"replicate:{k}": f.capabilities for k, f in replicate.FAMILIES.items()}
    caps |= {f"google:{k}": m.capabilities for k, m in google_genai.MODELS.items()}
    caps |= {
        f"stability:{k}": stability.StabilityProvider(model=k, api_key=None).capabilities
        for k in stability.MODELS
    }
    caps["comfyui"] = comfyui.ComfyUIProvider(base_url=None).capabilities
    caps["diffusers"] = diffusers_local.DiffusersProvider.capabilities
    caps["tech-flat"] = TechFlatProvider.capabilities
    for family in FAMILIES:
        caps[f"tight:{family}"] = Capabilities(
            negative_prompt=family in ("sd", "sd-plain"),
            aspect_ratios=("1:1",),
            max_prompt_length=TIGHT,
            prompt_family=family,
        )
    return caps


CAPS = _capabilities()


def _values(category: str) -> tuple[str, ...]:
    return load_taxonomy().category(category).values


def _pick(category: str, i: int, *, skip: int = 0) -> str | None:
    """Cycle deterministically through a category's values; every `skip`-th spec leaves it unset."""
    if skip and i % skip == 0:
        return None
    values = _values(category)
    return values[i % len(values)]


def _enrich(spec: GarmentSpec, i: int) -> GarmentSpec:
    """A sampled spec with every optional attribute filled, cycling through the whole taxonomy."""
    tree: dict[str, Any] = spec.model_dump(by_alias=True, exclude_none=True)
    g, f, k, s, p = (
        tree.setdefault(x, {}) for x in ("garment", "fabric", "construction", "style", "photography")
    )
    g.update(fit=_pick("fit", i), closures=[_pick("closure", i)], pockets=_pick("pockets", i))
    g.update(hem=_pick("hem", i), waist=_pick("waist", i))
    for attr, cat in (("texture", "texture"), ("weight", "fabric_weight"), ("drape", "drape")):
        f[attr] = _pick(cat, i)
    f.update(finish=_pick("finish", i), stretch=_pick("stretch", i), opacity=_pick("opacity", i))
    k.update(embellishments=[_pick("embellishment", i)], hardware=[_pick("hardware", i)])
    k.update(seams=_pick("seams", i), stitching=_pick("stitching", i), lining=_pick("lining", i))
    s.update(formality=_pick("formality", i), season=_pick("season", i), occasion=_pick("occasion", i))
    s.update(aesthetic=_pick("aesthetic", i), mood=_pick("mood", i, skip=2))
    p.update(shot=_pick("shot", i), cameraHeight=_pick("camera_height", i), pose=_pick("pose", i))
    p.update(lightingType=_pick("lighting_type", i, skip=3), lightingDirection=_pick("lighting_direction", i))
    p.update(background=_pick("background", i))
    if i % 4 == 1:
        p["modelPresentation"] = "tall model with (cropped) dark hair: natural make-up"
    if i % 5 == 2:
        colours = load_taxonomy().colors
        name = tree["color"]["primary"]
        tree["color"]["palette"] = [
            {"name": name, "hex": colours[name], "coverage": 70, "role": "primary"},
            {"name": "gold", "hex": colours["gold"], "coverage": 30, "role": "accent"},
        ]
    return GarmentSpec.model_validate({key: v for key, v in tree.items() if v not in ({}, None)})


SAMPLED = sample_specs({}, 50, seed=2024)
SPECS = SAMPLED + [_enrich(spec, i) for i, spec in enumerate(sample_specs({}, 50, seed=7))]


def _parts(spec: GarmentSpec, i: int) -> PromptParts:
    mods = [c.modifier for c in choose_modifiers({}, random.Random(i))]
    return prompt_parts(
        spec,
        user_prompt="make me a standout piece for the summer collection" if i % 2 else None,
        signature="signature palette rust and cream; silk and linen; pleats" if i % 3 else None,
        persona_keywords=("flowing layers", "earthy tones", "artisan details"),
        modifiers=mods,
    )


def _essentials(spec: GarmentSpec) -> list[str]:
    fabric = "technical fabric" if spec.fabric.type == "synthetic" else spec.fabric.type
    kind = "co-ord set" if spec.garment.type == "set" else spec.garment.type
    return [x for x in (kind, spec.color.primary, fabric) if x]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w#'-]+", text.lower()))


@pytest.mark.parametrize("provider", sorted(CAPS))
def test_every_family_fits_every_provider_and_keeps_the_essentials(provider: str) -> None:
    caps = CAPS[provider]
    for i, spec in enumerate(SPECS):
        parts = _parts(spec, i)
        pair = render_pair(
            parts,
            caps.prompt_family,
            max_length=caps.max_prompt_length,
            negative_supported=caps.negative_prompt,
            spec=spec,
            user_negative="fur trim",
        )
        assert 0 < len(pair.prompt) <= caps.max_prompt_length, (provider, i)
        assert len(pair.negative_prompt) <= caps.max_prompt_length
        assert bool(pair.negative_prompt) == caps.negative_prompt
        for word in _essentials(spec):
            assert word in pair.prompt.lower(), (provider, i, word, pair.prompt)
        # Terms are dropped whole: no word appears that the unlimited rendering does not have.
        full = render(parts, caps.prompt_family, max_length=10**6)
        assert _words(pair.prompt) <= _words(full) | {"fur", "trim"}, (provider, i)


def test_tight_limit_drops_lowest_priority_first() -> None:
    spec = SPECS[60]
    parts = _parts(spec, 1)
    full = render(parts, "sd", max_length=10**6)
    one_less = render(parts, "sd", max_length=len(full) - 1)
    # Exactly the last, lowest-priority modifier goes; everything else is kept in order.
    assert full.startswith(one_less) and len(one_less) < len(full)
    assert full[len(one_less) :].lstrip(", ") == parts.modifiers[-1].text
    tight = render(parts, "sd", max_length=TIGHT)
    assert not any(m.text in tight for m in parts.modifiers)
    assert parts.garment[0].text in tight and parts.fabric[0].text in tight


def test_essentials_that_cannot_fit_raise() -> None:
    with pytest.raises(ValueError, match="max_length 20"):
        render(_parts(SPECS[0], 0), "dalle", max_length=20)


_WEIGHTED = re.compile(r"\(([^():]+):(\d+(?:\.\d+)?)\)")


def _parse_sd(text: str) -> list[tuple[str, float]]:
    """Weighted groups and bare tags, in order (a bare tag may not contain emphasis syntax)."""
    out: list[tuple[str, float]] = []
    for piece in re.split(r",\s*(?![^()]*\))", text):
        m = _WEIGHTED.fullmatch(piece)
        if m:
            out.append((m.group(1), float(m.group(2))))
        else:
            assert not re.search(r"[():]", piece), piece
            out.append((piece, 1.0))
    return out


def test_sd_weights_parse_back_and_essentials_lead_the_first_clip_window() -> None:
    for i, spec in enumerate(SPECS):
        parts = _parts(spec, i)
        text = render(parts, "sd", max_length=1000)
        tags = _parse_sd(text)
        assert all(0.8 <= w <= 1.4 for _, w in tags)
        assert not re.search(r":1(?:\.0+)?\)", text)  # neutral weight is written bare
        weights = dict(tags)
        assert weights[parts.garment[0].text] == 1.3 and weights[parts.fabric[0].text] == 1.2
        if spec.color.primary:
            assert weights[f"{spec.color.primary} color"] == 1.25
        essential = [parts.garment[0], *parts.colour, parts.fabric[0], *parts.shot[:1]]
        assert [t for t, _ in tags[: len(essential)]] == [t.text for t in essential]
        prefix = ", ".join(t for t, _ in tags[: len(essential)])
        assert clip_tokens(prefix) <= 75
        first_window = clip_windows(text)[0]
        assert all(t.text in first_window for t in essential)
        plain = render(parts, "sd-plain", max_length=1000)
        assert "(" not in plain and ":" not in plain
        assert [t for t, _ in _parse_sd(plain)][: len(essential)] == [t.text for t in essential]


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        # Hand-counted with CLIP's pre-tokenizer rules (letter runs, single digits, punctuation), all words
        # here being whole entries of CLIP's vocabulary.
        ("a photo of a cat", 5),
        ("red silk dress, studio lighting", 6),
        ("a-line maxi dress", 5),
        ("(rust color:1.25), (silk:1.2)", 4),
        ("full-body fashion photograph, white seamless background", 9),
        ("35mm film", 4),
        ("off-the-shoulder neckline", 6),
        ("it's a dress", 4),
    ],
)
def test_clip_token_estimate_matches_hand_counts(text: str, tokens: int) -> None:
    assert clip_tokens(text) == tokens


def test_clip_estimate_counts_long_words_extra_and_windows_hold_75() -> None:
    assert clip_tokens("houndstooth") >= 2 and clip_tokens("contrapposto") >= 2
    assert clip_tokens("dress") == 1
    text = ", ".join(f"tag{i} pleated silk" for i in range(60))
    windows = clip_windows(text)
    assert len(windows) > 2
    assert all(clip_tokens(w) <= 75 for w in windows)
    assert ", ".join(windows) == text


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")


@pytest.mark.parametrize("family", PROSE)
def test_prose_is_sentences_in_the_family_register(family: PromptFamily) -> None:
    for i, spec in enumerate(SPECS):
        text = render(_parts(spec, i), family, max_length=4000)
        assert text.endswith(".") and "  " not in text and ",," not in text and " ." not in text
        assert not re.search(r"\([^()]*:\s*\d", text)  # no SD emphasis syntax in prose
        sentences = _SENTENCE.split(text)
        assert len(sentences) >= 3
        first = sentences[0]
        if family == "gemini":
            assert first.startswith("Create a")
        elif family in ("imagen", "flux") and spec.photography.shot:
            assert re.match(r"An? [\w -]+ (photograph|sketch) of an? ", first), first
        avoids = "text, logos or watermarks" in text
        assert avoids == (family in ("dalle", "gpt-image", "gemini")), text
        assert ("#" in text) == (family == "gpt-image")


def test_family_registers_for_one_spec() -> None:
    spec = GarmentSpec.model_validate(
        {
            "garment": {"type": "dress", "silhouette": "a-line", "length": "maxi", "neckline": "v-neck"},
            "fabric": {"type": "silk", "finish": "sheen"},
            "color": {
                "primary": "rust",
                "secondary": "cream",
                "pattern": {"type": "floral", "scale": "medium"},
            },
            "style": {"aesthetic": "bohemian"},
            "photography": {"shot": "on-model-full-body", "background": "white-seamless", "pose": "walking"},
        }
    )
    mods = [modifier_by_id("lighting:soft-window"), modifier_by_id("pose:twirl")]
    parts = prompt_parts(spec, modifiers=mods, persona_keywords=["earthy tones"])
    sd = render(parts, "sd", max_length=1000)
    assert sd.startswith(
        "(a-line maxi dress:1.3), (rust color:1.25), (medium-scale cream floral print:1.15), (silk:1.2), "
        "(full-body fashion photograph:1.1)"
    )
    assert "soft diffused window light" in sd and "earthy tones" in sd
    assert "twirling" not in sd  # the spec's own pose wins over a pose modifier
    imagen = render(parts, "imagen", max_length=1900)
    assert imagen.startswith(
        "A full-body studio fashion photograph of an a-line maxi dress in rust silk, with a medium-scale "
        "floral print in cream and a v-neckline, worn by a model."
    )
    assert render(parts, "gemini", max_length=1900).startswith("Create a full-body studio fashion photograph")
    dalle = render(parts, "dalle", max_length=4000)
    assert dalle.startswith("An a-line maxi dress in rust silk")
    assert "lit by soft diffused window light" in dalle and dalle.endswith("No text, logos or watermarks.")
    assert "Exact colors: rust (#B7410E) and cream (#" in render(parts, "gpt-image", max_length=4000)


def test_negatives_per_family() -> None:
    solid_sleeveless = GarmentSpec.model_validate(
        {
            "garment": {"type": "top", "sleeve": {"type": "none", "length": "sleeveless"}},
            "color": {"primary": "black"},
            "photography": {"shot": "on-model-full-body"},
        }
    )
    sd = negative_prompt("sd", spec=solid_sleeveless, user_negative="fur")
    items = sd.split(", ")
    assert items[:4] == ["fur", "pattern", "print", "sleeves"]
    assert {"bad anatomy", "extra fingers", "watermark", "low quality", "jpeg artifacts"} <= set(items)
    assert len(items) == len(set(items))
    assert negative_prompt("sd-plain", spec=solid_sleeveless) == sd.removeprefix("fur, ")
    flat = solid_sleeveless.model_copy(update={"photography": solid_sleeveless.photography.model_copy()})
    flat.photography.shot = "flat-lay"
    flat_items = negative_prompt("sd", spec=flat).split(", ")
    assert "person" in flat_items and "bad anatomy" not in flat_items
    prose = negative_prompt("flux", spec=solid_sleeveless)
    assert "watermark" in prose and len(prose) < len(sd) / 2
    for family in FAMILIES:
        assert negative_prompt(family, spec=solid_sleeveless, user_negative="fur", supported=False) == ""
    printed = SPECS[0].model_copy(update={"color": SPECS[0].color.model_copy()})
    printed.color.pattern = printed.color.pattern.model_copy(update={"type": "floral"})
    assert "print" not in negative_prompt("sd", spec=printed).split(", ")


def test_user_negative_without_negative_prompt_goes_into_the_avoidance_sentence() -> None:
    parts = _parts(SPECS[3], 3)
    kwargs: dict[str, Any] = {"max_length": 4000, "negative_supported": False, "user_negative": "fur"}
    dalle = render_pair(parts, "dalle", **kwargs)
    assert dalle.prompt.endswith("No fur, text, logos or watermarks.") and dalle.negative_prompt == ""
    gemini = render_pair(parts, "gemini", **kwargs)
    assert gemini.prompt.endswith("Do not include any fur, text, logos or watermarks.")
    imagen = render_pair(parts, "imagen", **kwargs)
    assert "fur" not in _words(imagen.prompt)  # naming it to a model that ignores negation would draw it
    sd = render_pair(
        parts, "sd", max_length=1000, negative_supported=True, spec=SPECS[3], user_negative="fur"
    )
    assert sd.negative_prompt.startswith("fur, ") and "fur" not in _words(sd.prompt)


def test_rendering_is_deterministic() -> None:
    for i, spec in enumerate(SPECS[:20]):
        for family in FAMILIES:
            a = render(_parts(spec, i), family, max_length=TIGHT + 100)
            b = render(_parts(spec, i), family, max_length=TIGHT + 100)
            assert a == b


def test_persona_keywords_weigh_less_and_model_less_shots_take_no_pose() -> None:
    spec = SAMPLED[0]  # sampled specs default to a technical flat
    assert spec.photography.shot == "technical-flat"
    parts = prompt_parts(
        spec, persona_keywords=["clean lines", "tailored"], modifiers=[modifier_by_id("pose:seated")]
    )
    assert [t.weight for t in parts.persona] == [1.0, 0.9]
    assert parts.modifiers == ()
    assert all(not t.essential for t in parts.persona + parts.details + parts.photography)
    assert Term("x").sentence_form == "x"


def test_build_prompt_is_the_generic_prose() -> None:
    spec = sample_specs({"garment": {"type": "coat"}, "color": {"primary": "camel"}}, 1, seed=1)[0]
    pair = build_prompt(spec, user_prompt="a camel coat", user_negative="fur")
    assert pair.prompt.startswith("a camel coat. A ")
    assert pair.prompt == render(
        prompt_parts(spec, user_prompt="a camel coat"), "tech-flat", max_length=10**6
    )
    assert pair.negative_prompt.startswith("fur, ") and "watermark" in pair.negative_prompt
