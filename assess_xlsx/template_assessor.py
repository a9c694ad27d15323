"""The assessor's sheet (核定表): one row per input it judges, one column per unit.

`write_assessor_sheet(scheme, path, assessor, roster)` writes sheet 核定表: a
title, the 核定单位 label with the assessor's name in the cell to its right,
then the header row 编号 | 指标 | 核定内容（评分规则、填写要求） | one column per
roster unit, headed by the unit's name exactly as in the roster. One row per
input the assessor fills (考核办: every input), each with the input kind's data
validation over its unit cells. Protected: only the unit cells are unlocked.
The reader (intake/assessed.py) finds the header by its text: 编号 and unit names.
"""

from __future__ import annotations

import os
from pathlib import Path

from xlsxwriter.utility import xl_rowcol_to_cell

from .errors import TemplateError
from .intake.contract import ASSESSOR_LABEL, CODE_HEADER, NAME_HEADER, RULE_HEADER, WIDE_SHEET
from .roster import DEFAULT_ROSTER, Roster
from .rules.inputs import requirement, validation
from .rules.roles import OFFICE, assessors, may_fill
from .template import CREATED, template_rows
from .textfit import lines_height, text_lines
from .xlsx import Book, Checked, atomic_write, template_formats

TITLE_ROW, ASSESSOR_ROW, HINT_ROW, HEADER_ROW = 0, 1, 2, 3      # zero-based
FIXED = ((CODE_HEADER, 9), (NAME_HEADER, 36), (RULE_HEADER, 40))
UNIT_WIDTH = 11


def check_assessor(scheme, assessor: str) -> None:
    known = assessors(scheme.rules)
    if assessor not in known:
        raise TemplateError(f"“{assessor}”不是本方案的核定单位 / {assessor!r} is not an assessor of this scheme; "
                            f"one of: {'、'.join(known)}")


def assessor_records(scheme, assessor: str) -> list[dict]:
    """The template's input records that `assessor` fills, in table order."""
    return [r for r in template_rows(scheme) if r["kind"] == "input" and may_fill(assessor, r["spec"].filled_by)
            and (assessor == OFFICE or r["spec"].filled_by == assessor)]


def write_assessor_sheet(scheme, path: str | os.PathLike, assessor: str, roster: Roster = DEFAULT_ROSTER) -> Path:
    """Write `assessor`'s wide sheet for every unit of `roster` to `path` (atomically)."""
    path = Path(path)
    check_assessor(scheme, assessor)
    records = assessor_records(scheme, assessor)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise TemplateError(f"文件夹不存在 / folder does not exist: {folder}")
    return atomic_write(path, lambda tmp: _write(scheme, records, tmp, assessor, roster))


def _write(scheme, records: list[dict], path: str, assessor: str, roster: Roster) -> None:
    book = Book(path, formats=template_formats(), properties={
        "title": f"{scheme.name}（核定表·{assessor}）",
        "subject": "政务公开工作考核核定表",
        "author": "assess-xlsx",
        "created": CREATED,
        "comments": "编号列和各单位列供程序读取，请勿修改 / the 编号 column and the unit columns are read by program",
    })
    wb, f = book.wb, book.fmt
    ws = wb.add_worksheet(WIDE_SHEET)
    w = Checked(ws)
    units = list(roster.units)
    first_unit = len(FIXED)
    last = first_unit + len(units) - 1
    for c, (_, width) in enumerate(FIXED):
        w.set_column(c, c, width)
    w.set_column(first_unit, last, UNIT_WIDTH)

    w.merge_range(TITLE_ROW, 0, TITLE_ROW, max(last, 2), f"{scheme.name}（核定表）", f["title"])
    w.set_row(TITLE_ROW, 30)
    w.write_string(ASSESSOR_ROW, 0, ASSESSOR_LABEL, f["label"])
    w.write_string(ASSESSOR_ROW, 1, assessor, f["center"])     # filled in and locked: trust comes from the folder
    w.merge_range(HINT_ROW, 0, HINT_ROW, max(last, 2),
                  "只在黄色单元格中填写各单位的核定值；不要修改“编号”列和各单位名称，不要删除行或列。"
                  "本表放入收件夹的“核定”文件夹，由考核办汇总。", f["hint"])
    w.set_row(HINT_ROW, 28)
    for c, (name, _) in enumerate(FIXED):
        w.write_string(HEADER_ROW, c, name, f["header"])
    for k, unit in enumerate(units):
        w.write_string(HEADER_ROW, first_unit + k, unit, f["header"])
    w.set_row(HEADER_ROW, 30)

    r = HEADER_ROW + 1
    for rec in records:
        spec = rec["spec"]
        rule = f"{rec['tertiary'] or rec['secondary']}：{spec.label}"
        req = requirement(spec)
        content = "\n".join(t for t in (req, rec["rule"]) if t)
        w.write_string(r, 0, spec.code, f["code"])
        w.write_string(r, 1, rule, f["cell"])
        w.write_string(r, 2, content, f["cell"])
        fmt_name = spec.type.template_format(spec)
        for c in range(first_unit, last + 1):
            w.write_blank(r, c, None, f[fmt_name])
        if units:
            w.data_validation(r, first_unit, r, last, validation(spec, xl_rowcol_to_cell(r, first_unit)))
        w.set_row(r, lines_height(min(max(text_lines(rule, 36), text_lines(content, 40)), 12)))
        r += 1

    w.freeze_panes(HEADER_ROW + 1, first_unit)
    w.repeat_rows(HEADER_ROW)
    w.repeat_columns(0, first_unit - 1)
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(0, 0)
    ws.set_margins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    ws.hide_gridlines(2)
    ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True})
    ws.activate()
    wb.close()
