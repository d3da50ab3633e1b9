"""Text to Graph: the actions the LALR tables call, and syntax errors worded for people.

The graph is built during the parse, one node per reduction, so no parse tree
exists and nothing recurses however deep the expression is nested.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from ..errors import SourceError, UsageError
from ..graph import CONST, MAX_NODES, Graph
from ..ops import CONSTANTS, FUNCTIONS, OPS
from . import lalr
from .syntax import clip, example, non_ascii, suggestion, syntax_error

# Larger programs are refused before any work: a million-deep nesting is 7 MB.
MAX_SOURCE = 32 * 1024 * 1024


def parse(source: str, bound: Iterable[str] = ()) -> Graph:
    """Build the graph of a program. `bound` names the variables that will get values,
    which decides whether `pi` and `e` are the constants or variables."""
    if len(source) > MAX_SOURCE:
        raise UsageError(
            f"the program is {len(source):,} characters long; cg reads programs of up to "
            f"{MAX_SOURCE:,}",
            "Split it, or compute its parts separately.",
        )
    if not source.isascii():
        raise non_ascii(source)
    if "\r" in source:  # a lone CR ends a line, as in old Mac files (the same length)
        source = LONE_CR.sub("\n", source)
    if len(source) > MAX_NODES:  # a node takes a character at least: only then count
        _count_nodes(source)
    bound = set(bound)
    builder = _Builder(source, bound)
    parser = lalr.parser()
    try:
        parser.parse(source, builder.actions)
    except lalr.SyntaxErrorAt as err:
        raise syntax_error(source, err, parser) from None
    graph = builder.graph
    if graph.output is None:
        raise SourceError(
            source,
            0,
            "the expression is empty: there is nothing to evaluate",
            "Type an expression such as (a+b)*(b-c), or statements such as d = a + b; d * 2.",
        )
    for node, name in builder.renamed:
        node.name = builder.version(name)
    # Generated names avoid the bound names too: a value bound to z that the
    # program does not use must not meet a node called z.
    graph.name_intermediates(builder.used | set(bound))
    return graph


LONE_CR = re.compile(r"\r(?!\n)")
COMMENT = re.compile(r"#[^\n]*")
# For counting nodes, as bytes: letters as a (e and E as e, for exponents), digits and
# '.' as d, closing brackets as p, the binary operators as * (but for +, - as +),
# spaces and tabs gone. What is left a few count() calls can read.
_LETTERS = b"ABCDFGHIJKLMNOPQRSTUVWXYZabcdfghijklmnopqrstuvwxyz_"
_NODE_TEXT = bytes.maketrans(
    _LETTERS + b"0123456789.)]/^@-", b"a" * len(_LETTERS) + b"d" * 11 + b"pp***+"
)


def _count_nodes(source: str) -> None:
    """Refuse, before the parse, a program sure to pass MAX_NODES."""
    count = fewest_nodes(source)
    if count > MAX_NODES:
        raise UsageError(
            f"the program has more than {MAX_NODES:,} nodes (at least {count:,}), more "
            "than cg takes on",
            "Split it, or compute its parts separately.",
        )


def fewest_nodes(source: str) -> int:
    """A lower bound on the nodes of a program, from the tokens that each make one,
    counted in a few passes over the text: the operators with no unary form (** is
    one), a + or - after an operand (less every one that may be an exponent's sign,
    as in 1e-3), and the calls; and an operand, if there is an operation."""
    code = COMMENT.sub("", source) if "#" in source else source
    code = code.encode("ascii").translate(_NODE_TEXT, b" \t\f")
    count = code.count(b"*") - code.count(b"**")
    count += sum(map(code.count, (b"a+", b"d+", b"e+", b"p+"))) - code.count(b"de+")
    count += sum(map(code.count, (b"a(", b"d(", b"e(")))
    return count + (count > 0)


class Keyword:
    """A setting given by name in a call: axis=0."""

    __slots__ = ("token", "node")

    def __init__(self, token, node):
        self.token, self.node = token, node


class _Builder:
    """The actions the parser calls, in source order, to grow the graph."""

    def __init__(self, source: str, bound: set[str]):
        self.graph = Graph(source)
        self.scope: dict[str, int] = {}  # names assigned so far -> node
        self.used: set[str] = set()  # every name written in the program
        self.named: set[str] = set()  # names that already label a node
        self.literals: set[int] = set()  # constants written as numbers, not yet named
        self.renamed: list = []  # (node, name) for a name assigned a second time
        self.versions: dict[str, int] = {}  # name -> the next number to try: c_2, c_3
        assigned = {m.group(1) for m in re.finditer(r"(?<![\w.])(pi|e)\s*=", source)}
        self.constants = {c: v for c, v in CONSTANTS.items() if c not in bound | assigned}
        add = self.graph.add
        listing = {
            "first_arg": lambda x: [x],
            "next_arg": lambda items, x: items + [x],
            "first_item": lambda x: [x],
            "next_item": lambda items, x: items + [x],
            "first_subscript": lambda x: [x],
            "next_subscript": lambda items, x: items + [x],
        }
        self.actions = {
            "number": self.number,
            "name": self.name,
            "call": self.call,
            "keyword": Keyword,
            "neg": self.neg,
            "assign": self.assign,
            "output": self.output,
            "array": self.array,
            "index": self.index,
            "attribute": self.attribute,
            "at": lambda whole: whole,
            "span": lambda *bounds: slice(*bounds),
            "bound": lambda whole: whole,
            "nothing": lambda: None,
            "whole": self.whole,
            "negative_whole": lambda token: -self.whole(token),
            **listing,
            "matmul": self.matmul,
            **{
                name: (lambda op: lambda x, y: add(op, (x, y)))(OPS[name])
                for name in ("add", "sub", "mul", "div", "pow")
            },
        }

    def _error(self, token, message, hint=None):
        return SourceError(self.graph.source, token.position, message, hint)

    def number(self, token) -> int:
        text = token.text
        value = float(text)
        if value == float("inf"):
            raise self._error(
                token,
                f"the number {clip(text)} is too large for a float64",
                "The largest finite float64 is about 1.8e308.",
            )
        if value == 0 and re.search(r"[1-9]", re.split(r"[eE]", text)[0]):
            raise self._error(
                token,
                f"the number {clip(text)} is too small for a float64: it would be 0",
                "The smallest positive float64 is about 4.9e-324. Write 0 for zero; to "
                "compute with the number itself under --exact, bind it: x=1e-400.",
            )
        node = self.graph.add(CONST, name=text, value=value, position=token.position, literal=text)
        self.literals.add(node)
        return node

    def whole(self, token) -> int:
        text = token.text
        if not text.isdigit():
            raise self._error(
                token,
                f"an index must be a whole number, not {clip(text)}",
                "Indices and slices are written as in numpy: x[0], x[1:3].",
            )
        digits = text.lstrip("0") or "0"
        # Past numpy's 64-bit indices, and before int() meets more digits than it converts.
        if len(digits) > 19:
            raise self._error(
                token,
                f"the index {clip(text)} is too large ({len(digits):,} digits): no array has "
                "that many elements",
                "numpy's indices are below 2^63, about 9.2e18.",
            )
        return int(digits)

    def name(self, token) -> int:
        name = token.text
        self.used.add(name)
        node = self.scope.get(name)
        if node is not None:
            return node
        if name in FUNCTIONS:
            raise self._error(
                token,
                f"'{name}' is a function, not a value",
                f"Call it with its arguments, as in {example(name)}.",
            )
        position = token.position
        if name in self.constants:
            node = self.graph.add(CONST, name=name, value=self.constants[name], position=position)
            self.literals.add(node)
            return node
        node = self.graph.inputs.get(name)
        if node is None:
            node = self.graph.add_input(name, position)
            self.named.add(name)
        return node

    def call(self, token, args=()) -> int:
        name = token.text
        self.used.add(name)
        ops = FUNCTIONS.get(name)
        if ops is None:
            raise self._unknown(token, name)
        first = ops[0]
        if (
            len(ops) == 1
            and first.elementwise
            and len(args) == first.arity
            and all(type(a) is int for a in args)
        ):  # sin(x), atan2(y, x): the common case
            return self.graph.add(first, tuple(args), position=token.position)
        positional = [a for a in args if not isinstance(a, Keyword)]
        keywords = [a for a in args if isinstance(a, Keyword)]
        if (keywords and not isinstance(args[-1], Keyword)) or any(
            isinstance(a, Keyword) for a in args[: len(positional)]
        ):
            raise self._error(
                token, f"in {name}(...), a setting such as axis=0 must come after the arguments"
            )
        op = _choose(ops, len(positional), keywords)
        if (
            op is None
            and keywords
            and not any(k.token.text in o.params for o in ops for k in keywords)
        ):
            allowed = ", ".join(key for o in ops for key in o.params) or "no settings"
            raise self._error(
                keywords[0].token,
                f"{name} has no setting '{clip(keywords[0].token.text)}'",
                f"It takes {allowed}.",
            )
        if op is None:
            named = [k.token.text + "=" for k in keywords]
            fitting = [o for o in ops if all(k[:-1] in o.params for k in named)] or ops
            counts = " or ".join(sorted({str(o.arity) for o in fitting}))
            with_ = f" with {', '.join(named)}" if named and fitting is not ops else ""
            raise self._error(
                token,
                f"{name}{with_} takes {counts} argument{'s' * (counts != '1')}, but "
                f"{len(positional)} {'was' if len(positional) == 1 else 'were'} given",
                f"Write it as {example(name)}.",
            )
        settings = {}
        extra = positional[op.arity :]
        if extra:  # reshape(x, 2, 3): the shape, written out
            settings["shape"] = tuple(self._setting(token, name, "shape", i) for i in extra)
        for keyword in keywords:
            key = keyword.token.text
            if key not in op.params:
                allowed = ", ".join(op.params) or "no settings"
                raise self._error(
                    keyword.token, f"{name} has no setting '{clip(key)}'", f"It takes {allowed}."
                )
            if key in settings:
                raise self._error(keyword.token, f"in {name}(...), {key} is given twice")
            value = self._setting(keyword.token, name, key, keyword.node)
            if key != "shape" and np.ndim(value):
                raise self._error(
                    keyword.token, f"in {name}(...), {key} must be one whole number, not a list"
                )
            settings[key] = tuple(np.ravel(value).astype(int)) if key == "shape" else value
        self._drop_settings(extra + [k.node for k in keywords])
        if not op.elementwise:
            self.graph.arrays = True
        return self.graph.add(
            op, tuple(positional[: op.arity]), position=token.position, attrs=settings or None
        )

    def _setting(self, token, function, key, node_id):
        """A setting's value: a whole number (or a list of them) written in the program."""
        node = self.graph.nodes[node_id]
        value = node.value if node.op == CONST else None
        if value is None or not np.all(np.equal(np.mod(value, 1), 0)):
            raise self._error(
                token,
                f"in {function}(...), {key} must be a whole number written in the program",
                "Settings are fixed before anything is computed: axis=0, not axis=a.",
            )
        if np.any(np.abs(value) >= 2.0**63):  # no axis or length is that large
            raise self._error(
                token,
                f"in {function}(...), {key} is {clip(node.name)}: too large for any array",
                "numpy's axes and lengths are below 2^63, about 9.2e18.",
            )
        return int(value) if np.ndim(value) == 0 else value

    def _drop_settings(self, nodes: list[int]) -> None:
        # Numbers written as settings are not values of the program: drop them, as
        # they are the last nodes made.
        graph = self.graph.nodes
        for node in sorted(set(nodes), reverse=True):
            if node == len(graph) - 1 and node in self.literals:
                graph.pop()
                self.literals.discard(node)

    def _unknown(self, token, name):
        if name in self.scope or name in self.graph.inputs or name in self.constants:
            return self._error(
                token,
                f"'{clip(name)}' is a value, not a function",
                f"For a product, write {clip(name)}*(...).",
            )
        hint = suggestion(name)
        known = ", ".join(FUNCTIONS)
        return self._error(
            token,
            f"unknown function '{clip(name)}'",
            (hint + " " if hint else "") + f"The functions are: {known}.",
        )

    def array(self, items: list[int]) -> int:
        """[1, 2, 3] is a constant; [a, b] stacks the values of a and b."""
        nodes = self.graph.nodes
        if all(i in self.literals for i in items):
            try:
                value = np.array([nodes[i].value for i in items], dtype=np.float64)
            except ValueError:
                raise SourceError(
                    self.graph.source,
                    nodes[items[0]].position or 0,
                    "the rows of this [...] have different lengths",
                ) from None
            position = nodes[items[0]].position
            for i in sorted(items, reverse=True):
                if i == len(nodes) - 1:
                    nodes.pop()
                    self.literals.discard(i)
            node = self.graph.add(CONST, name=_array_text(value), value=value, position=position)
            self.literals.add(node)
            self.graph.arrays = True
            return node
        self.graph.arrays = True
        return self.graph.add(OPS["stack"], tuple(items))

    def matmul(self, x: int, y: int) -> int:
        self.graph.arrays = True
        return self.graph.add(OPS["matmul"], (x, y))

    def index(self, x: int, subscripts: list) -> int:
        self.graph.arrays = True
        return self.graph.add(OPS["index"], (x,), attrs={"key": tuple(subscripts)})

    def attribute(self, x: int, token) -> int:
        if token.text != "T":
            raise self._error(
                token,
                f"unknown attribute .{clip(token.text)}",
                "x.T is the transpose of x; it is the only attribute.",
            )
        self.graph.arrays = True
        return self.graph.add(OPS["transpose"], (x,))

    def neg(self, x: int) -> int:
        if x in self.literals:  # -2 is the constant -2, not an operation on 2
            node = self.graph.nodes[x]
            node.value = -node.value
            node.name = node.name[1:] if node.name.startswith("-") else "-" + node.name
            if node.literal is not None:
                node.literal = node.name
            return x
        return self.graph.add(OPS["neg"], (x,))

    def assign(self, token, x: int) -> None:
        name = token.text
        if name in FUNCTIONS:
            raise self._error(
                token,
                f"'{name}' is a function and cannot be assigned to",
                "Choose another name for the value.",
            )
        self.used.add(name)
        node = self.graph.nodes[x]
        if node.name is None or x in self.literals:
            self.literals.discard(x)
            if name in self.named:
                node.name = None  # named once the whole program is known: c_2, ...
                self.renamed.append((node, name))
            else:
                node.name = name
            self.named.add(name)
        self.scope[name] = x
        self.graph.output = x

    def output(self, x: int) -> None:
        self.graph.output = x
        self.graph.statements.append(x)

    def version(self, name: str) -> str:
        """A name for the second, third, ... node assigned to `name`: c_2, c_3, ...

        The search for a free number starts where the last one for `name` ended, so
        that a name assigned N times costs N steps, not N^2/2."""
        k = self.versions.get(name, 2)
        while f"{name}_{k}" in self.used:
            k += 1
        self.versions[name] = k + 1
        self.used.add(f"{name}_{k}")
        return f"{name}_{k}"


def _choose(ops, positional: int, keywords: list):
    """Which of the ops a function name stands for fits these arguments: max(x)
    and max(x, axis=0) reduce, max(x, y) compares."""
    for op in ops:
        if op.arity == positional and (op.params or not keywords):
            return op
    for op in ops:
        if "shape" in op.params and positional > op.arity:
            return op
    return None


def _array_text(value) -> str:
    from ..values import fmt

    return fmt(value)


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
