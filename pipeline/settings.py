"""User settings (model backends, corpus links): a TOML file, overridable per setting by environment.

``GROUNDBRIEF_CONFIG`` names the file; otherwise ``config.toml`` in the user config folder is
read if it exists. Everything has a default, so no file is needed.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from pipeline.errors import UsageError
from pipeline.prices import ModelPrice, default_prices, price_on

if TYPE_CHECKING:
    from pipeline.net import Policy  # imported where a policy is read: a run that fetches nothing loads no network code

OutputMode = Literal["structured", "json", "text"]
StageMode = Literal["combined", "separate"]


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(
        default=16, ge=1, le=32,
        description="most model calls in flight at once: a report's grounded searches all start together up to "
        "this many (one round for the default 12 queries), and a 429 halves it until calls succeed again",
    )
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=10)
    retry_initial_delay: float = Field(default=1.0, ge=0, description="first backoff in seconds, doubling per retry")
    retry_max_delay: float = Field(default=30.0, ge=0, description="longest backoff between retries")
    retry_info_max_delay: float = Field(
        default=90.0, ge=0, description="longest wait a 429's RetryInfo.retryDelay is honoured for (Gemini)"
    )
    gemini_model: str = Field(default="gemini-3.8-flash", description="what --model gemini and web search use")
    fetch_concurrency: int = Field(default=32, ge=1, le=64, description="cited web pages fetched at once")
    fetch_timeout_seconds: float = Field(default=15.0, gt=0)
    page_max_bytes: int = Field(default=2_000_000, ge=10_000, description="a page is read up to this size")
    context_tokens: dict[str, int] = Field(
        default_factory=lambda: {"gemini": 1_000_000, "openai": 128_000, "anthropic": 200_000, "ollama": 8_192},
        description="context budget by provider or full model name (the longest matching key wins)",
    )
    prices: dict[str, list[ModelPrice]] = Field(
        default_factory=default_prices,
        description="price rows by model-name prefix, each from its ``since`` date; a model named here replaces "
        "the shipped rows for that name, the other shipped rows stay",
    )
    follow_corpus_links: bool = Field(
        default=False, description="read files a corpus links to outside its folder (off: such links are skipped)"
    )
    allow_private_network: bool | list[str] = Field(
        default=False,
        description="let cited pages and calendar URLs reach non-public addresses (an intranet, a test): true for "
        "all but the cloud metadata services, or a list of networks, addresses (with a port or not) and host "
        "names, e.g. [\"10.0.0.0/8\", \"127.0.0.1:8080\", \"wiki.example.com\"]; off: refused (pipeline/net.py)",
    )
    sec_user_agent: str | None = Field(
        default=None,
        description="who SEC EDGAR requests come from, as the SEC's fair-access rules require: your name and email, "
        "e.g. \"Jane Analyst jane@example.com\" (--search edgar refuses to run without it)",
    )
    sec_base_url: str | None = Field(
        default=None,
        description="send every SEC request (www.sec.gov, data.sec.gov, efts.sec.gov) to this address instead, paths "
        "kept: a mirror or a test server; reports still link to www.sec.gov",
    )
    sec_requests_per_second: float = Field(default=10.0, gt=0, le=10, description="the SEC allows at most 10")
    sec_max_bytes: int = Field(default=20_000_000, ge=100_000, description="a filing document larger than this is skipped")
    output_modes: dict[str, OutputMode] = Field(
        default_factory=lambda: dict[str, OutputMode](ollama="json"),
        description="how LangChain models are asked for JSON, by provider or full model name (longest key "
        "wins): structured (with_structured_output, the default), json (JSON mode) or text (plain reply)",
    )
    delivery_targets: dict[str, str] = Field(
        default_factory=dict,
        description="delivery targets by name: Apprise URLs (mailtos://…, slack://…, json://…), where ${NAME} is "
        "read from the environment variable NAME when sending; a watchlist's deliver and --send/--to take the names",
    )
    deliver: list[str] = Field(
        default_factory=list, description="targets (names or URLs) of every scheduled briefing whose watchlist names none"
    )
    deliver_digest: bool = Field(default=False, description="a scheduled run sends one digest per target, not one message per briefing")
    delivery_timeout_seconds: float = Field(
        default=30.0, gt=0, le=600, description="how long one delivery may wait to connect, and for each reply"
    )
    stages: dict[str, StageMode] = Field(
        default_factory=lambda: dict[str, StageMode](ollama="separate"),
        description="whether an LLM analyst assesses and synthesizes in one model call (combined, the default: one "
        "round fewer) or in two (separate), by provider or full model name (longest key wins); combined runs only "
        "when the evidence fits one call. Ollama is separate: a small local model's window holds less, and a "
        "simpler reply each time suits it better",
    )

    @field_validator("sec_user_agent")
    @classmethod
    def _names_a_contact(cls, value: str | None) -> str | None:
        """The SEC asks for a name and an email address; a value without an address would be refused (403)."""
        if value is None:
            return None
        value = " ".join(value.split())
        if not re.search(r"\S+@\S+\.\w+", value):
            raise ValueError('give your name and email address, e.g. "Jane Analyst jane@example.com"')
        return value

    @field_validator("sec_base_url")
    @classmethod
    def _http_address(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"https?://[^/\s]+", value.strip()):
            raise ValueError("give an http(s) address, e.g. http://127.0.0.1:8080")
        return value.strip().rstrip("/") if value is not None else None

    def context_for(self, model: str) -> int:
        return self.context_tokens[key] if (key := _longest_prefix(self.context_tokens, model)) else 8_192

    def output_mode_for(self, model: str) -> OutputMode:
        return self.output_modes[key] if (key := _longest_prefix(self.output_modes, model)) else "structured"

    def network_policy(self) -> Policy:
        """Which addresses outside the public internet fetches of pages and calendars may reach."""
        from pipeline.net import Policy

        return Policy.parse(self.allow_private_network)

    def stages_for(self, model: str) -> StageMode:
        return self.stages[key] if (key := _longest_prefix(self.stages, model)) else "combined"

    def price_for(self, model: str, day: date) -> ModelPrice | None:
        """The price in force on ``day`` for the most specific prefix of ``model``."""
        return price_on(self.prices[key], day) if (key := _longest_prefix(self.prices, model)) else None

    @field_validator("allow_private_network")
    @classmethod
    def _readable_policy(cls, value: bool | list[str]) -> bool | list[str]:
        from pipeline.net import Policy

        Policy.parse(value)  # the ValueError names the entry
        return value

    @field_validator("prices", mode="before")
    @classmethod
    def _rows_over_defaults(cls, value: object) -> object:
        """One table (``[prices."m"]``) is one row; the file's models are laid over the shipped ones."""
        if not isinstance(value, dict):
            return value
        rows = {name: [row] if isinstance(row, dict) else row for name, row in value.items()}
        return {**default_prices(), **rows}


def _longest_prefix(table: Mapping[str, object], model: str) -> str | None:
    """The most specific key of ``table`` that ``model`` starts with."""
    return max((key for key in table if model.startswith(key)), key=len, default=None)


def config_path() -> Path:
    override = os.environ.get("GROUNDBRIEF_CONFIG")
    return Path(override) if override else Path(platformdirs.user_config_dir("groundbrief")) / "config.toml"


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    path = config_path()
    if not path.exists():
        return Settings()
    try:
        return Settings.model_validate(tomllib.loads(path.read_text(encoding="utf-8")))
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise UsageError(f"settings file {path} is invalid: {where}: {first['msg']}") from None
    except (tomllib.TOMLDecodeError, OSError) as error:
        raise UsageError(f"settings file {path} is invalid: {str(error).splitlines()[0]}") from None
