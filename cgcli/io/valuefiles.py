"""Files of values, read within bounds that do not depend on their size: a text file
(.csv, .json, --values) up to 1/32 of the memory budget (32 MiB by default, as a
parsed number may take 32 times its text), a .npy file up to the budget itself,
which its header says before anything else is read."""

from __future__ import annotations

from ..errors import UsageError, shown
from ..interpret.budget import DEFAULT, FLOAT, check_budget
from ..ops.shapes import MAX_DIMENSIONS
from .literals import check_name, checked_array, parse_array, too_small, underflows

TEXT_SHARE = 32  # a text file of values may take this many times its size in memory


def text_limit(budget: int | None) -> int:
    """The largest text file of values cg reads: 32 MiB for the default budget."""
    return (budget or DEFAULT) // TEXT_SHARE


def read_values(path: str, budget: int | None = None) -> list:
    """Bindings from a file, for parse_bindings: a JSON object of names and values
    (numbers or arrays), or name=value lines (# starts a comment)."""
    try:
        text = _read_text(path, "in --values", budget)
    except OSError as err:
        raise UsageError(
            f"cannot read the values in {shown(path, 60)}: {err.strerror or err}"
        ) from None
    if text.lstrip().startswith(("{", "[")):
        return _json_values(text, path)
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


class _Number(str):
    """A number in a JSON file, kept as its text: 0.1 means 1/10 under --exact."""

    __slots__ = ()


def _json_values(text: str, path: str) -> list:
    import json

    def pairs(items):
        seen = {}
        for key, value in items:
            if key in seen:
                raise ValueError(f"'{shown(key, 30)}' is given twice")
            seen[key] = value
        return seen

    try:
        values = json.loads(
            text,
            parse_float=_Number,
            parse_int=_Number,
            parse_constant=_Number,
            object_pairs_hook=pairs,
        )
        if not isinstance(values, dict):
            raise ValueError("the text is not an object, {...}")
    except (ValueError, RecursionError) as err:
        reason = "its arrays are nested too deeply" if isinstance(err, RecursionError) else err
        raise UsageError(
            f"{shown(path, 60)} is not a JSON object of values: {shown(str(reason), 100)}",
            'Write the values as {"x": 1.5, "W": [[1, 2], [3, 4]]}.',
        ) from None
    bindings = []
    for name, value in values.items():
        origin = f"the value of '{shown(name, 30)}' in {shown(path, 60)}"
        check_name(name, shown(path, 60))
        if isinstance(value, _Number):
            bindings.append(f"{name}={value}")
        elif isinstance(value, list):
            bindings.append((name, _numbers(value, origin), origin))
        else:
            raise UsageError(
                f"in {shown(path, 60)}, the value of {shown(name, 30)} is not a number or an "
                "array of numbers",
                'Write the values as {"x": 1.5, "W": [[1, 2], [3, 4]]}.',
            )
    return bindings


def _numbers(value: list, origin: str):
    """A JSON array whose numbers are texts, as an array of float64; a loop, level by
    level, as the nesting is the user's."""
    import numpy as np

    level, depth = [value], 0
    while level:
        depth += 1
        if depth > MAX_DIMENSIONS:
            raise UsageError(
                f"in {origin}, the array has more than {MAX_DIMENSIONS} dimensions, numpy's limit"
            )
        inner = []
        for item in level:
            for v in item:
                if isinstance(v, list):
                    inner.append(v)
                elif not isinstance(v, _Number) or v.lower().lstrip("+-") in ("nan", "infinity"):
                    raise UsageError(
                        f"in {origin}, the array holds {shown(_json_text(v), 30)}, which is "
                        "not a finite number",
                        "Write arrays as [1, 2, 3] or [[1, 2], [3, 4]].",
                    )
        level = inner
    try:
        array = np.array(value, dtype=np.float64)
    except ValueError:
        raise UsageError(f"in {origin}, the rows of the array have different lengths") from None
    if not array.all():  # a 0: written as 0, or a number too small (1e-400)?
        small = _underflowed(value)
        if small is not None:
            raise too_small(small, "", number=False, where=f"in {origin}")
    return checked_array(array, "", where=f"in {origin}")


def _underflowed(value: list) -> str | None:
    """A number of a nested array of texts that is not 0 but reads as 0, if any."""
    work = [value]
    while work:
        for v in work.pop():
            if isinstance(v, list):
                work.append(v)
            elif underflows(v, 0.0) and float(v) == 0:
                return v
    return None


def _json_text(value) -> str:
    import json

    return str(value) if isinstance(value, _Number) else json.dumps(value)


def read_array(path: str, arg: str, budget: int | None = None, spent: int = 0):
    """An array from a file: .npy (never unpickled), .csv (numbers only) or .json."""
    import io
    import warnings

    import numpy as np

    try:
        if path.endswith(".npy"):
            value = _read_npy(path, arg, budget, spent)
        elif path.endswith(".csv"):
            text = _read_text(path, f"in the binding '{shown(arg, 60)}'", budget)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # numpy's "input contained no data"
                value = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.float64)
                if not value.all():  # a 0: written as 0, or a number too small (1e-400)?
                    texts = np.loadtxt(io.StringIO(text), delimiter=",", dtype=str)
                    texts = texts[value == 0]
                    small = (t for t in np.ravel(texts) if underflows(t.strip(), 0.0))
                    small = next(small, None)
                    if small is not None:
                        raise too_small(small.strip(), arg, number=False)
        elif path.endswith(".json"):
            return parse_array(_read_text(path, f"in the binding '{shown(arg, 60)}'", budget), arg)
        else:
            raise UsageError(
                f"in the binding '{shown(arg, 60)}', cg reads arrays from .npy, .csv and "
                f".json files, not {shown(path, 60)}"
            )
    except OSError as err:
        raise UsageError(
            f"in the binding '{shown(arg, 60)}', cannot read {shown(path, 60)}: "
            f"{err.strerror or err}"
        ) from None
    except ValueError as err:
        raise UsageError(
            f"in the binding '{shown(arg, 60)}', {shown(path, 60)} does not hold an array of "
            f"numbers: {shown(str(err), 100)}"
        ) from None
    return checked_array(value, arg)


def _read_npy(path: str, arg: str, budget: int | None, spent: int):
    """A .npy array, once its header has said that it holds numbers, that the file is
    as long as it says, and that it fits the budget."""
    import math
    import os

    import numpy as np

    fmt = np.lib.format
    where = f"in the binding '{shown(arg, 60)}', {shown(path, 60)}"
    with open(path, "rb") as handle:
        try:
            version = fmt.read_magic(handle)
            if version not in ((1, 0), (2, 0)):
                raise ValueError(f"version {version} of the format")
            reader = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, _, dtype = reader(handle)
        except (ValueError, SyntaxError, EOFError):
            raise UsageError(
                f"{where} is not a .npy file cg reads: it does not start with a header of "
                "numpy's format, version 1 or 2",
                "Write it with numpy.save.",
            ) from None
        if dtype.kind not in "iuf" or dtype.fields is not None or dtype.subdtype is not None:
            raise UsageError(
                f"{where} does not hold an array of numbers, but of {shown(str(dtype), 40)}",
                "cg reads .npy arrays of integers or floats; it never unpickles objects.",
            )
        count = math.prod(shape)
        check_budget(
            spent + count * FLOAT,
            f"{shown(arg, 60)}, an array of shape {shown(str(shape), 40)}"
            + (", with the arrays bound before it," if spent else ","),
            budget,
        )
        size = os.fstat(handle.fileno()).st_size
        needed = handle.tell() + count * dtype.itemsize
        if os.path.isfile(path) and size < needed:
            raise UsageError(
                f"{where} is shorter than its header says: {size:,} bytes, where an array "
                f"of shape {shown(str(shape), 40)} needs {needed:,}"
            )
        handle.seek(0)
        return fmt.read_array(handle, allow_pickle=False)


def _read_text(path: str, where: str, budget: int | None) -> str:
    """A text file, read no further than the limit: a larger one is refused. `where`
    begins the messages ("in --values")."""
    limit = text_limit(budget)
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UsageError(
            f"{where}, {shown(path, 60)} holds more than {limit:,} bytes, and cg reads text "
            f"files of values of up to 1/{TEXT_SHARE} of the memory budget",
            "Save a large array with numpy.save as .npy (read up to the whole budget), or "
            "raise the budget with --max-memory.",
        )
    try:
        return data.decode("utf-8-sig")  # a byte-order mark, as editors write, is skipped
    except UnicodeDecodeError as err:
        raise UsageError(
            f"{where}, {shown(path, 60)} is not UTF-8 text: byte 0x{data[err.start]:02x} at "
            f"offset {err.start:,} cannot be decoded"
        ) from None
