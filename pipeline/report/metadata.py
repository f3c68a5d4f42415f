"""The hidden ``<!-- groundbrief:report {…} -->`` comment: one model for the renderer that writes
it and the drafts reader that reads it back after an editor changed the visible text."""

from __future__ import annotations

import json
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from pipeline.baseline import baseline_of
from pipeline.models import Baseline, Report, ResearchRequest
from pipeline.report.labels import METADATA_MARKER


class HiddenMetadata(BaseModel):
    """The request and run metadata; fields a later release adds are ignored, not errors."""

    model_config = ConfigDict(extra="ignore")

    schema_version: int
    request: ResearchRequest
    model: str
    search_backend: str
    generated_at: datetime
    tool_version: str
    baseline: Baseline | None = None
    publishers: dict[str, str] = {}
    #: Each link's page title and date: what says whose claim "the drug maker posted…" is, and which dates
    #: are the report's own, when the draft travels without its ``.json``. Drafts before them have none.
    titles: dict[str, str] = {}
    published: dict[str, date] = {}
    requested_model: str | None = None
    search: str | None = None
    corpus: str | None = None
    templates: str | None = None

    @classmethod
    def of(cls, report: Report) -> HiddenMetadata:
        run = report.metadata
        return cls(
            **run.model_dump(include={
                "schema_version", "model", "search_backend", "generated_at", "tool_version",
                "requested_model", "search", "corpus", "templates",
            }),
            request=report.request,
            # What groundbrief generated (so refresh can tell edits apart), and who published each link, when, under what title.
            baseline=baseline_of(report),
            publishers={source.url: source.publisher for source in report.sources if source.publisher},
            titles={source.url: source.title for source in report.sources if source.title},
            published={source.url: source.published for source in report.sources if source.published},
        )


def hidden_metadata(report: Report) -> str:
    """The comment: invisible when the markdown is rendered, and what lets tools re-read, check and
    refresh a draft after an editor changed it."""
    payload = HiddenMetadata.of(report).model_dump(mode="json")
    # "--" can only occur inside JSON strings, where \u002d is the same character: the comment can't end early.
    text = json.dumps(payload, ensure_ascii=True, sort_keys=True).replace("--", "-\\u002d")
    return f"<!-- {METADATA_MARKER} {text} -->"
