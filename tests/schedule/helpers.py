"""Helpers the schedule tests share: a watchlist for NVIDIA's Q3 FY2027 report, and CLI runners."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from click.testing import CliRunner, Result

from pipeline.cli import groundbrief
from tests.conftest import EXAMPLE_TITLE_LINE

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

# The report date is illustrative: NVIDIA's Q3 FY2027 report, assumed for Wednesday November 25, 2026.
NVIDIA_WATCHLIST = f"""\
timezone = "America/New_York"
lead_days = [7, 1, 0]
window = "3m"
out_dir = "reports"

[[companies]]
name = "NVIDIA"
ticker = "NVDA"
earnings = [{{ quarter = "Q3 FY2027", date = 2026-11-25 }}]
requests = [
    "{EXAMPLE_TITLE_LINE}",
    {{ question = "Groq vs NVIDIA", source_hints = ["Podcasts"], keywords = ["Groq", "memory"] }},
]
"""


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str | Path) -> Result:
    """``groundbrief ARGS`` in this process."""
    return CliRunner().invoke(groundbrief, [str(arg) for arg in args], catch_exceptions=False)


def reports(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.glob("*.md"))


def child_env() -> dict[str, str]:
    """The environment for a ``groundbrief`` subprocess: this test's folders, this checkout."""
    return {**os.environ, "PYTHONPATH": str(REPO)}
