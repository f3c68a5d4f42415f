"""The one retry and reply path (``pipeline.providers.retry``), each fault once on each provider that uses it.

Gemini (google-genai) and OpenAI (through LangChain) run their real SDKs against a scripted server on
localhost that answers in each API's wire format: a server error, a rate limit that says how long to
wait, a per-day quota, an answer cut off, each once. Waits are recorded instead of slept.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from pipeline.errors import GroundbriefError, ModelCallError
from pipeline.providers.retry import backoff, retry_after
from pipeline.settings import Settings, load_settings
from tests.echo_server import echo_server

SETTINGS = "max_retries = 2\nretry_initial_delay = 0.1\nretry_max_delay = 1\nretry_info_max_delay = 5\n"
ANSWER = {"queries": [{"text": "Cerebras inference benchmarks last 3 months"}]}


@dataclass
class Provider:
    """One provider's wire format: its answers and its errors, as its API sends them."""

    model: str
    variable: str
    answer: Callable[[str, str], tuple]  # (text, how it finished) → a scripted response
    server_error: tuple
    rate_limited: tuple  # asks for 0.3 s
    day_quota: tuple
    finished: str  # the finish reason of a whole answer
    cut_off: str  # the finish reason of an answer cut off at its token limit

    def answered(self) -> tuple:
        return self.answer(json.dumps(ANSWER), self.finished)

    def chat(self):
        if self.model.startswith("gemini"):
            from pipeline.providers.gemini import GeminiChat

            return GeminiChat(self.model)
        from pipeline.providers.langchain_chat import LangChainChat

        return LangChainChat(self.model)


def _gemini_answer(text: str, finish: str) -> tuple:
    body = {
        "candidates": [{"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": finish, "index": 0}],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20},
        "modelVersion": "gemini-3.8-flash",
    }
    return 200, "application/json", json.dumps(body)


def _gemini_error(code: int, status: str, details: list | None = None) -> tuple:
    return code, "application/json", json.dumps({"error": {"code": code, "message": status.lower(), "status": status, "details": details or []}})


def _openai_answer(text: str, finish: str) -> tuple:
    body = {
        "id": "chatcmpl-retry", "object": "chat.completion", "created": 1764000000, "model": "gpt-4.1-mini-2025-04-14",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": finish}],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }
    return 200, "application/json", json.dumps(body)


def _openai_error(status: int, kind: str, headers: dict | None = None) -> tuple:
    body = json.dumps({"error": {"message": kind.replace("_", " "), "type": kind, "param": None, "code": kind}})
    return status, "application/json", body, headers or {}


PROVIDERS = {
    "gemini": Provider(
        model="gemini-3.8-flash",
        variable="GOOGLE_GEMINI_BASE_URL",
        answer=_gemini_answer,
        server_error=_gemini_error(503, "UNAVAILABLE"),
        rate_limited=_gemini_error(429, "RESOURCE_EXHAUSTED", [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.3s"},
        ]),
        day_quota=_gemini_error(429, "RESOURCE_EXHAUSTED", [
            {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
                {"quotaMetric": "generativelanguage.googleapis.com/generate_requests_per_model_per_day",
                 "quotaId": "GenerateRequestsPerDayPerProjectPerModel", "quotaValue": "250"}]},
        ]),
        finished="STOP",
        cut_off="MAX_TOKENS",
    ),
    "openai": Provider(
        model="openai:gpt-4.1-mini",
        variable="OPENAI_BASE_URL",
        answer=_openai_answer,
        server_error=_openai_error(503, "server_error"),
        rate_limited=_openai_error(429, "rate_limit_exceeded", {"retry-after-ms": "300"}),
        day_quota=_openai_error(429, "insufficient_quota"),
        finished="stop",
        cut_off="length",
    ),
}


@pytest.fixture(params=sorted(PROVIDERS))
def served(request, tmp_path, monkeypatch) -> Iterator[tuple[Provider, list[tuple], list[float]]]:
    """A provider on a scripted local server; yields it, the server's script and the waits the path made."""
    provider = PROVIDERS[request.param]
    config = tmp_path / "config.toml"
    config.write_text(SETTINGS)
    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(config))
    for name in ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_API_VERSION", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("GEMINI_API_KEY", "test-key-not-real")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-" + "test-not-a-real-key")
    waits: list[float] = []
    monkeypatch.setattr("pipeline.providers.retry.time.sleep", waits.append)
    load_settings.cache_clear()
    with echo_server(lambda headers: "") as (url, script):
        monkeypatch.setenv(provider.variable, f"{url}/v1" if provider.variable == "OPENAI_BASE_URL" else url)
        yield provider, script, waits
    load_settings.cache_clear()


def _ask(chat) -> str:
    from pipeline.analysts.llm.responses import ExpandResponse

    return chat.generate_json("Write one search query.", ExpandResponse, "expand")


def test_a_server_error_is_tried_again_after_a_jittered_backoff(served):
    provider, script, waits = served
    script.extend([provider.server_error, provider.answered()])
    chat = provider.chat()
    assert json.loads(_ask(chat)) == ANSWER
    (wait,) = waits
    assert 0.05 <= wait <= 0.1  # retry_initial_delay with jitter of a half
    assert chat.usage.calls == 1 and chat.usage.prompt_tokens == 100


def test_server_errors_that_outlast_the_retries_fail_the_call_without_a_last_wait(served):
    provider, script, waits = served
    script.extend([provider.server_error] * 3)
    with pytest.raises(ModelCallError, match="the expand call to .* failed after 3 attempts"):
        _ask(provider.chat())
    assert len(waits) == 2 and not script  # three attempts, two waits between them


def test_a_rate_limit_waits_as_long_as_the_server_asked(served):
    provider, script, waits = served
    script.extend([provider.rate_limited, provider.answered()])
    assert json.loads(_ask(provider.chat())) == ANSWER
    assert waits == [pytest.approx(0.3)]  # longer than the back-off (at most 0.1 s), shorter than the cap (5 s)


def test_a_used_up_quota_fails_at_once(served):
    provider, script, waits = served
    script.extend([provider.day_quota, provider.answered()])
    with pytest.raises(GroundbriefError, match="quota") as raised:
        _ask(provider.chat())
    assert not isinstance(raised.value, ModelCallError)  # the user's to fix: exit 1, not a partial report
    assert waits == [] and len(script) == 1  # asked once, never retried


def test_an_answer_cut_off_is_asked_for_once_more_then_fails_with_both_counted(served):
    provider, script, waits = served
    script.extend([provider.answer('{"queries": [{"te', provider.cut_off)] * 2)
    chat = provider.chat()
    with pytest.raises(ModelCallError, match=rf"^answer cut off: {provider.cut_off} \(the expand call to .*, tried twice\)$"):
        _ask(chat)
    assert chat.usage.calls == 2 and chat.usage.output_tokens == 40 and waits == []


def test_an_answer_cut_off_once_then_finished_is_used_and_both_are_counted(served):
    provider, script, _ = served
    script.extend([provider.answer('{"queries": [{"te', provider.cut_off), provider.answered()])
    chat = provider.chat()
    assert json.loads(_ask(chat)) == ANSWER
    assert chat.usage.calls == 2 and chat.usage.prompt_tokens == 200
    assert chat.model_label.endswith(("gemini-3.8-flash", "gpt-4.1-mini-2025-04-14"))


def test_backoff_doubles_with_jitter_up_to_its_cap():
    settings = Settings(retry_initial_delay=1.0, retry_max_delay=3.0)
    first = {backoff(settings, 1) for _ in range(50)}
    assert all(0.5 <= delay <= 1.0 for delay in first) and len(first) > 1  # jittered, so parallel runs spread out
    assert all(1.0 <= backoff(settings, 2) <= 2.0 for _ in range(20))
    assert all(backoff(settings, 5) <= 3.0 for _ in range(20))


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"retry-after": "2"}, 2.0),
    ({"retry-after-ms": "250", "retry-after": "1"}, 0.25),
    ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past: no wait
    ({"retry-after": "soon"}, None),
    ({}, None),
])
def test_retry_after_reads_seconds_milliseconds_and_dates(headers, seconds):
    assert retry_after(headers) == seconds
