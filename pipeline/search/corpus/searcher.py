"""Search a local corpus: the ``Searcher`` of the embedded default, no key and no network."""

from __future__ import annotations

import os
import re
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

from pipeline.entities import aliases
from pipeline.errors import UsageError
from pipeline.figures import quantities, written_forms
from pipeline.models import Evidence, ResearchRequest, SearchQuery, SearchResults, Source, TokenUsage
from pipeline.resources import code_digest, sample_corpus_dir
from pipeline.search.corpus.index import CorpusIndex
from pipeline.settings import load_settings

PASSAGES_PER_QUERY = 10
#: How many passages of the documents found the second round reads in full, at most.
DOCUMENT_PASSAGES_READ = 2000
READ_IN_FULL = "(read in full)"
#: A targeted search for a claim looks for every publisher stating it, so it keeps more passages.
PASSAGES_PER_TARGETED_QUERY = 40

# Words that carry no search meaning here, including the window phrase the queries end with.
_STOPWORDS = frozenset(
    """a an and are as at be by did do does for from has have how in into is it its last of on or
    over the their this to vs versus was were what when which who why will with day days week weeks
    month months year years""".split()
)


class CorpusSearcher:
    """Finds passages in a folder of ``.md``, ``.txt`` and ``.html`` files."""

    usage = TokenUsage()  # no model calls
    thread_bound = True  # its SQLite index belongs to the thread that opened it: a combined search runs it there

    def __init__(
        self, corpus: Path, cache_root: Path, warn: Callable[[str], None], *, follow_links: bool | None = None,
        progress: Callable[[str], None] = lambda text: None,
    ):
        """``follow_links`` allows links out of the folder; default: the ``follow_corpus_links`` setting.
        ``progress`` hears a one-line progress bar while files are being indexed."""
        self.corpus = _checked_corpus(corpus)
        if follow_links is None:
            follow_links = load_settings().follow_corpus_links
        database = CorpusIndex.database_for(self.corpus, cache_root)
        try:
            self.index = CorpusIndex(self.corpus, database, follow_links=follow_links)
        except (sqlite3.Error, OSError) as error:
            warn(f"corpus index at {database} is unusable ({error}); indexing in memory for this run. "
                 f"To keep an index again, delete {database} (it is rebuilt from the corpus) or make its folder writable")
            self.index = CorpusIndex(self.corpus, Path(":memory:"), follow_links=follow_links)
        sync = self.index.sync(progress=_indexing_bar(progress))
        self.warnings = sync.warnings
        for warning in sync.warnings:
            warn(warning)
        if sync.indexed + sync.unchanged == 0:
            raise UsageError(f"corpus {self.corpus} has no readable .md, .txt or .html documents")
        self._fingerprint = sync.fingerprint

    @property
    def identity(self) -> str:
        """The folder, the state of its files, and the search code: a copy of the corpus elsewhere
        or a change to how it is searched never replays another's results."""
        return f"corpus:{self.corpus}:{self._fingerprint}:{code_digest(Path(__file__).parent)}"

    @property
    def description(self) -> str:
        """The folder searched; the shipped sample by name, so no installation path enters a report."""
        return "local corpus (the sample corpus)" if self.corpus == sample_corpus_dir().resolve() else f"local corpus ({self.corpus})"

    def search(self, request: ResearchRequest, queries: list[SearchQuery]) -> SearchResults:
        since, until = request.window_start, request.as_of
        evidence: list[Evidence] = []
        out_of_window: set[int] = set()
        complete = True
        for query in queries:
            required = [aliases(query.entity)] if query.entity else []  # "Eli Lilly" or "Lilly"
            if query.anchors:  # a targeted search: the claim's figure in any form, or the words of its measure
                required.append([form for anchor in query.anchors for form in _forms(anchor)])
            terms = [w for w in re.findall(r"\w+", query.text.lower()) if w not in _STOPWORDS and not w.isdigit()]
            limit = PASSAGES_PER_TARGETED_QUERY if query.anchors else PASSAGES_PER_QUERY
            evidence += [_evidence(passage, query.text) for passage in self.index.search(terms, required, since, until, limit)]
            excluded = self.index.count_out_of_window(terms, required, since, until)
            out_of_window |= excluded.documents
            complete &= excluded.complete
        return SearchResults(
            evidence=evidence,
            executed_queries=[q.text for q in queries],
            out_of_window=len(out_of_window),
            out_of_window_at_least=not complete,
            warnings=self.warnings,
        )

    def read_documents(self, request: ResearchRequest, sources: list[Source]) -> SearchResults:
        """Every passage of documents already found, so the second round weighs what they say in full."""
        passages = self.index.passages_of([(s.url, s.title) for s in sources], DOCUMENT_PASSAGES_READ)
        return SearchResults(evidence=[_evidence(p, READ_IN_FULL) for p in passages])


def _evidence(passage, query: str) -> Evidence:
    source = Source(
        url=passage.url, title=passage.title, publisher=passage.publisher, published=passage.published,
        date_source=passage.date_source,
    )
    return Evidence(text=passage.text, source=source, query=query, score=passage.score)


def _forms(anchor: str) -> list[str]:
    """Every way a document may write ``anchor``: a figure ("$20B", "$20 billion", "20bn"…), or a word as it is."""
    found = quantities(anchor)
    return written_forms(found[0]) if found else [anchor]


def _indexing_bar(show: Callable[[str], None]) -> Callable[[int, int], None]:
    """Index progress as one line for the status display: a bar, the count and the time left.

    Only a build of more than a few hundred files is shown: a small change is indexed at once.
    """
    started = time.monotonic()

    def update(done: int, total: int) -> None:
        if total < 500:
            return
        fraction = done / total
        filled = int(fraction * 30)
        bar = "━" * filled + ("╸" if filled < 30 else "") + " " * max(0, 29 - filled)
        elapsed = time.monotonic() - started
        left = f", about {_duration(elapsed / fraction - elapsed)} left" if 0.01 <= fraction < 1 else ""
        show(f"indexing the corpus {bar} {fraction:4.0%} ({done:,} of {total:,} files{left})")

    return update


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def _checked_corpus(corpus: Path) -> Path:
    if not corpus.exists():
        raise UsageError(f"corpus folder {corpus} does not exist")
    if not corpus.is_dir():
        raise UsageError(f"corpus {corpus} is not a folder")
    if not os.access(corpus, os.R_OK | os.X_OK):
        raise UsageError(f"corpus folder {corpus} is not readable")
    return corpus.resolve()

