"""Workbooks from an older or edited template: codes missing, unknown or
duplicated, headers renamed, the input sheet deleted or renamed, rows and
columns moved. What can be read is read exactly (every city scores as in the
clean run); what cannot is reported at its cell.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from fill import fill_grid, locate, write_grid

from assess_xlsx.intake.contract import GUIDE_SHEET, SHEET_NAME

from .corpus import values_of

CITY = "太原市"
NAME = f"{CITY}.xlsx"


def _write_rows(case, edit, city: str = CITY, name: str = NAME):
    """The city's clean sheet as a grid, edited by `edit(rows, header, code_col, value_col)`,
    written (values only) in place of its clean file."""
    grids = case.grids()
    rows = fill_grid(grids[SHEET_NAME], values_of(city), city=city)
    header, code_col, value_col, _ = locate(rows)
    grids[SHEET_NAME] = edit(rows, header, code_col, value_col) or rows
    case.drop(city)
    write_grid(case.folder / name, grids)


def _edit_book(case, edit, city: str = CITY):
    """The city's clean file, edited with openpyxl (formats, validations and all)."""
    path = case.folder / f"{city}.xlsx"
    wb = load_workbook(path)
    edit(wb)
    wb.save(path)
    wb.close()


def _row(rows, code_col, code):
    return next(k for k, r in enumerate(rows) if r[code_col] == code)


# --------------------------------------------------------------------------- codes

def test_a_code_missing_from_an_older_template(case, row_of):
    _write_rows(case, lambda rows, h, cc, vc: [r for r in rows if r[cc] != "3.1.2a"])
    out = case.run()
    # Missing from the sheet, at the cell below the input before it (3.1.1a).
    f = out.finding("row-missing")
    assert out.found == {(NAME, f"G{int(row_of['3.1.1a'][1:]) + 1}", "row-missing")}
    assert (f.input, f.expected) == ("3.1.2a", "3.1.1a")
    assert f.message_zh == "3.1.2a（是否制定并公开重大行政决策事项目录）未在表中（应在 3.1.1a 之后）；请恢复该行并填写"
    assert out.status(CITY) == "rejected"
    out.others_unchanged(CITY)


def test_an_unknown_code_is_a_warning_and_changes_nothing(case):
    def edit(rows, h, cc, vc):
        extra = [None] * len(rows[0])
        extra[cc], extra[vc] = "3.3.99a", 5
        rows.append(extra)

    _write_rows(case, edit)
    out = case.run()
    height = len(case.grids()[SHEET_NAME]) + 1
    assert out.found == {(NAME, f"G{height}", "code-unknown")}
    assert (out.finding("code-unknown").input, out.finding("code-unknown").severity) == ("3.3.99a", "warning")
    out.others_unchanged()


def test_a_code_twice_with_the_same_value_is_fine(case):
    def edit(rows, h, cc, vc):
        rows.append(list(rows[_row(rows, cc, "3.3.8a")]))

    _write_rows(case, edit)
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


def test_a_code_twice_with_two_values_conflicts(case, row_of):
    def edit(rows, h, cc, vc):
        copy = list(rows[_row(rows, cc, "3.3.5a")])
        copy[vc] = 2
        rows.append(copy)

    _write_rows(case, edit)
    height = len(case.grids()[SHEET_NAME]) + 1
    out = case.run()
    assert out.found == {(NAME, row_of["3.3.5a"], "value-conflict")}
    f = out.finding("value-conflict")
    assert (f.value, f.expected, f.note) == ("0", "2", f"{NAME} {SHEET_NAME}!G{height}")
    assert out.status(CITY) == "rejected"
    out.others_unchanged(CITY)


def test_codes_typed_with_spaces_capitals_or_full_width_are_read(case):
    def edit(rows, h, cc, vc):
        rows[_row(rows, cc, "3.3.8a")][cc] = " 3.3.8 A "
        rows[_row(rows, cc, "3.3.9a")][cc] = "３．３．９ａ"

    _write_rows(case, edit)
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


# --------------------------------------------------------------------------- headers

@pytest.mark.parametrize("old, new", [("编号", "指标编号"), ("填报值", "填报数据")], ids=["code-header", "value-header"])
def test_a_renamed_header_leaves_no_input_sheet(case, old, new):
    def edit(rows, h, cc, vc):
        col = cc if old == "编号" else vc
        rows[h][col] = new

    _write_rows(case, edit)
    out = case.run()
    assert out.found == {(NAME, "", "sheet-missing")}
    assert out.finding("sheet-missing").city == CITY
    assert out.status(CITY) == "rejected"
    out.others_unchanged(CITY)


def test_headers_with_spaces_or_full_width_spaces_are_read(case):
    def edit(rows, h, cc, vc):
        rows[h][cc], rows[h][vc] = "编\u3000号", " 填报值 "

    _write_rows(case, edit)
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


def test_an_older_template_without_the_unit_cell_takes_the_file_name(case):
    def edit(rows, h, cc, vc):
        for r in rows[:h]:
            for c, v in enumerate(r):
                if v in ("被考核单位", CITY):
                    r[c] = None

    _write_rows(case, edit)
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


# --------------------------------------------------------------------------- the input sheet

def test_the_input_sheet_deleted(case):
    _edit_book(case, lambda wb: wb.remove(wb[SHEET_NAME]))
    out = case.run()
    assert out.found == {(NAME, "", "sheet-missing")}
    assert out.status(CITY) == "rejected"
    out.others_unchanged(CITY)


def test_the_input_sheet_renamed_and_moved_is_read(case):
    def edit(wb):
        wb[SHEET_NAME].title = "Sheet1"
        wb.move_sheet("Sheet1", offset=1)            # 填表说明 now comes first

    _edit_book(case, edit)
    out = case.run()
    assert out.found == set()
    assert wb_sheets(case) == [GUIDE_SHEET, "Sheet1"]
    assert set(out.sub.values.loc[out.sub.values["city"] == CITY, "sheet"]) == {"Sheet1"}
    out.others_unchanged()


def wb_sheets(case):
    wb = load_workbook(case.folder / NAME, read_only=True)
    try:
        return wb.sheetnames
    finally:
        wb.close()


# --------------------------------------------------------------------------- rows and columns

def test_rows_reordered_are_read(case):
    def edit(rows, h, cc, vc):
        return rows[: h + 1] + rows[h + 1:][::-1]

    _write_rows(case, edit)
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


def test_rows_hidden_and_grouped_collapsed_are_read(case):
    def edit(wb):
        ws = wb[SHEET_NAME]
        for r in range(5, ws.max_row + 1):
            ws.row_dimensions[r].hidden = True
        ws.row_dimensions.group(30, 60, hidden=True, outline_level=2)

    _edit_book(case, edit)
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


def test_rows_and_a_column_inserted_are_read(case, row_of):
    def edit(wb):
        ws = wb[SHEET_NAME]
        ws.insert_rows(1, 3)           # a title block above everything
        ws.insert_rows(40, 2)          # two rows in the middle of the inputs
        ws.insert_cols(1)              # a column before 编号
        ws["A1"] = "2022年度"

    _edit_book(case, edit)
    out = case.run()
    assert out.found == set()
    cells = out.sub.values[out.sub.values["city"] == CITY].set_index("code")["cell"]
    assert (cells["1.1.1a"], cells["3.3.8a"], cells["3.3.9a"]) == ("H9", "H44", "H46")   # G6, G39, G41: 3 rows and 1 column more, 2 more below row 40
    out.others_unchanged()
