"""Which briefings are due on a date: date arithmetic only, no state database and no clock.

Each earnings date has milestones, one per lead day (T-7, T-1, T-0 for lead days 7, 1 and 0). On a
given day the due milestone is the latest one whose date has arrived, so a T-7 briefing missed while
the machine was off is made up on T-5, but not once T-1 is due: a late run catches up without
flooding the desk with stale briefings. Dates past the report date are skipped with a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pipeline.report.formatting import format_date
from pipeline.models import EarningsEvent, ResearchRequest
from pipeline.schedule.jobs import Job, Note, NoteKind, Plan, fingerprint, short_question
from pipeline.schedule.watchlist import Company, Earnings, RequestSpec, Resolved, Watchlist


@dataclass(frozen=True)
class Milestone:
    lead: int
    due_on: date
    days_late: int


def milestone(report_date: date, as_of: date, lead_days: list[int]) -> Milestone | None:
    """The briefing due on ``as_of`` for a report on ``report_date``, if any."""
    days_left = (report_date - as_of).days
    reached = [lead for lead in lead_days if lead >= days_left >= 0]
    if not reached:
        return None
    lead = min(reached)
    return Milestone(lead=lead, due_on=report_date - timedelta(days=lead), days_late=lead - days_left)


def local_today(now: datetime, timezone: str | None) -> date:
    """The date at ``now`` in ``timezone`` (an IANA name), or in the machine's zone if None."""
    return now.astimezone(ZoneInfo(timezone) if timezone else None).date()


def plan_watchlist(watchlist: Watchlist, *, now: datetime, as_of: date | None = None) -> Plan:
    """The jobs due at ``now`` (each company's date in its time zone), or on ``as_of`` if given."""
    jobs: list[Job] = []
    notes: list[Note] = []
    for company in watchlist.companies:
        if not company.earnings:
            notes.append(Note(NoteKind.NO_DATES, f"{company.ticker} has no earnings dates: nothing to schedule"))
        today = as_of or local_today(now, company.timezone or watchlist.timezone)
        for event in company.earnings:
            event_jobs, note = _plan_event(watchlist, company, event, today)
            jobs += event_jobs
            notes += [note] if note else []
    return Plan(jobs=jobs, notes=notes)


def _plan_event(watchlist: Watchlist, company: Company, event: Earnings, today: date) -> tuple[list[Job], Note | None]:
    if event.date < today:
        return [], Note(NoteKind.PAST, f"{company.ticker} {event.quarter} reported on {format_date(event.date)}, "
                                       f"before {format_date(today)}: skipped; remove it from the watchlist")
    jobs: list[Job] = []
    first_due: list[date] = []
    for spec in company.requests:
        settings = watchlist.resolve(company, spec)
        due = milestone(event.date, today, settings.lead_days)
        if due:
            jobs.append(_job(company, event, spec, settings, today, due))
        else:
            first_due.append(event.date - timedelta(days=max(settings.lead_days)))
    if jobs or not first_due:
        return jobs, None
    return jobs, Note(NoteKind.UPCOMING, f"{company.ticker} {event.quarter} reports on {format_date(event.date)}: "
                                         f"first briefing due {format_date(min(first_due))}")


def _job(company: Company, event: Earnings, spec: RequestSpec, settings: Resolved, today: date, due: Milestone) -> Job:
    """The report for ``spec`` at milestone ``due``; its window is counted back from ``today``."""
    request = ResearchRequest(
        question=spec.question,
        source_hints=spec.source_hints,
        keywords=spec.keywords,
        focus=settings.focus,
        as_of=today,
        window=settings.window,
        query_count=settings.query_count,
        earnings=EarningsEvent(company=company.name, quarter=event.quarter, report_date=event.date),
    )
    identity = fingerprint(request, settings.model, settings.corpus, settings.out_dir, exclude={"as_of"})
    return Job(
        key=f"{company.ticker}:{event.date}:T-{due.lead}:{identity}",
        label=f"{company.ticker} {event.quarter} T-{due.lead} · {short_question(spec.question)}",
        reason=_reason(company, event, due),
        request=request,
        model=settings.model,
        corpus=settings.corpus,
        out_dir=settings.out_dir,
        name=f"{company.ticker} T-{due.lead} {spec.question}",  # several companies may share a question
    )


def _reason(company: Company, event: Earnings, due: Milestone) -> str:
    when = "on the day of" if due.lead == 0 else f"{due.lead} day{'s' if due.lead > 1 else ''} before"
    reason = f"{when} {company.name}'s {event.quarter} earnings on {format_date(event.date)}"
    if due.days_late:
        reason += f"; due {format_date(due.due_on)}, catching up {due.days_late} day{'s' if due.days_late > 1 else ''} late"
    return reason
