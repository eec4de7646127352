"""PromptEnhancer against the chat fake: rewrites kept only when the garment survives them."""

from __future__ import annotations

import pytest

from designer_bff.errors import InvalidInput
from designer_bff.llm.chat import ChatModel
from designer_bff.llm.enhance import Enhanced, PromptEnhancer, cache_key, mentions, truncate
from tests.fakes.chat_server import running

PROMPT = "rust silk a-line midi dress, v-neck, studio photo"
KEEP = ("rust", "silk", "a-line", "dress")


def enhancer(url: str, key: str = "sk-test") -> PromptEnhancer:
    return PromptEnhancer(ChatModel(url, key, "gpt-4o-mini", max_attempts=1))


def test_prose_rewrite_is_used_and_cleaned() -> None:
    reply = 'Prompt: "A rust silk A-line midi dress with a v-neck,  softly lit in a white studio."'
    with running(replies=[reply]) as (script, url):
        result = enhancer(url).enhance(
            PROMPT, family="flux", max_length=400, negative="watermark", must_keep=KEEP
        )
    assert result == Enhanced(
        "A rust silk A-line midi dress with a v-neck, softly lit in a white studio.", True
    )
    [body] = script.bodies()
    system, user = body["messages"]
    assert "Rewrite the user's prompt for flux. FLUX reads natural prose" in system["content"]
    assert "Stay under 400 characters" in system["content"]
    assert "These words must appear: rust, silk, a-line, dress." in system["content"]
    assert "must not show (handled separately, do not mention): watermark" in system["content"]
    assert user == {"role": "user", "content": PROMPT}
    assert (body["max_tokens"], body["temperature"]) == (134, 0.4)


def test_a_rewrite_that_drops_an_attribute_falls_back_to_the_input() -> None:
    with running(replies=["An elegant crimson silk midi dress in soft studio light."]) as (_, url):
        result = enhancer(url).enhance(PROMPT, family="imagen", max_length=400, must_keep=KEEP)
    assert result == Enhanced(PROMPT, False, "the rewrite dropped rust, a-line; kept the input prompt")


def test_sd_keeps_weights_and_tags() -> None:
    prompt = "(rust:1.2), silk, a-line dress, (floral print:1.1), studio"
    kept = "(rust:1.2), silk, a-line dress, (floral print:1.1), soft studio lighting, high detail"
    lost = "rust, silk, a-line dress, (floral print:1.1), soft studio lighting"
    with running(replies=[kept, lost]) as (script, url):
        good = enhancer(url).enhance(prompt, family="sd", max_length=300, must_keep=KEEP)
        bad = enhancer(url).enhance(prompt, family="sd", max_length=300, must_keep=KEEP)
    assert good == Enhanced(kept, True)
    assert bad == Enhanced(prompt, False, "the rewrite dropped (rust:1.2); kept the input prompt")
    assert "comma-separated tags" in script.bodies()[0]["messages"][0]["content"]


def test_sd_plain_gets_no_weight_syntax() -> None:
    with running(replies=["(rust:1.3), silk, a-line dress, studio"]) as (_, url):
        result = enhancer(url).enhance(
            "rust, silk, a-line dress", family="sd-plain", max_length=300, must_keep=KEEP
        )
    assert result == Enhanced("rust, silk, a-line dress, studio", True)


def test_too_long_rewrites_are_cut_at_a_sentence_boundary() -> None:
    reply = (
        "A rust silk a-line midi dress with a v-neck. Soft studio light falls from the left. Seamless white."
    )
    with running(replies=[reply]) as (_, url):
        result = enhancer(url).enhance(PROMPT, family="dalle", max_length=90, must_keep=KEEP)
    assert (
        result.text == "A rust silk a-line midi dress with a v-neck. Soft studio light falls from the left."
    )
    assert result.used_model
    assert result.warning == f"cut the rewrite from {len(reply)} to {len(result.text)} characters"


def test_a_cut_that_would_drop_an_attribute_falls_back() -> None:
    reply = "Studio portrait, soft light from the left, seamless white backdrop: a rust silk a-line dress."
    with running(replies=[reply]) as (_, url):
        result = enhancer(url).enhance(PROMPT, family="gemini", max_length=70, must_keep=KEEP)
    assert result.text == PROMPT and not result.used_model
    assert result.warning is not None and "cutting it drops rust, silk, a-line, dress" in result.warning


def test_provider_errors_fall_back_with_a_warning() -> None:
    with running(replies=["unused"]) as (_, url):
        result = enhancer(url, key="sk-wrong").enhance(PROMPT, family="gpt-image", max_length=400)
    assert result.text == PROMPT and not result.used_model
    assert result.warning is not None and result.warning.startswith("enhancement failed (auth)")


def test_tech_flat_is_left_alone_and_unknown_families_are_refused() -> None:
    with running(replies=[]) as (script, url):
        result = enhancer(url).enhance(PROMPT, family="tech-flat", max_length=400)
        assert result.text == PROMPT and not result.used_model
        with pytest.raises(InvalidInput) as info:
            enhancer(url).enhance(PROMPT, family="midjourney", max_length=400)
        assert script.requests == []
    assert info.value.field == "family"


def test_cache_key_is_canonical() -> None:
    key = cache_key(PROMPT, "flux", 400, "gpt-4o-mini", must_keep=["silk", "rust"])
    assert len(key) == 64 and int(key, 16) >= 0
    assert key == cache_key(PROMPT, "flux", 400, "gpt-4o-mini", must_keep=["Rust", "silk"])
    others = {
        cache_key(PROMPT, "imagen", 400, "gpt-4o-mini", must_keep=["silk", "rust"]),
        cache_key(PROMPT, "flux", 300, "gpt-4o-mini", must_keep=["silk", "rust"]),
        cache_key(PROMPT, "flux", 400, "llama3.2", must_keep=["silk", "rust"]),
        cache_key(PROMPT, "flux", 400, "gpt-4o-mini", must_keep=["silk", "rust"], negative="blurry"),
        cache_key(PROMPT + ".", "flux", 400, "gpt-4o-mini", must_keep=["silk", "rust"]),
    }
    assert key not in others and len(others) == 5


def test_mentions_and_truncate() -> None:
    assert mentions("An A line Dress", "a-line") and mentions("two dresses", "dress")
    assert not mentions("a dressmaker", "dress") and not mentions("crusty", "rust")
    assert truncate("rust, silk, a-line dress, studio", 20, tags=True) == "rust, silk"
    assert truncate("short", 20, tags=False) == "short"
