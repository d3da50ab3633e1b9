"""Views of a Result: numbers formatted for people, Rich tables, and JSON for scripts."""

from __future__ import annotations

# Numbers are written for people by values.py, for messages and views alike.
from ..values import ARRAY_ITEMS, FRACTION_WIDTH, array, fmt  # noqa: F401


def printable(text: str) -> str:
    """Text a user wrote (a comment in the program), safe to print: a control character
    (ESC, a bidi override) shows as its escape, \\x1b, instead of acting on the terminal."""
    if text.isprintable():
        return text
    # repr escapes exactly the characters that are not printable: \x1b, \t, \u202e.
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class Notation:
    """The symbols a view writes: Unicode by default, plain ASCII with --ascii."""

    def __init__(self, ascii: bool = False):
        self.ascii = ascii
        self.d = "d" if ascii else "\u2202"
        self.times = "*" if ascii else "\u00b7"

    def partial(self, top: str, bottom: str) -> str:
        """The derivative of `top` with respect to `bottom`: ∂f/∂x."""
        return f"{self.d}{top}/{self.d}{bottom}"

    def text(self, formula: str) -> str:
        """A formula from the op table in this notation."""
        return formula if self.ascii else formula.replace("*", self.times)


# The symbols the views use, and what they become in plain ASCII: one character
# for one, so that columns laid out for the one fit the other.
ASCII = str.maketrans(
    {"\u2248": "~", "\u2202": "d", "\u00b7": "*", "\u2191": "^", "\u2193": "v", "\u2026": "~"}
)


def plain(text: str) -> str:
    """Text for a stream that takes ASCII only: ≈ as ~, ∂ as d, and so on."""
    return text.translate(ASCII)


class AsciiOnly:
    """Render with ASCII guides, boxes and symbols whatever the terminal can show (for
    --ascii, and for streams that cannot carry more)."""

    def __init__(self, renderable):
        self.renderable = renderable

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        options = options.copy()
        options.encoding = "ascii"
        for segment in console.render(self.renderable, options):
            text = segment.text.translate(ASCII)
            yield segment if text == segment.text else Segment(text, *segment[1:])
