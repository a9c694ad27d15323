"""`assess-xlsx rules draft`: the rules file, the review workbook and --json,
on the 2022 table, on a table with other years' phrasings, and the whole loop
draft -> settle -> template -> fill -> score with totals worked by hand."""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from assess_xlsx.cli import cli
from assess_xlsx.errors import RuleError
from assess_xlsx.figures import to_hundredths
from assess_xlsx.rules.drafting import filled_by
from assess_xlsx.rules.load import default_rules_path, load_rules
from assess_xlsx.scheme import default_scheme_path
from drafted_tables import substituted_table
from fill import fill_workbook as _fill

ROLES = ("input", "num", "den", "previous", "current")


def run(*args):
    return CliRunner().invoke(cli, [*map(str, args)])


def _parts(parts, points, side):
    """A rule's parts as comparable text, less the input letters; a deduction cap
    at or above the row's points says nothing (a row never loses more)."""
    out = []
    for p in parts:
        q = {k: v for k, v in p.items() if k not in ROLES}
        if side in ("deduct", "major") and points is not None and "cap" in q and to_hundredths(q["cap"]) >= points:
            q.pop("cap")
        out.append(json.dumps(q, sort_keys=True, ensure_ascii=False))
    return sorted(out)


def _same_row(a, b) -> bool:
    from assess_xlsx.export import part_as_dict

    def cap(c, points):
        return None if c is None or (points is not None and c >= points) else c

    def key(r):
        return (_parts([part_as_dict(p) for p in r.deduct], r.points, "deduct"),
                _parts([part_as_dict(p) for p in r.bonus], r.points, "bonus"),
                cap(r.deduct_cap, r.points), r.bonus_cap)
    return key(a) == key(b)


def _same_item(a, b) -> bool:
    from assess_xlsx.export import part_as_dict

    return (a.side, _parts([part_as_dict(p) for p in a.parts], None, a.side), a.cap) == \
        (b.side, _parts([part_as_dict(p) for p in b.parts], None, b.side), b.cap)


@pytest.fixture(scope="module")
def drafted_2022(tmp_path_factory):
    folder = tmp_path_factory.mktemp("draft2022")
    table = shutil.copy(default_scheme_path(), folder / "方案.xlsx")
    result = run("rules", "draft", table, "-o", folder / "rules.toml")
    return folder, result


# --------------------------------------------------------------------------- the 2022 table

def test_2022_draft_reproduces_rules_2022(drafted_2022):
    folder, result = drafted_2022
    raw = tomllib.loads((folder / "rules.toml").read_text(encoding="utf-8"))
    status = {r["code"]: r["status"] for r in raw["row"] + raw["item"]}
    draft, rules = load_rules(folder / "rules.toml"), load_rules(default_rules_path())
    same = {c for c in rules.rows if _same_row(draft.rows[c], rules.rows[c])}
    same |= {c for c in rules.items if _same_item(draft.items[c], rules.items[c])}
    total = len(rules.rows) + len(rules.items)
    print(f"\nrules draft = rules-2022 for {len(same)} of {total} rows and items ({len(same) / total:.1%})")
    assert (len(rules.rows), len(rules.items)) == (52, 13)
    assert len(same) / total >= 0.85
    differing = sorted(set(status) - same)
    assert differing == ["3.3.11"]           # its zero 信用修复总量: zero = "zero" in the rules, "error" drafted
    assert [c for c in differing if status[c] == "已识别"] == []


def test_2022_draft_prints_the_rows_that_need_a_person(drafted_2022):
    folder, result = drafted_2022
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert [line.split(" ", 1)[0] for line in lines[:-2]] == [
        "1.2.1", "3.1.2", "3.1.4", "3.3.7", "3.3.10", "3.3.11", "8.1.1", "8.2.2", "9.1.2",
        "10.6", "11.1", "11.2", "11.3", "11.4", "11.5", "11.6", "11.7"]
    assert lines[0] == "1.2.1 需确认：扣3分超过本行赋分2分，按赋分封顶 / above the row's points: capped at them"
    assert lines[2] == ("3.1.4 需确认：原文未写扣分数字，考核方式为另行制定标准：按核定得分计 / "
                        "no figure in the text; the office that sets the standard gives the score")
    assert lines[-2:] == [
        f"草拟 / drafted：52 行、13 项（已识别 48，需确认 17，未能识别 0）→ {folder / 'rules.toml'}，"
        f"{folder / 'rules.核对表.xlsx'} / 52 rows, 13 items (48 understood, 17 to confirm, 0 not understood)",
        "17 行（项）需要人工核对，见 rules.核对表.xlsx / 17 row(s) need a person: see rules.核对表.xlsx"]
    assert result.stderr == ""     # a normal result: exit 1, no "Error:"


def test_2022_draft_rows_carry_who_fills_them_and_their_status(drafted_2022):
    folder, _ = drafted_2022
    raw = tomllib.loads((folder / "rules.toml").read_text(encoding="utf-8"))
    rows = {r["code"]: r for r in raw["row"]}
    assert (rows["1.1.1"]["filled_by"], rows["3.1.4"]["filled_by"], rows["2.1.1"]["filled_by"]) == ("被考核单位", "省发改委", "考核办")
    assert (rows["1.1.1"]["status"], "review" in rows["1.1.1"]) == ("已识别", False)
    assert rows["3.1.2"]["review"] == "扣3分超过本行赋分2分，按赋分封顶 / above the row's points: capped at them"
    assert rows["2.1.2"]["input"] == [{"id": "a", "label": "12月底前所属县级政府未能公开涉农补贴申报信息的县个数",
                                       "kind": "count", "unit": "县", "min": 0}]
    assert rows["2.1.2"]["deduct"] == [{"kind": "per", "input": "a", "unit": "0.50"}]
    assert rows["2.1.2"]["deduct_cap"] == "3.00"


@pytest.mark.parametrize("method, who", [
    ("被考核单位提供相关印证材料", "被考核单位"), ("各被考核单位提供印证材料", "被考核单位"),
    ("被考核单位提供相关印证材料+抽查", "被考核单位"), ("省卫健委制定考核标准，提供考核依据", "省卫健委"),
    ("省公安厅交管局制定考核标准，提供考核依据", "省公安厅交管局"), ("网上检查", "考核办"), ("", "考核办"),
])
def test_filled_by(method, who):
    assert filled_by(method) == who


def test_json(tmp_path):
    table = shutil.copy(default_scheme_path(), tmp_path / "方案.xlsx")
    result = run("rules", "draft", table, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert (len(data["rows"]), len(data["items"])) == (52, 13)
    assert data["counts"] == {"已识别": 48, "需确认": 17, "未能识别": 0}
    row = next(r for r in data["rows"] if r["code"] == "6.1.1")
    assert row == {
        "code": "6.1.1", "status": "已识别", "reasons": [],
        "inputs": [{"code": "6.1.1a", "id": "a", "label": "未按要求及时核实、处置、回应政务舆情并报送省政府办公厅的件数",
                    "kind": "count", "unit": "件", "min": 0}],
        "rule": {"deduct": [{"kind": "per", "input": "6.1.1a", "unit": "1.00"}], "bonus": [],
                 "deduct_cap": "2.00", "bonus_cap": None},
    }
    # rule has the shape scheme --json uses
    scheme_rule = next(r for r in json.loads(run("scheme", "--json").stdout)["rows"] if r["code"] == "6.1.1")["rule"]
    assert set(row["rule"]) == set(scheme_rule) - {"note"}
    assert (tmp_path / "方案-评分规则.toml").exists() and (tmp_path / "方案-评分规则.核对表.xlsx").exists()


def test_review_workbook_is_print_ready(drafted_2022):
    folder, _ = drafted_2022
    wb = load_workbook(folder / "rules.核对表.xlsx")
    ws = wb["评分规则核对"]
    assert [c.value for c in ws[3]] == ["编号", "三级指标", "赋分", "原文（扣分标准 / 加分标准）", "拟定的规则（白话）",
                                       "填报项", "状态", "需确认的原因", "填报单位"]
    rows = {r[0].value: [c.value for c in r] for r in ws.iter_rows(min_row=4)}
    assert len(rows) == 65
    assert rows["6.1.1"][4] == "扣分：每件（次、项）扣1分；合计最多扣2分"
    assert rows["6.1.1"][6] == "已识别"
    assert rows["1.2.4"][4] == "加分：按程度0/1/2分（高的一档替代低的一档）"
    assert rows["3.1.4"][6] == "需确认"
    assert rows["1.1.1"][8] == "被考核单位"
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.print_title_rows == "$3:$3"
    cells = [c for r in ws.iter_rows(min_row=3) for c in r]
    assert min(c.font.sz for c in cells) >= 9
    assert all(c.alignment.wrap_text for c in cells)


# --------------------------------------------------------------------------- other years' phrasings

# The readings of the substituted sentences, worked by hand from the phrasings page.
EXPECTED = {
    "1.2.3": ("已识别", {"deduct": [], "bonus": [{"kind": "per", "unit": "0.50"}], "deduct_cap": None, "bonus_cap": "1.00"}),
    "2.1.3": ("已识别", {"deduct": [{"kind": "per", "unit": "1.00"}], "bonus": [], "deduct_cap": None, "bonus_cap": None}),
    "3.2.1": ("已识别", {"deduct": [{"kind": "flag", "when": "否", "amount": "2.00"}], "bonus": [], "deduct_cap": None, "bonus_cap": None}),
    "3.2.2": ("已识别", {"deduct": [{"kind": "flag", "when": "否", "amount": "1.00"}], "bonus": [], "deduct_cap": None, "bonus_cap": None}),
    "3.2.3": ("已识别", {"deduct": [{"kind": "per", "unit": "0.50"}], "bonus": [], "deduct_cap": "1.00", "bonus_cap": None}),
    "3.2.4": ("未能识别", {"deduct": [], "bonus": [], "deduct_cap": None, "bonus_cap": None}),
    "3.3.1": ("需确认", {"deduct": [{"kind": "shortfall", "target": 4, "unit": "0.50"}], "bonus": [], "deduct_cap": None, "bonus_cap": None}),
    "3.3.2": ("未能识别", {"deduct": [], "bonus": [], "deduct_cap": None, "bonus_cap": None}),
    "5.2.1": ("已识别", {"deduct": [], "bonus": [{"kind": "per", "unit": "0.50"}], "deduct_cap": None, "bonus_cap": "5.00"}),
    "6.1.1": ("已识别", {"deduct": [{"kind": "per", "unit": "1.00"}], "bonus": [], "deduct_cap": "2.00", "bonus_cap": None}),
}


@pytest.fixture(scope="module")
def other_years(tmp_path_factory, scheme):
    folder = tmp_path_factory.mktemp("other")
    table = substituted_table(scheme, folder / "2023方案.xlsx")
    result = run("rules", "draft", table, "-o", folder / "rules-2023.toml", "--json")
    return folder, table, result


def test_other_years_phrasings_read_as_worked_by_hand(other_years):
    _, _, result = other_years
    assert result.exit_code == 1
    rows = {r["code"]: r for r in json.loads(result.stdout)["rows"]}
    got = {}
    for code in EXPECTED:
        rule = rows[code]["rule"]
        strip = {side: [{k: v for k, v in p.items() if k not in ROLES} for p in rule[side]] for side in ("deduct", "bonus")}
        got[code] = (rows[code]["status"], {**rule, **strip})
    assert got == EXPECTED
    assert rows["3.2.4"]["reasons"][0] == "“视情况”需由人判断 / a person decides (视情况扣分)"
    assert rows["3.3.2"]["reasons"][0] == "“可得50%”需由人判断 / a person decides (可得N%)"


def test_unrecognised_rows_hold_a_placeholder_the_loader_refuses(other_years):
    folder, table, _ = other_years
    with pytest.raises(RuleError) as exc:
        load_rules(folder / "rules-2023.toml")
    assert str(exc.value) == (
        "3.2.4：评分规则尚未填写（原文：“税收优惠政策咨询辅导情况视情况扣分”），请按原文写出本行的规则后删去“待填写” / "
        "3.2.4: the rule is still a placeholder (the text: “税收优惠政策咨询辅导情况视情况扣分”); "
        "write the row's rule and remove the placeholder")
    result = run("template", "--scheme", table, "--rules", folder / "rules-2023.toml", "-o", folder / "t.xlsx")
    assert result.exit_code == 2
    assert "3.2.4：评分规则尚未填写" in result.stderr
    assert not (folder / "t.xlsx").exists()


# --------------------------------------------------------------------------- the whole loop

SETTLED = {   # what the clerk writes over each placeholder
    "3.2.4": ('[[row.input]]\nid = "a"\nlabel = "是否开展税收优惠政策咨询辅导"\nkind = "yesno"\n'
              '[[row.deduct]]\nkind = "flag"\ninput = "a"\nwhen = "否"\namount = "2"\n'),
    "3.3.2": ('[[row.input]]\nid = "a"\nlabel = "本年度是否无就业政策公开任务"\nkind = "yesno"\n'
              '[[row.deduct]]\nkind = "flag"\ninput = "a"\nwhen = "是"\namount = "1"\n'),
}


def settle(text: str) -> str:
    """Replace every 待填写 placeholder as a clerk would, row by row."""
    out, code, remaining = [], None, dict(SETTLED)
    lines = iter(text.splitlines(keepends=True))
    for line in lines:
        if line.startswith("code = "):
            code = json.loads(line.split("=", 1)[1])
        if line.startswith("[[row.deduct]]"):
            following = next(lines)
            if following == 'kind = "待填写"\n':
                next(lines)                      # its text = "..."
                out.append(remaining.pop(code))
                continue
            out += [line, following]
            continue
        out.append(line)
    assert remaining == {}
    return "".join(out)


def neutral(book) -> dict:
    """Inputs that trigger no part: each part's opposite answer, 0 cases, targets met."""
    values = {}
    for rule in [*book.rows.values(), *book.items.values()]:
        parts = rule.parts if hasattr(rule, "parts") else rule.deduct + rule.bonus
        for p in parts:
            i = p.inputs
            if p.kind == "flag":
                values[i["input"]] = "否" if p.params["when"] else "是"
            elif p.kind in ("per", "threshold"):
                values[i["input"]] = 0
            elif p.kind == "shortfall":
                values[i["input"]] = p.params["target"]
            elif p.kind == "rate":
                values[i["den"]] = 10
                values[i["num"]] = 10 if p.params.get("invert") else 0
            elif p.kind == "score":
                values[i["input"]] = book.inputs[i["input"]].max // 100
            elif p.kind == "level":
                values[i["input"]] = book.inputs[i["input"]].levels[0]
            else:                                   # the ranks
                values[i["previous"]] = values[i["current"]] = 50
    for code, spec in book.inputs.items():
        values.setdefault(code, "")                 # the notes of amounts left at 0
    return values


def book_of(table, rules):
    from assess_xlsx.scheme import read_scheme

    return read_scheme(table, rules=rules)


def test_draft_settle_template_fill_score(other_years, tmp_path):
    folder, table, _ = other_years
    settled = tmp_path / "rules-2023.toml"
    settled.write_text(settle((folder / "rules-2023.toml").read_text(encoding="utf-8")), encoding="utf-8")
    book = load_rules(settled)                      # the placeholders are gone: it loads
    template = tmp_path / "填报表.xlsx"
    assert run("template", "--scheme", table, "--rules", settled, "-o", template).exit_code == 0
    inbox = tmp_path / "交回"
    (inbox / "核定").mkdir(parents=True)
    # Who fills what comes from the table's 考核方式 (issue 14): the unit's own inputs on its
    # 自评 form, the rest on 考核办's per-unit form in 核定/.
    office = tmp_path / "考核办.xlsx"
    assert run("template", "--scheme", table, "--rules", settled, "--assessor", "考核办", "--city", "太原市",
               "-o", office).exit_code == 0
    own = {c for c, s in book_of(table, settled).rules.inputs.items() if s.filled_by == "被考核单位"}

    def fill_workbook(_template, path, values, city):
        _fill(template, path, {c: v for c, v in values.items() if c in own}, city=city, judged=False)
        _fill(office, inbox / "核定" / path.name, {c: v for c, v in values.items() if c not in own}, city=city,
              judged=False)

    values = neutral(book)
    fill_workbook(template, inbox / "太原市.xlsx", values, city="太原市")
    changed = {**values,
               "2.1.3a": 3,        # 每条扣1分，扣完为止: 3 × 1 = 3, the row's 2 points cap it: −2
               "3.2.1a": "否",     # 不得分: −2
               "3.2.4a": "否",     # the clerk's settled rule: −2
               "3.3.1a": 2,        # 每季度, 每少一次扣0.5分: (4 − 2) × 0.5 = −1
               "1.2.3a": 3,        # 每项加0.5分，最多加1分: 1.5, capped: +1
               "10.1a": 1,         # 每项加5分: +5
               "11.5a": 1}         # 弄虚作假, 5 per occurrence: −5
    fill_workbook(template, inbox / "大同市.xlsx", changed, city="大同市")
    out = tmp_path / "结果.xlsx"
    result = run("score", inbox, "--scheme", table, "--rules", settled, "-o", out, "--json", tmp_path / "r.json")
    assert result.exit_code == 1, result.output               # 9 cities did not send a workbook
    cities = {c["city"]: c for c in json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))["cities"]}
    assert (cities["太原市"]["total"], cities["太原市"]["rank"]) == ("100.00", 1)
    # 100 − 2 − 2 − 2 − 1 + 1 + 5 − 5
    assert (cities["大同市"]["base"], cities["大同市"]["bonus"], cities["大同市"]["extra"], cities["大同市"]["major"]) == \
        ("93.00", "1.00", "5.00", "5.00")
    assert (cities["大同市"]["total"], cities["大同市"]["rank"]) == ("94.00", 2)


# --------------------------------------------------------------------------- the Word attachment

def test_draft_of_a_docx_is_the_draft_of_the_embedded_table(tmp_path):
    from word_docs import write_docx

    docx = write_docx(tmp_path / "附件.docx", split=True)
    a = run("rules", "draft", docx, "-o", tmp_path / "a.toml", "--json")
    table = shutil.copy(default_scheme_path(), tmp_path / "方案.xlsx")
    b = run("rules", "draft", table, "-o", tmp_path / "b.toml", "--json")
    assert (a.exit_code, b.exit_code) == (1, 1)
    da, db = json.loads(a.stdout), json.loads(b.stdout)
    assert (da["rows"], da["items"]) == (db["rows"], db["items"])
    assert (tmp_path / "a.toml").read_text(encoding="utf-8") == (tmp_path / "b.toml").read_text(encoding="utf-8")
