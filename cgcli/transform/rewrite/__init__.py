"""Simplification as named rewrites: constant folding, the identities of 0 and 1, like
factors and terms, common subexpressions and dead code, each firing recorded.

A pass is one loop over the nodes in order, building a new graph: each node's
inputs are already rewritten, so a rule sees its operands in their final form
and a whole chain of identities collapses in one pass; a table of (op, inputs,
settings) merges equal subexpressions as they are built (hash-consing), and only
the nodes the outputs need are visited. Passes repeat until none fires, at most
`max_passes` times, so simplification ends however the rules interact.

Exact rules keep every value bit for bit (rules.py says why, rule by rule). The
gradient the reverse pass computes on the new graph is the derivative of the same
values, but where nodes were merged or bypassed it adds the same contributions in
another grouping ((a + b)*c for a*c + b*c), which may round differently; folding
and dead code removal alone keep the gradient bit for bit too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...graph import CONST, INPUT, MAX_NODES, Graph, Node, collector_paused
from ...interpret.exact import exact_value, small
from ...ops import OPS
from ..symbolic import literal_limit
from .rules import IDENTITIES, RULES, Rule
from .text import LABEL, MANY, array_text, clip, decimal, label, operand, show

__all__ = ["RULES", "Rewrite", "Rule", "Simplified", "simplify"]

FOLD_ELEMENTS = 1 << 20  # larger arrays are left to evaluation (and its memory budget)
COMMUTATIVE = {"add", "mul"}  # x + y and y + x are the same float64, NaNs included
DEPTH = 4  # rules applied to what a rule builds, nested at most this deep in a pass


@dataclass
class Rewrite:
    rule: str
    exact: bool
    node: str  # the node's name in the input graph, or its id there as "#12"
    before: str  # cg text, at most 60 characters: x * 1
    after: str  # x; "" for dead code


@dataclass
class Simplified:
    graph: Graph
    outputs: list[int]
    rewrites: list[Rewrite]
    passes: int


def simplify(
    graph: Graph,
    outputs: list[int] | None = None,
    assume_finite: bool = False,
    max_passes: int = 8,
) -> Simplified:
    """The graph with the rules applied until none fires (or `max_passes` passes),
    keeping only what `outputs` (node ids; the graph's output by default) need,
    and every input, in order.

    With `assume_finite`, the rules that are not exact run too: they take every value
    to be finite, -0 to be +0, and the inputs of a program without arrays to be numbers.
    """
    if max_passes < 1:
        raise ValueError(f"max_passes must be at least 1, not {max_passes}")
    with collector_paused():
        return _simplify(graph, outputs, assume_finite, max_passes)


def _simplify(graph, outputs, assume_finite, max_passes) -> Simplified:
    outputs = [graph.output] if outputs is None else list(outputs)
    live = _live(graph, outputs)
    user = graph.written()
    labels = [
        None if node.inputs and node.name not in user else clip(node.name or f"#{node.id}", LABEL)
        for node in graph.nodes
    ]
    rewrites = [
        Rewrite("dead-code", True, _where(graph, node.id), clip(show(node, labels)), "")
        for node in graph.nodes
        if node.inputs and not live[node.id]
    ]
    origin = list(range(len(graph.nodes)))
    current, passes, literals = graph, 0, {}
    while True:
        step = _Pass(graph, current, live, origin, labels, literals, assume_finite)
        step.run()
        passes += 1
        rewrites += step.rewrites
        current, origin, labels = step.new, step.origin, step.labels
        outputs = [step.map[o] for o in outputs]
        live = _live(current, outputs)
        # A pass that fired nothing changed nothing; one whose new nodes are none of
        # them a rule's candidate leaves nothing for another pass to do (see _Pass).
        if not step.rewrites or not step.unsettled or passes >= max_passes:
            break
    if not all(live[n.id] or n.op == INPUT for n in current.nodes):
        # What the last pass bypassed: dropped, rewriting nothing.
        step = _Pass(graph, current, live, origin, labels, literals, assume_finite, False)
        step.run()
        current, outputs = step.new, [step.map[o] for o in outputs]
    current.source = graph.source
    current.arrays = graph.arrays
    current.output = outputs[0] if outputs else None
    return Simplified(current, outputs, rewrites, passes)


def _live(graph: Graph, outputs: list[int]) -> list[bool]:
    """The nodes the outputs depend on: one loop in reverse order."""
    live = [False] * len(graph.nodes)
    for o in outputs:
        live[o] = True
    nodes = graph.nodes
    for i in range(len(nodes) - 1, -1, -1):
        if live[i]:
            for j in nodes[i].inputs:
                live[j] = True
    return live


def _where(original: Graph, i: int) -> str:
    name = original.nodes[i].name
    return name if name is not None else f"#{i}"


class _Pass:
    """One loop over a graph's nodes that builds the rewritten graph.

    Beside the new nodes it keeps, per new node: its constant value (None for the
    rest), its shape where known, the node of the original graph it stands for (for
    the record), and its label in the record's texts (None until needed); and the
    exact values of the constants that have one. A node copied as itself was tried
    against every rule with its inputs final, so another pass would try the same
    again: only the nodes the rules build are unsettled, when a rule might apply to
    them (`unsettled`).
    """

    NEG = OPS["neg"]

    def __init__(
        self, original, graph, live, origin, labels, literals, assume_finite, rewrite=True
    ):
        self.original, self.old, self.live = original, graph, live
        self.old_origin, self.old_labels = origin, labels
        self.literals = literals  # literal -> its exact value, for every pass
        self.rewrite = rewrite
        self.user = original.written()  # names of the user's, as opposed to cg's
        scalar = assume_finite and not original.arrays
        self.input_shape = () if scalar else None  # unknown: a number or an array
        self.rules = {
            op: [(r, fn) for r, fn in entries if r.exact or assume_finite]
            for op, entries in IDENTITIES.items()
        }
        self.new = Graph(graph.source)
        self.map: list[int | None] = [None] * len(graph.nodes)
        self.value, self.shape, self.origin, self.labels = [], [], [], []
        self.rational: dict[int, Fraction] = {}
        self.table: dict = {}
        self.rewrites: list[Rewrite] = []
        self.unsettled = False
        self.depth = 0
        self.here = 0  # the old node being rewritten

    # ------------------------------------------------------------ the loop

    def run(self) -> None:
        old, live, m = self.old, self.live, self.map
        for node in old.nodes:
            i, op = node.id, node.op
            self.here = i
            if type(op) is str:
                if op == INPUT:
                    shape = self.input_shape
                    m[i] = self._add(INPUT, (), node.name, None, None, shape, None, node.name)
                elif live[i]:
                    rational = self._exact_literal(node)
                    m[i] = self._constant(node.value, node.literal, node.name, rational)
            elif live[i]:
                ins = node.inputs
                if len(ins) == 1:
                    ins = (m[ins[0]],)
                elif len(ins) == 2:
                    ins = (m[ins[0]], m[ins[1]])
                else:
                    ins = tuple([m[j] for j in ins])
                m[i] = self._operation(node, op, ins)
        self.new.inputs = {name: m[i] for name, i in old.inputs.items()}

    def _operation(self, node, op, ins: tuple) -> int:
        attrs = node.attrs
        key = _key(op, ins, attrs)
        if self.rewrite:
            value = self.value
            for i in ins:
                if value[i] is None:
                    break
            else:
                folded = self._fold(op, ins, attrs)
                if folded is not None:
                    return self._fired(RULES["fold"], node, op, ins, folded)
            rules = self.rules.get(op.name)
            if rules and self._candidate(ins):
                result = self._apply(rules, node, op, ins)
                if result is not None:
                    return result
            found = self.table.get(key)
            if found is not None:
                return self._fired(RULES["cse"], node, op, ins, found)
        name = node.name if node.name in self.user else None
        shape = self.result_shape(op, ins, attrs)
        i = self._add(op, ins, name, None, None, shape, attrs, self.old_labels[node.id])
        self.table[key] = i
        return i

    def _apply(self, rules, node, op, ins: tuple) -> int | None:
        """The first of `rules` that rewrites op(ins), recorded; None where none does."""
        for r, fn in rules:
            size = len(self.new.nodes)
            result = fn(self, *ins)
            if result is not None:
                return self._fired(r, node, op, ins, result, size)
        return None

    def _candidate(self, ins: tuple) -> bool:
        """Whether an identity may apply: a constant operand, a repeated one, or a negation."""
        value, nodes, neg = self.value, self.new.nodes, self.NEG
        if len(ins) == 2:
            x, y = ins
            return (
                x == y
                or value[x] is not None
                or value[y] is not None
                or nodes[x].op is neg
                or nodes[y].op is neg
            )
        return len(ins) == 1 and nodes[ins[0]].op is neg

    def _fired(self, r: Rule, node, op, ins: tuple, result: int, size=None) -> int:
        """Record that `r` rewrote op(ins) (`node`, or None for a node a rule was
        building) into `result`."""
        new = self.new.nodes[result]
        if size is not None and result >= size and new.inputs:  # built by the rule
            after = self._text(new.op, new.inputs, new.attrs)
            if node is not None and new.name is None and node.name in self.user:
                new.name = node.name  # d = x + x names its 2*x
        else:
            after = label(self.new, self.labels, result)
        before = self._text(op, ins, node.attrs if node is not None else None)
        where = _where(self.original, self.old_origin[self.here])
        if after == before:  # cse: sin(x) → sin(x) says nothing; name the node it joins
            after = _where(self.original, self.origin[result])
        self.rewrites.append(Rewrite(r.name, r.exact, where, before, after))
        return result

    def _text(self, op, ins: tuple, attrs) -> str:
        operands = [operand(label(self.new, self.labels, j)) for j in ins[:MANY]]
        return clip(op.show(operands + (["…"] if len(ins) > MANY else []), "*", attrs))

    # --------------------------------------------- what the rules build with

    def make(self, op_name: str, ins: tuple) -> int:
        """The node op(ins): an existing one where there is one, else what the rules
        make of it (-x of -y is y), else a new node."""
        op = OPS[op_name]
        key = _key(op, ins, None)
        found = self.table.get(key)
        if found is not None:
            return found
        rules = self.rules.get(op_name)
        if rules and self._candidate(ins):
            if self.depth < DEPTH:  # a rule's rule's rule: at most DEPTH deep
                self.depth += 1
                result = self._apply(rules, None, op, ins)
                self.depth -= 1
                if result is not None:
                    return result
            else:
                self.unsettled = True  # a rule may apply to it: another pass will see
        if all(self.value[j] is not None for j in ins):
            self.unsettled = True  # constants that another pass may fold
        i = self._add(op, ins, None, None, None, self.result_shape(op, ins))
        self.table[key] = i
        return i

    def constant(self, value) -> int:
        """A constant node of this value (a whole number, or an array)."""
        if np.ndim(value) == 0:
            value = float(value)
            text = decimal(Fraction(value), value)
            return self._constant(value, text, text or repr(value), Fraction(value))
        return self._constant(value, None, array_text(value), None)

    def filled(self, shape, number: float):
        """A constant of this shape, every element `number`; None for an unknown shape."""
        if shape is None or math.prod(shape) > FOLD_ELEMENTS:
            return None
        return self.constant(number if shape == () else np.full(shape, number))

    def result_shape(self, op, ins: tuple, attrs=None):
        """The shape of op(ins) where its operands' shapes are known, else None."""
        shape = self.shape
        for i in ins:
            if shape[i] is None:
                return None
        op = OPS[op] if isinstance(op, str) else op
        try:
            return tuple(op.shape(*[shape[i] for i in ins], **(attrs or {})))
        except Exception:  # a shape error: evaluation will say so, where it is
            return None

    # ----------------------------------------------------------- constants

    def _fold(self, op, ins: tuple, attrs):
        """op(constants) as a constant, computed with op.forward as evaluation does.

        None where the result is not finite (left for evaluation to diagnose, and a
        program cannot write it) or is large; and where --exact would compute a rational
        that no literal can carry beside the float: 1/3 (no decimal reads back as 1/3)
        and 0.1 + 0.2 (exactly 0.3, but 0.30000000000000004 in float64) stay as written,
        so that the simplified graph evaluates as the original in both arithmetics."""
        shape = self.result_shape(op, ins, attrs)
        if shape is None or math.prod(shape) > FOLD_ELEMENTS:
            return None
        args = [self.value[i] for i in ins]
        if math.prod(shape) > literal_limit(args):
            return None  # broadcast(-1, 1000): shorter as it is
        args = [v if isinstance(v, np.ndarray) else np.float64(v) for v in args]
        try:
            with np.errstate(all="ignore"):
                out = op.forward(*args, **(attrs or {}))
        except Exception:
            return None
        if not np.all(np.isfinite(out)):
            return None
        if np.ndim(out) == 0:
            out = float(out)
            rational = self._exact(op, ins)
            text = None
            if rational is not None:
                text = decimal(rational, out)
                if text is None:
                    return None
            return self._constant(out, text, text or repr(out), rational)
        out = np.array(out, dtype=np.float64)  # a copy: forward may give a view of a constant
        return self._constant(out, None, array_text(out), None)

    def _exact(self, op, ins: tuple) -> Fraction | None:
        """op's exact value at the constants, as --exact computes it; None where it has none."""
        args = [self.rational.get(i) for i in ins]
        if op.exact is None or any(a is None for a in args):
            return None
        try:
            q = op.exact(*args)
        except (ArithmeticError, ValueError, TypeError):
            return None
        if q is None:
            return None
        q = Fraction(q)
        return q if small(q) else None

    def _exact_literal(self, node) -> Fraction | None:
        literal = node.literal
        if literal is None or (type(node.value) is not float and np.ndim(node.value)):
            return None
        if literal not in self.literals:
            self.literals[literal] = exact_value(literal)
        return self.literals[literal]

    def _constant(self, value, literal, name, rational) -> int:
        """A constant node; one per value (its bits, its shape, its exact value)."""
        exact = None if rational is None else (rational.numerator, rational.denominator)
        if type(value) is float:
            key = (CONST, value.hex() if value == value else np.float64(value).tobytes(), exact)
        else:
            bits = np.asarray(value, dtype=np.float64).tobytes()
            key = (CONST, np.shape(value), bits, exact)
        found = self.table.get(key)
        if found is not None:
            return found
        text = clip(name if name is not None else repr(value), 24)
        i = self._add(CONST, (), name, value, literal, np.shape(value), None, text)
        self.value[i] = value
        if rational is not None:
            self.rational[i] = rational
        self.table[key] = i
        return i

    # -------------------------------------------------------------- nodes

    def _add(self, op, ins, name, value, literal, shape, attrs=None, text=None) -> int:
        nodes = self.new.nodes
        if len(nodes) >= MAX_NODES:
            self.new.add(op, ins)  # which says so
        i = len(nodes)
        nodes.append(Node(i, op, ins, name, value, None, literal, attrs))
        self.value.append(None)
        self.shape.append(shape)
        self.origin.append(self.old_origin[self.here])
        self.labels.append(text)
        return i


def _key(op, ins: tuple, attrs):
    """What makes two operations the same: the op, the inputs (in either order for + and
    *), the settings (tuples, numbers, slices, None: compared by their repr)."""
    if op.name in COMMUTATIVE and ins[0] > ins[1]:
        ins = (ins[1], ins[0])
    return op, ins, repr(sorted(attrs.items())) if attrs else None
