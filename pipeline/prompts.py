"""Prompt templates from ``prompts/`` (or the user's override folder), rendered with Jinja."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

import jinja2
from pydantic import BaseModel

from pipeline.resources import resource_dir
from pipeline.templating import TEMPLATE_FAILURES, sandboxed_environment, template_error

STAGE_TEMPLATES = (
    "expand.md.j2", "search.md.j2", "check.md.j2", "assess.md.j2", "synthesize.md.j2", "assess_synthesize.md.j2", "revise.md.j2",
    "repair.md.j2", "_data.md.j2",
)


def fence(text: str) -> str:
    """A per-text token for the data fences: a document can't contain the digest of itself."""
    return hashlib.sha256(text.encode()).hexdigest()[:12]


class PromptBook:
    """The prompt templates a backend renders; ``digest`` changes when any of them changes.

    Every template is compiled up front, so a broken override is refused (one line naming its file and
    line) before anything is called, ``--dry-run`` included.
    """

    def __init__(self, override: Path | None = None):
        self._env = _environment(override)
        sources = []
        loader = self._env.loader
        assert loader is not None  # _environment always sets one
        for name in STAGE_TEMPLATES:
            source, _, _ = loader.get_source(self._env, name)
            sources.append(source)
            try:
                self._env.get_template(name)
            except jinja2.TemplateError as error:
                raise template_error(error, "prompt template") from None
        self.digest = hashlib.sha256("\0".join(sources).encode()).hexdigest()[:12]

    def render(self, name: str, schema: type[BaseModel] | None = None, **values) -> str:
        if schema is not None:
            values["schema"] = json.dumps(schema.model_json_schema(), separators=(",", ":"))
        try:
            return self._env.get_template(name).render(**values).strip() + "\n"
        except TEMPLATE_FAILURES as error:
            raise template_error(error, "prompt template") from None


@lru_cache(maxsize=4)
def _environment(override: Path | None) -> jinja2.Environment:
    env = sandboxed_environment([*([override] if override is not None else []), resource_dir("prompts")])
    env.filters["fence"] = fence
    return env
