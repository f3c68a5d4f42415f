"""Reports for the delivery tests, written by the real pipeline: the sample one, and one whose
documents try to inject markup, script and links into everything that shows them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import groundbrief
from tests.conftest import write_doc

SCRIPT = "<script>document.body.setAttribute('data-pwned', 'script')</script>"
IMAGE = "<img src=x onerror=\"document.body.setAttribute('data-pwned', 'img')\">"
LINK = "[click here](javascript:document.body.setAttribute('data-pwned','link'))"
DATA_LINK = "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">data</a>"
HOSTILE_TEXT = (
    f"Cerebras {LINK} raised $1.1 billion {SCRIPT} **bold** ](https://evil.example/escape), and NVIDIA customers "
    f"{IMAGE} compare its inference speed {DATA_LINK}."
)


def generate(tmp_path: Path, *args: str) -> Path:
    """``groundbrief generate ARGS --out tmp/reports``: the .md written."""
    result = CliRunner().invoke(groundbrief, ["generate", *args, "--out", str(tmp_path / "reports"), "--as-of", "2026-11-24"])
    assert result.exit_code == 0, result.output
    return Path(result.stdout.strip().splitlines()[-1])


def sample_report(tmp_path: Path) -> Path:
    return generate(tmp_path, "Cerebras vs NVIDIA")


def hostile_report(tmp_path: Path) -> Path:
    """A report over one document whose text, title, publisher and URL each carry markup and script."""
    corpus = tmp_path / "hostile-corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", HOSTILE_TEXT, title=json.dumps(f"Cerebras {SCRIPT}"), date="2026-05-01",
              publisher=json.dumps(f"<b onmouseover=\"alert(1)\">Evil</b> Press {IMAGE}"),
              url=json.dumps("https://evil.example/a?q=\"><script>alert(1)</script>"))
    write_doc(corpus, "b.md", "Cerebras says NVIDIA customers moved 40% of inference to its chips, 5x cheaper than GPUs.",
              publisher="Plain Wire", date="2026-06-01")  # cited by its file:// path
    return generate(tmp_path, "Cerebras vs NVIDIA", "--corpus", str(corpus))
