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
import html
import io
import os
import re
import stat
import unicodedata
import zipfile
import zlib
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
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

# Limits that keep one hostile or broken file from exhausting memory or time.
# A filled score sheet is ~50 KB on disk, ~0.5 MB unzipped, ~1,200 cells.
MAX_FILE_BYTES = 100 * 2**20       # on disk
MAX_PART_BYTES = 64 * 2**20        # one XML part of a zipped workbook, unzipped
MAX_XML_BYTES = 256 * 2**20        # all XML parts together, unzipped
MAX_ZIP_ENTRIES = 10_000
MAX_SHEET_CELLS = 2_000_000        # rows x columns a sheet spans, read as one grid

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
    # hostile or damaged files, refused before any parser sees them
    "file-skipped-special": (INFO, "不是普通文件（设备、管道或失效的链接），已跳过", "not a regular file (device, pipe or broken link); skipped"),
    "file-too-large": (ERROR, "文件过大（{value}），超过读取上限 {expected}；请只报送填报表", "the file is too large ({value}); the limit is {expected}; send only the score sheet"),
    "file-truncated": (ERROR, "文件不完整（压缩包缺少结尾，可能未下载或复制完），无法读取；请重新报送", "the file is incomplete (the zip archive has no end; the download or copy did not finish); send it again"),
    "file-zip-bomb": (ERROR, "工作簿解压后过大或压缩记录异常（{note}），疑似“压缩炸弹”，已拒绝读取；应为{expected}", "the workbook expands too far or its zip records are inconsistent ({note}); refused as a possible zip bomb; expected {expected}"),
    "file-xml-dtd": (ERROR, "工作簿的 {note} 部件含 DOCTYPE/实体声明（Excel、WPS 不会写入），已拒绝读取，未展开或下载任何实体", "the part {note} of the workbook holds a DOCTYPE/entity declaration (Excel and WPS never write one); refused, no entity expanded or fetched"),
    "sheet-too-large": (ERROR, "工作表“{sheet}”的已用区域达到 {value}（{note}个单元格，上限{expected}个），无法读取；请删除多余的行和列后重新报送", "sheet “{sheet}”: the used range reaches {value} ({note} cells, limit {expected}); delete the extra rows and columns and send it again"),
    "value-formula-uncached": (ERROR, "{input} 是公式“{value}”，文件中却没有保存计算结果（由程序生成、未在 Excel/WPS 中计算）；请用 Excel/WPS 打开并保存，或直接填写数值；应为{expected}", "{input}: the formula “{value}” has no saved result (written by a program, never calculated); open and save the file in Excel/WPS, or type the value; expected {expected}"),
    "value-error": (ERROR, "{input} 的单元格是错误值 {value}，不是填报值；请改正公式或直接填写数值；应为{expected}", "{input}: the cell holds the error value {value}, not a value; correct the formula or type the value; expected {expected}"),
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


@lru_cache(maxsize=8)
def _unit_names(units: tuple[str, ...]) -> tuple[dict[str, str], dict[str, frozenset[str]], tuple[int, ...]]:
    """Built once per roster, so that naming a unit costs the same for 11 units
    or 3,000: name (full or short) -> the first unit in roster order so named,
    name -> every unit so named, and the lengths names have."""
    first: dict[str, str] = {}
    every: dict[str, set[str]] = {}
    for unit in units:
        for name in (unit, _short(unit)):
            first.setdefault(name, unit)
            every.setdefault(name, set()).add(unit)
    return first, {k: frozenset(v) for k, v in every.items()}, tuple(sorted({len(k) for k in every}))


def match_unit(text: str, roster: Roster) -> str | None:
    """The roster unit a 被考核单位 cell names exactly (full or short name)."""
    return _unit_names(tuple(roster.units))[0].get(_norm(text))


def unit_from_filename(name: str, roster: Roster) -> str | None:
    """The one roster unit named in a file name ('2022太原市政务公开考核表.xlsx')."""
    stem = _norm(Path(name).stem)
    _, every, lengths = _unit_names(tuple(roster.units))
    # Every unit whose full or short name is inside the stem: the stem's pieces
    # of the lengths names have, looked up (not every name searched for).
    found: set[str] = set()
    for n in lengths:
        for i in range(len(stem) - n + 1):
            units = every.get(stem[i:i + n])
            if units:
                found |= units
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
    uncached: list = field(default_factory=list)   # input codes reported already (formula never calculated, error value)


def file_label(name: str) -> str:
    """A file name as text that can be shown and written anywhere.

    A zip made on Chinese Windows and unpacked elsewhere leaves names in GBK,
    which Python keeps as lone surrogates: no terminal, CSV or workbook can
    print them. Decode such bytes as GB18030 (else with replacement marks);
    the file itself is still opened by its real name."""
    if not any("\udc80" <= ch <= "\udcff" for ch in name):
        return name
    raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def _classify(entry: os.DirEntry) -> str | None:
    """Why an entry of the folder is passed over, or None for a workbook to read."""
    # '太原市．ｘｌｓｘ' typed with a full-width IME, or a stray trailing space, is still a workbook.
    name = unicodedata.normalize("NFKC", file_label(entry.name)).strip()
    if entry.is_dir():
        return "file-skipped-folder"
    if name.startswith("~$") or name.startswith(".~lock."):
        return "file-skipped-lock"
    if name.startswith("."):
        return "file-skipped-hidden"
    if Path(name).suffix.lower() not in WORKBOOK_SUFFIXES:
        return "file-skipped-other"
    if not entry.is_file():  # a pipe would block the read, a device never end it
        return "file-skipped-special"
    return None


def _read_file(path: Path, rel: str, inputs, roster: Roster, report: Report) -> _FileRead:
    from python_calamine import CalamineWorkbook, PasswordError

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
        data = fh.read(MAX_FILE_BYTES + 1)
    out.sha256 = hashlib.sha256(data).hexdigest()
    if not data:
        return unreadable("file-empty", expected=READABLE)
    if _ole_encrypted(data):
        return unreadable("file-encrypted", expected=READABLE)
    try:
        facts = inspect_zip(data)
    except ZipRefused as refused:
        return unreadable(refused.code, note=refused.note, value=refused.value, expected=refused.expected,
                          sheet=refused.sheet, cell=refused.cell)
    if facts and facts.eager and facts.too_large:
        return _too_large(facts, unreadable)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        return unreadable("file-encrypted", expected=READABLE)
    except BaseException as exc:  # any reader failure (a Rust panic included) is a finding; the rest go on
        _reraise_interrupt(exc)
        return unreadable("file-unreadable", note=_describe(data, exc), expected=READABLE)
    too_large = facts.too_large if facts else {}
    try:
        # A part too large that no sheet name maps to cannot be passed over safely.
        stray = [k for k in too_large if k not in wb.sheet_names]
        found = None if stray else _input_sheet(wb, too_large)
    except BaseException as exc:
        _reraise_interrupt(exc)
        return unreadable("file-unreadable", note=_reason(exc), expected=READABLE)
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
    uncached = facts.uncached.get(sheet, {}) if facts else {}
    error_cells = facts.errors.get(sheet, {}) if facts else {}
    for r in range(header + 1, len(grid)):
        row = grid[r]
        if code_col >= len(row):
            continue
        raw_code = row[code_col]
        if not isinstance(raw_code, str) or not raw_code:
            continue
        code = _norm(raw_code).lower()
        value = row[value_col] if value_col < len(row) else ""
        if code in inputs and f"{col}{r + 1}" in uncached:
            # Read as empty (or as xlsxwriter's placeholder 0), yet never calculated: say what it is.
            report.add("value-formula-uncached", file=rel, sheet=sheet, cell=f"{col}{r + 1}",
                       value=uncached[f"{col}{r + 1}"], expected=expected_text(inputs[code]), city=city, input=code)
            out.uncached.append(code)
        elif code in inputs and f"{col}{r + 1}" in error_cells:
            # calamine reads #DIV/0! and the like as empty: not "not filled in".
            report.add("value-error", file=rel, sheet=sheet, cell=f"{col}{r + 1}",
                       value=error_cells[f"{col}{r + 1}"], expected=expected_text(inputs[code]), city=city, input=code)
            out.uncached.append(code)
        elif code in inputs:
            out.codes.append(code)
            out.values.append(value)
            out.cells.append(f"{col}{r + 1}")
        elif _CODE_LIKE.match(code) and not _blank(value):
            report.add("code-unknown", file=rel, sheet=sheet, cell=f"{col}{r + 1}", input=code,
                       value=_as_text(value), city=city)
    return out


def _too_large(facts: "ZipFacts", unreadable) -> _FileRead:
    """Refuse a file for its largest sheet (the one that would cost the most to read)."""
    sheet, (cells, far) = max(facts.too_large.items(), key=lambda kv: kv[1][0])
    return unreadable("sheet-too-large", sheet=sheet, cell=far, value=f"A1:{far}", note=str(cells),
                      expected=str(MAX_SHEET_CELLS))


# --------------------------------------------------------------------------- hostile files
#
# python-calamine parses whatever it is given, and a tiny file can make it
# allocate without bound: one value in cell XFD1048576 asks for a dense grid of
# 17 billion cells (the process aborts), and a 2 MB zip can hold gigabytes of
# XML. So a zipped workbook (.xlsx/.xlsm/.ods) is inspected first, on the very
# bytes calamine will get: sizes from the zip directory checked before anything
# is unzipped; each XML part unzipped in bounded chunks (Python's zipfile stops
# at the declared size and checks the CRC); any DOCTYPE refused (Excel, WPS and
# LibreOffice never write one, and it is how entity expansion and external
# entities get in); the area each sheet spans measured, and formulas with no
# saved result noted. Only then does calamine parse the file.

class ZipRefused(Exception):
    """A zipped workbook refused before parsing; fields of the finding to report."""

    def __init__(self, code: str, note: str = "", value: str = "", expected: str = "", sheet: str = "", cell: str = ""):
        super().__init__(code, note)
        self.code, self.note, self.value, self.expected, self.sheet, self.cell = code, note, value, expected, sheet, cell


@dataclass
class ZipFacts:
    """What the inspection learnt: sheet -> (cells, farthest cell) for sheets too
    large to read, sheet -> {cell: formula} for formulas with no saved result
    (or one the file itself says to recalculate), and sheet -> {cell: error
    text} for cells holding an error value (read as empty by calamine)."""
    too_large: dict = field(default_factory=dict)
    uncached: dict = field(default_factory=dict)
    errors: dict = field(default_factory=dict)
    # calamine parses every table of an .ods when it opens the file (an .xlsx
    # sheet only when asked for): one table too large makes the file unsafe.
    eager: bool = False


_PK = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DOCTYPE = b"<!DOCTYPE"
_CHUNK = 1 << 20
_ATTRS = rb"""(?P<attrs>(?:[^>"']|"[^"]*"|'[^']*')*?)"""     # quoted '>' does not end a tag
_XLSX_SCAN = re.compile(
    rb"<(?:[\w.-]+:)?row(?=[\s/>])" + _ATTRS.replace(b"attrs", b"rattrs") + rb"/?>"
    rb"|<(?:[\w.-]+:)?c(?=[\s/>])" + _ATTRS + rb"(?:/>|>(?P<inner>.*?)</(?:[\w.-]+:)?c\s*>)",
    re.S,
)
_ODS_SCAN = re.compile(
    rb"<(?P<tag>table:table|table:table-row|table:table-cell|table:covered-table-cell)(?=[\s/>])"
    + _ATTRS + rb"(?P<empty>/?)>|</(?P<end>table:table|table:table-row)\s*>"
)
_ATTR = re.compile(rb"""(?:^|\s)(?P<name>[\w.:-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
_REF = re.compile(r"^\$?([A-Za-z]{1,3})?\$?(\d{1,7})?$")
_FORMULA = re.compile(rb"<(?:[\w.-]+:)?f(?=[\s/>])(?P<fattrs>[^>]*?)(?:/>|>(?P<text>.*?)</(?:[\w.-]+:)?f\s*>)", re.S)
_VALUE = re.compile(rb"<(?:[\w.-]+:)?v(?=[\s/>])[^>]*?(?:/>|>(?P<text>.*?)</(?:[\w.-]+:)?v\s*>)", re.S)
_INLINE = re.compile(rb"<(?:[\w.-]+:)?is[\s>]")
# xlsxwriter and openpyxl ask Excel to recalculate everything on opening: the
# results they saved (xlsxwriter's 0, openpyxl's nothing) were never calculated.
_FULL_CALC = re.compile(rb"""<(?:[\w.-]+:)?calcPr(?=[\s/>])[^>]*?\sfullCalcOnLoad\s*=\s*["'](?:1|true)["']""")
_ODS_VALUE_ATTRS = (b"office:value", b"office:string-value", b"office:boolean-value", b"office:date-value", b"office:time-value")


def _attrs(raw: bytes) -> dict[bytes, str]:
    out = {}
    for m in _ATTR.finditer(raw):
        v = m.group("dq") if m.group("dq") is not None else m.group("sq")
        out[m.group("name")] = html.unescape(v.decode("utf-8", "replace")) if b"&" in v else v.decode("utf-8", "replace")
    return out


def _local(name: bytes) -> bytes:
    return name.rsplit(b":", 1)[-1]


def _get(attrs: dict[bytes, str], local: bytes) -> str | None:
    for k, v in attrs.items():
        if _local(k) == local:
            return v
    return None


def _ole_encrypted(data: bytes) -> bool:
    """An encrypted .xlsx is an OLE file holding an EncryptedPackage stream."""
    return data.startswith(_OLE) and "EncryptedPackage".encode("utf-16-le") in data


def inspect_zip(data: bytes) -> ZipFacts | None:
    """Inspect a zipped workbook before it is parsed (None: not a zip file).

    Raises ZipRefused with the finding to report for a file that must not be parsed.
    """
    if not data.startswith(_PK):
        return None
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise ZipRefused("file-truncated") from None
    limit = f"每个 XML 部件解压后不超过 {_mb(MAX_PART_BYTES)}，合计不超过 {_mb(MAX_XML_BYTES)}"
    with zf:
        infos = zf.infolist()
        if len(infos) > MAX_ZIP_ENTRIES:
            raise ZipRefused("file-zip-bomb", note=f"{len(infos)} entries", expected=f"至多 {MAX_ZIP_ENTRIES} 个部件")
        xml = [i for i in infos if i.filename.lower().endswith((".xml", ".rels", ".vml")) and not i.is_dir()]
        total = 0
        for i in xml:
            # Deflate never makes XML bigger by more than a few bytes a block: a
            # part whose compressed size exceeds its declared size lies about it.
            lies = i.compress_size > i.file_size + i.file_size // 100 + 1024
            if i.file_size > MAX_PART_BYTES or lies:
                note = f"{i.filename}: {_mb(i.file_size)} unzipped, {_mb(i.compress_size)} zipped"
                raise ZipRefused("file-zip-bomb", note=note, expected=limit)
            total += i.file_size
        if total > MAX_XML_BYTES:
            raise ZipRefused("file-zip-bomb", note=f"XML {_mb(total)} unzipped", expected=limit)
        names = {i.filename for i in infos}
        sheets = _xlsx_sheet_parts(zf, names) if "xl/workbook.xml" in names else {}
        recalc = bool(sheets) and _FULL_CALC.search(_unzip_checked(zf, zf.getinfo("xl/workbook.xml"), keep=True)) is not None
        facts = ZipFacts()
        for i in xml:
            whole = i.filename in sheets or i.filename == "content.xml"
            body = _unzip_checked(zf, i, keep=whole)
            if i.filename in sheets:
                _measure_xlsx(body, sheets[i.filename], facts, recalc)
            elif i.filename == "content.xml" and "mimetype" in names:
                facts.eager = True
                _measure_ods(body, facts)
        return facts


def _unzip_checked(zf: zipfile.ZipFile, info: zipfile.ZipInfo, keep: bool) -> bytes:
    """Unzip one part in chunks, refusing a DOCTYPE; the whole text only when `keep`."""
    parts, tail = [], b""
    try:
        with zf.open(info) as fh:
            while True:
                chunk = fh.read(_CHUNK)
                if not chunk:
                    break
                if _DOCTYPE in tail + chunk:
                    raise ZipRefused("file-xml-dtd", note=info.filename, expected=READABLE)
                tail = chunk[-len(_DOCTYPE):]
                if keep:
                    parts.append(chunk)
    except ZipRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        # A bad CRC is either a stream longer than the size the directory
        # declares (a bomb that lies) or, far more often, a damaged file.
        if "CRC" in str(exc) and _expands_beyond(zf, info):
            raise ZipRefused("file-zip-bomb", note=f"{info.filename}: expands far beyond its declared {_mb(info.file_size)}",
                             expected=f"每个 XML 部件解压后不超过 {_mb(MAX_PART_BYTES)}") from None
        note = "CRC 校验失败，文件已损坏 / CRC mismatch: damaged" if "CRC" in str(exc) else _reason(exc)
        raise ZipRefused("file-unreadable", note=f"{info.filename}: {note}", expected=READABLE) from None
    return b"".join(parts)


def _expands_beyond(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Whether a deflated part's stream holds far more than its declared size
    (over twice, and 1 MB more): inflated in chunks, output dropped, stopping
    there. A damaged stream decodes to garbage of about its size, or fails."""
    if info.compress_type != zipfile.ZIP_DEFLATED:
        return False
    fp = zf.fp
    fp.seek(info.header_offset)
    head = fp.read(30)
    if len(head) < 30 or head[:4] != _PK:
        return False
    name_len, extra_len = int.from_bytes(head[26:28], "little"), int.from_bytes(head[28:30], "little")
    fp.seek(info.header_offset + 30 + name_len + extra_len)
    d = zlib.decompressobj(-15)
    limit, produced, left, pending = 2 * info.file_size + _CHUNK + 1, 0, info.compress_size, b""
    while produced < limit and not d.eof:
        if not pending:
            pending = fp.read(min(_CHUNK, left)) if left > 0 else b""
            left -= len(pending)
            if not pending:
                break
        try:
            produced += len(d.decompress(pending, min(_CHUNK, limit - produced)))
        except zlib.error:
            return False
        pending = d.unconsumed_tail
    return produced >= limit


def _xlsx_sheet_parts(zf: zipfile.ZipFile, names: set[str]) -> dict[str, str]:
    """Worksheet part -> sheet name, from xl/workbook.xml and its relationships.
    Parts under xl/worksheets/ that no sheet names are measured under their part name."""
    out = {n: n for n in names if n.lower().startswith("xl/worksheets/") and n.lower().endswith(".xml")}
    try:
        book = _unzip_checked(zf, zf.getinfo("xl/workbook.xml"), keep=True)
        rels = _unzip_checked(zf, zf.getinfo("xl/_rels/workbook.xml.rels"), keep=True) if "xl/_rels/workbook.xml.rels" in names else b""
    except ZipRefused:
        raise
    targets = {}
    for m in re.finditer(rb"<(?:[\w.-]+:)?Relationship(?=[\s/>])" + _ATTRS + rb"/?>", rels):
        a = _attrs(m.group("attrs"))
        target = a.get(b"Target", "")
        path = target.lstrip("/") if target.startswith("/") else os.path.normpath("xl/" + target).replace(os.sep, "/")
        targets[a.get(b"Id", "")] = path
    for m in re.finditer(rb"<(?:[\w.-]+:)?sheet(?=[\s/>])" + _ATTRS + rb"/?>", book):
        a = _attrs(m.group("attrs"))
        rid = _get(a, b"id") or ""
        if targets.get(rid) in names:
            out[targets[rid]] = a.get(b"name", targets[rid])
    return out


def _col_index(letters: str) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


def _note_extent(facts: ZipFacts, sheet: str, max_row: int, max_col: int) -> None:
    cells = (max_row + 1) * (max_col + 1)   # read as one grid from A1
    if max_row >= 0 and cells > MAX_SHEET_CELLS:
        facts.too_large[sheet] = (cells, f"{xl_col_to_name(max_col)}{max_row + 1}")


# The quick look of _plain_sheet_fits: every cell tag written the way Excel,
# WPS, openpyxl and xlsxwriter write it, no formula, no error value.
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"(?: s="[0-9]{1,9}")?(?: t="(?:s|n|b|str|inlineStr|d)")? ?/?>')
_SMALL_PLAIN_CELL = re.compile(rb'<c r="[A-Z][1-9][0-9]{0,3}"(?: s="[0-9]{1,9}")?(?: t="(?:s|n|b|str|inlineStr|d)")? ?/?>')
_ODD_CELL_TAG = re.compile(rb"<c[\t\n\r\x0b\x0c/>]")     # <c not followed by a space
_PREFIXED_TAG = re.compile(rb":[cf][\s/>]")              # <x:c, <x:f: a cell or formula with a prefix
_FORMULA_TAG = re.compile(rb"<f[\s/>]")


def _plain_sheet_fits(body: bytes) -> bool:
    """True when _measure_xlsx would find nothing to record, known at C speed.

    The cell-by-cell scan costs ~20 µs a cell, and a workbook's 单位名单 sheet
    has a cell per unit: with 3,000 units the scan took longer than reading.
    Here every cell tag must be plain (`<c r="G12" s="3" t="s">`, openpyxl's
    `<c r="C2" s="19" t="n" />`: the r
    attribute giving the place, no other attribute but s and t, t not "e"):
    then the cells the scan would see are among these tags, at the places they
    name; no formula tag means no formula, no t="e" no error value; and the
    area these tags could span, 10^(most row digits) x the farthest column,
    which bounds the area the scan would measure, is within MAX_SHEET_CELLS.
    Any other sheet gets the full scan.
    """
    if _FORMULA_TAG.search(body) or _PREFIXED_TAG.search(body) or _ODD_CELL_TAG.search(body):
        return False
    tags = body.count(b"<c ")
    if len(_SMALL_PLAIN_CELL.findall(body)) == tags and 26 * 9999 <= MAX_SHEET_CELLS:
        return True                           # all plain, none beyond Z9999
    cells = _PLAIN_CELL.findall(body)
    if len(cells) != tags:                    # some cell tag is not plain
        return False
    if not cells:
        return True
    letters, rows = zip(*cells)
    cols = max(_col_index(c.decode("ascii")) for c in set(letters)) + 1
    return 10 ** max(map(len, rows)) * cols <= MAX_SHEET_CELLS


def _measure_xlsx(body: bytes, sheet: str, facts: ZipFacts, recalc: bool = False) -> None:
    """The area a worksheet's cells span, its formulas with no saved result (every
    formula when `recalc`: the workbook says its saved results are stale), and
    its cells holding an error value."""
    if _plain_sheet_fits(body):   # the usual sheet: nothing to record (see there)
        return
    row, col, max_row, max_col = -1, -1, -1, -1
    uncached, errors = {}, {}
    for m in _XLSX_SCAN.finditer(body):
        if m.group("rattrs") is not None:
            r = _get(_attrs(m.group("rattrs")), b"r")
            row = int(r) - 1 if r and r.isdigit() else row + 1
            col = -1
            continue
        attrs = _attrs(m.group("attrs"))
        ref = _REF.match((_get(attrs, b"r") or "").strip())
        if ref and ref.group(1):
            col = _col_index(ref.group(1))
        else:
            col += 1
        r = int(ref.group(2)) - 1 if ref and ref.group(2) else max(row, 0)
        inner = m.group("inner")
        if inner is None:        # <c .../>: no value, nothing stored
            continue
        max_row, max_col = max(max_row, r), max(max_col, col)
        f = _FORMULA.search(inner)
        v = _VALUE.search(inner)
        saved = (v.group("text") or b"").strip() if v is not None else b""
        ref = f"{xl_col_to_name(col)}{r + 1}"
        formula = ""
        if f is not None:
            text = html.unescape((f.group("text") or b"").decode("utf-8", "replace")).strip()
            formula = "=" + text if text else "=（共享公式 / shared formula）"
            cached = saved != b"" or _INLINE.search(inner) is not None \
                or (v is not None and (_get(attrs, b"t") or "") == "str")   # a formula that yields "" saves <v></v>
            if recalc or not cached:
                uncached[ref] = formula
                continue
        if (_get(attrs, b"t") or "") == "e":
            error = html.unescape(saved.decode("utf-8", "replace"))
            errors[ref] = f"{error}（{formula}）" if formula else error
    _note_extent(facts, sheet, max_row, max_col)
    if uncached:
        facts.uncached[sheet] = uncached
    if errors:
        facts.errors[sheet] = errors


def _measure_ods(body: bytes, facts: ZipFacts) -> None:
    """The same for every table of an OpenDocument spreadsheet, counting repeats."""
    name, row, col, rows_rep = None, 0, 0, 1
    max_row = max_col = -1
    uncached: dict[str, str] = {}

    def close_table():
        if name is not None:
            _note_extent(facts, name, max_row, max_col)
            if uncached:
                facts.uncached[name] = dict(uncached)

    for m in _ODS_SCAN.finditer(body):
        end = m.group("end")
        if end == b"table:table-row":
            row += rows_rep
            continue
        if end == b"table:table":
            close_table()
            name = None
            continue
        tag, attrs, empty = m.group("tag"), m.group("attrs"), m.group("empty") == b"/"
        a = _attrs(attrs)
        if tag == b"table:table":
            close_table()
            name, row, max_row, max_col = a.get(b"table:name", ""), 0, -1, -1
            uncached = {}
        elif tag == b"table:table-row":
            rows_rep = _repeat(a.get(b"table:number-rows-repeated"))
            col = 0
            if empty:
                row += rows_rep
        else:
            cols_rep = _repeat(a.get(b"table:number-columns-repeated"))
            content = not empty or b"office:value-type" in a or b"table:formula" in a
            if content:
                max_row, max_col = max(max_row, row + rows_rep - 1), max(max_col, col + cols_rep - 1)
            if b"table:formula" in a and not any(k in a for k in _ODS_VALUE_ATTRS) and empty:
                formula = a[b"table:formula"]
                uncached[f"{xl_col_to_name(col)}{row + 1}"] = formula.split(":", 1)[1] if formula.startswith("of:") else formula
            col += cols_rep
    close_table()


def _repeat(text: str | None) -> int:
    return int(text) if text and text.isdigit() and int(text) > 0 else 1


def _sha256_stream(fh) -> str:
    h = hashlib.sha256()
    fh.seek(0)
    for chunk in iter(lambda: fh.read(_CHUNK), b""):
        h.update(chunk)
    return h.hexdigest()


def _mb(n: int) -> str:
    if n < 2**20:
        return f"{n / 2**10:.1f} KB"
    return f"{n / 2**20:.1f} MB" if n < 2**30 else f"{n / 2**30:.1f} GB"


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


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _input_sheet(wb, too_large=None):
    """(sheet, grid, header row, code column, value column) of the first sheet whose
    header row holds 编号 and 填报值; the template's sheet name is tried first only
    because it is the likely one. Sheets in `too_large` are never expanded."""
    names = [n for n in wb.sheet_names if n not in (too_large or {})]
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
    # Each cell's result depends on its input and value alone, and 3,000 units
    # type the same few values (是, 0, 否 ...): normalise each pair once.
    seen: dict = {}
    first: list[int] = []
    inverse = np.empty(len(codes), dtype=np.intp)
    try:
        for i, (c, v) in enumerate(zip(codes.tolist(), values.tolist())):
            # The type too (1, 1.0 and True are equal keys); floats by repr (-0.0 is "-0").
            key = (c, float, repr(v)) if type(v) is float else (c, type(v), v)
            j = seen.get(key)
            if j is None:
                j = seen[key] = len(first)
                first.append(i)
            inverse[i] = j
    except TypeError:                  # an unhashable value: no shortcut
        first = list(range(len(codes)))
    if len(first) == len(codes):
        return _normalise_each(codes, values, rules)
    once = _normalise_each(codes.iloc[first].reset_index(drop=True), values.iloc[first].reset_index(drop=True), rules)
    out = once.iloc[inverse]
    out.index = codes.index
    return out


def _normalise_each(codes: pd.Series, values: pd.Series, rules: RuleBook) -> pd.DataFrame:
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

def read_submissions(folder: str | os.PathLike, scheme, roster: Roster = DEFAULT_ROSTER,
                     progress=None) -> Submissions:
    """Read every workbook directly in `folder` against `scheme` (a Scheme or a RuleBook).

    `progress(done, total)` is called after each workbook is read (for a progress bar).
    """
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
    todo: list[os.DirEntry] = []
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        why = _classify(entry)
        if why:
            report.add(why, file=entry.name)
            skipped.append({"file": entry.name, "city": "", "status": "skipped", "inputs": 0, "problems": 0, "sha256": ""})
            continue
        todo.append(entry)
    from .parallel import read_in_pool, use_pool

    if use_pool(len(todo)):   # thousands of files: one worker per core, same records, same order
        reads = read_in_pool([(entry.path, entry.name) for entry in todo], inputs, roster, report, progress)
    else:
        for done, entry in enumerate(todo, 1):
            reads.append(_read_file(Path(entry.path), entry.name, inputs, roster, report))
            if progress is not None:
                progress(done, len(todo))

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
    cols = {"file": [], "sheet": [], "city": [], "order": [], "pos": [], "code": [], "value": [], "cell": []}
    for k, r in enumerate(reads):
        n = len(r.codes)
        if not n:
            continue
        cols["file"].extend([r.rel] * n)
        cols["sheet"].extend([r.sheet] * n)
        cols["city"].extend([r.city] * n)
        cols["order"].extend([k] * n)
        cols["pos"].extend(range(n))      # sheet order: 'G107' sorts before 'G34' as text
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
    acc = accepted.sort_values(["city", "code", "order", "pos"], kind="stable")
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
    have = set(zip(filled["city"].tolist(), filled["code"].tolist()))   # lists: iterating a string column is slow
    have |= {(r.city, code) for r in reads if r.city for code in r.uncached}   # reported already
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
