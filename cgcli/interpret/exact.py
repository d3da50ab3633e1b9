"""Exact rational arithmetic (--exact): both passes over Fractions where every op is rational.

A node is exact when its op has an exact rule in the op table and all of its
inputs are exact; otherwise it is computed in float64 from the (correctly
rounded) values of its inputs, and so is everything downstream of it. Numbers
are capped at EXACT_BITS bits, past which a node falls back to float64 too.
"""

from __future__ import annotations

import re
from fractions import Fraction

import numpy as np

from ..graph import INPUT
from ..ops import EXACT_BITS
from ..values import to_float

DECIMAL = re.compile(r"([+-]?)([0-9]*)\.?([0-9]*)(?:[eE]([+-]?[0-9]+))?\Z")


def exact_value(text: str) -> Fraction | None:
    """The exact value of a decimal literal, or None when it is too large to hold.

    Built from its digits, which never meet int() when there are more of them than
    the cap allows (nor Python's limit of 4300 digits on int())."""
    match = DECIMAL.match(text.strip())
    if match is None:
        return None
    sign, whole, fraction, exponent = match.groups()
    mantissa = (whole + fraction).lstrip("0")
    if not mantissa:
        return Fraction(0)
    power = (exponent or "0").lstrip("+-").lstrip("0")
    if len(power) > 6:
        return None
    power = int(power or "0") * (-1 if (exponent or "").startswith("-") else 1) - len(fraction)
    # 10^k takes k*log2(10) < 3.33k bits: refuse before building a huge integer.
    if (len(mantissa) + abs(power)) * 3.33 > EXACT_BITS:
        return None
    value = int(mantissa) * Fraction(10) ** power
    return -value if sign == "-" else value


def is_exact(value) -> bool:
    return type(value) is Fraction


def small(value: Fraction) -> bool:
    return max(value.numerator.bit_length(), value.denominator.bit_length()) <= EXACT_BITS


def forward(graph, values) -> tuple[list, list[int]]:
    """Every node's value, exact where it can be; and the nodes where the cap was hit."""
    out = [None] * len(graph.nodes)
    capped = []
    for node in graph.nodes:
        ins = node.inputs
        if not ins:
            if node.op == INPUT:
                value = values[node.name]
            else:
                value = exact_value(node.literal) if node.literal is not None else None
                if value is None:
                    value = np.float64(node.value)
            out[node.id] = value
            continue
        args = [out[i] for i in ins]
        value = None
        if node.op.exact is not None and all(type(a) is Fraction for a in args):
            try:
                value = node.op.exact(*args)
            except OverflowError:  # the rule saw that the result would pass the cap
                capped.append(node.id)
            if value is not None:
                value = Fraction(value)
                if not small(value):
                    capped.append(node.id)
                    value = None
        out[node.id] = value if value is not None else node.op.forward(*[to_float(a) for a in args])
    return out, capped


def exact_rule(op, p, g, z, args) -> Fraction | None:
    """g times d(op)/d(argument p), exactly, or None where that is not rational.

    A rule that needs an inexact value gives a float, which is refused; one that
    does not (the 1 of an addition, the 0 or 1 of relu) stays exact.
    """
    try:
        value = op.exact_vjp[p](g, z, *args)
    except (ZeroDivisionError, OverflowError, TypeError, ValueError, AttributeError):
        return None  # the rule met a value it cannot take exactly (a float, a zero)
    if isinstance(value, int | Fraction):
        value = Fraction(value)
        return value if small(value) else None
    return None


def backward(graph, values, active, kinked, overrule) -> list:
    """Adjoints, exact where the cotangent, the values and the local rule all are.

    `kinked` maps nodes to the kinks that --kink nan overrules, through `overrule`.
    """
    nodes = graph.nodes
    adjoint = [None] * len(nodes)
    top = graph.output
    adjoint[top] = Fraction(1)
    for i in range(top, -1, -1):
        g = adjoint[i]
        node = nodes[i]
        if g is None or not node.inputs:
            continue
        z = values[i]
        args = [values[j] for j in node.inputs]
        exact = type(g) is Fraction and node.op.exact_vjp is not None
        floats = [to_float(a) for a in args]
        for p, j in enumerate(node.inputs):
            if not active[j]:
                continue
            contribution = exact_rule(node.op, p, g, z, args) if exact else None
            if contribution is None:
                contribution = node.op.vjp[p](to_float(g), to_float(z), *floats)
            if i in kinked:
                contribution = overrule(contribution, kinked[i], p)
            previous = adjoint[j]
            if previous is None:
                adjoint[j] = contribution
            elif type(previous) is Fraction and type(contribution) is Fraction:
                adjoint[j] = previous + contribution
            else:
                adjoint[j] = to_float(previous) + to_float(contribution)
    return adjoint


def local_partial(op, p, z, args, exact: bool, attrs=None, cotangent=None):
    """d(op)/d(argument p) at the point (times `cotangent`, 1 unless given): exact when
    it can be, under --exact."""
    if exact and op.exact_vjp is not None and cotangent is None:
        value = exact_rule(op, p, Fraction(1), z, args)
        if value is not None:
            return value
    floats = [to_float(a) for a in args]
    with np.errstate(all="ignore"):
        z = to_float(z)
        g = np.ones_like(z) if cotangent is None else cotangent
        return op.vjp[p](g, z, *floats, **(attrs or {}))
