"""Regenerate samples/ from the template and tools/sample_cities.py.

    python tools/make_samples.py            # writes samples/*.xlsx and samples/with-errors/

The 11 city workbooks are the template filled with each city's values, as
the city would fill it (openpyxl keeps the template's formats and drop-down
lists). 大同市 comes as two files, one per department. samples/with-errors/
holds copies with the mistakes people make, to show what `check` says.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tools")]

from fill import fill_workbook  # noqa: E402  (tests/fill.py: the one way to fill by program)
from sample_cities import DEPARTMENT_SPLIT, DEVIATIONS, city_values  # noqa: E402

TEMPLATE = ROOT / "templates" / "scoresheet_template.xlsx"

# The mistakes of samples/with-errors/: file -> (city, {input: wrong value}).
WITH_ERRORS = {
    "阳泉市.xlsx": ("阳泉市", {"2.1.2a": "两个", "3.3.8a": 1300, "3.3.8b": 1200}),   # 文字代替数字；合规量大于总量
    "忻州市.xlsx": ("忻州市", {"1.1.1a": "部分", "9.1.1b": "4.5%%", "10.6a": 1}),       # 不是“是/否”；百分比写错；加分无说明
    "临汾市.xlsx": ("临汾市", {"3.3.10b": 0, "4.1.1a": 3, "10.2b": 0}),               # 抽查总量为0；超出2件；排名为0
}


def main() -> None:
    out = ROOT / "samples"
    out.mkdir(exist_ok=True)
    for old in out.glob("*.xlsx"):
        old.unlink()
    for city in DEVIATIONS:
        values = city_values(city)
        if city in DEPARTMENT_SPLIT:
            dept, codes = DEPARTMENT_SPLIT[city]
            mine = {c: v for c, v in values.items() if c in codes}
            rest = {c: v for c, v in values.items() if c not in codes}
            fill_workbook(TEMPLATE, out / f"{city}（{dept}）.xlsx", mine, city=city)
            fill_workbook(TEMPLATE, out / f"{city}（市政府办）.xlsx", rest, city=city)
        else:
            fill_workbook(TEMPLATE, out / f"{city}.xlsx", values, city=city)
    bad = out / "with-errors"
    bad.mkdir(exist_ok=True)
    for old in bad.glob("*.xlsx"):
        old.unlink()
    for name, (city, wrong) in WITH_ERRORS.items():
        values = city_values(city)
        values.update(wrong)
        fill_workbook(TEMPLATE, bad / name, values, city=city)
    print(f"written: {len(list(out.glob('*.xlsx')))} workbooks in {out}, {len(WITH_ERRORS)} in {bad}")


if __name__ == "__main__":
    main()
