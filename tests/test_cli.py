"""The command line: options, output, and one-line errors for bad input."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import generate_report, groundbrief
from tests.conftest import write_doc


def run(*args: str):
    return CliRunner().invoke(generate_report, list(args))


def test_writes_report_and_prints_its_path(tmp_path):
    result = run("Cerebras vs NVIDIA", "--out", str(tmp_path), "--as-of", "2026-11-24", "--window", "3m", "--queries", "4")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path == tmp_path / "2026-11-24-cerebras-vs-nvidia.md" and path.exists()
    queries = path.read_text().split("## Search Queries Used\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert len([q for q in queries if q.endswith("last 3 months")]) == 4  # the four asked for, then the second round's


def test_default_output_folder_is_reports(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("Groq vs NVIDIA", "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().startswith("reports/2026-11-24-groq-vs-nvidia")


def test_json_option_prints_the_structured_report(tmp_path):
    result = run("Cerebras vs NVIDIA", "--out", str(tmp_path), "--json", "--quiet")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["request"]["question"] == "Cerebras vs NVIDIA"


def test_hints_keywords_and_focus(tmp_path):
    result = run("Groq and Cerebras", "--focus", "NVIDIA", "--hints", "arXiv; case studies", "--keywords", "latency cost", "--out", str(tmp_path), "--json", "-q")
    request = json.loads(result.stdout)["request"]
    assert (request["focus"], request["source_hints"], request["keywords"]) == ("NVIDIA", ["arXiv", "case studies"], ["latency", "cost"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["   "], "the topic is empty"),
        (["x" * 10_000], "the topic is 10,000 characters long"),
        (["Groq", "--as-of", "24/11/2026"], "is not a valid date: use YYYY-MM-DD"),
        (["Groq", "--as-of", "2026-02-30"], "is not a valid date: use YYYY-MM-DD"),
        (["Groq", "--window", "three months"], "invalid window"),
        (["Groq", "--queries", "0"], "0 is not in the range"),
        (["Groq", "--corpus", "/nonexistent/corpus"], "corpus folder /nonexistent/corpus does not exist"),
        (["Groq", "--model", "gpt-9"], "unknown model 'gpt-9'"),
    ],
)
def test_bad_input_is_one_clear_line_and_nonzero_exit(tmp_path, args, message):
    result = run(*args, "--out", str(tmp_path))
    assert result.exit_code != 0
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert message in error
    assert list(tmp_path.iterdir()) == []


def test_empty_corpus_is_an_error(tmp_path):
    (tmp_path / "empty").mkdir()
    result = run("Groq", "--corpus", str(tmp_path / "empty"), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1 and "has no readable .md, .txt or .html documents" in result.output


def test_unreadable_corpus_is_an_error(tmp_path, monkeypatch):
    corpus = tmp_path / "locked"
    corpus.mkdir()
    write_doc(corpus, "a.md", "Groq.", title="a")
    real_access = os.access
    # As for a folder without read permission: root (CI) would read it anyway.
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == corpus else real_access(path, mode, **kw))
    result = run("Groq", "--corpus", str(corpus), "--out", str(tmp_path / "out"))
    assert result.exit_code == 1
    (error,) = [line for line in result.output.splitlines() if line.startswith("Error:")]
    assert error == f"Error: corpus folder {corpus} is not readable"


@pytest.mark.parametrize("topic", ["../../etc/passwd", 'a/b "quoted" $(rm -rf ~); `x`', "../.. NVIDIA", "Ünïcødé / NVIDIA?"])
def test_slug_stays_inside_the_output_folder(tmp_path, topic):
    result = run(topic, "--out", str(tmp_path), "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    path = Path(result.stdout.strip())
    assert path.parent == tmp_path
    assert path.name.startswith("2026-11-24-") and set(path.stem[11:]) <= set("abcdefghijklmnopqrstuvwxyz0123456789-")


def test_groundbrief_generate_is_the_same_command():
    assert groundbrief.get_command(None, "generate") is generate_report


def test_console_entry_points_run_as_processes(tmp_path):
    env = {**os.environ, "GROUNDBRIEF_CACHE_DIR": str(tmp_path / "cache")}
    module = subprocess.run([sys.executable, "-m", "pipeline", "generate", "--help"], capture_output=True, text=True, env=env)
    assert module.returncode == 0 and "Examples:" in module.stdout and "--corpus" in module.stdout
    done = subprocess.run(
        [sys.executable, "-m", "pipeline", "generate", "Cerebras vs NVIDIA", "--out", str(tmp_path)],
        capture_output=True, text=True, env=env,
    )
    assert done.returncode == 0, done.stderr
    assert Path(done.stdout.strip()).exists()
