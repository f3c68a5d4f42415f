"""Earnings dates from calendars: an iCalendar (.ics) export, or a CSV file of ``ticker,date,quarter``.

A watchlist names one with ``earnings_calendar`` (a path relative to the watchlist, or an
``https://`` URL, fetched with a timeout and cached) at the top or per company. An event belongs to
a company when its summary names the company's ticker (as a word, in capitals) or its name; a CSV
row, when its first column is the ticker or the name. icalendar reads the file, x-wr-timezone gives
Google's floating times their calendar's zone, and recurring-ical-events expands repeating events
(RRULE, RDATE, EXDATE, moved occurrences). A timed event falls on its date in the company's zone.

Dates from the calendar merge with the watchlist's own ``earnings``: the watchlist wins, and a
calendar date that disagrees with it (the same quarter, or within ``SAME_REPORT`` of it) is a warning.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pipeline.controls import one_line
from pipeline.errors import UsageError
from pipeline.inputs import read_text_file
from pipeline.report.formatting import format_date
from pipeline.resources import cache_dir

FETCH_TIMEOUT_SECONDS = 10.0
MAX_CALENDAR_BYTES = 20 * 1024 * 1024  # a whole exported personal calendar, years of it
FRESH_FOR_SECONDS = 6 * 3600  # a fetched calendar is used for this long before it is fetched again
SAME_REPORT = timedelta(days=45)  # a company reports once a quarter: two dates closer than this are one report
DEFAULT_QUARTER = "quarterly"  # an event that names no quarter: "prepares to report its quarterly earnings"
CSV_COLUMNS = ("ticker", "date", "quarter")

# Q3 FY2027, Q3 FY27, FQ3 2027, Q4 2026, Q1: the fiscal quarter an event's summary names.
_QUARTER = re.compile(r"(?<![A-Za-z0-9])F?Q[1-4](?:[ -]?(?:FY)?[ -]?'?\d{2}(?:\d{2})?)?(?![A-Za-z0-9])", re.IGNORECASE)


class CalendarError(UsageError):
    """A calendar can't be used: missing, unreadable, not a calendar, or an event without a date."""


@dataclass(frozen=True)
class EarningsDate:
    """An earnings report a company's briefings are scheduled for, and where the date came from."""

    quarter: str
    date: date
    origin: str = ""  # the calendar event, for --dry-run; empty for the watchlist's own dates


class Company(Protocol):
    name: str
    ticker: str


class Calendar(Protocol):
    name: str

    def dates_for(self, company: Company, start: date, end: date, zone: ZoneInfo | None) -> list[EarningsDate]:
        """The company's earnings dates from ``start`` to ``end`` (inclusive), in ``zone``."""


def is_url(reference: str | Path) -> bool:
    return isinstance(reference, str) and reference.startswith("https://")


def load_calendar(reference: str | Path, warn: Callable[[str], None]) -> Calendar:
    """Read the calendar a watchlist names; ``CalendarError`` (one line, naming it) if it is unusable."""
    if is_url(reference):
        name, text = display_url(str(reference)), _fetched(str(reference), warn)
    else:
        name, text = str(reference), read_text_file(Path(reference), "calendar", max_bytes=MAX_CALENDAR_BYTES)
    suffix = Path(urlsplit(str(reference)).path).suffix.lower()
    if text.lstrip().upper().startswith("BEGIN:VCALENDAR") or suffix in (".ics", ".ical"):
        return IcsCalendar.parse(name, text)
    return CsvCalendar.parse(name, text)


def display_url(url: str) -> str:
    """The URL without its query and middle path: a private calendar link carries its secret there."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment]
    return f"https://{parts.hostname}/{'…/' if len(segments) > 1 else ''}{segments[-1] if segments else ''}"


def merge(explicit: list[EarningsDate], found: list[EarningsDate], ticker: str) -> tuple[list[EarningsDate], list[str]]:
    """The watchlist's dates and the calendar's, the watchlist's winning; a warning for each disagreement."""
    merged = list(explicit)
    warnings = []
    for event in found:
        if any(own.date == event.date for own in explicit):
            continue
        clash = next((own for own in explicit if _same_report(own, event)), None)
        if clash is None:
            merged.append(event)
            continue
        warnings.append(f"{ticker}: {event.origin} puts {event.quarter} on {format_date(event.date)}, the watchlist "
                        f"puts {clash.quarter} on {format_date(clash.date)}: the watchlist's date is used")
    return sorted(merged, key=lambda item: item.date), warnings


def _same_report(own: EarningsDate, event: EarningsDate) -> bool:
    same_quarter = event.quarter != DEFAULT_QUARTER and event.quarter.casefold() == own.quarter.casefold()
    return same_quarter or abs(own.date - event.date) < SAME_REPORT


class IcsCalendar:
    """An iCalendar file, as Google Calendar, Outlook or an investor-relations site exports it."""

    def __init__(self, name: str, calendar: Any):
        self.name = name
        self.calendar = calendar
        self.repeating = {str(event.get("UID")) for event in calendar.walk("VEVENT") if "RRULE" in event or "RDATE" in event}

    @classmethod
    def parse(cls, name: str, text: str) -> IcsCalendar:
        import icalendar
        import x_wr_timezone

        try:
            calendar = icalendar.Calendar.from_ical(text)
        except ValueError as error:
            raise CalendarError(f"{name}: not a readable iCalendar file ({_first_line(error)})") from None
        _check_events(name, text, calendar.walk("VEVENT"))
        try:
            return cls(name, x_wr_timezone.to_standard(calendar))
        except Exception as error:  # the library's own errors have no common base class
            raise CalendarError(f"{name}: its time zone can't be applied ({_first_line(error)})") from None

    def dates_for(self, company: Company, start: date, end: date, zone: ZoneInfo | None) -> list[EarningsDate]:
        import recurring_ical_events

        names = _matcher(company)
        try:  # a day either side: a timed event may fall on another date in the company's zone
            occurrences = recurring_ical_events.of(self.calendar).between(start - timedelta(days=1), end + timedelta(days=2))
        except Exception as error:  # a repeat rule the library can't expand
            raise CalendarError(f"{self.name}: a repeating event can't be expanded ({_first_line(error)})") from None
        dates = []
        for event in occurrences:
            summary = _summary(event)
            day = _local_date(event.decoded("DTSTART"), zone)
            if names(summary) and start <= day <= end:
                repeats = " (repeating)" if str(event.get("UID")) in self.repeating else ""
                dates.append(EarningsDate(_quarter(summary), day, f'{_label(self.name)} event "{summary}"{repeats}'))
        return _one_per_day(dates)


class CsvCalendar:
    """A CSV file of ``ticker,date,quarter`` rows (quarter optional; a header row and # comments allowed)."""

    def __init__(self, name: str, rows: list[tuple[int, str, date, str]]):
        self.name = name
        self.rows = rows

    @classmethod
    def parse(cls, name: str, text: str) -> CsvCalendar:
        rows: list[tuple[int, str, date, str]] = []
        reader = csv.reader(io.StringIO(text, newline=""), skipinitialspace=True)
        try:
            for fields in reader:
                line = reader.line_num
                if not fields or not "".join(fields).strip() or fields[0].lstrip().startswith("#"):
                    continue
                if not rows and [field.strip().lower() for field in fields][:2] == list(CSV_COLUMNS[:2]):
                    continue  # the header
                rows.append(_csv_row(name, line, fields))
        except csv.Error as error:
            raise CalendarError(f"{name}: line {reader.line_num}: invalid CSV ({error})") from None
        if not rows:
            raise CalendarError(f"{name}: no earnings dates; write one per row, as {','.join(CSV_COLUMNS)} "
                                "(or give an .ics calendar)")
        return cls(name, rows)

    def dates_for(self, company: Company, start: date, end: date, zone: ZoneInfo | None) -> list[EarningsDate]:
        names = {company.ticker.casefold(), company.name.casefold()}
        return _one_per_day([
            EarningsDate(quarter, day, f"{_label(self.name)} line {line}")
            for line, who, day, quarter in self.rows
            if who.casefold() in names and start <= day <= end
        ])


def _csv_row(name: str, line: int, fields: list[str]) -> tuple[int, str, date, str]:
    if len(fields) not in (2, 3) or not fields[0].strip():
        raise CalendarError(f"{name}: line {line}: expected {','.join(CSV_COLUMNS)} (the quarter may be left out), "
                            f"got {len(fields)} field{'s' if len(fields) != 1 else ''}")
    try:
        day = date.fromisoformat(fields[1].strip())
    except ValueError:
        raise CalendarError(f"{name}: line {line}: {fields[1].strip()!r} is not a date; write YYYY-MM-DD") from None
    quarter = fields[2].strip() if len(fields) == 3 else ""
    return line, fields[0].strip(), day, quarter or DEFAULT_QUARTER


def _check_events(name: str, text: str, events: list[Any]) -> None:
    """Every event has a readable start and repeat rule; the error names the line the event starts on."""
    from icalendar import vBroken

    starts = [number for number, line in enumerate(text.splitlines(), 1) if line.strip().upper() == "BEGIN:VEVENT"]
    for index, event in enumerate(events):
        where = f"line {starts[index]}: " if index < len(starts) else ""
        summary = _summary(event) or "without a summary"
        if event.get("DTSTART") is None:
            raise CalendarError(f'{name}: {where}event "{summary}" has no start date (DTSTART)')
        for key in ("DTSTART", "RRULE", "RDATE", "EXDATE"):
            values = event.get(key)
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, vBroken):
                    raise CalendarError(f'{name}: {where}event "{summary}" has an unreadable {key} ({str(value)!r})')


def _summary(event: Any) -> str:
    """The event's summary on one line, without escape sequences or bidi controls: it is printed to terminals."""
    return one_line(str(event.get("SUMMARY", "")))


def _matcher(company: Company) -> Callable[[str], bool]:
    """Whether a summary names the company: its ticker as a word in capitals, or its name in any case."""
    ticker = re.compile(rf"(?<![A-Za-z0-9]){re.escape(company.ticker)}(?![A-Za-z0-9])")
    name = re.compile(rf"(?<![A-Za-z0-9]){re.escape(company.name)}(?![A-Za-z0-9])", re.IGNORECASE)
    return lambda summary: bool(ticker.search(summary) or name.search(summary))


def _quarter(summary: str) -> str:
    found = _QUARTER.search(summary)
    return found.group(0).upper() if found else DEFAULT_QUARTER


def _local_date(start: date | datetime, zone: ZoneInfo | None) -> date:
    """An all-day event's date, or the date a timed one starts on in ``zone`` (floating times as written)."""
    if isinstance(start, datetime):
        return start.astimezone(zone).date() if start.tzinfo else start.date()
    return start


def _one_per_day(dates: Iterable[EarningsDate]) -> list[EarningsDate]:
    """In date order, one per day (the first event that day): two calendar entries for one report are one report."""
    first: dict[date, EarningsDate] = {}
    for item in dates:
        first.setdefault(item.date, item)
    return sorted(first.values(), key=lambda item: item.date)


def _label(name: str) -> str:
    """How an event's origin names its calendar: the file name (a URL is already shortened)."""
    return name if name.startswith("https://") else Path(name).name


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def _fetched(url: str, warn: Callable[[str], None]) -> str:
    """The calendar at ``url``: from the cache if fetched recently, else fetched (a stale copy if that fails)."""
    import httpx

    copy = cache_dir() / "calendars" / f"{hashlib.sha256(url.encode()).hexdigest()[:24]}.ics"
    if copy.is_file() and time.time() - copy.stat().st_mtime < FRESH_FOR_SECONDS:
        return read_text_file(copy, "calendar", max_bytes=MAX_CALENDAR_BYTES)
    try:
        response = httpx.get(url, timeout=FETCH_TIMEOUT_SECONDS, follow_redirects=True)
        response.raise_for_status()
        text = response.text
    except httpx.HTTPError as error:
        problem = _fetch_problem(error)
        if not copy.is_file():
            raise CalendarError(f"{display_url(url)}: can't fetch the calendar ({problem})") from None
        when = datetime.fromtimestamp(copy.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        warn(f"{display_url(url)}: can't fetch the calendar ({problem}); using the copy fetched {when}")
        return read_text_file(copy, "calendar", max_bytes=MAX_CALENDAR_BYTES)
    if len(response.content) > MAX_CALENDAR_BYTES:
        raise CalendarError(f"{display_url(url)}: {len(response.content):,} bytes is too large for a calendar "
                            f"(the limit is {MAX_CALENDAR_BYTES:,})")
    _store(copy, text, warn)
    return text


def _fetch_problem(error: Exception) -> str:
    """The failure without the URL (it may carry a private calendar's secret)."""
    import httpx

    if isinstance(error, httpx.HTTPStatusError):
        return f"HTTP {error.response.status_code}"
    if isinstance(error, httpx.TimeoutException):
        return f"no answer in {FETCH_TIMEOUT_SECONDS:g} s"
    return type(error).__name__


def _store(copy: Path, text: str, warn: Callable[[str], None]) -> None:
    try:
        copy.parent.mkdir(parents=True, exist_ok=True)
        partial = copy.with_suffix(f".{os.getpid()}.partial")
        partial.write_text(text, encoding="utf-8")
        partial.replace(copy)
    except OSError as error:
        warn(f"the fetched calendar can't be cached in {copy.parent} ({error.strerror or error}); fetched again next time")
