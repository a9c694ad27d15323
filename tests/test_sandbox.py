"""One broken file never takes the run down (issue 13).

The sandbox on its own (a worker that aborts, runs out of memory or time
costs its job only); the reader on broken, protected and oversized files
made here (tests/badfiles.py); `score` naming the files it could not use;
results of sibling inboxes kept; output on a console that is not UTF-8.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

import badfiles
from assess_xlsx.intake import biff
from assess_xlsx.intake import extract as E
from assess_xlsx.intake import read_submissions
from assess_xlsx.cli import cli
from assess_xlsx.intake.sandbox import CRASHED, MEMORY, TIMEOUT, Sandbox

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "samples"
BAD = {
    "环.xls": (badfiles.looping_fat_xls, "file-ole-broken"),
    "崩溃.xls": (badfiles.panicking_xls, "file-structure-broken"),
    "加密.xls": (badfiles.encrypted_xls, "file-encrypted"),
    "加密.ods": (badfiles.encrypted_ods, "file-encrypted"),
    "巨大.xls": (badfiles.huge_extent_xls, "sheet-too-large"),
}


# --------------------------------------------------------------------------- the sandbox

def _job(job):
    kind, arg = job
    if kind == "abort":
        os.write(2, b"thread '<unnamed>' panicked at src/xls.rs:1: boom\n")   # as Rust writes it
        os.abort()
    if kind == "eat":
        return len(bytearray(arg))          # beyond the ceiling: MemoryError
    if kind == "sleep":
        time.sleep(arg)
    return arg * 2


def test_each_failure_costs_its_job_only_and_order_is_kept(capfd):
    jobs = [("ok", 1), ("abort", 0), ("ok", 2), ("eat", 3 << 30), ("sleep", 30), ("ok", 3)]
    with Sandbox(_job, workers=2, memory=256 << 20, timeout=1.0) as box:
        out = box.map(jobs)
        assert box.replaced == 2                # the aborted and the overrunning worker
    assert [o.value for o in out if o.ok] == [2, 4, 6]
    assert [o.reason for o in out] == ["", CRASHED, "", MEMORY, TIMEOUT, ""]
    assert "signal 6" in out[1].detail and "panicked" in out[1].detail
    captured = capfd.readouterr()
    assert "panicked" not in captured.err and "panicked" not in captured.out


def test_no_worker_is_started_while_the_callers_other_thread_may_run():
    """`start` forks the workers before the caller starts its thread (lazy.Meanwhile);
    every later fork (a replacement for a worker that died) first calls
    `before_fork`, which joins that thread."""
    calls = []
    with Sandbox(_job, workers=2, before_fork=lambda: calls.append("joined")) as box:
        box.start(5)
        assert len(box._slots) == 2 and calls == []
        out = box.map([("ok", 1), ("abort", 0), ("ok", 2), ("ok", 3), ("ok", 4)])
    assert [o.reason for o in out] == ["", CRASHED, "", "", ""] and box.replaced == 1
    assert calls == ["joined"]


def test_one_job_one_worker():
    with Sandbox(_job) as box:
        assert [o.value for o in box.map([("ok", 21)])] == [42]
        assert [o.value for o in box.map([("ok", 1), ("ok", 2)])] == [2, 4]   # the same workers, reused
        assert box.replaced == 0


# --------------------------------------------------------------------------- the reader

@pytest.fixture
def bad_inbox(tmp_path):
    folder = tmp_path / "交回"
    folder.mkdir()
    for f in SAMPLES.glob("*.xlsx"):
        shutil.copy(f, folder / f.name)
    shutil.copytree(SAMPLES / "核定", folder / "核定")      # the assessors' sheets: the samples are whole with them
    for name, (make, _) in BAD.items():
        (folder / name).write_bytes(make())
    return folder


def test_each_bad_file_has_its_reason_and_the_rest_read_as_before(scheme, bad_inbox, tmp_path):
    sub = read_submissions(bad_inbox, scheme)
    clean = read_submissions(SAMPLES, scheme)
    cells = {"巨大.xls": "IV65536"}
    assert {(f.file, f.cell, f.code) for f in sub.report} == {
        (name, cells.get(name, ""), code) for name, (_, code) in BAD.items()}
    assert sub.values.equals(clean.values)
    big = next(f for f in sub.report if f.code == "sheet-too-large")
    assert (big.sheet, big.value, big.note) == ("填报表", "A1:IV65536", str(256 * 65536))
    broken = next(f for f in sub.report if f.code == "file-ole-broken")
    assert broken.message_en.startswith("the file's internal (OLE compound document) structure is damaged: a sector chain loops")


def test_the_looping_file_past_the_guard_kills_only_its_worker(scheme, tmp_path, monkeypatch):
    """Without the guard calamine asks for 4 GiB on it and Rust aborts: the worker
    dies, the file is a finding, the other files are read."""
    folder = tmp_path / "交回"
    folder.mkdir()
    shutil.copy(SAMPLES / "太原市.xlsx", folder)
    (folder / "大同市.xls").write_bytes(badfiles.looping_fat_xls())
    monkeypatch.setattr(E, "check_xls", lambda data, limit: None)      # inherited by the forked workers
    sub = read_submissions(folder, scheme)
    assert {(f.file, f.code, f.city) for f in sub.report} == {("大同市.xls", "file-out-of-memory", "大同市")}
    assert "memory allocation" in sub.report.findings[0].note
    assert set(sub.values["city"]) == {"太原市"}


def test_the_guard_reads_a_real_xls_as_calamine_does(tmp_path):
    """An ordinary xlwt workbook passes the guard; its extent is its cells'."""
    biff.check_xls(badfiles._ole(badfiles._biff()), 4)             # 2 x 2 cells
    with pytest.raises(biff.BiffRefused) as refused:
        biff.check_xls(badfiles._ole(badfiles._biff()), 3)
    assert (refused.value.code, refused.value.cell, refused.value.cells) == ("sheet-too-large", "B2", 4)


@pytest.mark.parametrize("message, code", [
    ("Range is missing the expected row component.", "file-cell-ref-bad"),
    ("failed to fill whole buffer", "file-incomplete"),
    ("no entry found for key", "file-part-missing"),
])
def test_calamine_words_become_plain_reasons(message, code):
    assert E.why_unreadable(b"PK\x03\x04", ValueError(message))[0] == code


def test_macro_sheet_and_flat_ods_say_what_they_are(scheme, tmp_path):
    folder = tmp_path / "交回"
    folder.mkdir()
    with zipfile.ZipFile(folder / "宏表.xlsx", "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="Macro1" sheetId="1" r:id="rId1"/></sheets></workbook>')
        zf.writestr("xl/macrosheets/sheet1.xml", "<xm:macrosheet/>")
    (folder / "平面.ods").write_bytes(b'<?xml version="1.0"?><office:document xmlns:office='
                                     b'"urn:oasis:names:tc:opendocument:xmlns:office:1.0"></office:document>')
    sub = read_submissions(folder, scheme)
    assert {(f.file, f.code) for f in sub.report} == {("宏表.xlsx", "file-macro-sheet"), ("平面.ods", "file-flat-ods")}


def test_a_readable_workbook_that_is_not_the_form_says_so(scheme, tmp_path):
    import xlsxwriter

    folder = tmp_path / "交回"
    folder.mkdir()
    wb = xlsxwriter.Workbook(folder / "太原市.xlsx")
    wb.add_worksheet("Sheet1").write_string(0, 0, "会议纪要")
    wb.close()
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert "太原市.xlsx：太原市，不是填报表，问题 1 个 / 太原市: not a score sheet, 1 problem(s)" in result.output
    assert "不是填报表：没有找到含“编号”“填报值”的工作表 / not a score sheet: no sheet with 编号 and 填报值 headers" in result.output


# --------------------------------------------------------------------------- score, end to end

def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "assess_xlsx", *map(str, args)], capture_output=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}, cwd=ROOT)


def test_score_with_bad_files_ranks_as_without_them_and_names_each(bad_inbox, tmp_path):
    clean = _cli("score", SAMPLES, "-o", tmp_path / "clean.xlsx")
    bad = _cli("score", bad_inbox, "-o", tmp_path / "bad.xlsx")
    out, err = bad.stdout.decode(), bad.stderr.decode()
    assert clean.returncode == 0 and bad.returncode == 1
    ranking = clean.stdout.decode().splitlines()[:12]
    assert out.splitlines()[:12] == ranking                 # 11 units and the result line
    assert out.splitlines()[12] == "未能使用的文件 / Files not used（5）："
    listed = out.splitlines()[13:18]
    for name in BAD:
        assert any(line.startswith(f"  {name}：") for line in listed), name
    assert "  加密.ods：工作簿设有打开密码，无法读取；请去掉密码后重新报送 / the workbook is password-protected; send it again without a password" in listed
    for text in ("Traceback", "panicked", "RUST_BACKTRACE", "memory allocation"):
        assert text not in out and text not in err
    assert err == ""


def test_scheme_file_that_panics_is_a_finding(tmp_path):
    path = tmp_path / "方案.xls"
    path.write_bytes(badfiles.panicking_xls())
    result = _cli("scheme", path)
    err = result.stderr.decode()
    assert result.returncode == 2                # an unreadable scheme is trouble
    assert "  - 方案.xls：考核方案文件无法读取：文件结构异常，读取时程序无法处理（可能已损坏）；请用 Excel/WPS 打开后另存为 .xlsx 再报送 / cannot read the scheme table: the file's structure is broken" in err
    assert "Traceback" not in err and "panicked" not in err


@pytest.mark.parametrize("name, expected", [
    ("巨大.xls", "工作表“填报表”的已用区域达到 A1:IV65536（16777216个单元格，上限2000000个），无法读取；请删除多余的行和列后重新报送"),
    ("加密.xls", "工作簿设有打开密码，无法读取；请去掉密码后重新报送"),
    ("环.xls", "文件内部结构（OLE 复合文档）损坏：扇区链循环，无法读取；请用 Excel/WPS 打开后另存为 .xlsx 再报送"),
])
def test_scheme_file_goes_through_the_readers_guard(tmp_path, name, expected):
    from assess_xlsx.scheme import SchemeError, read_scheme

    path = tmp_path / name
    path.write_bytes(BAD[name][0]())
    with pytest.raises(SchemeError) as exc:
        read_scheme(path)
    assert [(f.code, f.value) for f in exc.value.report] == [("scheme-refused", expected)]


# --------------------------------------------------------------------------- sibling inboxes

def test_sibling_inboxes_never_lose_a_result_nor_diff_as_a_rerun(tmp_path):
    parent = tmp_path / "收件"
    (parent / "交回").mkdir(parents=True)
    (parent / "新交回").mkdir()
    for f in SAMPLES.glob("*.xlsx"):
        shutil.copy(f, parent / "交回" / f.name)
    shutil.copytree(SAMPLES / "核定", parent / "交回" / "核定")
    runner = CliRunner()
    assert runner.invoke(cli, ["score", str(parent / "交回")]).exit_code == 0
    good = (parent / "考核结果.xlsx").read_bytes()

    second = runner.invoke(cli, ["score", str(parent / "新交回")])
    assert second.exit_code == 1
    assert "变更记录" not in second.output
    assert f"原有结果来自另一个文件夹（{(parent / '交回').resolve()}），不是本文件夹的上次结果，未作比较" in second.output
    assert "另一文件夹的结果已另存为 / the other folder's result is kept as：考核结果.交回.xlsx" in second.output
    assert (parent / "考核结果.交回.xlsx").read_bytes() == good
    assert not (parent / "考核结果.prev.xlsx").exists()

    third = runner.invoke(cli, ["score", str(parent / "新交回")])     # a true rerun of 新交回
    assert "与上次结果相比没有变化 / nothing changed since the previous run" in third.output
    assert (parent / "考核结果.交回.xlsx").read_bytes() == good

    fourth = runner.invoke(cli, ["score", str(parent / "交回")])      # back to 交回: 新交回's result kept too
    assert "考核结果.新交回.xlsx" in fourth.output
    # 新交回's .prev made by the third run is moved aside, not overwritten, on a later 交回 rerun
    fifth = runner.invoke(cli, ["score", str(parent / "交回")])
    assert "与上次结果相比没有变化" in fifth.output
    names = sorted(p.name for p in parent.glob("*.xlsx"))
    assert names == ["考核结果.prev.xlsx", "考核结果.xlsx", "考核结果.交回.xlsx", "考核结果.新交回.2.xlsx", "考核结果.新交回.xlsx"]


# --------------------------------------------------------------------------- a console that is not UTF-8

def test_gbk_console_and_an_emoji_file_name(tmp_path):
    folder = tmp_path / "交回"
    folder.mkdir()
    shutil.copy(SAMPLES / "太原市.xlsx", folder / "太原市😀.xlsx")
    (folder / "说明😀.txt").write_text("见附件", encoding="utf-8")
    result = _cli("check", folder, env={"PYTHONIOENCODING": "gbk"})
    out, err = result.stdout.decode("gbk"), result.stderr.decode("gbk")
    assert result.returncode == 1                       # ten units missing
    assert "Traceback" not in err and "UnicodeEncodeError" not in err
    assert "太原市?.xlsx：太原市，读取 30 项，问题 0 个 / 30 inputs read, 0 problem(s)" in out
    assert "说明?.txt：不是工作簿" in out
