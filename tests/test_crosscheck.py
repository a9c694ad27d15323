"""The figures picked out of the rule text, checked against the rules."""

from __future__ import annotations

import pandas as pd
import pytest

from assess_xlsx.crosscheck import cross_check, text_figures
from assess_xlsx.rules import build_rules

EXCEEDS = "原文扣3分，超过本行赋分2分；按赋分封顶，最多扣2分"
BY_CASE = "原文3处“扣0.5分”读作有此情形即扣一次，评分规则按件（次、项）数累计"


def test_the_2022_table_disagrees_in_three_explained_places(scheme):
    found = [f for f in scheme.report if f.code == "scheme-text-disagrees"]
    assert {(f.input, f.note) for f in found} == {
        ("1.2.1", EXCEEDS),   # 扣3分 on a 2-point row: the row's points cap it (spec)
        ("3.1.2", EXCEEDS),   # the same
        ("3.3.7", BY_CASE),   # 三种情形 each 扣0.5分: the spec counts the occasions
    }
    assert len(found) == 3
    assert {(f.input, f.cell) for f in found} == {("1.2.1", "E5"), ("3.1.2", "E13"), ("3.3.7", "E26")}
    assert {f.severity for f in found} == {"info"}
    assert scheme.ok  # listed, not errors
    f = next(f for f in found if f.input == "1.2.1")
    assert (f.value, f.expected) == ("未制定或公开的，扣3分", "flag 3, capped at 2")


def figures(text, side="deduct"):
    amounts, caps = text_figures(text, side)
    return [(f.kind, f.amount) for f in amounts], [(f.kind, f.amount) for f in caps]


@pytest.mark.parametrize("text, amounts", [
    ("主要负责人年内至少听取一次汇报，未听取的，扣2分", [("flag", 200)]),
    ("核查错误率超过30%的，直接扣1分", [("flag", 100)]),
    ("县级政府网站未完善按要素查找功能的，发现一家，扣0.5分", [("per", 50)]),
    ("未按已公布标准目录公开的，发现一件，扣0.5分", [("per", 50)]),
    ("擅自发布相违背的信息，发现一起，扣0.5分", [("per", 50)]),
    ("未能公开涉农补贴申报信息的，发现一个县扣0.5分", [("per", 50)]),
    ("有缺漏项和明显错误的，有一项扣1分", [("per", 100)]),
    ("答复办理不规范的，每一件扣2分", [("per", 200)]),
    ("未按要求报送的，每有1件扣1分", [("per", 100)]),
    ("未在48小时内予以回应的，每有一次扣1分", [("per", 100)]),
    ("每发现一处，扣1分", [("per", 100)]),
    ("未完成全覆盖检查和通报的，少一次，扣0.5分", [("per", 50)]),
    ("市级初核超期1次扣0.2分。", [("per", 20)]),
    ("规范性文件少于3件，每件扣0.5分；出版内容不规范的，扣0.5分", [("per", 50), ("flag", 50)]),
    ("在一个工作日内不同时段内两次无人接听的，扣0.5分", [("flag", 50)]),
    ("得分=（1-迟报率）×3，迟报率=（迟报数据量/报送数据总量）", [("rate", 300)]),
    ("得分=合规率（合规数据量/报送数据总量）×2", [("rate", 200)]),
    ("扣分上限为2分", []),
])
def test_deduction_amounts(text, amounts):
    assert figures(text)[0] == amounts


@pytest.mark.parametrize("text, caps", [
    ("发现一件，扣0.5分，扣分上限为3分", [("cap", 300)]),
    ("发现一起，扣0.5分，扣分上限1分", [("cap", 100)]),
    ("出版内容不规范的，扣0.5分。总扣分上限为2分", [("row_cap", 200)]),
    ("发现一起，扣0.5分，以上两项合计扣分上限为2分", [("row_cap", 200)]),
    ("扣0.5分。以上事项合计扣分上限为2分", [("row_cap", 200)]),
    ("规范性和时效性两项扣分上限为2分", [("row_cap", 200)]),
    ("扣分上限1分\n2.每日迟于上午10时报送的，发现一件，扣0.5分，扣分上限为1分", [("cap", 100), ("cap", 100)]),
])
def test_deduction_caps(text, caps):
    assert figures(text)[1] == caps


@pytest.mark.parametrize("text, amounts, caps", [
    ("落实政务公开工作专项经费保障的，加1分", [("flag", 100)], []),
    ("制定政务公开相关规范的，加1分，规范内容涵盖全面的，加2分", [("flag", 100), ("flag", 200)], []),
    ("将政务公开列为必修课程的，有一项，加1分，加分上限为2分", [("per", 100)], [("row_cap", 200)]),
    ("被采纳发布的，每一篇加0.5分，加分上限为5分", [("per", 50)], [("row_cap", 500)]),
    ("社会效果好的，每一领域加1分，加分上限为3分", [("per", 100)], [("row_cap", 300)]),
    ("平台建设有特色的，有1项加1分，加分上限为2分", [("per", 100)], [("row_cap", 200)]),
    ("专门开设栏目的，加1分，加分上限1分", [("flag", 100)], [("row_cap", 100)]),
])
def test_bonus_figures(text, amounts, caps):
    assert figures(text, "bonus") == (amounts, caps)


def check(rule: str, deduction: str = "", bonus: str = "", points: str | None = "2", row: str = ""):
    """The (input, cell, note) found for one row 1.1.1 with the given text and rule.

    row: keys of the row itself (deduct_cap, bonus_cap); rule: its parts."""
    import tomllib

    head = '[[row]]\ncode = "1.1.1"\n' + (f'points = "{points}"\n' if points else "") + row
    raw = tomllib.loads(head + '[[row.input]]\nid = "a"\nlabel = "a"\nkind = "count"\n'
                        '[[row.input]]\nid = "b"\nlabel = "b"\nkind = "yesno"\n' + rule)
    book = build_rules(raw)
    frame = pd.DataFrame({"code": ["1.1.1"], "points": pd.array([int(points) * 100 if points else None], dtype="Int64"),
                          "deduction_text": [deduction], "bonus_text": [bonus], "sheet_row": [9]})
    found = cross_check(frame, book, "t.xlsx", "s", {"deduction_text": "E", "bonus_text": "F"})
    return {(f.input, f.cell, f.note) for f in found}


PER_HALF = '[[row.deduct]]\nkind = "per"\ninput = "a"\nunit = "0.5"\n'


def test_agreeing_row_gives_nothing():
    assert check(PER_HALF, "发现一件，扣0.5分") == set()
    assert check(PER_HALF, "发现一件，扣0.5分，扣分上限为1分", row='deduct_cap = "1"\n') == set()
    cap_on_part = '[[row.deduct]]\nkind = "per"\ninput = "a"\nunit = "0.5"\ncap = "1"\n'
    assert check(cap_on_part, "发现一件，扣0.5分，扣分上限1分") == set()


def test_caps_at_or_above_the_points_say_nothing():
    # the text's 扣分上限为2分 on a 2-point row, the rule without a cap: the same
    assert check(PER_HALF, "发现一件，扣0.5分，扣分上限为2分") == set()
    assert check(PER_HALF, "发现一件，扣0.5分", row='deduct_cap = "2"\n') == set()


def test_a_different_amount_is_listed_from_both_sides():
    rule = '[[row.deduct]]\nkind = "per"\ninput = "a"\nunit = "1"\n'
    assert check(rule, "发现一件，扣0.5分") == {
        ("1.1.1", "E9", "原文“扣0.5分”在评分规则中没有对应"),
        ("1.1.1", "E9", "评分规则的“扣1分”（按件（次、项）数累计）在原文中找不到"),
    }


def test_a_cap_only_in_the_text_or_only_in_the_rule():
    assert check(PER_HALF, "发现一件，扣0.5分，扣分上限为1分") == {
        ("1.1.1", "E9", "原文“扣分上限1分”在评分规则中没有对应")}
    assert check(PER_HALF, "发现一件，扣0.5分", row='deduct_cap = "1.5"\n') == {
        ("1.1.1", "E9", "评分规则的扣分上限1.5分在原文中找不到")}


def test_a_fixed_amount_read_as_counted():
    rule = '[[row.deduct]]\nkind = "flag"\ninput = "b"\nwhen = "否"\namount = "0.5"\n'
    assert check(rule, "每发现一处，扣0.5分") == {
        ("1.1.1", "E9", "原文“扣0.5分”读作按件（次、项）数累计，评分规则有此情形即扣一次")}


def test_more_than_the_points():
    rule = '[[row.deduct]]\nkind = "flag"\ninput = "b"\nwhen = "否"\namount = "3"\n'
    assert check(rule, "未制定的，扣3分") == {("1.1.1", "E9", EXCEEDS)}


def test_bonus_side():
    rule = '[[row.bonus]]\nkind = "per"\ninput = "a"\nunit = "1"\n'
    assert check(rule, bonus="有一项加1分，加分上限为2分", points=None, row='bonus_cap = "3"\n') == {
        ("1.1.1", "F9", "原文“加分上限2分”在评分规则中没有对应"),
        ("1.1.1", "F9", "评分规则的加分上限3分在原文中找不到"),
    }
    rule = '[[row.bonus]]\nkind = "threshold"\ninput = "a"\nat_least = "4"\namount = "2"\n'
    assert check(rule, bonus="分值权重不低于4%的，加2分", points=None) == set()


def test_rate_bands():
    rule = ('[[row.deduct]]\nkind = "rate"\nnum = "a"\nden = "a"\nzero = "error"\n'
            '[[row.deduct.bands]]\nbelow = "0.2"\nper_rate = "4"\n[[row.deduct.bands]]\nbelow = "0.5"\nfixed = "2"\n'
            '[[row.deduct.bands]]\nfixed = "4"\n')
    text = "得分=（1-瞒报率）×4；对瞒报率在20%至50%之间的，直接扣2分，超过50%及以上直接扣4分"
    assert check(rule, text, points="4") == set()
    assert check(rule, text.replace("×4", "×3"), points="4") == {
        ("1.1.1", "E9", "原文“×3”在评分规则中没有对应"),
        ("1.1.1", "E9", "评分规则的“×4”（按比率计）在原文中找不到"),
    }
