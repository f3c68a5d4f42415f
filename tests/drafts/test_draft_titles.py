"""A finding whose company only its page's title names ("The drug maker posted…" on a page titled "Acme
Pharma Q4 2025 results"): ``check`` and ``refresh`` treat its draft alike with or without the ``.json``
beside it, because the draft's hidden comment keeps each link's title (and date)."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import groundbrief
from pipeline.generate import generate_report
from tests.conftest import make_request, write_doc
from tests.drafts.conftest import as_older_version, edit_field, first_finding, generated

TITLED_URL = "https://pharmawire.example/acme-q4"
TITLE = "Acme Pharma Q4 2025 results"
# The editor says whose revenue it is, and cites a publisher the report doesn't: only the second needs a look.
ATTRIBUTED = "Acme Pharma reported it, according to Reuters."


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """One page naming Acme Pharma in its first paragraph (so searches find it) and in its title: its
    figure's sentence, two paragraphs on, calls the company "the drug maker"."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    write_doc(
        folder, "acme-q4.md",
        "Acme Pharma shares rose in Copenhagen trading on Wednesday.\n\nMarkets across Europe were calm.\n\n"
        "The drug maker posted revenue of $13.53 billion in the fourth quarter, up 45% from a year earlier.",
        title=TITLE, publisher="Pharma Wire", url=TITLED_URL, date="2026-02-05",
    )
    return folder


@pytest.fixture
def draft(corpus: Path, tmp_path: Path) -> Path:
    request = make_request("Acme Pharma vs Zenith", window="12m", as_of=date(2026, 3, 1))
    path = generate_report(request, corpus=corpus, out_dir=tmp_path / "reports").markdown_path
    titled = first_finding(path, lambda f: f.sources[0].url == TITLED_URL)
    assert "Acme Pharma" not in generated(path).findings[titled].snippet, "the title should be all that names the company"
    edit_field(path, titled, "Impact", lambda line: re.sub(r"(\*\*Impact:\*\* \w+\.).*", rf"\1 {ATTRIBUTED}", line))
    return path


def unsupported(path: Path) -> list[str]:
    result = CliRunner().invoke(groundbrief, ["check", str(path), "--format", "json"])
    assert result.exit_code == 0, result.output
    return [i["message"].split("'")[1] for i in json.loads(result.output)["issues"] if i["code"] == "unsupported-figure"]


def refresh(path: Path, corpus: Path) -> Path:
    result = CliRunner().invoke(groundbrief, ["refresh", str(path), "--as-of", "2026-03-02", "--corpus", str(corpus)])
    assert result.exit_code == 0, result.output
    return Path(result.output.split("\n")[0])


def titled_source(path: Path) -> tuple[str, str | None]:
    (source,) = [s for s in generated(path).sources if s.url == TITLED_URL]
    return source.title, source.published.isoformat() if source.published else None


def test_check_ties_the_finding_to_the_company_its_title_names_without_the_json(draft):
    assert unsupported(draft) == ["Reuters"]
    draft.with_suffix(".json").unlink()
    assert unsupported(draft) == ["Reuters"]


def test_a_refresh_of_the_markdown_alone_keeps_each_page_s_title_and_date(draft, corpus):
    draft.with_suffix(".json").unlink()
    refreshed = refresh(draft, corpus)
    assert titled_source(refreshed) == (TITLE, "2026-02-05")
    assert unsupported(refreshed) == ["Reuters"]
    refreshed.with_suffix(".json").unlink()
    assert unsupported(refreshed) == ["Reuters"]


def test_a_refresh_gives_an_older_version_s_draft_the_titles_and_dates_of_the_pages_it_read_again(draft, corpus):
    as_older_version(draft)
    draft.with_suffix(".json").unlink()
    refreshed = refresh(draft, corpus)
    assert titled_source(refreshed) == (TITLE, "2026-02-05")
    refreshed.with_suffix(".json").unlink()
    assert unsupported(refreshed) == ["Reuters"]
