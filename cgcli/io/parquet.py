"""The points of a batch from a Parquet file, and a batch's rows written as one,
through pyarrow (an optional extra: `pip install 'cgcli[parquet]'`).

A Parquet file is read a record batch at a time, and only the columns the batch
asks for, so memory stays bounded by the chunk, not by the file or its row
groups. What a file says about itself is checked before it is believed: the
footer's length before it is read, each column chunk's size before a page of it
is decompressed (a page can be as large as its chunk), the types of the columns
the program uses. pyarrow is imported here only, and only for a .parquet path.
"""

from __future__ import annotations

import os
import struct
from contextlib import suppress

import numpy as np

from ..errors import UsageError, shown
from .rows import CHUNK_BYTES, Chunk, Request, check_names

MAGIC = b"PAR1"
MAX_FOOTER = 4 * CHUNK_BYTES  # bytes of a file's metadata, read whole by pyarrow
ROW_GROUP = 1 << 16  # rows a row group of the output, at least (the last may be short)
INSTALL = "pip install 'cgcli[parquet]'"


def arrow():
    """pyarrow and pyarrow.parquet, or a plain refusal that says how to install them."""
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise UsageError(
            "cg reads and writes Parquet files through pyarrow, which is not installed",
            f"Install it with {INSTALL} (or 'cgcli[dask]', which brings it too), or use "
            "CSV, JSON lines, .npy or .npz.",
        ) from None
    return pyarrow, pyarrow.parquet


# ------------------------------------------------------------------ reading


def read_parquet(path: str, where: str, request: Request, summary, progress=None):
    """The rows of the Parquet file at `path`, a chunk at a time, numbered from 1."""
    pa, pq = arrow()
    summary.unit = "row"
    size = _check_footer(path, where)
    try:
        parquet = pq.ParquetFile(
            path,
            pre_buffer=False,  # pages are read as they are decoded, not a row group at once
            buffer_size=1 << 20,
            thrift_string_size_limit=MAX_FOOTER,
            thrift_container_size_limit=1 << 20,
        )
        schema = parquet.schema_arrow
    except (pa.ArrowException, OSError, ValueError) as err:
        raise _damaged(where, err) from None
    check_names(list(schema.names), request, where, "column", summary)
    for name in request.needed:
        kind = schema.field(name).type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
            raise UsageError(
                f"{where}: the values of {shown(name)} are {shown(str(kind), 60)}, not numbers",
                "The program's inputs are read from columns of integers or floats.",
            )
    wanted = list(dict.fromkeys(request.needed + request.keep))
    _check_row_groups(parquet.metadata, wanted, where, request.budget)
    rows = parquet.metadata.num_rows
    batches = parquet.iter_batches(batch_size=request.rows, columns=wanted, use_threads=False)
    start = 0
    while True:
        try:
            batch = next(batches, None)
        except (pa.ArrowException, OSError, ValueError, MemoryError) as err:
            raise _damaged(where, err) from None
        if batch is None:
            break
        n = batch.num_rows
        if n == 0:
            continue
        yield _chunk(batch, start, request, summary, where)
        start += n
        if progress is not None and rows:
            progress(size * n // rows)
    if start == 0:  # no rows: an empty chunk still carries the kept columns' types
        fields = pa.schema([schema.field(name) for name in wanted])
        yield _chunk(pa.RecordBatch.from_pylist([], schema=fields), 0, request, summary, where)


def _chunk(batch, start: int, request: Request, summary, where: str) -> Chunk:
    import pyarrow as pa

    n = batch.num_rows
    columns, bad = {}, np.zeros(n, dtype=bool)
    for name in request.needed:
        column = batch.column(name)
        values = np.asarray(column.to_numpy(zero_copy_only=False), dtype=np.float64)
        wrong = ~np.isfinite(values)
        if wrong.any() and not request.skip_bad:
            row = int(np.argmax(wrong))
            what = "missing (null)" if column.is_null()[row].as_py() else "not finite"
            raise UsageError(
                f"{where}, row {start + row + 1}: the value of {shown(name)} is {what}",
                "Fix the row, or pass --skip-bad-rows to skip such rows.",
            )
        bad |= wrong
        columns[name] = values
    numbers = np.arange(start + 1, start + 1 + n)
    kept = {name: batch.column(name) for name in request.keep}
    if bad.any():
        summary.skipped.extend(numbers[bad].tolist())
        good = ~bad
        columns = {name: c[good] for name, c in columns.items()}
        numbers = numbers[good]
        mask = pa.array(good)
        kept = {name: c.filter(mask) for name, c in kept.items()}
    return Chunk(columns, numbers, kept)


def _check_footer(path: str, where: str) -> int:
    """The file's size, once its last bytes say it is Parquet with a footer of a
    size cg reads (pyarrow reads the footer whole, as long as it says it is)."""
    try:
        with open(path, "rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(size - 8, 0))
            tail = handle.read(8)
            handle.seek(0)
            head = handle.read(4)
    except OSError as err:
        raise UsageError(f"cannot read {where}: {err.strerror or err}") from None
    if len(tail) < 8 or head != MAGIC or tail[4:] not in (MAGIC, b"PARE"):
        raise UsageError(
            f"{where} is not a Parquet file: it does not begin and end with PAR1",
            "The file is damaged, or of another kind; name it for what it is (.csv, ...).",
        )
    if tail[4:] == b"PARE":
        raise UsageError(f"{where} is an encrypted Parquet file, which cg cannot read")
    (footer,) = struct.unpack("<I", tail[:4])
    if footer > size - 12:
        raise UsageError(
            f"{where} says its metadata takes {footer:,} bytes, more than the file holds",
            "The file is damaged or was cut short; write it again.",
        )
    if footer > MAX_FOOTER:
        raise UsageError(
            f"{where} has metadata of {footer:,} bytes; cg reads Parquet metadata of up to "
            f"{MAX_FOOTER:,} bytes"
        )
    return size


def _check_row_groups(metadata, wanted: list[str], where: str, budget: int) -> None:
    """Refuse a row group whose columns that are read would take more than the
    budget uncompressed: a page is decompressed whole, and one page can be as
    large as its column chunk."""
    from ..interpret.budget import show_size

    paths = [metadata.schema.column(i).path for i in range(metadata.num_columns)]
    read = [
        i
        for i, path in enumerate(paths)
        if any(path == name or path.startswith(name + ".") for name in wanted)
    ]
    for group in range(metadata.num_row_groups):
        row_group = metadata.row_group(group)
        nbytes = sum(max(row_group.column(i).total_uncompressed_size, 0) for i in read)
        if nbytes > budget:
            raise UsageError(
                f"{where}: row group {group + 1} holds {show_size(nbytes)} of the columns "
                f"read, uncompressed, more than the memory budget of {show_size(budget)}",
                "Write the file with smaller row groups (pyarrow.parquet.write_table(..., "
                "row_group_size=...)), or raise the budget with --max-memory SIZE.",
            )


def _damaged(where: str, err: Exception) -> UsageError:
    reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return UsageError(
        f"cannot read {where}: it is not a whole Parquet file ({shown(reason, 160)})",
        "The file is damaged or was cut short; write it again.",
    )


def cells(values) -> list:
    """A column kept from a Parquet file as values that CSV and JSON lines write:
    numbers, booleans, text and nothing as they are; any other type (dates,
    decimals, lists) as Arrow writes it as text."""
    import pyarrow as pa

    kind = values.type
    if not (
        pa.types.is_integer(kind)
        or pa.types.is_floating(kind)
        or pa.types.is_boolean(kind)
        or pa.types.is_string(kind)
        or pa.types.is_large_string(kind)
        or pa.types.is_null(kind)
    ):
        with suppress(pa.ArrowException, ValueError):  # lists and structs: JSON writes them
            values = values.cast(pa.string())
    return values.to_pylist()


# ------------------------------------------------------------------ writing


class Writer:
    """A batch's rows as a Parquet file on the binary stream under a text stream:
    the columns kept (with their Arrow type, or as pyarrow reads the values
    given), then every number as float64, under the names CSV gives them."""

    def __init__(self, stream, header: list[str], kept: list[str]):
        self.pa, self.pq = arrow()
        self.stream, self.header, self.kept = stream, header, kept
        self.writer = self.schema = None
        self.held: list = []  # tables not yet written: a row group is written whole
        self.rows = 0

    def write(self, table: np.ndarray, cells: list) -> None:
        pa = self.pa
        arrays = [self._kept(name, values) for name, values in zip(self.kept, cells)]
        arrays += [pa.array(table[:, j], type=pa.float64()) for j in range(table.shape[1])]
        if self.writer is None:
            schema = pa.schema(
                [pa.field(name, a.type) for name, a in zip(self.kept, arrays)]
                + [pa.field(name, pa.float64()) for name in self.header[len(self.kept) :]]
            )
            self.stream.flush()
            self.writer = self._call(self.pq.ParquetWriter, self.stream.buffer, schema)
            self.schema = schema
        self.held.append(pa.Table.from_arrays(arrays, schema=self.schema))
        self.rows += table.shape[0]
        if self.rows >= ROW_GROUP or table.nbytes * len(self.held) > CHUNK_BYTES:
            self._flush()

    def close(self) -> None:
        if self.writer is None:
            self.write(np.empty((0, len(self.header) - len(self.kept))), [[]] * len(self.kept))
        self._flush()
        self._call(self.writer.close)

    def abandon(self) -> None:
        """Close the writer of an output that failed, quietly (else pyarrow closes
        it when it is collected, and complains that the file is closed)."""
        if self.writer is not None:
            with suppress(Exception):
                self.writer.close()

    def _kept(self, name: str, values):
        pa = self.pa
        if isinstance(values, pa.Array | pa.ChunkedArray):
            return values
        field = None if self.schema is None else self.schema.field(name)
        try:
            if field is not None:
                return pa.array(values, type=field.type)
            array = pa.array(values)
            return array.cast(pa.string()) if pa.types.is_null(array.type) else array
        except (pa.ArrowException, ValueError, TypeError, OverflowError):
            raise UsageError(
                f"--keep {shown(name)}: its values are not all of one type, as a Parquet "
                "column's must be",
                "Write CSV or JSON lines, which take any values.",
            ) from None

    def _flush(self) -> None:
        if self.held:
            table = self.pa.concat_tables(self.held)
            self.held, self.rows = [], 0
            self._call(self.writer.write_table, table, row_group_size=max(table.num_rows, 1))

    def _call(self, function, *args, **kwargs):
        from .streams import failed

        try:
            return function(*args, **kwargs)
        except OSError as err:
            raise failed(err, self.stream.where) from None
