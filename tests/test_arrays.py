"""Vectors, matrices and tensors: bindings, array ops in programs, shapes, Jacobians."""

from __future__ import annotations

import numpy as np
import pytest

import cgcli
from cgcli.ops.shapes import ShapeError

rng = np.random.default_rng(6)


def test_a_small_network_against_a_hand_derived_gradient():
    W, x, b = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=3)
    result = cgcli.run("sum(relu(W @ x + b))", {"W": W, "x": x, "b": b})
    # By hand: h = Wx + b, f = sum(relu(h)); df/dh = [h > 0], so
    # df/dW = outer(df/dh, x), df/dx = W^T df/dh, df/db = df/dh.
    h = W @ x + b
    mask = (h > 0).astype(float)
    assert float(result.output) == pytest.approx(np.maximum(h, 0).sum(), rel=1e-15)
    np.testing.assert_allclose(result.gradient["W"], np.outer(mask, x), rtol=1e-15)
    np.testing.assert_allclose(result.gradient["x"], W.T @ mask, rtol=1e-14)
    np.testing.assert_allclose(result.gradient["b"], mask, rtol=1e-15)


@pytest.mark.parametrize(
    "program",
    [
        "z = W @ x + b; logsumexp(z) - z[1]",
        "z = W @ x + b; -log(softmax(z)[1])",
    ],
)
def test_softmax_cross_entropy_against_a_hand_derived_gradient(program):
    W, x, b = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=4)
    result = cgcli.run(program, {"W": W, "x": x, "b": b})
    # By hand, for the class k = 1: loss = logsumexp(z) - z_k, dloss/dz = softmax(z) - e_k.
    z = W @ x + b
    p = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    dz = p - np.eye(4)[1]
    assert float(result.output) == pytest.approx(-np.log(p[1]), rel=1e-13)
    np.testing.assert_allclose(result.gradient["W"], np.outer(dz, x), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.gradient["x"], W.T @ dz, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(result.gradient["b"], dz, rtol=1e-12, atol=1e-15)


def test_logsumexp_and_softmax_are_stable_at_1000():
    result = cgcli.run("logsumexp(x) + softmax(x)[0]", {"x": np.array([1000.0, 999.0, 0.0])})
    expected = 1000 + np.log1p(np.exp(-1.0) + np.exp(-1000.0))
    assert float(result.output) == pytest.approx(expected + 1 / (1 + np.exp(-1)), rel=1e-14)
    assert np.isfinite(result.gradient["x"]).all() and result.notices == []


@pytest.mark.parametrize(
    "program, expected",
    [
        ("x[0]", 1.0),
        ("x[-1]", 4.0),
        ("sum(x[1:3])", 5.0),
        ("sum(x[::-1] * [1, 0, 0, 0])", 4.0),
        ("sum(W[:, 0])", 4.0),
        ("W[1, 1]", 4.0),
        ("sum(W.T[0])", 4.0),
        ("sum(reshape(x, 2, 2)[1])", 7.0),
        ("dot(x, x)", 30.0),
        ("x.T @ x", 30.0),
        ("max(x)", 4.0),
        ("min(x, axis=0)", 1.0),
        ("mean(W)", 2.5),
        ("sum(mean(W, axis=1))", 5.0),
        ("norm([3, 4])", 5.0),
        ("sum([a, 2*a, 3])", 6.0),
        ("sum(x * [[1], [2]])", 30.0),
    ],
)
def test_array_programs(program, expected):
    values = {"x": np.array([1.0, 2, 3, 4]), "W": np.array([[1.0, 2], [3, 4]]), "a": 1.0}
    values = {k: v for k, v in values.items() if k in program}
    assert float(cgcli.run(program, values).output) == expected


def test_gradients_have_their_inputs_shapes():
    values = {"x": rng.normal(size=(3, 1)), "y": rng.normal(size=4), "s": 2.0}
    result = cgcli.run("sum(x * y + s)", values)
    assert {k: np.shape(v) for k, v in result.gradient.items()} == {"x": (3, 1), "y": (4,), "s": ()}
    np.testing.assert_allclose(result.gradient["x"], np.full((3, 1), values["y"].sum()))
    assert float(result.gradient["s"]) == 12.0


@pytest.mark.parametrize(
    "program, values, words",
    [
        ("W @ x", {"W": np.ones((2, 3)), "x": np.ones((2, 3))}, "cannot multiply (2,3) @ (2,3)"),
        ("x + y", {"x": np.ones(3), "y": np.ones(4)}, "(3,) and (4,) do not broadcast"),
        ("x @ y", {"x": 2.0, "y": np.ones(2)}, "@ needs arrays"),
        ("sum(x, axis=2)", {"x": np.ones((2, 3))}, "axis=2 is out of range"),
        ("x[3]", {"x": np.ones(3)}, "cannot index an array of shape (3,)"),
        ("reshape(x, 4)", {"x": np.ones(6)}, "cannot reshape (6,) (6 elements) into (4,)"),
        ("[x, y]", {"x": np.ones(2), "y": 1.0}, "different shapes"),
    ],
)
def test_shape_errors_are_caught_before_evaluation(program, values, words):
    with pytest.raises(ShapeError) as info:
        cgcli.run(program, values)
    assert words in info.value.message
    assert info.value.exit_code == 2


def test_an_array_output_needs_jacobian(cg):
    run = cg("eval", "W @ x", "W=[[1,2],[3,4]]", "x=[1,1]")
    assert run.code == 2 and "sum(" in run.stderr and "--jacobian" in run.stderr


def test_jacobian_against_central_differences():
    W, x = rng.normal(size=(2, 3)), rng.normal(size=3)
    result = cgcli.run("tanh(W @ x)", {"W": W, "x": x}, jacobian=True)
    J = result.jacobian["x"]
    assert J.shape == (2, 3)
    h = 1e-6
    for j in range(3):
        e = np.eye(3)[j] * h
        column = (np.tanh(W @ (x + e)) - np.tanh(W @ (x - e))) / (2 * h)
        np.testing.assert_allclose(J[:, j], column, rtol=1e-7, atol=1e-9)
    assert result.jacobian["W"].shape == (2, 2, 3)


def test_array_bindings_on_the_command_line_and_from_files(cg, tmp_path):
    np.save(tmp_path / "w.npy", np.array([[1.0, 2.0], [3.0, 4.0]]))
    (tmp_path / "x.csv").write_text("1,1\n")
    (tmp_path / "b.json").write_text("[0.5, -0.5]")
    run = cg(
        "eval",
        "sum(W @ x + b)",
        f"W=@{tmp_path / 'w.npy'}",
        f"x=@{tmp_path / 'x.csv'}",
        f"b=@{tmp_path / 'b.json'}",
        "--json",
    )
    doc = run.json()
    assert doc["output"]["value"] == 10.0
    assert doc["gradient"] == {"W": [[1.0, 1.0], [1.0, 1.0]], "x": [4.0, 6.0], "b": [1.0, 1.0]}
    node = next(n for n in doc["nodes"] if n["name"] == "W")
    assert node["shape"] == [2, 2]


@pytest.mark.parametrize(
    "binding, words",
    [
        ("x=[1, [2]]", "different lengths"),
        ("x=[1, NaN]", "not a finite number"),
        ("x=[1e999]", "not finite"),
        ("x=[true]", "must hold numbers"),
        ("x=[1, 2", "not readable"),
        ("x=@missing.npy", "cannot read missing.npy"),
        ("x=@data.txt", "from .npy, .csv and .json"),
    ],
)
def test_bad_array_bindings(cg, binding, words):
    run = cg("eval", "sum(x)", binding)
    assert run.code == 2 and words in run.stderr


def test_a_pickled_npy_file_is_refused(cg, tmp_path):
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    run = cg("eval", "sum(x)", f"x=@{tmp_path / 'objects.npy'}")
    assert run.code == 2 and "does not hold an array of numbers" in run.stderr


def test_settings_must_be_written_in_the_program(cg):
    assert (
        "must be a whole number written in the program"
        in cg("eval", "sum(x, axis=a)", "x=[1,2]", "a=0").stderr
    )
    assert "sum has no setting 'foo'" in cg("eval", "sum(x, foo=1)", "x=[1,2]").stderr
    assert "an index must be a whole number" in cg("eval", "x[0.5]", "x=[1,2]").stderr


def test_tables_show_small_arrays_inline_and_large_ones_abbreviated(cg):
    env = {"COLUMNS": "100", "TERM": "dumb"}
    run = cg("eval", "sum(x^2)", "x=[1,2,3]", env=env)
    assert "[1, 2, 3]" in run.stdout and "[2, 4, 6]" in run.stdout and "(3,)" in run.stdout
    big = "[" + ",".join(str(i) for i in range(100)) + "]"
    run = cg("eval", "sum(x^2)", f"x={big}", env=env)
    assert "[0, 1, 2, ..., 97, 98, 99]" in run.stdout
    assert run.stdout.count("\n") < 20


def test_exact_refuses_arrays(cg):
    run = cg("eval", "sum(x)", "x=[1,2]", "--exact")
    assert run.code == 2 and "--exact works on numbers" in run.stderr
