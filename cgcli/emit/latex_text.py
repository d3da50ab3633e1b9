"""The pieces cg's LaTeX is built of: ropes that join in O(1), with what a consumer
needs to know to place one (how tightly it binds, whether it takes a script as it
is, how it begins and ends), and the atoms: names, numbers, array constants.
"""

from __future__ import annotations

import math
import re

import numpy as np

_UNESCAPED_SUB = re.compile(r"(?<!\\)_")

# How tightly a text binds, loosest first.
SUM, NEG, PROD, POW, FUNC, ATOM = range(1, 7)


class Text:
    """A node's LaTeX and what its consumers need to know to place it."""

    # fmt: off
    __slots__ = ("rope", "size", "level", "start", "end", "base", "script", "simple", "closed",
                 "kind")
    # fmt: on

    def __init__(self, rope, size, level, start="", end="", base=False, script=False):
        self.rope = rope
        self.size = size  # characters, to tell a long argument of exp
        self.level = level
        self.start = start  # "digit", "word" (\mathit{..}), "frac" or "": for \cdot
        self.end = end  # "digit", "word" or ""
        self.base = base  # takes ^{...} as it is
        self.script = script  # takes _{...} as it is
        self.simple = False  # a name or number: \sin x, not \sin(x)
        self.closed = None  # ends in \sin x: the same with \sin(x), to go on with a product
        self.kind = None  # of a product: "mul", "odot" or "matmul"


def cat(*parts):
    """A rope of strings and texts, and its length."""
    rope, size = [], 0
    for p in parts:
        if type(p) is str:
            rope.append(p)
            size += len(p)
        else:
            rope.append(p.rope)
            size += p.size
    return tuple(rope), size


def paren(t: Text) -> Text:
    return Text(*cat("(", t, ")"), ATOM, base=True, script=True)


def name_text(text: str) -> Text:
    word = "word" if text[:8] == "\\mathit{" else ""
    start = "digit" if text[:1].isdigit() else word
    end = "digit" if text[-1:].isdigit() else word
    sup = "^" in text
    sub = "_" in text and _UNESCAPED_SUB.search(text) is not None
    t = Text(text, len(text), ATOM, start, end, base=not sup, script=not (sub or sup))
    t.simple = not sup
    return t


def number_text(x: float, literal: str | None) -> Text:
    if math.isnan(x):
        return name_text(r"\mathrm{NaN}")
    if math.isinf(x):
        return name_text(r"\infty") if x > 0 else Text(r"-\infty", 7, NEG)
    text = literal if literal is not None else shortest(x)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    mantissa, _, exponent = text.lower().partition("e")
    mantissa = mantissa.rstrip(".") if "." in mantissa else mantissa
    mantissa = "0" + mantissa if mantissa.startswith(".") else mantissa
    if exponent:
        text = f"{mantissa} \\times 10^{{{int(exponent)}}}"
        t = Text(text, len(text), PROD, "digit")
    else:
        t = name_text(mantissa)
    if sign:
        return Text(*cat("-", t), NEG, "", t.end)
    return t


def shortest(x: float) -> str:
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def array_text(value: np.ndarray) -> Text:
    """An array constant as a bmatrix: a 1-d array as a column, a 2-d one by rows (one
    of a single column as its row, transposed), higher ones as columns of blocks."""
    if value.ndim == 2 and value.shape[1] == 1 and value.shape[0] > 0:
        row = matrix([[cell(v) for v in value[:, 0]]])
        return Text(row + "^{\\top}", len(row) + 8, POW)
    if value.ndim == 1:
        text = matrix([[cell(v)] for v in value])
    else:
        cells = np.empty(value.shape[:-2], dtype=object)
        for place in np.ndindex(value.shape[:-2]):
            cells[place] = matrix([[cell(v) for v in row] for row in value[place]])
        while cells.ndim:  # the outer axes, from the innermost: columns of blocks
            grouped = np.empty(cells.shape[:-1], dtype=object)
            for place in np.ndindex(cells.shape[:-1]):
                grouped[place] = matrix([[block] for block in cells[place]])
            cells = grouped
        text = cells[()]
    return Text(text, len(text), ATOM, base=True, script=True)


def cell(v) -> str:
    return flat(number_text(float(v), None).rope)


def matrix(rows: list[list[str]]) -> str:
    body = " \\\\ ".join(" & ".join(row) for row in rows)
    return f"\\begin{{bmatrix}} {body} \\end{{bmatrix}}"


def flat(rope) -> str:
    """Join a rope's strings, left to right, with a stack rather than recursion."""
    parts, stack = [], [rope]
    while stack:
        r = stack.pop()
        if type(r) is str:
            parts.append(r)
        else:
            stack.extend(reversed(r))
    return "".join(parts)
