"""Cross-check of the figures written in the rule text against the rules.

The rules (data/rules-2022.toml) were written from the spec; the table's
扣分标准/加分标准 text is what the cities read. This module picks the figures
out of the text where it follows the common patterns, independently of the
rules, and lists every place where the two differ. The amounts are found by
the phrasings of the part kinds and the cap phrasings (rules/parts.py: 扣X分,
发现一件…扣X分, 得分=…×X; 扣分上限为X分, 最多扣X分), the same patterns the
drafting engine (rules/draft.py) reads. A cap reads:

    扣分上限为X分 / 扣分上限X分 / 最多扣X分   a cap (of a clause or of the row)
    总扣分上限为X分 / 以上…合计扣分上限为X分 / 两项扣分上限为X分
                                         the row's cap
    加分上限为X分                        the row's bonus cap

A deduction cap at or above the row's points says nothing (a row never loses
more than its points), so such caps are left out on both sides. What is left
are `scheme-text-disagrees` findings (severity info): the table is still
scored by the rules, and the findings show where and why the rules read the
text as they do (e.g. 1.2.1 and 3.1.2 deduct 3 on a 2-point row).
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd

from .figures import fmt_short, to_hundredths
from .findings import Finding
from .rules.parts import CAPS, KINDS, Figure, Phrasing, kind_of

_WS = re.compile(r"\s+")
_CLAUSE_END = re.compile(r"[，,；;。：:\n（）()]")


def _phrasings() -> list[Phrasing]:
    """The part kinds' phrasings that give a figure, the catch-alls last."""
    found = [ph for kind in KINDS.values() for ph in kind.phrasings if ph.figure]
    return sorted(found, key=lambda ph: ph.general)


_PHRASINGS = _phrasings()
_CAPS = [ph for ph in CAPS if ph.role == "cap"]


def text_figures(text: str, side: str) -> tuple[list[Figure], list[Figure]]:
    """(amounts, caps) written in a 扣分标准 (side "deduct") or 加分标准 ("bonus") text,
    found by the part kinds' own phrasings (rules/parts.py), in text order."""
    amounts: list[tuple[int, Figure]] = []
    caps: list[Figure] = []
    if not text:
        return [], caps
    claimed: set[int] = set()           # where a figure starts: one phrasing each
    for ph in _PHRASINGS:
        for m in ph.pattern.finditer(text):
            at = m.start("amount")
            if ph.side_of(m) != side or at in claimed:
                continue
            claimed.add(at)
            shown = _snippet(text, m.start(), m.end()) if ph.show == "clause" else m.group(0)
            amounts.append((at, Figure(ph.figure, to_hundredths(m.group("amount")), shown)))
    for ph in _CAPS:
        for m in ph.pattern.finditer(text):
            if ph.side_of(m) != side:
                continue
            scope = "row_cap" if side == "bonus" or m.groupdict().get("scope") else "cap"
            caps.append(Figure(scope, to_hundredths(m.group("amount")), m.group(0)))
    return [f for _, f in sorted(amounts, key=lambda a: a[0])], caps


def rule_figures(rule, side: str) -> tuple[list[Figure], list[Figure]]:
    """(amounts, caps) of a RowRule's deduction or bonus parts, in the same terms."""
    amounts: list[Figure] = []
    caps: list[Figure] = []
    parts = rule.deduct if side == "deduct" else rule.bonus
    for part in parts:
        p = part.params
        ids = {role: _letter(code, rule.code) for role, code in part.inputs.items()}
        amounts.extend(kind_of(part).figures(part, ids))
        if "cap" in p:
            caps.append(Figure("cap", p["cap"], f"{ids.get('input', '')} cap {fmt_short(p['cap'])}".strip()))
    row_cap = rule.deduct_cap if side == "deduct" else rule.bonus_cap
    if row_cap is not None:
        caps.append(Figure("row_cap", row_cap, f"row cap {fmt_short(row_cap)}"))
    return amounts, caps


def cross_check(frame, book, file: str = "", sheet: str = "", cells: dict[str, str] | None = None) -> list[Finding]:
    """Findings for every figure of the text that the rules do not carry, and back."""
    cells = cells or {}
    out: list[Finding] = []
    for rec in frame.itertuples():
        rule = book.rows.get(rec.code)
        if rule is None:
            continue
        points = None if pd.isna(rec.points) else int(rec.points)
        for side, text, column in (("deduct", rec.deduction_text, "deduction_text"), ("bonus", rec.bonus_text, "bonus_text")):
            cell = f"{cells[column]}{rec.sheet_row}" if cells.get(column) else ""
            for value, expected, note in _compare(rule, side, text, points):
                out.append(Finding("scheme-text-disagrees", file=file, sheet=sheet, cell=cell,
                                   input=rec.code, value=value, expected=expected, note=note))
    return out


# --------------------------------------------------------------------------- comparing

def _compare(rule, side: str, text: str, points: int | None) -> list[tuple[str, str, str]]:
    t_amounts, t_caps = text_figures(text, side)
    r_amounts, r_caps = rule_figures(rule, side)
    verb = "扣" if side == "deduct" else "加"
    out: list[tuple[str, str, str]] = []

    # The text deducts more than the row is worth: the row's points cap it.
    if side == "deduct" and points is not None:
        for f in t_amounts:
            if KINDS[f.kind].once and f.amount > points:
                out.append((f.show, f"flag {fmt_short(f.amount)}, capped at {fmt_short(points)}",
                            f"原文扣{fmt_short(f.amount)}分，超过本行赋分{fmt_short(points)}分；按赋分封顶，最多扣{fmt_short(points)}分"))

    t_left, r_left = _match(t_amounts, r_amounts, lambda f: (f.kind, f.amount))
    # Same figure, read another way (e.g. the text fixes it, the rule counts cases).
    pairs: dict[tuple[str, str, int], list[tuple[Figure, Figure]]] = {}
    for f in list(t_left):
        partner = next((g for g in r_left if g.amount == f.amount), None)
        if partner is not None:
            t_left.remove(f)
            r_left.remove(partner)
            pairs.setdefault((f.kind, partner.kind, f.amount), []).append((f, partner))
    for (tk, rk, amount), group in pairs.items():
        many = f"{len(group)}处" if len(group) > 1 else ""
        out.append(("；".join(f.show for f, _ in group), "; ".join(g.show for _, g in group),
                    f"原文{many}“{_says(tk, verb, amount)}”读作{_kind(tk, verb)}，评分规则{_kind(rk, verb)}"))
    for f in t_left:
        out.append((f.show, "—", f"原文“{_says(f.kind, verb, f.amount)}”在评分规则中没有对应"))
    for g in r_left:
        out.append(("—", g.show, f"评分规则的“{_says(g.kind, verb, g.amount)}”（{_kind(g.kind, verb)}）在原文中找不到"))

    # Caps: a deduction cap at or above the row's points changes nothing.
    if side == "deduct" and points is not None:
        t_caps = [f for f in t_caps if f.amount < points]
        r_caps = [f for f in r_caps if f.amount < points]
    t_left, r_left = _match(t_caps, r_caps, lambda f: (f.kind, f.amount))
    for f in list(t_left):  # a plain cap may be the row's cap or a clause's
        partner = next((g for g in r_left if g.amount == f.amount and f.kind == "cap"), None)
        if partner is not None:
            t_left.remove(f)
            r_left.remove(partner)
    cap_word = "扣分上限" if side == "deduct" else "加分上限"
    for f in t_left:
        out.append((f.show, "—", f"原文“{cap_word}{fmt_short(f.amount)}分”在评分规则中没有对应"))
    for g in r_left:
        out.append(("—", g.show, f"评分规则的{cap_word}{fmt_short(g.amount)}分在原文中找不到"))
    return out


def _match(text: list[Figure], rule: list[Figure], key) -> tuple[list[Figure], list[Figure]]:
    """Pair equal figures; return what is left of each side, in order."""
    available = Counter(key(g) for g in rule)
    t_left = []
    for f in text:
        if available[key(f)] > 0:
            available[key(f)] -= 1
        else:
            t_left.append(f)
    used = Counter(key(f) for f in text) - Counter(key(f) for f in t_left)
    r_left = []
    for g in rule:
        if used[key(g)] > 0:
            used[key(g)] -= 1
        else:
            r_left.append(g)
    return t_left, r_left


def _snippet(text: str, start: int, end: int) -> str:
    """The figure with the clause that introduces it, as the text writes it."""
    bounds = [0] + [b.end() for b in _CLAUSE_END.finditer(text, 0, start)]
    begin = bounds[-2] if len(bounds) > 1 and start - bounds[-2] <= 30 else bounds[-1]
    return _WS.sub("", text[max(begin, start - 30):end])


def _says(kind: str, verb: str, amount: int) -> str:
    return KINDS[kind].says(verb, amount)


def _kind(kind: str, verb: str) -> str:
    return KINDS[kind].reading_zh.format(verb=verb)


def _letter(code: str, owner: str) -> str:
    return code[len(owner):] if code.startswith(owner) else code
