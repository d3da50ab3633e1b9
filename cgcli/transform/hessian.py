"""Second derivatives as a graph: the Hessian-vector product H·v of a program.

Reverse over reverse. The first reverse pass (as grad does) appends the
gradient g(x) to a new graph; then, in the same graph, a vector v gets an input
per input of the program, the number s = Σ g_x·v_x is appended, and a second
reverse pass appends ds/dx = H·v. Both passes are the one reverse loop of
interpret/loops.py run in the symbolic domain, on the op table's d column: no
op has a rule of its own for second derivatives, arrays included.

Why not forward over reverse (a tangent pass over the gradient graph)? Measured
on W2 (benchmarks/hessian.py) it builds its graph 10-20% faster (0.42 s against
0.51 s at n = 1,000) and its graph is 3% larger, but it needs a JVP rule for every
array op that is not elementwise (softmax, logsumexp, norm, max, matmul), which
the table does not have; reverse over reverse needs nothing but the table.

The graph takes x and v and gives H·v: one evaluation per vector, in any number
domain (float64, or Fractions for --exact); H's columns are H·e_k.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import UsageError
from ..graph import INPUT, Graph, collector_paused
from ..interpret.loops import backward, forward
from .symbolic import Builder, Sym, SymbolicDomain


@dataclass
class HessianGraph:
    """A graph of inputs x (the program's names) and v (`vectors`: input name -> the
    name of v's part for it) whose nodes `gradient` are ∂f/∂x and `product` (H·v)_x."""

    graph: Graph
    value: int
    gradient: dict[str, int]
    product: dict[str, int]
    vectors: dict[str, str]
    shapes: dict[str, tuple]
    # Which node of the program made each node (its copy, or its derivative rule): a
    # kink of the Hessian graph is reported at the program's node it comes from.
    made_by: list[int]
    on_v: list[bool] | None = None  # which nodes depend on v (hessian_values.py)


class _Recording(SymbolicDomain):
    """The symbolic domain, noting which node of the program each new node is for."""

    def __init__(self, builder, shapes):
        super().__init__(builder, shapes)
        self.made_by: list[int] = []
        self.second = False  # in the second pass, nodes are the builder's own

    def _mark(self, node_id: int) -> None:
        grown = len(self.b.graph.nodes) - len(self.made_by)
        self.made_by.extend([node_id] * grown)

    def leaf(self, node, bound=None):
        value = super().leaf(node, bound)
        self._mark(node.id)
        return value

    def apply(self, node, args):
        value = super().apply(node, args)
        self._mark(node.id)
        return value

    def vjp(self, node, p, g, z, args):
        value = super().vjp(node, p, g, z, args)
        self._mark(self.made_by[node.id] if self.second else node.id)
        return value

    def add(self, previous, contribution):
        return previous + contribution  # marked by the next call, as its node's


def vector_name(name: str, taken) -> str:
    """The name of v's part for input `name`: v_x, or a free variant."""
    candidate = f"v_{name}"
    while candidate in taken:
        candidate = "_" + candidate
    return candidate


def hessian_graph(graph: Graph, shapes: dict | None = None) -> HessianGraph:
    """The graph of f, its gradient and H·v (see the module's docstring); `shapes`
    gives array inputs' shapes."""
    shapes = {name: tuple(shapes.get(name, ())) for name in graph.inputs} if shapes else {}
    builder = Builder(graph.source)
    domain = _Recording(builder, shapes)
    with collector_paused():
        try:
            values = forward(graph, domain, {name: None for name in graph.inputs})
            for node in graph.nodes:  # the program's names, for messages about its nodes
                copy = builder.graph.nodes[values[node.id].id]
                if copy.name is None:
                    copy.name = node.name
            out = values[graph.output]
            if out.shape:
                name = graph.nodes[graph.output].name
                raise UsageError(
                    f"the output {name} is an array of shape {out.shape}, so it has no single "
                    "gradient and no Hessian",
                    f"Reduce it to a number, as in sum({name}).",
                )
            adjoints = backward(graph, values, domain)
            gradient = {}
            for name, i in graph.inputs.items():
                g = adjoints[i]
                gradient[name] = builder.zeros(values[i].shape) if g is None else g
            domain._mark(graph.output)
            taken = set(graph.inputs) | graph.written()
            vectors, product = {}, None
            for name, i in graph.inputs.items():
                vectors[name] = vector_name(name, taken)
                v = builder.input(vectors[name], values[i].shape)
                term = gradient[name] * v
                if term.shape:
                    term = builder.op("sum", term)
                product = term if product is None else product + term
            domain._mark(graph.output)
            second = _second_pass(builder, domain, graph, values, product)
        except NotImplementedError as err:
            raise UsageError(f"cg cannot write this second derivative: {err}") from None
    new = builder.graph
    new.output = out.id
    new.shapes = builder.shapes
    return HessianGraph(
        new,
        out.id,
        {name: g.id for name, g in gradient.items()},
        {name: second[name].id for name in graph.inputs},
        vectors,
        {name: values[i].shape for name, i in graph.inputs.items()},
        domain.made_by,
    )


def _second_pass(builder, domain, graph, values, product) -> dict:
    """d(product)/dx for every input x of the program, by the reverse loop over the
    builder's own graph so far (its nodes are values already: nothing is copied)."""
    domain.second = True
    found = reverse_within(builder, domain, [values[i] for i in graph.inputs.values()], product)
    domain._mark(graph.output)
    return dict(zip(graph.inputs, found))


def reverse_within(builder, domain, xs: list, top) -> list:
    """d(top)/dx for each x of `xs` (input nodes of the builder's graph) as nodes of
    the same graph: the reverse loop run on the graph built so far."""
    made = builder.graph
    nodes = len(made.nodes)
    view = Graph(made.source)
    view.nodes = made.nodes[:nodes]
    view.inputs = made.inputs
    view.output = top.id
    own = [Sym(builder, i, builder.shapes[i]) for i in range(nodes)]
    wanted = {x.id for x in xs}  # only these are differentiated by (not v, say)
    active = [False] * nodes
    for node in view.nodes:
        if node.op == INPUT:
            active[node.id] = node.id in wanted
        elif node.inputs:
            active[node.id] = any(active[i] for i in node.inputs)
    adjoints = backward(view, own, domain, active=active)
    return [builder.zeros(x.shape) if adjoints[x.id] is None else adjoints[x.id] for x in xs]


def unit_vectors(shapes: dict[str, tuple]):
    """(input name, flat index) for every element of every input, in order: the
    columns of the Hessian."""
    for name, shape in shapes.items():
        for k in range(int(np.prod(shape, dtype=np.int64))):
            yield name, k
