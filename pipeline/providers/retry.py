"""One retry and reply path for every provider: how a call is tried again, finished and counted.

A provider says three things: how to send one request (``send``), how to read its answer into an
``Answer`` (``read``, the one place its response fields are read), and what a failure means
(``classify``, a ``Fault``). ``CallPath.call`` does the rest the same way for Gemini and LangChain:

- a transient fault (408, 429, 5xx, a timeout, a dropped connection) is tried again, up to
  ``max_retries`` times, after an exponential back-off with jitter; when the server said how long to
  wait (a 429's ``RetryInfo``, an HTTP ``Retry-After``), at least that long, up to ``retry_info_max_delay``;
- a fault no waiting clears (a per-day quota, a refused key, an unknown model) fails at once, and
  nothing waits after the last attempt;
- an answer that did not finish (``finishReason`` ``MAX_TOKENS`` or ``SAFETY``, ``finish_reason``
  ``length``…) is asked for once more, then fails the call;
- every answer's tokens are counted, the cut-off ones too (they are billed), in one ledger per path;
- at most ``concurrency`` calls are in flight: a rate limit halves that, each answer raises it again.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar

from pipeline.errors import ModelCallError
from pipeline.models import TokenUsage
from pipeline.settings import Settings

#: HTTP statuses worth another try: timeouts, rate limits and server errors.
RETRIED_STATUSES = frozenset({408, 429, 500, 502, 503, 504})

A = TypeVar("A", bound="Answer")


@dataclass(frozen=True)
class Answer:
    """One model answer, in every provider's terms: its text, what it cost, who wrote it, whether it finished."""

    text: str
    usage: TokenUsage
    model: str | None = None  # the exact version the provider reported
    unfinished: str | None = None  # why the answer is incomplete ("answer cut off: MAX_TOKENS"); None: finished


@dataclass(frozen=True)
class Fault:
    """What one failed attempt means: whether waiting can clear it, and the error to raise if not."""

    transient: bool
    failure: Callable[[int], Exception]  # the error to raise, given how many attempts were made
    wait: float | None = None  # seconds the server asked for (RetryInfo, Retry-After)
    throttled: bool = False  # a rate limit: fewer calls at once


class CallPath:
    """The calls of one provider client, tried, finished and counted as the module says; ``usage`` is its
    ledger and ``model_version`` the exact model the provider last reported."""

    def __init__(self, settings: Settings, name: str, *, concurrency: int | None = None):
        self.name = name
        self._settings = settings
        self._in_flight = AdaptiveLimit(concurrency or settings.concurrency)
        self._lock = threading.Lock()
        self.usage = TokenUsage()
        self.model_version: str | None = None

    @property
    def attempts(self) -> int:
        return self._settings.max_retries + 1

    def call(self, send: Callable[[], Any], read: Callable[[Any], A], classify: Callable[[Exception], Fault | None], stage: str) -> A:
        """``read(send())``, retried on transient faults and asked once more when cut off; counted.
        An error ``classify`` does not know (``None``) is raised as it is."""
        for _ in range(2):
            answer = read(self._attempt(send, classify))
            self._count(answer)
            if answer.unfinished is None:
                return answer
        raise ModelCallError(f"{answer.unfinished} (the {stage} call to {self.name}, tried twice)")

    def _attempt(self, send: Callable[[], Any], classify: Callable[[Exception], Fault | None]) -> Any:
        attempt = 1
        while True:
            try:
                with self._in_flight:
                    response = send()
            except Exception as error:
                fault = classify(error)
                if fault is None:
                    raise
                if fault.throttled:
                    self._in_flight.throttled()
                if not fault.transient or attempt >= self.attempts:
                    raise fault.failure(attempt) from None
                time.sleep(self.delay(attempt, fault.wait))
                attempt += 1
            else:
                self._in_flight.succeeded()
                return response

    def delay(self, attempt: int, told: float | None = None) -> float:
        """Seconds before retry ``attempt``: the back-off, or the server's delay when longer (capped)."""
        delay = backoff(self._settings, attempt)
        if told:
            delay = max(delay, min(told, self._settings.retry_info_max_delay))
        return delay

    def _count(self, answer: Answer) -> None:
        with self._lock:
            self.usage = self.usage + answer.usage
            self.model_version = answer.model or self.model_version


def backoff(settings: Settings, attempt: int) -> float:
    """Seconds before retry ``attempt`` (1 for the first): exponential from ``retry_initial_delay``,
    with jitter so parallel runs against one server don't retry in step, at most ``retry_max_delay``."""
    delay = settings.retry_initial_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
    return min(settings.retry_max_delay, delay)


def retry_after(headers: Any) -> float | None:
    """Seconds an HTTP ``Retry-After`` (seconds or a date) or ``retry-after-ms`` header asks for, if any."""
    if not headers:
        return None
    millis = headers.get("retry-after-ms")
    try:
        if millis is not None:
            return max(0.0, float(millis) / 1000)
        value = headers.get("retry-after")
        if value is None:
            return None
        if value.strip().replace(".", "", 1).isdigit():
            return float(value)
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


class AdaptiveLimit:
    """At most ``limit`` calls in flight, starting at ``cap``: a 429 halves the limit (a server that is
    rate limiting gets fewer calls at once), and each answer raises it by one, back up to ``cap``."""

    def __init__(self, cap: int):
        self.cap = self.limit = max(1, cap)
        self._active = 0
        self._changed = threading.Condition()

    def __enter__(self) -> AdaptiveLimit:
        with self._changed:
            self._changed.wait_for(lambda: self._active < self.limit)
            self._active += 1
        return self

    def __exit__(self, *exc: object) -> None:
        with self._changed:
            self._active -= 1
            self._changed.notify_all()

    def throttled(self) -> None:
        with self._changed:
            self.limit = max(1, self.limit // 2)

    def succeeded(self) -> None:
        with self._changed:
            if self.limit < self.cap:
                self.limit += 1
                self._changed.notify_all()
