"""Every op's derivative rule, against central differences and against 50-digit arithmetic.

DOMAINS is parallel to the op table: an op added to cgcli/ops.py without a row
here fails test_every_op_has_a_gradient_check.
"""

from __future__ import annotations

import numpy as np
import pytest

from cgcli.ops import OPS
from cgcli.shapes import unbroadcast

rng = np.random.default_rng(20261126)


def uniform(lo, hi):
    return lambda: rng.uniform(lo, hi)


def away_from_zero(lo, hi):
    return lambda: rng.choice([-1.0, 1.0]) * rng.uniform(lo, hi)


# Per op, a sampler for each argument inside the domain where it is smooth.
DOMAINS = {
    "add": (uniform(-3, 3), uniform(-3, 3)),
    "sub": (uniform(-3, 3), uniform(-3, 3)),
    "mul": (uniform(-3, 3), uniform(-3, 3)),
    "div": (uniform(-3, 3), away_from_zero(0.5, 3)),
    "pow": (uniform(0.5, 3), uniform(-2, 2)),
    "neg": (uniform(-3, 3),),
    "sin": (uniform(-3, 3),),
    "cos": (uniform(-3, 3),),
    "tan": (uniform(-1.2, 1.2),),
    "asin": (uniform(-0.9, 0.9),),
    "acos": (uniform(-0.9, 0.9),),
    "atan": (uniform(-3, 3),),
    "sinh": (uniform(-3, 3),),
    "cosh": (uniform(-3, 3),),
    "tanh": (uniform(-3, 3),),
    "exp": (uniform(-3, 3),),
    "log": (uniform(0.1, 5),),
    "log2": (uniform(0.1, 5),),
    "log10": (uniform(0.1, 5),),
    "sqrt": (uniform(0.1, 5),),
    "abs": (away_from_zero(0.1, 3),),
    "relu": (away_from_zero(0.1, 3),),
    "sigmoid": (uniform(-6, 6),),
    "softplus": (uniform(-6, 6),),
    "min": (uniform(-3, -0.2), uniform(0.2, 3)),
    "max": (uniform(-3, -0.2), uniform(0.2, 3)),
    "atan2": (away_from_zero(0.2, 3), away_from_zero(0.2, 3)),
}


# Array ops: per op, cases of (argument shapes, settings). Values are random
# normal numbers, shifted where the op needs it.
ARRAY_CASES = {
    "matmul": [
        ((2, 3), (3, 4), {}),
        ((3,), (3, 2), {}),
        ((2, 3), (3,), {}),
        ((3,), (3,), {}),
        ((2, 2, 3), (3, 2), {}),
        ((3,), (2, 3, 4), {}),
    ],
    "dot": [((2, 3), (3, 4), {}), ((3,), (3,), {}), ((2, 3), (3,), {})],
    "sum": [((4,), {}), ((2, 3), {"axis": 0}), ((2, 3), {"axis": -1}), ((2, 3, 2), {})],
    "mean": [((4,), {}), ((2, 3), {"axis": 1}), ((3, 2), {"axis": 0})],
    "amax": [((5,), {}), ((2, 3), {"axis": 0}), ((3, 4), {"axis": 1})],
    "amin": [((5,), {}), ((2, 3), {"axis": 1})],
    "logsumexp": [((4,), {}), ((2, 3), {"axis": 0}), ((2, 3), {"axis": 1})],
    "softmax": [((4,), {}), ((2, 3), {"axis": 0}), ((2, 3), {"axis": -1})],
    "norm": [((4,), {}), ((2, 3), {}), ((3, 2), {"axis": 0})],
    "transpose": [((2, 3), {}), ((4,), {}), ((2, 3, 4), {})],
    "reshape": [((6,), {"shape": (2, 3)}), ((2, 3), {"shape": (3, -1)})],
    "index": [
        ((5,), {"key": (1,)}),
        ((5,), {"key": (slice(1, 4),)}),
        ((3, 4), {"key": (slice(None), 0)}),
        ((6,), {"key": (slice(None, None, -2),)}),
        ((3, 4), {"key": (-1, slice(1, None))}),
    ],
    "stack": [((3,), (3,), {}), ((), (), (), {}), ((2, 2), (2, 2), {})],
}


def test_every_op_has_a_gradient_check():
    assert set(DOMAINS) | set(ARRAY_CASES) == set(OPS)
    for name, op in OPS.items():
        if name in DOMAINS:
            assert op.elementwise, name
            assert len(DOMAINS[name]) == op.arity == len(op.vjp) == len(op.partials), name
        else:
            assert not op.elementwise, name


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_array_vjps_match_central_differences(name):
    """The VJP with a random cotangent w against the derivative of sum(w * f(args))."""
    op = OPS[name]
    for *shapes_, settings in ARRAY_CASES[name]:
        args = [rng.normal(size=shape) for shape in shapes_]
        out = op.forward(*args, **settings)
        assert np.shape(out) == op.shape(*shapes_, **settings)
        w = rng.normal(size=np.shape(out))
        for k, x in enumerate(args):
            # The evaluator sums a VJP back over broadcast axes; so does this test.
            got = unbroadcast(op.vjp[k](w, out, *args, **settings), np.shape(x))
            expected = numeric_gradient(
                lambda t, k=k, w=w, args=args, settings=settings: float(
                    np.sum(w * op.forward(*args[:k], t, *args[k + 1 :], **settings))
                ),
                x,
            )
            assert np.shape(got) == np.shape(x), (name, k, shapes_)
            np.testing.assert_allclose(
                got,
                expected,
                rtol=1e-7,
                atol=1e-9,
                err_msg=f"{name} argument {k}, shapes {shapes_}",
            )


def numeric_gradient(f, x, h=1e-4):
    """The gradient of a scalar function of an array, element by element, by the
    five-point central difference."""
    x = np.asarray(x, dtype=float)
    gradient = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        points = []
        for step in (2 * h, h, -h, -2 * h):
            moved = x.copy()
            moved[index] += step
            points.append(f(moved if x.ndim else float(moved)))
        gradient[index] = (-points[0] + 8 * points[1] - 8 * points[2] + points[3]) / (12 * h)
    return gradient


BROADCASTING = [
    ("x + y", {"x": (2, 3), "y": (3,)}),
    ("x * y", {"x": (2, 1), "y": (1, 3)}),
    ("x / y", {"x": (3,), "y": ()}),
    ("x - y", {"x": (), "y": (2, 2)}),
    ("atan2(y, x)", {"x": (2, 3), "y": (3,)}),
    ("max(x, y)", {"x": (4,), "y": ()}),
    ("sum(x^y)", {"x": (3,), "y": (2, 1)}),
]


@pytest.mark.parametrize("source, shapes_", BROADCASTING)
def test_broadcast_inputs_get_gradients_of_their_own_shape(source, shapes_):
    import cgcli

    values = {
        k: rng.uniform(0.5, 2.0, size=v) if v else float(rng.uniform(0.5, 2.0))
        for k, v in shapes_.items()
    }
    program = source if source.startswith("sum") else f"sum({source})"
    result = cgcli.run(program, values)
    for name, value in values.items():
        got = result.gradient[name]
        assert np.shape(got) == np.shape(value)
        expected = numeric_gradient(
            lambda t, name=name: float(cgcli.run(program, {**values, name: t}).output), value
        )
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-9)
