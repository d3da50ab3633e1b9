"""What `cg diff --order 2` computes: ∂²f/∂x∂y as formulas, the derivative graph
differentiated again (reverse over reverse, as transform/hessian.py), through the
same rewrites as the first-order formulas."""

from __future__ import annotations

import numpy as np

from ..errors import UsageError
from ..graph import MAX_NODES, Graph, collector_paused
from .diff import GROWTH, Differentiated, _checked_wrt, _free


def pairs_for(graph: Graph, wrt: list[str]) -> list[tuple[str, str]]:
    """--wrt x --wrt y: (x, y); --wrt x: (x, x); none: every pair on and above the
    diagonal, in the order of the inputs."""
    names = _checked_wrt(graph, wrt)
    if not wrt:
        return [(a, b) for k, a in enumerate(names) for b in names[k:]]
    if len(names) == 1:
        return [(names[0], names[0])]
    if len(names) == 2:
        return [(names[0], names[1])]
    raise UsageError(
        f"--order 2 takes one --wrt (∂²f/∂x²) or two (∂²f/∂x∂y), not {len(names)}",
        "Leave out --wrt for every pair, or ask for one pair at a time.",
    )


def differentiate_twice(
    graph: Graph,
    wrt: list[str] | None = None,
    values: dict | None = None,
    assume_finite: bool = False,
) -> Differentiated:
    """∂²(output)/∂a∂b for each pair of `pairs_for(wrt)`, keyed "a,b", as formulas."""
    from .grad import grad
    from .hessian import reverse_within
    from .rewrite import simplify
    from .symbolic import Sym, SymbolicDomain

    values = values or {}
    pairs = pairs_for(graph, list(wrt or ()))
    shapes = {name: np.shape(values[name]) for name in values}
    arrays = [name for name in graph.inputs if shapes.get(name)]
    if graph.arrays or arrays:
        raise UsageError(
            "cg diff --order 2 writes formulas of second derivatives by numbers"
            + (f", and {', '.join(arrays)} is bound to an array" if arrays else "")
            + ("" if arrays else ", and the program uses arrays"),
            "cg hessian gives the blocks of the Hessian of array inputs as numbers.",
        )
    if len(graph.nodes) * GROWTH * 3 > MAX_NODES:
        raise UsageError(
            f"the program has {len(graph.nodes):,} nodes, and its second derivatives could "
            f"take up to {GROWTH * 3}× as many: more than the {MAX_NODES:,} nodes cg takes on",
            "Differentiate a part of it.",
        )
    first = grad(graph)
    builder = first.builder
    domain = SymbolicDomain(builder)
    inputs = {name: builder.graph.inputs[name] for name in graph.inputs}
    seconds = {}
    with collector_paused():
        try:
            for a in dict.fromkeys(a for a, _ in pairs):
                top = first.partials[a]
                top = Sym(builder, top, builder.shapes[top])
                wanted = [b for x, b in pairs if x == a]
                xs = [Sym(builder, inputs[b], ()) for b in wanted]
                for b, node in zip(wanted, reverse_within(builder, domain, xs, top)):
                    seconds[f"{a},{b}"] = node.id
        except NotImplementedError as err:
            raise UsageError(f"cg cannot write this second derivative: {err}") from None
    new = builder.graph
    new.output = first.value
    new.shapes = builder.shapes
    for node_id, name in first.names.items():
        new.nodes[node_id].name = name
    simplified = simplify(new, [first.value, *seconds.values()], assume_finite=assume_finite)
    value, *partials = simplified.outputs
    out = graph.nodes[graph.output]
    label = out.name if out.inputs and out.name in graph.written() else _free("f", graph)
    return Differentiated(
        simplified.graph,
        label,
        dict(zip(seconds, partials)),
        value,
        first.forward_nodes,
        simplified.rewrites,
        simplified.passes,
        order=2,
    )
