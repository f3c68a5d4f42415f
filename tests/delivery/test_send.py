"""``groundbrief send`` and ``generate-report --send``: real SMTP and HTTP servers on loopback, and their faults."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from pipeline.cli import groundbrief
from pipeline.settings import load_settings
from tests.delivery.reports import SCRIPT, hostile_report, sample_report
from tests.delivery.servers import FROM, TO, free_port, parts, smtp_server, webhook_server

TOKEN = "whsec-0123456789abcdef"


@pytest.fixture(autouse=True)
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    config = tmp_path / "config.toml"
    config.write_text("delivery_timeout_seconds = 1\n", encoding="utf-8")
    monkeypatch.setenv("GROUNDBRIEF_CONFIG", str(config))
    monkeypatch.setenv("HOOK_TOKEN", TOKEN)
    load_settings.cache_clear()
    yield config
    load_settings.cache_clear()


def invoke(*args: str | Path):
    return CliRunner().invoke(groundbrief, [str(arg) for arg in args])


def test_an_edited_draft_is_emailed_as_html_with_a_text_alternative_and_the_md_attached(tmp_path):
    report = sample_report(tmp_path)
    report.write_text(report.read_text(encoding="utf-8").replace(
        "## Analysis\n\n", "## Analysis\n\nDESK NOTE: read this before the call.\n\n", 1), encoding="utf-8")
    with smtp_server() as mailbox:
        result = invoke("send", report, "--to", mailbox.url())
    assert result.exit_code == 0, result.output
    assert result.stdout == f"sent {report} to mailto://127.0.0.1:{mailbox.port}/pm%40example.com\n"
    (mail,) = mailbox.messages
    assert (mail["From"], mail["To"], mail["Subject"]) == (FROM, TO, "Cerebras vs NVIDIA (November 24, 2026)")
    assert mail.get_content_type() == "multipart/mixed"
    alternative = mail.get_payload()[0]
    assert alternative.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in alternative.get_payload()] == ["text/plain", "text/html"]
    found = parts(mail)
    assert found[report.name] == report.read_bytes()
    assert "DESK NOTE: read this before the call." in found["text/plain"]
    tree = lxml_html.fromstring(found["text/html"])
    assert "DESK NOTE: read this before the call." in tree.text_content()
    assert "https://www.sec.gov/" in tree.xpath("//a/@href") and tree.xpath("//li//strong[text()='Snippet:']")


def test_a_webhook_gets_the_page_and_the_md_and_its_token_stays_out_of_every_message(tmp_path):
    report = hostile_report(tmp_path)
    with webhook_server() as hook:
        result = invoke("send", report, "--to", hook.url("${HOOK_TOKEN}"))
    assert result.exit_code == 0, result.output
    (post,) = hook.posts
    assert post["path"] == f"/{TOKEN}" and post["content_type"] == "application/json"
    assert post["title"] == "Cerebras vs NVIDIA (November 24, 2026)"
    assert [a["filename"] for a in post["attachments"]] == [report.name]
    assert base64.b64decode(post["attachments"][0]["base64"]) == report.read_bytes()
    tree = lxml_html.fromstring(post["message"])
    assert SCRIPT in tree.text_content() and not tree.xpath("//script")
    assert TOKEN not in result.output and "${HOOK_TOKEN}" in result.stdout

    port = free_port()
    down = invoke("send", report, "--to", f"json://127.0.0.1:{port}/${{HOOK_TOKEN}}")
    assert down.exit_code == 1
    assert down.stderr == (f"Error: sending {report} to json://127.0.0.1:{port}/${{HOOK_TOKEN}} "
                           "failed: A Connection error occurred sending JSON notification to 127.0.0.1.; "
                           "Socket Exception: [Errno 111] Connection refused\n")


def test_a_reason_never_shows_the_secrets_of_its_target(monkeypatch):
    from pipeline.delivery.send import _reason

    monkeypatch.setenv("SLACK_WEBHOOK", "T000-B000-XXXXXXXXXXXX")  # not named like a secret: redacted as the target's own
    lines = ["Failed to send to https://hooks.example.com/T000-B000-XXXXXXXXXXXX: 403 Forbidden",
             "Socket Exception: HTTPSConnectionPool(host='hooks.example.com'): Max retries exceeded with url: "
             "/T000-B000-XXXXXXXXXXXX (Caused by NewConnectionError(\"[Errno -2] Name or service not known\"))"]
    assert _reason(lines, ["T000-B000-XXXXXXXXXXXX"]) == (
        "Failed to send to https://hooks.example.com/***: 403 Forbidden; Socket Exception: [Errno -2] Name or service not known")


def test_faults_are_one_error_line_each_and_the_other_targets_still_get_it(tmp_path):
    report = sample_report(tmp_path)
    with smtp_server() as mailbox, webhook_server() as hook:
        hook.status = 500
        result = invoke("send", report, "--to", hook.url(), "--to", f"mailto://127.0.0.1:{free_port()}?to={TO}&from={FROM}",
                        "--to", mailbox.url())
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert len(errors) == 2 and all(line.startswith(f"Error: sending {report} to ") for line in errors)
    assert "error=500" in errors[0]
    assert "Connection error while submitting email" in errors[1] and "Connection refused" in errors[1]
    assert len(mailbox.messages) == 1 and result.stdout.startswith("sent ")


def test_a_slow_server_is_given_up_at_the_time_limit(tmp_path):
    report = sample_report(tmp_path)
    with webhook_server() as hook:
        hook.delay = 5
        started = time.monotonic()
        result = invoke("send", report, "--to", hook.url())
        elapsed = time.monotonic() - started
    assert result.exit_code == 1
    assert "Read timed out. (read timeout=1.0)" in result.stderr
    assert elapsed < 4


def test_a_bad_target_is_one_error_line_before_any_research(tmp_path):
    out = tmp_path / "out"
    for target, message in [
        ("nosuch://host/x", "delivery target nosuch://host is not a URL Apprise can send to (scheme 'nosuch')"),
        ("desk", "delivery target 'desk' is neither a URL (such as mailtos://…, json://…) nor a name in config.toml's "
                 "[delivery_targets] (none are set)"),
        (f"mailto://me:${{UNSET_SECRET_VAR}}@127.0.0.1?to={TO}&from={FROM}",
         "delivery target mailto://me:****@127.0.0.1/pm%40example.com: the environment variable UNSET_SECRET_VAR is not set"),
    ]:
        result = CliRunner().invoke(groundbrief, ["generate", "Cerebras vs NVIDIA", "--out", str(out), "--send", target])
        assert result.exit_code == 1
        assert result.stderr == f"Error: {message}" + ("; see Apprise's list of services: https://github.com/caronc/apprise/wiki"
                                                        if "scheme" in message else "") + "\n"
        assert not out.exists()


def test_generate_report_sends_what_it_writes_and_keeps_it_when_sending_fails(tmp_path, settings):
    settings.write_text(f'delivery_timeout_seconds = 1\n[delivery_targets]\ndesk = "mailto://127.0.0.1:{free_port()}'
                        f'?to={TO}&from={FROM}"\n', encoding="utf-8")
    load_settings.cache_clear()
    out = tmp_path / "out"
    with webhook_server() as hook:
        result = CliRunner().invoke(groundbrief, ["generate", "Cerebras vs NVIDIA", "--out", str(out), "--as-of", "2026-11-24",
                                                  "--send", hook.url(), "--send", "desk"])
    written = out / "2026-11-24-cerebras-vs-nvidia.md"
    assert result.exit_code == 4  # written, but one target failed
    assert result.stdout == f"{written}\n"  # stdout holds the path only
    assert f"sent {written} to json://127.0.0.1:{hook.port}/hook" in result.stderr
    assert f"Error: sending {written} to desk failed: Connection error" in result.stderr
    assert written.is_file() and [a["filename"] for a in hook.posts[0]["attachments"]] == [written.name]
    assert "Audit: passed" in hook.posts[0]["message"]


def test_a_draft_check_finds_errors_in_is_not_sent(tmp_path):
    report = sample_report(tmp_path)
    text = report.read_text(encoding="utf-8")
    report.write_text(text.replace("**Source:** ", "**Source:** Unlisted Wire, ", 1), encoding="utf-8")
    with webhook_server() as hook:
        result = invoke("send", report, "--to", hook.url())
    assert result.exit_code == 1 and not hook.posts
    assert "source 'Unlisted Wire' is not listed under ## Sources Referenced" in result.stderr
    assert "fix what 'groundbrief check' lists before it goes out" in result.stderr
