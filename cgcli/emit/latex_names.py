"""Names as LaTeX symbols, no two alike: x_{1}, \\alpha, x_{\\mathrm{max}}, \\mathit{speed}.

A name is written the way one would by hand where that is unambiguous; where two
names of a program would print alike (x1 and x_1 are both x_{1}; a name pi beside
the constant \\pi), each of them is written out letter for letter, \\mathit{x1} and
\\mathit{x\\_1}, which show every character, underscores included.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..graph import CONST, Graph

# Not omicron, Alpha, Beta, ...: they would print as o, A, B, as the names o, A, B do.
# fmt: off
GREEK = {
    "alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
    "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon", "phi", "chi", "psi",
    "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Upsilon", "Phi", "Psi",
    "Omega", "varepsilon", "vartheta", "varpi", "varrho", "varsigma", "varphi",
}
# fmt: on
_BASE = r"([A-Za-z]|" + "|".join(sorted(GREEK, key=len, reverse=True)) + ")"
_INDEXED = re.compile(_BASE + r"(?:([0-9]+)|_([0-9]+|[A-Za-z][A-Za-z0-9]*))")


def latex_name(name: str) -> str:
    """A cg name as a LaTeX symbol: x, x_{1} (x1 or x_1), \\alpha, x_{\\mathrm{max}},
    \\mathit{speed}. x1 and x_1 print alike: latex_names keeps such names apart."""
    if len(name) == 1 or name in GREEK:
        return "\\" + name if name in GREEK else name
    match = _INDEXED.fullmatch(name)
    if match is None:
        return _verbatim(name)
    base, digits, suffix = match.groups()
    base = "\\" + base if base in GREEK else base
    if digits is not None or suffix.isdigit():
        return f"{base}_{{{digits or suffix}}}"
    if len(suffix) == 1 or suffix in GREEK:
        return f"{base}_{{{latex_name(suffix)}}}"
    return f"{base}_{{\\mathrm{{{suffix}}}}}"


def _verbatim(name: str) -> str:
    return "\\mathit{" + name.replace("_", "\\_") + "}"


def latex_names(names: Iterable[str], reserved: Iterable[str] = ()) -> dict[str, str]:
    """A symbol for each name, no two alike: names whose latex_name another name (or a
    symbol in `reserved`, such as the constant \\pi) shares are written out in full,
    \\mathit{x1} and \\mathit{x\\_1}, which show every character."""
    names = list(dict.fromkeys(names))
    pretty = {name: latex_name(name) for name in names}
    seen: dict[str, int] = dict.fromkeys(reserved, 2)
    for symbol in pretty.values():
        seen[symbol] = seen.get(symbol, 0) + 1
    return {n: _verbatim(n) if seen[s] > 1 and len(n) > 1 else s for n, s in pretty.items()}


def latex_partial(top: str, bottom: str) -> str:
    """\\frac{\\partial y}{\\partial x} for the names y and x."""
    return partial_of(latex_name(top), latex_name(bottom))


def partial_of(top: str, bottom: str) -> str:
    """The same for two symbols already in LaTeX."""
    return f"\\frac{{\\partial {top}}}{{\\partial {bottom}}}"


def input_symbols(graph: Graph) -> dict[str, str]:
    """The inputs' symbols, apart from each other and from the constant pi."""
    return latex_names(graph.inputs, reserved(graph))


def reserved(graph: Graph) -> list[str]:
    """\\pi, where the graph has the constant pi: a name pi is then \\mathit{pi}."""
    pi = any(n.op == CONST and n.name == "pi" and n.literal is None for n in graph.nodes)
    return ["\\pi"] if pi else []
