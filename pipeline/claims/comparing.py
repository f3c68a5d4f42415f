"""Comparing claims read by ``pipeline.claims.reading``: whether two texts state the same claim, and
whether two figures of one basis disagree (for one period, beyond rounding, neither a bound of the
other) or two texts call one event by opposing names."""

from __future__ import annotations

import math
import re
from datetime import date, timedelta

from pipeline.claims.reading import (
    _DATE_UNIT,
    _DAY_PART,
    _PERIODIC,
    _RELATIVE,
    _WEEKDAYS,
    _WORKLOAD_MEASURES,
    ACTIONS,
    OPPOSED,
    UNNAMED_SEGMENT,
    Claim,
    Fact,
    _clause,
    _same_period,
)
from pipeline.figures import Quantity

_SIMILAR_STATEMENT = 85  # rapidfuzz token_sort_ratio at which two sentences without figures state the same thing
_MIN_SENTENCE = 40

def states_same(claim: Claim, other: Claim) -> bool:
    """Whether ``other`` states ``claim``: the same companies, and the same measure with an equal figure
    (its principal fact), or, for a claim without figures, the same words."""
    fact = claim.principal
    if not claim.companies & other.companies:
        return False
    if fact is not None and fact.owner and fact.owner not in other.companies | other.context:
        return False  # Airbus's 766 deliveries are not Boeing's
    if fact is None:
        return _same_words(claim.text, other.text)
    return any(same_fact(fact, theirs) for theirs in other.facts)


def same_fact(fact: Fact, other: Fact) -> bool:
    """One figure of one measure for one period, in any written form."""
    if not fact.quantity.same_value(other.quantity):
        return False
    if not _same_period(fact.period, other.period):
        return False
    if fact.measures and other.measures:
        return bool(fact.measures & other.measures)
    return fact.quantity.distinctive  # one side names no measure: only a specific figure says it is the same


def _same_words(text: str, other: str) -> bool:
    from rapidfuzz import fuzz

    return len(other) >= _MIN_SENTENCE and fuzz.token_sort_ratio(text, other) >= _SIMILAR_STATEMENT


#: When a source was published, and the year its title is about ("Boeing vs. Airbus: The 2024 Scoreboard").
Published = tuple[date | None, int | None]


def published_as(day: date | None, title: str) -> Published:
    years = {int(y) for y in re.findall(r"\b((?:19|20)\d\d)\b", title)}
    return day, years.pop() if len(years) == 1 else None


def basis(fact: Fact, claim: Claim) -> tuple | None:
    """What a figure is a figure of, in full: whose, which measure, narrowed how, for which period, stated
    by whom, per what, as a level or a change, in which unit. Two figures with one basis and different
    values disagree; a figure without a subject or a named measure has none."""
    measured = measured_basis(fact, claim)
    return None if measured is None else (*measured, fact.period)


def measured_basis(fact: Fact, claim: Claim) -> tuple | None:
    """The basis but for the period: figures that share it may disagree when their periods can be one
    (:func:`differ` says when), so a period one text leaves unsaid does not keep them apart."""
    subject = fact.subject(claim)
    if not subject or not fact.measure or (fact.measure in _WORKLOAD_MEASURES and not fact.names) or fact.scope == UNNAMED_SEGMENT:
        return None
    return (subject, fact.measure, fact.scope, fact.names, fact.stance, fact.per, fact.change, fact.quantity.unit)


def differ(fact: Fact, claim: Claim, other: Fact, theirs: Claim, published: tuple[Published, Published],
           together: bool = False) -> bool:
    """Whether two figures of one basis disagree: values that differ beyond rounding, neither allowed by
    the other's bound, stated by two texts that don't each state both values (a sentence naming both is
    telling a change, not disagreeing), for periods that can be one (:func:`_one_period`; ``together``:
    the two texts report one release, see there)."""
    if not fact.quantity.unit and not fact.quantity.distinctive:
        return False
    if _overlap(fact.quantity, other.quantity) or _within(fact, other) or _within(other, fact) or _close_bounds(fact, other):
        return False
    if _magnitude_slip(fact.quantity, other.quantity):
        return False  # "operating cash flow of $8." beside "$8 billion": a word left out, not another figure
    if any(_states_value(c, f.quantity) for c, f in ((claim, other), (theirs, fact))):
        return False
    if fact.quantity.unit == _DATE_UNIT and abs(fact.quantity.low - other.quantity.low) > _ONE_EVENT_DAYS:
        return False  # a strike that ended in March and one that ended in November are two strikes
    if not _one_period(fact, other, published, together):
        return False
    if _periods_stated(fact, other, published) or (fact.measure not in _FLOWS and not fact.change):
        return True
    (first, _), (second, _) = published
    same_event = not fact.change and bool(first and second and abs((first - second).days) <= _SAME_EVENT_DAYS)
    return _near(fact.quantity, other.quantity, _SAME_EVENT_RATIO if same_event else _NEAR_RATIO)


def _periods_stated(fact: Fact, other: Fact, published: tuple[Published, Published]) -> bool:
    """Whether both texts state the figures' period in full (quarter or year, and year), as one period."""
    mine, theirs = _dated(fact.period, published[0][0]), _dated(other.period, published[1][0])
    return mine is not None and mine == theirs and all(mine)


def _near(a: Quantity, b: Quantity, ratio: float) -> bool:
    """Values close enough to be one figure misreported (495,570 and 495,930 deliveries; 53 and 54 days)
    or estimated by two polls ($3.08 and $1.80 a share): where a text leaves the period unsaid, figures
    far apart are more likely two periods (a quarter's loss and the year's, one quarter's growth and
    another's) than two accounts of one. Levels reported in the same week may be further apart."""
    low, high = sorted((abs(a.low), abs(b.low)))
    return low > 0 and high / low <= ratio


_NEAR_RATIO = 1.25
# Measures that add up over a period, so a quarter's figure is a fraction of the year's: two far apart may be
# two periods. A share, a margin or a price is no bigger for a longer period.
_FLOWS = frozenset({"revenue", "profit", "loss", "deliveries", "orders", "cancellations", "cash", "spending", "production",
                    "funding", "buyback"})
_SAME_EVENT_RATIO = 2.0  # a quarter's figure is about a quarter of the year's


def _one_period(fact: Fact, other: Fact, published: tuple[Published, Published], together: bool = False) -> bool:
    """Whether two figures are for one period. ``published`` says when each source was published and the
    year its title is about. A year named relative to the text ("last year") is the year it names from
    its publication date, and unknown without one. Two periods both texts state in full are one when
    equal. A figure that recurs every period (a quarter's revenue) is compared where neither text states
    its period only when the two were published within weeks of each other or their titles name one year,
    and where only one text states it (or part of it) only when both were published within days, about
    one event: a quarter's revenue is not another quarter's, nor December's orders the year's. Figures
    neither text gives a period for are for one period also where the texts report one release
    (``together``: they give the same figures for it), however little they say of their dates; not where
    one text states a period, as a release gives the quarter's figures and the year's."""
    (first, first_year), (second, second_year) = published
    mine, theirs = _dated(fact.period, first), _dated(other.period, second)
    if mine is None or theirs is None:
        return False
    if mine == theirs and any(mine):
        return True
    if (all(mine) and all(theirs)) or not _same_period(mine, theirs):
        return False
    if fact.measure not in _PERIODIC:
        return True
    if not any(mine) and not any(theirs):  # neither says: reported together, or both titles name one year
        return together or bool(first and second and abs((first - second).days) <= _TOGETHER_DAYS) or bool(
            first_year and first_year == second_year)
    # a period only one text states is the other's only when both report one event, within days of each other
    return bool(first and second and abs((first - second).days) <= _SAME_EVENT_DAYS)


_WEEKDAY_PARTS = tuple(day[:3] for day in _WEEKDAYS)
_TOGETHER_DAYS = 45  # sources published this close report on one period
_ONE_EVENT_DAYS = 31  # two days an event began (or ended) this close date one event
_SAME_EVENT_DAYS = 7  # and this close, on one event (one results release)


def _dated(period: tuple[str, str], published: date | None) -> tuple[str, str] | None:
    """The period with a year named relative to the text resolved from its publication date: "last year"
    in a text of January 2025 is 2024. None where it can't be: no publication date, or "the past six years"."""
    part, year = period
    if part == "LAST-MONTH":
        if published is None:
            return None
        month = (published.replace(day=1) - timedelta(days=1))
        return month.strftime("%b").upper(), str(month.year)
    if part in _WEEKDAY_PARTS:  # "on Wednesday" in a text of Thursday, February 6, 2025: February 5
        if published is None:
            return None
        day = published - timedelta(days=(published.weekday() - _WEEKDAY_PARTS.index(part)) % 7)
        return f"{day.month:02d}-{day.day:02d}", str(day.year)
    if year not in _RELATIVE:
        return period
    if year in ("SEVERAL", "THEN", "EARLIER") or published is None:
        return None
    return part or "FY", str(published.year - (year == "PRIOR"))  # "last year" alone is the full year


_QUARTER_ENDS = {"Q1": (3, 31), "Q2": (6, 30), "Q3": (9, 30), "Q4": (12, 31), "H1": (6, 30), "H2": (12, 31), "FY": (12, 31)}


def period_end(period: tuple[str, str]) -> date | None:
    """The last day of a stated calendar period: ("Q1", "2025") ended March 31, 2025; none where the
    period or its year is unsaid."""
    part, year = period
    if not year.isdigit() or part not in _QUARTER_ENDS:
        return None
    month, day = _QUARTER_ENDS[part]
    return date(int(year), month, day)


def describe(fact: Fact) -> str:
    """The basis in words, for a reader: "net orders in 2024", "MAX deliveries", "revenue in Q4 (analysts' estimates)"."""
    part, year = fact.period
    if part.startswith("M1-"):  # "in the first two months of 2025"
        part = f"the first {part[3:]} months of"
    period = " ".join(p for p in (part, year) if p and p not in _RELATIVE)
    when = " last month" if part == "LAST-MONTH" else f" in {period}" if period else ""
    if (day := _DAY_PART.fullmatch(fact.period[0])) and fact.period[1]:  # a trading day: "on February 5, 2025"
        when = " on " + date(int(fact.period[1]), int(day.group(1)), int(day.group(2))).strftime("%B %-d, %Y")
    elif fact.period[0] in _WEEKDAY_PARTS:
        when = " on " + next(w for w in _WEEKDAYS if w.startswith(fact.period[0]))
    words = [*sorted(name.upper() if len(name) <= 4 else name.title() for name in fact.names), fact.scope, fact.measure]
    text = " ".join(w for w in words if w) + (f" per {fact.per}" if fact.per else "") + when
    stance = {"estimate": " (analysts' estimates)", "guidance": " (guidance)", "revised guidance": " (revised guidance)"}.get(fact.stance, "")
    return text + (" (change)" if fact.change else "") + stance


def opposed_accounts(claim: Claim, other: Claim) -> tuple[str, str] | None:
    """The opposing names two texts give one event (an acquisition against a licensing agreement), if
    they do: the same companies, an equal distinctive figure or the same day, and each text using one
    name of an opposed pair."""
    if not claim.companies or claim.companies != other.companies:
        return None
    opposed = next((pair for pair in OPPOSED if _opposed(claim, other, pair)), None)
    if opposed is None or not _same_event(claim, other):
        return None
    if opposed == _DIRECTION and not _same_change(claim, other):
        return None  # operating income fell while the shares rose: two measures, not two accounts
    mine = next(iter(opposed & claim.actions))
    return mine, next(iter(opposed - {mine}))


_DIRECTION = frozenset({"growth", "decline"})


def _same_change(claim: Claim, other: Claim) -> bool:
    """Both texts state one change of one measure in opposite directions, each in the figure's own clause:
    revenue "rose 5%" in one, "fell 5%" in the other (not "net income dropped 41%, despite a 9.1% revenue
    increase")."""
    return any(f.change and g.change and f.measure and f.measure == g.measure and f.quantity.same_value(g.quantity)
               and {_direction(claim, f), _direction(other, g)} == _DIRECTION
               for f in claim.facts for g in other.facts)


# The reader's verbs of growth and decline, with the nouns and adverbs a change is also told with.
_UP = re.compile(rf"(?i)\b(?:{ACTIONS['growth']}|up|rise|rising|growth|increases?|jump|climb|surges?|gain|higher)\b")
_DOWN = re.compile(rf"(?i)\b(?:{ACTIONS['decline']}|down|fall|falling|decline|decreases?|drop|slump|shrunk|lower|plunge)\b")


def _direction(claim: Claim, fact: Fact) -> str:
    """Which way the clause stating a change says it went: "growth", "decline", or "" where it says both or neither."""
    start, end = _clause(claim.text, fact.quantity)
    clause = claim.text[start:end]
    up, down = bool(_UP.search(clause)), bool(_DOWN.search(clause))
    return "growth" if up and not down else "decline" if down and not up else ""


_ROUNDED_STEP = 1000.0  # the precision of a figure written with a magnitude word: "$3.8 billion" (0.1 billion)


def _overlap(a: Quantity, b: Quantity) -> bool:
    """The same value within the precision of the rougher one ($3.8 billion against $3,861 million), or a
    value inside the other's range ($120 within $115-$125); two different ranges are two statements."""
    if _separator_variant(a, b) or _separator_variant(b, a):
        return True
    step = max(a.step, b.step)
    near = step * 1.0001  # floating point: 3.08 - 3.07 is a hair over 0.01
    # "$3.8 billion" for $3,861 million, or against "$3.9 billion" (a figure with a magnitude word is
    # rounded by one writer and cut short by another); but 25% is not 26%, nor 766 deliveries 767
    truncated = a.step != b.step or a.step >= _ROUNDED_STEP
    if a.same_value(b) or (truncated and a.unit == b.unit and abs(a.low - b.low) <= near and abs(a.high - b.high) <= near
                           and a.low >= 10 * step):
        return True
    a_step, b_step = _precision(a), _precision(b)
    if a_step != b_step and a.unit == b.unit and a.low == a.high and b.low == b.high:
        coarse, fine = (a, b) if a_step > b_step else (b, a)
        step = max(a_step, b_step)
        cut_short = not a.unit and 0 <= fine.low - coarse.low < step  # a count cut short: 336,681 deliveries as "336,000"
        if abs(coarse.low - fine.low) <= step / 2 * 1.0001 or cut_short:
            return True  # the finer figure rounded: 1.1% is "about 1%", 2.3% a "2%" rise
    point, span = (a, b) if a.low == a.high else (b, a)
    return point.low == point.high and span.low <= point.low <= span.high


def _magnitude_slip(a: Quantity, b: Quantity) -> bool:
    """One value written without the thousand, million or billion the other has: the same figure with
    its magnitude word lost, as on a page that prints "$8." for $8 billion."""
    bare, scaled = sorted((a, b), key=lambda q: q.step)
    if bare.step > 1 or scaled.step < 1e3 or bare.low <= 0:
        return False
    return any(math.isclose(bare.low * magnitude, scaled.low, rel_tol=1e-9) for magnitude in (1e3, 1e6, 1e9, 1e12))


def _precision(quantity: Quantity) -> float:
    """The step a figure is written to, counting a count's trailing zeros as rounding: "336,000"
    deliveries is 336 thousand, to the thousand; "484,500" is to the hundred."""
    digits = re.sub(r"\D", "", quantity.text.split(".")[0]) if "." not in quantity.text else ""
    significant = digits.rstrip("0")
    zeros = len(digits) - len(significant)
    if len(significant) < 2:  # "1,000" or "300,000" jobs: too round to say it rounds another figure
        return quantity.step
    return quantity.step * 10 ** zeros if zeros >= 3 or (zeros == 2 and len(digits) >= 4) else quantity.step


def _separator_variant(a: Quantity, b: Quantity) -> bool:
    """``a`` is ``b`` written with a point between its thousands, as much of Europe writes it: "8.658
    aircraft" is 8,658. Only a bare count with exactly three digits after its point reads so."""
    return (not a.unit and not b.unit and re.fullmatch(r"\d{1,3}(?:\.\d{3})+", a.text.strip()) is not None
            and math.isclose(a.low * 1000 ** a.text.count("."), b.low, rel_tol=1e-9))


def _within(bound: Fact, value: Fact) -> bool:
    """A value a bound allows: 602 deliveries are "over 600"; two bounds (over $10 billion, more than
    $20 billion) are two statements."""
    if bound.bound == "about":  # "approximately 8,700" allows 8,658: within 5%
        return abs(value.quantity.low - bound.quantity.low) <= 0.05 * bound.quantity.low
    if not bound.bound or value.bound:
        return False
    return value.quantity.low >= bound.quantity.low if bound.bound == "over" else value.quantity.high <= bound.quantity.high


def _close_bounds(fact: Fact, other: Fact) -> bool:
    """Two bounds the same way and near each other ("more than 32,000" and "more than 33,000 workers")
    can both hold; "over $10 billion" against "more than $20 billion" says two sizes. Opposite bounds hold
    together where they leave a value between them: "at least $225 million" and "less than $450 million"."""
    if {fact.bound, other.bound} == {"over", "under"}:
        over, under = (fact, other) if fact.bound == "over" else (other, fact)
        return over.quantity.low < under.quantity.high
    if not fact.bound or fact.bound != other.bound or fact.bound == "about":
        return False
    low, high = sorted((fact.quantity.low, other.quantity.low))
    return low > 0 and high / low < _FAR_APART


_FAR_APART = 1.5  # bounds this far apart state different sizes


def _states_value(claim: Claim, quantity: Quantity) -> bool:
    return any(f.quantity.same_value(quantity) for f in claim.facts)


def _opposed(claim: Claim, other: Claim, pair: frozenset[str]) -> bool:
    """Each text uses one name of the pair and not the other."""
    mine, theirs = pair & claim.actions, pair & other.actions
    return len(mine) == len(theirs) == 1 and mine != theirs


def _same_event(claim: Claim, other: Claim) -> bool:
    """Two texts about the same event: an equal distinctive figure, or the same stated day."""
    if any(f.quantity.distinctive and _states_value(other, f.quantity) for f in claim.facts):
        return True
    return bool(set(claim.dates) & set(other.dates))
