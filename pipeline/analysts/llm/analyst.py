"""The LLM analyst: expand, assess and synthesize with any chat model behind ``ChatModel``.

Backends (Gemini through google-genai, other providers through LangChain) only implement
``ChatModel.generate_json``; prompts, evidence packing, validation with one repair retry,
verbatim-quote checks and the mapping onto the report model live here, once.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from pipeline.errors import ModelCallError, ModelOutputError
from pipeline.report.formatting import format_date
from pipeline.models import (
    Assessment,
    Consensus,
    Evidence,
    Finding,
    Gap,
    GapKind,
    Impact,
    ResearchRequest,
    SearchQuery,
    SearchResults,
    Synthesis,
    TokenUsage,
)
from pipeline.analysts.llm.packing import count_tokens, pack
from pipeline.prompts import PromptBook
from pipeline.providers.base import ChatModel
from pipeline.providers.secrets import one_line
from pipeline.analysts.llm.responses import AssessResponse, ExpandResponse, SynthesisResponse
from pipeline.quotes import locate_quote

T = TypeVar("T", bound=BaseModel)

MAX_FINDINGS = 8
MAX_ASSESS_CALLS = 4
RESERVED_OUTPUT_TOKENS = 4096
MAX_PUBLISHER_CHARS = 120
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCED_JSON = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_IMPACT_ORDER = {Impact.HIGH: 0, Impact.MEDIUM: 1, Impact.LOW: 2}


class LLMAnalyst:
    """Implements the ``Analyst`` stages on a ``ChatModel``."""

    def __init__(self, chat: ChatModel, prompts: Path | None = None):
        self.chat = chat
        self.prompts = PromptBook(prompts)

    @property
    def identity(self) -> str:
        return f"{self.chat.identity}|prompts:{self.prompts.digest}"

    @property
    def model_label(self) -> str:
        return self.chat.model_label

    @property
    def usage(self) -> TokenUsage:
        return self.chat.usage

    def expand(self, request: ResearchRequest) -> list[SearchQuery]:
        prompt = self.prompts.render("expand.md.j2", ExpandResponse, request=request)
        reply = self._ask("expand", prompt, ExpandResponse)
        return [SearchQuery(text=q.text, entity=q.entity, angle=q.angle) for q in reply.queries][: request.query_count]

    def assess(self, request: ResearchRequest, results: SearchResults) -> Assessment:
        evidence = _unique(results.evidence)
        items = [_evidence_item(f"E{n}", item) for n, item in enumerate(evidence, 1)]
        overhead = count_tokens(self._assess_prompt(request, []))
        budget = self.chat.context_tokens - RESERVED_OUTPUT_TOKENS - overhead
        packing = pack([count_tokens(item["text"]) + 40 for item in items], budget, MAX_ASSESS_CALLS)
        findings: list[Finding] = []
        discarded = 0
        failed: list[Gap] = []
        for batch in packing.batches:
            chosen = [items[i] for i in batch]
            prompt = self._assess_prompt(request, chosen)
            try:
                reply = self._ask("assess", prompt, AssessResponse)
            except ModelCallError as error:
                failed.append(Gap(
                    title="Assessment call failed",
                    text=f"{len(chosen)} passages were not assessed because the model call failed: {error}",
                    kind=GapKind.FAILURE,
                ))
                continue
            for assessed in reply.findings:
                finding = _to_finding(assessed, {item["id"]: evidence[int(item["id"][1:]) - 1] for item in chosen})
                if finding is None:
                    discarded += 1
                else:
                    findings.append(finding)
        findings.sort(key=lambda f: _IMPACT_ORDER[f.impact])
        omissions = _omissions(evidence, packing.omitted, discarded, self.chat.context_tokens, findings[MAX_FINDINGS:])
        return Assessment(findings=findings[:MAX_FINDINGS], omissions=failed + omissions, partial=bool(failed))

    def synthesize(self, request: ResearchRequest, results: SearchResults, assessment: Assessment) -> Synthesis:
        prompt = self.prompts.render(
            "synthesize.md.j2",
            SynthesisResponse,
            request=request,
            queries=results.executed_queries,
            failures=[f"{f.query} ({f.error})" for f in results.failures],
            findings=[_finding_text(f) for f in assessment.findings],
        )
        reply = self._ask("synthesize", prompt, SynthesisResponse)
        return Synthesis(analysis=reply.analysis, gaps=[Gap(title=g.title, text=g.text) for g in reply.gaps])

    def _assess_prompt(self, request: ResearchRequest, evidence: list[dict]) -> str:
        return self.prompts.render(
            "assess.md.j2", AssessResponse, request=request, evidence=evidence, max_findings=MAX_FINDINGS
        )

    def _ask(self, stage: str, prompt: str, schema: type[T]) -> T:
        """One call, validated; on invalid output one repair call that shows the model its error."""
        reply = self.chat.generate_json(prompt, schema, stage)
        try:
            return schema.model_validate_json(clean_reply(reply))
        except ValidationError as error:
            repair = self.prompts.render("repair.md.j2", original_prompt=prompt, error=_short(error))
            second = self.chat.generate_json(repair, schema, stage)
            try:
                return schema.model_validate_json(clean_reply(second))
            except ValidationError as again:
                raise ModelOutputError(
                    f"{self.chat.model_label} returned invalid output for the {stage} stage twice: {_short(again)}"
                ) from None


def clean_reply(text: str) -> str:
    """Strip reasoning (``<think>…</think>``) and markdown code fences around the JSON."""
    text = _THINK.sub("", text).strip()
    fenced = _FENCED_JSON.match(text)
    return fenced.group(1) if fenced else text


def _short(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ())) or "reply"
    return f"{where}: {first.get('msg')} ({error.error_count()} error{'s' if error.error_count() > 1 else ''})"


def _unique(evidence: list[Evidence]) -> list[Evidence]:
    seen: dict[tuple[str, str], Evidence] = {}
    for item in sorted(evidence, key=lambda e: -e.score):
        seen.setdefault((item.source.url, item.text), item)
    return list(seen.values())


def _evidence_item(evidence_id: str, item: Evidence) -> dict:
    """A passage for the assess prompt. The publisher comes from the page (``og:site_name``), so it is
    as untrusted as the text: the template puts it inside the passage's fence, on one line."""
    source = item.source
    return {
        "id": evidence_id,
        "publisher": one_line(source.publisher or source.domain, MAX_PUBLISHER_CHARS),
        "date": source.published.isoformat() if source.published else "undated",
        "text": item.text,
    }


def _to_finding(assessed, by_id: dict[str, Evidence]) -> Finding | None:
    """The model's assessment on the report model; the quote is checked against the evidence."""
    cited = by_id.get(assessed.evidence_id)
    if cited is None:
        return None
    verbatim = locate_quote(assessed.quote, cited.text)
    sources = [cited.source]
    for supporting in assessed.supporting_ids:
        other = by_id.get(supporting)
        if other and other.source.publisher_key not in {s.publisher_key for s in sources}:
            sources.append(other.source)
    return Finding(
        snippet=verbatim or assessed.quote,
        sources=sources,
        impact=Impact(assessed.impact),
        impact_rationale=assessed.impact_rationale,
        consensus=Consensus(assessed.consensus).value,
        consensus_rationale=assessed.consensus_rationale,
        corroboration=len(sources),
        verified=verbatim is not None and cited.verified,
    )


def _finding_text(finding: Finding) -> str:
    """A finding as the synthesize prompt lists it; its date without the label's "(from the URL)",
    which is for the reader."""
    published = finding.sources[0].published if finding.sources else None
    when = format_date(published) if published else finding.date_label
    return (
        f'"{finding.snippet}" ({finding.source_label}; {when}; impact {finding.impact.value}; '
        f"consensus {finding.consensus})"
    )


def _omissions(
    evidence: list[Evidence], omitted: list[int], discarded: int, context: int, extra: list[Finding]
) -> list[Gap]:
    gaps: list[Gap] = []
    if omitted:
        publishers = sorted({evidence[i].source.publisher or evidence[i].source.domain for i in omitted})
        gaps.append(Gap(
            title="Evidence left out",
            text=f"{len(omitted)} of {len(evidence)} passages did not fit the model's context budget "
            f"({context:,} tokens, {MAX_ASSESS_CALLS} calls at most) and were not assessed; they came from "
            f"{', '.join(publishers[:6])}{' and others' if len(publishers) > 6 else ''}.",
            kind=GapKind.OMISSION,
        ))
    if discarded:
        gaps.append(Gap(
            title="Unusable assessments",
            text=f"The model cited {discarded} passage id{'s' if discarded > 1 else ''} that did not exist; "
            "those assessments were discarded.",
            kind=GapKind.OMISSION,
        ))
    if extra:
        gaps.append(Gap(
            title="Findings beyond the limit",
            text=f"{len(extra)} lower-ranked finding{'s' if len(extra) > 1 else ''} beyond the {MAX_FINDINGS} shown "
            "were not listed, starting with: " + "; ".join(f"“{f.snippet[:80]}…”" for f in extra[:3]) + ".",
            kind=GapKind.OMISSION,
        ))
    return gaps
