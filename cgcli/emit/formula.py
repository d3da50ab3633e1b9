"""A Graph, or several outputs of one, as a cg program that cg reads back into the same values.

This is the text `cg diff`, `cg optimize` and `cg codegen` print. A node used
more than once becomes a statement, so the text grows with the graph, never
with the tree it stands for; so does a node whose text would pass `inline`
characters, so lines stay readable. Each node's text is computed once, in one
loop in topological order, as a list of pieces (strings, and the ids of nodes
written inline) that a final loop joins, so a chain a million deep prints in
linear time with no recursion.

Parentheses are the fewest the grammar's precedence needs (sum < product <
unary minus < power < postfix < atom), with one addition for the reader: an
operand that begins with a minus sign is parenthesised after a binary operator
or a minus, x - (-2), x * (-y), -(-x), though the grammar would take x - -2;
an exponent keeps its sign bare, 2^-1. Constants read back to the same float64:
the literal as written, else repr (2 for 2.0); inf, -inf and NaN, which have
no literal, are written 1 / 0, -1 / 0 and 0 / 0, which cg computes to the same
values (and warns of, as of any inf or NaN). `pi` and `e` are written by name
unless an input, a reserved name or a label is called so. An array constant
used more than once is a statement too, so its digits are written once.

A statement keeps the name the user gave it (a name in the graph's source)
when no input, function, reserved name, label, printed pi or e, or earlier
statement has it; else it is t1, t2, ..., skipping all of those and every name
in the source. The text is meant to be read with the graph's input names bound,
parse(text, bound=graph.inputs), so that inputs called pi or e stay inputs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from ..graph import CONST, IDENTIFIER, INPUT, Graph
from ..ops import CONSTANTS, FUNCTIONS

# Precedence levels of the grammar (cg.lark): text of level L stands where L or more is needed.
SUM, PRODUCT, UNARY, POWER, POSTFIX, ATOM = range(1, 7)
NUMBER = ATOM + 1  # what a bare number needs before .T or [0]: parentheses, as (2).T
# An infix symbol: the level of its result, and the least level of its left and right operands.
INFIX = {
    "+": (SUM, SUM, PRODUCT),
    "-": (SUM, SUM, PRODUCT),
    "*": (PRODUCT, PRODUCT, UNARY),
    "/": (PRODUCT, PRODUCT, UNARY),
    "@": (PRODUCT, PRODUCT, UNARY),
    "^": (POWER, POSTFIX, UNARY),
}
# No literal reads as these; cg computes them so (x/0 is IEEE's), spaced as cg prints a division.
NON_FINITE = {math.inf: "1 / 0", -math.inf: "-1 / 0"}
WHOLE = 2.0**53  # below it a whole float64 is written as an integer: 2, not 2.0
PLACE = "\0"  # where an operand goes in an op's template


@dataclass
class Program:
    """Statements shared by the outputs, then one expression per output."""

    statements: list[tuple[str, str]]  # (name, expression), in the order they are computed
    lines: list[tuple[str, str]]  # (label, expression), one per output, in the order given
    # The node each statement computes (not compared: the text is the program).
    nodes: list[int] = field(default_factory=list, compare=False)

    def text(self) -> str:
        rows = self.statements + self.lines
        return "".join(f"{name} = {expression}\n" for name, expression in rows)


def program(
    graph: Graph, outputs: dict[str, int], reserved=frozenset(), inline: int | None = 60
) -> Program:
    """The outputs as a program: `inline` is the longest text a node is written in
    before it becomes a statement of its own (None: no limit)."""
    printer = _Printer(graph, list(outputs.values()), set(reserved) | set(outputs), inline)
    lines = [(label, printer.text(node)) for label, node in outputs.items()]
    return Program(printer.statements, lines, printer.statement_nodes)


def single(graph: Graph, node: int, reserved=frozenset(), inline: int | None = 60) -> str:
    """One output as a program cg reads: the statements it needs, then its expression
    (a program's value is its last statement)."""
    printer = _Printer(graph, [node], set(reserved), inline)
    last = printer.text(node)
    return "".join(f"{name} = {text}\n" for name, text in printer.statements) + last + "\n"


def tree_size(graph: Graph, nodes: list[int]) -> int:
    """The operations the outputs take written out as trees, each on its own, with
    no sharing: what a printer without statements would print. It grows
    exponentially with depth (x1 = x*x, x2 = x1*x1, ...), hence Python ints."""
    size = {}
    for i in _needed(graph, nodes):
        node = graph.nodes[i]
        size[i] = 0 if node.op in (INPUT, CONST) else 1 + sum(size[j] for j in node.inputs)
    return sum(size[i] for i in nodes)


def shared_size(graph: Graph, nodes: list[int]) -> int:
    """The operations the outputs take with sharing: the distinct ones they need."""
    all_nodes = graph.nodes
    return sum(1 for i in _needed(graph, nodes) if all_nodes[i].op not in (INPUT, CONST))


def _needed(graph: Graph, roots: list[int]) -> list[int]:
    """The nodes the roots need, in the graph's order: a walk from the roots with its own
    stack, in time proportional to what it finds (cg diff --json writes each of 10^4
    partials of one graph on its own: a loop over the whole graph for each is quadratic)."""
    nodes = graph.nodes
    seen = set(roots)
    stack = list(seen)
    while stack:
        for j in nodes[stack.pop()].inputs:
            if j not in seen:
                seen.add(j)
                stack.append(j)
    return sorted(seen)


class _Printer:
    """Every needed node's text, as pieces, with its level; the statements so far."""

    def __init__(self, graph: Graph, roots: list[int], reserved: set[str], inline):
        nodes = graph.nodes
        needed = _needed(graph, roots)
        uses = dict.fromkeys(needed, 0)
        for i in roots:
            uses[i] += 1
        for i in needed:
            for j in nodes[i].inputs:
                uses[j] += 1
        self.graph = graph
        self.written = graph.written()
        # Names in use: these, the inputs' and the functions' (looked up where they are,
        # not copied: a printer per partial would copy 10^4 input names each time).
        self.taken = set(reserved)
        self.fixed = (graph.inputs, FUNCTIONS)
        # pi and e by name only where nothing else is called so; then no statement is.
        self.names = tuple(c for c in CONSTANTS if not self._taken(c))
        self.taken |= {
            c.lstrip("-")
            for i in needed
            if nodes[i].op == CONST and (c := self._constant_name(nodes[i]))
        }
        self.counter = 0
        self.statements: list[tuple[str, str]] = []
        self.statement_nodes: list[int] = []
        # Per node: its text (a str for a leaf or a statement's name, else a list of
        # pieces: strings and ids of nodes written inline), its level, whether it
        # begins with a minus, its length.
        self.pieces: dict = {}
        self.level: dict[int, int] = {}
        self.minus: dict[int, bool] = {}
        self.size: dict[int, int] = {}
        self.numbers: set[int] = set()  # bare numbers: 2.T would read as 2. T
        roots = set(roots)
        for i in needed:
            node = nodes[i]
            if node.op == INPUT:
                self._leaf(i, node.name, ATOM)
            elif node.op == CONST:
                self._constant(node)
                if uses[i] > 1 and _is_array(node.value):
                    self._statement(node, [self.pieces[i]])  # an array: written once
            else:
                self._operation(node)
                long = inline is not None and self.size[i] > inline and i not in roots
                if uses[i] > 1 or long:
                    self._statement(node, self.pieces[i])

    def _taken(self, name: str) -> bool:
        inputs, functions = self.fixed
        return name in self.taken or name in inputs or name in functions

    def text(self, i: int) -> str:
        """A node's text, its inline parts joined, in one loop with its own stack."""
        piece = self.pieces[i]
        if type(piece) is str:
            return piece
        out, stack, pieces = [], [iter(piece)], self.pieces
        while stack:
            for item in stack[-1]:
                if type(item) is str:
                    out.append(item)
                else:
                    stack.append(iter(pieces[item]))
                    break
            else:
                stack.pop()
        return "".join(out)

    def _leaf(self, i: int, text: str, level: int) -> None:
        self.pieces[i], self.level[i], self.size[i] = text, level, len(text)
        self.minus[i] = text.startswith("-")

    def _statement(self, node, pieces: list) -> None:
        i = node.id
        self.pieces[i] = pieces
        self.statements.append((self._name(node), self.text(i)))
        self.statement_nodes.append(i)
        self._leaf(i, self.statements[-1][0], ATOM)

    def _name(self, node) -> str:
        """The user's name when it is free, else t1, t2, ... past every name in use."""
        taken, name = self._taken, node.name
        if not (name and IDENTIFIER.fullmatch(name) and name in self.written and not taken(name)):
            while True:
                self.counter += 1
                name = f"t{self.counter}"
                if not taken(name) and name not in self.written:
                    break
        self.taken.add(name)
        return name

    def _constant_name(self, node) -> str | None:
        """pi, -pi, e or -e, for a constant cg made (not one the user wrote as digits)."""
        value = node.value
        if node.literal is None and not _is_array(value):
            for name in self.names:
                if _same(abs(float(value)), CONSTANTS[name]):
                    return name if value > 0 else "-" + name
        return None

    def _constant(self, node) -> None:
        i, value = node.id, node.value
        if not _is_array(value):
            text = self._constant_name(node) or _number(float(value), node.literal)
            self._leaf(i, text, ATOM if text[0] != "-" else UNARY)
            if "/" in text:
                self.level[i] = PRODUCT
            elif text not in CONSTANTS:
                self.numbers.add(i)
        elif np.size(value) == 0:  # no [] in the grammar: an empty slice of [0]
            shape = ", ".join(str(n) for n in np.shape(value))
            self._leaf(i, f"reshape([0][0:0], {shape})", ATOM)
        else:
            self._leaf(i, _array(np.asarray(value, dtype=np.float64)), ATOM)

    def _put(self, out: list, j: int, least: int, guard_minus=False) -> int:
        """Append node j as an operand that needs level `least`, in parentheses if its
        own is lower, or if it begins with a minus and `guard_minus`; its length."""
        piece = self.pieces[j]
        item = piece if type(piece) is str else j
        if self.level[j] < least or (guard_minus and self.minus[j]):
            out += ("(", item, ")")
            return self.size[j] + 2
        out.append(item)
        return self.size[j]

    def _operation(self, node) -> None:
        i, op, inputs = node.id, node.op, node.inputs
        pieces, level, minus = [], ATOM, False
        if op.template is not None:
            # The op's own way of showing it, x.T, x[0], [a, b], with places for operands.
            fragments = op.template([PLACE] * len(inputs), **(node.attrs or {})).split(PLACE)
            postfix = fragments[0] == ""
            size = len(fragments[0])
            if not postfix:
                pieces.append(fragments[0])
            for j, fragment in zip(inputs, fragments[1:]):
                # A bare number as a postfix operand: 2.T would read as the number 2.
                least = SUM if not postfix else NUMBER if j in self.numbers else POSTFIX
                size += self._put(pieces, j, least) + len(fragment)
                if fragment:
                    pieces.append(fragment)
            level = POSTFIX if postfix else ATOM
        elif op.symbol is not None and len(inputs) == 1:  # -x
            pieces.append(op.symbol)
            size = 1 + self._put(pieces, inputs[0], UNARY, True)
            level, minus = UNARY, True
        elif op.symbol is not None:
            level, left, right = INFIX[op.symbol]
            x, y = inputs
            sign = op.symbol if op.symbol == "^" else f" {op.symbol} "
            size = self._put(pieces, x, left)
            minus = self.minus[x] and len(pieces) == 1  # not when in parentheses
            pieces.append(sign)
            size += len(sign) + self._put(pieces, y, right, op.symbol != "^")
        else:  # f(x, y, axis=0)
            pieces += (op.call, "(")
            size = len(op.call) + 2
            for k, j in enumerate(inputs):
                if k:
                    pieces.append(", ")
                    size += 2
                size += self._put(pieces, j, SUM)
            for key, value in (node.attrs or {}).items():
                if not (key in op.params and _equal(value, op.params[key])):
                    text = ", " + _setting(op, key, value)
                    pieces.append(text)
                    size += len(text)
            pieces.append(")")
        self.pieces[i], self.level[i], self.minus[i], self.size[i] = pieces, level, minus, size


def _is_array(value) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0


def _setting(op, key, value) -> str:
    """axis=0; a shape as more arguments, reshape(x, 2, 3), as cg reads it."""
    if key == "shape":
        return ", ".join(str(int(n)) for n in value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return f"{key}={int(value)}"
    raise ValueError(f"{op.name}'s setting {key}={value!r} has no way to be written in cg")


def _equal(value, default) -> bool:
    if value is None or default is None:
        return value is default
    return np.array_equal(value, default)


def _same(a: float, b: float) -> bool:
    """The same float64, -0 apart from 0, any NaN as any NaN."""
    return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)


def _number(value: float, literal: str | None) -> str:
    """A number as text cg reads back to exactly this float64."""
    if literal is not None:
        try:
            if _same(float(literal), value):
                return literal
        except ValueError:
            pass
    if value != value:
        return "0 / 0"
    if value in NON_FINITE:
        return NON_FINITE[value]
    if value.is_integer() and abs(value) < WHOLE and (value or math.copysign(1.0, value) > 0):
        return str(int(value))  # but -0.0: int() would lose its sign
    return repr(value)


def _array(value: np.ndarray) -> str:
    """[[1.0, 2.0], [3.0, 4.0]]: the rows nested by a loop over the axes, innermost first."""
    items = [_number(float(v), None) for v in value.ravel()]
    for n in reversed(value.shape):
        items = ["[" + ", ".join(items[k : k + n]) + "]" for k in range(0, len(items), n)]
    return items[0]
