"""Every view at 40, 60, 80 and 200 columns: no number, name or array element is split
or cut, a wide table runs past the edge instead of folding a cell, and continuations
are indented. The numbers to look for come from the JSON of the same run (every
number in full), formatted as the views format them; what the JSON says is checked
against hand calculations and SymPy elsewhere (test_evaluate, test_views).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from cgcli.render import fmt

WIDTHS = (40, 60, 80, 200)
ENV = {"NO_COLOR": None, "FORCE_COLOR": None, "TERM": "dumb", "COLUMNS": None}

NEURON = ("sigmoid(w0*x0 + w1*x1 + w2)", "w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3")
VECTOR = ("sigmoid(dot(w, [x0, x1, 1]))", "w=[2,-3,-3]", "x0=-1", "x1=-2")
W = "W=[[1.1,2,3],[3,-4,5],[0.1,0.2,0.3]]"
MATRIX = ("sum(W @ x)/3", W, "x=[0.5,1,0.25]")
LONG_SUM = ("x*y + x*z + x*w + x/y + sin(x)", "x=0.3", "y=0.7", "z=1.1", "w=2.3")
KINKS = ("relu(x)*y + abs(z - 0.1)*x/3", "x=0", "y=2", "z=0.1")
HUGE = ("exp(x)", "x=700")


def at(width, *args):
    """The text at COLUMNS=N (test_width_lays_out_as_columns_does: --width N is the same)."""
    from conftest import run_cg

    run = run_cg(*args, env={**ENV, "COLUMNS": str(width)})
    assert run.code == 0, run.stderr
    return run.stdout


def whole(number: str, text: str) -> bool:
    """`number` appears in `text` whole: not inside a longer number, not cut."""
    return re.search(rf"(?<![\w.+-]){re.escape(number)}(?![\w.])", text) is not None


def flat(value):
    if isinstance(value, list):
        for v in value:
            yield from flat(v)
    elif value is not None:
        yield value


def assert_whole(numbers, names, text):
    for number in numbers:
        assert whole(fmt(number) if not isinstance(number, str) else number, text), (number, text)
    for name in names:
        assert re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text), (name, text)


def table_lines(text: str):
    """The lines of the eval table's rows, split into cells: drawn with its outer edges
    (\u2502 a \u2502 b \u2502) or, where that is too wide, without (a \u2502 b)."""
    for line in text.splitlines():
        if "\u2502" not in line:
            continue
        cells = line.split("\u2502")
        if line.startswith("\u2502"):
            yield [cell[1:] for cell in cells[1:-1]]
        else:
            yield [cells[0]] + [cell[1:] for cell in cells[1:]]


def assert_no_cell_folded(text: str):
    """A row takes one line, except for an array cell, whose lines are numpy's own:
    each continues with numpy's indentation and ends with ',' or ']'. A folded cell
    (a number cut, a lone ',' or ']') breaks one of these."""
    for cells in table_lines(text):
        continued = cells[0].strip() == ""
        for cell in cells[1:]:
            content = cell.rstrip()
            if content.lstrip().startswith("["):
                assert content.endswith((",", "]")), text
            elif continued and content:
                assert content.startswith(" ") and content.endswith((",", "]")), text
                assert content.strip() not in (",", "]"), text


def assert_wrapped(text: str, width: int):
    """A line longer than the width is one word past its indentation (or a table line,
    which runs past the edge as a whole); a continuation line is indented."""
    for line in text.splitlines():
        if any(c in line for c in "\u2502\u253c\u256d\u2570"):  # a table's: it may scroll
            continue
        if len(line) > width and line[:1] not in "\u2500 ":
            raise AssertionError(f"a line longer than {width}: {line!r}\n{text}")
        if len(line) > width and not line.startswith("\u2500"):
            words = line.split()
            assert len(words) == 1 or set(line[: line.index(words[-1])]) <= set(
                " \u2502\u251c\u2514\u2500"
            ), f"a line longer than {width} that could break: {line!r}\n{text}"


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "program",
    [NEURON, VECTOR, MATRIX, HUGE, ("x*y/(x + y)", "x=1/3", "y=1/2", "--exact")],
    ids=["neuron", "vector", "matrix", "huge", "exact"],
)
@pytest.mark.parametrize("all_nodes", [False, True], ids=["inputs", "all"])
def test_the_table_keeps_every_number_and_name_whole(cg, program, width, all_nodes):
    extra = ("--all",) if all_nodes else ()
    text = at(width, "eval", *program, *extra)
    doc = cg("eval", *program, "--json").json()
    output = doc["output"]["name"]
    shown = [n for n in doc["nodes"] if n["op"] != "const"]
    if not all_nodes:
        shown = [n for n in shown if n["op"] == "input" or n["name"] == output]
    numbers = [v for n in shown for v in flat([n["value"], n["adjoint"]])]
    if "--exact" in program:  # 1/3 (0.3333333333333333): the fraction and its decimal
        numbers += [v for n in shown for v in (n["exact_value"], n["exact_adjoint"]) if v]
    assert_whole(numbers, [n["name"] for n in shown], text)
    assert_no_cell_folded(text)
    assert not [line for line in text.splitlines() if line.endswith(" ")]  # nothing to wrap
    rows = sum(1 for cells in table_lines(text) if cells[0].strip())
    assert rows == len(shown) + 1  # the heading, then a row a node: no name was folded


@pytest.mark.parametrize("width", WIDTHS)
def test_the_jacobian_table_keeps_every_element_whole(cg, width):
    program = ("softmax(W @ x)", W, "x=[0.5,1,0.25]", "--jacobian")
    text = at(width, "eval", *program)
    doc = cg("eval", *program, "--json").json()
    assert_whole(list(flat(list(doc["jacobian"].values()))), ["W", "x"], text)
    assert_whole(list(flat(doc["output"]["value"])), [], text)
    assert_no_cell_folded(text)
    assert_wrapped(text, width)


@pytest.mark.parametrize("width", WIDTHS)
def test_a_table_that_fits_is_drawn_within_the_width(width):
    text = at(width, "eval", "(a+b)*(b-c)", "a=1", "b=2", "c=3", "--all")
    assert max(len(line) for line in text.splitlines()) <= width
    if width < 60:
        return
    # 62 columns with its outer edges, 58 without: at 60 the edges go, and it fits.
    text = at(width, "eval", *VECTOR)
    assert max(len(line) for line in text.splitlines()) <= width
    assert ("\u256d" in text) == (width >= 62), text
    # The gradient, 2x/3, is 103 columns on one line: wrapped between its elements it fits.
    text = at(width, "eval", "sum(x^2)/3", "x=[0.5,1,0.25,2,3,1.5]")
    assert max(len(line) for line in text.splitlines()) <= width
    assert " 0.16666666666666666," in text or " 1.3333333333333333," in text  # continued


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("program", [HUGE, ("relu(x)*y + x/3", "x=0", "y=2")], ids=["huge", "kink"])
def test_the_check_table_keeps_every_number_whole(cg, program, width):
    text = at(width, "eval", *program, "--check")
    doc = cg("eval", *program, "--check", "--json").json()
    numbers = []
    for row in doc["check"]:
        numbers += [fmt(row["reverse"]), fmt(row["numerical"], 12)]
        numbers += [f"{row['difference']:.1e}", f"{row['relative']:.1e}"]
    names = [f"\u2202{doc['output']['name']}/\u2202{row['input']}" for row in doc["check"]]
    assert_whole(numbers, names, text)
    verdicts = {"agree": "agrees", "kink": "kink"}
    for row in doc["check"]:
        assert whole(verdicts[row["status"]], text), text
    check = text.split("Finite-difference check", 1)[1]
    rows = [line for line in check.splitlines() if line.startswith("\u2202")]
    # One line a row, in one table or in two (the values, then their differences).
    assert len(rows) in (len(names), 2 * len(names)), text
    headings = ("reverse mode", "abs diff")
    prose = [line for line in check.splitlines() if line not in rows and "\u2500" not in line]
    assert_wrapped("\n".join(line for line in prose if not any(h in line for h in headings)), width)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_kinks_list_wraps_between_words(cg, width):
    text = at(width, "eval", *KINKS)
    doc = cg("eval", *KINKS, "--json").json()
    assert len(doc["kinks"]) == 2
    listed = " ".join(text.split("Kinks and singular points", 1)[1].split())
    for kink in doc["kinks"]:
        assert " ".join(kink["convention"].split()) in listed, text
    assert_wrapped(text.split("Kinks and singular points", 1)[1], width)
    for line in text.split("Kinks and singular points\n", 1)[1].splitlines():
        assert line.startswith("    " if not line.startswith("  t") else "  "), text


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("program", [NEURON, VECTOR, MATRIX, LONG_SUM], ids=str)
def test_the_tree_keeps_every_number_and_name_whole(cg, program, width):
    text = at(width, "graph", *program, "--depth", "8")
    doc = cg("graph", *program, "--format", "json").json()
    numbers = [v for n in doc["nodes"] for v in flat([n["value"], n["adjoint"]])]
    assert_whole(numbers, [n["name"] for n in doc["nodes"]], text)
    for line in text.splitlines():  # a continuation sits under its guide, indented
        if not re.match(r"[\u2502 ]*(\u251c\u2500\u2500 |\u2514\u2500\u2500 )", line):
            assert line == text.splitlines()[0] or line.startswith(("\u2502   ", "    ")), text


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("program", [NEURON, VECTOR, LONG_SUM], ids=str)
def test_explain_keeps_every_number_whole_and_indents_continuations(cg, program, width):
    text = at(width, "explain", *program)
    doc = cg("explain", *program, "--json").json()
    words = set(text.split())
    steps = doc["forward"] + doc["backward"]
    steps += [local for step in doc["backward"] for local in step["locals"]]
    for step in steps:
        assert_whole(list(flat(step["value"])), [], text)
        for key in ("formula", "numbers", "of", "symbol") if step["formula"] != "input" else ():
            # Every word of the JSON's text is a word of the explanation: none was cut.
            assert set(step.get(key, "").split()) <= words, (step, text)
    assert_wrapped(text, width)
    for line in text.splitlines():
        assert line == "" or line.startswith(("  ", "Forward", "Backward", "Gradient")), text


def test_explain_continues_a_long_sum_under_its_first_equals_sign():
    text = at(60, "explain", *LONG_SUM)
    lines = text.splitlines()
    first = next(i for i, line in enumerate(lines) if line.startswith("  \u2202t9/\u2202x = "))
    assert lines[first + 1].startswith("         + ")  # under the '=' of '∂t9/∂x ='
    # By hand: the derivative of x*y + x*z + x*w + x/y + sin(x) by x is
    # y + z + w + 1/y + cos(x); the step's last line is its value, under the '='.
    import math

    end = next(i for i in range(first + 1, len(lines)) if not lines[i].startswith(" " * 9))
    last = lines[end - 1]
    assert last.startswith("         = ") and len(last.split()) == 2
    assert float(last.split()[-1]) == pytest.approx(0.7 + 1.1 + 2.3 + 1 / 0.7 + math.cos(0.3))


def on_terminal(args, width: int) -> tuple[str, str]:
    """cg's standard output (a pipe) and what a terminal of `width` columns on its
    standard error shows (a pseudo-terminal), colours taken out."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, width, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "FORCE_COLOR")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "cgcli", *args], stdout=subprocess.PIPE, stderr=slave, env=env
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout, _ = proc.communicate(timeout=60)
    os.close(master)
    shown = re.sub(r"\x1b\[[0-9;]*m", "", b"".join(chunks).decode()).replace("\r", "")
    return stdout.decode(), shown


@pytest.mark.parametrize("width", (40, 60))
def test_warnings_on_a_terminal_wrap_between_words(width):
    args = ["eval", "log(first_factor*second_factor)", "first_factor=0", "second_factor=0.1"]
    _, shown = on_terminal(args, width)
    assert shown.count("warning:") == 2
    assert max(len(line) for line in shown.splitlines()) <= width, shown
    # The same words as the one-line warnings written to a pipe: nothing was split.
    from conftest import run_cg

    piped = run_cg(*args, env=ENV).stderr
    assert len(piped.splitlines()) == 2
    assert shown.split() == piped.split()


def test_output_to_a_pipe_is_laid_out_for_the_terminal_it_is_read_in():
    # cg explain ... | less, in a terminal of 60 columns: the lines fit the 60.
    text, _ = on_terminal(["explain", *LONG_SUM], 60)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert text == at(60, "explain", *LONG_SUM)


@pytest.mark.parametrize("columns", ["0", "-5", "abc", "", "12.5", "1000000", "9" * 5000, "5"])
def test_no_columns_setting_empties_the_output(columns, tmp_path):
    from conftest import run_cg

    env = {**ENV, "COLUMNS": columns}
    for command in ("eval", "explain", "graph"):
        run = run_cg(command, "log(x)*y", "x=0", "y=2", env=env)
        assert run.code == 0 and "-inf" in run.stdout and "warning:" in run.stderr, run
        expected = run_cg(command, "log(x)*y", "x=0", "y=2", env={**ENV, "COLUMNS": "80"})
        if columns in ("0", "-5", "abc", "", "12.5"):  # not a width: the default, 80
            assert run.stdout == expected.stdout
    run = run_cg("eval", "x+", env=env)
    assert run.code == 2 and "error:" in run.stderr
    out = tmp_path / "kept.txt"
    out.write_text("before\n")
    run = run_cg("eval", "x*2", "x=1", "-o", str(out), env=env)
    assert run.code == 0 and re.search(r"x +\u2502 +1 \u2502 +2", out.read_text())


@pytest.mark.parametrize("width", WIDTHS)
def test_width_lays_out_as_columns_does(cg, width):
    for view in (("eval", "--all", "--check"), ("graph",), ("explain",)):
        shown = at(width, *view, *NEURON)
        assert cg(*view, *NEURON, "--width", str(width), env=ENV).stdout == shown
        # --width wins over COLUMNS.
        run = cg(*view, *NEURON, "--width", str(width), env={**ENV, "COLUMNS": "137"})
        assert run.stdout == shown


def test_width_is_a_number_of_columns_within_bounds(cg):
    for bad in ("0", "10", "1001", "wide"):
        run = cg("eval", "x", "x=1", "--width", bad)
        assert run.code == 2 and "--width" in run.stderr, run
    for command in ("eval", "graph", "explain"):
        run = cg(command, "x", "x=1", "--width", "20")
        assert run.code == 0 and run.stdout, run


def test_deep_graphs_stop_at_the_width_and_say_so(cg, tmp_path):
    program = tmp_path / "deep.cg"
    program.write_text("sin(" * 100_000 + "x" + ")" * 100_000)
    # The depth follows the width, at most 1000 columns, which leave room for a label
    # of 32 after (1000 - 32) // 4 = 242 levels of 4: the root, 242 levels and a note.
    run = cg("graph", "-f", str(program), env={**ENV, "COLUMNS": "1000000"})
    lines = run.stdout.splitlines()
    assert run.code == 0 and len(lines) == 1 + 242 + 1
    assert lines[-1] == " " * 4 * 242 + "\u2514\u2500\u2500 ... more below (--depth)"
    # An explicit depth is honoured past the width: 300 levels at 80 columns. The root is
    # the 100,000th sin, t99998 (x is the first node); the 300th level below it is t99698.
    run = cg("graph", "-f", str(program), "--depth", "300", env={**ENV, "COLUMNS": "80"})
    lines = run.stdout.splitlines()
    assert len(lines) == 1 + 300 + 1 and lines[-1].endswith(
        "\u2514\u2500\u2500 ... more below (--depth)"
    )
    assert lines[0] == "t99998 = sin(t99997)"
    assert lines[-2] == " " * 4 * 299 + "\u2514\u2500\u2500 t99698 = sin(t99697)"
    # A depth past what a tree can draw is refused, not cut short.
    run = cg("graph", "-f", str(program), "--depth", "100000")
    assert run.code == 2 and "--depth 100000" in run.stderr and "--format dot" in run.stderr
    assert run.stdout == ""
