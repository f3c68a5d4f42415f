"""Where the prompts, report templates and sample corpus are, installed or in a checkout.

The wheel carries them under ``pipeline/_data``; in a source checkout they sit at the top of the
repository, where users read and override them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import platformdirs

_PACKAGE_DIR = Path(__file__).resolve().parent


def resource_dir(name: str) -> Path:
    """``prompts``, ``templates`` or ``corpus/sample``, wherever this installation keeps it."""
    for candidate in (_PACKAGE_DIR / "_data" / name, _PACKAGE_DIR.parent / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"groundbrief's {name} folder is missing from this installation; reinstall groundbrief")


def code_digest(*sources: Path) -> str:
    """A digest of source files (a folder stands for its ``*.py``): cache keys include it, so results
    computed by older code (rules, search settings, the judgement) are not reused after an upgrade or an edit."""
    digest = hashlib.sha256()
    for source in sources:
        for path in sorted(source.glob("*.py")) if source.is_dir() else [source]:
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def sample_corpus_dir() -> Path:
    return resource_dir("corpus/sample")


def cache_dir() -> Path:
    """The user's cache folder; ``GROUNDBRIEF_CACHE_DIR`` moves it (tests, CI, shared runners)."""
    override = os.environ.get("GROUNDBRIEF_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir("groundbrief"))
