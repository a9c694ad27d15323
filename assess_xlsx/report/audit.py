"""The sheets that say why: 扣分加分依据 (every deduction and bonus, one sentence each) and
提交情况 (units, files and every problem found), in both workbooks.
"""

from __future__ import annotations

import functools
from collections import Counter

import pandas as pd

from ..findings import ERROR, INFO, WARNING
from ..labels import FILE_STATUS_ZH, REJECTED, SCORED, SEVERITY_ZH, SIDE_ZH, STATUS_ZH
from ..textfit import lines_height, text_lines
from ..xlsx import BODY_PT, Book, Whole, fitted_height
from .facts import Facts, cell_key
from .review import assessors_block


AUDIT_HEAD = ["编号", "指标", "依据与计算", "得分变化", "来源（文件 单元格）"]


def explanation(rec) -> str:
    """The audit's one sentence for a reader: kind, the computation (which names
    its inputs), the result when the sentence does not say it, and any input the
    sentence leaves out (a 情形说明). `rec`: an audit record."""
    return explain(rec.side, rec.sentence, rec.result, rec.inputs)


def explain(side: str, sentence: str, result: str, inputs: str) -> str:
    text = f"{SIDE_ZH.get(side, side)}：{sentence}"
    if result and result not in sentence:
        text += f"；{result}"
    if inputs and "＝" in inputs:
        left = [part for part in str(inputs).split("；") if "＝" in part and part.split("＝", 1)[1] not in sentence]
        if left:
            text += "（另填：" + "；".join(left) + "）"
    return text


FIRST_ROW = 3                  # below the title, the banner and the header
_SIGNED = {"deduct": -1, "major": -1, "bonus": 1, "extra": 1}
_STYLES = ("top", "top_center", "wrap", "loss", "gain")     # every style of the audit's rows


def _layout(facts: Facts, with_unit: bool) -> tuple[list[str], list[float]]:
    header = ([facts.unit_word] if with_unit else []) + AUDIT_HEAD
    widths = ([9] if with_unit else []) + [7, 20, 60 if with_unit else 66, 8, 30]
    return header, widths


def start_audit(book: Book, facts: Facts, audit: pd.DataFrame, with_unit: bool = True):
    """A national run's ~180,000 audit rows begun in worker processes before the
    other sheets are written (xlsx.Book.rows_in_workers), for audit_sheet to
    attach; None for a short audit, which audit_sheet writes itself."""
    _, widths = _layout(facts, with_unit)
    produce = functools.partial(_audit_rows, facts, audit, with_unit, widths)
    return book.rows_in_workers(FIRST_ROW, len(audit), produce, _STYLES if with_unit else _STYLES[1:],
                                repeated=functools.partial(_repeated_texts, facts, audit, with_unit))


def _repeated_texts(facts: Facts, audit: pd.DataFrame, with_unit: bool) -> dict[str, int]:
    """The audit's texts that repeat (unit, code, label, explanation) -> how many
    rows hold each, units first, then codes, labels and explanations, each in
    order of first appearance: the same table whoever makes the rows."""
    uses: Counter = Counter()
    if with_unit:
        uses.update(audit["city"].tolist())
    codes = Counter(audit["code"].tolist())
    uses.update(codes)
    for code, n in codes.items():
        uses[facts.labels.get(code, "")] += n
    keys = Counter(zip(*(audit[k].tolist() for k in ("side", "sentence", "result", "inputs"))))
    for key, n in keys.items():
        uses[explain(*key)] += n
    return uses


def _audit_rows(facts: Facts, audit: pd.DataFrame, with_unit: bool, widths: list[float], out, start: int,
                stop: int) -> None:
    """Audit records start..stop-1 as rows FIRST_ROW + start ... of `out` (a Sheet or a Body)."""
    c0 = 1 if with_unit else 0
    # Column by column into lists, then one call a row: the per-cell and per-record
    # overheads cost more than the XML itself at this size.
    w_label, w_text, w_source = widths[c0 + 1], widths[c0 + 2], widths[c0 + 4]
    label_lines: dict[str, int] = {}
    explained: dict[tuple, tuple[str, int]] = {}
    heights: dict[int, float | None] = {}
    part = audit.iloc[start:stop]
    columns = [part[k].tolist() for k in ("city", "code", "side", "sentence", "result", "inputs", "amount", "sources")]
    r = FIRST_ROW + start
    for city, code, side, sentence, result, inputs, amount, sources in zip(*columns):
        label = facts.labels.get(code, "")
        lines = label_lines.get(code)
        if lines is None:
            lines = label_lines[code] = text_lines(label, w_label, BODY_PT)
        key = (side, sentence, result, inputs)     # a few thousand distinct among ~180,000
        said = explained.get(key)
        if said is None:
            text = explain(side, sentence, result, inputs)
            said = explained[key] = (text, text_lines(text, w_text, BODY_PT))
        sentence = said[0]
        lines = max(lines, said[1], text_lines(sources, w_source, BODY_PT))
        height = heights.get(lines, 0)
        if height == 0:
            height = heights[lines] = fitted_height(lines_height(lines, BODY_PT))
        amount = int(amount) * _SIGNED.get(side, 1)
        cells = [(0, "top", city)] if with_unit else []
        cells += [(c0, "top_center", code), (c0 + 1, "wrap", label), (c0 + 2, "wrap", sentence),
                  (c0 + 3, "loss" if amount < 0 else "gain", amount), (c0 + 4, "wrap", sources)]
        out.row(r, height, cells)
        r += 1


def audit_sheet(book: Book, facts: Facts, audit: pd.DataFrame, name: str, with_unit: bool = True, job=None) -> None:
    """One row per deduction or bonus, in few meaningful columns: the unit, the
    indicator, one wrapped sentence with inputs and computation, the signed
    change and the source cells. One A4 landscape page wide at 100 %.
    `job`: the rows begun by start_audit, if it began them."""
    sh = book.sheet(name, repeat=(2, 2))
    ws = sh.ws
    header, widths = _layout(facts, with_unit)
    sh.widths(widths)
    sh.text(0, 0, "扣分、加分依据", "title")
    sh.banner(1, "每一处扣分、加分一行：所填内容、按评分规则的计算过程和来源单元格；得分变化为负是扣分，为正是加分。"
            "可用表头的筛选按钮按单位或编号筛选。" if len(audit) else "没有任何扣分或加分。", len(header) - 1)
    sh.head(2, header)
    ws.freeze_panes(3, 2 if with_unit else 1)
    if job is not None:
        sh.attach(job)
    else:
        out = sh.body(FIRST_ROW, len(audit), functools.partial(_repeated_texts, facts, audit, with_unit))
        _audit_rows(facts, audit, with_unit, widths, out, 0, len(audit))
    r = FIRST_ROW + len(audit)
    ws.autofilter(2, 0, max(r - 1, 2), len(header) - 1)


def files_sheet(book: Book, facts: Facts, only: str | None, name: str) -> None:
    """Units, files and every problem found; `only`: one unit's part (per-city workbooks).

    Seven columns shared by the three tables, so the sheet prints one A4 landscape
    page wide at 100 %; long texts wrap and their rows grow to fit. A row at a
    time (Sheet.row, or streamed by a Body for a national run's 6,000 rows)."""
    sh = book.sheet(name, repeat=(2, 2))
    unit = facts.unit_word
    sh.widths([14, 26, 14, 9, 12, 40, 18])
    sh.text(0, 0, "提交情况", "title")
    units = [only] if only else list(facts.cities.index)
    files = facts.files if not only else facts.files[facts.files["city"] == only]
    findings = facts.findings if not only else facts.findings_by_unit.get(only, [])
    n_err = sum(f.severity == ERROR for f in findings)
    sh.banner(1, f"{len(units)} 个单位，{len(files)} 个文件，发现错误 {n_err} 处、提醒 {len(findings) - n_err} 处。", 6)
    sh.ws.freeze_panes(3, 1)
    out = sh.body(2, len(units) + len(files) + len(findings))
    out.head(2, [unit, "文件", "状态", "填报项数", "问题数"], height=lines_height(2))
    r = 3
    statuses = facts.cities["status"]
    for u in units:
        status = statuses[u]
        names = "；".join(facts.unit_files(u)) or "（无）"
        bad = status != SCORED
        n_inputs, n_problems = facts.counts_by_unit.get(u, (0, 0))
        out.row(r, sh.fit_height({0: u, 1: names}), [
            (0, "error" if bad else "top", u), (1, "error_wrap" if bad else "wrap", names),
            (2, "error" if bad else "top", STATUS_ZH[status]), (3, "rank", Whole.of(n_inputs)), (4, "rank", Whole.of(n_problems))])
        r += 1
    r += 1
    out.text(r, 0, "各文件", "section")
    r += 1
    out.head(r, [unit, "文件", "状态", "填报项数", "问题数"], height=lines_height(2))
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
        style = "error" if label in (STATUS_ZH[REJECTED], FILE_STATUS_ZH["unreadable"], FILE_STATUS_ZH["held"]) else "muted" if label == FILE_STATUS_ZH["skipped"] else "text"
        out.row(r, sh.fit_height({0: rec.city, 1: rec.file}), [
            (0, style, _text(rec.city) or "—"), (1, "error_wrap" if style == "error" else "wrap", _text(rec.file)),
            (2, style, label), (3, "rank", Whole.of(rec.inputs)), (4, "rank", Whole.of(rec.problems))])
        r += 1
    if facts.folders and not only:
        text = "已跳过的子文件夹（不计入文件数，其中的工作簿未读取）：" + "、".join(facts.folders)
        out.merged(r, 0, 6, sh.fit_height({0: text}, span={0: 6}), text, "note")
        r += 1
    r += 1
    if not only:
        r = assessors_block(out, r, facts.result) + 1
    out.text(r, 0, "发现的问题" if findings else "没有发现问题。", "section")
    r += 1
    if not findings:
        return
    out.head(r, ["级别", "文件", "单元格", "编号", "填的内容", "说明", "应为"])
    r += 1
    order = {ERROR: 0, WARNING: 1, INFO: 2}  # severities, most serious first
    for f in sorted(findings, key=lambda f: (order.get(f.severity, 3), f.file, f.sheet, cell_key(f.cell))):
        err = f.severity == ERROR
        where = f"{f.sheet}!{f.cell}" if f.sheet and f.cell else f.sheet or f.cell
        texts = [SEVERITY_ZH.get(f.severity, f.severity), f.file or f.city, where, f.input, f.value, f.message_zh, f.expected]
        texts = [_text(t) for t in texts]
        out.row(r, sh.fit_height({1: texts[1], 2: texts[2], 4: texts[4], 5: texts[5], 6: texts[6]}), [
            (0, "error" if err else "top", texts[0]), (1, "wrap", texts[1]), (2, "wrap", texts[2]),
            (3, "top_center", texts[3]), (4, "wrap", texts[4]), (5, "error_wrap" if err else "wrap", texts[5]),
            (6, "wrap", texts[6])])
        r += 1


def _text(value) -> str:
    """A cell's text as Sheet.text writes it ("" for nothing): a row's str cells are text."""
    return "" if value is None else str(value)
