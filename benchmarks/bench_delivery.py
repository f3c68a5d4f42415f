"""Benchmark of what delivery adds to a briefing: reading it back, rendering the HTML (and the PDF), and
handing the message to Apprise, against loopback servers so the network costs next to nothing.

    python benchmarks/bench_delivery.py [--runs 20]

Prints a markdown table of medians measured in this one run against the target: rendering and
delivery add < 0.5 s per briefing, excluding the network. The briefing is the sample report
(embedded analyst, sample corpus). "Read back" is the drafts reader and ``groundbrief check``, as a
scheduled delivery reads the file as it stands; "HTML" adds the markdown, the page template and the
CSS inlining; "send" composes the message and delivers it through Apprise to a real SMTP server
(aiosmtpd) and a JSON webhook on loopback. Imports (Apprise, WeasyPrint) are paid once per process
and shown on their own rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TARGET_SECONDS = 0.5


def timed(action: Callable[[], object], runs: int) -> float:
    """The median wall time of ``action`` in seconds, after one warm-up call."""
    action()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def import_time(module: str) -> float:
    started = time.perf_counter()
    __import__(module)
    return time.perf_counter() - started


def sample_report(folder: Path) -> Path:
    from datetime import date

    from pipeline.generate import generate_report
    from pipeline.models import ResearchRequest, TimeWindow

    request = ResearchRequest(question="Cerebras vs NVIDIA", as_of=date(2026, 11, 24), window=TimeWindow.parse("12m"))
    return generate_report(request, out_dir=folder, use_cache=False).markdown_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs

    from tests.delivery.servers import smtp_server, webhook_server

    rows: list[tuple[str, float, str]] = [("import apprise (once per process)", import_time("apprise"), "")]
    started = time.perf_counter()
    from pipeline.delivery.targets import instantiate

    instantiate("json://127.0.0.1:9/first")
    rows.append(("Apprise's first URL: it loads its plugins (once per process)", time.perf_counter() - started, ""))
    with tempfile.TemporaryDirectory() as folder:
        import os

        os.environ["GROUNDBRIEF_CACHE_DIR"] = str(Path(folder) / "cache")
        report = sample_report(Path(folder) / "reports")

        from pipeline.delivery.briefings import compose, read_briefing
        from pipeline.delivery.send import send
        from pipeline.delivery.targets import resolve_targets
        from pipeline.report.html import render_html

        read = timed(lambda: read_briefing(report), runs)
        html = timed(lambda: render_html([read_briefing(report).briefing]), runs)
        rows += [("read back and check the .md", read, ""), ("… and render the HTML page", html, "")]
        with smtp_server() as mailbox, webhook_server() as hook:
            email, webhook = resolve_targets([mailbox.url(), hook.url()])
            by_email = timed(lambda: send(compose([read_briefing(report)]), email, timeout=10), runs)
            by_webhook = timed(lambda: send(compose([read_briefing(report)]), webhook, timeout=10), runs)
            assert len(mailbox.messages) == len(hook.posts) == runs + 1, "every message arrived"
        rows += [("… and send it by email (loopback SMTP)", by_email, f"< {TARGET_SECONDS} s"),
                 ("… and send it to a JSON webhook (loopback)", by_webhook, f"< {TARGET_SECONDS} s")]
        try:
            from pipeline.report.pdf import load_weasyprint, render_pdf

            rows.append(("import weasyprint (once per process, PDF only)", import_time("weasyprint"), ""))
            load_weasyprint()
            page = render_html([read_briefing(report).briefing])
            rows.append(("PDF from the HTML page (render --to pdf only)", timed(lambda: render_pdf(page), runs), ""))
        except Exception as error:  # the pdf extra or Pango is missing: say so in the table
            rows.append((f"PDF: not measured ({error})", float("nan"), ""))

    print(f"Delivery, sample report, median of {runs} runs each (Python {sys.version.split()[0]})\n")
    print("| measurement | median | target |")
    print("|---|---|---|")
    for name, seconds, target in rows:
        print(f"| {name} | {seconds * 1000:.1f} ms | {target} |")


if __name__ == "__main__":
    main()
