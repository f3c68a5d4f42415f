"""Rule-based query expansion: entities × angles × time window, the way the example report does.

``Are Cerebras/Groq customers … displacing NVIDIA …?`` gives the challengers Cerebras and Groq and
the focus company NVIDIA; each angle (the request's keywords, each source hint, then standard
analyst angles for any industry) becomes one query per challenger, ending with the window: ``Groq
customer case studies NVIDIA last 3 months``. A question about one company against the focus
(``Boeing vs Airbus``) searches both sides of each angle in turn. When more queries are asked for,
the focus company's own side of each angle follows; a question with fewer angles than queries asked
gets fewer (and says so).
"""

from __future__ import annotations

import re

from pipeline.entities import STOPWORDS as _STOPWORDS
from pipeline.entities import Entities, find_entities
from pipeline.models import ResearchRequest, SearchQuery

# (angle name, query template); {entity}, {focus} and {window} are filled in. The standard angles are an
# equity analyst's, for any industry; the request's own keywords and source hints come first. Angles that
# compare against the focus company (the template starts or pivots on it) are skipped when there is none.
STANDARD_ANGLES: tuple[tuple[str, str], ...] = (
    ("results and guidance", "{entity} revenue profit results guidance {window}"),
    ("head-to-head comparison", "{entity} vs {focus} {window}"),
    ("deals and customers", "{entity} deal contract customers orders {window}"),
    ("market share", "{entity} market share competition {focus} {window}"),
    ("operations", "{entity} production deliveries capacity supply {window}"),
    ("risks", "{entity} risks problems strike lawsuit investigation {window}"),
    ("analyst views", "{entity} analysts expectations estimates shares {window}"),
    ("products", "{entity} new product launch performance benchmarks {window}"),
    ("focus company response", "{focus} response {entity} competition {window}"),
    ("pricing and costs", "{entity} pricing costs margins {window}"),
    ("funding and valuation", "{entity} funding valuation IPO investors {window}"),
    ("financial position", "{entity} cash flow debt losses {window}"),
    ("leadership and strategy", "{entity} CEO executives strategy {window}"),
    ("partnerships", "{entity} partnership alliance agreement {window}"),
    ("workforce", "{entity} workers union jobs layoffs {window}"),
    ("regulation", "{entity} regulators approval regulation {window}"),
    ("expansion", "{entity} expansion investment new plant market {window}"),
    ("technology", "{entity} technology roadmap research development {window}"),
)
_NEEDS_FOCUS = {"head-to-head comparison", "focus company response"}


def expand_queries(request: ResearchRequest) -> list[SearchQuery]:
    entities = find_entities(request)
    focus = entities.focus or ""
    standard = [(name, t) for name, t in STANDARD_ANGLES if focus or name not in _NEEDS_FOCUS]
    angles = _request_angles(request, entities) + standard
    queries: list[SearchQuery] = []
    seen: set[str] = set()
    # A question that names no company is searched by its own words instead. One company against the
    # focus ("Boeing vs Airbus"): both sides of each angle, in turn; several challengers: theirs first.
    subjects: list[str | None] = [*entities.challengers] or [None]
    paired = focus and len(entities.challengers) == 1
    topic = " ".join(w for w in re.findall(r"[\w-]+", request.question) if w.lower() not in _STOPWORDS)
    combinations = [
        (angle, template, entity)
        for angle, template in angles
        for entity in subjects + ([focus] if paired and "{focus}" not in template else [])
    ]
    # More queries than the challengers have angles: the focus company's own side of each angle.
    combinations += [(angle, template, focus) for angle, template in angles if focus and "{focus}" not in template]
    for angle, template, entity in combinations:
        text = template.format(entity=entity or topic, focus=focus, window=request.window.phrase)
        text = " ".join(text.split())
        if text.lower() not in seen:
            seen.add(text.lower())
            queries.append(SearchQuery(text=text, entity=entity, angle=angle))
        if len(queries) == request.query_count:
            return queries
    return queries


def _request_angles(request: ResearchRequest, entities: Entities) -> list[tuple[str, str]]:
    """Angles the analyst asked for: the keywords (or else the question's own words) as one
    angle, then each source hint."""
    angles: list[tuple[str, str]] = []
    names = {n.lower() for n in entities.all}
    keywords = [k for k in request.keywords if k.lower() not in names]
    asked = [w for w in re.findall(r"[\w-]+", request.question) if w.lower() not in _STOPWORDS | names]
    if keywords:
        angles.append(("requested keywords", "{entity} " + " ".join(keywords) + " {focus} {window}"))
    elif asked and entities.challengers:
        angles.append(("the question", "{entity} " + " ".join(asked) + " {focus} {window}"))
    for hint in request.source_hints:
        hint_text = hint if any(c.isupper() for c in hint[1:]) else hint.lower()
        if hint_text.lower() in {"arxiv", "sec filings", "sec"}:
            angles.append((hint, hint_text + " {entity} {focus} {window}"))
        else:
            angles.append((hint.lower(), "{entity} " + hint_text + " {focus} {window}"))
    return angles
