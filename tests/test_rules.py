"""The embedded rule-based analyst: expansion, signals, impact, consensus, gaps."""

from datetime import date

import pytest

from pipeline.analysts.rules import RuleAnalyst, signals
from pipeline.analysts.rules.expand import expand_queries, find_entities
from pipeline.gaps import evidence_gaps, labelled
from pipeline.models import Evidence, GapKind, SearchResults, Source
from pipeline.text import sentence_spans
from tests.conftest import EXAMPLE_TITLE_LINE, make_request


def test_expansion_follows_the_example_report():
    queries = [q.text for q in expand_queries(make_request(EXAMPLE_TITLE_LINE, window="3m"))]
    assert len(queries) == 12
    assert "Groq customer case studies NVIDIA last 3 months" in queries
    assert "Cerebras customer case studies NVIDIA last 3 months" in queries
    assert "arXiv Groq NVIDIA last 3 months" in queries
    assert all(q.endswith("last 3 months") for q in queries)


@pytest.mark.parametrize(
    ("topic", "focus", "challengers", "expected_focus"),
    [
        ("Cerebras vs NVIDIA", None, ["Cerebras"], "NVIDIA"),
        ("Is Groq displacing Nvidia in inference?", None, ["Groq"], "Nvidia"),
        (EXAMPLE_TITLE_LINE, None, ["Cerebras", "Groq"], "NVIDIA"),
        ("Groq and Cerebras outlook", "NVIDIA", ["Groq", "Cerebras"], "NVIDIA"),
        ("NVIDIA earnings outlook", None, ["NVIDIA"], None),
    ],
)
def test_entities(topic, focus, challengers, expected_focus):
    entities = find_entities(make_request(topic, focus=focus))
    assert entities.challengers == challengers
    assert entities.focus == expected_focus


def test_query_count_is_honoured_and_queries_are_unique():
    for count in (1, 5, 12, 20, 30):
        queries = expand_queries(make_request("Cerebras vs NVIDIA", query_count=count))
        assert len(queries) == count
        assert len({q.text for q in queries}) == len(queries)


def test_more_queries_than_angles_cover_the_focus_company_then_stop():
    queries = expand_queries(make_request("Cerebras vs NVIDIA", query_count=60))
    assert len({q.text for q in queries}) == len(queries) < 60
    assert {q.entity for q in queries} == {"Cerebras", "NVIDIA"}
    assert queries[-1].entity == "NVIDIA" and "Cerebras" not in queries[-1].text


def test_question_without_company_names_still_expands():
    queries = expand_queries(make_request("what is happening with inference chips"))
    assert queries and all(q.entity is None for q in queries)
    assert "happening inference chips" in queries[0].text


def test_sentence_spans_are_verbatim():
    text = 'Cerebras said "fast." Then 3.5 GB moved.\nNew line here! And $5 more.'
    sentences = [text[s.start : s.end] for s in sentence_spans(text)]
    assert sentences == ['Cerebras said "fast."', "Then 3.5 GB moved.", "New line here!", "And $5 more."]


def _evidence(text: str, publisher: str, published: date | None = date(2026, 11, 1), url: str | None = None) -> Evidence:
    source = Source(url=url or f"https://{publisher.lower().replace(' ', '')}.example/", title=publisher, publisher=publisher, published=published)
    return Evidence(text=text, source=source, query="q")


CLAIM = "Cerebras served Llama at 2,522 tokens per second, ahead of NVIDIA Blackwell at 1,038 tokens per second."


def test_impact_names_its_signals_and_consensus_counts_publishers():
    request = make_request("Cerebras vs NVIDIA")
    results = SearchResults(
        evidence=[
            _evidence(CLAIM, "Business Wire"),
            _evidence("Artificial Analysis measured 2,522 tokens per second for Cerebras against 1,038 for NVIDIA.", "Artificial Analysis"),
            _evidence("Trade press repeated that Cerebras reached 2,522 tokens per second, beating NVIDIA's 1,038.", "Trade Weekly"),
            _evidence("Groq says its customers include a bank, and its revenue grew 40 percent last year.", "Groq Blog", published=None),
        ],
        executed_queries=["q"],
    )
    findings = RuleAnalyst().assess(request, results).findings
    top = labelled(findings[0])
    assert top.snippet == CLAIM
    assert top.impact.value == "High"
    for signal in ("quantified claim (2,522 tokens per second", "direct comparison with NVIDIA", "recent (November 1, 2026", "primary source (Business Wire)"):
        assert signal in top.impact_rationale
    assert top.consensus == "Widely known" and top.corroboration == 3
    assert "Artificial Analysis" in top.consensus_rationale and "Trade Weekly" in top.consensus_rationale
    assert top.source_label.startswith("Business Wire")


def test_single_publisher_claim_is_overlooked_and_undated_is_marked():
    request = make_request("Groq vs NVIDIA")
    results = SearchResults(
        evidence=[_evidence("Groq says its customers include a bank, and its revenue grew 40 percent last year.", "Groq Blog", published=None)],
        executed_queries=["q"],
    )
    (finding,) = RuleAnalyst().assess(request, results).findings
    assert finding.consensus == "Overlooked" and finding.corroboration == 1
    assert labelled(finding).date_label.startswith("Undated (")
    assert "undated" in finding.impact_rationale


def test_same_publisher_does_not_corroborate_itself():
    request = make_request("Cerebras vs NVIDIA")
    results = SearchResults(
        evidence=[_evidence(CLAIM, "Business Wire", url="https://a.example/1"), _evidence(CLAIM + " Again.", "Business Wire", url="https://a.example/2")],
        executed_queries=["q"],
    )
    assert RuleAnalyst().assess(request, results).findings[0].consensus == "Overlooked"


def test_gaps_are_computed_from_the_evidence():
    request = make_request("Cerebras and Groq vs NVIDIA", window="3m")
    results = SearchResults(
        evidence=[_evidence("Cerebras overstated its reach, critics say; its chips are poorly suited to training.", "Skeptic Review"),
                  _evidence("Cerebras beat NVIDIA with a record 2,522 tokens per second.", "Cerebras", published=None)],
        executed_queries=["Cerebras q", "Groq q"],
        out_of_window=2,
    )
    analyst = RuleAnalyst()
    assessment = analyst.assess(request, results)
    gaps = analyst.synthesize(request, results, assessment).gaps
    shared = evidence_gaps(request, results, assessment.findings)  # the orchestrator adds these for every backend
    assert {GapKind.VIEWS, GapKind.COVERAGE} <= {g.kind for g in gaps}  # praise against doubt is a debate, not a fact in dispute
    assert {GapKind.SINGLE_SOURCE, GapKind.UNDATED, GapKind.WINDOW} <= {g.kind for g in shared}
    titles = {g.title: g.text for g in gaps + shared}
    assert "Groq" in titles["Companies without coverage"]
    assert "Skeptic Review" in titles["Conflicting views on Cerebras"]
    assert "2 matching documents" in titles["Outside the time window"]


def test_no_evidence_gives_an_honest_report():
    request = make_request("Cerebras vs NVIDIA")
    results = SearchResults(evidence=[], executed_queries=["a", "b"])
    analyst = RuleAnalyst()
    synthesis = analyst.synthesize(request, results, analyst.assess(request, results))
    assert synthesis.gaps[0].title == "No evidence found"
    assert "finds no passage" in synthesis.analysis[0]


def test_earnings_context_opens_the_analysis():
    from pipeline.models import EarningsEvent

    request = make_request("Cerebras vs NVIDIA", earnings=EarningsEvent(company="NVIDIA", quarter="Q3 FY2027", report_date=date(2026, 11, 25)))
    results = SearchResults(evidence=[_evidence(CLAIM, "Business Wire")], executed_queries=["q"])
    analyst = RuleAnalyst()
    analysis = analyst.synthesize(request, results, analyst.assess(request, results)).analysis
    assert analysis[0].startswith("As NVIDIA prepares to report its Q3 FY2027 earnings on November 25, 2026")


@pytest.mark.parametrize(
    ("topic", "challengers", "focus"),
    [
        ("Should I buy Nvidia before Q3 earnings?", ["Nvidia"], None),
        ("Summarize Groq news", ["Groq"], None),
        ("Compare Cerebras and NVIDIA", ["Cerebras"], "NVIDIA"),
        ("Will AMD's MI300 beat NVIDIA H100?", ["AMD"], "NVIDIA"),
    ],
)
def test_command_words_letters_and_product_codes_are_not_companies(topic, challengers, focus):
    entities = find_entities(make_request(topic))
    assert (entities.challengers, entities.focus) == (challengers, focus)


def test_without_a_focus_company_no_query_compares_against_nothing():
    queries = [q.text for q in expand_queries(make_request("NVIDIA earnings outlook", window="3m"))]
    assert queries[0] == "NVIDIA earnings outlook last 3 months"
    assert not any(" vs " in q or q.startswith("response") or "  " in q for q in queries)


def test_a_search_answered_only_by_the_company_name_is_an_angle_without_evidence():
    request = make_request("Cerebras vs NVIDIA", window="3m")
    results = SearchResults(
        evidence=[
            Evidence(text="Cerebras beat NVIDIA in a benchmark at 2,522 tokens per second.", source=Source(url="https://a.example/", publisher="A"), query="arXiv Cerebras NVIDIA last 3 months"),
            Evidence(text="Cerebras published a benchmark at 2,522 tokens per second.", source=Source(url="https://a.example/", publisher="A"), query="Cerebras performance benchmarks NVIDIA last 3 months"),
        ],
        executed_queries=["arXiv Cerebras NVIDIA last 3 months", "Cerebras performance benchmarks NVIDIA last 3 months"],
    )
    analyst = RuleAnalyst()
    gaps = {g.title: g.text for g in analyst.synthesize(request, results, analyst.assess(request, results)).gaps}
    assert "1 of 2 searches" in gaps["Angles without evidence"] and "arXiv Cerebras" in gaps["Angles without evidence"]


def test_a_stop_that_scraping_left_without_its_space_still_ends_a_sentence_but_an_initial_does_not():
    text = "Blame the expiration of certain promotions.Wall Street expected more. The U.S.Steel deal closed."
    assert [text[s.start : s.end] for s in sentence_spans(text)] == [
        "Blame the expiration of certain promotions.", "Wall Street expected more.", "The U.S.Steel deal closed."]


def test_sentence_spans_do_not_end_at_an_abbreviation():
    text = "EPS: $5.32 vs. $4.95 expected. Mr. Smith said so."
    assert [text[s.start : s.end] for s in sentence_spans(text)] == ["EPS: $5.32 vs. $4.95 expected.", "Mr. Smith said so."]


def test_praise_of_a_rival_that_names_the_company_is_not_a_favourable_view_of_it():
    request = make_request("Cerebras vs NVIDIA", window="3m")
    results = SearchResults(
        evidence=[_evidence("NVIDIA beat Cerebras again, with a record quarter.", "Rival Watch"),
                  _evidence("Cerebras overstated its reach, critics say.", "Skeptic Review")],
        executed_queries=["Cerebras q"],
    )
    analyst = RuleAnalyst()
    gaps = analyst.synthesize(request, results, analyst.assess(request, results)).gaps
    assert "Conflicting views on Cerebras" not in {g.title for g in gaps}


def test_a_narrowbody_plane_is_no_doubt():
    assert signals.skeptic_words("Acme delivered 40 narrowbody and 12 narrow-body jets.") == []
    assert signals.skeptic_words("Its chips serve a narrow set of models.") == ["narrow"]


def _findings(topic: str, *evidence: Evidence):
    return RuleAnalyst().assess(make_request(topic), SearchResults(evidence=list(evidence), executed_queries=["q"])).findings


def test_a_claim_calling_its_company_the_company_is_quoted_with_the_sentence_naming_it():
    lead = "Looking ahead, Acme Motors gave a cautious view of next year. "
    claim = "The company expects revenue growth between 16% and 24%, it said on Monday."
    findings = _findings(
        "Acme Motors vs Zenith",
        _evidence(lead + claim, "Wheel Weekly"),
        _evidence("Acme Motors forecast revenue growth of 16% to 24% for next year.", "Motor Desk", published=None),
    )
    quoted = next(f for f in findings if claim in f.snippet)
    assert quoted.snippet == lead + claim  # verbatim from the source, and says whose figure it is
    assert quoted.consensus == "Emerging" and quoted.corroboration == 2


def test_the_sentence_before_is_not_prepended_when_it_states_a_figure_of_its_own_or_is_another_paragraph():
    claim = "The company expects revenue growth between 16% and 24%, it said on Monday."
    for passage in ("Acme Motors sold 40,000 cars last quarter. " + claim, "Acme Motors gave a cautious view.\n\n" + claim):
        assert not any(claim in f.snippet for f in _findings("Acme Motors vs Zenith", _evidence(passage, "Wheel Weekly")))


def test_the_drug_maker_under_a_title_naming_the_company_is_its_claim_and_counted_with_those_naming_it():
    text = "The drug maker posted a 107% increase in Slimtab sales to 19.87 billion kroner in the fourth quarter."
    titled = _evidence(text, "Pharma Wire")
    titled.source.title = "Acme Pharma beats profit forecast as Slimtab sales jump"
    findings = _findings(
        "Acme Pharma vs Zenith",
        titled,
        _evidence("Acme Pharma said Slimtab sales reached 19.87 billion kroner in the fourth quarter.", "Nordic Daily"),
        _evidence("Slimtab, made by Acme Pharma, sold 19.87 billion kroner worth in the fourth quarter.", "Health Ledger"),
    )
    finding = next(f for f in findings if f.snippet == text)
    assert finding.consensus == "Widely known" and finding.corroboration == 3
    untitled = _evidence(text, "Pharma Wire")  # a title naming no company: whose figure it is can't be told
    assert not any(f.snippet == text for f in _findings("Acme Pharma vs Zenith", untitled))
    rival = _evidence("Rival carmakers fared better. The Japanese automaker delivered 10.8 million vehicles in 2024.", "Auto Wire")
    rival.source.title = "Acme Pharma's 2024 deliveries fall"  # "the Japanese automaker" may be anyone but the page's company
    assert not _findings("Acme Pharma vs Zenith", rival)


def test_a_loss_the_claim_reader_measures_is_a_financial_result():
    (finding,) = _findings("Acme Motors vs Zenith", _evidence("Acme Motors has reported a $11.8 billion loss for the year.", "Wheel Weekly"))
    assert "financial result or outlook (loss)" in finding.impact_rationale


@pytest.mark.parametrize(("text", "signal"), [
    ("Acme Media ended the quarter with 301.6 million members.", "(users)"),
    ("Acme Media said subscribers fell by 700,000 in the quarter.", "(subscribers)"),
])
def test_an_operating_metric_is_a_financial_result(text, signal):
    (finding,) = _findings("Acme Media vs Zenith", _evidence(text, "Screen Weekly"))
    assert f"financial result or outlook {signal}" in finding.impact_rationale


def test_each_company_s_headline_claim_is_shown_beside_its_strongest():
    widely = [_evidence(f"Acme Motors delivered 348 cars in the year, {word}.", publisher)
              for word, publisher in (("it said", "Wheel Weekly"), ("a report said", "Motor Desk"), ("data showed", "Auto Ledger"))]
    strong = [
        _evidence(f"Acme Motors reported a $14.{n} billion cash burn on Monday, its guidance for revenue of ${n + 5} billion unchanged.", f"Desk {n}")
        for n in range(6)
    ]
    findings = _findings("Acme Motors vs Zenith", *strong, *widely)
    assert any("348 cars" in f.snippet and f.consensus == "Widely known" for f in findings)


def test_an_undated_page_s_figure_for_the_quarter_just_ended_is_recent_in_the_written_report(tmp_path):
    """The reason survives the prose audit: it names no date its snippet lacks."""
    from pipeline.generate import generate_report
    from tests.conftest import write_doc

    (tmp_path / "corpus").mkdir()
    write_doc(tmp_path / "corpus", "q1.md", "Acme Motors delivered 336,681 cars in the first quarter of 2025.",
              title="Acme Motors Q1 deliveries", publisher="Wheel Weekly", url="https://wheel.example/q1")
    report = generate_report(make_request("Acme Motors vs Zenith", as_of=date(2025, 4, 20)), corpus=tmp_path / "corpus",
                             out_dir=tmp_path / "out").report
    (finding,) = report.findings
    assert "recent (it reports the quarter just ended)" in finding.impact_rationale


def test_a_claim_many_state_is_quoted_where_it_stands_alone():
    packed = "Acme Motors posted revenue of $25.7 billion in Q4, below the $27.2 billion analysts expected, and net income of $2.3 billion."
    alone = "Acme Motors posted revenue of $25.7 billion in Q4, the company said."
    findings = _findings("Acme Motors vs Zenith", _evidence(packed, "Wheel Weekly"), _evidence(alone, "Motor Desk", published=None),
                         _evidence("Acme Motors's Q4 revenue was $25.7 billion.", "Auto Ledger", published=None))
    assert [f.snippet for f in findings if "$25.7 billion" in f.snippet] == [alone]


def test_a_weak_sentence_naming_a_company_does_not_take_its_document_s_place_from_a_stronger_claim():
    filing = _evidence("Acme Motors disclosed a partnership with Orbit worth more than $20 billion. "
                       "Acme Motors lifted its price range to $150 per share, citing demand for Zenith alternatives.", "Filing Desk")
    explainer = _evidence("Acme Motors has upsized its IPO to raise up to $4.8 billion in revenue terms, valuing it at roughly $33 billion, "
                          "its filing shows.", "Explainer")
    findings = _findings("Acme Motors vs Zenith", explainer, filing,
                         _evidence("Zenith dominates training chips, yet training is only about 1% of the workload.", "Chip Letter"))
    assert any("$20 billion" in f.snippet for f in findings)


def test_a_sentence_packing_claims_as_widely_stated_as_its_own_is_kept():
    both = "Acme Motors posted revenue of $25.7 billion and net income of $2.3 billion in Q4, {}."
    evidence = [_evidence(both.format(word), name) for word, name in (("it said", "Wheel Weekly"), ("a filing shows", "Motor Desk"),
                                                                       ("the release says", "Auto Ledger"))]
    alone = _evidence("Acme Motors's Q4 revenue was $25.7 billion.", "Car Notes", published=None)
    findings = _findings("Acme Motors vs Zenith", *evidence, alone)
    assert any("net income of $2.3 billion" in f.snippet for f in findings)
    assert not any(f.snippet == alone.text for f in findings)


def test_a_company_profile_is_no_finding_but_news_about_its_seat_or_its_talks_is():
    profile = ("Acme Motors (AM), based in Dearborn, Michigan, is engaged in the development, delivery and servicing of cars "
               "worth $40 billion a year.")
    assert not _findings("Acme Motors vs Zenith", _evidence(profile, "Stock Page"))
    for news in ("Acme Motors, headquartered in Dearborn, is expected to report revenue of $54 billion.",
                 "Acme Motors is engaged in talks with the union over a 25% pay rise."):
        assert _findings("Acme Motors vs Zenith", _evidence(news, "Wheel Weekly")), news
