"""Fetches of addresses that come from outside: cited pages and their redirects, calendars, filings.

A grounded answer, a redirect or a watchlist names the address, and a hostile one names 127.0.0.1,
a router at 192.168.0.1 or the cloud metadata service at 169.254.169.254; what comes back could end
up in a report that is then sent out. So every such fetch goes through this module, which:

- fetches only ``http`` and ``https`` addresses, the first one and every redirect (``check_url``);
- resolves each host itself, refuses loopback, private, link-local, shared (carrier-grade NAT),
  multicast, reserved and unspecified addresses and the cloud metadata services (also when wrapped
  in an IPv6 address), and then connects to the very address it checked, so a name that resolves
  elsewhere a moment later (DNS rebinding) can't slip in between the check and the connection;
- never lets the client follow a redirect: the caller follows them one hop at a time, each hop
  checked again (``fetch`` does it for you; ``redirect_target`` reads a hop);
- keeps a total deadline over a whole fetch (``deadline``: the DNS look-up, every connection, every
  read of every hop; a server that sends one byte a second still stops there), and reads a body
  only up to a size cap (``read_capped``).

The ``allow_private_network`` setting (``pipeline/settings.py``) opens private addresses, for an
intranet or a test: ``true`` opens all of them except the metadata services; a list opens only what it
names: a network (``10.0.0.0/8``), an address with or without a port (``127.0.0.1:8080``,
``[::1]:8080``), or a host name (``wiki.example.com``, ``wiki.example.com:8443``), whatever it
resolves to. A metadata address opens only when an entry names it.

Proxies named in the environment (``HTTPS_PROXY``…) are not used: a proxy resolves names where they
can't be checked.

How to use it (``settings = load_settings()``)::

    # One document: redirects followed and checked, one deadline, the body capped.
    fetched = fetch(url, settings.network_policy(), seconds=30, max_bytes=20_000_000,
                    headers={"User-Agent": "groundbrief/1.0 analyst@example.com"})
    fetched.status, fetched.final_url, fetched.content

    # Many fetches sharing connections, each hop handled by the caller (as ``search/pages.py`` does):
    with guarded_client(settings.network_policy(), timeout=15, headers=...) as client:
        with deadline(15):
            check_url(target, policy)
            with client.stream("GET", target) as response:
                location = redirect_target(target, response)   # None: this response is the document
                body, cut = read_capped(response, max_bytes, truncate=True)

Errors: ``Refused`` (the policy or the scheme says no), ``TooLarge`` and ``FetchError`` (too many
redirects) are ``FetchError``s; the client's own (``httpx.HTTPError``) pass through, and a deadline
that passes is an ``httpx.TimeoutException``. No message carries the URL's path or query, where a
private calendar link keeps its secret.
"""

from __future__ import annotations

import ipaddress
import queue
import re
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    import httpx

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_REDIRECTS = 5
REDIRECTS = frozenset({301, 302, 303, 307, 308})
SCHEMES = ("http", "https")
SETTING = "allow_private_network"

# The instance metadata services: AWS, Google Cloud, Azure, OpenStack, DigitalOcean and Oracle at
# 169.254.169.254 (AWS also at fd00:ec2::254, its container credentials at 169.254.170.2), Alibaba
# Cloud at 100.100.100.200. They hand out credentials to whoever asks from inside the machine.
METADATA = frozenset(ipaddress.ip_address(text) for text in
                     ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200"))
METADATA_REASON = "a cloud metadata address"
_SHARED = ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT (RFC 6598)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")  # IPv4 addresses reached through IPv6 (RFC 6052)
_HOST_NAME = re.compile(r"^(?=.{1,253}$)[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_-]{1,63})*\.?$")

_DEADLINE: ContextVar[float | None] = ContextVar("groundbrief_fetch_deadline", default=None)


class FetchError(Exception):
    """A fetch this module stopped: refused, too large, or redirected too often."""


class Refused(FetchError):
    """The address may not be fetched: its scheme, or where its host leads (see ``Policy``).

    ``metadata`` says whether it was a metadata service (only an entry naming it opens it); ``setting``
    whether ``allow_private_network`` could open it at all (not for a scheme)."""

    def __init__(self, message: str, *, setting: bool = True, metadata: bool = False):
        super().__init__(message)
        self.setting, self.metadata = setting, metadata

    @property
    def hint(self) -> str:
        """What would open the address, for a message to the user: ``""`` if nothing would."""
        if not self.setting:
            return ""
        return f"an entry naming it in {SETTING} opens it" if self.metadata else f"{SETTING} opens such addresses"


class TooLarge(FetchError):
    """The body is larger than the cap."""


def classify(address: Address) -> str | None:
    """Why ``address`` is not on the public internet (``"a loopback address"``…), or ``None`` if it is."""
    if isinstance(address, ipaddress.IPv6Address):
        inner = address.ipv4_mapped or address.sixtofour or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in _NAT64 else None)
        if inner is not None and (reason := classify(inner)):
            return reason
    checks = (
        (address in METADATA, METADATA_REASON),
        (address.is_loopback, "a loopback address"),
        (address.is_unspecified, "an unspecified address (this machine)"),
        (address.is_link_local, "a link-local address"),
        (address.is_multicast, "a multicast address"),
        (address in _SHARED, "a shared (carrier-grade NAT) address"),
        (address.is_private, "a private address"),
        (address.is_reserved, "a reserved address"),
        (not address.is_global, "an address that is not on the public internet"),
    )
    return next((reason for matched, reason in checks if matched), None)


@dataclass(frozen=True)
class Policy:
    """Which non-public addresses may be fetched: none (the default), all but metadata, or those listed."""

    allow_all: bool = False
    networks: tuple[tuple[Network, int | None], ...] = ()
    hosts: tuple[tuple[str, int | None], ...] = ()

    @classmethod
    def parse(cls, setting: bool | list[str]) -> Policy:
        """The policy ``allow_private_network`` describes; ``ValueError`` names an entry it can't read."""
        if isinstance(setting, bool):
            return cls(allow_all=setting)
        networks, hosts = [], []
        for entry in setting:
            host, port = _split_port(entry.strip())
            network = _network(host)
            if network is not None:
                networks.append((network, port))
            elif _HOST_NAME.match(host.lower()) and not re.fullmatch(r"[\d.]+", host):  # 300.1.1.1 is no name
                hosts.append((host.lower().rstrip("."), port))
            else:
                raise ValueError(f"{entry!r} is not a network, an address or a host name "
                                 "(e.g. 10.0.0.0/8, 127.0.0.1:8080, [::1]:8080, wiki.example.com)")
        return cls(networks=tuple(networks), hosts=tuple(hosts))

    def refusal(self, host: str, port: int, address: Address) -> str | None:
        """Why ``host`` at ``address`` may not be reached on ``port``, or ``None`` if it may."""
        reason = classify(address)
        if reason is None or self._opens(host, port, address, metadata=address in METADATA):
            return None
        shown = str(address)
        return f"{shown} is {reason}" if host.strip("[]") == shown else f"{host} is {shown}, {reason}"

    def _opens(self, host: str, port: int, address: Address, *, metadata: bool) -> bool:
        if self.allow_all and not metadata:
            return True
        name = host.lower().rstrip(".")
        plain = ipaddress.ip_address(str(address).split("%")[0])  # a scoped fe80::1%eth0 as fe80::1
        return any(name == listed and wanted in (None, port) for listed, wanted in self.hosts) or any(
            plain.version == network.version and plain in network and wanted in (None, port)
            for network, wanted in self.networks)


def _split_port(entry: str) -> tuple[str, int | None]:
    """``[::1]:8080`` → (``::1``, 8080); ``host:80`` → (``host``, 80); a bare IPv6 address keeps its colons."""
    bracketed = re.fullmatch(r"\[([^\]]+)\](?::(\d{1,5}))?", entry)
    if bracketed:
        return bracketed.group(1), int(bracketed.group(2)) if bracketed.group(2) else None
    with_port = re.fullmatch(r"([^:]+):(\d{1,5})", entry)
    if with_port:
        return with_port.group(1), int(with_port.group(2))
    return entry, None


def _network(text: str) -> Network | None:
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        return None


def _literal(host: str) -> Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, policy: Policy) -> None:
    """Refuse ``url`` before any connection if its scheme isn't http(s) or its host is a refused address.

    A host name is checked when it is resolved, as the connection is made (``guarded_client``)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise Refused(f"{scheme + ':' if scheme else 'an address without a scheme'} is not fetched, "
                      "only http and https", setting=False)
    host = parts.hostname
    if not host:
        raise Refused("the address names no host", setting=False)
    literal = _literal(host)
    if literal is not None:
        _check(policy, host, parts.port or (443 if scheme == "https" else 80), literal)


def _check(policy: Policy, host: str, port: int, address: Address) -> None:
    problem = policy.refusal(host, port, address)
    if problem:
        raise Refused(problem, metadata=classify(address) == METADATA_REASON)


def host_of(url: str) -> str:
    """Only the host of ``url``, for messages: its path and query may carry a secret."""
    try:
        return urlsplit(url).hostname or "?"
    except ValueError:
        return "?"


@contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Every fetch in this block, in this thread, ends within ``seconds`` (an earlier outer deadline holds)."""
    ends = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(ends if outer is None else min(ends, outer))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def _within(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of the current deadline; ``expired`` if none is left."""
    ends = _DEADLINE.get()
    if ends is None:
        return timeout
    left = ends - time.monotonic()
    if left <= 0:
        raise expired("the fetch's deadline has passed")
    return left if timeout is None else min(timeout, left)


def redirect_target(current: str, response: httpx.Response) -> str | None:
    """The absolute address a redirect points to (checked when fetched), or ``None`` if this is the document."""
    if response.status_code not in REDIRECTS or "location" not in response.headers:
        return None
    return urljoin(current, response.headers["location"].strip())


def read_capped(response: httpx.Response, max_bytes: int, *, truncate: bool) -> tuple[bytes, bool]:
    """The (decoded) body up to ``max_bytes``, streamed: cut there and say so, or ``TooLarge``."""
    declared = response.headers.get("content-length", "")
    if not truncate and declared.isdigit() and int(declared) > max_bytes:
        raise TooLarge(f"{int(declared):,} bytes, more than the {max_bytes:,} allowed")
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) > max_bytes:
            if not truncate:
                raise TooLarge(f"more than the {max_bytes:,} bytes allowed")
            return bytes(body[:max_bytes]), True
    return bytes(body), False


@dataclass(frozen=True)
class Fetched:
    url: str
    final_url: str
    status: int
    content_type: str
    content: bytes
    truncated: bool


def fetch(
    url: str, policy: Policy, *, seconds: float, max_bytes: int, headers: Mapping[str, str] | None = None,
    truncate: bool = False, client: httpx.Client | None = None,
) -> Fetched:
    """GET ``url`` within ``seconds`` in all, following and checking up to ``MAX_REDIRECTS`` redirects.

    ``client`` (from ``guarded_client``) shares connections between fetches; without it one is made."""
    import httpx

    with ExitStack() as stack:
        if client is None:
            client = stack.enter_context(guarded_client(policy, timeout=seconds, headers=headers))
        stack.enter_context(deadline(seconds))
        target = url
        for _ in range(MAX_REDIRECTS + 1):
            try:
                check_url(target, policy)
                with client.stream("GET", target) as response:
                    location = redirect_target(target, response)
                    if location is None:
                        content, cut = read_capped(response, max_bytes, truncate=truncate)
                        kind = response.headers.get("content-type", "").split(";")[0].strip().lower()
                        return Fetched(url, target, response.status_code, kind, content, cut)
            except (ValueError, httpx.InvalidURL) as error:  # a malformed redirect: [oops, a name IDNA rejects
                raise FetchError(f"an unreadable address ({type(error).__name__})") from None
            target = location
    raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def guarded_client(policy: Policy, *, timeout: float, headers: Mapping[str, str] | None = None) -> httpx.Client:
    """An httpx client whose every connection is checked against ``policy`` and kept to ``deadline``.

    It follows no redirects, and reads no proxy, ``.netrc`` or other settings from the environment
    except the certificate authorities (``SSL_CERT_FILE``, ``SSL_CERT_DIR``)."""
    import httpcore
    import httpx

    certificates = httpx.create_ssl_context()
    transport = httpx.HTTPTransport(verify=certificates)
    # The transport's own handle_request stays (it maps errors, and cassette tests replay through
    # it); only its connection pool is ours, to open connections through the guarded backend.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=certificates, network_backend=_GuardedBackend(policy),  # type: ignore[arg-type]
        max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0,
    )
    return httpx.Client(transport=transport, timeout=timeout, headers=dict(headers or {}), follow_redirects=False,
                        trust_env=False)


class _GuardedBackend:
    """An httpcore network backend: resolve, check every address, connect to a checked one."""

    def __init__(self, policy: Policy):
        import httpcore

        self._policy = policy
        self._inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Any = None) -> _DeadlineStream:
        import httpcore

        addresses = _resolve(host, port, _within(timeout, httpcore.ConnectTimeout))
        for address in addresses:  # one refused address is enough: which one a client gets is not ours to choose
            _check(self._policy, host, port, address)
        failure: Exception = httpcore.ConnectError(f"{host} has no address")
        for address in addresses:
            try:
                stream = self._inner.connect_tcp(str(address), port, _within(timeout, httpcore.ConnectTimeout),
                                                 local_address, socket_options)
            except httpcore.ConnectError as error:
                failure = error
                continue
            return _DeadlineStream(stream)
        raise failure

    def connect_unix_socket(self, path: str, timeout: float | None = None, socket_options: Any = None) -> None:
        raise Refused("a Unix socket is not fetched", setting=False)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def _resolve(host: str, port: int, seconds: float | None) -> list[Address]:
    """The addresses ``host`` has, looked up within ``seconds`` (the system resolver has no timeout of its own)."""
    import httpcore

    literal = _literal(host)
    if literal is not None:
        return [literal]
    answers: queue.Queue[list[Address] | OSError] = queue.Queue(maxsize=1)

    def look_up() -> None:
        try:
            found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
            answers.put(list(dict.fromkeys(ipaddress.ip_address(str(info[4][0])) for info in found)))
        except (OSError, UnicodeError) as error:
            answers.put(error if isinstance(error, OSError) else OSError(str(error)))

    threading.Thread(target=look_up, name="groundbrief-dns", daemon=True).start()
    try:
        answer = answers.get(timeout=seconds)
    except queue.Empty:
        raise httpcore.ConnectTimeout(f"{host}: no DNS answer in {seconds:g} s") from None
    if isinstance(answer, OSError):
        raise httpcore.ConnectError(f"{host}: {answer.strerror or answer}")
    return answer


class _DeadlineStream:
    """A connection whose every read, write and TLS handshake waits no longer than the current deadline."""

    def __init__(self, stream: Any):
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        import httpcore

        return self._stream.read(max_bytes, _within(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        import httpcore

        self._stream.write(buffer, _within(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None, timeout: float | None = None) -> _DeadlineStream:
        import httpcore

        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, _within(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)
