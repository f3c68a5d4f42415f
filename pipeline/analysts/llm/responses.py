"""The JSON the LLM stages must return; validated with pydantic whatever the backend.

A reply's text is data like a document's: terminal escapes, control characters and bidi overrides
are removed from it as it is read.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from pipeline.controls import has_text, printable


def _shows_text(value: str) -> str:
    if not has_text(value):
        raise ValueError("must contain a letter or digit")
    return value


def _or_no_reason(value: str) -> str:
    return value if has_text(value) else "The model gave no reason."


Text = Annotated[str, AfterValidator(printable)]
# What a report shows must have something to show: ``check`` refuses a finding with an empty quote
# (the reply is repaired) or impact rationale (said to be missing). Validators, not min_length: the
# JSON schema in the prompts stays as it is.
Quote = Annotated[str, AfterValidator(printable), AfterValidator(_shows_text)]
Reason = Annotated[str, AfterValidator(printable), AfterValidator(_or_no_reason)]


class PlannedQuery(BaseModel):
    text: Text
    entity: Text | None = None
    angle: Text | None = None


class ExpandResponse(BaseModel):
    queries: list[PlannedQuery] = Field(min_length=1)


class AssessedFinding(BaseModel):
    evidence_id: str
    quote: Quote
    impact: Literal["High", "Medium", "Low"]
    impact_rationale: Reason
    # Proposals only: a link counts when the passage is checked to name the claim's companies and its
    # figure (``pipeline.analysts.llm.analyst``); the Consensus and conflict wording is the tool's.
    also_stated_in: list[str] = Field(default_factory=list, max_length=20)
    contradicted_by: list[str] = Field(default_factory=list, max_length=20)


class AssessResponse(BaseModel):
    findings: list[AssessedFinding]


class WrittenGap(BaseModel):
    title: Text
    text: Text


class SynthesisResponse(BaseModel):
    analysis: list[Text] = Field(min_length=1)
    gaps: list[WrittenGap]


class AssessAndSynthesizeResponse(AssessResponse):
    """Assess and synthesize in one reply: the findings first, then the analysis and gaps written from them.
    A field added to ``AssessedFinding`` (or here) reaches this reply and the separate assess reply alike."""

    analysis: list[Text] = Field(min_length=1)
    gaps: list[WrittenGap]


class RevisedSentence(BaseModel):
    id: str
    text: Text


class RevisionResponse(BaseModel):
    sentences: list[RevisedSentence]
