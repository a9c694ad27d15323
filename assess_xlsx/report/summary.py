"""The ranking workbook's summary sheets: 总排名, 变更记录, 分项得分, 说明, 文件校验 and the hidden 快照.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pandas as pd

from .. import __version__
from ..changes import SNAPSHOT_COLUMNS, SNAPSHOT_SHEET, snapshot, snapshot_chunks
from ..figures import fmt
from ..labels import SCORED, STATUS_ZH
from ..scoring import RANKINGS
from ..textfit import lines_height, page_breaks, row_height, text_lines
from ..xlsx import BODY_PT, PAGE_HEIGHT_PT, REPORT_FONT, Book, Sheet, Whole, fits
from .facts import CHART_AT_MOST, SHEETS, TRANSPOSE_AT, Facts, fit_width, title_of


def ranking_sheet(book: Book, facts: Facts) -> None:
    sh = book.sheet(SHEETS["ranking"], repeat=(3, 3), landscape=False)
    ws = sh.ws
    cities = facts.cities
    unit = facts.unit_word
    header = ["名次", unit, "基础得分", "加分", "综合加分", "重大扣分", "总分", "等次"]
    names = list(facts.ranking.index)
    sh.widths([6, fit_width(names + [unit], 10, 30), 10, 8, 10, 10, 10, 8])
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
            "data_labels": {"value": True, "num_format": "0.00", "font": {"name": REPORT_FONT, "size": 9}},
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


def changes_sheet(book: Book, facts: Facts, changes) -> None:
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
            old = next(rec.old for rec in changes.figures(city) if rec.field == "status")
            line = changes.unit_line(city)
            sh.fit_row(r, {4: line})
            sh.text(r, 0, city, "top")
            sh.text(r, 1, "—", "top_center")
            sh.text(r, 2, "状态", "top")
            sh.text(r, 3, old or "（无）", "top")
            sh.text(r, 4, line, "wrap")
            r += 1
            continue
        for rec in changes.figures(city):
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


def primary_sheet(book: Book, facts: Facts) -> None:
    if len(facts.scored) <= TRANSPOSE_AT:
        _primary_sheet_by_indicator(book, facts)
        return
    _primary_sheet_by_unit(book, facts)


def _primary_sheet_by_indicator(book: Book, facts: Facts) -> None:
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


def _primary_sheet_by_unit(book: Book, facts: Facts) -> None:
    """Past TRANSPOSE_AT units, one row per unit; split across pages, never shrunk."""
    sh = book.sheet(SHEETS["primary"], repeat=(2, 3), fit=False, repeat_cols=(0, 1))
    ws = sh.ws
    result = facts.result
    prim = facts.primaries
    unit = facts.unit_word
    names = list(facts.ranking.index)
    sh.widths([6, fit_width(names + [unit], 10, 30)])
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
    out = sh.body(r, len(names) * (3 * n + 6))    # counted in cells: a wide sheet
    base, bonus, rank = base.tolist(), bonus.tolist(), rank.tolist()     # each row in one call (out.row)
    for i, rec in enumerate(facts.ranking.itertuples()):
        cells = [(0, "rank", Whole(rec.rank)), (1, "text", rec.Index)]
        for k in range(n):
            c = 2 + 3 * k
            cells += [(c, styles[k], base[i][k]), (c + 1, "gain" if bonus[i][k] else "zero", bonus[i][k]),
                      (c + 2, "rank", Whole(rank[i][k]))]
        cells += [(end, "num", rec.base), (end + 1, "num", rec.bonus),
                  (end + 2, "neg", int(rec.extra) - int(rec.major)), (end + 3, "total", rec.total)]
        out.row(r, None, cells)
        r += 1
    if names:
        for k, p in enumerate(prim.itertuples()):
            if p.points:
                c = 2 + 3 * k
                ws.conditional_format(4, c, r - 1, c, {"type": "2_color_scale", "min_color": "#F8CBAD",
                                                       "max_color": "#FFFFFF"})


def about_sheet(book: Book, facts: Facts, changes=None) -> None:
    """For the reader: what was assessed and how the figures are made; no file
    formats, hashes or program names beyond the tool's own (see 文件校验)."""
    sh = book.sheet(SHEETS["about"], landscape=False)
    result = facts.result
    settings = result.settings
    scheme = facts.scheme
    sh.widths([14, 78])
    sh.text(0, 0, "说明", "title")
    rules = result.rules
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
        ("交回文件夹", Path(str(result.folder)).name),
        ("生成日期", f"{book.created:%Y年%m月%d日}"),
        ("生成工具", f"assess-xlsx {__version__}；所读文件的校验值见“{SHEETS['checksums']}”表"),
    ]
    r = 2
    for key, value in lines:
        sh.fit_row(r, {1: value})
        sh.text(r, 0, key, "key")
        sh.text(r, 1, value, "wrap")
        r += 1


def checksums_sheet(book: Book, facts: Facts) -> None:
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


# A run with this many units or more has its snapshot made where its rows are
# written, in a worker.
SNAPSHOT_IN_WORKER_UNITS = 500


def start_snapshot(book: Book, result):
    """The hidden snapshot's rows begun in a worker process now, for snapshot_sheet
    to attach -> (job or None, packed or None). A national run's are ~12,000
    cells (2.9 M characters of deflated JSON): made and written there, they
    cost the writer's own process nothing. Made here for a small run (or
    where no worker can be forked). A rerun compares with the previous output
    without it (changes.diff_run), so no caller has it made already."""
    if len(result.cities) >= SNAPSHOT_IN_WORKER_UNITS:
        job = book.rows_in_workers(1, None, functools.partial(_made_snapshot_rows, result), (None,), workers=1)
        if job is not None:
            return job, None
    packed = snapshot(result)
    return book.rows_in_workers(1, len(packed), functools.partial(_snapshot_rows, packed), (None,), workers=1), packed


def _made_snapshot_rows(result, out, start: int, stop: None) -> None:
    # Written as made, a unit at a time: the worker never holds the whole snapshot.
    _write_snapshot_rows(out, snapshot_chunks(result), 1)


def _snapshot_rows(packed: pd.DataFrame, out, start: int, stop: int | None) -> None:
    _write_snapshot_rows(out, packed.iloc[start:stop].itertuples(index=False), 1 + start)


def _write_snapshot_rows(out, records, first: int) -> None:
    for r, rec in enumerate(records, start=first):
        # Unformatted, as write_string without a format; changes.CHUNK keeps each cell under Excel's limit.
        out.row(r, None, [(c, None, str(value)) for c, value in enumerate(rec)])


def snapshot_sheet(book: Book, packed: pd.DataFrame | None, job=None) -> None:
    """The hidden sheet a later run compares itself with (changes.py); `job`: its
    rows begun by start_snapshot, if it began them (`packed` None: made there)."""
    ws = book.wb.add_worksheet(SNAPSHOT_SHEET)
    ws.hide()
    sh = Sheet(book, ws)
    for c, name in enumerate(SNAPSHOT_COLUMNS):
        sh._check(ws.write_string(0, c, name), 0, c)
    if job is not None:
        sh.attach(job)
        return
    out = sh.body(1, len(packed))
    if out is sh:
        for r, rec in enumerate(packed.itertuples(index=False), start=1):
            for c, value in enumerate(rec):
                sh._check(ws.write_string(r, c, str(value)), r, c)
        return
    _snapshot_rows(packed, out, 0, len(packed))
