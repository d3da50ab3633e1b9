"""The points of a batch, read a chunk at a time: CSV (a header, then one row a
point), JSON lines, .npy and .npz files (numpyfiles.py), and Parquet (parquet.py).

Every read is bounded by limits that do not depend on the file's size: a line of
text, the text or bytes of a chunk, a header. So /dev/zero, or a header of 10^8
names, is refused after a megabyte rather than read whole. A row that is not
numbers is reported by line number, or skipped and counted with --skip-bad-rows.
Only the columns the program needs and those that --keep names are read; a name
bound on the command line that the file gives too is refused, as is a column
named twice; columns that are not written are counted, so that cg can say so.
"""

from __future__ import annotations

import io
import json
import math
import re
from collections.abc import Iterator

import numpy as np

from ..errors import UsageError, shown
from .rows import CHUNK_BYTES, Chunk, Request, Summary, check_names

MAX_LINE = 1 << 20  # characters in a line of CSV or JSON lines, the header's included
MAX_DIGITS = 4000  # in a JSON integer (Python refuses to read more than 4300)
DECIMAL = re.compile(r"\s*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*\Z")


def read(path: str, request: Request, summary: Summary, progress=None) -> Iterator[Chunk]:
    kind = path.lower()
    where = "standard input" if path == "-" else shown(path, 300)  # for messages
    if kind.endswith((".npy", ".npz")):
        from .numpyfiles import read_numpy

        yield from read_numpy(path, where, request, summary)
    elif kind.endswith(".parquet"):
        from .parquet import read_parquet

        yield from read_parquet(path, where, request, summary, progress)
    elif kind.endswith(".json"):
        raise UsageError(
            f"cg reads a batch from .csv, .jsonl, .npy, .npz or .parquet, not {where}",
            'Write one JSON object a line, {"x": 1, "y": 2}, in a .jsonl file.',
        )
    elif kind.endswith(".jsonl"):
        yield from _read_lines(path, where, request, summary, progress, _json_rows)
    else:
        yield from _read_lines(path, where, request, summary, progress, _csv_rows)


# ------------------------------------------------------------- text: CSV, JSON lines


def _open(path: str, where: str):
    import sys

    if path == "-":
        return io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", errors="strict")
    try:  # utf-8-sig: a spreadsheet's byte-order mark is not part of the first name
        return open(path, encoding="utf-8-sig", errors="strict")
    except OSError as err:
        raise UsageError(f"cannot read {where}: {err.strerror or err}") from None


def _read_lines(path, where, request, summary, progress, rows) -> Iterator[Chunk]:
    handle = _open(path, where)
    try:
        yield from rows(handle, where, request, summary, progress)
    except UnicodeDecodeError as err:
        raise UsageError(f"{where} is not UTF-8 text: {err.reason}") from None
    finally:
        if path != "-":
            handle.close()


def _too_long(where: str, number: int):
    return UsageError(
        f"{where}, line {number}: the line is longer than {MAX_LINE:,} characters, the "
        "longest that cg reads in a batch",
        "A batch file is text: a header, then one point a line.",
    )


def _line(handle, where: str, number: int) -> str:
    line = handle.readline(MAX_LINE + 2)  # + 2: the line end; never more than the limit
    if len(line) > MAX_LINE and len(line.removesuffix("\n")) > MAX_LINE:
        raise _too_long(where, number)
    return line


def _lines(handle, start: int, rows: int, where: str, progress) -> Iterator[tuple[list[str], int]]:
    """Lines in chunks of at most `rows` lines and CHUNK_BYTES characters, each
    chunk with the number of its first line."""
    number = start
    readline = handle.readline
    while True:
        lines: list[str] = []
        size = 0
        while len(lines) < rows and size < CHUNK_BYTES:
            line = readline(MAX_LINE + 2)
            if not line:
                break
            if len(line) > MAX_LINE and len(line.removesuffix("\n")) > MAX_LINE:
                raise _too_long(where, number + len(lines))
            lines.append(line)
            size += len(line)
        if not lines:
            return
        if progress is not None:
            progress(size)
        yield lines, number
        number += len(lines)


def _unquote(field: str) -> str:
    """A CSV field as text: a field in quotes loses them, and "" in it is one quote."""
    field = field.strip()
    if len(field) >= 2 and field[0] == field[-1] == '"':
        return field[1:-1].replace('""', '"')
    return field


def _csv_rows(handle, where, request, summary, progress) -> Iterator[Chunk]:
    first = _line(handle, where, 1)
    header = [name.strip().strip('"').strip() for name in first.strip().split(",")]
    check_names(
        header,
        request,
        where,
        "column",
        summary,
        f"Its first line names the columns: {shown(first.strip(), 80) or '(empty)'}.",
    )
    position: dict[str, int] = {}
    for i, name in enumerate(header):
        position.setdefault(name, i)
    index = [position[name] for name in request.needed]
    keep = [position[name] for name in request.keep]
    width = len(header)
    for lines, start in _lines(handle, 2, request.rows, where, progress):
        numbers = np.arange(start, start + len(lines))
        present = [i for i, line in enumerate(lines) if line.strip()]  # blank lines: nothing
        lines = [lines[i] for i in present]
        numbers = numbers[present]
        if not lines:
            continue
        try:  # the fast path: every line well formed; only the needed columns are read
            if any(line.count(",") != width - 1 for line in lines):
                raise ValueError
            table = np.loadtxt(lines, delimiter=",", dtype=np.float64, ndmin=2, usecols=index)
            if not np.isfinite(table).all():
                raise ValueError
            kept = _kept(lines, keep)
        except ValueError:
            table, numbers, kept = _csv_slowly(
                lines, numbers, width, header, index, keep, request.skip_bad, summary, where
            )
        yield Chunk(
            {name: table[:, i] for i, name in enumerate(request.needed)},
            numbers,
            {name: kept[i] for i, name in enumerate(request.keep)},
        )


def _kept(lines: list[str], keep: list[int]) -> list[list[str]]:
    """The text of the kept columns, a list a column."""
    if not keep:
        return []
    rows = [line.rstrip("\r\n").split(",") for line in lines]
    return [[_unquote(row[i]) for row in rows] for i in keep]


def _csv_slowly(lines, numbers, width, header, index, keep, skip_bad, summary, where):
    """Line by line, to say which line is bad (or to skip it)."""
    good, kept, texts = [], [], []
    for line, number in zip(lines, numbers):
        fields = line.rstrip("\r\n").split(",")
        problem = None
        if len(fields) != width:
            problem = f"has {len(fields)} fields where the header has {width}"
        else:
            for i in index:
                field = fields[i]
                if not DECIMAL.match(field):
                    problem = f"'{shown(field.strip(), 30)}' in column {header[i]} is not a number"
                    break
                if not math.isfinite(float(field)):
                    problem = f"{shown(field.strip(), 30)} in column {header[i]} is not finite"
                    break
        if problem is None:
            good.append([float(fields[i]) for i in index])
            texts.append([_unquote(fields[i]) for i in keep])
            kept.append(number)
        elif skip_bad:
            summary.skipped.append(int(number))
        else:
            raise UsageError(
                f"{where}, line {number}: {problem}",
                "Fix the row, or pass --skip-bad-rows to skip such rows.",
            )
    table = np.array(good, dtype=np.float64).reshape(len(good), len(index))
    return table, np.array(kept, dtype=int), [[row[j] for row in texts] for j in range(len(keep))]


def _json_rows(handle, where, request, summary, progress) -> Iterator[Chunk]:
    needed, keep = request.needed, request.keep
    known = set(needed) | set(keep)
    bound = set(request.bound)
    for lines, start in _lines(handle, 1, request.rows, where, progress):
        good, kept, texts = [], [], []
        for offset, line in enumerate(lines):
            if not line.strip():
                continue
            number = start + offset
            try:
                row = json.loads(
                    line, parse_constant=_refuse, parse_int=_integer, object_pairs_hook=_object
                )
                if not isinstance(row, dict):
                    raise ValueError('the row is not a JSON object such as {"x": 1}')
                clash = bound.intersection(row)
                if clash:
                    name = min(clash)
                    raise UsageError(
                        f"{name} is given twice: bound on the command line and as a key of "
                        f"{where}, line {number}",
                        f"Give it one value: drop {name}=... to take each row's, or leave the "
                        "key out of the file.",
                    )
                point = [row[name] for name in needed]
                if not all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                    for v in point
                ):
                    raise ValueError("a value is not a finite number")
            except (ValueError, KeyError, OverflowError, RecursionError) as err:
                if request.skip_bad:
                    summary.skipped.append(number)
                    continue
                raise UsageError(
                    f"{where}, line {number}: {_problem(err)}",
                    "Fix the row, or pass --skip-bad-rows to skip such rows.",
                ) from None
            if len(row) > len(known) or not known.issuperset(row):
                summary.not_written("key", [name for name in row if name not in known])
            good.append(point)
            texts.append([row.get(name) for name in keep])
            kept.append(number)
        if good:
            table = np.array(good, dtype=np.float64).reshape(len(good), len(needed))
            yield Chunk(
                {name: table[:, i] for i, name in enumerate(needed)},
                np.array(kept, dtype=int),
                {name: [row[i] for row in texts] for i, name in enumerate(keep)},
            )


def _problem(err: Exception) -> str:
    if isinstance(err, KeyError):
        return f"no value for {err}"
    if isinstance(err, OverflowError):
        return "a value is too large for a float64"
    if isinstance(err, RecursionError):
        return "the row is nested too deeply"
    return str(err)


def _refuse(literal):
    raise ValueError(f"{literal} is not a finite number")


def _integer(text: str) -> int:
    if len(text) > MAX_DIGITS:
        raise ValueError(f"a number has {len(text):,} digits, more than a float64 can hold")
    return int(text)


def _object(pairs: list) -> dict:
    row = dict(pairs)
    if len(row) < len(pairs):
        seen = set()
        for name, _ in pairs:
            if name in seen:
                raise ValueError(f'the key "{shown(name)}" is given twice')
            seen.add(name)
    return row
