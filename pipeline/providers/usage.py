"""What model calls cost, priced from the settings, and the backoff both backends wait between retries."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable
from datetime import date

from pipeline.models import TokenUsage
from pipeline.prices import ModelPrice
from pipeline.settings import Settings, config_path


def estimate_cost(usage: TokenUsage, price: ModelPrice | None) -> float:
    """US dollars for ``usage`` at ``price`` (see ``ModelPrice.cost``); nothing when the model has no price."""
    return price.cost(usage) if price else 0.0


class Pricing:
    """Prices from ``settings`` by model name, in force on ``day`` (the day the calls are made); a model
    without a price is said once, not billed as a silent $0."""

    def __init__(self, settings: Settings, warn: Callable[[str], None] | None = None):
        self._settings = settings
        self._warn = warn or (lambda message: None)
        self.day = date.today()
        self._unpriced: set[str] = set()
        self._lock = threading.Lock()

    def price(self, *names: str) -> ModelPrice | None:
        """The price of the first of ``names`` that has one (e.g. the reported version, then the requested name)."""
        names = tuple(name for name in names if name)
        for name in names:
            found = self._settings.price_for(name, self.day)
            if found is not None:
                return found
        if names:
            with self._lock:
                first = names[0] not in self._unpriced
                self._unpriced.add(names[0])
            if first:
                self._warn(
                    f"{names[0]} has no price in the settings for {self.day}, so its cost is unknown and counted as "
                    f'$0 in the report; add [prices."{names[0]}"] to {config_path()}'
                )
        return None


def backoff(settings: Settings, attempt: int) -> float:
    """Seconds before retry ``attempt`` (1 for the first): exponential from ``retry_initial_delay``,
    with jitter so parallel runs against one server don't retry in step, at most ``retry_max_delay``."""
    delay = settings.retry_initial_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
    return min(settings.retry_max_delay, delay)


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
