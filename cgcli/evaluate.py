"""The forward pass and the reverse (backpropagation) pass over a Graph, and their Result.

Both passes are plain loops over the node list. Adjoints live in the Result,
never on the nodes, so evaluating a graph twice gives the same answer twice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from .errors import EvaluationError, SourceError
from .graph import CONST, INPUT, Graph


class Notice:
    """A warning about the result: what happened and at which node."""

    __slots__ = ("kind", "message", "node")

    def __init__(self, kind: str, message: str, node: int | None = None):
        self.kind = kind  # "value", "derivative" (not finite), "unused" (a binding)
        self.message = message
        self.node = node

    def __repr__(self):
        return f"Notice({self.kind!r}, {self.message!r})"


class Result:
    """What one evaluation found: a value and an adjoint per node, and the notices."""

    def __init__(self, graph: Graph, values: list, adjoints: list, notices: list[Notice]):
        self.graph = graph
        self.values = values  # per node
        self.adjoints = adjoints  # per node: d(output)/d(node), None where nothing flowed
        self.notices = notices

    @property
    def output(self):
        return self.values[self.graph.output]

    @property
    def output_name(self) -> str:
        return self.graph.nodes[self.graph.output].name

    @property
    def gradient(self) -> dict:
        """d(output)/d(input) for every input, by name; 0 where the output does not depend on it."""
        zero = np.float64(0.0)
        return {name: _or(self.adjoints[i], zero) for name, i in self.graph.inputs.items()}


def _or(value, default):
    return default if value is None else value


def evaluate(graph: Graph, values: Mapping[str, float], strict: bool = False) -> Result:
    missing = [name for name in graph.inputs if name not in values]
    if missing:
        raise _unbound(graph, missing)
    with np.errstate(all="ignore"):
        forward_values = forward(graph, values)
        adjoints = backward(graph, forward_values)
        notices = _diagnose(graph, forward_values, adjoints)
    notices += [
        Notice(
            "unused", f"the expression does not use '{name}', so {name}={values[name]} is ignored"
        )
        for name in values
        if name not in graph.inputs
    ]
    if strict and any(n.kind in ("value", "derivative") for n in notices):
        raise EvaluationError(
            "--strict: " + "; ".join(n.message for n in notices if n.kind != "unused"),
            "Without --strict these are warnings and the numbers are still printed.",
        )
    return Result(graph, forward_values, adjoints, notices)


def forward(graph: Graph, values: Mapping[str, float]) -> list:
    """Every node's value, in topological order."""
    out = [None] * len(graph.nodes)
    for node in graph.nodes:
        ins = node.inputs
        if len(ins) == 1:
            out[node.id] = node.op.forward(out[ins[0]])
        elif len(ins) == 2:
            out[node.id] = node.op.forward(out[ins[0]], out[ins[1]])
        elif ins:
            out[node.id] = node.op.forward(*[out[i] for i in ins])
        elif node.op == INPUT:
            out[node.id] = np.float64(values[node.name])
        else:
            out[node.id] = np.float64(node.value)
    return out


def active_nodes(graph: Graph) -> list[bool]:
    """Which nodes depend on an input: only they receive adjoints."""
    active = [False] * len(graph.nodes)
    for node in graph.nodes:
        if node.inputs:
            active[node.id] = any(active[i] for i in node.inputs)
        else:
            active[node.id] = node.op == INPUT
    return active


def backward(graph: Graph, values: list) -> list:
    """Every node's adjoint d(output)/d(node), accumulated in reverse topological order."""
    nodes = graph.nodes
    adjoint = [None] * len(nodes)
    top = graph.output
    adjoint[top] = np.ones_like(values[top])
    active = active_nodes(graph)
    for i in range(top, -1, -1):
        g = adjoint[i]
        if g is None:
            continue
        node = nodes[i]
        ins = node.inputs
        if not ins:
            continue
        z = values[i]
        args = [values[j] for j in ins]
        for rule, j in zip(node.op.vjp, ins):
            if active[j]:
                contribution = rule(g, z, *args)
                previous = adjoint[j]
                adjoint[j] = contribution if previous is None else previous + contribution
    return adjoint


def _finite(value) -> bool:
    if type(value) is np.float64:
        return math.isfinite(value)
    return bool(np.isfinite(value).all())


def _diagnose(graph: Graph, values: list, adjoints: list) -> list[Notice]:
    """Where a non-finite value or derivative first appears, one notice per origin."""
    notices = []
    nodes = graph.nodes
    finite = [_finite(v) for v in values]
    for node in nodes:
        if not finite[node.id] and all(finite[i] for i in node.inputs):
            notices.append(
                Notice(
                    "value",
                    f"{_describe(graph, node, values)} is "
                    f"{_num(values[node.id])}{_at(graph, node, values)}",
                    node.id,
                )
            )
    if all(_finite(a) for a in adjoints if a is not None):
        return notices
    # Recompute each local derivative along the reverse pass to find where an
    # adjoint stopped being finite: a finite cotangent times a non-finite partial.
    active = active_nodes(graph)
    output = nodes[graph.output].name
    found = False
    for i in range(graph.output, -1, -1):
        g = adjoints[i]
        node = nodes[i]
        if g is None or not node.inputs or not _finite(g):
            continue
        args = [values[j] for j in node.inputs]
        for rule, j in zip(node.op.vjp, node.inputs):
            if active[j]:
                local = rule(np.ones_like(g), values[i], *args)
                if not _finite(local):
                    found = True
                    name = nodes[j].name
                    notices.append(
                        Notice(
                            "derivative",
                            f"the derivative of {_describe(graph, node, values)} with respect to "
                            f"{name} is {_num(local)}{_at(graph, node, values)}, so "
                            f"d{output}/d{name} is {_num(adjoints[j])}",
                            node.id,
                        )
                    )
    if not found:
        first = next(
            i
            for i in range(graph.output, -1, -1)
            if adjoints[i] is not None and not _finite(adjoints[i])
        )
        notices.append(
            Notice(
                "derivative",
                f"d{output}/d{nodes[first].name} overflows to {_num(adjoints[first])}",
                first,
            )
        )
    return notices


def _describe(graph: Graph, node, values) -> str:
    if node.op in (INPUT, CONST):
        return node.name
    return f"{node.name} = {graph.definition(node)}"


def _at(graph: Graph, node, values) -> str:
    shown = []
    for i in dict.fromkeys(node.inputs):
        arg = graph.nodes[i]
        if arg.op != CONST:
            shown.append(f"{arg.name} = {_num(values[i])}")
    return " at " + ", ".join(shown) if shown else ""


def _num(value) -> str:
    from .render import fmt

    return fmt(value)


def _unbound(graph: Graph, missing: list[str]) -> SourceError:
    first = graph.nodes[graph.inputs[missing[0]]]
    names = ", ".join(missing)
    plural = len(missing) > 1
    return SourceError(
        graph.source,
        first.position or 0,
        f"no value for {'the variables' if plural else 'the variable'} {names}",
        "Give "
        + ("each" if plural else "it")
        + " a value after the expression, as in "
        + " ".join(f"{m}=1" for m in missing[:4])
        + ".",
    )
