"""The embedded 2022 table read into scoring rows, and the checks the reader runs."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook, load_workbook

from assess_xlsx.errors import RuleError
from assess_xlsx.rules import load_rules
from assess_xlsx.scheme import SchemeError, default_scheme_path, read_scheme
from test_scheme_layouts import layout

ROOT = Path(__file__).resolve().parent.parent


def test_rows_and_codes(scheme):
    rows = scheme.rows
    assert len(rows) == 52
    assert rows["points"].notna().sum() == 46
    assert list(rows["code"]) == list(load_rules().rows)
    assert list(rows.loc[rows["points"].isna(), "code"]) == ["1.2.3", "1.2.4", "3.4.1", "5.2.1", "5.3.1", "7.1.1"]
    assert scheme.base_total == 10000
    assert scheme.name == "山西省2022年度政务公开工作考核方案重点任务分解表"
    assert scheme.sheet == "重点任务分解表"


def test_architecture_columns(scheme):
    assert list(scheme.rows.columns) == [
        "code", "primary_code", "secondary_code", "primary", "secondary", "tertiary", "tertiary_text",
        "points", "deduction_text", "bonus_text", "method", "units", "fragment", "fragment_label",
        "fragment_points", "sheet_row"]
    assert str(scheme.rows["points"].dtype) == "Int64"
    assert list(scheme.primaries.columns) == ["code", "name", "points", "rows", "bonus_only_rows", "fragments"]
    assert list(scheme.items.columns) == ["code", "side", "number", "text", "method", "units", "cell"]


def test_primaries(scheme):
    p = scheme.primaries
    assert list(p["code"]) == [str(i) for i in range(1, 10)]
    assert list(p["name"]) == ["组织领导与工作保障", "基层政务公开", "主动公开", "依申请公开", "政策解读及公众参与",
                               "回应关切", "媒体参与", "平台建设管理与基础工作库数据维护", "指导监督"]
    assert list(p["points"]) == [600, 700, 5700, 600, 400, 400, 0, 1200, 400]
    assert list(p["rows"]) == [5, 3, 27, 2, 4, 2, 1, 6, 2]
    assert list(p["bonus_only_rows"]) == [2, 0, 1, 0, 2, 0, 1, 0, 0]
    frags = p.set_index("code")["fragments"]
    assert [(f["label"], f["points"], f["sum"], f["rows"], f["cell"]) for f in frags["3"]] == [
        ("主动公开（18分）", 1800, 1800, 8, "A12"),
        ("主动公开（8分）", 800, 800, 4, "A20"),
        ("主动公开（9分）", 900, 900, 5, "A24"),
        ("主动公开（12分）", 1200, 1200, 4, "A29"),
        ("主动公开（10分）", 1000, 1000, 6, "A33"),
    ]
    assert [(f["label"], f["points"]) for f in frags["8"]] == [
        ("平台建设管理与基础工作库数据维护(8分)", 800), ("平台建设管理与基础工作库数据维护(4分)", 400)]
    assert [(f["label"], f["points"], f["sum"]) for f in frags["7"]] == [("媒体参与", None, 0)]
    assert [(f["label"], f["points"]) for f in frags["6"]] == [("回应关切(4分)", 400)]  # half-width (4分)


def test_row_cells(scheme):
    rows = scheme.rows.set_index("code")
    # a continued row: empty 三级指标 and 责任单位 cells merged with the row above
    assert rows.loc["3.1.2", "tertiary"] == "重大行政决策公开情况"
    assert rows.loc["3.1.2", "units"] == "市司法局"
    assert rows.loc["3.1.2", "method"] == "网上检查"
    # 3.3.11's 加分标准 and 考核方式 are merged with 3.3.10's
    assert rows.loc["3.3.11", "bonus_text"] == ""
    assert rows.loc["3.3.11", "method"] == "省发改委制定考核标准，提供考核依据"
    # 3.3.2 repeats its 二级指标 label in a cell of its own: still 3.3
    assert rows.loc["3.3.2", "secondary_code"] == "3.3"
    assert rows.loc["3.3.1", "tertiary"] == "公共企事业单位信息公开情况"
    assert rows.loc["3.3.1", "tertiary_text"] == "公共企事业单位\n信息公开情况"
    assert rows.loc["4.2.1", "tertiary"] == "对申请人投诉举报的处理情况"
    assert rows.loc["1.1.1", "secondary"] == "组织领导"
    assert rows.loc["1.2.3", "deduction_text"] == ""
    assert pd.isna(rows.loc["1.2.3", "points"])
    assert rows.loc["1.2.3", "bonus_text"] == "落实政务公开工作专项经费保障的，加1分"
    assert rows.loc["3.3.4", "deduction_text"].startswith("1.省政府门户网站")
    assert rows.loc["1.1.1", "sheet_row"] == 4
    assert rows.loc["9.1.2", "sheet_row"] == 55
    assert rows.loc["3.3.10", "fragment_label"] == "主动   公开   （12分）"
    assert rows.loc["3.3.10", "fragment_points"] == 1200


def test_items(scheme):
    items = scheme.items
    assert list(items["code"]) == [f"10.{i}" for i in range(1, 7)] + [f"11.{i}" for i in range(1, 8)]
    assert list(items["side"]) == ["extra"] * 6 + ["major"] * 7
    it = items.set_index("code")
    assert it.loc["10.1", "text"] == "因成绩突出受到国家级、省部级表彰的先进或优秀单位（可累计），每项加5分"
    assert it.loc["11.7", "text"] == "省政务公开领导小组在考核中酌情考虑的其他情形"
    assert it.loc["10.6", "cell"] == "B56"
    assert it.loc["11.1", "cell"] == "B57"
    assert it.loc["11.1", "method"] == "根据考核情况评定"
    assert it.loc["11.1", "units"] == "各级各部门"


def test_checks_and_rules(scheme):
    assert scheme.ok
    assert scheme.checks == {"points_valid": True, "fragments_match": True, "total_is_100": True, "rules_attached": True}
    assert scheme.rules is not None and scheme.rules.year == 2022
    assert len(scheme.inputs) == len(scheme.rules.inputs)


# --------------------------------------------------------------------------- what is rejected

def test_fragment_label_disagrees_with_its_rows(tmp_path):
    path = layout(tmp_path / "t.xlsx", edit={(12, 1): "主动     公开       （17分）"})
    s = read_scheme(path)
    assert not s.ok
    assert s.report.keys() >= {("t.xlsx", "A12", "scheme-fragment-mismatch")}
    [f] = [f for f in s.report if f.code == "scheme-fragment-mismatch"]
    assert (f.note, f.expected, f.value, f.sheet, f.input) == ("主动公开（17分）", "17", "18", "重点任务分解表", "3")
    assert f.message == ("t.xlsx 重点任务分解表!A12：“主动公开（17分）”标注17分，但其下各行赋分合计为18分 / "
                         "fragment '主动公开（17分）' is labelled 17 points but its rows sum to 18")
    assert s.checks["fragments_match"] is False and s.checks["total_is_100"] is True
    # the rows are still there, with their codes
    assert len(s.rows) == 52


def test_fragment_label_disagrees_with_a_serial_column(tmp_path):
    s = read_scheme(layout(tmp_path / "t.xlsx", serial=True, drop_title=True, edit={(48, 1): "平台建设管理与基础工作库数据维护(9分)"}))
    assert ("t.xlsx", "B46", "scheme-fragment-mismatch") in s.report.keys()


def test_base_total_not_100(tmp_path):
    # 1.1.1 worth 3 and its fragment labelled 7: every fragment agrees, the total is 101
    s = read_scheme(layout(tmp_path / "t.xlsx", edit={(4, 4): 3, (4, 1): "组织领导与工作保障（7分）"}))
    errors = [(f.code, f.value, f.expected) for f in s.report.errors]
    assert errors == [("scheme-total-mismatch", "101", "100")]
    assert s.checks["total_is_100"] is False
    # the points no longer match the 2022 rules either
    assert s.rules is None
    assert "scheme-rules-mismatch" in {f.code for f in s.report}


def test_table_not_matching_the_rules_gets_rows_without_rules(tmp_path):
    # 1.2.3 (row 7, a bonus-only row) removed: fragments and total still agree
    s = read_scheme(layout(tmp_path / "t.xlsx", drop_rows={7}))
    assert s.ok  # a warning, not an error: the table itself is sound
    assert s.rules is None
    assert len(s.rows) == 51
    assert list(s.rows["code"][:5]) == ["1.1.1", "1.2.1", "1.2.2", "1.2.3", "2.1.1"]
    [f] = [f for f in s.report if f.code == "scheme-rules-mismatch"]
    assert f.severity == "warning"
    assert f.note.startswith("表格51行、规则52行")
    assert "1.2.4 赋分 / points - ≠ -" not in f.note
    assert "1.2.3 三级指标 / tertiary “制度建设情况” ≠ “经费保障情况”（C7）" in f.note
    assert s.checks["rules_attached"] is False
    assert len(s.inputs) == 0


def test_other_rules_attach_when_they_match(tmp_path, scheme):
    book = load_rules()
    s = read_scheme(default_scheme_path(), rules=book)
    assert s.rules is book
    toml = tmp_path / "rules.toml"
    toml.write_text('[scheme]\nname = "x"\nyear = 2023\n[[row]]\ncode = "1.1.1"\npoints = "2"\n', encoding="utf-8")
    s = read_scheme(rules=toml)
    assert s.rules is None
    [f] = [f for f in s.report if f.code == "scheme-rules-mismatch"]
    assert f.expected == "2023"


def test_broken_rules_file_is_an_error(tmp_path):
    toml = tmp_path / "rules.toml"
    toml.write_text("[[row]]\ncode = \n", encoding="utf-8")
    with pytest.raises(RuleError) as exc:    # the rules file's trouble, named as such, not the table's
        read_scheme(rules=toml)
    assert str(exc.value) == ("评分规则文件 rules.toml 第2行第8列有语法错误（Invalid value） / "
                              "the rules file rules.toml has a syntax error at line 2, column 8: Invalid value")


def test_points_that_are_not_a_number(tmp_path):
    s = read_scheme(layout(tmp_path / "t.xlsx", edit={(5, 4): "两分"}))
    assert ("t.xlsx", "D5", "scheme-points-invalid") in s.report.keys()
    assert not s.ok


def test_no_header(tmp_path):
    wb = Workbook()
    wb.active["A1"] = "一级指标"
    wb.active["B1"] = "赋分"
    wb.save(tmp_path / "t.xlsx")
    with pytest.raises(SchemeError) as exc:
        read_scheme(tmp_path / "t.xlsx")
    assert [f.code for f in exc.value.report] == ["scheme-header-missing"]


def test_unreadable(tmp_path):
    (tmp_path / "t.xlsx").write_bytes(b"not a workbook")
    with pytest.raises(SchemeError) as exc:
        read_scheme(tmp_path / "t.xlsx")
    # the reader's plain reason, as a submitted workbook gets, never calamine's own text
    assert [f.code for f in exc.value.report] == ["scheme-refused"]
    assert exc.value.report.errors[0].message == (
        "t.xlsx：考核方案文件无法读取：无法作为工作簿读取（文件损坏或格式不对）：CSV/text / "
        "cannot read the scheme table: cannot be read as a workbook (damaged or wrong format): CSV/text")
    with pytest.raises(SchemeError):
        read_scheme(tmp_path / "missing.xlsx")


def test_summary_without_clauses_is_reported(tmp_path):
    s = read_scheme(layout(tmp_path / "t.xlsx", edit={(57, 2): "酌情扣分"}))
    assert ("t.xlsx", "B57", "scheme-items-missing") not in s.report.keys()  # one clause: item 11.1
    assert list(s.items.loc[s.items["side"] == "major", "text"]) == ["酌情扣分"]
    s = read_scheme(layout(tmp_path / "u.xlsx", edit={(57, 2): "-"}))
    assert ("u.xlsx", "B57", "scheme-items-missing") in s.report.keys()


# --------------------------------------------------------------------------- the embedded workbook

def test_embedded_workbook_is_the_transcription_of_the_text():
    spec = importlib.util.spec_from_file_location("transcribe_scheme", ROOT / "tools" / "transcribe_scheme.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    built = tool.build((ROOT / "tools" / "shanxi-2022-task-breakdown.txt").read_text(encoding="utf-8"))
    committed = load_workbook(default_scheme_path())
    assert committed.sheetnames == built.sheetnames == ["重点任务分解表"]
    a, b = built.active, committed.active
    assert (a.max_row, a.max_column) == (b.max_row, b.max_column) == (57, 8)
    cells = lambda ws: [[c.value for c in row] for row in ws.iter_rows()]  # noqa: E731
    assert cells(a) == cells(b)
    assert sorted(map(str, a.merged_cells.ranges)) == sorted(map(str, b.merged_cells.ranges))
    assert len(b.merged_cells.ranges) == 41
    assert b["H3"].value == "责任      单位"
    assert b["A12"].value == "主动     公开       （18分）"
