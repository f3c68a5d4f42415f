"""``groundbrief render REPORT.md --to html|pdf`` and ``groundbrief send REPORT.md --to TARGET``.

Both read the report as it stands, so an editor's changes go out; both refuse a report that
``groundbrief check`` finds errors in. Heavy modules are imported inside the commands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.controls import printable

if TYPE_CHECKING:
    from pipeline.delivery.send import Message
    from pipeline.delivery.targets import Target

TARGET_HELP = ("An Apprise URL (mailtos://user:${SMTP_PASSWORD}@smtp.example.com?to=pm@example.com, slack://…, "
               "json://host/path, …; ${NAME} is read from the environment) or a name from config.toml's "
               "[delivery_targets]. Repeat for several.")
_TEMPLATES = click.option(
    "--templates", type=click.Path(path_type=Path, file_okay=False),
    help="Folder whose report.html.j2 (the page) and report.md.j2 (the body) replace the built-in ones.  "
         "[default: the body as the report was made]")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--to", "kind", type=click.Choice(["html", "pdf"]), required=True, help="The rendering to write.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="The file to write.  [default: REPORT with .html or .pdf, beside it]")
@_TEMPLATES
def render(report: Path, kind: str, out: Path | None, templates: Path | None) -> None:
    """Render REPORT.md, as it stands (edits included), to a self-contained HTML page or a PDF.

    The path written is printed. An existing file is never overwritten: REPORT-2.html… is written
    instead. PDF needs the pdf extra: pip install 'groundbrief[pdf]'.
    """
    from pipeline.delivery.briefings import read_briefing
    from pipeline.errors import GroundbriefError
    from pipeline.output import write_new
    from pipeline.report.html import render_html
    from pipeline.report.pdf import load_weasyprint, render_pdf

    try:
        if kind == "pdf":
            load_weasyprint()  # say what is missing before anything is read
        file = read_briefing(report, templates, warn=_warn)
        html = render_html([file.briefing], templates)
        content: str | bytes = render_pdf(html) if kind == "pdf" else html
        written = write_new(out or report.with_suffix(f".{kind}"), content)
    except GroundbriefError as error:
        raise click.ClickException(str(error)) from None
    click.echo(str(written))


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("report", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--to", "targets", multiple=True, required=True, metavar="TARGET", help=TARGET_HELP)
@_TEMPLATES
def send(report: Path, targets: tuple[str, ...], templates: Path | None) -> None:
    """Send REPORT.md, as it stands, to each TARGET: the HTML page as the body, a plain-text
    alternative where the channel has one, and the .md attached.

    Prints one line per target. Exit 0 when every target took it, 1 when any failed (or the
    report or a target is unusable: nothing is sent then).
    """
    from pipeline.delivery.briefings import compose, read_briefing
    from pipeline.delivery.targets import resolve_targets
    from pipeline.errors import GroundbriefError

    try:
        chosen = resolve_targets(list(targets))
        message = compose([read_briefing(report, templates, warn=_warn)], templates)
    except GroundbriefError as error:
        raise click.ClickException(str(error)) from None
    failed = deliver_message(message, chosen, report)
    sys.exit(1 if failed else 0)


def deliver_message(message: Message, targets: list[Target], report: Path, *, err: bool = False) -> int:
    """Send ``message`` to each target, one line each (``sent`` on stdout, or stderr with ``err``;
    ``Error:`` on stderr); the number that failed."""
    from pipeline.delivery.send import send as send_to
    from pipeline.settings import load_settings

    timeout = load_settings().delivery_timeout_seconds
    failed = 0
    for target in targets:
        sent = send_to(message, target, timeout=timeout)
        if sent.ok:
            click.echo(printable(f"sent {report} to {target.label}"), err=err)
        else:
            failed += 1
            click.echo(printable(f"Error: sending {report} to {target.label} failed: {sent.reason}"), err=True)
    return failed


def _warn(message: str) -> None:
    click.echo(f"warning: {printable(message)}", err=True)
