"""Derivative rules written once for every domain: the `d` column of the op table.

A rule is `rule(xp, g, z, *args, **settings)`: the cotangent `g` of the output
times the local partial, computed with the namespace `xp` it is given (the
array-API habit). With NUMPY below it computes float64 numbers; with the
symbolic domain's builder (cgcli/transform/symbolic.py) the same rule appends
the nodes of the derivative to a new graph, and that is the formula `cg diff`
prints. The namespace has the op table's functions by their op names (xp.cos,
xp.sum(x, axis=0), xp.broadcast(x, shape=...)) and three questions about a
value: xp.shape(x), xp.known(x) (its value when it is fixed before evaluation,
a constant, else None), and xp.ones(shape).

Where float64 needs another form for stability (sigmoid' far from 0, tanh'
where 1 - tanh^2 cancels, atan2' near overflow) or for a convention at a point
the plain formula gets wrong (pow at 0), the op keeps that numeric rule beside
this one (its `vjp`): numbers come from the numeric rule, formulas from this
one, and tests hold the two to each other.
"""

from __future__ import annotations

import math
import types

import numpy as np

from . import rules as r


def _step(x):
    # 1 where x > 0, else 0 (and 0 at 0, as relu'(0) = 0; 0 for NaN, as relu' is).
    return np.where(x > 0, 1.0, 0.0)


def _broadcast(x, shape=()):
    return np.broadcast_to(x, shape)


def _index(x, key=()):
    return np.asarray(x)[key]


def _known(x):
    return x  # every float64 value is known: rules may branch on it


NUMPY = types.SimpleNamespace(
    cos=np.cos,
    sin=np.sin,
    exp=np.exp,
    log=np.log,
    sqrt=np.sqrt,
    sign=np.sign,
    tanh=np.tanh,
    cosh=np.cosh,
    sinh=np.sinh,
    step=_step,
    sigmoid=r.sigmoid,
    softmax=r.softmax,
    matmul=np.matmul,
    transpose=np.transpose,
    sum=lambda x, axis=None: np.sum(x, axis=axis),
    reshape=lambda x, shape=(): np.reshape(x, shape),
    broadcast=_broadcast,
    index=_index,
    stack=lambda *xs: np.stack(xs),
    shape=np.shape,
    known=_known,
    ones=np.ones,
)


# ------------------------------------------------------------------ elementwise


def pow_dx(xp, g, z, x, y):
    # y x^(y-1); for a known exponent as the numeric rule has it: 0 for y = 0, 2x for
    # y = 2, else y x^(y - 1) with y - 1 computed once.
    k = xp.known(y)
    if k is not None and np.ndim(k) == 0:
        if k == 0:
            return g * 0
        if k == 2:
            return g * (2 * x)
        return g * (k * x ** (float(k) - 1.0))
    return g * (y * x ** (y - 1))


def pow_dy(xp, g, z, x, y):
    return g * (z * xp.log(x))


def tie(xp, g, x, y, larger: bool, first: bool):
    """max (larger) and min: the whole cotangent to the winner, half each at a tie. With
    s = sign(x - y), shared by both arguments, d max/dx = (1 + s)/2, d max/dy = (1 - s)/2."""
    s = xp.sign(x - y)
    return g * ((1 + s) / 2 if larger == first else (1 - s) / 2)


# ------------------------------------------------------------------------ arrays


def expand(xp, g, x, axis):
    """A reduction's cotangent spread back over the axis it reduced."""
    shape = xp.shape(x)
    if axis is not None:
        kept = list(shape)
        kept[axis % len(shape)] = 1
        g = xp.reshape(g, shape=tuple(kept))
    return g if xp.shape(g) == shape else xp.broadcast(g, shape=shape)


def unbroadcast(xp, g, shape: tuple):
    """Sum a cotangent over the axes that broadcasting added or stretched."""
    while len(xp.shape(g)) > len(shape):
        g = xp.sum(g, axis=0)
    stretched = [k for k, n in enumerate(shape) if n == 1 and xp.shape(g)[k] != 1]
    for k in stretched:
        g = xp.sum(g, axis=k)
        kept = list(xp.shape(g))
        kept.insert(k, 1)
        g = xp.reshape(g, shape=tuple(kept))
    return g


def _outer(xp, a, b):
    return xp.reshape(a, shape=(*xp.shape(a), 1)) * b


def matmul_dx(xp, g, z, x, y):
    nx, ny = len(xp.shape(x)), len(xp.shape(y))
    if nx > 2 or ny > 2:
        raise NotImplementedError("the derivative of @ as a formula takes up to 2 dimensions")
    if ny == 1:
        return _outer(xp, g, y) if nx == 2 else g * y
    if nx == 1:
        return xp.matmul(y, g)
    return xp.matmul(g, xp.transpose(y))


def matmul_dy(xp, g, z, x, y):
    nx, ny = len(xp.shape(x)), len(xp.shape(y))
    if nx > 2 or ny > 2:
        raise NotImplementedError("the derivative of @ as a formula takes up to 2 dimensions")
    if nx == 1:
        return g * x if ny == 1 else _outer(xp, x, g)
    if ny == 1:
        return xp.matmul(g, x)
    return xp.matmul(xp.transpose(x), g)


def sum_dx(xp, g, z, x, axis=None):
    return expand(xp, g, x, axis)


def mean_dx(xp, g, z, x, axis=None):
    return expand(xp, g, x, axis) * (math.prod(xp.shape(z)) / math.prod(xp.shape(x)))


def extreme_dx(xp, g, z, x, axis=None):
    # The largest (or smallest) elements share the cotangent equally: hit is 1 where an
    # element equals the extreme, else 0.
    hit = 1 - abs(xp.sign(expand(xp, z, x, axis) - x))
    return expand(xp, g, x, axis) * hit / expand(xp, xp.sum(hit, axis=axis), x, axis)


def logsumexp_dx(xp, g, z, x, axis=None):
    if axis is None:
        weights = xp.reshape(xp.softmax(xp.reshape(x, shape=(-1,))), shape=xp.shape(x))
    else:
        weights = xp.softmax(x, axis=axis)
    return expand(xp, g, x, axis) * weights


def softmax_dx(xp, g, z, x, axis=-1):
    return z * (g - expand(xp, xp.sum(g * z, axis=axis), z, axis))


def norm_dx(xp, g, z, x, axis=None):
    # x/|x|. (The numeric rule takes 0 at |x| = 0, as PyTorch does; this is NaN there.)
    return expand(xp, g, x, axis) * x / expand(xp, z, x, axis)


def index_dx(xp, g, z, x, key=()):
    """The cotangent of x[key] put back in its place in an array of x's shape, zeros
    elsewhere: [0, g[0], g[1], 0] reshaped to x's shape, one element at a time (basic
    indexing reaches each element at most once)."""
    shape = xp.shape(x)
    where = np.full(shape, -1, dtype=np.int64)
    where[key] = np.arange(math.prod(xp.shape(z))).reshape(xp.shape(z))
    flat = xp.reshape(g, shape=(-1,)) if xp.shape(g) else g
    items = [
        0.0 if k < 0 else (xp.index(flat, key=(int(k),)) if xp.shape(g) else flat)
        for k in where.ravel()
    ]
    return xp.reshape(xp.stack(*items), shape=shape)


class EachArgument:
    """The rules of an op with any number of arguments ([a, b, c]): argument p's
    cotangent is element p of the output's."""

    def __getitem__(self, position):
        return lambda xp, g, z, *args: xp.index(g, key=(position,))
