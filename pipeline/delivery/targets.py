"""Delivery targets: Apprise URLs, written out or named in ``config.toml``, with secrets from the environment.

A URL may name environment variables as ``${NAME}``; they are read only when the message is sent
(``$$`` is a literal ``$``). So the SMTP password or the chat token lives in the environment (cron's,
a systemd credential), and never in a watchlist, the state database, a log or the summary: those
see the target's *label*, its name from ``config.toml`` or the URL as written with Apprise's own
privacy masking (passwords and tokens as ``****``), the query string left off. The state database
knows a target by its name, or by a digest of the URL as written.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from pipeline.errors import UsageError
from pipeline.providers.secrets import redact
from pipeline.settings import Settings, load_settings

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$\$")
SERVICES_HELP = "see Apprise's list of services: https://github.com/caronc/apprise/wiki"

# Apprise logs through ``logging``; its messages can hold a URL with its secrets. They go to the
# capture of ``pipeline.delivery.send`` only, never to stderr through logging's last resort.
logging.getLogger("apprise").addHandler(logging.NullHandler())
logging.getLogger("apprise").propagate = False


@dataclass(frozen=True)
class Target:
    """Where a briefing goes: ``written`` is the URL with its ``${NAME}`` placeholders, ``name`` its
    name in ``config.toml`` (or None)."""

    written: str
    name: str | None
    label: str

    @property
    def identity(self) -> str:
        """What the state database remembers the target by: no URL, so no secret written into one."""
        if self.name is not None:
            return f"name:{self.name}"
        return "url:" + hashlib.sha256(self.written.encode()).hexdigest()[:16]

    def expanded(self) -> tuple[str, list[str]]:
        """The URL to send to, and the secret values put into it (to redact from whatever is said)."""
        values: list[str] = []

        def value(match: re.Match) -> str:
            if match[0] == "$$":
                return "$"
            found = os.environ.get(match[1])
            if found is None:
                raise UsageError(f"delivery target {self.label}: the environment variable {match[1]} is not set")
            values.append(found)
            return found

        return _VARIABLE.sub(value, self.written), values


def resolve_targets(texts: list[str], settings: Settings | None = None) -> list[Target]:
    """``texts`` (names from ``config.toml``'s ``[delivery_targets]``, or URLs) as targets, each checked:
    a name that is unknown, an unset variable or a URL Apprise can't send to is a ``UsageError``."""
    settings = settings or load_settings()
    targets = [_target(text.strip(), settings) for text in texts]
    for target in targets:
        check_target(target)
    return list({target.identity: target for target in targets}.values())


def check_target(target: Target) -> None:
    """Refuse a target before any research is done: its variables must be set and Apprise must know its URL."""
    url, _ = target.expanded()
    if not _sendable(url):
        scheme = urlsplit(target.written).scheme or "none"
        raise UsageError(f"delivery target {target.label} is not a URL Apprise can send to (scheme {scheme!r}); {SERVICES_HELP}")


def _target(text: str, settings: Settings) -> Target:
    if "://" not in text:
        if text not in settings.delivery_targets:
            known = ", ".join(sorted(settings.delivery_targets)) or "none are set"
            raise UsageError(f"delivery target {text!r} is neither a URL (such as mailtos://…, json://…) nor a name in "
                             f"config.toml's [delivery_targets] ({known})")
        return Target(written=settings.delivery_targets[text].strip(), name=text, label=text)
    return Target(written=text, name=None, label=_label(text))


@lru_cache(maxsize=64)
def _sendable(url: str) -> bool:
    return instantiate(url) is not None


@lru_cache(maxsize=64)
def _label(written: str) -> str:
    """The URL as written, fit to show: Apprise's privacy masking, placeholders kept, no query string."""
    placeholders: dict[str, str] = {}

    def mark(match: re.Match) -> str:
        marker = f"gbvar{len(placeholders)}x"
        placeholders[marker] = match[0]
        return marker

    masked = _VARIABLE.sub(mark, written)
    plugin = instantiate(masked)
    shown = plugin.url(privacy=True) if plugin is not None else f"{urlsplit(masked).scheme}://{urlsplit(masked).hostname or ''}"
    shown = shown.split("?", 1)[0]
    for marker, placeholder in placeholders.items():
        shown = shown.replace(marker, placeholder)
    return redact(shown)


def instantiate(url: str):
    """Apprise's plugin for ``url``, or None if Apprise can't send to it (imported here: it is not small)."""
    import apprise

    return apprise.Apprise.instantiate(url)
