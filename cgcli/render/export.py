"""The graph for other tools: Graphviz DOT, a Mermaid flowchart, and JSON nodes and edges."""

from __future__ import annotations

from ..graph import CONST, INPUT
from . import Notation, fmt
from .jsonout import SCHEMA, dumps_with_rows, number


def _lines(graph, result, notation: Notation, precision) -> list[list[str]]:
    """Per node, the lines of its label: definition, value, adjoint."""
    top = graph.nodes[graph.output].name
    labels = []
    for node in graph.nodes:
        if node.op in (INPUT, CONST):
            lines = [node.name]
        else:
            lines = [f"{node.name} = {graph.definition(node, times=notation.times)}"]
        if result is not None and result.values[node.id] is not None:
            lines.append(f"value {fmt(result.values[node.id], precision, result.exact)}")
            adjoint = result.adjoints[node.id]
            if adjoint is None and node.op == INPUT and result.adjoints[graph.output] is not None:
                adjoint = 0.0
            if adjoint is not None:
                shown = fmt(adjoint, precision, result.exact)
                lines.append(f"{notation.partial(top, node.name)} = {shown}")
        labels.append(lines)
    return labels


def _dot_record(text: str) -> str:
    """Text inside a record label, inside a quoted DOT string."""
    for char in '\\{}|<>"':
        text = text.replace(char, "\\" + char)
    return text


def dot(graph, result=None, notation: Notation | None = None, precision=None) -> str:
    """Graphviz DOT in the style of micrograd's draw_dot: a record per value, a
    small node per operation, edges from inputs through the operation to its value."""
    notation = notation or Notation()
    labels = _lines(graph, result, notation, precision)
    out = [
        "digraph cg {",
        "  rankdir=LR;",
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9];',
    ]
    for node in graph.nodes:
        record = " | ".join(_dot_record(line) for line in labels[node.id])
        style = ", style=bold" if node.id == graph.output else ""
        out.append(f'  n{node.id} [shape=record, label="{{ {record} }}"{style}];')
        if node.inputs:
            op = node.op.symbol or node.op.name
            op = _dot_string(notation.times if op == "*" else op)
            out.append(f'  n{node.id}_op [shape=circle, label="{op}"];')
            out.append(f"  n{node.id}_op -> n{node.id};")
            # Where argument order matters, the edge says which argument it is, in
            # words no variable can be called (the op's own x and y could be the
            # user's): the 1st and 2nd of x - y; of an array [a, b], the element [0], [1].
            ordered = len(node.inputs) > 1 and node.op.symbol not in ("+", "*")
            for position, i in enumerate(node.inputs):
                name = ("1st", "2nd")[position] if node.op.args else f"[{position}]"
                edge = f' [label="{name}"]' if ordered else ""
                out.append(f"  n{i} -> n{node.id}_op{edge};")
    out.append("}")
    return "\n".join(out) + "\n"


def _dot_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def mermaid(graph, result=None, notation: Notation | None = None, precision=None) -> str:
    """A Mermaid flowchart, for Markdown documents."""
    notation = notation or Notation()
    labels = _lines(graph, result, notation, precision)
    out = ["flowchart LR"]
    for node in graph.nodes:
        text = "<br/>".join(_mermaid(line) for line in labels[node.id])
        shape = ('(["', '"])') if node.op == INPUT else ('["', '"]')
        out.append(f"  n{node.id}{shape[0]}{text}{shape[1]}")
    for node in graph.nodes:
        for i in node.inputs:
            out.append(f"  n{i} --> n{node.id}")
    return "\n".join(out) + "\n"


def _mermaid(text: str) -> str:
    for char, entity in (("&", "#amp;"), ('"', "#quot;"), ("<", "#lt;"), (">", "#gt;")):
        text = text.replace(char, entity)
    return text


def graph_json(graph, result=None) -> str:
    nodes = []
    for node in graph.nodes:
        nodes.append(
            {
                "id": node.id,
                "name": node.name,
                "op": node.op if node.op in (INPUT, CONST) else node.op.name,
                "inputs": list(node.inputs),
                "definition": graph.definition(node) if node.inputs else None,
                "value": None
                if result is None or result.values[node.id] is None
                else number(result.values[node.id]),
                "adjoint": None
                if result is None or result.adjoints[node.id] is None
                else number(result.adjoints[node.id]),
            }
        )
    edges = [
        {"from": i, "to": node.id, "argument": position}
        for node in graph.nodes
        for position, i in enumerate(node.inputs)
    ]
    document = {
        "schema": SCHEMA,
        "expression": graph.source,
        "output": graph.output,
        "nodes": nodes,
        "edges": edges,
    }
    return dumps_with_rows(document, ("nodes", "edges"))
