"""Fuzzed contents for the files a case brings: .npy (written by numpy, or a header
that claims a description and a shape, then fuzzed data), .npz, CSV and JSON
lines batches, JSON arrays; and fuzzed numbers and texts for the command line."""

from __future__ import annotations

import io
import json
import zipfile

from draw import Draw

NAMES = ["x", "y", "z", "a", "b", "c", "v", "M", "W", "n", "pi", "sin", "_", "x y"]
COLUMNS = ["x", "y", "z", "a", "b", "c", "", " x ", '"y"', "X", "x;y"]
NUMBERS = [
    "0",
    "1",
    "-1",
    "2",
    "3",
    "0.5",
    "-2.5",
    "1e-3",
    "0.1",
    "10",
    "1e5",
    "-0",
    "1e308",
    "1.7976931348623157e308",
    "5e-324",
    "1e-320",
    "12345678901234567890123",
    "1e400",
    "nan",
    "inf",
    "-inf",
    "",
    " 2 ",
    "0x10",
    "1_0",
    "\u0663",
    "\u22121",
    "1e",
    "+.5",
    "abc",
    "9" * 400,
    "1e-400",
]
JSON_VALUES = [
    "0",
    "1",
    "-2.5",
    "1e308",
    "1e400",
    "-0",
    "0.1",
    "123456789012345678901234567890",
    "NaN",
    "Infinity",
    "null",
    "true",
    '"1"',
    "[1, 2]",
    "{}",
    "1E-400",
    "[]",
    '"x"',
    "9" * 5000,
]
SHAPES = [(), (1,), (2,), (3,), (2, 2), (2, 3), (3, 2), (1, 1), (0,), (2, 0), (1, 2, 2), (5,)]
DTYPES = ["<f8", "<f4", "<i8", "|u1", "|b1", "<c16", ">f8", "<U3", "|O", "<M8[s]", "<f2"]
DESCRS = [
    "'<f8'",
    "'<i8'",
    "'|u1'",
    "'|O'",
    "'<f4'",
    "'>f8'",
    "'<U4'",
    "[('x', '<f8'), ('y', '<f8')]",
    "'|V8'",
    "'<c16'",
    "[('x', '<f8'), ('x', '<f8')]",
    "'<f8",
    "{}",
    "[('x', '|O')]",
]
NPY_SHAPES = [
    "()",
    "(3,)",
    "(2, 2)",
    "(0,)",
    "(1000000000000,)",
    "(100000, 100000)",
    "(-1,)",
    "(2, 3)",
    "(100000000,)",
    "(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17)",
    "(3, 1)",
    "(18446744073709551616,)",
    "'3'",
    "[3]",
]
ENDINGS = ["\n", "\r\n", "\r"]


def text(draw: Draw, name: str, most: int) -> str:
    """Fuzzed text for the command line: bytes as the OS gives them to Python
    (undecodable bytes as surrogates), without NUL, which no argument can hold."""
    return draw.bytes(name, most).replace(b"\0", b"").decode("utf-8", "surrogateescape")


def number(draw: Draw, name: str) -> str:
    how = draw.pick(f"{name}.how", ["list", "scaled", "raw"])
    if how == "list":
        return draw.pick(f"{name}.number", NUMBERS)
    if how == "scaled":
        return (
            f"{draw.int(f'{name}.mantissa', -1000, 1000)}e{draw.int(f'{name}.exponent', -330, 330)}"
        )
    return text(draw, f"{name}.text", 40)


def array_text(draw: Draw, name: str, values: list[str]) -> str:
    """JSON-like nested lists of a drawn shape, or nested deeper than numpy allows."""
    shape = draw.pick(f"{name}.shape", SHAPES)
    depth = draw.pick(f"{name}.deep", [0, 65, 3000, 100000])
    if depth:
        return "[" * depth + "1" + "]" * depth
    count = 1
    for n in shape:
        count *= n
    items = [draw.pick(f"{name}.{i}", values) for i in range(count)]
    ragged = draw.flag(f"{name}.ragged")

    def nest(level, start):
        if level == len(shape):
            return items[start] if items else "1"
        step = 1
        for n in shape[level + 1 :]:
            step *= n
        parts = [nest(level + 1, start + i * step) for i in range(shape[level])]
        if ragged and level == len(shape) - 1 and parts:
            parts = parts[:-1]
        return "[" + ", ".join(parts) + "]"

    return nest(0, 0)


def npy(draw: Draw, name: str) -> bytes:
    """An .npy file: written by numpy, a header with a drawn description and shape
    followed by fuzzed data, or raw bytes."""
    import numpy as np

    how = draw.pick(f"{name}.how", ["numpy", "header", "raw"])
    if how == "numpy":
        dtype = draw.pick(f"{name}.dtype", DTYPES)
        shape = draw.pick(f"{name}.shape", SHAPES)
        fields = draw.int(f"{name}.fields", 0, 3)
        count = int(np.prod(shape)) if shape else 1
        values = []
        for i in range(count):
            try:
                values.append(float(draw.pick(f"{name}.{i}", NUMBERS)))
            except ValueError:
                values.append(float("nan"))
        try:
            if fields:
                names = [draw.pick(f"{name}.field{i}", NAMES) for i in range(fields)]
                structured = np.dtype([(n, dtype) for n in dict.fromkeys(names)])
                array = np.zeros(max(count, 1), structured)
                for n in structured.names:
                    array[n] = np.resize(np.array(values or [0.0]), array.shape).astype(dtype)
            else:
                array = np.array(values, dtype=np.float64).reshape(shape).astype(dtype)
            buffer = io.BytesIO()
            np.save(buffer, array, allow_pickle=True)
            return buffer.getvalue()
        except (ValueError, TypeError, OverflowError):  # a dtype these values do not fit
            buffer = io.BytesIO()
            np.save(buffer, np.array(values or [0.0]))
            return buffer.getvalue()
    if how == "header":
        descr = draw.pick(f"{name}.descr", DESCRS)
        order = draw.pick(f"{name}.fortran", ["False", "True"])
        shape = draw.pick(f"{name}.npyshape", NPY_SHAPES)
        version = draw.pick(f"{name}.version", [1, 2, 3])
        header = f"{{'descr': {descr}, 'fortran_order': {order}, 'shape': {shape}, }}"
        size_bytes = 2 if version == 1 else 4
        pad = -(10 + size_bytes - 2 + len(header) + 1) % 64
        header += " " * pad + "\n"
        encoded = header.encode("latin1")
        length = len(encoded).to_bytes(size_bytes, "little")
        return (
            b"\x93NUMPY" + bytes([version, 0]) + length + encoded + draw.bytes(f"{name}.data", 512)
        )
    return draw.bytes(f"{name}.raw", 2048)


def npz(draw: Draw, name: str) -> bytes:
    """An .npz file: a zip of .npy members (stored or deflated), an .npy, or raw bytes."""
    how = draw.pick(f"{name}.how", ["zip", "npy", "raw"])
    if how == "npy":
        return npy(draw, f"{name}.npy")
    if how == "raw":
        return draw.bytes(f"{name}.raw", 2048)
    buffer = io.BytesIO()
    method = draw.pick(f"{name}.method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for i in range(draw.int(f"{name}.members", 0, 4)):
            member = draw.pick(f"{name}.{i}.name", [*NAMES[:6], "x.txt", "../x", "dir/y"])
            suffix = draw.pick(f"{name}.{i}.suffix", [".npy", ""])
            archive.writestr(member + suffix, npy(draw, f"{name}.{i}"))
    data = buffer.getvalue()
    cut = draw.int(f"{name}.cut", 0, 255)  # a truncated or corrupted archive
    if cut and data:
        at = cut * 7 % len(data)
        data = data[:at] if cut % 2 else data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1 :]
    return data


def csv_rows(draw: Draw, name: str, width: int, ending: str) -> str:
    how = draw.pick(f"{name}.how", ["numbers", "raw"])
    if how == "raw":
        return draw.bytes(f"{name}.raw", 1024).decode("utf-8", "surrogateescape")
    lines = []
    for r in range(draw.int(f"{name}.rows", 0, 5)):
        fields = max(0, width + draw.pick(f"{name}.{r}.extra", [0, 0, -1, 1]))
        lines.append(",".join(draw.pick(f"{name}.{r}.{i}", NUMBERS) for i in range(fields)))
    return "".join(line + ending for line in lines)


def encoded(text: str, bom: bool) -> bytes:
    return ("\ufeff" * bom + text).encode("utf-8", "surrogateescape")


def batch_file(draw: Draw, extension: str) -> bytes:
    if extension == ".npy":
        return npy(draw, "batch")
    if extension == ".npz":
        return npz(draw, "batch")
    if extension == ".jsonl":
        lines = []
        ending = draw.pick("batch.ending", ENDINGS)
        for r in range(draw.int("batch.rows", 0, 5)):
            if draw.pick(f"batch.{r}.how", ["object", "raw"]) == "raw":
                lines.append(text(draw, f"batch.{r}.raw", 200))
                continue
            keys = [
                draw.pick(f"batch.{r}.key{i}", COLUMNS)
                for i in range(draw.int(f"batch.{r}.keys", 0, 4))
            ]
            values = [draw.pick(f"batch.{r}.value{i}", JSON_VALUES) for i in range(len(keys))]
            lines.append(
                "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in zip(keys, values)) + "}"
            )
        return encoded("".join(line + ending for line in lines), draw.flag("batch.bom"))
    # CSV, and whatever else is named: a header, then rows.
    if draw.pick("batch.header", ["names", "raw"]) == "raw":
        header = text(draw, "batch.header.raw", 200)
    else:
        header = ",".join(
            draw.pick(f"batch.column{i}", COLUMNS) for i in range(draw.int("batch.columns", 0, 4))
        )
    ending = draw.pick("batch.ending", ENDINGS)
    rows = csv_rows(draw, "batch.body", header.count(",") + 1, ending)
    return encoded(header + ending + rows, draw.flag("batch.bom"))
