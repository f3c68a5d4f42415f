"""Any LangChain chat model behind the shared LLM analyst: ``ollama:qwen2.5:7b``, ``openai:gpt-4.1-mini``…

The model is built by ``init_chat_model`` from a ``provider:model`` name. Prompts, evidence
packing, validation with one repair retry and ``<think>`` stripping live in the shared layer
(``pipeline.analysts.llm``); this module only makes the call, in the output mode the settings
choose for the model, and keeps count of the tokens it spent.
"""

from __future__ import annotations

import importlib
import json
import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel

from pipeline.errors import ModelCallError, UsageError
from pipeline.providers.secrets import one_line, redact
from pipeline.providers.usage import Pricing, backoff, estimate_cost
from pipeline.models import TokenUsage
from pipeline.settings import OutputMode, Settings, load_settings

#: Providers with a ``groundbrief[...]`` extra, and the package each one imports.
EXTRAS = {"ollama": "langchain_ollama", "openai": "langchain_openai", "anthropic": "langchain_anthropic"}
#: Providers whose integration has no retries of its own: this module retries them with backoff.
SELF_RETRIED = {"ollama"}


def split_model_name(name: str) -> tuple[str, str]:
    """``provider:model`` → (provider, model); the model part may contain colons (Ollama tags)."""
    provider, _, model = name.partition(":")
    if not provider or not model:
        raise UsageError(f"model {name!r} is not of the form provider:model, e.g. ollama:qwen2.5:7b")
    return provider.lower(), model


class LangChainChat:
    """``ChatModel`` for the shared LLM analyst on any chat model ``init_chat_model`` can build."""

    def __init__(self, name: str, settings: Settings | None = None, warn: Callable[[str], None] | None = None):
        settings = settings or load_settings()
        self.provider, self.model = split_model_name(name)
        self.name = f"{self.provider}:{self.model}"
        self.mode: OutputMode = settings.output_mode_for(self.name)
        self.context_tokens = settings.context_for(self.name)
        self._settings = settings
        self._own_retries = settings.max_retries if self.provider in SELF_RETRIED else 0
        self._pricing = Pricing(settings, warn)
        self._chat = _build(self.provider, self.model, settings, self.context_tokens)
        self._usage = TokenUsage()
        self._reported_model: str | None = None

    @property
    def identity(self) -> str:
        return f"{self.name}|{self.mode}|ctx{self.context_tokens}"

    @property
    def model_label(self) -> str:
        return f"{self.provider}:{self._reported_model}" if self._reported_model else self.name

    @property
    def usage(self) -> TokenUsage:
        return self._usage

    def generate_json(self, prompt: str, schema: type[BaseModel], stage: str) -> str:
        """The reply as JSON text; parsing failures come back as the raw text so the shared layer can repair."""
        if self.mode == "text":
            message = self._invoke(self._chat, prompt, stage)
            self._record(message)
            return _reply_text(message)
        method = {"json": "json_mode"}.get(self.mode)
        runnable = self._chat.with_structured_output(schema, include_raw=True, **({"method": method} if method else {}))
        result = self._invoke(runnable, prompt, stage)
        self._record(result["raw"])
        parsed = result["parsed"]
        return parsed.model_dump_json() if isinstance(parsed, BaseModel) else _reply_text(result["raw"])

    def _invoke(self, runnable: Any, prompt: str, stage: str) -> Any:
        """One call with backoff on transient failures; whatever still fails becomes a clear error."""
        attempt = 0
        while True:
            try:
                return runnable.invoke(prompt)
            except Exception as error:  # noqa: BLE001 — provider packages share no exception base
                if attempt >= self._own_retries or not _transient(error):
                    raise self._failure(error, stage) from None
                attempt += 1
                time.sleep(backoff(self._settings, attempt))

    def _failure(self, error: Exception, stage: str) -> Exception:
        """Credentials and missing models are the user's to fix (exit 1); the rest fails just this call."""
        status, detail = _status(error), _describe(error)
        if self.provider == "ollama" and status == 404:
            return UsageError(f"Ollama has no model {self.model!r}: run `ollama pull {self.model}` ({detail})")
        if status in (401, 403):
            return UsageError(f"{self.provider} refused the credentials for {self.model} ({detail})")
        attempts = self._settings.max_retries + 1 if _transient(error) else 1
        after = f" after {attempts} attempts" if attempts > 1 else ""
        return ModelCallError(f"the {stage} call to {self.name} failed{after}: {detail}")

    def _record(self, message: Any) -> None:
        """Add the call's tokens (from the provider's response metadata) and note the exact model."""
        metadata = getattr(message, "response_metadata", None) or {}
        self._reported_model = metadata.get("model_name") or metadata.get("model") or self._reported_model
        usage = getattr(message, "usage_metadata", None) or {}
        thought = (usage.get("output_token_details") or {}).get("reasoning", 0)
        spent = TokenUsage(
            calls=1,
            prompt_tokens=usage.get("input_tokens", 0),
            output_tokens=usage.get("output_tokens", 0) - thought,
            thought_tokens=thought,
        )
        spent.estimated_cost_usd = estimate_cost(spent, self._pricing.price(self.model))  # reasoning bills as output
        self._usage = self._usage + spent


def _build(provider: str, model: str, settings: Settings, context_tokens: int) -> Any:
    """The LangChain chat model, with the provider package imported only now (it is an optional extra)."""
    _require_packages(provider)
    from langchain.chat_models import init_chat_model

    try:
        return init_chat_model(model, model_provider=provider, **_provider_kwargs(provider, settings, context_tokens))
    except ImportError as error:  # a provider without an extra; LangChain's message names its package
        raise UsageError(f"the {provider} provider is not installed: {_describe(error)}") from None
    except Exception as error:  # noqa: BLE001 — an unknown provider, a missing API key: each SDK raises its own
        raise UsageError(f"cannot set up {provider}:{model}: {_describe(error)}") from None


def _require_packages(provider: str) -> None:
    """LangChain and, for the providers with an extra, their integration; imported here, not at startup."""
    try:
        importlib.import_module("langchain.chat_models")
        if provider in EXTRAS:
            importlib.import_module(EXTRAS[provider])
    except ImportError:
        if provider in EXTRAS:
            raise UsageError(f"the {provider} provider needs an extra: pip install 'groundbrief[{provider}]'") from None
        package = "langchain-" + provider.replace("_", "-")
        raise UsageError(f"the {provider} provider needs LangChain: pip install langchain {package}") from None


def _provider_kwargs(provider: str, settings: Settings, context_tokens: int) -> dict[str, Any]:
    """Timeouts and retries in each integration's own terms.

    Ollama is told the context budget (``num_ctx``): its default window is smaller, and the
    server would otherwise cut packed evidence off silently.
    """
    if provider == "ollama":
        return {"num_ctx": context_tokens, "client_kwargs": {"timeout": settings.timeout_seconds}}
    return {"timeout": settings.timeout_seconds, "max_retries": settings.max_retries}


def _reply_text(message: Any) -> str:
    """The reply's text, or a tool call's arguments when the model answered through a tool."""
    tool_calls = getattr(message, "tool_calls", None)
    if tool_calls:
        return json.dumps(tool_calls[0]["args"])
    return str(message.text)


def _status(error: Exception) -> int | None:
    status = getattr(error, "status_code", None)
    if status is None:
        status = getattr(getattr(error, "response", None), "status_code", None)
    return status if isinstance(status, int) else None


def _transient(error: Exception) -> bool:
    """Worth another try: connection failures, timeouts, rate limits and server errors."""
    import httpx

    status = _status(error)
    if status is not None:
        return status in (408, 429) or status >= 500
    if isinstance(error, (ConnectionError, TimeoutError, httpx.TransportError)):
        return True
    return any(word in type(error).__name__ for word in ("Timeout", "Connection"))  # SDKs' own, e.g. APITimeoutError


def _describe(error: Exception) -> str:
    """One line about the error, with anything that looks like a credential removed."""
    status = _status(error)
    text = one_line(redact(str(error))) or type(error).__name__  # redacted before it is cut: no key half-left
    text = f"HTTP {status} {text}" if status and str(status) not in text else text
    return f"{type(error).__name__}: {text}"
