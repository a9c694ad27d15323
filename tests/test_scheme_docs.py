"""docs/scoring-rules.md lists every row and item of the rules, with their points."""

from __future__ import annotations

import re
from pathlib import Path

from assess_xlsx.figures import fmt_short
from assess_xlsx.rules import load_rules

DOC = Path(__file__).resolve().parent.parent / "docs" / "scoring-rules.md"
ROW = re.compile(r"^\| (\d+\.\d+(?:\.\d+)?) \| (.+?) \| (.+?) \|", re.M)


def section(title: str) -> str:
    """The text of the section whose heading starts with `title`."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index(f"\n## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def table_rows(title: str):
    return [(m.group(1), m.group(2), m.group(3)) for m in ROW.finditer(section(title))]


def test_every_row_and_item_is_documented_in_order():
    book = load_rules()
    assert [c for c, _, _ in table_rows("各考核行")] == list(book.rows)
    assert [c for c, _, _ in table_rows("综合加分项与重大扣分项")] == list(book.items)


def test_documented_points_are_the_rules_points():
    book = load_rules()
    documented = {code: pts for code, _, pts in table_rows("各考核行")}
    assert documented == {c: ("–" if r.points is None else fmt_short(r.points)) for c, r in book.rows.items()}


def test_documented_cross_check_is_what_the_reader_finds(scheme):
    documented = {(code, cell) for code, cell, _ in table_rows("原文与规则的自动核对")}
    found = {(f.input, f.cell) for f in scheme.report if f.code == "scheme-text-disagrees"}
    assert documented == found


def test_documented_inputs_are_the_rules_inputs():
    text = DOC.read_text(encoding="utf-8")
    book = load_rules()
    for spec in book.inputs.values():
        assert f"{spec.id} {spec.label}" in text, spec.code
