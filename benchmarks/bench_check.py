"""Benchmark of ``groundbrief check`` on long drafts: its time must grow linearly with the findings.

    python benchmarks/bench_check.py [--sizes 1000 5000] [--runs 5]

Prints a markdown table of medians measured in this one run: the time to read and check a draft
(``read_draft`` then ``check_draft``, what the command does after Python starts) at each size, the
time per finding, and the ratio of each size's time to the smallest size's, beside the ratio of
their sizes (linear growth keeps the two close; quadratic growth makes the first the square of the
second). The same is measured with Python's garbage collector paused: its full collections walk
every live object, so they grow with the draft by themselves. The drafts are synthetic, rendered by the real template and written with the ``.json``
beside them: N findings of about 20 words, most stating a figure, citing one or two of N/5 sources,
so every lookup the check makes (recorded findings, sources by name, repeated claims) works over
thousands of entries. Every hundredth finding repeats an earlier one, lightly edited: the errors
column shows the check finding each of them (N/100).
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

WORDS = ("inference training memory wafer cluster latency throughput model customer contract revenue "
         "order chip rack cloud region partner benchmark token energy cost supply").split()


def synthetic_draft(findings: int, folder: Path, seed: int = 7) -> Path:
    """A rendered draft with ``findings`` findings and its ``.json``, written into ``folder``."""
    from pipeline.models import Finding, Impact, Report, ResearchRequest, RunMetadata, Source, TimeWindow
    from pipeline.output import write_report
    from pipeline.report.render import render_markdown

    rng = random.Random(seed)
    sources = [Source(url=f"https://pub{n}.example/post-{n}", publisher=f"Publisher {n}", published=date(2026, 1 + n % 11, 3))
               for n in range(max(1, findings // 5))]

    def sentence(n: int) -> str:
        figure = f" of {rng.randint(2, 900)} units in quarter {n}" if rng.random() < 0.8 else ""
        return f"Vendor {n} reported {' '.join(rng.choice(WORDS) for _ in range(12))}{figure}."

    made: list[Finding] = []
    for n in range(findings):
        cited = rng.sample(sources, k=min(len(sources), rng.choice((1, 2))))
        # Every hundredth finding repeats one 37 earlier, lightly edited: the check must still find it.
        snippet = made[n - 37].snippet.replace("reported", "said").upper() if n % 100 == 99 else sentence(n)
        made.append(Finding(snippet=snippet, date_label="May 3, 2026", source_label=", ".join(s.publisher for s in cited),
                            sources=cited, impact=rng.choice(list(Impact)), impact_rationale="It bears on the comparison.",
                            consensus="Overlooked", consensus_rationale="One publisher carries it."))
    report = Report(
        request=ResearchRequest(question="Cerebras vs NVIDIA", as_of=date(2026, 11, 24), window=TimeWindow.parse("12m")),
        queries=["Cerebras inference revenue"], sources=sources, analysis=["Cerebras grows faster than NVIDIA."],
        findings=made, gaps=[],
        metadata=RunMetadata(model="synthetic", search_backend="synthetic", generated_at=datetime(2026, 11, 24), tool_version="bench"),
    )
    return write_report(folder, f"draft-{findings}", render_markdown(report), report.model_dump_json(indent=2))


def check_seconds(path: Path) -> tuple[float, int]:
    """Seconds to read and check ``path``, and how many errors the check found."""
    from pipeline.drafts.check import check_draft, counts
    from pipeline.drafts.files import read_draft

    started = time.perf_counter()
    issues = check_draft(read_draft(path))
    return time.perf_counter() - started, counts(issues)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rows, base = [], None
    with tempfile.TemporaryDirectory() as folder:
        for size in sorted(args.sizes):
            draft = synthetic_draft(size, Path(folder))
            check_seconds(draft)  # warm: imports and the figure reader's rules load once
            timed = [check_seconds(draft) for _ in range(args.runs)]
            median = statistics.median(seconds for seconds, _ in timed)
            gc.disable()
            paused = statistics.median(check_seconds(draft)[0] for _ in range(args.runs))
            gc.enable()
            base = base or (size, median, paused)
            rows.append(f"| {size:,} | {draft.stat().st_size / 1e6:.1f} MB | {timed[0][1]} | {median:.2f} s | "
                        f"{median / size * 1000:.2f} ms | {median / base[1]:.1f} | {paused:.2f} s | "
                        f"{paused / base[2]:.1f} | {size / base[0]:.1f} |")
    print(f"`groundbrief check` on synthetic drafts, Python {sys.version.split()[0]}, median of {args.runs} runs\n")
    print("| findings | draft | errors | median read + check | per finding | time ratio | "
          "median, garbage collector paused | its ratio | size ratio |")
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
