"""Replaying the LangChain providers' HTTP traffic from tests/cassettes/langchain/ with vcrpy.

Requests match on method, path, stage (which prompt template the body was rendered from) and the
parameters groundbrief sets (model, format, options, response_format): not on the exact prompt,
which carries whatever the corpus search found, nor on fields the integrations add on their own.
Interactions with the same stage replay in recorded order, so a repair follows the reply it
repairs. A test that needs the exact prompt adds the ``prompt`` matcher.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pipeline.settings import load_settings
from tests.langchain.scenarios import CONFIGS, FAKE_OPENAI_KEY, NO_WAITING, stage_of
from tests.recording import masked_request, masked_response

CASSETTES = Path(__file__).resolve().parents[1] / "cassettes" / "langchain"
VCR_CONFIG = {
    "filter_headers": ["authorization", "x-api-key", "api-key"],
    "before_record_request": masked_request,
    "before_record_response": masked_response,
    "record_mode": "none",
    "match_on": ["method", "path", "stage", "parameters"],
}


def pytest_recording_configure(config, vcr) -> None:
    vcr.register_matcher("stage", _same_stage)
    vcr.register_matcher("parameters", _same_parameters)
    vcr.register_matcher("prompt", _same_prompt)


def _same_stage(live, recorded) -> None:
    assert stage_of(live.body) == stage_of(recorded.body), "a different stage's request"


def _same_parameters(live, recorded) -> None:
    assert parameters(live.body) == parameters(recorded.body), "different request parameters"


def _same_prompt(live, recorded) -> None:
    assert prompt(live.body) == prompt(recorded.body), "a different prompt"


def parameters(body: bytes | str) -> dict:
    """What groundbrief sets in a request besides the prompt (the integration's other fields may change)."""
    payload = json.loads(body)
    return {key: payload.get(key) for key in ("model", "format", "options", "response_format")}


def prompt(body: bytes | str) -> str:
    return json.loads(body)["messages"][-1]["content"]


@pytest.fixture
def vcr_config() -> dict:
    return VCR_CONFIG


@pytest.fixture(scope="module")
def vcr_cassette_dir() -> str:
    return str(CASSETTES)


@pytest.fixture(autouse=True, scope="session")
def ollama_port_listening() -> Iterator[None]:
    """Something listening on Ollama's default port, as when Ollama runs: ``LangChainChat`` checks that
    the local endpoint accepts connections before it builds the model. The replayed HTTP never reaches
    this socket (vcrpy answers first); a real Ollama already on the port serves the check instead."""
    import socket

    listener = socket.socket()
    try:
        listener.bind(("127.0.0.1", 11434))
        listener.listen()
    except OSError:
        pass
    yield
    listener.close()


@pytest.fixture(autouse=True)
def provider_environment(tmp_path, monkeypatch) -> Iterator[Callable[[str], None]]:
    """Default settings (no waiting between retries), a dummy OpenAI key, and the providers' real hosts.

    Yields ``configure(cassette)``, which switches to the settings that cassette was recorded with.
    """
    for name in ("OLLAMA_HOST", "OPENAI_BASE_URL", "OPENAI_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_OPENAI_KEY)

    def configure(cassette: str) -> None:
        path = tmp_path / "config.toml"
        path.write_text(NO_WAITING + CONFIGS.get(cassette, ""))
        monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(path))
        load_settings.cache_clear()

    configure("defaults")
    yield configure
    load_settings.cache_clear()


def cassette(name: str) -> pytest.MarkDecorator:
    return pytest.mark.vcr(f"{name}.yaml")
