"""Reading a folder of filled score sheets into one long table of inputs.

`read_submissions(folder, scheme, roster)` opens every workbook of the folder
read-only with python-calamine, finds the input sheet by its header row (a row
holding 编号 and 填报值), reads each input by its code (never by position),
works out which unit the file is for, normalises what people typed and checks
it against the scheme's input definitions. Several files of one unit are
merged. Problems are Findings collected in a Report; nothing is raised for a
bad file, which is reported while the rest go on.

Speed matters (thousands of workbooks): each file is read once into a list of
(code, value, cell) records; normalisation and checks then run as column
operations over all files together.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
from xlsxwriter.utility import xl_col_to_name

from .figures import fmt
from .findings import ERROR, INFO, MESSAGES, WARNING, Finding, Report
from .roster import DEFAULT_ROSTER, Roster
from .rules import NO, YES, InputSpec, RuleBook
from .template import CODE_HEADER, SHEET_NAME, UNIT_LABEL, VALUE_HEADER, expected_text

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
HEADER_SCAN_ROWS = 60
MAX_DIGITS = 12            # longer integer parts are not a plausible count or amount
READABLE = "未加密、能打开的工作簿（.xlsx、.xlsm、.xls、.ods）"

MESSAGES.update({
    # files passed over on purpose
    "file-skipped-lock": (INFO, "已跳过 Office 临时锁定文件（工作簿正被打开时产生）", "skipped an Office lock file (left while a workbook is open)"),
    "file-skipped-hidden": (INFO, "已跳过隐藏文件", "skipped a hidden file"),
    "file-skipped-folder": (INFO, "已跳过子文件夹（只读取本文件夹中的工作簿）", "skipped a subfolder (only workbooks directly in the folder are read)"),
    "file-skipped-other": (INFO, "不是工作簿（.xlsx、.xlsm、.xls、.ods），已跳过", "not a workbook (.xlsx, .xlsm, .xls, .ods); skipped"),
    # files that cannot be used
    "file-empty": (ERROR, "文件是空的（0字节），无法读取", "the file is empty (0 bytes)"),
    "file-encrypted": (ERROR, "工作簿设有打开密码，无法读取；请去掉密码后重新报送", "the workbook is password-protected; send it again without a password"),
    "file-unreadable": (ERROR, "无法作为工作簿读取（文件损坏或格式不对）：{note}", "cannot be read as a workbook (damaged or wrong format): {note}"),
    "sheet-missing": (ERROR, "找不到填报表：没有含“编号”和“填报值”两列的表头行", "no input sheet: no header row with the columns 编号 and 填报值"),
    # which unit
    "city-unknown": (ERROR, "被考核单位“{value}”不在单位名单中，请从下拉列表选择", "unit “{value}” is not in the roster; pick it from the list"),
    "city-missing": (ERROR, "无法确定被考核单位：“被考核单位”未填写，文件名中也没有名单中的单位", "cannot tell the unit: 被考核单位 is empty and the file name names no unit of the roster"),
    "city-disagrees": (ERROR, "被考核单位填的是“{value}”，文件名却是“{expected}”", "the sheet names “{value}” but the file name names “{expected}”"),
    # values
    "input-missing": (ERROR, "{input}（{note}）未填报", "{input} ({note}) is not filled in"),
    "value-not-number": (ERROR, "{input} 应填数字，填的是“{value}”；应为{expected}", "{input}: “{value}” is not a number; expected {expected}"),
    "value-unit": (ERROR, "{input} 填的“{value}”单位不对，应为{expected}", "{input}: wrong unit in “{value}”; expected {expected}"),
    "value-not-yesno": (ERROR, "{input} 应填“是”或“否”，填的是“{value}”", "{input}: “{value}” is not 是 (yes) or 否 (no)"),
    "value-not-level": (ERROR, "{input} 应为{expected}，填的是“{value}”", "{input}: “{value}” is not one of the listed levels ({expected})"),
    "value-negative": (ERROR, "{input} 不能为负数，填的是“{value}”", "{input}: negative value “{value}”"),
    "value-fractional": (ERROR, "{input} 应为整数，填的是“{value}”", "{input}: “{value}” is not a whole number"),
    "value-decimals": (ERROR, "{input} 最多两位小数，填的是“{value}”（不会自动四舍五入）", "{input}: “{value}” has more than two decimals (it is not rounded)"),
    "value-below-min": (ERROR, "{input} 填的“{value}”小于下限，应为{expected}", "{input}: “{value}” is below the minimum; expected {expected}"),
    "value-over-max": (ERROR, "{input} 填的“{value}”超过上限，应为{expected}", "{input}: “{value}” is above the maximum; expected {expected}"),
    "score-over-points": (ERROR, "{input} 填的分值“{value}”超过本行赋分，应为{expected}", "{input}: score “{value}” is above the row's points; expected {expected}"),
    "percent-fraction": (ERROR, "{input} 填的是数字{value}，像是把“{note}%”存成了小数；请填写 {note} 或“{note}%”", "{input}: the number {value} looks like {note}% stored as a fraction; type {note} or “{note}%”"),
    "value-conflict": (ERROR, "{input} 两处填报不一致：此处为“{value}”，{note} 为“{expected}”", "{input}: conflicting values: “{value}” here, “{expected}” in {note}"),
    "rate-numerator-exceeds": (ERROR, "{input} 填的“{value}”大于{note}的“{expected}”，比率不能超过100%", "{input}: “{value}” is larger than {note} (“{expected}”); a rate cannot exceed 100%"),
    "rate-zero-denominator": (ERROR, "{input} 为0，无法计算比率 {note}", "{input} is 0: the rate {note} cannot be computed"),
    "note-required": (ERROR, "{note}大于0，须在 {input} 填写情形说明", "{note} is above 0: explain it in {input}"),
    "code-unknown": (WARNING, "编号“{input}”不在考核方案中，所填“{value}”已忽略", "code {input} is not in the scheme; its value “{value}” is ignored"),
})

# 是/否 as people write them (compared after NFKC and lower-casing).
YESNO_WORDS = {
    **{w: 1 for w in (YES, "√", "✓", "✔", "y", "yes", "有", "1", "true")},
    **{w: 0 for w in (NO, "×", "✗", "✘", "n", "no", "无", "0", "false")},
}
# Counting units accepted after a count besides the input's own.
COUNT_UNITS = frozenset({"件", "个", "项", "条", "次", "起", "家", "篇", "期", "处", "份", "季度", "个季度"})
RANK_UNITS = frozenset({"名", "位"})

_NUMBER = re.compile(r"^(?P<sign>[-+−]?)(?P<pre>第?)(?P<int>\d+(?:,\d{3})*)(?:\.(?P<frac>\d*))?(?P<unit>\D*)$")
_CODE_LIKE = re.compile(r"^\d+(?:\.\d+)+[a-z]?$")
_WS = re.compile(r"\s+")

VALUE_COLUMNS = ["city", "code", "number", "text", "raw", "file", "sheet", "cell"]
FILE_COLUMNS = ["file", "city", "status", "inputs", "problems", "sha256"]


class SubmissionsError(ValueError):
    """The folder cannot be read at all (not a folder, scheme without rules)."""


@dataclass
class Submissions:
    values: pd.DataFrame
    report: Report
    files: pd.DataFrame
    missing: list[str]
    roster: Roster
    folder: str = ""

    @property
    def rejected(self) -> list[str]:
        """Roster units with an error finding, in roster order (not to be scored)."""
        bad = {f.city for f in self.report.errors if f.city}
        return [u for u in self.roster.units if u in bad]

    @property
    def ok(self) -> bool:
        return self.report.ok and not self.missing


# --------------------------------------------------------------------------- units

def _norm(text) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", str(text)))


def _short(unit: str) -> str:
    """'太原市' -> '太原': the name people also use for a unit."""
    for suffix in ("市", "县", "区", "州", "盟", "旗"):
        if unit.endswith(suffix) and len(unit) - len(suffix) >= 2:
            return unit[: -len(suffix)]
    return unit


def match_unit(text: str, roster: Roster) -> str | None:
    """The roster unit a 被考核单位 cell names exactly (full or short name)."""
    t = _norm(text)
    for unit in roster.units:
        if t in (unit, _short(unit)):
            return unit
    return None


def unit_from_filename(name: str, roster: Roster) -> str | None:
    """The one roster unit named in a file name ('2022太原市政务公开考核表.xlsx')."""
    stem = _norm(Path(name).stem)
    found = {unit for unit in roster.units if unit in stem or _short(unit) in stem}
    # '晋中' inside '晋中市' is one unit; two different units is no answer.
    return found.pop() if len(found) == 1 else None


# --------------------------------------------------------------------------- one file

@dataclass
class _FileRead:
    rel: str
    city: str = ""
    status: str = "read"
    sheet: str = ""
    sha256: str = ""
    codes: list = field(default_factory=list)
    values: list = field(default_factory=list)
    cells: list = field(default_factory=list)


def _classify(entry: os.DirEntry) -> str | None:
    """Why an entry of the folder is passed over, or None for a workbook to read."""
    name = entry.name
    if entry.is_dir():
        return "file-skipped-folder"
    if name.startswith("~$") or name.startswith(".~lock."):
        return "file-skipped-lock"
    if name.startswith("."):
        return "file-skipped-hidden"
    if Path(name).suffix.lower() not in WORKBOOK_SUFFIXES:
        return "file-skipped-other"
    return None


def _read_file(path: Path, rel: str, inputs, roster: Roster, report: Report) -> _FileRead:
    from python_calamine import CalamineWorkbook, PasswordError

    out = _FileRead(rel=rel)
    name_city = unit_from_filename(rel, roster) or ""
    data = path.read_bytes()  # read-only; hashed so a changed file can be told apart
    out.sha256 = hashlib.sha256(data).hexdigest()
    if not data:
        report.add("file-empty", file=rel, city=name_city, expected=READABLE)
        out.city, out.status = name_city, "unreadable"
        return out
    try:
        wb = CalamineWorkbook.from_path(str(path))
    except PasswordError:
        report.add("file-encrypted", file=rel, city=name_city, expected=READABLE)
        out.city, out.status = name_city, "unreadable"
        return out
    except Exception as exc:  # any reader failure is a finding; the rest go on
        report.add("file-unreadable", file=rel, city=name_city, note=_reason(exc), expected=READABLE)
        out.city, out.status = name_city, "unreadable"
        return out
    try:
        found = _input_sheet(wb)
    except Exception as exc:
        report.add("file-unreadable", file=rel, city=name_city, note=_reason(exc), expected=READABLE)
        out.city, out.status = name_city, "unreadable"
        return out
    finally:
        wb.close()
    if found is None:
        report.add("sheet-missing", file=rel, city=name_city, expected=f"{CODE_HEADER}、{VALUE_HEADER}")
        out.city, out.status = name_city, "unreadable"
        return out
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
            report.add("city-disagrees", file=rel, sheet=sheet, cell=cell_ref, value=cell_text,
                       expected=name_city, city=cell_city)
            city = cell_city
        else:
            city = cell_city
    elif name_city:
        city = name_city
    else:
        report.add("city-missing", file=rel, sheet=sheet, cell=cell_ref, value=Path(rel).name,
                   expected="、".join(roster.units))
    out.city = city

    # Inputs by code. A plain loop over ~100 rows; the work is done later, in columns.
    col = xl_col_to_name(value_col)
    for r in range(header + 1, len(grid)):
        row = grid[r]
        if code_col >= len(row):
            continue
        raw_code = row[code_col]
        if not isinstance(raw_code, str) or not raw_code:
            continue
        code = _norm(raw_code).lower()
        value = row[value_col] if value_col < len(row) else ""
        if code in inputs:
            out.codes.append(code)
            out.values.append(value)
            out.cells.append(f"{col}{r + 1}")
        elif _CODE_LIKE.match(code) and not _blank(value):
            report.add("code-unknown", file=rel, sheet=sheet, cell=f"{col}{r + 1}", input=code,
                       value=_as_text(value), city=city)
    return out


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _input_sheet(wb):
    """(sheet, grid, header row, code column, value column) of the first sheet whose
    header row holds 编号 and 填报值; the template's sheet name is tried first only
    because it is the likely one."""
    names = list(wb.sheet_names)
    names.sort(key=lambda n: n != SHEET_NAME)
    for name in names:
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
    for r in range(header):
        row = grid[r]
        for c, v in enumerate(row):
            if not isinstance(v, str):
                continue
            t = _norm(v).rstrip(":：")
            if not t.startswith(UNIT_LABEL):
                continue
            rest = t[len(UNIT_LABEL):].lstrip(":：")
            if rest:  # '被考核单位：太原市' in one cell
                return rest, f"{xl_col_to_name(c)}{r + 1}"
            # Only the adjacent cell: further right are other labels (填表人…).
            value = row[c + 1] if c + 1 < len(row) else ""
            return ("" if _blank(value) else _as_text(value).strip()), f"{xl_col_to_name(c + 1)}{r + 1}"
    return "", ""


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _as_text(v) -> str:
    """What a cell held, as text. Floats as Excel shows them (15 significant
    digits), so 2.0 is '2' and a formula's 0.30000000000000004 is '0.3'."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format(v, ".15g")
    return str(v)


# --------------------------------------------------------------------------- normalising

def normalise(codes: pd.Series, values: pd.Series, rules: RuleBook) -> pd.DataFrame:
    """Normalise typed values, column-wise, against their inputs' definitions.

    Returns a frame aligned with `codes`: `raw` (the cell as text), `number`
    (Int64 scoring units), `text` (normalised text), `problem` (a finding code,
    "" when accepted) and `note` (detail for the message). Blank cells get
    problem "blank": they are not values at all.
    """
    idx = codes.index
    specs = rules.inputs
    is_num = values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    raw = values.map(_as_text).astype(object)
    kind = codes.map({c: s.kind for c, s in specs.items()})
    number = pd.Series(pd.NA, index=idx, dtype="Int64")
    text = pd.Series("", index=idx, dtype=object)
    problem = pd.Series("", index=idx, dtype=object)
    note = pd.Series("", index=idx, dtype=object)

    stripped = raw.str.strip()
    blank = stripped == ""
    problem[blank] = "blank"
    nfkc = raw.str.normalize("NFKC")
    compact = nfkc.str.replace(r"\s+", "", regex=True)

    # 是/否
    m = (kind == "yesno") & ~blank
    if m.any():
        yn = compact[m].str.lower().map(YESNO_WORDS)
        ok = yn.notna()
        number[ok[ok].index] = yn[ok].astype("int64")
        text[ok[ok].index] = np.where(yn[ok] == 1, YES, NO)
        problem[ok[~ok].index] = "value-not-yesno"

    # levels: one of the listed words
    m = (kind == "level") & ~blank
    if m.any():
        level_index = {(c, w): k for c, s in specs.items() if s.kind == "level" for k, w in enumerate(s.levels)}
        keys = list(zip(codes[m], compact[m]))
        lv = pd.Series([level_index.get(k) for k in keys], index=compact[m].index, dtype="Int64")
        ok = lv.notna()
        number[ok[ok].index] = lv[ok]
        text[ok[ok].index] = compact[m][ok]
        problem[ok[~ok].index] = "value-not-level"

    # free text: kept as typed, surrounding spaces removed
    m = (kind == "text") & ~blank
    text[m] = stripped[m]

    # numbers: counts, ranks, amounts, scores
    m = kind.isin(["count", "rank", "amount", "score"]) & ~blank
    if m.any():
        _numbers(codes[m], compact[m], is_num[m], kind[m], specs, number, text, problem, note)
    return pd.DataFrame({"raw": raw, "number": number, "text": text, "problem": problem, "note": note})


def _numbers(codes, compact, is_num, kind, specs, number, text, problem, note) -> None:
    ext = compact.str.extract(_NUMBER)
    parsed = ext["int"].notna()
    problem[parsed[~parsed].index] = "value-not-number"
    ext, codes, kind, is_num = ext[parsed], codes[parsed], kind[parsed], is_num[parsed]
    if ext.empty:
        return
    intpart = ext["int"].str.replace(",", "", regex=False)
    frac = ext["frac"].fillna("").str.rstrip("0")
    unit = ext["unit"].fillna("")
    pre = ext["pre"].fillna("")
    negative = ext["sign"].isin(["-", "−"])
    scaled = kind.isin(["amount", "score"])
    percent = codes.map({c: s.percent for c, s in specs.items()}).astype(bool)

    allowed = codes.map({c: allowed_units(spec) for c, spec in specs.items()})
    bad_unit = pd.Series([u not in a for u, a in zip(unit, allowed)], index=unit.index)
    bad_unit |= (pre != "") & (kind != "rank")
    too_long = intpart.str.len() > MAX_DIGITS

    ints = pd.Series(0, index=intpart.index, dtype="int64")
    fine = ~too_long
    ints[fine] = intpart[fine].astype("int64")
    decimals = frac.str.len()
    cents = frac.str.ljust(2, "0").str[:2]
    cents = cents.where(cents != "", "0").astype("int64")
    value = ints * 100 + cents                     # hundredths, as typed
    zero = (ints == 0) & (decimals == 0)
    whole = ~scaled
    # Bounds of counts and ranks are plain, of amounts and scores hundredths:
    # compare everything in hundredths, as integers.
    scale = pd.Series(np.where(whole, 100, 1), index=codes.index)
    lo_h = codes.map({c: _lower(s) for c, s in specs.items()}).astype("int64") * scale
    hi_h = codes.map({c: s.max for c, s in specs.items()}).astype("Int64") * scale

    code = pd.Series("", index=ext.index, dtype=object)
    fraction_pct = percent & is_num & (ints == 0) & (decimals > 0) & ~negative
    rules_in_order = (
        (too_long, "value-not-number"),
        (bad_unit, "value-unit"),
        (negative & ~zero, "value-negative"),
        (fraction_pct, "percent-fraction"),
        (whole & (decimals > 0), "value-fractional"),
        (scaled & (decimals > 2), "value-decimals"),
        (value < lo_h, "value-below-min"),
        (_mask(value > hi_h), "value-over-max"),
    )
    for mask, name in rules_in_order:
        code[(code == "") & mask] = name
    code[(code == "value-over-max") & (kind == "score")] = "score-over-points"
    for i in code.index[code == "percent-fraction"]:
        note[i] = _plain(Decimal(compact[i].rstrip("%")) * 100)   # 0.04 -> "4"
    problem[code.index] = code

    ok = code == ""
    n = np.where(whole[ok], ints[ok], value[ok])
    number[ok[ok].index] = pd.array(n, dtype="Int64")
    text[ok[ok].index] = [str(v) if w else fmt(v) for v, w in zip(n, whole[ok])]


def allowed_units(spec: InputSpec) -> frozenset[str]:
    """What may follow a number of this input: its own unit, and for counts the
    common counting units ('2件', '3个'); '%' only for a percent."""
    own = {spec.unit} if spec.unit else set()
    if spec.kind == "count":
        return frozenset({""} | own | COUNT_UNITS)
    if spec.kind == "rank":
        return frozenset({""} | own | RANK_UNITS)
    if spec.percent:
        return frozenset({"", "%"})
    return frozenset({""} | own)


def _lower(spec: InputSpec) -> int:
    return spec.min if spec.min is not None else (1 if spec.kind == "rank" else 0)


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


# --------------------------------------------------------------------------- the folder

def read_submissions(folder: str | os.PathLike, scheme, roster: Roster = DEFAULT_ROSTER) -> Submissions:
    """Read every workbook directly in `folder` against `scheme` (a Scheme or a RuleBook)."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionsError(f"文件夹不存在 / not a folder: {folder}")
    rules: RuleBook | None = scheme if isinstance(scheme, RuleBook) else getattr(scheme, "rules", None)
    if rules is None:
        raise SubmissionsError(
            "方案表与评分规则不一致，无法核对填报值 / the scheme table does not match its rules; "
            "cannot check the inputs"
        )
    inputs = rules.inputs
    report = Report()
    reads: list[_FileRead] = []
    skipped: list[dict] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        why = _classify(entry)
        if why:
            report.add(why, file=entry.name)
            skipped.append({"file": entry.name, "city": "", "status": "skipped", "inputs": 0, "problems": 0, "sha256": ""})
            continue
        reads.append(_read_file(Path(entry.path), entry.name, inputs, roster, report))

    cells = _cells_frame(reads)
    norm = normalise(cells["code"], cells["value"], rules) if len(cells) else _empty_norm()
    cells = pd.concat([cells, norm], axis=1)
    filled = cells[cells["problem"] != "blank"]
    _report_rejections(filled[filled["problem"] != ""], inputs, report)

    accepted = filled[(filled["problem"] == "") & (filled["city"] != "")]
    values = _merge(accepted, inputs, report)
    _cross_checks(values, cells, reads, rules, report)

    files = _files_frame(reads, skipped, filled, report)
    seen = {r.city for r in reads if r.city}
    missing = [u for u in roster.units if u not in seen]
    return Submissions(values=values, report=report, files=files, missing=missing, roster=roster, folder=str(folder))


def _cells_frame(reads: list[_FileRead]) -> pd.DataFrame:
    """Every input cell found, in every file: one frame built once."""
    cols = {"file": [], "sheet": [], "city": [], "order": [], "code": [], "value": [], "cell": []}
    for k, r in enumerate(reads):
        n = len(r.codes)
        if not n:
            continue
        cols["file"].extend([r.rel] * n)
        cols["sheet"].extend([r.sheet] * n)
        cols["city"].extend([r.city] * n)
        cols["order"].extend([k] * n)
        cols["code"].extend(r.codes)
        cols["value"].extend(r.values)
        cols["cell"].extend(r.cells)
    frame = pd.DataFrame(cols)
    frame["value"] = frame["value"].astype(object)
    return frame


def _empty_norm() -> pd.DataFrame:
    return pd.DataFrame({
        "raw": pd.Series(dtype=object), "number": pd.Series(dtype="Int64"), "text": pd.Series(dtype=object),
        "problem": pd.Series(dtype=object), "note": pd.Series(dtype=object),
    })


def _report_rejections(bad: pd.DataFrame, inputs, report: Report) -> None:
    for rec in bad.itertuples(index=False):
        spec = inputs[rec.code]
        report.add(
            rec.problem, file=rec.file, sheet=rec.sheet, cell=rec.cell, value=rec.raw,
            expected=expected_text(spec), note=rec.note, city=rec.city, input=rec.code,
        )


def _merge(accepted: pd.DataFrame, inputs, report: Report) -> pd.DataFrame:
    """One value per (city, input): the same value twice is fine, two values conflict."""
    acc = accepted.sort_values(["city", "code", "order", "cell"], kind="stable")
    acc = acc[~acc.duplicated(["city", "code", "text"])]
    clash = acc.duplicated(["city", "code"], keep=False)
    for (city, code), group in acc[clash].groupby(["city", "code"], sort=False):
        first = group.iloc[0]
        for other in group.iloc[1:].itertuples(index=False):
            report.add(
                "value-conflict", file=first["file"], sheet=first["sheet"], cell=first["cell"],
                value=first["raw"].strip(), expected=other.raw.strip(),
                note=f"{other.file} {other.sheet}!{other.cell}", city=city, input=code,
            )
    values = acc[~clash]
    order = {code: k for k, code in enumerate(inputs)}
    values = values.assign(_o=values["code"].map(order)).sort_values(["city", "_o"], kind="stable")
    out = values[VALUE_COLUMNS].reset_index(drop=True)
    out["number"] = out["number"].astype("Int64")
    for c in ("city", "code", "text", "raw", "file", "sheet", "cell"):
        out[c] = out[c].astype(object)
    return out


def _cross_checks(values: pd.DataFrame, cells: pd.DataFrame, reads: list[_FileRead], rules: RuleBook, report: Report) -> None:
    """Checks across inputs, on each unit's merged values."""
    inputs = rules.inputs
    where = values.set_index(["city", "code"])
    wide = values.pivot(index="city", columns="code", values="number") if len(values) else pd.DataFrame()

    def col(code):
        return wide[code] if code in wide.columns else pd.Series(pd.NA, index=wide.index, dtype="Int64")

    def at(city, code, **kw):
        loc = where.loc[(city, code)]
        report.add(kw.pop("code_"), file=loc["file"], sheet=loc["sheet"], cell=loc["cell"], city=city, input=code, **kw)

    # Rates: the part cannot exceed the whole; a zero whole is an error unless the rule says 0.
    for rule in rules.rows.values():
        for part in rule.deduct + rule.bonus:
            if part.kind != "rate":
                continue
            num, den = part.inputs["num"], part.inputs["den"]
            n, d = col(num), col(den)
            both = n.notna() & d.notna()
            for city in wide.index[_mask(both & (n > d))]:
                at(city, num, code_="rate-numerator-exceeds", value=where.loc[(city, num), "text"],
                   expected=where.loc[(city, den), "text"], note=den)
            if part.params.get("zero") == "error":
                for city in wide.index[_mask(both & (d == 0))]:
                    at(city, den, code_="rate-zero-denominator", value=where.loc[(city, den), "text"],
                       expected="大于0的整数", note=f"{num}/{den}")

    # Where a unit's inputs sit, filled or not: the first file holding the row.
    rows = cells[cells["city"] != ""].sort_values(["order"], kind="stable").drop_duplicates(["city", "code"])
    row_at = rows.set_index(["city", "code"])[["file", "sheet", "cell"]]
    first_file = {}
    for r in reads:
        if r.city and r.status == "read" and r.city not in first_file:
            first_file[r.city] = (r.rel, r.sheet)

    def place(city, code):
        if (city, code) in row_at.index:
            loc = row_at.loc[(city, code)]
            return {"file": loc["file"], "sheet": loc["sheet"], "cell": loc["cell"]}
        file, sheet = first_file[city]
        return {"file": file, "sheet": sheet, "cell": ""}

    # A note is needed when its amount is above 0.
    for spec in inputs.values():
        if not spec.required_if_positive:
            continue
        amount = col(spec.required_if_positive)
        has_note = pd.Series([(c, spec.code) in where.index for c in wide.index], index=wide.index, dtype=bool)
        for city in wide.index[_mask(amount.notna() & (amount > 0) & ~has_note)]:
            report.add("note-required", city=city, input=spec.code,
                       note=f"{spec.required_if_positive}（{where.loc[(city, spec.required_if_positive), 'text']}）",
                       expected=expected_text(spec), **place(city, spec.code))

    # Every input other than a note, for every unit that sent a readable sheet.
    filled = cells[(cells["problem"] != "blank") & (cells["city"] != "")]
    have = set(zip(filled["city"], filled["code"]))
    needed = [s for s in inputs.values() if s.kind != "text"]
    for city in first_file:
        for spec in needed:
            if (city, spec.code) not in have:
                report.add("input-missing", city=city, input=spec.code, note=spec.label,
                           expected=expected_text(spec), **place(city, spec.code))


def _mask(series: pd.Series) -> np.ndarray:
    """A comparison over nullable columns as a plain mask (NA counts as False)."""
    return series.fillna(False).astype(bool).to_numpy()


def _files_frame(reads, skipped, filled, report: Report) -> pd.DataFrame:
    problems: dict[str, int] = {}
    errors: set[str] = set()
    for f in report:
        if f.severity == INFO or not f.file:
            continue
        problems[f.file] = problems.get(f.file, 0) + 1
        if f.severity == ERROR:
            errors.add(f.file)
    counts = filled.groupby("file").size().to_dict() if len(filled) else {}
    rows = list(skipped)
    for r in reads:
        status = r.status
        if status == "read" and (r.rel in errors or not r.city):
            status = "rejected"
        rows.append({"file": r.rel, "city": r.city, "status": status, "inputs": int(counts.get(r.rel, 0)),
                     "problems": problems.get(r.rel, 0), "sha256": r.sha256})
    frame = pd.DataFrame(rows, columns=FILE_COLUMNS)
    frame = frame.sort_values("file", kind="stable").reset_index(drop=True)
    frame["inputs"] = frame["inputs"].astype("int64")
    frame["problems"] = frame["problems"].astype("int64")
    return frame
