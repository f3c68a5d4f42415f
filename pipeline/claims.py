"""Claims: what a sentence states, read so that two texts can be compared fact by fact.

A claim is one sentence's statement about the question's companies: the companies it names, what it
measures (a deal's value, revenue, market share…) with its figures, what it says happened (an
acquisition, a licensing agreement…) and the event's date where the text states it. A sentence that
packs two facts (an IPO's size and the valuation it implies) holds one :class:`Fact` for each, and a
passage corroborates each of them separately.

Two texts state the same claim when they name the same companies and the same measure with equal
figures in any written form ($20B = $20 billion = 20 billion dollars); a small figure (5%, 10x) must
also name the same measure. Without figures they must state it in near-identical words. The same
measure with different figures, or the same event called by opposing names (acquired / licensed), is a
conflict.

What it cannot read: meaning beyond these words. A figure stated for a company two sentences away, a
measure named by a word outside the lexicon below, or a paraphrase of a claim without figures is not
matched; the report says what Consensus counts so a reader can weigh that.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from pipeline.entities import mention_pattern
from pipeline.figures import Quantity, extract, quantities
from pipeline.text import sentence_spans

#: What a figure measures, by the words its clause uses; one figure may measure two ("a deal valued at").
MEASURES: dict[str, str] = {
    "market share": r"market[- ]share|share of (?:the )?(?:[\w-]+ )?market|of (?:the )?(?:[\w-]+ )?market\b",
    "deal": r"deals?|agreements?|contracts?|pacts?|transactions?|licens\w*|acqui\w*|buy(?:s|ing|out)?|bought|"
            r"purchas\w*|takeover|merger|pa(?:y|ys|id|ying)|commitments?|orders?",
    "valuation": r"valu(?:ation|ed|ing|es)|market (?:cap\w*|value)",
    "revenue": r"revenues?|sales|turnover|top line|bookings",
    "profit": r"profits?|net income|earnings per share|eps|ebitda|operating income|net loss|losses",
    "margin": r"margins?",
    "funding": r"rais(?:e|ed|es|ing)|funding|financing|funding round|series [a-h]|invest(?:s|ed|ing|ment|ments)?|stakes?",
    "offering": r"ipo|initial public offering|offering|listing",
    "guidance": r"guidance|forecasts?|forecasted|outlook|expects?|projected|projections?",
    "price": r"prices?|priced|pricing|costs?|fees?",
    "capacity": r"capacity|gigawatts?|megawatts?",
    "spending": r"capex|capital expenditures?|spend(?:s|ing)?|budgets?",
    "users": r"users|customers|subscribers|patients|clients|prescriptions",
    "employees": r"employees|staff|jobs|headcount|layoffs|workers",
    "speed": r"speed|throughput|faster|latency|tokens per second",
    "stock": r"shares (?:rose|fell|jumped|dropped|climbed|slid|gained|lost)|stock|share price",
}
_MEASURE_WORDS = {name: re.compile(rf"(?i)\b(?:{words})\b") for name, words in MEASURES.items()}
#: A unit that says on its own what is measured.
_UNIT_MEASURES = {"tokens/s": "speed", "GW": "capacity", "MW": "capacity", "kW": "capacity"}
#: Measures that recur every period (a quarter's revenue): two values are one claim only for one period.
_PERIODIC = frozenset({"revenue", "profit", "margin", "market share", "guidance", "users", "employees", "stock",
                       "spending", "price"})
#: What a text says happened; two texts that call one event by opposing names disagree.
ACTIONS: dict[str, str] = {
    "acquisition": r"acquir(?:e|ed|es|ing)|acquisition|bought|buys|buyout|takeover|took over|purchased",
    "licensing": r"licens(?:e|ed|es|ing)|non-exclusive",
    "investment": r"invest(?:ed|s|ment|ing)|minority stake",
    "growth": r"rose|grew|increased|jumped|climbed|surged|gained",
    "decline": r"fell|declined|decreased|dropped|slid|slumped|shrank|plunged",
    "approval": r"approved|cleared|granted approval",
    "rejection": r"rejected|denied|blocked",
    "beat": r"beat|topped|exceeded|surpassed",
    "miss": r"missed|fell short",
}
_ACTION_WORDS = {name: re.compile(rf"(?i)\b(?:{words})\b") for name, words in ACTIONS.items()}
#: Names of one event that exclude each other: a company acquired was not merely licensed.
OPPOSED = (
    frozenset({"acquisition", "licensing"}), frozenset({"acquisition", "investment"}),
    frozenset({"growth", "decline"}), frozenset({"approval", "rejection"}), frozenset({"beat", "miss"}),
)
# Separates the parts of a sentence that can be about different things (not the comma in 2,522).
_CLAUSE_BREAK = re.compile(r"(?i),(?!\d)|;|:\s|\(|\)|\s(?:while|whereas|but|and|versus|vs\.?|against|compared (?:with|to))\s")
# The period a figure is for: a quarter or half, and a (fiscal) year.
_QUARTER = re.compile(r"(?i)\b(?:Q([1-4])|([1-4])Q|(first|second|third|fourth) quarter|H([12])|(first|second) half)\b")
_YEAR_OF = re.compile(r"(?i)\b(?:FY\s?'?(\d{2}(?:\d{2})?)|fiscal(?: year)?\s(?:(?:19|20)?(\d{2}))|((?:19|20)\d\d))\b")
_ORDINALS = {"first": "1", "second": "2", "third": "3", "fourth": "4"}
_SCOPE_SKIP = frozenset(
    "a an the its their his her our this that these those of for in on at by with to from per total overall "
    "reported quarterly annual yearly record new".split()
)
_SIMILAR_STATEMENT = 85  # rapidfuzz token_sort_ratio at which two sentences without figures state the same thing
_MIN_SENTENCE = 40


@dataclass(frozen=True)
class Fact:
    """One figure a claim states, with what it measures, the scope of the measure ("data center"
    revenue) and the period it is for, where the clause says."""

    quantity: Quantity
    measures: frozenset[str]
    scope: str = ""
    period: tuple[str, str] = ("", "")  # (quarter or half, year) as far as the clause says: ("Q3", "2025")
    owner: str | None = None  # the company the figure is stated for: "Groq has 3%, while Nvidia holds 80%"

    @property
    def text(self) -> str:
        return self.quantity.text


@dataclass(frozen=True)
class Claim:
    """What one sentence of a passage states about the question's companies."""

    text: str
    start: int
    end: int
    companies: frozenset[str]
    facts: tuple[Fact, ...]
    actions: frozenset[str]
    dates: tuple[date, ...] = field(default=())  # the days or months it dates things to, as the text states
    context: frozenset[str] = field(default=frozenset())  # companies the passage names around it

    @property
    def principal(self) -> Fact | None:
        """The fact the claim is about: its first measured figure that names its measure, else its first
        distinctive one, else its first."""
        return next((f for f in self.facts if f.measures), None) or next(
            (f for f in self.facts if f.quantity.distinctive), None
        ) or (self.facts[0] if self.facts else None)

    def event_date(self, before: date) -> date | None:
        """The day (or month) the text dates the event to: the latest it states up to ``before``, so a
        deal "expected to close in March 2027" is not dated by its closing."""
        past = [day for day in self.dates if day <= before]
        return max(past) if past else None


def read_claims(text: str, companies: Iterable[str]) -> list[Claim]:
    """The claims of every sentence of ``text`` that names one of ``companies`` (or follows one that did),
    in reading order; ``companies`` are the question's."""
    return list(_read_claims(text, tuple(companies)))


@lru_cache(maxsize=8192)
def _read_claims(text: str, companies: tuple[str, ...]) -> tuple[Claim, ...]:
    named_in_passage = frozenset(c for c in companies if mention_pattern(c).search(text))
    claims: list[Claim] = []
    previous: frozenset[str] = frozenset()
    for span in sentence_spans(text):
        sentence = text[span.start : span.end]
        named = frozenset(c for c in companies if mention_pattern(c).search(sentence))
        about = named or previous  # "Its revenue rose 40%": the company the passage was just about
        previous = named
        if not about and companies:
            continue
        claims.append(Claim(
            text=sentence, start=span.start, end=span.end, companies=about, facts=_facts(sentence, companies),
            actions=frozenset(name for name, words in _ACTION_WORDS.items() if words.search(sentence)),
            dates=_dates(sentence), context=named_in_passage,
        ))
    return tuple(claims)


def _facts(sentence: str, companies: tuple[str, ...]) -> tuple[Fact, ...]:
    facts: list[Fact] = []
    for quantity in quantities(sentence):
        if not quantity.measured:
            continue
        start, end = _clause(sentence, quantity)
        clause = sentence[start:end]
        measures = {name for name, words in _MEASURE_WORDS.items() if words.search(clause)}
        if quantity.unit in _UNIT_MEASURES:
            measures.add(_UNIT_MEASURES[quantity.unit])
        if "market share" in measures:
            measures.discard("stock")
        owner = _owner(sentence, quantity.start - start, clause, start, companies)
        facts.append(Fact(quantity, frozenset(measures), _scope(clause, measures), _period(clause), owner))
    return tuple(facts)


def _clause(sentence: str, quantity: Quantity) -> tuple[int, int]:
    """Where the part of the sentence the quantity is stated in starts and ends."""
    breaks = [0, *(m.start() for m in _CLAUSE_BREAK.finditer(sentence)), len(sentence)]
    start = max(b for b in breaks if b <= quantity.start)
    end = min((b for b in breaks if b >= quantity.end), default=len(sentence))
    return start, end


def _owner(sentence: str, at: int, clause: str, start: int, companies: tuple[str, ...]) -> str | None:
    """The company a figure is stated for: the one named last before it in its clause, else the first
    named after it there, else the one the sentence named last before the clause."""
    named = sorted((m.start(), c) for c in companies for m in mention_pattern(c).finditer(clause))
    before = [c for position, c in named if position < at]
    after = [c for position, c in named if position > at]
    if before or after:
        return before[-1] if before else after[0]
    earlier = sorted((m.start(), c) for c in companies for m in mention_pattern(c).finditer(sentence[:start]))
    return earlier[-1][1] if earlier else None


#: Measures a segment word narrows ("data center revenue", "U.S. sales"); other measures have no scope.
_SCOPED = frozenset({"revenue", "profit", "margin", "market share", "users", "spending"})


def _scope(clause: str, measures: set[str]) -> str:
    """The words narrowing a measure right before its name: "data center" in "data center revenue"."""
    for name in sorted(measures & _SCOPED):
        found = _MEASURE_WORDS[name].search(clause)
        if found is None:
            continue
        words: list[str] = []
        for word in reversed(clause[: found.start()].split()[-2:]):
            if not re.fullmatch(r"[a-z][a-z-]{2,}", word) or word in _SCOPE_SKIP:
                break  # a figure, a name, a possessive or an article ends the narrowing words
            words.insert(0, word)
        return " ".join(words)
    return ""


def _period(clause: str) -> tuple[str, str]:
    """The quarter (or half) and year a figure is for, in one notation: "third quarter of fiscal 2025",
    "Q3 FY25" and "3Q 2025" are all ("Q3", "2025")."""
    quarter = _QUARTER.search(clause)
    part = ""
    if quarter:
        q1, q2, q_word, h, h_word = quarter.groups()
        part = f"Q{q1 or q2 or _ORDINALS.get((q_word or '').lower(), '')}" if (q1 or q2 or q_word) else f"H{h or _ORDINALS[(h_word or '').lower()]}"
    year = _YEAR_OF.search(clause)
    digits = next((g for g in year.groups() if g), "") if year else ""
    return part, ("20" + digits if len(digits) == 2 else digits)


def _same_period(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Periods that don't exclude each other: each part is the same wherever both texts state it."""
    return all(x == y or not x or not y for x, y in zip(a, b))


def _dates(sentence: str) -> tuple[date, ...]:
    """The days and months the sentence names with a year ("December 24, 2025", "in May 2026")."""
    days = []
    for figure in extract(sentence):
        if figure.kind == "date" and figure.date and figure.date[0]:
            year, month, day = figure.date
            try:
                days.append(date(year, month, day or 1))
            except ValueError:  # "February 30, 2026": no such day
                continue
    return tuple(days)


# --- comparing claims -------------------------------------------------------------------------------


def states_same(claim: Claim, other: Claim) -> bool:
    """Whether ``other`` states ``claim``: the same companies, and the same measure with an equal figure
    (its principal fact), or, for a claim without figures, the same words."""
    if not claim.companies <= (other.companies | other.context) or not claim.companies & other.companies:
        return False
    fact = claim.principal
    if fact is None:
        return _same_words(claim.text, other.text)
    return any(_same_fact(fact, theirs) for theirs in other.facts)


def _same_fact(fact: Fact, other: Fact) -> bool:
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


@dataclass(frozen=True)
class Disagreement:
    """Two claims about the same companies that cannot both be right as written: the same measure with
    different figures, or one event under opposing names."""

    kind: str  # "figures" or "characterization"
    topic: str  # what they disagree about: "the deal value", "market share", "acquisition or licensing"
    first: Claim
    second: Claim
    first_says: str  # the figure or the name each side gives
    second_says: str


def disagreement(claim: Claim, other: Claim, *, published: tuple[date | None, date | None] = (None, None)) -> Disagreement | None:
    """How ``other`` contradicts ``claim``, if it does. ``published`` are the two sources' dates: a
    periodic measure (a quarter's revenue) is compared only for one period, stated or implied by sources
    published within weeks of each other."""
    if not claim.companies or claim.companies != other.companies:
        return None
    for fact in claim.facts:
        for theirs in other.facts:
            if _differ(fact, theirs, claim, other, published):
                measure = sorted(fact.measures & theirs.measures)[0]
                period = " ".join(part for part in fact.period if part)
                topic = f"{fact.scope + ' ' if fact.scope else ''}{measure}{' in ' + period if period else ''}"
                return Disagreement("figures", topic, claim, other, fact.text, theirs.text)
    opposed = next((pair for pair in OPPOSED if _names(claim, other, pair)), None)
    if opposed is not None and _same_event(claim, other):
        mine = next(iter(opposed & claim.actions))
        return Disagreement("characterization", " or ".join(sorted(opposed)), claim, other, mine, next(iter(opposed - {mine})))
    return None


def _differ(fact: Fact, other: Fact, claim: Claim, theirs: Claim, published: tuple[date | None, date | None]) -> bool:
    """The same measure, scope, unit and period, with values that differ beyond rounding, stated by two
    texts that don't each state both values (a sentence naming both is telling a change, not disagreeing)."""
    shared = fact.measures & other.measures
    if not shared or fact.scope != other.scope or fact.period != other.period:
        return False
    if fact.owner and other.owner and fact.owner != other.owner and "deal" not in shared:
        return False  # Groq's share against NVIDIA's
    if fact.quantity.unit != other.quantity.unit or fact.quantity.per != other.quantity.per or not fact.quantity.unit and not fact.quantity.distinctive:
        return False
    if _overlap(fact.quantity, other.quantity):
        return False
    if any(_states_value(c, f.quantity) for c, f in ((claim, other), (theirs, fact))):
        return False
    first, second = published
    if shared <= _PERIODIC and not any(fact.period) and first and second and abs((first - second).days) > 45:
        return False  # a quarter's revenue against another quarter's
    return True


def _overlap(a: Quantity, b: Quantity) -> bool:
    """The same value within rounding (3.4 against 3.38), or one inside the other's range."""
    if a.low <= b.high and b.low <= a.high:
        return True
    middle_a, middle_b = (a.low + a.high) / 2, (b.low + b.high) / 2
    return math.isclose(middle_a, middle_b, rel_tol=0.02)


def _states_value(claim: Claim, quantity: Quantity) -> bool:
    return any(f.quantity.same_value(quantity) for f in claim.facts)


def _names(claim: Claim, other: Claim, pair: frozenset[str]) -> bool:
    """Each text uses one name of the pair and not the other."""
    mine, theirs = pair & claim.actions, pair & other.actions
    return len(mine) == len(theirs) == 1 and mine != theirs


def _same_event(claim: Claim, other: Claim) -> bool:
    """Two texts about the same event: an equal distinctive figure, or the same stated day."""
    if any(f.quantity.distinctive and _states_value(other, f.quantity) for f in claim.facts):
        return True
    return bool(set(claim.dates) & set(other.dates))
