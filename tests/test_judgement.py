"""The second round (``pipeline.judgement`` and the orchestrator's follow-up, read and judge stages):
targeted searches for the findings' claims, coverage searches, and what they change in a report."""

from pipeline.generate import generate_report
from pipeline.judgement import CORROBORATE, COVER, MAX_COVER_SEARCHES, follow_up_queries
from pipeline.models import Finding, Impact, SearchQuery, SearchResults, Source
from tests.conftest import make_request, write_doc

DEAL = "Acme signed a $20 billion deal with Zenith to supply its data centres."


def finding(snippet: str, verified: bool = True) -> Finding:
    return Finding(snippet=snippet, sources=[Source(url="https://wire.example/a", publisher="Wire One")],
                   impact=Impact.HIGH, impact_rationale="r", consensus="Overlooked", consensus_rationale="r", verified=verified)


def test_a_verified_finding_gets_a_targeted_query_for_its_companies_and_figure():
    request = make_request("Acme vs Zenith")
    queries = follow_up_queries(request, [], [finding(DEAL)], SearchResults())
    targeted = [q for q in queries if q.angle == CORROBORATE]
    assert len(targeted) == 1
    query = targeted[0]
    assert query.text.startswith("Acme Zenith $20 billion") and "deal" in query.text.split()
    assert query.anchors[0] == "$20 billion" and "deal" in query.anchors


def test_an_unverified_finding_gets_no_targeted_query():
    request = make_request("Acme vs Zenith")
    assert [q for q in follow_up_queries(request, [], [finding(DEAL, verified=False)], SearchResults())
            if q.angle == CORROBORATE] == []


def test_at_most_two_coverage_queries_for_uncovered_companies_and_angles_that_found_nothing():
    request = make_request("Acme vs Zenith vs Orbit")
    angles = [SearchQuery(text=f"{name} market share competition last 18 months", entity=name) for name in ("Acme", "Zenith", "Orbit")]
    queries = follow_up_queries(request, angles, [], SearchResults())
    covering = [q for q in queries if q.angle == COVER]
    assert len(covering) == MAX_COVER_SEARCHES and covering[0].text == "Acme results deals customers outlook"
    covered = follow_up_queries(request, angles, [finding("Acme, Zenith and Orbit all gained customers in 2024, analysts said.")],
                                SearchResults(executed_queries=[q.text for q in angles]))
    assert [q.text for q in covered if q.angle == COVER] == ["Acme market share competition", "Zenith market share competition"]


def test_queries_already_run_are_not_run_again():
    request = make_request("Acme vs Zenith")
    first = follow_up_queries(request, [], [finding(DEAL)], SearchResults())
    again = follow_up_queries(request, [], [finding(DEAL)], SearchResults(executed_queries=[q.text for q in first]))
    assert not {q.text for q in again} & {q.text for q in first}


def corpus(folder):
    """One page states the deal as a deal contract with customers (the words a first-round search of
    "Acme vs Zenith" looks for); two state it in other words; and a dozen short roundups naming both
    companies "over the last months" outrank those two in every first-round search (ten passages each)."""
    folder.mkdir()
    write_doc(folder, "wire.md", f"{DEAL} The deal is a supply contract, the largest of its customers' orders.",
              title="Acme and Zenith deal", publisher="Wire One", date="2026-10-01", url="https://wire.example/deal")
    write_doc(folder, "paper.md", "Zenith and Acme agreed a pact worth 20 billion dollars, a filing showed.",
              title="Filing", publisher="Paper Two", date="2026-10-02", url="https://paper.example/filing")
    write_doc(folder, "letter.md", "Zenith will receive $20B from Acme over five years, its letter to holders says.",
              title="Letter", publisher="Letter Three", date="2026-10-03", url="https://letter.example/holders")
    for number in range(12):
        write_doc(folder, f"roundup{number}.md", "Acme and Zenith over the last months; Acme and Zenith in the last months.",
                  title=f"Roundup {number}", publisher=f"Roundup {number}", date="2026-09-15",
                  url=f"https://roundup{number}.example/week")
    return folder


def test_the_second_round_finds_the_publishers_the_first_round_missed(tmp_path):
    folder = corpus(tmp_path / "corpus")

    def deal_finding(rounds: int) -> Finding:
        report = generate_report(make_request("Acme vs Zenith", rounds=rounds), corpus=folder,
                                 out_dir=tmp_path / str(rounds)).report
        return next(f for f in report.findings if "$20 billion" in f.snippet)

    one, two = deal_finding(1), deal_finding(2)
    assert (one.consensus, one.corroboration) == ("Overlooked", 1)
    assert (two.consensus, two.corroboration) == ("Widely known", 3)
    assert "carry its $20 billion figure (Wire One, " in two.consensus_rationale
    assert all(name in two.consensus_rationale for name in ("Paper Two", "Letter Three"))
    assert "reached by 13 searches" in two.consensus_rationale and "retrieved" in one.consensus_rationale
    assert {s.publisher for s in two.sources} == {"Wire One", "Paper Two", "Letter Three"}


def test_a_part_of_another_companys_share_is_the_taker_s_figure_and_only_compared_with_parts_of_it():
    from pipeline.claims import basis, read_claims

    def bases(sentence: str) -> list[tuple | None]:
        return [basis(fact, claim) for claim in read_claims(sentence, ["Acme", "Zenith", "Orbit"], "") for fact in claim.facts]

    (taken,) = bases("Acme has taken 4% of Zenith's market share in servers.")
    (held,) = bases("Zenith holds 70% of the server market.")
    (revenue,) = bases("About 12% of Zenith’s revenue came from Orbit last quarter.")
    assert taken is not None and taken[0] == frozenset({"Acme"}) and taken[2] == "part of Zenith's"
    assert held is not None and held[0] == frozenset({"Zenith"}) and held[2] == ""
    assert revenue is not None and revenue[0] == frozenset({"Orbit"}) and revenue[2] == "part of Zenith's"
    assert revenue[3] == frozenset()  # "About" opening the sentence is not a name narrowing the measure


def test_three_publishers_giving_three_shares_are_three_claims_in_conflict_not_one_widely_known(tmp_path):
    """Issue 19's hostile case: "3%", "5%" and "8%" of one company's share, one publisher each."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    for publisher, share in (("Alpha News", "3%"), ("Beta Wire", "5%"), ("Gamma Daily", "8%")):
        write_doc(folder, f"{share[0]}.md", f"Acme has taken {share} of Zenith's market share in servers, the survey found. "
                  "Buyers said they wanted a second supplier.", title="Acme gains on Zenith", publisher=publisher,
                  date="2026-11-20", url=f"https://{publisher.split()[0].lower()}.example/acme")
    report = generate_report(make_request("Acme vs Zenith"), corpus=folder, out_dir=tmp_path / "out").report
    shares = [f for f in report.findings if "market share" in f.snippet]
    assert len(shares) == 3 and {f.consensus for f in shares} == {"Overlooked"}
    (conflict,) = [g for g in report.gaps if g.kind == "contradiction"]
    assert "part of Zenith's market share" in conflict.title
    assert all(text in conflict.text for text in ("3%", "5%", "8%", "Alpha News", "Beta Wire", "Gamma Daily"))
