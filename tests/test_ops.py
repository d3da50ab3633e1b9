"""Every op's derivative rule, against central differences and against 50-digit arithmetic.

DOMAINS is parallel to the op table: an op added to cgcli/ops/__init__.py without a row
here fails test_every_op_has_a_gradient_check.
"""

from __future__ import annotations

import math

import mpmath
import numpy as np
import pytest

from cgcli.ops import OPS
from cgcli.ops.shapes import unbroadcast

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
    "sign": (away_from_zero(0.1, 3),),
    "step": (away_from_zero(0.1, 3),),
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
    "broadcast": [((), {"shape": (3,)}), ((3,), {"shape": (2, 3)}), ((2, 1), {"shape": (2, 3)})],
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


def central_difference(f, args, k):
    """d f / d args[k] by the five-point stencil: error O(h^4) + O(eps/h)."""
    x = args[k]
    h = 1e-3 * max(1.0, abs(x))

    def at(t):
        moved = list(args)
        moved[k] = x + t
        return float(f(*map(np.float64, moved)))

    return (-at(2 * h) + 8 * at(h) - 8 * at(-h) + at(-2 * h)) / (12 * h)


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_vjp_matches_central_differences(name):
    op = OPS[name]
    for _ in range(6):
        args = [np.float64(sample()) for sample in DOMAINS[name]]
        out = op.forward(*args)
        g = np.float64(rng.uniform(0.5, 2.0))  # the rule must scale with the cotangent
        for k in range(op.arity):
            expected = g * central_difference(op.forward, args, k)
            got = float(op.vjp[k](g, out, *args))
            assert got == pytest.approx(expected, rel=1e-8, abs=1e-10), (name, k, args)


# 50-digit references for the local partial of each one-argument op.
MP = {
    "neg": lambda x: -1,
    "sin": mpmath.cos,
    "cos": lambda x: -mpmath.sin(x),
    "tan": lambda x: 1 / mpmath.cos(x) ** 2,
    "asin": lambda x: 1 / mpmath.sqrt(1 - x * x),
    "acos": lambda x: -1 / mpmath.sqrt(1 - x * x),
    "atan": lambda x: 1 / (1 + x * x),
    "sinh": mpmath.cosh,
    "cosh": mpmath.sinh,
    "tanh": lambda x: 1 / mpmath.cosh(x) ** 2,
    "exp": mpmath.exp,
    "log": lambda x: 1 / x,
    "log2": lambda x: 1 / (x * mpmath.log(2)),
    "log10": lambda x: 1 / (x * mpmath.log(10)),
    "sqrt": lambda x: 1 / (2 * mpmath.sqrt(x)),
    "sigmoid": lambda x: mpmath.exp(-x) / (1 + mpmath.exp(-x)) ** 2,
    "softplus": lambda x: 1 / (1 + mpmath.exp(-x)),
}


def ulps(got: float, exact) -> float:
    exact = float(exact)
    if got == exact:
        return 0.0
    return abs(got - exact) / math.ulp(exact)


@pytest.mark.parametrize("name", sorted(MP))
def test_local_partials_are_accurate_to_a_few_ulps(name):
    # Points where the textbook formula loses digits: tanh and sigmoid far from 0,
    # asin and acos close to 1.
    points = {
        "tanh": [0.3, 5.0, 10.0, -18.0, 300.0],
        "sigmoid": [-30.0, -5.0, 0.5, 12.0, 40.0],
        "asin": [0.5, 0.999999, -0.9999999999],
        "acos": [0.5, 0.999999, -0.9999999999],
        "softplus": [-40.0, -3.0, 0.0, 2.0, 30.0],
    }.get(name, [0.1, 0.7, 1.9, 2.5])
    op = OPS[name]
    mpmath.mp.dps = 50
    for x in points:
        x = np.float64(x)
        got = float(op.vjp[0](np.float64(1.0), op.forward(x), x))
        assert ulps(got, MP[name](mpmath.mpf(float(x)))) <= 4, (name, x, got)


def vjp(name, *args):
    op = OPS[name]
    args = [np.float64(a) for a in args]
    with np.errstate(all="ignore"):
        out = op.forward(*args)
        return float(out), [float(rule(np.float64(1.0), out, *args)) for rule in op.vjp]


def test_conventions_at_non_differentiable_and_singular_points():
    # As PyTorch: see the README's table.
    assert vjp("relu", 0.0) == (0.0, [0.0])
    assert vjp("abs", 0.0) == (0.0, [0.0])
    assert vjp("sqrt", 0.0) == (0.0, [math.inf])
    assert vjp("log", 0.0) == (-math.inf, [math.inf])
    assert vjp("div", 1.0, 0.0)[0] == math.inf
    assert vjp("div", -1.0, 0.0)[0] == -math.inf
    assert math.isnan(vjp("div", 0.0, 0.0)[0])
    assert vjp("pow", 0.0, 2.5)[1][1] == 0.0  # d/dy x^y at x = 0: 0, not 0*log(0) = NaN
    assert vjp("pow", 0.0, 0.0) == (1.0, [0.0, 0.0])  # d/dx x^0 = 0, even at x = 0
    assert vjp("pow", 3.0, 0.0)[1][0] == 0.0
    assert vjp("pow", 0.0, 0.5)[1][0] == math.inf
    assert vjp("max", 2.0, 2.0) == (2.0, [0.5, 0.5])  # ties split equally
    assert vjp("min", 2.0, 2.0) == (2.0, [0.5, 0.5])
    assert vjp("max", 3.0, 2.0)[1] == [1.0, 0.0]
    assert vjp("min", 3.0, 2.0)[1] == [0.0, 1.0]
    assert vjp("atan2", 0.0, 0.0) == (0.0, [0.0, 0.0])  # PyTorch masks 0/0 to 0 here


def test_negative_base_with_integer_exponent():
    value, (dx, dy) = vjp("pow", -2.0, 3.0)
    assert value == -8.0 and dx == 12.0  # 3 * (-2)^2
    assert math.isnan(dy)  # (-2)^y is not real for y near 3: there is no derivative in y


def test_stable_functions_do_not_overflow():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        for x in (-800.0, -1000.0, 800.0, 1e300, -1e300):
            x = np.float64(x)
            for name in ("sigmoid", "softplus", "tanh"):
                op = OPS[name]
                out = op.forward(x)
                assert math.isfinite(out) and math.isfinite(op.vjp[0](1.0, out, x))
    assert vjp("sigmoid", -800.0) == (0.0, [0.0])
    assert vjp("sigmoid", 800.0) == (1.0, [0.0])
    assert vjp("softplus", 1000.0) == (1000.0, [1.0])
    assert vjp("softplus", -1000.0) == (0.0, [0.0])
    assert vjp("tanh", -1000.0) == (-1.0, [0.0])
    # Far from 0, the derivative keeps its digits instead of rounding to 0.
    assert vjp("sigmoid", 40.0)[1][0] == pytest.approx(math.exp(-40.0), rel=1e-15)
    assert vjp("tanh", 20.0)[1][0] == pytest.approx(4 * math.exp(-40.0), rel=1e-14)


def _formula_rule(op, k, w, out, args, settings):
    """Argument k's rule from the op's `d` column (the one its formula prints), on
    float64 through the NUMPY namespace, summed back to the argument's shape."""
    from cgcli.ops.derivatives import NUMPY

    return unbroadcast(op.d[k](NUMPY, w, out, *args, **settings), np.shape(args[k]))


@pytest.mark.parametrize("name", sorted(DOMAINS))
def test_the_printed_rule_agrees_with_the_numeric_rule(name):
    # Where an op keeps a numeric form beside its plain rule (for stability or a
    # convention), the two agree wherever the op is smooth: to rounding, not by accident.
    op = OPS[name]
    for _ in range(20):
        args = [np.float64(sample()) for sample in DOMAINS[name]]
        out = op.forward(*args)
        g = np.float64(rng.uniform(0.5, 2.0))
        for k in range(op.arity):
            plain = float(_formula_rule(op, k, g, out, args, {}))
            assert plain == pytest.approx(float(op.vjp[k](g, out, *args)), rel=1e-13, abs=1e-300)


@pytest.mark.parametrize("name", sorted(ARRAY_CASES))
def test_the_printed_array_rule_agrees_with_the_numeric_rule(name):
    op = OPS[name]
    for *shapes_, settings in ARRAY_CASES[name]:
        if name in ("matmul", "dot") and max(map(len, shapes_)) > 2:
            continue  # formulas of @ take up to 2 dimensions (cg diff says so)
        args = [rng.normal(size=shape) for shape in shapes_]
        out = op.forward(*args, **settings)
        w = rng.normal(size=np.shape(out))
        for k in range(len(args)):
            numeric = unbroadcast(op.vjp[k](w, out, *args, **settings), np.shape(args[k]))
            plain = _formula_rule(op, k, w, out, args, settings)
            np.testing.assert_allclose(plain, numeric, rtol=1e-13, atol=1e-15, err_msg=name)


def test_the_square_has_the_gradient_of_the_product_bit_for_bit():
    # x^2 and x*x: d/dx is g x + g x for the product, 2 (g x) for the power, the same
    # number for every x (doubling is exact), where g (x + x) would overflow first:
    # 0.25 x^2 at x = 1e308 has the derivative 0.5e308, not inf.
    import cgcli

    for x in (1e308, -1e308, 3.0, 5e-324, 0.0, -0.0, math.inf, 1.1):
        for k in (0.25, 1.0, 3.0):
            power = cgcli.run(f"{k}*x^2", {"x": x}).gradient["x"]
            product = cgcli.run(f"{k}*(x*x)", {"x": x}).gradient["x"]
            assert np.float64(power).tobytes() == np.float64(product).tobytes(), (x, k)
    assert cgcli.run("0.25*x^2", {"x": 1e308}).gradient["x"] == 0.5e308
