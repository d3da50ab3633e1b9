"""--batch: the value and gradient at many points, evaluated as arrays, chunk by chunk.

Each row of the input is one point, with a column per input. Rows are read,
evaluated (one forward and one reverse pass over a whole chunk) and written a
chunk at a time, so memory stays flat for any number of rows. Only programs
whose ops work element by element can be batched this way: a sum or a matrix
product would mix the points.
"""

from __future__ import annotations

import io
import itertools
import json
import math
import re
from collections.abc import Iterator

import numpy as np

from .diagnose import Notice
from .errors import EvaluationError, UsageError
from .evaluate import active_nodes, backward, forward
from .kinks import find_kinks

CHUNK = 8192  # rows a pass: the intermediate arrays of a chunk stay in cache
DECIMAL = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*\Z")


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


class Chunk:
    """Rows of input: the values of each column as arrays, and each row's line number."""

    def __init__(self, columns: dict[str, np.ndarray], lines: np.ndarray):
        self.columns, self.lines = columns, lines


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


def read(
    path: str, needed: list[str], skip_bad: bool, summary: Summary, progress=None
) -> Iterator[Chunk]:
    if path.endswith((".npy", ".npz")):
        yield from _read_numpy(path, needed)
    elif path.endswith(".json"):
        raise UsageError(
            f"cg reads a batch from .csv, .jsonl, .npy or .npz, not {path}",
            'Write one JSON object a line, {"x": 1, "y": 2}, in a .jsonl file.',
        )
    elif path.endswith(".jsonl"):
        yield from _read_lines(path, needed, skip_bad, summary, progress, _json_rows)
    else:
        yield from _read_lines(path, needed, skip_bad, summary, progress, _csv_rows)


def _open(path: str):
    import sys

    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="strict")
    try:  # utf-8-sig: a spreadsheet's byte-order mark is not part of the first name
        return open(path, encoding="utf-8-sig", errors="strict")
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None


def _read_lines(path, needed, skip_bad, summary, progress, rows) -> Iterator[Chunk]:
    handle = _open(path)
    where = "standard input" if path == "-" else path
    try:
        yield from rows(handle, where, needed, skip_bad, summary, progress)
    except UnicodeDecodeError as err:
        raise UsageError(f"{where} is not UTF-8 text: {err.reason}") from None
    finally:
        if path != "-":
            handle.close()


def _lines(handle, start: int, progress) -> Iterator[tuple[list[str], int]]:
    """Lines in chunks, each with the number of its first line."""
    number = start
    while True:
        lines = []
        for line in handle:
            lines.append(line)
            if len(lines) == CHUNK:
                break
        if not lines:
            return
        if progress is not None:
            progress(sum(len(line) for line in lines))
        yield lines, number
        number += len(lines)


def _csv_rows(handle, where, needed, skip_bad, summary, progress) -> Iterator[Chunk]:
    first = handle.readline()
    header = [name.strip().strip('"').strip() for name in first.strip().split(",")]
    missing = [name for name in needed if name not in header]
    if missing:
        raise UsageError(
            f"{where} has no column for {', '.join(missing)}",
            f"Its first line names the columns: {first.strip()[:80] or '(empty)'}.",
        )
    index = [header.index(name) for name in needed]
    width = len(header)
    for lines, start in _lines(handle, 2, progress):
        numbers = np.arange(start, start + len(lines))
        keep = [i for i, line in enumerate(lines) if line.strip()]  # blank lines: nothing
        lines = [lines[i] for i in keep]
        numbers = numbers[keep]
        if not lines:
            continue
        try:  # the fast path: every line well formed; only the needed columns are read
            if any(line.count(",") != width - 1 for line in lines):
                raise ValueError
            table = np.loadtxt(lines, delimiter=",", dtype=np.float64, ndmin=2, usecols=index)
            if not np.isfinite(table).all():
                raise ValueError
        except ValueError:
            table, numbers = _csv_slowly(
                lines, numbers, width, header, index, skip_bad, summary, where
            )
        yield Chunk({name: table[:, i] for i, name in enumerate(needed)}, numbers)


def _csv_slowly(lines, numbers, width, header, index, skip_bad, summary, where):
    """Line by line, to say which line is bad (or to skip it)."""
    good, kept = [], []
    for line, number in zip(lines, numbers):
        fields = line.rstrip("\r\n").split(",")
        problem = None
        if len(fields) != width:
            problem = f"has {len(fields)} fields where the header has {width}"
        else:
            fields = [fields[i] for i in index]
            for i, field in zip(index, fields):
                if not DECIMAL.match(field):
                    problem = f"{field.strip()[:30]!r} in column {header[i]} is not a number"
                    break
                if not math.isfinite(float(field)):
                    problem = f"{field.strip()[:30]} in column {header[i]} is not finite"
                    break
        if problem is None:
            good.append([float(f) for f in fields])
            kept.append(number)
        elif skip_bad:
            summary.skipped.append(int(number))
        else:
            raise UsageError(
                f"{where}, line {number}: {problem}",
                "Fix the row, or pass --skip-bad-rows to skip such rows.",
            )
    return np.array(good, dtype=np.float64).reshape(-1, len(index)), np.array(kept, dtype=int)


def _json_rows(handle, where, needed, skip_bad, summary, progress) -> Iterator[Chunk]:
    for lines, start in _lines(handle, 1, progress):
        good, kept = [], []
        for offset, line in enumerate(lines):
            if not line.strip():
                continue
            number = start + offset
            try:
                row = json.loads(line, parse_constant=_refuse)
                if not isinstance(row, dict):
                    raise ValueError('the row is not a JSON object such as {"x": 1}')
                point = [row[name] for name in needed]
                if not all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in point
                ):
                    raise ValueError("a value is not a finite number")
            except (ValueError, KeyError, OverflowError) as err:
                if skip_bad:
                    summary.skipped.append(number)
                    continue
                problem = (
                    f"no value for {err}"
                    if isinstance(err, KeyError)
                    else "a value is too large for a float64"
                    if isinstance(err, OverflowError)
                    else str(err)
                )
                raise UsageError(
                    f"{where}, line {number}: {problem}",
                    "Fix the row, or pass --skip-bad-rows to skip such rows.",
                ) from None
            good.append(point)
            kept.append(number)
        if good:
            table = np.array(good, dtype=np.float64).reshape(-1, len(needed))
            yield Chunk(
                {name: table[:, i] for i, name in enumerate(needed)}, np.array(kept, dtype=int)
            )


def _refuse(literal):
    raise ValueError(f"{literal} is not a finite number")


def _read_numpy(path: str, needed: list[str]) -> Iterator[Chunk]:
    try:
        data = np.load(path, allow_pickle=False, mmap_mode="r" if path.endswith(".npy") else None)
    except (OSError, ValueError) as err:
        raise UsageError(f"cannot read {path}: {err}") from None
    if path.endswith(".npz"):
        missing = [name for name in needed if name not in data.files]
        if missing:
            raise UsageError(f"{path} has no array for {', '.join(missing)}")
        columns = {name: np.asarray(data[name]).ravel() for name in needed}
    elif data.dtype.names:
        missing = [name for name in needed if name not in data.dtype.names]
        if missing:
            raise UsageError(f"{path} has no field for {', '.join(missing)}")
        columns = {name: data[name] for name in needed}
    else:
        if data.ndim != 2 or data.shape[1] != len(needed):
            raise UsageError(
                f"{path} holds an array of shape {data.shape}; a batch needs one row a point "
                f"and a column for each of {', '.join(needed)}, in that order"
            )
        columns = {name: data[:, i] for i, name in enumerate(needed)}
    for name, column in columns.items():
        if column.dtype.kind not in "iuf":
            raise UsageError(f"{path}: the values of {name} are {column.dtype}, not numbers")
    lengths = {len(c) for c in columns.values()}
    if len(lengths) > 1:
        raise UsageError(
            f"{path}: the arrays have different lengths "
            f"({', '.join(f'{name}: {len(c)}' for name, c in columns.items())})",
            "A batch needs one value of each input a point.",
        )
    rows = lengths.pop() if lengths else 0
    for start in range(0, rows, CHUNK):
        chunk = {
            name: np.asarray(c[start : start + CHUNK], dtype=np.float64)
            for name, c in columns.items()
        }
        bad = [name for name, c in chunk.items() if not np.isfinite(c).all()]
        if bad:
            row = start + int(np.argmax(~np.isfinite(chunk[bad[0]]))) + 1
            raise UsageError(f"{path}, row {row}: the value of {bad[0]} is not finite")
        yield Chunk(
            chunk,
            np.arange(start + 1, start + 1 + len(chunk[needed[0]])) if needed else np.arange(0),
        )
