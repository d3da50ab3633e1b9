"""Regressions found reviewing `cg diff` and `cg optimize` (issue 13)."""

from __future__ import annotations

import json

import numpy as np
from conftest import run_cg

from cgcli.interpret.evaluate import forward
from cgcli.language.parse import parse

N = 1000


def _value(program: str, values: dict):
    graph = parse(program, bound=values)
    with np.errstate(all="ignore"):
        return forward(graph, {n: values[n] for n in graph.inputs})[graph.output]


def test_optimize_does_not_write_a_broadcast_out_as_a_long_literal(tmp_path):
    # Folding broadcast(0.5, 1000) into a literal made the "optimised" program
    # 5,000 characters long (5 MB for broadcast(0.5, 1000, 1000)).
    program = f"sum(broadcast(0.5, {N}) * x)"
    x = np.linspace(-3.0, 7.0, N)
    run = run_cg("optimize", program)
    assert run.code == 0, run.stderr
    printed = run.stdout.split("\n", 1)[1]
    assert len(printed) < 100, printed[:200]
    assert _value(printed, {"x": x}) == _value(program, {"x": x})


def test_a_small_broadcast_is_still_written_out():
    run = run_cg("optimize", "broadcast(-1, 3) * x")
    assert run.stdout.split("\n", 1)[1] == "[-1, -1, -1] * x\n"


def test_diff_of_a_sum_over_a_long_array_is_a_short_formula(tmp_path):
    # -sum(y*log(x)) printed its derivative with a 1,000-element [-1, -1, ...].
    rng = np.random.default_rng(13)
    x, y = rng.uniform(0.1, 2.0, N), rng.uniform(0.0, 1.0, N)
    values = tmp_path / "values.json"
    values.write_text(json.dumps({"x": x.tolist(), "y": y.tolist()}))
    run = run_cg("diff", "-sum(y*log(x))", "--values", str(values), "--json")
    assert run.code == 0, run.stderr
    formula = run.json()["derivatives"]["x"]["formula"]
    assert len(formula) < 100, formula[:200]
    np.testing.assert_allclose(_value(formula, {"x": x, "y": y}), -y / x, rtol=1e-15)


def test_a_common_subexpression_record_says_which_node_it_joins():
    # The record read "cse: z: sin(x) → sin(x)", which says nothing: z is now y,
    # the first sin(x) (as `cg eval --all` names them).
    run = run_cg("optimize", "sin(x)*sin(x) + sin(x)", "--steps")
    records = run.stdout.split("rewrites:\n", 1)[1].splitlines()
    assert "cse: z: sin(x) → y" in records
    assert "cse: t2: sin(x) → y" in records
    table = run_cg("eval", "sin(x)*sin(x) + sin(x)", "x=1", "--all", "--ascii").stdout
    assert "| y    | sin(x)" in table.replace("│", "|")


def test_diff_json_with_precision_says_what_precision_is_for():
    # It read "without --json, the formulas shows N significant digits": formulas
    # are never rounded, only the values printed under them.
    run = run_cg("diff", "x*y", "--json", "--precision", "3")
    assert run.code == 2
    assert "without --json, the text shows N significant digits" in run.stderr
    assert run_cg("diff", "x*y", "x=0.123456", "y=1", "--precision", "3").stdout.endswith(
        "∂f/∂y = x\n      = 0.123\n"
    )


def test_the_exponent_of_a_literal_is_not_a_name_of_the_program():
    # 2.5e-1 made `e` count as a name the program writes, so cg's own node e kept it
    # and the partial printed as cos(e), which reads back as cos(2.718...).
    import math

    doc = run_cg("diff", "2.5e-1 + sin(--c)", "c=1", "--json").json()
    formula = doc["derivatives"]["c"]["formula"]
    assert _value(formula, {"c": 1.0}) == math.cos(1.0), formula
    doc = run_cg("diff", "x*1e5 + sin(e5*x)", "x=1", "e5=2", "--json").json()
    assert set(doc["derivatives"]) == {"x", "e5"}
