"""The ranking workbook's parts about who filled what (issue 14).

自评与核定: every difference between a unit's own value (自评) and an
assessor's (核定, the value scored), with both sources. For 提交情况: each
assessor's sheet and the inputs each assessor still owes. For the per-unit
workbook: the unit's own value beside the assessor's where they differ.
The report package calls these; they write rows in order (constant-memory sheets)
and return the next free row.
"""

from __future__ import annotations

import pandas as pd

from ..labels import FILE_STATUS_ZH, STATUS_ZH
from ..xlsx import Book, Sheet, Whole

REVIEW_SHEET = "自评与核定"
REVIEW_HEAD = ["单位", "编号", "填报内容", "自评", "核定", "核定单位", "自评来源", "核定来源"]


def _reviews(result) -> pd.DataFrame:
    return result.reviews if getattr(result, "reviews", None) is not None else pd.DataFrame(columns=[
        "city", "code", "label", "own", "judged", "assessor", "own_source", "judged_source"])


def _owed(result) -> pd.DataFrame:
    return result.owed if getattr(result, "owed", None) is not None else pd.DataFrame(columns=["assessor", "code", "city"])


def review_sheet(book: Book, result) -> None:
    """自评与核定: one row per difference; the 核定 value is the one scored."""
    reviews = _reviews(result)
    sh = book.sheet(REVIEW_SHEET, repeat=(2, 2))
    sh.widths([10, 8, 30, 10, 10, 14, 24, 24])     # A4 landscape at 100 %
    sh.text(0, 0, "自评与核定", "title")
    sh.banner(1, (f"{len(reviews)} 处核定值与单位自评不同，按核定值计分。" if len(reviews)
                  else "核定值与单位自评没有不同之处。"), len(REVIEW_HEAD) - 1)
    sh.head(2, REVIEW_HEAD)
    sh.ws.freeze_panes(3, 1)
    r = 3
    wrapped = (2, 6, 7)
    for rec in reviews.itertuples(index=False):
        values = (rec.city, rec.code, rec.label, rec.own, rec.judged, rec.assessor, rec.own_source, rec.judged_source)
        sh.fit_row(r, {c: values[c] for c in wrapped})      # wrapped texts print whole, not one line high
        for c, value in enumerate(values):
            sh.text(r, c, value, "wrap" if c in wrapped else "text")
        r += 1
    if r > 3:
        sh.ws.autofilter(2, 0, r - 1, len(REVIEW_HEAD) - 1)


def assessors_block(out, r: int, result) -> int:
    """提交情况's part on the assessors: their sheets, then what each still owes.
    `out`: the sheet or its streamed Body (rows in order, the calls both have)."""
    files = result.files
    mine = files[files["assessor"].astype(str) != ""] if "assessor" in files.columns else files.iloc[0:0]
    out.text(r, 0, "核定表", "section")
    r += 1
    # The assessor, then its file in the wide column, as the tables above put unit and file.
    out.head(r, ["核定单位", "文件", "状态", "核定项数", "问题数"])
    r += 1
    if not len(mine):
        out.text(r, 0, "（未收到核定表）", "muted")
        r += 1
    for rec in mine.itertuples(index=False):
        style = "error" if rec.status in ("rejected", "unreadable") else "text"
        who, file = str(rec.assessor or "—"), str(rec.file)
        out.row(r, out.fit_height({0: who, 1: file}), [
            (0, "error_wrap" if style == "error" else "wrap", who), (1, "error_wrap" if style == "error" else "wrap", file),
            (2, style, FILE_STATUS_ZH.get(rec.status, rec.status)),
            (3, "rank", Whole.of(rec.inputs)), (4, "rank", Whole.of(rec.problems))])
        r += 1
    owed = _owed(result)
    r += 1
    out.text(r, 0, "尚待核定" if len(owed) else "各核定单位已全部核定。", "section")
    r += 1
    if not len(owed):
        return r
    out.head(r, ["核定单位", "编号", "单位"])
    r += 1
    every = len(result.roster.units)
    for assessor, group in owed.groupby("assessor", sort=False):
        by_units: dict[tuple, list[str]] = {}
        for code, units in group.groupby("code", sort=False)["city"]:
            by_units.setdefault(tuple(units), []).append(code)
        for units, codes in by_units.items():
            # As tall as its lists: which inputs are owed must print whole. A space after
            # each 、 lets a line break between codes (LibreOffice breaks inside "2.1.3a" else).
            listed, whom = "、 ".join(codes), f"全部{every}个单位" if len(units) == every else "、".join(units)
            out.row(r, out.fit_height({1: listed, 2: whom}), [(0, "error", str(assessor)), (1, "wrap", listed),
                                                             (2, "wrap", whom)])
            r += 1
    return r


def pending_reason(owed: list[tuple[str, int]]) -> str:
    """Why a 待核定 unit is not ranked: which assessors owe how many of its
    inputs (`owed`: the unit's entry of scoring.owed_by_unit)."""
    who = "、".join(f"{a}{n}项" for a, n in owed)
    return f"{STATUS_ZH['pending']}：{who}尚未核定，未计分、未排名（详见“提交情况”表）"


def unit_reviews_block(sh: Sheet, r: int, result, unit: str) -> int:
    """For the unit's own workbook: its 自评 beside the 核定 scored, where they differ."""
    reviews = _reviews(result)
    mine = reviews[reviews["city"] == unit]
    if not len(mine):
        return r
    sh.text(r, 0, "自评与核定（按核定值计分）", "section")
    r += 1
    sh.head(r, ["编号", "填报内容", "自评", "核定", "核定单位"])
    r += 1
    for rec in mine.itertuples(index=False):
        sh.fit_row(r, {1: rec.label})
        for c, value in enumerate((rec.code, rec.label, rec.own, rec.judged, rec.assessor)):
            sh.text(r, c, value, "wrap" if c == 1 else "text")
        r += 1
    return r
