"""Defects a QA pass found: rules files not UTF-8 or not TOML, the tool's own
result in the inbox, the scheme's unreadable reasons, `rules draft`'s output."""

from __future__ import annotations

import shutil
from pathlib import Path

from click.testing import CliRunner

from assess_xlsx.cli import cli
from assess_xlsx.rules import default_rules_path
from assess_xlsx.scheme import default_scheme_path

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
RULES_HINT = ("提示 / hint：评分规则文件是 UTF-8 编码的 TOML 文本（可用 assess-xlsx rules draft 由考核方案草拟），"
              "用 --rules 指定；不指定即使用内置的2022年规则 / the rules file is TOML text in UTF-8 (rules draft "
              "writes one from the table), given with --rules; without it the built-in 2022 rules are used\n")


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


# --------------------------------------------------------------------------- 1. the rules file

def test_rules_file_in_gbk_is_a_rule_error_not_a_traceback(tmp_path):
    gbk = tmp_path / "gbk.toml"
    gbk.write_bytes(default_rules_path().read_text(encoding="utf-8").encode("gb18030"))
    for args in (["score", SAMPLES], ["scheme"]):
        result = run(*args, "--rules", gbk)
        assert result.exit_code == 2 and result.stdout == ""
        assert result.stderr == ("错误 / Error: 评分规则文件 gbk.toml 不是 UTF-8 编码，请用记事本等另存为 UTF-8 / "
                                 "the rules file gbk.toml is not UTF-8: save it again as UTF-8 (Notepad: 另存为, 编码 UTF-8)\n"
                                 + RULES_HINT)


def test_a_workbook_given_as_rules(tmp_path):
    result = run("scheme", "--rules", default_scheme_path())
    assert result.exit_code == 2
    assert result.stderr == ("错误 / Error: 评分规则文件 shanxi-2022.xlsx 是 Word 或 Excel 文件，不是评分规则（TOML 文本） / "
                             "the rules file shanxi-2022.xlsx is a Word or Excel file, not rules (TOML text)\n" + RULES_HINT)


def test_rules_file_with_a_bom_is_read(tmp_path):
    bom = tmp_path / "bom.toml"
    bom.write_bytes(b"\xef\xbb\xbf" + default_rules_path().read_bytes())
    result = run("scheme", "--rules", bom)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "检查 / checks: 通过 / passed"


def test_toml_syntax_error_names_the_rules_file_line_and_column(tmp_path):
    bad = tmp_path / "rules-2023.toml"
    bad.write_text('[scheme]\nname = "x"\nyear = 2023 2024\n', encoding="utf-8")
    result = run("template", "--rules", bad, "-o", tmp_path / "t.xlsx")
    assert result.exit_code == 2
    assert result.stderr == ("错误 / Error: 评分规则文件 rules-2023.toml 第3行第13列有语法错误（Expected newline or end of document "
                             "after a statement） / the rules file rules-2023.toml has a syntax error at line 3, column 13: "
                             "Expected newline or end of document after a statement\n" + RULES_HINT)
    assert not (tmp_path / "t.xlsx").exists()


# --------------------------------------------------------------------------- 2. the tool's own result

def test_the_tools_own_result_in_the_inbox_is_passed_over(tmp_path):
    inbox = shutil.copytree(SAMPLES, tmp_path / "samples")
    clean = run("score", inbox, "-o", tmp_path / "clean.xlsx")
    assert clean.exit_code == 0, clean.output
    # score with-errors twice: 考核结果.xlsx and 考核结果.prev.xlsx land in samples/
    for _ in range(2):
        assert run("score", inbox / "with-errors").exit_code == 1
    assert (inbox / "考核结果.xlsx").exists() and (inbox / "考核结果.prev.xlsx").exists()
    again = run("score", inbox, "-o", tmp_path / "clean.xlsx")
    assert again.exit_code == 0, again.output
    assert "未能使用" not in again.stdout
    # the same ranking as without the result files (the change log says no change)
    assert again.stdout.splitlines()[:12] == clean.stdout.splitlines()[:12]

    from assess_xlsx.intake import read_submissions
    from assess_xlsx.scheme import read_scheme

    sub = read_submissions(inbox, read_scheme())
    assert {("考核结果.xlsx", "", "file-skipped-result"), ("考核结果.prev.xlsx", "", "file-skipped-result")} <= sub.report.keys()
    assert not [f for f in sub.report.errors if f.file.startswith("考核结果")]
    check = run("check", inbox)
    assert "考核结果.xlsx：本工具生成的考核结果，已跳过 / a result written by this tool, passed over" in check.stdout.splitlines()


# --------------------------------------------------------------------------- 3. the scheme's plain reasons

def test_scheme_that_is_no_workbook_gets_the_readers_plain_reason(tmp_path):
    (tmp_path / "x.xlsx").write_bytes(b"a,b\n")
    (tmp_path / "e.xlsx").write_bytes(b"")
    result = run("scheme", tmp_path / "x.xlsx")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[:2] == [
        f"错误 / Error: 考核方案有误 / the scheme has problems: {tmp_path / 'x.xlsx'}",
        "  - x.xlsx：考核方案文件无法读取：无法作为工作簿读取（文件损坏或格式不对）：CSV/text / "
        "cannot read the scheme table: cannot be read as a workbook (damaged or wrong format): CSV/text"]
    result = run("scheme", tmp_path / "e.xlsx")
    assert result.exit_code == 2
    assert result.stderr.splitlines()[1] == (
        "  - e.xlsx：考核方案文件无法读取：文件是空的（0字节），无法读取；请重新报送 / "
        "cannot read the scheme table: the file is empty (0 bytes); send it again")


# --------------------------------------------------------------------------- 5. rules draft

def test_rules_draft_defaults_to_the_2022_table_and_refuses_to_overwrite(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "rules-2023.toml"
    first = run("rules", "draft", "-o", out)
    assert first.exit_code == 1 and first.stderr == ""
    assert first.stdout.splitlines()[-1] == (
        "17 行（项）需要人工核对，见 rules-2023.核对表.xlsx / 17 row(s) need a person: see rules-2023.核对表.xlsx")
    assert (tmp_path / "rules-2023.核对表.xlsx").exists()
    assert not (tmp_path / "评分规则核对表.xlsx").exists()
    before = out.read_bytes()
    again = run("rules", "draft", "-o", out)
    assert again.exit_code == 2
    assert again.stderr == (
        f"错误 / Error: 已存在，未覆盖 / exists, not overwritten：{out}，{tmp_path / 'rules-2023.核对表.xlsx'}\n"
        "提示 / hint：换一个 -o 文件名，或加 --force 覆盖 / pass another -o, or --force to overwrite\n")
    assert out.read_bytes() == before
    assert run("rules", "draft", "-o", out, "--force").exit_code == 1


def test_rules_draft_output_must_be_toml(tmp_path):
    result = run("rules", "draft", "-o", tmp_path / "out.csv")
    assert result.exit_code == 2
    assert "Invalid value for -o/--output: 规则文件应以 .toml 结尾：out.csv / the rules file must end in .toml" in result.stderr
    assert list(tmp_path.iterdir()) == []
