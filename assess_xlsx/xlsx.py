"""Writing output files: the one checked xlsxwriter writer and the one atomic write.

Every file the program writes (the fill-in template, the ranking workbook,
the per-unit workbooks, the --json file and the kept .prev copy) is built in
a temporary file beside its target and renamed into place (`stage`, then
`Staged.commit`; `atomic_write` does both): a crash, a full disk or a file
open in Excel never leaves half a file where the old one was. The file gets
the mode the user's umask gives (0644 under umask 022), like any other
program's output, not the 0600 of a temporary file.

`Book` is an xlsxwriter workbook opened the house's way (strings_to_formulas,
_urls and _numbers off, so a 备注 of `=HYPERLINK(...)` stays text; the
document date pinned; formats made once); `Checked` and `Sheet` check every
xlsxwriter return code: a non-zero one is a bug, not a warning.
"""

from __future__ import annotations

import errno
import gc
import os
import re
import shutil
import stat
import tempfile
import zipfile
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Callable

import pandas as pd
import xlsxwriter
from xlsxwriter.exceptions import FileCreateError
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .errors import WriteError
from .figures import fmt
from .textfit import lines_height, row_height
from .xlsxbody import MAX_CELL_TEXT, Body, RowsJob, Whole, _splice

# Arial 10 as the default font: its digit (the column unit) is as wide in Excel as
# in LibreOffice's metric twin (Liberation Sans), so columns print as wide as they show.
DEFAULT_FONT = {"font_name": "Arial", "font_size": 10}
WORKBOOK_OPTIONS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                    "default_format_properties": DEFAULT_FONT}
PAPER_A4 = 9
STREAM_ROWS = 200         # a sheet body this long or longer is streamed as our own XML (Body)
BULK_ROWS = 2000          # ... and this long or longer made in worker processes (RowsJob)
BODY_PT = 10              # printed at 100 %: nothing on paper smaller than this
# Printable width in column units at 100 % (A4, 0.4" side margins). A unit is the
# default font's digit: Arial 10 (DEFAULT_FONT) is 7 px in Excel and about as wide
# in LibreOffice's metric twin (Liberation Sans), where Calibri's stand-in would
# make every column a third wider than in Excel.
PAGE_WIDTH_PT = {True: 842 - 2 * 0.4 * 72, False: 595 - 2 * 0.4 * 72}   # landscape, portrait
PAGE_HEIGHT_PT = {True: 595 - 2 * 0.6 * 72, False: 842 - 2 * 0.6 * 72}
PT_PER_UNIT, PT_PER_COLUMN = 5.55, 3.9    # as measured in LibreOffice's PDF (Excel: 5.25, 3.75)
# 总分 and 等次 coloured by grade (absolute), best first: (fill, ink).
GRADE_STYLES = (("#C6EFCE", "#006100"), ("#DDEBF7", "#1F4E78"), ("#FFEB9C", "#7F6000"), ("#FFC7CE", "#9C0006"))


def fitted_height(height: float) -> float | None:
    """The height (points) a row of wrapped text is given; None for one line, which
    keeps the default height, so an unwrapped sheet looks as before."""
    return height if height > lines_height(1, BODY_PT) else None


def printed_width(widths) -> float:
    """Points the columns take on paper at 100 %."""
    return sum(PT_PER_UNIT * w + PT_PER_COLUMN for w in widths)


def fits(widths, landscape: bool) -> bool:
    """Whether the columns print one A4 page wide at 100 %."""
    return printed_width(widths) <= PAGE_WIDTH_PT[landscape] * 0.98


# --------------------------------------------------------------------------- atomic write

class Staged:
    """A file built beside its target, not yet in place."""

    def __init__(self, path: Path, tmp: str):
        self.path, self.tmp = path, tmp

    def commit(self) -> None:
        """Move it into place, with the mode the user's umask gives."""
        try:
            os.chmod(self.tmp, 0o666 & ~_umask())   # mkstemp makes 0600
            os.replace(self.tmp, self.path)
        except OSError as exc:
            raise WriteError(_os_message(self.path, exc), exc) from exc
        finally:
            self.discard()

    def discard(self) -> None:
        if os.path.exists(self.tmp):
            os.unlink(self.tmp)


def stage(path: Path, build: Callable[[str], object]) -> Staged:
    """Build `path`'s new content into a temporary file beside it (`build(tmp)`);
    commit() puts it in place. Refuses a missing folder and a read-only target."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if not parent.is_dir():
        raise WriteError(
            f"输出文件夹不存在：{parent} / the output folder does not exist: {parent}\n"
            "提示 / hint：先建立该文件夹，或用 -o 指定其他位置 / create it first, or pass -o with another path"
        )
    if path.is_dir():
        raise WriteError(f"输出位置是一个文件夹：{path} / the output path is a folder: {path}")
    if path.exists() and not os.stat(path).st_mode & stat.S_IWUSR:
        # Renaming over it would succeed on Linux; respect the mark as Windows does.
        raise WriteError(
            f"输出文件为只读，未覆盖：{path} / the output file is read-only; not overwritten: {path}\n"
            "提示 / hint：取消该文件的只读属性，或用 -o 另存为新文件 / clear its read-only flag, or pass -o with a new name"
        )
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".~{path.stem}.", suffix=".tmp", dir=parent)
        os.close(fd)
    except OSError as exc:
        raise WriteError(_os_message(path, exc), exc) from exc
    staged = Staged(path, tmp)
    try:
        build(tmp)
    except FileCreateError as exc:
        staged.discard()
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], OSError) else exc
        raise WriteError(_os_message(path, cause), cause) from exc
    except OSError as exc:
        staged.discard()
        raise WriteError(_os_message(path, exc), exc) from exc
    except BaseException:
        staged.discard()
        raise
    return staged


def atomic_write(path: str | os.PathLike, build: Callable[[str], object]) -> Path:
    """Write `path` completely or not at all: `build(tmp)` writes the content."""
    path = Path(path)
    stage(path, build).commit()
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """A UTF-8 text file, written atomically."""
    def build(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)
    return atomic_write(path, build)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


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


# --------------------------------------------------------------------------- formats

REPORT_FONT = "等线"       # Office's own CJK UI font; LibreOffice falls back to Noto CJK
TEMPLATE_FONT = "宋体"
INPUT_TINT = "#FFF2CC"     # what must be filled in
NOTE_TINT = "#DDEBF7"      # optional 备注/依据
BAND_TINT = "#D9D9D9"
HEADER_TINT = "#BDD7EE"


def report_formats() -> dict[str, dict]:
    """The ranking and per-unit workbooks' formats, by name."""
    base = {"font_name": REPORT_FONT, "font_size": BODY_PT, "valign": "vcenter"}
    border = {"border": 1, "border_color": "#BFBFBF"}

    def f(**kw):
        return {**base, **kw}

    head = {"bold": True, "bg_color": "#DDEBF7", "align": "center", "text_wrap": True, **border}
    formats = {
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
    for k, (fill, ink) in enumerate(GRADE_STYLES):
        formats[f"total_g{k}"] = f(bold=True, top=2, num_format="0.00", bg_color=fill, font_color=ink, **border)
        formats[f"grade_g{k}"] = f(bold=True, align="center", bg_color=fill, font_color=ink, **border)
    return formats


def template_formats() -> dict[str, dict]:
    """The fill-in template's formats, by name."""
    base = {"font_name": TEMPLATE_FONT, "font_size": 10, "valign": "vcenter", "border": 1, "text_wrap": True}
    return {
        "title": {"font_name": TEMPLATE_FONT, "font_size": 16, "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True},
        "label": {"font_name": TEMPLATE_FONT, "font_size": 11, "bold": True, "align": "right", "valign": "vcenter"},
        "unit": {"font_name": TEMPLATE_FONT, "font_size": 11, "bold": True, "bg_color": INPUT_TINT, "border": 1, "locked": False, "align": "center", "valign": "vcenter"},
        "contact": {"font_name": TEMPLATE_FONT, "font_size": 10, "bg_color": NOTE_TINT, "border": 1, "locked": False, "valign": "vcenter"},
        "hint": {"font_name": TEMPLATE_FONT, "font_size": 10, "italic": True, "font_color": "#7F4F00", "valign": "vcenter", "text_wrap": True},
        "header": base | {"bold": True, "bg_color": HEADER_TINT, "align": "center"},
        "band": base | {"bold": True, "font_size": 11, "bg_color": BAND_TINT, "text_wrap": False},
        "code": base | {"align": "center", "text_wrap": False},
        "cell": base,
        "center": base | {"align": "center"},
        "input": base | {"align": "center", "bg_color": INPUT_TINT, "locked": False},
        "input_text": base | {"bg_color": INPUT_TINT, "locked": False, "num_format": "@"},
        "input_pct": base | {"align": "center", "bg_color": INPUT_TINT, "locked": False, "num_format": "@"},
        "none": base | {"bg_color": "#F2F2F2", "align": "center"},
        "note": base | {"bg_color": NOTE_TINT, "locked": False},
        "guide_title": {"font_name": TEMPLATE_FONT, "font_size": 14, "bold": True},
        "guide_head": {"font_name": TEMPLATE_FONT, "font_size": 11, "bold": True, "text_wrap": True, "valign": "top"},
        "guide": {"font_name": TEMPLATE_FONT, "font_size": 10, "text_wrap": True, "valign": "top"},
    }


# --------------------------------------------------------------------------- the checked writer

class Checked:
    """A worksheet whose every call is checked: a negative return code raises."""

    def __init__(self, ws):
        self.ws = ws

    def __getattr__(self, name):
        method = getattr(self.ws, name)

        def call(*args, **kwargs):
            rc = method(*args, **kwargs)
            if isinstance(rc, int) and rc < 0:
                raise WriteError(f"xlsxwriter {name}{args[:2]} returned {rc}")
            return rc

        return call


class Book:
    """An xlsxwriter workbook opened the house's way, its formats made once.

    `formats`: name -> xlsxwriter format properties; `self.fmt[name]` is the format."""

    def __init__(self, path: str, *, properties: dict, formats: dict[str, dict], constant_memory: bool = False):
        # A fresh copy of the default font each time: xlsxwriter writes into it
        # (theme_font_name), and a shared dict made a process's first workbook
        # differ from the next ones (the default font's <scheme>).
        options = {**WORKBOOK_OPTIONS, "default_format_properties": dict(DEFAULT_FONT)}
        self.wb = xlsxwriter.Workbook(path, {"constant_memory": True, **options} if constant_memory else options)
        self.wb.set_properties(properties)
        self.path, self.constant_memory = path, constant_memory
        self.bodies: list = []                  # Body and RowsJob, spliced in at close
        self.jobs: list[RowsJob] = []           # every RowsJob started, attached or not
        self.created: datetime = properties.get("created")
        self.fmt = {name: self.wb.add_format(spec) for name, spec in formats.items()}

    def sheet(self, name: str, *, repeat: tuple[int, int] | None = None, landscape: bool = True,
              fit: bool = True, repeat_cols: tuple[int, int] | None = None) -> "Sheet":
        """A sheet printed on A4 at 100 %, centred, its name and the date in the header.
        `fit`: the layout is made to fit one page wide (fit-to-width then only guards
        a rounding overflow, it never shrinks far); otherwise the sheet is split
        across pages with `repeat_cols` repeated."""
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
        return Sheet(self, ws)

    def share(self, uses: dict[str, int]) -> dict[str, int]:
        """The workbook's shared strings (xl/sharedStrings.xml, which xlsxwriter
        writes) for a streamed body's cells to refer to rather than repeat (Sheet.body,
        rows_in_workers): `uses`, text -> how many cells hold it, in a fixed order;
        -> text -> its index. A national run's audit repeats a few thousand
        sentences, names and labels 180,000 times each: written once, the sheet is
        a third the size. Texts over 1,000 characters stay inline, and so does any
        text xlsxwriter would write into the table as rich-text XML ("<r>…</r>"):
        every text stays text."""
        table = self.wb.str_table
        shared: dict[str, int] = {}
        for text, count in uses.items():
            if text and text not in shared and len(text) <= 1000 and not (text.startswith("<r>") and text.endswith("</r>")):
                shared[text] = table._get_shared_string_index(text)
                table.count += count - 1      # sst count: every reference
        return shared

    def rows_in_workers(self, first_row: int, total: int | None, produce, styles, workers: int = 2,
                        repeated=None) -> RowsJob | None:
        """Start making a long body's rows in worker processes now (xlsxbody.RowsJob),
        to be attached to its sheet later (Sheet.attach); None for a short body,
        which the caller writes into its sheet itself. The styles take their
        indexes now either way, so that both give the same styles.xml (None: no
        format). `total` None: a long body whose rows only the worker counts.
        `repeated()`: the texts its cells repeat, for Book.share (the workers'
        rows refer to them)."""
        for name in styles:
            if name is not None:
                self.fmt[name]._get_xf_index()
        if not self.constant_memory or (total is not None and total < BULK_ROWS):
            return None
        shared = self.share(repeated()) if repeated is not None else None
        job = RowsJob(self.fmt, first_row, total, produce, styles, workers=workers, shared=shared)
        self.jobs.append(job)
        return job

    def close(self) -> None:
        """Write the package; streamed bodies are then spliced into their sheets."""
        try:
            for body in self.bodies:
                body.finish()
            self.wb.close()
            if self.bodies:
                _splice(self.path, self.bodies)
        finally:
            for body in self.bodies + [job for job in self.jobs if job not in self.bodies]:
                body.discard()


class Sheet:
    """Checked writes of text, figures and whole numbers; in constant-memory
    mode rows must be written in order."""

    def __init__(self, book: Book, ws):
        self.book, self.ws, self.fmt = book, ws, book.fmt
        self.col_width: dict[int, float] = {}

    @staticmethod
    def _check(rc: int, row: int, col: int) -> None:
        if rc not in (0, None):
            raise WriteError(f"内部错误：无法写入单元格 {xl_rowcol_to_cell(row, col)}（代码 {rc}） / "
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

    def head(self, row: int, labels: list[str], col: int = 0, style: str = "head", height: float | None = None) -> None:
        """Header cells from `col` on; `height` (points): the row's, else left as it is."""
        if height is not None:
            self.ws.set_row(row, height)
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
        self.ws.set_row(row, self.fit_height(cells, span, indent), None, options or {})

    def row(self, row: int, height: float | None, cells) -> None:
        """A whole row in one call: its height (points; None: the default) and its
        cells, ((column, style, value), ...) in column order, a str value written
        as text, a Whole as a whole number and an int as a figure in hundredths.
        Body.row streams the same."""
        self.ws.set_row(row, height, None, {})
        for col, style, value in cells:
            if isinstance(value, str) or value is None:
                self.text(row, col, value, style)
            elif isinstance(value, Whole):
                self.whole(row, col, value, style)
            else:
                self.figure(row, col, value, style)

    def merged(self, row: int, first: int, last: int, height: float | None, text: str, style: str) -> None:
        """A row `height` points high (None: the default) whose columns first..last
        are one merged cell holding `text`. Body.merged streams the same."""
        self.ws.set_row(row, height, None, {})
        self._check(self.ws.merge_range(row, first, row, last, "", self.fmt[style]), row, first)
        self.text(row, first, text, style)

    def fit_height(self, cells: dict[int, object], span: dict[int, int] | None = None,
                   indent: dict[int, float] | None = None) -> float | None:
        """The height (points) fit_row gives a row, None for the default."""
        pairs = []
        for c, text in cells.items():
            last = (span or {}).get(c, c)
            width = sum(self.col_width.get(k, 8.43) for k in range(c, last + 1)) - (indent or {}).get(c, 0)
            pairs.append((text, width))
        return fitted_height(row_height(pairs, BODY_PT))

    def body(self, first_row: int, rows: int, repeated=None) -> "Sheet | Body":
        """Where the sheet's bulk rows go, from `first_row` to its end: this sheet
        itself for a short body, else a streamed Body with the same calls.
        `repeated()`: the texts its cells repeat, for Book.share (a streamed body
        refers to them)."""
        if rows < STREAM_ROWS or not self.book.constant_memory:
            return self
        body = Body(self, first_row, self.book.share(repeated()) if repeated is not None else None)
        self.book.bodies.append(body)
        return body

    def attach(self, job: RowsJob) -> None:
        """Put rows made by Book.rows_in_workers into this sheet, from job.first_row on."""
        ws = self.ws
        if ws.dim_rowmax is not None and ws.dim_rowmax >= job.first_row:
            raise WriteError(f"internal error: rows up to {ws.dim_rowmax + 1} written before the body at {job.first_row + 1}")
        if ws.excel_version != 2007 or (ws.default_row_height, ws.original_row_height) != (20, 20):
            raise WriteError("internal error: rows made in workers for a sheet with other row defaults")
        ws._write_single_row(job.first_row)     # xlsxwriter's last row out first, as Body does
        job.ws = ws
        self.book.bodies.append(job)


@contextmanager
def gc_paused():
    """Python's cyclic collector off while a workbook is written: the writer makes
    millions of short-lived objects and no cycles, and every collection would walk
    all the live ones (the result's frames included)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()
