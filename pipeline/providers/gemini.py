"""Gemini through google-genai: the ``ChatModel`` behind the shared LLM analyst, and the raw calls
web search makes with Google Search grounding (``pipeline.search.grounding``).

The SDK is imported inside functions only, so the embedded default never loads it. The SDK reads
its own environment: the key (``GEMINI_API_KEY`` or ``GOOGLE_API_KEY``), an API gateway or proxy
(``GOOGLE_GEMINI_BASE_URL``) and Vertex AI (``GOOGLE_GENAI_USE_VERTEXAI`` with a project); nothing
here names an endpoint. Each ``GeminiChat`` keeps its own token ledger: the analyst has one, and
``--search web`` builds another for its grounded calls (``pipeline.search.web.web_searcher``); the
orchestrator adds the searcher's ledger to the analyst's, counting a ledger they share only once.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import BaseModel

from pipeline.errors import GroundbriefError, ModelCallError, UsageError
from pipeline.models import TokenUsage
from pipeline.prices import billed_searches
from pipeline.providers.retry import RETRIED_STATUSES, Answer, CallPath, Fault
from pipeline.providers.secrets import one_line, redact
from pipeline.providers.usage import Pricing, estimate_cost
from pipeline.settings import Settings, config_path, load_settings

MODELS_URL = "https://ai.google.dev/gemini-api/docs/models"
RATE_LIMITS_URL = "https://ai.dev/rate-limit"
#: The API version that serves the ``-latest`` aliases; the SDK's default (``v1``) has none.
ALIAS_API_VERSION = "v1beta"
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)s\s*$")


def gemini_client(settings: Settings, model: str) -> Any:
    """The SDK client for ``model``, with the call timeout from settings and one attempt per request:
    the shared retry path retries, because the SDK's backoff ignores a 429's ``RetryInfo``
    (googleapis/python-genai#1875). A ``-latest`` alias is called on the API version that serves it."""
    from google import genai
    from google.auth.exceptions import GoogleAuthError
    from google.genai import types

    options = types.HttpOptions(
        timeout=round(settings.timeout_seconds * 1000),
        retry_options=types.HttpRetryOptions(attempts=1),  # set, so the SDK leaves transport errors to us too
        api_version=api_version_for(model),
    )
    try:
        return genai.Client(http_options=options)
    except (ValueError, GoogleAuthError) as error:  # no key, or Vertex AI without a project or credentials
        raise UsageError(
            f"Gemini is not set up: {redact(str(error))} Set GEMINI_API_KEY (or GOOGLE_API_KEY), or "
            "GOOGLE_GENAI_USE_VERTEXAI=true with GOOGLE_CLOUD_PROJECT and GOOGLE_CLOUD_LOCATION."
        ) from None


def api_version_for(model: str) -> str | None:
    """``v1beta`` for a ``-latest`` alias (the SDK's default ``v1`` has no aliases, so it would answer 404),
    else the SDK's choice (``None``). An alias with ``GOOGLE_GENAI_API_VERSION=v1`` is refused at once."""
    if not model.endswith("-latest") or os.environ.get("GOOGLE_GENAI_USE_VERTEXAI", "").lower() in ("1", "true"):
        return None
    chosen = os.environ.get("GOOGLE_GENAI_API_VERSION", "").strip()
    if chosen == "v1":
        default = Settings.model_fields["gemini_model"].default
        raise UsageError(
            f"{model} is an alias that Gemini API version v1 does not serve; name a model version "
            f"(e.g. --model {default}) or unset GOOGLE_GENAI_API_VERSION"
        )
    return None if chosen else ALIAS_API_VERSION


def retry_delay(body: bytes | str | dict | None) -> float | None:
    """Seconds from a ``google.rpc.RetryInfo`` detail in an error body (``"retryDelay": "1.5s"``),
    given as the raw body or as the parsed JSON (``APIError.details``)."""
    try:
        payload: Any = json.loads(body) if isinstance(body, (bytes, str)) else body
        details = payload["error"].get("details") or []
    except (ValueError, KeyError, TypeError, AttributeError):
        return None
    for detail in details:
        if isinstance(detail, dict) and str(detail.get("@type", "")).endswith("google.rpc.RetryInfo"):
            match = _DURATION.match(str(detail.get("retryDelay", "")))
            if match:
                return float(match.group(1))
    return None


class QuotaExhausted(GroundbriefError):
    """A per-day quota is used up: no retry can help today, so the run stops (exit 1)."""


def daily_quota(body: Any) -> str | None:
    """The per-day quota a 429 names in its ``google.rpc.QuotaFailure`` (``GenerateRequestsPerDay…``), if any:
    waiting minutes for it is pointless, it resets at midnight Pacific time."""
    try:
        details = body["error"].get("details") or []
    except (KeyError, TypeError, AttributeError):
        return None
    for detail in details:
        for violation in (detail.get("violations") or []) if isinstance(detail, dict) else []:
            quota = str(violation.get("quotaId") or violation.get("quotaMetric") or "")
            if "perday" in quota.replace("_", "").lower():
                limit = violation.get("quotaValue")
                return f"{quota}, limit {limit}" if limit else quota
    return None


def quota_reset(now: datetime | None = None) -> str:
    """When a per-day quota resets: the next midnight in Los Angeles, said in UTC and as time from now."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    now = now or datetime.now(UTC)
    try:
        pacific = now.astimezone(ZoneInfo("America/Los_Angeles"))
    except ZoneInfoNotFoundError:  # no time-zone database on this system
        return "at midnight Pacific time"
    midnight = (pacific + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    hours, minutes = divmod(round((midnight - pacific).total_seconds() / 60), 60)
    return f"at midnight Pacific time ({midnight.astimezone(UTC):%Y-%m-%d %H:%M} UTC, in {hours} h {minutes} min)"


class GeminiChat:
    """``ChatModel`` on Gemini, plus the grounded call web search makes, with this instance's token ledger.

    Calls go through the shared retry path (``pipeline.providers.retry``): 408, 429, 5xx and transport
    errors are retried with back-off, a 429 waits at least its ``RetryInfo`` delay, a per-day quota fails
    at once saying when it resets, and an answer cut off (``finishReason`` other than ``STOP``) is asked
    for once more. At most ``concurrency`` calls are in flight; a 429 halves that.
    """

    def __init__(
        self, model: str | None = None, settings: Settings | None = None, warn: Callable[[str], None] | None = None
    ):
        self._settings = settings or load_settings()
        self.model = self._settings.gemini_model if model in (None, "gemini") else model
        self.context_tokens = self._settings.context_for(self.model)
        self._client = gemini_client(self._settings, self.model)
        self._pricing = Pricing(self._settings, warn)
        self._path = CallPath(self._settings, self.model)

    @property
    def identity(self) -> str:
        return f"gemini:{self.model}"

    @property
    def model_label(self) -> str:
        """The ``modelVersion`` the API last reported; the requested name until a call is made."""
        return self._path.model_version or self.model

    @property
    def usage(self) -> TokenUsage:
        return self._path.usage

    def generate_json(self, prompt: str, schema: type[BaseModel], stage: str) -> str:
        from google.genai import types

        config = types.GenerateContentConfig(response_mime_type="application/json", response_schema=schema)
        return self.generate(prompt, config, stage).text

    def generate(self, prompt: str, config: Any, stage: str) -> GeminiReply:
        """The answer to ``prompt`` with ``config``, retried, finished and counted (see the class)."""

        def send() -> Any:
            return self._client.models.generate_content(model=self.model, contents=prompt, config=config)

        return self._path.call(send, self._priced, lambda error: self._fault(error, stage), stage)

    def _priced(self, response: Any) -> GeminiReply:
        reply = read_reply(response)
        price = self._pricing.price(reply.model or self.model, self.model)
        usage = reply.usage.model_copy(update={"searches": billed_searches(reply.searches, price.search_unit if price else "query")})
        return replace(reply, usage=usage.model_copy(update={"estimated_cost_usd": estimate_cost(usage, price)}))

    def _fault(self, error: Exception, stage: str) -> Fault | None:
        """What a failed attempt means: keys and model names are the user's to fix (exit 1), a per-day quota
        can't be waited out, transient failures are retried, and a reply that is not the API's JSON (a
        gateway's login page) fails the call at once."""
        from google.auth.exceptions import GoogleAuthError
        from google.genai import errors

        if isinstance(error, errors.APIError):
            if error.code == 429 and (quota := daily_quota(error.details)):
                return Fault(False, lambda attempts: QuotaExhausted(
                    f"Gemini's per-day quota for {self.model} is used up ({quota}); it resets {quota_reset()}. Try "
                    f"again then, choose another model with --model, or see your limits at {RATE_LIMITS_URL}"
                ), throttled=True)
            return Fault(
                error.code in RETRIED_STATUSES, lambda attempts: self._failure(error, stage, attempts),
                wait=retry_delay(error.details) if error.code == 429 else None, throttled=error.code == 429,
            )
        if isinstance(error, GoogleAuthError):  # Vertex AI without Application Default Credentials
            return Fault(False, lambda attempts: UsageError(f"Vertex AI has no usable credentials: {redact(str(error))}"))
        if isinstance(error, _transport_errors()):
            return Fault(True, lambda attempts: ModelCallError(
                f"the {stage} call to {self.model} failed after {attempts} attempts: "
                f"{type(error).__name__} {one_line(redact(str(error)))}".strip()
            ))
        if isinstance(error, ValueError):  # not the API's JSON: e.g. a gateway's login or error page with 200
            return Fault(False, lambda attempts: ModelCallError(
                f"the {stage} call to {self.model} got a reply that is not the Gemini API's JSON "
                f"({type(error).__name__}: {one_line(redact(str(error)), 200)}); if GOOGLE_GEMINI_BASE_URL "
                "names a gateway, check that it forwards to the Gemini API"
            ))
        return None

    def _failure(self, error: Any, stage: str, attempts: int) -> GroundbriefError:
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
        after = f" after {attempts} attempts" if error.code in RETRIED_STATUSES else ""
        return ModelCallError(f"the {stage} call to {self.model} failed{after}: {detail}")


@dataclass(frozen=True)
class GeminiReply(Answer):
    """Everything groundbrief reads from a ``GenerateContentResponse``, read in one place (``read_reply``).
    ``text`` is the answer without thoughts; ``parts`` every part's text by index (what a grounding
    segment's ``partIndex`` counts); ``grounding`` the candidate's ``GroundingMetadata``, if any."""

    parts: tuple[str, ...] = ()
    grounding: Any = None
    searches: tuple[str, ...] = ()


def read_reply(response: Any) -> GeminiReply:
    """The fields of a Gemini response: answer text and parts, grounding, searches run, tokens (unpriced),
    the model version, and why the answer is incomplete when it is (``MAX_TOKENS``, ``SAFETY``, a blocked
    prompt…). A candidate without ``finishReason`` counts as finished."""
    candidate = response.candidates[0] if response.candidates else None
    content = candidate and candidate.content
    parts = list((content and content.parts) or [])
    grounding = candidate and candidate.grounding_metadata
    metadata = response.usage_metadata
    usage = TokenUsage(
        calls=1,
        prompt_tokens=(metadata and metadata.prompt_token_count) or 0,
        output_tokens=(metadata and metadata.candidates_token_count) or 0,
        thought_tokens=(metadata and metadata.thoughts_token_count) or 0,
        tool_tokens=(metadata and metadata.tool_use_prompt_token_count) or 0,
        cached_tokens=(metadata and metadata.cached_content_token_count) or 0,
    )
    if candidate is None:
        feedback = response.prompt_feedback
        blocked = feedback and feedback.block_reason
        unfinished: str | None = f"prompt blocked: {getattr(blocked, 'value', blocked)}" if blocked else "no answer"
    else:
        reason = getattr(candidate.finish_reason, "value", candidate.finish_reason)
        unfinished = None if reason in (None, "STOP") else f"answer cut off: {reason}"
    return GeminiReply(
        text="".join(part.text for part in parts if part.text and not part.thought),
        usage=usage,
        model=response.model_version,
        unfinished=unfinished,
        parts=tuple(part.text or "" for part in parts),
        grounding=grounding,
        searches=tuple((grounding and grounding.web_search_queries) or ()),
    )


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


