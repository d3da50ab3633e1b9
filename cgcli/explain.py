"""The two passes written out step by step, as a textbook would, with the numbers filled in.

`explain` turns a Result into plain data: one step per node of the forward pass
(`d = a + b = 1 + 2 = 3`) and one per adjoint of the backward pass, each the
chain-rule sum over the node's uses with every local partial derivative shown
as its formula from the op table and as a number. The text view and the JSON
view both print this data.
"""

from __future__ import annotations

import re

import numpy as np

from .exact import local_partial
from .graph import CONST, INPUT, operand
from .kinks import nan_at_kinks
from .ops import Op
from .render import Notation, fmt
from .shapes import unbroadcast

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


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
            terms, products = [], []
            for k, local in zip(users, locals_):
                if local["vjp"]:  # already the product with the adjoint of k
                    terms.append(local["formula"])
                    products.append(local["numbers"])
                elif k == out:  # d(out)/d(out) = 1: the term is the local partial alone
                    terms.append(local["of"])
                    products.append(f"({number(local['value'])})")
                else:
                    terms.append(
                        f"{notation.partial(top, local['through'])} "
                        f"{notation.times} {local['symbol']}"
                    )
                    products.append(f"({number(adjoints[k])})({number(local['value'])})")
            step = _step(node.name, " + ".join(terms), " + ".join(products), adjoints[i])
        step.update(symbol=notation.partial(top, node.name), locals=locals_)
        backward.append(step)
    return {"output": top, "forward": forward, "backward": backward}


def partial(op: Op, p: int) -> str:
    """The formula of d(op)/d(argument p); an op of any number of arguments ([a, b, c])
    has one formula for all, in the argument's position i."""
    if op.args:
        return op.partials[p]
    return substitute(op.partials[0], {"i": str(p)})


def _step(name, formula, numbers, value) -> dict:
    return {"node": name, "formula": formula, "numbers": numbers, "value": value}


def _local(graph, result, k, i, notation, number, label) -> dict:
    """The local partial derivative of node k with respect to its input i.

    Where arrays meet (a matrix product, a sum, broadcasting) there is no one
    number to multiply by: the local step is then shown as the vector-Jacobian
    product itself, with G the adjoint of node k, and its value is that product.
    """
    consumer = graph.nodes[k]
    op: Op = consumer.op
    top = graph.nodes[graph.output].name
    args = [result.values[j] for j in consumer.inputs]
    names = dict(zip(op.args, (operand(label(j)) for j in consumer.inputs)))
    numbers = dict(zip(op.args, (operand(number(v)) for v in args)))
    positions = [p for p, j in enumerate(consumer.inputs) if j == i]
    z, attrs = result.values[k], consumer.attrs
    # Under --kink nan, a local partial at a kink is NaN, as the backward pass had it.
    hits = [h for h in result.kinks if h.node == k] if result.policy == "nan" else []
    value = sum(
        nan_at_kinks(local_partial(op, p, z, args, result.exact, attrs), hits, p) for p in positions
    )
    shape = np.shape(result.values[i])
    vjp = not op.elementwise or np.shape(value) != shape
    if vjp:
        g = result.adjoints[k]
        names["G"] = notation.partial(top, consumer.name)
        numbers["G"] = operand(number(g))
        value = sum(
            unbroadcast(
                nan_at_kinks(local_partial(op, p, z, args, False, attrs, g), hits, p), shape
            )
            for p in positions
        )
    formula = " + ".join(notation.text(substitute(partial(op, p), names)) for p in positions)
    numeric = " + ".join(notation.text(substitute(partial(op, p), numbers)) for p in positions)
    if vjp and op.elementwise:  # broadcasting: G times the local partial, summed back
        formula = f"sum({names['G']} {notation.times} {formula})"
        numeric = f"sum({numbers['G']} {notation.times} {numeric})"
    if numeric.startswith("(") and numeric.endswith(")") and numeric.count("(") == 1:
        numeric = numeric[1:-1]  # a lone value needs no parentheses: e = -1
    definition = graph.definition(consumer, label, notation.times)
    if op.symbol is not None:
        definition = f"({definition})"
    name = graph.nodes[i].name
    return {
        "through": consumer.name,
        "symbol": notation.partial(consumer.name, name),
        "of": f"{notation.d}{definition}/{notation.d}{name}",
        "formula": formula,
        "numbers": numeric,
        "value": value,
        "vjp": vjp,
    }
