"""Exact figures: every score is an integer number of hundredths (分 × 100).

Binary floats never hold a score: 0.1 + 0.2 must be 0.30, and two cities with
the same total must tie. Rule amounts are decimal strings in the rules file and
become integer hundredths here; rates are integer fractions rounded half-up.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from .errors import FigureError

HUNDRED = 100


def to_hundredths(value: str | int | Decimal) -> int:
    """'0.5' -> 50; refuses anything that is not an exact multiple of 0.01."""
    try:
        d = Decimal(str(value))
    except InvalidOperation as exc:
        raise FigureError(f"not a number: {value!r}") from exc
    scaled = d * HUNDRED
    if scaled != scaled.to_integral_value():
        raise FigureError(f"more than two decimals: {value!r}")
    return int(scaled)


def round_half_up_div(numerator, denominator):
    """Integer numerator/denominator rounded half-up, vectorised.

    Works on Python ints and on numpy int64 arrays; both operands must be
    non-negative (all scoring quantities are). Used for rates: a/b × 200 is
    computed as round_half_up_div(200 * a, b), never through a float.
    """
    return (2 * numerator + denominator) // (2 * denominator)


def fmt(hundredths: int) -> str:
    """1250 -> '12.50'; -75 -> '-0.75'. The one way figures become text."""
    h = int(hundredths)
    sign = "-" if h < 0 else ""
    q, r = divmod(abs(h), HUNDRED)
    return f"{sign}{q}.{r:02d}"


def fmt_all(values) -> list[str]:
    """fmt of each of `values`, each distinct value formatted once: a national
    run's hundreds of thousands of figures take a few hundred distinct values."""
    done: dict[int, str] = {}
    out = []
    for v in values:
        text = done.get(v)
        if text is None:
            text = done[v] = fmt(v)
        out.append(text)
    return out


def fmt_short(hundredths: int) -> str:
    """1250 -> '12.5', 200 -> '2', 25 -> '0.25': for sentences read aloud."""
    text = fmt(hundredths)
    return text.rstrip("0").rstrip(".") if "." in text else text
