"""The Hessian at a point: the graph of H·v (transform/hessian.py) evaluated once per
column (dense), once per colour of a star colouring (sparse), or once (--vector).

For a program of numbers the vectors of many columns go through one pass as
arrays, a column an element, and the nodes that do not depend on v are computed
once. The matrix is symmetric by construction: the entries on and above the
diagonal are computed (H[i, j] from column j, i <= j) and mirrored below it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..errors import EvaluationError, UsageError, shown
from ..graph import INPUT, Graph
from ..interpret.budget import DEFAULT, FLOAT, BudgetError, check_budget, show_size
from .hessian import HessianGraph, hessian_graph

SPARSE_ABOVE = 1000  # inputs past which --sparse is the default
GROWTH = 24  # the Hessian graph's nodes per node of the program, at most
CHUNK_BYTES = 64 << 20  # the arrays of one batched pass of columns


@dataclass
class SecondKink:
    """A node of the program evaluated where its second derivative does not exist
    (or is infinite): at the `point` of its own kink, or where `through`, a node of
    its derivative, is at a kink of that node's op."""

    node: int
    point: str
    through: str | None = None


@dataclass
class Hessian:
    result: object  # evaluate()'s Result: the value, the gradient, first-order kinks
    shapes: dict[str, tuple]
    matrix: np.ndarray | None = None  # dense: N x N, inputs flattened in order
    entries: dict | None = None  # sparse: (k, j) -> value, k <= j, structural only
    pattern: list | None = None
    colors: list | None = None
    vector: dict | None = None  # --vector: v by input, and H·v by input
    product: dict | None = None
    kinks: list[SecondKink] = field(default_factory=list)
    exact: bool = False
    _offsets: dict | None = field(default=None, repr=False)

    @property
    def inputs(self) -> list[str]:
        return list(self.shapes)

    @property
    def size(self) -> int:
        return sum(math.prod(s) for s in self.shapes.values())

    def offsets(self) -> dict[str, int]:
        """Where each input's rows and columns start (worked out once)."""
        if self._offsets is None:
            found, at = {}, 0
            for name, shape in self.shapes.items():
                found[name] = at
                at += math.prod(shape)
            self._offsets = found
        return self._offsets

    def block(self, x: str, y: str):
        """∂²f/∂x∂y, shaped x.shape + y.shape (a number for two scalars)."""
        at = self.offsets()
        nx, ny = math.prod(self.shapes[x]), math.prod(self.shapes[y])
        part = self.matrix[at[x] : at[x] + nx, at[y] : at[y] + ny]
        if not self.shapes[x] and not self.shapes[y]:
            return part[0, 0]
        return part.reshape(self.shapes[x] + self.shapes[y])

    @property
    def colours(self) -> int | None:
        return None if self.colors is None else (max(self.colors, default=-1) + 1)


def hessian(
    graph: Graph,
    values: dict,
    *,
    exact: bool = False,
    strict: bool = False,
    kink: str = "subgradient",
    max_memory: int | None = DEFAULT,
    sparse: bool | None = None,
    vector: dict | None = None,
) -> Hessian:
    """The value, gradient and Hessian (or H·v, with `vector`) of the program at
    `values`. `sparse` None: sparse above SPARSE_ABOVE inputs. Whatever would not
    fit `max_memory` is refused before anything is computed."""
    from ..interpret.evaluate import evaluate

    if not graph.inputs:
        raise UsageError(
            "the program has no inputs, so it has no second derivatives",
            "cg eval gives its value.",
        )
    shapes = {name: np.shape(values[name]) for name in graph.inputs if name in values}
    n = sum(math.prod(s) for s in shapes.values())
    if vector is not None:
        vector = checked_vector(graph, shapes, vector, exact)
        sparse = False
    elif sparse is None:
        sparse = n > SPARSE_ABOVE
    if sparse and exact:
        raise UsageError(
            "--exact computes the dense Hessian, a column at a time: it does not go "
            f"with --sparse{' (the default above 1,000 inputs)' if n > SPARSE_ABOVE else ''}",
            "Leave out --exact, or ask for one product H·v with --vector.",
        )
    if sparse and any(shapes.values()):
        raise UsageError(
            "--sparse reads the pattern of a Hessian by scalar inputs, and "
            + ", ".join(name for name, s in shapes.items() if s)
            + " is bound to an array",
            "Leave out --sparse for the dense Hessian, or ask for H·v with --vector.",
        )
    if not sparse and vector is None and len(shapes) == len(graph.inputs):
        _check_dense(graph, n, max_memory)
    if len(graph.nodes) * GROWTH > 5_000_000:
        raise UsageError(
            f"the program has {len(graph.nodes):,} nodes, and the graph of its second "
            f"derivatives could take up to {GROWTH}× as many: more than cg takes on",
            "Compute the Hessian of a part of it.",
        )
    result = evaluate(
        graph, values, strict=strict, kink=kink, exact=exact, max_memory=max_memory
    )  # unbound names, shapes and an array output are refused here, before the work
    found = Hessian(result, shapes, exact=exact)
    made = hessian_graph(graph, shapes)
    base = _base_values(made, values, exact)
    found.kinks = second_kinks(graph, made, base, result)
    if kink == "error" and found.kinks:
        raise EvaluationError(
            "--kink error: "
            + "; ".join(f"{graph.nodes[k.node].name}: {k.point}" for k in found.kinks)
            + ", where the second derivative does not exist or is infinite",
            "Without --kink error, cg applies the conventions in the README's table.",
        )
    if vector is not None:
        found.vector = vector
        found.product = _products(made, values, base, [vector], exact)[0]
    elif sparse:
        _sparse(found, graph, made, values, base)
    else:
        found.matrix = _dense(made, values, base, shapes, exact)
    if kink == "nan":
        _nan_at_kinks(found, graph, result)
    return found


def checked_vector(graph: Graph, shapes: dict, vector: dict, exact: bool) -> dict:
    """v by input name, each in its input's shape (0 for inputs not named)."""
    from fractions import Fraction

    for name in vector:
        if name not in graph.inputs:
            raise UsageError(
                f"--vector {shown(name, 30)}=...: '{shown(name, 30)}' is not an input of "
                "the program",
                f"Its inputs are {shown(', '.join(graph.inputs), 200)}.",
            )
    full = {}
    for name, shape in shapes.items():
        v = vector.get(name)
        if v is None:  # not named: 0
            full[name] = _zero(shape, exact)
            continue
        if np.shape(v) != shape:
            raise UsageError(
                f"--vector {shown(name, 30)} has shape {np.shape(v)}, but {shown(name, 30)} "
                f"has shape {shape}",
                "A vector for H·v has an element for every element of every input.",
            )
        full[name] = Fraction(v) if exact and not shape else v
    return full


def _check_dense(graph, n: int, budget) -> None:
    try:
        check_budget(
            n * n * FLOAT, f"the dense Hessian by {n:,} input elements ({n:,}² entries)", budget
        )
    except BudgetError as err:
        raise BudgetError(
            err.message,
            "Ask for --sparse (the entries the graph can make non-zero, from one "
            "product a colour) or --vector NAME=VALUE... (one product H·v), or raise "
            f"--max-memory past {show_size(n * n * FLOAT)}.",
        ) from None


def _depends_on_v(made: HessianGraph) -> list[bool]:
    """Which nodes of the Hessian graph depend on v (worked out once a graph)."""
    if made.on_v is not None:
        return made.on_v
    graph = made.graph
    vs = set(made.vectors.values())
    on = [False] * len(graph.nodes)
    for node in graph.nodes:
        if node.op == INPUT:
            on[node.id] = node.name in vs
        elif node.inputs:
            on[node.id] = any(on[i] for i in node.inputs)
    made.on_v = on
    return on


def _domain(exact: bool):
    """The loops' domain the Hessian graph is evaluated in: Fractions or float64."""
    if exact:
        from ..interpret.exact import ExactDomain

        return ExactDomain()
    from ..interpret.domains import FloatDomain

    return FloatDomain()


def _base_values(made: HessianGraph, values: dict, exact: bool) -> list:
    """Every node's value with v = 0: the nodes that do not depend on v keep theirs."""
    from ..interpret.loops import forward

    zeros = {made.vectors[name]: _zero(np.shape(values[name]), exact) for name in made.shapes}
    with np.errstate(all="ignore"):
        return forward(made.graph, _domain(exact), {**values, **zeros})


def _zero(shape, exact):
    if exact and not shape:
        from fractions import Fraction

        return Fraction(0)
    return np.zeros(shape) if shape else np.float64(0.0)


def _products(made: HessianGraph, values, base, vectors: list[dict], exact: bool) -> list:
    """H·v for each v of `vectors` (input name -> v's part): one pass each over the
    nodes that depend on v."""
    graph = made.graph
    on = _depends_on_v(made)
    nodes = [node for node in graph.nodes if on[node.id] and node.inputs]
    found = []
    for vector in vectors:
        out = list(base)
        for name, v in vector.items():
            out[graph.inputs[made.vectors[name]]] = v
        _run(nodes, out, exact)
        found.append({name: out[made.product[name]] for name in made.shapes})
    return found


def _run(nodes, out, exact: bool) -> None:
    """The forward loop over `nodes` (in order), in float64 or exactly."""
    apply = _domain(exact).apply
    with np.errstate(all="ignore"):
        for node in nodes:
            out[node.id] = apply(node, [out[i] for i in node.inputs])


def _dense(made: HessianGraph, values, base, shapes, exact: bool) -> np.ndarray:
    """Every column H·e_k; entries above the diagonal mirrored below it."""
    from .hessian import unit_vectors

    n = sum(math.prod(s) for s in shapes.values())
    matrix = np.zeros((n, n), dtype=object if exact else np.float64)
    columns = list(unit_vectors(shapes))
    scalars = not any(shapes.values()) and not made.graph.arrays and not exact
    chunk = max(1, min(n, CHUNK_BYTES // (FLOAT * max(1, len(made.graph.nodes))))) if n else 1
    start = 0
    while start < n:
        if scalars:  # columns start..stop at once: v_x is row x of the identity's block
            stop = min(n, start + chunk)
            eye = np.zeros((n, stop - start))
            eye[np.arange(start, stop), np.arange(stop - start)] = 1.0
            vector = {name: eye[k] for k, name in enumerate(shapes)}
            (product,) = _products(made, values, base, [vector], exact)
            for k, name in enumerate(shapes):
                matrix[k, start:stop] = np.broadcast_to(product[name], (stop - start,))
        else:
            stop = start + 1
            name, k = columns[start]
            vector = {other: _zero(s, exact) for other, s in shapes.items()}
            e = np.zeros(shapes[name]) if shapes[name] else (1 if exact else 1.0)
            if shapes[name]:
                e.flat[k] = 1.0
            elif exact:
                from fractions import Fraction

                e = Fraction(1)
            vector[name] = e
            (product,) = _products(made, values, base, [vector], exact)
            column = np.concatenate(
                [np.ravel(np.asarray(product[x], dtype=object)) for x in shapes]
            )
            matrix[:, start] = column if exact else column.astype(np.float64)
        start = stop
    upper = np.triu_indices(n, 1)
    matrix[(upper[1], upper[0])] = matrix[upper]
    return matrix


def _sparse(found: Hessian, graph: Graph, made: HessianGraph, values, base) -> None:
    from . import sparsity

    try:
        pattern = sparsity.hessian_pattern(graph)
    except NotImplementedError as err:
        raise UsageError(f"--sparse: {err}", "Leave out --sparse for the dense Hessian.") from None
    colors = sparsity.star_coloring(pattern)
    count = max(colors, default=-1) + 1
    names = list(found.shapes)
    # Every colour's product in one pass: v_x is the row of x's colour, an array.
    vector = {
        name: (np.arange(count) == colors[k]).astype(np.float64) for k, name in enumerate(names)
    }
    (product,) = _products(made, values, base, [vector], False)
    table = np.array([np.broadcast_to(product[name], (count,)) for name in names])
    rows = [table[:, c] for c in range(count)]
    found.pattern, found.colors = pattern, colors
    found.entries = sparsity.recover(pattern, colors, rows)


def second_kinks(graph: Graph, made: HessianGraph, base: list, result) -> list[SecondKink]:
    """The program's nodes where a second derivative does not exist or is infinite:
    those where the first does not (relu, abs, max at a tie), and those whose
    derivative's nodes are evaluated at a kink of their own op (x^1.5 at 0)."""
    from ..values import to_float

    found: dict = {hit.node: None for hit in result.kinks}
    h = made.graph
    on = _depends_on_v(made)
    active = [False] * len(h.nodes)
    xs = {h.inputs[name] for name in made.shapes}
    for node in h.nodes:
        active[node.id] = node.id in xs or any(active[i] for i in node.inputs)
    for node in h.nodes:
        if not node.inputs or not node.op.kinks or on[node.id]:
            continue
        args = [to_float(base[i]) for i in node.inputs]
        for kink in node.op.kinks:
            if not any(active[node.inputs[p]] for p in kink.args):
                continue
            with np.errstate(all="ignore"):
                mask = kink.where(*args, **(node.attrs or {})) == 0
            if np.any(mask) and made.made_by[node.id] not in found:
                found[made.made_by[node.id]] = _point(h, node, kink)
    kinks = []
    for k, through in found.items():
        hit = next((h for h in result.kinks if h.node == k), None)
        if hit is not None:
            kinks.append(SecondKink(k, graph.in_terms_of_inputs(graph.nodes[k], hit.kink.point)))
        else:
            kinks.append(SecondKink(k, through[1], through[0]))
    kinks.sort(key=lambda k: k.node)
    return kinks


def _point(h: Graph, node, kink) -> tuple[str, str]:
    """A node of the Hessian graph at a kink of its op: its definition, and the point
    in its arguments' names (the program's, where it has them)."""
    from ..graph import IDENTIFIER, operand

    label = lambda i: h.nodes[i].name or "(…)"  # noqa: E731
    names = dict(zip(node.op.args, (operand(label(i)) for i in node.inputs)))
    point = IDENTIFIER.sub(lambda m: names.get(m.group(), m.group()), kink.point)
    return h.definition(node, label), point


def _nan_at_kinks(found: Hessian, graph: Graph, result) -> None:
    """--kink nan: an entry (x, y) is NaN when x and y both reach a node evaluated at a
    kink (the second derivative through it does not exist)."""
    reach = {}
    for node in graph.nodes:
        if node.op == INPUT:
            reach[node.id] = {node.name}
        elif node.inputs:
            reach[node.id] = set().union(*(reach.get(i, set()) for i in node.inputs))
    at = found.offsets()
    index = {}
    for name in found.shapes:
        index[name] = range(at[name], at[name] + math.prod(found.shapes[name]))
    for k in found.kinks:
        names = reach.get(k.node, set())
        cells = [i for name in names for i in index[name]]
        if found.matrix is not None:
            found.matrix[np.ix_(cells, cells)] = np.nan
        if found.entries is not None:
            for key in found.entries:
                if key[0] in cells and key[1] in cells:
                    found.entries[key] = float("nan")
        if found.product is not None:
            for name in names:
                found.product[name] = found.product[name] * np.nan
