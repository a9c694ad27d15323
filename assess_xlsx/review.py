"""The review workbook of a drafted rules file (评分规则核对表.xlsx).

One line per row and item of the table: its text beside the drafted rule in
plain words (每件扣0.5分，最多扣2分), its status (已识别 / 需确认 / 未能识别)
and why a person must look, so a clerk can check the draft without reading
TOML. Print-ready: A4 landscape, the header repeated on every page, text
wrapped, 10 pt.
"""

from __future__ import annotations

import math
import os
from datetime import date, datetime, time
from pathlib import Path

from .figures import fmt_short
from .labels import ITEM_SIDE_ZH
from .rules.draft import CONFIRM, UNRECOGNISED
from .rules.drafting import ItemEntry, TableDraft, filled_by, plain_rule
from .textfit import display_width
from .xlsx import Book, atomic_write, report_formats

def review_path(rules: Path) -> Path:
    """The review workbook of a drafted rules file: beside it, named after it
    (rules-2023.toml -> rules-2023.核对表.xlsx), so one table's review never
    overwrites another's."""
    return rules.with_name(f"{rules.stem}.核对表.xlsx")

SHEET = "评分规则核对"
COLUMNS = (   # (header, width)
    ("编号", 6), ("三级指标", 11), ("赋分", 5), ("原文（扣分标准 / 加分标准）", 34),
    ("拟定的规则（白话）", 28), ("填报项", 22), ("状态", 7), ("需确认的原因", 22), ("填报单位", 8),
)   # 143 in all: one A4 landscape page wide at full size, so the 10 pt text prints at 10 pt
HEAD_ROW = 2


def write_review(draft: TableDraft, path: str | os.PathLike, created: datetime | None = None) -> Path:
    """Write the review workbook to `path` (completely or not at all)."""
    created = created or datetime.combine(date.today(), time())
    return atomic_write(Path(path), lambda tmp: _build(draft, tmp, created))


def _height(cells) -> float:
    """A row's height in points for its wrapped text (no reader fits it on opening)."""
    lines = 1
    for (_, width), value in zip(COLUMNS, cells):
        lines = max(lines, sum(max(1, math.ceil(display_width(p) / (width * 1.05))) for p in str(value).split("\n")))
    return 13 * lines + 4


def _formats() -> dict[str, dict]:
    f = report_formats()
    f["confirm"] = {**f["wrap"], "bg_color": "#FFF2CC", "bold": True}
    f["unrecognised"] = {**f["wrap"], "bg_color": "#FCE4D6", "font_color": "#C00000", "bold": True}
    return f


def _build(draft: TableDraft, path: str, created: datetime) -> None:
    book = Book(path, formats=_formats(), properties={
        "title": f"{draft.name}（评分规则核对表）", "subject": "评分规则草稿核对",
        "author": "assess-xlsx", "created": created,
    })
    sheet = book.sheet(SHEET, repeat=(HEAD_ROW, HEAD_ROW))
    sheet.widths([w for _, w in COLUMNS])
    sheet.text(0, 0, f"{draft.name} 评分规则核对表", "title")
    counts = draft.counts()
    sheet.text(1, 0, "；".join(f"{k} {v} 行" for k, v in counts.items())
               + "。请逐行核对“需确认”“未能识别”的行，在规则文件中改定后再生成填报模板。", "subtitle")
    sheet.head(HEAD_ROW, [h for h, _ in COLUMNS])
    r = HEAD_ROW + 1
    for e in draft.entries():
        if isinstance(e, ItemEntry):
            title, points, text = ITEM_SIDE_ZH[e.side], "", e.text
        else:
            title = e.tertiary
            points = "" if e.points is None else fmt_short(e.points)
            text = "\n".join(f"{k}：{t}" for k, t in (("扣分", e.deduction_text), ("加分", e.bonus_text)) if t)
        inputs = "\n".join(f"{s.id}. {s.label}（{s.kind}{'，' + s.unit if s.unit else ''}）" for s in e.draft.inputs)
        style = {CONFIRM: "confirm", UNRECOGNISED: "unrecognised"}.get(e.status, "wrap")
        cells = (e.code, title, points, text, plain_rule(e), inputs, e.status, "\n".join(e.reasons), filled_by(e.method))
        for c, value in enumerate(cells):
            sheet.text(r, c, value, style if c == 6 else "wrap")
        sheet.ws.set_row(r, _height(cells))
        r += 1
    book.close()
