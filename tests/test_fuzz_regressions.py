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
]


@pytest.mark.parametrize("args", FOUND)
def test_found_by_the_fuzzer(cg, args):
    refuses_clearly(cg(*args))
