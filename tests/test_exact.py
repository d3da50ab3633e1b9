"""--exact: rational arithmetic wherever every op on the way is rational."""

from __future__ import annotations

from fractions import Fraction as F

import pytest
import sympy as sp
from test_evaluate import CORPUS, MICROGRAD, POINTS

import cgcli
from cgcli.language.parse import parse


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
    result = cgcli.interpret.evaluate.evaluate(graph, {"x": F(1)}, exact=True)
    value = {node.name: result.values[node.id] for node in graph.nodes}
    assert value["u"] == F(1, 3)
    assert not isinstance(value["v"], F) and not isinstance(value["w"], F)
    # dw/du = x*cos(u) + 1 needs cos: float; dw/dv = x = 1 is exact.
    adjoint = {node.name: result.adjoints[node.id] for node in graph.nodes}
    assert adjoint["v"] == F(1)
    assert not isinstance(adjoint["u"], F)


def test_integer_powers_are_exact_and_fractional_powers_only_of_perfect_powers():
    result = cgcli.run("x^3 + x^-2 + y^0.5", {"x": F(2, 3), "y": F(2)}, exact=True)
    parts = {n.name: result.values[n.id] for n in result.graph.nodes}
    assert parts["z"] == F(8, 27) and isinstance(parts["t1"], F)
    assert result.gradient["x"] == 3 * F(2, 3) ** 2 - 2 * F(2, 3) ** -3
    assert not isinstance(result.gradient["y"], F)  # 1/(2 sqrt(2))
    # 4^0.5 = 2 and d/dy = 0.5 * 4^-0.5 = 1/4; (8/27)^(2/3) = 4/9, d/dx = (2/3)(27/8)^(1/3) = 1.
    result = cgcli.run("y^0.5", {"y": F(4)}, exact=True)
    assert (result.output, result.gradient["y"]) == (F(2), F(1, 4))
    result = cgcli.run("x^(2/3)", {"x": F(8, 27)}, exact=True)
    assert (result.output, result.gradient["x"]) == (F(4, 9), F(1))


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
    exact = cgcli.interpret.evaluate.evaluate(graph, values, exact=True)
    floats = cgcli.interpret.evaluate.evaluate(graph, {k: float(v) for k, v in values.items()})
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


# ------------------------------------------- local partials rational at exact points


def test_a_rational_partial_of_an_irrational_value_is_exact(cg):
    # d log(x)/dx = 1/x = 1/2 at x = 2, though log(2) is not rational.
    env = {"COLUMNS": "100", "NO_COLOR": None, "TERM": "dumb"}
    doc = cg("eval", "log(x)", "x=2", "--exact", "--json").json()
    assert doc["output"]["exact"] is None
    assert doc["exact_gradient"] == {"x": "1/2"}
    run = cg("eval", "log(x)", "x=2", "--exact", env=env)
    rows = [[c.strip() for c in line.split("│")[1:-1]] for line in run.stdout.splitlines()]
    assert ["x", "2", "1/2 (0.5)"] in rows, run.stdout
    run = cg("explain", "log(x)", "x=2", "--exact", env=env)
    assert "  ∂y/∂x = ∂log(x)/∂x = 1/x = 1/2\n" in run.stdout, run.stdout
    doc = cg("explain", "log(x)", "x=2", "--exact", "--json").json()
    local = doc["backward"][-1]
    assert local["symbol"] == "∂y/∂x" and local["value"] == 0.5
    assert "≈" not in local["numbers"]


@pytest.mark.parametrize(
    "program, point, gradient",
    [
        # 1/(2 sqrt(x)) at x = 4: 1/4; at x = 9/4: 1/(2 * 3/2) = 1/3.
        ("sqrt(x)", {"x": "4"}, {"x": "1/4"}),
        ("sqrt(x)", {"x": "9/4"}, {"x": "1/3"}),
        # 1/(1 + x^2) at x = 1/2: 1/(5/4) = 4/5.
        ("atan(x)", {"x": "1/2"}, {"x": "4/5"}),
        # 1/sqrt(1 - x^2) at x = 3/5: 1/sqrt(16/25) = 5/4; acos's is minus that.
        ("asin(x)", {"x": "3/5"}, {"x": "5/4"}),
        ("acos(x)", {"x": "-4/5"}, {"x": "-5/3"}),
        # atan2(y, x): x/(x^2 + y^2) = 3/25 and -y/(x^2 + y^2) = -4/25 at (4, 3).
        ("atan2(y, x)", {"y": "4", "x": "3"}, {"y": "3/25", "x": "-4/25"}),
        # At 0: sin' = cos(0) = 1, cos' = -sin(0) = 0, tan' = 1 + 0, exp' = 1,
        # sigmoid' = (1/2)(1/2) = 1/4, softplus' = sigmoid(0) = 1/2.
        ("sin(x) + cos(y)", {"x": "0", "y": "0"}, {"x": "1", "y": "0"}),
        ("tan(x) + exp(y)", {"x": "0", "y": "0"}, {"x": "1", "y": "1"}),
        ("sinh(x) + cosh(y) + tanh(x)", {"x": "0", "y": "0"}, {"x": "2", "y": "0"}),
        ("sigmoid(x) + softplus(y)", {"x": "0", "y": "0"}, {"x": "1/4", "y": "1/2"}),
        # Chains: d/dw sigmoid(w*x) = sigmoid'(0) * x = 3/4 at w = 0, x = 3;
        # d/dx log(x^2 + 1) = 2x/(x^2 + 1) = 1 at x = 1.
        ("sigmoid(w*x)", {"w": "0", "x": "3"}, {"w": "3/4", "x": "0"}),
        ("log(x^2 + 1)", {"x": "1"}, {"x": "1"}),
    ],
)
def test_rational_partials_are_exact(cg, program, point, gradient):
    args = [f"{k}={v}" for k, v in point.items()]
    doc = cg("eval", program, *args, "--exact", "--json").json()
    assert doc["exact_gradient"] == gradient
    assert {k: float(F(v)) for k, v in gradient.items()} == doc["gradient"]


def test_functions_at_points_where_their_value_is_rational(cg):
    # sin(0) = 0, exp(0) = 1, log(1) = 0, sigmoid(0) = 1/2, log2(1/8) = -3,
    # log10(1000) = 3, sqrt(9/4) = 3/2, acos(1) = 0, atan2(0, 2) = 0.
    for program, point, value in [
        ("sin(x)", "x=0", "0"), ("exp(x)", "x=0", "1"), ("log(x)", "x=1", "0"),
        ("sigmoid(x)", "x=0", "1/2"), ("log2(x)", "x=1/8", "-3"),
        ("log10(x)", "x=1000", "3"), ("sqrt(x)", "x=9/4", "3/2"), ("acos(x)", "x=1", "0"),
        ("atan2(x, 2)", "x=0", "0"),
    ]:  # fmt: skip
        doc = cg("eval", program, point, "--exact", "--json").json()
        assert doc["output"]["exact"] == value, program


X = sp.Symbol("x")
SYMPY_OF = {
    "sin": sp.sin, "cos": sp.cos, "tan": sp.tan, "asin": sp.asin, "acos": sp.acos,
    "atan": sp.atan, "sinh": sp.sinh, "cosh": sp.cosh, "tanh": sp.tanh, "exp": sp.exp,
    "log": sp.log, "log2": lambda x: sp.log(x, 2), "log10": lambda x: sp.log(x, 10),
    "sqrt": sp.sqrt, "sigmoid": lambda x: 1 / (1 + sp.exp(-x)),
    "softplus": lambda x: sp.log(1 + sp.exp(x)),
}  # fmt: skip
POINTS_Q = ["0", "1", "-1", "1/2", "3/5", "-4/5", "2", "4", "9/4", "8", "1/8", "1000", "1/100"]


def _agrees_with_sympy(ours, theirs, what):
    theirs = sp.simplify(theirs)
    if isinstance(theirs, sp.Rational):
        assert ours == F(int(theirs.p), int(theirs.q)) and isinstance(ours, F), what
    else:  # irrational, infinite or not real: float64, never a Fraction
        assert not isinstance(ours, F), (what, ours, theirs)


@pytest.mark.parametrize("name", sorted(SYMPY_OF))
def test_values_and_partials_are_exact_exactly_where_sympy_finds_them_rational(name):
    f = SYMPY_OF[name](X)
    for text in POINTS_Q:
        q = sp.Rational(text)
        result = cgcli.run(f"{name}(x)", {"x": F(text)}, exact=True)
        _agrees_with_sympy(result.output, f.subs(X, q), (name, text, "value"))
        _agrees_with_sympy(result.gradient["x"], sp.diff(f, X).subs(X, q), (name, text))


@pytest.mark.parametrize(
    "program, sympy_of, points",
    [
        ("x^y", lambda x, y: x**y,
         [("4", "1/2"), ("8/27", "2/3"), ("2", "1/2"), ("1/3", "1/3"), ("9", "-1/2"),
          ("16", "3/4"), ("1", "1/3"), ("-8", "1/3"), ("-2", "3")]),
        ("atan2(x, y)", sp.atan2, [("4", "3"), ("0", "2"), ("0", "-2"), ("1", "1")]),
    ],
)  # fmt: skip
def test_two_argument_ops_are_exact_exactly_where_sympy_finds_them_rational(
    program, sympy_of, points
):
    y = sp.Symbol("y")
    f = sympy_of(X, y)
    for a, b in points:
        at = {X: sp.Rational(a), y: sp.Rational(b)}
        result = cgcli.run(program, {"x": F(a), "y": F(b)}, exact=True)
        if (sp.Rational(a) < 0) and not sp.Rational(b).is_integer:
            # A negative base with a fractional exponent: NaN, as IEEE 754 has it.
            assert not isinstance(result.output, F)
            continue
        _agrees_with_sympy(result.output, f.subs(at), (program, a, b))
        for name, symbol in (("x", X), ("y", y)):
            _agrees_with_sympy(result.gradient[name], sp.diff(f, symbol).subs(at), (a, b, name))
