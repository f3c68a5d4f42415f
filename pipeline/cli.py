"""Command line: ``generate-report TOPIC`` and the ``groundbrief`` command group.

Heavy modules are imported inside the commands so ``--help`` and cached runs start fast.
"""

from __future__ import annotations

import functools
import importlib
import sys
from datetime import date
from pathlib import Path

import click

from pipeline.errors import EXIT_PARTIAL, EXIT_UNDELIVERED
from pipeline.interrupts import InterruptibleCommand, InterruptibleMixin
from pipeline.options import request_options, research_options
from pipeline.version import __version__

EXAMPLES = """
\b
Examples:
  generate-report "Cerebras vs NVIDIA"
  generate-report "Are Cerebras/Groq customers displacing NVIDIA in production?,Customer case studies; vendor blogs; arXiv,Cerebras Groq production displacement metrics"
  generate-report "Groq vs NVIDIA" --window 3m --as-of 2026-11-20 --queries 6
  generate-report "Cerebras vs NVIDIA" --corpus ~/research/chips --out ~/briefings --json
  generate-report "Cerebras vs NVIDIA" --since reports/2026-11-18-cerebras-vs-nvidia.md
  generate-report "Cerebras vs NVIDIA" --send 'mailtos://me:${SMTP_PASSWORD}@smtp.example.com?to=pm@example.com'

\b
Exit status: 0 written; 1 bad input or failure (nothing written); 2 a malformed option;
3 written, but some searches or model calls failed; 4 written, but --send failed for a target;
130 interrupted (Ctrl-C); 143 stopped (SIGTERM).
"""


@click.command(
    cls=InterruptibleCommand,
    name="generate",
    epilog=EXAMPLES,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.argument("topic")
@request_options
@click.option("--hints", metavar="'A; B'", help="Source hints, separated by ';' (e.g. 'Customer case studies; arXiv').")
@click.option("--keywords", metavar="'W1 W2'", help="Keywords that form one extra search angle.")
@research_options()
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default=Path("reports"), show_default=True, help="Folder the report is written to.")
@click.option("--dry-run", is_flag=True, help="Print the planned model calls with a token and cost estimate; call nothing, write nothing.")
@click.option("--since", type=click.Path(path_type=Path, dir_okay=False), metavar="PREVIOUS.md", help="An earlier briefing (as edited) to compare with: the Analysis opens with what changed since it.")
@click.option("--json", "as_json", is_flag=True, help="Print the structured report as JSON on stdout (the .md path goes to stderr).")
@click.option("--send", "send_to", multiple=True, metavar="TARGET", help="Send the briefing written to TARGET: an Apprise URL "
              "(mailtos://…, slack://…, json://…; ${NAME} is read from the environment) or a name from config.toml's "
              "[delivery_targets]. Repeat for several; checked before any research.")
@click.option("--verbose/--quiet", "-v/-q", default=None, help="More detail (stage timings, cache hits) or only errors.")
def generate_report(
    topic: str,
    corpus: Path | None,
    out_dir: Path,
    as_of: date | None,
    window,
    query_count: int,
    rounds: int,
    focus: str | None,
    hints: str | None,
    keywords: str | None,
    model: str,
    search: str | None,
    prompts: Path | None,
    dry_run: bool,
    templates: Path | None,
    since: Path | None,
    no_cache: bool,
    as_json: bool,
    verbose: bool | None,
    send_to: tuple[str, ...] = (),
) -> None:
    """Research TOPIC and write a dated markdown briefing (plus its JSON) to --out.

    TOPIC is a question, or the example report's title line:
    'question,source hints,keywords'. The path of the written .md is printed on stdout.
    """
    from pydantic import ValidationError

    from pipeline.controls import printable
    from pipeline.errors import GroundbriefError
    from pipeline.generate import generate_report as generate
    from pipeline.generate import plan_report
    from pipeline.models import ResearchRequest
    from pipeline.providers.secrets import check_api_keys

    console = functools.cache(_stderr_console)  # made when there is something to show: a quiet run imports no rich
    fields = {"focus": focus, "as_of": as_of or date.today(), "window": window, "query_count": query_count, "rounds": rounds}
    if hints:
        fields["source_hints"] = [h.strip() for h in hints.split(";") if h.strip()]
    if keywords:
        fields["keywords"] = keywords.split()
    try:
        check_api_keys()
        request = ResearchRequest.from_title_line(topic, **fields)
    except ValidationError as error:
        raise click.ClickException(_first_error(error)) from None
    except GroundbriefError as error:
        raise click.ClickException(str(error)) from None
    targets = _delivery_targets(send_to)
    if dry_run:
        try:
            plan = plan_report(request, model=model, corpus=corpus, search=search, prompts=prompts, templates=templates)
        except GroundbriefError as error:
            raise click.ClickException(str(error)) from None
        click.echo(printable(plan.table()))  # it names the model as given
        return

    def warn(message: str) -> None:
        if verbose is not False:
            print_warning(console(), message)

    status = console().status("Starting…") if verbose is not False and console().is_terminal else None
    try:
        previous = _previous_briefing(since)
        if status:
            status.start()
        result = generate(
            request,
            model=model,
            corpus=corpus,
            out_dir=out_dir,
            use_cache=not no_cache,
            templates=templates,
            search=search,
            prompts=prompts,
            amend=previous.link if previous else None,
            warn=warn,
            on_stage=(lambda stage: status.update(f"{stage.capitalize()}…")) if status else (lambda stage: None),
        )
    except GroundbriefError as error:
        raise click.ClickException(str(error)) from None
    finally:
        if status:
            status.stop()
    report = result.report
    if verbose:
        for stage in report.metadata.stages:
            console().print(f"{stage.stage:<11} {stage.seconds * 1000:8.1f} ms  {'cached' if stage.cached else 'computed'}")
        console().print(f"{len(report.sources)} sources, {len(report.findings)} findings, {len(report.gaps)} gaps")
        if report.audit:
            console().print(f"{report.audit.figures_checked} figures checked, {report.audit.removed} unsupported removed")
        usage = report.metadata.usage
        if usage.calls:
            tokens = usage.prompt_tokens + usage.output_tokens + usage.thought_tokens + usage.tool_tokens
            searches = f", {usage.searches} searches billed" if usage.searches else ""
            priced = f" at the prices of {report.metadata.priced_on}" if report.metadata.priced_on else ""
            console().print(f"{usage.calls} model calls, {tokens:,} tokens{searches}, estimated ${usage.estimated_cost_usd:.4f}{priced}")
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        console().print(str(result.markdown_path), highlight=False, markup=False, soft_wrap=True)
    else:
        click.echo(str(result.markdown_path))
    if verbose is not False:
        console().print(_searched_line(report), highlight=False, markup=False, soft_wrap=True)
    if report.metadata.partial:
        console().print(_partial_summary(report), highlight=False, markup=False, soft_wrap=True)
    if targets and _send_written(result, targets, templates):
        sys.exit(EXIT_UNDELIVERED)
    if report.metadata.partial:
        sys.exit(EXIT_PARTIAL)


def _searched_line(report) -> str:
    """Where the evidence came from, said after every run: the corpus folder, or the web."""
    from pipeline.controls import printable

    return printable(f"searched: {report.metadata.search_backend}")


def _delivery_targets(texts: tuple[str, ...]) -> list:
    """``--send``: every target checked before any research (a bad URL costs nothing)."""
    if not texts:
        return []
    from pipeline.delivery.targets import resolve_targets
    from pipeline.errors import GroundbriefError

    try:
        return resolve_targets(list(texts))
    except GroundbriefError as error:
        raise click.ClickException(str(error)) from None


def _send_written(result, targets: list, templates: Path | None) -> int:
    """Send the briefing just written to ``targets``; the number that failed (the report stays written)."""
    from pipeline.delivery.briefings import compose, from_report
    from pipeline.delivery.cli import deliver_message
    from pipeline.errors import GroundbriefError

    try:
        message = compose([from_report(result.report, result.markdown_path, templates)], templates)
    except GroundbriefError as error:
        click.echo(f"Error: the briefing is written, but it could not be rendered for sending: {error}", err=True)
        return len(targets)
    return deliver_message(message, targets, result.markdown_path, err=True)  # stdout holds the path (or JSON) only


def _partial_summary(report) -> str:
    """What a partial report (exit 3) is missing, on stderr even with --quiet: each failure on one line."""
    from pipeline.models import GapKind
    from pipeline.providers.secrets import one_line

    failed = [gap for gap in report.gaps if gap.kind == GapKind.FAILURE]
    lines = [f"  {gap.title}: {one_line(gap.text, 240)}" for gap in failed]
    return "\n".join([f"Partial report: {len(failed)} part(s) failed and are listed under Contradictions and Gaps:", *lines])


def _previous_briefing(path: Path | None):
    """``--since``: read before any research, so a bad file costs nothing."""
    if path is None:
        return None
    from pipeline.series import load_previous

    return load_previous(path)


def _first_error(error) -> str:
    detail = error.errors()[0]
    message = str(detail.get("msg", error)).removeprefix("Value error, ")
    return message


def print_warning(console, message: str) -> None:
    """``warning: <message>``; the message quotes files and documents, so it is text, never markup."""
    from rich.markup import escape

    from pipeline.controls import printable

    console.print(f"[yellow]warning:[/] {escape(printable(message))}", highlight=False, soft_wrap=True)


def _stderr_console():
    from rich.console import Console

    return Console(stderr=True)


class LazyGroup(InterruptibleMixin, click.Group):
    """A command group whose subcommands are imported only when run or listed.

    ``generate-report`` must start fast; the editors' and scheduling commands load their own
    modules when used.
    """

    def __init__(self, *args, lazy_commands: dict[str, str], **kwargs):
        super().__init__(*args, **kwargs)
        self.lazy_commands = lazy_commands

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self.lazy_commands})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.lazy_commands:
            module, attribute = self.lazy_commands[name].split(":")
            return getattr(importlib.import_module(module), attribute)
        return super().get_command(ctx, name)


@click.group(
    cls=LazyGroup,
    lazy_commands={
        "check": "pipeline.drafts.cli:check",
        "refresh": "pipeline.drafts.cli:refresh",
        "diff": "pipeline.drafts.cli:diff",
        "schedule": "pipeline.schedule.cli:schedule",
        "batch": "pipeline.schedule.cli:batch",
        "render": "pipeline.delivery.cli:render",
        "send": "pipeline.delivery.cli:send",
    },
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, prog_name="groundbrief")
def groundbrief() -> None:
    """groundbrief: dated markdown research briefings for analysts.

    \b
    generate   research a topic and write a briefing (same as generate-report)
    check      check a hand-edited draft; refresh it with new research; diff two versions
    schedule   write the briefings due before each earnings date on a watchlist
    batch      write one briefing per row of a CSV file
    render     render a briefing, as edited, to HTML or PDF
    send       send a briefing, as edited, by email, chat or webhook (Apprise URLs)
    models     the known Gemini models with their list prices and the dates they apply from
    """


groundbrief.add_command(generate_report, name="generate")


@groundbrief.command(name="models")
def list_models() -> None:
    """List the priced models (the known Gemini models and any from the settings file), each list price
    with the date it applies from; the row in force today is marked."""
    from pipeline.errors import GroundbriefError
    from pipeline.prices import price_table
    from pipeline.settings import load_settings

    try:
        click.echo(price_table(load_settings().prices, date.today()))
    except GroundbriefError as error:
        raise click.ClickException(str(error)) from None
