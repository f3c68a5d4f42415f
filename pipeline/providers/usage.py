"""What model calls cost, priced from the settings, and the backoff both backends wait between retries."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable

from pipeline.models import TokenUsage
from pipeline.settings import ModelPrice, Settings, config_path


def estimate_cost(usage: TokenUsage, price: ModelPrice | None, searches: int = 0) -> float:
    """US dollars: prompt and tool-use tokens at the input price, answer and thinking tokens at the
    output price, grounded searches per thousand; nothing when the model has no price."""
    if price is None:
        return 0.0
    tokens_in = usage.prompt_tokens + usage.tool_tokens
    tokens_out = usage.output_tokens + usage.thought_tokens
    return (tokens_in * price.input + tokens_out * price.output) / 1_000_000 + searches * price.search_per_1k / 1000


class Pricing:
    """Prices from ``settings`` by model name; a model without a price is said once, not billed as a silent $0."""

    def __init__(self, settings: Settings, warn: Callable[[str], None] | None = None):
        self._settings = settings
        self._warn = warn or (lambda message: None)
        self._unpriced: set[str] = set()
        self._lock = threading.Lock()

    def price(self, *names: str) -> ModelPrice | None:
        """The price of the first of ``names`` that has one (e.g. the reported version, then the requested name)."""
        names = tuple(name for name in names if name)
        for name in names:
            found = self._settings.price_for(name)
            if found is not None:
                return found
        if names:
            with self._lock:
                first = names[0] not in self._unpriced
                self._unpriced.add(names[0])
            if first:
                self._warn(
                    f"{names[0]} has no price in the settings, so its cost is unknown and counted as $0 in the "
                    f'report; add [prices."{names[0]}"] to {config_path()}'
                )
        return None


def backoff(settings: Settings, attempt: int) -> float:
    """Seconds before retry ``attempt`` (1 for the first): exponential from ``retry_initial_delay``,
    with jitter so parallel runs against one server don't retry in step, at most ``retry_max_delay``."""
    delay = settings.retry_initial_delay * 2 ** (attempt - 1) * random.uniform(0.5, 1.0)
    return min(settings.retry_max_delay, delay)
