"""Benchmark of the Gemini web path through the real google-genai SDK: does a report wait only for its model rounds?

    python benchmarks/bench_gemini_latency.py [--latency 1.0] [--queries 12] [--repeats 2]

The real SDK, searcher, page fetcher, analyst and orchestrator run against a loopback HTTP server
(``GOOGLE_GEMINI_BASE_URL``). The server answers ``generateContent`` in the API's wire format after
sleeping a fixed latency L. It also serves the cited pages, with no latency, because pages are not
model calls. The report is generated at L = 0 and at L. The target is
wall(L) − wall(0) ≤ 1.3 × (serial model rounds) × L, with one round for each stage that calls the
model: expand, search, assess and synthesize (one call, or two with ``stages = separate``), the second
round's grounded check of the findings' claims (``check``; not with ``--rounds 1``), and the prose
audit's revise call when the analysis states a figure no evidence has (the "revises" rows).
The server also counts the rounds it actually saw: for each stage, the calls divided by the most that
were in flight at once, rounded up. Nothing is cached.
The server's ``usageMetadata`` counts a quarter of each text's characters as tokens: this measures
time, not cost (benchmarks/RESULTS.md gives the cost estimate of a default report).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

_QUERY = re.compile(r"<<<QUERY \w+>>>\n(.*?)\n<<<END QUERY", re.DOTALL)
_EVIDENCE_ID = re.compile(r"<<<EVIDENCE (E\d+) ")
_SENTENCE_ID = re.compile(r"<<<SENTENCE (S\d+), ")
_COUNT = re.compile(r"Write exactly (\d+) search queries")
_FACT = "{site} reported that Cerebras served {n},{n:03d} tokens per second in test {n}."
_STATED = re.compile(r"site\d+-\d+\.example reported that Cerebras served [\d,]+ tokens per second in test \d+\.")
PAGES_PER_ANSWER = 3


class LoopbackGemini(ThreadingHTTPServer):
    """The Gemini API's ``generateContent`` and the cited pages, on 127.0.0.1, with a fixed model latency."""

    daemon_threads = True

    def __init__(self, latency: float, analysis: str):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.analysis = analysis
        self.lock = threading.Lock()
        self.in_flight: dict[str, int] = defaultdict(int)
        self.peak: dict[str, int] = defaultdict(int)
        self.calls: dict[str, int] = defaultdict(int)
        self.paths: set[str] = set()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def rounds(self) -> dict[str, int]:
        """Serial rounds per stage: its calls over the most that ran at once."""
        return {stage: math.ceil(self.calls[stage] / self.peak[stage]) for stage in self.calls}


class _Handler(BaseHTTPRequestHandler):
    server: LoopbackGemini

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:  # a cited page
        number, page = (int(part) for part in re.match(r"/page/(\d+)-(\d+)", self.path).groups())
        site = f"site{number}-{page}.example"
        fact = _FACT.format(site=site, n=number * 10 + page)
        html = (
            f"<html><head><title>Story {number}-{page}</title><meta property='og:site_name' content='{site}'>"
            f"<meta name='date' content='2026-11-01'></head><body><article><p>Opening line of the story.</p>"
            f"<p>{fact}</p><p>Closing line of the story.</p></article></body></html>"
        )
        self._send(html.encode(), "text/html; charset=utf-8")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.server.paths.add(self.path.split(":")[0])
        prompt = body["contents"][0]["parts"][0]["text"]
        stage = _stage(body)
        with self.server.lock:
            self.server.in_flight[stage] += 1
            self.server.calls[stage] += 1
            self.server.peak[stage] = max(self.server.peak[stage], self.server.in_flight[stage])
        try:
            time.sleep(self.server.latency)
            reply = _reply(stage, prompt, self.server.base_url, self.server.analysis)
        finally:
            with self.server.lock:
                self.server.in_flight[stage] -= 1
        self._send(json.dumps(reply).encode(), "application/json; charset=UTF-8")

    def _send(self, data: bytes, kind: str) -> None:
        self.send_response(200)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


STAGES = {
    "ExpandResponse": "expand", "AssessResponse": "assess", "SynthesisResponse": "synthesize",
    "AssessAndSynthesizeResponse": "assess+synthesize", "RevisionResponse": "revise",
}
#: The analysis each run writes: one the audit passes, and one with a figure no evidence has (revised once).
ANALYSES = {"passes": "Cerebras is fast.", "revises": "Cerebras served 9,999,999 tokens per second."}


def _stage(body: dict) -> str:
    if body.get("tools"):  # a grounded call: a search (first round, or a second-round coverage search) or the check
        return "check" if "<<<CLAIMS " in body["contents"][0]["parts"][0]["text"] else "search"
    return STAGES.get(body.get("generationConfig", {}).get("responseSchema", {}).get("title", ""), "other")


def _reply(stage: str, prompt: str, base_url: str, analysis: str) -> dict:
    grounding = None
    if stage == "expand":
        count = int(_COUNT.search(prompt).group(1))
        text = json.dumps({"queries": [{"text": f"Cerebras angle {n} last 3 months", "entity": "Cerebras"} for n in range(count)]})
    elif stage == "search":
        query = _QUERY.search(prompt).group(1)
        angle = re.search(r"angle (\d+)", query)
        number = int(angle.group(1)) if angle else 99  # a second-round coverage search, in its own words
        facts = [_FACT.format(site=f"site{number}-{page}.example", n=number * 10 + page) for page in range(PAGES_PER_ANSWER)]
        text = " ".join(facts)
        grounding = {
            "webSearchQueries": [query, f"{query} news"],
            "groundingChunks": [
                {"web": {"uri": f"{base_url}/page/{number}-{page}", "title": f"site{number}-{page}.example"}}
                for page in range(PAGES_PER_ANSWER)
            ],
            "groundingSupports": [
                {"segment": {"text": fact}, "groundingChunkIndices": [page], "confidenceScores": [0.8]}
                for page, fact in enumerate(facts)
            ],
        }
    elif stage == "check":  # each checked claim found again on its own page
        facts = list(dict.fromkeys(_STATED.findall(prompt)))[:4]
        pages = [re.match(r"site(\d+-\d+)", fact).group(1) for fact in facts]
        text = " ".join(facts) or "The sources say nothing more on these claims."
        grounding = {
            "webSearchQueries": ["Cerebras tokens per second"],
            "groundingChunks": [{"web": {"uri": f"{base_url}/page/{page}", "title": f"site{page}.example"}} for page in pages],
            "groundingSupports": [
                {"segment": {"text": fact}, "groundingChunkIndices": [n], "confidenceScores": [0.8]} for n, fact in enumerate(facts)
            ],
        }
    elif stage == "revise":
        text = json.dumps({"sentences": [{"id": sentence_id, "text": "Cerebras is fast."} for sentence_id in _SENTENCE_ID.findall(prompt)]})
    else:
        passages = re.findall(r"<<<EVIDENCE (E\d+) .*?>>>\n(.*?)\n<<<END EVIDENCE", prompt, re.DOTALL)
        findings = [{"evidence_id": evidence_id, "quote": stated[0] if stated else "Cerebras served", "impact": "Medium",
                     "impact_rationale": "A figure."}
                    for evidence_id, text in passages[:8] for stated in [_STATED.findall(text)]]
        synthesis = {"analysis": [analysis], "gaps": [{"title": "Prices", "text": "No prices were found."}]}
        text = json.dumps({"assess": {"findings": findings}, "synthesize": synthesis, "assess+synthesize": {"findings": findings, **synthesis}}[stage])
    candidate = {"content": {"parts": [{"text": text}], "role": "model"}, "finishReason": "STOP", "index": 0}
    if grounding:
        candidate["groundingMetadata"] = grounding
    usage = {"promptTokenCount": len(prompt) // 4, "candidatesTokenCount": len(text) // 4}
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": "gemini-3.8-flash"}


def measure(latency: float, queries: int, settings: str, analysis: str, folder: Path, rounds: int = 2) -> dict:
    """One uncached report against a fresh loopback server; wall time and what the server saw."""
    from pipeline.generate import research
    from pipeline.models import ResearchRequest, TimeWindow
    from pipeline.settings import load_settings

    server = LoopbackGemini(latency, analysis)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = folder / "config.toml"
    config.write_text("allow_private_network = true\n" + settings)  # the cited pages are on loopback
    os.environ.update(GOOGLE_GEMINI_BASE_URL=server.base_url, GROUNDBRIEF_CONFIG=str(config))
    load_settings.cache_clear()
    request = ResearchRequest(question="Cerebras vs NVIDIA", as_of=date(2026, 11, 24), window=TimeWindow.parse("3m"), query_count=queries,
                              rounds=rounds)
    try:
        started = time.perf_counter()
        report = research(request, model="gemini-3.8-flash", use_cache=False)
        wall = time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
    usage = report.metadata.usage
    revised = bool(report.audit and report.audit.revised)
    return {"wall": wall, "rounds": server.rounds(), "paths": sorted(server.paths), "usage": usage, "revised": revised}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--latency", type=float, default=1.0, help="seconds the server waits before each model reply")
    parser.add_argument("--queries", type=int, default=12)
    parser.add_argument("--repeats", type=int, default=2, help="runs per setting and latency; the median is shown")
    options = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gb-bench-"))
    os.environ.update(
        GEMINI_API_KEY="bench-key-not-real", GROUNDBRIEF_CACHE_DIR=str(folder / "cache"),
        GROUNDBRIEF_STATE_DIR=str(folder / "state"), GROUNDBRIEF_LOG_DIR=str(folder / "log"),
    )
    for name in ("GOOGLE_API_KEY", "GOOGLE_GENAI_USE_VERTEXAI", "GOOGLE_GENAI_API_VERSION"):
        os.environ.pop(name, None)
    from pipeline.settings import Settings

    runs = [
        ("defaults", "", "passes", 2),
        ("defaults", "", "revises", 2),
        ("`--rounds 1`", "", "passes", 1),
        ("`--rounds 1`", "", "revises", 1),
        ("stages = separate", '[stages]\ngemini = "separate"\n', "passes", 2),
        ("concurrency 6", "concurrency = 6\n", "passes", 2),
    ]
    print(
        f"Gemini web path, real google-genai SDK against a loopback server; model latency L = {options.latency:g} s, "
        f"{options.queries} queries, {PAGES_PER_ANSWER} cited pages each; {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}; default concurrency cap {Settings().concurrency}\n"
    )
    print("| settings | audit | wall(0) | wall(L) | wall(L) − wall(0) | serial model rounds | 1.3 × rounds × L | met | model calls | API path |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for label, settings, audit, rounds in runs:
        analysis = ANALYSES[audit]
        measure(0.0, options.queries, settings, analysis, folder, rounds)  # warm-up: imports, tokenizer
        fast = [measure(0.0, options.queries, settings, analysis, folder, rounds) for _ in range(options.repeats)]
        slow = [measure(options.latency, options.queries, settings, analysis, folder, rounds) for _ in range(options.repeats)]
        wall_0 = statistics.median(row["wall"] for row in fast)
        wall_l = statistics.median(row["wall"] for row in slow)
        rounds = slow[-1]["rounds"]
        bound = 1.3 * len(rounds) * options.latency  # one round per stage that calls the model
        detail = ", ".join(f"{stage} {count}" for stage, count in rounds.items())
        said = "revised once" if slow[-1]["revised"] else "flags nothing"
        print(
            f"| {label} | {said} | {wall_0:.2f} s | {wall_l:.2f} s | {wall_l - wall_0:.2f} s | {len(rounds)} stages; measured "
            f"{sum(rounds.values())} ({detail}) | {bound:.2f} s | "
            f"{'yes' if wall_l - wall_0 <= bound else 'no'} | {slow[-1]['usage'].calls} | {', '.join(slow[-1]['paths'])} |"
        )


if __name__ == "__main__":
    main()
