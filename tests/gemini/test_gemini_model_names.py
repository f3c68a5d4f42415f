"""Model names reach the API version that serves them: a ``-latest`` alias is called on ``v1beta``
(``v1``, the SDK's default, has no aliases and answers 404), or refused before any call. A missing key
is named before any call too."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from pipeline.errors import UsageError
from pipeline.providers.gemini import GeminiChat, api_version_for
from tests.gemini.scenarios import LIVE_MODEL, MODEL, expand


@pytest.mark.vcr
@pytest.mark.default_cassette("malformed_json_repaired.yaml")
def test_a_latest_alias_is_sent_to_v1beta(vcr):
    assert MODEL.endswith("-latest")
    expand()
    assert [request.path for request in vcr.requests] == [f"/v1beta/models/{MODEL}:generateContent"] * 2


@pytest.mark.vcr
@pytest.mark.default_cassette("expand.yaml")
def test_the_re_recordable_scenarios_name_a_model_version_on_v1(vcr):
    expand(LIVE_MODEL)
    assert [request.path for request in vcr.requests] == [f"/v1/models/{LIVE_MODEL}:generateContent"]


@pytest.mark.vcr
@pytest.mark.default_cassette("unknown_model.yaml")
def test_a_model_version_goes_to_the_sdks_default_api_version(vcr):
    with pytest.raises(UsageError):
        expand("gemini-0-flash")
    assert [request.path for request in vcr.requests] == ["/v1/models/gemini-0-flash:generateContent"]


@pytest.mark.block_network
def test_a_latest_alias_with_the_api_version_forced_to_v1_is_refused_at_once(monkeypatch):
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", "v1")
    with pytest.raises(UsageError, match=r"^gemini-flash-latest is an alias that Gemini API version v1 does not serve; "
                       r"name a model version \(e\.g\. --model gemini-3\.8-flash\) or unset GOOGLE_GENAI_API_VERSION$"):
        GeminiChat("gemini-flash-latest")


@pytest.mark.parametrize(("version", "model", "expected"), [
    ("", "gemini-flash-latest", "v1beta"),
    ("v1beta", "gemini-flash-latest", None),  # the user's choice, already one that serves aliases
    ("", "gemini-3.8-flash", None),
    ("", "gemini-2.5-flash-lite", None),
])
def test_api_version_for_each_name(monkeypatch, version, model, expected):
    monkeypatch.setenv("GOOGLE_GENAI_API_VERSION", version)
    assert api_version_for(model) == expected


@pytest.mark.block_network
def test_a_missing_gemini_key_is_named_before_any_call(monkeypatch):
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(UsageError, match=r"^Gemini is not set up: .*Set GEMINI_API_KEY \(or GOOGLE_API_KEY\)"):
        GeminiChat("gemini-3.8-flash")


def test_no_cassette_sends_an_alias_to_v1():
    """Every recorded or scripted request for a ``-latest`` alias went to ``v1beta``."""
    root = Path(__file__).resolve().parents[1] / "cassettes" / "gemini"
    uris = [uri for path in root.rglob("*.yaml") for uri in re.findall(r"uri: (\S+:generateContent)", path.read_text())]
    aliases = [uri for uri in uris if re.search(r"/models/[^/:]+-latest:", uri)]
    assert aliases and all("/v1beta/" in uri for uri in aliases)
