"""Portable links: the sample corpus cites public pages or itself by a relative path, a report over it
holds no machine path, and a report over a user's corpus links to the user's own files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import groundbrief
from pipeline.generate import generate_report
from pipeline.models import SAMPLE_CORPUS_LINK, Source, is_safe_link
from pipeline.resources import sample_corpus_dir
from pipeline.search.corpus.documents import load_document
from tests.conftest import make_request, without_sample_citations

REPOSITORY = Path(__file__).resolve().parent.parent
SAMPLE_REPORT = REPOSITORY / "reports" / "2026-11-24-cerebras-vs-nvidia.md"


@pytest.mark.parametrize("path", sorted(sample_corpus_dir().iterdir()), ids=lambda p: p.name)
def test_every_sample_document_cites_a_public_page_or_itself(path):
    url = load_document(path).url
    assert url.startswith("https://") or url == SAMPLE_CORPUS_LINK + path.name
    if not url.startswith("https://"):  # the citation resolves from the repository's reports/ folder
        assert (REPOSITORY / "reports" / url).resolve() == (REPOSITORY / "corpus" / "sample" / path.name).resolve()


def _machine_paths(text: str) -> list[str]:
    places = [str(sample_corpus_dir().resolve()), str(REPOSITORY), "file://", "site-packages"]
    return [place for place in places if place in text]


def test_a_report_over_the_sample_corpus_holds_no_machine_path(tmp_path):
    written = generate_report(make_request(window="18m"), out_dir=tmp_path / "reports")
    for path in (written.markdown_path, written.markdown_path.with_suffix(".json")):
        assert _machine_paths(path.read_text(encoding="utf-8")) == []
    result = CliRunner().invoke(groundbrief, ["check", str(written.markdown_path)])
    assert result.exit_code == 0, result.output


def test_the_committed_sample_report_holds_no_machine_path_and_is_clean():
    for path in (SAMPLE_REPORT, SAMPLE_REPORT.with_suffix(".json")):
        assert _machine_paths(path.read_text(encoding="utf-8")) == []
    result = CliRunner().invoke(groundbrief, ["check", str(SAMPLE_REPORT)])
    assert result.exit_code == 0, result.output


def test_a_report_over_a_users_corpus_links_to_the_users_files(tmp_path):
    corpus = without_sample_citations(Path(shutil.copytree(sample_corpus_dir(), tmp_path / "my corpus")))
    written = generate_report(make_request(window="18m"), corpus=corpus, out_dir=tmp_path / "reports")
    local = [s.url for s in written.report.sources if not s.url.startswith("https://")]
    assert local and all(url.startswith(corpus.resolve().as_uri() + "/") for url in local)
    assert str(sample_corpus_dir().resolve()) not in written.markdown_path.read_text(encoding="utf-8")


@pytest.mark.parametrize(("url", "safe"), [
    ("https://www.sec.gov/", True),
    ("file:///home/analyst/corpus/note.md", True),
    ("../corpus/sample/2026-09-09-podcast-insights-cerebras-inference-bet.md", True),
    ("../corpus/sample/../../secrets.txt", False),
    ("../corpus/sample/..", False),
    ("notes/deal.md", False),
    ("javascript:alert(1)", False),
    ("//evil.example/x", False),
])
def test_only_http_file_and_sample_citations_are_links(url, safe):
    assert is_safe_link(url) is safe


def test_a_sample_citation_is_shown_by_its_place_in_the_repository():
    assert Source(url="../corpus/sample/x.md").domain == "corpus/sample/x.md"
