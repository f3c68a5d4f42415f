"""Real servers on loopback for delivery tests: an SMTP server (aiosmtpd) that keeps what it receives,
parsed, and an HTTP server that keeps what is posted to it and answers as the test scripts it."""

from __future__ import annotations

import email
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FROM = "groundbrief@example.com"
TO = "pm@example.com"


def free_port() -> int:
    """A loopback port nothing listens on (for a server that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Mailbox:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)

    def url(self, userinfo: str = "", **params: str) -> str:
        query = "&".join(f"{key}={value}" for key, value in {"from": FROM, "to": TO, "mode": "insecure", **params}.items())
        return f"mailto://{userinfo + '@' if userinfo else ''}127.0.0.1:{self.port}?{query}"


@contextmanager
def smtp_server(port: int | None = None, *, password: str | None = None) -> Iterator[Mailbox]:
    """An aiosmtpd server on loopback; each message it accepts is parsed into ``messages``. With
    ``port``, on that port; with ``password`` it requires a login (over plain SMTP: it is loopback) and keeps each one tried."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    mailbox = Mailbox(port or free_port())

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:
            mailbox.messages.append(email.message_from_bytes(envelope.content, policy=default))  # type: ignore[arg-type]
            return "250 OK"

    def authenticate(server, session, envelope, mechanism, data) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False)
        mailbox.logins.append((data.login.decode(), data.password.decode()))
        return AuthResult(success=data.password.decode() == password)

    auth = {"authenticator": authenticate, "auth_required": True, "auth_require_tls": False} if password else {}
    controller = Controller(Handler(), hostname="127.0.0.1", port=mailbox.port, **auth)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


@dataclass
class Webhook:
    port: int
    posts: list[dict] = field(default_factory=list)
    status: int = 200  # what the next posts are answered with
    delay: float = 0.0  # seconds before answering (a slow server)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"


@contextmanager
def webhook_server() -> Iterator[Webhook]:
    """A loopback HTTP server keeping each JSON body posted to it (with its path) in ``posts``."""
    hook = Webhook(0)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(hook.delay)
            hook.posts.append({"path": self.path, "content_type": self.headers["Content-Type"], **json.loads(body)})
            self.send_response(hook.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hook.port = server.server_port
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


def parts(message: EmailMessage) -> dict[str, str | bytes]:
    """An email's text and HTML by content type, and its attachments' bytes by file name."""
    found: dict[str, str | bytes] = {}
    for part in message.walk():
        if not part.is_multipart():
            name = part.get_filename()
            found[name or part.get_content_type()] = part.get_payload(decode=True) if name else part.get_content()
    return found
