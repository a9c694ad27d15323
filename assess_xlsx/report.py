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

import os
import re
from datetime import date, datetime, time
from pathlib import Path

import pandas as pd

from . import __version__
from .changes import SNAPSHOT_SHEET, snapshot
from .errors import WriteError
from .figures import fmt
from .findings import ERROR, INFO, WARNING
from .labels import FILE_STATUS_ZH, ITEM_SIDE_ZH, MISSING, REJECTED, SCORED, SEVERITY_ZH, STATUS_ZH
from .scoring import RANKINGS
from .xlsx import REPORT_FONT, Book, Sheet, _os_message, atomic_write, display_width, gc_paused, report_formats

ReportError = WriteError   # the error write_workbook and write_per_city raise

SHEETS = {
    "ranking": "总排名",
    "changes": "变更记录",
    "primary": "分项得分",
    "detail": "得分明细",
    "audit": "扣分加分依据",
    "files": "提交情况",
    "about": "说明",
}
PER_CITY_SHEETS = {"summary": "得分情况", "audit": "扣分加分依据", "files": "提交情况"}

TRANSPOSE_AT = 60         # more units than this: 得分明细 has one row per unit instead
CHART_AT_MOST = 60        # more bars than this make no readable chart


# --------------------------------------------------------------------------- public API

def write_workbook(result, path: str | os.PathLike, *, created: datetime | None = None, changes=None,
                   packed: pd.DataFrame | None = None) -> Path:
    """Write the ranking workbook for `result` to `path`, completely or not at all.

    `created` pins the document date (default: today, 00:00), `changes` is the
    ChangeLog against the previous output (None: no 变更记录 sheet), `packed`
    the run's snapshot when the caller has made it already (changes.snapshot).
    """
    path = Path(path)
    created = _created(created)
    packed = snapshot(result) if packed is None else packed
    with gc_paused():
        return atomic_write(path, lambda tmp: _build_summary(result, tmp, created, changes, packed))


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
        atomic_write(target, lambda tmp, unit=unit: _build_city(facts, unit, tmp, created))
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


# --------------------------------------------------------------------------- the book

def _fit(texts, lo: float = 6, hi: float = 60) -> float:
    widest = max((display_width(t) for t in texts), default=0)
    return max(lo, min(hi, widest + 2))


def _book(path: str, created: datetime, title: str) -> Book:
    """An xlsxwriter workbook with the house's formats, made once, and checked writes."""
    return Book(path, constant_memory=True, formats=report_formats(), properties={
        "title": title,
        "author": "assess-xlsx",
        "company": "",
        "comments": f"assess-xlsx {__version__}",
        "created": created,
    })


# --------------------------------------------------------------------------- shared facts

class _Facts:
    """What every sheet needs from the result, computed once."""

    def __init__(self, result):
        self.result = result
        self.scheme = result.table
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
        self.item_names = {c: (rules.items[c].name if c in rules.items else "") for c in self.items["code"]}
        self.labels = dict(zip(rows["code"], rows["tertiary"]))
        self.labels.update(self.item_names)
        self.unit_word = "城市" if all(u.endswith("市") for u in result.roster.units) else "被考核单位"
        self.findings = list(result.findings)
        self.files = result.files
        self.errors_by_unit = result.findings.errors_by_unit()
        self.findings_by_unit = result.findings.by_unit()
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
        if status == MISSING:
            return "未收到填报表"
        found = self.errors_by_unit.get(unit, [])
        first = f"；首个：{found[0].where}" if found else ""
        return f"填报数据有 {len(found)} 处错误，未计分（详见“{SHEETS['files']}”表）{first}"

    def unit_files(self, unit: str) -> list[str]:
        return self.files_by_unit.get(unit, [])


# --------------------------------------------------------------------------- summary workbook

def _build_summary(result, path: str, created: datetime, changes, packed: pd.DataFrame) -> None:
    facts = _Facts(result)
    book = _book(path, created, title_of(facts.scheme))
    _ranking_sheet(book, facts)
    if changes is not None:
        _changes_sheet(book, facts, changes)
    _primary_sheet(book, facts)
    _detail_sheet(book, facts)
    _audit_sheet(book, facts, facts.result.audit, SHEETS["audit"])
    _files_sheet(book, facts, None, SHEETS["files"])
    _about_sheet(book, facts)
    _snapshot_sheet(book, packed)
    book.close()


def _ranking_sheet(book: Book, facts: _Facts) -> None:
    sh = book.sheet(SHEETS["ranking"], repeat=(3, 3), landscape=False)
    ws = sh.ws
    cities = facts.cities
    unit = facts.unit_word
    header = ["名次", unit, "基础得分", "加分", "综合加分", "重大扣分", "总分", "等次"]
    names = list(facts.ranking.index)
    sh.widths([6, _fit(names + [unit], 10, 30), 10, 8, 10, 10, 10, 8])
    sh.text(0, 0, title_of(facts.scheme), "title")
    sh.text(1, 0, f"考核方案：《{facts.scheme.name}》　生成日期：{book.created:%Y年%m月%d日}", "subtitle")
    sh.text(2, 0, f"总分 = 基础得分 + 加分 + 综合加分 − 重大扣分；{RANKINGS[facts.result.settings.ranking][1]}。"
                  "每一处扣分、加分的来历见“扣分加分依据”表。", "subtitle")
    sh.head(3, header)
    ws.freeze_panes(4, 2)
    r = 4
    for rec in facts.ranking.itertuples():
        sh.whole(r, 0, rec.rank)
        sh.text(r, 1, rec.Index)
        sh.figure(r, 2, rec.base)
        sh.figure(r, 3, rec.bonus)
        sh.figure(r, 4, rec.extra)
        sh.figure(r, 5, -int(rec.major), "neg")
        sh.figure(r, 6, rec.total, "total")
        sh.text(r, 7, rec.grade, "center")
        r += 1
    first, last = 4, r - 1
    if names:
        ws.conditional_format(first, 6, last, 6, {"type": "3_color_scale", "min_color": "#F8696B",
                                                  "mid_color": "#FFEB84", "max_color": "#63BE7B"})
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
            lines = -(-display_width(reason) // 46)
            ws.set_row(r, 14 * lines if lines > 1 else None)
            sh.text(r, 0, "—", "center")
            sh.text(r, 1, name, "error")
            sh.text(r, 2, STATUS_ZH[rec["status"]], "error")
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
            "data_labels": {"value": True, "num_format": "0.00", "font": {"name": REPORT_FONT, "size": 8}},
            "gap": 60,
        })
        chart.set_title({"name": "总分", "name_font": {"name": REPORT_FONT, "size": 12}})
        chart.set_legend({"none": True})
        chart.set_y_axis({"reverse": True, "num_font": {"name": REPORT_FONT, "size": 9}})   # rank 1 at the top
        chart.set_x_axis({"num_format": "0", "num_font": {"name": REPORT_FONT, "size": 9},
                          "major_gridlines": {"visible": True, "line": {"color": "#D9D9D9"}}})
        chart.set_size({"width": 600, "height": 80 + 24 * len(names)})
        # Below the table, so the page stays one A4 wide and the chart prints with it.
        ws.insert_chart(r + 1, 0, chart, {"y_offset": 4})


def _changes_sheet(book: Book, facts: _Facts, changes) -> None:
    sh = book.sheet(SHEETS["changes"], repeat=(2, 2))
    unit = facts.unit_word
    sh.widths([14, 10, 36, 14, 14, 14])
    sh.text(0, 0, "与上次结果相比的变化", "title")
    if changes.empty:
        sh.text(1, 0, "与上次结果相比没有变化：各单位的状态、得分、名次、等次和填报值都与上次相同。", "subtitle")
        return
    sh.text(1, 0, f"共 {len(changes.changed_cities())} 个单位有变化：" + "、".join(changes.changed_cities()), "subtitle")
    sh.head(2, [unit, "编号", "项目", "原值", "新值"])
    sh.ws.freeze_panes(3, 1)
    r = 3
    for rec in changes.cities.itertuples():
        sh.text(r, 0, rec.city)
        sh.text(r, 1, rec.code or "—", "center")
        sh.text(r, 2, rec.label if rec.code == "" else f"{facts.labels.get(rec.code, '')} {rec.label}".strip())
        sh.text(r, 3, rec.old or "—")
        sh.text(r, 4, rec.new or "—", "gain")
        r += 1
    r += 1
    sh.text(r, 0, "引起变化的填报内容", "section")
    r += 1
    if changes.inputs.empty:
        sh.text(r, 0, "填报值没有变化（变化来自评分规则、名单或其他单位）。", "subtitle")
        return
    sh.head(r, [unit, "编号", "文件", "单元格", "原填报值", "新填报值"])
    r += 1
    for rec in changes.inputs.itertuples():
        sh.text(r, 0, rec.city)
        sh.text(r, 1, rec.code, "center")
        sh.text(r, 2, rec.file)
        sh.text(r, 3, rec.cell, "center")
        sh.text(r, 4, rec.old or "（空）")
        sh.text(r, 5, rec.new or "（空）", "gain")
        r += 1


def _primary_sheet(book: Book, facts: _Facts) -> None:
    sh = book.sheet(SHEETS["primary"], repeat=(2, 3))
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
    out = sh.body(r, len(names) * (3 * n + 6))
    for i, rec in enumerate(facts.ranking.itertuples()):
        out.whole(r, 0, rec.rank)
        out.text(r, 1, rec.Index)
        for k in range(n):
            c = 2 + 3 * k
            out.figure(r, c, base[i, k], styles[k])
            out.figure(r, c + 1, bonus[i, k], "gain" if bonus[i, k] else "zero")
            out.whole(r, c + 2, rank[i, k])
        out.figure(r, end, rec.base)
        out.figure(r, end + 1, rec.bonus)
        out.figure(r, end + 2, int(rec.extra) - int(rec.major), "neg")
        out.figure(r, end + 3, rec.total, "total")
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
    for side, title in ITEM_SIDE_ZH.items():
        codes = list(facts.items.loc[facts.items["side"] == side, "code"])
        if not codes:
            continue
        total = items[codes].sum(axis=1) if len(items) else pd.Series(dtype="int64")
        yield ("l0", "", f"{title}　合计", None, None, total if side == "extra" else -total)
        for code in codes:
            yield ("l2", code, facts.item_names.get(code, ""), None, None,
                   items[code] if side == "extra" else -items[code])


def _write_detail_row(sh: Sheet, r: int, row: tuple, units: list[str]) -> None:
    """One row of _detail_rows at its outline level: code, label, points, then a
    base and a bonus cell per unit (full marks, losses and bonuses styled apart)."""
    kind, code, label, points, base, bonus = row
    level = {"l0": 0, "l1": 1, "l2": 2}[kind]
    sh.ws.set_row(r, None, None, {"level": level} if level else {})
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


def _detail_sheet(book: Book, facts: _Facts) -> None:
    if len(facts.scored) > TRANSPOSE_AT:
        _detail_sheet_by_unit(book, facts)
        return
    sh = book.sheet(SHEETS["detail"], repeat=(2, 3))
    ws = sh.ws
    ws.outline_settings(True, False, True, False)   # summary rows above their detail
    names = facts.scored
    sh.widths([8, 44, 7])
    ws.set_column(3, 3 + 2 * len(names) - 1, 7.5)
    sh.text(0, 0, f"{title_of(facts.scheme)}：得分明细", "title")
    sh.text(1, 0, "每个单位两列：基础得分（绿色＝满分，红色＝有扣分）和加分（蓝色）；点左侧“−”可折叠到一级、二级指标。"
                  "综合加分项、重大扣分项列在最后。", "subtitle")
    ws.set_row(2, 30)
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
    ws.set_row(r, None, None, {})
    sh.text(r, 0, "", "total_text")
    sh.text(r, 1, "总分（基础得分 + 加分 + 综合加分 − 重大扣分）", "total_text")
    sh.figure(r, 2, facts.rows["points"].sum(), "total")
    for k, name in enumerate(names):
        rec = facts.cities.loc[name]
        sh.figure(r, 3 + 2 * k, rec["base"], "total")
        sh.figure(r, 4 + 2 * k, int(rec["total"]) - int(rec["base"]), "total")


def _detail_sheet_by_unit(book: Book, facts: _Facts) -> None:
    """Past TRANSPOSE_AT units, one row per unit: 一级 subtotals, then every row's base and bonus."""
    sh = book.sheet(SHEETS["detail"], repeat=(2, 3))
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
    out = sh.body(r, len(order) * len(cols))
    for i, rec in enumerate(facts.ranking.itertuples()):
        out.whole(r, 0, rec.rank)
        out.text(r, 1, rec.Index)
        out.figure(r, 2, rec.total, "total")
        for k, (what, code, values) in enumerate(arrays):
            v = int(values[i])
            if what == "base":
                style = "full" if v >= points[code] else "loss"
            elif what in ("bonus", "p_bonus"):
                style = "gain" if v else "zero"
            else:
                style = "num"
            out.figure(r, 3 + k, v, style)
        r += 1


def _audit_sheet(book: Book, facts: _Facts, audit: pd.DataFrame, name: str, with_unit: bool = True) -> None:
    """One row per deduction or bonus, the same facts in six dense columns: 依据与计算
    holds what was filled in (填报：…) and the rule's computation with its result (计算：…)."""
    sh = book.sheet(name, repeat=(2, 2))
    ws = sh.ws
    unit = facts.unit_word
    header = ([unit] if with_unit else []) + ["编号", "指标", "依据与计算", "得分变化", "来源"]
    widths = ([12] if with_unit else []) + [8, 24, 70, 9, 30]
    sh.widths(widths)
    sh.text(0, 0, "扣分、加分依据", "title")
    sh.text(1, 0, "每一处扣分、加分一行：按评分规则的计算过程（所填内容及结果）和来源单元格；得分变化为负是扣分，为正是加分。"
            "可用表头的筛选按钮按单位或编号筛选。" if len(audit) else "没有任何扣分或加分。", "subtitle")
    sh.head(2, header)
    ws.freeze_panes(3, 2 if with_unit else 1)
    r = 3
    out = sh.body(r, len(audit))
    c = 1 if with_unit else 0
    labels = facts.labels
    signed = {"deduct": -1, "major": -1, "bonus": 1, "extra": 1}
    cols = [audit[k].tolist() for k in ("city", "code", "side", "amount", "inputs", "sentence", "result", "sources")]
    for city, code, side, amount, inputs, sentence, result, sources in zip(*cols):
        if with_unit:
            out.text(r, 0, city)
        out.text(r, c, code, "center")
        out.text(r, c + 1, labels.get(code, ""), "wrap")
        # What was filled in (notes included), then the rule's computation and its result.
        how = sentence if not result or result in sentence else f"{sentence}；{result}"
        out.text(r, c + 2, f"填报：{inputs}\n计算：{how}" if inputs else how, "wrap")
        amount = int(amount) * signed.get(side, 1)
        out.figure(r, c + 3, amount, "loss" if amount < 0 else "gain")
        out.text(r, c + 4, sources, "wrap")
        r += 1
    ws.autofilter(2, 0, max(r - 1, 2), len(header) - 1)


def _files_sheet(book: Book, facts: _Facts, only: str | None, name: str) -> None:
    """Units, files and every problem found; `only`: one unit's part (per-city workbooks)."""
    sh = book.sheet(name, repeat=(2, 2))
    ws = sh.ws
    unit = facts.unit_word
    sh.widths([16, 26, 12, 10, 10, 12, 16, 60, 26])
    sh.text(0, 0, "提交情况", "title")
    units = [only] if only else list(facts.cities.index)
    files = facts.files if not only else facts.files[facts.files["city"] == only]
    findings = facts.findings if not only else facts.findings_by_unit.get(only, [])
    n_err = sum(f.severity == ERROR for f in findings)
    sh.text(1, 0, f"{len(units)} 个单位，{len(files)} 个文件，发现错误 {n_err} 处、提醒 {len(findings) - n_err} 处。", "subtitle")
    sh.head(2, [unit, "文件", "状态", "填报项数", "问题数"])
    ws.freeze_panes(3, 1)
    r = 3
    sh = sh.body(r, len(units) + len(files) + len(findings))    # every row from here on
    statuses = facts.cities["status"]
    for u in units:
        status = statuses[u]
        names = facts.unit_files(u)
        style = "text" if status == SCORED else "error"
        sh.text(r, 0, u, style)
        sh.text(r, 1, "；".join(names) if names else "（无）", style)
        sh.text(r, 2, STATUS_ZH[status], style)
        n_inputs, n_problems = facts.counts_by_unit.get(u, (0, 0))
        sh.whole(r, 3, n_inputs, "rank")
        sh.whole(r, 4, n_problems, "rank")
        r += 1
    r += 1
    sh.text(r, 0, "各文件", "section")
    r += 1
    sh.head(r, ["文件", unit, "状态", "填报项数", "问题数"])
    r += 1
    unit_status = dict(zip(facts.cities.index, facts.cities["status"]))
    for rec in files.itertuples(index=False):
        status = rec.status
        if status == "read" and unit_status.get(rec.city) == SCORED:
            label = STATUS_ZH[SCORED]
        elif status == "read" and rec.city in unit_status:
            label = STATUS_ZH[REJECTED]
        else:
            label = FILE_STATUS_ZH.get(status, status)
        style = "error" if label in (STATUS_ZH[REJECTED], FILE_STATUS_ZH["unreadable"]) else "muted" if label == FILE_STATUS_ZH["skipped"] else "text"
        sh.text(r, 0, rec.file, style)
        sh.text(r, 1, rec.city or "—", style)
        sh.text(r, 2, label, style)
        sh.whole(r, 3, rec.inputs)
        sh.whole(r, 4, rec.problems)
        r += 1
    r += 1
    sh.text(r, 0, "发现的问题" if findings else "没有发现问题。", "section")
    r += 1
    if not findings:
        return
    sh.head(r, ["级别", "文件", "工作表", "单元格", "单位", "编号", "填的内容", "说明", "应为"])
    r += 1
    order = {ERROR: 0, WARNING: 1, INFO: 2}  # severities, most serious first
    for f in sorted(findings, key=lambda f: (order.get(f.severity, 3), f.file, f.sheet, _cell_key(f.cell))):
        err = f.severity == ERROR
        sh.text(r, 0, SEVERITY_ZH.get(f.severity, f.severity), "error" if err else "text")
        sh.text(r, 1, f.file)
        sh.text(r, 2, f.sheet)
        sh.text(r, 3, f.cell, "center")
        sh.text(r, 4, f.city)
        sh.text(r, 5, f.input, "center")
        sh.text(r, 6, f.value)
        sh.text(r, 7, f.message_zh, "error_wrap" if err else "wrap")
        sh.text(r, 8, f.expected, "wrap")
        r += 1


def _cell_key(cell: str) -> tuple[int, str]:
    m = re.match(r"([A-Z]+)(\d+)$", cell or "")
    return (int(m.group(2)), m.group(1)) if m else (0, cell or "")


def _about_sheet(book: Book, facts: _Facts) -> None:
    sh = book.sheet(SHEETS["about"], landscape=False)
    result = facts.result
    settings = result.settings
    scheme = facts.scheme
    sh.widths([16, 90])
    sh.text(0, 0, "说明", "title")
    rules = result.rules
    lines = [
        ("考核方案", f"《{scheme.name}》（{Path(str(scheme.source)).name}，工作表“{scheme.sheet}”）"),
        ("评分规则", f"{rules.name}（{rules.year}年）" if rules else "—"),
        ("被考核单位", f"{len(result.roster.units)} 个：{result.roster.source}"),
        ("计分", "各项得分精确到 0.01 分。比率类扣分按四舍五入保留两位小数后计入；二级、一级指标小计和总分是各行得分之和，"
                 "不再舍入，因此表中每个合计都可以用手工相加核对。每行扣分不超过本行赋分（或规则规定的扣分上限），加分不超过加分上限。"),
        ("总分", "总分 = 基础得分 + 加分 + 综合加分 − 重大扣分。基础得分满分 100 分。"),
        ("排名", f"按总分从高到低排名；{RANKINGS[settings.ranking][1]}。一级指标名次按该指标基础得分与加分之和排名。"),
        ("等次", settings.describe_grades()),
        ("未计分单位", "未提交填报表或填报数据有错误的单位不计分、不排名，原因见“总排名”“提交情况”表；改正后重新运行即可。"),
        ("依据", "每一处扣分、加分的计算过程和来源单元格见“扣分加分依据”表；评分规则的逐条说明见项目文档 docs/scoring-rules.md。"),
        ("生成工具", f"assess-xlsx {__version__}"),
        ("生成日期", f"{book.created:%Y年%m月%d日}"),
        ("交回文件夹", Path(str(result.folder)).name),
    ]
    r = 2
    for key, value in lines:
        sh.text(r, 0, key, "key")
        sh.text(r, 1, value, "wrap")
        r += 1
    r += 1
    sh.text(r, 0, "交回的文件（SHA-256 可用于核对文件是否被改动过）", "section")
    r += 1
    sh.head(r, ["文件", "SHA-256"])
    r += 1
    for rec in facts.files.itertuples(index=False):
        sh.text(r, 0, rec.file)
        sh.text(r, 1, rec.sha256 or "（已跳过，未读取）", "text" if rec.sha256 else "muted")
        r += 1


def _snapshot_sheet(book: Book, packed: pd.DataFrame) -> None:
    ws = book.wb.add_worksheet(SNAPSHOT_SHEET)
    ws.hide()
    sh = Sheet(book, ws)
    for c, name in enumerate(packed.columns):
        sh._check(ws.write_string(0, c, name), 0, c)
    out = sh.body(1, len(packed))
    if out is sh:
        for r, rec in enumerate(packed.itertuples(index=False), start=1):
            for c, value in enumerate(rec):
                # JSON text can exceed nothing here: changes.CHUNK keeps each cell under Excel's limit.
                sh._check(ws.write_string(r, c, str(value)), r, c)
        return
    for r, rec in enumerate(packed.itertuples(index=False), start=1):
        for c, value in enumerate(rec):
            out.text(r, c, str(value), None)   # unformatted, as write_string without a format


# --------------------------------------------------------------------------- per-city workbook

def _build_city(facts: _Facts, unit: str, path: str, created: datetime) -> None:
    result = facts.result
    book = _book(path, created, f"{title_of(facts.scheme)}：{unit}")
    sh = book.sheet(PER_CITY_SHEETS["summary"], repeat=(8, 8), landscape=False)
    ws = sh.ws
    rec = facts.cities.loc[unit]
    scored = rec["status"] == SCORED
    sh.widths([8, 46, 9, 10, 10, 9])
    sh.text(0, 0, f"{title_of(facts.scheme)}：{unit}", "title")
    sh.text(1, 0, f"考核方案：《{facts.scheme.name}》　生成日期：{book.created:%Y年%m月%d日}", "subtitle")
    n = len(facts.scored)
    if scored:
        facts_rows = [
            ("名次", f"第 {int(rec['rank'])} 名（共 {n} 个单位参加排名）", None),
            ("总分", None, rec["total"]),
            ("等次", rec["grade"], None),
            ("基础得分", None, rec["base"]),
            ("加分 / 综合加分 / 重大扣分", f"{fmt(rec['bonus'])} / {fmt(rec['extra'])} / −{fmt(rec['major'])}", None),
        ]
    else:
        facts_rows = [("状态", STATUS_ZH[rec["status"]], None), ("原因", facts.reason_zh(unit), None),
                      ("", "", None), ("", "", None), ("", "", None)]
    for k, (key, text, figure) in enumerate(facts_rows):
        r = 2 + k
        ws.merge_range(r, 0, r, 1, "", book.fmt["key"])
        sh.text(r, 0, key, "key")
        ws.merge_range(r, 2, r, 5, "", book.fmt["text"])
        if figure is not None:
            sh.figure(r, 2, figure, "total")
        else:
            sh.text(r, 2, text, "error_wrap" if not scored else "text")
    sh.text(7, 0, "各项得分" if scored else "", "section")
    if not scored:
        _audit_sheet(book, facts, facts.result.audit.iloc[0:0], PER_CITY_SHEETS["audit"], with_unit=False)
        _files_sheet(book, facts, unit, PER_CITY_SHEETS["files"])
        book.close()
        return
    sh.head(8, ["编号", "指标", "赋分", "基础得分", "加分", "名次"])
    ws.freeze_panes(9, 2)
    ws.outline_settings(True, False, True, False)
    prim_rank = result.primary["rank"]
    r = 9
    for row in _detail_rows(facts):
        kind, code = row[0], row[1]
        _write_detail_row(sh, r, row, [unit])
        if kind == "l0" and code in prim_rank.columns:
            sh.whole(r, 5, prim_rank.at[unit, code], "l0_rank")
        else:
            sh.text(r, 5, "", "text" if kind == "l2" else kind)
        r += 1
    sh.text(r, 0, "", "total_text")
    sh.text(r, 1, "总分", "total_text")
    sh.figure(r, 2, facts.rows["points"].sum(), "total")
    sh.figure(r, 3, rec["total"], "total")
    sh.text(r, 4, "", "total_text")
    sh.whole(r, 5, rec["rank"], "l0_rank")
    audit = facts.result.audit
    _audit_sheet(book, facts, audit[audit["city"] == unit], PER_CITY_SHEETS["audit"], with_unit=False)
    _files_sheet(book, facts, unit, PER_CITY_SHEETS["files"])
    book.close()
