"""`assess-xlsx check FOLDER`: exact output and exit codes."""

import pytest
from click.testing import CliRunner

from fill import fill_workbook, valid_values

from assess_xlsx.cli import cli
from assess_xlsx.template import write_template


# The check command's lines on the unit form, every input on it (conftest.self_rules):
# who fills what, and the lines on assessors' sheets and what they owe: test_who_fills.py.
@pytest.fixture(scope="module")
def scheme(self_scheme):
    return self_scheme


@pytest.fixture(scope="module")
def template(scheme, tmp_path_factory):
    path = tmp_path_factory.mktemp("tpl") / "template.xlsx"
    write_template(scheme, path)
    return path


@pytest.fixture(autouse=True)
def _rules(self_rules):
    global RULES
    RULES = ["--rules", str(self_rules)]


RULES: list[str] = []


@pytest.fixture(scope="module")
def valid(scheme):
    return valid_values(scheme)


@pytest.fixture
def two_units(tmp_path):
    roster = tmp_path / "名单.txt"
    roster.write_text("甲市\t省会\n乙市\n", encoding="utf-8")
    return roster


def run(*args):
    return CliRunner().invoke(cli, ["check", *map(str, args), *RULES])


def test_clean_folder_exits_0(template, valid, tmp_path, two_units):
    inbox = tmp_path / "交回"
    inbox.mkdir()
    fill_workbook(template, inbox / "甲市.xlsx", valid, city="甲市")
    fill_workbook(template, inbox / "乙市.ods", valid, city="乙市", fmt="ods")
    (inbox / "~$甲市.xlsx").write_bytes(b"lock")   # skipped, not a problem
    result = run(inbox, "--roster", two_units)
    assert result.output.splitlines() == [
        "~$甲市.xlsx：已跳过 Office 临时锁定文件（工作簿正被打开时产生） / skipped an Office lock file (left while a workbook is open)",
        "乙市.ods：乙市，读取 88 项，问题 0 个 / 88 inputs read, 0 problem(s)",
        "甲市.xlsx：甲市，读取 88 项，问题 0 个 / 88 inputs read, 0 problem(s)",
        "（读取的项数只计已填写的单元格：模板共 90 项，其中 2 项情形说明只在对应分值大于0时填写，未填不计 / "
        "only filled cells are counted: of the template's 90 inputs, 2 notes are filled only when their amount is above 0）",
        "",
        "结果 / Result：2 个单位可评分，0 个单位数据有误，0 个单位未提交 / 2 ready, 0 rejected, 0 missing",
    ]
    assert result.exit_code == 0


def test_problems_and_missing_units_exit_1(template, valid, tmp_path):
    fill_workbook(template, tmp_path / "太原市.xlsx", valid | {"3.3.8a": "很多", "10.6a": 1}, city="太原市")
    fill_workbook(template, tmp_path / "大同市.xls", valid | {"4.1.1a": 3}, city="阳泉市", fmt="xls")
    (tmp_path / "晋中市.xlsx").write_bytes(b"")
    result = run(tmp_path)
    assert result.output.splitlines() == [
        "大同市.xls：大同市，暂不读取（被考核单位与文件名不符），问题 1 个 / "
        "大同市: held back (the unit cell contradicts the file name), 1 problem(s)",
        "太原市.xlsx：太原市，读取 88 项，问题 2 个 / 88 inputs read, 2 problem(s)",
        "晋中市.xlsx：晋中市，无法读取，问题 1 个 / 晋中市: unreadable, 1 problem(s)",
        "（读取的项数只计已填写的单元格：模板共 90 项，其中 2 项情形说明只在对应分值大于0时填写，未填不计 / "
        "only filled cells are counted: of the template's 90 inputs, 2 notes are filled only when their amount is above 0）",
        "",
        "问题 / Problems（4）：",
        "  大同市.xls 填报表!B2：被考核单位填的是“阳泉市”，文件名却是“大同市”；本文件暂不读取、不并入任何单位，请核实后改正被考核单位或文件名 / "
        "the sheet names “阳泉市” but the file name names “大同市”; the file is held back, merged into no unit: "
        "correct the unit cell or the file name",
        "  太原市.xlsx 填报表!G39：3.3.8a 应填数字，填的是“很多”；应为≥0的整数（单位：条） / 3.3.8a: “很多” is not a number; expected ≥0的整数（单位：条）",
        "  太原市.xlsx 填报表!G97：10.6a（1.00）大于0，须在 10.6b 填写情形说明 / 10.6a（1.00） is above 0: explain it in 10.6b",
        "  晋中市.xlsx：文件是空的（0字节），无法读取；请重新报送 / the file is empty (0 bytes); send it again",
        "",
        "未提交 / Missing（8）：阳泉市、长治市、晋城市、朔州市、运城市、忻州市、临汾市、吕梁市",
        "",
        "结果 / Result：0 个单位可评分，3 个单位数据有误，8 个单位未提交 / 0 ready, 3 rejected, 8 missing",
    ]
    assert result.exit_code == 1


def test_only_missing_units_exit_1(template, valid, tmp_path, two_units):
    fill_workbook(template, tmp_path / "甲市.xlsx", valid, city="甲市")
    result = run(tmp_path, "--roster", two_units)
    assert result.output.splitlines()[-3:] == [
        "未提交 / Missing（1）：乙市",
        "",
        "结果 / Result：1 个单位可评分，0 个单位数据有误，1 个单位未提交 / 1 ready, 0 rejected, 1 missing",
    ]
    assert result.exit_code == 1


def test_a_warning_alone_is_shown_but_exits_0(template, valid, tmp_path):
    from fill import fill_grid, read_grid, write_grid

    roster = tmp_path / "名单.txt"
    roster.write_text("甲市\n", encoding="utf-8")
    inbox = tmp_path / "in"
    inbox.mkdir()
    grids = read_grid(template)
    rows = fill_grid(grids["填报表"], valid, city="甲市")
    rows.append(["3.3.99a", None, None, None, None, "自己加的行", 5])
    grids["填报表"] = rows
    write_grid(inbox / "甲市.xlsx", grids)
    result = run(inbox, "--roster", roster)
    assert result.output.splitlines()[2:5] == [
        "",
        "问题 / Problems（1）：",
        f"  提示 / warning：甲市.xlsx 填报表!G{len(rows)}：编号“3.3.99a”不在考核方案中，所填“5”已忽略 / "
        "code 3.3.99a is not in the scheme; its value “5” is ignored",
    ]
    assert result.exit_code == 0


def test_empty_folder(tmp_path, two_units):
    inbox = tmp_path / "空"
    inbox.mkdir()
    result = run(inbox, "--roster", two_units)
    assert result.output.splitlines() == [
        "文件夹中没有文件 / the folder holds no file",
        "",
        "未提交 / Missing（2）：甲市、乙市",
        "",
        "结果 / Result：0 个单位可评分，0 个单位数据有误，2 个单位未提交 / 0 ready, 0 rejected, 2 missing",
    ]
    assert result.exit_code == 1


def test_usage_errors_exit_2(tmp_path):
    assert run(tmp_path / "nope").exit_code == 2
    assert run(tmp_path, "--roster", tmp_path / "nope.txt").exit_code == 2
    assert run(tmp_path, "--scheme", tmp_path / "nope.xlsx").exit_code == 2
    assert CliRunner().invoke(cli, ["check"]).exit_code == 2


def test_a_bad_roster_file_is_explained(tmp_path):
    roster = tmp_path / "名单.txt"
    roster.write_text("甲市\n甲市\n", encoding="utf-8")
    result = run(tmp_path, "--roster", roster)
    assert result.exit_code == 2
    assert "名单第2行“甲市”重复 / line 2: '甲市' listed twice" in result.output
    assert "提示 / hint" in result.output


def test_check_never_loads_the_workbook_writer(tmp_path):
    """`check` writes nothing, so xlsxwriter (~20 ms to import) is never loaded:
    the scheme's cell names included (assess_xlsx.cellref)."""
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    inbox = shutil.copytree(Path(__file__).resolve().parents[1] / "samples", tmp_path / "samples")
    code = ("import sys\nfrom assess_xlsx.cli import cli\n"
            f"try:\n    cli.main(['check', {str(inbox)!r}], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
            "print('xlsxwriter' in sys.modules, 'assess_xlsx.scheme' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "False True"
