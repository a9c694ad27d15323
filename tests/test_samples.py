"""The bundled samples score to the totals worked out by hand.

Each city's deviations from a clean return are listed in
tools/sample_cities.py with their effect; the totals below add them up by
hand (hundredths), e.g. 太原市: base 100 − 0.04 (3.3.8) − 0.09 (3.3.9) = 99.87,
bonus 2 + 2 + 2 + 4 = 10, 综合加分 5 + 2 = 7 → 116.87.

The units send their own inputs (自评); samples/核定/ holds the assessors'
sheets. 考核办 judges three self-assessed values differently
(sample_cities.OVERRIDES), and its value is scored:
- 太原市 5.2.1a 12 → 8 篇: 5.2.1 bonus min(12 × 0.5, 5) = 5 → 8 × 0.5 = 4, −1.00
  (117.87 → 116.87, still 1st);
- 临汾市 1.2.4a 已制定 → 未制定: bonus +1 → 0, −1.00; 10.5a 是 → 否: 综合加分
  +1 → 0, −1.00 (98.00 → 96.00: from 5th, tied with 吕梁市, to 7th, below
  大同市's 96.54, which moves from 7th to 6th).
"""

from pathlib import Path

import pytest

from assess_xlsx.scoring import score
from assess_xlsx.intake import read_submissions

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

# city: (base, bonus, extra, major, total, rank, grade)
EXPECTED = {
    "太原市": (9987, 1000, 700, 0, 11687, 1, "优秀"),      # 5.2.1 核定 8 篇: +4, not +5
    "大同市": (9604, 250, 100, 300, 9654, 6, "优秀"),     # 100 − 1.5 − 0.76 − 0.7 − 1; +1 +1.5; +1; −3
    "阳泉市": (9450, 0, 0, 500, 8950, 10, "良好"),        # −2 −1.5 −2; 9.1.1 3.99% no bonus; −5
    "长治市": (9350, 300, 300, 0, 9950, 4, "优秀"),       # −0.5 −5 −1; +1 +2; +2 +1
    "晋城市": (9600, 500, 300, 300, 10100, 3, "优秀"),    # −2 −2; +3 +2; +3; −3 (201st)
    "朔州市": (9362, 0, 200, 0, 9562, 8, "优秀"),         # −0.38 −4 −1 −1; +2; 200th: no deduction
    "晋中市": (9933, 300, 150, 25, 10358, 2, "优秀"),     # −0.67; +1 +2; +1 +0.5; −0.25
    "运城市": (9200, 0, 200, 300, 9100, 9, "优秀"),       # −2 −2 −2 −2; +2; −3
    "忻州市": (8900, 0, 0, 800, 8100, 11, "良好"),        # −3 −2 −2 −2 −2; −3 −5
    "临汾市": (9400, 100, 100, 0, 9600, 7, "优秀"),       # −2 −1 −2 −1; +1 (2.1.1; 1.2.4 核定 未制定); +1 (10.2; 10.5 核定 否)
    "吕梁市": (9750, 50, 0, 0, 9800, 5, "优秀"),          # −0.5 −1.5 −0.5; +0.5
}


@pytest.fixture(scope="module")
def result(scheme):
    sub = read_submissions(SAMPLES, scheme)
    assert sub.report.ok and not sub.missing and not sub.pending
    return score(scheme, sub)


def test_the_office_overrides_three_self_assessed_values(result):
    assert result.reviews[["city", "code", "own", "judged", "assessor"]].values.tolist() == [
        ["太原市", "5.2.1a", "12", "8", "考核办"],
        ["临汾市", "1.2.4a", "已制定", "未制定", "考核办"],
        ["临汾市", "10.5a", "是", "否", "考核办"],
    ]
    row = result.reviews.iloc[0]
    assert (row["own_source"], row["judged_source"]) == ("太原市.xlsx 填报表!G20", "核定/考核办.xlsx 核定表!D57")


def test_sample_totals_by_hand(result):
    got = {u: tuple(result.cities.loc[u, ["base", "bonus", "extra", "major", "total", "rank", "grade"]])
           for u in EXPECTED}
    assert got == EXPECTED


def test_samples_exercise_every_rule_kind(result):
    rules = result.rules
    kinds_hit = set()
    for rec in result.audit.itertuples():
        rule = rules.rows.get(rec.code) or rules.items.get(rec.code)
        parts = (rule.deduct if rec.side == "deduct" else rule.bonus) if rec.kind == "row" else rule.parts
        kinds_hit |= {p.kind for p in parts}
    assert kinds_hit == {"flag", "per", "shortfall", "rate", "score", "level", "threshold",
                         "rank_improvement", "rank_penalty"}


def test_samples_have_a_tie_in_an_indicator_and_full_marks(result):
    base = result.primary["base"]
    assert base["1"].duplicated().any()
    points = {"1": 600, "2": 700, "3": 5700, "4": 600, "5": 400, "6": 400, "7": 0, "8": 1200, "9": 400}
    full = {p: int((base[p] == pts).sum()) for p, pts in points.items() if pts}
    # 主动公开: every city lost something; 依申请公开: all but 阳泉市 kept full marks.
    assert full == {"1": 9, "2": 9, "3": 0, "4": 10, "5": 10, "6": 9, "8": 6, "9": 10}
    lost = {p: int((points[p] - base[p]).max()) for p in full}
    assert lost["3"] == 550 and lost["8"] == 200   # 长治市 (3.1.4 0.5 + 3.3.12 5) and 运城市 (8.1.1)


def test_one_city_filled_by_two_departments(result):
    files = result.files
    assert sorted(files.loc[files["city"] == "大同市", "file"]) == ["大同市（市发改委）.xlsx", "大同市（市政府办）.xlsx"]
    audit = result.audit[(result.audit["city"] == "大同市")].set_index("code")
    # The unit's own 10.2 ranks from its 发改委's file; 3.3.10 from 省发改委's sheet, 大同市's column (E).
    assert audit.at["10.2", "sources"].startswith("大同市（市发改委）.xlsx 填报表!G")
    assert audit.at["3.3.10", "sources"].startswith("核定/省发改委.xlsx 核定表!E")
    assert audit.at["2.1.1", "sources"].iloc[0].startswith("核定/考核办.xlsx 核定表!E")
