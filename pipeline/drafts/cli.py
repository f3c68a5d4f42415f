"""``groundbrief check | refresh | diff``: the editor's commands.

Exit status: ``check`` 0 clean (warnings allowed), 1 problems found, 2 the file can't be checked
(missing, binary, too large, not a report, newer format). ``refresh`` and ``diff`` 0 done, 1 error;
``refresh`` 3 when its research was partial (as ``generate-report``): the new version is written.
Heavy modules are imported inside the commands so ``--help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from pipeline.controls import printable
from pipeline.options import parse_date, parse_window, research_options

EXIT_UNCHECKABLE = 2
_FORMAT = click.option(
    "--format", "output_format", type=click.Choice(["text", "json"]), default="text", show_default=True,
    help="json: one object on stdout, for CI and editor tooling.",
)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("draft", type=click.Path(path_type=Path))
@_FORMAT
def check(draft: Path, output_format: str) -> None:
    """Check DRAFT.md against the report format; problems are listed as FILE:LINE: message.

    Exit 0 when clean (warnings allowed), 1 with problems, 2 when DRAFT can't be read as a report.
    """
    from pipeline.drafts.check import check_draft, counts
    from pipeline.drafts.files import read_draft
    from pipeline.errors import GroundbriefError

    try:
        issues = check_draft(read_draft(draft))
    except GroundbriefError as error:
        if output_format == "json":
            click.echo(json.dumps({"file": str(draft), "clean": False, "error": str(error)}))
        else:
            click.echo(f"Error: {error}", err=True)
        sys.exit(EXIT_UNCHECKABLE)
    errors, warnings = counts(issues)
    if output_format == "json":
        payload = {"file": str(draft), "clean": not errors, "errors": errors, "warnings": warnings,
                   "issues": [issue.to_json() for issue in issues]}
        click.echo(json.dumps(payload, indent=2))
    else:
        for issue in issues:
            where = f"{draft}:{issue.line}" if issue.line else str(draft)
            color = "red" if issue.severity == "error" else "yellow"
            click.echo(f"{where}: {click.style(issue.severity, fg=color)}: {printable(issue.message)}")
        click.echo(f"{draft}: " + ("clean" if not errors else f"{errors} error{'s' * (errors != 1)}")
                   + (f", {warnings} warning{'s' * (warnings != 1)}" if warnings else ""))
    sys.exit(1 if errors else 0)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("draft", type=click.Path(path_type=Path))
@click.option("--as-of", callback=parse_date, metavar="YYYY-MM-DD", help="Date the refresh is written for.  [default: today]")
@click.option("--window", callback=parse_window, metavar="N[d|w|m|y]", help="Change the evidence window.  [default: the draft's]")
@click.option("--queries", "query_count", type=click.IntRange(1, 60), help="Change the number of search queries.  [default: the draft's]")
@click.option("--topic", help="The request to research, for a draft whose metadata was deleted (as generate-report's TOPIC).")
@research_options(defaults=False)
def refresh(
    draft: Path, as_of: date | None, window, query_count: int | None, topic: str | None,
    model: str | None, search: str | None, corpus: Path | None, prompts: Path | None, templates: Path | None,
    no_cache: bool,
) -> None:
    """Re-run DRAFT.md's research and write the merge as a new version beside it.

    Findings in the draft stay as written; new ones are added with a New status; ones whose source
    no longer turns up get a Source not found status. An edited analysis is kept and the
    regenerated one offered beside it. The draft itself is never changed. The new file's path is
    printed first, then a summary of the changes.

    Exit 0 when done, 1 on an error (a damaged draft is refused: run check), 3 when the research was
    partial (a search or model call failed): the new version is written, but nothing is flagged.
    """
    from pipeline.drafts.merge import RefreshOptions, refresh_draft
    from pipeline.errors import GroundbriefError
    from pipeline.providers.secrets import check_api_keys

    options = RefreshOptions(
        as_of=as_of, window=window, query_count=query_count, topic=topic, model=model, search=search,
        corpus=corpus, prompts=prompts, templates=templates, use_cache=not no_cache,
    )
    try:
        check_api_keys()
        result = refresh_draft(draft, options, warn=lambda message: click.echo(f"warning: {printable(message)}", err=True))
    except GroundbriefError as error:
        raise click.ClickException(str(error)) from None
    click.echo(str(result.path))
    for line in result.summary.lines():
        click.echo(printable(line))
    click.echo(printable(f"searched: {result.report.metadata.search_backend}"), err=True)
    if result.report.metadata.partial:
        from pipeline.errors import EXIT_PARTIAL

        sys.exit(EXIT_PARTIAL)


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@_FORMAT
def diff(old: Path, new: Path, output_format: str) -> None:
    """Show what changed from OLD.md to NEW.md: findings, queries, sources, gaps, analysis.

    Exit 0 when compared, 1 when either side can't be read or is damaged (run check on it).
    """
    from pipeline.drafts import diff as diffing
    from pipeline.drafts.files import read_draft
    from pipeline.errors import GroundbriefError

    try:
        result = diffing.diff_drafts(read_draft(old), read_draft(new))
    except GroundbriefError as error:
        if output_format == "json":
            click.echo(json.dumps({"old": str(old), "new": str(new), "error": str(error)}, ensure_ascii=False))
            sys.exit(1)
        raise click.ClickException(str(error)) from None
    if output_format == "json":
        click.echo(json.dumps(diffing.to_json(result, str(old), str(new)), indent=2, ensure_ascii=False))
    else:
        click.echo(printable(diffing.format_text(result, str(old), str(new))))
