"""Prompt templates from ``prompts/`` (or the user's override folder), rendered with Jinja."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import jinja2
from pydantic import BaseModel

from pipeline.resources import resource_dir

STAGE_TEMPLATES = ("expand.md.j2", "search.md.j2", "assess.md.j2", "synthesize.md.j2", "repair.md.j2", "_data.md.j2")


def fence(text: str) -> str:
    """A per-text token for the data fences: a document can't contain the digest of itself."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class PromptBook:
    """The prompt templates a backend renders; ``digest`` changes when any of them changes."""

    def __init__(self, override: Path | None = None):
        self._env = _environment(override)
        sources = []
        for name in STAGE_TEMPLATES:
            source, _, _ = self._env.loader.get_source(self._env, name)
            sources.append(source)
        self.digest = hashlib.sha256("\0".join(sources).encode()).hexdigest()[:12]

    def render(self, name: str, schema: type[BaseModel] | None = None, **values) -> str:
        if schema is not None:
            values["schema"] = json.dumps(schema.model_json_schema(), separators=(",", ":"))
        return self._env.get_template(name).render(**values).strip() + "\n"


@lru_cache(maxsize=4)
def _environment(override: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(resource_dir("prompts")))]
    if override is not None:
        loaders.insert(0, jinja2.FileSystemLoader(str(override)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # plain-text prompts; untrusted text is fenced by the data() macro
    )
    env.filters["fence"] = fence
    return env
