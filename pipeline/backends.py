"""Choosing backends from the user's ``--model``, ``--corpus`` and ``--search``: the only place that knows them all."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.errors import UsageError
from pipeline.resources import sample_corpus_dir
from pipeline.stages import Analyst, Backends

DEFAULT_MODEL = "offline-rules"
MODELS_HELP = (
    f"{DEFAULT_MODEL} (the embedded rule-based analyst; no key, no network), "
    "gemini or gemini-… (Gemini through google-genai; needs GEMINI_API_KEY), "
    "provider:model for any LangChain chat model (ollama:qwen2.5:7b, openai:gpt-4.1-mini, anthropic:…)"
)
SEARCH_KINDS = ("corpus", "web")


def is_gemini(model: str) -> bool:
    """``gemini`` (the model named in settings) or any ``gemini-…`` model."""
    return model == "gemini" or model.startswith("gemini-")


def check_model(model: str) -> None:
    """Reject a model name no backend serves, without building the backend (no key needed)."""
    if model != DEFAULT_MODEL and not is_gemini(model) and ":" not in model:
        raise UsageError(f"unknown model {model!r}; available: {MODELS_HELP}")


def resolve_analyst(
    model: str, prompts: Path | None = None, warn: Callable[[str], None] | None = None
) -> Analyst:
    """The analyst for ``model``; ``prompts`` is a folder of prompt templates that override the built-in ones,
    ``warn`` hears what the backend wants the user to know (e.g. a model with no price)."""
    check_model(model)
    if model == DEFAULT_MODEL:
        from pipeline.analysts.rules import RuleAnalyst

        return RuleAnalyst()
    if is_gemini(model):
        from pipeline.analysts.gemini import GeminiChat
        from pipeline.analysts.llm import LLMAnalyst

        return LLMAnalyst(GeminiChat(model, warn=warn), prompts)
    # provider:model through LangChain
    from pipeline.analysts.langchain_chat import LangChainChat
    from pipeline.analysts.llm import LLMAnalyst

    return LLMAnalyst(LangChainChat(model, warn=warn), prompts)


def search_kind(model: str, corpus: Path | None, search: str | None) -> str:
    """``web`` when asked for, or for a Gemini model without ``--corpus``; otherwise ``corpus``."""
    if search not in (None, *SEARCH_KINDS):
        raise UsageError(f"unknown search {search!r}; choose one of: {', '.join(SEARCH_KINDS)}")
    if search == "web" and corpus is not None:
        raise UsageError("--corpus and --search web exclude each other: a corpus is searched locally")
    if search is None:
        return "web" if is_gemini(model) and corpus is None else "corpus"
    return search


def resolve_backends(
    model: str,
    corpus: Path | None,
    cache_root: Path,
    warn: Callable[[str], None],
    *,
    search: str | None = None,
    prompts: Path | None = None,
) -> Backends:
    """The analyst for ``model`` and the search backend: the web, or ``corpus`` (default: the sample corpus)."""
    kind = search_kind(model, corpus, search)
    analyst = resolve_analyst(model, prompts, warn)
    if kind == "web":
        from pipeline.search.web import web_searcher

        return Backends(analyst=analyst, searcher=web_searcher(analyst, cache_root, prompts, warn))
    from pipeline.search.corpus import CorpusSearcher

    return Backends(analyst=analyst, searcher=CorpusSearcher(corpus or sample_corpus_dir(), cache_root, warn))
