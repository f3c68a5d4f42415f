"""Record tests/cassettes/langchain/ by running the real LangChain integrations over real HTTP.

A scripted server on 127.0.0.1 answers in the providers' wire formats: Ollama's ``/api/chat``
(NDJSON stream, one JSON object a line, usage in the final ``"done": true`` line; errors as
``{"error": …}``) and OpenAI's ``/v1/chat/completions`` (a ``chat.completion`` object). vcrpy
records what ``ChatOllama`` and ``ChatOpenAI`` actually send and receive; the local host is then
rewritten to the provider's real one. Ollama streams one token a line; the script streams a
few words a line to keep the cassettes readable.

Run from the repository root after changing a prompt or what a scenario sends:

    GROUNDBRIEF_CACHE_DIR=$(mktemp -d) python -m tests.langchain.make_cassettes
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import vcr

from pipeline.analysts.llm.packing import count_tokens
from pipeline.settings import load_settings
from tests.langchain import scenarios
from tests.langchain.conftest import CASSETTES, VCR_CONFIG
from tests.recording import masked_request, masked_response

OLLAMA_HOST = "http://127.0.0.1:11434"
OPENAI_BASE = "https://api.openai.com/v1"
OPENAI_MODEL_VERSION = "gpt-4.1-mini-2025-04-14"
CREATED = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
OPENAI_HEADERS = {"openai-version": "2020-10-01", "openai-processing-ms": "1184", "x-request-id": "req_5b0c2d8e41f9"}

#: A reply: JSON text for the model to say, an HTTP error status, or a function of the prompt.
Reply = str | int | Callable[[str], str]

EXPAND = {"queries": [
    {"text": f"{company} {angle} last 18 months", "entity": company, "angle": angle}
    for company in ("Cerebras", "Groq")
    for angle in (
        "production displacement metrics NVIDIA", "customer case studies", "vendor blog inference benchmarks",
        "arXiv training inference results", "revenue and deals", "limitations skeptical views",
    )
]}
EXPAND_GROQ = {"queries": [
    {"text": f"Groq {angle} last 18 months", "entity": "Groq", "angle": angle}
    for angle in ("customer case studies NVIDIA", "inference benchmarks", "revenue and deals", "limitations")
]}
SYNTHESIS = {
    "analysis": [
        "The corpus shows Cerebras and Groq winning inference workloads on speed: Artificial Analysis measured "
        "Llama 4 Maverick at 2,522 tokens per second on Cerebras against 1,038 on NVIDIA Blackwell, and customer "
        "announcements cite latency rather than price as the reason to move.",
        "What is not yet priced in is how narrow the displacement still is. SemiAnalysis puts inference at most of "
        "the compute spend, yet no source quantifies training moving off NVIDIA, and Cerebras's IPO filing shows "
        "revenue concentrated in a few customers.",
    ],
    "gaps": [
        {"title": "Training workloads", "text": "No source gives a production training metric for Cerebras or Groq; "
         "every displacement claim concerns inference."},
        {"title": "Vendor-reported figures", "text": "Most speed figures come from the vendors or their customers' "
         "announcements; only one independent benchmark is in the evidence."},
    ],
}


IMPACTS = ("High", "Medium", "Medium", "Low")


def assess(prompt: str) -> str:
    """Findings from up to four publishers, each quoting a passage's first sentence with a figure in it."""
    passages = re.findall(
        r"<<<EVIDENCE (E\d+) \w{12}>>>\npublisher: ([^\n]*)\ndate: \S+\n\n(.*?)\n<<<END EVIDENCE", prompt, re.DOTALL
    )
    findings = []
    for (evidence_id, publisher, text), impact in zip(_distinct(passages), IMPACTS, strict=False):
        findings.append({
            "evidence_id": evidence_id,
            "quote": _figure_sentence(text),
            "impact": impact,
            "impact_rationale": f"{publisher} states a concrete figure about inference against NVIDIA.",
        })
    return json.dumps({"findings": findings}, indent=2)


def _figure_sentence(text: str) -> str:
    sentences = [s for s in re.split(r"(?<=[.!?])\s+", text.strip()) if not s.startswith("#")] or [text.strip()]
    return next((s for s in sentences if re.search(r"\d", s)), sentences[0])


def _distinct(passages: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    by_publisher: dict[str, tuple[str, str, str]] = {}
    for passage in passages:
        by_publisher.setdefault(passage[1], passage)
    return list(by_publisher.values())


def injected(prompt: str) -> str:
    """The model keeps to its instructions: the genuine passage is the finding, the injection is ignored."""
    return json.dumps({"findings": [{
        "evidence_id": "E1", "quote": scenarios.GENUINE.split(". ")[0] + ".",
        "impact": "High", "impact_rationale": "A named customer moved production inference off GPUs.",
    }]}, indent=2)


def thinking(prompt: str) -> str:
    return (
        "<think>\nThe user compares Groq with NVIDIA. I need four queries, each naming Groq and ending with "
        "the window phrase. Angles: customers, benchmarks, revenue, limitations.\n</think>\n\n```json\n"
        + json.dumps(EXPAND_GROQ, indent=2) + "\n```"
    )


_SYNTHESIS = json.dumps(SYNTHESIS)
SCRIPTS: dict[str, dict[str, list[Reply]]] = {
    "ollama_end_to_end": {"expand": [json.dumps(EXPAND)], "assess": [assess] * 4, "synthesize": [_SYNTHESIS]},
    "openai_end_to_end": {  # assessed and synthesized in one call: the evidence fits one
        "expand": [json.dumps(EXPAND, separators=(",", ":"))],
        "assess+synthesize": [lambda prompt: json.dumps({**json.loads(assess(prompt)), **SYNTHESIS}, separators=(",", ":"))],
    },
    "ollama_think": {"expand": [thinking]},
    "ollama_repair": {"expand": ['{"queries": [{"text": "Groq customer case studies NVIDIA last 18 months" '
                                 '"entity": "Groq", "angle": "customer case studies"}]}', json.dumps(EXPAND_GROQ)]},
    "ollama_packing": {"expand": [json.dumps(EXPAND)], "assess": [assess] * 4, "synthesize": [_SYNTHESIS]},
    "ollama_injection": {"assess": [injected]},
    "ollama_server_error": {"expand": [json.dumps(EXPAND)], "assess": [500] * 12, "synthesize": [_SYNTHESIS]},
    "openai_bad_key": {"expand": [401]},
    "ollama_not_pulled": {"expand": [404]},
}
RUNS: dict[str, Callable[[Path], object]] = {
    "ollama_end_to_end": lambda out: scenarios.end_to_end(scenarios.OLLAMA, out),
    "openai_end_to_end": lambda out: scenarios.end_to_end(scenarios.OPENAI, out),
    "ollama_think": lambda out: scenarios.expand(scenarios.REASONING),
    "ollama_repair": lambda out: scenarios.expand(scenarios.OLLAMA),
    "ollama_packing": lambda out: scenarios.end_to_end(scenarios.OLLAMA, out),
    "ollama_injection": lambda out: scenarios.injected_assessment(),
    "ollama_server_error": lambda out: scenarios.cli(scenarios.OLLAMA, out),
    "openai_bad_key": lambda out: scenarios.cli(scenarios.OPENAI, out),
    "ollama_not_pulled": lambda out: scenarios.cli(scenarios.OLLAMA, out),
}


class ScriptedServer(BaseHTTPRequestHandler):
    """Answers each request with the next scripted reply for the stage its prompt belongs to."""

    protocol_version = "HTTP/1.1"
    script: dict[str, list[Reply]] = {}
    clock = CREATED

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        prompt = body["messages"][-1]["content"]
        reply = self.script[scenarios.stage_of(prompt)].pop(0)
        ollama = self.path == "/api/chat"
        if isinstance(reply, int):
            error = _ollama_error(reply) if ollama else _openai_error(reply)
            self._send(reply, "application/json; charset=utf-8" if ollama else "application/json", error)
        elif ollama:
            content = reply(prompt) if callable(reply) else reply
            self._stream("application/x-ndjson", self._ollama_lines(body["model"], prompt, content))
        else:
            content = reply(prompt) if callable(reply) else reply
            self._send(200, "application/json", _openai_completion(prompt, content), OPENAI_HEADERS)

    def _ollama_lines(self, model: str, prompt: str, content: str) -> list[str]:
        pieces = re.findall(r"(?:\S+\s*){1,4}|\s+", content)
        lines = [_line({"model": model, "created_at": self._tick(), "message": {"role": "assistant", "content": piece},
                        "done": False}) for piece in pieces]
        prompt_tokens, output_tokens = count_tokens(prompt), count_tokens(content)
        lines.append(_line({
            "model": model, "created_at": self._tick(), "message": {"role": "assistant", "content": ""},
            "done_reason": "stop", "done": True, "total_duration": 9_480_000 * output_tokens + 2_100_000_000,
            "load_duration": 41_208_125,
            "prompt_eval_count": prompt_tokens, "prompt_eval_duration": 390_000 * prompt_tokens,
            "eval_count": output_tokens, "eval_duration": 9_400_000 * output_tokens,
        }))
        return lines

    def _tick(self) -> str:
        ScriptedServer.clock += timedelta(milliseconds=37)
        return self.clock.strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"

    def _send(self, status: int, content_type: str, text: str, headers: dict[str, str] | None = None) -> None:
        data = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _stream(self, content_type: str, lines: list[str]) -> None:
        """Chunked, as Ollama streams: one chunk a line."""
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for line in lines:
            data = line.encode()
            self.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")

    def date_time_string(self, timestamp: float | None = None) -> str:
        """A fixed ``Date`` header, so recording again changes nothing that didn't change."""
        return CREATED.strftime("%a, %d %b %Y %H:%M:%S GMT")

    def log_message(self, format: str, *args: object) -> None:
        pass


def _line(payload: dict) -> str:
    return json.dumps(payload, separators=(",", ":")) + "\n"


def _ollama_error(status: int) -> str:
    message = {
        404: 'model "qwen2.5:7b" not found, try pulling it first',
        500: "llama runner process has terminated: signal: killed",
    }
    return json.dumps({"error": message[status]}, separators=(",", ":"))


def _openai_error(status: int) -> str:
    assert status == 401, "only the invalid-key reply is scripted"
    return json.dumps({"error": {
        "message": "Incorrect API key provided: sk-test-*************************6789. You can find your API key at "
        "https://platform.openai.com/account/api-keys.",
        "type": "invalid_request_error", "param": None, "code": "invalid_api_key",
    }}, indent=4)


def _openai_completion(prompt: str, content: str) -> str:
    prompt_tokens, output_tokens = count_tokens(prompt) + 7, count_tokens(content)
    return json.dumps({
        "id": "chatcmpl-" + hashlib.sha256(content.encode()).hexdigest()[:29],
        "object": "chat.completion",
        "created": int(CREATED.timestamp()),
        "model": OPENAI_MODEL_VERSION,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": None, "annotations": []},
            "logprobs": None,
            "finish_reason": "stop",
        }],
        "usage": {
            "prompt_tokens": prompt_tokens, "completion_tokens": output_tokens,
            "total_tokens": prompt_tokens + output_tokens,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0, "audio_tokens": 0,
                "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0,
            },
        },
        "service_tier": "default",
        "system_fingerprint": "fp_6f2eabb9a5",
    }, indent=2)


def _real_hosts(local: str) -> Callable:
    """Rewrite the scripted server's address to the provider's real one in what is recorded."""
    def rewrite(request):
        request = copy.deepcopy(request)
        real = OLLAMA_HOST if "/api/" in request.uri else OPENAI_BASE.removesuffix("/v1")
        request.uri = request.uri.replace(local, real)
        request.headers["host"] = real.split("://")[1]
        return request
    return rewrite


def _without_server_header(response: dict) -> dict:
    response["headers"] = {name: value for name, value in response["headers"].items() if name.lower() != "server"}
    return response


def record(name: str, local: str, out_dir: Path) -> None:
    ScriptedServer.script = {stage: list(replies) for stage, replies in SCRIPTS[name].items()}
    config = out_dir / f"{name}.toml"
    config.write_text(scenarios.NO_WAITING + scenarios.CONFIGS.get(name, ""))
    os.environ["GROUNDBRIEF_CONFIG"] = str(config)
    load_settings.cache_clear()
    cassette = CASSETTES / f"{name}.yaml"
    cassette.unlink(missing_ok=True)
    recorder = vcr.VCR(
        record_mode="all",
        filter_headers=VCR_CONFIG["filter_headers"],
        before_record_request=lambda request: masked_request(_real_hosts(local)(request)),
        before_record_response=lambda response: masked_response(_without_server_header(response)),
    )
    with recorder.use_cassette(str(cassette)) as recorder_cassette:
        RUNS[name](out_dir)
    left = {stage: len(replies) for stage, replies in ScriptedServer.script.items() if replies}
    print(f"{cassette.name}: {len(recorder_cassette.data)} interactions; replies left unused: {left or 'none'}")


def main() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), ScriptedServer)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = f"http://127.0.0.1:{server.server_port}"
    os.environ.update(OLLAMA_HOST=local, OPENAI_BASE_URL=f"{local}/v1", OPENAI_API_KEY=scenarios.FAKE_OPENAI_KEY)
    CASSETTES.mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory() as scratch:
            for name in SCRIPTS:
                record(name, local, Path(scratch))
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
