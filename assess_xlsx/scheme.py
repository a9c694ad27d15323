"""Reading the scheme: the official task-breakdown table into scoring rows.

`read_scheme(path)` finds the header row and each column by its header text
(spaces and line breaks ignored), resolves merged cells, fills the indicator
columns down, joins the page fragments of each 一级指标, checks every
fragment's label against its rows' points and the base total against 100,
gives every row its code `P.S.R`, and attaches the rules of the matching
rules file. Problems are findings in `scheme.report`, never raised one by one;
`SchemeError` is raised only when the result cannot be used at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from .figures import FigureError, fmt, to_hundredths
from .findings import Finding, Report
from .rules import RuleBook, RuleError, load_rules

# Canonical column keys and the header text that names each (whitespace removed).
COLUMNS = {
    "primary": "一级指标",
    "secondary": "二级指标",
    "tertiary": "三级指标",
    "points": "赋分",
    "deduction_text": "扣分标准",
    "bonus_text": "加分标准",
    "method": "考核方式",
    "units": "责任单位",
}
# Columns whose empty cell continues the cell above (merged in the document).
FILLED_DOWN = ("primary", "secondary", "tertiary", "bonus_text", "method", "units")
SUMMARY = {"综合加分项": "extra", "重大扣分项": "major"}
EXPECTED_TOTAL = 10000  # hundredths: the base points of a scheme sum to 100
HEADER_SCAN_ROWS = 40

_WS = re.compile(r"\s+")
_LABEL = re.compile(r"^(?P<name>.*?)[（(](?P<points>\d+(?:\.\d+)?)分[)）]$")
_CLAUSE = re.compile(r"[（(]([一二三四五六七八九十]+)[)）]")
_NUMERALS = "一二三四五六七八九十"


class SchemeError(ValueError):
    """The table cannot be read as a scheme at all; carries the findings."""

    def __init__(self, report: Report, path: str):
        self.report = report
        self.path = path
        first = report.errors[0].message if report.errors else "unknown error"
        super().__init__(first)


def norm(text) -> str:
    """Header and label matching ignores every space and line break."""
    return _WS.sub("", str(text)) if text is not None else ""


@dataclass
class Scheme:
    name: str
    source: str
    rows: pd.DataFrame          # one row per scoring row, in table order
    primaries: pd.DataFrame     # one row per 一级指标: code, name, points, fragments, rows
    items: pd.DataFrame         # 综合加分项 / 重大扣分项 clauses: code, side, number, text
    rules: RuleBook | None
    report: Report = field(default_factory=Report)

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def base_total(self) -> int:
        return int(self.rows["points"].dropna().sum())

    @property
    def inputs(self) -> pd.DataFrame:
        """Every input of the attached rules, in table order (rows, then items)."""
        if self.rules is None:
            return pd.DataFrame(columns=["code", "owner", "id", "label", "kind", "min", "max", "unit", "levels", "percent", "required_if_positive"])
        records = [vars(spec) | {} for spec in self.rules.inputs.values()]
        return pd.DataFrame(records)


def default_scheme_path() -> Path:
    return Path(str(resources.files("assess_xlsx") / "data" / "shanxi-2022.xlsx"))


def read_scheme(path: str | Path | None = None, rules: RuleBook | str | Path | None = None) -> Scheme:
    """Read a task-breakdown table (the embedded 2022 table when path is None)."""
    path = Path(path) if path is not None else default_scheme_path()
    report = Report()
    grid, title = _load_grid(path, report)
    if grid is None:
        raise SchemeError(report, str(path))
    header_row, colmap = _find_header(grid)
    if header_row is None:
        report.add("scheme-header-missing", file=path.name, expected="、".join(COLUMNS.values()))
        raise SchemeError(report, str(path))
    sheet = grid.attrs.get("sheet", "")
    if not title:
        title = _title_above(grid, header_row) or path.stem

    rows, items = _walk(grid, header_row, colmap, path.name, sheet, report)
    if not rows:
        report.add("scheme-header-missing", file=path.name, sheet=sheet, expected="、".join(COLUMNS.values()), note="表头下没有考核行")
        raise SchemeError(report, str(path))
    frame = pd.DataFrame(rows)
    # Points are integer hundredths, missing for bonus-only rows: nullable ints.
    frame["points"] = frame["points"].astype("Int64")
    frame["fragment_points"] = frame["fragment_points"].astype("Int64")
    primaries = _check_points(frame, path.name, sheet, report)
    item_frame = pd.DataFrame(items, columns=["code", "side", "number", "text", "method", "units", "cell"])

    book = rules if isinstance(rules, RuleBook) else _load_rules(rules, report, path.name)
    attached = _attach(frame, item_frame, book, path.name, report) if book is not None else None
    if attached is not None:
        from .crosscheck import cross_check  # the text-figure cross-check reads the rule text

        report.extend(cross_check(frame, attached, path.name, sheet))
    return Scheme(name=title, source=str(path), rows=frame, primaries=primaries, items=item_frame, rules=attached, report=report)


# --------------------------------------------------------------------------- loading

def _load_grid(path: Path, report: Report) -> tuple[pd.DataFrame | None, str]:
    """The sheet holding the table as a grid of strings, merged cells resolved."""
    try:
        if path.suffix.lower() in (".xlsx", ".xlsm"):
            return _grid_openpyxl(path)
        return _grid_calamine(path)
    except Exception as exc:  # any reader failure is a finding, not a crash
        report.add("scheme-unreadable", file=path.name, note=f"{type(exc).__name__}: {exc}")
        return None, ""


def _grid_openpyxl(path: Path) -> tuple[pd.DataFrame | None, str]:
    from openpyxl import load_workbook

    wb = load_workbook(path, data_only=True)
    best = None
    for ws in wb.worksheets:
        values = [[c for c in row] for row in ws.iter_rows(values_only=True)]
        width = max((len(r) for r in values), default=0)
        grid = pd.DataFrame([list(r) + [None] * (width - len(r)) for r in values])
        for rng in ws.merged_cells.ranges:
            top = ws.cell(rng.min_row, rng.min_col).value
            for r in range(rng.min_row - 1, rng.max_row):
                for c in range(rng.min_col - 1, rng.max_col):
                    if r < len(grid) and c < width:
                        grid.iat[r, c] = top
        grid = grid.map(lambda v: "" if v is None else _cell_text(v))
        grid.attrs["sheet"] = ws.title
        if _find_header(grid)[0] is not None:
            best = grid
            break
    wb.close()
    return best, ""


def _grid_calamine(path: Path) -> tuple[pd.DataFrame | None, str]:
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    for name in wb.sheet_names:
        values = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
        width = max((len(r) for r in values), default=0)
        grid = pd.DataFrame([list(r) + [""] * (width - len(r)) for r in values])
        grid = grid.map(lambda v: "" if v is None else _cell_text(v))
        grid.attrs["sheet"] = name
        if _find_header(grid)[0] is not None:
            return grid, ""
    return None, ""


def _cell_text(v) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _find_header(grid: pd.DataFrame) -> tuple[int | None, dict[str, int]]:
    wanted = {text: key for key, text in COLUMNS.items()}
    for r in range(min(len(grid), HEADER_SCAN_ROWS)):
        found: dict[str, int] = {}
        for c, value in enumerate(grid.iloc[r]):
            key = wanted.get(norm(value))
            if key and key not in found:
                found[key] = c
        if len(found) == len(COLUMNS):
            return r, found
    return None, {}


def _title_above(grid: pd.DataFrame, header_row: int) -> str:
    for r in range(header_row - 1, -1, -1):
        texts = [t for t in grid.iloc[r] if t.strip()]
        for t in texts:
            if "表" in t or "方案" in t:
                return t.strip()
    return ""


# --------------------------------------------------------------------------- walking the rows

def _walk(grid, header_row, colmap, file, sheet, report):
    rows: list[dict] = []
    items: list[list] = []
    prev: dict[str, str] = {}
    primary_order: dict[str, int] = {}
    secondary_order: dict[tuple[int, str], int] = {}
    row_counter: dict[tuple[int, int], int] = {}
    fragment_no = 0
    fragment_key = None
    header_norm = [norm(v) for v in grid.iloc[header_row]]

    for r in range(header_row + 1, len(grid)):
        raw = {key: grid.iat[r, c].strip() for key, c in colmap.items()}
        if not any(raw.values()) or [norm(v) for v in grid.iloc[r]] == header_norm:
            continue  # blank line or a header repeated on a new page
        side = SUMMARY.get(norm(raw["primary"]))
        if side:
            text = _summary_text(grid, r, colmap)
            items.extend(_clauses(side, text, raw["method"], raw["units"], _cell_ref(r, colmap["secondary"])))
            prev = {}
            continue
        new_label = bool(raw["primary"]) and (raw["primary"] != prev.get("primary") or _is_merge_top(grid, r, colmap["primary"]))
        cells = {}
        for key in COLUMNS:
            value = raw[key]
            if key in FILLED_DOWN and value == "":
                value = prev.get(key, "")
            cells[key] = value
        if new_label or fragment_key is None:
            fragment_no += 1
            fragment_key = cells["primary"]
        prev = cells

        label = norm(cells["primary"])
        m = _LABEL.match(label)
        pname = m.group("name") if m else label
        fragment_points = to_hundredths(m.group("points")) if m else None
        p = primary_order.setdefault(pname, len(primary_order) + 1)
        sname = norm(cells["secondary"])
        s = secondary_order.setdefault((p, sname), sum(1 for k in secondary_order if k[0] == p) + 1)
        n = row_counter[(p, s)] = row_counter.get((p, s), 0) + 1

        points = _points(cells["points"], file, sheet, _cell_ref(r, colmap["points"]), report)
        bonus = "" if cells["bonus_text"] in ("-", "－", "—") else cells["bonus_text"]
        deduction = "" if cells["deduction_text"] in ("-", "－", "—") else cells["deduction_text"]
        rows.append({
            "code": f"{p}.{s}.{n}",
            "primary_code": str(p),
            "secondary_code": f"{p}.{s}",
            "primary": pname,
            "secondary": sname,
            "tertiary": norm(cells["tertiary"]),
            "tertiary_text": cells["tertiary"],
            "points": points,
            "deduction_text": deduction,
            "bonus_text": bonus,
            "method": "" if cells["method"] in ("-",) else cells["method"],
            "units": cells["units"],
            "fragment": fragment_no,
            "fragment_label": cells["primary"],
            "fragment_points": fragment_points,
            "sheet_row": r + 1,
        })
    return rows, items


def _is_merge_top(grid, r, c) -> bool:
    """In a merged or filled-down column a new label shows as a changed value."""
    return r > 0 and grid.iat[r - 1, c].strip() != grid.iat[r, c].strip()


def _summary_text(grid, r, colmap) -> str:
    for key in ("secondary", "tertiary", "points", "deduction_text", "bonus_text"):
        text = grid.iat[r, colmap[key]]
        if text.strip():
            return text
    return ""


def _clauses(side, text, method, units, cell):
    parts = _CLAUSE.split(text)
    base = 10 if side == "extra" else 11
    out = []
    # split gives [before, numeral1, text1, numeral2, text2, ...]
    for i in range(1, len(parts) - 1, 2):
        number = _NUMERALS.index(parts[i]) + 1 if parts[i] in _NUMERALS else 0
        body = parts[i + 1].strip().rstrip("；;。").strip()
        out.append([f"{base}.{number}", side, number, body, method, units, cell])
    return out


def _points(text, file, sheet, cell, report) -> int | None:
    t = norm(text)
    if t in ("", "-", "－", "—"):
        return None
    try:
        return to_hundredths(t)
    except FigureError:
        report.add("scheme-points-invalid", file=file, sheet=sheet, cell=cell, value=text)
        return None


def _cell_ref(r: int, c: int) -> str:
    from openpyxl.utils import get_column_letter

    return f"{get_column_letter(c + 1)}{r + 1}"


# --------------------------------------------------------------------------- checks

def _check_points(frame: pd.DataFrame, file: str, sheet: str, report: Report) -> pd.DataFrame:
    records = []
    for (pcode, pname), group in frame.groupby(["primary_code", "primary"], sort=False):
        fragments = []
        for frag, fg in group.groupby("fragment", sort=False):
            label_points = fg["fragment_points"].iloc[0]
            label_points = None if pd.isna(label_points) else int(label_points)
            row_sum = int(fg["points"].dropna().sum())
            fragments.append({"label": fg["fragment_label"].iloc[0], "points": label_points, "rows": len(fg), "sum": row_sum})
            if label_points is not None and label_points != row_sum:
                report.add(
                    "scheme-fragment-mismatch", file=file, sheet=sheet,
                    cell=f"A{int(fg['sheet_row'].iloc[0])}",
                    note=norm(fg["fragment_label"].iloc[0]), expected=fmt(label_points).removesuffix(".00"),
                    value=fmt(row_sum).removesuffix(".00"),
                )
        records.append({
            "code": pcode, "name": pname,
            "points": int(group["points"].dropna().sum()),
            "rows": len(group),
            "bonus_only_rows": int(group["points"].isna().sum()),
            "fragments": fragments,
        })
    total = int(frame["points"].dropna().sum())
    if total != EXPECTED_TOTAL:
        report.add("scheme-total-mismatch", file=file, sheet=sheet, value=fmt(total).removesuffix(".00"), expected=fmt(EXPECTED_TOTAL).removesuffix(".00"))
    return pd.DataFrame(records)


def _load_rules(rules, report, file) -> RuleBook | None:
    try:
        return load_rules(rules)
    except RuleError as exc:
        report.add("scheme-unreadable", file=file, note=f"rules: {exc}")
        return None


def _attach(frame: pd.DataFrame, items: pd.DataFrame, book: RuleBook, file: str, report: Report) -> RuleBook | None:
    """The rules apply when the table's rows are the rows they were written for."""
    problems = []
    table_codes = list(frame["code"])
    if table_codes != list(book.rows):
        missing = sorted(set(book.rows) - set(table_codes))
        extra = sorted(set(table_codes) - set(book.rows))
        problems.append(f"编号不同 / codes differ: 缺少 {missing[:5]} 多出 {extra[:5]}")
    else:
        for rec in frame.itertuples():
            rule = book.rows[rec.code]
            if rule.points != (None if pd.isna(rec.points) else rec.points):
                problems.append(f"{rec.code} 赋分 {rec.points} ≠ {rule.points}")
            elif rule.tertiary and norm(rule.tertiary) != rec.tertiary:
                problems.append(f"{rec.code} 三级指标“{rec.tertiary}”≠“{rule.tertiary}”")
    if list(items["code"]) != list(book.items):
        problems.append(f"综合加分项/重大扣分项 {list(items['code'])} ≠ {list(book.items)}")
    if problems:
        report.add("scheme-rules-mismatch", file=file, expected=str(book.year or book.name), note="；".join(problems[:3]))
        return None
    return book
