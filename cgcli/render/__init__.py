"""Views of a Result: numbers formatted for people, Rich tables, and JSON for scripts."""

from __future__ import annotations

import math

import numpy as np

from ..interpret.values import is_fraction

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


def printable(text: str) -> str:
    """Text a user wrote (a comment in the program), safe to print: a control character
    (ESC, a bidi override) shows as its escape, \\x1b, instead of acting on the terminal."""
    if text.isprintable():
        return text
    # repr escapes exactly the characters that are not printable: \x1b, \t, \u202e.
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class Notation:
    """The symbols a view writes: Unicode by default, plain ASCII with --ascii."""

    def __init__(self, ascii: bool = False):
        self.ascii = ascii
        self.d = "d" if ascii else "\u2202"
        self.times = "*" if ascii else "\u00b7"

    def partial(self, top: str, bottom: str) -> str:
        """The derivative of `top` with respect to `bottom`: ∂f/∂x."""
        return f"{self.d}{top}/{self.d}{bottom}"

    def text(self, formula: str) -> str:
        """A formula from the op table in this notation."""
        return formula if self.ascii else formula.replace("*", self.times)


# The symbols the views use, and what they become in plain ASCII: one character
# for one, so that columns laid out for the one fit the other.
ASCII = str.maketrans(
    {"\u2248": "~", "\u2202": "d", "\u00b7": "*", "\u2191": "^", "\u2193": "v", "\u2026": "~"}
)


def plain(text: str) -> str:
    """Text for a stream that takes ASCII only: ≈ as ~, ∂ as d, and so on."""
    return text.translate(ASCII)


class AsciiOnly:
    """Render with ASCII guides, boxes and symbols whatever the terminal can show (for
    --ascii, and for streams that cannot carry more)."""

    def __init__(self, renderable):
        self.renderable = renderable

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        options = options.copy()
        options.encoding = "ascii"
        for segment in console.render(self.renderable, options):
            text = segment.text.translate(ASCII)
            yield segment if text == segment.text else Segment(text, *segment[1:])
