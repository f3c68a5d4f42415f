"""A loopback stand-in for the SEC's hosts, serving the responses recorded from them
(tests/cassettes/edgar/, provenance in its README): the real client is pointed at it with the
``sec_base_url`` setting, as at a mirror.

Paths are the SEC's: ``/files/company_tickers.json`` (www.sec.gov), ``/submissions/CIK….json``
(data.sec.gov), ``/Archives/…`` (www.sec.gov) and ``/LATEST/search-index`` (efts.sec.gov), whose
answer is chosen per searched phrase. A path with no recording gets the SEC's own 404 body.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

RECORDINGS = Path(__file__).resolve().parent / "cassettes" / "edgar"
USER_AGENT = "groundbrief tests tests@example.com"


@dataclass
class EdgarServer:
    url: str
    #: full-text search answers by searched phrase (``"NVIDIA"``); others get ``efts/0_hits.json``
    searches: dict[str, str] = field(default_factory=dict)
    #: scripted answers by path: (status, headers, body), e.g. a 429 with ``Retry-After``
    scripted: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    requests: list[tuple[str, str]] = field(default_factory=list)  # (path with query, User-Agent)
    delay: float = 0.0  # seconds before each answer: a stand-in for the network

    def paths(self) -> list[str]:
        return [urlsplit(path).path for path, _ in self.requests]


def settings_file(folder: Path, server_url: str, **extra: object) -> Path:
    """A settings file that points the SEC hosts at ``server_url`` and names a contact."""
    lines = [f'sec_user_agent = "{USER_AGENT}"', f'sec_base_url = "{server_url}"',
             *(f"{key} = {value!r}" if not isinstance(value, str) else f'{key} = "{value}"' for key, value in extra.items())]
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@contextmanager
def edgar_server(delay: float = 0.0) -> Iterator[EdgarServer]:
    state = EdgarServer(url="", delay=delay)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            state.requests.append((self.path, self.headers.get("User-Agent", "")))
            if state.delay:
                time.sleep(state.delay)
            parts = urlsplit(self.path)
            if parts.path in state.scripted:
                status, headers, body = state.scripted[parts.path]
                return self._send(status, body, headers)
            if parts.path == "/LATEST/search-index":
                phrase = parse_qs(parts.query).get("q", [""])[0].strip('"')
                return self._file(f"efts/{state.searches.get(phrase, '0_hits.json')}")
            self._file(parts.path.lstrip("/"))

        def _file(self, relative: str) -> None:
            path = (RECORDINGS / relative).resolve()
            if RECORDINGS in path.parents and path.is_file():
                kind = "application/json" if path.suffix == ".json" else "text/html"
                return self._send(200, path.read_bytes(), {"Content-Type": kind})
            self._send(404, (RECORDINGS / "errors" / "404-no-such-key.xml").read_bytes(), {"Content-Type": "application/xml"})

        def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.url = f"http://127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
