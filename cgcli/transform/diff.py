"""What `cg diff` computes: the derivative graph (grad), simplified by the safe
rewrites, with the sizes that say what sharing saved. Views are in render/diff.py."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import UsageError
from ..graph import MAX_NODES, Graph
from .grad import grad

GROWTH = 8  # a derivative has at most this many nodes per node of the program


@dataclass
class Differentiated:
    graph: Graph  # the derivative graph, simplified
    output: str  # the output's label: its name in the program, else f
    partials: dict[str, int]  # input name -> node of d(output)/d(input)
    value: int | None  # the output's own node, where the rewrites kept it
    forward_nodes: int  # operations of the program
    rewrites: list = field(default_factory=list)
    passes: int = 0


def differentiate(
    graph: Graph,
    wrt: list[str] | None = None,
    values: dict | None = None,
    assume_finite: bool = False,
) -> Differentiated:
    """d(output)/d(input) for each input in `wrt` (all by default) as formulas.

    Array inputs need `values` (only their shapes are used); a derivative that
    would pass the node limit is refused before it is built."""
    from .rewrite import simplify

    values = values or {}
    wrt = _checked_wrt(graph, wrt)
    shapes = {name: np.shape(values[name]) for name in graph.inputs if name in values}
    if graph.arrays or any(shapes.values()):
        unknown = [name for name in graph.inputs if name not in values]
        if unknown:
            raise UsageError(
                "the derivative of a program of arrays depends on the shapes of its "
                f"inputs, and {', '.join(unknown)} {'has' if len(unknown) == 1 else 'have'} "
                "no value",
                "Give every input a value (its shape is what counts), as in x=[1,2,3].",
            )
    if len(graph.nodes) * GROWTH > MAX_NODES:
        raise UsageError(
            f"the program has {len(graph.nodes):,} nodes, and its derivative could take up "
            f"to {GROWTH}× as many: more than the {MAX_NODES:,} nodes cg takes on",
            "Differentiate a part of it, or with respect to fewer inputs (--wrt).",
        )
    derivative = grad(graph, wrt, shapes)
    new = derivative.graph
    for node_id, name in derivative.names.items():
        new.nodes[node_id].name = name
    outputs = [derivative.value, *derivative.partials.values()]
    simplified = simplify(new, outputs, assume_finite=assume_finite)
    value, *partials = simplified.outputs
    label = output_label(graph)
    return Differentiated(
        simplified.graph,
        label,
        dict(zip(derivative.partials, partials)),
        value,
        derivative.forward_nodes,
        simplified.rewrites,
        simplified.passes,
    )


def output_label(graph: Graph) -> str | None:
    """What the formulas call the output: the name the program gave it (g, also where
    g was assigned more than once, which cg's table calls g_2), else f (f2, ... where
    the program uses f)."""
    out = graph.nodes[graph.output]
    written = graph.written()
    if out.inputs and out.name in written:
        return out.name
    base, _, version = (out.name or "").rpartition("_")
    if out.inputs and version.isdigit() and base in written:
        return base
    return _free("f", graph)


def _checked_wrt(graph: Graph, wrt) -> list[str]:
    if not wrt:
        return list(graph.inputs)
    if not graph.inputs:
        raise UsageError("the program has no inputs, so it has no derivatives")
    for name in wrt:
        if name not in graph.inputs:
            raise UsageError(
                f"--wrt {name}: '{name}' is not an input of the program",
                f"Its inputs are {', '.join(graph.inputs)}.",
            )
    return list(dict.fromkeys(wrt))


def _free(name: str, graph: Graph) -> str:
    taken = graph.written() | set(graph.inputs)
    if name not in taken:
        return name
    k = 2
    while f"{name}{k}" in taken:
        k += 1
    return f"{name}{k}"
