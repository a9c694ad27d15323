"""One scoring run as the office does it: folder in, ranking workbook out.

Reads the inbox, scores it, and writes the workbook; when the output already
exists, keeps it as `<name>.prev.xlsx` and records in the new workbook what
changed since (the 变更记录 sheet, from the hidden snapshot of the previous
one). Used by `score` and `watch`; the CLI only prints what this returns.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from .errors import RunError

DEFAULT_OUTPUT = "考核结果.xlsx"
PREVIOUS_SUFFIX = ".prev"


@dataclass
class Run:
    result: object                 # scoring.Result
    output: Path | None            # where the workbook went (None: nothing written)
    previous: Path | None = None   # the kept previous output
    changes: object = None         # changes.ChangeLog, when there was a previous output
    previous_problem: str = ""     # why the previous output could not be compared
    per_city: list[Path] | None = None


def default_output(inbox: str | os.PathLike) -> Path:
    """考核结果.xlsx beside the inbox, never inside it: a rerun must not read its own output."""
    return Path(inbox).resolve().parent / DEFAULT_OUTPUT


def previous_path(output: Path) -> Path:
    return output.with_name(output.stem + PREVIOUS_SUFFIX + output.suffix)


def check_output(inbox: str | os.PathLike, output: Path) -> None:
    inbox = Path(inbox).resolve()
    if output.resolve().parent == inbox:
        raise RunError(
            f"输出文件不能放在交回文件夹中（{output}），否则下次评分会读到它 / "
            f"the output must not be inside the inbox ({output}): the next run would read it"
        )


def score_folder(inbox, scheme, roster, settings=None, progress: Callable[[int, int], None] | None = None,
                 assessed=None):
    """Read and score: the Result, nothing written. `assessed`: the assessors'
    folder (default: 核定/ inside the inbox, when it exists)."""
    from .intake import read_submissions
    from .scoring import score

    submissions = read_submissions(inbox, scheme, roster=roster, progress=progress, assessed=assessed)
    return score(scheme, submissions, settings)


def write_run(result, inbox, output: Path | None = None, *, per_city: Path | None = None,
              created=None) -> Run:
    """Write the workbook (and per-city workbooks) for a scored result.

    (`score --strict` decides before calling this, so that no JSON is written either.)
    """
    from .changes import diff, read_snapshot, snapshot
    from .errors import SnapshotError
    from .report import write_per_city, write_workbook
    from .xlsx import stage

    output = Path(output) if output is not None else default_output(inbox)
    check_output(inbox, output)
    run = Run(result=result, output=None)
    packed = snapshot(result)     # once: compared with the previous output and written into the new one
    if output.exists():
        try:
            run.changes = diff(read_snapshot(output), packed)
        except SnapshotError as exc:
            run.previous_problem = str(exc)
    kept = previous_path(output)
    # A copy of the current output beside it, to become the .prev file.
    staged = stage(kept, lambda tmp: shutil.copyfile(output, tmp)) if output.exists() else None
    try:
        write_workbook(result, output, created=created, changes=run.changes, packed=packed)
        if staged is not None:
            # Only once the new workbook is in place does the old one become .prev.
            staged.commit()
            run.previous = kept
    finally:
        if staged is not None:
            staged.discard()
    run.output = output
    if per_city is not None:
        run.per_city = write_per_city(result, per_city, created=created)
    return run
