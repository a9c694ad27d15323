"""The command line: the only place library errors become click errors.

Every command's docstring carries an Example block; messages are Chinese with
the English beside them. Any AssessError (errors.py) is caught once, by the
command group, and shown with the fix-it hint kept here for its class.

Exit codes follow grep's convention: 0 all done; 1 done, with problems found
(some units not scored or missing, `check` or `scheme` found problems); 2
trouble (a usage error, an unreadable scheme or roster, an output that cannot
be written: nothing done).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from . import __version__
from .checktext import _pending_en, _pending_zh, check_lines, owed_lines  # noqa: F401 (check_lines, owed_lines: re-exported)
from .clickzh import ZhContext, show_usage_error
from .errors import AssessError, RosterError, RuleError, RunError, SchemeError, TemplateError
from .labels import (FILE_STATUS_ZH, MISSING, NOT_FORM_EN, NOT_FORM_ZH, PENDING, REJECTED, SCORED, STATUS_ZH,
                     UNIT_UNKNOWN_EN, UNIT_UNKNOWN_ZH)

# pandas and the readers are imported by the commands that use them (`--help`
# and `--version` stay instant); only the annotations below name Scheme.
if TYPE_CHECKING:
    from .scheme import Scheme


class Trouble(click.ClickException):
    """Nothing could be done (exit code 2, as grep gives for trouble)."""
    exit_code = 2


class Problems(click.ClickException):
    """Done, and problems were found (exit code 1)."""
    exit_code = 1


class _Command(click.Command):
    context_class = ZhContext


class _Group(click.Group):
    context_class = ZhContext
    command_class = _Command

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except AssessError as exc:   # the one place library errors become click errors
            raise Trouble(explain(exc)) from exc

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        """click's main, its errors shown in Chinese with English (see click_message_zh)."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":   # no command: the help itself (click ≥ 8.2)
                exc.show()
            else:
                show_usage_error(exc)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"错误 / Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("已中止 / Aborted!", err=True)
            sys.exit(1)
        sys.exit(code if isinstance(code, int) else 0)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="assess-xlsx",
                      help="显示版本号并退出 / Show the version and exit.")
def cli():
    """assess-xlsx：按考核方案为各单位评分、排名（政务公开考核）。

    Score and rank units from an assessment scheme and a folder of filled
    Excel workbooks.

    \b
    Exit codes / 退出码:
      0  全部完成 / all done
      1  已完成，但发现问题（有单位未计分或未提交，有文件未能使用，check、scheme
         发现问题） / done, with problems found (units not scored or missing,
         files not used; check or scheme found problems)
      2  无法完成（用法错误、方案或名单无法读取、输出无法写入） / trouble:
         usage error, unreadable scheme or roster, output not writable

    \b
    Example:
        assess-xlsx score samples/
    """
    _safe_output()


def main() -> None:
    """The console script and `python -m assess_xlsx`: the command line, then
    an exit that skips the interpreter's teardown.

    After a run nothing is left to do (the workbook is written and renamed
    into place, worker processes are joined, temporary files closed), yet
    tearing down pandas and the run's objects took a tenth of a second, an
    eighth of a small run. So the output streams are flushed and the process
    ends with the command's exit code (the trick Instagram uses for the same
    reason). An exception the command did not handle still ends the usual
    way, with its traceback. Tests drive `cli` with CliRunner, and this in a
    subprocess (tests/test_cli_workflow.py)."""
    try:
        cli.main(prog_name="assess-xlsx")
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:                       # sys.exit("message"), as Python shows it
            print(exc.code, file=sys.stderr)
            code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):   # a reader that has gone (| head): nothing more to give it
            pass
    os._exit(code)


def _safe_output() -> None:
    """Output never fails on encoding: a console that is not UTF-8 (GBK on
    Windows, PYTHONIOENCODING=gbk) shows '?' for what it cannot show."""
    import sys

    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and (getattr(stream, "errors", "") or "strict") == "strict":
            try:
                reconfigure(errors="replace")
            except (ValueError, OSError):
                pass


ROSTER_HINT = ("提示 / hint：名单为 UTF-8 文本，每行一个单位，省会写作“名称<Tab>省会” / "
               "one unit per line, the capital as NAME<TAB>省会")
HINTS = {
    RosterError: ROSTER_HINT,
    RuleError: ("提示 / hint：评分规则文件是 UTF-8 编码的 TOML 文本（可用 assess-xlsx rules draft 由考核方案草拟），"
                "用 --rules 指定；不指定即使用内置的2022年规则 / the rules file is TOML text in UTF-8 (rules draft "
                "writes one from the table), given with --rules; without it the built-in 2022 rules are used"),
    RunError: "提示 / hint：用 -o 指定文件夹以外的位置 / pass -o with a path outside the folder",
    TemplateError: "提示 / hint：检查输出路径，并关闭已打开的同名文件 / check the path and close the file if it is open",
}


def explain(exc: AssessError) -> str:
    """The message of a library error with the fix-it hint for its class."""
    if isinstance(exc, SchemeError):
        return _scheme_failure(exc.report.errors, exc.path, SCHEME_HINT)
    hint = next((h for cls, h in HINTS.items() if isinstance(exc, cls)), "")
    return f"{exc}\n{hint}" if hint else str(exc)


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
    help="考核方案表：工作簿或 Word 文件（.docx；.doc、.wps 需 LibreOffice）（默认：内置2022年表） / "
         "the scheme table: a workbook or a Word file (.docx; .doc and .wps need LibreOffice) "
         "(default: the built-in 2022 table)",
)
rules_option = click.option(
    "--rules", "rules_path", default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="评分规则文件（默认：内置2022年规则） / the rules file (default: the built-in 2022 rules)",
)


def _scheme_failure(scheme_problems, source, hint: str) -> str:
    lines = [f"考核方案有误 / the scheme has problems: {source}"]
    lines += [f"  - {f.message}" for f in scheme_problems]
    lines.append(hint)
    return "\n".join(lines)


def _read_scheme(path: Path | None, rules: Path | None = None) -> Scheme:
    from .scheme import read_scheme

    return read_scheme(path, rules=rules)


def load_scheme_or_fail(path: Path | None = None, rules: Path | None = None) -> Scheme:
    """The scheme a command works from (the built-in 2022 table when path is
    None), or a ClickException (exit code 2) listing the scheme's errors with
    a fix-it hint: labels that disagree with their rows, a base total other
    than 100, or a table the rules were not written for. (An unreadable table
    raises SchemeError, which the command group explains the same way.)"""
    scheme = _read_scheme(path, rules)
    _fail_unless_usable(scheme, Trouble)
    return scheme


def _fail_unless_usable(scheme: Scheme, error: type[click.ClickException]) -> None:
    if scheme.report.errors:
        raise error(_scheme_failure(scheme.report.errors, scheme.source, SCHEME_HINT))
    if scheme.rules is None:
        mismatch = [f for f in scheme.report if f.code == "scheme-rules-mismatch"]
        raise error(_scheme_failure(mismatch, scheme.source, RULES_HINT))


@cli.command("scheme")
@click.argument("table", required=False, default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@rules_option
@click.option("--json", "as_json", is_flag=True, help="以JSON输出整个方案 / print the whole scheme as JSON")
def scheme_command(table: Path | None, rules_path: Path | None, as_json: bool):
    """显示考核方案的结构并检查 / show the scheme's structure and check it.

    读取 TABLE（默认：内置的2022年表；可为工作簿，也可直接读取 Word 附件 .docx，.doc 和 .wps 需已安装 LibreOffice）：列出各一级指标及其分值、考核行和分页标注，基础分合计、只有加分的行、综合加分项/重大扣分项，原文数字与评分规则不同之处，以及各项检查的结果。表格未通过检查时退出码为1，无法读取时为2。

    Reads TABLE (default: the built-in 2022 table), a workbook or the Word
    attachment itself (.docx; .doc and .wps through LibreOffice, when it is
    installed): each 一级指标 with its
    points, rows and page fragments, the base total, the bonus-only rows, the
    综合加分项/重大扣分项, where the rule text's figures differ from the rules,
    and the result of the checks. Exit code 1 when the table fails a check,
    2 when it cannot be read.

    \b
    Example:
        assess-xlsx scheme
        assess-xlsx scheme 考核方案.xlsx --json
        assess-xlsx scheme 附件-任务分解表.docx
    """
    from .export import describe_scheme, scheme_as_dict

    scheme = _read_scheme(table, rules_path)
    if as_json:
        click.echo(json.dumps(scheme_as_dict(scheme), ensure_ascii=False, indent=2))
    else:
        click.echo("\n".join(describe_scheme(scheme)))
    _fail_unless_usable(scheme, Problems)


# --------------------------------------------------------------------------- template / check
# (the fill-in workbook and checking the returned workbooks)

def _roster(path):
    from .roster import DEFAULT_ROSTER, read_roster

    return DEFAULT_ROSTER if path is None else read_roster(path)


_ROSTER_HELP = "单位名单文件（UTF-8，每行一个单位） / roster file, one unit per line"
_ASSESSED_HELP = ("核定表文件夹（默认：交回文件夹中的“核定”） / the folder of the assessors' sheets "
                  "(default: 核定/ inside the folder)")


@cli.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=str), default=None,
              help="输出文件（默认“[单位]政务公开考核填报表.xlsx”） / output file")
@scheme_option
@rules_option
@click.option("--city", default=None, help="预先填好被考核单位 / fill in the unit's name")
@click.option("--roster", "roster_path", type=click.Path(exists=True, dir_okay=False), default=None, help=_ROSTER_HELP)
@click.option("--assessor", default=None,
              help="核定单位（考核办或省直部门）的核定表，每个单位一列 / the assessor's sheet, one column per unit")
@click.option("--force", is_flag=True, help="覆盖已有的同名文件 / overwrite an existing file")
def template_command(output, scheme_path, rules_path, city, roster_path, assessor, force):
    """生成填报模板 / Write the fill-in workbook.

    不加 --assessor：单位自评表，单位填写的每个填报项一行，带“编号”和由 Excel 校验的“填报值”单元格，另列出由核定单位核定的内容（只读）；发给各单位填写，交回后用 check 核对。加 --assessor 名称：该核定单位的核定表，每个核定项一行、每个单位一列；--assessor 考核办 --city 名称：含全部填报项的单位表，放入“核定”文件夹即为考核办的核定。用 --city 预先填好被考核单位；已有同名文件时不覆盖，除非加 --force。

    Without --assessor: the unit's self-assessment (自评) form, one row per
    input the unit fills, with its 编号 and a 填报值 cell checked by Excel,
    and a read-only list of what the province judges itself. With
    --assessor NAME: that assessor's sheet (核定表), one row per input it
    judges and one column per unit of the roster; with --assessor 考核办
    --city NAME: the per-unit form with every input, for an office that
    fills each unit's sheet itself (placed in 核定/, it counts as 考核办's).
    With --city the unit is filled in; an existing file is never replaced
    unless --force is given.

    \b
    Example:
        assess-xlsx template -o templates/scoresheet_template.xlsx
        assess-xlsx template --city 太原市
        assess-xlsx template --city 太原市 --force
        assess-xlsx template --assessor 省卫健委
        assess-xlsx template --assessor 考核办 --city 太原市
    """
    from .roster import match_unit
    from .rules.roles import OFFICE, assessors
    from .template import write_template

    roster = _roster(roster_path)
    if city is not None:
        unit = match_unit(city, roster)
        if unit is None:
            raise click.BadParameter(
                f"“{city}”不在单位名单中 / not in the roster: {'、'.join(roster.units)}", param_hint="--city"
            )
        city = unit
    scheme = load_scheme_or_fail(scheme_path, rules_path)
    if assessor is not None:
        known = assessors(scheme.rules)
        if assessor not in known or (city is not None and assessor != OFFICE):
            expected = OFFICE if city is not None else "、".join(known)
            raise click.BadParameter(f"“{assessor}”：应为 / expected {expected}", param_hint="--assessor")
    if assessor is not None and city is None:
        from .template_assessor import assessor_records, write_assessor_sheet

        path = write_assessor_sheet(scheme, output or f"核定表_{assessor}.xlsx", assessor, roster=roster)
        n = len(assessor_records(scheme, assessor))
        click.echo(f"已生成 / written：{path}（{n} 项核定内容，{len(roster.units)} 个单位 / {n} inputs, "
                   f"{len(roster.units)} units）")
        return
    output = output or (f"{city}政务公开考核核定表（{assessor}）.xlsx" if assessor
                        else f"{city or ''}政务公开考核填报表.xlsx")
    if city is not None and not force and Path(output).exists():
        # A unit's form may already be filled in: never replace it unasked.
        raise Trouble(
            f"文件已存在，未覆盖：{output} / the file exists and was not overwritten: {output}\n"
            "提示 / hint：用 -o 另取文件名，或加 --force 覆盖 / pass -o with another name, or --force to overwrite")
    path = write_template(scheme, output, roster=roster, city=city, assessor=assessor)
    n = sum(1 for s in scheme.rules.inputs.values() if assessor or s.filled_by == "被考核单位")
    click.echo(f"已生成 / written：{path}（{n} 项填报内容 / {n} inputs）")


@cli.command("check")
@click.argument("folder", type=click.Path(exists=True, file_okay=False))
@scheme_option
@rules_option
@click.option("--roster", "roster_path", type=click.Path(exists=True, dir_okay=False), default=None, help=_ROSTER_HELP)
@click.option("--assessed", "assessed", type=click.Path(exists=True, file_okay=False), default=None,
              help=_ASSESSED_HELP)
def check_command(folder, scheme_path, rules_path, roster_path, assessed):
    """核对交回的填报表，不评分 / Check the returned workbooks without scoring.

    每个文件一行（单位、读取项数、问题数），然后列出每个问题及其文件、工作表和单元格，按规定写法换算的填报值（如“有”按“是”计），最后是未提交的单位。全部无误时退出码为0，有错误或缺交时为1，文件夹、方案或名单无法读取时为2。

    One line per file (unit, inputs read, problems), then every problem with
    its file, sheet and cell, then the units that sent nothing and, per
    assessor, the inputs it still owes (the assessors' sheets are read from
    --assessed, by default 核定/ inside FOLDER). Exit code 0 when all is
    clean, 1 when anything is wrong, missing or owed, 2 when the folder,
    scheme or roster cannot be read.

    \b
    Example:
        assess-xlsx check 交回/
        assess-xlsx check 交回/ --assessed 核定表/
    """
    from .run import CHECK_NEXT, gather_early

    roster = _roster(roster_path)
    gathered = gather_early(folder, rules_path, roster, assessed, then=CHECK_NEXT)   # pandas meanwhile
    scheme = load_scheme_or_fail(scheme_path, rules_path)
    from .intake import read_submissions

    sub = read_submissions(folder, scheme, roster=roster, assessed=assessed, gathered=gathered)
    for line in check_lines(sub, scheme.rules):
        click.echo(line)
    if not sub.ok:
        raise SystemExit(1)


# --------------------------------------------------------------------------- score

_RANKING_HELP = (
    "排名方式：competition（并列后跳过名次，1、2、2、4，默认）或 dense（中国式排名，1、2、2、3） / "
    "ranking style: competition (1, 2, 2, 4; default) or dense (1, 2, 2, 3)"
)


def _common_run_options(f):
    """The options `score` and `watch` share."""
    for option in reversed([
        scheme_option,
        rules_option,
        click.option("--roster", "roster_path", type=click.Path(exists=True, dir_okay=False), default=None,
                     help=_ROSTER_HELP),
        click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
                     help="结果工作簿（默认：交回文件夹旁的“考核结果.xlsx”） / the ranking workbook "
                          "(default: 考核结果.xlsx beside the folder)"),
        click.option("--per-city", "per_city", type=click.Path(file_okay=False, path_type=Path), default=None,
                     help="另为每个单位各写一份结果到此文件夹 / also write one workbook per unit into this folder"),
        click.option("--ranking", type=click.Choice(["competition", "dense"]), default="competition",
                     show_default=True, help=_RANKING_HELP),
        click.option("-q", "--quiet", is_flag=True, help="不显示进度和汇总 / no progress, no summary"),
        click.option("--assessed", "assessed", type=click.Path(exists=True, file_okay=False), default=None,
                     help=_ASSESSED_HELP),
    ]):
        f = option(f)
    return f


@cli.command("score")
@click.argument("inbox", type=click.Path(exists=True, file_okay=False))
@_common_run_options
@click.option("--json", "json_path", type=click.Path(dir_okay=False, allow_dash=True), default=None,
              help="另把结果写成JSON文件（“-”为屏幕输出） / also write the result as JSON (- for standard output)")
@click.option("--strict", is_flag=True,
              help="有单位未计分（数据有误或未提交）时不写任何结果 / write nothing unless every unit is scored")
def score_command(inbox, scheme_path, rules_path, roster_path, output, per_city, ranking, quiet, assessed, json_path,
                  strict):
    """评分、排名并写出结果工作簿 / Score, rank and write the ranking workbook.

    读取 INBOX 中的每个工作簿，为数据无误的单位评分、排名，在文件夹旁写出“考核结果.xlsx”（或 -o 指定的文件）。数据有误的单位列为“数据有误”、不排名（显示首个错误和其余错误数，用 check 可列出全部）；未交的单位列为“未提交”。结果文件已存在时，旧文件另存为“考核结果.prev.xlsx”，新结果列出变化（变更记录）。

    全部单位都已计分时退出码为0；有单位数据有误或未提交时为1（加 --strict 则不写出任何结果）；无法完成时为2（用法错误、方案或名单无法读取、输出无法写入）。

    Reads every workbook in INBOX, scores the units whose data are valid,
    ranks them, and writes 考核结果.xlsx beside the folder (or -o). Units
    with errors are listed as 数据有误 and not ranked; units that sent
    nothing as 未提交. When the output exists already it is kept as
    考核结果.prev.xlsx and the new workbook lists what changed (变更记录).

    After the ranking, every file that could not be used is listed with
    its reason. Exit code 0 when every unit is scored and every file used;
    1 when some are rejected or missing, or a file could not be used (with
    --strict nothing is written when a unit is not scored); 2 when nothing could
    be done (a usage error, an unreadable scheme or roster, an output that
    cannot be written).

    \b
    Example:
        assess-xlsx score 交回/
        assess-xlsx score 交回/ -o 2022年度考核结果.xlsx --per-city 各市结果/
        assess-xlsx score 交回/ --ranking dense --json 结果.json
    """
    roster = _roster(roster_path)
    result = _score_with_progress(inbox, scheme_path, rules_path, roster, ranking, quiet, assessed)
    complete = bool((result.cities["status"] == SCORED).all())
    if strict and not complete:
        if not quiet:
            for line in score_lines(result):
                click.echo(line)
        raise Problems(
            "有单位未计分，按 --strict 未写出任何结果 / some units were not scored; with --strict nothing was written\n"
            "提示 / hint：运行 assess-xlsx check 查看问题，改正后重新评分 / run assess-xlsx check to see the problems"
        )
    if json_path:
        _write_json(result, json_path)
    run = _write_or_fail(result, inbox, output, per_city)
    unused = unused_lines(result)
    if not quiet and json_path != "-":
        for line in score_lines(result) + unused + run_lines(run):
            click.echo(line)
    if not complete or unused:
        raise SystemExit(1)


def unused_lines(result) -> list[str]:
    """Every file `score` could not use (unreadable, or read with no unit), with its reason."""
    from .findings import ERROR

    reasons: dict[str, object] = {}
    for f in result.findings:
        if f.severity == ERROR and f.file:
            reasons.setdefault(f.file, f)
    files = [r for r in result.files.itertuples(index=False)
             if r.status == "unreadable" or (r.status != "skipped" and not r.city and not r.assessor)]
    if not files:
        return []
    lines = [f"未能使用的文件 / Files not used（{len(files)}）："]
    for rec in files:
        f = reasons.get(rec.file)
        why = f"{f.message_zh} / {f.message_en}" if f else f"{FILE_STATUS_ZH['unreadable']} / unreadable"
        lines.append(f"  {rec.file}：{why}")
    return lines


def _score_with_progress(inbox, scheme_path, rules_path, roster, ranking, quiet, assessed=None):
    """Read (pandas imported meanwhile, run.gather_early), load the scheme and
    score, showing files read on a terminal (never when output is piped or quiet)."""
    from .run import SCORE_NEXT, gather_early, score_folder

    def run(progress=None):
        gathered = gather_early(inbox, rules_path, roster, assessed, progress, then=SCORE_NEXT)
        scheme = load_scheme_or_fail(scheme_path, rules_path)
        from .scoring import Settings

        return score_folder(inbox, scheme, roster, Settings(ranking=ranking), progress=progress, assessed=assessed,
                            gathered=gathered)

    if quiet or not sys.stderr.isatty():
        return run()
    with click.progressbar(length=1, label="读取 / reading", file=sys.stderr) as bar:
        def progress(done, total):
            bar.length = max(total, 1)
            bar.update(done - bar.pos)
        return run(progress)


def _write_json(result, json_path):
    from .export import result_as_dict
    from .xlsx import write_text

    text = json.dumps(result_as_dict(result), ensure_ascii=False, indent=2)
    if json_path == "-":
        click.echo(text)
        return
    write_text(Path(json_path), text + "\n")


def _write_or_fail(result, inbox, output, per_city):
    from .run import write_run

    return write_run(result, inbox, output, per_city=per_city)


def run_lines(run) -> list[str]:
    """Where the output went and what changed since the previous one."""
    lines = []
    if run.changes is not None:
        lines.append("变更记录 / Changes since the previous run：")
        lines.extend(f"  {line}" for line in run.changes.summary_lines())
    elif run.previous_problem:
        lines.append(f"上次结果无法比较 / the previous output could not be compared：{run.previous_problem}")
    if run.other_inbox:
        lines.append(f"原有结果来自另一个文件夹（{run.other_inbox}），不是本文件夹的上次结果，未作比较 / "
                     f"the existing output was scored from another folder ({run.other_inbox}); not compared as a rerun")
    for path in run.set_aside:
        lines.append(f"另一文件夹的结果已另存为 / the other folder's result is kept as：{path.name}")
    if run.output is not None:
        kept = f"（上次结果另存为 / previous kept as {run.previous.name}）" if run.previous else ""
        lines.append(f"已写入 / written：{run.output}{kept}")
    if run.per_city:
        lines.append(f"各单位结果 / per unit：{len(run.per_city)} 个文件 / files in {run.per_city[0].parent}")
    return lines


def score_lines(result) -> list[str]:
    """The closing summary of a scoring run: who was scored, who was not and why."""
    from .figures import fmt

    cities = result.cities
    lines = []
    for unit, rec in result.ranking.iterrows():
        lines.append(f"{int(rec['rank']):>3}  {unit}  {fmt(rec['total'])}  {rec['grade']}")
    for unit, rec in cities[cities["status"] != "scored"].iterrows():
        lines.append(f"  -  {unit}  {rec['reason']}")
    n_scored = int((cities["status"] == SCORED).sum())
    n_rejected = int((cities["status"] == REJECTED).sum())
    n_missing = int((cities["status"] == MISSING).sum())
    n_pending = int((cities["status"] == PENDING).sum())
    lines.append(
        f"结果 / Result：{n_scored} 个单位{STATUS_ZH[SCORED]}，{n_rejected} 个单位{STATUS_ZH[REJECTED]}，"
        f"{n_missing} 个单位{STATUS_ZH[MISSING]}{_pending_zh(n_pending)} / {n_scored} scored, {n_rejected} rejected, "
        f"{n_missing} missing{_pending_en(n_pending)}"
    )
    return lines


# --------------------------------------------------------------------------- watch

@cli.command("watch")
@click.argument("inbox", type=click.Path(exists=True, file_okay=False))
@_common_run_options
@click.option("--interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="检查文件夹的间隔（秒） / seconds between looks at the folder")
@click.option("--settle", type=click.FloatRange(min=0), default=2.0, show_default=True,
              help="文件夹静止多久后再评分（秒），正在复制的文件不会被读到一半 / "
                   "seconds the folder must be still before scoring, so files being copied are not read half-way")
def watch_command(inbox, scheme_path, rules_path, roster_path, output, per_city, ranking, quiet, assessed, interval,
                  settle):
    """盯住交回文件夹，有变化就重新评分 / Rescore whenever the folder changes.

    先评分一次，之后 INBOX 中每有工作簿新增、替换或删除就重新评分（忽略 Office 临时锁定文件和正在复制的文件），每次评分显示一行。按 Ctrl-C 停止。

    Scores once, then again whenever a workbook in INBOX is added, replaced
    or removed (Office lock files and files still being copied are
    ignored), printing one line per run. Stop with Ctrl-C.

    \b
    Example:
        assess-xlsx watch 交回/
        assess-xlsx watch 交回/ -o 考核结果.xlsx --settle 5
    """
    import time

    from .scoring import Settings
    from .watch import watch

    settings = Settings(ranking=ranking)
    roster = _roster(roster_path)
    scheme = load_scheme_or_fail(scheme_path, rules_path)

    def run_once(reason: str) -> None:
        from .run import score_folder

        stamp = time.strftime("%H:%M:%S")
        try:
            result = score_folder(inbox, scheme, roster, settings, assessed=assessed)
            run = _write_or_fail(result, inbox, output, per_city)
        except (AssessError, click.ClickException) as exc:
            # One bad moment (a file half-saved, the output open in Excel) must not end the watch.
            message = exc.format_message() if isinstance(exc, click.ClickException) else explain(exc)
            click.echo(f"[{stamp}] {reason} → 未能评分 / could not score: {message}", err=True)
            return
        click.echo(f"[{stamp}] {reason} → {watch_line(run)}")
        if not quiet and run.changes is not None and not run.changes.empty:
            for line in run.changes.summary_lines():
                click.echo(f"    {line}")

    if not quiet:
        click.echo(f"正在监视 / watching {inbox}（按 Ctrl-C 停止 / Ctrl-C to stop）")
    try:
        watch(inbox, run_once, interval=interval, settle=settle, assessed=assessed)
    except KeyboardInterrupt:
        click.echo("已停止 / stopped")


def watch_line(run) -> str:
    cities = run.result.cities
    counts = cities["status"].value_counts()
    scored, rejected, missing, pending = (int(counts.get(k, 0)) for k in (SCORED, REJECTED, MISSING, PENDING))
    if run.changes is None:
        change = ""
    elif run.changes.empty:
        change = "，无变化 / no change"
    else:
        n = len(run.changes.changed_cities())
        change = f"，{n} 个单位有变化 / {n} unit(s) changed"
    return (f"{STATUS_ZH[SCORED]} {scored}，{STATUS_ZH[REJECTED]} {rejected}，{STATUS_ZH[MISSING]} {missing}"
            f"{_pending_zh(pending)}{change} / "
            f"{scored} scored, {rejected} rejected, {missing} missing{_pending_en(pending)} → {run.output}")



# --------------------------------------------------------------------------- rules

@cli.group("rules", cls=_Group)
def rules_group():
    """评分规则文件 / the rules file.

    \b
    Example:
        assess-xlsx rules draft 附件-任务分解表.docx -o rules-2023.toml
    """


@rules_group.command("draft")
@click.argument("table", required=False, default=None, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="规则文件（.toml；默认：考核方案旁的“[表名]-评分规则.toml”） / the rules file to write "
                   "(.toml; default: [table]-评分规则.toml beside the table)")
@click.option("--force", is_flag=True, help="覆盖已有的规则文件和核对表 / overwrite an existing rules file and review")
@click.option("--json", "as_json", is_flag=True, help="以JSON输出草拟结果 / print the draft as JSON")
def rules_draft_command(table: Path | None, output: Path | None, force: bool, as_json: bool):
    """按考核方案原文草拟评分规则 / Draft the rules from the table's text.

    读取 TABLE（默认：内置的2022年考核方案；工作簿，或 Word 附件 .docx；.doc 和 .wps 需 LibreOffice），按原文草拟每行的扣分标准、加分标准和每条综合加分项/重大扣分项，写出评分规则文件（TOML，与内置规则同一格式），并在旁边写出以规则文件命名的核对表（rules-2023.toml -> rules-2023.核对表.xlsx）：每行原文与草拟规则的白话说明及状态（已识别 / 需确认 / 未能识别）。已有的规则文件或核对表不会被覆盖，除非加 --force。需要人工查看的行各显示一行；标为“未能识别”的行留有“待填写”，写好之前规则文件不能使用。全部已识别时退出码为0，有行需人工确认时为1，无法读取表格或无法写出文件时为2。

    Reads TABLE (default: the built-in 2022 table; a workbook, or the Word
    attachment: .docx; .doc and .wps through LibreOffice), drafts every row's
    扣分标准 and 加分标准 and every 综合加分项/重大扣分项 clause, and writes
    the rules file (TOML, in the format of the built-in rules) and beside it
    the review workbook named after it (rules-2023.toml ->
    rules-2023.核对表.xlsx): each row's text beside the drafted rule in plain
    words and its status, 已识别 / 需确认 / 未能识别. An existing rules file
    or review is not overwritten without --force. Prints one line per row a
    person must look at. A row marked 未能识别 holds a 待填写 placeholder: the
    rules file cannot be used until it is written. Exit code 0 when every row
    is 已识别, 1 when some need a person, 2 when the table cannot be read or
    the files cannot be written.

    \b
    Example:
        assess-xlsx rules draft 附件-任务分解表.docx -o rules-2023.toml
        assess-xlsx rules draft 新方案.xlsx --json
    """
    from .review import review_path, write_review
    from .rules.draft import STATUS_EN
    from .rules.drafting import draft_table
    from .scheme import default_scheme_path
    from .xlsx import stage

    if output is not None and output.suffix.lower() != ".toml":
        raise click.BadParameter(f"规则文件应以 .toml 结尾：{output.name} / the rules file must end in .toml",
                                 param_hint="-o/--output")
    table_path = table if table is not None else default_scheme_path()
    if output is None:
        output = table_path.with_name(f"{table_path.stem}-评分规则.toml")
        if table is None:    # never beside the installed package's own table
            output = Path(output.name)
    review = review_path(output)
    existing = [p for p in (output, review) if p.exists()]
    if existing and not force:
        raise Trouble(f"已存在，未覆盖 / exists, not overwritten：{'，'.join(map(str, existing))}\n"
                      "提示 / hint：换一个 -o 文件名，或加 --force 覆盖 / pass another -o, or --force to overwrite")
    scheme = _read_scheme(table)
    if scheme.report.errors:
        raise Trouble(_scheme_failure(scheme.report.errors, scheme.source, SCHEME_HINT))
    draft = draft_table(scheme)
    text = draft.to_toml()

    def write_rules(tmp: str) -> None:
        with open(tmp, "w", encoding="utf-8") as fh:
            fh.write(text)

    # Both files or neither: the rules are put in place only once the review is written.
    staged = stage(output, write_rules)
    try:
        write_review(draft, review)
    except BaseException:
        staged.discard()
        raise
    staged.commit()
    flagged = draft.flagged()
    if as_json:
        click.echo(json.dumps(draft.as_json(), ensure_ascii=False, indent=2))
    else:
        for e in flagged:
            click.echo(f"{e.code} {e.status}：{'；'.join(e.reasons)}")
        counts = draft.counts()
        zh = "，".join(f"{k} {v}" for k, v in counts.items())
        en = ", ".join(f"{v} {STATUS_EN[k]}" for k, v in counts.items())
        rows, items = len(draft.rows), len(draft.items)
        click.echo(f"草拟 / drafted：{rows} 行、{items} 项（{zh}）→ {output}，{review} / "
                   f"{rows} rows, {items} items ({en})")
        if flagged:
            click.echo(f"{len(flagged)} 行（项）需要人工核对，见 {review.name} / "
                       f"{len(flagged)} row(s) need a person: see {review.name}")
    if flagged:    # done, with rows for a person: exit 1, no "Error:"
        raise SystemExit(1)
