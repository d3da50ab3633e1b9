"""The Hessian's structural pattern (transform/sparsity.py): by hand on small programs,
against finite differences of cg's gradient on random programs, and on W2; the star
colouring checked path by path; recovery exact from H @ indicator products; the spy plot."""

from __future__ import annotations

import random

import numpy as np
import pytest
from hypothesis import given, settings
from programs import programs

from cgcli.interpret.evaluate import evaluate
from cgcli.language.parse import parse
from cgcli.transform.sparsity import hessian_pattern, recover, spy, star_coloring


def entries(source: str) -> set[tuple[str, str]]:
    """The pattern as pairs of input names (k <= j by input order)."""
    graph = parse(source)
    names = list(graph.inputs)
    pattern = hessian_pattern(graph)
    assert all(k in pattern[j] for k, row in enumerate(pattern) for j in row)  # symmetric
    return {(names[k], names[j]) for k, row in enumerate(pattern) for j in row if k <= j}


# Each by hand: the second derivatives that are not identically zero (a.e. for kinks).
@pytest.mark.parametrize(
    "source, expected",
    [
        ("x*y", {("x", "y")}),  # f_xy = 1, f_xx = f_yy = 0
        ("sin(x) + y", {("x", "x")}),  # f_xx = -sin(x)
        ("x/y", {("x", "y"), ("y", "y")}),  # f_xy = -1/y^2, f_yy = 2x/y^3, f_xx = 0
        ("x^2", {("x", "x")}),
        ("2^x", {("x", "x")}),  # (log 2)^2 2^x
        ("x^y", {("x", "x"), ("x", "y"), ("y", "y")}),
        ("x^1*y", {("x", "y")}),  # x^1 = x: linear
        ("x^0*y", set()),  # x^0 = 1: f = y
        ("1^x*y", set()),  # 1^x = 1
        ("relu(x*y)", {("x", "y")}),  # step(xy) * f_xy of xy; relu itself adds nothing
        ("abs(x) + max(x, y) + min(y, 2)", set()),  # piecewise linear: 0 off the kinks
        ("max(x, y)*z", {("x", "z"), ("y", "z")}),
        ("sign(x)*y + step(y)*x", set()),  # sign' = step' = 0: f_xy = 0 a.e.
        ("x*x", {("x", "x")}),
        ("exp(x + y) + z", {("x", "x"), ("x", "y"), ("y", "y")}),
        ("atan2(x, y)", {("x", "x"), ("x", "y"), ("y", "y")}),
        ("3*x - y/2 + -z", set()),  # linear; a constant denominator is linear
        ("sin(2)*x", set()),
        ("p = x*y; sin(z)", {("z", "z")}),  # x*y reaches nothing
        ("(x + y)*(z - x)", {("x", "x"), ("x", "z"), ("y", "x"), ("y", "z")}),
    ],
)
def test_patterns_by_hand(source, expected):
    assert entries(source) == {tuple(sorted(p, key=parse(source).inputs.get)) for p in expected}


def test_an_output_that_is_an_input_or_a_constant_has_no_entries():
    assert hessian_pattern(parse("x")) == [set()]
    graph = parse("x*y; 3")
    assert hessian_pattern(graph) == [set(), set()]


def test_the_output_may_be_any_node():
    graph = parse("p = x*y; p + sin(z)")
    product = graph.nodes[graph.output].inputs[0]
    assert hessian_pattern(graph, product) == [{1}, {0}, set()]


def w2(n: int) -> str:
    return " + ".join(f"sin(x{i})*x{(i + 1) % n}" for i in range(n))


@pytest.mark.parametrize("n", [10, 37, 1000])
def test_w2_is_cyclic_tridiagonal(n):
    # f_ii = -sin(x_i) x_{i+1}, f_{i,i+1} = cos(x_i), nothing else: 3n entries.
    graph = parse(w2(n))
    index = {name: k for k, name in enumerate(graph.inputs)}
    pattern = hessian_pattern(graph)
    expected = [set() for _ in range(n)]
    for i in range(n):
        a, b = index[f"x{i}"], index[f"x{(i + 1) % n}"]
        expected[a] |= {a, b}
        expected[b] |= {a, b}
    assert pattern == expected
    assert sum(map(len, pattern)) == 3 * n


def test_deep_programs_take_no_recursion():
    depth = 20_000
    graph = parse("sin(" * depth + "x" + ")" * depth + "*y")
    assert hessian_pattern(graph) == [{0, 1}, {0}]


def test_a_long_sum_feeding_a_product():
    n = 3000  # the sum's set moves along the chain: no n^2 copying
    graph = parse(
        " + ".join(f"x{i}" for i in range(n))
        + " + y*("
        + " + ".join(f"x{i}" for i in range(0, n, 2))
        + ")"
    )
    pattern = hessian_pattern(graph)
    y = list(graph.inputs).index("y")
    assert pattern[y] == set(range(0, n, 2))
    assert all(pattern[k] == ({y} if k % 2 == 0 else set()) for k in range(n))


def test_array_programs_are_refused():
    with pytest.raises(NotImplementedError, match="--sparse takes scalar inputs"):
        hessian_pattern(parse("sum(x*[1, 2])"))


def gradient(graph, values: dict) -> np.ndarray:
    got = evaluate(graph, values).gradient
    return np.array([float(got[name]) for name in graph.inputs])


def fd_hessian(graph, values: dict, h: float) -> np.ndarray:
    """Central differences of cg's gradient, one input at a time."""
    names = list(graph.inputs)
    columns = []
    for name in names:
        up, down = dict(values), dict(values)
        up[name] += h
        down[name] -= h
        columns.append((gradient(graph, up) - gradient(graph, down)) / (2 * h))
    return np.array(columns).T


@settings(max_examples=60, deadline=None)
@given(programs())
def test_every_numerically_non_zero_entry_is_in_the_pattern(drawn):
    source, values, _ = drawn
    graph = parse(source, bound=values)
    values = {name: values[name] for name in graph.inputs}
    pattern = hessian_pattern(graph)
    with np.errstate(all="ignore"):
        coarse = fd_hessian(graph, values, 1e-4)
        fine = fd_hessian(graph, values, 1e-5)
    scale = 1.0 + np.nanmax(np.abs(np.where(np.isfinite(fine), fine, np.nan)), initial=0.0)
    for k in range(len(values)):
        for j in range(len(values)):
            a, b = coarse[k, j], fine[k, j]
            # A kink straddled shows as differences that grow like 1/h: the two steps
            # disagree there, and such entries say nothing about smooth second derivatives.
            steady = np.isfinite(a) and np.isfinite(b) and abs(a - b) <= 1e-3 * abs(b)
            if steady and abs(b) > 1e-6 * scale:
                assert j in pattern[k], (source, values, k, j, b)


def p4_bicoloured(pattern, colors) -> list[tuple]:
    """Every path a-b-c-d (four distinct vertices) on at most two colours, found by
    trying each edge b-c as the path's middle."""
    adjacent = [set(row) - {k} for k, row in enumerate(pattern)]
    found = []
    for b, row in enumerate(adjacent):
        for c in row:
            for a in adjacent[b] - {c}:
                for d in adjacent[c] - {a, b}:
                    if len({colors[a], colors[b], colors[c], colors[d]}) < 3:
                        found.append((a, b, c, d))
    return found


def check_star(pattern, colors) -> None:
    assert len(colors) == len(pattern)
    assert set(colors) == set(range(max(colors) + 1)) if colors else True
    clashes = [
        (k, j) for k, row in enumerate(pattern) for j in row if k != j and colors[k] == colors[j]
    ]
    assert clashes == []
    assert p4_bicoloured(pattern, colors) == []


def symmetric(n: int, edges) -> list[set[int]]:
    pattern = [{k} for k in range(n)]
    for a, b in edges:
        pattern[a].add(b)
        pattern[b].add(a)
    return pattern


def random_pattern(n: int, density: float, seed: int) -> list[set[int]]:
    rng = random.Random(seed)
    return symmetric(
        n, [(a, b) for a in range(n) for b in range(a + 1, n) if rng.random() < density]
    )


def grid(rows: int, cols: int) -> list[set[int]]:
    edges = [(r * cols + c, r * cols + c + 1) for r in range(rows) for c in range(cols - 1)]
    edges += [(r * cols + c, (r + 1) * cols + c) for r in range(rows - 1) for c in range(cols)]
    return symmetric(rows * cols, edges)


STRUCTURED = {
    "path": symmetric(30, [(k, k + 1) for k in range(29)]),
    "cycle": symmetric(31, [(k, (k + 1) % 31) for k in range(31)]),
    "grid": grid(12, 9),
    "arrowhead": symmetric(40, [(0, k) for k in range(1, 40)] + [(k, k + 1) for k in range(1, 39)]),
    "star": symmetric(25, [(24, k) for k in range(24)]),
    "complete": symmetric(9, [(a, b) for a in range(9) for b in range(a + 1, 9)]),
    "band": symmetric(50, [(a, b) for a in range(50) for b in range(a + 1, min(a + 4, 50))]),
    "apart": symmetric(12, [(0, 1), (2, 3), (3, 4), (7, 8)]),
    "empty": symmetric(5, []),
}


@pytest.mark.parametrize("name", sorted(STRUCTURED))
def test_star_colouring_of_structured_graphs(name):
    pattern = STRUCTURED[name]
    colors = star_coloring(pattern)
    check_star(pattern, colors)
    assert star_coloring(pattern) == colors  # deterministic


def test_star_colouring_uses_few_colours_where_few_suffice():
    assert max(star_coloring(STRUCTURED["star"])) + 1 == 2
    assert max(star_coloring(STRUCTURED["complete"])) + 1 == 9
    assert max(star_coloring(STRUCTURED["empty"])) + 1 == 1
    # Not a distance-2 colouring: an arrow's leaves may share a colour across the hub.
    assert max(star_coloring(STRUCTURED["arrowhead"])) + 1 <= 4


@pytest.mark.parametrize("seed", range(40))
def test_star_colouring_of_random_graphs(seed):
    rng = random.Random(seed)
    n = rng.randint(2, 60)
    pattern = random_pattern(n, rng.choice([0.02, 0.08, 0.2, 0.5]), seed)
    check_star(pattern, star_coloring(pattern))


def test_a_colouring_that_is_not_a_star_colouring_is_caught():
    path = symmetric(4, [(0, 1), (1, 2), (2, 3)])
    assert p4_bicoloured(path, [0, 1, 0, 1]) != []
    with pytest.raises(ValueError, match="not a star colouring"):
        recover(path, [0, 1, 0, 1], [np.zeros(4), np.zeros(4)])


@pytest.mark.parametrize("n", [10, 100, 1000, 10_000])
def test_w2_needs_3_or_4_colours_whatever_n(n):
    pattern = hessian_pattern(parse(w2(n)))
    colors = star_coloring(pattern)
    assert max(colors) + 1 in (3, 4)
    if n <= 1000:
        check_star(pattern, colors)


def products_of(H: np.ndarray, colors: list[int]) -> list[np.ndarray]:
    count = max(colors) + 1 if colors else 0
    return [H @ (np.array(colors) == c).astype(float) for c in range(count)]


@pytest.mark.parametrize("seed", range(20))
def test_recover_is_exact_on_random_sparse_symmetric_matrices(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 80))
    pattern = random_pattern(n, float(rng.choice([0.03, 0.1, 0.4])), seed)
    for k in range(n):
        if rng.random() < 0.2:
            pattern[k].discard(k)  # some diagonal entries structurally zero
    H = np.zeros((n, n))
    for k, row in enumerate(pattern):
        for j in row:
            if k <= j:
                H[k, j] = H[j, k] = rng.normal() * 10.0 ** rng.integers(-5, 6)
    colors = star_coloring(pattern)
    got = recover(pattern, colors, products_of(H, colors))
    expected = {(k, j): H[k, j] for k, row in enumerate(pattern) for j in row if k <= j}
    assert got == expected  # each product entry is one H entry plus exact zeros


def test_recover_w2_from_its_hessian():
    n = 50
    x = np.random.default_rng(1).normal(size=n)
    H = np.zeros((n, n))
    for i in range(n):  # f = sum sin(x_i) x_{i+1}, by hand
        H[i, i] += -np.sin(x[i]) * x[(i + 1) % n]
        H[i, (i + 1) % n] += np.cos(x[i])
        H[(i + 1) % n, i] += np.cos(x[i])
    graph = parse(w2(n))
    order = [int(name[1:]) for name in graph.inputs]
    H = H[np.ix_(order, order)]
    pattern = hessian_pattern(graph)
    colors = star_coloring(pattern)
    got = recover(pattern, colors, products_of(H, colors))
    assert len(got) == 2 * n
    assert all(got[k, j] == H[k, j] for k, j in got)


def cells(text: str, prefix: int) -> list[str]:
    return [line[prefix:] for line in text.splitlines()[1:]]


@pytest.mark.parametrize("width", [40, 80])
def test_spy_shows_each_entry_while_the_inputs_fit(width):
    n = 12
    graph = parse(w2(n))
    pattern = hessian_pattern(graph)
    text = spy(pattern, list(graph.inputs), width)
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines)
    assert len(lines) == n + 1  # the ruler, then a row per input
    for k, line in enumerate(lines[1:]):
        name, number, *marks = line.split()
        assert (name, number) == (list(graph.inputs)[k], str(k + 1))
        assert {j for j, m in enumerate(marks) if m == "●"} == pattern[k]
        assert set(marks) <= {"●", "·"}
    assert lines[0].split()[:2] == ["1", "5"]


@pytest.mark.parametrize("width", [40, 80])
def test_spy_drops_the_names_then_draws_blocks(width):
    n = width - 5  # too many for names and spaces, few enough for one column each
    pattern = random_pattern(n, 0.05, 3)
    text = spy(pattern, [f"long_name_{k}" for k in range(n)], width, ascii=True)
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines)
    digits = len(str(n))
    for k, line in enumerate(lines[1:]):
        assert line[: digits + 1] == f"{k + 1:>{digits}} "
        marks = line[digits + 1 :].ljust(n)
        assert {j for j, m in enumerate(marks) if m == "*"} == pattern[k]

    n = 1000
    big = [{k, (k + 1) % n, (k - 1) % n} for k in range(n)]
    text = spy(big, [f"x{k}" for k in range(n)], width)
    lines = text.splitlines()
    assert all(len(line) <= width for line in lines)
    assert "in blocks of" in " ".join(lines[:2])
    block = int(" ".join(lines[:2]).split("blocks of ")[1].split("x")[0])
    rows = [line for line in lines if line[:1] == " " and "●" in line]
    assert len(rows) == -(-n // block)
    assert rows[0].split()[0] == "1" and rows[1].split()[0] == str(block + 1)


def test_spy_shortens_long_names():
    text = spy([{0}, {1}], ["a_very_long_input_name", "b"], 40)
    assert "a_very_long…" in text and "a_very_long_input_name" not in text
