"""The bundled samples score to the totals worked out by hand.

Each city's deviations from a clean return are listed in
tools/sample_cities.py with their effect; the totals below add them up by
hand (hundredths), e.g. 太原市: base 100 − 0.04 (3.3.8) − 0.09 (3.3.9) = 99.87,
bonus 2 + 2 + 2 + 5 (capped) = 11, 综合加分 5 + 2 = 7 → 117.87.
"""

from pathlib import Path

import pytest

from assess_xlsx.scoring import score
from assess_xlsx.intake import read_submissions

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

# city: (base, bonus, extra, major, total, rank, grade)
EXPECTED = {
    "太原市": (9987, 1100, 700, 0, 11787, 1, "优秀"),
    "大同市": (9604, 250, 100, 300, 9654, 7, "优秀"),     # 100 − 1.5 − 0.76 − 0.7 − 1; +1 +1.5; +1; −3
    "阳泉市": (9450, 0, 0, 500, 8950, 10, "良好"),        # −2 −1.5 −2; 9.1.1 3.99% no bonus; −5
    "长治市": (9350, 300, 300, 0, 9950, 4, "优秀"),       # −0.5 −5 −1; +1 +2; +2 +1
    "晋城市": (9600, 500, 300, 300, 10100, 3, "优秀"),    # −2 −2; +3 +2; +3; −3 (201st)
    "朔州市": (9362, 0, 200, 0, 9562, 8, "优秀"),         # −0.38 −4 −1 −1; +2; 200th: no deduction
    "晋中市": (9933, 300, 150, 25, 10358, 2, "优秀"),     # −0.67; +1 +2; +1 +0.5; −0.25
    "运城市": (9200, 0, 200, 300, 9100, 9, "优秀"),       # −2 −2 −2 −2; +2; −3
    "忻州市": (8900, 0, 0, 800, 8100, 11, "良好"),        # −3 −2 −2 −2 −2; −3 −5
    "临汾市": (9400, 200, 200, 0, 9800, 5, "优秀"),       # −2 −1 −2 −1; +1 +1; +1 +1
    "吕梁市": (9750, 50, 0, 0, 9800, 5, "优秀"),          # −0.5 −1.5 −0.5; +0.5
}


@pytest.fixture(scope="module")
def result(scheme):
    sub = read_submissions(SAMPLES, scheme)
    assert sub.report.ok and not sub.missing
    return score(scheme, sub)


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
    assert audit.at["3.3.10", "sources"].startswith("大同市（市发改委）.xlsx 填报表!G")
    assert audit.at["2.1.1", "sources"].iloc[0].startswith("大同市（市政府办）.xlsx 填报表!G")
