"""Who fills each input: the unit itself (自评) or an assessor (核定).

The 2022 decision (rules-2022.toml writes `filled_by` on every row and item):
被考核单位 fills its own 自评 inputs, which 考核办 may 核定; an assessing
department (省发改委 …) fills the inputs of the rows whose 考核方式 names it;
考核办 may fill any input. A rules file without `filled_by` for a row gets
the default from the row's 考核方式 text (`default_filled_by`).
"""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType
from typing import Mapping

SELF = "被考核单位"
OFFICE = "考核办"

_DEPARTMENT = re.compile(r"省(\S+?)制定考核标准")


def default_filled_by(method: str) -> str:
    """The filler a 考核方式 text implies: evidence from the unit -> SELF; a
    department setting the standard -> that department; anything else (网上检查,
    电话考核, 抽查, 根据…) -> OFFICE, which judges it itself."""
    text = re.sub(r"\s+", "", method or "")
    if "被考核单位提供" in text:        # also 各被考核单位提供…
        return SELF
    m = _DEPARTMENT.search(text)
    if m:
        return "省" + m.group(1)
    return OFFICE


def may_fill(author: str, filled_by: str) -> bool:
    """Whether a file by `author` (SELF for a unit's own workbook, else the
    assessor's name) may give a value for an input filled by `filled_by`."""
    if author == OFFICE:
        return True
    return author == filled_by


def assessors(book) -> tuple[str, ...]:
    """考核办 and every department that fills an input, in table order."""
    seen = [OFFICE]
    for spec in book.inputs.values():
        if spec.filled_by not in (SELF, "") and spec.filled_by not in seen:
            seen.append(spec.filled_by)
    return tuple(seen)


def owed_by(spec) -> str | None:
    """The assessor that owes an input's value (None: the unit fills it)."""
    return None if spec.filled_by == SELF else spec.filled_by


def with_defaults(book, methods: Mapping[str, str]):
    """The book with `filled_by` set on every input the rules file left open,
    from the 考核方式 of its row or item (`methods`: code -> text)."""
    if all(spec.filled_by for spec in book.inputs.values()):
        return book

    def fix(spec):
        if spec.filled_by:
            return spec
        return dataclasses.replace(spec, filled_by=default_filled_by(methods.get(spec.owner, "")))

    inputs = {code: fix(spec) for code, spec in book.inputs.items()}
    rows = {c: dataclasses.replace(r, inputs=tuple(inputs[s.code] for s in r.inputs)) for c, r in book.rows.items()}
    items = {c: dataclasses.replace(i, inputs=tuple(inputs[s.code] for s in i.inputs)) for c, i in book.items.items()}
    return dataclasses.replace(book, rows=MappingProxyType(rows), items=MappingProxyType(items),
                               inputs=MappingProxyType(inputs))
