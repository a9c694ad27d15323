"""The per-unit workbook: 得分情况 with the key figures and the unit's rows, then its
扣分加分依据 and 提交情况.
"""

from __future__ import annotations

from datetime import datetime

from ..labels import SCORED, STATUS_ZH
from .audit import audit_sheet, files_sheet
from .detail import detail_rows, write_detail_row
from .facts import PER_CITY_SHEETS, Facts, new_book, title_of


def build_city(facts: Facts, unit: str, path: str, created: datetime) -> None:
    result = facts.result
    book = new_book(path, created, f"{title_of(facts.scheme)}：{unit}")
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
        facts_rows = [("状态", STATUS_ZH[rec["status"]], None, "error"),
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
        audit_sheet(book, facts, facts.result.audit.iloc[0:0], PER_CITY_SHEETS["audit"], with_unit=False)
        files_sheet(book, facts, unit, PER_CITY_SHEETS["files"])
        book.close()
        return
    sh.head(head_row, ["编号", "指标", "赋分", "基础得分", "加分", "名次"])
    ws.freeze_panes(head_row + 1, 2)
    ws.outline_settings(True, False, True, False)
    prim_rank = result.primary["rank"]
    r = head_row + 1
    for row in detail_rows(facts):
        kind, code = row[0], row[1]
        write_detail_row(sh, r, row, [unit])
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
    audit_sheet(book, facts, audit[audit["city"] == unit], PER_CITY_SHEETS["audit"], with_unit=False)
    files_sheet(book, facts, unit, PER_CITY_SHEETS["files"])
    book.close()
