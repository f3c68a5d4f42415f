"""Figures a sentence states, with their units: quantulum3 finds the quantities, price-parser reads money.

A figure is a measurable claim: ``2,522 tokens per second``, ``$4.8 billion``, ``10-60%``, ``20x``.
A range is one figure. Years, calendar dates, spans of days, product names (H100, gpt-oss-120B) and
lone small numbers are not figures: they don't make a claim measurable. Each figure keeps its unit,
so a comparison can insist on like for like (tokens/s against tokens/s, a share price against a
share price).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, replace
from functools import lru_cache

# Where quantulum3 knows no unit for a measure the industry states often.
_CUSTOM_UNITS = {
    "token per second": [
        "token per second", "tokens per second", "tokens/s", "tokens/sec", "token/s", "tokens per sec", "tokens a second",
    ],
}
_CURRENCIES = {"$": "USD", "US$": "USD", "USD": "USD", "€": "EUR", "EUR": "EUR", "£": "GBP", "GBP": "GBP"}
_MAGNITUDES = {"trillion": 1e12, "tn": 1e12, "t": 1e12, "billion": 1e9, "bn": 1e9, "b": 1e9,
               "million": 1e6, "mn": 1e6, "m": 1e6, "thousand": 1e3, "k": 1e3}
_CALENDAR_UNITS = frozenset({"day", "week", "month", "year", "decade", "century"})
_MONTH = re.compile(r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+$")
# The second end of a range quantulum3 leaves out ("between $2 and $3 billion", "$115-$125").
_RANGE_END = re.compile(
    r"^\s*(?:-|–|—|to|and)\s*(?:US\$|[$€£])?\d[\d,]*(?:\.\d+)?(?:\s?(?:trillion|billion|million|thousand|bn|tn|mn|[tbmk])\b)?",
    re.IGNORECASE,
)
# Multiples ("20x", "21×", "between 2 and 3x") are read here: quantulum3 reads the "x" as a
# multiplication sign in some processes and not in others (its operators are a set, whose order
# follows Python's string hashing).
_MULTIPLE = re.compile(r"(?i)(?:between\s+(\d+(?:\.\d+)?)\s+and\s+)?(?<![\d.])(\d+(?:\.\d+)?)\s?[x×](?![\w-])")
# A word quantulum3 takes for a unit symbol when it follows a number: "40 ms at" (ampere-turns).
_TRAILING_WORD = re.compile(r"(?i)\s+(?:at|in|on|of|for|to|by|as|a|an)$")
_AMOUNT = re.compile(r"\d[\d,]*(?:\.\d+)?")
_SET_AGAINST = re.compile(r"(?i)^,?\s+(?:against|versus|vs\.?|compared (?:with|to))\s+(?:just\s+|only\s+)?$")
_PER = re.compile(r"^\s+per\s+((?:million\s+|thousand\s+|1m\s+)?[a-z]+)", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    """One stated quantity: its verbatim text, its value (a range has low < high) and its unit."""

    text: str
    low: float
    high: float
    unit: str  # "USD", "%", "tokens/s", "x", a quantulum3 unit name, or "" for a bare number
    start: int
    end: int
    per: str = ""  # what a price is per: "share", "million tokens"

    @property
    def key(self) -> str:
        """The value whatever the notation: ``$4.8 billion`` = ``$4,800 million``, ``2,522`` = ``2522``."""
        return f"{self.low:.6g}" if self.low == self.high else f"{self.low:.6g}-{self.high:.6g}"

    @property
    def measure(self) -> str:
        """What the figure measures, for like-for-like comparison: its unit and what it is per."""
        return f"{self.unit} per {self.per}" if self.per else self.unit

    @property
    def distinctive(self) -> bool:
        """Specific enough that a match means the same fact (``2,522``, ``$4.8 billion``), not ``10x``."""
        digits = sum(ch.isdigit() for ch in self.text)
        return digits >= 3 or (digits >= 2 and self.unit not in ("", "x"))


def figures(text: str) -> list[Figure]:
    """The figures ``text`` states, in order."""
    return list(_figures(text))


@lru_cache(maxsize=4096)
def _figures(text: str) -> tuple[Figure, ...]:
    if not any(ch.isdigit() for ch in text):
        return ()  # every figure has a digit; quantulum3 is the slow part of the rules
    multiples = [_multiple(match) for match in _MULTIPLE.finditer(text) if not _inside_name(text, *match.span())]
    found: list[Figure] = []
    for quantity in _parse(text):
        start, end = _snapped(text, *quantity.span)
        if (found and start < found[-1].end) or any(m.start < end and start < m.end for m in multiples):
            continue  # inside a range already read, or a multiple read below
        figure = _figure(text, quantity, start, end)
        if figure is not None:
            found.append(_with_elided_unit(text, found[-1], figure) if found else figure)
    return tuple(sorted(found + multiples, key=lambda f: f.start))


def _snapped(text: str, start: int, end: int) -> tuple[int, int]:
    """quantulum3's span moved onto whole words from the number on: it slips where a word is read
    as a number ("a $4 billion" comes back as "a $4 billi")."""
    lead = re.search(r"between\s|US\$|[$€£]|\d", text[start:end])
    start += lead.start() if lead else 0
    while 0 < end < len(text) and text[end].isalpha() and text[end - 1].isalpha():
        end += 1
    return start, end


def _multiple(match: re.Match) -> Figure:
    values = [float(v) for v in match.groups() if v]
    return Figure(match.group(), min(values), max(values), "x", match.start(), match.end())


def _with_elided_unit(text: str, previous: Figure, figure: Figure) -> Figure:
    """A bare number set against a figure takes its unit: in "2,522 tokens per second against 1,038",
    the 1,038 is tokens per second too."""
    if figure.unit or not previous.unit or not _SET_AGAINST.match(text[previous.end : figure.start]):
        return figure
    return replace(figure, unit=previous.unit, per=previous.per)


def _parse(text: str) -> list:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "classifier not installed": the rules need no disambiguation model
        parser = _parser()
        try:
            return parser.parse(text)
        except Exception:  # text from documents is data: a sentence quantulum3 can't read states no figure
            return []


@lru_cache(maxsize=1)
def _parser():
    """quantulum3's parser, with the units it lacks.

    quantulum3 imports inflect, which wraps its methods in typeguard's ``@typechecked``: at import
    that recompiles each of them, 1.5 to 3 seconds, most of a cold report. typeguard makes the
    decorator a no-op under ``python -O`` (its checks are for development), so inflect is imported
    here as it would be there; nothing else is checked or changed.
    """
    import typeguard

    checked = typeguard.typechecked
    setattr(typeguard, "typechecked", _unchecked)  # noqa: B010 — typed as the real decorator
    try:
        from quantulum3 import load, parser

        load.add_custom_entity("throughput")
        for name, surfaces in _CUSTOM_UNITS.items():
            load.add_custom_unit(name=name, surfaces=surfaces, entity="throughput")
        parser.parse("1 kg")  # loads the English rules, and with them inflect
    finally:
        setattr(typeguard, "typechecked", checked)  # noqa: B010
    return parser


def _unchecked(target=None, **options):
    """``@typechecked`` as typeguard makes it under ``python -O``: the target unchanged."""
    return target if target is not None else (lambda function: function)


def _figure(text: str, quantity, start: int, end: int) -> Figure | None:
    if _inside_name(text, start, end) or _MONTH.search(text[:start]):
        return None
    if quantity.unit.name in _CALENDAR_UNITS:
        return None  # "the next 60 to 90 days": a horizon, not a measured claim
    surface = text[start:end]
    if not any(ch.isdigit() for ch in surface):
        return None  # "three", "a dozen"
    money = _money(text, start, end)
    if money is not None:
        return money
    stray = _TRAILING_WORD.search(surface)
    if stray:
        end = start + stray.start()
        surface = text[start:end]
        quantity = next(iter(_parse(surface)), quantity)
    unit = _unit(quantity, surface)
    low = high = float(quantity.value)
    if quantity.uncertainty:
        low, high = low - quantity.uncertainty, low + quantity.uncertainty
    if not unit and (_is_year(surface) or sum(ch.isdigit() for ch in surface) < 2):
        return None
    return Figure(surface, low, high, unit, start, end)


def _inside_name(text: str, start: int, end: int) -> bool:
    """Part of a product or model name: H100, B200, gpt-oss-120B, K2.6."""
    before = text[start - 1] if start else " "
    after = text[end] if end < len(text) else " "
    return before.isalnum() or before in "-/." or (after.isalpha() and not text[start:end][-1].isalpha())


def _is_year(surface: str) -> bool:
    return bool(re.fullmatch(r"(?:19|20)\d\d", surface.strip()))


def _unit(quantity, surface: str) -> str:
    if quantity.unit.entity.name == "throughput":
        return "tokens/s"
    if surface.rstrip().endswith(("x", "×", "times")):
        return "x"
    if quantity.unit.name == "percentage":
        return "%"
    if quantity.unit.entity.name == "currency":  # "640 million dollars"
        return getattr(quantity.unit, "currency_code", None) or quantity.unit.name
    return "" if quantity.unit.name in ("dimensionless", "count") else quantity.unit.name


def _money(text: str, start: int, end: int) -> Figure | None:
    """An amount of money, a range of them read as one: ``$12–15 billion``, ``between $2 and $3 billion``."""
    from price_parser import Price

    surface = text[start:end]
    if not re.search(r"US\$|[$€£]", surface):
        return None
    between = text[:start].lower().endswith("between ")
    extra = _RANGE_END.match(text[end:])
    if extra and (between or not extra.group().strip().lower().startswith("and")):
        end += extra.end()
        start -= len("between ") if between else 0
    surface = text[start:end]
    amounts = list(_AMOUNT.finditer(surface))
    shared = _scale(surface[amounts[-1].end() :]) or 1.0  # "$12–15 billion": the billion applies to both ends
    values = [float(m.group().replace(",", "")) * (_scale(surface[m.end() :]) or shared) for m in amounts]
    currency = (Price.fromstring(surface).currency or "$").strip()
    per = _PER.match(text[end:])
    return Figure(surface, min(values), max(values), _CURRENCIES.get(currency, currency), start, end,
                  per=per.group(1).lower() if per else "")


def _scale(after: str) -> float:
    """The magnitude word right after a number (``billion``, ``bn``, ``B``), or 0 when there is none."""
    word = re.match(r"\s?([a-z]+)\b", after, re.IGNORECASE)
    return _MAGNITUDES.get(word.group(1).lower(), 0.0) if word else 0.0
