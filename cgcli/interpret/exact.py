"""Exact rational arithmetic (--exact): Fractions, and the loops' domain of them (ExactDomain).

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
from .kinks import nan_at_kinks

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


class ExactDomain:
    """The loops' domain of Fractions: exact where it can be, float64 from there on.

    `kinked` maps nodes to the kinks --kink nan overrules; `capped` lists, in the
    order met, the nodes where EXACT_BITS was passed and float64 took over. No
    rule here takes node.attrs: only array ops have settings, and --exact refuses
    programs of arrays.
    """

    __slots__ = ("kinked", "capped")

    def __init__(self, kinked: dict | None = None):
        self.kinked = kinked or {}
        self.capped: list[int] = []

    def leaf(self, node, bound):
        if node.op == INPUT:
            return bound if type(bound) is Fraction else Fraction(bound)
        value = exact_value(node.literal) if node.literal is not None else None
        return np.float64(node.value) if value is None else value

    def apply(self, node, args: list):
        value = None
        if node.op.exact is not None and all(type(a) is Fraction for a in args):
            try:
                value = node.op.exact(*args)
            except OverflowError:  # the rule saw that the result would pass the cap
                self.capped.append(node.id)
            if value is not None:
                value = Fraction(value)
                if not small(value):
                    self.capped.append(node.id)
                    value = None
        return value if value is not None else node.op.forward(*[to_float(a) for a in args])

    def seed(self, out_value):
        return Fraction(1)

    def vjp(self, node, p: int, g, z, args: list):
        """Exact where the cotangent, the values and the local rule all are; else the
        float64 rule at the values rounded."""
        contribution = None
        if type(g) is Fraction and node.op.exact_vjp is not None:
            contribution = exact_rule(node.op, p, g, z, args)
        if contribution is None:
            floats = [to_float(a) for a in args]
            contribution = node.op.vjp[p](to_float(g), to_float(z), *floats)
        if node.id in self.kinked:
            contribution = nan_at_kinks(contribution, self.kinked[node.id], p)
        return contribution

    def add(self, previous, contribution):
        if type(previous) is Fraction and type(contribution) is Fraction:
            return previous + contribution
        return to_float(previous) + to_float(contribution)


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
