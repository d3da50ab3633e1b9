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
    return dumps_with_rows(document(result), ("nodes",))


def dumps_with_rows(doc: dict, keys: tuple[str, ...]) -> str:
    """Indented JSON in which each item of the lists under `keys` (the last keys of
    `doc`) stands on one line: readable for people, and the same for parsers."""
    doc = dict(doc)
    lists = {key: doc.pop(key) for key in keys}
    parts = [json.dumps(doc, indent=2, allow_nan=False)[:-2]]
    for key, items in lists.items():
        rows = ",\n".join("    " + json.dumps(item, allow_nan=False) for item in items)
        parts.append(f',\n  "{key}": [\n{rows}\n  ]' if items else f',\n  "{key}": []')
    return "".join(parts) + "\n}"


def explanation_json(result, steps: dict) -> str:
    """The steps of `cg explain`: each with its node, formula, numbers and value."""

    def clean(step: dict) -> dict:
        out = {k: v for k, v in step.items() if k not in ("value", "locals")}
        out["value"] = number(step["value"])
        if "locals" in step:
            out["locals"] = [clean(local) for local in step["locals"]]
        return out

    doc = {
        "schema": SCHEMA,
        "expression": result.graph.source,
        "output": {"name": result.output_name, "value": number(result.output)},
        "gradient": {name: number(v) for name, v in result.gradient.items()},
        "warnings": [
            {"kind": n.kind, "message": n.message, "node": n.node} for n in result.notices
        ],
        "forward": [clean(step) for step in steps["forward"]],
        "backward": [clean(step) for step in steps["backward"]],
    }
    return dumps_with_rows(doc, ("forward", "backward"))
