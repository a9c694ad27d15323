"""The text of `check` (and the 待核定 wording `score` and `watch` share):
files, problems, values read as a listed form, missing units, what each
assessor still owes, the result line. Plain strings; cli.py echoes them.
"""

from __future__ import annotations

from .labels import (FILE_STATUS_ZH, MISSING, NOT_FORM_EN, NOT_FORM_ZH, PENDING, REJECTED, STATUS_ZH,
                     UNIT_UNKNOWN_EN, UNIT_UNKNOWN_ZH)


def check_lines(sub, rules=None) -> list[str]:
    """The text of `check`: files, problems, values read as a listed form,
    missing units, result. `rules`: to say how the inputs read compare with
    the template's."""
    from .findings import ERROR, INFO, WARNING, in_place_order
    from .rules.roles import SELF     # here: importing the rules package imports pandas, and the CLI imports this module

    # Skipped files are told by their note (value-read-as notes are about cells of files read).
    skips = {f.file: f for f in sub.report if f.severity == INFO and f.code != "value-read-as"}
    not_form = {f.file for f in sub.report if f.code == "sheet-missing"}
    # The unit's own form: the inputs its unit fills (the assessors' are on their sheets).
    own = [spec for spec in rules.inputs.values() if spec.filled_by == SELF] if rules is not None else []
    total = len(own) if rules is not None else None
    notes = sum(1 for spec in own if not spec.type.number)
    lines = []
    for rec in sub.files.itertuples(index=False):
        if rec.status == "skipped":
            f = skips.get(rec.file)
            lines.append(f"{rec.file}：{f.message_zh} / {f.message_en}" if f else f"{rec.file}：已跳过 / skipped")
            continue
        unit = rec.city or UNIT_UNKNOWN_ZH
        unit_en = rec.city or UNIT_UNKNOWN_EN
        if rec.assessor and not rec.city:      # an assessor's wide sheet: one column per unit
            unit, unit_en = f"{rec.assessor}核定表", f"{rec.assessor}'s sheet"
        if rec.status == "unreadable" and rec.file in not_form:
            lines.append(f"{rec.file}：{unit}，{NOT_FORM_ZH}，问题 {rec.problems} 个 / {unit_en}: {NOT_FORM_EN}, {rec.problems} problem(s)")
        elif rec.status == "unreadable":
            lines.append(f"{rec.file}：{unit}，{FILE_STATUS_ZH['unreadable']}，问题 {rec.problems} 个 / {unit_en}: unreadable, {rec.problems} problem(s)")
        elif rec.status == "held":
            lines.append(f"{rec.file}：{unit}，暂不读取（被考核单位与文件名不符），问题 {rec.problems} 个 / "
                         f"{unit_en}: held back (the unit cell contradicts the file name), {rec.problems} problem(s)")
        else:
            lines.append(f"{rec.file}：{unit}，读取 {rec.inputs} 项，问题 {rec.problems} 个 / {rec.inputs} inputs read, {rec.problems} problem(s)")
    if not len(sub.files):
        lines.append("文件夹中没有文件 / the folder holds no file")
    if total is not None and any(rec.status in ("read", "rejected") and not rec.assessor and rec.inputs < total for rec in sub.files.itertuples(index=False)):
        # 88 read of the template's 90: the optional notes left blank are not values.
        lines.append(f"（读取的项数只计已填写的单元格：模板共 {total} 项，其中 {notes} 项情形说明只在对应分值大于0时填写，未填不计 / "
                     f"only filled cells are counted: of the template's {total} inputs, {notes} notes are filled "
                     f"only when their amount is above 0）")
    problems = [f for f in sub.report if f.severity != INFO]
    if problems:
        lines.append("")
        lines.append(f"问题 / Problems（{len(problems)}）：")
        for f in in_place_order(problems):
            tag = "提示 / warning：" if f.severity == WARNING else ""
            lines.append(f"  {tag}{f.message}")
    read_as = in_place_order(f for f in sub.report if f.code == "value-read-as")
    if read_as:
        lines.append("")
        lines.append(f"按规定写法换算 / Read as the listed form（{len(read_as)}）：")
        lines.extend(f"  {f.message}" for f in read_as)
    if sub.missing:
        lines.append("")
        lines.append(f"{STATUS_ZH[MISSING]} / Missing（{len(sub.missing)}）：{'、'.join(sub.missing)}")
    lines.extend(owed_lines(sub.owed, sub.roster))
    rejected = sub.rejected
    pending = sub.pending
    ready = [u for u in sub.roster.units if u not in sub.missing and u not in rejected and u not in pending]
    lines.append("")
    unattributed = sum(1 for f in sub.report if f.severity == ERROR and not f.city)
    extra = f"，{unattributed} 个问题无法归属单位" if unattributed else ""
    extra_en = f", {unattributed} problem(s) with no unit" if unattributed else ""
    lines.append(
        f"结果 / Result：{len(ready)} 个单位可评分，{len(rejected)} 个单位{STATUS_ZH[REJECTED]}，"
        f"{len(sub.missing)} 个单位{STATUS_ZH[MISSING]}{_pending_zh(len(pending))}{extra} / "
        f"{len(ready)} ready, {len(rejected)} rejected, {len(sub.missing)} missing{_pending_en(len(pending))}{extra_en}"
    )
    return lines


def _pending_zh(n: int) -> str:
    return f"，{n} 个单位{STATUS_ZH[PENDING]}" if n else ""


def _pending_en(n: int) -> str:
    return f", {n} pending" if n else ""


def owed_lines(owed, roster) -> list[str]:
    """Per assessor, the inputs it still owes and for which units (全部 when for every unit)."""
    if not len(owed):
        return []
    lines = ["", f"待核定 / Still owed by the assessors（{owed['assessor'].nunique()}）："]
    every = len(roster.units)
    for assessor, mine in owed.groupby("assessor", sort=False):
        lines.append(f"  {assessor}：{len(mine)} 项 / input(s)")
        by_units: dict[tuple, list[str]] = {}
        for code, units in mine.groupby("code", sort=False)["city"]:
            by_units.setdefault(tuple(units), []).append(code)
        for units, codes in by_units.items():
            who = f"全部{every}个单位 / all {every} units" if len(units) == every else "、".join(units)
            lines.append(f"    {'、'.join(codes)} → {who}")
    return lines
