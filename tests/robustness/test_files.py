"""Files that are not what their name says, files to pass over, odd names.

Each case spoils or adds one entry in an inbox of the 11 clean city
workbooks, asserts the exact (file, cell, code) reported, and that every other
city scores exactly as in the clean run; `Case.run` proves the inputs unchanged.
"""

from __future__ import annotations

import io
import os
import random

import pytest

from .corpus import build_zip

SPOILT = "太原市"          # the city whose file is spoilt in the cases below
NAME = f"{SPOILT}.xlsx"


def _truncated_half(clean: bytes) -> bytes:
    return clean[: len(clean) // 2]


def _truncated_end(clean: bytes) -> bytes:
    return clean[:-10]          # the zip's end record cut: a download that stopped short


def _truncated_head(clean: bytes) -> bytes:
    return clean[:100]


def _random(clean: bytes) -> bytes:
    return random.Random(7).randbytes(20_000)


def _random_zip_magic(clean: bytes) -> bytes:
    return b"PK\x03\x04" + random.Random(7).randbytes(20_000)


def _empty(clean: bytes) -> bytes:
    return b""


def _csv(clean: bytes) -> bytes:
    return "编号,填报值\r\n1.1.1a,是\r\n3.3.8a,1176\r\n".encode("gbk")     # Excel's CSV on Chinese Windows


def _docx(clean: bytes) -> bytes:
    return build_zip({
        "[Content_Types].xml": b'<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
        "word/document.xml": b'<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body/></w:document>',
    })


def _html(clean: bytes) -> bytes:
    # what web systems export as "报表.xls"
    return "<html><head><meta charset='utf-8'></head><body><table><tr><td>编号</td><td>填报值</td></tr></table></body></html>".encode()


def _pdf(clean: bytes) -> bytes:
    return b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


def _encrypted(clean: bytes) -> bytes:
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    out = io.BytesIO()
    ooxml.OOXMLFile(io.BytesIO(clean)).encrypt("123456", out)   # Excel's 文件 > 信息 > 用密码进行加密
    return out.getvalue()


UNREADABLE = [
    # builder, finding code, what the note says (the message gist), or None
    (_truncated_half, "file-truncated", None),
    (_truncated_end, "file-truncated", None),
    (_truncated_head, "file-truncated", None),
    (_random, "file-unreadable", None),
    (_random_zip_magic, "file-truncated", None),
    (_empty, "file-empty", None),
    (_csv, "file-unreadable", "CSV/text"),
    (_docx, "file-unreadable", "Word (.docx)"),
    (_html, "file-unreadable", "HTML"),
    (_pdf, "file-unreadable", "PDF"),
    (_encrypted, "file-encrypted", None),
]


@pytest.mark.parametrize("build, code, gist", UNREADABLE, ids=[b.__name__.strip("_") for b, _, _ in UNREADABLE])
def test_a_file_that_is_no_workbook_rejects_its_city_only(case, build, code, gist):
    data = build(case.clean_bytes(SPOILT))
    case.drop(SPOILT)
    case.write(NAME, data)
    out = case.run()
    assert out.found == {(NAME, "", code)}
    f = out.finding(code)
    assert f.city == SPOILT and f.severity == "error"
    if gist:
        assert gist in f.note
    assert out.status(SPOILT) == "rejected"
    assert out.sub.files.set_index("file").loc[NAME, "status"] == "unreadable"
    out.others_unchanged(SPOILT)


def test_the_same_bytes_under_an_xls_or_ods_name_are_refused_alike(case):
    # calamine goes by the content, not the name: a zip named .xls is read as what it is
    case.drop(SPOILT)
    case.write(f"{SPOILT}.xls", _truncated_half(case.clean_bytes(SPOILT)))
    case.write("大同市-附件.ods", _docx(b""))
    out = case.run()
    assert out.found == {(f"{SPOILT}.xls", "", "file-truncated"), ("大同市-附件.ods", "", "file-unreadable")}
    assert out.status(SPOILT) == "rejected" and out.status("大同市") == "rejected"
    out.others_unchanged(SPOILT, "大同市")


# --------------------------------------------------------------------------- passed over

def test_an_office_lock_file_is_skipped(case):
    case.write(f"~${NAME}", b"\x05admin" + b" " * 48 + "admin".encode("utf-16-le") + b"\x00" * 100)
    case.write(".~lock.大同市.xlsx#", b"admin,host,01.01.2023 10:00,file:///;\n")   # LibreOffice's
    out = case.run()
    assert out.found == {(f"~${NAME}", "", "file-skipped-lock"), (".~lock.大同市.xlsx#", "", "file-skipped-lock")}
    assert {f.severity for f in out.sub.report} == {"info"}
    out.others_unchanged()


def test_a_folder_inside_the_inbox_is_skipped_not_read(case):
    sub = case.folder / "旧版 2021"
    sub.mkdir()
    old = case.clean_bytes(SPOILT)
    (sub / NAME).write_bytes(old)
    (sub / "无关.xlsx").write_bytes(b"")
    out = case.run()
    assert out.found == {("旧版 2021", "", "file-skipped-folder")}
    out.others_unchanged()


def test_hidden_and_other_files_are_skipped(case):
    case.write(".DS_Store", b"\x00\x00\x00\x01Bud1")
    case.write("说明.docx", _docx(b""))
    case.write("Thumbs.db", b"\xd0\xcf\x11\xe0")
    out = case.run()
    assert out.found == {(".DS_Store", "", "file-skipped-hidden"), ("说明.docx", "", "file-skipped-other"),
                         ("Thumbs.db", "", "file-skipped-other")}
    out.others_unchanged()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_or_a_broken_link_is_skipped_without_blocking(case):
    case.drop(SPOILT)
    os.mkfifo(case.folder / NAME)                       # opening it would wait forever
    os.symlink(case.folder / "不存在.xlsx", case.folder / "大同市-链接.xlsx")
    out = case.run()
    assert out.found == {(NAME, "", "file-skipped-special"), ("大同市-链接.xlsx", "", "file-skipped-special")}
    assert out.status(SPOILT) == "missing"
    out.others_unchanged(SPOILT)


# --------------------------------------------------------------------------- odd names

NAMES = [
    # city, the name it arrives under (str), or the raw bytes of the name
    ("太原市", "太原市 2022年 考核 报表.xlsx"),             # spaces
    ("大同市", "２０２２年大同市（市政府办）.xlsx"),          # full-width digits and brackets
    ("阳泉市", "📊阳泉市✅.xlsx"),                          # emoji
    ("长治市", "长治市.XLSX"),
    ("晋城市", "晋城市．ｘｌｓｘ"),                          # a full-width IME typed the extension
    ("运城市", "运城市".encode("gbk") + b".xlsx"),            # a zip from Chinese Windows unpacked here
    ("忻州市", "新建 Microsoft Excel 工作表 (2).xlsx"),      # no unit in the name: the cell says 忻州市
]


@pytest.mark.parametrize("city, name", NAMES, ids=["spaces", "full-width", "emoji", "upper-case", "full-width-dot", "gbk-bytes", "no-unit"])
def test_odd_file_names_are_read(case, city, name):
    case.drop(city)
    path = case.write(name, case.clean_bytes(city))
    out = case.run()
    assert out.found == set()
    files = out.sub.files.set_index("file")
    label = "运城市.xlsx" if isinstance(name, bytes) else name      # shown decoded, never as escapes
    assert files.loc[label, ["city", "status", "inputs"]].tolist() == [city, "read", 88]
    assert set(out.sub.values.loc[out.sub.values["city"] == city, "file"]) == {label}
    assert path.exists()
    out.others_unchanged()      # the renamed city included: read exactly as before
