"""LlmIntentParser against the chat fake: the model's answer normalised onto the taxonomy."""

from __future__ import annotations

import json
from typing import Any

import pytest

from designer_bff.errors import InvalidInput, ProviderError
from designer_bff.llm.chat import ChatModel
from designer_bff.llm.intent import LlmIntentParser, intent_from_answer
from designer_bff.llm.schema import intent_schema
from tests.fakes.chat_server import running


def parser(url: str) -> LlmIntentParser:
    return LlmIntentParser(ChatModel(url, "sk-test", "gpt-4o-mini", backoff_s=0.01))


def test_specific_command_is_parsed_onto_taxonomy_values() -> None:
    answer = {
        "count": 3,
        "garment": "Frock",
        "colors": ["rust", "crimson"],
        "fabrics": ["linen", "charmeuse"],
        "silhouette": "A-Line",
        "style": "boho",
        "occasion": "bridal",
        "mode": "specific",
        "attributes": {
            "garment.neckline": "v neck",
            "construction.embellishments": ["embroidered", "beaded"],
        },
        "schedule": "now",
        "modifiers": ["Bold", "bold", "golden light"],
        "unplaced": [],
    }
    command = "3 rust and crimson boho a-line frocks in linen and charmeuse, v neck, embroidered and beaded"
    with running(replies=[json.dumps(answer)]) as (script, url):
        intent = parser(url).parse(command)
    [body] = script.bodies()
    assert body["messages"][0]["role"] == "system"
    assert "surprise me" in body["messages"][0]["content"] and "overnight" in body["messages"][0]["content"]
    assert body["messages"][1] == {"role": "user", "content": command}
    assert body["response_format"]["json_schema"] == {
        "name": "intent",
        "schema": intent_schema(),
        "strict": False,
    }
    assert intent.command == command
    assert intent.count == 3
    assert (intent.garment, intent.silhouette, intent.style, intent.occasion) == (
        "dress",
        "a-line",
        "bohemian",
        "wedding",
    )
    assert intent.colors == ["rust", "red"]
    assert intent.fabrics == ["linen", "satin"]
    assert intent.attributes == {
        "garment.neckline": "v-neck",
        "construction.embellishments": ["embroidery", "beading"],
    }
    assert intent.modifiers == ["bold", "golden light"]
    assert (intent.mode, intent.schedule, intent.unplaced, intent.parser) == (
        "specific",
        "now",
        [],
        "llm:gpt-4o-mini",
    )
    assert intent.to_spec_tree()["color"] == {"primary": "rust", "secondary": "red"}


def test_values_outside_the_taxonomy_go_to_unplaced() -> None:
    answer = {
        "garment": "kaftan",
        "colors": ["burnt umber", "navy"],
        "fabrics": ["bouclé"],
        "mode": "specific",
        "attributes": {
            "garment.collar": "peter pan",
            "garment.neckline": "keyhole",
            "color.secondary": "cream",
        },
        "unplaced": ["flowy"],
    }
    intent = intent_from_answer("a flowy kaftan", answer, parser="llm:test")
    assert intent.garment is None
    assert intent.colors == ["navy", "cream"]  # color.secondary in attributes joins the colours
    assert intent.fabrics == ["tweed"]
    assert intent.attributes == {}
    assert intent.unplaced == ["kaftan", "burnt umber", "peter pan", "keyhole", "flowy"]


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, 1), (-5, 1), (12, 12), ("12", 12), (2.6, 3), (None, None), ("a few", None), (True, None)],
)
def test_count_is_at_least_one(count: Any, expected: int | None) -> None:
    assert intent_from_answer("x", {"count": count, "mode": "exploratory"}, parser="p").count == expected


def test_exploratory_and_overnight() -> None:
    answer = {"count": 50, "garment": None, "mode": "exploratory", "schedule": "now", "modifiers": ["varied"]}
    with running(replies=[json.dumps(answer)]) as (_, url):
        intent = parser(url).parse("surprise me with 50 pieces, run it as a batch")
    assert (intent.count, intent.garment, intent.mode) == (50, None, "exploratory")
    # "batch" in the command always means the nightly run, whatever the model said.
    assert intent.schedule == "overnight"
    assert intent_from_answer("later please", {"schedule": "overnight"}, parser="p").schedule == "overnight"


def test_an_unknown_mode_is_inferred_from_what_was_placed() -> None:
    assert intent_from_answer("x", {"garment": "coat", "mode": "detailed"}, parser="p").mode == "specific"
    assert intent_from_answer("x", {"mode": "whatever"}, parser="p").mode == "exploratory"


def test_empty_command_asks_nothing_and_provider_errors_propagate() -> None:
    with running(replies=[]) as (script, url):
        with pytest.raises(InvalidInput):
            parser(url).parse("   ")
        assert script.requests == []
    with running(replies=["{}"]) as (_, url):
        wrong = LlmIntentParser(ChatModel(url, "sk-wrong", "gpt-4o-mini"))
        with pytest.raises(ProviderError) as info:
            wrong.parse("a dress")
    assert info.value.kind == "auth"
