"""The scorer against figures worked out by hand from docs/scoring-rules.md.

Figures are hundredths: 150 is 1.50 分. Every unit starts from CLEAN_INPUTS
(base 100, no bonus, total 100), so each case changes only what it tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from assess_xlsx.roster import Roster
from assess_xlsx.errors import ScoringError
from assess_xlsx.export import result_as_dict
from assess_xlsx.scoring import Settings, score
from inputs import submissions_from

PREFECTURE, CAPITAL = "大同市", "太原市"


def one(scheme, changes, city=PREFECTURE):
    result = score(scheme, submissions_from(scheme, {city: changes}))
    return result, city


def row(scheme, code, changes, city=PREFECTURE):
    """(deduction, base, bonus) of one row for one unit."""
    result, city = one(scheme, changes, city)
    return tuple(int(result.rows[k].at[city, code]) for k in ("deduction", "base", "bonus"))


def item(scheme, code, changes, city=PREFECTURE):
    result, city = one(scheme, changes, city)
    return int(result.items.at[city, code])


def test_clean_unit_scores_full_marks(scheme):
    result, city = one(scheme, {})
    rec = result.cities.loc[city]
    assert (rec["base"], rec["bonus"], rec["extra"], rec["major"], rec["total"]) == (10000, 0, 0, 0, 10000)
    assert result.rows["base"].loc[city].sum() == 10000
    assert result.audit.empty


# --------------------------------------------------------------------------- caps

@pytest.mark.parametrize("code, changes, expected", [
    # row cap reached exactly, then exceeded
    ("2.1.2", {"2.1.2a": 6}, (300, 0, 0)),
    ("2.1.2", {"2.1.2a": 7}, (300, 0, 0)),
    ("2.1.2", {"2.1.2a": 5}, (250, 50, 0)),
    ("3.3.12", {"3.3.12a": 10}, (500, 0, 0)),
    ("3.3.12", {"3.3.12a": 11}, (500, 0, 0)),
    # several sub-rules summed under the row cap
    ("3.3.7", {"3.3.7a": 2, "3.3.7b": 2}, (200, 0, 0)),
    ("3.3.7", {"3.3.7a": 2, "3.3.7b": 2, "3.3.7c": 1}, (200, 0, 0)),
    ("3.3.7", {"3.3.7a": 1, "3.3.7c": 1}, (100, 100, 0)),
    # each sub-rule of 3.3.4 capped at 1 on its own
    ("3.3.4", {"3.3.4a": 2}, (100, 100, 0)),
    ("3.3.4", {"3.3.4a": 3}, (100, 100, 0)),
    ("3.3.4", {"3.3.4a": 3, "3.3.4b": 1}, (150, 50, 0)),
    ("3.3.4", {"3.3.4a": 5, "3.3.4b": 5}, (200, 0, 0)),
    # a row without a stated cap is capped at its points (2.1.3: 0.5 per case, 2 points)
    ("2.1.3", {"2.1.3a": 4}, (200, 0, 0)),
    ("2.1.3", {"2.1.3a": 5}, (200, 0, 0)),
    ("3.3.14", {"3.3.14a": 2, "3.3.14b": "否"}, (200, 0, 0)),
    ("3.3.14", {"3.3.14a": 1}, (100, 100, 0)),
    ("8.2.1", {"8.2.1a": "否", "8.2.1b": "是"}, (200, 0, 0)),
    ("8.2.1", {"8.2.1b": "是"}, (100, 100, 0)),
    # bonus caps reached exactly, then exceeded
    ("5.2.1", {"5.2.1a": 10}, (0, 0, 500)),
    ("5.2.1", {"5.2.1a": 11}, (0, 0, 500)),
    ("5.2.1", {"5.2.1a": 3}, (0, 0, 150)),
    ("5.3.1", {"5.3.1a": 3}, (0, 0, 300)),
    ("5.3.1", {"5.3.1a": 4}, (0, 0, 300)),
    ("7.1.1", {"7.1.1a": 4}, (0, 0, 300)),
    ("8.4.1", {"8.4.1b": 2}, (0, 200, 200)),
    ("8.4.1", {"8.4.1b": 3}, (0, 200, 200)),
    ("8.4.1", {"8.4.1a": "否", "8.4.1b": 1}, (200, 0, 100)),
    ("1.2.2", {"1.2.2b": 2}, (0, 200, 200)),
    ("1.2.2", {"1.2.2a": "否", "1.2.2b": 1}, (200, 0, 100)),
    ("8.1.1", {"8.1.1e": "是", "8.1.1f": "是", "8.1.1g": "是"}, (0, 200, 200)),
    ("8.1.1", {"8.1.1e": "是", "8.1.1f": "是"}, (0, 200, 150)),
    ("3.1.4", {"3.1.4a": 1.25, "3.1.4b": "是"}, (75, 125, 100)),
    ("3.1.4", {"3.1.4a": 0}, (200, 0, 0)),
    ("1.2.4", {"1.2.4a": "已制定"}, (0, 0, 100)),
    ("1.2.4", {"1.2.4a": "已制定且涵盖全面"}, (0, 0, 200)),
    ("3.4.1", {"3.4.1a": "是"}, (0, 0, 200)),
])
def test_caps(scheme, code, changes, expected):
    assert row(scheme, code, changes) == expected


@pytest.mark.parametrize("code", ["1.2.1", "3.1.2"])
def test_deduction_larger_than_the_row_stops_at_its_points(scheme, code):
    # The text says 扣3分 on a 2-point row: the row goes to 0, not to -1.
    result, city = one(scheme, {f"{code}a": "否"})
    assert (int(result.rows["deduction"].at[city, code]), int(result.rows["base"].at[city, code])) == (200, 0)
    assert int(result.cities.at[city, "total"]) == 9800
    rec = result.audit[(result.audit["code"] == code)].iloc[0]
    assert bool(rec["cap_bit"]) and rec["amount"] == 200
    assert "合计 3 分，超过本行赋分 2 分，按 2 分计" in rec["sentence"]


# --------------------------------------------------------------------------- rates

@pytest.mark.parametrize("a, b, deduction", [
    (0, 100, 0),
    (19, 100, 76),           # 19% × 4 = 0.76
    (1999, 10000, 80),       # 19.99% × 4 = 0.7996 → 0.80, just under 20%
    (20, 100, 200),          # exactly 20%: the middle band, 2
    (4999, 10000, 200),      # just under 50%
    (50, 100, 400),          # exactly 50%: all 4
    (100, 100, 400),
])
def test_concealment_rate_bands_3_3_10(scheme, a, b, deduction):
    assert row(scheme, "3.3.10", {"3.3.10a": a, "3.3.10b": b}) == (deduction, 400 - deduction, 0)


@pytest.mark.parametrize("a, b, c, deduction", [
    (3, 10, 0, 30),           # exactly 30%: 0.30
    (301, 1000, 0, 100),      # 30.1%: straight 1
    (0, 0, 0, 0),             # no repairs: error rate 0
    (0, 0, 3, 60),            # no repairs, 3 late checks × 0.2
    (31, 100, 6, 200),        # 1 + 1.2 = 2.2 → capped at 2
    (1, 3, 0, 100),           # 33.33% is over 30%: straight 1
])
def test_credit_repair_3_3_11(scheme, a, b, c, deduction):
    assert row(scheme, "3.3.11", {"3.3.11a": a, "3.3.11b": b, "3.3.11c": c}) == (deduction, 200 - deduction, 0)


@pytest.mark.parametrize("a, b, deduction", [
    (1200, 1200, 0),
    (1176, 1200, 4),          # 98% compliant: 0.02 × 2 = 0.04
    (2, 3, 67),               # 1/3 × 2 = 0.6667 → 0.67
    (995, 1000, 1),           # 0.005 × 2 = 0.01
    (0, 5, 200),
])
def test_compliance_rate_3_3_8(scheme, a, b, deduction):
    assert row(scheme, "3.3.8", {"3.3.8a": a, "3.3.8b": b}) == (deduction, 200 - deduction, 0)


@pytest.mark.parametrize("a, b, deduction", [
    (1, 8, 38),               # 12.5% × 3 = 0.375 → 0.38 (half up)
    (1, 30, 10),              # 0.1
    (1, 10, 30),
])
def test_late_rate_3_3_9_rounds_half_up(scheme, a, b, deduction):
    assert row(scheme, "3.3.9", {"3.3.9a": a, "3.3.9b": b}) == (deduction, 300 - deduction, 0)


# --------------------------------------------------------------------------- shortfalls, thresholds

@pytest.mark.parametrize("documents, deduction", [(0, 150), (1, 100), (2, 50), (3, 0), (4, 0)])
def test_gazette_documents_8_1_1(scheme, documents, deduction):
    assert row(scheme, "8.1.1", {"8.1.1a": documents}) == (deduction, 200 - deduction, 0)


def test_gazette_all_failings_capped_8_1_1(scheme):
    # 1.5 (no document) + 0.5 + 0.5 + 0.5 = 3 → cap 2
    assert row(scheme, "8.1.1", {"8.1.1a": 0, "8.1.1b": 1, "8.1.1c": 1, "8.1.1d": "否"}) == (200, 0, 0)


@pytest.mark.parametrize("quarters, deduction", [(0, 200), (1, 150), (2, 100), (3, 50), (4, 0)])
def test_inspection_quarters_8_2_2(scheme, quarters, deduction):
    assert row(scheme, "8.2.2", {"8.2.2a": quarters}) == (deduction, 200 - deduction, 0)


@pytest.mark.parametrize("weight, bonus", [(3.99, 0), ("3.99%", 0), (4, 200), ("4%", 200), (12.5, 200), (0, 0)])
def test_weight_threshold_9_1_1(scheme, weight, bonus):
    assert row(scheme, "9.1.1", {"9.1.1b": weight}) == (0, 200, bonus)


# --------------------------------------------------------------------------- 10.2 / 11.2

@pytest.mark.parametrize("gain, prefecture, capital", [
    (0, 0, 0), (2, 0, 0), (3, 0, 100), (9, 0, 300), (10, 100, 300), (29, 200, 900), (30, 300, 1000),
])
def test_rank_improvement_10_2(scheme, gain, prefecture, capital):
    changes = {"10.2a": 150 + gain, "10.2b": 150}
    assert item(scheme, "10.2", changes, PREFECTURE) == prefecture
    assert item(scheme, "10.2", changes, CAPITAL) == capital


@pytest.mark.parametrize("previous, current, prefecture, capital", [
    (150, 200, 0, 5000),      # 200th: not after 200; the capital dropped 50 places
    (150, 201, 300, 5100),
    (230, 215, 300, 0),       # improved yet still after 200: prefecture loses 3
    (100, 100, 0, 0),
    (10, 13, 0, 300),         # capital: 3 places down × 1
])
def test_rank_penalty_11_2(scheme, previous, current, prefecture, capital):
    changes = {"10.2a": previous, "10.2b": current}
    assert item(scheme, "11.2", changes, PREFECTURE) == prefecture
    assert item(scheme, "11.2", changes, CAPITAL) == capital


def test_capital_rules_follow_the_roster_not_the_name(scheme):
    # In a county roster whose capital is 小店区, 太原市 is an ordinary unit.
    roster = Roster(units=("小店区", "太原市"), capitals=frozenset({"小店区"}))
    changes = {"10.2a": 160, "10.2b": 150}
    result = score(scheme, submissions_from(scheme, {"小店区": changes, "太原市": changes}, roster=roster))
    assert result.items.loc[["小店区", "太原市"], "10.2"].tolist() == [300, 100]
    assert result.cities["city_type"].tolist() == ["capital", "prefecture"]


# --------------------------------------------------------------------------- items and totals

def test_items_and_total(scheme):
    changes = {"10.1a": 2, "10.3a": 1, "10.4a": "是", "10.5a": "是", "10.6a": 0.5, "10.6b": "承办现场会",
               "11.1a": 1, "11.3a": 1, "11.7a": 0.25, "11.7b": "栏目更新不及时", "3.3.12a": 1}
    result, city = one(scheme, changes)
    rec = result.cities.loc[city]
    # 10 + 3 + 1 + 1 + 0.5 = 15.5 extra; 5 + 5 + 0.25 = 10.25 major; base 100 − 0.5
    assert (rec["base"], rec["bonus"], rec["extra"], rec["major"]) == (9950, 0, 1550, 1025)
    assert rec["total"] == 9950 + 1550 - 1025 == 10475


def test_total_is_not_floored(scheme):
    result, city = one(scheme, {"11.1a": 30})
    assert int(result.cities.at[city, "total"]) == 10000 - 15000
    assert result.cities.at[city, "grade"] == "不合格"


def test_binary_float_sums_tie_exactly(scheme):
    # 0.1 + 0.2 (two rows) against 0.3 (one row): the same total, so a shared rank.
    units = {
        "大同市": {"3.3.9a": 1, "3.3.9b": 30, "3.3.11c": 1},   # 0.10 + 0.20
        "阳泉市": {"3.3.9a": 1, "3.3.9b": 10},                 # 0.30
    }
    result = score(scheme, submissions_from(scheme, units))
    assert result.cities.loc[["大同市", "阳泉市"], "total"].tolist() == [9970, 9970]
    assert result.cities.loc[["大同市", "阳泉市"], "rank"].tolist() == [1, 1]
    as_json = result_as_dict(result)
    assert [c["total"] for c in as_json["cities"][1:3]] == ["99.70", "99.70"]


def test_subtotals_are_sums_of_rounded_rows(scheme):
    # 3.3.8 0.67 + 3.3.9 0.38 + 3.3.10 0.80: the secondary 3.3 loses exactly 1.85.
    changes = {"3.3.8a": 2, "3.3.8b": 3, "3.3.9a": 1, "3.3.9b": 8, "3.3.10a": 1999, "3.3.10b": 10000}
    result, city = one(scheme, changes)
    assert int(result.secondary["base"].at[city, "3.3"]) == 3500 - 185
    assert int(result.primary["base"].at[city, "3"]) == 5700 - 185
    assert int(result.cities.at[city, "total"]) == 10000 - 185


# --------------------------------------------------------------------------- ranks and grades

TIE_UNITS = {
    "太原市": {"11.1a": 1},                 # 95
    "大同市": {},                           # 100
    "阳泉市": {"11.1a": 1},                 # 95
    "长治市": {"11.1a": 2},                 # 90
}


@pytest.mark.parametrize("ranking, expected", [("competition", [2, 1, 2, 4]), ("dense", [2, 1, 2, 3])])
def test_ties_in_totals(scheme, ranking, expected):
    result = score(scheme, submissions_from(scheme, TIE_UNITS), Settings(ranking=ranking))
    assert result.cities.loc[list(TIE_UNITS), "rank"].tolist() == expected
    assert result.ranking.index.tolist() == ["大同市", "太原市", "阳泉市", "长治市"]


def test_primary_ranks_share_on_ties(scheme):
    units = {"太原市": {"1.1.1a": "否"}, "大同市": {}, "阳泉市": {"1.1.1a": "否"}, "长治市": {"1.2.3a": "是"}}
    result = score(scheme, submissions_from(scheme, units))
    # 组织领导与工作保障: 4, 6, 4, 6 + 1 bonus
    assert result.primary["rank"].loc[list(units), "1"].tolist() == [3, 2, 3, 1]
    dense = score(scheme, submissions_from(scheme, units), Settings(ranking="dense"))
    assert dense.primary["rank"].loc[list(units), "1"].tolist() == [3, 2, 3, 1]
    assert result.primary["rank"].loc[list(units), "2"].tolist() == [1, 1, 1, 1]


@pytest.mark.parametrize("changes, total, grade", [
    ({"11.1a": 2}, 9000, "优秀"),                                   # exactly 90
    ({"11.1a": 2, "3.3.8a": 995, "3.3.8b": 1000}, 8999, "良好"),     # 89.99
    ({"11.1a": 6}, 7000, "良好"),
    ({"11.1a": 8}, 6000, "合格"),
    ({"11.1a": 8, "3.3.8a": 995, "3.3.8b": 1000}, 5999, "不合格"),
])
def test_grade_bands(scheme, changes, total, grade):
    result, city = one(scheme, changes)
    assert (int(result.cities.at[city, "total"]), result.cities.at[city, "grade"]) == (total, grade)


def test_grade_bands_are_settings(scheme):
    settings = Settings(grades=(("A", 9500), ("B", 0)), lowest_grade="C")
    result = score(scheme, submissions_from(scheme, TIE_UNITS), settings)
    assert result.cities.loc[list(TIE_UNITS), "grade"].tolist() == ["A", "A", "A", "B"]
    with pytest.raises(ScoringError):
        Settings(ranking="olympic")


def test_two_values_for_one_unit_and_input_are_refused_not_scored(scheme):
    """The reader merges a unit's values to one per input; a second one reaching
    the scorer (a broken contract) stops it rather than one of them winning."""
    sub = submissions_from(scheme, {"太原市": {}, "吕梁市": {}})
    values = sub.values
    twice = pd.concat([values, values[(values["city"] == "吕梁市") & (values["code"] == "1.1.1a")]], ignore_index=True)
    score(scheme, sub)     # one each: scored
    sub.values = twice
    with pytest.raises(ScoringError, match="more than one value"):
        score(scheme, sub)


# --------------------------------------------------------------------------- statuses

def test_rejected_and_missing_units_are_not_ranked(scheme):
    sub = submissions_from(scheme, {"太原市": {}, "吕梁市": {"11.1a": 1}}, rejected={"大同市": "1.1.1a"})
    result = score(scheme, sub)
    cities = result.cities
    assert cities.index.tolist()[:3] == ["太原市", "大同市", "阳泉市"]
    assert cities.loc["大同市", "status"] == "rejected" and pd.isna(cities.loc["大同市", "rank"])
    assert cities.loc["大同市", "reason"].startswith("填报数据有 1 处错误")
    assert cities.loc["阳泉市", "status"] == "missing" and pd.isna(cities.loc["阳泉市", "total"])
    assert cities.loc[["太原市", "吕梁市"], "rank"].tolist() == [1, 2]
    assert result.rows["base"].index.tolist() == ["太原市", "吕梁市"]
    data = result_as_dict(result)
    by_city = {c["city"]: c for c in data["cities"]}
    assert by_city["大同市"]["status"] == "rejected"
    assert by_city["大同市"]["problems"][0]["cell"] == "G9"
    assert by_city["阳泉市"] == {"city": "阳泉市", "status": "missing", "reason": "未提交填报表 / no workbook received"}
    assert by_city["吕梁市"]["total"] == "95.00" and by_city["吕梁市"]["items"]["11.1"] == "5.00"
    assert by_city["太原市"]["rows"]["1.1.1"] == {"base": "2.00", "bonus": "0.00", "deduction": "0.00"}


def test_nobody_scored(scheme):
    result = score(scheme, submissions_from(scheme, {}))
    assert (result.cities["status"] == "missing").all()
    assert result.rows["base"].shape == (0, 52) and result.audit.empty


# --------------------------------------------------------------------------- the audit

def test_audit_sentence_names_inputs_cap_and_cells(scheme):
    result, city = one(scheme, {"2.1.1a": 1, "2.1.1b": 4, "5.2.1a": 12})
    audit = result.audit.set_index(["code", "side"])
    rec = audit.loc[("2.1.1", "deduct")]
    assert rec["amount"] == 200 and bool(rec["cap_bit"]) and rec["cap"] == "扣分上限 2 分"
    assert rec["sentence"] == (
        "未完善按要素查找功能的县级政府网站家数 1 家 × 0.5 分 = 0.5 分；"
        "未按已公布标准目录公开的件数 4 件 × 0.5 分 = 2 分；"
        "合计 2.5 分，超过扣分上限 2 分，按 2 分计；得 0 分（满分 2 分）"
    )
    assert rec["parts"] == "0.5 + 2"
    assert rec["sources"].startswith("大同市.xlsx 填报表!G")
    bonus = audit.loc[("5.2.1", "bonus")]
    assert bonus["amount"] == 500 and bool(bonus["cap_bit"])
    assert bonus["sentence"] == "报山西省人民政府微信公众号被采纳发布的篇数 12 篇 × 0.5 分 = 6 分；合计 6 分，超过加分上限 5 分，按 5 分计"


def test_cap_reached_exactly_does_not_bite(scheme):
    result, city = one(scheme, {"2.1.1a": 1, "2.1.1b": 3})
    rec = result.audit.iloc[0]
    assert (rec["amount"], bool(rec["cap_bit"]), rec["cap"]) == (200, False, "扣分上限 2 分")
    assert rec["sentence"].endswith("= 1.5 分；合计扣 2 分；得 0 分（满分 2 分）")


def test_audit_has_one_record_per_loss_or_gain(scheme):
    result, city = one(scheme, {"2.1.1a": 1, "2.1.1c": "是", "10.2a": 230, "10.2b": 215, "3.3.10a": 20, "3.3.10b": 100})
    keys = list(zip(result.audit["code"], result.audit["side"]))
    assert keys == [("2.1.1", "deduct"), ("2.1.1", "bonus"), ("3.3.10", "deduct"), ("10.2", "extra"), ("11.2", "major")]
    sentence = result.audit.set_index("code").at["3.3.10", "sentence"]
    assert "比率 20.00%（不低于 20%且低于 50%），扣 2 分" in sentence
    assert result.audit["amount"].tolist() == [50, 100, 200, 100, 300]


# --------------------------------------------------------------------------- vectorised

def test_many_units_score_like_one(scheme):
    """1,000 units scored at once give each the figures it gets alone."""
    roster = Roster(units=tuple(f"单位{k:04d}" for k in range(1000)), capitals=frozenset({"单位0000"}))
    rng = np.random.default_rng(7)
    units = {u: {"3.3.10a": int(rng.integers(0, 101)), "3.3.10b": 100, "10.2a": int(rng.integers(150, 260)),
                 "10.2b": int(rng.integers(150, 260)), "2.1.1a": int(rng.integers(0, 6))} for u in roster.units}
    result = score(scheme, submissions_from(scheme, units, roster=roster))
    for u in ("单位0000", "单位0001", "单位0500", "单位0999"):
        alone = score(scheme, submissions_from(scheme, {u: units[u]}, roster=Roster(units=(u,), capitals=roster.capitals & {u})))
        assert int(result.cities.at[u, "total"]) == int(alone.cities.at[u, "total"])
    assert result.cities["rank"].min() == 1 and result.cities["status"].eq("scored").all()
