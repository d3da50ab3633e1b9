"""Evaluating many points at once: a program of numbers and elementwise ops run
over columns of points as arrays, a chunk of rows at a time, one forward and
one reverse pass a chunk (the engine of --batch and of --check)."""

from __future__ import annotations

import numpy as np

from ..errors import EvaluationError, UsageError
from .budget import DEFAULT
from .evaluate import backward, forward
from .kinks import find_kinks
from .loops import active_nodes

CHUNK = 8192  # rows a pass at most: the intermediate arrays of a chunk stay in cache
EVALUATION_BYTES = DEFAULT // 2  # a chunk's values and adjoints: 16 bytes a node a row


def rows_a_chunk(nodes: int) -> int:
    """Rows evaluated at once by a program of `nodes` nodes: CHUNK, or fewer where
    a chunk's values and adjoints would not fit in EVALUATION_BYTES."""
    return max(1, min(CHUNK, EVALUATION_BYTES // (16 * max(nodes, 1))))


def evaluate_chunk(
    graph, columns: dict, kink: str = "subgradient", lines=None, unit: str = "line"
) -> tuple:
    """The output and d(output)/d(input) of every row, for elementwise programs;
    `lines` numbers the rows, for messages (and counts them where no input does)."""
    n = len(lines) if lines is not None else len(next(iter(columns.values()), ()))
    with np.errstate(all="ignore"):
        values = forward(graph, columns)
        active = active_nodes(graph)
        kinked = {}
        if kink != "subgradient":
            hits = find_kinks(graph, values, active)
            if kink == "error" and hits:
                node = graph.nodes[hits[0].node]
                point = graph.in_terms_of_inputs(node, hits[0].kink.point)
                row = np.argmax(np.broadcast_to(hits[0].mask, (n,)))
                where = f"on {unit} {lines[row]}" if lines is not None else f"in row {row + 1}"
                raise EvaluationError(
                    f"--kink error: {node.name} = {graph.definition(node)} is evaluated at "
                    f"{point} {where}"
                )
            for hit in hits:
                kinked.setdefault(hit.node, []).append(hit)
        out = _rows(values[graph.output], n)
        # The seed 1 as a scalar broadcasts, and spares multiplying by an array of ones.
        adjoints = backward(graph, values, active, kinked, seed=np.float64(1.0))
    gradients = {}
    for name, i in graph.inputs.items():
        gradient = adjoints[i]
        gradients[name] = np.zeros(n) if gradient is None else _rows(gradient, n)
    return out, gradients


def _rows(value, n: int):
    """A value for every row: a constant (or the scalar seed) spread over them."""
    if type(value) is np.ndarray and value.shape == (n,):
        return value
    return np.broadcast_to(value, (n,))


def evaluate_points(graph, columns: dict, chunk: int | None = None) -> tuple:
    """The output and gradient at every point of `columns` (name -> 1-D array), a
    chunk at a time: the library call behind --batch."""
    check_batchable(graph)
    chunk = chunk or rows_a_chunk(len(graph.nodes))
    n = len(next(iter(columns.values())))
    out = np.empty(n)
    gradients = {name: np.empty(n) for name in graph.inputs}
    for start in range(0, n, chunk):
        part = {
            name: np.asarray(c[start : start + chunk], dtype=np.float64)
            for name, c in columns.items()
        }
        value, gradient = evaluate_chunk(graph, part)
        out[start : start + chunk] = value
        for name in graph.inputs:
            gradients[name][start : start + chunk] = gradient[name]
    return out, gradients


def check_batchable(graph) -> None:
    if graph.arrays:
        uses = sorted({n.op.name for n in graph.nodes if n.inputs and not n.op.elementwise})
        raise UsageError(
            "--batch evaluates every point on its own, but this program uses "
            + (", ".join(uses) if uses else "arrays")
            + ", which would mix the points",
            "Batch programs use numbers and elementwise functions only.",
        )
