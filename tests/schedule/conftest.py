"""Every test gets its own state and log folders (the root conftest gives it its own cache)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.schedule.helpers import NVIDIA_WATCHLIST, write


@pytest.fixture(autouse=True)
def state_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "state"
    monkeypatch.setenv("GROUNDBRIEF_STATE_DIR", str(directory))
    monkeypatch.setenv("GROUNDBRIEF_LOG_DIR", str(tmp_path / "log"))
    return directory


@pytest.fixture
def watchlist(tmp_path: Path) -> Path:
    return write(tmp_path / "watchlist.toml", NVIDIA_WATCHLIST)
