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

import itertools
import math

import numpy as np

from ..graph import INPUT
from ..values import to_float
from .budget import DEFAULT, FLOAT
from .diagnose import Notice
from .evaluate import forward
from .loops import active_nodes

RELATIVE = 1e-6
ABSOLUTE = 1e-10
NOISY = 1e-4
FINER = 256  # the second look, before a verdict of disagree or uncertain
STEPS = (1, -1, 2, -2, 4, -4)
FINE = (1, -1, 2, -2)  # the finer look needs D(h) only


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
        with np.errstate(all="ignore"):  # inf - inf is NaN, as the table then says
            return abs(self.reverse - self.numerical)

    @property
    def relative(self) -> float:
        with np.errstate(all="ignore"):
            scale = max(abs(self.reverse), abs(self.numerical))
            return self.difference / scale if scale else self.difference


def step(x: float) -> float:
    return math.ldexp(1.0, math.frexp(max(1.0, abs(x)))[1] - 11)


# Arrays are checked element by element, up to this many elements in all; and, for
# programs of arrays, which are evaluated once a point, up to WORK element-operations
# in all (a node costs at least SMALL of them): a second or so.
ELEMENTS = 1000
WORK = 2 * 10**8
SMALL = 1000


class _Target:
    """A partial derivative to check: element `index` of input `name`, at x, step h."""

    __slots__ = ("name", "index", "label", "reverse", "x", "h")

    def __init__(self, name, index, label, reverse, x):
        self.name, self.index, self.label, self.reverse = name, index, label, reverse
        self.x, self.h = x, step(x)

    def moves(self, steps, h):
        return [(self.name, self.index, self.x + k * h) for k in steps]


def check(result, max_memory: int | None = None) -> list[Check]:
    """The verdict for every partial derivative, up to `limit(result)` of them.

    A program of numbers and elementwise ops is evaluated at all the points of all
    the stencils at once, as arrays (as --batch evaluates rows), in a few passes,
    within 1/16 of the memory budget `max_memory`; a program of arrays once a
    point."""
    graph = result.graph
    if result.jacobian is not None:
        return []  # an array output: there is no one gradient to check
    center = {name: to_float(result.values[i]) for name, i in graph.inputs.items()}
    kinky = [node for node in graph.nodes if node.inputs and node.op.kinks]
    active = active_nodes(graph)
    gradient = result.gradient
    targets, most = [], limit(result)
    for name in graph.inputs:
        room = max(most - len(targets), 0)
        for index in itertools.islice(np.ndindex(np.shape(center[name])), room):
            label = name + (f"[{', '.join(map(str, index))}]" if index else "")
            reverse = float(to_float(np.asarray(gradient[name])[index]))
            targets.append(_Target(name, index, label, reverse, float(center[name][index])))
    with np.errstate(all="ignore"):
        base = _branches(kinky, result.values, active)
        if not graph.arrays and all(np.ndim(v) == 0 for v in center.values()):
            budget = (max_memory or DEFAULT) // 16
            at = _Together(graph, center, kinky, active, base, budget)
        else:
            at = _OneByOne(graph, center, kinky, active, base)
        f, near = at([move for t in targets for move in t.moves(STEPS, t.h)])
        rows = []
        for n, t in enumerate(targets):
            crossed = set().union(*near[6 * n : 6 * n + 6])
            rows.append(_verdict(graph, t, dict(zip(STEPS, f[6 * n : 6 * n + 6])), crossed))
        # Before saying disagree or uncertain, try a step 256 times finer. Where the
        # first was too coarse (exp(x) at 700, with h = 0.5), this one settles it;
        # where every step is (sin(x) at 1e20, with h = 7e16), the two agree with
        # nothing, not even each other.
        again = [n for n, row in enumerate(rows) if row.status in ("uncertain", "disagree")]
        fine = [move for n in again for move in targets[n].moves(FINE, targets[n].h / FINER)]
        f, _ = at(fine, kinks=False)
        for m, n in enumerate(again):
            h = targets[n].h / FINER
            values = dict(zip(FINE, f[4 * m : 4 * m + 4]))
            # How far rounding alone could move it: 18 roundings of |f| over 12 h, doubled.
            rounding = 3 * 2.0**-52 * max(abs(v) for v in values.values()) / h
            _look_again(rows[n], _stencil(values, 1, h), rounding)
    return rows


def limit(result) -> int:
    """How many partial derivatives --check compares: ELEMENTS, or fewer where each
    evaluation of a program of arrays is large."""
    graph = result.graph
    if not graph.arrays and all(np.ndim(v) == 0 for v in result.values):
        return ELEMENTS
    # A pass costs every node's elements, and a node with kinks some passes more to
    # find which it crosses; a partial derivative up to 10 passes (6, then 4 finer).
    cost = sum(
        max(int(np.size(v)), SMALL) * (1 + 4 * len(node.op.kinks) if node.inputs else 1)
        for node, v in zip(graph.nodes, result.values)
    )
    return max(1, min(ELEMENTS, WORK // ((len(STEPS) + len(FINE)) * cost)))


def unchecked(result, rows) -> list[Notice]:
    """What --check left out, said as warnings: an array output, or elements past
    the first ELEMENTS (or fewer, for a large program of arrays)."""
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
        why = ""
        if len(rows) < ELEMENTS:
            why = (
                " (each evaluation of this program of arrays is large, and each partial "
                f"derivative takes up to {len(STEPS) + len(FINE)} of them)"
            )
        return [
            Notice(
                "check",
                f"--check compared the first {len(rows)} of {total} partial "
                f"derivatives; the rest were not checked{why}",
            )
        ]
    return []


def _verdict(graph, target: _Target, f: dict, near: set) -> Check:
    """The first verdict, from f at x + k h for k in STEPS, and the kinks crossed."""
    reverse, h = target.reverse, target.h
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
    names = sorted((graph.nodes[n].name for n in near), key=str)
    return Check(target.label, reverse, d1, error, status, names)


def _look_again(row: Check, fine: float, rounding: float) -> None:
    """The verdict after the finer estimate `fine`, which rounding alone could move
    by `rounding`."""
    scale = max(abs(row.reverse), abs(fine))
    if rounding <= NOISY * scale + ABSOLUTE and (
        abs(row.reverse - fine) <= RELATIVE * scale + rounding + ABSOLUTE
    ):  # a finer estimate that rounding leaves meaningful, and that agrees
        row.status, row.numerical, row.error = "agree", fine, rounding
    elif row.status == "disagree" and abs(fine - row.numerical) > max(
        0.5 * abs(row.numerical), 0.5 * abs(fine), rounding
    ):
        row.status = "uncertain"


class _OneByOne:
    """The output at each point, and the kinks each crosses: one forward pass a point,
    for programs of arrays. The point is the centre with one element moved, in a
    copy of its input made once and put back after each pass."""

    def __init__(self, graph, center, kinky, active, base):
        self.graph, self.center = graph, center
        self.kinky, self.active, self.base = kinky, active, base
        self.copies = {}

    def __call__(self, moves, kinks: bool = True) -> tuple[np.ndarray, list[set]]:
        graph, center = self.graph, self.center
        f, near = np.empty(len(moves)), []
        point = dict(center)
        for p, (name, index, value) in enumerate(moves):
            if index == ():
                point[name] = np.float64(value)
            else:
                moved = self.copies.get(name)
                if moved is None:
                    moved = self.copies[name] = np.array(center[name], dtype=np.float64)
                moved[index] = value
                point[name] = moved
            values = forward(graph, point)
            f[p] = float(values[graph.output])
            branches = _branches(self.kinky, values, self.active) if kinks else {}
            near.append(
                {n for n, (a, signs) in branches.items() if _crosses(a, signs, *self.base[n])}
            )
            if index == ():
                point[name] = center[name]
            else:
                moved[index] = center[name][index]
        return f, near


class _Together:
    """The output at many points, and the kinks each crosses, for programs of numbers
    and elementwise ops: the points are the rows of arrays evaluated in one pass a
    chunk (an input that no point of a chunk moves stays a number). Each value is
    let go after its last use, and a chunk is as long as fits `budget` bytes."""

    def __init__(self, graph, center, kinky, active, base, budget):
        self.graph, self.center, self.active, self.base = graph, center, active, base
        self.kinky = {node.id for node in kinky}
        nodes = graph.nodes
        last = list(range(len(nodes)))  # the last node to use each value
        for node in nodes:
            for j in node.inputs:
                last[j] = node.id
        last[graph.output] = len(nodes)
        self.free = [[] for _ in nodes]  # what may go once each node is computed
        for i, j in enumerate(last):
            if j < len(nodes):
                self.free[j].append(i)
        live = widest = 0
        for node in nodes:
            live += 1
            widest = max(widest, live)
            live -= len(self.free[node.id])
        # The arrays at one time: the widest set of live values, and an input column
        # for each input moved (at most a quarter of the points: 4 or 6 each).
        self.chunk = max(64, min(8192, budget // (FLOAT * (widest + 1)), math.isqrt(budget // 2)))
        self.passes = 0  # forward passes made, for tests of the cost

    def __call__(self, moves, kinks: bool = True) -> tuple[np.ndarray, list[set]]:
        f, near = np.empty(len(moves)), [set() for _ in moves]
        for start in range(0, len(moves), self.chunk):
            part = moves[start : start + self.chunk]
            f[start : start + len(part)] = self._pass(part, near[start : start + len(part)], kinks)
        return f, near

    def _pass(self, moves, near: list[set], kinks: bool) -> np.ndarray:
        self.passes += 1
        n = len(moves)
        point = dict(self.center)
        for p, (name, _, value) in enumerate(moves):
            if np.ndim(point[name]) == 0:
                point[name] = np.full(n, self.center[name])
            point[name][p] = value
        graph, out = self.graph, [None] * len(self.graph.nodes)
        for node in graph.nodes:
            ins = node.inputs
            if not ins:
                value = point[node.name] if node.op == INPUT else node.value
                out[node.id] = value if isinstance(value, np.ndarray) else np.float64(value)
            else:
                out[node.id] = node.op.forward(*[out[i] for i in ins], **(node.attrs or {}))
                if kinks and node.id in self.kinky:
                    self._crossed(node, out, near, n)
            for i in self.free[node.id]:
                out[i] = None
        return np.broadcast_to(out[graph.output], (n,))

    def _crossed(self, node, out, near: list[set], n: int) -> None:
        """Mark the points at which the arguments of `node` moved and cross (or sit on)
        one of its kinks."""
        args = [to_float(out[j]) for j in node.inputs]
        if not any(isinstance(a, np.ndarray) for a in args):
            return  # nothing moved it: its arguments are the centre's
        base_args, base_signs = self.base[node.id]
        moved = np.zeros(n, dtype=bool)
        for a, b in zip(args, base_args):
            moved |= a != b
        kinks = [k for k in node.op.kinks if any(self.active[node.inputs[p]] for p in k.args)]
        crossed = np.zeros(n, dtype=bool)
        for kink, base_sign in zip(kinks, base_signs):
            sign = np.sign(kink.where(*args, **(node.attrs or {})))
            crossed |= moved & ((sign != base_sign) | (sign == 0))
        for p in np.flatnonzero(crossed):
            near[p].add(node.id)


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
