"""Issue 15's second half: one list of accepted forms per input kind, each variant
noted; the messages a clerk reads (click's included) in Chinese with English;
`check` and `score` agreeing on a unit's first problem."""

from __future__ import annotations

import re

import openpyxl
import pytest
from click.testing import CliRunner

from fill import fill_workbook, locate, read_grid, valid_values

from assess_xlsx.cli import cli
from assess_xlsx.intake import read_submissions
from assess_xlsx.intake.contract import GUIDE_SHEET, SHEET_NAME
from assess_xlsx.roster import DEFAULT_ROSTER
from assess_xlsx.rules.inputs import YESNO_ALSO
from assess_xlsx.template import write_template

OTHERS = "、".join(u for u in DEFAULT_ROSTER.units if u != "太原市")


@pytest.fixture(scope="module")
def template(scheme, tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.xlsx"
    write_template(scheme, path)
    return path


@pytest.fixture(scope="module")
def row_of(template):
    rows = read_grid(template)[SHEET_NAME]
    header, code_col, _, _ = locate(rows)
    return {r[code_col]: f"G{k + 1}" for k, r in enumerate(rows) if k > header and r[code_col]}


@pytest.fixture(scope="module")
def valid(scheme):
    return valid_values(scheme)


VARIANTS = {"1.1.1a": ("有", "是"), "1.2.1a": ("√", "是"), "1.2.2a": ("N", "否"), "1.2.3a": ("Yes", "是"),
            "3.3.5a": ("无", "0")}          # 3.3.5a is a count: 无 is 0


def test_each_accepted_variant_is_read_with_a_note(scheme, template, valid, row_of, tmp_path):
    fill_workbook(template, tmp_path / "太原市.xlsx", valid | {c: typed for c, (typed, _) in VARIANTS.items()}, city="太原市")
    sub = read_submissions(tmp_path, scheme)
    assert sub.report.ok
    notes = [f for f in sub.report if f.code == "value-read-as"]
    assert {(f.file, f.cell, f.code) for f in notes} == {("太原市.xlsx", row_of[c], "value-read-as") for c in VARIANTS}
    assert {f.input: (f.value, f.expected) for f in notes} == VARIANTS
    values = sub.values.set_index("code")
    assert values.loc["1.1.1a", "number"] == 1 and values.loc["1.2.2a", "number"] == 0
    assert values.loc["3.3.5a", "number"] == 0
    assert notes[0].message == "太原市.xlsx 填报表!G6：1.1.1a 填写“有”，按“是”计 / 1.1.1a: “有” read as “是”"
    # 是/否 themselves and plain numbers carry no note.
    assert not [f for f in notes if f.input == "1.2.4a" or f.value in ("是", "否", "0")]


def test_check_shows_the_variants_and_explains_the_count(scheme, template, valid, row_of, tmp_path):
    fill_workbook(template, tmp_path / "太原市.xlsx", valid | {"1.1.1a": "有", "3.3.5a": "无"}, city="太原市")
    result = CliRunner().invoke(cli, ["check", str(tmp_path)])
    assert result.exit_code == 1      # ten units missing
    assert result.output.splitlines() == [
        "太原市.xlsx：太原市，读取 88 项，问题 0 个 / 88 inputs read, 0 problem(s)",
        "（读取的项数只计已填写的单元格：模板共 90 项，其中 2 项情形说明只在对应分值大于0时填写，未填不计 / "
        "only filled cells are counted: of the template's 90 inputs, 2 notes are filled only when their amount is above 0）",
        "",
        "按规定写法换算 / Read as the listed form（2）：",
        "  太原市.xlsx 填报表!G6：1.1.1a 填写“有”，按“是”计 / 1.1.1a: “有” read as “是”",
        f"  太原市.xlsx 填报表!{row_of['3.3.5a']}：3.3.5a 填写“无”，按“0”计 / 3.3.5a: “无” read as “0”",
        "",
        f"未提交 / Missing（10）：{OTHERS}",
        "",
        "结果 / Result：1 个单位可评分，0 个单位数据有误，10 个单位未提交 / 1 ready, 0 rejected, 10 missing",
    ]


@pytest.mark.parametrize("typed", [1, 0, "是的", "没有", "对", "已听取"])
def test_other_forms_are_refused_with_the_list(scheme, template, valid, row_of, tmp_path, typed):
    fill_workbook(template, tmp_path / "太原市.xlsx", valid | {"1.1.1a": typed}, city="太原市")
    sub = read_submissions(tmp_path, scheme)
    assert sub.report.keys() == {("太原市.xlsx", "G6", "value-not-yesno")}
    assert sub.report.errors[0].message_zh == (
        f"1.1.1a 应填“是”或“否”（也可填 {YESNO_ALSO}；不接受 1/0），填的是“{typed}”")


def test_the_template_guide_lists_the_accepted_forms(template):
    ws = openpyxl.load_workbook(template)[GUIDE_SHEET]
    text = "\n".join(str(c) for row in ws.iter_rows(values_only=True) for c in row if c)
    assert f"是/否：从下拉列表选“是”或“否”；也接受{YESNO_ALSO}，核对结果中会注明按“是”或“否”计；" in text
    assert "不接受 1/0" in text and "填“无”按0计" in text


def test_a_zero_denominator_names_the_inputs_and_advises(scheme, template, valid, row_of, tmp_path):
    fill_workbook(template, tmp_path / "长治市.xlsx", valid | {"3.3.9a": 0, "3.3.9b": 0}, city="长治市")
    sub = read_submissions(tmp_path, scheme)
    assert sub.report.keys() == {("长治市.xlsx", row_of["3.3.9b"], "rate-zero-denominator")}
    assert sub.report.errors[0].message_zh == (
        "3.3.9b 为0，无法计算比率 3.3.9a（“双公示”迟报数据量）÷ 3.3.9b（“双公示”报送数据总量）；"
        "请核实并填写实际数量（应为大于0的整数），确实为0的请与考核办联系")


def test_score_shows_the_first_error_and_how_many_more_as_check_does(scheme, template, valid, row_of, tmp_path):
    inbox = tmp_path / "交回"
    inbox.mkdir()
    # Three errors in 阳泉市's two files; the first in place order is in the file sorted first.
    fill_workbook(template, inbox / "阳泉市-发改委.xlsx", valid | {"3.3.3a": "很多"}, city="阳泉市")
    fill_workbook(template, inbox / "阳泉市.xlsx", valid | {"1.1.1a": "可能", "2.1.1a": -1}, city="阳泉市")
    check = CliRunner().invoke(cli, ["check", str(inbox)])
    problems = [line.strip() for line in check.output.splitlines() if line.startswith("  阳泉市")]
    assert len(problems) == 3
    first = problems[0]
    assert first.startswith(f"阳泉市-发改委.xlsx 填报表!{row_of['3.3.3a']}：3.3.3a 应填数字")
    score = CliRunner().invoke(cli, ["score", str(inbox), "-o", str(tmp_path / "r.xlsx")])
    line = next(x for x in score.output.splitlines() if x.startswith("  -  阳泉市"))
    assert line == (
        "  -  阳泉市  填报数据有 3 处错误，未计分、未排名 / 3 error(s) in the data; not scored or ranked"
        f"。首个 / first：{first}。另有 2 处，运行 assess-xlsx check 可列出全部 / 2 more: assess-xlsx check lists them all")


# --------------------------------------------------------------------------- click's own messages

def _usage(command: str, args: str) -> list[str]:
    return [f"用法 / Usage: assess-xlsx {command} [OPTIONS] {args}",
            f"运行 / Try 'assess-xlsx {command} --help' 查看帮助 / for help.", ""]


def test_a_file_given_for_the_folder(tmp_path):
    path = tmp_path / "太原市.xlsx"
    path.write_bytes(b"")
    result = CliRunner().invoke(cli, ["check", str(path)], prog_name="assess-xlsx")
    assert result.exit_code == 2
    assert result.output.splitlines() == _usage("check", "FOLDER") + [
        f"错误 / Error: 'FOLDER' 的值无效：“{path}”是文件，应为文件夹 / "
        f"Invalid value for 'FOLDER': Directory '{path}' is a file."]


def test_a_folder_that_does_not_exist(tmp_path):
    path = tmp_path / "没有"
    result = CliRunner().invoke(cli, ["score", str(path)], prog_name="assess-xlsx")
    assert result.exit_code == 2
    assert result.output.splitlines() == _usage("score", "INBOX") + [
        f"错误 / Error: 'INBOX' 的值无效：“{path}”不存在 / Invalid value for 'INBOX': Directory '{path}' does not exist."]


def test_an_unknown_command_and_a_wrong_choice(tmp_path):
    result = CliRunner().invoke(cli, ["scor"], prog_name="assess-xlsx")
    assert result.exit_code == 2
    assert result.output.splitlines()[-1] == (
        "错误 / Error: 没有命令“scor”，是否要用“score”？ / No such command 'scor'. Did you mean 'score'?")
    result = CliRunner().invoke(cli, ["frob"], prog_name="assess-xlsx")
    assert result.output.splitlines()[-1] == (
        "错误 / Error: 没有命令“frob”（可用：template、check、score、watch、scheme） / No such command 'frob'.")
    result = CliRunner().invoke(cli, ["check", "--quiet", str(tmp_path)], prog_name="assess-xlsx")
    assert result.output.splitlines()[-1] == "错误 / Error: 没有选项 --quiet / No such option '--quiet'."
    result = CliRunner().invoke(cli, ["score", str(tmp_path), "--ranking", "x"], prog_name="assess-xlsx")
    assert result.output.splitlines()[-1] == (
        "错误 / Error: '--ranking' 的值无效：“x”不是可选值之一：'competition', 'dense' / "
        "Invalid value for '--ranking': 'x' is not one of 'competition', 'dense'.")
    result = CliRunner().invoke(cli, ["check"], prog_name="assess-xlsx")
    assert result.output.splitlines()[-1] == "错误 / Error: 缺少参数 FOLDER / Missing argument 'FOLDER'."


@pytest.mark.parametrize("command", ["template", "check", "score", "watch", "scheme", "rules draft"])
def test_every_help_speaks_chinese_with_english(command):
    result = CliRunner().invoke(cli, [*command.split(), "--help"], prog_name="assess-xlsx")
    assert result.exit_code == 0
    text = result.output
    assert text.startswith(f"用法 / Usage: assess-xlsx {command} ")
    assert "选项 / Options:" in text and "显示本帮助并退出 / Show this message and exit." in text
    # The paragraphs between the title and the example: a Chinese one before the English.
    body = text.split("\n\n")[2:]
    paragraphs = [p.strip() for p in body if p.strip() and not p.strip().startswith(("Example", "选项"))]
    def chinese(p):
        return len(re.findall(r"[\u4e00-\u9fff]", p)) > len(re.findall(r"[A-Za-z]", p))
    assert chinese(paragraphs[0]) and not all(chinese(p) for p in paragraphs), paragraphs
