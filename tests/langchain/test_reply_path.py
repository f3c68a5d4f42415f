"""One reply path on every provider and output mode: thinking and fences stripped, strict parsing (a JSON
cut off is an error, never completed), one repair round, then a clear failure with the tokens counted.
And a local endpoint that isn't running is said at once, with how to start it.

Local servers answer in each provider's wire format from a script: OpenAI's chat completion (its
default structured mode, where the SDK's own parser used to raise first) and Ollama's NDJSON stream
(its default JSON mode, where LangChain's lenient parser used to complete a cut-off reply).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator

import pytest

from pipeline.analysts.llm import LLMAnalyst
from pipeline.errors import ModelOutputError, UsageError
from pipeline.providers.langchain_chat import LangChainChat
from tests.conftest import make_request
from tests.echo_server import echo_server
from tests.langchain import scenarios
from tests.langchain.make_cassettes import EXPAND_GROQ, _openai_completion

QUERIES = [query["text"] for query in EXPAND_GROQ["queries"]]
FENCED = "<think>Four angles, one per company.</think>\n```json\n" + json.dumps(EXPAND_GROQ, indent=2) + "\n```"
CUT_OFF = json.dumps(EXPAND_GROQ)[:90]  # a reply that stopped mid-JSON: after the first query


def _ollama_stream(text: str) -> str:
    """Ollama's ``/api/chat`` reply: the text in one message line, then the final line with the counts."""
    lines = [
        {"model": "qwen2.5:7b", "created_at": "2026-11-24T09:00:00.000Z", "message": {"role": "assistant", "content": text}, "done": False},
        {"model": "qwen2.5:7b", "created_at": "2026-11-24T09:00:01.000Z", "message": {"role": "assistant", "content": ""},
         "done_reason": "stop", "done": True, "prompt_eval_count": 310, "eval_count": 95},
    ]
    return "".join(json.dumps(line) + "\n" for line in lines)


PROVIDERS: dict[str, tuple[str, str, Callable[[str], tuple[int, str, str]]]] = {
    "openai-structured": (
        scenarios.OPENAI, "OPENAI_BASE_URL",
        lambda text: (200, "application/json", _openai_completion("prompt", text)),
    ),
    "ollama-json": (
        scenarios.OLLAMA, "OLLAMA_HOST",
        lambda text: (200, "application/x-ndjson", _ollama_stream(text)),
    ),
}


@pytest.fixture(params=sorted(PROVIDERS))
def provider(request, monkeypatch) -> Iterator[tuple[str, Callable[..., None]]]:
    """A provider's model on a local scripted server; yields the model name and ``reply(*texts)``."""
    model, variable, answer = PROVIDERS[request.param]
    with echo_server(lambda headers: "") as (url, script):
        monkeypatch.setenv(variable, f"{url}/v1" if variable == "OPENAI_BASE_URL" else url)
        yield model, lambda *texts: script.extend(answer(text) for text in texts)


def _expand(model: str) -> tuple[list[str], LangChainChat]:
    chat = LangChainChat(model)
    return [q.text for q in LLMAnalyst(chat).expand(make_request("Groq vs NVIDIA", query_count=4))], chat


def test_a_reply_in_thinking_and_fences_is_read_without_a_repair(provider):
    model, reply = provider
    reply(FENCED)
    queries, chat = _expand(model)
    assert queries == QUERIES and chat.usage.calls == 1 and chat.usage.output_tokens > 0


def test_a_reply_cut_off_mid_json_is_repaired_never_completed(provider):
    model, reply = provider
    reply(CUT_OFF, json.dumps(EXPAND_GROQ))
    queries, chat = _expand(model)
    assert queries == QUERIES  # not the one query a lenient parser would have completed
    assert chat.usage.calls == 2


def test_a_reply_cut_off_twice_fails_clearly_with_both_calls_counted(provider):
    model, reply = provider
    reply(CUT_OFF, CUT_OFF)
    chat = LangChainChat(model)
    with pytest.raises(ModelOutputError, match="invalid output for the expand stage twice: reply: Invalid JSON") as raised:
        LLMAnalyst(chat).expand(make_request("Groq vs NVIDIA", query_count=4))
    usage = chat.usage
    assert usage.calls == 2 and usage.prompt_tokens > 0 and usage.output_tokens > 0
    assert f"the two calls used {usage.prompt_tokens + usage.output_tokens:,} tokens" in str(raised.value)


@pytest.mark.parametrize(("model", "variable", "hint"), [
    (scenarios.OLLAMA, "OLLAMA_HOST", "start it with `ollama serve`"),
    (scenarios.OPENAI, "OPENAI_BASE_URL", "start the local server"),
])
def test_a_local_endpoint_that_is_not_running_fails_at_once_naming_it(monkeypatch, model, variable, hint):
    import socket
    import time

    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    monkeypatch.setenv(variable, url)
    started = time.perf_counter()
    with pytest.raises(UsageError, match=f"^nothing answers at {url} for {model} \\(connection refused\\): {re.escape(hint)}"):
        _expand(model)
    assert time.perf_counter() - started < 3
