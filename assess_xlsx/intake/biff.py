"""The guard for .xls (BIFF in an OLE compound file), run before calamine parses one.

calamine reads an .xls whole when it opens it: every sheet's cells, into a
grid as large as the sheet's DIMENSIONS record says. So what the zip
inspection does for .xlsx/.ods is done here on the raw bytes, in bounded
Python: the OLE container walked with every sector chain checked (a chain
that loops or points past the end is refused: calamine follows such a loop
until it asks for 4 GiB and the process aborts), the Workbook stream's BIFF
records scanned for FILEPASS (a password to open) and for the area each
sheet spans (its DIMENSIONS record and the farthest cell record), refused
over the cell limit. Nothing here allocates more than the file's own size.
"""

from __future__ import annotations

import struct

from ..cellref import col_name
from ..errors import FileRefused
from .guard import _OLE

_MAXREG = 0xFFFFFFFA         # sector numbers above this are markers (end of chain, free...)
_ENDOFCHAIN = 0xFFFFFFFE

# BIFF record types
_BOF, _EOF, _FILEPASS, _BOUNDSHEET, _DIMENSIONS = 0x0809, 0x000A, 0x002F, 0x0085, 0x0200
_CELLS = frozenset({0x0203, 0x00FD, 0x027E, 0x0201, 0x0204, 0x0205, 0x0006, 0x00D6, 0x0406, 0x0002, 0x0003, 0x0004})
_MULTI = frozenset({0x00BD, 0x00BE})   # MULRK, MULBLANK: row, first column, ..., last column


class BiffRefused(FileRefused):
    """An .xls refused before parsing; the fields of the finding to report."""


def _broken(why: str) -> BiffRefused:
    zh, en = why.split(" / ")      # the finding's value (Chinese) and note (English)
    return BiffRefused("file-ole-broken", value=zh, note=en)


def workbook_stream(data: bytes) -> bytes | None:
    """The Workbook (or BIFF5 Book) stream of an OLE file; None when it has none.

    Raises BiffRefused('file-ole-broken') for a container no reader can walk safely."""
    if len(data) < 512 or not data.startswith(_OLE):
        return None
    shift, mini_shift = struct.unpack_from("<HH", data, 30)
    if shift not in (9, 12) or mini_shift != 6:
        raise _broken("扇区大小无效 / invalid sector size")
    size = 1 << shift
    n_fat, first_dir, _, cutoff, first_mini, n_mini, first_difat, n_difat = struct.unpack_from("<IIIIIIII", data, 44)
    n_sectors = max(0, (len(data) - size) // size)

    def sector(i: int) -> bytes:
        if i >= n_sectors:
            raise _broken("扇区编号超出文件范围 / a sector number points past the end of the file")
        return data[(i + 1) * size:(i + 2) * size]

    # The FAT's own sectors: 109 in the header, the rest in the DIFAT chain.
    fat_ids = [i for i in struct.unpack_from("<109I", data, 76) if i <= _MAXREG]
    seen: set[int] = set()
    d = first_difat
    while d <= _MAXREG and len(fat_ids) < n_fat:
        if d in seen:
            raise _broken("扇区链循环 / a sector chain loops")
        seen.add(d)
        ids = struct.unpack(f"<{size // 4}I", sector(d))
        fat_ids += [i for i in ids[:-1] if i <= _MAXREG]
        d = ids[-1]
    if len(fat_ids) > n_sectors:
        raise _broken("扇区分配表过长 / the sector table is longer than the file")
    fat: list[int] = []
    for i in fat_ids:
        fat.extend(struct.unpack(f"<{size // 4}I", sector(i)))

    def chain(start: int, table: list[int], limit: int) -> list[int]:
        out, seen = [], set()
        i = start
        while i <= _MAXREG:
            if i in seen:
                raise _broken("扇区链循环 / a sector chain loops")
            if i >= len(table) or i >= limit:
                raise _broken("扇区编号超出文件范围 / a sector number points past the end of the file")
            seen.add(i)
            out.append(i)
            i = table[i]
        return out

    directory = b"".join(sector(i) for i in chain(first_dir, fat, n_sectors))
    entries = []
    for off in range(0, len(directory) - 127, 128):
        e = directory[off:off + 128]
        name_len = min(struct.unpack_from("<H", e, 64)[0], 64)
        name = e[:max(0, name_len - 2)].decode("utf-16-le", "replace")
        kind = e[66]
        start, length = struct.unpack_from("<II", e, 116)
        entries.append((name, kind, start, length))
    if not entries:
        raise _broken("没有目录 / no directory")
    stream = next((e for e in entries if e[1] == 2 and e[0].lower() in ("workbook", "book")), None)
    if stream is None:
        return None
    _, _, start, length = stream
    if length < cutoff:
        # Small streams live in the mini stream (held in the root entry's chain).
        root = entries[0]
        mini_data = b"".join(sector(i) for i in chain(root[2], fat, n_sectors))
        minifat: list[int] = []
        for i in chain(first_mini, fat, n_sectors):
            minifat.extend(struct.unpack(f"<{size // 4}I", sector(i)))
        msize = 1 << mini_shift
        ids = chain(start, minifat, len(mini_data) // msize)
        body = b"".join(mini_data[i * msize:(i + 1) * msize] for i in ids)
    else:
        body = b"".join(sector(i) for i in chain(start, fat, n_sectors))
    if len(body) < length:
        raise BiffRefused("file-incomplete", note="the workbook stream is shorter than declared")
    return body[:length]


def check_xls(data: bytes, max_cells: int) -> None:
    """Refuse (BiffRefused) an .xls that is broken, password-protected or spans
    more than `max_cells` cells in a sheet; return quietly otherwise (also when
    the file is no OLE workbook: the parser then says what it is)."""
    stream = workbook_stream(data)
    if stream is None:
        return
    names: dict[int, str] = {}       # BOF offset of a sheet -> its name
    sheet, extent = None, {}          # the sheet being scanned; sheet -> [rows, cols]
    off, n = 0, len(stream)
    while off + 4 <= n:
        kind, length = struct.unpack_from("<HH", stream, off)
        body = stream[off + 4:off + 4 + length]
        if kind == _FILEPASS:
            raise BiffRefused("file-encrypted")
        if kind == _BOUNDSHEET and len(body) >= 8:
            names[struct.unpack_from("<I", body, 0)[0]] = _sheet_name(body)
        elif kind == _BOF:
            sheet = names.get(off, f"#{len(extent) + 1}") if off else None
            if sheet is not None:
                extent.setdefault(sheet, [0, 0])
        elif sheet is not None:
            if kind == _DIMENSIONS:
                if len(body) >= 14:
                    rows, cols = struct.unpack_from("<I", body, 4)[0], struct.unpack_from("<H", body, 10)[0]
                elif len(body) >= 10:
                    rows, cols = struct.unpack_from("<H", body, 2)[0], struct.unpack_from("<H", body, 6)[0]
                else:
                    rows = cols = 0
                _grow(extent[sheet], rows, cols)
            elif kind in _CELLS and len(body) >= 4:
                row, col = struct.unpack_from("<HH", body, 0)
                _grow(extent[sheet], row + 1, col + 1)
            elif kind in _MULTI and len(body) >= 6:
                row = struct.unpack_from("<H", body, 0)[0]
                last = struct.unpack_from("<H", body, len(body) - 2)[0]
                _grow(extent[sheet], row + 1, last + 1)
        off += 4 + length
    big = {s: r * c for s, (r, c) in extent.items() if r * c > max_cells}
    if big:
        worst = max(big, key=big.get)
        rows, cols = extent[worst]
        far = f"{col_name(cols - 1)}{rows}"
        raise BiffRefused("sheet-too-large", sheet=worst, cell=far, value=f"A1:{far}", cells=big[worst])


def _grow(ext: list[int], rows: int, cols: int) -> None:
    ext[0] = max(ext[0], rows)
    ext[1] = max(ext[1], cols)


def _sheet_name(body: bytes) -> str:
    cch = body[6]
    if len(body) >= 8 + cch and len(body) > 7 and body[7] in (0, 1):      # BIFF8: flags byte, then chars
        raw = body[8:8 + cch * (2 if body[7] & 1 else 1)]
        return raw.decode("utf-16-le" if body[7] & 1 else "latin-1", "replace")
    return body[7:7 + cch].decode("gbk", "replace")                       # BIFF5: bytes in the file's code page
