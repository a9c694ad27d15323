"""The words users see for the program's states: one Chinese word per meaning.

A unit is 已计分 (scored), 数据有误 (rejected: its data has errors) or 未提交
(missing: no workbook) or 待核定 (pending: an assessor still owes some of its
inputs); the same words in the workbook, the change log, the
JSON reasons and the terminal.
"""

from __future__ import annotations

YES, NO = "是", "否"

SCORED, REJECTED, MISSING, PENDING = "scored", "rejected", "missing", "pending"
STATUS_ZH = {SCORED: "已计分", REJECTED: "数据有误", MISSING: "未提交", PENDING: "待核定"}

# A file's status in the files table (read / skipped / unreadable / rejected).
FILE_STATUS_ZH = {"read": "已读取", "skipped": "已跳过", "unreadable": "无法读取", REJECTED: STATUS_ZH[REJECTED],
                  "held": "暂不读取"}
# A file that was read but holds no 编号/填报值 sheet (it is some other workbook).
NOT_FORM_ZH, NOT_FORM_EN = "不是填报表", "not a score sheet"
UNIT_UNKNOWN_ZH, UNIT_UNKNOWN_EN = "单位不明", "unit unknown"

CITY_TYPE_ZH = {"capital": "省会城市", "prefecture": "设区市"}

# The four sides a rule part stands on, and the two kinds of item.
SIDE_ZH = {"deduct": "扣分", "bonus": "加分", "extra": "综合加分", "major": "重大扣分"}
ITEM_SIDE_ZH = {"extra": "综合加分项", "major": "重大扣分项"}
DEDUCTING_SIDES = ("deduct", "major")

SEVERITY_ZH = {"error": "错误", "warning": "提醒", "info": "说明"}

# The hidden sheet of every ranking workbook that holds its run (changes.py): a
# workbook that has it was written by this tool, and is never read as a form.
SNAPSHOT_SHEET = "_快照"


def verb(side: str) -> str:
    """扣 on a deducting side, 加 on the others."""
    return "扣" if side in DEDUCTING_SIDES else "加"
