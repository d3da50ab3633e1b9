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
):
    """Parse `source`, then compute its value and every partial derivative at `values`.

    This is the call the `cg` commands make; it returns a `Result`. `kink` is
    what to do where an op is not differentiable ("subgradient": the README's
    conventions, "nan", or "error"); with `exact`, values are Fractions wherever
    every op on the way is rational. Values may be numpy arrays; an output that is
    an array needs `jacobian`.
    """
    import gc

    from .evaluate import evaluate
    from .parse import parse

    values = _checked(values or {})
    # A program makes a node object per operation and none of them form cycles:
    # the cyclic collector would only rescan them, over and over, as they pile up
    # (a tenth of the time at 10,000 terms, and the growth above linear).
    collecting = gc.isenabled()
    gc.disable()
    try:
        graph = parse(source, bound=values)
        return evaluate(graph, values, strict=strict, kink=kink, exact=exact, jacobian=jacobian)
    finally:
        if collecting:
            gc.enable()


def _checked(values: Mapping) -> dict:
    """The values, each a number or an array of numbers (a list becomes an array)."""
    import numbers

    import numpy as np

    checked = {}
    for name, value in values.items():
        if isinstance(value, list | tuple):
            value = np.asarray(value, dtype=np.float64)
        ok = isinstance(value, np.ndarray) and value.dtype.kind in "iuf"
        if not ok and (not isinstance(value, numbers.Real) or isinstance(value, bool)):
            raise TypeError(f"the value of {name} is {value!r}, not a number or an array")
        checked[name] = value
    return checked
