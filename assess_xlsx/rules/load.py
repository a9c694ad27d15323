"""Reading the rules file: TOML into a RuleBook, every part and input checked.

`load_rules()` reads `data/rules-2022.toml` (or another year's file): for
each scoring row and each 综合加分项/重大扣分项 item, its inputs (label,
kind, bounds) and its deduction and bonus parts. What each kind of part and
input takes is said by its class (parts.py, inputs.py). The keys `rules draft`
writes on a row or item besides (`filled_by`, who fills its inputs; `status`
and `review`, the draft's verdict) are accepted and left to their readers; a
part of kind 待填写 (parts.PLACEHOLDER) is refused, naming the row and its text.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from ..errors import RuleError
from .inputs import KINDS as INPUT_TYPES
from .model import InputSpec, ItemRule, RowRule, RuleBook, ref
from .parts import _amount, build_part


def default_rules_path() -> Path:
    return Path(str(resources.files("assess_xlsx") / "data" / "rules-2022.toml"))


def load_rules(path: str | Path | None = None) -> RuleBook:
    path = Path(path) if path is not None else default_rules_path()
    data = _read(path)
    # A run reads its rules twice (to start reading the folder before the scheme,
    # then with the scheme): the same bytes give the same book, built once (15-20 ms).
    key = (str(path), data)
    book = _BOOKS.get(key)
    if book is None:
        book = build_rules(_parse(path, data), source=str(path))
        if len(_BOOKS) >= 8:
            _BOOKS.clear()
        _BOOKS[key] = book
    return book


# (path, the file's bytes) -> its RuleBook (frozen, its mappings read-only).
_BOOKS: dict[tuple[str, bytes], RuleBook] = {}


_BOM = b"\xef\xbb\xbf"
_AT = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")


def _read(path: Path) -> bytes:
    """The rules file's bytes, or a RuleError naming the file when it cannot be opened."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RuleError(f"评分规则文件 {path.name} 无法打开：{exc.strerror or exc} / "
                        f"cannot open the rules file {path.name}: {exc.strerror or exc}") from exc


def _parse(path: Path, data: bytes) -> dict:
    """The rules file's TOML (`data`, its bytes), or a RuleError naming the file in
    Chinese and English: not UTF-8 (a GBK save, a Word or Excel file), a syntax
    error with its line and column. Notepad's UTF-8 BOM is accepted."""
    name = path.name
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        raise RuleError(f"评分规则文件 {name} 是 Word 或 Excel 文件，不是评分规则（TOML 文本） / "
                        f"the rules file {name} is a Word or Excel file, not rules (TOML text)")
    try:
        text = data.removeprefix(_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RuleError(f"评分规则文件 {name} 不是 UTF-8 编码，请用记事本等另存为 UTF-8 / "
                        f"the rules file {name} is not UTF-8: save it again as UTF-8 (Notepad: 另存为, 编码 UTF-8)"
                        ) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        at = _AT.search(message)
        if at:
            line, col = at.groups()
            zh, en = f"第{line}行第{col}列", f"line {line}, column {col}"
            message = message[: at.start()]
        else:
            zh, en = "文件末尾", "the end of the file"
            message = message.replace(" (at end of document)", "")
        raise RuleError(f"评分规则文件 {name} {zh}有语法错误（{message}） / "
                        f"the rules file {name} has a syntax error at {en}: {message}") from exc


def build_rules(raw: Mapping[str, Any], source: str = "") -> RuleBook:
    meta = raw.get("scheme", {})
    inputs: dict[str, InputSpec] = {}
    rows: dict[str, RowRule] = {}
    items: dict[str, ItemRule] = {}

    for r in raw.get("row", []):
        code = _req(r, "code", "row")
        points = _amount(r["points"], code) if "points" in r else None
        specs = tuple(_input(code, i, points, r.get("filled_by", "")) for i in r.get("input", []))
        for s in specs:
            _add_input(inputs, s)
        rows[code] = RowRule(
            code=code,
            points=points,
            tertiary=r.get("tertiary", ""),
            inputs=specs,
            deduct=tuple(build_part(code, p, "deduct") for p in r.get("deduct", [])),
            bonus=tuple(build_part(code, p, "bonus") for p in r.get("bonus", [])),
            deduct_cap=_amount(r["deduct_cap"], code) if "deduct_cap" in r else None,
            bonus_cap=_amount(r["bonus_cap"], code) if "bonus_cap" in r else None,
            note=r.get("note", ""),
        )
        if rows[code].points is None and rows[code].deduct:
            raise RuleError(f"{code}: a row without points cannot deduct")

    for it in raw.get("item", []):
        code = _req(it, "code", "item")
        side = _req(it, "side", code)
        if side not in ("extra", "major"):
            raise RuleError(f"{code}: side must be extra or major, not {side!r}")
        specs = tuple(_input(code, i, filled_by=it.get("filled_by", "")) for i in it.get("input", []))
        for s in specs:
            _add_input(inputs, s)
        items[code] = ItemRule(
            code=code,
            side=side,
            name=_req(it, "name", code),
            inputs=specs,
            parts=tuple(build_part(code, p, side) for p in it.get("part", [])),
            cap=_amount(it["cap"], code) if "cap" in it else None,
        )

    book = RuleBook(
        name=meta.get("name", ""),
        year=int(meta.get("year", 0)),
        rows=MappingProxyType(rows),
        items=MappingProxyType(items),
        inputs=MappingProxyType(inputs),
        source=source,
    )
    _check_references(book)
    return book


# --------------------------------------------------------------------------- helpers

def _req(d: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in d:
        raise RuleError(f"{where}: missing {key!r}")
    return d[key]


def _add_input(inputs: dict[str, InputSpec], spec: InputSpec) -> None:
    if spec.code in inputs:
        raise RuleError(f"{spec.code}: input defined twice")
    inputs[spec.code] = spec


def _input(owner: str, raw: Mapping[str, Any], points: int | None = None, filled_by: str = "") -> InputSpec:
    iid = _req(raw, "id", owner)
    code = f"{owner}{iid}"
    kind = _req(raw, "kind", code)
    if kind not in INPUT_TYPES:
        raise RuleError(f"{code}: unknown input kind {kind!r}")
    kind_type = INPUT_TYPES[kind]
    scaled = kind_type.scaled

    def bound(key: str) -> int | None:
        if key not in raw:
            return None
        return _amount(raw[key], code) if scaled else int(raw[key])

    lo = bound("min")
    if lo is None:
        lo = kind_type.default_min
    levels = tuple(raw.get("levels", ()))
    if kind_type.needs_levels and not levels:
        raise RuleError(f"{code}: a {kind} input needs its levels")
    req = raw.get("required_if_positive")
    return InputSpec(
        code=code,
        owner=owner,
        id=iid,
        label=_req(raw, "label", code),
        kind=kind,
        min=lo,
        # A directly entered score runs from 0 to the row's points.
        max=bound("max") if "max" in raw or not kind_type.max_is_points else points,
        unit=raw.get("unit", ""),
        levels=levels,
        percent=bool(raw.get("percent", False)),
        required_if_positive=ref(owner, req) if req else None,
        # Who fills it: the input's own key, else its row's or item's (roles.py).
        filled_by=_filler(raw.get("filled_by", filled_by), code),
    )


def _filler(value: Any, code: str) -> str:
    if not isinstance(value, str):
        raise RuleError(f"{code}: filled_by must be text (被考核单位, 考核办 or a department), not {value!r}")
    return value.strip()


def _check_references(book: RuleBook) -> None:
    for rule in list(book.rows.values()) + list(book.items.values()):
        parts = (rule.deduct + rule.bonus) if isinstance(rule, RowRule) else rule.parts
        for part in parts:
            for role, ref in part.inputs.items():
                if ref not in book.inputs:
                    raise RuleError(f"{rule.code}: {part.kind} part refers to unknown input {ref}")
        for spec in rule.inputs:
            if spec.required_if_positive and spec.required_if_positive not in book.inputs:
                raise RuleError(f"{spec.code}: required_if_positive names unknown input")
