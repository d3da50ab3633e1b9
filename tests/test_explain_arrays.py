"""`cg explain` on arrays: every number printed under a symbol is what that symbol means.

CASES is parallel to the op table: for every op, programs that apply it alone to
bound arrays (`z = OP(...); sum(w * z)`), and numpy's own version of the op. The
local derivatives that explain prints for z are checked against central
differences of numpy's version, in the JSON and in the text, and the numbers of
every chain-rule line are checked to compute what the line says they equal. An
op added to cgcli/ops/__init__.py without a case here fails test_every_op_has_a_case.
"""

from __future__ import annotations

import ast
import json
import math
import operator
import re

import numpy as np
import pytest

from cgcli.ops import OPS

WIDE = {"COLUMNS": "1000", "NO_COLOR": None, "FORCE_COLOR": None, "TERM": "dumb"}
SHOWN = 24  # the README: a Jacobian is shown with at most 2 dimensions and 24 entries

SEED = 20261127


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# Per elementwise op, numpy's version and the interval its arguments are drawn from
# (where the op is smooth: away from 0 for abs and relu, inside (-1, 1) for asin).
ELEMENTWISE = {
    "add": (np.add, (-2, 2)),
    "sub": (np.subtract, (-2, 2)),
    "mul": (np.multiply, (-2, 2)),
    "div": (np.divide, (0.5, 2)),
    "pow": (np.power, (0.5, 2)),
    "neg": (np.negative, (-2, 2)),
    "sin": (np.sin, (-2, 2)),
    "cos": (np.cos, (-2, 2)),
    "tan": (np.tan, (-1, 1)),
    "asin": (np.arcsin, (-0.8, 0.8)),
    "acos": (np.arccos, (-0.8, 0.8)),
    "atan": (np.arctan, (-2, 2)),
    "sinh": (np.sinh, (-2, 2)),
    "cosh": (np.cosh, (-2, 2)),
    "tanh": (np.tanh, (-2, 2)),
    "exp": (np.exp, (-2, 2)),
    "log": (np.log, (0.3, 3)),
    "log2": (np.log2, (0.3, 3)),
    "log10": (np.log10, (0.3, 3)),
    "sqrt": (np.sqrt, (0.3, 3)),
    "abs": (np.abs, "signed"),
    "relu": (lambda x: np.maximum(x, 0.0), "signed"),
    "sign": (np.sign, "signed"),
    "step": (lambda x: (x > 0).astype(float), "signed"),
    "sigmoid": (sigmoid, (-3, 3)),
    "softplus": (lambda x: np.log1p(np.exp(x)), (-3, 3)),
    "min": (np.minimum, "signed"),
    "max": (np.maximum, "signed"),
    "atan2": (np.arctan2, "signed"),
}


def far_from_ties(args: dict) -> bool:
    """Whether no two elements of the arguments are within 0.01 of each other: a
    difference step of 0.002 then never crosses the kink of min or max."""
    values = np.sort(np.concatenate([np.ravel(v) for v in args.values()]))
    return bool(np.all(np.diff(values) > 0.01))


def draw_arguments(rng, name: str, shapes: dict, intervals: dict) -> dict:
    while True:
        args = {a: draw(rng, shape, intervals[a]) for a, shape in shapes.items()}
        if name not in ("min", "max", "amin", "amax") or far_from_ties(args):
            return args


def draw(rng, shape, interval=(-2, 2)):
    if interval == "signed":  # 0.3 to 2 from zero, either side: no kinks, no ties with 0
        magnitude = rng.uniform(0.3, 2, size=shape)
        return np.where(rng.random(size=shape) < 0.5, -magnitude, magnitude)
    return rng.uniform(*interval, size=shape)


def elementwise_cases(name):
    op = OPS[name]
    forward, interval = ELEMENTWISE[name]
    if op.arity == 1:
        program = f"{op.symbol}x" if op.symbol else f"{op.call}(x)"
        return [(program, {"x": (3,)}, forward), (program, {"x": (2, 2)}, forward)]
    program = f"x {op.symbol} y" if op.symbol else f"{op.call}(x, y)"
    # The same shape (elementwise), a number and a one-element array against a
    # vector (small Jacobians), and a column against a row (contributions).
    shapes = [((3,), (3,)), ((3,), ()), ((), (2, 2)), ((1,), (3,)), ((2, 1), (3,))]
    return [
        (program, {"x": sx, "y": sy}, forward, {"x": interval, "y": interval}) for sx, sy in shapes
    ]


def axis_of(f, **fixed):
    return lambda x: f(x, **fixed)


# Array ops: (program, argument shapes, numpy's version of the op).
ARRAYS = {
    "matmul": [
        ("x @ y", {"x": (3,), "y": (3,)}, np.matmul),
        ("x @ y", {"x": (2, 3), "y": (3,)}, np.matmul),
        ("x @ y", {"x": (3,), "y": (3, 2)}, np.matmul),
        ("x @ y", {"x": (2, 2), "y": (2, 3)}, np.matmul),
        ("x @ y", {"x": (2, 2, 3), "y": (3, 2)}, np.matmul),
        ("x @ y", {"x": (3,), "y": (2, 3, 2)}, np.matmul),
        ("x @ y", {"x": (2, 2, 3), "y": (3,)}, np.matmul),
        ("x @ x", {"x": (2, 2)}, lambda x: x @ x),
    ],
    "dot": [
        ("dot(x, y)", {"x": (3,), "y": (3,)}, np.dot),
        ("dot(x, y)", {"x": (2, 3), "y": (3,)}, np.dot),
        ("dot(x, y)", {"x": (3, 2), "y": (2, 2)}, np.dot),
        ("dot(x, x)", {"x": (3,)}, lambda x: np.dot(x, x)),
    ],
    "sum": [
        ("sum(x)", {"x": (4,)}, np.sum),
        ("sum(x)", {"x": (2, 3)}, np.sum),
        ("sum(x, axis=0)", {"x": (2, 3)}, axis_of(np.sum, axis=0)),
    ],
    "mean": [
        ("mean(x)", {"x": (4,)}, np.mean),
        ("mean(x, axis=1)", {"x": (2, 3)}, axis_of(np.mean, axis=1)),
    ],
    "amax": [
        ("max(x)", {"x": (4,)}, np.max),
        ("max(x, axis=0)", {"x": (2, 3)}, axis_of(np.max, axis=0)),
    ],
    "amin": [
        ("min(x)", {"x": (4,)}, np.min),
        ("min(x, axis=1)", {"x": (2, 3)}, axis_of(np.min, axis=1)),
    ],
    "logsumexp": [
        ("logsumexp(x)", {"x": (3,)}, lambda x: np.log(np.sum(np.exp(x)))),
        (
            "logsumexp(x, axis=1)",
            {"x": (2, 3)},
            lambda x: np.log(np.sum(np.exp(x), axis=1)),
        ),
    ],
    "softmax": [
        ("softmax(x)", {"x": (3,)}, lambda x: np.exp(x) / np.sum(np.exp(x))),
        ("softmax(x)", {"x": (5,)}, lambda x: np.exp(x) / np.sum(np.exp(x))),
        (
            "softmax(x, axis=0)",
            {"x": (2, 3)},
            lambda x: np.exp(x) / np.sum(np.exp(x), axis=0, keepdims=True),
        ),
    ],
    "norm": [
        ("norm(x)", {"x": (3,)}, lambda x: np.sqrt(np.sum(x * x))),
        ("norm(x, axis=1)", {"x": (2, 3)}, lambda x: np.sqrt(np.sum(x * x, axis=1))),
    ],
    "transpose": [
        ("x.T", {"x": (3,)}, np.transpose),
        ("transpose(x)", {"x": (2, 3)}, np.transpose),
    ],
    "broadcast": [
        ("broadcast(x, 3)", {"x": ()}, lambda x: np.broadcast_to(x, (3,))),
        ("broadcast(x, 2, 3)", {"x": (3,)}, lambda x: np.broadcast_to(x, (2, 3))),
        ("broadcast(x, 2, 3)", {"x": (2, 1)}, lambda x: np.broadcast_to(x, (2, 3))),
    ],
    "reshape": [
        ("reshape(x, 4)", {"x": (4,)}, lambda x: np.reshape(x, 4)),
        ("reshape(x, 2, 2)", {"x": (4,)}, lambda x: np.reshape(x, (2, 2))),
        ("reshape(x, -1)", {"x": (2, 3)}, lambda x: np.reshape(x, -1)),
    ],
    "index": [
        ("x[1]", {"x": (4,)}, lambda x: x[1]),
        ("x[1:3]", {"x": (4,)}, lambda x: x[1:3]),
        ("x[::-2]", {"x": (6,)}, lambda x: x[::-2]),
        ("x[-1, 2]", {"x": (3, 4)}, lambda x: x[-1, 2]),
        ("x[:, 0]", {"x": (3, 4)}, lambda x: x[:, 0]),
    ],
    "stack": [
        ("[a, b, c]", {"a": (), "b": (), "c": ()}, lambda a, b, c: np.stack([a, b, c])),
        ("[a, a, b]", {"a": (), "b": ()}, lambda a, b: np.stack([a, a, b])),
        ("[a, b]", {"a": (2,), "b": (2,)}, lambda a, b: np.stack([a, b])),
    ],
}


def cases(name):
    """(program, shapes, numpy's version, interval per argument) for op `name`."""
    if name in ELEMENTWISE:
        found = []
        for case in elementwise_cases(name):
            program, shapes, forward = case[:3]
            intervals = case[3] if len(case) > 3 else dict.fromkeys(shapes, ELEMENTWISE[name][1])
            found.append((program, shapes, forward, intervals))
        return found
    return [(p, s, f, dict.fromkeys(s, (-2, 2))) for p, s, f in ARRAYS[name]]


def test_every_op_has_a_case():
    assert set(ELEMENTWISE) | set(ARRAYS) == set(OPS)
    assert not set(ELEMENTWISE) & set(ARRAYS)
    for name in ARRAYS:
        assert not OPS[name].elementwise, name
    for name in ELEMENTWISE:
        assert OPS[name].elementwise, name
        if OPS[name].arity == 2:  # a binary elementwise op is tried under broadcasting
            assert any(len(set(shapes.values())) > 1 for _, shapes, _, _ in cases(name)), name


# ------------------------------------------------------------ the checks


def jacobian_by_differences(f, args: dict, name: str, h=1e-3) -> np.ndarray:
    """d f(*args) / d args[name], of shape f.shape + args[name].shape, by the
    five-point central difference, one element at a time."""
    x = np.asarray(args[name], dtype=float)
    out = np.shape(f(*args.values()))
    jac = np.zeros(out + x.shape)
    for index in np.ndindex(x.shape):
        values = []
        for step in (2 * h, h, -h, -2 * h):
            moved = x.copy()
            moved[index] += step
            values.append(np.asarray(f(*{**args, name: moved}.values()), dtype=float))
        derivative = (-values[0] + 8 * values[1] - 8 * values[2] + values[3]) / (12 * h)
        jac[(..., *index)] = derivative
    return jac


def expected_kind(elementwise: bool, out: tuple, shape: tuple) -> str:
    """The README's rule for what explain shows of dz/dx."""
    if elementwise and out == shape:
        return "elementwise" if shape else "partial"
    if not out and not shape:
        return "partial"
    if not out or (len(out + shape) <= 2 and math.prod(out + shape) <= SHOWN):
        return "jacobian"
    return "contribution"


NUMBER = re.compile(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)")


def numbers_in(text: str) -> list[float]:
    return [float(n) for n in NUMBER.findall(text)]


def flat(value) -> list[float]:
    def one(v):
        return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(v, v)

    return [float(one(v)) for v in np.ravel(np.array(value, dtype=object))]


OPERATORS = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.MatMult: operator.matmul,
}


def softmax(x):
    return np.exp(x) / np.sum(np.exp(x))


FUNCTIONS = {
    "sum": np.sum,
    "outer": np.outer,
    "diag": np.diag,
    "eye": lambda n: np.eye(int(n)),
    "swapaxes": lambda x, a, b: np.swapaxes(x, int(a), int(b)),
    "softmax": softmax,
}


class NotArithmetic(Exception):
    pass


def arithmetic(text: str):
    """The value of numbers as explain writes them, computed by numpy: `·` and `*`
    elementwise (or by a number), `@` the matrix product, (a)(b) a product of
    numbers, x.T, x[1:3], and the functions in FUNCTIONS. Anything else (words,
    comparisons, ^) raises NotArithmetic: nothing is passed to eval."""
    source = text.replace("\u00b7", "*").replace(")(", ")*(")

    def index(node):
        if isinstance(node, ast.Slice):
            parts = (node.lower, node.upper, node.step)
            return slice(*(None if p is None else int(value(p)) for p in parts))
        if isinstance(node, ast.Tuple):
            return tuple(index(e) for e in node.elts)
        return int(value(node))

    def value(node):
        if isinstance(node, ast.Expression):
            return value(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            return np.float64(node.value)
        if isinstance(node, ast.Name) and node.id in ("nan", "inf"):
            return np.float64(node.id)
        if isinstance(node, ast.List):
            return np.array([value(e) for e in node.elts], dtype=float)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -value(node.operand)
        if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](value(node.left), value(node.right))
        if isinstance(node, ast.Attribute) and node.attr == "T":
            return np.transpose(value(node.value))
        if isinstance(node, ast.Subscript):
            return value(node.value)[index(node.slice)]
        if (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", None) in FUNCTIONS
            and not node.keywords
        ):
            return FUNCTIONS[node.func.id](*(value(a) for a in node.args))
        raise NotArithmetic(f"{ast.dump(node)} in {text!r}")

    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise NotArithmetic(text) from None
    with np.errstate(all="ignore"):
        return value(tree)


def binding(name, value) -> str:
    if np.ndim(value):
        return f"{name}={json.dumps(np.asarray(value).tolist())}"
    return f"{name}={float(value)!r}"


def line_for(text: str, symbol: str, indent: int) -> str:
    start = " " * indent + symbol + " = "
    lines = [line for line in text.splitlines() if line.startswith(start)]
    assert len(lines) == 1, (symbol, text)
    return lines[0]


@pytest.mark.parametrize("name", sorted(OPS))
def test_each_local_partial_is_the_derivative_of_its_op(cg, name):
    """For every op alone, under every shape in CASES: the value under each local
    partial of z is dz/dx by central differences (its diagonal where the op is
    elementwise; the Jacobian contracted with z's adjoint where it is a
    contribution), the text shows the same numbers under the same symbol, and each
    chain-rule line computes what it says."""
    op = OPS[name]
    for number, (program, shapes, forward, intervals) in enumerate(cases(name)):
        # Numbers of their own per case: the same whatever else runs.
        rng = np.random.default_rng([SEED, number, *name.encode()])
        args = draw_arguments(rng, name, shapes, intervals)
        z = np.asarray(forward(*args.values()))
        w = draw(rng, z.shape, (0.5, 2)) * draw(rng, z.shape, "signed")  # not 1, not symmetric
        source = f"z = {program}; sum(w * z)"
        bindings = [binding(a, v) for a, v in args.items()] + [binding("w", w)]
        run = cg("explain", source, *bindings, "--json")
        assert run.code == 0, (source, run.stderr)
        doc = run.json()
        text = cg("explain", source, *bindings, env=WIDE).stdout
        steps = {step["node"]: step for step in doc["backward"]}
        where = f"{source} at {shapes}"

        # The adjoint of z, by hand: d sum(w * z)/dz = w.
        np.testing.assert_array_equal(steps["z"]["value"], w, err_msg=where)
        for a in shapes:
            step = steps[a]
            (local,) = [local for local in step["locals"] if local["through"] == "z"]
            jac = jacobian_by_differences(forward, args, a)
            kind = expected_kind(op.elementwise, z.shape, np.shape(args[a]))
            assert local["kind"] == kind, (where, a, local)
            if kind == "elementwise":
                square = jac.reshape(z.size, z.size)
                np.testing.assert_allclose(square - np.diag(np.diag(square)), 0, atol=1e-8)
                expected = np.diag(square).reshape(z.shape)
            elif kind == "contribution":
                expected = np.tensordot(w, jac, axes=z.ndim)
            else:
                expected = jac
            assert local["shape"] == list(np.shape(expected)), (where, a, local)
            np.testing.assert_allclose(
                local["value"], expected, rtol=1e-7, atol=1e-9, err_msg=f"{where}: d z/d {a}"
            )
            # Its formula with the numbers put in computes it, where that is arithmetic.
            # An elementwise partial may be a number, or a one-element array, that stands
            # for every element (y = 3 = [3, 3]): broadcast, as cg and numpy do.
            try:
                computed = arithmetic(local["numbers"])
                if kind == "elementwise":
                    computed = np.broadcast_to(computed, np.shape(local["value"]))
            except NotArithmetic:
                computed = local["value"]
            np.testing.assert_allclose(
                computed, local["value"], rtol=1e-12, atol=1e-12, err_msg=local["numbers"]
            )
            # The step sums this one term: its numbers compute its value.
            np.testing.assert_allclose(
                arithmetic(step["numbers"]), step["value"], rtol=1e-12, atol=1e-12,
                err_msg=f"{where}: {step['numbers']}",
            )  # fmt: skip
            np.testing.assert_allclose(step["value"], np.tensordot(w, jac, axes=z.ndim),
                                       rtol=1e-7, atol=1e-9)  # fmt: skip
            # The text: the same numbers, under the same symbols.
            shown = line_for(text, local["symbol"], 6).rsplit(" = ", 1)[1]
            np.testing.assert_array_equal(numbers_in(shown), flat(local["value"]), err_msg=where)
            shown = line_for(text, step["symbol"], 2).rsplit(" = ", 1)[1]
            np.testing.assert_array_equal(numbers_in(shown), flat(step["value"]), err_msg=where)
            assert step["formula"] in line_for(text, step["symbol"], 2)
            assert step["numbers"] in line_for(text, step["symbol"], 2)


# ------------------------------------------------ the issue's reproductions


def test_an_index_shows_its_own_partial_not_the_adjoint_times_it(cg):
    # z = 2 x[1]: dy/dx for y = x[1] is e1 = [0, 1, 0], and dz/dx = 2 e1 = [0, 2, 0].
    run = cg("explain", "x[1]*2", "x=[3,4,5]", env=WIDE)
    lines = run.stdout.splitlines()
    assert "      ∂y/∂x = ∂x[1]/∂x = 1 at [1], 0 elsewhere = [0, 1, 0]" in lines
    assert "  ∂z/∂x = ∂z/∂y · ∂y/∂x = 2 · [0, 1, 0] = [0, 2, 0]" in lines
    doc = cg("explain", "x[1]*2", "x=[3,4,5]", "--json").json()
    (local,) = doc["backward"][-1]["locals"]
    assert local["value"] == [0.0, 1.0, 0.0]
    assert doc["backward"][-1]["value"] == [0.0, 2.0, 0.0]


def test_the_perceptron_of_the_issue_shows_v_and_w_as_the_partials_of_the_dot(cg):
    # y = w . v with v = [x0, x1, 1] = [-1, -2, 1]: dy/dw = v, dy/dv = w = [2, -3, -3].
    # y = -2 + 6 - 3 = 1, so dz/dy = sigmoid(1)(1 - sigmoid(1)), and dz/dw = dz/dy v.
    args = ("sigmoid(dot(w, [x0, x1, 1]))", "w=[2,-3,-3]", "x0=-1", "x1=-2")
    s = 1 / (1 + math.exp(-1))
    g = s * (1 - s)
    doc = cg("explain", *args, "--json").json()
    steps = {step["node"]: step for step in doc["backward"]}
    (by_w,) = steps["w"]["locals"]
    assert (by_w["symbol"], by_w["value"]) == ("∂y/∂w", [-1.0, -2.0, 1.0])
    (by_v,) = steps["x"]["locals"]  # x is the name cg gives [x0, x1, 1]
    assert (by_v["symbol"], by_v["value"]) == ("∂y/∂x", [2.0, -3.0, -3.0])
    np.testing.assert_allclose(steps["w"]["value"], [-g, -2 * g, g], rtol=1e-15)
    # x0 reaches y through [x0, x1, 1]: d[x0, x1, 1]/dx0 = [1, 0, 0], so dz/dx0 = 2g.
    (by_x0,) = steps["x0"]["locals"]
    assert by_x0["value"] == [1.0, 0.0, 0.0]
    assert steps["x0"]["value"] == pytest.approx(2 * g, rel=1e-15)
    text = cg("explain", *args, env=WIDE).stdout
    assert "      ∂y/∂w = ∂dot(w, x)/∂w = x = [-1, -2, 1]" in text.splitlines()
    assert "      ∂y/∂x = ∂dot(w, x)/∂x = w = [2, -3, -3]" in text.splitlines()
    assert "      ∂x/∂x0 = ∂[x0, x1, 1]/∂x0 = 1 at [0], 0 elsewhere = [1, 0, 0]" in text
    assert "^T" not in text and "@ 0.19" not in text


def test_a_broadcast_number_shows_its_jacobian(cg):
    # z = x * y with y a number: dz_i/dy = x_i, so dz/dy = x = [1, 2], and
    # dz_i/dx_i = y = 3; with t1 = sum(z), dt1/dy = [1, 1] @ [1, 2] = 3.
    run = cg("explain", "sum(x*y)", "x=[1,2]", "y=3", env=WIDE)
    lines = run.stdout.splitlines()
    assert "      ∂z/∂y = ∂(x · y)/∂y = x = [1, 2]" in lines
    assert "  ∂t1/∂y = ∂t1/∂z · ∂z/∂y = [1, 1] @ [1, 2] = 3" in lines
    assert "      ∂zᵢ/∂xᵢ = ∂(x · y)ᵢ/∂xᵢ = y = 3 = [3, 3]" in lines
    assert "  ∂t1/∂x = ∂t1/∂z · ∂zᵢ/∂xᵢ = [1, 1] · [3, 3] = [3, 3]" in lines


def test_a_large_jacobian_gives_way_to_the_contribution_labelled_so(cg):
    # y = W @ x: dy/dW has shape (2, 2, 2), so explain shows the contribution
    # dt/dy . dy/dW = outer(dt/dy, x) = outer([1, 1], [0.5, 1]); dy/dx = W is small.
    run = cg("explain", "sum(W @ x)", "W=[[1,2],[3,-4]]", "x=[0.5,1]", env=WIDE)
    lines = run.stdout.splitlines()
    assert (
        "      ∂z/∂y · ∂y/∂W = ∂z/∂y · ∂(W @ x)/∂W = outer(∂z/∂y, x) = "
        "outer([1, 1], [0.5, 1]) = [[0.5, 1], [0.5, 1]]"
    ) in lines
    assert "  ∂z/∂W = ∂z/∂y · ∂y/∂W = [[0.5, 1], [0.5, 1]]" in lines
    assert "      ∂y/∂x = ∂(W @ x)/∂x = W = [[1, 2], [3, -4]]" in lines
    assert "  ∂z/∂x = ∂z/∂y · ∂y/∂x = [1, 1] @ [[1, 2], [3, -4]] = [4, -2]" in lines


def test_indexing_names_its_subscripts(cg):
    for program, key in (("sum(x[1:3])", "[1:3]"), ("sum(X[:, 0]*w)", "[:, 0]")):
        run = cg("explain", program, "x=[1,2,3,4]", "X=[[1,2],[3,4]]", "w=[5,6]", env=WIDE)
        assert run.code == 0, run.stderr
        assert "[key]" not in run.stdout
        assert key in run.stdout.split("Backward pass")[1]


def test_softmax_is_written_in_the_names_of_the_program(cg):
    # The program has its own s; the softmax node is t. d softmax(s)/ds is
    # diag(t) - outer(t, t) with t = softmax(s), here p = e^s / sum(e^s).
    args = ("sum(c * softmax(s))", "s=[1,2,3]", "c=[1,0,2]")
    doc = cg("explain", *args, "--json").json()
    (local,) = {step["node"]: step for step in doc["backward"]}["s"]["locals"]
    assert local["symbol"] == "∂t/∂s"
    assert local["formula"] == "diag(t) - outer(t, t)"
    p = np.exp([1.0, 2.0, 3.0]) / np.sum(np.exp([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(local["value"], np.diag(p) - np.outer(p, p), rtol=1e-14)
    text = cg("explain", *args, env=WIDE).stdout
    assert "      ∂t/∂s = ∂softmax(s)/∂s = diag(t) - outer(t, t) = diag([" in text


def test_a_node_used_elementwise_and_by_index_sums_true_arithmetic(cg):
    # f = sum(x * x[0]) = x0 (x0 + x1 + x2): df/dx = [2 x0 + x1 + x2, x0, x0] = [7, 1, 1].
    doc = cg("explain", "sum(x*x[0])", "x=[1,2,3]", "--json").json()
    step = {step["node"]: step for step in doc["backward"]}["x"]
    assert step["value"] == [7.0, 1.0, 1.0]
    assert [local["kind"] for local in step["locals"]] == ["jacobian", "elementwise"]
    np.testing.assert_array_equal(arithmetic(step["numbers"]), [7.0, 1.0, 1.0])


def test_max_shares_a_tie_and_says_where(cg):
    # max([1, 3, 3]) is 3 at [1] and [2]: each gets half, as max(x, y) has it.
    run = cg("explain", "2*max(x)", "x=[1,3,3]", env=WIDE)
    assert (
        "      ∂y/∂x = ∂max(x)/∂x = 1/2 at [1] and [2] (tied for the largest), 0 elsewhere"
        " = [0, 0.5, 0.5]"
    ) in run.stdout.splitlines()


def test_ascii_writes_the_elementwise_partial_plainly(cg):
    run = cg("explain", "sum(c*x)", "c=[1,2]", "x=[3,4]", "--ascii", env=WIDE)
    assert run.stdout.isascii()
    # y = c * x, z = sum(y): dy_i/dx_i = c_i, and dz/dx = [1, 1] * c.
    assert "      dy_i/dx_i = d(c * x)_i/dx_i = c = [1, 2]" in run.stdout.splitlines()
    assert "  dz/dx = dz/dy * dy_i/dx_i = [1, 1] * [1, 2] = [1, 2]" in run.stdout.splitlines()


def test_kink_nan_puts_nan_only_where_the_kink_is(cg):
    # max(x, y) with y = 0 broadcast over x = [0, 1]: the tie is at element 0 only, so
    # dz/dy is [nan, 0] (not nan everywhere), and dz_i/dx_i is [nan, 1].
    doc = cg("explain", "sum(max(x, y))", "x=[0,1]", "y=0", "--kink", "nan", "--json").json()
    steps = {step["node"]: step for step in doc["backward"]}
    (by_y,) = steps["y"]["locals"]
    (by_x,) = steps["x"]["locals"]
    assert (by_y["kind"], by_y["value"]) == ("jacobian", ["NaN", 0.0])
    assert (by_x["kind"], by_x["value"]) == ("elementwise", ["NaN", 1.0])
