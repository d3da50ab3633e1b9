"""--check: every partial derivative again, by central finite differences, and a verdict.

For an input x the step is h = 2^k with 2^k <= max(1, |x|) * 2^-10 < 2^(k+1): a
power of two, so x + h loses nothing it need not. The derivative is the
five-point central difference D(h), with truncation error O(h^4); D(2h) is
computed too, and |D(h) - D(2h)| (about 15 times D(h)'s own truncation error,
plus its rounding error) estimates how far D(h) can be trusted.

Verdicts, per input:
  agree     |reverse - numerical| <= 1e-6 * max(|reverse|, |numerical|) + 10 * |D(h) - D(2h)|
            + 1e-10 (the absolute floor keeps a zero derivative from needing an exact zero)
  disagree  beyond that: the reverse-mode derivative and the function disagree
  kink      the stencil x - 4h .. x + 4h crosses (or sits on) a point where an op on the
            way is not differentiable, so the two need not agree
  uncertain the estimate's own error is over 1e-4 of the derivative: the function is
            too large, or too rough, beside its change for differences to say anything;
            or, where the two would disagree, an estimate with a step 256 times finer
            disagrees with the first by over half: the step is too coarse for the function
            (sin(x) at x = 1e20). Where the finer estimate agrees, the verdict is agree.
  not finite  the function or a derivative is inf or NaN there
"""

from __future__ import annotations

import math

import numpy as np

from .diagnose import Notice
from .evaluate import active_nodes, forward
from .values import to_float

RELATIVE = 1e-6
ABSOLUTE = 1e-10
NOISY = 1e-4
FINER = 256  # the second look, before a verdict of disagree or uncertain
STEPS = (1, -1, 2, -2, 4, -4)


class Check:
    __slots__ = ("input", "reverse", "numerical", "error", "status", "near")

    def __init__(self, input, reverse, numerical, error, status, near=()):
        self.input = input
        self.reverse = reverse
        self.numerical = numerical
        self.error = error  # the estimated error of the numerical value
        self.status = status  # agree, disagree, kink, uncertain, not finite
        self.near = list(near)  # names of the nodes whose kink is within the stencil

    @property
    def difference(self) -> float:
        return abs(self.reverse - self.numerical)

    @property
    def relative(self) -> float:
        scale = max(abs(self.reverse), abs(self.numerical))
        return self.difference / scale if scale else self.difference


def step(x: float) -> float:
    return math.ldexp(1.0, math.frexp(max(1.0, abs(x)))[1] - 11)


# Arrays are checked element by element, up to this many elements in all.
ELEMENTS = 1000


def check(result) -> list[Check]:
    graph = result.graph
    if result.jacobian is not None:
        return []  # an array output: there is no one gradient to check
    center = {name: to_float(result.values[i]) for name, i in graph.inputs.items()}
    kinky = [node for node in graph.nodes if node.inputs and node.op.kinks]
    active = active_nodes(graph)
    rows = []
    with np.errstate(all="ignore"):
        base = _branches(kinky, result.values, active)
        for name, gradient in result.gradient.items():
            for index in list(np.ndindex(np.shape(center[name])))[: ELEMENTS - len(rows)]:
                label = name + (f"[{', '.join(map(str, index))}]" if index else "")
                reverse = float(to_float(np.asarray(gradient)[index]))
                rows.append(
                    _check_one(graph, center, name, index, label, reverse, kinky, active, base)
                )
    return rows


def unchecked(result, rows) -> list[Notice]:
    """What --check left out, said as warnings: an array output, or elements past
    the first ELEMENTS."""
    if rows is None:
        return [
            Notice(
                "check",
                "--check compares a gradient, and an array output has none: "
                "nothing was checked (sum(...) makes the output a number)",
            )
        ]
    total = sum(int(np.size(g)) for g in result.gradient.values())
    if total > len(rows):
        return [
            Notice(
                "check",
                f"--check compared the first {len(rows)} of {total} partial "
                "derivatives; the rest were not checked",
            )
        ]
    return []


def _check_one(graph, center, name, index, label, reverse, kinky, active, base) -> Check:
    x = float(np.asarray(center[name])[index])
    h = step(x)
    f, near = {}, set()
    for k in STEPS:
        values = forward(graph, _moved(center, name, index, x + k * h))
        f[k] = float(values[graph.output])
        branches = _branches(kinky, values, active)
        # A kink counts where this input moves the op's arguments and they cross it
        # (or sit on it).
        near |= {n for n, (args, signs) in branches.items() if _crosses(args, signs, *base[n])}
    d1, d2 = _stencil(f, 1, h), _stencil(f, 2, h)
    error = abs(d1 - d2)
    if not all(math.isfinite(v) for v in (reverse, d1, d2)):
        status = "not finite"
    elif near:
        status = "kink"
    elif error > NOISY * max(abs(reverse), abs(d1)) + ABSOLUTE:
        status = "uncertain"
    elif abs(reverse - d1) <= RELATIVE * max(abs(reverse), abs(d1)) + 10 * error + ABSOLUTE:
        status = "agree"
    else:
        status = "disagree"
    if status in ("uncertain", "disagree"):
        # Before saying so, try a step 256 times finer. Where the first was too coarse
        # (exp(x) at 700, with h = 0.5), this one settles it; where every step is (sin(x)
        # at 1e20, with h = 7e16), the two agree with nothing, not even each other.
        fine, rounding = _difference(graph, center, name, index, x, h / FINER)
        scale = max(abs(reverse), abs(fine))
        if rounding <= NOISY * scale + ABSOLUTE and (
            abs(reverse - fine) <= RELATIVE * scale + rounding + ABSOLUTE
        ):  # a finer estimate that rounding leaves meaningful, and that agrees
            status, d1, error = "agree", fine, rounding
        elif status == "disagree" and abs(fine - d1) > max(
            0.5 * abs(d1), 0.5 * abs(fine), rounding
        ):
            status = "uncertain"
    names = sorted((graph.nodes[n].name for n in near), key=str)
    return Check(label, reverse, d1, error, status, names)


def _difference(graph, center, name, index, x, h) -> tuple[float, float]:
    """The five-point central difference with step h, and how far rounding alone
    could move it: 18 roundings of |f| over 12 h, doubled."""
    f = {}
    for k in (1, -1, 2, -2):
        f[k] = float(forward(graph, _moved(center, name, index, x + k * h))[graph.output])
    rounding = 3 * 2.0**-52 * max(abs(v) for v in f.values()) / h
    return _stencil(f, 1, h), rounding


def _moved(center: dict, name: str, index: tuple, value: float) -> dict:
    """The point `center` with element `index` of input `name` set to `value`."""
    point = dict(center)
    moved = np.array(center[name], dtype=np.float64)
    moved[index] = value
    point[name] = moved if moved.ndim else np.float64(moved)
    return point


def _stencil(f: dict, s: int, h: float) -> float:
    """The five-point central difference from f at x + k h, with steps s h and 2 s h."""
    return (-f[2 * s] + 8 * f[s] - 8 * f[-s] + f[-2 * s]) / (12 * s * h)


def _crosses(args, signs, base_args, base_signs) -> bool:
    """Whether moving one input crosses (or sits on) a kink of a node: at some
    element, the op's arguments moved and its kink quantity changed sign or is 0.
    Elementwise ops are judged element by element, so that one element of an
    array on a kink does not mark every other element's check."""
    for sign, base_sign in zip(signs, base_signs):
        moved = np.zeros((), dtype=bool)
        for a, b in zip(args, base_args):
            moved = moved | (np.asarray(a) != np.asarray(b))
        if moved.shape != np.shape(sign):  # a reduction: any move counts
            moved = np.any(moved)
        if np.any(moved & ((sign != base_sign) | (sign == 0))):
            return True
    return False


def _branches(kinky, values, active) -> dict[int, tuple]:
    """For each node with kinks: its arguments, and the signs of its kink quantities
    (0 on a kink)."""
    branches = {}
    for node in kinky:
        args = tuple(to_float(values[j]) for j in node.inputs)
        signs = tuple(
            np.sign(kink.where(*args, **(node.attrs or {})))
            for kink in node.op.kinks
            if any(active[node.inputs[p]] for p in kink.args)
        )
        branches[node.id] = (args, signs)
    return branches
