"""The op table as code: each op's forward rule and numeric VJP rules, written with a
builder of expressions that each language (python.py, c.py) prints in its own way.

Every rule here is the op table's numeric rule (cgcli/ops: `forward` and `vjp`,
and rules.py) with the same operations in the same order, so that numpy code
made from it computes cg eval's float64s bit for bit. A new op needs an entry
in FORWARD and VJP (a test fails until it has one); an op that only Python
can write (arrays) uses `e.array`, which the C builder refuses.
"""

from __future__ import annotations

import numpy as np

# Precedence of an expression's text: it may stand where this level or less is needed.
AND, COMPARE, ADD, MUL, UNARY, POWER, ATOM = range(7)


class Expr:
    """Code for one value: its text, its precedence, and its value where it is a
    constant known when the code is written (None otherwise)."""

    __slots__ = ("level", "text", "value")

    def __init__(self, text: str, level: int = ATOM, value=None):
        self.text, self.level, self.value = text, level, value

    def __repr__(self):
        return f"Expr({self.text!r})"


def _is_one(x: Expr) -> bool:
    v = x.value
    return v is not None and np.ndim(v) == 0 and v == 1.0


def _number(x):
    return x.value if isinstance(x, Expr) else np.float64(x)


class Builder:
    """The arithmetic both languages write alike. A subclass gives `literal` and
    `boolean` (a known value's text), `call_text` (a math function by numpy's name),
    `helper_text` (a function of the emitted code), `power_text`, `where_text`,
    `both_text` and `array`.

    An operation on known numbers is not written but computed now, with the numpy
    call cg eval makes (so with its result): no literal arithmetic is left for the
    code to do (1.0 / 0.0 would raise in Python).
    """

    def lit(self, value) -> Expr:
        if isinstance(value, (bool, np.bool_)):
            return Expr(self.boolean(bool(value)), ATOM, np.bool_(value))
        text = self.literal(value)
        return Expr(text, UNARY if text.startswith("-") else ATOM, np.float64(value))

    def expr(self, x) -> Expr:
        return x if isinstance(x, Expr) else self.lit(x)

    def fold(self, fn, *operands):
        """The value of fn on the operands if all are known (a scalar), else None."""
        for x in operands:
            if type(x) is Expr and x.value is None:
                return None
        with np.errstate(all="ignore"):
            value = fn(*[_number(x) for x in operands])
        if np.ndim(value):
            return None
        return self.lit(value[()] if isinstance(value, np.ndarray) else value)

    def operand(self, x, level: int) -> str:
        x = self.expr(x)
        return x.text if x.level >= level else f"({x.text})"

    def binary(self, symbol: str, level: int, x, y) -> Expr:
        right = self.expr(y)
        # a - (-b), a * (-2): a sign after an operator is parenthesised, for the reader
        need = level + 1 if not right.text.startswith("-") else ATOM
        return Expr(f"{self.operand(x, level)} {symbol} {self.operand(right, need)}", level)

    def add(self, x, y) -> Expr:
        return self.fold(np.add, x, y) or self.binary("+", ADD, x, y)

    def sub(self, x, y) -> Expr:
        return self.fold(np.subtract, x, y) or self.binary("-", ADD, x, y)

    def mul(self, x, y) -> Expr:
        folded = self.fold(np.multiply, x, y)
        if folded is not None:
            return folded
        # 1 * y is y, bit for bit (the seed of the reverse pass is 1): not written.
        if isinstance(x, Expr) and _is_one(x):
            return self.expr(y)
        if isinstance(y, Expr) and _is_one(y):
            return self.expr(x)
        return self.binary("*", MUL, x, y)

    def div(self, x, y) -> Expr:
        return self.fold(np.divide, x, y) or self.binary("/", MUL, x, y)

    def neg(self, x) -> Expr:
        return self.fold(np.negative, x) or Expr("-" + self.operand(x, POWER), UNARY)

    def compare(self, x, symbol: str, y) -> Expr:
        folded = self.fold(_COMPARE[symbol], x, y)
        text = f"{self.operand(x, ADD)} {symbol} {self.operand(y, ADD)}"
        return folded or Expr(text, COMPARE)

    def call(self, name: str, *args) -> Expr:
        return self.fold(NUMPY[name], *args) or Expr(self.call_text(name, args))

    def helper(self, name: str, *args) -> Expr:
        return self.fold(HELPERS[name], *args) or Expr(self.helper_text(name, args))

    def power(self, x, y) -> Expr:
        return self.fold(np.power, x, y) or self.power_text(x, y)

    def where(self, condition, x, y) -> Expr:
        return self.fold(np.where, condition, x, y) or Expr(self.where_text(condition, x, y))

    def both(self, x, y) -> Expr:
        return self.fold(np.logical_and, x, y) or self.both_text(x, y)


# The numpy functions the rules call, by name: what `call` folds known numbers with.
NUMPY = {
    f.__name__: f
    for f in (np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh)
    + (np.tanh, np.exp, np.log, np.log2, np.log10, np.sqrt, np.sign, np.maximum)
    + (np.minimum, np.arctan2)
}
NUMPY["abs"] = np.abs  # np.abs is np.absolute

_COMPARE = {
    "==": np.equal,
    ">=": np.greater_equal,
    ">": np.greater,
    "<": np.less,
}


def _helpers():
    from ..ops import rules as r

    return {
        "power": r.power,
        "pow_dx": lambda g, z, x, y: r.pow_dx(g, z, x, y),
        "sigmoid": r.sigmoid,
        "dsigmoid": r.dsigmoid,
        "softplus": r.softplus,
        "dtanh": r.dtanh,
        "atan2_partial": r.atan2_partial,
    }


HELPERS = _helpers()


def _power(e: Builder, x, y, k):
    """x^y as rules.power computes it, for an exponent k known when the code is written
    (None: known only when it runs): x*x, sqrt(x) and 1/x for 2, 0.5 and -1, each
    correctly rounded, else the library's pow."""
    if k is None:
        return e.helper("power", x, y)
    if k == 2:
        return e.mul(x, x)
    if k == 0.5:
        return e.call("sqrt", x)
    if k == -1:
        return e.div(1.0, x)
    return e.power(x, y)


def _known(y: Expr):
    v = y.value
    return None if v is None or np.ndim(v) else float(v)


def _pow_forward(e, x, y):
    return _power(e, x, y, _known(y))


def _pow_dx(e, g, z, x, y):
    k = _known(y)
    if k is None:
        return e.helper("pow_dx", g, z, x, y)
    if k == 2:
        return e.mul(g, e.add(x, x))
    if k == 0:
        return e.mul(g, 0.0)
    less = np.float64(k) - 1.0  # y - 1.0, as rules.pow_dx computes it
    return e.mul(g, e.mul(y, _power(e, x, e.lit(less), float(less))))


def _pow_dy(e, g, z, x, y):
    at_zero = e.both(e.compare(x, "==", 0.0), e.compare(y, ">=", 0.0))
    return e.where(at_zero, 0.0, e.mul(e.mul(g, z), e.call("log", x)))


def _tie(e, g, x, y, loses):
    # rules.tie: half each at a tie, else all to the winner
    return e.where(e.compare(x, "==", y), e.div(g, 2.0), e.where(loses, 0.0, g))


def _square_root_of_one_minus_square(e, x):
    return e.call("sqrt", e.mul(e.sub(1.0, x), e.add(1.0, x)))


def _unary(name):
    return lambda e, x: e.call(name, x)


# fmt: off
FORWARD = {
    "add": lambda e, x, y: e.add(x, y),
    "sub": lambda e, x, y: e.sub(x, y),
    "mul": lambda e, x, y: e.mul(x, y),
    "div": lambda e, x, y: e.div(x, y),
    "pow": _pow_forward,
    "neg": lambda e, x: e.neg(x),
    **{name: _unary(name) for name in (
        "sin", "cos", "tan", "sinh", "cosh", "tanh", "exp", "log", "log2", "log10", "sqrt",
        "abs", "sign")},
    "asin": _unary("arcsin"),
    "acos": _unary("arccos"),
    "atan": _unary("arctan"),
    "relu": lambda e, x: e.call("maximum", x, 0.0),
    "sigmoid": lambda e, x: e.helper("sigmoid", x),
    "softplus": lambda e, x: e.helper("softplus", x),
    "step": lambda e, x: e.where(e.compare(x, ">", 0.0), 1.0, 0.0),
    "min": lambda e, x, y: e.call("minimum", x, y),
    "max": lambda e, x, y: e.call("maximum", x, y),
    "atan2": lambda e, y, x: e.call("arctan2", y, x),
    # Arrays: Python only, as numpy calls (the op table's forward rules).
    "matmul": lambda e, x, y: e.array("np.matmul({}, {})", x, y),
    "dot": lambda e, x, y: e.array("np.dot({}, {})", x, y),
    "sum": lambda e, x, axis=None: e.array(f"np.sum({{}}, axis={axis})", x),
    "mean": lambda e, x, axis=None: e.array(f"np.mean({{}}, axis={axis})", x),
    "amax": lambda e, x, axis=None: e.array(f"np.max({{}}, axis={axis})", x),
    "amin": lambda e, x, axis=None: e.array(f"np.min({{}}, axis={axis})", x),
    "logsumexp": lambda e, x, axis=None: e.array(f"{{h}}logsumexp({{}}, {axis})", x),
    "softmax": lambda e, x, axis=-1: e.array(f"{{h}}softmax({{}}, {axis})", x),
    "norm": lambda e, x, axis=None: e.array(f"{{h}}norm({{}}, {axis})", x),
    "transpose": lambda e, x: e.array("np.transpose({})", x),
    "reshape": lambda e, x, shape=(): e.array(f"np.reshape({{}}, {_shape(shape)})", x),
    "broadcast": lambda e, x, shape=(): e.array(f"np.broadcast_to({{}}, {_shape(shape)})", x),
    "index": lambda e, x, key=(): e.array(f"{{}}[{_key(key)}]", x),
    "stack": lambda e, *xs: e.array("np.stack((" + "".join("{}, " for _ in xs) + "))", *xs),
}

VJP = {
    "add": (lambda e, g, z, x, y: g, lambda e, g, z, x, y: g),
    "sub": (lambda e, g, z, x, y: g, lambda e, g, z, x, y: e.neg(g)),
    "mul": (lambda e, g, z, x, y: e.mul(g, y), lambda e, g, z, x, y: e.mul(g, x)),
    "div": (lambda e, g, z, x, y: e.div(g, y),
            lambda e, g, z, x, y: e.div(e.mul(e.neg(g), z), y)),
    "pow": (_pow_dx, _pow_dy),
    "neg": (lambda e, g, z, x: e.neg(g),),
    "sin": (lambda e, g, z, x: e.mul(g, e.call("cos", x)),),
    "cos": (lambda e, g, z, x: e.mul(e.neg(g), e.call("sin", x)),),
    "tan": (lambda e, g, z, x: e.mul(g, e.add(1.0, e.mul(z, z))),),
    "asin": (lambda e, g, z, x: e.div(g, _square_root_of_one_minus_square(e, x)),),
    "acos": (lambda e, g, z, x: e.div(e.neg(g), _square_root_of_one_minus_square(e, x)),),
    "atan": (lambda e, g, z, x: e.div(g, e.add(1.0, e.mul(x, x))),),
    "sinh": (lambda e, g, z, x: e.mul(g, e.call("cosh", x)),),
    "cosh": (lambda e, g, z, x: e.mul(g, e.call("sinh", x)),),
    "tanh": (lambda e, g, z, x: e.mul(g, e.helper("dtanh", x)),),
    "exp": (lambda e, g, z, x: e.mul(g, z),),
    "log": (lambda e, g, z, x: e.div(g, x),),
    "log2": (lambda e, g, z, x: e.div(g, e.mul(x, np.log(2.0))),),
    "log10": (lambda e, g, z, x: e.div(g, e.mul(x, np.log(10.0))),),
    "sqrt": (lambda e, g, z, x: e.div(g, e.mul(2.0, z)),),
    "abs": (lambda e, g, z, x: e.mul(g, e.call("sign", x)),),
    "relu": (lambda e, g, z, x: e.where(e.compare(x, ">", 0.0), g, 0.0),),
    "sigmoid": (lambda e, g, z, x: e.mul(g, e.helper("dsigmoid", x)),),
    "softplus": (lambda e, g, z, x: e.mul(g, e.helper("sigmoid", x)),),
    "sign": (lambda e, g, z, x: e.mul(0.0, g),),
    "step": (lambda e, g, z, x: e.mul(0.0, g),),
    "min": (lambda e, g, z, x, y: _tie(e, g, x, y, e.compare(x, ">", y)),
            lambda e, g, z, x, y: _tie(e, g, x, y, e.compare(y, ">", x))),
    "max": (lambda e, g, z, x, y: _tie(e, g, x, y, e.compare(x, "<", y)),
            lambda e, g, z, x, y: _tie(e, g, x, y, e.compare(y, "<", x))),
    "atan2": (lambda e, g, z, y, x: e.mul(g, e.helper("atan2_partial", x, y)),
              lambda e, g, z, y, x: e.mul(e.neg(g), e.helper("atan2_partial", y, x))),
    # Arrays (rules.py's numeric rules, as helpers of the emitted module).
    "matmul": (lambda e, g, z, x, y: e.array("{h}matmul_dx({}, {}, {})", g, x, y),
               lambda e, g, z, x, y: e.array("{h}matmul_dy({}, {}, {})", g, x, y)),
    "dot": (lambda e, g, z, x, y: e.array("{h}matmul_dx({}, {}, {})", g, x, y),
            lambda e, g, z, x, y: e.array("{h}matmul_dy({}, {}, {})", g, x, y)),
    "sum": (lambda e, g, z, x, axis=None: e.array(f"{{h}}expand({{}}, {{}}, {axis})", g, x),),
    "mean": (lambda e, g, z, x, axis=None: e.array(
        f"{{h}}expand({{}}, {{}}, {axis}) * (np.size({{}}) / np.size({{}}))", g, x, z, x),),
    "amax": (lambda e, g, z, x, axis=None: e.array(
        f"{{h}}extreme_vjp({{}}, {{}}, {{}}, {axis})", g, z, x),),
    "amin": (lambda e, g, z, x, axis=None: e.array(
        f"{{h}}extreme_vjp({{}}, {{}}, {{}}, {axis})", g, z, x),),
    "logsumexp": (lambda e, g, z, x, axis=None: e.array(
        f"{{h}}logsumexp_vjp({{}}, {{}}, {axis})", g, x),),
    "softmax": (lambda e, g, z, x, axis=-1: e.array(
        f"{{h}}softmax_vjp({{}}, {{}}, {axis})", g, z),),
    "norm": (lambda e, g, z, x, axis=None: e.array(
        f"{{h}}norm_vjp({{}}, {{}}, {{}}, {axis})", g, z, x),),
    "transpose": (lambda e, g, z, x: e.array("np.transpose({})", g),),
    "reshape": (lambda e, g, z, x, shape=(): e.array("np.reshape({}, np.shape({}))", g, x),),
    "broadcast": (lambda e, g, z, x, shape=(): e.array(
        "{h}sum_to_shape({}, np.shape({}))", g, x),),
    "index": (lambda e, g, z, x, key=(): e.array(
        f"{{h}}index_vjp({{}}, {{}}, np.s_[{_key(key)}])", g, x),),
}
# fmt: on


class _Stack:
    """The VJPs of [a, b, ...]: argument p's cotangent is element p of the output's."""

    def __getitem__(self, p):
        return lambda e, g, z, *xs: e.array(f"{{}}[{p}]", g)


VJP["stack"] = _Stack()


def _key(key: tuple) -> str:
    from ..ops.formulas import subscripts

    if not key:
        return "()"
    return subscripts(key) + ("," if len(key) == 1 and not isinstance(key[0], slice) else "")


def _shape(shape) -> str:
    return repr(tuple(int(n) for n in shape))
