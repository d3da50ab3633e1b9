"""The Result as a Rich table: the output and every input, or with --all every node."""

from __future__ import annotations

import numpy as np
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..graph import CONST, INPUT
from ..shapes import show as show_shape
from ..values import is_fraction, to_float
from . import Notation, array, fmt

TITLE_WIDTH = 60


def table(
    result, all_nodes: bool = False, precision: int | None = None, notation: Notation | None = None
):
    graph = result.graph
    out = graph.output
    name = result.output_name
    notation = notation or Notation()
    jacobian = result.jacobian
    arrays = any(np.ndim(v) for v in result.values)
    grid = Table(box=box.ASCII if notation.ascii else box.ROUNDED)
    grid.add_column("node", overflow="fold")
    if all_nodes:
        grid.add_column("definition", overflow="fold")
    if arrays:
        grid.add_column("shape", overflow="fold")
    justify = "left" if arrays else "right"  # numpy's layout reads from the left
    grid.add_column("value", justify=justify, overflow="fold")
    heading = notation.partial(name, "node")
    grid.add_column(
        heading + (" (Jacobian)" if jacobian is not None else ""), justify=justify, overflow="fold"
    )

    def row(i, end_section=False):
        node = graph.nodes[i]
        if jacobian is not None:
            adjoint = jacobian.get(node.name) if node.op == INPUT else None
        else:
            adjoint = result.adjoints[i]
            if node.op == INPUT and adjoint is None:
                adjoint = 0.0
        cells = [Text(node.name)]
        if all_nodes:
            cells.append(Text(graph.definition(node, times=notation.times)))
        if arrays:
            cells.append(Text(show_shape(np.shape(result.values[i]))))
        cells.append(Text(number(result.values[i], precision, result.exact)))
        cells.append(Text("-" if adjoint is None else number(adjoint, precision, result.exact)))
        grid.add_row(*cells, end_section=end_section)

    if all_nodes:
        for node in graph.nodes:
            if node.op != CONST and node.id != out:
                row(node.id)
        row(out)
    else:
        if out not in graph.inputs.values():
            row(out, end_section=True)
        for i in graph.inputs.values():
            row(i)
    title = _title(graph.source, name)
    parts = [title] if title else []
    parts.append(grid)
    if result.exact:
        legend = "Fractions are exact (decimal in parentheses); \u2248 marks float64 values."
        parts.append(Text(legend, style="dim"))
    if jacobian is not None:
        parts.append(
            Text(
                f"The Jacobian of {name} by an input has the shape of {name} "
                "followed by the input's.",
                style="dim",
            )
        )
    return Group(*parts)


def number(value, precision, exact) -> str:
    """A value for the table: an array in numpy's layout; with --exact, a fraction
    gets its decimal beside it."""
    if np.ndim(value):
        return array(value, precision, width=40)
    text = fmt(value, precision, exact)
    if is_fraction(value) and value.denominator != 1:
        text += f" ({fmt(to_float(value), precision)})"
    return text


def kinks(result, notation: Notation) -> Group | None:
    """The nodes evaluated where their op is not differentiable, and what cg did there."""
    if not result.kinks:
        return None
    graph = result.graph
    lines = [Text("Kinks and singular points", style="bold")]
    for hit in result.kinks:
        node = graph.nodes[hit.node]
        convention = hit.kink.convention
        if result.policy == "nan":
            convention = "the derivative is NaN there (--kink nan)"
        # The op table words the point in the op's argument names; say it in the node's.
        point = graph.in_terms_of_inputs(node, hit.kink.point)
        convention = graph.in_terms_of_inputs(node, convention)
        definition = graph.definition(node, times=notation.times)
        lines.append(Text(f"  {node.name} = {definition} at {point}: {convention}"))
    return Group(*lines)


STATUS = {
    "agree": "agrees",
    "disagree": "DISAGREES",
    "kink": "kink",
    "uncertain": "uncertain",
    "not finite": "not finite",
}


def checks(rows, result, notation: Notation, precision=None) -> Group:
    """--check: each partial derivative by reverse mode and by finite differences."""
    name = result.output_name
    grid = Table(
        box=box.ASCII if notation.ascii else box.SIMPLE_HEAD, pad_edge=False, show_edge=False
    )
    grid.add_column("", overflow="fold")
    for heading in ("reverse mode", "numerical", "abs diff", "rel diff"):
        grid.add_column(heading, justify="right", no_wrap=True)
    grid.add_column("verdict", no_wrap=True)
    for row in rows:
        style = "bold red" if row.status == "disagree" else None
        # The numerical estimate is good to about 1e-10: twelve digits say all it knows.
        grid.add_row(
            Text(notation.partial(name, row.input)),
            fmt(row.reverse, precision),
            fmt(row.numerical, precision or 12),
            f"{row.difference:.1e}",
            f"{row.relative:.1e}",
            Text(STATUS[row.status], style=style),
        )
    notes = [Text("Finite-difference check (five-point central differences)", style="bold"), grid]
    for row in rows:
        if row.near:
            notes.append(
                Text(
                    f"  {notation.partial(name, row.input)}: the differences cross "
                    f"a kink at {', '.join(row.near)}, so they need not agree",
                    style="dim",
                )
            )
    return Group(*notes)


def _title(source: str, name: str) -> Text | None:
    """The program above the table when it fits on a line: `f = (a+b)*(b-c)`."""
    source = source.strip()
    if len(source) > TITLE_WIDTH or "\n" in source:
        return None
    if "=" in source or ";" in source:
        return Text(source)
    return Text(f"{name} = {source}")
