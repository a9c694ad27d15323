"""Views: the stages' results as plain data (JSON) and as text, in one place.

`scheme_as_dict` / `describe_scheme` (what `assess-xlsx scheme` prints, with
or without --json) and `result_as_dict` (what `score --json` writes). Every
figure is a string with two decimals ("97.50"), never a float.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .figures import fmt, fmt_short
from .findings import INFO
from .labels import ITEM_SIDE_ZH, REJECTED, SCORED
from .rules.parts import kind_of
from .rules.roles import OFFICE, SELF
from .scheme import Scheme, default_scheme_path, norm


# --------------------------------------------------------------------------- the scheme

def _dec(h: int | None) -> str | None:
    return None if h is None else fmt(h)


def _bound(spec, value):
    if value is None:
        return None
    return fmt(value) if spec.scaled else int(value)


def part_as_dict(part) -> dict:
    """A rule part as in the rules file (its kind's class writes it)."""
    return kind_of(part).as_dict(part)


def input_as_dict(spec) -> dict:
    return {
        "code": spec.code, "label": spec.label, "kind": spec.kind,
        "min": _bound(spec, spec.min), "max": _bound(spec, spec.max),
        "unit": spec.unit, "levels": list(spec.levels), "percent": spec.percent,
        "required_if_positive": spec.required_if_positive, "filled_by": spec.filled_by,
    }


def scheme_as_dict(scheme: Scheme) -> dict:
    """The whole scheme as plain data (what `assess-xlsx scheme --json` prints)."""
    book = scheme.rules
    rows = []
    for rec in scheme.rows.itertuples():
        rule = book.rows[rec.code] if book is not None else None
        rows.append({
            "code": rec.code, "primary": rec.primary, "secondary": rec.secondary, "tertiary": rec.tertiary,
            "points": None if pd.isna(rec.points) else fmt(int(rec.points)),
            "deduction_text": rec.deduction_text, "bonus_text": rec.bonus_text,
            "method": rec.method, "units": rec.units, "fragment": norm(rec.fragment_label),
            "inputs": [input_as_dict(s) for s in rule.inputs] if rule else [],
            "rule": None if rule is None else {
                "deduct": [part_as_dict(p) for p in rule.deduct],
                "bonus": [part_as_dict(p) for p in rule.bonus],
                "deduct_cap": _dec(rule.deduct_cap), "bonus_cap": _dec(rule.bonus_cap),
                "note": rule.note,
            },
        })
    items = []
    for rec in scheme.items.itertuples():
        rule = book.items.get(rec.code) if book is not None else None
        items.append({
            "code": rec.code, "side": rec.side, "name": rule.name if rule else rec.text,
            "number": int(rec.number), "text": rec.text, "method": rec.method, "units": rec.units,
            "inputs": [input_as_dict(s) for s in rule.inputs] if rule else [],
            "parts": [part_as_dict(p) for p in rule.parts] if rule else [],
            "cap": _dec(rule.cap) if rule else None,
        })
    primaries = [{
        "code": p.code, "name": p.name, "points": fmt(p.points), "rows": int(p.rows),
        "bonus_only_rows": int(p.bonus_only_rows),
        "fragments": [{"label": f["label"], "points": _dec(f["points"]), "sum": fmt(f["sum"]), "rows": f["rows"], "cell": f["cell"]}
                      for f in p.fragments],
    } for p in scheme.primaries.itertuples()]
    checks: dict = dict(scheme.checks)
    checks["passed"] = scheme.ok and scheme.rules is not None
    checks["errors"] = [f.message for f in scheme.report if f.severity != INFO and f.code != "scheme-text-disagrees"]
    checks["text_disagreements"] = [
        {"code": f.input, "cell": f.cell, "text": f.value, "rule": f.expected, "note": f.note}
        for f in scheme.report if f.code == "scheme-text-disagrees"
    ]
    return {
        "name": scheme.name, "source": scheme.source, "sheet": scheme.sheet,
        "base_total": fmt(scheme.base_total), "checks": checks,
        "primaries": primaries, "rows": rows, "items": items,
    }


SIDE_NAMES = {"extra": f"{ITEM_SIDE_ZH['extra']} / extra items", "major": f"{ITEM_SIDE_ZH['major']} / major deductions"}


def describe_scheme(scheme: Scheme) -> list[str]:
    """The structure of a scheme as lines of text (what `assess-xlsx scheme` prints)."""
    source = "内置2022年表 / built-in 2022 table" if Path(scheme.source) == default_scheme_path() else scheme.source
    lines = [
        f"考核方案 / scheme: {scheme.name}",
        f"文件 / file: {source}（工作表 / sheet: {scheme.sheet}）",
        "",
        "一级指标 / primary indicators:",
    ]
    for p in scheme.primaries.itertuples():
        figure = f"{fmt_short(p.points)}分"
        frags = p.fragments
        if len(frags) > 1 or any(f["points"] is not None and f["points"] != f["sum"] for f in frags):
            figure += " = " + "+".join(
                fmt_short(f["sum"]) if f["points"] in (None, f["sum"]) else f"{fmt_short(f['sum'])}（标注 / label {fmt_short(f['points'])}）"
                for f in frags)
        extra = f"（{p.bonus_only_rows}行仅加分 / bonus only）" if p.bonus_only_rows else ""
        lines.append(f"  {p.code} {p.name}  {figure}  {p.rows}行 / rows{extra}")
    bonus_only = scheme.rows[scheme.rows["points"].isna()]
    lines.append(f"基础分合计 / base total: {fmt_short(scheme.base_total)}分（{len(scheme.rows)}行 / rows）")
    lines.append(f"仅加分行 / bonus-only rows ({len(bonus_only)}): "
                 + ("；".join(f"{r.code} {r.tertiary}" for r in bonus_only.itertuples()) or "无 / none"))
    for side, title in SIDE_NAMES.items():
        codes = list(scheme.items.loc[scheme.items["side"] == side, "code"])
        span = f"（{codes[0]}–{codes[-1]}）" if codes else ""
        lines.append(f"{title}: {len(codes)}{span}")
    if scheme.rules is not None:
        lines.append(f"评分规则 / rules: {scheme.rules.name}（{scheme.rules.year}）已附加 / attached")
    else:
        lines.append("评分规则 / rules: 未附加 / not attached")
    if scheme.rules is not None:
        lines.extend(_fillers(scheme.rules))
    texts = [f for f in scheme.report if f.code == "scheme-text-disagrees"]
    lines.append(f"原文与评分规则的出入 / text vs rules ({len(texts)}):")
    lines.extend(f"  {f.input} {f.cell}：{f.note} / the text differs from the rule ({f.expected})" for f in texts)
    problems = [f for f in scheme.report if f.severity != INFO]
    if problems:
        lines.append(f"问题 / problems ({len(problems)}):")
        lines.extend(f"  {f.message}" for f in problems)
    passed = scheme.ok and scheme.rules is not None
    lines.append("检查 / checks: " + ("通过 / passed" if passed else "未通过 / failed"))
    return lines


def _fillers(book) -> list[str]:
    """Who fills what: each filler with the rows and items whose inputs are its."""
    owners: dict[str, list[str]] = {}
    for spec in book.inputs.values():
        codes = owners.setdefault(spec.filled_by, [])
        if spec.owner not in codes:
            codes.append(spec.owner)
    lines = ["由谁填报 / who fills:"]
    for who, codes in owners.items():
        role = FILLER_ROLE.get(who, "核定 / assessor; 考核办亦可填")
        lines.append(f"  {who}（{role}）: {'、'.join(codes)}")
    return lines


FILLER_ROLE = {SELF: "自评 / self-assessed; 考核办可核定", OFFICE: "核定 / the office judges"}


# --------------------------------------------------------------------------- a result

def result_as_dict(result) -> dict:
    """A scoring.Result as plain data, figures as strings with two decimals."""
    name = result.rules.name
    primaries = result.table.primaries
    primary_name = {}
    if "code" in primaries.columns:
        primary_name = dict(zip(primaries["code"].astype(str), primaries["name"]))
    problems_by_city = result.findings.errors_by_unit()
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
    reviews = result.reviews if result.reviews is not None else pd.DataFrame()
    owed = result.owed if result.owed is not None else pd.DataFrame()
    return {
        "scheme": name,
        "ranking": result.settings.ranking,
        "grades": [{"grade": g, "at_least": fmt(b)} for g, b in result.settings.grades],
        "cities": cities,
        # 自评 vs 核定: every difference; the 核定 value is the one scored.
        "reviews": [{k: str(v) for k, v in rec.items()} for rec in reviews.to_dict("records")],
        "owed": [{k: str(v) for k, v in rec.items()} for rec in owed.to_dict("records")],
    }
