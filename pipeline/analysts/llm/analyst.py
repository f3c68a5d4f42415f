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

from pipeline.analysts.llm.packing import Packing, count_tokens, pack
from pipeline.analysts.llm.responses import (
    AssessAndSynthesizeResponse,
    AssessResponse,
    ExpandResponse,
    RevisionResponse,
    SynthesisResponse,
)
from pipeline.baseline import distinct_claims
from pipeline.corroboration import Conflict, Side, claim_of, contradiction_in, corroborate, reach_of
from pipeline.entities import find_entities
from pipeline.errors import GroundbriefError, ModelCallError, ModelOutputError
from pipeline.models import (
    Assessment,
    AuditedSentence,
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
from pipeline.prompts import PromptBook
from pipeline.providers.base import ChatModel
from pipeline.providers.secrets import one_line
from pipeline.quotes import locate_quote
from pipeline.report.formatting import format_date

T = TypeVar("T", bound=BaseModel)

MAX_FINDINGS = 8
MAX_ASSESS_CALLS = 4
RESERVED_OUTPUT_TOKENS = 4096
MAX_PUBLISHER_CHARS = 120
_WORD = re.compile(r"\w+")
_THINK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_FENCED_JSON = re.compile(r"^\s*```(?:json)?\s*(.*?)\s*```\s*$", re.DOTALL)
_IMPACT_ORDER = {Impact.HIGH: 0, Impact.MEDIUM: 1, Impact.LOW: 2}
#: The Analysis of a report whose one assessing and writing call failed; the gaps say why.
NO_ANALYSIS = "No analysis was written: the model call that assesses the evidence and writes the analysis failed."
_WHERE = {"analysis": "analysis paragraph {}", "impact": "impact rationale of finding {}",
          "consensus": "consensus rationale of finding {}", "gap": "gap {}"}


class LLMAnalyst:
    """Implements the ``Analyst`` stages on a ``ChatModel``, and ``CombinedAnalyst`` unless ``separate``:
    assess and synthesize in one call when the evidence fits one."""

    def __init__(self, chat: ChatModel, prompts: Path | None = None, *, separate: bool = False):
        self.chat = chat
        self.prompts = PromptBook(prompts)
        self.separate = separate

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
        """The model's queries, each once: a query with the words of an earlier one but for case, order or
        plurals ("case study" / "case studies") is dropped, since each grounded search is paid for."""
        prompt = self.prompts.render("expand.md.j2", ExpandResponse, request=request)
        reply = self._ask("expand", prompt, ExpandResponse)
        queries = [SearchQuery(text=q.text, entity=q.entity, angle=q.angle) for q in reply.queries]
        distinct = {_query_words(query.text): query for query in reversed(queries)}  # the first of each stays
        return [query for query in queries if distinct[_query_words(query.text)] is query][: request.query_count]

    def assess(self, request: ResearchRequest, results: SearchResults) -> Assessment:
        evidence, items, packing = self._packed(request, results, self._assess_prompt(request, []))
        judged = _Judged(request, evidence)
        for batch in packing.batches:
            chosen = [items[i] for i in batch]
            try:
                reply = self._ask("assess", self._assess_prompt(request, chosen), AssessResponse)
            except (ModelCallError, ModelOutputError) as error:
                judged.failed.append(_failed_assessment(len(chosen), error))
                continue
            judged.add(reply, chosen)
        return judged.assessment(packing.omitted, self.chat.context_tokens)

    def synthesize(self, request: ResearchRequest, results: SearchResults, assessment: Assessment) -> Synthesis:
        prompt = self.prompts.render(
            "synthesize.md.j2",
            SynthesisResponse,
            request=request,
            queries=results.executed_queries,
            failures=_failures(results),
            findings=[_finding_item(f) for f in assessment.findings],
        )
        return _synthesis(self._ask("synthesize", prompt, SynthesisResponse))

    def combines(self, request: ResearchRequest, results: SearchResults) -> bool:
        """Whether assess and synthesize are one call for these results: unless the stages are set apart
        for this model, when every passage fits one call's context budget."""
        if self.separate:
            return False
        _, _, packing = self._packed(request, results, self._combined_prompt(request, results, []))
        return len(packing.batches) <= 1 and not packing.omitted

    def assess_and_synthesize(self, request: ResearchRequest, results: SearchResults) -> tuple[Assessment, Synthesis]:
        """Assess the evidence and write the analysis and gaps in one call (one model round fewer than
        ``assess`` then ``synthesize``), with the same checks on the findings. A failed call leaves a
        partial report that says so."""
        evidence, items, packing = self._packed(request, results, self._combined_prompt(request, results, []))
        chosen = [items[i] for batch in packing.batches for i in batch]
        judged = _Judged(request, evidence)
        try:
            reply = self._ask("assess+synthesize", self._combined_prompt(request, results, chosen), AssessAndSynthesizeResponse)
        except (ModelCallError, ModelOutputError) as error:
            judged.failed.append(_failed_assessment(len(chosen), error))
            return judged.assessment(packing.omitted, self.chat.context_tokens), Synthesis(analysis=[NO_ANALYSIS], gaps=[])
        judged.add(reply, chosen)
        return judged.assessment(packing.omitted, self.chat.context_tokens), _synthesis(reply)

    def revise(self, request: ResearchRequest, findings: list[Finding], flagged: list[AuditedSentence]) -> list[str]:
        """The one repair round of the prose audit: the model rewrites each sentence it was told lacks support.
        A failed call revises nothing (``[]``); the audit then removes what is unsupported."""
        sentences = [
            {"id": f"S{n}", "where": _WHERE[s.section].format(s.item + 1), "text": s.text, "unsupported": s.unsupported}
            for n, s in enumerate(flagged, 1)
        ]
        prompt = self.prompts.render(
            "revise.md.j2", RevisionResponse, request=request, findings=[_finding_item(f) for f in findings],
            sentences=sentences,
        )
        try:
            reply = self._ask("revise", prompt, RevisionResponse)
        except (ModelCallError, ModelOutputError):
            return []
        rewrites = {item.id: item.text for item in reply.sentences}
        return [rewrites.get(f"S{n}", s.text) for n, s in enumerate(flagged, 1)]

    def _assess_prompt(self, request: ResearchRequest, evidence: list[dict]) -> str:
        return self.prompts.render(
            "assess.md.j2", AssessResponse, request=request, evidence=evidence, max_findings=MAX_FINDINGS
        )

    def _combined_prompt(self, request: ResearchRequest, results: SearchResults, evidence: list[dict]) -> str:
        return self.prompts.render(
            "assess_synthesize.md.j2", AssessAndSynthesizeResponse, request=request, evidence=evidence,
            max_findings=MAX_FINDINGS, queries=results.executed_queries, failures=_failures(results),
        )

    def _packed(self, request: ResearchRequest, results: SearchResults, empty_prompt: str) -> tuple[list[Evidence], list[dict], Packing]:
        """The distinct passages, as prompt items, packed into calls whose prompt (``empty_prompt`` plus
        the passages) leaves room for the reply in the model's context."""
        evidence = _unique(results.evidence)
        items = [_evidence_item(f"E{n}", item) for n, item in enumerate(evidence, 1)]
        budget = self.chat.context_tokens - RESERVED_OUTPUT_TOKENS - count_tokens(empty_prompt)
        return evidence, items, pack([count_tokens(item["text"]) + 40 for item in items], budget, MAX_ASSESS_CALLS)

    def _ask(self, stage: str, prompt: str, schema: type[T]) -> T:
        """One call, validated; on invalid output one repair call that shows the model its error. Failing
        that, the error says what the two calls spent (they are in the model's usage too)."""
        before = self.chat.usage
        reply = self.chat.generate_json(prompt, schema, stage)
        try:
            return schema.model_validate_json(clean_reply(reply))
        except ValidationError as error:
            repair = self.prompts.render("repair.md.j2", original_prompt=prompt, error=_short(error))
            second = self.chat.generate_json(repair, schema, stage)
            try:
                return schema.model_validate_json(clean_reply(second))
            except ValidationError as again:
                spent = _tokens(self.chat.usage) - _tokens(before)
                cost = self.chat.usage.estimated_cost_usd - before.estimated_cost_usd
                raise ModelOutputError(
                    f"{self.chat.model_label} returned invalid output for the {stage} stage twice: {_short(again)}; "
                    f"the two calls used {spent:,} tokens (estimated ${cost:.4f})"
                ) from None


class _Judged:
    """The findings of one or more assessing replies, checked against the evidence, and what was left out."""

    def __init__(self, request: ResearchRequest, evidence: list[Evidence]):
        self.request, self.evidence = request, evidence
        self.findings: list[Finding] = []
        self.conflicts: list[Gap] = []
        self.discarded = 0
        self.failed: list[Gap] = []

    def add(self, reply: AssessResponse, chosen: list[dict]) -> None:
        by_id = {item["id"]: self.evidence[int(item["id"][1:]) - 1] for item in chosen}
        for assessed in reply.findings:
            finding = _to_finding(assessed, by_id, self.request, self.evidence)
            if finding is None:
                self.discarded += 1
            else:
                self.findings.append(finding)
                self.conflicts += proposed_conflicts(assessed, by_id, finding, find_entities(self.request).all)

    def assessment(self, omitted: list[int], context: int) -> Assessment:
        findings = _merge_repeats(self.findings)
        findings.sort(key=lambda f: (_IMPACT_ORDER[f.impact], not f.verified))
        omissions = _omissions(self.evidence, omitted, self.discarded, context, findings[MAX_FINDINGS:])
        conflicts = list({gap.title + gap.text: gap for gap in self.conflicts}.values())
        return Assessment(findings=findings[:MAX_FINDINGS], omissions=self.failed + omissions, conflicts=conflicts,
                          partial=bool(self.failed))


def _synthesis(reply: SynthesisResponse | AssessAndSynthesizeResponse) -> Synthesis:
    return Synthesis(analysis=reply.analysis, gaps=[Gap(title=g.title, text=g.text, kind=GapKind.WRITTEN) for g in reply.gaps])


def _failures(results: SearchResults) -> list[str]:
    return [f"{f.query} ({f.error})" for f in results.failures]


def _query_words(text: str) -> tuple[str, ...]:
    """A query's words, case-free, in order, with plurals folded: the same search however it is written."""
    def singular(word: str) -> str:
        if len(word) > 4 and word.endswith("ies"):
            return word[:-3] + "y"
        return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word

    return tuple(sorted(singular(word) for word in _WORD.findall(text.casefold())))


def _tokens(usage: TokenUsage) -> int:
    return usage.prompt_tokens + usage.output_tokens + usage.thought_tokens + usage.tool_tokens


def clean_reply(text: str) -> str:
    """Strip reasoning (``<think>…</think>``, or everything up to a ``</think>`` whose opening tag the
    model left out) and markdown code fences around the JSON."""
    text = _THINK.sub("", text).rsplit("</think>", 1)[-1].strip()
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
        "verified": item.verified,
    }


def _failed_assessment(passages: int, error: GroundbriefError) -> Gap:
    if isinstance(error, ModelOutputError):
        return Gap(
            title="Unusable model output",
            text=f"{passages} passages were not assessed because the model's reply could not be used: {error}",
            kind=GapKind.UNUSABLE,
        )
    return Gap(
        title="Assessment call failed",
        text=f"{passages} passages were not assessed because the model call failed: {error}",
        kind=GapKind.FAILURE,
    )


def _to_finding(assessed, by_id: dict[str, Evidence], request: ResearchRequest, evidence: list[Evidence]) -> Finding | None:
    """The model's assessment on the report model. The quote is checked against the evidence, and the
    Consensus Check recomputed from it: the publishers that really carry the quote, not those the model named."""
    cited = by_id.get(assessed.evidence_id)
    if cited is None:
        return None
    verbatim = locate_quote(assessed.quote, cited.text)
    verified = verbatim is not None and cited.verified
    linked: list[Evidence] = []
    if verbatim is not None and verified:
        linked = [by_id[i] for i in assessed.also_stated_in if i in by_id and by_id[i] is not cited]
        carried = corroborate(verbatim, cited, evidence, find_entities(request).all, reach_of(evidence, "retrieved"), linked)
        sources, consensus, consensus_rationale, publishers = carried.sources, carried.consensus, carried.rationale, carried.publishers
    else:
        label = cited.source.publisher or cited.source.domain
        sources, consensus = [cited.source], Consensus.OVERLOOKED
        consensus_rationale = f"Unverified: the quote was not found in {label}'s text, so no publisher is known to carry it."
        publishers = 1
    return Finding(
        snippet=verbatim or assessed.quote,
        sources=sources,
        impact=Impact(assessed.impact),
        impact_rationale=assessed.impact_rationale,
        consensus=consensus.value,
        consensus_rationale=consensus_rationale,
        corroboration=publishers,
        verified=verified,
        linked=list(dict.fromkeys(item.source.url for item in linked if item.source.url in {s.url for s in sources})),
    )


def proposed_conflicts(assessed, by_id: dict[str, Evidence], finding: Finding, companies: list[str]) -> list[Gap]:
    """The contradictions a model proposed for a finding, as gaps, each only if it holds mechanically:
    the passage names the claim's companies and gives its figure another value, or its event another
    name. The wording is the tool's (``pipeline.corroboration``)."""
    cited = by_id.get(assessed.evidence_id)
    claim = claim_of(finding.snippet, companies, cited.source.title) if finding.verified and cited is not None else None
    if cited is None or claim is None:
        return []
    gaps: list[Gap] = []
    for item in (by_id[i] for i in assessed.contradicted_by if i in by_id):
        said = contradiction_in(claim, item, companies)
        if said is None or item.source.publisher_key == cited.source.publisher_key:
            continue
        mine, theirs, sentence = said
        kind = "figures" if any(ch.isdigit() for ch in mine) else "characterization"
        sides = (Side(mine, finding.snippet, (cited.source,)), Side(theirs, sentence.text, (item.source,)))
        gaps.append(Conflict(kind, claim.companies, "one claim in two accounts", sides, (claim, sentence)).as_gap())
    return gaps


def _merge_repeats(findings: list[Finding]) -> list[Finding]:
    """One finding per claim: a model that repeats a finding (across calls, or from two passages) would
    otherwise list it twice. The verified statement of it is kept, then the higher-rated one."""
    preferred = sorted(findings, key=lambda f: (not f.verified, _IMPACT_ORDER[f.impact]))
    return distinct_claims(preferred, lambda finding: finding.snippet)


def _finding_item(finding: Finding) -> dict:
    """A finding for the synthesize and revise prompts; an unverified one is labelled so in its fence.
    Its date is shown without the label's "(from the URL)", which is for the reader."""
    published = finding.sources[0].published if finding.sources else None
    when = format_date(published) if published else finding.date_label
    text = (
        f'"{finding.snippet}" ({finding.source_label}; {when}; impact {finding.impact.value}; '
        f"consensus {finding.consensus})"
    )
    return {"text": text, "verified": finding.verified}


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
            kind=GapKind.UNUSABLE,
        ))
    if extra:
        gaps.append(Gap(
            title="Findings beyond the limit",
            text=f"{len(extra)} lower-ranked finding{'s' if len(extra) > 1 else ''} beyond the {MAX_FINDINGS} shown "
            "were not listed, starting with: " + "; ".join(f"“{f.snippet[:80]}…”" for f in extra[:3]) + ".",
            kind=GapKind.OMISSION,
        ))
    return gaps
