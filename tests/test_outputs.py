"""What every command leaves behind: files with the umask's mode, and grep's exit codes."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from assess_xlsx.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples"


def copy_samples(tmp_path: Path, names=None) -> Path:
    inbox = tmp_path / "交回"
    inbox.mkdir(parents=True)
    for f in sorted(SAMPLES.glob("*.xlsx")):
        if names is None or f.name in names:
            shutil.copy(f, inbox / f.name)
    return inbox


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_outputs_get_the_umask_mode(tmp_path, umask_022):
    inbox = copy_samples(tmp_path)
    result = invoke("score", inbox, "-q", "--json", tmp_path / "结果.json", "--per-city", tmp_path / "各市")
    assert result.exit_code == 0, result.output
    template = tmp_path / "模板.xlsx"
    assert invoke("template", "-o", template).exit_code == 0
    # A rerun replaces the workbook and keeps the old one as .prev: both readable by colleagues.
    assert invoke("score", inbox, "-q").exit_code == 0
    written = [tmp_path / "考核结果.xlsx", tmp_path / "考核结果.prev.xlsx", tmp_path / "结果.json", template,
               tmp_path / "各市" / "太原市.xlsx"]
    assert {p.name: oct(mode(p)) for p in written} == {p.name: "0o644" for p in written}
    assert not list(tmp_path.glob("**/*.tmp"))


def test_a_stricter_umask_is_respected(tmp_path):
    old = os.umask(0o077)
    try:
        assert invoke("template", "-o", tmp_path / "t.xlsx").exit_code == 0
    finally:
        os.umask(old)
    assert mode(tmp_path / "t.xlsx") == 0o600


def test_exit_codes_follow_grep(tmp_path):
    # 0: all done, every unit scored.
    inbox = copy_samples(tmp_path)
    assert invoke("score", inbox, "-q").exit_code == 0
    # 1: done, with problems found: the workbook is written, 10 units sent nothing.
    one = copy_samples(tmp_path / "one", {"太原市.xlsx"})
    result = invoke("score", one, "-q")
    assert result.exit_code == 1 and (tmp_path / "one" / "考核结果.xlsx").exists()
    assert invoke("check", one).exit_code == 1
    # 2: trouble, nothing done: the output cannot be written, the roster cannot be read.
    result = invoke("score", inbox, "-q", "-o", tmp_path / "没有" / "r.xlsx")
    assert result.exit_code == 2
    assert result.output.startswith(f"错误 / Error: 输出文件夹不存在：{tmp_path / '没有'}")
    bad = tmp_path / "名单.txt"
    bad.write_text("甲市\n甲市\n", encoding="utf-8")
    assert invoke("check", inbox, "--roster", bad).exit_code == 2
    # 2: a usage error, as click gives it.
    assert invoke("score", tmp_path / "nowhere").exit_code == 2


def test_help_states_the_exit_codes():
    result = invoke("--help")
    assert result.exit_code == 0
    assert "0  全部完成 / all done" in result.output
    assert "1  已完成，但发现问题" in result.output
    assert "2  无法完成" in result.output
