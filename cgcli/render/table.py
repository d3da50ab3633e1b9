"""The Result as a Rich table: the output and every input, or with --all every node."""

from __future__ import annotations

from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..graph import CONST, INPUT
from . import Notation, fmt

TITLE_WIDTH = 60


def table(
    result, all_nodes: bool = False, precision: int | None = None, notation: Notation | None = None
):
    graph = result.graph
    out = graph.output
    name = result.output_name
    notation = notation or Notation()
    grid = Table(box=box.ASCII if notation.ascii else box.ROUNDED)
    grid.add_column("node", overflow="fold")
    if all_nodes:
        grid.add_column("definition", overflow="fold")
    grid.add_column("value", justify="right", overflow="fold")
    grid.add_column(notation.partial(name, "node"), justify="right", overflow="fold")

    def row(i, end_section=False):
        node = graph.nodes[i]
        adjoint = result.adjoints[i]
        if node.op == INPUT and adjoint is None:
            adjoint = 0.0
        cells = [Text(node.name)]
        if all_nodes:
            cells.append(Text(graph.definition(node, times=notation.times)))
        cells.append(Text(fmt(result.values[i], precision)))
        cells.append(Text("-" if adjoint is None else fmt(adjoint, precision)))
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
    return Group(title, grid) if title else grid


def _title(source: str, name: str) -> Text | None:
    """The program above the table when it fits on a line: `f = (a+b)*(b-c)`."""
    source = source.strip()
    if len(source) > TITLE_WIDTH or "\n" in source:
        return None
    if "=" in source or ";" in source:
        return Text(source)
    return Text(f"{name} = {source}")
