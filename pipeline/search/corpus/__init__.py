"""The embedded search backend: a local folder of documents indexed in SQLite FTS5."""

from pipeline.search.corpus.searcher import CorpusSearcher

__all__ = ["CorpusSearcher"]
