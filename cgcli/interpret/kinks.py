"""Kinks: the nodes evaluated where their op is not differentiable, and --kink nan.

Each op's kinks are entries of the op table (ops.Kink): a quantity that is 0 at
the point, and the arguments whose partial derivative is a convention there.
"""

from __future__ import annotations

import numpy as np

from ..graph import Graph
from ..values import to_float


class KinkHit:
    """A node evaluated where its op is not differentiable, and the convention applied."""

    __slots__ = ("node", "kink", "mask")

    def __init__(self, node: int, kink, mask):
        self.node = node
        self.kink = kink  # the Kink of the op table
        self.mask = mask  # where (elementwise) the point is hit


def find_kinks(graph: Graph, values: list, active: list[bool]) -> list[KinkHit]:
    """The nodes on the way to the output evaluated exactly at a kink of their op,
    where the partial derivative the kink concerns is one that is needed."""
    needed = [False] * len(graph.nodes)
    needed[graph.output] = True
    hits = []
    for i in range(graph.output, -1, -1):
        if not needed[i]:
            continue
        node = graph.nodes[i]
        for j in node.inputs:
            needed[j] = True
        if not node.inputs or not node.op.kinks:
            continue
        args = [values[j] for j in node.inputs]
        for kink in node.op.kinks:
            if not any(active[node.inputs[p]] for p in kink.args):
                continue
            attrs = node.attrs or {}
            try:
                mask = kink.where(*args, **attrs) == 0
            except (TypeError, AttributeError):  # a rule for floats meeting Fractions
                mask = kink.where(*[to_float(a) for a in args], **attrs) == 0
            if mask.any() if isinstance(mask, np.ndarray) else mask:
                hits.append(KinkHit(i, kink, mask))
    hits.reverse()
    return hits


def describe_kink(graph: Graph, hit: KinkHit) -> str:
    node = graph.nodes[hit.node]
    point = graph.in_terms_of_inputs(node, hit.kink.point)
    return f"{node.name} = {graph.definition(node)} is evaluated at {point}"


def nan_at_kinks(contribution, hits: list[KinkHit], position: int):
    """--kink nan: the partial derivatives a kink concerns become NaN where it is hit."""
    for hit in hits:
        if position in hit.kink.args:
            contribution = np.where(
                hit.mask,
                np.nan,
                to_float(contribution),
            )
    return contribution
