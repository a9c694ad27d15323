"""Hostile-file guards: a zipped workbook inspected before any parser sees it.

The interface: `read_capped(fh)` reads a file within the size limit;
`inspect_zip(data)` -> ZipFacts (or None for a file that is
not a zip), raising ZipRefused with the finding to report; `ZipFacts.measure`
and `ZipFacts.settle` inspect a worksheet just before calamine parses it;
`_ole_encrypted(data)` tells an encrypted workbook; the MAX_* limits. See the
comment below for what is checked and why.
"""

from __future__ import annotations

import html
import io
import os
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from functools import lru_cache

from .. import cellref
from ..deflate import z as _z       # zlib-ng: a sheet's part inflated in ~40 µs (zlib ~80)
from ..errors import FileRefused
from . import quickxml as qx
from .contract import READABLE, SHEET_NAME

# Limits that keep one hostile or broken file from exhausting memory or time.
# A filled score sheet is ~50 KB on disk, ~0.5 MB unzipped, ~1,200 cells.
MAX_FILE_BYTES = 100 * 2**20       # on disk
MAX_PART_BYTES = 64 * 2**20        # one XML part of a zipped workbook, unzipped
MAX_XML_BYTES = 256 * 2**20        # all XML parts together, unzipped
MAX_ZIP_ENTRIES = 10_000
MAX_SHEET_CELLS = 2_000_000        # rows x columns a sheet spans, read as one grid


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

class ZipRefused(FileRefused):
    """A zipped workbook refused before parsing; fields of the finding to report."""


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
# xlsxwriter and openpyxl ask Excel to recalculate everything on opening: the
# results they saved (xlsxwriter's 0, openpyxl's nothing) were never calculated.
_FULL_CALC = re.compile(rb"""<""" + qx.NS + rb"""calcPr(?=[\s/>])[^>]*?\sfullCalcOnLoad\s*=\s*["'](?:1|true)["']""")
_ODS_VALUE_ATTRS = (b"office:value", b"office:string-value", b"office:boolean-value", b"office:date-value", b"office:time-value")


def read_capped(fh, size: int | None = None) -> bytes:
    """An open file's bytes, at most MAX_FILE_BYTES + 1 (one more than the limit
    says the file is too large). Asked for by the file's size (`size`, when the
    caller has it from fstat): a read of MAX_FILE_BYTES + 1 has Python set aside
    100 MB before reading 50 KB, a sixth of reading a filled form. A file that
    grew since is read on, up to the limit."""
    if size is None:
        size = os.fstat(fh.fileno()).st_size
    data = fh.read(min(size, MAX_FILE_BYTES) + 1)
    if size < len(data) <= MAX_FILE_BYTES:
        data += fh.read(MAX_FILE_BYTES + 1 - len(data))
    return data


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
        if "META-INF/manifest.xml" in names and "mimetype" in names:
            # An .ods saved with a password lists its parts' encryption data here.
            manifest = _unzip_checked(zf, zf.getinfo("META-INF/manifest.xml"), keep=True, data=data)
            if b"encryption-data" in manifest:
                raise ZipRefused("file-encrypted", expected=READABLE)
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
    key = None
    if info.file_size <= _SEEN_PART_MAX:
        # The same compressed bytes, declared the same way: the same text, checked already.
        key = (info.compress_type, info.file_size, info.CRC, bytes(raw))
        body = _SEEN.get(key)
        if body is not None:
            return body
    if info.compress_type == zipfile.ZIP_STORED:
        body = bytes(raw)
    else:
        try:
            body = _z.decompressobj(-15).decompress(raw, info.file_size + 1)
        except _z.error:
            return None
    if len(body) != info.file_size or _z.crc32(body) != info.CRC:
        return None
    if key is not None:
        if len(_SEEN) >= _SEEN_MAX:
            _SEEN.clear()
        _SEEN[key] = body
    return body


# Small parts unzipped and found whole, by their compressed bytes and what the
# directory declares of them: workbooks made from one template share most of
# their parts (styles, theme, workbook, relationships, properties) byte for
# byte, so each is unzipped once per worker rather than once per file. Bounded:
# at most _SEEN_MAX parts of up to _SEEN_PART_MAX bytes (8 MB with their keys).
_SEEN: dict[tuple, bytes] = {}
_SEEN_MAX = 256
_SEEN_PART_MAX = 16 << 10


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
    for _, local, tag, content, end_tag, _ in qx.xml_tags(rels):
        if local != b"Relationship" or end_tag:
            continue
        raw = content[len(tag):]
        a = qx.parse_attrs(raw)
        target = a.get(b"Target", "")
        path = target.lstrip("/") if target.startswith("/") else os.path.normpath("xl/" + target).replace(os.sep, "/")
        rid = a.get(b"Id", "")
        sure = sure and qx.plain_tag(raw) and rid not in targets
        targets[rid] = path
        raw_targets[rid] = target
    later: dict[str, str] = {}
    for _, local, tag, content, end_tag, _ in qx.xml_tags(book):
        if local != b"sheet" or end_tag:
            continue
        raw = content[len(tag):]
        a = qx.parse_attrs(raw)
        rid = qx.attr(a, b"id") or ""
        if targets.get(rid) in names:
            part, name = targets[rid], a.get(b"name", targets[rid])
            out[part] = name
            ids = [k for k in a if qx.local_name(k) == b"id"]
            sure = (sure and qx.plain_tag(raw) and ids in ([b"r:id"], [b"relationships:id"])
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


def _calamine_part(target: str) -> str:
    """The part calamine opens for a relationship's target (its own rule)."""
    if target.startswith("/xl/"):
        return target[1:]
    return target if target.startswith("xl/") else "xl/" + target


def _note_extent(facts: ZipFacts, sheet: str, max_row: int, max_col: int) -> None:
    cells = (max_row + 1) * (max_col + 1)   # read as one grid from A1
    if max_row >= 0 and cells > MAX_SHEET_CELLS:
        facts.too_large[sheet] = (cells, f"{cellref.col_name(max_col)}{max_row + 1}")


# The quick look of _plain_sheet_fits: every cell tag written the way Excel,
# WPS, openpyxl and xlsxwriter write it, no formula, no error value.
# Possessive (?+): a piece once matched is never given back, as giving it back
# could never succeed (what follows each starts with another character); the
# regex engine then tries one way per cell, a third faster over a sheet.
_PLAIN_ATTRS = rb'(?: s="[0-9]{1,9}")?+(?: t="(?:s|n|b|str|inlineStr|d)")?+ ?+/?+>'    # after r="..."
_PLAIN_CELL = re.compile(rb'<c r="([A-Z]{1,3})([1-9][0-9]{0,6})"' + _PLAIN_ATTRS)
_NOT_PLAIN = re.compile(rb'<c (?!r="[A-Z]{1,3}[1-9][0-9]{0,6}"' + _PLAIN_ATTRS + rb")")
_NOT_SMALL_PLAIN = re.compile(rb'<c (?!r="[A-Z][1-9][0-9]{0,3}"' + _PLAIN_ATTRS + rb")")
_ROW_100 = re.compile(rb'<c r="[A-Z]{1,3}[1-9][0-9]{2}')   # a plain cell at row 100 or below
_XFD_COLS = 18_278                                         # columns three letters can name (A..ZZZ)
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
    which bounds the area the scan would measure, is within MAX_SHEET_CELLS
    (with no row number of three digits, 100 x the columns three letters can
    name is: an assessor's wide sheet, 3,000 unit columns, needs no list of
    its cells). Any other sheet gets the full scan.

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
    if _NOT_PLAIN.search(body, start, end) is not None:
        return False                          # some cell tag is not plain
    if _ROW_100.search(body, start, end) is None and 100 * _XFD_COLS <= MAX_SHEET_CELLS:
        return True                           # all plain, every row under 100 (a wide 核定表: 3,000 columns)
    cells = _PLAIN_CELL.findall(body, start, end)
    if not cells:
        return True
    letters, rows = zip(*cells)
    cols = max(cellref.col_index(c.decode("ascii")) for c in set(letters)) + 1
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
        ref = f"{cellref.col_name(cell.col)}{cell.row + 1}"
        formula = ""
        if cell.formula is not None:
            text = html.unescape(cell.formula.decode("utf-8", "replace")).strip()
            formula = "=" + text if text else "=（共享公式 / shared formula）"
            cached = saved != b"" or cell.inline \
                or (cell.saved is not None and (qx.attr(cell.attrs, b"t") or "") == "str")   # a formula that yields "" saves <v></v>
            if recalc or not cached:
                uncached[ref] = formula
                return
        if (qx.attr(cell.attrs, b"t") or "") == "e":
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

    The XML is read token by token as quick-xml reads it (see qx.TOKEN), in one
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
    for m, local, name, content, end_tag, empty in qx.xml_tags(body):
        if local in (b"c", b"row"):
            if cell is not None:      # a cell ends at its </c>, or at the next cell or row
                max_row, max_col = max(max_row, cell.row), max(max_col, cell.col)
                visit(cell)
                cell = inside = None
            if local == b"row":
                if not end_tag:
                    rows = [x for x in map(qx.row_ref, qx.r_values(content)) if x is not None]
                    if rows:
                        row_index = max(rows)
                if end_tag or empty:
                    row_index, col_index = row_index + 1, 0
            elif not end_tag:
                places = [x for x in map(qx.cell_ref, qx.r_values(content)) if x is not None]
                r, c = (max(p[0] for p in places), max(p[1] for p in places)) if places else (row_index, col_index)
                col_index = c + 1
                if not empty:
                    cell = _Cell(r, c, qx.parse_attrs(content[len(name):]))
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
        a = qx.parse_attrs(attrs)
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
                uncached[f"{cellref.col_name(col)}{row + 1}"] = formula.split(":", 1)[1] if formula.startswith("of:") else formula
            col += cols_rep
    close_table()


def _repeat(text: str | None) -> int:
    return int(text) if text and text.isdigit() and int(text) > 0 else 1


def _mb(n: int) -> str:
    if n < 2**20:
        return f"{n / 2**10:.1f} KB"
    return f"{n / 2**20:.1f} MB" if n < 2**30 else f"{n / 2**30:.1f} GB"


def _reason(exc: Exception) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."
