"""The smaller things a careful user trips over (issue 11, section 4): names from other
tools, exact local partials, warnings that name what the user sees, drawing without
every value, help that is not cut, DOT edge labels, bindings that are not what was
typed, and kinks of the reductions."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from test_properties import refuses_clearly

from cgcli import ops
from cgcli.language import syntax

ROOT = Path(__file__).resolve().parents[1]
ENV = {"COLUMNS": "80", "NO_COLOR": None, "FORCE_COLOR": None, "TERM": "dumb"}


# ----------------------------------------------------------------- names of functions


def test_ln_is_log_and_is_shown_as_log(cg):
    # ln(2) = 0.693147180559945309..., d ln(x)/dx = 1/x = 1/2.
    doc = cg("eval", "ln(x)", "x=2", "--json").json()
    assert doc["output"]["value"] == pytest.approx(0.6931471805599453, rel=1e-16)
    assert doc["gradient"] == {"x": 0.5}
    assert [n["op"] for n in doc["nodes"]] == ["input", "log"]
    run = cg("eval", "ln(x)", "x=2", "--all", env=ENV)
    assert re.search(r"│ y +│ log\(x\) +│", run.stdout), run.stdout
    run = cg("explain", "ln(x)", "x=2", env=ENV)
    assert "y = log(x) = log(2)" in run.stdout and "∂log(x)/∂x = 1/x = 1/2 = 0.5" in run.stdout


def test_ln_is_a_function_like_the_others(cg):
    run = cg("eval", "ln + 1")
    assert run.code == 2 and "'ln' is a function, not a value" in run.stderr
    run = cg("eval", "ln = 2; ln")
    assert run.code == 2 and "'ln' is a function and cannot be assigned to" in run.stderr


def test_readme_lists_every_function_and_alias_of_the_op_table():
    text = (ROOT / "README.md").read_text()
    row = next(line for line in text.splitlines() if line.startswith("| functions |"))
    arrays = text[text.index("| `x @ y`") : text.index("Shapes are checked")]
    written = set(re.findall(r"[a-z0-9_]+", " ".join(re.findall(r"`([^`]*)`", row + arrays))))
    aliases = {alias for op in ops.OPS.values() for alias in op.aliases}
    assert "ln" in aliases
    names = set(ops.FUNCTIONS) | aliases
    assert names <= written, names - written


@pytest.mark.parametrize(
    "program, hint",
    [
        ("arctan(x)", "In cg, arctan is written atan(x)."),
        ("arcsin(x)", "In cg, arcsin is written asin(x)."),
        ("arccos(x)", "In cg, arccos is written acos(x)."),
        ("arctan2(x, 1)", "In cg, arctan2 is written atan2(y, x)."),
        ("power(x, 2)", "In cg, power is written pow(x, y)."),
        ("maximum(x, 1)", "In cg, maximum is written max(x, y)."),
        ("minimum(x, 1)", "In cg, minimum is written min(x, y)."),
        ("amax(x)", "In cg, amax is written max(x, axis=0)."),
        ("matmul(x, x)", "In cg, matmul is written x @ y."),
        ("multiply(x, 2)", "In cg, multiply is written x * y."),
        ("stack(x, x)", "In cg, stack is written [x, y]."),
        ("expit(x)", "In cg, expit is written sigmoid(x)."),
        # The nearest spelling would mislead here: exp2 is not exp, asinh not sinh.
        ("exp2(x)", "cg has no exp2: write 2^x."),
        ("asinh(x)", "cg has no asinh: write log(x + sqrt(x^2 + 1))."),
        ("square(x)", "cg has no square: write x^2."),
        ("log1p(x)", "cg has no log1p: write log(1 + x)."),
        ("Sin(x)", "Names are case-sensitive: write sin(x)."),
        ("LOG(x)", "Names are case-sensitive: write log(x)."),
        ("Ln(x)", "Names are case-sensitive: write ln(x)."),
        ("sinn(x)", "Did you mean sin?"),
        # A module's function or a method: cg's functions stand alone.
        ("np.sin(x)", "cg has no modules or methods: call a function by its name, as in sin(x)."),
        ("np.arctan(x)", "In cg, arctan is written atan(x)."),
        ("x.sum()", "call a function by its name, as in sum(x, axis=0)."),
    ],
)
def test_unknown_functions_say_how_cg_writes_them(cg, program, hint):
    run = cg("eval", program, "x=0.5")
    refuses_clearly(run)
    assert run.code == 2
    assert hint in " ".join(run.stderr.split()), run.stderr
    assert "Did you mean" not in run.stderr or hint.startswith("Did you mean")


def test_nothing_near_gets_no_guess(cg):
    run = cg("eval", "total(x)", "x=1")
    assert run.code == 2 and "unknown function 'total'" in run.stderr
    assert "Did you mean" not in run.stderr and "written" not in run.stderr


# numpy's function of each name, to check that what cg says to write is that function.
NUMPY = {
    "exp2": np.exp2, "expm1": np.expm1, "log1p": np.log1p, "square": np.square,
    "sqr": np.square, "hypot": np.hypot, "logaddexp": np.logaddexp,
    "sec": lambda x: 1 / np.cos(x), "csc": lambda x: 1 / np.sin(x),
    "cot": lambda x: 1 / np.tan(x), "asinh": np.arcsinh, "arcsinh": np.arcsinh,
    "acosh": np.arccosh, "arccosh": np.arccosh, "atanh": np.arctanh, "arctanh": np.arctanh,
    "lg": np.log10,
}  # fmt: skip


def test_every_function_cg_says_how_to_write_is_checked_below():
    assert set(syntax.WRITTEN) == set(NUMPY)


@pytest.mark.parametrize("name", sorted(NUMPY))
def test_what_cg_says_to_write_is_that_function(cg, name):
    formula = syntax.WRITTEN[name].split(" or ")[0]  # lg: log10(x) or log2(x)
    x, y = 1.25, 0.75  # in every domain: acosh needs x >= 1, atanh |x| < 1 (x/2 below)
    point = x / 2 if name.endswith("tanh") else x
    doc = cg("eval", formula, f"x={point}", f"y={y}", "--json").json()
    arity = 2 if "y" in re.findall(r"[a-z]+", formula) else 1
    expected = NUMPY[name](point, y) if arity == 2 else NUMPY[name](point)
    assert doc["output"]["value"] == pytest.approx(float(expected), rel=1e-14)


@pytest.mark.parametrize(
    "name, args, reference",
    [
        ("arcsin", (0.5,), np.arcsin), ("arccos", (0.5,), np.arccos),
        ("arctan", (0.5,), np.arctan), ("arctan2", (0.5, -2.0), np.arctan2),
        ("power", (1.5, 2.5), np.power), ("maximum", (0.5, 2.0), np.maximum),
        ("minimum", (0.5, 2.0), np.minimum), ("fabs", (-0.5,), np.fabs),
        ("absolute", (-0.5,), np.absolute), ("subtract", (0.5, 2.0), np.subtract),
        ("divide", (0.5, 2.0), np.divide), ("negative", (0.5,), np.negative),
    ],
)  # fmt: skip
def test_the_numpy_names_are_the_ops_they_are_said_to_be(name, args, reference):
    op = ops.OPS[ops.KNOWN_AS[name]]
    assert float(op.forward(*args)) == float(reference(*args))


# ------------------------------------------------- warnings name what the user sees


def test_the_exact_cap_warning_defines_the_node_it_names(cg):
    # x^2^12 is x^(2^12): (3/2)^4096 has a numerator of 4096 log2(3) = 6492 bits, past
    # the cap of 4096. The exponent 2^12 is a node cg named y; the program has no y.
    run = cg("eval", "x^2^12", "x=3/2", "--exact")
    cap = next(line for line in run.stderr.splitlines() if "exact arithmetic stops" in line)
    assert "z = x^y (x = 3/2, y = 2^12 = 4096)" in cap, cap


@pytest.mark.parametrize(
    "args",
    [
        ("x^2^12", "x=3/2", "--exact"),
        ("(x+1)^2^12", "x=1/2", "--exact"),
        ("log(x-1)*y", "x=1", "y=2"),
        ("sqrt(x - 1) + 2*x", "x=1"),
    ],
)
def test_every_name_in_a_warning_is_the_users_or_defined_there(cg, args):
    from cgcli.language.parse import parse

    run = cg("eval", *args)
    graph = parse(args[0])
    names = {node.name for node in graph.nodes if node.inputs}
    written = set(re.findall(r"[A-Za-z_]\w*", args[0]))
    output = graph.nodes[graph.output].name  # the table shows it
    warnings = "\n".join(line for line in run.stderr.splitlines() if line.startswith("warning:"))
    assert warnings
    for name in set(re.findall(r"[A-Za-z_]\w*", warnings)) & names - written - {output}:
        # Defined by a formula, not only given a value: "y = 2^12 = 4096", "z = x - 1 = 0",
        # "t1 = log(z) is -inf"; not "y = 4096" alone.
        number = r"-?[0-9.e+/]+(?:[,):]|$)"
        assert re.search(rf"\b{name} = (?!{number})", warnings, re.M), (name, warnings)


# -------------------------------------------------- drawing needs no value at all


def test_graph_draws_an_array_output_with_its_values(cg):
    # x * [1, 2] at x = 2 is [2, 4]: an array, so there is no single gradient to show.
    run = cg("graph", "x*[1,2]", "x=2", env=ENV)
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [
        "y = x · [1, 2] = [2, 4]",
        "├── x = 2",
        "└── [1, 2] (constant)",
    ]
    assert "no single gradient" in run.stderr
    doc = cg("graph", "W @ x", "W=[[1,2],[3,4]]", "x=[1,1]", "--format", "json").json()
    # [[1, 2], [3, 4]] @ [1, 1] = [1 + 2, 3 + 4] = [3, 7]
    assert [n["value"] for n in doc["nodes"]] == [[[1, 2], [3, 4]], [1, 1], [3, 7]]
    assert all(n["adjoint"] is None for n in doc["nodes"])


def test_graph_draws_what_it_can_with_some_values(cg):
    # x*y + sin(x) at x = 1, y unbound: sin(1) = 0.8414709848078965 can be computed,
    # x*y and the sum cannot; no derivative is known.
    run = cg("graph", "x*y + sin(x)", "x=1", env=ENV)
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [
        "t2 = z + t1",
        "├── z = x · y",
        "│   ├── x = 1  (shared by 2 nodes)",
        "│   └── y (input)",
        f"└── t1 = sin(x) = {math.sin(1)!r}",
        "    └── ↑ x (shared, drawn above)",
    ]
    assert "no value for y" in run.stderr
    doc = cg("graph", "x*y + sin(x)", "x=1", "--format", "json").json()
    assert [n["value"] for n in doc["nodes"]] == [1.0, None, None, math.sin(1), None]
    dot = cg("graph", "x*y + sin(x)", "x=1", "--format", "dot").stdout
    assert 'label="{ x | value 1 }"' in dot and 'label="{ y }"' in dot
    assert "∂" not in dot and "value" not in dot.split("t2 = ")[1].split("\n")[0]
    mermaid = cg("graph", "x*y", "x=2", "--format", "mermaid").stdout
    assert '  n0(["x<br/>value 2"])' in mermaid and '  n2["z = x · y"]' in mermaid


def test_graph_with_some_exact_values(cg):
    # x = 1/2 exactly; x*y is unknown without y; sin(1/2) is not rational.
    run = cg("graph", "x*y + x/3 + sin(x)", "x=1/2", "--exact", env=ENV)
    assert run.code == 0, run.stderr
    assert "x = 1/2" in run.stdout and "x / 3 = 1/6" in run.stdout
    assert "sin(x) = ≈0.479425538604203" in run.stdout


def test_graph_still_refuses_what_is_wrong(cg):
    run = cg("graph", "W @ x + y", "W=[[1,2],[3,4]]", "x=[1,1,1]")
    assert run.code == 2 and "cannot multiply (2,2) @ (3,)" in run.stderr


# ---------------------------------------------------------------------------- help


@pytest.mark.parametrize("width", [60, 80, 200])
def test_help_describes_each_command_in_whole_sentences(width):
    # A real process: click's test runner fixes the width of help at 80.
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    run = subprocess.run(
        [sys.executable, "-m", "cgcli", "--help"],
        env={**env, "COLUMNS": str(width), "TERM": "dumb"},
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0
    assert "..." not in run.stdout.replace("[ARGS]...", "")
    assert max(map(len, run.stdout.splitlines())) <= width
    commands = run.stdout.split("Commands:\n")[1]
    described: dict[str, str] = {}
    for line in commands.splitlines():
        name, _, text = line.strip().partition(" ")
        if line.startswith("  ") and not line.startswith("   "):
            described[name] = text.strip()
        elif line.strip():  # a description wrapped onto the next line
            described[list(described)[-1]] += " " + line.strip()
    assert sorted(described) == ["codegen", "diff", "eval", "explain", "graph", "optimize"]
    for name, text in described.items():
        assert text.endswith("."), (name, text)
        assert len(text.split()) >= 4, (name, text)


# -------------------------------------------------------------------- DOT edges


def _edges(dot: str) -> dict[tuple[str, str], str]:
    """(from record's first line, to op) -> edge label, from the DOT text."""
    records = dict(re.findall(r'  (n\d+) \[shape=record, label="\{ ([^|}]*?) [|}]', dot))
    return {
        (records[a].split(" = ")[0], b): label
        for a, b, label in re.findall(r'  (n\d+) -> (n\d+)_op \[label="([^"]*)"\]', dot)
    }


def test_dot_edge_labels_cannot_be_taken_for_the_users_names(cg):
    # W1 @ x: W1 is the 1st operand and x the 2nd; the op's own argument names x, y
    # would label W1's edge "x".
    dot = cg("graph", "W1 @ x", "--format", "dot").stdout
    assert _edges(dot) == {("W1", "n2"): "1st", ("x", "n2"): "2nd"}
    # x - y, y^x, atan2(y, x) and the array [y, x]: every label is a place, never a name.
    dot = cg("graph", "x - y + y^x + atan2(y, x) + sum([y, x])", "--format", "dot").stdout
    labels = _edges(dot)
    assert {label for label in labels.values()} == {"1st", "2nd", "[0]", "[1]"}
    by_op = {}
    for (source, op), label in labels.items():
        by_op.setdefault(op, {})[label] = source
    assert sorted(by_op.values(), key=str) == sorted(
        [
            {"1st": "x", "2nd": "y"},  # x - y
            {"1st": "y", "2nd": "x"},  # y^x
            {"1st": "y", "2nd": "x"},  # atan2(y, x)
            {"[0]": "y", "[1]": "x"},  # [y, x]
        ],
        key=str,
    )


# ------------------------------------------------- bindings that are not what was typed


@pytest.mark.parametrize(
    "binding",
    ["x=1e-400", "x=-1e-400", "x=2.5e-330", "x=[1, 1e-400]", "x=[[0], [-3e-999]]",
     "x=1e-200/1e200"],
)  # fmt: skip
def test_a_binding_that_would_be_read_as_0_is_refused(cg, binding):
    # 1e-400 is below the smallest float64 (4.9e-324): it would be the float 0.
    run = cg("eval", "sum(x)", binding)
    refuses_clearly(run)
    assert run.code == 2
    assert "is too small for a float64: it would be 0" in run.stderr, run.stderr


def test_values_too_small_in_files_are_refused(cg, tmp_path):
    files = {
        "a.csv": "1,2\n1e-400,0\n",
        "a.json": "[0, 1e-400]",
        "values.json": '{"x": [1, 1e-400]}',
        "scalar.json": '{"x": 1e-400}',
        "values.txt": "x=1e-400\n",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for args in (
        ["x=@" + str(tmp_path / "a.csv")],
        ["x=@" + str(tmp_path / "a.json")],
        ["--values", str(tmp_path / "values.json")],
        ["--values", str(tmp_path / "scalar.json")],
        ["--values", str(tmp_path / "values.txt")],
    ):
        run = cg("eval", "sum(x)", *args)
        assert run.code == 2 and "1e-400 is too small for a float64" in run.stderr, (args, run)


def test_zeros_and_small_numbers_that_fit_are_taken(cg, tmp_path):
    # 0 written in any way is 0; 1e-320 is a subnormal float64, not 0.
    for binding, value in [("x=0", 0.0), ("x=0.0e-400", 0.0), ("x=00.000e5", 0.0),
                           ("x=1e-320", 1e-320), ("x=[0, 0.0e-999]", 0.0)]:  # fmt: skip
        doc = cg("eval", "sum(x)", binding, "--json").json()
        assert doc["output"]["value"] == value, binding
    (tmp_path / "z.csv").write_text("0,0.0\n1,2\n")
    doc = cg("eval", "sum(x)", "x=@" + str(tmp_path / "z.csv"), "--json").json()
    assert doc["output"]["value"] == 3.0
    # Under --exact a binding keeps its value: 10^-400 is a fraction like any other.
    doc = cg("eval", "x*10^400", "x=1e-400", "--exact", "--json").json()
    assert doc["output"]["exact"] == "1"


def test_a_number_in_the_program_that_would_be_0_is_refused(cg):
    run = cg("eval", "x*1e-400", "x=1")
    assert run.code == 2 and "the number 1e-400 is too small for a float64" in run.stderr
    assert "x*1e-400\n    ^" in run.stderr
    assert cg("eval", "x*0e-400 + x*0.0", "x=1", "--json").json()["output"]["value"] == 0


@pytest.mark.parametrize(
    "subscript, words",
    [
        ("99999999999999999999", "the index 99999999999999999999 is too large"),
        ("9" * 5000, "is too large (5,000 digits): no array has that many elements"),
        ("9999999999999999999", "the index 9999999999999999999 is out of range for axis 0, "
         "of length 2"),
        ("5", "the index 5 is out of range for axis 0, of length 2"),
        ("-3", "the index -3 is out of range for axis 0, of length 2"),
        ("1, 0", "it has 1 dimension, and 2 subscripts were given"),
        ("::0", "a slice's step cannot be 0"),
    ],
)  # fmt: skip
def test_indices_out_of_range_are_refused_in_cgs_words(cg, subscript, words):
    run = cg("eval", f"sum(x[{subscript}])", "x=[1, 2]")
    refuses_clearly(run)
    assert run.code == 2 and words in run.stderr, run.stderr
    assert "only integers" not in run.stderr and "out of bounds" not in run.stderr


# ------------------------------------------------------- kinks of the reductions


def _kinks(cg, *args):
    doc = cg("eval", *args, "--json").json()
    return [(k["name"], k["op"]) for k in doc["kinks"]], doc["gradient"]


def test_max_and_min_of_an_array_with_ties_are_kinks(cg):
    # max([1, 3, 3]): two elements tie for the largest, and share the derivative 1.
    kinks, gradient = _kinks(cg, "max(x)", "x=[1,3,3]")
    assert kinks == [("y", "amax")] and gradient == {"x": [0.0, 0.5, 0.5]}
    # Ties below the largest are not kinks: max([1, 1, 3]) moves with the 3 alone.
    assert _kinks(cg, "max(x)", "x=[1,1,3]") == ([], {"x": [0.0, 0.0, 1.0]})
    kinks, gradient = _kinks(cg, "min(x)", "x=[1,1,3]")
    assert kinks == [("y", "amin")] and gradient == {"x": [0.5, 0.5, 0.0]}
    # --kink nan: the tied elements' derivatives are NaN, the others' stay 0.
    _, gradient = _kinks(cg, "min(x)", "x=[1,1,3]", "--kink", "nan")
    assert gradient == {"x": ["NaN", "NaN", 0.0]}
    run = cg("eval", "max(x)", "x=[1,3,3]", env=ENV)
    assert "y = max(x) at a tie for the largest of x: the tied elements share" in run.stdout


def test_a_tie_along_an_axis_is_a_kink_where_it_is(cg):
    # max(W, axis=1) of [[1, 2], [3, 3]]: row 1 ties; the check calls W[1, *] kinks.
    doc = cg("eval", "sum(max(W, axis=1))", "W=[[1,2],[3,3]]", "--check", "--json").json()
    assert [k["op"] for k in doc["kinks"]] == ["amax"]
    assert doc["gradient"] == {"W": [[0.0, 1.0], [0.5, 0.5]]}
    status = [row["status"] for row in doc["check"]]
    assert status == ["agree", "agree", "kink", "kink"], doc["check"]


def test_norm_along_an_axis_with_a_zero_row_under_kink_nan(cg):
    # norm(x, axis=1) of [[0, 0, 0], [1, 2, 3]]: row 0 is at the kink (NaN under
    # --kink nan); row 1's derivative is x/|x| = [1, 2, 3]/sqrt(14).
    run = cg("eval", "sum(norm(x, axis=1))", "x=[[0,0,0],[1,2,3]]", "--kink", "nan", "--json")
    refuses_clearly(run)
    assert run.code == 0, run.stderr
    row0, row1 = run.json()["gradient"]["x"]
    assert row0 == ["NaN"] * 3
    assert row1 == pytest.approx([k / math.sqrt(14) for k in (1, 2, 3)], rel=1e-15)
