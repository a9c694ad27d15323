"""Validation findings as data, in the manner of frictionless-py and pandera.

A Finding is a frozen record: a stable kebab-case `code`, where it is (file,
sheet, cell), what was found (`value`) and what was expected, plus the city and
input it concerns. Its message is rendered from a per-code template, in
Chinese with the English beside it. This module is the one catalogue of codes,
severities and templates (MESSAGES). Stages collect findings into a Report
instead of raising them one by one; tests assert on (file, cell, code).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, fields

# severity: "error" keeps the city (or scheme) from being scored; "warning" is
# reported but changes nothing; "info" records a file deliberately passed over.
ERROR, WARNING, INFO = "error", "warning", "info"
_CELL = re.compile(r"([A-Z]+)(\d+)$")

# code -> (severity, Chinese template, English template). Templates use the
# Finding's fields: {value}, {expected}, {note}, {city}, {input}, ...
MESSAGES: dict[str, tuple[str, str, str]] = {
    # scheme (the task-breakdown table)
    "scheme-unreadable": (ERROR, "考核方案文件无法读取：{note}", "cannot read the scheme table: {note}"),
    "scheme-refused": (ERROR, "考核方案文件无法读取：{value}", "cannot read the scheme table: {note}"),
    "scheme-header-missing": (ERROR, "找不到表头行（需含“{expected}”）", "no header row found (expected the columns {expected})"),
    "scheme-points-invalid": (ERROR, "赋分“{value}”不是数字", "points {value!r} are not a number"),
    "scheme-fragment-mismatch": (ERROR, "“{note}”标注{expected}分，但其下各行赋分合计为{value}分", "fragment {note!r} is labelled {expected} points but its rows sum to {value}"),
    "scheme-total-mismatch": (ERROR, "基础分合计为{value}分，应为{expected}分", "the base points total {value}, expected {expected}"),
    "scheme-rules-mismatch": (WARNING, "表格与{expected}评分规则不一致：{note}；未附加评分规则", "the table does not match the {expected} rules: {note}; no rules attached"),
    "scheme-row-skipped": (INFO, "第{value}行不是考核行（无赋分、无扣分标准），已跳过：{note}", "row {value} is not a scoring row (no points, no deduction text), skipped: {note}"),
    "scheme-primary-missing": (ERROR, "考核行缺少一级指标", "a scoring row has no primary indicator (一级指标)"),
    "scheme-items-missing": (ERROR, "“{note}”中找不到（一）（二）……各项", "no clauses (一)(二)… found in {note}"),
    "scheme-text-disagrees": (
        INFO,
        "{input} 原文“{value}”与评分规则（{expected}）不同：{note}",
        "{input}: the text's “{value}” differs from the rule ({expected})",
    ),
    # the scheme as a Word attachment (word.py)
    "scheme-word-too-large": (ERROR, "Word 文件过大（{value}），超过读取上限 {expected}", "the Word file is too large ({value}); the limit is {expected}"),
    "scheme-word-empty": (ERROR, "Word 文件是空的（0字节），无法读取", "the Word file is empty (0 bytes)"),
    "scheme-word-encrypted": (ERROR, "Word 文件设有打开密码，无法读取；请去掉密码后另存为 .docx", "the Word file is password-protected; remove the password and save it as .docx"),
    "scheme-word-truncated": (ERROR, "Word 文件不完整（压缩包缺少结尾，可能未下载或复制完），无法读取；请重新下载或保存", "the Word file is incomplete (the zip archive has no end; the download or copy did not finish); download or save it again"),
    "scheme-word-zip-bomb": (ERROR, "Word 文件解压后过大或压缩记录异常（{note}），疑似“压缩炸弹”，已拒绝读取；应为{expected}", "the Word file expands too far or its zip records are inconsistent ({note}); refused as a possible zip bomb; expected {expected}"),
    "scheme-word-dtd": (ERROR, "Word 文件的 {note} 部件含 DOCTYPE/实体声明（Word、WPS 不会写入），已拒绝读取，未展开或下载任何实体", "the part {note} of the Word file holds a DOCTYPE/entity declaration (Word and WPS never write one); refused, no entity expanded or fetched"),
    "scheme-word-unreadable": (ERROR, "无法作为 Word 文档读取（文件损坏或格式不对）：{note}", "cannot be read as a Word document (damaged or wrong format): {note}"),
    "scheme-word-no-table": (ERROR, "Word 文件中没有表格；考核方案应为文件中的任务分解表", "the Word file holds no table; the scheme is the task-breakdown table in the document"),
    "scheme-word-needs-docx": (ERROR, "读取 {value} 文件需要 LibreOffice，本机未安装；请在 Word 或 WPS 中打开该文件，“另存为” Word 文档（.docx）后再试", "reading a {value} file needs LibreOffice, which is not installed; open the file in Word or WPS, save it as a Word document (.docx) and try again"),
    "scheme-word-convert-failed": (ERROR, "用 LibreOffice 将 {value} 文件转换为 .docx 失败（{note}）；请在 Word 或 WPS 中“另存为” Word 文档（.docx）后再试", "LibreOffice could not convert the {value} file to .docx ({note}); save it as a Word document (.docx) from Word or WPS and try again"),
    # the returned workbooks (intake)
    # files passed over on purpose
    "file-skipped-lock": (INFO, "已跳过 Office 临时锁定文件（工作簿正被打开时产生）", "skipped an Office lock file (left while a workbook is open)"),
    "file-skipped-hidden": (INFO, "已跳过隐藏文件", "skipped a hidden file"),
    "file-skipped-folder": (INFO, "已跳过子文件夹（只读取本文件夹中的工作簿）", "skipped a subfolder (only workbooks directly in the folder are read)"),
    "file-skipped-result": (INFO, "本工具生成的考核结果，已跳过", "a result written by this tool, passed over"),
    "file-skipped-other": (INFO, "不是工作簿（.xlsx、.xlsm、.xls、.ods），已跳过", "not a workbook (.xlsx, .xlsm, .xls, .ods); skipped"),
    # files that cannot be used
    "file-empty": (ERROR, "文件是空的（0字节），无法读取；请重新报送", "the file is empty (0 bytes); send it again"),
    "file-encrypted": (ERROR, "工作簿设有打开密码，无法读取；请去掉密码后重新报送", "the workbook is password-protected; send it again without a password"),
    "file-unreadable": (ERROR, "无法作为工作簿读取（文件损坏或格式不对）：{note}", "cannot be read as a workbook (damaged or wrong format): {note}"),
    "sheet-missing": (ERROR, "不是填报表：没有找到含“编号”“填报值”的工作表", "not a score sheet: no sheet with 编号 and 填报值 headers"),
    # files a reader could not get through, each with its plain reason
    "file-structure-broken": (ERROR, "文件结构异常，读取时程序无法处理（可能已损坏）；请用 Excel/WPS 打开后另存为 .xlsx 再报送", "the file's structure is broken and the reader cannot handle it (probably damaged); open it in Excel/WPS, save it as .xlsx and send it again"),
    "file-out-of-memory": (ERROR, "读取该文件所需内存超过上限 {expected}（文件结构异常或内容过多），已停止读取；请只保留填报表，另存为 .xlsx 后报送", "reading the file needs more memory than the limit of {expected} (a broken structure or far too much content); stopped; keep only the score sheet, save it as .xlsx and send it again"),
    "file-timeout": (ERROR, "读取该文件超过时限 {expected} 仍未完成，已停止读取（文件结构异常或内容过多）；请另存为 .xlsx 后报送", "reading the file took longer than the limit of {expected} and was stopped (a broken structure or far too much content); save it as .xlsx and send it again"),
    "file-ole-broken": (ERROR, "文件内部结构（OLE 复合文档）损坏：{value}，无法读取；请用 Excel/WPS 打开后另存为 .xlsx 再报送", "the file's internal (OLE compound document) structure is damaged: {note}; open it in Excel/WPS, save it as .xlsx and send it again"),
    "file-incomplete": (ERROR, "文件内容不完整（数据在中途结束，可能未下载或复制完），无法读取；请重新报送", "the file is incomplete (its data end part-way; the download or copy did not finish); send it again"),
    "file-cell-ref-bad": (ERROR, "工作表中的单元格地址不完整（缺少行号），文件由其他程序生成或已损坏；请用 Excel/WPS 打开后另存为 .xlsx 再报送", "a cell address in a sheet has no row number (written by another program, or damaged); open it in Excel/WPS, save it as .xlsx and send it again"),
    "file-part-missing": (ERROR, "工作簿引用了不存在的部件或条目（文件不完整或已损坏），无法读取；请用 Excel/WPS 打开后另存为 .xlsx 再报送", "the workbook refers to a part or entry that is not there (incomplete or damaged); open it in Excel/WPS, save it as .xlsx and send it again"),
    "file-macro-sheet": (ERROR, "工作簿只有 Excel 4.0 宏表，没有普通工作表，无法读取；请把填报内容放在普通工作表中，另存为 .xlsx 后报送", "the workbook holds only an Excel 4.0 macro sheet, no worksheet; put the inputs on an ordinary sheet, save it as .xlsx and send it again"),
    "file-flat-ods": (ERROR, "是单文件 XML 格式的 OpenDocument 表格（.fods），无法读取；请在 WPS/LibreOffice 中另存为 .xlsx 后报送", "a flat-XML OpenDocument spreadsheet (.fods); save it as .xlsx in WPS/LibreOffice and send it again"),
    "file-xlsb": (ERROR, "是 Excel 二进制工作簿（.xlsb），无法读取；请另存为 .xlsx 后报送", "an Excel binary workbook (.xlsb); save it as .xlsx and send it again"),
    # which unit
    "city-unknown": (ERROR, "被考核单位“{value}”不在单位名单中，请从下拉列表选择", "unit “{value}” is not in the roster; pick it from the list"),
    "city-missing": (ERROR, "无法确定被考核单位：“被考核单位”未填写，文件名中也没有名单中的单位", "cannot tell the unit: 被考核单位 is empty and the file name names no unit of the roster"),
    "city-disagrees": (ERROR, "被考核单位填的是“{value}”，文件名却是“{expected}”；本文件暂不读取、不并入任何单位，请核实后改正被考核单位或文件名",
                       "the sheet names “{value}” but the file name names “{expected}”; the file is held back, merged into no unit: correct the unit cell or the file name"),
    # values
    "input-missing": (ERROR, "{input}（{note}）未填报", "{input} ({note}) is not filled in"),
    "row-missing": (ERROR, "{input}（{note}）未在表中（应在 {expected} 之后）；请恢复该行并填写", "{input} ({note}) is missing from the sheet (belongs after {expected}); restore the row and fill it in"),
    "value-not-number": (ERROR, "{input} 应填数字，填的是“{value}”；应为{expected}", "{input}: “{value}” is not a number; expected {expected}"),
    "value-unit": (ERROR, "{input} 填的“{value}”单位不对，应为{expected}", "{input}: wrong unit in “{value}”; expected {expected}"),
    "value-percent-doubled": (ERROR, "{input} 填的“{value}”百分号重复，应为{expected}", "{input}: doubled percent sign in “{value}”; expected {expected}"),
    "value-not-yesno": (ERROR, "{input} 应填{expected}，填的是“{value}”", "{input}: “{value}” is not 是 (yes) or 否 (no); also accepted: 有/无, √/×, Y/N, yes/no"),
    # accepted, with a note: another form of a listed value (rules/inputs.py lists them)
    "value-read-as": (INFO, "{input} 填写“{value}”，按“{expected}”计", "{input}: “{value}” read as “{expected}”"),
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
    "rate-zero-denominator": (ERROR, "{input} 为0，无法计算比率 {note}；请核实并填写实际数量（应为{expected}），确实为0的请与考核办联系",
                              "{input} is 0, so the rate {note} cannot be computed; check it and type the actual number (expected {expected}), or ask the assessment office if it really is 0"),
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
    # who fills what: the units' own forms and the assessors' sheets (核定/)
    "input-not-permitted": (WARNING, "{input} 由{expected}填报，{note}中的值“{value}”不予采用", "{input} is filled by {expected}; the value “{value}” in {note} is not used"),
    "assessor-unknown": (ERROR, "核定单位“{value}”不是本方案的核定单位，本表未采用；应为{expected}之一", "assessor “{value}” is not one of this scheme's assessors; the sheet is not used; expected one of {expected}"),
    "unit-column-unknown": (ERROR, "列标题“{value}”不是名单中的单位，本列未采用；应为{expected}", "column heading “{value}” is not a unit of the roster; the column is not used; expected {expected}"),
    "unit-column-duplicate": (ERROR, "“{value}”有两列（另一列在{note}），两列均未采用", "“{value}” has two columns (the other at {note}); neither is used"),
    "unit-column-missing": (WARNING, "核定表中没有“{value}”一列：{note}对该单位的核定值待报", "the sheet has no column for “{value}”: {note}'s values for it are still owed"),
    "code-unknown": (WARNING, "编号“{input}”不在考核方案中，所填“{value}”已忽略", "code {input} is not in the scheme; its value “{value}” is ignored"),
}


@dataclass(frozen=True)
class Finding:
    code: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    value: str = ""
    expected: str = ""
    note: str = ""
    city: str = ""
    input: str = ""

    @property
    def severity(self) -> str:
        return MESSAGES[self.code][0] if self.code in MESSAGES else ERROR

    @property
    def where(self) -> str:
        """'太原市.xlsx 填报表!D12' — the place, as staff would look for it."""
        place = self.file
        if self.sheet or self.cell:
            loc = f"{self.sheet}!{self.cell}" if self.sheet and self.cell else (self.sheet or self.cell)
            place = f"{place} {loc}".strip()
        return place

    @property
    def message_zh(self) -> str:
        return _render(self, 1)

    @property
    def message_en(self) -> str:
        return _render(self, 2)

    @property
    def message(self) -> str:
        """Chinese with the English beside it, prefixed by the place."""
        text = f"{self.message_zh} / {self.message_en}"
        return f"{self.where}：{text}" if self.where else text

    def as_dict(self) -> dict[str, str]:
        d = asdict(self)
        d["severity"] = self.severity
        d["message"] = self.message
        return d


def _render(f: Finding, which: int) -> str:
    template = MESSAGES.get(f.code)
    if template is None:
        return f"{f.code}: {f.value} {f.note}".strip()
    values = {k.name: getattr(f, k.name) for k in fields(f)}
    return template[which].format(**values)


def place_key(f: Finding) -> tuple:
    """File, then row, then column: the order staff walk a sheet in, and the one
    order in which findings are listed (so `check` and `score` agree on a unit's
    first problem). A finding of no cell comes first in its file: it is about
    the whole file (its unit, a missing row)."""
    m = _CELL.match(f.cell or "")
    row, col = (int(m.group(2)), (len(m.group(1)), m.group(1))) if m else (0, (0, ""))
    return (f.file, row, col)


def in_place_order(findings) -> list[Finding]:
    return sorted(findings, key=place_key)


class Report:
    """An ordered collection of findings, grouped by unit and by file on demand
    (each grouping made once, and again only after findings are added)."""

    def __init__(self, findings=()):
        self.findings: list[Finding] = list(findings)
        self._groups: dict[str, tuple[int, dict]] = {}

    def add(self, code: str, **kw) -> Finding:
        finding = Finding(code, **kw)
        self.findings.append(finding)
        return finding

    def extend(self, other) -> None:
        self.findings.extend(other.findings if isinstance(other, Report) else other)

    def __iter__(self):
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    def keys(self) -> set[tuple[str, str, str]]:
        """(file, cell, code) of every finding: what tests assert on."""
        return {(f.file, f.cell, f.code) for f in self.findings}

    def by_unit(self) -> dict[str, list[Finding]]:
        """unit -> its findings in order ("" for findings of no unit)."""
        return self._grouped("unit", lambda f: f.city)

    def errors_by_unit(self) -> dict[str, list[Finding]]:
        """unit -> its error findings in place order (place_key): the reasons a unit
        is not scored, the first one first wherever it is shown."""
        return self._grouped("unit-errors", lambda f: f.city if f.severity == ERROR and f.city else None, place_key)

    def by_file(self) -> dict[str, list[Finding]]:
        """file -> its findings in order ("" for findings of no file)."""
        return self._grouped("file", lambda f: f.file)

    def _grouped(self, name: str, key, order=None) -> dict[str, list[Finding]]:
        seen, groups = self._groups.get(name, (-1, {}))
        if seen != len(self.findings):
            groups = {}
            for f in self.findings:
                k = key(f)
                if k is not None:
                    groups.setdefault(k, []).append(f)
            if order is not None:
                for found in groups.values():
                    found.sort(key=order)
            self._groups[name] = (len(self.findings), groups)
        return groups
