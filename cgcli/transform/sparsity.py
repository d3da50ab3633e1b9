"""The Hessian's structural sparsity, a star colouring of it, and the entries recovered
from one Hessian-vector product per colour: what `cg hessian --sparse` is built on.

    hessian_pattern(graph, output=None) -> list[set[int]]
        For input k (the k-th of graph.inputs), the inputs j with d2f/dxk dxj
        structurally non-zero, read off the graph without evaluating anything.
        Symmetric, with the diagonal. Scalar inputs only: a program with array ops
        or array constants raises NotImplementedError (the caller refuses inputs
        bound to arrays, which the graph alone does not show).
    star_coloring(pattern) -> list[int]
        A colour 0..c-1 per input: a star colouring of the pattern's adjacency graph
        (its off-diagonal entries), greedy in input order, deterministic.
    recover(pattern, colors, products) -> dict[tuple[int, int], float]
        Every structural entry (k, j), k <= j, read directly from products[c] =
        H @ (indicator of colour c).
    spy(pattern, names, width, *, ascii=False) -> str
        The pattern as text lines at most `width` wide: one mark per entry while the
        inputs fit, else one per block, and a line that says which.

The pattern is the one ADOL-C's hess_pat and SparseConnectivityTracer.jl compute.
The Hessian is a sum over the operations v of adjoint(v) times v's own second
derivatives chained through the first derivatives of its arguments, so an entry
(i, j) is structurally non-zero when some operation whose adjoint can be non-zero
has a non-zero second derivative in two arguments a, b with i reaching a and j
reaching b through non-zero first derivatives. Hence two sets, both from loops:
  - backward, from the output: the operations whose adjoint can be non-zero (the
    ones reaching the output through non-zero first derivatives), and the nodes
    whose dependence set is read;
  - forward: each node's dependence set L (the inputs reaching it through non-zero
    first derivatives), and, at each such operation, L(a) x L(b) added once to the
    one global pattern; interactions never vanish further on, so no node keeps any.
The local rules, by op: add, sub, neg are linear. mul adds L(x) x L(y); div adds
L(x) x L(y) and L(y) x L(y). relu, abs, max and min are piecewise linear: their
second derivative is 0 away from their kinks, which are reported elsewhere, so they
add nothing. sign and step are piecewise constant: their first derivative is 0 too,
so nothing reaches the output through them. pow: x^c with a constant c is constant
for c = 0, linear for c = 1, else adds L(x) x L(x); 1^y is constant; otherwise c^y
adds L(y) x L(y) and x^y all three. Every other op (sin, exp, atan2, ... and any op
added later) counts as non-linear in all its arguments together: a safe superset.
Cancellation (x*y - y*x) is not seen: the pattern is structural.

Dependence sets move along chains of linear ops instead of being copied (a set is
taken over at its last reading, the larger one kept when two merge), so a sum of
n terms costs O(n), not O(n^2), and sets no pattern needs are never built.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from ..graph import CONST, INPUT, Graph
from ..ops import Op

LINEAR = {"add": (0, 1), "sub": (0, 1), "neg": (0,)}
PIECEWISE_LINEAR = {"relu": (0,), "abs": (0,), "max": (0, 1), "min": (0, 1)}
PIECEWISE_CONSTANT = {"sign", "step"}


def _constant(graph: Graph, i: int):
    node = graph.nodes[i]
    return float(node.value) if node.op == CONST else None


def _local(graph: Graph, node) -> tuple[tuple, tuple]:
    """(the argument positions with a non-zero first derivative, the pairs of positions
    with a non-zero second derivative) of one operation."""
    name = node.op.name
    if name in LINEAR:
        return LINEAR[name], ()
    if name in PIECEWISE_LINEAR:
        return PIECEWISE_LINEAR[name], ()
    if name in PIECEWISE_CONSTANT:
        return (), ()
    if name == "mul":
        return (0, 1), ((0, 1),)
    if name == "div":
        return (0, 1), ((0, 1), (1, 1))
    if name == "pow":
        base, exponent = (_constant(graph, i) for i in node.inputs)
        if exponent is not None:
            return ((), ()) if exponent == 0 else ((0,), () if exponent == 1 else ((0, 0),))
        if base is not None:
            return ((), ()) if base == 1 else ((1,), ((1, 1),))
    positions = tuple(range(len(node.inputs)))
    return positions, tuple((p, q) for p in positions for q in positions if p <= q)


def _refuse_arrays(graph: Graph, last: int) -> None:
    arrays = graph.arrays or any(
        (isinstance(node.op, Op) and not node.op.elementwise)
        or (node.op == CONST and np.ndim(node.value))
        for node in graph.nodes[: last + 1]
    )
    if arrays:
        raise NotImplementedError(
            "--sparse takes scalar inputs: this program works on arrays, and cg does not "
            "trace a Hessian's pattern element by element yet"
        )


def hessian_pattern(graph: Graph, output: int | None = None) -> list[set[int]]:
    """For each input, in graph.inputs order, the inputs its second derivatives with
    the output may be non-zero with (see the module docstring for the rules)."""
    out = graph.output if output is None else output
    nodes = graph.nodes
    position = {node: k for k, node in enumerate(graph.inputs.values())}
    pattern: list[set[int]] = [set() for _ in position]
    if out is None:
        return pattern
    _refuse_arrays(graph, out)
    local = [_local(graph, n) if isinstance(n.op, Op) else ((), ()) for n in nodes[: out + 1]]

    # Backward: `live` (the adjoint can be non-zero) and `needed` (L is read).
    live = [False] * (out + 1)
    needed = [False] * (out + 1)
    live[out] = True
    for v in range(out, -1, -1):
        if not live[v]:
            continue
        args = nodes[v].inputs
        carry, pairs = local[v]
        for p in carry:
            live[args[p]] = True
            needed[args[p]] = needed[args[p]] or needed[v]
        for p, q in pairs:
            needed[args[p]] = needed[args[q]] = True

    # Which nodes each node reads the set of, and how often each set is read.
    reads: list[tuple] = [()] * (out + 1)
    count = [0] * (out + 1)
    for v in range(out + 1):
        if not live[v] or not nodes[v].inputs:
            continue
        args = nodes[v].inputs
        carry, pairs = local[v]
        used = {args[p] for p in carry} if needed[v] else set()
        used.update(args[i] for pair in pairs for i in pair)
        reads[v] = tuple(used)
        for a in used:
            count[a] += 1

    L: list[set[int] | None] = [None] * (out + 1)
    done: set[tuple[int, int]] = set()  # node pairs whose product of sets is in
    for v in range(out + 1):
        node = nodes[v]
        if node.op == INPUT:
            L[v] = {position[v]} if needed[v] else None
            continue
        if not reads[v]:
            L[v] = set() if needed[v] else None
            continue
        args = node.inputs
        carry, pairs = local[v]
        for p, q in pairs:
            a, b = sorted((args[p], args[q]))
            if (a, b) not in done:
                done.add((a, b))
                _connect(pattern, L[a], L[b])
        if needed[v]:
            L[v] = _union(L, count, {args[p] for p in carry})
        for a in reads[v]:
            count[a] -= 1
            if count[a] == 0:
                L[a] = None
    return pattern


def _connect(pattern: list[set[int]], first: set[int], second: set[int]) -> None:
    for i in first:
        pattern[i].update(second)
    if second is not first:
        for j in second:
            pattern[j].update(first)


def _union(L: list, count: list[int], sources: set[int]) -> set[int]:
    """The union of the sources' sets, taking over the largest one read for the last time."""
    last = [a for a in sources if count[a] == 1]
    if not last:
        merged = set()
        for a in sources:
            merged.update(L[a])
        return merged
    keep = max(last, key=lambda a: len(L[a]))
    merged = L[keep]
    L[keep] = None
    for a in sources:
        if a != keep:
            merged.update(L[a])
    return merged


def _neighbours(pattern: list[set[int]]) -> list[list[int]]:
    """The adjacency graph: the off-diagonal entries, made symmetric, sorted."""
    adjacent = [set() for _ in pattern]
    for k, row in enumerate(pattern):
        for j in row:
            if j != k:
                adjacent[k].add(j)
                adjacent[j].add(k)
    return [sorted(row) for row in adjacent]


def star_coloring(pattern: list[set[int]]) -> list[int]:
    """A star colouring: neighbours differ, and every path on 4 vertices has 3 colours.

    Algorithm 4.1 of Gebremedhin, Tarafdar, Manne and Pothen, "New acyclic and star
    coloring algorithms with application to computing Hessians" (SIAM J. Sci. Comput.
    29, 2007), as ColPack and SparseMatrixColorings.jl use it: vertices in input order,
    each the smallest colour not forbidden, keeping the two-coloured stars grown so far
    (each edge's star, each star's hub) so that the forbidden colours come from
    distance-2 looks only, O(sum of degree^2) in all.
    """
    neighbours = _neighbours(pattern)
    n = len(neighbours)
    edge: dict[int, int] = {}  # k*n + j for k < j: plain ints, which the collector skips
    for k, row in enumerate(neighbours):
        for j in row:
            if k < j:
                edge[k * n + j] = len(edge)
    color = [-1] * n
    forbidden = [-1] * (n + 1)  # forbidden[c] == v: colour c is forbidden for v
    first = [(-1, -1)] * (n + 1)  # per colour: (v, the first neighbour of v seen with it)
    treated = [-1] * n
    star = [-1] * len(edge)  # per edge: its star
    hub: list[int] = []  # per star: its hub, -1 while it is a single edge

    def key(a: int, b: int) -> int:
        return edge[a * n + b if a < b else b * n + a]

    def forbid_around(v: int, w: int) -> None:
        for x in neighbours[w]:
            if color[x] >= 0:
                forbidden[color[x]] = v
        treated[w] = v

    for v in range(n):
        for w in neighbours[v]:
            c = color[w]
            if c < 0:
                continue
            forbidden[c] = v
            p, q = first[c]
            if p == v:
                # v has two neighbours q, w of colour c: as a hub it must not share a
                # colour with any of their neighbours (x-w-v-q would be two-coloured).
                if treated[q] != v:
                    forbid_around(v, q)
                forbid_around(v, w)
            else:
                first[c] = (v, w)
                for x in neighbours[w]:
                    # w is a leaf of a star whose hub x has other leaves of colour c:
                    # v coloured like x would make v-w-x-leaf two-coloured.
                    if x != v and color[x] >= 0 and hub[star[key(w, x)]] == x:
                        forbidden[color[x]] = v
        c = 0
        while forbidden[c] == v:
            c += 1
        color[v] = c
        for w in neighbours[v]:  # put each new edge v-w into its star
            if color[w] < 0:
                continue
            vw = key(v, w)
            for x in neighbours[w]:
                if x != v and color[x] == c:  # v-w-x: a star with hub w
                    star[vw] = star[key(w, x)]
                    hub[star[vw]] = w
                    break
            else:
                p, q = first[color[w]]
                if p == v and q != w:  # w-v-q: a star with hub v
                    star[vw] = star[key(v, q)]
                    hub[star[vw]] = v
                else:
                    star[vw] = len(hub)
                    hub.append(-1)
    return color


def recover(pattern, colors, products) -> dict[tuple[int, int], float]:
    """Every structural entry (k, j), k <= j, from products[c] = H @ (indicator of c).

    Row k of products[c] sums H[k, l] over the l coloured c. On the diagonal only l = k
    has a non-zero entry there (neighbours differ). For an edge k-j, a star colouring
    leaves j the only neighbour of k coloured like j, or k the only neighbour of j
    coloured like k (else the path k'-k-j-j' would be two-coloured): read it there.
    """
    neighbours = _neighbours(pattern)
    tally = []  # per vertex: how many of its neighbours have each colour
    for row in neighbours:
        seen: dict[int, int] = {}
        for j in row:
            seen[colors[j]] = seen.get(colors[j], 0) + 1
        tally.append(seen)
    entries = {}
    for k, row in enumerate(pattern):
        for j in row:
            if j < k:
                continue
            if j == k:
                entries[k, k] = float(products[colors[k]][k])
            elif tally[k][colors[j]] == 1:
                entries[k, j] = float(products[colors[j]][k])
            elif tally[j][colors[k]] == 1:
                entries[k, j] = float(products[colors[k]][j])
            else:
                raise ValueError(
                    f"the colouring is not a star colouring: entry ({k}, {j}) cannot be read"
                )
    return entries


def spy(pattern, names: list[str], width: int, *, ascii: bool = False) -> str:
    """The pattern as text no line of which passes `width` characters.

    Rows are labelled with the input's name (while the names fit) and its number
    (1-based); columns with a ruler of the same numbers. Past what fits, each mark
    stands for a square block of entries and the first line says how big.
    """
    mark, blank = ("*", ".") if ascii else ("●", "·")
    n = len(pattern)
    digits = len(str(n))
    shown = [_shorten(name, 12, ascii) for name in names]
    name_width = max(map(len, shown), default=0)
    lines: list[str] = []
    if n + name_width + digits + 2 <= width:
        labels = [f"{s:<{name_width}} {k + 1:>{digits}} " for k, s in enumerate(shown)]
        block, m = 1, n
    elif n + digits + 1 <= width:
        labels = [f"{k + 1:>{digits}} " for k in range(n)]
        block, m = 1, n
    else:
        block = math.ceil(n / max(1, width - digits - 1))
        m = math.ceil(n / block)
        labels = [f"{k * block + 1:>{digits}} " for k in range(m)]
        lines += textwrap.wrap(
            f"{n} inputs in blocks of {block}x{block}: {mark} where a block holds a non-zero",
            max(width, 20),
        )
    spaced = block == 1 and 2 * m - 1 + len(labels[0] if labels else "") <= width
    step = 2 if spaced else 1
    cells = [[False] * m for _ in range(m)]
    for k, row in enumerate(pattern):
        for j in row:
            cells[k // block][j // block] = True
    indent = len(labels[0]) if labels else 0
    lines.append(" " * indent + _ruler(m, block, step))
    for label, row in zip(labels, cells):
        text = (" " if spaced else "").join(mark if c else blank for c in row)
        lines.append(label + text)
    return "\n".join(line.rstrip() for line in lines) + "\n"


def _ruler(m: int, block: int, step: int) -> str:
    """Column numbers: 1 and every 5th (spaced) or 10th column, each ending at its column."""
    every = 5 if step == 2 else 10
    chars = [" "] * (step * (m - 1) + 1) if m else []
    end = -2  # where the last number ends: the next starts a space after it
    for c in range(m):
        if c and (c + 1) % every:
            continue
        text = str(c * block + 1)
        right = step * c
        left = right - len(text) + 1
        if left >= end + 2 and left >= 0:
            chars[left : right + 1] = text
            end = right
    return "".join(chars)


def _shorten(name: str, most: int, ascii: bool) -> str:
    return name if len(name) <= most else name[: most - 1] + ("~" if ascii else "…")
