"""The Result as one strict RFC 8259 JSON object (schema 1, documented in README.md)."""

from __future__ import annotations

import json
import re

import numpy as np

from ..graph import CONST, INPUT
from ..values import exact, number

SCHEMA = 1


def document(result, checks=None) -> dict:
    graph = result.graph
    doc = {
        "schema": SCHEMA,
        "expression": graph.source,
        "exact": result.exact,
        "kink_policy": result.policy,
        "output": {"name": result.output_name, "value": number(result.output)},
        "gradient": {name: number(v) for name, v in result.gradient.items()},
        "inputs": {name: number(result.values[i]) for name, i in graph.inputs.items()},
        "warnings": warnings(result),
        "kinks": kinks(result),
    }
    if result.exact:
        doc["output"]["exact"] = exact(result.output)
        doc["exact_gradient"] = {name: exact(v) for name, v in result.gradient.items()}
    if result.jacobian is not None:
        doc["jacobian"] = {name: number(v) for name, v in result.jacobian.items()}
    if checks is not None:
        doc["check"] = [
            {
                "input": row.input,
                "reverse": number(row.reverse),
                "numerical": number(row.numerical),
                "difference": number(row.difference),
                "relative": number(row.relative),
                "error": number(row.error),
                "status": row.status,
                "near": row.near,
            }
            for row in checks
        ]
    # A row a node, made as it is written: a million nodes need not all be in memory.
    doc["nodes"] = (node_document(result, node) for node in graph.nodes)
    return doc


def node_document(result, node) -> dict:
    value, adjoint = result.values[node.id], result.adjoints[node.id]
    row = {
        "id": node.id,
        "name": node.name,
        "op": node.op if node.op in (INPUT, CONST) else node.op.name,
        "inputs": list(node.inputs),
        "value": number(value),
        "adjoint": None if adjoint is None else number(adjoint),
    }
    if result.exact:
        row["exact_value"] = exact(value)
        row["exact_adjoint"] = exact(adjoint)
    if np.ndim(value):
        row["shape"] = list(np.shape(value))
    return row


def warnings(result) -> list:
    return [{"kind": n.kind, "message": n.message, "node": n.node} for n in result.notices]


def kinks(result) -> list:
    graph = result.graph
    return [
        {
            "node": hit.node,
            "name": graph.nodes[hit.node].name,
            "op": graph.nodes[hit.node].op.name,
            "at": hit.kink.point,
            "convention": hit.kink.convention,
            "policy": result.policy,
        }
        for hit in result.kinks
    ]


def dumps(result, checks=None) -> str:
    return dumps_with_rows(document(result, checks), ("nodes",))


def write(stream, result, checks=None) -> None:
    """As dumps, to a stream, a row at a time."""
    write_with_rows(stream, document(result, checks), ("nodes",))


def dumps_with_rows(doc: dict, keys: tuple[str, ...]) -> str:
    import io

    out = io.StringIO()
    write_with_rows(out, doc, keys)
    return out.getvalue()


def write_with_rows(stream, doc: dict, keys: tuple[str, ...]) -> None:
    """Indented JSON in which each item of the lists under `keys` (the last keys of
    `doc`) stands on one line, as does each array of numbers: readable for people,
    and the same for parsers. The items may be any iterable; each is written as it
    comes."""
    doc = dict(doc)
    lists = {key: doc.pop(key) for key in keys}
    arrays: list[str] = []

    def inline(value):
        # Arrays of numbers become placeholders, replaced by their one-line JSON.
        if isinstance(value, dict):
            return {k: inline(v) for k, v in value.items()}
        if isinstance(value, list) and value and not isinstance(value[0], dict):
            arrays.append(json.dumps(value, allow_nan=False))
            return f"\0{len(arrays) - 1}"
        return value

    head = json.dumps(inline(doc), indent=2, allow_nan=False)
    head = re.sub(r'"\\u0000(\d+)"', lambda m: arrays[int(m.group(1))], head)
    stream.write(head[:-2])
    encode = json.JSONEncoder(allow_nan=False).encode
    for key, items in lists.items():
        stream.write(f',\n  "{key}": [')
        separator = "\n    "
        for item in items:
            stream.write(separator + encode(item))
            separator = ",\n    "
        stream.write("]" if separator == "\n    " else "\n  ]")
    stream.write("\n}")


def explanation_json(result, steps: dict) -> str:
    """The steps of `cg explain`: each with its node, formula, numbers and value."""

    def clean(step: dict) -> dict:
        out = {k: v for k, v in step.items() if k not in ("value", "locals")}
        out["value"] = number(step["value"])
        if result.exact:
            out["exact_value"] = exact(step["value"])
        if "locals" in step:
            out["locals"] = [clean(local) for local in step["locals"]]
        return out

    doc = {
        "schema": SCHEMA,
        "expression": result.graph.source,
        "output": {"name": result.output_name, "value": number(result.output)},
        "gradient": {name: number(v) for name, v in result.gradient.items()},
        "exact": result.exact,
        "warnings": warnings(result),
        "kinks": kinks(result),
        "forward": [clean(step) for step in steps["forward"]],
        "backward": [clean(step) for step in steps["backward"]],
    }
    return dumps_with_rows(doc, ("forward", "backward"))
