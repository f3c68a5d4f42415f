"""The orchestrator end to end on the shipped sample corpus, the cache, and report files."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.errors import UsageError
from pipeline.generate import generate_report
from pipeline.models import Report
from pipeline.resources import sample_corpus_dir
from pipeline.search.corpus.documents import load_document
from tests.conftest import EXAMPLE_REPORT, EXAMPLE_TITLE_LINE, make_request, without_sample_citations, write_doc
from tests.test_render import skeleton


@pytest.fixture(scope="module")
def corpus_texts() -> dict[tuple[str, str], str]:
    """Each sample document's text, by the (url, title) its citations carry."""
    texts = {}
    for path in sample_corpus_dir().iterdir():
        document = load_document(path)
        texts[(document.url, document.title)] = document.text
    return texts


def test_end_to_end_on_the_sample_corpus(tmp_path, corpus_texts):
    result = generate_report(make_request(EXAMPLE_TITLE_LINE), out_dir=tmp_path)
    report, markdown = result.report, result.markdown_path.read_text(encoding="utf-8")
    assert result.markdown_path.name == "2026-11-24-are-cerebras-groq-customers-publishing-training-inference.md"
    assert Report.model_validate_json(result.markdown_path.with_suffix(".json").read_text()) == report
    assert skeleton(markdown) == skeleton(EXAMPLE_REPORT.read_text(encoding="utf-8"))
    asked = [q for q in report.queries if q.endswith("last 18 months")]  # the second round's searches follow them
    assert len(asked) == 12 and report.queries[:12] == asked and len(report.findings) >= 3 and report.gaps
    assert report.metadata.model.startswith("offline-rules")
    assert "**Model:** offline-rules" in markdown
    assert {f.impact.value for f in report.findings} >= {"High", "Medium"}
    assert "Overlooked" in {f.consensus for f in report.findings}
    benchmark = next(f for f in report.findings if "2,522" in f.snippet)  # the example's top finding
    assert benchmark.impact.value == "High" and benchmark.corroboration >= 2 and benchmark.consensus != "Overlooked"


def test_every_snippet_is_verbatim_from_its_cited_document(tmp_path, corpus_texts):
    for topic in (EXAMPLE_TITLE_LINE, "Cerebras vs NVIDIA", "Groq vs NVIDIA"):
        report = generate_report(make_request(topic), out_dir=tmp_path).report
        for finding in report.findings:
            cited = finding.sources[0]
            assert finding.snippet in corpus_texts[(cited.url, cited.title)], finding.snippet


def test_every_listed_source_was_retrieved_and_every_cited_source_is_listed(tmp_path):
    from pipeline.analysts.rules import RuleAnalyst
    from pipeline.resources import cache_dir
    from pipeline.search.corpus import CorpusSearcher

    request = make_request(EXAMPLE_TITLE_LINE)
    report = generate_report(request, out_dir=tmp_path).report
    searcher = CorpusSearcher(sample_corpus_dir(), cache_dir(), warn=lambda m: None)
    retrieved = {e.source.url for e in searcher.search(request, RuleAnalyst().expand(request)).evidence}
    listed = {s.url for s in report.sources}
    assert listed == retrieved
    assert {s.url for f in report.findings for s in f.sources} <= listed


def test_second_run_hits_the_cache_for_every_stage(tmp_path):
    first = generate_report(make_request(), out_dir=tmp_path).report
    second = generate_report(make_request(), out_dir=tmp_path).report
    assert [s.cached for s in first.metadata.stages] == [False] * 8
    assert [s.stage for s in second.metadata.stages] == ["expand", "search", "assess", "plan", "follow-up", "read", "judge", "synthesize"]
    assert all(s.cached for s in second.metadata.stages)
    assert second.findings == first.findings
    uncached = generate_report(make_request(), out_dir=tmp_path, use_cache=False).report
    assert not any(s.cached for s in uncached.metadata.stages)


def test_a_cached_rerun_imports_neither_the_rules_nor_the_claims_reader(tmp_path):
    """With every stage cached, what only a computed stage needs is never imported: a re-run starts fast."""
    command = [sys.executable, "-X", "importtime", "-m", "pipeline", "generate", "Cerebras vs NVIDIA", "--out", str(tmp_path), "-q"]
    subprocess.run(command, check=True, capture_output=True)
    again = subprocess.run(command, check=True, capture_output=True, text=True)
    imported = {line.rsplit("|", 1)[-1].strip() for line in again.stderr.splitlines() if line.startswith("import time:")}
    assert {"pipeline.orchestrator", "pipeline.judgement", "pipeline.analysts.rules"} <= imported
    assert not imported & {"pipeline.claims", "pipeline.corroboration", "pipeline.analysts.rules.assess", "yaml"}
    assert "rich.console" not in imported  # quiet, and nothing went wrong: nothing to show on stderr


def test_changed_corpus_invalidates_search_cache(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", "Groq reported 500 tokens per second, beating NVIDIA by 3x in its benchmark.", title="a", publisher="Groq")
    generate_report(make_request("Groq vs NVIDIA"), corpus=corpus, out_dir=tmp_path)
    write_doc(corpus, "b.md", "Analysts said Groq revenue reached $90 million as customers grew.", title="b", publisher="Analyst")
    again = generate_report(make_request("Groq vs NVIDIA"), corpus=corpus, out_dir=tmp_path).report
    assert [s.cached for s in again.metadata.stages] == [True, False, False, False, False, False, False, False]
    assert "b" in {s.title for s in again.sources}


def test_reports_are_never_overwritten_and_leave_no_temporary_files(tmp_path):
    paths = [generate_report(make_request(), out_dir=tmp_path).markdown_path for _ in range(3)]
    assert [p.name for p in paths] == [
        "2026-11-24-cerebras-vs-nvidia.md", "2026-11-24-cerebras-vs-nvidia-2.md", "2026-11-24-cerebras-vs-nvidia-3.md"
    ]
    assert sorted(os.listdir(tmp_path)) == sorted([p.name for p in paths] + [p.with_suffix(".json").name for p in paths])


def test_existing_json_also_blocks_a_name(tmp_path):
    (tmp_path / "2026-11-24-cerebras-vs-nvidia.json").write_text("editor's file")
    path = generate_report(make_request(), out_dir=tmp_path).markdown_path
    assert path.name == "2026-11-24-cerebras-vs-nvidia-2.md"
    assert (tmp_path / "2026-11-24-cerebras-vs-nvidia.json").read_text() == "editor's file"
    assert not (tmp_path / "2026-11-24-cerebras-vs-nvidia.md").exists()


def test_corpus_with_no_match_still_writes_an_honest_report(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", "Bananas are yellow and grow in bunches.", title="fruit")
    report = generate_report(make_request("Cerebras vs NVIDIA"), corpus=corpus, out_dir=tmp_path).report
    assert report.findings == [] and report.sources == []
    assert report.gaps[0].title == "No evidence found"


def test_skipped_files_are_named_in_warnings(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", "Groq reported 500 tokens per second.", title="a")
    (corpus / "latin.txt").write_bytes(b"caf\xe9")
    warnings: list[str] = []
    report = generate_report(make_request("Groq vs NVIDIA"), corpus=corpus, out_dir=tmp_path, warn=warnings.append).report
    assert warnings == ["skipped latin.txt: not UTF-8 (byte 3)"]
    assert report.metadata.warnings == warnings


def test_unusable_cache_degrades_with_one_warning(tmp_path, monkeypatch):
    blocker = tmp_path / "cache-is-a-file"
    blocker.write_text("x")
    monkeypatch.setenv("GROUNDBRIEF_CACHE_DIR", str(blocker))
    warnings: list[str] = []
    result = generate_report(make_request(), out_dir=tmp_path / "out", warn=warnings.append)
    assert result.markdown_path.exists()
    (warning,) = [w for w in warnings if "without a cache" in w]
    assert f"delete the folder {blocker / 'stages'}" in warning  # says what to do about it


def test_corrupt_cache_entries_are_recomputed(tmp_path):
    import diskcache

    from pipeline.resources import cache_dir

    generate_report(make_request(), out_dir=tmp_path)
    with diskcache.Cache(str(cache_dir() / "stages")) as store:
        for key in list(store.iterkeys()):
            store.set(key, b"{not json")
    report = generate_report(make_request(), out_dir=tmp_path).report
    assert not any(s.cached for s in report.metadata.stages) and report.findings


def test_unwritable_output_folder_fails_before_research(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(UsageError, match="can't create output folder"):
        generate_report(make_request(), out_dir=blocker / "reports")


def test_unknown_model_is_a_clear_error(tmp_path):
    with pytest.raises(UsageError, match="unknown model 'gpt-9'; available: offline-rules"):
        generate_report(make_request(), model="gpt-9", out_dir=tmp_path)


def test_json_is_the_whole_structured_report(tmp_path):
    result = generate_report(make_request(), out_dir=tmp_path)
    data = json.loads(result.markdown_path.with_suffix(".json").read_text())
    assert set(data) == {"request", "queries", "sources", "analysis", "findings", "gaps", "metadata", "audit"}
    assert all(finding["verified"] for finding in data["findings"])
    assert data["audit"]["sentences"] and all(s["supported"] for s in data["audit"]["sentences"])
    assert {s["stage"] for s in data["metadata"]["stages"]} == {"expand", "search", "assess", "plan", "follow-up", "read", "judge", "synthesize"}


def test_report_records_how_it_was_made_for_refresh(tmp_path):
    from pipeline.drafts.files import read_draft

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", "Groq reported 500 tokens per second, beating NVIDIA by 3x.", title="a", publisher="Groq")
    result = generate_report(make_request("Groq vs NVIDIA"), corpus=corpus, out_dir=tmp_path / "out")
    metadata = result.report.metadata
    assert (metadata.requested_model, metadata.search, metadata.corpus) == ("offline-rules", "corpus", str(corpus.resolve()))
    result.markdown_path.with_suffix(".json").unlink()  # the hidden comment alone carries it
    read_back = read_draft(result.markdown_path).report.metadata
    assert (read_back.requested_model, read_back.search, read_back.corpus) == ("offline-rules", "corpus", str(corpus.resolve()))


def test_a_copy_of_the_corpus_elsewhere_is_searched_not_replayed(tmp_path):
    import shutil

    copy = tmp_path / "copy"
    without_sample_citations(Path(shutil.copytree(sample_corpus_dir(), copy)))  # so the copy's files are cited
    generate_report(make_request(), out_dir=tmp_path / "out")
    report = generate_report(make_request(), corpus=copy, out_dir=tmp_path / "out").report
    assert not report.metadata.stages[1].cached
    local = [s.url for s in report.sources if not s.url.startswith("https://")]
    assert local and all(str(copy) in url for url in local)


def test_a_failed_write_is_one_clear_error_and_leaves_nothing(tmp_path, monkeypatch):
    from pipeline import output

    def disk_full(path, text):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output, "_fill", disk_full)
    with pytest.raises(UsageError, match="No space left on device"):
        generate_report(make_request(), out_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []
