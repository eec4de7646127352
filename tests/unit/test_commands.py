"""Stage 3: designer commands → Intent, offline. Each row is what a person expects the command to mean."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer_bff.pipeline.commands import find_terms, parse_command
from designer_bff.pipeline.commands_vocab import CATEGORY_PATHS, STOPWORDS
from designer_bff.pipeline.sampling import sample_specs
from designer_bff.taxonomy import load_taxonomy

# command → the fields a person expects. Unlisted: count None, garment None, no colours/fabrics, mode
# specific, schedule now, no attributes, no modifiers, nothing unplaced.
CASES: list[tuple[str, dict[str, Any]]] = [
    # The original documents' examples.
    ("make me 80 blue dresses", {"count": 80, "garment": "dress", "colors": ["blue"]}),
    (
        "20 structured blazers",
        {"count": 20, "garment": "blazer", "attributes": {"fabric.drape": "structured"}},
    ),
    ("create evening gowns", {"garment": "gown", "occasion": "evening"}),
    ("make me 100 outfits", {"count": 100, "mode": "exploratory"}),
    ("surprise me with 50 pieces", {"count": 50, "mode": "exploratory"}),
    ("generate overnight batch", {"mode": "exploratory", "schedule": "overnight"}),
    ("make me 10 bohemian style dresses", {"count": 10, "garment": "dress", "style": "bohemian"}),
    # Spelled numbers and quantities.
    ("two dozen navy wool coats", {"count": 24, "garment": "coat", "colors": ["navy"], "fabrics": ["wool"]}),
    (
        "a few emerald silk slip dresses with cowl necks",
        {
            "count": 3,
            "garment": "dress",
            "colors": ["emerald"],
            "fabrics": ["silk"],
            "silhouette": "sheath",
            "attributes": {"garment.neckline": "cowl"},
        },
    ),
    (
        "twenty-five red and white striped shirts",
        {
            "count": 25,
            "garment": "shirt",
            "colors": ["red", "white"],
            "attributes": {"color.pattern.type": "stripe"},
        },
    ),
    (
        "twenty five black wrap dresses",
        {"count": 25, "garment": "dress", "colors": ["black"], "silhouette": "wrap"},
    ),
    (
        "one hundred and fifty black leather bomber jackets",
        {"count": 150, "garment": "bomber", "colors": ["black"], "fabrics": ["leather"]},
    ),
    (
        "a hundred boho maxi dresses in rust linen",
        {
            "count": 100,
            "garment": "dress",
            "colors": ["rust"],
            "fabrics": ["linen"],
            "style": "bohemian",
            "attributes": {"garment.length": "maxi"},
        },
    ),
    (
        "make a dozen off-white linen shirts",
        {"count": 12, "garment": "shirt", "colors": ["ivory"], "fabrics": ["linen"]},
    ),
    ("fifteen hundred tees", {"count": 1500, "garment": "t-shirt"}),
    ("hundred dresses", {"count": 100, "garment": "dress"}),
    ("make me a dozen", {"count": 12, "mode": "exploratory"}),
    (
        "Design five minimalist camel cashmere coats.",
        {"count": 5, "garment": "coat", "colors": ["camel"], "fabrics": ["cashmere"], "style": "minimalist"},
    ),
    (
        "a couple of oversized graphic hoodies",
        {
            "count": 2,
            "garment": "sweater",
            "silhouette": "oversized",
            "attributes": {"color.pattern.type": "geometric"},
        },
    ),
    (
        "half a dozen 90s grunge slip dresses",
        {"count": 6, "garment": "dress", "silhouette": "sheath", "style": "edgy", "modifiers": ["1990s"]},
    ),
    # "A pair of jeans" is one garment; a pair of sweaters is two.
    (
        "a pair of wide leg high waisted jeans",
        {"count": 1, "garment": "jeans", "silhouette": "wide-leg", "attributes": {"garment.waist": "high"}},
    ),
    ("a pair of cashmere sweaters", {"count": 2, "garment": "sweater", "fabrics": ["cashmere"]}),
    # An article before a singular garment is one design.
    (
        "a red silk dress with a sweetheart neckline",
        {
            "count": 1,
            "garment": "dress",
            "colors": ["red"],
            "fabrics": ["silk"],
            "attributes": {"garment.neckline": "sweetheart"},
        },
    ),
    ("an evening gown", {"count": 1, "garment": "gown", "occasion": "evening"}),
    ("A-line dress", {"garment": "dress", "silhouette": "a-line"}),  # the "a" of a-line is no article
    # Counts are kept as said: the caller refuses 0 and enforces its limits.
    ("0 dresses", {"count": 0, "garment": "dress"}),
    ("make 1,000 dresses", {"count": 1000, "garment": "dress"}),
    ("make 5000 dresses overnight", {"count": 5000, "garment": "dress", "schedule": "overnight"}),
    ("1k looks overnight", {"count": 1000, "mode": "exploratory", "schedule": "overnight"}),
    # Numbers that are not the count.
    (
        "12 three quarter sleeve blouses",
        {"count": 12, "garment": "blouse", "attributes": {"garment.sleeve.length": "three-quarter"}},
    ),
    ("make 20 dresses in 3 colourways", {"count": 20, "garment": "dress", "unplaced": ["3"]}),
    (
        "80 blue dresses, 20 of them with long sleeves",
        {
            "count": 80,
            "garment": "dress",
            "colors": ["blue"],
            "attributes": {"garment.sleeve.length": "long"},
            "unplaced": ["20"],
        },
    ),
    ("size 10 dresses, 15 please", {"count": 15, "garment": "dress", "unplaced": ["size", "10"]}),
    ("at 2 am generate 30 skirts", {"count": 30, "garment": "skirt", "unplaced": ["2"]}),
    (
        "4-way stretch leggings, 20 of them",
        {"count": 20, "attributes": {"fabric.stretch": "high"}, "unplaced": ["leggings"]},
    ),
    # Typos and unknown words are reported, never guessed.
    ("give me 15 dreses in bleu", {"count": 15, "mode": "exploratory", "unplaced": ["dreses", "bleu"]}),
    (
        "30 one-shoulder gowns for a gala",
        {
            "count": 30,
            "garment": "gown",
            "attributes": {"style.formality": "black-tie"},
            "unplaced": ["one-shoulder"],
        },
    ),
    ("10 dresses and 5 skirts", {"count": 10, "garment": "dress", "unplaced": ["skirts", "5"]}),
    # Compound phrases say more than one thing.
    (
        "ten ivory tulle ball gowns with beading",
        {
            "count": 10,
            "garment": "gown",
            "colors": ["ivory"],
            "fabrics": ["tulle"],
            "silhouette": "ball-gown",
            "attributes": {"construction.embellishments": ["beading"]},
        },
    ),
    ("crop tops", {"garment": "top", "attributes": {"garment.length": "crop"}}),
    ("short dresses", {"garment": "dress", "attributes": {"garment.length": "mini"}}),
    (
        "long sleeve maxi dresses",
        {"garment": "dress", "attributes": {"garment.length": "maxi", "garment.sleeve.length": "long"}},
    ),
    (
        "leopard print wrap dresses",
        {"garment": "dress", "silhouette": "wrap", "attributes": {"color.pattern.type": "animal"}},
    ),
    (
        "floral print midi skirts",
        {"garment": "skirt", "attributes": {"color.pattern.type": "floral", "garment.length": "midi"}},
    ),
    (
        "I'd love some sage green linen co-ords for a summer vacation",
        {
            "garment": "set",
            "colors": ["sage"],
            "fabrics": ["linen"],
            "occasion": "vacation",
            "attributes": {"style.season": "summer"},
        },
    ),
    (
        "a 10-piece capsule of fluid satin evening wear",
        {
            "count": 10,
            "fabrics": ["satin"],
            "occasion": "evening",
            "attributes": {"fabric.drape": "fluid", "style.formality": "formal"},
        },
    ),
    # Modifiers: moods, photography, tone, variety, shades, eras.
    (
        "100 bold outfits, golden hour lighting, on a white background",
        {
            "count": 100,
            "mode": "exploratory",
            "modifiers": ["bold", "golden-hour", "white-seamless"],
            "attributes": {
                "style.mood": "bold",
                "photography.lighting_type": "golden-hour",
                "photography.background": "white-seamless",
            },
        },
    ),
    (
        "40 elegant black cocktail dresses, natural light",
        {
            "count": 40,
            "garment": "dress",
            "colors": ["black"],
            "modifiers": ["elegant", "natural-daylight"],
            "attributes": {"style.formality": "cocktail", "photography.lighting_type": "natural-daylight"},
        },
    ),
    ("more of the same, 20 dresses", {"count": 20, "garment": "dress", "modifiers": ["similar"]}),
    (
        "I want like 40 vintage-inspired tea dresses in dusty pink",
        {
            "count": 40,
            "garment": "dress",
            "colors": ["pink"],
            "modifiers": ["nostalgic", "dusty pink"],
            "attributes": {"style.mood": "nostalgic"},
            "unplaced": ["tea"],
        },
    ),
    # Exploration and scheduling.
    ("surprise me tonight", {"mode": "exploratory", "schedule": "overnight"}),
    ("make me 50 designs, anything goes", {"count": 50, "mode": "exploratory"}),
    (
        "a mix of dresses and jumpsuits",
        {"garment": "dress", "mode": "exploratory", "unplaced": ["jumpsuits"]},
    ),
    ("make me varied looks", {"mode": "exploratory", "modifiers": ["varied"]}),
    (
        "run 200 black wool coats while I sleep",
        {"count": 200, "garment": "coat", "colors": ["black"], "fabrics": ["wool"], "schedule": "overnight"},
    ),
]

_DEFAULTS: dict[str, Any] = {
    "count": None,
    "garment": None,
    "colors": [],
    "fabrics": [],
    "silhouette": None,
    "style": None,
    "occasion": None,
    "mode": "specific",
    "schedule": "now",
    "attributes": {},
    "modifiers": [],
    "unplaced": [],
}


@pytest.mark.parametrize(("command", "expected"), CASES, ids=[c for c, _ in CASES])
def test_command_means_what_a_person_expects(command: str, expected: dict[str, Any]) -> None:
    intent = parse_command(command)
    got = {field: getattr(intent, field) for field in _DEFAULTS}
    assert got == {**_DEFAULTS, **expected}
    assert intent.command == command
    assert intent.parser == "offline"


def test_default_count_applies_only_when_no_number_is_said() -> None:
    assert parse_command("blue dresses", default_count=20).count == 20
    assert parse_command("7 blue dresses", default_count=20).count == 7
    assert parse_command("0 blue dresses", default_count=20).count == 0


def test_to_spec_tree_feeds_the_sampler_and_keeps_what_was_asked() -> None:
    intent = parse_command("a few emerald silk slip dresses with cowl necks, golden hour")
    tree = intent.to_spec_tree()
    assert tree["garment"] == {"type": "dress", "silhouette": "sheath", "neckline": "cowl"}
    for spec in sample_specs(tree, 4, seed=3):
        assert spec.garment.type == "dress"
        assert spec.garment.neckline == "cowl"
        assert spec.fabric.type == "silk"
        assert spec.color.primary == "emerald"
        assert spec.photography.lighting_type == "golden-hour"


def test_find_terms_canonicalises_synonyms() -> None:
    assert find_terms("boho maxi dresses") == [
        ("boho", "style.aesthetic", "bohemian"),
        ("maxi", "garment.length", "maxi"),
        ("dresses", "garment.type", "dress"),
    ]
    assert [t[1:] for t in find_terms("Bohemian maxi dress")] == [
        t[1:] for t in find_terms("boho maxi dresses")
    ]
    assert ("clean", "style.aesthetic", "minimalist") in find_terms("sharp blazer, clean lines")
    assert ("lines", "word", "lines") in find_terms("sharp blazer, clean lines")
    assert find_terms("make me 20 of those please") == []


_TAX = load_taxonomy()
_CATEGORY_OF = {path: category for category, path in CATEGORY_PATHS.items()}
_VOCAB = sorted(
    {phrase for cat in _TAX.categories.values() for phrase in cat.terms()}
    | set(_TAX.colors)
    | {"make", "me", "a", "an", "twenty", "five", "dozen", "hundred", "and", "few", "pair", "of", "80", "0"}
    | {"surprise", "overnight", "outfits", "pieces", "-", ",", "3/4", "1,000", "90s", "'", "k", "²"}
)


def _check_valid(text: str) -> None:
    intent = parse_command(text)
    assert intent.count is None or intent.count >= 0
    assert intent.mode in ("specific", "exploratory")
    for colour in intent.colors:
        assert colour in _TAX.colors
    for fabric in intent.fabrics:
        assert fabric in _TAX.category("fabric_type").values
    for path, value in intent.attributes.items():
        values = _TAX.category(_CATEGORY_OF[path]).values
        assert all(v in values for v in ([value] if isinstance(value, str) else value)), (path, value)
    assert not set(intent.unplaced) & STOPWORDS
    assert intent == parse_command(text), "parsing must be deterministic"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_never_raises_on_arbitrary_text(text: str) -> None:
    _check_valid(text)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_VOCAB), max_size=14).map(" ".join))
def test_never_raises_on_vocabulary_soup(text: str) -> None:
    _check_valid(text)
