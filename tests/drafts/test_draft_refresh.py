"""``groundbrief refresh``: edits survive word for word, new evidence is marked, nothing is overwritten."""

from __future__ import annotations

import json
import os
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.baseline import same_claim
from pipeline.cli import groundbrief
from pipeline.drafts.diff import preview
from pipeline.drafts.files import read_draft
from pipeline.drafts.merge import RefreshOptions, merge, refresh_draft
from pipeline.drafts.sources import named_sources
from pipeline.errors import UsageError
from pipeline.models import Gap, GapKind, Source
from tests.conftest import EXAMPLE_REPORT, write_doc
from tests.drafts.conftest import edit, edit_field, finding_block, generated

AS_OF = date(2026, 11, 24)
NEW = "    *   **Status:** New in refresh of November 24, 2026"
NOT_FOUND = "    *   **Status:** Source not found in refresh of November 24, 2026"
EDITED_RATIONALE = "    *   **Impact:** High. The IPO repricing is the clearest sign of demand for NVIDIA alternatives — editor."


def refresh(path: Path, *options: str):
    return CliRunner().invoke(groundbrief, ["refresh", str(path), "--as-of", "2026-11-24", *options])


def add_mistral_story(corpus: Path) -> None:
    write_doc(
        corpus, "2026-11-20-the-information-mistral.md",
        "Mistral moved its production inference from NVIDIA H100 clusters to Cerebras systems.\n\n"
        "People familiar with the deal said the Cerebras contract is worth about $250 million over three years, "
        "replacing roughly 4,000 NVIDIA GPUs.",
        title="Mistral moves production inference to Cerebras", publisher="The Information", date="2026-11-20",
        url="https://www.theinformation.com/articles/mistral-cerebras",
    )


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_an_edited_rationale_is_kept_word_for_word_while_a_new_finding_is_added(draft, corpus):
    findings = len(generated(draft).findings)
    edit_field(draft, 1, "Impact", lambda line: EDITED_RATIONALE)
    before = snapshot(draft.parent)
    add_mistral_story(corpus)

    result = refresh(draft)

    assert result.exit_code == 0, result.output
    refreshed = Path(result.output.split("\n")[0])
    assert refreshed == draft.with_name(f"{draft.stem}-refreshed.md") and refreshed.with_suffix(".json").exists()
    after = snapshot(draft.parent)
    assert {name: after[name] for name in before} == before  # the draft and its JSON are untouched
    assert sorted(after) == sorted([*before, refreshed.name, refreshed.with_suffix(".json").name])
    assert f"Findings: {findings} kept as written, 1 new, 0 flagged" in result.output
    markdown = refreshed.read_text(encoding="utf-8")
    assert EDITED_RATIONALE + "\n" in markdown
    new = finding_block(markdown, "contract is worth about")
    assert new.rstrip("\n").endswith(NEW) and markdown.count("**Status:**") == 1
    assert CliRunner().invoke(groundbrief, ["check", str(refreshed)]).exit_code == 0


def test_an_untouched_analysis_is_regenerated_and_an_edited_one_kept_with_the_new_one_offered(draft, corpus):
    add_mistral_story(corpus)
    untouched = refresh_draft(draft, RefreshOptions(as_of=AS_OF))
    assert untouched.summary.analysis == "regenerated (it was not edited)"
    before = int(re.search(r"reviews (\d+) documents", generated(draft).analysis[0]).group(1))
    assert not untouched.report.offered_analysis and f"{before + 1} documents" in untouched.report.analysis[0]

    markdown = draft.read_text(encoding="utf-8")
    analysis = markdown[markdown.index("## Analysis") : markdown.index("**Key Findings:**")]
    second = [line for line in analysis.split("\n")[1:] if line][1]
    edit(draft, second + "\n", "Two findings rate High; the IPO one matters most.\n")
    kept = refresh_draft(draft, RefreshOptions(as_of=AS_OF))
    assert kept.summary.analysis == "kept your edited analysis; the regenerated one is offered beside it"
    assert kept.report.analysis[1].startswith("Two findings rate High; the IPO one matters most.")
    assert kept.report.offered_analysis == untouched.report.analysis
    assert read_draft(kept.path).report.offered_analysis == untouched.report.analysis

    again = refresh_draft(kept.path, RefreshOptions(as_of=AS_OF))  # the editor has not chosen yet: still kept
    assert again.path.name == f"{draft.stem}-refreshed-3.md"
    assert again.report.analysis == kept.report.analysis and again.report.offered_analysis == untouched.report.analysis


def test_a_deleted_finding_stays_deleted_until_new_evidence_appears(draft, corpus):
    deleted = generated(draft).findings[2].snippet  # strong enough that new evidence brings it back; the analysis quotes the top two
    opening = deleted.split(",")[0][:30]
    draft.write_text(draft.read_text(encoding="utf-8").replace(finding_block(draft.read_text(encoding="utf-8"), 2), ""))

    first = refresh_draft(draft, RefreshOptions(as_of=AS_OF))
    assert first.summary.stayed_deleted == 1 and not first.summary.new
    text = first.path.read_text(encoding="utf-8")
    assert opening not in text[text.index("**Key Findings:**") : text.index("**Contradictions and Gaps:**")]

    write_doc(
        corpus, "2026-11-21-reuters-cerebras.md", deleted,
        title="Cerebras", publisher="Reuters", date="2026-11-21", url="https://www.reuters.com/technology/cerebras",
    )
    second = refresh_draft(first.path, RefreshOptions(as_of=AS_OF))  # the editor works on from the refreshed version
    assert second.summary.stayed_deleted == 0 and len(second.summary.new) == 1
    block = finding_block(second.path.read_text(encoding="utf-8"), opening)
    assert "Reuters" in block and block.rstrip("\n").endswith(NEW)


def test_a_finding_whose_sources_no_longer_turn_up_is_flagged_and_kept(draft, corpus):
    moved = corpus.parent / "moved"
    moved.mkdir()
    for name in ("2026-05-08-sec-filing-summary-cerebras-ipo.md", "2026-05-11-inference-chip-wars-cerebras-ipo-explainer.md"):
        shutil.move(corpus / name, moved / name)

    findings = generated(draft).findings
    gone = [n for n, f in enumerate(findings) if {s.publisher for s in f.sources} <= {"SEC filing (as cited)", "AI industry explainer"}]
    assert gone  # the IPO terms: their documents are the two moved away

    flagged = refresh_draft(draft, RefreshOptions(as_of=AS_OF))

    assert len(flagged.summary.flagged) == len(gone) and flagged.summary.kept == len(findings) - len(gone)
    markdown = flagged.path.read_text(encoding="utf-8")
    for n in gone:
        assert finding_block(markdown, n).rstrip("\n").endswith(NOT_FOUND)
    assert len(read_draft(flagged.path).report.findings) == len(findings) + len(flagged.summary.new)

    for path in moved.iterdir():
        shutil.move(path, corpus / path.name)
    cleared = refresh_draft(flagged.path, RefreshOptions(as_of=AS_OF))
    assert not cleared.summary.flagged and "Source not found" not in cleared.path.read_text(encoding="utf-8")
    assert [cleared.report.findings[n].status for n in gone] == [None] * len(gone)


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
    assert "pass --corpus DIR and --model NAME (its Model line says 'gemini-2.5-flash')" in result.output


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


# Damaged drafts: refresh works only from a whole report.

def _truncated(draft: Path) -> Path:
    """The draft cut off in its findings, as a failed copy or an editor's crash leaves it; its .json stays beside it."""
    markdown = draft.read_text(encoding="utf-8")
    draft.write_text(markdown[: markdown.index("**Contradictions and Gaps:**") - 200], encoding="utf-8")
    return draft


def test_a_truncated_draft_is_refused_in_one_line_and_nothing_is_written(draft):
    _truncated(draft)
    before = snapshot(draft.parent)
    result = refresh(draft)
    assert result.exit_code == 1
    assert re.fullmatch(
        rf"Error: {re.escape(str(draft))}: line \d+: the report ends at line \d+ without \*\*Contradictions and Gaps:\*\*: "
        r"the file looks truncated( \(and \d+ more\))?; run 'groundbrief check' for the full list\n",
        result.output,
    ), result.output
    assert snapshot(draft.parent) == before


def _queries_after_sources(draft: Path) -> Path:
    markdown = draft.read_text(encoding="utf-8")
    queries = markdown[markdown.index("## Search Queries Used") : markdown.index("## Sources Referenced")]
    draft.write_text(markdown.replace(queries, "").replace("---\n\n## Analysis", queries + "---\n\n## Analysis"), encoding="utf-8")
    return draft


def _without_gaps(draft: Path) -> Path:
    markdown = draft.read_text(encoding="utf-8")
    start, end = markdown.index("**Contradictions and Gaps:**"), markdown.index("<!-- groundbrief:report")
    draft.write_text(markdown[:start] + markdown[end:], encoding="utf-8")
    return draft


def _without_a_date(draft: Path) -> Path:
    markdown = draft.read_text(encoding="utf-8")
    draft.write_text(re.sub(r"\n    \*   \*\*Date:\*\*[^\n]*", "", markdown, count=1), encoding="utf-8")
    return draft


def _consensus_cut_off(draft: Path) -> Path:
    markdown = draft.read_text(encoding="utf-8")
    draft.write_text(re.sub(r"\n    \*   \*\*Consensus Check:\*\*[^\n]*", "", markdown, count=1), encoding="utf-8")
    return draft


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (_truncated, r"the report ends at line \d+ without \*\*Contradictions and Gaps:\*\*: the file looks truncated"),
        (_queries_after_sources, r"## Search Queries Used is out of order: it belongs before ## Sources Referenced"),
        (_without_gaps, r"section \*\*Contradictions and Gaps:\*\* is missing"),
        (_without_a_date, r"the finding has no \*\*Date:\*\* line"),
        (_consensus_cut_off, r"the finding has no \*\*Consensus Check:\*\* line"),
    ],
)
def test_a_damaged_draft_is_refused_naming_the_first_problem(draft, damage, message):
    damage(draft)
    before = snapshot(draft.parent)
    with pytest.raises(UsageError, match=rf"^{re.escape(str(draft))}: (line \d+: )?{message}.*; run 'groundbrief check' for the full list$"):
        refresh_draft(draft, RefreshOptions(as_of=AS_OF))
    assert snapshot(draft.parent) == before


# "Source not found": by the finding's own documents, not by publisher name.

def _recorded_finding(parsed):
    """The draft's first finding with recorded documents, and a fresh research result in which neither
    its snippet nor those documents turn up, but another article from the same publisher does."""
    finding = next(f for f in parsed.report.findings if f.sources)
    urls = {s.url for s in finding.sources}
    publisher = next(s.publisher for s in finding.sources if s.publisher)
    other = Source(url="https://example.com/another-article-from-the-same-publisher", title="Another article", publisher=publisher)
    assert named_sources(finding.source_label, [other]) == [other]  # the publisher name alone would match it
    fresh = parsed.companion.model_copy(update={
        "findings": [f for f in parsed.companion.findings if not same_claim(f.snippet, finding.snippet)],
        "sources": [s for s in parsed.companion.sources if s.url not in urls] + [other],
    })
    return finding, fresh


def test_a_finding_is_flagged_when_its_documents_are_gone_though_its_publisher_has_others(draft):
    parsed = read_draft(draft)
    finding, fresh = _recorded_finding(parsed)
    merged, summary = merge(parsed, fresh)
    assert summary.flagged == [finding.snippet]
    flagged = next(f for f in merged.findings if f.snippet == finding.snippet)
    assert flagged.status == "Source not found in refresh of November 24, 2026"


def test_a_finding_is_kept_when_one_of_its_documents_turns_up(draft):
    parsed = read_draft(draft)
    finding, fresh = _recorded_finding(parsed)
    fresh = fresh.model_copy(update={"sources": [*fresh.sources, finding.sources[-1]]})
    _, summary = merge(parsed, fresh)
    assert finding.snippet not in summary.flagged


def _add_finding(draft: Path, snippet: str, source: str) -> None:
    edit(draft, "**Contradictions and Gaps:**", f'*   **Snippet:** "{snippet}"\n    *   **Date:** November 2, 2026\n'
         f"    *   **Source:** {source}\n    *   **Impact:** High. Added by the editor.\n"
         "    *   **Consensus Check:** Overlooked. Nobody else has it.\n\n**Contradictions and Gaps:**")


def test_a_hand_added_finding_is_matched_by_the_listed_links_it_names_else_by_name(draft):
    parsed = read_draft(draft)
    listed = parsed.report.sources[0]
    _add_finding(draft, "Groq said a bank cut inference latency by 80% after moving off GPUs.", listed.publisher)
    _add_finding(draft, "A bank moved its inference to Cerebras, people familiar said.", "The Information")
    parsed = read_draft(draft)
    named, unlisted = parsed.report.findings[-2:]
    assert listed in named.sources and not unlisted.sources
    same_publisher = Source(url="https://example.com/other", publisher=listed.publisher)
    information = Source(url="https://www.theinformation.com/articles/a-bank", publisher="The Information")
    base = parsed.companion.model_copy(update={"sources": [same_publisher, information]})

    _, summary = merge(parsed, base)
    assert "Groq said a bank cut inference latency by 80% after moving off GPUs." in summary.flagged  # its listed link is gone
    assert "A bank moved its inference to Cerebras, people familiar said." not in summary.flagged  # named, and turns up by name

    _, summary = merge(parsed, base.model_copy(update={"sources": [listed]}))
    assert "Groq said a bank cut inference latency by 80% after moving off GPUs." not in summary.flagged
    assert "A bank moved its inference to Cerebras, people familiar said." in summary.flagged


# Partial research flags nothing, says so, and exits 3.

def test_partial_research_flags_nothing_says_so_and_exits_3(draft, monkeypatch):
    from pipeline import generate

    parsed = read_draft(draft)
    finding = next(f for f in parsed.report.findings if f.sources)
    urls = {s.url for s in finding.sources}

    def research_missing_the_finding(partial: bool):
        def research(*args, **kwargs):
            fresh = generate.research(*args, **kwargs)
            failed = [Gap(title="Failed search", text='The search "x" failed (timeout).', kind=GapKind.FAILURE)] if partial else []
            return fresh.model_copy(update={
                "findings": [f for f in fresh.findings if not same_claim(f.snippet, finding.snippet)],
                "sources": [s for s in fresh.sources if s.url not in urls],
                "gaps": [*fresh.gaps, *failed],
                "metadata": fresh.metadata.model_copy(update={"partial": partial}),
            })
        return research

    monkeypatch.setattr("pipeline.drafts.merge.research", research_missing_the_finding(partial=True))
    result = refresh(draft)
    assert result.exit_code == 3, result.output
    lines = result.stdout.split("\n")
    assert lines[1] == ("Warning: research was partial: 1 search failed, so nothing was flagged as source not found; "
                        "1 finding it did not turn up (?) is unconfirmed")
    assert "0 flagged" in lines[2] and f"  ? {preview(finding.snippet)}" in lines
    refreshed = Path(lines[0])
    assert "Source not found" not in refreshed.read_text(encoding="utf-8")
    assert json.loads(refreshed.with_suffix(".json").read_text())["metadata"]["partial"] is True

    monkeypatch.setattr("pipeline.drafts.merge.research", research_missing_the_finding(partial=False))
    result = refresh(draft)  # the same research, complete: the finding is flagged
    assert result.exit_code == 0, result.output
    assert "1 flagged" in result.output and "research was partial" not in result.output


def test_refresh_renders_with_the_templates_the_draft_was_made_with(corpus, tmp_path):
    """A report made with --templates keeps its layout when refreshed; the built-in template would drop it."""
    from pipeline.generate import generate_report
    from pipeline.resources import resource_dir
    from tests.conftest import make_request

    templates = tmp_path / "house-style"
    templates.mkdir()
    built_in = (resource_dir("templates") / "report.md.j2").read_text(encoding="utf-8")
    house_style = "+ [{{ (source.label or source.domain) | inline }}]"  # sources as "+" bullets, still readable back
    assert built_in.count("- [{{ (source.label or source.domain) | inline }}]") == 1
    (templates / "report.md.j2").write_text(
        built_in.replace("- [{{ (source.label or source.domain) | inline }}]", house_style), encoding="utf-8"
    )
    made = generate_report(make_request(), corpus=corpus, out_dir=tmp_path / "reports", templates=templates)
    assert "\n+ [" in made.markdown_path.read_text(encoding="utf-8")
    assert made.report.metadata.templates == str(templates.resolve())

    result = refresh(made.markdown_path, "--corpus", str(corpus))
    assert result.exit_code == 0, result.output
    refreshed = Path(result.output.split("\n", 1)[0])
    assert "\n+ [" in refreshed.read_text(encoding="utf-8") and "\n- [" not in refreshed.read_text(encoding="utf-8")


IPO_SNIPPET = '**Snippet:** "Cerebras Systems has upsized its initial public offering to raise up to \\$4.8 billion, valuing the company at roughly \\$33 billion'


@pytest.mark.parametrize("edited", [IPO_SNIPPET.replace("initial public offering", "IPO"), IPO_SNIPPET.replace("33 billion", "35 billion")])
def test_an_edited_snippet_is_kept_and_its_source_version_not_added_again(draft, edited):
    """A reworded finding is the same claim; one with other figures is another claim (as ``check`` sees
    it), and then the generated one it replaced counts as deleted by the editor: it stays out."""
    edit(draft, IPO_SNIPPET, edited)
    result = refresh(draft)
    assert result.exit_code == 0, result.output
    refreshed = Path(result.stdout.splitlines()[0]).read_text(encoding="utf-8")
    assert edited in refreshed and IPO_SNIPPET not in refreshed
    assert NEW not in finding_block(refreshed, edited.removeprefix('**Snippet:** "')[:60])
