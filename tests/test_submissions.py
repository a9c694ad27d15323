"""Reading filled score sheets: what is accepted, normalised and rejected, and where.

Workbooks are filled by program from the template (by 编号 and 填报值) and
saved as .xlsx, .xls and .ods; every rejection is asserted as the exact
(file, cell, code).
"""

import hashlib
import os

import pandas as pd
import pytest
from openpyxl import load_workbook

from fill import fill_grid, fill_workbook, locate, read_grid, valid_values, write_grid

from assess_xlsx.roster import DEFAULT_ROSTER
from assess_xlsx.intake import FILE_COLUMNS, VALUE_COLUMNS, SubmissionsError, read_submissions
from assess_xlsx.intake.contract import SHEET_NAME
from assess_xlsx.template import write_template

FORMATS = ("xlsx", "xls", "ods")



@pytest.fixture(scope="session")
def scheme(self_scheme):
    """The reader's tests: every input on the unit's own form (conftest.self_rules)."""
    return self_scheme

@pytest.fixture(scope="module")
def template(scheme, tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.xlsx"
    write_template(scheme, path)
    return path


@pytest.fixture(scope="module")
def row_of(template):
    """编号 -> the 填报值 cell of its row in the template ("3.3.8a" -> "G39")."""
    rows = read_grid(template)[SHEET_NAME]
    header, code_col, _, _ = locate(rows)
    return {r[code_col]: f"G{k + 1}" for k, r in enumerate(rows) if k > header and r[code_col]}


@pytest.fixture(scope="module")
def valid(scheme):
    return valid_values(scheme)


def errors(sub):
    return {(f.file, f.cell, f.code) for f in sub.report if f.severity == "error"}


def by_code(sub, city):
    return sub.values[sub.values["city"] == city].set_index("code")


def test_template_rows_are_where_the_layout_puts_them(row_of):
    # Pinned by hand so a layout change shows up here before anywhere else.
    assert (row_of["1.1.1a"], row_of["3.3.8a"], row_of["3.3.9b"], row_of["9.1.1b"], row_of["10.6b"]) == (
        "G6", "G39", "G42", "G87", "G97")


# --------------------------------------------------------------------------- accepted

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_complete_valid_workbook_is_read_as_is(scheme, template, valid, tmp_path, fmt):
    path = fill_workbook(template, tmp_path / f"太原市.{fmt}", valid, city="太原市", fmt=fmt)
    sub = read_submissions(tmp_path, scheme)
    assert [f for f in sub.report if f.severity != "info"] == []
    assert list(sub.values.columns) == VALUE_COLUMNS
    assert str(sub.values["number"].dtype) == "Int64"
    v = by_code(sub, "太原市")
    assert len(v) == 88  # 90 inputs; the notes 10.6b/11.7b stay empty when their amounts are 0
    assert list(v.index) == [c for c in scheme.rules.inputs if c not in ("10.6b", "11.7b")]
    assert v.loc["1.1.1a", ["number", "text", "raw", "cell", "sheet", "file"]].tolist() == [1, "是", "是", "G6", SHEET_NAME, f"太原市.{fmt}"]
    assert v.loc["3.1.4a", ["number", "text"]].tolist() == [200, "2.00"]     # a score: hundredths
    assert v.loc["3.3.8b", ["number", "text"]].tolist() == [10, "10"]        # a count: as is
    assert v.loc["1.2.4a", ["number", "text"]].tolist() == [0, "未制定"]     # a level: its index
    assert v.loc["10.2a", ["number", "text"]].tolist() == [100, "100"]       # a rank
    assert list(sub.files.columns) == FILE_COLUMNS
    assert sub.files.to_dict("records") == [{
        "file": f"太原市.{fmt}", "city": "太原市", "status": "read", "inputs": 88, "problems": 0,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "assessor": "",   # a unit's own file, no assessor
    }]
    assert sub.missing == list(DEFAULT_ROSTER.units[1:])
    assert sub.rejected == []


NORMALISED = [
    # code, typed, number, text
    ("1.1.1a", "√", 1, "是"), ("1.2.1a", "×", 0, "否"), ("1.2.2a", "✓", 1, "是"), ("1.2.3a", "✗", 0, "否"),
    ("2.1.1c", "Y", 1, "是"), ("3.1.1a", "n", 0, "否"), ("3.1.2a", "yes", 1, "是"), ("3.1.4b", "NO", 0, "否"),
    ("3.2.1a", "有", 1, "是"), ("3.2.2a", "无", 0, "否"), ("3.3.5a", "无", 0, "0"),    # 无 in a count is 0
    ("3.3.1a", "true", 1, "是"), ("3.3.2a", "FALSE", 0, "否"), ("3.3.13a", " 是 ", 1, "是"),
    ("3.3.14b", "ｙｅｓ", 1, "是"), ("3.4.1a", "\u3000是\u3000", 1, "是"), ("3.5.1a", "✔", 1, "是"),
    ("1.2.2b", "2项", 2, "2"), ("2.1.1a", "3个", 3, "3"), ("2.1.1b", "２", 2, "2"), ("2.1.2a", " 2 ", 2, "2"),
    ("2.1.3a", 2.0, 2, "2"), ("3.1.3a", "2.0", 2, "2"), ("3.3.3a", "2 件", 2, "2"), ("3.3.4a", "1起", 1, "1"),
    ("3.3.8a", "1,176", 1176, "1176"), ("3.3.8b", "１，２００条", 1200, "1200"),
    ("8.2.2a", "4个季度", 4, "4"), ("8.1.1a", "５件", 5, "5"),
    ("3.1.4a", "１．５分", 150, "1.50"), ("9.1.1b", "95%", 9500, "95.00"),
    ("10.6a", 0.1 + 0.2, 30, "0.30"),    # a formula's 0.30000000000000004 is Excel's 0.3
    ("11.7a", "0.5", 50, "0.50"),
    ("10.2a", "第52名", 52, "52"), ("10.2b", "48名", 48, "48"),
    ("1.2.4a", " 已制定 ", 1, "已制定"),
    ("10.6b", "  获省政府表彰 ", None, "获省政府表彰"), ("11.7b", "通报一次", None, "通报一次"),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_what_people_type_is_normalised(scheme, template, valid, tmp_path, fmt):
    values = dict(valid) | {code: typed for code, typed, _, _ in NORMALISED}
    fill_workbook(template, tmp_path / f"大同市.{fmt}", values, city="大同市", fmt=fmt)
    sub = read_submissions(tmp_path, scheme)
    assert [f.message for f in sub.report if f.severity != "info"] == []
    v = by_code(sub, "大同市")
    got = [(code, None if pd.isna(v.loc[code, "number"]) else int(v.loc[code, "number"]), v.loc[code, "text"])
           for code, _, _, _ in NORMALISED]
    assert got == [(code, number, text) for code, _, number, text in NORMALISED]
    assert v.loc["3.3.8b", "raw"] == "１，２００条"   # what the cell held stays visible
    assert v.loc["10.6a", "raw"] == "0.3"


# --------------------------------------------------------------------------- rejected

REJECTED = [
    # code, typed, finding code
    ("1.1.1a", "可能", "value-not-yesno"),
    ("1.2.1a", "x", "value-not-yesno"),            # ambiguous: never guessed
    ("3.2.3a", 1, "value-not-yesno"),              # 1/0 are refused: a count in the wrong row looks the same
    ("3.2.4a", "是的", "value-not-yesno"),
    ("9.1.1b", "4.5%%", "value-percent-doubled"),
    ("1.2.4a", "部分制定", "value-not-level"),
    ("3.3.3a", "很多", "value-not-number"),
    ("3.3.3b", "1-2", "value-not-number"),
    ("3.3.6a", "1e3", "value-not-number"),
    ("3.3.7a", "两件", "value-not-number"),          # Chinese numerals are not read
    ("3.3.4a", -1, "value-negative"),
    ("3.3.4b", 2.5, "value-fractional"),
    ("10.2b", "52.5", "value-fractional"),
    ("3.3.5a", "2元", "value-unit"),
    ("3.3.12a", "95%", "value-unit"),              # a percent in a count
    ("3.1.4a", 2.5, "score-over-points"),          # 3.1.4 is worth 2
    ("10.6a", "1.005", "value-decimals"),          # not rounded to 1.01 or 1.00
    ("11.7a", 0.125, "value-decimals"),
    ("4.1.1a", 3, "value-over-max"),               # two files are sampled
    ("8.2.2a", "5个季度", "value-over-max"),       # four quarters a year
    ("10.2a", 0, "value-below-min"),               # ranks start at 1
    ("9.1.2a", "没有", "value-not-yesno"),
]


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_rejection_names_file_cell_and_code(scheme, template, valid, row_of, tmp_path, fmt):
    values = dict(valid) | {code: typed for code, typed, _ in REJECTED}
    name = f"阳泉市.{fmt}"
    fill_workbook(template, tmp_path / name, values, city="阳泉市", fmt=fmt)
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == {(name, row_of[code], finding) for code, _, finding in REJECTED}
    assert all(f.city == "阳泉市" and f.sheet == SHEET_NAME for f in sub.report.errors)
    assert sub.rejected == ["阳泉市"]
    assert sub.files.loc[0, ["status", "inputs", "problems"]].tolist() == ["rejected", 88, len(REJECTED)]
    # Rejected values are not passed on as values.
    assert not set(by_code(sub, "阳泉市").index) & {code for code, _, _ in REJECTED}
    found = {f.input: f for f in sub.report.errors}
    assert found["3.3.3a"].message == (
        f"{name} 填报表!G30：3.3.3a 应填数字，填的是“很多”；应为≥0的整数（单位：起） / "
        "3.3.3a: “很多” is not a number; expected ≥0的整数（单位：起）"
    )
    assert found["3.2.4a"].message == (
        f"{name} 填报表!{row_of['3.2.4a']}：3.2.4a 应填“是”或“否”（也可填 有/无、√/×、Y/N、yes/no（不分大小写）；不接受 1/0），"
        "填的是“是的” / 3.2.4a: “是的” is not 是 (yes) or 否 (no); also accepted: 有/无, √/×, Y/N, yes/no"
    )
    assert found["9.1.1b"].message_zh == "9.1.1b 填的“4.5%%”百分号重复，应为0～100的百分数（如 4.5 或 4.5%），最多两位小数"
    assert (found["4.1.1a"].value, found["4.1.1a"].expected) == ("3", "0～2的整数（单位：件）")
    assert (found["3.1.4a"].value, found["3.1.4a"].expected) == ("2.5", "0～2分的分值，最多两位小数")


# --------------------------------------------------------------------------- across inputs

@pytest.mark.parametrize("fmt", FORMATS)
def test_cross_input_checks(scheme, template, valid, row_of, tmp_path, fmt):
    values = dict(valid) | {
        "3.3.8a": 12, "3.3.8b": 10,      # 12 compliant out of 10 reported
        "3.3.9a": 0, "3.3.9b": 0,        # zero denominator: an error for 迟报率
        "3.3.10a": 0, "3.3.10b": 0,      # ... and for 瞒报率
        "3.3.11a": 0, "3.3.11b": 0,      # but not for 3.3.11: no repairs, error rate 0
        "10.6a": 1, "10.6b": "",         # bonus without its note
        "11.7a": 0.5, "11.7b": "通报",   # deduction with its note: fine
        "2.1.2a": None,                  # left empty
    }
    name = f"长治市.{fmt}"
    fill_workbook(template, tmp_path / name, values, city="长治市", fmt=fmt)
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == {
        (name, row_of["3.3.8a"], "rate-numerator-exceeds"),
        (name, row_of["3.3.9b"], "rate-zero-denominator"),
        (name, row_of["3.3.10b"], "rate-zero-denominator"),
        (name, row_of["10.6b"], "note-required"),
        (name, row_of["2.1.2a"], "input-missing"),
    }
    found = {f.code + f.input: f for f in sub.report.errors}
    assert found["rate-numerator-exceeds3.3.8a"].message_zh == "3.3.8a 填的“12”大于3.3.8b的“10”，比率不能超过100%"
    assert found["note-required10.6b"].message_zh == "10.6a（1.00）大于0，须在 10.6b 填写情形说明"
    assert found["input-missing2.1.2a"].message_zh == "2.1.2a（12月底前未公开涉农补贴申报信息的县个数）未填报"
    v = by_code(sub, "长治市")
    assert v.loc["3.3.11b", "number"] == 0 and v.loc["11.7a", "number"] == 50


def test_zero_repairs_with_errors_is_still_more_than_the_whole(scheme, template, valid, row_of, tmp_path):
    fill_workbook(template, tmp_path / "晋城市.xlsx", valid | {"3.3.11a": 1, "3.3.11b": 0}, city="晋城市")
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == {("晋城市.xlsx", row_of["3.3.11a"], "rate-numerator-exceeds")}


def test_an_amount_left_empty_is_missing_but_its_note_is_not(scheme, template, valid, row_of, tmp_path):
    fill_workbook(template, tmp_path / "晋城市.xlsx", valid | {"10.6a": None, "11.7a": None}, city="晋城市")
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == {("晋城市.xlsx", row_of["10.6a"], "input-missing"), ("晋城市.xlsx", row_of["11.7a"], "input-missing")}


def test_a_deleted_row_is_missing_from_the_sheet_where_it_belongs(scheme, template, valid, row_of, tmp_path):
    grids = read_grid(template)
    rows = fill_grid(grids[SHEET_NAME], valid, city="朔州市")
    grids[SHEET_NAME] = [r for r in rows if r[0] != "5.4.1a"]
    write_grid(tmp_path / "朔州市.xlsx", grids)
    sub = read_submissions(tmp_path, scheme)
    # It belonged right below 5.3.1a, the input before it in the table.
    below = f"G{int(row_of['5.3.1a'][1:]) + 1}"
    assert errors(sub) == {("朔州市.xlsx", below, "row-missing")}
    f = sub.report.errors[0]
    assert (f.input, f.expected) == ("5.4.1a", "5.3.1a")
    assert f.message == (
        f"朔州市.xlsx 填报表!{below}：5.4.1a（是否建立全市统一的政策咨询平台或入口并能解答群众切身利益相关问题）"
        "未在表中（应在 5.3.1a 之后）；请恢复该行并填写 / 5.4.1a (是否建立全市统一的政策咨询平台或入口并能解答群众切身利益相关问题) "
        "is missing from the sheet (belongs after 5.3.1a); restore the row and fill it in"
    )


# --------------------------------------------------------------------------- which unit

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name, cell, city", [
    ("2022太原市政务公开考核表", "太原市", "太原市"),
    ("太原", None, "太原市"),
    ("2022太原市政务公开考核表", None, "太原市"),
    ("报表", "太原", "太原市"),            # the short name in the cell
    ("报表", " 太原市 ", "太原市"),
])
def test_unit_from_cell_else_file_name(scheme, template, valid, tmp_path, fmt, name, cell, city):
    fill_workbook(template, tmp_path / f"{name}.{fmt}", valid, city=cell, fmt=fmt)
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == set()
    assert set(sub.values["city"]) == {city}
    assert sub.files.loc[0, "city"] == city


@pytest.mark.parametrize("fmt", FORMATS)
def test_unit_problems(scheme, template, valid, tmp_path, fmt):
    fill_workbook(template, tmp_path / f"太原市.{fmt}", valid, city="大同市", fmt=fmt)   # disagree
    fill_workbook(template, tmp_path / f"阳泉市.{fmt}", valid, city="北京市", fmt=fmt)   # not in the roster
    fill_workbook(template, tmp_path / f"报表.{fmt}", valid, fmt=fmt)                    # no way to tell
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == {
        (f"太原市.{fmt}", "B2", "city-disagrees"),
        (f"阳泉市.{fmt}", "B2", "city-unknown"),
        (f"报表.{fmt}", "B2", "city-missing"),
    }
    found = {f.code: f for f in sub.report.errors}
    assert found["city-disagrees"].message_zh == (
        "被考核单位填的是“大同市”，文件名却是“太原市”；本文件暂不读取、不并入任何单位，请核实后改正被考核单位或文件名")
    # Held back: merged into no unit; the file name's unit waits for the clerk (数据有误, not 未提交).
    assert found["city-disagrees"].city == "太原市"
    assert found["city-unknown"].city == "阳泉市"      # the file name's unit is rejected, not silently missing
    assert found["city-missing"].city == ""
    assert sub.rejected == ["太原市", "阳泉市"]
    assert sub.files.set_index("file")["status"].to_dict() == {
        f"太原市.{fmt}": "held", f"报表.{fmt}": "rejected", f"阳泉市.{fmt}": "rejected"}
    assert set(sub.values["city"]) == {"阳泉市"}
    assert "太原市" not in sub.missing and "大同市" in sub.missing


def test_a_unit_cell_naming_another_unit_is_the_one_finding_and_merges_nothing(scheme, template, valid, tmp_path):
    # 大同市 sent its two correct files; 太原市's file has 大同市 typed in B2.
    dept = dict(valid)
    fill_workbook(template, tmp_path / "大同市.xlsx", valid, city="大同市")
    fill_workbook(template, tmp_path / "大同市-发改委.xlsx", dept, city="大同市")
    fill_workbook(template, tmp_path / "太原市.xlsx", valid | {"1.1.1a": "否"}, city="大同市")
    sub = read_submissions(tmp_path, scheme)
    assert sub.report.keys() == {("太原市.xlsx", "B2", "city-disagrees")}    # no conflicts against 大同市
    assert sub.rejected == ["太原市"]
    assert by_code(sub, "大同市").loc["1.1.1a", "text"] == "是"


def test_unit_written_in_the_label_cell(scheme, template, valid, tmp_path):
    grids = read_grid(template)
    rows = fill_grid(grids[SHEET_NAME], valid)
    rows[1][0] = "被考核单位：忻州市"
    grids[SHEET_NAME] = rows
    write_grid(tmp_path / "报表.xlsx", grids)
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == set() and set(sub.values["city"]) == {"忻州市"}


# --------------------------------------------------------------------------- several files per unit

CREDIT = [c for c in ("3.3.8a", "3.3.8b", "3.3.9a", "3.3.9b", "3.3.10a", "3.3.10b", "3.3.11a", "3.3.11b", "3.3.11c")]


@pytest.mark.parametrize("fmt", FORMATS)
def test_files_of_one_unit_merge(scheme, template, valid, row_of, tmp_path, fmt):
    dept = {c: (valid[c] if c in CREDIT else None) for c in valid}
    office = {c: (None if c in CREDIT else valid[c]) for c in valid}
    office["1.1.1a"] = "是"
    dept["1.1.1a"] = "√"   # the same answer written another way is no conflict
    fill_workbook(template, tmp_path / f"大同市-发改委.{fmt}", dept, city="大同市", fmt=fmt)
    fill_workbook(template, tmp_path / f"大同市-政府办.{fmt}", office, city="大同市", fmt=fmt)
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == set()
    v = by_code(sub, "大同市")
    assert len(v) == 88
    assert v.loc["3.3.8a", ["file", "cell"]].tolist() == [f"大同市-发改委.{fmt}", "G39"]
    assert v.loc["1.2.1a", "file"] == f"大同市-政府办.{fmt}"
    assert v.loc["1.1.1a", "file"] == f"大同市-发改委.{fmt}"   # first file by name
    assert sub.files["inputs"].tolist() == [10, 79]


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_same_code_with_two_values_conflicts(scheme, template, valid, row_of, tmp_path, fmt):
    fill_workbook(template, tmp_path / f"大同市-发改委.{fmt}", {c: None for c in valid} | {"3.3.8a": 9}, city="大同市", fmt=fmt)
    fill_workbook(template, tmp_path / f"大同市-政府办.{fmt}", valid, city="大同市", fmt=fmt)
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == {(f"大同市-发改委.{fmt}", "G39", "value-conflict")}
    f = sub.report.errors[0]
    assert f.message_zh == f"3.3.8a 两处填报不一致：此处为“9”，大同市-政府办.{fmt} 填报表!G39 为“0”"
    assert "3.3.8a" not in by_code(sub, "大同市").index
    assert sub.rejected == ["大同市"]


# --------------------------------------------------------------------------- the folder

def test_files_skipped_and_unreadable_are_reported_and_the_rest_go_on(scheme, template, valid, tmp_path):
    import msoffcrypto.format.ooxml as ooxml

    fill_workbook(template, tmp_path / "太原市.xlsx", valid, city="太原市")
    (tmp_path / "~$太原市.xlsx").write_bytes(b"\x00lock")
    (tmp_path / ".DS_Store").write_bytes(b"\x00")
    (tmp_path / "说明.docx").write_bytes(b"PK")
    (tmp_path / "旧版").mkdir()
    fill_workbook(template, tmp_path / "旧版" / "吕梁市.xlsx", valid, city="吕梁市")
    (tmp_path / "阳泉市.xlsx").write_bytes(b"this is not a zip file")
    (tmp_path / "长治市.xlsx").write_bytes(b"")
    with open(tmp_path / "太原市.xlsx", "rb") as plain, open(tmp_path / "晋城市.xlsx", "wb") as locked:
        ooxml.OOXMLFile(plain).encrypt("secret", locked)
    write_grid(tmp_path / "朔州市.xlsx", {"Sheet1": [["编号", "数值"], ["1.1.1a", "是"]]})
    (tmp_path / "杂项.xls").write_bytes(b"garbage")
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir() if p.is_file()}

    sub = read_submissions(tmp_path, scheme)

    files = sub.files.set_index("file")
    assert files[["city", "status", "inputs", "problems"]].to_dict("index") == {
        ".DS_Store": {"city": "", "status": "skipped", "inputs": 0, "problems": 0},
        "~$太原市.xlsx": {"city": "", "status": "skipped", "inputs": 0, "problems": 0},
        "太原市.xlsx": {"city": "太原市", "status": "read", "inputs": 88, "problems": 0},
        "旧版": {"city": "", "status": "skipped", "inputs": 0, "problems": 0},
        "晋城市.xlsx": {"city": "晋城市", "status": "unreadable", "inputs": 0, "problems": 1},
        "朔州市.xlsx": {"city": "朔州市", "status": "unreadable", "inputs": 0, "problems": 1},
        "杂项.xls": {"city": "", "status": "unreadable", "inputs": 0, "problems": 1},
        "说明.docx": {"city": "", "status": "skipped", "inputs": 0, "problems": 0},
        "长治市.xlsx": {"city": "长治市", "status": "unreadable", "inputs": 0, "problems": 1},
        "阳泉市.xlsx": {"city": "阳泉市", "status": "unreadable", "inputs": 0, "problems": 1},
    }
    assert {(f.file, f.code) for f in sub.report} == {
        ("~$太原市.xlsx", "file-skipped-lock"), (".DS_Store", "file-skipped-hidden"),
        ("说明.docx", "file-skipped-other"), ("旧版", "file-skipped-folder"),
        ("阳泉市.xlsx", "file-unreadable"), ("长治市.xlsx", "file-empty"), ("晋城市.xlsx", "file-encrypted"),
        ("朔州市.xlsx", "sheet-missing"), ("杂项.xls", "file-unreadable"),
    }
    assert {f.code for f in sub.report if f.severity == "info"} == {
        "file-skipped-lock", "file-skipped-hidden", "file-skipped-other", "file-skipped-folder"}
    assert sub.rejected == ["阳泉市", "长治市", "晋城市", "朔州市"]
    assert sub.missing == ["大同市", "晋中市", "运城市", "忻州市", "临汾市", "吕梁市"]
    assert set(sub.values["city"]) == {"太原市"} and len(sub.values) == 88
    assert files.loc["太原市.xlsx", "sha256"] == hashlib.sha256(before["太原市.xlsx"][0]).hexdigest()
    # Inputs are opened read-only and never changed.
    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir() if p.is_file()}
    assert after == before


def test_rows_reordered_hidden_inserted_and_sheet_renamed(scheme, template, valid, tmp_path):
    path = fill_workbook(template, tmp_path / "临汾市.xlsx", valid, city="临汾市")
    wb = load_workbook(path)
    ws = wb[SHEET_NAME]
    ws.insert_rows(1, 3)                  # header now on row 7, every input 3 rows lower
    for r in range(20, 30):
        ws.row_dimensions[r].hidden = True
    ws.title = "Sheet1"
    wb.move_sheet("Sheet1", offset=1)     # the 填表说明 sheet comes first
    wb.save(path)
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == set()
    v = by_code(sub, "临汾市")
    assert len(v) == 88 and v.loc["3.3.8a", ["sheet", "cell"]].tolist() == ["Sheet1", "G42"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_rows_in_any_order_with_extra_rows(scheme, template, valid, tmp_path, fmt):
    grids = read_grid(template)
    rows = fill_grid(grids[SHEET_NAME], valid | {"3.3.8a": 7}, city="吕梁市")
    header, code_col, _, _ = locate(rows)
    body = rows[header + 1:][::-1]
    body.insert(5, [None] * len(rows[0]))
    body.insert(9, ["附：说明", "本行是插入的说明"] + [None] * (len(rows[0]) - 2))
    grids = {"说明": [["随便写点什么"]], "汇总": rows[: header + 1] + body}
    write_grid(tmp_path / f"吕梁市.{fmt}", grids, fmt)
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == set()
    v = by_code(sub, "吕梁市")
    assert len(v) == 88
    assert v.loc["3.3.8a", ["number", "sheet"]].tolist() == [7, "汇总"]


def test_unknown_code_with_a_value_is_a_warning(scheme, template, valid, tmp_path):
    grids = read_grid(template)
    rows = fill_grid(grids[SHEET_NAME], valid, city="运城市")
    rows.append(["3.3.99a", None, None, None, None, "自己加的行", 5])
    rows.append(["11.2", None, None, None, None, "说明行", None])  # a code-like row left empty: nothing
    grids[SHEET_NAME] = rows
    write_grid(tmp_path / "运城市.ods", grids)
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == set()
    assert [(f.cell, f.code, f.severity, f.value) for f in sub.report] == [(f"G{len(rows) - 1}", "code-unknown", "warning", "5")]


def test_xlsm_is_read_like_xlsx(scheme, template, valid, tmp_path):
    fill_workbook(template, tmp_path / "晋中市.xlsm", valid, city="晋中市", fmt="xlsm")
    sub = read_submissions(tmp_path, scheme)
    assert errors(sub) == set() and len(sub.values) == 88


def test_empty_folder_misses_everyone(scheme, tmp_path):
    sub = read_submissions(tmp_path, scheme)
    assert sub.missing == list(DEFAULT_ROSTER.units)
    assert sub.values.empty and list(sub.values.columns) == VALUE_COLUMNS
    assert sub.files.empty and list(sub.files.columns) == FILE_COLUMNS
    assert not sub.ok


def test_not_a_folder_or_no_rules_is_an_error(scheme, tmp_path):
    with pytest.raises(SubmissionsError):
        read_submissions(tmp_path / "nope", scheme)

    class NoRules:
        rules = None

    with pytest.raises(SubmissionsError):
        read_submissions(tmp_path, NoRules())


def test_a_selection_that_keeps_every_row_is_the_frame_itself():
    # The usual folder has no blank, refused or unplaced cell: its frames are
    # passed on as they are, not copied (270,000 rows at 3,000 units).
    import numpy as np
    from assess_xlsx.intake.validate import _kept

    frame = pd.DataFrame({"city": ["太原市", "", "大同市"], "code": ["1.1.1a", "1.2.1a", "1.1.1a"]})
    assert _kept(frame, np.array([True, True, True])) is frame
    some = _kept(frame, np.array([True, False, True]))
    assert some is not frame
    assert some["city"].tolist() == ["太原市", "大同市"] and some.index.tolist() == [0, 2]
    assert _kept(frame, np.zeros(3, dtype=bool)).empty
