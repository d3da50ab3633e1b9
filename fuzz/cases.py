"""From fuzz bytes to a case: a `cg` command line with its files, standard input
and environment (see oracle.Case).

`build` draws every choice from a Draw (draw.py: in a fuzz run from
atheris.FuzzedDataProvider, for a seed from the answers it is written as) and
the files' contents from files.py.

One input covers every command and every input channel: the program (as an
argument, from -f FILE or from standard input), bindings on the command line
(numbers, fractions, arrays, @file.npy/.csv/.json), --values FILE (a JSON object
or name=value lines), --batch FILE (.csv, .jsonl, .npy, .npz, standard input),
the options of each command, -o FILE, and COLUMNS and NO_COLOR. Files are built
either from structure (a valid header and fuzzed rows, an .npy header that
claims a shape) or from raw bytes.
"""

from __future__ import annotations

import json

from draw import Draw
from files import (
    ENDINGS,
    JSON_VALUES,
    NAMES,
    NUMBERS,
    array_text,
    batch_file,
    csv_rows,
    encoded,
    npy,
    number,
    text,
)
from oracle import Case

PRECISIONS = [None, "1", "3", "17", "0", "18", "abc", "-1"]
KINKS = [None, "nan", "error", "subgradient", "other"]


def binding_value(draw: Draw, name: str, files: dict) -> str:
    kind = draw.pick(f"{name}.kind", ["number", "fraction", "array", "file", "raw"])
    if kind == "number":
        return number(draw, name)
    if kind == "fraction":
        return f"{number(draw, name + '.top')}/{number(draw, name + '.bottom')}"
    if kind == "array":
        return array_text(draw, name, NUMBERS)
    if kind == "raw":
        return text(draw, f"{name}.raw", 100)
    extension = draw.pick(f"{name}.extension", [".npy", ".csv", ".json", ".txt", ""])
    path = f"{name}{extension}"
    if draw.pick(f"{name}.exists", [True, False]):
        if extension == ".npy":
            files[path] = npy(draw, f"{name}.npy")
        elif extension == ".csv":
            files[path] = encoded(
                csv_rows(
                    draw,
                    f"{name}.csv",
                    draw.int(f"{name}.width", 1, 4),
                    draw.pick(f"{name}.ending", ENDINGS),
                ),
                False,
            )
        elif extension == ".json":
            if draw.pick(f"{name}.json", ["array", "raw"]) == "array":
                files[path] = array_text(draw, f"{name}.array", JSON_VALUES).encode()
            else:
                files[path] = draw.bytes(f"{name}.raw", 1024)
        else:
            files[path] = draw.bytes(f"{name}.raw", 256)
    return "@" + path


def binding(draw: Draw, name: str, files: dict) -> str:
    if draw.pick(f"{name}.form", ["built", "raw"]) == "raw":
        return text(draw, f"{name}.text", 100)
    variable = draw.pick(f"{name}.name", NAMES)
    return f"{variable}={binding_value(draw, name, files)}"


def values_file(draw: Draw, files: dict) -> bytes:
    how = draw.pick("values.how", ["json", "lines", "raw"])
    if how == "raw":
        return draw.bytes("values.raw", 2048)
    entries = draw.int("values.entries", 0, 4)
    bom = draw.flag("values.bom")
    if how == "json":
        parts = []
        for i in range(entries):
            key = draw.pick(f"values.{i}.name", NAMES)
            if draw.pick(f"values.{i}.kind", ["number", "array"]) == "number":
                value = draw.pick(f"values.{i}.value", JSON_VALUES)
            else:
                value = array_text(draw, f"values.{i}.array", JSON_VALUES)
            parts.append(f"{json.dumps(key)}: {value}")
        return encoded("{" + ", ".join(parts) + "}", bom)
    ending = draw.pick("values.ending", ENDINGS)
    lines = [binding(draw, f"values.{i}", files) for i in range(entries)]
    if draw.flag("values.comment"):
        lines.append("# a comment")
    return encoded("".join(line + ending for line in lines), bom)


def options(draw: Draw, command: str, batch: bool) -> list[str]:
    found = []
    if command == "eval":
        for flag in ("--json", "--all", "--jacobian", "--check"):
            # A batch refuses all of these but --json: seldom, so it runs.
            if draw.int(f"option{flag}", 0, 7 if batch and flag != "--json" else 1) == 1:
                found.append(flag)
        if batch and draw.flag("option--skip-bad-rows"):
            found.append("--skip-bad-rows")
    if command == "explain" and draw.flag("option--json"):
        found.append("--json")
    if command == "graph":
        form = draw.pick("option--format", [None, "tree", "dot", "mermaid", "json", "svg"])
        if form:
            found += ["--format", form]
        depth = draw.pick("option--depth", [None, "1", "2", "3", "10", "1000", "0", "x"])
        if depth:
            found += ["--depth", depth]
    if draw.int("option--exact", 0, 7 if batch else 1) == 1:
        found.append("--exact")
    kink = draw.pick("option--kink", KINKS)
    if kink:
        found += ["--kink", kink]
    if draw.flag("option--strict"):
        found.append("--strict")
    precision = draw.pick("option--precision", PRECISIONS if not batch else [None] * 7 + ["3"])
    if precision:
        found += ["--precision", precision]
    if draw.flag("option--ascii"):
        found.append("--ascii")
    return found


def build(draw: Draw) -> Case:
    import warnings

    import numpy as np

    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # numpy's casts, zipfile's duplicate names
        return _build(draw)


def _build(draw: Draw) -> Case:
    command = draw.pick("command", ["eval", "graph", "explain", "batch"])
    files: dict[str, bytes] = {}
    stdin = b""
    batch = command == "batch"
    command = "eval" if batch else command
    flags = options(draw, command, batch)
    free = []  # fuzzed command-line texts

    source = draw.pick("source", ["argument", "file", "stdin"])
    program = draw.bytes("program", 1024)
    if source == "file":
        files["program.cg"] = program
        flags += ["-f", "program.cg"]
        positional = []
    elif source == "stdin":
        stdin = program
        positional = ["-"]
    else:
        positional = [program.replace(b"\0", b"").decode("utf-8", "surrogateescape")]
        free += positional

    if batch:
        extension = draw.pick(
            "batch.extension", [".csv", ".jsonl", ".npy", ".npz", "-", ".json", ".txt"]
        )
        if extension == "-" and source != "stdin":
            stdin = batch_file(draw, ".csv")
            flags += ["--batch", "-"]
        else:
            extension = ".csv" if extension == "-" else extension
            files["points" + extension] = batch_file(draw, extension)
            flags += ["--batch", "points" + extension]

    bindings = [binding(draw, f"binding{i}", files) for i in range(draw.int("bindings", 0, 6))]
    positional += bindings
    free += bindings
    if draw.flag("values"):
        extension = draw.pick("values.extension", [".json", ".txt"])
        files["values" + extension] = values_file(draw, files)
        flags += ["--values", "values" + extension]

    output = draw.pick("output", [None, "new", "existing", "-"])
    if output:
        target = "out" + draw.pick("output.extension", [".txt", ".csv", ".json"])
        flags += ["-o", "-" if output == "-" else target]
        if output == "existing":
            files[target] = b"what was there before\n"

    env = {}
    columns = draw.pick(
        "COLUMNS", [None, "80", "60", "40", "20", "1", "0", "200", "-1", "x", "100000"]
    )
    if columns is not None:
        env["COLUMNS"] = columns
    if draw.flag("NO_COLOR"):
        env["NO_COLOR"] = "1"

    # Options before the program, after "--", or after the bindings. A fuzzed text
    # that could be read as -o would write outside the case's directory: after "--".
    layout = draw.pick("layout", ["before", "dashdash", "after"])
    if any(t in ("-o", "--output") or t.startswith("--o") for t in free):
        layout = "dashdash"
    if layout == "after":
        argv = [command, *positional, *flags]
    elif layout == "dashdash":
        argv = [command, *flags, "--", *positional]
    else:
        argv = [command, *flags, *positional]
    return Case(argv, files, stdin, env)
