"""Text signals the rule-based analyst reads: figures, comparisons, money, entities.

Each signal is a small regular expression or word list with a name, so every rating can say
which signals produced it.
"""

from __future__ import annotations

import re

_FIGURE = re.compile(
    r"""(?ix)
    (?<![\w.\-/])                                       # not part of a name like H100 or gpt-oss-120B
    (?:[$€£]\s?)?\d(?:[\d,]*\d)?(?:\.\d+)?                # a number, maybe with currency
    (?:\s?(?:%|x\b|percent\b|times\b|trillion\b|billion\b|million\b|thousand\b|[kmb]\b
          |tokens?\s?(?:/|per\s)\s?(?:s|sec|second)\b|t/s\b|cores\b|gb\b|tb\b))?
    """
)
_YEAR = re.compile(r"^(?:19|20)\d\d$")
_DATE = re.compile(
    r"(?i)\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?\b"
    r"|\b\d{4}-\d{2}-\d{2}\b"
)

_COMPARISON = re.compile(
    r"(?i)\b(?:than|versus|vs\.?|compar\w*|outperform\w*|beat\w*|faster|cheaper|slower|"
    r"ahead of|behind|record|surpass\w*|double|twice|rival\w*|displac\w*|dethron\w*|alternative to)\b"
)
_COMMERCIAL = re.compile(
    r"(?i)\b(?:customers?|clients?|deal|deals|contracts?|partnership\w*|revenue|valuation|ipo|"
    r"public offering|funding|raised|invest\w*|orders?|deploy\w*|in production|case stud\w*|pricing|"
    r"market share|sec filing|acqui\w*|licens\w*)\b"
)
_SKEPTIC = re.compile(
    r"(?i)\b(?:overstat\w*|overclaim\w*|ill-suited|poorly suited|not suited|narrow\w*|skeptic\w*|"
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


def figures(text: str) -> list[str]:
    """Quantities stated in ``text`` (``2,522 tokens per second``, ``$4.8 billion``, ``76 percent``).

    Bare years and one-digit numbers are not figures: they don't make a claim measurable.
    """
    found: list[str] = []
    text = _DATE.sub(lambda m: " " * len(m.group()), text)  # "May 28" is a date, not a figure
    for match in _FIGURE.finditer(text):
        value = match.group().strip()
        digits = re.sub(r"\D", "", value)
        has_unit = not value[-1].isdigit() or value[0] in "$€£"
        if _YEAR.match(value) or (len(digits) < 2 and not has_unit):
            continue
        found.append(value)
    return found


def figure_key(figure: str) -> str:
    """The value and magnitude of a figure, so ``2,522 tokens/sec``, ``2522 tokens per second`` and
    ``2,522`` compare equal; ``$4.8 billion`` becomes ``4.8b``."""
    number = re.search(r"\d[\d,]*(?:\.\d+)?", figure)
    if number is None:
        return figure.lower()
    magnitude = re.match(r"\s*(trillion|billion|million|thousand|[tbmk])\b", figure[number.end():], re.IGNORECASE)
    return number.group().replace(",", "") + (magnitude.group(1)[0].lower() if magnitude else "")


def states_absence(text: str) -> bool:
    return _ABSENCE.search(text.strip()) is not None


def comparison_words(text: str) -> list[str]:
    return _unique_lower(_COMPARISON.findall(text))


def commercial_words(text: str) -> list[str]:
    return _unique_lower(_COMMERCIAL.findall(text))


def skeptic_words(text: str) -> list[str]:
    return _unique_lower(_SKEPTIC.findall(text))


def bullish_words(text: str) -> list[str]:
    return _unique_lower(_BULLISH.findall(text))


def mentions(text: str, name: str) -> bool:
    return re.search(rf"(?i)(?<!\w){re.escape(name)}(?!\w)", text) is not None


def _unique_lower(words: list[str]) -> list[str]:
    return list(dict.fromkeys(w.lower() for w in words))
