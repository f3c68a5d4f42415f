"""A real web server on 127.0.0.1 for fetch tests, over HTTP or HTTPS (a test CA from trustme).

Routes answer by path: a page, a redirect, a body that drips one byte at a time, or one that never
ends. The server records every path asked for, so a test can tell a refused fetch (never asked)
from a failed one.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Route = Callable[[BaseHTTPRequestHandler], None]


def page(body: bytes | str, kind: str = "text/html", status: int = 200) -> Route:
    data = body.encode() if isinstance(body, str) else body

    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(status)
        handler.send_header("Content-Type", kind)
        handler.send_header("Content-Length", str(len(data)))
        handler.end_headers()
        handler.wfile.write(data)

    return answer


def redirect(location: str) -> Route:
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(302)
        handler.send_header("Location", location)
        handler.send_header("Content-Length", "0")
        handler.end_headers()

    return answer


def drip(every: float = 0.2, for_seconds: float = 30.0) -> Route:
    """A body sent one byte at a time: every read succeeds, the whole never arrives."""
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", "text/calendar")
        handler.send_header("Content-Length", "1000000")
        handler.end_headers()
        stop = time.monotonic() + for_seconds
        while time.monotonic() < stop:
            handler.wfile.write(b"B")
            handler.wfile.flush()
            time.sleep(every)

    return answer


def endless(kind: str = "text/calendar") -> Route:
    """A body with no length that never ends (until the reader hangs up)."""
    def answer(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", kind)
        handler.send_header("Connection", "close")
        handler.end_headers()
        chunk = b"BEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\n" * 2000
        for _ in range(10_000):  # ~700 MB at most, if nobody hangs up
            handler.wfile.write(chunk)

    return answer


@dataclass
class Site:
    url: str
    port: int
    hits: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)  # the Host header of each request


@contextmanager
def loopback_site(routes: dict[str, Route], certificate: Path | None = None) -> Iterator[Site]:
    """Serve ``routes`` on 127.0.0.1 (HTTPS with ``certificate``, a PEM of key and chain)."""
    site = Site(url="", port=0)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            site.hits.append(path)
            site.hosts.append(self.headers.get("Host", ""))
            with suppress(BrokenPipeError, ConnectionResetError, ssl.SSLError):  # the client gave up: as some tests mean it to
                routes.get(path, page("not here", status=404))(self)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    if certificate is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(str(certificate))
        server.socket = context.wrap_socket(server.socket, server_side=True)
    site.port = server.server_port
    site.url = f"{'https' if certificate else 'http'}://127.0.0.1:{site.port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()
