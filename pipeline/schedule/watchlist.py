"""The watchlist: companies, the earnings dates they report on, and the briefings to write before each.

It is validated in full before anything runs, and every problem (syntax, unknown key, bad date,
duplicate ticker, missing field, unknown model or time zone) is reported together with its line,
so an unattended job fails once, clearly, instead of once per fix.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pipeline.delivery.targets import Target, resolve_targets
from pipeline.errors import UsageError
from pipeline.inputs import read_text_file
from pipeline.models import Model, ResearchRequest, TimeWindow
from pipeline.registry import DEFAULT_MODEL, check_model, registry
from pipeline.schedule.calendar import is_url
from pipeline.schedule.limits import parse_duration
from pipeline.schedule.problems import Problem, ProblemsError
from pipeline.schedule.toml_lines import Location, key_lines, line_of
from pipeline.settings import load_settings

DEFAULT_LEAD_DAYS = (7, 1, 0)
DEFAULT_WINDOW = "3m"
DEFAULT_QUERY_COUNT = 12
DEFAULT_OUT_DIR = "reports"
MAX_LEAD_DAYS = 365

# Stand-ins for checking a request's question before its real as-of date and window are known.
_PLACEHOLDER: dict[str, Any] = {"as_of": dt.date(2000, 1, 1), "window": TimeWindow(amount=1, unit="d")}


def _known_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder such as "America"
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as America/New_York") from None
    return name


def _known_model(name: str) -> str:
    try:
        check_model(name)
    except UsageError as error:
        raise ValueError(str(error)) from None
    return name


def _known_search(kinds: str) -> str:
    try:
        return registry().search_kind(DEFAULT_MODEL, None, kinds)
    except UsageError as error:
        raise ValueError(str(error)) from None


def _window(value: Any) -> Any:
    return TimeWindow.parse(value) if isinstance(value, str) else value


def _duration(value: Any) -> Any:
    return parse_duration(value) if isinstance(value, str) else value


NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Ticker = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, to_upper=True)]
TimeZoneName = Annotated[str, AfterValidator(_known_zone)]
KnownModel = Annotated[str, AfterValidator(_known_model)]
KnownSearch = Annotated[NonEmpty, AfterValidator(_known_search)]  # "corpus,edgar": several searchers at once
Window = Annotated[TimeWindow, BeforeValidator(_window)]
Duration = Annotated[dt.timedelta, BeforeValidator(_duration)]


class Settings(Model):
    """Options a request inherits from its company, and a company from the top of the file."""

    lead_days: list[int] | None = None
    window: Window | None = None
    model: KnownModel | None = None
    query_count: int | None = Field(default=None, ge=1, le=60)
    out_dir: Path | None = None
    corpus: Path | None = None
    search: KnownSearch | None = None
    prompts: Path | None = None
    templates: Path | None = None
    deliver: list[str] | None = None  # delivery targets: Apprise URLs or config.toml names; [] sends nothing

    @field_validator("lead_days")
    @classmethod
    def _lead_days(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("give at least one lead day, e.g. [7, 1, 0]")
        if not all(0 <= day <= MAX_LEAD_DAYS for day in value):
            raise ValueError(f"lead days count days before the report date: 0 to {MAX_LEAD_DAYS}")
        if len(set(value)) != len(value):
            raise ValueError("a lead day is listed twice")
        return sorted(value, reverse=True)

    @field_validator("out_dir", "corpus", "prompts", "templates")
    @classmethod
    def _relative_to_watchlist(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        """Relative paths are relative to the watchlist, not to wherever cron starts the job."""
        if value is None:
            return None
        return Path((info.context or {}).get("base", Path.cwd())) / value.expanduser()

    @field_validator("deliver")
    @classmethod
    def _targets_usable(cls, value: list[str] | None) -> list[str] | None:
        """Each target is checked as the run will use it (its variables set), before anything runs."""
        if value:
            try:
                resolve_targets(value)
            except UsageError as error:
                raise ValueError(str(error)) from None
        return value

    @field_validator("corpus")
    @classmethod
    def _corpus_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_dir():
            raise ValueError(f"corpus folder {value} does not exist")
        return value


class Earnings(Model):
    """One earnings report: the fiscal quarter it covers and the date it is released."""

    quarter: NonEmpty
    date: dt.date


class RequestSpec(Settings):
    """A briefing to write before each report: a title line, or a table with the same parts."""

    question: str
    source_hints: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    focus: NonEmpty | None = None

    @model_validator(mode="before")
    @classmethod
    def _title_line(cls, data: Any) -> Any:
        """``"question,source hints,keywords"`` is read exactly as ``generate-report`` reads it."""
        if not isinstance(data, str):
            return data
        request = _checked(lambda: ResearchRequest.from_title_line(data, **_PLACEHOLDER))
        return request.model_dump(include={"question", "source_hints", "keywords"})

    @model_validator(mode="after")
    def _usable_question(self) -> RequestSpec:
        _checked(lambda: ResearchRequest(
            question=self.question, source_hints=self.source_hints, keywords=self.keywords, **_PLACEHOLDER
        ))
        return self


def _checked(build: Callable[[], ResearchRequest]) -> ResearchRequest:
    """Run ``build``; a ResearchRequest it rejects becomes this field's error message."""
    try:
        return build()
    except ValidationError as error:
        raise ValueError(_message(error.errors()[0])) from None


class Dated(Settings):
    """What may carry earnings dates from a calendar: a company, or the whole watchlist."""

    earnings_calendar: str | Path | None = None

    @field_validator("earnings_calendar")
    @classmethod
    def _calendar(cls, value: str | Path | None, info: ValidationInfo) -> str | Path | None:
        """An ``https://`` URL as written; a path relative to the watchlist, which must exist."""
        text = str(value or "").strip()
        if value is None or is_url(text):
            return text or None
        if "://" in text:
            raise ValueError("give an https:// URL or a path to an .ics or .csv file")
        path = Path((info.context or {}).get("base", Path.cwd())) / Path(text).expanduser()
        if not path.is_file():
            raise ValueError(f"calendar file {path} does not exist")
        return path


class Company(Dated):
    name: NonEmpty
    ticker: Ticker
    focus: NonEmpty | None = None
    timezone: TimeZoneName | None = None
    earnings: list[Earnings] = Field(default_factory=list)
    requests: list[RequestSpec] = Field(min_length=1)


class Watchlist(Dated):
    timezone: TimeZoneName | None = None
    report_timeout: Duration | None = None  # a run's limits: "15m", "2h"; default as the command's options
    run_timeout: Duration | None = None
    deliver_digest: bool | None = None  # one message per target for a run's briefings; default: config.toml's
    companies: list[Company] = Field(default_factory=list)

    def calendar_of(self, company: Company) -> str | Path | None:
        """The calendar a company's dates come from: its own, else the watchlist's."""
        return company.earnings_calendar or self.earnings_calendar

    def resolve(self, company: Company, spec: RequestSpec, chosen: Settings | None = None) -> Resolved:
        """The settings a request runs with: the command line's (``chosen``), else its own, else its
        company's, else the watchlist's."""
        layers = (chosen or Settings(), spec, company, self)

        def pick(name: str, default: Any) -> Any:
            return next((value for layer in layers if (value := getattr(layer, name)) is not None), default)

        return Resolved(
            lead_days=pick("lead_days", list(DEFAULT_LEAD_DAYS)),
            window=pick("window", TimeWindow.parse(DEFAULT_WINDOW)),
            model=pick("model", DEFAULT_MODEL),
            query_count=pick("query_count", DEFAULT_QUERY_COUNT),
            out_dir=pick("out_dir", None),
            corpus=pick("corpus", None),
            search=pick("search", None),
            prompts=pick("prompts", None),
            templates=pick("templates", None),
            focus=spec.focus or company.focus or company.name,
            deliver=tuple(resolve_targets(pick("deliver", load_settings().deliver))),
        )

    @property
    def digest(self) -> bool:
        """Whether a run sends one digest per target (``deliver_digest``, else config.toml's)."""
        return self.deliver_digest if self.deliver_digest is not None else load_settings().deliver_digest


@dataclass(frozen=True)
class Resolved:
    lead_days: list[int]
    window: TimeWindow
    model: str
    query_count: int
    out_dir: Path
    corpus: Path | None
    search: str | None
    prompts: Path | None
    templates: Path | None
    focus: str
    deliver: tuple[Target, ...] = ()


def load_watchlist(path: Path) -> Watchlist:
    """Read and validate ``path``; raise ``UsageError`` (``ProblemsError``: all of them) if unusable."""
    text = read_text_file(path, "watchlist")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProblemsError(path, [_syntax_problem(str(error), text)]) from None
    lines = key_lines(text)
    problems = _cross_checks(data, lines)
    base = path.resolve().parent
    try:
        watchlist = Watchlist.model_validate(data, context={"base": base})
    except ValidationError as error:
        raise ProblemsError(path, problems + [_problem(detail, lines) for detail in error.errors()]) from None
    if problems:
        raise ProblemsError(path, problems)
    return watchlist.model_copy(update={"out_dir": watchlist.out_dir or base / DEFAULT_OUT_DIR})


def _syntax_problem(message: str, text: str) -> Problem:
    """``Invalid value (at line 3, column 9)`` → line 3, column 9, ``invalid TOML: invalid value``."""
    match = re.fullmatch(r"(.*) \(at (?:line (\d+), column (\d+)|end of document)\)", message)
    what = match.group(1) if match else message
    line = int(match.group(2)) if match and match.group(2) else len(text.splitlines()) or 1
    column = int(match.group(3)) if match and match.group(3) else None
    return Problem(line, f"invalid TOML: {what[:1].lower()}{what[1:]}", column=column)


def _cross_checks(data: dict[str, Any], lines: dict[Location, int]) -> list[Problem]:
    """What pydantic can't see one field at a time: an empty watchlist and duplicates."""
    companies = data.get("companies")
    if not companies:
        return [Problem(1, "the watchlist lists no companies: add a [[companies]] table "
                           "with name, ticker, earnings and requests (see docs/scheduling.md)")]
    if not isinstance(companies, list):
        return []
    problems = _duplicates(companies, ("companies",), "ticker", "ticker", lines)
    for index, company in enumerate(companies):
        if isinstance(company, dict) and isinstance(company.get("earnings"), list):
            path = ("companies", index, "earnings")
            problems += _duplicates(company["earnings"], path, "date", "earnings date", lines)
    return problems


def _duplicates(
    items: list[Any], path: Location, field: str, what: str, lines: dict[Location, int]
) -> list[Problem]:
    first: dict[str, int] = {}
    problems = []
    for index, item in enumerate(items):
        if not isinstance(item, dict) or field not in item:
            continue
        value = str(item[field]).strip().upper()
        location = path + (index, field)
        if value in first:
            where = line_of(lines, path + (first[value], field))
            problems.append(Problem(line_of(lines, location), f"duplicate {what} {item[field]!s}, already on line {where}",
                                    where=_dotted(location)))
        else:
            first[value] = index
    return problems


def _problem(detail: Any, lines: dict[Location, int]) -> Problem:
    location = tuple(detail["loc"])
    owner = location[:-1] if detail["type"] in ("missing", "extra_forbidden") else location
    return Problem(line_of(lines, location), _message(detail), where=_dotted(owner))


def _message(detail: Any) -> str:
    """Pydantic's message, reworded for someone editing a TOML file."""
    key = detail["loc"][-1] if detail["loc"] else ""
    kind = detail["type"]
    if kind == "missing":
        return f"missing required key {key!r}"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(key), _KNOWN_KEYS, n=1, cutoff=0.7)
        return f"unknown key {key!r}" + (f"; did you mean {close[0]!r}?" if close else "")
    if kind == "too_short":
        return "is empty; give at least one"
    message = str(detail["msg"]).removeprefix("Value error, ")
    if kind != "value_error" and isinstance(detail.get("input"), (str, int, float, dt.date)):
        message += f" (got {detail['input']!r})"
    return message


def _dotted(location: Location) -> str:
    """``("companies", 0, "ticker")`` → ``companies[0].ticker``."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else f".{part}" if text else str(part)
    return text


_KNOWN_KEYS = sorted({name for model in (Watchlist, Company, Earnings, RequestSpec) for name in model.model_fields})
