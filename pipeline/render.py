"""Render a report model to markdown through ``templates/report.md.j2`` (or the user's own)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import jinja2

from pipeline import formatting
from pipeline.baseline import baseline_of
from pipeline.errors import UsageError
from pipeline.models import Report
from pipeline.resources import resource_dir
from pipeline.templating import TEMPLATE_FAILURES, sandboxed_environment, template_error

TEMPLATE = "report.md.j2"
METADATA_MARKER = "groundbrief:report"


def render_markdown(report: Report, templates: Path | None = None) -> str:
    """The report as markdown; ``templates`` is a folder whose files override the built-in ones.

    A template that fails is a ``UsageError`` naming its file and line.
    """
    template = load_template(templates)
    try:
        return template.render(report=report)
    except TEMPLATE_FAILURES as error:
        raise template_error(error, "report template") from None


def load_template(templates: Path | None = None) -> jinja2.Template:
    """The report template, compiled: a missing or broken one is refused before any research is done."""
    if templates is not None and not templates.is_dir():
        raise UsageError(f"templates folder {templates} does not exist")
    if templates is not None and not (templates / TEMPLATE).is_file():
        raise UsageError(f"templates folder {templates} has no {TEMPLATE}: copy the built-in one there and change it")
    try:
        return _environment(templates).get_template(TEMPLATE)
    except jinja2.TemplateError as error:
        raise template_error(error, "report template") from None


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
    env = sandboxed_environment([*([templates] if templates is not None else []), resource_dir("templates")])
    env.filters.update(
        inline=formatting.inline,
        paragraph=formatting.paragraph,
        url=formatting.safe_url,
        timestamp=formatting.format_timestamp,
        hidden_metadata=hidden_metadata,
    )
    return env
