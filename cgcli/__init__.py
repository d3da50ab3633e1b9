"""cg: a computational-graph differentiator.

>>> import cgcli
>>> result = cgcli.run("(a+b)*(b-c)", {"a": 1, "b": 2, "c": 3})
>>> float(result.output), {k: float(v) for k, v in result.gradient.items()}
(-3.0, {'a': -1.0, 'b': 2.0, 'c': -3.0})
"""

from __future__ import annotations

from collections.abc import Mapping

__version__ = "0.1.0"


def run(
    source: str,
    values: Mapping[str, float] | None = None,
    *,
    strict: bool = False,
    kink: str = "subgradient",
    exact: bool = False,
    jacobian: bool = False,
    max_memory: int | str | None = 1 << 30,
    optimize: bool = False,
):
    """Parse `source`, then compute its value and every partial derivative at `values`.

    This is the call the `cg` commands make; it returns a `Result`. `kink` is
    what to do where an op is not differentiable ("subgradient": the README's
    conventions, "nan", or "error"); with `exact`, values are Fractions wherever
    every op on the way is rational. Values may be numpy arrays; an output that is
    an array needs `jacobian`. Every value is taken as a float64 (a Fraction with
    `exact`); one that is not a number is a TypeError. `max_memory` (bytes, or a
    size such as "512M" or "4G"; None for no limit) is the memory budget: arrays
    that would not fit it are refused before they are computed. With `optimize`,
    the graph evaluated is the one the safe rewrites make (`cg optimize`).
    """
    from .graph import collector_paused
    from .interpret.budget import parse_size
    from .interpret.evaluate import evaluate
    from .language.parse import parse

    budget = None if max_memory is None else parse_size(max_memory)
    values = _checked(values if values is not None else {}, exact)
    with collector_paused():  # a node per operation, and no cycles among them
        graph = parse(source, bound=values)
        if optimize:
            from .transform.optimize import optimized

            graph = optimized(graph)
        return evaluate(
            graph,
            values,
            strict=strict,
            kink=kink,
            exact=exact,
            jacobian=jacobian,
            max_memory=budget,
        )


def _checked(values: Mapping, exact: bool = False) -> dict:
    """The values as cg computes with them: float64 numbers and arrays (Fractions
    with `exact`), so that no integer arithmetic wraps around and no mask is lost;
    a TypeError for anything that is not a number, a ValueError for a number too
    large for a float64."""
    if not isinstance(values, Mapping):
        raise TypeError(f"values must map names to numbers, not be a {type(values).__name__}")
    checked = {}
    for name, value in values.items():
        if not isinstance(name, str):
            raise TypeError(f"the names of values are strings, not {_shown(name)}")
        checked[name] = _value(name, value, exact)
    return checked


def _value(name: str, value, exact: bool):
    import numpy as np

    if isinstance(value, np.ma.MaskedArray):
        raise TypeError(
            f"the value of {name} is a masked array, and cg computes with every element: "
            f"pass {name}.filled(...) or {name}.compressed() instead"
        )
    if isinstance(value, list | tuple) or (isinstance(value, np.ndarray) and value.ndim):
        return _array(name, value)
    if isinstance(value, np.ndarray):  # 0-d: a number
        value = _array(name, value)[()]
    if not _is_number(value):
        raise TypeError(f"the value of {name} is {_shown(value)}, not a number or an array")
    if exact and not isinstance(value, float):
        from fractions import Fraction

        try:
            return Fraction(int(value) if isinstance(value, np.integer) else value)
        except (ValueError, OverflowError):  # a Decimal that is not finite
            pass
    try:
        number = np.float64(float(value))
    except OverflowError:
        number = np.float64(np.inf)
    if not np.isfinite(number) and _finite(value):
        raise ValueError(f"the value of {name} is too large for a float64")
    return number


def _array(name: str, value):
    """An array of float64 from an array, or nested lists, of real numbers."""
    import numpy as np

    try:
        numeric = isinstance(value, np.ndarray) and value.dtype.kind in "iuf"
        items = value if numeric else np.array(value, dtype=object)
    except ValueError as err:  # more dimensions than numpy takes
        raise ValueError(f"the value of {name} is not an array numpy can hold: {err}") from None
    if not numeric:
        for item in items.flat:
            if not _is_number(item):
                what = (
                    "rows of different lengths"
                    if isinstance(item, list | tuple | np.ndarray)
                    else _shown(item)
                )
                raise TypeError(f"the value of {name} holds {what}, not only numbers")
    too_large = ValueError(f"the value of {name} holds a number too large for a float64")
    try:
        with np.errstate(over="ignore"):
            array = np.asarray(items, dtype=np.float64)
    except OverflowError:  # a Python integer past float64's range
        raise too_large from None
    if not np.isfinite(array).all():
        finite = np.isfinite(items).all() if numeric else all(_finite(v) for v in items.flat)
        if finite:
            raise too_large
    return array


def _decimal() -> tuple:
    """The Decimal type, if the decimal module was ever imported: if it was not, no
    value can be one (and a one-shot `cg` spares the import)."""
    import sys

    module = sys.modules.get("decimal")
    return (module.Decimal,) if module is not None else ()


def _is_number(value) -> bool:
    """A real number: not a bool, a complex number, a string or None."""
    import numbers

    import numpy as np

    if isinstance(value, bool | np.bool_):
        return False
    return isinstance(value, (numbers.Real, *_decimal()))


def _finite(value) -> bool:
    """Whether a number is finite where it stands (an int or a Fraction always is)."""
    import numpy as np

    if isinstance(value, _decimal()):
        return value.is_finite()
    if isinstance(value, float | np.floating):
        return bool(np.isfinite(value))
    return True


def _shown(value) -> str:
    """A value as a TypeError names it: its repr, bounded, with control characters escaped."""
    from .errors import shown

    return shown(repr(value), 60)
