"""Fetches of addresses from outside (pipeline/net.py): which addresses are refused, after DNS and on
every redirect, the one deadline, the size cap, and the SSRF case end to end through cited pages.

The servers are real, on 127.0.0.1. To test that a *redirect target* on loopback is refused while
the server that redirects is on loopback too, the settings open exactly that server's address and
port (``allow_private_network = ["127.0.0.1:PORT"]``); everything else on loopback stays refused,
and a second server, the "internal service", records that it is never asked. Where a test needs a
host name to resolve somewhere else, it replaces the system resolver (``socket.getaddrinfo``) with a
scripted one, named as the fake it is.
"""

from __future__ import annotations

import ipaddress
import socket
import time

import httpx
import pytest

from pipeline import net
from pipeline.errors import UsageError
from pipeline.settings import load_settings
from tests.loopback_site import drip, endless, loopback_site, page, redirect

SECRET_PAGE = "<html><body><article><p>Internal admin token: hunter2-internal. Cerebras grew.</p></article></body></html>"


@pytest.mark.parametrize(("address", "reason"), [
    ("127.0.0.1", "a loopback address"), ("127.8.9.10", "a loopback address"), ("::1", "a loopback address"),
    ("10.1.2.3", "a private address"), ("172.16.0.1", "a private address"), ("192.168.1.1", "a private address"),
    ("fd12:3456::1", "a private address"),
    ("169.254.1.1", "a link-local address"), ("fe80::1", "a link-local address"),
    ("169.254.169.254", "a cloud metadata address"), ("fd00:ec2::254", "a cloud metadata address"),
    ("169.254.170.2", "a cloud metadata address"), ("100.100.100.200", "a cloud metadata address"),
    ("100.64.0.1", "a shared (carrier-grade NAT) address"), ("224.0.0.251", "a multicast address"),
    ("ff02::1", "a multicast address"), ("0.0.0.0", "an unspecified address (this machine)"),
    ("::", "an unspecified address (this machine)"),
    ("::ffff:127.0.0.1", "a loopback address"), ("::ffff:169.254.169.254", "a cloud metadata address"),
    ("2002:a9fe:a9fe::1", "a cloud metadata address"),  # 6to4 around the metadata address
    ("64:ff9b::10.0.0.1", "a private address"),  # NAT64 around a private one
    ("::127.0.0.1", "a reserved address"),
])
def test_addresses_off_the_public_internet_are_named(address, reason):
    assert net.classify(ipaddress.ip_address(address)) == reason


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700:4700::1111", "1.1.1.1"])
def test_public_addresses_are_not(address):
    assert net.classify(ipaddress.ip_address(address)) is None


def test_the_setting_opens_what_it_names_and_true_opens_all_but_metadata():
    loopback, metadata = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("169.254.169.254")
    closed = net.Policy.parse(False)
    assert closed.refusal("127.0.0.1", 80, loopback) == "127.0.0.1 is a loopback address"
    assert closed.refusal("localhost", 80, loopback) == "localhost is 127.0.0.1, a loopback address"
    assert closed.refusal("example.com", 80, ipaddress.ip_address("93.184.216.34")) is None
    everything = net.Policy.parse(True)
    assert everything.refusal("10.0.0.1", 80, ipaddress.ip_address("10.0.0.1")) is None
    assert everything.refusal("169.254.169.254", 80, metadata) == "169.254.169.254 is a cloud metadata address"
    listed = net.Policy.parse(["127.0.0.1:8080", "10.0.0.0/8", "[::1]:9", "wiki.corp.example", "169.254.169.254"])
    assert listed.refusal("127.0.0.1", 8080, loopback) is None
    assert listed.refusal("127.0.0.1", 8081, loopback) is not None  # another port of the same address
    assert listed.refusal("10.9.9.9", 443, ipaddress.ip_address("10.9.9.9")) is None
    assert listed.refusal("::1", 9, ipaddress.ip_address("::1")) is None
    assert listed.refusal("wiki.corp.example", 443, ipaddress.ip_address("192.168.7.7")) is None
    assert listed.refusal("other.corp.example", 443, ipaddress.ip_address("192.168.7.7")) is not None
    assert listed.refusal("169.254.169.254", 80, metadata) is None  # named, so opened


@pytest.mark.parametrize("entry", ["http://10.0.0.1", "not a host!", "300.1.1.1:80", "10.0.0.0/33", "wiki:port"])
def test_an_unreadable_entry_in_the_setting_is_named(entry, settings_file):
    settings_file(f'allow_private_network = ["{entry}"]\n')
    with pytest.raises(UsageError, match=r"allow_private_network: Value error, .* is not a network, an address or a host"):
        load_settings()


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/x", "gopher://example.com/",
                                 "javascript:alert(1)", "data:text/html,hi", "//example.com/x", "http:///path"])
def test_only_http_and_https_addresses_with_a_host_are_fetched(url):
    with pytest.raises(net.Refused) as refused:
        net.check_url(url, net.Policy())
    assert not refused.value.hint  # no setting opens these


@pytest.fixture
def internal_service():
    """What no cited page may lead to: a service on loopback that hands out a secret, and records every request."""
    with loopback_site({"/admin": page(SECRET_PAGE)}) as site:
        yield site


@pytest.fixture
def cited_site(internal_service, settings_file):
    """A publisher on loopback whose pages redirect where they must not; the settings open only its port."""
    secret = internal_service.port
    routes = {
        "/article": page("<html><body><article><p>Cerebras grew 40% in a year.</p></article></body></html>"),
        "/to-loopback": redirect(f"http://127.0.0.1:{secret}/admin"),
        "/to-localhost": redirect(f"http://localhost:{secret}/admin"),
        "/to-mapped": redirect(f"http://[::ffff:127.0.0.1]:{secret}/admin"),
        "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/admin"),
        "/to-metadata-ipv6": redirect("http://[fd00:ec2::254]/latest/meta-data/"),
        "/to-file": redirect("file:///etc/passwd"),
        "/hop": redirect("/to-loopback"),
    }
    with loopback_site(routes) as site:
        settings_file(f'allow_private_network = ["127.0.0.1:{site.port}"]\nfetch_timeout_seconds = 5\n')
        yield site


def test_a_cited_page_that_redirects_to_loopback_or_metadata_is_a_warning_and_nothing_is_fetched(cited_site, internal_service):
    """The SSRF case end to end: a grounded answer cites pages whose redirects lead to 127.0.0.1, to
    localhost, to the metadata service (IPv4 and IPv6) and to a file. The search finishes, the
    readable page verifies its statement, each refused hop is named in the warnings (by the page that
    redirected, never by the refused address as a source), and the internal service is never asked."""
    from pipeline.models import SearchQuery, TokenUsage
    from pipeline.prompts import PromptBook
    from pipeline.resources import cache_dir
    from pipeline.search.grounding import GroundedAnswer, GroundedStatement, WebChunk
    from pipeline.search.pages import PageFetcher
    from pipeline.search.web import GroundedSearcher
    from tests.conftest import make_request

    hostile = ["/to-loopback", "/to-localhost", "/to-mapped", "/to-metadata", "/to-metadata-ipv6", "/to-file", "/hop"]
    cited = (WebChunk(f"{cited_site.url}/article", "publisher.example"),
             *(WebChunk(f"{cited_site.url}{path}", "hostile.example") for path in hostile))

    class ScriptedGrounding:
        """A fake in place of the grounded model call; every page is fetched for real."""

        identity = "scripted-grounding"
        usage = TokenUsage()

        def ground(self, prompt: str) -> GroundedAnswer:
            statements = (GroundedStatement("Cerebras grew 40% in a year.", tuple(range(len(cited)))),)
            return GroundedAnswer("Cerebras grew 40% in a year.", ("cerebras growth",), cited, statements)

    searcher = GroundedSearcher(ScriptedGrounding(), PageFetcher(cache_dir() / "web", load_settings()), PromptBook(),
                                concurrency=2, fetch_concurrency=4)
    results = searcher.search(make_request(), [SearchQuery(text="Cerebras growth")])

    assert not results.failures
    assert [item.source.url for item in results.evidence] == [f"{cited_site.url}/article"]
    assert "hunter2" not in results.model_dump_json()
    warning = results.warnings[-1]
    assert warning.startswith(f"{len(hostile)} cited page(s) could not be checked")
    for fragment in (f"{cited_site.url}/to-loopback (refused: 127.0.0.1 is a loopback address)",
                     f"{cited_site.url}/to-localhost (refused: localhost is ",
                     f"{cited_site.url}/to-mapped (refused: ::ffff:127.0.0.1 is ::ffff:7f00:1, a loopback address)",
                     f"{cited_site.url}/to-metadata (refused: 169.254.169.254 is a cloud metadata address)",
                     f"{cited_site.url}/to-metadata-ipv6 (refused: fd00:ec2::254 is a cloud metadata address)",
                     f"{cited_site.url}/to-file (refused: file: is not fetched",
                     f"{cited_site.url}/to-loopback (refused"):
        assert fragment in warning, warning
    assert "169.254.169.254/latest" not in warning and "/admin" not in warning  # the refused address is no source
    assert internal_service.hits == []


def test_without_the_setting_the_loopback_server_itself_is_refused(cited_site, settings_file):
    settings_file("")
    with pytest.raises(net.Refused, match="127.0.0.1 is a loopback address"):
        net.fetch(f"{cited_site.url}/article", load_settings().network_policy(), seconds=5, max_bytes=1000)
    assert cited_site.hits == []


def test_allowing_every_private_address_still_refuses_the_metadata_service(cited_site, internal_service, settings_file):
    settings_file("allow_private_network = true\n")
    policy = load_settings().network_policy()
    assert b"hunter2" in net.fetch(f"{cited_site.url}/to-loopback", policy, seconds=5, max_bytes=10_000).content
    with pytest.raises(net.Refused, match="169.254.169.254 is a cloud metadata address") as refused:
        net.fetch(f"{cited_site.url}/to-metadata", policy, seconds=5, max_bytes=10_000)
    assert refused.value.hint == "an entry naming it in allow_private_network opens it"


class ScriptedResolver:
    """A fake DNS for names ending in ``.test``, named as one: each look-up answers the next of
    ``answers``; every other name goes to the real resolver."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, *answers: list[str]):
        self.answers, self.asked = list(answers), 0
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if not str(host).endswith(".test"):
                return real(host, port, *args, **kwargs)
            self.asked += 1
            found = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            return [(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in found]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


def test_a_name_is_checked_after_resolution_and_the_checked_address_is_the_one_connected_to(cited_site, monkeypatch):
    """DNS rebinding: the name first resolves to the allowed server, then to the metadata address. The
    fetch connects to the address it checked (one look-up per connection, the Host header kept); a
    new connection looks up again, and is refused."""
    resolver = ScriptedResolver(monkeypatch, ["127.0.0.1"], ["169.254.169.254"])
    policy = load_settings().network_policy()
    fetched = net.fetch(f"http://rebind.test:{cited_site.port}/article", policy, seconds=5, max_bytes=10_000)
    assert b"Cerebras grew" in fetched.content
    assert resolver.asked == 1 and cited_site.hosts[-1] == f"rebind.test:{cited_site.port}"
    with pytest.raises(net.Refused, match="rebind.test is 169.254.169.254, a cloud metadata address"):
        net.fetch(f"http://rebind.test:{cited_site.port}/article", policy, seconds=5, max_bytes=10_000)
    assert resolver.asked == 2 and len(cited_site.hits) == 1


def test_a_name_with_any_refused_address_is_refused(cited_site, monkeypatch):
    """Which of its addresses a client connects to is not ours to choose: one refused address is enough."""
    ScriptedResolver(monkeypatch, ["127.0.0.1", "10.0.0.5"])
    with pytest.raises(net.Refused, match="mixed.test is 10.0.0.5, a private address"):
        net.fetch(f"http://mixed.test:{cited_site.port}/article", load_settings().network_policy(), seconds=5, max_bytes=100)
    assert cited_site.hits == []


def test_a_look_up_that_never_answers_ends_at_the_deadline(monkeypatch):
    def stuck(*args, **kwargs):
        time.sleep(3)
        raise socket.gaierror("too late")

    monkeypatch.setattr(socket, "getaddrinfo", stuck)
    started = time.monotonic()
    with pytest.raises(httpx.ConnectTimeout):
        net.fetch("http://slow-dns.test/x", net.Policy(), seconds=0.5, max_bytes=100)
    assert time.monotonic() - started < 1.5


@pytest.fixture
def slow_site(settings_file):
    with loopback_site({"/drip": drip(every=0.05, for_seconds=5), "/endless": endless("text/html"),
                        "/loop": redirect("/loop")}) as site:
        settings_file(f'allow_private_network = ["127.0.0.1:{site.port}"]\n')
        yield site


def test_a_body_sent_a_byte_at_a_time_stops_at_the_total_deadline(slow_site):
    """Every read succeeds within any per-read timeout; only a deadline over the whole fetch ends it."""
    started = time.monotonic()
    with pytest.raises(httpx.ReadTimeout):
        net.fetch(f"{slow_site.url}/drip", load_settings().network_policy(), seconds=1.0, max_bytes=10**6)
    assert 1.0 <= time.monotonic() - started < 1.5


def test_an_inner_deadline_cannot_outlast_an_outer_one(slow_site):
    started = time.monotonic()
    with net.deadline(0.5), pytest.raises(httpx.ReadTimeout):
        net.fetch(f"{slow_site.url}/drip", load_settings().network_policy(), seconds=30, max_bytes=10**6)
    assert time.monotonic() - started < 1.0


def test_a_body_that_never_ends_is_cut_or_refused_at_the_cap(slow_site):
    policy = load_settings().network_policy()
    with pytest.raises(net.TooLarge, match="more than the 100,000 bytes allowed"):
        net.fetch(f"{slow_site.url}/endless", policy, seconds=5, max_bytes=100_000)
    cut = net.fetch(f"{slow_site.url}/endless", policy, seconds=5, max_bytes=100_000, truncate=True)
    assert len(cut.content) == 100_000 and cut.truncated


def test_a_redirect_loop_ends(slow_site):
    with pytest.raises(net.FetchError, match="more than 5 redirects"):
        net.fetch(f"{slow_site.url}/loop", load_settings().network_policy(), seconds=5, max_bytes=100)
    assert len(slow_site.hits) == net.MAX_REDIRECTS + 1
