"""The graph as a tree: the output at the root, the inputs at the leaves.

A node used by several others is drawn in full once and referred to by name
elsewhere, so a DAG stays as large as its edges. The tree is drawn line by line with
an explicit stack (not with Rich's Tree, which is quadratic in the depth), as deep as
the width shows unless told (--depth, up to MAX_DEPTH); a label too long for its line
wraps between words, its continuation indented under it.
"""

from __future__ import annotations

from rich.text import Text

from ..graph import CONST, INPUT
from . import Notation, fmt
from .layout import lines

GUIDE = 4  # columns each level of the tree takes
LABEL = 32  # columns kept for the label at the deepest level
MAX_DEPTH = 500  # levels --depth may ask for: the guides of the deepest are 2,000 columns
GUIDES = ("    ", "\u2502   ", "\u251c\u2500\u2500 ", "\u2514\u2500\u2500 ")
ASCII_GUIDES = ("    ", "|   ", "+-- ", "`-- ")
# A label breaks best before its adjoint, then before "(shared by ...)".
BREAKS = (("   ",), ("  ",), (", ",), (" = ",))


def depth_for(width: int) -> int:
    """The levels that fit `width` columns with room for a label at the deepest."""
    return min(MAX_DEPTH, max(2, (width - LABEL) // GUIDE))


class Tree:
    """The drawing: rows made as they are printed, so memory stays with the stack."""

    def __init__(self, graph, label, max_depth: int):
        self.graph = graph
        self.label = label
        self.max_depth = max_depth

    def rows(self, more: Text):
        """(the guides before a row, whether it is its parent's last child (None for the
        root), its label, whether rows hang below it), in the order they are printed."""
        nodes = self.graph.nodes
        out = self.graph.output
        drawn = {out}
        # A node is drawn in full where it first appears; every later use refers up to it.
        yield "", None, self.label(out), bool(nodes[out].inputs)
        stack = [("", 0, nodes[out].inputs, 0)]
        while stack:
            guides, depth, inputs, k = stack.pop()
            if k == len(inputs):
                continue
            stack.append((guides, depth, inputs, k + 1))
            j, last = inputs[k], k == len(inputs) - 1
            if j in drawn:
                yield guides, last, self.label(j, shared=True), False
                continue
            node = nodes[j]
            below = node.op != CONST and bool(node.inputs)
            yield guides, last, self.label(j), below
            if node.op == CONST:
                continue
            drawn.add(j)
            if below:
                children = guides + (GUIDES[0] if last else GUIDES[1])
                if depth + 1 >= self.max_depth:
                    yield children, True, more, False
                    drawn.discard(j)  # not drawn in full: a later use may draw it
                else:
                    stack.append((children, depth + 1, node.inputs, 0))

    def __rich_console__(self, console, options):
        guide = ASCII_GUIDES if options.ascii_only else GUIDES
        blank, down, branch, end = guide
        width = options.max_width
        more = Text("... more below (--depth)", style="dim")
        newline = Text("\n")
        for guides, last, label, below in self.rows(more):
            if options.ascii_only:
                guides = guides.replace(GUIDES[1], down)
            if last is None:  # the root
                lead = indent = ""
            else:
                lead = end if last else branch
                indent = guides + (blank if last else down)
            pieces = lines(label, max(LABEL, width - len(indent)), GUIDE, BREAKS)
            rows = [Text(guides + lead) + pieces[0]]
            indent += down if below else blank
            rows += [Text(indent) + piece for piece in pieces[1:]]
            yield from newline.join(rows).render(console, end="\n")


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
    arrow = "^" if notation.ascii else "\u2191"

    def label(i: int, shared: bool = False) -> Text:
        node = nodes[i]
        text = Text()
        if shared:
            text.append(f"{arrow} {node.name}", style="bold")
            text.append(" (shared, drawn above)", style="italic dim")
            return text
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

    return Tree(graph, label, max_depth)
