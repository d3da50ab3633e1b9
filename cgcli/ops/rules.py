"""The longer forward and derivative rules that the op table (ops.py) refers to.

Each is written for float64 scalars and arrays alike; the reasons for the less
obvious forms (stability, precision, conventions) are given beside them.
"""

from __future__ import annotations

import math

import numpy as np

from ..values import is_fraction

# Exact arithmetic stops (and falls back to float64) past numerators or
# denominators of this many bits.
EXACT_BITS = 4096


# ------------------------------------------------------------ elementwise, float64


def sigmoid(x):
    # exp of a non-positive number only: no overflow, full precision on both sides.
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def dsigmoid(x):
    e = np.exp(-np.abs(x))
    return e / ((1.0 + e) * (1.0 + e))


def softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def dtanh(x):
    # sech(x)^2 = 4e/(1+e)^2 with e = exp(-2|x|): no cancellation in 1 - tanh^2.
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))


def one_minus_square(x):
    # 1 - x^2 as (1 - x)(1 + x): exact near |x| = 1, where it matters.
    return (1.0 - x) * (1.0 + x)


def atan2_partial(a, b):
    # a/(a^2 + b^2): as written where the squares neither overflow nor underflow
    # (exact for small whole numbers, as a hand calculation is), else as (a/h)/h with
    # h = hypot(a, b); 0 at the origin, as PyTorch has it.
    squares = a * a + b * b
    h = np.hypot(a, b)
    safe = (squares >= np.finfo(np.float64).tiny) & (squares < np.inf)
    return np.where(h == 0, 0.0, np.where(safe, a / np.where(safe, squares, 1.0), (a / h) / h))


def tie(x, y, g, loses):
    # min and max split ties equally between the two arguments, as PyTorch does.
    return np.where(x == y, g / 2.0, np.where(loses, 0.0, g))


def power(x, y):
    # x^y. For an array x, numpy computes x^2, x^0.5, x^-1 as x*x, sqrt(x), 1/x: each
    # correctly rounded. A scalar x would go to the C library's pow, which is not
    # always (1.2100000000000002 for 1.1^2 is right; 157 in 200,000 squares were
    # not), so scalars take the same paths, and a batch row equals `cg eval`. Other
    # exponents: the C library's pow for scalars (wrong in the last bit in about 1
    # case in 2000), numpy's vectorised pow for arrays (about 1 in 20).
    if np.ndim(y) == 0 and np.ndim(x) == 0:
        if y == 2:
            return x * x
        if y == 0.5:
            return np.sqrt(x)
        if y == -1:
            return np.divide(1.0, x)
    return x**y


def pow_dx(g, z, x, y):
    # y x^(y-1), and 0 where y = 0 even at x = 0 (PyTorch). A constant exponent, the
    # common case, needs no elementwise choice.
    if np.ndim(y) == 0:
        if y == 2:
            # 2(gx): exact, as x*x gives it (g x + g x), and no overflow of x + x where
            # the product is finite (0.25 x^2 at x = 1e308)
            return 2.0 * (g * x)
        return g * 0.0 if y == 0 else g * (y * power(x, y - 1.0))
    return np.where(y == 0, 0.0, g * y * np.power(x, y - 1.0))


def pow_dy(g, z, x, y):
    # x^y log(x), and 0 where x = 0 and y >= 0, not 0 * (-inf) (PyTorch, JAX).
    return np.where((x == 0) & (y >= 0), 0.0, g * z * np.log(x))


# ------------------------------------------------------------------- exact rules


def rational(fn):
    """An exact rule from plain arithmetic: no value where it would divide by 0."""

    def rule(*args):
        try:
            return fn(*args)
        except ZeroDivisionError:
            return None

    return rule


def qsign(x):
    return (x > 0) - (x < 0)


def qtie(x, y, g, loses):
    return g / 2 if x == y else (0 if loses else g)


def qpow(x, y):
    # Rational for an integer exponent, and for y = p/q where x is the q-th power of a
    # rational (4^(1/2) = 2, (8/27)^(2/3) = 4/9); only while the result stays small.
    if x == 0 and y < 0:
        return None
    if y.denominator != 1:
        if x < 0:  # a negative base: NaN in float64 (IEEE 754), so not a value here
            return None
        top, bottom = iroot(x.numerator, y.denominator), iroot(x.denominator, y.denominator)
        if top is None or bottom is None:
            return None
        x, y = type(x)(top, bottom), type(y)(y.numerator)
    # |x|^k has at least (bits - 1) k + 1 bits: past the cap, do not even start. (At
    # most bits * k: what passes is checked after, and 1^5000 or (-1)^5000 is cheap.)
    bits = max(abs(x.numerator).bit_length(), x.denominator.bit_length())
    if (bits - 1) * abs(y.numerator) > EXACT_BITS:
        raise OverflowError("too large for exact arithmetic")
    return x ** int(y)


def iroot(n: int, k: int) -> int | None:
    """The whole number r with r^k = n (n >= 0), or None where there is none."""
    if n < 2:
        return n
    if k >= n.bit_length():  # 1 < r < 2
        return None
    r = 1 << -(-n.bit_length() // k)  # at least the root: Newton's steps come down to it
    while True:
        s = ((k - 1) * r + n // r ** (k - 1)) // k
        if s >= r:
            return r if r**k == n else None
        r = s


def qsqrt(x):
    """sqrt(x) for a Fraction that is the square of one (1/4, 9), else None."""
    if not is_fraction(x) or x < 0:
        return None
    top, bottom = math.isqrt(x.numerator), math.isqrt(x.denominator)
    if top * top != x.numerator or bottom * bottom != x.denominator:
        return None
    return type(x)(top, bottom)


def qlog(base: int):
    """log in this base, exact where x is a whole power of it (log2(1/8) = -3)."""

    def rule(x):
        if x <= 0:
            return None
        sign, power = (1, x) if x >= 1 else (-1, 1 / x)
        if power.denominator != 1:
            return None
        n, k = power.numerator, 0
        while n % base == 0:
            n, k = n // base, k + 1
        return sign * k if n == 1 else None

    return rule


def not_rational(*args):
    """The exact rule of a value or partial that is never rational (log2'(x), softplus)."""
    return None


def q_at(point, value, over=1):
    """A function with a rational value at one rational point only (Lindemann, Niven):
    sin at 0 is 0, sigmoid at 0 is 1/2 (value=1, over=2). None elsewhere."""
    return lambda x: type(x)(value, over) if x == point else None


def q_slope_at(point, value, over=1):
    """The VJP of a function whose derivative is rational at one point only (sin'(0) = 1),
    for an exact argument: g * value/over there, None elsewhere."""
    return lambda g, z, x: g * value / over if is_fraction(x) and x == point else None


def q_asin_partial(x):
    # 1/sqrt(1 - x^2), rational where 1 - x^2 is a rational square (x = 3/5: 5/4).
    root = qsqrt(1 - x * x) if is_fraction(x) else None
    return None if root is None else 1 / root


def q_atan2_partial(a, b):
    # a/(a^2 + b^2) for exact a and b, and 0 at the origin, as the float rule has it.
    if not (is_fraction(a) and is_fraction(b)):
        return None
    return 0 * a if a == b == 0 else a / (a * a + b * b)


def qpow_dx(g, z, x, y):
    if y == 0:
        return 0 * g
    power = qpow(x, y - 1)
    return None if power is None else g * y * power


def qpow_dy(g, z, x, y):
    # x^y log(x) is rational only where log(x) = 0 or the convention says 0.
    return 0 * g if (x == 0 and y >= 0) or x == 1 else None


# ------------------------------------------------------------------------ arrays


def expand(g, x, axis):
    """A reduction's cotangent spread back over the axis it reduced."""
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))


def matmul_dx(g, z, x, y):
    x, y = np.asarray(x), np.asarray(y)
    if y.ndim == 1:  # (..., n) = (..., n, k) @ (k,)
        return np.multiply.outer(g, y) if x.ndim == 1 else g[..., :, None] * y
    if x.ndim == 1:  # (..., m) = (k,) @ (..., k, m): sum over the stacked matrices
        return (y @ g[..., :, None])[..., 0]
    return g @ np.swapaxes(y, -1, -2)


def matmul_dy(g, z, x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 1:
        return g * x if y.ndim == 1 else x[:, None] * g[..., None, :]
    if y.ndim == 1:  # (..., n) = (..., n, k) @ (k,)
        return (np.swapaxes(x, -1, -2) @ g[..., :, None])[..., 0]
    return np.swapaxes(x, -1, -2) @ g


def extreme_vjp(g, z, x, axis=None):
    # max or min over an axis: ties share the derivative equally, as for max(x, y).
    hit = x == expand(z, x, axis)
    return expand(g, x, axis) * hit / np.sum(hit, axis=axis, keepdims=True)


def lead(x, axis=None, sign=1.0):
    """Per element of x, how far it is above the largest of the others in its slice
    (sign -1: below the smallest): 0 at a tie for the largest, > 0 for the one largest,
    < 0 for the rest. The kink quantity of max(x) and min(x)."""
    x = sign * np.asarray(x, dtype=np.float64)
    top = np.max(x, axis=axis, keepdims=True)
    at_top = x == top
    alone = np.sum(at_top, axis=axis, keepdims=True) == 1
    second = np.max(np.where(at_top, -np.inf, x), axis=axis, keepdims=True)
    return x - np.where(at_top & alone, second, top)


def logsumexp(x, axis=None):
    # log(sum(exp(x))) as m + log(sum(exp(x - m))): no overflow at x = 1000.
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    total = np.sum(np.exp(x - m), axis=axis, keepdims=True)
    return (
        np.squeeze(m + np.log(total), axis=axis)
        if axis is not None
        else (m + np.log(total)).reshape(())
    )


def logsumexp_vjp(g, z, x, axis=None):
    # G * softmax(x), from x - max(x) as the forward pass has it: exp(x - z) would
    # carry z's rounding (an ulp of 1000 is 1e-13) into every element.
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - np.where(np.isfinite(m), m, 0.0))
    return expand(g, x, axis) * (e / np.sum(e, axis=axis, keepdims=True))


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_vjp(g, z, x, axis=-1):
    return z * (g - np.sum(g * z, axis=axis, keepdims=True))


def norm(x, axis=None):
    # The 2-norm scaled by the largest magnitude: no overflow in the squares.
    m = np.max(np.abs(x), axis=axis, keepdims=True)
    scale = np.where((m > 0) & (m < np.inf), m, 1.0)  # inf in x: the norm is inf, not nan
    result = scale * np.sqrt(np.sum((x / scale) ** 2, axis=axis, keepdims=True))
    return np.squeeze(result, axis=axis) if axis is not None else result.reshape(())


def norm_vjp(g, z, x, axis=None):
    # x/|x|, and 0 at |x| = 0 (PyTorch's subgradient there).
    n = expand(z, x, axis)
    return expand(g, x, axis) * np.where(n > 0, x / np.where(n > 0, n, 1.0), 0.0)


def index_vjp(g, z, x, key=()):
    out = np.zeros(np.shape(x))
    out[key] = g  # basic indexing reaches each element at most once
    return out


class EachArgument:
    """The VJPs of an op with any number of arguments: argument p's is rule(g, p)."""

    def __init__(self, rule):
        self.rule = rule

    def __getitem__(self, position):
        return lambda g, z, *args: self.rule(g, position)
