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

from ..errors import EvaluationError, UsageError, shown
from ..interpret.diagnose import Notice
from ..interpret.evaluate import active_nodes, backward, forward, unused
from ..interpret.kinks import find_kinks
from .points import Request, read, rows_a_chunk

# Options that --batch refuses, each with the reason it does not fit a batch.
REFUSED = {
    "--all": "--all lists the intermediate nodes, and a batch row holds the inputs, the "
    "value and the gradient only.",
    "--jacobian": "--jacobian is for an array output, and a batch's output is one number a point.",
    "--check": "--check compares with finite differences at one point: run cg eval --check "
    "at the point of a row to check it.",
    "--exact": "--exact computes with fractions, and a batch computes in float64.",
    "--precision": "--precision rounds numbers for reading, and a batch writes every number "
    "in full (the shortest text that reads back as the same float64).",
}


def refuse(given: dict[str, bool]) -> None:
    """Refuse the options of `given` (option -> whether it was given) that --batch cannot honour."""
    refused = [option for option in REFUSED if given.get(option)]
    if refused:
        raise UsageError(
            f"--batch does not take {', '.join(refused)}",
            " ".join(REFUSED[option] for option in refused),
        )


class Summary:
    """What a batch did: rows written, rows skipped and where, rows not finite, and
    the columns of the file that it did not write."""

    MAX_NAMES = 1000  # columns not written that are remembered by name

    def __init__(self, notices: list[Notice] = ()):
        self.found = list(notices)  # known before the first row: bindings not used
        self.rows = 0
        self.unit = "line"  # how the file's rows are numbered: a .npy's by row
        self.skipped: list[int] = []  # line (or row) numbers
        self.not_finite = 0
        self.first_not_finite: int | None = None
        self.unwritten: dict[str, None] = {}  # in the file's order
        self.unwritten_kind = "column"
        self.more_unwritten = False

    def not_written(self, kind: str, names) -> None:
        self.unwritten_kind = kind
        for name in names:
            if name in self.unwritten:
                continue
            if len(self.unwritten) == self.MAX_NAMES:
                self.more_unwritten = True
                return
            self.unwritten[name] = None

    def notices(self) -> list[Notice]:
        found = list(self.found)
        if self.unwritten:
            found.append(self._unwritten())
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
                    f"is not finite (the first at {self.unit} {self.first_not_finite})",
                )
            )
        return found

    def _unwritten(self) -> Notice:
        names = [shown(name, 40) for name in list(self.unwritten)[:5]]
        listed = ", ".join(names)
        if self.more_unwritten:
            listed += " and more"
        elif len(self.unwritten) > 5:
            listed += f" and {len(self.unwritten) - 5} more"
        one = len(self.unwritten) == 1
        they, are = ("it", "is") if one else ("them", "are")
        return Notice(
            "unused",
            f"the {self.unwritten_kind}{'' if one else 's'} {listed} {are} not written: the "
            f"program does not use {they} (--keep {','.join(names)} writes {they})",
        )


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
    keep=(),
) -> Summary:
    """Evaluate every row of the file at `path` and write one row a point to
    `stream`: the columns kept, the inputs, the value and the gradient."""
    check_batchable(graph)
    arrays = [name for name in graph.inputs if np.ndim(bindings.get(name, 0))]
    if arrays:
        raise UsageError(
            f"--batch takes numbers, and {', '.join(arrays)} is bound to an array",
            "Each row of the batch gives a number for each input.",
        )
    names = list(graph.inputs)
    kept = [name for name in dict.fromkeys(keep) if name not in graph.inputs]
    if not as_json:
        check_header(kept, names)
    summary = Summary(unused(graph, bindings))
    request = Request(
        [name for name in names if name not in bindings],
        kept,
        bindings,
        rows_a_chunk(len(graph.nodes)),
        skip_bad,
    )
    chunks = read(path, request, summary, progress)
    first = next(chunks, None)  # the input's own header is checked before ours is written
    if not as_json:
        stream.write(",".join(kept + names + ["value"] + [f"d/d{n}" for n in names]) + "\n")
    for chunk in itertools.chain([first] if first is not None else [], chunks):
        n = len(chunk.lines)
        columns = dict(chunk.columns)
        for name, value in bindings.items():
            if name in graph.inputs:
                columns[name] = np.full(n, float(value))
        out, gradients = evaluate_chunk(graph, columns, kink, chunk.lines, summary.unit)
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
                    f"--strict: a value or derivative is not finite at {summary.unit} "
                    f"{summary.first_not_finite}"
                )
        cells = [chunk.kept[name] for name in kept]
        stream.write(json_lines(table, names, kept, cells) if as_json else csv_lines(table, cells))
        summary.rows += n
    return summary


def check_header(kept: list[str], names: list[str]) -> None:
    """Refuse a CSV header in which two columns would have one name: an input or a
    column kept named value, or a column kept named as a derivative."""
    taken = {"value", *names, *(f"d/d{name}" for name in names)}
    for name in kept:
        if name in taken:
            raise UsageError(
                f"--keep {shown(name)}: the output has a column {shown(name)} of its own",
                "Write JSON lines (--json), where the columns kept have keys of their own.",
            )
    if "value" in names:
        raise UsageError(
            "the program has an input named value, and the output's column of values is value",
            "Write JSON lines (--json), where the value and each input have keys of their own.",
        )


def csv_lines(table: np.ndarray, kept: list[list] = ()) -> str:
    # repr is the shortest text that reads back as the same float64.
    row = ",".join(["%r"] * table.shape[1]) + "\n"
    lines = [row % tuple(values) for values in table.tolist()]
    if kept:
        lines = [
            ",".join(map(_csv_cell, cells)) + "," + line for cells, line in zip(zip(*kept), lines)
        ]
    return "".join(lines)


def _csv_cell(value) -> str:
    """A value kept, as a CSV field: text as it is, quoted where it holds a comma, a
    quote or a line end; other values as JSON writes them; nothing as nothing."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = repr(value)
    elif not isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    else:
        text = value
    if any(c in text for c in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def json_lines(table: np.ndarray, names: list[str], kept=(), cells=()) -> str:
    from ..render.jsonout import number

    lines = []
    k = len(names)
    for i, values in enumerate(table.tolist()):
        if all(math.isfinite(v) for v in values):
            point = dict(zip(names, values))
            output, gradient = values[k], dict(zip(names, values[k + 1 :]))
        else:
            point = {n: number(v) for n, v in zip(names, values)}
            output = number(values[k])
            gradient = {n: number(v) for n, v in zip(names, values[k + 1 :])}
        line = {"point": point, "value": output, "gradient": gradient}
        if kept:
            line["kept"] = {
                name: number(c[i]) if isinstance(c[i], float) else c[i]
                for name, c in zip(kept, cells)
            }
        lines.append(json.dumps(line, allow_nan=False))
    return "\n".join(lines) + "\n" if lines else ""
