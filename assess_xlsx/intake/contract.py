"""The fill-in sheet contract: what the template writes and the reader and watcher look for.

The sheet and header names, the 被考核单位 label, and the one rule for which
files of a folder are workbooks to read (`skip_reason`). The template writes
them; the reader finds them by their text, never by position; the watcher
rescores when a file this rule reads changes. Keep them stable: people and
programs fill the sheet in by them.
"""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

SHEET_NAME = "填报表"
GUIDE_SHEET = "填表说明"
LIST_SHEET = "单位名单"          # only when the roster is too long for an inline list
CODE_HEADER = "编号"
VALUE_HEADER = "填报值"
UNIT_LABEL = "被考核单位"
ASSESSOR_LABEL = "核定单位"     # who judges: the assessor's sheet names it beside this label
JUDGED_SHEET = "省级核定事项"   # the 自评 form's read-only list of what the province judges
ASSESSED_FOLDER = "核定"        # the assessors' sheets, inside the inbox by default
WIDE_SHEET = "核定表"
NAME_HEADER = "指标"
RULE_HEADER = "核定内容（评分规则、填写要求）"

WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods")
READABLE = "未加密、能打开的工作簿（.xlsx、.xlsm、.xls、.ods）"


_SURROGATE = re.compile("[\udc80-\udcff]")     # a byte of a name that was not UTF-8


def file_label(name: str) -> str:
    """A file name as text that can be shown and written anywhere.

    A zip made on Chinese Windows and unpacked elsewhere leaves names in GBK,
    which Python keeps as lone surrogates: no terminal, CSV or workbook can
    print them. Decode such bytes as GB18030 (else with replacement marks);
    the file itself is still opened by its real name."""
    if _SURROGATE.search(name) is None:
        return name
    raw = os.fsencode(name)
    try:
        return raw.decode("gb18030")
    except UnicodeDecodeError:
        return raw.decode("utf-8", "replace")


def skip_reason(name: str) -> str | None:
    """Why a file of this name is passed over (a finding code), or None for a workbook to read."""
    # '太原市．ｘｌｓｘ' typed with a full-width IME, or a stray trailing space, is still a workbook.
    name = unicodedata.normalize("NFKC", file_label(name)).strip()
    if name.startswith("~$") or name.startswith(".~lock."):
        return "file-skipped-lock"
    if name.startswith("."):
        return "file-skipped-hidden"
    if os.path.splitext(name)[1].lower() not in WORKBOOK_SUFFIXES:    # Path(name).suffix, without the Path
        return "file-skipped-other"
    return None


def is_workbook_name(name: str) -> bool:
    """Whether a file of this name is read as a workbook (the watcher's trigger too)."""
    return skip_reason(name) is None
