"""The assessors' sheets (核定): the folder the office puts them in, read.

Trust comes from the folder, never from what a file says: every workbook in
the assessed folder (`核定/` inside the inbox by default) is an assessor's.
Which assessor is said by the sheet's 核定单位 cell; a per-unit form (编号 /
填报值, as the unit's own) placed there counts as 考核办's whatever it says.

A wide sheet (核定表) is found by its header row: a cell 编号 and at least one
cell to its right holding a roster unit's name. Its unit columns are the
header cells right of the fixed columns; each becomes one `_FileRead` record
(the unit's values from this file), so that validate.py treats every value
with its file, sheet and cell as it treats a unit's own. Problems are
Findings; a file this module cannot open is handed to extract.py's reader,
which says precisely why.
"""

from __future__ import annotations

import difflib
import hashlib
import io
import os
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

from ..cellref import col_name
from ..findings import Report
from ..roster import Roster, _norm, match_unit
from ..rules.inputs import _as_text, expected_text
from ..rules.roles import OFFICE
from .contract import ASSESSOR_LABEL, CODE_HEADER, NAME_HEADER, RULE_HEADER, file_label
from .extract import (_CODE_LIKE, HEADER_SCAN_ROWS, _blank, _classify, _FileRead, _read_file, _reraise_interrupt,
                      code_rows, label_cell)
from .guard import MAX_FILE_BYTES, ZipRefused, _ole_encrypted, inspect_zip, read_capped

FIXED_HEADERS = frozenset({CODE_HEADER, NAME_HEADER, _norm(RULE_HEADER)})


@dataclass
class AssessedFile:
    """One workbook of the assessed folder: whose it is and the values per unit."""
    rel: str
    assessor: str = ""
    status: str = "read"                          # read / skipped / unreadable / rejected
    sheet: str = ""
    sha256: str = ""
    wide: bool = False
    columns: list = field(default_factory=list)   # one _FileRead per unit it gives values for


def scan_assessed(folder: Path, prefix: str) -> list[tuple[str, str, str | None]]:
    """The entries directly in `folder`, in name order: (path, name as shown
    `prefix/name`, why it is passed over or None for a workbook to read, pool.py)."""
    out = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        rel = f"{prefix}/{file_label(entry.name)}" if prefix else file_label(entry.name)
        out.append((entry.path, rel, _classify(entry)))
    return out


def read_assessed_file(path: Path, rel: str, inputs, roster: Roster, known, report: Report) -> AssessedFile:
    """One workbook of the assessed folder (in a worker, pool.py): a wide sheet, else
    the unit form's reader (a per-unit form counts as 考核办's)."""
    found = _wide_grid(path, frozenset(roster.units))
    if found is None:
        # A per-unit form, or no workbook at all: the unit form's reader, with all its findings.
        read = _read_file(path, rel, inputs, roster, report)
        status = read.status if read.city or read.status != "read" else "rejected"
        return AssessedFile(rel=rel, assessor=OFFICE, status=status, sheet=read.sheet, sha256=read.sha256,
                            columns=[read] if read.city and read.status == "read" else [])
    sheet, grid, header, code_col, facts, sha = found
    f = AssessedFile(rel=rel, sheet=sheet, sha256=sha, wide=True)
    text, ref = label_cell(grid, header, ASSESSOR_LABEL)
    if _norm(text) not in known:
        report.add("assessor-unknown", file=rel, sheet=sheet, cell=ref, value=text, expected="、".join(known))
        f.status = "rejected"
        return f
    f.assessor = _norm(text)

    # The unit columns: right of the fixed ones, each headed by a roster unit's name.
    head = grid[header]
    by_unit: dict[str, int] = {}
    for c in range(code_col + 1, len(head)):
        v = head[c]
        if _blank(v):
            continue
        name = _norm(_as_text(v))
        if name in FIXED_HEADERS:
            continue
        cell = f"{col_name(c)}{header + 1}"
        if name not in roster:
            near = match_unit(name, roster) or next(iter(difflib.get_close_matches(name, roster.units, 1, 0.5)), "")
            report.add("unit-column-unknown", file=rel, sheet=sheet, cell=cell, value=_as_text(v).strip(),
                       expected=near or "、".join(roster.units), note=near)
            continue
        if name in by_unit:
            first = f"{col_name(by_unit[name])}{header + 1}"
            report.add("unit-column-duplicate", file=rel, sheet=sheet, cell=cell, value=name, note=first)
            by_unit[name] = -1                     # neither column is used: a person decides which is right
            continue
        by_unit[name] = c
    after = f"{col_name(len(head))}{header + 1}"
    for unit in roster.units:
        if unit not in by_unit:
            report.add("unit-column-missing", file=f.rel, sheet=sheet, cell=after, value=unit, note=f.assessor)
    columns = {u: c for u, c in by_unit.items() if c >= 0}
    reads = {u: _FileRead(rel=rel, city=u, sheet=sheet, sha256=sha, wide=True) for u in columns}
    letters = {c: col_name(c) for c in columns.values()}     # once a column, not once a cell

    uncached = facts.uncached.get(sheet, {}) if facts else {}
    error_cells = facts.errors.get(sheet, {}) if facts else {}
    if not (uncached or error_cells) and _read_by_column(grid, header, code_col, inputs, columns, letters, reads,
                                                         rel, sheet, report):
        f.columns = list(reads.values())
        return f
    for r in range(header + 1, len(grid)):
        row = grid[r]
        raw_code = row[code_col] if code_col < len(row) else ""
        if not isinstance(raw_code, str) or not raw_code:
            continue
        code = _norm(raw_code).lower()
        if code not in inputs:
            filled = [row[c] for c in columns.values() if c < len(row) and not _blank(row[c])]
            if _CODE_LIKE.match(code) and filled:
                report.add("code-unknown", file=rel, sheet=sheet, cell=f"{col_name(code_col)}{r + 1}",
                           input=code, value=_as_text(filled[0]))
            continue
        r1 = r + 1
        for unit, c in columns.items():
            value = row[c] if c < len(row) else ""
            cell = f"{letters[c]}{r1}"
            read = reads[unit]
            if cell in uncached or cell in error_cells:
                kind = "value-formula-uncached" if cell in uncached else "value-error"
                report.add(kind, file=rel, sheet=sheet, cell=cell, value=(uncached.get(cell) or error_cells[cell]),
                           expected=expected_text(inputs[code]), city=unit, input=code)
                read.uncached.append(code)
                continue
            if _blank(value):
                continue
            read.codes.append(code)
            read.values.append(value)
            read.cells.append(cell)
    f.columns = list(reads.values())
    return f


def _read_by_column(grid, header: int, code_col: int, inputs, columns: dict, letters: dict, reads: dict,
                    rel: str, sheet: str, report: Report) -> bool:
    """A wide sheet with no formula left uncalculated and no error value, read one
    unit column at a time: the rows of known inputs turned into columns in C
    (zip), then each unit's non-blank values picked. The same records and
    findings as the row-by-row loop of read_assessed_file, which took 0.25 s
    over 考核办's 3,000 unit columns (a third of the reading of the assessors'
    sheets; this takes under 0.1). False, with nothing done, when the rows are
    not all one width (calamine's grid always is).

    A blank cell of a wide sheet is neither a value nor missing: what is owed
    is worked out from the values given, and a unit's own inputs are missing
    only on its own form. Most of 考核办's sheet is blank."""
    rows = grid[header + 1:]
    width = len(grid[header])
    if any(len(row) != width for row in rows):
        return False
    known, unknown = code_rows([row[code_col] for row in rows], header + 1, inputs)
    for r, code in unknown:
        filled = [grid[r][c] for c in columns.values() if not _blank(grid[r][c])]
        if filled:
            report.add("code-unknown", file=rel, sheet=sheet, cell=f"{col_name(code_col)}{r + 1}",
                       input=code, value=_as_text(filled[0]))
    at, codes = [r for r, _ in known], [code for _, code in known]
    if not at:
        return True
    by_column = list(zip(*(grid[r] for r in at)))
    every, numbers = tuple(codes), [str(r + 1) for r in at]
    # Blank (extract._blank): "" or only spaces. Looked for among the distinct
    # values of the unit columns, in C, not value by value.
    distinct = set(chain.from_iterable(by_column[c] for c in columns.values()))
    blank = {v for v in distinct if type(v) is str and not v.strip()}
    for unit, c in columns.items():
        values = by_column[c]
        letter = letters[c]
        read = reads[unit]
        if blank.isdisjoint(values):
            read.codes, read.values = every, list(values)
            read.cells = [letter + n for n in numbers]
        else:
            keep = [k for k, v in enumerate(values) if v not in blank]
            read.codes = [codes[k] for k in keep]
            read.values = [values[k] for k in keep]
            read.cells = [letter + numbers[k] for k in keep]
    return True


def _wide_grid(path: Path, units: frozenset):
    """(sheet, grid, header row, 编号 column, zip facts, sha256) of the first wide
    sheet, or None: not a wide sheet, or a file the unit form's reader must judge."""
    from python_calamine import CalamineWorkbook

    with open(path, "rb") as fh:
        data = read_capped(fh)
    if not data or len(data) > MAX_FILE_BYTES or _ole_encrypted(data):
        return None
    try:
        facts = inspect_zip(data)
        if facts and facts.eager and facts.too_large:
            return None
        wb = CalamineWorkbook.from_filelike(io.BytesIO(facts.parse if facts and facts.parse else data))
    except BaseException as exc:      # refused or unreadable: extract.py's reader says which
        _reraise_interrupt(exc)
        return None
    sha = hashlib.sha256(data).hexdigest()
    try:
        names = wb.sheet_names
        if facts:
            facts.settle(names)
        for name in names:
            if facts is not None:
                facts.measure(name)
                if name in facts.too_large:
                    continue
            grid = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            for r in range(min(len(grid), HEADER_SCAN_ROWS)):
                row = grid[r]
                texts = [_norm(v) if isinstance(v, str) else "" for v in row]
                if CODE_HEADER not in texts:
                    continue
                c = texts.index(CODE_HEADER)
                if any(t in units for t in texts[c + 1:]):
                    return name, grid, r, c, facts, sha
    except (ZipRefused, Exception):
        return None
    finally:
        wb.close()
    return None
