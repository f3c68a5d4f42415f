"""The claim reader (``pipeline.claims``): what each figure of a sentence measures, for whom, for when and
stated by whom; what makes two figures one basis; and when two figures of one basis disagree."""

from datetime import date

import pytest

from pipeline.claims import Claim, Fact, basis, describe, differ, measured_basis, opposed_accounts, read_claims, states_same

ACME = ["Acme", "Zenith"]
SAME_WEEK = ((date(2025, 2, 6), None), (date(2025, 2, 7), None))


def claim(text: str, companies: list[str] = ACME) -> Claim:
    claims = read_claims(text, companies)
    assert len(claims) == 1, claims
    return claims[0]


def fact(text: str, figure: str, companies: list[str] = ACME) -> tuple[Fact, Claim]:
    read = claim(text, companies)
    return next(f for f in read.facts if f.text == figure), read


def disagree(one: str, figure: str, other: str, their_figure: str) -> bool:
    """Whether two publishers' sentences give one basis two values that disagree."""
    mine, my_claim = fact(one, figure)
    theirs, their_claim = fact(other, their_figure)
    assert basis(mine, my_claim) is not None and basis(mine, my_claim) == basis(theirs, their_claim)
    return differ(mine, my_claim, theirs, their_claim, SAME_WEEK)


def test_a_sentence_reads_to_its_companies_measure_period_and_owner():
    found, read = fact("Acme's revenue was $12.4 billion in Q3 2025.", "$12.4 billion")
    assert read.companies == {"Acme"}
    assert (found.measure, found.period, found.owner, found.stance) == ("revenue", ("Q3", "2025"), "Acme", "")
    assert describe(found) == "revenue in Q3 2025"


def test_a_sentence_naming_no_company_after_one_naming_none_is_not_a_claim():
    assert read_claims("Rain fell all week. Prices of 12 goods rose.", ACME) == []


def test_a_following_sentence_is_about_the_company_just_named():
    claims = read_claims("Zenith posted results on Tuesday. Its revenue rose 12% to $4.1 billion.", ACME)
    assert claims[1].companies == {"Zenith"}


def test_analysts_expectation_is_an_estimate_and_the_companys_outlook_guidance():
    estimate, _ = fact("Analysts expected Acme revenue of $5.2 billion in Q3 2025.", "$5.2 billion")
    guidance, _ = fact("Acme expects revenue of $5.2 billion in Q3 2025.", "$5.2 billion")
    reported, _ = fact("Acme posted revenue of $5.2 billion in Q3 2025.", "$5.2 billion")
    assert (estimate.stance, guidance.stance, reported.stance) == ("estimate", "guidance", "")


def test_a_figure_a_result_exceeds_is_what_was_projected():
    projected, _ = fact("Acme posted revenue of DKK 100 billion, exceeding the projected DKK 99.14 billion.", "DKK 99.14 billion")
    result, _ = fact("Acme posted revenue of DKK 100 billion, exceeding the projected DKK 99.14 billion.", "DKK 100 billion")
    assert projected.stance == "estimate" and result.stance == ""


def test_a_demanded_figure_is_a_proposal():
    demanded, _ = fact("The union had demanded a 41% pay increase from Acme.", "41%")
    agreed, _ = fact("Acme agreed a 38% pay increase with the union.", "38%")
    assert demanded.stance == "proposal" and agreed.stance == ""


def test_pay_raises_are_wages_and_money_raised_is_funding():
    wages, _ = fact("Acme workers won pay raises of 38% over four years.", "38%")
    funding, _ = fact("Acme raised $38 million in new funding.", "$38 million")
    assert wages.measure == "wages" and "funding" not in wages.measures
    assert funding.measure == "funding"


def test_stock_moves_are_the_stock_measure_as_a_change():
    surged, _ = fact("Acme shares surged 5.3% on Monday.", "5.3%")
    closed, _ = fact("Acme stock closed down 6.6% after the call.", "6.6%")
    assert (surged.measure, surged.change) == ("stock", True)
    assert (closed.measure, closed.change) == ("stock", True)
    revenue, _ = fact("Acme's revenue grew 5.3% in 2024.", "5.3%")
    assert revenue.measure == "revenue"


def test_a_label_before_a_colon_names_the_measure_and_the_change_after_it_inherits_it():
    read = claim("Acme Full-Year 2024 Revenue: $40.5 billion, up 25% YoY.")
    level, change = read.facts
    assert (level.measure, level.period, level.change) == ("revenue", ("FY", "2024"), False)
    assert (change.measure, change.change) == ("revenue", True)
    assert basis(level, read) != basis(change, read)  # a level and a change are never compared


def test_a_figure_without_a_measure_or_label_has_no_basis():
    read = claim("Acme said 4,210 in its letter to holders.")
    assert all(basis(f, read) is None for f in read.facts)


def test_a_speed_has_a_basis_only_for_a_named_model():
    for text, model in (("Acme ran Llama 4 at 2,522 tokens per second.", "llama 4"),
                        ("Acme ran gpt-oss-120B at 3,000 tokens/s.", "gpt-oss-120b"),
                        ("Acme ran Kimi K2.6 at 1,200 tokens per second.", "k2.6")):
        read = claim(text)
        assert model in read.facts[0].names and basis(read.facts[0], read) is not None, text
    unnamed = claim("Acme ran its model at 2,522 tokens per second.")
    assert basis(unnamed.facts[0], unnamed) is None


def test_speeds_on_two_models_are_two_bases_and_on_one_model_one():
    llama, llama_claim = fact("Acme ran Llama 4 at 2,522 tokens per second.", "2,522 tokens per second")
    other, other_claim = fact("Acme ran gpt-oss-120B at 1,800 tokens per second.", "1,800 tokens per second")
    assert basis(llama, llama_claim) != basis(other, other_claim)
    assert disagree("Acme ran Llama 4 at 2,522 tokens per second.", "2,522 tokens per second",
                    "Acme served Llama 4 at 1,800 tokens per second.", "1,800 tokens per second")


def test_a_subject_named_by_a_phrase_beside_another_company_is_unknown():
    compared, read = fact("The company delivered 348 planes compared to Zenith's 766.", "348")
    assert compared.referred and compared.subject(read) is None and basis(compared, read) is None
    named, named_claim = fact("Acme delivered 348 planes in 2024.", "348")
    assert not named.referred and named.subject(named_claim) == {"Acme"}


def test_a_deal_belongs_to_both_parties():
    deal, read = fact("Acme signed a $20 billion deal with Zenith.", "$20 billion")
    assert deal.subject(read) == {"Acme", "Zenith"}


def test_a_count_with_a_thousands_point_equals_the_same_count_with_a_comma():
    assert not disagree("Acme delivered 8.658 aircraft in 2024.", "8.658", "Acme delivered 8,658 aircraft in 2024.", "8,658")
    assert disagree("Acme delivered 8.658 aircraft in 2024.", "8.658", "Acme delivered 8,700 aircraft in 2024.", "8,700")


def test_rounding_is_tolerated_between_precisions_and_one_step_for_figures_with_a_magnitude_word():
    assert not disagree("Acme's revenue was $3.8 billion in 2024.", "$3.8 billion",
                        "Acme's revenue was $3,861 million in 2024.", "$3,861 million")
    assert disagree("Acme's revenue was $3.7 billion in 2024.", "$3.7 billion",
                    "Acme's revenue was $3,861 million in 2024.", "$3,861 million")
    # "$3.8 billion" cut short and "$3.9 billion" rounded can both be $3.86 billion; $4.1 billion can't
    assert not disagree("Acme's revenue was $3.8 billion in 2024.", "$3.8 billion",
                        "Acme's revenue was $3.9 billion in 2024.", "$3.9 billion")
    assert disagree("Acme's revenue was $3.8 billion in 2024.", "$3.8 billion",
                    "Acme's revenue was $4.1 billion in 2024.", "$4.1 billion")
    assert disagree("Acme's revenue grew 25% in 2024.", "25%", "Acme's revenue grew 26% in 2024.", "26%")
    assert disagree("Acme delivered 766 aircraft in 2024.", "766", "Acme delivered 767 aircraft in 2024.", "767")


def test_close_bounds_the_same_way_agree_and_far_ones_do_not():
    assert not disagree("Acme has more than 32,000 employees.", "32,000", "Acme has more than 33,000 employees.", "33,000")
    assert disagree("Acme has 32,000 employees.", "32,000", "Acme has 33,000 employees.", "33,000")
    assert disagree("Acme signed a deal with Zenith worth over $10 billion.", "$10 billion",
                    "Acme signed a deal with Zenith worth more than $20 billion.", "$20 billion")


def test_a_value_a_bound_allows_is_no_disagreement():
    assert not disagree("Acme delivered over 600 aircraft in 2024.", "600", "Acme delivered 602 aircraft in 2024.", "602")


def test_a_figure_inside_a_guided_range_is_no_disagreement():
    assert not disagree("Acme expects 2025 revenue of $58 billion to $61 billion.", "$58 billion to $61 billion",
                        "Acme expects 2025 revenue of $59 billion.", "$59 billion")
    assert disagree("Acme expects 2025 revenue of $58 billion to $61 billion.", "$58 billion to $61 billion",
                    "Acme expects 2025 revenue of $64 billion.", "$64 billion")


def test_a_currency_code_does_not_narrow_the_measure():
    coded, coded_claim = fact("Acme's revenue was DKK 100 billion in 2024.", "DKK 100 billion")
    worded, worded_claim = fact("Acme's revenue was 95 billion kroner in 2024.", "95 billion kroner")
    assert basis(coded, coded_claim) == basis(worded, worded_claim)


def test_periods_scopes_and_stances_make_different_bases():
    def key(text: str, figure: str) -> tuple | None:
        return basis(*fact(text, figure))

    q3 = key("Acme's revenue was $5.2 billion in Q3 2025.", "$5.2 billion")
    assert q3 != key("Acme's revenue was $5.6 billion in Q4 2025.", "$5.6 billion")
    assert q3 != key("Analysts expected Acme revenue of $5.6 billion in Q3 2025.", "$5.6 billion")
    assert key("Acme booked 900 gross orders in 2024.", "900") != key("Acme booked 850 net orders in 2024.", "850")


def test_a_periodic_measure_without_a_period_is_compared_only_for_sources_published_together():
    mine, my_claim = fact("Acme's revenue was $5.2 billion.", "$5.2 billion")
    theirs, their_claim = fact("Acme's revenue was $5.6 billion.", "$5.6 billion")
    assert differ(mine, my_claim, theirs, their_claim, SAME_WEEK)
    months_apart = ((date(2025, 2, 6), None), (date(2025, 11, 6), None))
    assert not differ(mine, my_claim, theirs, their_claim, months_apart)


def test_states_same_needs_the_companies_and_an_equal_figure_of_the_measure():
    stated = claim("Acme signed a $20 billion deal with Zenith.")
    assert states_same(stated, claim("Zenith and Acme agreed a deal worth 20 billion dollars."))
    assert not states_same(stated, claim("Zenith and Acme agreed a deal worth $25 billion."))
    assert not states_same(stated, claim("Acme's revenue was $20 billion in 2024.", ["Acme"]))


def test_a_claim_without_figures_is_stated_again_only_in_near_identical_words():
    stated = claim("Acme has chosen Zenith as the supplier of its new data centres.")
    assert states_same(stated, claim("Acme has chosen Zenith as supplier of its new data centres."))
    assert not states_same(stated, claim("Zenith said Acme may consider other suppliers for its sites."))


def test_acquired_and_licensed_for_one_deal_are_opposed_accounts():
    acquired = claim("Acme acquired Zenith for $20 billion.")
    licensed = claim("Acme signed a non-exclusive licensing agreement with Zenith for $20 billion.")
    assert opposed_accounts(acquired, licensed) == ("acquisition", "licensing")
    other_deal = claim("Acme signed a non-exclusive licensing agreement with Zenith for $3 billion.")
    assert opposed_accounts(acquired, other_deal) is None  # not shown to be the same event
    assert opposed_accounts(acquired, claim("Acme acquired Zenith for 20 billion dollars.")) is None


def test_a_segments_figure_is_not_the_companys():
    segment, _ = fact("Acme's data center revenue was $2.6 billion in Q3 2025.", "$2.6 billion")
    whole, _ = fact("Acme's quarterly revenue was $4.1 billion in Q3 2025.", "$4.1 billion")
    assert (segment.scope, whole.scope) == ("data center", "")
    assert describe(segment) == "data center revenue in Q3 2025"


def test_a_figure_set_against_an_adjusted_one_is_of_the_adjusted_measure():
    text = "Acme's adjusted loss per share was $2.10, wider than the $1.40 that analysts had expected."
    expected, read = fact(text, "$1.40")
    assert (expected.scope, expected.stance, expected.per) == ("adjusted", "estimate", "share")
    unqualified = fact("Acme's loss per share was $2.50, wider than the $1.45 analysts expected.", "$1.45")
    assert basis(expected, read) != basis(*unqualified)  # adjusted and unadjusted are two measures


def test_a_qualifier_after_the_measure_or_the_figure_is_its_scope():
    listed, _ = fact("- Acme earnings per share: $3.10 adjusted vs. $2.95 expected", "$3.10")
    expected, _ = fact("- Acme earnings per share: $3.10 adjusted vs. $2.95 expected", "$2.95")
    worded, _ = fact("Acme's earnings adjusted for one-off items came to $3.10 per share.", "$3.10")
    assert (listed.scope, listed.per, expected.scope, expected.stance) == ("adjusted", "share", "adjusted", "estimate")
    assert worded.scope == "adjusted"


def test_reported_and_adjusted_guidance_are_different_measures():
    reported = fact("Acme guided 2026 earnings of $12 to $13 per share.", "$12 to $13")
    adjusted = fact("Acme guided 2026 adjusted earnings of $12.50 to $13.50 per share.", "$12.50 to $13.50")
    assert basis(*reported) != basis(*adjusted)


def test_a_heading_states_the_period_of_the_lines_under_it_until_prose():
    text = ("Second Quarter 2025\n\nAcme recorded 120 net orders\n\nFull Year 2025\n\n- Acme delivered 410 vehicles and recorded 350 net orders\n\n"
            "Acme opened a plant in Ohio.\n\nAcme recorded 90 net orders")
    facts = {f.text: f.period for c in read_claims(text, ["Acme"]) for f in c.facts}
    assert facts == {"120": ("Q2", "2025"), "410": ("FY", "2025"), "350": ("FY", "2025"), "90": ("", "")}


def test_a_list_introduced_by_a_period_is_for_that_period():
    text = "Acme reported the following third-quarter figures against estimates:\n- Revenue: $2.1 billion vs. $2.3 billion expected"
    claims = read_claims(text, ["Acme"])
    expected = next(f for c in claims for f in c.facts if f.text == "$2.3 billion")
    assert (expected.period, expected.measure, expected.stance) == (("Q3", ""), "revenue", "estimate")


def test_a_period_only_one_text_states_is_the_others_only_for_one_event():
    mine, my_claim = fact("Wall Street expected a fourth-quarter loss of $1.20 per share at Acme.", "$1.20")
    theirs, their_claim = fact("Acme's loss was worse than the $0.90 per share analysts expected.", "$0.90")
    assert mine.period == ("Q4", "") and theirs.period == ("", "")
    days_apart = ((date(2025, 1, 24), None), (date(2025, 1, 28), None))
    weeks_apart = ((date(2025, 1, 6), None), (date(2025, 2, 3), None))
    assert differ(mine, my_claim, theirs, their_claim, days_apart)
    assert not differ(mine, my_claim, theirs, their_claim, weeks_apart)
    assert not differ(mine, my_claim, theirs, their_claim, ((None, 2025), (None, 2025)))  # a title's year names no quarter


def test_a_year_named_relative_to_the_text_is_read_from_its_publication():
    last_year = fact("Acme's revenue last year was $8.1 billion.", "$8.1 billion")
    in_2024 = fact("Acme's revenue was $7.4 billion in 2024.", "$7.4 billion")
    published_2025 = ((date(2025, 3, 1), None), (date(2025, 6, 1), None))
    published_2026 = ((date(2026, 3, 1), None), (date(2025, 6, 1), None))
    assert differ(*last_year, *in_2024, published_2025)
    assert not differ(*last_year, *in_2024, published_2026)
    assert not differ(*last_year, *in_2024, ((None, None), (date(2025, 6, 1), None)))  # undated: which year is unknown


def test_a_total_since_a_year_is_no_period_of_its_own():
    since, read = fact("Acme has lost over $35 billion since 2019.", "$35 billion")
    quarter = fact("Acme lost $4 billion in Q4 2024.", "$4 billion")
    assert since.period == ("", "SEVERAL")
    assert not differ(since, read, *quarter, SAME_WEEK)


def test_a_region_narrows_the_measure_and_a_figure_set_against_keeps_it():
    region, _ = fact("US Widgetine revenue was $1.9 billion, compared with $0.2 billion a year earlier at Acme.", "$1.9 billion")
    earlier, _ = fact("US Widgetine revenue was $1.9 billion, compared with $0.2 billion a year earlier at Acme.", "$0.2 billion")
    worldwide, _ = fact("Acme's Widgetine revenue was $4.9 billion.", "$4.9 billion")
    assert region.names == earlier.names == {"us", "widgetine"} and worldwide.names == {"widgetine"}


def test_a_thing_valued_at_a_figure_is_that_things_value():
    backlog, _ = fact("Acme ended the year with its backlog valued at $600 billion.", "$600 billion")
    company, _ = fact("Acme is valued at $90 billion.", "$90 billion")
    assert (backlog.measure, company.measure) == ("backlog", "valuation")


def test_how_long_an_event_lasted_is_a_figure_of_that_event():
    worded, read = fact("Acme's dockworkers' strike lasted 41 days.", "41 days")
    hyphened, other = fact("A 43-day strike shut Acme's plants.", "43-day")
    assert (worded.measure, worded.scope, hyphened.quantity.unit) == ("duration", "strike", "days")
    assert basis(worded, read) == basis(hyphened, other) and differ(worded, read, hyphened, other, SAME_WEEK)
    in_weeks, week_claim = fact("Acme's strike lasted 6 weeks.", "6 weeks")
    assert basis(in_weeks, week_claim) != basis(worded, read)  # six weeks is an approximation, not a day count
    assert all(f.measure != "duration" for f in claim("Acme plans a 5-year program and a 90-day review.").facts)


def test_the_day_an_event_ended_is_a_figure_of_that_event_and_days_far_apart_are_two_events():
    ended, read = fact("Acme's strike ended on Oct. 3, the union said.", "Oct. 3")
    other, their_claim = fact("The strike at Acme ended Oct. 4.", "Oct. 4")
    months_later, later_claim = fact("The strike at Acme ended on March 9.", "March 9")
    assert (ended.measure, ended.scope) == ("end date", "strike")
    assert differ(ended, read, other, their_claim, SAME_WEEK)
    assert not differ(ended, read, months_later, later_claim, SAME_WEEK)


def test_a_sentence_referring_to_the_company_carries_it_to_the_next():
    claims = read_claims("Acme had a hard year. The company sold 348 units. The main cause was a strike that ended Oct. 3.", ACME)
    assert [c.companies for c in claims] == [{"Acme"}] * 3


def test_a_share_move_is_for_its_trading_day_named_by_date_or_by_weekday():
    dated, read = fact("Acme shares rose 4.1% on March 4, 2026, after its results.", "4.1%")
    weekday, other = fact("On Wednesday, Acme's shares climbed 5.2% in Frankfurt trading.", "5.2%")
    assert (dated.period, weekday.period) == (("03-04", "2026"), ("Wed", ""))
    assert describe(dated) == "stock on March 4, 2026 (change)"
    published_that_week = ((date(2026, 3, 4), None), (date(2026, 3, 5), None))  # Wednesday March 4, Thursday March 5
    published_a_week_later = ((date(2026, 3, 4), None), (date(2026, 3, 12), None))
    assert differ(dated, read, weekday, other, published_that_week)
    assert not differ(dated, read, weekday, other, published_a_week_later)  # the Wednesday after: another day's move


def test_rates_over_different_periods_are_different_measures():
    daily = fact("The shutdown cost Acme $50 million a day.", "$50 million")
    monthly = fact("The shutdown cost Acme $1 billion a month.", "$1 billion")
    other_daily = fact("The shutdown cost Acme $80 million a day.", "$80 million")
    assert (daily[0].per, monthly[0].per) == ("day", "month")
    assert basis(*daily) != basis(*monthly)  # $50 million a day is not $1 billion a month, nor against it
    assert basis(*daily) == basis(*other_daily) and differ(*daily, *other_daily, SAME_WEEK)


def test_reported_before_a_measure_is_the_verb_not_a_qualifier():
    said, _ = fact("Acme reported revenue of $5.2 billion in Q3 2025.", "$5.2 billion")
    assert said.scope == ""
    assert disagree("Acme reported revenue of $5.2 billion in Q3 2025.", "$5.2 billion",
                    "Acme posted revenue of $5.5 billion in Q3 2025.", "$5.5 billion")


def weighed(one: str, figure: str, other: str, their_figure: str) -> bool:
    """Whether two same-week figures of one measure, whose periods one text may leave unsaid, disagree."""
    mine, my_claim = fact(one, figure)
    theirs, their_claim = fact(other, their_figure)
    assert measured_basis(mine, my_claim) is not None and measured_basis(mine, my_claim) == measured_basis(theirs, their_claim)
    return differ(mine, my_claim, theirs, their_claim, SAME_WEEK)


def test_figures_far_apart_of_a_period_one_text_leaves_unsaid_are_two_periods_close_ones_one_misreport():
    quarter = "Acme delivered 495,570 cars in Q4 2024."
    assert not weighed(quarter, "495,570", "Acme delivered 1.79 million cars.", "1.79 million")  # the year's
    assert weighed(quarter, "495,570", "Acme delivered 495,930 cars.", "495,930")
    # a change is weighed so even in one week: one quarter's growth and another's are far apart
    assert not weighed("Acme's deliveries rose 2.3% from a year earlier.", "2.3%", "Acme's deliveries fell 1% in 2024.", "1%")
    # a share is no bigger for a longer period: far apart, it still disagrees
    assert weighed("Acme's market share was 3% in Q4 2024.", "3%", "Acme's market share was 8%.", "8%")


def test_same_week_levels_may_differ_by_up_to_twice_but_a_quarter_is_not_the_year():
    assert weighed("Analysts expected Acme's loss of $3.08 a share.", "$3.08", "Analysts expected Acme's loss of $1.80 a share in Q4.", "$1.80")
    assert not weighed("Acme's net loss was $11.8 billion.", "$11.8 billion",
                        "Acme's net loss was nearly $4 billion in the fourth quarter of 2024.", "$4 billion")


def test_a_rounded_figure_is_the_precise_one_rounded():
    assert not disagree("Acme delivered 336,000 cars in Q1 2025.", "336,000", "Acme delivered 336,681 cars in Q1 2025.", "336,681")
    assert not disagree("Acme's deliveries rose 2% in Q4 2024.", "2%", "Acme's deliveries rose 2.3% in Q4 2024.", "2.3%")
    assert disagree("Acme's deliveries rose 25% in Q4 2024.", "25%", "Acme's deliveries rose 26% in Q4 2024.", "26%")


def test_a_figure_that_would_have_been_needed_is_no_account_of_what_happened():
    needed, _ = fact("To grow, Acme would have needed to deliver at least 515,000 cars in Q4.", "515,000")
    assert needed.stance == "condition"


def test_a_sum_paid_in_cash_is_a_deal_not_a_cash_balance():
    paid, _ = fact("Zenith agreed to pay Acme $20 billion in cash for its assets.", "$20 billion")
    held, _ = fact("Acme had $60.6 billion in cash at the end of October.", "$60.6 billion")
    assert paid.measure == "deal" and held.measure == "cash"


def test_funding_rounds_and_parts_of_a_figure_keep_apart():
    series_g, _ = fact("Acme raised $1.1 billion in Series G funding.", "$1.1 billion")
    series_a, _ = fact("Acme raised $27 million in its Series A funding.", "$27 million")
    assert series_g.names != series_a.names and "series g" in series_g.names
    part, _ = fact("Acme said $2.8 billion of that profit came from credits.", "$2.8 billion")
    assert part.scope == "part"


def test_a_change_on_the_quarter_before_is_not_one_on_the_year():
    sequential, _ = fact("Acme's revenue was $57 billion, a 22% increase from the prior quarter.", "22%")
    yearly, _ = fact("Acme's revenue was $57 billion, a 62% increase from a year earlier.", "62%")
    assert "sequential" in sequential.scope and "sequential" not in yearly.scope


def test_a_period_pointed_back_to_is_unknown_and_a_base_year_is_not_the_period():
    then, then_claim = fact("Acme, meanwhile, delivered 495,570 cars in the same period.", "495,570")
    year, year_claim = fact("Acme delivered 1.79 million cars in 2024.", "1.79 million")
    assert not differ(then, then_claim, year, year_claim, SAME_WEEK)
    fell, _ = fact("Acme's deliveries fell 13% from a year ago in the first quarter of 2025.", "13%")
    assert fell.period == ("Q1", "2025")


def test_production_is_not_deliveries_and_an_aside_does_not_end_a_clause():
    delivered, _ = fact("Acme delivered 495,570 units (EVs) in Q4 2024 against a production level of 459,445 units.", "495,570")
    built, _ = fact("Acme delivered 495,570 units (EVs) in Q4 2024 against a production level of 459,445 units.", "459,445")
    assert (delivered.measure, delivered.period, built.measure) == ("deliveries", ("Q4", "2024"), "production")


def test_sales_counted_in_units_are_deliveries():
    units, _ = fact("Acme's EV sales reached 4.25 million in 2024.", "4.25 million")
    money, _ = fact("Acme's sales reached $4.25 billion in 2024.", "$4.25 billion")
    assert (units.measure, money.measure) == ("deliveries", "revenue")


def test_segments_named_after_the_measure_or_as_the_subject_are_scopes():
    gaming, _ = fact("Acme's revenue from gaming products was $2.9 billion.", "$2.9 billion")
    center, _ = fact("The data center business remains Acme's engine, contributing $51.2 billion in revenue.", "$51.2 billion")
    driven, _ = fact("Acme's revenue, driven by its data center business, reached $57 billion.", "$57 billion")
    assert (gaming.scope, center.scope, driven.scope) == ("gaming", "data center", "")


def test_net_and_operating_income_are_two_measures_and_non_gaap_is_adjusted():
    net, _ = fact("Acme's net income was $31.9 billion.", "$31.9 billion")
    operating, _ = fact("Acme's operating income was $36.0 billion.", "$36.0 billion")
    non_gaap, _ = fact("Analysts expected non-GAAP earnings of $0.77 a share from Acme.", "$0.77")
    assert (net.scope, operating.scope, non_gaap.scope) == ("net", "operating", "adjusted")


def test_a_headline_names_no_product_and_weekdays_or_pollsters_are_no_names():
    headline, _ = fact("Zenith to Acquire Chip Designer Acme in $20 Billion Cash Deal", "$20 Billion")
    polled, _ = fact("On Thursday, Bloomberg analysts expected Acme revenue of $27.2 billion.", "$27.2 billion")
    assert headline.names == frozenset() and polled.names == frozenset()


def test_rising_against_falling_is_one_account_only_for_one_change_of_one_measure():
    fell = claim("Acme's operating income declined 23% to $1.58 billion, and EPS was $0.73.")
    rose = claim("Acme's shares rose 2.9% after EPS of $0.73.")
    assert opposed_accounts(fell, rose) is None
    assert opposed_accounts(claim("Acme's revenue rose 5% to $9.1 billion."), claim("Acme's revenue fell 5% to $9.1 billion.")) is not None


def test_last_month_is_the_month_before_publication():
    from pipeline.claims.comparing import _dated

    march, _ = fact("Acme's car sales rose 90% to 614,679 units last month.", "614,679")
    assert _dated(march.period, date(2025, 3, 4)) == ("FEB", "2025") and _dated(march.period, None) is None


def test_a_deal_valued_before_it_is_named_is_the_deal_s_value():
    valued, _ = fact("Valued at over $10 billion, the deal gives Acme 750 megawatts.", "$10 billion")
    company, _ = fact("Acme is valued at $8.1 billion after the round.", "$8.1 billion")
    assert (valued.measure, company.measure) == ("deal", "valuation")


@pytest.mark.parametrize(("sentence", "figure", "measure"), [
    ("Acme is raising its quarterly dividend by 25% to 15 cents per share.", "25%", "dividend"),
    ("Acme started a new $6 billion share repurchase program.", "$6 billion", "buyback"),
    ("Acme expects adjusted EBIT of $7 billion to $8.5 billion in 2025.", "$7 billion to $8.5 billion", "profit"),
    ("Acme recorded a $5.1 billion deficit in its EV unit in 2024.", "$5.1 billion", "loss"),
    # the measure leading a figure, or named right after it, is its own; a sum is no headcount
    ("Acme revealed an annual loss of $5.1 billion in earnings before interest and taxes.", "$5.1 billion", "loss"),
    ("Acme earned $2.3 billion in net income on $25.7 billion in revenue.", "$2.3 billion", "profit"),
    ("Acme earned $2.3 billion in net income on $25.7 billion in revenue.", "$25.7 billion", "revenue"),
    ("Acme's workers also get a ratification bonus of $12,000.", "$12,000", ""),
])
def test_what_a_figure_measures(sentence, figure, measure):
    read, _ = fact(sentence, figure)
    assert read.measure == measure


def test_what_a_program_retains_is_a_part_of_it():
    remains, _ = fact("Acme will retain $4.3 billion for further repurchases.", "$4.3 billion")
    assert remains.scope == "part"


def test_a_line_labelled_with_another_name_is_not_the_page_s_company_s_but_a_measure_s_label_is():
    assert read_claims("- Toyota: Sales rose 3.7% to more than 2.3 million vehicles.", ACME, "Acme's 2024 sales") == []
    for line in ("- Automotive Revenue: $19.8 billion", "- Vehicle Deliveries: 495,570", "- Gross Margin: 16.3%",
                 "Outlook: The company expects growth of 20%.", "Wall Street's consensus was for revenue of $27.2 billion.",
                 "Mounjaro's revenue rose 60% to $3.53 billion.", "December's sales rose 5% to 40,000 cars.",
                 "Overall ACM's total revenue surged 45% to $13.5 billion."):
        (read,) = read_claims(line, ACME, "Acme Q4 2024 results")
        assert read.companies == {"Acme"}, line


def test_a_region_before_a_measure_narrows_it_and_unit_sales_change_as_deliveries():
    (read,) = read_claims("Acme reported a 4.3 percent increase in U.S. sales for 2024, totaling 2.7 million vehicles.", ACME)
    change = next(f for f in read.facts if f.text == "4.3 percent")
    assert change.names == {"us"} and change.measure == "deliveries"


def test_a_quarter_of_last_year_is_not_last_year():
    quarter, quarter_claim = fact("Acme's EPS fell from a profit of $0.49 per share in the same quarter last year.", "$0.49")
    year, year_claim = fact("Acme's EPS for last year was $1.84 per share.", "$1.84")
    assert not differ(quarter, quarter_claim, year, year_claim, SAME_WEEK)


def test_one_change_of_one_measure_rising_in_one_clause_and_falling_in_another_is_no_conflict():
    rose = claim("Acme's revenue increased 9.1% to $187.4 billion.")
    mixed = claim("Acme's net income dropped 41%, despite a 9.1% revenue increase to $187.4 billion.")
    assert opposed_accounts(rose, mixed) is None


def test_spans_of_months_are_their_own_periods_and_a_trailing_twelve_months_is_none():
    from pipeline.claims import describe

    nine, _ = fact("Acme delivered 3.0 million cars in the first nine months of 2024.", "3.0 million")
    half, _ = fact("Acme delivered 1.9 million cars in the first six months of 2024.", "1.9 million")
    trailing, _ = fact("Acme delivered 4.1 million cars over the past 12 months.", "4.1 million")
    assert (nine.period, half.period, trailing.period) == (("M1-nine", "2024"), ("H1", "2024"), ("", ""))
    assert describe(nine) == "deliveries in the first nine months of 2024"


def test_a_date_in_an_aside_neither_ends_the_clause_nor_names_the_period():
    (read,) = read_claims("In Q3 FY 2026 (ended October 26, 2025), Acme reported total revenue of $57.0 billion.", ACME)
    assert [(f.measure, f.period) for f in read.facts] == [("revenue", ("Q3", "2026"))]


def test_a_requirement_is_a_condition_but_what_a_company_says_it_would_do_is_not():
    said, _ = fact("Acme said it would cut 4,000 jobs in 2025.", "4,000")
    assert said.stance != "condition"


def test_an_adjusted_basis_said_after_the_figure_and_revised_guidance_are_measures_of_their_own():
    adjusted, _ = fact("Acme's earnings were $1.92 a share, excluding one-time items, in Q4 2024.", "$1.92")
    reported, _ = fact("Acme's EPS was $2.63 in Q4 2024.", "$2.63")
    assert (adjusted.scope, reported.scope) == ("adjusted", "")
    raised, _ = fact("Acme raised its 2025 revenue guidance to between $14 billion and $15 billion.", "between $14 billion and $15 billion")
    guided, _ = fact("Acme expects 2025 revenue of $12.5 billion to $14.5 billion.", "$12.5 billion to $14.5 billion")
    assert (raised.stance, guided.stance) == ("revised guidance", "guidance")


def test_cents_are_hundredths_of_a_dollar_and_a_result_set_against_the_anticipated_figure_is_against_an_estimate():
    reported, _ = fact("Acme's adjusted earnings per share came in at 39 cents, surpassing analysts' expectations of 33 cents.", "39 cents")
    written_in_dollars, _ = fact("Acme posted adjusted earnings per share of $0.39 compared to the anticipated $0.32.", "$0.39")
    anticipated, _ = fact("Acme posted adjusted earnings per share of $0.39 compared to the anticipated $0.32.", "$0.32")
    assert reported.quantity.same_value(written_in_dollars.quantity) and reported.quantity.unit == "USD"
    assert (reported.measure, reported.per, anticipated.stance) == ("profit", "share", "estimate")


def test_earnings_per_share_on_revenue_keeps_each_figure_its_own_measure():
    sentence = ("Acme posted adjusted earnings per share of $0.39 on revenue of $48.2 billion, exceeding analysts' "
                "forecasts of $0.36 per share on $47.79 billion.")
    eps, _ = fact(sentence, "$0.39")
    revenue, _ = fact(sentence, "$48.2 billion")
    expected, _ = fact(sentence, "$0.36")
    assert (eps.measure, eps.per) == ("profit", "share")
    assert (revenue.measure, revenue.per) == ("revenue", "")  # a sum in billions is no figure per share
    assert (expected.measure, expected.per, expected.stance) == ("profit", "share", "estimate")


@pytest.mark.parametrize("sentence", [
    "Acme shares rallied around 5% in pre-market trading.",
    "Acme shares slumped 4% following the news.",
    "Acme's stock climbed nearly 4% on Tuesday.",
])
def test_a_share_price_in_percent_is_a_move(sentence):
    move = claim(sentence).facts[0]
    assert move.measure == "stock" and move.change


def test_a_segment_in_other_words_and_an_abbreviation_in_brackets_is_one_segment():
    spelled, _ = fact("Acme saw a 50% increase in electric vehicle (EV) sales, totaling over 114,400 units.", "50%")
    short, _ = fact("Acme saw a 50% surge in EV sales.", "50%")
    assert spelled.scope == short.scope == "ev" and spelled.measure == short.measure == "deliveries"


def test_a_year_earlier_is_the_year_before_the_sentence_s_period_not_before_publication():
    sentence = "In the fourth quarter of 2024, Acme reported net income of $1.8 billion, compared to a net loss of $526 million a year earlier."
    loss, _ = fact(sentence, "$526 million")
    assert loss.period == ("Q4", "2023") and loss.quantity.per == ""  # "a year earlier" dates it, it is no rate
    # without a stated period to count back from, it is some other period, compared with none
    unstated, _ = fact("Acme's net income for the quarter stood at $1.8 billion, up from a loss of $523 million in the "
                       "corresponding period last year.", "$523 million")
    assert unstated.period[1] == "THEN"
    last_year, _ = fact("Acme's revenue last year was $9.1 billion.", "$9.1 billion")
    assert last_year.period == ("", "PRIOR")  # "last year" alone counts back from the day the text was written


def test_a_dash_setting_off_an_aside_ends_a_clause_but_one_joining_a_range_does_not():
    (read,) = read_claims("Acme's data center revenue was $51.2 billion—up 66% on the year—while Zenith's revenue was $4.3 billion.", ACME)
    assert next(f for f in read.facts if f.text == "$4.3 billion").owner == "Zenith"
    ranged, _ = fact("Acme expects revenue of $58bn–$61bn.", "$58bn–$61bn")
    assert (ranged.quantity.low, ranged.quantity.high) == (58e9, 61e9)


def test_the_base_of_a_change_last_year_is_a_year_before_the_figure_compared_not_before_publication():
    base, _ = fact("Acme's tally is down from 1,456 orders last year.", "1,456")
    stated, _ = fact("Acme's 2024 orders came to 569 jets, down from 1,456 orders last year.", "1,456")
    assert base.period == ("", "THEN") and stated.period == ("FY", "2023")


def test_a_result_set_against_expectations_is_no_estimate():
    result, _ = fact("Acme reported disappointing deliveries, falling short of expectations with 336,681 vehicles delivered.", "336,681")
    expected, _ = fact("Acme's revenue missed analysts' expectations of $27.2 billion.", "$27.2 billion")
    assert (result.stance, expected.stance) == ("", "estimate")


def test_opposite_bounds_that_leave_a_value_between_them_agree():
    at_least, at_least_claim = fact("Acme has raised at least $225 million in funding.", "$225 million")
    under, under_claim = fact("Acme has raised less than $450 million in funding.", "$450 million")
    above, above_claim = fact("Acme has raised more than $500 million in funding.", "$500 million")
    assert not differ(at_least, at_least_claim, under, under_claim, SAME_WEEK)
    assert differ(above, above_claim, under, under_claim, SAME_WEEK)


def test_a_change_from_a_figure_of_another_year_is_for_the_sentence_s_year():
    sentence = "Acme delivered 1.77 million vehicles in 2024, down 2.2 per cent from 1.81 million in 2023."
    change, _ = fact(sentence, "2.2 per cent")
    base, _ = fact(sentence, "1.81 million")
    assert (change.period, base.period) == (("FY", "2024"), ("FY", "2023"))


def test_what_a_company_said_it_expected_is_its_outlook_and_money_is_set_against_money():
    sentence = ("Acme said it expected fourth-quarter sales of US$65 billion, plus or minus 2 percent, compared with "
                "analysts' average estimate of US$61.66 billion.")
    outlook, _ = fact(sentence, "US$65 billion")
    expected, _ = fact(sentence, "US$61.66 billion")
    assert (outlook.stance, outlook.measure, outlook.names) == ("guidance", "revenue", frozenset())  # "US$" names no region
    assert (expected.stance, expected.measure) == ("estimate", "revenue")


def test_a_label_naming_a_segment_s_measure_scopes_its_figures():
    (segment,) = read_claims("- Automotive revenue: $44.9 billion vs. $43.02 billion expected", ACME, "Acme Q4 results")
    (total,) = read_claims("- Revenue: $48.2 billion vs. $43.02 billion expected", ACME, "Acme Q4 results")
    assert [f.scope for f in segment.facts] == ["automotive", "automotive"] and [f.scope for f in total.facts] == ["", ""]


def test_a_unit_of_the_company_named_or_unnamed_narrows_its_figures():
    sports, _ = fact("The sports segment operating income improved by $350 million to $247 million at Acme.", "$247 million")
    division, _ = fact("Acme's experiences division's revenue gained 3% to $9.42 billion.", "$9.42 billion")
    domestic, _ = fact("Acme's domestic revenue rose by 2% to $6.432 billion.", "$6.432 billion")
    assert (sports.scope, division.scope, domestic.scope) == ("sports operating", "experiences", "domestic")
    some, some_claim = fact("Acme's operating income for the sector nearly doubled to $1.7 billion.", "$1.7 billion")
    assert measured_basis(some, some_claim) is None  # some segment's, which one unsaid: compared with no figure


def test_paid_members_are_users_not_a_deal_and_a_product_named_with_a_plus_is_its_own():
    members, _ = fact("Acme's paid membership base rose to 301.6 million.", "301.6 million")
    plus, _ = fact("Acme+ subscribers were at 124.6 million.", "124.6 million")
    parent, _ = fact("The Zenith parent company Acme said revenue rose to $24.7 billion.", "$24.7 billion", ["Acme"])
    assert (members.measure, plus.measure, plus.names, parent.names) == ("users", "users", {"acme+"}, frozenset())
    added, _ = fact("In the prior quarter, Acme added 4.4 million subscribers.", "4.4 million")
    assert added.change


def test_figures_of_one_statement_share_its_stance_but_a_second_statement_does_not():
    expected, _ = fact("Wall Street expected Acme would report earnings per share (EPS) of $1.43 on $24.55 billion in revenue.",
                       "$24.55 billion")
    outlook, _ = fact("Acme expects operating income of $2.19 billion and operating margin of 21.6% for the fourth quarter.", "21.6%")
    result, _ = fact("Analysts expected $1.43 in earnings per share, and Acme reported earnings per share of $1.76.", "$1.76")
    assert (expected.stance, outlook.stance, result.stance) == ("estimate", "guidance", "")
    missed, _ = fact("Despite missing estimates with adjusted EPS of $0.73 and revenue of $25.7 billion, Acme shares rose.", "$0.73")
    assert missed.stance == ""


def test_two_names_joined_by_and_are_one_subject_and_a_change_from_another_quarter_is_not_that_quarter_s():
    (read,) = read_claims("Acme+ and Hulu subscriptions totaled 178 million, an increase of 0.9 million from Q4 fiscal 2024.", ACME)
    total, change = read.facts
    assert total.names == change.names == {"acme+", "hulu"}
    assert change.change and change.period == ("", "")


@pytest.mark.parametrize(("sentence", "figure", "period"), [
    ("Acme+ lost 700,000 subscribers over the final three months of 2024.", "700,000", ("Q4", "2024")),
    ("In the prior quarter, Acme added 4.4 million subscribers.", "4.4 million", ("", "THEN")),
])
def test_quarters_named_in_other_words(sentence, figure, period):
    read, _ = fact(sentence, figure)
    assert read.period == period


def test_ad_revenue_is_advertising_revenue_and_this_segment_is_some_segment():
    ad, _ = fact("Acme projects ad revenue of $9 billion.", "$9 billion")
    advertising, _ = fact("Acme projects advertising revenue of $9 billion.", "$9 billion")
    segment, segment_claim = fact("Acme's operating income for this segment surged by 95% to $1.7 billion.", "$1.7 billion")
    assert ad.scope == advertising.scope == "advertising" and measured_basis(segment, segment_claim) is None


def test_the_company_s_own_expectations_are_guidance_and_profit_sharing_is_no_profit():
    sentence = ("Acme provided guidance for 2025, with expectations of earnings surpassing $7.35 per share and free cash "
                "flow exceeding $4 billion.")
    eps, _ = fact(sentence, "$7.35")
    cash, _ = fact(sentence, "$4 billion")
    predicted, _ = fact("Acme's revenue predictions of 7% come in ahead of the approximately 5% predicted by analysts.", "5%")
    sharing, _ = fact("Acme will log $1.4 billion in profit sharing payments.", "$1.4 billion")
    assert (eps.stance, cash.stance, predicted.stance, sharing.measure) == ("guidance", "guidance", "estimate", "")


def test_a_figure_that_lost_its_magnitude_word_is_no_other_figure():
    scaled, scaled_claim = fact("Acme recorded $8 billion of operating cash flow in 2024.", "$8 billion")
    bare, bare_claim = fact("Acme recorded operating cash flow of $8 in 2024.", "$8")
    assert not differ(scaled, scaled_claim, bare, bare_claim, SAME_WEEK)
