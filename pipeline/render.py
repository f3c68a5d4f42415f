"""Render a report model to markdown through ``templates/report.md.j2`` (or the user's own)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jinja2

from pipeline import formatting
from pipeline.baseline import baseline_of
from pipeline.models import Report
from pipeline.resources import resource_dir

TEMPLATE = "report.md.j2"
METADATA_MARKER = "groundbrief:report"


def render_markdown(report: Report, templates: Path | None = None) -> str:
    """The report as markdown; ``templates`` is a folder whose files override the built-in ones."""
    return _environment(templates).get_template(TEMPLATE).render(report=report)


def hidden_metadata(report: Report) -> str:
    """The request and run metadata as an HTML comment: invisible when the markdown is rendered,
    and what lets tools re-read, check and refresh a draft after an editor changed it."""
    payload = {
        "schema_version": report.metadata.schema_version,
        "request": report.request.model_dump(mode="json"),
        "model": report.metadata.model,
        "search_backend": report.metadata.search_backend,
        "generated_at": report.metadata.generated_at.isoformat(),
        "tool_version": report.metadata.tool_version,
        "requested_model": report.metadata.requested_model,
        "search": report.metadata.search,
        "corpus": report.metadata.corpus,
        # What groundbrief generated (so refresh can tell edits apart) and who published each link.
        "baseline": baseline_of(report).model_dump(mode="json"),
        "publishers": {source.url: source.publisher for source in report.sources if source.publisher},
    }
    # "--" can only occur inside JSON strings, where \u002d is the same character: the comment can't end early.
    text = json.dumps(payload, ensure_ascii=True, sort_keys=True).replace("--", "-\\u002d")
    return f"<!-- {METADATA_MARKER} {text} -->"


@lru_cache(maxsize=8)
def _environment(templates: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = []
    if templates is not None:
        loaders.append(jinja2.FileSystemLoader(str(templates)))
    loaders.append(jinja2.FileSystemLoader(str(resource_dir("templates"))))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # markdown, not HTML: the filters below do the escaping
        undefined=jinja2.StrictUndefined,
    )
    env.filters.update(
        inline=formatting.inline,
        paragraph=formatting.paragraph,
        url=formatting.safe_url,
        timestamp=formatting.format_timestamp,
        hidden_metadata=hidden_metadata,
    )
    return env
