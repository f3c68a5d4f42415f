"""The Jinja environment of the report template and the prompts, and their errors as one line.

Either may come from the user's folder (``--templates``, ``--prompts``), so templates run in Jinja's
immutable sandbox: they read the values they are given, and can neither reach Python's internals
(``cycler.__init__.__globals__.os.popen``) nor change their inputs.
"""

from __future__ import annotations

import traceback
from pathlib import Path

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from pipeline.controls import one_line
from pipeline.errors import UsageError

# What a template can raise while it renders: Jinja's own errors (syntax, undefined names, sandbox
# refusals), and Python's for an expression that fails (``{{ 1 / 0 }}``, ``{{ items[9] }}``).
TEMPLATE_FAILURES = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError)


def sandboxed_environment(folders: list[Path], *, html: bool = False) -> ImmutableSandboxedEnvironment:
    """Templates looked up in ``folders`` in order (the user's first); an undefined name is an error.
    ``html``: every value is HTML-escaped unless it is already markup (the HTML report)."""
    return ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(folder)) for folder in folders]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=html,  # markdown and plain-text prompts: filters and data fences do the escaping
        undefined=jinja2.StrictUndefined,
    )


def template_error(error: Exception, what: str) -> UsageError:
    """``error``, raised loading or rendering a template, as one line naming the file and line."""
    message = getattr(error, "message", None) or str(error)
    if not isinstance(error, jinja2.TemplateError):
        message = f"{type(error).__name__}: {message}"
    return UsageError(f"{what} error{_where(error)}: {one_line(message)}")


def _where(error: Exception) -> str:
    if isinstance(error, jinja2.TemplateSyntaxError) and error.lineno:
        return f" in {error.filename or error.name}, line {error.lineno}"
    # Jinja rewrites tracebacks so a template's frames carry its file name and line.
    frames = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename.endswith(".j2")]
    return f" in {frames[-1].filename}, line {frames[-1].lineno}" if frames else ""
