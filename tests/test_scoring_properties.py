"""Properties of the scorer over random valid inputs (hypothesis).

- every row's base lies in [0, points] and its bonus in [0, its cap];
- more problems never raise a score: making any deduction's input worse
  leaves every row and the total no higher;
- the audit's texts made once per case (units alike in what they read) are
  the texts made unit by unit, the capital's own rules included.
"""

from __future__ import annotations

from decimal import Decimal
from unittest import mock

import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

from assess_xlsx import scoring
from assess_xlsx.roster import Roster
from assess_xlsx.scheme import read_scheme
from assess_xlsx.scoring import score
from inputs import submissions_from

SCHEME = read_scheme()
RULES = SCHEME.rules
RATES = [p for r in RULES.rows.values() for p in r.deduct if p.kind == "rate"]
NUMERATORS = {p.inputs["num"]: p for p in RATES}
DENOMINATORS = {p.inputs["den"]: p for p in RATES}
UNITS = tuple(f"单位{k}" for k in range(6))
ROSTER = Roster(units=UNITS, capitals=frozenset({UNITS[0]}))


def _amount(hundredths: int):
    return Decimal(hundredths) / 100


@st.composite
def unit_values(draw):
    values: dict[str, object] = {}
    for code, spec in RULES.inputs.items():
        if code in NUMERATORS:
            continue
        if spec.kind == "yesno":
            values[code] = draw(st.sampled_from(["是", "否"]))
        elif spec.kind == "count":
            low = 1 if code in DENOMINATORS and DENOMINATORS[code].params["zero"] == "error" else 0
            values[code] = draw(st.integers(low, spec.max if spec.max is not None else 40))
        elif spec.kind == "rank":
            values[code] = draw(st.integers(1, 400))
        elif spec.kind == "level":
            values[code] = draw(st.sampled_from(spec.levels))
        elif spec.kind in ("amount", "score"):
            top = spec.max if spec.max is not None else 1000
            values[code] = _amount(draw(st.integers(0, top)))
    for code, part in NUMERATORS.items():
        values[code] = draw(st.integers(0, values[part.inputs["den"]]))
    for code, spec in RULES.inputs.items():
        if spec.kind == "text":
            values[code] = "说明" if values[spec.required_if_positive] > 0 else ""
    return values


def _worse(values: dict, part, rng) -> dict | None:
    """A copy of `values` with one more problem for `part`, or None if it cannot get worse."""
    v = dict(values)
    if part.kind == "flag":
        when = "是" if part.params["when"] else "否"
        v[part.inputs["input"]] = when
    elif part.kind == "per":
        code = part.inputs["input"]
        spec = RULES.inputs[code]
        if spec.kind == "amount":
            v[code] = values[code] + Decimal("0.25")
        else:
            if spec.max is not None and values[code] >= spec.max:
                return None
            v[code] = values[code] + 1
    elif part.kind == "shortfall":
        code = part.inputs["input"]
        if values[code] == 0:
            return None
        v[code] = values[code] - 1
    elif part.kind == "rate":
        num, den = part.inputs["num"], part.inputs["den"]
        if part.params.get("invert"):
            if values[num] == 0:
                return None
            v[num] = values[num] - 1
        else:
            if values[num] >= values[den]:
                return None
            v[num] = values[num] + 1
    elif part.kind == "score":
        code = part.inputs["input"]
        if values[code] <= 0:
            return None
        v[code] = values[code] - Decimal("0.01")
    elif part.kind == "rank_penalty":
        v[part.inputs["current"]] = values[part.inputs["current"]] + rng
    else:
        return None
    for code, spec in RULES.inputs.items():
        if spec.kind == "text":
            v[code] = "说明" if v[spec.required_if_positive] > 0 else ""
    return v


WORSENING = [p for r in RULES.rows.values() for p in r.deduct] + [
    p for it in RULES.items.values() if it.side == "major" for p in it.parts
]


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(unit_values(), min_size=len(UNITS), max_size=len(UNITS)))
def test_every_row_within_its_points_and_caps(units):
    result = score(SCHEME, submissions_from(SCHEME, dict(zip(UNITS, units)), roster=ROSTER))
    base, deduction, bonus = result.rows["base"], result.rows["deduction"], result.rows["bonus"]
    for code, rule in RULES.rows.items():
        points = rule.points or 0
        assert base[code].between(0, points).all(), code
        assert (base[code] + deduction[code] == points).all(), code
        cap = rule.bonus_cap
        if cap is None:   # an uncapped bonus is bounded by its parts' largest amounts
            cap = sum(max([p.params.get("amount", 0)] + list(p.params.get("amounts", ()))) for p in rule.bonus)
        assert bonus[code].between(0, cap).all(), code
    assert (result.cities["total"] == result.cities["base"] + result.cities["bonus"]
            + result.cities["extra"] - result.cities["major"]).all()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(unit_values(), st.sampled_from(WORSENING), st.integers(1, 60))
def test_more_problems_never_raise_a_score(values, part, step):
    worse = _worse(values, part, step)
    if worse is None:
        return
    units = {UNITS[0]: values, UNITS[1]: worse}
    roster = Roster(units=UNITS[:2])   # both ordinary units, so only the problem differs
    result = score(SCHEME, submissions_from(SCHEME, units, roster=roster))
    before, after = result.rows["base"].loc[UNITS[0]], result.rows["base"].loc[UNITS[1]]
    assert (after <= before).all()
    totals = result.cities["total"]
    assert totals[UNITS[1]] <= totals[UNITS[0]]


def _with(values: dict, other: dict, code: str) -> dict:
    """`values` with `code` (and the other term of its rate) taken from `other`."""
    v = dict(values)
    for c in (code, getattr(NUMERATORS.get(code), "inputs", {}).get("den"),
              getattr(DENOMINATORS.get(code), "inputs", {}).get("num")):
        if c:
            v[c] = other[c]
    for c, spec in RULES.inputs.items():
        if spec.kind == "text":
            v[c] = "说明" if v[spec.required_if_positive] > 0 else ""
    return v


NUMBER_CODES = [c for c, spec in RULES.inputs.items() if spec.kind != "text"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(unit_values(), unit_values(), st.lists(st.sampled_from(NUMBER_CODES), min_size=len(UNITS), max_size=len(UNITS)))
def test_texts_made_once_per_case_are_the_texts_made_unit_by_unit(base, other, codes):
    """A large run makes an audit row's texts once for each case (units alike in
    everything the texts read) and gives them to every unit of it: the same
    audit as making them unit by unit. Here the units differ from one another
    in one input each (often not in the amount it brings); the capital
    (UNITS[0]) among them; each keeps its own source cells."""
    units = {u: _with(base, other, code) for u, code in zip(UNITS, codes)}
    submissions = submissions_from(SCHEME, units, roster=ROSTER)
    with mock.patch.object(scoring, "_CASES_FROM", 10**9):
        unit_by_unit = score(SCHEME, submissions).audit
    with mock.patch.object(scoring, "_CASES_FROM", 0):
        by_case = score(SCHEME, submissions).audit
    pd.testing.assert_frame_equal(by_case, unit_by_unit)


def test_the_capital_is_its_own_case():
    """The capital and a prefecture with the same inputs, and the same 重大扣分
    for the credit ranking by different rules (capital: 3 places down × 1;
    prefecture: past 200th, 3): each is told its own rule."""
    same = {"10.2a": 200, "10.2b": 203}
    units = {UNITS[0]: same, UNITS[1]: same}
    with mock.patch.object(scoring, "_CASES_FROM", 0):
        audit = score(SCHEME, submissions_from(SCHEME, units, roster=ROSTER)).audit
    rows = audit[audit["code"] == "11.2"].set_index("city")
    assert rows.loc[UNITS[0], "amount"] == rows.loc[UNITS[1], "amount"] == 300
    assert rows.loc[UNITS[0], "sentence"].startswith("省会城市排名由第 200 名降至第 203 名，下降 3 名")
    assert rows.loc[UNITS[1], "sentence"].startswith("本年度排名第 203 名，在第 200 名之后")
