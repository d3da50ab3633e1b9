"""The rewrite rules: each one named, with the pattern it rewrites and whether it is exact.

A rule is exact when the node it builds has, for every value of the inputs, the
float64 value of the node it replaces bit for bit: ±0, ±inf, NaN and subnormals
included (NaN's sign bit aside, which IEEE 754 leaves to the hardware). Each
claim was checked against numpy, and tests/test_rewrite.py checks it again at
the special values. Rules that are not exact run only with assume_finite, which
takes every value to be a finite number and -0 to be the same as +0.

A rule is a function of the pass (`p`, see __init__.py) and the node's inputs
(ids in the graph being built) that returns the id of the node that replaces it,
or None where it does not apply. It may build nodes with p.make and p.constant.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Rule:
    name: str
    exact: bool  # the same float64 value, bit for bit, for every input
    pattern: str
    why: str  # why it is exact, or the values where it is not


# fmt: off
RULES: dict[str, Rule] = {r.name: r for r in [
    Rule("fold", True, "f(constants) → constant",
         "computed once with the op's own float64 rule, as evaluation would compute it"),
    Rule("cse", True, "a second f(x, y) → the first",
         "every op is a function of its inputs; x + y and y + x (x*y, y*x) round alike"),
    Rule("dead-code", True, "an unused node → removed", "nothing reads its value"),
    Rule("add-neg-zero", True, "x + (-0) → x", "-0 is the identity of addition: -0 + -0 = -0"),
    Rule("add-zero", False, "x + 0 → x", "-0 + 0 is +0, not -0"),
    Rule("sub-zero", True, "x - 0 → x", "x - 0 is x + (-0)"),
    Rule("sub-neg-zero", False, "x - (-0) → x", "-0 - (-0) is +0, not -0"),
    Rule("neg-zero-sub", True, "-0 - x → -x", "-0 - x is -0 + (-x), and -0 is the identity"),
    Rule("zero-sub", False, "0 - x → -x", "0 - 0 is +0 but -(0) is -0"),
    Rule("add-self", True, "x + x → 2*x", "both are 2x rounded once: doubling is exact, and both "
         "overflow at the same x"),
    Rule("add-neg", True, "x + (-y) → x - y", "IEEE 754 defines x - y as x + (-y)"),
    Rule("sub-neg", True, "x - (-y) → x + y", "IEEE 754 defines x - y as x + (-y)"),
    Rule("mul-one", True, "x*1 → x", "1 is the identity of multiplication, for inf and NaN too"),
    Rule("mul-neg-one", True, "x*(-1) → -x", "only the sign changes"),
    Rule("mul-self", True, "x*x → x^2", "cg computes x^2 as x*x (ops/rules.py power; numpy "
         "squares arrays)"),
    Rule("mul-neg-neg", True, "(-x)*(-y) → x*y", "rounding to nearest is symmetric in sign"),
    Rule("div-one", True, "x/1 → x", "1 is the identity of division"),
    Rule("div-neg-one", True, "x/(-1) → -x", "only the sign changes"),
    Rule("div-neg-neg", True, "(-x)/(-y) → x/y", "rounding to nearest is symmetric in sign"),
    Rule("pow-one", True, "x^1 → x", "pow(x, 1) is x, for ±0, inf and NaN too"),
    Rule("pow-zero", True, "x^0 → 1", "pow(x, ±0) is 1 even for inf and NaN (IEEE 754, C99); "
         "only where x's shape is known, as a 1 alone would lose it"),
    Rule("neg-neg", True, "-(-x) → x", "negation only flips the sign bit"),
    Rule("mul-zero", False, "x*0 → 0", "inf*0 and NaN*0 are NaN, and -3*0 is -0"),
    Rule("zero-div", False, "0/x → 0", "0/0 and 0/NaN are NaN, and 0/-3 is -0"),
    Rule("sub-self", False, "x - x → 0", "inf - inf and NaN - NaN are NaN"),
    Rule("div-self", False, "x/x → 1", "0/0, inf/inf and NaN/NaN are NaN"),
]}
# fmt: on

# Per op, the rules that may rewrite it, in the order they are tried.
IDENTITIES: dict[str, list[tuple[Rule, Callable]]] = {}


def rule(op: str, name: str):
    def register(fn):
        IDENTITIES.setdefault(op, []).append((RULES[name], fn))
        return fn

    return register


def filled(value, number: float) -> bool:
    """A constant (a number or a non-empty array) all of whose elements are `number`,
    zeros of the same sign as it."""
    if value is None:
        return False
    if type(value) is float:  # the common case: a scalar constant
        return value == number and (number != 0 or np.signbit(value) == np.signbit(number))
    a = np.asarray(value)
    if a.size == 0 or not np.all(a == number):
        return False
    return number != 0 or bool(np.all(np.signbit(a) == np.signbit(number)))


def zeros(value) -> bool:
    """A constant all of whose elements are 0 of either sign."""
    if type(value) is float:
        return value == 0
    return value is not None and np.size(value) > 0 and bool(np.all(np.asarray(value) == 0))


def keeps(p, x: int, c: int) -> bool:
    """x combined with the constant c has x's shape: c is a number, or x's shape is known
    and c broadcasts into it (x + zeros(3) for a number x would not)."""
    value = p.value[c]
    if type(value) is float or np.ndim(value) == 0:
        return True
    shape = p.shape[x]
    if shape is None:
        return False
    try:
        return np.broadcast_shapes(shape, np.shape(value)) == shape
    except ValueError:
        return False


def unit(p, x: int, y: int, number: float, either: bool):
    """x ∘ number → x, and number ∘ y → y where `either`."""
    if filled(p.value[y], number) and keeps(p, x, y):
        return x
    if either and filled(p.value[x], number) and keeps(p, y, x):
        return y
    return None


def negated(p, i: int):
    """The argument of i where i is -(something), else None."""
    node = p.new.nodes[i]
    return node.inputs[0] if node.op is p.NEG else None


# ---------------------------------------------------------------- + and -


@rule("add", "add-neg-zero")
def _add_neg_zero(p, x, y):
    return unit(p, x, y, -0.0, either=True)


@rule("add", "add-zero")
def _add_zero(p, x, y):
    return unit(p, x, y, 0.0, either=True)


@rule("add", "add-self")
def _add_self(p, x, y):
    return p.make("mul", (p.constant(2.0), x)) if x == y else None


@rule("add", "add-neg")
def _add_neg(p, x, y):
    if (b := negated(p, y)) is not None:
        return p.make("sub", (x, b))
    if (a := negated(p, x)) is not None:
        return p.make("sub", (y, a))
    return None


@rule("sub", "sub-zero")
def _sub_zero(p, x, y):
    return unit(p, x, y, 0.0, either=False)


@rule("sub", "sub-neg-zero")
def _sub_neg_zero(p, x, y):
    return unit(p, x, y, -0.0, either=False)


@rule("sub", "neg-zero-sub")
def _neg_zero_sub(p, x, y):
    return p.make("neg", (y,)) if filled(p.value[x], -0.0) and keeps(p, y, x) else None


@rule("sub", "zero-sub")
def _zero_sub(p, x, y):
    return p.make("neg", (y,)) if filled(p.value[x], 0.0) and keeps(p, y, x) else None


@rule("sub", "sub-neg")
def _sub_neg(p, x, y):
    b = negated(p, y)
    return p.make("add", (x, b)) if b is not None else None


@rule("sub", "sub-self")
def _sub_self(p, x, y):
    return p.filled(p.shape[x], 0.0) if x == y else None


# ---------------------------------------------------------------- * and /


@rule("mul", "mul-one")
def _mul_one(p, x, y):
    return unit(p, x, y, 1.0, either=True)


@rule("mul", "mul-neg-one")
def _mul_neg_one(p, x, y):
    if filled(p.value[y], -1.0) and keeps(p, x, y):
        return p.make("neg", (x,))
    if filled(p.value[x], -1.0) and keeps(p, y, x):
        return p.make("neg", (y,))
    return None


@rule("mul", "mul-zero")
def _mul_zero(p, x, y):
    if zeros(p.value[x]) or zeros(p.value[y]):
        return p.filled(p.result_shape("mul", (x, y)), 0.0)
    return None


@rule("mul", "mul-self")
def _mul_self(p, x, y):
    return p.make("pow", (x, p.constant(2.0))) if x == y else None


@rule("mul", "mul-neg-neg")
def _mul_neg_neg(p, x, y):
    a, b = negated(p, x), negated(p, y)
    return p.make("mul", (a, b)) if a is not None and b is not None else None


@rule("div", "div-one")
def _div_one(p, x, y):
    return unit(p, x, y, 1.0, either=False)


@rule("div", "div-neg-one")
def _div_neg_one(p, x, y):
    return p.make("neg", (x,)) if filled(p.value[y], -1.0) and keeps(p, x, y) else None


@rule("div", "div-neg-neg")
def _div_neg_neg(p, x, y):
    a, b = negated(p, x), negated(p, y)
    return p.make("div", (a, b)) if a is not None and b is not None else None


@rule("div", "zero-div")
def _zero_div(p, x, y):
    return p.filled(p.result_shape("div", (x, y)), 0.0) if zeros(p.value[x]) else None


@rule("div", "div-self")
def _div_self(p, x, y):
    return p.filled(p.shape[x], 1.0) if x == y else None


# ------------------------------------------------------------- ^ and neg


@rule("pow", "pow-one")
def _pow_one(p, x, y):
    return x if filled(p.value[y], 1.0) and keeps(p, x, y) else None


@rule("pow", "pow-zero")
def _pow_zero(p, x, y):
    return p.filled(p.result_shape("pow", (x, y)), 1.0) if zeros(p.value[y]) else None


@rule("neg", "neg-neg")
def _neg_neg(p, x):
    return negated(p, x)
