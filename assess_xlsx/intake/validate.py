"""Validation: what was read from the workbooks, normalised, merged and checked.

`read_submissions(folder, scheme, roster)` has the folder read (extract.py),
normalises what people typed against the inputs' definitions (column-wise,
rules/inputs.py), merges the files of one unit, runs the checks across
inputs (a rate's part above its whole, a note missing for an amount, an
input missing) and makes the files table. Problems are Findings collected in
a Report; a finding of severity error with `city` set rejects that unit.
"""

from __future__ import annotations

import itertools
import os
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..errors import SubmissionsError
from ..findings import ERROR, INFO, Report
from ..roster import DEFAULT_ROSTER, Roster
from ..rules.inputs import _mask, expected_text, normalise, refused_text
from ..rules.model import RuleBook
from ..rules.parts import kind_of
from ..rules.roles import SELF, assessors, may_fill
from .extract import _FileRead
from .pool import Gathered, folders, gather

VALUE_COLUMNS = ["city", "code", "number", "text", "raw", "file", "sheet", "cell"]
# Carried beside them until the values are ordered: a cell's unit as its place
# among the units' names sorted, its input as its place in the rules' order
# (_cells_frame), so that (unit, input) pairs are compared as integers (int32,
# widened where two are combined: _pair_keys).
_IDS = ["city_id", "code_id"]
FILE_COLUMNS = ["file", "city", "status", "inputs", "problems", "sha256", "assessor"]
# A difference between a unit's own value (自评) and an assessor's (核定): the assessor's is scored.
REVIEW_COLUMNS = ["city", "code", "label", "own", "judged", "assessor", "own_source", "judged_source"]
# An input an assessor still owes for a unit (no sheet from it, no column, or the cell empty).
OWED_COLUMNS = ["assessor", "code", "city"]


@dataclass
class Submissions:
    values: pd.DataFrame
    report: Report
    files: pd.DataFrame
    missing: list[str]
    roster: Roster
    folder: str = ""
    reviews: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REVIEW_COLUMNS))
    owed: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=OWED_COLUMNS))
    assessed: str = ""                     # the assessors' folder read ("" when none)

    @property
    def rejected(self) -> list[str]:
        """Roster units with an error finding, in roster order (not to be scored)."""
        bad = {f.city for f in self.report.errors if f.city}
        return [u for u in self.roster.units if u in bad]

    @property
    def pending(self) -> list[str]:
        """Roster units sent in and without errors, for which an assessor still owes inputs (待核定)."""
        owing = set(self.owed["city"])
        skip = set(self.rejected) | set(self.missing)
        return [u for u in self.roster.units if u in owing and u not in skip]

    @property
    def ok(self) -> bool:
        return self.report.ok and not self.missing and not self.pending


# --------------------------------------------------------------------------- the folder

def read_submissions(folder: str | os.PathLike, scheme, roster: Roster = DEFAULT_ROSTER,
                     progress=None, assessed: str | os.PathLike | None = None,
                     gathered: Gathered | None = None) -> Submissions:
    """Read every workbook directly in `folder` against `scheme` (a Scheme or a RuleBook).

    The workbooks in `folder` are the units' own (自评); those in `assessed`
    (default: `folder/核定` when it exists) are the assessors' sheets (核定).
    `progress(done, total)` is called after each workbook is read (for a progress bar).
    `gathered`: the folder read already (pool.gather, begun before the scheme
    was read); used only when it was read exactly as this would read it.
    """
    folders(folder, assessed)        # a folder that is not there is said before the rules
    rules: RuleBook | None = scheme if isinstance(scheme, RuleBook) else getattr(scheme, "rules", None)
    if rules is None:
        raise SubmissionsError(
            "方案表与评分规则不一致，无法核对填报值 / the scheme table does not match its rules; "
            "cannot check the inputs"
        )
    inputs = rules.inputs
    if gathered is None or not gathered.read_as(folder, inputs, roster, assessors(rules), assessed):
        gathered = gather(folder, inputs, roster, assessors(rules), assessed, progress)
    folder, adir = gathered.folder, gathered.assessed
    report, skipped, reads, afiles = gathered.take()
    areads = [col for af in afiles for col in af.columns]
    authors = [SELF] * len(reads) + [af.assessor for af in afiles for _ in af.columns]

    order = {code: k for k, code in enumerate(inputs)}
    cells, cities = _cells_frame(reads + areads, order)
    norm = normalise(cells["code"], cells["value"], rules, cells["code_id"].to_numpy()) if len(cells) else _empty_norm()
    cells = pd.concat([cells, norm], axis=1)
    blank = (cells["problem"] == "blank").to_numpy()
    cells, blank = _permitted(cells, blank, _allowed(reads + areads, authors, inputs), authors, inputs, report)
    filled = _kept(cells, ~blank)
    _report_rejections(filled[filled["problem"] != ""], inputs, report)

    # Integer columns where they say the same as the texts: compared in C, not 270,000 strings.
    unplaced = 0 if len(cities) and cities[0] == "" else -1          # the cells of no unit: "" sorts first
    filled_units = _kept(filled, filled["city_id"].to_numpy() != unplaced)
    accepted = _kept(filled_units, (filled_units["problem"] == "").to_numpy())
    _report_read_as(accepted, report)
    by_self = np.array([a == SELF for a in authors], dtype=bool)     # by file, as cells["order"] numbers them
    own = by_self[accepted["order"].to_numpy()]
    mine = _merge(accepted[own], order, report)
    theirs = accepted[~own]
    judged = _merge(theirs, order, report)
    seen = {r.city for r in reads if r.city}
    # An office that fills everything itself sends no unit's file: assessors' values for every one
    # of a unit's own inputs stand for one (a few 核定 values alone do not: the unit has not submitted).
    own_codes = [s.code for s in inputs.values() if s.type.number and s.filled_by == SELF]
    judged_cells = theirs if accepted is filled_units else filled_units[~by_self[filled_units["order"].to_numpy()]]
    seen |= _complete_cities(judged_cells, own_codes, order, cities)
    del theirs, judged_cells      # 180,000 rows at 3,000 units: not held while the values are judged
    values, reviews = _judge(mine, judged, inputs, order, {af.rel: af.assessor for af in afiles}, roster)
    del mine, judged
    _cross_checks(values, cells, reads + areads, rules, report, filled_units, seen, order, cities)

    counts = filled["file"].value_counts(sort=False).to_dict() if len(filled) else {}
    files = pd.concat([_files_frame(reads, skipped, counts, report), _assessed_files(afiles, counts, report)],
                      ignore_index=True)
    missing = [u for u in roster.units if u not in seen]
    return Submissions(values=values, report=report, files=files, missing=missing, roster=roster, folder=str(folder),
                       reviews=reviews, owed=_owed(filled_units, reads + areads, inputs, roster, order, cities),
                       assessed=str(adir) if adir else "")


def _allowed(reads, authors, inputs) -> np.ndarray:
    """Whether each cell's author may fill its input, for the cells of `reads` in
    _cells_frame's order: decided once per author and list of codes (files made
    from one template share theirs), not once per cell."""
    pairs: dict[tuple[str, str], bool] = {}
    masks: dict[tuple[str, int], np.ndarray] = {}
    parts = []
    for read, author in zip(reads, authors):
        codes = read.codes
        if not len(codes):
            continue
        # By the list's identity: files of one layout share one (pool._share_layout), and all live meanwhile.
        key = (author, id(codes))
        mask = masks.get(key)
        if mask is None:
            for code in codes:
                if (author, code) not in pairs:
                    pairs[author, code] = may_fill(author, inputs[code].filled_by)
            mask = masks[key] = np.fromiter((pairs[author, c] for c in codes), dtype=bool, count=len(codes))
        parts.append(mask)
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def _permitted(cells: pd.DataFrame, blank: np.ndarray, allowed: np.ndarray, authors: list[str], inputs,
               report: Report) -> tuple[pd.DataFrame, np.ndarray]:
    """The cells whose author may fill their input (`allowed`, by _allowed), and
    which of them are `blank`; a value for another's input is refused with a
    warning (`authors`: each file's, as cells["order"] numbers the files)."""
    if not len(cells):
        return cells, blank
    refused = cells[~allowed & ~blank]
    for rec in refused.itertuples(index=False):
        by = authors[rec.order]
        where = "单位自评表" if by == SELF else f"{by}的核定表"
        report.add("input-not-permitted", file=rec.file, sheet=rec.sheet, cell=rec.cell, value=rec.raw.strip(),
                   expected=inputs[rec.code].filled_by, note=where, city=rec.city, input=rec.code)
    return _kept(cells, allowed), blank[allowed]


def _kept(frame: pd.DataFrame, mask: np.ndarray) -> pd.DataFrame:
    """frame[mask], or the frame itself when the mask keeps every row: the usual
    folder has no blank, refused or unplaced cell, and each selection copied all
    270,000 rows at 3,000 units. Safe because no stage changes these frames in place."""
    return frame if mask.all() else frame[mask]


def _judge(own: pd.DataFrame, judged: pd.DataFrame, inputs, order: dict[str, int], whose: dict,
           roster: Roster) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The values scored: an assessor's value beats the unit's own; each difference is a review record.
    `own` and `judged` as _merge gives them; the values come out by city, then input order."""
    if not len(judged):
        return _ordered(own, order), pd.DataFrame(columns=REVIEW_COLUMNS)
    # (city, input) pairs as integers, compared in C: 90,000 judged among 180,000 own at 3,000 units.
    beaten = np.isin(_pair_keys(own, order), _pair_keys(judged, order))
    pairs = own.loc[beaten, VALUE_COLUMNS].merge(judged[VALUE_COLUMNS], on=["city", "code"], suffixes=("_own", ""))
    differ = pairs[pairs["text_own"] != pairs["text"]]
    reviews = pd.DataFrame({
        "city": differ["city"], "code": differ["code"],
        "label": differ["code"].map(lambda c: inputs[c].label),
        "own": differ["text_own"], "judged": differ["text"],
        "assessor": differ["file"].map(whose),
        "own_source": differ["file_own"] + " " + differ["sheet_own"] + "!" + differ["cell_own"],
        "judged_source": differ["file"] + " " + differ["sheet"] + "!" + differ["cell"],
    }, columns=REVIEW_COLUMNS)
    values = pd.concat([judged, own[~beaten]], ignore_index=True)
    place = {u: k for k, u in enumerate(roster.units)}
    reviews = reviews.assign(_o=reviews["code"].map(order), _u=reviews["city"].map(place))
    reviews = reviews.sort_values(["_u", "_o"], kind="stable").drop(columns=["_o", "_u"])
    return _ordered(values, order), reviews.reset_index(drop=True).astype(object)


def _ordered(values: pd.DataFrame, order: dict[str, int]) -> pd.DataFrame:
    """The values frame: one value per (city, input), by city (as text), then input order."""
    at = np.argsort(_pair_keys(values, order), kind="stable")
    return _values_frame(values[VALUE_COLUMNS].iloc[at])       # the ids dropped before the copy


def _pair_keys(frame: pd.DataFrame, order: dict[str, int]) -> np.ndarray:
    """Each row's (unit, input) as one integer, ordered as the units' names sorted,
    then the inputs' order (the ids of _cells_frame)."""
    return frame["city_id"].to_numpy(dtype=np.int64) * len(order) + frame["code_id"].to_numpy(dtype=np.int64)


def _owed(filled: pd.DataFrame, reads, inputs, roster: Roster, order: dict[str, int],
          cities: np.ndarray) -> pd.DataFrame:
    """(assessor, input, unit) for every assessor's input no sheet gives a value for,
    input by input in table order, units in roster order (`order`, `cities`: what
    the ids of _cells_frame stand for)."""
    specs = [spec for spec in inputs.values() if spec.type.number and spec.filled_by != SELF]
    units = pd.Index(roster.units)
    codes = pd.Index([spec.code for spec in specs])
    # A grid of units x these inputs, marked where a value (or a formula never
    # calculated, refused already) was given: in C, not a set of 180,000 pairs.
    have = np.zeros((len(codes), len(units)), dtype=bool)
    at_code = codes.get_indexer(list(order))[filled["code_id"].to_numpy(dtype=np.intp)]
    at_unit = units.get_indexer(cities)[filled["city_id"].to_numpy(dtype=np.intp)]
    given = (at_code >= 0) & (at_unit >= 0)
    have[at_code[given], at_unit[given]] = True
    for r in reads:
        if r.city and r.uncached:
            k, u = codes.get_indexer(list(r.uncached)), units.get_loc(r.city) if r.city in units else -1
            if u >= 0:
                have[k[k >= 0], u] = True
    code_at, unit_at = np.nonzero(~have)
    return pd.DataFrame({"assessor": [specs[k].filled_by for k in code_at.tolist()],
                         "code": codes[code_at].tolist(), "city": units[unit_at].tolist()},
                        columns=OWED_COLUMNS, dtype=object)


def _assessed_files(afiles, counts: dict[str, int], report: Report) -> pd.DataFrame:
    """The files table's rows of the assessors' sheets (city: only for a per-unit form);
    `counts`: the cells filled, by file."""
    by_file = report.by_file()
    rows = []
    for af in afiles:
        found = [f for f in by_file.get(af.rel, []) if f.severity != INFO]
        status = "rejected" if af.status == "read" and any(f.severity == ERROR for f in found) else af.status
        rows.append({"file": af.rel, "city": af.columns[0].city if af.columns and not af.wide else "", "status": status,
                     "inputs": int(counts.get(af.rel, 0)), "problems": len(found), "sha256": af.sha256,
                     "assessor": af.assessor})
    frame = pd.DataFrame(rows, columns=FILE_COLUMNS)
    frame["inputs"] = frame["inputs"].astype("int64")
    frame["problems"] = frame["problems"].astype("int64")
    return frame


def _cells_frame(reads: list[_FileRead], order: dict[str, int]) -> tuple[pd.DataFrame, np.ndarray]:
    """Every input cell found, in every file: one frame built once, and the
    units' names sorted (what its city_id numbers; `order`: the inputs', what
    its code_id numbers).

    Object columns, not pandas' str: mapping, sorting and looking up thousands
    of codes and names is several times faster on plain Python strings. The
    ids are made per file and per list of codes (files made from one template
    share theirs), not per cell."""
    sizes = np.fromiter(map(len, (r.codes for r in reads)), dtype=np.intp, count=len(reads))
    with_cells = np.flatnonzero(sizes)
    kept = [reads[k] for k in with_cells.tolist()]
    counts = sizes[with_cells]
    total = int(counts.sum())
    starts = np.cumsum(counts) - counts

    def per_file(name: str) -> pd.Series:
        return _column(np.repeat(np.array([getattr(r, name) for r in kept], dtype=object), counts) if kept
                       else _objects((), 0))

    # A layout's codes and cells as arrays once, by the list's identity (files
    # of one layout share one, pool._share_layout), then joined in C.
    arrays: dict[tuple, tuple] = {}

    def per_layout(items, make) -> np.ndarray:
        key = (id(items), make)
        got = arrays.get(key)
        if got is None:
            got = arrays[key] = (items, make(items))   # the list kept: its id stays its own
        return got[1]

    def objects(items) -> np.ndarray:
        return _objects(items, len(items))

    def ids(codes) -> np.ndarray:
        return np.fromiter(map(order.__getitem__, codes), dtype=np.int32, count=len(codes))

    def joined(name: str, make) -> np.ndarray:
        return np.concatenate([per_layout(getattr(r, name), make) for r in kept]) if kept else make(())

    cities = np.array(sorted({r.city for r in kept}), dtype=object)
    rank = {c: k for k, c in enumerate(cities.tolist())}
    city_ids = np.fromiter((rank[r.city] for r in kept), dtype=np.int32, count=len(kept))   # int32: half the bytes
    frame = pd.DataFrame({
        "file": per_file("rel"),
        "sheet": per_file("sheet"),
        "city": per_file("city"),
        "order": np.repeat(with_cells.astype(np.int64), counts),
        "pos": np.arange(total, dtype=np.int64) - np.repeat(starts.astype(np.int64), counts),
        "code": _column(joined("codes", objects)),   # sheet order in pos: 'G107' sorts before 'G34' as text
        "value": _column(_objects(itertools.chain.from_iterable(r.values for r in kept), total)),
        "cell": _column(joined("cells", objects)),
        "city_id": np.repeat(city_ids, counts),
        "code_id": joined("codes", ids),
    }, copy=False)     # the columns are new already: copying them again cost a tenth of the frame
    return frame, cities


def _objects(items, n: int) -> np.ndarray:
    """`n` items as an object array."""
    return np.fromiter(items, dtype=object, count=n)


def _column(values: np.ndarray) -> pd.Series:
    """An object array as a column, not copied again."""
    return pd.Series(values, dtype=object, copy=False)


def _empty_norm() -> pd.DataFrame:
    return pd.DataFrame({
        "raw": pd.Series(dtype=object), "number": pd.Series(dtype="Int64"), "text": pd.Series(dtype=object),
        "problem": pd.Series(dtype=object), "note": pd.Series(dtype=object),
    })


def _report_rejections(bad: pd.DataFrame, inputs, report: Report) -> None:
    for rec in bad.itertuples(index=False):
        spec = inputs[rec.code]
        report.add(
            rec.problem, file=rec.file, sheet=rec.sheet, cell=rec.cell, value=rec.raw,
            expected=refused_text(spec), note=rec.note, city=rec.city, input=rec.code,
        )


def _report_read_as(accepted: pd.DataFrame, report: Report) -> None:
    """A note for each value accepted in another form than the listed one ("有"
    read as 是, "无" in a count as 0): nothing is reinterpreted silently."""
    for rec in accepted[accepted["note"] != ""].itertuples(index=False):
        report.add("value-read-as", file=rec.file, sheet=rec.sheet, cell=rec.cell, value=rec.raw.strip(),
                   expected=rec.note, city=rec.city, input=rec.code)


def _merge(accepted: pd.DataFrame, order: dict[str, int], report: Report) -> pd.DataFrame:
    """One value per (city, input): the same value twice is fine, two values conflict.
    -> the values kept (VALUE_COLUMNS and the ids), in no set order: _judge orders them once,
    for the unit's own and the assessors' together (ordering each here as well
    cost a copy of every value twice, a tenth of the merging after reading)."""
    if not _has_repeats(_pair_keys(accepted, order)):
        return accepted[VALUE_COLUMNS + _IDS]      # one value each already, as with one file a city
    acc = accepted.sort_values(["city", "code", "order", "pos"], kind="stable")
    acc = acc[~acc.duplicated(["city", "code", "text"])]
    clash = acc.duplicated(["city", "code"], keep=False)
    for (city, code), group in acc[clash].groupby(["city", "code"], sort=False):
        first = group.iloc[0]
        for other in group.iloc[1:].itertuples(index=False):
            report.add(
                "value-conflict", file=first["file"], sheet=first["sheet"], cell=first["cell"],
                value=first["raw"].strip(), expected=other.raw.strip(),
                note=f"{other.file} {other.sheet}!{other.cell}", city=city, input=code,
            )
    return acc.loc[~clash, VALUE_COLUMNS + _IDS]


def _values_frame(values: pd.DataFrame) -> pd.DataFrame:
    out = values[VALUE_COLUMNS].reset_index(drop=True)
    out["number"] = out["number"].astype("Int64")
    for c in ("city", "code", "text", "raw", "file", "sheet", "cell"):
        out[c] = out[c].astype(object)
    return out


def _cross_checks(values: pd.DataFrame, cells: pd.DataFrame, reads: list[_FileRead], rules: RuleBook, report: Report,
                  filled: pd.DataFrame, seen: set, order: dict[str, int], cities: np.ndarray) -> None:
    """Checks across inputs, on each unit's merged values (`filled`: the cells
    of `cells` not blank and of a known unit; `seen`: the units that sent a
    sheet; `order`, `cities`: what the ids of _cells_frame stand for)."""
    inputs = rules.inputs
    # The few inputs compared here, each a column over the units (sorted, as a
    # pivot would give them), made when asked for: a pivot of every input and an
    # index of every value cost a tenth of reading 3,000 units' results.
    units = pd.Index(sorted(set(values["city"].tolist())), name="city")
    by_code = values.groupby("code", sort=False).indices if len(values) else {}
    city_of, numbers = values["city"].to_numpy(dtype=object), values["number"].array
    where = None

    def col(code):
        at = by_code.get(code)
        if at is None:
            return pd.Series(pd.NA, index=units, dtype="Int64")
        return pd.Series(numbers[at], index=pd.Index(city_of[at], name="city")).reindex(units)

    def value(city, code):
        """The value record of a unit and input (an index of every value made when a finding first needs one)."""
        nonlocal where
        if where is None:
            where = values.set_index(["city", "code"])
        return where.loc[(city, code)]

    def at(city, code, **kw):
        loc = value(city, code)
        report.add(kw.pop("code_"), file=loc["file"], sheet=loc["sheet"], cell=loc["cell"], city=city, input=code, **kw)

    # Rates: the part cannot exceed the whole; a zero whole is an error unless the rule says 0.
    for rule in rules.rows.values():
        for part in rule.deduct + rule.bonus:
            ratio = kind_of(part).ratio(part)
            if ratio is None:
                continue
            num, den, zero_is_error = ratio
            n, d = col(num), col(den)
            both = n.notna() & d.notna()
            for city in units[_mask(both & (n > d))]:
                at(city, num, code_="rate-numerator-exceeds", value=value(city, num)["text"],
                   expected=value(city, den)["text"], note=den)
            if zero_is_error:
                for city in units[_mask(both & (d == 0))]:
                    at(city, den, code_="rate-zero-denominator", value=value(city, den)["text"],
                       expected="大于0的整数", note=f"{num}（{inputs[num].label}）÷ {den}（{inputs[den].label}）")

    # Where a unit's inputs sit, filled or not: the first file holding the row
    # (worked out when a finding first needs it). Only a unit's form counts: an
    # assessor's wide sheet has rows for inputs it need not fill, so a unit whose
    # own file could not be read is not told its inputs are missing there.
    row_at = None
    first_file = {}
    for r in reads:
        if r.city and r.status == "read" and not r.wide and r.city not in first_file:
            first_file[r.city] = (r.rel, r.sheet)

    def place(city, code):
        nonlocal row_at
        if row_at is None:
            rows = cells[cells["city"] != ""].sort_values(["order"], kind="stable").drop_duplicates(["city", "code"])
            row_at = rows.set_index(["city", "code"])[["file", "sheet", "cell"]]
        if (city, code) in row_at.index:
            loc = row_at.loc[(city, code)]
            return {"file": loc["file"], "sheet": loc["sheet"], "cell": loc["cell"]}
        file, sheet = first_file[city]
        return {"file": file, "sheet": sheet, "cell": ""}

    # A note is needed when its amount is above 0.
    notes = [spec for spec in inputs.values() if spec.required_if_positive]
    with_notes = values[values["code"].isin({spec.code for spec in notes})] if notes else values.iloc[:0]
    for spec in notes:
        amount = col(spec.required_if_positive)
        noted = set(with_notes.loc[with_notes["code"] == spec.code, "city"].tolist())
        has_note = pd.Series([c in noted for c in units], index=units, dtype=bool)
        for city in units[_mask(amount.notna() & (amount > 0) & ~has_note)]:
            report.add("note-required", city=city, input=spec.code,
                       note=f"{spec.required_if_positive}（{value(city, spec.required_if_positive)['text']}）",
                       expected=expected_text(spec), **place(city, spec.code))

    # Every input other than a note, for every unit that sent a readable sheet:
    # looked at one by one only for units with any missing from their cells.
    # (An assessor's input not given is owed, not missing: see _owed.)
    needed = [s for s in inputs.values() if s.type.number and s.filled_by == SELF]
    complete = _complete_cities(filled, [s.code for s in needed], order, cities)
    partial = [c for c in first_file if c not in complete and c in seen]
    some = filled[filled["city"].isin(set(partial))] if partial else filled.iloc[:0]
    have = set(zip(some["city"].tolist(), some["code"].tolist()))   # lists: iterating a string column is slow
    have |= {(r.city, code) for r in reads if r.city for code in r.uncached}   # reported already
    order = list(inputs)
    for city in partial:
        for spec in needed:
            if (city, spec.code) in have:
                continue
            at_ = place(city, spec.code)
            if at_["cell"]:
                report.add("input-missing", city=city, input=spec.code, note=spec.label,
                           expected=expected_text(spec), **at_)
                continue
            # No row of that code in any of the unit's files: a deleted row. Say where it belongs.
            before = next((c for c in reversed(order[:order.index(spec.code)]) if (city, c) in row_at.index), None)
            if before is None:
                report.add("row-missing", city=city, input=spec.code, note=spec.label, expected="表头", **at_)
                continue
            loc = row_at.loc[(city, before)]
            m = re.match(r"([A-Z]+)(\d+)$", loc["cell"])
            cell = f"{m.group(1)}{int(m.group(2)) + 1}" if m else ""
            report.add("row-missing", city=city, input=spec.code, note=spec.label, expected=before,
                       file=loc["file"], sheet=loc["sheet"], cell=cell)


def _complete_cities(filled: pd.DataFrame, codes: list[str], order: dict[str, int], cities: np.ndarray) -> set[str]:
    """The cities whose filled cells hold every one of `codes` (`order`, `cities`:
    what the ids of _cells_frame stand for)."""
    if not codes or not len(filled):
        return set()
    at = np.full(len(order), -1, dtype=np.int64)
    at[[order[c] for c in codes]] = np.arange(len(codes))
    k = at[filled["code_id"].to_numpy(dtype=np.intp)]
    known = k >= 0
    if not known.any():
        return set()
    have = np.zeros((len(cities), len(codes)), dtype=bool)    # a grid of units x codes, marked in C
    have[filled["city_id"].to_numpy(dtype=np.intp)[known], k[known]] = True
    return set(cities[have.all(axis=1)].tolist())


def _has_repeats(keys: np.ndarray) -> bool:
    ordered = np.sort(keys)
    return bool((ordered[1:] == ordered[:-1]).any())


def _files_frame(reads, skipped, counts: dict[str, int], report: Report) -> pd.DataFrame:
    """The files table's rows of the units' files and of the entries passed over;
    `counts`: the cells filled, by file."""
    problems: dict[str, int] = {}
    errors: set[str] = set()
    for f in report:
        if f.severity == INFO or not f.file:
            continue
        problems[f.file] = problems.get(f.file, 0) + 1
        if f.severity == ERROR:
            errors.add(f.file)
    rows = list(skipped)
    for r in reads:
        status = r.status
        if status == "read" and (r.rel in errors or not r.city):
            status = "rejected"
        rows.append({"file": r.rel, "city": r.city, "status": status, "inputs": int(counts.get(r.rel, 0)),
                     "problems": problems.get(r.rel, 0), "sha256": r.sha256, "assessor": ""})
    frame = pd.DataFrame(rows, columns=FILE_COLUMNS)
    frame = frame.sort_values("file", kind="stable").reset_index(drop=True)
    frame["assessor"] = frame["assessor"].fillna("").astype(object)
    frame["inputs"] = frame["inputs"].astype("int64")
    frame["problems"] = frame["problems"].astype("int64")
    return frame
