"""Reading the scheme: the official task-breakdown table into scoring rows.

`read_scheme(path)` finds the header row and each column by its header text
(spaces and line breaks ignored), resolves merged cells, fills the indicator
columns down, joins the page fragments of each 一级指标, checks every
fragment's label against its rows' points and the base total against 100,
gives every row its code `P.S.R`, and attaches the rules of the matching
rules file. Problems are findings in `scheme.report`, never raised one by one;
`SchemeError` is raised only when the result cannot be used at all.

The same table reads the same however it was laid out: title rows above the
header or none, an extra column (序号), the table on any sheet, cells merged
(the Word attachment pasted into Excel), left empty under the filled one (the
same without merges, or an .ods/.xls whose merges the reader cannot see) or
unmerged and filled down. A Word attachment (.docx; .doc/.wps through
LibreOffice) is turned into the same grid and merges by word.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

import pandas as pd

from .cellref import col_name
from .crosscheck import cross_check
from .errors import FigureError, SchemeError
from .figures import fmt_short, to_hundredths
from .findings import Finding, Report
from .intake.guarded import Refusal, read_guarded
from .labels import ITEM_SIDE_ZH
from .rules.load import load_rules
from .rules.model import RuleBook
from .rules.roles import with_defaults

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
# Other header words offices use for the same column.
ALIASES = {
    "points": ("分值",),
    "method": ("考核办法",),
    "units": ("牵头单位",),
}
# A table without these columns simply has none of that text.
OPTIONAL = ("bonus_text", "method", "units")
# Columns whose empty cell continues the cell above (merged in the document).
FILLED_DOWN = ("primary", "secondary", "tertiary", "bonus_text", "method", "units")
SUMMARY = {name: side for side, name in ITEM_SIDE_ZH.items()}
EXPECTED_TOTAL = 10000  # hundredths: the base points of a scheme sum to 100
HEADER_SCAN_ROWS = 40
# What a cell holds when the table means "nothing here".
NONE_MARKS = frozenset({"-", "－", "—", "–", "―", "——", "--", "/", "／", "无"})

_WS = re.compile(r"\s+")
_LABEL = re.compile(r"^(?P<name>.*?)[（(](?P<points>[0-9０-９.．]+)分[)）]$")
_CLAUSE = re.compile(r"[（(]([一二三四五六七八九十]+)[)）]")



def norm(text) -> str:
    """Header and label matching ignores every space and line break."""
    return _WS.sub("", str(text)) if text is not None else ""


def is_none_mark(text) -> bool:
    """'-' (in any of its widths), '/', '无' or nothing at all."""
    t = norm(text)
    return t == "" or t in NONE_MARKS


@dataclass
class Scheme:
    name: str
    source: str
    rows: pd.DataFrame          # one row per scoring row, in table order
    primaries: pd.DataFrame     # one row per 一级指标: code, name, points, fragments, rows
    items: pd.DataFrame         # 综合加分项 / 重大扣分项 clauses: code, side, number, text
    rules: RuleBook | None
    report: Report = field(default_factory=Report)
    sheet: str = ""

    @property
    def ok(self) -> bool:
        return self.report.ok

    @property
    def base_total(self) -> int:
        return int(self.rows["points"].dropna().sum())

    @property
    def checks(self) -> dict[str, bool]:
        """Each check the reader runs, True when it passed."""
        codes = {f.code for f in self.report.errors}
        return {
            "points_valid": "scheme-points-invalid" not in codes,
            "fragments_match": "scheme-fragment-mismatch" not in codes,
            "total_is_100": "scheme-total-mismatch" not in codes,
            "rules_attached": self.rules is not None,
        }

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
    """Read a task-breakdown table (the embedded 2022 table when path is None).

    `rules` is a RuleBook or the path of a rules TOML (default: the 2022
    rules); they are attached only when the table's rows are theirs.
    """
    path = Path(path) if path is not None else default_scheme_path()
    report = Report()
    grid = _load_grid(path, report)
    if grid is None:
        raise SchemeError(report, str(path))
    header_row, colmap = _find_header(grid.values)
    if header_row is None:
        report.add("scheme-header-missing", file=path.name, expected="、".join(COLUMNS.values()))
        raise SchemeError(report, str(path))
    sheet = grid.sheet
    title = _title_above(grid.values, header_row) or grid.title or path.stem

    rows, items = _walk(grid, header_row, colmap, path.name, sheet, report)
    if not rows:
        report.add("scheme-header-missing", file=path.name, sheet=sheet, expected="、".join(COLUMNS.values()), note="表头下没有考核行")
        raise SchemeError(report, str(path))
    frame = pd.DataFrame(rows)
    # Points are integer hundredths, missing for bonus-only rows: nullable ints.
    frame["points"] = frame["points"].astype("Int64")
    frame["fragment_points"] = frame["fragment_points"].astype("Int64")
    primaries = _check_points(rows, path.name, sheet, report)
    frame = frame.drop(columns="_fragment_cell")
    item_frame = _item_frame(items, len(primaries))

    # A rules file that cannot be used is the rules' trouble (RuleError, naming that file), not the table's.
    book = rules if isinstance(rules, RuleBook) else load_rules(rules)
    cells = {key: _col_letter(c) for key, c in colmap.items()}
    attached = _attach(frame, item_frame, book, path.name, sheet, report, cells, grid.place) if book is not None else None
    if attached is not None:
        report.extend(cross_check(frame, attached, path.name, sheet, cells))
    if grid.places is not None:     # a Word table: each cell (findings, fragments, items) as Word shows it
        report.findings = [replace(f, sheet="", cell=grid.place(f.cell)) if f.cell and f.sheet == sheet else f
                           for f in report.findings]
        primaries["fragments"] = [[{**g, "cell": grid.place(g["cell"])} for g in fs] for fs in primaries["fragments"]]
        item_frame["cell"] = [grid.place(c) for c in item_frame["cell"]]
    return Scheme(name=title, source=str(path), rows=frame, primaries=primaries, items=item_frame,
                  rules=attached, report=report, sheet=sheet)


# --------------------------------------------------------------------------- loading

@dataclass
class _Grid:
    """One sheet as strings, merged cells resolved.

    `copies` holds the positions filled from the top-left cell of a merged
    range: a merged label continues, an equal label in its own cell may start
    a new page fragment.
    """
    values: list[list[str]]
    copies: set[tuple[int, int]]      # cells filled from a merge's top-left cell
    tops: set[tuple[int, int]]        # top-left cells of merges over several rows
    sheet: str
    title: str = ""
    places: list | None = None        # a Word table's: per row, where Word shows it (word.joined)

    def place(self, ref: str) -> str:
        """A cell reference ('E30') as the user finds it: itself in a sheet, the
        table, its row and column in a Word attachment split over several tables."""
        m = re.fullmatch(r"([A-Z]+)(\d+)", ref or "")
        if self.places is None or m is None or int(m.group(2)) > len(self.places):
            return ref
        from .word import word_place

        col = 0
        for ch in m.group(1):
            col = col * 26 + ord(ch) - 64
        return word_place(self.places[int(m.group(2)) - 1], col - 1)

    def cell(self, r: int, c: int | None) -> str:
        if c is None or c >= len(self.values[r]):
            return ""
        return self.values[r][c]


def _load_grid(path: Path, report: Report) -> _Grid | None:
    """The first sheet holding the table (a finding when none can be read)."""
    from .word import WORD_SUFFIXES, WordError

    if path.suffix.lower() in WORD_SUFFIXES:
        try:
            return _grid_word(path)
        except WordError as exc:
            report.add(exc.code, file=path.name, **exc.fields)
            return None
    try:
        # calamine reads values and merged ranges ~30x faster than openpyxl
        # (5 ms against 170 ms for the 2022 table: most of `score` on 11 cities).
        # A table given by the user is an untrusted workbook: the reader's guard,
        # parsed in a worker process that may die (intake/guarded.py).
        builtin = path.resolve() == default_scheme_path().resolve()
        grids = _grids_calamine(path) if builtin else read_guarded(path, _grids_calamine)
        if isinstance(grids, Refusal):    # the reader's plain reason, as for a submitted workbook
            report.add("scheme-refused", file=path.name, value=grids.zh, note=grids.en)
            return None
        if grids and path.suffix.lower() in (".xlsx", ".xlsm"):
            title = _xlsx_title(path)
            for grid in grids:
                grid.title = title
    except BaseException as exc:  # any reader failure (a Rust panic included) is a finding, not a crash
        if isinstance(exc, (KeyboardInterrupt, SystemExit, GeneratorExit)):
            raise
        report.add("scheme-unreadable", file=path.name, note=f"{type(exc).__name__}: {exc}")
        return None
    if not grids:
        report.add("scheme-unreadable", file=path.name, note="工作簿中没有工作表 / the workbook has no sheets")
        return None
    for grid in grids:
        if _find_header(grid.values)[0] is not None:
            return grid
    return grids[0]  # no header anywhere: the caller reports it


def _grid_word(path: Path) -> _Grid:
    """The table of a Word attachment: the first table holding the header row,
    joined with the tables continuing it after page breaks (see word.py)."""
    from .word import read_word_tables

    doc = read_word_tables(path)
    start = next((i for i, t in enumerate(doc.tables) if _find_header(t.values)[0] is not None), 0)
    values, ranges, name, places = doc.joined(start)
    grid = _resolve(values, ranges, name, "")
    grid.places = places
    above = doc.tables[start].above
    grid.title = _title_above([[t] for t in above], len(above)) or doc.title
    return grid


def _xlsx_title(path: Path) -> str:
    """The workbook's document title (docProps/core.xml), "" when there is none."""
    import html
    import re
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            info = zf.getinfo("docProps/core.xml")
            if info.file_size > 1 << 20:   # a core.xml is a few hundred bytes
                return ""
            core = zf.read(info).decode("utf-8", "replace")
    except (KeyError, OSError, zipfile.BadZipFile):
        return ""
    m = re.search(r"<dc:title>(.*?)</dc:title>", core, re.S)
    return html.unescape(m.group(1)).strip() if m else ""


def _grids_calamine(path: Path, facts=None) -> list[_Grid]:
    """Every sheet as a grid; with `facts` (the guard's zip inspection) each sheet
    is measured before calamine parses it and one too large is passed over."""
    from python_calamine import CalamineWorkbook

    wb = CalamineWorkbook.from_path(str(path))
    try:
        out = []
        if facts is not None:
            facts.settle(wb.sheet_names)
        for name in wb.sheet_names:
            if facts is not None:
                facts.measure(name)
                if name in facts.too_large:
                    continue
            sheet = wb.get_sheet_by_name(name)
            values = [[_cell_text(v) for v in row] for row in sheet.to_python(skip_empty_area=False)]
            # Merges are known for .xlsx/.xls; an .ods shows them as empty cells.
            ranges = [(r0, c0, r1, c1) for (r0, c0), (r1, c1) in (getattr(sheet, "merged_cell_ranges", None) or [])]
            out.append(_resolve(values, ranges, name, ""))
        return out
    finally:
        wb.close()


def _resolve(values: list[list[str]], ranges, sheet: str, title: str) -> _Grid:
    width = max((len(r) for r in values), default=0)
    values = [row + [""] * (width - len(row)) for row in values]
    copies: set[tuple[int, int]] = set()
    tops: set[tuple[int, int]] = set()
    for r0, c0, r1, c1 in ranges:
        if r0 >= len(values):
            continue
        if r1 > r0:
            tops.add((r0, c0))
        top = values[r0][c0] if c0 < width else ""
        for r in range(r0, min(r1, len(values) - 1) + 1):
            for c in range(c0, min(c1, width - 1) + 1):
                if (r, c) != (r0, c0):
                    values[r][c] = top
                    copies.add((r, c))
    return _Grid(values=values, copies=copies, tops=tops, sheet=sheet, title=title)


def _cell_text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "是" if v else "否"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).replace("\r\n", "\n").replace("\r", "\n")


def _header_key(text: str) -> str | None:
    t = norm(text)
    for key, name in COLUMNS.items():
        if t == name or t in ALIASES.get(key, ()):
            return key
    return None


def _find_header(values: list[list[str]]) -> tuple[int | None, dict[str, int | None]]:
    for r in range(min(len(values), HEADER_SCAN_ROWS)):
        found: dict[str, int | None] = {}
        for c, value in enumerate(values[r]):
            key = _header_key(value)
            if key and key not in found:
                found[key] = c
        if all(key in found for key in COLUMNS if key not in OPTIONAL):
            return r, {key: found.get(key) for key in COLUMNS}
    return None, {}


def _is_header(values: list[str], colmap: dict[str, int | None]) -> bool:
    """A header repeated at the top of a new page."""
    return all(_header_key(values[c]) == key for key, c in colmap.items() if c is not None)


def _title_above(values: list[list[str]], header_row: int) -> str:
    for r in range(header_row - 1, -1, -1):
        for t in values[r]:
            if "表" in t or "方案" in t:
                return norm(t)
    return ""


# --------------------------------------------------------------------------- walking the rows

def _walk(grid: _Grid, header_row: int, colmap: dict[str, int | None], file: str, sheet: str, report: Report):
    rows: list[dict] = []
    items: list[dict] = []
    prev: dict[str, str] = {}
    primary_order: dict[str, int] = {}
    secondary_order: dict[tuple[int, str], int] = {}
    row_counter: dict[tuple[int, int], int] = {}
    fragment_no = 0
    fragment_cell = ""
    pcol = colmap["primary"]
    # (text, own cell) of the previous scoring row's 一级指标 cell
    last_label: tuple[str, bool] | None = None

    for r in range(header_row + 1, len(grid.values)):
        line = grid.values[r]
        raw = {key: grid.cell(r, c).strip() for key, c in colmap.items()}
        if not any(raw.values()) or _is_header(line, colmap):
            continue  # blank line or a header repeated on a new page
        side = SUMMARY.get(norm(raw["primary"]))
        if side:
            col, text = _summary_text(grid, r, colmap)
            clauses = _clauses(_text(text))
            if not clauses:
                report.add("scheme-items-missing", file=file, sheet=sheet, cell=_cell_ref(r, col), note=norm(raw["primary"]))
            for number, body in clauses:
                items.append({"side": side, "number": number, "text": body,
                              "method": _text(raw["method"]), "units": _text(raw["units"]), "cell": _cell_ref(r, col)})
            prev, last_label = {}, None
            continue
        skipped = _not_a_scoring_row(raw)
        if skipped:
            report.add("scheme-row-skipped", file=file, sheet=sheet, cell=_cell_ref(r, pcol), value=str(r + 1), note=skipped[:40])
            continue

        cells = {}
        for key in COLUMNS:
            value = raw[key]
            if key in FILLED_DOWN and value == "":
                value = prev.get(key, "")
            cells[key] = value
        prev = cells

        # A page fragment starts where a 一级指标 label stands in its own cell:
        # the top of a merged label, or a label in a cell of its own -- unless
        # the row above holds the same label in its own cell too (the table was
        # unmerged and filled down, where two equal labels cannot be told apart).
        own = raw["primary"] != "" and (r, pcol) not in grid.copies
        if last_label is None or (r, pcol) in grid.tops:
            new = True
        elif own:
            new = not (last_label[1] and norm(last_label[0]) == norm(raw["primary"]))
        else:
            new = False
        if new:
            fragment_no += 1
            fragment_cell = _cell_ref(r, pcol)
        last_label = (raw["primary"] or cells["primary"], own)

        label = norm(cells["primary"])
        if not label:
            report.add("scheme-primary-missing", file=file, sheet=sheet, cell=_cell_ref(r, pcol))
        m = _LABEL.match(label)
        pname = m.group("name") if m else label
        fragment_points = _label_points(m.group("points")) if m else None
        p = primary_order.setdefault(pname, len(primary_order) + 1)
        sname = norm(cells["secondary"])
        s = secondary_order.setdefault((p, sname), sum(1 for k in secondary_order if k[0] == p) + 1)
        n = row_counter[(p, s)] = row_counter.get((p, s), 0) + 1

        points = _points(cells["points"], file, sheet, _cell_ref(r, colmap["points"]), report)
        rows.append({
            "code": f"{p}.{s}.{n}",
            "primary_code": str(p),
            "secondary_code": f"{p}.{s}",
            "primary": pname,
            "secondary": sname,
            "tertiary": norm(cells["tertiary"]),
            "tertiary_text": cells["tertiary"],
            "points": points,
            "deduction_text": _text(cells["deduction_text"]),
            "bonus_text": _text(cells["bonus_text"]),
            "method": _text(cells["method"]),
            "units": _text(cells["units"]),
            "fragment": fragment_no,
            "fragment_label": cells["primary"],
            "fragment_points": fragment_points,
            "sheet_row": r + 1,
            "_fragment_cell": fragment_cell,
        })
    return rows, items


def _not_a_scoring_row(raw: dict[str, str]) -> str:
    """The text of a note or title row inside the table, '' for a scoring row.

    A scoring row has points or a deduction text ('-' counts: bonus-only rows
    write it). A note merged across the whole row shows the same text in
    every column.
    """
    filled = [v for v in raw.values() if v]
    if len(filled) >= 3 and len({norm(v) for v in filled}) == 1:
        return norm(filled[0])
    if raw["points"] == "" and raw["deduction_text"] == "":
        return norm(" ".join(filled))
    return ""


def _text(value: str) -> str:
    return "" if is_none_mark(value) else value


def _summary_text(grid: _Grid, r: int, colmap) -> tuple[int, str]:
    """The clauses of 综合加分项/重大扣分项: the first filled middle cell."""
    for key in ("secondary", "tertiary", "points", "deduction_text", "bonus_text"):
        c = colmap[key]
        if c is not None and grid.cell(r, c).strip():
            return c, grid.cell(r, c)
    return colmap["secondary"], ""


def _numeral(text: str) -> int:
    """'三' -> 3, '十二' -> 12 (clause numbers stay below 100)."""
    digits = "一二三四五六七八九"
    if "十" not in text:
        return digits.index(text) + 1 if text in digits else 0
    tens, _, ones = text.partition("十")
    return (digits.index(tens) + 1 if tens else 1) * 10 + (digits.index(ones) + 1 if ones else 0)


def _clauses(text: str) -> list[tuple[int, str]]:
    parts = _CLAUSE.split(text)
    out = []
    # split gives [before, numeral1, text1, numeral2, text2, ...]
    for i in range(1, len(parts) - 1, 2):
        body = parts[i + 1].strip().rstrip("；;。").strip()
        out.append((_numeral(parts[i]), body))
    if not out and text.strip():
        out.append((1, text.strip().rstrip("；;。").strip()))
    return out


def _item_frame(items: list[dict], n_primaries: int) -> pd.DataFrame:
    """Items are coded after the 一级指标: 综合加分项 n+1, 重大扣分项 n+2."""
    base = {"extra": n_primaries + 1, "major": n_primaries + 2}
    records = [{"code": f"{base[it['side']]}.{it['number']}", **it} for it in items]
    return pd.DataFrame(records, columns=["code", "side", "number", "text", "method", "units", "cell"])


def _label_points(text: str) -> int | None:
    try:
        return to_hundredths(unicodedata.normalize("NFKC", text))
    except FigureError:
        return None


def _points(text, file, sheet, cell, report) -> int | None:
    if is_none_mark(text):
        return None
    t = unicodedata.normalize("NFKC", norm(text)).removesuffix("分")
    try:
        value = to_hundredths(t)
    except FigureError:
        value = -1
    if value < 0:
        report.add("scheme-points-invalid", file=file, sheet=sheet, cell=cell, value=text)
        return None
    return value


def _col_letter(c: int | None) -> str:
    return col_name(c) if c is not None else ""


def _cell_ref(r: int, c: int | None) -> str:
    return f"{_col_letter(c)}{r + 1}" if c is not None else ""


# --------------------------------------------------------------------------- checks

def _check_points(rows: list[dict], file: str, sheet: str, report: Report) -> pd.DataFrame:
    """The primary indicators (一级指标) of the scoring rows `_walk` made, in
    table order, each with its page fragments in order; a fragment whose label
    states points (“（6分）”) other than its rows' sum, and a table whose rows
    do not add up to the scheme's total, are findings. (Plain loops over the
    few dozen rows: grouping them in pandas cost 10-15 ms of every run.)"""
    primaries: dict[tuple[str, str], dict[int, list[dict]]] = {}
    for row in rows:
        primaries.setdefault((row["primary_code"], row["primary"]), {}).setdefault(row["fragment"], []).append(row)
    records = []
    for (pcode, pname), by_fragment in primaries.items():
        fragments = []
        for fg in by_fragment.values():
            first = fg[0]
            label_points = first["fragment_points"]
            row_sum = sum(r["points"] for r in fg if r["points"] is not None)
            label = norm(first["fragment_label"])
            cell = first["_fragment_cell"]
            fragments.append({"label": label, "points": label_points, "sum": row_sum, "rows": len(fg), "cell": cell})
            if label_points is not None and label_points != row_sum:
                report.add(
                    "scheme-fragment-mismatch", file=file, sheet=sheet, cell=cell, input=pcode,
                    note=label, expected=fmt_short(label_points), value=fmt_short(row_sum),
                )
        points = [r["points"] for fg in by_fragment.values() for r in fg]
        records.append({
            "code": pcode, "name": pname,
            "points": sum(p for p in points if p is not None),
            "rows": len(points),
            "bonus_only_rows": sum(p is None for p in points),
            "fragments": fragments,
        })
    total = sum(r["points"] for r in rows if r["points"] is not None)
    if total != EXPECTED_TOTAL:
        report.add("scheme-total-mismatch", file=file, sheet=sheet, value=fmt_short(total), expected=fmt_short(EXPECTED_TOTAL))
    return pd.DataFrame(records, columns=["code", "name", "points", "rows", "bonus_only_rows", "fragments"])


def _attach(frame: pd.DataFrame, items: pd.DataFrame, book: RuleBook, file: str, sheet: str, report: Report,
            cells: dict[str, str], place) -> RuleBook | None:
    """The rules apply when the table's rows are the rows they were written for.
    A row that differs names its cell (`place` gives it as the user finds it)."""
    problems = []
    first_cell = ""
    table_codes = list(frame["code"])
    if table_codes != list(book.rows):
        missing = [c for c in book.rows if c not in set(table_codes)]
        extra = [c for c in table_codes if c not in book.rows]
        problems.append(f"表格{len(table_codes)}行、规则{len(book.rows)}行 / {len(table_codes)} rows vs {len(book.rows)} in the rules"
                        + (f"；表中缺少 / missing {', '.join(missing[:5])}" if missing else "")
                        + (f"；表中多出 / extra {', '.join(extra[:5])}" if extra else ""))
    for rec in frame.itertuples():
        rule = book.rows.get(rec.code)
        if rule is None:
            continue
        points = None if pd.isna(rec.points) else int(rec.points)
        column = "points" if rule.points != points else "tertiary"
        cell = f"{cells.get(column, '')}{rec.sheet_row}" if cells.get(column) else ""
        if rule.points != points:
            problems.append(f"{rec.code} 赋分 / points {_show(points)} ≠ {_show(rule.points)}（{place(cell)}）")
        elif rule.tertiary and norm(rule.tertiary) != rec.tertiary:
            problems.append(f"{rec.code} 三级指标 / tertiary “{rec.tertiary}” ≠ “{rule.tertiary}”（{place(cell)}）")
        else:
            continue
        first_cell = first_cell or cell
    if list(items["code"]) != list(book.items):
        problems.append(f"综合加分项/重大扣分项 / items {', '.join(items['code'])} ≠ {', '.join(book.items)}")
    if problems:
        more = f"（另有{len(problems) - 3}处 / {len(problems) - 3} more）" if len(problems) > 3 else ""
        report.add("scheme-rules-mismatch", file=file, sheet=sheet, cell=first_cell, expected=str(book.year or book.name),
                   note="；".join(problems[:3]) + more)
        return None
    # Who fills an input the rules file leaves open: its row's 考核方式.
    methods = dict(zip(frame["code"], frame["method"])) | dict(zip(items["code"], items["method"]))
    return with_defaults(book, methods)


def _show(points: int | None) -> str:
    return "-" if points is None else fmt_short(points)


__all__ = ["COLUMNS", "EXPECTED_TOTAL", "Finding", "Scheme", "SchemeError", "default_scheme_path", "is_none_mark", "norm", "read_scheme"]
