"""Watching the inbox: score again whenever a workbook is added, replaced or removed.

Polling, not OS notifications: it works the same on a network share, in a
synced folder and on every platform, and needs no extra package. A change is
acted on only once the folder has been still for `settle` seconds, so a file
still being copied (its size or time still moving) is not read half-written.
A change counts when it is to a file the reader reads: the one rule of
intake/contract.py (Office lock files ~$…, hidden files and anything not a
workbook, .tmp and .part downloads among them, are ignored by both).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Callable

from .intake.contract import ASSESSED_FOLDER, is_workbook_name

Snapshot = dict[str, tuple[int, int]]


def is_candidate(name: str) -> bool:
    """Files whose arrival should trigger a run: the workbooks the reader reads."""
    return is_workbook_name(name)


def folder_state(folder: Path) -> Snapshot:
    """name -> (size, mtime_ns) of every candidate workbook directly in the folder."""
    state: Snapshot = {}
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return state
    for entry in entries:
        if not is_candidate(entry.name):
            continue
        try:
            if not entry.is_file():
                continue
            st = entry.stat()
        except OSError:  # removed while we looked
            continue
        state[entry.name] = (st.st_size, st.st_mtime_ns)
    return state


def describe(old: Snapshot, new: Snapshot) -> str:
    added = sorted(set(new) - set(old))
    removed = sorted(set(old) - set(new))
    replaced = sorted(n for n in set(old) & set(new) if old[n] != new[n])
    parts = []
    if added:
        parts.append("新增 / added: " + "、".join(added))
    if replaced:
        parts.append("更新 / replaced: " + "、".join(replaced))
    if removed:
        parts.append("移除 / removed: " + "、".join(removed))
    return "；".join(parts)


def watch(
    folder: str | Path,
    run: Callable[[str], None],
    *,
    interval: float = 1.0,
    settle: float = 2.0,
    should_stop: Callable[[], bool] = lambda: False,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    assessed: str | Path | None = None,
) -> None:
    """Call `run(reason)` once now, then after every settled change of the folder.

    Returns when `should_stop()` is true; KeyboardInterrupt propagates to the
    caller, which stops cleanly between runs.
    """
    folder = Path(folder)
    # The assessors' sheets count as much as the units' own: a new 核定表 rescores too.
    adir = Path(assessed) if assessed is not None else folder / ASSESSED_FOLDER

    def folder_state_all() -> Snapshot:
        state = folder_state(folder)
        state.update({f"{adir.name}/{k}": v for k, v in folder_state(adir).items()})
        return state

    current = folder_state_all()
    run("首次评分 / first run")
    pending: Snapshot | None = None
    changed_at = 0.0
    while not should_stop():
        sleep(interval)
        state = folder_state_all()
        if state != (pending if pending is not None else current):
            pending, changed_at = state, clock()  # something moved: wait for it to settle
            continue
        if pending is not None and clock() - changed_at >= settle:
            reason = describe(current, pending)
            current, pending = pending, None
            if reason:
                run(reason)
