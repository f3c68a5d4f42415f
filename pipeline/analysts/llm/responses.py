"""The JSON the LLM stages must return; validated with pydantic whatever the backend."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from pipeline.controls import has_text


def _shows_text(value: str) -> str:
    if not has_text(value):
        raise ValueError("must contain a letter or digit")
    return value


# What a report shows must have something to show: ``check`` refuses a finding with an empty quote or
# impact rationale. (A validator, not min_length: the JSON schema in the prompts stays as it is.)
ShownText = Annotated[str, AfterValidator(_shows_text)]


class PlannedQuery(BaseModel):
    text: str
    entity: str | None = None
    angle: str | None = None


class ExpandResponse(BaseModel):
    queries: list[PlannedQuery] = Field(min_length=1)


class AssessedFinding(BaseModel):
    evidence_id: str
    quote: ShownText
    supporting_ids: list[str] = Field(default_factory=list)
    impact: Literal["High", "Medium", "Low"]
    impact_rationale: ShownText
    consensus: Literal["Overlooked", "Emerging", "Widely known"]
    consensus_rationale: str


class AssessResponse(BaseModel):
    findings: list[AssessedFinding]


class WrittenGap(BaseModel):
    title: str
    text: str


class SynthesisResponse(BaseModel):
    analysis: list[str] = Field(min_length=1)
    gaps: list[WrittenGap]
