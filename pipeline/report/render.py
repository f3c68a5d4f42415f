"""Render a report model to markdown through ``templates/report.md.j2`` (or the user's own).

Reports record the ``--templates`` folder they were made with, so ``refresh`` renders with it again."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace

import jinja2

from pipeline.errors import UsageError
from pipeline.models import Report
from pipeline.report import formatting, labels
from pipeline.report.labels import TEMPLATE
from pipeline.report.metadata import hidden_metadata
from pipeline.resources import resource_dir
from pipeline.templating import TEMPLATE_FAILURES, sandboxed_environment, template_error


def render_markdown(report: Report, templates: Path | None = None) -> str:
    """The report as markdown; ``templates`` is a folder whose files override the built-in ones.
    A broken template is the user's to fix: one line naming the file and line."""
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
    # Headings and field names, shared with the parser: the constants, not the module (a template
    # reaches only what it is given).
    env.globals["format"] = SimpleNamespace(**{name: value for name, value in vars(labels).items() if name.isupper()})
    return env
