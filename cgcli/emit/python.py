"""A program's value and gradient as a standalone Python module that imports numpy and
math only: INPUTS, value(...), value_and_grad(...), module-level functions that
pickle by reference, and cg eval's numbers bit for bit (see schedule.py).

Programs of numbers also run on float64 arrays of broadcastable shapes, each
element its own point, as `cg eval --batch` runs them: CHUNK points at a time,
so that a chunk's intermediate arrays stay in the processor's cache.
"""

from __future__ import annotations

import numpy as np

from ..errors import UsageError
from ..graph import Graph
from .code import header, literal_python
from .pyhelpers import HELPERS, helper_order
from .schedule import Plan, names, straight_line
from .table import ATOM, COMPARE, POWER, UNARY, Builder, Expr

NUMPY = {"abs": "np.abs"}  # numpy's names are the table's: np.sin, np.arcsin, ...
CHUNK = 8192  # points a pass: a chunk's arrays (64 KiB each) stay in the L2 cache


class PythonBuilder(Builder):
    def __init__(self, namer):
        self.namer = namer
        self.helpers: set[str] = set()
        self.constants: list[tuple[str, np.ndarray]] = []

    def literal(self, value) -> str:
        return literal_python(value)

    def boolean(self, value: bool) -> str:
        return "True" if value else "False"

    def call_text(self, name, args) -> str:
        return f"np.{name}({', '.join(self.operand(a, COMPARE) for a in args)})"

    def helper_text(self, name, args) -> str:
        self.helpers.add(name)
        return f"_{name}({', '.join(self.operand(a, COMPARE) for a in args)})"

    def power_text(self, x, y) -> Expr:
        # x ** y: the base an atom, the exponent a unary at least (x ** -y is x^(-y))
        return Expr(f"{self.operand(x, ATOM)} ** {self.operand(y, UNARY)}", POWER)

    def where_text(self, condition, x, y) -> str:
        parts = [self.operand(a, COMPARE) for a in (condition, x, y)]
        return f"np.where({', '.join(parts)})"

    def both_text(self, x, y) -> Expr:
        return Expr(f"({self.expr(x).text}) & ({self.expr(y).text})", COMPARE - 1)

    def array(self, template: str, *args) -> Expr:
        import re

        for name in re.findall(r"\{h\}(\w+)", template):
            self.helpers.add(name)
        return Expr(template.format(*[self.operand(a, ATOM) for a in args], h="_"))

    def constant(self, value) -> Expr:
        if np.ndim(value) == 0:
            return self.lit(value)
        name = self.namer.fresh(f"K{len(self.constants) + 1}")
        self.constants.append((name, np.asarray(value, dtype=np.float64)))
        return Expr(name)

    def zeros(self, shape) -> Expr:
        return Expr(f"np.zeros({tuple(shape)!r})") if shape else self.lit(0.0)

    def unbroadcast(self, term, shape) -> Expr:
        self.helpers.add("unbroadcast")
        return Expr(f"_unbroadcast({term.text}, {tuple(shape)!r})")


def module(graph: Graph, shapes: list[tuple] | None = None, hessian: bool = False) -> str:
    """The module's text. `shapes` (every node's, from the bound values) makes an array
    program; without it the program must be one of numbers and elementwise ops.
    `hessian` adds value_grad_and_hessian (hessian_code.py)."""
    if graph.arrays and shapes is None:
        raise UsageError(
            "the code of a program of arrays depends on the shapes of its inputs",
            "Give every input a value (its shape is what counts), as in x=[1,2,3].",
        )
    if graph.arrays and shapes[graph.output]:
        out = graph.nodes[graph.output].name
        raise UsageError(
            f"the output {out} is an array of shape {shapes[graph.output]}, so it has no "
            "single gradient",
            f"Reduce it to a number, as in sum({out}).",
        )
    plan = Plan(graph, shapes if graph.arrays else None)
    namer = names(plan, ["CHUNK"])  # the helpers' names start with _, which no name kept does
    e = PythonBuilder(namer)
    with_gradient = straight_line(plan, e, namer)
    out = graph.nodes[graph.output].name
    params = ", ".join(with_gradient.inputs)
    cg_names = list(graph.inputs)
    what = f"{out}, its gradient and its Hessian" if hessian else f"{out} and its gradient"
    lines = ["# " + line if line else "#" for line in header(graph, plan, "python", what)]
    second = _hessian(graph, plan, e, namer, with_gradient) if hessian else None
    if second is not None:
        lines.append(
            f"# Hessian: {len(second.once)} operations once, {len(second.column)} per "
            f"column, {len(cg_names)} columns"
        )
    parts = "value, gradient and Hessian" if hessian else "value and gradient"
    lines += [
        f'"""The {parts} of {out}, written by cg codegen (see the comment above)."""',
        "",
        "import math",
        "",
        "import numpy as np",
        "",
        f"INPUTS = {tuple(cg_names)!r}",
    ]
    if not plan.shapes:
        lines.append(f"CHUNK = {CHUNK}  # points a pass: a chunk's arrays stay in the caches")
    for const, value in e.constants:
        lines.append(f"{const} = {_array_literal(value)}")
    d = "".join(f", d{out}/d{n}" for n in cg_names)
    lines += ["", "", f"def value({params}):"]
    lines += _docstring(f"{out} at ({params})", plan)
    lines += _call(plan, with_gradient.inputs, "_value", 1, shapes, graph, "[0]")
    lines += ["", "", f"def value_and_grad({params}):"]
    lines += _docstring(f"({out}, ({d[2:]})) at ({params}): the gradient in INPUTS order", plan)
    lines += _call(plan, with_gradient.inputs, "_value_and_grad", 1 + len(cg_names), shapes, graph)
    lines += ["", "", f"def _value({params}):"]
    lines += _body(with_gradient.forward, [])  # the same statements: the forward pass
    lines.append(f"    return ({with_gradient.value.text},)")
    lines += ["", "", f"def _value_and_grad({params}):"]
    lines += _body(with_gradient.forward, with_gradient.reverse)
    results = [with_gradient.value.text] + [g.text for g in with_gradient.gradient]
    lines.append(
        f"    return {', '.join(results)}" if len(results) > 1 else f"    return ({results[0]},)"
    )
    if hessian:
        lines += _hessian_functions(graph, plan, shapes, with_gradient, second)
        e.helpers |= {"unit", "array_hessian" if plan.shapes else "upper"}
    wanted = helper_order(e.helpers | ({"points"} if not plan.shapes else {"array"}))
    for helper in wanted:
        lines += ["", "", *HELPERS[helper].strip("\n").split("\n")]
    return "\n".join(lines) + "\n"


def _hessian(graph, plan, e, namer, with_gradient):
    """The H·v graph's statements (None for a program without inputs: no Hessian)."""
    from ..transform.hessian import hessian_graph
    from .hessian_code import hessian_code, seen_texts

    if not graph.inputs:
        return None
    by_name = {n: plan.shapes[i] for n, i in graph.inputs.items()} if plan.shapes else None
    made = hessian_graph(graph, by_name)
    seen = seen_texts(with_gradient.forward + with_gradient.reverse)
    return hessian_code(made, graph, e, namer, seen)


def _hessian_functions(graph, plan, shapes, with_gradient, second) -> list[str]:
    """value_grad_and_hessian and its kernel: the gradient's statements, then H·e_k for
    every column k, the entries mirrored (pyhelpers: _upper, _array_hessian)."""
    out = graph.nodes[graph.output].name
    params = with_gradient.inputs
    n = len(params)
    joined = ", ".join(params)
    lines = ["", "", f"def value_grad_and_hessian({joined}):"]
    first = f"({out}, gradient, hessian) at ({joined}): hessian[i][j] = d2{out}/dx_i dx_j"
    lines += _docstring(first + " in INPUTS order", plan)
    if plan.shapes:
        lines += _checks(params, shapes, graph) + ['    with np.errstate(all="ignore"):']
        lines.append(f"        return _value_grad_and_hessian({joined})")
    else:
        lines.append(
            f"    value, *rest = _points(_value_grad_and_hessian, ({joined}"
            f"{',' if n == 1 else ''}), {1 + n + n * n})"
        )
        rows = f"tuple(tuple(rest[{n} + {n} * i : {2 * n} + {n} * i]) for i in range({n}))"
        lines.append(f"    return value, tuple(rest[:{n}]), {rows if n else '()'}")
    lines += ["", "", f"def _value_grad_and_hessian({joined}):"]
    lines += _body(with_gradient.forward, with_gradient.reverse)
    gradient = [g.text for g in with_gradient.gradient]
    if second is not None:
        lines += ["    # the Hessian: H.e_k for every column k (the graph of cg hessian)"]
        lines += _body(second.once, [])
        lines += ["    _columns = []", f"    for _k in range({_size(plan, graph)}):"]
        start = 0
        for name, i in zip(second.vectors, graph.inputs.values()):
            shape = plan.shapes[i] if plan.shapes else ()
            lines.append(f"        {name} = _unit(_k, {start}, {shape!r})")
            start += int(np.prod(shape, dtype=np.int64))
        lines += ["    " + line for line in _body(second.column, [])]
        products = ", ".join(p.text for p in second.products)
        lines.append(f"        _columns.append(({products}{',' if n == 1 else ''}))")
    value = with_gradient.value.text
    if plan.shapes:
        blocks = f"_array_hessian(_columns, {[plan.shapes[i] for i in graph.inputs.values()]!r})"
        tail = ", " if n == 1 else ""
        hess = blocks if second is not None else "()"
        lines.append(f"    return {value}, ({', '.join(gradient)}{tail}), {hess}")
    else:
        parts = [value, *gradient] + (["*_upper(_columns)"] if second is not None else [])
        lines.append(f"    return ({', '.join(parts)}{',' if len(parts) == 1 else ''})")
    return lines


def _size(plan, graph) -> int:
    if not plan.shapes:
        return len(graph.inputs)
    return sum(int(np.prod(plan.shapes[i], dtype=np.int64)) for i in graph.inputs.values())


def _docstring(first: str, plan: Plan) -> list[str]:
    if plan.shapes:
        rest = "The inputs are arrays of the shapes the program was written for."
    else:
        rest = (
            "The inputs are numbers, or float64 arrays of broadcastable shapes: each\n"
            "    element is a point of its own, as in `cg eval --batch`."
        )
    return [f'    """{first}.', "", f"    {rest}", '    """']


def _call(plan, params, kernel, results, shapes, graph, pick="") -> list[str]:
    inputs = ", ".join(params)
    if not plan.shapes:
        unpack = "" if pick else "value, *gradient = "
        call = f"_points({kernel}, ({inputs}{',' if len(params) == 1 else ''}), {results})"
        if pick:
            return [f"    return {call}{pick}"]
        return [f"    {unpack}{call}", "    return value, tuple(gradient)"]
    body = _checks(params, shapes, graph) + ['    with np.errstate(all="ignore"):']
    if pick:
        return body + [f"        return {kernel}({inputs}){pick}"]
    return body + [
        f"        value, *gradient = {kernel}({inputs})",
        "    return value, tuple(gradient)",
    ]


def _checks(params, shapes, graph) -> list[str]:
    return [
        f"    {p} = _array({p}, {shapes[i]!r}, {name!r})"
        for p, (name, i) in zip(params, graph.inputs.items())
    ]


def _body(forward: list[tuple], reverse: list[tuple]) -> list[str]:
    lines = []
    for statement in forward + reverse:
        kind, *rest = statement
        if kind == "comment":
            lines.append(f"    # {rest[0]}")
        else:
            lines.append(f"    {rest[0]} = {rest[1]}")
    return lines


def _array_literal(value: np.ndarray) -> str:
    items = ", ".join(literal_python(x) for x in value.ravel())
    return f"np.array([{items}]).reshape({value.shape!r})"
