"""Building the robustness corpus, and running the tool over an inbox.

    case.drop("太原市")                          # take a clean file out
    case.write("太原市.xlsx", broken_bytes)       # put a spoilt one in
    out = case.run()                             # read + score; inputs proven unchanged
    assert out.found == {("太原市.xlsx", "", "file-truncated")}
    out.others_unchanged("太原市")               # every other city scores as in the clean run

Hostile files are made here from the clean workbooks, never committed:
`rezip` rewrites parts of a zipped workbook, `build_zip` writes a zip by
hand (a bomb needs a deflate stream no zip library would write for us), and
`write_xlsxwriter` writes a sheet whose cells may be formulas with or without a
saved result.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import stat
import struct
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from fill import fill_workbook, read_grid

from assess_xlsx.scoring import score
from assess_xlsx.intake import read_submissions

# What "a city's figures" means when comparing a case with the clean run.
FIGURES = ["status", "base", "bonus", "extra", "major", "total"]


# --------------------------------------------------------------------------- running

def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under `folder`: kind, and for a file its size and sha256."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = os.path.join(root, name)
            st = os.lstat(path)
            rel = os.path.relpath(path, folder)
            if stat.S_ISREG(st.st_mode):
                h = hashlib.sha256()
                with open(path, "rb") as fh:
                    for block in iter(lambda: fh.read(1 << 20), b""):
                        h.update(block)
                out[rel] = ("file", st.st_size, h.hexdigest())
            else:
                out[rel] = (stat.filemode(st.st_mode)[0],)
    return out


@dataclass
class Outcome:
    sub: object
    result: object
    baseline: "Outcome | None" = None

    @property
    def found(self) -> set[tuple[str, str, str]]:
        """(file, cell, code) of every finding, info and warnings included."""
        return {(f.file, f.cell, f.code) for f in self.sub.report}

    def finding(self, code: str):
        hits = [f for f in self.sub.report if f.code == code]
        assert len(hits) == 1, [f.message for f in self.sub.report]
        return hits[0]

    def figures(self, city: str) -> dict:
        row = self.result.cities.loc[city, FIGURES]
        return {k: (None if v is None or v != v or str(v) == "<NA>" else v) for k, v in row.items()}

    def status(self, city: str) -> str:
        return self.result.cities.loc[city, "status"]

    def others_unchanged(self, *cities: str) -> None:
        """Every roster unit except `cities` has exactly its clean-run figures."""
        assert self.baseline is not None
        for unit in self.result.roster.units:
            if unit not in cities:
                assert self.figures(unit) == self.baseline.figures(unit), unit


def run_inbox(folder: Path, scheme, baseline: Outcome | None = None) -> Outcome:
    """Read and score `folder`; fail unless every entry in it is byte-for-byte unchanged."""
    before = snapshot(folder)
    sub = read_submissions(folder, scheme)
    result = score(scheme, sub)
    assert snapshot(folder) == before, "the inputs were changed"
    return Outcome(sub, result, baseline)


@dataclass
class Case:
    folder: Path
    clean: Path
    scheme: object
    template: Path
    baseline: Outcome

    @classmethod
    def make(cls, folder: Path, clean: Path, scheme, template: Path, baseline: Outcome) -> "Case":
        folder.mkdir(parents=True)
        for p in sorted(clean.iterdir()):
            shutil.copyfile(p, folder / p.name)
        return cls(folder, clean, scheme, template, baseline)

    def clean_bytes(self, city: str) -> bytes:
        return (self.clean / f"{city}.xlsx").read_bytes()

    def drop(self, *cities: str) -> None:
        for city in cities:
            (self.folder / f"{city}.xlsx").unlink()

    def write(self, name: str | bytes, data: bytes) -> Path:
        path = os.path.join(os.fsencode(self.folder), name) if isinstance(name, bytes) else self.folder / name
        with open(path, "wb") as fh:
            fh.write(data)
        return Path(os.fsdecode(path))

    def fill(self, name: str, values: dict, city: str | None = None, fmt: str = "xlsx", **kw) -> Path:
        return fill_workbook(self.template, self.folder / name, values, city=city, fmt=fmt, **kw)

    def grids(self) -> dict[str, list[list]]:
        return read_grid(self.template)

    def run(self) -> Outcome:
        return run_inbox(self.folder, self.scheme, self.baseline)


# --------------------------------------------------------------------------- zip parts

def zip_parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(data: bytes, replace: dict[str, bytes] | None = None, remove=(), add: dict[str, bytes] | None = None) -> bytes:
    """The zipped workbook `data` with parts replaced, removed or added."""
    replace, add = replace or {}, add or {}
    buf = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in remove:
                continue
            # keep each part's compression: an .ods must start with its 'mimetype' stored as is
            dst.writestr(info.filename, replace.get(info.filename, src.read(info)), compress_type=info.compress_type)
        for name, body in add.items():
            dst.writestr(name, body)
    return buf.getvalue()


def xml_text(text: str) -> bytes:
    """A regex (bytes) for `text` as XML character data, however the writer
    spelt it: openpyxl writes UTF-8 without lxml and character references
    (&#32534;) with it; any character may come either way."""
    alts = []
    for ch in text:
        forms = {re.escape(ch.encode()), re.escape(f"&#{ord(ch)};".encode()),
                 b"&#[xX]0*" + f"{ord(ch):x}".encode() + b";"}
        if ch.isascii():
            forms.add(re.escape(ch.encode()))
        alts.append(b"(?:" + b"|".join(sorted(forms)) + b")")
    return b"".join(alts)


def empty_tag(name: str, attrs: str) -> bytes:
    """A regex (bytes) for the empty element <name attrs/> written with or
    without the space before "/>" (openpyxl with lxml writes none)."""
    return re.escape(f"<{name} {attrs}".encode()) + rb"\s*/>"


def sub_once(pattern: bytes, repl: bytes, data: bytes) -> bytes:
    """`data` with the first match of `pattern` replaced; the pattern must match."""
    out, n = re.subn(pattern, lambda m: repl, data, count=1)
    assert n == 1, pattern
    return out


def sheet_part(data: bytes, sheet: str) -> str:
    """The part name of worksheet `sheet` ('xl/worksheets/sheet1.xml')."""
    parts = zip_parts(data)
    book = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(sheet)}"[^>]*r:id="([^"]+)"', book).group(1)
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels) or \
        re.search(rf'<Relationship [^>]*Target="([^"]+)"[^>]*Id="{rid}"', rels)
    target = target.group(1)
    return target.lstrip("/") if target.startswith("/") else "xl/" + target


@dataclass
class Stream:
    """A zip member given as a ready raw-deflate stream with its true size and CRC;
    `declared` overrides the size written in the headers (a lying archive)."""
    compressed: bytes
    size: int
    crc: int
    declared: int | None = None


def build_zip(members: dict[str, bytes | Stream]) -> bytes:
    """A zip archive written by hand: bytes members are deflated, Streams copied as given."""
    out = io.BytesIO()
    central = []
    for name, member in members.items():
        if isinstance(member, Stream):
            body, size, crc = member.compressed, member.declared if member.declared is not None else member.size, member.crc
        else:
            c = zlib.compressobj(6, zlib.DEFLATED, -15)
            body, size, crc = c.compress(member) + c.flush(), len(member), zlib.crc32(member)
        raw = name.encode("utf-8")
        flags = 0x800 if not raw.isascii() else 0
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, 0, 0x21, crc, len(body), size, len(raw), 0))
        out.write(raw)
        out.write(body)
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 8, 0, 0x21, crc, len(body), size,
                                   len(raw), 0, 0, 0, 0, 0, offset) + raw)
    start = out.tell()
    for rec in central:
        out.write(rec)
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), out.tell() - start, start, 0))
    return out.getvalue()


def repeated_stream(head: bytes, chunk: bytes, times: int, tail: bytes) -> Stream:
    """head + chunk×times + tail as one deflate stream, compressing `chunk` only a
    few times: after a full flush the compressor starts afresh, so once two
    consecutive blocks come out the same, every later one would too."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    blocks = [c.compress(head) + c.flush(zlib.Z_FULL_FLUSH)]
    done = 0
    while done < times:
        blocks.append(c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH))
        done += 1
        if done >= 2 and blocks[-1] == blocks[-2]:
            break
    blocks.append(blocks[-1] * (times - done))
    blocks.append(c.compress(tail) + c.flush(zlib.Z_FINISH))
    crc = zlib.crc32(head)
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    crc = zlib.crc32(tail, crc)
    return Stream(b"".join(blocks), len(head) + len(chunk) * times + len(tail), crc & 0xFFFFFFFF)


def inflate_prefix(stream: Stream, n: int) -> bytes:
    """The first `n` bytes the stream expands to (to check a generated stream)."""
    d = zlib.decompressobj(-15)
    return d.decompress(stream.compressed, n)


# --------------------------------------------------------------------------- writing by xlsxwriter

def write_xlsxwriter(path: Path, sheets: dict[str, list[list]], formulas: dict | None = None,
                     recalc_on_load: bool = True) -> Path:
    """Write sheets of values with xlsxwriter; `formulas` maps (sheet, row, col) to
    (formula, saved result or None). Without a result xlsxwriter saves 0 and asks
    Excel to recalculate on load; `recalc_on_load=False` removes that request,
    as Excel does when it saves the file after calculating it."""
    import xlsxwriter

    formulas = formulas or {}
    wb = xlsxwriter.Workbook(path, {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if (name, r, c) in formulas:
                    formula, result = formulas[(name, r, c)]
                    rc = ws.write_formula(r, c, formula, None, 0 if result is None else result)
                elif isinstance(v, str) and v != "":
                    rc = ws.write_string(r, c, v)
                elif isinstance(v, (int, float)) and not isinstance(v, bool):
                    rc = ws.write_number(r, c, v)
                else:
                    rc = 0
                assert rc == 0, (name, r, c, v)
    wb.close()
    if not recalc_on_load:
        data = Path(path).read_bytes()
        book = zip_parts(data)["xl/workbook.xml"]
        book = re.sub(rb'<calcPr[^>]*/>', b'<calcPr calcId="191029"/>', book)
        Path(path).write_bytes(rezip(data, {"xl/workbook.xml": book}))
    return Path(path)


# The clean inbox: every city meets every requirement (tools/sample_cities.CLEAN)
# but for one or two entries of its bundled sample, so each city has its own
# total and several kinds of rule are in play (rate, level, rank, notes, caps).
# Fewer deviations than the samples keep each case's scoring run short.
BASELINE: dict[str, dict[str, object]] = {
    "太原市": {"1.2.4a": "已制定且涵盖全面", "10.1a": 1},                  # +2 bonus; 综合加分 +5
    "大同市": {"3.3.10a": 57},                                            # 瞒报率 19% → −0.76
    "阳泉市": {"11.1a": 1},                                               # 重大扣分 −5
    "长治市": {"3.1.4a": 1.5, "9.1.1b": 4},                               # −0.5; +2 bonus
    "晋城市": {"10.2a": 200, "10.2b": 201},                               # 201st → −3
    "朔州市": {"3.3.9a": 1, "3.3.9b": 8},                                 # 迟报率 12.5% → −0.38
    "晋中市": {"10.6a": 0.5, "10.6b": "承办全省政务公开工作现场推进会",      # +0.5
               "11.7a": 0.25, "11.7b": "政务公开专区部分栏目更新不及时"},   # −0.25
    "运城市": {"5.1.1a": 4},                                              # 2 = cap → −2
    "忻州市": {"9.1.2a": "否", "11.3a": 1},                               # −2; −5
    "临汾市": {"1.1.1a": "否", "10.5a": "是"},                            # −2; +1
    "吕梁市": {"3.3.5a": 1, "8.1.1g": "是"},                              # −0.5; +0.5 bonus
}
# (base, bonus, extra, major, total) in hundredths, added up by hand from the comments above.
BASELINE_FIGURES = {
    "太原市": (10000, 200, 500, 0, 10700),
    "大同市": (9924, 0, 0, 0, 9924),
    "阳泉市": (10000, 0, 0, 500, 9500),
    "长治市": (9950, 200, 0, 0, 10150),
    "晋城市": (10000, 0, 0, 300, 9700),
    "朔州市": (9962, 0, 0, 0, 9962),
    "晋中市": (10000, 0, 50, 25, 10025),
    "运城市": (9800, 0, 0, 0, 9800),
    "忻州市": (9800, 0, 0, 500, 9300),
    "临汾市": (9800, 0, 100, 0, 9900),
    "吕梁市": (9950, 50, 0, 0, 10000),
}


def values_of(city: str) -> dict[str, object]:
    """The clean inbox's values for `city` (a fresh dict to spoil)."""
    from sample_cities import CLEAN

    return dict(CLEAN) | BASELINE[city]
