"""A third-party backend, as another package would ship it: a searcher over an analyst's notes,
registered through the ``groundbrief.backends`` entry point. The plugin test installs it."""

from __future__ import annotations

from datetime import date

from pipeline.models import Evidence, ResearchRequest, SearchQuery, SearchResults, Source, TokenUsage

NOTES = [
    Source(url="https://notes.example/cerebras-throughput", title="Throughput notes", publisher="Desk Notes",
           published=date(2026, 11, 2)),
    Source(url="https://notes.example/groq-customers", title="Customer notes", publisher="Channel Checks",
           published=date(2026, 11, 9)),
]
PASSAGES = [
    "Our desk measured Cerebras at 2,100 tokens per second on a 70B model, against 900 tokens per second for NVIDIA H200.",
    "Two of the five customers we spoke to moved inference traffic from NVIDIA to Groq this quarter.",
]


class NotesSearcher:
    """Every note, for every query: a small, fixed evidence set."""

    identity = "notes:v1"
    description = "analyst notes (groundbrief-notes plugin)"
    usage = TokenUsage()

    def search(self, request: ResearchRequest, queries: list[SearchQuery]) -> SearchResults:
        evidence = [
            Evidence(text=text, source=source, query=queries[0].text if queries else request.question)
            for text, source in zip(PASSAGES, NOTES, strict=True)
        ]
        return SearchResults(evidence=evidence, executed_queries=[query.text for query in queries])


def register(registry) -> None:
    registry.add_searcher("notes", lambda options: NotesSearcher(), "the desk's notes (groundbrief-notes plugin)")
