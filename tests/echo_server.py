"""A scripted HTTP server on localhost that echoes the caller's key, as a careless gateway or
provider does in an error body: tests use it to prove a key never reaches a message."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@contextmanager
def echo_server(key_of: Callable[[dict], str]) -> Iterator[tuple[str, list[tuple]]]:
    """Yield the server's base URL and its script: each POST gets the next (status, content type,
    body) or (status, content type, body, headers), where ``{key}`` in the body becomes
    ``key_of(request headers)``."""
    script: list[tuple] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            status, kind, body, *extra = script.pop(0) if script else (500, "text/plain", "script exhausted")
            data = body.replace("{key}", key_of(self.headers)).encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            for name, value in (extra[0] if extra else {}).items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", script
    finally:
        server.shutdown()
