"""The points of a batch, read a chunk at a time: CSV (a header, then one row a
point), JSON lines, .npy (fields or columns) and .npz (an array an input).

A row that is not numbers is reported by line number, or skipped and counted
with --skip-bad-rows. Only the columns the program needs are read.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

import numpy as np

from .errors import UsageError

if TYPE_CHECKING:
    from .batch import Summary  # the rows skipped are counted there

CHUNK = 8192  # rows a pass: the intermediate arrays of a chunk stay in cache
DECIMAL = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*\Z")


class Chunk:
    """Rows of input: the values of each column as arrays, and each row's line number."""

    def __init__(self, columns: dict[str, np.ndarray], lines: np.ndarray):
        self.columns, self.lines = columns, lines


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
