"""Fuzz target: arbitrary bytes through the real `cg` entry point, parse to render.

    pip install atheris
    python fuzz/fuzz_cg.py -max_total_time=1800 fuzz/corpus fuzz/seeds

The first byte picks the command (its low four bits) and its flags (the high
four, --exact, --kink nan, --check, --strict); the rest, decoded as UTF-8 with
replacement, is the program. A crash is anything but an answer or a clear
refusal: an exit code other than 0, 1 or 2, a traceback, or "internal error".
Every crash found becomes a test in tests/test_fuzz_regressions.py.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile

import atheris

# The commands import what they need when they run: import it all here, so that
# all of it is instrumented for coverage.
with atheris.instrument_imports(include=["cgcli"]):
    import cgcli.batch
    import cgcli.bindings
    import cgcli.check
    import cgcli.evaluate
    import cgcli.exact
    import cgcli.explain
    import cgcli.lalr
    import cgcli.parse
    import cgcli.points
    import cgcli.render.explain
    import cgcli.render.export
    import cgcli.render.jsonout
    import cgcli.render.table
    import cgcli.render.tree
    import cgcli.streams  # noqa: F401
    from cgcli.cli import main

POINTS = os.path.join(tempfile.mkdtemp(), "points.csv")
with open(POINTS, "w") as _points:
    _points.write("x,y,z\n0.5,-2,0\n1,2,3\n-0.25,0,1e-3\n")
COMMANDS = (
    ["eval"],
    ["eval", "--json"],
    ["graph"],
    ["explain"],
    ["graph", "--format", "dot"],
    ["explain", "--json"],
    ["eval", "--all"],
    ["graph", "--format", "json"],
    ["eval", "--jacobian"],
    ["eval", "--jacobian", "--json"],
    ["eval", "--batch", POINTS],
    ["eval", "--batch", POINTS, "--json", "--skip-bad-rows"],
    ["graph", "--ascii"],
    ["graph", "--format", "mermaid"],
    ["explain", "--ascii"],
    ["eval", "--precision", "3"],
)
assert len(COMMANDS) == 16
FLAGS = (["--exact"], ["--kink", "nan"], ["--check"], ["--strict"])
BINDINGS = ["x=0.5", "y=-2", "z=0", "a=1/3", "b=3", "c=1e-3", "v=[0.5,-1,2]", "M=[[1,2],[3,4]]"]


def arguments(data: bytes) -> list[str]:
    head = data[0] if data else 0
    command = list(COMMANDS[head & 15])
    for bit, flag in enumerate(FLAGS):
        if head >> (4 + bit) & 1 and not (flag == ["--check"] and command[0] != "eval"):
            command += flag
    program = data[1:].decode("utf-8", errors="replace")
    return (
        [*command, "--", program, *BINDINGS]
        if program.startswith("-")
        else [*command, program, *BINDINGS]
    )


def test_one_input(data: bytes) -> None:
    args = arguments(data)
    out, err = io.StringIO(), io.StringIO()
    code = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main(args)
        except SystemExit as exit_:
            code = exit_.code
    message = err.getvalue()
    if code not in (0, 1, 2) or "Traceback" in message or "internal error" in message:
        raise RuntimeError(f"cg {args!r} exited {code}:\n{message}")


if __name__ == "__main__":
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
