"""Benchmark of the prose audit: what it adds to a report, on the sample report and on a large one.

    python benchmarks/bench_audit.py [--runs 50]

Prints a markdown table of medians measured in this one run against the target (< 50 ms per report).
The time is ``audited_report``: reading every figure of the evidence, then checking the report's prose.
The large report is synthetic: 240 passages of about 160 tokens, each with six figures (60 queries ×
4 passages, the most a run can retrieve), and 8 findings, 4 analysis paragraphs and 10 written gaps
whose sentences each state figures, a third of them invented.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_MS = 50.0


def sample() -> tuple[object, object]:
    """The sample report (embedded analyst, sample corpus) and the search results it was made from."""
    from pipeline.cache import StageCache
    from pipeline.models import ResearchRequest, TimeWindow
    from pipeline.orchestrator import run_research
    from pipeline.registry import BackendOptions, registry

    request = ResearchRequest(question="Cerebras vs NVIDIA", as_of=date(2026, 11, 24), window=TimeWindow.parse("12m"))
    with tempfile.TemporaryDirectory() as cache:
        backends = registry().backends(BackendOptions(cache_root=Path(cache), warn=lambda message: None))
        report = run_research(request, backends, StageCache(None, lambda message: None))
        results = backends.searcher.search(request, backends.analyst.expand(request))
    return report, results


def synthetic(seed: int = 11) -> tuple[object, object]:
    """A report at the largest size a run produces, with figures everywhere."""
    from pipeline.models import (
        Evidence,
        Finding,
        Gap,
        GapKind,
        Impact,
        Report,
        ResearchRequest,
        RunMetadata,
        SearchResults,
        Source,
        TimeWindow,
    )

    rng = random.Random(seed)

    def figures() -> str:
        return (f"{rng.randint(100, 9999):,} tokens per second, ${rng.randint(1, 99)}.{rng.randint(0, 9)} billion, "
                f"{rng.randint(1, 99)}% and {rng.randint(2, 30)}x on {rng.choice(['May', 'June', 'July'])} "
                f"{rng.randint(1, 28)}, 2026")

    sources = [Source(url=f"https://pub{n}.example/post", publisher=f"Publisher {n}", published=date(2026, 1 + n % 11, 3))
               for n in range(40)]
    passages = [
        f"Cerebras reported {figures()} in its latest results, against NVIDIA's {figures()}. "
        f"Analysts at the firm said demand stayed strong through the quarter, with {figures()}. "
        "The company expects more customers to move production inference in the coming months."
        for _ in range(240)
    ]
    evidence = [Evidence(text=text, source=sources[n % 40], query=f"q{n % 60}") for n, text in enumerate(passages)]

    def prose(sentences: int) -> str:
        parts = []
        for _ in range(sentences):
            stated = rng.choice(passages).split(", ")[1] if rng.random() > 0.33 else f"{rng.randint(1, 999)}.7%"
            parts.append(f"Publisher {rng.randint(0, 39)} reported {stated} for the period.")
        return " ".join(parts)

    findings = [
        Finding(snippet=passages[n].split(". ")[0] + ".", date_label="May 3, 2026", source_label=f"Publisher {n}",
                sources=[sources[n]], impact=Impact.HIGH, impact_rationale=prose(2), consensus="Overlooked",
                consensus_rationale=prose(1))
        for n in range(8)
    ]
    request = ResearchRequest(question="Cerebras vs NVIDIA", as_of=date(2026, 11, 24), window=TimeWindow.parse("12m"))
    report = Report(
        request=request, queries=[f"q{n}" for n in range(60)], sources=sources,
        analysis=[prose(5) for _ in range(4)], findings=findings,
        gaps=[Gap(title=f"Gap {n}", text=prose(2), kind=GapKind.WRITTEN) for n in range(10)],
        metadata=RunMetadata(model="synthetic", search_backend="synthetic", generated_at=datetime(2026, 11, 24),
                             tool_version="bench"),
    )
    return report, SearchResults(evidence=evidence, executed_queries=[f"q{n}" for n in range(60)])


def median_ms(report, results, runs: int) -> tuple[float, object]:
    from pipeline.audit import audited_report

    times, audited = [], None
    for _ in range(runs):
        started = time.perf_counter()
        audited = audited_report(report, results)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), audited


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    runs = parser.parse_args().runs
    rows = []
    for name, (report, results) in (("sample report (embedded analyst, sample corpus)", sample()),
                                    ("large synthetic report", synthetic())):
        ms, audited = median_ms(report, results, runs)
        passages = len(results.evidence)
        rows.append(f"| {name} | {passages} | {audited.audit.figures_checked} | {len(audited.audit.flagged)} | "
                    f"{ms:.1f} ms | < {TARGET_MS:.0f} ms{'' if ms < TARGET_MS else ' (over)'} |")
    print(f"Prose audit, Python {sys.version.split()[0]}, median of {runs} runs\n")
    print("| report | passages | figures checked | unsupported sentences | median audit time | target |")
    print("|---|---|---|---|---|---|")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
