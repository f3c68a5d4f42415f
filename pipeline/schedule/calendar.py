"""Earnings dates from calendars: an iCalendar (.ics) export, or a CSV file of ``ticker,date,quarter``.

A watchlist names one with ``earnings_calendar`` (a path relative to the watchlist, or an
``https://`` URL) at the top or per company. A URL is fetched through ``pipeline.net`` (no private
or metadata address unless ``allow_private_network`` opens it; redirects checked; a total deadline,
cut to what is left of the run's time limit; a streamed size cap) and cached. An event belongs to
a company when its summary names the company's ticker (as a word, in capitals) or its name; a CSV
row, when its first column is the ticker or the name. icalendar reads the file, x-wr-timezone gives
Google's floating times their calendar's zone, and recurring-ical-events expands repeating events
(RRULE, RDATE, EXDATE, moved occurrences). A timed event falls on its date in the company's zone.

Only the events that name the company are expanded, and only over the dates asked for: a rule is
ended just after them (UNTIL), and a rule that started long ago (in the year 1, say) is moved
forward by whole repeats first, so nothing is computed for the years between. A rule that would
still repeat more than ``MAX_REPEATS`` times in those dates (every second or minute), or never
moves on (INTERVAL=0), is refused, naming the event.

Dates from the calendar merge with the watchlist's own ``earnings``: the watchlist wins, and a
calendar date that disagrees with it (the same quarter, or within ``SAME_REPORT`` of it) is a warning.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import math
import os
import queue
import re
import threading
import time
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from pipeline.controls import one_line
from pipeline.errors import UsageError
from pipeline.inputs import decoded_text, read_text_file
from pipeline.report.formatting import format_date
from pipeline.resources import cache_dir

FETCH_SECONDS = 60.0  # a whole fetch of a calendar URL (all redirects and reads); less if the run must end sooner
MAX_REPEATS = 5_000  # occurrences one repeating event may have in the dates a run asks for
EXPAND_SECONDS = 5.0  # the most the repeating events naming one company may take to expand
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


def load_calendar(reference: str | Path, warn: Callable[[str], None], *, ends: float | None = None) -> Calendar:
    """Read the calendar a watchlist names; ``CalendarError`` (one line, naming it) if it is unusable.

    ``ends`` (``time.monotonic()``) is when the run must be over: a fetch stops by then at the latest."""
    if is_url(reference):
        name, text = display_url(str(reference)), _fetched(str(reference), warn, ends)
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
    host = f"[{parts.hostname}]" if ":" in (parts.hostname or "") else parts.hostname
    return f"https://{host}/{'…/' if len(segments) > 1 else ''}{segments[-1] if segments else ''}"


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

    def __init__(self, name: str, calendar: Any, lines: list[int] | None = None):
        self.name = name
        self.calendar = calendar
        events = calendar.walk("VEVENT")
        self.repeating = {str(event.get("UID")) for event in events if "RRULE" in event or "RDATE" in event}
        self.series: dict[str, list[tuple[int | None, Any]]] = {}  # by UID: an event and its moved occurrences
        for index, event in enumerate(events):
            line = lines[index] if lines and index < len(lines) else None
            self.series.setdefault(str(event.get("UID", f"#{index}")), []).append((line, event))

    @classmethod
    def parse(cls, name: str, text: str) -> IcsCalendar:
        import icalendar
        import x_wr_timezone

        try:
            calendar = icalendar.Calendar.from_ical(text)
        except ValueError as error:
            raise CalendarError(f"{name}: not a readable iCalendar file ({_first_line(error)})") from None
        lines = _check_events(name, text, calendar.walk("VEVENT"))
        try:
            return cls(name, x_wr_timezone.to_standard(calendar), lines)
        except Exception as error:  # the library's own errors have no common base class
            raise CalendarError(f"{name}: its time zone can't be applied ({_first_line(error)})") from None

    def dates_for(self, company: Company, start: date, end: date, zone: ZoneInfo | None) -> list[EarningsDate]:
        names = _matcher(company)
        first, last = start - timedelta(days=1), end + timedelta(days=2)  # a timed event may fall on another date
        chosen = self._naming(names, first, last)                          # in the company's zone
        if chosen is None:
            return []
        try:
            occurrences = _expanded(chosen, first, last)
        except TimeoutError:
            raise CalendarError(
                f"{self.name}: the repeating events that name {company.ticker} take more than {EXPAND_SECONDS:g} s to "
                f"expand ({_repeating_names(chosen)}); a rule whose BY parts match no date (BYMONTH=2;BYMONTHDAY=30) "
                "is searched for until the year 9999") from None
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


    def _naming(self, names: Callable[[str], bool], first: date, last: date) -> Any:
        """A calendar of the events that name the company, each repeat rule bounded to ``first``…``last``."""
        import icalendar

        wanted = [series for series in self.series.values() if any(names(_summary(event)) for _, event in series)]
        if not wanted:
            return None
        chosen = icalendar.Calendar()
        for zone in self.calendar.walk("VTIMEZONE"):
            chosen.add_component(zone)
        for series in wanted:
            for line, event in series:
                where = f"line {line}: " if line else ""
                chosen.add_component(_bounded(event, first, last, f'{self.name}: {where}event "{_summary(event)}"'))
        return chosen


def _expanded(calendar: Any, first: date, last: date) -> list[Any]:
    """The occurrences from ``first`` to ``last``, or ``TimeoutError`` after ``EXPAND_SECONDS``.

    The rules are bounded already (``_bounded``); the deadline is for what no estimate sees: a rule
    that matches no date runs on to the year 9999 (seconds of work, left to finish in the background)."""
    import recurring_ical_events

    result: queue.Queue[list[Any] | Exception] = queue.Queue(maxsize=1)

    def expand() -> None:
        try:
            with warnings.catch_warnings():  # dateutil frowns on COUNT with the UNTIL that bounds it
                warnings.simplefilter("ignore", DeprecationWarning)
                result.put(recurring_ical_events.of(calendar).between(first, last))
        except Exception as error:
            result.put(error)

    threading.Thread(target=expand, name="groundbrief-calendar", daemon=True).start()
    try:
        found = result.get(timeout=EXPAND_SECONDS)
    except queue.Empty:
        raise TimeoutError from None
    if isinstance(found, Exception):
        raise found
    return found


def _repeating_names(calendar: Any) -> str:
    names = [f'"{_summary(event)}"' for event in calendar.walk("VEVENT") if "RRULE" in event]
    return ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")


_STEP = {"SECONDLY": timedelta(seconds=1), "MINUTELY": timedelta(minutes=1), "HOURLY": timedelta(hours=1),
         "DAILY": timedelta(days=1), "WEEKLY": timedelta(weeks=1)}
_ROUGHLY = {**_STEP, "MONTHLY": timedelta(days=28), "YEARLY": timedelta(days=365)}  # the shortest month and year
_WORD = {"SECONDLY": "second", "MINUTELY": "minute", "HOURLY": "hour", "DAILY": "day", "WEEKLY": "week",
         "MONTHLY": "month", "YEARLY": "year"}
_CYCLE_YEARS = 400  # the Gregorian calendar repeats itself, weekdays and leap days included, every 400 years


def _bounded(event: Any, first: date, last: date, what: str) -> Any:
    """``event`` with its repeat rule ended just after ``last`` and, if it started long before ``first``,
    moved forward by whole repeats; ``CalendarError`` (naming ``what``) if it still repeats too often."""
    rules = event.get("RRULE")
    if rules is None:
        return event
    rules = rules if isinstance(rules, list) else [rules]
    bounded = copy.copy(event)  # the parsed calendar stays as it was: each company asks for its own dates
    start = event.decoded("DTSTART")
    if len(rules) == 1 and "COUNT" not in rules[0]:  # COUNT counts from the real start
        moved = _moved_start(start, rules[0], first, what)
        if moved != start:
            if "DTEND" in event:
                bounded.DTEND = moved + (event.decoded("DTEND") - start)
            bounded.DTSTART = start = moved
    bounded["RRULE"] = [_until(rule, start, last, what) for rule in rules]
    return bounded


def _rule_parts(rule: Any, what: str) -> tuple[str, int]:
    freq = str(rule.get("FREQ", ["?"])[0]).upper()
    interval = int(rule.get("INTERVAL", [1])[0])
    if interval < 1:
        raise CalendarError(f"{what} repeats with INTERVAL={interval}, which never moves on; give it INTERVAL=1 or more")
    if freq not in _ROUGHLY:
        raise CalendarError(f"{what} repeats with an unknown FREQ={freq}")
    return freq, interval


def _moved_start(start: date | datetime, rule: Any, first: date, what: str) -> date | datetime:
    """The start moved forward by whole repeats to before ``first``, the same occurrences from there on."""
    freq, interval = _rule_parts(rule, what)
    before = datetime.combine(first - timedelta(days=2), datetime.min.time())  # the moved start itself is no date
    wall = start.replace(tzinfo=None) if isinstance(start, datetime) else datetime.combine(start, datetime.min.time())
    if freq in _STEP:
        step = _STEP[freq] * interval
        if not isinstance(start, datetime):  # an all-day start moves by whole days
            step = timedelta(seconds=math.lcm(int(step.total_seconds()), 86_400))
        repeats = (before - wall) // step if wall < before else 0
        return start + step * repeats
    cycle = _CYCLE_YEARS * interval  # whole months or years, and whole 400-year cycles
    cycles = (before.year - 1 - wall.year) // cycle if wall.year < before.year - 1 else 0
    return start.replace(year=start.year + cycles * cycle)


def _until(rule: Any, start: date | datetime, last: date, what: str) -> Any:
    """``rule`` ending by the day after ``last``, or ``CalendarError`` if it repeats too often until then."""
    from icalendar import vRecur

    freq, interval = _rule_parts(rule, what)
    end: date | datetime = last + timedelta(days=1)
    if isinstance(start, datetime):
        end = datetime.combine(end, datetime.min.time(), tzinfo=start.tzinfo)
        end = end.astimezone(UTC) if start.tzinfo else end  # RFC 5545: UNTIL is in UTC when the start has a zone
    given = rule.get("UNTIL", [None])[0]
    if given is not None and _before(given, end):
        end = given
    wall = start.replace(tzinfo=None) if isinstance(start, datetime) else datetime.combine(start, datetime.min.time())
    span = datetime.combine(last, datetime.min.time()) - wall
    repeats = max(0, span // (_ROUGHLY[freq] * interval) + 1) * _per_repeat(rule, freq)
    if "COUNT" in rule and not any(part.startswith("BY") for part in rule):  # every repeat an occurrence
        repeats = min(repeats, int(rule["COUNT"][0]))
    if repeats > MAX_REPEATS:
        raise CalendarError(f"{what} repeats every {_WORD[freq]}{'' if interval == 1 else f' ({interval} of them)'}: "
                            f"about {repeats:,} times by {format_date(last)}, more than the {MAX_REPEATS:,} a calendar "
                            "event may; give it a coarser FREQ, or an UNTIL or COUNT that ends it sooner")
    return vRecur({**rule, "UNTIL": [end]})


def _before(given: date | datetime, end: date | datetime) -> bool:
    """Whether the rule's own UNTIL comes before ``end`` (a date and a time compare by their dates)."""
    if isinstance(given, datetime) and isinstance(end, datetime):
        return (given if given.tzinfo else given.replace(tzinfo=end.tzinfo)) < end
    return (given.date() if isinstance(given, datetime) else given) < (end.date() if isinstance(end, datetime) else end)


def _per_repeat(rule: Any, freq: str) -> int:
    """At most how many occurrences one repeat of ``rule`` makes: its BY lists multiply them (a rough bound)."""
    count = 1
    for part in ("BYMONTH", "BYWEEKNO", "BYYEARDAY", "BYMONTHDAY", "BYHOUR", "BYMINUTE", "BYSECOND"):
        count *= max(1, len(rule.get(part, [])))
    days = rule.get("BYDAY", [])
    within = 53 if freq == "YEARLY" and not any(part in rule for part in ("BYMONTH", "BYWEEKNO")) else 5
    for day in days:
        count *= 1 if re.match(r"[+-]?\d", str(day)) else within if freq in ("MONTHLY", "YEARLY") else 1
    return count


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


def _check_events(name: str, text: str, events: list[Any]) -> list[int]:
    """Every event has a readable start and repeat rule; the error names the line the event starts on.

    The lines the events start on, in order."""
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
    return starts


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


def _fetched(url: str, warn: Callable[[str], None], ends: float | None) -> str:
    """The calendar at ``url``: from the cache if fetched recently, else fetched (a stale copy if that fails).

    A refused address or a calendar over the size cap is an error even with a stale copy: neither
    mends itself by the next run."""
    import httpx

    from pipeline import net
    from pipeline.settings import config_path, load_settings

    kept = cache_dir() / "calendars" / f"{hashlib.sha256(url.encode()).hexdigest()[:24]}.ics"
    if kept.is_file() and time.time() - kept.stat().st_mtime < FRESH_FOR_SECONDS:
        return read_text_file(kept, "calendar", max_bytes=MAX_CALENDAR_BYTES)
    seconds = FETCH_SECONDS if ends is None else min(FETCH_SECONDS, ends - time.monotonic())
    name = display_url(url)
    try:
        if seconds <= 0:
            raise net.FetchError("the run's time limit is up")
        fetched = net.fetch(url, load_settings().network_policy(), seconds=seconds, max_bytes=MAX_CALENDAR_BYTES)
        if fetched.status >= 400:
            raise net.FetchError(f"HTTP {fetched.status}")
        text = decoded_text(fetched.content, name, "calendar")
    except net.Refused as refused:
        hint = f"; {refused.hint} (in {config_path()})" if refused.hint else ""
        raise CalendarError(f"{name}: can't fetch the calendar (refused: {refused}{hint})") from None
    except net.TooLarge as large:
        raise CalendarError(f"{name}: too large for a calendar ({large})") from None
    except (net.FetchError, httpx.HTTPError) as error:
        problem = f"not complete in {seconds:.3g} s" if isinstance(error, httpx.TimeoutException) else (
            str(error) if isinstance(error, net.FetchError) else type(error).__name__)  # httpx's text has the URL
        if not kept.is_file():
            raise CalendarError(f"{name}: can't fetch the calendar ({problem})") from None
        when = datetime.fromtimestamp(kept.stat().st_mtime).strftime("%Y-%m-%d %H:%M")
        warn(f"{name}: can't fetch the calendar ({problem}); using the copy fetched {when}")
        return read_text_file(kept, "calendar", max_bytes=MAX_CALENDAR_BYTES)
    _store(kept, text, warn)
    return text


def _store(kept: Path, text: str, warn: Callable[[str], None]) -> None:
    partial = kept.with_suffix(f".{os.getpid()}.partial")
    try:
        kept.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.replace(kept)
    except OSError as error:
        partial.unlink(missing_ok=True)
        warn(f"the fetched calendar can't be cached in {kept.parent} ({error.strerror or error}); fetched again next time")
