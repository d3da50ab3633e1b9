"""A Hypothesis strategy for random valid cg programs, built with their SymPy meaning.

Each program is drawn as a tree from the grammar's own structure (operators,
functions, statements, reassignment) and printed with the fewest parentheses
the precedence rules allow, while the same tree is built as a SymPy expression.
cg parses the text; SymPy never sees it, so the two meet only in the numbers.
Arguments of functions with a restricted domain are wrapped so that every
value stays inside it (log(x^2 + 0.5), asin(0.9*sin(x)), ...).
"""

from __future__ import annotations

import sympy as sp
from hypothesis import strategies as st

INPUTS = ("a", "b", "c", "x", "y")
ASSIGNED = ("p", "q")
SYMBOLS = {name: sp.Symbol(name, real=True) for name in INPUTS}

# Precedence levels of the grammar: a term of level L may stand where level >= L is needed.
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5

LITERALS = ("0.5", "2", "3", "1.25", "0.1", "7", "2.5e-1", ".75")


class Term:
    """A piece of program text, its precedence level, and its SymPy meaning."""

    def __init__(self, text: str, level: int, expr):
        self.text, self.level, self.expr = text, level, expr

    def at(self, level: int) -> str:
        return self.text if self.level >= level else f"({self.text})"


def num(text: str) -> sp.Float:
    return sp.Float(float(text), 40)  # the float cg reads, exactly


def binary(op: str, left: Term, right: Term) -> Term:
    if op in "+-":
        text, level = f"{left.at(SUM)} {op} {right.at(PRODUCT)}", SUM
    elif op in "*/":
        text, level = f"{left.at(PRODUCT)}{op}{right.at(UNARY)}", PRODUCT
    else:  # ^: the base is an atom, the exponent a unary (so 2^-x and x^y^z parse)
        text, level = f"{left.at(ATOM)}^{right.at(UNARY)}", POWER
    expr = {
        "+": lambda p, q: p + q,
        "-": lambda p, q: p - q,
        "*": lambda p, q: p * q,
        "/": lambda p, q: p / q,
        "^": lambda p, q: p**q,
    }[op](left.expr, right.expr)
    return Term(text, level, expr)


# cg's functions that SymPy spells differently (the others have the same name).
SYMPY_FUNCTIONS = {
    "relu": lambda u: sp.Max(u, 0),
    "sigmoid": lambda u: 1 / (1 + sp.exp(-u)),
    "softplus": lambda u: sp.log(1 + sp.exp(u)),
    "log2": lambda u: sp.log(u, 2),
    "log10": lambda u: sp.log(u, 10),
    "min": sp.Min,
    "max": sp.Max,
    "abs": sp.Abs,
    "pow": lambda u, v: u**v,
}


def call(name: str, *args: Term) -> Term:
    meaning = SYMPY_FUNCTIONS.get(name) or getattr(sp, name)
    text = f"{name}({', '.join(a.text for a in args)})"
    return Term(text, ATOM, meaning(*(a.expr for a in args)))


def neg(term: Term) -> Term:
    return Term(f"-{term.at(UNARY)}", UNARY, -term.expr)


def literal(text: str) -> Term:
    return Term(text, ATOM, num(text))


def positive(term: Term) -> Term:
    """term^2 + 0.5: inside the domain of log and sqrt, and away from 0."""
    return binary("+", binary("^", term, literal("2")), literal("0.5"))


def bounded(term: Term, scale: str) -> Term:
    """scale*sin(term): inside (-scale, scale)."""
    return binary("*", literal(scale), call("sin", term))


# Functions whose argument may be anything, and how to keep the others' in range.
FREE = ("sin", "cos", "atan", "tanh", "sigmoid", "softplus", "relu", "abs")
GUARDED = {
    "log": positive,
    "log2": positive,
    "log10": positive,
    "sqrt": positive,
    "exp": lambda t: bounded(t, "2"),
    "sinh": lambda t: bounded(t, "2"),
    "cosh": lambda t: bounded(t, "2"),
    "tan": lambda t: bounded(t, "0.7"),
    "asin": lambda t: bounded(t, "0.9"),
    "acos": lambda t: bounded(t, "0.9"),
}


@st.composite
def terms(draw, names: tuple[str, ...], scope: dict, depth: int) -> Term:
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        if draw(st.integers(0, 3)) == 0:
            return literal(draw(st.sampled_from(LITERALS)))
        name = draw(st.sampled_from(names))
        return Term(name, ATOM, scope[name])
    sub = terms(names, scope, depth - 1)
    kind = draw(st.sampled_from(["+", "-", "*", "/", "^", "neg", "free", "guarded", "two"]))
    if kind in "+-*":
        return binary(kind, draw(sub), draw(sub))
    if kind == "/":  # a denominator in [0.5, 2.5]
        return binary("/", draw(sub), binary("+", literal("1.5"), call("sin", draw(sub))))
    if kind == "^":
        base = draw(sub)
        if draw(st.booleans()):
            return binary("^", base, literal(draw(st.sampled_from(["2", "3"]))))
        return binary("^", positive(base), call("sin", draw(sub)))
    if kind == "neg":
        return neg(draw(sub))
    if kind == "free":
        return call(draw(st.sampled_from(FREE)), draw(sub))
    if kind == "guarded":
        name = draw(st.sampled_from(sorted(GUARDED)))
        return call(name, GUARDED[name](draw(sub)))
    name = draw(st.sampled_from(["min", "max", "atan2", "pow"]))
    first, second = draw(sub), draw(sub)
    if name == "atan2":  # away from the origin
        return call("atan2", first, positive(second))
    if name == "pow":
        return call("pow", positive(first), call("sin", second))
    return call(name, first, second)


@st.composite
def programs(draw, max_depth: int = 8):
    """(program text, {input: value}, SymPy expression of the output)."""
    inputs = INPUTS[: draw(st.integers(1, 5))]
    scope = {name: SYMBOLS[name] for name in inputs}
    names = tuple(inputs)
    lines = []
    for _ in range(draw(st.integers(0, 2))):  # statements that name values
        target = draw(st.sampled_from(ASSIGNED))
        # The right side is read before the name changes: p = p + 1 uses the old p.
        term = draw(terms(names, scope, draw(st.integers(1, max_depth))))
        lines.append(f"{target} = {term.text}")
        scope[target] = term.expr
        names = tuple(dict.fromkeys(names + (target,)))
    output = draw(terms(names, scope, draw(st.integers(1, max_depth))))
    lines.append(output.text)
    separator = draw(st.sampled_from(["\n", "; "]))
    values = {name: draw(st.floats(0.3, 2.0)) for name in inputs}
    return separator.join(lines), values, output.expr
