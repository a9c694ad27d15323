"""The fill-in template: layout, validations, protection, and the committed copy."""

from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from assess_xlsx.cli import cli
from assess_xlsx.roster import Roster
from assess_xlsx.errors import TemplateError
from assess_xlsx.intake.contract import GUIDE_SHEET, LIST_SHEET, SHEET_NAME
from assess_xlsx.template import write_template

COMMITTED = Path(__file__).resolve().parent.parent / "templates" / "scoresheet_template.xlsx"


@pytest.fixture(scope="module")
def template(scheme, tmp_path_factory):
    path = tmp_path_factory.mktemp("template") / "t.xlsx"
    write_template(scheme, path)
    return path


@pytest.fixture(scope="module")
def sheet(template):
    wb = load_workbook(template)
    yield wb[SHEET_NAME]
    wb.close()


def validations(ws) -> dict[str, object]:
    return {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}


def snapshot(path) -> dict:
    """Everything of a template a user or a program relies on, as plain data."""
    wb = load_workbook(path)
    out = {"sheets": wb.sheetnames}
    for ws in wb.worksheets:
        out[ws.title] = {
            "state": ws.sheet_state,
            "cells": {c.coordinate: c.value for row in ws.iter_rows() for c in row if c.value is not None},
            "unlocked": sorted(c.coordinate for row in ws.iter_rows() for c in row if c.protection.locked is False),
            "merged": sorted(str(r) for r in ws.merged_cells.ranges),
            "validations": sorted(
                (str(dv.sqref), dv.type, dv.operator, dv.formula1, dv.formula2, dv.allow_blank,
                 dv.promptTitle, dv.prompt, dv.errorTitle, dv.error)
                for dv in ws.data_validations.dataValidation
            ),
            "protected": (ws.protection.sheet, ws.protection.password),
            "outline": {r: d.outlineLevel for r, d in ws.row_dimensions.items() if d.outlineLevel},
        }
    wb.close()
    return out


# --------------------------------------------------------------------------- the committed copy

def test_committed_template_is_what_the_command_writes(tmp_path):
    """templates/scoresheet_template.xlsx = `assess-xlsx template -o ...`; regenerate it when this fails."""
    out = tmp_path / "scoresheet_template.xlsx"
    result = CliRunner().invoke(cli, ["template", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert COMMITTED.exists()
    assert snapshot(out) == snapshot(COMMITTED), (
        "templates/scoresheet_template.xlsx is stale: run "
        "`assess-xlsx template -o templates/scoresheet_template.xlsx`"
    )


def test_same_inputs_give_the_same_bytes(scheme, tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    write_template(scheme, a)
    write_template(scheme, b)
    assert a.read_bytes() == b.read_bytes()


# --------------------------------------------------------------------------- layout

def test_title_unit_cell_and_header(sheet, scheme):
    assert sheet["A1"].value == "山西省2022年度政务公开工作考核方案重点任务分解表（填报表）"
    assert sheet["A2"].value == "被考核单位"
    assert sheet["B2"].value is None
    header = [c.value for c in sheet[4]]
    assert header == ["编号", "一级指标", "二级指标", "三级指标", "赋分", "填报内容", "填报值",
                      "填写要求", "评分规则", "备注/依据", "考核方式/责任单位"]
    unit = validations(sheet)["B2"]
    assert unit.type == "list"
    assert unit.formula1 == '"太原市,大同市,阳泉市,长治市,晋城市,朔州市,晋中市,运城市,忻州市,临汾市,吕梁市"'


def test_one_row_per_input_in_table_order_with_bands(sheet, scheme):
    codes = [sheet.cell(r, 1).value for r in range(5, sheet.max_row + 1)]
    bands = [c for c in codes if c and not c[0].isdigit()]
    assert bands == [
        "一、组织领导与工作保障（6分）", "二、基层政务公开（7分）", "三、主动公开（57分）",
        "四、依申请公开（6分）", "五、政策解读及公众参与（4分）", "六、回应关切（4分）",
        "七、媒体参与（加分项）", "八、平台建设管理与基础工作库数据维护（12分）", "九、指导监督（4分）",
        "综合加分项", "重大扣分项",
    ]
    inputs = [c for c in codes if c and c[0].isdigit()]
    expected = list(scheme.rules.inputs)
    expected.insert(expected.index("11.3a"), "11.2")  # 11.2 has no input of its own: a note row
    assert inputs == expected
    assert len(expected) == 91
    # Rows of one 一级指标 are an outline group under its band.
    for r in range(5, sheet.max_row + 1):
        level = sheet.row_dimensions[r].outlineLevel
        assert level == (0 if sheet.cell(r, 1).value in bands else 1)


def test_rows_carry_names_points_rule_and_requirement(sheet):
    rows = {sheet.cell(r, 1).value: r for r in range(5, sheet.max_row + 1)}
    r = rows["3.3.8a"]
    assert r == 39
    assert [sheet.cell(r, c).value for c in (2, 3, 4, 5)] == ["主动公开", "以公开助力保持社会和谐稳定", "“双公示”数据报送情况", 2]
    assert sheet.cell(r, 6).value == "“双公示”合规数据量"
    assert sheet.cell(r, 8).value == "填≥0的整数（单位：条）；没有的填0，不要留空"
    assert sheet.cell(r, 9).value.startswith("扣分：按照国家发展改革委现行标准")
    assert sheet.cell(r, 9).value.endswith("说明：得分=合规率×2，即扣分=（1−合规率）×2。")
    # 3.3.8b shares the row's merged cells.
    assert "B39:B40" in {str(m) for m in sheet.merged_cells.ranges}
    assert sheet.cell(rows["4.1.1a"], 8).value == "填0～2的整数（单位：件）；没有的填0，不要留空"
    assert sheet.cell(rows["3.1.4a"], 8).value == "填0～2分的分值，最多两位小数"
    assert sheet.cell(rows["9.1.1b"], 8).value == "填0～100的百分数（如 4.5 或 4.5%），最多两位小数"
    assert sheet.cell(rows["10.2a"], 8).value == "填≥1的整数名次"
    assert sheet.cell(rows["1.2.4a"], 8).value == "从下拉列表选择“未制定”“已制定”“已制定且涵盖全面”之一"
    assert sheet.cell(rows["10.6b"], 8).value == "文字说明（10.6a大于0时必填）"
    assert sheet.cell(rows["1.2.3a"], 5).value == "加分项"
    assert sheet.cell(rows["11.2"], 6).value == "无需填报：按10.2a、10.2b填报的数据计算"


# --------------------------------------------------------------------------- validation and protection

def _dv(sheet, code):
    rows = {sheet.cell(r, 1).value: r for r in range(5, sheet.max_row + 1)}
    return validations(sheet).get(f"G{rows[code]}")


@pytest.mark.parametrize("code, kind, operator, f1, f2", [
    ("1.1.1a", "list", None, '"是,否"', None),
    ("8.2.1b", "list", None, '"是,否"', None),
    ("1.2.4a", "list", None, '"未制定,已制定,已制定且涵盖全面"', None),
    ("1.2.2b", "whole", None, "0", "2"),
    ("3.3.14a", "whole", None, "0", "2"),
    ("3.3.15a", "whole", None, "0", "3"),
    ("4.1.1a", "whole", None, "0", "2"),
    ("8.2.2a", "whole", None, "0", "4"),
    ("3.3.8a", "whole", "greaterThanOrEqual", "0", None),
    ("11.1a", "whole", "greaterThanOrEqual", "0", None),
    ("10.2a", "whole", "greaterThanOrEqual", "1", None),
    ("10.2b", "whole", "greaterThanOrEqual", "1", None),
    ("3.1.4a", "decimal", None, "0.0", "2.0"),
    ("10.6a", "decimal", "greaterThanOrEqual", "0.0", None),
    ("11.7a", "decimal", "greaterThanOrEqual", "0.0", None),
])
def test_validation_per_kind(sheet, code, kind, operator, f1, f2):
    """operator None is Excel's default, between."""
    dv = _dv(sheet, code)
    assert (dv.type, dv.operator, dv.formula1, dv.formula2) == (kind, operator, f1, f2)
    assert dv.promptTitle == f"编号 {code}"
    assert dv.prompt and dv.error


def test_percent_cell_accepts_the_percent_sign(sheet):
    dv = _dv(sheet, "9.1.1b")
    assert dv.type == "custom"
    assert dv.formula1 == ('AND(ISNUMBER(--SUBSTITUTE(G87,"%","")),--SUBSTITUTE(G87,"%","")>=0,'
                           '--SUBSTITUTE(G87,"%","")<=100)')
    assert sheet["G87"].number_format == "@"  # typed "4%" stays text, never 0.04


def test_notes_are_free_text_with_a_message(sheet):
    dv = _dv(sheet, "10.6b")
    assert dv.type is None and dv.prompt == "酌情加分的情形说明\n文字说明（10.6a大于0时必填）"


def test_every_input_cell_is_validated_unlocked_and_tinted(sheet, scheme):
    dvs = validations(sheet)
    rows = {sheet.cell(r, 1).value: r for r in range(5, sheet.max_row + 1)}
    for code in scheme.rules.inputs:
        cell = sheet.cell(rows[code], 7)
        assert cell.coordinate in dvs, code
        assert cell.protection.locked is False, code
        assert cell.fill.fgColor.rgb == "FFFFF2CC", code
        assert sheet.cell(rows[code], 6).protection.locked is not False
    # 11.2 has no 填报值 cell to fill.
    assert f"G{rows['11.2']}" not in dvs
    assert sheet.cell(rows["11.2"], 7).protection.locked is not False
    assert sheet["B2"].protection.locked is False


def test_sheet_protected_without_password(sheet):
    p = sheet.protection
    assert p.sheet is True and p.password is None
    # Formatting and resizing stay allowed (openpyxl: False = not prohibited).
    assert (p.formatCells, p.formatColumns, p.formatRows) == (False, False, False)


def test_guide_sheet(template):
    wb = load_workbook(template)
    assert wb.sheetnames == [SHEET_NAME, GUIDE_SHEET]
    text = "\n".join(str(c.value) for row in wb[GUIDE_SHEET].iter_rows() for c in row if c.value)
    for phrase in ("被考核单位", "填报值", "没有的填0", "太原市.xlsx", "不要加密码", "编号"):
        assert phrase in text
    wb.close()


# --------------------------------------------------------------------------- options

def test_city_is_filled_in(scheme, tmp_path):
    path = write_template(scheme, tmp_path / "x.xlsx", city="晋中市")
    wb = load_workbook(path)
    assert wb[SHEET_NAME]["B2"].value == "晋中市"
    wb.close()


def test_unknown_city_and_missing_folder_are_refused(scheme, tmp_path):
    with pytest.raises(TemplateError):
        write_template(scheme, tmp_path / "x.xlsx", city="北京市")
    with pytest.raises(TemplateError):
        write_template(scheme, tmp_path / "nope" / "x.xlsx")
    assert list(tmp_path.iterdir()) == []  # no temp file left behind


def test_a_long_roster_lists_units_on_a_hidden_sheet(scheme, tmp_path):
    units = tuple(f"第{i}测试单位名称较长的县" for i in range(40))
    path = write_template(scheme, tmp_path / "x.xlsx", roster=Roster(units=units))
    wb = load_workbook(path)
    assert wb[LIST_SHEET].sheet_state == "hidden"
    assert [wb[LIST_SHEET].cell(r, 1).value for r in (1, 40)] == [units[0], units[39]]
    assert validations(wb[SHEET_NAME])["B2"].formula1 == f"'{LIST_SHEET}'!$A$1:$A$40"
    wb.close()


# --------------------------------------------------------------------------- the command

def test_template_command_with_city_and_roster(tmp_path):
    roster = tmp_path / "名单.txt"
    roster.write_text("甲市\t省会\n乙市\n", encoding="utf-8")
    out = tmp_path / "乙市.xlsx"
    result = CliRunner().invoke(cli, ["template", "-o", str(out), "--city", "乙市", "--roster", str(roster)])
    assert result.exit_code == 0, result.output
    assert result.output == f"已生成 / written：{out}（90 项填报内容 / 90 inputs）\n"
    wb = load_workbook(out)
    assert wb[SHEET_NAME]["B2"].value == "乙市"
    assert validations(wb[SHEET_NAME])["B2"].formula1 == '"甲市,乙市"'
    wb.close()


def test_template_command_default_name(tmp_path):
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        result = runner.invoke(cli, ["template", "--city", "太原"])  # the short name is enough
        assert result.exit_code == 0, result.output
        assert result.output == "已生成 / written：太原市政务公开考核填报表.xlsx（90 项填报内容 / 90 inputs）\n"
        assert Path("太原市政务公开考核填报表.xlsx").exists()


def test_template_command_usage_errors(tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["template", "-o", str(tmp_path / "x.xlsx"), "--city", "北京市"])
    assert result.exit_code == 2
    assert "“北京市”不在单位名单中 / not in the roster" in result.output
    result = runner.invoke(cli, ["template", "--scheme", str(tmp_path / "nope.xlsx")])
    assert result.exit_code == 2
    assert not (tmp_path / "x.xlsx").exists()


def test_template_for_a_city_never_overwrites_unasked(tmp_path):
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path):
        name = "太原市政务公开考核填报表.xlsx"
        Path(name).write_bytes("已填写".encode())
        result = runner.invoke(cli, ["template", "--city", "太原市"])
        assert result.exit_code == 2
        assert result.output == (
            f"错误 / Error: 文件已存在，未覆盖：{name} / the file exists and was not overwritten: {name}\n"
            "提示 / hint：用 -o 另取文件名，或加 --force 覆盖 / pass -o with another name, or --force to overwrite\n")
        assert Path(name).read_bytes() == "已填写".encode()
        result = runner.invoke(cli, ["template", "--city", "太原市", "--force"])
        assert result.exit_code == 0, result.output
        assert load_workbook(name)[SHEET_NAME]["B2"].value == "太原市"


def test_template_prints_at_full_size_with_page_numbers(scheme, tmp_path):
    path = write_template(scheme, tmp_path / "t.xlsx", city="太原市")
    ws = load_workbook(path)[SHEET_NAME]
    assert ws.page_setup.scale in (None, 100) and not ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
    assert ws.print_area == "'填报表'!$A$1:$J$" + str(ws.max_row)
    assert ws.row_breaks.brk                              # pages end between blocks
    assert ws["A3"].value.startswith("本表已填好被考核单位（太原市），请只在黄色单元格")
    blank = load_workbook(write_template(scheme, tmp_path / "b.xlsx"))[SHEET_NAME]
    assert blank["A3"].value.startswith("请先在上方选择被考核单位")
