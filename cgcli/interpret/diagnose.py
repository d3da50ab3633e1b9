"""Where a value or a derivative stops being finite, said in words: one notice per
origin, naming the node, its inputs' values, and the local partial to blame."""

from __future__ import annotations

import math

import numpy as np

from ..errors import SourceError, shown
from ..graph import CONST, INPUT, Graph
from ..values import is_fraction
from .kinks import nan_at_kinks


class Notice:
    """A warning about the result: what happened and at which node."""

    __slots__ = ("kind", "message", "node")

    def __init__(self, kind: str, message: str, node: int | None = None):
        self.kind = kind  # "value", "derivative" (not finite), "unused" (a binding)
        self.message = message
        self.node = node

    def __repr__(self):
        return f"Notice({self.kind!r}, {self.message!r})"


def _finite(value) -> bool:
    if type(value) is np.float64:
        return math.isfinite(value)
    if is_fraction(value):
        return True
    return bool(np.isfinite(value).all())


def _all_finite(items: list) -> bool:
    """Whether every number is finite: one C loop (fsum) for a list of scalars."""
    try:
        return math.isfinite(math.fsum(items))
    except (TypeError, ValueError, OverflowError):  # arrays, inf - inf, huge Fractions
        return all(_finite(v) for v in items)


def diagnose(
    graph: Graph, values: list, adjoints: list, active: list[bool], kinked: dict
) -> list[Notice]:
    """Where a non-finite value or derivative first appears, one notice per origin."""
    notices = []
    nodes = graph.nodes
    finite = [True] * len(values) if _all_finite(values) else [_finite(v) for v in values]
    for node in nodes:
        if not finite[node.id] and all(finite[i] for i in node.inputs):
            notices.append(
                Notice(
                    "value",
                    f"{describe(graph, node, values)} is "
                    f"{number(values[node.id])}{at_inputs(graph, node, values)}",
                    node.id,
                )
            )
    if _all_finite([a for a in adjoints if a is not None]):
        return notices
    # Recompute each local derivative along the reverse pass to find where an
    # adjoint stopped being finite: a finite cotangent times a non-finite partial.
    from .exact import local_partial

    output = nodes[graph.output].name
    found = False
    for i in range(graph.output, -1, -1):
        g = adjoints[i]
        node = nodes[i]
        if g is None or not node.inputs or not _finite(g):
            continue
        raw = [values[j] for j in node.inputs]
        # One notice per input: in y * y the derivative with respect to y is the
        # sum of the partials at both places it appears, said once.
        for j in dict.fromkeys(node.inputs):
            if not active[j]:
                continue
            local, by_policy = 0, ""
            for p in (p for p, k in enumerate(node.inputs) if k == j):
                partial = local_partial(node.op, p, values[i], raw, is_fraction(g), node.attrs)
                if i in kinked and _finite(partial):
                    partial = nan_at_kinks(partial, kinked[i], p)
                    by_policy = " (--kink nan)"
                local = local + partial
            if not _finite(local):
                found = True
                name = nodes[j].name
                notices.append(
                    Notice(
                        "derivative",
                        f"the derivative of {describe(graph, node, values)} with respect to "
                        f"{name} is {number(local)}{at_inputs(graph, node, values)}{by_policy}, so "
                        f"d{output}/d{name} is {number(adjoints[j])}",
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
                f"d{output}/d{nodes[first].name} overflows to {number(adjoints[first])}",
                first,
            )
        )
    return notices


def describe(graph: Graph, node, values) -> str:
    if node.op in (INPUT, CONST):
        return shown(node.name, 30)
    return shown(f"{node.name} = {graph.definition(node)}", 80)


DEFINED = 40  # the longest definition of an unseen node that a warning writes out


def at_inputs(graph: Graph, node, values) -> str:
    """The values of a node's inputs, as " at x = 3/2, y = 2^12 = 4096". An input that cg
    named (the program does not have the name y) is defined, so the reader can place it."""
    parts = []
    written = graph.written()
    arguments = [i for i in dict.fromkeys(node.inputs) if graph.nodes[i].op != CONST]
    for i in arguments[:4]:  # of [a, b, ...] of a thousand values, the first few
        arg = graph.nodes[i]
        definition = graph.definition(arg) if arg.inputs and arg.name not in written else ""
        definition = f"{definition} = " if 0 < len(definition) <= DEFINED else ""
        parts.append(f"{shown(arg.name, 30)} = {definition}{number(values[i])}")
    if len(arguments) > 4:
        parts.append("...")
    return " at " + ", ".join(parts) if parts else ""


def number(value) -> str:
    from ..values import fmt

    return fmt(value)


def unbound(graph: Graph, missing: list[str]) -> SourceError:
    first = graph.nodes[graph.inputs[missing[0]]]
    names = ", ".join(shown(m, 30) for m in missing[:10])
    if len(missing) > 10:
        names += f" and {len(missing) - 10:,} more"
    plural = len(missing) > 1
    return SourceError(
        graph.source,
        first.position or 0,
        f"no value for {'the variables' if plural else 'the variable'} {names}",
        "Give "
        + ("each" if plural else "it")
        + " a value after the expression, as in "
        + " ".join(f"{shown(m, 30)}=1" for m in missing[:4])
        + ".",
    )
