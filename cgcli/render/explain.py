"""The explanation as text: the forward pass, then the backward pass line by line."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text

from . import fmt
from .layout import Paragraph
from .table import kinks


def chain(*parts: str) -> str:
    """`a = b = c`, without saying the same thing twice in a row."""
    kept = []
    for part in parts:
        if part and (not kept or kept[-1] != part):
            kept.append(part)
    return " = ".join(kept)


def text(explanation: dict, result, notation, precision=None) -> Group:
    exact = result.exact
    lines = [Text("Forward pass", style="bold")]
    for step in explanation["forward"]:
        value = fmt(step["value"], precision, exact)
        if step["formula"] == "input":
            lines.append(Text(f"  {step['node']} = {value}"))
        else:
            lines.append(Text("  " + chain(step["node"], step["formula"], step["numbers"], value)))
    lines += [Text(""), Text("Backward pass", style="bold")]
    for step in explanation["backward"]:
        value = fmt(step["value"], precision, exact)
        lines.append(
            Text(
                "  "
                + chain(step["symbol"], step.get("of", ""), step["formula"], step["numbers"], value)
            )
        )
        for local in step["locals"]:
            lines.append(
                Text(
                    "      "
                    + chain(
                        local["symbol"],
                        local["of"],
                        local["formula"],
                        local["numbers"],
                        fmt(local["value"], precision, exact),
                    ),
                    style="dim",
                )
            )
    top = explanation["output"]
    gradient = ", ".join(
        f"{notation.partial(top, name)} = {fmt(v, precision, exact)}"
        for name, v in result.gradient.items()
    )
    if gradient:
        lines += [Text(""), Text.assemble(("Gradient: ", "bold"), gradient)]
    found = kinks(result, notation)
    if found is not None:
        lines += [Text(""), found]
    # Each line wraps at the width, its continuations under its first '='.
    return Group(
        *(Paragraph(line, formula=True) if isinstance(line, Text) else line for line in lines)
    )
