"""Generate N valid, varied filled score sheets and their roster, for the benchmark.

    python benchmarks/make_workbooks.py 1000 /tmp/assess-bench/n1000
    # -> /tmp/assess-bench/n1000/*.xlsx (one workbook per unit)
    #    /tmp/assess-bench/n1000-roster.txt (the roster for --roster)
    python benchmarks/make_workbooks.py 3000 /tmp/h3000 --profile heavy --list default

Profiles (--profile):
  light   (the default) few deductions: each scoring row takes the values of
          CLEAN or of one sample city, as below.
  heavy   what an assessment looks like: most inputs of most units deduct or
          add. Every rule part is driven by the rules file itself: 否 where 否
          deducts, 是 where 是 adds, counts of 1-6, shortfalls, the best level,
          rates at and one point either side of every band limit (20%, 50%,
          30%) and 10.2's ranks across 200, a 酌情 amount with its 情形说明; every
          bonus kind used. The values stay valid: `check` finds no error.

Drop-down (--list): the 被考核单位 list of each workbook.
  roster   (the default) the template written for the N-unit roster: for a
           long roster its names are on a hidden sheet, in every file.
  default  the template's default list (the 11 cities), whatever N is: the
           smaller file a province sends out when units type their name.

Units: for N <= 11 the 11 cities of the default roster (太原市 the 省会); for
larger N made-up but plausible county names ("安平县", "清河区", ...), unique,
and chosen so that no name (nor its short form) is inside another's file name.

Values: every unit starts from the bundled samples (tools/sample_cities.py):
for each scoring row or item it takes the inputs of CLEAN or of one of the 11
sample cities, whose values are valid together; rates are scaled by a random
factor (same ratio, other counts) and 10.2's ranks drawn at random, so totals
and ranks differ from unit to unit. Some percents are typed "4%" and some
counts "3件", as people do.

Speed: the template is written once for the roster (`assess-xlsx template`'s
writer), then each workbook is that template with its 填报值 cells, the
被考核单位 cell and the 填表人 cell filled in: the cells are patched into the
sheet XML, the strings appended to the shared-string table, and the package
re-zipped with the unchanged parts compressed once. A file is what Excel
would save after a person typed into the template (values, no formulas).

Assessors: the inputs the province judges (核定) are not on a unit's form;
FOLDER/核定/ holds one wide 核定表 per assessor (考核办, 省发改委, ...), written
by `assess-xlsx template --assessor`'s writer for the N-unit roster (one
column per unit) and filled with each unit's values of that assessor's
inputs, so that every unit is scored, none 待核定.

A folder already holding the workbooks of the same N and seed (the roster's
first line records them) is left as it is; --force regenerates it.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import struct
import sys
import time
import zipfile
import zlib
from html import escape
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

from sample_cities import CLEAN, DEVIATIONS  # noqa: E402

VERSION = 3   # bump when the workbooks change, so cached folders are remade
STAMP = "# assess-xlsx benchmark roster: N={n} seed={seed} version={version} profile={profile} list={drop}"
PROFILES = ("light", "heavy")
LISTS = ("roster", "default")

# Characters of made-up place names. None is a unit suffix (市县区州盟旗) nor
# in the file-name words (年 政务公开考核填报表 县政府办), so a name is found
# in a file name only where it was written.
NAME_CHARS = (
    "安平阳城山河东西南北新德兴宁昌定远丰和华庆永泰清水江林乐长云龙武宜临源泉靖通广福顺吉祥沙台凤鹤"
    "石桥溪湖岭峰川原田桑柳梅松桃杏兰荷金银玉宝丹青白红黄绿晋冀豫鲁秦汉唐宋元明高大小中上下左右前后"
)
SUFFIXES = ("县",) * 7 + ("区",) * 2 + ("市",)     # 县级市 now and then
CONTACTS = ("张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴")
SOURCES = [CLEAN] + [{**CLEAN, **dev} for dev in DEVIATIONS.values()]


# --------------------------------------------------------------------------- units

def unit_names(n: int, seed: int) -> tuple[list[str], str | None]:
    """(units in roster order, the 省会 or None)."""
    from assess_xlsx.roster import DEFAULT_UNITS

    if n <= len(DEFAULT_UNITS):
        return list(DEFAULT_UNITS[:n]), "太原市"
    rng = random.Random(seed)
    stems = [a + b for a in NAME_CHARS for b in NAME_CHARS if a != b]
    if n > len(stems):
        raise SystemExit(f"at most {len(stems)} units")
    return [stem + rng.choice(SUFFIXES) for stem in rng.sample(stems, n)], None


def file_name(unit: str, k: int) -> str:
    """Names as they come back: plain, with the year and the form's name, with a department."""
    style = k % 5
    if style == 3:
        return f"2022年{unit}政务公开考核填报表.xlsx"
    if style == 4:
        return f"{unit}（{unit[-1]}政府办）.xlsx"
    return f"{unit}.xlsx"


# --------------------------------------------------------------------------- values

def unit_values(rng: random.Random, rules) -> dict[str, object]:
    """A valid, varied set of inputs: per scoring row or item, the values of one source."""
    groups: dict[str, list[str]] = {}
    for code in rules.inputs:
        groups.setdefault(code.rstrip("abcdefghijklmnopqrstuvwxyz"), []).append(code)
    values: dict[str, object] = {}
    for codes in groups.values():
        source = SOURCES[0] if rng.random() < 0.55 else rng.choice(SOURCES[1:])
        for c in codes:
            values[c] = source[c]
    # Rates: the same ratio over other counts.
    for rule in rules.rows.values():
        for part in rule.deduct + rule.bonus:
            if part.kind == "rate":
                num, den = part.inputs["num"], part.inputs["den"]
                factor = rng.randint(1, 25)
                if isinstance(values[num], int) and isinstance(values[den], int):
                    values[num], values[den] = values[num] * factor, values[den] * factor
    prev = rng.randint(1, 300)
    values["10.2a"], values["10.2b"] = prev, max(1, prev + rng.randint(-30, 10))
    return as_typed(rng, rules, values)


def as_typed(rng: random.Random, rules, values: dict[str, object]) -> dict[str, object]:
    """As people type: "4%" for a percent now and then, "3件" for a count."""
    for code, spec in rules.inputs.items():
        v = values[code]
        if spec.percent and isinstance(v, (int, float)) and rng.random() < 0.3:
            values[code] = f"{v}%"
        elif spec.kind == "count" and spec.unit and isinstance(v, int) and v and rng.random() < 0.1:
            values[code] = f"{v}{spec.unit}"
    return values


def heavy_values(rng: random.Random, rules, capital: bool) -> dict[str, object]:
    """Inputs where most rule parts bite, rates at and around their band limits; still valid.

    Driven by the rule parts themselves (rules-2022.toml), so a new part of a
    known kind is exercised without touching this function.
    """
    values: dict[str, object] = dict(CLEAN)
    bite = 0.85                      # the share of parts that deduct or add
    for owner in list(rules.rows.values()) + list(rules.items.values()):
        parts = owner.deduct + owner.bonus if hasattr(owner, "deduct") else owner.parts
        for part in parts:
            if rng.random() >= bite and part.kind not in ("rate", "rank_improvement", "rank_penalty"):
                continue
            k, ins, p = part.kind, part.inputs, part.params
            if k == "flag":
                values[ins["input"]] = "是" if p["when"] else "否"
            elif k == "per":
                spec = rules.inputs[ins["input"]]
                if spec.kind == "amount":            # 酌情加减分: 0.5-3 分 with a reason
                    values[ins["input"]] = rng.choice((0.5, 1, 1.5, 2, 2.25, 3))
                else:
                    top = spec.max if spec.max is not None else 6
                    values[ins["input"]] = rng.randint(1, max(1, top))
            elif k == "shortfall":
                values[ins["input"]] = rng.randint(0, p["target"] - 1)
            elif k == "score":
                points = owner.points or 0
                values[ins["input"]] = rng.randrange(0, points) / 100
            elif k == "level":
                levels = rules.inputs[ins["input"]].levels
                values[ins["input"]] = levels[rng.randint(1, len(levels) - 1)]
            elif k == "threshold":
                at = p["at_least"] / 100
                values[ins["input"]] = rng.choice((at, at, at + 0.5, round(at - 0.01, 2), at + 3))
            elif k == "rate":
                limits = [b["limit"] for b in p["bands"] if "limit" in b]
                percents = [x for lim in limits for x in (lim - 1, lim, lim + 1)] or [1, 2, 5, 10, 25]
                percents += [rng.randint(1, 60)]
                r = max(0, min(100, rng.choice(percents)))
                den = 100 * rng.randint(1, 30)
                num = r * den // 100
                values[ins["num"]] = den - num if p.get("invert") else num
                values[ins["den"]] = den
            elif k in ("rank_improvement", "rank_penalty"):
                if "10.2a" in values and values.get("@ranks"):
                    continue                          # 10.2 and 11.2 share their ranks
                prev = rng.randint(150, 300) if not capital else rng.randint(20, 120)
                values[ins["previous"]] = prev
                values[ins["current"]] = max(1, prev + rng.choice((-45, -31, -20, -12, -9, -3, 4, 12)))
                values["@ranks"] = True
    values.pop("@ranks", None)
    for spec in rules.inputs.values():     # a reason wherever an amount is claimed
        if spec.required_if_positive and values.get(spec.required_if_positive):
            values[spec.code] = f"经领导小组研究，{spec.owner}按{values[spec.required_if_positive]}分计（会议纪要第{rng.randint(1, 30)}期）"
    return as_typed(rng, rules, values)


# --------------------------------------------------------------------------- the template, cut up

class Package:
    """The template's zip parts, with the input sheet cut where cells are filled in."""

    def __init__(self, template: Path):
        from python_calamine import CalamineWorkbook

        from assess_xlsx.intake.contract import CODE_HEADER, SHEET_NAME, UNIT_LABEL, VALUE_HEADER

        with zipfile.ZipFile(template) as zf:
            self.names = [i.filename for i in zf.infolist()]
            parts = {name: zf.read(name) for name in self.names}
        sheet_part = self._sheet_part(parts, SHEET_NAME)
        grid = CalamineWorkbook.from_path(str(template)).get_sheet_by_name(SHEET_NAME).to_python()
        header = next(r for r, row in enumerate(grid) if CODE_HEADER in row and VALUE_HEADER in row)
        code_col, value_col = grid[header].index(CODE_HEADER), grid[header].index(VALUE_HEADER)
        unit_row = next(r for r, row in enumerate(grid) if UNIT_LABEL in row)
        label_col = grid[unit_row].index(UNIT_LABEL)
        contact_col = next(c for c, v in enumerate(grid[unit_row]) if isinstance(v, str) and v.startswith("填表人"))
        cells = {"@unit": _ref(unit_row, label_col + 1), "@contact": _ref(unit_row, contact_col + 1)}
        for r in range(header + 1, len(grid)):
            code = grid[r][code_col]
            if isinstance(code, str) and code:
                cells[code] = _ref(r, value_col)

        # The sheet as text pieces around the cells to fill: <c r="G6" s="11"/>.
        xml = parts[sheet_part].decode("utf-8")
        spots = []
        for key, ref in cells.items():
            m = re.search(rf'<c r="{ref}" s="(\d+)"/>', xml)
            if m is None:
                raise SystemExit(f"template: no empty cell {ref} for {key}")
            spots.append((m.start(), m.end(), key, ref, m.group(1)))
        spots.sort()
        self.pieces, self.slots, pos = [], [], 0
        for start, end, key, ref, style in spots:
            self.pieces.append(xml[pos:start])
            self.slots.append((key, ref, style))
            pos = end
        self.pieces.append(xml[pos:])
        self.sheet_part = sheet_part

        sst = parts["xl/sharedStrings.xml"].decode("utf-8")
        m = re.search(r'<sst [^>]*count="(\d+)" uniqueCount="(\d+)">', sst)
        self.sst_count, self.sst_unique = int(m.group(1)), int(m.group(2))
        self.sst_head = sst[: m.start()]
        self.sst_open = sst[m.start(): m.end()]
        self.sst_body = sst[m.end(): sst.rindex("</sst>")]
        self.known = {}
        for k, item in enumerate(re.findall(r"<si>(.*?)</si>", self.sst_body, re.S)):
            t = re.fullmatch(r"<t(?: xml:space=\"preserve\")?>(.*)</t>", item, re.S)
            if t:
                self.known.setdefault(t.group(1), k)
        # Unchanged parts, compressed once.
        self.fixed = {name: _deflated(data) for name, data in parts.items()
                      if name not in (sheet_part, "xl/sharedStrings.xml")}

    @staticmethod
    def _sheet_part(parts: dict[str, bytes], sheet: str) -> str:
        book = parts["xl/workbook.xml"].decode("utf-8")
        rid = re.search(rf'<sheet name="{re.escape(sheet)}" sheetId="\d+" r:id="(rId\d+)"/>', book).group(1)
        rels = parts["xl/_rels/workbook.xml.rels"].decode("utf-8")
        target = re.search(rf'<Relationship Id="{rid}" Type="[^"]+" Target="([^"]+)"/>', rels).group(1)
        return "xl/" + target.lstrip("/").removeprefix("xl/")

    def filled(self, values: dict[str, object]) -> bytes:
        """The workbook with `values` (编号/@unit/@contact -> value) typed in."""
        new_strings: list[str] = []
        index: dict[str, int] = {}
        used = 0
        out = [self.pieces[0]]
        for (key, ref, style), piece in zip(self.slots, self.pieces[1:]):
            v = values.get(key)
            if v is None or v == "":
                out.append(f'<c r="{ref}" s="{style}"/>')
            elif isinstance(v, str):
                text = escape(v, quote=False)
                k = self.known.get(text)
                if k is None:
                    k = index.get(text)
                    if k is None:
                        k = index[text] = self.sst_unique + len(new_strings)
                        new_strings.append(text)
                used += 1
                out.append(f'<c r="{ref}" s="{style}" t="s"><v>{k}</v></c>')
            else:
                out.append(f'<c r="{ref}" s="{style}"><v>{v!r}</v></c>' if isinstance(v, float)
                           else f'<c r="{ref}" s="{style}"><v>{int(v)}</v></c>')
            out.append(piece)
        sheet = "".join(out).encode("utf-8")
        sst = (self.sst_head
               + self.sst_open.replace(f'count="{self.sst_count}" uniqueCount="{self.sst_unique}"',
                                       f'count="{self.sst_count + used}" uniqueCount="{self.sst_unique + len(new_strings)}"')
               + self.sst_body + "".join(f"<si><t>{t}</t></si>" for t in new_strings) + "</sst>").encode("utf-8")
        members = []
        for name in self.names:
            if name == self.sheet_part:
                members.append((name, *_deflated(sheet)))
            elif name == "xl/sharedStrings.xml":
                members.append((name, *_deflated(sst)))
            else:
                members.append((name, *self.fixed[name]))
        return _zip(members)


def _ref(row: int, col: int) -> str:
    letters = ""
    col += 1
    while col:
        col, rem = divmod(col - 1, 26)
        letters = chr(65 + rem) + letters
    return f"{letters}{row + 1}"


def _deflated(data: bytes) -> tuple[int, int, bytes]:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return zlib.crc32(data), len(data), c.compress(data) + c.flush()


_DOS_DATE, _DOS_TIME = (0 << 9) | (1 << 5) | 1, 0     # 1980-01-01, as xlsxwriter writes


def _zip(members) -> bytes:
    """A plain zip archive of deflated members (what zipfile would write, without recompressing)."""
    out, central, offset = [], [], 0
    for name, crc, size, data in members:
        raw = name.encode("utf-8")
        flags = 0x800 if not raw.isascii() else 0
        local = struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, flags, 8, _DOS_TIME, _DOS_DATE, crc, len(data), size, len(raw), 0)
        out += [local, raw, data]
        central.append(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, flags, 8, _DOS_TIME, _DOS_DATE,
                                   crc, len(data), size, len(raw), 0, 0, 0, 0, 0o600 << 16, offset) + raw)
        offset += len(local) + len(raw) + len(data)
    cd = b"".join(central)
    end = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(cd), offset, 0)
    return b"".join(out) + cd + end


# --------------------------------------------------------------------------- the assessors' sheets

ASSESSED = "核定"       # the inbox's folder of assessors' sheets (intake's default)


def write_assessed(scheme, folder: Path, units: list[str], capital: str | None, values: list[dict]) -> list[Path]:
    """One wide 核定表 per assessor in FOLDER/核定/ (`assess-xlsx template --assessor`'s
    writer, one column per roster unit), its cells holding the values of the
    inputs that assessor fills (`values[k]` are unit k's). 考核办 fills only its
    own inputs: giving a unit's own ones would be an override for every unit."""
    from python_calamine import CalamineWorkbook

    from assess_xlsx.intake.contract import CODE_HEADER, WIDE_SHEET
    from assess_xlsx.roster import Roster
    from assess_xlsx.rules.roles import assessors
    from assess_xlsx.template_assessor import write_assessor_sheet

    rules = scheme.rules
    out = folder / ASSESSED
    out.mkdir(exist_ok=True)
    roster = Roster(units=tuple(units), capitals=frozenset({capital} - {None}))
    paths = []
    for assessor in assessors(rules):
        path = out / f"{assessor}.xlsx"
        write_assessor_sheet(scheme, path, assessor, roster)
        grid = CalamineWorkbook.from_path(str(path)).get_sheet_by_name(WIDE_SHEET).to_python(skip_empty_area=False)
        header = next(r for r, row in enumerate(grid) if CODE_HEADER in row)
        col = {v: c for c, v in enumerate(grid[header]) if isinstance(v, str)}
        cells = {}
        for r in range(header + 1, len(grid)):
            code = grid[r][0]
            if code in rules.inputs and rules.inputs[code].filled_by == assessor:
                for k, unit in enumerate(units):
                    v = values[k].get(code)
                    if v is not None and v != "":
                        cells[_ref(r, col[unit])] = v
        path.write_bytes(_patched(path.read_bytes(), cells))
        paths.append(path)
    return paths


def _patched(xlsx: bytes, cells: dict[str, object]) -> bytes:
    """The workbook with its first sheet's empty styled cells <c r="D5" s="7"/>
    given values (text as inline strings); the other parts copied as they are."""
    import io

    src = zipfile.ZipFile(io.BytesIO(xlsx))
    sheet = "xl/worksheets/sheet1.xml"

    def fill(m):
        v = cells.get(m.group(1))
        if v is None:
            return m.group(0)
        ref, style = m.group(1), m.group(2)
        if isinstance(v, str):
            return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t>{escape(v, quote=False)}</t></is></c>'
        return f'<c r="{ref}" s="{style}"><v>{v!r}</v></c>' if isinstance(v, float) else f'<c r="{ref}" s="{style}"><v>{int(v)}</v></c>'

    members = []
    for info in src.infolist():
        data = src.read(info.filename)
        if info.filename == sheet:
            data = re.sub(r'<c r="([A-Z]+[0-9]+)" s="([0-9]+)"/>', fill, data.decode("utf-8")).encode("utf-8")
        members.append((info.filename, *_deflated(data)))
    return _zip(members)


# --------------------------------------------------------------------------- the folder

_package: Package | None = None


def _init(template: str) -> None:
    global _package
    _package = Package(Path(template))


def _write_one(job) -> None:
    path, values = job
    Path(path).write_bytes(_package.filled(values))


def jobs(units: list[str], seed: int, rules, folder: Path, profile: str = "light", capital: str | None = None):
    for k, unit in enumerate(units):
        rng = random.Random(f"{seed}/{k}")
        values = heavy_values(rng, rules, unit == capital) if profile == "heavy" else unit_values(rng, rules)
        values["@unit"] = unit
        values["@contact"] = f"{rng.choice(CONTACTS)}{'某' * rng.randint(1, 2)} 0351-{rng.randint(2000000, 8999999)}"
        yield str(folder / file_name(unit, k)), values


def roster_path_for(folder: Path) -> Path:
    return folder.with_name(folder.name + "-roster.txt")


def is_current(folder: Path, roster: Path, n: int, seed: int, profile: str = "light", drop: str = "roster") -> bool:
    try:
        first = roster.read_text(encoding="utf-8").splitlines()[0]
    except (OSError, IndexError):
        return False
    return (first == STAMP.format(n=n, seed=seed, version=VERSION, profile=profile, drop=drop)
            and len(list(folder.glob("*.xlsx"))) == n and any((folder / ASSESSED).glob("*.xlsx")))


def make(n: int, folder: Path, roster: Path | None = None, seed: int = 1, force: bool = False,
         processes: int | None = None, quiet: bool = False, profile: str = "light", drop: str = "roster") -> Path:
    """Write the workbooks and the roster unless they are there already; -> the roster path."""
    from assess_xlsx.roster import CAPITAL_MARK, DEFAULT_ROSTER, Roster
    from assess_xlsx.scheme import read_scheme
    from assess_xlsx.template import write_template

    folder = Path(folder)
    roster = Path(roster) if roster else roster_path_for(folder)
    if profile not in PROFILES or drop not in LISTS:
        raise SystemExit(f"profile is one of {PROFILES}, list one of {LISTS}")
    if not force and is_current(folder, roster, n, seed, profile, drop):
        if not quiet:
            print(f"up to date: {n} workbooks in {folder}, roster {roster}")
        return roster
    t0 = time.perf_counter()
    roster.unlink(missing_ok=True)
    folder.mkdir(parents=True, exist_ok=True)
    for old in list(folder.iterdir()) + list((folder / ASSESSED).glob("*")):
        if old.is_file():
            old.unlink()
    units, capital = unit_names(n, seed)
    scheme = read_scheme()
    template = folder.with_name(folder.name + "-template.xlsx")
    listed = DEFAULT_ROSTER if drop == "default" else Roster(units=tuple(units), capitals=frozenset({capital} - {None}))
    write_template(scheme, template, roster=listed)
    todo = list(jobs(units, seed, scheme.rules, folder, profile, capital))
    processes = processes or min(os.cpu_count() or 1, 4)
    if n < 50 or processes == 1:
        _init(str(template))
        for job in todo:
            _write_one(job)
    else:
        with Pool(processes, initializer=_init, initargs=(str(template),)) as pool:
            for _ in pool.imap_unordered(_write_one, todo, chunksize=32):
                pass
    write_assessed(scheme, folder, units, capital, [v for _, v in todo])
    lines = [STAMP.format(n=n, seed=seed, version=VERSION, profile=profile, drop=drop)]
    lines += [f"{u}\t{CAPITAL_MARK}" if u == capital else u for u in units]
    # The stamp goes in last: an interrupted run is never taken for a finished one.
    roster.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if not quiet:
        print(f"written: {n} {profile} workbooks ({drop} list) in {folder} ({time.perf_counter() - t0:.1f} s), roster {roster}")
    return roster


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="how many workbooks (one per unit)")
    ap.add_argument("folder", type=Path, help="where to write them (emptied first)")
    ap.add_argument("--roster", type=Path, default=None, help="the roster file (default: FOLDER-roster.txt beside it)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--force", action="store_true", help="regenerate even when up to date")
    ap.add_argument("--processes", type=int, default=None)
    ap.add_argument("--profile", choices=PROFILES, default="light", help="few deductions (light) or most (heavy)")
    ap.add_argument("--list", dest="drop", choices=LISTS, default="roster",
                    help="the 被考核单位 drop-down: the N-unit roster's, or the template's default 11")
    args = ap.parse_args(argv)
    if args.n < 1:
        ap.error("N must be at least 1")
    make(args.n, args.folder, args.roster, args.seed, args.force, args.processes, profile=args.profile, drop=args.drop)


if __name__ == "__main__":
    main()
