"""Credentials kept out of error messages, whichever backend or SDK produced the text."""

from __future__ import annotations

import os
import re

#: Key-shaped values: OpenAI-style ``sk-…``, bearer tokens, Google API keys (``AIza…``).
KEY_LIKE = re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{8,}|\bBearer\s+\S+|AIza[0-9A-Za-z_\-]{20,}")
_SECRET_NAMES = ("KEY", "TOKEN", "SECRET", "PASSWORD")


def redact(text: str) -> str:
    """``text`` without credentials: the value of every environment variable named like a secret
    (``GEMINI_API_KEY``, ``OPENAI_API_KEY``, ``…_TOKEN``), and anything that looks like a key."""
    for name, value in os.environ.items():
        value = value.strip()
        if len(value) >= 8 and any(word in name.upper() for word in _SECRET_NAMES):
            text = text.replace(value, "***")
    return KEY_LIKE.sub("***", text)


def one_line(text: str, limit: int = 300) -> str:
    """Untrusted text on one line, cut to ``limit`` characters: an error body (a gateway may answer
    with a whole page) or a page's label. Redact before cutting, so no key is left half-shown."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
