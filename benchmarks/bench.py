"""How fast assess-xlsx checks and scores N workbooks, against the reading floor.

    python benchmarks/bench.py                       # N = 11, 117, 1000, 3000; 3 runs each
    python benchmarks/bench.py --sizes 11,117 --repeat 5
    python benchmarks/bench.py --cache /data/bench   # where the generated workbooks are kept

Every figure is a whole process, interpreter start included, timed from the
outside; the median of --repeat runs is quoted (runs interleaved, so a busy
moment of the machine spreads over all four). For each N it runs

  check     assess-xlsx check DIR --roster R               (read and validate, nothing written)
  score     assess-xlsx score DIR --roster R -o out.xlsx   (the whole job, workbook included)
  floor     a bare single-process python-calamine loop: open each file, read
            its input sheet's values, nothing else
  baseline  what a careful script writer would do without the tool:
            pandas.read_excel(engine="openpyxl") per file, a per-row Python
            loop to score, DataFrame.to_excel for the result

and prints the four times, check/floor, score/floor, baseline/score, and
the peak memory of score (the largest resident set of its processes, from
wait4); last, one line with the N = 3000 figures. The baseline takes about
a minute per 1,000 workbooks and runs for N <= --baseline-max (1000).

The workbooks come from make_workbooks.py and are kept under --cache
(/tmp/assess-bench by default) for the next run. Exit status 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
INPUT_SHEET = "填报表"

# The targets of the issue, as this script checks them.
CHECK_FLOOR_MAX = 1.2        # at the largest N
SCORE_FLOOR_MAX = 3.0        # at the largest N
BASELINE_SCORE_MIN = 5.0     # at N = 1000
PEAK_MB_MAX = 300            # score, at the largest N
SMALL_SCORE_MAX_S = 1.0      # N = 11, scored and written
LINEAR_MAX = 1.25            # score's time per workbook, largest N over N = 1000


# --------------------------------------------------------------------------- the two stand-ins

def floor(folder: str) -> None:
    """The reading floor: open each workbook with python-calamine and read its input sheet's values."""
    from python_calamine import CalamineWorkbook

    cells = 0
    for name in sorted(os.listdir(folder)):
        if name.endswith(".xlsx"):
            wb = CalamineWorkbook.from_path(os.path.join(folder, name))
            rows = wb.get_sheet_by_name(INPUT_SHEET).to_python()
            cells += sum(len(r) for r in rows)
    print(cells)


def baseline(folder: str, roster: str, out: str) -> None:
    """A careful script without the tool: read_excel per file, score row by row, to_excel.

    The scoring is a stand-in of the same shape as the real rules (full
    points per row, less deductions for 否 and for counted problems, rates
    of two inputs, capped at the row's points), enough to cost what a
    hand-written per-row loop costs; reading dominates anyway.
    """
    import pandas as pd

    units = [line.split("\t")[0].strip() for line in Path(roster).read_text(encoding="utf-8").splitlines()
             if line.strip() and not line.startswith("#")]
    results = {}
    for path in sorted(Path(folder).glob("*.xlsx")):
        df = pd.read_excel(path, sheet_name=INPUT_SHEET, header=None, engine="openpyxl")
        header = df.index[df[0].astype(str).str.strip() == "编号"][0]
        unit = str(df.iat[header - 2, 1]).strip()
        rows: dict[str, float] = {}
        points: dict[str, float] = {}
        previous = None
        for _, row in df.iloc[header + 1:].iterrows():
            code = row[0]
            if not isinstance(code, str) or not code[:1].isdigit():
                continue
            key = code.rstrip("abcdefg")
            if isinstance(row[4], (int, float)) and pd.notna(row[4]):
                points[key] = float(row[4])
            value = row[6]
            full = points.get(key, 0.0)
            rows.setdefault(key, full)
            if isinstance(value, str):
                v = value.strip()
                if v == "否":
                    rows[key] -= full
                    continue
                if v in ("是", "") or not v[:1].isdigit():
                    continue
                value = float(v.rstrip("%件个项条次起家篇期处份名位季度"))
            if pd.isna(value):
                continue
            number = float(value)
            if code.endswith("b") and previous is not None and number > 0:
                rows[key] -= full * (1 - min(previous / number, 1)) if previous <= number else 0
            elif code.endswith("a"):
                rows[key] -= min(full, 0.5 * number) if number < 50 else 0
            previous = number
        results[unit] = {k: round(max(v, 0.0), 2) for k, v in rows.items()}
    table = pd.DataFrame.from_dict(results, orient="index").reindex([u for u in units if u in results])
    table.insert(0, "总分", table.sum(axis=1).round(2))
    table.insert(1, "名次", table["总分"].rank(ascending=False, method="min").astype(int))
    table.sort_values("名次").to_excel(out, sheet_name="考核结果")


# --------------------------------------------------------------------------- timing

def busy_seconds() -> float:
    """CPU seconds the whole machine has been busy since boot (Linux; 0 elsewhere)."""
    try:
        with open("/proc/stat") as fh:
            fields = [int(x) for x in fh.readline().split()[1:]]
    except OSError:
        return 0.0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)        # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def wait_idle(limit: float) -> float:
    """Wait (at most `limit` seconds) until other processes use under a tenth of a core;
    -> the share of a core they used in the last second looked at."""
    deadline = time.monotonic() + limit
    while True:
        b0, t0 = busy_seconds(), time.monotonic()
        time.sleep(1.0)
        share = (busy_seconds() - b0) / (time.monotonic() - t0)
        if share < 0.1 or time.monotonic() >= deadline:
            return share


def run(cmd: list[str]) -> tuple[float, int, float, float]:
    """(seconds, peak resident set in KB, CPU seconds, CPU seconds of other processes) of one whole process."""
    b0 = busy_seconds()
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    cpu = usage.ru_utime + usage.ru_stime       # the process and its workers
    others = max(0.0, busy_seconds() - b0 - cpu)
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    if proc.returncode not in (0,):
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(cmd)}\n{err}")
    return seconds, usage.ru_maxrss, cpu, others      # ru_maxrss: KB on Linux


def assess_command() -> list[str]:
    script = Path(sys.executable).with_name("assess-xlsx")
    return [str(script)] if script.exists() else [sys.executable, "-m", "assess_xlsx"]


def measure(n: int, cache: Path, repeat: int, with_baseline: bool, idle_wait: float) -> dict:
    sys.path.insert(0, str(HERE))
    from make_workbooks import make

    folder = cache / f"n{n}"
    roster = make(n, folder, quiet=True)
    out = cache / f"out-n{n}.xlsx"
    out_baseline = cache / f"baseline-n{n}.xlsx"
    assess = assess_command()
    me = [sys.executable, str(Path(__file__).resolve())]
    commands = {
        "check": assess + ["check", str(folder), "--roster", str(roster)],
        "score": assess + ["score", str(folder), "--roster", str(roster), "-o", str(out)],
        "floor": me + ["floor", str(folder)],
    }
    if with_baseline:
        commands["baseline"] = me + ["baseline", str(folder), str(roster), str(out_baseline)]
    run(commands["floor"])       # once untimed: the files in the page cache for everyone
    times: dict[str, list[float]] = {k: [] for k in commands}
    cpu: dict[str, list[float]] = {k: [] for k in commands}
    peak, wall, others = 0, 0.0, 0.0
    for _ in range(repeat):
        wait_idle(idle_wait)
        for name, cmd in commands.items():
            for old in (out, out.with_name(out.stem + ".prev" + out.suffix)):
                old.unlink(missing_ok=True)     # score must not diff against the last run
            seconds, rss, used, other = run(cmd)
            times[name].append(seconds)
            cpu[name].append(used)
            wall += seconds
            others += other
            if name == "score":
                peak = max(peak, rss)
    med = {k: statistics.median(v) for k, v in times.items()}
    return {"n": n, "median": med, "runs": times, "peak_mb": peak / 1024,
            "cpu": {k: statistics.median(v) for k, v in cpu.items()},
            "others": others / (wall * cores()) if wall else 0.0}


# --------------------------------------------------------------------------- report

def fmt_row(r: dict) -> str:
    m = r["median"]
    base = f"{m['baseline']:8.2f}" if "baseline" in m else "  (skip)"
    ratio = f"{m['baseline'] / m['score']:6.1f}" if "baseline" in m else "     -"
    return (f"{r['n']:>5}  {m['check']:7.2f}  {m['score']:7.2f}  {m['floor']:7.2f}  {base}  "
            f"{m['check'] / m['floor']:6.2f}  {m['score'] / m['floor']:6.2f}  {ratio}  {r['peak_mb']:7.0f}"
            f"  {1000 * m['check'] / r['n']:6.2f}  {1000 * m['score'] / r['n']:6.2f}  {1000 * m['floor'] / r['n']:6.2f}"
            f"  {r['cpu']['check']:7.2f}  {r['cpu']['score']:7.2f}  {100 * r['others']:4.0f}%")


def targets(results: dict[int, dict]) -> list[tuple[str, bool | None]]:
    out: list[tuple[str, bool | None]] = []
    big = max(results)
    m = results[big]["median"]
    out.append((f"N={big}: check/floor {m['check'] / m['floor']:.2f} <= {CHECK_FLOOR_MAX}", m["check"] / m["floor"] <= CHECK_FLOOR_MAX))
    out.append((f"N={big}: score/floor {m['score'] / m['floor']:.2f} <= {SCORE_FLOOR_MAX}", m["score"] / m["floor"] <= SCORE_FLOOR_MAX))
    out.append((f"N={big}: peak memory of score {results[big]['peak_mb']:.0f} MB <= {PEAK_MB_MAX} MB", results[big]["peak_mb"] <= PEAK_MB_MAX))
    if 1000 in results and "baseline" in results[1000]["median"]:
        k = results[1000]["median"]
        out.append((f"N=1000: baseline/score {k['baseline'] / k['score']:.1f} >= {BASELINE_SCORE_MIN}", k["baseline"] / k["score"] >= BASELINE_SCORE_MIN))
    if 1000 in results and big > 1000:
        per_big = m["score"] / big
        per_1000 = results[1000]["median"]["score"] / 1000
        floor_growth = (m["floor"] / big) / (results[1000]["median"]["floor"] / 1000)
        out.append((f"score per workbook N={big} / N=1000: {per_big / per_1000:.2f} <= {LINEAR_MAX} "
                    f"(the floor's: {floor_growth:.2f})", per_big / per_1000 <= LINEAR_MAX))
    if 11 in results:
        s = results[11]["median"]["score"]
        out.append((f"N=11: scored and written in {s:.2f} s < {SMALL_SCORE_MAX_S} s", s < SMALL_SCORE_MAX_S))
    return out


def machine() -> str:
    load = " load %.2f %.2f %.2f" % os.getloadavg() if hasattr(os, "getloadavg") else ""
    return f"{platform.platform()}, {cores()} cores, Python {platform.python_version()};{load}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["floor"]:
        floor(argv[1])
        return 0
    if argv[:1] == ["baseline"]:
        baseline(*argv[1:4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="11,117,1000,3000", help="numbers of workbooks, comma-separated")
    ap.add_argument("--repeat", type=int, default=3, help="runs of each command; the median is quoted")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/assess-bench"), help="where workbooks are generated and kept")
    ap.add_argument("--baseline-max", type=int, default=1000, help="run the (slow) baseline only up to this N")
    ap.add_argument("--idle-wait", type=float, default=60.0,
                    help="before each round, wait up to this many seconds for other processes to go quiet")
    args = ap.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    args.cache.mkdir(parents=True, exist_ok=True)

    print(f"assess-xlsx benchmark: {machine()}")
    print(f"median of {args.repeat} runs: seconds per whole process, peak MB of score, ms per workbook, "
          "CPU seconds of check and score (workers included), CPU used by other processes meanwhile")
    head = ("    N    check    score    floor  baseline  chk/fl  scr/fl  bl/scr  peakMB"
            "  chk/wb  scr/wb  flr/wb  chk-cpu  scr-cpu  other")
    sys.path.insert(0, str(HERE))
    from make_workbooks import make

    for n in sizes:     # generated (or found up to date) before anything is timed
        make(n, args.cache / f"n{n}")
    results: dict[int, dict] = {}
    print(head)
    for n in sizes:
        results[n] = measure(n, args.cache, args.repeat, n <= args.baseline_max, args.idle_wait)
        print(fmt_row(results[n]), flush=True)
    skipped = [n for n in sizes if n > args.baseline_max]
    if skipped:
        print(f"baseline skipped for N = {', '.join(map(str, skipped))} (--baseline-max {args.baseline_max}): "
              "about a minute per 1,000 workbooks")
    print(f"after: {machine()}")
    print()
    checks = targets(results)
    for text, ok in checks:
        print(f"  {'met   ' if ok else 'MISSED'}  {text}")
    big = max(results)
    r = results[big]
    m = r["median"]
    bl = results.get(1000, {}).get("median", {})
    bl_text = f"baseline/score (N=1000) {bl['baseline'] / bl['score']:.1f}" if "baseline" in bl else "baseline skipped"
    print(f"N={big}: check {m['check']:.2f} s, score {m['score']:.2f} s, floor {m['floor']:.2f} s, "
          f"check/floor {m['check'] / m['floor']:.2f}, score/floor {m['score'] / m['floor']:.2f}, "
          f"{bl_text}, score peak {r['peak_mb']:.0f} MB")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
