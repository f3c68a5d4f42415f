"""Choosing backends from the user's ``--model`` and ``--corpus``: the only place that knows them all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.errors import UsageError
from pipeline.resources import sample_corpus_dir
from pipeline.stages import Analyst, Backends

DEFAULT_MODEL = "offline-rules"
MODELS_HELP = f"{DEFAULT_MODEL} (the embedded rule-based analyst; no key, no network)"


def resolve_analyst(model: str) -> Analyst:
    if model == DEFAULT_MODEL:
        from pipeline.analysts.rules import RuleAnalyst

        return RuleAnalyst()
    raise UsageError(f"unknown model {model!r}; available: {MODELS_HELP}")


def resolve_backends(
    model: str, corpus: Path | None, cache_root: Path, warn: Callable[[str], None]
) -> Backends:
    """The analyst for ``model`` and the search backend for ``corpus`` (default: the sample corpus)."""
    analyst = resolve_analyst(model)
    from pipeline.search.corpus import CorpusSearcher

    return Backends(analyst=analyst, searcher=CorpusSearcher(corpus or sample_corpus_dir(), cache_root, warn))
