"""Each input kind once: what a typed value means, how it is asked for and shown.

An input of the rules has a kind: yesno, count, amount, rank, level, score
or text. Here, and only here, is what each kind means:

- normalising what people typed (`normalise`, column-wise over every cell
  of every file: "是", "√", "2件", "1,200", "4.5%" ...) into scoring units;
- the expected form of a value in words (`expected_text`, also in findings)
  and the 填写要求 of the template (`requirement`);
- the Excel data validation of the template's 填报值 cell (`validation`);
- how a value is shown in the audit (`display`);
- which other forms are accepted, each with a note (`value-read-as`): for
  是/否 the forms in YES_FORMS/NO_FORMS, for a count "无" as 0. On an
  accepted cell, `note` is what a variant form was read as ("" for 是/否,
  numbers and words as written).

`KINDS[name]` is the InputKind; `InputSpec.type` leads to it.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

from ..figures import fmt, fmt_short
from ..labels import NO, YES
from ..lazy import lazy
from ..textcol import _s, _short, _txt

# numpy and pandas at first use: a reading worker loads the input kinds, never pandas (lazy.py).
np = lazy("numpy", __name__, "np")
pd = lazy("pandas", __name__, "pd")

if TYPE_CHECKING:
    from .model import InputSpec, RuleBook

MAX_DIGITS = 12            # longer integer parts are not a plausible count or amount

# The one list of forms accepted for 是/否 (compared after NFKC and lower-casing),
# quoted by the template's 填表说明, the README and the findings. A form other
# than 是/否 themselves is accepted with a note (value-read-as), never silently.
# 1/0 are refused: a count typed into a 是/否 row looks just the same.
YES_FORMS = (YES, "有", "√", "✓", "✔", "y", "yes", "true")
NO_FORMS = (NO, "无", "×", "✗", "✘", "n", "no", "false")
YESNO_WORDS = {**{w: 1 for w in YES_FORMS}, **{w: 0 for w in NO_FORMS}}
YESNO_ALSO = "有/无、√/×、Y/N、yes/no（不分大小写）"
# Words accepted for 0 in a count, with a note: "无" (none) is what people write.
COUNT_NONE_WORDS = ("无",)
# Counting units accepted after a count besides the input's own.
COUNT_UNITS = frozenset({"件", "个", "项", "条", "次", "起", "家", "篇", "期", "处", "份", "季度", "个季度"})
RANK_UNITS = frozenset({"名", "位"})

_NUMBER = re.compile(r"^(?P<sign>[-+−]?)(?P<pre>第?)(?P<int>\d+(?:,\d{3})*)(?:\.(?P<frac>\d*))?(?P<unit>\D*)$")

# --------------------------------------------------------------------------- the kinds

class InputKind:
    """What one kind of input means; one subclass per kind, below."""

    name = ""
    scaled = False          # held as hundredths (amounts, scores); else as typed
    number = True           # read as a number for scoring (all but free text)
    default_min: int | None = None   # the lower bound the spec gives every input of the kind
    needs_levels = False    # the rules must list the words it takes
    max_is_points = False   # without a max of its own it runs up to the row's points
    template_lines = 1      # lines its 填报值 row needs at least

    def cells(self, codes, compact, stripped, is_num, kind, specs, number, text, problem, note) -> None:
        """Normalise this kind's non-blank cells, column-wise, into number/text/problem/note."""
        raise NotImplementedError

    def expected(self, spec: InputSpec) -> str:
        """What a valid value looks like, in Chinese (the template and the findings say it)."""
        raise NotImplementedError

    def refused(self, spec: InputSpec) -> str:
        """What a refused value should have been: the expected form and any other form accepted."""
        return self.expected(spec)

    def requirement(self, spec: InputSpec) -> str:
        return "填" + expected_text(spec)

    def validation(self, spec: InputSpec, cell: str) -> dict:
        """The kind's part of the Excel data validation of its 填报值 cell."""
        raise NotImplementedError

    def template_format(self, spec: InputSpec) -> str:
        """The template's format of the 填报值 cell: a percent is typed as text ("4%")."""
        return "input_pct" if spec.percent else "input"

    def lower(self, spec: InputSpec) -> int:
        return spec.min if spec.min is not None else 0

    def units(self, spec: InputSpec) -> frozenset[str]:
        """What may follow a number of this input: its own unit; '%' only for a percent."""
        own = {spec.unit} if spec.unit else set()
        if spec.percent:
            return frozenset({"", "%"})
        return frozenset({""} | own)

    def display_unit(self, spec: InputSpec) -> str:
        return "%" if spec.percent else ""

    def shown(self, inp, code: str, at: np.ndarray) -> np.ndarray:
        """The values of the units at `at` as a text column (before the unit)."""
        return _s(inp.text(code).to_numpy()[at])


class YesNo(InputKind):
    name = "yesno"

    def cells(self, codes, compact, stripped, is_num, kind, specs, number, text, problem, note) -> None:
        yn = compact.str.lower().map(YESNO_WORDS)
        ok = yn.notna()
        words = pd.Series(np.where(yn[ok] == 1, YES, NO), index=yn[ok].index, dtype=object)
        number[words.index] = yn[ok].astype("int64")
        text[words.index] = words
        variant = compact[ok] != words
        note[variant[variant].index] = words[variant]
        problem[ok[~ok].index] = "value-not-yesno"

    def expected(self, spec: InputSpec) -> str:
        return f"“{YES}”或“{NO}”"

    def refused(self, spec: InputSpec) -> str:
        return f"“{YES}”或“{NO}”（也可填 {YESNO_ALSO}；不接受 1/0）"

    def requirement(self, spec: InputSpec) -> str:
        return "从下拉列表选择" + expected_text(spec)

    def validation(self, spec: InputSpec, cell: str) -> dict:
        return {"validate": "list", "source": [YES, NO]}


class Level(InputKind):
    name = "level"
    needs_levels = True

    def cells(self, codes, compact, stripped, is_num, kind, specs, number, text, problem, note) -> None:
        # one of the listed words
        level_index = {(c, w): k for c, s in specs.items() if s.kind == self.name for k, w in enumerate(s.levels)}
        keys = list(zip(codes, compact))
        lv = pd.Series([level_index.get(k) for k in keys], index=compact.index, dtype="Int64")
        ok = lv.notna()
        number[ok[ok].index] = lv[ok]
        text[ok[ok].index] = compact[ok]
        problem[ok[~ok].index] = "value-not-level"

    def expected(self, spec: InputSpec) -> str:
        return "“" + "”“".join(spec.levels) + "”之一"

    def requirement(self, spec: InputSpec) -> str:
        return "从下拉列表选择" + expected_text(spec)

    def validation(self, spec: InputSpec, cell: str) -> dict:
        return {"validate": "list", "source": list(spec.levels)}


class Text(InputKind):
    name = "text"
    number = False
    template_lines = 2

    def template_format(self, spec: InputSpec) -> str:
        return "input_text"

    def cells(self, codes, compact, stripped, is_num, kind, specs, number, text, problem, note) -> None:
        # free text: kept as typed, surrounding spaces removed
        text[stripped.index] = stripped

    def expected(self, spec: InputSpec) -> str:
        if spec.required_if_positive:
            return f"文字说明（{spec.required_if_positive}大于0时必填）"
        return "文字说明（选填）"

    def requirement(self, spec: InputSpec) -> str:
        return expected_text(spec)

    def validation(self, spec: InputSpec, cell: str) -> dict:
        return {"validate": "any"}


class _Number(InputKind):
    """Counts, ranks, amounts and scores: one column-wise parse for all four."""

    def cells(self, codes, compact, stripped, is_num, kind, specs, number, text, problem, note) -> None:
        _numbers(codes, compact, is_num, kind, specs, number, text, problem, note)

    def shown(self, inp, code: str, at: np.ndarray) -> np.ndarray:
        return _short(inp[code][at]) if self.scaled else _txt(inp[code][at])


def _unit_note(spec: InputSpec) -> str:
    return f"（单位：{spec.unit}）" if spec.unit and spec.unit not in ("%", "分") else ""


class Count(_Number):
    name = "count"
    default_min = 0

    def expected(self, spec: InputSpec) -> str:
        lo = spec.min or 0
        rng = f"{lo}～{spec.max}的整数" if spec.max is not None else f"≥{lo}的整数"
        return rng + _unit_note(spec)

    def requirement(self, spec: InputSpec) -> str:
        return "填" + expected_text(spec) + "；没有的填0，不要留空"

    def validation(self, spec: InputSpec, cell: str) -> dict:
        return _whole_validation(self.lower(spec), spec.max)

    def units(self, spec: InputSpec) -> frozenset[str]:
        # and the common counting units ('2件', '3个')
        own = {spec.unit} if spec.unit else set()
        return frozenset({""} | own | COUNT_UNITS)

    def display_unit(self, spec: InputSpec) -> str:
        return "%" if spec.percent else spec.unit


class Rank(_Number):
    name = "rank"
    default_min = 1

    def expected(self, spec: InputSpec) -> str:
        lo = spec.min if spec.min is not None else 1
        return f"{lo}～{spec.max}的整数名次" if spec.max is not None else f"≥{lo}的整数名次"

    def validation(self, spec: InputSpec, cell: str) -> dict:
        return _whole_validation(self.lower(spec), spec.max)

    def lower(self, spec: InputSpec) -> int:
        return spec.min if spec.min is not None else 1

    def units(self, spec: InputSpec) -> frozenset[str]:
        own = {spec.unit} if spec.unit else set()
        return frozenset({""} | own | RANK_UNITS)


class Amount(_Number):
    name = "amount"
    scaled = True
    default_min = 0

    def expected(self, spec: InputSpec) -> str:
        if spec.percent:
            hi = fmt_short(spec.max) if spec.max is not None else ""
            return f"0～{hi}的百分数（如 4.5 或 4.5%），最多两位小数" if hi else "≥0的百分数，最多两位小数"
        lo = fmt_short(spec.min or 0)
        rng = f"{lo}～{fmt_short(spec.max)}的数值" if spec.max is not None else f"≥{lo}的数值"
        return rng + "（分），最多两位小数" if spec.unit == "分" else rng + "，最多两位小数" + _unit_note(spec)

    def validation(self, spec: InputSpec, cell: str) -> dict:
        if spec.percent:
            # The cell is text-formatted so "4%" stays "4%" instead of becoming
            # 0.04; accept a number with or without the percent sign.
            lo = (spec.min or 0) / 100
            v = f'--SUBSTITUTE({cell},"%","")'
            hi = (spec.max if spec.max is not None else 10000) / 100
            formula = f"=AND(ISNUMBER({v}),{v}>={_num(lo)},{v}<={_num(hi)})"
            return {"validate": "custom", "value": formula}
        return _decimal_validation(spec)

    def display_unit(self, spec: InputSpec) -> str:
        return "%" if spec.percent else spec.unit


class Score(_Number):
    name = "score"
    scaled = True
    default_min = 0
    max_is_points = True

    def expected(self, spec: InputSpec) -> str:
        hi = fmt_short(spec.max) if spec.max is not None else "本行赋分"
        return f"0～{hi}分的分值，最多两位小数"

    def validation(self, spec: InputSpec, cell: str) -> dict:
        return _decimal_validation(spec)

    def display_unit(self, spec: InputSpec) -> str:
        return "%" if spec.percent else spec.unit


def _whole_validation(lo: int, hi: int | None) -> dict:
    if hi is not None:
        return {"validate": "integer", "criteria": "between", "minimum": lo, "maximum": hi}
    return {"validate": "integer", "criteria": ">=", "value": lo}


def _decimal_validation(spec: InputSpec) -> dict:
    # decimals; bounds are hundredths
    lo = (spec.min or 0) / 100
    if spec.max is not None:
        return {"validate": "decimal", "criteria": "between", "minimum": lo, "maximum": spec.max / 100}
    return {"validate": "decimal", "criteria": ">=", "value": lo}


# In the order the rules file's header lists them.
KINDS: dict[str, InputKind] = {k.name: k for k in (YesNo(), Count(), Amount(), Rank(), Level(), Score(), Text())}
INPUT_KINDS = tuple(KINDS)

# --------------------------------------------------------------------------- normalising

def normalise(codes: pd.Series, values: pd.Series, rules: RuleBook, code_ids: np.ndarray | None = None) -> pd.DataFrame:
    """Normalise typed values, column-wise, against their inputs' definitions.

    Returns a frame aligned with `codes`: `raw` (the cell as text), `number`
    (Int64 scoring units), `text` (normalised text), `problem` (a finding code,
    "" when accepted) and `note` (detail for the message). Blank cells get
    problem "blank": they are not values at all. `code_ids`: the codes as
    integers already, one per input (the reader has them), else worked out here.
    """
    # Each cell's result depends on its input and value alone, and 3,000 units
    # type the same few values (是, 0, 否 ...): normalise each pair once.
    inverse = _pair_ids(codes.tolist() if code_ids is None else code_ids, values.tolist())
    if inverse is None or inverse.max(initial=-1) + 1 == len(codes):
        return _normalise_each(codes, values, rules)
    # Where each pair occurs first: pairs are numbered as first met, so there
    # the number exceeds every number before it.
    is_first = np.ones(len(inverse), dtype=bool)
    is_first[1:] = inverse[1:] > np.maximum.accumulate(inverse)[:-1]
    first = np.flatnonzero(is_first)
    once = _normalise_each(codes.iloc[first].reset_index(drop=True), values.iloc[first].reset_index(drop=True), rules)
    out = once.iloc[inverse]
    out.index = codes.index
    return out


def _pair_ids(codes, values: list) -> np.ndarray | None:
    """A number for each (input, value) pair, in order of first appearance; equal
    numbers only for pairs of one input and values of one type that are equal
    (1, 1.0 and True differ; floats bit for bit, so -0.0 is not 0.0). None
    when a value cannot be compared so. `codes`: a list of codes, or an integer
    array with one number per input. Strings and floats, nearly every cell,
    are numbered by pandas in C; anything else in Python."""
    n = len(codes)
    if isinstance(codes, np.ndarray) and codes.dtype.kind in "iu":
        code_ids = codes.astype(np.int64, copy=False)
    else:
        code_ids = pd.factorize(np.fromiter(codes, dtype=object, count=n))[0].astype(np.int64)
    vals = np.fromiter(values, dtype=object, count=n)
    types = np.fromiter(map(type, values), dtype=object, count=n)
    value_ids = np.empty(n, dtype=np.int64)
    done = 0
    is_str, is_float = types == str, types == float
    if is_str.any():
        ids = pd.factorize(vals[is_str])[0]
        value_ids[is_str] = ids
        done += int(ids.max(initial=-1)) + 1
    if is_float.any():
        bits = np.fromiter(vals[is_float], dtype=np.float64, count=int(is_float.sum())).view(np.int64)
        ids = pd.factorize(bits)[0]
        value_ids[is_float] = ids + done
        done += int(ids.max(initial=-1)) + 1
    rest = np.flatnonzero(~(is_str | is_float))
    if len(rest):
        seen: dict = {}
        try:
            ids = [seen.setdefault((type(v), v), len(seen)) for v in vals[rest]]
        except TypeError:              # an unhashable value: no shortcut
            return None
        value_ids[rest] = np.array(ids, dtype=np.int64) + done
        done += len(seen)
    return pd.factorize(code_ids * max(done, 1) + value_ids)[0]


def _normalise_each(codes: pd.Series, values: pd.Series, rules: RuleBook) -> pd.DataFrame:
    idx = codes.index
    specs = rules.inputs
    is_num = values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool))
    raw = values.map(_as_text).astype(object)
    kind = codes.map({c: s.kind for c, s in specs.items()})
    number = pd.Series(pd.NA, index=idx, dtype="Int64")
    text = pd.Series("", index=idx, dtype=object)
    problem = pd.Series("", index=idx, dtype=object)
    note = pd.Series("", index=idx, dtype=object)

    stripped = raw.str.strip()
    blank = stripped == ""
    problem[blank] = "blank"
    nfkc = raw.str.normalize("NFKC")
    compact = nfkc.str.replace(r"\s+", "", regex=True)

    # Each kind's cells at once; kinds read alike (the numbers) in one call.
    for cells, names in _CELL_READERS.items():
        m = kind.isin(names) & ~blank
        if m.any():
            KINDS[names[0]].cells(codes[m], compact[m], stripped[m], is_num[m], kind[m], specs,
                                  number, text, problem, note)
    return pd.DataFrame({"raw": raw, "number": number, "text": text, "problem": problem, "note": note})


def _readers() -> dict:
    out: dict = {}
    for name, k in KINDS.items():
        out.setdefault(type(k).cells, []).append(name)
    return out


_CELL_READERS = _readers()


def _numbers(codes, compact, is_num, kind, specs, number, text, problem, note) -> None:
    # "无" in a count is 0, with a note (value-read-as).
    none = (kind == "count") & compact.isin(COUNT_NONE_WORDS)
    if none.any():
        compact = compact.where(~none, "0")
    ext = compact.str.extract(_NUMBER)
    parsed = ext["int"].notna()
    problem[parsed[~parsed].index] = "value-not-number"
    ext, codes, kind, is_num = ext[parsed], codes[parsed], kind[parsed], is_num[parsed]
    if ext.empty:
        return
    intpart = ext["int"].str.replace(",", "", regex=False)
    frac = ext["frac"].fillna("").str.rstrip("0")
    unit = ext["unit"].fillna("")
    pre = ext["pre"].fillna("")
    negative = ext["sign"].isin(["-", "−"])
    scaled = kind.isin(["amount", "score"])
    percent = codes.map({c: s.percent for c, s in specs.items()}).astype(bool)

    allowed = codes.map({c: allowed_units(spec) for c, spec in specs.items()})
    bad_unit = pd.Series([u not in a for u, a in zip(unit, allowed)], index=unit.index)
    bad_unit |= (pre != "") & (kind != "rank")
    too_long = intpart.str.len() > MAX_DIGITS

    ints = intpart.where(~too_long, "0").astype("int64")     # too long: refused below
    decimals = frac.str.len()
    cents = frac.str.ljust(2, "0").str[:2]
    cents = cents.where(cents != "", "0").astype("int64")
    value = ints * 100 + cents                     # hundredths, as typed
    zero = (ints == 0) & (decimals == 0)
    whole = ~scaled
    # Bounds of counts and ranks are plain, of amounts and scores hundredths:
    # compare everything in hundredths, as integers.
    scale = pd.Series(np.where(whole, 100, 1), index=codes.index)
    lo_h = codes.map({c: _lower(s) for c, s in specs.items()}).astype("int64") * scale
    hi_h = codes.map({c: s.max for c, s in specs.items()}).astype("Int64") * scale

    code = pd.Series("", index=ext.index, dtype=object)
    fraction_pct = percent & is_num & (ints == 0) & (decimals > 0) & ~negative
    rules_in_order = (
        (too_long, "value-not-number"),
        (percent & unit.str.fullmatch(r"%{2,}"), "value-percent-doubled"),   # "4.5%%": a slip, not a unit
        (bad_unit, "value-unit"),
        (negative & ~zero, "value-negative"),
        (fraction_pct, "percent-fraction"),
        (whole & (decimals > 0), "value-fractional"),
        (scaled & (decimals > 2), "value-decimals"),
        (value < lo_h, "value-below-min"),
        (_mask(value > hi_h), "value-over-max"),
    )
    # .loc with a boolean mask: a plain [] first tries the mask as a label, and
    # pandas formats the whole Series for the error it then drops.
    for mask, name in rules_in_order:
        code.loc[(code == "") & mask] = name
    code.loc[(code == "value-over-max") & (kind == "score")] = "score-over-points"
    for i in code.index[code == "percent-fraction"]:
        note[i] = _plain(Decimal(compact[i].rstrip("%")) * 100)   # 0.04 -> "4"
    problem[code.index] = code

    ok = code == ""
    n = np.where(whole[ok], ints[ok], value[ok])
    number[ok[ok].index] = pd.array(n, dtype="Int64")
    text[ok[ok].index] = [str(v) if w else fmt(v) for v, w in zip(n, whole[ok])]
    read_as_zero = none[ok[ok].index]
    note[read_as_zero[read_as_zero].index] = "0"


def allowed_units(spec: InputSpec) -> frozenset[str]:
    """What may follow a number of this input (see InputKind.units)."""
    return spec.type.units(spec)


def _lower(spec: InputSpec) -> int:
    return spec.type.lower(spec)


def _plain(d: Decimal) -> str:
    text = format(d, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _as_text(v) -> str:
    """What a cell held, as text. Floats as Excel shows them (15 significant
    digits), so 2.0 is '2' and a formula's 0.30000000000000004 is '0.3'."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return format(v, ".15g")
    return str(v)


def _mask(series: pd.Series) -> np.ndarray:
    """A comparison over nullable columns as a plain mask (NA counts as False)."""
    return series.fillna(False).astype(bool).to_numpy()


# --------------------------------------------------------------------------- what to enter

def expected_text(spec: InputSpec) -> str:
    """What a valid value of this input looks like, in Chinese (also used in findings)."""
    return spec.type.expected(spec)


def requirement(spec: InputSpec) -> str:
    """The 填写要求 cell: how to fill this input in."""
    return spec.type.requirement(spec)


def refused_text(spec: InputSpec) -> str:
    """What a refused value of this input should have been (the findings' 应为)."""
    return spec.type.refused(spec)


def _input_message(spec: InputSpec) -> str:
    msg = f"{spec.label}\n{requirement(spec)}"
    return msg if len(msg) <= 250 else msg[:249] + "…"


def validation(spec: InputSpec, cell: str) -> dict:
    """The Excel data validation of one input cell (Excel stops a wrong entry)."""
    base = {
        "input_title": f"编号 {spec.code}"[:32],
        "input_message": _input_message(spec),
        "error_title": "填报值不符合要求",
        "error_message": ("应" + requirement(spec))[:250],
        "ignore_blank": True,
    }
    return base | spec.type.validation(spec, cell)


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(x)


# --------------------------------------------------------------------------- showing a value

def display(inp, rules: RuleBook, code: str, at: np.ndarray) -> np.ndarray:
    """The values of input `code` of the units at `at`, as the audit shows them ("3 件", "4.5%")."""
    spec = rules.inputs[code]
    kind = spec.type
    text = kind.shown(inp, code, at)
    unit = kind.display_unit(spec)
    return text + (" " + unit if unit and unit != "%" else unit)
