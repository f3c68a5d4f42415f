"""Several searchers in one report (``--search corpus,web``): every query goes to every searcher in
one parallel round, and their evidence is merged into one list.

Each source keeps the kind of searcher it came from; a page found by two searchers (the same
address, written a little differently) is one source. A searcher that fails becomes a failed search
in the report's gaps and the others' evidence still stands; only a searcher the user must fix
(``UsageError``: a bad key, a missing setting) stops the run, as it would on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import partial
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.errors import UsageError
from pipeline.models import Evidence, QueryFailure, ResearchRequest, SearchQuery, SearchResults, Source, TokenUsage
from pipeline.providers.secrets import one_line, redact
from pipeline.stages import Searcher

_TRACKING = ("utm_", "fbclid", "gclid", "mc_cid", "mc_eid")


@dataclass(frozen=True)
class Part:
    """One searcher of a combined search, with the kind it was asked for by (``corpus``, ``edgar``…)."""

    kind: str
    searcher: Searcher


class CombinedSearcher:
    """``Searcher`` over several searchers at once, in the order the user named them."""

    def __init__(self, parts: list[Part]):
        if len(parts) < 2:
            raise ValueError("a combined search needs at least two searchers")
        self.parts = parts

    @property
    def identity(self) -> str:
        """Every part's identity: a change to any of them recomputes the search."""
        return "combined[" + " | ".join(f"{part.kind}={part.searcher.identity}" for part in self.parts) + "]"

    @property
    def description(self) -> str:
        return " + ".join(part.searcher.description for part in self.parts)

    @property
    def usage(self) -> TokenUsage:
        total = TokenUsage()
        for part in self.parts:
            total = total + part.searcher.usage
        return total

    def search(self, request: ResearchRequest, queries: list[SearchQuery]) -> SearchResults:
        """All parts at once: each on its own thread, except a ``thread_bound`` one (a SQLite index
        belongs to the thread that opened it), which runs on this thread meanwhile."""
        outcomes: dict[int, SearchResults | Exception] = {}
        free = [i for i, part in enumerate(self.parts) if not getattr(part.searcher, "thread_bound", False)]
        with ThreadPoolExecutor(max(1, len(free)), thread_name_prefix="search") as pool:
            futures = {i: pool.submit(self.parts[i].searcher.search, request, queries) for i in free}
            for i, part in enumerate(self.parts):
                if i not in futures:
                    outcomes[i] = _outcome(partial(part.searcher.search, request, queries))
            for i, future in futures.items():
                outcomes[i] = _outcome(future.result)
        return merged([(part, outcomes[i]) for i, part in enumerate(self.parts)])


def _outcome(search: Callable[[], SearchResults]) -> SearchResults | Exception:
    """A part's results, or the error it failed with; an error the user must fix ends the run."""
    try:
        return search()
    except UsageError:
        raise
    except Exception as error:  # one searcher's failure must not cost the others' evidence
        return error


def merged(outcomes: list[tuple[Part, SearchResults | Exception]]) -> SearchResults:
    """The parts' results as one: evidence in the order the searchers were named, each source tagged
    with its kind, one source per canonical address (the first searcher's), failures kept as failures."""
    sources: dict[str, Source] = {}
    seen: set[tuple[str, str]] = set()
    evidence: list[Evidence] = []
    failures: list[QueryFailure] = []
    executed: list[str] = []
    warnings: list[str] = []
    gaps = []
    out_of_window = 0
    for part, outcome in outcomes:
        if isinstance(outcome, Exception):
            reason = one_line(redact(str(outcome)) or type(outcome).__name__, 240)
            failures.append(QueryFailure(query=f"{part.kind}: {part.searcher.description}", error=reason))
            continue
        for item in outcome.evidence:
            address = canonical_url(item.source.url)
            source = sources.setdefault(address, item.source.model_copy(update={"kind": part.kind}))
            if (address, item.text) not in seen:
                seen.add((address, item.text))
                evidence.append(item.model_copy(update={"source": source}))
        executed += outcome.executed_queries
        failures += outcome.failures
        warnings += [f"{part.kind}: {warning}" for warning in outcome.warnings]
        gaps += outcome.gaps
        out_of_window += outcome.out_of_window
    return SearchResults(
        evidence=evidence,
        executed_queries=list(dict.fromkeys(executed)),
        failures=failures,
        out_of_window=out_of_window,
        warnings=warnings,
        gaps=gaps,
    )


def canonical_url(url: str) -> str:
    """The address two searchers may write differently for one page: case of the scheme and host,
    ``www.``, a default port, a trailing slash, a fragment and tracking parameters don't count."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https"):
        return url.strip()
    try:
        port = parts.port
    except ValueError:  # not a number: compared as written
        return url.strip()
    host = (parts.hostname or "").lower().removeprefix("www.")
    if port and port != {"http": 80, "https": 443}[parts.scheme]:
        host += f":{port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not k.lower().startswith(_TRACKING)])
    return urlunsplit(("https", host, parts.path.rstrip("/"), query, ""))
