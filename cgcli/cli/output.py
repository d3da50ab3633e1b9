"""What the commands share when they write: a console for a stream, a renderable shown
uncropped, warnings on standard error, and the refusal of --precision with JSON."""

from __future__ import annotations

import sys

from ..errors import UsageError


def no_precision(precision, json: str, instead: str) -> None:
    """--precision is for people: JSON writes every number in full."""
    if precision is not None:
        raise UsageError(
            f"{json} writes every number in full, so it does not take --precision",
            f"Leave out one of them: without {json}, {instead} shows N significant digits.",
        )


def console(stream, width=None):
    from ..io.streams import console as make

    return make(None if stream is sys.stdout else stream, width=width)


def show(stream, renderable, out=None, ascii_only=False) -> None:
    if ascii_only:
        from ..render import AsciiOnly

        renderable = AsciiOnly(renderable)
    # Not cropped: a line wider than the page (a wide table, a long number) runs past it.
    (out or console(stream)).print(renderable, crop=False)


def warn(notices, width=None) -> None:
    if not notices:
        return
    from rich.text import Text

    from ..errors import paragraph
    from ..io.streams import console as make
    from ..render.layout import Paragraph

    err = make(stderr=True, width=width)
    wrap = err.is_terminal  # between words at its width; to a file, a warning a line
    for notice in notices:
        line = Text.assemble(("warning:", "yellow"), " ", paragraph(notice.message))
        err.print(Paragraph(line, hang=9) if wrap else line, soft_wrap=not wrap, crop=False)
