"""The Result as a Rich table: the output and every input, or with --all every node."""

from __future__ import annotations

import numpy as np
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..graph import CONST, INPUT
from ..ops.shapes import show as show_shape
from ..values import is_fraction, to_float
from . import Notation, array, fmt, printable
from .layout import FORMULA, MAX_WIDTH, Paragraph, Scroll, lines

TITLE_WIDTH = 60
ARRAY_WIDTH = 16  # the least an array's lines get, at any width
BORDERS = 3  # columns a table's column takes besides its cells: padding and a rule


def table(
    result,
    all_nodes: bool = False,
    precision: int | None = None,
    notation: Notation | None = None,
    width: int = 80,
):
    """The table laid out for `width` columns: arrays wrap between their elements in
    numpy's layout, as narrow as the other columns leave room for; a table that cannot
    fit runs past the edge rather than fold a cell."""
    graph = result.graph
    out = graph.output
    name = result.output_name
    notation = notation or Notation()
    jacobian = result.jacobian
    arrays = any(np.ndim(v) for v in result.values)

    def adjoint(i):
        node = graph.nodes[i]
        if jacobian is not None:
            return jacobian.get(node.name) if node.op == INPUT else None
        if node.op == INPUT and result.adjoints[i] is None:
            return 0.0
        return result.adjoints[i]

    if all_nodes:
        shown = [node.id for node in graph.nodes if node.op != CONST and node.id != out]
        shown.append(out)
    else:
        shown = [] if out in graph.inputs.values() else [out]
        shown += list(graph.inputs.values())
    heading = notation.partial(name, "node") + (" (Jacobian)" if jacobian is not None else "")
    columns = [("node", [graph.nodes[i].name for i in shown])]
    if all_nodes:
        columns.append(("definition", [definition(graph, i, notation, width) for i in shown]))
    if arrays:
        columns.append(("shape", [show_shape(np.shape(result.values[i])) for i in shown]))
    values = [result.values[i] for i in shown]
    adjoints = [adjoint(i) for i in shown]
    # What the columns of words leave for the columns of numbers, shared between them.
    room = width - 1 - BORDERS * (len(columns) + 2)
    room -= sum(widest(column) for column in columns)
    widths = [
        max(len("value"), scalars(values, precision, result.exact)),
        max(len(heading), scalars(adjoints, precision, result.exact)),
    ]
    shared = [any(np.ndim(v) for v in values), any(np.ndim(v) for v in adjoints)]
    for k in (0, 1):
        if shared[k]:
            other = room // 2 if shared[1 - k] else widths[1 - k]
            widths[k] = max(ARRAY_WIDTH, room - other)
    columns.append(("value", [number(v, precision, result.exact, widths[0]) for v in values]))
    columns.append(
        (
            heading,
            ["-" if a is None else number(a, precision, result.exact, widths[1]) for a in adjoints],
        )
    )

    # Every cell is laid out already: the table's width is its widest lines' sum.
    full = 1 + sum(BORDERS + widest(column) for column in columns)
    edges = full <= width  # too wide with its outer edges: drawn without, 4 columns fewer
    grid = Table(box=box.ASCII if notation.ascii else box.ROUNDED, show_edge=edges, pad_edge=edges)
    full -= 0 if edges else 4
    justify = "left" if arrays else "right"  # numpy's layout reads from the left
    for k, (head, _) in enumerate(columns):
        numbers = k >= len(columns) - 2
        # Names fold only if the table would be wider than MAX_WIDTH (Scroll).
        grid.add_column(
            head,
            justify=justify if numbers else "left",
            no_wrap=numbers or head == "shape",
            overflow="fold",
        )
    for r in range(len(shown)):
        cells = [Text(cells[r]) for _, cells in columns]
        grid.add_row(
            *cells, end_section=r == 0 and not all_nodes and out not in graph.inputs.values()
        )
    title = _title(graph.source, name)
    parts = [title] if title else []
    parts.append(Scroll(grid, MAX_WIDTH, full))
    if result.exact:
        legend = "Fractions are exact (decimal in parentheses); \u2248 marks float64 values."
        parts.append(Paragraph(Text(legend, style="dim"), hang=2))
    if jacobian is not None:
        parts.append(
            Paragraph(
                Text(
                    f"The Jacobian of {name} by an input has the shape of {name} "
                    "followed by the input's.",
                    style="dim",
                ),
                hang=2,
            )
        )
    return Group(*parts)


def widest(column) -> int:
    """The longest line of a column: its heading and its cells."""
    head, cells = column
    return max(len(line) for cell in [head, *cells] for line in cell.split("\n"))


def definition(graph, i: int, notation: Notation, width: int) -> str:
    """A node's definition, broken between words past a third of the width."""
    text = Text(graph.definition(graph.nodes[i], times=notation.times))
    room = max(ARRAY_WIDTH, width // 3)
    return "\n  ".join(line.plain for line in lines(text, room, 2, FORMULA))


def scalars(values, precision, exact) -> int:
    """The width of the widest number that is not an array."""
    return max(
        [len(number(v, precision, exact)) for v in values if v is not None and not np.ndim(v)],
        default=1,
    )


def number(value, precision, exact, width: int | None = None) -> str:
    """A value for the table: an array in numpy's layout, its lines at most `width`
    columns (past that, one element a line); with --exact, a fraction gets its decimal
    beside it."""
    if np.ndim(value):
        return array(value, precision, width=width or 40)
    text = fmt(value, precision, exact)
    if is_fraction(value) and value.denominator != 1:
        text += f" ({fmt(to_float(value), precision)})"
    return text


def kinks(result, notation: Notation) -> Group | None:
    """The nodes evaluated where their op is not differentiable, and what cg did there."""
    if not result.kinks:
        return None
    graph = result.graph
    found = [Text("Kinks and singular points", style="bold")]
    for hit in result.kinks:
        node = graph.nodes[hit.node]
        convention = hit.kink.convention
        if result.policy == "nan":
            convention = "the derivative is NaN there (--kink nan)"
        # The op table words the point in the op's argument names; say it in the node's.
        point = graph.in_terms_of_inputs(node, hit.kink.point)
        convention = graph.in_terms_of_inputs(node, convention)
        definition = graph.definition(node, times=notation.times)
        found.append(Paragraph(f"  {node.name} = {definition} at {point}: {convention}"))
    return Group(*found)


STATUS = {
    "agree": "agrees",
    "disagree": "DISAGREES",
    "kink": "kink",
    "uncertain": "uncertain",
    "not finite": "not finite",
}
CHECKED = ("reverse mode", "numerical")  # the two values; then how far apart, and the verdict
COMPARED = ("abs diff", "rel diff", "verdict")


def checks(rows, result, notation: Notation, precision=None, width: int = 80) -> Group:
    """--check: each partial derivative by reverse mode and by finite differences, in one
    table, or in two (the values, then their differences) where one does not fit."""
    name = result.output_name
    cells = {"": [Text(notation.partial(name, row.input)) for row in rows]}
    cells["reverse mode"] = [Text(fmt(row.reverse, precision)) for row in rows]
    # The numerical estimate is good to about 1e-10: twelve digits say all it knows.
    cells["numerical"] = [Text(fmt(row.numerical, precision or 12)) for row in rows]
    cells["abs diff"] = [Text(f"{row.difference:.1e}") for row in rows]
    cells["rel diff"] = [Text(f"{row.relative:.1e}") for row in rows]
    cells["verdict"] = [
        Text(STATUS[row.status], style="bold red" if row.status == "disagree" else None)
        for row in rows
    ]

    def grid(headings):
        made = Table(
            box=box.ASCII if notation.ascii else box.SIMPLE_HEAD,
            pad_edge=False,
            show_edge=False,
            collapse_padding=True,
        )
        made.add_column("", overflow="fold")  # a name folds only past MAX_WIDTH
        for heading in headings:
            made.add_column(
                heading, justify="left" if heading == "verdict" else "right", no_wrap=True
            )
        for r in range(len(rows)):
            made.add_row(*(cells[h][r] for h in ("", *headings)))
        return made

    one = natural(grid(CHECKED + COMPARED)) <= width
    notes = [
        Paragraph(Text("Finite-difference check (five-point central differences)", style="bold"))
    ]
    if one:
        notes.append(Scroll(grid(CHECKED + COMPARED), MAX_WIDTH))
    else:
        notes += [Scroll(grid(CHECKED), MAX_WIDTH), Text(""), Scroll(grid(COMPARED), MAX_WIDTH)]
    for row in rows:
        if row.near:
            notes.append(
                Paragraph(
                    Text(
                        f"  {notation.partial(name, row.input)}: the differences cross "
                        f"a kink at {', '.join(row.near)}, so they need not agree",
                        style="dim",
                    )
                )
            )
    return Group(*notes)


def natural(renderable) -> int:
    """How wide `renderable` is drawn with all the room it wants."""
    from rich.console import Console
    from rich.measure import Measurement

    console = Console(width=MAX_WIDTH)
    return Measurement.get(console, console.options, renderable).maximum


def _title(source: str, name: str) -> Paragraph | None:
    """The program above the table when it is one short line: `f = (a+b)*(b-c)`, its
    control characters shown as escapes (a comment may hold any)."""
    source = source.strip()
    if len(source) > TITLE_WIDTH or "\n" in source:
        return None
    source = printable(source)
    if "=" not in source and ";" not in source:
        source = f"{name} = {source}"
    return Paragraph(Text(source), formula=True)
