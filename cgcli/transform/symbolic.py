"""The symbolic domain: a value is a node of a new Graph, so running the op table's
rules on values builds that graph instead of computing numbers.

`Builder` is the namespace the derivative rules compute with (xp.cos(x), x * y,
xp.sum(g, axis=0)); `Sym` is a value, a node id with its shape. The builder
shares every node it has made before (hash-consing on op, inputs and settings:
common subexpressions are merged as they are made) and applies, as it goes, the
few rewrites that are exact in IEEE float64 and that the rules would otherwise
produce on every step: x*1 and 1*x are x, x/1 is x, -(-x) is x, and an op of
constants is the constant numpy computes. A multiplication by a constant 0 is a
structural zero (the derivative of a constant exponent, of sign and of step):
the formula says 0, where float evaluation would give NaN only for an infinite
or NaN cotangent.
"""

from __future__ import annotations

import math

import numpy as np

from ..graph import CONST, INPUT, Graph
from ..ops import OPS


class Sym:
    """A value of the symbolic domain: node `id` of the builder's graph."""

    __slots__ = ("b", "id", "shape")
    __array_ufunc__ = None  # numpy leaves arithmetic with a Sym to the Sym

    def __init__(self, builder: Builder, id: int, shape: tuple):
        self.b = builder
        self.id = id
        self.shape = shape

    def __add__(self, other):
        return self.b.op("add", self, other)

    def __radd__(self, other):
        return self.b.op("add", other, self)

    def __sub__(self, other):
        return self.b.op("sub", self, other)

    def __rsub__(self, other):
        return self.b.op("sub", other, self)

    def __mul__(self, other):
        return self.b.op("mul", self, other)

    def __rmul__(self, other):
        return self.b.op("mul", other, self)

    def __truediv__(self, other):
        return self.b.op("div", self, other)

    def __rtruediv__(self, other):
        return self.b.op("div", other, self)

    def __pow__(self, other):
        return self.b.op("pow", self, other)

    def __rpow__(self, other):
        return self.b.op("pow", other, self)

    def __matmul__(self, other):
        return self.b.op("matmul", self, other)

    def __neg__(self):
        return self.b.op("neg", self)

    def __abs__(self):
        return self.b.op("abs", self)

    def __repr__(self):
        return f"Sym(#{self.id}, {self.shape})"


class Builder:
    """Builds a Graph from the op table's rules; see the module's docstring."""

    def __init__(self, source: str = ""):
        self.graph = Graph(source)
        self.shapes: list[tuple] = []
        self.memo: dict = {}
        self.structural: set[int] = set()  # the zeros that stand for no contribution
        self.leading: dict[int, bool] = {}  # _leads of the products asked about

    # ------------------------------------------------------------- making nodes

    def input(self, name: str, shape: tuple = ()) -> Sym:
        node = self.graph.add_input(name)
        self.shapes.append(shape)
        return Sym(self, node, shape)

    def constant(self, value, name: str | None = None, literal: str | None = None) -> Sym:
        value = np.asarray(value, dtype=np.float64) if np.ndim(value) else np.float64(value)
        bits = value.tobytes() if np.ndim(value) else np.float64(value).tobytes()
        key = (CONST, bits, np.shape(value))
        if key in self.memo:
            return self.memo[key]
        if name is None:
            name = _constant_name(value)
            if not np.ndim(value):
                literal = name  # repr reads back to the float exactly: its exact value
        node = self.graph.add(CONST, name=name, value=value, literal=literal)
        self.shapes.append(np.shape(value))
        if np.ndim(value):
            self.graph.arrays = True
        sym = self.memo[key] = Sym(self, node, np.shape(value))
        return sym

    def value(self, x):
        """A Python or numpy number as a constant; a Sym as it is."""
        return x if isinstance(x, Sym) else self.constant(x)

    def op(self, name: str, *args, **attrs) -> Sym:
        op = OPS[name]
        args = [a if type(a) is Sym else self.constant(a) for a in args]
        if name == "mul" and self._leads(args[1]) and not self._leads(args[0]):
            args.reverse()  # 2*x*sin(x), not sin(x)*(2*x): x*y is y*x, bit for bit
        simpler = self._simpler(name, args, attrs)
        if simpler is not None:
            return simpler
        ids = tuple(a.id for a in args)
        key = (
            (name, ids, tuple((k, _hashable(v)) for k, v in sorted(attrs.items())))
            if attrs
            else (name, ids)
        )
        found = self.memo.get(key)
        if found is not None:
            return found
        shapes = [a.shape for a in args]
        if op.elementwise and shapes.count(shapes[0]) == len(shapes):
            shape = shapes[0]  # the common case: no broadcasting to work out
        else:
            shape = op.shape(*shapes, **attrs)
        nodes = self.graph.nodes
        value = self._folded(op, [nodes[i].value for i in ids], attrs)
        if value is not None:
            sym = self.constant(value)
        else:
            node = self.graph.add(op, ids, attrs=attrs or None)
            self.shapes.append(shape)
            if not op.elementwise:
                self.graph.arrays = True
            sym = Sym(self, node, shape)
        self.memo[key] = sym
        return sym

    def _simpler(self, name, args, attrs):
        """The exact rewrites applied as nodes are made (the module's docstring)."""
        if name == "mul":
            x, y = args
            for a, b in ((x, y), (y, x)):
                k = self.known(a)
                if k is not None and b.shape == _broadcast(x, y):
                    if np.all(k == 1):  # 1, or ones that b's shape already covers
                        return b
                    if np.ndim(k) == 0 and k == 0:
                        return self.zeros(_broadcast(x, y))
        if name == "mul":
            merged = self._merged_constants(*args)
            if merged is not None:
                return merged
        if name == "div" and self._is(args[1], 1) and args[0].shape == _broadcast(*args):
            return args[0]
        if name == "neg":
            node = self.graph.nodes[args[0].id]
            if node.op is OPS["neg"]:
                return Sym(self, node.inputs[0], args[0].shape)
        if name in ("add", "sub"):
            x, y = args
            if self._is_zero(y) and x.shape == _broadcast(x, y):
                return x  # only structural zeros, which are no contribution at all
            if name == "add" and self._is_zero(x) and y.shape == _broadcast(x, y):
                return y
        return None

    def _merged_constants(self, x: Sym, y: Sym):
        """c*(2*y) as (2c)*y: exact, as 2*y is (a power of two at least 1 scales without
        rounding), while the product with c rounds once either way."""
        k = self.known(x)
        inner = self.graph.nodes[y.id]
        if k is None or np.ndim(k) or inner.op is not OPS["mul"]:
            return None
        c = self.graph.nodes[inner.inputs[0]]
        if c.op != CONST or np.ndim(c.value):
            return None
        mantissa, exponent = math.frexp(float(c.value))
        product = float(k) * float(c.value)
        if abs(mantissa) != 0.5 or exponent < 1 or not math.isfinite(product):
            return None
        rest = inner.inputs[1]
        return self.op("mul", product, Sym(self, rest, self.shapes[rest]))

    def _folded(self, op, values, attrs):
        """The value of an op of constants, where writing it as a number loses nothing a
        reader would want: arithmetic whose float64 result is the exact result (2*3 is
        6, but 1/3 stays 1/3 and log(2) stays log(2)), and the moving of array elements."""
        if any(v is None for v in values):
            return None
        with np.errstate(all="ignore"):
            value = op.forward(*values, **attrs)
        if not op.elementwise:
            if op.name not in _MOVES or np.size(value) > literal_limit(values):
                return None
            return value
        if op.name not in _ARITHMETIC or np.ndim(value) or not np.isfinite(value):
            return None
        from fractions import Fraction

        exact = _ARITHMETIC[op.name](*[Fraction(float(v)) for v in values])
        return value if exact == Fraction(float(value)) else None

    def _leads(self, x: Sym) -> bool:
        """A constant, or a product led by one (2*x): written first in a product.

        Remembered per product: a chain of products (the adjoints of a deep
        program, differentiated again) is walked once, not once per step."""
        nodes, mul = self.graph.nodes, OPS["mul"]
        node = nodes[x.id]
        if node.op is not mul:
            return node.op == CONST
        known = self.leading.get(x.id)
        if known is not None:
            return known
        walked = []
        while node.op is mul:
            walked.append(node.id)
            node = nodes[node.inputs[0]]
            known = self.leading.get(node.id)
            if known is not None:
                break
        else:
            known = node.op == CONST
        for i in walked:
            self.leading[i] = known
        return known

    def zeros(self, shape: tuple) -> Sym:
        sym = self.constant(np.zeros(shape) if shape else 0.0)
        self.structural.add(sym.id)
        return sym

    def _is_zero(self, x: Sym) -> bool:
        return x.id in self.structural

    def _is(self, x: Sym, number: float) -> bool:
        k = self.known(x)
        return k is not None and np.ndim(k) == 0 and k == number

    # ---------------------------------------------- the namespace of the rules

    def known(self, x):
        """A constant's value; None for a value computed from the inputs."""
        if not isinstance(x, Sym):
            return x
        node = self.graph.nodes[x.id]
        return node.value if node.op == CONST else None

    @staticmethod
    def shape(x) -> tuple:
        return x.shape if isinstance(x, Sym) else np.shape(x)

    def ones(self, shape: tuple) -> Sym:
        return self.constant(np.ones(shape) if shape else 1.0)

    def stack(self, *items) -> Sym:
        return self.op("stack", *items)

    def __getattr__(self, name: str):
        # xp.cos(x), xp.sum(x, axis=0): the op of that name (only ops are looked up
        # here: the builder's own attributes are found before this is called).
        if name.startswith("_") or name not in OPS:
            raise AttributeError(name)
        return lambda *args, **attrs: self.op(name, *args, **attrs)


def _arithmetic():
    import operator

    return {
        "add": operator.add,
        "sub": operator.sub,
        "mul": operator.mul,
        "neg": operator.neg,
        "div": lambda a, b: a / b if b else None,
    }


_ARITHMETIC = _arithmetic()
_MOVES = {"broadcast", "reshape", "transpose", "index", "stack"}  # exact: values moved
LITERAL = 16  # elements a folded constant may have beyond those of its operands


def literal_limit(operands) -> int:
    """The most elements a constant folded from `operands` may have: broadcast(-1, 1000)
    stays as it is, as its 1,000 elements written out would make the formula (and a
    broadcast to a matrix, the program) longer by as many numbers."""
    return max(LITERAL, sum(int(np.size(v)) for v in operands))


def _hashable(value):
    """A setting as a dictionary key: slices (x[1:3]) are not hashable before Python 3.12."""
    if isinstance(value, slice):
        return ("slice", value.start, value.stop, value.step)
    if isinstance(value, tuple):
        return tuple(_hashable(v) for v in value)
    return value


def _broadcast(x: Sym, y: Sym) -> tuple:
    return np.broadcast_shapes(x.shape, y.shape)


def _constant_name(value) -> str:
    if np.ndim(value):
        import json

        return json.dumps(np.asarray(value).tolist())
    x = float(value)
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e16:
        return str(int(x))
    return repr(x)


class SymbolicDomain:
    """The domain of the interpreter's loops (cgcli/interpret/loops.py) whose values
    are nodes: forward copies the program into the builder, backward appends the
    derivative. `shapes` gives each input's shape (scalars without it)."""

    def __init__(self, builder: Builder, shapes: dict[str, tuple] | None = None):
        self.b = builder
        self.shapes = shapes or {}

    def leaf(self, node, bound=None):
        if node.op == INPUT:
            return self.b.input(node.name, tuple(self.shapes.get(node.name, ())))
        return self.b.constant(node.value, name=node.name, literal=node.literal)

    def apply(self, node, args):
        return self.b.op(node.op.name, *args, **(node.attrs or {}))

    def seed(self, out):
        return self.b.ones(out.shape)

    def vjp(self, node, p, g, z, args):
        from ..ops.derivatives import unbroadcast

        rules = node.op.d
        contribution = rules[p](self.b, g, z, *args, **(node.attrs or {}))
        contribution = self.b.value(contribution)
        if contribution.shape != args[p].shape:
            contribution = unbroadcast(self.b, contribution, args[p].shape)
        return contribution

    def add(self, previous, contribution):
        return previous + contribution
