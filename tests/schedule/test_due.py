"""Which briefings are due: a table over dates, lead days and time zones."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from pipeline.schedule.due import Milestone, local_today, milestone, plan_watchlist
from pipeline.schedule.jobs import NoteKind
from pipeline.schedule.watchlist import load_watchlist
from tests.schedule.helpers import write

REPORT = date(2026, 11, 25)


@pytest.mark.parametrize(
    ("as_of", "lead_days", "expected"),
    [
        (date(2026, 11, 10), [7, 1, 0], None),  # too early: the first milestone is T-7
        (date(2026, 11, 17), [7, 1, 0], None),
        (date(2026, 11, 18), [7, 1, 0], (7, 0)),
        (date(2026, 11, 20), [7, 1, 0], (7, 2)),  # T-7 missed: made up two days late
        (date(2026, 11, 23), [7, 1, 0], (7, 5)),
        (date(2026, 11, 24), [7, 1, 0], (1, 0)),  # T-1 supersedes the missed T-7
        (date(2026, 11, 25), [7, 1, 0], (0, 0)),
        (date(2026, 11, 26), [7, 1, 0], None),  # past the report
        (date(2026, 11, 25), [7, 1], (1, 1)),  # no T-0: the day-before briefing, a day late
        (date(2026, 11, 24), [0], None),
        (date(2026, 11, 11), [14, 7], (14, 0)),
        (date(2026, 11, 22), [3], (3, 0)),
    ],
)
def test_the_latest_milestone_reached_is_due(as_of, lead_days, expected):
    due = milestone(REPORT, as_of, sorted(lead_days, reverse=True))
    if expected is None:
        assert due is None
    else:
        lead, late = expected
        assert due == Milestone(lead=lead, due_on=REPORT - timedelta(days=lead), days_late=late)


@pytest.mark.parametrize(
    ("now", "zone", "today"),
    [
        (datetime(2026, 11, 25, 3, 30, tzinfo=UTC), "America/New_York", date(2026, 11, 24)),
        (datetime(2026, 11, 25, 3, 30, tzinfo=UTC), "America/Los_Angeles", date(2026, 11, 24)),
        (datetime(2026, 11, 25, 3, 30, tzinfo=UTC), "UTC", date(2026, 11, 25)),
        (datetime(2026, 11, 25, 3, 30, tzinfo=UTC), "Asia/Tokyo", date(2026, 11, 25)),
        (datetime(2026, 11, 24, 16, 0, tzinfo=UTC), "Asia/Tokyo", date(2026, 11, 25)),
        (datetime(2026, 11, 24, 10, 0, tzinfo=UTC), "Pacific/Kiritimati", date(2026, 11, 25)),
        (datetime(2026, 11, 25, 10, 59, tzinfo=UTC), "Pacific/Pago_Pago", date(2026, 11, 24)),  # UTC-11
        (datetime(2026, 11, 25, 11, 0, tzinfo=UTC), "Pacific/Pago_Pago", date(2026, 11, 25)),
    ],
)
def test_today_is_the_date_in_the_watchlist_time_zone(now, zone, today):
    assert local_today(now, zone) == today


ZONED = """\
timezone = "America/New_York"

[[companies]]
name = "NVIDIA"
ticker = "NVDA"
earnings = [{ quarter = "Q3 FY2027", date = 2026-11-25 }]
requests = ["Groq vs NVIDIA"]

[[companies]]
name = "SoftBank"
ticker = "9984"
timezone = "Asia/Tokyo"
earnings = [{ quarter = "Q2 FY2026", date = 2026-11-25 }]
requests = ["Groq vs NVIDIA"]
"""


@pytest.mark.parametrize(
    ("now", "leads"),
    [
        (datetime(2026, 11, 25, 3, 30, tzinfo=UTC), {"NVDA": 1, "9984": 0}),  # evening in New York, morning in Tokyo
        (datetime(2026, 11, 25, 14, 0, tzinfo=UTC), {"NVDA": 0, "9984": 0}),
        (datetime(2026, 11, 17, 16, 0, tzinfo=UTC), {"9984": 7}),  # Tokyo is already on the 18th
        (datetime(2026, 11, 17, 12, 0, tzinfo=UTC), {}),
    ],
)
def test_each_company_is_planned_in_its_own_time_zone(tmp_path, now, leads):
    plan = plan_watchlist(load_watchlist(write(tmp_path / "w.toml", ZONED)), now=now)
    assert {job.key.split(":")[0]: int(job.key.split(":")[2].removeprefix("T-")) for job in plan.jobs} == leads


def test_as_of_overrides_every_time_zone(tmp_path):
    plan = plan_watchlist(load_watchlist(write(tmp_path / "w.toml", ZONED)),
                          now=datetime(2026, 11, 25, 3, 30, tzinfo=UTC), as_of=date(2026, 11, 24))
    assert [job.request.as_of for job in plan.jobs] == [date(2026, 11, 24)] * 2
    assert all(":T-1:" in job.key for job in plan.jobs)


def test_a_scheduled_request_carries_the_earnings_event_and_its_window_ends_on_the_run_date(watchlist):
    plan = plan_watchlist(load_watchlist(watchlist), now=datetime(2026, 11, 20, 12, tzinfo=UTC))
    job = plan.jobs[0]
    request = job.request
    assert request.as_of == date(2026, 11, 20)
    assert request.window_start == date(2026, 8, 20)  # 3 months back from the run date
    assert (request.earnings.company, request.earnings.quarter, request.earnings.report_date) == (
        "NVIDIA", "Q3 FY2027", REPORT)
    assert request.focus == "NVIDIA"
    assert request.source_hints == ["Customer case studies", "vendor blogs", "arXiv"]
    assert job.label.startswith("NVDA Q3 FY2027 T-7 · Are Cerebras/Groq customers publishing")
    assert job.reason == ("7 days before NVIDIA's Q3 FY2027 earnings on November 25, 2026; "
                          "due November 18, 2026, catching up 2 days late")
    assert job.out_dir == watchlist.parent / "reports"


def test_the_key_names_the_milestone_not_the_run_date(watchlist):
    """A T-7 briefing made on the 18th is the one a run on the 20th would make: the key matches."""
    def keys(day: int) -> list[str]:
        return [job.key for job in plan_watchlist(load_watchlist(watchlist), now=datetime.now(UTC),
                                                  as_of=date(2026, 11, day)).jobs]

    assert keys(18) == keys(20)
    assert keys(18) != keys(24)
    assert len(set(keys(18))) == 2


def test_past_upcoming_and_undated_are_notes_not_jobs(tmp_path):
    text = """\
[[companies]]
name = "NVIDIA"
ticker = "NVDA"
earnings = [
    { quarter = "Q2 FY2027", date = 2026-08-26 },
    { quarter = "Q4 FY2027", date = 2027-02-24 },
]
requests = ["Groq vs NVIDIA"]

[[companies]]
name = "Cerebras"
ticker = "CBRS"
requests = ["Cerebras vs NVIDIA"]
"""
    plan = plan_watchlist(load_watchlist(write(tmp_path / "w.toml", text)), now=datetime.now(UTC),
                          as_of=date(2026, 11, 24))
    assert plan.jobs == []
    assert [(note.kind, note.text) for note in plan.notes] == [
        (NoteKind.PAST, "NVDA Q2 FY2027 reported on August 26, 2026, before November 24, 2026: skipped; "
                        "remove it from the watchlist"),
        (NoteKind.UPCOMING, "NVDA Q4 FY2027 reports on February 24, 2027: first briefing due February 17, 2027"),
        (NoteKind.NO_DATES, "CBRS has no earnings dates: nothing to schedule"),
    ]
