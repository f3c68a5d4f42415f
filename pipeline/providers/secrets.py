"""Credentials kept out of everything the tool prints or writes, whichever backend or SDK produced the text.

A credential is the value of an environment variable named like one (``GEMINI_API_KEY``,
``OPENAI_API_KEY``, ``…_TOKEN``, ``…_SECRET``, ``…_PASSWORD``). It is masked whole, and so is every
piece of it that a space, line break or control character splits off: a key pasted with a line
break in it must not show its second line where the first is masked. API keys themselves may hold
no such character: ``check_api_keys`` refuses one before anything runs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from pipeline.errors import UsageError

#: Key-shaped values: OpenAI-style ``sk-…``, bearer tokens, Google API keys (``AIza…``).
KEY_LIKE = re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{8,}|\bBearer\s+\S+|AIza[0-9A-Za-z_\-]{20,}")
# A part of the variable's name (between underscores) that ends in one of these words: GEMINI_API_KEY,
# GPG_KEY, HF_TOKEN, CLIENT_SECRET, DB_PASSWORD; not KEYBOARD_LAYOUT.
_CREDENTIAL_NAME = re.compile(r"(?:^|_)[A-Z0-9]*(?:KEY|TOKEN|SECRET|PASSWORD|PASSWD)(?:_|$)", re.IGNORECASE)
# The variables an API client sends as a key: the ones refused if they can't be one.
_API_KEY_NAME = re.compile(r"API_?(?:KEY|TOKEN)$", re.IGNORECASE)
_BREAKS = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MIN_SECRET = 8  # shorter values are not keys (``DEBUG_TOKEN=1``): masking them would mask ordinary words
MIN_FRAGMENT = 6


def secret_values(environ: Mapping[str, str] | None = None) -> list[str]:
    """Every credential in the environment, its pieces and its escaped spelling, longest first."""
    found: set[str] = set()
    for name, value in (os.environ if environ is None else environ).items():
        value = value.strip()
        if len(value) < MIN_SECRET or not _CREDENTIAL_NAME.search(name):
            continue
        found.add(value)
        if _BREAKS.search(value):
            found.add(value.encode("unicode_escape").decode("ascii"))  # as a repr or a JSON string shows it
            found.update(piece for piece in _BREAKS.split(value) if len(piece) >= MIN_FRAGMENT)
    return sorted(found, key=len, reverse=True)


def redact_keys(text: str) -> str:
    """``text`` with every credential in the environment, and every piece of one, as ``***``."""
    for value in secret_values():
        text = text.replace(value, "***")
    return text


def redact(text: str) -> str:
    """``text`` without credentials: the environment's (``redact_keys``) and anything that looks
    like a key. For messages and logs; a report is masked with ``redact_keys`` only, as a document
    may quote ``Bearer`` or a ``pk-`` part number."""
    return KEY_LIKE.sub("***", redact_keys(text))


def check_api_keys(environ: Mapping[str, str] | None = None) -> None:
    """Refuse an API key holding a space, line break or control character before anything runs:
    sent as it is, it fails in a header where its text is quoted. The value is never shown."""
    environ = os.environ if environ is None else environ
    for name in sorted(environ):
        found = _BREAKS.search(environ[name]) if _API_KEY_NAME.search(name) else None
        if found:
            first = found[0][0]
            what = "a line break" if first in "\r\n\u2028\u2029" else "whitespace" if first.isspace() else "a control character"
            raise UsageError(f"{name} holds {what}: an API key is one word; set {name} again without it "
                             "(its value is not shown)")


def one_line(text: str, limit: int = 300) -> str:
    """Untrusted text on one line, cut to ``limit`` characters: an error body (a gateway may answer
    with a whole page) or a page's label. Redact before cutting, so no key is left half-shown."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
