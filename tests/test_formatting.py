"""Numbers as people read them, and program text echoed safely: a negative zero is 0,
--precision N shows N significant digits (JSON refuses it: it writes every number in
full), and a control character in a comment reaches no terminal."""

from __future__ import annotations

import math
import re

import pytest

ENV = {"COLUMNS": "100", "NO_COLOR": None, "FORCE_COLOR": None, "TERM": "dumb"}
VIEWS = [
    ("eval",),
    ("eval", "--all"),
    ("graph",),
    ("graph", "--format", "dot"),
    ("graph", "--format", "mermaid"),
    ("explain",),
]


def tokens(text: str) -> list[str]:
    """The numbers in `text`, each whole: -0.590, 1.23e+03, 2."""
    return re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e[-+]\d+)?(?![\w.])", text)


@pytest.mark.parametrize("view", VIEWS, ids=" ".join)
def test_a_negative_zero_prints_as_zero(cg, view):
    # -x*y at x = 0, y = 1: z = -x is -0.0 in IEEE arithmetic, and so are t1 = z*y and
    # its derivative by y, which is z. The arrays: -x*y at x = [0, 1], y = [1, 1] has
    # the gradient by y of -x = [-0, -1].
    for program in (("-x*y", "x=0", "y=1"), ("sum(-x*y)", "x=[0,1]", "y=[1,1]")):
        doc = cg("eval", *program, "--json").json()
        numbers = [v for n in doc["nodes"] for v in _flat([n["value"], n["adjoint"]])]
        assert any(v == 0 and math.copysign(1, v) < 0 for v in numbers if v is not None)
        run = cg(*view, *program, env=ENV)
        assert run.code == 0, run.stderr
        # explain fills 0 into the formula -x: "-x = -0 = 0", a minus sign and a zero.
        text = run.stdout.replace("-x = -0 = ", "")
        assert "-0" not in tokens(text), run.stdout
        assert "0" in tokens(text)
    # In the JSON, every number in full: the -0.0 stays.
    assert cg("eval", "-x*y", "x=0", "y=1", "--json").json()["output"]["value"] == 0.0


def _flat(value):
    if isinstance(value, list):
        for v in value:
            yield from _flat(v)
    else:
        yield value


def test_precision_keeps_its_significant_zeros(cg):
    # The neuron sigmoid(w0*x0 + w1*x1 + w2) at 2, -1, -3, -2, -3: the sum is 1, and by
    # hand dsigmoid/dx1 = s(1)(1 - s(1))*w1 with s(1) = 1/(1 + e^-1) = 0.7310585786:
    # 0.7310585786 * 0.2689414214 * -3 = -0.5898357997, to three digits -0.590.
    s = 1 / (1 + math.exp(-1))
    assert s * (1 - s) * -3 == pytest.approx(-0.5898357997, abs=1e-10)
    program = ("sigmoid(w0*x0 + w1*x1 + w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3")
    for view in VIEWS:
        text = cg(*view, *program, "--precision", "3", env=ENV).stdout
        assert "-0.590" in tokens(text), (view, text)
        assert "-0.59" not in tokens(text) and "-0.5898357997244457" not in text
    # Whole numbers of at most N digits are exact and stay whole; others keep N digits.
    cells = cg("eval", "x*y", "x=2", "y=1234.5", "--precision", "3", env=ENV).stdout
    assert {"2", "2.47e+03", "1.23e+03"} <= set(tokens(cells)), cells  # 2469, 1234.5
    cells = cg("eval", "x/4", "x=10", "--precision", "3", env=ENV).stdout
    assert {"10", "2.50", "0.250"} <= set(tokens(cells)), cells


@pytest.mark.parametrize(
    "args",
    [("eval", "--json"), ("explain", "--json"), ("graph", "--format", "json")],
    ids=" ".join,
)
def test_precision_with_json_is_refused(cg, args):
    run = cg(*args, "x*2", "x=1", "--precision", "3")
    assert run.code == 2 and run.stdout == ""
    assert "writes every number in full, so it does not take --precision" in run.stderr


@pytest.mark.parametrize("view", [*VIEWS, ("eval", "--json"), ("graph", "--format", "json")])
def test_control_characters_in_a_comment_reach_no_terminal(cg, view):
    program = "x*2 # \x1b[2J\x1b[31mred\x07"
    run = cg(*view, program, "x=1", env=ENV)
    assert run.code == 0, run.stderr
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f]", run.stdout), repr(run.stdout)
    if view == ("eval",):  # the title shows the comment, its escapes spelled out
        assert run.stdout.splitlines()[0] == r"y = x*2 # \x1b[2J\x1b[31mred\x07"
