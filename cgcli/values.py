"""What a value is: a float64, a numpy array, or (under --exact) a Fraction; and how a
number is written for people (fmt), in the views and in messages alike.

These checks do not import `fractions` (and with it `decimal`) to ask: if it was
never imported, no value can be a Fraction. A one-shot `cg` spares the import.
"""

from __future__ import annotations

import math
import sys

import numpy as np


def is_fraction(value) -> bool:
    fractions = sys.modules.get("fractions")
    return fractions is not None and type(value) is fractions.Fraction


def to_float(value):
    """A Fraction as the nearest float64 (inf past the largest); anything else as it is."""
    if is_fraction(value):
        try:
            return np.float64(float(value))
        except OverflowError:
            return np.float64(np.inf if value > 0 else -np.inf)
    return value


FRACTION_WIDTH = 40  # longer exact values print as 17 digits and their length


def _long_fraction(value, precision: int | None) -> str:
    """An exact value too long to read: its leading digits, and how long it is."""
    from decimal import Context

    digits = precision or 17
    decimal = Context(prec=digits).divide(value.numerator, value.denominator)
    size = len(str(abs(value.numerator))) + (
        len(str(value.denominator)) if value.denominator != 1 else 0
    )
    return f"{decimal:.{digits - 1}e} (exact: {size} digits, shown in full by --json)"


def fmt(value, precision: int | None = None, exact: bool = False) -> str:
    """A number as people read it: 3 not 3.0, otherwise the shortest repr that round-trips;
    0 for a negative zero.

    With `precision`, N significant digits, the zeros among them kept (-0.590, not
    -0.59); a whole number of at most N digits stays whole (3, not 3.00). A Fraction
    prints as p/q; with `exact` (the --exact views), a float is marked ≈ as not exact.
    """
    if isinstance(value, np.ndarray) and value.ndim:
        return array(value, precision, width=None)
    if is_fraction(value):
        text = str(value)
        return text if len(text) <= FRACTION_WIDTH else _long_fraction(value, precision)
    if exact:
        return "\u2248" + fmt(value, precision)
    x = float(value)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    if x == 0:
        return "0"  # -0 too: for people, a negative zero is zero
    if x.is_integer() and abs(x) < (1e16 if precision is None else 10.0**precision):
        return str(int(x))  # whole, and exact
    if precision is not None:
        # N significant digits, the zeros among them kept: -0.590, 2.50, 1.23e+05.
        return f"{x:#.{precision}g}".replace(".e", "e").rstrip(".")
    return repr(x)


ARRAY_ITEMS = 24  # larger arrays print abbreviated, as numpy prints them


def array(value, precision: int | None = None, width: int | None = 60) -> str:
    """An array in numpy's layout, each number as fmt writes it: [1, 2.5, 3].

    With `width` None, on one line: [[1, 2], [3, 4]], for use inside a formula.
    """
    text = np.array2string(
        np.asarray(value, dtype=np.float64),
        separator=", ",
        threshold=ARRAY_ITEMS,
        edgeitems=3,
        max_line_width=width or 10**9,
        formatter={"float_kind": lambda v: fmt(v, precision)},
    )
    return " ".join(text.split()) if width is None else text


# How a number is written for machines (JSON): the same values, no formatting.
def number(value):
    """A float for JSON: non-finite values become the strings protobuf's JSON mapping uses.

    An array becomes nested lists of them.
    """
    if isinstance(value, np.ndarray) and value.ndim:
        array = np.asarray(value, dtype=np.float64)
        if np.isfinite(array).all():
            return array.tolist()
        return np.vectorize(number, otypes=[object])(array).tolist()
    x = float(to_float(value))
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def exact(value):
    """An exact value as a string ("2421/98", "3"), or None when it is a float."""
    return str(value) if is_fraction(value) else None
