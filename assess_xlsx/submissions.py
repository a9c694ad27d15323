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
import itertools
import os
import re
import stat
import struct
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
    text = text if type(text) is str else str(text)
    # Short texts cached: every file of a folder holds the same ~130 codes and labels.
    return _norm_short(text) if len(text) <= 64 else _norm_text(text)


def _norm_text(text: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", text))


_norm_short = lru_cache(maxsize=16384)(_norm_text)


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
        # The checked parts, unzipped already, when the inspection repacked them (see _repack).
        wb = CalamineWorkbook.from_filelike(io.BytesIO(facts.parse if facts and facts.parse else data))
    except PasswordError:
        return unreadable("file-encrypted", expected=READABLE)
    except BaseException as exc:  # any reader failure (a Rust panic included) is a finding; the rest go on
        _reraise_interrupt(exc)
        return unreadable("file-unreadable", note=_describe(data, exc), expected=READABLE)
    try:
        names = wb.sheet_names
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
# is unzipped; each XML part unzipped with its size and CRC checked (an
# ordinary part in one call, anything unusual in bounded chunks: Python's
# zipfile stops at the declared size and checks the CRC); any DOCTYPE refused
# (Excel, WPS and LibreOffice never write one, and it is how entity expansion
# and external entities get in); the area each sheet spans measured where
# calamine would put its cells, and formulas with no saved result noted. Only
# then does calamine parse the file: for an .xlsx, a copy holding the checked
# parts unzipped (_repack), so that nothing is unzipped twice and calamine
# reads exactly what was checked.
#
# A worksheet of an .xlsx is unzipped, checked and measured only when calamine
# is about to parse it (see ZipFacts.measure), the input sheet (the first
# asked for) before calamine opens the file: calamine opens an .xlsx reading
# its workbook, relationships, shared strings and styles, and a worksheet's XML
# only when that sheet is asked for. A sheet never asked for (the hidden
# 单位名单, with a row per unit) is never unzipped by anyone: what it holds, a
# DOCTYPE or a damaged stream included, cannot reach the results. This holds
# only while the sheet names calamine lists lead to the very parts this
# inspection would pick; when anything about the mapping is unusual, every
# worksheet is checked up front.

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
    # Worksheets of an .xlsx not inspected yet: sheet name -> its part, in the
    # order of xl/workbook.xml; measured by `measure` before calamine parses one.
    later: dict = field(default_factory=dict)
    order: tuple = ()           # every sheet of xl/workbook.xml, when any waits
    zip: zipfile.ZipFile | None = field(default=None, repr=False)
    data: bytes = field(default=b"", repr=False)
    recalc: bool = False
    # The workbook calamine is given (see _repack); empty: the file's own bytes.
    parse: bytes = field(default=b"", repr=False)

    def measure(self, sheet: str) -> bytes | None:
        """Inspect a worksheet left for later, just before calamine parses it
        (raises ZipRefused as the inspection up front would). -> its XML."""
        info = self.later.pop(sheet, None)
        if info is None:
            return None
        body = _unzip_checked(self.zip, info, keep=True, data=self.data)
        _measure_xlsx(body, sheet, self, self.recalc)
        return body

    def settle(self, sheet_names) -> None:
        """Inspect every worksheet left for later now, unless calamine lists
        exactly the sheets, in the order, that xl/workbook.xml gave this
        inspection: only then is a sheet parsed the part it was mapped to."""
        if self.later and list(sheet_names) != list(self.order):
            for sheet in list(self.later):
                self.measure(sheet)


_PK = b"PK\x03\x04"
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DOCTYPE = b"<!DOCTYPE"
_CHUNK = 1 << 20
_ATTRS = rb"""(?P<attrs>(?:[^>"']|"[^"]*"|'[^']*')*?)"""     # quoted '>' does not end a tag
_ODS_SCAN = re.compile(
    rb"<(?P<tag>table:table|table:table-row|table:table-cell|table:covered-table-cell)(?=[\s/>])"
    + _ATTRS + rb"(?P<empty>/?)>|</(?P<end>table:table|table:table-row)\s*>"
)
_ATTR = re.compile(rb"""(?:^|\s)(?P<name>[\w.:-]+)\s*=\s*(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
# calamine (quick-xml) knows an element by its local name: what follows the first
# ':' of the tag name, the name running to the first space, tab, CR or LF. Any
# prefix, 'x:', 'é:' or ':', makes <x:c ...> a cell.
_NS = rb"(?:(?:[^ \t\r\n<>:/!?][^ \t\r\n<>:]*)?:)?"
# One token of XML as quick-xml reads it: a comment to the first '-->', CDATA
# to ']]>', a processing instruction to '?>', a tag (start or end) to its
# first '>' outside quotes.
_TOKEN = re.compile(rb"""<!--.*?-->|<!\[CDATA\[.*?\]\]>|<\?.*?\?>|<(?:[^>"']|"[^"]*"|'[^']*')*>""", re.S)
_TAG_NAME = re.compile(rb"[^ \t\r\n]*")
_R_ATTR = re.compile(rb"""(?:^|[^\w.:-])r\s*=\s*(?:"([^"]*)"|'([^']*)')""")   # every r=, as quick-xml may read one
_CELL_REF = re.compile(rb"^([A-Za-z]+)([0-9]+)$")
_ROW_REF = re.compile(rb"^[A-Za-z]*([0-9]+)$")
# xlsxwriter and openpyxl ask Excel to recalculate everything on opening: the
# results they saved (xlsxwriter's 0, openpyxl's nothing) were never calculated.
_FULL_CALC = re.compile(rb"""<""" + _NS + rb"""calcPr(?=[\s/>])[^>]*?\sfullCalcOnLoad\s*=\s*["'](?:1|true)["']""")
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
    try:
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
        facts = ZipFacts()
        sheets: dict[str, str] = {}
        done: set[zipfile.ZipInfo] = set()
        bodies: dict[zipfile.ZipInfo, bytes] = {}
        if "xl/workbook.xml" in names:
            # Unzipped (and checked) first, once: the sheets and their parts.
            first = [zf.getinfo("xl/workbook.xml")]
            if "xl/_rels/workbook.xml.rels" in names:
                first.append(zf.getinfo("xl/_rels/workbook.xml.rels"))
            bodies = {i: _unzip_checked(zf, i, keep=True, data=data) for i in first}
            book, rels = bodies[first[0]], bodies[first[-1]] if len(first) > 1 else b""
            entries = tuple(i.filename for i in infos)
            small = len(book) + len(rels) <= 1 << 16    # the cache keeps what it is given
            sheets, later, recalc = (_xlsx_sheet_parts_cached if small else _xlsx_sheet_parts)(book, rels, entries)
            facts.recalc = recalc
            facts.later = {name: zf.getinfo(part) for name, part in later.items()}
            facts.order = tuple(later)
            facts.zip, facts.data = (zf, data) if later else (None, b"")
            done = set(first) | set(facts.later.values())
        repack = bool(facts.later) and total <= _REPACK_MAX and len(data) <= _REPACK_MAX
        for i in xml:
            if i in done:
                continue
            whole = i.filename in sheets or i.filename == "content.xml"
            body = _unzip_checked(zf, i, keep=whole or repack, data=data)
            if repack:
                bodies[i] = body
            if i.filename in sheets:
                _measure_xlsx(body, sheets[i.filename], facts, facts.recalc)
            elif i.filename == "content.xml" and "mimetype" in names:
                facts.eager = True
                _measure_ods(body, facts)
        if repack:
            # The input sheet, the first calamine will be asked for, is
            # inspected now, so that calamine gets it unzipped too.
            if SHEET_NAME in facts.later:
                info = facts.later[SHEET_NAME]
                bodies[info] = facts.measure(SHEET_NAME)
            facts.parse = _repack(data, infos, bodies)
    except BaseException:
        zf.close()
        raise
    if facts.zip is None:
        zf.close()     # else kept (it holds `data`, no file) for ZipFacts.measure
    return facts


def _unzip_checked(zf: zipfile.ZipFile, info: zipfile.ZipInfo, keep: bool, data: bytes | None = None) -> bytes:
    """Unzip one part in chunks, refusing a DOCTYPE; the whole text only when `keep`.

    With `data`, the bytes of the zip, an ordinary part is first unzipped in one
    call (see _inflate_whole); anything unusual about it is left to the chunks,
    which say what is wrong."""
    body = _inflate_whole(data, info) if data is not None else None
    if body is not None:
        if _DOCTYPE in body:
            raise ZipRefused("file-xml-dtd", note=info.filename, expected=READABLE)
        return body if keep else b""
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


_WHOLE_MAX = 8 << 20      # parts up to this size may be unzipped in one call (a sheet is ~100 KB)
_REPACK_MAX = 32 << 20    # a workbook up to this size, unzipped XML and file, is repacked for calamine


def _repack(data: bytes, infos: list[zipfile.ZipInfo], bodies: dict) -> bytes:
    """The workbook again, as a zip of the parts just unzipped and checked,
    stored as they are, and every other part (a sheet not yet needed, an
    image) copied compressed, byte for byte: b"" when some part is unusual
    (encrypted, its local header not naming it), then calamine gets the file.

    Each XML part is unzipped once, here, instead of once here and again by
    calamine: a third of calamine's work on a filled score sheet. And
    calamine reads exactly the parts inspected, as Python's zipfile found
    them, whatever another zip reader would make of the original."""
    out: list[bytes] = []
    central: list[bytes] = []
    offset = 0
    for info in infos:
        name = info.filename.encode("utf-8")
        flags = 0 if name.isascii() else 0x800
        body = bodies.get(info)
        if body is not None:
            method, raw, size = zipfile.ZIP_STORED, body, len(body)
        else:
            if info.flag_bits & 0x61:
                return b""
            start = _local_data_start(data, info)
            if start is None:
                return b""
            method, raw, size = info.compress_type, data[start:start + info.compress_size], info.file_size
        head = (20, flags, method, 0, 0x21, info.CRC, len(raw), size, len(name))
        out += [struct.pack("<IHHHHHIIIHH", 0x04034B50, *head, 0), name, raw]
        central.append(struct.pack("<IH", 0x02014B50, 20) + struct.pack("<HHHHHIIIH", *head)
                       + struct.pack("<HHHHII", 0, 0, 0, 0, 0, offset) + name)
        offset += 30 + len(name) + len(raw)
    directory = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(infos), len(infos), len(directory), offset, 0)
    return b"".join(out) + directory + end


def _local_data_start(data: bytes, info: zipfile.ZipInfo) -> int | None:
    """Where a part's compressed bytes begin, if its local header is as zipfile
    expects (the signature, and the part's own name)."""
    off = info.header_offset
    head = data[off:off + 30]
    if len(head) < 30 or head[:4] != _PK:
        return None
    flags = int.from_bytes(head[6:8], "little")
    name_len, extra_len = int.from_bytes(head[26:28], "little"), int.from_bytes(head[28:30], "little")
    try:
        if data[off + 30:off + 30 + name_len].decode("utf-8" if flags & 0x800 else "cp437") != info.orig_filename:
            return None
    except UnicodeDecodeError:
        return None
    start = off + 30 + name_len + extra_len
    return start if start + info.compress_size <= len(data) else None


def _inflate_whole(data: bytes, info: zipfile.ZipInfo) -> bytes | None:
    """A part unzipped in one call, when all is as zipfile would find it: not
    encrypted or patched, stored or deflated, its local header naming it, the
    stream giving exactly the declared size (not a byte more) with the declared
    CRC. Else None: read it in chunks. Half the cost of zipfile's reader for the
    dozen small parts of a workbook."""
    if info.file_size > _WHOLE_MAX or info.flag_bits & 0x61 or info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return None
    start = _local_data_start(data, info)
    if start is None:
        return None
    raw = memoryview(data)[start:start + info.compress_size]
    if info.compress_type == zipfile.ZIP_STORED:
        body = bytes(raw)
    else:
        try:
            body = zlib.decompressobj(-15).decompress(raw, info.file_size + 1)
        except zlib.error:
            return None
    if len(body) != info.file_size or zlib.crc32(body) != info.CRC:
        return None
    return body


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


def _xlsx_sheet_parts(book: bytes, rels: bytes, entries: tuple[str, ...]) -> tuple[dict[str, str], dict[str, str], bool]:
    """From xl/workbook.xml and its relationships (and the names of the zip's
    `entries`): worksheet part -> sheet name for the parts to measure now,
    sheet name -> part for the sheets that can wait until calamine parses them
    (see ZipFacts), and whether the workbook asks for every formula to be
    recalculated. Parts under xl/worksheets/ that no sheet names are measured
    now, under their part name. The results are only read: _xlsx_sheet_parts_cached
    serves files made from one template, which share these parts byte for byte.

    A sheet waits only when calamine is sure to read that very part for it:
    every relationship and sheet tag plain (no attribute twice, no entity in an
    id or target, one r:id), ids unique, the target resolving to the same part
    the way calamine resolves it ('xl/' + target), the part named once in the
    zip even ignoring case (calamine's lookup ignores case), names and parts
    unique. Else nothing waits, as if every sheet would be parsed.
    """
    names = set(entries)
    out = {n: n for n in names if n.lower().startswith("xl/worksheets/") and n.lower().endswith(".xml")}
    sure = len({n.lower() for n in entries}) == len(entries)
    targets: dict[str, str] = {}
    raw_targets: dict[str, str] = {}
    for _, local, tag, content, end_tag, _ in _xml_tags(rels):
        if local != b"Relationship" or end_tag:
            continue
        raw = content[len(tag):]
        a = _attrs(raw)
        target = a.get(b"Target", "")
        path = target.lstrip("/") if target.startswith("/") else os.path.normpath("xl/" + target).replace(os.sep, "/")
        rid = a.get(b"Id", "")
        sure = sure and _plain_tag(raw) and rid not in targets
        targets[rid] = path
        raw_targets[rid] = target
    later: dict[str, str] = {}
    for _, local, tag, content, end_tag, _ in _xml_tags(book):
        if local != b"sheet" or end_tag:
            continue
        raw = content[len(tag):]
        a = _attrs(raw)
        rid = _get(a, b"id") or ""
        if targets.get(rid) in names:
            part, name = targets[rid], a.get(b"name", targets[rid])
            out[part] = name
            ids = [k for k in a if _local(k) == b"id"]
            sure = (sure and _plain_tag(raw) and ids in ([b"r:id"], [b"relationships:id"])
                    and b"name" in a and name not in later and part not in later.values()
                    and _calamine_part(raw_targets[rid]) == part and part.isascii())
            later[name] = part
        else:
            sure = False     # a sheet calamine may list with a part unknown here
    if not sure:
        later = {}
    for part in later.values():
        del out[part]
    return out, later, bool(out or later) and _FULL_CALC.search(book) is not None


_xlsx_sheet_parts_cached = lru_cache(maxsize=32)(_xlsx_sheet_parts)


def _plain_tag(attrs: bytes) -> bool:
    """No attribute given twice and no entity or character reference in any value."""
    found = [m.group("name") for m in _ATTR.finditer(attrs)]
    return len(found) == len(set(found)) and b"&" not in attrs


def _calamine_part(target: str) -> str:
    """The part calamine opens for a relationship's target (its own rule)."""
    if target.startswith("/xl/"):
        return target[1:]
    return target if target.startswith("xl/") else "xl/" + target


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
_NOT_SMALL_PLAIN = re.compile(rb'<c (?!r="[A-Z][1-9][0-9]{0,3}"(?: s="[0-9]{1,9}")?(?: t="(?:s|n|b|str|inlineStr|d)")? ?/?>)')
_ODD_CELL_TAG = re.compile(rb"<c[\t\n\r\x0b\x0c/>]")     # <c not followed by a space
_PREFIXED_TAG = re.compile(rb":[cf][\s/>]")              # <x:c, <é:f: a cell or formula with any prefix
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

    Only the bytes from the first 'sheetData' to the last are looked at:
    calamine reads cells only between <sheetData> and </sheetData>, tags whose
    names hold these bytes, whatever comes before or after (the data
    validations with their long prompts, a third of the template's sheet).
    Each search looks for one literal at C speed; a match is what keeps a
    sheet off the shortcut.
    """
    start, end = body.find(b"sheetData"), body.rfind(b"sheetData")
    if start < 0:
        return True                           # no sheetData: calamine reads no cell
    if (_FORMULA_TAG.search(body, start, end) or _PREFIXED_TAG.search(body, start, end)
            or _ODD_CELL_TAG.search(body, start, end)):
        return False
    if _NOT_SMALL_PLAIN.search(body, start, end) is None and 26 * 9999 <= MAX_SHEET_CELLS:
        return True                           # all plain, none beyond Z9999
    tags = body.count(b"<c ", start, end)
    cells = _PLAIN_CELL.findall(body, start, end)
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
    uncached, errors = {}, {}

    def visit(cell: _Cell) -> None:   # a cell with content (<c .../> stores nothing)
        saved = cell.saved.strip() if cell.saved is not None else b""
        ref = f"{xl_col_to_name(cell.col)}{cell.row + 1}"
        formula = ""
        if cell.formula is not None:
            text = html.unescape(cell.formula.decode("utf-8", "replace")).strip()
            formula = "=" + text if text else "=（共享公式 / shared formula）"
            cached = saved != b"" or cell.inline \
                or (cell.saved is not None and (_get(cell.attrs, b"t") or "") == "str")   # a formula that yields "" saves <v></v>
            if recalc or not cached:
                uncached[ref] = formula
                return
        if (_get(cell.attrs, b"t") or "") == "e":
            error = html.unescape(saved.decode("utf-8", "replace"))
            errors[ref] = f"{error}（{formula}）" if formula else error

    max_row, max_col = _sheet_cells(body, visit)
    _note_extent(facts, sheet, max_row, max_col)
    if uncached:
        facts.uncached[sheet] = uncached
    if errors:
        facts.errors[sheet] = errors


@dataclass
class _Cell:
    row: int
    col: int
    attrs: dict
    formula: bytes | None = None      # the text of its first <f>, b"" for <f/>
    saved: bytes | None = None        # the text of its first <v>
    inline: bool = False              # holds <is> (an inline string)


def _sheet_cells(body: bytes, visit) -> tuple[int, int]:
    """Every cell of a worksheet with content, where calamine places it, to
    `visit` one by one (nothing kept) -> the farthest row and column of
    them, 0-based, -1 when none.

    The XML is read token by token as quick-xml reads it (see _TOKEN), in one
    pass, and elements are known by local name, whatever their prefix ('x:',
    'é:', ':'). A cell is placed as calamine's reader places it: at its r
    attribute (letters then digits, any number of each), else after the cell
    before it, in the row its <row r> names or, else, the one after the last
    </row>. An r given twice counts at the farthest. Where quick-xml would
    stop at an error (a tag never closed), so does this: calamine then reads
    no sheet at all.
    """
    row_index = col_index = 0
    max_row = max_col = -1
    cell: _Cell | None = None         # the cell being read
    inside = None                     # (b"f" or b"v", offset of its text) within it
    for m, local, name, content, end_tag, empty in _xml_tags(body):
        if local in (b"c", b"row"):
            if cell is not None:      # a cell ends at its </c>, or at the next cell or row
                max_row, max_col = max(max_row, cell.row), max(max_col, cell.col)
                visit(cell)
                cell = inside = None
            if local == b"row":
                if not end_tag:
                    rows = [x for x in map(_row_ref, _r_values(content)) if x is not None]
                    if rows:
                        row_index = max(rows)
                if end_tag or empty:
                    row_index, col_index = row_index + 1, 0
            elif not end_tag:
                places = [x for x in map(_cell_ref, _r_values(content)) if x is not None]
                r, c = (max(p[0] for p in places), max(p[1] for p in places)) if places else (row_index, col_index)
                col_index = c + 1
                if not empty:
                    cell = _Cell(r, c, _attrs(content[len(name):]))
            continue
        if cell is None:
            continue
        if local in (b"f", b"v"):
            if end_tag:
                if inside is not None and inside[0] == local:
                    text = body[inside[1]:m.start()]
                    if local == b"f":
                        cell.formula = text
                    else:
                        cell.saved = text
                    inside = None
            elif (cell.formula if local == b"f" else cell.saved) is None and inside is None:
                if empty:
                    if local == b"f":
                        cell.formula = b""
                    else:
                        cell.saved = b""
                else:
                    inside = (local, m.end())
        elif local == b"is" and not end_tag and not empty:
            cell.inline = True
    if cell is not None:
        max_row, max_col = max(max_row, cell.row), max(max_col, cell.col)
        visit(cell)
    return max_row, max_col


def _xml_tags(body: bytes):
    """Every tag of `body` in order, read as quick-xml reads XML (see _TOKEN):
    (match, local name, name, content between '<' or '</' and '>', end tag?,
    empty element?). Comments, CDATA and processing instructions are passed
    over; where quick-xml would fail (a tag never closed), this stops. One
    pass, whatever the XML holds."""
    pos = body.find(b"<")
    while pos >= 0:
        m = _TOKEN.match(body, pos)
        if m is None:
            return
        pos = body.find(b"<", m.end())
        token = m.group()
        if token[1:2] in (b"!", b"?"):
            continue
        end_tag = token[1:2] == b"/"
        content = token[2:-1] if end_tag else token[1:-1]
        empty = not end_tag and content.endswith(b"/")
        name = _TAG_NAME.match(content).group()
        local = name.split(b":", 1)[-1] if b":" in name else name
        if empty and local.endswith(b"/"):
            local = local[:-1]
        yield m, local, name, content, end_tag, empty


def _r_values(content: bytes):
    for m in _R_ATTR.finditer(content):
        yield m.group(1) if m.group(1) is not None else m.group(2)


def _cell_ref(value: bytes) -> tuple[int, int] | None:
    """(row, column), 0-based, as calamine reads an r attribute; None where it fails."""
    m = _CELL_REF.match(value)
    if m is None or int(m.group(2)) == 0:
        return None
    return int(m.group(2)) - 1, _col_index(m.group(1).decode("ascii"))


def _row_ref(value: bytes) -> int | None:
    m = _ROW_REF.match(value)
    return int(m.group(1)) - 1 if m and int(m.group(1)) > 0 else None


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
    inverse = _pair_ids(codes.tolist(), values.tolist())
    if inverse is None or inverse.max(initial=-1) + 1 == len(codes):
        return _normalise_each(codes, values, rules)
    # Where each pair occurs first: pairs are numbered as first met, so there
    # the number exceeds every number before it.
    is_first = np.ones(len(inverse), dtype=bool)
    is_first[1:] = inverse[1:] > np.maximum.accumulate(inverse)[:-1]
    first = np.flatnonzero(is_first)
    once = _normalise_each(codes.iloc[first].reset_index(drop=True), values.iloc[first].reset_index(drop=True), rules)
    out = once.iloc[inverse]
    out.index = codes.index
    return out


def _pair_ids(codes: list, values: list) -> np.ndarray | None:
    """A number for each (input, value) pair, in order of first appearance; equal
    numbers only for pairs of one input and values of one type that are equal
    (1, 1.0 and True differ; floats bit for bit, so -0.0 is not 0.0). None
    when a value cannot be compared so. Strings and floats, nearly every cell,
    are numbered by pandas in C; anything else in Python."""
    n = len(codes)
    code_ids = pd.factorize(np.fromiter(codes, dtype=object, count=n))[0].astype(np.int64)
    vals = np.fromiter(values, dtype=object, count=n)
    types = np.fromiter(map(type, values), dtype=object, count=n)
    value_ids = np.empty(n, dtype=np.int64)
    done = 0
    is_str, is_float = types == str, types == float
    if is_str.any():
        ids = pd.factorize(vals[is_str])[0]
        value_ids[is_str] = ids
        done += int(ids.max(initial=-1)) + 1
    if is_float.any():
        bits = np.fromiter(vals[is_float], dtype=np.float64, count=int(is_float.sum())).view(np.int64)
        ids = pd.factorize(bits)[0]
        value_ids[is_float] = ids + done
        done += int(ids.max(initial=-1)) + 1
    rest = np.flatnonzero(~(is_str | is_float))
    if len(rest):
        seen: dict = {}
        try:
            ids = [seen.setdefault((type(v), v), len(seen)) for v in vals[rest]]
        except TypeError:              # an unhashable value: no shortcut
            return None
        value_ids[rest] = np.array(ids, dtype=np.int64) + done
        done += len(seen)
    return pd.factorize(code_ids * max(done, 1) + value_ids)[0]


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
            label = file_label(entry.name)     # a GBK name as readable text, printable anywhere
            report.add(why, file=label)
            skipped.append({"file": label, "city": "", "status": "skipped", "inputs": 0, "problems": 0, "sha256": ""})
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

    filled_units = filled[filled["city"] != ""]
    accepted = filled_units[filled_units["problem"] == ""]
    values = _merge(accepted, inputs, report)
    _cross_checks(values, cells, reads, rules, report, filled_units)

    files = _files_frame(reads, skipped, filled, report)
    seen = {r.city for r in reads if r.city}
    missing = [u for u in roster.units if u not in seen]
    return Submissions(values=values, report=report, files=files, missing=missing, roster=roster, folder=str(folder))


def _cells_frame(reads: list[_FileRead]) -> pd.DataFrame:
    """Every input cell found, in every file: one frame built once.

    Object columns, not pandas' str: mapping, sorting and looking up thousands
    of codes and names is several times faster on plain Python strings."""
    kept = [(k, r) for k, r in enumerate(reads) if len(r.codes)]
    counts = np.array([len(r.codes) for _, r in kept], dtype=np.intp)
    total = int(counts.sum())

    def per_file(values) -> pd.Series:
        return _objects(np.repeat(np.array(values, dtype=object), counts) if kept else [], total)

    def per_cell(field_name: str) -> pd.Series:
        return _objects(itertools.chain.from_iterable(getattr(r, field_name) for _, r in kept), total)

    return pd.DataFrame({
        "file": per_file([r.rel for _, r in kept]),
        "sheet": per_file([r.sheet for _, r in kept]),
        "city": per_file([r.city for _, r in kept]),
        "order": np.repeat(np.array([k for k, _ in kept], dtype=np.int64), counts),
        "pos": np.concatenate([np.arange(n, dtype=np.int64) for n in counts]) if kept else np.empty(0, np.int64),
        "code": per_cell("codes"),                 # sheet order in pos: 'G107' sorts before 'G34' as text
        "value": per_cell("values"),
        "cell": per_cell("cells"),
    })


def _objects(items, n: int) -> pd.Series:
    return pd.Series(np.fromiter(items, dtype=object, count=n), dtype=object, copy=False)


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
    order = {code: k for k, code in enumerate(inputs)}
    once = _merge_unique(accepted, order)
    if once is not None:
        return once
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
    values = values.assign(_o=values["code"].map(order)).sort_values(["city", "_o"], kind="stable")
    return _values_frame(values)


def _merge_unique(accepted: pd.DataFrame, order: dict[str, int]) -> pd.DataFrame | None:
    """_merge when every (city, input) has one value already, as with one file a
    city (None otherwise): nothing to compare, only the order to make (city,
    then input order), on integer keys instead of sorting and matching text."""
    city_ids, cities = pd.factorize(accepted["city"])
    key = city_ids.astype(np.int64) * len(order) + accepted["code"].map(order).to_numpy(dtype=np.int64)
    if _has_repeats(key):
        return None
    rank = {c: k for k, c in enumerate(sorted(cities))}
    city_rank = np.array([rank[c] for c in cities], dtype=np.int64)
    key = city_rank[city_ids] * len(order) + key % len(order)
    return _values_frame(accepted.iloc[np.argsort(key, kind="stable")])


def _values_frame(values: pd.DataFrame) -> pd.DataFrame:
    out = values[VALUE_COLUMNS].reset_index(drop=True)
    out["number"] = out["number"].astype("Int64")
    for c in ("city", "code", "text", "raw", "file", "sheet", "cell"):
        out[c] = out[c].astype(object)
    return out


def _cross_checks(values: pd.DataFrame, cells: pd.DataFrame, reads: list[_FileRead], rules: RuleBook, report: Report,
                  filled: pd.DataFrame | None = None) -> None:
    """Checks across inputs, on each unit's merged values (`filled`: the cells
    of `cells` not blank and of a known unit, when worked out already)."""
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

    # Where a unit's inputs sit, filled or not: the first file holding the row
    # (worked out when a finding first needs it).
    row_at = None
    first_file = {}
    for r in reads:
        if r.city and r.status == "read" and r.city not in first_file:
            first_file[r.city] = (r.rel, r.sheet)

    def place(city, code):
        nonlocal row_at
        if row_at is None:
            rows = cells[cells["city"] != ""].sort_values(["order"], kind="stable").drop_duplicates(["city", "code"])
            row_at = rows.set_index(["city", "code"])[["file", "sheet", "cell"]]
        if (city, code) in row_at.index:
            loc = row_at.loc[(city, code)]
            return {"file": loc["file"], "sheet": loc["sheet"], "cell": loc["cell"]}
        file, sheet = first_file[city]
        return {"file": file, "sheet": sheet, "cell": ""}

    # A note is needed when its amount is above 0.
    notes = [spec for spec in inputs.values() if spec.required_if_positive]
    with_notes = values[values["code"].isin({spec.code for spec in notes})] if notes else values.iloc[:0]
    for spec in notes:
        amount = col(spec.required_if_positive)
        noted = set(with_notes.loc[with_notes["code"] == spec.code, "city"].tolist())
        has_note = pd.Series([c in noted for c in wide.index], index=wide.index, dtype=bool)
        for city in wide.index[_mask(amount.notna() & (amount > 0) & ~has_note)]:
            report.add("note-required", city=city, input=spec.code,
                       note=f"{spec.required_if_positive}（{where.loc[(city, spec.required_if_positive), 'text']}）",
                       expected=expected_text(spec), **place(city, spec.code))

    # Every input other than a note, for every unit that sent a readable sheet:
    # looked at one by one only for units with any missing from their cells.
    if filled is None:
        filled = cells[(cells["problem"] != "blank") & (cells["city"] != "")]
    needed = [s for s in inputs.values() if s.kind != "text"]
    complete = _complete_cities(filled, [s.code for s in needed])
    partial = [c for c in first_file if c not in complete]
    some = filled[filled["city"].isin(set(partial))] if partial else filled.iloc[:0]
    have = set(zip(some["city"].tolist(), some["code"].tolist()))   # lists: iterating a string column is slow
    have |= {(r.city, code) for r in reads if r.city for code in r.uncached}   # reported already
    for city in partial:
        for spec in needed:
            if (city, spec.code) not in have:
                report.add("input-missing", city=city, input=spec.code, note=spec.label,
                           expected=expected_text(spec), **place(city, spec.code))


def _complete_cities(filled: pd.DataFrame, codes: list[str]) -> set[str]:
    """The cities whose filled cells hold every one of `codes`."""
    index = {c: k for k, c in enumerate(codes)}
    k = filled["code"].map(index)
    known = k.notna().to_numpy()
    if not codes or not known.any():
        return set()
    city_ids, cities = pd.factorize(filled["city"][known])
    pairs = np.sort(city_ids.astype(np.int64) * len(codes) + k[known].to_numpy(dtype=np.int64))
    pairs = pairs[np.r_[True, pairs[1:] != pairs[:-1]]]          # each (city, code) once
    counts = np.bincount(pairs // len(codes), minlength=len(cities))
    return set(cities[counts == len(codes)])


def _has_repeats(keys: np.ndarray) -> bool:
    ordered = np.sort(keys)
    return bool((ordered[1:] == ordered[:-1]).any())


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
