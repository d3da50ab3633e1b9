"""--check against finite differences, and the kinks: where they are, and each --kink policy."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
from test_evaluate import CORPUS, POINTS

import cgcli
from cgcli.interpret.check import check
from cgcli.ops import OPS


@pytest.mark.parametrize("source", CORPUS)
def test_check_agrees_on_the_corpus(source):
    for x, y, z in POINTS:
        result = cgcli.run(source, {"x": x, "y": y, "z": z})
        rows = check(result)
        assert {row.status for row in rows} <= {"agree", "kink"}, [
            (row.input, row.reverse, row.numerical, row.status) for row in rows
        ]


def test_check_flags_a_wrong_derivative_rule(cg, monkeypatch):
    # Inject a wrong rule through the op table: d sin(x)/dx = 1.001 cos(x).
    wrong = (lambda g, z, x: 1.001 * g * np.cos(x),)
    monkeypatch.setattr(OPS["sin"], "vjp", wrong)
    run = cg("eval", "sin(x)*y", "x=0.7", "y=2", "--check", "--json")
    statuses = {row["input"]: row["status"] for row in run.json()["check"]}
    assert statuses == {"x": "disagree", "y": "agree"}
    assert "disagree for x" in run.stderr and run.code == 0
    # Under --strict a failure writes nothing (as every --strict failure): the message
    # carries both numbers. 2 cos(0.7) = 1.5297; the wrong rule gives 1.001 times that.
    run = cg("eval", "sin(x)*y", "x=0.7", "y=2", "--check", "--strict")
    assert run.code == 1 and run.stdout == ""
    assert "disagree for x (reverse mode 1.531" in run.stderr
    assert "finite differences 1.529" in run.stderr


def test_check_even_catches_a_rule_wrong_in_the_seventh_digit(monkeypatch):
    monkeypatch.setattr(OPS["exp"], "vjp", (lambda g, z, x: g * z * (1 + 3e-6),))
    rows = check(cgcli.run("exp(x)", {"x": 0.3}))
    assert rows[0].status == "disagree"


def test_check_says_kink_instead_of_flagging_near_one():
    rows = check(cgcli.run("relu(x) * y", {"x": 1e-5, "y": 2.0}))
    by_input = {row.input: row for row in rows}
    assert by_input["x"].status == "kink" and by_input["x"].near == ["z"]
    assert by_input["y"].status == "agree"


def test_check_says_uncertain_when_differences_drown_in_rounding():
    rows = check(cgcli.run("1e8*x^2 + y", {"x": 1e4, "y": 1.0}))
    assert {row.input: row.status for row in rows}["y"] == "uncertain"


def test_check_step_is_a_power_of_two_scaled_to_the_input():
    from cgcli.interpret.check import step

    assert step(0.3) == 2.0**-10 and step(1000.0) == 2.0**-1
    assert math.frexp(step(12345.678))[0] == 0.5


# ------------------------------------------------------------------- kinks

KINKS = [
    # program, values, node op, what the README says cg returns for the derivative
    ("relu(x)", {"x": 0.0}, "relu", {"x": 0.0}),
    ("abs(x)", {"x": 0.0}, "abs", {"x": 0.0}),
    ("max(x, y)", {"x": 1.0, "y": 1.0}, "max", {"x": 0.5, "y": 0.5}),
    ("min(x, y)", {"x": 1.0, "y": 1.0}, "min", {"x": 0.5, "y": 0.5}),
    ("sqrt(x)", {"x": 0.0}, "sqrt", {"x": math.inf}),
    ("log(x)", {"x": 0.0}, "log", {"x": math.inf}),
    ("x^y", {"x": 0.0, "y": 2.0}, "pow", {"x": 0.0, "y": 0.0}),
    ("x / y", {"x": 1.0, "y": 0.0}, "div", {"x": math.inf, "y": -math.inf}),
    ("asin(x)", {"x": 1.0}, "asin", {"x": math.inf}),
    ("atan2(y, x)", {"x": 0.0, "y": 0.0}, "atan2", {"x": 0.0, "y": 0.0}),
]


@pytest.mark.parametrize("source, values, op, gradient", KINKS)
def test_every_kink_is_listed_with_its_convention(source, values, op, gradient):
    result = cgcli.run(source, values)
    assert [result.graph.nodes[hit.node].op.name for hit in result.kinks] == [op]
    assert {k: float(v) for k, v in result.gradient.items()} == gradient


@pytest.mark.parametrize("source, values, op, gradient", KINKS)
def test_kink_nan_makes_the_conventional_derivative_nan(source, values, op, gradient):
    result = cgcli.run(source, values, kink="nan")
    hit = result.kinks[0]
    for position in hit.kink.args:
        name = result.graph.nodes[result.graph.nodes[hit.node].inputs[position]].name
        assert math.isnan(float(result.gradient[name]))


@pytest.mark.parametrize("source, values, op, gradient", KINKS)
def test_kink_error_stops_and_names_the_node(cg, source, values, op, gradient):
    run = cg("eval", source, *[f"{k}={v}" for k, v in values.items()], "--kink", "error")
    assert run.code == 1 and run.stdout == ""
    assert (
        re.match(r"error: --kink error: [yz] = \S", run.stderr) and "is evaluated at" in run.stderr
    )


def test_no_kink_away_from_the_points_or_where_the_derivative_is_not_needed():
    assert cgcli.run("relu(x)", {"x": 0.5}).kinks == []
    assert cgcli.run("x^2", {"x": 0.0}).kinks == []  # the exponent is a constant
    assert cgcli.run("relu(0) * x", {"x": 2.0}).kinks == []  # relu of a constant
    assert cgcli.run("max(x, x)", {"x": 3.0}).kinks != []  # a tie with itself


def test_kinks_in_the_json_and_the_table(cg):
    doc = cg("eval", "relu(x)*y", "x=0", "y=2", "--json").json()
    assert doc["kinks"] == [
        {
            "node": 1,
            "name": "z",
            "op": "relu",
            "at": "x = 0",
            "convention": "the derivative is taken as 0, as PyTorch and JAX do",
            "policy": "subgradient",
        }
    ]
    assert doc["gradient"] == {"x": 0.0, "y": 0.0}
    run = cg("eval", "relu(x)*y", "x=0", "y=2", env={"COLUMNS": "100", "TERM": "dumb"})
    assert (
        "  z = relu(x) at x = 0: the derivative is taken as 0, as PyTorch and JAX do"
        in run.stdout.splitlines()
    )
    doc = cg("eval", "relu(x)*y", "x=0", "y=2", "--kink", "nan", "--json").json()
    assert doc["gradient"]["x"] == "NaN" and doc["kink_policy"] == "nan"


def test_a_norm_along_an_axis_is_at_its_kink_where_one_slice_is_zero():
    # Found in review: the kink test took the norm of the whole array and ignored axis=.
    W = np.array([[0.0, 1.0], [0.0, 2.0]])  # column 0 is all zeros; its norm is 0
    hits = cgcli.run("sum(norm(W, axis=0))", {"W": W}).kinks
    # The mask is over W's elements (what --kink nan makes NaN): the column of zeros.
    assert [hit.mask.tolist() for hit in hits] == [[[True, False], [True, False]]]
    assert cgcli.run("sum(norm(W, axis=1))", {"W": W}).kinks == []  # rows 1 and sqrt(5)


def test_one_element_on_a_kink_does_not_mark_the_others():
    # d/dx sum(abs(x)) = sign(x): x[0] = 0 is a kink; x[1] and x[2] are smooth.
    rows = check(cgcli.run("sum(abs(x))", {"x": np.array([0.0, 1.0, -2.0])}))
    assert [(row.input, row.status) for row in rows] == [
        ("x[0]", "kink"),
        ("x[1]", "agree"),
        ("x[2]", "agree"),
    ]
    assert [row.reverse for row in rows] == [0.0, 1.0, -1.0]
