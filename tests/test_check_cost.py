"""--check costs a few passes over the program, not one a stencil point (issue 12),
and gives the same verdicts whether its points are evaluated together or one by one.
Cost is tested by counting the work done, never by timing it."""

from __future__ import annotations

import numpy as np
import pytest

import cgcli
from cgcli.ops import OPS


def test_check_of_many_inputs_is_a_few_passes(monkeypatch):
    n = 300
    source = "+".join(f"x{i}*x{i + 1}" for i in range(n))
    values = {f"x{i}": 0.5 + i / 1000 for i in range(n + 1)}
    result = cgcli.run(source, values)
    calls = []
    forward = OPS["mul"].forward
    monkeypatch.setattr(OPS["mul"], "forward", lambda *a: calls.append(1) or forward(*a))
    from cgcli.interpret.check import check

    rows = check(result)
    assert [row.status for row in rows] == ["agree"] * (n + 1)
    # Every one of the n multiplications once a pass; the old check made a pass per
    # stencil point: 6 (n + 1) passes, 542,000 calls.
    assert len(calls) <= 3 * n
    # d/dx_k of sum x_i x_{i+1} is x_{k-1} + x_{k+1}: by hand, from the values.
    for k, row in enumerate(rows):
        expected = values.get(f"x{k - 1}", 0) + values.get(f"x{k + 1}", 0)
        assert row.reverse == pytest.approx(expected, rel=1e-15)
        assert row.numerical == pytest.approx(expected, rel=1e-9)


def test_check_of_a_huge_array_builds_no_index_past_the_ones_it_checks(monkeypatch):
    produced = []
    ndindex = np.ndindex

    def counting(*shape):
        for index in ndindex(*shape):
            produced.append(1)
            yield index

    monkeypatch.setattr(np, "ndindex", counting)
    from cgcli.interpret.check import check, limit

    result = cgcli.run("sum(x*x)", {"x": np.linspace(0, 1, 1_000_000)})
    rows = check(result)
    assert len(produced) == len(rows) == limit(result) < 1000


def test_check_of_a_large_array_program_is_bounded_and_says_so(cg, tmp_path):
    np.save(tmp_path / "x.npy", np.linspace(0.1, 1, 200_000))
    run = cg("eval", "sum(sin(x))", f"x=@{tmp_path / 'x.npy'}", "--check", "--json")
    doc = run.json()
    assert 0 < len(doc["check"]) < 1000
    assert {row["status"] for row in doc["check"]} == {"agree"}
    # d/dx_k sum(sin(x)) = cos(x_k), the first elements of x by hand.
    x = np.linspace(0.1, 1, 200_000)
    for k, row in enumerate(doc["check"]):
        assert row["numerical"] == pytest.approx(np.cos(x[k]), rel=1e-6)
    assert f"compared the first {len(doc['check'])} of 200000" in run.stderr
    assert "each evaluation of this program of arrays is large" in run.stderr


def test_points_together_and_one_by_one_agree_on_the_corpus():
    from test_evaluate import CORPUS, POINTS

    from cgcli.interpret import check as checking
    from cgcli.interpret.evaluate import active_nodes

    for source in CORPUS:
        for x, y, z in POINTS:
            result = cgcli.run(source, {"x": x, "y": y, "z": z})
            graph = result.graph
            if graph.arrays:
                continue
            center = {n: result.values[i] for n, i in graph.inputs.items()}
            kinky = [node for node in graph.nodes if node.inputs and node.op.kinks]
            active = active_nodes(graph)
            base = checking._branches(kinky, result.values, active)
            moves = [(name, (), center[name] + k * 2.0**-10) for name in center for k in (1, -1, 4)]
            with np.errstate(all="ignore"):
                one = checking._OneByOne(graph, center, kinky, active, base)(moves)
                together = checking._Together(graph, center, kinky, active, base, 1 << 20)
                both = together(moves)
            np.testing.assert_allclose(both[0], one[0], rtol=1e-15, atol=0)
            assert both[1] == one[1]
            assert together.passes == 1
