"""ChatModel through the official `openai` SDK against the local OpenAI-compatible chat fake."""

from __future__ import annotations

import json
from typing import Any

import pytest

from designer_bff.errors import ProviderError
from designer_bff.llm.chat import ChatModel
from tests.fakes.chat_server import answer, failure, running

KEY = "sk-test"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "count": {"type": "integer", "minimum": 1},
        "colour": {"type": ["string", "null"], "enum": ["rust", "navy", None]},
    },
    "required": ["count"],
}
ASK = [
    {"role": "system", "content": "You parse commands."},
    {"role": "user", "content": "three rust dresses"},
]


def chat(base_url: str, **kwargs: Any) -> ChatModel:
    return ChatModel(base_url, kwargs.pop("api_key", KEY), "test-model", backoff_s=0.01, **kwargs)


def fails(call: Any) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        call()
    assert info.value.provider == "openai-compatible:test-model"
    return info.value


def last_user(body: dict[str, Any]) -> str:
    content = body["messages"][-1]["content"]
    assert body["messages"][-1]["role"] == "user"
    assert isinstance(content, str)
    return content


def test_json_schema_response_format_and_usage() -> None:
    with running(replies=['{"count": 3, "colour": "rust"}']) as (script, url):
        model = chat(url)
        assert model.complete_json(ASK, SCHEMA, schema_name="command") == {"count": 3, "colour": "rust"}
    [body] = script.bodies()
    assert body["model"] == "test-model"
    assert body["temperature"] == 0.0
    assert body["messages"] == ASK
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "command", "schema": SCHEMA, "strict": False},
    }
    assert script.requests[0]["authorization"] == f"Bearer {KEY}"
    usage = model.usage
    assert usage is not None
    # The fake bills ceil(chars / 4): 19 + 18 characters of prompt, 30 of answer.
    assert (usage.prompt_tokens, usage.completion_tokens, usage.requests) == (10, 8, 1)
    assert usage.total_tokens == 18
    assert model.name == "openai-compatible:test-model"


def test_old_server_rejecting_json_schema_gets_json_object_with_the_schema_in_the_system_message() -> None:
    with running(replies=['{"count": 3}', '{"count": 4}'], reject_json_schema=True) as (script, url):
        model = chat(url)
        assert model.complete_json(ASK, SCHEMA, schema_name="command") == {"count": 3}
        # The server's limitation is remembered: the next call goes straight to json_object.
        assert model.complete_json(ASK, SCHEMA, schema_name="command") == {"count": 4}
    assert [r["status"] for r in script.requests] == [400, 200, 200]
    rejected = script.requests[0]["body"]
    assert rejected["response_format"]["type"] == "json_schema"
    for body in script.bodies():
        assert body["response_format"] == {"type": "json_object"}
        system = body["messages"][0]
        assert system["role"] == "system"
        assert system["content"].startswith("You parse commands.\n\nAnswer with a single JSON object")
        assert json.dumps(SCHEMA, separators=(",", ":")) in system["content"]
        assert body["messages"][1:] == ASK[1:]


def test_fenced_answer_with_trailing_commas_is_repaired_without_asking_again() -> None:
    reply = 'Sure! Here is the JSON:\n```json\n{\n  "count": 2,\n  "colour": "navy",\n}\n```\nAnything else?'
    with running(replies=[reply]) as (script, url):
        assert chat(url).complete_json(ASK, SCHEMA, schema_name="command") == {"count": 2, "colour": "navy"}
    assert len(script.requests) == 1


def test_single_quoted_python_style_answer_is_repaired() -> None:
    with running(replies=["{'count': 2, 'colour': None}"]) as (script, url):
        assert chat(url).complete_json(ASK, SCHEMA, schema_name="command") == {"count": 2, "colour": None}
    assert len(script.requests) == 1


def test_unrepairable_json_is_asked_again_with_the_parse_error() -> None:
    with running(replies=['{"count": 2, "colour": "rust"', '{"count": 2, "colour": "rust"}']) as (
        script,
        url,
    ):
        model = chat(url)
        assert model.complete_json(ASK, SCHEMA, schema_name="command") == {"count": 2, "colour": "rust"}
    _, second = script.bodies()
    assert second["messages"][: len(ASK)] == ASK
    assert second["messages"][len(ASK)] == {"role": "assistant", "content": '{"count": 2, "colour": "rust"'}
    assert last_user(second).startswith("Your last answer was not valid JSON: Expecting ',' delimiter")
    assert model.usage is not None and model.usage.requests == 2


def test_gives_up_after_one_re_ask_naming_the_parse_error() -> None:
    with running(replies=["I think it is three dresses.", "three, rust"]) as (script, url):
        error = fails(lambda: chat(url).complete_json(ASK, SCHEMA, schema_name="command"))
    assert error.kind == "invalid"
    assert "not valid JSON after asking again" in error.message
    assert "Expecting value" in error.message
    assert "'three, rust'" in error.message
    assert len(script.requests) == 2


def test_schema_violations_are_asked_again_with_the_errors() -> None:
    with running(replies=['{"count": "three", "colour": "teal"}', '{"count": 3, "colour": "rust"}']) as (
        script,
        url,
    ):
        assert chat(url).complete_json(ASK, SCHEMA, schema_name="command") == {"count": 3, "colour": "rust"}
    reask = last_user(script.bodies()[1])
    assert reask.startswith("Your last answer did not match the JSON schema:")
    assert '$.count: expected integer, got "three"' in reask
    assert '$.colour: "teal" is not one of "rust", "navy", null' in reask


def test_schema_violation_twice_gives_up_naming_the_errors() -> None:
    with running(replies=['{"colour": "rust"}', '{"count": 0}']) as (script, url):
        error = fails(lambda: chat(url).complete_json(ASK, SCHEMA, schema_name="command"))
    assert error.kind == "invalid"
    assert "does not match the command schema after asking again" in error.message
    assert "$.count: 0 is below the minimum 1" in error.message
    assert len(script.requests) == 2


def test_lenient_leaves_enum_misses_and_extra_keys_to_the_caller() -> None:
    with running(replies=['{"count": 1, "colour": "terracotta", "mood": "bold"}']) as (script, url):
        value = chat(url).complete_json(ASK, SCHEMA, schema_name="command", lenient=True)
    assert value == {"count": 1, "colour": "terracotta", "mood": "bold"}
    assert len(script.requests) == 1


def test_rate_limit_with_retry_after_is_waited_out() -> None:
    busy = failure(
        429,
        "Rate limit reached for test-model on requests per min (RPM): Limit 3, Used 3, Requested 1.",
        type="requests",
        code="rate_limit_exceeded",
        headers={"retry-after-ms": "50", "retry-after": "1"},
    )
    with running(replies=[busy, '{"count": 1}']) as (script, url):
        assert chat(url).complete_json(ASK, SCHEMA, schema_name="command") == {"count": 1}
    assert [r["status"] for r in script.requests] == [429, 200]


def test_long_retry_after_is_left_to_the_caller() -> None:
    busy = failure(
        429,
        "Rate limit reached.",
        type="requests",
        code="rate_limit_exceeded",
        headers={"retry-after": "120"},
    )
    with running(replies=[busy]) as (script, url):
        error = fails(lambda: chat(url).complete_json(ASK, SCHEMA, schema_name="command"))
    assert (error.kind, error.retry_after, error.retryable) == ("rate_limit", 120.0, True)
    assert len(script.requests) == 1


def test_server_errors_are_retried_up_to_max_attempts() -> None:
    down = failure(500, "The server had an error while processing your request.", type="server_error")
    with running(replies=[down, '{"count": 5}']) as (script, url):
        assert chat(url).complete_json(ASK, SCHEMA, schema_name="command") == {"count": 5}
    with running(replies=[down, down, down]) as (script, url):
        error = fails(lambda: chat(url, max_attempts=2).complete_json(ASK, SCHEMA, schema_name="command"))
    assert error.kind == "transient"
    assert "HTTP 500" in error.message
    assert len(script.requests) == 2


def test_bad_key_is_auth_at_once() -> None:
    with running(replies=['{"count": 1}']) as (script, url):
        error = fails(lambda: chat(url, api_key="sk-wrong").complete_json(ASK, SCHEMA, schema_name="command"))
    assert error.kind == "auth"
    assert "Incorrect API key" in error.message and "HTTP 401" in error.message
    assert len(script.requests) == 1


def test_no_answer_within_the_timeout_is_kind_timeout() -> None:
    with running(replies=[answer('{"count": 1}', hang_s=5.0)]) as (script, url):
        model = chat(url, timeout_s=0.3, max_attempts=1)
        error = fails(lambda: model.complete_json(ASK, SCHEMA, schema_name="command"))
    assert error.kind == "timeout"
    assert "no answer within 0.3 s" in error.message
    assert len(script.requests) == 1


def test_refusal_is_kind_refusal() -> None:
    with running(replies=[answer("", refusal="I can't help with that.")]) as (_, url):
        error = fails(lambda: chat(url).complete_json(ASK, SCHEMA, schema_name="command"))
    assert error.kind == "refusal"
    assert "I can't help with that." in error.message


def test_complete_text_and_a_server_wanting_max_completion_tokens() -> None:
    with running(replies=["  A fluid rust silk slip dress.  "], reject_max_tokens=True) as (script, url):
        model = chat(url)
        text = model.complete_text([{"role": "user", "content": "Rewrite: rust silk dress"}], max_tokens=80)
    assert text == "A fluid rust silk slip dress."
    assert [r["status"] for r in script.requests] == [400, 200]
    [body] = script.bodies()
    assert body["max_completion_tokens"] == 80 and "max_tokens" not in body
    assert body["temperature"] == 0.7
    assert model.usage is not None and model.usage.requests == 1


def test_keyless_self_hosted_server() -> None:
    with running(replies=["ok"], api_key=None) as (script, url):
        model = ChatModel(url, None, "llama3.2")
        assert model.is_configured()
        assert model.complete_text([{"role": "user", "content": "hi"}]) == "ok"
    assert script.requests[0]["authorization"] == "Bearer unused"


def test_openai_without_a_key_is_not_configured() -> None:
    model = ChatModel(None, None, "gpt-4o-mini")
    assert model.base_url == "https://api.openai.com/v1"
    assert not model.is_configured()
    with pytest.raises(ProviderError) as info:
        model.complete_text([{"role": "user", "content": "hi"}])
    assert info.value.kind == "auth"
    assert ChatModel(None, "sk-real", "gpt-4o-mini").is_configured()
    with pytest.raises(ValueError, match="max_attempts"):
        ChatModel(None, "sk", "m", max_attempts=0)
