"""Consensus and conflicts, computed from the evidence the same way for every analyst.

**Consensus** counts the independent publishers whose passages state a finding's claim (see
``pipeline.claims``): one is *Overlooked*, two *Emerging*, three or more *Widely known*. A passage
republished word for word on several sites (a wire story) counts once, naming every site. The wording
is computed here, never written by a model, so it says only what was counted.

**Conflicts** are claims about the same companies that cannot both be right as written: the same
measure with different figures, or one event under opposing names. Each becomes a Contradictions and
Gaps entry with every side and its sources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from pipeline.claims import (
    Claim,
    Fact,
    Published,
    describe,
    differ,
    measured_basis,
    named_days,
    opposed_accounts,
    published_as,
    read_claims,
    states_same,
)
from pipeline.models import Consensus, Evidence, Gap, GapKind, Source
from pipeline.report.formatting import format_date
from pipeline.text import join_names, sentence_spans

_COPY = 95  # rapidfuzz ratio at which two sentences are one text republished
_COPY_ALONE = 120  # a verbatim sentence this long is a copy even without a matching neighbour
MAX_CONFLICTS = 12  # every disagreement found, most-sourced first, up to a dozen


@dataclass(frozen=True)
class Carrier:
    """A passage stating a claim, and the sentence of it that does."""

    evidence: Evidence
    claim: Claim

    @property
    def source(self) -> Source:
        return self.evidence.source


@dataclass(frozen=True)
class Corroboration:
    """Who carries a claim and what that makes of it."""

    sources: list[Source]  # the cited source first, then the others, copies beside their original
    publishers: int  # independent publishers, copies counted once
    consensus: Consensus
    rationale: str


def claim_of(snippet: str, companies: list[str], title: str = "") -> Claim | None:
    """The claim a finding states: the first sentence of its snippet that carries a figure, else its first.
    ``title`` is its source's, which says whose claim "the drug maker posted…" is."""
    claims = read_claims(snippet, companies, title)
    return next((c for c in claims if c.facts), claims[0] if claims else None)


def corroborate(
    snippet: str, cited: Evidence, evidence: Iterable[Evidence], companies: list[str], reach: str,
    linked: Iterable[Evidence] = (),
) -> Corroboration:
    """The publishers in ``evidence`` that state what ``snippet`` (quoted from ``cited``) states, and the
    consensus they make. ``reach`` says how far the searches looked, for the rationale ("the 14
    publishers the searches reached"). ``linked`` are passages a model says state it too: each counts
    when it holds mechanically (``holds_link``)."""
    claim = claim_of(snippet, companies, cited.source.title)
    carriers = [Carrier(cited, claim)] if claim else []
    if claim is not None:
        found = _carriers(claim, cited, evidence, companies)
        known = {c.source.publisher_key for c in found} | {cited.source.publisher_key}
        for item in linked:
            stated = holds_link(claim, item, companies)
            if stated is not None and item.source.publisher_key not in known:
                known.add(item.source.publisher_key)
                found.append(Carrier(item, stated))
        carriers += found
    groups = _independent(carriers) if carriers else [[Carrier(cited, Claim(snippet, 0, 0, frozenset(), (), frozenset()))]]
    label, rationale = _consensus(groups, claim, reach)
    sources = list({c.source.url: c.source for group in groups for c in group}.values())
    return Corroboration(sources, len(groups), label, rationale)


def holds_link(claim: Claim, item: Evidence, companies: list[str]) -> Claim | None:
    """The sentence of ``item`` that states ``claim`` as a model said it does, if the link holds: it names
    the claim's companies and states its figure in any written form (for a claim without figures, its
    words); a looser test than the tool's own matching, since a reader proposed the link."""
    fact = claim.principal
    for theirs in read_claims(item.text, companies, item.source.title):
        if not claim.companies & (theirs.companies | theirs.context):
            continue
        if fact is None and states_same(claim, theirs):
            return theirs
        if fact is not None and any(f.quantity.same_value(fact.quantity) for f in theirs.facts):
            return theirs
    return None


def contradiction_in(claim: Claim, item: Evidence, companies: list[str]) -> tuple[str, str, Claim] | None:
    """What ``item`` says against ``claim`` as a model said it does, if that holds: a sentence naming the
    claim's companies that gives the same kind of figure of the same measure another value, or calls its
    event by an opposing name. Returns what the claim says, what the passage says, and its sentence."""
    fact = claim.principal
    for theirs in read_claims(item.text, companies, item.source.title):
        if not claim.companies & theirs.companies:
            continue
        for other in theirs.facts:
            if fact is None:
                break
            same_measure = fact.quantity.unit == other.quantity.unit and (fact.measures & other.measures)
            if same_measure and not fact.quantity.same_value(other.quantity):
                return fact.text, other.text, theirs
        names = opposed_accounts(claim, theirs)
        if names is not None:
            return names[0], names[1], theirs
    return None


def _carriers(claim: Claim, cited: Evidence, evidence: Iterable[Evidence], companies: list[str]) -> list[Carrier]:
    own = cited.source.publisher_key
    found: dict[str, Carrier] = {}
    for item in evidence:
        publisher = item.source.publisher_key
        if publisher == own or publisher in found:
            continue
        stated = next((theirs for theirs in read_claims(item.text, companies, item.source.title) if states_same(claim, theirs)), None)
        if stated is not None:
            found[publisher] = Carrier(item, stated)
    return list(found.values())


def _independent(carriers: list[Carrier]) -> list[list[Carrier]]:
    """Carriers grouped by text: a republished copy joins the group of the first site carrying it."""
    groups: list[list[Carrier]] = []
    for carrier in carriers:
        group = next((g for g in groups if _copies(g[0], carrier)), None)
        if group is None:
            groups.append([carrier])
        else:
            group.append(carrier)
    return groups


def _copies(first: Carrier, second: Carrier) -> bool:
    """The same text on two sites: the same sentence, long enough or with the same sentence beside it."""
    from rapidfuzz import fuzz

    if fuzz.ratio(first.claim.text, second.claim.text) < _COPY:
        return False
    if min(len(first.claim.text), len(second.claim.text)) >= _COPY_ALONE:
        return True
    mine, theirs = _neighbours(first), _neighbours(second)
    return any(fuzz.ratio(a, b) >= _COPY for a in mine for b in theirs)


def _neighbours(carrier: Carrier) -> list[str]:
    text = carrier.evidence.text
    spans = sentence_spans(text)
    at = next((i for i, s in enumerate(spans) if s.start <= carrier.claim.start < s.end + 1), None)
    if at is None:
        return []
    return [text[s.start : s.end] for s in spans[max(0, at - 1) : at + 2] if s.start != spans[at].start]


def _consensus(groups: list[list[Carrier]], claim: Claim | None, reach: str) -> tuple[Consensus, str]:
    what = f"its {claim.principal.text} figure" if claim is not None and claim.principal is not None else "it"
    names = [_named(group) for group in groups]
    if len(groups) == 1:
        return Consensus.OVERLOOKED, (
            f"Only {names[0]} carries {what} among {reach}; no independent source repeats it, so it is unlikely "
            "to be priced in."
        )
    if len(groups) == 2:
        return Consensus.EMERGING, (
            f"Two independent publishers carry {what} ({join_names(names)}) among {reach}; it is starting to "
            "circulate but is not yet widely reported."
        )
    return Consensus.WIDELY_KNOWN, (
        f"{len(groups)} independent publishers carry {what} ({join_names(names)}) among {reach}, so it is likely "
        "already priced in."
    )


def _named(group: list[Carrier]) -> str:
    """A publisher, and the sites that republished its text: ``Reuters (also on Yahoo Finance)``."""
    labels = list(dict.fromkeys(c.source.publisher or c.source.domain for c in group))
    return labels[0] + (f" (also on {join_names(labels[1:])})" if len(labels) > 1 else "")


def reach_of(evidence: Iterable[Evidence], searched: str) -> str:
    """How far the counting looked: ``the 14 publishers a targeted search of the whole corpus reached``."""
    publishers = len({item.source.publisher_key for item in evidence})
    return f"the {publishers} publisher{'s' if publishers != 1 else ''} {searched}"


# --- conflicts --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Side:
    """One side of a conflict: what it says, in its first publisher's words, and who says it."""

    says: str
    quote: str
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class Conflict:
    """Publishers that disagree about one thing the question's companies did or measured."""

    kind: str
    companies: frozenset[str]
    topic: str
    sides: tuple[Side, ...]
    claims: tuple[Claim, ...]

    def as_gap(self) -> Gap:
        who = join_names(sorted(self.companies))
        if self.kind == "figures":
            title = f"Conflicting figures on {who}: {self.topic}"
            lead = f"Publishers give different figures for {who}'s {self.topic}"
        else:
            title = f"Conflicting accounts of {who}: {self.topic}"
            lead = f"Publishers describe the same event involving {who} differently"
        sides = "; ".join(f"{side.says}, as in \u201c{side.quote}\u201d ({_sourced(side.sources)})" for side in self.sides)
        return Gap(title=title, text=f"{lead}: {sides}. Check which is current before relying on either.",
                   kind=GapKind.CONTRADICTION)


def _sourced(sources: tuple[Source, ...], most: int = 4) -> str:
    """``Reuters, January 14, 2025; CNBC and 3 more``: who says it, with the date where there is one."""
    named = [f"{s.publisher or s.domain}{', ' + format_date(s.published) if s.published else ''}" for s in sources[:most]]
    more = len(sources) - most
    return "; ".join(named) + (f" and {more} more" if more > 0 else "")


def find_conflicts(evidence: list[Evidence], companies: list[str]) -> list[Conflict]:
    """Every disagreement among the passages, most-sourced first: figures of one basis (see
    ``pipeline.claims.measured_basis``) that differ for one period, and events called by opposing names."""
    stated: dict[tuple, list[_Stated]] = defaultdict(list)
    accounts: dict[frozenset[str], list[_Stated]] = defaultdict(list)
    for item in evidence:
        when = published_as(item.source.published or _latest_day(item.text), item.source.title)
        for claim in read_claims(item.text, companies, item.source.title):
            for fact in claim.facts:
                key = measured_basis(fact, claim)
                if key is not None:
                    stated[key].append(_Stated(fact, claim, item.source, when))
            if claim.actions:
                accounts[claim.companies].append(_Stated(None, claim, item.source, when))
    together = _one_release(stated.values())
    conflicts = [c for group in stated.values() for c in _figures_conflicts(_consistent(group), together)]
    conflicts += [c for group in accounts.values() for c in _accounts_conflicts(group)]
    conflicts.sort(key=lambda c: -sum(len(side.sources) for side in c.sides))
    return conflicts[:MAX_CONFLICTS]


#: Reported figures two texts must share to be taken as reporting one release: one restated in passing
#: ("2024 revenue was $97.7 billion") does not make a preview of the next quarter a report of the last.
_SHARED_FOR_ONE_RELEASE = 2


def _one_release(groups: Iterable[list[_Stated]]) -> set[frozenset[str]]:
    """Pairs of sources (by address) that report one release: each gives the same reported values for
    two or more measures ($25.71 billion revenue and $2.36 billion net income), so the figures either
    leaves undated are for one period."""
    shared: dict[frozenset[str], set[int]] = defaultdict(set)
    for number, group in enumerate(groups):
        reported = [e for e in group if e.fact and not e.fact.stance and not e.fact.change and e.fact.quantity.distinctive]
        for i, one in enumerate(reported):
            for other in reported[i + 1 :]:
                if one.source.url != other.source.url and _same_saying(one, other):
                    shared[frozenset({one.source.url, other.source.url})].add(number)
    return {pair for pair, bases in shared.items() if len(bases) >= _SHARED_FOR_ONE_RELEASE}


def _consistent(group: list[_Stated]) -> list[_Stated]:
    """The statements of one basis, less those of a page that gives it two values for one period where no
    other publisher gives that value too: the page narrows it by something the reader can't see (a
    heading, a table's column: Experiences revenue of $9.42 billion under "Revenue: $9.42B" beside the
    company's $24.69 billion), so it is not set against other pages; the value others give is the basis's own."""
    by_page: dict[tuple, list[_Stated]] = defaultdict(list)
    for entry in group:
        if entry.fact is not None and not entry.fact.bound:
            by_page[(entry.source.url, entry.fact.period)].append(entry)
    ambiguous = {key for key, entries in by_page.items()
                 if any(not a.fact.quantity.same_value(b.fact.quantity) for a in entries for b in entries if a.fact and b.fact)}

    def narrowed(entry: _Stated) -> bool:
        if entry.fact is None or entry.fact.bound or (entry.source.url, entry.fact.period) not in ambiguous:
            return False
        return not any(other.fact and other.source.publisher_key != entry.source.publisher_key
                       and other.fact.quantity.same_value(entry.fact.quantity) for other in group)

    return [e for e in group if not narrowed(e)]


def _latest_day(text: str) -> date | None:
    """The latest day an undated page names in full: it was written on that day or after, which places it
    near pages published then (a quarter's results reported on January 29 are that week's news)."""
    days = named_days(text)
    return max(days) if days else None


@dataclass(frozen=True)
class _Stated:
    """A claim as one source states it, with the figure of it under comparison (none for an account
    of an event)."""

    fact: Fact | None
    claim: Claim
    source: Source
    when: Published

    @property
    def says(self) -> str:
        return self.fact.text if self.fact else ""


def _figures_conflicts(group: list[_Stated], together: set[frozenset[str]]) -> list[Conflict]:
    """The values stated for one basis, as sides (a value stated in other words joins its side); a
    conflict is the side the most publishers give and every side that disagrees with it, then the next
    such side among the rest. Each side is weighed against the conflict's first, not against any other:
    a quarter's figure and a figure of unstated period may disagree, and that figure and another quarter's,
    but the two quarters do not."""
    sides: list[list[_Stated]] = []
    for entry in sorted(group, key=lambda e: e.fact.quantity.step if e.fact else 0):  # the most precise first
        matching = [s for s in sides if _same_saying(entry, s[0])]
        if len(matching) == 1:
            matching[0].append(entry)
        else:  # a new value, or a rounded one that two values round to ("1.8 million": 1.79 and 1.77 million)
            sides.append([entry])
    order = {id(entry): i for i, entry in enumerate(group)}
    sides = [sorted(side, key=lambda e: order[id(e)]) for side in sides]  # each side in the words of its first publisher
    sides.sort(key=lambda s: (-len({e.source.publisher_key for e in s}), order[id(s[0])]))
    placed: set[int] = set()
    conflicts: list[Conflict] = []
    for first in sides:
        if id(first) in placed:
            continue
        against = [s for s in sides if id(s) not in placed and s is not first and _sides_disagree(first, s, together)]
        if not against or first[0].fact is None:
            continue
        placed |= {id(first), *map(id, against)}
        disputed = [first, *against]
        fact = first[0].fact
        conflicts.append(Conflict(
            "figures", fact.subject(first[0].claim) or frozenset(), describe(fact),
            tuple(_side(s[0].says, s) for s in disputed), tuple(dict.fromkeys(e.claim for s in disputed for e in s)),
        ))
    return conflicts


def _sides_disagree(one: list[_Stated], other: list[_Stated], together: set[frozenset[str]]) -> bool:
    """Whether a publisher on one side disagrees with one on the other, each weighed both ways (a round
    figure allows what a precise one doesn't); a publisher's sentences that state one period alike are
    weighed once."""
    mine, theirs = _distinct(one), _distinct(other)
    return any(_disagree(a, b, together) or _disagree(b, a, together) for a in mine for b in theirs)


def _distinct(side: list[_Stated]) -> list[_Stated]:
    return list({(e.source.publisher_key, e.fact.period if e.fact else None, e.when): e for e in reversed(side)}.values())


def _side(says: str, entries: list[_Stated]) -> Side:
    return Side(says, _quote(entries[0].claim.text, says), tuple({e.source.url: e.source for e in entries}.values()))


def _same_saying(a: _Stated, b: _Stated) -> bool:
    return a.fact is not None and b.fact is not None and a.fact.quantity.same_value(b.fact.quantity) and a.fact.bound == b.fact.bound


def _disagree(a: _Stated, b: _Stated, together: set[frozenset[str]]) -> bool:
    if a.fact is None or b.fact is None or a.source.publisher_key == b.source.publisher_key:
        return False
    return differ(a.fact, a.claim, b.fact, b.claim, (a.when, b.when), frozenset({a.source.url, b.source.url}) in together)


def _accounts_conflicts(group: list[_Stated]) -> list[Conflict]:
    """Events one text calls an acquisition and another a licensing agreement, and the like."""
    found: dict[tuple[str, ...], dict[str, list[_Stated]]] = {}
    for i, entry in enumerate(group):
        for other in group[i + 1 :]:
            if other.source.publisher_key == entry.source.publisher_key:
                continue
            names = opposed_accounts(entry.claim, other.claim)
            if names is not None:
                sides = found.setdefault(tuple(sorted(names)), {})
                sides.setdefault(names[0], []).append(entry)
                sides.setdefault(names[1], []).append(other)
    return [
        Conflict("characterization", group[0].claim.companies, " or ".join(pair),
                 tuple(_side(name, entries) for name, entries in sides.items()),
                 tuple(dict.fromkeys(e.claim for entries in sides.values() for e in entries)))
        for pair, sides in found.items()
    ]


def _quote(sentence: str, says: str, most: int = 160) -> str:
    """The sentence stating a side, shortened around what it says when it is long."""
    if len(sentence) <= most:
        return sentence
    at = max(sentence.find(says), 0)
    start = max(0, min(at - most // 2, len(sentence) - most))
    return ("…" if start else "") + sentence[start : start + most].strip() + ("…" if start + most < len(sentence) else "")


def conflicting(claim: Claim | None, conflicts: list[Conflict]) -> Conflict | None:
    """The conflict a finding's claim is part of, if any."""
    if claim is None:
        return None
    return next((c for c in conflicts if any(states_same(claim, other) or other == claim for other in c.claims)), None)
