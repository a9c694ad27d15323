"""The ranking workbook: what the office emails to its leaders and to the cities.

`write_workbook(result, path)` writes, with xlsxwriter, the sheets

    总排名        ranked units with base, bonus, 综合加分, 重大扣分, total, grade; the
                  units not ranked and why; a bar chart of the totals
    变更记录      (on a rerun) what changed since the previous output, and the input
                  cells behind it
    分项得分      units × 一级指标: base subtotal, bonus subtotal and rank
    得分明细      every scoring row under its 一级/二级 subtotal rows (outline levels,
                  so they fold), one base and one bonus column per unit
    扣分加分依据  every deduction and bonus with its inputs, its sentence and its
                  source cell (autofilter)
    提交情况      every unit and file with its status, and every problem found
    说明          the scheme, how figures, ranks and grades are made, the version,
                  the date, and each input file with its SHA-256
    _快照         hidden: the run packed for the next run's change log

and `write_per_city(result, folder)` one small workbook per unit to send back.

Rules of the house, for output that is safe to open and to trust:

- every text that came from a user's file (notes, file names, values) is written
  with `write_string`, and the workbook is opened with strings_to_formulas/urls/
  numbers off: a 备注 of `=HYPERLINK(...)` stays text;
- figures are integer hundredths until the moment they become an Excel number
  (h / 100, written as the shortest decimal), with the format 0.00;
- the workbook is written to a temporary file in the target folder and renamed
  into place, so a crash or a full disk never leaves half a file where the old
  one was; the document properties are pinned, so the same inputs on the same
  day give the same bytes;
- constant-memory mode: every sheet is written strictly row by row, so thousands
  of units cost little memory.
"""

from __future__ import annotations

import errno
import os
import re
import stat
import tempfile
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.utility import xl_rowcol_to_cell

from . import __version__
from .changes import SNAPSHOT_SHEET, snapshot
from .figures import fmt
from .findings import ERROR, INFO, WARNING
from .scoring import RANKINGS, REJECTED, SCORED, SIDE_ZH
from .textfit import display_width, lines_height, page_breaks, row_height, text_lines

SHEETS = {
    "ranking": "总排名",
    "changes": "变更记录",
    "primary": "分项得分",
    "detail": "得分明细",
    "audit": "扣分加分依据",
    "files": "提交情况",
    "about": "说明",
    "checksums": "文件校验",
}
PER_CITY_SHEETS = {"summary": "得分情况", "audit": "扣分加分依据", "files": "提交情况"}

FONT = "等线"             # Office's own CJK UI font; LibreOffice falls back to Noto CJK
MAX_CELL_TEXT = 32767     # Excel's limit for one cell
TRANSPOSE_AT = 60         # more units than this: 得分明细 has one row per unit instead
CHART_AT_MOST = 60        # more bars than this make no readable chart
PAPER_A4 = 9
BODY_PT = 10              # printed at 100 %: nothing on paper smaller than this
# Printable width in column units at 100 % (A4, 0.4" side margins). A unit is the
# default font's digit: Arial 10 (DEFAULT_FONT) is 7 px in Excel and about as wide
# in LibreOffice's metric twin (Liberation Sans), where Calibri's stand-in would
# make every column a third wider than in Excel.
PAGE_WIDTH_PT = {True: 842 - 2 * 0.4 * 72, False: 595 - 2 * 0.4 * 72}   # landscape, portrait
PT_PER_UNIT, PT_PER_COLUMN = 5.55, 3.9    # as measured in LibreOffice's PDF (Excel: 5.25, 3.75)


def printed_width(widths) -> float:
    """Points the columns take on paper at 100 %."""
    return sum(PT_PER_UNIT * w + PT_PER_COLUMN for w in widths)


def fits(widths, landscape: bool) -> bool:
    return printed_width(widths) <= PAGE_WIDTH_PT[landscape] * 0.98
DEFAULT_FONT = {"font_name": "Arial", "font_size": 10}
PAGE_HEIGHT_PT = {True: 595 - 2 * 0.6 * 72, False: 842 - 2 * 0.6 * 72}
GRADE_STYLES = (("#C6EFCE", "#006100"), ("#DDEBF7", "#1F4E78"), ("#FFEB9C", "#7F6000"), ("#FFC7CE", "#9C0006"))

FILE_STATUS_ZH = {"read": "已读取", "skipped": "已跳过", "unreadable": "无法读取", "rejected": "有错误未计分"}
UNIT_STATUS_ZH = {SCORED: "已计分", REJECTED: "有错误未计分", "missing": "未提交"}
SEVERITY_ZH = {ERROR: "错误", WARNING: "提醒", INFO: "说明"}


class ReportError(Exception):
    """The workbook could not be written; the message says why and what to do."""


# --------------------------------------------------------------------------- public API

def write_workbook(result, path: str | os.PathLike, *, created: datetime | None = None, changes=None) -> Path:
    """Write the ranking workbook for `result` to `path`, completely or not at all.

    `created` pins the document date (default: today, 00:00), `changes` is the
    ChangeLog against the previous output (None: no 变更记录 sheet).
    """
    path = Path(path)
    created = _created(created)
    _atomic_write(path, lambda tmp: _build_summary(result, tmp, created, changes))
    return path


def write_per_city(result, folder: str | os.PathLike, *, created: datetime | None = None) -> list[Path]:
    """One workbook per roster unit in `folder` (made if missing), named after the unit."""
    folder = Path(folder)
    created = _created(created)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(_os_message(folder, exc)) from exc
    if not folder.is_dir():
        raise ReportError(f"不是文件夹：{folder} / not a folder: {folder}")
    facts = _Facts(result)   # once, not per unit
    paths = []
    for unit in result.cities.index:
        target = folder / f"{safe_filename(unit)}.xlsx"
        _atomic_write(target, lambda tmp, unit=unit: _build_city(facts, unit, tmp, created))
        paths.append(target)
    return paths


def safe_filename(name: str) -> str:
    """A unit's name as a file name on Windows as well: reserved characters become ＿."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "＿", name).strip(" .")
    return cleaned or "未命名单位"


def title_of(scheme) -> str:
    """'山西省2022年度政务公开工作考核方案重点任务分解表' -> '山西省2022年度政务公开工作考核结果'."""
    name = getattr(scheme, "name", "") or "政务公开工作考核"
    head = name.split("考核方案")[0] if "考核方案" in name else name
    return f"{head}考核结果"


# --------------------------------------------------------------------------- atomic write

def _created(created: datetime | None) -> datetime:
    return created if created is not None else datetime.combine(date.today(), time())


def _atomic_write(path: Path, build) -> None:
    """Build into a temporary file beside `path`, then rename it into place."""
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise ReportError(
            f"输出文件夹不存在：{parent} / the output folder does not exist: {parent}\n"
            "提示 / hint：先建立该文件夹，或用 -o 指定其他位置 / create it first, or pass -o with another path"
        )
    if path.is_dir():
        raise ReportError(f"输出位置是一个文件夹：{path} / the output path is a folder: {path}")
    if path.exists() and not os.stat(path).st_mode & stat.S_IWUSR:
        # Renaming over it would succeed on Linux; respect the mark as Windows does.
        raise ReportError(
            f"输出文件为只读，未覆盖：{path} / the output file is read-only; not overwritten: {path}\n"
            "提示 / hint：取消该文件的只读属性，或用 -o 另存为新文件 / clear its read-only flag, or pass -o with a new name"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".~{path.stem}.", suffix=".tmp", dir=parent)
        os.close(fd)
    except OSError as exc:
        raise ReportError(_os_message(path, exc)) from exc
    try:
        build(tmp)
        os.replace(tmp, path)
    except FileCreateError as exc:
        raise ReportError(_os_message(path, exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else exc)) from exc
    except OSError as exc:
        raise ReportError(_os_message(path, exc)) from exc
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _os_message(path: Path, exc) -> str:
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT):
        return (f"磁盘空间不足，未能写出 {path}；原有文件未改动 / the disk is full: {path} was not written; "
                "any previous file is unchanged\n提示 / hint：清理磁盘空间后重试 / free some space and run again")
    if code in (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY):
        return (f"无法写入 {path}：文件可能正在 Excel 或 WPS 中打开，或没有写入权限 / cannot write {path}: "
                "it may be open in Excel or WPS, or you may not have permission\n"
                "提示 / hint：请关闭 Excel 中打开的该文件后重试 / close the file in Excel and run again")
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return f"无法写入 {path}：{reason} / cannot write {path}: {reason}"


# --------------------------------------------------------------------------- the book

class _Book:
    """An xlsxwriter workbook with the house's formats, made once, and checked writes."""

    def __init__(self, path: str, created: datetime, title: str):
        self.wb = xlsxwriter.Workbook(path, {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_format_properties": DEFAULT_FONT,
        })
        self.wb.set_properties({
            "title": title,
            "author": "assess-xlsx",
            "company": "",
            "comments": f"assess-xlsx {__version__}",
            "created": created,
        })
        self.created = created
        base = {"font_name": FONT, "font_size": BODY_PT, "valign": "vcenter"}
        border = {"border": 1, "border_color": "#BFBFBF"}

        def f(**kw):
            return self.wb.add_format({**base, **kw})

        head = {"bold": True, "bg_color": "#DDEBF7", "align": "center", "text_wrap": True, **border}
        self.fmt = {
            "title": f(bold=True, font_size=16),
            "subtitle": f(font_color="#595959", text_wrap=True, valign="top"),
            "section": f(bold=True, font_size=12),
            "head": f(**head),
            "head_left": f(**{**head, "align": "left"}),
            "text": f(**border),
            "top": f(valign="top", **border),
            "top_center": f(valign="top", align="center", **border),
            "wrap": f(text_wrap=True, valign="top", **border),
            "center": f(align="center", **border),
            "rank": f(num_format="0", align="center", **border),
            "num": f(num_format="0.00", **border),
            "neg": f(num_format="0.00;-0.00;0.00", **border),
            "full": f(num_format="0.00", bg_color="#E2EFDA", font_color="#375623", **border),
            "loss": f(num_format="0.00", bg_color="#FCE4D6", font_color="#C00000", bold=True, **border),
            "gain": f(num_format="0.00", bg_color="#DDEBF7", font_color="#1F4E78", bold=True, **border),
            "zero": f(num_format="0.00", font_color="#A6A6A6", **border),
            "l0": f(bold=True, bg_color="#D9D9D9", text_wrap=True, **border),
            "l0_num": f(bold=True, bg_color="#D9D9D9", num_format="0.00", **border),
            "l0_rank": f(bold=True, bg_color="#D9D9D9", num_format="0", align="center", **border),
            "l1": f(bold=True, bg_color="#F2F2F2", indent=1, text_wrap=True, **border),
            "l1_num": f(bold=True, bg_color="#F2F2F2", num_format="0.00", **border),
            "l2": f(indent=2, text_wrap=True, **border),
            "total": f(bold=True, top=2, num_format="0.00", bg_color="#FFF2CC", **border),
            "total_text": f(bold=True, top=2, bg_color="#FFF2CC", text_wrap=True, **border),
            "key": f(bold=True, valign="top", **border),
            "muted": f(font_color="#7F7F7F", **border),
            "error": f(font_color="#C00000", **border),
            "error_wrap": f(font_color="#C00000", text_wrap=True, valign="top", **border),
            "note": f(font_color="#595959", text_wrap=True, valign="top"),
        }
        # 总分 and 等次 coloured by grade (absolute), not by a scale relative to the others.
        for k, (fill, ink) in enumerate(GRADE_STYLES):
            self.fmt[f"total_g{k}"] = f(bold=True, top=2, num_format="0.00", bg_color=fill, font_color=ink, **border)
            self.fmt[f"grade_g{k}"] = f(bold=True, align="center", bg_color=fill, font_color=ink, **border)

    def sheet(self, name: str, *, repeat: tuple[int, int] | None = None, landscape: bool = True,
              fit: bool = True, repeat_cols: tuple[int, int] | None = None) -> "_Sheet":
        """A sheet printed on A4 at 100 %. `fit`: the layout is made to fit one page
        wide (fit-to-width then only guards a rounding overflow, it never shrinks
        far); otherwise the sheet is split across pages with `repeat_cols` repeated."""
        ws = self.wb.add_worksheet(name)
        if landscape:
            ws.set_landscape()
        ws.set_paper(PAPER_A4)
        if fit:
            ws.fit_to_pages(1, 0)
        else:
            ws.set_print_scale(100)
        ws.center_horizontally()
        ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
        if repeat is not None:
            ws.repeat_rows(*repeat)
        if repeat_cols is not None:
            ws.repeat_columns(*repeat_cols)
        # No font codes: "&9" followed by a date's digits would read as font size 92026.
        ws.set_header(f"&L{name}&R{self.created:%Y-%m-%d}")
        ws.set_footer("&C第 &P 页，共 &N 页")
        return _Sheet(self, ws)

    def close(self) -> None:
        self.wb.close()


class _Sheet:
    """Checked writes; rows must be written in order (constant-memory mode)."""

    def __init__(self, book: _Book, ws):
        self.book, self.ws, self.fmt = book, ws, book.fmt
        self.col_width: dict[int, float] = {}

    @staticmethod
    def _check(rc: int, row: int, col: int) -> None:
        if rc not in (0, None):
            raise ReportError(f"内部错误：无法写入单元格 {xl_rowcol_to_cell(row, col)}（代码 {rc}） / "
                              f"internal error writing cell {xl_rowcol_to_cell(row, col)} (code {rc})")

    def text(self, row: int, col: int, value, style: str = "text") -> None:
        s = "" if value is None else str(value)
        if len(s) > MAX_CELL_TEXT:
            s = s[: MAX_CELL_TEXT - 40] + "…（超长，已截断 / truncated）"
        fmt_ = self.fmt[style]
        rc = self.ws.write_string(row, col, s, fmt_) if s else self.ws.write_blank(row, col, None, fmt_)
        self._check(rc, row, col)

    def figure(self, row: int, col: int, hundredths, style: str = "num") -> None:
        """An exact figure as an Excel number; NA becomes a blank cell in the same style."""
        if hundredths is None or pd.isna(hundredths):
            self._check(self.ws.write_blank(row, col, None, self.fmt[style]), row, col)
            return
        # str -> float gives the double nearest the decimal, the same Excel would parse.
        self._check(self.ws.write_number(row, col, float(fmt(int(hundredths))), self.fmt[style]), row, col)

    def whole(self, row: int, col: int, value, style: str = "rank") -> None:
        if value is None or pd.isna(value):
            self._check(self.ws.write_blank(row, col, None, self.fmt[style]), row, col)
            return
        self._check(self.ws.write_number(row, col, int(value), self.fmt[style]), row, col)

    def head(self, row: int, labels: list[str], col: int = 0, style: str = "head") -> None:
        for k, label in enumerate(labels):
            self.text(row, col + k, label, style)

    def widths(self, widths: list[float], first: int = 0) -> None:
        for k, w in enumerate(widths):
            self.ws.set_column(first + k, first + k, w)
            self.col_width[first + k] = w

    def banner(self, row: int, text: str, last_col: int, style: str = "subtitle") -> None:
        """A line of text across the table's width, wrapped: an unwrapped one runs
        past the last column and LibreOffice prints (shrinks) to its end."""
        self.fit_row(row, {0: text}, span={0: last_col})
        self.ws.merge_range(row, 0, row, last_col, "", self.fmt[style])
        self.text(row, 0, text, style)

    def fit_row(self, row: int, cells: dict[int, object], options: dict | None = None, *,
                span: dict[int, int] | None = None, indent: dict[int, float] | None = None) -> None:
        """Give `row` the height its wrapped texts need ({column: text}); call before
        writing the row. `span`: a merged cell's last column; `indent`: units lost to it."""
        pairs = []
        for c, text in cells.items():
            last = (span or {}).get(c, c)
            width = sum(self.col_width.get(k, 8.43) for k in range(c, last + 1)) - (indent or {}).get(c, 0)
            pairs.append((text, width))
        height = row_height(pairs, BODY_PT)
        # One line keeps the default height, so an unwrapped sheet looks as before.
        self.ws.set_row(row, height if height > lines_height(1, BODY_PT) else None, None, options or {})


def _fit(texts, lo: float = 6, hi: float = 60) -> float:
    widest = max((display_width(t) for t in texts), default=0)
    return max(lo, min(hi, widest + 2))


# --------------------------------------------------------------------------- shared facts

class _Facts:
    """What every sheet needs from the result, computed once."""

    def __init__(self, result):
        self.result = result
        self.scheme = result.scheme
        self.cities = result.cities
        self.ranking = result.ranking
        self.scored = list(self.ranking.index)
        rows = self.scheme.rows
        self.rows = rows
        self.primaries = self.scheme.primaries
        self.secondaries = rows.drop_duplicates("secondary_code")[["secondary_code", "secondary", "primary_code"]]
        self.sec_points = rows.groupby("secondary_code", sort=False)["points"].sum(min_count=1)
        self.items = self.scheme.items
        rules = result.rules
        self.item_names = {c: (rules.items[c].name if rules and c in rules.items else "") for c in self.items["code"]}
        self.labels = dict(zip(rows["code"], rows["tertiary"]))
        self.labels.update(self.item_names)
        self.unit_word = "城市" if all(u.endswith("市") for u in result.roster.units) else "被考核单位"
        self.findings = list(result.submissions.report) if result.submissions is not None else []
        self.all_files = result.submissions.files if result.submissions is not None else pd.DataFrame(
            columns=["file", "city", "status", "inputs", "problems", "sha256"])
        # Subfolders are passed over, not files: named apart, never counted.
        self.folders = [f.file for f in self.findings if f.code == "file-skipped-folder"]
        self.files = self.all_files[~self.all_files["file"].isin(self.folders)]
        self.errors_by_unit: dict[str, list] = {}
        self.findings_by_unit: dict[str, list] = {}
        for f in self.findings:
            self.findings_by_unit.setdefault(f.city, []).append(f)
            if f.severity == ERROR and f.city:
                self.errors_by_unit.setdefault(f.city, []).append(f)
        # Per unit: its files, inputs and problems, grouped once (thousands of units).
        self.files_by_unit: dict[str, list[str]] = {}
        self.counts_by_unit: dict[str, tuple[int, int]] = {}
        for name, city, n_in, n_pr in zip(self.files["file"], self.files["city"], self.files["inputs"], self.files["problems"]):
            self.files_by_unit.setdefault(city, []).append(str(name))
            a, b = self.counts_by_unit.get(city, (0, 0))
            self.counts_by_unit[city] = (a + int(n_in), b + int(n_pr))

    def reason_zh(self, unit: str) -> str:
        """Why a unit is not ranked, in the workbook's words."""
        status = self.cities.at[unit, "status"]
        if status == "missing":
            return "未收到填报表"
        found = self.errors_by_unit.get(unit, [])
        first = f"；首个：{found[0].where}" if found else ""
        return f"填报数据有 {len(found)} 处错误，未计分（详见“{SHEETS['files']}”表）{first}"

    def unit_files(self, unit: str) -> list[str]:
        return self.files_by_unit.get(unit, [])

    def grade_index(self, grade: str) -> int:
        """0 for the best grade … 3 for the lowest (and below): the colour of a 总分."""
        names = [g for g, _ in self.result.settings.grades]
        if grade not in names:
            return len(GRADE_STYLES) - 1
        return min(names.index(grade), len(GRADE_STYLES) - 2)


# --------------------------------------------------------------------------- summary workbook

def _build_summary(result, path: str, created: datetime, changes) -> None:
    facts = _Facts(result)
    book = _Book(path, created, title_of(facts.scheme))
    _ranking_sheet(book, facts)
    # Nothing changed: no sheet (说明 says so), rather than a page that says nothing.
    if changes is not None and not changes.empty:
        _changes_sheet(book, facts, changes)
    _primary_sheet(book, facts)
    _detail_sheet(book, facts)
    _audit_sheet(book, facts, facts.result.audit, SHEETS["audit"])
    _files_sheet(book, facts, None, SHEETS["files"])
    _about_sheet(book, facts, changes)
    _checksums_sheet(book, facts)
    _snapshot_sheet(book, result)
    book.close()


def _ranking_sheet(book: _Book, facts: _Facts) -> None:
    sh = book.sheet(SHEETS["ranking"], repeat=(3, 3), landscape=False)
    ws = sh.ws
    cities = facts.cities
    unit = facts.unit_word
    header = ["名次", unit, "基础得分", "加分", "综合加分", "重大扣分", "总分", "等次"]
    names = list(facts.ranking.index)
    sh.widths([6, _fit(names + [unit], 10, 30), 10, 8, 10, 10, 10, 8])
    sh.text(0, 0, title_of(facts.scheme), "title")
    sh.banner(1, f"考核方案：《{facts.scheme.name}》　生成日期：{book.created:%Y年%m月%d日}", 7)
    sh.banner(2, f"总分 = 基础得分 + 加分 + 综合加分 − 重大扣分；{RANKINGS[facts.result.settings.ranking][1]}。"
                  "每一处扣分、加分的来历见“扣分加分依据”表。", 7)
    sh.head(3, header)
    ws.freeze_panes(4, 2)
    r = 4
    for rec in facts.ranking.itertuples():
        sh.whole(r, 0, rec.rank)
        sh.text(r, 1, rec.Index)
        sh.figure(r, 2, rec.base)
        sh.figure(r, 3, rec.bonus)
        sh.figure(r, 4, rec.extra)
        # A positive amount: the header's formula subtracts it.
        sh.figure(r, 5, rec.major)
        g = facts.grade_index(rec.grade)
        sh.figure(r, 6, rec.total, f"total_g{g}")
        sh.text(r, 7, rec.grade, f"grade_g{g}")
        r += 1
    first, last = 4, r - 1
    unranked = cities[cities["status"] != SCORED]
    if len(unranked):
        r += 1
        sh.text(r, 0, f"未排名单位（{len(unranked)} 个）", "section")
        r += 1
        sh.head(r, ["", unit, "状态", "原因"])
        ws.merge_range(r, 3, r, 7, "原因", book.fmt["head_left"])
        r += 1
        for name, rec in unranked.iterrows():
            reason = facts.reason_zh(name)
            # A merged cell never grows to fit its text: give the row the lines it needs.
            sh.fit_row(r, {3: reason}, span={3: 7})
            sh.text(r, 0, "—", "center")
            sh.text(r, 1, name, "error")
            sh.text(r, 2, UNIT_STATUS_ZH[rec["status"]], "error")
            ws.merge_range(r, 3, r, 7, "", book.fmt["wrap"])
            sh.text(r, 3, reason, "wrap")
            r += 1
    if names and len(names) <= CHART_AT_MOST:
        chart = book.wb.add_chart({"type": "bar"})
        chart.add_series({
            "name": "总分",
            "categories": [SHEETS["ranking"], first, 1, last, 1],
            "values": [SHEETS["ranking"], first, 6, last, 6],
            "fill": {"color": "#5B9BD5"},
            "data_labels": {"value": True, "num_format": "0.00", "font": {"name": FONT, "size": 9}},
            "gap": 60,
        })
        chart.set_title({"name": "总分", "name_font": {"name": FONT, "size": 12}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True, "num_font": {"name": FONT, "size": 9}})   # rank 1 at the top
        chart.set_x_axis({"num_format": "0", "num_font": {"name": FONT, "size": 9},
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_size({"width": 600, "height": 80 + 24 * len(names)})
        # Below the table, so the page stays one A4 wide and the chart prints with it.
        ws.insert_chart(r + 1, 0, chart, {"y_offset": 4})


def _changes_sheet(book: _Book, facts: _Facts, changes) -> None:
    """What changed since the previous output (written only when something did).
    A unit that came or went is one row; the others list each figure and input."""
    sh = book.sheet(SHEETS["changes"], repeat=(2, 2))
    unit = facts.unit_word
    sh.widths([12, 9, 40, 30, 40])
    sh.text(0, 0, "与上次结果相比的变化", "title")
    sh.banner(1, f"共 {len(changes.changed_cities())} 个单位有变化：" + "、".join(changes.changed_cities()), 4)
    sh.head(2, [unit, "编号", "项目", "原值", "新值"])
    sh.ws.freeze_panes(3, 1)
    r = 3
    moved = changes.status_changed()
    for city in changes.changed_cities():
        if city in moved:
            old = changes.cities[(changes.cities["city"] == city) & (changes.cities["field"] == "status")]["old"].iloc[0]
            line = changes.unit_line(city)
            sh.fit_row(r, {4: line})
            sh.text(r, 0, city, "top")
            sh.text(r, 1, "—", "top_center")
            sh.text(r, 2, "状态", "top")
            sh.text(r, 3, old or "（无）", "top")
            sh.text(r, 4, line, "wrap")
            r += 1
            continue
        for rec in changes.cities[changes.cities["city"] == city].itertuples():
            label = rec.label if rec.code == "" else f"{facts.labels.get(rec.code, '')} {rec.label}".strip()
            sh.fit_row(r, {2: label})
            sh.text(r, 0, rec.city, "top")
            sh.text(r, 1, rec.code or "—", "top_center")
            sh.text(r, 2, label, "wrap")
            sh.text(r, 3, rec.old or "—", "top")
            sh.text(r, 4, rec.new or "—", "gain")
            r += 1
    r += 1
    sh.text(r, 0, "引起变化的填报内容", "section")
    r += 1
    if changes.inputs.empty:
        sh.banner(r, "填报值没有变化（变化来自评分规则、名单、其他单位，或单位新提交、撤回）。", 4)
        return
    sh.head(r, [unit, "编号", "文件 单元格", "原填报值", "新填报值"])
    r += 1
    for rec in changes.inputs.itertuples():
        where = f"{rec.file} {rec.cell}"
        sh.fit_row(r, {2: where, 3: rec.old, 4: rec.new})
        sh.text(r, 0, rec.city, "top")
        sh.text(r, 1, rec.code, "top_center")
        sh.text(r, 2, where, "wrap")
        sh.text(r, 3, rec.old or "（空）", "wrap")
        sh.text(r, 4, rec.new or "（空）", "wrap")
        r += 1


def _primary_sheet(book: _Book, facts: _Facts) -> None:
    if len(facts.scored) <= TRANSPOSE_AT:
        _primary_sheet_by_indicator(book, facts)
        return
    _primary_sheet_by_unit(book, facts)


def _primary_sheet_by_indicator(book: _Book, facts: _Facts) -> None:
    """One column per unit (in rank order) and, per 一级指标, three rows: 基础分,
    加分, 名次; then the totals. A portrait page used top to bottom, at 100 %."""
    result = facts.result
    prim = facts.primaries
    names = list(facts.ranking.index)
    unit_w = 7
    fixed = [4, 11, 6]
    landscape = not fits(fixed + [unit_w] * len(names), False)
    fit = fits(fixed + [unit_w] * len(names), True)
    sh = book.sheet(SHEETS["primary"], repeat=(2, 2), landscape=landscape, fit=fit,
                    repeat_cols=None if fit else (0, 2))
    ws = sh.ws
    sh.widths(fixed + [unit_w] * len(names))
    sh.text(0, 0, f"{title_of(facts.scheme)}：分项得分", "title")
    sh.banner(1, "各一级指标的基础得分（红色＝有失分）、加分（蓝色）和该指标名次（按基础得分与加分之和排名）。", 2 + len(names))
    head_h = row_height([(n, unit_w) for n in names] + [("", 1)], BODY_PT)
    ws.set_row(2, head_h)
    sh.head(2, ["编号", "一级指标", "项目"] + names)
    ws.freeze_panes(3, 3)
    codes = list(prim["code"])
    frames = {k: result.primary[k].reindex(index=names, columns=codes) for k in ("base", "bonus", "rank")}
    labels = [f"{p.name}（{fmt(p.points).rstrip('0').rstrip('.')}分）" if p.points else f"{p.name}（只有加分）"
              for p in prim.itertuples()]
    # Each indicator's three rows stay on one page: breaks between blocks.
    one = lines_height(1)
    blocks = [(3 + 3 * k, lines_height(text_lines(t, 11, BODY_PT)) + 2 * one) for k, t in enumerate(labels)]
    blocks.append((3 + 3 * len(labels), 5 * one + lines_height(2)))
    usable = (PAGE_HEIGHT_PT[landscape] - head_h) * 0.92
    ws.set_h_pagebreaks(page_breaks(blocks, usable, first_page_used=2 * lines_height(1) + 10))
    r = 3
    for p in prim.itertuples():
        pts = f"（{fmt(p.points).rstrip('0').rstrip('.')}分）" if p.points else "（只有加分）"
        label = f"{p.name}{pts}"
        base, bonus, rank = (frames[k][p.code].to_numpy("int64") for k in ("base", "bonus", "rank"))
        # The name spans the three rows without a merge (constant-memory writes
        # go row by row): it heads the first row, the two below stay blank.
        # The name heads the block's first row, which is as tall as the name needs.
        heights = [lines_height(text_lines(label, 11, BODY_PT)), lines_height(1), lines_height(1)]
        for k, (what, values) in enumerate((("基础分", base), ("加分", bonus), ("名次", rank))):
            ws.set_row(r, heights[k] if heights[k] > lines_height(1) else None)
            first = k == 0
            sh.text(r, 0, p.code if first else "", "top_center")
            sh.text(r, 1, label if first else "", "wrap" if first else "text")
            sh.text(r, 2, what, "center")
            for i, v in enumerate(values.tolist()):
                if what == "名次":
                    sh.whole(r, 3 + i, v)
                elif what == "基础分":
                    sh.figure(r, 3 + i, v, "zero" if not p.points else "full" if v >= p.points else "loss")
                else:
                    sh.figure(r, 3 + i, v, "gain" if v else "zero")
            r += 1
    ranking = facts.ranking
    totals = (("基础得分", ranking["base"], "l0_num"), ("加分", ranking["bonus"], "l0_num"),
              ("综合加分", ranking["extra"], "l0_num"), ("重大扣分", ranking["major"], "l0_num"))
    for k, (what, values, style) in enumerate(totals):
        sh.text(r, 0, "", "l0")
        sh.text(r, 1, "合计" if k == 0 else "", "l0")
        sh.text(r, 2, what, "l0")
        for i, v in enumerate(values.tolist()):
            sh.figure(r, 3 + i, v, style)
        r += 1
    sh.text(r, 0, "", "total_text")
    sh.text(r, 1, "基础得分 + 加分 + 综合加分 − 重大扣分", "total_text")
    ws.set_row(r, lines_height(2))
    sh.text(r, 2, "总分", "total_text")
    for i, (v, g) in enumerate(zip(ranking["total"].tolist(), ranking["grade"].tolist())):
        sh.figure(r, 3 + i, v, f"total_g{facts.grade_index(g)}")
    r += 1
    sh.text(r, 0, "", "l0")
    sh.text(r, 1, "", "l0")
    sh.text(r, 2, "总名次", "l0")
    for i, v in enumerate(ranking["rank"].tolist()):
        sh.whole(r, 3 + i, v, "l0_rank")


def _primary_sheet_by_unit(book: _Book, facts: _Facts) -> None:
    """Past TRANSPOSE_AT units, one row per unit; split across pages, never shrunk."""
    sh = book.sheet(SHEETS["primary"], repeat=(2, 3), fit=False, repeat_cols=(0, 1))
    ws = sh.ws
    result = facts.result
    prim = facts.primaries
    unit = facts.unit_word
    names = list(facts.ranking.index)
    sh.widths([6, _fit(names + [unit], 10, 30)])
    n = len(prim)
    # Narrow columns under wrapped group headings: 33 columns still print one A4 wide.
    ws.set_column(2, 2 + 3 * n - 1, 6.5)
    ws.set_column(2 + 3 * n, 2 + 3 * n + 3, 8.5)
    sh.text(0, 0, f"{title_of(facts.scheme)}：分项得分", "title")
    sh.text(1, 0, "各一级指标的基础得分（括号内为满分）、加分和该指标名次（按基础得分与加分之和排名）；基础分底色越深，失分越多。", "subtitle")
    ws.set_row(2, 42)
    sh.text(2, 0, "", "head")
    sh.text(2, 1, "", "head")
    for k, p in enumerate(prim.itertuples()):
        c = 2 + 3 * k
        pts = f"（{fmt(p.points).rstrip('0').rstrip('.')}分）" if p.points else "（只有加分）"
        ws.merge_range(2, c, 2, c + 2, "", book.fmt["head"])
        sh.text(2, c, f"{p.code}. {p.name}{pts}", "head")
    end = 2 + 3 * n
    ws.merge_range(2, end, 2, end + 3, "", book.fmt["head"])
    sh.text(2, end, "合计", "head")
    sh.head(3, ["总名次", unit])
    for k in range(n):
        sh.head(3, ["基础分", "加分", "名次"], 2 + 3 * k)
    ws.set_row(3, 30)
    sh.head(3, ["基础得分", "加分", "综合加分−重大扣分", "总分"], end)
    ws.freeze_panes(4, 2)
    codes = list(prim["code"])
    # Whole frames as int64 arrays in rank order: the row loop only indexes them.
    base, bonus, rank = (result.primary[k].reindex(index=names, columns=codes).to_numpy("int64")
                         for k in ("base", "bonus", "rank"))
    styles = ["num" if p else "zero" for p in prim["points"]]   # base shaded by the colour scale below
    r = 4
    for i, rec in enumerate(facts.ranking.itertuples()):
        sh.whole(r, 0, rec.rank)
        sh.text(r, 1, rec.Index)
        for k in range(n):
            c = 2 + 3 * k
            sh.figure(r, c, base[i, k], styles[k])
            sh.figure(r, c + 1, bonus[i, k], "gain" if bonus[i, k] else "zero")
            sh.whole(r, c + 2, rank[i, k])
        sh.figure(r, end, rec.base)
        sh.figure(r, end + 1, rec.bonus)
        sh.figure(r, end + 2, int(rec.extra) - int(rec.major), "neg")
        sh.figure(r, end + 3, rec.total, "total")
        r += 1
    if names:
        for k, p in enumerate(prim.itertuples()):
            if p.points:
                c = 2 + 3 * k
                ws.conditional_format(4, c, r - 1, c, {"type": "2_color_scale", "min_color": "#F8CBAD",
                                                       "max_color": "#FFFFFF"})


def _detail_rows(facts: _Facts):
    """(kind, code, label, points, base Series|None, bonus Series|None) in outline order:
    one subtotal row per 一级 (level 0) and 二级 (level 1) above its rows (level 2)."""
    result = facts.result
    rb, rbo = result.rows["base"], result.rows["bonus"]
    sb, sbo = result.secondary["base"], result.secondary["bonus"]
    pb, pbo = result.primary["base"], result.primary["bonus"]
    rows = facts.rows
    for p in facts.primaries.itertuples():
        pts = p.points if p.points else None
        yield ("l0", p.code, f"{p.code}. {p.name}　合计", pts, pb[p.code], pbo[p.code])
        for s in facts.secondaries[facts.secondaries["primary_code"] == p.code].itertuples():
            spts = facts.sec_points.get(s.secondary_code)
            yield ("l1", s.secondary_code, f"{s.secondary_code} {s.secondary}　小计",
                   None if pd.isna(spts) else int(spts), sb[s.secondary_code], sbo[s.secondary_code])
            for row in rows[rows["secondary_code"] == s.secondary_code].itertuples():
                rpts = None if pd.isna(row.points) else int(row.points)
                yield ("l2", row.code, row.tertiary, rpts, rb[row.code] if rpts is not None else None, rbo[row.code])
    items = result.items
    for side, title in (("extra", "综合加分项"), ("major", "重大扣分项")):
        codes = list(facts.items.loc[facts.items["side"] == side, "code"])
        if not codes:
            continue
        total = items[codes].sum(axis=1) if len(items) else pd.Series(dtype="int64")
        yield ("l0", "", f"{title}　合计", None, None, total if side == "extra" else -total)
        for code in codes:
            yield ("l2", code, facts.item_names.get(code, ""), None, None,
                   items[code] if side == "extra" else -items[code])


def _write_detail_row(sh: "_Sheet", r: int, row: tuple, units: list[str]) -> None:
    """One row of _detail_rows at its outline level: code, label, points, then a
    base and a bonus cell per unit (full marks, losses and bonuses styled apart).
    The label wraps and the row is as tall as it needs (11.5–11.7 are long)."""
    kind, code, label, points, base, bonus = row
    level = {"l0": 0, "l1": 1, "l2": 2}[kind]
    sh.fit_row(r, {1: label}, {"level": level} if level else {}, indent={1: 2.5 * level})
    num_style = {"l0": "l0_num", "l1": "l1_num"}.get(kind)
    sh.text(r, 0, code, kind if kind != "l2" else "center")
    sh.text(r, 1, label, kind)
    sh.figure(r, 2, points, num_style or "num")
    for k, unit in enumerate(units):
        c = 3 + 2 * k
        if base is None:
            sh.figure(r, c, None, num_style or "zero")
        else:
            b = int(base[unit])
            sh.figure(r, c, b, num_style or ("full" if points is not None and b >= points else "loss"))
        if bonus is None:
            sh.figure(r, c + 1, None, num_style or "zero")
        else:
            v = int(bonus[unit])
            sh.figure(r, c + 1, v, num_style or ("gain" if v > 0 else "loss" if v < 0 else "zero"))


def _detail_sheet(book: _Book, facts: _Facts) -> None:
    """Rows × units, two columns (基础分, 加分) per unit. Printed at 100 %: as many
    units as fit one A4 landscape page side by side, then the next page, with
    编号/指标/赋分 and the header repeated."""
    if len(facts.scored) > TRANSPOSE_AT:
        _detail_sheet_by_unit(book, facts)
        return
    sh = book.sheet(SHEETS["detail"], repeat=(2, 3), fit=False, repeat_cols=(0, 2))
    ws = sh.ws
    ws.outline_settings(True, False, True, False)   # summary rows above their detail
    names = facts.scored
    fixed, per_unit = [7, 29, 7], [7, 7]
    sh.widths(fixed)
    for k in range(len(names)):
        sh.widths(per_unit, 3 + 2 * k)
    per_page = max(1, int((PAGE_WIDTH_PT[True] * 0.98 - printed_width(fixed)) // printed_width(per_unit)))
    per_page = -(-len(names) // -(-len(names) // per_page)) if names else 1   # pages evenly filled
    ws.set_v_pagebreaks([3 + 2 * k for k in range(per_page, len(names), per_page)])
    sh.text(0, 0, f"{title_of(facts.scheme)}：得分明细", "title")
    sh.banner(1, "每个单位两列：基础得分（绿色＝满分，红色＝有扣分）和加分（蓝色）；点左侧“−”可折叠到一级、二级指标。"
                  "综合加分项、重大扣分项列在最后。", 2 + 2 * per_page)
    ws.set_row(2, lines_height(2))
    sh.head(2, ["编号", "指标", "赋分"])
    for k, name in enumerate(names):
        ws.merge_range(2, 3 + 2 * k, 2, 4 + 2 * k, "", book.fmt["head"])
        sh.text(2, 3 + 2 * k, name, "head")
    sh.head(3, ["", "", ""])
    for k in range(len(names)):
        sh.head(3, ["基础分", "加分"], 3 + 2 * k)
    ws.freeze_panes(4, 3)
    r = 4
    for row in _detail_rows(facts):
        _write_detail_row(sh, r, row, names)
        r += 1
    # Two closing rows that say what they add up: the rows' own base and bonus,
    # then the total across both columns of each unit.
    sh.fit_row(r, {1: "基础得分、加分（一至九项各行合计）"})
    sh.text(r, 0, "", "l0")
    sh.text(r, 1, "基础得分、加分（一至九项各行合计）", "l0")
    sh.figure(r, 2, facts.rows["points"].sum(), "l0_num")
    for k, name in enumerate(names):
        rec = facts.cities.loc[name]
        sh.figure(r, 3 + 2 * k, rec["base"], "l0_num")
        sh.figure(r, 4 + 2 * k, rec["bonus"], "l0_num")
    r += 1
    label = "总分 = 基础得分 + 加分 + 综合加分 − 重大扣分"
    sh.fit_row(r, {1: label})
    sh.text(r, 0, "", "total_text")
    sh.text(r, 1, label, "total_text")
    sh.text(r, 2, "", "total_text")
    for k, name in enumerate(names):
        rec = facts.cities.loc[name]
        ws.merge_range(r, 3 + 2 * k, r, 4 + 2 * k, "", book.fmt["total"])
        sh.figure(r, 3 + 2 * k, rec["total"], f"total_g{facts.grade_index(rec['grade'])}")


def _detail_sheet_by_unit(book: _Book, facts: _Facts) -> None:
    """Past TRANSPOSE_AT units, one row per unit: 一级 subtotals, then every row's base and bonus."""
    sh = book.sheet(SHEETS["detail"], repeat=(2, 3), fit=False, repeat_cols=(0, 2))
    ws = sh.ws
    result = facts.result
    rows = facts.rows
    prim = list(facts.primaries.itertuples())
    row_codes = list(rows["code"])
    has_base = {c: not pd.isna(p) for c, p in zip(rows["code"], rows["points"])}
    has_bonus = set(c for c in row_codes if (result.rows["bonus"][c] != 0).any())
    cols = [("p_base", p.code) for p in prim] + [("p_bonus", p.code) for p in prim]
    for c in row_codes:
        if has_base[c]:
            cols.append(("base", c))
        if c in has_bonus:
            cols.append(("bonus", c))
    sh.widths([6, _fit(facts.scored + [facts.unit_word], 10, 30), 9])
    ws.set_column(3, 3 + len(cols) - 1, 8)
    sh.text(0, 0, f"{title_of(facts.scheme)}：得分明细（每行一个单位）", "title")
    sh.text(1, 0, f"单位超过 {TRANSPOSE_AT} 个，每个单位一行：先列各一级指标小计，再列各三级指标的基础得分与加分（只列有人得到加分的行）。",
            "subtitle")
    ws.set_row(2, 30)
    sh.head(2, ["名次", facts.unit_word, "总分"])
    points = dict(zip(rows["code"], rows["points"]))
    pts_primary = dict(zip(facts.primaries["code"], facts.primaries["points"]))
    for k, (what, code) in enumerate(cols):
        label = {"p_base": f"{code} 基础分", "p_bonus": f"{code} 加分", "base": f"{code}", "bonus": f"{code} 加分"}[what]
        sh.text(2, 3 + k, label, "head")
    sh.head(3, ["", "", ""])
    for k, (what, code) in enumerate(cols):
        full = pts_primary.get(code) if what == "p_base" else points.get(code) if what == "base" else None
        sh.text(3, 3 + k, f"满分 {fmt(full)}" if full is not None and not pd.isna(full) and full else "", "head")
    ws.freeze_panes(4, 2)
    frames = {"p_base": result.primary["base"], "p_bonus": result.primary["bonus"],
              "base": result.rows["base"], "bonus": result.rows["bonus"]}
    # Whole columns as int64 arrays, so the row loop only looks values up.
    order = list(facts.ranking.index)
    arrays = [(what, code, frames[what][code].reindex(order).to_numpy()) for what, code in cols]
    r = 4
    for i, rec in enumerate(facts.ranking.itertuples()):
        sh.whole(r, 0, rec.rank)
        sh.text(r, 1, rec.Index)
        sh.figure(r, 2, rec.total, "total")
        for k, (what, code, values) in enumerate(arrays):
            v = int(values[i])
            if what == "base":
                style = "full" if v >= points[code] else "loss"
            elif what in ("bonus", "p_bonus"):
                style = "gain" if v else "zero"
            else:
                style = "num"
            sh.figure(r, 3 + k, v, style)
        r += 1


AUDIT_HEAD = ["编号", "指标", "依据与计算", "得分变化", "来源（文件 单元格）"]


def explanation(rec) -> str:
    """The audit's one sentence for a reader: kind, the computation (which names
    its inputs), the result when the sentence does not say it, and any input the
    sentence leaves out (a 情形说明)."""
    text = f"{SIDE_ZH.get(rec.side, rec.side)}：{rec.sentence}"
    if rec.result and rec.result not in rec.sentence:
        text += f"；{rec.result}"
    left = [part for part in str(rec.inputs or "").split("；")
            if "＝" in part and part.split("＝", 1)[1] not in rec.sentence]
    if left:
        text += "（另填：" + "；".join(left) + "）"
    return text


def _audit_sheet(book: _Book, facts: _Facts, audit: pd.DataFrame, name: str, with_unit: bool = True) -> None:
    """One row per deduction or bonus, in few meaningful columns: the unit, the
    indicator, one wrapped sentence with inputs and computation, the signed
    change and the source cells. One A4 landscape page wide at 100 %."""
    sh = book.sheet(name, repeat=(2, 2))
    ws = sh.ws
    header = ([facts.unit_word] if with_unit else []) + AUDIT_HEAD
    widths = ([9] if with_unit else []) + [7, 20, 60 if with_unit else 66, 8, 30]
    sh.widths(widths)
    sh.text(0, 0, "扣分、加分依据", "title")
    sh.banner(1, "每一处扣分、加分一行：所填内容、按评分规则的计算过程和来源单元格；得分变化为负是扣分，为正是加分。"
            "可用表头的筛选按钮按单位或编号筛选。" if len(audit) else "没有任何扣分或加分。", len(header) - 1)
    sh.head(2, header)
    ws.freeze_panes(3, 2 if with_unit else 1)
    r = 3
    signed = {"deduct": -1, "major": -1, "bonus": 1, "extra": 1}
    c0 = 1 if with_unit else 0
    for rec in audit.itertuples(index=False):
        label = facts.labels.get(rec.code, "")
        sentence = explanation(rec)
        sh.fit_row(r, {c0 + 1: label, c0 + 2: sentence, c0 + 4: rec.sources})
        if with_unit:
            sh.text(r, 0, rec.city, "top")
        sh.text(r, c0, rec.code, "top_center")
        sh.text(r, c0 + 1, label, "wrap")
        sh.text(r, c0 + 2, sentence, "wrap")
        amount = int(rec.amount) * signed.get(rec.side, 1)
        sh.figure(r, c0 + 3, amount, "loss" if amount < 0 else "gain")
        sh.text(r, c0 + 4, rec.sources, "wrap")
        r += 1
    ws.autofilter(2, 0, max(r - 1, 2), len(header) - 1)


def _files_sheet(book: _Book, facts: _Facts, only: str | None, name: str) -> None:
    """Units, files and every problem found; `only`: one unit's part (per-city workbooks).

    Seven columns shared by the three tables, so the sheet prints one A4 landscape
    page wide at 100 %; long texts wrap and their rows grow to fit."""
    sh = book.sheet(name, repeat=(2, 2))
    ws = sh.ws
    unit = facts.unit_word
    sh.widths([14, 26, 14, 9, 12, 40, 18])
    sh.text(0, 0, "提交情况", "title")
    units = [only] if only else list(facts.cities.index)
    files = facts.files if not only else facts.files[facts.files["city"] == only]
    findings = facts.findings if not only else facts.findings_by_unit.get(only, [])
    n_err = sum(f.severity == ERROR for f in findings)
    sh.banner(1, f"{len(units)} 个单位，{len(files)} 个文件，发现错误 {n_err} 处、提醒 {len(findings) - n_err} 处。", 6)
    ws.set_row(2, lines_height(2))
    sh.head(2, [unit, "文件", "状态", "填报项数", "问题数"])
    ws.freeze_panes(3, 1)
    r = 3
    statuses = facts.cities["status"]
    for u in units:
        status = statuses[u]
        names = "；".join(facts.unit_files(u)) or "（无）"
        bad = status != SCORED
        sh.fit_row(r, {0: u, 1: names})
        sh.text(r, 0, u, "error" if bad else "top")
        sh.text(r, 1, names, "error_wrap" if bad else "wrap")
        sh.text(r, 2, UNIT_STATUS_ZH[status], "error" if bad else "top")
        n_inputs, n_problems = facts.counts_by_unit.get(u, (0, 0))
        sh.whole(r, 3, n_inputs, "rank")
        sh.whole(r, 4, n_problems, "rank")
        r += 1
    r += 1
    sh.text(r, 0, "各文件", "section")
    r += 1
    ws.set_row(r, lines_height(2))
    sh.head(r, [unit, "文件", "状态", "填报项数", "问题数"])
    r += 1
    unit_status = dict(zip(facts.cities.index, facts.cities["status"]))
    for rec in files.itertuples(index=False):
        status = rec.status
        if status == "read" and unit_status.get(rec.city) == SCORED:
            label = "已计分"
        elif status == "read" and rec.city in unit_status:
            label = "有错误未计分"
        else:
            label = FILE_STATUS_ZH.get(status, status)
        style = "error" if label in ("有错误未计分", "无法读取") else "muted" if label == "已跳过" else "text"
        sh.fit_row(r, {0: rec.city, 1: rec.file})
        sh.text(r, 0, rec.city or "—", style)
        sh.text(r, 1, rec.file, "error_wrap" if style == "error" else "wrap")
        sh.text(r, 2, label, style)
        sh.whole(r, 3, rec.inputs)
        sh.whole(r, 4, rec.problems)
        r += 1
    if facts.folders and not only:
        text = "已跳过的子文件夹（不计入文件数，其中的工作簿未读取）：" + "、".join(facts.folders)
        sh.fit_row(r, {0: text}, span={0: 6})
        ws.merge_range(r, 0, r, 6, "", book.fmt["note"])
        sh.text(r, 0, text, "note")
        r += 1
    r += 1
    sh.text(r, 0, "发现的问题" if findings else "没有发现问题。", "section")
    r += 1
    if not findings:
        return
    sh.head(r, ["级别", "文件", "单元格", "编号", "填的内容", "说明", "应为"])
    r += 1
    order = {ERROR: 0, WARNING: 1, INFO: 2}
    for f in sorted(findings, key=lambda f: (order.get(f.severity, 3), f.file, f.sheet, _cell_key(f.cell))):
        err = f.severity == ERROR
        where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else f.sheet or f.cell
        sh.fit_row(r, {1: f.file or f.city, 2: where, 4: f.value, 5: f.message_zh, 6: f.expected})
        sh.text(r, 0, SEVERITY_ZH.get(f.severity, f.severity), "error" if err else "top")
        sh.text(r, 1, f.file or f.city, "wrap")
        sh.text(r, 2, where, "wrap")
        sh.text(r, 3, f.input, "top_center")
        sh.text(r, 4, f.value, "wrap")
        sh.text(r, 5, f.message_zh, "error_wrap" if err else "wrap")
        sh.text(r, 6, f.expected, "wrap")
        r += 1


def _cell_key(cell: str) -> tuple[int, str]:
    m = re.match(r"([A-Z]+)(\d+)$", cell or "")
    return (int(m.group(2)), m.group(1)) if m else (0, cell or "")


def _about_sheet(book: _Book, facts: _Facts, changes=None) -> None:
    """For the reader: what was assessed and how the figures are made; no file
    formats, hashes or program names beyond the tool's own (see 文件校验)."""
    sh = book.sheet(SHEETS["about"], landscape=False)
    result = facts.result
    settings = result.settings
    scheme = facts.scheme
    sh.widths([14, 78])
    sh.text(0, 0, "说明", "title")
    rules = result.rules
    sub = result.submissions
    if changes is None:
        compared = "本次为首次生成（没有上次结果可比较）。"
    elif changes.empty:
        compared = "与上次结果相比没有变化：各单位的状态、得分、名次、等次和填报值都与上次相同。"
    else:
        compared = f"与上次结果相比有 {len(changes.changed_cities())} 个单位有变化，见“{SHEETS['changes']}”表。"
    lines = [
        ("考核方案", f"《{scheme.name}》"),
        ("评分规则", f"{rules.name}（{rules.year}年）" if rules else "—"),
        ("被考核单位", f"{len(result.roster.units)} 个：{'、'.join(result.roster.units)}"),
        ("计分", "各项得分精确到 0.01 分。比率类扣分按四舍五入保留两位小数后计入；二级、一级指标小计和总分是各行得分之和，"
                 "不再舍入，因此表中每个合计都可以用手工相加核对。每行扣分不超过本行赋分（或规则规定的扣分上限），加分不超过加分上限。"),
        ("总分", "总分 = 基础得分 + 加分 + 综合加分 − 重大扣分。基础得分满分 100 分；表中重大扣分列出的是扣减的分数（正数）。"),
        ("排名", f"按总分从高到低排名；{RANKINGS[settings.ranking][1]}。一级指标名次按该指标基础得分与加分之和排名。"),
        ("等次", settings.describe_grades() + "。“总排名”表中总分和等次的底色表示等次。"),
        ("未计分单位", "未提交填报表或填报数据有错误的单位不计分、不排名，原因见“总排名”“提交情况”表；改正后重新运行即可。"),
        ("依据", "每一处扣分、加分的填报内容、计算过程和来源单元格见“扣分加分依据”表。"),
        ("变化", compared),
        ("交回文件夹", Path(str(sub.folder)).name if sub is not None else "—"),
        ("生成日期", f"{book.created:%Y年%m月%d日}"),
        ("生成工具", f"assess-xlsx {__version__}；所读文件的校验值见“{SHEETS['checksums']}”表"),
    ]
    r = 2
    for key, value in lines:
        sh.fit_row(r, {1: value})
        sh.text(r, 0, key, "key")
        sh.text(r, 1, value, "wrap")
        r += 1


def _checksums_sheet(book: _Book, facts: _Facts) -> None:
    """Each file read with its SHA-256, to tell later whether it was changed: last, for the record."""
    sh = book.sheet(SHEETS["checksums"])
    result = facts.result
    sh.widths([34, 10, 70])
    sh.text(0, 0, "文件校验", "title")
    sh.banner(1, "所读文件的 SHA-256 校验值：文件改动过，校验值就不同。", 2)
    sh.head(2, ["文件", "类别", "SHA-256"])
    r = 3
    scheme_file = Path(str(facts.scheme.source)).name
    sh.text(r, 0, scheme_file)
    sh.text(r, 1, "考核方案")
    sh.text(r, 2, f"工作表“{facts.scheme.sheet}”", "muted")
    r += 1
    for rec in facts.all_files.itertuples(index=False):
        skipped = not rec.sha256
        sh.fit_row(r, {0: rec.file})
        sh.text(r, 0, rec.file, "wrap")
        sh.text(r, 1, "子文件夹" if rec.file in facts.folders else "交回文件", "top")
        sh.text(r, 2, "（已跳过，未读取）" if skipped else rec.sha256, "muted" if skipped else "top")
        r += 1


def _snapshot_sheet(book: _Book, result) -> None:
    ws = book.wb.add_worksheet(SNAPSHOT_SHEET)
    ws.hide()
    sh = _Sheet(book, ws)
    packed = snapshot(result)
    for c, name in enumerate(packed.columns):
        sh._check(ws.write_string(0, c, name), 0, c)
    for r, rec in enumerate(packed.itertuples(index=False), start=1):
        for c, value in enumerate(rec):
            # JSON text can exceed nothing here: changes.CHUNK keeps each cell under Excel's limit.
            sh._check(ws.write_string(r, c, str(value)), r, c)


# --------------------------------------------------------------------------- per-city workbook

def _build_city(facts: _Facts, unit: str, path: str, created: datetime) -> None:
    result = facts.result
    book = _Book(path, created, f"{title_of(facts.scheme)}：{unit}")
    head_row = 10        # the detail table's header, below seven key figures
    sh = book.sheet(PER_CITY_SHEETS["summary"], repeat=(head_row, head_row), landscape=False)
    ws = sh.ws
    rec = facts.cities.loc[unit]
    scored = rec["status"] == SCORED
    sh.widths([8, 44, 8, 10, 10, 8])
    sh.text(0, 0, f"{title_of(facts.scheme)}：{unit}", "title")
    sh.banner(1, f"考核方案：《{facts.scheme.name}》　生成日期：{book.created:%Y年%m月%d日}", 5)
    n = len(facts.scored)
    if scored:
        g = facts.grade_index(rec["grade"])
        facts_rows = [
            ("名次", f"第 {int(rec['rank'])} 名（共 {n} 个单位参加排名）", None, "text"),
            ("总分", None, rec["total"], f"total_g{g}"),
            ("等次", rec["grade"], None, f"grade_g{g}"),
            ("基础得分", None, rec["base"], "num"),
            ("加分", None, rec["bonus"], "num"),
            ("综合加分", None, rec["extra"], "num"),
            # Positive, as subtracted in 总分 = 基础得分 + 加分 + 综合加分 − 重大扣分.
            ("重大扣分", None, rec["major"], "num"),
        ]
    else:
        facts_rows = [("状态", UNIT_STATUS_ZH[rec["status"]], None, "error"),
                      ("原因", facts.reason_zh(unit), None, "error_wrap")] + [("", "", None, "text")] * 5
    for k, (key, text, figure, style) in enumerate(facts_rows):
        r = 2 + k
        if figure is None and text:
            sh.fit_row(r, {2: text}, span={2: 5})
        ws.merge_range(r, 0, r, 1, "", book.fmt["key"])
        sh.text(r, 0, key, "key")
        ws.merge_range(r, 2, r, 5, "", book.fmt[style])
        if figure is not None:
            sh.figure(r, 2, figure, style)
        else:
            sh.text(r, 2, text, style)
    if scored:
        sh.text(head_row - 1, 0, "各项得分（总分 = 基础得分 + 加分 + 综合加分 − 重大扣分）", "section")
    if not scored:
        _audit_sheet(book, facts, facts.result.audit.iloc[0:0], PER_CITY_SHEETS["audit"], with_unit=False)
        _files_sheet(book, facts, unit, PER_CITY_SHEETS["files"])
        book.close()
        return
    sh.head(head_row, ["编号", "指标", "赋分", "基础得分", "加分", "名次"])
    ws.freeze_panes(head_row + 1, 2)
    ws.outline_settings(True, False, True, False)
    prim_rank = result.primary["rank"]
    r = head_row + 1
    for row in _detail_rows(facts):
        kind, code = row[0], row[1]
        _write_detail_row(sh, r, row, [unit])
        if kind == "l0" and code in prim_rank.columns:
            sh.whole(r, 5, prim_rank.at[unit, code], "l0_rank")
        else:
            sh.text(r, 5, "", "text" if kind == "l2" else kind)
        r += 1
    sh.text(r, 0, "", "l0")
    sh.text(r, 1, "基础得分、加分（一至九项各行合计）", "l0")
    sh.figure(r, 2, facts.rows["points"].sum(), "l0_num")
    sh.figure(r, 3, rec["base"], "l0_num")
    sh.figure(r, 4, rec["bonus"], "l0_num")
    sh.text(r, 5, "", "l0")
    r += 1
    # The total spans 基础得分 and 加分, under its own label: not read as a base figure.
    sh.text(r, 0, "", "total_text")
    sh.text(r, 1, "总分 = 基础得分 + 加分 + 综合加分 − 重大扣分", "total_text")
    sh.text(r, 2, "", "total_text")
    ws.merge_range(r, 3, r, 4, "", book.fmt["total"])
    sh.figure(r, 3, rec["total"], f"total_g{facts.grade_index(rec['grade'])}")
    sh.whole(r, 5, rec["rank"], "l0_rank")
    audit = facts.result.audit
    _audit_sheet(book, facts, audit[audit["city"] == unit], PER_CITY_SHEETS["audit"], with_unit=False)
    _files_sheet(book, facts, unit, PER_CITY_SHEETS["files"])
    book.close()
