"""Text laid out for a width: lines break between words, never inside a number or a name,
and continuations are indented; a table wider than the page runs past its edge (a
terminal scrolls it) instead of folding a cell.

Everything here costs time linear in the text: a line is cut with str.rfind over
windows of one line's width, and a table is measured once.
"""

from __future__ import annotations

import re

from rich.measure import Measurement
from rich.text import Text

from ..io.streams import MAX_WIDTH, MIN_WIDTH  # noqa: F401 (the widths cg lays text out for)

# Where a formula breaks best, best first: before ' = ' (a step of a chain), after
# ', ' (between arguments or elements), before ' + ' or ' - ' (between terms).
FORMULA = ((" = ",), (", ",), (" + ", " - "))
PROSE = ()  # at any space


def cuts(plain: str, width: int, hang: int, prefer=PROSE, after: int = 0) -> list[tuple[int, int]]:
    """Where `plain` breaks into lines of at most `width` columns, the lines after the
    first indented by `hang`: (end of a line, start of the next) pairs.

    Lines break at spaces only: at the last break of the first kind in `prefer`
    if the line has one, else of the next kinds in the second half of the line, else
    at its last space; a word longer than a line stands
    whole on a line of its own. The first line does not break before column `after`.
    """
    found, start, room, n = [], 0, width, len(plain)
    low = max(after, n - len(plain.lstrip(" "))) + 1  # never inside the indentation
    while n - start > room:
        limit = start + room  # the line is plain[start:k], k <= limit, plain[k] == " "
        half = max(start + room // 2, low)
        k = -1
        for r, rank in enumerate(prefer):
            least = max(start + 1, low) if r == 0 else half  # the best anywhere
            for pattern in rank:
                i = pattern.index(" ")
                at = plain.rfind(pattern, least - i, limit - i + len(pattern))
                if at >= 0:
                    k = max(k, at + i)
            if k >= 0:
                break
        if k < 0:
            k = plain.rfind(" ", max(start + 1, low), limit + 1)
        if k < 0:  # a word longer than the line: it stands whole
            k = plain.find(" ", max(limit + 1, low))
            if k < 0:
                break
        end, start = k, k + 1
        while end > 0 and plain[end - 1] == " ":
            end -= 1
        while start < n and plain[start] == " ":
            start += 1
        if start >= n:
            break
        found.append((end, start))
        room, low = max(width - hang, 1), 0
    return found


def lines(text: Text, width: int, hang: int, prefer=PROSE, after: int = 0) -> list[Text]:
    """`text` cut as cuts() says, its styles kept; the continuations not yet indented."""
    breaks = cuts(text.plain, width, hang, prefer, after)
    if not breaks:
        return [text]
    offsets = [offset for pair in breaks for offset in pair]
    return text.divide(offsets)[::2]  # the odd pieces are the spaces between lines


class Paragraph:
    """A line of text that wraps at the page's width: at spaces, with its continuations
    indented by `hang` (and under its first '=' for a formula)."""

    def __init__(self, text: Text | str, hang: int = 4, formula: bool = False):
        self.text = Text(text) if isinstance(text, str) else text
        self.hang = hang
        self.formula = formula

    def wrapped(self, text: Text, width: int) -> list[Text]:
        plain = text.plain
        if len(plain) <= width:
            return [text]
        hang, prefer, after = self.hang, PROSE, 0
        if self.formula:
            label = re.match(r"[A-Z][a-z]*: ", plain)  # "Gradient: a = 1, b = 2"
            if label:
                hang = after = label.end()
                prefer = ((", ",),)
            else:
                first = plain.find(" = ")
                if 0 < first <= width // 2:  # the continuations' '=' under the first
                    hang, after, prefer = first + 1, first + 1, FORMULA
                else:
                    prefer = FORMULA
        hang = min(hang, width // 2)
        pieces = lines(text, width, hang, prefer, after)
        return [pieces[0]] + [Text(" " * hang) + piece for piece in pieces[1:]]

    def __rich_console__(self, console, options):
        width = options.max_width
        wrapped = self.wrapped
        rows = [row for line in self.text.split("\n") for row in wrapped(line, width)]
        yield from Text("\n").join(rows).render(console, end="\n")

    def __rich_measure__(self, console, options):
        plain = self.text.plain
        return Measurement(max(map(len, plain.split()), default=0), len(plain))


class Scroll:
    """A renderable (a table) drawn at its natural width, up to `limit` columns, when the
    page is narrower: it runs past the page's edge, and no cell is folded. Print it with
    crop=False. `natural`, where the caller knows it, spares measuring every cell."""

    def __init__(self, renderable, limit: int, natural: int | None = None):
        self.renderable = renderable
        self.limit = limit
        self.natural = natural

    def __rich_console__(self, console, options):
        from rich.segment import Segment

        width = max(options.max_width, self.__rich_measure__(console, options).maximum)
        options = options.update_width(width)
        # Without the blanks that pad a line's last cell: a terminal narrower than the
        # table then wraps only what it must.
        for line in console.render_lines(self.renderable, options, pad=False):
            while line and not line[-1].text.rstrip(" ") and not line[-1].control:
                line.pop()
            if line:
                text, style, control = line[-1]
                line[-1] = Segment(text.rstrip(" "), style, control)
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console, options):
        if self.natural is not None:
            return Measurement(min(self.natural, self.limit), min(self.natural, self.limit))
        return Measurement.get(console, options.update_width(self.limit), self.renderable)
