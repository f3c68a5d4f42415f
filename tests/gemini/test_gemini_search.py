"""Grounded web search: supports become evidence checked against the cited pages, replayed from cassettes."""

from __future__ import annotations

from datetime import date

import pytest
from google.genai import types

from pipeline.providers.gemini import read_reply
from pipeline.search.grounding import grounded_answer
from pipeline.search.web import supporting_passage
from tests.gemini.scenarios import (
    BENCHMARKS,
    BUSINESSWIRE,
    CEREBRAS_BLOG,
    LIVE_MODEL,
    QUERIES,
    SEARCH_LINK,
    gemini_replies,
    gemini_requests,
    grounded_search,
    page_texts,
)


def _response(reply: dict) -> types.GenerateContentResponse:
    """The SDK's own parse of a recorded reply (camelCase JSON, as the client receives it)."""
    return types.GenerateContentResponse.model_validate(reply)


@pytest.mark.live
@pytest.mark.vcr
@pytest.mark.default_cassette("search_live.yaml")
def test_every_verified_passage_is_verbatim_from_its_page_and_every_statement_has_a_source(vcr):
    results = grounded_search([0], LIVE_MODEL)
    pages = page_texts(vcr)
    (reply,) = gemini_replies(vcr)
    answer = grounded_answer(read_reply(_response(reply)))
    assert results.executed_queries == list(answer.searches)
    assert results.evidence and not results.failures
    for item in results.evidence:
        assert item.source.url.startswith("https://")
        if item.verified:
            assert "".join(item.text.split()) in pages[item.source.url]
        else:
            assert item.text in {statement.text for statement in answer.statements}


@pytest.mark.vcr
@pytest.mark.default_cassette("grounded_search.yaml")
def test_supports_become_evidence_linked_to_resolved_sources():
    results = grounded_search([0])
    assert results.executed_queries == [q for q in BENCHMARKS.searches if q]  # "" left out
    by_text = {item.text: item for item in results.evidence}
    benchmark = next(item for text, item in by_text.items() if "3,045 tokens per second" in text)
    assert benchmark.verified and benchmark.text == (
        "SUNNYVALE, Calif.--(BUSINESS WIRE)--Cerebras Systems today announced that its CS-3 systems served "
        "OpenAI’s gpt-oss-120B at 3,045 tokens per second. NVIDIA’s B300 GPUs reached 1,174 tokens per second "
        "on the same model in the same run."
    )
    assert benchmark.source.url == BUSINESSWIRE and benchmark.source.label is None
    assert (benchmark.source.publisher, benchmark.source.published) == ("Business Wire", date(2026, 10, 14))
    assert benchmark.query == QUERIES[0][0] and benchmark.score == pytest.approx(1.94)
    mistral = next(item for text, item in by_text.items() if text.startswith("Zürich-based"))
    assert mistral.verified and mistral.source.url == CEREBRAS_BLOG and mistral.source.published is None
    measured = next(item for text, item in by_text.items() if text.startswith("The result was independently"))
    assert measured.verified and measured.score == 1.0  # no confidenceScores on that support
    (unchecked,) = [item for item in results.evidence if not item.verified]
    assert unchecked.text == BENCHMARKS.supports[3].sentence and unchecked.source.url == SEARCH_LINK
    assert [s.domain for s in results.sources] == ["businesswire.com", "cerebras.ai", "google.com"]
    assert "a search results page, not a publication" in results.warnings[0]


@pytest.mark.vcr
@pytest.mark.default_cassette("empty_grounding.yaml")
def test_an_answer_without_grounding_is_a_warning_not_evidence():
    results = grounded_search([2])
    assert results.evidence == [] and results.failures == [] and results.executed_queries == []
    assert results.warnings == [f'the model answered "{QUERIES[2][0]}" without searching the web; nothing from it is used']


@pytest.mark.vcr
@pytest.mark.default_cassette("grounded_search.yaml")
def test_segments_are_cut_by_utf8_byte_offsets(vcr):
    (reply,) = gemini_replies(vcr)
    supports = reply["candidates"][0]["groundingMetadata"]["groundingSupports"]
    assert "startIndex" not in supports[0]["segment"]  # the API leaves out a zero
    text = reply["candidates"][0]["content"]["parts"][0]["text"]
    assert supports[2]["segment"]["startIndex"] > text.index("Zürich")  # bytes, not characters
    for support in supports:  # without the API's text, the offsets alone give the same statements
        del support["segment"]["text"]
    answer = grounded_answer(read_reply(_response(reply)))
    assert [s.text for s in answer.statements] == [support.sentence for support in BENCHMARKS.supports]
    assert [s.chunks for s in answer.statements] == [(0, 1), (0,), (1,), (2,)]
    assert [s.confidence for s in answer.statements] == [0.94, None, 0.88, 0.52]
    assert answer.chunks[2].title == "" and answer.cited()[0].title == "businesswire.com"


def test_missing_fields_and_empty_metadata_are_tolerated():
    bare = {"candidates": [{"content": {"parts": [{"text": "No sources."}], "role": "model"}, "groundingMetadata": {}}]}
    answer = grounded_answer(read_reply(_response(bare)))
    assert (answer.text, answer.searches, answer.chunks, answer.statements, answer.searched) == ("No sources.", (), (), (), False)
    odd = {"candidates": [{"content": {"parts": [{"text": "Ab."}]}, "groundingMetadata": {
        "groundingChunks": [{"retrievedContext": {"uri": "gs://x"}}, {"web": {"uri": "https://a.example/"}}],
        "groundingSupports": [{"segment": {"endIndex": 3}, "groundingChunkIndices": [1, 7]}, {"groundingChunkIndices": [0]}],
        "webSearchQueries": ["", "  ", "a"],
    }}]}
    answer = grounded_answer(read_reply(_response(odd)))
    assert answer.chunks[0] is None and answer.chunks[1].uri == "https://a.example/"
    assert [(s.text, s.chunks) for s in answer.statements] == [("Ab.", (1, 7))]
    assert answer.searches == ("a",) and [c.uri for c in answer.cited()] == ["https://a.example/"]
    assert grounded_answer(read_reply(_response({}))).statements == ()


PAGE = (
    "SUNNYVALE, Calif. -- Cerebras said on Tuesday that its CS-3 served Llama 4 Maverick at 2,522 tokens per second. "
    "NVIDIA Blackwell reached 1,038 tokens per second in the same test. Cerebras. The company did not give prices."
)


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        ("Cerebras served Llama 4 Maverick at 2,522 tokens per second on its CS-3.",
         "SUNNYVALE, Calif. -- Cerebras said on Tuesday that its CS-3 served Llama 4 Maverick at 2,522 tokens per second."),
        ("Cerebras reached 2,522 tokens per second with Llama 4 Maverick, against 1,038 for NVIDIA Blackwell.",
         PAGE[: PAGE.index(" Cerebras. The")]),
        ("Cerebras served Llama 4 Maverick at 3,100 tokens per second.", None),  # a figure the page doesn't state
        ("Cerebras did not give its prices or its margins for the CS-3 in 2026 filings.", None),  # too little in common
        ("NVIDIA Blackwell reached 1,038 tokens per second in the same test.", "NVIDIA Blackwell reached 1,038 tokens per second in the same test."),
    ],
)
def test_supporting_passage_is_the_pages_own_shortest_run_of_sentences(statement, expected):
    found = supporting_passage(statement, PAGE)
    assert found == expected
    assert found is None or found in PAGE


def test_supporting_passage_keeps_non_ascii_text_verbatim():
    page = "Zürich-based Mistral AI moved Le Chat’s inference to Cerebras in September. Café owners noticed."
    assert supporting_passage("Mistral AI, based in Zürich, moved Le Chat inference to Cerebras.", page) == (
        "Zürich-based Mistral AI moved Le Chat’s inference to Cerebras in September."
    )


@pytest.mark.vcr
@pytest.mark.default_cassette("grounded_search.yaml")
def test_recorded_requests_ask_for_grounding_in_plain_text(vcr):
    (body,) = gemini_requests(vcr)
    assert body["tools"] == [{"googleSearch": {}}] and "responseSchema" not in body["generationConfig"]
    prompt = body["contents"][0]["parts"][0]["text"]
    assert QUERIES[0][0] in prompt and "between 2026-08-24 and 2026-11-24" in prompt


@pytest.mark.vcr
@pytest.mark.default_cassette("grounded_search.yaml")
def test_progress_counts_searches_and_page_fetches_as_they_finish():
    told: list[str] = []
    grounded_search([0], progress=told.append)
    cited = len({BENCHMARKS.chunks[i][0] for s in BENCHMARKS.supports for i in s.chunks})
    assert told[-1] == f"search 1/1, pages {cited}/{cited}"
    assert told[0] == "search 0/1, pages 0/1"  # an answer's pages start before its search is counted done
    assert [int(text.split()[1].split("/")[0]) for text in told] == sorted(int(text.split()[1].split("/")[0]) for text in told)
