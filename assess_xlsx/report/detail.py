"""得分明细: every scoring row under its 一级/二级 subtotal rows, and the one writer of a
detail row that the per-unit 得分情况 sheet shares.
"""

from __future__ import annotations

from itertools import repeat

import pandas as pd

from ..figures import fmt
from ..labels import ITEM_SIDE_ZH
from ..textfit import lines_height
from ..xlsx import PAGE_WIDTH_PT, Book, Sheet, Whole, printed_width
from .facts import SHEETS, TRANSPOSE_AT, Facts, fit_width, title_of


def detail_rows(facts: Facts):
    """(kind, code, label, points, base Series|None, bonus Series|None) in outline order:
    one subtotal row per 一级 (level 0) and 二级 (level 1) above its rows (level 2)."""
    result = facts.result
    rb, rbo = result.rows["base"], result.rows["bonus"]
    sb, sbo = result.secondary["base"], result.secondary["bonus"]
    pb, pbo = result.primary["base"], result.primary["bonus"]
    # Each table walked once, grouped by hand (a filtered copy and its itertuples per
    # 二级 cost 1.5 ms each: most of a small run's 得分明细).
    secondaries: dict[str, list] = {}
    for s in facts.secondaries.itertuples():
        secondaries.setdefault(s.primary_code, []).append(s)
    rows: dict[str, list] = {}
    for row in facts.rows.itertuples():
        rows.setdefault(row.secondary_code, []).append(row)
    for p in facts.primaries.itertuples():
        pts = p.points if p.points else None
        yield ("l0", p.code, f"{p.code}. {p.name}　合计", pts, pb[p.code], pbo[p.code])
        for s in secondaries.get(p.code, ()):
            spts = facts.sec_points.get(s.secondary_code)
            yield ("l1", s.secondary_code, f"{s.secondary_code} {s.secondary}　小计",
                   None if pd.isna(spts) else int(spts), sb[s.secondary_code], sbo[s.secondary_code])
            for row in rows.get(s.secondary_code, ()):
                rpts = None if pd.isna(row.points) else int(row.points)
                yield ("l2", row.code, row.tertiary, rpts, rb[row.code] if rpts is not None else None, rbo[row.code])
    items = result.items
    for side, title in ITEM_SIDE_ZH.items():
        codes = list(facts.items.loc[facts.items["side"] == side, "code"])
        if not codes:
            continue
        total = items[codes].sum(axis=1) if len(items) else pd.Series(dtype="int64")
        yield ("l0", "", f"{title}　合计", None, None, total if side == "extra" else -total)
        for code in codes:
            yield ("l2", code, facts.item_names.get(code, ""), None, None,
                   items[code] if side == "extra" else -items[code])


def write_detail_row(sh: Sheet, r: int, row: tuple, units: list[str]) -> None:
    """One row of detail_rows at its outline level: code, label, points, then a
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


def detail_sheet(book: Book, facts: Facts) -> None:
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
    for row in detail_rows(facts):
        write_detail_row(sh, r, row, names)
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


def _detail_sheet_by_unit(book: Book, facts: Facts) -> None:
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
    sh.widths([6, fit_width(facts.scored + [facts.unit_word], 10, 30), 9])
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
    fulls = []
    for what, code in cols:
        full = pts_primary.get(code) if what == "p_base" else points.get(code) if what == "base" else None
        fulls.append(f"满分 {fmt(full)}" if full is not None and not pd.isna(full) and full else "")
    sh.fit_row(3, {3 + k: text for k, text in enumerate(fulls) if text})    # "满分 57.00" wraps in its narrow column
    sh.head(3, ["", "", ""])
    for k, text in enumerate(fulls):
        sh.text(3, 3 + k, text, "head")
    ws.freeze_panes(4, 2)
    frames = {"p_base": result.primary["base"], "p_bonus": result.primary["bonus"],
              "base": result.rows["base"], "bonus": result.rows["bonus"]}
    # Whole columns as int64 arrays, so the row loop only looks values up.
    order = list(facts.ranking.index)
    arrays = [(what, code, frames[what][code].reindex(order).to_numpy()) for what, code in cols]
    r = 4
    out = sh.body(r, len(order) * len(cols))    # counted in cells: a wide sheet
    ranking = facts.ranking
    # Each column's kind and full points once; the rows as tuples of Python ints (450,000 cells at 3,000 units).
    specs = [(3 + k, what, points[code] if what == "base" else None) for k, (what, code, _) in enumerate(arrays)]
    values = zip(*[[int(v) for v in column.tolist()] for _, _, column in arrays]) if arrays else repeat(())
    for unit, rank, total, row in zip(ranking.index, ranking["rank"].tolist(), ranking["total"].tolist(), values):
        cells = [(0, "rank", Whole(rank)), (1, "text", unit), (2, "total", total)]
        cells += [(c, ("full" if v >= full else "loss") if what == "base" else "num" if what == "p_base"
                   else "gain" if v else "zero", v) for (c, what, full), v in zip(specs, row)]
        out.row(r, None, cells)
        r += 1
