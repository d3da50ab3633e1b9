"""--exact: rational arithmetic wherever every op on the way is rational."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
from test_evaluate import CORPUS, MICROGRAD, POINTS

import cgcli
from cgcli.parse import parse


def test_micrograd_readme_program_is_exact():
    result = cgcli.run(MICROGRAD, {"a": F(-4), "b": F(2)}, exact=True)
    assert result.output == F(2421, 98)
    assert result.gradient == {"a": F(47620, 343), "b": F(221433, 343)}


def test_a_textbook_example_with_fractions():
    # f = x*y/(x + y) at x = 1/3, y = 1/2, by hand:
    #   f = (1/6)/(5/6) = 1/5
    #   df/dx = y^2/(x + y)^2 = (1/4)/(25/36) = 9/25
    #   df/dy = x^2/(x + y)^2 = (1/9)/(25/36) = 4/25
    result = cgcli.run("x*y/(x + y)", {"x": F(1, 3), "y": F(1, 2)}, exact=True)
    assert result.output == F(1, 5)
    assert result.gradient == {"x": F(9, 25), "y": F(4, 25)}


def test_decimal_bindings_are_their_decimal_value(cg):
    doc = cg("eval", "x*3", "x=0.1", "--exact", "--json").json()
    assert doc["output"]["exact"] == "3/10"  # not 3 * 0.1000000000000000055...
    assert doc["output"]["value"] == 0.3
    doc = cg("eval", "a - b", "a=1/3", "b=0.5", "--exact", "--json").json()
    assert doc["output"]["exact"] == "-1/6"
    assert doc["exact_gradient"] == {"a": "1", "b": "-1"}


def test_literals_in_the_program_are_exact_too():
    result = cgcli.run("x * 0.1 + 1e-3", {"x": F(1)}, exact=True)
    assert result.output == F(101, 1000)


def test_irrational_ops_fall_back_to_float_downstream_only():
    graph = parse("u = x/3; v = sin(u); w = v*x + u")
    result = cgcli.evaluate.evaluate(graph, {"x": F(1)}, exact=True)
    value = {node.name: result.values[node.id] for node in graph.nodes}
    assert value["u"] == F(1, 3)
    assert not isinstance(value["v"], F) and not isinstance(value["w"], F)
    # dw/du = x*cos(u) + 1 needs cos: float; dw/dv = x = 1 is exact.
    adjoint = {node.name: result.adjoints[node.id] for node in graph.nodes}
    assert adjoint["v"] == F(1)
    assert not isinstance(adjoint["u"], F)


def test_integer_powers_are_exact_and_fractional_powers_are_not():
    result = cgcli.run("x^3 + x^-2 + y^0.5", {"x": F(2, 3), "y": F(4)}, exact=True)
    parts = {n.name: result.values[n.id] for n in result.graph.nodes}
    assert parts["z"] == F(8, 27) and isinstance(parts["t1"], F)
    assert result.gradient["x"] == 3 * F(2, 3) ** 2 - 2 * F(2, 3) ** -3
    assert not isinstance(result.gradient["y"], F)


def test_exact_arithmetic_stops_at_the_cap_with_a_warning():
    result = cgcli.run("x^100000 * 0 + y", {"x": F(3, 2), "y": F(1)}, exact=True)
    kinds = [n.kind for n in result.notices]
    assert "exact" in kinds
    assert not isinstance(result.values[2], F)  # x^100000 became a float (inf)
    result = cgcli.run("(x + 1/3)^40", {"x": F(1, 7)}, exact=True)  # small enough: exact
    assert result.output == (F(1, 7) + F(1, 3)) ** 40


@pytest.mark.parametrize("source", CORPUS)
def test_exact_and_float_agree_to_float_precision(source):
    x, y, z = (F(str(v)) for v in POINTS[1])
    graph = parse(source)
    values = {"x": x, "y": y, "z": z}
    values = {name: values[name] for name in graph.inputs}
    exact = cgcli.evaluate.evaluate(graph, values, exact=True)
    floats = cgcli.evaluate.evaluate(graph, {k: float(v) for k, v in values.items()})
    for a, b in zip(exact.values, floats.values):
        assert float(a) == pytest.approx(float(b), rel=1e-13, abs=1e-13)
    for a, b in zip(exact.adjoints, floats.adjoints):
        if a is not None:
            assert float(a) == pytest.approx(float(b), rel=1e-12, abs=1e-12)


def test_exact_table_and_explain_show_fractions(cg):
    env = {"COLUMNS": "100", "NO_COLOR": None, "TERM": "dumb"}
    run = cg("eval", "x*y/(x + y)", "x=1/3", "y=1/2", "--exact", env=env)
    assert "1/5 (0.2)" in run.stdout and "9/25 (0.36)" in run.stdout
    assert "Fractions are exact" in run.stdout
    run = cg("explain", "x/3 + sin(x)", "x=1/2", "--exact", env=env)
    # Fractions as operands take parentheses: 1/2 / 3 would read as 1/(2/3).
    assert "  y = x / 3 = (1/2) / 3 = 1/6" in run.stdout
    assert "≈0.479425538604203" in run.stdout  # sin(1/2) is marked as not exact
    run = cg("explain", "a^c + log(-a)", "a=1/3", "c=2", "--exact", env=env)
    assert "  d = a^c = (1/3)^2 = 1/9" in run.stdout
    assert "log(-1/3)" in run.stdout and "log((" not in run.stdout
    run = cg("graph", "x/3", "x=1/2", "--exact", env=env)
    assert "y = x / 3 = 1/6" in run.stdout


def test_fraction_bindings_without_exact_are_rounded_once(cg):
    doc = cg("eval", "x", "x=1/3", "--json").json()
    assert doc["output"]["value"] == 1 / 3


def test_bad_fractions(cg):
    assert "denominator is 0" in cg("eval", "x", "x=1/0").stderr
    assert "too many digits" in cg("eval", "x", "x=1e-5000", "--exact").stderr
