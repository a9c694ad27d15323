"""Word attachments of the 2022 table, made in the tests from the embedded workbook.

The embedded sheet is the Word table as it was pasted into Excel: the title
rows above the header, then the table, its merged cells kept. `write_docx`
writes it back as a Word document with python-docx the way the attachment is
published: 附件 and the title as paragraphs above the table, the header row
marked to repeat on every page, every merged range of the sheet as a real
Word merge (w:vMerge restart/continue down, w:gridSpan across: the
综合加分项/重大扣分项 rows span 二级指标 to 加分标准), and, with `split`, the
table cut into one table per page where the sheet's 一级指标 goes on to a new
page (a new label of the same indicator), the header row repeated at the top
of each and a page break between them.
"""

from __future__ import annotations

from pathlib import Path

from python_calamine import CalamineWorkbook

from assess_xlsx.scheme import default_scheme_path

HEADER = 2          # 0-based row of the header in the embedded sheet


def embedded_grid():
    """(values as text, merged ranges (r0, c0, r1, c1) inclusive, 0-based) of the embedded sheet."""
    wb = CalamineWorkbook.from_path(str(default_scheme_path()))
    try:
        sheet = wb.get_sheet_by_name(wb.sheet_names[0])
        values = [[_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
        merges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in sheet.merged_cell_ranges]
    finally:
        wb.close()
    return values, merges


def _text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return "" if v is None else str(v)


def page_starts(values, merges) -> list[int]:
    """Rows where the sheet's 一级指标 starts a new page of the same indicator
    (its label again, with that page's points), with no merge crossing."""
    def name(label: str) -> str:
        return "".join(label.split()).split("（")[0].split("(")[0]

    starts, last = [], None
    for r in range(HEADER + 1, len(values)):
        label = values[r][0]
        if not label.strip():
            continue
        crossing = any(r0 < r <= r1 for r0, _, r1, _ in merges)
        if last is not None and name(label) == name(last) and not crossing:
            starts.append(r)
        last = label
    return starts


def write_docx(path: Path, *, split: bool = False, edit=None) -> Path:
    """The 2022 table as a .docx at `path` (see the module docstring).
    `edit` maps (row, col) of the embedded sheet (0-based) to a new text."""
    from docx import Document
    from docx.enum.text import WD_BREAK
    from docx.oxml import OxmlElement

    values, merges = embedded_grid()
    for (r, c), text in (edit or {}).items():
        values[r][c] = text
    width = len(values[HEADER])
    doc = Document()
    for r in range(HEADER):   # 附件, the title
        doc.add_paragraph(values[r][0])

    cuts = page_starts(values, merges) if split else []
    bounds = [HEADER + 1, *cuts, len(values)]
    for k in range(len(bounds) - 1):
        if k:
            doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        rows = [HEADER, *range(bounds[k], bounds[k + 1])]
        at = {src: i for i, src in enumerate(rows)}
        table = doc.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        header_pr = table.rows[0]._tr.get_or_add_trPr()
        header_pr.append(OxmlElement("w:tblHeader"))   # repeat as header row on every page
        covered = set()
        for r0, c0, r1, c1 in merges:
            if r0 in at and r1 in at:
                table.cell(at[r0], c0).merge(table.cell(at[r1], c1))
                covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - {(r0, c0)}
        for src, i in at.items():
            for c in range(width):
                if (src, c) in covered or not values[src][c]:
                    continue
                cell = table.cell(i, c)
                lines = values[src][c].split("\n")
                cell.paragraphs[0].text = lines[0]
                for line in lines[1:]:
                    cell.add_paragraph(line)
    doc.save(path)
    return path


def docx_xml(path: Path) -> str:
    import zipfile

    with zipfile.ZipFile(path) as zf:
        return zf.read("word/document.xml").decode("utf-8")
