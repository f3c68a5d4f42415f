"""groundbrief: dated markdown research briefings for analysts.

The public API is what ``__all__`` lists, importable from ``pipeline`` itself: research a request
(:func:`research`), write its report (:func:`generate_report`), plan a run without calling anything
(:func:`plan_report`), render and read reports, and the data model and backend registry they share.
Names are loaded on first use, so ``import pipeline`` (and the CLI) stays fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from pipeline.version import __version__

#: Public name → the module that defines it.
_EXPORTS = {
    "research": "pipeline.generate",
    "generate_report": "pipeline.generate",
    "plan_report": "pipeline.generate",
    "GeneratedReport": "pipeline.generate",
    "run_research": "pipeline.orchestrator",
    "render_markdown": "pipeline.report.render",
    "parse_markdown": "pipeline.report.parse",
    "Report": "pipeline.models",
    "ResearchRequest": "pipeline.models",
    "TimeWindow": "pipeline.models",
    "Finding": "pipeline.models",
    "Evidence": "pipeline.models",
    "Source": "pipeline.models",
    "Gap": "pipeline.models",
    "SearchQuery": "pipeline.models",
    "SearchResults": "pipeline.models",
    "Assessment": "pipeline.models",
    "Synthesis": "pipeline.models",
    "Analyst": "pipeline.stages",
    "Searcher": "pipeline.stages",
    "Backends": "pipeline.stages",
    "Registry": "pipeline.registry",
    "BackendOptions": "pipeline.registry",
    "registry": "pipeline.registry",
    "GroundbriefError": "pipeline.errors",
    "UsageError": "pipeline.errors",
}

__all__ = ["__version__", *_EXPORTS]

if TYPE_CHECKING:
    from pipeline.errors import GroundbriefError, UsageError
    from pipeline.generate import GeneratedReport, generate_report, plan_report, research
    from pipeline.models import (
        Assessment,
        Evidence,
        Finding,
        Gap,
        Report,
        ResearchRequest,
        SearchQuery,
        SearchResults,
        Source,
        Synthesis,
        TimeWindow,
    )
    from pipeline.orchestrator import run_research
    from pipeline.registry import BackendOptions, Registry, registry
    from pipeline.report.parse import parse_markdown
    from pipeline.report.render import render_markdown
    from pipeline.stages import Analyst, Backends, Searcher


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'pipeline' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
