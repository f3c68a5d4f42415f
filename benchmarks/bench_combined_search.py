"""Benchmark of several searchers in one report: does ``--search corpus,edgar`` take one search round, not two?

    python benchmarks/bench_combined_search.py [--latency 0.05] [--repeats 5]

The real corpus searcher (the sample corpus) and the real SEC EDGAR searcher run the search stage of
"Cerebras vs NVIDIA" (12 queries, as of 2025-09-02, 6 months). EDGAR's answers are the recorded ones
in tests/cassettes/edgar/, served on loopback after a fixed latency per request (a stand-in for the
network) and never cached, so every run makes the same requests. Each searcher is timed alone, then
both through the combined searcher. The target: merging adds no more than one search round, the
searchers running side by side: combined ≤ 1.1 × the slower searcher alone (one after the other, it
would be their sum). Medians of ``--repeats`` runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the stand-in SEC waits before each answer")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()

    from datetime import date

    from pipeline.analysts.rules.expand import expand_queries
    from pipeline.models import ResearchRequest, TimeWindow
    from pipeline.resources import sample_corpus_dir
    from pipeline.search.combined import CombinedSearcher, Part
    from pipeline.search.corpus import CorpusSearcher
    from pipeline.search.edgar import EdgarSearcher
    from pipeline.search.edgar.client import EdgarClient
    from pipeline.settings import Settings
    from tests.edgar_server import USER_AGENT, edgar_server

    request = ResearchRequest(question="Cerebras vs NVIDIA", as_of=date(2025, 9, 2), window=TimeWindow.parse("6m"))
    queries = expand_queries(request)
    cache = Path(tempfile.mkdtemp())
    with edgar_server(delay=args.latency) as server:
        settings = Settings(sec_user_agent=USER_AGENT, sec_base_url=server.url)
        corpus = CorpusSearcher(sample_corpus_dir(), cache, lambda message: None)
        edgar = EdgarSearcher(EdgarClient(settings, None))  # no cache: every run asks the server again
        combined = CombinedSearcher([Part("corpus", corpus), Part("edgar", edgar)])
        rows = []
        for name, searcher in (("corpus alone", corpus), ("edgar alone", edgar), ("corpus,edgar", combined)):
            times, requests = [], 0
            for _ in range(args.repeats):
                before = len(server.requests)
                started = time.perf_counter()
                found = searcher.search(request, queries)
                times.append(time.perf_counter() - started)
                requests = len(server.requests) - before
            assert not found.failures, found.failures
            rows.append((name, statistics.median(times), requests, len(found.evidence)))
    (_, corpus_s, _, _), (_, edgar_s, _, _), (_, both_s, _, _) = rows
    slower = max(corpus_s, edgar_s)
    print(f"search stage of 'Cerebras vs NVIDIA' (12 queries), SEC latency {args.latency * 1000:.0f} ms per request, "
          f"median of {args.repeats}\n")
    print("| search | median | SEC requests | passages |")
    print("|---|---|---|---|")
    for name, seconds, requests, passages in rows:
        print(f"| {name} | {seconds * 1000:.0f} ms | {requests} | {passages} |")
    print(f"\ncombined / slower searcher alone: {both_s / slower:.2f} (target ≤ 1.10: {'met' if both_s <= 1.1 * slower else 'NOT met'}); "
          f"one after the other would take {(corpus_s + edgar_s) * 1000:.0f} ms")


if __name__ == "__main__":
    main()
