"""Sending one message to one target through Apprise, within a time limit, saying why it failed.

Apprise picks the service from the URL's scheme and shapes the message for it: an email gets the
HTML body with a plain-text alternative (Apprise's reading of the HTML) and the attachments; a JSON
webhook gets ``{"title", "message", "attachments": [{"filename", "base64", "mimetype"}]}``; a chat
service gets the body in its own markup, split or cut at its length limit, and the files where it
takes files. The time limit applies to connecting and to each reply (Apprise's ``cto``/``rto``).

Apprise reports a failure in its log, not in its return value, so the log is captured while a
message is sent; the reason is redacted (the target's secret values, key-like strings) before
anyone sees it.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from pipeline.delivery.targets import Target, instantiate
from pipeline.errors import UsageError
from pipeline.providers.secrets import one_line, redact

_CAUSE = re.compile(r"\[Errno -?\d+\][^'\")]*|Read timed out\.(?: \(read timeout=[\d.]+\))?|timed out")


@dataclass(frozen=True)
class Message:
    """What a target receives: a subject line, the HTML page, and the files attached (the ``.md``)."""

    title: str
    html: str
    attachments: tuple[Path, ...] = ()


@dataclass(frozen=True)
class Sent:
    """The outcome of one delivery: ``ok``, else ``reason`` (one line, secrets redacted)."""

    ok: bool
    reason: str = ""


def send(message: Message, target: Target, *, timeout: float) -> Sent:
    """Deliver ``message`` to ``target``; a failure is an outcome, never an exception (but Ctrl-C)."""
    import apprise

    try:
        url, secrets = target.expanded()
    except UsageError as error:  # a variable unset since the run was checked
        return Sent(False, str(error))
    plugin = instantiate(url)
    if plugin is None:
        return Sent(False, "Apprise can't send to this URL")
    plugin.socket_connect_timeout = plugin.socket_read_timeout = timeout
    notifier = apprise.Apprise()
    notifier.add(plugin)
    attachments = apprise.AppriseAttachment()
    for path in message.attachments:
        attachments.add(str(path))
    with _AppriseLog() as log:
        try:
            ok = bool(notifier.notify(body=message.html, title=message.title, body_format=apprise.NotifyFormat.HTML,
                                      attach=attachments or None))
        except Exception as error:  # a plugin bug must not end the run: it is this delivery's failure
            ok = False
            log.lines.append(f"{type(error).__name__}: {error}")
    if ok:
        return Sent(True)
    return Sent(False, _reason(log.lines, secrets))


def _reason(lines: list[str], secrets: list[str]) -> str:
    """Apprise's lines, the exception behind them cut to its cause (``[Errno 111] Connection refused``,
    ``Read timed out``): a requests error repeats the URL and the pool, at length."""
    shown = []
    for line in lines:
        causes = _CAUSE.findall(line) if line.startswith("Socket Exception") else []
        shown.append(f"Socket Exception: {causes[-1].strip()}" if causes else line)
    text = "; ".join(dict.fromkeys(shown)) or "Apprise reported a failure without a reason"
    for value in secrets:
        if value:
            text = text.replace(value, "***")
    return one_line(redact(text))


class _AppriseLog(logging.Handler):
    """Apprise's warnings and errors, and the exception behind them (logged at debug), while sending."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.logger = logging.getLogger("apprise")
        self.level_before = self.logger.level

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if record.levelno >= logging.WARNING or message.startswith("Socket Exception"):
            self.lines.append(message)

    def __enter__(self) -> _AppriseLog:
        self.logger.addHandler(self)
        self.logger.setLevel(logging.DEBUG)
        return self

    def __exit__(self, *exc) -> None:
        self.logger.removeHandler(self)
        self.logger.setLevel(self.level_before)
