"""Command-line bindings `name=value`: checked strictly, so a value is never guessed."""

from __future__ import annotations

import re

from .errors import UsageError
from .ops import FUNCTIONS
from .shapes import MAX_DIMENSIONS

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
DECIMAL = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z")


def parse_bindings(args: list[str], exact: bool = False) -> dict:
    """Values by name: floats, or with `exact` Fractions (0.1 is 1/10, 1/3 is 1/3)."""
    values: dict = {}
    given: dict[str, str] = {}
    for arg in args:
        name, value = parse_binding(arg, exact)
        if name in values:
            raise UsageError(
                f"'{name}' is bound twice: {given[name]} and {arg}", "Give each variable one value."
            )
        values[name] = value
        given[name] = arg
    return values


def parse_binding(arg: str, exact: bool = False) -> tuple[str, float]:
    if "=" not in arg:
        raise UsageError(
            f"the binding '{arg}' is not of the form name=number",
            'Bindings follow the expression, as in: cg eval "x*y" x=2 y=3.',
        )
    name, _, text = arg.partition("=")
    name = name.strip()
    if not NAME.match(name):
        raise UsageError(
            f"in the binding '{arg}', '{name}' is not a name",
            "A name is letters, digits and _, not starting with a digit.",
        )
    if name in FUNCTIONS:
        raise UsageError(
            f"'{name}' is a function and cannot be given a value",
            "Rename the variable in the expression.",
        )
    text = text.strip()
    if text.startswith("["):
        return name, parse_array(text, arg)
    if text.startswith("@"):
        return name, read_array(text[1:], arg)
    if "/" in text:  # a fraction p/q of two decimals
        top, _, bottom = text.partition("/")
        parse_number(top, arg)
        if parse_number(bottom, arg) == 0 and _exact(bottom, arg) == 0:
            raise UsageError(f"in the binding '{arg}', the denominator is 0")
        value = _exact(top, arg) / _exact(bottom, arg)
        return name, value if exact else _float(value, arg)
    number = parse_number(text, arg)
    if exact:
        return name, _exact(text, arg)
    if underflows(text, number):
        raise too_small(text, arg)
    return name, number


def underflows(text: str, value: float) -> bool:
    """Whether a decimal that is not 0 reads as the float64 0 (1e-400)."""
    return value == 0 and re.search(r"[1-9]", re.split(r"[eE]", text)[0]) is not None


def too_small(what: str, arg: str, number: bool = True) -> UsageError:
    """A value that is not 0 but would be read as 0: refused, as one too large is."""
    return UsageError(
        f"in the binding '{_clip(arg)}', {_clip(what, 30)} is too small for a float64: it "
        "would be 0",
        "The smallest positive float64 is about 4.9e-324 (2.2e-308 with all its digits). "
        "Write 0 for zero"
        + (", or compute with the value as written with --exact." if number else "."),
    )


def _exact(text: str, arg: str):
    from .exact import exact_value

    value = exact_value(text)
    if value is None:
        raise UsageError(
            f"in the binding '{arg}', '{text}' has too many digits for exact arithmetic",
            "Leave out --exact, or write the value more briefly.",
        )
    return value


def _float(value, arg: str) -> float:
    try:
        result = float(value)
    except OverflowError:
        result = float("inf")
    if result in (float("inf"), float("-inf")):
        raise UsageError(f"in the binding '{_clip(arg)}', the value is too large for a float64")
    if result == 0 and value != 0:
        raise too_small("the value", arg)
    return result


def parse_number(text: str, arg: str) -> float:
    def bad(why, hint=None):
        return UsageError(f"in the binding '{_clip(arg)}', {why}", hint)

    whole, text = text, _clip(text, 30)  # the whole for reading, the start for messages

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
            f"'{text}' has an underscore", f"Write it without: {_clip(whole.replace('_', ''), 30)}."
        )
    if not DECIMAL.match(whole):
        raise bad(f"'{text}' is not a number", "Write a decimal number, as in -2.5 or 1e-3.")
    value = float(whole)
    if value in (float("inf"), float("-inf")):
        raise bad(
            f"'{text}' is too large for a float64", "The largest finite float64 is about 1.8e308."
        )
    return value


def read_values(path: str) -> list[str]:
    """Bindings from a file, as name=value texts: a JSON object of names and values
    (numbers or arrays), or name=value lines (# starts a comment)."""
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as err:
        reason = err.strerror if isinstance(err, OSError) else err
        raise UsageError(f"cannot read the values in {path}: {reason}") from None
    if text.lstrip().startswith(("{", "[")):
        try:
            # Numbers stay text, so that 0.1 means 1/10 under --exact.
            values = json.loads(text, parse_float=str, parse_int=str, parse_constant=lambda c: c)
            if not isinstance(values, dict):
                raise ValueError("the text is not an object, {...}")
            bindings = []
            for name, value in values.items():
                if not isinstance(value, str):
                    value = json.dumps(_floats(value, f"{name} in {path}"))
                bindings.append(f"{name}={value}")
            return bindings
        except (ValueError, RecursionError) as err:
            reason = "its arrays are nested too deeply" if isinstance(err, RecursionError) else err
            raise UsageError(
                f"{path} is not a JSON object of values: {reason}",
                'Write the values as {"x": 1.5, "W": [[1, 2], [3, 4]]}.',
            ) from None
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _floats(value, where: str = "x"):
    """An array read with its numbers as text, with numbers again; a loop, as the
    nesting is the user's."""

    def number(v):
        try:
            result = float(v) if isinstance(v, str) else v
        except ValueError:
            return v
        if isinstance(v, str) and underflows(v, result):
            raise too_small(v, where, number=False)
        return result

    if not isinstance(value, list):
        return number(value)
    root = []
    work = [(value, root)]
    while work:
        source, copy = work.pop()
        for v in source:
            if isinstance(v, list):
                copy.append([])
                work.append((v, copy[-1]))
            else:
                copy.append(number(v))
    return root


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

    try:
        value = json.loads(text, parse_constant=refuse, parse_float=decimal)
    except RecursionError:
        raise UsageError(
            f"in the binding '{_clip(arg)}', the array is nested too deeply",
            f"numpy arrays have at most {MAX_DIMENSIONS} dimensions.",
        ) from None
    except ValueError as err:
        raise UsageError(
            f"in the binding '{_clip(arg)}', the array is not readable: {err}",
            "Write arrays as [1, 2, 3] or [[1, 2], [3, 4]].",
        ) from None
    return _checked_array(value, arg)


def read_array(path: str, arg: str):
    """An array from a file: .npy (never unpickled), .csv (numbers only) or .json."""
    import numpy as np

    try:
        if path.endswith(".npy"):
            value = np.load(path, allow_pickle=False)
        elif path.endswith(".csv"):
            value = np.loadtxt(path, delimiter=",", dtype=np.float64)
            if not value.all():  # a 0: written as 0, or a number too small (1e-400)?
                texts = np.loadtxt(path, delimiter=",", dtype=str)[value == 0]
                small = next((t for t in np.ravel(texts) if underflows(t.strip(), 0.0)), None)
                if small is not None:
                    raise too_small(small.strip(), arg, number=False)
        elif path.endswith(".json"):
            with open(path, encoding="utf-8") as handle:
                return parse_array(handle.read(), arg)
        else:
            raise UsageError(
                f"in the binding '{arg}', cg reads arrays from .npy, .csv and "
                f".json files, not {path}"
            )
    except OSError as err:
        raise UsageError(
            f"in the binding '{arg}', cannot read {path}: {err.strerror or err}"
        ) from None
    except ValueError as err:
        raise UsageError(
            f"in the binding '{arg}', {path} does not hold an array of numbers: {err}"
        ) from None
    return _checked_array(value, arg)


def _checked_array(value, arg: str):
    import numpy as np

    depth, first = 0, value
    while isinstance(first, list) and first:
        depth, first = depth + 1, first[0]
    if depth > MAX_DIMENSIONS:
        raise UsageError(
            f"in the binding '{_clip(arg)}', the array has {depth} dimensions, "
            f"over numpy's {MAX_DIMENSIONS}"
        )
    try:
        array = np.array(value)
    except ValueError:
        raise UsageError(
            f"in the binding '{_clip(arg)}', the rows of the array have different lengths"
        ) from None
    if array.dtype.kind not in "iuf" or array.size == 0:
        raise UsageError(
            f"in the binding '{_clip(arg)}', an array must hold numbers",
            "Write arrays as [1, 2, 3] or [[1, 2], [3, 4]].",
        )
    array = array.astype(np.float64)
    if not np.isfinite(array).all():
        raise UsageError(
            f"in the binding '{_clip(arg)}', the array holds a number too large "
            "for a float64, or one that is not finite"
        )
    return array if array.ndim else np.float64(array)  # a 0-d array is a number


def _clip(text: str, width: int = 60) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."
