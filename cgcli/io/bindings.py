"""Command-line bindings `name=value`: checked strictly, so a value is never guessed.
(Files of values, x=@FILE and --values FILE, are read by valuefiles.py; the text
of one value by literals.py.)"""

from __future__ import annotations

from ..errors import UsageError, shown
from ..interpret.budget import check_budget
from .literals import (
    check_name,
    exact_number,
    fraction,
    parse_array,
    parse_number,
    too_small,
    underflows,
)
from .valuefiles import read_array


def parse_bindings(args: list, exact: bool = False, budget: int | None = None) -> dict:
    """Values by name: floats, or with `exact` Fractions (0.1 is 1/10, 1/3 is 1/3).

    An item of `args` is a `name=value` text, or (name, array, where) for an array
    read_values has already read."""
    import numpy as np

    values: dict = {}
    given: dict[str, str] = {}
    spent = 0  # bytes of the arrays bound so far
    for arg in args:
        if isinstance(arg, tuple):  # an array from a --values file, read already
            name, value, origin = arg
            check_name(name, origin)
        else:
            name, value = parse_binding(arg, exact, budget, spent)
            origin = arg
        if name in values:
            raise UsageError(
                f"'{shown(name, 30)}' is bound twice: {shown(given[name], 60)} and "
                f"{shown(origin, 60)}",
                "Give each variable one value.",
            )
        spent += value.nbytes if isinstance(value, np.ndarray) else 0
        check_budget(spent, f"the arrays bound up to {shown(origin, 60)}", budget)
        values[name] = value
        given[name] = origin
    return values


def parse_binding(
    arg: str, exact: bool = False, budget: int | None = None, spent: int = 0
) -> tuple[str, float]:
    if "=" not in arg:
        raise UsageError(
            f"the binding '{shown(arg, 60)}' is not of the form name=number",
            'Bindings follow the expression, as in: cg eval "x*y" x=2 y=3.',
        )
    name, _, text = arg.partition("=")
    name = name.strip()
    check_name(name, f"the binding '{shown(arg, 60)}'")
    text = text.strip()
    if text.startswith("["):
        return name, parse_array(text, arg)
    if text.startswith("@"):
        return name, read_array(text[1:], arg, budget, spent)
    if "/" in text:  # a fraction p/q of two decimals
        return name, fraction(text, arg, exact)
    number = parse_number(text, arg)
    if exact:
        return name, exact_number(text, arg)
    if underflows(text, number):
        raise too_small(text, arg)
    return name, number
