"""The one forward and one reverse loop, driven through the Domain interface: a domain
that writes formulas and counts its calls, and the float and exact domains by hand."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np

from cgcli.graph import CONST, INPUT, Graph
from cgcli.interpret import loops
from cgcli.interpret.domains import FloatDomain
from cgcli.interpret.exact import ExactDomain
from cgcli.language.parse import parse
from cgcli.ops import OPS


class Formulas:
    """Values and adjoints as text, with every call counted: a stand-in for a
    symbolic domain, whose values are expressions rather than numbers."""

    def __init__(self):
        self.calls = {"leaf": [], "apply": [], "seed": [], "vjp": [], "add": []}

    def leaf(self, node, bound):
        self.calls["leaf"].append(node.id)
        return node.name if node.op == INPUT else str(node.value)

    def apply(self, node, args):
        self.calls["apply"].append(node.id)
        return f"{node.op.name}({', '.join(args)})"

    def seed(self, out_value):
        self.calls["seed"].append(out_value)
        return "1"

    def vjp(self, node, p, g, z, args):
        self.calls["vjp"].append((node.id, p))
        return f"{g}*d{p}{node.op.name}({', '.join(args)})"

    def add(self, previous, contribution):
        self.calls["add"].append((previous, contribution))
        return f"({previous} + {contribution})"


def by_hand() -> Graph:
    """(x*x + 3*y) * x, node by node: x0 y1 c2 m3=x*x m4=c*y a5=m3+m4 o6=a5*x."""
    graph = Graph()
    x = graph.add_input("x")
    y = graph.add_input("y")
    c = graph.add(CONST, name="3", value=3.0, literal="3")
    m3 = graph.add(OPS["mul"], (x, x))
    m4 = graph.add(OPS["mul"], (c, y))
    a5 = graph.add(OPS["add"], (m3, m4))
    graph.output = graph.add(OPS["mul"], (a5, x))
    return graph


def test_forward_calls_leaf_and_apply_once_a_node_in_order():
    graph, domain = by_hand(), Formulas()
    values = loops.forward(graph, domain, {"x": "bound x", "y": "bound y"})
    assert values == [
        "x",
        "y",
        "3.0",
        "mul(x, x)",
        "mul(3.0, y)",
        "add(mul(x, x), mul(3.0, y))",
        "mul(add(mul(x, x), mul(3.0, y)), x)",
    ]
    assert domain.calls["leaf"] == [0, 1, 2]
    assert domain.calls["apply"] == [3, 4, 5, 6]
    assert not domain.calls["vjp"] and not domain.calls["add"] and not domain.calls["seed"]


def test_backward_calls_vjp_once_an_edge_into_an_active_node_and_add_once_a_meeting():
    graph, domain = by_hand(), Formulas()
    values = loops.forward(graph, domain, {"x": None, "y": None})
    adjoints = loops.backward(graph, values, domain)
    z6, a5, m3, m4 = values[6], values[5], values[3], values[4]
    assert domain.calls["seed"] == [z6]
    # Reverse order; the constant (node 2) is not active, so mul(3, y) sends nothing to it.
    assert domain.calls["vjp"] == [(6, 0), (6, 1), (5, 0), (5, 1), (4, 1), (3, 0), (3, 1)]
    g5 = "1*d0mul(" + a5 + ", x)"
    g3 = g5 + "*d0add(" + m3 + ", " + m4 + ")"
    g4 = g5 + "*d1add(" + m3 + ", " + m4 + ")"
    from_6 = "1*d1mul(" + a5 + ", x)"
    # x receives three contributions (o6 directly, and both arguments of x*x): two adds,
    # in the order the reverse loop meets them.
    x = f"(({from_6} + {g3}*d0mul(x, x)) + {g3}*d1mul(x, x))"
    assert adjoints == [x, f"{g4}*d1mul(3.0, y)", None, g3, g4, g5, "1"]
    assert len(domain.calls["add"]) == 2


def test_a_given_seed_is_used_and_the_domain_is_not_asked():
    graph, domain = by_hand(), Formulas()
    values = loops.forward(graph, domain, {"x": None, "y": None})
    adjoints = loops.backward(graph, values, domain, seed="s")
    assert domain.calls["seed"] == []
    assert adjoints[6] == "s" and adjoints[5] == "s*d0mul(" + values[5] + ", x)"


def test_inactive_nodes_receive_nothing():
    # Only y is active: x's adjoint, and the vjps into it, are never computed.
    graph, domain = by_hand(), Formulas()
    values = loops.forward(graph, domain, {"x": None, "y": None})
    active = [False, True, False, False, True, True, True]
    adjoints = loops.backward(graph, values, domain, active)
    assert adjoints[0] is None and adjoints[3] is None
    assert domain.calls["vjp"] == [(6, 0), (5, 1), (4, 1)]
    assert domain.calls["add"] == []


def test_the_loops_are_loops_at_depth_100000():
    class Count:
        def leaf(self, node, bound):
            return 0

        def apply(self, node, args):
            return args[0] + 1

        def seed(self, out_value):
            return 1

        def vjp(self, node, p, g, z, args):
            return g + 1

        def add(self, previous, contribution):
            raise AssertionError("a chain has no node used twice")

    graph = Graph()
    i = graph.add_input("x")
    for _ in range(100_000):
        i = graph.add(OPS["sin"], (i,))
    graph.output = i
    values = loops.forward(graph, Count(), {"x": 0})
    assert values[-1] == 100_000
    assert loops.backward(graph, values, Count())[0] == 100_001


def test_float_domain_by_hand():
    # (x*x + 3y)*x at x = 2, y = 5: 19 * 2 = 38; d/dx = 3x^2 + 3y = 27, d/dy = 3x = 6.
    graph = by_hand()
    values = loops.forward(graph, FloatDomain(), {"x": 2.0, "y": 5.0})
    assert [type(v) for v in values] == [np.float64] * 7
    assert values[6] == 38.0
    adjoints = loops.backward(graph, values, FloatDomain())
    assert adjoints[0] == 27.0 and adjoints[1] == 6.0 and adjoints[2] is None
    assert type(adjoints[0]) is np.float64


def test_float_domain_sums_a_broadcast_contribution_back_to_its_argument():
    # sum(x * b) with x of shape (2,2) and b of shape (2,): d/db = column sums of x.
    graph = parse("sum(x * b)")
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    values = loops.forward(graph, FloatDomain(), {"x": x, "b": np.array([10.0, 20.0])})
    adjoints = loops.backward(graph, values, FloatDomain())
    np.testing.assert_array_equal(adjoints[graph.inputs["b"]], [4.0, 6.0])
    np.testing.assert_array_equal(adjoints[graph.inputs["x"]], [[10.0, 20.0], [10.0, 20.0]])


def test_exact_domain_by_hand():
    # At x = 1/3, y = 1/2 (given as a float: exactly 1/2): (1/9 + 3/2) * 1/3 = 29/54;
    # d/dx = 3/9 + 3/2 = 11/6 and d/dy = 1, exactly.
    graph = by_hand()
    domain = ExactDomain()
    values = loops.forward(graph, domain, {"x": F(1, 3), "y": 0.5})
    assert values[1] == F(1, 2) and type(values[1]) is F
    assert values[6] == F(29, 54)
    adjoints = loops.backward(graph, values, domain)
    assert adjoints[0] == F(11, 6) and adjoints[1] == F(1) and adjoints[2] is None
    assert type(adjoints[0]) is F and domain.capped == []


def test_exact_domain_records_where_the_cap_was_passed_and_goes_on_in_float64():
    # (3/2)^5000 has 5000*log2(3) > 7900 bits in its numerator, past EXACT_BITS = 4096:
    # float64 from there (1.5^5000 overflows to inf), and x + that is float64 too.
    graph = parse("x^5000 + x")
    domain = ExactDomain()
    with np.errstate(over="ignore"):
        values = loops.forward(graph, domain, {"x": F(3, 2)})
    power = graph.nodes[graph.output].inputs[0]
    assert domain.capped == [power]
    assert type(values[power]) is np.float64 and values[power] == np.inf
    assert type(values[graph.output]) is np.float64


def test_exact_domain_adds_exactly_only_when_both_are_fractions():
    domain = ExactDomain()
    assert domain.add(F(1, 3), F(1, 6)) == F(1, 2)
    mixed = domain.add(F(1, 3), np.float64(0.5))
    assert type(mixed) is np.float64 and mixed == 1 / 3 + 0.5
