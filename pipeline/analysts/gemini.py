"""Gemini through google-genai: the ``ChatModel`` behind the shared LLM analyst, and grounded calls.

The SDK is imported inside functions only, so the embedded default never loads it. The SDK reads
its own environment: the key (``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``), an API gateway or proxy
(``GOOGLE_GEMINI_BASE_URL``) and Vertex AI (``GOOGLE_GENAI_USE_VERTEXAI`` with a project); nothing
here names an endpoint. Each ``GeminiChat`` keeps its own token ledger: the analyst has one, and
``--search web`` builds another for its grounded calls (``pipeline.search.web.web_searcher``); the
orchestrator adds the searcher's ledger to the analyst's, counting a ledger they share only once.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from pipeline.analysts.llm import ModelCallError
from pipeline.analysts.llm.secrets import one_line, redact
from pipeline.analysts.llm.usage import Pricing, backoff, estimate_cost
from pipeline.errors import GroundbriefError, UsageError
from pipeline.models import ResearchRequest, TokenUsage
from pipeline.search.web import GroundedAnswer, GroundedStatement, WebChunk
from pipeline.settings import ModelPrice, Settings, config_path, load_settings

MODELS_URL = "https://ai.google.dev/gemini-api/docs/models"
RETRIED_STATUSES = [408, 429, 500, 502, 503, 504]
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")
_WEB_URI = re.compile(r"^https?://", re.IGNORECASE)


def gemini_client(settings: Settings) -> Any:
    """The SDK client, with the call timeout from settings and one attempt per request: ``GeminiChat``
    retries itself, because the SDK's backoff ignores a 429's ``RetryInfo`` (googleapis/python-genai#1875)."""
    from google import genai
    from google.auth.exceptions import GoogleAuthError
    from google.genai import types

    options = types.HttpOptions(
        timeout=round(settings.timeout_seconds * 1000),
        retry_options=types.HttpRetryOptions(attempts=1),  # set, so the SDK leaves transport errors to us too
    )
    try:
        return genai.Client(http_options=options)
    except (ValueError, GoogleAuthError) as error:  # no key, or Vertex AI without a project or credentials
        raise UsageError(
            f"Gemini is not set up: {redact(str(error))} Set GEMINI_API_KEY (or GOOGLE_API_KEY), or "
            "GOOGLE_GENAI_USE_VERTEXAI=true with GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION."
        ) from None


def retry_delay(body: bytes | str | dict | None) -> float | None:
    """Seconds from a ``google.rpc.RetryInfo`` detail in an error body (``"retryDelay": "1.5s"``),
    given as the raw body or as the parsed JSON (``APIError.details``)."""
    try:
        payload = json.loads(body) if isinstance(body, (bytes, str)) else body
        details = payload["error"].get("details") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


class GeminiChat:
    """``ChatModel`` on Gemini, plus the grounded call web search makes, with this instance's token ledger.

    Retries are made here: 408, 429 and 5xx responses and transport errors are tried again up to
    ``max_retries`` times with exponential backoff, and a 429 waits at least the ``retryDelay`` its
    ``RetryInfo`` asks for (up to ``retry_info_max_delay``). Nothing waits after the last attempt.
    """

    def __init__(
        self, model: str | None = None, settings: Settings | None = None, warn: Callable[[str], None] | None = None
    ):
        self._settings = settings or load_settings()
        self.model = self._settings.gemini_model if model in (None, "gemini") else model
        self.context_tokens = self._settings.context_for(self.model)
        self._client = gemini_client(self._settings)
        self._pricing = Pricing(self._settings, warn)
        self._lock = threading.Lock()
        self._usage = TokenUsage()
        self._version: str | None = None

    @property
    def identity(self) -> str:
        return f"gemini:{self.model}"

    @property
    def model_label(self) -> str:
        """The ``modelVersion`` the API last reported; the requested name until a call is made."""
        return self._version or self.model

    @property
    def usage(self) -> TokenUsage:
        return self._usage

    def generate_json(self, prompt: str, schema: type[BaseModel], stage: str) -> str:
        from google.genai import types

        config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=schema)
        return "".join(_answer_parts(self._generate(prompt, config, stage)))

    def ground(self, prompt: str) -> GroundedAnswer:
        """A plain-text answer grounded with Google Search: no schema, so every current model can do it."""
        from google.genai import types

        config = types.GenerateContentConfig(tools=[types.Tool(google_search=types.GoogleSearch())])
        return grounded_answer(self._generate(prompt, config, "search"))

    def _generate(self, prompt: str, config: Any, stage: str) -> Any:
        from google.auth.exceptions import GoogleAuthError
        from google.genai import errors

        attempt = 1
        while True:
            last = attempt >= self._attempts
            try:
                response = self._client.models.generate_content(model=self.model, contents=prompt, config=config)
            except errors.APIError as error:
                if last or error.code not in RETRIED_STATUSES:
                    raise self._failure(error, stage) from None
                self._wait(attempt, retry_delay(error.details) if error.code == 429 else None)
            except GoogleAuthError as error:  # Vertex AI without Application Default Credentials
                raise UsageError(f"Vertex AI has no usable credentials: {redact(str(error))}") from None
            except _transport_errors() as error:
                if last:
                    raise ModelCallError(
                        f"the {stage} call to {self.model} failed after {self._attempts} attempts: "
                        f"{type(error).__name__} {one_line(redact(str(error)))}".strip()
                    ) from None
                self._wait(attempt, None)
            except ValueError as error:  # not the API's JSON: e.g. a gateway's login or error page with 200
                raise ModelCallError(
                    f"the {stage} call to {self.model} got a reply that is not the Gemini API's JSON "
                    f"({type(error).__name__}: {one_line(redact(str(error)), 200)}); if GOOGLE_GEMINI_BASE_URL "
                    "names a gateway, check that it forwards to the Gemini API"
                ) from None
            else:
                self._record(response)
                return response
            attempt += 1

    def _wait(self, attempt: int, told: float | None) -> None:
        """Before retry ``attempt``: the backoff, or longer when the server said how long (capped)."""
        delay = backoff(self._settings, attempt)
        if told:
            delay = max(delay, min(told, self._settings.retry_info_max_delay))
        time.sleep(delay)

    @property
    def _attempts(self) -> int:
        return self._settings.max_retries + 1

    def _failure(self, error: Any, stage: str) -> GroundbriefError:
        """Keys and model names are the user's to fix (exit 1); what the retries couldn't clear fails this call."""
        detail = one_line(redact(f"{error.code} {error.status or ''}: {error.message or ''}".replace(" :", ":")))
        if error.code == 404:
            default = Settings.model_fields["gemini_model"].default
            return UsageError(
                f"Gemini has no model {self.model!r} for generateContent ({detail}). Choose a current model "
                f"with --model (e.g. --model {default}) or set gemini_model in {config_path()}; the models "
                f"are listed at {MODELS_URL}"
            )
        if error.code in (401, 403) or (error.code == 400 and "API_KEY" in json.dumps(error.details, default=str)):
            return UsageError(
                f"Gemini refused the credentials ({detail}); check GEMINI_API_KEY or GOOGLE_API_KEY "
                "(or your Vertex AI login)"
            )
        if error.code == 400:
            return UsageError(f"Gemini rejected the {stage} request for {self.model} ({detail})")
        after = f" after {self._attempts} attempts" if error.code in RETRIED_STATUSES else ""
        return ModelCallError(f"the {stage} call to {self.model} failed{after}: {detail}")

    def _record(self, response: Any) -> None:
        metadata = response.usage_metadata
        spent = TokenUsage(
            calls=1,
            prompt_tokens=(metadata and metadata.prompt_token_count) or 0,
            output_tokens=(metadata and metadata.candidates_token_count) or 0,
            thought_tokens=(metadata and metadata.thoughts_token_count) or 0,
            tool_tokens=(metadata and metadata.tool_use_prompt_token_count) or 0,
        )
        searches = len([q for q in _grounding(response).web_search_queries or [] if q and q.strip()])
        price = self._pricing.price(response.model_version or self.model, self.model)
        spent.estimated_cost_usd = estimate_cost(spent, price, searches)
        with self._lock:
            self._usage = self._usage + spent
            self._version = response.model_version or self._version


def grounded_answer(response: Any) -> GroundedAnswer:
    """The grounded answer in the searcher's terms: the answer, the searches run, the pages, the statements."""
    metadata = _grounding(response)
    parts = _all_parts(response)
    chunks = tuple(
        WebChunk(uri=chunk.web.uri, title=(chunk.web.title or "").strip())
        if chunk.web and _WEB_URI.match(chunk.web.uri or "")
        else None  # a retrieval or maps chunk: not a web page
        for chunk in metadata.grounding_chunks or []
    )
    statements = tuple(
        GroundedStatement(
            text=segment_text(parts, support.segment),
            chunks=tuple(support.grounding_chunk_indices or ()),
            confidence=max(support.confidence_scores) if support.confidence_scores else None,
        )
        for support in metadata.grounding_supports or []
        if support.segment is not None
    )
    return GroundedAnswer(
        text="".join(_answer_parts(response)),
        searches=tuple(q.strip() for q in metadata.web_search_queries or [] if q and q.strip()),
        chunks=chunks,
        statements=tuple(s for s in statements if s.text),
    )


def segment_text(parts: list[str], segment: Any) -> str:
    """A support's text: the API's ``segment.text``, or when that is missing, its part cut at the
    segment's **UTF-8 byte** offsets (the API counts bytes, and leaves ``startIndex`` out when 0)."""
    if segment.text and segment.text.strip():
        return segment.text.strip()
    index, start, end = segment.part_index or 0, segment.start_index or 0, segment.end_index
    data = parts[index].encode("utf-8") if index < len(parts) else b""
    if end is None or not 0 <= start < end <= len(data):
        return ""
    return data[start:end].decode("utf-8", errors="replace").strip()


def _grounding(response: Any) -> Any:
    from google.genai import types

    candidate = response.candidates[0] if response.candidates else None
    return (candidate and candidate.grounding_metadata) or types.GroundingMetadata()


def _all_parts(response: Any) -> list[str]:
    """Every part's text, by part index: what ``segment.partIndex`` counts."""
    candidate = response.candidates[0] if response.candidates else None
    if not candidate or not candidate.content or not candidate.content.parts:
        return []
    return [part.text or "" for part in candidate.content.parts]


def _answer_parts(response: Any) -> list[str]:
    """The answer's text parts, without thoughts (the SDK's ``.text`` warns about non-text parts)."""
    candidate = response.candidates[0] if response.candidates else None
    if not candidate or not candidate.content or not candidate.content.parts:
        return []
    return [part.text for part in candidate.content.parts if part.text and not part.thought]


def _transport_errors() -> tuple[type[Exception], ...]:
    """Timeouts and connection failures of whichever HTTP library the SDK chose."""
    import httpx

    kinds: list[type[Exception]] = [httpx.TransportError]
    try:
        import httpx2

        kinds.append(httpx2.TransportError)
    except ImportError:
        pass
    return tuple(kinds)


#: What a dry run assumes where only real calls could tell (tokens per item).
PLAN_ASSUMPTIONS = {
    "expanded query": 30,
    "grounded answer": 700,
    "grounded search context": 1_000,
    "searches per grounded call": 2,
    "pages per grounded call": 3,
    "passages per query": 4,
    "passage": 70,
    "assessed finding": 150,
    "finding in synthesis": 90,
    "synthesis": 900,
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
    cost_usd: float = 0.0


@dataclass(frozen=True)
class RunPlan:
    """What ``--dry-run`` prints: the planned calls and an estimate of tokens and cost."""

    model: str
    search: str
    stages: list[PlannedStage]
    prices: str

    @property
    def total(self) -> PlannedStage:
        fields = ("calls", "prompt_tokens", "output_tokens", "tool_tokens", "searches", "fetches", "cost_usd")
        return PlannedStage("total", **{name: sum(getattr(s, name) for s in self.stages) for name in fields})

    def table(self) -> str:
        rows = ["| stage | model calls | page fetches | prompt tokens | output tokens | est. cost |", "|---|---|---|---|---|---|"]
        for stage in [*self.stages, self.total]:
            rows.append(
                f"| {stage.stage} | {stage.calls} | {stage.fetches} | {stage.prompt_tokens + stage.tool_tokens:,} | "
                f"{stage.output_tokens:,} | ${stage.cost_usd:.4f} |"
            )
        assumed = ", ".join(f"{name} {value:,}" for name, value in PLAN_ASSUMPTIONS.items())
        return "\n".join([
            f"Dry run: nothing was called. Model: {self.model}; search: {self.search}; prices: {self.prices}.",
            "",
            *rows,
            "",
            "Prompts are counted with tiktoken (cl100k) as rendered for this request; replies, search context and "
            f"evidence are assumed ({assumed}); thinking tokens are not estimated. Cached stages cost nothing.",
        ])


def plan_run(request: ResearchRequest, model: str, *, analyst_calls: bool, web: bool, prompts: Path | None) -> RunPlan:
    """The calls a run would make for ``request``, estimated without calling anything (no key needed)."""
    from pipeline.analysts.llm.analyst import MAX_ASSESS_CALLS, MAX_FINDINGS, RESERVED_OUTPUT_TOKENS
    from pipeline.analysts.llm.packing import count_tokens
    from pipeline.analysts.llm.prompts import PromptBook
    from pipeline.analysts.llm.responses import AssessResponse, ExpandResponse, SynthesisResponse

    settings = load_settings()
    name = settings.gemini_model if model == "gemini" else model
    grounder = name if name.startswith("gemini-") else settings.gemini_model
    book, assumed, count = PromptBook(prompts), PLAN_ASSUMPTIONS, request.query_count

    def planned(stage: str, on: str, calls: int, prompt: int, output: int, **extra: int) -> PlannedStage:
        usage = TokenUsage(prompt_tokens=prompt, output_tokens=output, tool_tokens=extra.get("tool_tokens", 0))
        cost = estimate_cost(usage, settings.price_for(on), extra.get("searches", 0))
        return PlannedStage(stage, calls, prompt, output, cost_usd=cost, **extra)

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
    if analyst_calls:
        overhead = count_tokens(
            book.render("assess.md.j2", AssessResponse, request=request, evidence=[], max_findings=MAX_FINDINGS)
        )
        evidence = count * assumed["passages per query"] * (assumed["passage"] + 40)
        budget = max(1, settings.context_for(name) - RESERVED_OUTPUT_TOKENS - overhead)
        calls = min(MAX_ASSESS_CALLS, -(-evidence // budget))
        stages.append(planned("assess", name, calls, calls * overhead + evidence, MAX_FINDINGS * assumed["assessed finding"]))
        prompt = count_tokens(
            book.render("synthesize.md.j2", SynthesisResponse, request=request, queries=[], failures=[], findings=[])
        )
        findings = MAX_FINDINGS * assumed["finding in synthesis"]
        stages.append(planned("synthesize", name, 1, prompt + findings, assumed["synthesis"]))
    priced = sorted({on for on in ((name,) if analyst_calls else ()) + ((grounder,) if web else ())})
    return RunPlan(
        model=name,
        search="web (Google Search grounding)" if web else "corpus",
        stages=stages,
        prices="; ".join(_price_text(on, settings.price_for(on)) for on in priced) or "none needed",
    )


def _price_text(model: str, price: ModelPrice | None) -> str:
    if price is None:
        return f"{model} has no price in settings (shown as $0)"
    return f"{model} ${price.input:g}/M in, ${price.output:g}/M out, ${price.search_per_1k:g} per 1,000 searches"
