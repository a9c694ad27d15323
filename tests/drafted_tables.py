"""Tables made for the drafting tests: the 2022 table with other years' and
provinces' phrasings substituted (docs: the phrasings families of issue 16)."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from assess_xlsx.scheme import default_scheme_path

# code -> (column, new text): E = 扣分标准, F = 加分标准, C = an item's text.
SUBSTITUTED = {
    "1.2.3": ("F", "开设政务公开培训课程的，每项加0.5分，最多加1分"),
    "2.1.3": ("E", "县区政府网站未公开食品药品监管信息的，每条扣1分，扣完为止"),
    "3.2.1": ("E", "未开设市场主体政策专栏的，不得分"),
    "3.2.2": ("E", "扩大有效投资专栏未及时更新的，扣除该项分值的一半"),
    "3.2.3": ("E", "减税降费政策解读不准确的，发现一处扣0.5分，最高扣1分"),
    "3.2.4": ("E", "税收优惠政策咨询辅导情况视情况扣分"),
    "3.3.1": ("E", "每季度更新公共企事业单位信息，每少一次扣0.5分"),
    "3.3.2": ("E", "就业政策专栏本年度无任务的，可得50%"),
    "5.2.1": ("F", "政策解读材料被省政府微信公众号采纳发布的，按0.5分/篇加分，加分上限为5分"),
    "6.1.1": ("E", "未按要求及时回应政务舆情的，每条扣1分，2分扣完为止"),
}


def substituted_table(scheme, path: Path) -> Path:
    """The embedded 2022 workbook with SUBSTITUTED's texts written over its own."""
    wb = load_workbook(default_scheme_path())
    ws = wb[scheme.sheet]
    rows = scheme.rows.set_index("code")["sheet_row"]
    for code, (col, text) in SUBSTITUTED.items():
        ws[f"{col}{int(rows[code])}"] = text
    wb.save(path)
    return path
