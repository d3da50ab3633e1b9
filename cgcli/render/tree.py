"""The graph as a Rich tree: the output at the root, the inputs at the leaves.

A node used by several others is drawn in full once and referred to by name
elsewhere, so a DAG stays as large as its edges. The tree is built with an
explicit stack, and a depth limit keeps every line readable at 80 columns.
"""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from ..graph import CONST, INPUT
from . import Notation, fmt

GUIDE = 4  # columns each level of a Rich tree takes
LABEL = 32  # columns kept for the label at the deepest level


def depth_for(width: int) -> int:
    return max(2, (width - LABEL) // GUIDE)


def tree(
    graph, result=None, notation: Notation | None = None, precision=None, max_depth: int = 12
) -> Tree:
    notation = notation or Notation()
    nodes = graph.nodes
    top = nodes[graph.output].name
    used = [0] * len(nodes)
    for node in nodes:
        for i in set(node.inputs):
            used[i] += 1

    def label(i: int) -> Text:
        node = nodes[i]
        text = Text()
        if node.op == CONST:
            text.append(node.name)
            text.append(" (constant)", style="dim")
            return text
        text.append(node.name, style="bold")
        known = result is not None and result.values[i] is not None
        if node.op == INPUT:
            if not known:
                text.append(" (input)", style="dim")
        else:
            text.append(" = " + graph.definition(node, times=notation.times))
        if known:
            text.append(" = " + fmt(result.values[i], precision, result.exact))
            adjoint = result.adjoints[i]
            if adjoint is None and node.op == INPUT and result.adjoints[graph.output] is not None:
                adjoint = 0.0
            if adjoint is not None:
                shown = fmt(adjoint, precision, result.exact)
                text.append(f"   {notation.partial(top, node.name)} = {shown}", style="cyan")
        if used[i] > 1:
            text.append(f"  (shared by {used[i]} nodes)", style="italic")
        return text

    root = Tree(label(graph.output))
    drawn = {graph.output}
    arrow = "^" if notation.ascii else "\u2191"
    # Depth first, one child at a time, in the order the lines are printed: a node is
    # drawn in full where it first appears, and every later use refers up to it.
    stack = [(root, 0, iter(nodes[graph.output].inputs))]
    while stack:
        branch, depth, rest = stack[-1]
        j = next(rest, None)
        if j is None:
            stack.pop()
            continue
        if j in drawn:
            ref = Text(f"{arrow} {nodes[j].name}", style="bold")
            ref.append(" (shared, drawn above)", style="italic dim")
            branch.add(ref)
            continue
        child = branch.add(label(j))
        if nodes[j].op == CONST:
            continue
        drawn.add(j)
        if nodes[j].inputs:
            if depth + 1 >= max_depth:
                child.add(Text("... more below (--depth)", style="dim"))
                drawn.discard(j)  # not drawn in full: a later use may draw it
            else:
                stack.append((child, depth + 1, iter(nodes[j].inputs)))
    return root
