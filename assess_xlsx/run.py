"""One scoring run as the office does it: folder in, ranking workbook out.

Reads the inbox, scores it, and writes the workbook; when the output already
exists, keeps it as `<name>.prev.xlsx` and records in the new workbook what
changed since (the 变更记录 sheet, from the hidden snapshot of the previous
one). Used by `score` and `watch`; the CLI only prints what this returns.

Sibling inboxes (交回/ and 新交回/ in one parent) share the default output.
The snapshot records the inbox it was scored from: an output (or .prev) of
another inbox is no previous run of this one; it is never compared with it
and never overwritten, but kept under a name no file has (考核结果.交回.xlsx).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
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
    other_inbox: str = ""          # the existing output was scored from this other inbox
    set_aside: list[Path] = field(default_factory=list)   # results of other inboxes, kept under their own names


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
                 assessed=None, gathered=None):
    """Read and score: the Result, nothing written. `assessed`: the assessors'
    folder (default: 核定/ inside the inbox, when it exists); `gathered`: the
    inbox read already (gather_early)."""
    from .intake import read_submissions
    from .scoring import score

    submissions = read_submissions(inbox, scheme, roster=roster, progress=progress, assessed=assessed,
                                   gathered=gathered)
    return score(scheme, submissions, settings)


# What `check` and `score` import next, on a thread while the workers read (gather_early).
CHECK_NEXT = ("pandas", "assess_xlsx.scheme", "assess_xlsx.intake.validate")
SCORE_NEXT = CHECK_NEXT + ("assess_xlsx.scoring", "assess_xlsx.report")


def gather_early(folder, rules, roster, assessed=None, progress: Callable[[int, int], None] | None = None,
                 then: tuple[str, ...] = ()):
    """The folder's workbooks read (intake.pool.Gathered) before the scheme is,
    against the rules file `rules` (None: the built-in one), while the
    modules `then` are imported on a thread; read_submissions takes them
    when the scheme's rules are these. None, and nothing read, when the
    rules file leaves who fills an input to the table (its 考核方式) or
    cannot be read (read_scheme says why), or the folder cannot be read
    (read_submissions says why, after the scheme's own errors)."""
    from .errors import AssessError
    from .intake.pool import gather
    from .lazy import Meanwhile
    from .rules import load_rules
    from .rules.roles import assessors

    try:
        book = load_rules(rules)
    except AssessError:
        return None
    if not all(spec.filled_by for spec in book.inputs.values()):
        return None
    meanwhile = Meanwhile(*then)
    try:
        return gather(folder, book.inputs, roster, assessors(book), assessed, progress, meanwhile)
    except AssessError:
        return None
    finally:
        meanwhile.join()


def write_run(result, inbox, output: Path | None = None, *, per_city: Path | None = None,
              created=None) -> Run:
    """Write the workbook (and per-city workbooks) for a scored result.

    (`score --strict` decides before calling this, so that no JSON is written either.)
    """
    from .heap import give_back
    from .report import write_per_city, write_workbook
    from .xlsx import stage

    output = Path(output) if output is not None else default_output(inbox)
    check_output(inbox, output)
    # What reading and scoring freed, returned before the previous snapshot is
    # read and the writer's workers are forked (heap.py).
    give_back()
    run = Run(result=result, output=None)
    here = str(Path(inbox).resolve())
    if output.exists():
        _compare(run, output, result, here)
        give_back()      # the previous snapshot (23 M characters at N = 3000) is gone with _compare's frame
    kept = previous_path(output)
    staged = []       # copies made before anything is replaced: (Staged, set aside?)
    try:
        if output.exists() and run.other_inbox:
            # Another inbox's result: kept under its own name, not as our .prev.
            aside = free_name(output, Path(run.other_inbox).name)
            staged.append((stage(aside, lambda tmp: shutil.copyfile(output, tmp)), aside))
        elif output.exists():
            other = _inbox_of_file(kept)
            if other not in ("", here):
                # The .prev about to be replaced is another inbox's: kept aside first.
                aside = free_name(output, Path(other).name)
                staged.append((stage(aside, lambda tmp: shutil.copyfile(kept, tmp)), aside))
            # A copy of the current output beside it, to become the .prev file.
            staged.append((stage(kept, lambda tmp: shutil.copyfile(output, tmp)), None))
        write_workbook(result, output, created=created, changes=run.changes)
        # Only once the new workbook is in place do the old ones take their new names.
        for copy, aside in staged:
            copy.commit()
            if aside is not None:
                run.set_aside.append(aside)
            else:
                run.previous = kept
    finally:
        for copy, _ in staged:
            copy.discard()
    run.output = output
    if per_city is not None:
        run.per_city = write_per_city(result, per_city, created=created)
    return run


def _compare(run: Run, output: Path, result, here: str) -> None:
    """The change log against the previous output at `output` (or why there is
    none: another inbox's, or a snapshot that cannot be read) into `run`."""
    from .changes import diff_run, read_previous
    from .errors import SnapshotError

    try:
        previous = read_previous(output)
        if previous.inbox not in ("", here):
            run.other_inbox = previous.inbox
        else:
            run.changes = diff_run(previous, result)
    except SnapshotError as exc:
        run.previous_problem = str(exc)


def free_name(output: Path, label: str) -> Path:
    """考核结果.交回.xlsx beside the output, or .2, .3 ... : a name no file has yet."""
    label = label.strip(". ") or "inbox"
    candidate = output.with_name(f"{output.stem}.{label}{output.suffix}")
    n = 2
    while candidate.exists() or candidate == previous_path(output):
        candidate = output.with_name(f"{output.stem}.{label}.{n}{output.suffix}")
        n += 1
    return candidate


def _inbox_of_file(path: Path) -> str:
    """The inbox a kept workbook was scored from ("" when absent or unknown)."""
    from .changes import read_snapshot, snapshot_inbox
    from .errors import SnapshotError

    if not path.exists():
        return ""
    try:
        return snapshot_inbox(read_snapshot(path))
    except SnapshotError:
        return ""
