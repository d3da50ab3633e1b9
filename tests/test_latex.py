"""cg's LaTeX: hand-written expected strings, KaTeX renders every one, and a reader of
the emitted subset reads random expressions back to the values cg computes."""

from __future__ import annotations

import json
import math
import os
import shutil
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from latex_reader import Ambiguous, evaluate, read

from cgcli.emit.latex import (
    input_symbols,
    latex_expression,
    latex_name,
    latex_names,
    latex_partial,
    latex_program,
)
from cgcli.graph import CONST, Graph
from cgcli.interpret.evaluate import forward, infer_shapes
from cgcli.language.parse import parse
from cgcli.ops import OPS

ROOT = Path(__file__).resolve().parent.parent

# (program, its LaTeX), written by hand. Between them they use every op of the table.
CASES = [
    ("2*x*sin(x) + x^2*cos(x)", r"2 x \sin x + x^{2} \cos x"),
    ("x*y", "x y"),
    ("x*2", r"x \cdot 2"),
    ("2*3", r"2 \cdot 3"),
    ("2*(1/x)", r"2 \cdot \frac{1}{x}"),
    ("x*y*z", "x y z"),
    ("x*(y*z)", "x (y z)"),
    ("a - b - c", "a - b - c"),
    ("a - (b - c)", "a - (b - c)"),
    ("a + (b + c)", "a + (b + c)"),
    ("a + (-b)", "a + (-b)"),
    ("x - -1", "x - (-1)"),
    ("x*-2", "x (-2)"),
    ("-2*x", "-2 x"),
    ("-x*y", "-x y"),
    ("-(x + y)", "-(x + y)"),
    ("-(-x)", "-(-x)"),
    ("(x + 1)*(x - 1)", "(x + 1) (x - 1)"),
    ("(x + 1)^2", "(x + 1)^{2}"),
    ("-x^2", "-x^{2}"),
    ("(-x)^2", "(-x)^{2}"),
    ("(-2)^x", "(-2)^{x}"),
    ("x^y^z", "x^{y^{z}}"),
    ("(x^y)^z", "(x^{y})^{z}"),
    ("x^(1/2)", r"x^{\frac{1}{2}}"),
    ("(1/2)^x", r"(\frac{1}{2})^{x}"),
    ("(x + y)/(x - y)", r"\frac{x + y}{x - y}"),
    ("sin(x)^2", r"(\sin x)^{2}"),
    ("sin(x)*y", r"\sin(x) y"),
    ("sin(x)*cos(x)", r"\sin(x) \cos x"),
    ("-sin(x)*y", r"-\sin(x) y"),
    ("sin(x + 1) + cos(2*x) + tan(-x)", r"\sin(x + 1) + \cos(2 x) + \tan(-x)"),
    ("asin(x) + acos(x) + atan(x)", r"\arcsin x + \arccos x + \arctan x"),
    ("sinh(x) + cosh(x) + tanh(x)", r"\sinh x + \cosh x + \tanh x"),
    ("log(x) + log2(x) + log10(x)", r"\ln x + \log_{2} x + \log_{10} x"),
    ("exp(x)", "e^{x}"),
    ("exp(-x^2/2)", r"e^{\frac{-x^{2}}{2}}"),
    ("exp(x)^2", "(e^{x})^{2}"),
    ("exp(a + b + c + d + f + g + h + k + m)", r"\exp(a + b + c + d + f + g + h + k + m)"),
    ("sqrt(x) + sqrt(x)^2", r"\sqrt{x} + (\sqrt{x})^{2}"),
    ("abs(x)*abs(y)", r"\lvert x \rvert \lvert y \rvert"),
    ("relu(x) + sigmoid(x) + softplus(x)",
     r"\operatorname{relu}(x) + \operatorname{sigmoid}(x) + \operatorname{softplus}(x)"),
    ("max(x, y) - min(x, y)", r"\max(x, y) - \min(x, y)"),
    ("sign(x) + step(x)", r"\operatorname{sign}(x) + \operatorname{step}(x)"),
    ("sum(broadcast(v, 2, 3))",
     r"\operatorname{sum}(\operatorname{broadcast}_{\mathrm{shape}=(2, 3)}(v))"),
    ("atan2(y, x)", r"\operatorname{atan2}(y, x)"),
    ("0.1 + pi + e", r"0.1 + \pi + e"),
    ("1e-20*x + 2.5E3", r"1 \times 10^{-20} x + 2.5 \times 10^{3}"),
    ("sin(1e-5) + sin(2)", r"\sin(1 \times 10^{-5}) + \sin 2"),
    ("sin(x[0]) + sin((W @ x)[0])", r"\sin x_{[0]} + \sin((W x)_{[0]})"),
    ("x1 + t12 + alpha + lambda + x_max + x_i",
     r"x_{1} + t_{12} + \alpha + \lambda + x_{\mathrm{max}} + x_{i}"),
    ("speed*time + 2*speed", r"\mathit{speed} \cdot \mathit{time} + 2 \cdot \mathit{speed}"),
    ("x1 + x_1", r"\mathit{x1} + \mathit{x\_1}"),
    ("sum(W @ x)", r"\operatorname{sum}(W x)"),
    ("sum(x.T @ x)", r"\operatorname{sum}(x^{\top} x)"),
    ("sum(Wa @ x)", r"\operatorname{sum}(\mathit{Wa} \, x)"),
    ("sum(x*y) + sum(x)*y", r"\operatorname{sum}(x \odot y) + \operatorname{sum}(x) y"),
    ("sum(2*x)", r"\operatorname{sum}(2 x)"),
    ("sum([1, 2]*x)", r"\operatorname{sum}(\begin{bmatrix} 1 \\ 2 \end{bmatrix} \odot x)"),
    ("sum([[1, 2], [3, 4]] @ x)",
     r"\operatorname{sum}(\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} x)"),
    ("sum([[1], [2]] * x)",
     r"\operatorname{sum}(\begin{bmatrix} 1 & 2 \end{bmatrix}^{\top} \odot x)"),
    ("sum((A @ B) * C)", r"\operatorname{sum}((A B) \odot C)"),
    ("sum(A @ (B * C))", r"\operatorname{sum}(A (B \odot C))"),
    ("sum(W, axis=0)[1] + mean(x) + max(x) + min(x)",
     r"(\operatorname{sum}_{\mathrm{axis}=0}(W))_{[1]} + \operatorname{mean}(x)"
     r" + \max(x) + \min(x)"),
    ("x[1] + x[0:2][0] + W[:, 0][1] + x[::-1][0]",
     r"x_{[1]} + (x_{[0:2]})_{[0]} + (W_{[:, 0]})_{[1]} + (x_{[::-1]})_{[0]}"),
    ("sum(reshape(W, 1, 4)) + sum(reshape(W, 4))",
     r"\operatorname{sum}(\operatorname{reshape}_{\mathrm{shape}=(1, 4)}(W))"
     r" + \operatorname{sum}(\operatorname{reshape}_{\mathrm{shape}=(4,)}(W))"),
    ("logsumexp(x) + sum(softmax(x)) + sum(softmax(x, axis=0))",
     r"\operatorname{logsumexp}(x) + \operatorname{sum}(\operatorname{softmax}(x))"
     r" + \operatorname{sum}(\operatorname{softmax}_{\mathrm{axis}=0}(x))"),
    ("norm(x) + norm(W, axis=0)[0] + norm(x)^2",
     r"\lVert x \rVert + (\lVert W \rVert_{\mathrm{axis}=0})_{[0]} + \lVert x \rVert^{2}"),
    ("dot(x, y)", r"\operatorname{dot}(x, y)"),
    ("sum([a, b])", r"\operatorname{sum}(\begin{bmatrix} a \\ b \end{bmatrix})"),
    ("sum((x.T).T)", r"\operatorname{sum}((x^{\top})^{\top})"),
]  # fmt: skip

# Values for the names the cases use: arrays where the case needs them.
ARRAYS = {
    "W": np.array([[1.5, -2.0], [0.25, 3.0]]),
    "Wa": np.array([[0.5, 1.0], [-2.0, 1.5]]),
    "A": np.array([[1.0, 2.0], [3.0, -1.0]]),
    "B": np.array([[0.5, -1.5], [2.0, 1.0]]),
    "C": np.array([[2.0, 0.5], [-1.0, 4.0]]),
}


def bindings(graph: Graph) -> dict:
    """Numbers for the names of a case; for a case with arrays, x and y are vectors."""
    rng = np.random.default_rng(len(graph.nodes))
    values = {}
    for name in graph.inputs:
        if name in ARRAYS:
            values[name] = ARRAYS[name]
        elif graph.arrays and name in ("x", "y"):
            values[name] = rng.uniform(0.2, 1.5, size=2)
        else:
            values[name] = np.float64(rng.uniform(0.2, 0.9))
    return values


@pytest.mark.parametrize("source, expected", CASES, ids=[c[0] for c in CASES])
def test_hand_written(source, expected):
    graph = parse(source)
    assert latex_expression(graph, graph.output, lambda i: None) == expected


def test_every_op_has_a_case():
    """A new op in the table fails here until a case above shows its LaTeX."""
    used = {n.op.name for s, _ in CASES for n in parse(s).nodes if n.kind == "op"}
    assert set(OPS) - used == set()


def test_the_cases_read_back_to_their_values():
    for source, expected in CASES:
        graph = parse(source)
        values = bindings(graph)
        symbols = input_symbols(graph)
        tree = read(expected, set(symbols.values()))
        env = {symbols[name]: value for name, value in values.items()}
        with np.errstate(all="ignore"):
            want = forward(graph, values)[graph.output]
            assert np.array_equal(evaluate(tree, env), want, equal_nan=True), source


@pytest.mark.parametrize(
    "text",
    [
        r"\sin x^{2}",  # sin(x^2) or sin(x)^2
        r"\sin(x)^{2}",
        r"\sin x y",  # sin(x y) or sin(x) y
        r"\sin 2 x",
        "a - -b",
        "x 2",  # x2
        "2 3",
        r"2 \frac{1}{2}",  # 2 1/2
        r"\mathit{ab} c",  # \mathit{abc}
        r"A \odot B C",
        r"A B \odot C",
    ],
)
def test_the_reader_refuses_what_reads_two_ways(text):
    symbols = {"x", "y", "a", "b", "c", r"\mathit{ab}", "A", "B", "C"}
    values = {"A": np.eye(2), "B": np.eye(2), "C": np.eye(2)}
    with pytest.raises(Ambiguous):
        evaluate(read(text, symbols), {**values, "x": 1.0, "y": 2.0, "a": 1.0, "b": 2.0})


def test_names():
    assert [latex_name(n) for n in ["x", "x1", "t12", "alpha", "lambda", "pi", "Omega"]] == [
        "x", "x_{1}", "t_{12}", r"\alpha", r"\lambda", r"\pi", r"\Omega",
    ]  # fmt: skip
    assert latex_name("x_max") == r"x_{\mathrm{max}}"
    assert latex_name("alpha_2") == r"\alpha_{2}"
    assert latex_name("W_beta") == r"W_{\beta}"
    assert latex_name("c_2") == "c_{2}"
    assert latex_name("speed") == r"\mathit{speed}"
    assert latex_name("Alpha") == r"\mathit{Alpha}"  # not A, which is the name A
    assert latex_name("omicron") == r"\mathit{omicron}"
    assert latex_name("x_max_2") == r"\mathit{x\_max\_2}"
    assert latex_name("_x") == r"\mathit{\_x}"


def test_names_are_kept_apart():
    names = latex_names(["x1", "x_1", "x", "alpha", "pi"], reserved=[r"\pi"])
    assert names == {
        "x1": r"\mathit{x1}", "x_1": r"\mathit{x\_1}", "x": "x", "alpha": r"\alpha",
        "pi": r"\mathit{pi}",
    }  # fmt: skip
    assert len(set(names.values())) == len(names)


def test_a_name_e_makes_exp_explicit():
    graph = parse("e*exp(x)", bound={"e", "x"})
    assert latex_expression(graph, graph.output, lambda i: None) == r"e \exp(x)"


def test_the_constant_pi_beside_a_name_pi():
    graph = parse("pi*x")
    graph.add_input("pi")
    graph.output = graph.add(OPS["add"], (graph.output, len(graph.nodes) - 1))
    assert latex_program(graph, {"x": graph.output}, {}) == (
        r"\frac{\partial y}{\partial x} = \pi x + \mathit{pi}"
    )


def test_partial():
    assert latex_partial("y", "x") == r"\frac{\partial y}{\partial x}"
    assert latex_partial("loss", "W1") == r"\frac{\partial \mathit{loss}}{\partial W_{1}}"


def test_one_line_alone_several_aligned():
    graph = parse("t = cos(x); 2*x*sin(x) + x^2*t")
    t = graph.nodes[1].id
    assert latex_program(graph, {"x": graph.output}, {}) == (
        r"\frac{\partial y}{\partial x} = 2 x \sin x + x^{2} \cos x"
    )
    assert latex_program(graph, {"x": graph.output, "t": t}, {t: "t1"}) == (
        "\\begin{aligned}\n"
        "t_{1} &= \\cos x \\\\\n"
        "\\frac{\\partial y}{\\partial x} &= 2 x \\sin x + x^{2} t_{1} \\\\\n"
        "\\frac{\\partial y}{\\partial t} &= t_{1}\n"
        "\\end{aligned}"
    )


def test_shapes_tell_numbers_from_arrays():
    graph = parse("sum(W @ v * s) + v @ v")
    values = {"W": ARRAYS["W"], "v": np.array([1.0, 2.0]), "s": np.float64(3.0)}
    shapes = infer_shapes(graph, values)
    without = latex_expression(graph, graph.output, lambda i: None)
    with_shapes = latex_expression(graph, graph.output, lambda i: None, shapes)
    assert without == r"\operatorname{sum}((W v) \odot s) + v v"
    assert with_shapes == r"\operatorname{sum}(W v s) + v^{\top} v"


def test_constants():
    cases = {
        "x + 1.5e-7": r"x + 1.5 \times 10^{-7}",
        "x + .5": "x + 0.5",
        "x + 5.": "x + 5",
        "x + -3": "x + (-3)",
        "(-3)^x": "(-3)^{x}",
        "sum([[1, -2], [3, 4]]*x)": (
            r"\operatorname{sum}(\begin{bmatrix} 1 & -2 \\ 3 & 4 \end{bmatrix} \odot x)"
        ),
    }
    for source, expected in cases.items():
        graph = parse(source)
        assert latex_expression(graph, graph.output, lambda i: None) == expected
    graph = Graph()
    x = graph.add_input("x")
    for value in (math.inf, -math.inf, math.nan, 1e-300, 0.25, 3.0, math.pi):
        graph.add(CONST, name=repr(value), value=value)
    shown = [latex_expression(graph, i, lambda i: None) for i in range(x + 1, len(graph.nodes))]
    assert shown == [
        r"\infty", r"-\infty", r"\mathrm{NaN}", r"1 \times 10^{-300}", "0.25", "3",
        "3.141592653589793",
    ]  # fmt: skip


def test_linear_in_size():
    """A 10^5-term sum and a 10^5-deep nesting, built and written in well under a second
    each: nothing quadratic, nothing recursive."""
    n = 100_000
    graph = Graph()
    total = graph.add_input("x0")
    for k in range(1, n):
        total = graph.add(OPS["add"], (total, graph.add_input(f"x{k}")))
    start = time.process_time()
    text = latex_expression(graph, total, lambda i: None)
    wide = time.process_time() - start
    assert text.startswith("x_{0} + x_{1} + ") and text.endswith(" + x_{99999}")
    assert text.count("+") == n - 1
    deep = Graph()
    node = deep.add_input("x")
    for _ in range(n):
        node = deep.add(OPS["sin"], (node,))
    start = time.process_time()
    text = latex_expression(deep, node, lambda i: None)
    assert text == r"\sin(" * (n - 1) + r"\sin x" + ")" * (n - 1)
    assert wide < 2 and time.process_time() - start < 2


# KaTeX, in a node process kept for the session: one line of JSON in, one out.
KATEX_SCRIPT = """
const katex = require(process.argv[1]);
const lines = require('readline').createInterface({input: process.stdin});
lines.on('line', line => {
  let error = null;
  try {
    const options = {throwOnError: true, strict: 'error', displayMode: true};
    katex.renderToString(JSON.parse(line), options);
  } catch (e) { error = String(e.message || e); }
  process.stdout.write(JSON.stringify(error) + '\\n');
});
"""


def katex_path() -> str | None:
    candidates = [
        os.environ.get("CG_KATEX", ""),
        str(ROOT / ".ci" / "node" / "node_modules" / "katex"),
        "/usr/share/javascript/katex/katex.js",  # Debian's libjs-katex
    ]
    return next((c for c in candidates if c and os.path.exists(c)), None)


MISSING = "KaTeX (npm install --prefix .ci/node katex@0.16) or node is missing"


@pytest.fixture(scope="session")
def katex():
    """render(tex) -> None or KaTeX's error; None in place of render where KaTeX is
    missing, which only CG_REQUIRE_KATEX=1 (CI) makes a failure."""
    path, node = katex_path(), shutil.which("node")
    if path is None or node is None:
        if os.environ.get("CG_REQUIRE_KATEX") == "1":
            pytest.fail(MISSING + ", and CG_REQUIRE_KATEX=1 requires it")
        yield None
        return
    process = subprocess.Popen(
        [node, "-e", KATEX_SCRIPT, path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        bufsize=1,
    )

    def render(tex: str) -> str | None:
        process.stdin.write(json.dumps(tex) + "\n")
        process.stdin.flush()
        return json.loads(process.stdout.readline())

    assert render(r"\frac{1}{") is not None  # it does refuse broken LaTeX
    yield render
    process.stdin.close()
    process.wait(timeout=10)


def test_katex_renders_every_case(katex):
    if katex is None:
        pytest.skip(MISSING)
    graph = parse("t = cos(x); 2*x*sin(x) + x^2*t")
    t = graph.nodes[1].id
    program = latex_program(graph, {"x": graph.output, "t": t}, {t: "t1"})
    errors = {tex: katex(tex) for tex in [e for _, e in CASES] + [program]}
    assert {tex: e for tex, e in errors.items() if e} == {}


# Random expressions: cg's text with every grouping explicit, so that the graph's
# structure is the generator's.
SCALAR_NAMES = ["x", "y", "alpha", "x1", "x_1", "speed", "t_max", "e", "pi"]
NUMBERS = ["0", "1", "2", "7", "12", "0.5", "2.25", "1e-5", "3e10", "1.5E-7", "5.", ".5"]
UNARY = [n for n, op in OPS.items() if op.elementwise and op.arity == 1 and op.symbol is None]
BINARY = [n for n, op in OPS.items() if op.elementwise and op.arity == 2 and op.call]
INFIX = ["+", "-", "*", "/", "^"]


@st.composite
def scalar(draw, depth=4):
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        leaf = draw(st.sampled_from(SCALAR_NAMES + NUMBERS))
        return f"-{leaf}" if draw(st.integers(0, 5)) == 0 else leaf
    kind = draw(st.sampled_from(["infix", "infix", "neg", "unary", "binary"]))
    a = draw(scalar(depth - 1))
    if kind == "neg":
        return f"-({a})"
    if kind == "unary":
        return f"{draw(st.sampled_from(UNARY))}({a})"
    b = draw(scalar(depth - 1))
    if kind == "binary":
        return f"{draw(st.sampled_from(BINARY))}({a}, {b})"
    return f"({a}) {draw(st.sampled_from(INFIX))} ({b})"


POINTS = st.one_of(
    st.floats(-4, 4, allow_nan=False), st.sampled_from([0.0, -0.0, 1.0, math.inf, math.nan])
)


def read_back(katex, graph, values, shapes=None):
    """Render the root's LaTeX with KaTeX (where it is), read it back, and compare with
    cg's value: exactly, unless e^{y} stands for pow(e, y) (read as exp(y), an ulp apart)."""
    symbols = input_symbols(graph)
    tex = latex_expression(graph, graph.output, lambda i: None, shapes)
    assert katex is None or katex(tex) is None, tex
    env = {symbols[name]: value for name, value in values.items()}
    with np.errstate(all="ignore"):
        got = evaluate(read(tex, set(symbols.values())), env)
        want = forward(graph, values)[graph.output]
    nodes = graph.nodes
    euler = any(
        n.kind == "op" and n.op.name == "pow" and nodes[n.inputs[0]].op == CONST
        and nodes[n.inputs[0]].name == "e" for n in nodes
    )  # fmt: skip
    if euler:
        np.testing.assert_allclose(got, want, rtol=1e-14, atol=0, equal_nan=True, err_msg=tex)
    else:
        assert np.array_equal(got, want, equal_nan=True), (tex, got, want)


@given(scalar(), st.lists(POINTS, min_size=len(SCALAR_NAMES), max_size=len(SCALAR_NAMES)),
       st.booleans())  # fmt: skip
def test_random_expressions_render_and_read_back(katex, source, points, bind_constants):
    bound = set(SCALAR_NAMES) if bind_constants else set(SCALAR_NAMES) - {"e", "pi"}
    graph = parse(source, bound=bound)
    values = {n: np.float64(p) for n, p in zip(SCALAR_NAMES, points) if n in graph.inputs}
    read_back(katex, graph, values)


# Arrays: expressions by shape, s a number, v of 2 elements, M 2x2.
@st.composite
def array(draw, shape, depth=3):
    leaves = {"s": ["s", "2", "0.5"], "v": ["v", "u", "[1, -2]"], "M": ["W", "[[1, 2], [3, 4]]"]}
    if depth == 0 or draw(st.integers(0, 3)) == 0:
        return draw(st.sampled_from(leaves[shape]))

    def sub(s):
        return draw(array(s, depth - 1))

    forms = {
        "s": [
            lambda: f"({sub('s')}) * ({sub('s')})", lambda: f"sin({sub('s')})",
            lambda: f"sum({sub('v')})", lambda: f"sum({sub('M')})",
            lambda: f"({sub('v')}) @ ({sub('v')})", lambda: f"norm({sub('v')})",
            lambda: f"max({sub('v')})", lambda: f"({sub('v')})[0]",
            lambda: f"({sub('M')})[1, 0]", lambda: f"logsumexp({sub('v')})",
            lambda: f"dot({sub('v')}, {sub('v')})", lambda: f"mean({sub('M')}, axis=0)[1]",
        ],
        "v": [
            lambda: f"({sub('M')}) @ ({sub('v')})", lambda: f"({sub('v')}) @ ({sub('M')})",
            lambda: f"({sub('v')}) * ({sub('v')})", lambda: f"({sub('v')}) + ({sub('v')})",
            lambda: f"({sub('s')}) * ({sub('v')})", lambda: f"({sub('v')}) * ({sub('s')})",
            lambda: f"-({sub('v')})", lambda: f"exp({sub('v')})", lambda: f"({sub('v')}).T",
            lambda: f"({sub('M')})[0]", lambda: f"({sub('M')})[:, 1]",
            lambda: f"softmax({sub('v')})", lambda: f"({sub('v')})[::-1]",
            lambda: f"[{sub('s')}, {sub('s')}]", lambda: f"max({sub('M')}, axis=1)",
            lambda: f"reshape({sub('M')}, 4)[1:3]",
        ],
        "M": [
            lambda: f"({sub('M')}) @ ({sub('M')})", lambda: f"({sub('M')}) * ({sub('M')})",
            lambda: f"({sub('M')}) - ({sub('M')})", lambda: f"({sub('s')}) * ({sub('M')})",
            lambda: f"({sub('M')}).T", lambda: f"[{sub('v')}, {sub('v')}]",
            lambda: f"softmax({sub('M')}, axis=0)", lambda: "[[1], [2]] @ [[3, 4]]",
            lambda: f"reshape({sub('v')} * {sub('v')}, 2, 1) @ [[1, 2]]",
        ],
    }  # fmt: skip
    return draw(st.sampled_from(forms[shape]))()


@given(array("s"), st.booleans())
def test_random_array_expressions_render_and_read_back(katex, source, with_shapes):
    graph = parse(source)
    everything = {
        "s": np.float64(1.5), "v": np.array([0.5, -1.25]), "u": np.array([2.0, 0.75]),
        "W": ARRAYS["W"],
    }  # fmt: skip
    values = {n: v for n, v in everything.items() if n in graph.inputs}
    shapes = infer_shapes(graph, values) if with_shapes else None
    read_back(katex, graph, values, shapes)
