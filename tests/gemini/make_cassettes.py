"""Write the Gemini cassettes offline: ``python tests/gemini/make_cassettes.py [NAME …]``.

Each scenario in ``scenarios.py`` runs for real — the google-genai client, the analyst, the
searcher, the page fetcher — against a local server that answers in the Gemini API's wire format
(camelCase JSON, grounding metadata with UTF-8 byte offsets, ``google.rpc.Status`` errors) from the
scenario's script; web pages come from the scenario's hops. The requests the client really sent are
written to ``tests/cassettes/gemini/<name>.yaml`` as the API's host would have received them, with
the API key left out, exactly as vcrpy's ``filter_headers`` leaves it out when recording.

Run it again after changing a prompt template or upgrading the SDK: the cassettes match requests
by their raw body, byte for byte. To record against the real API instead, see docs/gemini.md.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import sys
import tempfile
import threading
import time
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.gemini import scenarios
from tests.gemini.scenarios import Failure, Grounded, Hop, Rule, Scenario

CASSETTES = ROOT / "tests" / "cassettes" / "gemini"
RECORDED_AT = 1795511561.0  # Tue, 24 Nov 2026 09:12:41 GMT: the tests' as-of date
GOOGLE_HEADERS = {
    "Content-Type": ["application/json; charset=UTF-8"],
    "Vary": ["Origin", "X-Origin", "Referer"],
    "Server": ["scaffolding on HTTPServer2"],
    "X-XSS-Protection": ["0"],
    "X-Frame-Options": ["SAMEORIGIN"],
    "X-Content-Type-Options": ["nosniff"],
    "Alt-Svc": ['h3=":443"; ma=2592000,h3-29=":443"; ma=2592000'],
    "Transfer-Encoding": ["chunked"],
}
SEARCH_WIDGET = (
    '<style>\n.container {\n  align-items: center;\n  border-radius: 8px;\n  display: flex;\n  font-family: Google Sans, '
    "Roboto, sans-serif;\n  font-size: 14px;\n  line-height: 20px;\n  padding: 8px 12px;\n}\n</style>\n"
    '<div class="container">\n  <div class="headline">\n    <svg class="logo-light" width="18" height="18" '
    'viewBox="9 9 35 35" fill="none" xmlns="http://www.w3.org/2000/svg"></svg>\n  </div>\n  <div class="carousel">\n'
    "{chips}  </div>\n</div>\n"
)


class Clock:
    """Deterministic Date headers, a second apart, in request order."""

    def __init__(self) -> None:
        self._tick = 0
        self._lock = threading.Lock()

    def now(self) -> tuple[int, str]:
        with self._lock:
            self._tick += 1
            return self._tick, formatdate(RECORDED_AT + self._tick, usegmt=True)


class FakeGemini(ThreadingHTTPServer):
    """Answers ``…:generateContent`` from a scenario's rules and keeps every exchange."""

    daemon_threads = True

    def __init__(self, rules: list[Rule], clock: Clock):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.rules, self.clock = rules, clock
        self.exchanges: list[tuple[int, dict, dict]] = []
        self.lock = threading.Lock()

    def answer(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes, dict]:
        body = json.loads(raw)
        prompt = body["contents"][0]["parts"][0]["text"]
        model = path.split("/models/")[1].split(":")[0]
        kind = "grounded" if body.get("tools") else body.get("generationConfig", {}).get("responseSchema", {}).get("title", "")
        with self.lock:
            rule = next((r for r in self.rules if r.model == model and r.matches(kind, prompt)), None)
            reply = rule.replies.pop(0) if rule else Failure(500, "INTERNAL", f"no scripted reply for {kind} {prompt[:80]!r}")
        status, payload = _payload(reply, prompt, model)
        text = json.dumps(payload, indent=2, ensure_ascii=False) + "\n"
        tick, date = self.clock.now()
        response_headers = {name: list(values) for name, values in GOOGLE_HEADERS.items()}  # no YAML anchors
        response_headers |= {"Date": [date], "Server-Timing": [f"gfet4t7; dur={_duration(prompt, status)}"]}
        request = {
            "method": "POST",
            "uri": scenarios.API_HOST + path,
            "body": raw.decode("utf-8"),
            "headers": {
                name.lower(): [value]
                for name, value in headers.items()
                if name.lower() not in ("x-goog-api-key", "host")
            } | {"host": ["generativelanguage.googleapis.com"]},
        }
        response = {
            "status": {"code": status, "message": _REASONS[status]},
            "headers": response_headers,
            "body": {"string": text},
        }
        with self.lock:
            self.exchanges.append((tick, request, response))
        return status, text.encode("utf-8"), response_headers


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers["Content-Length"]))
        status, data, headers = self.server.answer(self.path, dict(self.headers), raw)
        self.send_response(status)
        self.send_header("Content-Type", headers["Content-Type"][0])
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


_REASONS = {200: "OK", 302: "Found", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def _payload(reply: Any, prompt: str, model: str) -> tuple[int, dict]:
    if isinstance(reply, Failure):
        return reply.code, {"error": _status(reply, model)}
    if isinstance(reply, Grounded):
        return 200, _response(prompt, reply.text, _grounding(reply), tool_tokens=480 + 37 * len(reply.searches))
    produced = reply(prompt) if callable(reply) else reply
    text = produced if isinstance(produced, str) else json.dumps(produced, indent=2, ensure_ascii=False)
    return 200, _response(prompt, text)


def _status(failure: Failure, model: str) -> dict:
    """``google.rpc.Status`` as the API sends it; a 429 carries QuotaFailure, Help and RetryInfo."""
    error: dict[str, Any] = {"code": failure.code, "message": failure.message, "status": failure.status}
    if failure.retry_delay:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{
                    "quotaMetric": "generativelanguage.googleapis.com/generate_content_paid_tier_input_token_count",
                    "quotaId": "GenerateContentPaidTierInputTokensPerModelPerMinute",
                    "quotaDimensions": {"location": "global", "model": scenarios.MODEL_VERSION},
                    "quotaValue": "2000000",
                }],
            },
            {
                "@type": "type.googleapis.com/google.rpc.Help",
                "links": [{"description": "Learn more about Gemini API quotas", "url": "https://ai.google.dev/gemini-api/docs/rate-limits"}],
            },
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": failure.retry_delay},
        ]
    return error


def _response(prompt: str, text: str, grounding: dict | None = None, tool_tokens: int = 0) -> dict:
    """A ``GenerateContentResponse`` as the REST API sends it: camelCase, usage and model version."""
    from pipeline.analysts.llm.packing import count_tokens

    digest = hashlib.sha256((prompt + text).encode()).digest()
    part = {"text": text, "thoughtSignature": base64.b64encode(b"\x0a\x24\x01" + digest * 2).decode()}
    candidate: dict[str, Any] = {"content": {"parts": [part], "role": "model"}, "finishReason": "STOP", "index": 0}
    if grounding is not None:
        candidate["groundingMetadata"] = grounding
    prompt_tokens, answer_tokens, thoughts = count_tokens(prompt), count_tokens(text), 96 + digest[0] * 2
    usage: dict[str, Any] = {
        "promptTokenCount": prompt_tokens,
        "candidatesTokenCount": answer_tokens,
        "totalTokenCount": prompt_tokens + answer_tokens + thoughts + tool_tokens,
        "promptTokensDetails": [{"modality": "TEXT", "tokenCount": prompt_tokens}],
        "thoughtsTokenCount": thoughts,
    }
    if tool_tokens:
        usage["toolUsePromptTokenCount"] = tool_tokens
        usage["toolUsePromptTokensDetails"] = [{"modality": "TEXT", "tokenCount": tool_tokens}]
    response_id = base64.urlsafe_b64encode(digest[8:25]).decode().rstrip("=")
    return {"candidates": [candidate], "usageMetadata": usage, "modelVersion": scenarios.MODEL_VERSION, "responseId": response_id}


def _grounding(answer: Grounded) -> dict:
    """``groundingMetadata``: supports located by UTF-8 byte offsets, ``startIndex`` omitted when 0."""
    if not answer.metadata:
        return {}
    data = answer.text.encode("utf-8")
    supports = []
    for support in answer.supports:
        start = data.index(support.sentence.encode("utf-8"))
        segment: dict[str, Any] = {"endIndex": start + len(support.sentence.encode("utf-8")), "text": support.sentence}
        if start:
            segment = {"startIndex": start, **segment}
        entry: dict[str, Any] = {"segment": segment, "groundingChunkIndices": list(support.chunks)}
        if support.confidence:
            entry["confidenceScores"] = list(support.confidence)
        supports.append(entry)
    chips = "".join(f'    <a class="chip" href="https://www.google.com/search?q={q.replace(" ", "+")}">{q}</a>\n' for q in answer.searches if q)
    return {
        "searchEntryPoint": {"renderedContent": SEARCH_WIDGET.replace("{chips}", chips)},
        "groundingChunks": [{"web": {"uri": uri, **({"title": title} if title else {})}} for uri, title in answer.chunks],
        "groundingSupports": supports,
        "webSearchQueries": list(answer.searches),
    }


def _duration(prompt: str, status: int) -> int:
    return 180 + hashlib.sha256(prompt.encode()).digest()[0] * (4 if status == 200 else 1)


def _web_response(hop: Hop, date: str) -> dict:
    """A publisher's page, or a grounding redirect as Google's redirector answers it."""
    if hop.location:
        body = (
            '<HTML><HEAD><meta http-equiv="content-type" content="text/html;charset=utf-8">\n<TITLE>302 Moved</TITLE>'
            f'</HEAD><BODY>\n<H1>302 Moved</H1>\nThe document has moved\n<A HREF="{hop.location}">here</A>.\r\n</BODY></HTML>\r\n'
        )
        headers = {"Location": [hop.location], "Content-Type": ["text/html; charset=UTF-8"], "Server": ["ESF"]}
    else:
        body = hop.body
        server = ["ESF"] if hop.url.startswith(scenarios.REDIRECT) else ["nginx"]
        headers = {"Content-Type": [hop.content_type], "Server": server, "Cache-Control": ["max-age=300"], "Vary": ["Accept-Encoding"]}
    headers |= {"Date": [date], "Content-Length": [str(len(body.encode("utf-8")))]}
    return {"status": {"code": hop.status, "message": _REASONS[hop.status]}, "headers": headers, "body": {"string": body}}


def record(scenario: Scenario, config: Path) -> Path:
    """Run ``scenario`` against the fake API and the scripted web; write its cassette."""
    config.write_text(scenarios.settings_text(scenarios.TEST_SETTINGS, scenario.settings))
    import vcr
    from vcr.request import Request
    from vcr.serialize import serialize
    from vcr.serializers import yamlserializer

    from pipeline.settings import load_settings

    clock = Clock()
    server = FakeGemini([Rule(r.kind, list(r.replies), r.marker, r.model) for r in scenario.rules], clock)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    web_requests: list[tuple[int, Request]] = []
    seen: set[str] = set()
    running = threading.Event()  # vcrpy passes the scripted hops through the hook too, when it loads them

    def note(request: Request) -> Request:
        if running.is_set() and request.uri not in seen:
            seen.add(request.uri)
            web_requests.append((clock.now()[0], request))
        return request

    with tempfile.TemporaryDirectory() as temporary:
        work = Path(temporary)
        web = work / "web.yaml"
        web.write_text(serialize({
            "requests": [Request("GET", hop.url, b"", {}) for hop in scenario.web],
            "responses": [_web_response(hop, formatdate(RECORDED_AT, usegmt=True)) for hop in scenario.web],
        }, yamlserializer))
        os.environ.update({
            "GEMINI_API_KEY": "test-key-not-real",
            "GOOGLE_GEMINI_BASE_URL": f"http://127.0.0.1:{server.server_port}",
            "GROUNDBRIEF_CONFIG": str(config),
            "GROUNDBRIEF_CACHE_DIR": str(work / "cache"),
        })
        load_settings.cache_clear()
        try:
            with vcr.use_cassette(str(web), record_mode="none", ignore_localhost=True, before_record_request=note):
                running.set()
                scenario.action(work)
        except Exception as error:
            if scenario.expected_error is None:
                raise
            print(f"  {scenario.name}: raised {type(error).__name__} as scripted")
        finally:
            server.shutdown()
    by_url = {hop.url: hop for hop in scenario.web}
    exchanges = [(tick, Request(**request), response) for tick, request, response in server.exchanges]
    for tick, request in web_requests:
        headers = {name: value for name, value in request.headers.items()}
        exchanges.append((tick, Request("GET", request.uri, b"", headers), _web_response(by_url[request.uri], formatdate(RECORDED_AT + tick, usegmt=True))))
    exchanges.sort(key=lambda exchange: exchange[0])
    path = CASSETTES / f"{scenario.name}.yaml"
    path.write_text(serialize({
        "requests": [request for _, request, _ in exchanges],
        "responses": [response for _, _, response in exchanges],
    }, yamlserializer), encoding="utf-8")
    return path


def main(names: list[str]) -> None:
    CASSETTES.mkdir(parents=True, exist_ok=True)
    chosen = [s for s in scenarios.SCENARIOS if not names or s.name in names]
    with tempfile.TemporaryDirectory() as temporary:
        config = Path(temporary) / "config.toml"
        for scenario in chosen:
            started = time.perf_counter()
            path = record(scenario, config)
            print(f"wrote {path.relative_to(ROOT)} ({time.perf_counter() - started:.1f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
