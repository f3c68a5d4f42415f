"""Which briefings are due on a date: date arithmetic only, no state database, no clock, no I/O.

Each earnings date has milestones, one per lead day (T-7, T-1, T-0 for lead days 7, 1 and 0). On a
given day the due milestone is the latest one whose date has arrived, so a T-7 briefing missed while
the machine was off is made up on T-5, but not once T-1 is due: a late run catches up without
flooding the desk with stale briefings. Dates past the report date are skipped with a note.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pipeline.models import EarningsEvent, ResearchRequest
from pipeline.report.formatting import format_date
from pipeline.schedule.calendar import DEFAULT_QUARTER, SAME_REPORT, Calendar, EarningsDate, display_url, is_url, merge
from pipeline.schedule.jobs import Job, Note, NoteKind, Plan, fingerprint, short_question
from pipeline.schedule.watchlist import MAX_LEAD_DAYS, Company, RequestSpec, Resolved, Settings, Watchlist


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


def plan_watchlist(
    watchlist: Watchlist, *, now: datetime, as_of: date | None = None, calendars: Mapping[str, Calendar] | None = None,
    chosen: Settings | None = None, use_cache: bool = True,
) -> Plan:
    """The jobs due at ``now`` (each company's date in its time zone), or on ``as_of`` if given.

    ``calendars`` are the loaded ``earnings_calendar`` files, by the reference the watchlist gives;
    ``chosen`` are the command line's settings, which win over the watchlist's.
    """
    jobs: list[Job] = []
    notes: list[Note] = []
    for company in watchlist.companies:
        zone = company.timezone or watchlist.timezone
        today = as_of or local_today(now, zone)
        dates, warnings = _earnings_dates(watchlist, company, today, calendars or {})
        notes += [Note(NoteKind.CONFLICT, warning) for warning in warnings]
        if not dates:
            notes.append(Note(NoteKind.NO_DATES, _no_dates(watchlist, company)))
        for event in dates:
            event_jobs, note = _plan_event(watchlist, company, event, today, chosen, use_cache)
            jobs += event_jobs
            notes += [note] if note else []
    targets = {target.identity: target for company in watchlist.companies for spec in company.requests
               for target in watchlist.resolve(company, spec, chosen).deliver}
    return Plan(jobs=jobs, notes=notes, digest=watchlist.digest, targets=tuple(targets.values()))


def _earnings_dates(
    watchlist: Watchlist, company: Company, today: date, calendars: Mapping[str, Calendar]
) -> tuple[list[EarningsDate], list[str]]:
    """The watchlist's own dates, merged with its calendar's: those a briefing is due for today (up to
    the longest lead), and the next one after them, for the "first briefing due" note."""
    explicit = [EarningsDate(quarter=item.quarter, date=item.date) for item in company.earnings]
    reference = watchlist.calendar_of(company)
    if reference is None:
        return explicit, []
    zone = ZoneInfo(name) if (name := company.timezone or watchlist.timezone) else None
    calendar = calendars[str(reference)]
    horizon = today + timedelta(days=max(max(watchlist.resolve(company, spec).lead_days) for spec in company.requests))
    due = calendar.dates_for(company, today, horizon, zone)
    after = calendar.dates_for(company, horizon + timedelta(days=1), today + timedelta(days=MAX_LEAD_DAYS), zone)
    return merge(explicit, due + after[:1], company.ticker)


def _no_dates(watchlist: Watchlist, company: Company) -> str:
    reference = watchlist.calendar_of(company)
    if reference is None:
        return f"{company.ticker} has no earnings dates: nothing to schedule"
    name = display_url(str(reference)) if is_url(reference) else str(reference)
    return (f"{company.ticker} has no earnings dates, and no event in {name} in the next {MAX_LEAD_DAYS} days "
            f"names {company.ticker} or {company.name}: nothing to schedule")


def _plan_event(
    watchlist: Watchlist, company: Company, event: EarningsDate, today: date, chosen: Settings | None, use_cache: bool
) -> tuple[list[Job], Note | None]:
    if event.date < today:
        return [], Note(NoteKind.PAST, f"{company.ticker} {event.quarter} reported on {format_date(event.date)}, "
                                       f"before {format_date(today)}: skipped; remove it from the watchlist")
    jobs: list[Job] = []
    first_due: list[date] = []
    for spec in company.requests:
        settings = watchlist.resolve(company, spec, chosen)
        due = milestone(event.date, today, settings.lead_days)
        if due:
            jobs.append(_job(company, event, spec, settings, today, due, use_cache))
        else:
            first_due.append(event.date - timedelta(days=max(settings.lead_days)))
    if jobs or not first_due:
        return jobs, None
    return jobs, Note(NoteKind.UPCOMING, f"{company.ticker} {event.quarter} reports on {format_date(event.date)}: "
                                         f"first briefing due {format_date(min(first_due))}")


def _job(
    company: Company, event: EarningsDate, spec: RequestSpec, settings: Resolved, today: date, due: Milestone,
    use_cache: bool = True,
) -> Job:
    """The report for ``spec`` at milestone ``due``; its window is counted back from ``today``.

    ``earlier`` are the keys the briefings before this one in its series (same company, request and
    quarter) were recorded under: the earlier milestones of this date and, when the quarter is named,
    those of a date it was moved from (within ``SAME_REPORT``). The latest of them done is compared with.
    """
    earnings = EarningsEvent(company=company.name, quarter=event.quarter, report_date=event.date)
    request = ResearchRequest(
        question=spec.question,
        source_hints=spec.source_hints,
        keywords=spec.keywords,
        focus=settings.focus,
        as_of=today,
        window=settings.window,
        query_count=settings.query_count,
        earnings=earnings,
    )

    def keys(report_date: date, leads: Iterable[int]) -> list[str]:
        moved = request.model_copy(update={"earnings": earnings.model_copy(update={"report_date": report_date})})
        identity = fingerprint(
            moved, settings.model, settings.corpus, settings.out_dir, exclude={"as_of"},
            search=settings.search, prompts=settings.prompts,
        )
        return [f"{company.ticker}:{report_date}:T-{lead}:{identity}" for lead in leads]

    earlier = keys(event.date, range(due.lead + 1, MAX_LEAD_DAYS + 1))
    if event.quarter != DEFAULT_QUARTER:
        for shift in range(1 - SAME_REPORT.days, SAME_REPORT.days):
            earlier += keys(event.date + timedelta(days=shift), settings.lead_days) if shift else []
    return Job(
        key=keys(event.date, [due.lead])[0],
        label=f"{company.ticker} {event.quarter} T-{due.lead} · {short_question(spec.question)}",
        reason=_reason(company, event, due),
        request=request,
        model=settings.model,
        corpus=settings.corpus,
        out_dir=settings.out_dir,
        search=settings.search,
        prompts=settings.prompts,
        templates=settings.templates,
        use_cache=use_cache,
        name=f"{company.ticker} T-{due.lead} {spec.question}",  # several companies may share a question
        origin=event.origin,
        earlier=tuple(earlier),
        deliver=settings.deliver,
    )


def _reason(company: Company, event: EarningsDate, due: Milestone) -> str:
    when = "on the day of" if due.lead == 0 else f"{due.lead} day{'s' if due.lead > 1 else ''} before"
    reason = f"{when} {company.name}'s {event.quarter} earnings on {format_date(event.date)}"
    if due.days_late:
        reason += f"; due {format_date(due.due_on)}, catching up {due.days_late} day{'s' if due.days_late > 1 else ''} late"
    return reason
