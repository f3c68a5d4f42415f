"""The embedded search backend: reading documents, the incremental FTS5 index, window filtering."""

import os
import socket
import subprocess
import sys
import threading
from datetime import date
from pathlib import Path

import pytest

from pipeline.errors import UsageError
from pipeline.models import SearchQuery
from pipeline.resources import sample_corpus_dir
from pipeline.search.corpus import CorpusSearcher
from pipeline.search.corpus.documents import SkipFile, load_document
from pipeline.search.corpus.index import CorpusIndex, match_expression, passage_splitter
from pipeline.search.corpus.walk import ALLOW_LINKS_HINT
from tests.conftest import make_request, write_doc

REPO = Path(__file__).resolve().parents[1]

BODY = "Groq reported 500 tokens per second on Llama 3 in its benchmark. The result beat NVIDIA by 3x."


def test_front_matter_gives_citation_metadata(tmp_path):
    path = write_doc(tmp_path, "a.md", BODY, title="Groq bench", publisher="Groq", url="https://groq.com/x", date="2026-10-01")
    document = load_document(path)
    assert (document.title, document.publisher, document.url, document.published) == (
        "Groq bench", "Groq", "https://groq.com/x", date(2026, 10, 1)
    )
    assert document.text == BODY


def test_document_without_url_is_cited_by_file_uri(tmp_path):
    path = write_doc(tmp_path, "b.txt", BODY, title="No link")
    assert load_document(path).url == path.resolve().as_uri()


def test_html_meta_and_title(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>Bench page</title><meta name='publisher' content='Artificial Analysis'>"
        "<meta property='article:published_time' content='2026-09-01T10:00:00Z'>"
        "<meta property='og:url' content='https://artificialanalysis.ai/'><script>var x = 1;</script></head>"
        f"<body><p>{BODY}</p><p>Second &amp; last.</p></body></html>",
        encoding="utf-8",
    )
    document = load_document(path)
    assert document.title == "Bench page"
    assert document.publisher == "Artificial Analysis"
    assert document.published == date(2026, 9, 1)
    assert document.url == "https://artificialanalysis.ai/"
    assert document.text == BODY + "\n\nSecond & last."


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"\x00\x01binary", "binary"), (b"caf\xe9 latin-1", "not UTF-8"), (b"   \n", "no text")],
)
def test_unreadable_files_are_skipped_with_a_reason(tmp_path, content, reason):
    path = tmp_path / "bad.md"
    path.write_bytes(content)
    with pytest.raises(SkipFile, match=reason):
        load_document(path)


def test_huge_file_is_skipped(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes(b"a" * (5 * 1024 * 1024 + 1))
    with pytest.raises(SkipFile, match="larger than 5 MiB"):
        load_document(path)


def test_malformed_front_matter_and_date_are_warnings_not_failures(tmp_path):
    broken = tmp_path / "broken.md"
    broken.write_text("---\ntitle: [unclosed\n---\n" + BODY, encoding="utf-8")
    document = load_document(broken)
    assert document.text == BODY and document.published is None
    assert "malformed front matter" in document.warnings[0]
    dated = write_doc(tmp_path, "dated.md", BODY, title="x", date="someday")
    assert "unrecognised date 'someday'" in load_document(dated).warnings[0]


def test_unsafe_url_falls_back_to_file_uri(tmp_path):
    path = write_doc(tmp_path, "x.md", BODY, title="x", url="'javascript:alert(1)'")
    document = load_document(path)
    assert document.url.startswith("file://")
    assert "ignored unsafe" in document.warnings[0]


def test_index_is_incremental(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(3):
        write_doc(corpus, f"d{n}.md", BODY, title=f"doc {n}")
    index = CorpusIndex(corpus, tmp_path / "index.sqlite3")
    assert index.sync().indexed == 3
    assert index.sync().indexed == 0  # nothing changed: nothing re-read
    write_doc(corpus, "d1.md", BODY + " Changed.", title="doc 1 v2")
    (corpus / "d2.md").unlink()
    report = index.sync()
    assert (report.indexed, report.removed, report.unchanged) == (1, 1, 1)
    titles = {p.title for p in index.search(["groq"], [], date(2000, 1, 1), date(2100, 1, 1), 10)}
    assert titles == {"doc 0", "doc 1 v2"}


def test_a_document_rewritten_in_place_among_many_is_found_and_only_it(tmp_path):
    """The folder's state is compared batch by batch: a file rewritten in place (the folder itself
    unchanged), to the same size, in the middle of a folder larger than one batch, is re-read."""
    corpus = tmp_path / "corpus"
    (corpus / "bulk").mkdir(parents=True)
    for n in range(1100):
        write_doc(corpus / "bulk", f"d{n:04d}.md", f"Groq note {n:04d}.", title=f"note {n:04d}")
    write_doc(corpus, "top.md", BODY, title="top")
    index = CorpusIndex(corpus, tmp_path / "index.sqlite3")
    assert index.sync().indexed == 1101
    changed = write_doc(corpus / "bulk", "d0750.md", "Groq memo 0750.", title="memo 0750")
    assert changed.stat().st_size == (corpus / "bulk" / "d0751.md").stat().st_size
    os.utime(changed, ns=(changed.stat().st_atime_ns, changed.stat().st_mtime_ns + 1_000_000_000))
    report = index.sync()
    assert (report.indexed, report.removed, report.unchanged) == (1, 0, 1100)
    assert index.sync().indexed == 0
    titles = {p.title for p in index.search(["memo"], [], date(2000, 1, 1), date(2100, 1, 1), 5)}
    assert titles == {"memo 0750"}


def test_documents_are_read_in_full_each_once_in_document_order(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    long_body = "\n\n".join(f"Groq paragraph {n}: " + "tokens per second " * 60 for n in range(4))
    long = write_doc(corpus, "a.md", long_body, title="long", url="https://example.com/long", date="2026-01-02")
    write_doc(corpus, "b.md", BODY, title="short", url="https://example.com/short", date="2026-01-01")
    write_doc(corpus, "c.md", BODY, title="other", url="https://example.com/other")
    index = CorpusIndex(corpus, tmp_path / "index.sqlite3")
    index.sync()
    wanted = [("https://example.com/long", "long"), ("https://example.com/short", "short"),
              ("https://example.com/long", "long"), ("https://example.com/short", "not its title")]
    passages = index.passages_of(wanted, 100)
    long_passages = passage_splitter()(load_document(long).text)
    assert len(long_passages) > 1
    assert [(p.title, p.text) for p in passages] == [("short", BODY)] + [("long", text) for text in long_passages]
    assert [p.text for p in index.passages_of(wanted, 2)] == [BODY, long_passages[0]]


def test_index_persists_across_instances(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "d.md", BODY, title="d")
    CorpusIndex(corpus, tmp_path / "i.sqlite3").sync()
    assert CorpusIndex(corpus, tmp_path / "i.sqlite3").sync().unchanged == 1


def test_skipped_files_are_warned_about_on_every_run(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "good.md", BODY, title="good")
    (corpus / "blob.md").write_bytes(b"\x00\x00")
    index = CorpusIndex(corpus, tmp_path / "i.sqlite3")
    assert index.sync().warnings == ["skipped blob.md: binary content"]
    assert index.sync().warnings == ["skipped blob.md: binary content"]


def test_window_filter_keeps_undated_documents(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "old.md", BODY, title="old", date="2020-01-01")
    write_doc(corpus, "new.md", BODY, title="new", date="2026-11-01")
    write_doc(corpus, "undated.md", BODY, title="undated")
    searcher = CorpusSearcher(corpus, tmp_path / "cache", warn=lambda m: None)
    request = make_request("Groq vs NVIDIA", window="3m")
    results = searcher.search(request, [SearchQuery(text="Groq benchmark tokens", entity="Groq")])
    assert {e.source.title for e in results.evidence} == {"new", "undated"}
    assert results.out_of_window == 1


def test_match_expression_quotes_every_word():
    assert match_expression(['NEAR(a b)', 'x" OR *'], [["Groq"]]) == '("groq") AND ("near" OR "a" OR "b" OR "x" OR "or")'
    assert match_expression(["deal"], [["Eli Lilly", "Lilly"], ["$20B", "20 billion"]]) == (
        '("eli lilly" OR "lilly") AND ("20b" OR "20 billion")')
    assert match_expression([], []) == ""


def test_fts_syntax_in_queries_is_harmless(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "d.md", BODY, title="d")
    searcher = CorpusSearcher(corpus, tmp_path / "cache", warn=lambda m: None)
    query = SearchQuery(text='Groq" OR NEAR(* -- ) AND ^tokens', entity='Gr"oq')
    searcher.search(make_request(), [query])  # no sqlite3.OperationalError


def test_passages_are_verbatim_and_cover_the_document():
    split = passage_splitter()
    for path in sorted(sample_corpus_dir().iterdir()):
        text = load_document(path).text
        passages = split(text)
        assert len(passages) >= 2, path.name
        for passage in passages:
            assert passage in text, (path.name, passage[:60])
        assert _squeeze("".join(passages)) == _squeeze(text), path.name  # nothing lost between passages


@pytest.mark.parametrize("setup", ["missing", "file", "empty"])
def test_unusable_corpus_is_a_clear_error(tmp_path, setup):
    corpus = tmp_path / "corpus"
    if setup == "file":
        corpus.write_text("x")
    elif setup == "empty":
        corpus.mkdir()
    with pytest.raises(UsageError, match=str(corpus)):
        CorpusSearcher(corpus, tmp_path / "cache", warn=lambda m: None)


def test_unwritable_index_location_degrades_to_memory(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "d.md", BODY, title="d")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    warnings: list[str] = []
    searcher = CorpusSearcher(corpus, blocker, warn=warnings.append)
    assert "indexing in memory" in warnings[0] and f"delete {blocker}" in warnings[0]
    assert searcher.search(make_request("Groq vs NVIDIA"), [SearchQuery(text="Groq tokens", entity="Groq")]).evidence


def test_concurrent_cold_syncs_of_one_index_do_not_collide(tmp_path):
    import threading

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for n in range(40):
        write_doc(corpus, f"d{n}.md", BODY * 5, title=f"doc {n}")
    database = tmp_path / "shared.sqlite3"
    CorpusIndex(corpus, database).close()  # schema in place; no documents indexed yet
    start = threading.Barrier(3)
    reports, errors = [], []

    def sync() -> None:
        index = CorpusIndex(corpus, database)
        start.wait()
        try:
            reports.append(index.sync())
        except Exception as error:
            errors.append(error)
        finally:
            index.close()

    threads = [threading.Thread(target=sync) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(r.indexed for r in reports) == [0, 0, 40]  # one did the work; the others waited and found it done
    assert sorted(r.unchanged for r in reports) == [0, 40, 40]  # and count those files as there


@pytest.mark.parametrize(
    "front",
    [
        "title: a\ndate: 2026-02-30\n",  # YAML reads it as a date, then can't build it
        "title: a\ndate: 2026-13-45\n",
        "title: " + "[" * 5000 + "]" * 5000 + "\n",  # runaway nesting
    ],
)
def test_malformed_front_matter_is_a_warning_not_a_crash(tmp_path, front):
    path = tmp_path / "a.md"
    path.write_text(f"---\n{front}---\n{BODY}\n", encoding="utf-8")
    document = load_document(path)
    assert document.text == BODY and document.published is None
    assert "malformed front matter" in document.warnings[0]


def test_yaml_alias_bomb_is_not_expanded(tmp_path):
    levels = ["a: &a [x, x, x, x, x, x, x, x, x]"] + [
        f"{chr(98 + n)}: &{chr(98 + n)} [" + ", ".join([f"*{chr(97 + n)}"] * 9) + "]" for n in range(7)
    ]
    path = tmp_path / "bomb.md"
    path.write_text("---\n" + "\n".join(levels) + "\ntitle: *h\n---\n" + BODY + "\n", encoding="utf-8")
    document = load_document(path)
    assert document.title == "bomb" and "'title' is not a single value" in document.warnings[0]


def test_malformed_html_is_skipped_with_a_reason(tmp_path):
    path = tmp_path / "odd.html"
    path.write_text(f"<html><body><![foo bar]><p>{BODY}</p></body></html>", encoding="utf-8")
    with pytest.raises(SkipFile, match="unreadable HTML"):
        load_document(path)


def test_a_file_unreadable_once_is_indexed_when_it_becomes_readable(tmp_path, monkeypatch):
    from pipeline.search.corpus import index as index_module

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", BODY, title="a")
    real = index_module.load_document

    def denied(path):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(index_module, "load_document", denied)
    index = CorpusIndex(corpus, tmp_path / "i.sqlite3")
    assert index.sync().warnings == ["skipped a.md: can't be read (Permission denied)"]
    monkeypatch.setattr(index_module, "load_document", real)  # permissions fixed: mtime and size unchanged
    assert index.sync().indexed == 1


# --- What a real folder holds: broken aliases, pipes, sockets, links out of it ---------------------------

SECRET = "SECRET-FROM-OUTSIDE-THE-CORPUS Groq NVIDIA inference"


def build_hostile_corpus(tmp_path: Path) -> Path:
    """A corpus with one good document beside a dangling link, a FIFO, a socket, and links leading
    outside it (to a file and to a folder, both holding ``SECRET``), and a link loop."""
    outside = tmp_path / "outside"
    outside.mkdir()
    write_doc(outside, "secret.md", SECRET, title="outside")
    corpus = tmp_path / "corpus"
    (corpus / "sub").mkdir(parents=True)
    write_doc(corpus, "good.md", BODY, title="good")
    (corpus / "dangling.md").symlink_to(tmp_path / "deleted.md")
    (corpus / "outside.md").symlink_to(outside / "secret.md")
    (corpus / "outdir").symlink_to(outside, target_is_directory=True)
    (corpus / "sub" / "loop").symlink_to(corpus, target_is_directory=True)
    (corpus / "inside.md").symlink_to(corpus / "good.md")
    os.mkfifo(corpus / "pipe.md")
    unix_socket(corpus / "sock.md")
    return corpus


def unix_socket(path: Path) -> None:
    """A bound Unix socket at ``path`` (bound by its short relative name: socket paths are limited to ~100 bytes)."""
    here = os.getcwd()
    os.chdir(path.parent)
    try:
        listener = socket.socket(socket.AF_UNIX)
        listener.bind(path.name)
        listener.close()
    finally:
        os.chdir(here)


def test_links_pipes_and_sockets_are_skipped_with_a_warning_naming_each(tmp_path):
    corpus = build_hostile_corpus(tmp_path)
    report = CorpusIndex(corpus, tmp_path / "i.sqlite3").sync()
    assert report.indexed == 2  # good.md, and inside.md: a link that stays inside the corpus
    assert report.warnings == [
        "skipped dangling.md: a broken link (its target does not exist or can't be reached)",
        f"skipped outdir: a link to a folder outside the corpus; {ALLOW_LINKS_HINT}",
        f"skipped outside.md: a link to a file outside the corpus; {ALLOW_LINKS_HINT}",
        "skipped pipe.md: a named pipe (FIFO), not a regular file",
        "skipped sock.md: a socket, not a regular file",
    ]


def test_nothing_outside_the_corpus_is_read_into_the_index(tmp_path):
    corpus = build_hostile_corpus(tmp_path)
    database = tmp_path / "i.sqlite3"
    index = CorpusIndex(corpus, database)
    index.sync()
    assert index.search(["secret"], [], date(2000, 1, 1), date(2100, 1, 1), 10) == []
    index.close()
    assert b"SECRET-FROM-OUTSIDE" not in database.read_bytes()


def test_links_out_of_the_corpus_are_read_when_the_user_allows_them(tmp_path):
    corpus = build_hostile_corpus(tmp_path)
    (corpus / "zero.md").symlink_to("/dev/zero")  # allowed out, a link still reads only regular files
    report = CorpusIndex(corpus, tmp_path / "i.sqlite3", follow_links=True).sync()
    assert report.indexed == 4  # and outside.md and outdir/secret.md
    assert [w for w in report.warnings if "outside" in w] == []
    assert "skipped zero.md: a device, not a regular file" in report.warnings


def test_a_document_that_becomes_a_link_out_is_forgotten(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "a.md", SECRET, title="a")
    index = CorpusIndex(corpus, tmp_path / "i.sqlite3")
    assert index.sync().indexed == 1
    outside = write_doc(tmp_path, "elsewhere.md", SECRET, title="elsewhere")
    (corpus / "a.md").unlink()
    (corpus / "a.md").symlink_to(outside)
    assert index.sync().removed == 1
    assert index.search(["secret"], [], date(2000, 1, 1), date(2100, 1, 1), 10) == []


def test_a_file_swapped_for_a_named_pipe_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "swapped.md"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []
    reader = threading.Thread(target=lambda: _capture(outcome, lambda: load_document(fifo)), daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "load_document blocked on a named pipe"
    assert isinstance(outcome[0], SkipFile) and "not a regular file" in str(outcome[0])


def _capture(outcome: list[BaseException], call) -> None:
    try:
        call()
    except BaseException as error:
        outcome.append(error)


def _groundbrief_child(tmp_path: Path, *args: str | Path, timeout: float = 90) -> subprocess.CompletedProcess:
    """``python -m pipeline ARGS`` in a child with its own state folders; a hang fails the test."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "GROUNDBRIEF_STATE_DIR": str(tmp_path / "state"),
           "GROUNDBRIEF_LOG_DIR": str(tmp_path / "log")}
    try:
        return subprocess.run([sys.executable, "-m", "pipeline", *map(str, args)], env=env, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"groundbrief {args[0]} hung on the corpus for {timeout} s")


def _assert_secret_nowhere(*folders: Path) -> None:
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file() and not path.is_symlink():
                assert b"SECRET-FROM-OUTSIDE" not in path.read_bytes(), path


def test_every_command_gives_its_report_on_a_hostile_corpus_within_seconds(tmp_path, isolated_cache):
    """Done when: a dangling link, a FIFO, a socket and a link leading outside; a report from
    ``generate``, ``refresh``, ``batch`` and ``schedule``, and nothing outside read."""
    corpus = build_hostile_corpus(tmp_path)
    out = tmp_path / "out"
    generated = _groundbrief_child(tmp_path, "generate", "Groq vs NVIDIA", "--corpus", corpus, "--out", out,
                                   "--as-of", "2026-11-24")
    assert generated.returncode == 0, generated.stderr
    for name in ("dangling.md", "pipe.md", "sock.md", "outside.md"):
        assert f"skipped {name}" in generated.stderr
    assert "Traceback" not in generated.stderr
    draft = Path(generated.stdout.strip())

    refreshed = _groundbrief_child(tmp_path, "refresh", draft)
    assert refreshed.returncode == 0, refreshed.stderr

    requests = tmp_path / "requests.csv"
    requests.write_text("Groq vs NVIDIA\n", encoding="utf-8")
    batch = _groundbrief_child(tmp_path, "batch", requests, "--corpus", corpus, "--out", out, "--as-of", "2026-11-24")
    assert batch.returncode == 0, batch.stderr
    assert "1 done" in batch.stdout

    watchlist = tmp_path / "watchlist.toml"
    watchlist.write_text(
        f'corpus = "{corpus}"\nout_dir = "{out}"\n[[companies]]\nname = "NVIDIA"\nticker = "NVDA"\n'
        'earnings = [{ quarter = "Q3", date = 2026-11-25 }]\nrequests = ["Groq vs NVIDIA"]\n', encoding="utf-8")
    scheduled = _groundbrief_child(tmp_path, "schedule", watchlist, "--as-of", "2026-11-24")
    assert scheduled.returncode == 0, scheduled.stderr
    assert "1 done" in scheduled.stdout

    assert len(list(out.glob("*.md"))) == 4
    _assert_secret_nowhere(out, isolated_cache, tmp_path / "state", tmp_path / "log")


def _squeeze(text: str) -> str:
    """Text without whitespace, to compare what passages hold with the document."""
    return "".join(text.split())


def test_a_file_dated_past_2262_is_skipped_with_a_warning_and_the_rest_indexed(tmp_path):
    """The index stores modification times in SQLite's 64-bit integers; `touch -d 2300-01-01` overflows them."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "good.md", BODY, title="good")
    far = write_doc(corpus, "far.md", BODY, title="far")
    os.utime(far, ns=(0, 2**63 + 10**18))  # about the year 2323
    report = CorpusIndex(corpus, tmp_path / "i.sqlite3").sync()
    assert report.indexed == 1
    assert report.warnings == ["skipped far.md: its modification time is before 1677 or after 2262; set it with touch to read it"]
