"""`cg graph` and `cg explain`: the tree, the chain rule step by step, DOT, Mermaid and JSON.

Every number these views print must be the number `cg eval` prints.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest
from test_evaluate import CORPUS, POINTS

from cgcli.ops import OPS

ENV = {"COLUMNS": "80", "NO_COLOR": None, "FORCE_COLOR": None, "TERM": "dumb"}
SEED = ("(a+b)*(b-c)", "a=1", "b=2", "c=3")


def test_seed_tree_exactly(cg):
    run = cg("graph", *SEED, env=ENV)
    assert run.code == 0, run.stderr
    assert run.stdout == (
        "f = d · e = -3   ∂f/∂f = 1\n"
        "├── d = a + b = 3   ∂f/∂d = -1\n"
        "│   ├── a = 1   ∂f/∂a = -1\n"
        "│   └── b = 2   ∂f/∂b = 2  (shared by 2 nodes)\n"
        "└── e = b - c = -1   ∂f/∂e = 3\n"
        "    ├── ↑ b (shared, drawn above)\n"
        "    └── c = 3   ∂f/∂c = -3\n"
    )


def test_tree_without_values_shows_structure(cg):
    run = cg("graph", "x^2 + sin(x)", env=ENV)
    assert run.code == 0
    assert run.stdout.splitlines() == [
        "t1 = y + z",
        "├── y = x^2",
        "│   ├── x (input)  (shared by 2 nodes)",
        "│   └── 2 (constant)",
        "└── z = sin(x)",
        "    └── ↑ x (shared, drawn above)",
    ]


def test_tree_of_ten_thousand_nodes_stays_within_80_columns(cg, tmp_path):
    program = tmp_path / "wide.cg"
    # 2,500 terms: 12,499 nodes, a left-deep chain of additions 2,500 levels deep.
    program.write_text("+".join(f"w{i}*sin(x{i})" for i in range(2500)))
    run = cg("graph", "-f", str(program), env=ENV)
    assert run.code == 0, run.stderr
    lines = run.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80
    assert "... more below (--depth)" in run.stdout
    # Deep enough to show everything: each node is drawn once (nothing is shared).
    program.write_text("+".join(f"w{i}*sin(x{i})" for i in range(200)))
    run = cg("graph", "-f", str(program), "--depth", "300", env={**ENV, "COLUMNS": "2000"})
    assert run.code == 0 and run.stdout.count("\n") == 200 * 4 + 199


def test_a_shared_subexpression_is_drawn_once(cg):
    run = cg("graph", "s = a*b; s*s + s", "a=2", "b=3", env=ENV)
    lines = run.stdout.splitlines()
    assert sum("s = a · b" in line for line in lines) == 1
    assert sum("↑ s (shared, drawn above)" in line for line in lines) == 2


SEED_EXPLANATION = [
    "Forward pass",
    "  a = 1",
    "  b = 2",
    "  d = a + b = 1 + 2 = 3",
    "  c = 3",
    "  e = b - c = 2 - 3 = -1",
    "  f = d · e = 3 · (-1) = -3",
    "",
    "Backward pass",
    "  ∂f/∂f = 1",
    "  ∂f/∂e = ∂(d · e)/∂e = d = 3",
    "  ∂f/∂c = ∂f/∂e · ∂e/∂c = (3)(-1) = -3",
    "      ∂e/∂c = ∂(b - c)/∂c = -1",
    "  ∂f/∂d = ∂(d · e)/∂d = e = -1",
    "  ∂f/∂b = ∂f/∂d · ∂d/∂b + ∂f/∂e · ∂e/∂b = (-1)(1) + (3)(1) = 2",
    "      ∂d/∂b = ∂(a + b)/∂b = 1",
    "      ∂e/∂b = ∂(b - c)/∂b = 1",
    "  ∂f/∂a = ∂f/∂d · ∂d/∂a = (-1)(1) = -1",
    "      ∂d/∂a = ∂(a + b)/∂a = 1",
    "",
    "Gradient: ∂f/∂a = -1, ∂f/∂b = 2, ∂f/∂c = -3",
]


def test_seed_explanation_exactly(cg):
    # Worked by hand: d = 3, e = -1, f = -3; df/dd = e = -1, df/de = d = 3;
    # df/db sums the paths through d and e: (-1)(1) + (3)(1) = 2.
    run = cg("explain", *SEED, env=ENV)
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == SEED_EXPLANATION


def test_explain_ascii_is_ascii(cg):
    run = cg("explain", *SEED, "--ascii", env=ENV)
    assert run.stdout.isascii()
    assert "  df/db = df/dd * dd/db + df/de * de/db = (-1)(1) + (3)(1) = 2" in run.stdout
    for command in ("graph", "eval"):
        assert cg(command, *SEED, "--ascii", env=ENV).stdout.isascii()


def test_local_partials_show_formula_then_numbers(cg):
    run = cg("explain", "sin(x)*x", "x=0.5", env={**ENV, "COLUMNS": "200"})  # one line a step
    lines = run.stdout.splitlines()
    assert "      ∂y/∂x = ∂sin(x)/∂x = cos(x) = cos(0.5) = 0.8775825618903728" in lines
    assert "  ∂z/∂y = ∂(y · x)/∂y = x = 0.5" in lines
    # x feeds the output directly and through y: the direct term is its local partial.
    assert any(line.startswith("  ∂z/∂x = ∂z/∂y · ∂y/∂x + ∂(y · x)/∂x = ") for line in lines)


def test_explain_takes_its_formulas_from_the_op_table(cg, monkeypatch):
    monkeypatch.setattr(OPS["sin"], "partials", ("COSINE(x)",))
    run = cg("explain", "sin(x)", "x=0.5", env=ENV)
    assert "∂y/∂x = ∂sin(x)/∂x = COSINE(x) = COSINE(0.5) = 0.8775825618903728" in run.stdout


def test_an_input_used_twice_by_one_node_sums_its_local_partials(cg):
    run = cg("explain", "x*x", "x=3", env=ENV)
    assert "  ∂y/∂x = ∂(x · x)/∂x = x + x = 3 + 3 = 6" in run.stdout.splitlines()


def test_explain_json_steps(cg):
    doc = cg("explain", *SEED, "--json").json()
    forward = {step["node"]: step for step in doc["forward"]}
    assert forward["f"] == {"node": "f", "formula": "d · e", "numbers": "3 · (-1)", "value": -3.0}
    backward = {step["node"]: step for step in doc["backward"]}
    assert backward["b"]["formula"] == "∂f/∂d · ∂d/∂b + ∂f/∂e · ∂e/∂b"
    assert backward["b"]["numbers"] == "(-1)(1) + (3)(1)"
    assert backward["b"]["value"] == 2.0
    assert [local["symbol"] for local in backward["b"]["locals"]] == ["∂d/∂b", "∂e/∂b"]
    assert doc["gradient"] == {"a": -1.0, "b": 2.0, "c": -3.0}


# ---------------------------------------------------------------- exports


def test_graph_json_has_nodes_and_edges(cg):
    doc = cg("graph", *SEED, "--format", "json").json()
    names = {node["id"]: node["name"] for node in doc["nodes"]}
    edges = {(names[e["from"]], names[e["to"]], e["argument"]) for e in doc["edges"]}
    assert edges == {
        ("a", "d", 0),
        ("b", "d", 1),
        ("b", "e", 0),
        ("c", "e", 1),
        ("d", "f", 0),
        ("e", "f", 1),
    }
    assert names[doc["output"]] == "f"


def test_mermaid_flowchart_structure(cg):
    text = cg("graph", *SEED, "--format", "mermaid").stdout
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    defined = {m.group(1) for m in re.finditer(r"^  (n\d+)[\[(]", text, re.M)}
    edges = re.findall(r"^  (n\d+) --> (n\d+)$", text, re.M)
    assert len(defined) == 6 and len(edges) == 6
    assert all(a in defined and b in defined for a, b in edges)
    assert '  n2["d = a + b<br/>value 3<br/>∂f/∂d = -1"]' in lines


def dot_structure(text: str):
    nodes = re.findall(r"^  (n\d+(?:_op)?) \[", text, re.M)
    edges = re.findall(r"^  (n\d+(?:_op)?) -> (n\d+(?:_op)?)", text, re.M)
    return nodes, edges


def test_dot_structure(cg):
    text = cg("graph", *SEED, "--format", "dot").stdout
    nodes, edges = dot_structure(text)
    # six values and three operations; each operation has its inputs in and its value out
    assert len(nodes) == 9 and len(edges) == 9
    assert ("n2_op", "n2") in edges and ("n0", "n2_op") in edges and ("n1", "n4_op") in edges
    assert 'label="{ d = a + b | value 3 | ∂f/∂d = -1 }"' in text


@pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz's dot is not installed (Debian package graphviz)"
)
def test_graphviz_accepts_the_dot_output(cg, tmp_path):
    for source in ("(a+b)*(b-c)", "atan2(y, x) - x^2 / 2", "s = a*b; s*s + s"):
        text = cg("graph", source, "a=1", "b=2", "c=3", "x=1", "y=2", "--format", "dot").stdout
        rendered = subprocess.run(["dot", "-Tjson"], input=text, capture_output=True, text=True)
        assert rendered.returncode == 0, rendered.stderr
        layout = json.loads(rendered.stdout)
        nodes, edges = dot_structure(text)
        assert len(layout["objects"]) == len(nodes)
        assert len(layout["edges"]) == len(edges)


# ------------------------------------------------ the views agree with eval


def numbers_in(text: str) -> list[float]:
    return [float(n) for n in re.findall(r"-?(?:\d+\.?\d*(?:e[-+]?\d+)?|inf|nan)", text)]


@pytest.mark.parametrize("source", CORPUS)
def test_every_view_agrees_with_eval(cg, source):
    x, y, z = POINTS[0]
    values = [f"x={x}", f"y={y}", f"z={z}"]
    evaluated = cg("eval", source, *values, "--json").json()
    by_name = {node["name"]: node for node in evaluated["nodes"]}

    graph = cg("graph", source, *values, "--format", "json").json()
    for node in graph["nodes"]:
        assert node["value"] == by_name[node["name"]]["value"]
        assert node["adjoint"] == by_name[node["name"]]["adjoint"]

    steps = cg("explain", source, *values, "--json").json()
    assert steps["gradient"] == evaluated["gradient"]
    for step in steps["forward"]:
        assert step["value"] == by_name[step["node"]]["value"]
    for step in steps["backward"]:
        assert step["value"] == by_name[step["node"]]["adjoint"]

    text = cg("explain", source, *values, env={**ENV, "COLUMNS": "1000"}).stdout
    for line in text.splitlines():
        if line.startswith("  ∂"):  # a backward step: its last number is the adjoint
            name = re.match(r"  ∂\w+/∂(\w+)", line).group(1)
            assert numbers_in(line)[-1] == by_name[name]["adjoint"]

    dot = cg("graph", source, *values, "--format", "dot").stdout
    for node in evaluated["nodes"]:
        label = re.search(rf'^  n{node["id"]} \[shape=record, label="(.*)"', dot, re.M).group(1)
        assert f"value {fmt(node['value'])}" in label


def fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e16 else repr(value)


# ------------------------------------------------------------------ output


def test_output_file_is_replaced_whole_or_left_alone(cg, tmp_path):
    target = tmp_path / "graph.dot"
    target.write_text("the old file\n")
    run = cg("graph", *SEED, "--format", "dot", "-o", str(target))
    assert run.code == 0 and run.stdout == ""
    assert target.read_text().startswith("digraph cg {")
    run = cg("graph", "x+*", "--format", "dot", "-o", str(target))  # fails: nothing written
    assert run.code == 2
    assert target.read_text().startswith("digraph cg {")
    assert [p.name for p in tmp_path.iterdir()] == ["graph.dot"]  # no temporary left
