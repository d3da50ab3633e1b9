"""The one forward loop and the one reverse loop over a Graph, for any domain of values.

A *domain* says what a value is; the loops say only in which order nodes are
visited and how adjoints are gathered. float64 numbers and numpy arrays
(domains.FloatDomain) and Fractions where they can be (exact.ExactDomain) are
two domains; a symbolic one, whose values are nodes of a new Graph, is a third
of the same shape and needs no loop of its own. A domain has five methods:

    leaf(node, bound) -> value
        the value of an INPUT node (`bound`: the value given for its name) or of a
        CONST node (`bound` is None; the node holds `value` and `literal`)
    apply(node, args: list) -> value
        node.op applied to its arguments' values, in argument order (x*x has the
        same value twice); node.attrs are the op's settings (axis=0) or None
    seed(out_value) -> cotangent
        d(output)/d(output): float64 1.0, ones_like for an array, Fraction(1)
    vjp(node, p, g, z, args) -> value
        g (the node's adjoint) times d(node)/d(argument p), where z is the node's
        value and args its arguments' values; already in the shape of args[p]
    add(previous, contribution) -> value
        two contributions to one adjoint, accumulated

What one evaluation decides (the kinks that --kink nan overrules, the nodes where
--exact stopped) lives on the domain instance, not in the loops.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..graph import INPUT, Graph


class Domain:
    """What a value is, for the loops: the interface above, by name (a domain need not
    subclass this; it documents the shape)."""

    def leaf(self, node, bound):
        raise NotImplementedError

    def apply(self, node, args: list):
        raise NotImplementedError

    def seed(self, out_value):
        raise NotImplementedError

    def vjp(self, node, p: int, g, z, args: list):
        raise NotImplementedError

    def add(self, previous, contribution):
        raise NotImplementedError


def forward(graph: Graph, domain, inputs: Mapping) -> list:
    """Every node's value, in topological order: `inputs` gives the INPUT nodes' by name."""
    out = [None] * len(graph.nodes)
    apply, leaf = domain.apply, domain.leaf
    for node in graph.nodes:
        ins = node.inputs
        # One and two arguments (most nodes) spare the comprehension.
        if len(ins) == 1:
            out[node.id] = apply(node, [out[ins[0]]])
        elif len(ins) == 2:
            out[node.id] = apply(node, [out[ins[0]], out[ins[1]]])
        elif ins:
            out[node.id] = apply(node, [out[i] for i in ins])
        else:
            out[node.id] = leaf(node, inputs[node.name] if node.op == INPUT else None)
    return out


def backward(
    graph: Graph, values: list, domain, active: list[bool] | None = None, seed=None
) -> list:
    """Every node's adjoint d(output)/d(node), accumulated in reverse topological order;
    None where nothing flowed (a node the output does not depend on, or not `active`).

    `seed` is the output's cotangent: domain.seed of the output unless given (one
    element of the identity, for a row of a Jacobian).
    """
    nodes = graph.nodes
    adjoint = [None] * len(nodes)
    top = graph.output
    adjoint[top] = domain.seed(values[top]) if seed is None else seed
    active = active or active_nodes(graph)
    vjp, add = domain.vjp, domain.add
    for i in range(top, -1, -1):
        g = adjoint[i]
        if g is None:
            continue
        node = nodes[i]
        ins = node.inputs
        if not ins:
            continue
        z = values[i]
        if len(ins) == 1:
            args = [values[ins[0]]]
        elif len(ins) == 2:
            args = [values[ins[0]], values[ins[1]]]
        else:
            args = [values[j] for j in ins]
        for p, j in enumerate(ins):
            if active[j]:
                contribution = vjp(node, p, g, z, args)
                previous = adjoint[j]
                adjoint[j] = contribution if previous is None else add(previous, contribution)
    return adjoint


def active_nodes(graph: Graph) -> list[bool]:
    """Which nodes depend on an input: only they receive adjoints."""
    active = [False] * len(graph.nodes)
    for node in graph.nodes:
        ins = node.inputs
        if len(ins) == 1:
            active[node.id] = active[ins[0]]
        elif len(ins) == 2:
            active[node.id] = active[ins[0]] or active[ins[1]]
        elif ins:
            active[node.id] = any(active[i] for i in ins)
        else:
            active[node.id] = node.op == INPUT
    return active
