"""GeminiChat through the real google-genai client, replayed from cassettes: expansion, retries, errors."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from pipeline.analysts.llm import LLMAnalyst
from pipeline.errors import ModelCallError, ModelOutputError, UsageError
from pipeline.providers.gemini import GeminiChat, retry_delay
from pipeline.providers.secrets import redact
from pipeline.settings import load_settings
from tests.echo_server import echo_server
from tests.gemini.conftest import DUMMY_KEY
from tests.gemini.scenarios import (
    LIVE_MODEL,
    MODEL,
    MODEL_VERSION,
    QUERIES,
    REQUEST,
    TEST_SETTINGS,
    exchanges,
    expand,
    gemini_replies,
    gemini_requests,
    grounded_search,
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
    chat = GeminiChat(LIVE_MODEL)
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


def _retry_info_seconds(cassette) -> list[float]:
    """The ``retryDelay`` of each 429 in a cassette, read from the recorded bodies."""
    return [retry_delay(e.response_body) for e in exchanges(cassette) if e.status == 429]


@pytest.mark.vcr
@pytest.mark.default_cassette("retry_after_429.yaml")
def test_429_waits_as_long_as_its_retry_info_says(vcr):
    (asked,) = _retry_info_seconds(vcr)
    settings = load_settings()
    assert settings.retry_max_delay < asked < settings.retry_info_max_delay  # 0.2 s < 0.3 s < 5 s
    started = time.perf_counter()
    assert [q.text for q in expand()] == [q[0] for q in QUERIES]
    waited = time.perf_counter() - started
    # The server's delay, not the backoff cap (0.2 s) and not the RetryInfo cap (5 s).
    assert asked <= waited < asked + 1.0
    assert vcr.play_count == 2 and vcr.all_played


@pytest.mark.vcr
@pytest.mark.default_cassette("retry_after_429.yaml")
def test_a_retry_info_longer_than_its_cap_waits_only_the_cap(vcr, gemini_settings):
    gemini_settings("retry_info_max_delay = 0.05\n")
    (asked,) = _retry_info_seconds(vcr)
    started = time.perf_counter()
    expand()
    assert time.perf_counter() - started < asked
    assert vcr.play_count == 2


@pytest.mark.vcr
@pytest.mark.default_cassette("quota_exhausted.yaml")
@pytest.mark.parametrize("retries", [0, 1])
def test_nothing_waits_after_the_last_attempt(vcr, gemini_settings, retries):
    """Each 429 asks for 1 s: a wait before each retry, none after the last attempt (nor with no retries)."""
    gemini_settings(f"max_retries = {retries}\n")
    asked = _retry_info_seconds(vcr)[0]
    started = time.perf_counter()
    with pytest.raises(ModelCallError, match=f"failed after {retries + 1} attempts: 429 RESOURCE_EXHAUSTED"):
        expand()
    waited = time.perf_counter() - started
    assert vcr.play_count == retries + 1
    assert retries * asked <= waited < retries * asked + 0.8


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
    gateway = "POST https://llm-gateway.example.com/google/v1beta/models/gemini-flash-latest:generateContent"
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
        ({"error": {"details": [{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}]}}, 2.0),
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


# --- a gateway on localhost (GOOGLE_GEMINI_BASE_URL) that answers what the API never would -------


@pytest.fixture
def gateway(monkeypatch) -> Iterator[list[tuple[int, str, str]]]:
    """A local server the SDK is pointed at; each request gets the next scripted (status, type, body),
    where ``{key}`` in the body becomes the API key the request carried, as a careless gateway echoes it."""
    with echo_server(lambda headers: headers.get("x-goog-api-key", "")) as (url, script):
        monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", url)
        yield script


LOGIN_PAGE = "<!DOCTYPE html><html><body><h1>Sign in to the AI gateway</h1><form>key {key}</form></body></html>"


def _error(code: int, status: str, message: str) -> str:
    return json.dumps({"error": {"code": code, "message": message, "status": status}})


def test_a_gateway_page_instead_of_json_fails_the_call_not_the_program(gateway):
    gateway.append((200, "text/html; charset=utf-8", LOGIN_PAGE))
    with pytest.raises(ModelCallError, match="the expand call to gemini-flash-latest got a reply that is not the Gemini API's JSON"):
        expand()


def test_a_gateway_page_instead_of_json_is_a_failed_search_not_a_traceback(gateway):
    gateway.append((200, "text/html; charset=utf-8", LOGIN_PAGE))
    results = grounded_search([0])
    (failure,) = results.failures
    assert failure.query == QUERIES[0][0] and "not the Gemini API's JSON" in failure.error
    assert DUMMY_KEY not in failure.error and not results.evidence


def test_a_refused_key_echoed_by_the_server_is_not_repeated(gateway):
    gateway.append((401, "application/json", _error(401, "UNAUTHENTICATED", "API key {key} is not valid.")))
    with pytest.raises(UsageError, match="Gemini refused the credentials") as raised:
        expand()
    assert "API key *** is not valid" in str(raised.value) and DUMMY_KEY not in str(raised.value)


def test_a_server_error_echoing_the_key_fails_the_call_without_it(gateway, gemini_settings):
    gemini_settings("max_retries = 0\n")
    gateway.append((500, "application/json", _error(500, "INTERNAL", "upstream rejected key={key}")))
    with pytest.raises(ModelCallError, match="failed after 1 attempts: 500 INTERNAL: upstream rejected key=\\*\\*\\*") as raised:
        expand()
    assert DUMMY_KEY not in str(raised.value)


def test_a_long_error_page_is_cut_after_the_key_is_removed(gateway, gemini_settings):
    """A 502 page with the key near where the message is cut: redacting first leaves no part of it."""
    gemini_settings("max_retries = 0\n")
    page = "Bad gateway. " * 21 + "{key} {key}"  # "502 Bad Gateway: " + 273 characters: the key spans the cut
    gateway.append((502, "text/html", page))
    with pytest.raises(ModelCallError) as raised:
        expand()
    message = str(raised.value)
    assert "502" in message and len(message) < 400
    assert not any(DUMMY_KEY[:n] in message for n in range(6, len(DUMMY_KEY) + 1))


def test_a_model_without_a_price_is_said_once_not_billed_silently(gateway, gemini_settings):
    """The gateway's model isn't in the price table: the chat warns once, however many calls it makes."""
    reply = json.dumps({
        "candidates": [{"content": {"parts": [{"text": json.dumps({"queries": [{"text": "Cerebras q last 3 months"}]})}]}}],
        "usageMetadata": {"promptTokenCount": 100, "candidatesTokenCount": 20},
        "modelVersion": "gemini-0.9-unpriced-001",
    })
    gateway.extend([(200, "application/json", reply)] * 2)
    said: list[str] = []
    chat = GeminiChat("gemini-0.9-unpriced", warn=said.append)
    analyst = LLMAnalyst(chat)
    analyst.expand(REQUEST)
    analyst.expand(REQUEST)
    assert chat.usage.calls == 2 and chat.usage.prompt_tokens == 200
    (warning,) = said
    assert warning.startswith("gemini-0.9-unpriced-001 has no price in the settings") and "$0" in warning
