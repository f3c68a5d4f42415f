"""The limit on model calls in flight: never more than it allows, halved by a 429, raised again by answers."""

from __future__ import annotations

import threading
import time

from pipeline.providers.retry import AdaptiveLimit


def test_calls_in_flight_never_exceed_the_limit():
    limit = AdaptiveLimit(3)
    lock, active, peak = threading.Lock(), [0], [0]

    def call() -> None:
        with limit:
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.01)
            with lock:
                active[0] -= 1

    threads = [threading.Thread(target=call) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert peak[0] == 3


def test_a_429_halves_the_limit_and_answers_raise_it_back_to_the_cap():
    limit = AdaptiveLimit(16)
    limit.throttled()
    limit.throttled()
    assert limit.limit == 4
    for _ in range(20):
        limit.succeeded()
    assert limit.limit == 16
    for _ in range(10):
        limit.throttled()
    assert limit.limit == 1  # never below one call
