"""Formulas in input cells, and text that looks like a formula.

A formula whose result the file saved is read as that result. One with no
result, as a program writes it (openpyxl saves none, xlsxwriter saves 0 and
asks Excel to recalculate on opening), is reported, never read as 0 or empty.
An error value (#DIV/0!) is reported as such, not as "not filled in". Notes
that look like formulas or DDE commands are kept as text.
"""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from fill import fill_grid, locate, write_grid

from assess_xlsx.intake.contract import SHEET_NAME

from .corpus import rezip, sheet_part, values_of, write_xlsxwriter, zip_parts

CITY = "太原市"
NAME = f"{CITY}.xlsx"
MARK = "@@cell@@"


def _xlsxwriter(case, city, values, formulas=None, recalc_on_load=True, notes=None, name=None):
    """The city's sheet written by xlsxwriter (shared strings, as Excel writes them);
    `formulas` maps input code -> (formula, saved result or None)."""
    grids = case.grids()
    rows = fill_grid(grids[SHEET_NAME], values, city=city)
    header, code_col, value_col, _ = locate(rows)
    at = {r[code_col]: k for k, r in enumerate(rows) if k > header and r[code_col]}
    if notes:
        note_col = rows[header].index("备注/依据")
        for code, text in notes.items():
            rows[at[code]][note_col] = text
    grids[SHEET_NAME] = rows
    cells = {(SHEET_NAME, at[code], value_col): f for code, f in (formulas or {}).items()}
    case.drop(city)
    return write_xlsxwriter(case.folder / (name or f"{city}.xlsx"), grids, cells, recalc_on_load=recalc_on_load)


def _rejected_at(out, cell, code):
    assert out.found == {(NAME, cell, code)}
    assert out.status(CITY) == "rejected"
    out.others_unchanged(CITY)
    return out.finding(code)


# --------------------------------------------------------------------------- saved results

def test_formulas_with_saved_results_are_read_as_their_results(case):
    # as Excel saves them: the result beside the formula, no request to recalculate
    values = values_of(CITY)
    formulas = {
        "3.3.8a": ("=1000+200", 1200),
        "3.3.8b": ("=SUM(600,600)", 1200),
        "1.1.1a": ('=IF(TRUE,"是","否")', "是"),
        "3.1.4a": ("=4/2", 2),
    }
    _xlsxwriter(case, CITY, values, formulas, recalc_on_load=False)
    out = case.run()
    assert out.found == set()
    v = out.sub.values[out.sub.values["city"] == CITY].set_index("code")
    assert v.loc[["3.3.8a", "3.3.8b", "1.1.1a", "3.1.4a"], "text"].tolist() == ["1200", "1200", "是", "2.00"]
    out.others_unchanged()


def test_a_formula_written_by_openpyxl_has_no_result(case, row_of):
    path = case.folder / NAME
    wb = load_workbook(path)
    ws = wb[SHEET_NAME]
    ws[row_of["3.3.8a"]] = "=1000+200"
    wb.save(path)
    f = _rejected_at(case.run(), row_of["3.3.8a"], "value-formula-uncached")
    assert (f.value, f.input) == ("=1000+200", "3.3.8a")


def test_a_formula_written_by_xlsxwriter_is_not_read_as_its_placeholder_0(case, row_of):
    # xlsxwriter saves 0 as the result and asks Excel to recalculate on opening
    _xlsxwriter(case, CITY, values_of(CITY), {"3.3.8a": ("=1000+200", None)})
    out = case.run()
    f = _rejected_at(out, row_of["3.3.8a"], "value-formula-uncached")
    assert f.value == "=1000+200"
    assert "3.3.8a" not in set(out.sub.values.loc[out.sub.values["city"] == CITY, "code"])


def test_a_result_saved_by_a_program_that_asks_for_recalculation_is_not_trusted(case, row_of):
    # The file itself says its saved results are to be recalculated: even a
    # plausible one is reported (open and save in Excel/WPS, or type the value).
    _xlsxwriter(case, CITY, values_of(CITY), {"3.3.8a": ("=1000+200", 1200)})
    _rejected_at(case.run(), row_of["3.3.8a"], "value-formula-uncached")


def test_a_formula_error_is_reported_as_the_error(case, row_of):
    _xlsxwriter(case, CITY, values_of(CITY), {"3.3.8a": ("=1/0", "#DIV/0!")}, recalc_on_load=False)
    f = _rejected_at(case.run(), row_of["3.3.8a"], "value-error")
    assert f.value == "#DIV/0!（=1/0）"


def _patch_cell(data: bytes, part: str, cell: str, xml: bytes) -> bytes:
    body = zip_parts(data)[part]
    body, n = re.subn(rb'<c r="%s"[^>]*?(?:/>|>.*?</c>)' % cell.encode(), xml, body, count=1, flags=re.S)
    assert n == 1
    return rezip(data, {part: body})


def test_an_error_value_without_a_formula(case, row_of):
    cell = row_of["3.3.8a"]
    data = case.clean_bytes(CITY)
    case.drop(CITY)
    case.write(NAME, _patch_cell(data, sheet_part(data, SHEET_NAME), cell, b'<c r="%s" t="e"><v>#N/A</v></c>' % cell.encode()))
    f = _rejected_at(case.run(), cell, "value-error")
    assert f.value == "#N/A"


def test_a_shared_formula_with_no_result(case, row_of):
    # Excel writes a formula filled down as one shared formula; the copies hold only a reference.
    cell = row_of["3.3.8a"]
    data = case.clean_bytes(CITY)
    case.drop(CITY)
    xml = b'<c r="%s"><f t="shared" si="0"/></c>' % cell.encode()
    case.write(NAME, _patch_cell(data, sheet_part(data, SHEET_NAME), cell, xml))
    f = _rejected_at(case.run(), cell, "value-formula-uncached")
    assert f.value == "=（共享公式 / shared formula）"


# --------------------------------------------------------------------------- .ods and .xls

def _ods_with_cell(case, row_of, cell_xml: bytes):
    values = values_of(CITY) | {"3.3.8a": MARK}
    ods = f"{CITY}.ods"
    case.drop(CITY)
    path = case.fill(ods, values, city=CITY, fmt="ods")
    data = path.read_bytes()
    content = zip_parts(data)["content.xml"]
    content, n = re.subn(rb"<table:table-cell[^>]*%s[^>]*>.*?</table:table-cell>" % MARK.encode(), cell_xml, content, count=1)
    assert n == 1
    path.write_bytes(rezip(data, {"content.xml": content}))
    return ods


def test_an_ods_formula_with_its_result_is_read(case, row_of):
    _ods_with_cell(case, row_of, b'<table:table-cell table:formula="of:=1000+200" office:value-type="float" '
                                 b'office:value="1200"><text:p>1200</text:p></table:table-cell>')
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


def test_an_ods_formula_without_a_result_is_reported(case, row_of):
    ods = _ods_with_cell(case, row_of, b'<table:table-cell table:formula="of:=1000+200"/>')
    out = case.run()
    assert out.found == {(ods, row_of["3.3.8a"], "value-formula-uncached")}
    assert out.finding("value-formula-uncached").value == "=1000+200"
    assert out.status(CITY) == "rejected"
    out.others_unchanged(CITY)


def test_an_xls_formula_from_xlwt_reads_as_an_empty_cell(case, row_of):
    # .xls is not inspected: xlwt saves an empty-text result, which calamine reads
    # as an empty cell. It is still reported at its cell, as not filled in.
    import xlwt

    grids = case.grids()
    rows = fill_grid(grids[SHEET_NAME], values_of(CITY) | {"3.3.8a": xlwt.Formula("1000+200")}, city=CITY)
    grids[SHEET_NAME] = rows
    case.drop(CITY)
    write_grid(case.folder / f"{CITY}.xls", grids)
    out = case.run()
    assert out.found == {(f"{CITY}.xls", row_of["3.3.8a"], "input-missing")}
    out.others_unchanged(CITY)


# --------------------------------------------------------------------------- text like a formula

HYPERLINK = '=HYPERLINK("http://example.invalid","x")'
DDE = "+cmd|' /C calc'!A0"
NOTE_CITY = "晋中市"      # its 10.6a and 11.7a are above 0: the notes are needed and shown


@pytest.mark.parametrize("fmt", ["xlsx", "xls", "ods"])
def test_notes_that_look_like_formulas_are_read_as_text(case, fmt):
    values = values_of(NOTE_CITY) | {"10.6b": HYPERLINK, "11.7b": DDE}
    notes = {"3.3.8a": HYPERLINK, "3.3.9a": DDE}     # the 备注/依据 column is never read
    name = f"{NOTE_CITY}.{fmt}"
    if fmt == "xlsx":
        _xlsxwriter(case, NOTE_CITY, values, notes=notes)
    else:
        grids = case.grids()
        rows = fill_grid(grids[SHEET_NAME], values, city=NOTE_CITY)
        header, code_col, _, _ = locate(rows)
        note_col = rows[header].index("备注/依据")
        for r in rows[header + 1:]:
            if r[code_col] in notes:
                r[note_col] = notes[r[code_col]]
        grids[SHEET_NAME] = rows
        case.drop(NOTE_CITY)
        write_grid(case.folder / name, grids)
    out = case.run()
    assert out.found == set()
    v = out.sub.values[out.sub.values["city"] == NOTE_CITY].set_index("code")
    assert v.loc["10.6b", "text"] == HYPERLINK and v.loc["11.7b", "text"] == DDE
    assert v.loc[["10.6b", "11.7b"], "number"].isna().all()
    audit = out.result.audit
    said = " ".join(audit.loc[audit["city"] == NOTE_CITY, "inputs"])
    assert HYPERLINK in said and DDE in said          # passed on as text, for the report to write as text
    out.others_unchanged()


def test_a_real_hyperlink_formula_in_a_note_is_read_as_its_shown_text(case):
    values = values_of(NOTE_CITY)
    _xlsxwriter(case, NOTE_CITY, values, {"10.6b": (HYPERLINK, "x")}, recalc_on_load=False)
    out = case.run()
    assert out.found == set()
    v = out.sub.values[out.sub.values["city"] == NOTE_CITY].set_index("code")
    assert v.loc["10.6b", "text"] == "x"
    out.others_unchanged()
