"""The HTML page in a real browser: headless Chromium from the system's packages (``.ci/run`` installs it).

Chromium loads the page, lets its scripts and events run, and prints the DOM as it then stands: the
findings and links are there, and nothing a document carried ran. A control page with a real script
shows that a script that runs would be seen.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from lxml import html as lxml_html

from pipeline.delivery.briefings import read_briefing
from pipeline.report.html import render_html
from tests.delivery.reports import IMAGE, LINK, SCRIPT, hostile_report

CHROMIUM = os.environ.get("GROUNDBRIEF_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium; .ci/run installs it where apt works)")


def dom_after_load(page: Path, profile: Path) -> lxml_html.HtmlElement:
    """The DOM once the page's scripts, events and timers have had 3 s of (virtual) time to run."""
    result = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
         "--virtual-time-budget=3000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert result.returncode == 0 and result.stdout.strip(), result.stderr[-2000:]
    return lxml_html.fromstring(result.stdout)


def test_the_control_page_shows_a_script_that_runs(tmp_path):
    control = tmp_path / "control.html"
    control.write_text(f"<html><body><p>control</p>{SCRIPT}{IMAGE}</body></html>", encoding="utf-8")
    body = dom_after_load(control, tmp_path / "profile").xpath("//body")[0]
    assert body.get("data-pwned") in ("script", "img")


def test_chromium_shows_the_findings_and_links_and_runs_nothing_from_the_documents(tmp_path):
    report = hostile_report(tmp_path)
    page = tmp_path / "briefing.html"
    page.write_text(render_html([read_briefing(report).briefing]), encoding="utf-8")
    dom = dom_after_load(page, tmp_path / "profile")

    body = dom.xpath("//body")[0]
    assert body.get("data-pwned") is None  # no script, event handler or javascript: link ran
    assert not dom.xpath("//script | //img | //iframe")
    text = " ".join(dom.text_content().split())
    for hostile in (SCRIPT, IMAGE, LINK):
        assert " ".join(hostile.split()) in text
    assert "Cerebras says NVIDIA customers moved 40% of inference to its chips, 5x cheaper than GPUs." in text
    assert {"Key Findings:", "Snippet:", "Impact:", "Consensus Check:", "Audit: passed"} <= set(dom.xpath("//strong/text()"))
    assert dom.xpath("//a/@href") == ["https://evil.example/a?q=%22%3E%3Cscript%3Ealert%281%29%3C/script%3E"]
    assert dom.xpath("//title/text()") == ["Cerebras vs NVIDIA (November 24, 2026)"]
