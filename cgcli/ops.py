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


class Kink:
    """A point where an op is not differentiable (or its derivative is infinite).

    `where(*args)` is a number that is 0 exactly at the point and changes sign
    across it, so that a finite-difference check can tell when it straddles it.
    `args` are the arguments whose partial derivative is a convention there.
    """

    __slots__ = ("point", "where", "convention", "args")

    def __init__(self, point: str, where: Callable, convention: str, args=(0,)):
        self.point = point
        self.where = where
        self.convention = convention
        self.args = args


class Op:
    __slots__ = (
        "name",
        "args",
        "forward",
        "vjp",
        "partials",
        "symbol",
        "exact",
        "exact_vjp",
        "kinks",
    )

    def __init__(
        self, name, args, forward, vjp, partials, symbol=None, exact=None, exact_vjp=None, kinks=()
    ):
        self.name: str = name
        self.args: tuple[str, ...] = args  # argument names, as the formulas use them
        self.forward: Callable = forward
        self.vjp: tuple[Callable, ...] = vjp  # per argument: (g, out, *args) -> g * dout/darg
        self.partials: tuple[str, ...] = partials  # per argument: dout/darg in `args`
        self.symbol: str | None = symbol  # infix operator (prefix, for one argument)
        # On Fractions: the forward rule and the VJPs, each giving None where the
        # result is not rational (or the op has none: exact is None). Arithmetic
        # ops reuse their float VJPs, which are plain arithmetic.
        self.exact: Callable | None = exact
        self.exact_vjp: tuple[Callable, ...] | None = exact_vjp or (vjp if exact else None)
        self.kinks: tuple[Kink, ...] = kinks

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


def _atan2_partial(a, b):
    # a/(a^2 + b^2) as (a/h)/h with h = hypot(a, b): no overflow in the squares;
    # 0 at the origin, as PyTorch has it.
    h = np.hypot(a, b)
    return np.where(h == 0, 0.0, (a / h) / h)


def _tie(x, y, g, loses):
    # min and max split ties equally between the two arguments, as PyTorch does.
    return np.where(x == y, g / 2.0, np.where(loses, 0.0, g))


def _rational(fn):
    """An exact rule from plain arithmetic: no value where it would divide by 0."""

    def rule(*args):
        try:
            return fn(*args)
        except ZeroDivisionError:
            return None

    return rule


def _qsign(x):
    return (x > 0) - (x < 0)


def _qtie(x, y, g, loses):
    return g / 2 if x == y else (0 if loses else g)


def _qpow(x, y):
    # Rational only for an integer exponent, and only while the result stays small.
    if y.denominator != 1 or (x == 0 and y < 0):
        return None
    bits = max(x.numerator.bit_length(), x.denominator.bit_length())
    if bits * abs(y.numerator) > EXACT_BITS:
        raise OverflowError("too large for exact arithmetic")
    return x ** int(y)


def _qpow_dx(g, z, x, y):
    if y == 0:
        return 0 * g
    power = _qpow(x, y - 1)
    return None if power is None else g * y * power


def _qpow_dy(g, z, x, y):
    # x^y log(x) is rational only where log(x) = 0 or the convention says 0.
    return 0 * g if (x == 0 and y >= 0) or x == 1 else None


# Exact arithmetic stops (and falls back to float64) past numerators or
# denominators of this many bits.
EXACT_BITS = 4096

AT_ZERO = lambda x: x  # noqa: E731 - the kink of relu, abs, sqrt, log, ...
INFINITE = "the derivative is inf, as in PyTorch and JAX"
TIE = "each argument gets half the derivative, as PyTorch and JAX do"


def _op(name, args, forward, vjp, partials, symbol=None, exact=None, exact_vjp=None, kinks=()):
    return Op(name, tuple(args.split()), forward, vjp, partials, symbol, exact, exact_vjp, kinks)


# fmt: off
OPS: dict[str, Op] = {op.name: op for op in [
    _op("add", "x y", np.add,
        (lambda g, z, x, y: g,
         lambda g, z, x, y: g),
        ("1", "1"), "+", exact=_rational(lambda x, y: x + y)),
    _op("sub", "x y", np.subtract,
        (lambda g, z, x, y: g,
         lambda g, z, x, y: -g),
        ("1", "-1"), "-", exact=_rational(lambda x, y: x - y)),
    _op("mul", "x y", np.multiply,
        (lambda g, z, x, y: g * y,
         lambda g, z, x, y: g * x),
        ("y", "x"), "*", exact=_rational(lambda x, y: x * y)),
    _op("div", "x y", np.divide,
        (lambda g, z, x, y: g / y,
         lambda g, z, x, y: -g * z / y),  # x/y^2 as (x/y)/y: no overflow in y^2
        ("1/y", "-x/y^2"), "/", exact=_rational(lambda x, y: x / y),
        kinks=(Kink("y = 0", lambda x, y: y, "x/0 is inf, -inf or NaN as IEEE 754 says, "
                    "and so is -x/y^2", (0, 1)),)),
    _op("pow", "x y", np.power,
        (lambda g, z, x, y: np.where(y == 0, 0.0, g * y * np.power(x, y - 1.0)),
         lambda g, z, x, y: np.where((x == 0) & (y >= 0), 0.0, g * z * np.log(x))),
        ("y*x^(y-1)", "x^y*log(x)"), "^", exact=_qpow, exact_vjp=(_qpow_dx, _qpow_dy),
        kinks=(Kink("x = 0", lambda x, y: x, "the derivative in y is taken as 0 for y >= 0, as "
                    "PyTorch and JAX do (x^y log(x) would be 0*inf); -inf for y < 0", (1,)),
               Kink("x = 0, y < 1", lambda x, y: np.where(y < 1, x, 1.0),
                    "the derivative in x is y*0^(y-1): inf for 0 < y < 1, 0 for y = 0", (0,)))),
    _op("neg", "x", np.negative,
        (lambda g, z, x: -g,),
        ("-1",), "-", exact=_rational(lambda x: -x)),
    _op("sin", "x", np.sin, (lambda g, z, x: g * np.cos(x),), ("cos(x)",)),
    _op("cos", "x", np.cos, (lambda g, z, x: -g * np.sin(x),), ("-sin(x)",)),
    _op("tan", "x", np.tan, (lambda g, z, x: g * (1.0 + z * z),), ("1 + tan(x)^2",)),
    _op("asin", "x", np.arcsin,
        (lambda g, z, x: g / np.sqrt(_one_minus_square(x)),), ("1/sqrt(1 - x^2)",),
        kinks=(Kink("x = -1 or 1", _one_minus_square, INFINITE),)),
    _op("acos", "x", np.arccos,
        (lambda g, z, x: -g / np.sqrt(_one_minus_square(x)),), ("-1/sqrt(1 - x^2)",),
        kinks=(Kink("x = -1 or 1", _one_minus_square, "the derivative is -inf, as in "
                    "PyTorch and JAX"),)),
    _op("atan", "x", np.arctan, (lambda g, z, x: g / (1.0 + x * x),), ("1/(1 + x^2)",)),
    _op("sinh", "x", np.sinh, (lambda g, z, x: g * np.cosh(x),), ("cosh(x)",)),
    _op("cosh", "x", np.cosh, (lambda g, z, x: g * np.sinh(x),), ("sinh(x)",)),
    _op("tanh", "x", np.tanh, (lambda g, z, x: g * _dtanh(x),), ("1 - tanh(x)^2",)),
    _op("exp", "x", np.exp, (lambda g, z, x: g * z,), ("exp(x)",)),
    _op("log", "x", np.log, (lambda g, z, x: g / x,), ("1/x",),
        kinks=(Kink("x = 0", AT_ZERO, "the value is -inf and " + INFINITE),)),
    _op("log2", "x", np.log2, (lambda g, z, x: g / (x * LN2),), ("1/(x*log(2))",),
        kinks=(Kink("x = 0", AT_ZERO, "the value is -inf and " + INFINITE),)),
    _op("log10", "x", np.log10, (lambda g, z, x: g / (x * LN10),), ("1/(x*log(10))",),
        kinks=(Kink("x = 0", AT_ZERO, "the value is -inf and " + INFINITE),)),
    _op("sqrt", "x", np.sqrt, (lambda g, z, x: g / (2.0 * z),), ("1/(2*sqrt(x))",),
        kinks=(Kink("x = 0", AT_ZERO, INFINITE),)),
    _op("abs", "x", np.abs, (lambda g, z, x: g * np.sign(x),), ("sign(x)",),
        exact=abs, exact_vjp=(lambda g, z, x: g * _qsign(x),),
        kinks=(Kink("x = 0", AT_ZERO, "the derivative is taken as 0, as PyTorch does "
                    "(JAX takes 1)"),)),
    _op("relu", "x", lambda x: np.maximum(x, 0.0),
        (lambda g, z, x: np.where(x > 0, g, 0.0),), ("1 if x > 0 else 0",),
        exact=lambda x: max(x, 0 * x), exact_vjp=(lambda g, z, x: g if x > 0 else 0 * g,),
        kinks=(Kink("x = 0", AT_ZERO, "the derivative is taken as 0, as PyTorch and JAX "
                    "do"),)),
    _op("sigmoid", "x", _sigmoid,
        (lambda g, z, x: g * _dsigmoid(x),), ("sigmoid(x)*(1 - sigmoid(x))",)),
    _op("softplus", "x", _softplus, (lambda g, z, x: g * _sigmoid(x),), ("sigmoid(x)",)),
    _op("min", "x y", np.minimum,
        (lambda g, z, x, y: _tie(x, y, g, x > y),
         lambda g, z, x, y: _tie(x, y, g, y > x)),
        ("1 if x < y, 1/2 if x = y, else 0", "1 if y < x, 1/2 if x = y, else 0"),
        exact=min, exact_vjp=(lambda g, z, x, y: _qtie(x, y, g, x > y),
                              lambda g, z, x, y: _qtie(x, y, g, y > x)),
        kinks=(Kink("x = y", lambda x, y: x - y, TIE, (0, 1)),)),
    _op("max", "x y", np.maximum,
        (lambda g, z, x, y: _tie(x, y, g, x < y),
         lambda g, z, x, y: _tie(x, y, g, y < x)),
        ("1 if x > y, 1/2 if x = y, else 0", "1 if y > x, 1/2 if x = y, else 0"),
        exact=max, exact_vjp=(lambda g, z, x, y: _qtie(x, y, g, x < y),
                              lambda g, z, x, y: _qtie(x, y, g, y < x)),
        kinks=(Kink("x = y", lambda x, y: x - y, TIE, (0, 1)),)),
    _op("atan2", "y x", np.arctan2,
        (lambda g, z, y, x: g * _atan2_partial(x, y),
         lambda g, z, y, x: -g * _atan2_partial(y, x)),
        ("x/(x^2 + y^2)", "-y/(x^2 + y^2)"),
        kinks=(Kink("x = y = 0", lambda y, x: np.hypot(x, y), "the derivatives are taken as "
                    "0, as PyTorch does (JAX gives NaN)", (0, 1)),)),
]}
# fmt: on

# Operators are ops too; these are the names a program may call as functions.
OPERATORS = ("add", "sub", "mul", "div", "neg")
FUNCTIONS: dict[str, Op] = {name: op for name, op in OPS.items() if name not in OPERATORS}

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
