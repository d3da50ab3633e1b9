"""How rewrites are written in the record (short cg text), and folded constants as
literals that read back exactly."""

from __future__ import annotations

import json
import math
from fractions import Fraction

import numpy as np

from ...interpret.exact import exact_value

TEXT = 60  # characters of a rewrite's before and after, at most
LABEL = 24  # characters of an operand inside them
MANY = 6  # operands shown of an op with more (a stack)


def clip(text: str, width: int = TEXT) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def show(node, labels: list, ins: tuple | None = None) -> str:
    """A node as cg text, its operands by label: x * 1, sin(d), [a, b, …]. An operand
    without a label is shown as its own definition, with its operands by label."""
    ins = node.inputs if ins is None else ins
    operands = [operand(labels[i] or "…") for i in ins[:MANY]]
    if len(ins) > MANY:
        operands.append("…")
    return node.op.show(operands, "*", node.attrs)


def label(graph, labels: list, i: int) -> str:
    """Node i as an operand: its label, or (for an operation nobody named) its definition
    two levels deep, clipped; kept in `labels` for the next time."""
    if labels[i] is None:
        node = graph.nodes[i]
        inner = [
            operand(labels[j] or wrap(graph.nodes[j].op, show(graph.nodes[j], labels)))
            for j in node.inputs[:MANY]
        ]
        text = node.op.show(inner + (["…"] if len(node.inputs) > MANY else []), "*", node.attrs)
        labels[i] = wrap(node.op, text)
    return labels[i]


def wrap(op, text: str) -> str:
    """An operation as an operand: (x + y) and (-x) in brackets, sin(x) as it is."""
    return "(" + clip(text, LABEL - 2) + ")" if op.symbol else clip(text, LABEL)


def operand(text: str) -> str:
    return f"({text})" if text.startswith("-") or ("/" in text and text[0] != "(") else text


def array_text(value: np.ndarray) -> str:
    return json.dumps(value.tolist())  # each float's repr: reads back exactly


def decimal(q: Fraction, value: float) -> str | None:
    """q as a decimal literal that reads back as `value` (float64) and, exactly, as q;
    None where there is none that short (1/3 has no decimal; 2^-1074 has 751 digits)."""
    if q == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    d = q.denominator
    twos = (d & -d).bit_length() - 1
    rest, fives = d >> twos, 0
    while rest % 5 == 0:
        rest, fives = rest // 5, fives + 1
    if rest != 1 or max(twos, fives) > 40 or abs(q.numerator).bit_length() > 1100:
        return None
    places = max(twos, fives)
    digits = abs(q.numerator) * 10**places // d  # q = ±digits / 10^places, exactly
    exponent = -places
    while digits % 10 == 0:
        digits, exponent = digits // 10, exponent + 1
    text = str(digits)
    if 0 <= exponent <= 6:
        text += "0" * exponent
    elif -len(text) - 6 < exponent < 0:
        point = len(text) + exponent
        text = (text[:point] or "0") + "." + "0" * max(0, -point) + text[max(0, point) :]
    else:
        text = f"{text}e{exponent}"
    text = ("-" if q < 0 else "") + text
    if len(text) > 40 or float(text) != value or exact_value(text) != q:
        return None
    return text
