"""Scoring every unit at once: the rules applied as column operations.

The validated inputs are pivoted to one wide table (unit × input code) of
integer numbers; each part of each rule is then one numpy operation over the
column(s) it reads, for all units together. Nothing here knows a particular
indicator: the RuleBook says which kind of part reads which input with which
parameters, and `PART_SCORERS` says what each kind computes.

All figures are integer hundredths (see figures.py). A rate's deduction is
rounded half-up to the hundredth once, from integers; every subtotal and
total is a plain integer sum of the rounded row figures, so each sum in the
output adds up by hand and equal totals really are equal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping

import numpy as np
import pandas as pd

from .figures import fmt, fmt_short, round_half_up_div
from .findings import ERROR
from .roster import Roster
from .rules import ItemRule, Part, RowRule, RuleBook

SCORED, REJECTED, MISSING = "scored", "rejected", "missing"
STATUS_ZH = {SCORED: "已计分", REJECTED: "数据有误", MISSING: "未提交"}
CITY_TYPE_ZH = {"capital": "省会城市", "prefecture": "设区市"}
SIDE_ZH = {"deduct": "扣分", "bonus": "加分", "extra": "综合加分", "major": "重大扣分"}

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


class ScoringError(ValueError):
    """Scoring cannot start (a scheme without rules, an unknown setting)."""


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


@dataclass
class Result:
    cities: pd.DataFrame
    rows: dict[str, pd.DataFrame]
    secondary: dict[str, pd.DataFrame]
    primary: dict[str, pd.DataFrame]
    items: pd.DataFrame
    audit: pd.DataFrame
    settings: Settings
    scheme: object
    roster: Roster
    submissions: object = None
    rules: RuleBook | None = None

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
    places: pd.DataFrame      # unit × code: "太原市.xlsx 填报表!G12"
    city_type: np.ndarray     # "capital" / "prefecture" per unit

    def __getitem__(self, code: str) -> np.ndarray:
        return self.numbers[code]

    def text(self, code: str) -> pd.Series:
        return self.texts[code] if code in self.texts.columns else pd.Series("", index=self.units, dtype=object)

    def place(self, code: str) -> pd.Series:
        return self.places[code] if code in self.places.columns else pd.Series("", index=self.units, dtype=object)


def _wide_inputs(values: pd.DataFrame, units: list[str], rules: RuleBook, roster: Roster) -> Inputs:
    index = pd.Index(units, name="city")
    vals = values[values["city"].isin(units)]
    codes = list(rules.inputs)
    number = vals.pivot(index="city", columns="code", values="number").reindex(index=index, columns=codes)
    text = vals.pivot(index="city", columns="code", values="text").reindex(index=index, columns=codes)
    place = (vals["file"] + " " + vals["sheet"] + "!" + vals["cell"]).rename("place")
    places = vals.assign(place=place).pivot(index="city", columns="code", values="place").reindex(index=index, columns=codes)
    numbers = {}
    for code in codes:
        col = number[code]
        if rules.inputs[code].kind == "text":
            continue
        # A scored unit has every non-text input (the reader rejects a unit
        # missing one), so a NA here is a broken contract, not a zero.
        if col.isna().any():
            raise ScoringError(f"{code}: 缺少填报值 / input missing for {list(col.index[col.isna()])}")
        numbers[code] = col.astype("int64").to_numpy()
    city_type = np.array([roster.city_type(u) for u in units], dtype=object)
    return Inputs(index, numbers, text.astype(object).fillna(""), places.astype(object).fillna(""), city_type)


# --------------------------------------------------------------------------- part kinds

def _capped(amount: np.ndarray, cap: int | None) -> np.ndarray:
    return amount if cap is None else np.minimum(amount, cap)


def _value_times(x: np.ndarray, unit: int, scaled: bool) -> np.ndarray:
    """x × unit in hundredths; x itself in hundredths when the input is scaled."""
    return round_half_up_div(x * unit, 100) if scaled else x * unit


def _flag(part: Part, inp: Inputs, rules: RuleBook, points: int | None) -> np.ndarray:
    x = inp[part.inputs["input"]]
    hit = x == (1 if part.params["when"] else 0)
    return _capped(np.where(hit, part.params["amount"], 0), part.params.get("cap"))


def _per(part: Part, inp: Inputs, rules: RuleBook, points: int | None) -> np.ndarray:
    code = part.inputs["input"]
    amount = _value_times(inp[code], part.params["unit"], rules.inputs[code].scaled)
    return _capped(amount, part.params.get("cap"))


def _shortfall(part: Part, inp: Inputs, rules: RuleBook, points: int | None) -> np.ndarray:
    short = np.maximum(0, part.params["target"] - inp[part.inputs["input"]])
    return _capped(short * part.params["unit"], part.params.get("cap"))


def _rate_terms(part: Part, inp: Inputs) -> tuple[np.ndarray, np.ndarray]:
    num, den = inp[part.inputs["num"]], inp[part.inputs["den"]]
    if part.params.get("invert"):
        num = den - num
    # zero = "zero": no denominator means a rate of 0 (3.3.11, no repairs).
    # zero = "error": the reader has already rejected such a unit.
    zero = den == 0
    return np.where(zero, 0, num), np.where(zero, 1, den)


def _rate_band(part: Part, num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Index of the band each unit's rate falls in, compared exactly as integers."""
    conds = []
    for band in part.params["bands"]:
        if "bound" not in band:
            conds.append(np.ones(len(num), dtype=bool))
        elif band["bound"] == "below":       # r < limit/100
            conds.append(num * 100 < band["limit"] * den)
        else:                                # upto: r ≤ limit/100
            conds.append(num * 100 <= band["limit"] * den)
    # A rate past every bounded band with no open band deducts nothing.
    return np.select(conds, list(range(len(conds))), default=-1)


def _rate(part: Part, inp: Inputs, rules: RuleBook, points: int | None) -> np.ndarray:
    num, den = _rate_terms(part, inp)
    band = _rate_band(part, num, den)
    amount = np.zeros(len(num), dtype="int64")
    for k, b in enumerate(part.params["bands"]):
        here = band == k
        value = round_half_up_div(num * b["per_rate"], den) if "per_rate" in b else np.full(len(num), b["fixed"])
        amount = np.where(here, value, amount)
    return _capped(amount, part.params.get("cap"))


def _score(part: Part, inp: Inputs, rules: RuleBook, points: int | None) -> np.ndarray:
    return points - inp[part.inputs["input"]]


def _level(part: Part, inp: Inputs, rules: RuleBook, points: int | None) -> np.ndarray:
    amounts = np.asarray(part.params["amounts"], dtype="int64")
    return _capped(amounts[inp[part.inputs["input"]]], part.params.get("cap"))


def _threshold(part: Part, inp: Inputs, rules: RuleBook, points: int | None) -> np.ndarray:
    code = part.inputs["input"]
    x = inp[code] if rules.inputs[code].scaled else inp[code] * 100
    return np.where(x >= part.params["at_least"], part.params["amount"], 0)


def _rank_improvement(part: Part, inp: Inputs, rules: RuleBook, points: int | None) -> np.ndarray:
    gain = inp[part.inputs["previous"]] - inp[part.inputs["current"]]
    step = np.where(inp.city_type == "capital", part.params["step"]["capital"], part.params["step"]["prefecture"])
    return np.where(gain > 0, (np.maximum(gain, 0) // step) * part.params["amount"], 0)


def _rank_penalty(part: Part, inp: Inputs, rules: RuleBook, points: int | None) -> np.ndarray:
    prev, cur = inp[part.inputs["previous"]], inp[part.inputs["current"]]
    pref, cap = part.params["prefecture"], part.params["capital"]
    prefecture = np.where(cur > pref["over"], pref["amount"], 0)
    capital = np.maximum(cur - prev, 0) * cap["per_place"]
    return np.where(inp.city_type == "capital", capital, prefecture)


PART_SCORERS: dict[str, Callable[[Part, Inputs, RuleBook, int | None], np.ndarray]] = {
    "flag": _flag, "per": _per, "shortfall": _shortfall, "rate": _rate, "score": _score,
    "level": _level, "threshold": _threshold, "rank_improvement": _rank_improvement,
    "rank_penalty": _rank_penalty,
}


def part_amounts(part: Part, inp: Inputs, rules: RuleBook, points: int | None = None) -> np.ndarray:
    return np.asarray(PART_SCORERS[part.kind](part, inp, rules, points), dtype="int64")


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
    units = [u for u in roster.units if u not in rejected and u not in missing]
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

    cities = _cities(roster, totals, rejected, missing, submissions, settings)
    audit = pd.concat(audit_parts, ignore_index=True) if audit_parts else pd.DataFrame(columns=AUDIT_COLUMNS)
    audit = _order_audit(audit, roster, row_codes + list(rules.items))
    return Result(cities=cities, rows=rows, secondary=secondary, primary=primary, items=item_frame,
                  audit=audit, settings=settings, scheme=scheme, roster=roster,
                  submissions=submissions, rules=rules)


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


def _cities(roster: Roster, totals: pd.DataFrame, rejected: set, missing: set, submissions, settings: Settings) -> pd.DataFrame:
    index = pd.Index(roster.units, name="city")
    out = pd.DataFrame(index=index)
    out["status"] = [MISSING if u in missing else REJECTED if u in rejected else SCORED for u in roster.units]
    out["city_type"] = [roster.city_type(u) for u in roster.units]
    for col in ("base", "bonus", "extra", "major", "total", "rank"):
        out[col] = totals[col].reindex(index).astype("Int64")
    out["grade"] = settings.grade_of(out["total"])
    out["reason"] = _reasons(roster, rejected, missing, submissions)
    return out


def _reasons(roster: Roster, rejected: set, missing: set, submissions) -> list[str]:
    errors: dict[str, list] = {}
    for f in submissions.report:
        if f.severity == ERROR and f.city:
            errors.setdefault(f.city, []).append(f)
    out = []
    for unit in roster.units:
        if unit in missing:
            out.append("未提交填报表 / no workbook received")
        elif unit in rejected:
            found = errors.get(unit, [])
            first = found[0].message if found else ""
            out.append(
                f"填报数据有 {len(found)} 处错误，未计分、未排名 / {len(found)} error(s) in the data; not scored or ranked"
                + (f"。首个 / first：{first}" if first else "")
            )
        else:
            out.append("")
    return out


# --------------------------------------------------------------------------- the audit

# The audit's text columns are numpy object arrays of str: `+` on them joins
# element-wise as Series would, without pandas' per-operation overhead (a
# run builds ~1,500 such columns, mostly of a handful of units).

def _short(h) -> np.ndarray:
    """Hundredths as the short text read aloud, vectorised: 150 -> '1.5', 200 -> '2'."""
    return _s([fmt_short(x) for x in np.asarray(h, dtype="int64").tolist()])


def _pct(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den as a percentage with two decimals, rounded half-up: '33.33%'."""
    hp = round_half_up_div(num * 10000, den)
    return _s([f"{v // 100}.{v % 100:02d}%" for v in np.asarray(hp, dtype="int64").tolist()])


def _s(values) -> np.ndarray:
    """A text column: a 1-D object array (a str becomes a column of one)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values) if not isinstance(values, np.ndarray) else values
    return out


def _txt(values) -> np.ndarray:
    """Numbers (or anything) as a text column."""
    return _s([str(v) for v in np.asarray(values).tolist()])


def _where(cond, a, b) -> np.ndarray:
    """np.where that keeps a text column a text column."""
    return _s(np.where(cond, np.asarray(a, dtype=object), np.asarray(b, dtype=object)))


def _value_text(inp: Inputs, rules: RuleBook, code: str, at: np.ndarray) -> np.ndarray:
    spec = rules.inputs[code]
    text = _s(inp.text(code).to_numpy()[at])
    unit = "%" if spec.percent else (spec.unit if spec.kind in ("count", "amount", "score") else "")
    if spec.kind == "count" or spec.kind == "rank":
        text = _txt(inp[code][at])
    elif spec.kind in ("amount", "score"):
        text = _short(inp[code][at])
    return text + (" " + unit if unit and unit != "%" else unit)


def _part_sentence(part: Part, amount: np.ndarray, inp: Inputs, rules: RuleBook, at: np.ndarray,
                   points: int | None) -> np.ndarray:
    """What one part found and what it is worth, for the units at `at`."""
    p = part.params
    verb = "扣" if part.side in ("deduct", "major") else "加"
    amt = _short(amount[at])
    if part.kind == "flag":
        code = part.inputs["input"]
        return rules.inputs[code].label + "：" + _s(inp.text(code).to_numpy()[at]) + f"，{verb} " + amt + " 分"
    if part.kind in ("per", "shortfall"):
        code = part.inputs["input"]
        spec = rules.inputs[code]
        x = inp[code][at]
        found = spec.label + " " + _value_text(inp, rules, code, at)
        if spec.scaled:
            # An amount typed in 分 counts as itself (10.6, 11.7).
            return found + f"，{verb} " + amt + " 分"
        if part.kind == "shortfall":
            x = np.maximum(0, p["target"] - x)
            found = found + f"，应不少于 {p['target']} {spec.unit}，差 " + _txt(x) + f" {spec.unit}"
        else:
            found = spec.label
            found = found + " " + _txt(x) + f" {spec.unit}"
        full = found + f" × {_short([p['unit']])[0]} 分 = " + _short(x * p["unit"]) + " 分"
        if "cap" in p:
            over = x * p["unit"] > p["cap"]
            note = f"，本项上限 {_short([p['cap']])[0]} 分，计 " + amt + " 分"
            full = full + _s(np.where(over, note, ""))
        return full
    if part.kind == "rate":
        num_c, den_c = part.inputs["num"], part.inputs["den"]
        num, den = _rate_terms(part, inp)
        band = _rate_band(part, num, den)[at]
        head = (rules.inputs[num_c].label + " " + _txt(inp[num_c][at]) + f" {rules.inputs[num_c].unit} / "
                + rules.inputs[den_c].label + " " + _txt(inp[den_c][at]) + f" {rules.inputs[den_c].unit}")
        name = "不合规率" if p.get("invert") else "比率"
        out = head + f"，{name} " + _pct(num[at], den[at])
        tails, previous = [], None
        for b in p["bands"]:
            conds = []
            if previous is not None:
                conds.append(("不低于" if previous["bound"] == "below" else "超过") + f" {previous['limit']}%")
            if "bound" in b:
                conds.append(("低于" if b["bound"] == "below" else "不超过") + f" {b['limit']}%")
            cond = f"（{'且'.join(conds)}）" if conds and len(p["bands"]) > 1 else ""
            if "per_rate" in b:
                tails.append((cond + f" × {_short([b['per_rate']])[0]} 分 = " + amt + " 分"))
            else:
                tails.append((cond + f"，{verb} " + amt + " 分"))
            previous = b if "bound" in b else previous
        out = out + _s(np.select([band == k for k in range(len(tails))], tails, default=""))
        if p.get("zero") == "zero":
            zero = inp[den_c][at] == 0
            out = _s(np.where(zero, (head + "，总量为 0，比率按 0 计"), out))
        return out
    if part.kind == "score":
        code = part.inputs["input"]
        return (rules.inputs[code].label + " " + _short(inp[code][at]) + f" 分（满分 {_short([points])[0]} 分），扣 " + amt + " 分")
    if part.kind == "level":
        code = part.inputs["input"]
        return rules.inputs[code].label + "：" + _s(inp.text(code).to_numpy()[at]) + f"，{verb} " + amt + " 分"
    if part.kind == "threshold":
        code = part.inputs["input"]
        unit = "%" if rules.inputs[code].percent else rules.inputs[code].unit
        at_least = _short([p["at_least"]])[0]
        return (rules.inputs[code].label + " " + _value_text(inp, rules, code, at) +
                f"，达到 {at_least}{unit}，{verb} " + amt + " 分")
    if part.kind == "rank_improvement":
        prev, cur = inp[part.inputs["previous"]][at], inp[part.inputs["current"]][at]
        step = np.where(inp.city_type[at] == "capital", p["step"]["capital"], p["step"]["prefecture"])
        kind = _s(np.where(inp.city_type[at] == "capital", "省会城市", "设区市"))
        return ("排名由第 " + _txt(prev) + " 名升至第 " + _txt(cur) + " 名，提升 " +
                _txt(prev - cur) + " 名；" + kind + "每提升 " + _txt(step) +
                f" 名加 {_short([p['amount']])[0]} 分，{verb} " + amt + " 分")
    if part.kind == "rank_penalty":
        prev, cur = inp[part.inputs["previous"]][at], inp[part.inputs["current"]][at]
        capital = inp.city_type[at] == "capital"
        over = p["prefecture"]["over"]
        cap_text = ("省会城市排名由第 " + _txt(prev) + " 名降至第 " + _txt(cur) + " 名，下降 " +
                    _txt(cur - prev) + f" 名 × {_short([p['capital']['per_place']])[0]} 分 = " + amt + " 分")
        pref_text = "本年度排名第 " + _txt(cur) + f" 名，在第 {over} 名之后，{verb} " + amt + " 分"
        return _s(np.where(capital, cap_text, pref_text))
    raise ScoringError(f"unknown part kind {part.kind}")


def _audit_row(rule: RowRule | ItemRule, side: str, parts: tuple[Part, ...], amounts: list[np.ndarray],
               raw: np.ndarray, final: np.ndarray, limit: int | None, stated_cap: int | None,
               inp: Inputs, rules: RuleBook) -> pd.DataFrame:
    """Audit records for one row (or item) and side, for the units where it counts."""
    at = np.flatnonzero(final != 0)
    if not len(at):
        return pd.DataFrame(columns=AUDIT_COLUMNS)
    points = getattr(rule, "points", None)
    verb = "扣" if side in ("deduct", "major") else "加"
    sentences = []
    part_texts = []
    for part, amount in zip(parts, amounts):
        active = amount[at] != 0
        s = _part_sentence(part, amount, inp, rules, at, points)
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
    cap_col = _s(np.full(len(at), cap_text))
    amt = _short(final[at])
    several = (np.sum([a[at] != 0 for a in amounts], axis=0) > 1) if amounts else np.zeros(len(at), bool)
    total_word = "合计扣 " if side in ("deduct", "major") else "合计加 "
    if side == "deduct":
        result = "得 " + _short(points - final[at]) + f" 分（满分 {_short([points])[0]} 分）"
    else:
        result = f"{SIDE_ZH[side]} " + amt + " 分" if side in ("extra", "major") else "加 " + amt + " 分"
    capped_text = ("合计 " + _short(raw[at]) + f" 分，超过{cap_label} {_short([limit])[0] if limit is not None else ''} 分，按 "
                   + amt + " 分计")
    tail = _s(np.where(bit, ("；" + capped_text),
                       np.where(several, ("；" + total_word + amt + " 分"), "")))
    sentence = found + tail + (("；" + result) if side == "deduct" else "")
    codes = [c for p in parts for c in p.inputs.values()]
    codes = list(dict.fromkeys(codes + [s.code for s in rule.inputs if s.kind == "text"]))
    inputs_text = _join([_s(np.where(True, (rules.inputs[c].label + "＝" + _value_text(inp, rules, c, at)), ""))
                         if rules.inputs[c].kind != "text" else
                         _s(np.where(inp.text(c).to_numpy()[at] != "", (rules.inputs[c].label + "＝" + _s(inp.text(c).to_numpy()[at])), ""))
                         for c in codes], "；")
    sources = _join([_s(inp.place(c).to_numpy()[at]) for c in codes], "；")
    return pd.DataFrame({
        "city": _s(inp.units.to_numpy()[at]),
        "code": rule.code,
        "kind": "row" if isinstance(rule, RowRule) else "item",
        "side": side,
        "inputs": inputs_text,
        "parts": parts_text,
        "cap": cap_col,
        "cap_bit": bit,
        "amount": final[at].astype("int64"),
        "result": result,
        "sentence": sentence,
        "sources": sources,
    }, columns=AUDIT_COLUMNS)


def _join(columns: list[np.ndarray], sep: str) -> np.ndarray:
    """Join text columns element-wise, skipping empty pieces."""
    if not columns:
        return _s([])
    out = columns[0]
    for col in columns[1:]:
        both = (out != "") & (col != "")
        out = out + _s(np.where(both, sep, "")) + col
    return out


def _order_audit(audit: pd.DataFrame, roster: Roster, codes: list[str]) -> pd.DataFrame:
    if audit.empty:
        return pd.DataFrame(columns=AUDIT_COLUMNS).astype({"cap_bit": bool, "amount": "int64"})
    unit_order = {u: k for k, u in enumerate(roster.units)}
    code_order = {c: k for k, c in enumerate(codes)}
    side_order = {"deduct": 0, "bonus": 1, "extra": 2, "major": 3}
    key = (audit["city"].map(unit_order) * 1_000_000 + audit["code"].map(code_order) * 10
           + audit["side"].map(side_order))
    out = audit.assign(_k=key.to_numpy()).sort_values("_k", kind="stable").drop(columns="_k").reset_index(drop=True)
    out["amount"] = out["amount"].astype("int64")
    out["cap_bit"] = out["cap_bit"].astype(bool)
    return out


# --------------------------------------------------------------------------- JSON

def result_as_dict(result: Result) -> dict:
    """The result as plain data, figures as strings with two decimals."""
    scheme = result.scheme
    name = getattr(getattr(scheme, "rules", None), "name", "") or getattr(result.rules, "name", "")
    primaries = getattr(scheme, "primaries", None)
    primary_name = {}
    if isinstance(primaries, pd.DataFrame):
        primary_name = dict(zip(primaries["code"].astype(str), primaries["name"]))
    problems_by_city: dict[str, list] = {}
    sub = result.submissions
    if sub is not None:
        for f in sub.report:
            if f.severity == ERROR and f.city:
                problems_by_city.setdefault(f.city, []).append(f)
    cities = []
    for unit, rec in result.cities.iterrows():
        if rec["status"] != SCORED:
            entry = {"city": unit, "status": rec["status"], "reason": rec["reason"]}
            if rec["status"] == REJECTED:
                entry["problems"] = [
                    {"code": f.code, "file": f.file, "sheet": f.sheet, "cell": f.cell, "value": f.value,
                     "input": f.input, "message": f.message}
                    for f in problems_by_city.get(unit, [])
                ]
            cities.append(entry)
            continue
        prim = {}
        for code in result.primary["base"].columns:
            prim[primary_name.get(code, code)] = {
                "code": code,
                "base": fmt(result.primary["base"].at[unit, code]),
                "bonus": fmt(result.primary["bonus"].at[unit, code]),
                "rank": int(result.primary["rank"].at[unit, code]),
            }
        cities.append({
            "city": unit, "status": SCORED, "city_type": rec["city_type"], "rank": int(rec["rank"]),
            "total": fmt(rec["total"]), "grade": rec["grade"], "base": fmt(rec["base"]),
            "bonus": fmt(rec["bonus"]), "extra": fmt(rec["extra"]), "major": fmt(rec["major"]),
            "primary": prim,
            "rows": {code: {"base": fmt(result.rows["base"].at[unit, code]),
                            "bonus": fmt(result.rows["bonus"].at[unit, code]),
                            "deduction": fmt(result.rows["deduction"].at[unit, code])}
                     for code in result.rows["base"].columns},
            "items": {code: fmt(result.items.at[unit, code]) for code in result.items.columns},
        })
    return {
        "scheme": name,
        "ranking": result.settings.ranking,
        "grades": [{"grade": g, "at_least": fmt(b)} for g, b in result.settings.grades],
        "cities": cities,
    }
