"""Google Search grounding: what a grounded answer says, which pages back each statement, and how
to read them out of a Gemini response.

The types are what ``pipeline.search.web`` works on; ``GeminiGrounding`` makes the grounded call
through the shared Gemini client (``pipeline.providers.gemini``), which counts its tokens and searches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

from pipeline.models import TokenUsage
from pipeline.providers.gemini import GeminiChat, GeminiReply

_WEB_URI = re.compile(r"^https?://", re.IGNORECASE)


@dataclass(frozen=True)
class WebChunk:
    """A page a grounded answer drew on: usually a grounding-api-redirect link titled with the domain."""

    uri: str
    title: str = ""


@dataclass(frozen=True)
class GroundedStatement:
    """A stretch of the answer and the indices of the chunks that support it."""

    text: str
    chunks: tuple[int, ...]
    confidence: float | None = None


@dataclass(frozen=True)
class GroundedAnswer:
    """One grounded call's answer; ``chunks`` keeps the API's indices (``None`` for a non-web chunk)."""

    text: str
    searches: tuple[str, ...] = ()
    chunks: tuple[WebChunk | None, ...] = ()
    statements: tuple[GroundedStatement, ...] = ()

    @property
    def searched(self) -> bool:
        return bool(self.searches or self.chunks)

    def cited(self) -> list[WebChunk]:
        """The chunks some statement cites, once each, in index order."""
        indices = sorted({i for s in self.statements for i in s.chunks if 0 <= i < len(self.chunks)})
        return [chunk for i in indices if (chunk := self.chunks[i]) is not None]


class GroundingModel(Protocol):
    """A model that answers with search grounding: Gemini, or the benchmark's sleeping fake."""

    @property
    def identity(self) -> str: ...

    @property
    def usage(self) -> TokenUsage: ...

    def ground(self, prompt: str) -> GroundedAnswer: ...


class GeminiGrounding:
    """``GroundingModel`` on Gemini: a plain-text answer grounded with Google Search (no schema, so
    every current model can do it), on ``chat``'s client and token ledger."""

    def __init__(self, chat: GeminiChat):
        self.chat = chat

    @property
    def identity(self) -> str:
        return self.chat.identity

    @property
    def usage(self) -> TokenUsage:
        return self.chat.usage

    def ground(self, prompt: str) -> GroundedAnswer:
        from google.genai import types

        config = types.GenerateContentConfig(tools=[types.Tool(google_search=types.GoogleSearch())])
        return grounded_answer(self.chat.generate(prompt, config, "search"))


def grounded_answer(reply: GeminiReply) -> GroundedAnswer:
    """The grounded answer in the searcher's terms: the answer, the searches run, the pages, the statements."""
    from google.genai import types

    metadata: Any = reply.grounding or types.GroundingMetadata()
    parts, answer = list(reply.parts), reply.text
    chunks = tuple(
        WebChunk(uri=chunk.web.uri, title=(chunk.web.title or "").strip())
        if chunk.web and _WEB_URI.match(chunk.web.uri or "")
        else None  # a retrieval or maps chunk: not a web page
        for chunk in metadata.grounding_chunks or []
    )
    statements = tuple(
        GroundedStatement(
            text=segment_text(parts, answer, support.segment),
            chunks=tuple(support.grounding_chunk_indices or ()),
            confidence=max(support.confidence_scores) if support.confidence_scores else None,
        )
        for support in metadata.grounding_supports or []
        if support.segment is not None
    )
    return GroundedAnswer(
        text=answer,
        searches=tuple(q.strip() for q in reply.searches if q and q.strip()),
        chunks=chunks,
        statements=tuple(s for s in statements if s.text),
    )


def segment_text(parts: list[str], answer: str, segment: Any) -> str:
    """A support's text: the API's ``segment.text``, or when that is missing, the text cut at the
    segment's **UTF-8 byte** offsets (the API counts bytes, and leaves ``startIndex`` out when 0). The
    offsets are into part ``partIndex`` when given, else into the answer without its thought parts:
    recorded Gemini 3 traffic puts the answer after thought and tool parts and still leaves ``partIndex`` out."""
    if segment.text and segment.text.strip():
        return segment.text.strip()
    index, start, end = segment.part_index, segment.start_index or 0, segment.end_index
    text = answer if index is None else parts[index] if index < len(parts) else ""
    data = text.encode("utf-8")
    if end is None or not 0 <= start < end <= len(data):
        return ""
    return data[start:end].decode("utf-8", errors="replace").strip()
