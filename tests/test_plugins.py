"""A backend from another package: installed with pip, found through the entry point, used by name."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

PLUGIN = Path(__file__).parent / "plugins" / "notes_plugin" / "groundbrief_notes.py"
DIST = "groundbrief_notes-0.1.0"


def _wheel(folder: Path) -> Path:
    """The plugin as a wheel, the form pip installs: its module and a dist-info with the entry point."""
    files = {
        "groundbrief_notes.py": PLUGIN.read_bytes(),
        f"{DIST}.dist-info/METADATA": b"Metadata-Version: 2.1\nName: groundbrief-notes\nVersion: 0.1.0\n",
        f"{DIST}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: groundbrief-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        f"{DIST}.dist-info/entry_points.txt": b"[groundbrief.backends]\nnotes = groundbrief_notes:register\n",
    }
    record = [
        f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}"
        for name, data in files.items()
    ]
    files[f"{DIST}.dist-info/RECORD"] = ("\n".join([*record, f"{DIST}.dist-info/RECORD,,"]) + "\n").encode()
    wheel = folder / f"{DIST}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return wheel


def test_a_plugin_package_adds_a_searcher_that_produces_a_report(tmp_path):
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", "--target", str(site), str(_wheel(tmp_path))],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
           "GROUNDBRIEF_CACHE_DIR": str(tmp_path / "cache")}

    def groundbrief(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "pipeline", *args], capture_output=True, text=True, env=env, timeout=120)

    made = groundbrief("generate", "Cerebras and Groq vs NVIDIA", "--search", "notes", "--as-of", "2026-11-24",
                       "--queries", "3", "--out", str(tmp_path / "reports"))
    assert made.returncode == 0, made.stderr
    report = Path(made.stdout.strip()).read_text(encoding="utf-8")
    assert "https://notes.example/cerebras-throughput" in report and "2,100 tokens per second" in report
    assert groundbrief("check", made.stdout.strip()).returncode == 0

    unknown = groundbrief("generate", "Cerebras vs NVIDIA", "--search", "notez", "--out", str(tmp_path / "reports"))
    assert unknown.returncode == 1 and "choose one or more of: corpus, web, edgar, notes" in unknown.stderr

    both = groundbrief("generate", "Cerebras and Groq vs NVIDIA", "--search", "corpus,notes", "--as-of", "2026-11-24",
                       "--queries", "3", "--out", str(tmp_path / "both"))  # a plugin's searcher beside a built-in one
    assert both.returncode == 0, both.stderr
    kinds = {source.get("kind") for source in json.loads(Path(both.stdout.strip()).with_suffix(".json").read_text())["sources"]}
    assert kinds == {"corpus", "notes"}


def test_a_plugin_analyst_with_a_prefix_wins_over_the_langchain_fallback():
    """LangChain takes any provider:model, so it is tried last: a plugin's own "mine:" names reach the plugin."""
    from pipeline.registry import Registry, register_builtins

    found = Registry()
    register_builtins(found)
    found.add_analyst("mine", lambda model: model.startswith("mine:"), lambda options: None, "mine:NAME (a plugin)")
    assert found.analyst_kind("mine:x").name == "mine"
    assert found.analyst_kind("openai:gpt-4.1-mini").name == "langchain"
