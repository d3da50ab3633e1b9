"""The errors a user can meet, the exit codes they map to, and how they are worded.

Every error is one paragraph; one that points into the source text also shows
that line with a caret under the column. Text cg did not write (a path, a
binding, a line of a file) is echoed through `shown`: bounded in length, with
control characters escaped, so that nothing a user feeds in can move the
cursor, clear the screen or fill it.
"""

from __future__ import annotations

import unicodedata
from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    EVALUATION = 1  # a non-finite result under --strict; output that could not be written
    USAGE = 2  # bad options, syntax, names, bindings; an output that cannot be opened
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT); any other signal N ends with 128 + N
    CLOSED_PIPE = 141  # 128 + SIGPIPE: the reader of the output went away


class CgError(Exception):
    exit_code = Exit.USAGE

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self, encoding: str | None = None) -> str:
        return self.message + (f"\n{self.hint}" if self.hint else "")


class UsageError(CgError):
    """Options, arguments or bindings that cannot be used."""


class SourceError(CgError):
    """An error at a place in the program text."""

    def __init__(self, source: str, position: int, message: str, hint: str | None = None):
        super().__init__(message, hint)
        self.source = source
        self.position = max(0, min(position, len(source)))

    @property
    def line(self) -> int:
        return self.source.count("\n", 0, self.position) + 1

    @property
    def column(self) -> int:
        return self.position - (self.source.rfind("\n", 0, self.position) + 1) + 1

    def render(self, encoding: str | None = None) -> str:
        """The message, the source line with a caret under the column, and the hint;
        the line as a terminal of that `encoding` can show it."""
        where = f"line {self.line}, column {self.column}"
        if "\n" not in self.source.rstrip("\n"):
            where = f"column {self.column}"
        start = self.source.rfind("\n", 0, self.position) + 1
        end = self.source.find("\n", self.position)
        text, caret = excerpt(
            self.source[start : end if end >= 0 else None], self.column - 1, encoding=encoding
        )
        lines = [f"{self.message} (at {where})", f"  {text}", f"  {' ' * caret}^"]
        if self.hint:
            lines.append(self.hint)
        return "\n".join(lines)


class EvaluationError(CgError):
    """Evaluation gave a non-finite value or derivative and --strict was asked for."""

    exit_code = Exit.EVALUATION


class OutputError(CgError):
    """Writing the output failed part way (a full disk, an I/O error)."""

    exit_code = Exit.EVALUATION


class ClosedPipe(BaseException):
    """The reader of the output went away (cg ... | head -1): cg stops, quietly.

    A BaseException, as KeyboardInterrupt is: it means stop, and no handler meant
    for errors may take it for one."""


class Stopped(BaseException):
    """A signal (SIGTERM, SIGHUP, ...) asked cg to stop."""

    def __init__(self, signal: int):
        super().__init__(signal)
        self.signal = signal


# ------------------------------------------------------------ echoing user text


def escaped(character: str) -> str:
    r"""A character as Python writes it in a string literal: \x1b, \u202e, \U0001f600.

    A lone surrogate is a byte that was not UTF-8 (in a path or an argument, which
    Python decodes with surrogateescape): it is shown as that byte."""
    code = ord(character)
    if 0xDC80 <= code <= 0xDCFF:
        return f"\\x{code - 0xDC00:02x}"
    if character in "\t\n\r":
        return {"\t": "\\t", "\n": "\\n", "\r": "\\r"}[character]
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str, newlines: bool = False) -> str:
    """`text` with every control, format or separator character escaped (and every
    new line, unless `newlines` keeps them): nothing a terminal would act on."""
    if text.isprintable():  # the common case, at C speed
        return text
    return "".join(c if c.isprintable() or (newlines and c == "\n") else escaped(c) for c in text)


def shown(text: str, limit: int = 100) -> str:
    """User text as a message echoes it: at most `limit` characters (the middle left
    out, so that both the start of a binding and the end of a path stay), on one
    line, with control characters escaped."""
    text = str(text)
    if len(text) > limit:
        head = (limit - 3) * 2 // 3
        text = text[:head] + "..." + text[len(text) - (limit - 3 - head) :]
    return printable(text)


MAX_LINE = 1000  # characters in a line of a message, whatever reached it
MAX_LINES = 12


def paragraph(text: str) -> str:
    """A message as it may reach the terminal: its own lines kept, each of bounded
    length, control characters escaped. The last guard, at the one place messages
    are written; the messages themselves bound what they echo with `shown`."""
    lines = text.split("\n", MAX_LINES)
    if len(lines) > MAX_LINES:
        lines[MAX_LINES - 1 :] = ["..."]
    bounded = []
    for line in lines:
        if len(line) > MAX_LINE:
            cut = len(line) - MAX_LINE
            line = (
                f"{line[: MAX_LINE // 2]} ... ({cut:,} characters left out) ... "
                + line[len(line) - MAX_LINE // 2 :]
            )
        bounded.append(printable(line))
    return "\n".join(bounded)


def _cell(character: str, encoding: str) -> tuple[str, int]:
    """How a character of the source is shown in an excerpt, and how many columns
    it takes: itself where the terminal can draw it, else its code point."""
    if character == "\t":
        return " ", 1
    if character.isascii() and character.isprintable():
        return character, 1
    if character.isprintable() and not unicodedata.category(character).startswith("M"):
        try:
            character.encode(encoding)
        except (UnicodeEncodeError, LookupError):
            pass
        else:
            wide = unicodedata.east_asian_width(character) in "WF"
            return character, 2 if wide else 1
    text = escaped(character)
    return text, len(text)


def excerpt(
    line: str, column: int, width: int = 72, encoding: str | None = None
) -> tuple[str, int]:
    """A window of `line` around `column`, printable, and where the column lands in it.

    Each character is shown as itself where the terminal (of that `encoding`) can
    draw it, and as its code point (\\u00b2) where it cannot or where it would draw
    nothing (a control, a combining mark); the caret counts the columns each takes.
    """
    encoding = encoding or "utf-8"
    # Every character takes at least one column: no more than `width` either side
    # of the column can be shown, however long the line.
    low, high = max(0, column - width), min(len(line), column + width + 1)
    cells = [_cell(c, encoding) for c in line[low:high]]
    at = column - low
    if low == 0 and high == len(line) and sum(n for _, n in cells) <= width:
        first, last = 0, len(cells)
    else:
        room = width - 6  # for the "..." at either end
        first = last = at
        used = cells[at][1] if at < len(cells) else 1
        last = min(at + 1, len(cells))
        while first > 0 and used + cells[first - 1][1] <= room // 2:
            first -= 1
            used += cells[first][1]
        while last < len(cells) and used + cells[last][1] <= room:
            used += cells[last][1]
            last += 1
        while first > 0 and used + cells[first - 1][1] <= room:
            first -= 1
            used += cells[first][1]
    left = "..." if first > 0 or low > 0 else ""
    right = "..." if last < len(cells) or high < len(line) else ""
    text = left + "".join(shown for shown, _ in cells[first:last]) + right
    return text, len(left) + sum(n for _, n in cells[first:at])
