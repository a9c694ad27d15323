"""Drafting rules from a table's text: one 扣分标准/加分标准 sentence -> proposed parts.

`draft_sentence(text, side, points)` reads one sentence and proposes the rule
parts it says (kind, amounts, caps), the inputs they need (each with a label
made from the sentence) and a status:

    已识别    every scoring figure of the sentence is explained by a phrasing
    需确认    a reading was chosen where the text allows more than one; the
              reasons say which and why
    未能识别  something the phrasings do not account for (a figure left over,
              a judgement, a veto): a person writes the rule

Honesty over coverage: a figure left unexplained, a deduction above the
row's points, a cap the chosen reading could never reach, all keep the status
from 已识别. `draft_item` does the same for a 综合加分项/重大扣分项 clause.

The phrasings are data in the part kinds' classes (rules/parts.py), beside
each kind's computation and sentence, and the same patterns serve the text
cross-check (crosscheck.py); what a match makes is said here. Only the
judgements a person makes (视情况, ranges, vetoes) are listed here: no part
comes of them. A whole table's draft (TOML, JSON) is rules/drafting.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from types import MappingProxyType

from ..figures import fmt, fmt_short, to_hundredths
from ..labels import NO, YES
from .inputs import Level as LevelInput, Score as ScoreInput
from .model import Part
from .parts import CAPS, kind_of, N, ONE, UNIT, Flag, Level, Per, Rate, RankImprovement, RankPenalty, Score, Shortfall, Threshold

RECOGNISED, CONFIRM, UNRECOGNISED = "已识别", "需确认", "未能识别"
STATUS_EN = {RECOGNISED: "understood", CONFIRM: "to confirm", UNRECOGNISED: "not understood"}
_ORDER = {RECOGNISED: 0, CONFIRM: 1, UNRECOGNISED: 2}


def _role(kind, role: str = "amount") -> list[tuple[str, re.Pattern]]:
    """(name, pattern) of a part kind's phrasings with one role (rules/parts.py)."""
    return [(ph.name, ph.pattern) for ph in kind.phrasings if ph.role == role]


_CAP = [(ph.name, ph.pattern) for ph in CAPS if ph.role == "cap"]
_NO_CAP = next(ph.pattern for ph in CAPS if ph.role == "no_cap")
_FLAG_POINTS = _role(Flag, "points")
_FLAG_AMOUNT = next(ph for ph in Flag.phrasings if ph.general)
_PER_RATE = next(ph for ph in Per.phrasings if ph.name.startswith("按"))   # 按0.5分/个扣分: the amount first
_RATE = _role(Rate)
_RATE_DEFINITION = _role(Rate, "definition")[0][1]
_RATE_BETWEEN, _RATE_OVER = (p for _, p in _role(Rate, "band"))
_THRESHOLD = _role(Threshold)[0][1]
_RANK_UP = _role(RankImprovement)[0][1]
_RANK_OVER, _RANK_PER_PLACE = (p for _, p in _role(RankPenalty))
_SHORTFALL = _role(Shortfall)
_PER = _role(Per)

# No part comes of these: a person decides (docs: "Never 已识别").
_JUDGEMENT = [
    ("视情况扣分", re.compile(r"视情况|根据实际情况|按比例扣分|按比重扣分")),
    ("N-M分", re.compile(N + r"\s*[-－—~～至]\s*" + N + r"\s*分")),
    ("单项否决", re.compile(r"单项否决|判定为不合格|不高于及格分")),
    ("可得N%", re.compile(r"得分率|可得\d+%")),
]
_DISCRETION = re.compile(r"酌情")

_SPLIT = re.compile(r"[；;。]")
_UNIT_NOUN = {"个县": "县个数", "个市": "市个数", "个": "个数", "领域": "领域数", "名": "名次"}


@dataclass
class DraftInput:
    id: str
    label: str
    kind: str                     # yesno | count | amount | rank | level | score | text
    unit: str = ""
    levels: tuple[str, ...] = ()
    percent: bool = False
    required_if_positive: str | None = None

    def as_dict(self) -> dict:
        d = {"id": self.id, "label": self.label, "kind": self.kind}
        if self.unit:
            d["unit"] = self.unit
        if self.levels:
            d["levels"] = list(self.levels)
        if self.percent:
            d["percent"] = True
        if self.required_if_positive:
            d["required_if_positive"] = self.required_if_positive
        return d


@dataclass
class DraftPart:
    """A proposed part, in the terms of rules.Part: kind, inputs by role, params
    (amounts in hundredths); `phrasing` names what produced it."""
    kind: str
    inputs: dict[str, str]
    params: dict
    phrasing: str = ""
    condition: str = ""           # the circumstance as written (a flag's, kept for another reading)


@dataclass
class Draft:
    parts: list[DraftPart] = field(default_factory=list)
    inputs: list[DraftInput] = field(default_factory=list)
    cap: int | None = None        # the cap over all the sentence's parts
    status: str = RECOGNISED
    reasons: list[str] = field(default_factory=list)

    def flag(self, status: str, reason: str) -> None:
        if _ORDER[status] > _ORDER[self.status]:
            self.status = status
        if reason not in self.reasons:
            self.reasons.append(reason)

    def add_input(self, label: str, kind: str, **kw) -> str:
        used = {s.id for s in self.inputs}
        letter = next(c for c in "abcdefghijklmnopqrstuvwxyz" if c not in used)
        self.inputs.append(DraftInput(id=letter, label=_tidy(label), kind=kind, **kw))
        return letter


# --------------------------------------------------------------------------- the engine

def draft_sentence(text: str, side: str = "deduct", points: int | None = None, method: str = "") -> Draft:
    """Propose the parts of one 扣分标准 (side "deduct") or 加分标准 ("bonus") text.

    `points` (hundredths) is the row's points, `method` its 考核方式 (a text
    with no figure, scored by another office's standard, becomes a score input)."""
    draft = Draft()
    text = _digits(text or "").strip()
    if not text:
        return draft
    for name, pattern in _JUDGEMENT:
        if pattern.search(text):
            draft.flag(UNRECOGNISED, f"“{pattern.search(text).group(0)}”需由人判断 / a person decides ({name})")
    rest = _rates(text, draft)
    items = [seg for line in rest.split("\n") for seg in [line.strip()] if seg]
    local_caps: list[tuple[int, list[DraftPart], str]] = []
    row_caps: list[tuple[int, str]] = []
    context = ""
    for line in items:
        for seg in _segments(line):
            seg, caps = _take_caps(seg, side)
            before = len(draft.parts)
            seg = _amount_clauses(seg, side, points, draft, context)
            made = draft.parts[before:]
            for amount, scope, shown in caps:
                if scope == "row" or not made:
                    row_caps.append((amount, shown))
                else:
                    local_caps.append((amount, made, shown))
            context = "" if made else (context + "，" + seg if context else seg)
            _leftover(seg, draft)
    _settle_caps(draft, local_caps, row_caps)
    _check_reading(draft, side, points)
    if not draft.parts:
        if side == "deduct" and _scored_elsewhere(method):
            letter = draft.add_input("核定得分", ScoreInput.name)
            draft.parts.append(DraftPart(Score.name, {"input": letter}, {}, "考核方式：另定标准"))
            draft.flag(CONFIRM, "原文未写扣分数字，考核方式为另行制定标准：按核定得分计 / no figure in the text; the office that sets the standard gives the score")
        elif draft.status == RECOGNISED:
            draft.flag(UNRECOGNISED, "原文中找不到分值 / no figure found in the text")
    return draft


def draft_item(text: str, side: str) -> Draft:
    """A 综合加分项 (side "extra") or 重大扣分项 ("major") clause."""
    draft = Draft()
    text = _digits(text or "").strip()
    if _DISCRETION.search(text) and not re.search(N + "分", text):
        a = draft.add_input("领导小组酌情" + ("加" if side == "extra" else "扣") + "分分值", "amount")
        draft.add_input("酌情" + ("加" if side == "extra" else "扣") + "分的情形说明", "text", required_if_positive=a)
        draft.parts.append(DraftPart(Per.name, {"input": a}, {"unit": 100}, "酌情"))
        draft.flag(CONFIRM, "分值由领导小组酌情确定，填报时须写明情形 / an amount the office decides, with a note")
        return draft
    rank = _ranks(text, side, draft)
    if rank:
        return draft
    sub = draft_sentence(text, "bonus" if side == "extra" else "deduct")
    draft.parts, draft.inputs, draft.cap, draft.status, draft.reasons = sub.parts, sub.inputs, sub.cap, sub.status, sub.reasons
    if side == "major":
        # By the project's decision a major deduction counts occurrences (1 for one case).
        for part in draft.parts:
            if part.kind == Flag.name:
                part.kind, part.params = Per.name, {"unit": part.params["amount"]}
                for spec in draft.inputs:
                    if spec.id == part.inputs["input"]:
                        spec.kind, spec.label = "count", _tidy(part.condition) + "的起数"
                draft.flag(CONFIRM, "重大扣分按起数计（一起填1） / read per occurrence (enter 1 for one case)")
    return draft


def status_of(*drafts: Draft) -> str:
    return max((d.status for d in drafts), key=_ORDER.get, default=RECOGNISED)


# --------------------------------------------------------------------------- pieces of the engine

def _rates(text: str, draft: Draft) -> str:
    """Rate parts (得分=…率×N, with bands), taken out of the text."""
    defs = {m.group("name").strip("（(）) "): (m.group("num"), m.group("den")) for m in _RATE_DEFINITION.finditer(text)}
    for name, pattern in _RATE:
        m = pattern.search(text)
        if not m:
            continue
        rate_name = (m.groupdict().get("name") or "").strip()
        num, den = m.groupdict().get("num"), m.groupdict().get("den")
        if not num and rate_name:
            num, den = defs.get(rate_name, defs.get(rate_name.lstrip("核查"), (None, None)))
        invert = name == "得分=X率×N" or name == "得分=A/B×N"
        per_rate = to_hundredths(m.groups()[-1])
        span = [(m.start(), m.end())]
        bands = _bands(text, per_rate, draft, span)
        if not num or not den:
            draft.flag(UNRECOGNISED, f"“{m.group(0)}”中的比率未写明分子分母 / the rate's numerator and denominator are not given")
            num, den = rate_name + "的分子", rate_name + "的分母"
        a = draft.add_input(num.strip("（()） "), "count")
        b = draft.add_input(den.strip("（()） "), "count")
        draft.parts.append(DraftPart(Rate.name, {"num": a, "den": b}, {"bands": bands, "zero": "error", **({"invert": True} if invert else {})}, name))
        for d in _RATE_DEFINITION.finditer(text):
            span.append((d.start(), d.end()))
        for s, e in sorted(span, reverse=True):
            text = text[:s] + "，" + text[e:]
        break
    return text


def _bands(text: str, per_rate: int, draft: Draft, span: list) -> list[dict]:
    between = _RATE_BETWEEN.search(text)
    over = _RATE_OVER.search(text)
    if between:
        low, high, fixed = (to_hundredths(g) for g in between.groups()[:3])
        span.append((between.start(), between.end()))
        bands = [{"bound": "below", "limit": low // 100, "per_rate": per_rate},
                 {"bound": "below", "limit": high // 100, "fixed": fixed}]
        if over:
            bands.append({"fixed": to_hundredths(over.groups()[-1])})
            span.append((over.start(), over.end()))
        else:
            bands.append({"per_rate": per_rate})
        draft.flag(CONFIRM, f"比率分段：{fmt_short(low)}%（含）至{fmt_short(high)}%（不含）扣{fmt_short(fixed)}分，"
                            "两端的归属请确认 / rate bands: which end of each band is included is a reading")
        return bands
    if over:
        limit, fixed = to_hundredths(over.group(1)), to_hundredths(over.groups()[-1])
        span.append((over.start(), over.end()))
        draft.flag(CONFIRM, f"比率超过{fmt_short(limit)}%直接扣{fmt_short(fixed)}分（恰为{fmt_short(limit)}%按比率计） / "
                            f"above {fmt_short(limit)}% a fixed deduction; exactly {fmt_short(limit)}% by the rate")
        return [{"bound": "upto", "limit": limit // 100, "per_rate": per_rate}, {"fixed": fixed}]
    return [{"per_rate": per_rate}]


def _ranks(text: str, side: str, draft: Draft) -> bool:
    if side == "extra":
        found = list(_RANK_UP.finditer(text))
        if not found:
            return False
        step, amounts = {}, set()
        for m in found:
            step["capital" if m.group("who") else "prefecture"] = int(m.group(2))
            amounts.add(to_hundredths(m.group(3)))
        a = draft.add_input("上年度排名", "rank")
        b = draft.add_input("本年度排名", "rank")
        draft.parts.append(DraftPart(RankImprovement.name, {"previous": a, "current": b},
                                     {"step": step, "amount": max(amounts)}, "每提升N名"))
        if len(amounts) > 1 or "prefecture" not in step:
            draft.flag(CONFIRM, "排名提升的分值或名次步长不统一 / uneven steps or amounts")
        return True
    over = _RANK_OVER.search(text)
    per_place = _RANK_PER_PLACE.search(text)
    if not (over or per_place):
        return False
    params = {}
    if over:
        params["prefecture"] = {"over": int(over.group(1)), "amount": to_hundredths(over.group(2))}
    if per_place:
        params["capital"] = {"per_place": to_hundredths(per_place.group(2))}
    a = draft.add_input("上年度排名（与综合加分项共用）", "rank")
    b = draft.add_input("本年度排名（与综合加分项共用）", "rank")
    draft.parts.append(DraftPart(RankPenalty.name, {"previous": a, "current": b}, params, "N名以后"))
    draft.flag(CONFIRM, "排名输入与综合加分项的排名共用，请核对 / the ranks are those of the extra item; check the link")
    return True


def _segments(line: str) -> list[str]:
    """Clauses split at 。；, not inside brackets."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(line):
        if ch in "（(":
            depth += 1
        elif ch in "）)":
            depth = max(depth - 1, 0)
        elif depth == 0 and _SPLIT.match(ch):
            out.append(line[start:i])
            start = i + 1
    out.append(line[start:])
    return [s.strip() for s in out if s.strip()]


def _take_caps(seg: str, side: str) -> tuple[str, list[tuple[int, str, str]]]:
    caps = []
    for name, pattern in _CAP:
        for m in pattern.finditer(seg):
            verb = m.groupdict().get("verb") or "扣"
            if ("加" in verb) != (side != "deduct"):
                continue
            scope = "row" if m.groupdict().get("scope") else "near"
            caps.append((to_hundredths(m.groups()[-1]), scope, m.group(0)))
        seg = pattern.sub(lambda m: "，" if ("加" in (m.groupdict().get("verb") or "扣")) == (side != "deduct") else m.group(0), seg)
    seg = _NO_CAP.sub("，", seg)
    return seg, caps


def _amount_clauses(seg: str, side: str, points: int | None, draft: Draft, context: str) -> str:
    """Every amount of the clause as a part; returns the clause with them taken out."""
    side_word = "deduct" if side == "deduct" else "bonus"
    pos, pieces, leftover = 0, [], seg
    # Points-relative flags first (no figure of their own).
    for name, pattern in _FLAG_POINTS:
        for m in pattern.finditer(seg):
            if points is None:
                draft.flag(UNRECOGNISED, f"“{m.group(0)}”但本行无赋分 / no points on this row")
                continue
            amount = points if name == "不得分" else points // 2
            label, when = _flag_reading(seg[:m.start()], context, draft)
            letter = draft.add_input(label, "yesno")
            draft.parts.append(DraftPart(Flag.name, {"input": letter}, {"when": when, "amount": amount}, name,
                                         _condition(seg[:m.start()], context)))
            leftover = leftover.replace(m.group(0), "，")
    seg = leftover
    # Every amount of the side (Flag's …扣N分, Per's 按N分/个扣分), in text order.
    found = sorted((m for ph in (_FLAG_AMOUNT, _PER_RATE) for m in ph.pattern.finditer(seg) if ph.side_of(m) == side_word),
                   key=lambda m: m.start())
    for m in found:
        if m.start() < pos:
            continue
        pieces.append((pos, seg[pos:m.end()], m))
        pos = m.end()
    threshold = _THRESHOLD
    flags: list[tuple[DraftPart, str]] = []
    used: list[tuple[int, int]] = []       # spans of seg a phrasing explained
    for base, clause, m in pieces:
        used.append(m.span())
        amount = to_hundredths(m.group("amount"))
        t = threshold.search(clause)
        if t and side != "deduct":
            used.append((base + t.start(), base + t.end()))
            label = _condition(clause[:t.start()], context) + "（%）"
            letter = draft.add_input(label, "amount", percent=bool(t.group("pct")))
            draft.parts.append(DraftPart(Threshold.name, {"input": letter}, {"at_least": to_hundredths(t.group(1)), "amount": amount}, "不低于N%"))
            continue
        short = next(((n, p.search(clause)) for n, p in _SHORTFALL if p.search(clause)), None)
        if short and side == "deduct":
            name, s = short
            used.append((base + s.start(), base + s.end()))
            target = _target(clause, s, name, context)
            unit_word = s.group(2) if name.startswith("少于") else s.group(1)
            cond = _condition(clause[:s.start()], context)
            if target is None:
                letter = draft.add_input(cond + f"缺少的{_noun(unit_word)}", "count", unit=unit_word)
                draft.parts.append(DraftPart(Per.name, {"input": letter}, {"unit": amount}, name))
                draft.flag(CONFIRM, f"“{s.group(0)}”按缺少的{unit_word}数计 / counted over the number missing")
            else:
                achieved = _STRONG_NEG.sub("", cond, count=1) if not name.startswith("少于") else cond
                letter = draft.add_input(f"{achieved}的{_noun(unit_word)}（应为{target}{unit_word}）", "count", unit=unit_word)
                draft.parts.append(DraftPart(Shortfall.name, {"input": letter}, {"target": target, "unit": amount}, name))
                draft.flag(CONFIRM, f"“{s.group(0)}”读作不足{target}{unit_word}的差额每{unit_word}扣{fmt_short(amount)}分 / a shortfall from {target}")
            continue
        per = next(((n, p.search(clause)) for n, p in _PER if p.search(clause)), None)
        if per:
            name, p = per
            used.append((base + p.start(), base + p.end()))
            unit_word = next(g for g in p.groups() if g and not re.fullmatch(N, g) and g not in ("扣", "加"))
            middle = ""
            if name == "有一项，扣N分":     # 有一期不按出版日期出版，扣0.5分: the circumstance follows
                middle = re.sub(r"^有" + ONE + UNIT, "", p.group(0))
                middle = re.sub(r"[，,]?(?:扣|加)" + N + "分$", "", middle).strip("，, ")
            before = _condition(clause[:p.start()], context, whole_context=True)
            label = (f"{middle}的{_noun(unit_word)}（{before}）" if before else f"{middle}的{_noun(unit_word)}") if middle \
                else f"{before or '扣分（加分）情形'}的{_noun(unit_word)}"
            letter = draft.add_input(label, "count", unit=unit_word.removeprefix("个") or unit_word)
            draft.parts.append(DraftPart(Per.name, {"input": letter}, {"unit": amount}, name))
            continue
        if not _condition(clause[:m.start() - base], context):
            draft.flag(UNRECOGNISED, f"“{clause}”找不到扣分（加分）情形 / no condition before the amount")
            continue
        label, when = _flag_reading(clause[:m.start() - base], context, draft)
        letter = draft.add_input(label, "yesno")
        part = DraftPart(Flag.name, {"input": letter}, {"when": when, "amount": amount}, "…的，扣N分",
                         _condition(clause[:m.start() - base], context))
        draft.parts.append(part)
        flags.append((part, clause))
        bound = _BOUND.search(part.condition)
        if bound:
            draft.flag(CONFIRM, f"情形中有数量界限“{bound.group(0)}”，按是否达到该界限填“是/否” / a bound in the circumstance, entered as yes/no")
    # …的，加1分，…全面的，加2分 in one clause: levels, the higher replacing the lower.
    if side != "deduct" and len(flags) > 1 and all(flags[i][0].params["amount"] < flags[i + 1][0].params["amount"] for i in range(len(flags) - 1)):
        for part, _ in flags:
            draft.parts.remove(part)
        ids = {p.inputs["input"] for p, _ in flags}
        draft.inputs = [s for s in draft.inputs if s.id not in ids]
        levels = ("无",) + tuple(p.condition for p, _ in flags)
        letter = draft.add_input(flags[0][0].condition + "的情况", LevelInput.name, levels=levels)
        draft.parts.append(DraftPart(Level.name, {"input": letter}, {"amounts": [0] + [p.params["amount"] for p, _ in flags]}, "…的加1分，…全面的加2分"))
    for start, end in sorted(used, reverse=True):
        seg = seg[:start] + "，" + seg[end:]
    return seg


_QUESTION = re.compile(r"是否")
_BOUND = re.compile(r"(?:[≤≥<>＜＞]=?|低于|高于|不低于|不高于|超过|不足|少于|多于)\s*\d+(?:\.\d+)?%?|\d+(?:\.\d+)?%?(?:以上|以下|及以上|及以下)")
_STRONG_NEG = re.compile(r"未能|未|没有|不能")
_JOINED = re.compile(r"^(?:或|也|且|并|以及)")


def _pieces(text: str) -> list[str]:
    """Comma-separated pieces, not split inside brackets; a piece opening with
    或/也/且 is joined to the one before it (one circumstance)."""
    out, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "（(“":
            depth += 1
        elif ch in "）)”":
            depth = max(depth - 1, 0)
        elif depth == 0 and ch in "，,":
            out.append(text[start:i])
            start = i + 1
    out.append(text[start:])
    out = [p.strip() for p in out if p.strip() and not re.fullmatch(r"\s*(?:发现|每|有)?\s*", p)]
    joined: list[str] = []
    for p in out:
        if joined and _JOINED.match(p):
            joined[-1] += "，" + p
        else:
            joined.append(p)
    return joined


def _condition(before: str, context: str, whole_context: bool = False) -> str:
    """The circumstance a figure is for: the piece just before it (the context's
    last, or all of it, when the figure's clause has none)."""
    parts = _pieces(before)
    if not parts and context:
        parts = [context] if whole_context else _pieces(context)[-1:]
    if not parts:
        return ""
    cond = re.sub(r"^(?:\d+[.、．]|[①-⑩])?(?:各市|对于)?", "", parts[-1].strip())
    return _tidy(re.sub(r"的?(?:另|再|还)?$", "", cond))


def _flag_reading(before: str, context: str, draft: Draft) -> tuple[str, str]:
    """(label, when) of a yes/no input: the label says the circumstance
    positively (是否建立…), and `when` is the answer that scores."""
    parts = _pieces(before) or _pieces(context)[-1:]
    core = re.sub(r"^(?:\d+[.、．]|[①-⑩])?(?:各市|对于)?", "", parts[-1]) if parts else ""
    core = re.sub(r"的?(?:另|再|还)?$", "", core)
    earlier = parts[:-1] or _pieces(context)
    question = next((p for p in reversed(earlier) if "是否" in p), None)
    bare = _STRONG_NEG.sub("", core, count=1).removesuffix("的")
    short = len(bare) <= 6 and bool(earlier)
    strong = _STRONG_NEG.findall(core)
    if "是否" in core:
        return "是否" + core.split("是否", 1)[1], "否"
    if len(strong) == 1 or (not strong and core.count("不") == 1):
        pos = _STRONG_NEG.sub("", core, count=1) if strong else core.replace("不", "", 1)
        if short:
            return (question if question else f"是否{pos}（{earlier[0]}）"), "否"
        return "是否" + pos, "否"
    alternatives = re.split(r"[，,]?或(?=未能|未|没有|不能)", core)
    if len(alternatives) > 1 and all(len(_STRONG_NEG.findall(a)) == 1 for a in alternatives):
        return "是否" + "且".join(_STRONG_NEG.sub("", a, count=1).removesuffix("的") for a in alternatives), "否"
    if question:
        draft.flag(CONFIRM, f"“{core}”未写明“未”，按“{question}”为“否”时扣分理解 / read as deducting when the question is answered 否")
        return question, "否"
    if strong or "不" in core:
        draft.flag(CONFIRM, f"“{core}”含多重否定，按“存在该情形”计 / several negations: read as “the case occurred”")
        return f"是否存在“{core}”的情形", "是"
    return "是否" + core, "是"


def _target(clause: str, match, name: str, context: str) -> int | None:
    if name.startswith("少于"):
        return int(match.group(1))
    whole = context + clause
    for word, n in (("每季度", 4), ("每月", 12), ("每半年", 2), ("每年", 1)):
        if word in whole:
            return n
    m = re.search(r"(?:至少|不少于)(\d+)" + UNIT, whole)
    return int(m.group(1)) if m else None


def _noun(unit_word: str) -> str:
    return _UNIT_NOUN.get(unit_word, unit_word + "数")


def _leftover(seg: str, draft: Draft) -> None:
    """What no phrasing explained: a figure in 分 or %, or a scoring word."""
    for m in re.finditer(N + r"\s*(?:分|%)", seg):
        draft.flag(UNRECOGNISED, f"“{m.group(0)}”未能解释 / a figure left unexplained")
    for m in re.finditer(r"[^，,；;。]{0,8}(?:扣分|扣除|减分|加分|加倍|[0-9一两二三四五]倍|[扣减加][^0-9，,；;。]{0,3}分)[^，,；;。]{0,8}", seg):
        draft.flag(UNRECOGNISED, f"“{m.group(0)}”未能解释 / a scoring clause left unexplained")


def _settle_caps(draft: Draft, local, row_caps) -> None:
    """A cap beside one clause caps that clause, unless the sentence has one part."""
    single = len(draft.parts) == 1
    for amount, made, shown in local:
        if single:
            row_caps.append((amount, shown))
        else:
            for part in made:
                part.params["cap"] = amount
    if row_caps:
        amounts = {a for a, _ in row_caps}
        draft.cap = min(amounts)
        if len(amounts) > 1:
            draft.flag(CONFIRM, "原文有几个不同的总上限，取最小 / several caps over the row; the smallest taken")


def _check_reading(draft: Draft, side: str, points: int | None) -> None:
    if side != "deduct":
        return
    for part in draft.parts:
        amount = part.params.get("amount")
        if part.kind == Flag.name and points is not None and amount is not None and amount > points:
            draft.flag(CONFIRM, f"扣{fmt_short(amount)}分超过本行赋分{fmt_short(points)}分，按赋分封顶 / above the row's points: capped at them")
    # A cap the flags together can never reach: the text counts cases.
    flags = [p for p in draft.parts if p.kind == Flag.name]
    if draft.cap is not None and flags and len(flags) == len(draft.parts) and len(flags) > 1:
        if sum(p.params["amount"] for p in flags) < draft.cap:
            for part in flags:
                part.kind, part.params = Per.name, {"unit": part.params["amount"]}
                for spec in draft.inputs:
                    if spec.id == part.inputs["input"]:
                        spec.kind, spec.label = "count", _tidy(part.condition) + "的次数"
            draft.flag(CONFIRM, f"各情形合计扣分达不到扣分上限{fmt_short(draft.cap)}分，按次数累计 / the cap is out of reach as flags: read per case")


def _scored_elsewhere(method: str) -> bool:
    return bool(re.search(r"制定考核标准|提供考核结果|核定", method or ""))


def _digits(text: str) -> str:
    return text.translate(str.maketrans("０１２３４５６７８９．％", "0123456789.%"))


def _tidy(label: str) -> str:
    return re.sub(r"\s+", "", label).strip("，,、 ")


# --------------------------------------------------------------------------- in the rules' shapes

def as_part(part: DraftPart, side: str, owner: str = "") -> Part:
    """The drafted part as a rules Part (its inputs' letters prefixed by `owner`)."""
    params = dict(part.params)
    if "when" in params:
        params["when"] = params["when"] == YES
    return Part(kind=part.kind, side=side, inputs=MappingProxyType({r: owner + v for r, v in part.inputs.items()}),
                params=MappingProxyType(params))


def part_dict(part: DraftPart, side: str, owner: str = "") -> dict:
    """The part as the rules file and `scheme --json` write it (its kind's as_dict)."""
    return kind_of(as_part(part, side, owner)).as_dict(as_part(part, side, owner))


def describe_part(part: DraftPart, side: str) -> str:
    """The part in plain words (每件扣0.5分，最多扣2分), said by its kind."""
    return kind_of(as_part(part, side)).plain(as_part(part, side))


def describe(draft: Draft, side: str) -> str:
    """A whole drafted sentence in plain words, its cap included."""
    words = "；".join(describe_part(p, side) for p in draft.parts)
    if draft.cap is not None:
        verb = "加" if side in ("bonus", "extra") else "扣"
        words += f"；合计最多{verb}{fmt_short(draft.cap)}分"
    return words


@dataclass
class RowDraft:
    """One scoring row's draft: the deduction and the bonus sentence, the row's
    inputs lettered in that order."""
    code: str
    deduct: Draft
    bonus: Draft

    @property
    def status(self) -> str:
        return status_of(self.deduct, self.bonus)

    @property
    def reasons(self) -> list[str]:
        return self.deduct.reasons + self.bonus.reasons

    @property
    def inputs(self) -> list[DraftInput]:
        return self.deduct.inputs + self.bonus.inputs

    def rule(self) -> dict:
        """In the shape of `scheme --json`'s rule."""
        return {
            "deduct": [part_dict(p, "deduct", self.code) for p in self.deduct.parts],
            "bonus": [part_dict(p, "bonus", self.code) for p in self.bonus.parts],
            "deduct_cap": None if self.deduct.cap is None else fmt(self.deduct.cap),
            "bonus_cap": None if self.bonus.cap is None else fmt(self.bonus.cap),
        }


def draft_rows(code: str, deduction_text: str, bonus_text: str, points: int | None, method: str = "") -> RowDraft:
    """Draft one scoring row; the bonus inputs follow the deduction's letters."""
    d = draft_sentence(deduction_text, "deduct", points, method)
    b = draft_sentence(bonus_text, "bonus", points)
    letters = "abcdefghijklmnopqrstuvwxyz"
    remap = {s.id: letters[len(d.inputs) + i] for i, s in enumerate(b.inputs)}
    for s in b.inputs:
        if s.required_if_positive:
            s.required_if_positive = remap[s.required_if_positive]
        s.id = remap[s.id]
    for p in b.parts:
        p.inputs = {role: remap[v] for role, v in p.inputs.items()}
    return RowDraft(code, d, b)


def draft_row(code: str, deduction_text: str, bonus_text: str, points: int | None, method: str = "") -> dict:
    """One scoring row: {"code", "status", "reasons", "inputs", "rule"} with
    `rule` in the shape of `scheme --json` (deduct, bonus, deduct_cap, bonus_cap)."""
    row = draft_rows(code, deduction_text, bonus_text, points, method)
    return {"code": code, "status": row.status, "reasons": row.reasons,
            "inputs": [s.as_dict() for s in row.inputs], "rule": row.rule()}


__all__ = ["CONFIRM", "RECOGNISED", "UNRECOGNISED", "Draft", "DraftInput", "DraftPart", "RowDraft",
           "as_part", "describe", "describe_part", "draft_item", "draft_row", "draft_rows", "draft_sentence",
           "part_dict", "status_of"]
