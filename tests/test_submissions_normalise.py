"""The normalisation rules on their own, column-wise, without files."""

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from assess_xlsx.figures import fmt
from assess_xlsx.roster import match_unit, unit_from_filename
from assess_xlsx.rules.inputs import normalise
from assess_xlsx.roster import DEFAULT_ROSTER

FULL_WIDTH = str.maketrans("0123456789.,%", "０１２３４５６７８９．，％")


def run(scheme, pairs):
    codes = pd.Series([c for c, _ in pairs], dtype=object)
    values = pd.Series([v for _, v in pairs], dtype=object)
    return normalise(codes, values, scheme.rules)


@settings(max_examples=80, deadline=None)
@given(n=st.integers(0, 10**9), form=st.sampled_from(["{}", "{}件", " {} ", "{}条", "{}.0", "{} 个"]),
       full=st.booleans(), as_number=st.booleans())
def test_counts_read_back_exactly(scheme, n, form, full, as_number):
    typed = float(n) if as_number else form.format(n)
    if full and not as_number:
        typed = typed.translate(FULL_WIDTH)
    out = run(scheme, [("3.3.8b", typed)])
    assert out.loc[0, "problem"] == ""
    assert out.loc[0, "number"] == n and out.loc[0, "text"] == str(n)


@settings(max_examples=80, deadline=None)
@given(h=st.integers(0, 10**8), as_number=st.booleans(), unit=st.booleans())
def test_amounts_are_exact_hundredths(scheme, h, as_number, unit):
    """An amount typed as text or stored as Excel's double comes back as the same hundredths."""
    typed = h / 100 if as_number else fmt(h) + ("分" if unit else "")
    out = run(scheme, [("10.6a", typed)])
    assert out.loc[0, "problem"] == ""
    assert out.loc[0, "number"] == h and out.loc[0, "text"] == fmt(h)


@settings(max_examples=50, deadline=None)
@given(h=st.integers(0, 10**6), k=st.integers(1, 9))
def test_a_third_decimal_is_rejected_never_rounded(scheme, h, k):
    out = run(scheme, [("11.7a", f"{fmt(h)}{k}")])
    assert out.loc[0, "problem"] == "value-decimals" and pd.isna(out.loc[0, "number"])


def test_percent_forms(scheme):
    out = run(scheme, [("9.1.1b", "4.5％"), ("9.1.1b", "４"), ("9.1.1b", 4.5), ("9.1.1b", "100%"),
                       ("9.1.1b", "100.01%"), ("9.1.1b", "4.555%"), ("9.1.1b", 0.5), ("9.1.1b", "0.5")])
    assert out["number"].tolist()[:4] == [450, 400, 450, 10000]
    assert out["problem"].tolist() == ["", "", "", "", "value-over-max", "value-decimals", "percent-fraction", ""]
    assert out.loc[7, "number"] == 50   # typed as text, "0.5" is 0.5%: only a stored number is suspect


def test_blank_cells_are_not_values(scheme):
    out = run(scheme, [("1.1.1a", ""), ("1.1.1a", "  "), ("1.1.1a", None), ("10.6b", "\u3000")])
    assert out["problem"].tolist() == ["blank"] * 4


def test_dates_and_booleans_in_number_cells(scheme):
    import datetime as dt

    out = run(scheme, [("3.3.3a", dt.datetime(2022, 1, 5)), ("3.3.3a", True), ("1.1.1a", True), ("1.1.1a", 2)])
    assert out["problem"].tolist() == ["value-not-number", "value-not-number", "", "value-not-yesno"]
    assert out.loc[0, "raw"] == "2022-01-05 00:00:00" and out.loc[2, "text"] == "是"


def test_unit_names():
    roster = DEFAULT_ROSTER
    assert match_unit("太原", roster) == "太原市"
    assert match_unit(" 晋中市 ", roster) == "晋中市"
    assert match_unit("太原市人民政府", roster) is None      # never guessed
    assert unit_from_filename("2022太原市政务公开考核表.xlsx", roster) == "太原市"
    assert unit_from_filename("晋中.ods", roster) == "晋中市"
    assert unit_from_filename("太原市-大同市.xlsx", roster) is None  # two units: no answer
    assert unit_from_filename("汇总.xlsx", roster) is None
