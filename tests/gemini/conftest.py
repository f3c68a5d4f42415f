"""Replaying Gemini and web traffic from tests/cassettes/gemini/ with vcrpy: the real client, never mocked.

Requests match on method, URL and the raw request body (byte for byte), so each concurrent grounded
call gets its own answer and a retry gets the next recorded response. The key is filtered out when
recording (header, ``key`` query parameter, and bodies: ``tests.recording``); replays send a dummy key. Without ``--record-mode``
nothing is recorded and a request that isn't in the cassette fails the test. ``--record-mode=rewrite
-m live`` with a real ``GEMINI_API_KEY`` re-records the live scenarios against the API (docs/gemini.md),
with the shipped timeouts and retries and the SDK's environment (``GOOGLE_GEMINI_BASE_URL``…) kept.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.settings import load_settings
from tests.gemini.scenarios import CASSETTES, RECORD_SETTINGS, TEST_SETTINGS, settings_text
from tests.recording import masked_request, masked_response

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


#: The key is filtered out of anything recorded (headers, the ``key`` parameter, and any body that
#: echoes it); requests match byte for byte, body included.
VCR_CONFIG = {
    "filter_headers": ["x-goog-api-key", "authorization"],
    "filter_query_parameters": ["key"],
    "before_record_request": masked_request,
    "before_record_response": masked_response,
    "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
    "decode_compressed_response": True,
}


@pytest.fixture
def vcr_config() -> dict:
    return VCR_CONFIG


def configure(recording: bool, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The settings and environment a test runs with.

    Replaying: the fast test settings (tiny retry waits, a short page timeout), the dummy key, and
    none of the SDK's environment, so a developer's gateway or Vertex AI setup can't leak in.
    Recording against the real API: the shipped timeouts and retries (real pages need seconds, a
    real 429 must be waited out) and the SDK's environment as the developer set it.
    """
    if not recording:
        for name in SDK_ENVIRONMENT:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("GEMINI_API_KEY", DUMMY_KEY)
    use_settings(recording, folder, monkeypatch)


def use_settings(recording: bool, folder: Path, monkeypatch: pytest.MonkeyPatch, extra: str = "") -> None:
    """The test (or recording) settings, with the keys ``extra`` (TOML) sets overridden."""
    config = folder / "groundbrief-test-settings.toml"
    config.write_text(settings_text(RECORD_SETTINGS if recording else TEST_SETTINGS, extra))
    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(config))
    load_settings.cache_clear()


@pytest.fixture(autouse=True)
def gemini_settings(request, tmp_path, monkeypatch) -> Iterator[Callable[[str], None]]:
    """Configures each test (see ``configure``); yields a function that overrides settings (TOML) for one test."""
    recording = request.config.getoption("--record-mode") not in (None, "none")
    configure(recording, tmp_path, monkeypatch)
    yield lambda extra: use_settings(recording, tmp_path, monkeypatch, extra)
    load_settings.cache_clear()
