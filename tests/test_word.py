"""The scheme table read from its Word attachment (.docx; .doc through LibreOffice).

Every document is made here from the embedded workbook (tests/word_docs.py):
the rows, points, texts, fragments and checks must come out as from the
embedded table; only where they are (file, sheet, cell) differs.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from python_calamine import CalamineWorkbook

from assess_xlsx import word
from assess_xlsx.cli import cli
from assess_xlsx.scheme import SchemeError, read_scheme
from test_cli_score import inbox
from word_docs import HEADER, embedded_grid, page_starts, write_docx


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def scheme_json(*args) -> dict:
    result = run("scheme", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def without_places(data: dict) -> dict:
    """The scheme JSON less where things are: file, sheet and cells."""
    data = json.loads(json.dumps(data))
    for key in ("source", "sheet"):
        data.pop(key)
    for p in data["primaries"]:
        for f in p["fragments"]:
            f.pop("cell")
    for d in data["checks"]["text_disagreements"]:
        d.pop("cell")
    return data


@pytest.fixture(scope="module")
def embedded() -> dict:
    return scheme_json()


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("word")
    return {"one": write_docx(folder / "任务分解表.docx"), "split": write_docx(folder / "分页.docx", split=True)}


def document_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return zf.read("word/document.xml").decode("utf-8")


def test_one_table_with_real_merges_reads_as_the_embedded_table(docs, embedded):
    values, merges = embedded_grid()
    in_table = [m for m in merges if m[0] > HEADER]           # the title's merge became a paragraph
    vertical = [m for m in in_table if m[2] > m[0]]
    across = [m for m in in_table if m[3] > m[1]]
    xml = document_xml(docs["one"])
    # Real Word merges, one of each kind per merged range of the sheet.
    assert xml.count('<w:vMerge w:val="restart"/>') == len(vertical) == 38
    assert xml.count("<w:vMerge/>") == sum(m[2] - m[0] for m in vertical)
    assert xml.count("<w:gridSpan ") == len(across) == 2       # 综合加分项, 重大扣分项
    assert xml.count("<w:tbl>") == 1 and xml.count("<w:tblHeader/>") == 1

    data = scheme_json(docs["one"])
    assert without_places(data) == without_places(embedded)
    assert len(data["rows"]) == 52 and len(data["items"]) == 13
    assert data["name"] == "山西省2022年度政务公开工作考核方案重点任务分解表"   # the title paragraph
    assert data["sheet"] == "表格1"
    # Cells are the table's own, as Word shows them: its header is row 1 (the sheet's row 3).
    assert embedded["primaries"][0]["fragments"][0]["cell"] == "A4"
    assert data["primaries"][0]["fragments"][0]["cell"] == "第1个表格第2行第1列（table 1, row 2, column 1）"
    assert [d["cell"] for d in data["checks"]["text_disagreements"]] == [
        f"第1个表格第{r}行第5列（table 1, row {r}, column 5）" for r in (3, 11, 24)]


def test_table_split_at_page_breaks_reads_as_the_embedded_table(docs, embedded):
    values, merges = embedded_grid()
    starts = page_starts(values, merges)
    assert [values[r][0].split()[0] for r in starts] == ["主动", "主动", "主动", "主动", "平台建设管理与基础工作库数据维护"]
    xml = document_xml(docs["split"])
    assert xml.count("<w:tbl>") == 6 and xml.count("<w:tblHeader/>") == 6
    assert xml.count('w:type="page"') == 5

    data = scheme_json(docs["split"])
    assert without_places(data) == without_places(embedded)
    assert data["sheet"] == "表格1–6"
    labels = [[f["label"] for f in p["fragments"]] for p in data["primaries"]]
    assert labels[2] == ["主动公开（18分）", "主动公开（8分）", "主动公开（9分）", "主动公开（12分）", "主动公开（10分）"]


def test_cells_of_a_split_table_are_named_as_word_shows_them(tmp_path):
    """3.3.12 (the sheet's row 31) given 6 points: its table is the 4th (page 4),
    whose row 1 repeats the header; the 主动公开（12分） fragment starts at its row 2,
    3.3.12 is its row 4, and 赋分 is the 4th cell across."""
    from docx import Document

    row = int(read_scheme().rows.set_index("code").loc["3.3.12", "sheet_row"]) - 1
    path = write_docx(tmp_path / "分页.docx", split=True, edit={(row, 3): "6"})
    assert Document(path).tables[3].rows[3].cells[3].text == "6"     # where a clerk finds it
    s = read_scheme(path)
    table4 = "第4个表格第{}行第{}列（table 4, row {}, column {}）".format
    assert s.report.keys() == {
        ("分页.docx", table4(2, 1, 2, 1), "scheme-fragment-mismatch"),
        ("分页.docx", "", "scheme-total-mismatch"),
        ("分页.docx", table4(4, 4, 4, 4), "scheme-rules-mismatch"),
    }
    [mismatch] = [f for f in s.report if f.code == "scheme-rules-mismatch"]
    assert mismatch.note == f"3.3.12 赋分 / points 6 ≠ 5（{table4(4, 4, 4, 4)}）"


def test_scheme_text_output_of_a_docx(docs):
    result = run("scheme", docs["one"])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[1] == f"文件 / file: {docs['one']}（工作表 / sheet: 表格1）"
    assert "  3 主动公开  57分 = 18+8+9+12+10  27行 / rows（1行仅加分 / bonus only）" in lines
    assert lines[-1] == "检查 / checks: 通过 / passed"


def test_a_different_table_in_front_and_a_following_note_are_left_alone(tmp_path, embedded):
    """The header table is found whichever table it is; a table after a
    paragraph of text is not a continuation."""
    from docx import Document

    path = write_docx(tmp_path / "t.docx", split=True)
    doc = Document(path)
    body = doc.element.body
    # A two-column table before the title (a 发文 header), and one after the table.
    before = doc.add_table(rows=1, cols=2)
    before.cell(0, 0).text = "发文单位"
    body.insert(0, before._tbl)
    doc.add_paragraph("附件2：联系人名单")
    after = doc.add_table(rows=2, cols=8)
    after.cell(0, 0).text = "联系人"
    body.remove(after._tbl)
    body.insert(len(body) - 1, after._tbl)   # before sectPr
    doc.save(path)
    data = scheme_json(path)
    assert data["sheet"] == "表格2–7"
    assert without_places(data) == without_places(embedded)


# --------------------------------------------------------------------------- the commands that take --scheme

def test_template_from_a_docx_is_the_template_of_the_embedded_table(docs, tmp_path):
    a, b = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    ra = run("template", "-o", a)
    rb = run("template", "-o", b, "--scheme", docs["one"])
    assert (ra.exit_code, rb.exit_code) == (0, 0), rb.output
    assert rb.output == f"已生成 / written：{b}（30 项填报内容 / 30 inputs）\n"     # the unit's own inputs

    def cells(path):
        wb = CalamineWorkbook.from_path(str(path))
        try:
            return {n: wb.get_sheet_by_name(n).to_python() for n in wb.sheet_names}
        finally:
            wb.close()

    assert cells(a) == cells(b)


def test_check_and_score_with_a_docx_scheme(docs, tmp_path):
    folder = inbox(tmp_path)
    result = run("check", folder, "--scheme", docs["split"])
    assert result.exit_code == 0, result.output
    out_a, out_b = tmp_path / "a.json", tmp_path / "b.json"
    ra = run("score", folder, "-o", tmp_path / "a.xlsx", "--json", out_a, "-q")
    rb = run("score", folder, "-o", tmp_path / "b.xlsx", "--json", out_b, "-q", "--scheme", docs["split"])
    assert (ra.exit_code, rb.exit_code) == (0, 0), rb.output
    a, b = (json.loads(p.read_text(encoding="utf-8")) for p in (out_a, out_b))
    ranks = {c["city"]: (c["rank"], c["total"]) for c in b["cities"]}
    assert ranks["太原市"] == (1, "116.87") and ranks["忻州市"] == (11, "81.00")
    assert a["cities"] == b["cities"]


# --------------------------------------------------------------------------- .doc and .wps

needs_soffice = pytest.mark.skipif(word.find_soffice() is None, reason="LibreOffice (soffice) not installed")


def _soffice_convert(source: Path, to: str, out: Path, profile: Path) -> Path:
    cmd = [word.find_soffice(), f"-env:UserInstallation={profile.as_uri()}", "--headless", "--norestore",
           "--convert-to", to, "--outdir", str(out), str(source)]
    subprocess.run(cmd, check=True, capture_output=True, timeout=300)
    return out / f"{source.stem}.{to}"


@needs_soffice
def test_a_doc_reads_as_the_embedded_table(docs, embedded, tmp_path):
    # LibreOffice 7.4 drops python-docx's tables when it writes .doc from the
    # .docx directly; through .odt the table survives, as from Word or WPS.
    profile = tmp_path / "profile"
    odt = _soffice_convert(docs["one"], "odt", tmp_path / "odt", profile)
    made = _soffice_convert(odt, "doc", tmp_path / "doc", profile)
    folder = tmp_path / "附件"
    folder.mkdir()
    doc = folder / "任务分解表.doc"
    shutil.copy(made, doc)
    assert doc.read_bytes().startswith(b"\xd0\xcf\x11\xe0")      # a binary Word 97 file
    before = doc.read_bytes()

    data = scheme_json(doc)
    assert without_places(data) == without_places(embedded)
    # Read from a copy: the file and its folder (no lock file) are as they were.
    assert doc.read_bytes() == before and sorted(p.name for p in folder.iterdir()) == ["任务分解表.doc"]

    wps = folder / "任务分解表.wps"
    shutil.copy(doc, wps)
    assert without_places(scheme_json(wps)) == without_places(embedded)


# --------------------------------------------------------------------------- bad and hostile files

def refused(path: Path) -> set[tuple[str, str, str]]:
    with pytest.raises(SchemeError) as info:
        read_scheme(path)
    return info.value.report.keys()


def rezip(src: Path, dst: Path, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None) -> Path:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, (replace or {}).get(info.filename, zin.read(info)))
        for name, body in (add or {}).items():
            zout.writestr(name, body)
    return dst


def test_zip_bomb_docx_is_refused(docs, tmp_path):
    path = tmp_path / "炸弹.docx"
    body = document_xml(docs["one"]).encode("utf-8")
    with zipfile.ZipFile(docs["one"]) as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "word/document.xml":
                zout.writestr(info.filename, zin.read(info))
        with zout.open("word/document.xml", "w", force_zip64=True) as fh:
            fh.write(body)
            for _ in range(65):                 # 65 MB of spaces after the root: ~65 KB zipped
                fh.write(b" " * 2**20)
    assert path.stat().st_size < 200_000
    assert refused(path) == {("炸弹.docx", "", "scheme-word-zip-bomb")}
    result = run("scheme", path)
    assert result.exit_code == 2
    assert "炸弹.docx：Word 文件解压后过大或压缩记录异常（word/document.xml: 65.1 MB unzipped, " in result.stderr
    assert "refused as a possible zip bomb" in result.stderr


def test_all_parts_together_are_limited(docs, tmp_path, monkeypatch):
    import assess_xlsx.intake.guard as guard

    path = rezip(docs["one"], tmp_path / "图.docx", add={"word/media/image1.png": b"\0" * (2 * 2**20)})
    monkeypatch.setattr(guard, "MAX_XML_BYTES", 2**20)
    assert refused(path) == {("图.docx", "", "scheme-word-zip-bomb")}


def test_dtd_in_document_xml_is_refused(docs, tmp_path):
    body = document_xml(docs["one"])
    head, rest = body.split("?>", 1)
    hostile = f'{head}?><!DOCTYPE w:document [<!ENTITY x "{"x" * 10}">]>{rest}'.encode("utf-8")
    path = rezip(docs["one"], tmp_path / "dtd.docx", replace={"word/document.xml": hostile})
    assert refused(path) == {("dtd.docx", "", "scheme-word-dtd")}
    result = run("scheme", path)
    assert result.exit_code == 2
    assert ("dtd.docx：Word 文件的 word/document.xml 部件含 DOCTYPE/实体声明（Word、WPS 不会写入），已拒绝读取，未展开或下载任何实体 / "
            "the part word/document.xml of the Word file holds a DOCTYPE/entity declaration") in result.stderr


def test_dtd_in_a_part_of_any_name_is_refused(docs, tmp_path):
    path = rezip(docs["one"], tmp_path / "dtd2.docx", add={"word/custom.bin": b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY b "c">]><a/>'})
    result = read_scheme_finding(path)
    assert (result.code, result.note) == ("scheme-word-dtd", "word/custom.bin")


def read_scheme_finding(path):
    with pytest.raises(SchemeError) as info:
        read_scheme(path)
    (finding,) = info.value.report.errors
    return finding


def test_truncated_docx(docs, tmp_path):
    path = tmp_path / "半截.docx"
    data = docs["one"].read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert refused(path) == {("半截.docx", "", "scheme-word-truncated")}
    assert "Word 文件不完整" in run("scheme", path).stderr


def test_not_a_word_document(tmp_path):
    path = tmp_path / "表.docx"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    path.write_bytes(buf.getvalue())
    finding = read_scheme_finding(path)
    assert finding.code == "scheme-word-unreadable"
    assert finding.message.startswith("表.docx：无法作为 Word 文档读取（文件损坏或格式不对）：")


def test_empty_and_tableless_docx(tmp_path):
    from docx import Document

    (tmp_path / "空.docx").write_bytes(b"")
    assert refused(tmp_path / "空.docx") == {("空.docx", "", "scheme-word-empty")}
    doc = Document()
    doc.add_paragraph("山西省2022年度政务公开工作考核方案")
    doc.save(tmp_path / "无表.docx")
    assert refused(tmp_path / "无表.docx") == {("无表.docx", "", "scheme-word-no-table")}


def test_encrypted_docx(tmp_path):
    path = tmp_path / "密.docx"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512 + "EncryptedPackage".encode("utf-16-le"))
    assert refused(path) == {("密.docx", "", "scheme-word-encrypted")}


def test_too_large_word_file(tmp_path, monkeypatch):
    import assess_xlsx.intake.guard as guard

    path = tmp_path / "大.docx"
    path.write_bytes(b"PK\x03\x04" + b"\0" * 4096)
    monkeypatch.setattr(guard, "MAX_FILE_BYTES", 1024)
    finding = read_scheme_finding(path)
    assert (finding.code, finding.value, finding.expected) == ("scheme-word-too-large", "4.0 KB", "1.0 KB")


@pytest.mark.parametrize("name, kind", [("任务分解表.doc", ".doc"), ("任务分解表.wps", ".wps"), ("改名的.docx", ".doc")])
def test_doc_without_libreoffice_says_to_save_as_docx(tmp_path, monkeypatch, name, kind):
    monkeypatch.setattr(word, "find_soffice", lambda: None)
    path = tmp_path / name
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048)
    assert refused(path) == {(name, "", "scheme-word-needs-docx")}
    result = run("scheme", path)
    assert result.exit_code == 2
    assert (f"{name}：读取 {kind} 文件需要 LibreOffice，本机未安装；请在 Word 或 WPS 中打开该文件，“另存为” Word 文档（.docx）后再试 / "
            f"reading a {kind} file needs LibreOffice, which is not installed; open the file in Word or WPS, "
            "save it as a Word document (.docx) and try again") in result.stderr


def test_conversion_time_limit_and_failure(tmp_path, monkeypatch):
    """A converter that hangs is stopped at the limit; one that fails is named."""
    hang = tmp_path / "hang.sh"
    hang.write_text("#!/bin/sh\nsleep 60\n")
    hang.chmod(0o755)
    fail = tmp_path / "fail.sh"
    fail.write_text("#!/bin/sh\necho 'Error: source file could not be loaded' >&2\nexit 1\n")
    fail.chmod(0o755)
    path = tmp_path / "表.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 2048)

    monkeypatch.setattr(word, "CONVERT_TIMEOUT", 1)
    monkeypatch.setattr(word, "find_soffice", lambda: str(hang))
    finding = read_scheme_finding(path)
    assert (finding.code, finding.value, finding.note) == ("scheme-word-convert-failed", ".doc", "超过 1 秒 / over 1 s")
    monkeypatch.setattr(word, "find_soffice", lambda: str(fail))
    finding = read_scheme_finding(path)
    assert (finding.code, finding.note) == ("scheme-word-convert-failed", "Error: source file could not be loaded")
    assert finding.message_en.endswith("save it as a Word document (.docx) from Word or WPS and try again")
