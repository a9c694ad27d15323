"""Who fills what (issue 14): units assess themselves, assessors judge, no unit scores itself.

Figures by hand from docs/scoring-rules.md and tools/sample_cities.py; the
samples' totals are in tests/test_samples.py (忻州市 81.00, 太原市 116.87).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from assess_xlsx.cli import cli
from assess_xlsx.intake import read_submissions
from assess_xlsx.rules.load import default_rules_path, load_rules
from assess_xlsx.rules.roles import OFFICE, SELF, assessors, default_filled_by
from assess_xlsx.scheme import read_scheme
from assess_xlsx.scoring import score
from assess_xlsx.template_assessor import write_assessor_sheet
from fill import fill_assessor_sheet, fill_workbook, office_form

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from sample_cities import city_values  # noqa: E402

SAMPLES = ROOT / "samples"
UNITS = ["太原市", "大同市", "阳泉市", "长治市", "晋城市", "朔州市", "晋中市", "运城市", "忻州市", "临汾市", "吕梁市"]
HEALTH = ["3.3.3a", "3.3.3b", "3.3.4a", "3.3.4b", "3.3.5a", "3.3.6a", "3.3.7a", "3.3.7b", "3.3.7c"]


@pytest.fixture
def inbox(tmp_path):
    """A copy of the samples: 11 self-assessments and 核定/ with the five assessors' sheets."""
    folder = tmp_path / "交回"
    shutil.copytree(SAMPLES, folder, ignore=shutil.ignore_patterns("with-errors"))
    return folder


def totals(folder, scheme, **kw):
    result = score(scheme, read_submissions(folder, scheme, **kw))
    return result, dict(zip(result.cities.index, result.cities["total"]))


# --------------------------------------------------------------------------- rules data

def test_2022_fillers_are_written_as_the_spec_page_decides(scheme):
    inputs = scheme.rules.inputs
    by = {code: spec.filled_by for code, spec in inputs.items()}
    assert (by["1.1.1a"], by["10.2a"], by["10.5a"], by["10.6a"], by["11.5a"], by["3.1.4a"], by["3.3.3a"],
            by["3.3.12a"], by["3.3.13a"], by["2.1.1a"]) == (
        SELF, SELF, SELF, OFFICE, OFFICE, "省发改委", "省卫健委", "省自然资源厅", "省公安厅交管局", OFFICE)
    rows = {}
    for spec in inputs.values():
        rows.setdefault(spec.filled_by, set()).add(spec.owner)
    # The page's table: 25 self-assessed rows/items, 5 + 5 + 1 + 3 departments' rows, 25 the office's (11.2 has no input).
    assert {k: len(v) for k, v in rows.items()} == {SELF: 25, OFFICE: 25, "省发改委": 5, "省卫健委": 5,
                                                   "省自然资源厅": 1, "省公安厅交管局": 3}
    assert assessors(scheme.rules) == (OFFICE, "省发改委", "省卫健委", "省自然资源厅", "省公安厅交管局")


@pytest.mark.parametrize("method, filler", [
    ("被考核单位提供相关印证材料", SELF),
    ("被考核单位提供相关印证材料+函询省委网信办和省公安厅", SELF),
    ("各被考核单位提供印证材料", SELF),
    ("省公安厅交管局制定考核标准，提供考核依据", "省公安厅交管局"),
    ("省发改委制定考核标准，提供考核依据", "省发改委"),
    ("网上检查", OFFICE), ("电话考核", OFFICE), ("省政府办公厅抽查", OFFICE), ("根据考核情况评定", OFFICE), ("", OFFICE),
])
def test_default_filler_from_the_method_text(method, filler):
    assert default_filled_by(method) == filler


def test_a_rules_file_without_fillers_takes_them_from_the_method_column(tmp_path):
    text = default_rules_path().read_text(encoding="utf-8")
    bare = tmp_path / "rules.toml"
    bare.write_text("\n".join(l for l in text.split("\n") if not l.startswith("filled_by")), encoding="utf-8")
    assert all(s.filled_by == "" for s in load_rules(bare).inputs.values())
    inputs = read_scheme(rules=bare).rules.inputs
    # 10.6's 考核方式 says 各被考核单位提供印证材料: only the 2022 decision makes it 考核办's.
    assert (inputs["10.6a"].filled_by, inputs["3.3.8a"].filled_by, inputs["11.7a"].filled_by) == (SELF, "省发改委", OFFICE)


def test_an_input_level_filler_overrides_its_row(tmp_path):
    text = default_rules_path().read_text(encoding="utf-8")
    # 9.1.1's first input becomes 考核办's; its second stays the row's (被考核单位).
    text = text.replace('id = "a"\nlabel = "是否将政务公开相关要求纳入政务公开考核"',
                        'id = "a"\nfilled_by = "考核办"\nlabel = "是否将政务公开相关要求纳入政务公开考核"', 1)
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    inputs = load_rules(path).inputs
    owner = next(s.owner for s in inputs.values() if s.filled_by == OFFICE and s.owner.startswith("9."))
    assert (owner, inputs["9.1.1b"].filled_by) == ("9.1.1", SELF)


def test_scheme_shows_who_fills():
    runner = CliRunner()
    text = runner.invoke(cli, ["scheme"]).output
    assert "  省卫健委（核定 / assessor; 考核办亦可填）: 3.3.3、3.3.4、3.3.5、3.3.6、3.3.7\n" in text
    import json
    data = json.loads(runner.invoke(cli, ["scheme", "--json"]).output)
    rows = {r["code"]: r for r in data["rows"] + data["items"]}
    assert [i["filled_by"] for i in rows["10.6"]["inputs"]] == [OFFICE, OFFICE]
    assert rows["3.3.13"]["inputs"][0]["filled_by"] == "省公安厅交管局"


# --------------------------------------------------------------------------- permissions

def test_a_units_forged_10_6a_is_refused_and_the_total_unchanged(scheme, inbox):
    # 忻州市 fills 考核办's own per-unit form and gives itself 50 points; in the inbox it is the unit's file.
    values = {c: v for c, v in city_values("忻州市").items() if scheme.rules.inputs[c].filled_by == SELF}
    values |= {"10.6a": 50, "10.6b": "领导小组同意加分", "11.3a": 0}
    (inbox / "忻州市.xlsx").unlink()
    fill_workbook(office_form(), inbox / "忻州市.xlsx", values, city="忻州市", judged=False)
    sub = read_submissions(inbox, scheme)
    refused = [f for f in sub.report if f.code == "input-not-permitted"]
    assert [(f.file, f.cell, f.input, f.value, f.expected) for f in refused] == [
        ("忻州市.xlsx", "G96", "10.6a", "50", OFFICE),
        ("忻州市.xlsx", "G97", "10.6b", "领导小组同意加分", OFFICE),
        ("忻州市.xlsx", "G101", "11.3a", "0", OFFICE),       # a 0 is refused too: 考核办 judges 11.3 (its sheet: 1)
    ]
    result = score(scheme, sub)
    # By hand (test_samples): 忻州市 89.00 base − 3 (10.2) − 5 (11.3) = 81.00, last of 11.
    assert (result.cities.at["忻州市", "total"], result.cities.at["忻州市", "rank"]) == (8100, 11)
    assert result.items.at["忻州市", "10.6"] == 0


def test_a_health_commission_sheet_giving_3_3_8a_is_refused(scheme, inbox, tmp_path):
    # 省卫健委 sends its values on 考核办's full sheet: the 省发改委 rows are not its to fill.
    form = write_assessor_sheet(scheme, tmp_path / "form.xlsx", OFFICE)
    fill_assessor_sheet(form, inbox / "核定" / "省卫健委（补充）.xlsx",
                        {"太原市": {"3.3.8a": 0, "3.3.3a": 0}}, assessor="省卫健委")
    sub = read_submissions(inbox, scheme)
    refused = [(f.file, f.cell, f.input, f.note) for f in sub.report if f.code == "input-not-permitted"]
    assert refused == [("核定/省卫健委（补充）.xlsx", "D36", "3.3.8a", "省卫健委的核定表")]
    # 3.3.3a = 0 agrees with 省卫健委's own sheet: no conflict. 太原市 stays 116.87 (3.3.8: 1176/1200 → −0.04).
    result = score(scheme, sub)
    assert result.cities.at["太原市", "total"] == 11687
    assert result.rows["deduction"].at["太原市", "3.3.8"] == 4


# --------------------------------------------------------------------------- 核定 beats 自评

def test_the_offices_value_beats_the_units_own_and_is_listed(scheme, inbox, tmp_path):
    result, before = totals(inbox, scheme)
    # The samples: 考核办 judges 太原市's 5.2.1a 8 篇 against its own 12: bonus 4, not 5.
    assert result.rows["bonus"].at["太原市", "5.2.1"] == 400
    review = result.reviews.set_index(["city", "code"]).loc[("太原市", "5.2.1a")]
    assert (review["own"], review["judged"], review["assessor"]) == ("12", "8", OFFICE)
    # Without 考核办's overrides (its sheet gives 5.2.1a = 12 for 太原市) the total is 1.00 higher.
    form = write_assessor_sheet(scheme, tmp_path / "form.xlsx", OFFICE)
    sheet = inbox / "核定" / "考核办.xlsx"
    values = {u: {c: v for c, v in city_values(u).items() if scheme.rules.inputs[c].filled_by == OFFICE} for u in UNITS}
    fill_assessor_sheet(form, sheet, values)
    result, after = totals(inbox, scheme)
    assert after["太原市"] - before["太原市"] == 100 and after["临汾市"] - before["临汾市"] == 200
    assert len(result.reviews) == 0


def test_two_assessors_disagreeing_is_a_conflict_with_both_cells(scheme, inbox, tmp_path):
    form = write_assessor_sheet(scheme, tmp_path / "form.xlsx", OFFICE)
    fill_assessor_sheet(form, inbox / "核定" / "考核办（补）.xlsx", {"长治市": {"3.3.12a": 3}})
    sub = read_submissions(inbox, scheme)
    [f] = [f for f in sub.report if f.code == "value-conflict"]
    # 长治市 3.3.12a: 10 on 省自然资源厅's sheet (column G), 3 on the second 考核办 sheet.
    assert (f.city, f.input, f.value, f.expected) == ("长治市", "3.3.12a", "10", "3")
    assert (f.file, f.cell, f.note) == ("核定/省自然资源厅.xlsx", "G5", "核定/考核办（补）.xlsx 核定表!G45")
    assert sub.rejected == ["长治市"]


# --------------------------------------------------------------------------- 待核定

def test_without_the_health_commissions_sheet_every_unit_is_pending(scheme, inbox):
    (inbox / "核定" / "省卫健委.xlsx").unlink()
    sub = read_submissions(inbox, scheme)
    assert sub.pending == UNITS and sub.rejected == [] and sub.missing == []
    result = score(scheme, sub)
    assert set(result.cities["status"]) == {"pending"} and result.ranking.empty
    assert result.cities.at["太原市", "reason"].startswith("待核定：省卫健委9项尚未核定")
    out = CliRunner().invoke(cli, ["check", str(inbox)])
    assert out.exit_code == 1
    assert ("待核定 / Still owed by the assessors（1）：\n"
            "  省卫健委：99 项 / input(s)\n"
            f"    {'、'.join(HEALTH)} → 全部11个单位 / all 11 units\n") in out.output
    assert out.output.endswith("结果 / Result：0 个单位可评分，0 个单位数据有误，0 个单位未提交，11 个单位待核定 / "
                               "0 ready, 0 rejected, 0 missing, 11 pending\n")


def test_a_column_left_out_is_owed_for_that_unit_only(scheme, inbox, tmp_path):
    form = write_assessor_sheet(scheme, tmp_path / "form.xlsx", "省自然资源厅")
    values = {u: {"3.3.12a": city_values(u)["3.3.12a"]} for u in UNITS}
    fill_assessor_sheet(form, inbox / "核定" / "省自然资源厅.xlsx", values, rename={"吕梁市": "吕梁"})
    sub = read_submissions(inbox, scheme)
    found = {(f.file, f.cell, f.code, f.value) for f in sub.report if f.file == "核定/省自然资源厅.xlsx"}
    # The short name is no roster name as written: the column is not used; its unit is owed.
    assert found == {("核定/省自然资源厅.xlsx", "N4", "unit-column-unknown", "吕梁"),
                     ("核定/省自然资源厅.xlsx", "O4", "unit-column-missing", "吕梁市")}
    assert sub.pending == ["吕梁市"]
    assert sub.owed.values.tolist() == [["省自然资源厅", "3.3.12a", "吕梁市"]]


def test_the_with_errors_samples(scheme):
    sub = read_submissions(SAMPLES / "with-errors", scheme)
    keys = sub.report.keys()
    assert {("忻州市.xlsx", "G96", "input-not-permitted"), ("核定/省发改委.xlsx", "D4", "unit-column-unknown"),
            ("核定/省发改委.xlsx", "O4", "unit-column-missing"), ("核定/省发改委.xlsx", "F7", "rate-numerator-exceeds")} <= keys
    bad = next(f for f in sub.report if f.code == "unit-column-unknown")
    assert (bad.value, bad.expected) == ("太源市", "太原市")


# --------------------------------------------------------------------------- forms

def test_self_form_holds_only_the_units_inputs_and_lists_the_rest(scheme, tmp_path):
    out = CliRunner().invoke(cli, ["template", "-o", str(tmp_path / "t.xlsx")])
    assert out.output == f"已生成 / written：{tmp_path / 't.xlsx'}（30 项填报内容 / 30 inputs）\n"
    wb = load_workbook(tmp_path / "t.xlsx")
    codes = [r[0] for r in wb["填报表"].iter_rows(min_row=5, values_only=True) if r[0] and r[0][0].isdigit()]
    # The unit's 30 inputs, and 11.2's note (it is scored on the unit's own 10.2 ranks).
    assert codes == [c for c, s in scheme.rules.inputs.items() if s.filled_by == SELF] + ["11.2"]
    judged = wb["省级核定事项"]
    rows = {r[0]: r[2] for r in judged.iter_rows(min_row=3, values_only=True)}
    assert (rows["10.6"], rows["3.3.8"], rows["11.2"] if "11.2" in rows else None, len(rows)) == (OFFICE, "省发改委", None, 39)
    assert judged.protection.sheet and wb["填报表"].protection.sheet


def test_assessor_sheet_layout(scheme, tmp_path):
    path = tmp_path / "w.xlsx"
    out = CliRunner().invoke(cli, ["template", "--assessor", "省卫健委", "-o", str(path)])
    assert out.exit_code == 0 and "9 项核定内容，11 个单位" in out.output
    ws = load_workbook(path)["核定表"]
    assert (ws["A2"].value, ws["B2"].value) == ("核定单位", "省卫健委")
    header = [c.value for c in ws[4]]
    assert header == ["编号", "指标", "核定内容（评分规则、填写要求）"] + UNITS
    assert [ws.cell(r, 1).value for r in range(5, 14)] == HEALTH
    assert ws.protection.sheet
    assert ws["D5"].protection.locked is False and ws["N13"].protection.locked is False
    assert ws["A5"].protection.locked is not False and ws["B2"].protection.locked is not False
    ranges = {str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert "D5:N5" in ranges and "D13:N13" in ranges


def test_assessor_sheet_takes_the_rosters_units(tmp_path):
    roster = tmp_path / "县.txt"
    roster.write_text("小店区\n迎泽区\n", encoding="utf-8")
    path = tmp_path / "w.xlsx"
    CliRunner().invoke(cli, ["template", "--assessor", "考核办", "--roster", str(roster), "-o", str(path)])
    ws = load_workbook(path)["核定表"]
    assert [c.value for c in ws[4]][3:] == ["小店区", "迎泽区"]
    assert ws.max_row == 4 + 90


def test_office_per_unit_form_and_unknown_assessor(tmp_path):
    path = tmp_path / "p.xlsx"
    out = CliRunner().invoke(cli, ["template", "--assessor", "考核办", "--city", "太原市", "-o", str(path)])
    assert out.output == f"已生成 / written：{path}（90 项填报内容 / 90 inputs）\n"
    ws = load_workbook(path)["填报表"]
    assert (ws["B2"].value, ws["I2"].value, ws["J2"].value) == ("太原市", "核定单位", "考核办")
    bad = CliRunner().invoke(cli, ["template", "--assessor", "省教育厅"])
    assert bad.exit_code == 2
    assert "考核办、省发改委、省卫健委、省自然资源厅、省公安厅交管局" in bad.output


def test_office_fills_everything_with_per_unit_forms(scheme, tmp_path):
    inbox = tmp_path / "交回"
    (inbox / "核定").mkdir(parents=True)
    for unit in UNITS:
        fill_workbook(office_form(), inbox / "核定" / f"{unit}.xlsx", city_values(unit), city=unit, judged=False)
    sub = read_submissions(inbox, scheme)
    assert sub.ok and sub.missing == [] and sub.pending == []
    result = score(scheme, sub)
    # No override here: 太原市 as in the table before 考核办's 5.2.1 override, 117.87.
    assert result.cities.at["太原市", "total"] == 11787


# --------------------------------------------------------------------------- LibreOffice round trip

SOFFICE = shutil.which("soffice")


@pytest.mark.skipif(SOFFICE is None, reason="LibreOffice (soffice) not installed")
@pytest.mark.parametrize("fmt, filt", [("xlsx", "xlsx:Calc MS Excel 2007 XML"), ("xls", "xls:MS Excel 97"),
                                       ("ods", "ods")])
def test_wide_sheet_round_trip_through_libreoffice(scheme, tmp_path, fmt, filt):
    form = write_assessor_sheet(scheme, tmp_path / "form.xlsx", "省发改委")
    values = {u: {c: v for c, v in city_values(u).items() if scheme.rules.inputs[c].filled_by == "省发改委"}
              for u in UNITS}
    (tmp_path / "src").mkdir()
    filled = fill_assessor_sheet(form, tmp_path / "src" / "省发改委.xlsx", values)
    inbox = tmp_path / "交回"
    (inbox / "核定").mkdir(parents=True)
    subprocess.run([SOFFICE, f"-env:UserInstallation=file:///tmp/lo-p14-{fmt}", "--headless", "--convert-to", filt,
                    "--outdir", str(inbox / "核定"), str(filled)], check=True, capture_output=True, timeout=180)
    assert (inbox / "核定" / f"省发改委.{fmt}").exists()
    direct = tmp_path / "direct"
    (direct / "核定").mkdir(parents=True)
    shutil.copy(filled, direct / "核定" / "省发改委.xlsx")
    a = read_submissions(inbox, scheme).values
    b = read_submissions(direct, scheme).values
    cols = ["city", "code", "number", "text", "cell"]
    assert len(a) == 11 * 11 and a[cols].values.tolist() == b[cols].values.tolist()


def test_a_unit_whose_own_file_is_unreadable_is_not_told_its_inputs_are_missing_on_an_assessors_sheet(inbox, scheme):
    """太原市.xlsx cut short: the one problem is that file. 考核办's wide sheet has rows
    for the unit's own inputs too, blank by design; they are not 'not filled in'."""
    path = inbox / "太原市.xlsx"
    path.write_bytes(path.read_bytes()[:3000])
    sub = read_submissions(inbox, scheme)
    mine = [(f.file, f.cell, f.code) for f in sub.report if f.city == "太原市"]
    assert mine == [("太原市.xlsx", "", "file-truncated")]
    assert sub.rejected == ["太原市"]
    assert not [f for f in sub.report if f.file.startswith("核定/")]


def test_a_formula_never_calculated_on_a_wide_sheet_is_named_by_its_cell(scheme, inbox, tmp_path):
    """openpyxl saves a formula without its value: the cell is refused by name, its
    unit owed that input; the blank cells around it are nothing (not values, not missing)."""
    form = write_assessor_sheet(scheme, tmp_path / "form.xlsx", "省自然资源厅")
    values = {u: {"3.3.12a": city_values(u)["3.3.12a"]} for u in UNITS}
    values["长治市"]["3.3.12a"] = "=2+3"
    fill_assessor_sheet(form, inbox / "核定" / "省自然资源厅.xlsx", values)
    sub = read_submissions(inbox, scheme)
    found = [(f.file, f.cell, f.code) for f in sub.report if f.file == "核定/省自然资源厅.xlsx"]
    assert found == [("核定/省自然资源厅.xlsx", "G5", "value-formula-uncached")]
    assert sub.rejected == ["长治市"]          # an error on its value: not scored
    assert set(sub.values.loc[sub.values["code"] == "3.3.12a", "city"]) == set(UNITS) - {"长治市"}


def _ndrc_values_with_blanks(scheme):
    """省发改委's values for every unit, with 大同市's 3.3.8a only spaces, 阳泉市's a 0
    and 长治市's 3.1.4b a 否."""
    values = {u: {c: v for c, v in city_values(u).items() if scheme.rules.inputs[c].filled_by == "省发改委"}
              for u in UNITS}
    values["大同市"]["3.3.8a"] = "   "
    values["阳泉市"]["3.3.8a"] = 0
    values["长治市"]["3.1.4b"] = "否"
    return values


def test_a_wide_sheets_blank_looking_cells_are_nothing_and_its_zeros_are_values(scheme, inbox, tmp_path):
    """Only the cells holding something are read from a wide sheet: a cell of
    spaces is blank (the unit owes that input), a 0 and a 否 are values, each with its cell."""
    form = write_assessor_sheet(scheme, tmp_path / "form.xlsx", "省发改委")
    values = _ndrc_values_with_blanks(scheme)
    fill_assessor_sheet(form, inbox / "核定" / "省发改委.xlsx", values)
    sub = read_submissions(inbox, scheme)
    got = sub.values[(sub.values["file"] == "核定/省发改委.xlsx") & sub.values["code"].isin(["3.3.8a", "3.1.4b"])]
    by = {(c, k): (n, t, cell) for c, k, n, t, cell in got[["city", "code", "number", "text", "cell"]].values.tolist()}
    assert ("大同市", "3.3.8a") not in by
    assert by[("阳泉市", "3.3.8a")][0] == 0 and by[("阳泉市", "3.3.8a")][2] == "F7"   # 阳泉市 is the third unit column
    assert by[("长治市", "3.1.4b")][1] == "否"
    assert len(by) == 2 * 11 - 1
    owed = sub.owed[sub.owed["city"] == "大同市"]
    assert owed[["code"]].values.tolist() == [["3.3.8a"]]


def test_a_wide_sheet_read_column_by_column_gives_the_row_loops_records_and_findings(scheme, inbox, tmp_path,
                                                                                      monkeypatch):
    """The fast read of a wide sheet (assessed._read_by_column: rows turned into
    columns, blanks looked for among the distinct values) against the row-by-row
    loop it stands in for: blanks, spaces, zeros, a 否, a unit column with
    nothing in it and a row of an unknown code all give the same records, in
    the same order, and the same findings."""
    from openpyxl import load_workbook as load

    from assess_xlsx.findings import Report
    from assess_xlsx.intake import assessed
    from assess_xlsx.roster import DEFAULT_ROSTER

    form = write_assessor_sheet(scheme, tmp_path / "form.xlsx", "省发改委")
    values = _ndrc_values_with_blanks(scheme)
    values["晋城市"] = {c: "" for c in values["晋城市"]}
    path = fill_assessor_sheet(form, tmp_path / "省发改委.xlsx", values)
    wb = load(path)
    ws = wb.worksheets[0]
    last = ws.max_row + 1
    ws.cell(last, 1).value = "3.3.99z"            # a code the rules do not know, a value beside it
    ws.cell(last, 4).value = 7
    wb.save(path)

    def read():
        report = Report()
        f = assessed.read_assessed_file(path, "核定/省发改委.xlsx", scheme.rules.inputs, DEFAULT_ROSTER,
                                        assessors(scheme.rules), report)
        return ([(c.city, list(c.codes), list(c.values), list(c.cells)) for c in f.columns],
                [(x.cell, x.code, x.value) for x in report.findings])

    calls = []
    real = assessed._read_by_column
    monkeypatch.setattr(assessed, "_read_by_column", lambda *a: calls.append(1) or real(*a))
    by_column = read()
    monkeypatch.setattr(assessed, "_read_by_column", lambda *a: False)
    by_row = read()
    assert calls == [1]
    assert by_column == by_row
    records = {city: (codes, cells) for city, codes, _, cells in by_column[0]}
    assert records["晋城市"] == ([], [])
    assert "3.3.8a" not in records["大同市"][0]
    assert ("code-unknown" in {code for _, code, _ in by_column[1]})
