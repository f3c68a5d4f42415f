"""``groundbrief render``: the HTML page and the PDF of a report as it stands, and their escaping."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import html as lxml_html

from pipeline.cli import groundbrief
from pipeline.report.html import Briefing, audit_status, markdown_to_html, render_html
from tests.delivery.reports import DATA_LINK, IMAGE, LINK, SCRIPT, hostile_report, sample_report

WEASYPRINT = importlib.util.find_spec("weasyprint") is not None


def render(*args: str | Path):
    return CliRunner().invoke(groundbrief, ["render", *map(str, args)])


def page(path: Path):
    return lxml_html.fromstring(path.read_bytes())


def test_no_document_text_becomes_markup_script_or_a_link(tmp_path):
    report = hostile_report(tmp_path)
    result = render(report, "--to", "html")
    assert result.exit_code == 0, result.output
    written = Path(result.stdout.strip())
    assert written == report.with_suffix(".html")
    tree = page(written)
    assert not tree.xpath("//script | //img | //iframe | //object | //embed | //link | //form")
    assert not [name for element in tree.iter() for name in element.attrib if name.lower().startswith("on")]
    hrefs = tree.xpath("//a/@href")
    assert hrefs and all(href.startswith("https://") for href in hrefs)
    assert "https://evil.example/escape" not in hrefs and not [h for h in hrefs if "javascript" in h or "data:" in h]
    text = tree.text_content()
    for hostile in (SCRIPT, IMAGE, LINK, "**bold**", "](https://evil.example/escape)", DATA_LINK):
        assert hostile in text  # shown as the document wrote it, as text
    assert "<b onmouseover=\"alert(1)\">Evil</b> Press" in text  # the publisher's name, as text
    # The source cited by its file:// path shows its name, not a link into the reader's disk.
    assert tree.xpath("//span[@class='local-link']/text()") == ["b.md"]


def test_markdown_a_template_might_write_gets_the_same_treatment():
    converted = markdown_to_html(
        "[a](javascript:alert(1)) [b](data:text/html,x) [c](https://example.com/) ![i](https://example.com/p.png) "
        "<b>raw</b> <https://example.com/auto> [d](file:///etc/passwd)\n\n<div onclick=x>block</div>\n"
    )
    tree = lxml_html.fromstring(f"<div>{converted}</div>")
    # Images are not parsed: ![i](…) is a "!" and a link, and no picture is fetched when the page is opened.
    assert tree.xpath("//a/@href") == ["https://example.com/", "https://example.com/p.png", "https://example.com/auto"]
    assert not tree.xpath("//img | //b | //div[@onclick]")
    assert "[a](javascript:alert(1))" in tree.text_content() and "<b>raw</b>" in tree.text_content()
    assert tree.xpath("//span[@class='local-link']/text()") == ["d"]


def test_findings_sources_and_the_audit_are_on_the_page(tmp_path):
    report = sample_report(tmp_path)
    tree = page(Path(render(report, "--to", "html").stdout.strip()))
    text = " ".join(tree.text_content().split())
    markdown = report.read_text(encoding="utf-8")
    snippets = [line.split('**Snippet:** "', 1)[1].rstrip('"') for line in markdown.splitlines() if "**Snippet:** \"" in line]
    assert len(snippets) >= 3 and all(" ".join(s.replace("\\", "").split()) in text for s in snippets)
    assert {"Key Findings:", "Sources Referenced", "Contradictions and Gaps:"} <= set(tree.xpath("//h2/text() | //strong/text()"))
    assert "https://www.sec.gov/" in tree.xpath("//a/@href")
    assert "Audit: passed" in text and "figures and the publishers in the report's own words checked" in text
    assert tree.xpath("//title/text()") == ["Cerebras vs NVIDIA (November 24, 2026)"]
    assert "groundbrief:report" not in text  # the hidden metadata stays hidden
    body = tree.xpath("//body")[0]
    assert "font-family" in body.get("style")  # the CSS is inlined for email clients


def test_an_edited_draft_renders_as_it_stands(tmp_path):
    report = sample_report(tmp_path)
    markdown = report.read_text(encoding="utf-8")
    edited = markdown.replace("## Analysis\n\n", "## Analysis\n\nEDITOR'S NOTE: the desk expects a beat on data-center revenue.\n\n", 1)
    edited = edited.replace("**Impact:** Medium.", "**Impact:** High. Upgraded by the desk.", 1)
    report.write_text(edited, encoding="utf-8")
    text = " ".join(page(Path(render(report, "--to", "html").stdout.strip())).text_content().split())
    assert "EDITOR'S NOTE: the desk expects a beat on data-center revenue." in text
    assert "Impact: High. Upgraded by the desk." in text
    assert "Edited after groundbrief wrote it" in text and "Audit: read with care" in text


def test_a_rendering_never_overwrites_and_a_draft_with_errors_is_refused(tmp_path):
    report = sample_report(tmp_path)
    first, second = (Path(render(report, "--to", "html").stdout.strip()) for _ in range(2))
    assert (first.name, second.name) == (f"{report.stem}.html", f"{report.stem}-2.html")
    assert first.read_bytes() == second.read_bytes()
    broken = report.read_text(encoding="utf-8").replace("](https://www.sec.gov/)", "](javascript:alert(1))")
    report.write_text(broken, encoding="utf-8")
    refused = render(report, "--to", "html", "--out", tmp_path / "x.html")
    assert refused.exit_code == 1
    assert refused.stderr.startswith(f"Error: {report}: line ") and "groundbrief check" in refused.stderr
    assert not (tmp_path / "x.html").exists()


def test_a_users_page_template_replaces_the_built_in_one_and_is_escaped(tmp_path):
    report = hostile_report(tmp_path)
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "report.html.j2").write_text(
        "<html><body><h1 class=mine>{% for source in briefings[0].report.sources %}{{ source.publisher }}|{% endfor %}</h1>"
        "{{ briefings[0].body }}</body></html>",
        encoding="utf-8")
    tree = page(Path(render(report, "--to", "html", "--templates", folder).stdout.strip()))
    assert '<b onmouseover="alert(1)">Evil</b> Press' in tree.xpath("//h1[@class='mine']/text()")[0]
    assert not tree.xpath("//img | //script | //b")
    (folder / "report.html.j2").write_text("<html>{{ briefings[0].nothing.here }}</html>", encoding="utf-8")
    broken = render(report, "--to", "html", "--templates", folder)
    assert broken.exit_code == 1
    assert broken.stderr.startswith("Error: HTML report template error in ") and "report.html.j2, line 1" in broken.stderr


def test_a_digest_holds_every_briefing(tmp_path):
    from pipeline.delivery.briefings import read_briefing

    one, two = sample_report(tmp_path), hostile_report(tmp_path)
    tree = lxml_html.fromstring(render_html([read_briefing(one).briefing, read_briefing(two).briefing]))
    assert tree.xpath("//title/text()") == ["groundbrief: 2 briefings, November 24, 2026"]
    assert len(tree.xpath("//div[@class='briefing']")) == 2 and len(tree.xpath("//h1")) == 3


def test_the_audit_box_says_what_calls_for_care():
    from pipeline.models import Finding, Impact, Report, RunMetadata, Source
    from tests.conftest import make_request

    source = Source(url="https://example.com/")
    finding = Finding(snippet="a claim", sources=[source], impact=Impact.LOW, impact_rationale="r", consensus="Emerging",
                      consensus_rationale="c", verified=False)
    report = Report(request=make_request(), queries=[], sources=[source], analysis=[], findings=[finding], gaps=[],
                    metadata=RunMetadata(model="m", search_backend="s", generated_at="2026-11-24T08:00:00", tool_version="x",
                                         partial=True))
    status = audit_status(report)
    assert status.level == "warnings"
    assert status.lines == ("Quotes: 0 of 1 finding quoted verbatim from a cited source; the others are marked as "
                            "unverified model statements.",
                            "Partial: some searches or model calls failed; Contradictions and Gaps lists them.")
    html = render_html([Briefing(report, status)])
    assert "Audit: read with care" in html


@pytest.mark.skipif(not WEASYPRINT, reason="PDF output needs the pdf extra: pip install 'groundbrief[pdf]'")
def test_the_pdf_of_an_edited_draft_shows_the_edits_findings_and_links(tmp_path):
    from pypdf import PdfReader

    try:
        from pipeline.report.pdf import load_weasyprint

        load_weasyprint()
    except Exception as error:  # the Python package is there but the system's Pango is not
        pytest.skip(f"WeasyPrint can't run here: {error}")
    report = sample_report(tmp_path)
    report.write_text(report.read_text(encoding="utf-8").replace(
        "## Analysis\n\n", "## Analysis\n\nEDITED FOR THE DESK: watch the guidance.\n\n", 1), encoding="utf-8")
    result = render(report, "--to", "pdf")
    assert result.exit_code == 0, result.output
    pdf = PdfReader(Path(result.stdout.strip()))
    text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert "EDITED FOR THE DESK: watch the guidance." in text
    assert "Key Findings:" in text and "Snippet:" in text and "Sources Referenced" in text and "Audit:" in text
    links = [annotation.get_object()["/A"]["/URI"] for page in pdf.pages for annotation in page.get("/Annots") or []
             if "/A" in annotation.get_object()]
    assert "https://www.sec.gov/" in links and all(link.startswith("https://") for link in links)
    assert render(report, "--to", "pdf").stdout.strip().endswith("-2.pdf")


def test_a_new_body_template_is_not_mistaken_for_an_edit(tmp_path):
    report = sample_report(tmp_path)
    folder = tmp_path / "mine"
    folder.mkdir()
    built_in = (Path(__file__).resolve().parents[2] / "templates" / "report.md.j2").read_text(encoding="utf-8")
    (folder / "report.md.j2").write_text(built_in.replace("{{ format.ANALYSIS }}", "{{ format.ANALYSIS }}\n\n*House style.*"),
                                         encoding="utf-8")
    text = " ".join(page(Path(render(report, "--to", "html", "--templates", folder).stdout.strip())).text_content().split())
    assert "House style." in text and "Audit: passed" in text and "Edited after" not in text
