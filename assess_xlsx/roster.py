"""The units assessed: configuration, not a literal in the rules.

By default the 11 prefecture-level cities of Shanxi in the official order of
their administrative codes, 太原市 the provincial capital (省会城市), whose
rules differ for 10.2 and 11.2. `read_roster(path)` reads a UTF-8 text file,
one unit per line in official order, the capital written `NAME<TAB>省会`.

Naming a unit is matching against the roster: `match_unit` for the
被考核单位 cell, `unit_from_filename` for a file name; both cost the same for
11 units or 3,000.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

from .errors import RosterError

CAPITAL_MARK = "省会"
_WS = re.compile(r"\s+")

DEFAULT_UNITS = (
    "太原市", "大同市", "阳泉市", "长治市", "晋城市", "朔州市",
    "晋中市", "运城市", "忻州市", "临汾市", "吕梁市",
)


@dataclass(frozen=True)
class Roster:
    units: tuple[str, ...]
    capitals: frozenset[str] = frozenset()
    source: str = ""

    def city_type(self, unit: str) -> str:
        """'capital' for the 省会城市, 'prefecture' for every other unit."""
        return "capital" if unit in self.capitals else "prefecture"

    def __contains__(self, unit: object) -> bool:
        return unit in self._set

    @cached_property
    def _set(self) -> frozenset[str]:
        # Built once: a wide 核定表 asks for each of its thousands of columns.
        return frozenset(self.units)

    @cached_property
    def _names(self) -> tuple[dict[str, str], dict[str, frozenset[str]], tuple[int, ...]]:
        # Built once, kept here: every file asks twice, and a cache keyed by the
        # units would hash all 3,000 names each time.
        return _unit_names(self.units)


DEFAULT_ROSTER = Roster(units=DEFAULT_UNITS, capitals=frozenset({"太原市"}), source="默认名单（山西省11个设区市）")


def read_roster(path: str | Path) -> Roster:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"名单文件无法读取 / cannot read roster file {path}: {exc}") from exc
    units: list[str] = []
    seen: set[str] = set()      # a list's `in` made reading 3,000 names 0.08 s of every run's start
    capitals: set[str] = set()
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, mark = line.partition("\t")
        name, mark = name.strip(), mark.strip()
        if mark and mark != CAPITAL_MARK:
            raise RosterError(
                f"名单第{lineno}行标记“{mark}”无法识别，只能是“{CAPITAL_MARK}” / "
                f"line {lineno}: unknown mark {mark!r}, expected {CAPITAL_MARK!r}"
            )
        if name in seen:
            raise RosterError(f"名单第{lineno}行“{name}”重复 / line {lineno}: {name!r} listed twice")
        units.append(name)
        seen.add(name)
        if mark:
            capitals.add(name)
    if not units:
        raise RosterError(f"名单文件为空 / roster file {path} lists no unit")
    return Roster(units=tuple(units), capitals=frozenset(capitals), source=str(path))


# --------------------------------------------------------------------------- naming a unit

def _norm(text) -> str:
    text = text if type(text) is str else str(text)
    # Short texts cached: every file of a folder holds the same ~130 codes and labels.
    return _norm_short(text) if len(text) <= 64 else _norm_text(text)


def _norm_text(text: str) -> str:
    return _WS.sub("", unicodedata.normalize("NFKC", text))


_norm_short = lru_cache(maxsize=16384)(_norm_text)


def _short(unit: str) -> str:
    """'太原市' -> '太原': the name people also use for a unit."""
    for suffix in ("市", "县", "区", "州", "盟", "旗"):
        if unit.endswith(suffix) and len(unit) - len(suffix) >= 2:
            return unit[: -len(suffix)]
    return unit


def _unit_names(units: tuple[str, ...]) -> tuple[dict[str, str], dict[str, frozenset[str]], tuple[int, ...]]:
    """Built once per roster (Roster._names), so that naming a unit costs the same
    for 11 units or 3,000: name (full or short) -> the first unit in roster order so named,
    name -> every unit so named, and the lengths names have."""
    first: dict[str, str] = {}
    every: dict[str, set[str]] = {}
    for unit in units:
        for name in (unit, _short(unit)):
            first.setdefault(name, unit)
            every.setdefault(name, set()).add(unit)
    return first, {k: frozenset(v) for k, v in every.items()}, tuple(sorted({len(k) for k in every}))


def match_unit(text: str, roster: Roster) -> str | None:
    """The roster unit a 被考核单位 cell names exactly (full or short name)."""
    return roster._names[0].get(_norm(text))


def unit_from_filename(name: str, roster: Roster) -> str | None:
    """The one roster unit named in a file name ('2022太原市政务公开考核表.xlsx')."""
    stem = _norm(Path(name).stem)
    _, every, lengths = roster._names
    # Every unit whose full or short name is inside the stem: the stem's pieces
    # of the lengths names have, looked up (not every name searched for).
    found: set[str] = set()
    for n in lengths:
        for i in range(len(stem) - n + 1):
            units = every.get(stem[i:i + n])
            if units:
                found |= units
    # '晋中' inside '晋中市' is one unit; two different units is no answer.
    return found.pop() if len(found) == 1 else None
