"""What a person sees on paper: the samples' result, a per-city workbook and a
pre-filled template, printed to PDF by LibreOffice and read back.

Each document is rendered once per session (one soffice call for all three).
Skipped where LibreOffice is absent; .ci/run installs it where apt-get exists.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from assess_xlsx.report import explanation, write_per_city, write_workbook
from assess_xlsx.roster import DEFAULT_ROSTER
from assess_xlsx.run import score_folder
from assess_xlsx.template import template_rows, write_template

pdfplumber = pytest.importorskip("pdfplumber")
pytestmark = pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
CREATED = datetime(2023, 3, 1)


@pytest.fixture(scope="session")
def printed(tmp_path_factory, scheme_session):
    """{name: (result, list of pages as pdfplumber pages)} for 考核结果, 太原市 and the template."""
    folder = tmp_path_factory.mktemp("print")
    result = score_folder(SAMPLES, scheme_session, DEFAULT_ROSTER)
    write_workbook(result, folder / "考核结果.xlsx", created=CREATED)
    write_per_city(result, folder / "各市", created=CREATED)
    shutil.copy(folder / "各市" / "太原市.xlsx", folder / "太原市.xlsx")
    write_template(scheme_session, folder / "填报表.xlsx", city="太原市")
    proc = subprocess.run(
        ["soffice", f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--convert-to", "pdf",
         "--outdir", str(folder), str(folder / "考核结果.xlsx"), str(folder / "太原市.xlsx"), str(folder / "填报表.xlsx")],
        capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    docs = {}
    for name in ("考核结果", "太原市", "填报表"):
        pdf = pdfplumber.open(folder / f"{name}.pdf")
        docs[name] = pdf.pages
    yield result, docs
    for pages in docs.values():
        pages[0].pdf.close()


@pytest.fixture(scope="session")
def scheme_session():
    from assess_xlsx.scheme import read_scheme

    return read_scheme()


def sheet_of(page) -> str:
    """The page header names the sheet (left part of the first line)."""
    first = page.extract_text().split("\n")[0]
    return first.split(" ")[0]


def pages_of(docs, doc: str, sheet: str):
    return [p for p in docs[doc] if sheet_of(p) == sheet]


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def column_text(page, header: str) -> str:
    """The text printed in the column headed `header`, top to bottom, whitespace removed.
    The column's bounds are the cell borders either side of the header word."""
    words = page.extract_words()
    word = next((w for w in words if w["text"] == header), None) or next(w for w in words if w["text"].startswith(header))
    mid = (word["x0"] + word["x1"]) / 2
    xs = sorted({round(e["x0"], 1) for e in page.edges if e["orientation"] == "v"})
    left = max(x for x in xs if x < mid)
    right = min(x for x in xs if x > mid)
    return squeeze(page.crop((left + 0.5, word["bottom"] + 1, right - 0.5, page.height)).extract_text())


# --------------------------------------------------------------------------- size

@pytest.mark.parametrize("doc", ["考核结果", "太原市", "填报表"])
def test_no_printed_text_smaller_than_9pt(printed, doc):
    _, docs = printed
    sizes = Counter(round(c["size"], 1) for page in docs[doc] for c in page.chars if c["text"].strip())
    assert min(sizes) >= 9, sizes.most_common()
    # Body text prints at its own 10 pt: nothing is shrunk to fit.
    assert sizes.most_common(1)[0][0] == 10.0
    # And no number is too wide for its column.
    assert not any("###" in page.extract_text() for page in docs[doc])


def test_page_counts(printed):
    _, docs = printed
    count = Counter(sheet_of(p) for p in docs["考核结果"])
    assert count["总排名"] == 1 and count["说明"] == 1 and count["文件校验"] == 1
    assert count["分项得分"] <= 2                         # units across, a page used top to bottom
    assert count["得分明细"] % 2 == 0 and count["得分明细"] <= 10   # 6 + 5 units side by side, rows down
    assert count["扣分加分依据"] <= 7 and count["提交情况"] <= 2
    assert "变更记录" not in count                        # first run: nothing to compare
    assert list(count) == ["总排名", "分项得分", "得分明细", "扣分加分依据", "自评与核定", "提交情况", "说明", "文件校验"]
    city = Counter(sheet_of(p) for p in docs["太原市"])
    assert city == {"得分情况": 3, "扣分加分依据": 1, "提交情况": 1}


# --------------------------------------------------------------------------- whole explanations

@pytest.mark.parametrize("doc", ["考核结果", "太原市"])
def test_every_audit_sentence_prints_whole(printed, doc):
    result, docs = printed
    audit = result.audit if doc == "考核结果" else result.audit[result.audit["city"] == doc]
    pages = pages_of(docs, doc, "扣分加分依据")
    sentences = "".join(column_text(p, "依据与计算") for p in pages)
    sources = "".join(column_text(p, "来源") for p in pages)
    assert len(audit) > 5
    for rec in audit.itertuples(index=False):
        assert squeeze(explanation(rec)) in sentences, rec.sentence
        assert squeeze(rec.sources) in sources, rec.sources


def test_about_and_files_print_whole(printed):
    _, docs = printed
    about = squeeze("".join(p.extract_text() for p in pages_of(docs, "考核结果", "说明")))
    assert "不再舍入，因此表中每个合计都可以用手工相加核对。每行扣分不超过本行赋分（或规则规定的扣分上限），加分不超过加分上限。" in about
    files = squeeze("".join(column_text(p, "文件") for p in pages_of(docs, "考核结果", "提交情况")))
    assert "大同市（市发改委）.xlsx；大同市（市政府办）.xlsx" in files
    # The subfolder is named once, as passed over, not listed among the files.
    whole = squeeze("".join(p.extract_text() for p in pages_of(docs, "考核结果", "提交情况")))
    assert whole.count("with-errors") == 2 and "with-errors已跳过子文件夹（只读取本文件夹中的工作簿）" in whole   # the finding
    assert "已跳过的子文件夹（不计入文件数，其中的工作簿未读取）：with-errors" in whole
    assert "11个单位，17个文件" in whole     # 12 units' files + 5 in 核定/
    # Each assessor's sheet in the 核定表 block, its name and file whole (the file was cut in a narrow column).
    for assessor in ("省公安厅交管局", "省卫健委", "省发改委", "省自然资源厅", "考核办"):
        assert f"{assessor}核定/{assessor}.xlsx已读取" in whole, assessor


def test_detail_long_rows_print_whole(printed):
    result, docs = printed
    labels = squeeze("".join(column_text(p, "指标") for p in pages_of(docs, "考核结果", "得分明细")))
    for code in ("11.5", "11.6", "11.7"):
        name = result.rules.items[code].name
        assert squeeze(name) in labels, name


# --------------------------------------------------------------------------- figures as read

def test_signs_agree_with_the_formula(printed):
    _, docs = printed
    text = pages_of(docs, "考核结果", "总排名")[0].extract_text()
    assert "总分 = 基础得分 + 加分 + 综合加分 − 重大扣分" in text
    # 晋中市: 99.33 + 3.00 + 1.50 − 0.25 = 103.58, read literally.
    assert re.search(r"晋中市 99\.33 3\.00 1\.50 0\.25 103\.58 优秀", text)
    city = "\n".join(p.extract_text() for p in docs["太原市"])
    assert "−0.00" not in city and "-0.00" not in city
    assert re.search(r"总分 = 基础得分 \+ 加分 \+ 综合加分 − 重大扣分 116\.87 1", city)
    detail = "\n".join(p.extract_text() for p in pages_of(docs, "考核结果", "得分明细"))
    # 太原市: the rows' bonus 11.00 (as on 总排名) beside its base, then the total 117.87.
    labels = "".join(column_text(p, "指标") for p in pages_of(docs, "考核结果", "得分明细"))
    assert "基础得分、加分（一至九项各行合计）总分=基础得分+加分+综合加分−重大扣分" in labels
    assert "100.00 99.87 10.00" in detail
    assert re.search(r"116\.87 103\.58", detail)


# --------------------------------------------------------------------------- the template

def test_template_pages_numbered_and_blocks_whole(printed, scheme_session):
    _, docs = printed
    # The form's pages: not the guide (填表说明) nor the read-only list of what the province judges.
    pages = [p for p in docs["填报表"] if "填表说明" not in p.extract_text().split("\n")[0]
             and "以下事项由省级核定" not in p.extract_text()]
    n = len(docs["填报表"])
    for k, page in enumerate(docs["填报表"], start=1):
        assert f"第 {k} 页，共 {n} 页" in page.extract_text()
    text = "\n".join(p.extract_text() for p in docs["填报表"])
    assert "本表已填好被考核单位（太原市）" in text and "请先在上方选择被考核单位" not in text
    # Each scoring row's rule (a merged block) prints whole on one page.
    per_page = [column_text(p, "评分规则") for p in pages]
    # The unit's own rows (the province's are listed on 省级核定事项, without rules).
    rules = {r["group"]: r["rule"] for r in template_rows(scheme_session)
             if r["kind"] != "band" and r["rule"] and r.get("spec") is not None and r["spec"].filled_by == "被考核单位"}
    for code, rule in rules.items():
        assert any(squeeze(rule) in col for col in per_page), code


def test_what_assessors_still_owe_prints_whole(tmp_path, scheme_session):
    """with-errors has no 考核办 or 省卫健委 sheet: every input they owe is listed, the rows as tall as their lists."""
    result = score_folder(SAMPLES / "with-errors", scheme_session, DEFAULT_ROSTER)
    write_workbook(result, tmp_path / "r.xlsx", created=CREATED)
    proc = subprocess.run(["soffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless", "--convert-to",
                           "pdf", "--outdir", str(tmp_path), str(tmp_path / "r.xlsx")], capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr
    with pdfplumber.open(tmp_path / "r.pdf") as pdf:
        # The second column, top to bottom, on every page of the sheet (headed 文件 where the owed list falls).
        listed = "".join(column_text(p, "文件") for p in pdf.pages if sheet_of(p) == "提交情况")
    owed = result.owed
    for assessor in ("考核办", "省卫健委"):
        codes = list(dict.fromkeys(owed.loc[owed["assessor"] == assessor, "code"]))
        assert len(codes) > 5
        assert "、".join(codes) in listed, assessor
