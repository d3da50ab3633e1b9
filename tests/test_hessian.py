"""cg hessian and cg diff --order 2, against SymPy's hessian, hand calculations and
central differences of cg's own gradient (a first derivative checked elsewhere)."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
import sympy as sp

import cgcli
from cgcli.language.parse import parse
from cgcli.transform.hessian_values import hessian

ROSENBROCK = "(1-x)^2 + 100*(y-x^2)^2"

# Programs of two or three inputs and the same function in SymPy, with the points
# they are defined at.
X, Y, Z = sp.symbols("x y z")
CASES = [
    ("sin(x)*exp(y) + x^3*y", sp.sin(X) * sp.exp(Y) + X**3 * Y),
    ("x*y/(x + y)", X * Y / (X + Y)),
    ("log(x^2 + y^2) + atan2(y, x)", sp.log(X**2 + Y**2) + sp.atan2(Y, X)),
    ("tanh(x*y) + sqrt(x + 2*y)", sp.tanh(X * Y) + sp.sqrt(X + 2 * Y)),
    ("x^y + cos(x - y)", X**Y + sp.cos(X - Y)),
    ("sigmoid(x)*softplus(y)", sp.log(1 + sp.exp(Y)) / (1 + sp.exp(-X))),
    (
        "exp(-x^2)/(1 + x^2) + sin(x)*y + z*x*y",
        sp.exp(-(X**2)) / (1 + X**2) + sp.sin(X) * Y + Z * X * Y,
    ),
    (
        "asin(x/2)*acos(y/3) + sinh(z)*cosh(x)",
        sp.asin(X / 2) * sp.acos(Y / 3) + sp.sinh(Z) * sp.cosh(X),
    ),
]


def sympy_hessian(expr, names, point):
    symbols = [sp.Symbol(n) for n in names]
    matrix = sp.hessian(expr, symbols)
    subs = dict(zip(symbols, point))
    return np.array(
        [
            [float(matrix[i, j].subs(subs).evalf(30)) for j in range(len(names))]
            for i in range(len(names))
        ]
    )


def points(count, rng, inputs):
    return [rng.uniform(0.3, 1.2, size=inputs) for _ in range(count)]


@pytest.mark.parametrize("text, expr", CASES)
def test_values_agree_with_sympy(text, expr):
    rng = np.random.default_rng(14)
    graph = parse(text)
    names = list(graph.inputs)
    for point in points(3, rng, len(names)):
        values = dict(zip(names, map(float, point)))
        found = hessian(graph, values)
        expected = sympy_hessian(expr, names, point)
        np.testing.assert_allclose(found.matrix, expected, rtol=1e-11, atol=1e-12)


@pytest.mark.parametrize("text, expr", CASES[:5])
def test_order_2_formulas_evaluate_to_sympy(cg, text, expr):
    rng = np.random.default_rng(2)
    run = cg("diff", text, "--order", "2", "--json")
    assert run.code == 0, run.stderr
    formulas = run.json()["derivatives"]
    names = list(parse(text).inputs)
    assert list(formulas) == [f"{a},{b}" for k, a in enumerate(names) for b in names[k:]]
    for point in points(2, rng, len(names)):
        expected = sympy_hessian(expr, names, point)
        values = dict(zip(names, map(float, point)))
        for key, entry in formulas.items():
            a, b = key.split(",")
            value = cgcli.run(
                entry["formula"], {n: values[n] for n in values if n in entry["formula"]}
            )
            got = float(value.output)
            want = expected[names.index(a), names.index(b)]
            assert got == pytest.approx(want, rel=1e-11, abs=1e-12), (key, entry["formula"])


def test_order_2_text_reads_back(cg):
    run = cg("diff", ROSENBROCK, "--order", "2", "--wrt", "x", "--wrt", "y")
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[-1].startswith("∂²f/∂x∂y = ")
    program = "\n".join(lines[1:-1] + [lines[-1].split(" = ", 1)[1]])
    assert float(cgcli.run(program, {"x": -1.2, "y": 1.0}).output) == 480.0  # -400 x
    one = cg("diff", ROSENBROCK, "--order", "2", "--wrt", "y", "--ascii")
    assert one.stdout.splitlines()[-1] == "d2f/dy2 = 200"


def test_order_2_with_values_prints_them(cg):
    run = cg("diff", ROSENBROCK, "--order", "2", "x=-1.2", "y=1", "--json")
    derivatives = run.json()["derivatives"]
    assert {k: v["value"] for k, v in derivatives.items()} == {
        "x,x": 1330.0,
        "x,y": 480.0,
        "y,y": 200.0,
    }
    assert "\\partial^{2} f" in derivatives["x,y"]["latex"]


def test_order_2_refuses_three_names_and_arrays(cg):
    run = cg("diff", "x*y*z", "--order", "2", "--wrt", "x", "--wrt", "y", "--wrt", "z")
    assert run.code == 2 and "one --wrt" in run.stderr
    run = cg("diff", "sum(x*x)", "x=[1,2]", "--order", "2")
    assert run.code == 2 and "cg hessian" in run.stderr


def test_rosenbrock_by_hand(cg):
    # f_xx = 2 - 400 (y - x^2) + 800 x^2 = 2 + 176 + 1152, f_xy = -400 x, f_yy = 200.
    run = cg("hessian", ROSENBROCK, "x=-1.2", "y=1", "--json")
    assert run.code == 0, run.stderr
    doc = run.json()
    assert doc["hessian"] == {"x": {"x": 1330.0, "y": 480.0}, "y": {"x": 480.0, "y": 200.0}}
    assert doc["inputs"] == ["x", "y"] and doc["schema"] == 1
    assert doc["gradient"] == pytest.approx({"x": -215.6, "y": -88.0}, rel=1e-14)
    text = cg("hessian", ROSENBROCK, "x=-1.2", "y=1").stdout
    assert "Hessian of t6: ∂²t6/∂row ∂column" in text
    assert "│ x │ 1330 │ 480 │" in text and "│ y │  480 │ 200 │" in text


def fd_hessian(text, values, h=1e-3):
    """Five-point central differences of cg's gradient, a column per input."""
    names = list(values)
    columns = []
    for name in names:

        def gradient(step, name=name):
            moved = {**values, name: values[name] + step}
            g = cgcli.run(text, moved).gradient
            return np.array([float(g[n]) for n in names])

        columns.append(
            (-gradient(2 * h) + 8 * gradient(h) - 8 * gradient(-h) + gradient(-2 * h)) / (12 * h)
        )
    return np.array(columns).T


@pytest.mark.parametrize("text", [case[0] for case in CASES] + ["max(x, y)^2 + relu(x - 2*y)*y"])
def test_agrees_with_central_differences_of_the_gradient(text):
    rng = np.random.default_rng(7)
    names = list(parse(text).inputs)
    values = dict(zip(names, map(float, rng.uniform(0.3, 1.2, size=len(names)))))
    found = hessian(parse(text), values)
    np.testing.assert_allclose(found.matrix, fd_hessian(text, values), rtol=1e-7, atol=1e-7)


def test_columns_are_symmetric_before_mirroring():
    # The matrix is mirrored from its upper triangle; the products themselves agree too.
    from cgcli.transform.hessian import hessian_graph
    from cgcli.transform.hessian_values import _base_values, _products

    for text, _ in CASES:
        graph = parse(text)
        names = list(graph.inputs)
        values = {n: 0.4 + 0.3 * k for k, n in enumerate(names)}
        made = hessian_graph(graph)
        base = _base_values(made, values, False)
        eye = np.eye(len(names))
        (product,) = _products(made, values, base, [dict(zip(names, eye))], False)
        columns = np.array([np.broadcast_to(product[n], (len(names),)) for n in names])
        np.testing.assert_allclose(columns, columns.T, rtol=1e-13, atol=1e-15)
        found = hessian(graph, values).matrix
        assert (found == found.T).all()


def test_exact_fractions_by_hand(cg):
    # f = xy/(x+y): f_xx = -2y^2/(x+y)^3, f_xy = 2xy/(x+y)^3, f_yy = -2x^2/(x+y)^3, and
    # (x+y)^3 = (5/6)^3 = 125/216 at x = 1/3, y = 1/2.
    run = cg("hessian", "x*y/(x + y)", "x=1/3", "y=1/2", "--exact", "--json")
    doc = run.json()
    assert doc["exact_hessian"] == {
        "x": {"x": "-108/125", "y": "72/125"},
        "y": {"x": "72/125", "y": "-48/125"},
    }
    assert doc["exact_gradient"] == {"x": "9/25", "y": "4/25"}
    # x^3 y^2 at x = 1/2, y = 1/3: 6xy^2 = 1/3, 6x^2 y = 1/2, 2x^3 = 1/4.
    found = hessian(parse("x^3*y^2"), {"x": Fraction(1, 2), "y": Fraction(1, 3)}, exact=True)
    assert found.matrix.tolist() == [
        [Fraction(1, 3), Fraction(1, 2)],
        [Fraction(1, 2), Fraction(1, 4)],
    ]
    assert all(type(v) is Fraction for v in found.matrix.flat)
    text = cg("hessian", "x*y/(x + y)", "x=1/3", "y=1/2", "--exact").stdout
    assert "-108/125 (-0.864)" in text


@pytest.mark.parametrize(
    "text, values, op",
    [
        ("relu(x)*y", {"x": 0.0, "y": 2.0}, "relu"),
        ("abs(x)*y", {"x": 0.0, "y": 2.0}, "abs"),
        ("max(x, y)*x", {"x": 1.5, "y": 1.5}, "max"),
        ("x^1.5 + y", {"x": 0.0, "y": 1.0}, "pow"),
    ],
)
def test_kinks_of_second_derivatives(cg, text, values, op):
    bindings = [f"{k}={v}" for k, v in values.items()]
    doc = cg("hessian", text, *bindings, "--json").json()
    assert [k["op"] for k in doc["second_kinks"]] == [op]
    shown = cg("hessian", text, *bindings).stdout
    assert "Second derivatives" in shown and "no second derivative there" in shown
    moved = {k: v + 0.25 * (i + 1) for i, (k, v) in enumerate(values.items())}
    away = cg("hessian", text, *[f"{k}={v}" for k, v in moved.items()], "--json").json()
    assert away["second_kinks"] == []
    stop = cg("hessian", text, *bindings, "--kink", "error")
    assert stop.code == 1 and "kink" in stop.stderr


def test_kink_nan_marks_the_entries_through_the_kink():
    found = hessian(parse("relu(x)*y + z^2"), {"x": 0.0, "y": 1.0, "z": 3.0}, kink="nan")
    m = found.matrix
    assert np.isnan(m[0, 0]) and m[2, 2] == 2.0 and m[0, 2] == 0.0


def test_array_blocks_by_hand():
    # f = x^T W x = sum_ij W_ij x_i x_j... here sum((W @ x) * x): d2f/dx2 = W + W^T,
    # d2f/dW_ij dx_k = delta_jk x_i + delta_ik x_j, d2f/dW2 = 0.
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    x = np.array([1.0, -1.0])
    graph = parse("sum(W @ x * x)", bound={"W": W, "x": x})
    found = hessian(graph, {"W": W, "x": x})
    np.testing.assert_array_equal(found.block("x", "x"), W + W.T)
    assert found.block("W", "W").shape == (2, 2, 2, 2) and not found.block("W", "W").any()
    expected = np.zeros((2, 2, 2))
    for i in range(2):
        for j in range(2):
            for k in range(2):
                expected[i, j, k] = (j == k) * x[i] + (i == k) * x[j]
    np.testing.assert_array_equal(found.block("W", "x"), expected)
    np.testing.assert_array_equal(found.block("x", "W"), np.moveaxis(expected, 2, 0))


def test_array_json_blocks(cg):
    doc = cg("hessian", "sum(x*x*x) + x[0]*y", "x=[1,2]", "y=3", "--json").json()
    # d2/dx_i dx_j = 6 x_i delta_ij; d2/dx_0 dy = 1.
    assert doc["hessian"]["x"]["x"] == [[6.0, 0.0], [0.0, 12.0]]
    assert doc["hessian"]["x"]["y"] == [1.0, 0.0]
    assert doc["hessian"]["y"]["x"] == [1.0, 0.0]
    assert doc["hessian"]["y"]["y"] == 0.0


def test_vector_against_sympy_hessian_times_v(cg):
    text, expr = CASES[6]
    point = {"x": 0.7, "y": 0.4, "z": -0.3}
    v = {"x": 0.5, "y": -2.0, "z": 1.25}
    H = sympy_hessian(expr, ["x", "y", "z"], list(point.values()))
    bindings = [f"{k}={val}" for k, val in point.items()]
    vector = [arg for k, val in v.items() for arg in ("--vector", f"{k}={val}")]
    doc = cg("hessian", text, *bindings, *vector, "--json").json()
    got = [doc["hessian_vector"][k] for k in "xyz"]
    np.testing.assert_allclose(got, H @ np.array(list(v.values())), rtol=1e-12)
    assert "hessian" not in doc and doc["vector"] == v
    # An input not named is 0: H·e_x is the first column.
    only = cg("hessian", text, *bindings, "--vector", "x=1", "--json").json()
    np.testing.assert_allclose([only["hessian_vector"][k] for k in "xyz"], H[:, 0], rtol=1e-12)


def test_vector_of_arrays():
    W = np.array([[1.0, 2.0], [3.0, 4.0]])
    graph = parse("sum(W @ x * x)", bound={"W": W, "x": np.ones(2)})
    v = np.array([0.5, -1.0])
    found = hessian(graph, {"W": W, "x": np.ones(2)}, vector={"x": v})
    np.testing.assert_array_equal(found.product["x"], (W + W.T) @ v)


def test_refusals(cg):
    many = "+".join(f"x{i}*x{i + 1}" for i in range(200))
    bindings = [f"x{i}=1" for i in range(201)]
    run = cg("hessian", many, *bindings, "--max-memory", "100K")
    assert run.code == 2 and "--sparse" in run.stderr and "--vector" in run.stderr
    assert "budget" in run.stderr
    run = cg("hessian", "x*y", "x=1", "y=2", "--vector", "z=1")
    assert run.code == 2 and "'z' is not an input" in run.stderr
    run = cg("hessian", "x*y", "x=1", "y=2", "--vector", "x")
    assert run.code == 2 and "NAME=VALUE" in run.stderr
    run = cg("hessian", "x*y", "x=1", "y=2", "--vector", "x=[1,2]")
    assert run.code == 2 and "shape" in run.stderr
    run = cg("hessian", "x*x", "x=[1,2]")
    assert run.code == 2 and "array" in run.stderr and "Traceback" not in run.stderr
    run = cg("hessian", "x*y", "x=1")
    assert run.code == 2 and "y" in run.stderr
    run = cg("hessian", "sum(x*x)", "x=[1,2]", "--sparse")
    assert run.code == 2 and "--sparse" in run.stderr


def test_a_deep_chain_needs_no_recursion():
    # f_n = sin(f_{n-1}): f' and f'' by the recurrences d_n = cos(f) d, s_n = -sin(f) d^2
    # + cos(f) s, with f the previous value.
    depth = 10_000
    text = "sin(" * depth + "x" + ")" * depth
    f, d, s = 0.5, 1.0, 0.0
    for _ in range(depth):
        f, d, s = math.sin(f), math.cos(f) * d, -math.sin(f) * d * d + math.cos(f) * s
    found = hessian(parse(text), {"x": 0.5})
    assert found.matrix[0, 0] == pytest.approx(s, rel=1e-9)


def test_sparse_agrees_with_dense_on_w2(cg):
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from run import wide

    text, values = wide(60)
    graph = parse(text, bound=values)
    sparse = hessian(graph, values, sparse=True)
    dense = hessian(graph, values, sparse=False).matrix
    assert sparse.colours <= 4 and len(sparse.entries) == 2 * 60  # cyclic tridiagonal
    for (k, j), value in sparse.entries.items():
        assert value == pytest.approx(dense[k, j], rel=1e-13, abs=1e-15)
    outside = dense.copy()
    for k, j in sparse.entries:
        outside[k, j] = outside[j, k] = 0.0
    assert not outside.any()
    text, values = wide(1001)
    assert hessian(parse(text, bound=values), values).entries is not None  # the default


def test_sparse_view_and_json(cg):
    doc = cg("hessian", "x*y + sin(z)", "x=1", "y=2", "z=0.5", "--sparse", "--json").json()
    assert doc["sparse"] is True and doc["entries"] == 2
    assert doc["hessian"] == {
        "x": {"y": 1.0},
        "y": {"x": 1.0},
        "z": {"z": pytest.approx(-math.sin(0.5), rel=1e-15)},
    }
    text = cg("hessian", "x*y + sin(z)", "x=1", "y=2", "z=0.5", "--sparse").stdout
    assert "colour" in text and "where the dense Hessian takes 3" in text


def test_grad_differentiates_any_node():
    # grad(output=...) of the derivative graph: d/dy of df/dx of the Rosenbrock
    # function is -400 x, and d/dx of it is f_xx = 1330 at (-1.2, 1).
    from cgcli.interpret.evaluate import forward
    from cgcli.transform.grad import grad

    first = grad(parse(ROSENBROCK))
    again = grad(first.graph, shapes=None, output=first.partials["x"])
    values = forward(again.graph, {"x": -1.2, "y": 1.0})
    assert values[again.partials["y"]] == 480.0
    assert values[again.partials["x"]] == pytest.approx(1330.0, rel=1e-15)
    assert values[again.value] == pytest.approx(-215.6, rel=1e-15)  # the node differentiated


def test_the_readme_shows_what_cg_prints(cg):
    import shlex
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    for command in (
        'cg hessian "(1-x)^2 + 100*(y-x^2)^2" x=-1.2 y=1',
        'cg diff "(1-x)^2 + 100*(y-x^2)^2" --order 2 --wrt x --wrt y x=-1.2 y=1',
        'cg diff "x^2*sin(x)" --order 2',
    ):
        block = readme.split(f"$ {command}\n", 1)[1].split("\n\n", 1)[0].split("```", 1)[0]
        run = cg(*shlex.split(command)[1:])
        assert run.code == 0, run.stderr
        assert run.stdout == block.rstrip("\n") + "\n", command


def test_a_program_without_inputs_has_no_hessian(cg):
    run = cg("hessian", "2*3")
    assert run.code == 2 and "no inputs" in run.stderr
