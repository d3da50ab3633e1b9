"""The Result as one strict RFC 8259 JSON object (schema 1, documented in README.md)."""

from __future__ import annotations

import json
import math

from ..graph import CONST, INPUT

SCHEMA = 1


def number(value):
    """A float for JSON: non-finite values become the strings protobuf's JSON mapping uses."""
    x = float(value)
    if math.isfinite(x):
        return x
    return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")


def document(result) -> dict:
    graph = result.graph
    nodes = graph.nodes
    return {
        "schema": SCHEMA,
        "expression": graph.source,
        "output": {"name": result.output_name, "value": number(result.output)},
        "gradient": {name: number(v) for name, v in result.gradient.items()},
        "inputs": {name: number(result.values[i]) for name, i in graph.inputs.items()},
        "warnings": [
            {"kind": n.kind, "message": n.message, "node": n.node} for n in result.notices
        ],
        "nodes": [
            {
                "id": node.id,
                "name": node.name,
                "op": node.op if node.op in (INPUT, CONST) else node.op.name,
                "inputs": list(node.inputs),
                "value": number(result.values[node.id]),
                "adjoint": None
                if result.adjoints[node.id] is None
                else number(result.adjoints[node.id]),
            }
            for node in nodes
        ],
    }


def dumps(result) -> str:
    """Indented, with one node a line: readable, and no slower to parse."""
    doc = document(result)
    nodes = doc.pop("nodes")
    head = json.dumps(doc, indent=2, allow_nan=False)
    rows = ",\n".join("    " + json.dumps(node, allow_nan=False) for node in nodes)
    return head[:-2] + ',\n  "nodes": [\n' + rows + "\n  ]\n}"
