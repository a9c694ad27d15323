"""Transcribe the official table's text into the embedded workbook.

The text (`shanxi-2022-task-breakdown.txt`, copied from the published
attachment) has one block per table row, blocks separated by a blank line;
within a block every cell starts a line with a tab and runs on over the lines
that follow without one. A cell merged with the one above it is empty.

The workbook is laid out the way the Word attachment looks when pasted into
Excel: 附件 and the title above the header, the header with its line breaks,
vertical merges in 一级/二级/三级指标 and 加分标准/考核方式/责任单位 wherever an
empty cell stands under a filled one, each page fragment of an indicator its
own merged label, and the 综合加分项 / 重大扣分项 clauses in one cell merged
across the middle columns.

    python tools/transcribe_scheme.py            # rewrites assess_xlsx/data/shanxi-2022.xlsx
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

HERE = Path(__file__).resolve().parent
TEXT = HERE / "shanxi-2022-task-breakdown.txt"
OUT = HERE.parent / "assess_xlsx" / "data" / "shanxi-2022.xlsx"

NCOLS = 8
# Columns whose empty cells continue the filled cell above (merged in Word).
MERGED_DOWN = (0, 1, 2, 5, 6, 7)
SUMMARY_LABELS = ("综合加分项", "重大扣分项")
SHEET = "重点任务分解表"
WIDTHS = (14, 14, 18, 6, 48, 34, 18, 18)


def parse_text(text: str) -> tuple[list[str], list[list[str]]]:
    """-> (lines above the table, table rows as lists of cell texts)."""
    preamble: list[str] = []
    rows: list[list[str]] = []
    for block in text.split("\n\n"):
        block = block.strip("\n")
        if not block:
            continue
        if not block.startswith("\t"):
            preamble.append(block.strip())
            continue
        cells: list[str] = []
        for line in block.split("\n"):
            if line.startswith("\t"):
                cells.append(line[1:])
            else:
                cells[-1] += "\n" + line
        rows.append(cells)
    return preamble, rows


def build(text: str) -> Workbook:
    preamble, rows = parse_text(text)
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    thin = Side(style="thin")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="center")
    centre = Alignment(wrap_text=True, vertical="center", horizontal="center")

    ws.cell(1, 1, preamble[0]).font = Font(name="黑体", size=12)          # 附件
    ws.cell(2, 1, preamble[1]).font = Font(name="方正小标宋简体", size=16)  # title
    ws.cell(2, 1).alignment = centre
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=NCOLS)

    header, body = rows[0], rows[1:]
    top = 3
    for c, value in enumerate(header, start=1):
        cell = ws.cell(top, c, value)
        cell.font = Font(name="黑体", bold=True)
        cell.alignment = centre
        cell.border = border

    first = top + 1
    starts = {c: None for c in MERGED_DOWN}  # column -> row where its current run began

    def close(col: int, last_row: int) -> None:
        start = starts[col]
        if start is not None and last_row > start:
            ws.merge_cells(start_row=start, start_column=col + 1, end_row=last_row, end_column=col + 1)
        starts[col] = None

    r = first
    for cells in body:
        label = cells[0].replace(" ", "")
        if label in SUMMARY_LABELS:
            for col in MERGED_DOWN:
                close(col, r - 1)
            # label | clauses merged across 二级..加分标准 | 考核方式 | 责任单位
            ws.cell(r, 1, cells[0])
            ws.cell(r, 2, cells[1])
            ws.merge_cells(start_row=r, start_column=2, end_row=r, end_column=6)
            ws.cell(r, 7, cells[2])
            ws.cell(r, 8, cells[3])
        else:
            if len(cells) != NCOLS:
                raise ValueError(f"row {r}: {len(cells)} cells, expected {NCOLS}: {cells}")
            for col, value in enumerate(cells):
                if col in MERGED_DOWN:
                    if value == "" and starts[col] is not None:
                        continue  # part of the merge above
                    close(col, r - 1)
                    starts[col] = r
                ws.cell(r, col + 1, _typed(value, col))
        r += 1
    for col in MERGED_DOWN:
        close(col, r - 1)

    for row in ws.iter_rows(min_row=first, max_row=r - 1, max_col=NCOLS):
        for cell in row:
            cell.alignment = centre if cell.column in (1, 2, 4) else wrap
            cell.border = border
    for i, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(64 + i)].width = width
    ws.freeze_panes = ws.cell(first, 1)
    ws.print_title_rows = f"{top}:{top}"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4

    # Fixed properties: the same text gives the same workbook.
    fixed = dt.datetime(2022, 1, 1)
    wb.properties.creator = "assess-xlsx"
    wb.properties.title = preamble[1]
    wb.properties.created = fixed
    wb.properties.modified = fixed
    return wb


def _typed(value: str, col: int):
    """Points are numbers in the pasted sheet ("-" and everything else stays text)."""
    text = value.strip()
    if col == 3 and re.fullmatch(r"\d+(\.\d+)?", text):
        return int(text) if text.isdigit() else float(text)
    return value


def main(argv: list[str]) -> int:
    out = Path(argv[1]) if len(argv) > 1 else OUT
    wb = build(TEXT.read_text(encoding="utf-8"))
    wb.save(out)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
