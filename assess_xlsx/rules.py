"""The scoring rules as data: a small vocabulary of rule kinds with parameters.

`load_rules()` reads `data/rules-2022.toml` (or another year's file) into a
RuleBook: for each scoring row and each 综合加分项/重大扣分项 item, its inputs
(label, kind, bounds) and its deduction and bonus parts. Nothing here knows a
particular indicator; the scorer applies each part kind as one column
operation over all cities.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from .figures import FigureError, to_hundredths

INPUT_KINDS = ("yesno", "count", "amount", "rank", "level", "score", "text")

# Part kinds and the parameters each takes; input references are listed
# separately so they can be resolved to full codes ("3.3.8a").
PART_KINDS: dict[str, dict[str, tuple[str, ...]]] = {
    "flag": {"inputs": ("input",), "required": ("when", "amount"), "optional": ("cap",)},
    "per": {"inputs": ("input",), "required": ("unit",), "optional": ("cap",)},
    "shortfall": {"inputs": ("input",), "required": ("target", "unit"), "optional": ("cap",)},
    "rate": {"inputs": ("num", "den"), "required": ("bands", "zero"), "optional": ("invert", "cap")},
    "score": {"inputs": ("input",), "required": (), "optional": ()},
    "level": {"inputs": ("input",), "required": ("amounts",), "optional": ("cap",)},
    "threshold": {"inputs": ("input",), "required": ("at_least", "amount"), "optional": ()},
    "rank_improvement": {"inputs": ("previous", "current"), "required": ("step", "amount"), "optional": ()},
    "rank_penalty": {"inputs": ("previous", "current"), "required": ("prefecture", "capital"), "optional": ()},
}

# Which sides a kind may stand on.
PART_SIDES = {
    "flag": {"deduct", "bonus", "extra", "major"},
    "per": {"deduct", "bonus", "extra", "major"},
    "shortfall": {"deduct"},
    "rate": {"deduct"},
    "score": {"deduct"},
    "level": {"bonus", "extra"},
    "threshold": {"bonus", "extra"},
    "rank_improvement": {"extra"},
    "rank_penalty": {"major"},
}

YES, NO = "是", "否"

# Lower bounds the spec gives every input of a kind: counts and amounts are
# never negative, a rank starts at 1.
DEFAULT_MIN = {"count": 0, "amount": 0, "score": 0, "rank": 1}


class RuleError(ValueError):
    """The rules file itself is wrong (unknown kind, dangling input, bad amount)."""


@dataclass(frozen=True)
class InputSpec:
    code: str                  # "3.3.8a"
    owner: str                 # "3.3.8"
    id: str                    # "a"
    label: str
    kind: str                  # one of INPUT_KINDS
    min: int | None = None     # hundredths for amount/score, plain for count/rank
    max: int | None = None
    unit: str = ""
    levels: tuple[str, ...] = ()
    percent: bool = False
    required_if_positive: str | None = None  # full code of the amount it explains

    @property
    def scaled(self) -> bool:
        """Amounts and scores are held as hundredths, counts and ranks as is."""
        return self.kind in ("amount", "score")


@dataclass(frozen=True)
class Part:
    kind: str
    side: str                          # deduct | bonus | extra | major
    inputs: Mapping[str, str]          # role -> full input code
    params: Mapping[str, Any]          # amounts already in hundredths


@dataclass(frozen=True)
class RowRule:
    code: str
    points: int | None                 # hundredths; None for bonus-only rows
    tertiary: str
    inputs: tuple[InputSpec, ...]
    deduct: tuple[Part, ...]
    bonus: tuple[Part, ...]
    deduct_cap: int | None = None
    bonus_cap: int | None = None
    note: str = ""


@dataclass(frozen=True)
class ItemRule:
    code: str                          # "10.2"
    side: str                          # extra (综合加分项) | major (重大扣分项)
    name: str
    inputs: tuple[InputSpec, ...]
    parts: tuple[Part, ...]
    cap: int | None = None


@dataclass(frozen=True)
class RuleBook:
    name: str
    year: int
    rows: Mapping[str, RowRule]
    items: Mapping[str, ItemRule]
    inputs: Mapping[str, InputSpec] = field(default_factory=dict)
    source: str = ""

    def input(self, code: str) -> InputSpec:
        return self.inputs[code]


def default_rules_path() -> Path:
    return Path(str(resources.files("assess_xlsx") / "data" / "rules-2022.toml"))


def load_rules(path: str | Path | None = None) -> RuleBook:
    path = Path(path) if path is not None else default_rules_path()
    try:
        with open(path, "rb") as fh:
            raw = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RuleError(f"{path}: {exc}") from exc
    return build_rules(raw, source=str(path))


def build_rules(raw: Mapping[str, Any], source: str = "") -> RuleBook:
    meta = raw.get("scheme", {})
    inputs: dict[str, InputSpec] = {}
    rows: dict[str, RowRule] = {}
    items: dict[str, ItemRule] = {}

    for r in raw.get("row", []):
        code = _req(r, "code", "row")
        points = _amount(r["points"], code) if "points" in r else None
        specs = tuple(_input(code, i, points) for i in r.get("input", []))
        for s in specs:
            _add_input(inputs, s)
        rows[code] = RowRule(
            code=code,
            points=points,
            tertiary=r.get("tertiary", ""),
            inputs=specs,
            deduct=tuple(_part(code, p, "deduct") for p in r.get("deduct", [])),
            bonus=tuple(_part(code, p, "bonus") for p in r.get("bonus", [])),
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
        specs = tuple(_input(code, i) for i in it.get("input", []))
        for s in specs:
            _add_input(inputs, s)
        items[code] = ItemRule(
            code=code,
            side=side,
            name=_req(it, "name", code),
            inputs=specs,
            parts=tuple(_part(code, p, side) for p in it.get("part", [])),
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


def _amount(value: Any, where: str) -> int:
    try:
        return to_hundredths(value)
    except FigureError as exc:
        raise RuleError(f"{where}: {exc}") from exc


def _add_input(inputs: dict[str, InputSpec], spec: InputSpec) -> None:
    if spec.code in inputs:
        raise RuleError(f"{spec.code}: input defined twice")
    inputs[spec.code] = spec


def _input(owner: str, raw: Mapping[str, Any], points: int | None = None) -> InputSpec:
    iid = _req(raw, "id", owner)
    code = f"{owner}{iid}"
    kind = _req(raw, "kind", code)
    if kind not in INPUT_KINDS:
        raise RuleError(f"{code}: unknown input kind {kind!r}")
    scaled = kind in ("amount", "score")

    def bound(key: str) -> int | None:
        if key not in raw:
            return None
        return _amount(raw[key], code) if scaled else int(raw[key])

    lo = bound("min")
    if lo is None:
        lo = DEFAULT_MIN.get(kind)
    levels = tuple(raw.get("levels", ()))
    if kind == "level" and not levels:
        raise RuleError(f"{code}: a level input needs its levels")
    req = raw.get("required_if_positive")
    return InputSpec(
        code=code,
        owner=owner,
        id=iid,
        label=_req(raw, "label", code),
        kind=kind,
        min=lo,
        # A directly entered score runs from 0 to the row's points.
        max=bound("max") if "max" in raw or kind != "score" else points,
        unit=raw.get("unit", ""),
        levels=levels,
        percent=bool(raw.get("percent", False)),
        required_if_positive=_ref(owner, req) if req else None,
    )


def _ref(owner: str, ref: str) -> str:
    """'a' within row 3.3.8 -> '3.3.8a'; a full code stays as it is."""
    return ref if ref[:1].isdigit() else f"{owner}{ref}"


def _part(owner: str, raw: Mapping[str, Any], side: str) -> Part:
    kind = _req(raw, "kind", owner)
    if kind not in PART_KINDS:
        raise RuleError(f"{owner}: unknown rule kind {kind!r}")
    if side not in PART_SIDES[kind]:
        raise RuleError(f"{owner}: a {kind!r} part cannot stand on the {side} side")
    shape = PART_KINDS[kind]
    refs = {role: _ref(owner, _req(raw, role, owner)) for role in shape["inputs"]}
    allowed = set(shape["inputs"]) | set(shape["required"]) | set(shape["optional"]) | {"kind"}
    extra = set(raw) - allowed
    if extra:
        raise RuleError(f"{owner}: unknown parameter(s) {sorted(extra)} for a {kind!r} part")
    params: dict[str, Any] = {}
    for key in shape["required"] + shape["optional"]:
        if key not in raw:
            if key in shape["required"]:
                raise RuleError(f"{owner}: a {kind!r} part needs {key!r}")
            continue
        params[key] = _param(owner, kind, key, raw[key])
    return Part(kind=kind, side=side, inputs=MappingProxyType(refs), params=MappingProxyType(params))


def _param(owner: str, kind: str, key: str, value: Any) -> Any:
    if key in ("amount", "unit", "cap", "at_least"):
        return _amount(value, owner)
    if key == "when":
        if value not in (YES, NO):
            raise RuleError(f"{owner}: when must be 是 or 否, not {value!r}")
        return value == YES
    if key == "target":
        return int(value)
    if key == "amounts":
        return tuple(_amount(v, owner) for v in value)
    if key == "zero":
        if value not in ("error", "zero"):
            raise RuleError(f"{owner}: zero must be 'error' or 'zero'")
        return value
    if key == "invert":
        return bool(value)
    if key == "bands":
        return tuple(_band(owner, b) for b in value)
    if key == "step":
        return MappingProxyType({k: int(v) for k, v in value.items()})
    if key == "prefecture":
        return MappingProxyType({"over": int(value["over"]), "amount": _amount(value["amount"], owner)})
    if key == "capital":
        return MappingProxyType({"per_place": _amount(value["per_place"], owner)})
    return value


def _band(owner: str, raw: Mapping[str, Any]) -> Mapping[str, Any]:
    """A rate band: its bound as an exact fraction (numerator, denominator of 100)."""
    band: dict[str, Any] = {}
    bounds = [k for k in ("below", "upto") if k in raw]
    if len(bounds) > 1:
        raise RuleError(f"{owner}: a band has one bound, below or upto")
    if bounds:
        band["bound"] = bounds[0]
        band["limit"] = _amount(raw[bounds[0]], owner)  # hundredths of 1 = percent
    if ("per_rate" in raw) == ("fixed" in raw):
        raise RuleError(f"{owner}: a band has per_rate or fixed, not both or neither")
    if "per_rate" in raw:
        band["per_rate"] = _amount(raw["per_rate"], owner)
    else:
        band["fixed"] = _amount(raw["fixed"], owner)
    return MappingProxyType(band)


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
