"""Views of a Result: numbers formatted for people, Rich tables, and JSON for scripts."""

from __future__ import annotations

import math


def fmt(value, precision: int | None = None) -> str:
    """A number as people read it: 3 not 3.0, otherwise the shortest repr that round-trips.

    With `precision`, that many significant digits.
    """
    x = float(value)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if precision is not None:
        return f"{x:.{precision}g}"
    if x.is_integer() and abs(x) < 1e16:
        return "-0" if x == 0 and math.copysign(1.0, x) < 0 else str(int(x))
    return repr(x)
