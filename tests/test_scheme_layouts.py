"""The same table laid out differently reads the same: rows, codes and rules.

Every variant is made in tmp_path from the embedded workbook: its cell values
and merged ranges are moved to a new grid (rows dropped or inserted, a column
added, merges kept, emptied or filled down) and written out again.
"""

from __future__ import annotations

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from assess_xlsx.scheme import default_scheme_path, read_scheme

HEADER_ROW = 3      # the embedded sheet: 附件 (1), title (2), header (3)
FIRST_DATA = 4
KEYS = ["code", "primary_code", "secondary_code", "primary", "secondary", "tertiary", "tertiary_text",
        "points", "deduction_text", "bonus_text", "method", "units", "fragment", "fragment_label",
        "fragment_points"]


def source_table():
    """(values by (row, col) 1-based, merged ranges (r0, c0, r1, c1), width) of the embedded sheet."""
    wb = load_workbook(default_scheme_path())
    ws = wb.worksheets[0]
    values = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                values[(cell.row, cell.column)] = cell.value
    merges = [(m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
    width = ws.max_column
    wb.close()
    return values, merges, width


def layout(path, *, drop_title=False, serial=False, merges="keep", sheet_second=False,
           repeat_header_before=None, drop_rows=(), edit=None, header_one_line=False, note_row=None):
    """Write the embedded table to `path` laid out differently.

    merges: "keep" (merged cells), "blank" (only the top-left cell holds the
    value, no merges, as pasted without merging) or "fill" (unmerged and
    filled down). repeat_header_before: an original row number before which the
    header is repeated (a page break). edit: {(row, col): value} on the
    original grid before the layout. note_row: a text written below the table
    ("merged" across the row when merges == "keep").
    """
    values, ranges, width = source_table()
    values = dict(values)
    for key, value in (edit or {}).items():
        values[key] = value
    last = max(r for r, _ in values)

    old_rows = [r for r in range(1, last + 1) if r not in drop_rows and not (drop_title and r < HEADER_ROW)]
    order: list[int | str] = []
    for r in old_rows:
        if r == repeat_header_before:
            order.append("header")
        order.append(r)
    new_row = {r: i + 1 for i, r in enumerate(order) if r != "header"}
    shift = 1 if serial else 0

    grid: dict[tuple[int, int], object] = {}
    for i, r in enumerate(order, start=1):
        src = HEADER_ROW if r == "header" else r
        for c in range(1, width + 1):
            if (src, c) in values:
                grid[(i, c + shift)] = values[(src, c)]
        if header_one_line and src == HEADER_ROW:
            for c in range(1, width + 1):
                grid[(i, c + shift)] = "".join(str(values[(src, c)]).split())
        if serial:
            if src == HEADER_ROW:
                grid[(i, 1)] = "序号"
            elif r != "header" and r >= FIRST_DATA:
                grid[(i, 1)] = new_row[r] - new_row.get(FIRST_DATA, 1) + 1

    new_ranges = []
    for r0, c0, r1, c1 in ranges:
        kept = [new_row[r] for r in range(r0, r1 + 1) if r in new_row]
        if not kept:
            continue
        new_ranges.append((min(kept), c0 + shift, max(kept), c1 + shift))
        if merges == "fill":
            top = values.get((r0, c0))
            for r in kept:
                for c in range(c0, c1 + 1):
                    grid[(r, c + shift)] = top
    last_row = len(order)
    if note_row:
        last_row += 1
        grid[(last_row, 1)] = note_row
        if merges == "fill":
            for c in range(2, width + shift + 1):
                grid[(last_row, c)] = note_row
        new_ranges.append((last_row, 1, last_row, width + shift))

    wb = Workbook()
    ws = wb.active
    if sheet_second:
        ws.title = "说明"
        ws["A1"] = "本工作簿第二个工作表为考核方案；赋分见该表。"
        ws = wb.create_sheet("分解表")
    else:
        ws.title = "重点任务分解表"
    for (r, c), value in grid.items():
        ws.cell(r, c, value)
    if merges == "keep":
        for r0, c0, r1, c1 in new_ranges:
            if (r0, c0) != (r1, c1):
                ws.merge_cells(start_row=r0, start_column=c0, end_row=r1, end_column=c1)
    wb.save(path)
    return path


def write_ods(path, xlsx_path):
    """The values of an .xlsx (no merges: .ods written by pandas carries none)."""
    pytest.importorskip("odf")
    frame = pd.read_excel(xlsx_path, header=None, sheet_name=None, engine="openpyxl")
    with pd.ExcelWriter(path, engine="odf") as writer:
        for name, sheet in frame.items():
            sheet.to_excel(writer, sheet_name=name, header=False, index=False)
    return path


def assert_same(base, other):
    """Rows, codes, items, rules and findings (places aside) are the same."""
    pd.testing.assert_frame_equal(base.rows[KEYS], other.rows[KEYS])
    pd.testing.assert_frame_equal(base.items.drop(columns="cell"), other.items.drop(columns="cell"))
    assert other.rules is not None
    assert list(other.rules.rows) == list(base.rules.rows)
    assert list(other.rules.items) == list(base.rules.items)
    assert [(f.code, f.input, f.note) for f in other.report] == [(f.code, f.input, f.note) for f in base.report]
    strip = lambda frags: [{k: v for k, v in f.items() if k != "cell"} for f in frags]  # noqa: E731
    assert [strip(f) for f in other.primaries["fragments"]] == [strip(f) for f in base.primaries["fragments"]]
    assert list(other.primaries["points"]) == list(base.primaries["points"])


@pytest.fixture(scope="module")
def base():
    return read_scheme()


def test_base_reads_cleanly(base):
    assert base.ok and base.rules is not None
    assert [f.code for f in base.report] == ["scheme-text-disagrees"] * 3


def test_same_layout_rewritten(base, tmp_path):
    assert_same(base, read_scheme(layout(tmp_path / "t.xlsx")))


def test_title_rows_removed(base, tmp_path):
    s = read_scheme(layout(tmp_path / "t.xlsx", drop_title=True))
    assert_same(base, s)
    assert s.rows["sheet_row"].iloc[0] == 2  # header now on row 1
    assert s.primaries["fragments"].iloc[2][0]["cell"] == "A10"


def test_serial_column_added(base, tmp_path):
    s = read_scheme(layout(tmp_path / "t.xlsx", serial=True))
    assert_same(base, s)
    # the places move one column right: 主动公开（18分） is now B12, 1.2.1's text F5
    assert s.primaries["fragments"].iloc[2][0]["cell"] == "B12"
    assert {(f.input, f.cell) for f in s.report} == {("1.2.1", "F5"), ("3.1.2", "F13"), ("3.3.7", "F26")}


def test_unmerged_and_filled_down(base, tmp_path):
    assert_same(base, read_scheme(layout(tmp_path / "t.xlsx", merges="fill")))


def test_unmerged_cells_left_empty(base, tmp_path):
    assert_same(base, read_scheme(layout(tmp_path / "t.xlsx", merges="blank")))


def test_sheet_moved_to_second_place(base, tmp_path):
    s = read_scheme(layout(tmp_path / "t.xlsx", sheet_second=True))
    assert_same(base, s)
    assert s.sheet == "分解表"


def test_header_repeated_on_a_new_page(base, tmp_path):
    # before the 主动公开（8分） fragment (row 20), as a page break would
    s = read_scheme(layout(tmp_path / "t.xlsx", repeat_header_before=20, merges="fill"))
    assert_same(base, s)


def test_header_on_one_line(base, tmp_path):
    assert_same(base, read_scheme(layout(tmp_path / "t.xlsx", header_one_line=True)))


def test_everything_at_once(base, tmp_path):
    s = read_scheme(layout(tmp_path / "t.xlsx", drop_title=True, serial=True, merges="fill",
                           sheet_second=True, repeat_header_before=33))
    assert_same(base, s)


@pytest.mark.parametrize("merges", ["fill", "blank"])
def test_ods(base, tmp_path, merges):
    xlsx = layout(tmp_path / "t.xlsx", serial=True, merges=merges, sheet_second=True)
    assert_same(base, read_scheme(write_ods(tmp_path / "t.ods", xlsx)))


def test_xls_with_merges(base, tmp_path):
    xlwt = pytest.importorskip("xlwt")
    values, ranges, width = source_table()
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("重点任务分解表")
    merged = {(r, c) for r0, c0, r1, c1 in ranges for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)}
    for (r, c), value in values.items():
        if (r, c) not in merged:
            ws.write(r - 1, c - 1, value)
    for r0, c0, r1, c1 in ranges:
        ws.write_merge(r0 - 1, r1 - 1, c0 - 1, c1 - 1, values.get((r0, c0)))
    wb.save(str(tmp_path / "t.xls"))
    assert_same(base, read_scheme(tmp_path / "t.xls"))


@pytest.mark.parametrize("merges", ["keep", "fill", "blank"])
def test_note_row_below_the_table_is_skipped(base, tmp_path, merges):
    s = read_scheme(layout(tmp_path / "t.xlsx", merges=merges, note_row="注：本表由省政务公开办负责解释。"))
    pd.testing.assert_frame_equal(base.rows[KEYS], s.rows[KEYS])
    assert s.ok and s.rules is not None
    assert ("t.xlsx", "A58", "scheme-row-skipped") in s.report.keys()


@pytest.mark.parametrize("mark", ["—", "－", "–", "/", " - "])
def test_none_marks(base, tmp_path, mark):
    # 1.2.3 (row 7): points and deduction "-"; 1.1.1 (row 4) bonus "-"
    s = read_scheme(layout(tmp_path / "t.xlsx", edit={(7, 4): mark, (7, 5): mark, (4, 6): mark}))
    assert_same(base, s)


@pytest.mark.parametrize("label", ["主动公开(18分)", "主动公开（１８分）", "主动 公开\n（18 分）", "主动公开（18.00分）"])
def test_label_parentheses_and_digits(base, tmp_path, label):
    s = read_scheme(layout(tmp_path / "t.xlsx", edit={(12, 1): label}))
    assert s.ok
    assert s.primaries["fragments"].iloc[2][0]["points"] == 1800
    assert list(s.rows["code"]) == list(base.rows["code"])


@pytest.mark.parametrize("points, hundredths", [(2, 200), ("2", 200), ("2分", 200), ("２", 200), (2.0, 200)])
def test_points_cell_forms(tmp_path, points, hundredths):
    s = read_scheme(layout(tmp_path / "t.xlsx", edit={(4, 4): points}))
    assert s.ok
    assert s.rows.loc[0, "points"] == hundredths


def adjacent_equal_labels(merges):
    """平台…（8分） split in two fragments of 4: three adjacent fragments labelled (4分)."""
    label = "平台建设管理与基础工作库数据维护    (4分)"
    edit = {(48, 1): label, (50, 1): label}
    return dict(edit=edit, merges=merges)


def test_adjacent_fragments_with_the_same_label_merged(tmp_path):
    # merged A48:A51 becomes A48:A49 + A50:A51: edit the ranges through the grid
    path = layout(tmp_path / "t.xlsx", **adjacent_equal_labels("keep"))
    wb = load_workbook(path)
    ws = wb.active
    ws.unmerge_cells("A48:A51")
    ws["A50"] = ws["A48"].value
    ws.merge_cells("A48:A49")
    ws.merge_cells("A50:A51")
    wb.save(path)
    s = read_scheme(path)
    assert s.ok, [f.message for f in s.report.errors]
    frags = s.primaries.set_index("code").loc["8", "fragments"]
    assert [(f["cell"], f["points"], f["sum"]) for f in frags] == [("A48", 400, 400), ("A50", 400, 400), ("A52", 400, 400)]


def test_adjacent_fragments_with_the_same_label_blank(tmp_path):
    s = read_scheme(layout(tmp_path / "t.xlsx", **adjacent_equal_labels("blank")))
    assert s.ok, [f.message for f in s.report.errors]
    frags = s.primaries.set_index("code").loc["8", "fragments"]
    assert [(f["cell"], f["sum"]) for f in frags] == [("A48", 400), ("A50", 400), ("A52", 400)]


def test_adjacent_fragments_with_the_same_label_filled_down_are_reported(tmp_path):
    # Filled down, three equal labels cannot be told apart: one fragment of 12
    # labelled 4 -- reported, never silently accepted.
    s = read_scheme(layout(tmp_path / "t.xlsx", **adjacent_equal_labels("fill")))
    assert ("t.xlsx", "A48", "scheme-fragment-mismatch") in s.report.keys()
    f = next(f for f in s.report if f.code == "scheme-fragment-mismatch")
    assert (f.expected, f.value) == ("4", "12")
