"""The cost of reading in worker processes (issue 13), printed, never asserted.

    python benchmarks/sandbox_bench.py [3000]

1. Sandbox start-up: the time to start the workers and run one empty job on
   each, at the worker count the reader uses for N = 11 and N = 3000 files.
2. The reader at N = 11 (the samples) and N = 3000 (benchmarks/make_workbooks.py):
   read_submissions, end to end, in this process.
3. The peak memory (ru_maxrss) of the calling process while a worker dies:
   an inbox of the 11 samples plus the looping-FAT .xls with the guard off,
   so calamine asks for 4 GiB in the worker and Rust aborts.
4. `assess-xlsx score samples/` end to end as a command (wall time).
"""

from __future__ import annotations

import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from assess_xlsx.intake import pool as parallel  # noqa: E402
from assess_xlsx.intake import sandbox  # noqa: E402
from assess_xlsx.intake import read_submissions  # noqa: E402
from assess_xlsx.scheme import read_scheme  # noqa: E402


def _noop(job):
    return job


def startup(files: int) -> float:
    workers = parallel.workers_for(files)
    t = time.perf_counter()
    with sandbox.Sandbox(_noop, workers=workers) as box:
        box.map(range(workers))
    return time.perf_counter() - t, workers


def main(n: int) -> None:
    import badfiles
    from make_workbooks import make
    from assess_xlsx.roster import read_roster

    scheme = read_scheme()
    for files in (11, n):
        (secs, workers) = startup(files)
        print(f"sandbox start-up for N={files}: {workers} worker(s), {secs * 1000:.1f} ms")
    t = time.perf_counter()
    read_submissions(ROOT / "samples", scheme)
    print(f"read_submissions N=11: {(time.perf_counter() - t) * 1000:.0f} ms")
    big = Path(tempfile.gettempdir()) / "assess-bench" / f"n{n}"
    roster = read_roster(make(n, big, quiet=True))
    t = time.perf_counter()
    sub = read_submissions(big, scheme, roster=roster)
    print(f"read_submissions N={n}: {time.perf_counter() - t:.2f} s ({len(sub.values)} values)")

    with tempfile.TemporaryDirectory() as tmp:
        inbox = Path(tmp) / "交回"
        inbox.mkdir()
        for f in (ROOT / "samples").glob("*.xlsx"):
            shutil.copy(f, inbox)
        (inbox / "环.xls").write_bytes(badfiles.looping_fat_xls())
        parallel.check_xls = lambda data, limit: None          # let calamine meet the loop (in the worker)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sub = read_submissions(inbox, scheme)
        after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        codes = [f.code for f in sub.report if f.file == "环.xls"]
        print(f"worker died on 环.xls -> {codes}; main process peak RSS {before / 1024:.0f} MB before, "
              f"{after / 1024:.0f} MB after (a worker's 4 GiB request never reaches this process)")

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "assess_xlsx", "score", "-q", str(ROOT / "samples"),
                        "-o", str(Path(tmp) / "out.xlsx")], env=env, check=True)
        print(f"assess-xlsx score samples/ (N=11) end to end: {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000)
