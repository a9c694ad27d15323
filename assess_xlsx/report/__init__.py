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
    自评与核定    every 核定 value that differs from the unit's 自评 (review.py)
    提交情况      every unit and file with its status, and every problem found
    说明          for the reader: the scheme, how figures, ranks and grades are made,
                  what changed, the date and the version
    文件校验      each file read with its SHA-256
    _快照         hidden: the run packed for the next run's change log

and `write_per_city(result, folder)` one small workbook per unit to send back.

The package, cut by what each module owns: facts.py (what every sheet needs
from a Result, the sheet names, the book), summary.py (总排名, 变更记录, 分项得分,
说明, 文件校验, _快照), detail.py (得分明细 and the one detail-row writer),
audit.py (扣分加分依据, 提交情况), review.py (自评与核定 and the parts on
who fills what: assessors' sheets, what they owe, 待核定 reasons), city.py (the per-unit workbook). Every sheet
prints on A4 at 100 % (10 pt body text); wrapped texts get row heights from
textfit.py rather than being shrunk to fit.

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

import os
import re
from datetime import date, datetime, time
from pathlib import Path

from ..errors import WriteError
from ..xlsx import _os_message, atomic_write, gc_paused
from .audit import audit_sheet, explanation, files_sheet, start_audit
from .city import build_city
from .detail import detail_sheet
from .facts import PER_CITY_SHEETS, SHEETS, TRANSPOSE_AT, Facts, new_book, title_of
from .review import review_sheet
from .summary import (about_sheet, changes_sheet, checksums_sheet, primary_sheet, ranking_sheet, snapshot_sheet,
                      start_snapshot)

__all__ = ["PER_CITY_SHEETS", "SHEETS", "TRANSPOSE_AT", "ReportError", "explanation", "safe_filename", "title_of",
           "write_per_city", "write_workbook"]

ReportError = WriteError   # the error write_workbook and write_per_city raise


def write_workbook(result, path: str | os.PathLike, *, created: datetime | None = None, changes=None) -> Path:
    """Write the ranking workbook for `result` to `path`, completely or not at all.

    `created` pins the document date (default: today, 00:00), `changes` is the
    ChangeLog against the previous output (None: no 变更记录 sheet).
    """
    path = Path(path)
    created = _created(created)
    with gc_paused():
        return atomic_write(path, lambda tmp: _build_summary(result, tmp, created, changes))


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
    facts = Facts(result)   # once, not per unit
    paths = []
    for unit in result.cities.index:
        target = folder / f"{safe_filename(unit)}.xlsx"
        atomic_write(target, lambda tmp, unit=unit: build_city(facts, unit, tmp, created))
        paths.append(target)
    return paths


def safe_filename(name: str) -> str:
    """A unit's name as a file name on Windows as well: reserved characters become ＿."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "＿", name).strip(" .")
    return cleaned or "未命名单位"


def _created(created: datetime | None) -> datetime:
    return created if created is not None else datetime.combine(date.today(), time())


def _build_summary(result, path: str, created: datetime, changes) -> None:
    facts = Facts(result)
    book = new_book(path, created, title_of(facts.scheme))
    # The audit's rows are the bulk of a national run: begun in workers now, while the other sheets are written.
    audit_rows = start_audit(book, facts, facts.result.audit)
    snapshot_rows, packed = start_snapshot(book, result)
    ranking_sheet(book, facts)
    # Nothing changed: no sheet (说明 says so), rather than a page that says nothing.
    if changes is not None and not changes.empty:
        changes_sheet(book, facts, changes)
    primary_sheet(book, facts)
    detail_sheet(book, facts)
    audit_sheet(book, facts, facts.result.audit, SHEETS["audit"], job=audit_rows)
    review_sheet(book, facts.result)
    files_sheet(book, facts, None, SHEETS["files"])
    about_sheet(book, facts, changes)
    checksums_sheet(book, facts)
    snapshot_sheet(book, packed, job=snapshot_rows)
    book.close()
