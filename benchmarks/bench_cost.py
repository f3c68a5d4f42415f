"""What a default Gemini report is billed for: searches per grounded call on real recordings, then the estimate.

    python benchmarks/bench_cost.py

1. Each recorded grounded answer in tests/cassettes/gemini/recorded/ (real Gemini API traffic, see its
   PROVENANCE.md) is read through the SDK's own response type and groundbrief's one reader, and billed as
   a run bills it: each unique non-empty query (Gemini 3), or the grounded prompt (Gemini 2.5).
2. The dry-run estimate of ``generate-report "Cerebras vs NVIDIA" --model gemini`` (12 queries) at the
   prices in force today and on 2027-01-04, after Gemini 3.8 Flash's introductory price ends.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import date, timedelta
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RECORDED = Path(__file__).resolve().parents[1] / "tests" / "cassettes" / "gemini" / "recorded"


def recorded_calls() -> list[tuple[str, str, list[str], int, int]]:
    """(recording, prompt, queries listed, searches billed, pages cited) for each recorded grounded answer,
    replayed through the real client and searcher's reader from a loopback server, and billed by the chat."""
    from google.genai import types

    from pipeline.providers.gemini import GeminiChat
    from pipeline.search.grounding import grounded_answer
    from tests.echo_server import echo_server

    os.environ.update(GEMINI_API_KEY="bench-key-not-real", GOOGLE_GENAI_API_VERSION="v1beta")
    rows = []
    with echo_server(lambda headers: "") as (url, script):
        os.environ["GOOGLE_GEMINI_BASE_URL"] = url
        for path in sorted(RECORDED.glob("*.yaml")):
            for interaction in yaml.safe_load(path.read_text())["interactions"]:
                text = interaction["response"]["body"]["string"]
                body = json.loads(text)
                if interaction["response"]["status"]["code"] != 200 or "groundingMetadata" not in (body.get("candidates") or [{}])[0]:
                    continue
                script.append((200, "application/json", text))
                chat = GeminiChat(body["modelVersion"])
                prompt = json.loads(interaction["request"]["body"])["contents"][-1]["parts"][0].get("text", "")
                reply = chat.generate(prompt, types.GenerateContentConfig(), "search")
                cited = len(grounded_answer(reply).cited())
                rows.append((f"{path.name} ({reply.model})", prompt, list(reply.searches), chat.usage.searches, cited))
    return rows


def estimate(as_of: date) -> tuple[int, float, float, float, date]:
    from pipeline.models import ResearchRequest, TimeWindow
    from pipeline.plan import plan_run

    request = ResearchRequest(question="Cerebras vs NVIDIA", as_of=as_of, window=TimeWindow.parse("12m"), query_count=12)
    plan = plan_run(request, "gemini", analyst_calls=True, web=True, prompts=None)
    total = plan.total
    return total.searches, total.search_cost_usd, total.token_cost_usd, total.cost_usd, plan.price_day


def main() -> None:
    rows = recorded_calls()
    print("Recorded grounded calls (real Gemini API traffic)\n")
    print("| recording | prompt | queries listed | searches billed | pages cited |")
    print("|---|---|---|---|---|")
    for name, prompt, queries, billed, cited in rows:
        print(f"| {name} | {prompt} | {json.dumps(queries)} | {billed} | {cited} |")
    billed = [row[3] for row in rows]
    print(f"\nMean searches billed per grounded call: {sum(billed) / len(billed):.2f} over {len(billed)} calls\n")
    print("Default Gemini report, dry-run estimate (12 queries)\n")
    print("| prices in force on | searches billed | searches $ | tokens $ | total $ | tokens / searches |")
    print("|---|---|---|---|---|---|")
    for as_of in (date.today(), max(date(2027, 1, 4), date.today() + timedelta(days=1))):
        searches, search_cost, token_cost, total, day = estimate(as_of)
        print(f"| {day} | {searches} | ${search_cost:.4f} | ${token_cost:.4f} | ${total:.4f} | {token_cost / search_cost:.2f} |")


if __name__ == "__main__":
    main()
