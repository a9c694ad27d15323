"""The office loop through the CLI: score, correct one cell, rerun, read what changed; watch."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from assess_xlsx.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
SUMMARY_OK = "结果 / Result：11 个单位已计分，0 个单位数据有误，0 个单位未提交 / 11 scored, 0 rejected, 0 missing"


def copy_samples(tmp_path: Path, names=None) -> Path:
    inbox = tmp_path / "交回"
    inbox.mkdir()
    for f in sorted(SAMPLES.glob("*.xlsx")):
        if names is None or f.name in names:
            shutil.copy(f, inbox / f.name)
    shutil.copytree(SAMPLES / "核定", inbox / "核定")      # the assessors' sheets
    return inbox


def score(*args):
    return CliRunner().invoke(cli, ["score", *map(str, args)])


def hashes(folder: Path) -> dict[str, str]:
    import hashlib

    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def set_cell(path: Path, cell: str, value, sheet: str = "填报表") -> None:
    wb = openpyxl.load_workbook(path)
    wb[sheet][cell] = value
    wb.save(path)


def test_score_correct_rerun_change_log(tmp_path):
    inbox = copy_samples(tmp_path)
    out = tmp_path / "考核结果.xlsx"

    before = hashes(inbox)
    first = score(inbox)
    assert first.exit_code == 0, first.output
    assert hashes(inbox) == before            # inputs are only ever read
    assert first.output.splitlines()[-2:] == [SUMMARY_OK, f"已写入 / written：{out}"]
    assert "变更记录" not in openpyxl.load_workbook(out).sheetnames
    first_bytes = out.read_bytes()

    # 省发改委 corrects 太原市's 3.3.8a (“双公示”合规数据量, its sheet's 太原市 column D): 1176
    # of 1200 -> 1200 of 1200, so the row's 0.04 deduction (2.00% × 2 分) goes and the
    # total rises 116.87 -> 116.91.
    set_cell(inbox / "核定" / "省发改委.xlsx", "D7", 1200, sheet="核定表")
    second = score(inbox)
    assert second.exit_code == 0, second.output
    lines = second.output.splitlines()
    assert lines[0] == "  1  太原市  116.91  优秀"
    assert lines[-3:] == [
        "变更记录 / Changes since the previous run：",
        "  太原市：总分 116.87 → 116.91，3.3.8 基础得分 1.96 → 2.00；"
        "输入变化 / inputs changed: 核定/省发改委.xlsx D7（3.3.8a）“1176” → “1200”",
        f"已写入 / written：{out}（上次结果另存为 / previous kept as 考核结果.prev.xlsx）",
    ]
    assert (tmp_path / "考核结果.prev.xlsx").read_bytes() == first_bytes
    assert sorted(p.name for p in tmp_path.iterdir()) == ["交回", "考核结果.prev.xlsx", "考核结果.xlsx"]

    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames[:2] == ["总排名", "变更记录"]
    rows = [r for r in wb["变更记录"].iter_rows(values_only=True)]
    assert rows[1][0] == "共 1 个单位有变化：太原市"
    assert rows[2][:5] == ("城市", "编号", "项目", "原值", "新值")
    assert rows[3][:5] == ("太原市", "—", "总分", "116.87", "116.91")
    assert rows[4][:5] == ("太原市", "3.3.8", "“双公示”数据报送情况 基础得分", "1.96", "2.00")
    assert ("太原市", "3.3.8a", "核定/省发改委.xlsx D7", "1176", "1200") in [r[:5] for r in rows]
    assert wb["总排名"]["G5"].value == 116.91

    third = score(inbox)
    assert third.exit_code == 0
    assert "  与上次结果相比没有变化 / nothing changed since the previous run" in third.output.splitlines()
    # Nothing changed: no 变更记录 page to print; 说明 says so.
    wb = openpyxl.load_workbook(out)
    assert "变更记录" not in wb.sheetnames
    about = {r[0]: r[1] for r in wb["说明"].iter_rows(values_only=True) if r[0]}
    assert about["变化"].startswith("与上次结果相比没有变化")


def test_rank_change_names_both_cities(tmp_path):
    inbox = copy_samples(tmp_path)
    assert score(inbox).exit_code == 0
    # 临汾市 (96.00 after 考核办's 核定, 7th) now reports no task breakdown (1.2.1a 是 -> 否):
    # 扣3分 capped at the row's 2 points, 96.00 -> 94.00; 朔州市 (95.62) 8th -> 7th,
    # 临汾市 7th -> 8th, 运城市 (91.00) stays 9th.
    set_cell(inbox / "临汾市.xlsx", "G7", "否")
    result = score(inbox)
    assert result.exit_code == 0, result.output
    changed = [line for line in result.output.splitlines() if line.startswith("  临汾市") or line.startswith("  朔州市")]
    assert changed == [
        "  朔州市：名次 8 → 7",
        "  临汾市：总分 96.00 → 94.00，名次 7 → 8，1.2.1 基础得分 2.00 → 0.00；"
        "输入变化 / inputs changed: 临汾市.xlsx G7（1.2.1a）“是” → “否”",
    ]


def test_output_inside_inbox_refused(tmp_path):
    inbox = copy_samples(tmp_path, {"太原市.xlsx"})
    result = score(inbox, "-o", inbox / "r.xlsx")
    assert result.exit_code == 2
    assert result.output.startswith(f"错误 / Error: 输出文件不能放在交回文件夹中（{inbox / 'r.xlsx'}）")
    assert not (inbox / "r.xlsx").exists()


def test_strict_writes_nothing_when_a_city_is_missing(tmp_path):
    inbox = copy_samples(tmp_path, {"太原市.xlsx", "大同市（市发改委）.xlsx", "大同市（市政府办）.xlsx"})
    result = score(inbox, "--strict")
    assert result.exit_code == 1
    assert result.output.splitlines()[-2:] == [
        "错误 / Error: 有单位未计分，按 --strict 未写出任何结果 / some units were not scored; with --strict nothing was written",
        "提示 / hint：运行 assess-xlsx check 查看问题，改正后重新评分 / run assess-xlsx check to see the problems",
    ]
    assert not (tmp_path / "考核结果.xlsx").exists()


def test_missing_cities_exit_1_but_written(tmp_path):
    inbox = copy_samples(tmp_path, {"太原市.xlsx"})
    result = score(inbox)
    assert result.exit_code == 1
    assert result.output.splitlines()[-2] == (
        "结果 / Result：1 个单位已计分，0 个单位数据有误，10 个单位未提交 / 1 scored, 0 rejected, 10 missing")
    assert (tmp_path / "考核结果.xlsx").exists()


def test_quiet_prints_nothing(tmp_path):
    inbox = copy_samples(tmp_path)
    result = score(inbox, "-q", "--per-city", tmp_path / "各市")
    assert (result.exit_code, result.output) == (0, "")
    assert len(list((tmp_path / "各市").glob("*.xlsx"))) == 11


def test_read_only_output_fails_and_keeps_it(tmp_path):
    inbox = copy_samples(tmp_path)
    out = tmp_path / "考核结果.xlsx"
    out.write_bytes(b"old")
    out.chmod(0o444)
    try:
        result = score(inbox)
        assert result.exit_code == 2
        assert f"错误 / Error: 输出文件为只读，未覆盖：{out}" in result.output
        assert out.read_bytes() == b"old"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["交回", "考核结果.xlsx"]
    finally:
        out.chmod(0o644)


def test_output_folder_missing(tmp_path):
    inbox = copy_samples(tmp_path, {"太原市.xlsx"})
    result = score(inbox, "-o", tmp_path / "没有这个文件夹" / "r.xlsx")
    assert result.exit_code == 2
    assert f"错误 / Error: 输出文件夹不存在：{tmp_path / '没有这个文件夹'}" in result.output


# --------------------------------------------------------------------------- watch

def _read_until(proc, needle: str, lines: list[str], deadline: float) -> None:
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if needle in line:
            return
    raise AssertionError(f"{needle!r} never printed; got {lines}")


def test_watch_rescores_when_a_file_is_added(tmp_path):
    inbox = copy_samples(tmp_path, {f.name for f in SAMPLES.glob("*.xlsx")} - {"吕梁市.xlsx"})
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "assess_xlsx", "watch", str(inbox), "--interval", "0.1", "--settle", "0.3"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8", env=env,
    )
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 60
        _read_until(proc, "已计分 10，数据有误 0，未提交 1", lines, deadline)
        assert lines[0] == f"正在监视 / watching {inbox}（按 Ctrl-C 停止 / Ctrl-C to stop）"
        shutil.copy(SAMPLES / "吕梁市.xlsx", inbox / "~$吕梁市.xlsx")     # a lock file: ignored
        shutil.copy(SAMPLES / "吕梁市.xlsx", inbox / "吕梁市.xlsx")
        _read_until(proc, "已计分 11", lines, deadline)
        # 吕梁市 (98.00) comes in 5th: 大同市, 临汾市, 朔州市, 运城市, 阳泉市 and 忻州市 each move down one, 7 changed.
        assert "新增 / added: 吕梁市.xlsx → 已计分 11，数据有误 0，未提交 0，7 个单位有变化 / 7 unit(s) changed" in lines[-1]
        # 吕梁市 (98.00) ties 临汾市 for 5th: 大同、朔州、运城、阳泉、忻州 each move down one.
        # One short line for the unit that arrived, not its ninety rows.
        _read_until(proc, "吕梁市：新提交，总分 98.00，第 5 名，优秀", lines, deadline)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert out.splitlines()[-1] == "已停止 / stopped"
    assert proc.returncode == 0
    assert "Traceback" not in err
    assert (tmp_path / "考核结果.prev.xlsx").exists()


# --------------------------------------------------------------------------- feedback

def test_reader_reports_progress_per_workbook(scheme):
    from assess_xlsx.intake import read_submissions

    calls = []
    read_submissions(SAMPLES, scheme, progress=lambda done, total: calls.append((done, total)))
    # 12 units' workbooks (大同市 in two files) and the 5 assessors' sheets in 核定/;
    # the with-errors folder is skipped, not counted.
    assert calls == [(k, 17) for k in range(1, 18)]


def test_progress_bar_only_on_a_terminal(tmp_path, monkeypatch):
    import io

    from assess_xlsx import cli as cli_module

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    inbox = copy_samples(tmp_path, {"太原市.xlsx", "晋中市.xlsx"})
    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    from assess_xlsx.roster import DEFAULT_ROSTER

    result = cli_module._score_with_progress(inbox, None, None, DEFAULT_ROSTER, "competition", quiet=False)
    assert result.scored == ["太原市", "晋中市"]
    assert "读取 / reading" in term.getvalue() and "100%" in term.getvalue()
    quiet = Terminal()
    monkeypatch.setattr(sys, "stderr", quiet)
    cli_module._score_with_progress(inbox, None, None, DEFAULT_ROSTER, "competition", quiet=True)
    assert quiet.getvalue() == ""


# --------------------------------------------------------------------------- the console script's exit

def _console(*args, cwd):
    return subprocess.run([sys.executable, "-m", "assess_xlsx", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, encoding="utf-8", timeout=300)


def test_the_console_script_flushes_everything_and_exits_with_the_commands_code(tmp_path):
    """main() ends the process without the interpreter's teardown (cli.main): every
    line printed still arrives, and the exit code is the command's: 0, 1, 2."""
    inbox = copy_samples(tmp_path)
    done = _console("score", inbox, "-o", tmp_path / "结果.xlsx", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-2:] == ["结果 / Result：11 个单位已计分，0 个单位数据有误，0 个单位未提交 / 11 scored, 0 rejected, 0 missing",
                          f"已写入 / written：{tmp_path / '结果.xlsx'}"]
    assert "  1  太原市  116.87  优秀" in lines and (tmp_path / "结果.xlsx").exists()
    problems = _console("check", SAMPLES / "with-errors", cwd=tmp_path)
    assert problems.returncode == 1 and problems.stdout.splitlines()[-1].startswith("结果 / Result：0 个单位可评分，3 个单位数据有误")
    trouble = _console("score", tmp_path / "nowhere", cwd=tmp_path)
    assert trouble.returncode == 2 and trouble.stdout == ""
    assert trouble.stderr.splitlines()[-1].startswith("错误 / Error: 'INBOX' 的值无效")
    assert _console("--version", cwd=tmp_path).stdout == "assess-xlsx, version 0.1.0\n"


def test_a_damaged_previous_snapshot_is_said_and_the_run_goes_on(tmp_path):
    """The previous output's hidden snapshot damaged in one unit's group (a hand
    edit, a broken copy): the rerun says it could not compare, writes the new
    result (exit 0, nothing of the inputs wrong) and the next run compares again."""
    inbox = copy_samples(tmp_path)
    out = tmp_path / "考核结果.xlsx"
    assert score(inbox).exit_code == 0
    wb = openpyxl.load_workbook(out)
    sheet = wb["_快照"]
    row = next(r for r in sheet.iter_rows(min_row=2) if r[0].value == "input" and r[1].value == "阳泉市")
    row[3].value = row[3].value[:-7]
    wb.save(out)

    second = score(inbox)
    assert second.exit_code == 0, second.output
    problem = next(line for line in second.output.splitlines() if line.startswith("上次结果无法比较"))
    assert problem.startswith(f"上次结果无法比较 / the previous output could not be compared：{out}: "
                              "快照内容损坏 / snapshot damaged: ")
    assert second.output.splitlines()[-1] == f"已写入 / written：{out}（上次结果另存为 / previous kept as 考核结果.prev.xlsx）"
    third = score(inbox)
    assert "  与上次结果相比没有变化 / nothing changed since the previous run" in third.output.splitlines()
