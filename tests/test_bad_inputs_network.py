"""The README's promise for calendars and fetched addresses, case by case (beside ``test_bad_inputs.py``,
whose work folder and snapshot it reuses): a repeat rule that can't be expanded in bounded time and
memory, or a calendar URL that leads somewhere private, slow or huge, is one ``Error:`` line and exit
1, within a time bound, with nothing written, overwritten, leaked or left behind.

A calendar URL must be ``https://``, so the cases that need a server have one on 127.0.0.1 with a
certificate from a test CA (``trusted_certificate``). The settings open exactly that server's
address and port (``allow_private_network = ["127.0.0.1:PORT"]``): the first hop is allowed, and a
redirect from it to any other loopback port, a metadata address or a ``file:`` URL is still refused.
A second server on loopback holds a "secret" and records every request, so a refusal is told from
a failure: it must never be asked for anything.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import groundbrief
from tests.loopback_site import Site, drip, endless, loopback_site, page, redirect
from tests.test_bad_inputs import WATCHLIST, snapshot, work  # noqa: F401 (work is the shared fixture)

SECRET = "s3cret-calendar-token"
CALENDAR_WATCHLIST = WATCHLIST.replace('out_dir = "out"\n', 'out_dir = "out"\nearnings_calendar = "{calendar}"\n')


def ics(rule: str, start: str = "20261001T140000Z", summary: str = "NVDA Q3 FY2027 earnings") -> str:
    return ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1@test\r\n"
            f"DTSTAMP:20261001T000000Z\r\nDTSTART:{start}\r\nSUMMARY:{summary}\r\nRRULE:{rule}\r\n"
            "END:VEVENT\r\nEND:VCALENDAR\r\n")


@dataclass(frozen=True)
class Case:
    """``groundbrief schedule w.toml`` whose calendar is ``calendar``: a file's text, or a URL
    (``{site}`` is the HTTPS server, ``{secret}`` the other loopback server)."""

    name: str
    message: str
    calendar: str
    options: tuple[str, ...] = ()
    settings: str = 'allow_private_network = ["127.0.0.1:{port}"]\n'
    seconds: float = 5.0  # the time bound of the whole command
    setup: Callable[[pytest.MonkeyPatch], None] | None = None
    args: tuple[str, ...] = field(default=("schedule", "{work}/w.toml", "--as-of", "2026-11-24"))


def _smaller(name: str, value: float) -> Callable[[pytest.MonkeyPatch], None]:
    def setup(monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr(f"pipeline.schedule.calendar.{name}", value)
    return setup


URL = "https://{host}/private-abc/earnings.ics?token=" + SECRET

CASES = [
    # Repeat rules that can't be expanded in bounded time or memory (a calendar file).
    Case("repeats every second, no end", "repeats every second", ics("FREQ=SECONDLY")),
    Case("repeats every second, on a dry run", "repeats every second", ics("FREQ=SECONDLY"), ("--dry-run",)),
    Case("repeats every minute, no end", "repeats every minute", ics("FREQ=MINUTELY")),
    Case("repeats every minute, a hundred million times", "repeats every minute", ics("FREQ=MINUTELY;COUNT=100000000")),
    Case("repeats every second since the year 1", "repeats every second", ics("FREQ=SECONDLY", start="00010101T000000Z")),
    Case("interval 0", 'event "NVDA Q3 FY2027 earnings" repeats with INTERVAL=0', ics("FREQ=DAILY;INTERVAL=0")),
    Case("interval 0, on a dry run", "INTERVAL=0", ics("FREQ=WEEKLY;INTERVAL=0"), ("--dry-run",)),
    Case("a rule that matches no date", "take more than 0.5 s to expand", ics("FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"),
         setup=_smaller("EXPAND_SECONDS", 0.5)),
    # Calendar URLs that lead where the user's network is private: refused before any connection.
    Case("URL on loopback", "refused: 127.0.0.1 is a loopback address", URL.format(host="127.0.0.1:9"), settings=""),
    Case("URL named localhost (checked after DNS)", "refused: localhost is", URL.format(host="localhost:9"), settings=""),
    Case("URL on a private network", "10.20.30.40 is a private address", URL.format(host="10.20.30.40"), settings=""),
    Case("URL on carrier-grade NAT", "100.64.0.7 is a shared (carrier-grade NAT) address", URL.format(host="100.64.0.7"),
         settings=""),
    Case("URL on the metadata service, though private networks are allowed",
         "169.254.169.254 is a cloud metadata address; an entry naming it in allow_private_network opens it",
         URL.format(host="169.254.169.254"), settings="allow_private_network = true\n"),
    Case("URL on loopback inside IPv6", "a loopback address", URL.format(host="[::ffff:127.0.0.1]:9"), settings=""),
    Case("URL on 0.0.0.0 (this machine)", "an unspecified address", URL.format(host="0.0.0.0:9"), settings=""),
    # Through the HTTPS server on loopback, whose own address and port the settings allow.
    Case("redirect to another port on loopback", "refused: 127.0.0.1 is a loopback address", "{site}/to-secret.ics"),
    Case("redirect to localhost", "refused: localhost is", "{site}/to-localhost.ics"),
    Case("redirect to the metadata service", "169.254.169.254 is a cloud metadata address", "{site}/to-metadata.ics"),
    Case("redirect to a file", "(refused: file: is not fetched, only http and https)", "{site}/to-file.ics"),
    Case("redirect to a malformed address", "can't fetch the calendar (an unreadable address (ValueError))",
         "{site}/to-nowhere.ics"),
    Case("redirect to a host name IDNA rejects", "can't fetch the calendar (an unreadable address (", "{site}/to-idna.ics"),
    Case("redirects without end", "can't fetch the calendar (more than 5 redirects)", "{site}/loop.ics"),
    Case("calendar that streams one byte at a time, past the run's limit", "can't fetch the calendar (not complete in",
         "{site}/slow.ics", ("--run-timeout", "2s"), seconds=4.0),
    Case("calendar that never ends", "too large for a calendar", "{site}/endless.ics",
         setup=_smaller("MAX_CALENDAR_BYTES", 1_000_000)),
    Case("calendar that is binary", "a binary file, not a calendar", "{site}/binary.ics"),
    Case("calendar that is gone", "can't fetch the calendar (HTTP 404)", "{site}/gone.ics"),
    Case("unreadable allow_private_network", "allow_private_network: Value error, 'http://10.0.0.1' is not",
         "{site}/binary.ics", settings='allow_private_network = ["http://10.0.0.1"]\n'),
]


@pytest.fixture(scope="module")
def secret_site() -> Iterator[Site]:
    """What a redirect must never reach: an internal service on loopback."""
    with loopback_site({"/secret.ics": page("BEGIN:VCALENDAR\r\nX-SECRET:internal\r\nEND:VCALENDAR\r\n", "text/calendar")}) as site:
        yield site


@pytest.fixture
def site(trusted_certificate: Path, secret_site: Site) -> Iterator[Site]:
    routes = {
        "/to-secret.ics": redirect(f"http://127.0.0.1:{secret_site.port}/secret.ics"),
        "/to-localhost.ics": redirect(f"http://localhost:{secret_site.port}/secret.ics"),
        "/to-metadata.ics": redirect("http://169.254.169.254/latest/meta-data/iam/security-credentials/"),
        "/to-file.ics": redirect("file:///etc/passwd"),
        "/to-nowhere.ics": redirect("http://[oops/"),
        "/to-idna.ics": redirect("http://xn--a.com/"),
        "/loop.ics": redirect("/loop.ics"),
        "/slow.ics": drip(every=0.1, for_seconds=6),
        "/endless.ics": endless(),
        "/binary.ics": page(b"\x00\x01\x02", "text/calendar"),
    }
    with loopback_site(routes, trusted_certificate) as served:
        yield served


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_a_bad_calendar_is_one_error_line_in_bounded_time_and_changes_nothing(
    case: Case, work: Path, site: Site, secret_site: Site, settings_file, isolated_cache: Path, monkeypatch,  # noqa: F811
):
    calendar = case.calendar.replace("{site}", site.url)
    if calendar.startswith("https://"):
        (work / "w.toml").write_text(CALENDAR_WATCHLIST.replace("{calendar}", calendar), encoding="utf-8")
    else:
        (work / "w.toml").write_text(CALENDAR_WATCHLIST.replace("{calendar}", "cal.ics"), encoding="utf-8")
        (work / "cal.ics").write_text(calendar, encoding="utf-8")
    settings_file(case.settings.replace("{port}", str(site.port)))
    if case.setup:
        case.setup(monkeypatch)
    before = snapshot(work)
    secret_hits = len(secret_site.hits)

    started = time.monotonic()
    result = CliRunner().invoke(groundbrief, [arg.replace("{work}", str(work)) for arg in (*case.args, *case.options)])
    took = time.monotonic() - started

    assert isinstance(result.exception, SystemExit), f"{result.exception!r}\n{result.stderr}"  # no traceback
    assert result.exit_code == 1, result.stderr
    assert took < case.seconds, f"took {took:.1f} s"
    assert result.stdout == ""
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1 and case.message in errors[0], result.stderr
    assert all(line.startswith("warning:") for line in result.stderr.splitlines() if line != errors[0]), result.stderr
    assert snapshot(work) == before
    # Nothing left behind: no state database, no cached or half-written calendar (the run's lock file may stay).
    state = Path(os.environ["GROUNDBRIEF_STATE_DIR"])
    assert [path.name for path in state.rglob("*") if not path.name.startswith("run-w-")] == []
    assert list(isolated_cache.rglob("*.ics")) == list(isolated_cache.rglob("*.partial")) == []
    # Nothing leaked: the calendar link's secret is in no message or log, and the internal server was never asked.
    log = Path(os.environ["GROUNDBRIEF_LOG_DIR"]) / "schedule.log"
    assert SECRET not in result.stderr and SECRET not in (log.read_text() if log.exists() else "")
    assert len(secret_site.hits) == secret_hits


def test_there_are_at_least_fourteen_cases():
    assert len(CASES) >= 14 and len({case.name for case in CASES}) == len(CASES)
