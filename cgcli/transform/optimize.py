"""The forward graph after the safe rewrites, ready to evaluate (`cg eval --optimize`):
the nodes the rewrites made are named as the parser names nodes, and the output
keeps its name."""

from __future__ import annotations

from ..graph import Graph


def optimized(graph: Graph, assume_finite: bool = False) -> Graph:
    from .rewrite import simplify

    done = simplify(graph, assume_finite=assume_finite)
    new = done.graph
    out = new.nodes[new.output]
    if out.inputs or out.name is None:
        out.name = graph.nodes[graph.output].name
    new.name_intermediates(graph.written() | set(graph.inputs) | {out.name})
    return new
