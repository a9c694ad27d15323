"""A whole table's draft: every row and item drafted, as a rules file and as data.

`draft_table(scheme)` drafts each scoring row's 扣分标准 and 加分标准 and each
综合加分项/重大扣分项 clause (rules/draft.py) and gives a TableDraft:

- `to_toml()`: the rules file in its own format (data/rules-2022.toml): per
  row its code, points, 三级指标, `filled_by` (who fills its inputs, from
  考核方式), `status` and `review` (why a person must look), the inputs
  (label, kind, bounds) and the parts and caps. A sentence the drafting
  could not read gets a `待填写` placeholder part the loader refuses, naming
  the row and the sentence, until someone writes the rule.
- `as_json()`: {"rows": [{"code", "status", "reasons", "inputs", "rule"}],
  "items": [...]}, `rule` in the shape `scheme --json` uses.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pandas as pd

from ..figures import fmt
from .draft import CONFIRM, RECOGNISED, UNRECOGNISED, Draft, DraftInput, RowDraft, describe, draft_item, draft_rows, part_dict
from .parts import PLACEHOLDER

STATUSES = (RECOGNISED, CONFIRM, UNRECOGNISED)
OFFICE = "考核办"
ASSESSED = "被考核单位"
_BY_PROVINCE = re.compile(r"(省[^，,；;。\s]{1,12}?)制定考核标准")


def filled_by(method: str) -> str:
    """Who fills a row's inputs, from its 考核方式: the assessed unit when it
    provides the material, the provincial office that sets the standard, else
    the assessment office (网上检查, 电话考核, 日常工作记录…)."""
    method = method or ""
    if "被考核单位提供" in method:
        return ASSESSED
    m = _BY_PROVINCE.search(method)
    return m.group(1) if m else OFFICE


@dataclass
class RowEntry:
    code: str
    points: int | None
    tertiary: str
    deduction_text: str
    bonus_text: str
    method: str
    draft: RowDraft

    @property
    def status(self) -> str:
        return self.draft.status

    @property
    def reasons(self) -> list[str]:
        return self.draft.reasons


@dataclass
class ItemEntry:
    code: str
    side: str                 # extra | major
    name: str
    text: str
    method: str
    draft: Draft

    @property
    def status(self) -> str:
        return self.draft.status

    @property
    def reasons(self) -> list[str]:
        return self.draft.reasons


@dataclass
class TableDraft:
    name: str
    year: int
    source: str
    rows: list[RowEntry]
    items: list[ItemEntry]

    def entries(self) -> list[RowEntry | ItemEntry]:
        return [*self.rows, *self.items]

    def flagged(self) -> list[RowEntry | ItemEntry]:
        """The rows and items a person must look at, in table order."""
        return [e for e in self.entries() if e.status != RECOGNISED]

    def counts(self) -> dict[str, int]:
        return {s: sum(e.status == s for e in self.entries()) for s in STATUSES}

    def as_json(self) -> dict:
        rows = [{"code": e.code, "status": e.status, "reasons": e.reasons,
                 "inputs": [_input_json(e.code, s) for s in e.draft.inputs], "rule": e.draft.rule()} for e in self.rows]
        items = [{"code": e.code, "side": e.side, "status": e.status, "reasons": e.reasons,
                  "inputs": [_input_json(e.code, s) for s in e.draft.inputs],
                  "rule": {"parts": [part_dict(p, e.side, e.code) for p in e.draft.parts],
                           "cap": None if e.draft.cap is None else fmt(e.draft.cap)}} for e in self.items]
        return {"name": self.name, "source": self.source, "counts": self.counts(), "rows": rows, "items": items}

    def to_toml(self) -> str:
        out = [HEADER, "[scheme]", f"name = {_s(self.name)}", f"year = {self.year}", ""]
        for e in self.rows:
            out += _row_toml(e)
        for e in self.items:
            out += _item_toml(e)
        return "\n".join(out) + "\n"


def draft_table(scheme) -> TableDraft:
    """Draft every row and item of a Scheme (its rules, if any, are not read)."""
    rows = []
    for rec in scheme.rows.itertuples():
        points = None if pd.isna(rec.points) else int(rec.points)
        rows.append(RowEntry(rec.code, points, rec.tertiary, rec.deduction_text, rec.bonus_text,
                             rec.method, draft_rows(rec.code, rec.deduction_text, rec.bonus_text, points, rec.method)))
    items = [ItemEntry(rec.code, rec.side, _item_name(rec.text), rec.text, rec.method, draft_item(rec.text, rec.side))
             for rec in scheme.items.itertuples()]
    year = re.search(r"(20\d\d)年", scheme.name or "")
    return TableDraft(scheme.name, int(year.group(1)) if year else 0, scheme.source, rows, items)


def plain_rule(entry: RowEntry | ItemEntry) -> str:
    """The drafted rule in plain words, for the review workbook."""
    if isinstance(entry, ItemEntry):
        return describe(entry.draft, entry.side) or "（未能拟出规则）"
    words = []
    if entry.draft.deduct.parts:
        words.append("扣分：" + describe(entry.draft.deduct, "deduct"))
    if entry.draft.bonus.parts:
        words.append("加分：" + describe(entry.draft.bonus, "bonus"))
    return "\n".join(words) or "（未能拟出规则）"


# --------------------------------------------------------------------------- TOML

HEADER = """\
# 评分规则草稿：由 `assess-xlsx rules draft` 按考核方案的原文拟出。
# A draft of the rules, made by `assess-xlsx rules draft` from the table's text.
#
# 每行的 status：已识别 / 需确认 / 未能识别；review 说明需确认的原因。
# 标为“待填写”的规则须由人按原文写出，写好前本文件不能用于评分。
# Each row's status says whether a person must look (review says why); a
# part of kind "待填写" must be replaced by the rule before the file is used.
# filled_by: who fills the row's inputs (被考核单位, the office setting the
# standard, or 考核办). The kinds are listed at the top of data/rules-2022.toml.
"""


def _row_toml(e: RowEntry) -> list[str]:
    out = [f"# ---- {e.code} {e.tertiary}", "[[row]]", f"code = {_s(e.code)}"]
    if e.points is not None:
        out.append(f"points = {_s(fmt(e.points))}")
    out += [f"tertiary = {_s(e.tertiary)}", f"filled_by = {_s(filled_by(e.method))}", f"status = {_s(e.status)}"]
    if e.reasons:
        out.append(f"review = {_s('；'.join(e.reasons))}")
    for label, text in (("扣分标准", e.deduction_text), ("加分标准", e.bonus_text)):
        if text:
            out += [f"# {label}：{line}" for line in text.splitlines() if line.strip()]
    row = e.draft
    if row.deduct.cap is not None:
        out.append(f"deduct_cap = {_s(fmt(row.deduct.cap))}")
    if row.bonus.cap is not None:
        out.append(f"bonus_cap = {_s(fmt(row.bonus.cap))}")
    out += _inputs_toml("row", row.inputs, e.points)
    for side, sentence, text in (("deduct", row.deduct, e.deduction_text), ("bonus", row.bonus, e.bonus_text)):
        out += _parts_toml(f"row.{side}", side, sentence, text)
    return out + [""]


def _item_toml(e: ItemEntry) -> list[str]:
    out = [f"# ---- {e.code} {_squash(e.text)}", "[[item]]", f"code = {_s(e.code)}", f"side = {_s(e.side)}",
           f"name = {_s(e.name)}", f"filled_by = {_s(filled_by(e.method))}", f"status = {_s(e.status)}"]
    if e.reasons:
        out.append(f"review = {_s('；'.join(e.reasons))}")
    if e.draft.cap is not None:
        out.append(f"cap = {_s(fmt(e.draft.cap))}")
    out += _inputs_toml("item", e.draft.inputs, None)
    out += _parts_toml("item.part", e.side, e.draft, e.text)
    return out + [""]


def _inputs_toml(table: str, inputs: list[DraftInput], points: int | None) -> list[str]:
    out = []
    for spec in inputs:
        out += [f"[[{table}.input]]"] + [f"{k} = {_v(v)}" for k, v in spec.as_dict().items()]
        out += [f"{k} = {_v(v)}" for k, v in _bounds(spec).items()]
    return out


def _bounds(spec: DraftInput) -> dict:
    """The bounds a drafted input gets: counts from 0, a percentage up to 100."""
    if spec.kind == "count":
        return {"min": 0}
    if spec.kind == "rank":
        return {"min": 1}
    if spec.kind == "amount":
        return {"min": "0", **({"max": "100"} if spec.percent else {})}
    return {}


def _parts_toml(table: str, side: str, sentence: Draft, text: str) -> list[str]:
    out = []
    for part in sentence.parts:
        out.append(f"[[{table}]]")
        out += [f"{k} = {_v(v)}" for k, v in part_dict(part, side).items()]
    if sentence.status == UNRECOGNISED and text:
        out += [f"[[{table}]]", f"kind = {_s(PLACEHOLDER)}", f"text = {_s(_squash(text))}"]
    return out


def _input_json(owner: str, spec: DraftInput) -> dict:
    d = {"code": owner + spec.id, **spec.as_dict(), **_bounds(spec)}
    if spec.required_if_positive:
        d["required_if_positive"] = owner + spec.required_if_positive
    return d


def _s(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(text), ensure_ascii=False)


def _v(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return _s(value)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_v(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_v(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"cannot write {value!r} as TOML")


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _item_name(text: str) -> str:
    """A short name for an item: its text up to the first 的/，."""
    head = re.split(r"的，|，|。|；", text or "", maxsplit=1)[0]
    return head[:40] or text[:40]
