"""click's own words in the house style: Chinese, then the English click wrote.

Usage errors ("Invalid value for 'FOLDER': Directory '…' is a file.", "Missing
argument", "No such command" …), the "Usage:" / "Try … --help" lines and the
help headings are matched on click's English text (its gettext catalogue
leaves it as is when no translation is installed) and shown as "中文 / English".
cli.py's command group uses the context and the error display defined here.
"""

from __future__ import annotations

import re

import click

_CLICK_ZH = (
    (r"(?:Directory|File|Path) '(.*)' does not exist\.", "“{0}”不存在"),
    (r"(?:Directory|File|Path) '(.*)' is a file\.", "“{0}”是文件，应为文件夹"),
    (r"(?:Directory|File|Path) '(.*)' is a directory\.", "“{0}”是文件夹，应为文件"),
    (r"(?:Directory|File|Path) '(.*)' is not readable\.", "“{0}”无法读取（没有权限）"),
    (r"(?:Directory|File|Path) '(.*)' is not writable\.", "“{0}”无法写入（没有权限）"),
    (r"Missing argument '(.*)'\.", "缺少参数 {0}"),
    (r"Missing option '(.*)'\.", "缺少选项 {0}"),
    (r"No such option '(.*)'\. Did you mean '(.*)'\?", "没有选项 {0}，是否要用 {1}？"),
    (r"No such option '(.*)'\.(?: \(.*\))?", "没有选项 {0}"),
    (r"No such command '(.*)'\. Did you mean '(.*)'\?", "没有命令“{0}”，是否要用“{1}”？"),
    (r"No such command '(.*)'\.", "没有命令“{0}”（可用：template、check、score、watch、scheme）"),
    (r"Option '(.*)' requires an argument\.", "选项 {0} 后面要跟一个值"),
    (r"Option '(.*)' does not take a value\.", "选项 {0} 不带值"),
    (r"'(.*)' is not one of (.*)\.", "“{0}”不是可选值之一：{1}"),
    (r"'(.*)' is not a valid (?:float|integer)\.", "“{0}”不是数字"),
    (r"(.*) is not in the range (.*)\.", "{0} 超出范围 {1}"),
    (r"Got unexpected extra arguments? \((.*)\)", "多余的参数：{0}"),
    (r"Missing command\.", "缺少命令（template、check、score、watch、scheme）"),
)
_PARAM = re.compile(r"Invalid value for (.+?): (.*)", re.S)


def click_message_zh(message: str) -> str:
    """click's English message with the Chinese before it ("中文 / English")."""
    head = ""
    m = _PARAM.fullmatch(message)
    body = message
    if m:
        head, body = f"{m.group(1)} 的值无效：", m.group(2)
    for pattern, zh in _CLICK_ZH:
        found = re.fullmatch(pattern, body, re.S)
        if found:
            return f"{head}{zh.format(*[g or '' for g in found.groups()])} / {message}"
    return f"{head or '命令行用法有误：'}{body} / {message}" if head else f"命令行用法有误 / {message}"


class _Formatter(click.HelpFormatter):
    HEADINGS = {"Options": "选项 / Options", "Commands": "命令 / Commands", "Arguments": "参数 / Arguments"}
    OWN = {"Show this message and exit.": "显示本帮助并退出 / Show this message and exit.",
           "Show the version and exit.": "显示版本号并退出 / Show the version and exit."}

    def write_usage(self, prog, args="", prefix=None):
        super().write_usage(prog, args, "用法 / Usage: " if prefix is None else prefix)

    def write_heading(self, heading):
        super().write_heading(self.HEADINGS.get(heading, heading))

    def write_dl(self, rows, *args, **kwargs):
        super().write_dl([(k, self.OWN.get(v, v)) for k, v in rows], *args, **kwargs)


class ZhContext(click.Context):
    """A context whose help uses _Formatter (Chinese headings with English)."""

    formatter_class = _Formatter


def show_usage_error(exc: click.UsageError) -> None:
    """What click's UsageError.show prints, in Chinese with English."""
    ctx = exc.ctx
    if ctx is not None:
        click.echo(ctx.get_usage(), err=True)
        if ctx.command.get_help_option(ctx) is not None:
            command = ctx.command_path
            click.echo(f"运行 / Try '{command} --help' 查看帮助 / for help.", err=True)
        click.echo("", err=True)
    click.echo(f"错误 / Error: {click_message_zh(exc.format_message())}", err=True)


