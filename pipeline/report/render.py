"""Render a report model to markdown through ``templates/report.md.j2`` (or the user's own).

Reports record the ``--templates`` folder they were made with, so ``refresh`` renders with it again."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import jinja2

from pipeline.errors import UsageError
from pipeline.models import Report
from pipeline.report import formatting, labels
from pipeline.report.labels import TEMPLATE
from pipeline.report.metadata import hidden_metadata
from pipeline.resources import resource_dir


def render_markdown(report: Report, templates: Path | None = None) -> str:
    """The report as markdown; ``templates`` is a folder whose files override the built-in ones.
    A broken template is the user's to fix: one line naming the file and line."""
    try:
        return _environment(templates).get_template(TEMPLATE).render(report=report)
    except jinja2.TemplateError as error:
        where = f" ({error.filename}, line {error.lineno})" if getattr(error, "lineno", None) else ""
        raise UsageError(f"report template error{where}: {error.message}") from None


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
    env.globals["format"] = labels  # headings and field names, shared with the parser
    return env
