"""Reading the scheme table from its Word attachment (.docx; .doc and .wps via LibreOffice).

The task-breakdown table is published as a Word table. `read_word_tables(path)`
gives each table of the document as a grid of cell texts plus its merged
ranges, the very structure the workbook reader gets from calamine, so that
scheme.py reads a Word table with the same logic as a sheet: one grid row per
table row (w:tr), one grid column per column of the table grid (w:gridCol),
a horizontal merge (w:gridSpan) and a vertical one (w:vMerge restart, then
continue) as one merged range, text as Word shows it (paragraphs joined by a
line break, deleted revisions and field codes left out).

A table split at page breaks into several tables is joined again by
`WordTables.joined`: the tables after the one holding the header that have
its width and nothing but empty or 续表 paragraphs between them.

A .doc or .wps (or a .docx that is really one) is converted first with
LibreOffice (`soffice --headless --convert-to docx`) into a temporary folder,
from a copy, with its own profile and a time limit: the input and the folder
it is in are never touched. Without LibreOffice the message says to save the
file as .docx from Word or WPS.

Hostile files meet the limits workbooks meet (intake/guard.py): the file's
size, the zip inspected before anything is parsed (entries, expansion, part
sizes, no DOCTYPE in any XML part), and, since python-docx loads every part
of the package into memory, every part of it, not only the XML, counted.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import AssessError
from .findings import MESSAGES
from .intake import guard as _limits

WORD_SUFFIXES = (".docx", ".doc", ".wps")
CONVERTED = (".doc", ".wps")          # formats LibreOffice turns into .docx first
CONVERT_TIMEOUT = 120                 # seconds: a first start of LibreOffice makes its profile (~5 s)


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_PK = b"PK\x03\x04"
_DOCTYPE = b"<!DOCTYPE"
_CONTINUED = re.compile(r"^[（(]?续[表上]?[)）]?[:：]?$")
# What the zip inspection of intake/guard.py refuses a file for -> the same, said of a Word file.
_REFUSALS = {
    "file-truncated": "scheme-word-truncated",
    "file-zip-bomb": "scheme-word-zip-bomb",
    "file-xml-dtd": "scheme-word-dtd",
    "file-unreadable": "scheme-word-unreadable",
}


class WordError(AssessError, ValueError):
    """A Word file that cannot be read; `code` and `fields` make its finding."""

    def __init__(self, code: str, **fields: str):
        self.code, self.fields = code, fields
        zh, en = MESSAGES[code][1:]
        values = {"value": "", "expected": "", "note": ""} | fields
        super().__init__(f"{zh.format(**values)} / {en.format(**values)}")


@dataclass
class WordTable:
    values: list[list[str]]                  # rows x grid columns, "" where no cell starts
    merges: list[tuple[int, int, int, int]]  # (r0, c0, r1, c1), inclusive, as calamine gives them
    above: list[str] = field(default_factory=list)   # texts of the paragraphs since the previous table
    # per row, grid column -> the cell's number in its row as Word counts them (1, 2 …; 0: none starts there)
    cols: list[list[int]] = field(default_factory=list)

    @property
    def width(self) -> int:
        return max((len(r) for r in self.values), default=0)


@dataclass
class WordTables:
    tables: list[WordTable]
    title: str = ""          # the document's title property

    def joined(self, start: int) -> tuple[list[list[str]], list[tuple[int, int, int, int]], str, list]:
        """(values, merges, name, places) of table `start` and the tables
        continuing it: same width, nothing but empty or 续表 paragraphs between.
        The name says which tables of the document they are: 表格1, 表格2–5;
        places, per joined row, (table number, row in that table, its `cols`):
        where a clerk finds a cell in Word (see `word_place`)."""
        first = self.tables[start]
        values = [list(r) for r in first.values]
        merges = list(first.merges)
        places = [(start + 1, r + 1, cols) for r, cols in enumerate(_cols_of(first))]
        end = start
        for table in self.tables[start + 1:]:
            if table.width != first.width or any(t.strip() and not _CONTINUED.match(_squash(t)) for t in table.above):
                break
            offset = len(values)
            values += [list(r) for r in table.values]
            merges += [(r0 + offset, c0, r1 + offset, c1) for r0, c0, r1, c1 in table.merges]
            end += 1
            places += [(end + 1, r + 1, cols) for r, cols in enumerate(_cols_of(table))]
        name = f"表格{start + 1}" if end == start else f"表格{start + 1}–{end + 1}"
        return values, merges, name, places


def _cols_of(table: WordTable) -> list[list[int]]:
    return table.cols or [list(range(1, len(r) + 1)) for r in table.values]


def word_place(place: tuple[int, int, list[int]], col: int) -> str:
    """A cell as a clerk finds it in Word: the table, the row within that
    table, the cell's number across its row (a merged cell counted once)."""
    table, row, cols = place
    # A grid column no cell starts in belongs to the merged cell to its left.
    number = next((cols[c] for c in range(min(col, len(cols) - 1), -1, -1) if cols[c]), col + 1)
    return f"第{table}个表格第{row}行第{number}列（table {table}, row {row}, column {number}）"


def read_word_tables(path: Path) -> WordTables:
    """Every table of a Word file, in document order (raises WordError)."""
    data = _read_limited(path)
    if not data.startswith(_PK):
        # An old binary .doc or .wps, or one saved under a .docx name, or the RTF
        # or HTML some systems write under .doc: LibreOffice reads them all.
        if _limits._ole_encrypted(data):
            raise WordError("scheme-word-encrypted")
        with tempfile.TemporaryDirectory(prefix="assess-xlsx-word-") as work:
            data = _read_limited(convert_to_docx(path, Path(work)), converted=True)
    _inspect(data)
    return _parse(data)


# --------------------------------------------------------------------------- guards

def _read_limited(path: Path, converted: bool = False) -> bytes:
    guard = _limits
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > guard.MAX_FILE_BYTES:
            raise WordError("scheme-word-too-large", value=guard._mb(size), expected=guard._mb(guard.MAX_FILE_BYTES))
        data = guard.read_capped(fh, size)
    if not data:
        raise WordError("scheme-word-unreadable" if converted else "scheme-word-empty", note="LibreOffice 输出为空 / empty output")
    return data


def _inspect(data: bytes) -> None:
    """The workbook limits (one import, from the hostile-file guards), then every
    part python-docx will load: their total unzipped size, and no DOCTYPE in
    any of them, whatever its name."""
    guard = _limits
    try:
        facts = guard.inspect_zip(data)
    except guard.ZipRefused as refused:
        raise WordError(_REFUSALS.get(refused.code, "scheme-word-unreadable"),
                        note=refused.note, value=refused.value, expected=refused.expected) from None
    if facts is not None and facts.zip is not None:
        facts.zip.close()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        infos = zf.infolist()
        total = sum(i.file_size for i in infos)
        if total > guard.MAX_XML_BYTES:
            raise WordError("scheme-word-zip-bomb", note=f"{guard._mb(total)} unzipped",
                            expected=f"全部部件解压后合计不超过 {guard._mb(guard.MAX_XML_BYTES)}")
        for info in infos:
            if info.is_dir() or info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue     # inspected already
            try:
                with zf.open(info) as fh:
                    tail = b""
                    while chunk := fh.read(1 << 20):
                        if _DOCTYPE in tail + chunk:
                            raise WordError("scheme-word-dtd", note=info.filename)
                        tail = chunk[-len(_DOCTYPE):]
            except WordError:
                raise
            except Exception as exc:   # a bad CRC, an unknown compression: damaged
                raise WordError("scheme-word-unreadable", note=f"{info.filename}: {exc}") from None


# --------------------------------------------------------------------------- converting

def find_soffice() -> str | None:
    """LibreOffice's command, None when it is not installed."""
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for candidate in ("/usr/bin/soffice", "/usr/lib/libreoffice/program/soffice",
                      "/Applications/LibreOffice.app/Contents/MacOS/soffice",
                      r"C:\Program Files\LibreOffice\program\soffice.exe"):
        if os.path.isfile(candidate):
            return candidate
    return None


def convert_to_docx(path: Path, work: Path, timeout: int | None = None) -> Path:
    """A .docx made from `path` by LibreOffice in the folder `work` (raises
    WordError). LibreOffice works on a copy, with a profile of its own, so
    that neither the input nor its folder (where it would leave a lock file)
    is touched, and a LibreOffice the user has open is not disturbed."""
    kind = path.suffix.lower() if path.suffix.lower() in CONVERTED else ".doc"
    timeout = timeout or CONVERT_TIMEOUT
    soffice = find_soffice()
    if soffice is None:
        raise WordError("scheme-word-needs-docx", value=kind)
    source = work / f"table{kind}"
    shutil.copyfile(path, source)
    out = work / "out"
    cmd = [soffice, f"-env:UserInstallation={(work / 'profile').as_uri()}", "--headless", "--norestore",
           "--nologo", "--convert-to", "docx", "--outdir", str(out), str(source)]
    try:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL,
                                start_new_session=(os.name != "nt"))
    except OSError as exc:
        raise WordError("scheme-word-convert-failed", value=kind, note=str(exc)) from None
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _stop(proc)
        raise WordError("scheme-word-convert-failed", value=kind, note=f"超过 {timeout} 秒 / over {timeout} s") from None
    result = out / "table.docx"
    if proc.returncode != 0 or not result.is_file():
        reason = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
        raise WordError("scheme-word-convert-failed", value=kind, note=reason[0][:200])
    return result


def _stop(proc: subprocess.Popen) -> None:
    """End the converter started here and what it started (its own session)."""
    try:
        if os.name != "nt":
            os.killpg(proc.pid, signal.SIGKILL)
        else:
            proc.kill()
    except OSError:
        pass
    proc.wait()


# --------------------------------------------------------------------------- parsing

def _parse(data: bytes) -> WordTables:
    try:
        import docx

        document = docx.Document(io.BytesIO(data))
    except Exception as exc:   # not a Word document (a workbook, a .docm), or damaged
        raise WordError("scheme-word-unreadable", note=f"{type(exc).__name__}: {str(exc)[:160]}") from None
    tables: list[WordTable] = []
    above: list[str] = []
    for kind, element in _blocks(document.element.body):
        if kind == "p":
            above.append(_text(element))
        else:
            values, merges, cols = _grid(element)
            tables.append(WordTable(values=values, merges=merges, above=above, cols=cols))
            above = []
    if not tables:
        raise WordError("scheme-word-no-table")
    title = (document.core_properties.title or "").strip()
    return WordTables(tables=tables, title=title)


def _blocks(parent):
    """("p", paragraph) and ("tbl", table) in document order; content controls opened."""
    for child in parent:
        if child.tag == _W + "p":
            yield "p", child
        elif child.tag == _W + "tbl":
            yield "tbl", child
        elif child.tag in (_W + "sdt", _W + "sdtContent", _W + "customXml"):
            inner = child.find(_W + "sdtContent") if child.tag == _W + "sdt" else child
            if inner is not None:
                yield from _blocks(inner)


def _rows(tbl):
    for child in tbl:
        if child.tag == _W + "tr":
            yield child
        elif child.tag in (_W + "sdt", _W + "customXml"):
            inner = child.find(_W + "sdtContent") if child.tag == _W + "sdt" else child
            if inner is not None:
                yield from _rows(inner)


def _cells(tr):
    for child in tr:
        if child.tag == _W + "tc":
            yield child
        elif child.tag in (_W + "sdt", _W + "customXml"):
            inner = child.find(_W + "sdtContent") if child.tag == _W + "sdt" else child
            if inner is not None:
                yield from _cells(inner)


def _val(element, name: str) -> str | None:
    """w:val of a child property, "" when the property has none, None when absent."""
    if element is None:
        return None
    prop = element.find(_W + name)
    if prop is None:
        return None
    return prop.get(_W + "val", "")


def _int(text: str | None, default: int) -> int:
    try:
        return max(int(text), 0) if text not in (None, "") else default
    except ValueError:
        return default


def _grid(tbl) -> tuple[list[list[str]], list[tuple[int, int, int, int]], list[list[int]]]:
    """Cell texts by table-grid position, the merged ranges (inclusive) and,
    per row, each grid column's cell number as Word counts the row's cells.

    A vertical merge is a cell with vMerge "restart" and the cells below it
    in the same grid column with vMerge continue (no val); a horizontal one
    is gridSpan (or the legacy hMerge). The text of a merge is its first
    cell's; the others are "" and become copies in scheme.py."""
    rows: list[list[str]] = []
    numbers: list[list[int]] = []
    merges: list[tuple[int, int, int, int]] = []
    # grid column -> [r0, c1, r1, vertical] of a merge still growing: a
    # vertical one may go on in the next row, a horizontal one ends with its row.
    open_: dict[int, list] = {}
    for r, tr in enumerate(_rows(tbl)):
        trpr = tr.find(_W + "trPr")
        col = _int(_val(trpr, "gridBefore"), 0)
        line = [""] * col
        number = [0] * col
        seen: set[int] = set()
        left: int | None = None           # grid column of the cell just before
        for tc in _cells(tr):
            tcpr = tc.find(_W + "tcPr")
            span = _int(_val(tcpr, "gridSpan"), 1) or 1
            h = _val(tcpr, "hMerge")
            if h is not None and h != "restart" and left is not None:
                # legacy horizontal merge: this cell widens the one on its left
                if left not in open_:
                    open_[left] = [r, left, r, False]
                open_[left][1] = col + span - 1
                line += [""] * span
                number += [0] * span
                col += span
                continue
            v = _val(tcpr, "vMerge")
            grows = open_.get(col)
            continues = (v is not None and v != "restart" and grows is not None and grows[3]
                         and grows[1] == col + span - 1)
            line += ["" if continues else _cell_text(tc)] + [""] * (span - 1)
            number += [max(number, default=0) + 1] + [0] * (span - 1)
            if continues:
                grows[2] = r
            else:
                if grows is not None:
                    _close(merges, open_, col)
                if v == "restart" or span > 1:
                    open_[col] = [r, col + span - 1, r, v == "restart"]
            seen.add(col)
            left = col
            col += span
        for c in [c for c, m in open_.items() if c not in seen or not m[3]]:
            _close(merges, open_, c)
        rows.append(line)
        numbers.append(number)
    for c in list(open_):
        _close(merges, open_, c)
    width = max((len(r) for r in rows), default=0)
    values = [r + [""] * (width - len(r)) for r in rows]
    return values, sorted(merges), [n + [0] * (width - len(n)) for n in numbers]


def _close(merges, open_, col: int) -> None:
    r0, c1, r1, _ = open_.pop(col)
    if r1 > r0 or c1 > col:
        merges.append((r0, col, r1, c1))


def _cell_text(tc) -> str:
    """The cell's paragraphs (nested tables' too), one line each."""
    lines = []
    for child in tc:
        if child.tag == _W + "p":
            lines.append(_text(child))
        elif child.tag == _W + "tbl":
            lines += [_text(p) for p in child.iter(_W + "p")]
        elif child.tag in (_W + "sdt", _W + "customXml"):
            lines += [_text(p) for p in child.iter(_W + "p")]
    return "\n".join(lines)


_SKIP = {_W + "del", _W + "moveFrom", _W + "instrText", _W + "delText", _W + "pPr", _W + "rPr",
         _W + "txbxContent", _MC + "Fallback", _W + "fldChar", _W + "footnoteReference", _W + "commentReference"}


def _text(p) -> str:
    """A paragraph's text as Word shows it: runs, tabs, line breaks; no
    deleted revisions, field codes, text boxes or compatibility fallbacks."""
    out: list[str] = []

    def walk(el):
        for child in el:
            tag = child.tag
            if tag in _SKIP:
                continue
            if tag == _W + "t":
                out.append(child.text or "")
            elif tag == _W + "tab":
                out.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                out.append("\n")
            elif tag == _W + "noBreakHyphen":
                out.append("-")
            else:
                walk(child)

    walk(p)
    return "".join(out)


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


__all__ = ["CONVERTED", "WORD_SUFFIXES", "WordError", "WordTable", "WordTables", "convert_to_docx", "find_soffice", "read_word_tables"]
