"""The interface every model provider implements for the LLM analyst: one JSON-returning call."""

from __future__ import annotations

from typing import Protocol

from pydantic import BaseModel

from pipeline.models import TokenUsage


class ChatModel(Protocol):
    """What a provider backend implements: one JSON-returning call, plus what it has spent."""

    @property
    def identity(self) -> str:
        """Provider and model, for cache keys: ``gemini:gemini-3-flash``."""
        ...

    @property
    def model_label(self) -> str:
        """The exact model version the provider reports, for the report's Model line."""
        ...

    @property
    def context_tokens(self) -> int: ...

    @property
    def usage(self) -> TokenUsage: ...

    def generate_json(self, prompt: str, schema: type[BaseModel], stage: str) -> str:
        """The model's raw reply to ``prompt``, asked to follow ``schema`` (JSON)."""
        ...
