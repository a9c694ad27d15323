"""Column letters and indexes, the one home of the conversion on the reading side.

The scheme reader and the intake name cells ('G12') in their findings; the
writer side has xlsxwriter's own helpers. Importing xlsxwriter for this one
function cost every run ~20 ms before its reading workers started, and a
`check` ~20 ms more when the scheme was read.
"""

from __future__ import annotations

from functools import lru_cache


def col_index(letters: str) -> int:
    """A column's letters as a 0-based index ('A' -> 0, 'AA' -> 26)."""
    n = 0
    for ch in letters.upper():
        n = n * 26 + ord(ch) - 64
    return n - 1


@lru_cache(maxsize=4096)
def col_name(index: int) -> str:
    """A 0-based column index as its letters (0 -> 'A', 26 -> 'AA'), as
    xlsxwriter.utility.xl_col_to_name gives it."""
    letters = ""
    index += 1
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters
