"""The printer of graphs as cg programs: what it prints, and that cg reads it back into
the same values, bit for bit, as the graph it was printed from."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cgcli.emit.formula import Program, program, shared_size, single, tree_size
from cgcli.graph import CONST, Graph
from cgcli.interpret.evaluate import evaluate, forward
from cgcli.language.parse import parse
from cgcli.ops import OPS

SCALARS = {"x": 0.7, "y": -1.3, "z": 2.5}
ARRAYS = {
    "v": np.array([0.5, -1.25, 2.0]),
    "w": np.array([-0.3, 0.8, 1.7]),
    "A": np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.5]]),
    "B": np.array([[0.1, 0.2], [-0.3, 0.4], [0.5, -0.6]]),
    "M": np.array([[2.0, 0.5, -1.0], [0.0, 1.5, 0.25], [-0.75, 1.0, 3.0]]),
}
VALUES = {**SCALARS, **ARRAYS}


def values(graph: Graph, bindings: dict) -> list:
    with np.errstate(all="ignore"):
        return forward(graph, bindings)


def assert_same(a, b) -> None:
    """The same float64s in the same shape: equal bits, -0 apart from 0, NaN where NaN."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape
    nan = np.isnan(a)
    assert np.array_equal(nan, np.isnan(b)), (a, b)
    assert np.array_equal(a[~nan].view(np.int64), b[~nan].view(np.int64)), (a, b)


def reread(graph: Graph, node: int, bindings: dict, **options) -> str:
    """Print one output, read it back and compare its value with the original's."""
    text = single(graph, node, **options)
    again = parse(text, bound=bindings)
    assert_same(values(again, bindings)[again.output], values(graph, bindings)[node])
    return text


def round_trip(source: str, bindings: dict = VALUES, **options) -> str:
    graph = parse(source, bound=bindings)
    text = reread(graph, graph.output, bindings, **options)
    settled(text, bindings, **options)
    return text


def settled(text: str, bindings: dict, **options) -> None:
    """Printing what was read back prints the same text, the structure came back too;
    but where cg reads -(-2) as 2, or [p, 2] with p = 2.50 as the constant [2.5, 2],
    the text changes: once for each level of such folding (-(-0) named as statements,
    t1 = -0; t2 = -t1, folds one statement a round), and then no more."""
    for _ in range(4):
        again = parse(text, bound=bindings)
        twice = reread(again, again.output, bindings, **options)
        if twice == text:
            return
        text = twice
    raise AssertionError(f"the printed text does not settle: {text!r}")


# Every op of the table, each in several settings. Elementwise functions are written
# by a loop over the table below; the array ops and operators are listed here, and a
# test checks that together they cover every op, so that a new op must join them.
# fmt: off
CORPUS = [
    "x + y", "x - y", "x * y", "x / y", "x ^ z", "x ** 2", "-x", "x - (y - z)", "x - y - z",
    "x + (y + z)", "x / (y * z)", "x / y * z", "(x + y) ^ z", "(-x) ^ 2", "-x ^ 2", "2 ^ -1",
    "x ^ y ^ z", "(x ^ y) ^ z", "-(-x)", "--x", "x * -2", "x - -2", "x - (-0)", "x + 0",
    "-0 * x", "-(x * y)", "-x * y", "(x + y) * (x - y)", "q = x * y; q * q + q",
    "p = sin(x); p = p * p; p + 1", "k = 2.5; k * x", "1e-5 * x + 0.1", "pi * x + e", "e ^ x",
    "1/0 * x", "0/0 + x", "-1/0 - x", "x * 1e300 * 1e300", "0.1 + 0.2 + 0.3 * x", ".5 * x",
    "x ^ 0.5 ^ 2", "sin(x)^2 + cos(x)^2", "pow(x, y)", "max(x, -y)", "min(x, -y)",
    "atan2(y, -x)", "relu(-x) + relu(x)", "softplus(-x)", "log(x) - ln(z)",
    # Arrays
    "sum(v)", "sum(A, axis=0)", "sum(A, axis=-1)", "mean(A)", "mean(A, axis=1)", "max(A)",
    "max(A, axis=0)", "min(A, axis=1)", "logsumexp(v)", "logsumexp(A, axis=0)", "softmax(v)",
    "softmax(A, axis=0)", "softmax(A, axis=-1)", "norm(v)", "norm(A, axis=1)", "A.T",
    "(A @ B).T", "A @ B @ A", "A @ (B @ A)", "M @ v", "v @ M @ w", "dot(v, w)", "dot(M, v)",
    "reshape(A, 3, 2)", "broadcast(v, 2, 3)", "broadcast(sum(v), 4) * 2", "reshape(A, -1)",
    "reshape(A, 6, 1)", "reshape(sum(v), 1)", "v[0]",
    "v[-1]", "v[::-1]", "v[2:0:-1]", "A[1:3, 0]", "A[:, 1:]", "A[-1, ::-2]", "A[0][1]",
    "(v + w)[1]", "(-v)[0]", "-v[0]", "A.T[0]", "[x, y, z]", "[x, -y] * 2", "[v, w] @ v",
    "[[x, y], [z, x]] @ [1, 2]", "[[1, 2], [3, 4]] @ [x, y]", "[1, -0, 1.5e-3] * v",
    "sum([0.1, 0.2] * x)", "W = [[1, 2], [3, 4]]; W @ W @ [x, y]",
    "c = A @ B; sum(c * c) + max(c)", "sigmoid(v) * tanh(w)", "exp(-v) + log(abs(w))", "(2).T",
    "(2.5).T", "v.T.T @ w", "A[1] @ B", "x * v - M @ w",
]
# fmt: on


def elementwise_programs() -> list[str]:
    """Each elementwise function of the table on numbers and on arrays."""
    arguments = {1: ["x", "v", "x * y - z"], 2: ["x, y", "v, w", "x - 1, -v"]}
    return [
        f"{op.call}({args})"
        for op in OPS.values()
        if op.elementwise and op.call and not op.params
        for args in arguments[op.arity]
    ]


@pytest.mark.parametrize("source", CORPUS + elementwise_programs())
def test_printed_programs_read_back_to_the_same_values(source):
    round_trip(source)
    round_trip(source, inline=None)
    round_trip(source, inline=1)  # every operation a statement


def test_the_corpus_covers_every_op():
    used = set()
    for source in CORPUS + elementwise_programs():
        used |= {node.op_name for node in parse(source, bound=VALUES).nodes}
    assert set(OPS) <= used, set(OPS) - used


@pytest.mark.parametrize(
    ("source", "printed"),
    [
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a + (b + c)", "a + (b + c)"),
        ("(a + b) + c", "a + b + c"),
        ("a / (b * c)", "a / (b * c)"),
        ("a * (b / c)", "a * (b / c)"),
        ("(a / b) * c", "a / b * c"),
        ("a * b + c * d", "a * b + c * d"),
        ("(a + b) * c", "(a + b) * c"),
        ("(a + b)^c", "(a + b)^c"),
        ("(a * b)^c", "(a * b)^c"),
        ("a^(b * c)", "a^(b * c)"),
        ("(-x)^2", "(-x)^2"),
        ("-x^2", "-x^2"),
        ("-(x^2)", "-x^2"),
        ("2^-1", "2^-1"),
        ("2^(-1)", "2^-1"),
        ("x^-y", "x^-y"),
        ("x^(-y^2)", "x^-y^2"),
        ("x^y^z", "x^y^z"),
        ("x^(y^z)", "x^y^z"),
        ("(x^y)^z", "(x^y)^z"),
        ("(-2)^x", "(-2)^x"),
        ("-2^x", "-2^x"),
        ("(a*b).T", "(a * b).T"),
        ("(x + y)[0]", "(x + y)[0]"),
        ("(-x)[0]", "(-x)[0]"),
        ("-x[0]", "-x[0]"),
        ("(x^2)[0]", "(x^2)[0]"),
        ("x[0]^2", "x[0]^2"),
        ("x.T.T[1:3, 0]", "x.T.T[1:3, 0]"),
        ("(2).T", "(2).T"),
        ("-(-x)", "-(-x)"),
        ("--x", "-(-x)"),
        ("-(-(-x))", "-(-(-x))"),
        ("x * -2", "x * (-2)"),
        ("x - -2", "x - (-2)"),
        ("x + -y", "x + (-y)"),
        ("x / -y", "x / (-y)"),
        ("x - (-0)", "x - (-0)"),
        ("-x * y", "-x * y"),
        ("(-x) * y", "-x * y"),
        ("-(x * y)", "-(x * y)"),
        ("-x - y", "-x - y"),
        ("-(x - y)", "-(x - y)"),
        ("x * (-x - y)", "x * (-x - y)"),
        ("x + (-x - y) * z", "x + (-x - y) * z"),
        ("x @ (y @ z)", "x @ (y @ z)"),
        ("(x @ y) @ z", "x @ y @ z"),
        ("x * y @ z", "x * y @ z"),
        ("x * (y @ z)", "x * (y @ z)"),
        ("sin((x + y))", "sin(x + y)"),
        ("atan2(-y, (x - 1))", "atan2(-y, x - 1)"),
        ("[(x + 1), -y]", "[x + 1, -y]"),
        ("sum(x, axis=0)", "sum(x, axis=0)"),
        ("sum(x, axis=-1)", "sum(x, axis=-1)"),
        ("sum(x)", "sum(x)"),
        ("softmax(x, axis=-1)", "softmax(x)"),
        ("softmax(x, axis=0)", "softmax(x, axis=0)"),
        ("max(x, axis=1)", "max(x, axis=1)"),
        ("pow(x, y + 1)", "x^(y + 1)"),
        ("reshape(x, 2, 3)", "reshape(x, 2, 3)"),
        ("reshape(x, shape=[2, 3])", "reshape(x, 2, 3)"),
        ("x[::-1]", "x[::-1]"),
        ("x[-1, :2]", "x[-1, :2]"),
        ("x[1:, ::-2]", "x[1:, ::-2]"),
        ("x ** 2", "x^2"),
        ("1e-5 * x", "1e-5 * x"),
        ("2.50 * x", "2.50 * x"),
        ("[[1, 2], [3, 4.5]] @ x", "[[1, 2], [3, 4.5]] @ x"),
        ("[1, -0] * x", "[1, -0.0] * x"),
        ("pi * e", "pi * e"),
        ("-pi * x", "-pi * x"),
        ("x * -e", "x * (-e)"),
        ("(-pi)^2", "(-pi)^2"),
        ("x / (1/0)", "x / (1 / 0)"),
    ],
)
def test_the_fewest_parentheses_that_read_back_right(source, printed):
    graph = parse(source)
    assert single(graph, graph.output) == printed + "\n"


def hand_graph(source: str = "") -> Graph:
    """A graph built as a transform builds one: nodes added one by one."""
    graph = Graph(source)
    return graph


def const(graph: Graph, value, literal=None) -> int:
    return graph.add(CONST, name=literal or "c", value=value, literal=literal)


@pytest.mark.parametrize(
    ("value", "printed"),
    [
        (math.inf, "x * (1 / 0)"),
        (-math.inf, "x * (-1 / 0)"),
        (math.nan, "x * (0 / 0)"),
        (-0.0, "x * (-0.0)"),
        (0.0, "x * 0"),
        (2.0, "x * 2"),
        (-2.0, "x * (-2)"),
        (0.1, "x * 0.1"),
        (1 / 3, "x * 0.3333333333333333"),
        (5e-324, "x * 5e-324"),
        (1e16, "x * 1e+16"),
        (2.0**53 - 1, "x * 9007199254740991"),
        (2.0**53, "x * 9007199254740992.0"),
        (-1.7976931348623157e308, "x * (-1.7976931348623157e+308)"),
        (math.pi, "x * pi"),
        (math.e, "x * e"),
        (-math.pi, "x * (-pi)"),
        (math.pi / 2, "x * 1.5707963267948966"),
        (np.float64(0.25), "x * 0.25"),
        (np.array(-1.5), "x * (-1.5)"),
        (np.array([1.0, -0.0, math.inf, math.nan]), "x * [1, -0.0, 1 / 0, 0 / 0]"),
        (np.array([[0.5, 2.0], [-3.0, 1e-300]]), "x * [[0.5, 2], [-3, 1e-300]]"),
        (np.zeros((2, 0)), "x * reshape([0][0:0], 2, 0)"),
        (np.zeros((0,)), "x * reshape([0][0:0], 0)"),
    ],
)
def test_constants_read_back_to_the_same_float64(value, printed):
    # Constants a transform made: no literal; inf and NaN come of constant folding.
    graph = hand_graph()
    x = graph.add_input("x")
    out = graph.add(OPS["mul"], (x, const(graph, value)))
    assert single(graph, out) == printed + "\n"
    for point in (1.5, -0.0, -2.0):
        reread(graph, out, {"x": point})


def test_a_literal_is_printed_as_written_unless_it_no_longer_holds_the_value():
    graph = hand_graph()
    x = graph.add_input("x")
    written = graph.add(OPS["add"], (x, const(graph, 0.1, "0.100")))
    stale = graph.add(OPS["add"], (written, const(graph, 0.5, "0.25")))
    assert single(graph, stale) == "x + 0.100 + 0.5\n"


def test_pi_and_e_are_numbers_where_the_names_mean_something_else():
    bindings = {"pi": 2.0, "e": 3.0, "x": 0.5}
    graph = parse("pi * e + x", bound=bindings)
    out = graph.add(OPS["add"], (graph.output, const(graph, math.pi)))
    out = graph.add(OPS["mul"], (out, const(graph, math.e)))
    text = reread(graph, out, bindings)
    assert text == "(pi * e + x + 3.141592653589793) * 2.718281828459045\n"
    # Reserved, or a label: the caller will give the name its own meaning.
    graph = hand_graph()
    out = graph.add(OPS["sin"], (const(graph, math.pi),))
    assert single(graph, out, reserved={"pi"}) == "sin(3.141592653589793)\n"
    assert program(graph, {"e": out, "f": out}).statements == [("t1", "sin(pi)")]
    assert program(graph, {"pi": out}).lines == [("pi", "sin(3.141592653589793)")]


def test_a_statement_the_user_called_pi_keeps_its_name_when_no_pi_is_printed():
    text = round_trip("pi = x + 1; pi * pi")
    assert text == "pi = x + 1\npi * pi\n"
    # With the constant pi printed too, the statement gives the name up.
    graph = hand_graph("pi = x + 1; pi * pi")
    x = graph.add_input("x")
    p = graph.add(OPS["add"], (x, const(graph, math.pi)), name="pi")
    out = graph.add(OPS["mul"], (p, p))
    assert reread(graph, out, {"x": 0.3}) == "t1 = x + pi\nt1 * t1\n"


def shared_square(graph: Graph, x: int, name=None) -> int:
    s = graph.add(OPS["sin"], (x,), name=name)
    return graph.add(OPS["mul"], (s, s))


def test_shared_nodes_become_statements_named_past_every_name_in_use():
    graph = hand_graph()
    x = graph.add_input("x")
    assert single(graph, shared_square(graph, x)) == "t1 = sin(x)\nt1 * t1\n"
    # Inputs called t1 and t2, and reserved names, are skipped.
    graph = hand_graph()
    t1, t2 = graph.add_input("t1"), graph.add_input("t2")
    out = graph.add(OPS["add"], (shared_square(graph, t1), shared_square(graph, t2)))
    text = reread(graph, out, {"t1": 0.4, "t2": -1.1}, reserved={"t3"})
    assert text == "t4 = sin(t1)\nt5 = sin(t2)\nt4 * t4 + t5 * t5\n"


def test_the_users_names_are_kept_when_they_are_free():
    assert round_trip("y = sin(x); y * y") == "y = sin(x)\ny * y\n"
    # x = x + 1 names a second node x: it is called otherwise.
    assert round_trip("x = x + 1; x * x") == "t1 = x + 1\nt1 * t1\n"
    # Not a name the user wrote (cg generated it), a function's name, a duplicate.
    graph = hand_graph("sin y")
    x = graph.add_input("x")
    a = shared_square(graph, x, name="sin")
    b = shared_square(graph, a, name="y")
    c = shared_square(graph, b, name="y")
    d = shared_square(graph, c, name="q")
    text = reread(graph, d, {"x": 0.9})
    assert text == ("t1 = sin(x)\ny = sin(t1 * t1)\nt2 = sin(y * y)\nt3 = sin(t2 * t2)\nt3 * t3\n")
    # A name in reserved is left to the caller.
    assert single(parse("y = sin(x); y * y"), 2, reserved={"y"}).startswith("t1 = sin(x)")


def test_sin_cannot_be_an_input():
    with pytest.raises(Exception, match="is a function"):
        parse("sin + 1")


def test_several_outputs_share_their_statements():
    graph = parse("a = x * y; b = sin(a); c = cos(a); b + c")
    b, c = graph.nodes[graph.output].inputs
    printed = program(graph, {"db": b, "dc": c})
    assert printed == Program([("a", "x * y")], [("db", "sin(a)"), ("dc", "cos(a)")])
    assert printed.text() == "a = x * y\ndb = sin(a)\ndc = cos(a)\n"
    # An output another output uses is a statement; each line names it.
    a = graph.nodes[b].inputs[0]
    printed = program(graph, {"f": a, "g": b, "h": b})
    assert printed.statements == [("a", "x * y"), ("b", "sin(a)")]
    assert printed.lines == [("f", "a"), ("g", "b"), ("h", "b")]
    # Labels are names the statements do not take.
    graph = hand_graph()
    x = graph.add_input("x")
    out = shared_square(graph, x)
    printed = program(graph, {"t1": out, "t2": x})
    assert printed.text() == "t3 = sin(x)\nt1 = t3 * t3\nt2 = x\n"


def labelled_values(text: str, labels, bindings: dict) -> dict:
    """Each label's value: the program with the label as its last statement."""
    found = {}
    for label in labels:
        graph = parse(text + label, bound=bindings)
        found[label] = values(graph, bindings)[graph.output]
    return found


def test_a_programs_text_reads_back_with_every_outputs_value():
    graph = parse("c = A @ B; d = c * c; s = sum(d, axis=0); t = softmax(c); d[0, 1] - max(t)")
    outputs = {"f": graph.output, "g": graph.output - 2, "h": 3}
    text = program(graph, outputs, inline=10).text()
    expected = values(graph, VALUES)
    got = labelled_values(text, outputs, VALUES)
    for label, node in outputs.items():
        assert_same(got[label], expected[node])


def test_single_evaluates_as_cg_evaluates_the_original():
    source = "q = x * y - z; r = sin(q) * q; r / (1 + r * r) - q^2"
    graph = parse(source)
    text = single(graph, graph.output, inline=8)
    assert text.count("\n") > 3
    a = evaluate(parse(text), SCALARS)
    b = evaluate(graph, SCALARS)
    assert_same(a.output, b.output)
    for name in SCALARS:
        assert_same(a.gradient[name], b.gradient[name])


def test_long_text_is_cut_into_statements_and_none_keeps_it_whole():
    source = " + ".join(f"sin(x * {k})" for k in range(1, 30))
    cut = round_trip(source, inline=40).splitlines()
    assert len(cut) > 5 and max(map(len, cut)) < 40 + 30
    assert len(round_trip(source, inline=None).splitlines()) == 1


def test_a_chain_nested_a_hundred_thousand_deep_reads_back():
    n = 10**5
    source = "sin(" * n + "x" + ")" * n
    graph = parse(source, bound=SCALARS)
    assert single(graph, graph.output, inline=None) == source + "\n"
    lines = reread(graph, graph.output, SCALARS).splitlines()
    # Statements of about 60 characters: 5 characters a level.
    assert 5 * n // 70 < len(lines) < 5 * n // 50 and max(map(len, lines)) < 80
    graph = parse("-(" * n + "x" + ")" * n)
    expected = "-(" * (n - 1) + "-x" + ")" * (n - 1) + "\n"
    assert single(graph, graph.output, inline=None) == expected


def test_a_chain_a_million_deep_prints_without_recursion():
    n = 10**6
    graph = hand_graph()
    node = graph.add_input("x")
    for _ in range(n):
        node = graph.add(OPS["cos"], (node,))
    text = single(graph, node)
    lines = text.splitlines()
    assert 5 * n // 70 < len(lines) < 5 * n // 50 and max(map(len, lines)) < 80
    assert text.count("cos(") == text.count(")") == n
    k = lines[0].count("cos(")
    assert lines[0] == "t1 = " + "cos(" * k + "x" + ")" * k
    assert lines[1] == "t2 = " + "cos(" * k + "t1" + ")" * k


def test_a_sum_of_a_hundred_thousand_terms_reads_back():
    n = 10**5
    source = " + ".join(f"x * {k}" for k in range(n))
    graph = parse(source, bound=SCALARS)
    assert single(graph, graph.output, inline=None) == source + "\n"
    lines = reread(graph, graph.output, SCALARS).splitlines()
    assert max(map(len, lines)) < 80 and len(lines) < len(source) // 50


def test_the_text_is_the_same_every_time():
    source = "a = sin(x); b = a * a; c = b + a; d = c * b; d + c * [x, a] @ [b, c]"
    first = [single(parse(source), parse(source).output, inline=k) for k in (None, 1, 12)]
    again = [single(parse(source), parse(source).output, inline=k) for k in (None, 1, 12)]
    assert first == again
    assert len(set(first)) == 3


def squarings(k: int) -> tuple[Graph, list[int]]:
    """x1 = x*x, x2 = x1*x1, ...: a tree of 2^k - 1 products with k distinct."""
    graph = hand_graph()
    nodes = [graph.add_input("x")]
    for _ in range(k):
        nodes.append(graph.add(OPS["mul"], (nodes[-1], nodes[-1])))
    return graph, nodes


def test_tree_size_counts_the_operations_of_the_written_out_trees():
    graph, nodes = squarings(10)
    assert tree_size(graph, [nodes[10]]) == 1023
    assert shared_size(graph, [nodes[10]]) == 10
    assert tree_size(graph, [nodes[3], nodes[2]]) == 7 + 3
    assert shared_size(graph, [nodes[3], nodes[2]]) == 3
    assert tree_size(graph, [nodes[0]]) == shared_size(graph, [nodes[0]]) == 0
    graph, nodes = squarings(1000)
    assert tree_size(graph, [nodes[-1]]) == 2**1000 - 1
    # a = x + 1; b = a * a; c = b + a: trees of 1, 3 and 5 operations.
    graph = parse("a = x + 1; b = a * a; c = b + a; sin(c)")
    a, b, c = 2, 3, 4
    assert [tree_size(graph, [n]) for n in (a, b, c)] == [1, 3, 5]
    assert tree_size(graph, [b, c]) == 8 and shared_size(graph, [b, c]) == 3
    assert tree_size(graph, [graph.output]) == 6 and shared_size(graph, [graph.output]) == 4


def test_the_printed_size_follows_the_shared_size_not_the_tree():
    graph, nodes = squarings(200)
    text = single(graph, nodes[-1])
    assert text.count("\n") == 200
    reread(graph, nodes[-1], {"x": 1.0000001})


# Random programs: every subterm written in parentheses, so that the parser alone
# decides the structure, and the printer's fewest parentheses must keep it.
FUNCTIONS = sorted(
    (op.call, op.arity) for op in OPS.values() if op.elementwise and op.call and not op.params
)
LITERALS = ["0", "(-0)", "2", "0.5", "1e-3", "(-1.5)", "1e300", "3", "pi", "e", "(1/0)"]
POINTS = st.one_of(
    st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, math.inf, -math.inf, math.nan]),
    st.floats(-1e3, 1e3),
    st.floats(allow_nan=True, allow_infinity=True),
)


@st.composite
def scalar_terms(draw, names, depth):
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(st.sampled_from(LITERALS + list(names) * 2))
    sub = scalar_terms(names, depth - 1)
    kind = draw(st.sampled_from(["binary", "binary", "neg", "call"]))
    if kind == "binary":
        op = draw(st.sampled_from(["+", "-", "*", "/", "^", "**"]))
        return f"({draw(sub)}){op}({draw(sub)})"
    if kind == "neg":
        return f"-({draw(sub)})"
    name, arity = draw(st.sampled_from(FUNCTIONS))
    return f"{name}({', '.join(draw(sub) for _ in range(arity))})"


@st.composite
def scalar_programs(draw):
    """Statements p, q (used again below them, so shared) and an output."""
    names, lines = ["x", "y", "z"], []
    for target in draw(st.lists(st.sampled_from(["p", "q", "t1"]), max_size=3)):
        lines.append(f"{target} = {draw(scalar_terms(tuple(names), 4))}")
        names.append(target)
    lines.append(draw(scalar_terms(tuple(names), 6)))
    return "\n".join(lines)


@given(
    scalar_programs(), st.lists(POINTS, min_size=3, max_size=3), st.sampled_from([None, 1, 12, 60])
)
def test_random_programs_read_back_bit_for_bit(source, point, inline):
    bindings = dict(zip("xyz", point))
    graph = parse(source, bound=bindings)
    settled(reread(graph, graph.output, bindings, inline=inline), bindings, inline=inline)


@st.composite
def array_terms(draw, depth):
    """(text, is it a vector of 3): arrays and numbers, mixed as broadcasting allows."""
    if depth <= 0 or draw(st.integers(0, 4)) == 0:
        return draw(
            st.sampled_from(
                [
                    ("v", True),
                    ("w", True),
                    ("x", False),
                    ("2", False),
                    ("[1, -0, 2.5]", True),
                    ("(-0.5)", False),
                ]
            )
        )
    sub = array_terms(depth - 1)
    a = draw(sub)
    kind = draw(st.sampled_from(["binary", "neg", "call", "vector", "reduce", "build"]))
    if kind == "binary":
        b = draw(sub)
        return f"({a[0]}){draw(st.sampled_from('+-*/'))}({b[0]})", a[1] or b[1]
    if kind == "neg":
        return f"-({a[0]})", a[1]
    if kind == "call":
        name, _ = draw(st.sampled_from([f for f in FUNCTIONS if f[1] == 1]))
        return f"{name}({a[0]})", a[1]
    vector = a[0] if a[1] else f"({a[0]})*v"
    if kind == "vector":
        return draw(
            st.sampled_from(
                [
                    f"({vector})[::-1]",
                    f"({vector})[-3:][::-1]",
                    f"softmax({vector})",
                    f"softmax({vector}, axis=0)",
                    f"reshape({vector}, 3)",
                    f"({vector}).T",
                    f"[[1, 0, 0], [0, 2, 1], [0, 0, -1]] @ ({vector})",
                    f"reshape(reshape({vector}, 3, 1).T, 3)",
                ]
            )
        ), True
    if kind == "reduce":
        return draw(
            st.sampled_from(
                [
                    f"sum({vector})",
                    f"mean({vector}, axis=0)",
                    f"max({vector})",
                    f"min({vector})",
                    f"norm({vector})",
                    f"logsumexp({vector})",
                    f"({vector})[-1]",
                    f"({vector})@(w)",
                    f"dot({vector}, v)",
                ]
            )
        ), False
    b, c = draw(sub)[0], draw(sub)[0]
    if a[1]:
        return f"[{a[0]}, ({b})*v][1]", True
    return f"[{a[0]}, sum({b})*x, sum({c})]", True


@given(array_terms(5), st.lists(POINTS, min_size=7, max_size=7), st.sampled_from([None, 1, 20, 60]))
def test_random_array_programs_read_back_bit_for_bit(term, point, inline):
    bindings = {"x": point[0], "v": np.array(point[1:4]), "w": np.array(point[4:])}
    source = term[0] if not term[1] else f"sum({term[0]})"
    graph = parse(source, bound=bindings)
    for node in (graph.output, *graph.nodes[graph.output].inputs):
        reread(graph, node, bindings, inline=inline)


@settings(max_examples=max(10, settings.default.max_examples // 3))
@given(scalar_programs(), st.lists(POINTS, min_size=3, max_size=3))
def test_random_outputs_of_one_graph_read_back_as_one_program(source, point):
    bindings = dict(zip("xyz", point))
    graph = parse(source, bound=bindings)
    operations = [n.id for n in graph.nodes if n.kind == "op"] or [graph.output]
    outputs = {f"out{k}": node for k, node in enumerate(operations[::3] + [graph.output])}
    text = program(graph, outputs, inline=20).text()
    expected = values(graph, bindings)
    got = labelled_values(text, outputs, bindings)
    for label, node in outputs.items():
        assert_same(got[label], expected[node])
