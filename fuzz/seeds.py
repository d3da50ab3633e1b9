"""Write the seed inputs of fuzz_cg.py into fuzz/seeds/, one small file a case.

    python fuzz/seeds.py        # after a change to cases.py, which changes what bytes mean

Each seed is written as what it means (the answers to cases.build's choices, by
name) and turned into the bytes that make the fuzzer build that case; each is
checked by decoding it again with atheris.FuzzedDataProvider. Together they
reach every command and every channel, so the fuzzer starts past the headers.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import atheris
import cases
from draw import Draw, Script

PROGRAMS = [
    "(a+b)*(b-c)",
    "d = a + b; e = b - c; d * e",
    "-x^2 + 2^-y^2",
    "x**y**b",
    "pi*x^2 + e^y",
    "sin(x)*exp(-y^2) + log(1+x^2)",
    "relu(x) + abs(z) + max(x, y) + min(a, b)",
    "sqrt(z) + log(z) + x/z",
    "asin(x) + acos(a) + sinh(b) + cosh(c)",
    "log2(b) + log10(c) + tan(x)",
    "sigmoid(-800*x) + softplus(b) + tanh(y)",
    "pow(x, y) + atan2(y, x)",
    "c = c + 1; c = c * c; c",
    "k = 2.5\nk*x # comment",
    "sum(relu(M @ v[0:2] + v[1]))",
    "M.T @ v[::-1][1:]",
    "[x, y, z] @ v",
    "max(v) + min(M, axis=1)[0] + dot(v, v)",
    "softmax(v)[0] * norm(v) + mean(M, axis=0)[1]",
    "reshape(v, 3, 1) * v",
    "z2 = M @ [x, y]; logsumexp(z2) - z2[1]",
    "x*y/(x + y)",
]
VALUES = {
    "x": "0.5",
    "y": "-2",
    "z": "0",
    "a": "1/3",
    "b": "3",
    "c": "1e-3",
}
ARRAYS = {"v": ((3,), ["0.5", "-1", "2"]), "M": ((2, 2), ["1", "2", "3", "-1"])}
VIEWS = [  # the command and its options, as answers
    {"command": "eval"},
    {"command": "eval", "option--json": 1},
    {"command": "eval", "option--all": 1, "option--exact": 1},
    {"command": "eval", "option--jacobian": 1, "option--json": 1},
    {"command": "eval", "option--check": 1, "option--kink": "nan", "option--precision": "3"},
    {"command": "eval", "option--strict": 1, "option--kink": "error", "option--ascii": 1},
    {"command": "graph"},
    {"command": "graph", "option--format": "dot", "option--exact": 1},
    {"command": "graph", "option--format": "mermaid", "option--depth": "2"},
    {"command": "graph", "option--format": "json", "COLUMNS": "60"},
    {"command": "explain"},
    {"command": "explain", "option--json": 1, "option--exact": 1},
    {"command": "explain", "option--ascii": 1, "output": "existing", "layout": "after"},
]


def bindings_for(program: str) -> dict:
    """Answers that bind each name of the program: numbers and fractions as typed,
    arrays built from their shape and items."""
    answers, i = {}, 0
    for name in dict.fromkeys(re.findall(r"[A-Za-z_]\w*", program)):
        key = f"binding{i}"
        if name in VALUES:
            answers |= {f"{key}.form": "raw", f"{key}.text": f"{name}={VALUES[name]}"}
        elif name in ARRAYS:
            shape, items = ARRAYS[name]
            answers |= {f"{key}.name": name, f"{key}.kind": "array", f"{key}.shape": shape}
            answers |= {f"{key}.{j}": item for j, item in enumerate(items)}
        else:
            continue
        i += 1
    return answers | {"bindings": i}


def program(text: str, **answers) -> dict:
    return {"program": text, **bindings_for(text), **answers}


def channels() -> list[dict]:
    seeds = [program(p, **view) for p in PROGRAMS for view in VIEWS[:: 1 + len(p) % 3]]
    seeds += [
        # The program from a file and from standard input.
        program("x*y + sin(z)", source="file"),
        program("x*y + sin(z)", source="stdin", command="explain"),
        # Output: -o a new file, an existing one, '-'; COLUMNS and NO_COLOR.
        program("(a+b)*(b-c)", output="new", **{"output.extension": ".csv"}),
        program("(a+b)*(b-c)", output="-", COLUMNS="0", NO_COLOR=1),
        program("(a+b)*(b-c)", command="graph", COLUMNS="20", **{"option--depth": "1000"}),
        # Bindings files: .npy written by numpy, an .npy header claiming a shape, .csv, .json.
        {
            "program": "sum(x*x)",
            "bindings": 1,
            "binding0.kind": "file",
            "binding0.extension": ".npy",
            "binding0.npy.shape": (3,),
            "binding0.npy.0": "0.5",
            "binding0.npy.1": "-1",
            "binding0.npy.2": "2",
        },
        {
            "program": "sum(x*x)",
            "bindings": 1,
            "binding0.kind": "file",
            "binding0.extension": ".npy",
            "binding0.npy.how": "header",
            "binding0.npy.npyshape": "(3,)",
            "binding0.npy.data": b"\0" * 24,
        },
        {
            "program": "sum(x*x)",
            "bindings": 1,
            "binding0.kind": "file",
            "binding0.extension": ".npy",
            "binding0.npy.how": "header",
            "binding0.npy.npyshape": "(1000000000000,)",
            "binding0.npy.data": b"\0" * 8,
        },
        {
            "program": "x @ x",
            "bindings": 1,
            "binding0.kind": "file",
            "binding0.extension": ".csv",
            "binding0.width": 2,
            "binding0.csv.rows": 2,
            "binding0.csv.0.0": "1",
            "binding0.csv.0.1": "2",
            "binding0.csv.1.0": "3",
            "binding0.csv.1.1": "0.5",
        },
        {
            "program": "sum(x)",
            "bindings": 1,
            "binding0.kind": "file",
            "binding0.extension": ".json",
            "binding0.array.shape": (2, 2),
            "binding0.array.0": "1",
            "binding0.array.1": "1e400",
            "binding0.array.2": "-0",
            "binding0.array.3": "0.1",
        },
        {
            "program": "sum(x)",
            "bindings": 1,
            "binding0.kind": "file",
            "binding0.extension": ".json",
            "binding0.json": "raw",
            "binding0.raw": b"[[1, 2], [3]]",
        },
        {"program": "x", "bindings": 1, "binding0.kind": "file", "binding0.exists": False},
        # Bindings on the command line: fractions, arrays nested too deep, raw text.
        {
            "program": "x + y",
            "bindings": 2,
            "binding0.kind": "fraction",
            "binding0.top.number": "1",
            "binding0.bottom.number": "3",
            "binding1.name": "y",
            "binding1.kind": "array",
            "binding1.deep": 100000,
            "option--exact": 1,
        },
        {
            "program": "x",
            "bindings": 1,
            "binding0.how": "scaled",
            "binding0.mantissa": 7,
            "binding0.exponent": -320,
        },
        # --values: a JSON object (with a byte-order mark), name=value lines.
        {
            "program": "x*y + sum(v)",
            "values": 1,
            "values.entries": 3,
            "values.bom": 1,
            "values.0.value": "0.1",
            "values.1.name": "y",
            "values.1.value": "-2.5",
            "values.2.name": "v",
            "values.2.kind": "array",
            "values.2.array.shape": (2,),
            "values.2.array.0": "1",
            "values.2.array.1": "1e308",
        },
        {
            "program": "x*y",
            "values": 1,
            "values.how": "lines",
            "values.entries": 2,
            "values.ending": "\r\n",
            "values.comment": 1,
            "values.0.form": "raw",
            "values.0.text": "x = 1/3",
            "values.1.name": "y",
            "values.1.kind": "file",
            "values.1.extension": ".csv",
            "values.1.csv.rows": 1,
            "values.1.csv.0.0": "2",
        },
        {"program": "x", "values": 1, "values.how": "raw", "values.raw": b'{"x": 1, "x": 2}'},
    ]
    batch = {"program": "sin(x)*exp(-y^2) + log(1+x^2)", "command": "batch"}
    rows = {
        "batch.body.rows": 3,
        "batch.body.0.0": "1",
        "batch.body.0.1": "2",
        "batch.body.1.0": "0.5",
        "batch.body.1.1": "-1",
        "batch.body.2.0": "nan",
        "batch.body.2.1": "abc",
    }
    csv = {"batch.columns": 2, "batch.column1": "y"} | rows
    seeds += [
        batch | csv,
        batch | csv | {"option--json": 1, "option--skip-bad-rows": 1, "batch.bom": 1},
        batch | csv | {"batch.extension": "-", "batch.ending": "\r\n", "output": "new"},
        batch
        | {
            "batch.header": "raw",
            "batch.header.raw": "x,y,t",
            "batch.body.how": "raw",
            "batch.body.raw": b"1,2,3\n4,5\n,,\n1e999,0,0\n",
        },
        batch
        | {
            "batch.extension": ".jsonl",
            "batch.rows": 3,
            "batch.0.keys": 2,
            "batch.0.key1": "y",
            "batch.0.value0": "1",
            "batch.0.value1": "-2.5",
            "batch.1.keys": 2,
            "batch.1.key1": "y",
            "batch.1.value1": "NaN",
            "batch.2.how": "raw",
            "batch.2.raw": '{"x": 1, "y": 1e400}',
            "option--json": 1,
        },
        batch
        | {
            "batch.extension": ".npy",
            "batch.fields": 2,
            "batch.field1": "y",
            "batch.shape": (3,),
            "batch.0": "1",
            "batch.1": "2",
            "batch.2": "0.5",
        },
        batch | {"batch.extension": ".npy", "batch.shape": (3, 2), "batch.1": "2"},
        batch
        | {
            "batch.extension": ".npy",
            "batch.how": "header",
            "batch.descr": "[('x', '<f8'), ('y', '<f8')]",
            "batch.npyshape": "(100000000,)",
            "batch.data": b"\0" * 32,
        },
        batch
        | {
            "batch.extension": ".npz",
            "batch.members": 2,
            "batch.1.name": "y",
            "batch.0.shape": (2,),
            "batch.1.shape": (2,),
            "batch.0.0": "1",
            "batch.1.1": "3",
        },
        batch
        | {
            "batch.extension": ".npz",
            "batch.method": 8,
            "batch.members": 2,
            "batch.1.name": "y",
            "batch.0.how": "header",
            "batch.0.npyshape": "(1000000000000,)",
            "batch.1.dtype": "|O",
            "batch.cut": 0,
        },
        batch | {"batch.extension": ".npz", "batch.how": "npy", "batch.npy.shape": (2, 2)},
    ]
    return seeds


def main() -> None:
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder)
    for answers in channels():
        script = Script(answers)
        case = cases.build(script)
        data = script.data()
        assert cases.build(Draw(atheris.FuzzedDataProvider(data))) == case, answers
        name = f"{case.argv[0]}-{hashlib.sha1(data).hexdigest()[:10]}"
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(data)
    print(f"{len(os.listdir(folder))} seeds in {folder}")


if __name__ == "__main__":
    main()
