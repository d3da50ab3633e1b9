"""Views of a derivative (transform/diff.py): the formulas as a program cg reads back,
LaTeX, the rewrites that fired, and JSON.

Formulas are written in cg's own language with `*` (not `·`): what is printed
is what `cg eval` reads. Values shared by the partials are statements (t1 = ...)
written once, so the text grows with the derivative graph, never with its tree.
"""

from __future__ import annotations

import json

from ..values import fmt, number
from . import Notation

SCHEMA = 1


def _printed(found, labels: dict[str, int]):
    from ..emit.formula import program

    return program(found.graph, labels, reserved={found.output})


def text(found, source: str, notation: Notation, values=None, precision=None) -> str:
    """The lines `cg diff` prints: the program, its shared values, one line a partial
    (and its value, with values for the inputs)."""
    labels = {notation.partial(found.output, name): node for name, node in found.partials.items()}
    printed = _printed(found, labels)
    lines = heading(found, source)
    lines += [f"{name} = {expression}" for name, expression in printed.statements]
    for (label, expression), name in zip(printed.lines, found.partials):
        lines.append(f"{label} = {expression}")
        if values is not None:
            lines.append(f"{' ' * len(label)} = {fmt(values[name], precision)}")
    return "\n".join(lines) + "\n"


def latex(found, outputs: dict[str, int] | None = None) -> str:
    """The partials in LaTeX, the shared values as statements as in the text."""
    from ..emit.latex import latex_program

    outputs = found.partials if outputs is None else outputs
    printed = _printed(found, outputs)
    statements = dict(zip(printed.nodes, (name for name, _ in printed.statements)))
    return latex_program(found.graph, outputs, statements, top=found.output)


def steps(rewrites) -> str:
    """One line a rewrite: the rule, the node, what it was and what it became."""
    if not rewrites:
        return "no rewrites fired\n"
    return "\n".join(f"{r.rule}: {r.node}: {r.before} → {r.after}" for r in rewrites) + "\n"


def rewrite_records(rewrites) -> list[dict]:
    return [
        {"rule": r.rule, "exact": r.exact, "node": r.node, "before": r.before, "after": r.after}
        for r in rewrites
    ]


def document(found, source: str, values=None) -> str:
    from ..emit.formula import shared_size, single, tree_size

    graph = found.graph
    derivatives = {}
    for name, node in found.partials.items():
        derivatives[name] = {
            "formula": single(graph, node, reserved={found.output}).rstrip("\n"),
            "latex": latex(found, {name: node}),
            "value": None if values is None else number(values[name]),
            "nodes": shared_size(graph, [node]),
        }
    nodes = list(found.partials.values())
    doc = {
        "schema": SCHEMA,
        "expression": source,
        "output": found.output,
        "derivatives": derivatives,
        "forward_nodes": found.forward_nodes,
        "shared_nodes": shared_size(graph, nodes),
        "tree_nodes": tree_size(graph, nodes),
        "rewrites": rewrite_records(found.rewrites),
    }
    return json.dumps(doc, indent=2, allow_nan=False)


def heading(found, source: str, limit: int = 200) -> list[str]:
    """What the output is, above its partials: `f = x^2*sin(x)` for an expression;
    nothing for a program (f, or the name it gives, is its last statement)."""
    from . import printable

    text = source.strip()
    if "\n" not in text and ";" not in text and "=" not in text and len(text) <= limit:
        return [f"{found.output} = {printable(text)}"]
    return []
