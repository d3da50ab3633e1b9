"""Where programs come from and where output goes: files, standard streams, consoles.

Output to a file is written to a temporary file beside it and renamed into
place, so a crash or Ctrl-C never leaves a half-written file over a good one.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager

from .errors import UsageError


def read_source(path: str) -> str:
    from .parse import MAX_SOURCE

    where = "standard input" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read(MAX_SOURCE + 1)
        else:
            with open(path, "rb") as handle:
                data = handle.read(MAX_SOURCE + 1)  # no more than can be used
    except OSError as err:
        raise UsageError(f"cannot read {where}: {err.strerror or err}") from None
    if len(data) > MAX_SOURCE:
        raise UsageError(
            f"{where} holds more than {MAX_SOURCE:,} bytes; cg reads programs "
            f"of up to {MAX_SOURCE:,} characters"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(
            f"{where} is not UTF-8 text: byte 0x{data[err.start]:02x} at offset "
            f"{err.start} cannot be decoded",
            "cg programs are ASCII text.",
        ) from None


@contextmanager
def open_output(path: str | None):
    """A text stream for the output: standard output, or FILE replaced atomically."""
    if path is None or path == "-":
        yield sys.stdout
        sys.stdout.flush()  # now, so that a closed pipe is noticed here and not at exit
        return
    import stat
    import tempfile

    try:
        mode = os.stat(path).st_mode  # of what a link points to
    except FileNotFoundError:
        mode = None
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
    if mode is not None and stat.S_ISDIR(mode):
        raise UsageError(f"cannot write {path}: it is a directory", "Name a file: -o out.csv.")
    if mode is not None and not stat.S_ISREG(mode):
        # A device, a pipe, /dev/stdout: written to as it is, never replaced.
        try:
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                yield handle
        except OSError as err:  # opening it, or writing (/dev/full)
            raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
        return
    target = os.path.realpath(path)  # through a link, to the file it names
    try:
        fd, temporary = tempfile.mkstemp(dir=os.path.dirname(target), prefix=".cg-", suffix=".tmp")
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            yield handle
        if mode is None:  # a new file: as open() would make it
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(temporary, 0o666 & ~umask)
        else:  # a file replaced keeps its permissions
            os.chmod(temporary, stat.S_IMODE(mode))
        try:
            os.replace(temporary, target)
        except OSError as err:
            raise UsageError(f"cannot write {path}: {err.strerror or err}") from None
    except BaseException:
        os.unlink(temporary)
        raise


def console(file=None, stderr: bool = False):
    """A Rich console that decides colour itself: none on a pipe, none under NO_COLOR."""
    from rich.console import Console

    return Console(file=file, stderr=stderr, highlight=False)


def speaks_unicode(stream) -> bool:
    """Whether the stream can carry the symbols the views use (∂, ·, box lines)."""
    try:
        "\u2202\u00b7\u2502".encode(stream.encoding or "ascii")
    except (AttributeError, UnicodeEncodeError, LookupError):
        return False
    return True
