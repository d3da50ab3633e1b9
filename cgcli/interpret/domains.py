"""The float64 domain of the loops: numbers as numpy float64, arrays as numpy arrays.

Its rules are the op table's numpy ones. Under --kink nan the partial derivatives a
kink concerns are NaN where it is hit; a contribution broadcast beyond its
argument's shape is summed back to that shape. (Fractions: exact.ExactDomain.)
"""

from __future__ import annotations

import numpy as np

from ..graph import INPUT
from ..ops.shapes import unbroadcast
from .kinks import nan_at_kinks


class FloatDomain:
    """float64 values; `kinked` maps nodes to the kinks --kink nan overrules (see
    kinks.find_kinks), empty for the conventions."""

    __slots__ = ("kinked",)

    def __init__(self, kinked: dict | None = None):
        self.kinked = kinked or {}

    def leaf(self, node, bound):
        value = bound if node.op == INPUT else node.value
        return value if isinstance(value, np.ndarray) else np.float64(value)

    def apply(self, node, args: list):
        if node.attrs:
            return node.op.forward(*args, **node.attrs)
        return node.op.forward(*args)

    def seed(self, out_value):
        # A float64 for a number, as every gradient is.
        return np.ones_like(out_value) if np.ndim(out_value) else np.float64(1.0)

    def vjp(self, node, p: int, g, z, args: list):
        if node.attrs:
            contribution = node.op.vjp[p](g, z, *args, **node.attrs)
        else:
            contribution = node.op.vjp[p](g, z, *args)
        kinked = self.kinked
        if kinked and node.id in kinked:
            contribution = nan_at_kinks(contribution, kinked[node.id], p)
        if type(contribution) is not np.float64 and np.shape(contribution) != np.shape(args[p]):
            contribution = unbroadcast(contribution, np.shape(args[p]))
        return contribution

    def add(self, previous, contribution):
        return previous + contribution
