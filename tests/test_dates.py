"""Publication dates from metadata, page markup and URLs, and Date lines that say where a date came from."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest

from pipeline.analysts.rules import RuleAnalyst
from pipeline.dates import date_from_url
from pipeline.gaps import UNDATED, date_label, labelled
from pipeline.models import DateSource, Evidence, SearchResults, Source
from pipeline.search.corpus.documents import load_document
from pipeline.search.corpus.index import CorpusIndex
from pipeline.search.pages import extract
from tests.conftest import make_request, write_doc

STORY = "https://www.cnbc.com/2026/01/16/cerebras-openai-inference-deal.html"


@pytest.mark.parametrize(("url", "expected"), [
    (STORY, date(2026, 1, 16)),
    ("https://example.com/news/2026-01-16/cerebras-ipo", date(2026, 1, 16)),
    ("https://example.com/cerebras-ipo", None),
    ("https://example.com/2026/01/cerebras-ipo", None),  # a month is not a publication date
    ("https://example.com/2026/13/45/cerebras-ipo", None),  # not a calendar date
    ("file:///home/analyst/notes/2026/01/16/cerebras.md", None),  # folders on disk say nothing about publication
])
def test_dates_in_urls(url, expected):
    assert date_from_url(url) == expected


def test_a_markdown_document_with_a_dated_url_and_no_date_is_dated_from_the_url(tmp_path):
    path = write_doc(tmp_path, "deal.md", "Cerebras signed a large deal with OpenAI.", title="Deal", url=STORY)
    document = load_document(path)
    assert (document.published, document.date_source) == (date(2026, 1, 16), DateSource.URL)


def test_a_stated_date_wins_over_the_url(tmp_path):
    path = write_doc(tmp_path, "deal.md", "Cerebras signed a deal.", url=STORY, date="2026-01-18")
    document = load_document(path)
    assert (document.published, document.date_source) == (date(2026, 1, 18), DateSource.METADATA)


def test_an_html_document_is_dated_from_its_markup_or_its_canonical_url(tmp_path):
    timed = tmp_path / "timed.html"
    timed.write_text('<html><head><title>T</title></head><body><article><time datetime="2026-02-03">Feb 3</time>'
                     "<p>Cerebras shipped systems to a bank.</p></article></body></html>")
    assert (load_document(timed).published, load_document(timed).date_source) == (date(2026, 2, 3), DateSource.METADATA)
    canonical = tmp_path / "canonical.html"
    canonical.write_text(f'<html><head><title>T</title><link rel="canonical" href="{STORY}"></head>'
                         "<body><p>Cerebras shipped systems to a bank.</p></body></html>")
    assert (load_document(canonical).published, load_document(canonical).date_source) == (date(2026, 1, 16), DateSource.URL)


def test_the_index_keeps_where_a_date_came_from_and_rebuilds_an_older_index(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "deal.md", "Cerebras signed a large deal with OpenAI.", title="Deal", url=STORY)
    database = tmp_path / "index.sqlite3"
    with sqlite3.connect(database) as old:  # an index from before dates recorded their origin
        old.execute("CREATE TABLE documents (id INTEGER PRIMARY KEY, path TEXT UNIQUE NOT NULL, mtime_ns INTEGER NOT NULL,"
                    " size INTEGER NOT NULL, url TEXT NOT NULL, title TEXT NOT NULL, publisher TEXT, published TEXT,"
                    " warnings TEXT NOT NULL DEFAULT '')")
        old.execute("PRAGMA user_version = 1")
    index = CorpusIndex(corpus, database)
    index.sync()
    (passage,) = index.search(["deal"], [["cerebras"]], date(2025, 1, 1), date(2026, 12, 31), 5)
    assert (passage.published, passage.date_source) == (date(2026, 1, 16), DateSource.URL)
    index.close()


def test_a_web_page_without_date_markup_is_dated_from_its_url():
    body = b"<html><head><title>Deal</title></head><body><article><p>" + b"Cerebras signed a large deal with OpenAI. " * 20 + b"</p></article></body></html>"
    page = extract(STORY, STORY, body)
    assert (page.published, page.date_source) == (date(2026, 1, 16), DateSource.URL)
    plain = extract(STORY, STORY, b"Cerebras signed a large deal with OpenAI.", plain=True)
    assert (plain.published, plain.date_source) == (date(2026, 1, 16), DateSource.URL)


@pytest.mark.parametrize(("source", "expected"), [
    (Source(url=STORY, published=date(2026, 1, 16), date_source=DateSource.URL), "January 16, 2026 (from the URL)"),
    (Source(url=STORY, published=date(2026, 1, 16), date_source=DateSource.METADATA), "January 16, 2026"),
    (Source(url=STORY, published=date(2026, 1, 16)), "January 16, 2026"),
    (Source(url=STORY), UNDATED),
])
def test_date_labels_say_where_a_date_came_from(source, expected):
    assert date_label(source) == expected


def test_a_finding_from_a_url_dated_page_is_no_longer_undated(tmp_path):
    source = Source(url=STORY, title="Deal", publisher="CNBC", published=date(2026, 1, 16), date_source=DateSource.URL)
    evidence = Evidence(text="OpenAI signed a deal worth more than $10 billion with Cerebras for inference capacity.", source=source, query="q")
    (finding,) = RuleAnalyst().assess(make_request("Cerebras vs NVIDIA"), SearchResults(evidence=[evidence], executed_queries=["q"])).findings
    assert labelled(finding).date_label == "January 16, 2026 (from the URL)"
