"""Validation findings as data, in the manner of frictionless-py and pandera.

A Finding is a frozen record: a stable kebab-case `code`, where it is (file,
sheet, cell), what was found (`value`) and what was expected, plus the city and
input it concerns. Its message is rendered from a per-code template, in
Chinese with the English beside it. Stages collect findings into a Report
instead of raising them one by one; tests assert on (file, cell, code).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import pandas as pd

# severity: "error" keeps the city (or scheme) from being scored; "warning" is
# reported but changes nothing; "info" records a file deliberately passed over.
ERROR, WARNING, INFO = "error", "warning", "info"

# code -> (severity, Chinese template, English template). Templates use the
# Finding's fields: {value}, {expected}, {note}, {city}, {input}, ...
MESSAGES: dict[str, tuple[str, str, str]] = {
    # scheme (the task-breakdown table)
    "scheme-unreadable": (ERROR, "考核方案文件无法读取：{note}", "cannot read the scheme table: {note}"),
    "scheme-header-missing": (ERROR, "找不到表头行（需含“{expected}”）", "no header row found (expected the columns {expected})"),
    "scheme-points-invalid": (ERROR, "赋分“{value}”不是数字", "points {value!r} are not a number"),
    "scheme-fragment-mismatch": (ERROR, "“{note}”标注{expected}分，但其下各行赋分合计为{value}分", "fragment {note!r} is labelled {expected} points but its rows sum to {value}"),
    "scheme-total-mismatch": (ERROR, "基础分合计为{value}分，应为{expected}分", "the base points total {value}, expected {expected}"),
    "scheme-rules-mismatch": (WARNING, "表格与{expected}评分规则不一致：{note}；未附加评分规则", "the table does not match the {expected} rules: {note}; no rules attached"),
    "scheme-text-disagrees": (INFO, "{input} 原文数字与评分规则不同：{note}", "{input}: the text's figure differs from the rule: {note}"),
}


@dataclass(frozen=True)
class Finding:
    code: str
    file: str = ""
    sheet: str = ""
    cell: str = ""
    value: str = ""
    expected: str = ""
    note: str = ""
    city: str = ""
    input: str = ""

    @property
    def severity(self) -> str:
        return MESSAGES[self.code][0] if self.code in MESSAGES else ERROR

    @property
    def where(self) -> str:
        """'太原市.xlsx 填报表!D12' — the place, as staff would look for it."""
        place = self.file
        if self.sheet or self.cell:
            loc = f"{self.sheet}!{self.cell}" if self.sheet and self.cell else (self.sheet or self.cell)
            place = f"{place} {loc}".strip()
        return place

    @property
    def message_zh(self) -> str:
        return _render(self, 1)

    @property
    def message_en(self) -> str:
        return _render(self, 2)

    @property
    def message(self) -> str:
        """Chinese with the English beside it, prefixed by the place."""
        text = f"{self.message_zh} / {self.message_en}"
        return f"{self.where}：{text}" if self.where else text

    def as_dict(self) -> dict[str, str]:
        d = asdict(self)
        d["severity"] = self.severity
        d["message"] = self.message
        return d


def _render(f: Finding, which: int) -> str:
    template = MESSAGES.get(f.code)
    if template is None:
        return f"{f.code}: {f.value} {f.note}".strip()
    values = {k.name: getattr(f, k.name) for k in fields(f)}
    return template[which].format(**values)


class Report:
    """An ordered collection of findings."""

    def __init__(self, findings=()):
        self.findings: list[Finding] = list(findings)

    def add(self, code: str, **kw) -> Finding:
        finding = Finding(code, **kw)
        self.findings.append(finding)
        return finding

    def extend(self, other) -> None:
        self.findings.extend(other.findings if isinstance(other, Report) else other)

    def __iter__(self):
        return iter(self.findings)

    def __len__(self) -> int:
        return len(self.findings)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == ERROR]

    @property
    def ok(self) -> bool:
        return not self.errors

    def keys(self) -> set[tuple[str, str, str]]:
        """(file, cell, code) of every finding: what tests assert on."""
        return {(f.file, f.cell, f.code) for f in self.findings}

    def to_frame(self) -> pd.DataFrame:
        cols = [f.name for f in fields(Finding)] + ["severity", "message"]
        return pd.DataFrame([f.as_dict() for f in self.findings], columns=cols)
