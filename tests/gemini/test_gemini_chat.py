"""GeminiChat through the real google-genai client, replayed from cassettes: expansion, retries, errors."""

from __future__ import annotations

import json
import re
import time

import pytest

from pipeline.analysts.gemini import GeminiChat, redact, retry_delay
from pipeline.analysts.llm import LLMAnalyst, ModelCallError, ModelOutputError
from pipeline.errors import UsageError
from tests.gemini.scenarios import (
    MODEL,
    MODEL_VERSION,
    QUERIES,
    REQUEST,
    TEST_SETTINGS,
    expand,
    gemini_replies,
    gemini_requests,
)


def _usage_in(cassette) -> dict[str, int]:
    totals: dict[str, int] = {}
    for reply in gemini_replies(cassette):
        for field, value in reply["usageMetadata"].items():
            if isinstance(value, int):
                totals[field] = totals.get(field, 0) + value
    return totals


@pytest.mark.live
@pytest.mark.vcr
@pytest.mark.default_cassette("expand.yaml")
def test_expansion_is_one_structured_call_with_usage_and_model_version(vcr):
    chat = GeminiChat(MODEL)
    queries = LLMAnalyst(chat).expand(REQUEST)
    assert 1 <= len(queries) <= REQUEST.query_count and all(q.text.strip() for q in queries)
    (reply,) = gemini_replies(vcr)
    planned = json.loads(reply["candidates"][0]["content"]["parts"][0]["text"])["queries"]
    assert [q.text for q in queries] == [p["text"] for p in planned][: REQUEST.query_count]
    assert chat.model_label == reply["modelVersion"]
    totals = _usage_in(vcr)
    usage = chat.usage
    assert usage.calls == 1
    assert (usage.prompt_tokens, usage.output_tokens) == (totals["promptTokenCount"], totals["candidatesTokenCount"])
    assert usage.thought_tokens == totals.get("thoughtsTokenCount", 0)
    assert usage.estimated_cost_usd > 0  # priced by the version the API reported, not the alias
    (sent,) = gemini_requests(vcr)
    assert sent["generationConfig"]["responseMimeType"] == "application/json"
    assert sent["generationConfig"]["responseSchema"]["title"] == "ExpandResponse"


@pytest.mark.live
@pytest.mark.vcr
@pytest.mark.default_cassette("unknown_model.yaml")
def test_unknown_model_is_a_clear_error_that_says_how_to_choose_one():
    with pytest.raises(UsageError) as raised:
        expand("gemini-0-flash")
    message = str(raised.value)
    assert "'gemini-0-flash'" in message and "404" in message and "--model" in message
    assert "test-key-not-real" not in message


@pytest.mark.vcr
@pytest.mark.default_cassette("retry_after_429.yaml")
def test_429_is_retried_no_sooner_than_its_retry_info_says(vcr):
    started = time.perf_counter()
    assert [q.text for q in expand()] == [q[0] for q in QUERIES]
    # RetryInfo asks for 1s; the test settings cap any wait at retry_max_delay = 0.2 s.
    assert time.perf_counter() - started >= 0.2
    assert vcr.play_count == 2 and vcr.all_played


@pytest.mark.vcr
@pytest.mark.default_cassette("unavailable_until_retries_run_out.yaml")
def test_503_until_retries_run_out_fails_the_call_clearly(vcr):
    with pytest.raises(ModelCallError, match=r"the expand call to gemini-flash-latest failed after 3 attempts: 503 UNAVAILABLE"):
        expand()
    assert vcr.play_count == 3  # max_retries = 2 in the test settings


@pytest.mark.vcr
@pytest.mark.default_cassette("malformed_json_repaired.yaml")
def test_malformed_json_is_retried_once_with_the_error(vcr):
    chat = GeminiChat(MODEL)
    assert len(LLMAnalyst(chat).expand(REQUEST)) == 3
    first, repair = gemini_requests(vcr)
    assert "Your previous reply could not be used" in repair["contents"][0]["parts"][0]["text"]
    assert "Your previous reply could not be used" not in first["contents"][0]["parts"][0]["text"]
    assert chat.usage.calls == 2


@pytest.mark.vcr
@pytest.mark.default_cassette("malformed_json_twice.yaml")
def test_malformed_json_twice_fails_the_stage_clearly():
    with pytest.raises(ModelOutputError, match=f"{MODEL_VERSION} returned invalid output for the expand stage twice"):
        expand()


@pytest.mark.vcr
@pytest.mark.default_cassette("expand.yaml")
def test_gateway_base_url_from_the_environment_is_used(monkeypatch):
    """GOOGLE_GEMINI_BASE_URL is the SDK's own setting: the request goes to the gateway, not Google
    (so it isn't in the cassette, whose error names the URL asked for)."""
    from vcr.errors import CannotOverwriteExistingCassetteException

    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "https://llm-gateway.example.com/google")
    gateway = "POST https://llm-gateway.example.com/google/v1/models/gemini-flash-latest:generateContent"
    with pytest.raises(CannotOverwriteExistingCassetteException, match=re.escape(gateway)):
        expand()


def test_missing_key_is_a_clear_usage_error(monkeypatch):
    monkeypatch.delenv("GEMINI_API_KEY")
    with pytest.raises(UsageError, match="Set GEMINI_API_KEY \\(or GOOGLE_API_KEY\\)"):
        GeminiChat(MODEL)


def test_bare_gemini_means_the_model_in_settings():
    assert GeminiChat("gemini").model == "gemini-3.8-flash"
    assert 'gemini_model = "gemini-3.8-flash"' in TEST_SETTINGS


def test_keys_are_redacted_from_messages(monkeypatch):
    monkeypatch.setenv("GOOGLE_API_KEY", "a-secret-value-123")
    leaked = "bad key a-secret-value-123 and " + "AIza" + "SyD3xampleExampleExampleExample12345"  # no key-shaped literal
    assert redact(leaked) == "bad key *** and ***"


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        (b'{"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "53s"}]}}', 53.0),
        (b'{"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "0.5s"}]}}', 0.5),
        (b'{"error": {"code": 503, "status": "UNAVAILABLE"}}', None),
        (b"<html>busy</html>", None),
    ],
)
def test_retry_delay_is_read_from_retry_info(body, seconds):
    assert retry_delay(body) == seconds


@pytest.mark.block_network
def test_vertex_ai_is_the_sdks_choice_and_missing_credentials_are_a_usage_error(monkeypatch, tmp_path):
    """GOOGLE_GENAI_USE_VERTEXAI switches the SDK to Vertex AI; without credentials the run stops clearly."""
    monkeypatch.delenv("GEMINI_API_KEY")
    monkeypatch.setenv("GOOGLE_GENAI_USE_VERTEXAI", "true")
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-project")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "us-central1")
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))  # fails before any probe
    with pytest.raises(UsageError, match="Vertex AI has no usable credentials"):
        expand()
