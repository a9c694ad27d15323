"""How much room a text takes in a spreadsheet cell: its display width, the lines
it wraps to in a column, and the row height those lines need.

Excel and LibreOffice do not grow a row for wrapped text written by a program
(nor ever for a merged cell), so the writers set every row height themselves
from these figures. One home for the arithmetic, used by the ranking
workbook and by the fill-in template.

The model: a column of width w (Excel's unit, the default font's digit,
7 px) holds 7w + 5 px; a CJK character at s pt is s pt wide, a Latin
character or digit about half that. Lines break between CJK characters and
at spaces, never inside a run of Latin letters or digits, which is why the
lines are counted by filling them word by word rather than by dividing.
"""

from __future__ import annotations

import re
import unicodedata

PX_PER_PT = 4 / 3
CELL_PADDING_PX = 8         # the cell's inner margins and the border
LINE_SPACING = 1.45         # Noto CJK (LibreOffice's stand-in for 等线/宋体): ascent + descent
ROW_PADDING_PT = 4

_WORD = r"A-Za-z0-9.,%:/+\-−×=()（）_!"
_RUNS = re.compile(rf"[{_WORD}]+|\s+|[^{_WORD}\s]+")    # a word, a space run, a run of other characters
_BREAKABLE = re.compile(rf"[^{_WORD}\s]")


def display_width(text: str) -> int:
    """Columns a text needs: CJK and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


# Token -> display width, for text_lines: the audit's ~180,000 sentences of a national
# run are made of a few thousand distinct characters and numbers. Bounded.
_TOKEN_WIDTHS: dict[str, int] = {}
# (the text's shape, capacity) -> lines: a national run's audit repeats its labels
# and many of its sentences thousands of times. Bounded, like the token widths.
_LINES: dict[tuple[str, float], int] = {}
_CACHE_MAX = 200_000


class _Shape(dict):
    """str.translate's table for a text's shape, filled in as characters are met."""

    def __missing__(self, cp: int):
        ch = chr(cp)
        shape = self[cp] = "0" if ch.isascii() and ch.isalnum() else "中" if 0x3400 <= cp < 0x4DC0 or 0x4E00 <= cp < 0xA000 else cp
        return shape


# _LINES is keyed by the text's shape: each ASCII letter and digit as "0", each CJK
# ideograph as "中". The count depends only on each character's width and on which
# characters a line may break between, both of which the shape keeps, so texts that
# differ only there wrap alike: "太原市.xlsx 填报表!G40" and "大同市.xlsx 填报表!G41",
# the audit's 180,000 source cells, share a handful of counts.
_SHAPE = _Shape()


def text_lines(text, width: float, font_size: float = 10) -> int:
    """How many lines `text` takes when wrapped in a column of `width` (Excel units)
    at `font_size` points; explicit line breaks count. An empty text takes one line."""
    s = "" if text is None else str(text)
    if not s:
        return 1
    # Capacity in half-width units (a CJK character is two) for this font size.
    capacity = max((7 * width + 5 - CELL_PADDING_PX) / (font_size * PX_PER_PT / 2), 2)
    if "\n" not in s and (2 * len(s) <= capacity or len(s) + (len(s.encode("utf-8")) - len(s)) / 2 <= capacity):
        # It fits on one line: even all double-width, or by a bound on its width
        # (a character of k UTF-8 bytes counted 1 + (k - 1) / 2 columns: 1 for
        # ASCII, 2 for CJK, never less than it takes). "河通县.xlsx 填报表!G7" and
        # the like: most of a national run's 180,000 source cells.
        return 1
    key = (s.translate(_SHAPE), capacity)
    lines = _LINES.get(key)
    if lines is None:
        if len(_LINES) > _CACHE_MAX:
            _LINES.clear()
        lines = _LINES[key] = _count_lines(s, capacity)
    return lines


def _count_lines(s: str, capacity: float) -> int:
    # Tokens: a word (no break inside), a space run, or a run of characters a line
    # may break between (CJK): such a run, all double-width, is placed by arithmetic
    # rather than character by character; the result is the same.
    total = 0
    widths = _TOKEN_WIDTHS
    per_line = int(capacity // 2)          # double-width characters a full line holds
    for paragraph in s.split("\n"):
        lines, used = 1, 0.0
        for token in _RUNS.findall(paragraph):
            w = widths.get(token)
            if w is None:
                if len(widths) > _CACHE_MAX:
                    widths.clear()
                w = widths[token] = display_width(token)
            if used + w <= capacity:
                used += w
            elif token.isspace():
                used = capacity            # a space at the end of a line is dropped
            elif _BREAKABLE.match(token):
                if w == 2 * len(token):    # all double-width
                    k = len(token) - int((capacity - used) // 2)    # characters past this line
                    full, rest = divmod(k, per_line)
                    lines += full + (1 if rest else 0)
                    used = 2 * (rest or per_line)
                else:
                    for ch in token:
                        cw = widths.get(ch) or display_width(ch)
                        if used + cw <= capacity:
                            used += cw
                        else:
                            lines += 1
                            used = cw
            elif w > capacity:            # a word longer than the line is broken anywhere
                extra = used + w
                lines += int(extra // capacity)
                used = extra % capacity
            else:
                lines += 1
                used = w
        total += lines
    return total


def row_height(cells, font_size: float = 10, at_least: int = 1) -> float:
    """Points a row needs for its wrapped `cells`, given as (text, column width) pairs."""
    lines = max([at_least] + [text_lines(t, w, font_size) for t, w in cells])
    return round(lines * font_size * LINE_SPACING + ROW_PADDING_PT, 1)


def lines_height(lines: int, font_size: float = 10) -> float:
    """Points for `lines` lines of text at `font_size`."""
    return round(max(lines, 1) * font_size * LINE_SPACING + ROW_PADDING_PT, 1)


def page_breaks(blocks, usable: float, first_page_used: float = 0) -> list[int]:
    """Rows before which a new page must start so that no block is split.

    `blocks`: (first row, height in pt) of each run of rows to keep together, in
    order; `usable`: the body height of a page (less the repeated header rows);
    `first_page_used`: what precedes the first block on page one (titles).
    A block taller than a page starts a page of its own and is split by the
    office suite as it must.
    """
    breaks, used = [], first_page_used
    for row, height in blocks:
        if used + height > usable and used > 0:
            breaks.append(row)
            used = 0
        used += height
    return breaks
