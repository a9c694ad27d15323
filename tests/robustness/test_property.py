"""Random damage to valid workbooks never makes the tool fail: every run ends
in a result, with whatever is wrong reported as findings.

Hypothesis mutates cells of a clean sheet (random text, numbers huge and
tiny, formulas, booleans, unicode, blanks), deletes, copies and shuffles rows,
and saves it as .xlsx, .ods or .xls beside a clean workbook of another city.
A second property flips bytes of the saved file. Bounded to a few dozen
examples each so the corpus stays quick.
"""

from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fill import fill_grid, locate, write_grid

from assess_xlsx.findings import ERROR, MESSAGES
from assess_xlsx.intake.contract import SHEET_NAME

from .corpus import run_inbox, values_of

CITY, OTHER = "太原市", "大同市"
SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

TYPED = st.sampled_from([
    "是", "否", "√", "×", "Y", "n", "有", "无", "95%", "4.5%%", "１２", "2件", "5个季度", "第3名", "1,176", "1.005",
    " ", "\u3000", "-0", "0.0", "已制定", "部分制定", "很多", "两件", "1e3", "NaN", "inf", "#DIV/0!",
    "=1/0", "=A1", "=SUM(G1:G5)", '=HYPERLINK("http://example.invalid","x")', "+cmd|' /C calc'!A0", "@SUM(1)",
    "太原市", "大同市", "北京市", "编号", "填报值", "被考核单位", "3.3.8a", "3.3.99a", "10.6b",
])
VALUE = st.one_of(
    TYPED,
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30),
    st.integers(min_value=-10**20, max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(min_value=-1e6, max_value=1e6).map(lambda x: round(x, 3)),
    st.booleans(),
    st.none(),
    st.from_regex(r"[-+]?[0-9０-９]{1,20}([.．][0-9]{0,5})?[%件名个]?", fullmatch=True),
)


def _clean_rows(template):
    from fill import read_grid

    return read_grid(template)[SHEET_NAME]


@st.composite
def damaged(draw, grid):
    """A damaged copy of the clean sheet `grid` and the format to save it in."""
    rows = [list(r) for r in grid]
    header, code_col, value_col, unit = locate(rows)
    width = max(len(r) for r in rows)
    for _ in range(draw(st.integers(0, 12))):
        r = draw(st.integers(0, len(rows) - 1))
        c = draw(st.one_of(st.just(value_col), st.just(code_col), st.integers(0, width - 1)))
        while len(rows[r]) <= c:
            rows[r].append(None)
        rows[r][c] = draw(VALUE)
    if unit and draw(st.booleans()):
        rows[unit[0]][unit[1]] = draw(VALUE)
    for _ in range(draw(st.integers(0, 3))):                 # rows deleted
        del rows[draw(st.integers(0, len(rows) - 1))]
    for _ in range(draw(st.integers(0, 2))):                 # rows copied
        k = draw(st.integers(0, len(rows) - 1))
        rows.insert(draw(st.integers(0, len(rows))), list(rows[k]))
    if draw(st.booleans()):                                  # body shuffled
        body = rows[header + 1:]
        random.Random(draw(st.integers(0, 2**16))).shuffle(body)
        rows = rows[: header + 1] + body
    return rows, draw(st.sampled_from(["xlsx", "ods", "xls"]))


def _check(out, baseline):
    """What every run must end in, whatever the damage."""
    for f in out.sub.report:
        assert f.code in MESSAGES, f.code
        assert isinstance(f.message, str) and f.message
    cities = out.result.cities
    assert set(cities["status"]) <= {"scored", "rejected", "missing"}
    with_error = {f.city for f in out.sub.report if f.severity == ERROR}
    with_any = {f.city for f in out.sub.report}
    for city in out.result.roster.units:
        status = cities.loc[city, "status"]
        assert (status == "rejected") == (city in with_error), city
        if status == "scored":
            assert int(cities.loc[city, "total"]) == int(cities.loc[city, "base"]) + int(cities.loc[city, "bonus"]) \
                + int(cities.loc[city, "extra"]) - int(cities.loc[city, "major"])
    if OTHER not in with_any:           # untouched by the damage: exactly its clean figures
        assert out.figures(OTHER) == baseline.figures(OTHER)
    assert len(out.sub.files) == 2


@SETTINGS
@given(data=st.data())
def test_damaged_cells_and_rows_never_crash_the_tool(scheme, template, clean_inbox, baseline, data):
    grid = fill_grid(_clean_rows(template), values_of(CITY), city=CITY)
    rows, fmt = data.draw(damaged(grid))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copyfile(clean_inbox / f"{OTHER}.xlsx", folder / f"{OTHER}.xlsx")
        write_grid(folder / f"{CITY}.{fmt}", {SHEET_NAME: rows}, fmt)
        out = run_inbox(folder, scheme, baseline)
    _check(out, baseline)


@SETTINGS
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=6),
       cut=st.one_of(st.none(), st.floats(0, 1)))
def test_flipped_bytes_never_crash_the_tool(scheme, clean_inbox, baseline, flips, cut):
    data = bytearray((clean_inbox / f"{CITY}.xlsx").read_bytes())
    for where, byte in flips:
        data[int(where * len(data))] = byte
    if cut is not None:
        data = data[: int(cut * len(data))]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        shutil.copyfile(clean_inbox / f"{OTHER}.xlsx", folder / f"{OTHER}.xlsx")
        (folder / f"{CITY}.xlsx").write_bytes(bytes(data))
        out = run_inbox(folder, scheme, baseline)
    _check(out, baseline)
