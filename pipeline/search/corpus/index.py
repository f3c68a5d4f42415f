"""A persistent, incremental full-text index of a corpus folder in SQLite FTS5.

Each file is split into passages of at most ``PASSAGE_TOKENS`` tiktoken (cl100k) tokens along paragraph,
line, sentence and word boundaries, so every passage (and every sentence in it) is verbatim text of its file.
``sync`` re-reads only files whose size or modification time changed, and forgets deleted ones.

Built for archives of a million documents, where FTS5's own ``bm25()`` is too slow: it counts every
query word's matches across the whole table on each query. Here a passage's rowid starts with its
document's date (``day << 32 | n``), so a time window is a rowid range FTS5 seeks to, newest first;
the index keeps each word's document frequency itself (``terms``, updated as files change); and
bm25 is computed with FTS5's formula only for a bounded set of candidates (see ``search``).
"""

from __future__ import annotations

import hashlib
import math
import re
import sqlite3
import time
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path

from pipeline.models import DateSource
from pipeline.search.corpus.documents import SUFFIXES, SkipFile, load_document
from pipeline.search.corpus.walk import CorpusFile, Documents, Skipped, files_again, walk_corpus

PASSAGE_TOKENS = 160
#: A model whose tokenizer is cl100k, the encoding passages are measured in (compiled into the splitter).
TOKENIZER_MODEL = "gpt-4"
# 3: no passage is longer than PASSAGE_TOKENS; 4: date-ordered passage rowids, document frequencies kept in `terms`
_INDEX_FORMAT = 4
_TOKENIZER = "porter unicode61"

# A query ranks at most this many of the newest matching passages of each part of the window
# (dated, undated) in a first round, and as many again that hold its distinctive words.
CANDIDATES = 200
# Out-of-window documents are counted up to this many per query; past it the report says "at least".
OUT_OF_WINDOW_LIMIT = 200
# A phrase ("20 billion") is counted in at most this many passages for its weight; past it, its rarest word's count stands in.
PHRASE_COUNT_LIMIT = 5000
_COMMIT_EVERY = 2000  # files indexed per transaction: an interrupted build keeps what it finished
_K1, _B = 1.2, 0.75  # FTS5's bm25 constants
_DAY = 1 << 32  # passage rowids: date ordinal << 32 | sequence; undated documents are day 0

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    path TEXT UNIQUE NOT NULL,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    url TEXT NOT NULL,
    title TEXT NOT NULL,
    publisher TEXT,
    published TEXT,
    date_source TEXT,
    warnings TEXT NOT NULL DEFAULT '',
    first_passage INTEGER NOT NULL,
    last_passage INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS documents_noted ON documents (warnings) WHERE warnings != '';
CREATE INDEX IF NOT EXISTS documents_url ON documents (url);
CREATE TABLE IF NOT EXISTS skipped (
    path TEXT PRIMARY KEY,
    mtime_ns INTEGER NOT NULL,
    size INTEGER NOT NULL,
    reason TEXT NOT NULL
);
CREATE VIRTUAL TABLE IF NOT EXISTS passages USING fts5(
    text, document_id UNINDEXED, tokenize = '{_TOKENIZER}'
);
CREATE TABLE IF NOT EXISTS terms (term TEXT PRIMARY KEY, df INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS totals (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS matched (fingerprint TEXT NOT NULL);
"""
# The fingerprint in `matched` says the index holds exactly the files it was taken of; any change to
# them, by this version or an older one, forgets it.
_FORGET_MATCH = [
    f"CREATE TRIGGER IF NOT EXISTS {table}_{event.lower()} AFTER {event} ON {table} BEGIN DELETE FROM matched; END"
    for table in ("documents", "skipped") for event in ("INSERT", "UPDATE", "DELETE")
]
_TABLES = ("documents", "skipped", "passages", "terms", "totals", "matched")


@dataclass(frozen=True)
class Passage:
    text: str
    score: float
    url: str
    title: str
    publisher: str | None
    published: date | None
    date_source: DateSource | None = None


@dataclass(frozen=True)
class SyncReport:
    indexed: int
    removed: int
    unchanged: int
    warnings: list[str]
    fingerprint: str


@dataclass(frozen=True)
class OutOfWindow:
    """Matching documents the window excluded; ``complete`` is False when counting stopped at the limit."""

    documents: set[int]
    complete: bool


Progress = Callable[[int, int], None]  # (files indexed so far, files to index)


class CorpusIndex:
    """The index of one corpus folder, stored in ``database``; ``follow_links`` allows links out of the folder."""

    def __init__(self, corpus: Path, database: Path, *, follow_links: bool = False):
        self.corpus = corpus
        self.follow_links = follow_links
        database.parent.mkdir(parents=True, exist_ok=True)
        # Other processes (a scheduled batch, a second CLI run) may be syncing the same index:
        # wait for their write lock rather than failing.
        self._db = sqlite3.connect(database, timeout=120)
        self._create_or_rebuild()
        self._db.executescript(
            f"""CREATE VIRTUAL TABLE IF NOT EXISTS temp.probe USING fts5(text, tokenize = '{_TOKENIZER}');
            CREATE VIRTUAL TABLE IF NOT EXISTS temp.probe_tokens USING fts5vocab(temp, probe, instance);"""
        )
        self._tokens: dict[str, tuple[str, ...]] = {}  # text → its FTS5 tokens, learnt by probing

    @staticmethod
    def database_for(corpus: Path, cache_root: Path) -> Path:
        """One database per corpus folder, under the user's cache folder."""
        digest = hashlib.sha256(str(corpus.resolve()).encode()).hexdigest()[:16]
        return cache_root / "index" / f"{digest}.sqlite3"

    def _create_or_rebuild(self) -> None:
        """A new index gets its tables; one an older version built is emptied and rebuilt from the
        files. Under the write lock, so a process already syncing it never loses its tables."""
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            (version,) = self._db.execute("PRAGMA user_version").fetchone()
            if version != _INDEX_FORMAT:
                for table in _TABLES:
                    self._db.execute(f"DROP TABLE IF EXISTS {table}")
            for statement in [*filter(str.strip, _SCHEMA.split(";")), *_FORGET_MATCH]:
                self._db.execute(statement)
            self._db.execute(f"PRAGMA user_version = {_INDEX_FORMAT}")

    def close(self) -> None:
        self._db.close()

    # --- Keeping the index up to date ------------------------------------------------------------

    def sync(self, split: Callable[[str], list[str]] | None = None, progress: Progress | None = None) -> SyncReport:
        """Bring the index up to date with the folder; return what changed and every skip warning.

        The folder is walked once; only each document's name, time and size are held. If they are
        what the index last matched, nothing else is done. Otherwise they are compared with the
        index, and the changed files are read one at a time and committed every ``_COMMIT_EVERY``
        files, so an interrupted build keeps what it finished. ``progress`` hears (done, total) as
        files are indexed. The fingerprint changes whenever a file is added, removed or modified:
        search results are cached against it.
        """
        (version,) = self._db.execute("PRAGMA data_version").fetchone()
        found: list[Documents] = []
        unreadable: list[str] = []  # a skipped entry is not recorded: it has no file status to compare
        digest = hashlib.sha256()
        for batch in walk_corpus(self.corpus, SUFFIXES, follow_links=self.follow_links):
            if isinstance(batch, Skipped):
                unreadable.append(str(batch))
            else:
                found.append(batch)
                _add_to_fingerprint(digest, batch)
        fingerprint = digest.hexdigest()
        if self._db.execute("SELECT 1 FROM matched WHERE fingerprint = ?", (fingerprint,)).fetchone():
            return SyncReport(0, 0, sum(len(batch.names) for batch in found), unreadable + self.warnings(), fingerprint[:16])
        walked: list[str] = []  # each document as its signature: key, mtime_ns and size
        found.reverse()
        while found:  # each batch let go once its signatures are made
            batch = found.pop()
            walked += [f"{batch.prefix}{name}\0{mtime_ns}\0{size}" for name, mtime_ns, size in zip(batch.names, batch.mtimes, batch.sizes)]
        known = self._signatures()
        changed = [signature for signature in walked if signature not in known]
        unchanged = len(walked) - len(changed)
        known.difference_update(walked)
        removed = sorted({_key(signature) for signature in known} - {_key(signature) for signature in changed})
        del walked, known
        indexed = current = 0
        failed: list[str] = []
        if changed or removed:
            files = files_again(self.corpus, map(_signed, changed))
            indexed, current, failed = self._update(files, len(changed), removed, split, progress)
        if not failed:
            self._matched(fingerprint, version)
        return SyncReport(
            indexed=indexed,
            removed=len(removed),
            unchanged=unchanged + current,
            warnings=unreadable + failed + self.warnings(),
            fingerprint=fingerprint[:16],
        )

    def _signatures(self) -> set[str]:
        """The signature of each file the index holds, read or skipped, as ``sync`` writes a walked one's."""
        return {
            signature for (signature,) in self._db.execute(
                "SELECT path || char(0) || mtime_ns || char(0) || size FROM documents"
                " UNION ALL SELECT path || char(0) || mtime_ns || char(0) || size FROM skipped"
            )
        }

    def _matched(self, fingerprint: str, version: int) -> None:
        """Remember that the index holds exactly the files of ``fingerprint``, unless another process
        wrote to it since this sync read its version (any later write forgets it: see ``_FORGET_MATCH``)."""
        if self._db.execute("PRAGMA data_version").fetchone() != (version,):
            return  # written meanwhile: don't wait for the write lock to find that out
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            if self._db.execute("PRAGMA data_version").fetchone() == (version,):
                self._db.execute("DELETE FROM matched")
                self._db.execute("INSERT INTO matched VALUES (?)", (fingerprint,))

    def _update(
        self, files: Iterable[CorpusFile], total: int, removed: list[str],
        split: Callable[[str], list[str]] | None, progress: Progress | None,
    ) -> tuple[int, int, list[str]]:
        """Index the changed ``files`` and forget the ``removed`` ones, a batch per transaction;
        return how many were indexed, how many were already current, and the warnings.

        Each file is checked against the database again under the write lock, so the work of a
        process that synced the same folder meanwhile is kept, not repeated.
        """
        indexed = done = current = 0
        failed: list[str] = []
        batch = _Batch(self._db)
        reported = time.monotonic()
        if progress:
            progress(0, total)
        batch.begin()
        try:
            for key in removed:
                batch.forget(key)
            for file in files:
                if not self._db.in_transaction:
                    batch.begin()
                stored = self._db.execute(
                    "SELECT mtime_ns, size FROM documents WHERE path = ?1 UNION ALL SELECT mtime_ns, size FROM skipped WHERE path = ?1",
                    (file.key,),
                ).fetchone()
                done += 1
                if stored == (file.mtime_ns, file.size):
                    current += 1
                else:
                    split = split or passage_splitter()
                    outcome = batch.add(file, split)
                    if isinstance(outcome, str):
                        failed.append(outcome)
                    else:
                        indexed += outcome
                if done % _COMMIT_EVERY == 0:
                    batch.commit()
                if progress and time.monotonic() - reported > 0.25:
                    progress(done, total)
                    reported = time.monotonic()
            batch.commit()
        except BaseException:
            self._db.rollback()
            raise
        if progress:
            progress(total, total)
        return indexed, current, failed

    def warnings(self) -> list[str]:
        """Skipped files and metadata problems, re-stated on every run until the file is fixed."""
        skipped = [f"skipped {path}: {reason}" for path, reason in self._db.execute("SELECT path, reason FROM skipped")]
        noted = [w for (text,) in self._db.execute("SELECT warnings FROM documents WHERE warnings != ''")
                 for w in text.split("\n")]
        return sorted(skipped) + sorted(noted)

    # --- Searching ------------------------------------------------------------------------------

    def search(self, terms: list[str], required: list[list[str]], since: date, until: date, limit: int) -> list[Passage]:
        """Best passages (bm25) matching any of ``terms`` and, of each group in ``required``, one of its
        phrases ("Eli Lilly" or "Lilly"; "$20 billion" or "20bn"), dated in the window.

        Undated documents are kept: the report marks them undated rather than hiding them. The
        score is FTS5's bm25 over the whole index, and the work is bounded whatever the corpus
        size. Each part of the window (dated, undated) first ranks its ``CANDIDATES`` newest
        matching passages. If a part had more, the k-th best score so far shows which words can
        still lift an unranked passage past it (the others are too common to); for each such word,
        most distinctive first, the newest older passages holding it are ranked too, until none
        is left or ``CANDIDATES`` more have been ranked. The result is exact bm25 when no part
        overflowed or every such word's passages were ranked; otherwise it is the best of the
        newest passages and of those that hold the query's most distinctive words.
        """
        query = self._query(terms, required)
        if query is None:
            return []
        ranked: dict[int, float] = {}
        overflowed: list[tuple[int, int]] = []
        for low, high in (_window(since, until), (0, _DAY - 1)):
            scored = self._rank(query, query.expression, low, high)
            ranked.update(scored)
            if len(scored) == CANDIDATES:
                overflowed.append((low, min(scored) - 1))
        budget, searched = CANDIDATES, set()
        while overflowed and budget > 0 and len(ranked) >= limit:
            threshold = sorted(ranked.values(), reverse=True)[limit - 1]
            words = [word for word in query.able_to_beat(threshold) if word not in searched]
            if not words:
                break
            searched.add(words[0])
            for low, high in overflowed:
                scored = self._rank(query, f"{query.expression} AND {_quoted([words[0]])[0]}", low, high)
                budget -= len(scored)
                ranked.update(scored)
        # Ties go to the older passage, as FTS5's scan in rowid order broke them before.
        best = sorted(ranked.items(), key=lambda item: (-item[1], item[0]))[:limit]
        return [self._passage(rowid, score) for rowid, score in best]

    def passages_of(self, documents: list[tuple[str, str]], limit: int) -> list[Passage]:
        """Every passage of the documents named by (url, title), up to ``limit`` in all, in document order."""
        documents = list(dict.fromkeys(documents))  # each document once: the join below keeps repeats
        if not documents:
            return []
        marks = ",".join("(?, ?)" for _ in documents)
        spans = self._db.execute(  # looked up by address (documents_url), not by reading every document
            f"SELECT d.first_passage, d.last_passage FROM (VALUES {marks}) AS wanted"
            " JOIN documents d ON d.url = wanted.column1 AND d.title = wanted.column2 ORDER BY d.first_passage",
            [v for pair in documents for v in pair],
        ).fetchall()
        rowids = [rowid for first, last in spans for rowid in range(first, last + 1)][:limit]
        return [self._passage(rowid, 0.0) for rowid in rowids]

    def count_out_of_window(self, terms: list[str], required: list[list[str]], since: date, until: date) -> OutOfWindow:
        """Matching documents that the window excluded, so the report can say so; at most
        ``OUT_OF_WINDOW_LIMIT``, so counting costs the same in any corpus."""
        expression = match_expression(terms, required)
        found: set[int] = set()
        if not expression:
            return OutOfWindow(found, complete=True)
        window_low, window_high = _window(since, until)
        for low, high in ((_DAY, window_low - 1), (window_high + 1, _LAST_ROWID)):
            found.update(document for (document,) in self._db.execute(
                "SELECT DISTINCT document_id FROM passages WHERE passages MATCH ? AND rowid BETWEEN ? AND ? LIMIT ?",
                (expression, low, high, OUT_OF_WINDOW_LIMIT + 1 - len(found)),
            ))
            if len(found) > OUT_OF_WINDOW_LIMIT:
                return OutOfWindow(set(sorted(found)[:OUT_OF_WINDOW_LIMIT]), complete=False)
        return OutOfWindow(found, complete=True)

    def _query(self, terms: list[str], required: list[list[str]]) -> _Query | None:
        # the phrases in FTS5's order: each required group's, then the optional words if the expression has them
        groups = [group for group in map(_phrases, required) if group]
        must = [phrase for group in groups for phrase in group]
        any_of = _words(terms) if len(groups) < 2 else []
        expression = match_expression(terms, required)
        if not expression:
            return None
        phrases = self.tokens(must + any_of)
        rows, tokens = self._totals()
        df = dict(self._db.execute(
            f"SELECT term, df FROM terms WHERE term IN ({','.join('?' * len({t for p in phrases for t in p}))})",
            [*{t for p in phrases for t in p}],
        )) if phrases else {}
        idf = [_idf(rows, self._phrase_frequency(phrase, df)) for phrase in phrases]
        return _Query(expression, must, any_of, phrases, idf, tokens / rows if rows else 1.0)

    def _phrase_frequency(self, phrase: tuple[str, ...], df: dict[str, int]) -> int:
        """How many passages hold ``phrase``: a word's count is kept; a phrase of several words
        ("20 billion", "Eli Lilly") is counted, as FTS5 does, up to ``PHRASE_COUNT_LIMIT`` passages;
        past that, it is taken to be as common as its rarest word."""
        rarest = min((df.get(token, 0) for token in phrase), default=0)
        if len(phrase) < 2 or rarest <= 0:
            return rarest
        (count,) = self._db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM passages WHERE passages MATCH ? LIMIT ?)",
            ('"' + " ".join(phrase) + '"', PHRASE_COUNT_LIMIT),
        ).fetchone()
        return count if count < PHRASE_COUNT_LIMIT else rarest

    def _rank(self, query: _Query, expression: str, low: int, high: int) -> dict[int, float]:
        """The bm25 score of each of the newest ``CANDIDATES`` passages matching ``expression`` in [low, high]."""
        rows = self._db.execute(
            "SELECT p.rowid, highlight(passages, 0, char(1), char(2)), s.sz FROM passages p"
            " JOIN passages_docsize s ON s.id = p.rowid"
            " WHERE passages MATCH ? AND p.rowid BETWEEN ? AND ? ORDER BY p.rowid DESC LIMIT ?",
            (expression, low, high, CANDIDATES),
        ).fetchall()
        marked = [(rowid, _MARKED.findall(text), _varints_sum(size)) for rowid, text, size in rows]
        self.tokens(list({span for _, spans, _ in marked for span in spans}))  # learn every new surface at once
        return {rowid: query.score([self._tokens[span] for span in spans], length) for rowid, spans, length in marked}

    def _passage(self, rowid: int, score: float) -> Passage:
        text, url, title, publisher, published, date_source = self._db.execute(
            "SELECT p.text, d.url, d.title, d.publisher, d.published, d.date_source"
            " FROM passages p JOIN documents d ON d.id = p.document_id WHERE p.rowid = ?",
            (rowid,),
        ).fetchone()
        return Passage(text, score, url, title, publisher, date.fromisoformat(published) if published else None,
                       DateSource(date_source) if date_source else None)

    def _totals(self) -> tuple[int, int]:
        totals = dict(self._db.execute("SELECT name, value FROM totals"))
        return totals.get("passages", 0), totals.get("tokens", 0)

    def tokens(self, texts: list[str]) -> list[tuple[str, ...]]:
        """What FTS5's tokenizer makes of each text (case-folded, stemmed words), asked of SQLite
        itself so that counting here agrees with its matching; remembered for the next query."""
        new = [text for text in dict.fromkeys(texts) if text not in self._tokens]
        if new:
            in_transaction = self._db.in_transaction
            self._db.executemany("INSERT INTO temp.probe (rowid, text) VALUES (?, ?)", enumerate(new, start=1))
            found: dict[int, list[str]] = {}
            for row, term in self._db.execute("SELECT doc, term FROM temp.probe_tokens ORDER BY doc, offset"):
                found.setdefault(row, []).append(term)
            self._db.execute("DELETE FROM temp.probe")
            if not in_transaction:  # end the implicit transaction: an open one would block other writers
                self._db.commit()
            for row, text in enumerate(new, start=1):
                self._tokens[text] = tuple(found.get(row, ()))
        return [self._tokens[text] for text in texts]


@dataclass
class _Query:
    """A query's FTS5 expression and what bm25 needs of it: one entry per phrase, in FTS5's order."""

    expression: str
    must: list[str]
    any_of: list[str]
    phrases: list[tuple[str, ...]]
    idf: list[float]
    average_length: float

    @cached_property
    def where(self) -> dict[tuple[str, ...], list[int]]:
        """Which phrases each token sequence is (a word can be both required and optional)."""
        where: dict[tuple[str, ...], list[int]] = {}
        for number, phrase in enumerate(self.phrases):
            where.setdefault(phrase, []).append(number)
        return where

    def score(self, spans: list[tuple[str, ...]], length: int) -> float:
        """FTS5's bm25 (k1 = 1.2, b = 0.75) of a passage of ``length`` tokens whose matches
        ``highlight()`` marked as ``spans``; positive, higher is better."""
        where = self.where
        frequency = [0] * len(self.phrases)
        for span in spans:
            for number in where.get(span) or [n for token in span for n in where.get((token,), ())]:
                frequency[number] += 1
        norm = _K1 * (1 - _B + _B * length / self.average_length)
        score = 0.0
        for idf, count in zip(self.idf, frequency, strict=True):
            score += idf * ((count * (_K1 + 1.0)) / (count + norm))
        return score

    def able_to_beat(self, threshold: float) -> list[str]:
        """The query's optional words that could lift a passage holding them past ``threshold``,
        most distinctive first; a passage holding none of them can't beat it (MaxScore's test,
        with each word's bm25 share at most ``idf × (k1 + 1)``)."""
        bound = sum(idf * (_K1 + 1) for idf in self.idf[: len(self.must)])
        able = []
        for idf, word in sorted(zip(self.idf[len(self.must):], self.any_of, strict=True)):
            if bound + idf * (_K1 + 1) <= threshold:
                bound += idf * (_K1 + 1)  # these words together can't lift a passage past the threshold
            else:
                able.append(word)
        return able[::-1]


class _Batch:
    """Index changes within one transaction, with the document frequencies they change.

    Passages are written when the batch commits, in rowid order: FTS5 flushes its buffer to a new
    segment whenever a rowid is lower than the last one written, and documents arrive in path
    order, not date order. Added and removed passages also go to two temporary FTS5 tables whose
    ``fts5vocab`` rows give, in SQL, how many passages hold each token: ``terms`` is kept with
    FTS5's own tokens, without tokenizing anything in Python.
    """

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._next: dict[int, int] = {}  # the next free rowid of each day
        self._seen_version: int | None = None
        self._passages: list[tuple[int, str, int]] = []
        self._forgotten: list[tuple[int, int]] = []
        self._reset()

    def _reset(self) -> None:
        for name in ("added", "removed"):
            self._db.execute(f"DROP TABLE IF EXISTS temp.{name}_counts")
            self._db.execute(f"DROP TABLE IF EXISTS temp.{name}")
            self._db.execute(f"CREATE VIRTUAL TABLE temp.{name} USING fts5(text, tokenize = '{_TOKENIZER}')")
            self._db.execute(f"CREATE VIRTUAL TABLE temp.{name}_counts USING fts5vocab(temp, {name}, row)")
        self._passages.clear()
        self._forgotten.clear()

    def begin(self) -> None:
        """Take the write lock; forget the free rowids learnt if another process wrote since."""
        self._db.execute("BEGIN IMMEDIATE")
        (version,) = self._db.execute("PRAGMA data_version").fetchone()
        if version != self._seen_version:
            self._next.clear()
            self._seen_version = version

    def add(self, file: CorpusFile, split: Callable[[str], list[str]]) -> int | str:
        """Index one file: 1 if indexed, 0 if recorded as skipped, or the warning if it can't be read."""
        key = file.key
        self.forget(key)
        try:
            document = load_document(file.path)
        except SkipFile as reason:
            self._db.execute("INSERT INTO skipped VALUES (?, ?, ?, ?)", (key, file.mtime_ns, file.size, str(reason)))
            return 0
        except OSError as error:  # not recorded: fixing permissions changes neither mtime nor size
            return f"skipped {key}: can't be read ({error.strerror or error})"
        passages = split(document.text)
        first = self._rowids(document.published, len(passages))
        cursor = self._db.execute(
            "INSERT INTO documents (path, mtime_ns, size, url, title, publisher, published, date_source, warnings,"
            " first_passage, last_passage) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                key, file.mtime_ns, file.size, document.url, document.title, document.publisher,
                document.published.isoformat() if document.published else None,
                document.date_source.value if document.date_source else None, "\n".join(document.warnings),
                first, first + len(passages) - 1,
            ),
        )
        self._passages += [(first + n, text, cursor.lastrowid or 0) for n, text in enumerate(passages)]
        return 1

    def forget(self, key: str) -> None:
        row = self._db.execute("SELECT id, first_passage, last_passage FROM documents WHERE path = ?", (key,)).fetchone()
        if row:
            document, first, last = row
            self._forgotten.append((first, last))
            self._db.execute("DELETE FROM documents WHERE id = ?", (document,))
        self._db.execute("DELETE FROM skipped WHERE path = ?", (key,))

    def _rowids(self, published: date | None, count: int) -> int:
        """The first of ``count`` free rowids on the document's day (day 0: undated)."""
        day = published.toordinal() if published else 0
        if day not in self._next:
            last = self._db.execute(
                "SELECT rowid FROM passages WHERE rowid BETWEEN ? AND ? ORDER BY rowid DESC LIMIT 1",
                (day * _DAY, (day + 1) * _DAY - 1),
            ).fetchone()
            self._next[day] = last[0] + 1 if last else day * _DAY + 1
        first = self._next[day]
        self._next[day] = first + count
        return first

    def commit(self) -> None:
        """Write the batch's passages, fold them into the document frequencies and totals, commit."""
        if self._db.in_transaction:
            for first, last in sorted(self._forgotten):
                self._db.execute(
                    "INSERT INTO temp.removed (rowid, text) SELECT rowid, text FROM passages WHERE rowid BETWEEN ? AND ?",
                    (first, last),
                )
                self._db.execute("DELETE FROM passages WHERE rowid BETWEEN ? AND ?", (first, last))
            self._passages.sort()
            self._db.executemany("INSERT INTO passages (rowid, text, document_id) VALUES (?, ?, ?)", self._passages)
            self._db.executemany("INSERT INTO temp.added (rowid, text) VALUES (?, ?)", [p[:2] for p in self._passages])
            for name, sign in (("added", 1), ("removed", -1)):
                self._db.execute(
                    f"INSERT INTO terms (term, df) SELECT term, {sign} * doc FROM temp.{name}_counts WHERE true"
                    " ON CONFLICT (term) DO UPDATE SET df = df + excluded.df"
                )
                (passages,) = self._db.execute(f"SELECT count(*) FROM temp.{name}").fetchone()
                (tokens,) = self._db.execute(f"SELECT coalesce(sum(cnt), 0) FROM temp.{name}_counts").fetchone()
                for total, change in (("passages", passages), ("tokens", tokens)):
                    self._db.execute(
                        "INSERT INTO totals VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = value + excluded.value",
                        (total, sign * change),
                    )
            self._db.execute("DELETE FROM terms WHERE df <= 0")
            self._db.commit()
            (self._seen_version,) = self._db.execute("PRAGMA data_version").fetchone()
        self._reset()


_TOKEN_RE = re.compile(r"[^\W_]+", re.UNICODE)  # letters and digits: what FTS5's unicode61 keeps as words
_MARKED = re.compile("\x01([^\x02]*)\x02")
_LAST_ROWID = (1 << 63) - 1


def _words(words: list[str]) -> list[str]:
    return list(dict.fromkeys(t for w in words for t in _TOKEN_RE.findall(w.lower())))


def _phrases(group: list[str]) -> list[str]:
    """Each phrase of a group as its words, lower-cased and space-separated, once."""
    return [p for p in dict.fromkeys(" ".join(_TOKEN_RE.findall(text.lower())) for text in group) if p]


def _quoted(words: list[str]) -> list[str]:
    return ['"' + w + '"' for w in words]


def match_expression(terms: list[str], required: list[list[str]]) -> str:
    """An FTS5 query from plain words and phrases; every token is quoted, so no input can inject FTS syntax.

    Each group of ``required`` must match one of its phrases. The passage must match one of ``terms``
    too, unless two groups or more are required: a targeted search (a company and a figure) needs
    only those, and is ranked by how often and how distinctively it holds them.
    """

    groups = [_quoted(group) for group in map(_phrases, required) if group]
    parts = ["(" + " OR ".join(group) + ")" for group in groups]
    any_of = _quoted(_words(terms))
    if any_of and len(parts) < 2:
        parts.append("(" + " OR ".join(any_of) + ")")
    return " AND ".join(parts)


def _add_to_fingerprint(digest: hashlib._Hash, documents: Documents) -> None:
    """Add a batch of walked documents to the digest of the folder's state: their keys, then their
    times and sizes as 64-bit numbers, so no string is made for each file."""
    digest.update(f"{documents.prefix}\0{len(documents.names)}\0{chr(0).join(documents.names)}\0".encode())
    digest.update(array("q", documents.mtimes))  # the walk skips a time past 2262, which 64 bits can't hold
    digest.update(array("q", documents.sizes))


def _key(signature: str) -> str:
    return signature.rsplit("\0", 2)[0]


def _signed(signature: str) -> tuple[str, int, int]:
    """The key, mtime_ns and size a signature was written from."""
    key, mtime_ns, size = signature.rsplit("\0", 2)
    return key, int(mtime_ns), int(size)


def _window(since: date, until: date) -> tuple[int, int]:
    """The rowids of passages dated from ``since`` to ``until``."""
    return since.toordinal() * _DAY, (until.toordinal() + 1) * _DAY - 1


def _idf(rows: int, df: int) -> float:
    """FTS5's idf: a word in more than half the passages still counts a little."""
    idf = math.log((rows - df + 0.5) / (df + 0.5)) if rows else 0.0
    return idf if idf > 0 else 1e-6


def _varints_sum(blob: bytes) -> int:
    """The tokens in a passage: the sum of the varints of its FTS5 ``docsize`` record."""
    total = value = 0
    for byte in blob:
        value = (value << 7) | (byte & 0x7F)
        if byte < 0x80:
            total += value
            value = 0
    return total


def passage_splitter() -> Callable[[str], list[str]]:
    """A splitter that cuts at paragraphs, then lines, sentences and words, into passages of at most
    ``PASSAGE_TOKENS`` cl100k tokens each (semantic-text-splitter).

    On every document of the sample corpus and of the benchmark's synthetic one it cuts exactly where
    LangChain's ``RecursiveCharacterTextSplitter`` (with tiktoken) did, which it replaced; unlike it, it never
    lets a passage run over the size (a run without spaces, a long address). Its tokenizer is compiled in:
    it is ready in about 0.05 s, where LangChain's splitter and tiktoken took about 0.35 s of a cold run.
    """
    from semantic_text_splitter import TextSplitter

    return TextSplitter.from_tiktoken_model(TOKENIZER_MODEL, PASSAGE_TOKENS).chunks
