"""Every backend in one place: analysts by model-name pattern, searchers by kind, built lazily.

The built-in backends register here the same way a third-party package does: a package adds its own
through the ``groundbrief.backends`` entry-point group, naming a function that receives the
:class:`Registry` (as llm plugins register models)::

    [project.entry-points."groundbrief.backends"]
    my_search = "my_package:register"

    def register(registry):
        registry.add_searcher("my-search", lambda options: MySearcher(options), "what it searches")

Factories run only when a report needs them, so naming a model needs no key and imports no SDK.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline.errors import UsageError

if TYPE_CHECKING:  # the CLI imports this module for its defaults: keep it light
    from pipeline.stages import Analyst, Backends, Searcher

ENTRY_POINT_GROUP = "groundbrief.backends"
DEFAULT_MODEL = "offline-rules"
DEFAULT_SEARCH = "corpus"


@dataclass(frozen=True)
class BackendOptions:
    """What the user chose, as every factory sees it."""

    model: str = DEFAULT_MODEL
    corpus: Path | None = None
    cache_root: Path = Path(".")
    prompts: Path | None = None
    warn: Callable[[str], None] = lambda message: None
    progress: Callable[[str], None] = lambda text: None  # a stage's own count, e.g. "search 7/12"


@dataclass(frozen=True)
class AnalystKind:
    """A family of analysts: which ``--model`` names it serves and how to build one.

    ``calls_model`` is False for analysts that call no model (nothing to plan or bill);
    ``default_search`` is the search kind used when the user names neither ``--search`` nor ``--corpus``.
    """

    name: str
    matches: Callable[[str], bool]
    build: Callable[[BackendOptions], Analyst]
    help: str
    calls_model: bool = True
    default_search: str = DEFAULT_SEARCH
    fallback: bool = False


@dataclass(frozen=True)
class SearcherKind:
    """A source of evidence for ``--search KIND``; ``takes_corpus`` says whether ``--corpus`` applies."""

    kind: str
    build: Callable[[BackendOptions], Searcher]
    help: str
    takes_corpus: bool = False


@dataclass
class Registry:
    analysts: list[AnalystKind] = field(default_factory=list)
    searchers: dict[str, SearcherKind] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def add_analyst(
        self,
        name: str,
        matches: Callable[[str], bool],
        build: Callable[[BackendOptions], Analyst],
        help: str,
        *,
        calls_model: bool = True,
        default_search: str = DEFAULT_SEARCH,
        fallback: bool = False,
    ) -> None:
        """Serve every ``--model`` name ``matches`` accepts; the first registered match wins, and a
        ``fallback`` family only when no other matches."""
        self.analysts.append(AnalystKind(name, matches, build, help, calls_model, default_search, fallback))

    def add_searcher(
        self, kind: str, build: Callable[[BackendOptions], Searcher], help: str, *, takes_corpus: bool = False
    ) -> None:
        if kind in self.searchers:
            raise ValueError(f"search kind {kind!r} is registered twice")
        if "," in kind or not kind.strip():
            raise ValueError(f"search kind {kind!r} can't be named in --search: no commas, not empty")
        self.searchers[kind] = SearcherKind(kind, build, help, takes_corpus)

    def analyst_kind(self, model: str) -> AnalystKind:
        """The family serving ``model``; checking a name builds nothing, so it needs no key. Fallbacks
        (LangChain takes any ``provider:model``) are tried after every other family, plugins' included."""
        for kind in sorted(self.analysts, key=lambda kind: kind.fallback):
            if kind.matches(model):
                return kind
        raise UsageError(f"unknown model {model!r}; available: {self.models_help()}")

    def search_kind(self, model: str, corpus: Path | None, search: str | None) -> str:
        """``search`` when given (one kind, or several joined by commas: ``corpus,web``); else the
        analyst's default, or the corpus when ``--corpus`` names one."""
        if search is None:
            return DEFAULT_SEARCH if corpus is not None else self.analyst_kind(model).default_search
        kinds = search_kinds(search)
        for kind in kinds:
            if kind not in self.searchers:
                raise UsageError(f"unknown search {kind!r}; choose one or more of: {', '.join(self.searchers)} (e.g. corpus,web)")
        repeated = next((kind for kind in kinds if kinds.count(kind) > 1), None)
        if repeated:
            raise UsageError(f"--search names {repeated} twice")
        if corpus is not None and not any(self.searchers[kind].takes_corpus for kind in kinds):
            raise UsageError(f"--corpus and --search {search} exclude each other: a corpus is searched locally")
        return ",".join(kinds)

    def backends(self, options: BackendOptions, search: str | None = None) -> Backends:
        from pipeline.stages import Backends

        kinds = search_kinds(self.search_kind(options.model, options.corpus, search))
        searchers = [self.searchers[kind].build(options) for kind in kinds]
        if len(searchers) > 1:
            from pipeline.search.combined import CombinedSearcher, Part

            searcher: Searcher = CombinedSearcher([Part(kind, built) for kind, built in zip(kinds, searchers)])
        else:
            searcher = searchers[0]
        return Backends(analyst=self.analyst_kind(options.model).build(options), searcher=searcher)

    def models_help(self) -> str:
        return ", ".join(kind.help for kind in self.analysts)


def search_kinds(search: str) -> list[str]:
    """``"corpus, web"`` → ``["corpus", "web"]``: the searchers a ``--search`` value names, in order."""
    kinds = [kind.strip() for kind in search.split(",")]
    if not all(kinds):
        raise UsageError(f"--search {search!r} has an empty name: give kinds separated by commas, e.g. corpus,web")
    return kinds


@cache
def registry() -> Registry:
    """The built-in backends, then every installed plugin's; a plugin that fails to load is skipped
    and named in ``problems`` (the CLI shows them as warnings)."""
    from importlib.metadata import entry_points

    found = Registry()
    register_builtins(found)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            entry.load()(found)
        except Exception as error:  # a broken plugin must not stop the built-in backends
            from pipeline.providers.secrets import one_line, redact

            found.problems.append(f"backend plugin {entry.name!r} ({entry.value}) failed to load: {one_line(redact(str(error)))}")
    return found


def check_model(model: str) -> None:
    """Reject a model name no backend serves, without building the backend (no key needed)."""
    registry().analyst_kind(model)


def models_help() -> str:
    return registry().models_help()


def is_gemini(model: str) -> bool:
    """``gemini`` (the model named in settings) or any ``gemini-…`` model."""
    return model == "gemini" or model.startswith("gemini-")


def register_builtins(registry: Registry) -> None:
    """The embedded default, Gemini and LangChain analysts; the corpus, web and SEC EDGAR searchers."""
    registry.add_analyst(
        DEFAULT_MODEL, lambda model: model == DEFAULT_MODEL, _rule_analyst,
        f"{DEFAULT_MODEL} (the embedded rule-based analyst; no key, no network)", calls_model=False,
    )
    registry.add_analyst(
        "gemini", is_gemini, _gemini_analyst,
        "gemini or gemini-… (Gemini through google-genai; needs GEMINI_API_KEY)", default_search="web",
    )
    registry.add_analyst(
        "langchain", lambda model: ":" in model, _langchain_analyst,
        "provider:model for any LangChain chat model (ollama:qwen2.5:7b, openai:gpt-4.1-mini, anthropic:…)",
        fallback=True,
    )
    registry.add_searcher("corpus", _corpus_searcher, "a local folder of documents (SQLite FTS5)", takes_corpus=True)
    registry.add_searcher("web", _web_searcher, "Google Search grounding through Gemini (needs GEMINI_API_KEY)")
    registry.add_searcher("edgar", _edgar_searcher, "SEC EDGAR filings: 10-K, 10-Q, earnings 8-K, S-1 (needs sec_user_agent)")


def _rule_analyst(options: BackendOptions) -> Analyst:
    from pipeline.analysts.rules import RuleAnalyst

    return RuleAnalyst()


def _gemini_analyst(options: BackendOptions) -> Analyst:
    from pipeline.analysts.llm import LLMAnalyst
    from pipeline.providers.gemini import GeminiChat
    from pipeline.settings import load_settings

    chat = GeminiChat(options.model, warn=options.warn)
    return LLMAnalyst(chat, options.prompts, separate=load_settings().stages_for(chat.model) == "separate")


def _langchain_analyst(options: BackendOptions) -> Analyst:
    from pipeline.analysts.llm import LLMAnalyst
    from pipeline.providers.langchain_chat import LangChainChat
    from pipeline.settings import load_settings

    chat = LangChainChat(options.model, warn=options.warn)
    return LLMAnalyst(chat, options.prompts, separate=load_settings().stages_for(chat.name) == "separate")


def _corpus_searcher(options: BackendOptions) -> Searcher:
    from pipeline.resources import sample_corpus_dir
    from pipeline.search.corpus import CorpusSearcher

    return CorpusSearcher(options.corpus or sample_corpus_dir(), options.cache_root, options.warn, progress=options.progress)


def _edgar_searcher(options: BackendOptions) -> Searcher:
    from pipeline.search.edgar import edgar_searcher

    return edgar_searcher(options.cache_root, options.warn, options.progress)


def _web_searcher(options: BackendOptions) -> Searcher:
    """Grounded on the analyst's own Gemini model when it is one, else on the model in settings."""
    from pipeline.search.web import web_searcher

    model = options.model if is_gemini(options.model) else None
    return web_searcher(model, options.cache_root, options.prompts, options.warn, options.progress)
