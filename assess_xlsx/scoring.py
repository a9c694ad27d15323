"""Scoring every unit at once: the rules applied as column operations.

The validated inputs are pivoted to one wide table (unit × input code) of
integer numbers; each part of each rule is then one numpy operation over the
column(s) it reads, for all units together. Nothing here knows a particular
indicator: the RuleBook says which kind of part reads which input with which
parameters, and its kind's class (rules/parts.py) says what it computes.

All figures are integer hundredths (see figures.py). A rate's deduction is
rounded half-up to the hundredth once, from integers; every subtotal and
total is a plain integer sum of the rounded row figures, so each sum in the
output adds up by hand and equal totals really are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Mapping

import numpy as np
import pandas as pd

from .errors import ScoringError
from .figures import fmt
from .findings import Report
from .labels import MISSING, PENDING, REJECTED, SCORED, SIDE_ZH, verb as side_verb
from .roster import Roster
from .rules.inputs import display
from .rules.model import ItemRule, Part, RowRule, RuleBook
from .rules.parts import _capped, kind_of
from .textcol import _join, _s, _short

RANKINGS = {
    # Equal totals share a rank; "competition" skips after a tie (1, 2, 2, 4:
    # what Excel's RANK gives), "dense" does not (中国式排名 1, 2, 2, 3).
    "competition": ("min", "并列名次后跳过名次（1、2、2、4）",
                    "ties share a rank and the next rank is skipped (1, 2, 2, 4)"),
    "dense": ("dense", "中国式排名：并列名次后不跳过（1、2、2、3）",
              "Chinese ranking: ties share a rank, none skipped (1, 2, 2, 3)"),
}

DEFAULT_GRADES: tuple[tuple[str, int], ...] = (("优秀", 9000), ("良好", 7000), ("合格", 6000))
LOWEST_GRADE = "不合格"


@dataclass(frozen=True)
class Settings:
    """How ranks and grades are given; the defaults are the spec's."""

    ranking: str = "competition"
    # (grade, lowest total in hundredths), best first; below the last: LOWEST_GRADE.
    grades: tuple[tuple[str, int], ...] = DEFAULT_GRADES
    lowest_grade: str = LOWEST_GRADE

    def __post_init__(self):
        if self.ranking not in RANKINGS:
            raise ScoringError(
                f"排名方式只能是 {'/'.join(RANKINGS)}，不是“{self.ranking}” / ranking must be one of {sorted(RANKINGS)}"
            )
        bounds = [b for _, b in self.grades]
        if bounds != sorted(bounds, reverse=True):
            raise ScoringError("等次分数线须从高到低排列 / grade bands must run from the highest down")

    def grade_of(self, totals: pd.Series) -> pd.Series:
        """Grade per total (Int64 hundredths); "" where the total is NA."""
        out = pd.Series("", index=totals.index, dtype=object)
        known = totals.notna().to_numpy()
        values = totals.fillna(0).astype("int64").to_numpy()
        names = [g for g, _ in self.grades]
        conds = [values >= b for _, b in self.grades]
        graded = np.select(conds, names, default=self.lowest_grade) if conds else np.full(len(values), self.lowest_grade)
        out[known] = graded[known]
        return out

    def describe_grades(self) -> str:
        parts = [f"{g} ≥ {fmt(b)}" for g, b in self.grades]
        return "；".join(parts + [f"{self.lowest_grade} < {fmt(self.grades[-1][1])}" if self.grades else self.lowest_grade])


@dataclass(frozen=True)
class Table:
    """The scheme's table as the report shows it: plain data, not the reader's Scheme."""

    name: str
    source: str
    sheet: str
    rows: pd.DataFrame          # Scheme.rows
    primaries: pd.DataFrame     # Scheme.primaries
    items: pd.DataFrame         # Scheme.items

    @classmethod
    def of(cls, scheme, rules: RuleBook) -> "Table":
        rows = getattr(scheme, "rows", None)
        if not isinstance(rows, pd.DataFrame):   # scored from a RuleBook alone: no table to show
            empty = pd.DataFrame()
            return cls(name=rules.name, source=rules.source, sheet="", rows=empty, primaries=empty, items=empty)
        return cls(name=scheme.name, source=str(scheme.source), sheet=getattr(scheme, "sheet", ""),
                   rows=rows, primaries=scheme.primaries, items=scheme.items)


@dataclass
class Result:
    """What a run found: every figure, and what the report needs of the earlier
    stages (the table, the rules, the findings, files and values read) as plain data."""

    cities: pd.DataFrame
    rows: dict[str, pd.DataFrame]
    secondary: dict[str, pd.DataFrame]
    primary: dict[str, pd.DataFrame]
    items: pd.DataFrame
    audit: pd.DataFrame
    settings: Settings
    roster: Roster
    rules: RuleBook
    table: Table
    findings: Report            # what the reader found (Submissions.report)
    files: pd.DataFrame         # Submissions.files
    values: pd.DataFrame        # Submissions.values: every input read
    folder: str = ""
    reviews: pd.DataFrame | None = None   # Submissions.reviews: 自评 vs 核定 differences (核定 scored)
    owed: pd.DataFrame | None = None      # Submissions.owed: (assessor, input, unit) still owed

    @property
    def scored(self) -> list[str]:
        return list(self.cities.index[self.cities["status"] == SCORED])

    @property
    def ranking(self) -> pd.DataFrame:
        """The scored units in rank order (ties in roster order)."""
        done = self.cities[self.cities["status"] == SCORED]
        order = np.lexsort((np.arange(len(done)), done["rank"].astype("int64").to_numpy()))
        return done.iloc[order]


AUDIT_COLUMNS = ["city", "code", "kind", "side", "inputs", "parts", "cap", "cap_bit",
                 "amount", "result", "sentence", "sources"]


# --------------------------------------------------------------------------- inputs

@dataclass
class Inputs:
    """The scored units' inputs, wide: one int64 array per input code."""

    units: pd.Index
    numbers: Mapping[str, np.ndarray]
    texts: pd.DataFrame       # unit × code: the normalised text ("是", "2", "95.00")
    city_type: np.ndarray     # "capital" / "prefecture" per unit
    # Where each value was read, "太原市.xlsx 填报表!G12", kept as parts and made
    # only for the units an audit row names (270,000 such texts at 3,000 units
    # took 50 MB): unit × code, the (file, sheet) prefix's number and the cell.
    place_columns: Mapping[str, int]
    place_prefixes: np.ndarray    # "太原市.xlsx 填报表!" ..., then "" for no value
    place_ids: np.ndarray         # int64 unit × code
    place_cells: np.ndarray       # object unit × code: "G12", "" for no value
    _text_ids: dict = field(default_factory=dict, repr=False)

    def __getitem__(self, code: str) -> np.ndarray:
        return self.numbers[code]

    @cached_property
    def type_ids(self) -> np.ndarray:
        """Each unit's type (capital, prefecture) as a number."""
        return pd.factorize(self.city_type)[0]

    def text_ids(self, code: str) -> np.ndarray:
        """Each unit's text of `code` as a number, equal numbers for equal texts."""
        ids = self._text_ids.get(code)
        if ids is None:
            ids = self._text_ids[code] = pd.factorize(self.text(code).to_numpy(dtype=object))[0]
        return ids

    def text(self, code: str) -> pd.Series:
        return self.texts[code] if code in self.texts.columns else pd.Series("", index=self.units, dtype=object)

    def place(self, code: str, at: np.ndarray) -> np.ndarray:
        """Where `code` was read for the units at positions `at` ("" where it was not)."""
        k = self.place_columns.get(code)
        if k is None:
            return np.full(len(at), "", dtype=object)
        return self.place_prefixes[self.place_ids[at, k]] + self.place_cells[at, k]


def _wide_inputs(values: pd.DataFrame, units: list[str], rules: RuleBook, roster: Roster) -> Inputs:
    index = pd.Index(units, name="city")
    vals = values[values["city"].isin(units)]
    codes = list(rules.inputs)
    columns = pd.Index(codes, name="code")
    # Unit × code grids filled by position (a pivot per field cost a quarter of
    # scoring at 3,000 units). The values are merged already: one per unit and code.
    rows, cols = index.get_indexer(vals["city"]), columns.get_indexer(vals["code"])
    known = cols >= 0
    rows, cols, vals = rows[known], cols[known], vals[known]
    # Counted on the unit × input grid (a pass in C; a set of pairs, then a sort, cost more).
    if len(rows) and np.bincount(rows.astype(np.int64) * len(codes) + cols).max() > 1:
        raise ScoringError("内部错误：同一单位同一指标有多个值 / internal error: more than one value for a unit and input")

    number = vals["number"]
    have = np.zeros((len(index), len(codes)), dtype=bool)
    whole = np.zeros((len(index), len(codes)), dtype=np.int64)
    present = number.notna().to_numpy()
    have[rows[present], cols[present]] = True
    whole[rows[present], cols[present]] = number[present].astype("int64").to_numpy()
    numbers = {}
    for k, code in enumerate(codes):
        if not rules.inputs[code].type.number:
            continue
        # A scored unit has every non-text input (the reader rejects a unit
        # missing one), so a gap here is a broken contract, not a zero.
        if not have[:, k].all():
            raise ScoringError(f"{code}: 缺少填报值 / input missing for {list(index[~have[:, k]])}")
        numbers[code] = whole[:, k].copy()
    # "file sheet!" made once per (file, sheet): a few thousand among ~270,000 cells.
    file_ids, files = pd.factorize(vals["file"].to_numpy(dtype=object), use_na_sentinel=False)
    sheet_ids, sheets = pd.factorize(vals["sheet"].to_numpy(dtype=object), use_na_sentinel=False)
    n_sheets = max(len(sheets), 1)
    pair_ids, pairs = pd.factorize(file_ids.astype(np.int64) * n_sheets + sheet_ids)
    prefixes = np.array([f"{files[p // n_sheets]} {sheets[p % n_sheets]}!" for p in pairs.tolist()] + [""], dtype=object)
    place_ids = np.full((len(index), len(codes)), len(prefixes) - 1, dtype=np.int64)
    place_ids[rows, cols] = pair_ids
    place_cells = np.full((len(index), len(codes)), "", dtype=object)
    place_cells[rows, cols] = vals["cell"].to_numpy(dtype=object)
    texts = np.full((len(index), len(codes)), "", dtype=object)
    text = vals["text"].to_numpy(dtype=object)
    texts[rows, cols] = np.where(pd.isna(text), "", text)
    city_type = np.array([roster.city_type(u) for u in units], dtype=object)
    return Inputs(index, numbers, pd.DataFrame(texts, index=index, columns=columns), city_type,
                  {c: k for k, c in enumerate(codes)}, prefixes, place_ids, place_cells)


# --------------------------------------------------------------------------- part kinds

def part_amounts(part: Part, inp: Inputs, rules: RuleBook, points: int | None = None) -> np.ndarray:
    return np.asarray(kind_of(part).amounts(part, inp, rules, points), dtype="int64")


# --------------------------------------------------------------------------- scoring

def score(scheme, submissions, settings: Settings | None = None) -> Result:
    """Every roster unit's row scores, subtotals, total, rank and grade."""
    settings = settings or Settings()
    rules: RuleBook | None = scheme if isinstance(scheme, RuleBook) else getattr(scheme, "rules", None)
    if rules is None:
        raise ScoringError(
            "方案表与评分规则不一致，无法评分 / the scheme table does not match its rules; cannot score"
        )
    roster: Roster = submissions.roster
    rejected = set(submissions.rejected)
    missing = set(submissions.missing)
    # 待核定: an assessor still owes inputs; neither 数据有误 nor scored.
    pending = set(getattr(submissions, "pending", ()))
    units = [u for u in roster.units if u not in rejected and u not in missing and u not in pending]
    inp = _wide_inputs(submissions.values, units, rules, roster)
    index = inp.units
    n = len(units)

    row_codes = _row_order(scheme, rules)
    deduction, base, bonus = {}, {}, {}
    audit_parts: list[pd.DataFrame] = []
    for code in row_codes:
        rule = rules.rows[code]
        points = rule.points or 0
        d_parts = [part_amounts(p, inp, rules, rule.points) for p in rule.deduct]
        b_parts = [part_amounts(p, inp, rules, rule.points) for p in rule.bonus]
        d_raw = sum(d_parts, np.zeros(n, dtype="int64"))
        # A row never loses more than its stated cap, nor more than it is worth.
        d_limit = points if rule.deduct_cap is None else min(rule.deduct_cap, points)
        deduction[code] = np.minimum(d_raw, d_limit)
        base[code] = points - deduction[code]
        b_raw = sum(b_parts, np.zeros(n, dtype="int64"))
        bonus[code] = _capped(b_raw, rule.bonus_cap)
        if rule.deduct:
            audit_parts.append(_audit_row(rule, "deduct", rule.deduct, d_parts, d_raw, deduction[code],
                                          d_limit, rule.deduct_cap, inp, rules))
        if rule.bonus:
            audit_parts.append(_audit_row(rule, "bonus", rule.bonus, b_parts, b_raw, bonus[code],
                                          rule.bonus_cap, rule.bonus_cap, inp, rules))

    items = {}
    for code, item in rules.items.items():
        parts = [part_amounts(p, inp, rules) for p in item.parts]
        raw = sum(parts, np.zeros(n, dtype="int64"))
        items[code] = _capped(raw, item.cap)
        audit_parts.append(_audit_row(item, item.side, item.parts, parts, raw, items[code], item.cap, item.cap, inp, rules))

    frame = lambda d, cols: pd.DataFrame({c: d[c] for c in cols}, index=index, dtype="int64")
    rows = {
        "base": frame(base, row_codes),
        "deduction": frame(deduction, row_codes),
        "bonus": frame(bonus, row_codes),
    }
    item_frame = frame(items, list(rules.items))
    secondary_of = {c: c.rsplit(".", 1)[0] for c in row_codes}
    primary_of = {c: c.split(".", 1)[0] for c in row_codes}
    secondary = {k: rows[k].T.groupby(pd.Index([secondary_of[c] for c in row_codes]), sort=False).sum().T
                 for k in ("base", "bonus")}
    primary = {k: rows[k].T.groupby(pd.Index([primary_of[c] for c in row_codes]), sort=False).sum().T
               for k in ("base", "bonus")}
    for k in ("base", "bonus"):
        secondary[k].index.name = primary[k].index.name = "city"
    # An indicator's rank is on its whole contribution, base and bonus together.
    primary["rank"] = (primary["base"] + primary["bonus"]).apply(lambda col: _rank(col, settings), axis=0)

    extra_codes = [c for c, it in rules.items.items() if it.side == "extra"]
    major_codes = [c for c, it in rules.items.items() if it.side == "major"]
    totals = pd.DataFrame({
        "base": rows["base"].sum(axis=1),
        "bonus": rows["bonus"].sum(axis=1),
        "extra": item_frame[extra_codes].sum(axis=1),
        "major": item_frame[major_codes].sum(axis=1),
    }, index=index).astype("int64")
    totals["total"] = totals["base"] + totals["bonus"] + totals["extra"] - totals["major"]
    totals["rank"] = _rank(totals["total"], settings)

    cities = _cities(roster, totals, rejected, missing, submissions, settings, pending)
    audit = _audit_frame(audit_parts, pd.Index(roster.units).get_indexer(index), row_codes + list(rules.items))
    return Result(cities=cities, rows=rows, secondary=secondary, primary=primary, items=item_frame,
                  audit=audit, settings=settings, roster=roster, rules=rules, table=Table.of(scheme, rules),
                  findings=submissions.report, files=submissions.files, values=submissions.values,
                  folder=getattr(submissions, "folder", ""), reviews=getattr(submissions, "reviews", None),
                  owed=getattr(submissions, "owed", None))


def _row_order(scheme, rules: RuleBook) -> list[str]:
    rows = getattr(scheme, "rows", None)
    if isinstance(rows, pd.DataFrame) and "code" in rows.columns:
        return [c for c in rows["code"] if c in rules.rows]
    return list(rules.rows)


def _rank(totals: pd.Series, settings: Settings) -> pd.Series:
    """Rank on integer totals: equal totals are equal, so ties are real ties."""
    method = RANKINGS[settings.ranking][0]
    if totals.empty:
        return pd.Series(dtype="Int64", index=totals.index)
    return totals.astype("int64").rank(method=method, ascending=False).astype("int64").astype("Int64")


def _cities(roster: Roster, totals: pd.DataFrame, rejected: set, missing: set, submissions, settings: Settings,
            pending: set = frozenset()) -> pd.DataFrame:
    index = pd.Index(roster.units, name="city")
    out = pd.DataFrame(index=index)
    out["status"] = [MISSING if u in missing else REJECTED if u in rejected else PENDING if u in pending else SCORED
                     for u in roster.units]
    out["city_type"] = [roster.city_type(u) for u in roster.units]
    for col in ("base", "bonus", "extra", "major", "total", "rank"):
        out[col] = totals[col].reindex(index).astype("Int64")
    out["grade"] = settings.grade_of(out["total"])
    out["reason"] = _reasons(roster, rejected, missing, submissions, pending)
    return out


def owed_by_unit(owed: pd.DataFrame | None) -> dict[str, list[tuple[str, int]]]:
    """Per unit, (assessor, inputs it still owes) in the owed table's order;
    grouped once, since thousands of units each ask."""
    out: dict[str, list[tuple[str, int]]] = {}
    if owed is None or not len(owed):
        return out
    for (unit, assessor), n in owed.groupby(["city", "assessor"], sort=False).size().items():
        out.setdefault(unit, []).append((assessor, int(n)))
    return out


def _reasons(roster: Roster, rejected: set, missing: set, submissions, pending: set = frozenset()) -> list[str]:
    errors = submissions.report.errors_by_unit()
    owed = owed_by_unit(submissions.owed) if pending else {}
    out = []
    for unit in roster.units:
        if unit in pending and unit not in missing and unit not in rejected:
            mine = owed.get(unit, [])
            zh = "、".join(f"{a}{n}项" for a, n in mine)
            en = ", ".join(f"{a} {n}" for a, n in mine)
            out.append(f"待核定：{zh}尚未核定，未计分、未排名 / awaiting assessment: {en} input(s) still owed; not scored or ranked")
        elif unit in missing:
            out.append("未提交填报表 / no workbook received")
        elif unit in rejected:
            found = errors.get(unit, [])   # in place order: the first is the one `check` lists first
            first = found[0].message if found else ""
            more = len(found) - 1
            out.append(
                f"填报数据有 {len(found)} 处错误，未计分、未排名 / {len(found)} error(s) in the data; not scored or ranked"
                + (f"。首个 / first：{first}" if first else "")
                + (f"。另有 {more} 处，运行 assess-xlsx check 可列出全部 / {more} more: assess-xlsx check lists them all"
                   if more > 0 else "")
            )
        else:
            out.append("")
    return out


# --------------------------------------------------------------------------- the audit

# The audit's text columns: see textcol.py.

def _audit_row(rule: RowRule | ItemRule, side: str, parts: tuple[Part, ...], amounts: list[np.ndarray],
               raw: np.ndarray, final: np.ndarray, limit: int | None, stated_cap: int | None,
               inp: Inputs, rules: RuleBook) -> dict[str, np.ndarray] | None:
    """Audit records for one row (or item) and side, for the units where it counts:
    its columns (see _audit_frame) and the units' positions ("at", which orders
    them there), None where it counts for none."""
    units = np.flatnonzero(final != 0)
    if not len(units):
        return None
    codes = [c for p in parts for c in p.inputs.values()]
    codes = list(dict.fromkeys(codes + [s.code for s in rule.inputs if not s.type.number]))
    # The texts are made once for each distinct case, at one unit of it (`at`),
    # then given to every unit of the case (`back`).
    first, back = _cases(units, amounts, raw, final, codes, inp)
    at = units[first]
    points = getattr(rule, "points", None)
    sentences = []
    part_texts = []
    for part, amount in zip(parts, amounts):
        active = amount[at] != 0
        s = kind_of(part).sentence(part, amount, inp, rules, at, points)
        sentences.append(_s(np.where(active, s, "")))
        part_texts.append(_s(np.where(active, _short(amount[at]), "")))
    found = _join(sentences, "；")
    parts_text = _join(part_texts, " + ")

    bit = (raw[at] > final[at])
    cap_label = ""
    if side == "deduct":
        # A row without its own cap (or with one above its points) is capped at its points.
        cap_label = "扣分上限" if stated_cap is not None and stated_cap <= (points or 0) else "本行赋分"
    elif stated_cap is not None:
        cap_label = "加分上限"
    cap_text = f"{cap_label} {_short([limit])[0]} 分" if limit is not None else ""
    amt = _short(final[at])
    several = (np.sum([a[at] != 0 for a in amounts], axis=0) > 1) if amounts else np.zeros(len(at), bool)
    total_word = f"合计{side_verb(side)} "
    if side == "deduct":
        result = "得 " + _short(points - final[at]) + f" 分（满分 {_short([points])[0]} 分）"
    else:
        result = f"{SIDE_ZH[side]} " + amt + " 分" if side in ("extra", "major") else "加 " + amt + " 分"
    capped_text = ("合计 " + _short(raw[at]) + f" 分，超过{cap_label} {_short([limit])[0] if limit is not None else ''} 分，按 "
                   + amt + " 分计")
    tail = _s(np.where(bit, ("；" + capped_text),
                       np.where(several, ("；" + total_word + amt + " 分"), "")))
    sentence = found + tail + (("；" + result) if side == "deduct" else "")
    inputs_text = _join([_s(np.where(True, (rules.inputs[c].label + "＝" + display(inp, rules, c, at)), ""))
                         if rules.inputs[c].type.number else
                         _s(np.where(inp.text(c).to_numpy()[at] != "", (rules.inputs[c].label + "＝" + _s(inp.text(c).to_numpy()[at])), ""))
                         for c in codes], "；")
    # Where each unit's inputs were read is its own: made for every unit.
    sources = _join([_s(inp.place(c, units)) for c in codes], "；")
    n = len(units)
    return {
        "at": units,
        "city": _s(inp.units.to_numpy()[units]),
        "code": np.full(n, rule.code, dtype=object),
        "kind": np.full(n, "row" if isinstance(rule, RowRule) else "item", dtype=object),
        "side": np.full(n, side, dtype=object),
        "inputs": _s(inputs_text)[back],
        "parts": _s(parts_text)[back],
        "cap": np.full(n, cap_text, dtype=object),     # one string shared, not one a unit
        "cap_bit": raw[units] > final[units],
        "amount": final[units].astype("int64"),
        "result": _s(result)[back],
        "sentence": _s(sentence)[back],
        "sources": sources,
    }


_CASES_FROM = 128      # units in an audit row before its texts are made by case


def _cases(units: np.ndarray, amounts: list[np.ndarray], raw: np.ndarray, final: np.ndarray,
           codes: list[str], inp: Inputs) -> tuple[np.ndarray, np.ndarray]:
    """The units (positions) an audit row names, by case: everything its texts
    read alike (each part's amount, the raw and final amounts, the unit's type,
    the number and the text of every input the row names). -> (for each case the
    position in `units` of one unit of it, each unit's case). At 3,000 units a
    row's ~3,000 texts are a few dozen distinct ones (~5,700 among 184,000).
    A row of a few units is its own case each: grouping them costs more than it saves."""
    if len(units) <= _CASES_FROM:
        every = np.arange(len(units))
        return every, every
    columns = [a[units] for a in amounts] + [raw[units], final[units], inp.type_ids[units]]
    for c in codes:
        if c in inp.numbers:
            columns.append(inp.numbers[c][units])
        columns.append(inp.text_ids(c)[units])
    # One number per case, column by column, by hash (np.unique over rows sorted
    # them as bytes: three times slower); renumbered each time to stay small.
    back = np.zeros(len(units), dtype=np.int64)
    for column in columns:
        ids, distinct = pd.factorize(column)
        back = pd.factorize(back * len(distinct) + ids)[0]
    first = np.empty(back.max() + 1, dtype=np.int64)
    first[back[::-1]] = np.arange(len(units) - 1, -1, -1)     # each case's first unit: written last
    return first, back


_SIDE_ORDER = {side: k for k, side in enumerate(("deduct", "bonus", "extra", "major"))}


def _audit_frame(parts: list, place: np.ndarray, codes: list[str]) -> pd.DataFrame:
    """The audit records of every row and side as one frame, in order: by unit
    (its place in the roster, `place` by position), then by code (in `codes`),
    then by side. Built once from their columns (a frame per row and side,
    then concatenated, cost more than the records at a province's scale), the
    order from each part's unit positions and its one code and side rather than
    by looking up 184,000 texts: text columns of Python str, cap_bit bool,
    amount int64."""
    parts = [p for p in parts if p is not None]
    if not parts:
        return pd.DataFrame(columns=AUDIT_COLUMNS).astype({"cap_bit": bool, "amount": "int64"})
    rank = {code: k for k, code in enumerate(dict.fromkeys(codes))}
    key = np.concatenate([place[p["at"]].astype(np.int64) * 1_000_000
                          + rank.get(p["code"][0], len(rank)) * 10 + _SIDE_ORDER.get(p["side"][0], len(_SIDE_ORDER))
                          for p in parts])
    order = np.argsort(key, kind="stable")
    columns = {}
    for name in AUDIT_COLUMNS:
        column = np.concatenate([p[name] for p in parts])[order]
        columns[name] = column if column.dtype != object else pd.Series(column, dtype=object, copy=False)
    return pd.DataFrame(columns, columns=AUDIT_COLUMNS)
