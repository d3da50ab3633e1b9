"""Shapes: the rules that say an op's output shape before anything is computed, and
the step that sums an adjoint back to the shape of a broadcast input."""

from __future__ import annotations

import math

import numpy as np

from ..errors import UsageError

MAX_DIMENSIONS = 64  # numpy's limit


class ShapeError(UsageError):
    """Arrays whose shapes an op cannot combine (exit code 2)."""


def show(shape: tuple) -> str:
    """(2,3) as numpy users write it, (3,) for a vector and () for a scalar."""
    return "(" + ",".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def unbroadcast(g, shape: tuple):
    """Sum an adjoint over the axes that broadcasting added or stretched."""
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def broadcast(*shapes, **_) -> tuple:
    try:
        return np.broadcast_shapes(*shapes)
    except ValueError:
        raise ShapeError(
            "the shapes " + " and ".join(map(show, shapes)) + " do not broadcast together"
        ) from None


def _axis(shape: tuple, axis) -> int | None:
    if axis is None:
        return None
    if not -len(shape) <= axis < len(shape):
        raise ShapeError(f"axis={axis} is out of range for an array of shape {show(shape)}")
    return axis % len(shape)


def reduced(shape: tuple, axis=None) -> tuple:
    axis = _axis(shape, axis)
    return () if axis is None else shape[:axis] + shape[axis + 1 :]


def same(shape: tuple, axis=-1) -> tuple:
    if shape:
        _axis(shape, axis)
    return shape


def _nonempty(rule):
    """A rule for ops with no value over no elements (max, mean, softmax, ...)."""

    def checked(shape: tuple, axis=None) -> tuple:
        out = rule(shape, axis)
        along = shape if axis is None or not shape else (shape[_axis(shape, axis)],)
        if 0 in along:
            raise ShapeError(f"there is nothing to reduce: the argument has shape {show(shape)}")
        return out

    return checked


reduced_nonempty = _nonempty(reduced)
same_nonempty = _nonempty(same)


def matmul(a: tuple, b: tuple) -> tuple:
    if not a or not b:
        raise ShapeError(
            f"cannot multiply {show(a)} @ {show(b)}: @ needs arrays, not numbers (use * for those)"
        )
    left = (1,) + a if len(a) == 1 else a
    right = b + (1,) if len(b) == 1 else b
    if left[-1] != right[-2]:
        raise ShapeError(f"cannot multiply {show(a)} @ {show(b)}")
    out = broadcast(left[:-2], right[:-2]) + (left[-2], right[-1])
    if len(b) == 1:
        out = out[:-1]
    if len(a) == 1:
        out = out[:-2] + out[-1:] if len(b) > 1 else out[:-1]
    return out


def dot(a: tuple, b: tuple) -> tuple:
    if not 1 <= len(a) <= 2 or not 1 <= len(b) <= 2:
        raise ShapeError(f"dot takes vectors and matrices, not {show(a)} and {show(b)}")
    return matmul(a, b)


def transposed(shape: tuple) -> tuple:
    return shape[::-1]


def reshaped(shape: tuple, shape_to=()) -> tuple:
    size = math.prod(shape)
    known = math.prod(n for n in shape_to if n != -1)
    target = tuple(shape_to)
    if target.count(-1) > 1 or any(n < -1 for n in target):
        raise ShapeError(f"cannot reshape {show(shape)} into {show(target)}")
    if -1 in target:
        if known == 0 or size % known:
            raise ShapeError(f"cannot reshape {show(shape)} into {show(target)}")
        target = tuple(size // known if n == -1 else n for n in target)
    if math.prod(target) != size:
        raise ShapeError(f"cannot reshape {show(shape)} ({size} elements) into {show(target)}")
    return target


def indexed(shape: tuple, key=()) -> tuple:
    # Each subscript (a whole number or a slice) takes one axis, in order: checked here
    # in cg's words, as numpy's would speak of types for a number past 64 bits.
    def refuse(why, hint=None):
        return ShapeError(f"cannot index an array of shape {show(shape)}: {why}", hint)

    if len(key) > len(shape):
        raise refuse(
            f"it has {len(shape)} dimension{'s' * (len(shape) != 1)}, and {len(key)} "
            f"subscript{' was' if len(key) == 1 else 's were'} given",
            "Give at most one subscript per dimension, as in W[0, 1] for a matrix.",
        )
    for axis, k in enumerate(key):
        if isinstance(k, slice):
            if k.step == 0:
                raise refuse("a slice's step cannot be 0", "Write x[::1], or x[::-1] to reverse.")
        elif not -shape[axis] <= k < shape[axis]:
            text = str(k) if len(str(k)) <= 24 else str(k)[:21] + "..."
            raise refuse(
                f"the index {text} is out of range for axis {axis}, of length {shape[axis]}",
                f"Indices along it go from 0 to {shape[axis] - 1} (or -{shape[axis]} to -1 "
                "from the end)."
                if shape[axis]
                else "The axis is empty: it has no elements to index.",
            )
    # Index a view with no memory of its own: the shape numpy would give, for free.
    view = np.lib.stride_tricks.as_strided(np.zeros(1), shape=shape, strides=(0,) * len(shape))
    return view[key].shape


def stacked(*shapes) -> tuple:
    if len(set(shapes)) > 1:
        other = next(k for k, s in enumerate(shapes) if s != shapes[0])
        raise ShapeError(
            f"the items of [...] have different shapes: item 1 is {show(shapes[0])}, "
            f"item {other + 1} is {show(shapes[other])}"
        )
    return (len(shapes),) + shapes[0]


def broadcast_to(shape: tuple, target=()) -> tuple:
    target = tuple(target)
    if any(n < 0 for n in target):
        raise ShapeError(f"cannot broadcast to {show(target)}: a length is negative")
    try:
        if len(target) >= len(shape) and np.broadcast_shapes(shape, target) == target:
            return target
    except ValueError:
        pass
    raise ShapeError(f"cannot broadcast an array of shape {show(shape)} to {show(target)}")
