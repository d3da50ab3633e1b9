"""The op table: every operation's forward rule, derivative rule and formula, side by side.

Each entry names its arguments, computes its value with numpy, gives one
vector-Jacobian rule per argument (the cotangent `g` of the output times the
local partial), and writes that local partial as a formula in the argument
names for `explain`. Optional columns: exact rules on Fractions, the kinks
where the op is not differentiable, settings such as axis=0, and a shape rule.
The grammar's functions, the evaluator, the docs and the tests all read this
table; a new op is one entry.

Rules are written for float64 scalars and arrays alike, and they are evaluated
under `np.errstate(all="ignore")`: singular points give inf or NaN as IEEE says,
and the evaluator reports where such a value first appears. Where an input was
broadcast, the evaluator sums the VJP back to the input's shape. At the points
where an op is not differentiable the rules follow PyTorch (see README.md).
"""

from __future__ import annotations

import functools
import math
import operator
from collections.abc import Callable

import numpy as np

from . import derivatives as d
from . import formulas as f
from . import rules as r
from . import shapes
from .rules import EXACT_BITS  # noqa: F401 - part of this module's interface


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
        "d",
        "vjp",
        "partials",
        "symbol",
        "exact",
        "exact_vjp",
        "kinks",
        "call",
        "params",
        "shape",
        "elementwise",
        "template",
        "aliases",
    )

    def __init__(
        self,
        name,
        args,
        forward,
        d,
        partials,
        symbol=None,
        vjp=None,
        exact=None,
        exact_vjp=None,
        kinks=(),
        call=None,
        params=None,
        shape=shapes.broadcast,
        elementwise=True,
        template=None,
        aliases=(),
    ):
        self.name: str = name  # unique: the key in OPS and in JSON
        self.args: tuple[str, ...] = args  # argument names, as the formulas use them
        self.forward: Callable = forward
        # Per argument: (xp, g, out, *args, **params) -> g * dout/darg, computed with the
        # namespace xp (derivatives.py): numbers with NUMPY, formulas with the symbolic
        # domain. `vjp` is the same without xp, on float64: the plain rule, or where
        # the entry gives one, a numeric form kept beside it for stability.
        self.d = d
        self.vjp = vjp if vjp is not None else _numeric(d)
        # Per argument: dout/darg as a formula in `args`; for an array op, a rule of
        # formulas.py that writes it for the shapes at hand.
        self.partials: tuple[str | Callable, ...] = partials
        self.symbol: str | None = symbol  # infix operator (prefix, for one argument)
        # On Fractions: the forward rule and the VJPs, each giving None where the
        # result is not rational (or the op has none: exact is None). Arithmetic
        # ops reuse their float VJPs, which are plain arithmetic.
        self.exact: Callable | None = exact
        self.exact_vjp = exact_vjp or (self.vjp if exact else None)
        self.kinks: tuple[Kink, ...] = kinks
        # The function's name; "" for ops written with brackets (x[0], [a, b]).
        self.call: str | None = (None if symbol else name) if call is None else call
        self.params: dict = params or {}  # settings (axis=...) and their defaults
        self.shape: Callable = shape  # (*argument shapes, **params) -> output shape
        self.elementwise: bool = elementwise  # each output element from its own inputs
        self.template: Callable | None = template  # how to show it, when not f(x)
        # Other names that call it (ln for log); it is always shown by its own name.
        self.aliases: tuple[str, ...] = aliases

    def __repr__(self):
        return f"Op({self.name!r})"

    @property
    def arity(self) -> int:
        return len(self.args)

    def show(self, operands: list[str], times: str = "*", params=None) -> str:
        """The op applied to already-formatted operands: `a + b`, `-a`, `sin(a)`.

        `times` is the multiplication sign: `*`, or `·` where Unicode is welcome.
        """
        params = params or {}
        if self.template is not None:
            return self.template(operands, **params)
        if self.symbol is None:  # an argument needs no parentheses of its own: log(-2)
            bare = [o[1:-1] if o[:1] == "(" and "(" not in o[1:] else o for o in operands]
            settings = [f"{k}={_setting(v)}" for k, v in params.items()]
            return f"{self.call}({', '.join(bare + settings)})"
        if self.arity == 1:
            return f"{self.symbol}{operands[0]}"
        if self.symbol == "^":
            return f"{operands[0]}^{operands[1]}"
        return f" {times if self.symbol == '*' else self.symbol} ".join(operands)


def _numeric(rules):
    if isinstance(rules, tuple):
        return tuple(functools.partial(rule, d.NUMPY) for rule in rules)
    return _NumericEach(rules)


class _NumericEach:
    def __init__(self, rules):
        self.rules = rules

    def __getitem__(self, position):
        return functools.partial(self.rules[position], d.NUMPY)


def _setting(value) -> str:
    return "[" + ", ".join(map(str, value)) + "]" if isinstance(value, tuple) else str(value)


def _op(name, args, forward, d, partials, symbol=None, **more):
    return Op(name, tuple(args.split()), forward, d, partials, symbol, **more)


AT_ZERO = lambda x: x  # noqa: E731 - the kink of relu, abs, sqrt, log, ...
INFINITE = "the derivative is inf, as in PyTorch and JAX"
TIE = "each argument gets half the derivative, as PyTorch and JAX do"
LOG_AT_ZERO = "the value is -inf and " + INFINITE
ARRAY = {"elementwise": False}
SHARED = "the tied elements share the derivative equally, as PyTorch's amax and JAX do"

# fmt: off
OPS: dict[str, Op] = {op.name: op for op in [
    _op("add", "x y", np.add,
        (lambda xp, g, z, x, y: g,
         lambda xp, g, z, x, y: g),
        ("1", "1"), "+", exact=r.rational(operator.add)),
    _op("sub", "x y", np.subtract,
        (lambda xp, g, z, x, y: g,
         lambda xp, g, z, x, y: -g),
        ("1", "-1"), "-", exact=r.rational(operator.sub)),
    _op("mul", "x y", np.multiply,
        (lambda xp, g, z, x, y: g * y,
         lambda xp, g, z, x, y: g * x),
        ("y", "x"), "*", exact=r.rational(operator.mul)),
    _op("div", "x y", np.divide,
        (lambda xp, g, z, x, y: g / y,
         lambda xp, g, z, x, y: -g * z / y),  # x/y^2 as (x/y)/y: no overflow in y^2
        ("1/y", "-x/y^2"), "/", exact=r.rational(operator.truediv),
        kinks=(Kink("y = 0", lambda x, y: y, "x/0 is inf, -inf or NaN as IEEE 754 says, "
                    "and so is -x/y^2", (0, 1)),)),
    # Numbers: the conventions at x = 0 (PyTorch's); formulas: y*x^(y-1) and x^y*log(x).
    _op("pow", "x y", r.power,
        (d.pow_dx, d.pow_dy),
        ("y*x^(y-1)", "x^y*log(x)"), "^", call="pow", exact=r.qpow,
        vjp=(r.pow_dx, r.pow_dy), exact_vjp=(r.qpow_dx, r.qpow_dy),
        kinks=(Kink("x = 0", lambda x, y: x, "the derivative in y is taken as 0 for y >= 0, as "
                    "PyTorch and JAX do (x^y log(x) would be 0*inf); -inf for y < 0", (1,)),
               Kink("x = 0, y < 1", lambda x, y: x * (y < 1) + (y >= 1),  # 0 just there
                    "the derivative in x is y*0^(y-1): inf for 0 < y < 1, 0 for y = 0", (0,)))),
    _op("neg", "x", np.negative,
        (lambda xp, g, z, x: -g,),
        ("-1",), "-", exact=r.rational(operator.neg)),
    # Exact rules of the functions that are rational at rational points only where
    # their argument is 0 (Lindemann, Niven): sin(0) = 0 with sin'(0) = 1, and so on.
    _op("sin", "x", np.sin, (lambda xp, g, z, x: g * xp.cos(x),), ("cos(x)",),
        exact=r.q_at(0, 0), exact_vjp=(r.q_slope_at(0, 1),)),
    _op("cos", "x", np.cos, (lambda xp, g, z, x: -g * xp.sin(x),), ("-sin(x)",),
        exact=r.q_at(0, 1), exact_vjp=(r.q_slope_at(0, 0),)),
    _op("tan", "x", np.tan, (lambda xp, g, z, x: g * (1.0 + z * z),), ("1 + tan(x)^2",),
        exact=r.q_at(0, 0), exact_vjp=(r.q_slope_at(0, 1),)),
    # 1 - x^2 as (1 - x)(1 + x): exact near |x| = 1, where it matters.
    _op("asin", "x", np.arcsin,
        (lambda xp, g, z, x: g / xp.sqrt((1.0 - x) * (1.0 + x)),), ("1/sqrt(1 - x^2)",),
        exact=r.q_at(0, 0), exact_vjp=(lambda g, z, x: g * r.q_asin_partial(x),),
        kinks=(Kink("x = -1 or 1", r.one_minus_square, INFINITE),)),
    _op("acos", "x", np.arccos,
        (lambda xp, g, z, x: -g / xp.sqrt((1.0 - x) * (1.0 + x)),), ("-1/sqrt(1 - x^2)",),
        exact=r.q_at(1, 0), exact_vjp=(lambda g, z, x: -g * r.q_asin_partial(x),),
        kinks=(Kink("x = -1 or 1", r.one_minus_square, "the derivative is -inf, as in "
                    "PyTorch and JAX"),)),
    _op("atan", "x", np.arctan, (lambda xp, g, z, x: g / (1.0 + x * x),), ("1/(1 + x^2)",),
        exact=r.q_at(0, 0), exact_vjp=(lambda g, z, x: g / (1 + x * x),)),
    _op("sinh", "x", np.sinh, (lambda xp, g, z, x: g * xp.cosh(x),), ("cosh(x)",),
        exact=r.q_at(0, 0), exact_vjp=(r.q_slope_at(0, 1),)),
    _op("cosh", "x", np.cosh, (lambda xp, g, z, x: g * xp.sinh(x),), ("sinh(x)",),
        exact=r.q_at(0, 1), exact_vjp=(r.q_slope_at(0, 0),)),
    # Numbers: sech(x)^2 as 4e/(1 + e)^2 (rules.py); formulas: 1/cosh(x)^2. Neither
    # cancels as 1 - tanh(x)^2 does far from 0.
    _op("tanh", "x", np.tanh, (lambda xp, g, z, x: g / xp.cosh(x) ** 2,), ("1 - tanh(x)^2",),
        vjp=(lambda g, z, x: g * r.dtanh(x),),
        exact=r.q_at(0, 0), exact_vjp=(r.q_slope_at(0, 1),)),
    _op("exp", "x", np.exp, (lambda xp, g, z, x: g * z,), ("exp(x)",),
        exact=r.q_at(0, 1), exact_vjp=(r.q_slope_at(0, 1),)),
    _op("log", "x", np.log, (lambda xp, g, z, x: g / x,), ("1/x",), aliases=("ln",),
        exact=r.q_at(1, 0), exact_vjp=(lambda g, z, x: g / x,),
        kinks=(Kink("x = 0", AT_ZERO, LOG_AT_ZERO),)),
    # 1/(x log 2) is never rational; log2(8) = 3 is.
    _op("log2", "x", np.log2, (lambda xp, g, z, x: g / (x * xp.log(2.0)),),
        ("1/(x*log(2))",), exact=r.qlog(2), exact_vjp=(r.not_rational,),
        kinks=(Kink("x = 0", AT_ZERO, LOG_AT_ZERO),)),
    _op("log10", "x", np.log10, (lambda xp, g, z, x: g / (x * xp.log(10.0)),),
        ("1/(x*log(10))",), exact=r.qlog(10), exact_vjp=(r.not_rational,),
        kinks=(Kink("x = 0", AT_ZERO, LOG_AT_ZERO),)),
    _op("sqrt", "x", np.sqrt, (lambda xp, g, z, x: g / (2.0 * z),), ("1/(2*sqrt(x))",),
        exact=r.qsqrt, exact_vjp=(lambda g, z, x: g / (2 * r.qsqrt(x)),),
        kinks=(Kink("x = 0", AT_ZERO, INFINITE),)),
    _op("abs", "x", np.abs, (lambda xp, g, z, x: g * xp.sign(x),), ("sign(x)",),
        exact=abs, exact_vjp=(lambda g, z, x: g * r.qsign(x),),
        kinks=(Kink("x = 0", AT_ZERO, "the derivative is taken as 0, as PyTorch does "
                    "(JAX takes 1)"),)),
    # Numbers: the cotangent where x > 0, else 0 (even for an infinite cotangent);
    # formulas: g*step(x).
    _op("relu", "x", lambda x: np.maximum(x, 0.0),
        (lambda xp, g, z, x: g * xp.step(x),), ("1 if x > 0 else 0",),
        vjp=(lambda g, z, x: np.where(x > 0, g, 0.0),),
        exact=lambda x: max(x, 0 * x), exact_vjp=(lambda g, z, x: g if x > 0 else 0 * g,),
        kinks=(Kink("x = 0", AT_ZERO, "the derivative is taken as 0, as PyTorch and JAX "
                    "do"),)),
    # Numbers: e^-|x|/(1 + e^-|x|)^2 (rules.py); formulas: sigmoid(x)*sigmoid(-x). Both
    # keep their digits far from 0, where sigmoid(x)*(1 - sigmoid(x)) would be 0.
    _op("sigmoid", "x", r.sigmoid,
        (lambda xp, g, z, x: g * (z * xp.sigmoid(-x)),), ("sigmoid(x)*(1 - sigmoid(x))",),
        vjp=(lambda g, z, x: g * r.dsigmoid(x),),
        exact=r.q_at(0, 1, 2), exact_vjp=(r.q_slope_at(0, 1, 4),)),
    _op("softplus", "x", r.softplus, (lambda xp, g, z, x: g * xp.sigmoid(x),), ("sigmoid(x)",),
        exact_vjp=(r.q_slope_at(0, 1, 2),)),
    # Their derivatives are 0 where they exist; sign and step jump at 0.
    _op("sign", "x", np.sign, (lambda xp, g, z, x: 0.0 * g,), ("0",),
        exact=r.qsign, exact_vjp=(lambda g, z, x: 0 * g,),
        kinks=(Kink("x = 0", AT_ZERO, "sign jumps there; its derivative is taken as 0"),)),
    _op("step", "x", d.NUMPY.step, (lambda xp, g, z, x: 0.0 * g,), ("0",),
        exact=lambda x: type(x)(int(x > 0)), exact_vjp=(lambda g, z, x: 0 * g,),
        kinks=(Kink("x = 0", AT_ZERO, "step jumps there (step(0) = 0); its derivative is "
                    "taken as 0"),)),
    # Numbers: ties through np.where, so an infinite cotangent is not multiplied by 0.
    _op("min", "x y", np.minimum,
        (lambda xp, g, z, x, y: d.tie(xp, g, x, y, False, True),
         lambda xp, g, z, x, y: d.tie(xp, g, x, y, False, False)),
        ("1 if x < y, 1/2 if x = y, else 0", "1 if y < x, 1/2 if x = y, else 0"),
        vjp=(lambda g, z, x, y: r.tie(x, y, g, x > y),
             lambda g, z, x, y: r.tie(x, y, g, y > x)),
        exact=min, exact_vjp=(lambda g, z, x, y: r.qtie(x, y, g, x > y),
                              lambda g, z, x, y: r.qtie(x, y, g, y > x)),
        kinks=(Kink("x = y", lambda x, y: x - y, TIE, (0, 1)),)),
    _op("max", "x y", np.maximum,
        (lambda xp, g, z, x, y: d.tie(xp, g, x, y, True, True),
         lambda xp, g, z, x, y: d.tie(xp, g, x, y, True, False)),
        ("1 if x > y, 1/2 if x = y, else 0", "1 if y > x, 1/2 if x = y, else 0"),
        vjp=(lambda g, z, x, y: r.tie(x, y, g, x < y),
             lambda g, z, x, y: r.tie(x, y, g, y < x)),
        exact=max, exact_vjp=(lambda g, z, x, y: r.qtie(x, y, g, x < y),
                              lambda g, z, x, y: r.qtie(x, y, g, y < x)),
        kinks=(Kink("x = y", lambda x, y: x - y, TIE, (0, 1)),)),
    # Numbers: no overflow in the squares, and 0 at the origin (rules.py).
    _op("atan2", "y x", np.arctan2,
        (lambda xp, g, z, y, x: g * (x / (x * x + y * y)),
         lambda xp, g, z, y, x: -g * (y / (x * x + y * y))),
        ("x/(x^2 + y^2)", "-y/(x^2 + y^2)"),
        vjp=(lambda g, z, y, x: g * r.atan2_partial(x, y),
             lambda g, z, y, x: -g * r.atan2_partial(y, x)),
        exact=lambda y, x: 0 * x if y == 0 and x >= 0 else None,
        exact_vjp=(lambda g, z, y, x: g * r.q_atan2_partial(x, y),
                   lambda g, z, y, x: -g * r.q_atan2_partial(y, x)),
        kinks=(Kink("x = y = 0", lambda y, x: np.hypot(x, y), "the derivatives are taken as "
                    "0, as PyTorch does (JAX gives NaN)", (0, 1)),)),

    # Arrays. Their partials are rules (formulas.py) that write the local Jacobian, or
    # the contribution through it, for the shapes at hand. Their numeric rules are
    # numpy's fast forms; the formulas are the rules of derivatives.py.
    _op("matmul", "x y", np.matmul, (d.matmul_dx, d.matmul_dy),
        (f.matmul, f.matmul), "@", shape=shapes.matmul, vjp=(r.matmul_dx, r.matmul_dy),
        **ARRAY),
    _op("dot", "x y", np.dot, (d.matmul_dx, d.matmul_dy),
        (f.matmul, f.matmul), shape=shapes.dot, vjp=(r.matmul_dx, r.matmul_dy), **ARRAY),
    _op("sum", "x", lambda x, axis=None: np.sum(x, axis=axis), (d.sum_dx,),
        (f.sum_,), params={"axis": None}, shape=shapes.reduced,
        vjp=(lambda g, z, x, axis=None: r.expand(g, x, axis),), **ARRAY),
    _op("mean", "x", lambda x, axis=None: np.mean(x, axis=axis), (d.mean_dx,),
        (f.mean,), params={"axis": None}, shape=shapes.reduced_nonempty,
        vjp=(lambda g, z, x, axis=None: r.expand(g, x, axis) * (np.size(z) / np.size(x)),),
        **ARRAY),
    _op("amax", "x", lambda x, axis=None: np.max(x, axis=axis), (d.extreme_dx,),
        (f.extreme("largest"),), call="max", params={"axis": None},
        shape=shapes.reduced_nonempty, vjp=(r.extreme_vjp,),
        kinks=(Kink("a tie for the largest of x", r.lead, SHARED),), **ARRAY),
    _op("amin", "x", lambda x, axis=None: np.min(x, axis=axis), (d.extreme_dx,),
        (f.extreme("smallest"),), call="min", params={"axis": None},
        shape=shapes.reduced_nonempty, vjp=(r.extreme_vjp,),
        kinks=(Kink("a tie for the smallest of x", lambda x, axis=None: r.lead(x, axis, -1.0),
                    SHARED),), **ARRAY),
    _op("logsumexp", "x", r.logsumexp, (d.logsumexp_dx,), (f.logsumexp,),
        params={"axis": None}, shape=shapes.reduced_nonempty, vjp=(r.logsumexp_vjp,),
        **ARRAY),
    _op("softmax", "x", r.softmax, (d.softmax_dx,), (f.softmax,),
        params={"axis": -1}, shape=shapes.same_nonempty, vjp=(r.softmax_vjp,), **ARRAY),
    _op("norm", "x", r.norm, (d.norm_dx,), (f.norm,), params={"axis": None},
        shape=shapes.reduced_nonempty, vjp=(r.norm_vjp,),
        kinks=(Kink("x = 0", lambda x, axis=None: r.expand(r.norm(x, axis), x, axis),
                    "the derivative is taken as 0, as PyTorch does"),), **ARRAY),
    _op("transpose", "x", np.transpose, (lambda xp, g, z, x: xp.transpose(g),),
        (f.transpose,), shape=shapes.transposed, template=lambda xs: f"{xs[0]}.T", **ARRAY),
    _op("reshape", "x", lambda x, shape=(): np.reshape(x, shape),
        (lambda xp, g, z, x, shape=(): xp.reshape(g, shape=xp.shape(x)),), (f.reshape,),
        params={"shape": ()}, shape=lambda s, shape=(): shapes.reshaped(s, shape), **ARRAY),
    # broadcast(x, 2, 3): x repeated to that shape, as numpy's broadcast_to.
    _op("broadcast", "x", lambda x, shape=(): np.broadcast_to(x, shape),
        (lambda xp, g, z, x, shape=(): d.unbroadcast(xp, g, xp.shape(x)),), (f.broadcast_to,),
        params={"shape": ()}, shape=lambda s, shape=(): shapes.broadcast_to(s, shape),
        **ARRAY),
    _op("index", "x", lambda x, key=(): x[key], (d.index_dx,), (f.index,),
        call="", params={"key": ()}, shape=lambda s, key=(): shapes.indexed(s, key),
        template=lambda xs, key=(): f"{xs[0]}[{f.subscripts(key)}]", vjp=(r.index_vjp,),
        **ARRAY),
    # [a, b, c]: any number of arguments, so one rule for all of them.
    Op("stack", (), lambda *xs: np.stack(xs), d.EachArgument(), (f.stack,),
       call="", shape=shapes.stacked, template=lambda xs: f"[{', '.join(xs)}]",
       vjp=r.EachArgument(lambda g, p: g[p]), **ARRAY),
]}
# fmt: on

# Operators and the ops written with brackets are not called by name.
FUNCTIONS: dict[str, tuple[Op, ...]] = {}
for _entry in OPS.values():
    for _name in (_entry.call, *_entry.aliases) if _entry.call else ():
        FUNCTIONS[_name] = FUNCTIONS.get(_name, ()) + (_entry,)

# The names numpy, math and PyTorch give some of these ops: when typed, cg says how it
# writes them (an error, with the way to write it), but does not take them.
# fmt: off
KNOWN_AS: dict[str, str] = {
    "arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2",
    "power": "pow", "float_power": "pow", "maximum": "max", "fmax": "max",
    "minimum": "min", "fmin": "min", "amax": "amax", "amin": "amin",
    "absolute": "abs", "fabs": "abs", "expit": "sigmoid", "logistic": "sigmoid",
    "average": "mean", "avg": "mean", "matmul": "matmul", "add": "add",
    "subtract": "sub", "multiply": "mul", "divide": "div", "true_divide": "div",
    "negative": "neg", "stack": "stack", "array": "stack",
}
# fmt: on

CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}
