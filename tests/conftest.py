"""Shared fixtures: every test gets its own cache folder, so no test sees another's results."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pipeline.models import ResearchRequest, TimeWindow

# The example report that fixes the format (shared/seeds/000_294ebb7efc66fb83.txt), kept here so the
# tests run on any clone.
EXAMPLE_REPORT = Path(__file__).resolve().parent / "fixtures" / "example_report.md"
EXAMPLE_TITLE_LINE = (
    "Are Cerebras/Groq customers publishing training/inference metrics displacing NVIDIA in production?,"
    "Customer case studies; vendor blogs; arXiv,"
    "Cerebras Groq production displacement metrics training inference"
)
AS_OF = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def isolated_cache(tmp_path_factory, monkeypatch) -> Path:
    directory = tmp_path_factory.mktemp("cache")
    monkeypatch.setenv("GROUNDBRIEF_CACHE_DIR", str(directory))
    return directory


@pytest.fixture
def settings_file(tmp_path, monkeypatch):
    """Write the user's settings file: ``settings_file(text)``; the cached settings are read afresh
    before and after the test."""
    from pipeline.settings import load_settings

    config = tmp_path / "config.toml"
    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(config))
    load_settings.cache_clear()
    yield lambda text: config.write_text(text, encoding="utf-8")
    load_settings.cache_clear()


@pytest.fixture
def trusted_certificate(tmp_path_factory, monkeypatch) -> Path:
    """A certificate (key and chain, PEM) for 127.0.0.1 and localhost, from a test CA (trustme) that
    the HTTPS clients of this test trust through ``SSL_CERT_FILE``."""
    import trustme

    folder = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    authority.cert_pem.write_to_path(str(folder / "ca.pem"))
    authority.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(folder / "site.pem"))
    monkeypatch.setenv("SSL_CERT_FILE", str(folder / "ca.pem"))
    return folder / "site.pem"


def make_request(topic: str = "Cerebras vs NVIDIA", window: str = "18m", **fields) -> ResearchRequest:
    return ResearchRequest.from_title_line(topic, as_of=fields.pop("as_of", AS_OF), window=TimeWindow.parse(window), **fields)


def write_doc(folder: Path, name: str, body: str, **meta) -> Path:
    """A corpus document with YAML front matter built from ``meta``."""
    front = "".join(f"{key}: {value}\n" for key, value in meta.items())
    path = folder / name
    path.write_text(f"---\n{front}---\n{body}\n" if meta else body, encoding="utf-8")
    return path


class FixedSearcher:
    """A fake searcher, named as the fake it is: every search returns the same results."""

    identity = description = "fixed results (test)"

    def __init__(self, results):
        from pipeline.models import TokenUsage

        self.results, self.usage = results, TokenUsage()

    def search(self, request, queries):
        return self.results


def without_sample_citations(folder: Path) -> Path:
    """A copy of the sample corpus whose documents no longer cite themselves, as a user's own
    documents without a ``url`` would be."""
    from pipeline.models import SAMPLE_CORPUS_LINK

    for path in folder.iterdir():
        lines = path.read_text(encoding="utf-8").split("\n")
        path.write_text("\n".join(line for line in lines if SAMPLE_CORPUS_LINK not in line), encoding="utf-8")
    return folder


@pytest.fixture
def edgar(tmp_path, monkeypatch):
    """A loopback stand-in for the SEC's hosts serving recorded responses (tests/edgar_server.py), and
    a settings file that points the real client at it and names a contact."""
    from pipeline.settings import load_settings
    from tests.edgar_server import edgar_server, settings_file

    with edgar_server() as server:
        monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(settings_file(tmp_path, server.url, max_retries=1, retry_initial_delay=0.0)))
        load_settings.cache_clear()
        yield server
    load_settings.cache_clear()
