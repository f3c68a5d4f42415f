"""The embedded analyst: deterministic rules, no model, no key, no network.

It is named honestly in every report's ``**Model:**`` line as ``offline-rules``. The rules (and the
claims reader they use) load when a stage runs them, so a re-run whose stages are all cached skips them.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.models import Assessment, ResearchRequest, SearchQuery, SearchResults, Synthesis, TokenUsage
from pipeline.resources import code_digest
from pipeline.version import __version__

MODEL_NAME = "offline-rules"
#: The shared modules the rules read claims, figures and names with: an edit to them changes the rules' results too.
_PIPELINE = Path(__file__).parents[2]
_SHARED_CODE = (_PIPELINE / "claims", *(_PIPELINE / f"{name}.py" for name in ("corroboration", "figures", "entities", "text")))


class RuleAnalyst:
    """Expands, assesses and synthesizes with the rules in this package."""

    model_label = f"{MODEL_NAME} (groundbrief {__version__}, no LLM)"
    usage = TokenUsage()

    def __init__(self) -> None:
        self.identity = f"{MODEL_NAME}@{code_digest(Path(__file__).parent, *_SHARED_CODE)}"

    def expand(self, request: ResearchRequest) -> list[SearchQuery]:
        from pipeline.analysts.rules.expand import expand_queries

        return expand_queries(request)

    def assess(self, request: ResearchRequest, results: SearchResults) -> Assessment:
        from pipeline.analysts.rules.assess import assess

        return Assessment(findings=assess(request, results))

    def reassess(self, request: ResearchRequest, results: SearchResults) -> Assessment:
        """The rules cost nothing to run again over the second round's coverage evidence."""
        return self.assess(request, results)

    def synthesize(self, request: ResearchRequest, results: SearchResults, assessment: Assessment) -> Synthesis:
        from pipeline.analysts.rules.synthesize import synthesize

        return synthesize(request, results, assessment.findings, assessment.conflicts)
