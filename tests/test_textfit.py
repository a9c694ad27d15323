"""Line counting for row heights: the fast path gives what filling a line
character by character gives.

textfit._count_lines places a run of double-width (CJK) characters by
arithmetic; here every text is also wrapped the plain way, one token at a time
(a word of Latin letters and digits never broken, a space run, any other
single character), and the two counts must agree.
"""

from __future__ import annotations

import random
import re

import pytest

from assess_xlsx import textfit as T

_TOKEN = re.compile(rf"[{T._WORD}]+|\s+|.", re.S)


def _reference(s: str, capacity: float) -> int:
    total = 0
    for paragraph in s.split("\n"):
        lines, used = 1, 0.0
        for token in _TOKEN.findall(paragraph):
            w = T.display_width(token)
            if used + w <= capacity:
                used += w
            elif token.isspace():
                used = capacity
            elif w > capacity:
                extra = used + w
                lines += int(extra // capacity)
                used = extra % capacity
            else:
                lines += 1
                used = w
        total += lines
    return total


ALPHABET = list("政务公开考核扣分每件未上报") + list("abc12.5%×−（）") + [" ", "“", "”", "、", "，", "\n", "①", "—"]


@pytest.mark.parametrize("seed", range(4))
def test_runs_counted_by_arithmetic_match_the_plain_fill(seed):
    rng = random.Random(seed)
    for _ in range(5000):
        s = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 120)))
        capacity = rng.choice([2, 3, 5, 7.5, 11, 20.3, 62.5, 100])
        assert T._count_lines(s, capacity) == _reference(s, capacity), (s, capacity)


def test_known_counts():
    # Column 60 at 10 pt holds 62 half-width units: 31 CJK characters a line.
    assert T.text_lines("扣" * 31, 60) == 1
    assert T.text_lines("扣" * 32, 60) == 2
    assert T.text_lines("扣" * 62, 60) == 2
    assert T.text_lines("扣" * 63, 60) == 3
    assert T.text_lines("扣" * 30 + "12345", 60) == 2       # the number is not broken
    assert T.text_lines("一\n二", 60) == 2
    assert T.text_lines("", 60) == 1 and T.text_lines(None, 60) == 1


SOURCES = list("河通县清荷市填报表核定考核办") + list("abcxlsGD0123456789./!_-") + [" ", "；", "é", "−", "😀", "\t"]


@pytest.mark.parametrize("seed", range(2))
def test_one_line_shortcut_only_for_texts_that_fit(seed):
    # text_lines answers 1 without filling when a bound on the width fits:
    # it must never say 1 where filling the line says more.
    rng = random.Random(seed)
    for _ in range(5000):
        s = "".join(rng.choice(SOURCES) for _ in range(rng.randint(1, 60)))
        width = rng.choice([9, 20, 30, 60])
        capacity = max((7 * width + 5 - T.CELL_PADDING_PX) / (10 * T.PX_PER_PT / 2), 2)
        assert T.text_lines(s, width) == _reference(s, capacity), (s, width)
    # The shortcut is what places a typical source cell on one line.
    assert T.text_lines("清荷市.xlsx 填报表!G7", 30) == 1
    assert T.text_lines("清荷市.xlsx 填报表!G7；核定/核定表_考核办.xlsx 核定表!D5", 30) == 2


@pytest.mark.parametrize("seed", range(2))
def test_texts_of_one_shape_share_a_count_and_each_is_right(seed):
    # text_lines caches a count by the text's shape (letters, digits -> "0", CJK
    # ideographs -> "中"): every text of a shape must wrap as the plain fill says.
    rng = random.Random(seed)
    letters, ideographs = "abcxyzGDAQ0123456789", "河通县清荷市填报表核定考核办一龘㐀䶵鿿"
    others = list("./!_-；（）−×“”、，①— \t") + ["é", "😀", "\u3000", "\u4dc0"]      # kept as they are
    for _ in range(400):
        pattern = [rng.choice(["L", "I", "O"]) for _ in range(rng.randint(1, 50))]
        fixed = [rng.choice(others) for _ in pattern]
        width = rng.choice([9, 20, 30, 60])
        capacity = max((7 * width + 5 - T.CELL_PADDING_PX) / (10 * T.PX_PER_PT / 2), 2)
        for _ in range(5):     # texts of one shape: the first fills the cache
            s = "".join(rng.choice(letters) if p == "L" else rng.choice(ideographs) if p == "I" else f
                        for p, f in zip(pattern, fixed))
            assert T.text_lines(s, width) == _reference(s, capacity), (s, width)
    assert "䷀".translate(T._SHAPE) == "䷀" and "é😀".translate(T._SHAPE) == "é😀"   # not shaped
    assert "龘㐀G7".translate(T._SHAPE) == "中中00"
