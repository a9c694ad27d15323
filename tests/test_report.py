"""The ranking workbook, read back with openpyxl: sheets, figures, layout, safety."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import shutil
import subprocess
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter.workbook

from assess_xlsx import report
from assess_xlsx.changes import read_snapshot, snapshot
from assess_xlsx.report import ReportError, write_per_city, write_workbook
from assess_xlsx.roster import DEFAULT_ROSTER, Roster
from assess_xlsx.run import score_folder
from assess_xlsx.scoring import score
from inputs import submissions_from

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CREATED = datetime(2023, 3, 1)
HYPERLINK = '=HYPERLINK("http://example.invalid","x")'
DDE = "+cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def samples_result(scheme):
    return score_folder(SAMPLES, scheme, DEFAULT_ROSTER)


@pytest.fixture(scope="module")
def samples_book(samples_result, tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "考核结果.xlsx"
    write_workbook(samples_result, path, created=CREATED)
    return path


def rows_of(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def find_row(ws, col: int, value) -> int:
    """1-based row number of the first row whose column `col` (1-based) holds `value`."""
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, col).value == value:
            return r
    raise AssertionError(f"{value!r} not found in column {col} of {ws.title}")


# --------------------------------------------------------------------------- sheets and figures

def test_sheet_names_and_hidden_snapshot(samples_book):
    wb = openpyxl.load_workbook(samples_book)
    assert wb.sheetnames == ["总排名", "分项得分", "得分明细", "扣分加分依据", "提交情况", "说明", "文件校验", "_快照"]
    assert wb["_快照"].sheet_state == "hidden"
    assert wb.active.title == "总排名"


def test_ranking_sheet_figures(samples_book):
    ws = openpyxl.load_workbook(samples_book)["总排名"]
    assert ws["A1"].value == "山西省2022年度政务公开工作考核结果"
    assert "2023年03月01日" in ws["A2"].value
    assert [c.value for c in ws[4]][:8] == ["名次", "城市", "基础得分", "加分", "综合加分", "重大扣分", "总分", "等次"]
    body = [[c.value for c in row][:8] for row in ws.iter_rows(min_row=5, max_row=15)]
    # By hand from the samples (tools/sample_cities.py): base + bonus + extra − major.
    assert body[0] == [1, "太原市", 99.87, 11.0, 7.0, 0.0, 117.87, "优秀"]
    # 重大扣分 positive: read literally, 99.33 + 3 + 1.5 − 0.25 = 103.58.
    assert body[1] == [2, "晋中市", 99.33, 3.0, 1.5, 0.25, 103.58, "优秀"]
    assert body[4] == [5, "临汾市", 94.0, 2.0, 2.0, 0.0, 98.0, "优秀"]
    assert body[5] == [5, "吕梁市", 97.5, 0.5, 0.0, 0.0, 98.0, "优秀"]   # tie: both 5th, no 6th
    assert body[6][0] == 7
    assert body[10] == [11, "忻州市", 89.0, 0.0, 0.0, 8.0, 81.0, "良好"]
    # 总分 coloured by grade: every 优秀 alike, 良好 apart (not a scale relative to the others).
    fills = {ws.cell(r, 7).fill.fgColor.rgb for r in range(5, 14)}
    assert fills == {"FFC6EFCE"} and ws["G14"].fill.fgColor.rgb == ws["G15"].fill.fgColor.rgb == "FFDDEBF7"
    assert not ws.conditional_formatting
    assert ws["G5"].data_type == "n" and ws["G5"].number_format == "0.00"
    assert ws.cell(16, 1).value is None        # nobody unranked: no second block
    assert len(ws._charts) == 1


def test_ranking_sheet_matches_result(samples_result, samples_book):
    ws = openpyxl.load_workbook(samples_book)["总排名"]
    for r, (unit, rec) in enumerate(samples_result.ranking.iterrows(), start=5):
        got = [ws.cell(r, c).value for c in range(1, 9)]
        assert got == [rec["rank"], unit, rec["base"] / 100, rec["bonus"] / 100, rec["extra"] / 100,
                       rec["major"] / 100, rec["total"] / 100, rec["grade"]]


def test_unranked_units_listed_with_reason(scheme, tmp_path):
    result = score_folder(SAMPLES / "with-errors", scheme, DEFAULT_ROSTER)
    path = write_workbook(result, tmp_path / "r.xlsx", created=CREATED)
    ws = openpyxl.load_workbook(path)["总排名"]
    assert ws["A6"].value == "未排名单位（11 个）"
    r = find_row(ws, 2, "阳泉市")
    assert ws.cell(r, 3).value == "数据有误"
    assert ws.cell(r, 4).value.startswith("填报数据有 2 处错误，未计分")
    assert "阳泉市.xlsx 填报表!G16" in ws.cell(r, 4).value
    r = find_row(ws, 2, "太原市")
    assert (ws.cell(r, 3).value, ws.cell(r, 4).value) == ("未提交", "未收到填报表")
    assert len(ws._charts) == 0


def test_primary_sheet(samples_result, samples_book):
    """Units across (rank order), per 一级指标 three rows: 基础分, 加分, 名次; totals below."""
    ws = openpyxl.load_workbook(samples_book)["分项得分"]
    names = list(samples_result.ranking.index)
    assert [ws.cell(3, c).value for c in range(1, 4 + len(names))] == ["编号", "一级指标", "项目"] + names
    assert (ws["A4"].value, ws["B4"].value) == ("1", "组织领导与工作保障（6分）")
    assert [ws.cell(r, 3).value for r in range(4, 7)] == ["基础分", "加分", "名次"]
    assert ws["B10"].value == "主动公开（57分）"
    taiyuan = 4 + names.index("太原市")
    # 太原市, 1 组织领导与工作保障: base 6 of 6, bonus 4 (1.2.2 + 1.2.4), rank 1; 3 主动公开 56.87.
    assert [ws.cell(r, taiyuan).value for r in range(4, 7)] == [6.0, 4.0, 1]
    assert ws.cell(10, taiyuan).value == 56.87
    prim = samples_result.primary
    for k, code in enumerate(prim["base"].columns):
        for i, unit in enumerate(names):
            c, r = 4 + i, 4 + 3 * k
            assert ws.cell(r, c).value == prim["base"].at[unit, code] / 100
            assert ws.cell(r + 1, c).value == prim["bonus"].at[unit, code] / 100
            assert ws.cell(r + 2, c).value == prim["rank"].at[unit, code]
    r = find_row(ws, 3, "总分")
    assert ws.cell(r, taiyuan).value == 117.87
    assert [ws.cell(rr, 3).value for rr in range(r - 4, r)] == ["基础得分", "加分", "综合加分", "重大扣分"]
    assert [ws.cell(rr, 4 + names.index("忻州市")).value for rr in range(r - 4, r + 2)] == [89.0, 0.0, 0.0, 8.0, 81.0, 11]
    assert ws.freeze_panes == "D4"


def test_detail_sheet_rows_subtotals_and_outline(samples_result, samples_book):
    ws = openpyxl.load_workbook(samples_book)["得分明细"]
    names = [ws.cell(3, 4 + 2 * k).value for k in range(11)]
    assert names == list(samples_result.ranking.index)
    r = find_row(ws, 1, "3.3.8")
    assert ws.row_dimensions[r].outlineLevel == 2
    taiyuan = 4 + 2 * names.index("太原市")
    # 3.3.8 (2 分): 太原市 1176 of 1200 compliant, 2.00% × 2 = 0.04 lost -> 1.96, shown as a loss.
    assert ws.cell(r, 3).value == 2.0
    assert ws.cell(r, taiyuan).value == 1.96
    assert ws.cell(r, taiyuan).font.color.rgb.endswith("C00000")
    r = find_row(ws, 1, "3.3")
    assert ws.row_dimensions[r].outlineLevel == 1
    assert ws.cell(r, 2).value.endswith("小计")
    r = find_row(ws, 1, "1")
    assert ws.row_dimensions[r].outlineLevel == 0
    assert ws.cell(r, 3).value == 6.0 and ws.cell(r, taiyuan).value == 6.0 and ws.cell(r, taiyuan + 1).value == 4.0
    for unit_col, unit in zip(range(4, 26, 2), names):
        for code, frame in (("1.2.2", "bonus"), ("3.1.1", "base")):
            rr = find_row(ws, 1, code)
            col = unit_col + (1 if frame == "bonus" else 0)
            assert ws.cell(rr, col).value == samples_result.rows[frame].at[unit, code] / 100
    last = ws.max_row
    # The rows' own base and bonus (太原市 11.00, as on 总排名), then the total, labelled as such.
    assert ws.cell(last - 1, 2).value == "基础得分、加分（一至九项各行合计）"
    assert ws.cell(last - 1, 3).value == 100.0
    assert ws.cell(last - 1, taiyuan).value == 99.87 and ws.cell(last - 1, taiyuan + 1).value == 11.0
    assert ws.cell(last, 2).value == "总分 = 基础得分 + 加分 + 综合加分 − 重大扣分"
    assert ws.cell(last, taiyuan).value == 117.87
    assert f"{openpyxl.utils.get_column_letter(taiyuan)}{last}:{openpyxl.utils.get_column_letter(taiyuan + 1)}{last}" in ws.merged_cells
    assert ws.sheet_properties.outlinePr.summaryBelow is False
    assert ws.freeze_panes == "D5"


def test_audit_sheet(samples_result, samples_book):
    ws = openpyxl.load_workbook(samples_book)["扣分加分依据"]
    assert [c.value for c in ws[3]] == ["城市", "编号", "指标", "依据与计算", "得分变化", "来源（文件 单元格）"]
    assert ws.max_row - 3 == len(samples_result.audit)
    assert ws.auto_filter.ref == f"A3:F{ws.max_row}"
    row = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == "太原市" and r[1] == "3.3.8")
    assert row[3] == ("扣分：“双公示”合规数据量 1176 条 / “双公示”报送数据总量 1200 条，不合规率 2.00% × 2 分 = 0.04 分；"
                      "得 1.96 分（满分 2 分）")
    assert row[4] == -0.04
    assert row[5] == "太原市.xlsx 填报表!G39；太原市.xlsx 填报表!G40"
    bonus = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == "太原市" and r[1] == "1.2.2")
    assert bonus[3].endswith("2 项 × 1 分 = 2 分；加 2 分") and bonus[4] == 2.0
    major = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[0] == "忻州市" and r[3].startswith("重大扣分："))
    assert major[4] < 0
    # A 情形说明 the sentence leaves out is still shown.
    note = next(r for r in ws.iter_rows(min_row=4, values_only=True) if r[1] == "10.6")
    assert "（另填：酌情加分的情形说明＝承办全省政务公开工作现场推进会）" in note[3]


def test_files_sheet_lists_every_problem(scheme, tmp_path):
    result = score_folder(SAMPLES / "with-errors", scheme, DEFAULT_ROSTER)
    path = write_workbook(result, tmp_path / "r.xlsx", created=CREATED)
    rows = rows_of(openpyxl.load_workbook(path)["提交情况"])
    by_unit = {r[0]: r for r in rows[3:14]}
    assert by_unit["阳泉市"][1:5] == ["阳泉市.xlsx", "数据有误", 88, 2]
    assert by_unit["太原市"][1:5] == ["（无）", "未提交", 0, 0]
    problems = {(r[1], r[2], r[3]) for r in rows if r[0] == "错误"}
    assert ("阳泉市.xlsx", "填报表!G16", "2.1.2a") in problems
    assert ("忻州市.xlsx", "填报表!G6", "1.1.1a") in problems
    assert ("临汾市.xlsx", "填报表!G58", "4.1.1a") in problems
    assert len(problems) == len(result.findings.errors)


def test_about_sheet_speaks_to_a_reader(samples_book):
    ws = openpyxl.load_workbook(samples_book)["说明"]
    values = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0]}
    assert values["生成工具"].startswith("assess-xlsx ")
    assert values["生成日期"] == "2023年03月01日"
    assert values["考核方案"] == "《山西省2022年度政务公开工作考核方案重点任务分解表》"
    assert values["排名"].startswith("按总分从高到低排名；并列名次后跳过名次（1、2、2、4）。")
    assert values["等次"].startswith("优秀 ≥ 90.00")
    assert values["变化"] == "本次为首次生成（没有上次结果可比较）。"
    text = "".join(str(v) for v in values.values())
    for word in ("SHA-256", "docs/", "scoring-rules.md", "shanxi-2022.xlsx", "RANK", "Excel"):
        assert word not in text


def test_checksums_sheet(samples_book):
    ws = openpyxl.load_workbook(samples_book)["文件校验"]
    values = {r[0]: r[2] for r in ws.iter_rows(min_row=4, values_only=True)}
    for f in SAMPLES.glob("*.xlsx"):
        assert values[f.name] == hashlib.sha256(f.read_bytes()).hexdigest()
    assert values["with-errors"] == "（已跳过，未读取）"
    assert values["shanxi-2022.xlsx"] == "工作表“Sheet1”" or values["shanxi-2022.xlsx"].startswith("工作表")


def test_files_sheet_does_not_count_a_subfolder(samples_book):
    rows = rows_of(openpyxl.load_workbook(samples_book)["提交情况"])
    assert rows[1][0] == "11 个单位，12 个文件，发现错误 0 处、提醒 1 处。"
    files = [r[1] for r in rows if r[2] in ("已计分", "已跳过", "有错误未计分", "无法读取")]
    assert "with-errors" not in files and len(files) == 11 + 12     # units table + files table
    assert ["已跳过的子文件夹（不计入文件数，其中的工作簿未读取）：with-errors"] == [r[0] for r in rows if r[0] and "子文件夹" in str(r[0])]


def test_snapshot_round_trip(samples_result, samples_book):
    assert read_snapshot(samples_book).equals(snapshot(samples_result))


def test_layout_and_print_settings(samples_book):
    wb = openpyxl.load_workbook(samples_book)
    panes = {"总排名": "C5", "分项得分": "D4", "得分明细": "D5", "扣分加分依据": "C4", "提交情况": "B4"}
    for name, pane in panes.items():
        ws = wb[name]
        assert ws.freeze_panes == pane, name
        assert ws.page_setup.paperSize == 9, name
        if name == "得分明细":     # too wide for one page at 10 pt: split, never shrunk
            assert ws.page_setup.scale in (None, 100) and not ws.sheet_properties.pageSetUpPr.fitToPage
            assert ws.print_title_cols == "$A:$C" and ws.col_breaks.brk[0].id == 15
        else:
            # fitToWidth 1 is the file format's default, so it may be left out.
            assert ws.page_setup.fitToWidth in (1, None) and ws.page_setup.fitToHeight == 0, name
            assert ws.sheet_properties.pageSetUpPr.fitToPage, name
        assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text, name
        assert ws.print_title_rows, name
    assert wb["得分明细"].page_setup.orientation == "landscape"
    assert wb["总排名"].page_setup.orientation == "portrait"
    assert wb["总排名"].print_title_rows == "$4:$4"
    assert wb["总排名"]["B5"].font.name == "等线"
    assert wb["总排名"].column_dimensions["B"].width >= 10


# --------------------------------------------------------------------------- safety

@pytest.fixture(scope="module")
def hostile_result(scheme):
    sub = submissions_from(scheme, {
        "太原市": {"10.6a": 1, "10.6b": HYPERLINK},
        "大同市": {"11.7a": 0.5, "11.7b": DDE},
    })
    return score(scheme, sub)


def test_formula_like_notes_stay_text(hostile_result, tmp_path):
    path = write_workbook(hostile_result, tmp_path / "r.xlsx", created=CREATED)
    ws = openpyxl.load_workbook(path)["扣分加分依据"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and ("HYPERLINK" in c.value or "calc" in c.value)]
    assert len(cells) == 2
    assert all(c.data_type == "s" for c in cells)
    assert any(HYPERLINK in c.value for c in cells) and any(DDE in c.value for c in cells)
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)


def test_per_city_formula_like_note_stays_text(hostile_result, tmp_path):
    paths = write_per_city(hostile_result, tmp_path / "各市")
    ws = openpyxl.load_workbook(tmp_path / "各市" / "太原市.xlsx")["扣分加分依据"]
    cells = [c for row in ws.iter_rows() for c in row if isinstance(c.value, str) and HYPERLINK in c.value]
    assert cells and all(c.data_type == "s" for c in cells)
    assert len(paths) == 11


def test_same_inputs_same_bytes(samples_result, tmp_path):
    a = write_workbook(samples_result, tmp_path / "a.xlsx", created=CREATED)
    b = write_workbook(samples_result, tmp_path / "b.xlsx", created=CREATED)
    assert a.read_bytes() == b.read_bytes()
    c = write_workbook(samples_result, tmp_path / "c.xlsx", created=datetime(2023, 3, 2))
    assert c.read_bytes() != a.read_bytes()


def _previous(tmp_path) -> Path:
    path = tmp_path / "考核结果.xlsx"
    path.write_bytes(b"previous output")
    return path


def _left_over(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name != "考核结果.xlsx")


def test_disk_full_leaves_previous_output(samples_result, tmp_path, monkeypatch):
    path = _previous(tmp_path)

    class FullDisk(zipfile.ZipFile):
        def write(self, *args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(xlsxwriter.workbook, "ZipFile", FullDisk)
    with pytest.raises(ReportError) as exc:
        write_workbook(samples_result, path, created=CREATED)
    assert str(exc.value).startswith(f"磁盘空间不足，未能写出 {path}；原有文件未改动 / the disk is full")
    assert path.read_bytes() == b"previous output"
    assert _left_over(tmp_path) == []


def test_crash_while_writing_leaves_nothing(samples_result, tmp_path, monkeypatch):
    path = _previous(tmp_path)

    def boom(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(report, "about_sheet", boom)   # the last sheet but two: a build half done
    with pytest.raises(KeyboardInterrupt):
        write_workbook(samples_result, path, created=CREATED)
    assert path.read_bytes() == b"previous output"
    assert _left_over(tmp_path) == []


def test_read_only_output_not_overwritten(samples_result, tmp_path):
    path = _previous(tmp_path)
    path.chmod(0o444)
    try:
        with pytest.raises(ReportError, match="输出文件为只读，未覆盖"):
            write_workbook(samples_result, path, created=CREATED)
        assert path.read_bytes() == b"previous output"
        assert _left_over(tmp_path) == []
    finally:
        path.chmod(0o644)


def test_missing_folder(samples_result, tmp_path):
    with pytest.raises(ReportError, match="输出文件夹不存在"):
        write_workbook(samples_result, tmp_path / "没有" / "r.xlsx", created=CREATED)


def test_locked_file_asks_to_close_excel(samples_result, tmp_path, monkeypatch):
    path = _previous(tmp_path)

    def locked(src, dst):
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(report.os, "replace", locked)
    with pytest.raises(ReportError, match="请关闭 Excel 中打开的该文件后重试 / close the file in Excel"):
        write_workbook(samples_result, path, created=CREATED)
    assert path.read_bytes() == b"previous output"
    assert _left_over(tmp_path) == []


# --------------------------------------------------------------------------- per city, many units

def test_per_city_workbooks(samples_result, scheme, tmp_path):
    paths = write_per_city(samples_result, tmp_path / "各市", created=CREATED)
    assert [p.name for p in paths] == [f"{u}.xlsx" for u in DEFAULT_ROSTER.units]
    wb = openpyxl.load_workbook(tmp_path / "各市" / "吕梁市.xlsx")
    assert wb.sheetnames == ["得分情况", "扣分加分依据", "提交情况"]
    ws = wb["得分情况"]
    assert ws["A1"].value == "山西省2022年度政务公开工作考核结果：吕梁市"
    assert (ws["A3"].value, ws["C3"].value) == ("名次", "第 5 名（共 11 个单位参加排名）")
    assert ws["C4"].value == 98.0 and ws["C5"].value == "优秀"
    # One figure per row, 重大扣分 positive (no "−0.00").
    assert [(ws.cell(r, 1).value, ws.cell(r, 3).value) for r in range(6, 10)] == [
        ("基础得分", 97.5), ("加分", 0.5), ("综合加分", 0.0), ("重大扣分", 0.0)]
    last = ws.max_row
    assert (ws.cell(last - 1, 4).value, ws.cell(last - 1, 5).value) == (97.5, 0.5)
    assert (ws.cell(last, 2).value, ws.cell(last, 4).value, ws.cell(last, 6).value) == (
        "总分 = 基础得分 + 加分 + 综合加分 − 重大扣分", 98.0, 5)
    audit = samples_result.audit
    assert wb["扣分加分依据"].max_row - 3 == int((audit["city"] == "吕梁市").sum())

    rejected = score_folder(SAMPLES / "with-errors", scheme, DEFAULT_ROSTER)
    write_per_city(rejected, tmp_path / "错", created=CREATED)
    ws = openpyxl.load_workbook(tmp_path / "错" / "忻州市.xlsx")["得分情况"]
    assert (ws["A3"].value, ws["C3"].value) == ("状态", "数据有误")
    assert ws["C4"].value.startswith("填报数据有 3 处错误")


def test_safe_filename():
    assert report.safe_filename('某县/区:1?') == "某县＿区＿1＿"
    assert report.safe_filename(" . ") == "未命名单位"


def test_many_units_detail_has_one_row_per_unit(scheme, tmp_path):
    units = tuple(f"第{k:03d}县" for k in range(1, 71))
    roster = Roster(units=units, source="test")
    changes = {u: {} for u in units}
    changes["第002县"] = {"3.3.8a": 1176, "3.3.8b": 1200}
    result = score(scheme, submissions_from(scheme, changes, roster=roster))
    path = write_workbook(result, tmp_path / "r.xlsx", created=CREATED)
    ws = openpyxl.load_workbook(path)["得分明细"]
    assert ws.max_row == 4 + 70
    r = find_row(ws, 2, "第002县")
    col = next(c for c in range(1, ws.max_column + 1) if ws.cell(3, c).value == "3.3.8")
    assert ws.cell(4, col).value == "满分 2.00"
    assert ws.cell(r, col).value == 1.96
    assert ws.cell(r, 3).value == 99.96
    assert ws.cell(r, 1).value == 70          # the only unit below 100
    assert ws.cell(find_row(ws, 2, "第001县"), 1).value == 1
    assert len(openpyxl.load_workbook(path)["总排名"]._charts) == 0   # 70 bars: no chart


# --------------------------------------------------------------------------- as an office suite opens it

@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
def test_libreoffice_converts_the_workbook(samples_book, tmp_path):
    profile = tmp_path / "profile"
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{profile}", "--headless", "--convert-to", "pdf",
         "--outdir", str(tmp_path), str(samples_book)],
        capture_output=True, text=True, timeout=180,
    )
    pdf = tmp_path / "考核结果.pdf"
    assert proc.returncode == 0, proc.stderr
    assert pdf.exists() and pdf.stat().st_size > 10_000, proc.stdout + proc.stderr
    data = pdf.read_bytes()
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 6
    if shutil.which("pdftotext"):
        text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                              timeout=60).stdout
        assert "山西省2022年度政务公开工作考核结果" in text
        assert "117.87" in text and "第 1 页" in text
