"""Benchmark of the embedded default: whole-process report runs, and indexing/querying at scale.

    python benchmarks/bench_embedded.py [--docs 10000] [--runs 5] [--report-docs 100000]

Prints a markdown table of medians (and p95 for queries) measured in this one run, against the
targets: cold report < 3 s, warm (cached) report < 1 s; index 1,000,000 documents < 15 min with
bounded memory; re-index after 1% of the files change < 5% of a full build; query p95 < 50 ms at
any size; a ``--no-cache`` report over an indexed ``--report-docs`` corpus at most 1.5 times as long
as over 1,000 documents of the same vocabulary. Every timed report, build and re-index is a
separate process, as a user would start it; peak memory is that process's own.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COMPANIES = ["Cerebras", "Groq", "NVIDIA", "AMD", "Intel", "SambaNova", "Etched", "Tenstorrent", "Graphcore", "d-Matrix"]
WORDS = (
    "inference training latency throughput tokens memory bandwidth wafer compiler customers revenue deal "
    "cloud benchmark model deployment power efficiency cost pricing capacity supply roadmap software ecosystem"
).split()
AS_OF = "2026-11-24"


def timed_process(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def report_command(workdir: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "pipeline", "generate", "Cerebras vs NVIDIA", "--out", str(workdir / "out"), "-q",
            "--as-of", AS_OF, *extra]


def report_runs(runs: int, workdir: Path) -> tuple[list[float], list[float]]:
    """Cold: empty cache and index each time. Warm: the same command again, everything cached."""
    command = report_command(workdir)
    cold, warm = [], []
    for run in range(runs):
        env = {**os.environ, "GROUNDBRIEF_CACHE_DIR": str(workdir / f"cache-{run}")}
        cold.append(timed_process(command, env))
        warm.append(timed_process(command, env))
    return cold, warm


def synthetic_document(rng: random.Random, n: int, start: date = date(2025, 1, 1)) -> str:
    """~250 words with front matter, dated over two years: every document names two of the ten
    companies and most of the 25 words, so every query matches a large share of the corpus."""
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
    return f"---\ntitle: {company} note {n}\npublisher: Publisher {n % 40}\ndate: {published}\n---\n{body}\n"


def synthetic_corpus(folder: Path, count: int, seed: int = 7) -> None:
    """``count`` documents, a thousand to a folder as an archive would file them."""
    rng = random.Random(seed)
    for n in range(count):
        path = folder / f"{n // 1000:04d}" / f"doc-{n:07d}.md"
        if n % 1000 == 0:
            path.parent.mkdir(parents=True)
        path.write_text(synthetic_document(rng, n), encoding="utf-8")


def change_one_percent(folder: Path, count: int, seed: int = 13) -> int:
    """Rewrite 1% of the documents with new text; the re-index must find exactly these."""
    rng = random.Random(seed)
    chosen = rng.sample(range(count), max(1, count // 100))
    for n in chosen:
        (folder / f"{n // 1000:04d}" / f"doc-{n:07d}.md").write_text(synthetic_document(rng, n), encoding="utf-8")
    return len(chosen)


_SYNC = """
import json, resource, sys, time
from pathlib import Path
from pipeline.search.corpus.index import CorpusIndex
index = CorpusIndex(Path(sys.argv[1]), Path(sys.argv[2]))
started = time.perf_counter()
report = index.sync()
seconds = time.perf_counter() - started
(passages,) = index._db.execute("SELECT count(*) FROM passages").fetchone()
print(json.dumps({"seconds": seconds, "indexed": report.indexed, "passages": passages,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def sync_process(corpus: Path, database: Path) -> dict:
    """Index (or re-index) ``corpus`` in a process of its own: its time and its own peak memory."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    output = subprocess.run([sys.executable, "-c", _SYNC, str(corpus), str(database)], check=True, env=env,
                            capture_output=True, text=True).stdout
    return json.loads(output.splitlines()[-1])


def query_latencies(database: Path, corpus: Path, queries: int = 200) -> list[float]:
    """Search plus the out-of-window count, as the searcher runs them for each report query."""
    from pipeline.search.corpus.index import CorpusIndex

    index = CorpusIndex(corpus, database)
    rng = random.Random(11)
    latencies = []
    for _ in range(queries):
        entity = rng.choice(COMPANIES)
        terms = rng.sample(WORDS, 4) + [rng.choice(COMPANIES)]
        since = date(2025, 1, 1) + timedelta(days=rng.randint(0, 600))
        until = since + timedelta(days=rng.choice([90, 180, 365]))
        started = time.perf_counter()
        index.search(terms, [entity], since, until, 5)
        index.count_out_of_window(terms, [entity], since, until)
        latencies.append(time.perf_counter() - started)
    index.close()
    return sorted(latencies)


def report_scale(docs: int, runs: int, workdir: Path, reuse: tuple[Path, Path] | None) -> tuple[float, float]:
    """Median ``--no-cache`` report time over an indexed 1,000-document corpus and a ``docs`` one,
    run in turn (small, large, small, …) so that drift in the machine's speed hits both alike."""
    from pipeline.search.corpus.index import CorpusIndex

    medians = []
    commands = []
    for size in (1000, docs):
        cache = workdir / f"report-cache-{size}"
        if reuse and size == docs:
            corpus, built = reuse
            database = CorpusIndex.database_for(corpus, cache)
            database.parent.mkdir(parents=True)
            shutil.copy(built, database)
        else:
            corpus = workdir / f"report-corpus-{size}"
            synthetic_corpus(corpus, size)
        env = {**os.environ, "GROUNDBRIEF_CACHE_DIR": str(cache)}
        command = report_command(workdir, "--corpus", str(corpus), "--no-cache")
        timed_process(command, env)  # builds or brings the index up to date; not timed
        commands.append((command, env))
    times: list[list[float]] = [[], []]
    for _ in range(runs):
        for n, (command, env) in enumerate(commands):
            times[n].append(timed_process(command, env))
    medians = [statistics.median(t) for t in times]
    return medians[0], medians[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--report-docs", type=int, default=100_000, help="corpus size for the --no-cache report ratio")
    parser.add_argument("--workdir", type=Path, help="where to build the corpora (default: a temporary folder)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=options.workdir) as temporary:
        workdir = Path(temporary)
        cold, warm = report_runs(options.runs, workdir)
        corpus, database = workdir / "synthetic", workdir / "synthetic.sqlite3"
        synthetic_corpus(corpus, options.docs)
        build = sync_process(corpus, database)
        latencies = query_latencies(database, corpus)
        reuse = (corpus, database) if options.report_docs == options.docs else None
        small, large = report_scale(options.report_docs, options.runs, workdir, reuse)
        changed = change_one_percent(corpus, options.docs)
        again = sync_process(corpus, database)
    p95 = latencies[int(0.95 * len(latencies)) - 1]
    rows = [
        ("cold `generate-report` (sample corpus, empty cache)", f"{statistics.median(cold):.2f} s", "< 3 s"),
        ("warm re-run (all stages cached)", f"{statistics.median(warm):.2f} s", "< 1 s"),
        ("warm / cold ratio", f"{statistics.median(warm) / statistics.median(cold):.2f}", ""),
        (f"index {options.docs:,} synthetic documents ({build['passages']:,} passages)", f"{build['seconds']:.1f} s",
         "< 15 min at 1,000,000"),
        ("peak memory of the indexing process", f"{build['peak_mib']:.0f} MiB", "bounded"),
        (f"re-index after {changed:,} files (1%) changed ({again['indexed']:,} re-read)", f"{again['seconds']:.1f} s", ""),
        ("re-index / full build", f"{again['seconds'] / build['seconds']:.1%}", "< 5%"),
        ("query median (search + out-of-window count, window filter, top 5)", f"{statistics.median(latencies) * 1000:.1f} ms", ""),
        ("query p95", f"{p95 * 1000:.1f} ms", "< 50 ms"),
        ("`--no-cache` report, indexed 1,000-document corpus", f"{small:.2f} s", ""),
        (f"`--no-cache` report, indexed {options.report_docs:,}-document corpus", f"{large:.2f} s", ""),
        (f"{options.report_docs:,} / 1,000 documents", f"{large / small:.2f}", "≤ 1.5"),
    ]
    print(f"Embedded default, {os.cpu_count()} cores, Python {sys.version.split()[0]}, {options.runs} runs each, "
          f"load average {os.getloadavg()[0]:.1f}\n")
    print("| measurement | median | target |")
    print("|---|---|---|")
    for row in rows:
        print("| " + " | ".join(row) + " |")


if __name__ == "__main__":
    main()
