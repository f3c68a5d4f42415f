"""Real Gemini API responses recorded by other public projects, replayed through the real google-genai
client: grounded answers, structured output, a cut-off answer, a wrong model name, quota errors.

Where each one comes from is in tests/cassettes/gemini/recorded/PROVENANCE.md. They were recorded on
``v1beta``, so these replays call that version. Our prompts differ from the recorded ones, so requests
match on method, host and path only.
"""

from __future__ import annotations

import json
from datetime import UTC
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from pipeline.errors import ModelCallError, UsageError
from pipeline.providers.gemini import GeminiChat, QuotaExhausted, daily_quota, quota_reset, retry_delay
from pipeline.search.grounding import GeminiGrounding, segment_text
from tests.gemini.conftest import VCR_CONFIG

RECORDED = Path(__file__).resolve().parents[1] / "cassettes" / "gemini" / "recorded"
PROMPT = "What happened in AI inference chips this week?"


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(RECORDED)


@pytest.fixture
def vcr_config() -> dict:
    return {**VCR_CONFIG, "match_on": ["method", "scheme", "host", "port", "path"]}


@pytest.fixture(autouse=True)
def recorded_api_version(request, gemini_settings, monkeypatch) -> None:
    if request.config.getoption("--record-mode") not in (None, "none"):
        pytest.skip("other projects' recordings are replayed, never recorded over")
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1beta")


def _recorded(name: str) -> dict:
    """The response body the cassette holds (its first interaction)."""
    interaction = yaml.safe_load((RECORDED / name).read_text())["interactions"][0]
    return json.loads(interaction["response"]["body"]["string"])


def _grounding(body: dict) -> dict:
    return body["candidates"][0]["groundingMetadata"]


@pytest.mark.vcr("grounded_gemini_2_5_pro.yaml")
def test_a_recorded_grounded_answer_gives_redirect_pages_and_supported_statements(vcr):
    chat = GeminiChat("gemini-2.5-pro")
    answer = GeminiGrounding(chat).ground(PROMPT)
    recorded = _grounding(_recorded("grounded_gemini_2_5_pro.yaml"))
    assert [c.title for c in answer.chunks] == [c["web"]["title"] for c in recorded["groundingChunks"]]
    assert sum(c.uri.startswith("https://vertexaisearch.cloud.google.com/grounding-api-redirect/") for c in answer.chunks) == 2
    assert [s.text for s in answer.statements] == [s["segment"]["text"].strip() for s in recorded["groundingSupports"]]
    assert answer.searches == ("weather in San Francisco today",)
    assert {c.title for c in answer.cited()} == {"Weather information for San Francisco, CA, US", "weather.gov", "wunderground.com"}
    assert vcr.requests[0].path == "/v1beta/models/gemini-2.5-pro:generateContent"
    usage = chat.usage
    assert (usage.prompt_tokens, usage.output_tokens, usage.thought_tokens, usage.tool_tokens) == (17, 201, 213, 119)
    assert usage.searches == 1  # Gemini 2.5 bills the grounded prompt, however many queries it ran
    assert usage.estimated_cost_usd == pytest.approx((17 + 119) * 1.25e-6 + (201 + 213) * 10e-6 + 35 / 1000)


@pytest.mark.vcr("grounded_gemini_3_flash_thinking.yaml")
def test_a_recorded_gemini_3_answer_leaves_out_thoughts_and_bills_each_unique_query():
    chat = GeminiChat("gemini-3-flash-preview")
    answer = GeminiGrounding(chat).ground(PROMPT)
    assert answer.text.startswith("The top news stories for **Tuesday, June 9, 2026**")
    assert "My Approach to Uncovering" not in answer.text  # a thought part
    assert [c.title for c in answer.chunks] == ["wng.org", "bernama.com", "euneighbourseast.eu", "aa.com", "news.az", "straitstimes.com"]
    assert len(answer.statements) == 9 and all(s.chunks for s in answer.statements)
    assert chat.model_label == "gemini-3-flash-preview" and chat.usage.searches == 3


def test_support_offsets_without_a_part_index_count_bytes_of_the_answer_not_of_the_first_part():
    """The recorded Gemini 3 answer comes after a thought part and tool parts, and its supports give no
    ``partIndex``: the offsets land on the recorded text only when counted in the answer's own bytes.
    (The last two supports are 2 bytes off in the recording: the converter replaced a 3-byte ’ by ')"""
    from google.genai import types

    body = _recorded("grounded_gemini_3_flash_thinking.yaml")
    parts = body["candidates"][0]["content"]["parts"]
    answer = "".join(p["text"] for p in parts if p.get("text") and not p.get("thought"))
    supports = _grounding(body)["groundingSupports"]
    for support in supports[:7]:
        segment = types.Segment(start_index=support["segment"].get("startIndex"), end_index=support["segment"]["endIndex"])
        assert segment_text([p.get("text", "") for p in parts], answer, segment) == support["segment"]["text"].strip()


class CityLocation(BaseModel):
    city: str
    country: str


@pytest.mark.vcr("structured_grounded_gemini_3_flash.yaml")
def test_recorded_gemini_3_structured_output_validates_and_a_blank_search_is_not_billed():
    chat = GeminiChat("gemini-3-flash-preview")
    reply = chat.generate_json("What is the largest city in Mexico?", CityLocation, "expand")
    assert CityLocation.model_validate_json(reply) == CityLocation(city="Mexico City", country="Mexico")
    assert _grounding(_recorded("structured_grounded_gemini_3_flash.yaml"))["webSearchQueries"] == ["", "largest city in Mexico"]
    assert chat.usage.searches == 1
    assert (chat.usage.prompt_tokens, chat.usage.thought_tokens) == (417, 71)


@pytest.mark.vcr("max_tokens_gemini_2_5_flash.yaml", allow_playback_repeats=True)
def test_an_answer_cut_off_by_max_tokens_is_asked_once_more_then_fails_the_call(vcr):
    chat = GeminiChat("gemini-2.5-flash")
    with pytest.raises(ModelCallError, match=r"^answer cut off: MAX_TOKENS \(the search call to gemini-2.5-flash, tried twice\)$"):
        GeminiGrounding(chat).ground(PROMPT)
    assert vcr.play_count == 2 and chat.usage.calls == 2 and chat.usage.output_tokens == 10


def test_a_search_cut_off_becomes_a_failed_search_in_the_report(vcr_cassette_dir, vcr_config):
    """Through the real searcher: the cut-off answer is a failure of that query (a gap, exit status 3)."""
    import vcr as vcrpy

    from pipeline.models import SearchQuery
    from pipeline.prompts import PromptBook
    from pipeline.search.web import GroundedSearcher
    from tests.gemini.scenarios import REQUEST

    class NoPages:  # a fake page source: the cut-off answer cites no page
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            pass

        def fetch(self, url):
            raise AssertionError(f"nothing should be fetched, not {url}")

    searcher = GroundedSearcher(
        GeminiGrounding(GeminiChat("gemini-2.5-flash")), NoPages(), PromptBook(), concurrency=2, fetch_concurrency=2
    )
    with vcrpy.use_cassette(str(RECORDED / "max_tokens_gemini_2_5_flash.yaml"), allow_playback_repeats=True, **vcr_config):
        results = searcher.search(REQUEST, [SearchQuery(text="Cerebras inference revenue last 3 months")])
    (failure,) = results.failures
    assert failure.error.startswith("answer cut off: MAX_TOKENS") and results.evidence == []


@pytest.mark.vcr("cached_prompt_gemini_2_5_flash.yaml")
def test_cached_prompt_tokens_are_counted_and_billed_at_the_cached_price_from_the_settings(gemini_settings):
    """A price row from the settings file (with a cached-input price) over the shipped one."""
    from google.genai import types

    gemini_settings('[prices."gemini-2.5-flash"]\ninput = 0.30\ncached_input = 0.03\noutput = 2.50\n')
    chat = GeminiChat("gemini-2.5-flash")
    chat.generate(PROMPT, types.GenerateContentConfig(), "expand")
    usage = chat.usage
    assert (usage.prompt_tokens, usage.cached_tokens, usage.output_tokens, usage.thought_tokens) == (17713, 17379, 68, 821)
    fresh = 17713 - 17379
    assert usage.estimated_cost_usd == pytest.approx(fresh * 0.30e-6 + 17379 * 0.03e-6 + (68 + 821) * 2.50e-6)


@pytest.mark.vcr("unknown_model_404.yaml")
def test_a_misspelt_model_is_a_one_line_usage_error_naming_it():
    with pytest.raises(UsageError) as raised:
        GeminiChat("gemini-3.6-flahs").generate_json(PROMPT, CityLocation, "expand")
    message = str(raised.value)
    assert message.startswith("Gemini has no model 'gemini-3.6-flahs' for generateContent (404 NOT_FOUND:")
    assert "--model" in message and "\n" not in message


@pytest.mark.vcr("quota_per_minute_429.yaml", allow_playback_repeats=True)
def test_a_per_minute_quota_waits_the_retry_delay_the_server_gave(gemini_settings, monkeypatch, vcr):
    gemini_settings("max_retries = 1\nretry_info_max_delay = 30\n")
    waits: list[float] = []
    monkeypatch.setattr("pipeline.providers.retry.time.sleep", waits.append)
    with pytest.raises(ModelCallError, match="failed after 2 attempts: 429 RESOURCE_EXHAUSTED"):
        GeminiChat("gemini-2.5-flash").generate_json(PROMPT, CityLocation, "expand")
    assert retry_delay(vcr.responses[0]["body"]["string"]) == 26.0
    assert waits == [26.0] and vcr.play_count == 2


@pytest.mark.vcr("quota_per_day_429.yaml", allow_playback_repeats=True)
def test_a_per_day_quota_fails_at_once_saying_when_it_resets(gemini_settings, monkeypatch, vcr):
    waits: list[float] = []
    monkeypatch.setattr("pipeline.providers.retry.time.sleep", waits.append)
    with pytest.raises(QuotaExhausted) as raised:
        GeminiChat("gemini-3-pro-image-preview").generate_json(PROMPT, CityLocation, "expand")
    message = str(raised.value)
    assert "per-day quota for gemini-3-pro-image-preview is used up (GenerateRequestsPerDayPerProjectPerModel)" in message
    assert "resets at midnight Pacific time (" in message and " UTC, in " in message
    assert vcr.play_count == 1 and waits == []


def test_a_per_day_violation_wins_over_the_retry_delay_beside_it():
    """A 429 can carry both (RetryInfo for the per-minute limit, and the per-day one): waiting the delay
    would only meet the same refusal. Body shaped as the API sends it; no recorded one was public."""
    body = {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED", "details": [
        {"@type": "type.googleapis.com/google.rpc.QuotaFailure", "violations": [
            {"quotaId": "GenerateRequestsPerMinutePerProjectPerModel-FreeTier"},
            {"quotaId": "GenerateRequestsPerDayPerProjectPerModel-FreeTier", "quotaValue": "20"},
        ]},
        {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "36s"},
    ]}}
    assert retry_delay(body) == 36.0
    assert daily_quota(body) == "GenerateRequestsPerDayPerProjectPerModel-FreeTier, limit 20"
    assert daily_quota(_recorded("quota_per_minute_429.yaml")) is None


def test_a_per_day_quota_resets_at_midnight_in_los_angeles():
    from datetime import datetime

    assert quota_reset(datetime(2026, 12, 1, 20, 0, tzinfo=UTC)) == (
        "at midnight Pacific time (2026-12-02 08:00 UTC, in 12 h 0 min)"
    )
    assert quota_reset(datetime(2026, 7, 1, 6, 30, tzinfo=UTC)).startswith("at midnight Pacific time (2026-07-01 07:00 UTC")
