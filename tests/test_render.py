"""Rendering: the example report's exact structure, and document text that can't break it."""

import re
from datetime import UTC, date, datetime

from markdown_it import MarkdownIt

from pipeline.models import Finding, Gap, Impact, Report, RunMetadata, Source
from pipeline.report.formatting import format_timestamp, inline, paragraph, safe_url, unescape_inline
from pipeline.report.render import render_markdown
from tests.conftest import EXAMPLE_REPORT, EXAMPLE_TITLE_LINE, make_request

_LINE_KINDS = [
    (r"# Research Query: \S", "TITLE"),
    (r"\*\*Generated:\*\* [A-Z][a-z]+day, [A-Z][a-z]+ \d{1,2}, \d{4} at \d{1,2}:\d\d:\d\d [AP]M$", "GENERATED"),
    (r"\*\*Model:\*\* \S", "MODEL"),
    (r"## (Search Queries Used|Sources Referenced|Analysis)$", None),
    (r"- \[[^\]]+\]\(((https?|file)://|\.\./corpus/sample/)[^)\s]+\)$", "SOURCE"),
    (r"- \S", "QUERY"),
    (r"---$", "RULE"),
    (r"\*\*Key Findings:\*\*$", "KEY FINDINGS"),
    (r'\*   \*\*Snippet:\*\* ".*"$', "SNIPPET"),
    (r"    \*   \*\*Date:\*\* \S", "DATE"),
    (r"    \*   \*\*Source:\*\* \S", "SRC"),
    (r"    \*   \*\*Impact:\*\* (High|Medium|Low)\. \S", "IMPACT"),
    (r"    \*   \*\*Consensus Check:\*\* \S", "CONSENSUS"),
    (r"\*\*Contradictions and Gaps:\*\*$", "GAPS"),
    (r"\*   \*\*(?:\\.|[^*\\])+:\*\* \S", "GAP"),
    (r"<!-- groundbrief:report \{.*\} -->$", "METADATA"),
    (r"$", "BLANK"),
    (r"[A-Z0-9\\]", "PARAGRAPH"),
]


def skeleton(markdown: str) -> list[str]:
    """Each line's kind, with repeats of a line or of a whole finding block folded into one."""
    kinds = []
    for line in markdown.splitlines():
        for pattern, kind in _LINE_KINDS:
            match = re.match(pattern, line)
            if match:
                kinds.append(kind or line)
                break
        else:
            kinds.append(f"UNRECOGNISED: {line}")
    text = "\n".join(k for k in kinds if k != "METADATA")
    text = re.sub(r"(SNIPPET\nDATE\nSRC\nIMPACT\nCONSENSUS\nBLANK\n)+", "FINDING\n", text + "\n")
    text = re.sub(r"(PARAGRAPH\nBLANK\n)+", "PARAGRAPHS\n", text)
    text = re.sub(r"(\w+\n)\1+", r"\1", text)
    return text.split()


def sample_report(**overrides) -> Report:
    source = Source(url="https://www.businesswire.com/news/1", title="Record", publisher="Business Wire", published=date(2025, 5, 28))
    finding = Finding(
        snippet="Cerebras ran Llama 4 Maverick at 2,522 tokens per second.",
        date_label="May 28, 2025", source_label="Business Wire", sources=[source],
        impact=Impact.HIGH, impact_rationale="3 signals: quantified claim.",
        consensus="Overlooked", consensus_rationale="Only Business Wire carries it.",
    )
    fields = dict(
        request=make_request(EXAMPLE_TITLE_LINE),
        queries=["Cerebras vs NVIDIA production AI last 3 months", "Groq vs NVIDIA production AI last 3 months"],
        sources=[source, Source(url="https://groq.com/", title="Groq", publisher="Groq")],
        analysis=["First paragraph.", "Second paragraph."],
        findings=[finding, finding.model_copy(update={"impact": Impact.MEDIUM})],
        gaps=[Gap(title="NVIDIA's Response", text="Not covered."), Gap(title="Scale of Displacement", text="Unquantified.")],
        metadata=RunMetadata(model="offline-rules", search_backend="local corpus", generated_at=datetime(2025, 8, 27, 11, 58, 35), tool_version="0"),
    )
    fields.update(overrides)
    return Report(**fields)


def test_structure_matches_the_example_report():
    example = EXAMPLE_REPORT.read_text(encoding="utf-8")
    assert skeleton(render_markdown(sample_report())) == skeleton(example)
    assert "UNRECOGNISED" not in " ".join(skeleton(example))


def test_header_lines_are_exactly_the_examples():
    markdown = render_markdown(sample_report())
    lines = markdown.splitlines()
    example = EXAMPLE_REPORT.read_text(encoding="utf-8").splitlines()
    assert lines[0] == example[0]
    assert lines[1] == example[1] == "**Generated:** Wednesday, August 27, 2025 at 11:58:35 AM"


def test_timestamp_format():
    assert format_timestamp(datetime(2026, 1, 5, 0, 7, 9)) == "Monday, January 5, 2026 at 12:07:09 AM"
    assert format_timestamp(datetime(2026, 1, 5, 13, 0, 0, tzinfo=UTC)) == "Monday, January 5, 2026 at 1:00:00 PM"


NASTY = "Evil **bold** and _it_\nnew line ](javascript:alert(1)) <script>alert(1)</script> $x^2$ `code` [link](https://x.y) &amp; | ~~s~~"


def _html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


def test_document_text_cannot_break_the_structure():
    finding = sample_report().findings[0].model_copy(update={"snippet": NASTY, "impact_rationale": NASTY, "source_label": NASTY})
    report = sample_report(
        findings=[finding], analysis=["# Not a heading " + NASTY, "- not a list", "1. not a list"],
        gaps=[Gap(title="**Title** ](x)", text=NASTY)], queries=[NASTY],
    )
    markdown = render_markdown(report)
    assert skeleton(markdown) == skeleton(render_markdown(sample_report()))
    html = _html(markdown)
    assert "<script>" not in html and "javascript:" not in html.replace("](javascript:", "")
    assert "<em>" not in html and "<del>" not in html and "<h1>Not" not in html and "<ol>" not in html
    clean = _html(render_markdown(sample_report(findings=report.findings[:1], gaps=report.gaps[:1])))
    assert html.count("<strong>") == clean.count("<strong>") == 10  # only the report's own labels
    assert 'href="https://x.y"' not in html  # a link in document text stays text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # shown, not run


def test_escaping_round_trips():
    for text in [NASTY.replace("\n", " "), "a\\b \\* c", "plain text", "1. x"]:
        assert unescape_inline(inline(text)) == " ".join(text.split())
        assert unescape_inline(paragraph(text)) == " ".join(text.split())


def test_link_targets_are_safe():
    assert safe_url("javascript:alert(1)") == "#"
    assert safe_url("https://a.b/x y)(<z>") == "https://a.b/x%20y%29%28%3Cz%3E"
    assert safe_url("file:///tmp/a b.md") == "file:///tmp/a%20b.md"


def test_user_templates_override_the_builtin(tmp_path):
    (tmp_path / "report.md.j2").write_text("Q={{ report.request.question | inline }}\n")
    assert render_markdown(sample_report(), tmp_path) == "Q=Are Cerebras/Groq customers publishing training/inference metrics displacing NVIDIA in production?\n"


def test_hidden_metadata_is_invisible_and_safe():
    request = make_request("Is NVIDIA --> <b>safe</b>?")
    markdown = render_markdown(sample_report(request=request))
    comment = markdown.splitlines()[-1]
    assert comment.startswith("<!-- groundbrief:report ") and comment.count("-->") == 1
    assert "groundbrief:report" not in _html(markdown).replace("<!-- groundbrief:report", "")


def test_unverified_snippet_is_not_shown_as_a_quote():
    finding = sample_report().findings[0].model_copy(update={"verified": False, "snippet": "Cerebras is ten times faster."})
    markdown = render_markdown(sample_report(findings=[finding]))
    assert '*   **Snippet:** *Unverified model statement:* Cerebras is ten times faster.\n' in markdown
    assert '"Cerebras is ten times faster."' not in markdown


def test_a_query_of_dashes_stays_a_list_item():
    markdown = render_markdown(sample_report(queries=["--", "- x", "1. y", "normal query"]))
    queries_html = _html(markdown).split("Sources Referenced")[0]
    assert "<hr" not in queries_html and "<ol" not in queries_html
    assert queries_html.count("<li>") == 4
