"""The embedded analyst's signals on real sentences: figures with units, ranges as one figure,
trigger words in context, like-for-like comparisons, and rationales that name only what the
snippet holds."""

from __future__ import annotations

import re
from datetime import date

import pytest

from pipeline.analysts.rules import RuleAnalyst
from pipeline.analysts.rules.signals import commercial_words, comparison_words, figures
from pipeline.generate import generate_report
from pipeline.models import Evidence, SearchResults, Source
from tests.conftest import EXAMPLE_TITLE_LINE, make_request

IPO = ("Cerebras Systems has upsized its initial public offering to raise up to $4.8 billion, valuing the company at "
       "roughly $33 billion. The Cerebras price range moved from $115-$125 per share to $150-$160 per share in only a "
       "few days, reflecting strong appetite for alternatives to NVIDIA GPUs.")
BENCHMARK = ("The strongest data point found was the Artificial Analysis benchmark of Llama 4 Maverick, with Cerebras at "
             "2,522 tokens per second against 1,038 tokens/s for NVIDIA Blackwell.")


@pytest.mark.parametrize(("text", "expected"), [
    (BENCHMARK, [("2,522 tokens per second", "tokens/s"), ("1,038 tokens/s", "tokens/s")]),
    (IPO, [("$4.8 billion", "USD"), ("$33 billion", "USD"), ("$115-$125", "USD"), ("$150-$160", "USD")]),
    ("Cerebras first set the price range for its initial public offering at $115 to $125 per share.", [("$115 to $125", "USD")]),
    ("Vendors claim inference costs 10-60% less on their chips.", [("10-60%", "%")]),
    ("Analysts expect $12–15 billion of inference silicon sales.", [("$12–15 billion", "USD")]),
    ("Custom chips run between 2 and 3x faster on decode.", [("between 2 and 3x", "x")]),
    ("Chips run 20x faster, between 2 and 3x on decode, 40 ms at 5 W.",
     [("20x", "x"), ("between 2 and 3x", "x"), ("40 ms", "ms"), ("5 W", "W")]),
    ("OpenAI agreed to buy 750 megawatts of Cerebras capacity for $10bn.", [("750 megawatts", "MW"), ("$10bn", "USD")]),
    ("Startups raised between $2 and $3 billion, and Groq another $640 million.",
     [("between $2 and $3 billion", "USD"), ("$640 million", "USD")]),
    ("Cerebras says gpt-oss-120B, a new open model, runs at a world-record 3,000 tokens per second on its platform.",
     [("3,000 tokens per second", "tokens/s")]),
    ("On May 28, 2025 NVIDIA said H100 and B200 GPUs ship in 2026 for Llama 4.", []),
    ("Analyst coverage over the next 60 to 90 days could narrow its market.", []),
    ("Inference could be 80% of AI compute by 2027, with 850,000 cores and 40GB of memory per wafer.",
     [("80%", "%"), ("850,000", ""), ("40GB", "GB")]),
    ("A startup founded six weeks earlier is seeking funding at a $4 billion mark.", [("$4 billion", "USD")]),
    ("Groq raised 640 million dollars, and Cerebras $1.1 billion.", [("640 million dollars", "USD"), ("$1.1 billion", "USD")]),
    ("Cerebras claims responses 20x faster than GPUs; Groq claims 21× and 87 percent lower latency.",
     [("20x", "x"), ("21×", "x"), ("87 percent", "%")]),
])
def test_figures_keep_their_units_and_read_a_range_as_one(text, expected):
    assert [(f.text, f.unit) for f in figures(text)] == expected


def test_a_figure_means_the_same_value_in_any_notation():
    def key(text: str) -> str:
        (figure,) = figures(text)
        return figure.key

    assert key("It hit 2,522 tokens/sec.") == key("It hit 2522 tokens per second.") == key("It hit 2,522 in all.")
    assert key("It raised $4.8 billion.") == key("It raised $4,800 million.") == key("It raised $4.8bn.")
    assert key("It raised $4.8 billion.") != key("It grew 4.8 percent.")
    assert key("Prices rose 10-60% in a year.") != key("Prices rose 10% in a year.")


@pytest.mark.parametrize(("text", "expected"), [
    ("Cerebras re-engineered its compiler in order to serve larger models.", []),
    ("The change cut latency by an order of magnitude.", []),
    ("AWS placed orders for 500 Cerebras systems.", ["orders"]),
    ("The first order from OpenAI arrived in May.", ["order"]),
    ("Groq spent a great deal of effort on its compiler.", []),
    ("Teams have to deal with the memory wall on GPUs.", []),
    ("OpenAI's large deal with Cerebras is about faster inference.", ["deal"]),
    ("The benchmark raised questions about workload fit.", []),
    ("Cerebras raised $1.1 billion in funding.", ["raised", "funding"]),
    ("Investors and the press overstated Cerebras's reach.", []),
    ("Mistral deployed Cerebras systems in production.", ["deployed", "in production"]),
])
def test_commercial_words_are_read_in_context(text, expected):
    assert commercial_words(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("Cerebras has more than 20 customers for inference.", []),
    ("Groq has a track record in low-latency decode.", []),
    ("Cerebras is faster than NVIDIA Blackwell on Llama 4.", ["faster", "than"]),
])
def test_comparison_words_are_read_in_context(text, expected):
    assert comparison_words(text) == expected


def _evidence(text: str, publisher: str, published: date | None = date(2026, 11, 1)) -> Evidence:
    url = f"https://{publisher.lower().replace(' ', '')}.example/"
    return Evidence(text=text, source=Source(url=url, title=publisher, publisher=publisher, published=published), query="q")


def _only_finding(text: str, topic: str = "Cerebras vs NVIDIA"):
    findings = RuleAnalyst().assess(make_request(topic), SearchResults(evidence=[_evidence(text, "Trade Weekly")], executed_queries=["q"])).findings
    assert findings, f"no finding in {text!r}"
    return findings[0]


def test_an_ipo_price_range_is_no_comparison_with_nvidia():
    price_range = IPO[IPO.index("The Cerebras price range") :]
    finding = _only_finding(price_range)
    assert "direct comparison" not in finding.impact_rationale
    assert "quantified claim ($115-$125, $150-$160)" in finding.impact_rationale


def test_a_finding_states_one_claim_a_sentence():
    """The IPO passage packs two claims (its size, then its price range): its finding states one of them."""
    assert _only_finding(IPO).snippet == IPO[: IPO.index(" The Cerebras")]


def test_like_for_like_figures_for_both_companies_are_a_direct_comparison():
    finding = _only_finding(BENCHMARK)
    assert ("direct comparison with NVIDIA (2,522 tokens per second for Cerebras against 1,038 tokens/s for NVIDIA)"
            in finding.impact_rationale)


def test_the_same_money_measure_for_two_companies_is_a_direct_comparison():
    finding = _only_finding("Cerebras's 2025 revenue of $510 million is small next to NVIDIA's data-center revenue of $115 billion.")
    assert "direct comparison with NVIDIA ($510 million for Cerebras against $115 billion for NVIDIA)" in finding.impact_rationale


def test_a_bare_number_set_against_a_figure_shares_its_unit():
    finding = _only_finding("Artificial Analysis measured Cerebras at 2,522 tokens per second against 1,038 for NVIDIA Blackwell.")
    assert "direct comparison with NVIDIA (2,522 tokens per second for Cerebras against 1,038 for NVIDIA)" in finding.impact_rationale
    assert [f.unit for f in figures("Each wafer has 40GB of memory and 850,000 cores; revenue grew 76% to 510 million.")] == [
        "GB", "", "%", ""]


def test_percentages_of_different_measures_are_not_like_for_like():
    finding = _only_finding("Cerebras revenue grew 76 percent in 2025, while NVIDIA holds an 80% share of AI accelerators.")
    assert "direct comparison" not in finding.impact_rationale


def test_money_and_throughput_for_two_companies_are_not_like_for_like():
    finding = _only_finding("Cerebras raised $1.1 billion in funding as NVIDIA Blackwell reached 1,038 tokens per second.")
    assert "direct comparison" not in finding.impact_rationale


def test_in_order_to_is_no_commercial_traction():
    finding = _only_finding("Cerebras re-engineered its compiler in order to serve Llama 4 Maverick at 2,522 tokens per second.")
    assert "commercial traction" not in finding.impact_rationale


def test_a_range_is_named_as_one_figure():
    finding = _only_finding("Vendors such as Cerebras claim inference costs 10-60% less than on NVIDIA GPUs.")
    assert "quantified claim (10-60%)" in finding.impact_rationale


# Real sentences (from the sample corpus and pages seen in use); each rationale may name only what its snippet holds.
REAL_SENTENCES = [
    IPO,
    BENCHMARK,
    "Cerebras re-engineered its compiler in order to serve Llama 4 Maverick at 2,522 tokens per second.",
    "Vendors such as Cerebras claim inference costs 10-60% less than on NVIDIA GPUs.",
    "Within a few days Cerebras lifted the IPO price range to $150 to $160 per share, a move press coverage "
    "attributed to surging demand for NVIDIA alternatives.",
    "To get around the HBM bottleneck, NVIDIA and AWS are striking multi-billion dollar deals for Groq and Cerebras "
    "systems built on on-chip SRAM.",
    "The analysis contends that investors and the press have overstated Cerebras's reach by presenting it as a broad "
    "alternative to NVIDIA GPUs.",
]


def _assert_rationale_names_only_its_snippet(finding) -> None:
    snippet = finding.snippet.lower()
    for name, detail in re.findall(r"(quantified claim|commercial traction|direct comparison with \w+) \(([^)]*)\)", finding.impact_rationale):
        for piece in re.split(r", | for | against ", detail):
            assert piece.lower() in snippet, f"{name} names {piece!r}, which {finding.snippet!r} lacks"


@pytest.mark.parametrize("text", REAL_SENTENCES)
def test_no_rationale_claims_a_signal_its_snippet_lacks(text):
    _assert_rationale_names_only_its_snippet(_only_finding(text))


@pytest.mark.parametrize("topic", ["Cerebras vs NVIDIA", "Groq vs NVIDIA", EXAMPLE_TITLE_LINE])
def test_no_rationale_over_the_sample_corpus_claims_a_signal_its_snippet_lacks(topic, tmp_path):
    findings = generate_report(make_request(topic), out_dir=tmp_path).report.findings
    assert findings
    for finding in findings:
        _assert_rationale_names_only_its_snippet(finding)
