"""Watchlist validation: every problem at once, each with its line, before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import UsageError
from pipeline.registry import models_help
from pipeline.schedule.problems import ProblemsError
from pipeline.schedule.watchlist import load_watchlist
from tests.conftest import EXAMPLE_TITLE_LINE
from tests.schedule.helpers import REPO, write

BROKEN = """\
timezone = "Mars/Olympus"
lead_day = [7, 1]
model = "gpt-9"

[[companies]]
name = "NVIDIA"
ticker = "NVDA"
earnings = [
  { quarter = "Q3 FY2027", date = "2026-11-31" },
  { quarter = "Q4 FY2027", date = 2026-11-25 },
  { quarter = "Q1 FY2028", date = 2026-11-25 },
]
requests = ["Cerebras vs NVIDIA", { question = "  " }]

[[companies]]
name = "Nvidia again"
ticker = "nvda"
window = "3x"
requests = ["Groq vs NVIDIA"]

[[companies]]
ticker = "AMD"
corpus = "no-such-folder"
requests = ["AMD vs NVIDIA"]
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(ProblemsError) as raised:
        load_watchlist(write(tmp_path / "watchlist.toml", text))
    return [str(problem) for problem in raised.value.problems]


def test_every_problem_is_reported_together_by_line(tmp_path):
    assert problems(tmp_path, BROKEN) == [
        "line 1: timezone: unknown time zone 'Mars/Olympus'; use an IANA name such as America/New_York",
        "line 2: unknown key 'lead_day'; did you mean 'lead_days'?",
        f"line 3: model: unknown model 'gpt-9'; available: {models_help()}",
        "line 9: companies[0].earnings[0].date: Input should be a valid date or datetime, day value is outside "
        "expected range (got '2026-11-31')",
        "line 11: companies[0].earnings[2].date: duplicate earnings date 2026-11-25, already on line 10",
        'line 13: companies[0].requests[1]: the topic is empty: give a question, e.g. "Cerebras vs NVIDIA"',
        "line 17: companies[1].ticker: duplicate ticker nvda, already on line 7",
        "line 18: companies[1].window: invalid window '3x': use a number and a unit, e.g. 90d, 6w, 3m or 1y",
        "line 21: companies[2]: missing required key 'name'",
        f"line 23: companies[2].corpus: corpus folder {tmp_path / 'no-such-folder'} does not exist",
    ]


def test_the_message_names_the_file_and_says_nothing_ran(tmp_path):
    with pytest.raises(ProblemsError) as raised:
        load_watchlist(write(tmp_path / "watchlist.toml", BROKEN))
    assert str(raised.value).startswith(f"{tmp_path / 'watchlist.toml'}: 10 problems, nothing was run:\n  line 1: ")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a = 1\nb = 2026-11-31\n", "line 2, column 5: invalid TOML: invalid date or datetime"),
        ('name = "NVIDIA\n', "line 1, column 15: invalid TOML: illegal character '\\n'"),
        ("a = [1,\n", "line 1: invalid TOML: invalid value"),
    ],
)
def test_invalid_toml_gives_line_and_column(tmp_path, text, expected):
    assert problems(tmp_path, text) == [expected]


@pytest.mark.parametrize("text", ["", "# nothing yet\ntimezone = 'UTC'\n", "companies = []\n"])
def test_an_empty_watchlist_is_bad_input(tmp_path, text):
    (message,) = problems(tmp_path, text)
    assert "the watchlist lists no companies: add a [[companies]] table" in message


def test_a_company_needs_requests_and_a_request_needs_a_question(tmp_path):
    text = '[[companies]]\nname = "NVIDIA"\nticker = "NVDA"\nrequests = []\n\n[[companies]]\nname = "AMD"\n' \
           'ticker = "AMD"\nrequests = [{ source_hints = ["arXiv"] }]\n'
    assert problems(tmp_path, text) == [
        "line 4: companies[0].requests: is empty; give at least one",
        "line 9: companies[1].requests[0]: missing required key 'question'",
    ]


@pytest.mark.parametrize("zone", ["America", "utc", "../etc/passwd", ""])
def test_a_time_zone_must_be_an_iana_name(tmp_path, zone):
    text = f'timezone = "{zone}"\n[[companies]]\nname = "NVIDIA"\nticker = "NVDA"\nrequests = ["x"]\n'
    assert problems(tmp_path, text) == [
        f"line 1: timezone: unknown time zone {zone!r}; use an IANA name such as America/New_York"]


def test_unreadable_files_are_one_clear_line(tmp_path):
    with pytest.raises(UsageError, match="missing.toml: no such file"):
        load_watchlist(tmp_path / "missing.toml")
    (tmp_path / "latin1.toml").write_bytes(b'name = "Soci\xe9t\xe9"\n')
    with pytest.raises(UsageError, match="is not UTF-8 text"):
        load_watchlist(tmp_path / "latin1.toml")


def test_settings_cascade_from_request_to_company_to_file(tmp_path):
    (tmp_path / "corpus").mkdir()
    text = f"""\
window = "6m"
lead_days = [3]
corpus = "corpus"

[[companies]]
name = "NVIDIA Corporation"
ticker = " nvda "
focus = "NVIDIA"
lead_days = [7, 0]
requests = ["{EXAMPLE_TITLE_LINE}", {{ question = "Groq vs NVIDIA", window = "30d", focus = "Groq", out_dir = "~/x" }}]
"""
    watchlist = load_watchlist(write(tmp_path / "w.toml", text))
    company = watchlist.companies[0]
    title, table = (watchlist.resolve(company, spec) for spec in company.requests)
    assert company.ticker == "NVDA"
    assert company.requests[0].source_hints == ["Customer case studies", "vendor blogs", "arXiv"]
    assert company.requests[0].keywords[:2] == ["Cerebras", "Groq"]
    assert (str(title.window), title.lead_days, title.focus, title.query_count) == ("6m", [7, 0], "NVIDIA", 12)
    assert (title.corpus, title.out_dir) == (tmp_path / "corpus", tmp_path / "reports")
    assert (str(table.window), table.focus, table.out_dir) == ("30d", "Groq", Path("~/x").expanduser())
    assert title.model == "offline-rules"


def test_the_shipped_example_watchlist_is_valid():
    watchlist = load_watchlist(REPO / "examples" / "watchlist.toml")
    assert [company.ticker for company in watchlist.companies] == ["NVDA"]
    assert watchlist.companies[0].requests[0].question.startswith("Are Cerebras/Groq customers")


def test_a_gemini_watchlist_loads_without_a_key(tmp_path, monkeypatch):
    """Naming a model checks the name only: the key is needed when a briefing runs, not to plan one."""
    for name in ("GEMINI_API_KEY", "GOOGLE_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    path = write(tmp_path / "w.toml", 'model = "gemini-3.8-flash"\n[[companies]]\nname = "NVIDIA"\nticker = "NVDA"\n'
                 'requests = ["Cerebras vs NVIDIA"]\n')
    assert load_watchlist(path).model == "gemini-3.8-flash"


def test_a_watchlist_names_several_searchers_and_an_unknown_one_is_a_problem(tmp_path):
    text = 'search = "corpus, edgar"\n[[companies]]\nname = "NVIDIA"\nticker = "NVDA"\nrequests = ["AMD vs NVIDIA"]\n'
    assert load_watchlist(write(tmp_path / "watchlist.toml", text)).search == "corpus,edgar"
    [problem] = problems(tmp_path, text.replace("corpus, edgar", "corpus,filings"))
    assert problem.startswith("line 1: search: unknown search 'filings'; choose one or more of: corpus, web, edgar")
