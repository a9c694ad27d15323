"""The units assessed: configuration, not a literal in the rules.

By default the 11 prefecture-level cities of Shanxi in the official order of
their administrative codes, 太原市 the provincial capital (省会城市), whose
rules differ for 10.2 and 11.2. `read_roster(path)` reads a UTF-8 text file,
one unit per line in official order, the capital written `NAME<TAB>省会`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

CAPITAL_MARK = "省会"

DEFAULT_UNITS = (
    "太原市", "大同市", "阳泉市", "长治市", "晋城市", "朔州市",
    "晋中市", "运城市", "忻州市", "临汾市", "吕梁市",
)


class RosterError(ValueError):
    """The roster file cannot be used (unreadable, empty, duplicated unit)."""


@dataclass(frozen=True)
class Roster:
    units: tuple[str, ...]
    capitals: frozenset[str] = frozenset()
    source: str = ""

    def city_type(self, unit: str) -> str:
        """'capital' for the 省会城市, 'prefecture' for every other unit."""
        return "capital" if unit in self.capitals else "prefecture"

    def order(self, unit: str) -> int:
        return self.units.index(unit)

    def __contains__(self, unit: object) -> bool:
        return unit in self._set

    @property
    def _set(self) -> frozenset[str]:
        return frozenset(self.units)


DEFAULT_ROSTER = Roster(units=DEFAULT_UNITS, capitals=frozenset({"太原市"}), source="默认名单（山西省11个设区市）")


def read_roster(path: str | Path) -> Roster:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise RosterError(f"名单文件无法读取 / cannot read roster file {path}: {exc}") from exc
    units: list[str] = []
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
        if name in units:
            raise RosterError(f"名单第{lineno}行“{name}”重复 / line {lineno}: {name!r} listed twice")
        units.append(name)
        if mark:
            capitals.add(name)
    if not units:
        raise RosterError(f"名单文件为空 / roster file {path} lists no unit")
    return Roster(units=tuple(units), capitals=frozenset(capitals), source=str(path))
