"""The public API is ``pipeline.__all__``: every name there resolves, and nothing else is promised."""

from __future__ import annotations

import subprocess
import sys

import pipeline


def test_every_public_name_resolves():
    for name in pipeline.__all__:
        assert getattr(pipeline, name) is not None, name


def test_public_names_are_the_documented_surface():
    public = {name for name in dir(pipeline) if not name.startswith("_")}
    assert public == set(pipeline.__all__) - {"__version__"}


def test_unknown_names_are_attribute_errors():
    try:
        pipeline.no_such_name  # noqa: B018
    except AttributeError as error:
        assert "no_such_name" in str(error)
    else:
        raise AssertionError("an unknown name resolved")


def test_importing_the_package_loads_no_backend():
    """``import pipeline`` and the CLI module stay light: no SDK, no pydantic model, no jinja."""
    code = "import sys, pipeline, pipeline.cli; print(sorted(m for m in ('google.genai', 'langchain_core', 'jinja2', 'pipeline.models') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"
