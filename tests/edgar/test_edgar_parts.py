"""The parts of the EDGAR searcher on the SEC's recorded answers (tests/cassettes/edgar/README.md),
and the combined search that merges several searchers."""

from __future__ import annotations

import time
from datetime import date

import pytest

from pipeline.errors import UsageError
from pipeline.models import Evidence, GapKind, SearchResults, Source
from pipeline.registry import registry
from pipeline.search.combined import CombinedSearcher, Part, canonical_url
from pipeline.search.edgar.client import EdgarClient, RateLimiter
from pipeline.search.edgar.filings import MalformedIndex, earnings_release, find_company, latest_filings, mentions
from pipeline.search.edgar.sections import document_lines, passages
from pipeline.settings import Settings
from tests.conftest import FixedSearcher, make_request
from tests.edgar_server import RECORDINGS, USER_AGENT

NVDA = RECORDINGS / "Archives" / "edgar" / "data" / "1045810"
TICKERS = (RECORDINGS / "files" / "company_tickers.json").read_bytes()


def test_companies_map_to_ciks_through_the_ticker_file():
    nvidia = find_company("NVIDIA", TICKERS)
    assert nvidia is not None and (nvidia.cik, nvidia.name, nvidia.display) == (1045810, "NVIDIA CORP", "NVIDIA Corp")
    assert find_company("nvda", TICKERS).cik == find_company("NVDA", TICKERS).cik == 1045810  # type: ignore[union-attr]
    assert find_company("Groq", TICKERS) is None
    with pytest.raises(MalformedIndex, match="ticker file"):
        find_company("NVIDIA", b'["not", "the", "format"]')


def test_the_latest_10q_and_earnings_8k_in_the_window_are_chosen():
    nvidia = find_company("NVIDIA", TICKERS)
    assert nvidia is not None
    submissions = (RECORDINGS / "submissions" / "CIK0001045810.json").read_bytes()
    chosen = latest_filings(nvidia, submissions, date(2025, 6, 2), date(2025, 9, 2))
    assert [(f.form, f.accession, f.filed) for f in chosen] == [
        ("10-Q", "0001045810-25-000209", date(2025, 8, 27)), ("8-K", "0001045810-25-000207", date(2025, 8, 27))]
    # the Item 5.02 and 5.07 8-Ks of the window are not earnings releases
    assert chosen[0].link == "https://www.sec.gov/Archives/edgar/data/1045810/000104581025000209/nvda-20250727.htm"
    a_year = latest_filings(nvidia, submissions, date(2024, 9, 2), date(2025, 9, 2))
    assert {f.form: f.filed for f in a_year} == {"10-Q": date(2025, 8, 27), "8-K": date(2025, 8, 27), "10-K": date(2025, 2, 26)}
    empty = (RECORDINGS / "submissions" / "CIK0000350001.json").read_bytes()
    assert latest_filings(nvidia, empty, date(2000, 1, 1), date(2026, 1, 1)) == []


def test_the_earnings_release_is_found_by_its_declared_type():
    real = (NVDA / "000104581026000019" / "0001045810-26-000019-index.html").read_bytes()
    assert earnings_release(real) == "q4fy26pr.htm"
    typo = real.replace(b"<td scope=\"row\">EX-99.1</td>", b"<td scope=\"row\">EX-99..1</td>")
    assert earnings_release(typo) == "q4fy26pr.htm"
    with pytest.raises(MalformedIndex, match="no table of documents"):
        earnings_release(b"<html><body>nothing here</body></html>")


def test_full_text_search_hits_are_read():
    [hit] = mentions((RECORDINGS / "efts" / "1_hit.json").read_bytes())
    assert (hit.cik, hit.filer, hit.form, hit.filed, hit.document) == (
        1865782, "BrightSpring Health Services, Inc.", "ARS", date(2025, 4, 18), "btsg-2025_ars.pdf")
    assert mentions((RECORDINGS / "efts" / "0_hits.json").read_bytes()) == []
    with pytest.raises(MalformedIndex):
        mentions(b"<html>maintenance</html>")


def test_passages_come_from_the_sections_verbatim_and_without_xbrl():
    body = (NVDA / "000104581025000209" / "nvda-20250727.htm").read_bytes()
    found = passages(body, release=False)
    assert {p.section for p in found} == {"Management's Discussion and Analysis", "Risk Factors"}
    assert any(p.text == "Revenue was $46.7 billion, up 56% from a year ago and up 6% sequentially." for p in found)
    text = "\n".join(document_lines(body))
    assert all(p.text in text or all(s in text for s in p.text.split(". ")) for p in found)
    assert not any("us-gaap" in p.text or "xbrli" in p.text or "0001045810" in p.text for p in found)
    release = passages((NVDA / "000104581025000207" / "q2fy26pr.htm").read_bytes(), release=True)
    assert release[0].text.startswith("NVIDIA (NASDAQ: NVDA) today reported revenue for the second quarter ended July 27, 2025")
    assert any(p.text.startswith("Revenue is expected to be $54.0 billion") for p in release)  # the outlook
    assert not any(p.text.startswith("Certain statements in this press release") for p in release)


def test_every_response_is_cached_and_every_request_names_the_contact(edgar, tmp_path):
    settings = Settings(sec_user_agent=USER_AGENT, sec_base_url=edgar.url)
    with EdgarClient(settings, tmp_path / "cache") as sec:
        first = sec.get("data", "/submissions/CIK0001045810.json", ttl=60)
    with EdgarClient(settings, tmp_path / "cache") as sec:
        assert sec.get("data", "/submissions/CIK0001045810.json", ttl=60) == first and sec.requests == 0
        assert sec.get("data", "/submissions/CIK0000000001.json") is None  # the SEC's 404
        assert sec.get("data", "/submissions/CIK0000000001.json") is None and sec.requests == 1
    assert [agent for _, agent in edgar.requests] == [USER_AGENT, USER_AGENT]


def test_the_rate_limiter_spaces_requests_across_threads():
    from concurrent.futures import ThreadPoolExecutor

    limiter, started = RateLimiter(), time.monotonic()
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda _: limiter.wait(50), range(11)))
    assert time.monotonic() - started >= 10 / 50  # eleven starts need ten intervals, whatever the threads


def test_a_missing_contact_or_a_bad_one_is_refused():
    with pytest.raises(UsageError, match="sec_user_agent"):
        EdgarClient(Settings(), None)
    with pytest.raises(ValueError, match="name and email"):
        Settings(sec_user_agent="groundbrief")


def _results(*items: tuple[str, str]) -> SearchResults:
    return SearchResults(evidence=[Evidence(text=text, source=Source(url=url), query="q") for url, text in items],
                         executed_queries=["q"])


class FailingSearcher(FixedSearcher):
    def __init__(self, error: Exception):
        super().__init__(SearchResults())
        self.error = error

    def search(self, request, queries):
        raise self.error


def test_a_page_found_by_two_searchers_is_one_source_and_keeps_the_first_kind():
    corpus = FixedSearcher(_results(("https://www.example.com/a/", "Passage A."), ("file:///notes/b.md", "Passage B.")))
    web = FixedSearcher(_results(("https://example.com/a?utm_source=x#top", "Passage A."), ("https://example.com/c", "C.")))
    combined = CombinedSearcher([Part("corpus", corpus), Part("web", web)])
    results = combined.search(make_request(), [])
    assert [(e.source.url, e.source.kind) for e in results.evidence] == [
        ("https://www.example.com/a/", "corpus"), ("file:///notes/b.md", "corpus"), ("https://example.com/c", "web")]
    assert len(results.sources) == 3
    assert combined.identity == "combined[corpus=fixed results (test) | web=fixed results (test)]"


def test_a_failing_searcher_is_a_gap_and_a_usage_error_stops_the_run():
    good = FixedSearcher(_results(("https://example.com/a", "Passage A.")))
    results = CombinedSearcher([Part("corpus", good), Part("edgar", FailingSearcher(OSError("connection refused")))]).search(make_request(), [])
    assert [e.source.kind for e in results.evidence] == ["corpus"]
    [failure] = results.failures
    assert failure.as_gap().kind == GapKind.FAILURE and "connection refused" in failure.error
    with pytest.raises(UsageError):
        CombinedSearcher([Part("corpus", good), Part("web", FailingSearcher(UsageError("bad key")))]).search(make_request(), [])


def test_canonical_urls():
    assert canonical_url("HTTP://WWW.Example.com:80/a/b/?utm_medium=x&id=3#frag") == "https://example.com/a/b?id=3"
    assert canonical_url("https://example.com:8443/a") == "https://example.com:8443/a"
    assert canonical_url("../corpus/sample/x.md") == "../corpus/sample/x.md"


def test_search_names_any_list_of_registered_kinds():
    kinds = registry()
    assert kinds.search_kind("offline-rules", None, "corpus, edgar") == "corpus,edgar"
    with pytest.raises(UsageError, match="unknown search 'nope'"):
        kinds.search_kind("offline-rules", None, "corpus,nope")
    with pytest.raises(UsageError, match="names corpus twice"):
        kinds.search_kind("offline-rules", None, "corpus,corpus")
    with pytest.raises(UsageError, match="exclude each other"):
        kinds.search_kind("offline-rules", RECORDINGS, "edgar")
    assert kinds.search_kind("offline-rules", RECORDINGS, "corpus,edgar") == "corpus,edgar"


def test_sources_without_a_kind_serialize_as_before_and_old_json_loads():
    plain = Source(url="https://example.com/a", publisher="Example")
    assert set(plain.model_dump(mode="json")) == {"url", "title", "publisher", "published"}
    filing = Source(url="https://www.sec.gov/x.htm", publisher="NVIDIA Corp, 10-Q", kind="edgar", filer="1045810")
    again = Source.model_validate_json(filing.model_dump_json())
    assert (again.kind, again.filer) == ("edgar", "1045810")
    # a company's 10-Q and its 8-K are one publisher when independence is counted
    assert again.publisher_key == Source(url="https://www.sec.gov/y.htm", publisher="NVIDIA Corp, 8-K", filer="1045810").publisher_key
