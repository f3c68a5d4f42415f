"""``groundbrief schedule`` delivers each briefing once to each target: real SMTP and HTTP servers on loopback."""

from __future__ import annotations

import base64
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.schedule.runner import Result
from pipeline.settings import load_settings
from tests.delivery.servers import Mailbox, free_port, parts, smtp_server, webhook_server
from tests.edgar_server import edgar_server, settings_file
from tests.schedule.helpers import NVIDIA_WATCHLIST, REPO, run, write

TUESDAY = "2026-11-24"  # the example calendar's event repeats every Wednesday: T-1 is due on Tuesdays
SMTP_PASSWORD = "correct-horse-battery-staple"
HOOK_TOKEN = "hook-token-5f3a9c1e7b"


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A settings file of this test's own (not the user's), and the secrets the URLs name. The example
    watchlist searches SEC EDGAR too: a loopback stand-in serves its recorded answers."""
    with edgar_server() as server:
        config = settings_file(tmp_path, server.url, delivery_timeout_seconds=2)
        monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(config))
        monkeypatch.setenv("SMTP_PASSWORD", SMTP_PASSWORD)
        monkeypatch.setenv("HOOK_TOKEN", HOOK_TOKEN)
        load_settings.cache_clear()
        yield config
    load_settings.cache_clear()


def sec_lines(settings: Path) -> str:
    """The settings lines that point SEC EDGAR at the loopback stand-in, kept when a test rewrites the file."""
    return "".join(line + "\n" for line in settings.read_text(encoding="utf-8").splitlines() if line.startswith("sec_"))


def example_watchlist(tmp_path: Path, *deliver: str, digest: bool = False) -> Path:
    """The shipped example watchlist (and its calendar), with ``deliver`` targets added at the top."""
    folder = tmp_path / "examples"
    folder.mkdir(parents=True)
    shutil.copy(REPO / "examples" / "earnings.ics", folder)
    text = (REPO / "examples" / "watchlist.toml").read_text(encoding="utf-8")
    targets = ", ".join(f'"{target}"' for target in deliver)
    added = f"deliver = [{targets}]\n" + ("deliver_digest = true\n" if digest else "")
    return write(folder / "watchlist.toml", text.replace("\ntimezone =", f"\n{added}timezone =", 1))


def secrets_nowhere(tmp_path: Path, *outputs: str) -> None:
    """Neither secret reaches the output, the log or the state database."""
    database = tmp_path / "state" / "runs.sqlite3"
    with sqlite3.connect(database) as db:
        stored = repr(db.execute("SELECT * FROM deliveries").fetchall() + db.execute("SELECT * FROM runs").fetchall())
    log = (tmp_path / "log" / "schedule.log").read_text(encoding="utf-8")
    for text in (*outputs, stored, log):
        assert SMTP_PASSWORD not in text and HOOK_TOKEN not in text


def test_the_t1_briefing_is_emailed_and_posted_once(tmp_path):
    with smtp_server(password=SMTP_PASSWORD) as mailbox, webhook_server() as hook:
        watchlist = example_watchlist(tmp_path, mailbox.url("desk:${SMTP_PASSWORD}"), hook.url("${HOOK_TOKEN}"))
        first = run("schedule", watchlist, "--as-of", TUESDAY)
        assert first.exit_code == 0, first.output
        written = sorted((tmp_path / "reports" / "earnings").glob("*.md"))
        t1 = next(path for path in written if "-nvda-t-1-" in path.name)

        assert len(mailbox.messages) == len(hook.posts) == len(written) == 2  # T-1, and the late T-7 of the second request
        mail = next(message for message in mailbox.messages if t1.name in parts(message))
        assert mailbox.logins and all(login == ("desk", SMTP_PASSWORD) for login in mailbox.logins)
        assert mail["Subject"].startswith("NVIDIA quarterly earnings, T-1: Are Cerebras/Groq customers")
        body = parts(mail)
        assert body[t1.name] == t1.read_bytes()  # the .md attached as written
        first_snippet = t1.read_text(encoding="utf-8").split("**Snippet:** \"", 1)[1].split('"', 1)[0][:60]
        assert first_snippet in body["text/html"] and first_snippet in body["text/plain"]
        assert "Audit: passed" in body["text/html"]

        post = next(post for post in hook.posts if any(a["filename"] == t1.name for a in post["attachments"]))
        assert post["path"] == f"/{HOOK_TOKEN}" and post["title"] == mail["Subject"]
        attachment = next(a for a in post["attachments"] if a["filename"] == t1.name)
        assert base64.b64decode(attachment["base64"]) == t1.read_bytes()
        assert first_snippet in post["message"]

        assert "deliveries: 4 sent" in first.stdout
        assert "sent  NVDA quarterly T-1" in first.stderr
        log = (tmp_path / "log" / "schedule.log").read_text(encoding="utf-8")
        sent = [line for line in log.splitlines() if " INFO sent " in line and t1.name in line]
        assert len(sent) == 2 and any(line.endswith(f" to json://127.0.0.1:{hook.port}/${{HOOK_TOKEN}}") for line in sent)

        second = run("schedule", watchlist, "--as-of", TUESDAY)
        assert second.exit_code == 0, second.output
        assert len(mailbox.messages) == len(hook.posts) == 2  # nothing sent twice
        assert "deliveries" not in second.stdout and "2 skipped" in second.stdout
        secrets_nowhere(tmp_path, first.output, second.output)


def test_a_failed_delivery_is_retried_once_on_the_next_run(tmp_path):
    with smtp_server() as mailbox, webhook_server() as hook:
        watchlist = example_watchlist(tmp_path, mailbox.url(), hook.url("${HOOK_TOKEN}"))
        hook.status = 500
        first = run("schedule", watchlist, "--as-of", TUESDAY)
        assert first.exit_code == 3, first.output  # reports written, deliveries failed: a monitor must see it
        assert len(mailbox.messages) == 2 and len(hook.posts) == 2  # the webhook was tried, and answered 500
        assert "deliveries: 2 sent, 2 failed" in first.stdout
        assert "error=500" in first.stdout and "retried next run" in first.stdout
        assert len(list((tmp_path / "reports" / "earnings").glob("*.md"))) == 2  # the reports are kept

        hook.status = 200
        second = run("schedule", watchlist, "--as-of", TUESDAY)
        assert second.exit_code == 0, second.output
        assert len(mailbox.messages) == 2  # the email went out before: not again
        assert len(hook.posts) == 4 and "deliveries: 2 sent" in second.stdout
        assert "│ 2   │" in second.stdout or " 2 " in second.stdout  # the second try

        third = run("schedule", watchlist, "--as-of", TUESDAY)
        assert len(mailbox.messages) == 2 and len(hook.posts) == 4
        assert third.exit_code == 0 and "deliveries" not in third.stdout
        secrets_nowhere(tmp_path, first.output, second.output, third.output)


def test_a_failed_delivery_is_retried_on_a_day_with_nothing_due(tmp_path):
    port = free_port()
    target = Mailbox(port).url()
    # NVIDIA reports on November 25: on the 24th the T-1 briefings are due, on the 26th nothing is.
    watchlist = write(tmp_path / "watchlist.toml",
                      NVIDIA_WATCHLIST.replace("\n[[companies]]", f'deliver = ["{target}"]\n\n[[companies]]', 1))
    text = watchlist.read_text(encoding="utf-8")
    down = run("schedule", watchlist, "--as-of", "2026-11-24")
    assert down.exit_code == 3 and "deliveries: 2 failed" in down.stdout  # nothing listens on the port yet
    with smtp_server(port) as mailbox:
        write(watchlist, NVIDIA_WATCHLIST)  # a target taken out of the watchlist is not tried
        removed = run("schedule", watchlist, "--as-of", "2026-11-26")
        assert removed.exit_code == 0 and "deliveries" not in removed.stdout and not mailbox.messages
        write(watchlist, text)
        later = run("schedule", watchlist, "--as-of", "2026-11-26")
    assert later.exit_code == 0, later.output
    assert "Nothing due on 2026-11-26" in later.stderr and "deliveries: 2 sent" in later.stdout
    assert sorted(name for message in mailbox.messages for name in parts(message) if name.endswith(".md")) == [
        "2026-11-24-nvda-t-1-are-cerebras-groq-customers-publishing-training.md", "2026-11-24-nvda-t-1-groq-vs-nvidia.md"]


def test_a_named_target_keeps_its_place_across_a_url_change_and_a_digest_sends_one_message(tmp_path, settings):
    with smtp_server() as down:
        gone = down.url()
    write(settings, sec_lines(settings) + f'delivery_timeout_seconds = 2\n[delivery_targets]\ndesk = "{gone}"\n')
    load_settings.cache_clear()
    watchlist = example_watchlist(tmp_path, "desk", digest=True)
    failed = run("schedule", watchlist, "--as-of", TUESDAY)
    assert failed.exit_code == 3 and "deliveries: 2 failed" in failed.stdout
    assert "Connection refused; retried next run" in failed.stderr
    with smtp_server() as mailbox:
        write(settings, sec_lines(settings) + f'delivery_timeout_seconds = 2\n[delivery_targets]\ndesk = "{mailbox.url()}"\n')
        load_settings.cache_clear()
        retried = run("schedule", watchlist, "--as-of", TUESDAY)
        assert retried.exit_code == 0, retried.output
        assert len(mailbox.messages) == 1  # one digest holding both briefings
        digest = mailbox.messages[0]
        assert digest["Subject"] == "groundbrief: 2 briefings, November 24, 2026"
        assert sorted(name for name in parts(digest) if name.endswith(".md")) == sorted(
            path.name for path in (tmp_path / "reports" / "earnings").glob("*.md"))
        assert "in a digest of 2" in retried.stdout


def test_a_bad_target_is_one_error_before_any_research(tmp_path):
    watchlist = example_watchlist(tmp_path, "nosuchservice://host/path")
    result = run("schedule", watchlist, "--as-of", TUESDAY)
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: ")
    assert "line 12: deliver: delivery target nosuchservice://host is not a URL Apprise can send to" in result.stderr
    assert not (tmp_path / "reports").exists()
    unset = example_watchlist(tmp_path / "other", "mailto://desk:${NOT_SET_ANYWHERE}@127.0.0.1:25?to=pm@example.com")
    assert "the environment variable NOT_SET_ANYWHERE is not set" in run("schedule", unset, "--as-of", TUESDAY).stderr


def test_a_run_with_no_targets_has_no_delivery_step(tmp_path, watchlist):
    result = run("schedule", watchlist, "--as-of", "2026-11-18")
    assert result.exit_code == 0 and "deliveries" not in result.stdout
    assert Result.DONE.value in result.stdout


def test_the_settings_files_deliver_serves_every_watchlist_that_names_none(tmp_path, settings, watchlist):
    """The README's cron-plus-email setup: the target in config.toml, its password in the environment."""
    with smtp_server(password=SMTP_PASSWORD) as mailbox:
        write(settings, f'deliver = ["{mailbox.url("me:${SMTP_PASSWORD}")}"]\n')
        load_settings.cache_clear()
        result = run("schedule", watchlist, "--as-of", "2026-11-24")
    assert result.exit_code == 0, result.output
    assert len(mailbox.messages) == 2 and mailbox.logins == [("me", SMTP_PASSWORD)] * 2
    assert f"to mailto://me:****@127.0.0.1:{mailbox.port}/pm%40example.com" in result.stderr
    secrets_nowhere(tmp_path, result.output)
