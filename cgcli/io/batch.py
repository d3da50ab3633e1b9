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
from ..interpret.batch import check_batchable, evaluate_chunk, rows_a_chunk
from ..interpret.evaluate import unused
from .points import read
from .rows import Request, Summary

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
    parquet: bool = False,
    budget: int | None = None,
) -> Summary:
    """Evaluate every row of the file at `path` and write one row a point to
    `stream`: the columns kept, the inputs, the value and the gradient; as CSV,
    JSON lines (`as_json`) or, with `parquet`, a Parquet file of the CSV's columns."""
    check_batchable(graph)
    arrays = [name for name in graph.inputs if np.ndim(bindings.get(name, 0))]
    if arrays:
        raise UsageError(
            f"--batch takes numbers, and {', '.join(arrays)} is bound to an array",
            "Each row of the batch gives a number for each input.",
        )
    names = list(graph.inputs)
    kept = [name for name in dict.fromkeys(keep) if name not in graph.inputs]
    if parquet and as_json:
        raise UsageError(
            "--json writes JSON lines, and an output named .parquet is a Parquet file",
            "Leave out --json to write Parquet, or name the output .jsonl.",
        )
    if not as_json:
        check_header(kept, names)
    summary = Summary(unused(graph, bindings))
    request = Request(
        [name for name in names if name not in bindings],
        kept,
        bindings,
        rows_a_chunk(len(graph.nodes)),
        skip_bad,
        budget,
    )
    header = kept + names + ["value"] + [f"d/d{n}" for n in names]
    sink = None
    if parquet:
        from .parquet import Writer

        sink = Writer(stream, header, kept)
    chunks = read(path, request, summary, progress)
    try:
        first = next(chunks, None)  # the input's own header is checked before ours is written
        if sink is None and not as_json:
            stream.write(",".join(header) + "\n")
        for chunk in itertools.chain([first] if first is not None else [], chunks):
            table = _evaluate(graph, chunk, bindings, kink, strict, summary)
            cells = [chunk.kept[name] for name in kept]
            if sink is not None:
                sink.write(table, cells)
                continue
            cells = [_listed(values) for values in cells]
            stream.write(
                json_lines(table, names, kept, cells) if as_json else csv_lines(table, cells)
            )
        if sink is not None:
            sink.close()
    except BaseException:
        if sink is not None:
            sink.abandon()
        raise
    return summary


def _evaluate(graph, chunk, bindings: dict, kink: str, strict: bool, summary) -> np.ndarray:
    """A chunk's table: a row a point, its inputs, value and gradient."""
    names = list(graph.inputs)
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
    summary.rows += n
    return table


def _listed(values) -> list:
    """The values of a column kept, as a list: an Arrow array's (from Parquet) as
    values that CSV and JSON can write."""
    if isinstance(values, list):
        return values
    from .parquet import cells

    return cells(values)


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
    from ..values import number

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
