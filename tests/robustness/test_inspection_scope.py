"""What the inspection before parsing looks at, and where calamine places cells.

A worksheet is unzipped and checked only when calamine is about to parse it:
what a sheet never parsed holds cannot reach the results, so it is not
refused for it. Whatever calamine would parse is still refused as before, and
a cell is measured where calamine's reader would put it, whatever the tag's
prefix, attribute layout or reference.
"""

from __future__ import annotations

import io
import os
import re
import zipfile

from click.testing import CliRunner

from .corpus import rezip, sheet_part, sub_once, xml_text, zip_parts

from assess_xlsx.intake import guard as G
from assess_xlsx.intake import validate as V
from assess_xlsx.cli import cli
from assess_xlsx.intake.contract import CODE_HEADER, SHEET_NAME

SPOILT = "太原市"
NAME = f"{SPOILT}.xlsx"
GUIDE = "填表说明"          # the template's second sheet: the input sheet is found before it is needed
DTD = b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>'


def _spoil(case, data: bytes):
    case.drop(SPOILT)
    case.write(NAME, data)
    return case.run()


# --------------------------------------------------------------------------- sheets never parsed

def test_a_sheet_never_parsed_is_never_unzipped_or_checked(case):
    # 填表说明 here holds a DOCTYPE, an entity and XML cut off in the middle: had
    # calamine parsed it, the file would be refused (DOCTYPE) or unreadable
    # (bad XML). The input sheet is found first, so 填表说明 is never parsed:
    # the file reads as the clean one did, nothing expanded.
    clean = case.clean_bytes(SPOILT)
    part = sheet_part(clean, GUIDE)
    body = zip_parts(clean)[part]
    broken = DTD + body.replace(b"<sheetData>", b"<sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>&x;")[:len(body) // 2]
    out = _spoil(case, rezip(clean, {part: broken}))
    assert out.found == set()
    assert out.status(SPOILT) == "scored"
    out.others_unchanged()


def test_a_sheet_that_is_parsed_is_checked_as_before(case):
    # The same DOCTYPE, in a file whose input sheet lost its 编号 header: now
    # every sheet is looked at as a candidate, 填表说明 too, and it is refused
    # before calamine parses it.
    clean = case.clean_bytes(SPOILT)
    parts = zip_parts(clean)
    guide, sheet = sheet_part(clean, GUIDE), sheet_part(clean, SHEET_NAME)
    no_header = sub_once(b"<t>" + xml_text(CODE_HEADER) + b"</t>", "<t>序号</t>".encode(), parts[sheet])
    assert not re.search(b"<t>" + xml_text(CODE_HEADER) + b"</t>", no_header)
    out = _spoil(case, rezip(clean, {guide: DTD + parts[guide], sheet: no_header}))
    assert out.found == {(NAME, "", "file-xml-dtd")}
    assert out.finding("file-xml-dtd").note == guide
    assert out.status(SPOILT) == "rejected"
    out.others_unchanged(SPOILT)


def test_an_unusual_sheet_mapping_checks_every_sheet_up_front(case):
    # A relationship id given twice: which part calamine opens for a sheet is
    # no longer certain, so no sheet waits: 填表说明's DOCTYPE is refused.
    clean = case.clean_bytes(SPOILT)
    parts = zip_parts(clean)
    guide = sheet_part(clean, GUIDE)
    rels = parts["xl/_rels/workbook.xml.rels"]
    first = rels[rels.index(b"<Relationship "):rels.index(b"/>", rels.index(b"<Relationship ")) + 2]
    rels = rels.replace(first, first + first, 1)
    out = _spoil(case, rezip(clean, {guide: DTD + parts[guide], "xl/_rels/workbook.xml.rels": rels}))
    assert out.found == {(NAME, "", "file-xml-dtd")}
    assert out.finding("file-xml-dtd").note == guide
    out.others_unchanged(SPOILT)


def test_which_sheets_wait(case):
    clean = case.clean_bytes(SPOILT)
    facts = G.inspect_zip(clean)
    assert facts.order == (SHEET_NAME, GUIDE)
    assert list(facts.later) == [GUIDE]                       # the input sheet is inspected at once
    facts.settle([SHEET_NAME, GUIDE])                         # as calamine lists them: 填表说明 still waits
    assert list(facts.later) == [GUIDE]
    facts.settle([SHEET_NAME, "另一张"])                      # calamine lists other sheets: check them all now
    assert facts.later == {}


def test_calamine_gets_the_checked_parts_unzipped(case):
    # The repacked workbook holds every part byte for byte: the inspected XML
    # stored, the sheet that waits still deflated; calamine reads the same.
    from python_calamine import CalamineWorkbook

    clean = case.clean_bytes(SPOILT)
    facts = G.inspect_zip(clean)
    with zipfile.ZipFile(io.BytesIO(facts.parse)) as repacked, zipfile.ZipFile(io.BytesIO(clean)) as original:
        assert repacked.testzip() is None
        assert [i.filename for i in repacked.infolist()] == [i.filename for i in original.infolist()]
        for i in original.infolist():
            assert repacked.read(i.filename) == original.read(i), i.filename
        methods = {i.filename: i.compress_type for i in repacked.infolist()}
    assert methods[sheet_part(clean, SHEET_NAME)] == zipfile.ZIP_STORED
    assert methods[sheet_part(clean, GUIDE)] == zipfile.ZIP_DEFLATED
    grids = [CalamineWorkbook.from_filelike(io.BytesIO(b)).get_sheet_by_name(SHEET_NAME).to_python() for b in (clean, facts.parse)]
    assert grids[0] == grids[1]


# --------------------------------------------------------------------------- where calamine puts a cell

CELL_AT_ZZ5000 = {
    # hidden from a scan that knows only ASCII prefixes, plain attribute
    # layouts and references of at most 3 letters and 7 digits
    "non-ascii-prefix": '<row r="300"><é:c r="ZZ5000"><é:v>1</é:v></é:c></row>',
    "name-with-equals": '<row r="300"><a=b:c r="ZZ5000"><v>1</v></a=b:c></row>',
    "slash-in-prefix": '<row r="300"><a/b:c r="ZZ5000"><v>1</v></a/b:c></row>',
    "empty-prefix": '<row r="300"><:c r="ZZ5000"><v>1</v></:c></row>',
    "odd-end-tag": '<row r="300"><c r="A300"><v>1</v></é:c><c r="ZZ5000"><v>1</v></c></row>',
    "no-space-before-r": '<row r="300"><c s="1"r="ZZ5000"><v>1</v></c></row>',
    "prefixed-r-ignored": '<row r="5000"><c x:r="A1"><v>1</v></c></row><row r="300"><c r="ZZ300"><v>1</v></c></row>',
    "row-r-with-letters": '<row r="A5000"><c><v>1</v></c></row><row r="300"><c r="ZZ300"><v>1</v></c></row>',
    "vertical-tab-in-name": '<row r="300"><a\x0bb:c r="ZZ5000"><v>1</v></a\x0bb:c></row>',
}


def _sheet_with(clean: bytes, xml: str) -> bytes:
    body = zip_parts(clean)[sheet_part(clean, SHEET_NAME)]
    return body.replace(b"</sheetData>", xml.encode() + b"</sheetData>")


def test_cells_are_measured_where_calamine_puts_them(case):
    clean = case.clean_bytes(SPOILT)
    for name, xml in CELL_AT_ZZ5000.items():
        facts = G.ZipFacts()
        G._measure_xlsx(_sheet_with(clean, xml), SHEET_NAME, facts)
        assert facts.too_large == {SHEET_NAME: (5000 * 702, "ZZ5000")}, name


def test_references_beyond_three_letters_or_seven_digits(case):
    clean = case.clean_bytes(SPOILT)
    for xml, far, cells in [
        ('<row r="300"><c r="AAAA120"><v>1</v></c></row>', "AAAA120", 120 * 18279),
        ('<row r="300"><c r="A12345678"><v>1</v></c></row>', "K12345678", 12345678 * 11),
    ]:
        facts = G.ZipFacts()
        G._measure_xlsx(_sheet_with(clean, xml), SHEET_NAME, facts)
        assert facts.too_large == {SHEET_NAME: (cells, far)}, xml


def test_comments_and_instructions_are_read_as_calamine_reads_them(case):
    # A comment ends at its first '-->', a processing instruction at its first
    # '?>', quotes or not; a tag, start or end, at its first '>' outside
    # quotes. What follows them is a cell to calamine, and is measured.
    clean = case.clean_bytes(SPOILT)
    far = '<c r="ZZ5000"><v>1</v></c>'
    for xml, refused in [
        (f'<!-- <c a=" -->{far}', True),
        (f'<?pi a="?>"?>{far}', True),
        (f"<!-- {far} -->", False),                    # inside the comment: calamine skips it
        (f'</x a=">{far}<y b=">', False),              # inside an end tag's quoted value: skipped too
    ]:
        facts = G.ZipFacts()
        G._measure_xlsx(_sheet_with(clean, f'<row r="300">{xml}</row>'), SHEET_NAME, facts)
        assert (facts.too_large == {SHEET_NAME: (5000 * 702, "ZZ5000")}) is refused, xml


def test_a_far_cell_with_a_non_ascii_prefix_is_refused(case):
    clean = case.clean_bytes(SPOILT)
    part = sheet_part(clean, SHEET_NAME)
    out = _spoil(case, rezip(clean, {part: _sheet_with(clean, CELL_AT_ZZ5000["non-ascii-prefix"])}))
    assert out.found == {(NAME, "ZZ5000", "sheet-too-large")}
    out.others_unchanged(SPOILT)


# --------------------------------------------------------------------------- names in GBK

def test_a_skipped_file_named_in_gbk_is_shown_decoded(scheme, tmp_path):
    # A zip made on Chinese Windows and unpacked here leaves GBK bytes in
    # names: a file or folder passed over is named as text, never as raw
    # bytes a strict UTF-8 terminal cannot print.
    inbox = tmp_path / "交回"
    inbox.mkdir()
    raw = os.fsencode(inbox)
    with open(os.path.join(raw, "说明".encode("gbk") + b".txt"), "wb") as fh:
        fh.write(b"x")
    os.mkdir(os.path.join(raw, "旧版".encode("gbk")))
    result = CliRunner().invoke(cli, ["check", str(inbox)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.exception
    lines = result.output.splitlines()
    assert lines[0].startswith("旧版：") and lines[1].startswith("说明.txt：")
    sub = V.read_submissions(inbox, scheme)
    assert sub.files["file"].tolist() == ["旧版", "说明.txt"]
    assert sorted((f.file, f.code) for f in sub.report) == [("旧版", "file-skipped-folder"), ("说明.txt", "file-skipped-other")]


def test_zip_facts_keep_nothing_of_a_file_without_waiting_sheets():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("content.xml", "<x/>")
    facts = G.inspect_zip(buf.getvalue())
    assert facts.later == {} and facts.zip is None and facts.data == b""


def test_column_names_are_xlsxwriters_and_the_inverse_of_col_index():
    """cellref.col_name stands in for xlsxwriter's xl_col_to_name on the reading side."""
    from xlsxwriter.utility import xl_col_to_name

    from assess_xlsx.cellref import col_index, col_name

    assert [col_name(i) for i in (0, 25, 26, 701, 702, 16383)] == ["A", "Z", "AA", "ZZ", "AAA", "XFD"]
    assert all(col_name(i) == xl_col_to_name(i) and col_index(col_name(i)) == i for i in range(18278))
