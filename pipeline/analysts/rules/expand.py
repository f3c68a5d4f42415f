"""Rule-based query expansion: entities × angles × time window, the way the example report does.

``Are Cerebras/Groq customers … displacing NVIDIA …?`` gives the challengers Cerebras and Groq and
the focus company NVIDIA; each angle (the request's keywords, each source hint, then standard
analyst angles) becomes one query per challenger, ending with the window: ``Groq customer case
studies NVIDIA last 3 months``. When more queries are asked for, the focus company's own side of
each angle follows; a question with fewer angles than queries asked gets fewer (and says so).
"""

from __future__ import annotations

import re

from pipeline.entities import STOPWORDS as _STOPWORDS
from pipeline.entities import Entities, find_entities
from pipeline.models import ResearchRequest, SearchQuery

# (angle name, query template); {entity}, {focus} and {window} are filled in. Angles that compare
# against the focus company (the template starts or pivots on it) are skipped when there is none.
STANDARD_ANGLES: tuple[tuple[str, str], ...] = (
    ("performance benchmarks", "{entity} performance benchmarks {focus} tokens per second {window}"),
    ("head-to-head comparison", "{entity} vs {focus} inference {window}"),
    ("customer wins", "{entity} customer wins production deployments {window}"),
    ("revenue and deals", "{entity} revenue valuation IPO deals {window}"),
    ("architecture limits", "{entity} architecture limitations training inference {window}"),
    ("market displacement", "{entity} market share displacement {focus} {window}"),
    ("focus company response", "{focus} response {entity} inference competition {window}"),
    ("software ecosystem", "{focus} software ecosystem lock-in {entity} {window}"),
    ("skeptical views", "{entity} analyst skepticism risks {window}"),
    ("cost and efficiency", "{entity} cost per token energy efficiency {focus} {window}"),
    ("partnerships", "{entity} partnership cloud availability {window}"),
    ("memory and supply", "{entity} memory bandwidth supply constraints {focus} {window}"),
    ("pricing", "{entity} pricing per million tokens {focus} {window}"),
    ("funding and investors", "{entity} funding round investors {window}"),
    ("developer adoption", "{entity} developer adoption SDK API usage {window}"),
    ("model support", "{entity} supported models open-weight Llama {window}"),
    ("roadmap", "{entity} next-generation chip roadmap {window}"),
    ("data centers and power", "{entity} data center capacity power {window}"),
    ("export rules", "{entity} export controls regulation {window}"),
    ("leadership", "{entity} executives hiring leadership {window}"),
)
_NEEDS_FOCUS = {"head-to-head comparison", "focus company response", "software ecosystem"}


def expand_queries(request: ResearchRequest) -> list[SearchQuery]:
    entities = find_entities(request)
    focus = entities.focus or ""
    standard = [(name, t) for name, t in STANDARD_ANGLES if focus or name not in _NEEDS_FOCUS]
    angles = _request_angles(request, entities) + standard
    queries: list[SearchQuery] = []
    seen: set[str] = set()
    # A question that names no company is searched by its own words instead.
    subjects: list[str | None] = [*entities.challengers] or [None]
    topic = " ".join(w for w in re.findall(r"[\w-]+", request.question) if w.lower() not in _STOPWORDS)
    combinations = [(angle, template, entity) for angle, template in angles for entity in subjects]
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
