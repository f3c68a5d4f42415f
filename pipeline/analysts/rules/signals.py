"""Text signals the rule-based analyst reads: figures, comparisons, commerce, and which company
each figure is about.

Trigger words are read in context: "in order to" is not an order, "a great deal of" is not a deal.
Figures are the quantities ``pipeline.figures`` reads (the same reader the prose audit uses), with their
units, a range as one. Each signal has a name, so every rating can say which signals produced it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from pipeline.entities import mention_pattern
from pipeline.figures import Quantity, quantities
from pipeline.text import sentence_spans

_COMPARISON = re.compile(
    r"(?i)\b(?:than|versus|vs\.?|compar\w*|outperform\w*|beat\w*|faster|cheaper|slower|"
    r"ahead of|behind|record|surpass\w*|double|twice|rival\w*|displac\w*|dethron\w*|alternative to)\b"
)
# Readings of those words that compare nothing: "more than 20", "track record", "behind the scenes".
_NOT_COMPARISON = re.compile(
    r"(?i)\b(?:more|less|fewer|greater|other|rather|later|earlier|longer) than\b|\b(?:track|on the|on) record\b"
    r"|\bbehind the scenes\b|\bdouble[- ]digit"
)
_COMMERCIAL = re.compile(
    r"(?i)\b(?:customers?|clients?|deal|deals|contracts?|partnership\w*|revenue|valuation|ipo|"
    r"public offering|funding|raised|invested|investments?|orders?|deploy(?:s|ed|ments?)|in production|"
    r"case stud\w*|market share|sec filing|acqui\w*|licens\w*)\b"
)
# Readings of those words that are not commerce.
_NOT_COMMERCIAL = re.compile(
    r"(?i)\bin order (?:to|for|that)\b|\border of magnitude\b|\border (?:in|of) which\b|\b(?:executive|pecking|short) order\b"
    r"|\b(?:great|good) deal\b|\b(?:to|must|can|could|would|will|should|cannot) deal with\b"
    r"|\braised (?:concerns?|questions?|doubts?|eyebrows|the (?:question|bar|prospect))\b|\bno (?:customers?|clients?|revenue)\b"
)
# Separates the parts of a sentence that can be about different companies (not the comma in 2,522).
_CLAUSE_BREAK = re.compile(r"(?i),(?!\d)|;|:\s|\(|\)|\s(?:while|whereas|but|versus|vs\.?|against|than|compared (?:with|to))\s")
# What a sum, a percentage or a multiple measures, so two are compared only when they measure the same thing.
_MANY_MEASURES = frozenset({"USD", "EUR", "GBP", "%", "x"})
_MEASURE = re.compile(
    r"(?i)\b(revenue|sales|valuation|valued|funding|raised|profit|margin|market cap\w*|share|growth|grew|price|"
    r"cost|cheaper|faster|slower|latency|throughput|efficien\w*|deal)\b"
)
# Reported results and the company's own outlook: what moves a stock before and after earnings.
_FINANCIAL = re.compile(
    r"(?i)\b(?:profits?|net income|(?:net|operating|core|quarterly|annual) loss(?:es)?|earnings per share|eps|ebit|margins?|"
    r"guidance|forecast|outlook|deliver(?:ies|ed)|backlog|cash flow|cash burn|dividends?|buybacks?|layoffs|strike|"
    r"subscribers|paid members(?:hips?)?|comparable sales|same-store sales)\b"
)
_SKEPTIC = re.compile(
    r"(?i)\b(?:overstat\w*|overclaim\w*|ill-suited|poorly suited|not suited|narrow(?!-?bod)\w*|skeptic\w*|"
    r"caveat\w*|weak\w*|constrain\w*|limitation\w*|inflat\w*|mispric\w*|downside|uncertain\w*|"
    r"lock-in|switching costs?|moat)\b"
)
_BULLISH = re.compile(
    r"(?i)\b(?:outperform\w*|faster|record|beat\w*|superior|displac\w*|dethron\w*|advantage|"
    r"leads?|leading|oversubscribed|surg\w*|fastest)\b"
)

# A sentence saying evidence is missing ("None of the sources quantifies…") is a gap, not a claim.
_ABSENCE = re.compile(
    r"(?i)^(?:none of|no (?:source|one|data|evidence|figures?)\b)"
    r"|\b(?:does not|do not|doesn't|don't|did not|has not|have not) (?:quantif|disclos|say|report|show|give)"
)

WIRE_SERVICES = frozenset(
    {"business wire", "pr newswire", "globenewswire", "sec", "u.s. securities and exchange commission"}
)
PRIMARY_DOMAINS = frozenset({"businesswire.com", "prnewswire.com", "globenewswire.com", "sec.gov"})


def figures(text: str) -> list[Quantity]:
    """The quantities that make ``text`` measurable: not years, spans of days or lone digits."""
    return [quantity for quantity in quantities(text) if quantity.measured]


@dataclass(frozen=True)
class OwnedFigure:
    """A figure and the company the clause stating it is about."""

    figure: Quantity
    company: str
    clause: str


def figures_by_company(text: str, companies: list[str]) -> list[OwnedFigure]:
    """Each figure of ``text`` with the company it is stated for: the one named last before it in its
    clause, else the first named after it there ("1,038 tokens/s for NVIDIA"), else the one the
    sentence was last about; a figure no company is named for belongs to none."""
    owned: list[OwnedFigure] = []
    stated = figures(text)
    for sentence in sentence_spans(text):
        about: str | None = None
        start = sentence.start
        breaks = [m.start() + sentence.start for m in _CLAUSE_BREAK.finditer(text[sentence.start : sentence.end])]
        for end in [*breaks, sentence.end]:
            clause = text[start:end]
            named = sorted((m.start() + start, c) for c in companies for m in mention_pattern(c).finditer(clause))
            for figure in (f for f in stated if start <= f.start < end):
                before = [c for at, c in named if at < figure.start]
                after = [c for at, c in named if at > figure.start]
                company = before[-1] if before else after[0] if after else about
                if company:
                    owned.append(OwnedFigure(figure, company, clause))
            about = named[-1][1] if named else about
            start = end
    return owned


def like_for_like(first: OwnedFigure, second: OwnedFigure) -> bool:
    """Two figures measure the same thing: tokens/s against tokens/s, a share price against a share
    price. Sums of money, percentages and multiples measure many things (revenue, growth, share,
    speed), so they compare only when they are per the same thing or named as the same measure."""
    if first.figure.measure != second.figure.measure or not first.figure.unit:
        return False
    if first.figure.per or first.figure.unit not in _MANY_MEASURES:
        return True
    return bool(_measures(first.clause) & _measures(second.clause))


def _measures(clause: str) -> set[str]:
    return {word.lower() for word in _MEASURE.findall(clause)}


def states_absence(text: str) -> bool:
    return _ABSENCE.search(text.strip()) is not None


def comparison_words(text: str) -> list[str]:
    return _in_context(_COMPARISON, _NOT_COMPARISON, text)


def commercial_words(text: str) -> list[str]:
    """Words of commerce used as such: "orders for 500 systems", not "in order to"."""
    return _in_context(_COMMERCIAL, _NOT_COMMERCIAL, text)


def financial_words(text: str) -> list[str]:
    return _unique_lower(_FINANCIAL.findall(text))


def skeptic_words(text: str) -> list[str]:
    return _unique_lower(_SKEPTIC.findall(text))


def bullish_words(text: str) -> list[str]:
    return _unique_lower(_BULLISH.findall(text))


def _in_context(words: re.Pattern, idioms: re.Pattern, text: str) -> list[str]:
    """The matches of ``words`` that are not part of one of the ``idioms``."""
    spans = [m.span() for m in idioms.finditer(text)]
    return _unique_lower([m.group() for m in words.finditer(text) if not any(a <= m.start() < b for a, b in spans)])


def _unique_lower(words: list[str]) -> list[str]:
    return list(dict.fromkeys(w.lower() for w in words))
