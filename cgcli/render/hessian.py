"""Views of a Hessian (transform/hessian_values.py): the value and gradient as `cg eval`
tables them, then the Hessian as a table labelled by input (an array input by
element, its block between rules), or its pattern and entries (--sparse), or H·v
(--vector); and the same as JSON (schema/hessian.schema.json)."""

from __future__ import annotations

import json
import math

import numpy as np
from rich import box
from rich.console import Group
from rich.table import Table
from rich.text import Text

from ..values import exact, number
from . import Notation
from .layout import MAX_WIDTH, Paragraph, Scroll

SCHEMA = 1
MOST_COLUMNS = 40  # a dense table of more elements is left to --json
MOST_ENTRIES = 60  # sparse entries listed in the text


def labels(shapes: dict[str, tuple]) -> list[str]:
    """A label per element, in the Hessian's order: x, and W[0,1] for arrays."""
    found = []
    for name, shape in shapes.items():
        if not shape:
            found.append(name)
            continue
        for index in np.ndindex(*shape):
            found.append(f"{name}[{','.join(map(str, index))}]")
    return found


def _cell(value, precision, exact_view: bool) -> str:
    from .table import number as shown

    return shown(value, precision, exact_view)


def _grid(notation: Notation, heads: list[str], words: int = 1) -> Table:
    """A table whose first `words` columns are labels, the rest numbers."""
    grid = Table(box=box.ASCII if notation.ascii else box.ROUNDED)
    for k, head in enumerate(heads):
        grid.add_column(head, justify="left" if k < words else "right", no_wrap=k >= words)
    return grid


def matrix_table(found, notation: Notation, precision=None):
    """The dense Hessian: rows and columns by element, each input's block ruled off."""
    names = labels(found.shapes)
    n = len(names)
    name = found.result.output_name
    d2 = "d2" if notation.ascii else "\u2202\u00b2"
    d = notation.d
    title = Text(f"Hessian of {name}: {d2}{name}/{d}row {d}column", style="bold")
    if n > MOST_COLUMNS:
        return Group(
            title,
            Paragraph(
                Text(
                    f"{n:,} × {n:,} entries: more than a table shows. --json writes them all, "
                    "as blocks by input.",
                    style="dim",
                )
            ),
        )
    grid = _grid(notation, ["", *names])
    # Each array input's block between rules; numbers alone need none.
    arrays = any(found.shapes.values())
    ends = set(np.cumsum([math.prod(s) for s in found.shapes.values()]) - 1) if arrays else ()
    for i in range(n):
        cells = [_cell(found.matrix[i, j], precision, found.exact) for j in range(n)]
        grid.add_row(Text(names[i]), *map(Text, cells), end_section=i in ends and i < n - 1)
    # Under --exact, the table of the value and gradient above has the legend.
    return Group(title, Scroll(grid, MAX_WIDTH))


def sparse_view(found, notation: Notation, width: int, precision=None):
    """--sparse: the pattern as a spy plot, the colours beside n, and the entries."""
    from ..transform import sparsity

    names = labels(found.shapes)
    n = len(names)
    entries = sorted(found.entries.items())
    c = found.colours
    parts = [
        Text("Hessian sparsity (structural, from the graph)", style="bold"),
        Text(sparsity.spy(found.pattern, names, width, ascii=notation.ascii)),
        Text(
            f"{len(entries):,} entries on and above the diagonal; {c} colour"
            f"{'' if c == 1 else 's'}: {c} Hessian-vector product{'' if c == 1 else 's'} "
            f"in one pass, where the dense Hessian takes {n:,}"
        ),
    ]
    grid = _grid(notation, ["row", "column", "value"], words=2)
    for (k, j), value in entries[:MOST_ENTRIES]:
        grid.add_row(names[k], names[j], _cell(value, precision, False))
    parts.append(Scroll(grid, MAX_WIDTH))
    if len(entries) > MOST_ENTRIES:
        parts.append(Text(f"… and {len(entries) - MOST_ENTRIES:,} more: --json lists them all."))
    return Group(*parts)


def product_table(found, notation: Notation, precision=None):
    """--vector: v and H·v, by input."""
    grid = _grid(notation, ["input", "v", "H·v" if not notation.ascii else "H*v"])
    for name in found.shapes:
        v, hv = found.vector[name], found.product[name]
        grid.add_row(name, _cell(v, precision, found.exact), _cell(hv, precision, found.exact))
    return Group(Text("Hessian-vector product", style="bold"), Scroll(grid, MAX_WIDTH))


def second_kinks(found, notation: Notation, policy: str):
    """The program's nodes where a second derivative does not exist or is infinite."""
    if not found.kinks:
        return None
    graph = found.result.graph
    what = (
        "the entries through it are NaN (--kink nan)"
        if policy == "nan"
        else "the entries through it differentiate the first derivative's convention"
    )
    lines = [Text("Second derivatives", style="bold")]
    for k in found.kinks:
        node = graph.nodes[k.node]
        definition = graph.definition(node, times=notation.times)
        where = f"at {k.point}" if k.through is None else f"where {k.through} is at {k.point}"
        lines.append(
            Paragraph(
                f"  {node.name} = {definition} {where}: no second derivative there "
                f"(or it is infinite); {what}"
            )
        )
    return Group(*lines)


def document(found) -> str:
    """`jq .hessian.x.y` reads one entry; an array's block is nested lists."""
    from .jsonout import dumps_with_rows, kinks, warnings

    result = found.result
    doc = {
        "schema": SCHEMA,
        "expression": result.graph.source,
        "exact": found.exact,
        "inputs": list(found.shapes),
        "output": {"name": result.output_name, "value": number(result.output)},
        "gradient": {name: number(v) for name, v in result.gradient.items()},
    }
    if found.exact:
        doc["output"]["exact"] = exact(result.output)
        doc["exact_gradient"] = {name: exact(v) for name, v in result.gradient.items()}
    if found.product is not None:
        doc["vector"] = {name: number(v) for name, v in found.vector.items()}
        doc["hessian_vector"] = {name: number(v) for name, v in found.product.items()}
        if found.exact:
            doc["exact_hessian_vector"] = {name: exact(v) for name, v in found.product.items()}
    elif found.entries is not None:
        names = labels(found.shapes)
        hessian: dict = {}
        for (k, j), value in sorted(found.entries.items()):
            hessian.setdefault(names[k], {})[names[j]] = number(value)
            if k != j:
                hessian.setdefault(names[j], {})[names[k]] = number(value)
        doc["hessian"] = hessian
        doc["sparse"] = True
        doc["colours"] = found.colours
        doc["entries"] = len(found.entries)
    elif not any(found.shapes.values()) and not found.exact:
        # Numbers only: the matrix's rows as they are (a million entries at n = 1,000).
        names = list(found.shapes)
        each = float if np.isfinite(found.matrix).all() else number
        doc["hessian"] = {
            x: dict(zip(names, map(each, row))) for x, row in zip(names, found.matrix.tolist())
        }
        doc["sparse"] = False
    else:
        doc["hessian"] = {
            x: {y: number(found.block(x, y)) for y in found.shapes} for x in found.shapes
        }
        doc["sparse"] = False
        if found.exact:
            doc["exact_hessian"] = {
                x: {y: exact(found.block(x, y)) for y in found.shapes} for x in found.shapes
            }
    doc["warnings"] = warnings(result)
    doc["kinks"] = kinks(result)
    doc["second_kinks"] = [
        {
            "node": k.node,
            "name": result.graph.nodes[k.node].name,
            "op": result.graph.nodes[k.node].op.name,
            "at": k.point,
        }
        for k in found.kinks
    ]
    rows = doc.get("hessian")
    if rows is None:
        return dumps_with_rows(doc, ())  # an array of numbers on one line
    # A row of the Hessian a line: readable, and the C encoder's speed (json's
    # indenting encoder is Python's, seconds for the million entries of n = 1,000).
    doc["hessian"] = "\0rows"
    head = dumps_with_rows(doc, ())
    encode = json.JSONEncoder(allow_nan=False, separators=(", ", ": ")).encode
    body = ",\n".join(f"    {encode(x)}: {encode(row)}" for x, row in rows.items())
    return head.replace('"\\u0000rows"', "{\n" + body + "\n  }" if rows else "{}", 1)
