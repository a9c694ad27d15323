"""Reading many workbooks fast gives the same answers as reading them one by one.

The pool of assess_xlsx/intake/pool.py against the serial loop, on a generated
folder with trouble in it; the quick look at plain sheets against the full
cell-by-cell scan; normalising each (input, value) pair once against
normalising every cell; the roster lookups against searching every unit.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from assess_xlsx import roster as R
from assess_xlsx.intake import extract
from assess_xlsx.intake import pool as parallel
from assess_xlsx.intake import guard as G
from assess_xlsx.intake import validate as V
from assess_xlsx.rules import inputs as I
from assess_xlsx.roster import Roster, read_roster

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

from make_workbooks import make  # noqa: E402

_PARENT = os.getpid()
_READ_ONE = parallel._read_one


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """40 generated workbooks, one unit without a file, plus an empty file,
    a text file and a workbook with wrong values for a unit not in the roster;
    核定/ holds the 5 assessors' wide sheets for all 40 units."""
    base = tmp_path_factory.mktemp("many")
    inbox = base / "inbox"
    roster = make(40, inbox, processes=1, quiet=True)
    (inbox.with_name("inbox-template.xlsx")).unlink()
    victim = sorted(inbox.glob("*.xlsx"))[7]
    victim.unlink()
    (inbox / "空白.xlsx").write_bytes(b"")
    (inbox / "说明.txt").write_text("见附件", encoding="utf-8")
    shutil.copy(ROOT / "samples" / "with-errors" / "阳泉市.xlsx", inbox / "阳泉市.xlsx")
    return inbox, read_roster(roster)


def _same(a, b):
    pd.testing.assert_frame_equal(a.values, b.values)
    pd.testing.assert_frame_equal(a.files, b.files)
    assert a.report.findings == b.report.findings
    assert a.missing == b.missing


def test_pool_reads_what_the_serial_loop_reads(scheme, folder, monkeypatch):
    inbox, roster = folder
    serial = V.read_submissions(inbox, scheme, roster=roster)
    assert len(serial.files) == 42 + 5 and not parallel.use_pool(41 + 5)   # 46 workbooks: below the threshold
    judged = serial.values["file"].str.startswith("核定/")
    assert len(serial.missing) == 1 and (~judged).sum() == 39 * 30   # each unit's own 30 inputs (自评 form)
    assert set(serial.values.loc[judged, "city"]) == set(roster.units)   # the assessors judge all 40
    assert {"file-empty", "city-unknown", "file-skipped-other"} <= {f.code for f in serial.report}

    calls = []
    real = parallel.read_all
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 4)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    monkeypatch.setattr(parallel, "read_all", lambda *a, **k: calls.append(1) or real(*a, **k))
    seen = []
    pooled = V.read_submissions(inbox, scheme, roster=roster, progress=lambda done, total: seen.append((done, total)))
    assert calls == [1]
    assert seen[-1] == (46, 46) and [d for d, _ in seen] == list(range(1, 47))
    _same(serial, pooled)


def _die_in_a_worker(job):
    """A worker killed half-way on one file (as a Rust abort or the OOM killer would)."""
    if os.getpid() != _PARENT and job[2] == _VICTIM[0]:     # (kind, path, name)
        os.abort()
    return _READ_ONE(job)


_VICTIM: list[str] = []


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
@pytest.mark.parametrize("workers", [1, 2])
def test_a_dead_worker_costs_its_file_only(scheme, folder, monkeypatch, workers):
    """The file a worker died on is a finding; it is never read again in the
    caller; every other file gives what it gave before, in the same order."""
    inbox, roster = folder
    serial = V.read_submissions(inbox, scheme, roster=roster)
    victim = sorted(p.name for p in inbox.glob("2022年*.xlsx"))[3]
    _VICTIM[:] = [victim]
    monkeypatch.setattr(parallel, "_read_one", _die_in_a_worker)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 4)
    monkeypatch.setattr(parallel, "cores", lambda: workers)
    reread = []
    monkeypatch.setattr(extract, "_read_file", lambda *a, **k: reread.append(a) or _READ_FILE(*a, **k))
    sub = V.read_submissions(inbox, scheme, roster=roster)
    assert reread == []                       # nothing read in the calling process
    died = [f for f in sub.report if f.file == victim]
    assert [(f.code, f.severity) for f in died] == [("file-structure-broken", "error")]
    assert "signal 6" in died[0].note
    city = serial.files.set_index("file").loc[victim, "city"]
    assert sub.files.set_index("file").loc[victim, "status"] == "unreadable"
    pd.testing.assert_frame_equal(sub.values, serial.values[serial.values["file"] != victim].reset_index(drop=True))
    assert [f for f in sub.report if f.file != victim] == [f for f in serial.report if f.file != victim]
    assert (city in sub.missing) == (city in serial.missing)   # a unit named by the file name is not "missing"


_READ_FILE = extract._read_file


# --------------------------------------------------------------------------- the quick look at a sheet

def _full_scan(body: bytes, monkeypatch) -> dict:
    facts = G.ZipFacts()
    with monkeypatch.context() as m:
        m.setattr(G, "_plain_sheet_fits", lambda body: False)
        G._measure_xlsx(body, "填报表", facts)
    return vars(facts)


def _quick(body: bytes) -> dict:
    facts = G.ZipFacts()
    G._measure_xlsx(body, "填报表", facts)
    return vars(facts)


def _sheet(cells: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            f'spreadsheetml/2006/main"><sheetData>{cells}</sheetData></worksheet>').encode("utf-8")


PLAIN = '<row r="1"><c r="A1" s="1" t="s"><v>0</v></c><c r="B1" s="2"/><c r="C1"><v>3</v></c></row>'
ODD = {
    "far": '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>',
    "far-but-empty": '<row r="1048576"><c r="XFD1048576" s="1"/></row>',
    "formula": '<row r="2"><c r="A2"><f>1+1</f></c></row>',
    "formula-saved": '<row r="2"><c r="A2"><f>1+1</f><v>2</v></c></row>',
    "error": '<row r="3"><c r="A3" t="e"><v>#DIV/0!</v></c></row>',
    "prefixed": '<x:row r="4"><x:c r="XFD4"><x:v>1</x:v></x:c></x:row>',
    "tab": '<row r="5"><c\tr="XFD5"><v>1</v></c></row>',
    "no-ref": '<row r="6"><c><v>1</v></c><c><v>2</v></c></row>',
    "twice": '<row r="7"><c r="A7" r="XFD7"><v>1</v></c></row>',
    "quotes": "<row r='8'><c r='XFD8'><v>1</v></c></row>",
    "lower": '<row r="9"><c r="xfd9"><v>1</v></c></row>',
    "escaped": '<row r="10"><c r="A10" t="&#101;"><v>#N/A</v></c></row>',
    "nested": '<row r="11"><c r="A11"><c r="XFD11"><v>1</v></c></c></row>',
    "wide": '<row r="2000"><c r="ZZ2000"><v>1</v></c></row>',
    # Three-letter columns: under row 100 the shortcut needs no list of cells; at
    # row 100 and below it does (ZZZ150 spans 2.7 million cells: too large).
    "wide-shallow": '<row r="99"><c r="ZZZ99"><v>1</v></c></row>',
    "wide-100": '<row r="100"><c r="ZZZ100"><v>1</v></c></row>',
    "wide-deep": '<row r="150"><c r="ZZZ150"><v>1</v></c></row>',
}


def test_plain_sheets_take_the_shortcut_and_agree(scheme, folder, monkeypatch):
    import zipfile

    inbox, _ = folder
    bodies = []
    for path in [sorted(inbox.glob("*.xlsx"))[0], ROOT / "samples" / "太原市.xlsx"]:
        with zipfile.ZipFile(path) as zf:
            bodies += [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/")]
    assert len(bodies) >= 4
    for body in bodies:      # generated (xlsxwriter) and openpyxl-written sheets
        assert G._plain_sheet_fits(body)
        assert _quick(body) == _full_scan(body, monkeypatch) == vars(G.ZipFacts())
    assert not G._plain_sheet_fits(_sheet(PLAIN + ODD["far"]))
    assert _quick(_sheet(PLAIN + ODD["far"]))["too_large"] == {"填报表": (16384 * 1048576, "XFD1048576")}


def test_a_wide_sheet_under_row_100_takes_the_shortcut_without_listing_its_cells(monkeypatch):
    from xlsxwriter.utility import xl_col_to_name

    # An assessor's 核定表 for 3,000 units: 3,003 columns (to DKM), 95 rows.
    rows = "".join(f'<row r="{r}">' + "".join(f'<c r="{xl_col_to_name(c)}{r}" s="1"/>' for c in range(3003)) + "</row>"
                   for r in (1, 50, 95))
    body = _sheet(rows)

    class NoList:
        def findall(self, *a):
            raise AssertionError("the cells were listed")

    with monkeypatch.context() as m:
        m.setattr(G, "_PLAIN_CELL", NoList())
        assert G._plain_sheet_fits(body)
    error = rows.replace('<c r="DKM95" s="1"/>', '<c r="DKM95" t="e"><v>#N/A</v></c>')
    assert error != rows and not G._plain_sheet_fits(_sheet(error))
    assert _quick(_sheet(error))["errors"] == {"填报表": {"DKM95": "#N/A"}}
    assert _quick(body) == _full_scan(body, monkeypatch) == vars(G.ZipFacts())
    assert _quick(_sheet(ODD["wide-deep"]))["too_large"] == {"填报表": (150 * 18278, "ZZZ150")}


def test_the_shortcut_never_hides_what_the_full_scan_finds(monkeypatch):
    rng = random.Random(8)
    pieces = [PLAIN] * 4 + list(ODD.values())
    for name, piece in ODD.items():
        body = _sheet(PLAIN + piece)
        assert _quick(body) == _full_scan(body, monkeypatch), name
    for _ in range(300):
        body = _sheet("".join(rng.choice(pieces) for _ in range(rng.randint(0, 5))))
        assert _quick(body) == _full_scan(body, monkeypatch), body


# --------------------------------------------------------------------------- normalising once per pair

def test_normalising_each_pair_once_is_normalising_every_cell(scheme):
    values = [0.0, -0.0, 0, False, True, 1, 1.0, "是", "√", "否", float("nan"), "4%", 0.04, 4, 4.0, "",
              None, "2件", "２", "1,200", 1200, "第5名", 3.999, "已制定"]
    codes = ["3.3.8a", "9.1.1b", "1.1.1a", "10.2a", "1.2.4a", "10.6b"]
    rng = random.Random(3)
    pairs = [(rng.choice(codes), rng.choice(values)) for _ in range(500)]
    c = pd.Series([p[0] for p in pairs], index=np.arange(1000, 1500))
    v = pd.Series([p[1] for p in pairs], index=c.index, dtype=object)
    once = I.normalise(c, v, scheme.rules)
    pd.testing.assert_frame_equal(once, I._normalise_each(c, v, scheme.rules))
    # The reader hands its codes over as integers (their place in the rules): the same frame.
    order = {code: k for k, code in enumerate(scheme.rules.inputs)}
    pd.testing.assert_frame_equal(I.normalise(c, v, scheme.rules, c.map(order).to_numpy(dtype=np.int64)), once)
    assert once.loc[c.index[v.map(lambda x: type(x) is float and str(x) == "-0.0")], "raw"].eq("-0").all()


# --------------------------------------------------------------------------- roster lookups

def _match_every_unit(text, roster):
    t = R._norm(text)
    return next((u for u in roster.units if t in (u, R._short(u))), None)


def _file_every_unit(name, roster):
    stem = R._norm(Path(name).stem)
    found = {u for u in roster.units if u in stem or R._short(u) in stem}
    return found.pop() if len(found) == 1 else None


def test_roster_lookups_agree_with_searching_every_unit():
    rosters = [
        Roster(units=("太原市", "大同市", "晋中市", "晋城市")),
        Roster(units=("小店区", "太原市", "太原", "晋中", "晋中市", "清徐县", "徐县")),
    ]
    rng = random.Random(5)
    for roster in rosters:
        pool = list(roster.units) + [R._short(u) for u in roster.units] + ["晋", "中市", "2022年", "（市发改委）", " 太 原 市 "]
        for _ in range(2000):
            text = "".join(rng.choice(pool) for _ in range(rng.randint(0, 3)))
            assert R.match_unit(text, roster) == _match_every_unit(text, roster), text
            name = text + rng.choice([".xlsx", ".x.xlsx", ""])
            assert R.unit_from_filename(name, roster) == _file_every_unit(name, roster), name


# --------------------------------------------------------------------------- reading a file within the limit

def test_read_capped_reads_to_the_limit_and_one_byte_more(tmp_path, monkeypatch):
    small, big = tmp_path / "small.xlsx", tmp_path / "big.xlsx"
    small.write_bytes(b"PK" + b"x" * 998)
    big.write_bytes(b"y" * 5000)
    monkeypatch.setattr(G, "MAX_FILE_BYTES", 4096)
    with open(small, "rb") as fh:
        assert G.read_capped(fh) == small.read_bytes()
    with open(big, "rb") as fh:
        assert G.read_capped(fh) == b"y" * 4097          # one more than the limit: too large
    # A file that grew after it was measured is read on, to the limit.
    real_fstat = G.os.fstat
    monkeypatch.setattr(G.os, "fstat", lambda fd: type("S", (), {"st_size": 100})())
    with open(small, "rb") as fh:
        assert G.read_capped(fh) == small.read_bytes()
    with open(big, "rb") as fh:
        assert G.read_capped(fh) == b"y" * 4097
    monkeypatch.setattr(G.os, "fstat", real_fstat)


# --------------------------------------------------------------------------- reading before pandas

def test_reading_begun_before_the_scheme_gives_what_reading_after_it_gives(scheme, folder, monkeypatch):
    """run.gather_early reads the folder with the rules file's inputs before the
    scheme is read (pandas imported on a thread meanwhile); read_submissions
    takes those reads as they are, with the same values, files, findings and
    owed inputs as reading the folder itself, and in order."""
    from assess_xlsx import run

    inbox, roster = folder
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 4)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    gathered = run.gather_early(inbox, None, roster, then=run.CHECK_NEXT)
    assert gathered is not None and len(gathered.reads) == 41 and len(gathered.afiles) == 5   # 说明.txt passed over
    calls = []
    real = parallel.read_all
    monkeypatch.setattr(parallel, "read_all", lambda *a, **k: calls.append(1) or real(*a, **k))
    early = V.read_submissions(inbox, scheme, roster=roster, gathered=gathered)
    assert calls == []                       # nothing read twice
    assert gathered.taken and gathered.reads == [] and gathered.report.findings == []    # handed over, not kept
    after = V.read_submissions(inbox, scheme, roster=roster)
    assert calls == [1]
    _same(early, after)
    again = V.read_submissions(inbox, scheme, roster=roster, gathered=gathered)        # taken: read again
    assert calls == [1, 1]
    _same(again, after)
    pd.testing.assert_frame_equal(early.owed, after.owed)
    pd.testing.assert_frame_equal(early.reviews, after.reviews)


def test_reads_made_against_other_rules_are_read_again(scheme, folder, monkeypatch, tmp_path):
    """A Gathered read with other inputs (a rules file that left who fills one
    to the table, say), assessors, roster, folder or assessors' folder than
    the scheme's is never used: read_submissions reads the folder again."""
    import dataclasses

    inbox, roster = folder
    inputs, known = scheme.rules.inputs, V.assessors(scheme.rules)
    gathered = parallel.gather(inbox, inputs, roster, known)
    assert gathered.read_as(inbox, inputs, roster, known, None)
    assert gathered.read_as(inbox, inputs, roster, known, inbox / "核定")     # the default, given
    first = next(iter(inputs))
    stale = [dataclasses.replace(gathered, inputs={**inputs, first: dataclasses.replace(inputs[first], filled_by="")}),
             dataclasses.replace(gathered, known=known[:1]),
             dataclasses.replace(gathered, roster=Roster(roster.units, roster.capitals)),
             dataclasses.replace(gathered, folder=inbox.parent)]
    stale.append(dataclasses.replace(gathered, taken=True))
    assert [g.read_as(inbox, inputs, roster, known, None) for g in stale] == [False] * 5
    assert not gathered.read_as(inbox, inputs, roster, known, tmp_path)
    calls = []
    real = parallel.read_all
    monkeypatch.setattr(parallel, "read_all", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = V.read_submissions(inbox, scheme, roster=roster, gathered=dataclasses.replace(stale[0], reads=[], afiles=[]))
    assert calls == [1]
    _same(again, V.read_submissions(inbox, scheme, roster=roster, gathered=gathered))
    assert calls == [1]


def test_no_early_reading_when_the_table_decides_who_fills(tmp_path, folder):
    """A rules file that leaves who fills an input to the table's 考核方式
    (rules.roles.with_defaults) cannot say before the table is read which
    assessors' sheets are known: nothing is read early."""
    from assess_xlsx import run
    from assess_xlsx.rules import default_rules_path

    inbox, roster = folder
    text = default_rules_path().read_text(encoding="utf-8")
    open_one = re.sub(r'(?m)^filled_by = "[^"]*"\n', "", text, count=1)
    assert open_one != text
    rules = tmp_path / "rules.toml"
    rules.write_text(open_one, encoding="utf-8")
    assert run.gather_early(inbox, rules, roster) is None
    assert run.gather_early(inbox, tmp_path / "none.toml", roster) is None      # read_scheme says why
    assert run.gather_early(tmp_path / "no-folder", None, roster) is None       # read_submissions says why


def test_the_reading_path_never_imports_pandas_numpy_or_xlsxwriter():
    """Reading a folder (the workers' code and the caller's gathering) needs
    neither pandas nor numpy: a run starts its workers before pandas is
    imported and imports it meanwhile (lazy.py). Nor xlsxwriter, whose package
    took 20 ms of every run's start for one column-name function. Run in a
    fresh interpreter, reading the samples (with errors) in the calling
    process as a worker would."""
    code = textwrap.dedent(f"""
        import os, sys
        from pathlib import Path
        from assess_xlsx.intake import pool
        from assess_xlsx.roster import DEFAULT_ROSTER
        from assess_xlsx.rules import load_rules
        from assess_xlsx.rules.roles import assessors
        book = load_rules(None)
        for d in (Path({str(ROOT / "samples")!r}), Path({str(ROOT / "samples" / "with-errors")!r})):
            g = pool.gather(d, book.inputs, DEFAULT_ROSTER, assessors(book))
            assert g.reads, d
            pool._start_worker(book.inputs, DEFAULT_ROSTER, assessors(book))
            for p in sorted(d.glob("*.xlsx")):
                pool._read_one((pool.UNIT, str(p), p.name))
            for p in sorted((d / "核定").glob("*.xlsx")) if (d / "核定").is_dir() else ():
                pool._read_one((pool.ASSESSED, str(p), "核定/" + p.name))
        print(sorted(m for m in ("pandas", "numpy", "xlsxwriter") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_a_worker_dying_while_pandas_imports_waits_for_the_import_to_fork_again(scheme, folder, monkeypatch, tmp_path):
    """Early reading with a worker killed on its first files while the import
    thread is still at work (a module that takes 0.5 s to import): the worker
    replacing it is forked only once the thread is done (no child inherits an
    import's lock), and the run reads what it reads after the scheme."""
    import time

    from assess_xlsx import run
    from assess_xlsx.intake import sandbox

    inbox, roster = folder
    (tmp_path / "slow_to_import.py").write_text("import time\ntime.sleep(0.5)\nDONE = time.monotonic()\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    victim = sorted(p.name for p in inbox.glob("2022年*.xlsx"))[0]
    _VICTIM[:] = [victim]
    monkeypatch.setattr(parallel, "_read_one", _die_in_a_worker)
    monkeypatch.setattr(parallel, "PARALLEL_MIN_FILES", 4)
    monkeypatch.setattr(parallel, "cores", lambda: 2)
    forks = []
    real_slot = sandbox._Slot
    monkeypatch.setattr(sandbox, "_Slot", lambda box: forks.append(time.monotonic()) or real_slot(box))
    gathered = run.gather_early(inbox, None, roster, then=("slow_to_import",))
    done = sys.modules["slow_to_import"].DONE
    assert len(forks) == 3 and forks[0] < done and forks[1] < done and forks[2] >= done
    early = V.read_submissions(inbox, scheme, roster=roster, gathered=gathered)
    after = V.read_submissions(inbox, scheme, roster=roster)
    _same(early, after)
    assert [f.code for f in early.report if f.file == victim] == ["file-structure-broken"]
    sys.modules.pop("slow_to_import", None)
