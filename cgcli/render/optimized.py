"""Views of `cg optimize`: the rewritten program (which cg reads back), its size before
and after, and the rewrites that fired."""

from __future__ import annotations

import json

from .diff import rewrite_records, steps  # noqa: F401 (the same records as cg diff's)

SCHEMA = 1


def operations(graph, outputs=None) -> int:
    """The operations (nodes that are not inputs or constants) the outputs need."""
    from ..emit.formula import shared_size

    return shared_size(graph, outputs if outputs is not None else [graph.output])


def program_text(done) -> str:
    from ..emit.formula import single

    return single(done.graph, done.outputs[0])


def text(graph, done) -> str:
    before, after = operations(graph), operations(done.graph, done.outputs)
    words = "operation" if before == 1 else "operations"
    header = f"# {before} {words} before the rewrites, {after} after\n"
    body = program_text(done)
    return header + body + ("" if body.endswith("\n") else "\n")


def document(graph, done) -> str:
    return json.dumps(
        {
            "schema": SCHEMA,
            "before": operations(graph),
            "after": operations(done.graph, done.outputs),
            "program": program_text(done),
            "rewrites": rewrite_records(done.rewrites),
        },
        indent=2,
        allow_nan=False,
    )
