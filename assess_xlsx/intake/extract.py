"""Extraction: a folder of filled score sheets into one record per file.

`scan_folder(folder, report)` lists the folder (the contract says which
entries are workbooks); `_read_file` opens each workbook read-only with
python-calamine after the hostile-file guard has inspected it, finds the
input sheet by its header row (a row holding 编号 and 填报值), reads each
input by its code (never by position) and works out which unit the file is
for. Problems are Findings added to the Report; nothing is raised for a bad
file, which is reported while the rest go on. Each file is read once into a
list of (code, value, cell) records; validate.py works on them as columns.

Every workbook, one or thousands, is read in a worker process that may die
(pool.py over sandbox.py): a damaged file can make calamine abort the
process, which no `try` catches. A file whose worker died, ran out of memory
or time is a finding for it alone (`_failed_read`) and is never read again
in the calling process.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from ..cellref import col_name
from ..findings import Report
from ..labels import SNAPSHOT_SHEET
from ..roster import Roster, _norm, match_unit, unit_from_filename
from ..rules.inputs import _as_text, expected_text
from .contract import CODE_HEADER, READABLE, SHEET_NAME, UNIT_LABEL, VALUE_HEADER, file_label, skip_reason
from .guard import (_CHUNK, _OLE, _PK, MAX_FILE_BYTES, MAX_SHEET_CELLS, ZipFacts, ZipRefused, _mb, _ole_encrypted,
                    _reason, inspect_zip, read_capped)
from .biff import BiffRefused, check_xls

HEADER_SCAN_ROWS = 60
_CODE_LIKE = re.compile(r"^\d+(?:\.\d+)+[a-z]?$")


# --------------------------------------------------------------------------- one file

@dataclass
class _FileRead:
    rel: str
    city: str = ""
    status: str = "read"          # read / unreadable / held (its unit cell contradicts its name)
    sheet: str = ""
    sha256: str = ""
    codes: list = field(default_factory=list)
    values: list = field(default_factory=list)
    cells: list = field(default_factory=list)
    uncached: list = field(default_factory=list)   # input codes reported already (formula never calculated, error value)
    wide: bool = False            # one unit's column of an assessor's wide sheet, not a unit's form


def _classify(entry: os.DirEntry) -> str | None:
    """Why an entry of the folder is passed over, or None for a workbook to read."""
    if entry.is_dir():
        return "file-skipped-folder"
    why = skip_reason(entry.name)
    if why:
        return why
    if not entry.is_file():  # a pipe would block the read, a device never end it
        return "file-skipped-special"
    return None


def _read_file(path: Path, rel: str, inputs, roster: Roster, report: Report) -> _FileRead:
    from python_calamine import PasswordError

    rel = file_label(rel)
    out = _FileRead(rel=rel)
    name_city = unit_from_filename(rel, roster) or ""

    def unreadable(code: str, **kw) -> _FileRead:
        report.add(code, file=rel, city=name_city, **kw)
        out.city, out.status = name_city, "unreadable"
        return out

    # Read-only, once: the bytes hashed, checked and parsed are the same bytes.
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_FILE_BYTES:
            out.sha256 = _sha256_stream(fh)
            return unreadable("file-too-large", value=_mb(size), expected=_mb(MAX_FILE_BYTES))
        data = read_capped(fh, size)
    out.sha256 = hashlib.sha256(data).hexdigest()
    if not data:
        return unreadable("file-empty", expected=READABLE)
    if _ole_encrypted(data):
        return unreadable("file-encrypted", expected=READABLE)
    try:
        check_xls(data, MAX_SHEET_CELLS)      # an .xls: its OLE chains, FILEPASS and extent (see biff.py)
        facts = inspect_zip(data)
    except BiffRefused as refused:
        note, expected = (str(refused.cells), str(MAX_SHEET_CELLS)) if refused.cells else (refused.note, READABLE)
        return unreadable(refused.code, note=note, value=refused.value, sheet=refused.sheet,
                          cell=refused.cell, expected=expected)
    except ZipRefused as refused:
        return unreadable(refused.code, note=refused.note, value=refused.value, expected=refused.expected,
                          sheet=refused.sheet, cell=refused.cell)
    if facts and facts.eager and facts.too_large:
        return _too_large(facts, unreadable)
    try:
        wb = open_workbook(path, data, facts)
    except PasswordError:
        return unreadable("file-encrypted", expected=READABLE)
    except BaseException as exc:  # any reader failure (a Rust panic included) is a finding; the rest go on
        _reraise_interrupt(exc)
        code, note = why_unreadable(data, exc)
        return unreadable(code, note=note, expected=READABLE)
    try:
        names = wb.sheet_names
        if SNAPSHOT_SHEET in names:   # 考核结果.xlsx, its .prev or a set-aside copy: written by this tool
            report.add("file-skipped-result", file=rel)
            out.status = "skipped"
            return out
        if facts:
            facts.settle(names)
        # A part too large that no sheet name maps to cannot be passed over safely.
        stray = [k for k in facts.too_large if k not in names] if facts else []
        found = None if stray else _input_sheet(wb, names, facts)
    except ZipRefused as refused:     # a worksheet inspected just before calamine would parse it
        return unreadable(refused.code, note=refused.note, value=refused.value, expected=refused.expected,
                          sheet=refused.sheet, cell=refused.cell)
    except BaseException as exc:
        _reraise_interrupt(exc)
        code, note = why_unreadable(data, exc, described=False)
        return unreadable(code, note=note, expected=READABLE)
    finally:
        wb.close()
    if found is None:
        if facts and facts.too_large:  # the only candidates were too large to read
            return _too_large(facts, unreadable)
        return unreadable("sheet-missing", expected=f"{CODE_HEADER}、{VALUE_HEADER}")
    sheet, grid, header, code_col, value_col = found
    out.sheet = sheet

    # Which unit: the 被考核单位 cell, else the file name.
    cell_text, cell_ref = _unit_cell(grid, header)
    city = ""
    if cell_text:
        cell_city = match_unit(cell_text, roster)
        if cell_city is None:
            report.add("city-unknown", file=rel, sheet=sheet, cell=cell_ref, value=cell_text,
                       expected="、".join(roster.units), city=name_city)
            city = name_city
        elif name_city and name_city != cell_city:
            # Whose data is it? Not for the program to guess: the file is held
            # back (merged into neither unit, so no conflicts against the other
            # unit's own files), and the file name's unit waits for the clerk.
            report.add("city-disagrees", file=rel, sheet=sheet, cell=cell_ref, value=cell_text,
                       expected=name_city, city=name_city)
            out.city, out.status = name_city, "held"
            return out
        else:
            city = cell_city
    elif name_city:
        city = name_city
    else:
        report.add("city-missing", file=rel, sheet=sheet, cell=cell_ref, value=Path(rel).name,
                   expected="、".join(roster.units))
    out.city = city

    # Inputs by code. A plain loop over ~100 rows; the work is done later, in columns.
    col = col_name(value_col)
    uncached = facts.uncached.get(sheet, {}) if facts else {}
    error_cells = facts.errors.get(sheet, {}) if facts else {}
    if not uncached and not error_cells:
        # Files made from one template share the code column: which rows hold
        # inputs, their codes and cells are worked out once per distinct column
        # (the loop below, without its per-row normalising), then only the
        # values are picked. Same records and findings, in the same order.
        # The cache lives on the function (a few templates at most): (header,
        # code column, value column, the code column's cells) -> (inputs, rows,
        # codes, cells, code-like unknown codes).
        layouts = _read_file.__dict__.setdefault("layouts", {})
        key = (header, code_col, value_col,
               tuple(row[code_col] if code_col < len(row) else None for row in grid[header + 1:]))
        known = layouts.get(key)
        if known is None or known[0] is not inputs:
            found, others = code_rows(key[3], header + 1, inputs)
            if len(layouts) >= 64:
                layouts.clear()
            known = layouts[key] = (inputs, tuple(r for r, _ in found), tuple(code for _, code in found),
                                    tuple(f"{col}{r + 1}" for r, _ in found),
                                    tuple((r, code, f"{col}{r + 1}") for r, code in others))
        _, rows, codes, cells, unknown = known
        for r, code, cell in unknown:
            row = grid[r]
            value = row[value_col] if value_col < len(row) else ""
            if not _blank(value):
                report.add("code-unknown", file=rel, sheet=sheet, cell=cell, input=code,
                           value=_as_text(value), city=city)
        out.codes, out.cells = codes, cells
        out.values = [row[value_col] if value_col < len(row) else "" for row in map(grid.__getitem__, rows)]
        return out
    for r in range(header + 1, len(grid)):
        row = grid[r]
        if code_col >= len(row):
            continue
        raw_code = row[code_col]
        if not isinstance(raw_code, str) or not raw_code:
            continue
        code = _norm(raw_code).lower()
        value = row[value_col] if value_col < len(row) else ""
        cell = f"{col}{r + 1}"
        if code not in inputs:
            if _CODE_LIKE.match(code) and not _blank(value):
                report.add("code-unknown", file=rel, sheet=sheet, cell=cell, input=code,
                           value=_as_text(value), city=city)
        elif cell in uncached:
            # Read as empty (or as xlsxwriter's placeholder 0), yet never calculated: say what it is.
            report.add("value-formula-uncached", file=rel, sheet=sheet, cell=cell,
                       value=uncached[cell], expected=expected_text(inputs[code]), city=city, input=code)
            out.uncached.append(code)
        elif cell in error_cells:
            # calamine reads #DIV/0! and the like as empty: not "not filled in".
            report.add("value-error", file=rel, sheet=sheet, cell=cell,
                       value=error_cells[cell], expected=expected_text(inputs[code]), city=city, input=code)
            out.uncached.append(code)
        else:
            out.codes.append(code)
            out.values.append(value)
            out.cells.append(cell)
    return out


def open_workbook(path: Path, data: bytes, facts):
    """calamine's workbook for the checked bytes. An OLE file is opened by its
    path as an .xls (the bytes just checked): sniffing from memory would turn
    every error, a password included, into "Cannot detect file format"."""
    from python_calamine import CalamineWorkbook

    if data.startswith(_OLE) and path.suffix.lower() == ".xls":
        return CalamineWorkbook.from_path(str(path))
    # The checked parts, unzipped already, when the inspection repacked them (see _repack).
    return CalamineWorkbook.from_filelike(io.BytesIO(facts.parse if facts and facts.parse else data))


# calamine's own words for a damaged file -> the finding that says it plainly.
_CALAMINE_REASONS = (
    ("range is missing the expected", "file-cell-ref-bad"),
    ("failed to fill whole buffer", "file-incomplete"),
    ("end of stream", "file-incomplete"),
    ("no entry found for key", "file-part-missing"),
)


def why_unreadable(data: bytes, exc: BaseException, described: bool = True) -> tuple[str, str]:
    """(code, note) for a workbook calamine could not read: a plain reason where
    one is known, else file-unreadable with what the file holds."""
    if type(exc).__name__ == "PanicException":     # pyo3_runtime.PanicException, a BaseException
        return "file-structure-broken", _reason(exc)
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<?xml") and b"urn:oasis:names:tc:opendocument" in head:
        return "file-flat-ods", ""
    if data.startswith(_PK):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            names = []
        if any(n.startswith("xl/macrosheets/") for n in names) and not any(n.startswith("xl/worksheets/") for n in names):
            return "file-macro-sheet", ""
        if "xl/workbook.bin" in names:
            return "file-xlsb", ""
    text = str(exc).lower()
    for words, code in _CALAMINE_REASONS:
        if words in text:
            return code, _reason(exc)
    return "file-unreadable", (_describe(data, exc) if described else _reason(exc))


def failure_code(reason: str) -> tuple[str, str]:
    """(finding code, expected) for a worker that died, ran out of memory or of time."""
    from .sandbox import MEMORY, MEMORY_LIMIT, TIME_LIMIT, TIMEOUT

    code = {MEMORY: "file-out-of-memory", TIMEOUT: "file-timeout"}.get(reason, "file-structure-broken")
    expected = {MEMORY: _mb(MEMORY_LIMIT), TIMEOUT: f"{TIME_LIMIT:g} 秒 / s"}.get(reason, READABLE)
    return code, expected


def _failed_read(path: Path, rel: str, reason: str, detail: str, roster: Roster, report: Report) -> _FileRead:
    """The record of a file whose worker died, ran out of memory or time (see
    sandbox.py): a finding for it alone; it is never read again here."""
    rel = file_label(rel)
    city = unit_from_filename(rel, roster) or ""
    code, expected = failure_code(reason)
    report.add(code, file=rel, city=city, note=detail, expected=expected)
    out = _FileRead(rel=rel, city=city, status="unreadable")
    try:
        with open(path, "rb") as fh:          # hashed only, never parsed
            out.sha256 = _sha256_stream(fh)
    except OSError:
        pass
    return out


def _too_large(facts: "ZipFacts", unreadable) -> _FileRead:
    """Refuse a file for its largest sheet (the one that would cost the most to read)."""
    sheet, (cells, far) = max(facts.too_large.items(), key=lambda kv: kv[1][0])
    return unreadable("sheet-too-large", sheet=sheet, cell=far, value=f"A1:{far}", note=str(cells),
                      expected=str(MAX_SHEET_CELLS))


def _sha256_stream(fh) -> str:
    h = hashlib.sha256()
    fh.seek(0)
    for chunk in iter(lambda: fh.read(_CHUNK), b""):
        h.update(chunk)
    return h.hexdigest()


def _reraise_interrupt(exc: BaseException) -> None:
    if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
        raise exc


def _describe(data: bytes, exc: BaseException) -> str:
    """What a file that is no workbook holds, in words an office user recognises."""
    head = data[:8]
    if head.startswith(_PK):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = zf.namelist()
        except zipfile.BadZipFile:
            names = []
        if any(n.startswith("word/") for n in names):
            return "Word (.docx)"
        if any(n.startswith("ppt/") for n in names):
            return "PowerPoint (.pptx)"
        return f"ZIP: {_reason(exc)}"
    if head.startswith(b"%PDF"):
        return "PDF"
    if head.startswith(_OLE):
        return f"OLE (.doc/.xls?): {_reason(exc)}"
    sample = data[:4096]
    lead = sample.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if lead.startswith((b"<!doctype html", b"<html", b"<table", b"<meta")):
        return "HTML（网页另存的“xls”，请在 Excel/WPS 中另存为 .xlsx / a web page saved as “xls”; save it as .xlsx）"
    if lead.startswith(b"<?xml") and b"urn:schemas-microsoft-com:office:spreadsheet" in sample:
        return "Excel 2003 XML（请另存为 .xlsx / save it as .xlsx）"
    if b"\x00" not in sample:
        for enc in ("utf-8", "gb18030"):
            try:
                sample.decode(enc)
                return "CSV/text"
            except UnicodeDecodeError as e:
                if e.start >= len(sample) - 4:   # a character cut at the sample's end
                    return "CSV/text"
    return _reason(exc)


def _input_sheet(wb, names, facts: ZipFacts | None = None):
    """(sheet, grid, header row, code column, value column) of the first sheet whose
    header row holds 编号 and 填报值; the template's sheet name is tried first only
    because it is the likely one. Each sheet is inspected (`facts.measure`) just
    before it is parsed; one found too large is never expanded."""
    names = sorted(names, key=lambda n: n != SHEET_NAME)
    for name in names:
        if facts is not None:
            facts.measure(name)
            if name in facts.too_large:
                continue
        grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        for r in range(min(len(grid), HEADER_SCAN_ROWS)):
            code_col = value_col = None
            for c, v in enumerate(grid[r]):
                if not isinstance(v, str) or not v:
                    continue
                t = _norm(v)
                if t == CODE_HEADER and code_col is None:
                    code_col = c
                elif t == VALUE_HEADER and value_col is None:
                    value_col = c
            if code_col is not None and value_col is not None:
                return name, grid, r, code_col, value_col
    return None


def _unit_cell(grid, header: int) -> tuple[str, str]:
    """The text beside the 被考核单位 label above the header, and its cell."""
    return label_cell(grid, header, UNIT_LABEL)


def label_cell(grid, header: int, label: str) -> tuple[str, str]:
    """The text beside `label` above the header, and its cell (被考核单位 on a
    unit's form, 核定单位 on an assessor's sheet)."""
    for r in range(header):
        row = grid[r]
        for c, v in enumerate(row):
            if not isinstance(v, str):
                continue
            t = _norm(v).rstrip(":：")
            if not t.startswith(label):
                continue
            rest = t[len(label):].lstrip(":：")
            if rest:  # '被考核单位：太原市' in one cell
                return rest, f"{col_name(c)}{r + 1}"
            # Only the adjacent cell: further right are other labels (填表人…).
            value = row[c + 1] if c + 1 < len(row) else ""
            return ("" if _blank(value) else _as_text(value).strip()), f"{col_name(c + 1)}{r + 1}"
    return "", ""


def code_rows(raw_codes, first: int, inputs) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """The rows of a 编号 column (`raw_codes`, its cells from row `first` down):
    (row, code) of the inputs the rules know, and of the code-like texts they do not."""
    known, unknown = [], []
    for r, raw in enumerate(raw_codes, first):
        if not isinstance(raw, str) or not raw:
            continue
        code = _norm(raw).lower()
        if code in inputs:
            known.append((r, code))
        elif _CODE_LIKE.match(code):
            unknown.append((r, code))
    return known, unknown


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


# --------------------------------------------------------------------------- the folder

def scan_folder(folder: Path, report: Report) -> tuple[list[tuple[str, str]], list[dict]]:
    """The workbooks directly in `folder`, to be read (pool.py): ((path, name) in
    name order, the files-table rows of the entries passed over, each with its finding)."""
    skipped: list[dict] = []
    todo: list[tuple[str, str]] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        why = _classify(entry)
        if why:
            label = file_label(entry.name)     # a GBK name as readable text, printable anywhere
            report.add(why, file=label)
            skipped.append({"file": label, "city": "", "status": "skipped", "inputs": 0, "problems": 0, "sha256": ""})
            continue
        todo.append((entry.path, entry.name))
    return todo, skipped
