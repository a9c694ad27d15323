"""Fixtures of the robustness corpus: a clean inbox of the 11 cities, scored once.

Every case copies the clean inbox, spoils or adds a file, and runs the reader
and the scorer through `Case.run`, which also proves the inputs unchanged.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from fill import fill_workbook, locate, read_grid

from assess_xlsx.roster import DEFAULT_ROSTER
from assess_xlsx.intake.contract import SHEET_NAME
from assess_xlsx.template import write_template

from .corpus import BASELINE_FIGURES, Case, run_inbox, values_of

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tools"))   # sample_cities



@pytest.fixture(scope="session")
def scheme(self_scheme):
    """The reader's tests: every input on the unit's own form (conftest.self_rules)."""
    return self_scheme

@pytest.fixture(scope="session")
def template(scheme, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("robust-tpl") / "template.xlsx"
    write_template(scheme, path)
    return path


@pytest.fixture(scope="session")
def clean_inbox(scheme, template, tmp_path_factory) -> Path:
    """One workbook per city, filled by program as a city would (corpus.BASELINE)."""
    folder = tmp_path_factory.mktemp("robust-clean")
    for city in DEFAULT_ROSTER.units:
        fill_workbook(template, folder / f"{city}.xlsx", values_of(city), city=city)
    return folder


@pytest.fixture(scope="session")
def baseline(scheme, clean_inbox):
    """The clean inbox read and scored once: what every case compares against."""
    outcome = run_inbox(clean_inbox, scheme)
    assert outcome.found == set(), outcome.found
    assert outcome.result.scored == list(DEFAULT_ROSTER.units)
    figures = outcome.result.cities[["base", "bonus", "extra", "major", "total"]]
    assert {c: tuple(int(v) for v in row) for c, row in figures.iterrows()} == BASELINE_FIGURES
    return outcome


@pytest.fixture
def case(scheme, template, clean_inbox, baseline, tmp_path) -> Case:
    return Case.make(tmp_path / "交回", clean_inbox, scheme, template, baseline)


@pytest.fixture(scope="session")
def row_of(template) -> dict[str, str]:
    """编号 -> the 填报值 cell of its row in the template ("3.3.8a" -> "G39")."""
    rows = read_grid(template)[SHEET_NAME]
    header, code_col, value_col, _ = locate(rows)
    assert value_col == 6   # column G: the cells below are written as G..
    return {r[code_col]: f"G{k + 1}" for k, r in enumerate(rows) if k > header and r[code_col]}
