"""The corpus index at scale: bounded bm25 ranking that matches FTS5's own, incremental document
frequencies, capped out-of-window counts, batched commits and the indexing progress bar."""

import os
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from pipeline.analysts.rules.expand import expand_queries
from pipeline.entities import aliases
from pipeline.figures import quantities, written_forms
from pipeline.gaps import evidence_gaps
from pipeline.models import SearchQuery
from pipeline.resources import sample_corpus_dir
from pipeline.search.corpus import CorpusSearcher
from pipeline.search.corpus import index as index_module
from pipeline.search.corpus.index import CorpusIndex, match_expression
from pipeline.search.corpus.searcher import _STOPWORDS, _indexing_bar
from tests.conftest import make_request, write_doc

REPO = Path(__file__).resolve().parents[1]
EVER = (date(1900, 1, 1), date(2100, 1, 1))


def fts5_ranking(index: CorpusIndex, terms: list[str], required: list[list[str]], since: date, until: date, limit: int):
    """The ranking the index used to return: FTS5's own bm25() over every match (the reference),
    ties broken as the index breaks them: older first."""
    rows = index._db.execute(
        "SELECT p.text, -bm25(passages) AS score FROM passages p JOIN documents d ON d.id = p.document_id"
        " WHERE passages MATCH ? AND (d.published IS NULL OR d.published BETWEEN ? AND ?)"
        " ORDER BY bm25(passages), p.rowid LIMIT ?",
        (match_expression(terms, required), since.isoformat(), until.isoformat(), limit),
    )
    return [(text, pytest.approx(score, rel=1e-12)) for text, score in rows]


def report_queries():
    for question, window in [("Cerebras vs NVIDIA", "12m"), ("Groq vs NVIDIA", "3m"), ("Cerebras IPO", "6m"),
                             ("Are Cerebras/Groq customers displacing NVIDIA in inference?", "24m")]:
        request = make_request(question, window=window).model_copy(update={"query_count": 20})
        for query in expand_queries(request):
            terms = [w for w in query.text.lower().split() if w not in _STOPWORDS and not w.isdigit()]
            yield terms, [aliases(query.entity)] if query.entity else [], request.window_start, request.as_of
    # the second round's targeted searches: a company and a figure in any written form, ranked by both
    for company, figure in [("Cerebras", "$20 billion"), ("NVIDIA", "1,038 tokens per second"), ("Groq", "$20B")]:
        forms = written_forms(quantities(figure)[0])
        yield ["deal", "speed"], [aliases(company), forms], *EVER


def test_sample_corpus_ranking_is_fts5_bm25_passage_for_passage(tmp_path):
    """Same passages, same order, same scores as FTS5's bm25() for every query of four reports."""
    index = CorpusIndex(sample_corpus_dir(), tmp_path / "i.sqlite3")
    index.sync()
    checked = 0
    for terms, required, since, until in report_queries():
        ours = [(p.text, p.score) for p in index.search(terms, required, since, until, 5)]
        assert ours == fts5_ranking(index, terms, required, since, until, 5), (terms, required)
        checked += bool(ours)
    assert checked > 40


def busy_corpus(folder: Path, common: int) -> None:
    """``common`` recent documents that match a query on its common words only, and one older one
    that also holds its rare word: only bm25 over the whole corpus ranks the old one first."""
    folder.mkdir()
    for n in range(common):
        write_doc(folder, f"new{n:03d}.md", f"Groq latency and tokens figures, note {n}. Groq cloud capacity.",
                  title=f"new {n}", date=f"2026-10-{n % 28 + 1:02d}")
    write_doc(folder, "old.md", "Groq wafer compiler roadmap: the wafer compiler ships. Groq latency.",
              title="old", date="2026-01-05")
    write_doc(folder, "undated.md", "Groq tokens.", title="undated")


def test_bounded_ranking_still_finds_the_distinctive_passage(tmp_path, monkeypatch):
    """With room for only 5 candidates of 60 matches, the round on the distinctive words ("wafer",
    "compiler") still ranks the old passage: the top 5 scores equal FTS5's exhaustive bm25 (the
    new notes tie with each other, so which four of them fill the rest is a matter of ties)."""
    busy_corpus(tmp_path / "corpus", 60)
    monkeypatch.setattr(index_module, "CANDIDATES", 5)
    index = CorpusIndex(tmp_path / "corpus", tmp_path / "i.sqlite3")
    index.sync()
    terms = ["latency", "tokens", "wafer", "compiler", "cloud"]
    ours = [(p.text, p.score) for p in index.search(terms, [["Groq"]], *EVER, 5)]
    reference = fts5_ranking(index, terms, [["Groq"]], *EVER, 5)
    assert ours[0][0].startswith("Groq wafer compiler") and ours[0] == reference[0]
    assert [score for _, score in ours] == [score for _, score in reference]


def test_without_distinctive_words_the_newest_candidates_are_ranked(tmp_path, monkeypatch):
    busy_corpus(tmp_path / "corpus", 30)
    monkeypatch.setattr(index_module, "CANDIDATES", 5)
    index = CorpusIndex(tmp_path / "corpus", tmp_path / "i.sqlite3")
    index.sync()
    found = index.search(["latency", "tokens"], [["Groq"]], *EVER, 3)
    assert len(found) == 3 and all(p.published is None or p.published.month == 10 for p in found)


def frequencies(index: CorpusIndex) -> tuple[dict, dict]:
    return dict(index._db.execute("SELECT term, df FROM terms")), dict(index._db.execute("SELECT name, value FROM totals"))


def test_document_frequencies_after_changes_equal_a_fresh_build_and_fts5s_own(tmp_path):
    corpus = tmp_path / "corpus"
    busy_corpus(corpus, 12)
    index = CorpusIndex(corpus, tmp_path / "i.sqlite3")
    index.sync()
    write_doc(corpus, "new003.md", "Entirely different words: Cerebras wafer. " * 40, title="changed", date="2026-10-04")
    (corpus / "new004.md").unlink()
    write_doc(corpus, "added.md", "Groq adds tokens.", title="added")
    report = index.sync()
    assert (report.indexed, report.removed) == (2, 1)
    fresh = CorpusIndex(corpus, tmp_path / "fresh.sqlite3")
    fresh.sync()
    assert frequencies(index) == frequencies(fresh)
    index._db.execute("CREATE VIRTUAL TABLE temp.rows USING fts5vocab(main, passages, row)")
    assert frequencies(index)[0] == dict(index._db.execute("SELECT term, doc FROM temp.rows"))
    totals = frequencies(index)[1]
    assert totals["passages"] == index._db.execute("SELECT count(*) FROM passages").fetchone()[0]
    assert totals["tokens"] == index._db.execute("SELECT sum(cnt) FROM temp.rows").fetchone()[0]


def test_an_index_of_an_older_format_is_rebuilt(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "d.md", "Groq tokens.", title="d")
    database = tmp_path / "i.sqlite3"
    old = sqlite3.connect(database)
    old.executescript("CREATE TABLE documents (id INTEGER PRIMARY KEY, path TEXT); PRAGMA user_version = 2;")
    old.close()
    index = CorpusIndex(corpus, database)
    assert index.sync().indexed == 1
    assert index.search(["tokens"], [], *EVER, 5)


def test_out_of_window_count_stops_at_its_limit_and_the_report_says_at_least(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(4):
        write_doc(corpus, f"old{n}.md", "Groq benchmark tokens.", title=f"old {n}", date=f"2020-01-0{n + 1}")
    write_doc(corpus, "new.md", "Groq benchmark tokens.", title="new", date="2026-11-01")
    searcher = CorpusSearcher(corpus, tmp_path / "cache", warn=lambda m: None)
    request = make_request("Groq vs NVIDIA", window="3m")
    query = [SearchQuery(text="Groq benchmark tokens", entity="Groq")]
    results = searcher.search(request, query)
    assert (results.out_of_window, results.out_of_window_at_least) == (4, False)
    monkeypatch.setattr(index_module, "OUT_OF_WINDOW_LIMIT", 2)
    results = searcher.search(request, query)
    assert (results.out_of_window, results.out_of_window_at_least) == (2, True)
    window = [g for g in evidence_gaps(request, results, []) if g.title == "Outside the time window"]
    assert window[0].text.startswith("At least 2 matching documents were dated before")


def test_a_file_changed_in_place_after_an_unchanged_run_is_read_again(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", "Groq tokens one.", title="a")
    write_doc(corpus, "b.md", "Groq tokens two.", title="b")
    index = CorpusIndex(corpus, tmp_path / "i.sqlite3")
    assert index.sync().indexed == 2
    assert (index.sync().indexed, index.sync().unchanged) == (0, 2)  # the folder is as the index last matched it
    path = corpus / "a.md"
    path.write_text(path.read_text().replace("one", "six"))  # same size: only the time tells
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 1_000_000_000))
    report = index.sync()
    assert (report.indexed, report.unchanged) == (1, 1)
    assert "Groq tokens six." in index.search(["six"], [], *EVER, 5)[0].text


def test_a_change_to_the_index_by_another_writer_makes_the_next_run_compare_again(tmp_path):
    """An older version of the tool (or anything else) that changes the index's files forgets the
    fingerprint it last matched, so a run never trusts a match the index no longer holds."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", "Groq tokens.", title="a")
    database = tmp_path / "i.sqlite3"
    index = CorpusIndex(corpus, database)
    index.sync()
    other = sqlite3.connect(database)
    with other:
        other.execute("DELETE FROM documents WHERE path = 'a.md'")
    other.close()
    assert index.sync().indexed == 1


def test_an_interrupted_build_keeps_the_batches_it_committed(tmp_path, monkeypatch):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(7):
        write_doc(corpus, f"d{n}.md", f"Groq tokens {n}.", title=f"d{n}")
    monkeypatch.setattr(index_module, "_COMMIT_EVERY", 2)
    real, calls = index_module.load_document, []

    def interrupted(path):
        calls.append(path)
        if len(calls) == 5:
            raise KeyboardInterrupt
        return real(path)

    monkeypatch.setattr(index_module, "load_document", interrupted)
    with pytest.raises(KeyboardInterrupt):
        CorpusIndex(corpus, tmp_path / "i.sqlite3").sync()
    monkeypatch.setattr(index_module, "load_document", real)
    report = CorpusIndex(corpus, tmp_path / "i.sqlite3").sync()
    assert (report.indexed, report.unchanged) == (3, 4)  # two batches of two were kept


def test_progress_hears_every_file_indexed(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(3):
        write_doc(corpus, f"d{n}.md", "Groq tokens.", title=f"d{n}")
    heard: list[tuple[int, int]] = []
    CorpusIndex(corpus, tmp_path / "i.sqlite3").sync(progress=lambda done, total: heard.append((done, total)))
    assert heard[0] == (0, 3) and heard[-1] == (3, 3)


def test_the_indexing_bar_shows_share_count_and_time_left():
    shown: list[str] = []
    update = _indexing_bar(shown.append)
    update(10, 400)  # a small build is not shown
    update(250_000, 1_000_000)
    update(1_000_000, 1_000_000)
    assert len(shown) == 2
    assert "━━━━━━━╸" in shown[0] and "25%" in shown[0] and "250,000 of 1,000,000 files" in shown[0] and "left" in shown[0]
    assert "100%" in shown[1] and "left" not in shown[1]


def test_indexing_progress_stays_out_of_quiet_and_piped_runs(tmp_path):
    """A 600-file first run: nothing about indexing on stderr when piped, with or without -q."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(600):
        write_doc(corpus, f"d{n:03d}.md", f"Groq tokens per second, note {n}.", title=f"d{n}", date="2026-11-01")
    env = {**os.environ, "PYTHONPATH": str(REPO), "GROUNDBRIEF_CACHE_DIR": str(tmp_path / "cache"),
           "GROUNDBRIEF_STATE_DIR": str(tmp_path / "state")}
    for flags in (["-q"], []):
        run = subprocess.run(
            [sys.executable, "-m", "pipeline", "generate", "Groq vs NVIDIA", "--corpus", str(corpus),
             "--out", str(tmp_path / "out"), "--as-of", "2026-11-24", "--no-cache", *flags],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert run.returncode == 0, run.stderr
        assert "indexing the corpus" not in run.stderr and "━" not in run.stderr
        assert run.stdout.strip().endswith(".md")
