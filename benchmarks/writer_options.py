"""The 扣分加分依据 writer, option by option, on one real audit (issue 17).

    python benchmarks/writer_options.py                      # heavy profile, N = 3000
    python benchmarks/writer_options.py --n 1000 --repeat 3

Scores the heavy-profile folder of bench.py once (make_workbooks.py makes it
when missing), keeps its audit (one row per deduction or bonus of a unit) in
a pickle, then writes that audit as a one-sheet workbook in a fresh process
per option and run, and prints, per option, the median seconds of the write
alone (the pickle's loading not counted), the run-to-run spread, the peak
resident memory of the process above what it held once the audit was
loaded, the file size, and whether two runs gave the same bytes.

Options:

  today        report.audit.audit_sheet as it is: constant_memory (inline strings),
               9 columns, 7 text cells and 1 number per row
  dense4       the same facts in 4 text cells + 1 number: 单位 | 编号 | 说明
               (指标, 类别 and 计算过程, which already holds 填报内容 and 结果)
               | 依据; constant_memory
  dense3       3 text cells + 1 number: 单位 | 编号 | 说明 with 依据 at its end
  shared       today's 9 columns with constant_memory off: each distinct string
               written once to sharedStrings.xml and referenced
  shared-d4    dense4 with shared strings
  *-gc         the same with Python's cyclic garbage collector paused while
               writing (gc.disable): shared strings keep ~1.6 M cell objects
               alive, and every collection walks all of them
  rust         rustpy-xlsxwriter (rust_xlsxwriter under PyO3), today's 9 columns
               from records, column formats (no per-cell loss/gain style)
  rawxml       the sheet XML made by hand (inline strings, escaped as xlsxwriter
               escapes them) in this process; the template of the "own writer
               for the big sheet" and of the parallel one
  rawxml-par2  the same, its rows cut in two halves made in 2 worker processes
               and joined: what writing in parallel processes can buy

Also (printed after the table): whether rust keeps a text "=1+1" as text,
whether its bytes are the same twice (it has no way to pin the created date).
"""

from __future__ import annotations

import argparse
import io
import os
import pickle
import resource
import statistics
import subprocess
import sys
import time
import zipfile
import zlib
from hashlib import sha256
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

CREATED = "2023-01-15T00:00:00"
OPTIONS = ("today", "dense4", "dense3", "shared", "shared-d4", "shared-gc", "shared-d4-gc", "today-gc",
           "rust", "rawxml", "rawxml-par2")


# --------------------------------------------------------------------------- the audit, once

def prepare(n: int, cache: Path) -> Path:
    """Score the heavy folder and keep what the audit writer needs."""
    out = cache / f"audit-heavy-n{n}.pickle"
    if out.exists():
        return out
    from make_workbooks import make

    from assess_xlsx.roster import read_roster
    from assess_xlsx.run import score_folder
    from assess_xlsx.scheme import read_scheme

    folder = cache / f"heavy-roster-n{n}"
    roster_path = make(n, folder, quiet=True, profile="heavy", drop="roster")
    scheme = read_scheme()
    result = score_folder(folder, scheme, read_roster(roster_path))
    from assess_xlsx.report.facts import Facts
    facts = Facts(result)
    data = {"audit": result.audit, "labels": facts.labels, "unit_word": facts.unit_word}
    out.write_bytes(pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL))
    return out


# --------------------------------------------------------------------------- the options

class _FakeFacts:
    def __init__(self, data):
        self.labels, self.unit_word = data["labels"], data["unit_word"]


def _book(path: str, constant_memory: bool):
    from datetime import datetime

    from assess_xlsx import report

    book = report.facts.new_book(path, datetime.fromisoformat(CREATED), "bench")
    if not constant_memory:
        book.wb.constant_memory = False      # read by add_worksheet: shared strings
    return book


def write_today(data, path: str, constant_memory: bool = True) -> None:
    from assess_xlsx import report

    book = _book(path, constant_memory)
    report.audit.audit_sheet(book, _FakeFacts(data), data["audit"], report.SHEETS["audit"])
    book.close()


def _dense_rows(data, with_sources_column: bool):
    """(unit, code, explanation[, sources], signed hundredths) per audit row."""
    from assess_xlsx.labels import SIDE_ZH

    labels = data["labels"]
    signed = {"deduct": -1, "major": -1, "bonus": 1, "extra": 1}
    a = data["audit"]
    for city, code, side, sentence, sources, amount in zip(a["city"], a["code"], a["side"], a["sentence"],
                                                           a["sources"], a["amount"]):
        text = f"{labels.get(code, '')}（{SIDE_ZH.get(side, side)}）：{sentence}"
        h = int(amount) * signed.get(side, 1)
        if with_sources_column:
            yield city, code, text, sources, h
        else:
            yield city, code, f"{text}\n依据：{sources}", h


def write_dense(data, path: str, with_sources_column: bool, constant_memory: bool = True) -> None:
    from assess_xlsx import report

    book = _book(path, constant_memory)
    sh = book.sheet(report.SHEETS["audit"], repeat=(2, 2))
    header = [data["unit_word"], "编号", "说明（指标、类别、计算过程）"] + (["依据（文件 单元格）"] if with_sources_column else []) + ["分值"]
    sh.widths([12, 8, 80] + ([30] if with_sources_column else []) + [8])
    sh.text(0, 0, "扣分、加分依据", "title")
    sh.head(2, header)
    r = 3
    for row in _dense_rows(data, with_sources_column):
        sh.text(r, 0, row[0])
        sh.text(r, 1, row[1], "center")
        sh.text(r, 2, row[2], "wrap")
        c = 3
        if with_sources_column:
            sh.text(r, 3, row[3], "wrap")
            c = 4
        h = row[-1]
        sh.figure(r, c, h, "loss" if h < 0 else "gain")
        r += 1
    sh.ws.autofilter(2, 0, r - 1, len(header) - 1)
    book.close()


def write_rust(data, path: str) -> None:
    import rustpy_xlsxwriter as rx

    from assess_xlsx.labels import SIDE_ZH

    labels = data["labels"]
    signed = {"deduct": -1, "major": -1, "bonus": 1, "extra": 1}
    a = data["audit"]
    unit = data["unit_word"]

    def records():
        for city, code, side, inputs, sentence, result, sources, amount in zip(
                a["city"], a["code"], a["side"], a["inputs"], a["sentence"], a["result"], a["sources"], a["amount"]):
            yield {unit: city, "编号": code, "指标": labels.get(code, ""), "类别": SIDE_ZH.get(side, side),
                   "填报内容": inputs, "计算过程": sentence, "结果": result,
                   "分值": int(amount) * signed.get(side, 1) / 100, "依据（文件 单元格）": sources}

    wrap = rx.Format().set_text_wrap().set_font_name("等线").set_font_size(10)
    rx.write_worksheet(records(), path, sheet_name="扣分加分依据", freeze_row=1, freeze_col=1,
                       float_format="0.00", column_widths=[12, 8, 24, 9, 40, 60, 18, 8, 30],
                       column_formats=[wrap] * 9, autofilter=True, bold_headers=True)


# The hand-made sheet: the XML xlsxwriter writes for inline strings, cell by cell.
_ESC = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_CTRL = {chr(c): f"_x{c:04X}_" for c in range(32) if c not in (9, 10)}


def _esc(s: str) -> str:
    s = s.translate(_ESC)
    if any(ch in _CTRL for ch in s):
        s = "".join(_CTRL.get(ch, ch) for ch in s)
    return s


def _col(c: int) -> str:
    return "ABCDEFGHIJ"[c]


_DATA = None      # the audit, set before the pool forks: the workers share it, nothing pickled


def rawxml_rows(args) -> bytes:
    """<row> elements for audit rows [start, stop), numbered from `first`."""
    start, stop, first = args
    data = _DATA
    from assess_xlsx.labels import SIDE_ZH

    labels = data["labels"]
    signed = {"deduct": -1, "major": -1, "bonus": 1, "extra": 1}
    a = data["audit"].iloc[start:stop]
    out = []
    r = first
    styles = (1, 2, 3, 2, 3, 3, 3, None, 3)   # text, center, wrap, ... (xf indices)
    for city, code, side, inputs, sentence, result, sources, amount in zip(
            a["city"], a["code"], a["side"], a["inputs"], a["sentence"], a["result"], a["sources"], a["amount"]):
        values = (city, code, labels.get(code, ""), SIDE_ZH.get(side, side), inputs, sentence, result, None, sources)
        cells = []
        row = r + 1
        for c, (v, s) in enumerate(zip(values, styles)):
            if v is None:
                h = int(amount) * signed.get(side, 1)
                cells.append(f'<c r="H{row}" s="{4 if h < 0 else 5}"><v>{h / 100!r}</v></c>')
            else:
                t = _esc(v)
                sp = ' xml:space="preserve"' if t[:1].isspace() or t[-1:].isspace() else ""
                cells.append(f'<c r="{_col(c)}{row}" s="{s}" t="inlineStr"><is><t{sp}>{t}</t></is></c>')
        out.append(f'<row r="{row}" spans="1:9">{"".join(cells)}</row>')
        r += 1
    return "".join(out).encode("utf-8")


def write_rawxml(data, path: str, processes: int = 1) -> None:
    """The sheet XML by hand, zipped with xlsxwriter's other parts of a one-sheet book."""
    global _DATA
    _DATA = data
    n = len(data["audit"])
    if processes == 1:
        body = rawxml_rows((0, n, 3))
    else:
        import multiprocessing

        ctx = multiprocessing.get_context("fork")
        cut = [n * k // processes for k in range(processes + 1)]
        with ctx.Pool(processes) as pool:
            body = b"".join(pool.map(rawxml_rows, [(cut[k], cut[k + 1], 3 + cut[k]) for k in range(processes)]))
    # A shell workbook from xlsxwriter (formats, header) and its sheet's <sheetData> replaced.
    shell = io.BytesIO()
    import xlsxwriter

    wb = xlsxwriter.Workbook(shell, {"in_memory": True})
    wb.set_properties({"created": __import__("datetime").datetime.fromisoformat(CREATED)})
    ws = wb.add_worksheet("扣分加分依据")
    for k in range(5):
        wb.add_format({"border": k})
    ws.write_string(0, 0, "扣分、加分依据")
    wb.close()
    with zipfile.ZipFile(io.BytesIO(shell.getvalue())) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            part = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                head, tail = part.split(b"</sheetData>")
                part = head + body + b"</sheetData>" + tail
            z = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            z.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(z, part, compresslevel=6)


def run_option(option: str, pickle_path: str, out: str) -> None:
    data = pickle.loads(Path(pickle_path).read_bytes())
    import gc

    gc.collect()
    base_kb = _rss_kb("VmRSS")
    _reset_peak()             # the peak from here on is the writer's, not the pickle's
    if option.endswith("-gc"):
        gc.disable()
        option = option[:-3]
    t0 = time.perf_counter()
    if option == "today":
        write_today(data, out)
    elif option == "dense4":
        write_dense(data, out, True)
    elif option == "dense3":
        write_dense(data, out, False)
    elif option == "shared":
        write_today(data, out, constant_memory=False)
    elif option == "shared-d4":
        write_dense(data, out, True, constant_memory=False)
    elif option == "rust":
        write_rust(data, out)
    elif option == "rawxml":
        write_rawxml(data, out)
    elif option == "rawxml-par2":
        write_rawxml(data, out, processes=2)
    seconds = time.perf_counter() - t0
    print(f"{seconds} {base_kb} {_rss_kb('VmHWM')}")


def _rss_kb(field: str) -> int:
    """VmRSS (now) or VmHWM (the peak since the last reset) of this process, in KB (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")     # resets VmHWM (Linux >= 4.0)
    except OSError:
        pass


# --------------------------------------------------------------------------- the comparison

def measure(option: str, pickle_path: Path, out: Path) -> tuple[float, float, float]:
    """(seconds of the write, peak MB above the loaded audit, peak MB of the whole process)."""
    proc = subprocess.Popen([sys.executable, __file__, "--one", option, str(pickle_path), str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    text = proc.stdout.read().decode()
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{option} failed:\n{err}")
    seconds, base_kb, peak_kb = map(float, text.split())
    # The writer's peak above the loaded audit (the pool's workers of rawxml-par2, forked
    # with the audit, have their own peak: the largest child's from wait4 is shown beside).
    return seconds, (peak_kb - base_kb) / 1024, max(peak_kb, usage.ru_maxrss) / 1024


def rust_checks(tmp: Path) -> list[str]:
    """Does rustpy-xlsxwriter keep formula-looking text as text, and give the same bytes twice?"""
    try:
        import rustpy_xlsxwriter as rx
    except ImportError:
        return ["rustpy-xlsxwriter not installed"]
    out = []
    rows = [{"a": "=1+1", "b": "http://example.com", "c": "+1", "d": "@SUM(A1)"}]
    p = tmp / "rust-formula.xlsx"
    rx.write_worksheet(rows, str(p))
    with zipfile.ZipFile(p) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
        core = z.read("docProps/core.xml").decode()
    out.append("rust: '=1+1' written as " + ("a FORMULA" if "<f>" in sheet else "text"))
    out.append("rust: 'http://…' written as " + ("a LINK" if "hyperlink" in sheet else "text"))
    digests = []
    for k in range(2):
        rx.write_worksheet(rows, str(p))
        digests.append(sha256(p.read_bytes()).hexdigest())
        time.sleep(1.1)
    created = core.split("<dcterms:created")[1].split(">")[1].split("<")[0] if "dcterms:created" in core else "?"
    out.append(f"rust: same bytes twice, 1 s apart: {digests[0] == digests[1]} (docProps created = {created}; "
               "the API has no document properties to pin it)")
    return out


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--one"]:
        run_option(*argv[1:4])
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=3000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/assess-bench"))
    ap.add_argument("--options", default=",".join(OPTIONS))
    args = ap.parse_args(argv)
    args.cache.mkdir(parents=True, exist_ok=True)
    pickle_path = prepare(args.n, args.cache)
    data = pickle.loads(pickle_path.read_bytes())
    rows = len(data["audit"])
    del data
    options = [o for o in args.options.split(",") if o]
    print(f"audit of the heavy profile, N = {args.n}: {rows:,} rows; median of {args.repeat} runs, "
          "each in a fresh process, interleaved")
    times: dict[str, list[float]] = {o: [] for o in options}
    extra: dict[str, float] = {o: 0.0 for o in options}
    peak: dict[str, float] = {o: 0.0 for o in options}
    digests: dict[str, set[str]] = {o: set() for o in options}
    size: dict[str, int] = {}
    for _ in range(args.repeat):
        for o in options:
            out = args.cache / f"writer-{o}.xlsx"
            s, x, p = measure(o, pickle_path, out)
            times[o].append(s)
            extra[o] = max(extra[o], x)
            peak[o] = max(peak[o], p)
            digests[o].add(sha256(out.read_bytes()).hexdigest())
            size[o] = out.stat().st_size
    base = statistics.median(times["today"]) if "today" in times else None
    print(f"{'option':<12} {'seconds':>8} {'±%':>4} {'vs today':>8} {'µs/row':>7} {'+MB':>6} {'peakMB':>7} "
          f"{'file MB':>8}  same bytes")
    for o in options:
        m = statistics.median(times[o])
        sp = 100 * (max(times[o]) - min(times[o])) / m if len(times[o]) > 1 else 0
        vs = f"{m / base:8.2f}" if base else "       -"
        same = "yes" if len(digests[o]) == 1 else f"NO ({len(digests[o])} digests)"
        print(f"{o:<12} {m:8.2f} {sp:4.0f} {vs} {1e6 * m / rows:7.1f} {extra[o]:6.0f} {peak[o]:7.0f} "
              f"{size[o] / 1e6:8.1f}  {same}")
    for line in rust_checks(args.cache):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
