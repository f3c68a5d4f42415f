"""Cited pages: redirects resolved, pages read and cached, failures named; cassettes and a local server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from pipeline.resources import cache_dir
from pipeline.search.pages import PageFetcher
from pipeline.settings import load_settings
from tests.gemini.scenarios import BUSINESSWIRE, CEREBRAS_BLOG, GROQ_PAGE, REDIRECTS, fetch_pages


@pytest.mark.vcr
@pytest.mark.default_cassette("pages.yaml")
def test_redirects_resolve_pages_are_read_and_failures_keep_what_is_known(vcr):
    wire, groq, expired, blog = fetch_pages()
    assert (wire.url, wire.final_url, wire.problem) == (REDIRECTS["businesswire"], BUSINESSWIRE, None)
    assert "3,045 tokens per second" in wire.text and "Home Newsroom" not in wire.text  # main text, not navigation
    assert (wire.site, wire.published) == ("Business Wire", date(2026, 10, 14))
    assert wire.title.startswith("Cerebras Sets gpt-oss-120B Inference Record")
    assert (groq.final_url, groq.problem, groq.text) == (GROQ_PAGE, "HTTP 404", "")  # resolved, page gone
    assert (expired.final_url, expired.problem) == (REDIRECTS["nextplatform"], "HTTP 404")  # the redirect is kept
    assert (blog.final_url, blog.published, blog.site) == (CEREBRAS_BLOG, None, "Cerebras")  # undated page
    assert "Zürich-based Mistral AI" in blog.text
    assert vcr.all_played


@pytest.mark.vcr
@pytest.mark.default_cassette("pages.yaml")
def test_pages_and_redirects_are_cached_so_a_rerun_fetches_nothing(vcr):
    first = fetch_pages()
    played = vcr.play_count
    assert fetch_pages() == first
    assert vcr.play_count == played  # a 404 is remembered for a day, pages for a week, redirects for a month


@pytest.fixture
def local_site(gemini_settings) -> Iterator[str]:
    """A web server on localhost: a page that never answers, a PDF, a page larger than the cap, and
    redirects to a malformed URL and to a host name IDNA rejects. The settings open its address and
    port only (``allow_private_network``): loopback is refused otherwise."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/slow":
                time.sleep(3)
                return
            if self.path in BROKEN_REDIRECTS:
                self.send_response(302)
                self.send_header("Location", BROKEN_REDIRECTS[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            kind, body = {
                "/report.pdf": ("application/pdf", b"%PDF-1.7"),
                "/long": ("text/html", b"<html><body><article><p>" + b"Cerebras grew. " * 20_000 + b"</p></article></body></html>"),
            }[self.path]
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gemini_settings(f'allow_private_network = ["127.0.0.1:{server.server_port}"]')
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


BROKEN_REDIRECTS = {"/bad-redirect": "http://[oops/", "/idna-redirect": "http://xn--a.com/"}


def _fetch(url: str):
    with PageFetcher(cache_dir() / "web", load_settings()) as pages:
        return pages.fetch(url)


def test_a_page_that_times_out_says_so_quickly(local_site):
    started = time.perf_counter()
    page = _fetch(f"{local_site}/slow")
    assert page.problem == "timed out after 0.5 s" and page.text == ""
    assert time.perf_counter() - started < 2.5


def test_a_document_that_is_not_a_web_page_is_not_read(local_site):
    assert _fetch(f"{local_site}/report.pdf").problem == "not a web page (application/pdf)"


def test_a_long_page_is_read_up_to_the_size_cap(local_site):
    page = _fetch(f"{local_site}/long")
    assert page.problem is None and page.text.startswith("Cerebras grew.")
    assert len(page.text) <= load_settings().page_max_bytes


def test_an_unreachable_host_is_named_not_raised(gemini_settings):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    gemini_settings(f'allow_private_network = ["127.0.0.1:{port}"]')
    assert _fetch(f"http://127.0.0.1:{port}/x").problem == "unreachable (ConnectError)"


def test_a_search_results_link_is_not_fetched():
    page = _fetch("https://www.google.com/search?q=cerebras")
    assert page.problem == "a search results page, not a publication" and page.final_url == page.url


def test_a_malformed_redirect_is_named_not_raised(local_site):
    """urljoin raises ValueError on the Location; the page says so instead of ending the search."""
    page = _fetch(f"{local_site}/bad-redirect")
    assert (page.problem, page.final_url, page.text) == ("could not be read (ValueError)", f"{local_site}/bad-redirect", "")


def test_a_redirect_to_a_host_idna_rejects_is_named_not_raised(local_site):
    """httpx reads the Location even when it doesn't follow it, and raises the idna codec's error."""
    page = _fetch(f"{local_site}/idna-redirect")
    assert page.final_url == f"{local_site}/idna-redirect" and page.problem == "could not be read (InvalidCodepoint)"


def test_one_bad_page_does_not_end_the_search(local_site):
    """A grounded answer citing a page with a malformed redirect and a readable page: the search
    finishes, the readable page verifies the statement, the bad one is named in the warnings."""
    from pipeline.models import SearchQuery, TokenUsage
    from pipeline.prompts import PromptBook
    from pipeline.search.grounding import GroundedAnswer, GroundedStatement, WebChunk
    from pipeline.search.web import GroundedSearcher
    from tests.conftest import make_request

    class ScriptedGrounding:
        """Stands in for the grounded model call; the pages are fetched for real from the local site."""

        identity = "scripted-grounding"
        usage = TokenUsage()

        def ground(self, prompt: str) -> GroundedAnswer:
            chunks = (WebChunk(f"{local_site}/bad-redirect", "bad.example"), WebChunk(f"{local_site}/long", "long.example"))
            return GroundedAnswer("Cerebras grew.", ("cerebras growth",), chunks, (GroundedStatement("Cerebras grew.", (0, 1)),))

    pages = PageFetcher(cache_dir() / "web", load_settings())
    searcher = GroundedSearcher(ScriptedGrounding(), pages, PromptBook(), concurrency=2, fetch_concurrency=2)
    results = searcher.search(make_request(), [SearchQuery(text="Cerebras growth last 18 months")])
    assert not results.failures
    (evidence,) = results.evidence
    assert evidence.verified and evidence.source.url == f"{local_site}/long"
    assert f"{local_site}/bad-redirect (could not be read (ValueError))" in results.warnings[-1]
