"""What `cg graph` draws: the values and adjoints where they exist, and never a refusal
for want of them.

Drawing needs neither a value for every input nor a number at the output. With
every value and a number at the output, a node shows its value and adjoint; with
an array at the output (no single gradient) or with some inputs unbound, it shows
the values that can be computed (those of the nodes that depend on bound inputs
only) and no adjoints; with no values, the structure alone.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import EvaluationError
from ..graph import CONST, INPUT, Graph
from ..ops.shapes import ShapeError, show
from .budget import DEFAULT, FLOAT, check_budget
from .diagnose import Notice, describe, diagnose
from .evaluate import Result, check_memory, evaluate, forward, infer_shapes
from .loops import active_nodes


def to_draw(
    graph: Graph,
    values: dict,
    strict=False,
    kink="subgradient",
    exact=False,
    max_memory: int | None = DEFAULT,
):
    """The Result to draw (None for the structure alone); arrays that would take more
    than `max_memory` bytes are refused before they are computed, as evaluate does."""
    if graph.inputs and not values:
        return None
    missing = [name for name in graph.inputs if name not in values]
    if not missing:
        arrays = graph.arrays or any(isinstance(v, np.ndarray) for v in values.values())
        shapes = infer_shapes(graph, values) if arrays and not exact else None
        if shapes is None or not shapes[graph.output]:
            return evaluate(
                graph, values, strict=strict, kink=kink, exact=exact, max_memory=max_memory
            )
        check_memory(graph, shapes, [False] * len(graph.nodes), max_memory)  # values only
        with np.errstate(all="ignore"):
            found = forward(graph, values)
        nodes = len(graph.nodes)
        notices = diagnose(graph, found, [None] * nodes, active_nodes(graph), {})
        if strict and notices:
            raise EvaluationError(
                "--strict: " + "; ".join(n.message for n in notices),
                "Without --strict these are warnings and the numbers are still printed.",
            )
        name = graph.nodes[graph.output].name
        notices.append(
            Notice(
                "drawing",
                f"the output {name} is an array, so it has no single gradient: the graph "
                f"shows values only (sum({name}) has a gradient)",
            )
        )
        return Result(graph, found, [None] * nodes, notices)
    found = _known_values(graph, values, exact, max_memory)
    names = ", ".join(missing)
    notice = Notice(
        "drawing",
        f"no value for {names}: the graph shows the values that do not depend on "
        f"{'them' if len(missing) > 1 else 'it'}, and no derivatives",
    )
    return Result(graph, found, [None] * len(graph.nodes), [notice], exact=exact)


def _known_values(graph: Graph, values: dict, exact: bool, budget: int | None) -> list:
    """The value of every node that depends on bound inputs only; None for the rest.
    With `exact`, Fractions where the op has a rational value, as ExactDomain.apply has them.
    Each array, and all of them, within the memory budget."""
    from fractions import Fraction

    from ..values import to_float
    from .exact import exact_value, small

    nodes = graph.nodes
    shapes: list = [None] * len(nodes)
    out: list = [None] * len(nodes)
    total = 0  # bytes of the arrays computed so far
    with np.errstate(all="ignore"):
        for node in nodes:
            if not node.inputs:
                if node.op == INPUT and node.name not in values:
                    continue
                value = values[node.name] if node.op == INPUT else node.value
                if exact and node.op == CONST and node.literal is not None:
                    value = exact_value(node.literal)
                    value = np.float64(node.value) if value is None else value
                elif exact and node.op == INPUT and not isinstance(value, np.ndarray):
                    value = Fraction(value)
                elif not isinstance(value, np.ndarray):
                    value = np.float64(value)
                out[node.id], shapes[node.id] = value, np.shape(value)
                continue
            args = [out[i] for i in node.inputs]
            if any(a is None for a in args):
                continue
            attrs = node.attrs or {}
            try:
                shapes[node.id] = node.op.shape(*[shapes[i] for i in node.inputs], **attrs)
            except ShapeError as err:
                raise ShapeError(f"{describe(graph, node, out)}: {err.message}", err.hint) from None
            size = math.prod(shapes[node.id]) * FLOAT if shapes[node.id] else 0
            total += size
            if budget is not None and total > budget:  # worded only when refused
                what = describe(graph, node, out)
                shape = show(shapes[node.id])
                check_budget(size, f"{what}, an array of shape {shape},", budget)
                check_budget(total, f"the values of the arrays up to {what}", budget)
            value = None
            if exact and node.op.exact is not None and all(type(a) is Fraction for a in args):
                try:
                    value = node.op.exact(*args)
                except OverflowError:  # past the cap: float64, as ExactDomain has it
                    value = None
                if value is not None and not small(Fraction(value)):
                    value = None
            if value is None:
                value = node.op.forward(*[to_float(a) for a in args], **attrs)
            out[node.id] = Fraction(value) if isinstance(value, int | Fraction) else value
    return out
