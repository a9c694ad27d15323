"""Streamed sheet bodies: a sheet's bulk rows made as XML by us, not cell by cell
through xlsxwriter, and spliced into the package xlsxwriter wrote.

`Body` streams rows in order into a temporary file (Sheet.body hands one out
for a long sheet). `RowsJob` makes a body's rows in worker processes started
early (fork), each a run of rows into its own file, while the caller writes
the other sheets; `Sheet.attach` puts them in their sheet. `_splice` then
copies the package with each body in its <sheetData>. Text is always an
inline string, never a formula; the bytes are the same for the same inputs
however the rows were made.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import shutil
import struct
import sys
import tempfile
import zipfile

import pandas as pd
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from .deflate import FAST_LEVEL, z
from .errors import WriteError

MAX_CELL_TEXT = 32767     # Excel's limit for one cell


# --------------------------------------------------------------------------- streamed sheet bodies

# xlsxwriter's own escapes (xmlwriter._escape_control_characters, _escape_data):
# control characters become _xHHHH_, a literal _xHHHH_ gets its underscore
# escaped, the two non-characters too; then & < > (not quotes, as Excel does).
_NEEDS_ESCAPE = re.compile("[\x00-\x08\x0b-\x1f&<>\ufffe\uffff]|_x[0-9a-fA-F]{4}_")
_LITERAL_ESCAPE = re.compile("(_x[0-9a-fA-F]{4}_)")
_CONTROL = re.compile("([\x00-\x08\x0b-\x1f])")
FLUSH_ROWS = 2048


def _inline_text(s: str) -> str:
    """The <is> of an inline string, as xlsxwriter's constant-memory writer makes it
    (except that text looking like rich-text XML is escaped too: it is text)."""
    # Most texts need no escape, known at C speed: a printable text has no control
    # character and neither non-character (a line break or tab takes the regex).
    if not (s.isprintable() and "&" not in s and "<" not in s and ">" not in s and "_x" not in s) \
            and _NEEDS_ESCAPE.search(s):
        s = _LITERAL_ESCAPE.sub(r"_x005F\1", s)
        s = _CONTROL.sub(lambda m: f"_x{ord(m.group(1)):04X}_", s)
        s = s.replace("\ufffe", "_xFFFE_").replace("\uffff", "_xFFFF_")
        preserve = s[:1].isspace() or s[-1:].isspace()
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    else:
        preserve = s[:1].isspace() or s[-1:].isspace()
    return f'<is><t xml:space="preserve">{s}</t></is>' if preserve else f"<is><t>{s}</t></is>"


class Whole(int):
    """A whole number among a row's cells (a rank, a count), written as itself;
    a plain int there is a figure in hundredths (Sheet.row, Body.row)."""

    @classmethod
    def of(cls, value) -> "Whole | None":
        """`value` as a row's whole number; None (a blank cell) for a missing one."""
        return None if value is None or pd.isna(value) else cls(int(value))


class _Letters(dict):
    """Column letters by index, made once each."""

    def __missing__(self, col: int) -> str:
        self[col] = name = xl_col_to_name(col)
        return name


class _Styles(dict):
    """' s="N"' per style name, N the xlsxwriter format's index, taken at first use
    as xlsxwriter takes it (so styles.xml is the same); None: no format, no s."""

    def __init__(self, formats: dict):
        super().__init__({None: ""})
        self.formats = formats

    def __missing__(self, name: str) -> str:
        self[name] = attr = f' s="{self.formats[name]._get_xf_index()}"'
        return attr


class Body:
    """A sheet's bulk rows made by us as XML and streamed to a temporary file:
    the sheet itself (columns, formats, header rows, print setup, autofilter,
    frozen panes) is set up with xlsxwriter; at Book.close the rows are spliced
    into its <sheetData>. The same calls as Sheet (text, figure, whole, head),
    rows strictly in order. Text is always an inline string (t="inlineStr"),
    never a formula; figures are <v> numbers written as xlsxwriter writes them;
    the style indexes are the xlsxwriter formats' own."""

    def __init__(self, sheet: Sheet, first_row: int, shared: dict[str, int] | None = None):
        ws = sheet.ws
        if ws.dim_rowmax is not None and ws.dim_rowmax >= first_row:
            raise WriteError(f"internal error: rows up to {ws.dim_rowmax + 1} written before the streamed body at {first_row + 1}")
        if ws.excel_version != 2007:      # its rows would need x14ac attributes too
            raise WriteError("internal error: a streamed body on a sheet with Excel 2010 features")
        self.sheet, self.ws, self.first_row = sheet, ws, first_row
        # xlsxwriter keeps its last row until another row starts: have it write that
        # row now, as a cell at first_row would, so its formats take their indexes
        # before the body's (the same order, so the same styles.xml, as without a Body).
        ws._write_single_row(first_row)
        self._start(_Styles(sheet.fmt), first_row, shared)

    def _start(self, styles: dict, first_row: int, shared: dict[str, int] | None = None) -> None:
        self._xf = styles
        self._shared = shared or {}     # text -> its index among the workbook's shared strings
        self._letters = _Letters()
        self._r1 = first_row
        self._fh = tempfile.TemporaryFile(prefix="assess-body-")
        self._buf: list[str] = []
        self._short: dict[str, str] = {}
        self._figures: dict[int, str] = {}       # hundredths -> the cell's tail
        self._row_attrs: dict[int, str] = {}     # the next row's <row ...> from fit_row
        self._heights: dict = {}                  # height -> the <row> attributes after r="…"
        self._row = first_row - 1      # the row open, 0-based
        self._col = -1
        self._rows = 0
        self._max_col = -1
        # The rows are kept deflated (a fast level, deflate.FAST_LEVEL: a fifth of
        # zlib level 6's time, a third larger), a raw stream ended by a sync
        # flush, so that runs made apart join into one zip entry (_splice) with
        # their CRCs combined.
        self._z = z.compressobj(FAST_LEVEL, z.DEFLATED, -15)
        self.size = 0                  # bytes of XML
        self.csize = 0                 # deflated
        self.crc = 0

    def _cell(self, row: int, col: int, style: str | None, tail: str) -> None:
        # The innermost loop (a million cells for a national run): one append a cell.
        if row != self._row:
            self._new_row(row)
        elif col <= self._col:
            raise WriteError(f"internal error: cell {xl_rowcol_to_cell(row, col)} streamed out of order")
        self._col = col
        self._buf.append(f'<c r="{self._letters[col]}{self._r1}"{self._xf[style]}{tail}')

    def _new_row(self, row: int) -> None:
        if row < self._row:
            raise WriteError(f"internal error: row {row + 1} streamed after row {self._row + 1}")
        if self._col >= 0:
            self._end_row()
            if self._rows % FLUSH_ROWS == 0:
                self._flush()
        self._buf.append(self._row_attrs.pop(row, None) or f'<row r="{row + 1}">')
        self._row, self._r1, self._col = row, row + 1, -1

    def _end_row(self) -> None:
        self._buf.append("</row>")
        self._rows += 1
        if self._col > self._max_col:
            self._max_col = self._col

    def text(self, row: int, col: int, value, style: str = "text") -> None:
        self._cell(row, col, style, self._text_tail("" if value is None else str(value), style))

    def _text_tail(self, s: str, style: str | None) -> str:
        tail = self._short.get(s)       # names, codes, labels: thousands of repeats each
        if tail is None:
            if not s:
                # Sheet.text writes "" as a blank cell in its style; write_string("")
                # without a format (the snapshot's) as an empty inline string.
                return "/>" if style is not None else ' t="inlineStr"><is><t></t></is></c>'
            index = self._shared.get(s)
            if index is not None:
                return self._short.setdefault(s, f' t="s"><v>{index}</v></c>')
            if len(s) > MAX_CELL_TEXT:
                s = s[: MAX_CELL_TEXT - 40] + "…（超长，已截断 / truncated）"
            tail = f' t="inlineStr">{_inline_text(s)}</c>'
            if len(s) <= 1000:
                # Names, codes, labels and the audit's few thousand distinct sentences
                # recur thousands of times; unique texts (sources) pass through. Bounded.
                if len(self._short) >= 50_000:
                    self._short.clear()
                self._short[s] = tail
        return tail

    def row(self, row: int, height: float | None, cells) -> None:
        """Sheet.row streamed: the audit's ~180,000 rows a national run, each built
        as one string (the cell-by-cell calls cost more than the XML)."""
        if row <= self._row:
            raise WriteError(f"internal error: row {row + 1} streamed after row {self._row + 1}")
        if self._col >= 0:
            self._end_row()
            if self._rows % FLUSH_ROWS == 0:
                self._flush()
        self._row_attrs.pop(row, None)
        r1, letters, xf, short, figures = row + 1, self._letters, self._xf, self._short, self._figures
        rest = self._heights.get(height)
        parts = [f'<row r="{r1}"{rest}' if rest is not None else self._row_open(row, height, {})]
        last = -1
        for col, style, value in cells:
            if col <= last:
                raise WriteError(f"internal error: cell {xl_rowcol_to_cell(row, col)} streamed out of order")
            last = col
            if value.__class__ is int:       # a figure: a few hundred distinct among a million
                tail = figures.get(value)
                if tail is None:
                    if len(figures) >= 50_000:
                        figures.clear()
                    tail = figures[value] = f"><v>{value / 100:.16G}</v></c>"
            elif value.__class__ is str or isinstance(value, str):
                tail = short.get(value) or self._text_tail(value, style)
            elif value is None:
                tail = self._text_tail("", style)
            elif isinstance(value, Whole):
                tail = f"><v>{int(value):.16G}</v></c>"
            elif value is pd.NA or value != value:
                tail = "/>"
            else:
                tail = f"><v>{int(value) / 100:.16G}</v></c>"
            parts.append(f'<c r="{letters[col]}{r1}"{xf[style]}{tail}')
        self._buf.append("".join(parts))
        self._row, self._r1, self._col = row, r1, last

    def merged(self, row: int, first: int, last: int, height: float | None, text: str, style: str) -> None:
        """Sheet.merged streamed: the text in `first`, blank cells in its style to
        `last`, and the range among the sheet's merges (xlsxwriter writes them at
        close). Rows come strictly in order, so it cannot overlap another."""
        self.ws.merge.append([row, first, row, last])
        self.row(row, height, [(first, style, text)] + [(c, style, None) for c in range(first + 1, last + 1)])

    def figure(self, row: int, col: int, hundredths, style: str = "num") -> None:
        if hundredths is None or hundredths is pd.NA or hundredths != hundredths:
            self._cell(row, col, style, "/>")
            return
        # h / 100 is the double nearest the decimal (IEEE division is correctly
        # rounded), the same number as float(fmt(h)) that Sheet.figure writes.
        self._cell(row, col, style, f"><v>{int(hundredths) / 100:.16G}</v></c>")

    def whole(self, row: int, col: int, value, style: str = "rank") -> None:
        if value is None or pd.isna(value):
            self._cell(row, col, style, "/>")
            return
        self._cell(row, col, style, f"><v>{int(value):.16G}</v></c>")

    def head(self, row: int, labels: list[str], col: int = 0, style: str = "head", height: float | None = None) -> None:
        if height is not None:
            self._set_height(row, height, {})
        for k, label in enumerate(labels):
            self.text(row, col + k, label, style)

    def fit_row(self, row: int, cells: dict[int, object], options: dict | None = None, *,
                span: dict[int, int] | None = None, indent: dict[int, float] | None = None) -> None:
        """Sheet.fit_row for a streamed row: the <row> element xlsxwriter's set_row
        would give it (height in pixels, then ht in points, customHeight, outline)."""
        self._set_height(row, self.sheet.fit_height(cells, span, indent), options or {})

    def _set_height(self, row: int, height: float | None, options: dict) -> None:
        if row <= self._row:
            raise WriteError(f"internal error: row {row + 1} fitted after row {self._row + 1} was streamed")
        self._row_attrs[row] = self._row_open(row, height, options)

    def fit_height(self, cells: dict[int, object], span: dict[int, int] | None = None,
                   indent: dict[int, float] | None = None) -> float | None:
        """Sheet.fit_height, for the rows a Body streams."""
        return self.sheet.fit_height(cells, span, indent)

    def _row_open(self, row: int, height: float | None, options: dict) -> str:
        if not options:          # Body.row's rows: a few distinct heights, each worked out once
            rest = self._heights.get(height)
            if rest is None:
                rest = self._heights[height] = self._row_attrs_for(row, height, options)[len(f'<row r="{row + 1}"'):]
            return f'<row r="{row + 1}"{rest}'
        return self._row_attrs_for(row, height, options)

    def _row_attrs_for(self, row: int, height: float | None, options: dict) -> str:
        ws = self.ws
        pixels = ws.default_row_height if height is None else int(height * 4.0 / 3.0 + 0.5)
        hidden, level, collapsed = options.get("hidden", False), min(max(options.get("level", 0), 0), 7), options.get("collapsed", False)
        if pixels == 0:
            hidden, pixels = True, ws.default_row_height
        ws.outline_row_level = max(ws.outline_row_level, level)
        custom = pixels != ws.original_row_height or pixels != ws.default_row_height
        attrs = f'<row r="{row + 1}"'
        if custom:
            attrs += f' ht="{pixels * 0.75:.16g}"'
        if hidden:
            attrs += ' hidden="1"'
        if custom:
            attrs += ' customHeight="1"'
        if level:
            attrs += f' outlineLevel="{level}"'
        if collapsed:
            attrs += ' collapsed="1"'
        return attrs + ">"

    def _flush(self) -> None:
        data = "".join(self._buf).encode("utf-8")
        self._buf.clear()
        self.crc = z.crc32(data, self.crc)
        self.size += len(data)
        self._write(self._z.compress(data))

    def _write(self, packed: bytes) -> None:
        if packed:
            self._fh.write(packed)
            self.csize += len(packed)

    def _close_rows(self) -> None:
        if self._col >= 0:
            self._end_row()
            self._col = -1
        self._flush()
        self._write(self._z.flush(z.Z_SYNC_FLUSH))

    def finish(self) -> None:
        """Close the last row; the sheet's dimension then covers the body."""
        self._close_rows()
        _cover(self.ws, self.first_row, self._row, self._max_col)

    def copy_to(self, fout) -> None:
        self._fh.seek(0)
        shutil.copyfileobj(self._fh, fout, 1 << 20)

    def discard(self) -> None:
        self._fh.close()


def _cover(ws, first_row: int, last_row: int, max_col: int) -> None:
    """The sheet's dimension grown to rows first_row..last_row (none when last < first)."""
    if last_row >= first_row:
        ws.dim_rowmax = last_row if ws.dim_rowmax is None else max(ws.dim_rowmax, last_row)
        if ws.dim_rowmin is None:
            ws.dim_rowmin = first_row
        ws.dim_colmax = max_col if ws.dim_colmax is None else max(ws.dim_colmax, max_col)
        if ws.dim_colmin is None:
            ws.dim_colmin = 0


# --------------------------------------------------------------------------- rows made in workers

class _RowDefaults:
    """What a row's <row> element depends on in a worksheet, for rows made before
    their sheet exists: xlsxwriter's defaults (Sheet.attach checks the sheet has them)."""
    default_row_height = 20
    original_row_height = 20
    outline_row_level = 0


class _Prepared(dict):
    """Style attributes resolved by the caller before the workers start: a worker
    cannot give a format its index (the caller's styles.xml would not know it)."""

    def __missing__(self, name):
        raise WriteError(f"internal error: style {name!r} used in a body made in a worker but not prepared")


class _Part(Body):
    """A run of a body's rows (Body.row calls only), made apart from its sheet."""

    def __init__(self, styles: dict, first_row: int, shared: dict[str, int] | None = None):
        self.sheet, self.ws, self.first_row = None, _RowDefaults(), first_row
        self._start(_Prepared(styles), first_row, shared)


def _fork_context():
    # fork: the worker has the caller's data without pickling it; where fork is
    # missing or unsafe (Windows, macOS) the rows are made in the calling process.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return None


def _make_part(part: _Part, produce, start: int, stop: int, conn) -> None:
    try:
        produce(part, start, stop)
        part._close_rows()
        part._fh.flush()
        conn.send(("ok", (part.size, part.csize, part.crc), part._row, part._max_col))
    except BaseException as exc:       # said to the caller, which fails the write
        conn.send(("error", f"{type(exc).__name__}: {exc}", 0, 0))
    finally:
        conn.close()


class RowsJob:
    """A body's `total` rows made by `produce(part, start, stop)` (rows start..stop-1
    of the body, written with part.row at sheet rows first_row + k) in `workers`
    forked processes, while the caller goes on; `styles`: every style the rows
    use, resolved now, in this order. Without fork, made here at once. Attached
    to its sheet with Sheet.attach; Book.close waits for it."""

    def __init__(self, formats: dict, first_row: int, total: int | None, produce, styles, workers: int = 2,
                 shared: dict[str, int] | None = None):
        resolved = _Styles(formats)
        prepared = {name: resolved[name] for name in styles}
        self.first_row, self.total, self.ws = first_row, total, None
        ctx = _fork_context()
        # The runs depend on the rows only (not on whether fork is there): the
        # same deflated pieces, so the same bytes, on every platform. A body
        # whose length only its worker learns (total None) is one run,
        # produce(part, 0, None).
        runs = 1 if total is None else max(1, min(workers, total // 1000 or 1))
        step = 1 if total is None else -(-total // runs) if total else 1
        self._parts: list[tuple[_Part, object, object]] = []
        for start in range(0, 1 if total is None else max(total, 1), step):
            stop = None if total is None else min(start + step, total)
            part = _Part(prepared, first_row + start, shared)
            if ctx is None:
                produce(part, start, stop)
                part._close_rows()
                self._parts.append((part, None, None))
                continue
            recv, send = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_make_part, args=(part, produce, start, stop, send), daemon=True)
            proc.start()
            send.close()
            self._parts.append((part, proc, recv))
        self.size = self.csize = self.crc = 0

    def finish(self) -> None:
        """Wait for the workers; the sheet's dimension then covers the rows."""
        last, max_col = self.first_row - 1, -1
        for part, proc, recv in self._parts:
            if proc is not None:
                try:
                    status, size, part._row, part._max_col = recv.recv()
                except EOFError:
                    status, size = "error", f"worker ended ({proc.exitcode})"
                proc.join()
                recv.close()
                if status != "ok":
                    raise WriteError(f"内部错误：工作表行生成失败 / internal error making sheet rows: {size}")
                part.size, part.csize, part.crc = size
            self.crc = crc32_combine(self.crc, part.crc, part.size)
            self.size += part.size
            self.csize += part.csize
            if part._row >= part.first_row:
                last, max_col = max(last, part._row), max(max_col, part._max_col)
        self._parts = [(part, None, None) for part, _, _ in self._parts]
        _cover(self.ws, self.first_row, last, max_col)

    def copy_to(self, fout) -> None:
        for part, _, _ in self._parts:
            part.copy_to(fout)

    def discard(self) -> None:
        for part, proc, recv in self._parts:
            if proc is not None and proc.is_alive():
                proc.kill()
                proc.join()
            if recv is not None:
                recv.close()
            part.discard()


def _splice(path: str, bodies: list) -> None:
    """Put each body into its sheet's XML in the package xlsxwriter wrote at `path`.

    The other entries are copied byte for byte (local header and deflated data:
    nothing unzipped or zipped again), so the same inputs give the same bytes;
    a body's entry is its sheet's head, the body's deflated runs and the tail
    joined into one deflate stream, its CRC combined from theirs. The package
    is rebuilt beside it and renamed over it, inside the staged write. Memory
    stays bounded: every entry is streamed."""
    by_part = {f"xl/worksheets/sheet{b.ws.index + 1}.xml": b for b in bodies}
    fd, tmp = tempfile.mkstemp(prefix=".~splice.", suffix=".tmp", dir=os.path.dirname(os.path.abspath(path)))
    try:
        with os.fdopen(fd, "wb") as out, open(path, "rb") as raw, zipfile.ZipFile(path) as src:
            central, offset = [], 0
            for info in src.infolist():
                name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437")
                body = by_part.get(info.filename)
                if body is None:
                    if info.flag_bits & 0x08:           # a data descriptor: not what xlsxwriter writes
                        raise WriteError(f"internal error: {info.filename} has a data descriptor")
                    raw.seek(info.header_offset)
                    local = raw.read(30)
                    extra = int.from_bytes(local[26:28], "little") + int.from_bytes(local[28:30], "little")
                    out.write(local + raw.read(extra))
                    _copy(raw, out, info.compress_size)
                    central.append(_central(info, name, offset, info.extract_version, info.flag_bits, info.compress_type,
                                            info.CRC, info.compress_size, info.file_size, info.extra))
                    offset += 30 + extra + info.compress_size
                    continue
                xml = src.read(info)     # the sheet without its body: small
                cut = xml.rfind(b"</sheetData>")
                if cut >= 0:
                    head, tail = xml[:cut], xml[cut:]
                else:                    # no row written by xlsxwriter
                    cut = xml.find(b"<sheetData/>")
                    if cut < 0:
                        raise WriteError(f"internal error: no <sheetData> in {info.filename}")
                    head, tail = xml[:cut] + b"<sheetData>", b"</sheetData>" + xml[cut + len(b"<sheetData/>"):]
                zh, zt = z.compressobj(FAST_LEVEL, z.DEFLATED, -15), z.compressobj(FAST_LEVEL, z.DEFLATED, -15)
                head_z = zh.compress(head) + zh.flush(z.Z_SYNC_FLUSH)
                tail_z = zt.compress(tail) + zt.flush()
                crc = crc32_combine(crc32_combine(z.crc32(head), body.crc, body.size), z.crc32(tail), len(tail))
                size, csize = len(head) + body.size + len(tail), len(head_z) + body.csize + len(tail_z)
                if max(size, csize, offset + csize) >= 0xFFFFFFFF:
                    raise WriteError("结果工作簿的一张表超过 4 GB，无法写入 / a sheet of the workbook is over 4 GB")
                flags = info.flag_bits & 0x800
                out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, max(info.extract_version, 20), flags, zipfile.ZIP_DEFLATED,
                                      *_dos(info.date_time), crc, csize, size, len(name), 0) + name)
                out.write(head_z)
                body.copy_to(out)
                out.write(tail_z)
                central.append(_central(info, name, offset, max(info.extract_version, 20), flags, zipfile.ZIP_DEFLATED,
                                        crc, csize, size, b""))
                offset += 30 + len(name) + csize
            directory = b"".join(central)
            if offset + len(directory) >= 0xFFFFFFFF or len(central) >= 0xFFFF:
                raise WriteError("结果工作簿超过 4 GB，无法写入 / the workbook is over 4 GB")
            out.write(directory)
            out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _central(info: zipfile.ZipInfo, name: bytes, at: int, version: int, flags: int, method: int, crc: int,
             csize: int, size: int, extra: bytes) -> bytes:
    """An entry's central directory record: the source's own fields, with what the splice changed."""
    return (struct.pack("<IBBBBHHHHIIIHHHHHII", 0x02014B50, info.create_version, info.create_system, version,
                        info.reserved, flags, method, *_dos(info.date_time), crc, csize, size, len(name), len(extra),
                        len(info.comment), 0, info.internal_attr, info.external_attr, at)
            + name + extra + info.comment)


def _copy(src, dst, n: int) -> None:
    while n > 0:
        chunk = src.read(min(n, 1 << 20))
        if not chunk:
            raise WriteError("internal error: the package ended early")
        dst.write(chunk)
        n -= len(chunk)


def _dos(date_time) -> tuple[int, int]:
    """(time, date) as a zip header stores them."""
    y, mo, d, h, mi, sec = date_time
    return (h << 11) | (mi << 5) | (sec // 2), ((y - 1980) << 9) | (mo << 5) | d


def _gf2_times(matrix: list[int], vector: int) -> int:
    total, k = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[k]
        vector >>= 1
        k += 1
    return total


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A + B from crc32(A), crc32(B) and len(B): zlib-ng's own, else
    (Python's zlib does not offer it) B's length in zeros applied to crc1 by
    squaring the one-zero-bit operator over GF(2)."""
    if len2 <= 0:
        return crc1
    if _C_COMBINE is not None:
        return _C_COMBINE(crc1, crc2, len2)
    return _crc32_combine(crc1, crc2, len2)


_C_COMBINE = getattr(z, "crc32_combine", None)


def _crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    if len2 <= 0:
        return crc1
    odd = [0xEDB88320] + [1 << k for k in range(31)]      # one zero bit
    even = [_gf2_times(odd, odd[k]) for k in range(32)]    # two
    odd = [_gf2_times(even, even[k]) for k in range(32)]   # four
    while True:
        even = [_gf2_times(odd, odd[k]) for k in range(32)]
        if len2 & 1:
            crc1 = _gf2_times(even, crc1)
        len2 >>= 1
        if not len2:
            break
        odd = [_gf2_times(even, even[k]) for k in range(32)]
        if len2 & 1:
            crc1 = _gf2_times(odd, crc1)
        len2 >>= 1
        if not len2:
            break
    return crc1 ^ crc2
