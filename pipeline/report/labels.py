"""The labels of the report format, shared by the template (which writes them) and the parser,
``check`` and ``refresh`` (which read them): one place to change a heading or a field name."""

from __future__ import annotations

#: The built-in report template's file name; ``--templates DIR`` overrides it with DIR's own.
TEMPLATE = "report.md.j2"
#: The HTML page around the rendered markdown (email, PDF); a ``--templates`` folder may replace it too.
HTML_TEMPLATE = "report.html.j2"
#: The hidden comment that carries the request and run metadata (``<!-- groundbrief:report {…} -->``).
METADATA_MARKER = "groundbrief:report"

#: Section names as the format writes them, by the case-free name a heading may carry.
SECTIONS = {
    "search queries used": "## Search Queries Used",
    "sources referenced": "## Sources Referenced",
    "analysis": "## Analysis",
    "key findings": "**Key Findings:**",
    "contradictions and gaps": "**Contradictions and Gaps:**",
}
QUERIES, SOURCES, ANALYSIS, FINDINGS, GAPS = SECTIONS.values()
FINDING_FIELDS = {
    "snippet": "Snippet",
    "date": "Date",
    "source": "Source",
    "sources": "Source",
    "impact": "Impact",
    "consensus check": "Consensus Check",
    "consensus": "Consensus Check",
    "status": "Status",
}
#: What the template writes under Key Findings when there are none: the evidence had no claim, or the
#: model's assessment of it could not be used.
NO_FINDINGS = "No finding met the bar: no retrieved passage made a measurable or commercial claim."
NO_FINDINGS_UNUSABLE = (
    "No finding met the bar: the model's assessment of the evidence could not be used (see Contradictions and Gaps)."
)
OFFER_LABEL = "regenerated analysis"
