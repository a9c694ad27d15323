"""Regenerate samples/ from the forms and tools/sample_cities.py.

    python tools/make_samples.py            # writes samples/, samples/核定/ and samples/with-errors/

samples/ holds the 11 units' self-assessments (自评): the 自评 form filled
with each city's own inputs (大同市 in two files, one per department).
samples/核定/ holds the five assessors' sheets (核定表), one column per
unit: 考核办 with every input it judges itself, plus a few self-assessed
values it judges differently (sample_cities.OVERRIDES); 省发改委, 省卫健委,
省自然资源厅 and 省公安厅交管局 with theirs. samples/with-errors/ holds the
mistakes people make, to show what `check` says: among them a unit that
filled a province input on 考核办's form itself, and an assessor's sheet
with a misspelt unit column.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tools")]

from assess_xlsx.rules.roles import OFFICE, SELF, assessors  # noqa: E402
from assess_xlsx.scheme import read_scheme  # noqa: E402
from assess_xlsx.template_assessor import write_assessor_sheet  # noqa: E402
from fill import fill_assessor_sheet, fill_workbook, office_form  # noqa: E402  (tests/fill.py)
from sample_cities import DEPARTMENT_SPLIT, DEVIATIONS, OVERRIDES, city_values  # noqa: E402

TEMPLATE = ROOT / "templates" / "scoresheet_template.xlsx"

# The units' mistakes of samples/with-errors/: file -> (city, {input: wrong value}).
WITH_ERRORS = {
    "阳泉市.xlsx": ("阳泉市", {"2.1.2a": "两个"}),                      # 文字代替数字
    "临汾市.xlsx": ("临汾市", {"10.2b": 0}),                            # 排名为0
}
# 忻州市 fills 考核办's per-unit form itself and gives itself 50 points (10.6a):
# in the inbox it is the unit's own file whatever it says, and 10.6a is not used.
FORGED = ("忻州市.xlsx", "忻州市", {"1.1.1a": "部分", "9.1.1b": "4.5%%", "10.6a": 50, "10.6b": "领导小组酌情加分"})
# 省发改委's sheet: 阳泉市's compliant count above its total, 临汾市's total 0,
# and the 太原市 column headed “太源市”.
WRONG_SHEET = ("省发改委", {"阳泉市": {"3.3.8a": 1300, "3.3.8b": 1200}, "临汾市": {"3.3.10b": 0}}, {"太原市": "太源市"})


def main() -> None:
    scheme = read_scheme()
    inputs = scheme.rules.inputs
    out = ROOT / "samples"
    judged = out / "核定"
    bad = out / "with-errors"
    for folder in (out, judged, bad, bad / "核定"):
        folder.mkdir(exist_ok=True)
        for old in folder.glob("*.xlsx"):
            old.unlink()

    def own(values):
        return {c: v for c, v in values.items() if inputs[c].filled_by == SELF}

    for city in DEVIATIONS:
        values = own(city_values(city))
        if city in DEPARTMENT_SPLIT:
            dept, codes = DEPARTMENT_SPLIT[city]
            fill_workbook(TEMPLATE, out / f"{city}（{dept}）.xlsx", {c: v for c, v in values.items() if c in codes},
                          city=city, judged=False)
            fill_workbook(TEMPLATE, out / f"{city}（市政府办）.xlsx",
                          {c: v for c, v in values.items() if c not in codes}, city=city, judged=False)
        else:
            fill_workbook(TEMPLATE, out / f"{city}.xlsx", values, city=city, judged=False)

    forms = Path(tempfile.mkdtemp(prefix="assessor-forms-"))
    for assessor in assessors(scheme.rules):
        form = write_assessor_sheet(scheme, forms / f"{assessor}.xlsx", assessor)
        mine = {c for c, s in inputs.items() if s.filled_by == assessor}
        values = {city: {c: v for c, v in city_values(city).items() if c in mine} for city in DEVIATIONS}
        if assessor == OFFICE:
            for city, changed in OVERRIDES.items():
                values[city].update(changed)
        fill_assessor_sheet(form, judged / f"{assessor}.xlsx", values)

    for name, (city, wrong) in WITH_ERRORS.items():
        values = own(city_values(city))
        values.update(wrong)
        fill_workbook(TEMPLATE, bad / name, values, city=city, judged=False)
    name, city, wrong = FORGED
    values = own(city_values(city))
    values.update(wrong)
    fill_workbook(office_form(), bad / name, values, city=city, judged=False)
    assessor, wrong_values, rename = WRONG_SHEET
    mine = {c for c, s in inputs.items() if s.filled_by == assessor}
    values = {city: {c: v for c, v in city_values(city).items() if c in mine} for city in DEVIATIONS}
    for city, changed in wrong_values.items():
        values[city].update(changed)
    form = write_assessor_sheet(scheme, forms / f"{assessor}-bad.xlsx", assessor)
    fill_assessor_sheet(form, bad / "核定" / f"{assessor}.xlsx", values, rename=rename)
    print(f"written: {len(list(out.glob('*.xlsx')))} workbooks in {out}, {len(list(judged.glob('*.xlsx')))} in "
          f"{judged}, {len(list(bad.rglob('*.xlsx')))} in {bad}")


if __name__ == "__main__":
    main()
