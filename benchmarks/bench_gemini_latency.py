"""Benchmark of the Gemini web path's concurrency: does a report wait only for its critical path?

    python benchmarks/bench_gemini_latency.py [--latency 0.25] [--queries 12] [--pages 3]

The real orchestrator, LLM analyst and grounded searcher run against ``SleepingGemini`` and
``SleepingPages``: fakes (named as such) whose every call sleeps a fixed latency, so wall time
shows only how calls are scheduled. The critical path is five latencies: expand, one search
round, one page-fetch round, assess, synthesize. The target is wall time within 1.3x of it.
Model calls and tokens per report (tiktoken counts of the real prompts) are printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import threading
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.analysts.llm import LLMAnalyst
from pipeline.analysts.llm.packing import count_tokens
from pipeline.prompts import PromptBook
from pipeline.cache import StageCache
from pipeline.models import ResearchRequest, TimeWindow, TokenUsage
from pipeline.orchestrator import run_research
from pipeline.search.pages import Page
from pipeline.search.grounding import GroundedAnswer, GroundedStatement, WebChunk
from pipeline.search.web import GroundedSearcher
from pipeline.stages import Backends

_QUERY = re.compile(r"<<<QUERY \w+>>>\n(.*?)\n<<<END QUERY", re.DOTALL)
_EVIDENCE_ID = re.compile(r"<<<EVIDENCE (E\d+) ")
_FACT = "{site} reported that Cerebras served {n},{n:03d} tokens per second in test {n}."


class SleepingGemini:
    """A fake Gemini: every call sleeps ``latency`` and answers from a script; tokens are counted."""

    identity = "fake:sleeping-gemini"
    model_label = "sleeping-gemini"
    context_tokens = 1_000_000

    def __init__(self, latency: float, pages_per_answer: int):
        self.latency, self.pages_per_answer = latency, pages_per_answer
        self.usage = TokenUsage()
        self._lock = threading.Lock()

    def generate_json(self, prompt: str, schema, stage: str) -> str:
        reply = json.dumps(getattr(self, f"_{stage}")(prompt))
        self._spend(prompt, reply)
        return reply

    def ground(self, prompt: str) -> GroundedAnswer:
        query = _QUERY.search(prompt).group(1)
        number = int(re.search(r"angle (\d+)", query).group(1))
        chunks, statements = [], []
        for page in range(self.pages_per_answer):
            site = f"site{number}-{page}.example"
            chunks.append(WebChunk(uri=f"https://{site}/story", title=site))
            statements.append(GroundedStatement(text=_FACT.format(site=site, n=number * 10 + page), chunks=(page,), confidence=0.8))
        answer = GroundedAnswer(
            text=" ".join(s.text for s in statements), searches=(query,), chunks=tuple(chunks), statements=tuple(statements)
        )
        self._spend(prompt, answer.text)
        return answer

    def _expand(self, prompt: str) -> dict:
        count = int(re.search(r"Write exactly (\d+) search queries", prompt).group(1))
        return {"queries": [{"text": f"Cerebras angle {n} last 3 months", "entity": "Cerebras"} for n in range(count)]}

    def _assess(self, prompt: str) -> dict:
        ids = _EVIDENCE_ID.findall(prompt)[:8]
        return {"findings": [{
            "evidence_id": pid, "quote": "Cerebras served", "impact": "Medium", "impact_rationale": "A figure.",
            "consensus": "Overlooked", "consensus_rationale": "One publisher.",
        } for pid in ids]}

    def _synthesize(self, prompt: str) -> dict:
        return {"analysis": ["Cerebras is fast."], "gaps": [{"title": "Prices", "text": "No prices were found."}]}

    def _spend(self, prompt: str, reply: str) -> None:
        time.sleep(self.latency)
        spent = TokenUsage(calls=1, prompt_tokens=count_tokens(prompt), output_tokens=count_tokens(reply))
        with self._lock:
            self.usage = self.usage + spent


class SleepingPages:
    """A fake web: every fetch sleeps ``latency`` and returns a page that states what was cited."""

    def __init__(self, latency: float):
        self.latency, self.fetches = latency, 0
        self._lock = threading.Lock()

    def __enter__(self) -> SleepingPages:
        return self

    def __exit__(self, *exc) -> None:
        pass

    def fetch(self, url: str) -> Page:
        time.sleep(self.latency)
        with self._lock:
            self.fetches += 1
        site = url.split("/")[2]
        number, page = (int(part) for part in re.match(r"site(\d+)-(\d+)", site).groups())
        text = f"Opening line. {_FACT.format(site=site, n=number * 10 + page)} Closing line."
        return Page(url=url, final_url=url, text=text, site=site, published=date(2026, 11, 1))


def measure(latency: float, queries: int, pages: int, concurrency: int, fetch_concurrency: int) -> dict:
    model, web = SleepingGemini(latency, pages), SleepingPages(latency)
    request = ResearchRequest(question="Cerebras vs NVIDIA", as_of=date(2026, 11, 24), window=TimeWindow.parse("3m"), query_count=queries)
    searcher = GroundedSearcher(model, web, PromptBook(), concurrency=concurrency, fetch_concurrency=fetch_concurrency)
    backends = Backends(analyst=LLMAnalyst(model), searcher=searcher)
    started = time.perf_counter()
    report = run_research(request, backends, StageCache(None, lambda message: None))
    wall = time.perf_counter() - started
    usage = report.metadata.usage
    return {
        "wall": wall, "critical": 5 * latency, "calls": usage.calls, "fetches": web.fetches,
        "prompt": usage.prompt_tokens, "output": usage.output_tokens, "findings": len(report.findings),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=0.25, help="seconds every fake call sleeps")
    parser.add_argument("--queries", type=int, default=12)
    parser.add_argument("--pages", type=int, default=3, help="pages each grounded answer cites")
    options = parser.parse_args()
    from pipeline.settings import Settings

    defaults = Settings()
    count_tokens("warm up")  # loads the tokenizer once, so the first row measures scheduling, not start-up
    runs = [
        (f"defaults (concurrency {defaults.concurrency}, fetches {defaults.fetch_concurrency})", defaults.concurrency, defaults.fetch_concurrency),
        ("concurrency 8, fetches 32", 8, 32),
        (f"concurrency {options.queries} (one search round), fetches 64", options.queries, 64),
        ("concurrency 4, fetches 32", 4, 32),
    ]
    print(
        f"Gemini web path with fakes sleeping {options.latency:g} s a call: {options.queries} queries, "
        f"{options.pages} cited pages each; {os.cpu_count()} cores, Python {sys.version.split()[0]}\n"
    )
    print("| settings | wall | critical path | ratio (target ≤ 1.3) | model calls | page fetches | prompt tokens | output tokens |")
    print("|---|---|---|---|---|---|---|---|")
    for label, concurrency, fetch_concurrency in runs:
        row = measure(options.latency, options.queries, options.pages, concurrency, fetch_concurrency)
        ratio = row["wall"] / row["critical"]
        print(
            f"| {label} | {row['wall']:.2f} s | {row['critical']:.2f} s | {ratio:.2f}{'' if ratio <= 1.3 else ' (over)'} | "
            f"{row['calls']} | {row['fetches']} | {row['prompt']:,} | {row['output']:,} |"
        )


if __name__ == "__main__":
    main()
