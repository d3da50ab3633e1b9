"""A program's value and gradient as one C99 translation unit that includes <math.h>
only: `double cg_value_and_grad(const double *inputs, double *gradient)` and
`double cg_value(const double *inputs)`, inputs in the order of the first-line
comment. It compiles with cc -std=c99 -O2 -Wall -Wextra -Werror -pedantic.

The statements are the Python module's (schedule.py), with the C library's
functions for numpy's: they agree with cg eval except where the two libraries
round a function differently in the last bit (exp, sinh, cosh, tanh, log10,
asin, ... on some inputs; README.md, "cg codegen").
"""

from __future__ import annotations

from ..errors import UsageError
from ..graph import IDENTIFIER, Graph
from .code import header, literal_c
from .schedule import Plan, names, straight_line
from .table import AND, COMPARE, Builder, Expr

LIBRARY = {"arcsin": "asin", "arccos": "acos", "arctan": "atan", "arctan2": "atan2", "abs": "fabs"}
OWN = {"sign", "maximum", "minimum"}  # numpy's semantics (NaN, -0), as helpers

# Each helper is numpy's function or rules.py's rule on one number.
HELPERS = {
    "maximum": ("double a, double b", "return (a > b || isnan(a)) ? a : b;"),
    "minimum": ("double a, double b", "return (a < b || isnan(a)) ? a : b;"),
    "sign": ("double x", "return x > 0 ? 1.0 : (x < 0 ? -1.0 : (x == 0 ? 0.0 : x));"),
    "power": (
        "double x, double y",
        "if (y == 2) return x * x;\n"
        "if (y == 0.5) return sqrt(x);\n"
        "if (y == -1) return 1.0 / x;\n"
        "return pow(x, y);",
    ),
    "pow_dx": (
        "double g, double z, double x, double y",
        "(void)z;\n"
        "if (y == 2) return g * (x + x);\n"
        "return y == 0 ? g * 0.0 : g * (y * {p}_power(x, y - 1.0));",
    ),
    "sigmoid": (
        "double x",
        "const double e = exp(-fabs(x));\nreturn x >= 0 ? 1.0 / (1.0 + e) : e / (1.0 + e);",
    ),
    "dsigmoid": (
        "double x",
        "const double e = exp(-fabs(x));\nreturn e / ((1.0 + e) * (1.0 + e));",
    ),
    "softplus": ("double x", "return {p}_maximum(x, 0.0) + log1p(exp(-fabs(x)));"),
    "dtanh": (
        "double x",
        "const double e = exp(-2.0 * fabs(x));\nreturn 4.0 * e / ((1.0 + e) * (1.0 + e));",
    ),
    "atan2_partial": (
        "double a, double b",
        "const double squares = a * a + b * b;\n"
        "const double h = hypot(a, b);\n"
        "const int safe = squares >= 2.2250738585072014e-308 && squares < INFINITY;\n"
        "return h == 0 ? 0.0 : (safe ? a / squares : (a / h) / h);",
    ),
}
NEEDS = {"pow_dx": ("power",), "softplus": ("maximum",)}
ARRAYS = "cg codegen --lang c takes programs of numbers; arrays: use --lang python"


class CBuilder(Builder):
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.helpers: set[str] = set()

    def literal(self, value) -> str:
        return literal_c(value)

    def boolean(self, value: bool) -> str:
        return "1" if value else "0"

    def args(self, args) -> str:
        return ", ".join(self.operand(a, COMPARE) for a in args)

    def call_text(self, name, args) -> str:
        if name in OWN:
            return self.helper_text(name, args)
        return f"{LIBRARY.get(name, name)}({self.args(args)})"

    def helper_text(self, name, args) -> str:
        self.helpers.add(name)
        return f"{self.prefix}_{name}({self.args(args)})"

    def power_text(self, x, y) -> Expr:
        return Expr(f"pow({self.args([x, y])})")

    def where_text(self, condition, x, y) -> str:
        parts = [self.operand(a, COMPARE) for a in (condition, x, y)]
        return f"({parts[0]} ? {parts[1]} : {parts[2]})"

    def both_text(self, x, y) -> Expr:
        return Expr(f"{self.operand(x, COMPARE)} && {self.operand(y, COMPARE)}", AND)

    def array(self, template, *args):
        raise UsageError(ARRAYS)

    def constant(self, value) -> Expr:
        return self.lit(value)

    def zeros(self, shape) -> Expr:
        return self.lit(0.0)


def translation_unit(graph: Graph, name: str = "cg") -> str:
    """The C file's text; `name` prefixes its functions (cg_value_and_grad)."""
    if not IDENTIFIER.fullmatch(name) or name.startswith("_"):
        raise UsageError(
            f"--name {name}: the name must be a C identifier (letters, digits, _) that "
            "does not start with _ or a digit"
        )
    if graph.arrays:
        raise UsageError(ARRAYS)
    plan = Plan(graph)
    functions = [f"{name}_value_and_grad", f"{name}_value", *(f"{name}_{h}" for h in HELPERS)]
    namer = names(plan, functions)
    e = CBuilder(name)
    with_gradient = straight_line(plan, e, namer)
    out = graph.nodes[graph.output].name
    lines = [f"/* inputs: {' '.join(graph.inputs)} */"]
    lines += ["/*"] + [
        " * " + line if line else " *"
        for line in header(graph, plan, "c", f"{out} and its gradient")
    ]
    lines += [" */", "#include <math.h>"]
    for helper in _order(e.helpers):
        params, body = HELPERS[helper]
        lines += ["", f"static double {name}_{helper}({params})", "{"]
        lines += ["    " + line for line in body.replace("{p}", name).split("\n")]
        lines.append("}")
    inputs = [(k, code) for k, code in enumerate(with_gradient.inputs)]
    needed = [plan.needed[i] for i in graph.inputs.values()]
    lines += ["", f"/* {out} at inputs[0..{len(inputs) - 1}] */" if inputs else f"/* {out} */"]
    lines += [f"double {name}_value(const double *inputs)", "{"]
    lines += _reads(inputs, needed)
    lines += _body(with_gradient.forward)  # the same statements: the forward pass
    lines += [f"    return {with_gradient.value.text};", "}"]
    lines += ["", f"/* {out}, and its gradient written to gradient[0..{len(inputs) - 1}] */"]
    lines += [f"double {name}_value_and_grad(const double *inputs, double *gradient)", "{"]
    lines += _reads(inputs, needed)
    lines += _body(with_gradient.forward + with_gradient.reverse)
    for k, g in enumerate(with_gradient.gradient):
        lines.append(f"    gradient[{k}] = {g.text};")
    if not inputs:
        lines.append("    (void)gradient;")
    lines += [f"    return {with_gradient.value.text};", "}"]
    return "\n".join(lines) + "\n"


def _reads(inputs, needed) -> list[str]:
    lines = [f"    const double {code} = inputs[{k}];" for (k, code), n in zip(inputs, needed) if n]
    return lines or ["    (void)inputs;"]


def _body(statements) -> list[str]:
    lines = []
    for kind, *rest in statements:
        if kind == "comment":
            lines.append(f"    /* {rest[0]} */")
        elif kind == "let":
            lines.append(f"    const double {rest[0]} = {rest[1]};")
        elif kind == "var":
            lines.append(f"    double {rest[0]} = {rest[1]};")
        else:
            lines.append(f"    {rest[0]} = {rest[1]};")
    return lines


def _order(wanted) -> list[str]:
    wanted = set(wanted)
    for helper in list(wanted):
        wanted.update(NEEDS.get(helper, ()))
    return [h for h in HELPERS if h in wanted]
