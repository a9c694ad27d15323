"""Reading many workbooks on every core.

`read_submissions` reads a folder file by file; when the folder holds more
than PARALLEL_MIN_FILES workbooks it hands them to `read_in_pool`, which reads
them in worker processes, one per core, and gives back what the serial loop
would have made: the same `_FileRead` records and the same findings, in file
order. Everything after reading (normalising, checks across files, scoring)
stays in the calling process, on the records gathered here.

A process rather than a thread per core: calamine lets go of the GIL while
it parses, but the zip inspection and the reading of rows around it are
Python, which does not. Below the threshold the workers cost more to start
than they save.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from .findings import Report

PARALLEL_MIN_FILES = 48    # fewer files are read in the calling process
CHUNK_FILES = 16           # files a worker reads per round trip (~0.1 s of work)

# Set in each worker by _start_worker: what every file is read against.
_inputs = None
_roster = None


def cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def use_pool(files: int) -> bool:
    return files > PARALLEL_MIN_FILES and cores() > 1


def _context():
    # fork starts a worker at once with the modules already imported; where fork
    # is unsafe or missing (macOS, Windows) the platform's default is used.
    if sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _start_worker(inputs, roster) -> None:
    global _inputs, _roster
    _inputs, _roster = inputs, roster


def _read_one(job: tuple[str, str]):
    from .submissions import _read_file

    path, name = job
    report = Report()
    read = _read_file(Path(path), name, _inputs, _roster, report)
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


def read_in_pool(jobs: list[tuple[str, str]], inputs, roster, report: Report, progress=None) -> list:
    """Read (path, name) jobs in worker processes; findings go to `report` in
    file order, as the serial loop adds them. -> the `_FileRead` records in order.

    Should a worker die (killed by the system, say), the files not yet read
    are read here, one by one, as without a pool.
    """
    from .submissions import _read_file

    reads: list = []
    layouts: dict = {}
    workers = min(cores(), max(1, len(jobs) // CHUNK_FILES))
    try:
        with ProcessPoolExecutor(max_workers=workers, mp_context=_context(),
                                 initializer=_start_worker, initargs=(inputs, roster)) as pool:
            for read, findings in pool.map(_read_one, jobs, chunksize=CHUNK_FILES):
                _share_layout(read, layouts)
                reads.append(read)
                report.extend(findings)
                if progress is not None:
                    progress(len(reads), len(jobs))
    except BrokenProcessPool:
        pass
    for path, name in jobs[len(reads):]:
        reads.append(_read_file(Path(path), name, inputs, roster, report))
        if progress is not None:
            progress(len(reads), len(jobs))
    return reads
