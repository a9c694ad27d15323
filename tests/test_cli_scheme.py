"""`assess-xlsx scheme`: the structure of the table and the result of its checks."""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal

import click
import pytest
from click.testing import CliRunner

from assess_xlsx.cli import cli, load_scheme_or_fail
from assess_xlsx.rules import default_rules_path
from test_scheme_layouts import layout


def run(*args):
    return CliRunner().invoke(cli, ["scheme", *args])


def test_text_output():
    result = run()
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == "考核方案 / scheme: 山西省2022年度政务公开工作考核方案重点任务分解表"
    assert lines[1] == "文件 / file: 内置2022年表 / built-in 2022 table（工作表 / sheet: 重点任务分解表）"
    start = lines.index("一级指标 / primary indicators:")
    assert lines[start + 1:start + 10] == [
        "  1 组织领导与工作保障  6分  5行 / rows（2行仅加分 / bonus only）",
        "  2 基层政务公开  7分  3行 / rows",
        "  3 主动公开  57分 = 18+8+9+12+10  27行 / rows（1行仅加分 / bonus only）",
        "  4 依申请公开  6分  2行 / rows",
        "  5 政策解读及公众参与  4分  4行 / rows（2行仅加分 / bonus only）",
        "  6 回应关切  4分  2行 / rows",
        "  7 媒体参与  0分  1行 / rows（1行仅加分 / bonus only）",
        "  8 平台建设管理与基础工作库数据维护  12分 = 8+4  6行 / rows",
        "  9 指导监督  4分  2行 / rows",
    ]
    assert lines[start + 10:] == [
        "基础分合计 / base total: 100分（52行 / rows）",
        "仅加分行 / bonus-only rows (6): 1.2.3 经费保障情况；1.2.4 制度建设情况；3.4.1 行政规范性文件公布情况；"
        "5.2.1 解读材料上报情况；5.3.1 提升政务公开服务精准度情况；7.1.1 与新闻媒体联系情况",
        "综合加分项 / extra items: 6（10.1–10.6）",
        "重大扣分项 / major deductions: 7（11.1–11.7）",
        "评分规则 / rules: 山西省2022年度政务公开工作考核方案重点任务分解表（2022）已附加 / attached",
        "由谁填报 / who fills:",
        "  被考核单位（自评 / self-assessed; 考核办可核定）: 1.1.1、1.2.1、1.2.2、1.2.3、1.2.4、2.1.2、3.1.1、3.5.1、3.5.2、"
        "5.1.1、5.2.1、5.3.1、5.4.1、7.1.1、8.2.1、8.2.2、8.2.3、8.4.1、9.1.1、9.1.2、10.1、10.2、10.3、10.4、10.5",
        "  考核办（核定 / the office judges）: 2.1.1、2.1.3、3.1.2、3.1.3、3.2.1、3.2.2、3.2.3、3.2.4、3.3.1、3.3.2、3.3.16、"
        "3.4.1、4.1.1、4.2.1、6.1.1、6.1.2、8.1.1、8.3.1、10.6、11.1、11.3、11.4、11.5、11.6、11.7",
        "  省发改委（核定 / assessor; 考核办亦可填）: 3.1.4、3.3.8、3.3.9、3.3.10、3.3.11",
        "  省卫健委（核定 / assessor; 考核办亦可填）: 3.3.3、3.3.4、3.3.5、3.3.6、3.3.7",
        "  省自然资源厅（核定 / assessor; 考核办亦可填）: 3.3.12",
        "  省公安厅交管局（核定 / assessor; 考核办亦可填）: 3.3.13、3.3.14、3.3.15",
        "原文与评分规则的出入 / text vs rules (3):",
        "  1.2.1 E5：原文扣3分，超过本行赋分2分；按赋分封顶，最多扣2分 / the text differs from the rule (flag 3, capped at 2)",
        "  3.1.2 E13：原文扣3分，超过本行赋分2分；按赋分封顶，最多扣2分 / the text differs from the rule (flag 3, capped at 2)",
        ("  3.3.7 E26：原文3处“扣0.5分”读作有此情形即扣一次，评分规则按件（次、项）数累计"
         " / the text differs from the rule (a×0.5; b×0.5; c×0.5)"),
        "检查 / checks: 通过 / passed",
    ]
    assert result.stderr == ""


def test_json_output():
    result = run("--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["name", "source", "sheet", "base_total", "checks", "primaries", "rows", "items"]
    assert data["base_total"] == "100.00"
    assert data["checks"]["passed"] is True and data["checks"]["errors"] == []
    assert [d["code"] for d in data["checks"]["text_disagreements"]] == ["1.2.1", "3.1.2", "3.3.7"]
    rows = data["rows"]
    assert len(rows) == 52
    assert sum(r["points"] is not None for r in rows) == 46
    assert [r["code"] for r in rows if r["points"] is None] == ["1.2.3", "1.2.4", "3.4.1", "5.2.1", "5.3.1", "7.1.1"]
    by_primary = defaultdict(Decimal)
    for r in rows:
        by_primary[r["primary"]] += Decimal(r["points"] or "0")
    assert [int(v) for v in by_primary.values()] == [6, 7, 57, 6, 4, 4, 0, 12, 4]
    assert sum(by_primary.values()) == 100
    assert [p["points"] for p in data["primaries"]] == ["6.00", "7.00", "57.00", "6.00", "4.00", "4.00", "0.00", "12.00", "4.00"]
    assert [f["points"] for f in data["primaries"][2]["fragments"]] == ["18.00", "8.00", "9.00", "12.00", "10.00"]
    assert len(data["items"]) == 13

    r = {row["code"]: row for row in rows}
    assert set(r["3.3.4"]) == {"code", "primary", "secondary", "tertiary", "points", "deduction_text", "bonus_text",
                               "method", "units", "fragment", "inputs", "rule"}
    assert r["3.3.4"]["fragment"] == "主动公开（8分）"
    assert r["3.3.4"]["rule"]["deduct"] == [
        {"kind": "per", "input": "3.3.4a", "unit": "0.50", "cap": "1.00"},
        {"kind": "per", "input": "3.3.4b", "unit": "0.50", "cap": "1.00"},
    ]
    assert r["1.2.2"]["inputs"][1] == {"code": "1.2.2b", "label": "将政务公开列为必修课程的培训项数（初任培训、新提任干部培训）",
                                       "kind": "count", "min": 0, "max": 2, "unit": "项", "levels": [],
                                       "percent": False, "required_if_positive": None, "filled_by": "被考核单位"}
    assert r["1.2.2"]["rule"]["bonus_cap"] == "2.00" and r["1.2.2"]["rule"]["deduct_cap"] is None
    assert r["1.2.1"]["rule"]["deduct"] == [{"kind": "flag", "input": "1.2.1a", "when": "否", "amount": "3.00"}]
    assert r["3.1.4"]["inputs"][0]["max"] == "2.00"  # a score from 0 to the row's points
    assert r["3.3.10"]["rule"]["deduct"][0]["bands"] == [
        {"below": "0.20", "per_rate": "4.00"}, {"below": "0.50", "fixed": "2.00"}, {"fixed": "4.00"}]
    assert r["9.1.1"]["inputs"][1]["percent"] is True
    assert r["1.2.3"]["points"] is None and r["1.2.3"]["deduction_text"] == ""
    items = {it["code"]: it for it in data["items"]}
    assert items["10.2"]["parts"] == [{"kind": "rank_improvement", "previous": "10.2a", "current": "10.2b",
                                       "step": {"prefecture": 10, "capital": 3}, "amount": "1.00"}]
    assert items["11.2"]["parts"][0]["prefecture"] == {"over": 200, "amount": "3.00"}
    assert items["11.7"]["inputs"][1]["required_if_positive"] == "11.7a"
    assert (items["11.1"]["side"], items["11.1"]["number"], items["11.1"]["name"]) == ("major", 1, "公开平台出现严重低级错误被通报或引起较大范围负面舆情")


def test_fragment_mismatch_exits_1(tmp_path):
    path = layout(tmp_path / "t.xlsx", edit={(12, 1): "主动公开（17分）"})
    result = run(str(path))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert "  3 主动公开  57分 = 18（标注 / label 17）+8+9+12+10  27行 / rows（1行仅加分 / bonus only）" in lines
    assert lines[-1] == "检查 / checks: 未通过 / failed"
    err = result.stderr.splitlines()
    assert err[0] == f"错误 / Error: 考核方案有误 / the scheme has problems: {path}"
    assert err[1] == ("  - t.xlsx 重点任务分解表!A12：“主动公开（17分）”标注17分，但其下各行赋分合计为18分 / "
                      "fragment '主动公开（17分）' is labelled 17 points but its rows sum to 18")
    assert err[2].startswith("请确认该文件是考核方案重点任务分解表")


def test_json_of_a_failing_table_still_prints(tmp_path):
    path = layout(tmp_path / "t.xlsx", edit={(4, 4): 3, (4, 1): "组织领导与工作保障（7分）"})
    result = run(str(path), "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["base_total"] == "101.00"
    assert data["checks"]["total_is_100"] is False and data["checks"]["passed"] is False
    assert data["rows"][0]["rule"] is None and data["rows"][0]["inputs"] == []
    assert "基础分合计为101分，应为100分" in result.stderr


def test_rules_mismatch_exits_1_with_a_hint(tmp_path):
    path = layout(tmp_path / "t.xlsx", drop_rows={7})
    result = run(str(path))
    assert result.exit_code == 1
    assert "评分规则 / rules: 未附加 / not attached" in result.stdout.splitlines()
    assert "请用 --rules 指定为该表编写的评分规则文件" in result.stderr


def test_rules_option_and_laid_out_table(tmp_path):
    path = layout(tmp_path / "t.xlsx", serial=True, merges="fill", drop_title=True)
    result = run(str(path), "--rules", str(default_rules_path()))
    assert result.exit_code == 0, result.output
    assert ("  3.3.7 F24：原文3处“扣0.5分”读作有此情形即扣一次，评分规则按件（次、项）数累计"
            " / the text differs from the rule (a×0.5; b×0.5; c×0.5)") in result.stdout.splitlines()


def test_usage_errors_exit_2(tmp_path):
    assert run(str(tmp_path / "missing.xlsx")).exit_code == 2
    assert run(str(tmp_path)).exit_code == 2  # a folder, not a file
    assert run("--nonsense").exit_code == 2


def test_unreadable_table_exits_2(tmp_path):
    (tmp_path / "t.xlsx").write_bytes(b"not a workbook")
    result = run(str(tmp_path / "t.xlsx"))
    assert result.exit_code == 2
    assert "考核方案文件无法读取" in result.stderr and "cannot read the scheme table" in result.stderr


def test_help_has_an_example():
    result = run("--help")
    assert result.exit_code == 0
    assert "  Example:\n      assess-xlsx scheme\n      assess-xlsx scheme 考核方案.xlsx --json\n" in result.output


def test_load_scheme_or_fail(tmp_path):
    scheme = load_scheme_or_fail(None)
    assert scheme.rules is not None and len(scheme.rows) == 52
    with pytest.raises(click.ClickException) as exc:
        load_scheme_or_fail(layout(tmp_path / "t.xlsx", edit={(12, 1): "主动公开（17分）"}))
    assert "“主动公开（17分）”标注17分，但其下各行赋分合计为18分" in exc.value.message
    assert "不指定考核方案即使用内置的2022年表" in exc.value.message
    with pytest.raises(click.ClickException) as exc:
        load_scheme_or_fail(layout(tmp_path / "u.xlsx", drop_rows={7}))
    assert "--rules" in exc.value.message
