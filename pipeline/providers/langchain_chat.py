"""Any LangChain chat model behind the shared LLM analyst: ``ollama:qwen2.5:7b``, ``openai:gpt-4.1-mini``…

The model is built by ``init_chat_model`` from a ``provider:model`` name. Prompts, evidence
packing, validation with one repair retry and ``<think>`` stripping live in the shared layer
(``pipeline.analysts.llm``); this module only makes the call, in the output mode the settings
choose for the model, through the shared retry path (``pipeline.providers.retry``), which keeps count
of the tokens it spent. Whatever the mode, the reply goes back
as the model wrote it: LangChain's and the SDKs' own parsers would raise before any repair (OpenAI's
structured mode) or quietly complete a JSON the model left unfinished (JSON mode), so none is used.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable
from typing import Any, cast
from urllib.parse import urlsplit

from pydantic import BaseModel

from pipeline.errors import ModelCallError, UsageError
from pipeline.models import TokenUsage
from pipeline.providers.retry import Answer, CallPath, Fault, retry_after
from pipeline.providers.secrets import one_line, redact
from pipeline.providers.usage import Pricing, estimate_cost
from pipeline.settings import OutputMode, Settings, load_settings

#: Providers with a ``groundbrief[...]`` extra, and the package each one imports.
EXTRAS = {"ollama": "langchain_ollama", "openai": "langchain_openai", "anthropic": "langchain_anthropic"}
#: Where a reply says why it stopped: OpenAI's ``finish_reason``, Ollama's ``done_reason``, Anthropic's ``stop_reason``.
FINISH_FIELDS = ("finish_reason", "done_reason", "stop_reason")
#: Stop reasons that mean the answer was cut off; any other (``stop``, ``end_turn``, ``tool_calls``…) finished it.
CUT_OFF = frozenset({"length", "max_tokens", "content_filter", "model_context_window_exceeded"})
#: The environment variable each hosted provider's key is read from; named when it is missing.
KEY_VARIABLES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}
#: Where each provider is served when its environment names no other endpoint, and how to start a local one.
DEFAULT_ENDPOINTS = {"ollama": ("OLLAMA_HOST", "http://127.0.0.1:11434"), "openai": ("OPENAI_BASE_URL", None)}
START_HINTS = {"ollama": "start it with `ollama serve` (or the Ollama app)", "openai": "start the local server"}
LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1", "0.0.0.0"}


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
        self.endpoint = endpoint(self.provider)
        self.local = is_loopback(self.endpoint)
        self._pricing = Pricing(settings, warn)
        _require_packages(self.provider)
        _require_key(self.provider, self.name)
        if self.local:
            self._check_listening()
        self._chat = _build(self.provider, self.model, settings, self.context_tokens)
        self._path = CallPath(settings, self.name)

    @property
    def identity(self) -> str:
        return f"{self.name}|{self.mode}|ctx{self.context_tokens}"

    @property
    def model_label(self) -> str:
        reported = self._path.model_version
        return f"{self.provider}:{reported}" if reported else self.name

    @property
    def usage(self) -> TokenUsage:
        return self._path.usage

    def generate_json(self, prompt: str, schema: type[BaseModel], stage: str) -> str:
        """The reply as the model wrote it (text, or a tool call's arguments), for the shared layer to
        clean, parse strictly, validate and repair. The schema goes to the provider as a plain JSON
        schema, so no SDK parses the reply into the pydantic model and raises before the repair."""
        if self.mode == "text":
            runnable = self._chat
        elif self.mode == "structured" and self.provider == "openai":
            runnable = self._chat.bind(response_format=_openai_format(schema))
        else:
            method = {"json": "json_mode"}.get(self.mode)
            structured = self._chat.with_structured_output(
                schema.model_json_schema(), include_raw=True, **({"method": method} if method else {})
            )
            runnable = structured | (lambda output: output["raw"])

        def send() -> Any:
            try:
                return runnable.invoke(prompt)
            except Exception as error:  # OpenAI's parser raises on a cut-off answer: read it as the answer it is
                if (message := _cut_off_message(error)) is None:
                    raise
                return message

        return self._path.call(send, self._read, lambda error: self._fault(error, stage), stage).text

    def _check_listening(self) -> None:
        """Before LangChain is imported (a second or more): is anything listening at the local endpoint?"""
        import socket

        parts = urlsplit(self.endpoint or "")
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            socket.create_connection((parts.hostname, port), timeout=2).close()
        except ConnectionRefusedError:
            raise self._not_running() from None
        except OSError:
            pass  # a slow or odd network: the call will say what is wrong

    def _not_running(self) -> UsageError:
        return UsageError(
            f"nothing answers at {self.endpoint} for {self.name} (connection refused): "
            f"{START_HINTS.get(self.provider, 'start the server')}"
        )

    def _fault(self, error: Exception, stage: str) -> Fault:
        """What a failed attempt means: a local server that isn't running, credentials, a missing model and a
        used-up quota fail at once; connection failures, timeouts, rate limits and server errors are retried."""
        if self.local and _refused(error):
            return Fault(False, lambda attempts: self._not_running())
        status = _status(error)
        if status == 429 and getattr(error, "code", None) == "insufficient_quota":  # OpenAI: no credit left
            return Fault(False, lambda attempts: UsageError(
                f"{self.provider}'s quota for {self.model} is used up ({_describe(error)}); check the plan and billing"
            ), throttled=True)
        headers = getattr(getattr(error, "response", None), "headers", None)
        return Fault(
            _transient(error), lambda attempts: self._failure(error, stage, attempts),
            wait=retry_after(headers), throttled=status == 429,
        )

    def _failure(self, error: Exception, stage: str, attempts: int) -> Exception:
        """Credentials and missing models are the user's to fix (exit 1); the rest fails just this call."""
        status, detail = _status(error), _describe(error)
        if self.provider == "ollama" and status == 404:
            return UsageError(f"Ollama has no model {self.model!r}: run `ollama pull {self.model}` ({detail})")
        if status in (401, 403):
            return UsageError(f"{self.provider} refused the credentials for {self.model} ({detail})")
        after = f" after {attempts} attempts" if attempts > 1 else ""
        return ModelCallError(f"the {stage} call to {self.name} failed{after}: {detail}")

    def _read(self, message: Any) -> Answer:
        """The reply's text, its tokens (from the provider's response metadata), the exact model, and
        whether it finished (``finish_reason``, Ollama's ``done_reason``, Anthropic's ``stop_reason``)."""
        metadata = getattr(message, "response_metadata", None) or {}
        usage = getattr(message, "usage_metadata", None) or {}
        thought = (usage.get("output_token_details") or {}).get("reasoning", 0)
        spent = TokenUsage(
            calls=1,
            prompt_tokens=usage.get("input_tokens", 0),
            output_tokens=usage.get("output_tokens", 0) - thought,
            thought_tokens=thought,
        )
        if not self.local:  # a model on this machine costs nothing: no price, and no warning about it
            spent.estimated_cost_usd = estimate_cost(spent, self._pricing.price(self.model))  # reasoning bills as output
        reason = next((metadata[key] for key in FINISH_FIELDS if metadata.get(key)), None)
        return Answer(
            text=_reply_text(message),
            usage=spent,
            model=metadata.get("model_name") or metadata.get("model"),
            unfinished=f"answer cut off: {reason}" if str(reason).lower() in CUT_OFF else None,
        )


def endpoint(provider: str) -> str | None:
    """The URL the provider's client will call, from its own environment variable or its default."""
    variable, default = DEFAULT_ENDPOINTS.get(provider, (None, None))
    url = (os.environ.get(variable) if variable else None) or default
    if url and "://" not in url:  # OLLAMA_HOST may be host:port
        url = f"http://{url}"
    return url


def is_loopback(url: str | None) -> bool:
    """Whether ``url`` is served on this machine (a local model: free, and fast to find not running)."""
    return bool(url) and (urlsplit(url).hostname or "") in LOOPBACK_HOSTS


def _require_key(provider: str, name: str) -> None:
    """The provider's key, named before anything is built: without it Anthropic's client fails only at
    the first call, with "Connection error". (OpenAI's client needs one even for a local server.)"""
    variable = KEY_VARIABLES.get(provider)
    if variable and not os.environ.get(variable, "").strip():
        raise UsageError(f"{name} needs an API key: set {variable}")


def _build(provider: str, model: str, settings: Settings, context_tokens: int) -> Any:
    """The LangChain chat model, with the provider package imported only now (it is an optional extra)."""
    from langchain.chat_models import init_chat_model

    kwargs = _provider_kwargs(provider, settings, context_tokens)
    try:
        return init_chat_model(model, model_provider=provider, **kwargs)
    except ImportError as error:  # a provider without an extra; LangChain's message names its package
        raise UsageError(f"the {provider} provider is not installed: {_describe(error)}") from None
    except Exception as error:
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
    """Timeouts in each integration's own terms, and no retries of its own: the shared retry path
    (``pipeline.providers.retry``) retries every provider the same way.

    Ollama is told the context budget (``num_ctx``): its default window is smaller, and the
    server would otherwise cut packed evidence off silently.
    """
    if provider == "ollama":
        return {"num_ctx": context_tokens, "client_kwargs": {"timeout": settings.timeout_seconds}}
    return {"timeout": settings.timeout_seconds, "max_retries": 0}


def _openai_format(schema: type[BaseModel]) -> dict[str, Any]:
    """OpenAI's strict ``response_format`` for ``schema`` (the one its SDK derives from the class), as a
    dict: given the class itself, the SDK parses the reply and raises before the shared repair."""
    from openai.lib._parsing import type_to_response_format_param

    return cast(dict[str, Any], type_to_response_format_param(schema))


def _cut_off_message(error: Exception) -> Any | None:
    """The message an answer cut off at its token limit (or by a content filter) would have been, from the
    error OpenAI's SDK raises for it instead (``LengthFinishReasonError``), so it is counted and asked for
    once more like any provider's cut-off answer."""
    completion = getattr(error, "completion", None)
    if completion is None or not type(error).__name__.endswith("FinishReasonError"):
        return None
    from langchain_core.messages import AIMessage

    reason = completion.choices[0].finish_reason if completion.choices else "length"
    spent = completion.usage
    usage = {"input_tokens": spent.prompt_tokens, "output_tokens": spent.completion_tokens,
             "total_tokens": spent.total_tokens} if spent else None
    return AIMessage(content="", response_metadata={"finish_reason": reason, "model_name": completion.model}, usage_metadata=usage)


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


def _refused(error: BaseException) -> bool:
    """A connection the server refused (nothing listening), anywhere in the error's chain."""
    import httpx

    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, (ConnectionRefusedError, httpx.ConnectError)):
            return True
        if type(seen) is ConnectionError and "connect" in str(seen).lower():  # the ollama client's own
            return True
        seen = seen.__cause__ or seen.__context__
    return False


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
