"""The command line: the only place library errors become click errors.

Every command's docstring carries an Example block; messages are Chinese with
the English beside them. Exit codes: 0 all clean, 1 something wrong or
missing (output still written unless --strict), 2 usage error.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from . import __version__
from .scheme import Scheme, SchemeError, describe_scheme, read_scheme, scheme_as_dict


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="assess-xlsx")
def cli():
    """assess-xlsx：按考核方案为各单位评分、排名（政务公开考核）。

    Score and rank units from an assessment scheme and a folder of filled
    Excel workbooks.

    \b
    Example:
        assess-xlsx score samples/
    """


# --------------------------------------------------------------------------- the scheme (shared)

SCHEME_HINT = (
    "请确认该文件是考核方案重点任务分解表（表头含“一级指标、二级指标、三级指标、赋分、扣分标准”），"
    "各一级指标标注的分值与其下各行赋分一致；不指定考核方案即使用内置的2022年表。\n"
    "Check that the file is the task-breakdown table (a header row with 一级指标, 二级指标, 三级指标, "
    "赋分, 扣分标准) and that each indicator's labelled points equal its rows' points; "
    "without a scheme table the built-in 2022 table is used."
)
RULES_HINT = (
    "该表的考核行与评分规则不一致，请用 --rules 指定为该表编写的评分规则文件（TOML）。\n"
    "The table's rows do not match the rules: pass --rules with a rules file (TOML) written for this table."
)

scheme_option = click.option(
    "--scheme", "scheme_path", default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="考核方案表（默认：内置2022年表） / the scheme table (default: the built-in 2022 table)",
)
rules_option = click.option(
    "--rules", "rules_path", default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="评分规则文件（默认：内置2022年规则） / the rules file (default: the built-in 2022 rules)",
)


def _scheme_failure(scheme_problems, source, hint: str) -> click.ClickException:
    lines = [f"考核方案有误 / the scheme has problems: {source}"]
    lines += [f"  - {f.message}" for f in scheme_problems]
    lines.append(hint)
    return click.ClickException("\n".join(lines))


def _read_scheme_or_fail(path: Path | None, rules: Path | None = None) -> Scheme:
    try:
        return read_scheme(path, rules=rules)
    except SchemeError as exc:
        raise _scheme_failure(exc.report.errors, exc.path, SCHEME_HINT) from exc


def load_scheme_or_fail(path: Path | None = None, rules: Path | None = None) -> Scheme:
    """The scheme a command works from (the built-in 2022 table when path is
    None), or a ClickException listing the scheme's errors with a fix-it hint:
    an unreadable table, labels that disagree with their rows, a base total
    other than 100, or a table the rules were not written for."""
    scheme = _read_scheme_or_fail(path, rules)
    _fail_unless_usable(scheme)
    return scheme


def _fail_unless_usable(scheme: Scheme) -> None:
    if scheme.report.errors:
        raise _scheme_failure(scheme.report.errors, scheme.source, SCHEME_HINT)
    if scheme.rules is None:
        mismatch = [f for f in scheme.report if f.code == "scheme-rules-mismatch"]
        raise _scheme_failure(mismatch, scheme.source, RULES_HINT)


@cli.command("scheme")
@click.argument("table", required=False, default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@rules_option
@click.option("--json", "as_json", is_flag=True, help="以JSON输出整个方案 / print the whole scheme as JSON")
def scheme_command(table: Path | None, rules_path: Path | None, as_json: bool):
    """显示考核方案的结构并检查 / show the scheme's structure and check it.

    Reads TABLE (default: the built-in 2022 table): each 一级指标 with its
    points, rows and page fragments, the base total, the bonus-only rows, the
    综合加分项/重大扣分项, where the rule text's figures differ from the rules,
    and the result of the checks. Exit 1 when the table fails a check.

    \b
    Example:
        assess-xlsx scheme
        assess-xlsx scheme 考核方案.xlsx --json
    """
    scheme = _read_scheme_or_fail(table, rules_path)
    if as_json:
        click.echo(json.dumps(scheme_as_dict(scheme), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(describe_scheme(scheme)))
    _fail_unless_usable(scheme)


# --------------------------------------------------------------------------- template / check
# (the fill-in workbook and checking the returned workbooks)

def _roster_or_fail(path):
    from .roster import DEFAULT_ROSTER, RosterError, read_roster

    if path is None:
        return DEFAULT_ROSTER
    try:
        return read_roster(path)
    except RosterError as exc:
        raise click.ClickException(
            f"{exc}\n提示 / hint：名单为 UTF-8 文本，每行一个单位，省会写作“名称<Tab>省会” / "
            "one unit per line, the capital as NAME<TAB>省会"
        ) from exc


_ROSTER_HELP = "单位名单文件（UTF-8，每行一个单位） / roster file, one unit per line"


@cli.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="输出文件（默认“[单位]政务公开考核填报表.xlsx”） / output file")
@scheme_option
@rules_option
@click.option("--city", default=None, help="预先填好被考核单位 / fill in the unit's name")
@click.option("--roster", "roster_path", type=click.Path(exists=True, dir_okay=False), default=None, help=_ROSTER_HELP)
def template_command(output, scheme_path, rules_path, city, roster_path):
    """生成填报模板 / Write the fill-in workbook.

    One row per input of the scheme, with its 编号 and a 填报值 cell checked
    by Excel; send it to each unit and read the returned files with check.

    \b
    Example:
        assess-xlsx template -o templates/scoresheet_template.xlsx
        assess-xlsx template --city 太原市
    """
    from .submissions import match_unit
    from .template import TemplateError, write_template

    roster = _roster_or_fail(roster_path)
    if city is not None:
        unit = match_unit(city, roster)
        if unit is None:
            raise click.BadParameter(
                f"“{city}”不在单位名单中 / not in the roster: {'、'.join(roster.units)}", param_hint="--city"
            )
        city = unit
    scheme = load_scheme_or_fail(scheme_path, rules_path)
    output = output or f"{city or ''}政务公开考核填报表.xlsx"
    try:
        path = write_template(scheme, output, roster=roster, city=city)
    except (TemplateError, OSError) as exc:
        raise click.ClickException(f"{exc}\n提示 / hint：检查输出路径，并关闭已打开的同名文件 / check the path and close the file if it is open") from exc
    n = len(scheme.rules.inputs)
    click.echo(f"已生成 / written：{path}（{n} 项填报内容 / {n} inputs）")


@cli.command("check")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@scheme_option
@rules_option
@click.option("--roster", "roster_path", type=click.Path(exists=True, dir_okay=False), default=None, help=_ROSTER_HELP)
def check_command(folder, scheme_path, rules_path, roster_path):
    """核对交回的填报表，不评分 / Check the returned workbooks without scoring.

    One line per file (unit, inputs read, problems), then every problem with
    its file, sheet and cell, then the units that sent nothing. Exit code 0
    when all is clean, 1 when anything is wrong or missing.

    \b
    Example:
        assess-xlsx check 交回/
    """
    from .submissions import SubmissionsError, read_submissions

    roster = _roster_or_fail(roster_path)
    scheme = load_scheme_or_fail(scheme_path, rules_path)
    try:
        sub = read_submissions(folder, scheme, roster=roster)
    except SubmissionsError as exc:
        raise click.ClickException(str(exc)) from exc
    for line in check_lines(sub):
        click.echo(line)
    if not sub.report.ok or sub.missing:
        raise SystemExit(1)


def check_lines(sub) -> list[str]:
    """The text of `check`: files, problems, missing units, result."""
    from .findings import ERROR, INFO, WARNING

    skips = {f.file: f for f in sub.report if f.severity == INFO}
    lines = []
    for rec in sub.files.itertuples(index=False):
        if rec.status == "skipped":
            f = skips.get(rec.file)
            lines.append(f"{rec.file}：{f.message_zh} / {f.message_en}" if f else f"{rec.file}：已跳过 / skipped")
            continue
        unit = rec.city or "单位不明"
        unit_en = rec.city or "unit unknown"
        if rec.status == "unreadable":
            lines.append(f"{rec.file}：{unit}，无法读取，问题 {rec.problems} 个 / {unit_en}: unreadable, {rec.problems} problem(s)")
        else:
            lines.append(f"{rec.file}：{unit}，读取 {rec.inputs} 项，问题 {rec.problems} 个 / {rec.inputs} inputs read, {rec.problems} problem(s)")
    if not len(sub.files):
        lines.append("文件夹中没有文件 / the folder holds no file")
    problems = [f for f in sub.report if f.severity != INFO]
    if problems:
        lines.append("")
        lines.append(f"问题 / Problems（{len(problems)}）：")
        for f in sorted(problems, key=_place_key):
            tag = "提示 / warning：" if f.severity == WARNING else ""
            lines.append(f"  {tag}{f.message}")
    if sub.missing:
        lines.append("")
        lines.append(f"未交 / Missing（{len(sub.missing)}）：{'、'.join(sub.missing)}")
    rejected = sub.rejected
    ready = [u for u in sub.roster.units if u not in sub.missing and u not in rejected]
    lines.append("")
    unattributed = sum(1 for f in sub.report if f.severity == ERROR and not f.city)
    extra = f"，{unattributed} 个问题无法归属单位" if unattributed else ""
    extra_en = f", {unattributed} problem(s) with no unit" if unattributed else ""
    lines.append(
        f"结果 / Result：{len(ready)} 个单位可评分，{len(rejected)} 个单位有错误，{len(sub.missing)} 个单位未交{extra} / "
        f"{len(ready)} ready, {len(rejected)} rejected, {len(sub.missing)} missing{extra_en}"
    )
    return lines


def _place_key(f):
    """File, then row, then column: problems in the order staff would walk the sheet."""
    import re

    m = re.match(r"([A-Z]+)(\d+)$", f.cell or "")
    row, col = (int(m.group(2)), (len(m.group(1)), m.group(1))) if m else (0, (0, ""))
    return (f.file, row, col)



# --------------------------------------------------------------------------- score

_RANKING_HELP = (
    "排名方式：competition（并列后跳过名次，1、2、2、4，默认）或 dense（中国式排名，1、2、2、3） / "
    "ranking style: competition (1, 2, 2, 4; default) or dense (1, 2, 2, 3)"
)


@cli.command("score")
@click.argument("inbox", type=click.Path(exists=True, file_okay=False))
@scheme_option
@rules_option
@click.option("--roster", "roster_path", type=click.Path(exists=True, dir_okay=False), default=None, help=_ROSTER_HELP)
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="把结果写成JSON文件（“-”为屏幕输出） / write the result as JSON (- for standard output)")
@click.option("--ranking", type=click.Choice(["competition", "dense"]), default="competition", show_default=True,
              help=_RANKING_HELP)
def score_command(inbox, scheme_path, rules_path, roster_path, json_path, ranking):
    """评分并排名 / Score and rank every unit in the folder.

    Reads every workbook in INBOX, scores the units whose data are valid,
    ranks them and reports the rest as 数据有误 (rejected) or 未提交
    (missing). Exit code 0 when every unit is scored, 1 when some are
    rejected or missing.

    \b
    Example:
        assess-xlsx score 交回/ --json 结果.json
        assess-xlsx score samples/ --ranking dense --json -
    """
    from .scoring import ScoringError, Settings, result_as_dict, score
    from .submissions import SubmissionsError, read_submissions

    roster = _roster_or_fail(roster_path)
    scheme = load_scheme_or_fail(scheme_path, rules_path)
    try:
        sub = read_submissions(inbox, scheme, roster=roster)
        result = score(scheme, sub, Settings(ranking=ranking))
    except (SubmissionsError, ScoringError) as exc:
        raise click.ClickException(str(exc)) from exc
    if json_path:
        text = json.dumps(result_as_dict(result), ensure_ascii=False, indent=2)
        if json_path == "-":
            click.echo(text)
        else:
            try:
                _write_text_atomic(Path(json_path), text + "\n")
            except OSError as exc:
                raise click.ClickException(
                    f"无法写入 / cannot write {json_path}: {exc.strerror or exc}\n"
                    "提示 / hint：检查文件夹是否存在、文件是否被其他程序占用 / check the folder exists and the file is not open elsewhere"
                ) from exc
    if json_path != "-":
        for line in score_lines(result):
            click.echo(line)
    if (result.cities["status"] != "scored").any():
        raise SystemExit(1)


def score_lines(result) -> list[str]:
    """The closing summary of a scoring run: who was scored, who was not and why."""
    from .figures import fmt

    cities = result.cities
    lines = []
    for unit, rec in result.ranking.iterrows():
        lines.append(f"{int(rec['rank']):>3}  {unit}  {fmt(rec['total'])}  {rec['grade']}")
    for unit, rec in cities[cities["status"] != "scored"].iterrows():
        lines.append(f"  -  {unit}  {rec['reason']}")
    n_scored = int((cities["status"] == "scored").sum())
    n_rejected = int((cities["status"] == "rejected").sum())
    n_missing = int((cities["status"] == "missing").sum())
    lines.append(
        f"结果 / Result：{n_scored} 个单位已评分，{n_rejected} 个单位数据有误未评分，{n_missing} 个单位未提交 / "
        f"{n_scored} scored, {n_rejected} rejected, {n_missing} missing"
    )
    return lines


def _write_text_atomic(path: Path, text: str) -> None:
    """Write beside the target, then rename: a failed write never leaves half a file."""
    import os
    import tempfile

    fd, tmp = tempfile.mkstemp(prefix=".~", suffix=".tmp", dir=path.parent if str(path.parent) else ".")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
