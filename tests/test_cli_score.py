"""`assess-xlsx score`: the summary, the JSON and the exit codes."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from assess_xlsx.cli import cli

SAMPLES = Path(__file__).resolve().parents[1] / "samples"

RANKING = """\
  1  太原市  116.87  优秀
  2  晋中市  103.58  优秀
  3  晋城市  101.00  优秀
  4  长治市  99.50  优秀
  5  吕梁市  98.00  优秀
  6  大同市  96.54  优秀
  7  临汾市  96.00  优秀
  8  朔州市  95.62  优秀
  9  运城市  91.00  优秀
 10  阳泉市  89.50  良好
 11  忻州市  81.00  良好
"""


def inbox(tmp_path, drop=(), add_errors=()):
    folder = tmp_path / "交回"
    folder.mkdir()
    for f in SAMPLES.glob("*.xlsx"):
        if f.name not in drop:
            shutil.copy(f, folder / f.name)
    for name in add_errors:
        shutil.copy(SAMPLES / "with-errors" / name, folder / name)
    shutil.copytree(SAMPLES / "核定", folder / "核定")     # the assessors' sheets
    return folder


def run(*args):
    return CliRunner().invoke(cli, ["score", *map(str, args)])


def test_score_samples_json(tmp_path):
    folder = inbox(tmp_path)
    out = tmp_path / "结果.json"
    result = run(folder, "--json", out)
    assert result.exit_code == 0, result.output
    assert result.output == RANKING + (
        "结果 / Result：11 个单位已计分，0 个单位数据有误，0 个单位未提交 / 11 scored, 0 rejected, 0 missing\n"
        f"已写入 / written：{tmp_path / '考核结果.xlsx'}\n"
    )
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["scheme"] == "山西省2022年度政务公开工作考核方案重点任务分解表"
    first = data["cities"][0]
    assert {k: first[k] for k in ("city", "status", "rank", "total", "grade", "base", "bonus", "extra", "major")} == {
        "city": "太原市", "status": "scored", "rank": 1, "total": "116.87", "grade": "优秀",
        "base": "99.87", "bonus": "10.00", "extra": "7.00", "major": "0.00"}   # 5.2.1 核定 8 篇: +4, not +5
    assert first["primary"]["组织领导与工作保障"] == {"code": "1", "base": "6.00", "bonus": "4.00", "rank": 1}
    assert first["rows"]["3.3.8"] == {"base": "1.96", "bonus": "0.00", "deduction": "0.04"}
    assert first["items"]["10.2"] == "2.00" and first["items"]["11.2"] == "0.00"
    assert len(first["rows"]) == 52 and len(first["items"]) == 13


def test_dense_ranking_and_stdout(tmp_path):
    folder = inbox(tmp_path)
    result = run(folder, "--ranking", "dense", "--json", "-")
    assert result.exit_code == 0
    data = json.loads(result.output)
    ranks = {c["city"]: c["rank"] for c in data["cities"]}
    # 临汾市 96.00 (核定) falls below 大同市 96.54: no tie left, dense equals competition here.
    assert (ranks["临汾市"], ranks["吕梁市"], ranks["大同市"], ranks["忻州市"]) == (7, 5, 6, 11)


def test_rejected_and_missing_exit_1(tmp_path):
    folder = inbox(tmp_path, drop={"阳泉市.xlsx", "临汾市.xlsx", "长治市.xlsx"}, add_errors={"阳泉市.xlsx"})
    out = tmp_path / "r.json"
    result = run(folder, "--json", out)
    assert result.exit_code == 1
    lines = result.output.splitlines()[:-1]   # the last line: where the workbook went
    # with-errors/阳泉市.xlsx: its own 2.1.2a; its 3.3.8 figures are 省发改委's now (the samples' sheet: valid).
    assert lines[-4].startswith("  -  阳泉市  填报数据有 1 处错误，未计分、未排名 / 1 error(s) in the data; not scored or ranked。首个 / first：阳泉市.xlsx 填报表!G13")
    assert lines[-3:-1] == ["  -  长治市  未提交填报表 / no workbook received", "  -  临汾市  未提交填报表 / no workbook received"]
    assert lines[-1] == "结果 / Result：8 个单位已计分，1 个单位数据有误，2 个单位未提交 / 8 scored, 1 rejected, 2 missing"
    data = {c["city"]: c for c in json.loads(out.read_text(encoding="utf-8"))["cities"]}
    assert data["阳泉市"]["status"] == "rejected"
    assert {(p["file"], p["cell"], p["code"]) for p in data["阳泉市"]["problems"]} == {
        ("阳泉市.xlsx", "G13", "value-not-number")}
    assert data["临汾市"] == {"city": "临汾市", "status": "missing", "reason": "未提交填报表 / no workbook received"}
    assert data["晋中市"]["rank"] == 2


def test_usage_errors_exit_2(tmp_path):
    assert run(tmp_path / "nowhere").exit_code == 2
    assert run(tmp_path, "--ranking", "olympic").exit_code == 2


def test_json_to_missing_folder_fails_cleanly(tmp_path):
    folder = inbox(tmp_path)
    result = run(folder, "--json", tmp_path / "no" / "r.json")
    assert result.exit_code == 2
    assert f"输出文件夹不存在：{tmp_path / 'no'} / the output folder does not exist" in result.output
    assert not list((tmp_path).glob("**/*.tmp"))
