"""List prices by date: the row in force picks the price, cached tokens and searches are billed as
Google bills them, and the settings file adds or replaces rows."""

from __future__ import annotations

from datetime import date

import pytest
from click.testing import CliRunner

from pipeline.cli import groundbrief
from pipeline.models import TokenUsage
from pipeline.prices import ModelPrice, billed_searches, default_prices, price_on
from pipeline.settings import Settings, load_settings


def test_the_row_in_force_on_a_day_prices_it():
    rows = default_prices()["gemini-3.8-flash"]
    assert price_on(rows, date(2026, 12, 31)).input == 0.75
    assert price_on(rows, date(2027, 1, 1)).input == 1.50
    assert price_on(rows, date(2026, 9, 1)) is None  # before the model's first price
    assert price_on([ModelPrice(input=1, output=2)], date(2000, 1, 1)).input == 1  # no date: from the start


def test_cached_prompt_tokens_bill_at_the_cached_rate_and_searches_per_thousand():
    price = ModelPrice(input=1.0, cached_input=0.1, output=4.0, search_per_1k=14.0)
    usage = TokenUsage(prompt_tokens=1_000_000, cached_tokens=600_000, tool_tokens=100_000, output_tokens=250_000, searches=3)
    assert price.cost(usage) == pytest.approx(0.5 * 1.0 + 0.6 * 0.1 + 0.25 * 4.0 + 3 * 0.014)
    assert ModelPrice(input=1.0, output=4.0).cost(TokenUsage(prompt_tokens=1_000_000, cached_tokens=1_000_000)) == 1.0


def test_google_bills_unique_non_empty_queries_or_one_grounded_prompt():
    queries = ["", "Cerebras Groq revenue", "Cerebras Groq revenue ", "NVIDIA Rubin", "  "]
    assert billed_searches(queries) == 2
    assert billed_searches(queries, "prompt") == 1
    assert billed_searches(["", " "]) == 0 and billed_searches(["", " "], "prompt") == 0


def test_the_settings_file_adds_and_replaces_rows_by_model_and_keeps_the_others():
    settings = Settings.model_validate({"prices": {
        "gemini-3.8-flash": {"input": 0.6, "output": 3.0},  # one table: one row, replacing the shipped two
        "my-gateway-model": [{"since": "2026-01-01", "input": 1, "output": 2}, {"since": "2027-01-01", "input": 3, "output": 4}],
    }})
    assert settings.price_for("gemini-3.8-flash-001", date(2027, 6, 1)).input == 0.6
    assert settings.price_for("my-gateway-model", date(2027, 6, 1)).input == 3
    assert settings.price_for("gemini-2.5-flash-lite", date(2026, 12, 1)).input == 0.10  # shipped, longest prefix
    assert settings.price_for("gpt-4.1-mini", date(2026, 12, 1)) is None


def test_groundbrief_models_lists_every_price_row_with_its_date(settings_file):
    settings_file('[[prices."my-gateway-model"]]\nsince = 2026-05-01\ninput = 1.0\noutput = 2.0\n')
    result = CliRunner().invoke(groundbrief, ["models"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.stdout.splitlines() if line.startswith("| gemini-3.8-flash |")]
    assert [row.split("|")[2].strip() for row in rows] == ["2026-09-02", "2027-01-01"]
    assert "$14 per 1,000 unique queries" in rows[0] and "introductory" in rows[0]
    assert "| my-gateway-model | 2026-05-01 | 1 |" in result.stdout
    assert "| gemini-2.5-pro | — | 1.25 | — | 10 | $35 per 1,000 grounded prompts |" in result.stdout


def test_a_dry_run_on_a_local_model_prices_it_at_nothing(monkeypatch):
    from pipeline.cli import generate_report

    monkeypatch.delenv("OLLAMA_HOST", raising=False)
    result = CliRunner().invoke(generate_report, ["Cerebras vs NVIDIA", "--model", "ollama:qwen2.5:7b", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "prices in force on" in result.stdout and "ollama:qwen2.5:7b runs on this machine ($0)" in result.stdout
    assert "| total | 4 | 0 | 0 |" in result.stdout and result.stdout.count("$0.0000 | $0.0000 | $0.0000 |") == 5


def test_the_dry_run_prices_a_langchain_model_under_the_name_a_real_run_uses(settings_file):
    """Prices are listed by model name (``gpt-4.1-mini``), as docs/local-models.md says; the provider prefix is not part of it."""
    from pipeline.plan import plan_run
    from tests.conftest import make_request

    settings_file('[prices."gpt-4.1-mini"]\ninput = 0.4\noutput = 1.6\n')
    plan = plan_run(make_request(), "openai:gpt-4.1-mini", analyst_calls=True, web=False, prompts=None)
    assert plan.total.token_cost_usd > 0 and "has no price" not in plan.prices


def test_a_bad_price_in_the_settings_file_names_the_field(settings_file):
    from pipeline.errors import UsageError

    settings_file('[prices."gemini-3.8-flash"]\ninput = "x"\noutput = 1\n')
    with pytest.raises(UsageError, match=r"prices\.gemini-3\.8-flash\.0\.input: Input should be a valid number"):
        load_settings()
