"""The forward and reverse passes, checked by hand, against SymPy and by finite differences."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from programs import SYMPY_FUNCTIONS
from sympy.parsing.sympy_parser import convert_xor, parse_expr, standard_transformations

import cgcli
from cgcli.interpret.evaluate import evaluate
from cgcli.language.parse import parse


def test_seed_example_by_hand():
    # f = (a+b)*(b-c) at a=1, b=2, c=3:
    #   d = a + b = 3, e = b - c = -1, f = d*e = -3
    #   df/dd = e = -1, df/de = d = 3
    #   df/da = df/dd * 1 = -1
    #   df/db = df/dd * 1 + df/de * 1 = -1 + 3 = 2   (b is used twice: both paths add)
    #   df/dc = df/de * (-1) = -3
    result = cgcli.run("(a+b)*(b-c)", {"a": 1, "b": 2, "c": 3})
    assert result.output == -3.0
    assert result.gradient == {"a": -1.0, "b": 2.0, "c": -3.0}
    adjoint = {n.name: result.adjoints[n.id] for n in result.graph.nodes}
    assert adjoint["d"] == -1.0 and adjoint["e"] == 3.0 and adjoint["f"] == 1.0


# Shared subexpressions and reassignment, from micrograd's README, with the +=
# updates written as rebindings.
MICROGRAD = """
    c = a + b
    d = a * b + b^3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + relu(b + a)
    d = d + 3 * d + relu(b - a)
    e = c - d
    f = e^2
    g = f / 2.0
    g = g + 10.0 / f
"""


def test_micrograd_readme_program_by_hand_rules():
    result = cgcli.run(MICROGRAD, {"a": -4.0, "b": 2.0})
    # micrograd's README prints g = 24.7041, dg/da = 138.8338, dg/db = 645.5773;
    # in exact arithmetic they are 2421/98, 47620/343 and 221433/343.
    assert result.output == pytest.approx(2421 / 98, rel=1e-14)
    assert float(result.gradient["a"]) == pytest.approx(47620 / 343, rel=1e-14)
    assert float(result.gradient["b"]) == pytest.approx(221433 / 343, rel=1e-14)


def test_multi_statement_program_equals_the_single_expression():
    one = cgcli.run("(a+b)*(b-c)", {"a": 1.5, "b": -2.0, "c": 0.25})
    many = cgcli.run("d = a + b; e = b - c\nf = d * e", {"a": 1.5, "b": -2.0, "c": 0.25})
    assert many.output == one.output and many.gradient == one.gradient
    assert many.output_name == "f"


def test_an_input_used_many_times_sums_every_path():
    # x*x*x: d/dx = 3x^2 = 12 at x = 2, built from three edges to one node.
    result = cgcli.run("x*x*x", {"x": 2.0})
    assert result.gradient["x"] == 12.0
    assert len(result.graph.inputs) == 1


def test_rebinding_uses_the_value_at_that_point():
    result = cgcli.run("c = c + 1; c = c * c; c", {"c": 2.0})
    # c_2 = 3, c_3 = 9; dc_3/dc = 2*c_2 * 1 = 6
    assert result.output == 9.0 and result.gradient["c"] == 6.0


def test_evaluating_twice_gives_the_same_answer():
    graph = parse("x*y + sin(x)")
    first = evaluate(graph, {"x": 0.5, "y": 2.0})
    second = evaluate(graph, {"x": 0.5, "y": 2.0})
    assert first.gradient == second.gradient


def test_inputs_the_output_does_not_depend_on_have_zero_derivative():
    result = cgcli.run("d = a + b; a * 2", {"a": 1.0, "b": 5.0})
    assert result.gradient == {"a": 2.0, "b": 0.0}


def test_a_constant_program():
    result = cgcli.run("2^10")
    assert result.output == 1024.0 and result.gradient == {}


# ---------------------------------------------------------------- SymPy oracle

X, Y, Z = sp.symbols("x y z", real=True)
SYMPY_NAMES = {
    "x": X,
    "y": Y,
    "z": Z,
    **SYMPY_FUNCTIONS,
    "atan2": sp.atan2,
    "e": sp.E,
    "pi": sp.pi,
}

CORPUS = [
    "x + y",
    "x - y",
    "x * y",
    "x / y",
    "x^y",
    "x**2",
    "-x^2",
    "2^-x",
    "x^y^z",
    "(x+y)*(y-z)",
    "x*y*z",
    "x/y/z",
    "x - y - z",
    "-(x - y)",
    "x*-y",
    "--x*y",
    "sin(x)",
    "cos(x*y)",
    "tan(x/3)",
    "asin(x/4)",
    "acos(y/4)",
    "atan(x*y)",
    "sinh(x)",
    "cosh(y)",
    "tanh(x-y)",
    "exp(-x^2)",
    "log(y)",
    "log2(y)",
    "log10(x*y)",
    "sqrt(y)",
    "abs(x - z)",
    "relu(x - z)",
    "sigmoid(x*y)",
    "softplus(x - y)",
    "pow(x, z)",
    "min(x, y)",
    "max(x, y)",
    "atan2(y, x)",
    "atan2(x - y, z)",
    "sin(x)*exp(-y^2) + log(1+x^2)",
    "x*sin(1/x)",
    "exp(sin(x))^2",
    "sqrt(x^2 + y^2 + z^2)",
    "log(exp(x) + exp(y))",
    "1/(1 + exp(-(x*y + z)))",
    "x^3 - 3*x*y^2",
    "(x + y)^3 / (1 + z^2)",
    "tanh(x)*sigmoid(y)*relu(z)",
    "pi*x^2 + e^y",
    "atan(y/x) - atan2(y, x)",
    "cos(x)^2 + sin(x)^2",
    "abs(sin(x*y*z))",
    "max(x*y, z)",
    "min(sin(x), cos(y))",
    "d = x + y\ne = y - z\nd * e",
    "u = x*y; u = u + sin(u); u^2",
]
POINTS = [(0.7, 1.3, 2.1), (1.9, 0.4, 1.1), (1.2, 2.5, 0.35)]


def sympy_of(source: str):
    """The program as one SymPy expression: statements substituted in order."""
    scope = dict(SYMPY_NAMES)
    transformations = (*standard_transformations, convert_xor)
    expression = None
    for line in source.replace(";", "\n").splitlines():
        if not line.strip():
            continue
        name, sep, rhs = line.partition("=")
        if sep:
            scope[name.strip()] = parse_expr(rhs, local_dict=scope, transformations=transformations)
            expression = scope[name.strip()]
        else:
            expression = parse_expr(line, local_dict=scope, transformations=transformations)
    return expression


def test_corpus_is_large_enough():
    assert len(CORPUS) >= 50


@pytest.mark.parametrize("source", CORPUS)
def test_values_and_gradients_agree_with_sympy(source):
    expression = sympy_of(source)
    graph = parse(source)
    for x, y, z in POINTS:
        point = {"x": x, "y": y, "z": z}
        values = {name: point[name] for name in graph.inputs}
        result = evaluate(graph, values)
        subs = {X: sp.Float(x, 30), Y: sp.Float(y, 30), Z: sp.Float(z, 30)}
        expected = float(expression.evalf(30, subs=subs))
        assert float(result.output) == pytest.approx(expected, rel=1e-12, abs=1e-12)
        for name, symbol in (("x", X), ("y", Y), ("z", Z)):
            derivative = float(sp.diff(expression, symbol).evalf(30, subs=subs))
            got = float(result.gradient.get(name, 0.0))
            assert got == pytest.approx(derivative, rel=1e-11, abs=1e-12), (name, x, y, z)


# ------------------------------------------------------------- size and depth


def test_nested_100000_deep():
    depth = 100_000
    result = cgcli.run("sin(" * depth + "x" + ")" * depth, {"x": 0.5})
    value, derivative = 0.5, 1.0
    for _ in range(depth):  # the chain rule, one link at a time
        derivative *= math.cos(value)
        value = math.sin(value)
    assert float(result.output) == value
    assert float(result.gradient["x"]) == pytest.approx(derivative, rel=1e-12)


def test_sum_of_100000_terms():
    n = 100_000
    source = "+".join(f"x{i}*x{i}" for i in range(n))
    values = {f"x{i}": i / n for i in range(n)}
    result = cgcli.run(source, values)
    assert len(result.gradient) == n
    assert float(result.gradient["x12345"]) == 2 * 12345 / n
    assert float(result.output) == pytest.approx(sum((i / n) ** 2 for i in range(n)), rel=1e-12)


# ------------------------------------------------------------------ warnings


def notices(source, **values):
    return cgcli.run(source, values).notices


def test_a_constant_exponent_takes_no_log_of_a_negative_base():
    result = cgcli.run("x^(-2)", {"x": -2.0})
    assert result.notices == []
    assert result.output == 0.25 and result.gradient["x"] == 0.25  # -2 * (-2)^-3


def test_a_negative_base_with_a_fractional_exponent_gives_nan_and_a_warning():
    found = notices("x^y", x=-2.0, y=0.5)
    assert found[0].kind == "value" and "z = x^y is nan at x = -2, y = 0.5" in found[0].message


def test_a_non_finite_value_is_reported_where_it_first_appears():
    found = notices("y = log(x); z = y * 2 + 1; z", x=0.0)
    values = [n for n in found if n.kind == "value"]
    assert len(values) == 1 and "y = log(x) is -inf at x = 0" in values[0].message
    derivatives = [n for n in found if n.kind == "derivative"]
    assert len(derivatives) == 1
    assert "derivative of y = log(x) with respect to x is inf" in derivatives[0].message


def test_strict_turns_non_finite_results_into_an_error():
    with pytest.raises(cgcli.errors.EvaluationError) as info:
        cgcli.run("sqrt(x)", {"x": 0.0}, strict=True)
    assert info.value.exit_code == 1
    assert "sqrt" in info.value.message


def test_sigmoid_far_out_is_quiet():
    result = cgcli.run("sigmoid(x)", {"x": -800.0})
    assert result.output == 0.0 and result.gradient["x"] == 0.0 and result.notices == []


def test_unused_bindings_are_warnings():
    found = notices("x*2", x=1.0, y=3.0)
    assert [n.kind for n in found] == ["unused"] and "'y'" in found[0].message


def test_missing_values_name_every_missing_variable():
    with pytest.raises(cgcli.errors.SourceError) as info:
        cgcli.run("x*y + z", {"x": 1.0})
    assert "y, z" in info.value.message and info.value.column == 3


def test_values_are_float64():
    result = cgcli.run("x/3", {"x": 1})
    assert isinstance(result.output, np.float64) and result.output == 1 / 3
