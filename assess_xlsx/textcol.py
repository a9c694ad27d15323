"""Text columns: the audit's sentences built for many units at once.

The audit's text columns are numpy object arrays of str: `+` on them joins
element-wise as Series would, without pandas' per-operation overhead (a
run builds ~1,500 such columns, mostly of a handful of units).
"""

from __future__ import annotations

from .figures import fmt_short, round_half_up_div
from .lazy import lazy

# numpy at first use: a reading worker loads the rules, never numpy (lazy.py).
np = lazy("numpy", __name__, "np")


def _short(h) -> np.ndarray:
    """Hundredths as the short text read aloud, vectorised: 150 -> '1.5', 200 -> '2'."""
    a = np.asarray(h, dtype="int64")
    if a.size > 64:      # thousands of units, a few distinct amounts: each made once
        distinct, where = np.unique(a, return_inverse=True)
        return _s([fmt_short(x) for x in distinct.tolist()])[where.reshape(-1)]
    return _s([fmt_short(x) for x in a.tolist()])


def _pct(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den as a percentage with two decimals, rounded half-up: '33.33%'."""
    hp = round_half_up_div(num * 10000, den)
    return _s([f"{v // 100}.{v % 100:02d}%" for v in np.asarray(hp, dtype="int64").tolist()])


def _s(values) -> np.ndarray:
    """A text column: a 1-D object array (a str becomes a column of one)."""
    out = np.empty(len(values), dtype=object)
    out[:] = list(values) if not isinstance(values, np.ndarray) else values
    return out


def _txt(values) -> np.ndarray:
    """Numbers (or anything) as a text column."""
    return _s([str(v) for v in np.asarray(values).tolist()])


def _join(columns: list[np.ndarray], sep: str) -> np.ndarray:
    """Join text columns element-wise, skipping empty pieces."""
    if not columns:
        return _s([])
    out = columns[0]
    for col in columns[1:]:
        both = (out != "") & (col != "")
        out = out + _s(np.where(both, sep, "")) + col
    return out

