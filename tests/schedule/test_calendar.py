"""Earnings dates from calendars: Google and Outlook .ics exports, repeating events, CSV, conflicts, bad files."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pipeline.errors import UsageError
from pipeline.schedule.calendar import CalendarError, display_url, load_calendar
from pipeline.schedule.due import plan_watchlist
from pipeline.schedule.watchlist import load_watchlist
from tests.schedule.helpers import NVIDIA_WATCHLIST, REPO, reports, run, write

CALENDARS = Path(__file__).resolve().parent / "calendars"
NOW = datetime(2026, 11, 1, 12, tzinfo=UTC)


class Listed:
    """A watchlist company as the calendar sees one: a name and a ticker."""

    def __init__(self, name: str, ticker: str):
        self.name, self.ticker = name, ticker


NVIDIA = Listed("NVIDIA", "NVDA")
MARVELL = Listed("Marvell Technology", "MRVL")


def dates(calendar_file: Path | str, company: Listed = NVIDIA, zone: str | None = "America/New_York",
          start: date = date(2026, 11, 1), end: date = date(2027, 3, 1)) -> list[tuple[str, date]]:
    calendar = load_calendar(calendar_file, warn=pytest.fail)
    found = calendar.dates_for(company, start, end, ZoneInfo(zone) if zone else None)
    return [(item.quarter, item.date) for item in found]


def ics(*events: str, header: str = "") -> str:
    body = "".join(f"BEGIN:VEVENT\r\nDTSTAMP:20261101T000000Z\r\nUID:{index}@test\r\n{event}END:VEVENT\r\n"
                   for index, event in enumerate(events))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{header}{body}END:VCALENDAR\r\n"


def test_google_calendar_export_all_day_and_timed_events():
    assert dates(CALENDARS / "google.ics") == [("Q3 FY2027", date(2026, 11, 25))]
    assert dates(CALENDARS / "google.ics", MARVELL) == [("FQ3 2027", date(2026, 12, 2))]
    # 16:30 in New York on December 2 is already December 3 in Tokyo: the date is the company's.
    assert dates(CALENDARS / "google.ics", MARVELL, zone="Asia/Tokyo") == [("FQ3 2027", date(2026, 12, 3))]


def test_google_floating_times_take_the_calendars_x_wr_timezone(tmp_path):
    """Google writes some times without a zone and names the zone once, in X-WR-TIMEZONE."""
    text = ics("DTSTART:20261125T220000\r\nSUMMARY:NVDA Q3 FY2027 earnings\r\n",
               header="X-WR-CALNAME:Earnings\r\nX-WR-TIMEZONE:America/Los_Angeles\r\n")
    # 22:00 in Los Angeles is 01:00 the next day in New York.
    assert dates(write(tmp_path / "g.ics", text)) == [("Q3 FY2027", date(2026, 11, 26))]


def test_outlook_export_with_a_windows_time_zone_name():
    assert dates(CALENDARS / "outlook.ics") == [("Q3 FY27", date(2026, 11, 25))]
    assert dates(CALENDARS / "outlook.ics", zone="Asia/Tokyo") == [("Q3 FY27", date(2026, 11, 26))]
    assert dates(CALENDARS / "outlook.ics", MARVELL) == []


def test_repeating_events_with_exceptions(tmp_path):
    text = ics(
        "DTSTART;VALUE=DATE:20260225\r\nRRULE:FREQ=MONTHLY;INTERVAL=3;COUNT=8\r\nEXDATE;VALUE=DATE:20261125\r\n"
        "SUMMARY:nvidia earnings\r\n",
        "DTSTART;VALUE=DATE:20261126\r\nSUMMARY:NVDA earnings (moved)\r\n",
    )
    found = dates(write(tmp_path / "r.ics", text), end=date(2027, 6, 1))
    assert found == [("quarterly", date(2026, 11, 26)), ("quarterly", date(2027, 2, 25)), ("quarterly", date(2027, 5, 25))]
    origins = load_calendar(tmp_path / "r.ics", pytest.fail).dates_for(NVIDIA, date(2026, 11, 1), date(2027, 3, 1), None)
    assert [item.origin for item in origins] == ['r.ics event "NVDA earnings (moved)"',
                                                 'r.ics event "nvidia earnings" (repeating)']


RULES_FROM_LONG_AGO = [
    ("DTSTART:20190104T213000Z", "FREQ=DAILY;INTERVAL=3"),
    ("DTSTART;TZID=America/New_York:20190107T163000", "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH"),  # across a DST change
    ("DTSTART;TZID=America/New_York:20190101T090000", "FREQ=HOURLY;INTERVAL=7"),
    ("DTSTART:20190301T120000", "FREQ=MINUTELY;INTERVAL=1439"),  # floating time, a minute earlier each day
    ("DTSTART;VALUE=DATE:20190226", "FREQ=MONTHLY;BYDAY=-1FR"),
    ("DTSTART;VALUE=DATE:16010131", "FREQ=MONTHLY;INTERVAL=2"),  # skips months without a 31st; 400-year cycles
    ("DTSTART:16040229T100000Z", "FREQ=YEARLY"),  # leap days only
    ("DTSTART;VALUE=DATE:16011122", "FREQ=YEARLY;BYMONTH=11;BYDAY=4TH"),
    ("DTSTART;VALUE=DATE:20190103", "FREQ=WEEKLY;BYDAY=TU"),  # the start itself is no Tuesday
]


@pytest.mark.parametrize(("start", "rule"), RULES_FROM_LONG_AGO)
def test_a_rule_moved_forward_and_ended_gives_the_dates_the_whole_rule_gives(tmp_path, start, rule):
    """Expanded from its real start with the library alone, and bounded as the tool does it: the same dates."""
    import recurring_ical_events

    from pipeline.schedule.calendar import IcsCalendar, _local_date

    path = write(tmp_path / "r.ics", ics(f"{start}\r\nRRULE:{rule}\r\nSUMMARY:NVDA earnings\r\n"))
    zone, first, last = ZoneInfo("America/New_York"), date(2027, 10, 20), date(2028, 3, 10)
    calendar = load_calendar(path, pytest.fail)
    assert isinstance(calendar, IcsCalendar)
    whole = recurring_ical_events.of(calendar.calendar).between(first - timedelta(days=1), last + timedelta(days=2))
    expected = sorted({day for event in whole if first <= (day := _local_date(event.decoded("DTSTART"), zone)) <= last})
    assert expected  # the case says something
    assert [item.date for item in calendar.dates_for(NVIDIA, first, last, zone)] == expected


def test_a_rule_from_the_year_1_is_expanded_at_once(tmp_path):
    path = write(tmp_path / "y1.ics", ics("DTSTART:00010101T140000Z\r\nRRULE:FREQ=DAILY\r\nSUMMARY:NVDA daily\r\n"))
    started = time.monotonic()
    found = dates(path, start=date(2026, 11, 1), end=date(2026, 11, 3), zone=None)
    assert found == [("quarterly", date(2026, 11, day)) for day in (1, 2, 3)]
    assert time.monotonic() - started < 1.0


def test_events_that_name_no_company_are_never_expanded(tmp_path):
    """A personal calendar may hold anything (a reminder every second, a broken rule): only the events
    that name the company are expanded, so the others cost nothing and break nothing."""
    text = ics(
        "DTSTART:20260101T000000Z\r\nRRULE:FREQ=SECONDLY\r\nSUMMARY:drink water\r\n",
        "DTSTART:20260101T000000Z\r\nRRULE:FREQ=DAILY;INTERVAL=0\r\nSUMMARY:standup\r\n",
        "DTSTART;VALUE=DATE:20261125\r\nSUMMARY:NVDA Q3 FY2027 earnings\r\n",
    )
    started = time.monotonic()
    assert dates(write(tmp_path / "mine.ics", text)) == [("Q3 FY2027", date(2026, 11, 25))]
    assert time.monotonic() - started < 1.0


def test_the_calendar_asked_for_is_left_as_it_was(tmp_path):
    """Each company asks for its own dates from the one parsed calendar: bounding a rule works on a copy."""
    path = write(tmp_path / "q.ics", ics("DTSTART;VALUE=DATE:20190225\r\nRRULE:FREQ=MONTHLY;INTERVAL=3\r\n"
                                         "SUMMARY:NVDA and MRVL earnings\r\n"))
    calendar = load_calendar(path, pytest.fail)
    assert [d for _, d in dates(path, start=date(2026, 11, 1), end=date(2026, 12, 1))] == [date(2026, 11, 25)]
    assert calendar.dates_for(MARVELL, date(2026, 11, 1), date(2027, 3, 1), None)[0].date == date(2026, 11, 25)
    assert calendar.dates_for(NVIDIA, date(2019, 1, 1), date(2019, 6, 1), None)[0].date == date(2019, 2, 25)


def test_events_match_by_ticker_as_a_word_or_by_name(tmp_path):
    text = ics(
        "DTSTART;VALUE=DATE:20261125\r\nSUMMARY:Earnings: $NVDA Q3\r\n",
        "DTSTART;VALUE=DATE:20261202\r\nSUMMARY:NVDAX fund rebalance\r\n",  # another ticker containing it
        "DTSTART;VALUE=DATE:20261203\r\nSUMMARY:nvda lowercase is not a ticker\r\n",
        "DTSTART;VALUE=DATE:20261204\r\nSUMMARY:Nvidia investor day\r\n",  # the name, in any case
    )
    assert [day for _, day in dates(write(tmp_path / "m.ics", text))] == [date(2026, 11, 25), date(2026, 12, 4)]


def test_a_summary_prints_without_control_or_bidi_characters(tmp_path):
    text = ics("DTSTART;VALUE=DATE:20261125\r\nSUMMARY:NVDA \x1b[31mQ3\u202e earnings\r\n")
    (found,) = load_calendar(write(tmp_path / "c.ics", text), pytest.fail).dates_for(
        NVIDIA, date(2026, 11, 1), date(2026, 12, 1), None)
    assert found.origin == 'c.ics event "NVDA Q3 earnings"'


def test_csv_calendar(tmp_path):
    text = "ticker,date,quarter\n# confirmed dates\nNVDA,2026-11-25,Q3 FY2027\nMRVL,2026-12-02,Q3 FY2027\n\nnvda,2027-02-24\n"
    assert dates(write(tmp_path / "dates.csv", text)) == [("Q3 FY2027", date(2026, 11, 25)), ("quarterly", date(2027, 2, 24))]
    origin = load_calendar(tmp_path / "dates.csv", pytest.fail).dates_for(NVIDIA, date(2026, 1, 1), date(2027, 1, 1), None)
    assert origin[0].origin == "dates.csv line 3"


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("empty.ics", "", "empty.ics: not a readable iCalendar file"),
        ("notes.ics", "hello world\nnot a calendar\n", "notes.ics: not a readable iCalendar file"),
        ("cut.ics", "BEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VEVENT\nSUMMARY:NVDA\n", "cut.ics: not a readable iCalendar file"),
        ("nostart.ics", ics("SUMMARY:NVDA Q3\r\n"), 'nostart.ics: line 4: event "NVDA Q3" has no start date (DTSTART)'),
        ("baddate.ics", ics("DTSTART;VALUE=DATE:2026-11-2x\r\nSUMMARY:NVDA\r\n"),
         "baddate.ics: line 4: event \"NVDA\" has an unreadable DTSTART ('2026-11-2x')"),
        ("badrule.ics", ics("DTSTART;VALUE=DATE:20261125\r\nRRULE:FREQ=SOMETIMES\r\nSUMMARY:NVDA\r\n"),
         "badrule.ics: line 4: event \"NVDA\" has an unreadable RRULE ('FREQ=SOMETIMES')"),
        ("dates.csv", "ticker,date,quarter\nNVDA,25/11/2026,Q3\n", "dates.csv: line 2: '25/11/2026' is not a date; write YYYY-MM-DD"),
        ("wide.csv", "NVDA,2026-11-25,Q3,extra\n", "wide.csv: line 1: expected ticker,date,quarter (the quarter may be left out), got 4 fields"),
        ("header.csv", "ticker,date,quarter\n", "header.csv: no earnings dates"),
    ],
)
def test_a_bad_calendar_is_one_line_naming_the_file(tmp_path, name, text, message):
    with pytest.raises(CalendarError) as raised:
        load_calendar(write(tmp_path / name, text), pytest.fail)
    assert str(raised.value).startswith(str(tmp_path / message)) and "\n" not in str(raised.value)


def test_a_calendar_that_is_not_text_or_is_missing(tmp_path):
    binary = tmp_path / "cal.ics"
    binary.write_bytes(b"BEGIN:VCALENDAR\x00\xff")
    with pytest.raises(UsageError, match="cal.ics: a binary file, not a calendar"):
        load_calendar(binary, pytest.fail)
    with pytest.raises(UsageError, match="no such file"):
        load_calendar(tmp_path / "gone.ics", pytest.fail)


# NVIDIA with no dates of its own: they come from earnings.ics beside the watchlist.
WATCHLIST = NVIDIA_WATCHLIST.replace('earnings = [{ quarter = "Q3 FY2027", date = 2026-11-25 }]\n', "").replace(
    'out_dir = "reports"\n', 'out_dir = "reports"\nearnings_calendar = "earnings.ics"\n')


def calendar_watchlist(folder: Path, calendar: Path = CALENDARS / "google.ics", text: str = WATCHLIST) -> Path:
    shutil.copy(calendar, folder / "earnings.ics")
    return write(folder / "watchlist.toml", text)


def test_a_company_without_dates_of_its_own_is_driven_by_the_calendar(tmp_path):
    path = calendar_watchlist(tmp_path)
    dry = run("schedule", path, "--as-of", "2026-11-24", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "NVDA Q3 FY2027 T-1" in dry.stdout and "1 day before NVIDIA's Q3 FY2027" in dry.stdout
    assert "from earnings.ics event" in dry.stdout  # the table wraps the rest: "NVIDIA (NVDA) Q3 FY2027 earnings"
    result = run("schedule", path, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert reports(tmp_path / "reports") == ["2026-11-24-nvda-t-1-are-cerebras-groq-customers-publishing-training.md",
                                             "2026-11-24-nvda-t-1-groq-vs-nvidia.md"]


def test_a_calendar_per_company_overrides_the_watchlists(tmp_path):
    shutil.copy(CALENDARS / "outlook.ics", tmp_path / "nvda.ics")
    text = WATCHLIST.replace('requests = [', 'earnings_calendar = "nvda.ics"\nrequests = [')
    watchlist = load_watchlist(calendar_watchlist(tmp_path, CALENDARS / "google.ics", text))
    assert watchlist.calendar_of(watchlist.companies[0]) == tmp_path / "nvda.ics"
    calendars = {str(tmp_path / "nvda.ics"): load_calendar(tmp_path / "nvda.ics", pytest.fail)}
    plan = plan_watchlist(watchlist, now=NOW, as_of=date(2026, 11, 18), calendars=calendars)
    assert [job.label.split(" · ")[0] for job in plan.jobs] == ["NVDA Q3 FY27 T-7"] * 2
    assert plan.jobs[0].origin == 'nvda.ics event "NVDA Q3 FY27 earnings call"'


def test_the_watchlists_own_date_wins_and_a_conflict_is_a_warning(tmp_path):
    text = WATCHLIST.replace('requests = [', 'earnings = [{ quarter = "Q3 FY2027", date = 2026-11-26 }]\nrequests = [')
    result = run("schedule", calendar_watchlist(tmp_path, text=text), "--as-of", "2026-11-25", "--dry-run")
    assert result.exit_code == 0, result.output
    assert ("note: NVDA: earnings.ics event \"NVIDIA (NVDA) Q3 FY2027 earnings\" puts Q3 FY2027 on November 25, 2026, "
            "the watchlist puts Q3 FY2027 on November 26, 2026: the watchlist's date is used") in result.stderr
    assert "T-1" in result.stdout and "T-0" not in result.stdout


def test_a_calendar_date_the_watchlist_also_lists_is_no_conflict(tmp_path):
    text = WATCHLIST.replace('requests = [', 'earnings = [{ quarter = "Q3", date = 2026-11-25 }]\nrequests = [')
    result = run("schedule", calendar_watchlist(tmp_path, text=text), "--as-of", "2026-11-25", "--dry-run")
    assert result.exit_code == 0 and "note:" not in result.stderr
    assert "NVDA Q3 T-0" in result.stdout  # the watchlist's quarter label


def test_no_matching_event_is_a_note_not_an_error(tmp_path):
    text = WATCHLIST.replace('name = "NVIDIA"\nticker = "NVDA"', 'name = "Groq"\nticker = "GROQ"')
    result = run("schedule", calendar_watchlist(tmp_path, text=text), "--as-of", "2026-11-24")
    assert result.exit_code == 0
    assert "GROQ has no earnings dates, and no event in" in result.stderr and "Nothing due" in result.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ('"missing.ics"', "calendar file"),
        ('"http://ir.example.com/events.ics"', "give an https:// URL or a path"),
    ],
)
def test_an_unusable_calendar_reference_is_a_watchlist_problem_on_its_line(tmp_path, value, message):
    path = write(tmp_path / "watchlist.toml", WATCHLIST.replace('"earnings.ics"', value))
    result = run("schedule", path, "--dry-run")
    assert result.exit_code == 1
    assert "line 5: earnings_calendar: " in result.stderr and message in result.stderr


def test_a_bad_calendar_stops_the_run_with_one_line(tmp_path):
    path = calendar_watchlist(tmp_path)
    write(tmp_path / "earnings.ics", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:NVDA\nEND:VEVENT\nEND:VCALENDAR\n")
    result = run("schedule", path)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f'Error: {tmp_path / "earnings.ics"}: line 2: event "NVDA" has no start date (DTSTART)']
    assert not (tmp_path / "reports").exists()


URL = "https://127.0.0.1:9/private-abc123/earnings.ics?token=s3cret"  # port 9 (discard): nothing answers


@pytest.fixture
def loopback_port_9(settings_file) -> None:
    """The settings open 127.0.0.1:9 (loopback is refused otherwise), so the fetch is tried and fails."""
    settings_file('allow_private_network = ["127.0.0.1:9"]\n')


def cached_copy(cache: Path) -> Path:
    import hashlib

    copy = cache / "calendars" / f"{hashlib.sha256(URL.encode()).hexdigest()[:24]}.ics"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(CALENDARS / "google.ics", copy)
    return copy


def test_a_url_calendar_fetched_recently_is_read_from_the_cache(isolated_cache):
    cached_copy(isolated_cache)
    assert dates(URL) == [("Q3 FY2027", date(2026, 11, 25))]


def test_an_unreachable_url_uses_the_stale_copy_with_a_warning_that_hides_the_secret(isolated_cache, loopback_port_9):
    copy = cached_copy(isolated_cache)
    old = time.time() - 2 * 86400
    os.utime(copy, (old, old))
    warnings: list[str] = []
    calendar = load_calendar(URL, warnings.append)
    assert calendar.dates_for(NVIDIA, date(2026, 11, 1), date(2026, 12, 1), None)[0].date == date(2026, 11, 25)
    assert len(warnings) == 1 and warnings[0].startswith("https://127.0.0.1/…/earnings.ics: can't fetch the calendar")
    assert "s3cret" not in warnings[0] and "abc123" not in warnings[0] and "refused" not in warnings[0]


def test_an_unreachable_url_without_a_copy_is_an_error(isolated_cache, loopback_port_9):
    with pytest.raises(CalendarError, match=r"^https://127\.0\.0\.1/…/earnings\.ics: can't fetch the calendar \(") as raised:
        load_calendar(URL, pytest.fail)
    assert "s3cret" not in str(raised.value)


def test_display_url_drops_the_query_and_the_middle_of_the_path():
    assert display_url("https://calendar.google.com/calendar/ical/x%40group/private-1f2e/basic.ics?a=b") == (
        "https://calendar.google.com/…/basic.ics")


@pytest.mark.parametrize("day", range(7))
def test_the_example_watchlist_has_a_briefing_due_on_any_day(day):
    as_of = date(2026, 12, 1).toordinal() + day
    result = run("schedule", REPO / "examples" / "watchlist.toml", "--as-of", date.fromordinal(as_of).isoformat(), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "new: will run" in result.stdout and "Nothing due" not in result.stderr


def test_the_example_watchlist_writes_a_briefing_today(tmp_path, edgar):
    """What a new user does first, on whatever day this test runs: no --as-of (its SEC searches go to a
    loopback stand-in for the SEC, so the test needs no network)."""
    examples = tmp_path / "examples"
    shutil.copytree(REPO / "examples", examples)
    result = run("schedule", examples / "watchlist.toml")
    assert result.exit_code == 0, result.output
    assert reports(tmp_path / "reports" / "earnings")


@pytest.fixture
def calendar_site(trusted_certificate, settings_file):
    """The Google export served over HTTPS on loopback; the settings open that server's port only."""
    from tests.loopback_site import loopback_site, page

    body = (CALENDARS / "google.ics").read_bytes()
    with loopback_site({"/private-abc123/earnings.ics": page(body, "text/calendar")}, trusted_certificate) as site:
        settings_file(f'allow_private_network = ["127.0.0.1:{site.port}"]\n')
        yield site


def url_watchlist(folder: Path, site) -> Path:
    url = f"{site.url}/private-abc123/earnings.ics?token=s3cret"
    return write(folder / "watchlist.toml", WATCHLIST.replace('"earnings.ics"', f'"{url}"'))


def test_a_url_calendar_is_fetched_inside_the_run_lock_and_cached(tmp_path, state_dir, calendar_site, isolated_cache):
    from pipeline.schedule.limits import DEFAULT_RUN
    from pipeline.schedule.lock import EXIT_BUSY, run_lock

    path = url_watchlist(tmp_path, calendar_site)
    with run_lock(state_dir, path, DEFAULT_RUN):  # a run of the same watchlist still going: no fetch, exit 75
        busy = run("schedule", path, "--as-of", "2026-11-24")
    assert busy.exit_code == EXIT_BUSY and calendar_site.hits == []
    result = run("schedule", path, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert len(calendar_site.hits) == 1 and len(reports(tmp_path / "reports")) == 2
    assert list((isolated_cache / "calendars").glob("*.ics"))
    dry = run("schedule", path, "--as-of", "2026-11-24", "--dry-run", "--redo")  # the cached copy: no fetch
    assert dry.exit_code == 0 and len(calendar_site.hits) == 1


def test_the_time_a_calendar_fetch_takes_counts_against_the_run_limit(tmp_path, calendar_site, monkeypatch):
    """A fetch that leaves no time starts no report: they wait for the next run, and the run ends."""
    import pipeline.schedule.calendar as calendar

    real = calendar._fetched

    def slow_fetch(url, warn, ends):
        text = real(url, warn, ends)
        time.sleep(1.2)  # the fetch's last bytes arrive late
        return text

    monkeypatch.setattr(calendar, "_fetched", slow_fetch)
    result = run("schedule", url_watchlist(tmp_path, calendar_site), "--as-of", "2026-11-24", "--run-timeout", "1s")
    assert result.exit_code == 0, result.output
    assert "not started: the run reached its 1 s limit" in result.stdout and not (tmp_path / "reports").exists()
