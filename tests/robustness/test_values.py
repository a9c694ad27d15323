"""Every wrong value of the reader's list (issue 3), in every kind of input
(是/否, count, amount, percent, score, rank, level), in every file format, and
the unit problems: two files for one city, a file named for another city.

Four cities get a spoilt workbook each in one inbox (a code appears once per
workbook); the other seven must score exactly as in the clean run.
"""

from __future__ import annotations

import pytest

from .corpus import values_of

# city -> {code: (typed, finding)}; every row is one wrong value in its own cell.
WRONG = {
    "太原市": {
        # 是/否
        "1.1.1a": ("可能", "value-not-yesno"),
        "1.2.1a": ("x", "value-not-yesno"),               # ambiguous: never guessed
        "1.2.2a": (2, "value-not-yesno"),
        "1.2.3a": ("是否", "value-not-yesno"),
        "3.1.1a": (False, None),                           # a FALSE cell is an unambiguous 否: accepted, noted
        # counts
        "2.1.1a": ("很多", "value-not-number"),
        "2.1.1b": (-1, "value-negative"),
        "2.1.2a": (2.5, "value-fractional"),
        "2.1.3a": ("2元", "value-unit"),
        "4.1.1a": (3, "value-over-max"),
        "3.3.3a": ("1e3", "value-not-number"),
        "3.3.3b": ("123456789012345", "value-not-number"),  # longer than any count
        "3.3.4a": ("95%", "value-unit"),
        "3.3.4b": ("两件", "value-not-number"),
        "1.2.2b": ("3项", "value-over-max"),
        "8.2.2a": ("5个季度", "value-over-max"),
        "3.3.5a": (True, "value-not-number"),              # a TRUE cell is no count
        # score, amounts, percent, ranks, level
        "3.1.4a": (2.5, "score-over-points"),
        "10.6a": ("很多", "value-not-number"),
        "11.7a": (-0.5, "value-negative"),
        "9.1.1b": (0.04, "percent-fraction"),
        "10.2a": (0, "value-below-min"),
        "10.2b": ("52.5", "value-fractional"),
        "1.2.4a": ("部分制定", "value-not-level"),
    },
    "大同市": {
        "3.1.4a": (-1, "value-negative"),
        "10.6a": ("1.005", "value-decimals"),
        "11.7a": ("2元", "value-unit"),
        "9.1.1b": ("4.5%%", "value-percent-doubled"),
        "10.2a": ("第一名", "value-not-number"),
        "10.2b": (-3, "value-negative"),
        "1.2.4a": (1, "value-not-level"),
        "3.3.6a": (10**15, "value-not-number"),             # a huge number: 1e+15 as a float
        "3.3.10b": (1e20, "value-not-number"),
        "3.3.7a": ("-0.5", "value-negative"),
        "3.2.1a": ("", None),                               # left empty: see MISSING
    },
    "阳泉市": {
        "3.1.4a": ("1.555", "value-decimals"),
        "9.1.1b": (101, "value-over-max"),
        "1.2.4a": ("制定", "value-not-level"),
        "10.2a": ("1.5名", "value-fractional"),
        "11.7a": (1, None),                                 # with 11.7b left empty: note-required
        "3.3.8a": (1300, None), "3.3.8b": (1200, None),     # part above the whole: rate-numerator-exceeds
        "3.3.9a": (0, None), "3.3.9b": (0, None),           # a zero whole: rate-zero-denominator
    },
    "长治市": {
        "3.1.4a": ("满分", "value-not-number"),
        "9.1.1b": (-4, "value-negative"),
        "1.2.4a": ("", None),                               # left empty: see MISSING
    },
}
CROSS = {
    "阳泉市": {"11.7b": "note-required", "3.3.8a": "rate-numerator-exceeds", "3.3.9b": "rate-zero-denominator"},
    "大同市": {"3.2.1a": "input-missing"},
    "长治市": {"1.2.4a": "input-missing"},
}


@pytest.mark.parametrize("fmt", ["xlsx", "xlsm", "xls", "ods"])
def test_every_wrong_value_in_every_kind_of_input(case, row_of, fmt):
    for city, wrong in WRONG.items():
        case.drop(city)
        case.fill(f"{city}.{fmt}", values_of(city) | {c: v for c, (v, _) in wrong.items()}, city=city, fmt=fmt)
    out = case.run()
    expected = {(f"{city}.{fmt}", row_of[code], finding)
                for city, wrong in WRONG.items() for code, (_, finding) in wrong.items() if finding}
    expected |= {(f"{city}.{fmt}", row_of[code], finding) for city, found in CROSS.items() for code, finding in found.items()}
    expected.add((f"太原市.{fmt}", row_of["3.1.1a"], "value-read-as"))     # FALSE read as 否, with a note
    assert out.found == expected
    by_cell = {(f.file, f.cell): f for f in out.sub.report}
    for city, wrong in WRONG.items():
        for code in wrong:
            f = by_cell.get((f"{city}.{fmt}", row_of[code]))
            if f is not None:
                assert (f.city, f.input) == (city, code)
    assert by_cell[(f"太原市.{fmt}", row_of["3.3.3a"])].value == "1e3"
    assert by_cell[(f"大同市.{fmt}", row_of["3.3.6a"])].value == "1e+15"
    assert by_cell[(f"太原市.{fmt}", row_of["9.1.1b"])].note == "4"
    v = out.sub.values.set_index(["city", "code"])
    assert v.loc[("太原市", "3.1.1a"), "text"] == "否"
    # rejected values are never passed on
    bad = {(city, code) for city, wrong in WRONG.items() for code, (_, finding) in wrong.items() if finding}
    assert not bad & set(zip(out.sub.values["city"], out.sub.values["code"]))
    for city in WRONG:
        assert out.status(city) == "rejected"
    out.others_unchanged(*WRONG)


# --------------------------------------------------------------------------- which city

def test_two_files_claiming_one_city_with_different_values(case, row_of):
    # 大同市's clean file, and a late 补报 file from another office changing one value
    case.fill("大同市-补报.xlsx", values_of("大同市") | {"3.3.10a": 30}, city="大同市")
    out = case.run()
    assert out.found == {("大同市-补报.xlsx", row_of["3.3.10a"], "value-conflict")}
    f = out.finding("value-conflict")
    assert (f.value, f.expected, f.note) == ("30", "57", f"大同市.xlsx 填报表!{row_of['3.3.10a']}")
    assert out.status("大同市") == "rejected"
    out.others_unchanged("大同市")


def test_the_same_file_twice_is_no_conflict(case):
    case.write("太原市 - 副本.xlsx", case.clean_bytes("太原市"))     # Windows' name for a copy
    out = case.run()
    assert out.found == set()
    out.others_unchanged()


def test_a_file_named_for_one_city_holding_another(case):
    # 阳泉市 sent 大同市's sheet by mistake (copied the neighbour's file and renamed it)
    case.drop("阳泉市")
    case.write("阳泉市.xlsx", case.clean_bytes("大同市"))
    out = case.run()
    assert out.found == {("阳泉市.xlsx", "B2", "city-disagrees")}
    f = out.finding("city-disagrees")
    assert (f.value, f.expected, f.city) == ("大同市", "阳泉市", "阳泉市")
    # Held back: not merged into 大同市 (scored from its own file), 阳泉市 waits for the clerk.
    assert out.status("阳泉市") == "rejected"
    out.others_unchanged("阳泉市")


def test_a_unit_not_in_the_roster(case):
    case.drop("长治市")
    case.fill("长治市.xlsx", values_of("长治市"), city="北京市")
    out = case.run()
    assert out.found == {("长治市.xlsx", "B2", "city-unknown")}
    assert out.status("长治市") == "rejected"
    out.others_unchanged("长治市")
