"""The derivative as a graph (transform/grad.py): its partials evaluate to the numbers
reverse mode gives, to SymPy's derivatives and to finite differences, share what they
can (no expression swell), and keep the kink conventions."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from hypothesis import assume, given, settings
from programs import SYMBOLS, programs

import cgcli
from cgcli.interpret.evaluate import forward
from cgcli.language.parse import parse
from cgcli.transform.diff import GROWTH
from cgcli.transform.grad import grad


def at(graph, node, values):
    """The value of one node of a derivative graph at `values`."""
    with np.errstate(all="ignore"):
        return forward(graph, {n: values[n] for n in graph.inputs})[node]


def partials(source, values, wrt=None):
    program = parse(source, bound=values)
    shapes = {n: np.shape(v) for n, v in values.items()}
    found = grad(program, wrt, shapes)
    return {name: at(found.graph, node, values) for name, node in found.partials.items()}, found


def test_a_hand_calculation():
    # d/dx x^2 sin(x) = 2x sin(x) + x^2 cos(x); at x = 2: 4 sin 2 + 4 cos 2.
    got, _ = partials("x^2*sin(x)", {"x": 2.0})
    assert got["x"] == pytest.approx(4 * math.sin(2) + 4 * math.cos(2), rel=1e-15)


def test_the_seed_example_by_hand():
    # f = (a+b)(b-c): df/da = b - c = -1, df/db = (b - c) + (a + b) = 2, df/dc = -(a + b) = -3.
    got, found = partials("(a+b)*(b-c)", {"a": 1.0, "b": 2.0, "c": 3.0})
    assert got == {"a": -1.0, "b": 2.0, "c": -3.0}
    operations = [n for n in found.graph.nodes if n.inputs]
    # a+b, b-c, their product, and the adjoints: b's sum and c's negation only.
    assert len(operations) == 5


def test_wrt_picks_the_partials_in_the_order_asked():
    _, found = partials("x*y + z", {"x": 1.0, "y": 2.0, "z": 3.0}, ["z", "x"])
    assert list(found.partials) == ["z", "x"]


def test_an_input_the_output_does_not_depend_on_has_the_partial_0():
    got, _ = partials("x; y*2", {"x": 1.0, "y": 5.0})
    assert got == {"x": 0.0, "y": 2.0}


@pytest.mark.parametrize(
    "source, point, expected",
    [
        ("relu(x)", 0.0, 0.0),  # relu'(0) = 0, as PyTorch
        ("relu(x)", 2.0, 1.0),
        ("abs(x)", 0.0, 0.0),  # abs'(0) = 0
        ("abs(x)", -3.0, -1.0),
        ("max(x, 1)", 1.0, 0.5),  # a tie splits the derivative equally
        ("min(x, 1)", 1.0, 0.5),
        ("max(x, 1)", 0.0, 0.0),
        ("x^0", 0.0, 0.0),
        ("x^2", 0.0, 0.0),
        ("step(x)", 0.0, 0.0),
        ("sign(x)", 1.0, 0.0),
    ],
)
def test_kink_conventions_hold_in_the_formula(source, point, expected):
    got, _ = partials(source, {"x": point})
    assert got["x"] == expected
    assert got["x"] == cgcli.run(source, {"x": point}).gradient["x"]


def finite(result) -> bool:
    values = [result.output, *result.gradient.values()]
    return all(np.all(np.isfinite(v)) for v in values)


@settings(max_examples=60, deadline=None)
@given(programs())
def test_partials_evaluate_to_the_reverse_mode_gradient(case):
    source, values, _ = case
    result = cgcli.run(source, values)
    assume(finite(result))
    got, _ = partials(source, values)
    for name, reverse in result.gradient.items():
        assert got[name] == pytest.approx(float(reverse), rel=1e-12, abs=1e-300), name


@settings(max_examples=20, deadline=None)
@given(programs(max_depth=5))
def test_partials_agree_with_sympy(case):
    source, values, expression = case
    result = cgcli.run(source, values)
    assume(finite(result) and not result.kinks)
    got, _ = partials(source, values)
    point = {SYMBOLS[n]: sp.Float(v, 40) for n, v in values.items()}
    for name in got:
        expected = float(sp.diff(expression, SYMBOLS[name]).evalf(30, subs=point))
        assert got[name] == pytest.approx(expected, rel=1e-9, abs=1e-9), name


@settings(max_examples=60, deadline=None)
@given(programs())
def test_the_derivative_of_all_inputs_grows_linearly_with_the_program(case):
    # No swell: every op's rule adds a bounded number of nodes (acos' takes 6), so
    # the derivative of every input together stays within GROWTH times the program,
    # the bound `cg diff` refuses programs by. (W2 and the corpus: 3x, test_diff.py.)
    source, values, _ = case
    program = parse(source, bound=values)
    found = grad(program)
    forward = sum(1 for n in program.nodes if n.inputs)
    made = sum(1 for n in found.graph.nodes if n.inputs)
    assert made <= GROWTH * max(forward, 1)


def w2(n: int) -> str:
    """benchmarks/run.py's wide expression: a sum of products of neighbours."""
    return " + ".join(f"sin(x{i})*x{(i + 1) % n}" for i in range(n))


def test_w2_derivative_shares_instead_of_swelling():
    program = parse(w2(100))
    found = grad(program)
    forward = sum(1 for n in program.nodes if n.inputs)
    made = sum(1 for n in found.graph.nodes if n.inputs)
    assert made <= 3 * forward


def central(f, x, h=1e-6):
    gradient = np.zeros(np.shape(x))
    for index in np.ndindex(np.shape(x)):
        up, down = np.array(x, dtype=float), np.array(x, dtype=float)
        up[index] += h
        down[index] -= h
        gradient[index] = (f(up) - f(down)) / (2 * h)
    return gradient


ARRAY_PROGRAMS = [
    ("sum(relu(W @ x + b))", {"W": (3, 2), "x": (2,), "b": (3,)}),
    ("sum(W @ V)", {"W": (2, 3), "V": (3, 2)}),
    ("x @ y", {"x": (3,), "y": (3,)}),
    ("sum(x @ W)", {"x": (2,), "W": (2, 3)}),
    ("mean(x * y)", {"x": (2, 3), "y": (3,)}),
    ("sum(softmax(x) * y)", {"x": (4,), "y": (4,)}),
    ("sum(softmax(W, axis=0) * W)", {"W": (2, 3)}),
    ("logsumexp(x)", {"x": (4,)}),
    ("sum(logsumexp(W, axis=1))", {"W": (2, 3)}),
    ("norm(x)", {"x": (3,)}),
    ("max(x) + min(x)", {"x": (4,)}),
    ("sum(max(W, axis=0))", {"W": (3, 2)}),
    ("sum(x[1:3]) * x[0]", {"x": (4,)}),
    ("sum(W[:, 0] * W[1])", {"W": (2, 2)}),
    ("sum(reshape(x, 2, 3).T @ y)", {"x": (6,), "y": (2,)}),
    ("sum([a, b] * x)", {"a": (), "b": (), "x": (2,)}),
    ("sum(broadcast(x, 2, 3) * W)", {"x": (3,), "W": (2, 3)}),
    ("sum(x + y)", {"x": (2, 1), "y": (1, 3)}),
    ("dot(x, W @ x)", {"x": (2,), "W": (2, 2)}),
]


@pytest.mark.parametrize("source, shapes", ARRAY_PROGRAMS)
def test_array_partials_agree_with_finite_differences(source, shapes):
    rng = np.random.default_rng(7)
    values = {n: rng.normal(size=s) if s else np.float64(rng.normal()) for n, s in shapes.items()}
    got, _ = partials(source, values)
    for name in shapes:

        def f(t, name=name):
            moved = dict(values, **{name: t if np.ndim(t) else np.float64(t)})
            return float(cgcli.run(source, moved).output)

        expected = central(f, values[name])
        assert np.shape(got[name]) == np.shape(values[name]), name
        np.testing.assert_allclose(got[name], expected, rtol=1e-6, atol=1e-7, err_msg=name)
        np.testing.assert_allclose(
            got[name], cgcli.run(source, values).gradient[name], rtol=1e-12, atol=1e-15
        )


def test_a_deep_chain_is_differentiated_without_recursion():
    depth = 100_000
    source = "sin(" * depth + "x" + ")" * depth
    got, _ = partials(source, {"x": 0.5})
    assert got["x"] == pytest.approx(cgcli.run(source, {"x": 0.5}).gradient["x"], rel=1e-12)
