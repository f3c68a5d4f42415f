"""The report as one self-contained HTML page, for email, chat and print (the PDF is made from it).

The body is the markdown the report template writes (``report.md.j2``, or the user's), converted by
markdown-it-py; the page around it is ``templates/report.html.j2`` (or the user's), whose CSS is then
inlined into ``style`` attributes, as email clients want it. The markdown's escaping guarantees carry
over, and the conversion adds its own: raw HTML is never passed through (``html`` off), images are not
parsed (no remote image fetches a tracking pixel), and a link becomes an ``<a href>`` only when it is
http(s): a ``file:`` link or a sample document's relative path shows its label as text. The page
template runs with HTML autoescaping, so whatever a value holds reaches the page as text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from pipeline.errors import UsageError
from pipeline.models import Report, is_safe_link
from pipeline.report.formatting import format_date, format_timestamp
from pipeline.report.labels import HTML_TEMPLATE, METADATA_MARKER, TEMPLATE
from pipeline.report.render import render_markdown
from pipeline.resources import resource_dir
from pipeline.templating import TEMPLATE_FAILURES, sandboxed_environment, template_error
from pipeline.version import __version__

_HIDDEN_METADATA = re.compile(rf"^<!--\s*{re.escape(METADATA_MARKER)}\b.*?-->[ \t]*$", re.MULTILINE)
WEB_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class AuditStatus:
    """What a reader is told about how far the briefing was checked: one line per fact.

    ``level`` is ``passed`` when nothing calls for a second look, ``warnings`` otherwise."""

    level: Literal["passed", "warnings"]
    lines: tuple[str, ...]


@dataclass(frozen=True)
class Briefing:
    """One report on the page: the model, its audit status, and the folder of its ``report.md.j2``."""

    report: Report
    audit: AuditStatus
    markdown_templates: Path | None = None
    body: Markup = field(default=Markup(""), compare=False)


def audit_status(report: Report, *, notes: Sequence[str] = ()) -> AuditStatus:
    """The status of a report as groundbrief wrote it (``report.audit``), plus ``notes`` (warnings
    from ``groundbrief check`` on an edited draft, which make the level ``warnings``)."""
    lines = []
    if report.audit is not None:
        removed = report.audit.removed
        lines.append(
            f"Prose audit: {report.audit.figures_checked} figure{'s' * (report.audit.figures_checked != 1)} and the "
            "publishers in the report's own words checked against the evidence"
            + (f"; {removed} unsupported statement{'s' * (removed != 1)} removed" if removed else "; all supported")
            + "."
        )
    verified = sum(finding.verified for finding in report.findings)
    if report.findings:
        lines.append(f"Quotes: {verified} of {len(report.findings)} finding{'s' * (len(report.findings) != 1)} "
                     "quoted verbatim from a cited source" + ("." if verified == len(report.findings) else
                                                               "; the others are marked as unverified model statements."))
    if report.metadata.partial:
        lines.append("Partial: some searches or model calls failed; Contradictions and Gaps lists them.")
    lines += notes
    level: Literal["passed", "warnings"] = "warnings" if notes or report.metadata.partial or verified < len(report.findings) else "passed"
    return AuditStatus(level=level, lines=tuple(lines))


def render_html(briefings: Sequence[Briefing], templates: Path | None = None, *, title: str | None = None) -> str:
    """One page holding ``briefings`` (one, or a digest of several); ``templates`` is a folder whose
    ``report.html.j2`` replaces the built-in page. A broken template is one line naming file and line."""
    if not briefings:
        raise ValueError("render_html needs at least one briefing")
    page = load_html_template(templates)
    bodies = [
        Briefing(b.report, b.audit, b.markdown_templates, body=markdown_to_html(render_markdown(b.report, b.markdown_templates)))
        for b in briefings
    ]
    try:
        html = page.render(briefings=bodies, title=title or page_title(bodies[0].report, len(bodies)), version=__version__)
    except TEMPLATE_FAILURES as error:
        raise template_error(error, "HTML report template") from None
    return _inliner().inline(html)


def page_title(report: Report, count: int = 1) -> str:
    """The page's (and an email's) title: the question and the date, or a digest's count and date; a
    scheduled briefing says whose earnings and how long before them (``NVIDIA Q3 FY2027 earnings, T-1: …``)."""
    when = format_date(report.request.as_of)
    if count > 1:
        return f"groundbrief: {count} briefings, {when}"
    earnings = report.request.earnings
    lead = ""
    if earnings is not None:
        days = (earnings.report_date - report.request.as_of).days
        lead = f"{earnings.company} {earnings.quarter} earnings" + (f", T-{days}: " if days >= 0 else ": ")
    return f"{lead}{report.request.question} ({when})"


def markdown_to_html(markdown: str) -> Markup:
    """Report markdown as HTML: no raw HTML, no images, links only to http(s); the hidden metadata
    comment (which would otherwise show as text) is left out."""
    return Markup(_markdown().render(_HIDDEN_METADATA.sub("", markdown)))


def load_html_template(templates: Path | None = None) -> jinja2.Template:
    """The page template: ``templates/report.html.j2`` if the folder has one, else the built-in one."""
    if templates is not None and not templates.is_dir():
        raise UsageError(f"templates folder {templates} does not exist")
    own = templates is not None and (templates / HTML_TEMPLATE).is_file()
    try:
        return _environment(templates if own else None).get_template(HTML_TEMPLATE)
    except jinja2.TemplateError as error:
        raise template_error(error, "HTML report template") from None


def markdown_templates(folder: Path | None) -> Path | None:
    """``folder`` if it holds a ``report.md.j2`` for the body, else None (the built-in one)."""
    return folder if folder is not None and (folder / TEMPLATE).is_file() else None


@lru_cache(maxsize=8)
def _environment(templates: Path | None) -> jinja2.Environment:
    env = sandboxed_environment([*([templates] if templates is not None else []), resource_dir("templates")], html=True)
    env.filters.update(date=format_date, timestamp=format_timestamp)
    return env


@lru_cache(maxsize=1)
def _markdown():
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False, "breaks": True})
    md.disable(["image", "html_block", "html_inline"])
    md.validateLink = is_safe_link  # type: ignore[method-assign]  # the report's own link kinds are parsed as links
    md.core.ruler.push("web_links_only", _web_links_only)
    return md


def _web_links_only(state) -> None:
    """A link that is not http(s) (a ``file:`` URL, a sample document's relative path) shows its label
    as text: in an email or a PDF such a link leads nowhere, or somewhere it should not."""
    for block in state.tokens:
        opened: list = []
        for token in block.children or ():
            if token.type == "link_open":
                web = urlsplit(str(token.attrGet("href") or "")).scheme.lower() in WEB_SCHEMES
                opened.append(web)
                if not web:
                    token.tag, token.attrs = "span", {"class": "local-link"}
                else:
                    token.attrSet("rel", "noopener noreferrer")
            elif token.type == "link_close" and opened and not opened.pop():
                token.tag = "span"


@lru_cache(maxsize=1)
def _inliner():
    """Styles moved into ``style`` attributes; ``@media`` and ``@page`` rules stay in the ``<style>``
    (the phone layout, the PDF's page). Nothing remote is loaded: ``<link>`` tags are dropped."""
    import css_inline

    return css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
