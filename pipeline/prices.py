"""List prices of the models groundbrief knows, by the date each price applies from.

Prices change on announced dates. For example, Gemini 3.8 Flash's introductory price ends on
2026-12-31. A model therefore has a list of rows, and the row in force on the day the calls are made
prices them. The shipped rows are the Gemini Developer API's paid-tier list prices. A user's ``[prices]`` in the settings file adds rows or replaces the rows of a
model, by model-name prefix.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.models import TokenUsage

PRICING_URL = "https://ai.google.dev/gemini-api/docs/pricing"
SEARCH_UNITS = {"query": "unique queries", "prompt": "grounded prompts"}


class ModelPrice(BaseModel):
    """US dollars per million tokens (searches: per thousand), from ``since`` until the model's next row."""

    model_config = ConfigDict(extra="forbid")

    since: date | None = Field(default=None, description="first day the price applies; none: from the start")
    input: float = Field(ge=0, description="prompt and tool-use (search context) tokens")
    output: float = Field(ge=0, description="answer and thinking tokens")
    cached_input: float | None = Field(default=None, ge=0, description="cached prompt tokens; none: the input price")
    search_per_1k: float = Field(default=0.0, ge=0, description="Google Search grounding, per thousand")
    search_unit: Literal["query", "prompt"] = Field(
        default="query",
        description="what a search charge counts: each unique non-empty query (Gemini 3) or each grounded prompt (2.5)",
    )
    note: str = Field(default="", description="what a reader of the price should know, e.g. that it is introductory")

    def cost(self, usage: TokenUsage) -> float:
        """US dollars for ``usage``. Cached tokens are part of the prompt, billed at the cached rate."""
        cached = min(usage.cached_tokens, usage.prompt_tokens)
        fresh_in = usage.prompt_tokens - cached + usage.tool_tokens
        cached_rate = self.input if self.cached_input is None else self.cached_input
        tokens = fresh_in * self.input + cached * cached_rate + (usage.output_tokens + usage.thought_tokens) * self.output
        return tokens / 1_000_000 + usage.searches * self.search_per_1k / 1000


def billed_searches(queries: list[str] | tuple[str, ...] | None, unit: str = "query") -> int:
    """The searches one grounded call is billed for. Gemini 3 bills each unique query and leaves out
    the empty ones the API sometimes lists. Gemini 2.5 bills one grounded prompt, however many queries it ran."""
    unique = {query.strip() for query in queries or () if query and query.strip()}
    if unit == "prompt":
        return 1 if unique else 0
    return len(unique)


_INTRO = "introductory price, through 2026-12-31"


def default_prices() -> dict[str, list[ModelPrice]]:
    """The shipped list prices: paid tier, prompts up to 200k tokens. The free search allowance is not
    deducted. Where no cached-input price was found, cached tokens are priced as input (an upper bound)."""
    return {
        "gemini-3.8-flash": [
            ModelPrice(since=date(2026, 9, 2), input=0.75, cached_input=0.075, output=3.75, note=_INTRO, search_per_1k=14.0),
            ModelPrice(
                since=date(2027, 1, 1), input=1.50, cached_input=0.15, output=7.50, search_per_1k=14.0,
                note="standard price; the cached rate is assumed at a tenth of input, as for 3.6 Flash",
            ),
        ],
        "gemini-3.6-flash": [ModelPrice(input=1.50, cached_input=0.15, output=7.50, search_per_1k=14.0)],
        "gemini-3.5-flash-lite": [ModelPrice(input=0.30, cached_input=0.03, output=2.50, search_per_1k=14.0)],
        "gemini-3-flash": [ModelPrice(input=0.50, output=3.00, search_per_1k=14.0)],
        "gemini-2.5-pro": [ModelPrice(input=1.25, output=10.00, search_per_1k=35.0, search_unit="prompt")],
        "gemini-2.5-flash-lite": [ModelPrice(input=0.10, output=0.40, search_per_1k=35.0, search_unit="prompt")],
        "gemini-2.5-flash": [ModelPrice(input=0.30, output=2.50, search_per_1k=35.0, search_unit="prompt")],
    }


def price_on(rows: list[ModelPrice], day: date) -> ModelPrice | None:
    """The row in force on ``day``: the latest ``since`` not after it (a row without ``since`` counts as the earliest)."""
    current = [row for row in rows if row.since is None or row.since <= day]
    return max(current, key=lambda row: row.since or date.min, default=None)


def price_table(prices: dict[str, list[ModelPrice]], today: date) -> str:
    """What ``groundbrief models`` prints: every priced model, each row with its dates, the current one marked."""
    lines = [
        "| model | from | input $/M | cached input $/M | output $/M | Google Search | in force | note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for model in sorted(prices):
        current = price_on(prices[model], today)
        for row in sorted(prices[model], key=lambda row: row.since or date.min):
            cached = "—" if row.cached_input is None else f"{row.cached_input:g}"
            search = f"${row.search_per_1k:g} per 1,000 {SEARCH_UNITS[row.search_unit]}" if row.search_per_1k else "—"
            since = row.since.isoformat() if row.since else "—"
            marker = "yes" if row is current else ""
            lines.append(
                f"| {model} | {since} | {row.input:g} | {cached} | {row.output:g} | {search} | {marker} | {row.note} |"
            )
    return "\n".join([
        *lines,
        "",
        f"US dollars, paid tier, prompts up to 200k tokens, as listed at {PRICING_URL}; a [prices] table in "
        "the settings file adds or replaces rows. A cached input price of — means cached tokens are priced as input.",
        "Aliases such as gemini-flash-latest are called on API version v1beta (v1 has none) and priced as the "
        "model version the API reports for them.",
    ])
