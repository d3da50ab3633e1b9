"""What the code emitters share: names that are safe in both languages, comments a
program's text cannot break out of, the header, and number literals."""

from __future__ import annotations

import builtins
import hashlib
import keyword
import math

from ..graph import Graph

# Names the emitted code itself uses or that either language gives a meaning: an input
# called so is renamed inside the code (lambda -> lambda_), never in INPUTS.
PYTHON_NAMES = {
    *keyword.kwlist,
    *keyword.softkwlist,
    *dir(builtins),
    "np",
    "math",
    "INPUTS",
    "CHUNK",
    "value",
    "value_and_grad",
    "value_grad_and_hessian",
}
C_KEYWORDS = [
    "auto",
    "break",
    "case",
    "char",
    "const",
    "continue",
    "default",
    "do",
    "double",
    "else",
    "enum",
    "extern",
    "float",
    "for",
    "goto",
    "if",
    "inline",
    "int",
    "long",
    "register",
    "restrict",
    "return",
    "short",
    "signed",
    "sizeof",
    "static",
    "struct",
    "switch",
    "typedef",
    "union",
    "unsigned",
    "void",
    "volatile",
    "while",
    "asm",
    "fortran",
    "bool",
    "true",
    "false",
    "NULL",
    "main",
    "errno",
    "inputs",
    "gradient",
    "hessian",
]
# <math.h>: its functions (a local of the same name would hide one) and its macros, C99's
# and glibc's (M_PI and friends appear without -std=c99).
C_MATH = [
    "acos",
    "asin",
    "atan",
    "atan2",
    "cos",
    "sin",
    "tan",
    "acosh",
    "asinh",
    "atanh",
    "cosh",
    "sinh",
    "tanh",
    "exp",
    "exp2",
    "expm1",
    "frexp",
    "ilogb",
    "ldexp",
    "log",
    "log10",
    "log1p",
    "log2",
    "logb",
    "modf",
    "scalbn",
    "scalbln",
    "cbrt",
    "fabs",
    "hypot",
    "pow",
    "sqrt",
    "erf",
    "erfc",
    "lgamma",
    "tgamma",
    "ceil",
    "floor",
    "nearbyint",
    "rint",
    "lrint",
    "llrint",
    "round",
    "lround",
    "llround",
    "trunc",
    "fmod",
    "remainder",
    "remquo",
    "copysign",
    "nan",
    "nextafter",
    "nexttoward",
    "fdim",
    "fmax",
    "fmin",
    "fma",
    "fpclassify",
    "isfinite",
    "isinf",
    "isnan",
    "isnormal",
    "signbit",
    "isgreater",
    "isgreaterequal",
    "isless",
    "islessequal",
    "islessgreater",
    "isunordered",
    "HUGE_VAL",
    "HUGE_VALF",
    "HUGE_VALL",
    "INFINITY",
    "NAN",
    "FP_INFINITE",
    "FP_NAN",
    "FP_NORMAL",
    "FP_SUBNORMAL",
    "FP_ZERO",
    "FP_FAST_FMA",
    "FP_FAST_FMAF",
    "FP_FAST_FMAL",
    "FP_ILOGB0",
    "FP_ILOGBNAN",
    "MATH_ERRNO",
    "MATH_ERREXCEPT",
    "math_errhandling",
    "float_t",
    "double_t",
    "M_E",
    "M_LOG2E",
    "M_LOG10E",
    "M_LN2",
    "M_LN10",
    "M_PI",
    "M_PI_2",
    "M_PI_4",
    "M_1_PI",
    "M_2_PI",
    "M_2_SQRTPI",
    "M_SQRT2",
    "M_SQRT1_2",
    "MAXFLOAT",
    "HUGE",
    "DOMAIN",
    "SING",
    "OVERFLOW",
    "UNDERFLOW",
    "TLOSS",
    "PLOSS",
    "X_TLOSS",
]
RESERVED = frozenset(PYTHON_NAMES | set(C_KEYWORDS) | set(C_MATH))


class Namer:
    """Names for the code, each used once. A name the program gives is kept where it is
    safe in both languages; else it gets a trailing _ (lambda_, int_) or, where it
    starts with _ (reserved in C), a leading v (v_, v__builtins__); then _2, _3, ...
    while taken. Among the names given together, those kept as they are claimed
    first, so what is renamed never takes the name of something that is not."""

    def __init__(self, reserved=frozenset()):
        self.reserved = RESERVED | set(reserved)
        self.taken = set(self.reserved)
        self.given: dict = {}  # key -> name

    def give(self, pairs) -> None:
        """Name each (key, wanted name), in order."""
        pairs = list(pairs)
        for key, name in pairs:
            if self.safe(name):
                self.given[key] = name
                self.taken.add(name)
        for key, name in pairs:
            if key not in self.given:
                self.given[key] = self.fresh(name)

    def safe(self, name: str) -> bool:
        return name not in self.taken and not name.startswith("_") and not name.endswith("_")

    def fresh(self, name: str) -> str:
        """A name not taken yet, as close to `name` as the rules allow."""
        if name.startswith("_"):
            base = "v" + name
        elif name in self.reserved or name.endswith("_"):
            base = name + "_"
        else:
            base = name
        candidate, k = base, 2
        while candidate in self.taken:
            candidate = f"{base}_{k}"
            k += 1
        self.taken.add(candidate)
        return candidate


def comment_text(text: str) -> list[str]:
    """The lines of `text` (a program) safe inside a comment of either language: a
    backslash, the control characters and anything past ASCII as escapes (\\\\, \\t,
    \\x0c), and the character pairs that would end a C comment, start one, or make a
    trigraph (*/ /* ??) split by a backslash."""
    lines = []
    for line in text.split("\n"):
        out = []
        for ch in line:
            if ch == "\\":
                out.append("\\\\")
            elif ch == "\t":
                out.append("\\t")
            elif " " <= ch <= "~":
                out.append(ch)
            else:
                out.append(ch.encode("unicode_escape").decode("ascii"))
        escaped = "".join(out)
        for pair in ("*/", "/*", "??"):
            escaped = escaped.replace(pair, pair[0] + "\\" + pair[1])
        lines.append(escaped)
    return lines


SHOWN_SOURCE = 4000  # characters of the program written into the header; past that, its hash


def header(graph: Graph, plan, language: str, what: str) -> list[str]:
    """The lines of the header comment (without comment marks): what the code computes,
    from which program, by which cg."""
    from .. import __version__

    source = graph.source
    digest = hashlib.sha256(source.encode()).hexdigest()
    lines = [
        f"cg codegen --lang {language}: {what}",
        f"inputs: {' '.join(graph.inputs) or '(none)'}",
        f"output: {graph.nodes[graph.output].name}",
        f"nodes: {len(graph.nodes)} in the program, {plan.forward_count} operations for the "
        f"value, {plan.reverse_count} terms in the gradient",
        f"cg {__version__}; the program's sha256: {digest}",
    ]
    if len(source) <= SHOWN_SOURCE:
        lines.append("the program:")
        lines += ["    " + line for line in comment_text(source.rstrip("\n"))]
    else:
        lines.append(f"the program: {len(source):,} characters, not shown (see its hash)")
    return lines


def literal_python(value) -> str:
    """A float64 as the Python literal of exactly that number."""
    x = float(value)
    if math.isnan(x):
        return "math.nan"
    if math.isinf(x):
        return "math.inf" if x > 0 else "-math.inf"
    return repr(x)


def literal_c(value) -> str:
    x = float(value)
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INFINITY" if x > 0 else "-INFINITY"
    return repr(x)  # always with '.' or 'e': a double, which C reads correctly rounded
