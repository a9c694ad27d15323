"""Each part kind once: a rule part's parameters, computation, sentence, figures and phrasings.

A rule (a scoring row's deduction or bonus, an item) is a sum of parts; each
part has a kind. One class per kind owns everything the program knows about
it:

- `roles`, `required`, `optional`, `sides`: the inputs it reads, the
  parameters it takes (each parsed and checked by a Param, which also writes
  it back as in the rules file) and the sides it may stand on;
- `amounts`: what it computes, as one numpy operation over all units;
- `sentence`: what it found and what that is worth, read out to a unit;
- `figures`: its amounts in the terms of the text cross-check (crosscheck.py);
- `phrasings`: the text patterns of the table's 扣分标准/加分标准 that
  produce it. Adding a phrasing is one Phrasing in one class's tuple.

Adding a kind means adding one class and listing it in KINDS. Nothing
outside this module names a part kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping

from ..errors import FigureError, RuleError
from ..figures import fmt, fmt_short, round_half_up_div, to_hundredths
from ..labels import CITY_TYPE_ZH, NO, YES, verb as _verb
from ..lazy import lazy
from ..textcol import _pct, _s, _short, _txt
from .inputs import display
from .model import Part, ref

# numpy at first use: a reading worker loads the rules, never numpy (lazy.py).
np = lazy("numpy", __name__, "np")


# --------------------------------------------------------------------------- parameters

def _amount(value: Any, where: str) -> int:
    try:
        return to_hundredths(value)
    except FigureError as exc:
        raise RuleError(f"{where}: {exc}") from exc


@dataclass(frozen=True)
class Param:
    """How one parameter is read from the rules file (checked; amounts to
    hundredths) and written back as it stands there (amounts as "0.50")."""
    parse: Callable[[str, Any], Any]     # (owner, raw value) -> value
    dump: Callable[[Any], Any] = lambda v: v


def _when(owner: str, value: Any) -> bool:
    if value not in (YES, NO):
        raise RuleError(f"{owner}: when must be 是 or 否, not {value!r}")
    return value == YES


def _zero(owner: str, value: Any) -> str:
    if value not in ("error", "zero"):
        raise RuleError(f"{owner}: zero must be 'error' or 'zero'")
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


def _band_as_dict(band) -> dict:
    d = {}
    if "bound" in band:
        d[band["bound"]] = fmt(band["limit"])
    for key in ("per_rate", "fixed"):
        if key in band:
            d[key] = fmt(band[key])
    return d


AMOUNT = Param(lambda owner, v: _amount(v, owner), fmt)
WHEN = Param(_when, lambda v: YES if v else NO)
WHOLE = Param(lambda owner, v: int(v))
AMOUNTS = Param(lambda owner, v: tuple(_amount(x, owner) for x in v), lambda v: [fmt(x) for x in v])
ZERO = Param(_zero)
BOOL = Param(lambda owner, v: bool(v))
BANDS = Param(lambda owner, v: tuple(_band(owner, b) for b in v), lambda v: [_band_as_dict(b) for b in v])
STEP = Param(lambda owner, v: MappingProxyType({k: int(x) for k, x in v.items()}), dict)
PREFECTURE = Param(lambda owner, v: MappingProxyType({"over": int(v["over"]), "amount": _amount(v["amount"], owner)}),
                   lambda v: {"over": v["over"], "amount": fmt(v["amount"])})
CAPITAL = Param(lambda owner, v: MappingProxyType({"per_place": _amount(v["per_place"], owner)}),
                lambda v: {"per_place": fmt(v["per_place"])})


# --------------------------------------------------------------------------- text figures and phrasings

@dataclass(frozen=True)
class Figure:
    """One figure in the text or in the rules."""
    kind: str          # a part kind's name, or cap | row_cap
    amount: int        # hundredths
    show: str          # how it reads: the text snippet or the rule in spec notation


N = r"(\d+(?:\.\d+)?)"
AMT = r"(?P<amount>\d+(?:\.\d+)?)"     # the figure a phrasing gives: 分, or a rate's multiplier
UNIT = r"(个县|个市|个|件|起|家|处|项|次|期|篇|条|例|领域|份|名)"
ONE = r"(?:一|1)"
_VERB = r"(?P<verb>扣|加)"


@dataclass(frozen=True)
class Phrasing:
    """One way the table's text writes a part (or a cap): `name` says it in the
    scheme's words ("发现一件，扣N分"), `pattern` finds it. `role` is what a
    match gives: "amount" (a part with the figure in group `amount`),
    "points" (a flag worth a share of the row's points: no figure), "definition"
    (a rate's numerator and denominator), "band" (a rate band's fixed amount),
    "cap", "no_cap". The text cross-check (crosscheck.py) reads the amounts
    of the phrasings with a `figure` (the kind it compares that figure as);
    the drafting engine (rules/draft.py) reads them all. `show`: "clause"
    quotes the clause around the figure, "match" the match itself. `general`:
    a catch-all (…扣N分), tried after every other phrasing."""
    name: str
    pattern: re.Pattern
    role: str = "amount"
    figure: str | None = None
    show: str = "clause"
    general: bool = False

    def side_of(self, m: re.Match) -> str:
        """deduct or bonus, by the verb of the match (扣/减 or 加)."""
        verb = m.groupdict().get("verb") or ""
        return "bonus" if "加" in verb else "deduct"


# Caps: a parameter every part kind may take, and the row's.
CAPS = (
    Phrasing("扣分上限为N分", re.compile(r"(?P<scope>总|合计|以上\S{0,4}?|[两二三四五]项|规范性和时效性两项)?"
                                        r"(?P<verb>扣分|加分)上限(?:为|是)?" + AMT + "分"), role="cap"),
    Phrasing("最多扣N分", re.compile(r"(?P<verb>最多扣|最高扣|最多加|最高加)" + AMT + "分"), role="cap"),
    Phrasing("N分扣完为止", re.compile(AMT + r"\s*分扣完为止"), role="cap"),
    Phrasing("扣完为止", re.compile(r"扣完为止"), role="no_cap"),
)


# --------------------------------------------------------------------------- the kinds

def _capped(amount: np.ndarray, cap: int | None) -> np.ndarray:
    return amount if cap is None else np.minimum(amount, cap)


def _value_times(x: np.ndarray, unit: int, scaled: bool) -> np.ndarray:
    """x × unit in hundredths; x itself in hundredths when the input is scaled."""
    return round_half_up_div(x * unit, 100) if scaled else x * unit


class PartKind:
    """What one kind of rule part means; one subclass per kind, below."""

    name = ""
    roles: tuple[str, ...] = ("input",)        # the inputs it reads, by role
    required: Mapping[str, Param] = {}         # parameters, in the order they are kept
    optional: Mapping[str, Param] = {}
    sides: frozenset[str] = frozenset()        # deduct | bonus | extra | major
    phrasings: tuple[Phrasing, ...] = ()
    reading_zh = ""        # how the cross-check says the text or a rule reads a figure of this kind
    once = False           # a fixed amount once (the text may then deduct more than the row is worth)

    def params(self) -> dict[str, Param]:
        return {**self.required, **self.optional}

    def amounts(self, part: Part, inp, rules, points: int | None) -> np.ndarray:
        """The part's amount for every unit of `inp`, in hundredths."""
        raise NotImplementedError

    def sentence(self, part: Part, amount: np.ndarray, inp, rules, at: np.ndarray, points: int | None) -> np.ndarray:
        """What the part found and what it is worth, for the units at `at`."""
        raise NotImplementedError

    def figures(self, part: Part, ids: Mapping[str, str]) -> list[Figure]:
        """The part's amounts as the text cross-check compares them (`ids`: role -> input letter)."""
        return []

    def ratio(self, part: Part) -> tuple[str, str, bool] | None:
        """(numerator, denominator, zero denominator is an error) of a part that
        reads two inputs as a rate: the reader checks them against each other."""
        return None

    def says(self, verb: str, amount: int) -> str:
        """A figure of this kind as the cross-check quotes it: 扣2分."""
        return f"{verb}{fmt_short(amount)}分"

    def plain(self, part: Part) -> str:
        """The part in plain words, for a clerk checking a drafted rule: 每件扣0.5分，最多扣2分."""
        return self.name

    def _cap_words(self, part: Part) -> str:
        cap = part.params.get("cap")
        return "" if cap is None else f"，最多{_verb(part.side)}{fmt_short(cap)}分"

    def as_dict(self, part: Part) -> dict:
        """A rule part as in the rules file: kind, its inputs by role, its parameters
        (amounts as decimal strings, "0.50")."""
        d: dict = {"kind": part.kind}
        d.update(part.inputs)
        params = self.params()
        for key, value in part.params.items():
            d[key] = params[key].dump(value) if key in params else value
        return d


class Flag(PartKind):
    name = "flag"
    required = {"when": WHEN, "amount": AMOUNT}
    optional = {"cap": AMOUNT}
    sides = frozenset({"deduct", "bonus", "extra", "major"})
    phrasings = (
        Phrasing("…的，扣N分", re.compile(r"(?P<verb>直接扣|扣除|增加|扣|加|减)" + AMT + "分"), figure="flag", general=True),
        Phrasing("不得分", re.compile(r"(?:此项|该项|本项)?不得分|的全扣"), role="points"),
        Phrasing("扣除该项分值的一半", re.compile(r"扣除?(?:该|本)项分值的一半"), role="points"),
    )
    reading_zh = "有此情形即{verb}一次"
    once = True

    def plain(self, part):
        p = part.params
        return f"填“{YES if p['when'] else NO}”时{_verb(part.side)}{fmt_short(p['amount'])}分" + self._cap_words(part)

    def amounts(self, part, inp, rules, points):
        x = inp[part.inputs["input"]]
        hit = x == (1 if part.params["when"] else 0)
        return _capped(np.where(hit, part.params["amount"], 0), part.params.get("cap"))

    def sentence(self, part, amount, inp, rules, at, points):
        code = part.inputs["input"]
        return (rules.inputs[code].label + "：" + _s(inp.text(code).to_numpy()[at])
                + f"，{_verb(part.side)} " + _short(amount[at]) + " 分")

    def figures(self, part, ids):
        p = part.params
        return [Figure(self.name, p["amount"], f"{ids['input']}: flag({fmt_short(p['amount'])})")]


class Per(PartKind):
    name = "per"
    required = {"unit": AMOUNT}
    optional = {"cap": AMOUNT}
    sides = frozenset({"deduct", "bonus", "extra", "major"})
    phrasings = tuple(Phrasing(name, re.compile(pattern), figure="per") for name, pattern in (
        ("发现一件，扣N分", r"(?:每)?发现" + ONE + UNIT + r"[，,]?" + _VERB + AMT + "分"),
        ("每有一次扣N分", r"每有" + ONE + r"?" + UNIT + r"[，,]?" + _VERB + AMT + "分"),
        ("有一项，扣N分", r"有" + ONE + UNIT + r"[^，,；;。]{0,12}?[，,]?" + _VERB + AMT + "分"),
        ("每一件扣N分", r"每" + ONE + r"?" + UNIT + r"[，,]?" + _VERB + AMT + "分"),
        ("每出现一次扣N分", r"每(?:出现|发生)" + ONE + UNIT + r"[，,]?" + _VERB + AMT + "分"),
        ("一件扣N分", r"(?<![第每有现少缺])" + ONE + UNIT + r"[，,]?" + _VERB + AMT + "分"),
        ("超期1次扣N分", r"超期" + ONE + UNIT + r"[，,]?(?P<verb>扣)" + AMT + "分"),
        ("按N分/个扣分", r"按" + AMT + r"分/" + UNIT + r"(?P<verb>扣|加)分"),
    ))
    reading_zh = "按件（次、项）数累计"

    def plain(self, part):
        return f"每件（次、项）{_verb(part.side)}{fmt_short(part.params['unit'])}分" + self._cap_words(part)

    def amounts(self, part, inp, rules, points):
        code = part.inputs["input"]
        amount = _value_times(inp[code], part.params["unit"], rules.inputs[code].scaled)
        return _capped(amount, part.params.get("cap"))

    def sentence(self, part, amount, inp, rules, at, points):
        return _counted(part, amount, inp, rules, at, shortfall=False)

    def figures(self, part, ids):
        p = part.params
        return [Figure(self.name, p["unit"], f"{ids['input']}×{fmt_short(p['unit'])}")]


def _counted(part, amount, inp, rules, at, shortfall: bool) -> np.ndarray:
    """The sentence of a part that counts cases (per) or cases short of a target (shortfall)."""
    p = part.params
    verb = _verb(part.side)
    amt = _short(amount[at])
    code = part.inputs["input"]
    spec = rules.inputs[code]
    x = inp[code][at]
    found = spec.label + " " + display(inp, rules, code, at)
    if spec.scaled:
        # An amount typed in 分 counts as itself (10.6, 11.7).
        return found + f"，{verb} " + amt + " 分"
    if shortfall:
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


class Shortfall(PartKind):
    name = "shortfall"
    required = {"target": WHOLE, "unit": AMOUNT}
    optional = {"cap": AMOUNT}
    sides = frozenset({"deduct"})
    # The cross-check counts a shortfall's amount as a per-case figure.
    phrasings = (
        Phrasing("少于N件，每件扣M分", re.compile(r"少于(\d+)" + UNIT + r"[^，,；;。]*[，,]?每" + UNIT + r"?扣" + AMT + "分"), figure="per"),
        Phrasing("少一次，扣N分", re.compile(r"(?:每)?(?:少|缺)" + ONE + UNIT + r"[，,]?扣" + AMT + "分"), figure="per"),
    )

    def amounts(self, part, inp, rules, points):
        short = np.maximum(0, part.params["target"] - inp[part.inputs["input"]])
        return _capped(short * part.params["unit"], part.params.get("cap"))

    def sentence(self, part, amount, inp, rules, at, points):
        return _counted(part, amount, inp, rules, at, shortfall=True)

    def figures(self, part, ids):
        p = part.params
        return [Figure(Per.name, p["unit"], f"({p['target']} − {ids['input']})×{fmt_short(p['unit'])}")]


    def plain(self, part):
        p = part.params
        return f"不足{p['target']}的，每少一件扣{fmt_short(p['unit'])}分" + self._cap_words(part)


class Rate(PartKind):
    name = "rate"
    roles = ("num", "den")
    required = {"bands": BANDS, "zero": ZERO}
    optional = {"invert": BOOL, "cap": AMOUNT}
    sides = frozenset({"deduct"})
    phrasings = (
        Phrasing("得分=(1-X率)×N", re.compile(r"得分\s*=\s*[（(]\s*1\s*[-−－]\s*(?P<name>[^()（）=×]*?率)\s*[)）]\s*[×xX*]\s*" + AMT),
                 figure="rate", show="match"),
        Phrasing("得分=X率×N", re.compile(r"得分\s*=\s*(?P<name>[^()（）=×，,]*?率)\s*(?:[（(](?P<num>[^/()（）]+)/(?P<den>[^()（）]+)[)）])?"
                                         r"\s*[×xX*]\s*" + AMT), figure="rate", show="match"),
        Phrasing("得分=A/B×N", re.compile(r"得分\s*=\s*(?P<num>[^/=（）()，,]+)/(?P<den>[^×=（）()，,]+)\s*[×xX*]\s*" + AMT),
                 figure="rate", show="match"),
        Phrasing("X率=A/B", re.compile(r"(?P<name>[^，,；;。=（）()]*?率)\s*=\s*[（(]?(?P<num>[^/()（）=，,；;。]+)/(?P<den>[^()（）=，,；;。]+?)[)）]?"
                                      r"(?=[，,；;。）)]|$)"), role="definition"),
        # A fixed deduction in a band: the cross-check compares it as a flag's figure.
        Phrasing("X率在A%至B%之间的，直接扣N分", re.compile(r"率?在" + N + r"%至" + N + r"%之间的[，,]?直接扣" + AMT + "分"),
                 role="band", figure="flag"),
        Phrasing("超过A%及以上直接扣N分", re.compile(r"(?:超过|达到)" + N + r"%(?P<incl>及以上|以上)?(?:的)?[，,]?直接扣" + AMT + "分"),
                 role="band", figure="flag"),
    )
    reading_zh = "按比率计"

    def plain(self, part):
        words, previous = [], None
        for b in part.params["bands"]:
            when = ""
            if "bound" in b:
                when = ("低于" if b["bound"] == "below" else "不超过") + f"{b['limit']}%时"
            elif previous is not None:
                when = "其余"
            words.append(when + (f"按比率×{fmt_short(b['per_rate'])}分" if "per_rate" in b else f"直接扣{fmt_short(b['fixed'])}分"))
            previous = b
        name = "（1−比率）" if part.params.get("invert") else "比率"
        return f"按{name}计：" + "；".join(words).replace("比率×", f"{name}×") + self._cap_words(part)

    def terms(self, part: Part, inp) -> tuple[np.ndarray, np.ndarray]:
        num, den = inp[part.inputs["num"]], inp[part.inputs["den"]]
        if part.params.get("invert"):
            num = den - num
        # zero = "zero": no denominator means a rate of 0 (3.3.11, no repairs).
        # zero = "error": the reader has already rejected such a unit.
        zero = den == 0
        return np.where(zero, 0, num), np.where(zero, 1, den)

    def band(self, part: Part, num: np.ndarray, den: np.ndarray) -> np.ndarray:
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

    def amounts(self, part, inp, rules, points):
        num, den = self.terms(part, inp)
        band = self.band(part, num, den)
        amount = np.zeros(len(num), dtype="int64")
        for k, b in enumerate(part.params["bands"]):
            here = band == k
            value = round_half_up_div(num * b["per_rate"], den) if "per_rate" in b else np.full(len(num), b["fixed"])
            amount = np.where(here, value, amount)
        return _capped(amount, part.params.get("cap"))

    def sentence(self, part, amount, inp, rules, at, points):
        p = part.params
        verb = _verb(part.side)
        amt = _short(amount[at])
        num_c, den_c = part.inputs["num"], part.inputs["den"]
        num, den = self.terms(part, inp)
        band = self.band(part, num, den)[at]
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

    def figures(self, part, ids):
        out = []
        for band in part.params["bands"]:
            if "per_rate" in band:
                out.append(Figure(self.name, band["per_rate"], f"{ids['num']}/{ids['den']} × {fmt_short(band['per_rate'])}"))
            else:
                out.append(Figure(Flag.name, band["fixed"], f"{ids['num']}/{ids['den']} → {fmt_short(band['fixed'])}"))
        return out

    def ratio(self, part):
        return part.inputs["num"], part.inputs["den"], part.params.get("zero") == "error"

    def says(self, verb, amount):
        return f"×{fmt_short(amount)}"


class Score(PartKind):
    name = "score"
    sides = frozenset({"deduct"})

    def plain(self, part):
        return "按核定得分计（得分由考核单位给出）"

    def amounts(self, part, inp, rules, points):
        return points - inp[part.inputs["input"]]

    def sentence(self, part, amount, inp, rules, at, points):
        code = part.inputs["input"]
        return (rules.inputs[code].label + " " + _short(inp[code][at]) + f" 分（满分 {_short([points])[0]} 分），扣 "
                + _short(amount[at]) + " 分")

    # No figure: the row's base is the score entered.


class Level(PartKind):
    name = "level"
    required = {"amounts": AMOUNTS}
    optional = {"cap": AMOUNT}
    sides = frozenset({"bonus", "extra"})

    def plain(self, part):
        return "按程度" + "/".join(fmt_short(a) for a in part.params["amounts"]) + "分（高的一档替代低的一档）" + self._cap_words(part)

    def amounts(self, part, inp, rules, points):
        amounts = np.asarray(part.params["amounts"], dtype="int64")
        return _capped(amounts[inp[part.inputs["input"]]], part.params.get("cap"))

    def sentence(self, part, amount, inp, rules, at, points):
        code = part.inputs["input"]
        return (rules.inputs[code].label + "：" + _s(inp.text(code).to_numpy()[at])
                + f"，{_verb(part.side)} " + _short(amount[at]) + " 分")

    def figures(self, part, ids):
        return [Figure(Flag.name, amount, f"{ids['input']} level {level} → {fmt_short(amount)}")
                for level, amount in enumerate(part.params["amounts"]) if amount]


class Threshold(PartKind):
    name = "threshold"
    required = {"at_least": AMOUNT, "amount": AMOUNT}
    sides = frozenset({"bonus", "extra"})
    phrasings = (Phrasing("不低于N%的，加M分", re.compile(r"不(?:低于|少于)" + N + r"(?P<pct>%?)的[，,]?(?P<verb>加)" + AMT + "分"),
                          figure="flag"),)

    def amounts(self, part, inp, rules, points):
        code = part.inputs["input"]
        x = inp[code] if rules.inputs[code].scaled else inp[code] * 100
        return np.where(x >= part.params["at_least"], part.params["amount"], 0)

    def sentence(self, part, amount, inp, rules, at, points):
        p = part.params
        code = part.inputs["input"]
        unit = "%" if rules.inputs[code].percent else rules.inputs[code].unit
        at_least = _short([p["at_least"]])[0]
        return (rules.inputs[code].label + " " + display(inp, rules, code, at) +
                f"，达到 {at_least}{unit}，{_verb(part.side)} " + _short(amount[at]) + " 分")

    def figures(self, part, ids):
        p = part.params
        return [Figure(Flag.name, p["amount"], f"{ids['input']} ≥ {fmt_short(p['at_least'])} → {fmt_short(p['amount'])}")]


    def plain(self, part):
        p = part.params
        return f"达到{fmt_short(p['at_least'])}的{_verb(part.side)}{fmt_short(p['amount'])}分"


class RankImprovement(PartKind):
    name = "rank_improvement"
    roles = ("previous", "current")
    required = {"step": STEP, "amount": AMOUNT}
    sides = frozenset({"extra"})
    phrasings = (Phrasing("每提升N名，增加M分", re.compile(r"(?P<who>省会城市)?[^。；]*?每(?:提升|提高)(\d+)名[，,]?(?:增加|加)" + AMT + "分")),)

    def amounts(self, part, inp, rules, points):
        gain = inp[part.inputs["previous"]] - inp[part.inputs["current"]]
        step = np.where(inp.city_type == "capital", part.params["step"]["capital"], part.params["step"]["prefecture"])
        return np.where(gain > 0, (np.maximum(gain, 0) // step) * part.params["amount"], 0)

    def sentence(self, part, amount, inp, rules, at, points):
        p = part.params
        prev, cur = inp[part.inputs["previous"]][at], inp[part.inputs["current"]][at]
        step = np.where(inp.city_type[at] == "capital", p["step"]["capital"], p["step"]["prefecture"])
        kind = _s(np.where(inp.city_type[at] == "capital", CITY_TYPE_ZH["capital"], CITY_TYPE_ZH["prefecture"]))
        return ("排名由第 " + _txt(prev) + " 名升至第 " + _txt(cur) + " 名，提升 " +
                _txt(prev - cur) + " 名；" + kind + "每提升 " + _txt(step) +
                f" 名加 {_short([p['amount']])[0]} 分，{_verb(part.side)} " + _short(amount[at]) + " 分")


    def plain(self, part):
        step = part.params["step"]
        return (f"排名每提升{step.get('prefecture', '?')}名（省会城市每{step.get('capital', '?')}名）"
                f"加{fmt_short(part.params['amount'])}分")


class RankPenalty(PartKind):
    name = "rank_penalty"
    roles = ("previous", "current")
    required = {"prefecture": PREFECTURE, "capital": CAPITAL}
    sides = frozenset({"major"})
    phrasings = (
        Phrasing("N名以后的，减M分", re.compile(r"(\d+)名以后的[，,]?(?:减|扣)" + AMT + "分")),
        Phrasing("每降低N名，减M分", re.compile(r"每(?:降低|下降)(\d+)名[，,]?(?:减|扣)" + AMT + "分")),
    )

    def amounts(self, part, inp, rules, points):
        prev, cur = inp[part.inputs["previous"]], inp[part.inputs["current"]]
        pref, cap = part.params["prefecture"], part.params["capital"]
        prefecture = np.where(cur > pref["over"], pref["amount"], 0)
        capital = np.maximum(cur - prev, 0) * cap["per_place"]
        return np.where(inp.city_type == "capital", capital, prefecture)

    def sentence(self, part, amount, inp, rules, at, points):
        p = part.params
        amt = _short(amount[at])
        prev, cur = inp[part.inputs["previous"]][at], inp[part.inputs["current"]][at]
        capital = inp.city_type[at] == "capital"
        over = p["prefecture"]["over"]
        cap_text = ("省会城市排名由第 " + _txt(prev) + " 名降至第 " + _txt(cur) + " 名，下降 " +
                    _txt(cur - prev) + f" 名 × {_short([p['capital']['per_place']])[0]} 分 = " + amt + " 分")
        pref_text = "本年度排名第 " + _txt(cur) + f" 名，在第 {over} 名之后，{_verb(part.side)} " + amt + " 分"
        return _s(np.where(capital, cap_text, pref_text))


    def plain(self, part):
        p = part.params
        words = []
        if "prefecture" in p:
            words.append(f"排名在第{p['prefecture']['over']}名之后的扣{fmt_short(p['prefecture']['amount'])}分")
        if "capital" in p:
            words.append(f"省会城市排名每下降1名扣{fmt_short(p['capital']['per_place'])}分")
        return "；".join(words)


KINDS: dict[str, PartKind] = {k.name: k for k in (
    Flag(), Per(), Shortfall(), Rate(), Score(), Level(), Threshold(), RankImprovement(), RankPenalty())}


def kind_of(part: Part) -> PartKind:
    return KINDS[part.kind]


# What `rules draft` writes for a rule it could not read: refused until a person writes the rule.
PLACEHOLDER = "待填写"


def build_part(owner: str, raw: Mapping[str, Any], side: str) -> Part:
    """A part of row or item `owner` from the rules file, its parameters checked."""
    if "kind" not in raw:
        raise RuleError(f"{owner}: missing 'kind'")
    kind_name = raw["kind"]
    if kind_name == PLACEHOLDER:
        raise RuleError(f"{owner}：评分规则尚未填写（原文：“{raw.get('text', '')}”），请按原文写出本行的规则后删去“{PLACEHOLDER}” / "
                        f"{owner}: the rule is still a placeholder (the text: “{raw.get('text', '')}”); "
                        "write the row's rule and remove the placeholder")
    if kind_name not in KINDS:
        raise RuleError(f"{owner}: unknown rule kind {kind_name!r}")
    kind = KINDS[kind_name]
    if side not in kind.sides:
        raise RuleError(f"{owner}: a {kind_name!r} part cannot stand on the {side} side")
    refs = {}
    for role in kind.roles:
        if role not in raw:
            raise RuleError(f"{owner}: missing {role!r}")
        refs[role] = ref(owner, raw[role])
    allowed = set(kind.roles) | set(kind.required) | set(kind.optional) | {"kind"}
    extra = set(raw) - allowed
    if extra:
        raise RuleError(f"{owner}: unknown parameter(s) {sorted(extra)} for a {kind_name!r} part")
    params: dict[str, Any] = {}
    for key, param in kind.params().items():
        if key not in raw:
            if key in kind.required:
                raise RuleError(f"{owner}: a {kind_name!r} part needs {key!r}")
            continue
        params[key] = param.parse(owner, raw[key])
    return Part(kind=kind_name, side=side, inputs=MappingProxyType(refs), params=MappingProxyType(params))
