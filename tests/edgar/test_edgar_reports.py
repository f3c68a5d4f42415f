"""Whole reports with SEC filings, replayed from recordings of the SEC's own answers through the real
client (tests/edgar_server.py): the corpus and EDGAR together, a T-1 briefing from the example
watchlist, and what the SEC's refusals, outages and odd answers do to a report."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from pipeline.cli import generate_report, groundbrief
from tests.schedule.helpers import REPO

AS_OF = "2025-09-02"  # T-1 before a demo earnings Wednesday; NVIDIA filed its 10-Q and earnings 8-K on August 27
TEN_Q = "https://www.sec.gov/Archives/edgar/data/1045810/000104581025000209/nvda-20250727.htm"
RELEASE = "https://www.sec.gov/Archives/edgar/data/1045810/000104581025000207/q2fy26pr.htm"


def generate(tmp_path: Path, *args: str):
    out = tmp_path / "out"
    result = CliRunner().invoke(generate_report, [*args, "--as-of", AS_OF, "--out", str(out)], catch_exceptions=False)
    path = next(out.glob("*.md"), None)
    return result, path, json.loads(path.with_suffix(".json").read_text()) if path else None


def test_corpus_and_edgar_in_one_report_cite_both_kinds_and_check_passes(tmp_path, edgar):
    result, path, report = generate(tmp_path, "Cerebras vs NVIDIA", "--search", "corpus,edgar", "--window", "6m")
    assert result.exit_code == 0, result.output
    kinds = {source.get("kind") for source in report["sources"]}
    assert kinds == {"corpus", "edgar"}
    filings = [source for source in report["sources"] if source["kind"] == "edgar"]
    assert {source["url"] for source in filings} == {TEN_Q, RELEASE}
    for source in filings:
        assert source["published"] == "2025-08-27" and source["date_source"] == "metadata"
        assert source["publisher"] in ("NVIDIA Corp, 10-Q", "NVIDIA Corp, 8-K")
    markdown = path.read_text()
    assert f"]({TEN_Q})" in markdown and f"]({RELEASE})" in markdown
    quoted = [f for f in report["findings"] if f["sources"][0].get("kind") == "edgar"]
    assert quoted and all(f["date_label"] == "August 27, 2025" for f in quoted)
    assert any("primary source (NVIDIA Corp, 8-K)" in f["impact_rationale"] for f in quoted)
    assert any(f["sources"][0].get("kind") == "corpus" for f in report["findings"])
    assert report["metadata"]["search"] == "corpus,edgar"
    assert report["metadata"]["search_backend"] == "local corpus (the sample corpus) + SEC EDGAR filings (10-K, 10-Q, earnings 8-K, S-1)"
    assert any(gap["title"] == "No SEC filings" and gap["text"].startswith("Cerebras has no filings") for gap in report["gaps"])
    assert all(agent == "groundbrief tests tests@example.com" for _, agent in edgar.requests)
    checked = CliRunner().invoke(groundbrief, ["check", str(path)])
    assert checked.exit_code == 0 and "clean" in checked.output, checked.output


def test_the_example_watchlist_t_minus_1_briefing_cites_the_last_10q_and_the_earnings_release(tmp_path, edgar):
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples)
    result = CliRunner().invoke(groundbrief, ["schedule", str(examples / "watchlist.toml"), "--as-of", AS_OF], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    briefings = sorted((tmp_path / "reports" / "earnings").glob("*-t-1-*.json"))
    assert briefings, result.output
    for briefing in briefings:
        urls = {source["url"] for source in json.loads(briefing.read_text())["sources"]}
        assert {TEN_Q, RELEASE} <= urls
        assert f"]({RELEASE})" in briefing.with_suffix(".md").read_text()


def test_a_private_company_is_a_gap_never_an_error(tmp_path, edgar):
    result, _, report = generate(tmp_path, "Groq vs NVIDIA", "--search", "edgar", "--window", "3m")
    assert result.exit_code == 0, result.output
    gap = next(gap for gap in report["gaps"] if gap["title"] == "No SEC filings")
    assert gap["text"].startswith("Groq has no filings in SEC EDGAR") and "private company" in gap["text"]
    assert {source["url"] for source in report["sources"]} == {TEN_Q, RELEASE}


def test_a_429_that_does_not_clear_is_a_failed_search_and_the_corpus_still_stands(tmp_path, edgar):
    edgar.scripted["/submissions/CIK0001045810.json"] = (429, {"Retry-After": "0"}, b"Request Rate Threshold Exceeded")
    result, _, report = generate(tmp_path, "Cerebras vs NVIDIA", "--search", "corpus,edgar", "--window", "6m")
    assert result.exit_code == 3  # written, partial
    failed = [gap for gap in report["gaps"] if gap["kind"] == "failure"]
    assert len(failed) == 1 and "rate limiting (HTTP 429) after 2 tries" in failed[0]["text"]
    assert edgar.paths().count("/submissions/CIK0001045810.json") == 4  # max_retries = 1, in each of the two search rounds
    assert {source["kind"] for source in report["sources"]} == {"corpus"}


def test_a_403_says_to_check_the_user_agent(tmp_path, edgar):
    edgar.scripted["/files/company_tickers.json"] = (403, {}, b"Your Request Originates from an Undeclared Automated Tool")
    result, _, report = generate(tmp_path, "Cerebras vs NVIDIA", "--search", "corpus,edgar", "--window", "6m")
    assert result.exit_code == 3
    failed = next(gap for gap in report["gaps"] if gap["kind"] == "failure")
    assert "HTTP 403" in failed["text"] and "sec_user_agent" in failed["text"]
    assert edgar.paths() == ["/files/company_tickers.json"] * 2  # refused at once in each search round: not retried


def test_a_filing_over_the_size_cap_is_skipped_and_said(tmp_path, edgar, monkeypatch):
    from pipeline.settings import load_settings
    from tests.edgar_server import settings_file

    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(settings_file(tmp_path, edgar.url, sec_max_bytes=500_000)))
    load_settings.cache_clear()
    result, _, report = generate(tmp_path, "Cerebras vs NVIDIA", "--search", "edgar", "--window", "6m")
    assert result.exit_code == 0, result.output
    gap = next(gap for gap in report["gaps"] if gap["title"] == "Filing not read")
    assert gap["text"].startswith("NVIDIA Corp, 10-Q filed August 27, 2025 was not read") and "0.5 MB" in gap["text"]
    assert {source["url"] for source in report["sources"]} == {RELEASE}


def test_a_malformed_index_is_a_failed_search_not_a_crash(tmp_path, edgar):
    edgar.scripted["/submissions/CIK0001045810.json"] = (200, {"Content-Type": "application/json"}, b'{"filings": {"recent": {"form": ["10-Q"]}}}')
    result, _, report = generate(tmp_path, "Cerebras vs NVIDIA", "--search", "edgar", "--window", "6m")
    assert result.exit_code == 3
    failed = next(gap for gap in report["gaps"] if gap["kind"] == "failure")
    assert "SEC EDGAR filings of NVIDIA" in failed["text"] and "not in its usual format" in failed["text"]


def test_a_filing_index_without_its_table_fails_that_filing_only(tmp_path, edgar):
    edgar.scripted["/Archives/edgar/data/1045810/000104581025000207/0001045810-25-000207-index.html"] = (
        200, {"Content-Type": "text/html"}, b"<html><body><p>Filing Detail</p></body></html>")
    result, _, report = generate(tmp_path, "Cerebras vs NVIDIA", "--search", "edgar", "--window", "6m")
    assert result.exit_code == 3
    assert any("no table of documents" in gap["text"] for gap in report["gaps"] if gap["kind"] == "failure")
    assert {source["url"] for source in report["sources"]} == {TEN_Q}


def test_without_a_contact_edgar_is_refused_in_one_line(tmp_path, monkeypatch):
    from pipeline.settings import load_settings

    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(tmp_path / "none.toml"))
    load_settings.cache_clear()
    result = CliRunner().invoke(generate_report, ["Cerebras vs NVIDIA", "--search", "corpus,edgar", "--out", str(tmp_path)])
    load_settings.cache_clear()
    assert result.exit_code == 1
    assert result.output.startswith("Error: SEC EDGAR needs your contact: add sec_user_agent")
    assert len(result.output.strip().splitlines()) == 1 and not list(tmp_path.glob("*.md"))


def test_the_dry_run_prices_every_searcher(tmp_path):
    result = CliRunner().invoke(generate_report, ["Cerebras vs NVIDIA", "--search", "corpus,edgar", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "search: corpus, SEC EDGAR filings" in result.output
    assert "| search (SEC EDGAR, no model) | 0 | 0 | 15 |" in result.output
