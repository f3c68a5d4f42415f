"""The dry run: the model calls, searches and page fetches a run would make, with a token and cost
estimate, worked out without calling anything (no key needed)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.models import ResearchRequest, TokenUsage
from pipeline.prices import SEARCH_UNITS, ModelPrice
from pipeline.providers.usage import estimate_cost
from pipeline.settings import load_settings

#: What a dry run assumes where only real calls could tell (tokens per item). Searches per grounded call
#: is measured on the recorded Gemini traffic (tests/cassettes/gemini/recorded/): each grounded call on one
#: topic, as every search prompt is, ran one query; only a prompt asking for several topics ran more.
PLAN_ASSUMPTIONS = {
    "expanded query": 30,
    "grounded answer": 700,
    "checked claims": 300,  # the second round's check: a sentence per claim, who states it
    "grounded search context": 1_000,
    "searches per grounded call": 1,
    "pages per grounded call": 3,
    "passages per query": 4,
    "passage": 70,
    "assessed finding": 150,
    "finding in synthesis": 90,
    "synthesis": 900,
    # SEC EDGAR, per company named: its filings list, a full-text search, an 8-K's index, up to 4 of its
    # own filings and 2 that mention it (plus the ticker file once)
    "SEC requests per company": 7,
}


@dataclass(frozen=True)
class PlannedStage:
    """The calls one stage will make, with estimates of their tokens and cost."""

    stage: str
    calls: int
    prompt_tokens: int = 0
    output_tokens: int = 0
    tool_tokens: int = 0
    searches: int = 0
    fetches: int = 0
    token_cost_usd: float = 0.0
    search_cost_usd: float = 0.0

    @property
    def cost_usd(self) -> float:
        return self.token_cost_usd + self.search_cost_usd


@dataclass(frozen=True)
class RunPlan:
    """What ``--dry-run`` prints: the planned calls and an estimate of tokens and cost, at the prices
    in force on ``price_day``."""

    model: str
    search: str
    stages: list[PlannedStage]
    prices: str
    price_day: date

    @property
    def total(self) -> PlannedStage:
        fields = (
            "calls", "prompt_tokens", "output_tokens", "tool_tokens", "searches", "fetches", "token_cost_usd", "search_cost_usd"
        )
        return PlannedStage("total", **{name: sum(getattr(s, name) for s in self.stages) for name in fields})

    def table(self) -> str:
        rows = [
            "| stage | model calls | searches billed | page fetches | prompt tokens | output tokens | tokens $ | searches $ | est. cost |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for stage in [*self.stages, self.total]:
            rows.append(
                f"| {stage.stage} | {stage.calls} | {stage.searches} | {stage.fetches} | "
                f"{stage.prompt_tokens + stage.tool_tokens:,} | {stage.output_tokens:,} | ${stage.token_cost_usd:.4f} | "
                f"${stage.search_cost_usd:.4f} | ${stage.cost_usd:.4f} |"
            )
        assumed = ", ".join(f"{name} {value:,}" for name, value in PLAN_ASSUMPTIONS.items())
        revise = any(s.stage in ("synthesize", "assess+synthesize") for s in self.stages)
        web_check = any(s.stage.startswith("second round (") and s.calls for s in self.stages)
        return "\n".join([
            f"Dry run: nothing was called. Model: {self.model}; search: {self.search}; "
            f"prices in force on {self.price_day}: {self.prices}.",
            "",
            *rows,
            "",
            "Prompts are counted with tiktoken (cl100k) as rendered for this request; replies, search context and "
            f"evidence are assumed ({assumed}); thinking tokens are not estimated. Cached stages cost nothing."
            + (" Not counted: the one revise call a run makes only when the prose audit finds unsupported "
               "sentences." if revise else "")
            + (" Nor a second-round coverage search on the web, one grounded call for each company or angle the "
               "first round leaves uncovered (two at most; most reports need none)." if web_check else ""),
        ])


def plan_run(
    request: ResearchRequest, model: str, *, analyst_calls: bool, web: bool, prompts: Path | None,
    searches: list[str] | None = None,
) -> RunPlan:
    """The calls a run would make for ``request``, estimated without calling anything (no key needed)."""
    from pipeline.analysts.llm.analyst import MAX_ASSESS_CALLS, MAX_FINDINGS, RESERVED_OUTPUT_TOKENS
    from pipeline.analysts.llm.packing import count_tokens
    from pipeline.analysts.llm.responses import (
        AssessAndSynthesizeResponse,
        AssessResponse,
        ExpandResponse,
        SynthesisResponse,
    )
    from pipeline.prompts import PromptBook

    settings = load_settings()
    name = settings.gemini_model if model == "gemini" else model
    grounder = name if name.startswith("gemini-") else settings.gemini_model
    book, assumed, count = PromptBook(prompts), PLAN_ASSUMPTIONS, request.query_count
    day = max(request.as_of, date.today())  # a report dated ahead is priced as of its date

    def planned(stage: str, on: str, calls: int, prompt: int, output: int, **extra: int) -> PlannedStage:
        usage = TokenUsage(prompt_tokens=prompt, output_tokens=output, tool_tokens=extra.get("tool_tokens", 0))
        price = settings.price_for(_price_name(on), day)
        billed = calls if price and price.search_unit == "prompt" and extra.get("searches") else extra.get("searches", 0)
        searches = TokenUsage(searches=billed)
        return PlannedStage(
            stage, calls, prompt, output, token_cost_usd=estimate_cost(usage, price),
            search_cost_usd=estimate_cost(searches, price), **extra,
        )

    stages: list[PlannedStage] = []
    if analyst_calls:
        prompt = count_tokens(book.render("expand.md.j2", ExpandResponse, request=request))
        stages.append(planned("expand", name, 1, prompt, count * assumed["expanded query"]))
    if web:
        prompt = count_tokens(book.render("search.md.j2", query=f"{request.question} {request.window.phrase}", request=request))
        stages.append(planned(
            f"search ({grounder})", grounder, count, count * prompt, count * assumed["grounded answer"],
            tool_tokens=count * assumed["grounded search context"],
            searches=count * assumed["searches per grounded call"], fetches=count * assumed["pages per grounded call"],
        ))
    if "edgar" in (searches or []):
        companies = len({request.focus, *re.findall(r"\b[A-Z][\w&.-]*[A-Za-z0-9]", request.question)} - {None})
        stages.append(PlannedStage("search (SEC EDGAR, no model)", 0, fetches=1 + companies * assumed["SEC requests per company"]))
    if analyst_calls:
        evidence = count * assumed["passages per query"] * (assumed["passage"] + 40)
        findings, synthesis = MAX_FINDINGS * assumed["assessed finding"], assumed["synthesis"]
        combined = count_tokens(book.render(
            "assess_synthesize.md.j2", AssessAndSynthesizeResponse, request=request, evidence=[], max_findings=MAX_FINDINGS,
            queries=[], failures=[],
        ))
        if settings.stages_for(name) == "combined" and evidence <= settings.context_for(name) - RESERVED_OUTPUT_TOKENS - combined:
            stages.append(planned("assess+synthesize", name, 1, combined + evidence, findings + synthesis))
        else:
            overhead = count_tokens(
                book.render("assess.md.j2", AssessResponse, request=request, evidence=[], max_findings=MAX_FINDINGS)
            )
            budget = max(1, settings.context_for(name) - RESERVED_OUTPUT_TOKENS - overhead)
            calls = min(MAX_ASSESS_CALLS, -(-evidence // budget))
            stages.append(planned("assess", name, calls, calls * overhead + evidence, findings))
            prompt = count_tokens(
                book.render("synthesize.md.j2", SynthesisResponse, request=request, queries=[], failures=[], findings=[])
            )
            stages.append(planned("synthesize", name, 1, prompt + MAX_FINDINGS * assumed["finding in synthesis"], synthesis))
    if request.rounds > 1:
        check_prompt = count_tokens(book.render("check.md.j2", query=request.question, request=request)) if web else 0
        stages.append(_second_round(web, grounder, check_prompt, planned, assumed))
    priced = sorted({on for on in ((name,) if analyst_calls else ()) + ((grounder,) if web else ())})
    return RunPlan(
        model=name,
        search=", ".join(_SEARCH_NAMES.get(kind, kind) for kind in searches) if searches else "web (Google Search grounding)" if web else "corpus",
        stages=stages,
        prices="; ".join(_price_text(on, settings.price_for(_price_name(on), day)) for on in priced) or "none needed",
        price_day=day,
    )


def _second_round(web: bool, grounder: str, prompt: int, planned, assumed: dict[str, int]) -> PlannedStage:
    """The second round: one targeted search per finding and a coverage search for a company or angle the
    first round left uncovered, in one parallel round. Over a corpus they cost nothing; on the web the
    findings' claims go out as one grounded call (``search.web.one_check``), and a coverage search, when
    one is needed, is one call more (not counted here: most reports need none)."""
    searches = 1
    if not web:
        return PlannedStage("second round (corpus searches, no model)", 0)
    return planned(
        f"second round ({grounder})", grounder, searches, searches * prompt,
        searches * assumed["checked claims"], tool_tokens=searches * assumed["grounded search context"],
        searches=searches * assumed["searches per grounded call"], fetches=searches * assumed["pages per grounded call"],
    )


_SEARCH_NAMES = {"web": "web (Google Search grounding)", "edgar": "SEC EDGAR filings"}


def _price_name(model: str) -> str:
    """The name a model's price is listed under: ``gpt-4.1-mini`` for ``openai:gpt-4.1-mini``, as a real
    run looks it up (the provider prefix names who serves the model, not the model)."""
    return model.partition(":")[2] or model


def _price_text(model: str, price: ModelPrice | None) -> str:
    from pipeline.providers.langchain_chat import endpoint, is_loopback

    if ":" in model and is_loopback(endpoint(model.partition(":")[0])):
        return f"{model} runs on this machine ($0)"
    if price is None:
        return f"{model} has no price in settings (shown as $0)"
    cached = f" (${price.cached_input:g} cached)" if price.cached_input is not None else ""
    since = f", list price from {price.since}" if price.since else ""
    return (
        f"{model} ${price.input:g}/M in{cached}, ${price.output:g}/M out, "
        f"${price.search_per_1k:g} per 1,000 {SEARCH_UNITS[price.search_unit]}{since}"
    )
