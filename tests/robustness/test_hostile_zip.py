"""Hostile zipped workbooks: decompression bombs, DTDs and entities, sheets that
span the whole grid. Each is refused before any parser sees it, with its city
rejected and every other city scored as in the clean run.
"""

from __future__ import annotations

import http.server
import io
import json
import subprocess
import sys
import textwrap
import threading
import zipfile

import pytest

from .corpus import (Stream, build_zip, empty_tag, inflate_prefix, repeated_stream, rezip, sheet_part, sub_once,
                     write_xlsxwriter, zip_parts)

from assess_xlsx.intake.guard import MAX_PART_BYTES, MAX_SHEET_CELLS, MAX_XML_BYTES, MAX_ZIP_ENTRIES

SPOILT = "太原市"
NAME = f"{SPOILT}.xlsx"
GIB = 1 << 30
SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


@pytest.fixture(scope="session")
def bomb_sheet() -> Stream:
    """2 GiB of worksheet XML (rows of one repeated cell) in a ~5 MB deflate stream."""
    row = b'<row><c t="inlineStr"><is><t>' + b"A" * 1000 + b"</t></is></c></row>"
    chunk = row * ((1 << 20) // len(row))
    stream = repeated_stream(SHEET_HEAD, chunk, (2 * GIB - 4096) // len(chunk), SHEET_TAIL)
    assert stream.size > 1.9 * GIB and len(stream.compressed) < 8 << 20
    assert inflate_prefix(stream, len(SHEET_HEAD) + 40).startswith(SHEET_HEAD + b"<row>")
    return stream


def _with_sheet(clean: bytes, sheet: bytes | Stream) -> bytes:
    """The clean workbook with its input sheet's XML replaced."""
    part = sheet_part(clean, "填报表")
    return build_zip({n: (sheet if n == part else body) for n, body in zip_parts(clean).items()})


def _spoil(case, data: bytes):
    case.drop(SPOILT)
    case.write(NAME, data)
    return case.run()


def _refused(out, code: str, cell: str = ""):
    assert out.found == {(NAME, cell, code)}
    f = out.finding(code)
    assert f.city == SPOILT
    assert out.status(SPOILT) == "rejected"
    assert out.sub.files.set_index("file").loc[NAME, "status"] == "unreadable"
    out.others_unchanged(SPOILT)
    return f


# --------------------------------------------------------------------------- decompression bombs

def test_a_zip_bomb_is_refused_from_the_zip_directory(case, bomb_sheet):
    data = _with_sheet(case.clean_bytes(SPOILT), bomb_sheet)
    assert len(data) < 8 << 20
    f = _refused(_spoil(case, data), "file-zip-bomb")
    assert f.note == "xl/worksheets/sheet1.xml: 2.0 GB unzipped, 5.0 MB zipped"


@pytest.mark.parametrize("declared", [100_000, MAX_PART_BYTES - (4 << 20)], ids=["sizes-lie-far", "sizes-lie-under-limit"])
def test_a_bomb_whose_zip_directory_lies_is_refused(case, bomb_sheet, declared):
    # The directory says the part is small; its deflate stream says 2 GiB.
    lying = Stream(bomb_sheet.compressed, bomb_sheet.size, bomb_sheet.crc, declared=declared)
    f = _refused(_spoil(case, _with_sheet(case.clean_bytes(SPOILT), lying)), "file-zip-bomb")
    # A size deflate cannot reach from its compressed size is caught from the
    # directory; one within the limit is unzipped in bounded chunks as far as it
    # claims, fails its CRC, and is then seen to inflate far beyond its claim.
    assert f.note == {
        100_000: "xl/worksheets/sheet1.xml: 97.7 KB unzipped, 5.0 MB zipped",
        MAX_PART_BYTES - (4 << 20): "xl/worksheets/sheet1.xml: expands far beyond its declared 60.0 MB",
    }[declared]


def test_a_damaged_part_is_damaged_not_a_bomb(case):
    # One byte changed inside the sheet's compressed data, as a bad copy does it.
    clean = case.clean_bytes(SPOILT)
    part = sheet_part(clean, "填报表")
    info = zipfile.ZipFile(io.BytesIO(clean)).getinfo(part)
    start = info.header_offset + 30 + len(part.encode()) + len(info.extra)
    data = bytearray(clean)
    data[start + info.compress_size // 2] ^= 0x55
    f = _refused(_spoil(case, bytes(data)), "file-unreadable")
    assert f.note == f"{part}: CRC 校验失败，文件已损坏 / CRC mismatch: damaged"


def test_too_many_parts_is_a_bomb(case):
    extra = {f"customXml/item{i}.bin": b"" for i in range(MAX_ZIP_ENTRIES)}
    f = _refused(_spoil(case, rezip(case.clean_bytes(SPOILT), add=extra)), "file-zip-bomb")
    assert f.note == f"{MAX_ZIP_ENTRIES + 10} entries"


def test_parts_each_under_the_limit_but_too_much_together(case):
    each = MAX_PART_BYTES - (1 << 20)
    n = MAX_XML_BYTES // each + 1
    chunk = b"<x>" + b"0" * 1021 + b"</x>"
    part = repeated_stream(b"<root>", chunk * 1024, (each - 20) // (len(chunk) * 1024), b"</root>")
    members = dict(zip_parts(case.clean_bytes(SPOILT))) | {f"customXml/item{i}.xml": part for i in range(n)}
    f = _refused(_spoil(case, build_zip(members)), "file-zip-bomb")
    assert f.note.startswith("XML ") and f.note.endswith(" MB unzipped")


def test_a_file_over_the_size_limit_is_not_read(case):
    case.drop(SPOILT)
    path = case.write(NAME, case.clean_bytes(SPOILT))
    with open(path, "r+b") as fh:
        fh.truncate(101 << 20)          # sparse: costs no disk
    f = _refused(case.run(), "file-too-large")
    assert (f.value, f.expected) == ("101.0 MB", "100.0 MB")


MEMORY_SCRIPT = textwrap.dedent("""
    import json, resource, sys
    from assess_xlsx.scheme import read_scheme
    from assess_xlsx.intake import read_submissions
    sub = read_submissions(sys.argv[1], read_scheme())
    print(json.dumps({"peak_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                      "found": sorted([f.file, f.code] for f in sub.report)}))
""")


@pytest.mark.skipif(sys.platform != "linux", reason="ru_maxrss in KiB is Linux's")
def test_memory_stays_bounded_reading_bombs(scheme, template, tmp_path, clean_inbox, bomb_sheet):
    # In a fresh process, so the peak is this read's alone: the zip bombs expand
    # to 2 GiB, the .ods to 20M cells (~700 MB in calamine); the reader's peak
    # stays far below, imports included.
    clean = (clean_inbox / NAME).read_bytes()
    lying = Stream(bomb_sheet.compressed, bomb_sheet.size, bomb_sheet.crc, declared=MAX_PART_BYTES - (4 << 20))
    (tmp_path / "a-太原市.xlsx").write_bytes(_with_sheet(clean, bomb_sheet))
    (tmp_path / "b-太原市.xlsx").write_bytes(_with_sheet(clean, lying))
    (tmp_path / "c-太原市.xlsx").write_bytes(_with_sheet(clean, _laughs_sheet()))
    _ods_with_rows(template, SPOILT, tmp_path / "d-太原市.ods", 20_000, 1024)
    run = subprocess.run([sys.executable, "-c", MEMORY_SCRIPT, str(tmp_path)], capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    got = json.loads(run.stdout)
    assert got["found"] == [["a-太原市.xlsx", "file-zip-bomb"], ["b-太原市.xlsx", "file-zip-bomb"], ["c-太原市.xlsx", "file-xml-dtd"],
                            ["d-太原市.ods", "sheet-too-large"]]
    assert got["peak_kib"] < 512 * 1024, got["peak_kib"]


# --------------------------------------------------------------------------- DTDs and entities

def _with_doctype(xml: bytes, doctype: bytes) -> bytes:
    """`doctype` placed where XML allows it: after the declaration, before the root."""
    if xml.startswith(b"<?xml"):
        end = xml.index(b"?>") + 2
        return xml[:end] + doctype + xml[end:]
    return doctype + xml


def _laughs_sheet() -> bytes:
    lol = [b'<!ENTITY lol0 "lol">'] + [b'<!ENTITY lol%d "%s">' % (k, b"&lol%d;" % (k - 1) * 10) for k in range(1, 10)]
    doctype = b"<!DOCTYPE worksheet [" + b"".join(lol) + b"]>"
    body = SHEET_HEAD + b'<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>' + SHEET_TAIL
    return _with_doctype(body, doctype)


@pytest.fixture
def listener():
    """A local web server counting the requests it gets."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"FETCHED")

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", hits
    server.shutdown()
    server.server_close()


def test_external_entities_are_neither_fetched_nor_read(case, tmp_path, listener):
    url, hits = listener
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET-4711")
    clean = case.clean_bytes(SPOILT)
    part = sheet_part(clean, "填报表")
    doctype = (f'<!DOCTYPE worksheet [<!ENTITY % remote SYSTEM "{url}/dtd"> %remote;'
               f'<!ENTITY xxe SYSTEM "file://{secret}"><!ENTITY web SYSTEM "{url}/x">]>').encode()
    sheet = zip_parts(clean)[part].replace("<t>太原市</t>".encode(), b"<t>&xxe;&web;</t>", 1)
    out = _spoil(case, rezip(clean, {part: _with_doctype(sheet, doctype)}))
    f = _refused(out, "file-xml-dtd")
    assert f.note == part
    assert hits == []
    assert "TOPSECRET" not in out.sub.values.to_string() + " ".join(x.message for x in out.sub.report)


def test_entity_expansion_is_refused_not_expanded(case):
    f = _refused(_spoil(case, _with_sheet(case.clean_bytes(SPOILT), _laughs_sheet())), "file-xml-dtd")
    assert f.note == "xl/worksheets/sheet1.xml"


def test_entity_expansion_in_shared_strings_of_an_excel_like_file(case, tmp_path):
    # Excel keeps text in xl/sharedStrings.xml; xlsxwriter writes it the same way.
    from fill import fill_grid, read_grid

    from .corpus import values_of

    grids = read_grid(case.template)
    grids["填报表"] = fill_grid(grids["填报表"], values_of(SPOILT), city=SPOILT)
    data = write_xlsxwriter(tmp_path / "x.xlsx", grids, recalc_on_load=False).read_bytes()
    strings = zip_parts(data)["xl/sharedStrings.xml"]
    laughs = b'<!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    strings = _with_doctype(strings, laughs).replace(f"<t>{SPOILT}</t>".encode(), b"<t>&b;&b;&b;</t>", 1)
    f = _refused(_spoil(case, rezip(data, {"xl/sharedStrings.xml": strings})), "file-xml-dtd")
    assert f.note == "xl/sharedStrings.xml"


def test_a_doctype_in_the_workbook_part_is_refused(case):
    clean = case.clean_bytes(SPOILT)
    book = _with_doctype(zip_parts(clean)["xl/workbook.xml"], b'<!DOCTYPE workbook [<!ENTITY x "y">]>')
    f = _refused(_spoil(case, rezip(clean, {"xl/workbook.xml": book})), "file-xml-dtd")
    assert f.note == "xl/workbook.xml"


def test_a_doctype_across_the_unzip_chunk_boundary_is_still_seen(case):
    # The inspector unzips 1 MiB at a time; a prolog comment pushes the DOCTYPE across.
    clean = case.clean_bytes(SPOILT)
    part = sheet_part(clean, "填报表")
    decl = b'<?xml version="1.0" encoding="UTF-8"?>'
    pad = (1 << 20) - 4 - len(decl) - len(b"<!---->")
    doctype = b"<!--" + b" " * pad + b"-->" + b'<!DOCTYPE worksheet [<!ENTITY x "y">]>'
    assert (decl + doctype).index(b"<!DOCTYPE") == (1 << 20) - 4
    sheet = zip_parts(clean)[part]
    f = _refused(_spoil(case, rezip(clean, {part: decl + doctype + sheet})), "file-xml-dtd")
    assert f.note == part


def test_a_utf16_part_with_a_doctype_is_unreadable_not_expanded(case):
    # The byte search does not see a UTF-16 DOCTYPE, but calamine reads XML as UTF-8 only.
    clean = case.clean_bytes(SPOILT)
    part = sheet_part(clean, "填报表")
    sheet = zip_parts(clean)[part].decode().replace("<t>太原市</t>", "<t>&x;</t>", 1)
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE worksheet [<!ENTITY x "太原市">]>' + sheet
    f = _refused(_spoil(case, rezip(clean, {part: b"\xff\xfe" + text.encode("utf-16-le")})), "file-unreadable")
    assert "UTF-8" in f.note


# --------------------------------------------------------------------------- the whole grid

FAR = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'


def test_a_value_in_the_last_cell_of_the_input_sheet(case):
    clean = case.clean_bytes(SPOILT)
    part = sheet_part(clean, "填报表")
    sheet = zip_parts(clean)[part].replace(b"</sheetData>", FAR + b"</sheetData>")
    f = _refused(_spoil(case, rezip(clean, {part: sheet})), "sheet-too-large", "XFD1048576")
    assert (f.sheet, f.value, f.note, f.expected) == ("填报表", "A1:XFD1048576", str(16384 * 1048576), str(MAX_SHEET_CELLS))


def test_a_huge_sheet_beside_the_input_sheet_is_passed_over(case):
    clean = case.clean_bytes(SPOILT)
    part = sheet_part(clean, "填表说明")
    sheet = zip_parts(clean)[part].replace(b"</sheetData>", FAR + b"</sheetData>")
    case.drop(SPOILT)
    case.write(NAME, rezip(clean, {part: sheet}))
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


@pytest.mark.parametrize("change", [
    (empty_tag("dimension", 'ref="A1:K106"'), b'<dimension ref="A1:XFD1048576" />'),      # a stale used range
    (rb"</sheetData>", b'<row r="1048576"><c r="XFD1048576" s="3" /></row></sheetData>'),  # a formatted, empty cell
], ids=["dimension", "formatted-empty-cell"])
def test_a_used_range_without_values_is_read(case, change):
    clean = case.clean_bytes(SPOILT)
    part = sheet_part(clean, "填报表")
    sheet = zip_parts(clean)[part]
    spoilt = sub_once(*change, sheet)      # with or without lxml, openpyxl's bytes differ: matched, not assumed
    case.drop(SPOILT)
    case.write(NAME, rezip(clean, {part: spoilt}))
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


def _ods_with_rows(template, city: str, path, rows: int, cols: int):
    """The city's clean workbook as .ods, its input table ending in `rows` rows
    of `cols` cells holding 1, written as one repeated row (a few bytes)."""
    from fill import fill_workbook

    from .corpus import values_of

    data = fill_workbook(template, path, values_of(city), city=city, fmt="ods").read_bytes()
    content = zip_parts(data)["content.xml"]
    far = (b'<table:table-row table:number-rows-repeated="%d"><table:table-cell table:number-columns-repeated="%d"'
           b' office:value-type="float" office:value="1"/></table:table-row>') % (rows, cols)
    end = content.index(b"</table:table>")        # the first table: 填报表
    path.write_bytes(rezip(data, {"content.xml": content[:end] + far + content[end:]}))
    return path


@pytest.mark.parametrize("rows, cols", [(1_048_000, 1024), (20_000, 1024)], ids=["whole-grid", "20M-cells"])
def test_an_ods_table_repeating_a_value_over_a_huge_area(case, rows, cols):
    # calamine would expand every table of an .ods on opening (20M cells: ~700 MB):
    # the file is refused before it is opened at all.
    case.drop(SPOILT)
    ods = f"{SPOILT}.ods"
    _ods_with_rows(case.template, SPOILT, case.folder / ods, rows, cols)
    height = len(case.grids()["填报表"]) + rows
    out = case.run()
    assert out.found == {(ods, f"AMJ{height}", "sheet-too-large")}
    f = out.finding("sheet-too-large")
    assert (f.sheet, f.note) == ("填报表", str(height * 1024))
    assert out.status(SPOILT) == "rejected"
    out.others_unchanged(SPOILT)


# --------------------------------------------------------------------------- the inflater

def _inflaters():
    import zlib

    out = [pytest.param(zlib, id="zlib")]
    try:
        from zlib_ng import zlib_ng
    except ImportError:
        return out
    return out + [pytest.param(zlib_ng, id="zlib-ng")]


@pytest.mark.parametrize("inflater", _inflaters())
def test_a_part_unzipped_whole_is_checked_the_same_by_either_inflater(inflater, monkeypatch):
    """The guard takes zlib-ng when it is installed, zlib where it is not: either
    gives a part back only when it holds exactly its declared size and CRC; a
    stream that is damaged, longer or shorter than declared, or whose CRC does
    not match, is left to the chunked reader (None), which says what is wrong."""
    from assess_xlsx.intake import guard

    monkeypatch.setattr(guard, "_z", inflater)
    monkeypatch.setattr(guard, "_SEEN", {})
    body = b"<sst>" + "".join(f"<si><t>第{i}项</t></si>" for i in range(400)).encode() + b"</sst>"

    def part(size_off=0, crc_off=0, stream=None):
        data = build_zip({"xl/sharedStrings.xml": body})
        info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/sharedStrings.xml")
        if stream is not None:    # the stream replaced, what the directory declares kept
            start = guard._local_data_start(data, info)
            data = data[:start] + stream(data[start:start + info.compress_size]) + data[start + info.compress_size:]
        info.file_size += size_off
        info.CRC ^= crc_off
        return data, info

    assert guard._inflate_whole(*part()) == body
    assert guard._inflate_whole(*part(crc_off=1)) is None
    assert guard._inflate_whole(*part(size_off=-1)) is None       # more than declared
    assert guard._inflate_whole(*part(size_off=1)) is None        # less than declared
    assert guard._inflate_whole(*part(stream=lambda raw: raw[:len(raw) // 2] + bytes(len(raw) - len(raw) // 2))) is None
    assert guard._inflate_whole(*part(stream=lambda raw: b"\xff" * 8 + raw[8:])) is None      # damaged
