"""Rerun after corrections: what changed since the previous output, and why.

Every output workbook carries a hidden sheet (SNAPSHOT_SHEET) holding the run:
each city's status, total, rank and grade, every row and item figure, and
every input value with its file and cell, packed per city as JSON text,
deflated (a few short cells per city, so thousands of units stay cheap to
write and to read back; see _Packer). On a rerun the previous workbook's
snapshot is read back and compared with the new one, so the change log
needs nothing but the two workbooks — no cache beside them.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from .deflate import z as _z
from .errors import SnapshotError
from .figures import fmt, fmt_all
from .labels import MISSING, SCORED, SNAPSHOT_SHEET, STATUS_ZH

SNAPSHOT_COLUMNS = ["kind", "city", "seq", "data"]

# What a change is called in the 变更记录 sheet and the printed summary.
FIELD_LABELS = {
    "status": "状态",
    "total": "总分",
    "rank": "名次",
    "grade": "等次",
    "base": "基础得分",
    "bonus": "加分",
    "item": "分值",
}
# A printed line stops here; the rest is in the 变更记录 sheet.
MAX_LINE = 120
# Units whose rank alone moved, printed one by one up to this many (summary_lines).
RANK_ONLY_LINES = 20


@dataclass(frozen=True)
class ChangeLog:
    """`cities`: one row per changed figure; `inputs`: the input cells that changed."""

    cities: pd.DataFrame   # city, code, field, label, old, new
    inputs: pd.DataFrame   # city, code, old, new, file, cell

    @property
    def empty(self) -> bool:
        return self.cities.empty and self.inputs.empty

    def changed_cities(self) -> list[str]:
        seen: dict[str, None] = {}
        for city in list(self.cities["city"]) + list(self.inputs["city"]):
            seen.setdefault(city, None)
        return list(seen)

    @cached_property
    def _by_city(self) -> dict[str, tuple[list, list]]:
        # Each city's rows looked up once: a national rerun's log names thousands
        # of cities (every rank that moved), and filtering both frames per city
        # took the printed summary alone 6.7 s after a 1 % correction at N = 3000.
        out: dict[str, tuple[list, list]] = {}
        for rec in self.cities.itertuples(index=False):
            out.setdefault(rec.city, ([], []))[0].append(rec)
        for rec in self.inputs.itertuples(index=False):
            out.setdefault(rec.city, ([], []))[1].append(rec)
        return out

    def figures(self, city: str) -> list:
        """The city's changed figures (rows of `cities`, as named tuples), in order."""
        return self._by_city.get(city, ([], []))[0]

    def input_cells(self, city: str) -> list:
        """The city's changed input cells (rows of `inputs`, as named tuples), in order."""
        return self._by_city.get(city, ([], []))[1]

    def status_changed(self) -> set[str]:
        """Units that came or went (未提交 → 已计分, 已计分 → 数据有误, new to the roster…):
        told in one line, their row figures and inputs left out."""
        return set(self.cities.loc[self.cities["field"] == "status", "city"])

    def unit_line(self, city: str) -> str:
        """What happened to a unit whose status changed, in a few words."""
        head = {r.field: (r.old, r.new) for r in self.figures(city) if r.code == ""}
        old, new = head.get("status", ("", ""))
        total, rank, grade = (head.get(k, ("", "")) for k in ("total", "rank", "grade"))
        if new == STATUS_ZH[SCORED]:
            how = {"": "新加入", STATUS_ZH[MISSING]: "新提交"}.get(old, f"改正后计分（原为{old}）")
            return f"{how}，总分 {total[1]}，第 {rank[1]} 名" + (f"，{grade[1]}" if grade[1] else "")
        now = new or "已不在名单中"
        if old == STATUS_ZH[SCORED]:
            return f"{now}，不再计分（原总分 {total[0]}，第 {rank[0]} 名）"
        return f"{old or '（无）'} → {now}"

    def summary_lines(self) -> list[str]:
        """One short line per changed city: a unit that came or went in a few words;
        otherwise figures old → new, then the input cells behind them, cut at
        MAX_LINE characters with a pointer to the sheet. Units whose rank alone
        moved (their scores and cells the same) are counted in one last line
        when there are more than RANK_ONLY_LINES of them: a correction at
        national scale moves thousands of ranks, and a clerk at the console
        looks for the units that were corrected (the sheet lists every one)."""
        if self.empty:
            return ["与上次结果相比没有变化 / nothing changed since the previous run"]
        moved = self.status_changed()
        lines: list[tuple[str, bool]] = []      # (line, the rank alone moved)
        for city in self.changed_cities():
            if city in moved:
                lines.append((f"{city}：{self.unit_line(city)}", False))
                continue
            figs = self.figures(city)
            parts = [f"{r.label} {r.old or '—'} → {r.new or '—'}" for r in figs if r.code == ""]
            parts += [f"{r.code} {r.label} {r.old or '—'} → {r.new or '—'}" for r in figs if r.code != ""]
            causes = [f"{r.file} {r.cell}（{r.code}）“{r.old}” → “{r.new}”" for r in self.input_cells(city)]
            rank_only = bool(figs) and not causes and all(r.field == "rank" for r in figs)
            lines.append((_capped(f"{city}：", parts or ["得分未变 / scores unchanged"], causes), rank_only))
        folded = sum(rank_only for _, rank_only in lines)
        if folded <= RANK_ONLY_LINES:
            return [line for line, _ in lines]
        return [line for line, rank_only in lines if not rank_only] + [
            f"另有 {folded} 个单位仅名次随之变动，见“变更记录”表 / {folded} more units moved in rank only; see the sheet"]


def _capped(head: str, parts: list[str], causes: list[str]) -> str:
    """head + parts (，) + '；输入变化: ' + causes, stopping before MAX_LINE characters."""
    text, shown = head, 0
    items = [(p, "，") for p in parts] + [(c, "，") for c in causes]
    cause_at = len(parts)
    for k, (item, sep) in enumerate(items):
        joint = "" if k == 0 else "；输入变化 / inputs changed: " if k == cause_at else sep
        if len(text) + len(joint) + len(item) > MAX_LINE and k > 0:
            break
        text += joint + item
        shown += 1
    if shown < len(items):
        text += f"……另有 {len(items) - shown} 处变化，见“变更记录”表 / {len(items) - shown} more in the sheet"
    return text


LONG_COLUMNS = ["kind", "city", "code", "field", "value", "file", "cell"]
# A cell holds at most 32,767 characters; a city's records are split below that.
CHUNK = 30000


def snapshot(result) -> pd.DataFrame:
    """The run as the hidden sheet holds it: per city and kind, its records as JSON
    text (the rows of snapshot_chunks)."""
    return pd.DataFrame(list(snapshot_chunks(result)), columns=SNAPSHOT_COLUMNS)


def snapshot_chunks(result):
    """The hidden sheet's rows, (kind, city, seq, text), one unit at a time: each
    group's JSON deflated (see _Packer), the same rows as
    `pack(long_snapshot(result))`."""
    packer = _Packer()
    for kind, city, text in _group_texts(result):
        yield from packer.rows(kind, city, text)


def _group_texts(result):
    """Each group of the run, (kind, city, its records' JSON text), one unit at a time.

    A long table (one row per figure and input) would be millions of cells
    for thousands of units; packed, it is a few cells per unit. Built straight
    from the result's arrays, city by city: the same records, in the same
    order, as `long_snapshot(result)`, without the long table's memory (a
    hundred MB at 3,000 units).
    """
    cities = result.cities
    status = dict(zip(cities.index, cities["status"].astype(str).tolist()))
    scored = cities[cities["status"] == "scored"]
    figures = {u: (fmt(t), str(int(r)), g) for u, t, r, g in zip(
        scored.index, scored["total"].tolist(), scored["rank"].tolist(), scored["grade"].astype(str).tolist())}
    # Each frame as (codes, row position per unit, its figures as text by row); records are made one
    # unit at a time and packed at once, so only one unit's records exist at a time.
    frames = []
    for kind, field, frame in (("row", "base", result.rows["base"]), ("row", "bonus", result.rows["bonus"]),
                               ("item", "item", result.items)):
        if frame is not None and not frame.empty:
            width = frame.shape[1]
            texts = fmt_all(frame.to_numpy().ravel().tolist())
            frames.append((kind, field, [str(c) for c in frame.columns], {u: k for k, u in enumerate(frame.index)},
                           [texts[k:k + width] for k in range(0, len(texts), width)]))
    values = result.values
    columns = [values[c].astype(str).tolist() for c in ("code", "text", "file", "cell")] if not values.empty else []
    inputs_at = values.groupby("city", sort=False).indices if not values.empty else {}
    units = list(cities.index) + [u for u in inputs_at if u not in status]
    q = _Quoted()      # each code, value, file and cell quoted once for the whole snapshot
    for unit in units:
        recs = [["", "status", status[unit], "", ""]] if unit in status else []
        if unit in figures:
            total, rank, grade = figures[unit]
            recs += [["", "total", total, "", ""], ["", "rank", rank, "", ""], ["", "grade", grade, "", ""]]
        if recs:
            yield "city", unit, _json_list([_record(q, *rec) for rec in recs])
        by_kind: dict[str, list] = {}
        for kind, field, codes, at, matrix in frames:
            if unit in at:
                by_kind.setdefault(kind, []).extend(
                    f'[{q[code]},{q[field]},{q[text]},"",""]' for code, text in zip(codes, matrix[at[unit]]))
        for kind in ("row", "item"):
            if by_kind.get(kind):
                yield kind, unit, _json_list(by_kind[kind])
        if unit in inputs_at:
            code, text, file, cell = columns
            # A cell like 'G40' needs no quoting: written as it is (the 180,000 cells of
            # the assessors' sheets are nearly all distinct, not worth a lookup each).
            yield "input", unit, _json_list([
                f'[{q[code[k]]},"value",{q[text[k]]},{q[file[k]]},'
                + (f'"{cell[k]}"]' if cell[k].isascii() and cell[k].isalnum() else f"{q[cell[k]]}]")
                for k in inputs_at[unit]])
    inbox = _inbox_of(result)
    if inbox:
        yield RUN_KIND, "", _json_dumps([["", "inbox", inbox, "", ""]])


RUN_KIND = "run"     # records about the run itself (which inbox), not compared by diff


def _inbox_of(result) -> str:
    """The inbox a result was read from, as an absolute path ("" when not from a folder)."""
    folder = getattr(result, "folder", "")
    return str(Path(folder).resolve()) if folder else ""


def snapshot_inbox(packed: pd.DataFrame, source: str = "") -> str:
    """The inbox a snapshot came from; "" for one written before it was recorded.
    SnapshotError when its record is damaged (`source`: where it was read)."""
    rows = packed[packed["kind"] == RUN_KIND]
    if rows.empty:
        return ""
    try:
        for _code, name, value, _file, _cell in json.loads("".join(rows.sort_values("seq", key=lambda s: s.astype(int))["data"])):
            if name == "inbox":
                return value
    except (ValueError, TypeError) as exc:
        raise _damaged(source, exc) from exc
    return ""


def _json_dumps(recs: list) -> str:
    return json.dumps(recs, ensure_ascii=False, separators=(",", ":"))


def _json_list(records: list[str]) -> str:
    """_json_dumps for records already JSON (see _record): the same text, put together
    from strings quoted once each instead of by the encoder walking every list."""
    return "[" + ",".join(records) + "]"


# How a group is kept in the sheet. A national run's records are 23 M characters
# of JSON: read back with calamine on a rerun, they cost 80 MB at once (its copy
# and Python's) and made the rerun the run that needed most memory (317 MB).
# Each group is deflated instead, against a dictionary made of the first group
# of its kind (groups of one kind repeat the same codes, fields and file names),
# and written in base64 behind ZIPPED: 2.9 M characters for those 23 M, and the
# workbook smaller too. The dictionary is a row of its own, (DICT_KIND, kind, "0",
# text), before the first group of its kind. A group whose text begins "[" is
# JSON as earlier versions wrote it, and is read as it is.
ZIPPED = "z:"
DICT_KIND = "zdict"
DICT_CHARS = 8000           # of the first group of a kind (a cell holds 32,767)
SNAPSHOT_LEVEL = 6          # 0.4 s for those 23 M characters, in the snapshot's own worker
MAX_GROUP_BYTES = 64 << 20  # a group's JSON, inflated: refused beyond (a damaged or doctored file)


class _Packer:
    """Groups' JSON -> the sheet's rows, deflated as the comment above says."""

    def __init__(self):
        self.dicts: dict[str, bytes] = {}

    def rows(self, kind: str, city: str, text: str) -> list[tuple[str, str, str, str]]:
        if kind == RUN_KIND:        # one short record, read alone by snapshot_inbox: left as JSON
            return _split(kind, city, text)
        out = []
        zdict = self.dicts.get(kind)
        if zdict is None:
            head = text[:DICT_CHARS]
            zdict = self.dicts[kind] = head.encode("utf-8")
            out.append((DICT_KIND, kind, "0", head))
        deflate = _z.compressobj(SNAPSHOT_LEVEL, _z.DEFLATED, -15, 8, _z.Z_DEFAULT_STRATEGY, zdict)
        packed = deflate.compress(text.encode("utf-8")) + deflate.flush()
        return out + _split(kind, city, ZIPPED + base64.b64encode(packed).decode("ascii"))


def _dicts(groups: dict) -> dict[str, bytes]:
    """kind -> its dictionary, from a snapshot's groups (see _groups)."""
    return {city: text.encode("utf-8") for (kind, city), text in groups.items() if kind == DICT_KIND}


def _json(stored: str, kind: str, dicts: dict[str, bytes]) -> str:
    """A group's JSON from its text as the sheet holds it (ValueError when damaged)."""
    if not stored.startswith(ZIPPED):
        return stored
    zdict = dicts.get(kind)
    if zdict is None:
        raise ValueError(f"{DICT_KIND} {kind!r} missing")
    inflate = _z.decompressobj(wbits=-15, zdict=zdict)
    try:
        data = inflate.decompress(base64.b64decode(stored[len(ZIPPED):], validate=True), MAX_GROUP_BYTES)
    except _z.error as exc:
        raise ValueError(str(exc)) from None
    if not inflate.eof:
        raise ValueError(f"{kind}: cut short, or over {MAX_GROUP_BYTES:,} bytes inflated")
    return data.decode("utf-8")


def _decoded(groups: dict) -> dict[tuple[str, str], str]:
    """Every group's JSON (see _groups), the dictionaries left out."""
    dicts = _dicts(groups)
    return {key: _json(text, key[0], dicts) for key, text in groups.items() if key[0] != DICT_KIND}


def _split(kind: str, city: str, text: str) -> list[tuple[str, str, str, str]]:
    """A (kind, city)'s text as the sheet's rows, CHUNK characters a cell."""
    return [(kind, city, str(seq), text[start:start + CHUNK])
            for seq, start in enumerate(range(0, max(len(text), 1), CHUNK))]


class _Quoted(dict):
    """str -> its JSON text, as json.dumps(ensure_ascii=False) writes it, made once:
    a national run's snapshot repeats a few thousand codes, cells, values and file
    names 500,000 times."""

    def __missing__(self, s: str) -> str:
        quoted = self[s] = _quote(s)
        return quoted


# What json.dumps(s, ensure_ascii=False) does with a str, without setting up an encoder each time.
_quote = json.encoder.encode_basestring


def _record(q: _Quoted, code: str, field: str, value: str, file: str, cell: str) -> str:
    """One record as json.dumps writes it in a list (separators "," and ":")."""
    return f"[{q[code]},{q[field]},{q[value]},{q[file]},{q[cell]}]"


def long_snapshot(result) -> pd.DataFrame:
    """The run as a long table of strings: kind, city, code, field, value, file, cell."""
    parts = []
    cities = result.cities
    scored = cities[cities["status"] == "scored"]
    parts.append(pd.DataFrame({"kind": "city", "city": cities.index, "code": "", "field": "status",
                               "value": cities["status"].astype(str).to_numpy(), "file": "", "cell": ""}))
    for field, values in (("total", scored["total"].map(fmt)), ("rank", scored["rank"].astype("int64").astype(str)),
                          ("grade", scored["grade"].astype(str))):
        parts.append(pd.DataFrame({"kind": "city", "city": scored.index, "code": "", "field": field,
                                   "value": values.to_numpy(), "file": "", "cell": ""}))
    for kind, field, frame in (("row", "base", result.rows["base"]), ("row", "bonus", result.rows["bonus"]),
                               ("item", "item", result.items)):
        if frame is None or frame.empty:
            continue
        long = frame.stack().reset_index()
        long.columns = ["city", "code", "value"]
        parts.append(pd.DataFrame({"kind": kind, "city": long["city"], "code": long["code"], "field": field,
                                   "value": long["value"].map(fmt), "file": "", "cell": ""}))
    values = result.values
    if not values.empty:
        parts.append(pd.DataFrame({"kind": "input", "city": values["city"], "code": values["code"], "field": "value",
                                   "value": values["text"].astype(str), "file": values["file"].astype(str),
                                   "cell": values["cell"].astype(str)}))
    inbox = _inbox_of(result)
    if inbox:
        parts.append(pd.DataFrame({"kind": [RUN_KIND], "city": [""], "code": [""], "field": ["inbox"],
                                   "value": [inbox], "file": [""], "cell": [""]}))
    long = pd.concat(parts, ignore_index=True)[LONG_COLUMNS]
    # Roster order first, so the change log lists cities as they are assessed.
    order = {c: k for k, c in enumerate(cities.index)}
    return long.assign(_o=long["city"].map(order)).sort_values("_o", kind="stable").drop(columns="_o").reset_index(drop=True)


def pack(long: pd.DataFrame) -> pd.DataFrame:
    """Long records -> one row per (kind, city, chunk), as the sheet holds them (see _Packer)."""
    fields = ["code", "field", "value", "file", "cell"]
    # One conversion to Python lists, then grouping by hand: a pandas groupby
    # over thousands of small groups costs seconds.
    groups: dict[tuple[str, str], list] = {}
    for key, rec in zip(zip(long["kind"].tolist(), long["city"].tolist()), long[fields].to_numpy().tolist()):
        groups.setdefault(key, []).append(rec)
    rows, packer = [], _Packer()
    for (kind, city), recs in groups.items():
        rows.extend(packer.rows(kind, city, _json_dumps(recs)))
    return pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)


def unpack(packed: pd.DataFrame) -> pd.DataFrame:
    """Packed rows -> the long records, each (kind, city)'s chunks joined in seq order."""
    return _records(_decoded(_groups(packed)))


def _groups(packed: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(kind, city) -> its text as the sheet holds it (its chunks joined in seq
    order), the groups in the order the rows give them, dictionaries included."""
    # Grouped by hand over lists: a pandas groupby and a sort per group over
    # thousands of small groups cost seconds on a rerun of a national run.
    groups: dict[tuple[str, str], list[tuple[int, str]]] = {}
    for kind, city, seq, data in zip(*(packed[c].tolist() for c in SNAPSHOT_COLUMNS)):
        groups.setdefault((kind, city), []).append((int(seq), data))
    return {key: "".join(data for _, data in sorted(chunks, key=lambda chunk: chunk[0])) for key, chunks in groups.items()}


def _records(groups: dict[tuple[str, str], str]) -> pd.DataFrame:
    """The long records of `groups` ((kind, city) -> its JSON), group by group."""
    columns: list[list] = [[] for _ in LONG_COLUMNS]
    kinds, cities, codes, fields, values, files, cells = columns
    for (kind, city), text in groups.items():
        recs = json.loads(text)
        for code, field, value, file, cell in recs:
            codes.append(code)
            fields.append(field)
            values.append(value)
            files.append(file)
            cells.append(cell)
        kinds.extend([kind] * len(recs))
        cities.extend([city] * len(recs))
    if not kinds:     # columns of text even when empty, as a snapshot with records gives them
        return pd.DataFrame({name: pd.Series([], dtype="str") for name in LONG_COLUMNS})
    return pd.DataFrame(dict(zip(LONG_COLUMNS, columns)), columns=LONG_COLUMNS)


def read_snapshot(path: str | Path) -> pd.DataFrame:
    """The snapshot sheet of a previous output workbook (packed, as written; its
    JSON not parsed yet: see diff)."""
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(str(path))
        if SNAPSHOT_SHEET not in wb.sheet_names:
            raise SnapshotError(f"{path}: 没有{SNAPSHOT_SHEET}工作表 / no snapshot sheet")
        rows = wb.get_sheet_by_name(SNAPSHOT_SHEET).to_python(skip_empty_area=False)
    except SnapshotError:
        raise
    except Exception as exc:  # a damaged previous file must not stop the new run
        raise SnapshotError(f"{path}: {type(exc).__name__}: {exc}") from exc
    if not rows or [str(c) for c in rows[0][: len(SNAPSHOT_COLUMNS)]] != SNAPSHOT_COLUMNS:
        raise SnapshotError(f"{path}: 快照表头不符 / snapshot header not recognised")
    body = [[_text(c) for c in r[: len(SNAPSHOT_COLUMNS)]] for r in rows[1:] if any(r)]
    # Its JSON is read where it is used (diff, snapshot_inbox), group by group:
    # a rerun compares only the groups that changed, and a damaged one says so there.
    return pd.DataFrame(body, columns=SNAPSHOT_COLUMNS)


def code_key(code: str) -> str:
    """'3.3.10' sorts after '3.3.2': each part zero-padded ('' stays first)."""
    return ".".join(p.zfill(3) if p.isdigit() else p for p in code.split(".")) if code else ""


def _text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def diff(old: pd.DataFrame, new: pd.DataFrame, source: str = "") -> ChangeLog:
    """Compare two snapshots (packed or long): changed city figures and the input cells behind them.

    Packed snapshots are compared group by group (see _diff_groups).
    SnapshotError when a group of `old` (read from `source`) is damaged.
    """
    if list(old.columns) == SNAPSHOT_COLUMNS and list(new.columns) == SNAPSHOT_COLUMNS:
        before = _previous(_groups_read(old, source), source)
        return _diff_groups(before, _decoded(_groups(new)).items(), source)
    old = unpack(old) if list(old.columns) == SNAPSHOT_COLUMNS else old
    new = unpack(new) if list(new.columns) == SNAPSHOT_COLUMNS else new
    old, new = old[old["kind"] != RUN_KIND], new[new["kind"] != RUN_KIND]
    return _diff_long(old, new, {c: i for i, c in enumerate(dict.fromkeys(new["city"].tolist() + old["city"].tolist()))})


@dataclass
class Previous:
    """A previous output's snapshot as read_previous reads it: where from, its
    inbox, its groups ((kind, city) -> its text as the sheet holds it, see
    _groups, the dictionaries apart) until diff_run lets them go, and its
    kinds' dictionaries. Each group is read back to JSON when asked for
    (`json`: SnapshotError naming the source when it cannot be)."""
    source: str
    inbox: str
    groups: dict
    dicts: dict

    def json(self, key: tuple[str, str]) -> str:
        try:
            return _json(self.groups[key], key[0], self.dicts)
        except ValueError as exc:
            raise _damaged(self.source, exc) from exc


def read_previous(path: str | Path) -> Previous:
    """A previous output workbook's snapshot, grouped (SnapshotError as read_snapshot)."""
    return previous_of(read_snapshot(path), str(path))


def previous_of(packed: pd.DataFrame, source: str) -> Previous:
    """A packed snapshot (read from `source`) as read_previous gives it."""
    groups = _groups_read(packed, source)
    return _previous(groups, source, snapshot_inbox(packed, source))


def _previous(groups: dict, source: str, inbox: str = "") -> Previous:
    return Previous(source, inbox, {k: v for k, v in groups.items() if k[0] != DICT_KIND}, _dicts(groups))


def diff_run(previous: Previous, result) -> ChangeLog:
    """diff(previous, snapshot(result)) without holding either snapshot whole:
    the new groups are made a unit at a time (their JSON, not deflated) and
    kept only where they differ, and each previous group the same as its new
    one is let go once compared (`previous.groups` keeps only the others). A
    national run's snapshot is 23 M characters of JSON; the workbook writer
    makes its own copy in a worker, so the caller never needs one."""
    after = (((kind, city), text) for kind, city, text in _group_texts(result))
    return _diff_groups(previous, after, previous.source)


def _groups_read(packed: pd.DataFrame, source: str) -> dict[tuple[str, str], str]:
    try:
        return _groups(packed)
    except (ValueError, TypeError) as exc:
        raise _damaged(source, exc) from exc


def _damaged(source: str, exc: Exception) -> SnapshotError:
    return SnapshotError(f"{source + ': ' if source else ''}快照内容损坏 / snapshot damaged: {exc}")


def _diff_groups(before: Previous, after, source: str = "") -> ChangeLog:
    """diff of `before` (the old groups; those equal to their new ones are
    removed from it) and `after` ((key, JSON) of the new ones, in order).

    A group whose JSON is the same on both sides holds the same records and
    cannot change anything, so only the others are unpacked: a rerun after a
    few corrections parses a few units, not a national run's 600,000 records
    twice (2.8 s of comparing with nothing changed, now 0.1 s; inflating
    each previous group to compare it, 0.1 s more). The log is the one
    comparing every record gives (tests/test_changes.py); the cities keep
    the new run's order, then the previous one's."""
    keys, changed = [], {}
    old_groups = before.groups
    for key, text in after:
        keys.append(key)
        if key in old_groups and before.json(key) == text:
            del old_groups[key]            # the same records: nothing to compare, let go now
        elif key[0] != RUN_KIND:
            changed[key] = text
    seen = set(keys)
    old_json = {key: before.json(key) for key in old_groups
                if key[0] != RUN_KIND and (key in changed or key not in seen)}
    try:
        old = _records(old_json)
    except (ValueError, TypeError) as exc:
        raise _damaged(source, exc) from exc
    order = {c: i for i, c in enumerate(dict.fromkeys(city for kind, city in keys + list(old_groups)
                                                      if kind != RUN_KIND))}
    return _diff_long(old, _records(changed), order)


def _diff_long(old: pd.DataFrame, new: pd.DataFrame, roster_order: dict[str, int]) -> ChangeLog:
    """diff on the long records; `roster_order`: city -> its place in the change log."""
    key = ["kind", "city", "code", "field"]
    figures_old = old[old["kind"] != "input"].set_index(key)["value"]
    figures_new = new[new["kind"] != "input"].set_index(key)["value"]
    both = pd.concat([figures_old.rename("old"), figures_new.rename("new")], axis=1).fillna("")
    changed = both[both["old"] != both["new"]].reset_index()
    changed["label"] = changed["field"].map(FIELD_LABELS).fillna(changed["field"])
    status = changed["field"] == "status"
    changed.loc[status, "old"] = changed.loc[status, "old"].map(lambda s: STATUS_ZH.get(s, s))
    changed.loc[status, "new"] = changed.loc[status, "new"].map(lambda s: STATUS_ZH.get(s, s))
    order = {"status": 0, "total": 1, "rank": 2, "grade": 3, "base": 4, "bonus": 5, "item": 6}
    changed["_o"] = changed["field"].map(order)
    changed["_k"] = changed["code"].map(code_key)
    changed = changed.sort_values(["city", "_k", "_o"], kind="stable")
    # A unit that came or went: its status, total, rank and grade say it; its
    # ninety row figures ("— → 0.00") and input cells would only bury that.
    came_or_went = set(changed.loc[changed["field"] == "status", "city"])
    changed = changed[~(changed["city"].isin(came_or_went) & (changed["code"] != ""))]
    cities = changed[["city", "code", "field", "label", "old", "new"]].reset_index(drop=True)

    ikey = ["city", "code"]
    inputs_old = old[old["kind"] == "input"].drop_duplicates(ikey).set_index(ikey)
    inputs_new = new[new["kind"] == "input"].drop_duplicates(ikey).set_index(ikey)
    joined = inputs_old[["value", "file", "cell"]].add_suffix("_old").join(
        inputs_new[["value", "file", "cell"]].add_suffix("_new"), how="outer"
    ).fillna("")
    moved_inputs = joined[joined["value_old"] != joined["value_new"]].reset_index()
    moved = moved_inputs[~moved_inputs["city"].isin(came_or_went)]
    moved = moved.sort_values("code", key=lambda s: s.map(code_key), kind="stable")
    moved["file"] = moved["file_new"].where(moved["file_new"] != "", moved["file_old"])
    moved["cell"] = moved["cell_new"].where(moved["cell_new"] != "", moved["cell_old"])
    inputs = moved.rename(columns={"value_old": "old", "value_new": "new"})[
        ["city", "code", "old", "new", "file", "cell"]
    ].reset_index(drop=True)

    # Keep the cities in the order they were assessed (snapshot order = roster order).
    cities = cities.sort_values("city", key=lambda s: s.map(roster_order), kind="stable").reset_index(drop=True)
    inputs = inputs.sort_values("city", key=lambda s: s.map(roster_order), kind="stable").reset_index(drop=True)
    return ChangeLog(cities=cities, inputs=inputs)
