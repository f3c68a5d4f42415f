"""A stage-result cache on diskcache: a second identical run recomputes nothing.

Keys hash the stage, the backend's identity (backend, model, prompt, corpus state) and the
stage's inputs. Values are stored as JSON so a stale or foreign entry fails validation and is
recomputed instead of crashing the run. A cache that can't be opened or written degrades to no
cache, with one warning.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import TypeAdapter, ValidationError

T = TypeVar("T")


def cache_key(stage: str, identity: str, inputs: Any) -> str:
    payload = json.dumps([stage, identity, inputs], sort_keys=True, default=str, separators=(",", ":"))
    return f"{stage}:{hashlib.sha256(payload.encode()).hexdigest()}"


class StageCache:
    """Get-or-compute for stage results; ``warn`` receives the one degradation warning."""

    def __init__(self, directory: Path | None, warn: Callable[[str], None]):
        self._warn = warn
        self._directory = directory
        self._store = None
        if directory is not None:
            try:
                import diskcache

                self._store = diskcache.Cache(str(directory), size_limit=2**30)
            except Exception as error:  # unwritable folder, corrupt database, full disk
                self._disable(f"cache at {directory} is unusable ({error.__class__.__name__}: {error})")

    @property
    def enabled(self) -> bool:
        return self._store is not None

    def _disable(self, reason: str) -> None:
        """Warn once, saying what fixes it: the cache holds only results that can be computed again."""
        self._store = None
        self._warn(f"{reason}; continuing without a cache. To get it back, delete the folder {self._directory} "
                   "(it holds nothing that can't be computed again) or make it writable")

    def get_or_compute(
        self,
        stage: str,
        identity: str,
        inputs: Any,
        result_type: Any,
        compute: Callable[[], T],
        keep: Callable[[T], bool] = lambda result: True,
    ) -> tuple[T, bool]:
        """The cached result for these inputs, or ``compute()``'s; and whether it was cached.

        A computed result is stored only if ``keep(result)``: a partial result (a search that
        failed) must be retried next time, not replayed.
        """
        adapter = TypeAdapter(result_type)
        key = cache_key(stage, identity, inputs)
        if self._store is not None:
            try:
                raw = self._store.get(key)
            except Exception as error:
                self._disable(f"cache read failed ({error.__class__.__name__}: {error})")
                raw = None
            if raw is not None:
                try:
                    return adapter.validate_json(raw), True
                except ValidationError:
                    pass  # written by an older version: recompute and overwrite
        result = compute()
        if self._store is not None and keep(result):
            try:
                self._store.set(key, adapter.dump_json(result))
            except Exception as error:
                self._disable(f"cache write failed ({error.__class__.__name__}: {error})")
        return result, False

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
