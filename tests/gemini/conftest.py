"""Replaying Gemini and web traffic from tests/cassettes/gemini/ with vcrpy: the real client, never mocked.

Requests match on method, URL and JSON body, so each concurrent grounded call gets its own answer
and a retry gets the next recorded response. The key is filtered out when recording (header and
``key`` query parameter); replays send a dummy key. Without ``--record-mode`` nothing is recorded
and a request that isn't in the cassette fails the test. ``--record-mode=rewrite -m live`` with a
real ``GEMINI_API_KEY`` re-records the live scenarios against the API (docs/gemini.md).
"""

from __future__ import annotations

import pytest

from pipeline.settings import load_settings
from tests.gemini.scenarios import CASSETTES, TEST_SETTINGS

DUMMY_KEY = "test-key-not-real"
SDK_ENVIRONMENT = (
    "GOOGLE_API_KEY",
    "GOOGLE_GEMINI_BASE_URL",
    "GOOGLE_GENAI_USE_VERTEXAI",
    "GOOGLE_GENAI_USE_ENTERPRISE",
    "GOOGLE_GENAI_API_VERSION",
    "GOOGLE_CLOUD_PROJECT",
    "GOOGLE_CLOUD_LOCATION",
)


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "live: re-recordable against the real Gemini API (asserts no scripted content)")


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture
def vcr_config() -> dict:
    return {
        "filter_headers": ["x-goog-api-key", "authorization"],
        "filter_query_parameters": ["key"],
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture(autouse=True)
def gemini_settings(request, tmp_path, monkeypatch):
    """Test settings (tiny retry waits, short page timeout) and, when replaying, a dummy key."""
    recording = request.config.getoption("--record-mode") not in (None, "none")
    for name in SDK_ENVIRONMENT:
        monkeypatch.delenv(name, raising=False)
    if not recording:
        monkeypatch.setenv("GEMINI_API_KEY", DUMMY_KEY)
    config = tmp_path / "groundbrief-test-settings.toml"
    config.write_text(TEST_SETTINGS)
    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(config))
    load_settings.cache_clear()
    yield
    load_settings.cache_clear()

