"""A graph written as LaTeX for a paper: each node once, in topological order, with
the fewest parentheses and multiplication signs that still read one way only.

Every node's text is a rope (a string or a tuple of ropes) built from its inputs'
ropes in O(1), so a 10^5-term sum costs linear time; the strings are joined once,
without recursion, at the end. With each rope goes what its consumers need to know:
how tightly it binds, whether it takes a superscript or subscript as it is, and
how it begins and ends (a product of a symbol and a number needs a \\cdot).

Notation, chosen to be unambiguous rather than shortest:
- products: `2 x`, `x \\sin x`; `\\cdot` before a number, between a number and a
  fraction (`2 \\cdot \\frac{1}{x}` is not a mixed number) and beside a multi-letter
  name (`\\mathit{ab} \\cdot c` is not `\\mathit{abc}`); `\\odot` for an elementwise
  product unless a factor is known to be a number; the matrix product by juxtaposition
  (`W x`, `x^{\\top} y` for a 1-d left operand when shapes are known).
- chains keep the program's grouping: `a - (b - c)`, `a + (b + c)`, `x (y z)`.
- `\\sin x` for a name or a number, `\\sin(x + 1)` otherwise, and `\\sin(x) y`, never
  `\\sin x y`; a function raised to a power is `(\\sin x)^{2}`; `\\ln` is the natural
  logarithm, `\\log_{2}` and `\\log_{10}` the others.
- `e^{x}` for exp (`\\exp(...)` for an argument past 30 characters, or where a name is
  written `e`); numbers as written in the program, or shortest, `1.5 \\times 10^{-7}`
  in scientific form (`\\times` only there; `\\cdot` is a product).
- arrays: a 1-d array is a column `\\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}`, a 2-d one
  by rows, one of a single column as its row transposed; `x_{[1:3]}` for numpy's
  (0-based) index; reductions as `\\operatorname{sum}_{\\mathrm{axis}=0}(x)`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from ..graph import CONST, INPUT, Graph, collector_paused
from ..ops.formulas import subscripts
from .latex_names import (
    input_symbols,
    latex_name,
    latex_names,
    latex_partial,  # noqa: F401 - part of this module's interface
    partial_of,
    reserved,
)
from .latex_text import (
    ATOM,
    FUNC,
    NEG,
    POW,
    PROD,
    SUM,
    Text,
    array_text,
    cat,
    flat,
    name_text,
    number_text,
    paren,
)

REDUCTIONS = {"sum", "mean", "amax", "amin", "logsumexp", "norm"}  # a number, without axis=
EXP_LONG = 30  # characters of an argument past which exp(x) is \exp(...), not e^{...}

# Functions written before their argument: \sin x, \sin(x + 1).
PREFIX = {
    "sin": r"\sin",
    "cos": r"\cos",
    "tan": r"\tan",
    "asin": r"\arcsin",
    "acos": r"\arccos",
    "atan": r"\arctan",
    "sinh": r"\sinh",
    "cosh": r"\cosh",
    "tanh": r"\tanh",
    "log": r"\ln",
    "log2": r"\log_{2}",
    "log10": r"\log_{10}",
}
# Functions always written with parentheses around their arguments; any other op
# (a new one) is \operatorname{its name}(...).
# fmt: off
CALLED = {
    "max": r"\max", "min": r"\min", "amax": r"\max", "amin": r"\min", "exp": r"\exp",
    **{name: rf"\operatorname{{{name}}}" for name in (
        "relu", "sigmoid", "softplus", "atan2", "dot", "sum", "mean", "logsumexp", "softmax",
        "reshape",
    )},
}
# fmt: on


def _settings(op, attrs) -> str:
    """_{\\mathrm{axis}=0}: the settings that differ from the op's defaults."""
    shown = [
        f"\\mathrm{{{key}}}={_setting(value)}"
        for key, value in (attrs or {}).items()
        if key == "shape" or value != op.params.get(key)
    ]
    return f"_{{{', '.join(shown)}}}" if shown else ""


def _setting(value) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(map(str, value)) + (",)" if len(value) == 1 else ")")
    return str(value)


def latex_expression(
    graph: Graph,
    root: int,
    symbol: Callable[[int], str | None],
    shapes: list | None = None,
) -> str:
    """The node `root` as a LaTeX expression. `symbol(i)` is the symbol of node i where
    it is shown by name (inputs, statements the caller named), else None and it is
    written out; the root is always written out. `shapes[i]` is node i's shape, None
    where unknown: with it, elementwise products of numbers are not written with \\odot."""
    return _collected(graph, [root], symbol, shapes)[root]


def latex_program(
    graph: Graph,
    outputs: dict[str, int],
    statements: dict[int, str],
    top: str = "y",
    shapes: list | None = None,
) -> str:
    """`name = expr` for each statement (node -> name, in topological order), then
    \\frac{\\partial top}{\\partial label} = expr for each output (label -> node).

    One line comes alone, to paste between $...$ or \\[...\\]; several come as one
    \\begin{aligned} block with the = signs aligned, for \\[...\\] or an equation
    (amsmath). The names are kept apart with latex_names; a name written pi while the
    constant pi is used is \\mathit{pi}."""
    named = {node.id: node.name for node in graph.nodes if node.op == INPUT}
    named.update(statements)
    symbols = latex_names([*named.values(), *outputs, top], reserved(graph))
    roots = [*statements, *(i for i in outputs.values() if i not in statements)]
    texts = _collected(graph, roots, lambda i: symbols[named[i]] if i in named else None, shapes)
    lines = [(symbols[name], texts[i]) for i, name in statements.items()]
    for label, i in outputs.items():
        text = symbols[statements[i]] if i in statements else texts[i]
        lines.append((partial_of(symbols[top], symbols[label]), text))
    if len(lines) == 1:
        return f"{lines[0][0]} = {lines[0][1]}"
    body = " \\\\\n".join(f"{left} &= {right}" for left, right in lines)
    return f"\\begin{{aligned}}\n{body}\n\\end{{aligned}}"


def _collected(graph: Graph, roots: list[int], symbol, shapes) -> dict[int, str]:
    """_write with the cyclic collector paused: ropes form no cycles, and rescanning
    them as they pile up costs more than writing them (as in cgcli.run)."""
    with collector_paused():
        return _write(graph, roots, symbol, shapes)


def _write(graph: Graph, roots: list[int], symbol, shapes) -> dict[int, str]:
    """The LaTeX of each root: one pass back from the roots to mark what they need,
    one pass forward to write each needed node once."""
    nodes = graph.nodes
    fallback = None  # the inputs' own symbols, where `symbol` gives none
    wanted = set(roots)
    need = bytearray(len(nodes))
    shown: dict[int, str] = {}  # node -> its symbol, for the nodes shown by name
    arrays = graph.arrays
    for r in roots:
        need[r] = 1
    for i in range(len(nodes) - 1, -1, -1):
        if not need[i]:
            continue
        node = nodes[i]
        s = symbol(i)
        if s is None and node.op == INPUT:
            fallback = input_symbols(graph) if fallback is None else fallback
            s = fallback.get(node.name) or latex_name(node.name)
        if s is not None:
            shown[i] = s
        if s is None or i in wanted:
            for j in node.inputs:
                need[j] = 1
        if node.op == CONST:
            arrays = arrays or np.ndim(node.value) > 0
        elif node.op != INPUT:
            arrays = arrays or not node.op.elementwise
    e_free = "e" not in shown.values()
    texts: dict[int, Text] = {}
    symbols = {i: name_text(s) for i, s in shown.items()}

    # Which nodes are numbers, not arrays: from the shapes if known, else from the ops.
    number_at = bytearray(len(nodes))

    def scalar(i):
        return not arrays or (shapes[i] == () if shapes is not None else number_at[i])

    def one_d(i):
        return shapes is not None and shapes[i] is not None and len(shapes[i]) == 1

    for i, node in enumerate(nodes):
        if not need[i] or (i in shown and i not in wanted):
            continue
        if node.op == INPUT:
            texts[i] = symbols[i]
            continue
        if node.op == CONST:
            texts[i] = _constant(node, e_free)
            number_at[i] = np.ndim(node.value) == 0
            continue
        if not arrays or shapes is not None:
            pass  # scalar() needs no guess
        elif node.op.elementwise:
            number_at[i] = all(map(number_at.__getitem__, node.inputs))
        else:
            number_at[i] = node.op.name in REDUCTIONS and (node.attrs or {}).get("axis") is None
        args = [symbols[j] if j in symbols else texts[j] for j in node.inputs]
        texts[i] = _op(node, args, e_free, scalar, one_d)
    return {r: flat(texts[r].rope) for r in roots}


def _constant(node, e_free) -> Text:
    value = node.value
    if isinstance(value, np.ndarray) and value.ndim:
        return array_text(value)
    if node.literal is None and node.name == "pi" and value == math.pi:
        return name_text("\\pi")
    if node.literal is None and node.name == "e" and value == math.e:
        return name_text("e" if e_free else "\\mathrm{e}")
    return number_text(float(value), node.literal)


def _op(node, args, e_free, scalar, one_d) -> Text:
    name = node.op.name
    if name in ("add", "sub"):
        x, y = args
        y = y if y.level >= PROD else paren(y)
        return Text(*cat(x, " + " if name == "add" else " - ", y), SUM, x.start)
    if name in ("mul", "matmul"):
        return _product(node, *args, scalar, one_d)
    if name == "neg":
        x = args[0] if args[0].level >= PROD else paren(args[0])
        t = Text(*cat("-", x), NEG, "", x.end)
        t.closed = ("-", x.closed) if x.closed is not None else None
        t.kind = x.kind
        return t
    if name == "div":
        return Text(*cat("\\frac{", args[0], "}{", args[1], "}"), FUNC, "frac")
    if name == "pow":
        x = args[0] if args[0].base else paren(args[0])
        return Text(*cat(x, "^{", args[1], "}"), POW, x.start)
    if name == "transpose":
        x = args[0] if args[0].base else paren(args[0])
        return Text(*cat(x, "^{\\top}"), POW, x.start)
    if name == "index":
        x = args[0] if args[0].script and args[0].level == ATOM else paren(args[0])
        t = Text(*cat(x, "_{[", subscripts(node.attrs["key"]), "]}"), ATOM, x.start, "", True)
        t.simple = x.simple  # \sin x_{[0]}, \sin((W x)_{[0]})
        return t
    if name == "exp" and e_free and args[0].size <= EXP_LONG:
        return Text(*cat("e^{", args[0], "}"), POW)
    if name == "sqrt":
        return Text(*cat("\\sqrt{", args[0], "}"), ATOM)
    if name == "abs":
        return Text(*cat("\\lvert ", args[0], " \\rvert"), ATOM, base=True, script=True)
    if name == "norm":
        settings = _settings(node.op, node.attrs)
        return Text(*cat("\\lVert ", args[0], " \\rVert", settings), ATOM, base=True)
    if name == "stack":
        items = [a if not one_d(j) else _transposed(a) for j, a in zip(node.inputs, args)]
        parts = ["\\begin{bmatrix} "]
        for k, item in enumerate(items):
            parts += [" \\\\ ", item] if k else [item]
        return Text(*cat(*parts, " \\end{bmatrix}"), ATOM, base=True, script=True)
    if name in PREFIX:
        x, command = args[0], PREFIX[name]
        if not x.simple:
            return Text(*cat(command, "(", x, ")"), FUNC)
        t = Text(*cat(command, " ", x), FUNC)
        t.closed = cat(command, "(", x, ")")[0]
        return t
    command = CALLED.get(name, rf"\operatorname{{{name}}}")
    parts = [command + _settings(node.op, node.attrs) + "("]
    for k, a in enumerate(args):
        parts += [", ", a] if k else [a]
    return Text(*cat(*parts, ")"), FUNC)


def _transposed(t: Text) -> Text:
    t = t if t.base else paren(t)
    return Text(*cat(t, "^{\\top}"), POW, t.start)


def _product(node, x: Text, y: Text, scalar, one_d) -> Text:
    a, b = node.inputs
    kind = "mul" if scalar(a) or scalar(b) else "odot"
    kind = "matmul" if node.op.name == "matmul" else kind
    # x ⊙ y z and x y ⊙ z would need a rule of precedence between the two products.
    clash = {kind, x.kind} == {"odot", "matmul"}
    if x.level < NEG or clash:
        x = paren(x)
    if kind == "matmul" and one_d(a):
        x = _transposed(x)
    if x.closed is not None:  # \sin(x) y, not \sin x y
        closed = Text(x.closed, x.size + 2, x.level, x.start)
        closed.kind, x = x.kind, closed
    if y.level <= PROD:
        y = paren(y)
    if kind == "odot":
        sep = " \\odot "
    elif "word" in (x.end, y.start) or y.start == "digit" or (x.end, y.start) == ("digit", "frac"):
        sep = " \\cdot " if kind == "mul" else " \\, "
    else:
        sep = " "
    t = Text(*cat(x, sep, y), PROD if x.level != NEG else NEG, x.start, y.end)
    t.kind = kind
    if y.closed is not None:
        t.closed = (x.rope, sep, y.closed)
    return t
