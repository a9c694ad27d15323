"""`assess-xlsx check` over an inbox holding many kinds of bad file at once:
one line per file, every problem listed, exit code 1, no traceback, and the
inputs unchanged.
"""

from __future__ import annotations

import io
import os

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from assess_xlsx.cli import cli
from assess_xlsx.intake.contract import SHEET_NAME

from .corpus import rezip, sheet_part, snapshot, zip_parts


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_check_reports_every_bad_file_and_goes_on(case, row_of, self_rules):
    ooxml = pytest.importorskip("msoffcrypto.format.ooxml")
    folder = case.folder
    clean = {city: case.clean_bytes(city) for city in ("太原市", "阳泉市", "长治市", "运城市")}
    case.drop("太原市", "大同市", "阳泉市", "长治市", "运城市", "晋中市")
    case.write("太原市.xlsx", clean["太原市"][:3000])                                        # truncated
    case.write("大同市.xlsx", b"")                                                          # empty
    locked = io.BytesIO()
    ooxml.OOXMLFile(io.BytesIO(clean["阳泉市"])).encrypt("123456", locked)
    case.write("阳泉市.xlsx", locked.getvalue())                                             # password
    part = sheet_part(clean["长治市"], SHEET_NAME)
    sheet = b'<!DOCTYPE worksheet [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + zip_parts(clean["长治市"])[part]
    case.write("长治市.xlsx", rezip(clean["长治市"], {part: sheet}))                           # DTD
    case.write("运城市".encode("gbk") + b".xlsx", clean["运城市"])                             # GBK name: fine
    os.mkfifo(folder / "晋中市.xlsx")                                                       # a pipe: skipped
    case.write("~$朔州市.xlsx", b"\x05admin")                                                # lock file
    (folder / "旧版").mkdir()                                                               # a folder
    wb = load_workbook(folder / "晋城市.xlsx")
    wb[SHEET_NAME][row_of["3.3.8a"]] = "=1000+200"                                         # no saved result
    wb.save(folder / "晋城市.xlsx")
    before = snapshot(folder)

    result = CliRunner().invoke(cli, ["check", str(folder), "--rules", str(self_rules)])

    assert snapshot(folder) == before
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    lines = result.output.splitlines()
    assert "Traceback" not in result.output
    files = ["~$朔州市.xlsx", "临汾市.xlsx", "吕梁市.xlsx", "大同市.xlsx", "太原市.xlsx", "忻州市.xlsx", "旧版", "晋中市.xlsx",
             "晋城市.xlsx", "朔州市.xlsx", "运城市.xlsx", "长治市.xlsx", "阳泉市.xlsx"]
    assert [line.split("：")[0] for line in lines[: len(files)]] == files
    problems = [line.strip() for line in lines if line.startswith("  ")]
    assert [p.split("：")[0] for p in problems] == [
        "大同市.xlsx", "太原市.xlsx", f"晋城市.xlsx {SHEET_NAME}!{row_of['3.3.8a']}", "长治市.xlsx", "阳泉市.xlsx"]
    assert "文件是空的" in problems[0] and "文件不完整" in problems[1] and "没有保存计算结果" in problems[2]
    assert "DOCTYPE" in problems[3] and "密码" in problems[4]
    assert lines[-1] == ("结果 / Result：5 个单位可评分，5 个单位数据有误，1 个单位未提交 / "
                         "5 ready, 5 rejected, 1 missing")
