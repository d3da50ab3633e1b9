"""The text of one value, checked strictly so that a value is never guessed: a
name, a decimal number, a fraction p/q, an array written as JSON, and the
refusals of numbers too large or too small for a float64."""

from __future__ import annotations

import re

from ..errors import UsageError, shown
from ..ops import EXACT_BITS, FUNCTIONS
from ..ops.shapes import MAX_DIMENSIONS

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def check_name(name: str, where: str) -> None:
    if not NAME.match(name):
        raise UsageError(
            f"in {where}, '{shown(name, 30)}' is not a name",
            "A name is letters, digits and _, not starting with a digit.",
        )
    if name in FUNCTIONS:
        raise UsageError(
            f"'{name}' is a function and cannot be given a value",
            "Rename the variable in the expression.",
        )


def underflows(text: str, value: float) -> bool:
    """Whether a decimal that is not 0 reads as the float64 0 (1e-400)."""
    return value == 0 and re.search(r"[1-9]", re.split(r"[eE]", text)[0]) is not None


def too_small(what: str, arg: str, number: bool = True, where: str | None = None) -> UsageError:
    """A value that is not 0 but would be read as 0: refused, as one too large is.
    `where` begins the message (in the binding 'x=...', unless told)."""
    where = where or f"in the binding '{shown(arg, 60)}'"
    return UsageError(
        f"{where}, {shown(what, 30)} is too small for a float64: it would be 0",
        "The smallest positive float64 is about 4.9e-324 (2.2e-308 with all its digits). "
        "Write 0 for zero"
        + (", or compute with the value as written with --exact." if number else "."),
    )


def fraction(text: str, arg: str, exact: bool):
    """p/q, exactly where it can be: the Fraction under --exact, else its nearest float."""
    from ..interpret.exact import exact_value

    top, _, bottom = text.partition("/")
    numerator, denominator = parse_number(top, arg), parse_number(bottom, arg)
    p, q = exact_value(top), exact_value(bottom)
    if q == 0 or (q is None and not re.search(r"[1-9]", re.split("[eE]", bottom)[0])):
        raise UsageError(f"in the binding '{shown(arg, 60)}', the denominator is 0")
    if p is not None and q is not None:
        return p / q if exact else _float(p / q, arg)
    if exact:
        exact_number(top if p is None else bottom, arg)  # says which has too many digits
    if denominator == 0:
        raise UsageError(
            f"in the binding '{shown(arg, 60)}', the denominator {shown(bottom, 30)} is too "
            "small for a float64: it would be 0",
            "The smallest float64 is about 4.9e-324; write the value as one number.",
        )
    return _float(numerator / denominator, arg)


def exact_number(text: str, arg: str):
    from ..interpret.exact import exact_value

    value = exact_value(text)
    if value is None:
        raise UsageError(
            f"in the binding '{shown(arg, 60)}', '{shown(text, 30)}' has too many digits for "
            f"exact arithmetic (its numbers would pass {EXACT_BITS} bits)",
            "Leave out --exact, or write the value more briefly.",
        )
    return value


def _float(value, arg: str) -> float:
    try:
        result = float(value)
    except OverflowError:
        result = float("inf")
    if result in (float("inf"), float("-inf")):
        raise UsageError(f"in the binding '{shown(arg, 60)}', the value is too large for a float64")
    if result == 0 and value != 0:
        raise too_small("the value", arg)
    return result


def parse_number(text: str, arg: str) -> float:
    def bad(why, hint=None):
        return UsageError(f"in the binding '{shown(arg, 60)}', {why}", hint)

    whole, text = text, shown(text, 30)  # the whole for reading, the ends for messages

    if not whole:
        raise bad("there is no value after '='", "Write a number, as in x=2.5.")
    if not whole.isascii():
        import unicodedata

        char = next(c for c in whole if not c.isascii())
        what = unicodedata.name(char, f"U+{ord(char):04X}")
        if unicodedata.category(char) == "Nd":
            raise bad(
                f"'{char}' ({what}) is not an ASCII digit",
                f"Type {unicodedata.digit(char)} instead.",
            )
        raise bad(
            f"'{char}' ({what}) is not part of a number",
            "'-' must be the ASCII hyphen-minus." if "MINUS" in what or "DASH" in what else None,
        )
    lowered = whole.lower().lstrip("+-")
    if lowered in ("nan", "inf", "infinity"):
        raise bad(f"'{text}' is not a finite number", "Values must be finite decimal numbers.")
    if re.match(r"0[xob]", lowered):
        raise bad(f"'{text}' is not a decimal number", "Write the value in decimal.")
    if "_" in whole:
        raise bad(
            f"'{text}' has an underscore", f"Write it without: {shown(whole.replace('_', ''), 30)}."
        )
    if not DECIMAL.match(whole):
        raise bad(f"'{text}' is not a number", "Write a decimal number, as in -2.5 or 1e-3.")
    value = float(whole)
    if value in (float("inf"), float("-inf")):
        raise bad(
            f"'{text}' is too large for a float64", "The largest finite float64 is about 1.8e308."
        )
    return value


def parse_array(text: str, arg: str):
    """[1, 2, 3] or [[1, 2], [3, 4]]: JSON's syntax, finite numbers only."""
    import json

    def refuse(literal):
        raise ValueError(f"{literal} is not a finite number")

    def decimal(literal):
        value = float(literal)
        if underflows(literal, value):
            raise too_small(literal, arg, number=False)
        return value

    for word in ('"', "true", "false", "null"):  # an array of numbers holds none of these
        if word in text:
            raise UsageError(
                f"in the binding '{shown(arg, 60)}', the array holds "
                + ("a string" if word == '"' else word)
                + ": an array must hold numbers",
                "Write arrays as [1, 2, 3] or [[1, 2], [3, 4]].",
            )
    try:
        # Integers as floats: 10^20 is a number too, and no digit limit applies.
        value = json.loads(text, parse_constant=refuse, parse_int=float, parse_float=decimal)
    except RecursionError:
        raise UsageError(
            f"in the binding '{shown(arg, 60)}', the array is nested too deeply",
            f"numpy arrays have at most {MAX_DIMENSIONS} dimensions.",
        ) from None
    except ValueError as err:
        raise UsageError(
            f"in the binding '{shown(arg, 60)}', the array is not readable: {shown(str(err), 100)}",
            "Write arrays as [1, 2, 3] or [[1, 2], [3, 4]].",
        ) from None
    return checked_array(value, arg)


def checked_array(value, arg: str, where: str | None = None):
    import numpy as np

    where = where or f"in the binding '{shown(arg, 60)}'"
    depth, first = 0, value
    while isinstance(first, list) and first:
        depth, first = depth + 1, first[0]
    if depth > MAX_DIMENSIONS:
        raise UsageError(
            f"{where}, the array has {depth} dimensions, over numpy's {MAX_DIMENSIONS}"
        )
    try:
        array = np.array(value)
    except ValueError:
        raise UsageError(f"{where}, the rows of the array have different lengths") from None
    if array.dtype.kind not in "iuf" or array.size == 0:
        raise UsageError(
            f"{where}, an array must hold numbers",
            "Write arrays as [1, 2, 3] or [[1, 2], [3, 4]].",
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise UsageError(
            f"{where}, the array holds a number too large for a float64, or one that is not finite"
        )
    return array if array.ndim else np.float64(array)  # a 0-d array is a number
