"""What `cg graph` draws: the values and adjoints where they exist, and never a refusal
for want of them.

Drawing needs neither a value for every input nor a number at the output. With
every value and a number at the output, a node shows its value and adjoint; with
an array at the output (no single gradient) or with some inputs unbound, it shows
the values that can be computed (those of the nodes that depend on bound inputs
only) and no adjoints; with no values, the structure alone.
"""

from __future__ import annotations

import numpy as np

from .diagnose import Notice, diagnose
from .errors import EvaluationError
from .evaluate import Result, active_nodes, evaluate, forward, infer_shapes
from .graph import CONST, INPUT, Graph
from .shapes import ShapeError


def to_draw(graph: Graph, values: dict, strict=False, kink="subgradient", exact=False):
    """The Result to draw (None for the structure alone)."""
    if graph.inputs and not values:
        return None
    missing = [name for name in graph.inputs if name not in values]
    if not missing:
        arrays = graph.arrays or any(isinstance(v, np.ndarray) for v in values.values())
        if exact or not arrays or not infer_shapes(graph, values)[graph.output]:
            return evaluate(graph, values, strict=strict, kink=kink, exact=exact)
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
    found = _known_values(graph, values, exact)
    names = ", ".join(missing)
    notice = Notice(
        "drawing",
        f"no value for {names}: the graph shows the values that do not depend on "
        f"{'them' if len(missing) > 1 else 'it'}, and no derivatives",
    )
    return Result(graph, found, [None] * len(graph.nodes), [notice], exact=exact)


def _known_values(graph: Graph, values: dict, exact: bool) -> list:
    """The value of every node that depends on bound inputs only; None for the rest.
    With `exact`, Fractions where the op has a rational value, as in exact.forward."""
    from fractions import Fraction

    from .exact import exact_value, small
    from .values import to_float

    nodes = graph.nodes
    shapes: list = [None] * len(nodes)
    out: list = [None] * len(nodes)
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
                raise ShapeError(
                    f"{node.name} = {graph.definition(node)}: {err.message}", err.hint
                ) from None
            value = None
            if exact and node.op.exact is not None and all(type(a) is Fraction for a in args):
                try:
                    value = node.op.exact(*args)
                except OverflowError:  # past the cap: float64, as exact.forward has it
                    value = None
                if value is not None and not small(Fraction(value)):
                    value = None
            if value is None:
                value = node.op.forward(*[to_float(a) for a in args], **attrs)
            out[node.id] = Fraction(value) if isinstance(value, int | Fraction) else value
    return out
