"""--batch: the value and gradient at many points, evaluated as arrays, chunk by chunk.

Each row of the input is one point, with a column per input. Rows are read,
evaluated (one forward and one reverse pass over a whole chunk) and written a
chunk at a time, so memory stays flat for any number of rows. Only programs
whose ops work element by element can be batched this way: a sum or a matrix
product would mix the points.
"""

from __future__ import annotations

import itertools
import json
import math

import numpy as np

from .diagnose import Notice
from .errors import EvaluationError, UsageError
from .evaluate import active_nodes, backward, forward
from .kinks import find_kinks
from .points import CHUNK, read


class Summary:
    """What a batch did: rows written, rows skipped and where, rows not finite."""

    def __init__(self):
        self.rows = 0
        self.skipped: list[int] = []  # line (or row) numbers
        self.not_finite = 0
        self.first_not_finite: int | None = None

    def notices(self) -> list[Notice]:
        found = []
        if self.skipped:
            many = len(self.skipped) > 1
            lines = ", ".join(map(str, self.skipped[:10])) + (", ..." * (len(self.skipped) > 10))
            found.append(
                Notice(
                    "skipped",
                    f"skipped {len(self.skipped)} bad row{'s' * many} (line{'s' * many} {lines})",
                )
            )
        if self.not_finite:
            found.append(
                Notice(
                    "value",
                    f"{self.not_finite} row{'s' * (self.not_finite > 1)} "
                    f"{'have' if self.not_finite > 1 else 'has'} a value or derivative that "
                    f"is not finite (the first at line {self.first_not_finite})",
                )
            )
        return found


def evaluate_chunk(graph, columns: dict, kink: str = "subgradient", lines=None) -> tuple:
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
                where = f"on line {lines[row]}" if lines is not None else f"in row {row + 1}"
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


def evaluate_points(graph, columns: dict, chunk: int = CHUNK) -> tuple:
    """The output and gradient at every point of `columns` (name -> 1-D array), a
    chunk at a time: the library call behind --batch."""
    check_batchable(graph)
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


def run(
    graph,
    path: str,
    stream,
    as_json: bool,
    bindings: dict,
    skip_bad: bool,
    kink: str = "subgradient",
    strict: bool = False,
    progress=None,
) -> Summary:
    """Evaluate every row of the file at `path` and write one row a point to `stream`."""
    check_batchable(graph)
    arrays = [name for name in graph.inputs if np.ndim(bindings.get(name, 0))]
    if arrays:
        raise UsageError(
            f"--batch takes numbers, and {', '.join(arrays)} is bound to an array",
            "Each row of the batch gives a number for each input.",
        )
    needed = [name for name in graph.inputs if name not in bindings]
    summary = Summary()
    top = graph.nodes[graph.output].name
    names = list(graph.inputs)
    header = names + [top] + [f"d{top}/d{name}" for name in names]
    chunks = read(path, needed, skip_bad, summary, progress)
    first = next(chunks, None)  # the input's own header is checked before ours is written
    if not as_json:
        stream.write(",".join(header) + "\n")
    for chunk in itertools.chain([first] if first is not None else [], chunks):
        n = len(chunk.lines)
        columns = dict(chunk.columns)
        for name, value in bindings.items():
            if name in graph.inputs:
                columns[name] = np.full(n, float(value))
        out, gradients = evaluate_chunk(graph, columns, kink, chunk.lines)
        table = np.column_stack(
            [columns[name] for name in names] + [out] + [gradients[name] for name in names]
        )
        bad = ~np.isfinite(table).all(axis=1)
        if bad.any():
            if summary.first_not_finite is None:
                summary.first_not_finite = int(chunk.lines[np.argmax(bad)])
            summary.not_finite += int(bad.sum())
            if strict:
                raise EvaluationError(
                    f"--strict: a value or derivative is not finite at line "
                    f"{summary.first_not_finite}"
                )
        stream.write(json_lines(table, names, top) if as_json else csv_lines(table))
        summary.rows += n
    return summary


def csv_lines(table: np.ndarray) -> str:
    # repr is the shortest text that reads back as the same float64.
    row = ",".join(["%r"] * table.shape[1]) + "\n"
    return "".join(row % tuple(values) for values in table.tolist())


def json_lines(table: np.ndarray, names: list[str], top: str) -> str:
    from .render.jsonout import number

    lines = []
    k = len(names)
    for values in table.tolist():
        if all(math.isfinite(v) for v in values):
            point = dict(zip(names, values))
            output, gradient = values[k], dict(zip(names, values[k + 1 :]))
        else:
            point = {n: number(v) for n, v in zip(names, values)}
            output = number(values[k])
            gradient = {n: number(v) for n, v in zip(names, values[k + 1 :])}
        lines.append(
            json.dumps({"point": point, top: output, "gradient": gradient}, allow_nan=False)
        )
    return "\n".join(lines) + "\n" if lines else ""


# -------------------------------------------------------------------- reading
