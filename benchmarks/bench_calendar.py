"""Benchmark of calendar repeat rules: one whole ``groundbrief schedule --dry-run`` process per rule.

    python benchmarks/bench_calendar.py [--checkout PATH] [--limit 30] [--runs 3]

Each rule is one event naming NVIDIA in an .ics file that a watchlist reads. The table gives the
exit status, the median wall time and the peak memory (the child's own maximum resident size) of
``--runs`` processes. ``--checkout`` runs another checkout's ``pipeline`` (e.g. the main branch) with
the same interpreter, for a before/after table; a process is killed at ``--limit`` seconds and held
to 4 GiB of address space, so a rule that never ends or grows without bound shows as such instead of
taking the machine. Target: every rule answers (dates or one ``Error:`` line) in under 2 s and 200 MB.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RULES = [
    ("quarterly (a real earnings rule)", "20260225", "FREQ=MONTHLY;INTERVAL=3"),
    ("daily since the year 1", "00010101T140000Z", "FREQ=DAILY"),
    ("weekly since the year 1", "00010101T140000Z", "FREQ=WEEKLY;BYDAY=WE"),
    ("every minute, no end", "20260101T000000Z", "FREQ=MINUTELY"),
    ("every second, no end", "20260101T000000Z", "FREQ=SECONDLY"),
    ("INTERVAL=0", "20260101T000000Z", "FREQ=DAILY;INTERVAL=0"),
]
WATCHLIST = """\
timezone = "America/New_York"
lead_days = [7, 1, 0]
out_dir = "reports"
earnings_calendar = "cal.ics"

[[companies]]
name = "NVIDIA"
ticker = "NVDA"
requests = ["Groq vs NVIDIA"]
"""
ADDRESS_SPACE = 4 * 2**30


def calendar(start: str, rule: str) -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//EN\r\nBEGIN:VEVENT\r\nUID:1@bench\r\n"
            f"DTSTAMP:20260101T000000Z\r\nDTSTART:{start}\r\nSUMMARY:NVDA earnings\r\nRRULE:{rule}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


def one_run(folder: Path, checkout: Path, limit: float) -> tuple[str, float, float]:
    """(exit status or "killed", wall seconds, peak MB) of one dry run."""
    env = {**os.environ, "PYTHONPATH": str(checkout), "GROUNDBRIEF_STATE_DIR": str(folder / "state"),
           "GROUNDBRIEF_LOG_DIR": str(folder / "log"), "GROUNDBRIEF_CACHE_DIR": str(folder / "cache")}
    command = [sys.executable, "-m", "pipeline", "schedule", str(folder / "w.toml"), "--as-of", "2026-11-24", "--dry-run"]
    started = time.monotonic()
    child = subprocess.Popen(command, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE)))
    status = "?"
    while True:
        pid, code, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            status = str(os.waitstatus_to_exitcode(code))
            break
        if time.monotonic() - started > limit:
            child.kill()
            _, _, usage = os.wait4(child.pid, 0)
            status = "killed"
            break
        time.sleep(0.02)
    return status, time.monotonic() - started, usage.ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkout", type=Path, default=REPO, help="the checkout whose pipeline runs")
    parser.add_argument("--limit", type=float, default=30.0, help="seconds before a run is killed")
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()
    print(f"`groundbrief schedule --dry-run`, one event, checkout {options.checkout}, {options.runs} runs each\n")
    print("| rule | exit | wall (median) | peak memory (median) |")
    print("|---|---|---|---|")
    for name, start, rule in RULES:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            (folder / "w.toml").write_text(WATCHLIST, encoding="utf-8")
            (folder / "cal.ics").write_text(calendar(start, rule), encoding="utf-8")
            runs = [one_run(folder, options.checkout, options.limit) for _ in range(options.runs)]
        statuses = sorted({status for status, _, _ in runs})
        wall = statistics.median(seconds for _, seconds, _ in runs)
        peak = statistics.median(megabytes for _, _, megabytes in runs)
        shown = f"> {options.limit:g} s (killed)" if "killed" in statuses else f"{wall:.2f} s"
        print(f"| {name} (`{rule}`) | {', '.join(statuses)} | {shown} | {peak:.0f} MB |")


if __name__ == "__main__":
    main()
