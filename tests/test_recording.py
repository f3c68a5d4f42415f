"""Credentials never reach what is tracked: a recording masks them wherever they appear, and no tracked
file holds a key-shaped literal (tests assemble their fake keys at run time)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import httpx
import pytest
import vcr

from tests.echo_server import echo_server
from tests.gemini.conftest import VCR_CONFIG as GEMINI_VCR
from tests.langchain.conftest import VCR_CONFIG as LANGCHAIN_VCR
from tests.recording import KEY_LIKE, leaks

ROOT = Path(__file__).resolve().parents[1]
# Assembled at run time, like every fake key in the tests, so that this file holds no key-shaped literal.
KEY = "AIza" + "Sy" + "FakeRecordingKey-000000000000000"


# Each provider's recording config, with how its clients send the key (header, query parameter).
PROVIDERS = {
    "gemini": (GEMINI_VCR, "x-goog-api-key", "?key={key}"),
    "langchain": (LANGCHAIN_VCR, "authorization", ""),
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_recording_masks_a_key_the_request_body_carries_and_the_server_echoes(provider, tmp_path, monkeypatch):
    config, header, query = PROVIDERS[provider]
    monkeypatch.setenv("GEMINI_API_KEY", KEY)
    recorder = vcr.VCR(record_mode="all", **{k: v for k, v in config.items() if k not in ("record_mode", "match_on")})
    cassette = tmp_path / "careless.yaml"
    with echo_server(lambda headers: headers.get(header, "")) as (url, script):
        script.append((400, "application/json", '{"error": "API key {key} not valid"}'))
        with recorder.use_cassette(str(cassette)):
            response = httpx.post(f"{url}/v1/chat{query.format(key=KEY)}", headers={header: KEY},
                                  json={"contents": f"the key is {KEY}"})
    assert KEY in response.text  # the server did echo it: the cassette is what must not hold it
    assert leaks(cassette) == []
    assert KEY not in cassette.read_text(encoding="utf-8")


def test_no_tracked_file_holds_a_key_shaped_literal():
    git = shutil.which("git")
    if git is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files can't be listed")
    listed = subprocess.run([git, "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    found = []
    for name in filter(None, listed.decode("utf-8", "surrogateescape").split("\0")):
        path = ROOT / name
        if path.is_file():
            text = path.read_bytes().decode("utf-8", "replace")
            found += [f"{name}: {match.group()[:8]}…" for match in KEY_LIKE.finditer(text)]
    assert found == []
