"""Every workbook of a run read in the sandbox's workers: the units' own and the assessors'.

`gather(folder, inputs, roster, known, ...)` scans a folder (and its assessors'
folder) and reads every workbook in it: a `Gathered`, before any value is
checked (validate.py does that). Nothing here imports pandas: a run can start
its workers first and import pandas meanwhile (`meanwhile`, lazy.Meanwhile).

`read_all(unit_jobs, assessed_entries, ...)` hands each file to a worker
process that may die (sandbox.py: started once per run, a memory ceiling and
a time limit each), the assessors' wide sheets first (the largest files:
started early, they do not hold up the end of the run) and the units' files
after them, all in one pool. The records and findings come back as a serial
loop would make them: the units' files in name order, then the assessors'
folder in name order. A file whose worker died, ran out of memory or time is
a finding for it alone and is never read again in the calling process.

One worker up to PARALLEL_MIN_FILES files (a second costs more to start than
it saves), one per core above: calamine lets go of the GIL while it parses,
but the zip inspection and the reading of rows around it are Python, which
does not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SubmissionsError
from ..findings import Report
from ..roster import Roster
from . import extract
from .assessed import AssessedFile, read_assessed_file, scan_assessed
from .contract import ASSESSED_FOLDER

PARALLEL_MIN_FILES = 48    # up to this many files are read by one worker
CHUNK_FILES = 16           # files a worker reads per round trip (~0.1 s of work)

UNIT, ASSESSED = "unit", "assessed"

# Set in each worker by _start_worker: what every file is read against.
_inputs = None
_roster = None
_known: tuple[str, ...] = ()


def cores() -> int:
    """The cores this process may run on."""
    from .sandbox import cores as sandbox_cores

    return sandbox_cores()


def use_pool(files: int) -> bool:
    """Whether more than one worker reads (every file is read in a worker; see sandbox.py)."""
    return files > PARALLEL_MIN_FILES and cores() > 1


def workers_for(files: int) -> int:
    """One worker for a small folder (starting a second costs more than it saves), one per core for a large one."""
    return min(cores(), max(1, files // CHUNK_FILES)) if use_pool(files) else 1


def _start_worker(inputs, roster, known) -> None:
    global _inputs, _roster, _known
    _inputs, _roster, _known = inputs, roster, known


def _read_one(job: tuple[str, str, str]):
    kind, path, name = job
    report = Report()
    if kind == ASSESSED:
        read = read_assessed_file(Path(path), name, _inputs, _roster, _known, report)
        for column in read.columns:
            _share_layout(column, _layouts)
    else:
        read = extract._read_file(Path(path), name, _inputs, _roster, report)
        _share_layout(read, _layouts)   # a chunk's pickle then holds each layout once
    return read, report.findings


# Worker and caller each keep one tuple per layout seen: sheets made from one
# template give every file the same codes and cells, in the same order.
_layouts: dict = {}


def _share_layout(read, layouts: dict) -> None:
    """The codes and cell names of a file ('3.3.8a', 'G40' ...) as one shared
    tuple per distinct list, not a list of strings per file: with thousands
    of files these are most of the objects kept, and of the bytes sent back."""
    codes, cells = tuple(read.codes), tuple(read.cells)
    read.codes = layouts.setdefault(codes, codes)
    read.cells = layouts.setdefault(cells, cells)


@dataclass
class Gathered:
    """A folder's workbooks read (`gather`), and what they were read against."""
    folder: Path
    assessed: Path | None            # the assessors' folder, if any
    inputs: object                   # the rules' inputs (code -> InputSpec)
    roster: Roster
    known: tuple[str, ...]           # the assessors an assessed sheet may name
    report: Report                   # the scan's findings, then the files', in the serial order
    skipped: list[dict] = field(default_factory=list)    # files-table rows of the entries passed over
    reads: list = field(default_factory=list)            # the units' _FileRead records, in name order
    afiles: list[AssessedFile] = field(default_factory=list)
    taken: bool = False

    def read_as(self, folder, inputs, roster: Roster, known, assessed) -> bool:
        """Whether these are the reads `gather` would make with these arguments (and not taken yet)."""
        return (not self.taken and Path(folder) == self.folder and roster is self.roster
                and tuple(known) == self.known and dict(inputs) == dict(self.inputs)
                and self.assessed == assessed_folder(self.folder, assessed))

    def take(self) -> tuple[Report, list[dict], list, list[AssessedFile]]:
        """(report, skipped, reads, afiles), handed over once and dropped here: a
        run that began reading early must not hold every file's records through
        scoring (24 MB at N = 3000, the records' peak and the result's at once)."""
        out = (self.report, self.skipped, self.reads, self.afiles)
        self.report, self.skipped, self.reads, self.afiles, self.taken = Report(), [], [], [], True
        return out


def gather(folder, inputs, roster: Roster, known: tuple[str, ...], assessed=None, progress=None,
           meanwhile=None) -> Gathered:
    """Scan `folder` (its workbooks; `assessed`, default folder/核定 when it is
    there: the assessors') and read every workbook, against `inputs` (the
    rules' inputs), `roster` and `known` (rules.roles.assessors). `meanwhile`
    (lazy.Meanwhile) is started once the workers are, and joined before any
    further worker starts."""
    folder, adir = folders(folder, assessed)
    report = Report()
    todo, skipped = extract.scan_folder(folder, report)
    if adir is not None and adir.parent == folder:     # the assessors' folder is read, not passed over
        report.findings = [f for f in report.findings if not (f.code == "file-skipped-folder" and f.file == adir.name)]
        skipped = [row for row in skipped if row["file"] != adir.name]
    entries = scan_assessed(adir, _prefix(folder, adir)) if adir else []
    reads, afiles = read_all(todo, entries, inputs, roster, known, report, progress, meanwhile)
    return Gathered(folder=folder, assessed=adir, inputs=inputs, roster=roster, known=tuple(known), report=report,
                    skipped=skipped, reads=reads, afiles=afiles)


def folders(folder, assessed) -> tuple[Path, Path | None]:
    """The inbox and the assessors' folder (see assessed_folder); SubmissionsError
    for the first of them that is not there."""
    folder = Path(folder)
    if not folder.is_dir():
        raise SubmissionsError(f"文件夹不存在 / not a folder: {folder}")
    return folder, assessed_folder(folder, assessed)


def assessed_folder(folder: Path, assessed) -> Path | None:
    """The assessors' folder: as given, else `folder/核定` when it exists."""
    if assessed is not None:
        adir = Path(assessed)
        if not adir.is_dir():
            raise SubmissionsError(f"核定文件夹不存在 / the assessed folder does not exist: {adir}")
        return adir
    adir = folder / ASSESSED_FOLDER
    return adir if adir.is_dir() else None


def _prefix(folder: Path, adir: Path) -> str:
    """How the assessors' files are named: relative to the inbox when inside it."""
    try:
        return adir.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        return adir.name


def read_all(unit_jobs: list[tuple[str, str]], assessed_entries: list[tuple[str, str, str | None]], inputs,
             roster: Roster, known: tuple[str, ...], report: Report, progress=None,
             meanwhile=None) -> tuple[list, list[AssessedFile]]:
    """Read the units' (path, name) jobs and the assessed folder's (path, name,
    why passed over) entries; findings go to `report` in the serial order.
    -> (the units' `_FileRead` records, the assessors' `AssessedFile`s), each in order.

    `progress(done, total)` is called as each file is read (a progress bar).
    `meanwhile`: started as soon as the workers are (see gather)."""
    from .sandbox import Sandbox

    to_read = [(path, rel) for path, rel, why in assessed_entries if not why]
    jobs = [(ASSESSED, path, rel) for path, rel in to_read] + [(UNIT, path, name) for path, name in unit_jobs]
    layouts: dict = {}
    with Sandbox(_read_one, init=_start_worker, initargs=(inputs, roster, known),
                 workers=workers_for(len(jobs)), before_fork=meanwhile.join if meanwhile else None) as box:
        box.start(len(jobs))
        if meanwhile is not None:
            meanwhile.start()
        outcomes = box.map(jobs, progress)
    assessed_outcomes = iter(outcomes[:len(to_read)])

    reads: list = []
    for (path, name), outcome in zip(unit_jobs, outcomes[len(to_read):]):
        if outcome.ok:
            read, findings = outcome.value
            _share_layout(read, layouts)
            reads.append(read)
            report.extend(findings)
        else:
            reads.append(extract._failed_read(Path(path), name, outcome.reason, outcome.detail, roster, report))
    afiles: list[AssessedFile] = []
    for path, rel, why in assessed_entries:
        if why:
            report.add(why, file=rel)
            afiles.append(AssessedFile(rel=rel, status="skipped"))
            continue
        outcome = next(assessed_outcomes)
        if outcome.ok:
            read, findings = outcome.value
            for column in read.columns:
                _share_layout(column, layouts)
            afiles.append(read)
            report.extend(findings)
        else:
            afiles.append(_failed_assessed(Path(path), rel, outcome.reason, outcome.detail, report))
    return reads, afiles


def _failed_assessed(path: Path, rel: str, reason: str, detail: str, report: Report) -> AssessedFile:
    """An assessor's file whose worker died, ran out of memory or time: a finding, hashed only."""
    code, expected = extract.failure_code(reason)
    report.add(code, file=rel, note=detail, expected=expected)
    out = AssessedFile(rel=rel, status="unreadable")
    try:
        with open(path, "rb") as fh:          # hashed only, never parsed
            out.sha256 = extract._sha256_stream(fh)
    except OSError:
        pass
    return out
