"""The op table: every operation's forward rule, derivative rule and formula, side by side.

Each entry names its arguments, computes its value with numpy, gives one
vector-Jacobian rule per argument (the cotangent `g` of the output times the
local partial), and writes that local partial as a formula in the argument
names for `explain`. The grammar's functions, the evaluator, the docs and the
gradient tests all read this table; a new op is one entry.

Rules are written for float64 scalars and arrays alike, and they are evaluated
under `np.errstate(all="ignore")`: singular points give inf or NaN as IEEE says,
and the evaluator reports where such a value first appears. At the points where
an op is not differentiable the rules follow PyTorch (see README.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

LN2 = math.log(2.0)
LN10 = math.log(10.0)


class Op:
    __slots__ = ("name", "args", "forward", "vjp", "partials", "symbol")

    def __init__(self, name, args, forward, vjp, partials, symbol=None):
        self.name: str = name
        self.args: tuple[str, ...] = args  # argument names, as the formulas use them
        self.forward: Callable = forward
        self.vjp: tuple[Callable, ...] = vjp  # per argument: (g, out, *args) -> g * dout/darg
        self.partials: tuple[str, ...] = partials  # per argument: dout/darg in `args`
        self.symbol: str | None = symbol  # infix operator (prefix, for one argument)

    def __repr__(self):
        return f"Op({self.name!r})"

    @property
    def arity(self) -> int:
        return len(self.args)

    def show(self, operands: list[str], times: str = "*") -> str:
        """The op applied to already-formatted operands: `a + b`, `-a`, `sin(a)`.

        `times` is the multiplication sign: `*`, or `·` where Unicode is welcome.
        """
        if self.symbol is None:
            return f"{self.name}({', '.join(operands)})"
        if self.arity == 1:
            return f"{self.symbol}{operands[0]}"
        if self.symbol == "^":
            return f"{operands[0]}^{operands[1]}"
        return f" {times if self.symbol == '*' else self.symbol} ".join(operands)


def _sigmoid(x):
    # exp of a non-positive number only: no overflow, full precision on both sides.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def _dsigmoid(x):
    e = np.exp(-np.abs(x))
    return e / ((1.0 + e) * (1.0 + e))


def _softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _dtanh(x):
    # sech(x)^2 = 4e/(1+e)^2 with e = exp(-2|x|): no cancellation in 1 - tanh^2.
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def _one_minus_square(x):
    # 1 - x^2 as (1 - x)(1 + x): exact near |x| = 1, where it matters.
    return (1.0 - x) * (1.0 + x)


def _tie(x, y, g, loses):
    # min and max split ties equally between the two arguments, as PyTorch does.
    return np.where(x == y, g / 2.0, np.where(loses, 0.0, g))


def _op(name, args, forward, vjp, partials, symbol=None):
    return Op(name, tuple(args.split()), forward, vjp, partials, symbol)


# fmt: off
OPS: dict[str, Op] = {op.name: op for op in [
    _op("add", "x y", np.add,
        (lambda g, z, x, y: g,
         lambda g, z, x, y: g),
        ("1", "1"), "+"),
    _op("sub", "x y", np.subtract,
        (lambda g, z, x, y: g,
         lambda g, z, x, y: -g),
        ("1", "-1"), "-"),
    _op("mul", "x y", np.multiply,
        (lambda g, z, x, y: g * y,
         lambda g, z, x, y: g * x),
        ("y", "x"), "*"),
    _op("div", "x y", np.divide,
        (lambda g, z, x, y: g / y,
         lambda g, z, x, y: -g * z / y),  # x/y^2 as (x/y)/y: no overflow in y^2
        ("1/y", "-x/y^2"), "/"),
    _op("pow", "x y", np.power,
        (lambda g, z, x, y: np.where(y == 0, 0.0, g * y * np.power(x, y - 1.0)),
         lambda g, z, x, y: np.where((x == 0) & (y >= 0), 0.0, g * z * np.log(x))),
        ("y*x^(y-1)", "x^y*log(x)"), "^"),
    _op("neg", "x", np.negative,
        (lambda g, z, x: -g,),
        ("-1",), "-"),
    _op("sin", "x", np.sin, (lambda g, z, x: g * np.cos(x),), ("cos(x)",)),
    _op("cos", "x", np.cos, (lambda g, z, x: -g * np.sin(x),), ("-sin(x)",)),
    _op("tan", "x", np.tan, (lambda g, z, x: g * (1.0 + z * z),), ("1 + tan(x)^2",)),
    _op("asin", "x", np.arcsin,
        (lambda g, z, x: g / np.sqrt(_one_minus_square(x)),), ("1/sqrt(1 - x^2)",)),
    _op("acos", "x", np.arccos,
        (lambda g, z, x: -g / np.sqrt(_one_minus_square(x)),), ("-1/sqrt(1 - x^2)",)),
    _op("atan", "x", np.arctan, (lambda g, z, x: g / (1.0 + x * x),), ("1/(1 + x^2)",)),
    _op("sinh", "x", np.sinh, (lambda g, z, x: g * np.cosh(x),), ("cosh(x)",)),
    _op("cosh", "x", np.cosh, (lambda g, z, x: g * np.sinh(x),), ("sinh(x)",)),
    _op("tanh", "x", np.tanh, (lambda g, z, x: g * _dtanh(x),), ("1 - tanh(x)^2",)),
    _op("exp", "x", np.exp, (lambda g, z, x: g * z,), ("exp(x)",)),
    _op("log", "x", np.log, (lambda g, z, x: g / x,), ("1/x",)),
    _op("log2", "x", np.log2, (lambda g, z, x: g / (x * LN2),), ("1/(x*log(2))",)),
    _op("log10", "x", np.log10, (lambda g, z, x: g / (x * LN10),), ("1/(x*log(10))",)),
    _op("sqrt", "x", np.sqrt, (lambda g, z, x: g / (2.0 * z),), ("1/(2*sqrt(x))",)),
    _op("abs", "x", np.abs, (lambda g, z, x: g * np.sign(x),), ("sign(x)",)),
    _op("relu", "x", lambda x: np.maximum(x, 0.0),
        (lambda g, z, x: np.where(x > 0, g, 0.0),), ("1 if x > 0 else 0",)),
    _op("sigmoid", "x", _sigmoid,
        (lambda g, z, x: g * _dsigmoid(x),), ("sigmoid(x)*(1 - sigmoid(x))",)),
    _op("softplus", "x", _softplus, (lambda g, z, x: g * _sigmoid(x),), ("sigmoid(x)",)),
    _op("min", "x y", np.minimum,
        (lambda g, z, x, y: _tie(x, y, g, x > y),
         lambda g, z, x, y: _tie(x, y, g, y > x)),
        ("1 if x < y, 1/2 if x = y, else 0", "1 if y < x, 1/2 if x = y, else 0")),
    _op("max", "x y", np.maximum,
        (lambda g, z, x, y: _tie(x, y, g, x < y),
         lambda g, z, x, y: _tie(x, y, g, y < x)),
        ("1 if x > y, 1/2 if x = y, else 0", "1 if y > x, 1/2 if x = y, else 0")),
    _op("atan2", "y x", np.arctan2,
        # x/(x^2+y^2) as (x/h)/h with h = hypot(x, y): no overflow in the squares.
        (lambda g, z, y, x: g * (x / np.hypot(x, y)) / np.hypot(x, y),
         lambda g, z, y, x: -g * (y / np.hypot(x, y)) / np.hypot(x, y)),
        ("x/(x^2 + y^2)", "-y/(x^2 + y^2)")),
]}
# fmt: on

# Operators are ops too; these are the names a program may call as functions.
OPERATORS = ("add", "sub", "mul", "div", "neg")
FUNCTIONS: dict[str, Op] = {name: op for name, op in OPS.items() if name not in OPERATORS}

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
