"""The derivative as a graph: reverse mode run in the symbolic domain.

The forward program is copied into a new graph (its common subexpressions merged
on the way), and the reverse loop, run on that graph's nodes instead of numbers,
appends the adjoint of every node after it: each partial shares every value of
the forward program and every adjoint with the others, so the derivative of all
inputs together has at most a small constant times the forward graph's nodes.
Nothing here knows any op: the op table's rules (its d column) build the nodes.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from ..errors import UsageError
from ..graph import Graph, collector_paused
from ..interpret.loops import backward, forward
from ..ops.shapes import show
from .symbolic import Builder, SymbolicDomain


@dataclass
class Derivative:
    """A graph whose `value` node is the program's output and whose `partials` are
    the nodes of d(output)/d(input), by input name, in the order asked."""

    graph: Graph
    value: int
    partials: dict[str, int]
    forward_nodes: int = 0  # operations of the forward program
    names: dict[int, str] = field(default_factory=dict)  # the program's own names
    builder: Builder | None = None  # to go on building in the same graph (hessian)


def grad(
    graph: Graph,
    wrt: list[str] | None = None,
    shapes: dict | None = None,
    output: int | None = None,
) -> Derivative:
    """d(output)/d(input) for each input in `wrt` (all, in order of first use, by
    default) as nodes of a new graph. `shapes` gives array inputs' shapes; `output`
    is the node differentiated (graph.output unless given): any node of a
    derivative graph, for second derivatives."""
    top = graph.output if output is None else output
    wrt = list(graph.inputs) if wrt is None else list(wrt)
    for name in wrt:
        if name not in graph.inputs:
            raise UsageError(f"'{name}' is not an input of the program")
    builder = Builder(graph.source)
    domain = SymbolicDomain(builder, shapes)
    with collector_paused():
        try:
            values = forward(graph, domain, {name: None for name in graph.inputs})
            out = values[top]
            if out.shape:
                name = graph.nodes[top].name
                raise UsageError(
                    f"the output {name} is an array of shape {show(out.shape)}, so it has no "
                    "single gradient",
                    f"Reduce it to a number, as in sum({name}).",
                )
            if top != graph.output:  # the same nodes, another output: a view, not a copy
                graph = copy.copy(graph)
                graph.output = top
            adjoints = backward(graph, values, domain)
        except NotImplementedError as err:
            raise UsageError(f"cg cannot write this derivative as a formula: {err}") from None
    # The forward program's names (d = a + b) stay with the nodes they name.
    written = graph.written()
    names = {}
    for node in graph.nodes:
        sym = values[node.id]
        if node.inputs and node.name in written and sym.id not in names:
            names[sym.id] = node.name
    partials = {}
    for name in wrt:
        adjoint = adjoints[graph.inputs[name]]
        if adjoint is None:  # the output does not depend on it
            adjoint = builder.zeros(values[graph.inputs[name]].shape)
        partials[name] = adjoint.id
    new = builder.graph
    new.output = out.id
    new.shapes = builder.shapes
    forward_nodes = sum(1 for node in graph.nodes if node.inputs)
    return Derivative(new, out.id, partials, forward_nodes, names, builder)
