"""One evaluation of a Graph (both passes, the kinks, the notices) and its Result.

The passes are the loops of loops.py over the float domain, or the exact one
(--exact). Adjoints live in the Result, never on the nodes, so evaluating a
graph twice gives the same answer twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from ..errors import EvaluationError, UsageError, shown
from ..graph import INPUT, Graph
from ..ops import EXACT_BITS
from ..ops.shapes import MAX_DIMENSIONS, ShapeError, show
from . import loops
from .budget import DEFAULT, FLOAT, check_budget
from .diagnose import Notice, at_inputs, describe, diagnose, number, unbound
from .domains import FloatDomain
from .kinks import KinkHit, describe_kink, find_kinks
from .loops import active_nodes


class Result:
    """What one evaluation found: a value and an adjoint per node, and the notices."""

    def __init__(
        self,
        graph: Graph,
        values: list,
        adjoints: list,
        notices: list[Notice],
        kinks: list[KinkHit] = (),
        policy: str = "subgradient",
        exact: bool = False,
    ):
        self.graph = graph
        self.values = values  # per node
        self.adjoints = adjoints  # per node: d(output)/d(node), None where nothing flowed
        self.notices = notices
        self.kinks = list(kinks)
        self.policy = policy  # what was done at the kinks: subgradient or nan
        self.exact = exact  # values may be Fractions
        self.jacobian = None  # for an array output: d(output)/d(input) by input name

    @property
    def output(self):
        return self.values[self.graph.output]

    @property
    def output_name(self) -> str:
        return self.graph.nodes[self.graph.output].name

    @property
    def gradient(self) -> dict:
        """d(output)/d(input) for every input, by name, in the input's shape; 0 where the
        output does not depend on it. Empty for an array output (see `jacobian`)."""
        if self.jacobian is not None:
            return {}
        return {name: self._adjoint_or_zero(i) for name, i in self.graph.inputs.items()}

    def _adjoint_or_zero(self, i: int):
        if self.adjoints[i] is not None:
            return self.adjoints[i]
        if self.exact:
            from fractions import Fraction

            return Fraction(0)
        shape = np.shape(self.values[i])
        return np.zeros(shape) if shape else np.float64(0.0)


KINK_POLICIES = ("subgradient", "nan", "error")
UNUSED = 10  # bindings the program does not use, named one by one; past that, counted


def evaluate(
    graph: Graph,
    values: Mapping[str, float],
    strict: bool = False,
    kink: str = "subgradient",
    exact: bool = False,
    jacobian: bool = False,
    max_memory: int | None = DEFAULT,
) -> Result:
    """Both passes over the graph at `values`.

    `kink` says what to do where an op is not differentiable: keep the
    conventional derivative (subgradient), make it NaN (nan), or stop (error).
    With `exact`, values are Fractions wherever every op on the way is rational.
    An output that is an array needs `jacobian`: one reverse pass per element.
    Arrays whose values, derivatives or Jacobian would take more than
    `max_memory` bytes (None: no limit) are refused before any is computed.
    """
    if kink not in KINK_POLICIES:
        raise ValueError(f"kink must be one of {', '.join(KINK_POLICIES)}, not {kink!r}")
    missing = [name for name in graph.inputs if name not in values]
    if missing:
        raise unbound(graph, missing)
    arrays = graph.arrays or any(isinstance(values[n], np.ndarray) for n in graph.inputs)
    if arrays:
        shapes = infer_shapes(graph, values)
        if exact:
            bound = [n for n in graph.inputs if isinstance(values[n], np.ndarray)]
            raise UsageError(
                "--exact works on numbers, not on arrays: "
                + (
                    f"{', '.join(bound)} is bound to an array"
                    if bound
                    else "the program uses array operations"
                ),
                "Leave out --exact, or bind the variables to numbers.",
            )
        output_shape = shapes[graph.output]
        if output_shape and not jacobian:
            name = graph.nodes[graph.output].name
            raise UsageError(
                f"the output {name} is an array of shape {show(output_shape)}, so it has no "
                "single gradient",
                f"Reduce it to a number, as in sum({name}), or ask `cg eval --jacobian` "
                "for the derivative of each element.",
            )
    active = active_nodes(graph)
    if arrays:
        check_memory(graph, shapes, active, max_memory)
        if shapes[graph.output]:
            check_jacobian(graph, shapes, max_memory)
    notices = []
    with np.errstate(all="ignore"):
        if exact:
            from .exact import ExactDomain

            domain = ExactDomain()
        else:
            domain = FloatDomain()
        forward_values = loops.forward(graph, domain, values)
        if exact and domain.capped:  # where it first happened; what follows is float anyway
            notices.append(_exact_stops(graph, forward_values, domain.capped[0]))
        kinks = find_kinks(graph, forward_values, active)
        if kink == "error" and kinks:
            raise EvaluationError(
                "--kink error: "
                + "; ".join(describe_kink(graph, hit) for hit in kinks)
                + ", where the derivative does not exist or is infinite",
                "Without --kink error, cg applies the conventions in the README's table.",
            )
        kinked = {hit.node: [] for hit in kinks} if kink == "nan" else {}
        for hit in kinks if kink == "nan" else ():
            kinked[hit.node].append(hit)
        domain.kinked = kinked
        jacobians = None
        if not exact and np.ndim(forward_values[graph.output]):
            adjoints, jacobians = _jacobians(graph, forward_values, active, domain)
        else:
            adjoints = loops.backward(graph, forward_values, domain, active)
        notices += diagnose(graph, forward_values, adjoints, active, kinked)
    notices += unused(graph, values)
    if strict and any(n.kind in ("value", "derivative") for n in notices):
        raise EvaluationError(
            "--strict: "
            + "; ".join(n.message for n in notices if n.kind in ("value", "derivative")),
            "Without --strict these are warnings and the numbers are still printed.",
        )
    policy = "nan" if kink == "nan" else "subgradient"
    result = Result(graph, forward_values, adjoints, notices, kinks, policy, exact)
    result.jacobian = jacobians
    return result


def _exact_stops(graph: Graph, values: list, i: int) -> Notice:
    node = graph.nodes[i]
    where = describe(graph, node, values)
    inputs = at_inputs(graph, node, values).removeprefix(" at ")
    return Notice(
        "exact",
        f"exact arithmetic stops at {where}{f' ({inputs})' if inputs else ''}: "
        f"its numbers pass {EXACT_BITS} bits, so it and what depends on it are float64",
        i,
    )


def check_memory(graph: Graph, shapes: list[tuple], active: list[bool], budget) -> None:
    """Refuse, before anything is computed, a node whose array would not fit the budget,
    or arrays that would not fit it together: every node's value, and the derivative
    of every node that depends on an input."""
    total = 0
    for node, shape in zip(graph.nodes, shapes):
        if not shape:
            continue
        size = math.prod(shape) * FLOAT
        if node.inputs:  # the inputs' own values are in memory already
            check_budget(size, f"{_named(graph, node)}, an array of shape {show(shape)},", budget)
        total += size * (2 if active[node.id] else 1)
        check_budget(
            total,
            f"the values and derivatives of the arrays up to {_named(graph, node)}",
            budget,
        )


def check_jacobian(graph: Graph, shapes: list[tuple], budget) -> None:
    """Refuse a Jacobian larger than the budget: an entry for every element of the
    output and every element of every input."""
    out = graph.nodes[graph.output]
    rows = math.prod(shapes[graph.output])
    columns = sum(math.prod(shapes[i]) for i in graph.inputs.values())
    check_budget(
        rows * columns * FLOAT,
        f"the Jacobian of {shown(out.name, 30)} (shape {show(shapes[graph.output])}) by "
        f"{shown(', '.join(graph.inputs), 40)}, {rows * columns:,} entries,",
        budget,
    )


def _named(graph: Graph, node) -> str:
    """A node as messages name it: y = sum(x), clipped to a readable length."""
    if not node.inputs:
        return shown(node.name, 30)
    return shown(f"{node.name} = {graph.definition(node)}", 80)


def _jacobians(graph: Graph, values: list, active, domain) -> tuple[list, dict]:
    """d(output element)/d(input) for every element: one reverse pass each, written
    into the Jacobian in place (its size was checked against the budget)."""
    out = values[graph.output]
    jacobians = {
        name: np.zeros((out.size,) + np.shape(values[i])) for name, i in graph.inputs.items()
    }
    seed = np.zeros(out.shape)
    for k in range(out.size):
        seed.flat[k] = 1.0
        adjoints = loops.backward(graph, values, domain, active, seed)
        for name, i in graph.inputs.items():
            if adjoints[i] is not None:
                jacobians[name][k] = adjoints[i]  # a copy, before the seed changes
        seed.flat[k] = 0.0
    jacobians = {
        name: np.reshape(jacobian, out.shape + np.shape(values[graph.inputs[name]]))
        for name, jacobian in jacobians.items()
    }
    return [None] * len(graph.nodes), jacobians


def forward(graph: Graph, values: Mapping[str, float]) -> list:
    """Every node's float64 value: the one forward loop over the float domain."""
    return loops.forward(graph, FloatDomain(), values)


def backward(
    graph: Graph,
    values: list,
    active: list[bool] | None = None,
    kinked: dict | None = None,
    seed=None,
) -> list:
    """Every node's float64 adjoint d(output)/d(node): the one reverse loop over the
    float domain, with the kinks --kink nan overrules (`kinked`) and the output's
    cotangent (`seed`: 1 unless given, one element of the identity for a row of a
    Jacobian)."""
    return loops.backward(graph, values, FloatDomain(kinked), active, seed)


def unused(graph: Graph, values: Mapping) -> list[Notice]:
    """Bindings the program does not use (ten by name, the rest counted), and
    statements that are not the output and that nothing uses (shared with --batch)."""
    names = [name for name in values if name not in graph.inputs]
    notices = [
        Notice(
            "unused",
            f"the expression does not use '{shown(name, 30)}', so {shown(name, 30)}="
            f"{shown(number(values[name]), 60)} is ignored",
        )
        for name in names[:UNUSED]
    ]
    if len(names) > UNUSED:
        notices.append(
            Notice(
                "unused",
                f"nor does it use {len(names) - UNUSED:,} more of the names bound, which "
                "are ignored too",
            )
        )
    return notices + [
        Notice(
            "unused",
            f"the statement {_statement(graph, x)} is not "
            "used: only the last statement is the output. To use a value later, name it "
            "(d = ...); to continue a statement on the next line, end the line with its "
            "operator or leave a '(' open",
            x,
        )
        for x in dict.fromkeys(graph.statements)
        if x != graph.output
    ]


def _statement(graph: Graph, x: int) -> str:
    node = graph.nodes[x]
    return shown(graph.definition(node) if node.inputs else node.name, 60)


def infer_shapes(graph: Graph, values: Mapping) -> list[tuple]:
    """Every node's shape, from the inputs' alone: shape errors before any work."""
    result = []
    for node in graph.nodes:
        if not node.inputs:
            value = values[node.name] if node.op == INPUT else node.value
            result.append(np.shape(value))
            continue
        try:
            shape = node.op.shape(*[result[i] for i in node.inputs], **(node.attrs or {}))
            if len(shape) > MAX_DIMENSIONS:
                raise ShapeError(
                    f"the result would have {len(shape)} dimensions, over numpy's {MAX_DIMENSIONS}"
                )
            result.append(shape)
        except ShapeError as err:
            raise ShapeError(f"{_named(graph, node)}: {err.message}", err.hint) from None
    return result
