"""The fill-in workbook sent to each city: one row per input of the scheme.

`write_template(scheme, path, roster, city)` writes sheet 填报表: a title, the
被考核单位 cell (a list of the roster's units), a header row, then per 一级指标 a
band row followed by one row per input — its 编号 (e.g. `3.3.8a`), the
indicator names, the row's points, what to enter (填报内容), the 填报值 cell,
the requirement (填写要求), the scheme's rule text and a 备注/依据 cell.
A 填表说明 sheet says how to fill it in and send it back.

The column headers, the 编号 codes and the 被考核单位 label are the contract for
anyone filling the sheet by program and for the reader (intake/contract.py),
which finds them by their text, never by position: keep them stable. What to
enter and the cell's data validation are the input kinds' (rules/inputs.py).
"""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

import pandas as pd
from xlsxwriter.utility import xl_rowcol_to_cell

from .errors import TemplateError, WriteError
from .figures import fmt_short
from .intake.contract import CODE_HEADER, GUIDE_SHEET, LIST_SHEET, SHEET_NAME, UNIT_LABEL, VALUE_HEADER
from .labels import ITEM_SIDE_ZH
from .roster import DEFAULT_ROSTER, Roster
from .rules.inputs import YESNO_ALSO, requirement, validation
from .rules.model import InputSpec, RuleBook
from .textfit import lines_height, page_breaks, text_lines
from .xlsx import Book, Checked, atomic_write, template_formats

# Columns of 填报表: (header, width). 编号 and 填报值 are what programs look for.
# The first ten print one A4 landscape page wide at 100 % (10 pt on paper); the
# last, for reference on screen, is left out of the print area.
COLUMNS = (
    (CODE_HEADER, 8),
    ("一级指标", 8),
    ("二级指标", 9),
    ("三级指标", 11),
    ("赋分", 5),
    ("填报内容", 24),
    (VALUE_HEADER, 10),
    ("填写要求", 16),
    ("评分规则", 30),
    ("备注/依据", 8),
    ("考核方式/责任单位", 20),
)
PRINTED_COLS = len(COLUMNS) - 1
COL = {name: i for i, (name, _) in enumerate(COLUMNS)}
LAST_COL = len(COLUMNS) - 1

TITLE_ROW, UNIT_ROW, HINT_ROW, HEADER_ROW = 0, 1, 2, 3   # zero-based

# Pinned so that the same scheme and roster always give the same file.
CREATED = datetime(2022, 1, 1, 0, 0, 0)
FOOTER = "&C第 &P 页，共 &N 页"
# A4 landscape body height in points (0.6" margins), less the repeated header row.
PAGE_BODY_PT = 595 - 2 * 0.6 * 72

_NUMERALS = "一二三四五六七八九十"


# --------------------------------------------------------------------------- what to enter

# --------------------------------------------------------------------------- layout

def template_rows(scheme) -> list[dict]:
    """The rows of 填报表 below the header, in order, as plain records.

    kind "band" (一级指标 / 综合加分项 / 重大扣分项) or "input" or "note" (an
    item without inputs of its own, 11.2). Input records carry the spec and the
    texts of every column; `group` ties the inputs of one scoring row together.
    """
    rules: RuleBook | None = scheme.rules
    if rules is None:
        raise TemplateError(
            "方案表与评分规则不一致，无法生成填报表 / the scheme table does not match its rules; "
            "cannot list the inputs"
        )
    rows = scheme.rows.set_index("code")
    records: list[dict] = []
    for p in scheme.primaries.itertuples():
        pts = int(p.points)
        label = f"{_numeral(int(p.code))}、{p.name}" + (f"（{fmt_short(pts)}分）" if pts else "（加分项）")
        records.append({"kind": "band", "text": label})
        for code in rows.index[rows["primary_code"] == p.code]:
            row = rows.loc[code]
            rule = rules.rows[code]
            points = None if pd.isna(row["points"]) else int(row["points"])
            texts = []
            if row["deduction_text"]:
                texts.append(f"扣分：{row['deduction_text']}")
            if row["bonus_text"]:
                texts.append(f"加分：{row['bonus_text']}")
            if rule.note:
                texts.append(f"说明：{rule.note}")
            shared = {
                "group": code,
                "primary": row["primary"],
                "secondary": row["secondary"],
                "tertiary": row["tertiary_text"].strip() or row["tertiary"],
                "points": fmt_short(points) if points is not None else "加分项",
                "points_value": points,
                "rule": "\n".join(texts),
                "method": _method(row["method"], row["units"]),
            }
            for spec in rule.inputs:
                records.append({"kind": "input", "spec": spec, "code": spec.code} | shared)
    items = scheme.items.set_index("code")
    for side, band in ITEM_SIDE_ZH.items():
        codes = [c for c, it in rules.items.items() if it.side == side]
        if not codes:
            continue
        records.append({"kind": "band", "text": band})
        for code in codes:
            item = rules.items[code]
            text = items.loc[code, "text"] if code in items.index else item.name
            method = _method(items.loc[code, "method"], items.loc[code, "units"]) if code in items.index else ""
            shared = {
                "group": code, "primary": band, "secondary": item.name, "tertiary": "",
                "points": "—", "points_value": None, "rule": text, "method": method,
            }
            if not item.inputs:
                refs = sorted({ref for part in item.parts for ref in part.inputs.values()})
                note = "无需填报：按" + "、".join(refs) + "填报的数据计算" if refs else "无需填报"
                records.append({"kind": "note", "code": code, "label": note} | shared)
            for spec in item.inputs:
                records.append({"kind": "input", "spec": spec, "code": spec.code} | shared)
    return records


def _numeral(n: int) -> str:
    if 1 <= n <= 10:
        return _NUMERALS[n - 1]
    if n < 20:
        return "十" + _NUMERALS[n - 11]
    return str(n)


def _method(method: str, units: str) -> str:
    parts = []
    if method:
        parts.append(f"考核方式：{method}")
    if units:
        parts.append(f"责任单位：{units}")
    return "\n".join(parts)


# --------------------------------------------------------------------------- writing

def write_template(scheme, path: str | os.PathLike, roster: Roster = DEFAULT_ROSTER, city: str | None = None) -> Path:
    """Write the fill-in workbook for `scheme` to `path` (replaced atomically)."""
    path = Path(path)
    if city is not None and city not in roster:
        raise TemplateError(f"“{city}”不在单位名单中 / {city!r} is not in the roster ({roster.source})")
    records = template_rows(scheme)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise TemplateError(f"文件夹不存在 / folder does not exist: {folder}")
    return atomic_write(path, lambda tmp: _write(scheme, records, tmp, roster, city))


def _write(scheme, records: list[dict], path: str, roster: Roster, city: str | None) -> None:
    book = Book(path, formats=template_formats(), properties={
        "title": f"{scheme.name}（填报表）",
        "subject": "政务公开工作考核填报表",
        "author": "assess-xlsx",
        "created": CREATED,
        "comments": "编号和填报值两列供程序读取，请勿修改编号 / the 编号 and 填报值 columns are read by program",
    })
    wb, f = book.wb, book.fmt
    ws = wb.add_worksheet(SHEET_NAME)
    guide = wb.add_worksheet(GUIDE_SHEET)
    w = Checked(ws)
    widths = [width for _, width in COLUMNS]
    for c, width in enumerate(widths):
        w.set_column(c, c, width)

    # Title, unit, hint, header.
    w.merge_range(TITLE_ROW, 0, TITLE_ROW, LAST_COL, f"{scheme.name}（填报表）", f["title"])
    w.set_row(TITLE_ROW, 30)
    w.write_string(UNIT_ROW, 0, UNIT_LABEL, f["label"])
    w.merge_range(UNIT_ROW, 1, UNIT_ROW, 3, "", f["unit"])
    if city:
        w.write_string(UNIT_ROW, 1, city, f["unit"])
    w.data_validation(UNIT_ROW, 1, UNIT_ROW, 1, _unit_validation(wb, roster))
    w.write_string(UNIT_ROW, 5, "填表人（联系电话）", f["label"])
    w.merge_range(UNIT_ROW, 6, UNIT_ROW, 7, "", f["contact"])
    w.set_row(UNIT_ROW, 22)
    first = f"本表已填好被考核单位（{city}），请" if city else "请先在上方选择被考核单位，再"
    hint = (first + "只在黄色单元格（填报值）中填写，蓝色单元格可填备注或依据；"
            "不要修改“编号”列，不要删除行。详见“填表说明”工作表。")
    w.merge_range(HINT_ROW, 0, HINT_ROW, PRINTED_COLS - 1, hint, f["hint"])
    w.set_row(HINT_ROW, lines_height(text_lines(hint, sum(widths[:PRINTED_COLS]))))
    for c, (name, _) in enumerate(COLUMNS):
        w.write_string(HEADER_ROW, c, name, f["header"])
    w.set_row(HEADER_ROW, 20)

    r = HEADER_ROW + 1
    i = 0
    value_col = COL[VALUE_HEADER]
    blocks = []          # (first row, height): a band keeps to its first group
    band_height = 0.0
    while i < len(records):
        rec = records[i]
        if rec["kind"] == "band":
            w.merge_range(r, 0, r, LAST_COL, rec["text"], f["band"])
            band_height = 20
            w.set_row(r, band_height)
            r += 1
            i += 1
            continue
        # One scoring row (or item): its inputs are consecutive records.
        j = i
        while j < len(records) and records[j]["kind"] != "band" and records[j]["group"] == rec["group"]:
            j += 1
        group = records[i:j]
        height = _write_group(w, f, r, group, widths, value_col)
        blocks.append((r - (1 if band_height else 0), height + band_height))
        band_height = 0.0
        r += len(group)
        i = j
    # A merged block split across pages prints its text on neither half: start a
    # new page before a group that would straddle one.
    top = 30 + 22 + lines_height(text_lines(hint, sum(widths[:PRINTED_COLS]))) + 20
    ws.set_h_pagebreaks(page_breaks(blocks, (PAGE_BODY_PT - 20) * 0.94, first_page_used=top))

    w.freeze_panes(HEADER_ROW + 1, 1)
    w.repeat_rows(HEADER_ROW)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_print_scale(100)
    ws.print_area(0, 0, r - 1, PRINTED_COLS - 1)
    ws.center_horizontally()
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.set_footer(FOOTER)
    ws.hide_gridlines(2)
    ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True})
    ws.activate()

    _write_guide(Checked(guide), guide, f, scheme, roster)
    wb.close()


def _write_group(w, f, r: int, group: list[dict], widths: list[int], value_col: int) -> float:
    """Write one scoring row's inputs; return the block's height in points."""
    n = len(group)
    first = group[0]
    # Texts shared by the group's rows, merged down when there are several.
    shared_cols = (("primary", "cell"), ("secondary", "cell"), ("tertiary", "cell"), ("points", "center"), ("rule", "cell"), ("method", "cell"))
    col_of = {"primary": 1, "secondary": 2, "tertiary": 3, "points": 4, "rule": 8, "method": 10}
    shared_lines = 1
    for key, fmt_name in shared_cols:
        c = col_of[key]
        text = first[key]
        if key == "points" and first.get("points_value") is not None:
            if n > 1:
                w.merge_range(r, c, r + n - 1, c, "", f[fmt_name])
            w.write_number(r, c, first["points_value"] / 100, f[fmt_name])
        elif n > 1:
            w.merge_range(r, c, r + n - 1, c, text, f[fmt_name])
        elif text:
            w.write_string(r, c, text, f[fmt_name])
        else:
            w.write_blank(r, c, None, f[fmt_name])
        shared_lines = max(shared_lines, text_lines(text, widths[c]))
    own_lines = []
    for k, rec in enumerate(group):
        row = r + k
        w.write_string(row, 0, rec["code"], f["code"])
        if rec["kind"] == "note":
            w.write_string(row, 5, rec["label"], f["cell"])
            w.write_blank(row, value_col, None, f["none"])
            w.write_blank(row, 7, None, f["none"])
            w.write_blank(row, 9, None, f["none"])
            own_lines.append(text_lines(rec["label"], widths[5]))
            continue
        spec: InputSpec = rec["spec"]
        req = requirement(spec)
        w.write_string(row, 5, spec.label, f["cell"])
        fmt_name = spec.type.template_format(spec)
        w.write_blank(row, value_col, None, f[fmt_name])
        cell = xl_rowcol_to_cell(row, value_col)
        w.data_validation(row, value_col, row, value_col, validation(spec, cell))
        w.write_string(row, 7, req, f["cell"])
        w.write_blank(row, 9, None, f["note"])
        own_lines.append(max(text_lines(spec.label, widths[5]), text_lines(req, widths[7]), spec.type.template_lines))
    # Heights: each row fits its own texts; the merged texts spread over the group.
    extra = max(0, shared_lines - sum(own_lines))
    total = 0.0
    for k, lines in enumerate(own_lines):
        add = extra // n + (1 if k < extra % n else 0)
        height = lines_height(lines + add)
        w.set_row(r + k, height, None, {"level": 1})
        total += height
    return total


def _unit_validation(wb, roster: Roster) -> dict:
    names = list(roster.units)
    opts = {
        "validate": "list",
        "input_title": "被考核单位",
        "input_message": "从下拉列表选择被考核单位",
        "error_title": "单位不在名单中",
        "error_message": "请从下拉列表选择被考核单位",
    }
    if len(",".join(names)) <= 250:
        return opts | {"source": names}
    # Too long for an inline list: keep the names on a hidden sheet.
    lst = wb.add_worksheet(LIST_SHEET)
    for k, name in enumerate(names):
        if lst.write_string(k, 0, name) < 0:
            raise WriteError(f"cannot write unit {name!r}")
    lst.hide()
    return opts | {"source": f"='{LIST_SHEET}'!$A$1:$A${len(names)}"}


GUIDE_TEXT = (
    ("用途 / Purpose",
     "本工作簿用于填报政务公开工作考核数据。评分由程序按考核方案自动完成，填报人只需如实填写各项数据。"),
    ("第一步：选择被考核单位",
     "在“填报表”第2行“被考核单位”右侧的黄色单元格中，从下拉列表选择本单位名称。"),
    ("第二步：填写填报值",
     "只在“填报值”列的黄色单元格中填写；每行的“填报内容”说明要填什么，“填写要求”说明怎么填。"
     "鼠标选中单元格时也会出现提示。"),
    ("各类填报值的写法",
     "是/否：从下拉列表选“是”或“否”；也接受" + YESNO_ALSO + "，核对结果中会注明按“是”或“否”计；"
     "不接受 1/0、“是的”“没有”“对”等其他写法。\n"
     "数量（件、项、条、次、起等）：填整数，没有的填0，不要留空（填“无”按0计，核对结果中会注明）。\n"
     "百分数：填数字，如权重4.5%填 4.5 或 4.5%。\n"
     "分值：填数字，最多两位小数，不超过本行赋分。\n"
     "名次：填正整数，如第52名填 52。\n"
     "等次：从下拉列表选择。\n"
     "情形说明：文字，对应的加分或扣分大于0时必须填写。"),
    ("不要做的事",
     "不要修改“编号”列，不要删除或合并行，不要在一个单元格中填多个数字。可以隐藏行、调整列宽或行高。"
     "空着的填报值视为未填报，该单位将无法评分。"),
    ("多个部门分别填报",
     "同一单位的数据可由多个部门分别填报（如“双公示”数据由发改委填报）：每个部门使用一份本表，"
     "选择同一被考核单位，只填本部门负责的编号，其余留空。程序会合并同一单位的各份表格；"
     "同一编号在两份表格中填了不同的值时，该单位将被退回核实。"),
    ("备注/依据",
     "蓝色的“备注/依据”列可填写印证材料名称、文号或网址，程序不读取，供核查使用。"),
    ("保存和报送",
     "填好后保存为 .xlsx（也可为 .xls、.ods），文件名请包含单位名称，如“太原市.xlsx”或“2022太原市政务公开考核表.xlsx”，"
     "按要求报送考核办。不要加密码；提交前请关闭文件。"),
)


def _write_guide(w, ws, f, scheme, roster: Roster) -> None:
    width = 74
    w.set_column(0, 0, 16)
    w.set_column(1, 1, width)
    w.write_string(0, 0, f"{scheme.name}（填表说明）", f["guide_title"])
    w.set_row(0, 24)
    r = 2
    units = "、".join(roster.units)
    for head, text in GUIDE_TEXT + (("被考核单位名单", units),):
        w.write_string(r, 0, head, f["guide_head"])
        w.write_string(r, 1, text, f["guide"])
        w.set_row(r, lines_height(max(text_lines(text, width), text_lines(head, 16, 11))))
        r += 1
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)      # fits at 100 %: the guard only absorbs rounding
    ws.center_horizontally()
    ws.set_footer(FOOTER)
    ws.protect("", {"format_cells": True, "format_columns": True, "format_rows": True})
