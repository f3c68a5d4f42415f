"""The figure reader (``pipeline.figures.quantities``) and company names (``pipeline.entities``): what
counts as a figure, ranges, separators and currencies, and when two written forms are one value."""

import pytest

from pipeline.entities import aliases, mentions
from pipeline.figures import Quantity, quantities, written_forms


def read(text: str) -> list[tuple[str, float, float, str]]:
    return [(q.text, q.low, q.high, q.unit) for q in quantities(text)]


def only(text: str) -> Quantity:
    found = quantities(text)
    assert len(found) == 1, found
    return found[0]


@pytest.mark.parametrize("text", [
    "The airline ordered the Boeing 737 for its short routes.",
    "The lab served gpt-oss-120B to its users.",
    "Staff may save through a 401(k) plan.",
])
def test_a_model_name_is_not_a_figure(text):
    assert quantities(text) == []


def test_a_product_named_by_its_number_counts_nothing_but_the_count_beside_it_does():
    assert read("The 777 with 14 deliveries led the month.") == [("14", 14.0, 14.0, "")]


def test_a_product_counted_in_words_is_no_figure():
    assert read("The lessor took one 350 from the line and 12 jets in all.") == [("12", 12.0, 12.0, "")]


def test_a_count_before_a_name_is_still_a_figure():
    assert read("About 348 planes left the line, and 33,000 Boeing workers went on strike.") == [
        ("348", 348.0, 348.0, ""), ("33,000", 33000.0, 33000.0, "")]


def test_a_range_with_a_magnitude_on_each_end_is_one_quantity():
    assert read("It guided to sales of $58 billion to $61 billion.") == [
        ("$58 billion to $61 billion", 58e9, 61e9, "USD")]


def test_a_range_joined_by_a_bare_dash_keeps_both_ends():
    assert read("It guided to sales of $58bn-$61bn.") == [("$58bn-$61bn", 58e9, 61e9, "USD")]
    assert read("It guided to sales of $58bn–$61bn.") == [("$58bn–$61bn", 58e9, 61e9, "USD")]
    assert [(q.text, q.low, q.high) for q in quantities("Margins should widen 5%-10%.")] == [("5%-10%", 5.0, 10.0)]
    assert quantities("gpt-oss-120B and the H100-80GB") == []  # a dash inside a name still starts no figure


def test_a_change_from_one_figure_to_another_is_two_quantities():
    assert read("Sales rose from $58 billion to $61 billion.") == [
        ("$58 billion", 58e9, 58e9, "USD"), ("$61 billion", 61e9, 61e9, "USD")]


def test_between_two_figures_is_one_range_and_the_magnitude_applies_to_both_ends():
    assert read("It expects between $2 and $3 billion of savings.") == [
        ("between $2 and $3 billion", 2e9, 3e9, "USD")]


def test_a_decimal_comma_against_a_thousands_comma():
    assert only("Sales reached €16,7 billion.").low == pytest.approx(16.7e9)
    assert only("It served 2,522 tokens per second.").low == 2522


@pytest.mark.parametrize(("text", "currency", "value"), [
    ("Net profit was DKK 99.14 billion.", "DKK", 99.14e9),
    ("Net profit was 12 billion kroner.", "DKK", 12e9),
    ("Sales were CHF 3.2 billion.", "CHF", 3.2e9),
    ("Sales were 3.2 billion Swiss francs.", "CHF", 3.2e9),
    ("Sales were $3.2 billion.", "USD", 3.2e9),
])
def test_currencies(text, currency, value):
    quantity = only(text)
    assert (quantity.kind, quantity.unit) == ("money", currency)
    assert quantity.low == pytest.approx(value)


def test_a_price_per_share_and_a_speed_carry_what_they_measure():
    assert only("The range was $115-$125 per share.").measure == "USD per share"
    assert only("It ran at 1,450 tokens/s.").measure == "tokens/s"


@pytest.mark.parametrize(("one", "other"), [
    ("$4.8 billion", "$4,800 million"),
    ("$20B", "20 billion dollars"),
    ("2,522", "2522"),
    ("$3.9 billion", "$3,861 million"),  # a rounded statement with two significant digits
])
def test_the_same_value_in_other_words(one, other):
    assert only(one).same_value(only(other)) and only(other).same_value(only(one))


@pytest.mark.parametrize(("one", "other"), [
    ("3%", "3.4%"),  # one significant digit states 3%, not 3.4%
    ("25%", "26%"),
    ("$20 billion", "€20 billion"),
    ("$3.7 billion", "$3,861 million"),
])
def test_different_values(one, other):
    assert not only(one).same_value(only(other))


def test_written_forms_of_a_money_figure_and_a_count():
    forms = written_forms(only("$20 billion"))
    assert {"20 billion", "20bn", "20b", "20,000 million"} <= set(forms)
    assert {"2522", "2,522"} <= set(written_forms(only("2,522")))
    assert not any("21" in form for form in written_forms(only("$20 billion")))


def test_aliases_of_a_two_word_company_and_initials_of_a_three_word_one():
    assert aliases("Eli Lilly") == ["Eli Lilly", "Lilly", "EliLilly"]
    assert "Novo" in aliases("Novo Nordisk") and "AMD" in aliases("Advanced Micro Devices")
    assert aliases("NVIDIA") == ["NVIDIA"]


def test_a_name_written_as_one_word_is_a_mention():
    assert mentions("NovoNordisk expects sales to grow by 16 to 24 percent", "Novo Nordisk")
    assert not mentions("Novonordiskfonden owns a majority", "Novo Nordisk")


def test_mentions_by_name_or_alias_but_not_inside_another_word():
    assert mentions("Lilly raised its outlook.", "Eli Lilly")
    assert not mentions("Lillyfield Farms raised its outlook.", "Eli Lilly")
    assert mentions("AMD shipped more chips.", "Advanced Micro Devices")
    assert not mentions("Sales grew in amd regions.", "Advanced Micro Devices")  # initials only in capitals


def test_model_numbers_listed_together_are_no_counts():
    assert quantities("Acme resumed production of 737, 767 and 777/777X jets.") == []
    assert quantities("Types like the 737NG and 777 remain workhorses.") == []
    assert [q.text for q in quantities("Acme delivered 348 jets and 57 in the quarter.")] == ["348", "57"]
    # counts listed together stay counts: no model designation among them
    assert [q.text for q in quantities("Acme recalled 449, 671 and 912 vehicles.")] == ["449", "671", "912"]
    assert [q.text for q in quantities("Acme will cut between 300 and 400 jobs.")] == ["between 300 and 400"]
    assert [q.text for q in quantities("Acme delivered 348 jets in 2024, 528 in 2023 and 480 in 2022.") if q.kind != "year"] == [
        "348", "528", "480"]


def test_a_name_of_two_generic_words_goes_by_its_initials():
    assert "GM" in aliases("General Motors") and mentions("GM expects EBIT of $13.7 billion.", "General Motors")
    assert "EL" not in aliases("Eli Lilly")  # a name with a word of its own is called by that word
    assert "LA" not in aliases("Li Auto") and not mentions("Sales in LA rose 5%.", "Li Auto")


def test_a_value_at_a_half_is_written_rounded_either_way():
    assert only("2.1%").same_value(only("2.15%")) and only("2.2%").same_value(only("2.15%"))
    assert not only("2.1%").same_value(only("2.2%"))
    assert not only("1.78 million").same_value(only("1,789,226"))  # cut short, not rounded


def test_cents_written_with_their_sign():
    assert (only("between 30¢ and 50¢").low, only("between 30¢ and 50¢").high, only("39¢").unit) == (0.3, 0.5, "USD")
