"""`cg diff` and `cg optimize` as a user meets them: what is printed parses again and
evaluates to the reverse-mode gradient; formulas agree with SymPy; arrays, --wrt,
--json against its schema, --latex, --steps, --ascii, and plain refusals."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import sympy as sp
from conftest import run_cg
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from programs import SYMBOLS, programs
from test_evaluate import MICROGRAD
from test_formula import array_terms

import cgcli
from cgcli.language.parse import parse
from cgcli.transform.diff import differentiate


def diff_json(*args):
    run = run_cg("diff", "--json", *args)
    assert run.code == 0, run.stderr
    return run.json()


def formula_value(formula: str, values: dict):
    """cg eval of a printed formula (a single partial's program) at `values`."""
    from cgcli.interpret.evaluate import forward

    graph = parse(formula, bound=values)
    with np.errstate(all="ignore"):
        return forward(graph, {n: values[n] for n in graph.inputs})[graph.output]


def test_the_first_question_a_student_asks():
    run = run_cg("diff", "x^2*sin(x)")
    assert run.code == 0
    assert run.stdout == "f = x^2*sin(x)\n∂f/∂x = x^2 * cos(x) + 2 * x * sin(x)\n"
    # The same, checked by SymPy rather than by eye: d/dx x^2 sin x.
    x = sp.Symbol("x")
    printed = run.stdout.splitlines()[1].split(" = ", 1)[1]
    expected = sp.diff(x**2 * sp.sin(x), x)
    assert sp.simplify(sp.sympify(printed.replace("^", "**")) - expected) == 0


def test_shared_values_are_statements_and_the_seed_example_by_hand():
    run = run_cg("diff", "(a+b)*(b-c)", "a=1", "b=2", "c=3")
    assert run.code == 0
    # df/da = b - c = -1, df/db = (b - c) + (a + b) = 2, df/dc = -(a + b) = -3.
    assert run.stdout == (
        "f = (a+b)*(b-c)\n"
        "t1 = a + b\n"
        "t2 = b - c\n"
        "∂f/∂a = t2\n      = -1\n"
        "∂f/∂b = t1 + t2\n      = 2\n"
        "∂f/∂c = -t1\n      = -3\n"
    )


def test_ascii_and_a_named_output():
    run = run_cg("diff", "loss = (w*x - t)^2", "--ascii", "--wrt", "w")
    assert run.code == 0
    # The program names its output: no heading, and the partial is d(loss)/dw. By hand:
    # d/dw (wx - t)^2 = 2 (wx - t) x.
    assert run.stdout == "dloss/dw = 2 * (w * x - t) * x\n"


def test_a_program_whose_output_has_no_name_calls_it_f():
    run = run_cg("diff", "d = a + b; e = b - c; d * e")
    assert run.stdout == "d = a + b\ne = b - c\n∂f/∂a = e\n∂f/∂b = d + e\n∂f/∂c = -d\n"


def test_the_micrograd_program_keeps_its_names():
    run = run_cg("diff", MICROGRAD, "a=-4", "b=2")
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert lines[0] == "c = a + b"
    # micrograd's README: dg/da = 138.8338, dg/db = 645.5773 (and cg eval's, exactly).
    result = cgcli.run(MICROGRAD, {"a": -4.0, "b": 2.0})
    assert lines[-3] == "      = " + repr(float(result.gradient["a"]))
    assert lines[-1] == "      = " + repr(float(result.gradient["b"]))
    assert round(float(result.gradient["a"]), 4) == 138.8338


@pytest.mark.parametrize(
    "args, message",
    [
        (["x*y", "--wrt", "q"], "'q' is not an input of the program"),
        (["sum(W @ x)"], "depends on the shapes of its inputs"),
        (["x + [1, 2]", "x=1"], "is an array of shape"),
        (["x +"], "error:"),
    ],
)
def test_bad_input_is_refused_in_words(args, message):
    run = run_cg("diff", *args)
    assert run.code == 2
    assert message in run.stderr
    assert "Traceback" not in run.stderr


def test_wrt_lists_the_inputs_when_it_names_none_of_them():
    run = run_cg("diff", "x*y", "--wrt", "z")
    assert "Its inputs are x, y." in run.stderr


def finite(result) -> bool:
    return all(np.all(np.isfinite(v)) for v in [result.output, *result.gradient.values()])


@settings(max_examples=60, deadline=None)
@given(programs())
def test_every_printed_partial_parses_again_to_the_reverse_mode_gradient(case):
    source, values, _ = case
    result = cgcli.run(source, values)
    assume(finite(result))
    doc = diff_json("--", source)
    for name, entry in doc["derivatives"].items():
        got = formula_value(entry["formula"], values)
        reverse = float(result.gradient[name])
        assert float(got) == pytest.approx(reverse, rel=1e-12, abs=1e-300), (name, entry)


@settings(max_examples=15, deadline=None)
@given(programs(max_depth=5))
def test_printed_partials_agree_with_sympy(case):
    source, values, expression = case
    result = cgcli.run(source, values)
    assume(finite(result) and not result.kinks)
    doc = diff_json("--", source)
    point = {SYMBOLS[n]: sp.Float(v, 40) for n, v in values.items()}
    for name, entry in doc["derivatives"].items():
        expected = float(sp.diff(expression, SYMBOLS[name]).evalf(30, subs=point))
        got = float(formula_value(entry["formula"], values))
        assert got == pytest.approx(expected, rel=1e-9, abs=1e-9), name


ARRAYS = [
    ("sum(relu(W @ x + b))", {"W": (3, 2), "x": (2,), "b": (3,)}),
    ("sum(softmax(x) * y)", {"x": (4,), "y": (4,)}),
    ("logsumexp(W @ x)", {"W": (2, 3), "x": (3,)}),
    ("sum(x[1:3]) * norm(x)", {"x": (4,)}),
    ("mean(A.T @ A)", {"A": (3, 2)}),
]


@pytest.mark.parametrize("source, shapes", ARRAYS)
def test_array_formulas_parse_again_to_the_gradient(source, shapes):
    rng = np.random.default_rng(3)
    values = {n: rng.normal(size=s) for n, s in shapes.items()}
    bindings = [f"{n}={json.dumps(v.tolist())}" for n, v in values.items()]
    doc = diff_json(source, *bindings)
    result = cgcli.run(source, values)
    for name, entry in doc["derivatives"].items():
        got = formula_value(entry["formula"], values)
        np.testing.assert_allclose(got, result.gradient[name], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(entry["value"], result.gradient[name], rtol=0, atol=0)


def test_the_gradient_of_a_layer_is_written_in_array_ops():
    run = run_cg("diff", "sum(relu(W @ x + b))", "W=[[1,2],[3,-4]]", "x=[0.5,1]", "b=[0.1,-0.2]")
    assert run.code == 0
    lines = run.stdout.splitlines()
    assert any(line.startswith("∂f/∂W = ") for line in lines)
    assert "step(" in run.stdout and "W @ x" in run.stdout


def test_json_sizes_say_what_sharing_saved():
    # Each level uses the one before twice: its tree doubles per level, the graph not.
    source = "; ".join(f"p{k + 1} = sin(p{k})*cos(p{k})" for k in range(8)) + "; p8"
    doc = diff_json(source.replace("p0", "x"))
    assert doc["forward_nodes"] == 24
    assert doc["shared_nodes"] <= 3 * doc["forward_nodes"]
    assert doc["tree_nodes"] > 100 * doc["shared_nodes"]
    x = sp.Symbol("x")
    p = x
    for _ in range(8):
        p = sp.sin(p) * sp.cos(p)
    expected = float(sp.diff(p, x).evalf(30, subs={x: sp.Float("0.3", 30)}))
    got = formula_value(doc["derivatives"]["x"]["formula"], {"x": 0.3})
    assert float(got) == pytest.approx(expected, rel=1e-12)


def w2(n: int) -> str:
    return " + ".join(f"sin(x{i})*x{(i + 1) % n}" for i in range(n))


def test_w2_and_the_corpus_stay_within_three_times_the_program():
    doc = diff_json(w2(100))
    assert doc["shared_nodes"] <= 3 * doc["forward_nodes"]
    from test_formula import CORPUS  # every op of the table, scalar and array

    forward = shared = 0
    for source in CORPUS:
        graph = parse(source)
        if graph.arrays or not graph.inputs:
            continue
        found = differentiate(graph)
        from cgcli.emit.formula import shared_size

        forward += found.forward_nodes
        shared += shared_size(found.graph, list(found.partials.values()))
    assert shared <= 3 * forward


def test_latex_is_written_for_each_partial():
    run = run_cg("diff", "x^2*sin(x)", "--latex")
    assert run.code == 0
    assert run.stdout == "\\frac{\\partial f}{\\partial x} = x^{2} \\cos x + 2 x \\sin x\n"


def test_steps_list_what_fired():
    run = run_cg("diff", "x*1 + 0*y", "--steps", "--assume", "finite")
    assert run.code == 0
    assert "rewrites:" in run.stdout


def test_relu_prints_as_a_formula_that_is_0_at_0():
    doc = diff_json("relu(x)")
    formula = doc["derivatives"]["x"]["formula"]
    assert formula == "step(x)"
    assert float(formula_value(formula, {"x": 0.0})) == 0.0
    assert float(formula_value(formula, {"x": 1e-300})) == 1.0


def test_a_derivative_past_the_node_limit_is_refused_before_it_is_built(monkeypatch):
    import cgcli.transform.diff as diff

    monkeypatch.setattr(diff, "MAX_NODES", 40)
    with pytest.raises(cgcli.errors.UsageError, match="more than the 40 nodes"):
        differentiate(parse("sin(x) + cos(x) + x*x"))


def test_deep_and_wide_programs():
    deep = "sin(" * 20_000 + "x" + ")" * 20_000
    run = run_cg("diff", deep, "x=0.5")
    assert run.code == 0
    reverse = cgcli.run(deep, {"x": 0.5}).gradient["x"]
    assert run.stdout.rstrip().endswith(" = " + repr(float(reverse)).rstrip("0"))
    wide = " + ".join(f"x{i}*x{i + 1}" for i in range(10_000))
    assert run_cg("diff", wide).code == 0


# ------------------------------------------------------------------ cg optimize


def test_optimize_merges_the_common_subexpression():
    run = run_cg("optimize", "sin(x)*sin(x) + sin(x)")
    assert run.code == 0
    header, *program = run.stdout.splitlines()
    assert header == "# 5 operations before the rewrites, 3 after"
    assert len(program) == 2  # t1 = sin(x), then the output
    for x in (0.3, -2.0, 0.0):
        expected = math.sin(x) * math.sin(x) + math.sin(x)
        assert float(cgcli.run(run.stdout, {"x": x}).output) == expected


def test_optimize_json_and_the_re_parseable_program():
    run = run_cg("optimize", "x*1 + (y - 0)", "--json")
    doc = run.json()
    assert doc["schema"] == 1 and doc["before"] == 3 and doc["after"] == 1
    assert {r["rule"] for r in doc["rewrites"]} >= {"mul-one"}
    assert float(cgcli.run(doc["program"], {"x": 2.0, "y": 3.0}).output) == 5.0


SPECIAL = [0.0, -0.0, 1.0, -1.5, np.inf, -np.inf, np.nan, 5e-324, 1e308]


@pytest.mark.parametrize(
    "source", ["x*1 + y/1", "sin(x)*sin(x) + sin(x)", "-(-x) + y^1", "x + x + y*y", "(x*2)*1"]
)
def test_eval_optimize_gives_bit_for_bit_the_values(source):
    for x in SPECIAL:
        for y in SPECIAL[::3]:
            values = {"x": x, "y": y}
            with np.errstate(all="ignore"):
                plain = cgcli.run(source, values)
                fast = cgcli.run(source, values, optimize=True)
            a, b = np.float64(plain.output), np.float64(fast.output)
            assert a.tobytes() == b.tobytes() or (np.isnan(a) and np.isnan(b)), (source, x, y)


def test_eval_optimize_on_the_command_line_and_in_a_batch(tmp_path):
    run = run_cg("eval", "sin(x)*sin(x) + sin(x)", "x=0.5", "--optimize", "--json")
    assert run.code == 0
    assert run.json()["output"]["value"] == math.sin(0.5) ** 2 + math.sin(0.5)
    points = tmp_path / "p.csv"
    points.write_text("x\n0.5\n-1\n")
    batch = run_cg("eval", "sin(x)*sin(x) + sin(x)", "--batch", str(points), "--optimize")
    plain = run_cg("eval", "sin(x)*sin(x) + sin(x)", "--batch", str(points))
    assert batch.code == 0
    rows = [[float(v) for v in line.split(",")] for line in batch.stdout.splitlines()[1:]]
    expected = [[float(v) for v in line.split(",")] for line in plain.stdout.splitlines()[1:]]
    assert [row[:2] for row in rows] == [row[:2] for row in expected]  # values: bit for bit
    # Gradients: t = sin(x) gets (2t + 1) cos(x) where the program as written sums three
    # contributions, t cos + t cos + cos: the same to rounding, not always to the bit.
    for row, want in zip(rows, expected):
        assert row[2] == pytest.approx(want[2], rel=4e-16)


def test_optimize_does_not_go_with_exact():
    run = run_cg("eval", "x*1", "x=1", "--optimize", "--exact")
    assert run.code == 2 and "--exact" in run.stderr


@settings(max_examples=40, deadline=None)
@given(
    array_terms(4),
    st.lists(st.floats(-2, 2).filter(lambda v: abs(v) > 0.1), min_size=7, max_size=7),
)
def test_random_array_programs_print_partials_that_give_the_gradient(term, point):
    values = {"x": np.float64(point[0]), "v": np.array(point[1:4]), "w": np.array(point[4:])}
    source = term[0] if not term[1] else f"sum({term[0]})"
    graph = parse(source, bound=values)
    values = {n: values[n] for n in graph.inputs}
    assume(values)
    with np.errstate(all="ignore"):
        result = cgcli.run(source, values)
    assume(finite(result) and not result.kinks)
    found = differentiate(graph, None, values)
    from cgcli.emit.formula import single

    for name, node in found.partials.items():
        got = formula_value(single(found.graph, node), values)
        want = result.gradient[name]
        scale = max(1.0, float(np.max(np.abs(want))))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13 * scale, err_msg=source)


@pytest.mark.parametrize("width", ["40", "60", "80"])
def test_a_long_value_wraps_between_elements_never_inside_a_number(width):
    x = "[0.21999973566857151, 1.123456789012345, 2.5, 3.123456789, 4.987654321, 5.5555555]"
    run = run_cg("diff", "sum(x*x)", f"x={x}", env={"COLUMNS": width})
    assert run.code == 0
    value_lines = run.stdout.splitlines()[2:]
    assert all(len(line) <= int(width) for line in value_lines), run.stdout
    text = " ".join(line.strip() for line in value_lines)
    # By hand: d/dx sum(x*x) = 2x, each element doubled exactly.
    for element in json.loads(x):
        words = text.replace(",", " ").replace("[", " ").replace("]", " ").split()
        assert repr(2 * element).removesuffix(".0") in words
