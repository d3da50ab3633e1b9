"""The Hessian as straight-line code: the graph of H·v (transform/hessian.py), the
graph cg hessian evaluates, written one statement per node with the table's
forward rules, so that the code computes cg hessian's numbers bit for bit.

Its nodes that do not depend on v are written once; those that do are the body
of a loop over the columns, run with v = e_k (as cg hessian's dense Hessian is
H·e_k for every column k): n passes over the part that depends on v, as cg
hessian makes. The entries on and above the diagonal come from the columns and
are mirrored below it (pyhelpers: _upper, _array_hessian), as cg hessian does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..graph import CONST, IDENTIFIER, INPUT, Graph
from ..transform.hessian import HessianGraph
from .code import Namer
from .table import FORWARD, Expr


@dataclass
class HessianCode:
    """Statements as schedule.Straight's: `once` before the loop over the columns,
    `column` inside it with the vectors v set; `products` are (H·v)_x in INPUTS order."""

    vectors: list[str]  # the code's names of v's parts, in INPUTS order
    once: list[tuple] = field(default_factory=list)
    column: list[tuple] = field(default_factory=list)
    products: list[Expr] = field(default_factory=list)


def hessian_code(
    made: HessianGraph, graph: Graph, e, namer: Namer, seen: dict[str, Expr]
) -> HessianCode:
    """The statements of H·v over `made`'s graph, named by `namer` (which has named the
    program: its inputs are the same names here). `seen` maps the text of every
    statement written so far to its name, so that values the gradient already has
    are not computed again."""
    h = made.graph
    nodes = h.nodes
    wanted = [made.product[name] for name in graph.inputs]
    top = max(wanted)
    needed = [False] * len(nodes)
    for i in wanted:
        needed[i] = True
    for i in range(top, -1, -1):
        if needed[i]:
            for j in nodes[i].inputs:
                needed[j] = True
    vector_ids = {h.inputs[made.vectors[name]] for name in graph.inputs}
    active, on_v = [False] * len(nodes), [False] * len(nodes)
    for node in nodes[: top + 1]:
        on_v[node.id] = node.id in vector_ids or any(on_v[j] for j in node.inputs)
        active[node.id] = node.op == INPUT or any(active[j] for j in node.inputs)
    out = HessianCode([namer.fresh(made.vectors[name]) for name in graph.inputs])
    val: list[Expr | None] = [None] * len(nodes)
    for k, (name, i) in enumerate(graph.inputs.items()):
        val[h.inputs[name]] = Expr(namer.given[i])
        val[h.inputs[made.vectors[name]]] = Expr(out.vectors[k])
    known: dict[int, object] = {}  # values fixed before the inputs, as cg hessian has them
    with np.errstate(all="ignore"):
        for node in nodes[: top + 1]:
            if not needed[node.id] or active[node.id]:
                continue
            if node.op == CONST:
                value = node.value
                known[node.id] = value if isinstance(value, np.ndarray) else np.float64(value)
            else:
                args = [known[j] for j in node.inputs]
                known[node.id] = node.op.forward(*args, **(node.attrs or {}))
            val[node.id] = e.constant(known[node.id])
    for node in nodes[: top + 1]:
        if not needed[node.id] or not active[node.id] or not node.inputs:
            continue
        args = [val[j] for j in node.inputs]
        expr = e.expr(FORWARD[node.op.name](e, *args, **(node.attrs or {})))
        if expr.value is not None:  # a number known now: written where it is used
            val[node.id] = expr
            continue
        earlier = seen.get(expr.text)
        if earlier is not None:
            val[node.id] = earlier
            continue
        name = namer.fresh(node.name if node.name and IDENTIFIER.fullmatch(node.name) else "h")
        (out.column if on_v[node.id] else out.once).append(("let", name, expr.text))
        if not IDENTIFIER.fullmatch(expr.text):
            seen[expr.text] = Expr(name)
        val[node.id] = Expr(name)
    out.products = [val[made.product[name]] for name in graph.inputs]
    return out


def seen_texts(statements) -> dict[str, Expr]:
    """The text -> name of the ("let", name, text) statements: names defined once."""
    found = {}
    for statement in statements:
        if statement[0] == "let" and not IDENTIFIER.fullmatch(statement[2]):
            found.setdefault(statement[2], Expr(statement[1]))
    return found
