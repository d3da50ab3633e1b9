"""Where programs come from and where output goes: files, standard streams, consoles.

`-o FILE` opens FILE as a shell's `>` would, and refuses what `>` refuses; but
the output goes to a temporary file beside FILE first and replaces it only
when it is complete, so a failed or interrupted run leaves FILE as it was.
A signal that stops cg removes that temporary file (see `stopping_on_signals`).
"""

from __future__ import annotations

import errno
import os
import re
import signal
import stat
import sys
from contextlib import contextmanager, suppress

from ..errors import ClosedPipe, OutputError, Stopped, UsageError, shown

MIN_WIDTH, MAX_WIDTH = 20, 1000  # the widths cg lays text out for


def read_source(path: str) -> str:
    from ..language.parse import MAX_SOURCE

    where = "standard input" if path == "-" else shown(path)
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


# ------------------------------------------------------------------ writing


class Guarded:
    """A text stream whose write errors say which output they are about: a closed
    pipe becomes ClosedPipe, any other failure an OutputError naming the output."""

    PIECE = 2048  # characters

    def __init__(self, stream, where: str):
        self.stream = stream
        self.where = where

    def write(self, text: str) -> int:
        # In pieces: Python's buffered writer can report one large write as done
        # when the reader of a pipe left (or the disk filled) part way through it.
        if not isinstance(text, str):  # as the stream would: click asks this way
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        try:
            for start in range(0, len(text), self.PIECE):
                self.stream.write(text[start : start + self.PIECE])
        except OSError as err:
            raise failed(err, self.where) from None
        return len(text)

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as err:
            raise failed(err, self.where) from None

    # What Rich, click and Python ask of a stream, answered by the stream itself.
    @property
    def encoding(self):
        return self.stream.encoding

    @property
    def errors(self):
        return self.stream.errors

    @property
    def buffer(self):
        return self.stream.buffer

    @property
    def closed(self) -> bool:
        return self.stream.closed

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    def writable(self) -> bool:
        return True


def failed(err: OSError, where: str) -> BaseException:
    if err.errno == errno.EPIPE:
        return ClosedPipe()
    return OutputError(f"cannot write {where}: {err.strerror or err}")


# /dev/stdout and the like name a descriptor cg already holds: written to as it is.
_DESCRIPTOR = re.compile(r"/dev/(stdin|stdout|stderr)|/dev/fd/([0-9]+)|/proc/self/fd/([0-9]+)")


@contextmanager
def open_output(path: str | None):
    """A text stream for the output: standard output, or FILE as `>` would write it.

    FILE is refused where `>` would refuse it (the permission check is the
    kernel's own: FILE is opened for writing, without truncating it), and it
    keeps its owner, mode and links. The output is written to a temporary file
    in FILE's directory and, once complete, renamed over FILE; where a rename
    would change what FILE is (other hard links, an owner or extended attributes
    the new file could not have, a sticky directory), it is copied into FILE
    instead. Where the directory takes no temporary file, FILE is written in
    place, as `>` writes it. Devices and pipes are written to as they are.
    """
    if path is None or path == "-":
        with _descriptor("standard output", 1) as stream:
            yield stream
        return
    where = shown(path)
    match = _DESCRIPTOR.fullmatch(path)
    if match:
        name, *numbers = match.groups()
        number = ("stdin", "stdout", "stderr").index(name) if name else int(max(numbers))
        with _descriptor(where, number) as stream:
            yield stream
        return
    target = os.path.realpath(path)  # through a link, to the file it names
    try:
        info = os.stat(target)
    except FileNotFoundError:
        info = None
    except OSError as err:
        raise _refused(where, err) from None
    if info is not None and stat.S_ISDIR(info.st_mode):
        raise UsageError(f"cannot write {where}: it is a directory", "Name a file: -o out.csv.")
    if info is not None and not stat.S_ISREG(info.st_mode):
        # A device or a pipe: written to as it is, never replaced.
        try:
            handle = _text(path)
        except OSError as err:
            raise _refused(where, err) from None
        with _closing(handle, where) as stream:
            yield stream
        return
    existing = None
    if info is not None:
        try:  # what `>` does, but for O_TRUNC: the kernel's own check, and no change yet
            existing = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666)
        except OSError as err:
            raise _refused(where, err) from None
    try:
        try:
            fd, temporary = _temporary(os.path.dirname(target))
        except OSError as err:
            if existing is None:  # a new file cannot be made there either
                raise _refused(where, err) from None
            temporary = None
        if temporary is None:
            # No file can be made beside FILE: write it in place, as `>` does.
            try:
                os.ftruncate(existing, 0)
            except OSError as err:
                raise failed(err, where) from None
            handle = _text(existing, closefd=False)
            with _closing(handle, where) as stream:
                yield stream
            return
        handle = _text(fd)
        try:
            with _closing(handle, where, keep_open=True) as stream:
                yield stream
            try:
                _replace(fd, temporary, target, existing)
                handle.close()
            except OSError as err:
                raise failed(err, where) from None
        finally:
            handle.close()  # (again, if it was: a no-op)
            _remove(temporary)
    finally:
        if existing is not None:
            os.close(existing)


def _text(file, closefd: bool = True):
    """A text stream over a path or a descriptor, as cg writes every output."""
    return open(file, "w", encoding="utf-8", newline="\n", closefd=closefd)


def _refused(where: str, err: OSError) -> UsageError:
    return UsageError(f"cannot write {where}: {err.strerror or err}")


@contextmanager
def _descriptor(where: str, number: int):
    """Standard output, or /dev/stdout, /dev/fd/N: a descriptor cg already holds,
    written to where it stands, never truncated or replaced (as a shell does)."""
    if number in (1, 2):
        stream = sys.stdout if number == 1 else sys.stderr
        if stream is None:  # cg >&-
            raise OutputError(f"cannot write {where}: it is closed")
        guarded = stream if isinstance(stream, Guarded) else Guarded(stream, where)
        yield guarded
        guarded.flush()  # now, so that a closed pipe is noticed here and not at exit
        return
    try:
        handle = _text(os.dup(number))
    except (OSError, OverflowError):
        raise _refused(where, OSError(errno.EBADF, os.strerror(errno.EBADF))) from None
    with _closing(handle, where) as stream:
        yield stream


@contextmanager
def _closing(handle, where: str, keep_open: bool = False):
    """`handle` guarded; flushed (and closed, unless `keep_open`) at the end, its
    errors reported; closed quietly when the output failed anyway."""
    stream = Guarded(handle, where)
    try:
        yield stream
        stream.flush()
    except BaseException:
        with suppress(OSError):
            handle.close()  # the output is abandoned: what was buffered can go
        raise
    if not keep_open:
        try:
            handle.close()
        except OSError as err:  # a file system may report a failed write only here
            raise failed(err, where) from None


def _replace(fd: int, temporary: str, target: str, existing: int | None) -> None:
    """Put the complete output in the temporary file at `target`: by renaming it
    where the new file can be what the old one was, else by copying it in."""
    if existing is None:  # a new file: as open() would make it
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        os.replace(temporary, target)
        return
    old = os.fstat(existing)
    if old.st_nlink == 1 and _same_owner(fd, old):
        os.fchmod(fd, _mode_after_writing(old.st_mode))
        if _attributes(fd) == _attributes(existing):
            try:
                os.replace(temporary, target)
                return
            except PermissionError:  # a sticky directory: the file is not ours to rename
                pass
    # FILE keeps its inode, so its links, owner, mode and attributes stay.
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(existing, 0)
    while block := os.read(fd, 1 << 20):
        view = memoryview(block)
        while view:
            view = view[os.write(existing, view) :]


def _same_owner(fd: int, old: os.stat_result) -> bool:
    new = os.fstat(fd)
    if (new.st_uid, new.st_gid) == (old.st_uid, old.st_gid):
        return True
    try:
        os.fchown(fd, old.st_uid, old.st_gid)  # root may; anyone may choose their own group
        return True
    except PermissionError:
        return False


def _mode_after_writing(mode: int) -> int:
    """The mode the file would have after `>` wrote it: the same, except that the
    kernel drops set-user-ID (and set-group-ID on a group-executable file) when
    anyone but root writes to a file."""
    mode = stat.S_IMODE(mode)
    if os.geteuid() != 0:
        mode &= ~stat.S_ISUID
        if mode & stat.S_IXGRP:
            mode &= ~stat.S_ISGID
    return mode


def _attributes(fd: int) -> dict | None:
    """A file's extended attributes (an ACL is one): a renamed file would lose them."""
    try:
        return {name: os.getxattr(fd, name) for name in os.listxattr(fd)}
    except OSError:  # not supported here, or not readable: nothing to compare
        return None


# ------------------------------------------------------------------ signals

# Every signal whose default is to end the process and that can be caught.
# (SIGPIPE and SIGXFSZ are ignored by Python: a write then fails, and says so.)
_STOPPING = [
    number
    for number in signal.Signals
    if number.name
    in (
        *("SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGALRM"),
        *("SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGIO", "SIGPWR", "SIGSTKFLT"),
    )
]
if hasattr(signal, "SIGRTMIN"):
    _STOPPING += range(signal.SIGRTMIN, signal.SIGRTMAX + 1)

_temporaries: set[str] = set()  # made by open_output and not yet renamed or removed


def _temporary(directory: str) -> tuple[int, str]:
    """A new temporary file in `directory`, known to the signal handler from the
    moment it exists (signals wait while it is made)."""
    import tempfile

    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
    try:
        fd, temporary = tempfile.mkstemp(dir=directory, prefix=".cg-", suffix=".tmp")
        _temporaries.add(temporary)
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)
    return fd, temporary


def _remove(temporary: str) -> None:
    with suppress(FileNotFoundError):  # renamed into place, or removed by the handler
        os.unlink(temporary)
    _temporaries.discard(temporary)


def _stop(signum, frame) -> None:
    for temporary in list(_temporaries):  # first, in case the exception is lost
        _remove(temporary)
    if signum == signal.SIGINT:
        raise KeyboardInterrupt
    raise Stopped(signum)


@contextmanager
def stopping_on_signals():
    """While cg runs, a signal that would end it unwinds it instead (Stopped, or
    KeyboardInterrupt for Ctrl-C), so that its temporary files are removed. A
    signal that was ignored when cg started (nohup) stays ignored."""
    previous = {}
    try:
        for signum in _STOPPING:
            handler = signal.getsignal(signum)
            if handler is not signal.SIG_IGN:
                previous[signum] = signal.signal(signum, _stop)
    except ValueError:  # not the main thread: signals are not ours to take
        pass
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for temporary in list(_temporaries):
            _remove(temporary)


# ------------------------------------------------------------------ consoles


def columns(stream) -> int:
    """The width to lay out text for: COLUMNS when it is a positive whole number, else
    the width of the terminal `stream` writes to, else (output to a pipe or a file,
    `cg ... | less`) of the terminal standard error shows, else 80; kept within
    MIN_WIDTH and MAX_WIDTH. No value of COLUMNS can make the output empty (Rich takes
    COLUMNS=0 as given)."""
    setting = os.environ.get("COLUMNS", "").strip().lstrip("0")
    if setting.isascii() and setting.isdigit():  # not 0, not negative, not "80px"
        return min(max(int(setting[:5]), MIN_WIDTH), MAX_WIDTH)  # [:5]: no 5000-digit int
    for terminal in (stream, sys.stderr):
        try:
            width = os.get_terminal_size(terminal.fileno()).columns if terminal.isatty() else 0
        except (AttributeError, ValueError, OSError):
            width = 0
        if width > 0:
            return min(max(width, MIN_WIDTH), MAX_WIDTH)
    return 80


def console(file=None, stderr: bool = False, width: int | None = None):
    """A Rich console that decides colour itself: none on a pipe, none under NO_COLOR;
    `width` columns wide (by default as columns() says)."""
    from rich.console import Console

    stream = file or (sys.stderr if stderr else sys.stdout)
    # Both given, so that Rich reads neither COLUMNS nor LINES (it takes COLUMNS=0 as
    # given, and a 5000-digit value raises); cg's output does not depend on the height.
    size = {"width": width or columns(stream), "height": 25}
    return Console(file=file, stderr=stderr, highlight=False, **size)


def speaks_unicode(stream) -> bool:
    """Whether the stream can carry the symbols the views use (∂, ·, box lines)."""
    try:
        "\u2202\u00b7\u2502".encode(stream.encoding or "ascii")
    except (AttributeError, UnicodeEncodeError, LookupError):
        return False
    return True
