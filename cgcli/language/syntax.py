"""Syntax errors worded for people: what was expected, where, and what to type instead.

The parser stops at the first token that does not fit the grammar; these
functions turn that stop (a token, the terminals it could have been) into one
paragraph and a caret, naming the common slips: a missing operand or operator,
an unclosed parenthesis, a character from another language or keyboard.
"""

from __future__ import annotations

import re

from ..errors import SourceError
from ..ops import FUNCTIONS, KNOWN_AS, OPS
from . import lalr

# fmt: off
# What to type instead of a non-ASCII character that looks like an ASCII one.
ASCII_FOR = {
    "\u2212": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2010": "-", "\u2011": "-",
    "\u00d7": "*", "\u22c5": "*", "\u00b7": "*", "\u2217": "*", "\u2715": "*",
    "\u00f7": "/", "\u2215": "/", "\u2044": "/",
    "\u00b2": "^2", "\u00b3": "^3", "\u00b9": "^1",
    "\u03c0": "pi", "\u212f": "e", "\u221a": "sqrt",
    "\u00a0": "a space", "\u2009": "a space", "\u202f": "a space", "\u3000": "a space",
    "\u200b": "nothing (delete it)", "\u200c": "nothing (delete it)",
    "\u200d": "nothing (delete it)", "\u2060": "nothing (delete it)",
    "\ufeff": "nothing (delete the byte-order mark)",
    "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    # Cyrillic and Greek letters that look like Latin ones.
    "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c", "\u0445": "x",
    "\u0443": "y", "\u0456": "i", "\u0410": "A", "\u0412": "B", "\u0415": "E", "\u041a": "K",
    "\u041c": "M", "\u041d": "H", "\u041e": "O", "\u0420": "P", "\u0421": "C", "\u0422": "T",
    "\u0425": "X", "\u03bf": "o", "\u039f": "O", "\u0391": "A", "\u0392": "B", "\u0395": "E",
    "\u0397": "H", "\u0399": "I", "\u039a": "K", "\u039c": "M", "\u039d": "N", "\u03a1": "P",
    "\u03a4": "T", "\u03a7": "X", "\u03a5": "Y", "\u0396": "Z", "\u03bd": "v",
}


TOKEN_WORDS = {
    "NUMBER": "a number", "NAME": "a name", "$END": "the end of the expression",
    "_NL": "a new line", "_SEP": "';'", "_POW": "'^'",
}
OPERAND = {"NUMBER", "NAME", "LPAR"}  # tokens that can start an operand (besides signs)
_OPERAND_HINT = "An operator needs a value on each side."
VALUE = {"NUMBER", "NAME"}  # expected only where an operand is (LPAR alone may be a call)
OPERATORS = ("PLUS", "MINUS", "STAR", "SLASH", "_POW")
# Characters people try from other languages, and what cg wants instead.
CHARACTER_HINTS = {
    "{": "use ( ) for grouping and [ ] for arrays", "}": "use ( ) for grouping and [ ] for arrays",
    "%": "cg has no modulo operator", "!": "cg has no factorial or 'not' operator",
    "&": "cg has no logical operators", "|": "use abs(x) for an absolute value",
    "<": "cg has no comparisons; use min or max", ">": "cg has no comparisons; use min or max",
    '"': "write the program without quotes", "'": "write the program without quotes",
}
# Functions of other tools that cg does not have, written with those it has. (Their
# nearest spelling would mislead: exp2 is not exp, asinh not sinh, square not sqrt.)
WRITTEN = {
    "exp2": "2^x", "expm1": "exp(x) - 1", "log1p": "log(1 + x)", "square": "x^2",
    "sqr": "x^2", "hypot": "norm([x, y])", "logaddexp": "logsumexp([x, y])",
    "sec": "1/cos(x)", "csc": "1/sin(x)", "cot": "1/tan(x)",
    "asinh": "log(x + sqrt(x^2 + 1))", "arcsinh": "log(x + sqrt(x^2 + 1))",
    "acosh": "log(x + sqrt(x^2 - 1))", "arccosh": "log(x + sqrt(x^2 - 1))",
    "atanh": "log((1 + x)/(1 - x))/2", "arctanh": "log((1 + x)/(1 - x))/2",
    "lg": "log10(x) or log2(x)",
}
# fmt: on


def clip(text: str, width: int = 24) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."


def non_ascii(source: str) -> SourceError:
    import unicodedata

    bad = re.search(r"[^\x00-\x7f]", source)
    char = bad.group()
    count = len(re.findall(r"[^\x00-\x7f]", source))
    name = unicodedata.name(char, "unnamed character")
    message = f"the character {char!r} (U+{ord(char):04X} {name}) is not ASCII"
    if char in ASCII_FOR:
        hint = f"Type {_quoted(ASCII_FOR[char])} instead."
    elif "\uff01" <= char <= "\uff5e":  # full-width forms of ASCII characters
        hint = f"Type {_quoted(chr(ord(char) - 0xFEE0))} instead."
    elif unicodedata.category(char) == "Nd":
        hint = f"Type the ASCII digit {_quoted(str(unicodedata.digit(char)))} instead."
    else:
        hint = "cg reads ASCII text only: names are letters a-z, A-Z, digits and _."
    if count > 1:
        hint += f" The text has {count - 1} more non-ASCII character{'s' * (count > 2)}."
    return SourceError(source, bad.start(), message, hint)


def _quoted(text: str) -> str:
    return text if text.startswith(("a space", "nothing")) else f"'{text}'"


def _show(kind: str, text: str) -> str:
    if kind == "NUMBER":
        return f"the number {clip(text)}"
    if kind == "NAME":
        return f"'{clip(text)}'"
    if kind in TOKEN_WORDS:
        return TOKEN_WORDS[kind]
    return repr(text) if kind == "_ERROR" else f"'{text}'"


def _expected(expected: set[str], literals: dict) -> str:
    """What the parser could have taken, in words: 'a number, a name or '(' or ...'."""
    words = []
    operators = [k for k in OPERATORS if k in expected]
    if VALUE <= expected:
        words.append("a number, a name or '('")
        operators = []  # a sign before an operand is part of the operand
    elif "NUMBER" in expected:  # inside x[...]: indices are written in the program
        words.append("a whole number")
        operators = [k for k in operators if literals.get(k) != "-"]
    if len(operators) > 1:
        words.append("an operator")
    elif operators:
        words.append(TOKEN_WORDS.get(operators[0], f"'{literals[operators[0]]}'"))
    for closer in ("RPAR", "COLON", "COMMA", "RSQB"):
        if closer in expected:
            words.append(f"'{literals[closer]}'")
    if expected & {"$END", "_SEP", "_NL"}:
        words.append("the end of the statement")
    if not words and "EQUAL" in expected:
        words.append("'='")
    if len(words) > 1:
        return ", ".join(words[:-1]) + " or " + words[-1]
    return words[0] if words else "nothing more"


def syntax_error(source: str, err: lalr.SyntaxErrorAt, parser: lalr.Parser) -> SourceError:
    kind, text, position = err.token
    previous = err.previous
    expected = err.expected
    wanted = _expected(expected, parser.literals)
    found = _show(kind, text)
    after = f" after {_show(previous[0], previous[1])}" if previous else ""
    wants_operand = bool(expected & VALUE)

    if kind == "_ERROR":
        hint = CHARACTER_HINTS.get(text)
        if text in "\t\r\f\v" or not text.isprintable():
            found = f"the control character {text!r}"
        return SourceError(
            source,
            position,
            f"unexpected character {found}; expected {wanted}",
            hint[0].upper() + hint[1:] + "." if hint else None,
        )
    unclosed = _unclosed(source[:position], parser)
    if kind in ("$END", "_SEP", "_NL") and unclosed is not None and not wants_operand:
        opener = source[unclosed]
        closer = ")" if opener == "(" else "]"
        return SourceError(
            source, unclosed, f"this '{opener}' is never closed", f"Add '{closer}' before {found}."
        )
    if kind in ("$END", "_SEP", "_NL") and wants_operand:
        return SourceError(
            source,
            position,
            f"missing operand{after}: expected {wanted}",
            _OPERAND_HINT if previous and previous[0] in OPERATORS else None,
        )
    if kind == "RPAR" and "RPAR" not in expected:
        if wants_operand:
            return SourceError(
                source, position, f"missing operand before ')'{after}: expected {wanted}"
            )
        return SourceError(
            source, position, "this ')' has no '(' to close", "Remove it, or add the '(' it closes."
        )
    if wants_operand and kind not in OPERAND:
        where = after or " at the start of the statement"
        return SourceError(
            source,
            position,
            f"missing operand{where}: expected {wanted}, found {found}",
            _OPERAND_HINT if previous and previous[0] in OPERATORS else None,
        )
    if kind in OPERAND and not wants_operand and previous:
        hint = "Write * for a product, as in 2*x; cg does not multiply by juxtaposition."
        if previous[0] == "NAME" and source[: previous[2]].rstrip().endswith("."):
            # np.sin(x), math.log(x), x.sum(): a module's function or a method.
            hint = (
                f"cg has no modules or methods: call a function by its name, as in "
                f"{example(previous[1]) if previous[1] in FUNCTIONS else 'sin(x)'}."
            )
            more = suggestion(previous[1]) if previous[1] not in FUNCTIONS else None
            hint += f" {more}" if more else ""
        elif previous[0] == "NAME" and previous[1] in FUNCTIONS:
            hint = f"Call a function with parentheses, as in {example(previous[1])}."
        elif unclosed is not None and "\n" in source[previous[2] : position]:
            hint = (
                f"The '(' at line {source.count(chr(10), 0, unclosed) + 1} is still open, "
                "so the new line did not end the statement."
            )
        return SourceError(
            source,
            position,
            f"missing operator between "
            f"{_show(previous[0], previous[1])} and {found}: "
            f"expected {wanted}",
            hint,
        )
    if kind == "EQUAL":
        hint = (
            "'=' names a value: it stands after a name at the start of a statement, "
            "as in d = a + b."
        )
        if previous and previous[0] == "RPAR":
            hint = "cg has no function definitions: write the expression itself, as in x^2."
        return SourceError(source, position, f"unexpected '='{after}: expected {wanted}", hint)
    return SourceError(source, position, f"unexpected {found}{after}: expected {wanted}")


def _unclosed(text: str, parser: lalr.Parser) -> int | None:
    """Where the last '(' or '[' still open at the end of `text` stands."""
    opened = []
    for match in parser.pattern.finditer(text):
        kind = match.lastgroup
        if kind in ("LPAR", "LSQB"):
            opened.append(match.start(kind))
        elif kind in ("RPAR", "RSQB") and opened:
            opened.pop()
    return opened[-1] if opened else None


def example(name: str) -> str:
    """How a function is called: sin(x); max(x, y) or max(x, axis=0)."""
    return " or ".join(_form(op, name) for op in FUNCTIONS[name])


def _form(op, name=None) -> str:
    """One op as it is written: sin(x), max(x, axis=0), x @ y, [x, y]."""
    if not op.call:
        return op.show(list(op.args) or ["x", "y"])
    settings = [f"{key}={0 if key == 'axis' else '[2, 3]'}" for key in op.params]
    return f"{name or op.call}({', '.join(list(op.args) + settings)})"


def suggestion(name: str) -> str | None:
    """What to type for a function cg does not know by this name: a sentence, or None."""
    import difflib

    lowered = name.lower()
    if lowered in FUNCTIONS:
        return f"Names are case-sensitive: write {example(lowered)}."
    if lowered in KNOWN_AS:
        return f"In cg, {name} is written {_form(OPS[KNOWN_AS[lowered]])}."
    if lowered in WRITTEN:
        return f"cg has no {name}: write {WRITTEN[lowered]}."
    close = difflib.get_close_matches(lowered, FUNCTIONS, n=1, cutoff=0.6)
    return f"Did you mean {close[0]}?" if close else None
