"""Inputs the fuzzer (fuzz/fuzz_cg.py) found that crashed cg, kept as tests.

Each must get an answer or a clear refusal: exit 0, 1 or 2 and no traceback, and
(fuzz/oracle.py, below) no control characters, no empty output, no Python warning.
"""

from __future__ import annotations

import io
import struct
import sys
import zipfile
from pathlib import Path

import pytest
from test_properties import refuses_clearly

FUZZ = Path(__file__).resolve().parents[1] / "fuzz"
CRASH_INPUTS = FUZZ / "crashes"
sys.path.insert(0, str(FUZZ))
from oracle import Case, Outcome, problem, run  # noqa: E402

FOUND = [
    # An exact integer past float64's range (y^1027 * 3): converting it for the
    # JSON and the table raised OverflowError.
    ("eval", "--json", "--exact", "b*y^(b--y^10)-y^2", "x=0.5", "y=-2", "z=0", "a=1/3", "b=3"),
    ("eval", "--exact", "b*y^(b--y^10)-y^2", "y=-2", "b=3"),
    # [x, y, z] takes any number of arguments: explain looked for a formula per
    # argument and ran past the op table's one.
    ("explain", "--json", "[x, y, z] @ v", "x=0.5", "y=-2", "z=0", "v=[0.5,-1,2]"),
    # A batch with an array bound on the command line.
    ("eval", "--batch", "POINTS", "--json", "c = M; c*c", "M=[[1,2],[3,4]]"),
    # DOT labels the edges of an op by argument name, and [x, y, z] has none.
    ("graph", "--format", "dot", "[x,0^z, +z] @ v", "x=0.5", "z=0", "v=[0.5,-1,2]"),
    # A slice with a step of 0.
    ("eval", "--jacobian", "--json", "M.T @ v[::-0][1:]", "v=[0.5,-1,2]", "M=[[1,2],[3,4]]"),
    # A list as an axis (found again by the fuzzer, the day review found it).
    (
        "eval",
        "--precision",
        "3",
        "--check",
        " max(z) + min(M, axis=[ 00])+ dot(v,v)",
        "z=0",
        "v=[0.5,-1,2]",
        "M=[[1,2],[3,4]]",
    ),
]


@pytest.mark.parametrize("args", FOUND)
def test_found_by_the_fuzzer(cg, args, tmp_path):
    points = tmp_path / "points.csv"
    points.write_text("x,y,z\n0.5,-2,0\n1,2,3\n")
    refuses_clearly(cg(*[str(points) if a == "POINTS" else a for a in args]))


# What fuzz/fuzz_cg.py finds, as cases that fuzz/oracle.py judges as the fuzzer
# does: each is the smallest form of a crash that the fuzzer found (its input is
# the file of the same name in fuzz/crashes/). They crash today: each is marked
# with its defect class (issue 12) until a fix lands, when the strict mark fails
# and is to be removed.


def npy_header(shape: str, descr: str = "'<f8'") -> bytes:
    """An .npy version 1.0 header that describes `shape`, with no data after it."""
    text = f"{{'descr': {descr}, 'fortran_order': False, 'shape': {shape}, }}"
    text += " " * (-(10 + len(text) + 1) % 64) + "\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text.encode()


def npz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return buffer.getvalue()


NPY_1_2 = npy_header("(2,)") + struct.pack("<2d", 1.0, 2.0)  # [1.0, 2.0], as np.save writes it
ZERO_COLUMNS = {"COLUMNS": "0"}


# The crashes not fixed yet: strict xfails until their fix lands.
OPEN: set[str] = set()


def crash(name, kind, argv, files=None, stdin=b"", env=None):
    case = Case(argv, files or {}, stdin, env or {})
    marks = [pytest.mark.xfail(strict=True, reason=f"fuzz: {kind}")] if name in OPEN else []
    return pytest.param(case, id=name, marks=marks)


COLUMNS = "an environment value turns output into nothing (COLUMNS=0)"
ESCAPES = "control characters that cg did not write reach the terminal"
BINDINGS_FILES = "a malformed bindings file is not a plain refusal"
BATCH_FILES = "a malformed batch file is not a plain refusal"
MEMORY = "a size claimed by a file's header is allocated before it is checked"
MESSAGES = "a message that is not cg's (a numpy warning)"
ATOMIC = "-o replaced a file although cg failed"

CRASHES = [
    # COLUMNS=0: no table, tree or steps, exit 0; an error is not shown either.
    crash("columns-0-eval", COLUMNS, ["eval", "x*2", "x=1"], env=ZERO_COLUMNS),
    crash("columns-0-explain", COLUMNS, ["explain", "x**y", "x=0.5", "y=-2"], env=ZERO_COLUMNS),
    crash(
        "columns-0-graph-o-file",  # and -o replaces the file with nothing
        COLUMNS,
        ["graph", "r", "-o", "out.csv"],
        files={"out.csv": b"what was there before\n"},
        env=ZERO_COLUMNS,
    ),
    crash("columns-0-eval-error", COLUMNS, ["eval", ""], env=ZERO_COLUMNS),
    crash("columns-0-explain-error", COLUMNS, ["explain", "", "--json"], env=ZERO_COLUMNS),
    crash("columns-0-graph-error", COLUMNS, ["graph", ""], env=ZERO_COLUMNS),
    crash("columns-0-strict", COLUMNS, ["eval", "--strict", "x/y", "x=1", "y=0"], env=ZERO_COLUMNS),
    # Control characters echoed: bindings, arguments, CSV headers, a comment.
    crash("escape-in-binding-value", ESCAPES, ["eval", "x*2", "x=\x1b[2J"]),
    crash("escape-in-binding-form", ESCAPES, ["eval", "x*2", "x=1", "\x1b[2J"]),
    crash(
        "escape-in-argument-with-f",
        ESCAPES,
        ["graph", "-f", "program.cg", "\x01", "x=0"],
        files={"program.cg": b"x*2"},
    ),
    crash(
        "escape-in-csv-header",
        ESCAPES,
        ["eval", "--batch", "points.csv", "s"],
        files={"points.csv": b"x\x1b[2J\n1\n"},
    ),
    crash(
        "escape-in-csv-header-stdin", ESCAPES, ["eval", "--batch", "-", "s"], stdin=b"x\x1b[2J\n"
    ),
    crash("escape-in-comment-title", ESCAPES, ["eval", "x*2 # \x1b[2J\x01", "x=1"]),
    # Bindings and batch files that are empty, cut short or not what they are named.
    crash(
        "empty-npy-binding",  # numpy's EOFError becomes click's Abort: exit 130, silent
        BINDINGS_FILES,
        ["explain", "z", "z=@z.npy"],
        files={"z.npy": b""},
    ),
    crash(
        "empty-npy-batch",
        BATCH_FILES,
        ["eval", "--batch", "points.npy", "s"],
        files={"points.npy": b""},
    ),
    crash(
        "npy-shape-past-int64",  # OverflowError
        BINDINGS_FILES,
        ["eval", "sum(x)", "x=@x.npy"],
        files={"x.npy": npy_header("(18446744073709551616,)")},
    ),
    crash(
        "npy-named-npz",  # AttributeError: 'numpy.ndarray' object has no attribute 'files'
        BATCH_FILES,
        ["eval", "--batch", "points.npz", "x*2"],
        files={"points.npz": NPY_1_2},
    ),
    crash(
        "npz-corrupt-zip",  # zipfile.BadZipFile
        BATCH_FILES,
        ["eval", "--batch", "points.npz", "x*2"],
        files={"points.npz": npz({"x.npy": NPY_1_2})[:60]},
    ),
    crash(
        "npz-member-cut-short",  # ValueError: EOF: reading array data
        BATCH_FILES,
        ["eval", "--batch", "points.npz", "x*2"],
        files={"points.npz": npz({"x.npy": npy_header("(3,)")})},
    ),
    crash(
        "jsonl-program-without-inputs",  # ValueError: cannot reshape array of size 0
        BATCH_FILES,
        ["eval", "--batch", "points.jsonl", "2"],
        files={"points.jsonl": b"{}\n{}\n"},
    ),
    # Sizes claimed by a header, allocated whole: MemoryError as an internal error.
    crash(
        "npy-binding-claims-1e12",
        MEMORY,
        ["eval", "sum(x)", "x=@x.npy"],
        files={"x.npy": npy_header("(1000000000000,)")},
    ),
    crash(
        "npz-member-claims-1e12",
        MEMORY,
        ["eval", "--batch", "points.npz", "x*2"],
        files={"points.npz": npz({"x.npy": npy_header("(1000000000000,)")})},
    ),
    # numpy's "UserWarning: loadtxt: input contained no data", with its file and line.
    crash("empty-csv-binding", MESSAGES, ["eval", "x", "x=@x.csv"], files={"x.csv": b""}),
    # The same warning ("Input line 2 contained no data"), from the second reading of a
    # CSV that holds a 0 (to tell a 0 from a number too small, 1e-400), outside the
    # first reading's catch_warnings (io/valuefiles.py).
    crash(
        "csv-binding-blank-line-and-0",
        MESSAGES,
        ["eval", "sum(x)", "x=@x.csv"],
        files={"x.csv": b"0\n\n"},
    ),
    # numpy's "RuntimeWarning: overflow encountered in (scalar) add", with its file and
    # line: explain adds up the terms of a derivative step (render/steps.py) outside
    # np.errstate, and 1e308 + 1e308 overflows (cg has already said it is inf).
    crash("explain-overflow-in-steps-scalar", MESSAGES, ["explain", "x*x", "x=1e308"]),
    crash("explain-overflow-in-steps-dot", MESSAGES, ["explain", "dot(v, v)", "v=[1e308]"]),
    # --strict --check failed after the table was written: exit 1, and out.json changed.
    crash(
        "strict-check-writes-before-failing",
        ATOMIC,
        [
            "eval",
            "x + y",
            "x=10/3",
            "y=608e113",
            "--check",
            "--exact",
            "--strict",
            "-o",
            "out.json",
        ],
        files={"out.json": b"what was there before\n"},
    ),
    # numpy's "invalid value in scalar divide", from the check's relative difference of
    # inf and NaN.
    crash(
        "check-relative-of-inf-and-nan",
        MESSAGES,
        [
            "eval",
            "--all",
            "--jacobian",
            "--check",
            "--exact",
            "-o",
            "out.txt",
            "x / y",
            "x=-955e94",
            "y=0",
        ],
    ),
]


@pytest.mark.parametrize("case", CRASHES)
def test_crash_found_by_the_fuzzer(case):
    outcome = run(case, seconds=5, memory=1 << 30)
    assert problem(case, outcome) is None, outcome


def test_every_crash_input_has_its_case():
    """fuzz/crashes/ holds the fuzzer's input of each crash above, by the same name."""
    names = {param.id for param in CRASHES}
    kept = {path.name for path in CRASH_INPUTS.iterdir()}
    assert kept <= names, kept - names


def test_the_oracle_sees_a_crash():
    """The judge itself: a case that crashes today is seen as one, and for the
    reason the fuzzer gave (so that the marks above cannot pass for a wrong reason)."""
    case = Case(["eval", "x*2", "x=1"])
    echoed = Outcome(2, "", "error: bad \x1b[2J\n", None, [])
    found = problem(case, echoed)
    assert found is not None and found.kind == "control characters"
    assert problem(case, run(case)) is None  # and a good run is not one
    assert problem(*(lambda c: (c, run(c)))(Case(["eval", "x*2", "x=1"]))) is None
