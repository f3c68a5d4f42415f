"""The labels and gaps every backend's report shares, computed once by the orchestrator."""

from __future__ import annotations

import json

from pipeline.analysts.llm import LLMAnalyst
from pipeline.cache import StageCache
from pipeline.gaps import UNDATED, evidence_gaps, labelled
from pipeline.models import Finding, GapKind, Impact, QueryFailure, SearchResults, Source
from pipeline.orchestrator import run_research
from pipeline.search.corpus import CorpusSearcher
from pipeline.stages import Backends
from tests.conftest import make_request, write_doc
from tests.test_llm_analyst import FakeChatModel

CLAIM = "Groq raised $750 million at a $6.9 billion valuation."


def _finding(*sources: Source) -> Finding:
    return Finding(
        snippet=CLAIM, sources=list(sources), impact=Impact.HIGH, impact_rationale="money",
        consensus="Overlooked", consensus_rationale="one publisher", corroboration=len(sources),
    )


def test_labels_come_from_the_sources_whoever_assessed():
    dated = Source(url="https://wire.example/a", publisher="Business Wire", published=make_request().as_of)
    undated = Source(url="https://blog.example/b")
    finding = labelled(_finding(dated, undated))
    assert finding.date_label == "November 24, 2026" and finding.source_label == "Business Wire, blog.example"
    assert labelled(_finding(undated)).date_label == UNDATED


def test_evidence_gaps_name_what_the_evidence_lacks():
    request = make_request(window="3m")
    results = SearchResults(out_of_window=3, failures=[QueryFailure(query="Groq q", error="503 UNAVAILABLE")])
    gaps = evidence_gaps(request, results, [_finding(Source(url="https://blog.example/b", publisher="Groq Blog"))])
    assert [g.kind for g in gaps] == [GapKind.SINGLE_SOURCE, GapKind.UNDATED, GapKind.WINDOW, GapKind.FAILURE]
    assert "3 matching documents were dated before" in gaps[2].text and "Groq q" in gaps[3].text


def test_llm_report_over_a_corpus_says_documents_were_outside_the_window(tmp_path):
    """The gap used to be written only by the embedded analyst: a model-analysed report dropped it."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    write_doc(corpus, "new.md", CLAIM, title="Groq funding", publisher="Reuters", date="2026-11-01")
    write_doc(corpus, "old.md", "Groq raised $300 million in 2021.", title="Old Groq round", publisher="Reuters", date="2021-04-14")
    chat = FakeChatModel({  # a scripted fake model, named as one
        "expand": [json.dumps({"queries": [{"text": "Groq funding"}]})],
        "assess": [json.dumps({"findings": [{
            "evidence_id": "E1", "quote": CLAIM, "impact": "High", "impact_rationale": "A $6.9 billion valuation.",
        }]})],
        "synthesize": [json.dumps({"analysis": ["Groq raised $750 million."], "gaps": []})],
    })
    backends = Backends(LLMAnalyst(chat, separate=True), CorpusSearcher(corpus, tmp_path / "cache", print))
    report = run_research(make_request("Groq vs NVIDIA", window="12m", query_count=1), backends, StageCache(None, print))
    window = [gap for gap in report.gaps if gap.kind is GapKind.WINDOW]
    assert len(window) == 1 and "1 matching document was dated before" in window[0].text
    assert report.findings[0].date_label == "November 1, 2026" and report.findings[0].source_label == "Reuters"
