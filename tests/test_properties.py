"""Properties over random programs: finite differences, SymPy, printing back, strict JSON;
and over random and nearly-valid text: an answer or a clear refusal, never a traceback."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import sympy as sp
from conftest import run_cg
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from programs import SYMBOLS, programs
from test_schema import validator

import cgcli
from cgcli.graph import to_source
from cgcli.interpret.evaluate import evaluate
from cgcli.language.parse import parse


def finite(result) -> bool:
    numbers = [float(v) for v in result.values] + [float(g) for g in result.gradient.values()]
    return all(math.isfinite(v) and abs(v) < 1e8 for v in numbers)


def central(source, values, name, eps):
    def at(t):
        moved = dict(values)
        moved[name] = values[name] + t
        return float(cgcli.run(source, moved).output)

    return (at(eps) - at(-eps)) / (2 * eps)


@given(programs())
def test_gradients_agree_with_central_differences(case):
    source, values, _ = case
    result = cgcli.run(source, values)
    assume(finite(result) and not result.kinks)
    for name, reverse in result.gradient.items():
        # Where two step sizes disagree, the function is not smooth enough there
        # (a kink close by) for differences to be a reference.
        fine, coarse = central(source, values, name, 1e-6), central(source, values, name, 1e-4)
        assume(abs(fine - coarse) <= 1e-4 * max(1.0, abs(fine)))
        # torch.autograd.gradcheck's tolerances for float64: atol 1e-5, rtol 1e-3.
        assert abs(float(reverse) - fine) <= 1e-5 + 1e-3 * abs(fine), (name, reverse, fine)


# SymPy is slow: a sixth as many cases as the profile asks for.
@settings(max_examples=max(10, settings.default.max_examples // 6))
@given(programs(max_depth=5))
def test_values_and_gradients_agree_with_sympy(case):
    source, values, expression = case
    result = cgcli.run(source, values)
    assume(finite(result) and not result.kinks)
    point = {SYMBOLS[name]: sp.Float(v, 40) for name, v in values.items()}
    expected = float(expression.evalf(30, subs=point))
    assert float(result.output) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    for name, reverse in result.gradient.items():
        derivative = float(sp.diff(expression, SYMBOLS[name]).evalf(30, subs=point))
        assert float(reverse) == pytest.approx(derivative, rel=1e-8, abs=1e-8), name


def same(a, b) -> bool:
    a, b = float(a), float(b)
    return a == b or (math.isnan(a) and math.isnan(b))


@given(programs())
def test_printing_the_graph_and_reading_it_back_gives_the_same_numbers(case):
    source, values, _ = case
    graph = parse(source, values)
    printed = to_source(graph)
    again = parse(printed, values)
    first, second = evaluate(graph, values), evaluate(again, values)
    assert same(first.output, second.output)
    assert all(same(first.gradient[n], second.gradient[n]) for n in first.gradient)


@settings(max_examples=max(10, settings.default.max_examples // 7))
@given(programs(max_depth=4), st.sampled_from(["--exact", "--check", "--kink=nan", "--all"]))
def test_every_command_writes_strict_json_with_the_documented_keys(case, flag):
    source, values, _ = case
    bindings = [f"{k}={v!r}" for k, v in values.items()]
    # "--" ends the options: a program may begin with "--" (as in --a).
    for schema, args in (
        ("eval", ["eval", "--json", flag, "--", source, *bindings]),
        ("graph", ["graph", "--format", "json", "--", source, *bindings]),
        ("explain", ["explain", "--json", "--", source, *bindings]),
    ):
        if flag == "--all" and schema == "eval":
            args.remove("--all")
        run = run_cg(*args)
        assert run.code == 0, run.stderr
        assert not list(validator(schema).iter_errors(run.json()))


def refuses_clearly(run) -> None:
    assert run.code in (0, 1, 2), run
    assert "Traceback" not in run.stderr + run.stdout
    assert "internal error" not in run.stderr
    if run.code != 0:
        assert run.stderr.strip(), "a failure must say what is wrong"
        assert re.match(r"(error:|Usage:|Error:)", run.stderr), run.stderr


@given(st.binary(max_size=120))
def test_arbitrary_bytes_get_an_answer_or_a_clear_refusal(data):
    text = data.decode("utf-8", errors="replace")
    refuses_clearly(run_cg("eval", text, "x=1", "y=2"))
    refuses_clearly(run_cg("eval", "--", text, "x=1", "y=2"))


TOKEN = re.compile(r"\d*\.?\d+(?:e[-+]?\d+)?|\w+|\*\*|\S")


@given(programs(max_depth=4), st.data())
def test_nearly_valid_programs_get_an_answer_or_a_clear_refusal(case, data):
    source, values, _ = case
    tokens = TOKEN.findall(source)
    i = data.draw(st.integers(0, len(tokens) - 1))
    how = data.draw(st.sampled_from(["drop", "double", "swap"]))
    if how == "drop":
        del tokens[i]
    elif how == "double":
        tokens.insert(i, tokens[i])
    elif i + 1 < len(tokens):
        tokens[i], tokens[i + 1] = tokens[i + 1], tokens[i]
    mutated = " ".join(tokens)
    bindings = [f"{k}={v!r}" for k, v in values.items()]
    refuses_clearly(run_cg("eval", "--", mutated, *bindings))


@settings(max_examples=max(10, settings.default.max_examples // 3))
@given(programs(max_depth=5), st.lists(st.floats(0.3, 2.0), min_size=3, max_size=3))
def test_a_batch_gives_what_each_point_gives_on_its_own(case, offsets):
    """Arrays through the whole op table at once: a batch equals point by point."""
    from cgcli.interpret.batch import evaluate_points

    source, values, _ = case
    graph = parse(source, values)
    columns = {
        name: np.array([value, *(value * o for o in offsets)]) for name, value in values.items()
    }
    out, gradient = evaluate_points(graph, columns)
    for k in range(4):
        point = {name: float(column[k]) for name, column in columns.items()}
        single = cgcli.run(source, point)
        # numpy's vectorised pow rounds differently from its scalar pow in about 5%
        # of cases (both within 1 ulp): equal but for that, carried through the program.
        assert close(out[k], single.output)
        assert all(close(gradient[n][k], single.gradient[n]) for n in single.gradient)


def close(a, b) -> bool:
    a, b = float(a), float(b)
    return same(a, b) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14)
