"""Benchmark of the embedded default: whole-process report runs, and indexing/querying at scale.

    python benchmarks/bench_embedded.py [--docs 10000] [--runs 5]

Prints a markdown table of medians (and p95 for queries) measured in this one run, against the
targets: cold report < 3 s, warm (cached) report < 1 s, index 10,000 documents < 60 s, query
p95 < 50 ms. Cold and warm runs are separate processes, as a user would start them.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

COMPANIES = ["Cerebras", "Groq", "NVIDIA", "AMD", "Intel", "SambaNova", "Etched", "Tenstorrent", "Graphcore", "d-Matrix"]
WORDS = (
    "inference training latency throughput tokens memory bandwidth wafer compiler customers revenue deal "
    "cloud benchmark model deployment power efficiency cost pricing capacity supply roadmap software ecosystem"
).split()


def timed_process(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def report_runs(runs: int, workdir: Path) -> tuple[list[float], list[float]]:
    """Cold: empty cache and index each time. Warm: the same command again, everything cached."""
    command = [sys.executable, "-m", "pipeline", "generate", "Cerebras vs NVIDIA", "--out", str(workdir / "out"), "-q"]
    cold, warm = [], []
    for run in range(runs):
        env = {**os.environ, "GROUNDBRIEF_CACHE_DIR": str(workdir / f"cache-{run}")}
        cold.append(timed_process(command, env))
        warm.append(timed_process(command, env))
    return cold, warm


def synthetic_corpus(folder: Path, count: int, seed: int = 7) -> None:
    """``count`` documents of ~250 words with front matter, dated over two years."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    start = date(2025, 1, 1)
    for n in range(count):
        company, rival = rng.sample(COMPANIES, 2)
        sentences = []
        for _ in range(18):
            words = rng.choices(WORDS, k=10)
            sentences.append(
                f"{company} {' '.join(words[:5])} {rng.randint(10, 9999):,} tokens per second versus {rival} "
                f"{' '.join(words[5:])}."
            )
        body = "\n\n".join(" ".join(sentences[i : i + 6]) for i in range(0, 18, 6))
        published = start + timedelta(days=rng.randint(0, 700))
        (folder / f"doc-{n:05d}.md").write_text(
            f"---\ntitle: {company} note {n}\npublisher: Publisher {n % 40}\ndate: {published}\n---\n{body}\n",
            encoding="utf-8",
        )


def index_and_query(count: int, workdir: Path, queries: int = 200) -> tuple[float, float, float, int]:
    from pipeline.search.corpus.index import CorpusIndex

    corpus = workdir / "synthetic"
    synthetic_corpus(corpus, count)
    index = CorpusIndex(corpus, workdir / "synthetic.sqlite3")
    started = time.perf_counter()
    index.sync()
    indexing = time.perf_counter() - started
    (passages,) = index._db.execute("SELECT count(*) FROM passages").fetchone()
    rng = random.Random(11)
    latencies = []
    for _ in range(queries):
        entity = rng.choice(COMPANIES)
        terms = rng.sample(WORDS, 4) + [rng.choice(COMPANIES)]
        started = time.perf_counter()
        index.search(terms, [entity], date(2025, 6, 1), date(2026, 11, 24), 5)
        latencies.append(time.perf_counter() - started)
    latencies.sort()
    return indexing, statistics.median(latencies), latencies[int(0.95 * len(latencies)) - 1], passages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temporary:
        workdir = Path(temporary)
        cold, warm = report_runs(options.runs, workdir)
        indexing, query_median, query_p95, passages = index_and_query(options.docs, workdir)
    rows = [
        ("cold `generate-report` (sample corpus, empty cache)", f"{statistics.median(cold):.2f} s", "< 3 s"),
        ("warm re-run (all stages cached)", f"{statistics.median(warm):.2f} s", "< 1 s"),
        ("warm / cold ratio", f"{statistics.median(warm) / statistics.median(cold):.2f}", ""),
        (f"index {options.docs:,} synthetic documents ({passages:,} passages)", f"{indexing:.1f} s", "< 60 s"),
        ("query median (bm25, window filter, top 5)", f"{query_median * 1000:.1f} ms", ""),
        ("query p95", f"{query_p95 * 1000:.1f} ms", "< 50 ms"),
    ]
    print(f"Embedded default, {os.cpu_count()} cores, Python {sys.version.split()[0]}, {options.runs} runs each\n")
    print("| measurement | median | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
