"""The JSON the LLM stages must return; validated with pydantic whatever the backend."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class PlannedQuery(BaseModel):
    text: str
    entity: str | None = None
    angle: str | None = None


class ExpandResponse(BaseModel):
    queries: list[PlannedQuery] = Field(min_length=1)


class AssessedFinding(BaseModel):
    evidence_id: str
    quote: str
    impact: Literal["High", "Medium", "Low"]
    impact_rationale: str


class AssessResponse(BaseModel):
    findings: list[AssessedFinding]


class WrittenGap(BaseModel):
    title: str
    text: str


class SynthesisResponse(BaseModel):
    analysis: list[str] = Field(min_length=1)
    gaps: list[WrittenGap]


class RevisedSentence(BaseModel):
    id: str
    text: str


class RevisionResponse(BaseModel):
    sentences: list[RevisedSentence]
