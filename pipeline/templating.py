"""The Jinja environment of the report template and the prompts, and their errors as one line.

Either may come from the user's folder (``--templates``, ``--prompts``), so templates run in Jinja's
immutable sandbox: they read the values they are given, and can neither reach Python's internals
(``cycler.__init__.__globals__.os.popen``) nor change their inputs.

The sandbox caps each ``range``, but not the work of a whole render: ``{{ 'x' * 3000000000 }}``,
nested loops, or a template that includes itself would end in a MemoryError or RecursionError, or
run for hours. So each render has a budget. Every loop turn, call and piece of output is a step
(``MAX_TEMPLATE_STEPS``, and ``TEMPLATE_SECONDS`` in all); what a render writes, and every string or
list it builds, is at most ``MAX_TEMPLATE_CHARS`` long, checked before it is built for the operations
that multiply a size (``*``, ``**``, ``%``, ``+``, ``~``, widths, replacements, joins, and turning a
nested list into text); a template that recurses stops at Python's recursion limit. Each is a
template error naming the file and line, at once.
"""

from __future__ import annotations

import functools
import inspect
import re
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError

from pipeline.controls import one_line
from pipeline.errors import UsageError

#: Steps (loop turns, calls, pieces of output) in one render: a 5,000-finding report takes about 170,000.
MAX_TEMPLATE_STEPS = 2_000_000
#: Characters one render may write, and the length of any string (or list) it builds.
MAX_TEMPLATE_CHARS = 32_000_000
#: Seconds one render may take.
TEMPLATE_SECONDS = 20.0
#: Bits of a number a template may compute (``9 ** 99999999`` would take hours).
MAX_NUMBER_BITS = 100_000

# What a template can raise while it renders: Jinja's own errors (syntax, undefined names, sandbox
# refusals, the budget), Python's for an expression that fails (``{{ 1 / 0 }}``, ``{{ items[9] }}``),
# and running out of stack (a recursive macro or include) or, past every check, of memory.
TEMPLATE_FAILURES = (jinja2.TemplateError, ArithmeticError, LookupError, TypeError, ValueError, AttributeError,
                     RecursionError, MemoryError)


class TemplateBudgetError(SecurityError):
    """A render would do more work, or build more text, than the budget allows."""


def sandboxed_environment(folders: list[Path], *, html: bool = False) -> ImmutableSandboxedEnvironment:
    """Templates looked up in ``folders`` in order (the user's first); an undefined name is an error.
    ``html``: every value is HTML-escaped unless it is already markup (the HTML report)."""
    env = _BoundedSandbox(
        loader=jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(folder)) for folder in folders]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=html,  # markdown and plain-text prompts: filters and data fences do the escaping
        undefined=jinja2.StrictUndefined,
    )
    del env.globals["lipsum"]  # placeholder text, of any length: nothing a report or prompt needs
    for name, estimate in _FILTER_SIZES.items():
        env.filters[name] = _bounded_filter(env.filters[name], estimate)
    return env


def template_error(error: Exception, what: str) -> UsageError:
    """``error``, raised loading or rendering a template, as one line naming the file and line."""
    if isinstance(error, RecursionError):
        message = "it includes or calls itself without end (a recursive include, extends or macro)"
    elif isinstance(error, MemoryError):
        message = "it needs more memory than there is"
    else:
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


# The budget of the render under way in this thread (renders run in worker threads too).


@dataclass
class _Budget:
    deadline: float
    steps: int = 0
    written: int = 0

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_TEMPLATE_STEPS:
            raise TemplateBudgetError(f"the template takes more than {MAX_TEMPLATE_STEPS:,} steps (loop turns, calls, "
                                      "pieces of output): a loop inside a loop over long lists?")
        if self.steps % 256 == 0 and time.monotonic() > self.deadline:  # a step is short: look at the clock now and then
            raise TemplateBudgetError(f"the template ran for more than {TEMPLATE_SECONDS:.0f} seconds")


_BUDGET: ContextVar[_Budget | None] = ContextVar("template_budget", default=None)


def _step() -> None:
    budget = _BUDGET.get()
    if budget is not None:
        budget.step()


def _within(size: int, what: str = "a string") -> None:
    if size > MAX_TEMPLATE_CHARS:
        raise TemplateBudgetError(f"the template would build {what} of {size:,} characters or items "
                                  f"(the limit is {MAX_TEMPLATE_CHARS:,})")


class _BoundedTemplate(jinja2.Template):
    def render(self, *args: Any, **kwargs: Any) -> str:
        """The template rendered under a fresh budget (an include or import shares its includer's)."""
        if _BUDGET.get() is not None:
            return super().render(*args, **kwargs)
        token = _BUDGET.set(_Budget(deadline=time.monotonic() + TEMPLATE_SECONDS))
        try:
            return super().render(*args, **kwargs)
        finally:
            _BUDGET.reset(token)


class _BoundedCode(CodeGenerator):
    """Compiles templates so that every loop turn, concatenation and piece of output passes the budget."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        if not _is_environment_call("counted", node.iter):  # a block may be compiled twice
            node.iter = _environment_call("counted", node.iter)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.sized(")
        super().visit_Concat(nodes.Concat([_environment_call("sized", part) for part in node.nodes], lineno=node.lineno), frame)
        self.write(")")

    def _output_child_pre(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write("environment.written(")
        super()._output_child_pre(node, frame, finalize)
        self.write("environment.sized(")

    def _output_child_post(self, node: nodes.Expr, frame: Frame, finalize: Any) -> None:
        self.write(")")
        super()._output_child_post(node, frame, finalize)
        self.write(")")

    def _output_const_repr(self, group: Iterable[Any]) -> str:
        return f"environment.written({super()._output_const_repr(group)})"


def _environment_call(name: str, argument: nodes.Node) -> nodes.Call:
    return nodes.Call(nodes.EnvironmentAttribute(name), [argument], [], None, None, lineno=argument.lineno)


def _is_environment_call(name: str, node: nodes.Node) -> bool:
    return isinstance(node, nodes.Call) and isinstance(node.node, nodes.EnvironmentAttribute) and node.node.name == name


class _BoundedSandbox(ImmutableSandboxedEnvironment):
    """The immutable sandbox, with the work and size of each render bounded (see the module's docstring)."""

    code_generator_class = _BoundedCode
    template_class = _BoundedTemplate
    intercepted_binops = frozenset({"*", "**", "%", "+"})

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        _step()
        method = getattr(__obj, "__wrapped__", __obj)  # str.format comes wrapped by the sandbox
        owner = getattr(method, "__self__", None)
        if isinstance(owner, (str, bytes)) and (estimate := _METHOD_SIZES.get(method.__name__)):
            args = tuple(_materialized(arg) for arg in args)
            _within(estimate(owner, *args, **kwargs))
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _step()
        if operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            _bits_within(left.bit_length() * right)
        elif operator == "*":
            if isinstance(left, int) and isinstance(right, int):
                _bits_within(left.bit_length() + right.bit_length())
            elif isinstance(right, int) and _has_length(left):
                _within(len(left) * right)
            elif isinstance(left, int) and _has_length(right):
                _within(left * len(right))
        elif operator == "%" and isinstance(left, (str, bytes)):
            _within(_percent_size(left, right))
        elif operator == "+" and _has_length(left) and _has_length(right):
            _within(len(left) + len(right))
        return super().call_binop(context, operator, left, right)

    def counted(self, iterable: Iterable[Any]) -> Iterator[Any]:
        """``iterable``, one step per item: what every ``for`` loop iterates over."""
        return _counted(iterable)

    def sized(self, value: Any) -> Any:
        """``value``, if it is within the size limit as text (a nested list is counted without being built)."""
        _within(len(value) if isinstance(value, str) else _size(value))
        return value

    def written(self, text: str) -> str:
        """``text``, counted against what the render may write (a macro's output counts where it is used too)."""
        budget = _BUDGET.get()
        if budget is not None:
            budget.step()
            budget.written += len(text)
            if budget.written > MAX_TEMPLATE_CHARS:
                raise TemplateBudgetError(f"the template writes more than {MAX_TEMPLATE_CHARS:,} characters")
        return text


# Sizes, estimated before the work is done: generous, never smaller than the result.


def _counted(iterable: Iterable[Any]) -> Iterator[Any]:
    for item in iterable:
        _step()
        yield item


def _has_length(value: Any) -> bool:
    return isinstance(value, (str, bytes, list, tuple))


def _bits_within(bits: int) -> None:
    if bits > MAX_NUMBER_BITS:
        raise TemplateBudgetError(f"the template would compute a number of {bits:,} bits (the limit is {MAX_NUMBER_BITS:,})")


def _size(value: Any) -> int:
    """About how many characters ``value`` takes as text, without building it (a list holding the same
    long list a thousand times is long). The walk stops once past the limit, and each item is a step."""
    total, pending = 0, [value]
    while pending and total <= MAX_TEMPLATE_CHARS:
        item = pending.pop()
        if isinstance(item, (str, bytes)):
            total += len(item)
        elif isinstance(item, (list, tuple, set, frozenset, Mapping)):
            _step()
            total += 2 + 2 * len(item)
            pending.extend(item if not isinstance(item, Mapping) else [*item.keys(), *item.values()])
        else:
            total += 16  # a number, a model or a date: as long as its own data, which no template made
    return total


def _materialized(value: Any) -> Any:
    """A one-pass iterable as a list (counted), so its size can be known before it is used."""
    if _has_length(value) or isinstance(value, (Mapping, set, frozenset)) or not isinstance(value, Iterable):
        return value
    return list(_counted(value))


_FORMAT_NUMBER = re.compile(r"%[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")
_FIELD_SPEC = re.compile(r"\{[^{}]*?:([^{}]*)\}")
_NESTED_FIELD = re.compile(r"\{[^{}]*\{")
_DIGITS = re.compile(r"\d+")


def _percent_size(template: str | bytes, values: Any) -> int:
    """``template % values``: the template, every width and precision it asks for, and the values."""
    text = template.decode("latin-1") if isinstance(template, bytes) else template
    widths = sum(int(n) for spec in _FORMAT_NUMBER.findall(text) for n in spec if n.isdigit())
    starred = sum(abs(v) for v in (values if isinstance(values, tuple) else (values,)) if isinstance(v, int)) if "*" in text else 0
    return len(text) + widths + starred + _size(values)


def _format_size(template: str, *args: Any, **kwargs: Any) -> int:
    """``template.format(...)``: the template, the widths and precisions in its fields (or in the
    values, for a field nested in another), and the values."""
    widths = sum(int(n) for spec in _FIELD_SPEC.findall(template) for n in _DIGITS.findall(spec))
    if _NESTED_FIELD.search(template):
        widths += sum(abs(value) for value in [*args, *kwargs.values()] if isinstance(value, int))
    return len(template) + widths + _size(list(args)) + _size(kwargs)


def _replace_size(text: Any, old: Any = "", new: Any = "", count: Any = None) -> int:
    text, old, new = str(text), str(old), str(new)
    times = text.count(old) if old else len(text) + 1
    if isinstance(count, int) and count >= 0:
        times = min(times, count)
    return len(text) + times * max(0, len(new) - len(old))


def _join_size(separator: str, items: Any) -> int:
    items = list(items) if not isinstance(items, (list, tuple, str)) else items
    return _size(list(items)) + len(items) * len(separator)


_METHOD_SIZES: dict[str, Callable[..., int]] = {
    "center": lambda s, width=0, *_: max(len(s), width if isinstance(width, int) else 0),
    "ljust": lambda s, width=0, *_: max(len(s), width if isinstance(width, int) else 0),
    "rjust": lambda s, width=0, *_: max(len(s), width if isinstance(width, int) else 0),
    "zfill": lambda s, width=0: max(len(s), width if isinstance(width, int) else 0),
    "expandtabs": lambda s, tabsize=8: len(s) + s.count("\t" if isinstance(s, str) else b"\t") * max(0, tabsize),
    "replace": lambda s, old, new, count=-1: _replace_size(s, old, new, count),
    "join": lambda s, items: _join_size(s, items),
    "format": _format_size,
    "format_map": lambda s, mapping: _format_size(s, **dict(mapping)),
    "translate": lambda s, table: len(s) * max([1, *(len(v) for v in (table.values() if isinstance(table, Mapping) else [])
                                                  if isinstance(v, (str, bytes)))]),
}


def _filter_center(value: Any, width: int = 80) -> int:
    return max(_size(value), width)


def _filter_indent(s: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> int:
    text = str(s)
    return len(text) + (text.count("\n") + 1) * (len(width) if isinstance(width, str) else max(0, width))


def _filter_wordwrap(environment: Any, s: Any, width: int = 79, break_long_words: bool = True, wrapstring: str | None = None,
                     break_on_hyphens: bool = True) -> int:
    text = str(s)
    return len(text) + (len(text) // max(1, width) + text.count("\n") + 1) * len(wrapstring or "\n")


def _filter_join(eval_ctx: Any, value: Any, d: str = "", attribute: Any = None) -> int:
    return _join_size(d, value)


def _filter_sum(environment: Any, iterable: Any, attribute: Any = None, start: Any = 0) -> int:
    if not _has_length(start):
        return 0
    # Adding lists (or tuples) one by one copies the growing total each time.
    return _size(list(iterable)) * max(1, len(iterable)) + _size(start)


def _filter_count(value: Any, count: int, fill_with: Any = None) -> int:
    return count


def _filter_serialized(*args: Any, **kwargs: Any) -> int:
    return _size(list(args)) + _size(kwargs)


#: Filters whose result (or work) can be far larger than their input, with its size before they run.
_FILTER_SIZES: dict[str, Callable[..., int]] = {
    "center": _filter_center,
    "indent": _filter_indent,
    "wordwrap": _filter_wordwrap,
    "replace": lambda eval_ctx, s, old, new, count=None: _replace_size(s, old, new, count),
    "join": _filter_join,
    "format": lambda value, *args, **kwargs: _percent_size(str(value), kwargs or args),
    "batch": _filter_count,
    "slice": lambda eval_ctx, value, slices, fill_with=None: slices,
    "sum": _filter_sum,
    **dict.fromkeys(("tojson", "pprint", "string", "urlencode", "xmlattr", "escape", "e", "forceescape"), _filter_serialized),
}


def _bounded_filter(filter_: Callable[..., Any], estimate: Callable[..., int]) -> Callable[..., Any]:
    """``filter_``, refused when ``estimate`` (given the same arguments) is over the limit."""
    signature = inspect.signature(filter_)

    @functools.wraps(filter_)  # keeps Jinja's mark of which context the filter is passed
    def bounded(*args: Any, **kwargs: Any) -> Any:
        _step()
        bound = signature.bind(*args, **kwargs)
        for name, value in bound.arguments.items():
            bound.arguments[name] = _materialized(value) if signature.parameters[name].kind is not inspect.Parameter.VAR_POSITIONAL else value
        _within(estimate(*bound.args, **bound.kwargs))
        return filter_(*bound.args, **bound.kwargs)

    return bounded
