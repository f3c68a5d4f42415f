"""The key → line index that puts line numbers on watchlist validation errors."""

from __future__ import annotations

import tomllib

import pytest

from pipeline.schedule.toml_lines import key_lines, line_of

DOCUMENT = '''\
# comment with = and [brackets]
timezone = "America/New_York"  # trailing [comment]
lead_days = [7,
  1, 0]
"dotted.quoted" = 'a]b'
multi = """
line with "quotes" and [brackets]
"""

[[companies]]
name = "NVIDIA"
earnings = [
  { quarter = "Q3", date = 2026-11-25 },
  { quarter = "Q4", date = 2027-02-24 },
]

[[companies]]
name = "AMD"
a.b = 1

[[companies.earnings]]
quarter = "Q3"

[[companies.earnings]]
date = 1979-05-27 07:32:00

[companies.extra]
x = 1
'''


@pytest.mark.parametrize(
    ("location", "line"),
    [
        (("timezone",), 2),
        (("lead_days", 2), 4),
        (("dotted.quoted",), 5),
        (("companies", 0), 10),
        (("companies", 0, "name"), 11),
        (("companies", 0, "earnings", 1, "date"), 14),
        (("companies", 1, "a", "b"), 19),
        (("companies", 1, "earnings", 0, "quarter"), 22),
        (("companies", 1, "earnings", 1), 24),
        (("companies", 1, "earnings", 1, "date"), 25),
        (("companies", 1, "extra", "x"), 28),
    ],
)
def test_every_key_and_element_has_its_line(location, line):
    tomllib.loads(DOCUMENT)  # the scanner only ever sees valid TOML
    assert key_lines(DOCUMENT)[location] == line


def test_a_missing_key_is_placed_at_its_table():
    lines = key_lines(DOCUMENT)
    assert line_of(lines, ("companies", 1, "earnings", 0, "date")) == 21
    assert line_of(lines, ("nowhere",)) == 1
