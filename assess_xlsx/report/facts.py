"""The facts every sheet of the ranking and per-unit workbooks needs from a Result, computed once;
the sheet names, the title and the book.
"""

from __future__ import annotations

import re
from datetime import datetime

from .. import __version__
from ..labels import MISSING, PENDING
from ..textfit import display_width
from ..xlsx import GRADE_STYLES, Book, report_formats
from ..scoring import owed_by_unit
from .review import _owed, pending_reason


SHEETS = {
    "ranking": "总排名",
    "changes": "变更记录",
    "primary": "分项得分",
    "detail": "得分明细",
    "audit": "扣分加分依据",
    "files": "提交情况",
    "about": "说明",
    "checksums": "文件校验",
}


PER_CITY_SHEETS = {"summary": "得分情况", "audit": "扣分加分依据", "files": "提交情况"}


TRANSPOSE_AT = 60         # more units than this: 得分明细 has one row per unit instead


CHART_AT_MOST = 60        # more bars than this make no readable chart


def title_of(scheme) -> str:
    """'山西省2022年度政务公开工作考核方案重点任务分解表' -> '山西省2022年度政务公开工作考核结果'."""
    name = getattr(scheme, "name", "") or "政务公开工作考核"
    head = name.split("考核方案")[0] if "考核方案" in name else name
    return f"{head}考核结果"


def fit_width(texts, lo: float = 6, hi: float = 60) -> float:
    widest = max((display_width(t) for t in texts), default=0)
    return max(lo, min(hi, widest + 2))


def new_book(path: str, created: datetime, title: str) -> Book:
    """An xlsxwriter workbook with the house's formats, made once, and checked writes."""
    return Book(path, constant_memory=True, formats=report_formats(), properties={
        "title": title,
        "author": "assess-xlsx",
        "company": "",
        "comments": f"assess-xlsx {__version__}",
        "created": created,
    })


class Facts:
    """What every sheet needs from the result, computed once."""

    def __init__(self, result):
        self.result = result
        self.scheme = result.table
        self.cities = result.cities
        self.ranking = result.ranking
        self.scored = list(self.ranking.index)
        rows = self.scheme.rows
        self.rows = rows
        self.primaries = self.scheme.primaries
        self.secondaries = rows.drop_duplicates("secondary_code")[["secondary_code", "secondary", "primary_code"]]
        self.sec_points = rows.groupby("secondary_code", sort=False)["points"].sum(min_count=1)
        self.items = self.scheme.items
        rules = result.rules
        self.item_names = {c: (rules.items[c].name if c in rules.items else "") for c in self.items["code"]}
        self.labels = dict(zip(rows["code"], rows["tertiary"]))
        self.labels.update(self.item_names)
        self.unit_word = "城市" if all(u.endswith("市") for u in result.roster.units) else "被考核单位"
        self.findings = list(result.findings)
        self.all_files = result.files
        # Subfolders are passed over, not files: named apart, never counted.
        self.folders = [f.file for f in self.findings if f.code == "file-skipped-folder"]
        self.files = self.all_files[~self.all_files["file"].isin(self.folders)]
        self.errors_by_unit = result.findings.errors_by_unit()
        self.findings_by_unit = result.findings.by_unit()
        self.owed_by_unit = owed_by_unit(_owed(result))
        # Per unit: its files, inputs and problems, grouped once (thousands of units).
        self.files_by_unit: dict[str, list[str]] = {}
        self.counts_by_unit: dict[str, tuple[int, int]] = {}
        for name, city, n_in, n_pr in zip(self.files["file"], self.files["city"], self.files["inputs"], self.files["problems"]):
            self.files_by_unit.setdefault(city, []).append(str(name))
            a, b = self.counts_by_unit.get(city, (0, 0))
            self.counts_by_unit[city] = (a + int(n_in), b + int(n_pr))

    def reason_zh(self, unit: str) -> str:
        """Why a unit is not ranked, in the workbook's words."""
        status = self.cities.at[unit, "status"]
        if status == MISSING:
            return "未收到填报表"
        if status == PENDING:
            return pending_reason(self.owed_by_unit.get(unit, []))
        found = self.errors_by_unit.get(unit, [])
        first = f"；首个：{found[0].where}" if found else ""
        return f"填报数据有 {len(found)} 处错误，未计分（详见“{SHEETS['files']}”表）{first}"

    def unit_files(self, unit: str) -> list[str]:
        return self.files_by_unit.get(unit, [])

    def grade_index(self, grade: str) -> int:
        """0 for the best grade … 3 for the lowest (and below): the colour of a 总分."""
        names = [g for g, _ in self.result.settings.grades]
        if grade not in names:
            return len(GRADE_STYLES) - 1
        return min(names.index(grade), len(GRADE_STYLES) - 2)


def cell_key(cell: str) -> tuple[int, str]:
    m = re.match(r"([A-Z]+)(\d+)$", cell or "")
    return (int(m.group(2)), m.group(1)) if m else (0, cell or "")
