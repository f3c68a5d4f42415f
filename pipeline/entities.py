"""Who a question is about: the companies it names, the focus company the others are measured against,
and the words a text uses for each of them.

``Are Cerebras/Groq customers … displacing NVIDIA …?`` names the challengers Cerebras and Groq and the
focus NVIDIA; ``Eli Lilly vs Novo Nordisk`` names two companies of two words each, which texts also call
``Lilly`` and ``Novo``. The rules, the claim reader and the corpus search all find companies this way.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from pipeline.models import ResearchRequest

STOPWORDS = frozenset(
    """a an and are as at can could did do does for how if in is it of on or should the their there
    these this those to vs versus what when where which who why will with would""".split()
)
# Capitalised words that are not company names.
_NOT_NAMES = STOPWORDS | frozenset(
    """ai ml llm llms gpu gpus cpu cpus tpu npu asic asics fy ceo cfo ipo us usa eu api inference
    training earnings customers production chips chip news outlook market markets i we you me my our
    compare summarize summarise analyze analyse assess evaluate explain describe show list give tell
    find research review buy sell hold track watch""".split()
)
# Words that separate one name from the next in a question: "A vs B", "A and B", "A, B", "A/B".
_BETWEEN_NAMES = re.compile(r"(?i)[,;/?()]|\s(?:vs\.?|versus|and|or|against|&)\s")
_FOCUS_CUES = (
    r"(?:vs\.?|versus|against|displacing|displace|replacing|replace|than|over|beat|beating|challenging|challenge|"
    r"overtaking|overtake|rival|rivals|rivalling|threaten|threatening)"
)
# Words of a longer company name that say what kind of company it is, not which: never a short name.
_GENERIC = frozenset(
    """inc corp corporation co company companies ltd plc llc ag sa se nv group holdings holding systems technologies
    technology motors airlines airways pharmaceuticals pharma therapeutics energy electric financial capital global
    platforms networks communications industries brands foods health healthcare labs laboratories sciences software
    solutions services media entertainment studios pictures resources partners ventures mobile auto automotive bank
    research instruments devices advanced micro digital data cloud semiconductor semiconductors international national united
    american general first new great north south east west the""".split()
)


@dataclass(frozen=True)
class Entities:
    """Who the question is about: the challengers, and the focus company they are measured against."""

    challengers: list[str]
    focus: str | None

    @property
    def all(self) -> list[str]:
        return self.challengers + ([self.focus] if self.focus and self.focus not in self.challengers else [])


def find_entities(request: ResearchRequest) -> Entities:
    """Company-like names in the question and keywords; the focus is ``--focus`` or the name after
    ``vs``/``displacing``/``than``…, else the last name mentioned."""
    text = request.question
    asked = names_in(text)
    names = asked + [n for keyword in request.keywords for n in names_in(keyword) if n not in asked]
    focus = request.focus
    if focus is None:
        cued = re.search(rf"(?i)\b{_FOCUS_CUES}\s+([A-Z][\w&.'-]*(?:\s+[A-Z][\w&.'-]*)*)", text)
        named = [n for n in names if cued and cued.group(1).startswith(n)]
        if named:
            focus = named[0]
        elif len(names) > 1:
            focus = names[-1]
    challengers = [n for n in names if not focus or n.lower() != focus.lower()]
    if not challengers and focus:
        challengers, focus = [focus], None
    return Entities(challengers=challengers, focus=focus)


def names_in(text: str) -> list[str]:
    """Company-like names: runs of capitalised words between separators ("Eli Lilly", "NVIDIA"), not
    question or command words, not single letters, not product codes that mix letters and digits
    (H100, MI300, Q3)."""
    found: list[str] = []
    for part in _BETWEEN_NAMES.split(re.sub(r"['’]s\b", ",", text)):  # "Novo Nordisk's Wegovy": two names
        run: list[str] = []
        for word in [*re.findall(r"[A-Za-z][\w&'-]*", part), ""]:
            if word and _name_like(word) and word.lower() not in _NOT_NAMES:
                run.append(word)
                continue
            if run:
                found.append(" ".join(run))
            run = []
    return list(dict.fromkeys(found))


def _name_like(word: str) -> bool:
    return (word[0].isupper() or word.isupper()) and len(word) > 1 and not any(c.isdigit() for c in word)


def aliases(name: str) -> list[str]:
    """The words a text may use for ``name``: the name itself; for a longer name, each of its words that
    says which company it is (``Eli Lilly``: ``Lilly``; ``Novo Nordisk``: ``Novo``, ``Nordisk``), and
    the initials of a name of three words or more (``Advanced Micro Devices``: ``AMD``) or of two generic
    ones (``General Motors``: ``GM``), and the name written as one word, as some pages and tickers do
    (``NovoNordisk``)."""
    words = name.split()
    if len(words) == 1:
        return [name]
    short = [w for w in words if len(w) >= 4 and w.lower() not in _GENERIC and w.lower() not in _NOT_NAMES]
    # a name of three words or more, or of two that say only what kind of company it is, goes by its initials
    generic = all(w.lower() in _GENERIC for w in words)
    initials = ["".join(w[0] for w in words).upper()] if len(words) >= 3 or generic else []
    return list(dict.fromkeys([name, *short, *initials, "".join(words)]))


def mentions(text: str, name: str) -> bool:
    """Whether ``text`` names the company by its name or one of its aliases."""
    return mention_pattern(name).search(text) is not None


@lru_cache(maxsize=256)
def mention_pattern(name: str) -> re.Pattern:
    """A pattern for every mention of ``name``; an all-capital alias (``AMD``) only in capitals."""
    written = [re.escape(alias) for alias in aliases(name) if not (alias.isupper() and alias != name)]
    initials = [re.escape(alias) for alias in aliases(name) if alias.isupper() and alias != name]
    loose = rf"(?i:{'|'.join(written)})"
    pattern = loose if not initials else rf"{loose}|{'|'.join(initials)}"
    return re.compile(rf"(?<!\w)(?:{pattern})(?!\w)")
