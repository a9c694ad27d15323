"""Filling the score sheet by program, as a city would: by 编号 and 填报值.

    from fill import fill_workbook, valid_values
    values = valid_values(scheme)            # every input, all valid
    values["3.3.8a"] = 1176
    fill_workbook(template, tmp_path / "太原市.xlsx", values, city="太原市")
    fill_workbook(template, tmp_path / "大同市.ods", values, city="大同市", fmt="ods")

Values are written as given: str as text, int/float as numbers, None or "" left
blank. .xlsx/.xlsm keep the template's formatting and validations (openpyxl);
.xls (xlwt) and .ods (pandas' odf writer) carry the sheets' values only.
Lower-level pieces (`read_grid`, `fill_grid`, `write_grid`) let a test reorder
rows, insert rows or rename a sheet before writing.
"""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from openpyxl import load_workbook

from assess_xlsx.intake.contract import (ASSESSED_FOLDER, CODE_HEADER, GUIDE_SHEET, SHEET_NAME, UNIT_LABEL, VALUE_HEADER,
                                        WIDE_SHEET)
from assess_xlsx.rules.roles import OFFICE

FORMATS = ("xlsx", "xlsm", "xls", "ods")


def valid_values(scheme) -> dict[str, object]:
    """A complete, valid set of inputs for one unit: every check passes.

    是 for every 是/否, 0 for counts and amounts (10 for the denominators of
    rates, so no rate divides by 0), full points for scores, the first level,
    rank 100, and no notes (their amounts are 0).
    """
    rules = scheme.rules
    dens = {p.inputs["den"] for r in rules.rows.values() for p in r.deduct + r.bonus if p.kind == "rate"}
    out: dict[str, object] = {}
    for code, spec in rules.inputs.items():
        if spec.kind == "yesno":
            out[code] = "是"
        elif spec.kind == "count":
            out[code] = 10 if code in dens else (spec.min or 0)
        elif spec.kind == "amount":
            out[code] = 0
        elif spec.kind == "score":
            out[code] = _number(spec.max)
        elif spec.kind == "rank":
            out[code] = 100
        elif spec.kind == "level":
            out[code] = spec.levels[0]
        else:
            out[code] = ""
    return out


def _number(hundredths: int) -> int | float:
    return hundredths // 100 if hundredths % 100 == 0 else hundredths / 100


# --------------------------------------------------------------------------- grids

def locate(rows) -> tuple[int, int, int, tuple[int, int] | None]:
    """(header row, 编号 column, 填报值 column, (row, col) of the unit's cell) in a grid."""
    for r, row in enumerate(rows):
        texts = ["".join(str(v).split()) if isinstance(v, str) else None for v in row]
        if CODE_HEADER in texts and VALUE_HEADER in texts:
            unit = None
            for ur in range(r):
                for uc, v in enumerate(rows[ur]):
                    if isinstance(v, str) and "".join(v.split()).rstrip(":：") == UNIT_LABEL:
                        unit = (ur, uc + 1)
            return r, texts.index(CODE_HEADER), texts.index(VALUE_HEADER), unit
    raise ValueError("no header row with 编号 and 填报值")


def read_grid(template_path) -> dict[str, list[list]]:
    """Sheet name -> rows of values, for every sheet of the template (in order)."""
    path = Path(template_path).resolve()
    cached = _grids(str(path), path.stat().st_mtime_ns)
    return {name: [list(r) for r in rows] for name, rows in cached.items()}


@lru_cache(maxsize=8)
def _grids(path: str, mtime_ns: int) -> dict[str, tuple[tuple, ...]]:
    wb = load_workbook(path)
    grids = {ws.title: tuple(tuple(r) for r in ws.iter_rows(values_only=True)) for ws in wb.worksheets}
    wb.close()
    return grids


def fill_grid(rows: list[list], values: dict[str, object], city: str | None = None) -> list[list]:
    """Put `values` into the 填报值 cells of the rows whose 编号 is the key."""
    header, code_col, value_col, unit = locate(rows)
    out = [list(r) for r in rows]
    width = max(len(r) for r in out)
    for r in out:
        r.extend([None] * (width - len(r)))
    where = {str(r[code_col]).strip(): k for k, r in enumerate(out) if k > header and r[code_col]}
    unknown = set(values) - set(where)
    if unknown:
        raise KeyError(f"codes not in the sheet: {sorted(unknown)}")
    for code, value in values.items():
        out[where[code]][value_col] = _cell(value)
    if city is not None:
        out[unit[0]][unit[1]] = city
    return out


def write_grid(path, sheets: dict[str, list[list]], fmt: str | None = None) -> Path:
    """Write sheets of values as .xlsx/.xlsm (openpyxl), .xls (xlwt) or .ods (odf)."""
    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".").lower()
    if fmt in ("xlsx", "xlsm"):
        from openpyxl import Workbook

        wb = Workbook()
        wb.remove(wb.active)
        for name, rows in sheets.items():
            ws = wb.create_sheet(name)
            for row in rows:
                ws.append([_cell(v) for v in row])
        wb.save(path)
    elif fmt == "xls":
        import xlwt

        wb = xlwt.Workbook(encoding="utf-8")
        for name, rows in sheets.items():
            ws = wb.add_sheet(name)
            for r, row in enumerate(rows):
                for c, v in enumerate(row):
                    v = _cell(v)
                    if v is not None and v != "":
                        ws.write(r, c, v)
        wb.save(str(path))
    elif fmt == "ods":
        import pandas as pd

        with pd.ExcelWriter(path, engine="odf") as xw:
            for name, rows in sheets.items():
                width = max((len(r) for r in rows), default=0)
                frame = pd.DataFrame([[_cell(v) for v in r] + [None] * (width - len(r)) for r in rows], dtype=object)
                frame.to_excel(xw, sheet_name=name, header=False, index=False)
    else:
        raise ValueError(f"unknown format {fmt!r}; one of {FORMATS}")
    return path


def _cell(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if value == "":
        return None
    return value


# --------------------------------------------------------------------------- the one call

def fill_workbook(template_path, out_path, values: dict[str, object], city: str | None = None,
                  fmt: str = "xlsx", sheet_name: str | None = None, judged: bool = True) -> Path:
    """Fill the template with `values` (编号 -> 填报值) and save it as `fmt`.

    `sheet_name` renames the input sheet (the reader must not care). Values
    for inputs the form does not hold (the province's, on a unit's 自评 form)
    go, when `judged`, to 考核办's per-unit form for the same unit in the
    folder's 核定/ (same name, .xlsx), as the office would fill them.
    """
    out_path = Path(out_path)
    own = _codes(template_path)
    # Only the 2022 scheme's province inputs go to 考核办's form; a code on neither form is an error below.
    if judged and set(values) - own and set(values) - own <= _codes(office_form()):
        values = dict(values)
        theirs = {c: values.pop(c) for c in list(values) if c not in own}
        folder = out_path.parent / ASSESSED_FOLDER
        folder.mkdir(exist_ok=True)
        fill_workbook(office_form(), folder / f"{out_path.stem}.xlsx", theirs, city=city or _city_of(out_path),
                      judged=False)
    if fmt in ("xlsx", "xlsm"):
        wb = load_workbook(template_path)
        ws = wb[SHEET_NAME]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        filled = fill_grid(rows, values, city)
        header, code_col, value_col, unit = locate(rows)
        for r, row in enumerate(filled):
            if r > header and rows[r][code_col] is not None and row[value_col] != rows[r][value_col]:
                ws.cell(r + 1, value_col + 1).value = row[value_col]
        if city is not None:
            ws.cell(unit[0] + 1, unit[1] + 1).value = city
        if sheet_name:
            ws.title = sheet_name
        wb.save(out_path)
        wb.close()
        return out_path
    grids = read_grid(template_path)
    grids[SHEET_NAME] = fill_grid(grids[SHEET_NAME], values, city)
    if sheet_name:
        grids = {(sheet_name if k == SHEET_NAME else k): v for k, v in grids.items()}
    return write_grid(out_path, grids, fmt)


def _codes(template_path) -> set[str]:
    rows = read_grid(template_path)[SHEET_NAME]
    header, code_col, _, _ = locate(rows)
    return {str(r[code_col]).strip() for r in rows[header + 1:] if r[code_col]}


def _city_of(path: Path) -> str:
    from assess_xlsx.roster import DEFAULT_ROSTER, unit_from_filename

    return unit_from_filename(path.name, DEFAULT_ROSTER) or ""


@lru_cache(maxsize=1)
def office_form() -> Path:
    """考核办's per-unit form with every input (made once per test session)."""
    import tempfile

    from assess_xlsx.scheme import read_scheme
    from assess_xlsx.template import write_template

    path = Path(tempfile.mkdtemp(prefix="office-form-")) / "考核办.xlsx"
    return write_template(read_scheme(), path, assessor=OFFICE)


def fill_assessor_sheet(template_path, out_path, values: dict[str, dict[str, object]], fmt: str | None = None,
                        assessor: str | None = None, rename: dict[str, str] | None = None) -> Path:
    """Fill an assessor's wide sheet: values[unit][code]; `rename` changes unit headings
    (a misspelt column), `assessor` the 核定单位 cell. .xlsx keeps the template (openpyxl)."""
    out_path = Path(out_path)
    fmt = fmt or out_path.suffix.lstrip(".").lower()
    wb = load_workbook(template_path)
    ws = wb[WIDE_SHEET]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(k for k, r in enumerate(rows) if r and r[0] == CODE_HEADER)
    col = {v: c for c, v in enumerate(rows[header]) if isinstance(v, str)}
    row = {str(r[0]): k for k, r in enumerate(rows) if k > header and r[0]}
    for unit, codes in values.items():
        for code, v in codes.items():
            rows[row[code]][col[unit]] = _cell(v)
            ws.cell(row[code] + 1, col[unit] + 1).value = _cell(v)
    for old, new in (rename or {}).items():
        rows[header][col[old]] = new
        ws.cell(header + 1, col[old] + 1).value = new
    if assessor is not None:
        rows[header - 2][1] = assessor
        ws.cell(header - 1, 2).value = assessor
    if fmt in ("xlsx", "xlsm"):
        wb.save(out_path)
        wb.close()
        return out_path
    wb.close()
    return write_grid(out_path, {WIDE_SHEET: rows}, fmt)


__all__ = ["fill_assessor_sheet", "office_form", "FORMATS", "GUIDE_SHEET", "fill_grid", "fill_workbook", "locate", "read_grid", "valid_values", "write_grid"]
