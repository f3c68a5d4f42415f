from datetime import date

import pytest
from pydantic import ValidationError

from pipeline.models import ResearchRequest, Source, TimeWindow
from tests.conftest import EXAMPLE_TITLE_LINE, make_request


@pytest.mark.parametrize(
    ("text", "start", "phrase"),
    [
        ("3m", date(2026, 8, 24), "last 3 months"),
        ("90d", date(2026, 8, 26), "last 90 days"),
        ("1y", date(2025, 11, 24), "last 1 year"),
        ("2w", date(2026, 11, 10), "last 2 weeks"),
        (" 12M ", date(2025, 11, 24), "last 12 months"),
    ],
)
def test_window_parses_and_counts_back_from_as_of(text, start, phrase):
    window = TimeWindow.parse(text)
    assert window.start(date(2026, 11, 24)) == start
    assert window.phrase == phrase


def test_window_clamps_to_month_end():
    assert TimeWindow.parse("1m").start(date(2026, 3, 31)) == date(2026, 2, 28)


@pytest.mark.parametrize("text", ["", "3", "m", "3 months", "-3m", "3q", "12345d"])
def test_bad_window_is_rejected_with_a_hint(text):
    with pytest.raises(ValueError, match="use a number and a unit, e.g. 90d"):
        TimeWindow.parse(text)


@pytest.mark.parametrize("text", ["0d", "0m", " 00y "])
def test_an_empty_window_is_told_its_minimum(text):
    with pytest.raises(ValueError, match="covers no time: it must be at least 1 day"):
        TimeWindow.parse(text)


def test_example_title_line_is_one_request():
    request = make_request(EXAMPLE_TITLE_LINE)
    assert request.question.startswith("Are Cerebras/Groq customers")
    assert request.source_hints == ["Customer case studies", "vendor blogs", "arXiv"]
    assert request.keywords == "Cerebras Groq production displacement metrics training inference".split()
    assert request.title_line == EXAMPLE_TITLE_LINE


def test_plain_question_with_commas_is_not_split():
    assert make_request("Cerebras, Groq or NVIDIA?,").question == "Cerebras, Groq or NVIDIA?,"


@pytest.mark.parametrize("topic", ["", "   ", "\n\t"])
def test_empty_topic_is_rejected(topic):
    with pytest.raises(ValidationError, match="topic is empty"):
        make_request(topic)


def test_huge_topic_is_rejected():
    with pytest.raises(ValidationError, match="10,000 characters"):
        make_request("x" * 10_000)


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<script>", "ftp://x", "nope"])
def test_source_rejects_unsafe_urls(url):
    with pytest.raises(ValidationError, match="unsupported URL scheme"):
        Source(url=url)


def test_source_domain_labels():
    assert Source(url="https://www.businesswire.com/news/x").domain == "businesswire.com"
    assert Source(url="file:///tmp/corpus/a%20b.md").domain == "a b.md"  # the file name as its owner wrote it


def test_request_json_round_trips():
    request = make_request(EXAMPLE_TITLE_LINE, focus="NVIDIA")
    assert ResearchRequest.model_validate_json(request.model_dump_json()) == request


@pytest.mark.parametrize(("window", "as_of"), [("9999y", date(2026, 11, 24)), ("1d", date(1, 1, 1))])
def test_a_window_reaching_before_year_one_is_rejected(window, as_of):
    with pytest.raises(ValidationError, match="reaches back before the year 1"):
        make_request(window=window, as_of=as_of)


def test_a_question_with_commas_is_not_mistaken_for_a_title_line():
    request = make_request("How do Cerebras, Groq, and NVIDIA compare on inference")
    assert request.question == "How do Cerebras, Groq, and NVIDIA compare on inference" and not request.source_hints


def test_hints_and_keywords_cannot_bypass_the_length_limit():
    with pytest.raises(ValidationError, match="longer than 2,000 characters"):
        make_request("Cerebras vs NVIDIA?,hint," + "kw " * 1000)


def test_blank_focus_is_no_focus():
    assert make_request(focus="   ").focus is None
