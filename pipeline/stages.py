"""The narrow interfaces between the orchestrator and the backends that do each stage's work.

A backend is anything with these methods; the orchestrator never needs to know which one runs.
``identity`` names the backend, its model and anything else (prompt text, corpus state) that
changes its output: the cache keys on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from pipeline.models import (
    Assessment,
    AuditedSentence,
    Finding,
    ResearchRequest,
    SearchQuery,
    SearchResults,
    Source,
    Synthesis,
    TokenUsage,
)


class Stage(Protocol):
    @property
    def identity(self) -> str: ...


class Expander(Stage, Protocol):
    def expand(self, request: ResearchRequest) -> list[SearchQuery]: ...


class Searcher(Stage, Protocol):
    @property
    def description(self) -> str:
        """Where evidence comes from, for the report's metadata: ``local corpus (/path)``."""
        ...

    @property
    def usage(self) -> TokenUsage:
        """Tokens spent by model calls the searches made (none for a local corpus)."""
        ...

    def search(self, request: ResearchRequest, queries: list[SearchQuery]) -> SearchResults: ...


class Assessor(Stage, Protocol):
    def assess(self, request: ResearchRequest, results: SearchResults) -> Assessment: ...


class Synthesizer(Stage, Protocol):
    def synthesize(self, request: ResearchRequest, results: SearchResults, assessment: Assessment) -> Synthesis: ...


class Analyst(Expander, Assessor, Synthesizer, Protocol):
    """The thinking stages, usually served by one model: rule-based, Gemini, or a chat model."""

    @property
    def model_label(self) -> str:
        """What the report's ``**Model:**`` line says."""
        ...

    @property
    def usage(self) -> TokenUsage:
        """Tokens spent so far by this analyst's model calls."""
        ...


@runtime_checkable
class CombinedAnalyst(Protocol):
    """An analyst that can assess and synthesize in one model call: one round instead of two. The
    orchestrator asks ``combines`` first (the evidence may not fit one call, or the model may be set to
    separate stages) and runs ``assess`` then ``synthesize`` when it says no."""

    def combines(self, request: ResearchRequest, results: SearchResults) -> bool: ...

    def assess_and_synthesize(self, request: ResearchRequest, results: SearchResults) -> tuple[Assessment, Synthesis]: ...


@runtime_checkable
class Reviser(Protocol):
    """An analyst that can rewrite the sentences the prose audit found unsupported (a model can; rules can't)."""

    def revise(self, request: ResearchRequest, findings: list[Finding], flagged: list[AuditedSentence]) -> list[str]:
        """One rewrite per flagged sentence, in order; an empty string drops the sentence."""
        ...


@runtime_checkable
class Reassessor(Protocol):
    """An analyst whose assessment costs no model call, so it assesses again once the second round's
    coverage searches have brought more evidence (the rules do; a model's assessment stands, and the
    new evidence only corroborates or contradicts it)."""

    def reassess(self, request: ResearchRequest, results: SearchResults) -> Assessment: ...


@runtime_checkable
class DocumentReader(Protocol):
    """A searcher that can hand over every passage of documents it already found (a local corpus can;
    a web search can't read more than its pages): the second round reads them in full, so Consensus and
    conflicts weigh all a document says, not only the passages a search ranked first."""

    def read_documents(self, request: ResearchRequest, sources: list[Source]) -> SearchResults: ...


@dataclass(frozen=True)
class Backends:
    """The pair the orchestrator runs: who thinks, and where evidence comes from."""

    analyst: Analyst
    searcher: Searcher
