"""How fast assess-xlsx checks and scores N workbooks, against the reading floor.

    python benchmarks/bench.py                       # N = 11, 117, 1000, 3000; 3 runs each
    python benchmarks/bench.py --sizes 11,117 --repeat 5
    python benchmarks/bench.py --cache /data/bench   # where the generated workbooks are kept

Every figure is a whole process, interpreter start included, timed from the
outside; the median of --repeat runs is quoted (runs interleaved, so a busy
moment of the machine spreads over all of them). For each N it runs

  check     assess-xlsx check DIR --roster R               (read and validate, nothing written)
  score     assess-xlsx score DIR --roster R -o out.xlsx   (the whole job, workbook included)
  floor     a bare single-process python-calamine loop: open each file, read
            its input sheet's values, nothing else; then the same for the
            assessors' sheets in DIR/核定 (one wide 核定表 per assessor)
  rerun     score again over a copy of DIR in which 1 % of the units' workbooks
            were corrected since its previous run (swapped for the other
            profile's), that run's output in place: the change log of those
            units, every other unit compared and found the same
  baseline  what a careful script writer would do without the tool:
            pandas.read_excel(engine="openpyxl") per file (the assessors'
            sheets too), a per-row Python loop to score, DataFrame.to_excel

on four sets of workbooks (make_workbooks.py): the light and the heavy
profile (few deductions; most rows deduct or add, so the audit sheet is
large), each with the roster's long 被考核单位 drop-down (its names in every
file, which makes the floor slower and every ratio look better) and with the
template's default one (N <= 11: one list, they are the same). It prints one
table: the times with their run-to-run spread, check/floor, score/floor,
baseline/score and the peak memory of score (the largest resident set of its
processes, from wait4), the rerun's time, rerun/score and its peak; then the
targets, each on the worse of the two lists (a rerun's peak is held to
score's), and one line per profile with the largest N's figures. The baseline takes
about a minute per 1,000 workbooks, runs --baseline-repeat times (1) and for
N <= --baseline-max (1000).

The workbooks come from make_workbooks.py and are kept under --cache
(/tmp/assess-bench by default) for the next run. Exit status 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
INPUT_SHEET = "填报表"
ASSESSED = "核定"             # the assessors' sheets, one folder down (make_workbooks.py)

# The targets of the issue, as this script checks them.
# (issue 17: for both profiles, the worse of the two drop-down lists).
CHECK_FLOOR_MAX = 1.0        # at the largest N
SCORE_FLOOR_MAX = 3.0        # at the largest N
BASELINE_SCORE_MIN = 10.0    # at N = 1000
PEAK_MB_MAX = 300            # score, at the largest N
SMALL_SCORE_MAX_S = 0.8      # N = 11, scored and written
LINEAR_MAX = 1.15            # score's time per workbook, largest N over N = 1000
RERUN_SHARE = 0.01           # of the units' workbooks corrected between a run and its rerun


# --------------------------------------------------------------------------- the two stand-ins

def floor(folder: str) -> None:
    """The reading floor: open each workbook with python-calamine and read its input
    sheet's values; then the assessors' sheets in FOLDER/核定 (their first sheet)."""
    from python_calamine import CalamineWorkbook

    cells = 0
    for name in sorted(os.listdir(folder)):
        if name.endswith(".xlsx"):
            wb = CalamineWorkbook.from_path(os.path.join(folder, name))
            rows = wb.get_sheet_by_name(INPUT_SHEET).to_python()
            cells += sum(len(r) for r in rows)
    assessed = os.path.join(folder, ASSESSED)
    for name in sorted(os.listdir(assessed)) if os.path.isdir(assessed) else ():
        if name.endswith(".xlsx"):
            wb = CalamineWorkbook.from_path(os.path.join(assessed, name))
            rows = wb.get_sheet_by_index(0).to_python()
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
    # The assessors' sheets first: per unit, (code, value) of the inputs the province judges.
    judged: dict[str, list[tuple[str, object]]] = {}
    for path in sorted((Path(folder) / ASSESSED).glob("*.xlsx")):
        df = pd.read_excel(path, sheet_name=0, header=None, engine="openpyxl")
        header = df.index[df[0].astype(str).str.strip() == "编号"][0]
        for c in range(3, df.shape[1]):
            unit = str(df.iat[header, c]).strip()
            for code, value in zip(df.iloc[header + 1:, 0], df.iloc[header + 1:, c]):
                if isinstance(code, str) and pd.notna(value):
                    judged.setdefault(unit, []).append((code, value))
    results = {}
    for path in sorted(Path(folder).glob("*.xlsx")):
        df = pd.read_excel(path, sheet_name=INPUT_SHEET, header=None, engine="openpyxl")
        header = df.index[df[0].astype(str).str.strip() == "编号"][0]
        unit = str(df.iat[header - 2, 1]).strip()
        rows: dict[str, float] = {}
        points: dict[str, float] = {}
        previous = None
        own = [(row[0], row[4], row[6]) for _, row in df.iloc[header + 1:].iterrows()]
        for code, full_points, value in own + [(code, None, value) for code, value in judged.get(unit, [])]:
            if not isinstance(code, str) or not code[:1].isdigit():
                continue
            key = code.rstrip("abcdefg")
            if isinstance(full_points, (int, float)) and pd.notna(full_points):
                points[key] = float(full_points)
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


VARIANTS = [(profile, drop) for profile in ("light", "heavy") for drop in ("roster", "default")]


def variants_for(n: int) -> list[tuple[str, str]]:
    """For N <= 11 the roster is the default list: one workbook set per profile."""
    return [(p, d) for p, d in VARIANTS if n > 11 or d == "roster"]


def folder_for(cache: Path, n: int, profile: str, drop: str) -> Path:
    return cache / f"{profile}-{drop}-n{n}"


def rerun_folder(cache: Path, folder: Path) -> Path:
    """A copy of `folder` (its workbooks hard-linked where the file system allows,
    its assessors' folder too), for reruns after corrections: see correct()."""
    target = cache / f"rerun-{folder.name}"
    if target.exists():
        shutil.rmtree(target)
    for source in sorted(folder.rglob("*.xlsx")):
        place = target / source.relative_to(folder)
        place.parent.mkdir(parents=True, exist_ok=True)
        _link(source, place)
    return target


def _link(source: Path, place: Path) -> None:
    place.unlink(missing_ok=True)
    try:
        os.link(source, place)
    except OSError:
        shutil.copy2(source, place)


def correct(rerun: Path, folder: Path, other: Path, corrected: bool) -> int:
    """The office's corrections between a run and its rerun: RERUN_SHARE of the
    units' workbooks in `rerun` become the other profile's for the same units
    (`corrected`), or `folder`'s again. -> how many."""
    names = sorted(p.name for p in folder.glob("*.xlsx"))
    names = names[:max(1, round(len(names) * RERUN_SHARE))]
    for name in names:
        _link((other if corrected else folder) / name, rerun / name)
    return len(names)


def measure(n: int, cache: Path, repeat: int, baseline_repeat: int, idle_wait: float) -> list[dict]:
    """One result per (profile, list) of this N; runs interleaved across them."""
    sys.path.insert(0, str(HERE))
    from make_workbooks import make

    assess = assess_command()
    me = [sys.executable, str(Path(__file__).resolve())]
    results = []
    for profile, drop in variants_for(n):
        folder = folder_for(cache, n, profile, drop)
        roster = make(n, folder, quiet=True, profile=profile, drop=drop)
        out = cache / f"out-{folder.name}.xlsx"
        commands = {
            "check": assess + ["check", str(folder), "--roster", str(roster)],
            "score": assess + ["score", str(folder), "--roster", str(roster), "-o", str(out)],
            "floor": me + ["floor", str(folder)],
        }
        if baseline_repeat:
            commands["baseline"] = me + ["baseline", str(folder), str(roster), str(cache / f"baseline-{folder.name}.xlsx")]
        run(commands["floor"])       # once untimed: the files in the page cache for everyone
        results.append({"n": n, "profile": profile, "list": drop, "out": out, "commands": commands,
                        "runs": {k: [] for k in [*commands, "rerun"]}, "cpu_runs": {k: [] for k in [*commands, "rerun"]},
                        "peak_kb": 0, "rerun_kb": 0, "wall": 0.0, "others_s": 0.0, "folder": folder, "roster": roster})
    for r in results:
        # A rerun scores a copy of the folder in which 1 % of the units' workbooks
        # were corrected since its last run (their other profile's), over that run's
        # output: the change log of those units, the rest compared and found the same.
        other = folder_for(cache, n, "heavy" if r["profile"] == "light" else "light", r["list"])
        r["rerun_dirs"] = (rerun_folder(cache, r["folder"]), r["folder"], other)
        r["rerun_cmd"] = assess + ["score", str(r["rerun_dirs"][0]), "--roster", str(r["roster"]),
                                   "-o", str(cache / f"out-rerun-{r['folder'].name}.xlsx")]
        for old in (cache / f"out-rerun-{r['folder'].name}.xlsx", cache / f"out-rerun-{r['folder'].name}.prev.xlsx"):
            old.unlink(missing_ok=True)
        run(r["rerun_cmd"])          # the run before the first rerun, untimed
    for k in range(repeat):
        wait_idle(idle_wait)
        for r in results:
            for name, cmd in r["commands"].items():
                if name == "baseline" and k >= baseline_repeat:
                    continue
                out = r["out"]
                for old in (out, out.with_name(out.stem + ".prev" + out.suffix)):
                    old.unlink(missing_ok=True)     # score must not diff against the last run
                seconds, rss, used, other = run(cmd)
                r["runs"][name].append(seconds)
                r["cpu_runs"][name].append(used)
                r["wall"] += seconds
                r["others_s"] += other
                if name == "score":
                    r["peak_kb"] = max(r["peak_kb"], rss)
            correct(*r["rerun_dirs"], corrected=k % 2 == 0)
            seconds, rss, used, other = run(r["rerun_cmd"])
            r["runs"]["rerun"].append(seconds)
            r["cpu_runs"]["rerun"].append(used)
            r["wall"] += seconds
            r["others_s"] += other
            r["rerun_kb"] = max(r["rerun_kb"], rss)
    for r in results:
        r["median"] = {k: statistics.median(v) for k, v in r["runs"].items()}
        r["spread"] = {k: (max(v) - min(v)) / statistics.median(v) if len(v) > 1 else 0.0 for k, v in r["runs"].items()}
        r["cpu"] = {k: statistics.median(v) for k, v in r["cpu_runs"].items()}
        r["peak_mb"] = r["peak_kb"] / 1024
        r["rerun_mb"] = r["rerun_kb"] / 1024
        r["others"] = r["others_s"] / (r["wall"] * cores()) if r["wall"] else 0.0
    return results


# --------------------------------------------------------------------------- report

HEAD = ("    N  profile  list     check  ±%    score  ±%    floor  ±%  baseline  chk/fl  scr/fl  bl/scr"
        "  peakMB  scr/wb  chk-cpu  scr-cpu    rerun  ±%  rr/scr  rrMB  other")


def fmt_row(r: dict) -> str:
    m, sp = r["median"], r["spread"]
    base = f"{m['baseline']:8.2f}" if "baseline" in m else "  (skip)"
    ratio = f"{m['baseline'] / m['score']:6.1f}" if "baseline" in m else "     -"
    return (f"{r['n']:>5}  {r['profile']:<7}  {r['list']:<7}"
            f" {m['check']:7.2f} {100 * sp['check']:3.0f}  {m['score']:7.2f} {100 * sp['score']:3.0f}"
            f"  {m['floor']:7.2f} {100 * sp['floor']:3.0f}  {base}  "
            f"{m['check'] / m['floor']:6.2f}  {m['score'] / m['floor']:6.2f}  {ratio}  {r['peak_mb']:6.0f}"
            f"  {1000 * m['score'] / r['n']:6.2f}  {r['cpu']['check']:7.2f}  {r['cpu']['score']:7.2f}"
            f"  {m['rerun']:7.2f} {100 * sp['rerun']:3.0f}  {m['rerun'] / m['score']:6.2f}  {r['rerun_mb']:4.0f}"
            f"  {100 * r['others']:4.0f}%")


def worst(rows: list[dict], key, pick=max) -> tuple[float, dict]:
    """The worst figure over the rows (both lists), and the row it came from."""
    best = pick(rows, key=key)
    return key(best), best


def targets(results: dict[int, list[dict]]) -> list[tuple[str, bool | None]]:
    """Per profile, the worse of the two drop-down lists for every figure."""
    out: list[tuple[str, bool | None]] = []
    big = max(results)
    for profile in ("light", "heavy"):
        rows = [r for r in results[big] if r["profile"] == profile]
        if not rows:
            continue
        v, r = worst(rows, lambda r: r["median"]["check"] / r["median"]["floor"])
        out.append((f"{profile} N={big}: check/floor {v:.2f} <= {CHECK_FLOOR_MAX} ({r['list']} list)", v <= CHECK_FLOOR_MAX))
        v, r = worst(rows, lambda r: r["median"]["score"] / r["median"]["floor"])
        out.append((f"{profile} N={big}: score/floor {v:.2f} <= {SCORE_FLOOR_MAX} ({r['list']} list)", v <= SCORE_FLOOR_MAX))
        v, r = worst(rows, lambda r: r["peak_mb"])
        out.append((f"{profile} N={big}: peak memory of score {v:.0f} MB <= {PEAK_MB_MAX} MB ({r['list']} list)", v <= PEAK_MB_MAX))
        v, r = worst(rows, lambda r: r["rerun_mb"])
        out.append((f"{profile} N={big}: peak memory of a rerun {v:.0f} MB <= {PEAK_MB_MAX} MB ({r['list']} list)", v <= PEAK_MB_MAX))
        thousand = [r for r in results.get(1000, []) if r["profile"] == profile and "baseline" in r["median"]]
        if thousand:
            v, r = worst(thousand, lambda r: r["median"]["baseline"] / r["median"]["score"], min)
            out.append((f"{profile} N=1000: baseline/score {v:.1f} >= {BASELINE_SCORE_MIN} ({r['list']} list)", v >= BASELINE_SCORE_MIN))
        if 1000 in results and big > 1000:
            pairs = []
            for r in rows:
                k = next(x for x in results[1000] if x["profile"] == profile and x["list"] == r["list"])
                growth = (r["median"]["score"] / big) / (k["median"]["score"] / 1000)
                floor_growth = (r["median"]["floor"] / big) / (k["median"]["floor"] / 1000)
                pairs.append((growth, floor_growth, r["list"]))
            g, fg, drop = max(pairs)
            out.append((f"{profile} score per workbook N={big} / N=1000: {g:.2f} <= {LINEAR_MAX} "
                        f"(the floor's: {fg:.2f}; {drop} list)", g <= LINEAR_MAX))
        small = [r for r in results.get(11, []) if r["profile"] == profile]
        if small:
            s = small[0]["median"]["score"]
            out.append((f"{profile} N=11: scored and written in {s:.2f} s <= {SMALL_SCORE_MAX_S} s", s <= SMALL_SCORE_MAX_S))
    return out


def compile_package() -> None:
    """The package's modules compiled to bytecode before anything is timed, as an
    installed program has them: with PYTHONDONTWRITEBYTECODE set (or a read-only
    checkout) an editable install would otherwise compile every changed module
    again in every timed process (~0.1 s of an N = 11 run)."""
    import compileall

    import assess_xlsx

    compileall.compile_dir(str(Path(assess_xlsx.__file__).resolve().parent), quiet=1)


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
    ap.add_argument("--baseline-repeat", type=int, default=1,
                    help="runs of the baseline (about a minute per 1,000 workbooks each); 0 skips it")
    ap.add_argument("--idle-wait", type=float, default=60.0,
                    help="before each round, wait up to this many seconds for other processes to go quiet")
    args = ap.parse_args(argv)
    sizes = sorted({int(s) for s in args.sizes.split(",") if s.strip()})
    args.cache.mkdir(parents=True, exist_ok=True)

    print(f"assess-xlsx benchmark: {machine()}")
    print(f"median of {args.repeat} runs (baseline: {args.baseline_repeat}): seconds per whole process and "
          "its run-to-run spread ((max-min)/median, %), peak MB of score, ms per workbook, CPU seconds "
          "(workers included), CPU used by other processes meanwhile")
    print("profile: light = few deductions, heavy = most rows deduct or add; list: the 被考核单位 drop-down "
          "(roster = the N names on a hidden sheet, default = the template's 11)")
    sys.path.insert(0, str(HERE))
    from make_workbooks import make

    compile_package()
    for n in sizes:     # generated (or found up to date) before anything is timed
        for profile, drop in variants_for(n):
            make(n, folder_for(args.cache, n, profile, drop), profile=profile, drop=drop)
    results: dict[int, list[dict]] = {}
    print(HEAD)
    for n in sizes:
        results[n] = measure(n, args.cache, args.repeat, args.baseline_repeat if n <= args.baseline_max else 0,
                             args.idle_wait)
        for r in results[n]:
            print(fmt_row(r), flush=True)
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
    for profile in ("light", "heavy"):
        rows = [r for r in results[big] if r["profile"] == profile]
        if not rows:
            continue
        cf = max(r["median"]["check"] / r["median"]["floor"] for r in rows)
        sf = max(r["median"]["score"] / r["median"]["floor"] for r in rows)
        bl = [r["median"]["baseline"] / r["median"]["score"] for r in results.get(1000, [])
              if r["profile"] == profile and "baseline" in r["median"]]
        bl_text = f"baseline/score (N=1000) {min(bl):.1f}" if bl else "baseline skipped"
        print(f"{profile} N={big} (worse of the two lists): check/floor {cf:.2f}, score/floor {sf:.2f}, {bl_text}, "
              f"score {max(r['median']['score'] for r in rows):.2f} s, peak {max(r['peak_mb'] for r in rows):.0f} MB")
    return 0 if all(ok for _, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
