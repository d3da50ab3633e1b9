"""The formulas `explain` writes for the local derivatives of the array ops.

An array op's entry in the op table has, as its `partials`, one rule of this
module per argument. Given where the op is applied (a Site: the shapes, the
settings and the values), a rule writes one of two things:

- the local Jacobian ∂z/∂x itself (shape z.shape + x.shape), when explain shows
  it: when z is a number, or when the Jacobian has at most 2 dimensions and
  explain.JACOBIAN_ITEMS entries;
- otherwise the contribution of z to the gradient of x, G · ∂z/∂x summed over
  the elements of z, where G = ∂f/∂z is z's adjoint.

`broadcast` writes the same for an elementwise op whose argument was broadcast,
from the op's own (elementwise) partial.

Formulas are written in the op's argument names (x, y), G for the adjoint and
z for the op's own value, in cg's notation: `*` is elementwise, `@` the matrix
product, x.T the transpose, and numpy's outer, eye, diag and swapaxes where a
formula needs them. explain puts in the node names, and then the numbers.
"""

from __future__ import annotations

import re

import numpy as np

from .shapes import show

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Site:
    """An op applied: argument `p` of it, and what the formula may depend on."""

    __slots__ = ("p", "positions", "shapes", "out", "attrs", "args", "value", "jacobian")

    def __init__(self, p, positions, args, value, attrs, jacobian):
        self.p = p  # the argument the formula is about
        self.positions = positions  # every argument the same input is passed as
        self.args = args  # the arguments' values
        self.shapes = [np.shape(a) for a in args]
        self.value = value  # the op's value, z
        self.out = np.shape(value)
        self.attrs = attrs or {}
        self.jacobian = jacobian  # write the Jacobian (True) or the contribution (False)

    @property
    def shape(self) -> tuple:
        return self.shapes[self.p]

    def axis(self) -> int | None:
        axis = self.attrs.get("axis")
        return None if axis is None or not self.shape else axis % len(self.shape)


def subscripts(key: tuple) -> str:
    """x[1, 2:4] as it is written: the key of an index, without its brackets."""

    def one(k):
        if not isinstance(k, slice):
            return str(k)
        text = (
            ("" if k.start is None else str(k.start))
            + ":"
            + ("" if k.stop is None else str(k.stop))
        )
        return text + (f":{k.step}" if k.step is not None else "")

    return ", ".join(one(k) for k in key)


def _places(indices) -> str:
    """[0], [2] and [3]: positions in an array, as subscripts."""
    shown = [f"[{', '.join(map(str, index))}]" for index in indices]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _spread(text: str, site: Site) -> str:
    return f"{text} repeated along axis {site.axis()}"


# ----------------------------------------------------------------- products


def matmul(site: Site) -> str:
    nx, ny = len(site.shapes[0]), len(site.shapes[1])
    wide = max(nx, ny) > 2  # stacks of matrices
    if site.p == 0:
        if nx == 1 and ny == 1:
            return "y" if site.jacobian else "G * y"
        if nx == 1 and ny == 2:
            return "y.T" if site.jacobian else "y @ G"
        if nx == 2 and ny == 1:
            return "outer(G, y)"
        if not wide:
            return "G @ y.T"
        if nx == 1:
            return _stacks("y @ G", site)
        if ny == 1:
            return _stacks("outer(G, y)", site)
        return _stacks("G @ swapaxes(y, -1, -2)", site)
    if nx == 1 and ny == 1:
        return "x" if site.jacobian else "G * x"
    if nx == 2 and ny == 1:
        return "x" if site.jacobian else "G @ x"
    if nx == 1 and ny == 2:
        return "outer(x, G)"
    if not wide:
        return "x.T @ G"
    if nx == 1:
        return _stacks("outer(x, G)", site)
    if ny == 1:
        return _stacks("G @ x", site)
    return _stacks("swapaxes(x, -1, -2) @ G", site)


def _stacks(formula: str, site: Site) -> str:
    """A product of stacks of matrices: stack by stack where one side is a vector, and
    summed over the stacks that broadcasting added to the argument."""
    x, y = site.shapes
    if min(len(x), len(y)) == 1:
        formula += " stack by stack"
    stacks = np.broadcast_shapes(x[:-2], y[:-2])  # a vector has none
    if site.shape[:-2] != stacks:
        formula = f"({formula}) summed to shape {show(site.shape)}"
    return formula


# --------------------------------------------------------------- reductions


def sum_(site: Site) -> str:
    if site.jacobian:
        return "1 for each element" if site.shape else "1"
    return _spread("G", site)


def mean(site: Site) -> str:
    n = int(np.prod(site.shape, dtype=np.int64)) // max(1, int(np.prod(site.out, dtype=np.int64)))
    if site.jacobian:
        return "1" if n == 1 else f"1/{n} for each element"
    return f"({_spread('G', site)})/{n}"


def extreme(word: str):
    """The rule of max(x) (word "largest") or min(x) ("smallest")."""

    def rule(site: Site) -> str:
        if not site.jacobian:
            return f"G at the {word} element along axis {site.axis()} (ties share it), 0 elsewhere"
        x = np.asarray(site.args[0], dtype=np.float64)
        if not x.shape:
            return "1"
        hits = np.argwhere(x == site.value)
        count = len(hits)
        if count == 0 or (count > 4 and count != x.size):
            return f"1 where x is the {word} (ties share it), 0 elsewhere"
        if count == x.size:
            return "1" if count == 1 else f"1/{count} for each element (all tied)"
        share = "1" if count == 1 else f"1/{count}"
        why = f"the {word}" if count == 1 else f"tied for the {word}"
        return f"{share} at {_places(hits)} ({why}), 0 elsewhere"

    return rule


def logsumexp(site: Site) -> str:
    if site.jacobian:
        return "softmax(x)"
    axis = site.axis()
    return f"softmax(x, axis={axis}) * ({_spread('G', site)})"


def softmax(site: Site) -> str:
    if not site.shape:
        return "0"  # softmax of a number is 1, whatever the number
    if site.jacobian:
        return "diag(z) - outer(z, z)"
    if len(site.shape) == 1:
        return "z * (G - sum(G * z))"
    axis = site.axis()
    return f"z * (G - {_spread(f'sum(G * z, axis={axis})', site)})"


def norm(site: Site) -> str:
    zero = np.any(np.asarray(site.value) == 0)
    if site.jacobian:
        return "0 (the convention at a norm of 0)" if zero else "x/z"
    formula = f"({_spread('G', site)}) * x/({_spread('z', site)})"
    return formula + (" (0 where the norm is 0, by convention)" if zero else "")


# ---------------------------------------------------------------- structure


def transpose(site: Site) -> str:
    if site.jacobian:
        return "1" if not site.shape else f"eye({site.shape[0]})"
    return "G.T"


def reshape(site: Site) -> str:
    if site.jacobian:
        size = int(np.prod(site.shape, dtype=np.int64))
        return "1" if size == 1 else f"eye({size})"
    return f"G reshaped to {show(site.shape)}"


def index(site: Site) -> str:
    key = subscripts(site.attrs["key"])
    if site.jacobian:
        if int(np.prod(site.shape, dtype=np.int64)) == 1 and not site.out:
            return "1"
        if not site.out:
            return f"1 at [{key}], 0 elsewhere"
        return f"eye({site.shape[0]})[{key}]"
    return f"G at [{key}], 0 elsewhere"


def stack(site: Site) -> str:
    """[a, b, c], by the argument in position p (by all of them, for [a, a])."""
    if site.jacobian:
        if len(site.args) == 1:
            return "1"
        return f"1 at {_places([(q,) for q in site.positions])}, 0 elsewhere"
    return " + ".join(f"G[{q}]" for q in site.positions)


# ------------------------------------------------------------ broadcasting


def broadcast(partial: str, site: Site, arrays: set[str]) -> str:
    """An elementwise op whose argument p was broadcast, from its partial (a formula
    of the op table, elementwise); `arrays` are the arguments that are arrays."""
    simple = NAME.fullmatch(partial) is not None
    if site.jacobian:
        if not set(NAME.findall(partial)) & arrays:  # a number, the same for every element
            return f"{partial} for each element"
        if not site.shape:
            return partial
        # x is one element, as [2] or [[2]]: the partial has z's shape, the Jacobian more.
        return f"{partial if simple else f'({partial})'} reshaped to {show(site.out + site.shape)}"
    if partial in ("1", "-1"):
        product = partial[:-1] + "G"
    else:
        product = f"G * {partial if simple else f'({partial})'}"
    if not site.shape:
        return f"sum({product})" if product[0] != "-" else f"-sum({product[1:]})"
    if NAME.fullmatch(product) is None:
        product = f"({product})"
    return f"{product} summed to shape {show(site.shape)}"


def broadcast_to(site: Site) -> str:
    if site.jacobian:
        return "1 for each element" if not site.shape else f"eye({_size(site.shape)}) repeated"
    return f"G summed back to {show(site.shape)}"


def _size(shape: tuple) -> int:
    return int(np.prod(shape, dtype=np.int64))
