"""``groundbrief refresh``: edits survive word for word, new evidence is marked, nothing is overwritten."""

from __future__ import annotations

import os
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import groundbrief
from pipeline.drafts.files import read_draft
from pipeline.drafts.merge import RefreshOptions, refresh_draft
from pipeline.errors import UsageError
from tests.conftest import EXAMPLE_REPORT, write_doc
from tests.drafts.conftest import edit, finding_block

AS_OF = date(2026, 11, 24)
NEW = "    *   **Status:** New in refresh of November 24, 2026"
NOT_FOUND = "    *   **Status:** Source not found in refresh of November 24, 2026"
EDITED_RATIONALE = "    *   **Impact:** High. The IPO repricing is the clearest sign of demand for NVIDIA alternatives — editor."
OPENAI = "OpenAI's large deal with Cerebras"


def refresh(path: Path, *options: str):
    return CliRunner().invoke(groundbrief, ["refresh", str(path), "--as-of", "2026-11-24", *options])


def add_mistral_story(corpus: Path) -> None:
    write_doc(
        corpus, "2026-11-20-the-information-mistral.md",
        "Mistral moved its production inference from NVIDIA H100 clusters to Cerebras systems.\n\n"
        "People familiar with the deal said the contract is worth about $250 million over three years.",
        title="Mistral moves production inference to Cerebras", publisher="The Information", date="2026-11-20",
        url="https://www.theinformation.com/articles/mistral-cerebras",
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_edited_rationale_is_kept_word_for_word_while_a_new_finding_is_added(draft, corpus):
    lines = draft.read_text(encoding="utf-8").split("\n")
    impact = next(n for n, line in enumerate(lines) if "**Impact:** High. 3 signals: quantified claim (\\$150" in line)
    lines[impact] = EDITED_RATIONALE
    draft.write_text("\n".join(lines), encoding="utf-8")
    before = snapshot(draft.parent)
    add_mistral_story(corpus)

    result = refresh(draft)

    assert result.exit_code == 0, result.output
    refreshed = Path(result.output.split("\n")[0])
    assert refreshed == draft.with_name(f"{draft.stem}-refreshed.md") and refreshed.with_suffix(".json").exists()
    after = snapshot(draft.parent)
    assert {name: after[name] for name in before} == before  # the draft and its JSON are untouched
    assert sorted(after) == sorted([*before, refreshed.name, refreshed.with_suffix(".json").name])
    assert "Findings: 6 kept as written, 1 new, 0 flagged" in result.output
    markdown = refreshed.read_text(encoding="utf-8")
    assert EDITED_RATIONALE + "\n" in markdown
    new = finding_block(markdown, "contract is worth about")
    assert new.rstrip("\n").endswith(NEW) and markdown.count("**Status:**") == 1
    assert CliRunner().invoke(groundbrief, ["check", str(refreshed)]).exit_code == 0


def test_an_untouched_analysis_is_regenerated_and_an_edited_one_kept_with_the_new_one_offered(draft, corpus):
    add_mistral_story(corpus)
    untouched = refresh_draft(draft, RefreshOptions(as_of=AS_OF))
    assert untouched.summary.analysis == "regenerated (it was not edited)"
    assert not untouched.report.offered_analysis and "15 documents" in untouched.report.analysis[0]

    edit(draft, "2 of 6 key findings rate High impact.", "Two findings rate High; the IPO one matters most.")
    kept = refresh_draft(draft, RefreshOptions(as_of=AS_OF))
    assert kept.summary.analysis == "kept your edited analysis; the regenerated one is offered beside it"
    assert kept.report.analysis[1].startswith("Two findings rate High; the IPO one matters most.")
    assert kept.report.offered_analysis == untouched.report.analysis
    assert read_draft(kept.path).report.offered_analysis == untouched.report.analysis

    again = refresh_draft(kept.path, RefreshOptions(as_of=AS_OF))  # the editor has not chosen yet: still kept
    assert again.path.name == f"{draft.stem}-refreshed-3.md"
    assert again.report.analysis == kept.report.analysis and again.report.offered_analysis == untouched.report.analysis


def test_a_deleted_finding_stays_deleted_until_new_evidence_appears(draft, corpus):
    draft.write_text(draft.read_text(encoding="utf-8").replace(finding_block(draft.read_text(encoding="utf-8"), OPENAI), ""))

    first = refresh_draft(draft, RefreshOptions(as_of=AS_OF))
    assert first.summary.stayed_deleted == 1 and not first.summary.new
    assert OPENAI not in first.path.read_text(encoding="utf-8")

    write_doc(
        corpus, "2026-11-21-reuters-openai-cerebras.md",
        "OpenAI's large deal with Cerebras is about faster inference, which shows that response time has become a key axis of competition.",
        title="OpenAI's Cerebras deal", publisher="Reuters", date="2026-11-21", url="https://www.reuters.com/technology/openai-cerebras",
    )
    second = refresh_draft(first.path, RefreshOptions(as_of=AS_OF))  # the editor works on from the refreshed version
    assert second.summary.stayed_deleted == 0 and len(second.summary.new) == 1
    block = finding_block(second.path.read_text(encoding="utf-8"), OPENAI)
    assert "Reuters" in block and block.rstrip("\n").endswith(NEW)


def test_a_finding_whose_sources_no_longer_turn_up_is_flagged_and_kept(draft, corpus):
    moved = corpus.parent / "moved"
    moved.mkdir()
    for name in ("2026-05-08-sec-filing-summary-cerebras-ipo.md", "2026-05-11-inference-chip-wars-cerebras-ipo-explainer.md"):
        shutil.move(corpus / name, moved / name)

    flagged = refresh_draft(draft, RefreshOptions(as_of=AS_OF))

    assert len(flagged.summary.flagged) == 2 and flagged.summary.kept == 4
    markdown = flagged.path.read_text(encoding="utf-8")
    ipo = ("lifted the IPO price range", "has upsized its initial public offering")
    for snippet in ipo:
        assert finding_block(markdown, snippet).rstrip("\n").endswith(NOT_FOUND)
    assert len(read_draft(flagged.path).report.findings) == 6 + len(flagged.summary.new)

    for path in moved.iterdir():
        shutil.move(path, corpus / path.name)
    cleared = refresh_draft(flagged.path, RefreshOptions(as_of=AS_OF))
    assert not cleared.summary.flagged and "Source not found" not in cleared.path.read_text(encoding="utf-8")
    assert [f.status for f in cleared.report.findings if f.snippet.startswith(("Within a few days", "Cerebras Systems has"))] == [None, None]


def test_a_draft_without_request_metadata_needs_topic(draft):
    markdown = draft.read_text(encoding="utf-8")
    draft.write_text(markdown[: markdown.index("<!-- groundbrief:report")], encoding="utf-8")
    draft.with_suffix(".json").unlink()
    before = snapshot(draft.parent)

    result = refresh(draft)
    assert result.exit_code == 1
    assert "the draft's request metadata is gone" in result.output and "pass --topic, e.g. --topic 'Cerebras vs NVIDIA'" in result.output
    assert snapshot(draft.parent) == before

    corpus = draft.parent.parent / "corpus"
    result = refresh(draft, "--topic", "Cerebras vs NVIDIA", "--window", "18m", "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    assert "Note: the draft records no baseline" in result.output


def test_the_example_report_says_what_refresh_needs(tmp_path):
    example = Path(shutil.copy(EXAMPLE_REPORT, tmp_path / "example.md"))
    result = refresh(example)
    assert result.exit_code == 1
    assert "--topic 'Are Cerebras/Groq customers publishing" in result.output and "--window if not 3m" in result.output


@pytest.mark.parametrize(
    ("prepare", "message"),
    [
        (lambda d: d.with_name("missing.md"), "missing.md: no such file"),
        (lambda d: (d.write_text(d.read_text() + "\n## Editor notes\n\nCall the bank.\n"), d)[1], "is not a section of the report"),
        (lambda d: (d.write_text(d.read_text().replace('"schema_version": 1', '"schema_version": 7')), d)[1], "newer groundbrief"),
    ],
)
def test_bad_drafts_are_refused_and_nothing_is_written(draft, prepare, message):
    path = prepare(draft)
    before = snapshot(draft.parent)
    with pytest.raises(UsageError, match=message):
        refresh_draft(path, RefreshOptions(as_of=AS_OF))
    assert snapshot(draft.parent) == before


def test_topic_is_refused_when_the_draft_records_its_request(draft):
    with pytest.raises(UsageError, match="--topic is only for drafts whose metadata was deleted"):
        refresh_draft(draft, RefreshOptions(as_of=AS_OF, topic="Groq vs NVIDIA"))


def test_a_corpus_that_is_gone_must_be_named(draft, corpus):
    shutil.rmtree(corpus)
    with pytest.raises(UsageError, match=r"the draft was researched in .*corpus, which is not here: pass --corpus"):
        refresh_draft(draft, RefreshOptions(as_of=AS_OF))


def test_a_folder_that_cannot_be_written_is_refused_before_any_research(draft, monkeypatch):
    real_access = os.access

    def access(path, mode, **kwargs):  # as for a read-only folder, which root could write anyway
        return False if Path(path) == draft.parent and mode & os.W_OK else real_access(path, mode, **kwargs)

    def research(*args, **kwargs):
        raise AssertionError("research ran before the output folder was checked")

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr("pipeline.drafts.merge.research", research)
    with pytest.raises(UsageError, match="is not writable"):
        refresh_draft(draft, RefreshOptions(as_of=AS_OF))
