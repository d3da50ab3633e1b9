"""The language: precedence, associativity, statements, names, and syntax errors."""

from __future__ import annotations

import pytest

from cgcli.errors import SourceError
from cgcli.graph import CONST, INPUT
from cgcli.language.parse import parse

SYMBOLS = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "^"}


def shape(source: str, bound=()) -> str:
    """The output as a fully parenthesised string, built by a loop over the nodes."""
    graph = parse(source, bound)
    text = {}
    for node in graph.nodes:
        args = [text[i] for i in node.inputs]
        if node.op in (INPUT, CONST):
            text[node.id] = node.name
        elif node.op.name in SYMBOLS:
            text[node.id] = f"({args[0]} {SYMBOLS[node.op.name]} {args[1]})"
        elif node.op.name == "neg":
            text[node.id] = f"(-{args[0]})"
        else:
            text[node.id] = f"{node.op.name}({', '.join(args)})"
    return text[graph.output]


@pytest.mark.parametrize(
    "source, expected",
    [
        ("a+b*c", "(a + (b * c))"),
        ("a*b+c", "((a * b) + c)"),
        ("a-b-c", "((a - b) - c)"),  # left-associative
        ("a/b/c", "((a / b) / c)"),
        ("a-b+c", "((a - b) + c)"),
        ("a/b*c", "((a / b) * c)"),
        ("a^b^c", "(a ^ (b ^ c))"),  # right-associative
        ("a**b**c", "(a ^ (b ^ c))"),
        ("-x^2", "(-(x ^ 2))"),  # power binds tighter than unary minus on its left
        ("2^-1", "(2 ^ -1)"),  # ... and a sign may follow it
        ("2^-x^2", "(2 ^ (-(x ^ 2)))"),
        ("-2^2", "(-(2 ^ 2))"),
        ("(-2)^2", "(-2 ^ 2)"),
        ("a*-b", "(a * (-b))"),
        ("--x", "(-(-x))"),
        ("+x", "x"),
        ("-(a+b)*c", "((-(a + b)) * c)"),
        ("a^b*c", "((a ^ b) * c)"),
        ("a*b^c", "(a * (b ^ c))"),
        ("sin(x)^2", "(sin(x) ^ 2)"),
        ("pow(a, b+c)", "(a ^ (b + c))"),
        ("atan2(y, x)", "atan2(y, x)"),
        ("((((x))))", "x"),
        ("1.5e3*x+.5-2.", "(((1.5e3 * x) + .5) - 2.)"),
    ],
)
def test_precedence_and_associativity(source, expected):
    assert shape(source) == expected


def test_numbers_are_read_exactly_as_python_reads_decimal_text():
    graph = parse("2 + 0.5 + .5 + 1e-3 + 2.5E+4")
    consts = [n.value for n in graph.nodes if n.op == CONST]
    assert consts == [2.0, 0.5, 0.5, 0.001, 25000.0]


def test_intermediates_are_named_like_a_hand_calculation():
    graph = parse("(a+b)*(b-c)")
    names = {n.name: graph.definition(n) for n in graph.nodes}
    assert names == {
        "a": "input",
        "b": "input",
        "c": "input",
        "d": "a + b",
        "e": "b - c",
        "f": "d * e",
    }
    assert graph.nodes[graph.output].name == "f"
    assert list(graph.inputs) == ["a", "b", "c"]


def test_generated_names_skip_names_used_anywhere_in_the_text():
    # d is assigned only later in the program, yet the sums skip it.
    graph = parse("s = a + b + c\nd = 1; s")
    names = [n.name for n in graph.nodes if n.op not in (INPUT, CONST)]
    assert names == ["e", "s"]


def test_generated_names_continue_with_t1_after_z():
    graph = parse("x*y + z*x + y")
    ops = [n.name for n in graph.nodes if n.op not in (INPUT, CONST)]
    assert ops == ["t1", "t2", "t3", "t4"]


def test_generated_names_start_at_a_without_single_letter_inputs():
    graph = parse("alpha*beta + w_0")
    ops = [n.name for n in graph.nodes if n.op not in (INPUT, CONST)]
    assert ops == ["a", "b"]


def test_statements_name_nodes_and_the_last_is_the_output():
    graph = parse("d = a + b; e = b - c\nf = d * e")
    out = graph.nodes[graph.output]
    assert out.name == "f" and graph.definition(out) == "d * e"
    assert len(graph.nodes) == 6  # a, b, d, c, e, f: names do not copy nodes


def test_rebinding_a_name_points_it_at_a_new_node():
    graph = parse("c = c + 1; c = c * 2; c")
    ops = [(n.name, graph.definition(n)) for n in graph.nodes if n.op not in (INPUT, CONST)]
    assert ops == [("c_2", "c + 1"), ("c_3", "c_2 * 2")]
    assert list(graph.inputs) == ["c"]
    assert graph.nodes[graph.output].name == "c_3"


def test_version_names_skip_names_the_user_wrote():
    graph = parse("c = c + 1; c_2 = 5; c * c_2")
    assert [n.name for n in graph.nodes if n.op not in (INPUT, CONST)][0] == "c_3"


def test_an_alias_names_no_new_node():
    graph = parse("d = a; d * 2")
    assert [n.name for n in graph.nodes] == ["a", "2", "b"]


def test_pi_and_e_are_constants_unless_bound_or_assigned():
    assert [n.op for n in parse("pi*e").nodes[:2]] == [CONST, CONST]
    assert list(parse("pi*e", bound={"e"}).inputs) == ["e"]
    graph = parse("e = 2; e*x")
    assert list(graph.inputs) == ["x"]


def test_a_negated_literal_is_one_constant():
    graph = parse("x^-1")
    assert [(n.name, n.value) for n in graph.nodes if n.op == CONST] == [("-1", -1.0)]
    graph = parse("k = 2; -k")  # a named constant is a value: negating it is an op
    assert graph.nodes[graph.output].op.name == "neg"


def test_newlines_inside_parentheses_and_after_operators_are_spaces():
    assert shape("(a +\n b)\n") == "(a + b)"
    assert shape("a +\n b") == "(a + b)"
    assert shape("sin(\n  x\n)") == "sin(x)"


def test_comments_blank_lines_and_empty_statements():
    graph = parse("# a comment\n\nd = a + b  # why\n;;\n d * 2\r\n")
    assert graph.definition(graph.nodes[graph.output]) == "d * 2"


@pytest.mark.parametrize("source", ["x # +1", "x #", "x  # sin(y)*2 ", "x\n# + 1"])
def test_a_comment_at_the_end_of_the_text_is_all_comment(source):
    # Found in review: with no newline after it, the comment's text after the #
    # was read as code, so "x # +1" meant x + 1.
    assert shape(source) == "x"


def test_no_recursion_at_depth_100000():
    depth = 100_000
    graph = parse("sin(" * depth + "x" + ")" * depth)
    assert len(graph.nodes) == depth + 1


def errors(source, bound=()):
    with pytest.raises(SourceError) as info:
        parse(source, bound)
    return info.value


@pytest.mark.parametrize(
    "source, column, words",
    [
        ("x+*y", 3, "missing operand after '+'"),
        ("x+", 3, "missing operand after '+'"),
        ("(x+1", 1, "this '(' is never closed"),
        ("x)", 2, "this ')' has no '(' to close"),
        ("2x", 2, "missing operator between the number 2 and 'x'"),
        ("x y", 3, "missing operator between 'x' and 'y'"),
        ("sin x", 5, "missing operator between 'sin' and 'x'"),
        ("x $ 2", 3, "unexpected character '$'"),
        ("x+1 = 2", 5, "unexpected '='"),
        ("sinn(x)", 1, "unknown function 'sinn'"),
        ("pow(x)", 1, "pow takes 2 arguments, but 1 was given"),
        ("sin(x, y)", 1, "sin takes 1 argument, but 2 were given"),
        ("sin + 1", 1, "'sin' is a function, not a value"),
        ("sin = 1", 1, "'sin' is a function and cannot be assigned to"),
        ("x*2 + x(3)", 7, "'x' is a value, not a function"),
        ("  ", 1, "the expression is empty"),
        ("# only a comment\n;", 1, "the expression is empty"),
        ("2 * 1e999", 5, "the number 1e999 is too large for a float64"),
        ("x \u2212 1", 3, "U+2212 MINUS SIGN"),
        ("a\u00d7b", 2, "U+00D7 MULTIPLICATION SIGN"),
        ("\u0430 + 1", 1, "U+0430 CYRILLIC SMALL LETTER A"),
        ("x\u200b+1", 2, "U+200B ZERO WIDTH SPACE"),
    ],
)
def test_syntax_errors_say_where_and_what(source, column, words):
    error = errors(source)
    assert words in error.message
    assert error.column == column
    # The source line is shown with a caret under the column.
    assert error.render().splitlines()[2] == "  " + " " * (column - 1) + "^"


@pytest.mark.parametrize(
    "source, hint",
    [
        ("x \u2212 1", "Type '-' instead."),
        ("a\u00d7b", "Type '*' instead."),
        ("\u0430 + 1", "Type 'a' instead."),
        ("x\u200b+1", "nothing (delete it)"),
        ("sinn(x)", "Did you mean sin?"),
        ("2x", "2*x"),
        ("x = 3 % 2", "no modulo"),
    ],
)
def test_errors_suggest_what_to_type(source, hint):
    assert hint in errors(source).render()


def test_error_on_a_later_line_gives_line_and_column():
    error = errors("d = a + b\ne = d ** * 2")
    assert (error.line, error.column) == (2, 10)
    assert "line 2, column 10" in error.render()
    assert error.render().splitlines()[1].strip() == "e = d ** * 2"


def test_caret_lands_under_the_column_in_a_long_line():
    source = "+".join(f"x{i}" for i in range(200)) + "+*y"
    error = errors(source)
    _, shown, caret = error.render().splitlines()[:3]
    assert shown[caret.index("^")] == "*"
    assert len(shown) < 90
