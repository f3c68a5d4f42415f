"""No cassette may hold a credential: every file under tests/cassettes is scanned, whoever recorded it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from tests.gemini.scenarios import SCENARIOS
from tests.recording import leaks

CASSETTE_ROOT = Path(__file__).resolve().parents[1] / "cassettes"
FILES = sorted(path for path in CASSETTE_ROOT.rglob("*") if path.is_file() and path.name != ".gitkeep")


@pytest.mark.parametrize("path", FILES, ids=[str(p.relative_to(CASSETTE_ROOT)) for p in FILES])
def test_cassette_holds_no_key(path):
    assert leaks(path) == []


# Assembled at run time so that no key-shaped literal is ever tracked in the repository.
FAKE_KEY = "AIza" + "SyA1234567890abcdefghijklmnopqrstuvw"


def test_the_scan_finds_what_a_careless_recording_would_leak(tmp_path):
    leaky = tmp_path / "leaky.yaml"
    leaky.write_text(yaml.safe_dump({"interactions": [{"request": {
        "uri": "https://generativelanguage.googleapis.com/v1/models/m:generateContent?key=k",
        "headers": {"x-goog-api-key": [FAKE_KEY]},
    }}]}))
    assert leaks(leaky) == ["key-like value AIzaSyA1…", "x-goog-api-key header", "key query parameter"]


def test_every_scenario_has_its_cassette():
    assert {s.name for s in SCENARIOS} <= {p.stem for p in FILES if p.parent.name == "gemini"}


def test_recording_uses_the_shipped_timeouts_and_keeps_the_sdk_environment(tmp_path, monkeypatch):
    """``--record-mode`` against the real API: real pages need seconds and a real 429 must be waited
    out, so the fast replay settings would record nothing; a developer's gateway stays in use."""
    from pipeline.settings import Settings, load_settings
    from tests.gemini.conftest import DUMMY_KEY, configure

    monkeypatch.setenv("GEMINI_API_KEY", "the-developers-own-key")
    monkeypatch.setenv("GOOGLE_GEMINI_BASE_URL", "https://llm-gateway.example.com/google")
    configure(True, tmp_path, monkeypatch)
    recording, shipped = load_settings(), Settings()
    timing = ("fetch_timeout_seconds", "timeout_seconds", "max_retries", "retry_max_delay", "retry_info_max_delay")
    assert {name: getattr(recording, name) for name in timing} == {name: getattr(shipped, name) for name in timing}
    assert recording.gemini_model == "gemini-3.8-flash"
    assert os.environ["GOOGLE_GEMINI_BASE_URL"] == "https://llm-gateway.example.com/google"
    assert os.environ["GEMINI_API_KEY"] == "the-developers-own-key"

    configure(False, tmp_path, monkeypatch)
    replaying = load_settings()
    assert replaying.fetch_timeout_seconds < 1 and replaying.retry_max_delay < 1 and replaying.max_retries == 2
    assert "GOOGLE_GEMINI_BASE_URL" not in os.environ and os.environ["GEMINI_API_KEY"] == DUMMY_KEY
