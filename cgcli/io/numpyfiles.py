"""The points of a batch from .npy and .npz files, checked before they are
believed and read a chunk at a time.

numpy's own np.load reads an .npz member whole before the first row (8.7 MB of
file may hold 2 GB of zeros), believes the sizes a header states, and says that
a file which is not an array holds pickled data, with advice to load it unsafely.
Here a header is read within bounds and checked against the size that the file
or the archive gives; the data is then read a chunk at a time, and only the
arrays the batch asks for. Nothing is unpickled, and every way a file can be
malformed is refused with a plain message (exit 2).
"""

from __future__ import annotations

import ast
import math
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator

import numpy as np

from ..errors import UsageError, shown
from ..ops.shapes import MAX_DIMENSIONS
from .rows import CHUNK_BYTES, Chunk, Request, check_names

MAGIC = b"\x93NUMPY"
ZIP = b"PK"  # an archive's first member (PK\x03\x04), or an empty archive (PK\x05\x06)
MAX_HEADER = 1 << 20  # bytes of a .npy header (numpy writes a few hundred)
MAX_DIRECTORY = 1 << 20  # bytes of an archive's list of members (zipfile reads it whole)
NUMBERS = "iuf"
KEEPABLE = "biufUS"  # --keep also carries booleans and text

try:
    from lzma import LZMAError
except ImportError:  # a Python without lzma reads no lzma members either
    LZMAError = zipfile.BadZipFile
# What a damaged archive raises, from reading its list of members to a member's last byte.
ARCHIVE_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    NotImplementedError,  # a compression method zipfile does not know
    RuntimeError,  # an encrypted member
    zlib.error,
    LZMAError,
    OSError,
    ValueError,
)


def read_numpy(path: str, where: str, request: Request, summary) -> Iterator[Chunk]:
    summary.unit = "row"
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the with below
    except OSError as err:
        raise UsageError(f"cannot read {where}: {err.strerror or err}") from None
    with handle:
        start = _read(handle, 8, where)
        archive = path.lower().endswith(".npz")
        name = os.path.splitext(where)[0]
        if archive and start.startswith(MAGIC):
            raise UsageError(
                f"{where} is a .npy file (one array), not an .npz archive",
                f"Name it {name}.npy: a .npy file holds the points as named fields or as "
                "one column an input.",
            )
        if not archive and start.startswith(ZIP):
            raise UsageError(
                f"{where} is an .npz archive (a zip of arrays), not a .npy file",
                f"Name it {name}.npz: an archive holds one array an input.",
            )
        if archive:
            yield from _npz(handle, where, request, summary)
        else:
            yield from _npy(handle, start, where, request, summary)


class Stored:
    """An array in a .npy file or an .npz member: the header, then the items in
    the order they are stored. `size` is the size that the file or the archive
    gives, when it gives one; `start` is what has been read of it already."""

    def __init__(self, handle, where: str, size: int | None, start: bytes = b"", whole=False):
        self.handle, self.where = handle, where
        self.held: np.ndarray | None = None  # the items in C order, once read whole
        self.next = 0  # of them, the next to give
        start += _read(handle, 8 - len(start), where)
        if not start.startswith(MAGIC):
            raise UsageError(
                f"{where} is not a numpy array: it does not begin as a .npy file does",
                "Save the points with numpy.save or numpy.savez.",
            )
        version = start[6]
        if version not in (1, 2, 3):
            raise UsageError(f"{where} is a .npy file of version {version}, which cg cannot read")
        width = 2 if version == 1 else 4
        (length,) = struct.unpack("<H" if width == 2 else "<I", self._exactly(width, "header"))
        if length > MAX_HEADER:
            raise UsageError(
                f"{where} has a header of {length:,} bytes; cg reads headers of up to "
                f"{MAX_HEADER:,} bytes"
            )
        text = self._exactly(length, "header")
        self.shape, self.fortran, self.dtype = _header(text, version, where)
        self.offset = 8 + width + length
        self.count = math.prod(self.shape)
        nbytes = self.count * self.dtype.itemsize
        if self.dtype.hasobject:
            raise UsageError(
                f"{where} holds Python objects, not numbers",
                "A batch reads arrays of numbers: save them with a numeric dtype such as float64.",
            )
        held = None if size is None else size - self.offset
        if held is not None and (held < nbytes or (whole and held > nbytes)):
            raise UsageError(
                f"{where} holds {max(held, 0):,} bytes of data, but its header describes "
                f"{nbytes:,} (shape {self.shape}, {shown(str(self.dtype))})",
                "The file is damaged or was cut short; save it again.",
            )

    def items(self, n: int) -> np.ndarray:
        """The next n items."""
        if self.held is not None:
            self.next += n
            return self.held[self.next - n : self.next]
        if self.dtype.itemsize == 0:  # fields of no size: nothing to read
            return np.zeros(n, dtype=self.dtype)
        data = self._exactly(n * self.dtype.itemsize, "data")
        return np.frombuffer(data, dtype=self.dtype, count=n)

    def items_at(self, index: int, n: int) -> np.ndarray:
        """n items from the index-th, in a file that can seek (Fortran order)."""
        self.handle.seek(self.offset + index * self.dtype.itemsize)
        return self.items(n)

    def flat(self) -> None:
        """Make the items come in C order, as numpy.ravel gives them. Fortran order
        with more than one dimension longer than 1 is another order: such an array
        is read whole, if it is no larger than a chunk, and refused if it is."""
        if not self.fortran or sum(d > 1 for d in self.shape) <= 1:
            return
        if self.count * self.dtype.itemsize > CHUNK_BYTES:
            raise UsageError(
                f"{self.where} is an array of shape {self.shape} in Fortran order, larger "
                f"than {CHUNK_BYTES:,} bytes, which cg cannot read a chunk at a time",
                "A batch reads one value a point: save it as a 1-D array (numpy.ravel).",
            )
        self.held = self.items(self.count).reshape(self.shape, order="F").ravel()

    def _exactly(self, n: int, what: str) -> bytes:
        data = _read(self.handle, n, self.where)
        if len(data) < n:
            raise UsageError(
                f"{self.where} ends inside its {what}: the file is damaged or was cut short"
            )
        return data


def _read(handle, n: int, where: str) -> bytes:
    """Up to n bytes: fewer only at the end of the file."""
    parts, size = [], 0
    while size < n:
        try:
            part = handle.read(n - size)
        except OSError as err:
            raise UsageError(f"cannot read {where}: {err.strerror or err}") from None
        if not part:
            break
        parts.append(part)
        size += len(part)
    return b"".join(parts)


def _header(text: bytes, version: int, where: str):
    """The shape, order and dtype a .npy header states, or a plain refusal."""
    bad = UsageError(
        f"{where} has a header that is not a numpy array's",
        "The file is damaged, or not made by numpy.save; save it again.",
    )
    try:  # a Python literal, read as numpy reads it: literal_eval runs no code
        header = ast.literal_eval(text.decode("utf-8" if version == 3 else "latin-1"))
    except Exception:  # hostile text: whatever it raises, the answer is the same
        raise bad from None
    if not isinstance(header, dict) or set(header) != {"descr", "fortran_order", "shape"}:
        raise bad
    shape, fortran = header["shape"], header["fortran_order"]
    if (
        not isinstance(shape, tuple)
        or len(shape) > MAX_DIMENSIONS
        or not all(type(d) is int and 0 <= d < 1 << 63 for d in shape)
    ):
        raise bad
    if type(fortran) is not bool:
        raise bad
    try:
        dtype = np.lib.format.descr_to_dtype(header["descr"])
    except Exception:  # as above
        raise bad from None
    return shape, fortran, dtype


def _field(dtype: np.dtype, kinds: str, what: str, where: str) -> None:
    if dtype.shape != ():
        raise UsageError(
            f"{where}: {what} holds {dtype.shape} values a row, not one number",
            "A batch reads one value of each input a point.",
        )
    if dtype.kind not in kinds:
        raise UsageError(
            f"{where}: the values of {what} are {shown(str(dtype))}, not "
            + ("numbers" if kinds == NUMBERS else "numbers or text")
        )


def _npy(handle, start: bytes, where: str, request: Request, summary) -> Iterator[Chunk]:
    status = os.fstat(handle.fileno())
    size = status.st_size if stat.S_ISREG(status.st_mode) else None
    array = Stored(handle, where, size, start)
    needed = request.needed
    if array.dtype.names is not None:
        check_names(list(array.dtype.names), request, where, "field", summary)
        array.flat()
        for name in needed + request.keep:
            kinds = NUMBERS if name in needed else KEEPABLE
            _field(array.dtype.fields[name][0], kinds, name, where)
        wanted = needed + request.keep

        def read(start: int, n: int) -> dict:
            records = array.items(n)
            return {name: records[name] for name in wanted}

        yield from _chunks(array.count, array.dtype.itemsize, read, request, where)
        return
    if request.keep:
        raise UsageError(
            f"{where} is an array of columns without names, so --keep has nothing to name",
            "--keep takes the columns of a CSV file, the keys of JSON lines, the fields of a "
            ".npy file or the arrays of an .npz archive.",
        )
    if len(array.shape) != 2 or array.shape[1] != len(needed):
        raise UsageError(
            f"{where} holds an array of shape {array.shape}; a batch needs one row a "
            f"point and a column for each of {', '.join(needed)}, in that order"
        )
    _field(array.dtype, NUMBERS, ", ".join(needed), where)
    rows, k = array.shape
    if array.fortran and rows > 1 and k > 1:  # a column after another: read each on its own
        if size is None:
            raise UsageError(f"{where} is in Fortran order and cannot be read as it comes")

        def read(start: int, n: int) -> dict:
            return {name: array.items_at(j * rows + start, n) for j, name in enumerate(needed)}

    else:

        def read(start: int, n: int) -> dict:
            block = array.items(n * k).reshape(n, k)
            return {name: block[:, j] for j, name in enumerate(needed)}

    yield from _chunks(rows, k * array.dtype.itemsize, read, request, where)


def _npz(handle, where: str, request: Request, summary) -> Iterator[Chunk]:
    try:
        _check_directory(handle, where)
        archive = zipfile.ZipFile(handle)
        members: dict[str, zipfile.ZipInfo] = {}
        for info in archive.infolist():
            members.setdefault(info.filename.removesuffix(".npy"), info)
        check_names(list(members), request, where, "array", summary)
        arrays = {}
        for name in request.needed + request.keep:
            info = members[name]
            stored = Stored(
                archive.open(info), f"the array {name} in {where}", info.file_size, whole=True
            )
            if stored.dtype.names is not None:
                raise UsageError(
                    f"{where}: {name} is an array of fields, not of numbers",
                    "An .npz archive holds one plain array an input.",
                )
            stored.flat()
            _field(stored.dtype, NUMBERS if name in request.needed else KEEPABLE, name, where)
            arrays[name] = stored
        lengths = {name: s.count for name, s in arrays.items()}
        if len(set(lengths.values())) > 1:
            raise UsageError(
                f"{where}: the arrays have different lengths "
                f"({', '.join(f'{name}: {n}' for name, n in lengths.items())})",
                "A batch needs one value of each input a point.",
            )

        def read(start: int, n: int) -> dict:
            return {name: s.items(n) for name, s in arrays.items()}

        row = sum(s.dtype.itemsize for s in arrays.values())
        yield from _chunks(next(iter(lengths.values()), 0), row, read, request, where)
    except ARCHIVE_ERRORS as err:
        reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
        raise UsageError(
            f"cannot read {where}: it is not a whole .npz archive ({shown(reason, 100)})",
            "Save the points again with numpy.savez.",
        ) from None


def _check_directory(handle, where: str) -> None:
    """Refuse an archive whose list of members is longer than MAX_DIRECTORY, before
    zipfile reads that list whole (it states its own size, near the end)."""
    size = handle.seek(0, os.SEEK_END)
    tail = min(size, 22 + 0xFFFF)  # the end record, and a comment of up to 64 KiB
    handle.seek(size - tail)
    data = handle.read(tail)
    handle.seek(0)
    at = data.rfind(b"PK\x05\x06")
    if at < 0 or len(data) - at < 22:
        return  # not an archive: zipfile says so
    directory = struct.unpack_from("<L", data, at + 12)[0]
    if at >= 20 and data[at - 20 : at - 16] == b"PK\x06\x07":  # a zip64 archive
        handle.seek(struct.unpack_from("<Q", data, at - 12)[0])
        record = handle.read(56)
        handle.seek(0)
        if len(record) == 56 and record.startswith(b"PK\x06\x06"):
            directory = max(directory, struct.unpack_from("<Q", record, 40)[0])
    if directory > MAX_DIRECTORY:
        raise UsageError(
            f"{where} lists its arrays in {directory:,} bytes; cg reads archives whose "
            f"list is up to {MAX_DIRECTORY:,} bytes",
            "A batch archive holds one array an input.",
        )


def _chunks(rows: int, row_bytes: int, read, request: Request, where: str) -> Iterator[Chunk]:
    if row_bytes > CHUNK_BYTES:
        raise UsageError(
            f"a row of {where} holds {row_bytes:,} bytes; cg reads rows of up to "
            f"{CHUNK_BYTES:,} bytes"
        )
    step = min(request.rows, CHUNK_BYTES // max(row_bytes, 1))
    for start in range(0, rows, step):
        n = min(step, rows - start)
        parts = read(start, n)
        columns = {name: np.asarray(parts[name], dtype=np.float64) for name in request.needed}
        bad = [name for name, c in columns.items() if not np.isfinite(c).all()]
        if bad:
            row = start + int(np.argmax(~np.isfinite(columns[bad[0]]))) + 1
            raise UsageError(f"{where}, row {row}: the value of {bad[0]} is not finite")
        kept = {name: _cells(parts[name]) for name in request.keep}
        yield Chunk(columns, np.arange(start + 1, start + 1 + n), kept)


def _cells(values: np.ndarray) -> list:
    if values.dtype.kind == "S":
        return [v.decode("latin-1") for v in values.tolist()]
    return values.tolist()
