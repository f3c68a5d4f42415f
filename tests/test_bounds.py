"""The pieces that keep names and work bounded, one by one: invisible characters, odd bytes, JSON
nesting, the index of claims ``check`` looks repeats up in, and the template budget's limits."""

from __future__ import annotations

import sys
import threading
import unicodedata
from pathlib import Path

import pytest

from pipeline.baseline import ClaimIndex, same_claim
from pipeline.controls import escaped, has_undecodable, one_line, printable
from pipeline.inputs import MAX_JSON_DEPTH, load_json
from pipeline.templating import MAX_TEMPLATE_STEPS, TEMPLATE_FAILURES, sandboxed_environment


def test_every_invisible_format_character_is_removed_but_a_joiner_inside_an_emoji():
    formats = [chr(code) for code in range(sys.maxunicode + 1) if unicodedata.category(chr(code)) == "Cf"]
    assert len(formats) > 150
    assert [char for char in formats if printable(f"a{char}b") != "ab"] == []
    assert printable("👩\u200d💻 Cere\u200dbras") == "👩\u200d💻 Cerebras"


def test_a_name_is_shown_with_what_doesnt_show_escaped():
    assert escaped("caf\udce9 \x1b[31m\n\u200b.md") == "caf\\xe9 \\x1b[31m\\n\\u200b.md"
    assert escaped("plain café.md") == "plain café.md"
    assert printable("caf\udce9") == "caf\\xe9" and one_line("Cere\u200bbras\u00ad vs\u2060 NVIDIA") == "Cerebras vs NVIDIA"
    assert has_undecodable("a\udcff") and has_undecodable("\ud800") and not has_undecodable("café 👩‍💻")


def test_json_nesting_is_limited_before_it_is_parsed():
    assert load_json("[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH) is not None
    with pytest.raises(ValueError, match="nested more than 64 levels deep"):
        load_json("[" * (MAX_JSON_DEPTH + 1) + "]" * (MAX_JSON_DEPTH + 1))
    with pytest.raises(ValueError, match="nested more than 64 levels deep"):
        load_json("[" * 1_000_000)  # unclosed: would exhaust the parser's stack
    assert load_json('{"a": "[[[[{{{{\\"[[[["}') == {"a": '[[[[{{{{"[[[['}  # brackets in strings don't nest
    with pytest.raises(ValueError, match="characters, more than the 10 allowed"):
        load_json('{"a": 123456}', max_chars=10)


def test_the_claim_index_finds_a_repeat_or_a_light_edit_and_never_another_claim():
    claims: ClaimIndex[int] = ClaimIndex()
    assert claims.add("Cerebras reported revenue of $136m in Q3.", 1) is None
    assert claims.add("Groq raised $640m from BlackRock.", 2) is None
    assert claims.add("CEREBRAS  reported revenue of $136m in Q3.", 3) == 1  # a repeat in other case and spacing
    assert claims.add("Cerebras reported revenues of $136m in Q3!", 4) == 1  # a light edit
    assert claims.add("Cerebras reported revenue of $212m in Q3.", 5) is None  # other figures: another claim
    assert claims.add("Groq's chips are used by Saudi Aramco.", 6) is None


def test_the_claim_index_agrees_with_same_claim_on_look_alikes():
    snippets = [f"Vendor {n % 7} shipped {n % 3} racks to customer {n % 5} in the quarter." for n in range(300)]
    claims: ClaimIndex[int] = ClaimIndex()
    for n, snippet in enumerate(snippets):
        earlier = claims.add(snippet, n)
        if earlier is not None:
            assert same_claim(snippets[earlier], snippet)


def _render(tmp_path: Path, text: str) -> str:
    (tmp_path / "t.md.j2").write_text(text, encoding="utf-8")
    return sandboxed_environment([tmp_path]).get_template("t.md.j2").render()


def test_templates_within_the_budget_render_as_before(tmp_path):
    text = ("{% for i in range(3) %}{{ i }}{% endfor %}|{{ 'ab' * 2 }}|{{ 'x'|center(5) }}|{{ [1, 2]|join(', ') }}|"
            "{{ '%3d' % 7 }}|{{ '{:>3}'.format(1) }}|{{ 2 ** 10 }}|{{ 'a' ~ 'b' }}|{{ 'aXa'|replace('X', 'yy') }}|"
            "{% for row in [[1, 2], [3]] %}{{ row|sum }}{% endfor %}|{{ range(3)|list|length }}|{{ [[1], [2]]|sum(start=[]) }}")
    assert _render(tmp_path, text) == "012|abab|  x  |1, 2|  7|  1|1024|ab|ayya|33|3|[1, 2]"


def test_each_render_has_its_own_budget(tmp_path):
    (tmp_path / "t.md.j2").write_text("{% for i in range(99999) %}{% endfor %}", encoding="utf-8")
    template = sandboxed_environment([tmp_path]).get_template("t.md.j2")
    for _ in range(MAX_TEMPLATE_STEPS // 99999 + 5):  # together over the budget, each far within it
        assert template.render() == ""


def test_renders_in_threads_keep_their_budgets_apart(tmp_path):
    (tmp_path / "big.md.j2").write_text("{% for i in range(99999) %}{% for j in range(99999) %}{% endfor %}{% endfor %}")
    (tmp_path / "small.md.j2").write_text("{% for i in range(50000) %}{% endfor %}done")
    env = sandboxed_environment([tmp_path])
    results: dict[str, object] = {}

    def render(name: str) -> None:
        try:
            results[name] = env.get_template(name).render()
        except TEMPLATE_FAILURES as error:
            results[name] = error

    threads = [threading.Thread(target=render, args=(name,)) for name in ("big.md.j2", "small.md.j2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results["small.md.j2"] == "done" and "steps" in str(results["big.md.j2"])
