"""What model calls cost, priced from the settings (the retry path is ``pipeline.providers.retry``)."""

from __future__ import annotations

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
