"""Consensus and conflicts (``pipeline.corroboration``): independent publishers counted once each,
republished copies once, and disagreements between publishers turned into Contradictions and Gaps."""

from datetime import date

import pytest

from pipeline.claims import read_claims
from pipeline.corroboration import contradiction_in, corroborate, find_conflicts, holds_link
from pipeline.models import Consensus, Evidence, GapKind, Source

COMPANIES = ["Acme", "Zenith"]
DEAL = "Acme signed a $20 billion deal with Zenith to supply its data centres."


def passage(text: str, publisher: str, site: str | None = None, published: date | None = date(2025, 2, 6)) -> Evidence:
    domain = site or publisher.lower().replace(" ", "")
    return Evidence(text=text, source=Source(url=f"https://{domain}.example/{abs(hash(text)) % 10_000}", title="",
                                             publisher=publisher, published=published), query="q")


def carried(evidence: list[Evidence]):
    return corroborate(evidence[0].text.split(". ")[0].rstrip(".") + ".", evidence[0], evidence, COMPANIES, "the 9 publishers retrieved")


@pytest.mark.parametrize(("others", "label"), [
    ([], Consensus.OVERLOOKED),
    (["Acme and Zenith agreed a deal worth 20 billion dollars, the filing shows."], Consensus.EMERGING),
    (["Acme and Zenith agreed a deal worth 20 billion dollars, the filing shows.",
      "Zenith will receive $20B from Acme under the deal, analysts wrote."], Consensus.WIDELY_KNOWN),
])
def test_consensus_counts_independent_publishers(others, label):
    evidence = [passage(DEAL, "Wire One")] + [passage(text, f"Paper {i}") for i, text in enumerate(others)]
    result = carried(evidence)
    assert (result.consensus, result.publishers) == (label, 1 + len(others))


def test_a_publisher_stating_another_figure_or_another_company_does_not_count():
    evidence = [passage(DEAL, "Wire One"), passage("Acme and Zenith agreed a deal worth $25 billion.", "Paper A"),
                passage("Acme's revenue was $20 billion in 2024, Zenith said.", "Paper B")]
    assert carried(evidence).consensus == Consensus.OVERLOOKED


def test_a_second_passage_of_one_publisher_counts_once():
    evidence = [passage(DEAL, "Wire One"), passage("Acme and Zenith agreed a deal worth 20 billion dollars.", "Wire One", site="wireone2")]
    assert carried(evidence).publishers == 1


def test_a_copy_on_a_second_site_counts_once_and_is_named_beside_its_original():
    story = (f"{DEAL} The agreement runs for five years, both companies said on Tuesday. "
             "Deliveries begin next spring.")
    evidence = [passage(story, "Wire One"), passage(story, "Portal Two"),
                passage("Acme and Zenith agreed a deal worth 20 billion dollars, the filing shows.", "Paper Three")]
    result = carried(evidence)
    assert (result.publishers, result.consensus) == (2, Consensus.EMERGING)
    assert "Wire One (also on Portal Two)" in result.rationale and "Paper Three" in result.rationale
    assert [s.publisher for s in result.sources] == ["Wire One", "Portal Two", "Paper Three"]


def test_the_same_sentence_in_different_surroundings_is_not_a_copy():
    evidence = [passage(f"{DEAL} Shares rose on the news.", "Wire One"),
                passage(f"{DEAL} The regulator has yet to review it.", "Portal Two")]
    assert carried(evidence).publishers == 2


def test_the_rationale_names_the_publishers_the_figure_and_how_far_the_count_looked():
    evidence = [passage(DEAL, "Wire One"), passage("Acme and Zenith agreed a deal worth 20 billion dollars.", "Paper A"),
                passage("Zenith will receive $20B from Acme under the deal.", "Paper B")]
    rationale = carried(evidence).rationale
    assert rationale.startswith("3 independent publishers carry its $20 billion figure (Wire One, Paper A and Paper B)")
    assert "among the 9 publishers retrieved" in rationale


def test_a_linked_passage_counts_only_when_it_states_the_figure():
    evidence = [passage(DEAL, "Wire One")]
    holding = passage("Zenith's new customer Acme pledged $20B over five years.", "Paper A")
    failing = passage("Zenith's new customer Acme pledged a large sum over five years.", "Paper B")
    result = corroborate(DEAL, evidence[0], evidence, COMPANIES, "the 3 publishers retrieved", linked=[holding, failing])
    assert result.publishers == 2 and "Paper B" not in result.rationale
    claim = read_claims(DEAL, COMPANIES)[0]
    assert holds_link(claim, holding, COMPANIES) is not None and holds_link(claim, failing, COMPANIES) is None


def test_a_contradiction_a_model_proposes_holds_only_with_another_value_of_the_measure():
    claim = read_claims(DEAL, COMPANIES)[0]
    against = contradiction_in(claim, passage("Acme and Zenith agreed a deal worth $25 billion.", "Paper A"), COMPANIES)
    assert against is not None and against[:2] == ("$20 billion", "$25 billion")
    assert contradiction_in(claim, passage("Acme and Zenith agreed a deal worth 20 billion dollars.", "Paper A"), COMPANIES) is None


# --- conflicts ------------------------------------------------------------------------------------


def test_two_figures_of_one_basis_are_a_contradiction_quoting_both_sides_with_sources():
    evidence = [passage("Acme's revenue was $4.1 billion in Q3 2025.", "Wire One"),
                passage("Acme said its revenue was $4.6 billion in Q3 2025.", "Paper Two", published=date(2025, 2, 9))]
    (conflict,) = find_conflicts(evidence, COMPANIES)
    gap = conflict.as_gap()
    assert gap.kind == GapKind.CONTRADICTION
    assert gap.title == "Conflicting figures on Acme: revenue in Q3 2025"
    assert "$4.1 billion, as in \u201cAcme's revenue was $4.1 billion in Q3 2025.\u201d (Wire One, February 6, 2025)" in gap.text
    assert "$4.6 billion, as in \u201cAcme said its revenue was $4.6 billion in Q3 2025.\u201d (Paper Two, February 9, 2025)" in gap.text


def test_publishers_agreeing_with_one_side_are_listed_on_it():
    evidence = [passage("Acme's revenue was $4.1 billion in Q3 2025.", "Wire One"),
                passage("Acme's revenue came to $4,100 million in Q3 2025.", "Paper Three"),
                passage("Acme's revenue was $4.6 billion in Q3 2025.", "Paper Two")]
    (conflict,) = find_conflicts(evidence, COMPANIES)
    sides = {side.says: [s.publisher for s in side.sources] for side in conflict.sides}
    assert sides == {"$4.1 billion": ["Wire One", "Paper Three"], "$4.6 billion": ["Paper Two"]}


@pytest.mark.parametrize("other", [
    "Acme's revenue was $4,100 million in Q3 2025.",  # the same value in other words
    "Acme's revenue was $4,142 million in Q3 2025.",  # the finer figure the rounded one states
    "Acme's revenue was $4.6 billion in Q2 2025.",  # another period
    "Acme's data center revenue was $2.6 billion in Q3 2025.",  # a scope of it
    "Analysts expected Acme revenue of $4.6 billion in Q3 2025.",  # an estimate, not a result
    "Zenith's revenue was $4.6 billion in Q3 2025.",  # another company
])
def test_no_conflict(other):
    evidence = [passage("Acme's revenue was $4.1 billion in Q3 2025.", "Wire One"), passage(other, "Paper Two")]
    assert find_conflicts(evidence, COMPANIES) == []


def test_a_conflict_gathers_the_values_that_disagree_with_its_best_carried_side_not_any_side():
    """A quarter's figure and one of unstated period may disagree, and that one and another quarter's; the
    two quarters don't, so they are never one conflict."""
    evidence = [passage("Acme delivered 495,570 cars in Q4 2024.", name) for name in ("Wire One", "Paper Two", "Paper Three")]
    evidence += [passage("Acme delivered 497,000 cars.", "Paper Four"), passage("Acme delivered 336,681 cars in Q1 2025.", "Paper Five")]
    (conflict,) = find_conflicts(evidence, COMPANIES)
    assert {side.says for side in conflict.sides} == {"495,570", "497,000"}


def test_a_rounded_figure_that_two_values_round_to_sides_with_neither():
    evidence = [passage("Acme delivered 1.8 million cars in 2024.", "Paper Two"),
                passage("Acme delivered 1.79 million cars in 2024.", "Wire One"),
                passage("Acme delivered 1.77 million cars in 2024.", "Paper Three")]
    (conflict,) = find_conflicts(evidence, COMPANIES)
    assert {"1.79 million", "1.77 million"} <= {side.says for side in conflict.sides}


def test_one_publisher_never_contradicts_itself():
    evidence = [passage("Acme's revenue was $4.1 billion in Q3 2025.", "Wire One"),
                passage("Acme's revenue was $4.6 billion in Q3 2025.", "Wire One", site="wireone2")]
    assert find_conflicts(evidence, COMPANIES) == []


def test_a_guided_range_and_a_figure_outside_it_conflict_but_one_inside_does_not():
    guided = passage("Acme expects 2025 revenue of $58 billion to $61 billion.", "Wire One")
    assert find_conflicts([guided, passage("Acme expects 2025 revenue of $59 billion.", "Paper Two")], COMPANIES) == []
    (conflict,) = find_conflicts([guided, passage("Acme expects 2025 revenue of $64 billion.", "Paper Two")], COMPANIES)
    assert {side.says for side in conflict.sides} == {"$58 billion to $61 billion", "$64 billion"}


def test_acquired_against_a_licensing_agreement_for_one_deal_is_an_accounts_conflict():
    evidence = [passage("Acme acquired Zenith on December 24, 2025.", "Wire One"),
                passage("Acme and Zenith signed a non-exclusive licensing agreement on December 24, 2025.", "Paper Two")]
    (conflict,) = find_conflicts(evidence, COMPANIES)
    gap = conflict.as_gap()
    assert conflict.kind == "characterization" and gap.kind == GapKind.CONTRADICTION
    assert gap.title == "Conflicting accounts of Acme and Zenith: acquisition or licensing"
    assert "acquisition, as in \u201cAcme acquired Zenith on December 24, 2025.\u201d (Wire One" in gap.text
    assert "licensing, as in \u201cAcme and Zenith signed a non-exclusive licensing agreement" in gap.text and "(Paper Two" in gap.text


def test_opposing_names_for_events_not_shown_to_be_one_are_no_conflict():
    evidence = [passage("Acme acquired Zenith on December 24, 2025.", "Wire One"),
                passage("Acme and Zenith signed a non-exclusive licensing agreement on March 2, 2024.", "Paper Two")]
    assert find_conflicts(evidence, COMPANIES) == []


def test_expectations_of_an_adjusted_and_an_unadjusted_measure_do_not_conflict():
    evidence = [passage("Acme's adjusted loss per share was $2.10, wider than the $1.40 that analysts had expected.", "Wire One"),
                passage("Acme's loss per share of $2.50 was wider than Wall Street's expectation of $1.45 per share.", "Paper Two")]
    assert find_conflicts(evidence, COMPANIES) == []


def test_two_expectations_of_one_measure_conflict_when_one_text_leaves_the_quarter_unsaid():
    evidence = [passage("Acme's loss per share of $2.50 was wider than Wall Street's expectation of $1.45 per share.", "Wire One"),
                passage("Wall Street had been expecting a fourth-quarter loss of $1.10 per share at Acme.", "Paper Two",
                        published=date(2025, 2, 3))]
    (conflict,) = find_conflicts(evidence, COMPANIES)
    assert {side.says for side in conflict.sides} == {"$1.45", "$1.10"}
    months_later = [evidence[0], passage(evidence[1].text, "Paper Two", published=date(2025, 5, 3))]
    assert find_conflicts(months_later, COMPANIES) == []  # another quarter's expectation, maybe


def test_a_heading_dates_a_release_line_that_conflicts_with_a_dated_statement():
    release = passage("Full Year 2025\n\nAcme delivered 410 vehicles and recorded 350 net orders", "Acme Newsroom", published=date(2026, 1, 28))
    press = passage("Acme's net orders were 395 in 2025, the magazine counted.", "Paper Two", published=None)
    (conflict,) = find_conflicts([release, press], COMPANIES)
    assert conflict.topic == "net orders in FY 2025" and {side.says for side in conflict.sides} == {"350", "395"}


def test_undated_pages_are_placed_by_the_latest_day_they_name():
    one = "On Jan. 29, 2025, Acme reported Q4 2024 deliveries of 495,570 cars."
    other = "Acme delivered 495,930 cars, it said on January 30, 2025."
    evidence = [passage(one, "Wire One", published=None), passage(other, "Paper Two", published=None)]
    (conflict,) = find_conflicts(evidence, COMPANIES)
    assert {side.says for side in conflict.sides} == {"495,570", "495,930"}
    undated = [passage(one.replace("On Jan. 29, 2025, ", ""), "Wire One", published=None),
               passage(other.replace(", it said on January 30, 2025", ""), "Paper Two", published=None)]
    assert find_conflicts(undated, COMPANIES) == []  # a period one page leaves unsaid, and nothing to place them by


def test_nine_months_are_not_the_year_whichever_side_is_rounder():
    evidence = [passage("Acme delivered 3.0 million cars in the first nine months of 2024.", "Wire One"),
                passage("Acme delivered 4.27 million cars in 2024.", "Paper Two")]
    assert find_conflicts(evidence, COMPANIES) == []
    assert find_conflicts(evidence[::-1], COMPANIES) == []


def test_undated_pages_reporting_one_release_give_one_period_s_expectations():
    one = ("Acme's revenue totaled $25.71 billion and its net income $2.36 billion. "
           "Adjusted EPS of $0.73 missed analyst expectations of $0.75.")
    other = ("Acme posted $25.7 billion in revenue and net income of $2.36 billion. "
             "Adjusted EPS was $0.73, below the consensus expectation of $0.77.")
    evidence = [passage(one, "Wire One", published=None), passage(other, "Paper Two", published=None)]
    (conflict,) = find_conflicts(evidence, COMPANIES)
    assert {side.says for side in conflict.sides} == {"$0.75", "$0.77"}
    # one figure in common may be restated in passing: no sign the two report one release
    passing = [passage(one.replace("and its net income $2.36 billion", "for the quarter").replace("EPS of $0.73", "EPS"), "Wire One",
                       published=None), evidence[1]]
    assert find_conflicts(passing, COMPANIES) == []
    # a period one of them states: a release gives the quarter's figures and the year's
    stated = [passage(one.replace("expectations of", "expectations for the fourth quarter of"), "Wire One", published=None), evidence[1]]
    assert find_conflicts(stated, COMPANIES) == []


def test_a_page_giving_one_basis_two_values_sets_against_others_only_the_value_others_give():
    table = passage("Acme's revenue was $10.87 billion. Acme's revenue was $9.42 billion.", "Table Site")
    others = [passage("Acme's revenue was $10.87 billion.", "Wire One"), passage("Acme's revenue came to $10.87 billion.", "Paper Two")]
    assert find_conflicts([table, *others], COMPANIES) == []  # the $9.42 billion is narrowed by something unread
    lone = passage("Acme's revenue was $10.2 billion.", "Paper Three")
    (conflict,) = find_conflicts([table, *others, lone], COMPANIES)
    assert {side.says for side in conflict.sides} == {"$10.87 billion", "$10.2 billion"}
