"""The errors a user can meet, the exit codes they map to, and how they are worded.

Every error is one paragraph; one that points into the source text also shows
that line with a caret under the column.
"""

from __future__ import annotations

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

    def render(self) -> str:
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

    def render(self) -> str:
        where = f"line {self.line}, column {self.column}"
        if "\n" not in self.source.rstrip("\n"):
            where = f"column {self.column}"
        start = self.source.rfind("\n", 0, self.position) + 1
        end = self.source.find("\n", self.position)
        text, caret = excerpt(self.source[start : end if end >= 0 else None], self.column - 1)
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


def excerpt(line: str, column: int, width: int = 72) -> tuple[str, int]:
    """A window of `line` around `column`, printable, and where the column lands in it."""
    # One column a character, so the caret lands under it: a tab becomes a space,
    # anything that a terminal may draw wider, narrower or not at all becomes '?'.
    line = "".join(
        " " if c == "\t" else c if c.isascii() and c.isprintable() else "?" for c in line
    )
    if len(line) <= width:
        return line, column
    left = max(0, min(column - width // 2, len(line) - width))
    window = line[left : left + width]
    caret = column - left
    if left > 0:
        window = "..." + window[3:]
    if left + width < len(line):
        window = window[:-3] + "..."
    return window, caret


def shown(text: str, limit: int = 60) -> str:
    """Text that cg did not write (a file's column name, a field), fit to echo in a
    message: at most `limit` characters, and control characters escaped (\\x1b), so
    that nothing in it can move the cursor or recolour the terminal."""
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)
