"""The rules as frozen data: inputs, parts, rows, items and the book holding them.

Amounts, caps, units and bounds of amount/score inputs are integer hundredths;
bounds of count/rank inputs are plain integers. What a part kind or an input
kind means lives in parts.py (`parts.kind_of(part)`) and inputs.py
(`InputSpec.type`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from . import inputs as _inputs


@dataclass(frozen=True)
class InputSpec:
    code: str                  # "3.3.8a"
    owner: str                 # "3.3.8"
    id: str                    # "a"
    label: str
    kind: str                  # one of inputs.INPUT_KINDS
    min: int | None = None     # hundredths for amount/score, plain for count/rank
    max: int | None = None
    unit: str = ""
    levels: tuple[str, ...] = ()
    percent: bool = False
    required_if_positive: str | None = None  # full code of the amount it explains
    filled_by: str = ""        # roles.SELF or an assessor's name; "" until the scheme's 考核方式 decides

    @property
    def type(self):
        """The input kind (rules.inputs) that says what this input's values mean."""
        return _inputs.KINDS[self.kind]

    @property
    def scaled(self) -> bool:
        """Amounts and scores are held as hundredths, counts and ranks as is."""
        return self.type.scaled


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


def ref(owner: str, ref: str) -> str:
    """'a' within row 3.3.8 -> '3.3.8a'; a full code stays as it is."""
    return ref if ref[:1].isdigit() else f"{owner}{ref}"
