"""The straight-line schedule of a program's value and gradient, for any language.

It is cg eval's own computation written out: the forward pass one statement
per node in topological order, then the reverse pass cg eval runs
(cgcli/interpret/evaluate.py) with the op table's numeric VJP rules and its
order of accumulation, so that numpy code made from it gives cg eval's numbers
bit for bit. The derivative *formulas* (the `d` column, which `cg diff`
prints) are not used: for tanh, sigmoid and pow at 0 they are other
expressions of the same derivative, which differ from cg eval in the last bit.
Values known before the inputs are computed now, as cg eval would; identical
operations on the same values are written once.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field

import numpy as np

from ..graph import CONST, IDENTIFIER, INPUT, Graph
from .code import Namer, comment_text
from .table import FORWARD, VJP, Expr


class Plan:
    """Which nodes the value and the gradient need, in which blocks, and the reverse
    pass's contributions in cg eval's order. `shapes` are the nodes' shapes for an
    array program (None: a program of numbers, run elementwise)."""

    def __init__(self, graph: Graph, shapes: list[tuple] | None = None):
        nodes = graph.nodes
        top = graph.output
        self.graph, self.top, self.shapes = graph, top, shapes
        needed = [False] * len(nodes)
        needed[top] = True
        for i in range(top, -1, -1):
            if needed[i]:
                for j in nodes[i].inputs:
                    needed[j] = True
        active = [False] * len(nodes)
        for node in nodes:
            active[node.id] = node.op == INPUT or any(active[j] for j in node.inputs)
        self.needed, self.active = needed, active
        # The values fixed before any input is known, as cg eval computes them.
        self.constants: dict[int, object] = {}
        with np.errstate(all="ignore"):
            for node in nodes[: top + 1]:
                if not needed[node.id] or active[node.id]:
                    continue
                if node.op == CONST:
                    value = node.value
                    self.constants[node.id] = (
                        value if isinstance(value, np.ndarray) else np.float64(value)
                    )
                else:
                    args = [self.constants[j] for j in node.inputs]
                    self.constants[node.id] = node.op.forward(*args, **(node.attrs or {}))
        # The contributions each adjoint gathers, in the order cg eval adds them: from
        # the later nodes first, and within a node, argument by argument.
        self.flows = [False] * len(nodes)
        self.flows[top] = active[top]
        self.contributions: list[list[tuple[int, int]]] = [[] for _ in nodes]
        for i in range(top, -1, -1):
            if not self.flows[i]:
                continue
            for p, j in enumerate(nodes[i].inputs):
                if active[j]:
                    self.contributions[j].append((i, p))
                    self.flows[j] = True
        self.forward_count = sum(1 for n in nodes if needed[n.id] and active[n.id] and n.inputs)
        self.reverse_count = sum(len(c) for c in self.contributions)
        self.blocks, self.block_of = _blocks(graph, needed)


def _blocks(graph: Graph, needed: list[bool]):
    """The needed operations grouped by the statement of the program they come from:
    [(a comment naming the statement, its nodes)], and each node's block. A
    statement's nodes are those made after the previous statement's last node (the
    parser builds bottom-up); its line is where its own tokens are."""
    nodes = graph.nodes
    written = graph.written()
    roots = {graph.output, *graph.statements}
    roots |= {n.id for n in nodes if n.inputs and n.name in written}
    starts = [0] + [k + 1 for k, ch in enumerate(graph.source) if ch == "\n"]
    blocks, block_of, current, last = [], [0] * len(nodes), [], None
    for node in nodes[: graph.output + 1]:
        block_of[node.id] = len(blocks)
        if node.position is not None:
            last = node.position if last is None else max(last, node.position)
        if needed[node.id] and node.inputs:
            current.append(node.id)
        if node.id in roots:
            blocks.append((_where(graph, node, last, starts), current))
            current, last = [], None
    return blocks, block_of


def _where(graph: Graph, root, position, starts: list[int]) -> str:
    if position is None:
        return root.name
    line = bisect.bisect_right(starts, position) - 1
    end = starts[line + 1] - 1 if line + 1 < len(starts) else len(graph.source)
    text = graph.source[starts[line] : end].strip()
    if len(text) > 72:
        text = text[:69] + "..."
    return f"{root.name}, from line {line + 1}: {comment_text(text)[0]}"


@dataclass
class Straight:
    """Statements in order: ("comment", text), ("let", name, text) defines a name once,
    ("var", name, text) defines one that ("add", name, text) then adds to."""

    inputs: list[str]  # the code's names of the inputs, in INPUTS order
    forward: list[tuple] = field(default_factory=list)
    reverse: list[tuple] = field(default_factory=list)
    value: Expr | None = None
    gradient: list[Expr] = field(default_factory=list)


def straight_line(plan: Plan, e, namer: Namer, gradient: bool = True) -> Straight:
    """The statements of the value (and with `gradient`, of the gradient too), written
    with builder `e`; names come from `namer` (see names())."""
    graph = plan.graph
    nodes = graph.nodes
    given = namer.given
    out = Straight([given[i] for i in graph.inputs.values()])
    val: list[Expr | None] = [None] * len(nodes)
    seen: dict[str, Expr] = {}  # the text of each statement so far -> its name
    for node in nodes[: plan.top + 1]:
        if not plan.needed[node.id] or (node.inputs and plan.active[node.id]):
            continue
        if node.op == INPUT:
            val[node.id] = Expr(given[node.id])
        else:
            val[node.id] = e.constant(plan.constants[node.id])

    def define(lines, name: str, expr: Expr) -> Expr:
        """name = expr, one statement (an operation written before: its name)."""
        if expr.value is not None:
            return expr  # a number known now: written where it is used
        earlier = seen.get(expr.text)
        lines.append(("let", name, earlier.text if earlier else expr.text))
        if earlier is None and not IDENTIFIER.fullmatch(expr.text):
            seen[expr.text] = Expr(name)
        return Expr(name)

    for label, block in plan.blocks:
        shown = False
        for i in block:
            node = nodes[i]
            if not plan.active[i]:
                continue
            if not shown:
                out.forward.append(("comment", label))
                shown = True
            args = [val[j] for j in node.inputs]
            expr = e.expr(FORWARD[node.op.name](e, *args, **(node.attrs or {})))
            val[i] = define(out.forward, given[i], expr)
    out.value = val[plan.top]
    if not gradient:
        return out
    adj: list[Expr | None] = [None] * len(nodes)
    if plan.active[plan.top]:
        adj[plan.top] = e.lit(1.0)
    shown_block = None
    for j in range(plan.top - 1, -1, -1):
        if not plan.flows[j]:
            continue
        block = plan.block_of[j]
        if block != shown_block:
            out.reverse.append(("comment", "back through " + plan.blocks[block][0]))
            shown_block = block
        terms = [_contribution(plan, e, val, adj, i, p, j) for i, p in plan.contributions[j]]
        name = given[("g", j)]
        total = terms[0]
        rest = terms[1:]
        while rest and total.value is not None and rest[0].value is not None:
            total = e.add(total, rest.pop(0))
        if not rest:
            adj[j] = define(out.reverse, name, total)
            continue
        out.reverse.append(("var", name, total.text))
        for term in rest:
            out.reverse.append(("add", name, e.add(Expr(name), term).text))
        adj[j] = Expr(name)
    for name in graph.inputs:
        i = graph.inputs[name]
        shape = plan.shapes[i] if plan.shapes else ()
        out.gradient.append(adj[i] if adj[i] is not None else e.zeros(shape))
    return out


def _contribution(plan: Plan, e, val, adj, i: int, p: int, j: int) -> Expr:
    node = plan.graph.nodes[i]
    args = [val[k] for k in node.inputs]
    term = e.expr(VJP[node.op.name][p](e, adj[i], val[i], *args, **(node.attrs or {})))
    shapes = plan.shapes
    if shapes and node.op.elementwise and shapes[i] != shapes[j]:
        term = e.unbroadcast(term, shapes[j])  # as cg eval sums a broadcast input's adjoint
    return term


def names(plan: Plan, reserved=()) -> Namer:
    """The code's names, keyed by node id: the inputs' (as the program has them, where
    safe), the values' (the names cg eval --all shows: d, e, ..., or the program's
    own), then the adjoints' (g_ and the value's name), keyed ("g", id)."""
    graph = plan.graph
    nodes = graph.nodes[: plan.top + 1]
    namer = Namer(reserved)
    namer.give((i, name) for name, i in graph.inputs.items())
    namer.give(
        (n.id, n.name) for n in nodes if n.inputs and plan.active[n.id] and plan.needed[n.id]
    )
    for node in nodes:
        if plan.flows[node.id] and node.id in namer.given:
            namer.given[("g", node.id)] = namer.fresh("g_" + namer.given[node.id])
    return namer
