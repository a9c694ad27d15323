"""The change log between two runs: which figures moved and which cells caused it."""

import pandas as pd
import pytest

from assess_xlsx.changes import (CHUNK, RUN_KIND, SNAPSHOT_COLUMNS, diff, diff_run, long_snapshot, pack, previous_of,
                                 snapshot, snapshot_inbox, unpack)
from assess_xlsx.errors import SnapshotError
from assess_xlsx.scoring import score
from inputs import submissions_from

UNITS = {"太原市": {"3.3.12a": 2}, "大同市": {"11.1a": 1}, "阳泉市": {}}


def run(scheme, units, **kw):
    return score(scheme, submissions_from(scheme, units, **kw))


def test_nothing_changed(scheme):
    a, b = snapshot(run(scheme, UNITS)), snapshot(run(scheme, UNITS))
    log = diff(a, b)
    assert log.empty
    assert log.summary_lines() == ["与上次结果相比没有变化 / nothing changed since the previous run"]


def test_one_cell_changes_total_rank_and_row(scheme):
    old = snapshot(run(scheme, UNITS))
    changed = dict(UNITS, 阳泉市={"3.3.12a": 4})     # 阳泉市 loses 2: 100 → 98, rank 1 → 2
    log = diff(old, snapshot(run(scheme, changed)))
    assert log.changed_cities() == ["太原市", "阳泉市"]
    yq = log.cities[log.cities["city"] == "阳泉市"]
    assert list(zip(yq["code"], yq["label"], yq["old"], yq["new"])) == [
        ("", "总分", "100.00", "98.00"), ("", "名次", "1", "2"), ("3.3.12", "基础得分", "5.00", "3.00")]
    assert log.inputs.to_dict("records") == [
        {"city": "阳泉市", "code": "3.3.12a", "old": "0", "new": "4", "file": "阳泉市.xlsx", "cell": log.inputs.at[0, "cell"]}]
    line = log.summary_lines()[1]
    assert line.startswith("阳泉市：总分 100.00 → 98.00，名次 1 → 2，3.3.12 基础得分 5.00 → 3.00；输入变化 / inputs changed: 阳泉市.xlsx G")
    assert log.summary_lines()[0] == "太原市：名次 2 → 1"


def test_status_changes(scheme):
    old = snapshot(run(scheme, UNITS))
    new = snapshot(run(scheme, {"太原市": UNITS["太原市"], "大同市": UNITS["大同市"]}, rejected={"阳泉市": "1.1.1a"}))
    log = diff(old, new)
    yq = log.cities[(log.cities["city"] == "阳泉市") & (log.cities["code"] == "")]
    assert list(zip(yq["label"], yq["old"], yq["new"])) == [
        ("状态", "已计分", "数据有误"), ("总分", "100.00", ""), ("名次", "1", ""), ("等次", "优秀", "")]


def test_pack_round_trip_and_long_text_is_chunked(scheme):
    result = run(scheme, {"太原市": {"10.6a": 1, "10.6b": "说明" * 40000}})
    long = long_snapshot(result)
    packed = pack(long)
    assert list(packed.columns) == SNAPSHOT_COLUMNS
    assert packed["data"].str.len().max() <= CHUNK
    assert (packed["city"] == "太原市").sum() > 3          # the long note spans several cells
    pd.testing.assert_frame_equal(unpack(packed), long.reset_index(drop=True))


def test_snapshot_is_the_packed_long_table(scheme):
    """snapshot() builds the packed sheet directly; it must equal packing the long table."""
    result = run(scheme, UNITS, rejected={"阳泉市": "1.1.1a"})
    pd.testing.assert_frame_equal(snapshot(result), pack(long_snapshot(result)))
    # Its records are put together from strings quoted one by one: the same JSON as the
    # encoder's for quotes, backslashes, control characters, line separators and emoji,
    # split at the same places across several cells.
    hostile = 'q"uote\\back\n\t\x01\u2028😀<&>说明' * 3000
    result = run(scheme, {"太原市": {"10.6a": 1, "10.6b": hostile}})
    packed = snapshot(result)
    assert (packed["city"] == "太原市").sum() > 3
    pd.testing.assert_frame_equal(packed, pack(long_snapshot(result)))
    assert hostile in set(unpack(packed)["value"])


def test_a_unit_that_arrives_is_one_line_and_one_row(scheme):
    """未提交 → 已计分: status, total, rank, grade only; no "— → 0.00" rows, no input cells."""
    old = snapshot(run(scheme, {"太原市": UNITS["太原市"], "大同市": UNITS["大同市"]}))
    log = diff(old, snapshot(run(scheme, UNITS)))
    yq = log.cities[log.cities["city"] == "阳泉市"]
    assert list(yq["label"]) == ["状态", "总分", "名次", "等次"] and set(yq["code"]) == {""}
    assert (log.inputs["city"] == "阳泉市").sum() == 0
    # 阳泉市 sends a clean sheet: 100.00, first; 太原市 (98.00 after 3.3.12) drops to 2nd.
    assert "阳泉市：新提交，总分 100.00，第 1 名，优秀" in log.summary_lines()
    back = diff(snapshot(run(scheme, UNITS)), old)
    assert "阳泉市：未提交，不再计分（原总分 100.00，第 1 名）" in back.summary_lines()


def test_printed_lines_stay_short(scheme):
    """A previous result from other inputs: every row differs, the line is cut with a pointer."""
    many = {f"3.3.{k}a": "否" if k in (1, 2) else 1 for k in range(1, 12)}   # 3.3.1a, 3.3.2a are 是/否
    old = snapshot(run(scheme, {"太原市": {}, "大同市": {}, "阳泉市": {}}))
    log = diff(old, snapshot(run(scheme, {"太原市": many, "大同市": {}, "阳泉市": {}})))
    line = next(x for x in log.summary_lines() if x.startswith("太原市："))
    assert len(line) <= 120 + 40 and line.endswith("more in the sheet")
    assert "见“变更记录”表" in line


# --------------------------------------------------------------------------- group by group

def _pairs(scheme):
    """(old, new) results of the reruns an office meets, as snapshots are made of them."""
    base = run(scheme, UNITS)
    return {
        "nothing": (base, run(scheme, UNITS)),
        "one cell": (base, run(scheme, dict(UNITS, 阳泉市={"3.3.12a": 4}))),
        "rejected": (base, run(scheme, {"太原市": UNITS["太原市"], "大同市": UNITS["大同市"]}, rejected={"阳泉市": "1.1.1a"})),
        "arrives": (run(scheme, {"太原市": UNITS["太原市"], "大同市": UNITS["大同市"]}), base),
        "several": (base, run(scheme, {"太原市": {"3.3.12a": 3, "11.1a": 1}, "大同市": {}, "阳泉市": {"10.6a": 1, "10.6b": "说明" * 20000}})),
    }


def test_diff_by_group_is_the_diff_of_every_record(scheme):
    """Packed snapshots compared group by group, and a result against a previous
    snapshot, give the very change log of comparing every record (the long path)."""
    for name, (old_result, new_result) in _pairs(scheme).items():
        old, new = snapshot(old_result), snapshot(new_result)
        whole = diff(unpack(old), unpack(new))
        for log in (diff(old, new), diff_run(previous_of(old, "prev.xlsx"), new_result)):
            pd.testing.assert_frame_equal(log.cities, whole.cities, obj=name)
            pd.testing.assert_frame_equal(log.inputs, whole.inputs, obj=name)
        assert whole.empty == (name == "nothing")


def test_a_group_on_one_side_only_keeps_the_roster_order(scheme):
    """A unit whose inputs are gone from the new run while its figures stand: its
    old-only group comes after the new run's groups, yet the log keeps roster order."""
    long = long_snapshot(run(scheme, UNITS))
    gone = (long["kind"] == "input") & (long["city"] == "太原市")
    moved = long.copy()
    moved.loc[(long["kind"] == "input") & (long["city"] == "阳泉市"), "value"] = "9"
    old, new = pack(long), pack(moved[~gone])
    whole = diff(unpack(old), unpack(new))
    assert list(dict.fromkeys(whole.inputs["city"])) == ["太原市", "阳泉市"]
    pd.testing.assert_frame_equal(diff(old, new).inputs, whole.inputs)
    # The new run's order first: a roster that lists 阳泉市 before 太原市 now.
    first = moved["city"] == "阳泉市"
    new = pack(pd.concat([moved[first], moved[~first & ~gone]]))
    whole = diff(unpack(old), unpack(new))
    assert list(dict.fromkeys(whole.inputs["city"])) == ["阳泉市", "太原市"]
    pd.testing.assert_frame_equal(diff(old, new).inputs, whole.inputs)


def test_only_the_groups_that_differ_are_unpacked(scheme, monkeypatch):
    from assess_xlsx import changes

    unpacked = []
    records = changes._records
    monkeypatch.setattr(changes, "_records", lambda groups: unpacked.append(set(groups)) or records(groups))
    old_result, new_result = _pairs(scheme)["one cell"]
    old = snapshot(old_result)
    previous = previous_of(old, "prev.xlsx")
    diff_run(previous, new_result)
    # 阳泉市's figures and inputs, 太原市's rank: on both sides; nothing else is parsed.
    assert unpacked == [{("city", "阳泉市"), ("row", "阳泉市"), ("input", "阳泉市"), ("city", "太原市")}] * 2
    # The previous groups the same as the new ones were let go as they were compared.
    assert set(previous.groups) == unpacked[0]


def test_a_damaged_group_is_said_where_it_was_read(scheme):
    old_result, new_result = _pairs(scheme)["one cell"]
    old = snapshot(old_result)
    at = old.index[(old["kind"] == "input") & (old["city"] == "阳泉市")][0]
    old.at[at, "data"] = old.at[at, "data"][:-5]          # cut short: not JSON any more
    with pytest.raises(SnapshotError, match=r"^prev\.xlsx: 快照内容损坏 / snapshot damaged: "):
        diff(old, snapshot(new_result), "prev.xlsx")
    with pytest.raises(SnapshotError, match=r"^prev\.xlsx: 快照内容损坏 / snapshot damaged: "):
        diff_run(previous_of(old, "prev.xlsx"), new_result)
    old.loc[old["seq"] == "0", "seq"] = "零"               # a chunk's place not a number
    with pytest.raises(SnapshotError, match=r"^prev\.xlsx: 快照内容损坏"):
        diff(old, snapshot(new_result), "prev.xlsx")
    run_rows = old["kind"] == RUN_KIND
    damaged = pd.concat([old, pd.DataFrame([[RUN_KIND, "", "0", '[["","inbox"']], columns=SNAPSHOT_COLUMNS)])
    assert not run_rows.any()                              # made without an inbox: the record added here
    with pytest.raises(SnapshotError, match=r"^prev\.xlsx: 快照内容损坏"):
        snapshot_inbox(damaged, "prev.xlsx")


def test_freed_memory_is_given_back_where_the_c_library_allows(monkeypatch):
    import sys

    from assess_xlsx import heap

    assert heap.give_back() is (heap._malloc_trim is not None)
    if sys.platform.startswith("linux") and heap._malloc_trim is not None:
        assert heap._trim() is not None                    # glibc: malloc_trim found
    monkeypatch.setattr(sys, "platform", "darwin")
    assert heap._trim() is None                            # elsewhere: nothing to call


def _as_json_cells(packed):
    """A snapshot as versions before the deflated groups wrote it: each group's
    records as JSON text, CHUNK characters a cell, no dictionary rows."""
    import json

    rows = []
    for (kind, city), group in unpack(packed).groupby(["kind", "city"], sort=False):
        text = json.dumps(group[["code", "field", "value", "file", "cell"]].values.tolist(),
                          ensure_ascii=False, separators=(",", ":"))
        rows += [(kind, city, str(k), text[i:i + CHUNK]) for k, i in enumerate(range(0, len(text), CHUNK))]
    return pd.DataFrame(rows, columns=SNAPSHOT_COLUMNS)


def test_the_sheet_holds_each_group_deflated_against_its_kinds_dictionary(scheme):
    from assess_xlsx.changes import DICT_KIND, ZIPPED

    result = run(scheme, UNITS)
    packed = snapshot(result)
    kinds = packed["kind"].tolist()
    dicts = packed[packed["kind"] == DICT_KIND]
    # One dictionary per kind, each just before the first group of its kind.
    assert dicts["city"].tolist() == ["city", "row", "item", "input"]
    for at, kind in zip(dicts.index, dicts["city"]):
        assert kinds.index(kind) == at + 1
        assert dicts.at[at, "data"].startswith("[[")                    # the dictionary is JSON, in the clear
    groups = packed[packed["kind"] != DICT_KIND]
    assert groups["data"].str.startswith(ZIPPED).all()
    plain = _as_json_cells(packed)
    assert groups["data"].str.len().sum() * 3 < plain["data"].str.len().sum()
    pd.testing.assert_frame_equal(unpack(packed), long_snapshot(result).reset_index(drop=True))


def test_a_snapshot_written_as_json_by_an_earlier_version_is_still_compared(scheme):
    for name, (old_result, new_result) in _pairs(scheme).items():
        old = _as_json_cells(snapshot(old_result))
        assert old["data"].str.startswith("[").all()
        whole = diff(unpack(old), unpack(snapshot(new_result)))
        for log in (diff(old, snapshot(new_result)), diff_run(previous_of(old, "prev.xlsx"), new_result)):
            pd.testing.assert_frame_equal(log.cities, whole.cities, obj=name)
            pd.testing.assert_frame_equal(log.inputs, whole.inputs, obj=name)


def test_a_missing_dictionary_or_a_group_inflating_too_far_is_a_damaged_snapshot(scheme, monkeypatch):
    from assess_xlsx import changes

    old_result, new_result = _pairs(scheme)["one cell"]
    old = snapshot(old_result)
    no_dict = old[~((old["kind"] == changes.DICT_KIND) & (old["city"] == "input"))]
    with pytest.raises(SnapshotError, match=r"^prev\.xlsx: 快照内容损坏 / snapshot damaged: zdict 'input' missing"):
        diff_run(previous_of(no_dict, "prev.xlsx"), new_result)
    # A group that would inflate past the bound is refused, not inflated: 阳泉市's inputs here.
    monkeypatch.setattr(changes, "MAX_GROUP_BYTES", 100)
    with pytest.raises(SnapshotError, match=r"^prev\.xlsx: 快照内容损坏 / snapshot damaged: city: cut short, or over 100 bytes"):
        diff_run(previous_of(old, "prev.xlsx"), new_result)


def _log(rank_only: int):
    """A change log by hand: 阳泉市 corrected (a cell, its total and rank) and
    `rank_only` units whose rank alone moved, one place each."""
    from assess_xlsx.changes import ChangeLog

    cities = [("阳泉市", "", "total", "总分", "90.00", "95.00"), ("阳泉市", "", "rank", "名次", "30", "2")]
    cities += [(f"单位{k}", "", "rank", "名次", str(k + 2), str(k + 3)) for k in range(rank_only)]
    inputs = [("阳泉市", "3.3.12a", "4", "0", "阳泉市.xlsx", "G40")]
    return ChangeLog(cities=pd.DataFrame(cities, columns=["city", "code", "field", "label", "old", "new"]),
                     inputs=pd.DataFrame(inputs, columns=["city", "code", "old", "new", "file", "cell"]))


def test_ranks_that_merely_moved_are_counted_in_one_line_beyond_twenty():
    corrected = "阳泉市：总分 90.00 → 95.00，名次 30 → 2；输入变化 / inputs changed: 阳泉市.xlsx G40（3.3.12a）“4” → “0”"
    lines = _log(20).summary_lines()                   # twenty: each still printed
    assert lines[0] == corrected and len(lines) == 21
    assert lines[20] == "单位19：名次 21 → 22"
    assert _log(21).summary_lines() == [
        corrected, "另有 21 个单位仅名次随之变动，见“变更记录”表 / 21 more units moved in rank only; see the sheet"]
