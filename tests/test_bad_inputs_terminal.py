"""The terminal, signals, full disks and secrets, case by case: the sibling of ``tests/test_bad_inputs.py``
(its work folder and cases), for what a user's terminal, machine and environment can do to a run.

Every case asserts the exit status, a single ``Error:`` line (or, for a signal, a single
``Interrupted`` line), a time bound, and that nothing was written, overwritten, leaked or left
behind. Signals, closed and broken pipes and full disks run in real child processes: the signal
comes from outside, the descriptor is really closed, the pipe's reader is really gone, and the disk
is a small tmpfs really full, mounted in a private user and mount namespace (no root needed, and
the machine's mounts are untouched; skipped, saying why, where the kernel allows no such namespace).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import time
from datetime import timedelta
from functools import cache
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from pipeline.cli import groundbrief
from pipeline.interrupts import InterruptibleCommand
from pipeline.resources import sample_corpus_dir
from tests import test_bad_inputs
from tests.schedule.helpers import PYTHON, child_env
from tests.test_bad_inputs import REPORT, WATCHLIST, Case, generate, snapshot

work = test_bad_inputs.work  # the fixture: a work folder whose out/ already holds the report a run would name

IN_PROCESS_SECONDS = 20  # a refusal comes before any research: far less, on a busy machine
CHILD_SECONDS = 90  # a child process that researches (cold caches, two cores shared)
# A Google-shaped key pasted with a line break in it: neither line may show anywhere. Assembled at run
# time, and plainly fake, so that no key-shaped literal is tracked in the repository.
BROKEN_KEY = "AIza" + "Sy" + "FakeTestKeyNotReal-0000000" + "\nsecond-line-of-the-fake-key"
KEY_PIECES = BROKEN_KEY.split("\n")
CSV = "Groq vs NVIDIA\nCerebras vs NVIDIA\n"


def _variables(**variables: str):
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
    return setup


def _fifo(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    os.mkfifo(work / "pipe")


def _draft_of_a_private_corpus(companion: str):
    """``work/draft.md``, researched in ``work/private`` (which holds a private note); its ``.json``
    is ``"gone"``, or ``"other"``: recording another folder."""
    def setup(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        from pipeline.generate import generate_report
        from tests.conftest import make_request

        private = Path(shutil.copytree(sample_corpus_dir(), work / "private"))
        (private / "2026-11-01-private-note.md").write_text("Private: Cerebras may cut prices for NVIDIA customers.\n")
        made = generate_report(make_request(), corpus=private, out_dir=work / "made").markdown_path
        made.rename(work / "draft.md")
        sidecar = made.with_suffix(".json")
        if companion == "gone":
            sidecar.unlink()
        else:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
            data["metadata"]["corpus"] = str(work / "other")
            (work / "draft.json").write_text(json.dumps(data), encoding="utf-8")
            sidecar.unlink()
        (work / "made").rmdir()
    return setup


SCHEDULE = ("schedule", "{work}/w.toml", "--as-of", "2026-11-24")
CASES = [
    # An --out that can't hold a report, refused before any research.
    Case("--out under /proc", ("generate", "Cerebras vs NVIDIA", "--out", "/proc/groundbrief"), 1,
         "is in /proc, a folder of the system's"),
    Case("--out is /dev/null", ("generate", "Cerebras vs NVIDIA", "--out", "/dev/null"), 1, "it is a device, not a folder"),
    Case("--out is a FIFO", ("generate", "Cerebras vs NVIDIA", "--out", "{work}/pipe"), 1, "it is a FIFO", setup=_fifo),
    Case("batch --out under /sys", ("batch", "{work}/r.csv", "--out", "/sys/groundbrief"), 1, "is in /sys",
         files={"r.csv": CSV}),
    Case("batch --out is a file", ("batch", "{work}/r.csv", "--out", "{work}/r.csv"), 1, "it is a file, not a folder",
         files={"r.csv": CSV}),
    Case("watchlist out_dir under /proc", SCHEDULE, 1, "is in /proc",
         files={"w.toml": WATCHLIST.replace('out_dir = "out"', 'out_dir = "/proc/self/briefings"')}),
    # API keys that can't be one, refused before anything runs, named and never shown.
    Case("GEMINI_API_KEY with a line break", generate("Cerebras vs NVIDIA", "--model", "gemini"), 1,
         "GEMINI_API_KEY holds a line break", setup=_variables(GEMINI_API_KEY=BROKEN_KEY)),
    Case("a key with a line break, unused by the run", generate("Cerebras vs NVIDIA"), 1,
         "GEMINI_API_KEY holds a line break", setup=_variables(GEMINI_API_KEY=BROKEN_KEY)),
    Case("a key with a line break on a dry run", generate("Cerebras vs NVIDIA", "--model", "gemini", "--dry-run"), 1,
         "GEMINI_API_KEY holds a line break", setup=_variables(GEMINI_API_KEY=BROKEN_KEY)),
    Case("OPENAI_API_KEY with a space, batch", ("batch", "{work}/r.csv", "--model", "openai:gpt-4.1-mini", "--out", "{work}/out"),
         1, "OPENAI_API_KEY holds whitespace", files={"r.csv": CSV},
         setup=_variables(OPENAI_API_KEY=KEY_PIECES[0] + " " + KEY_PIECES[1])),
    Case("GOOGLE_API_KEY with a tab, schedule", SCHEDULE, 1, "GOOGLE_API_KEY holds whitespace",
         files={"w.toml": WATCHLIST}, setup=_variables(GOOGLE_API_KEY=KEY_PIECES[0] + "\t" + KEY_PIECES[1])),
    Case("ANTHROPIC_API_KEY with a control character, refresh", ("refresh", "{work}/out/" + REPORT + ".md"), 1,
         "ANTHROPIC_API_KEY holds a control character", setup=_variables(ANTHROPIC_API_KEY=KEY_PIECES[0] + "\x07" + KEY_PIECES[1])),
    # A draft from someone else: a corpus named only in its hidden comment is not searched.
    Case("refresh: corpus named only in the hidden comment", ("refresh", "{work}/draft.md", "--as-of", "2026-11-24"), 1,
         "no .json beside it records it; it is searched only when you name it: pass --corpus",
         setup=_draft_of_a_private_corpus("gone")),
    Case("refresh: hidden comment and .json disagree", ("refresh", "{work}/draft.md", "--as-of", "2026-11-24"), 1,
         "other; it is searched only when you name it", setup=_draft_of_a_private_corpus("other")),
]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_terminal_or_environment_is_one_error_line_and_changes_nothing(case: Case, work: Path, monkeypatch):
    for relative, content in case.files.items():
        (work / relative).parent.mkdir(parents=True, exist_ok=True)
        (work / relative).write_text(str(content).replace("{work}", str(work)), encoding="utf-8")
    if case.setup:
        case.setup(work, monkeypatch)
    before = snapshot(work)

    started = time.monotonic()
    result = CliRunner().invoke(groundbrief, [arg.replace("{work}", str(work)) for arg in case.args])
    seconds = time.monotonic() - started

    assert isinstance(result.exception, SystemExit), f"{result.exception!r}\n{result.stderr}"  # no traceback
    assert (result.exit_code, result.stdout) == (case.status, ""), result.stderr
    assert [line for line in result.stderr.splitlines() if line.startswith("Error:")] == result.stderr.splitlines()[-1:]
    assert case.message in result.stderr, result.stderr
    assert not any(piece in result.stderr for piece in KEY_PIECES)
    assert seconds < IN_PROCESS_SECONDS
    assert snapshot(work) == before


def test_a_corpus_named_on_the_command_line_is_searched_and_named(work: Path, monkeypatch):
    _draft_of_a_private_corpus("gone")(work, monkeypatch)
    result = CliRunner().invoke(groundbrief, ["refresh", str(work / "draft.md"), "--corpus", str(work / "private")])
    assert result.exit_code == 0, result.output
    assert f"searched: local corpus ({work / 'private'})" in result.stderr
    written = Path(result.stdout.splitlines()[0]).with_suffix(".json")
    assert json.loads(written.read_text(encoding="utf-8"))["metadata"]["corpus"] == str(work / "private")


def test_every_run_names_what_it_searched(work: Path):
    result = CliRunner().invoke(groundbrief, generate("Cerebras vs NVIDIA", "--corpus", str(sample_corpus_dir())))
    assert result.exit_code == 0, result.output
    assert result.stderr.splitlines()[-1] == "searched: local corpus (the sample corpus)"


def test_there_are_at_least_fifteen_cases():
    cases = CASES + [test for name, test in globals().items() if name.startswith("test_child_")]
    assert len(cases) >= 15 and len({case.name for case in CASES}) == len(CASES)


# Child processes: a real signal, a really closed descriptor, a reader really gone.

# Runs ``groundbrief ARGV[3:]``, pausing where ARGV[2] says ("research" or "write": the first file
# written) after creating the file ARGV[1], so the test knows when to send its signal. A write pauses
# 2 s (a signal waits for it); research pauses until the signal comes.
PAUSING = """
import os, sys, time
import pipeline.generate
marker, where = sys.argv[1], sys.argv[2]
real_research, real_fsync = pipeline.generate.research, os.fsync
def research_until_signalled(request, **options):
    open(marker, "w").close()
    time.sleep(120)
def fsync_slowly_the_first_time(descriptor):
    if not os.path.exists(marker):
        open(marker, "w").close()
        time.sleep(2)
    real_fsync(descriptor)
if where == "research":
    pipeline.generate.research = research_until_signalled
else:
    os.fsync = fsync_slowly_the_first_time
from pipeline.cli import groundbrief
groundbrief(sys.argv[3:])
"""


def _signalled(folder: Path, where: str, *args: str | Path, sig: int = signal.SIGTERM) -> tuple[subprocess.CompletedProcess, float]:
    """Run ``groundbrief ARGS`` in a child pausing at ``where``; send ``sig`` when it gets there."""
    marker = folder / "paused"
    started = time.monotonic()
    child = subprocess.Popen([PYTHON, "-c", PAUSING, marker, where, *map(str, args)], cwd=folder, env=_env_for(folder),
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while not marker.exists() and child.poll() is None and time.monotonic() - started < CHILD_SECONDS:
        time.sleep(0.05)
    child.send_signal(sig)
    stdout, stderr = child.communicate(timeout=CHILD_SECONDS)
    return subprocess.CompletedProcess(child.args, child.returncode, stdout, stderr), time.monotonic() - started


def _env_for(folder: Path) -> dict[str, str]:
    return {**child_env(), "GROUNDBRIEF_STATE_DIR": str(folder / "state"), "GROUNDBRIEF_LOG_DIR": str(folder / "log")}


def _leftovers(folder: Path) -> list[str]:
    """Placeholders and temporary files: what an interrupted write must never leave."""
    return sorted(str(p) for p in folder.rglob("*") if p.is_file() and (p.suffix == ".tmp" or p.stat().st_size == 0)
                  and p.name != "paused" and not p.name.endswith(".lock"))


def _one_interrupted_line(stderr: str, cause: str) -> None:
    assert [line for line in stderr.splitlines() if line.startswith(("Interrupted", "Error:"))] == [
        line for line in stderr.splitlines() if line.startswith(f"Interrupted ({cause}): ")], stderr
    assert len([line for line in stderr.splitlines() if line.startswith("Interrupted")]) == 1
    assert "Traceback" not in stderr


def test_child_sigterm_during_research_writes_nothing_and_exits_143(tmp_path):
    stopped, seconds = _signalled(tmp_path, "research", "generate", "Cerebras vs NVIDIA", "--out", tmp_path / "out")
    assert stopped.returncode == 143, stopped.stderr
    _one_interrupted_line(stopped.stderr, "SIGTERM")
    assert stopped.stdout == "" and seconds < CHILD_SECONDS
    assert not list((tmp_path / "out").iterdir()) and not _leftovers(tmp_path)


def test_child_sigterm_during_the_write_finishes_the_report_first(tmp_path):
    stopped, seconds = _signalled(tmp_path, "write", "generate", "Cerebras vs NVIDIA", "--out", tmp_path / "out")
    assert stopped.returncode == 143, stopped.stderr
    _one_interrupted_line(stopped.stderr, "SIGTERM")
    assert seconds < CHILD_SECONDS
    (markdown,) = (tmp_path / "out").glob("*.md")
    assert json.loads(markdown.with_suffix(".json").read_text(encoding="utf-8"))["request"]["question"]
    assert CliRunner().invoke(groundbrief, ["check", str(markdown)]).exit_code == 0  # whole, and a valid report
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [markdown.with_suffix(".json").name, markdown.name]
    assert not _leftovers(tmp_path)


def test_child_sigterm_during_a_batch_records_the_report_being_written_as_done(tmp_path):
    (tmp_path / "r.csv").write_text(CSV, encoding="utf-8")
    stopped, seconds = _signalled(tmp_path, "write", "batch", tmp_path / "r.csv", "--out", tmp_path / "out", "--workers", "1")
    assert stopped.returncode == 143, stopped.stderr
    _one_interrupted_line(stopped.stderr, "SIGTERM")
    assert seconds < CHILD_SECONDS
    assert "1 done, 1 skipped" in stopped.stdout and "not started: interrupted (SIGTERM)" in stopped.stdout
    (markdown,) = (tmp_path / "out").glob("*.md")
    with sqlite3.connect(tmp_path / "state" / "runs.sqlite3") as db:
        assert db.execute("SELECT status, report_path FROM runs").fetchall() == [("done", str(markdown))]
    assert not _leftovers(tmp_path)


def test_child_ctrl_c_during_the_write_is_the_same_with_130(tmp_path):
    stopped, _ = _signalled(tmp_path, "write", "generate", "Cerebras vs NVIDIA", "--out", tmp_path / "out", sig=signal.SIGINT)
    assert stopped.returncode == 130, stopped.stderr
    _one_interrupted_line(stopped.stderr, "Ctrl-C")
    assert len(list((tmp_path / "out").glob("*.md"))) == 1 and not _leftovers(tmp_path)


def _run_child(folder: Path, *args: str | Path, stdout: str) -> tuple[subprocess.CompletedProcess, float]:
    """``groundbrief ARGS`` with stdout ``closed`` (``>&-``) or a pipe whose reader is ``gone``."""
    command = [PYTHON, "-m", "pipeline", *map(str, args)]
    started = time.monotonic()
    if stdout == "closed":
        done = subprocess.run(["sh", "-c", 'exec "$@" >&-', "sh", *command], cwd=folder, env=_env_for(folder),
                              stderr=subprocess.PIPE, text=True, timeout=CHILD_SECONDS)
    else:
        reader, writer = os.pipe()
        os.close(reader)  # as ``| head -1`` once it has its line and exited
        try:
            done = subprocess.run(command, cwd=folder, env=_env_for(folder), stdout=writer, stderr=subprocess.PIPE,
                                  text=True, timeout=CHILD_SECONDS)
        finally:
            os.close(writer)
    return done, time.monotonic() - started


@pytest.mark.parametrize("stdout", ["closed", "gone"])
@pytest.mark.parametrize("command", ["schedule", "batch", "generate"])
def test_child_a_closed_or_broken_stdout_changes_neither_the_reports_nor_the_status(tmp_path, command, stdout):
    (tmp_path / "r.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "w.toml").write_text(WATCHLIST, encoding="utf-8")
    args = {
        "schedule": ("schedule", tmp_path / "w.toml", "--as-of", "2026-11-18"),
        "batch": ("batch", tmp_path / "r.csv", "--out", tmp_path / "out"),
        "generate": ("generate", "Cerebras vs NVIDIA", "--out", tmp_path / "out", "--json"),
    }[command]
    done, seconds = _run_child(tmp_path, *args, stdout=stdout)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr and "Error" not in done.stderr and seconds < CHILD_SECONDS
    written = sorted((tmp_path / "out").glob("*.md"))
    assert len(written) == {"schedule": 2, "batch": 2, "generate": 1}[command]
    for markdown in written:
        assert CliRunner().invoke(groundbrief, ["check", str(markdown)]).exit_code == 0
    assert not _leftovers(tmp_path)


# Full disks: a small tmpfs in a private namespace. SMALL is where it is mounted.

@cache
def _namespace() -> list[str] | None:
    """The command that runs a shell with a private mount namespace, or None where none can be had."""
    if shutil.which("unshare") is None:
        return None
    for command in (["unshare", "--user", "--map-root-user", "--mount"], ["unshare", "--mount"]):
        probe = subprocess.run([*command, "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, timeout=30)
        if probe.returncode == 0:
            return command
    return None


def _on_a_small_disk(tmp_path: Path, prepare: str, *args: str | Path, size: str = "64k", inodes: int = 64,
                     env: dict[str, str] | None = None) -> tuple[subprocess.CompletedProcess, dict[str, int], float]:
    """``groundbrief ARGS`` after ``prepare`` (sh, with ``$SMALL``) filled a tmpfs of ``size`` and
    ``inodes`` mounted on ``tmp_path/small``; and every file left on it, with its size."""
    namespace = _namespace()
    if namespace is None:
        pytest.skip("no private mount namespace here (unshare missing, or user namespaces disabled): can't mount a small disk")
    small = tmp_path / "small"
    small.mkdir()
    listing = tmp_path / "listing"
    script = f"""set -u
mount -t tmpfs -o size={size},nr_inodes={inodes} tmpfs "$SMALL" || exit 97
{prepare}
"$@"
status=$?
find "$SMALL" -mindepth 1 -type f -printf '%P\\t%s\\n' > "$LISTING"
exit $status
"""
    started = time.monotonic()
    done = subprocess.run([*namespace, "sh", "-c", script, "sh", PYTHON, "-m", "pipeline", *map(str, args)],
                          cwd=tmp_path, env={**_env_for(tmp_path), "SMALL": str(small), "LISTING": str(listing), **(env or {})},
                          capture_output=True, text=True, timeout=CHILD_SECONDS)
    seconds = time.monotonic() - started
    assert done.returncode != 97, done.stderr
    files = dict(line.split("\t") for line in listing.read_text().splitlines())
    return done, {name: int(size) for name, size in files.items()}, seconds


FILL = 'head -c 1000000 /dev/zero > "$SMALL/filler" 2>/dev/null; true'  # every block taken
FILL_ENTRIES = 'i=0; while touch "$SMALL/out/f$i" 2>/dev/null; do i=$((i+1)); done'  # every file entry taken


def _one_error(done: subprocess.CompletedProcess, message: str) -> None:
    assert done.returncode == 1 and done.stdout == "", done.stderr
    assert done.stderr.splitlines() == [line for line in done.stderr.splitlines() if line.startswith("Error:")], done.stderr
    assert len(done.stderr.splitlines()) == 1 and message in done.stderr, done.stderr


def test_child_an_out_folder_on_a_full_disk_is_refused_before_research(tmp_path):
    done, files, seconds = _on_a_small_disk(tmp_path, f'mkdir "$SMALL/out"; {FILL}',
                                           "generate", "Cerebras vs NVIDIA", "--out", tmp_path / "small" / "out")
    _one_error(done, "its disk is full")
    assert list(files) == ["filler"] and seconds < CHILD_SECONDS
    assert not any(Path(os.environ["GROUNDBRIEF_CACHE_DIR"]).rglob("*.*"))  # nothing was researched


def test_child_an_out_folder_without_free_file_entries_is_refused_before_research(tmp_path):
    done, files, seconds = _on_a_small_disk(tmp_path, f'mkdir "$SMALL/out"; {FILL_ENTRIES}',
                                           "generate", "Cerebras vs NVIDIA", "--out", tmp_path / "small" / "out",
                                           size="1m", inodes=16)
    _one_error(done, "No space left on device")
    assert all(size == 0 and name.startswith("out/f") for name, size in files.items()) and seconds < CHILD_SECONDS


def test_child_a_disk_that_fills_during_the_write_leaves_nothing(tmp_path):
    """8 KiB free: the up-front check passes, the report's 20 KiB don't fit."""
    done, files, seconds = _on_a_small_disk(tmp_path, 'mkdir "$SMALL/out"; head -c 57344 /dev/zero > "$SMALL/filler"',
                                           "generate", "Cerebras vs NVIDIA", "--out", tmp_path / "small" / "out")
    _one_error(done, "No space left on device")
    assert list(files) == ["filler"] and seconds < CHILD_SECONDS


def test_child_file_entries_running_out_during_the_write_leave_nothing(tmp_path):
    """Two entries free: both names are reserved, the temporary file can't be made."""
    done, files, seconds = _on_a_small_disk(tmp_path, f'mkdir "$SMALL/out"; {FILL_ENTRIES}; rm "$SMALL/out/f0" "$SMALL/out/f1"',
                                           "generate", "Cerebras vs NVIDIA", "--out", tmp_path / "small" / "out",
                                           size="1m", inodes=16)
    _one_error(done, "No space left on device")
    assert all(name.startswith("out/f") for name in files) and "out/f0" not in files and seconds < CHILD_SECONDS


def test_child_a_read_only_out_folder_is_refused_before_research(tmp_path):
    done, files, seconds = _on_a_small_disk(tmp_path, 'mkdir "$SMALL/out"; mount -o remount,ro "$SMALL"',
                                           "generate", "Cerebras vs NVIDIA", "--out", tmp_path / "small" / "out")
    _one_error(done, "is not writable")
    assert files == {} and seconds < CHILD_SECONDS


def test_child_a_full_state_disk_is_one_error_and_nothing_runs(tmp_path):
    (tmp_path / "r.csv").write_text(CSV, encoding="utf-8")
    done, files, seconds = _on_a_small_disk(tmp_path, f'mkdir "$SMALL/state"; {FILL}',
                                           "batch", tmp_path / "r.csv", "--out", tmp_path / "out",
                                           env={"GROUNDBRIEF_STATE_DIR": str(tmp_path / "small" / "state")})
    _one_error(done, "No space left on device")
    assert not (tmp_path / "out").exists() and seconds < CHILD_SECONDS
    assert {name for name, size in files.items() if size} == {"filler"}  # an empty lock file at most


def test_child_a_full_log_disk_is_one_warning_and_the_run_and_its_summary_go_on(tmp_path):
    """The log's last page is full, so its next line needs a block the disk hasn't got."""
    (tmp_path / "r.csv").write_text(CSV, encoding="utf-8")
    done, files, seconds = _on_a_small_disk(
        tmp_path, f"""mkdir "$SMALL/log"; head -c 4096 /dev/zero | tr '\\0' x > "$SMALL/log/schedule.log"; {FILL}""",
        "batch", tmp_path / "r.csv", "--out", tmp_path / "out",
        env={"GROUNDBRIEF_LOG_DIR": str(tmp_path / "small" / "log")})
    assert done.returncode == 0, done.stderr
    warnings = [line for line in done.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "can't write the log" in warnings[0] and "continuing without it" in warnings[0]
    assert "Traceback" not in done.stderr and "Logging error" not in done.stderr
    assert "groundbrief: 2 done" in done.stdout and seconds < CHILD_SECONDS
    assert files["log/schedule.log"] == 4096 and len(list((tmp_path / "out").glob("*.md"))) == 2


# Secrets: every piece of every credential, out of every output.

# Not an API key (so not refused): a password with a line break, as a careless .env file holds one.
PASSWORD = "hunter2-correct-horse\nbattery-staple-42"


def test_every_piece_of_a_credential_is_masked_and_short_values_are_not():
    from pipeline.providers.secrets import secret_values

    found = secret_values({"PROXY_PASSWORD": PASSWORD, "KEYBOARD_LAYOUT": "english-us", "DEBUG_TOKEN": "1",
                           "HF_TOKEN": "hf_abcdefghijklmnop"})
    assert found == ["hunter2-correct-horse\\nbattery-staple-42", "hunter2-correct-horse\nbattery-staple-42",
                     "hunter2-correct-horse", "hf_abcdefghijklmnop", "battery-staple-42"]


def test_every_output_masks_every_piece(tmp_path, monkeypatch):
    """stderr, the log, the state database, the summary and the report, each given every piece of a
    key and of a password that line breaks split (as the issue found a key leaking past its line break)."""
    from rich.console import Console

    from pipeline.output import write_report
    from pipeline.schedule import locations, summary
    from pipeline.schedule.jobs import Job
    from pipeline.schedule.runner import Outcome, Result
    from pipeline.schedule.state import StateDB
    from tests.conftest import make_request

    monkeypatch.setenv("GEMINI_API_KEY", BROKEN_KEY)
    monkeypatch.setenv("PROXY_PASSWORD", PASSWORD)
    monkeypatch.setenv("GROUNDBRIEF_LOG_DIR", str(tmp_path / "log"))
    pieces = [*KEY_PIECES, *PASSWORD.split("\n")]
    leak = "refused: " + " then ".join(pieces)

    printed = CliRunner().invoke(say, [leak])
    with locations.file_log(print) as log:
        log.error("failed: %s", leak)
    state = StateDB(tmp_path / "runs.sqlite3")
    token = state.claim("job", "label", limit=timedelta(minutes=1)).token
    assert token is not None
    state.fail("job", token, leak)
    job = Job(key="job", label="label", reason="why", request=make_request(), model="offline-rules", corpus=None,
              out_dir=tmp_path)
    console = Console(record=True, width=400)
    console.print(summary.outcome_table([Outcome(job, Result.FAILED, leak, 1, 1.0)]))
    markdown = write_report(tmp_path / "out", "report", f"# {leak}\n", json.dumps({"error": leak}))

    outputs = {
        "stderr": printed.stderr,
        "log": (tmp_path / "log" / "schedule.log").read_text(encoding="utf-8"),
        "state": (tmp_path / "runs.sqlite3").read_bytes().decode("utf-8", "replace"),
        "summary": console.export_text(),
        "report": markdown.read_text(encoding="utf-8") + markdown.with_suffix(".json").read_text(encoding="utf-8"),
    }
    for name, text in outputs.items():
        assert "refused: *** then ***" in text, name
        assert not [piece for piece in pieces if piece in text], name


@click.command(cls=InterruptibleCommand)
@click.argument("text")
def say(text: str) -> None:
    """Print ``text`` on stderr, as a command printing an error that quotes a provider does."""
    click.echo(text, err=True)


def test_child_a_key_a_provider_echoes_reaches_no_output_of_a_batch(tmp_path):
    """A gateway that answers every call with the caller's key in its error: the batch fails, and the
    key is in none of stdout, stderr, the log, the state database or the output folder."""
    from tests.echo_server import echo_server

    key = "Zq7Yx2Wv9Lr4Tn6Pm3Kd8Hs5"  # not key-shaped: only knowing the environment's keys masks it
    (tmp_path / "r.csv").write_text(CSV, encoding="utf-8")
    (tmp_path / "config.toml").write_text("retry_initial_delay = 0\nmax_retries = 0\n", encoding="utf-8")
    error = json.dumps({"error": {"message": "upstream refused token {key}", "type": "server_error"}})
    with echo_server(lambda headers: headers.get("authorization", "").removeprefix("Bearer ")) as (url, script):
        script.extend([(500, "application/json", error)] * 8)
        started = time.monotonic()
        done = subprocess.run(
            [PYTHON, "-m", "pipeline", "batch", tmp_path / "r.csv", "--model", "openai:gpt-4.1-mini", "--out", tmp_path / "out"],
            cwd=tmp_path, capture_output=True, text=True, timeout=CHILD_SECONDS,
            env={**_env_for(tmp_path), "OPENAI_API_KEY": key, "OPENAI_BASE_URL": f"{url}/v1",
                 "GROUNDBRIEF_CONFIG": str(tmp_path / "config.toml")})
        echoed = len(script) < 8
    assert done.returncode == 3 and "2 failed" in done.stdout and echoed, done.stderr
    assert "upstream refused token ***" in done.stdout.replace("\n", "") and time.monotonic() - started < CHILD_SECONDS
    written = [done.stdout, done.stderr, *(path.read_bytes().decode("utf-8", "replace") for path in tmp_path.rglob("*")
                                           if path.is_file() and path.name != "config.toml")]
    assert not [text for text in written if key in text]


def test_child_a_disk_that_fills_during_a_batch_fails_its_reports_and_the_summary_says_so(tmp_path):
    """8 KiB free: the up-front check passes, then every report fails to fit, is removed and is
    retried next time; the summary lists each, and the exit status says some failed."""
    (tmp_path / "r.csv").write_text(CSV, encoding="utf-8")
    done, files, seconds = _on_a_small_disk(tmp_path, 'mkdir "$SMALL/out"; head -c 57344 /dev/zero > "$SMALL/filler"',
                                           "batch", tmp_path / "r.csv", "--out", tmp_path / "small" / "out")
    assert done.returncode == 3, done.stderr
    assert "groundbrief: 2 failed" in done.stdout and done.stdout.count("No space left on device") == 2
    assert "Traceback" not in done.stderr and seconds < CHILD_SECONDS
    assert list(files) == ["filler"]
    with sqlite3.connect(tmp_path / "state" / "runs.sqlite3") as db:
        assert [status for (status,) in db.execute("SELECT status FROM runs")] == ["failed", "failed"]
