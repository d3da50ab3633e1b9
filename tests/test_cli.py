"""`cg eval` as a user meets it: the real entry point, exact output, exit codes, messages."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys

import pytest
from conftest import strict_json

SEED = ("eval", "(a+b)*(b-c)", "a=1", "b=2", "c=3")
ENV = {"COLUMNS": "80", "NO_COLOR": None, "FORCE_COLOR": None, "TERM": "dumb"}


def test_seed_table_exactly(cg):
    run = cg(*SEED, env=ENV)
    assert run.code == 0 and run.stderr == ""
    assert run.stdout == (
        "f = (a+b)*(b-c)\n"
        "╭──────┬───────┬──────────╮\n"
        "│ node │ value │ ∂f/∂node │\n"
        "├──────┼───────┼──────────┤\n"
        "│ f    │    -3 │        1 │\n"
        "├──────┼───────┼──────────┤\n"
        "│ a    │     1 │       -1 │\n"
        "│ b    │     2 │        2 │\n"
        "│ c    │     3 │       -3 │\n"
        "╰──────┴───────┴──────────╯\n"
    )


def cells(text: str) -> list[list[str]]:
    rows = [line.split("│")[1:-1] for line in text.splitlines() if line.startswith("│")]
    return [[cell.strip() for cell in row] for row in rows]


def test_all_lists_every_intermediate_node(cg):
    run = cg(*SEED, "--all", env=ENV)
    assert cells(run.stdout) == [
        ["node", "definition", "value", "∂f/∂node"],
        ["a", "input", "1", "-1"],
        ["b", "input", "2", "2"],
        ["d", "a + b", "3", "-1"],
        ["c", "input", "3", "-3"],
        ["e", "b - c", "-1", "3"],
        ["f", "d · e", "-3", "1"],
    ]


def test_numbers_print_shortest_round_trip_or_with_precision(cg):
    run = cg("eval", "x/3 + 2*y", "x=1", "y=1e-30", env=ENV)
    assert cells(run.stdout)[1:] == [
        ["t2", "0.3333333333333333", "1"],
        ["x", "1", "0.3333333333333333"],
        ["y", "1e-30", "2"],
    ]
    run = cg("eval", "x/3", "x=1", "--precision", "3", env=ENV)
    assert cells(run.stdout)[1:] == [["y", "0.333", "1"], ["x", "1", "0.333"]]


def test_json_is_strict_and_complete(cg):
    run = cg(*SEED, "--json")
    assert run.code == 0
    doc = run.json()
    assert doc["schema"] == 1
    assert doc["expression"] == "(a+b)*(b-c)"
    assert doc["output"] == {"name": "f", "value": -3.0}
    assert doc["gradient"] == {"a": -1.0, "b": 2.0, "c": -3.0}
    assert doc["inputs"] == {"a": 1.0, "b": 2.0, "c": 3.0}
    assert doc["warnings"] == []
    by_name = {node["name"]: node for node in doc["nodes"]}
    assert by_name["d"] == {
        "id": 2,
        "name": "d",
        "op": "add",
        "inputs": [0, 1],
        "value": 3.0,
        "adjoint": -1.0,
    }
    assert by_name["f"]["inputs"] == [by_name["d"]["id"], by_name["e"]["id"]]


def test_json_writes_non_finite_numbers_as_strings(cg):
    run = cg("eval", "log(x) + 0*y/z", "x=0", "y=1", "z=0", "--json")
    doc = run.json()  # strict: a NaN or Infinity literal would raise here
    assert doc["output"]["value"] == "NaN"
    assert doc["gradient"]["x"] == "Infinity"
    assert {w["kind"] for w in doc["warnings"]} == {"value", "derivative"}
    assert "warning:" in run.stderr


def test_json_goes_out_unwrapped_whatever_the_width(cg):
    source = "+".join(f"variable_number_{i}" for i in range(40))
    values = [f"variable_number_{i}={i}" for i in range(40)]
    run = cg("eval", source, *values, "--json", env={"COLUMNS": "20"})
    assert strict_json(run.stdout)["output"]["value"] == sum(range(40))


@pytest.mark.parametrize(
    "args",
    [
        ("eval", "-x^2", "x=3"),
        ("eval", "-x^2", "x=3", "--precision", "3"),
        ("eval", "-3*x", "x=3"),
        ("eval", "--", "-x^2", "x=3"),
        ("eval", "--json", "-x^2", "x=3"),
        ("eval", "-x^2", "--json", "x=3"),
    ],
)
def test_an_expression_may_start_with_a_minus(cg, args):
    run = cg(*args)
    assert run.code == 0, run.stderr
    assert "-9" in run.stdout


def test_expressions_that_look_like_short_options(cg):
    # -f is the file option only on its own; "-f*x" is an expression in f and x.
    run = cg("eval", "-f*x", "f=2", "x=3", "--json")
    assert run.json()["output"]["value"] == -6.0


def test_program_from_a_file_and_from_standard_input(cg, tmp_path):
    program = tmp_path / "model.cg"
    program.write_text("# a comment\nd = a + b\ne = b - c\nf = d * e\n")
    for run in (
        cg("eval", "-f", str(program), "a=1", "b=2", "c=3", "--json"),
        cg("eval", "--file", str(program), "a=1", "b=2", "c=3", "--json"),
        cg("eval", "-", "a=1", "b=2", "c=3", "--json", input=program.read_text()),
        cg("eval", "-f", "-", "a=1", "b=2", "c=3", "--json", input="(a+b)*(b-c)"),
    ):
        assert run.code == 0, run.stderr
        assert run.json()["gradient"] == {"a": -1.0, "b": 2.0, "c": -3.0}


BAD = [
    # (arguments, standard input, words the message must contain)
    (("eval", "x+*y", "x=1", "y=2"), None, "missing operand after '+'"),
    (("eval", "(x+1", "x=1"), None, "never closed"),
    (("eval", "sinn(x)", "x=1"), None, "Did you mean sin?"),
    (("eval", "pow(x)", "x=1"), None, "pow takes 2 arguments"),
    (("eval", "x*y+z", "x=1"), None, "no value for the variables y, z"),
    (("eval", "x", "x"), None, "not of the form name=number"),
    (("eval", "x", "2x=1"), None, "is not a name"),
    (("eval", "x", "x="), None, "no value after '='"),
    (("eval", "x", "x=abc"), None, "is not a number"),
    (("eval", "x", "x=nan"), None, "not a finite number"),
    (("eval", "x", "x=-inf"), None, "not a finite number"),
    (("eval", "x", "x=1e999"), None, "too large for a float64"),
    (("eval", "x", "x=0x10"), None, "not a decimal number"),
    (("eval", "x", "x=1_000"), None, "has an underscore"),
    (("eval", "x", "x=\u0661"), None, "is not an ASCII digit"),
    (("eval", "x", "x=\u22121"), None, "not part of a number"),
    (("eval", "x", "x=1", "x=2"), None, "bound twice"),
    (("eval", "x", "sin=1", "x=1"), None, "is a function"),
    (("eval", ""), None, "the expression is empty"),
    (("eval", "  ;  "), None, "the expression is empty"),
    (("eval", "-"), "", "the expression is empty"),
    (("eval",), None, "no expression was given"),
    (("eval", "x \u00d7 y", "x=1", "y=2"), None, "Type '*' instead."),
    (("eval", "-f", "/nonexistent/model.cg"), None, "cannot read /nonexistent/model.cg"),
    (("eval", "-"), b"x+\xff", "not UTF-8"),
    (("eval", "--precision", "0", "x", "x=1"), None, "0 is not in the range"),
    (("eval", "--bogus", "x", "x=1"), None, "No such option"),
]


@pytest.mark.parametrize("args, stdin, words", BAD)
def test_bad_input_exits_2_with_a_message(cg, args, stdin, words):
    run = cg(*args, input=stdin)
    assert run.code == 2
    assert words in run.stderr
    assert "Traceback" not in run.stderr + run.stdout
    assert run.stdout == ""


def test_a_syntax_error_shows_a_caret_under_the_column(cg):
    run = cg("eval", "a + b * * c", "a=1", "b=2", "c=3")
    lines = run.stderr.splitlines()
    assert lines[0].startswith("error: missing operand after '*'")
    assert lines[1] == "  a + b * * c"
    assert lines[2] == "          ^"


def test_strict_exits_1(cg):
    run = cg("eval", "log(x)", "x=0", "--strict")
    assert run.code == 1 and "log" in run.stderr and run.stdout == ""


def test_unused_binding_is_a_warning_not_a_failure(cg):
    run = cg("eval", "x*2", "x=1", "y=5", "--json")
    assert run.code == 0 and "does not use 'y'" in run.stderr
    assert run.json()["warnings"][0]["kind"] == "unused"


# ---------------------------------------------------- as a separate process


def cg_process(*args, env=None, **kwargs):
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cgcli", *args],
        capture_output=True,
        text=True,
        env=environment,
        **kwargs,
    )


def test_piped_output_has_no_colour_codes():
    for args in (SEED, ("eval", "x+*y")):
        run = cg_process(*args)
        assert "\x1b[" not in run.stdout + run.stderr


COLOUR = re.compile(r"\x1b\[[0-9;]*(3[0-7]|9[0-7]|38;)[0-9;]*m")


def on_a_terminal(*args, env=None) -> str:
    """Run cg with its output on a pseudo-terminal, as a user's shell would."""
    leader, follower = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    environment.update({"TERM": "xterm-256color", "COLUMNS": "80", **(env or {})})
    process = subprocess.Popen(
        [sys.executable, "-m", "cgcli", *args], stdout=follower, stderr=follower, env=environment
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait()
    os.close(leader)
    return b"".join(chunks).decode()


def test_colour_on_a_terminal_and_none_with_no_color():
    assert COLOUR.search(on_a_terminal("eval", "x+*y"))
    assert not COLOUR.search(on_a_terminal("eval", "x+*y", env={"NO_COLOR": "1"}))


def test_no_traceback_when_the_reader_goes_away(tmp_path):
    program = tmp_path / "long.cg"
    program.write_text("+".join(["sin(x)"] * 50_000))  # a JSON document of megabytes
    run = subprocess.run(
        f"{sys.executable} -m cgcli eval -f {program} x=1 --json | head -1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert run.stdout == "{\n"
    assert run.stderr == ""


def test_version_and_help():
    assert cg_process("--version").stdout.startswith("cg, version ")
    help_text = cg_process("eval", "--help").stdout
    assert 'cg eval "(a+b)*(b-c)" a=1 b=2 c=3' in help_text
