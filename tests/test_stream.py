"""The streamed sheet body (xlsx.Body): the same cells as xlsxwriter writes, spliced
into the package, text never a formula, the same bytes twice (issue 17)."""

from __future__ import annotations

import random
import re
import shutil
import subprocess
import zipfile
import zlib
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

from assess_xlsx import xlsx, xlsxbody
from assess_xlsx.report import write_workbook
from assess_xlsx.roster import DEFAULT_ROSTER
from assess_xlsx.run import score_folder
from assess_xlsx.xlsx import Book, Whole, atomic_write, report_formats

CREATED = datetime(2023, 3, 1)
SAMPLES = Path(__file__).resolve().parents[1] / "samples"
LONG = "长" * 40000
HOSTILE = ["=1+1", "+cmd|' /C calc'!A0", "<&>\"'", "a\x01b\x1fc\x00", "_x0041_ and \x07", " lead", "trail\t",
           "line\nbreak", "\ufffe\uffff", "@SUM(A1)", "-2+3", LONG, "太原市", "",
           # not printable yet nothing to escape; "_x" that is no escape; a long plain text
           "全角\u3000空格", "tab\tinside", "_xyz_ _x00G1_", "文件.xlsx 填报表!G40；" * 60]


def _rows():
    """(texts, figures in hundredths, whole numbers) per row: every hostile text many times."""
    for i in range(300):
        yield (HOSTILE[i % len(HOSTILE)], f"{i}：{HOSTILE[(i * 7) % len(HOSTILE)][:50]}",
               [-4, 9750, 1, None, pd.NA, -123456789][i % 6], i if i % 5 else None)


def _write(path, streamed: bool):
    def build(tmp):
        book = Book(tmp, constant_memory=True, formats=report_formats(), properties={"created": CREATED})
        sh = book.sheet("依据", repeat=(0, 0))
        sh.widths([20, 30, 9, 6])
        sh.head(0, ["说明", "依据", "分值", "名次"])
        sh.ws.freeze_panes(1, 1)
        out = sh.body(1, 10**9 if streamed else 0)
        assert (out is sh) is not streamed
        for r, (a, b, h, n) in enumerate(_rows(), start=1):
            out.text(r, 0, a, "wrap")
            out.text(r, 1, b)
            out.figure(r, 2, h, "loss" if h is not None and h is not pd.NA and h < 0 else "gain")
            out.whole(r, 3, n)
        sh.ws.autofilter(0, 0, r, 3)
        book.close()
    return atomic_write(path, build)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    d = tmp_path_factory.mktemp("stream")
    return _write(d / "xlsxwriter.xlsx", False), _write(d / "streamed.xlsx", True)


def _sheet_xml(path) -> str:
    with zipfile.ZipFile(path) as z:
        return z.read("xl/worksheets/sheet1.xml").decode("utf-8")


def test_same_sheet_xml_as_xlsxwriter(pair):
    plain, streamed = pair
    # Cell for cell the same XML: escapes, control characters, styles, numbers, blanks,
    # the dimension, panes and autofilter.
    assert _sheet_xml(streamed) == _sheet_xml(plain)
    with zipfile.ZipFile(plain) as a, zipfile.ZipFile(streamed) as b:
        assert a.namelist() == b.namelist()
        for name in a.namelist():
            assert a.read(name) == b.read(name), name
        assert [(i.date_time, i.external_attr) for i in a.infolist()] == [(i.date_time, i.external_attr) for i in b.infolist()]


def test_same_values_and_styles_in_openpyxl_and_calamine(pair):
    plain, streamed = pair
    wa, wb = openpyxl.load_workbook(plain)["依据"], openpyxl.load_workbook(streamed)["依据"]
    assert wa.max_row == wb.max_row == 301 and wb.dimensions == "A1:D301"
    for ra, rb in zip(wa.iter_rows(), wb.iter_rows()):
        for a, b in zip(ra, rb):
            assert (a.value, a.data_type, a.number_format, a.font.color and a.font.color.rgb, a.fill.fgColor.rgb,
                    a.alignment.wrap_text) == (b.value, b.data_type, b.number_format, b.font.color and b.font.color.rgb,
                                               b.fill.fgColor.rgb, b.alignment.wrap_text)
    values = [r for r in wb.iter_rows(min_row=2, values_only=True)]
    assert values[0][:3] == ("=1+1", "0：=1+1", -0.04)
    assert values[1][:3] == ("+cmd|' /C calc'!A0", "1：line\nbreak", 97.5)
    # Control characters as Excel's _xHHHH_ escapes (openpyxl shows them as stored), a
    # literal _xHHHH_ with its underscore escaped: xlsxwriter's rules, in both files.
    assert values[2][0] == "<&>\"'" and values[3][0] == "a_x0001_b_x001F_c_x0000_"
    assert values[4][0] == "_x005F_x0041_ and _x0007_"
    assert values[11][0].startswith("长" * 100) and len(values[11][0]) == xlsx.MAX_CELL_TEXT - 40 + len("…（超长，已截断 / truncated）")
    assert values[5][2] == -1234567.89 and values[3][2] is None and values[0][3] is None and values[1][3] == 1
    assert wb.freeze_panes == "B2" and wb.auto_filter.ref == "A1:D301"
    ca = CalamineWorkbook.from_path(str(plain)).get_sheet_by_name("依据").to_python()
    cb = CalamineWorkbook.from_path(str(streamed)).get_sheet_by_name("依据").to_python()
    assert ca == cb and cb[1][0] == "=1+1" and cb[2][0] == "+cmd|' /C calc'!A0"


def test_no_formula_and_same_bytes_twice(pair, tmp_path):
    _, streamed = pair
    xml = _sheet_xml(streamed)
    assert "<f>" not in xml and "<f " not in xml
    assert xml.count('t="inlineStr"') == 4 + sum(1 for a, b, _, _ in _rows() for t in (a, b) if t)   # + the header
    again = _write(tmp_path / "again.xlsx", True)
    assert again.read_bytes() == streamed.read_bytes()


def test_rich_text_lookalike_stays_text(tmp_path):
    # xlsxwriter writes a string that starts with <r> and ends with </r> as raw XML;
    # the streamed body escapes it: it is a unit's text, not markup.
    def build(tmp):
        book = Book(tmp, constant_memory=True, formats=report_formats(), properties={"created": CREATED})
        sh = book.sheet("s")
        sh.text(0, 0, "head")
        out = sh.body(1, 10**9)
        out.text(1, 0, "<r><t>x</t></r>")
        book.close()
    path = atomic_write(tmp_path / "r.xlsx", build)
    assert "&lt;r&gt;&lt;t&gt;x&lt;/t&gt;&lt;/r&gt;" in _sheet_xml(path)
    assert openpyxl.load_workbook(path)["s"]["A2"].value == "<r><t>x</t></r>"


def test_rows_out_of_order_refused(tmp_path):
    def build(tmp):
        book = Book(tmp, constant_memory=True, formats=report_formats(), properties={"created": CREATED})
        sh = book.sheet("s")
        sh.text(0, 0, "head")
        out = sh.body(1, 10**9)
        out.text(2, 0, "b")
        out.text(1, 0, "a")
    with pytest.raises(xlsx.WriteError, match="streamed after"):
        atomic_write(tmp_path / "x.xlsx", build)
    assert list(tmp_path.iterdir()) == []      # nothing left behind


def test_ranking_workbook_streamed_reads_the_same(scheme, tmp_path, monkeypatch):
    """Every sheet of the real workbook, streamed (STREAM_ROWS and BULK_ROWS 0) or not: the same cells."""
    samples_result = score_folder(SAMPLES, scheme, DEFAULT_ROSTER)
    monkeypatch.setattr(xlsx, "STREAM_ROWS", 10**9)
    plain = write_workbook(samples_result, tmp_path / "plain.xlsx", created=CREATED)
    monkeypatch.setattr(xlsx, "STREAM_ROWS", 0)
    monkeypatch.setattr(xlsx, "BULK_ROWS", 0)
    streamed = write_workbook(samples_result, tmp_path / "streamed.xlsx", created=CREATED)
    a, b = openpyxl.load_workbook(plain), openpyxl.load_workbook(streamed)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        rows_a = [[(c.value, c.style_id) for c in row] for row in a[name].iter_rows()]
        rows_b = [[(c.value, c.style_id) for c in row] for row in b[name].iter_rows()]
        assert rows_a == rows_b, name
    with zipfile.ZipFile(streamed) as z, zipfile.ZipFile(plain) as p:
        assert not any(re.search(rb"<f[ >]", z.read(n)) for n in z.namelist() if n.startswith("xl/worksheets/"))
        # Part for part the same XML (row heights from fit_row, styles, panes,
        # filters) once the streamed audit's references to shared strings are
        # written out inline again, as the plain workbook has them.
        parts = _inlined(z)
        assert list(parts) == p.namelist()
        for name in p.namelist():
            assert parts[name] == p.read(name), name
    again = write_workbook(samples_result, tmp_path / "again.xlsx", created=CREATED)
    assert again.read_bytes() == streamed.read_bytes()


def _inlined(z: zipfile.ZipFile) -> dict[str, bytes]:
    """The package's parts with every shared-string cell written inline (as
    xlsxwriter's constant-memory writer writes text) and the shared strings'
    part, its content type and its relationship gone."""
    names = z.namelist()
    if "xl/sharedStrings.xml" not in names:
        return {n: z.read(n) for n in names}
    sst = z.read("xl/sharedStrings.xml")
    texts = re.findall(rb"<si>(.*?)</si>", sst, re.S)
    assert int(re.search(rb'uniqueCount="(\d+)"', sst).group(1)) == len(texts)
    out = {}
    for name in names:
        data = z.read(name)
        if name == "xl/sharedStrings.xml":
            continue
        if name.startswith("xl/worksheets/"):
            data = re.sub(rb' t="s"><v>(\d+)</v></c>',
                          lambda m: b' t="inlineStr"><is>' + texts[int(m.group(1))] + b"</is></c>", data)
        elif name == "[Content_Types].xml":
            data = re.sub(rb'<Override PartName="/xl/sharedStrings.xml"[^>]*/>', b"", data)
        elif name == "xl/_rels/workbook.xml.rels":
            data = re.sub(rb'<Relationship Id="rId\d+" Type="[^"]*/sharedStrings" Target="sharedStrings.xml"/>', b"", data)
        out[name] = data
    return out


def test_audit_texts_shared_once(scheme, tmp_path, monkeypatch):
    """A streamed audit refers to its repeated texts (units, codes, labels,
    explanations) in the shared strings, each written once; its unique texts
    (the sources) stay inline; read back, every cell is the same as inline."""
    result = score_folder(SAMPLES, scheme, DEFAULT_ROSTER)
    monkeypatch.setattr(xlsx, "STREAM_ROWS", 10**9)
    plain = write_workbook(result, tmp_path / "plain.xlsx", created=CREATED)
    monkeypatch.setattr(xlsx, "STREAM_ROWS", 0)
    monkeypatch.setattr(xlsx, "BULK_ROWS", 0)     # made in workers: the table is made before they start
    shared = write_workbook(result, tmp_path / "shared.xlsx", created=CREATED)
    with zipfile.ZipFile(shared) as z:
        sst = z.read("xl/sharedStrings.xml").decode("utf-8")
        texts = re.findall(r"<si><t[^>]*>(.*?)</t></si>", sst, re.S)
        assert len(texts) == len(set(texts))
        audit = result.audit
        assert set(audit["city"]) | set(audit["code"]) <= set(texts)
        count = int(re.search(r'count="(\d+)"', sst).group(1))
        assert count == 4 * len(audit)      # unit, code, label, explanation: every row
        sheet = z.read("xl/worksheets/sheet4.xml").decode("utf-8")
        assert sheet.count('t="s"') == count and "inlineStr" in sheet      # sources inline
    a, b = openpyxl.load_workbook(plain), openpyxl.load_workbook(shared)
    for name in a.sheetnames:
        assert [[c.value for c in r] for r in a[name].iter_rows()] == [[c.value for c in r] for r in b[name].iter_rows()]


def test_rich_text_lookalike_never_shared(tmp_path):
    """xlsxwriter writes a shared string that looks like rich-text XML as XML:
    such a text is kept inline, escaped, and reads back as the text it is."""
    def build(tmp):
        book = Book(tmp, constant_memory=True, formats=report_formats(), properties={"created": CREATED})
        sh = book.sheet("s")
        texts = ["<r><t>x</t></r>", "普通文字", "a" * 1001]
        out = sh.body(0, 10**9, lambda: {t: 3 for t in texts})
        for r in range(3):
            for c, t in enumerate(texts):
                out.text(r, c, t)
        book.close()
    atomic_write(tmp_path / "x.xlsx", build)
    with zipfile.ZipFile(tmp_path / "x.xlsx") as z:
        sst = z.read("xl/sharedStrings.xml").decode("utf-8")
        assert re.findall(r"<si>(.*?)</si>", sst) == ["<t>普通文字</t>"]
    rows = CalamineWorkbook.from_path(str(tmp_path / "x.xlsx")).get_sheet_by_name("s").to_python()
    assert rows == [["<r><t>x</t></r>", "普通文字", "a" * 1001]] * 3


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_libreoffice_opens_the_streamed_sheet(pair, tmp_path):
    _, streamed = pair
    out = tmp_path / "pdf"
    subprocess.run(["soffice", f"-env:UserInstallation=file:///tmp/lo-p17-{tmp_path.name}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(out), str(streamed)],
                   check=True, capture_output=True, timeout=180)
    pdf = out / "streamed.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF") and pdf.stat().st_size > 10_000


# --------------------------------------------------------------------------- rows made in workers

def _produce(out, start, stop):
    rows = list(_rows())
    for k in range(start, stop):
        a, b, h, n = rows[k % len(rows)]
        out.row(1 + k, 30.5 if k % 3 == 0 else None,
                [(0, "wrap", a), (1, "text", b), (2, "loss" if isinstance(h, int) and h < 0 else "gain", h),
                 (3, "rank", Whole(n) if n is not None else None)])


def _write_rows(path, how: str, total: int = 5000):
    """The same rows written by xlsxwriter (sheet), streamed here (body) or made in workers."""
    def build(tmp):
        book = Book(tmp, constant_memory=True, formats=report_formats(), properties={"created": CREATED})
        job = book.rows_in_workers(1, total, _produce, ("wrap", "text", "loss", "gain", "rank")) if how == "workers" else None
        sh = book.sheet("依据", repeat=(0, 0))
        sh.widths([20, 30, 9, 6])
        sh.head(0, ["说明", "依据", "分值", "名次"])
        if how == "workers":
            assert job is not None
            sh.attach(job)
        else:
            for name in ("wrap", "text", "loss", "gain", "rank"):     # as rows_in_workers resolves them
                book.fmt[name]._get_xf_index()
            _produce(sh.body(1, 10**9 if how == "body" else 0), 0, total)
        book.close()
    return atomic_write(path, build)


@pytest.mark.parametrize("total", [5000, 2001])
def test_rows_made_in_workers_are_the_rows_made_here(tmp_path, monkeypatch, total):
    """Workers, a Body here, xlsxwriter: part for part the same XML; and the same
    bytes whether the runs are made in forked workers or (no fork) here."""
    sheet = _write_rows(tmp_path / "sheet.xlsx", "sheet", total)
    body = _write_rows(tmp_path / "body.xlsx", "body", total)
    workers = _write_rows(tmp_path / "workers.xlsx", "workers", total)
    monkeypatch.setattr(xlsxbody, "_fork_context", lambda: None)
    here = _write_rows(tmp_path / "here.xlsx", "workers", total)
    assert here.read_bytes() == workers.read_bytes()
    for other in (sheet, body):
        with zipfile.ZipFile(other) as s, zipfile.ZipFile(workers) as w:
            assert s.namelist() == w.namelist()
            assert w.testzip() is None
            for name in s.namelist():
                assert s.read(name) == w.read(name), name
    grid = CalamineWorkbook.from_path(str(workers)).get_sheet_by_name("依据").to_python()
    assert len(grid) == total + 1 and grid[1][0] == HOSTILE[0] and grid[total][1].startswith(f"{(total - 1) % 300}：")
    # A Whole is written as itself (a rank 7), a plain int as hundredths (9750 -> 97.5).
    assert [grid[k][3] for k in (1, 2, 6, 8)] == ["", 1.0, "", 7.0] and grid[2][2] == 97.5
    assert openpyxl.load_workbook(workers)["依据"].max_row == total + 1


@pytest.mark.parametrize("native", [True, False], ids=["zlib-ng", "python"])
def test_crc32_combine(native, monkeypatch):
    """zlib-ng's crc32_combine where it is installed, the GF(2) one where not: the same CRC of A + B."""
    if not native:
        monkeypatch.setattr(xlsxbody, "_C_COMBINE", None)
    elif xlsxbody._C_COMBINE is None:
        pytest.skip("zlib-ng is not installed")
    rng = random.Random(7)
    for _ in range(200):
        a, b = rng.randbytes(rng.randint(0, 3000)), rng.randbytes(rng.randint(0, 3000))
        assert xlsxbody.crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    assert xlsxbody.crc32_combine(zlib.crc32(b"abc"), 0, 0) == zlib.crc32(b"abc")


def test_a_worker_that_fails_fails_the_write(tmp_path, monkeypatch):
    """A row a worker cannot make: the write fails with WriteError, nothing is left at the target."""
    def broken(out, start, stop):
        _produce(out, start, stop)
        out.row(1 + stop, None, [(0, "unknown-style", "x")])      # a style not prepared
    target = tmp_path / "out.xlsx"

    def build(tmp):
        book = Book(tmp, constant_memory=True, formats=report_formats(), properties={"created": CREATED})
        job = book.rows_in_workers(1, 5000, broken, ("wrap", "text", "loss", "gain"))
        sh = book.sheet("依据")
        sh.attach(job)
        book.close()
    with pytest.raises(xlsx.WriteError, match="not prepared"):
        atomic_write(target, build)
    assert not target.exists() and list(tmp_path.iterdir()) == []


def test_snapshot_made_in_its_worker_is_the_snapshot(scheme, tmp_path, monkeypatch):
    """A first run of many units has its snapshot made where its rows are written
    (a worker): read back, it is the run's snapshot; without fork, made here, the
    same bytes."""
    from assess_xlsx.changes import read_snapshot, snapshot
    from assess_xlsx.report import summary

    result = score_folder(SAMPLES, scheme, DEFAULT_ROSTER)
    monkeypatch.setattr(summary, "SNAPSHOT_IN_WORKER_UNITS", 1)
    monkeypatch.setattr(xlsx, "STREAM_ROWS", 0)
    monkeypatch.setattr(xlsx, "BULK_ROWS", 0)
    made_there = write_workbook(result, tmp_path / "worker.xlsx", created=CREATED)
    assert read_snapshot(made_there).equals(snapshot(result))
    monkeypatch.setattr(xlsxbody, "_fork_context", lambda: None)
    made_here = write_workbook(result, tmp_path / "here.xlsx", created=CREATED)
    assert made_here.read_bytes() == made_there.read_bytes()


def test_streamed_rows_deflated_by_zlib_where_zlib_ng_is_missing(tmp_path, monkeypatch):
    """Without zlib-ng (deflate.py falls back to zlib at level 1) the workers'
    runs still splice into one valid entry with the same sheet XML."""
    with_ng = _write_rows(tmp_path / "ng.xlsx", "workers", 2001)
    native = xlsxbody.z is not zlib
    monkeypatch.setattr(xlsxbody, "z", zlib)
    monkeypatch.setattr(xlsxbody, "FAST_LEVEL", 1)
    monkeypatch.setattr(xlsxbody, "_C_COMBINE", None)
    plain = _write_rows(tmp_path / "zlib.xlsx", "workers", 2001)
    if native:                      # zlib-ng's deflate: another stream of the same XML
        assert with_ng.read_bytes() != plain.read_bytes()
    with zipfile.ZipFile(with_ng) as a, zipfile.ZipFile(plain) as b:
        assert b.testzip() is None and a.namelist() == b.namelist()
        assert all(a.read(n) == b.read(n) for n in a.namelist())
    assert openpyxl.load_workbook(plain)["依据"].max_row == 2002
