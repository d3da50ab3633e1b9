"""A reader of the LaTeX that cgcli.emit.latex writes, to prove it reads one way only.

It reads the subset of LaTeX that cg emits with the conventions a mathematician
reads it with: + and - left to right, a leading minus over the whole product after
it, juxtaposition and \\cdot as products (a matrix product where both factors are
arrays), \\odot elementwise, \\sin x for a name or number only. It refuses what a
reader could take two ways (\\sin x^{2}, \\sin(x)^{2}, a - -b, A \\odot B C), so
that an emitter writing those fails the tests. Recursive descent: for small inputs
in tests only.
"""

from __future__ import annotations

import math
import re

import numpy as np

from cgcli.ops import OPS

TOKEN = re.compile(
    r"\s*(?:(\\[A-Za-z]+|\\\\|\\,|\\_)|([0-9]+(?:\.[0-9]+)?)|([A-Za-z])|([{}()^_+\-&,\[\]:=]))"
)
FUNCTIONS = {
    r"\sin": "sin",
    r"\cos": "cos",
    r"\tan": "tan",
    r"\arcsin": "asin",
    r"\arccos": "acos",
    r"\arctan": "atan",
    r"\sinh": "sinh",
    r"\cosh": "cosh",
    r"\tanh": "tanh",
    r"\ln": "log",
}
GREEK = {
    "\\" + g
    for g in re.findall(
        r"\w+",
        """alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma
        tau upsilon phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega
        varepsilon vartheta varpi varrho varsigma varphi""",
    )
}


class Ambiguous(ValueError):
    """The text is not in the subset, or could be read two ways."""


def read(text: str, symbols: set[str]):
    """The expression tree of `text`. `symbols` are the LaTeX symbols of the variables,
    so that e and \\pi are read as the constants only when no variable is written so."""
    tokens, pos = [], 0
    text = text.strip()
    while pos < len(text):
        m = TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise Ambiguous(f"cannot read {text[pos : pos + 20]!r}")
        tokens.append(next(g for g in m.groups() if g is not None))
        pos = m.end()
    reader = _Reader(tokens, symbols)
    tree = reader.expr()
    if reader.i != len(tokens):
        raise Ambiguous(f"left over: {' '.join(tokens[reader.i :])}")
    return tree


class _Reader:
    def __init__(self, tokens, symbols):
        self.t, self.i, self.symbols = tokens, 0, symbols
        self.ended = None

    def peek(self, k=0):
        return self.t[self.i + k] if self.i + k < len(self.t) else None

    def take(self, expected=None):
        tok = self.peek()
        if tok is None or (expected is not None and tok != expected):
            raise Ambiguous(f"expected {expected!r}, found {tok!r}")
        self.i += 1
        return tok

    def group(self) -> str:
        """The raw text of {...}, for names and settings."""
        self.take("{")
        depth, out = 1, []
        while True:
            tok = self.take()
            depth += {"{": 1, "}": -1}.get(tok, 0)
            if depth == 0:
                return "".join(out)
            out.append(tok)

    def expr(self):
        if self.peek() == "-":
            self.take()
            tree = ("neg", self.product())
        else:
            tree = self.product()
        while self.peek() in ("+", "-"):
            op = "add" if self.take() == "+" else "sub"
            if self.peek() in ("-", "+"):
                raise Ambiguous("a sign after + or -")
            tree = ("call", op, [tree, self.product()], {})
        return tree

    def product(self):
        factors, seps = [self.factor()], []
        while True:
            tok = self.peek()
            if self.ended == "bare" and (
                tok in (r"\cdot", r"\odot", r"\,") or self.starts_factor(tok)
            ):
                raise Ambiguous(r"a product after \sin x: \sin(x) y is how to write it")
            if tok in (r"\cdot", r"\odot", r"\,"):
                seps.append(self.take())
            elif self.starts_factor(tok):
                # x 2 and 2 3 read as one number, 2 \frac{1}{2} as a mixed number,
                # \mathit{ab} c as \mathit{abc}.
                if tok[0].isdigit() or tok == r"\mathit" or self.ended == "word":
                    raise Ambiguous(f"juxtaposition before {tok!r}")
                if self.ended == "number" and tok == r"\frac":
                    raise Ambiguous("a number before a fraction, as a mixed number")
                seps.append(" ")
            else:
                break
            factors.append(self.factor())
        return factors[0] if not seps else ("product", factors, seps)

    def starts_factor(self, tok):
        if tok is None:
            return False
        if tok[0].isalnum() or tok == "(":
            return True
        return tok.startswith("\\") and tok not in (
            r"\end",
            r"\rvert",
            r"\rVert",
            r"\cdot",
            r"\odot",
            r"\times",
            r"\top",
            "\\\\",
            r"\,",
        )

    def factor(self):
        tree, kind = self.primary()
        self.ended = kind  # what the factor ends with, unless a script follows
        while self.peek() in ("^", "_"):
            if kind in ("function", "bare"):
                raise Ambiguous("a script on a function: (\\sin x)^{2} is how to write it")
            if self.take() == "^":
                if self.peek(1) == r"\top":
                    self.take("{"), self.take(r"\top"), self.take("}")
                    tree = ("call", "transpose", [tree], {})
                else:
                    self.take("{")
                    exponent = self.expr()
                    self.take("}")
                    e = tree == ("const", math.e)
                    tree = ("call", "exp", [exponent], {}) if e else ("pow", tree, exponent)
            else:
                tree = ("index", tree, _key(self.group()))
            kind = self.ended = "scripted"
        return tree

    def primary(self):
        tok = self.take()
        if tok[0].isdigit():
            if self.peek() == r"\times":
                self.take(), self.take("10"), self.take("^")
                return ("const", float(f"{tok}e{self.group()}")), "scientific"
            return ("const", float(tok)), "number"
        if tok == "(":
            tree = self.expr()
            self.take(")")
            return tree, "group"
        if tok in FUNCTIONS or tok in (r"\log", r"\exp"):
            name = FUNCTIONS.get(tok, "exp")
            if tok == r"\log":
                self.take("_")
                name = "log" + self.group()
            form = "function" if self.peek() == "(" else "bare"
            if form == "function":
                self.take("(")
                arg = self.expr()
                self.take(")")
            elif tok == r"\exp":
                raise Ambiguous(r"\exp without parentheses")
            else:
                arg, kind = self.primary()
                if kind not in ("name", "word", "number") or self.peek() in ("^", r"\times"):
                    raise Ambiguous(f"{tok} of more than a name or number, unbracketed")
                if self.peek() == "_":
                    self.take("_")
                    arg = ("index", arg, _key(self.group()))
            return ("call", name, [arg], {}), form
        if tok in (r"\operatorname", r"\max", r"\min"):
            name = self.group() if tok == r"\operatorname" else tok[1:]
            settings = self.settings()
            self.take("(")
            args = [self.expr()]
            while self.peek() == ",":
                self.take()
                args.append(self.expr())
            self.take(")")
            if name in ("max", "min") and len(args) == 1:
                name = "a" + name
            return ("call", name, args, settings), "function"
        if tok == r"\frac":
            top = self.braced()
            return ("call", "div", [top, self.braced()], {}), "fraction"
        if tok == r"\sqrt":
            return ("call", "sqrt", [self.braced()], {}), "root"
        if tok == r"\lvert":
            inside = self.expr()
            self.take(r"\rvert")
            return ("call", "abs", [inside], {}), "group"
        if tok == r"\lVert":
            inside = self.expr()
            self.take(r"\rVert")
            return ("call", "norm", [inside], self.settings()), "group"
        if tok == r"\begin":
            return self.matrix(), "group"
        if tok == r"\mathit":
            return self.name(tok + "{" + self.group() + "}"), "word"
        if tok == r"\mathrm":
            word = self.group()
            if word == "e":
                return ("const", math.e), "name"
            if word != "NaN":
                raise Ambiguous(f"\\mathrm{{{word}}} outside a setting")
            return ("const", math.nan), "number"
        if tok == r"\infty":
            return ("const", math.inf), "number"
        if tok in GREEK or (len(tok) == 1 and tok.isalpha()):
            if self.peek() == "_" and self.peek(2) != "[":
                self.take("_")
                tok += "_{" + self.group() + "}"
            return self.name(tok), "name"
        raise Ambiguous(f"unexpected {tok!r}")

    def name(self, symbol):
        if symbol in self.symbols:
            return ("symbol", symbol)
        constants = {"e": math.e, r"\pi": math.pi}
        if symbol in constants:
            return ("const", constants[symbol])
        raise Ambiguous(f"unknown symbol {symbol}")

    def braced(self):
        self.take("{")
        tree = self.expr()
        self.take("}")
        return tree

    def settings(self) -> dict:
        if self.peek() != "_":
            return {}
        self.take("_")
        text = self.group()
        found = dict(re.findall(r"\\mathrm\{(\w+)\}=(\([^)]*\)|-?\d+)", text))
        return {
            k: tuple(int(n) for n in re.findall(r"-?\d+", v)) if k == "shape" else int(v)
            for k, v in found.items()
        }

    def matrix(self):
        if self.group() != "bmatrix":
            raise Ambiguous("only bmatrix")
        rows, row = [], [self.expr()]
        while True:
            tok = self.take()
            if tok == "&":
                row.append(self.expr())
            elif tok == "\\\\":
                rows.append(row)
                row = [self.expr()]
            elif tok == r"\end":
                self.group()
                rows.append(row)
                break
            else:
                raise Ambiguous(f"{tok!r} in a matrix")
        if len({len(r) for r in rows}) != 1:
            raise Ambiguous("rows of different lengths")
        if len(rows[0]) == 1:
            return ("stack", [r[0] for r in rows])
        return ("stack", [("stack", r) for r in rows])


def _key(text: str):
    if not (text.startswith("[") and text.endswith("]")):
        raise Ambiguous(f"a subscript that is no index: {text}")

    def one(part):
        if ":" not in part:
            return int(part)
        return slice(*(int(b) if b.strip() else None for b in part.split(":")))

    return tuple(one(p) for p in text[1:-1].split(","))


def evaluate(tree, values: dict):
    """The tree's value, with numpy and cg's own forward rules for each op by name."""
    kind = tree[0]
    if kind == "const":
        return np.float64(tree[1])
    if kind == "symbol":
        return values[tree[1]]
    if kind == "neg":
        return np.negative(evaluate(tree[1], values))
    if kind == "pow":
        return OPS["pow"].forward(evaluate(tree[1], values), evaluate(tree[2], values))
    if kind == "index":
        return evaluate(tree[1], values)[tree[2]]
    if kind == "stack":
        return np.stack([evaluate(t, values) for t in tree[1]])
    if kind == "call":
        _, name, args, settings = tree
        return OPS[name].forward(*[evaluate(a, values) for a in args], **settings)
    factors, seps = tree[1], tree[2]
    result = evaluate(factors[0], values)
    kinds = set()
    for sep, factor in zip(seps, factors[1:]):
        right = evaluate(factor, values)
        arrays = np.ndim(result) > 0 and np.ndim(right) > 0
        if sep == r"\cdot" and arrays:
            raise Ambiguous("\\cdot between two arrays")
        matrix = sep in (" ", r"\,") and arrays
        kinds.add("matmul" if matrix else "odot" if sep == r"\odot" else "scalar")
        result = np.matmul(result, right) if matrix else np.multiply(result, right)
    if {"matmul", "odot"} <= kinds:
        raise Ambiguous("a matrix product and an elementwise one in one chain")
    return result
