"""User settings for the model backends: a TOML file, overridable per setting by environment.

``GROUNDBRIEF_CONFIG`` names the file; otherwise ``config.toml`` in the user config folder is
read if it exists. Everything has a default, so no file is needed.
"""

from __future__ import annotations

import os
import tomllib
from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import UsageError


class ModelPrice(BaseModel):
    """US dollars per million tokens."""

    model_config = ConfigDict(extra="forbid")

    input: float
    output: float


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    concurrency: int = Field(default=6, ge=1, le=32, description="model or web calls in flight at once")
    timeout_seconds: float = Field(default=60.0, gt=0)
    max_retries: int = Field(default=4, ge=0, le=10)
    context_tokens: dict[str, int] = Field(
        default_factory=lambda: {"gemini": 1_000_000, "openai": 128_000, "anthropic": 200_000, "ollama": 8_192},
        description="context budget by provider or full model name (the longest matching key wins)",
    )
    prices: dict[str, ModelPrice] = Field(default_factory=dict, description="by model name prefix")

    def context_for(self, model: str) -> int:
        matches = [key for key in self.context_tokens if model == key or model.startswith(key)]
        return self.context_tokens[max(matches, key=len)] if matches else 8_192


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
    except (tomllib.TOMLDecodeError, ValidationError, OSError) as error:
        raise UsageError(f"settings file {path} is invalid: {str(error).splitlines()[0]}") from None
