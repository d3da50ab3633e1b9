"""The two passes written out step by step, as a textbook would, with the numbers filled in.

`explain` turns a Result into plain data: one step per node of the forward pass
(`d = a + b = 1 + 2 = 3`) and one per adjoint of the backward pass, each the
chain-rule sum over the node's uses with every local partial derivative shown
as its formula from the op table and as a number. The text view and the JSON
view both print this data.

Every number stands under the symbol it equals. Where arrays meet, a local
step is of one of four kinds:

- partial: a number, as for scalars (∂z/∂x);
- elementwise: an elementwise op whose argument has the output's shape. Its
  Jacobian is diagonal; the diagonal is shown, as ∂zᵢ/∂xᵢ;
- jacobian: the local Jacobian ∂z/∂x, of shape z.shape + x.shape, where z is a
  number or the Jacobian has at most 2 dimensions and JACOBIAN_ITEMS entries.
  It is computed from the op's own VJP rule with unit cotangents, the rule the
  backward pass uses;
- contribution: where the Jacobian is larger, the product ∂f/∂z · ∂z/∂x itself
  (summed over the elements of z), labelled so.
"""

from __future__ import annotations

import math
import re

import numpy as np

from ..graph import CONST, INPUT, operand
from ..interpret.exact import local_partial
from ..interpret.kinks import nan_at_kinks
from ..ops import Op, formulas
from ..ops.shapes import unbroadcast
from ..values import to_float
from . import ARRAY_ITEMS, Notation, fmt

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
ADJOINT_THEN = re.compile(r"\bG(?=[.\[])")

# A Jacobian explain shows is printed whole: no more entries than an array that
# is printed without abbreviation.
JACOBIAN_ITEMS = ARRAY_ITEMS


def substitute(formula: str, mapping: dict[str, str]) -> str:
    """Replace whole names in a formula at once (so x -> y, y -> x swaps correctly).
    A name alone in parentheses, as in log(x), takes its value without its own: log(-2)."""

    def replace(m):
        text = mapping.get(m.group(), m.group())
        whole = m.string
        if (
            text.startswith("(")
            and m.start() > 0
            and whole[m.start() - 1] == "("
            and whole[m.end() : m.end() + 1] == ")"
        ):
            return text[1:-1]
        return text

    return IDENTIFIER.sub(replace, formula)


def explain(result, notation: Notation | None = None, precision: int | None = None) -> dict:
    notation = notation or Notation()
    graph = result.graph
    nodes = graph.nodes
    values, adjoints = result.values, result.adjoints
    out = graph.output
    top = nodes[out].name

    def number(value) -> str:
        return fmt(value, precision, result.exact)

    def label(i) -> str:
        return number(values[i]) if nodes[i].op == CONST else nodes[i].name

    forward = []
    for node in nodes:
        if node.op == CONST:
            continue
        value = values[node.id]
        if node.op == INPUT:
            forward.append(_step(node.name, "input", number(value), value))
            continue
        formula = graph.definition(node, times=notation.times)
        numbers = graph.definition(node, lambda i: number(values[i]), notation.times)
        forward.append(_step(node.name, formula, numbers, value))

    # Who uses each node, in the order of the forward pass.
    uses: list[list[int]] = [[] for _ in nodes]
    for node in nodes:
        for i in dict.fromkeys(node.inputs):
            uses[i].append(node.id)

    backward = [_step(top, "1", "1", adjoints[out])]
    backward[0].update(symbol=notation.partial(top, top), locals=[])
    for i in range(out - 1, -1, -1):
        node = nodes[i]
        if adjoints[i] is None or node.op == CONST:
            continue
        users = [k for k in uses[i] if adjoints[k] is not None]
        locals_ = [_local(graph, result, k, i, notation, number, label) for k in users]
        if users == [out]:
            # Used by the output alone: the adjoint is the local partial itself.
            (local,) = locals_
            step = _step(node.name, local["formula"], local["numbers"], adjoints[i])
            step["of"] = local["of"]
            locals_ = []
        else:
            terms = [
                _term(local, k == out, adjoints[k], top, notation, number)
                for k, local in zip(users, locals_)
            ]
            step = _step(
                node.name,
                " + ".join(term for term, _ in terms),
                " + ".join(product for _, product in terms),
                adjoints[i],
            )
        step.update(symbol=notation.partial(top, node.name), locals=locals_)
        backward.append(step)
    return {"output": top, "forward": forward, "backward": backward}


def _step(name, formula, numbers, value) -> dict:
    return {"node": name, "formula": formula, "numbers": numbers, "value": value}


def _term(local, direct, adjoint, top, notation, number) -> tuple[str, str]:
    """One term of a chain-rule sum, as symbols and as numbers: the adjoint of the
    user times the local partial, written as the shapes at hand multiply."""
    kind, value, times = local["kind"], local["value"], notation.times
    if kind == "contribution":  # already the product
        return local["symbol"], number(value)
    if direct:  # d(out)/d(out) = 1: the term is the local partial alone
        return local["of"], f"({number(value)})" if kind == "partial" else number(value)
    term = f"{notation.partial(top, local['through'])} {times} {local['symbol']}"
    g, partial = number(adjoint), number(value)
    if kind == "partial":
        return term, f"({g})({partial})"
    if kind == "elementwise" or np.ndim(adjoint) == 0:
        return term, f"{operand(g)} {times} {operand(partial)}"
    if np.ndim(adjoint) == 1:  # a vector times the Jacobian, a matrix or a vector
        return term, f"{g} @ {partial}"
    return term, f"sum({g} {times} {partial})"  # the Jacobian by a number


def kind_of(op: Op, out: tuple, shape: tuple) -> str:
    """What explain shows of ∂z/∂x, for z of shape `out` and x of shape `shape`."""
    if op.elementwise and out == shape:
        return "elementwise" if shape else "partial"
    if not out and not shape:
        return "partial"
    small = len(out + shape) <= 2 and math.prod(out + shape) <= JACOBIAN_ITEMS
    return "jacobian" if not out or small else "contribution"


def _local(graph, result, k, i, notation, number, label) -> dict:
    """The local partial derivative of node k with respect to its input i, of the kind
    its shapes call for (see the module's docstring)."""
    consumer = graph.nodes[k]
    op: Op = consumer.op
    top = graph.nodes[graph.output].name
    args = [result.values[j] for j in consumer.inputs]
    positions = [p for p, j in enumerate(consumer.inputs) if j == i]
    z, g, attrs = result.values[k], result.adjoints[k], consumer.attrs
    shape = np.shape(result.values[i])
    kind = kind_of(op, np.shape(z), shape)
    # Under --kink nan, a local partial at a kink is NaN, as the backward pass had it.
    hits = [h for h in result.kinks if h.node == k] if result.policy == "nan" else []
    # The terms add up as the backward pass added them: inf + inf is inf, said once by
    # the evaluator's own warning, not again by numpy's.
    with np.errstate(all="ignore"):
        if kind in ("partial", "elementwise") and op.elementwise:
            value = sum(
                nan_at_kinks(local_partial(op, p, z, args, result.exact, attrs), hits, p)
                for p in positions
            )
        elif kind == "contribution":
            value = sum(
                unbroadcast(
                    nan_at_kinks(local_partial(op, p, z, args, False, attrs, g), hits, p), shape
                )
                for p in positions
            )
        else:
            value = sum(jacobian(op, p, z, args, attrs, hits, shape) for p in positions)

    names = dict(zip(op.args, (operand(label(j)) for j in consumer.inputs)))
    numbers = dict(zip(op.args, (operand(number(v)) for v in args)))
    if not op.elementwise or kind in ("jacobian", "contribution"):  # G: z's adjoint
        names.update(G=notation.partial(top, consumer.name), z=consumer.name)
        numbers.update(G=operand(number(g)), z=operand(number(z)))
    templates = _formulas(op, positions, args, z, attrs, kind)
    # The adjoint's symbol in parentheses where an index or a transpose follows it.
    formula = " + ".join(
        notation.text(substitute(ADJOINT_THEN.sub("(G)", t), names)) for t in templates
    )
    numeric = " + ".join(notation.text(substitute(t, numbers)) for t in templates)
    if numeric.startswith("(") and numeric.endswith(")") and numeric.count("(") == 1:
        numeric = numeric[1:-1]  # a lone value needs no parentheses: e = -1

    definition = graph.definition(consumer, label, notation.times)
    if op.symbol is not None:
        definition = f"({definition})"
    name, through, d = graph.nodes[i].name, consumer.name, notation.d
    if kind == "elementwise":  # the diagonal: element i of z by element i of x
        i_ = "_i" if notation.ascii else "\u1d62"
        symbol = f"{d}{through}{i_}/{d}{name}{i_}"
        of = f"{d}{definition}{i_}/{d}{name}{i_}"
    else:
        symbol = notation.partial(through, name)
        of = f"{d}{definition}/{d}{name}"
    if kind == "contribution":  # ∂f/∂z · ∂z/∂x: the product, not the Jacobian
        symbol = f"{notation.partial(top, through)} {notation.times} {symbol}"
        of = f"{notation.partial(top, through)} {notation.times} {of}"
    return {
        "through": through,
        "kind": kind,
        "shape": list(np.shape(value)),
        "symbol": symbol,
        "of": of,
        "formula": formula,
        "numbers": numeric,
        "value": value,
    }


def _formulas(op: Op, positions, args, z, attrs, kind) -> list[str]:
    """The formula templates of the local partial, one per argument the input is."""
    if op.elementwise:
        partials = [op.partials[p] for p in positions]
        if kind in ("partial", "elementwise"):
            return partials
        arrays = {name for name, a in zip(op.args, args) if np.ndim(a)}
        return [
            formulas.broadcast(
                t, formulas.Site(p, positions, args, z, attrs, kind == "jacobian"), arrays
            )
            for t, p in zip(partials, positions)
        ]
    rules = op.partials if op.args else op.partials * len(args)  # [a, b, c]: one for all
    written = (
        rules[p](formulas.Site(p, positions, args, z, attrs, kind != "contribution"))
        for p in positions
    )
    return list(dict.fromkeys(written))  # [a, a]: one formula says both places


def jacobian(op: Op, p: int, z, args, attrs, hits, shape: tuple):
    """∂z/∂(argument p), of shape z.shape + shape: the op's VJP rule with each unit
    cotangent in turn, as the backward pass applies it (NaN at kinks under --kink nan,
    summed over broadcast axes)."""
    out = np.shape(z)
    floats = [to_float(a) for a in args]
    result = np.zeros(out + shape)
    with np.errstate(all="ignore"):
        for element in np.ndindex(out):
            if out:
                seed = np.zeros(out)
                seed[element] = 1.0
            else:
                seed = np.float64(1.0)
            row = op.vjp[p](seed, z, *floats, **(attrs or {}))
            if op.elementwise:  # NaN in the row of an element at a kink, not in all rows
                row = nan_at_kinks(row, [h for h in hits if np.any(h.mask & (seed != 0))], p)
            else:
                row = nan_at_kinks(row, hits, p)
            result[element] = unbroadcast(row, shape) if np.shape(row) != shape else row
    return result if out or shape else result[()]
