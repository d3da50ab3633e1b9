"""Inputs the fuzzer (fuzz/fuzz_cg.py) found that once crashed cg, kept as tests.

Each must now get an answer or a clear refusal: exit 0, 1 or 2 and no traceback.
"""

from __future__ import annotations

import pytest
from test_properties import refuses_clearly

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
