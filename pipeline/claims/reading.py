"""Reading a sentence into its claims: the companies it is about, each figure's measure, scope, period and
stance, what it says happened and the days it names. ``pipeline.claims.comparing`` weighs two claims read
here against each other; the package's docstring says what a claim is."""


from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Literal

from pipeline.entities import mention_pattern
from pipeline.figures import CURRENCY_CODES, Quantity, extract, quantities
from pipeline.text import sentence_spans

#: What a figure measures, by the words its clause uses; one figure may measure two ("a deal valued at").
MEASURES: dict[str, str] = {
    "market share": r"market[- ]share|share of (?:the )?(?:[\w-]+ )?market|of (?:the )?(?:[\w-]+ )?market\b",
    "deal": r"deals?|agreements?|contracts?|pacts?|transactions?|licens\w*|acqui\w*|buy(?:s|ing|out)?|bought|"
            r"purchas\w*|takeover|merger|pa(?:y|ys|id|ying)(?! (?:members?|membership|subscri\w+|users|customers|accounts))|commitments?",
    "orders": r"orders?|bookings|order intake",
    "cancellations": r"cancell?ations?|cancell?ed",
    "backlog": r"backlog|order book|on order",
    "valuation": r"valu(?:ation|ed|ing|es)|market (?:cap\w*|value)",
    "revenue": r"revenues?|sales|turnover|top line",
    "profit": r"profits?(?![- ]sharing)|net income|earnings|eps|ebitda|ebit|ebit-adjusted|operating income",
    "loss": r"(?:net |operating |core )?loss(?:es)?|losing|lost|shortfall|deficit",
    "cash": r"cash flow|cash burn|burned|cash",
    "wages": r"wages?|pay (?:rise|raise|increase)|raises?|salar(?:y|ies)|compensation",
    "dividend": r"dividends?|payouts?",
    "buyback": r"buybacks?|(?:share |stock )?repurchases?|repurchase program",
    "margin": r"margins?",
    "funding": r"(?<!pay )(?:rais(?:ed|ing)|raises(?! of)|(?<=to )raise)|funding|financing|funding round|series [a-h]|invest(?:s|ed|ing|ment|ments)?",
    "stake": r"stakes?|holdings?",
    "offering": r"ipo|initial public offering|offering|listing",
    "price": r"prices?|priced|pricing|costs?|fees?",
    "capacity": r"capacity|gigawatts?|megawatts?",
    "spending": r"capex|capital expenditures?|spend(?:s|ing)?|budgets?",
    "users": r"users|customers|subscribers|subscriptions|(?<!union )members(?:hips?)?|patients|clients|prescriptions",
    "employees": r"employees|staff|jobs|headcount|layoffs|workers|machinists|union members",
    "speed": r"speed|throughput|faster|latency|tokens per second",
    "production": r"production|produced|producing|output|built|manufactured",
    "deliveries": r"(?:EV|vehicle|car|unit|passenger[- ]vehicle|aircraft|jet|phone|smartphone|device)s?(?: \(\w+\))? sales|"
                  r"deliver(?:y|ies|ed|s|ing)?|handed over|handovers?|shipments?|shipped|units sold",
    "stock": r"shares (?:\w+ )?(?:rose|fell|jumped|dropped|climbed|slid|gained|lost|surged?|soared|sank|tumbled|rallied|"
             r"plunged|slumped|closed|opened|traded|were (?:up|down))|stock|share price",
}
#: What a bare number counts ("766 aircraft", "33,000 machinists"): a measure only when the clause names
#: no other, so 826 orders *for aircraft* and 766 aircraft *delivered* are not one measure.
COUNTED: dict[str, str] = {
    "aircraft": r"aircraft|airplanes?|planes?|jets?|jetliners?|widebod(?:y|ies)|narrowbod(?:y|ies)",
    "people": r"people|persons|members",
    "vehicles": r"cars|vehicles|units|trucks",
}
_MEASURE_WORDS = {name: re.compile(rf"(?i)\b(?:{words})\b") for name, words in (MEASURES | COUNTED).items()}
# Who stated a figure: analysts' expectations and a company's own guidance are not what it reported.
_ESTIMATE = re.compile(
    r"(?i)\b(?:analysts?|consensus|estimat\w*|polled|wall street|factset|lseg|refinitiv|zacks|visible alpha|expected|expectations?)\b"
)
_ESTIMATED_AFTER = re.compile(r"(?i)^[^.;]{0,20}?\b(?:(?:that|which) )?(?:analysts?|wall street|the market|investors)"
                             r"(?: had| had been| was| were)? (?:expected|expecting|estimated|forecast|projected|looking for)"
                             r"|^\s*(?:expected|estimated|forecast|predicted|projected|anticipated) by|^\s*(?:expected|estimated|forecast)\W*$")
# A figure one side asked for or offered, not what was agreed or reported: "had demanded a 40% pay increase".
_PROPOSED = re.compile(r"(?i)\b(?:demand\w*|propos\w*|offer\w*|sought|seeking|asked for|bid)\b")
# A figure a text says would have been needed, not one that happened: "would have needed to deliver at least 515,000".
_REVISED = re.compile(r"(?i)\b(?:raised|raises|lifted|lifts|boosted|cut|cuts|lowered|lowers|trimmed|trims|revised|revises|narrowed)\b")
_CONDITION = re.compile(r"(?i)\b(?:would have(?: needed| had)?|would need|needed to|need to|had to|to achieve|to mark)\b")
_GUIDANCE = re.compile(
    r"(?i)\b(?:guidance|guides?|guided|outlook|forecast\w*|targets?|targeting|expects?|projects?|projected|sees|anticipates?|"
    r"predict\w*|goal|plans?|aims?|aiming|pledged?|vow(?:s|ed)?|promised?|intends?)\b"
)
#: A unit that says on its own what is measured.
_UNIT_MEASURES = {"tokens/s": "speed", "GW": "capacity", "MW": "capacity", "kW": "capacity"}
#: Measures that recur every period (a quarter's revenue): two values are one claim only for one period.
#: Measures counted in units, never in money.
_COUNTS = frozenset({"employees", "users", "deliveries", "orders", "cancellations", "backlog", "production"})
_PERIODIC = frozenset({"valuation", "funding", "stake", "production", "dividend", "buyback",
                       "revenue", "profit", "loss", "cancellations", "margin", "market share", "users", "stock", "spending", "price", "orders",
                       "deliveries", "backlog", "cash", "capacity", "duration"})
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
# Separates the parts of a sentence that can be about different things (not the comma in 2,522; a dash
# setting off an aside, not one joining a range: "$58bn–$61bn").
# A figure in parentheses alone is an accountant's negative, "a loss per share of ($5.46)", not an aside
# (one with its magnitude outside, "($4.1) billion", is left as it was: the figure reader misses the magnitude).
_CLAUSE_BREAK = re.compile(r"(?i),(?!\d)|;|:\s|—|\s–\s|\((?![$€£]?\d[\d,.]*\)(?!\s?(?:[mb]illion|bn|mn)))|(?<![\d])\)|\s(?:while|whereas|but|and|versus|vs\.?|against|"
                           r"compared (?:with|to))\s")
# The period a figure is for: a quarter or half, and a (fiscal) year.
_QUARTER = re.compile(
    r"(?i)\b(?:Q([1-4])|([1-4])Q|(first|second|third|fourth|final) quarter|H([12])|(first|second) half|((?:last|final) three months of)"
    r"|(full[- ]year|annual|for the year|fiscal year))\b".replace(" quarter", "[- ]quarter")
)
_YEAR_OF = re.compile(r"(?i)\b(?:FY\s?'?(\d{2}(?:\d{2})?)|fiscal(?: year)?\s(?:(?:19|20)?(\d{2}))|((?:19|20)\d\d))\b")
# A year a figure is compared with, not the year it is for: "grew 32% over 2023 to $45 billion".
_COMPARED_WITH = re.compile(r"(?i)\b(?:over|from|than|versus|vs\.?|compared (?:with|to)|against|since)\s+(?:the\s+)?"
                            r"(?:same (?:month|quarter|period) (?:in|of)\s+)?$")
# Words that set a figure against the one it is compared with: "down from", "compared with".
_BASE_WORDS = r"(?:from|than|versus|vs\.?|compared (?:with|to)|against)"
_BASE_YEAR = re.compile(rf"(?i)\b{_BASE_WORDS}\s+(?:the\s+)?(?:[$€£]?\d[\d.,]*(?:\s*[a-z%]+){{0,2}}\s+in\s+)?"
                        r"(?:(?:Q[1-4]|[1-4]Q|(?:first|second|third|fourth|final)[- ]quarter)\s+(?:of\s+)?)?"
                        r"(?:fiscal\s+(?:year\s+)?|FY\s?)?(?:19|20)\d\d\b")
# A figure a change is measured from: "down from 1,456 orders last year", "compared with a loss of $526 million".
_BASE_BEFORE = re.compile(rf"(?i)\b{_BASE_WORDS}\s+(?:[\w-]+\s+){{0,3}}$")
_ORDINALS = {"first": "1", "second": "2", "third": "3", "fourth": "4", "final": "4"}
# A year named relative to when the text was written: its year is known only from the publication date.
_RELATIVE_YEAR = re.compile(
    r"(?i)\b(?:(?P<PRIOR>last year|previous year|prior year|prior-year|a year earlier|year-ago|a year ago|"
    r"(?:previous|prior) corresponding period|corresponding (?:period|quarter) (?:of )?(?:last|the previous|the prior|a) year|year-earlier period|same (?:period|quarter) (?:of |a |last )?(?:the previous )?year)|(?P<CURRENT>this year|"
    r"the current year)|(?P<SEVERAL>(?:past|last|previous) (?:\w+ )?years|since (?:19|20)\d\d|accumulated|cumulative)"
    r"|(?P<THEN>(?:the same|that|this) (?:period|quarter)(?! (?:of |a |last )?(?:the previous )?year| a year)|(?:the )?(?:prior|previous|"
    r"preceding) quarter))\b"
)
# A year named relative to the text; "THEN" is a period named by pointing back ("in the same period"): some
# other sentence's, unknown here, so its figure is compared with none. "EARLIER" is the year before the
# period the sentence states ("$1.8 billion in Q4 2024, against a loss of $526 million a year earlier"):
# the reader resolves it from that period, or makes it "THEN" where the sentence states none.
_RELATIVE = frozenset({"PRIOR", "CURRENT", "SEVERAL", "THEN", "EARLIER"})
_MONTH_PERIOD = re.compile(r"\b(?i:in|during|for|of|by|through|end|end of)[\s-]+(January|February|March|April|May|June|July|August|September|October|"
                           r"November|December)\b(?!\s+\d{1,2}\b)")
_MONTHS_SPAN = re.compile(r"(?i)\b(?:(last|previous|past) month|first (two|three|four|five|six|seven|eight|nine|ten|eleven|\d{1,2})"
                          r"[- ]months|(three|six|nine|\d{1,2}) months (?:to|ended|ending|through))\b")
_MONTHS_AS_PART = {"three": "Q1", "3": "Q1", "six": "H1", "6": "H1"}  # "the first six months" is the first half
_NET_OF = re.compile(r"(?i)\bafter (?:cancellations|returns|conversions)\b|\bnet of\b")
# Words that make a measure another measure: net orders are not gross orders.
# ("reported" is not one: "Acme reported revenue of…" is the verb, and reported is what an unqualified figure is.)
_QUALIFIERS = frozenset(
    "gross net adjusted core operating underlying organic comparable diluted basic non-gaap gaap free "
    "recurring pre-tax after-tax unadjusted".split()
)


@dataclass(frozen=True)
class Fact:
    """One figure a claim states, with what it measures, the scope of the measure ("data center"
    revenue) and the period it is for, where the clause says."""

    quantity: Quantity
    measures: frozenset[str]
    scope: str = ""
    period: tuple[str, str] = ("", "")  # (quarter or half, year) as far as the clause says: ("Q3", "2025")
    owner: str | None = None  # the company the figure is stated for: "Groq has 3%, while Nvidia holds 80%"
    stance: str = ""  # "estimate" (analysts'), "guidance" (the company's outlook) or "" (reported)
    names: frozenset[str] = frozenset()  # other names narrowing it: "Mounjaro" sales, "737 Max" deliveries
    measure: str = ""  # the measure named nearest the figure: what it is a figure of
    per: str = ""  # what it is per: "share" in "a loss per share of $5.46" as in "$5.46 per share"
    bound: str = ""  # "over" ("more than 130"), "under" ("less than 5%"), "about" ("approximately 8,700")
    change: bool = False  # a difference ("180 fewer", "up 14%"), not a level
    # "The company delivered 348 planes, against Airbus's 766": a clause naming its subject by a
    # phrase in a sentence that names another company; whose figure it is can't be told
    referred: bool = False

    def subject(self, claim: Claim) -> frozenset[str] | None:
        """Whose figure it is: its owner, both parties of a deal, or the one company its sentence names;
        none when its sentence names several and its clause none."""
        if "deal" in self.measures and len(claim.companies) > 1:
            return claim.companies
        if self.referred:
            return None
        if self.owner:
            return frozenset({self.owner})
        return claim.companies if len(claim.companies) == 1 else None

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
    dates: tuple[date, ...] = field(default=())  # the days it dates things to, as the text states them
    context: frozenset[str] = field(default=frozenset())  # companies the passage names around it
    # where its companies come from when the sentence doesn't name them: "before" (a sentence before it
    # named them) or "title" (the document's title names one); "" where it names them itself
    subject_from: Literal["", "before", "title"] = ""

    @property
    def principal(self) -> Fact | None:
        """The fact the claim is about: the first that names its measure with a specific figure and states
        a level rather than a change ("to $3.53 billion" over "jumped 60%"), else the first naming its
        measure, else the first specific one, else the first."""
        choices = (
            lambda f: f.measures and f.quantity.distinctive and not f.change,
            lambda f: bool(f.measures),
            lambda f: f.quantity.distinctive,
            lambda f: True,
        )
        return next((f for rule in choices for f in self.facts if rule(f)), None)

    def event_date(self, before: date) -> date | None:
        """The day the text dates the event to: the latest it states up to ``before``, so a
        deal "expected to close in March 2027" is not dated by its closing."""
        past = [day for day in self.dates if day <= before]
        return max(past) if past else None


def read_claims(text: str, companies: Iterable[str], title: str = "") -> list[Claim]:
    """The claims of every sentence of ``text`` that names one of ``companies`` (or follows one that did),
    in reading order; ``companies`` are the question's. A sentence naming none, after one naming none, is
    about the one company the document's ``title`` names, if it names one ("Delivered 348 airplanes" in
    Boeing's release)."""
    return list(_read_claims(text, tuple(companies), title))


@lru_cache(maxsize=8192)
def _read_claims(text: str, companies: tuple[str, ...], title: str) -> tuple[Claim, ...]:
    named_in_passage = frozenset(c for c in companies if mention_pattern(c).search(text))
    named_in_title = frozenset(c for c in companies if mention_pattern(c).search(title))
    implied = named_in_title if len(named_in_title) == 1 else frozenset()
    claims: list[Claim] = []
    previous: frozenset[str] = frozenset()
    heading: tuple[str, str] = ("", "")  # the period a heading ("Full Year 2024") states for the lines under it
    for span in sentence_spans(text):
        sentence = text[span.start : span.end]
        named = frozenset(c for c in companies if mention_pattern(c).search(sentence))
        # "Its revenue rose 40%": the company the passage was just about, or the only one it names at all;
        # not a sentence that opens on another company ("- Toyota: Sales rose 3.7%", "Stellantis's sales fell")
        about = named or (frozenset() if _another_subject(sentence) else previous or implied)
        from_title = not named and not previous
        # "the company was able to…" refers on to the company named before: the next sentence is about it too
        previous = named or (previous if _REFERS_ON.search(sentence) else frozenset())
        facts = _facts(sentence, companies)
        line = _whole_line(text, span.start, span.end)
        under, heading = _under_heading(sentence, line, facts, heading)
        if not about and companies:
            continue
        if any(under):
            facts = tuple(replace(f, period=under) if not any(f.period) else f for f in facts)
        claims.append(Claim(
            text=sentence, start=span.start, end=span.end, companies=about, facts=facts,
            actions=frozenset(name for name, words in _ACTION_WORDS.items() if words.search(sentence)),
            dates=named_days(sentence), context=named_in_passage,
            subject_from="" if named else "title" if from_title else "before",
        ))
    return tuple(claims)


# A list item ("- Revenue: $13.53 billion", "• Delivered 348 airplanes") and a sentence's end.
_LIST_ITEM = re.compile(r"^(?:[-*•–—]+|\d{1,2}[.)])\s")
_TERMINATED = re.compile(r"[.!?][\"”')\]]?$")
_HEADING_WORDS = 8


def _whole_line(text: str, start: int, end: int) -> bool:
    """Whether the sentence at ``start:end`` is a line of its own."""
    return not text[:start].rpartition("\n")[2].strip() and not text[end:].partition("\n")[0].strip()


def _under_heading(sentence: str, line: bool, facts: tuple[Fact, ...], heading: tuple[str, str]) -> tuple[tuple[str, str], tuple[str, str]]:
    """The period a heading states for the sentence, and the one for the sentences after it.

    A heading is a line of its own stating no figure: a short one without a full stop ("Full Year 2024")
    or one introducing a list ("the following fourth-quarter metrics:"). Its period holds for the list
    items and unpunctuated lines under it ("Delivered 348 airplanes and recorded 279 net orders"), until
    the next heading or a line of prose."""
    if line and not facts and (sentence.endswith(":") or (len(sentence.split()) <= _HEADING_WORDS and not _TERMINATED.search(sentence))):
        return ("", ""), _period(sentence)
    if _LIST_ITEM.match(sentence) or (line and not _TERMINATED.search(sentence)):
        return heading, heading
    return ("", ""), ("", "")


def _facts(sentence: str, companies: tuple[str, ...]) -> tuple[Fact, ...]:
    facts: list[Fact] = []
    for quantity in quantities(sentence):
        if not quantity.measured:
            continue
        start, end = _clause(sentence, quantity)
        clause = sentence[start:end]
        at = quantity.start - start, quantity.end - start
        found = [(m, name) for name, words in _MEASURE_WORDS.items()
                 for m in words.finditer(clause) if m.end() >= at[0] - _NEAR and m.start() <= at[1] + _NEAR]
        # "$2.3 billion in net income": the measure named right after is the figure's, unless one is named right
        # before it ("a loss of $5.1 billion in earnings before interest and taxes" is a loss)
        leading = {id(m) for m, _ in found if m.end() <= at[0] and _LEADS.fullmatch(clause[m.end() : at[0]])}
        named = [(0 if id(m) in leading or (not leading and _ATTACHED.fullmatch(clause[at[1] : m.start()])) else _distance(m, at),
                  -len(m.group()), name) for m, name in found]
        label = _LABEL.search(sentence[: start + 2])  # a clause starts at its break: ": $40.5 billion"
        labelled = ""
        if not named and label:  # "Full-Year 2024 Revenue: $40.5 billion": the label names the measure
            labelled = label.group(1)
            named = [(0, -len(m.group()), name) for name, words in _MEASURE_WORDS.items() for m in words.finditer(labelled)]
        near = {name for _, _, name in named}
        primary = min(((d, length, name) for d, length, name in named if name not in COUNTED), default=None)
        if quantity.unit in _UNIT_MEASURES:
            near.add(_UNIT_MEASURES[quantity.unit])
        if "market share" in near:
            near.discard("stock")
        whole = _whole_of(clause[at[1] :], companies) if quantity.unit == "%" else None
        owner = _owner(quantity.start - start, clause, tuple(c for c in companies if c != whole))
        stance = _stance(clause, *at, sentence[max(0, start - _NEAR) : start])
        if not stance and facts and facts[-1].stance and _SAME_STATEMENT.fullmatch(sentence[facts[-1].quantity.end : quantity.start]):
            stance = facts[-1].stance  # "expected EPS of $1.43 on $24.55 billion in revenue": both expected
        lead, tail = clause[max(0, at[0] - 25) : at[0]], clause[at[1] : at[1] + 30]
        change = bool(_CHANGE_AFTER.match(tail) or _CHANGE_BEFORE.search(lead))
        # "down 2.2% from 1.81 million in 2023": the year of the figure a change is from is not the change's
        dated = _BASE_YEAR.sub(lambda m: " " * len(m.group()), clause) if change else clause
        period = _period(dated, at[0]) if any(_period(dated)) else facts[0].period if facts else _period(sentence[:start], start)
        # "Tesla delivered 495,570 in Q4, up from 484,507 in the same period last year, but below the 512,250
        # expected": a clause stating no period is for the sentence's first figure's, not for the period of
        # the figure just before it
        # "In December, Boeing recorded 142 orders": a period stated before the clause holds for it
        if period[1] == "PRIOR" and _BASE_BEFORE.search(clause[: at[0]]):
            period = period[0], "EARLIER"  # "down from 1,456 orders last year": the base of a change, a year before its period
        if period[1] == "EARLIER":
            period = _year_before(period, [f.period for f in facts] + [_period(sentence)])
        # "EPS of $0.39 on revenue of $48.2 billion": a sum in millions is no figure per share
        per = quantity.per or ("share" if (_PER_SHARE.search(clause) or _PER_SHARE.search(labelled)) and quantity.low < _LARGEST_PER_SHARE else "")
        measure = primary[2] if primary else _UNIT_MEASURES.get(quantity.unit, "")
        if measure in _COUNTS and quantity.kind == "money":
            measure = ""  # "workers get a bonus of $12,000": a sum is no count of workers, users or deliveries
        if measure == "cash" and "deal" in near:
            measure = "deal"  # "agreed to pay $20 billion in cash": the deal's price, paid in cash, not a cash balance
        if measure == "revenue" and quantity.kind == "number" and not quantity.unit and not quantity.per:
            measure = "deliveries"  # "sales of 4.25 million": a count of what was sold, not money
        if measure == "valuation" and (_DEAL_VALUED.search(sentence[max(0, quantity.start - _NEAR - 20) : quantity.start])
                                       or _VALUED_DEAL.match(sentence[quantity.end :])):
            # "a partnership with OpenAI valued at more than $20 billion", "Valued at over $10 billion, the deal…"
            measure = "deal"
            near.add("deal")
        elif measure == "valuation" and (valued := _VALUED.search(clause)):
            measure = _valued_thing(clause[: valued.start()]) or measure  # "the backlog, valued at €629 billion"
        if whole:
            scope = f"part of {whole}'s"
        elif _PART_OF.match(sentence[quantity.end :]) or _PART_BEFORE.search(sentence[: quantity.start]):
            scope = "part"  # "323,800 of them", "$2.8 billion of that profit": a part of a figure stated before
        else:
            # "- Automotive revenue: $44.9 billion": a label naming the measure names its scope too
            scoped = _scope(clause, near, sentence[quantity.end : quantity.end + _NEAR]) or (_scope(labelled, near) if labelled else "")
            scope = " ".join(_SAME_SCOPE.get(word, word) for word in scoped.split())
            if not scope and near & _SCOPED and (unit := _SEGMENT_UNIT.search(sentence[: quantity.start])) \
                    and not _CREDITED.search(sentence[: unit.start()]):
                scope = _segment(unit)
            if near & _SCOPED and not _segment_scoped(scope):
                if named_unit := _NAMED_UNIT.search(clause):  # "the sports segment['s] operating income": sports operating
                    scope = " ".join(filter(None, (named_unit.group(1).lower(), scope)))
                elif _SOME_UNIT.search(clause):
                    scope = UNNAMED_SEGMENT
        # a figure per share is set against the last one per share: "$0.39 on revenue of $48.2 billion, above the $0.36 expected"
        # and money against money: "sales of $65 billion, plus or minus 2%, against the $61.66 billion expected"
        against = next((f for f in reversed(facts) if (f.per == per or (not per and quantity.low < _LARGEST_PER_SHARE))
                        and f.quantity.unit == quantity.unit), None)
        set_against = against if against and _SET_AGAINST.search(clause[: at[0]]) and (not measure or near == against.measures or per) else None
        if set_against is not None:
            near, per = set(set_against.measures), per or set_against.per  # "$15.2 billion, below the expected $15.7 billion"
            # "the adjusted loss was $5.90, worse than the $3.07 expected": the expected one is adjusted too
            measure, scope = set_against.measure, scope or set_against.scope
        bound = "over" if _OVER.search(lead) else "under" if _UNDER.search(lead) else "about" if _ROUGHLY.search(lead) else ""
        measured = next((f for f in reversed(facts) if f.measure), None)
        if not measure and change and measured is not None and not measured.change:
            # "Revenue: $40.5 billion, up 25%": a change in a clause naming no measure is the change of
            # the level stated before it
            near, measure, per = set(measured.measures), measured.measure, per or measured.per
            scope = scope or measured.scope  # "gaming revenue was $2.9 billion, a 21 percent rise": gaming's rise
        if change and _SEQUENTIAL.search(clause[at[1] :]):
            scope = " ".join(filter(None, (scope, "sequential")))  # up 22% on the quarter before is not up 22% on the year
        if measure == "stock":
            period = _trading_day(sentence) or period
            change = change or quantity.unit == "%"  # "shares rallied around 5%": a share price in percent is a move
        names = _workload(sentence) if measure in _WORKLOAD_MEASURES else _names(sentence, start, end, companies, at)
        if set_against is not None and not names:
            names = set_against.names  # "US Zepbound revenue was $1.91 billion, compared with $175.8 million"
        referred = owner is None and bool(_REFERS.search(clause[: at[0]])) and any(
            mention_pattern(c).search(sentence) for c in companies)
        facts.append(Fact(quantity, frozenset(near), scope, period, owner, stance, names, measure, per, bound,
                          change, referred))
    levels = [f for f in facts if not f.change]
    if levels and all(not f.quantity.unit and (f.measure == "deliveries" or f.measures & set(COUNTED)) for f in levels):
        # "sales rose 4.3%, totaling 2.7 million vehicles": a change of units sold, not of money
        facts = [replace(f, measure="deliveries", measures=f.measures | {"deliveries"}) if f.change and f.measure == "revenue" else f
                 for f in facts]
    return tuple(facts) + _event_facts(sentence, companies)


_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_WEEKDAY = re.compile(rf"\b({'|'.join(_WEEKDAYS)})\b")
_DAY_PART = re.compile(r"(\d\d)-(\d\d)")


def _trading_day(sentence: str) -> tuple[str, str] | None:
    """The day a share-price move is for, where the sentence says: a date ("on February 5, 2025") as
    ("02-05", "2025"), or a weekday ("on Wednesday") as ("Wed", ""), which the publication date resolves.
    A day's move is not another day's, nor a quarter's."""
    days = set(named_days(sentence))
    if len(days) == 1:
        day = days.pop()
        return f"{day.month:02d}-{day.day:02d}", str(day.year)
    weekday = _WEEKDAY.search(sentence)
    return (weekday.group(1)[:3], "") if weekday else None


# An event that lasts (a strike, a shutdown): how long it lasted and the day it began or ended are figures
# of it, compared only with the same figure of the same kind of event.
_EVENTS = {"strike": r"strikes?|walkouts?|(?:work )?stoppages?|lockouts?",
           "shutdown": r"shutdowns?|outages?|closures?|groundings?|blockades?"}
_EVENT_WORDS = {name: re.compile(rf"(?i)\b(?:{words})\b") for name, words in _EVENTS.items()}
# "lasted 53 days", "a 54-day strike", "idled for 53 days": a count of days, weeks or months
_DURATION = re.compile(r"(?i)(?<![\w.,$-])(\d{1,3})(?:-|\s)(day|week|month)s?\b")
_ENDPOINT = re.compile(r"(?i)\b(began|started|ended|concluded|ends|begins|starts)\s+(?:only\s+|\w+ly\s+)?(?:on\s+)?$")
_DATE_UNIT = "date"


def _event_facts(sentence: str, companies: tuple[str, ...]) -> tuple[Fact, ...]:
    """The durations and the start or end days of the events a sentence names: "the strike, which lasted
    53 days and ended on Nov. 4" states a strike's duration (53 days) and its end date (November 4)."""
    if not any(words.search(sentence) for words in _EVENT_WORDS.values()):
        return ()  # most sentences name no such event: no second scan for their figures
    facts = []
    for match in _DURATION.finditer(sentence):
        start, end = _clause(sentence, _span(match.start(), match.end()))
        event = _event(sentence[start:end]) or _event(sentence[: match.start()])  # "the strike, which lasted 53 days"
        if event:
            number, unit = int(match.group(1)), match.group(2).lower() + "s"
            quantity = Quantity(match.group(), "number", number, number, unit, match.start(), match.end())
            facts.append(_event_fact(sentence, companies, quantity, "duration", event, (start, end)))
    for figure in extract(sentence):
        endpoint = _ENDPOINT.search(sentence[: figure.start])
        if figure.kind != "date" or figure.date is None or not endpoint:
            continue
        year, month, day = figure.date
        start, end = _clause(sentence, _span(figure.start, figure.start + len(figure.text)))
        event = _event(sentence[:end])
        if event and day is not None:
            try:
                ordinal = float(date(2000, month, day).timetuple().tm_yday)  # the day of the year, for nearness
            except ValueError:
                continue
            quantity = Quantity(figure.text, "date", ordinal, ordinal, _DATE_UNIT, figure.start, figure.start + len(figure.text))
            verb = endpoint.group(1).lower()
            measure = "start date" if verb.startswith(("beg", "start")) else "end date"
            facts.append(replace(_event_fact(sentence, companies, quantity, measure, event, (start, end)),
                                 period=("", str(year) if year else "")))
    return tuple(facts)


def _span(start: int, end: int) -> Quantity:
    return Quantity("", "number", 0, 0, "", start, end)


def _event(text: str) -> str:
    """The kind of event the text names last: "strike" for a walkout, "shutdown" for an outage."""
    found = [(m.end(), name) for name, words in _EVENT_WORDS.items() for m in words.finditer(text)]
    return max(found)[1] if found else ""


def _event_fact(sentence: str, companies: tuple[str, ...], quantity: Quantity, measure: str, event: str,
                clause: tuple[int, int]) -> Fact:
    start, end = clause
    period = _period(sentence[start:end], quantity.start - start) if measure == "duration" else ("", "")
    lead = sentence[max(start, quantity.start - 25) : quantity.start]
    bound = "over" if _OVER.search(lead) else "under" if _UNDER.search(lead) else "about" if _ROUGHLY.search(lead) else ""
    return Fact(quantity, frozenset({measure}), event, period, _owner(quantity.start - start, sentence[start:end], companies),
                measure=measure, bound=bound)


# A short label before a colon that a figure follows: "Revenue: $40.5 billion", "* Net profit (DKK):".
_LABEL = re.compile(r"(?:^|[.;]\s)\W*((?:[\w()&'’/-]+\s?){1,6}):\s*$")
# A company called by what it is: "the company", "the Danish drugmaker", "the U.S. planemaker", "the
# Indianapolis-based drug maker", "the chip giant".
_INDUSTRY = (r"(?:drug|chip|car|auto|aircraft|aerospace|pharmaceutical|pharma|tech|technology|software|semiconductor|EV|"
             r"electric[- ]vehicle|jet|plane|weight-loss|obesity-drug)")
_KIND_OF_COMPANY = r"(?:company|firm|group|manufacturer|maker|planemaker|carmaker|automaker|drugmaker|chipmaker|giant|OEM|startup)\b"
_THE_COMPANY = rf"\bthe (?:(?:(?-i:[A-Z][\w.]*)|[\w-]+-based|{_INDUSTRY})\s+){{0,2}}{_KIND_OF_COMPANY}"
# A sentence naming its subject without its name, so the one after it may do the same.
_REFERS_ON = re.compile(rf"(?i){_THE_COMPANY}")


def describes_company(sentence: str, plainly: bool = False) -> bool:
    """Whether the sentence calls a company by what it is ("the drug maker posted…"), not by name; ``plainly``,
    without a word saying which ("the Japanese automaker" may be another company than the page's)."""
    return (_PLAINLY if plainly else _REFERS_ON).search(sentence) is not None


_PLAINLY = re.compile(rf"(?i)\bthe (?:{_INDUSTRY}\s+)?{_KIND_OF_COMPANY}")


# A clause naming its subject without its name: "The company delivered…", "It sold…".
_REFERS = re.compile(rf"(?i){_THE_COMPANY}|^\W*(?:it|its|they|their)\b")
_PER_SHARE = re.compile(r"(?i)\bper[- ]share\b|\ba share\b|\bEPS\b")
_LARGEST_PER_SHARE = 1e5
# A figure set against the one before it, which measures what that one does.
_SET_AGAINST = re.compile(r"(?i)\b(?:below|above|short of|ahead of|than|against|versus|vs\.?|compared (?:with|to)|"
                          r"of|from|to|topping|beating|exceeding|surpassing|missing|trailing)\b[^\d$€£]{0,40}$")
_OVER = re.compile(r"(?i)(?<!handed )(?<!took )(?<!turned )(?<!taken )\b(?:over|more than|above|exceeding|exceeds?|"
                   r"at least|upwards of|in excess of)\s+$")
_ROUGHLY = re.compile(r"(?i)\b(?:approximately|about|around|roughly|nearly|almost|some|circa|an estimated)\s+$|~\s*$")
_UNDER = re.compile(r"(?i)\b(?:under|less than|below|fewer than|up to|at most|nearly|almost)\s+$")
_CHANGE_AFTER = re.compile(r"(?i)^\s*(?:[\w-]+\s+)?(?:fewer|more|less|higher|lower|increase|decrease|drop|rise|gain|decline|"
                           r"growth|jump|surge|fall|rally|slide)\b")
_CHANGE_BEFORE = re.compile(r"(?i)\b(?:up|down|by|rose|rising|fell|falling|grew|growing|gap of|difference of|lead of|margin of|"
                            r"(?:jump|climb|gain|surg|increas|decreas|declin|advanc|plung|soar|tumbl|slump|dipp?|rall(?:i|y)|spik|"
                            r"skyrocket|drop(?:p)?|slid|sank|sink|lost|losing|add|shed)(?:ed|ing|e|s)?)\s+"
                            r"(?:of\s+)?(?:about\s+|around\s+|nearly\s+|almost\s+|roughly\s+|some\s+|more than\s+|over\s+|just\s+)?$")
_SEQUENTIAL = re.compile(r"(?i)\b(?:from|over|on|than|versus) (?:the )?(?:prior|previous|preceding|last) quarter\b|\bsequential(?:ly)?\b|"
                         r"\bquarter[- ](?:over|on)[- ]quarter\b|\bq(?:o|/)q\b")
# "retain $4.3 billion for further repurchases", "an additional $2 billion": what remains of, or adds to, a figure
_PART_BEFORE = re.compile(r"(?i)\b(?:retains?|retained|remaining|the rest of|the remainder of|an additional|a further|another)\s+(?:about\s+)?$")
_SAME_SCOPE = {"non-gaap": "adjusted"}  # one measure by two names: non-GAAP earnings are adjusted earnings
_PART_OF = re.compile(r"(?i)^\s*(?:[a-z-]+\s+)?of\s+(?:them|those|these|which|that|this|it)\b")
_DEAL_VALUED = re.compile(r"(?i)\b(?:deals?|agreements?|contracts?|partnerships?|pacts?|transactions?|orders?)\b[^.;]{0,60}\bvalued\b")
_LEADS = re.compile(r"(?i)\s+(?:per[- ]share\s+)?(?:of|at|was|were|is|totaled|totalled|reached|came to|stood at)\s+(?:about\s+|nearly\s+|some\s+)?")
_ATTACHED = re.compile(r"(?i)\s+(?:in|of)\s+(?:the\s+|its\s+)?")  # "$2.3 billion in net income": the measure it is an amount of
_VALUED_DEAL = re.compile(r"(?i)^,?\s+(?:the|this|that)\s+(?:deal|agreement|contract|partnership|pact|transaction)\b")
_NEAR = 60  # characters between a figure and the word naming its measure, at most
_VALUED = re.compile(r"(?i)\bvalued\b")


def _valued_thing(before: str) -> str:
    """The measure named last before "valued": a backlog valued at €629 billion is the backlog's value,
    not the company's valuation."""
    named = [(m.end(), name) for name, words in _MEASURE_WORDS.items() if name not in COUNTED and name != "valuation"
             for m in words.finditer(before[-_NEAR:])]
    return max(named)[1] if named else ""
#: Measures that depend on what was run: 2,522 tokens per second on Llama 4 is not a figure for gpt-oss-120B.
_WORKLOAD_MEASURES = frozenset({"speed"})
# A model's name carries a number: "Llama 4", "gpt-oss-120B", "Kimi K2.6", "Claude 3.5".
_MODEL_NAME = re.compile(r"\b(?:[A-Za-z][\w.-]*\d[\w.-]*[A-Za-z\d]|[A-Z][a-z]+ \d+(?:\.\d+)?)\b(?![\d,])")


def _workload(sentence: str) -> frozenset[str]:
    """The models a sentence says a speed was measured on; none when it names none, and then its
    figure is compared with no other."""
    return frozenset(m.group().lower() for m in _MODEL_NAME.finditer(sentence))


def _distance(match: re.Match, at: tuple[int, int]) -> int:
    """Characters between a word and a figure: 0 when they touch."""
    return max(0, at[0] - match.end(), match.start() - at[1])


# "Disney+ and Hulu subscriptions": "and" joining two names is one subject, not two clauses.
_NAMES_JOINED = re.compile(r"(?<=[A-Z][\w+]|\w\+)\sand\s(?=[A-Z])")


def _clause(sentence: str, quantity: Quantity) -> tuple[int, int]:
    """Where the part of the sentence the quantity is stated in starts and ends; a short aside without a
    figure ("495,570 electric vehicles (EVs) during the fourth quarter") does not end it."""
    asides = [m.span() for pattern in (_ASIDE, _FULL_DATE) for m in pattern.finditer(sentence)]
    breaks = [0, *(m.start() for m in _CLAUSE_BREAK.finditer(sentence)
                   if not any(start <= m.start() < end for start, end in asides) and not _NAMES_JOINED.match(sentence, m.start())),
              len(sentence)]
    start = max(b for b in breaks if b <= quantity.start)
    end = min((b for b in breaks if b >= quantity.end), default=len(sentence))
    return start, end


# A list item or line opening on a label that is a name: "- Toyota: Sales rose 3.7%".
_ANOTHER_SUBJECT = re.compile(r"^\W*(?P<name>[A-Z][a-z][\w&.-]*(?:\s[A-Z][\w&.-]+){0,2}):\s")
# Labels that name no one: a section ("Outlook:"), a time ("December:"), the market ("Wall Street:").
_NO_SUBJECT = re.compile(r"(?i)\b(?:outlook|guidance|highlights?|update|summary|results?|wall street|street|analysts?|consensus|"
                         r"bloomberg|factset|lseg|reuters|january|february|march|april|may|june|july|august|september|"
                         r"october|november|december|monday|tuesday|wednesday|thursday|friday|saturday|sunday|today|"
                         r"yesterday|this|last|next)\b")


def _another_subject(sentence: str) -> bool:
    """Whether the sentence opens on a label that names someone else ("- Toyota: Sales rose 3.7%" on a Ford
    page): not a label naming a measure ("Automotive Revenue:", "Vehicle Deliveries:"), a period, a section,
    a time or the market. (A possessive opening, "Mounjaro's revenue", may name the page company's product:
    it is read as the page's.)"""
    found = _ANOTHER_SUBJECT.match(sentence)
    if found is None:
        return False
    name = found.group("name")
    return not (_OPENER.fullmatch(name.split()[0]) or _NO_SUBJECT.search(name)
                or any(_PERIOD_WORD.fullmatch(word) for word in name.split())
                or any(words.search(name) for words in _MEASURE_WORDS.values()))


_ASIDE = re.compile(r"\([^()\d]{1,30}\)")


def _owner(at: int, clause: str, companies: tuple[str, ...]) -> str | None:
    """The company a figure is stated for: the one company its clause names; none when the clause names
    none or several ("Airbus overtook Boeing with 766 aircraft"): a guess would mislead."""
    named = {c for c in companies if mention_pattern(c).search(clause)}
    return named.pop() if len(named) == 1 else None


_OF = re.compile(r"\s+of\s+(?:the\s+)?")
_POSSESSIVE = re.compile(r"['’]s?(?!\w)")


def _whole_of(tail: str, companies: tuple[str, ...]) -> str | None:
    """The company whose whole a percentage is a part of: in "Groq took 3% of NVIDIA's market share" the 3%
    is Groq's part of NVIDIA's share, not NVIDIA's share, and is compared only with other parts of it."""
    lead = _OF.match(tail)
    if lead is None:
        return None
    rest = tail[lead.end() :]
    return next((c for c in companies if (m := mention_pattern(c).match(rest)) and _POSSESSIVE.match(rest, m.end())), None)


#: Measures a segment word narrows ("data center revenue", "U.S. sales"); other measures have no scope.
_SCOPED = frozenset({"revenue", "profit", "loss", "margin", "market share", "users", "spending", "orders", "deliveries", "cash"})


# A participle after a measure or its figure that makes it another measure: "earnings adjusted for items".
_QUALIFIED_AFTER = re.compile(r"(?i)^\s*\(?(adjusted|diluted|unadjusted)\b")
# "$1.92 a share on an adjusted basis", "$1.92, excluding one-time items": an adjusted figure
_ADJUSTED_AFTER = re.compile(r"(?i)^(?:\s*(?:a|per) share)?[\s,]*(?:on an? adjusted basis|excluding (?:one-time |certain |special )?items)")
# Lowercase words naming a business segment (capitalised ones, "U.S." or "Mounjaro", are names): right before
# a measure, named after it ("revenue from gaming products") or as a unit of the company ("the data center
# business … contributing $51.2 billion").
_SEGMENT_WORDS = (r"data[- ]cent(?:er|re)|gaming|automotive|cloud|services|hardware|software|advertising|ads?|subscription|defen[cs]e|"
                  r"commercial|professional visuali[sz]ation|energy(?: generation and storage)?|storage|EVs?|electric[- ]vehicles?|"
                  r"(?:plug-in )?hybrids?|battery[- ]electric(?: vehicles?)?|domestic|international|overseas")
_SEGMENT = re.compile(rf"(?i)\b({_SEGMENT_WORDS})(?:\s+\(\w+\))?\s+$")  # "electric vehicle (EV) sales"
_SEGMENT_FROM = re.compile(rf"(?i)^\s+(?:from|in|of)\s+(?:the\s+|its\s+)?({_SEGMENT_WORDS})\b")
_CREDITED = re.compile(r"(?i)\b(?:driven|led|fueled|fuelled|boosted|helped|powered|lifted) by\b|\bthanks to\b")  # not the subject
_SEGMENT_UNIT = re.compile(rf"(?i)\b({_SEGMENT_WORDS})\s+(?:business|segment|unit|division|products|sales)\b")
# A unit of the company by any name: "the sports segment", "the experiences division's revenue"; or by none,
# "operating income for the sector": some segment's, which one unsaid, compared with no other figure.
_NAMED_UNIT = re.compile(r"\b(?:[Tt]he|[Ii]ts|\w+['’]s)\s+([a-z][a-z-]+(?:\s[a-z][a-z-]+)?)\s+(?:segment|division|unit)(?:['’]s)?\b")
_SOME_UNIT = re.compile(r"(?i)\b(?:for|in|of|at)\s+(?:the|this|that|each)\s+(?:segment|sector|division|unit)\b")
UNNAMED_SEGMENT = "some segment"


def _scope(clause: str, measures: set[str], after: str = "") -> str:
    """The qualifier right before a measure's name: "net" orders, "adjusted" earnings, "core" loss, or the
    segment it is for: "data center" revenue; or a participle right after the name or after the figure
    (``after``, the clause past it): "earnings adjusted for one-time items", "$5.32 adjusted"."""
    scoped = measures & _SCOPED
    if scoped and (qualified := _QUALIFIED_AFTER.match(after)):
        return qualified.group(1).lower()
    if scoped and _ADJUSTED_AFTER.match(after):
        return "adjusted"
    for name in sorted(scoped):
        for found in _MEASURE_WORDS[name].finditer(clause):
            if qualified := _QUALIFIED_AFTER.match(clause[found.end() :]):
                return qualified.group(1).lower()
            named = found.group().lower().split()
            if len(named) > 1 and named[0] in _QUALIFIERS:  # "net income", "operating income": one name, two measures
                return named[0]
            segment = _SEGMENT.search(clause[: found.start()]) or _SEGMENT_FROM.match(clause[found.end() :])
            if segment:  # "data center revenue" is a segment's, not the company's
                return _segment(segment)
            before = clause[: found.start()].split()[-4:]
            qualifiers = [w.lower().strip("(,") for w in before if w.lower().strip("(,") in _QUALIFIERS]
            if _NET_OF.search(clause):
                qualifiers = ["net"]
            if qualifiers:
                return " ".join(qualifiers)
    return ""


def _segment_scoped(scope: str) -> bool:
    """Whether a scope already names a segment ("data center", "gaming operating"), not only a qualifier ("net")."""
    return any(word not in _QUALIFIERS for word in scope.split())


def _segment(found: re.Match) -> str:
    segment = re.sub(r"[\s-]+", " ", found.group(1).lower()).replace("centre", "center")
    return _SEGMENT_NAMES.get(segment, segment)


# One segment by several names: EVs are electric vehicles, ad revenue is advertising revenue.
_SEGMENT_NAMES = {"evs": "ev", "electric vehicle": "ev", "electric vehicles": "ev", "ad": "advertising", "ads": "advertising"}


_NOT_NAMES = frozenset(
    "a an the in on of for by at with from to its their it this that these those and or but as after before while "
    "during since analysts wall street shares stock sales revenue q1 q2 q3 q4 fy yoy qoq mom about around nearly roughly "
    "almost approximately some over analyst estimate estimates consensus expectations earnings income net profit loss "
    "eps gaap non-gaap ebitda ceo cfo billion million trillion deal deals cash corp inc ltd plc total quarter quarterly "
    "annual full-year record monday tuesday wednesday thursday friday saturday sunday bloomberg factset lseg refinitiv "
    "zacks visible alpha reuters".split()
)
# A headline ("NVIDIA to Acquire AI Chip Designer Groq in $20 Billion Cash Deal") capitalises every word: none names a product.
_TITLE_CASE = 0.6


# A figure a result is measured against is what was expected of it: "exceeding the projected DKK 99.14 billion".
_BEAT_EXPECTED = re.compile(r"(?i)\b(?:exceed\w*|top\w*|beat\w*|surpass\w*|miss\w*|above|below|short of|than|versus|vs\.?|against|"
                            r"compared (?:with|to))\s+(?:the\s+)?"
                            r"(?:projected|expected|forecast|anticipated|predicted)\s*$")


_OWN_GUIDANCE = re.compile(r"(?i)\b(?:guidance|outlook|guided|forecast)\b")
_COMPANY_EXPECTS = re.compile(r"(?i)\b(?:it|we|the (?:company|firm|group)|management)\s+(?:\w+\s+){0,2}?expected\b")
# Between two figures of one statement: "$1.43 on $24.55 billion", "$2.19 billion and operating margin of 21.6%";
# not a second statement ("$1.43, and Acme reported $1.76").
_SAME_STATEMENT = re.compile(r"(?i)(?:\s*(?:per|a) share)?\s*,?\s*(?:on|and|with|plus)\s+(?:(?:an?|the|its)\s+)?"
                             r"(?:(?!reported|posted|delivered|earned|came|was|were|is|are|rose|fell|grew|said|announced|generated|recorded)"
                             r"[a-z-]+\s+){0,4}(?:of\s+|at\s+)?")
_RESULT_AFTER_EXPECTED = re.compile(r"(?i)\b(?:with|after)\s+(?:[\w-]+\s+){0,4}$")


def _stance(clause: str, start: int, end: int, lead: str = "") -> str:
    """Who the figure is from, by the words just before it (or right after): analysts' "expectations of
    $3.08", the company's "guidance of $58 billion", or nothing (what was reported)."""
    before, after = clause[max(0, start - _NEAR) : start], clause[end : end + 40]
    expected = list(_ESTIMATE.finditer(before))
    if expected and _RESULT_AFTER_EXPECTED.search(since := before[expected[-1].end() :]) and not any(ch.isdigit() for ch in since):
        # "falling short of expectations with 336,681 vehicles delivered": the result, set against them (not "expected
        # EPS of $1.60 with revenue of $165.8 billion", where "with" adds to the expectation)
        expected = []
    if expected and all(m.group().lower().startswith("expect") for m in expected) and (
            _COMPANY_EXPECTS.search(before) or _OWN_GUIDANCE.search(lead + before)):
        # the company's own outlook: "it said it expected sales of $65 billion", "provided guidance for 2025, with
        # expectations of earnings surpassing $7.35"
        return "guidance"
    if expected or _ESTIMATED_AFTER.match(after) or _BEAT_EXPECTED.search(before):
        return "estimate"
    if _PROPOSED.search(before):
        return "proposal"
    if _CONDITION.search(before):
        return "condition"
    if _GUIDANCE.search(before):
        return "revised guidance" if _REVISED.search(before) else "guidance"  # raised to $14-15 billion: not the old range
    return ""


def _names(sentence: str, start: int, end: int, companies: tuple[str, ...], at: tuple[int, int]) -> frozenset[str]:
    """Capitalised words near the figure that name something other than the question's companies (a
    product, a segment, a region): a figure for "Mounjaro" sales is not one for all sales; "Maxes" and
    "MAX" are one name."""
    clause = sentence[start:end]
    if _title_case(sentence):
        return frozenset()
    near = range(0, at[1] + 40)  # the clause up to the figure (its subject: "Trulicity saw sales…"), and just after it
    words = {m.group().replace(".", "") for m in re.finditer(r"\b[A-Z][\w-]+(?:\+|(?!\$))|\bU\.S\.(?!\w)", clause)
             if not _PARENT_AFTER.match(clause[m.end() :])
             and not (start == 0 and m.start() == 0 and _OPENER.fullmatch(m.group())) and (m.start() in near or m.end() in near)
             and (not _WHERE.search(clause[: m.start()]) or _MEASURED_NEXT.match(clause[m.end() :]))}
    known = {alias.lower() for c in companies for alias in [c, *c.split()]}
    months = {name.lower()[:3] for name in ("January February March April May June July August September October "
                                             "November December").split()}
    rounds = {m.group().lower() for m in _ROUND.finditer(clause)}  # "Series G" funding is not "Series A"
    words -= {"Series"} if rounds else set()
    kept = {w for w in words if (len(w) >= 3 or w in _REGIONS) and not _DEMONYM.search(w) and w.lower() not in known and w.lower() not in _NOT_NAMES
            and w.lower()[:3] not in months and not _PERIOD_WORD.fullmatch(w) and w not in CURRENCY_CODES
            and not w.lower().endswith("-based") and not _SEGMENT_NAME.fullmatch(w)
            and not any(measure.fullmatch(w) for measure in _MEASURE_WORDS.values())}
    return frozenset(w.lower() if w in _REGIONS else re.sub(r"(?:es|s)$", "", w.lower()) for w in kept) | rounds


_PARENT_AFTER = re.compile(r"(?i)\s+(?:parent|owner|maker|operator)\b")  # "the ESPN parent company": whose parent, no product
_ROUND = re.compile(r"\bSeries [A-H]\d?\b")
_SEGMENT_NAME = re.compile(rf"(?i){_SEGMENT_WORDS}|data|center|centre")  # "Data Center" revenue is the segment's scope


def _title_case(sentence: str) -> bool:
    words = re.findall(r"[A-Za-z][\w'’-]*", sentence)
    long = [w for w in words if len(w) > 3]
    return len(long) >= 4 and sum(w[0].isupper() for w in long) >= _TITLE_CASE * len(long)
# Regions written in two capitals: "US sales" are not worldwide sales.
_REGIONS = frozenset({"US", "UK", "EU"})
# A capitalised word that opens a sentence without naming anything ("However", "Revenue"); another one may
# name a product ("Mounjaro generated $3.53 billion").
_OPENER = re.compile(r"(?i)(?:however|overall|meanwhile|revenue|revenues|sales|net|shares|stock|analysts|despite|after|before|"
                     r"while|although|according|last|total|full-year|quarterly|annual|fourth-quarter|third-quarter|"
                     r"second-quarter|first-quarter|per-share|adjusted|operating|profit|earnings|the|this|that|its|it|in|on|"
                     r"at|for|with|as|by|from|to|a|an|and|but|so|also|still|yet|both|each|some|many|most|all|[a-z]+ly|[a-z]+ing|[a-z]+ed)")
_MEASURED_NEXT = re.compile(r"(?i)^\s+(?:sales|revenues?|deliveries|market share|orders)\b")  # "in U.S. sales": whose sales
_WHERE = re.compile(r"(?i)\b(?:in|on|at|from|across|to|by|for|with)\s+(?:the\s+)?$")  # "on the Copenhagen exchange"
_DEMONYM = re.compile(r"(?:an|ian|ese|ish)$")  # "American", "European", "Chinese": where, not what
_PERIOD_WORD = re.compile(r"(?i)(?:Q[1-4]|H[12]|FY\d*|\d+Q)")


_FULL_DATE = re.compile(r"\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.? \d{1,2},? (?:19|20)\d\d\b")


def _period(clause: str, at: int | None = None) -> tuple[str, str]:
    """The quarter (or half) and year a figure is for, in one notation: "third quarter of fiscal 2025",
    "Q3 FY25" and "3Q 2025" are all ("Q3", "2025"). Where the clause names several, the one nearest
    the figure at ``at``: "the fourth-quarter loss took the full-year loss to $11.8 billion"."""
    clause = _FULL_DATE.sub(lambda m: " " * len(m.group()), clause)  # "(ended October 26, 2025)" names a day, not the period
    quarter = _nearest(_QUARTER, clause, at)
    month = _nearest(_MONTH_PERIOD, clause, at)
    part = month.group(1)[:3].upper() if month and not quarter else ""
    months = _nearest(_MONTHS_SPAN, clause, at) if not part and not quarter else None
    if months:  # "last month": the month before the text's; "the first two months": a span that is no quarter
        count = (months.group(2) or months.group(3) or "").lower()
        part = "LAST-MONTH" if months.group(1) else _MONTHS_AS_PART.get(count, f"M1-{count}")
    if quarter:
        q1, q2, q_word, h, h_word, last_three, whole = quarter.groups()
        if whole:
            part = "FY"
        elif last_three:
            part = "Q4"
        elif q1 or q2 or q_word:
            part = f"Q{q1 or q2 or _ORDINALS[q_word.lower()]}"
        else:
            part = f"H{h or _ORDINALS[(h_word or '').lower()]}"
    named = _nearest(_YEAR_OF, clause, at, unless=_COMPARED_WITH)
    digits = next((g for g in named.groups() if g), "") if named else ""
    relative = _nearest(_RELATIVE_YEAR, clause, at, unless=_COMPARED_WITH)  # "down 13% from a year ago": the base, not the period
    if relative and not digits:
        if relative.lastgroup == "PRIOR" and relative.group().lower() != "last year":
            return part, "EARLIER"  # "a year earlier", "the same quarter last year": a year before the sentence's period
        return part, relative.lastgroup or ""  # "last year", "this year", "over the past six years"
    year = "20" + digits if len(digits) == 2 else digits
    return part or ("FY" if year else ""), year  # a year alone is the full year


def _year_before(period: tuple[str, str], stated: list[tuple[str, str]]) -> tuple[str, str]:
    """The period "a year earlier" than the first period in ``stated`` with its year: Q4 2023 for a loss "a
    year earlier" in a sentence about Q4 2024; a period of some other sentence ("THEN") where none has one."""
    reference = next((p for p in stated if p[1].isdigit()), None)
    if reference is None:
        return period[0] or next((p[0] for p in stated if p[0]), ""), "THEN"
    return period[0] or reference[0], str(int(reference[1]) - 1)


def _nearest(pattern: re.Pattern, text: str, at: int | None, unless: re.Pattern | None = None) -> re.Match | None:
    """The match nearest ``at`` (the first without one), leaving out those ``unless`` finds right before
    and those that label a comparison ("(2023: €186.5bn)")."""
    found = [m for m in pattern.finditer(text)
             if unless is None or not (unless.search(text[: m.start()]) or text[m.end() : m.end() + 1] == ":")]
    if not found or at is None:
        return found[0] if found else None
    return min(found, key=lambda m: abs(m.start() - at))


def _same_period(a: tuple[str, str], b: tuple[str, str]) -> bool:
    """Periods that don't exclude each other: each part is the same wherever both texts state it (a year
    named relative to the text, "this year", could be any)."""
    known = [("" if x in _RELATIVE else x, "" if y in _RELATIVE else y) for x, y in zip(a, b)]
    return all(x == y or not x or not y for x, y in known) or (a[1] == b[1] and "FY" in (a[0], b[0]) and "" in (a[0], b[0]))


def measure_words(sentence: str, fact: Fact) -> list[str]:
    """The words the sentence names the fact's measure with, near its figure: "delivered", "net orders"."""
    near = sentence[max(0, fact.quantity.start - _NEAR) : fact.quantity.end + _NEAR]
    found = [m.group() for name in sorted(fact.measures) for m in _MEASURE_WORDS[name].finditer(near)]
    return list(dict.fromkeys(word.lower() for word in found))


def named_days(sentence: str) -> tuple[date, ...]:
    """The days the sentence names in full ("December 24, 2025"); a month alone dates no day."""
    days = []
    for figure in extract(sentence):
        if figure.kind != "date" or figure.date is None:
            continue
        year, month, day = figure.date
        if year and day:
            try:
                days.append(date(year, month, day))
            except ValueError:  # "February 30, 2026": no such day
                continue
    return tuple(days)
