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


def partial_label(found, notation: Notation, key: str) -> str:
    """∂f/∂x; for --order 2 (keys "x,y"), ∂²f/∂x∂y and ∂²f/∂x²."""
    if found.order == 1:
        return notation.partial(found.output, key)
    a, b = key.split(",")
    d, two = notation.d, "2" if notation.ascii else "\u00b2"
    bottom = f"{d}{a}{two}" if a == b else f"{d}{a}{d}{b}"
    return f"{d}{two}{found.output}/{bottom}"


def text(
    found, source: str, notation: Notation, values=None, precision=None, width: int = 80
) -> str:
    """The lines `cg diff` prints: the program, its shared values, one line a partial
    (and its value, with values for the inputs). A formula stays on one line, so that
    it can be copied whole; a value wraps between elements at `width`, its lines under
    its first number, as `cg eval` lays out arrays."""
    labels = {partial_label(found, notation, name): node for name, node in found.partials.items()}
    printed = _printed(found, labels)
    lines = heading(found, source)
    lines += [f"{name} = {expression}" for name, expression in printed.statements]
    for (label, expression), name in zip(printed.lines, found.partials):
        lines.append(f"{label} = {expression}")
        if values is not None:
            lines.append(_wrapped(f"{' ' * len(label)} = {fmt(values[name], precision)}", width))
    return "\n".join(lines) + "\n"


def _wrapped(line: str, width: int) -> str:
    """A value's line cut between array elements (never inside a number) to `width`."""
    if len(line) <= width:
        return line
    from .layout import FORMULA, cuts

    hang = line.index("= ") + 2
    rows, start = [], 0
    for end, next_start in cuts(line, width, hang, FORMULA[1:]):
        rows.append(line[start:end])
        start = next_start
    rows.append(line[start:])
    return ("\n" + " " * hang).join(rows)


def latex(found, outputs: dict[str, int] | None = None) -> str:
    """The partials in LaTeX, the shared values as statements as in the text."""
    from ..emit.latex import latex_program

    outputs = found.partials if outputs is None else outputs
    printed = _printed(found, outputs)
    statements = dict(zip(printed.nodes, (name for name, _ in printed.statements)))
    written = latex_program(found.graph, outputs, statements, top=found.output)
    return written if found.order == 1 else _second_order(found, outputs, statements, written)


def _second_order(found, outputs, statements, written: str) -> str:
    """--order 2: each \\frac{\\partial f}{\\partial x,y} as latex_program writes it
    becomes \\frac{\\partial^2 f}{\\partial x \\partial y} (the same symbols)."""
    from ..emit.latex_names import latex_names, partial_of, reserved
    from ..graph import INPUT

    graph = found.graph
    named = {node.id: node.name for node in graph.nodes if node.op == INPUT}
    named.update(statements)
    symbols = latex_names([*named.values(), *outputs, found.output], reserved(graph))
    one = latex_names(list(graph.inputs), reserved(graph))
    top = symbols[found.output]
    for key in outputs:
        a, b = key.split(",")
        bottom = f"\\partial {one[a]}^{{2}}" if a == b else f"\\partial {one[a]} \\partial {one[b]}"
        second = f"\\frac{{\\partial^{{2}} {top}}}{{{bottom}}}"
        written = written.replace(partial_of(top, symbols[key]), second)
    return written


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
        "order": found.order,
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
