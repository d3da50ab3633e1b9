"""Node and Graph: a flat list of nodes in topological order, and how nodes get names.

Inputs, constants and operations are all nodes. A node's inputs are indices of
earlier nodes, so the list order is a topological order and every pass over the
graph is a plain loop over the list or its reverse.
"""

from __future__ import annotations

import gc
import math
import re
from contextlib import contextmanager

import numpy as np

from .errors import UsageError
from .ops import Op

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A name as the program writes it: not the e of 2.5e-1 or the T of x.T.
WRITTEN = re.compile(r"(?<![A-Za-z0-9_.])[A-Za-z_][A-Za-z0-9_]*")

LOWERCASE = "abcdefghijklmnopqrstuvwxyz"
# Memory stays bounded (a node and its value and adjoint take a few hundred
# bytes): 5 million nodes is a program nested a million deep three times over.
MAX_NODES = 5_000_000
INPUT = "input"
CONST = "const"


class Node:
    __slots__ = ("id", "op", "inputs", "name", "value", "literal", "position", "attrs")

    def __init__(
        self, id, op, inputs, name=None, value=None, position=None, literal=None, attrs=None
    ):
        self.id = id
        self.op = op  # an Op, or INPUT, or CONST
        self.inputs = inputs  # tuple of node ids, in argument order (x*x has (i, i))
        self.name = name  # the user's name, a generated one, or a constant's literal
        self.value = value  # a constant's value
        self.literal = literal  # a number as written ("0.1"): its exact value; None for pi
        self.position = position  # offset in the source where the node was written
        self.attrs = attrs  # an op's settings (axis=0), fixed when the program is read

    @property
    def kind(self) -> str:
        return self.op if isinstance(self.op, str) else "op"

    @property
    def op_name(self) -> str:
        return self.op if isinstance(self.op, str) else self.op.name

    def __repr__(self):
        return f"Node({self.id}, {self.op_name}, {self.inputs}, {self.name!r})"


class Graph:
    """The nodes of a program, its output, and its inputs by name."""

    def __init__(self, source: str = ""):
        self.source = source
        self.nodes: list[Node] = []
        self.inputs: dict[str, int] = {}  # name -> node id, in order of first use
        self.output: int | None = None
        # An array op or array constant (the parser says so): shapes are checked first.
        self.arrays = False
        self.statements: list[int] = []  # the statements that name nothing, by node
        self._written: set[str] | None = None

    def written(self) -> set[str]:
        """Every name the program's text has: a node named otherwise was named by cg."""
        if self._written is None:
            self._written = set(WRITTEN.findall(self.source))
        return self._written

    def add(
        self, op, inputs=(), name=None, value=None, position=None, literal=None, attrs=None
    ) -> int:
        nodes = self.nodes
        if len(nodes) >= MAX_NODES:
            raise UsageError(
                f"the program has more than {MAX_NODES:,} nodes, more than cg takes on",
                "Split it, or compute its parts separately.",
            )
        nodes.append(Node(len(nodes), op, inputs, name, value, position, literal, attrs))
        return len(nodes) - 1

    def add_input(self, name: str, position=None) -> int:
        node = self.add(INPUT, name=name, position=position)
        self.inputs[name] = node
        return node

    def definition(self, node: Node, label=None, times: str = "*") -> str:
        """How a node is computed from its inputs: `a + b`, `sin(d)`.

        `label(i)` gives the text for input node i (its name unless told otherwise).
        """
        if not isinstance(node.op, Op):
            return node.op
        label = label or (lambda i: self.nodes[i].name)
        return node.op.show([operand(label(i)) for i in node.inputs], times, node.attrs)

    def in_terms_of_inputs(self, node: Node, formula: str) -> str:
        """A formula written in the op's argument names (x, y), in the node's inputs' names."""
        names = dict(zip(node.op.args, (operand(self.nodes[i].name) for i in node.inputs)))
        return IDENTIFIER.sub(lambda m: names.get(m.group(), m.group()), formula)

    def name_intermediates(self, used: set[str]) -> None:
        """Give every unnamed operation a name, the way one would by hand.

        After the inputs a, b, c come d, e, f: the next free single letters after
        the last input letter, skipping every name in `used`; then t1, t2, ...
        """
        taken = set(used)
        letters = [n for n in self.inputs if len(n) == 1 and n in LOWERCASE]
        start = LOWERCASE.index(max(letters)) + 1 if letters else 0
        fresh = (c for c in LOWERCASE[start:] if c not in taken)
        counter = 0
        for node in self.nodes:
            if node.name is not None:
                continue
            name = next(fresh, None)
            while name is None or name in taken:
                counter += 1
                name = f"t{counter}"
            node.name = name
            taken.add(name)


@contextmanager
def collector_paused():
    """Python's cyclic collector off for a pass that makes a node (or a value, a rope of
    text) per operation: none of them form cycles, so its passes would only rescan them
    as they pile up, over and over (a tenth of the time at 10,000 terms, and growth
    above linear). Put back as it was, if it was on."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def operand(text: str) -> str:
    """An operand as it stands inside a formula: negative numbers and fractions get
    parentheses (1/3 · (-2/5), (1/3)^2)."""
    return f"({text})" if text.startswith("-") or "/" in text else text


def to_source(graph: Graph) -> str:
    """The graph as a program cg reads back into the same graph: a statement a node."""
    lines = []
    used = {i for node in graph.nodes for i in node.inputs} | {graph.output}
    labels = {}

    def label(i: int) -> str:
        return labels.get(i, graph.nodes[i].name)

    for node in graph.nodes:
        if node.op == INPUT:
            if node.id not in used:
                lines.append(node.name)  # an input nothing uses: still an input
        elif node.op == CONST:
            text = _literal(node)
            if IDENTIFIER.fullmatch(node.name) and text != node.name:
                lines.append(f"{node.name} = {text}")  # a named constant: k = 2.5
            else:
                labels[node.id] = text
        else:
            lines.append(f"{node.name} = {graph.definition(node, label)}")
    lines.append(label(graph.output))
    return "\n".join(lines) + "\n"


def _literal(node: Node) -> str:
    """A constant as the program text that reads back to exactly its value."""
    if node.literal is not None:
        return node.literal
    if node.name in ("pi", "e") and node.value == {"pi": math.pi, "e": math.e}[node.name]:
        return node.name
    if isinstance(node.value, np.ndarray):
        import json

        return json.dumps(node.value.tolist())  # repr of each float: exact
    return repr(float(node.value))
