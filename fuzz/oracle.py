"""What counts as a crash of `cg`, and how one case is run in this process.

A case is the command line, the files it names (written into a fresh directory,
which is the working directory while it runs), its standard input and the
environment variables it sets. The fuzz target (fuzz_cg.py) and the regression
tests (tests/test_fuzz_regressions.py) both judge a case with `problem`, so the
two agree on what a crash is.

A crash is anything but an answer or a clear refusal:
- an exit code other than 0, 1 or 2, or an exception that escapes `main`;
- a Python traceback, "internal error", or a Python warning on standard error;
- a failure (exit 1 or 2) that does not say `error:` (or click's `Usage:`);
- colour codes, or any other control character but a new line or a tab, in
  what cg writes to a pipe or a file;
- success (exit 0) with nothing written, or JSON that is not strict RFC 8259;
- `-o FILE` that is changed by a failed run, written beside, or left with a
  temporary file;
- more than the time or memory given to one case.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import signal
import sys
import tempfile
import traceback
import warnings
from dataclasses import dataclass, field

import cgcli.cli
import cgcli.io.streams
from cgcli.cli import main

# cg in a process of its own takes every signal that would end it, to remove its
# temporary file (io/streams.stopping_on_signals). Here it shares the process with
# the harness: the CPU timer below is SIGPROF, and libFuzzer checks its -timeout on
# SIGALRM with a handler of its own that Python cannot put back. Those two stay ours.
_OURS = {signal.SIGPROF, signal.SIGALRM}
cgcli.io.streams._STOPPING[:] = [s for s in cgcli.io.streams._STOPPING if s not in _OURS]

# What the user's environment may hold that would change colour or width.
SCRUBBED = ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "COLUMNS", "LINES")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
SGR = re.compile(r"\x1b\[[0-9;]*m")
PYTHON_WARNING = re.compile(r"\b\w*Warning: ")
FAILURE = re.compile(r"^(error:|Usage:|Error:)", re.M)


@dataclass
class Case:
    argv: list[str]
    files: dict[str, bytes] = field(default_factory=dict)
    stdin: bytes = b""
    env: dict[str, str] = field(default_factory=dict)


@dataclass
class Outcome:
    code: int | None  # None: no exit (an exception escaped, or the time ran out)
    stdout: str
    stderr: str
    output: bytes | None  # what -o FILE holds afterwards (None: no such file)
    leftovers: list[str]  # files in the directory that the case did not bring
    error: str | None = None  # the traceback of an internal error or an escaped exception
    where: str = ""  # the innermost cg frame of that traceback: module.function
    kind: str = ""  # "hang", "memory" or the escaped exception's type


@dataclass
class Problem:
    kind: str
    detail: str

    @property
    def signature(self) -> str:
        return f"{self.kind}: {self.detail}"


class OutOfTime(BaseException):
    """Raised by the CPU timer; a BaseException, so that cg's last-resort handler passes
    it on as it would pass on a signal that ends the process."""


def _out_of_time(signum, frame):
    raise OutOfTime


# cg reports an internal error from inside its `except` block: keep the exception
# it is handling, for its traceback.
_caught: list = []
_report = cgcli.cli.report


def _keep_and_report(error):
    if error.message.startswith("internal error"):
        _caught.append(sys.exc_info())
    _report(error)


cgcli.cli.report = _keep_and_report


def _show_warning(message, category, filename, lineno, file=None, line=None):
    sys.stderr.write(warnings.formatwarning(message, category, filename, lineno, line))


def _where(tb) -> str:
    frames = [f for f in traceback.extract_tb(tb) if f"{os.sep}cgcli{os.sep}" in f.filename]
    if not frames:
        return "outside cgcli"
    frame = frames[-1]
    module = frame.filename.rsplit(f"{os.sep}cgcli{os.sep}", 1)[1].removesuffix(".py")
    return f"{module.replace(os.sep, '.')}.{frame.name}"


def _virtual_size() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")


def output_path(argv: list[str]) -> str | None:
    """The FILE of -o FILE (or --output FILE, --output=FILE), before any '--'."""
    for i, arg in enumerate(argv):
        if arg == "--":
            return None
        if arg in ("-o", "--output"):
            return argv[i + 1] if i + 1 < len(argv) else None
        if arg.startswith("--output="):
            return arg.partition("=")[2]
    return None


def options(argv: list[str]) -> list[str]:
    return argv[: argv.index("--")] if "--" in argv else argv


def run(case: Case, seconds: float | None = None, memory: int | None = None) -> Outcome:
    """Run the case in this process: at most `seconds` of CPU time and `memory` bytes
    more address space than the process has now (a MemoryError past that)."""
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="strict")
    stderr = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", errors="backslashreplace")
    stdin = io.TextIOWrapper(io.BytesIO(case.stdin), encoding="utf-8")
    saved_env = {name: os.environ.get(name) for name in (*SCRUBBED, *case.env)}
    saved_limit = resource.getrlimit(resource.RLIMIT_AS)
    here = os.getcwd()
    code, error, where, kind = None, None, "", ""
    del _caught[:]
    with tempfile.TemporaryDirectory(prefix="cg-fuzz-") as directory:
        for name, content in case.files.items():
            path = os.path.join(directory, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as handle:
                handle.write(content)
        for name in SCRUBBED:
            os.environ.pop(name, None)
        os.environ.update(case.env)
        os.chdir(directory)
        previous = signal.signal(signal.SIGPROF, _out_of_time)
        try:
            with (
                contextlib.redirect_stdout(stdout),
                contextlib.redirect_stderr(stderr),
                warnings.catch_warnings(),
            ):
                # Every time, as a fresh process would show it once; not the kinds
                # a fresh process does not show (an unclosed file is a ResourceWarning).
                warnings.simplefilter("always")
                warnings.showwarning = _show_warning  # to stderr, even under pytest
                for quiet in (ResourceWarning, DeprecationWarning, PendingDeprecationWarning):
                    warnings.simplefilter("ignore", quiet)
                sys.stdin = stdin
                if memory is not None:
                    limit = _virtual_size() + memory
                    resource.setrlimit(resource.RLIMIT_AS, (limit, saved_limit[1]))
                if seconds is not None:
                    signal.setitimer(signal.ITIMER_PROF, seconds)
                try:
                    main(list(case.argv))
                except SystemExit as exit_:
                    code = exit_.code if isinstance(exit_.code, int) else 1
                finally:
                    signal.setitimer(signal.ITIMER_PROF, 0)
                    resource.setrlimit(resource.RLIMIT_AS, saved_limit)
        except OutOfTime as exc:
            error, where, kind = (
                "".join(traceback.format_exception(exc)),
                _where(exc.__traceback__),
                "hang",
            )
        except BaseException as exc:  # an exception that escaped cg's main
            error, where, kind = (
                "".join(traceback.format_exception(exc)),
                _where(exc.__traceback__),
                type(exc).__name__,
            )
        finally:
            signal.signal(signal.SIGPROF, previous)
            sys.stdin = sys.__stdin__
            os.chdir(here)
            for name, value in saved_env.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        if _caught and error is None:
            exc = _caught[-1][1]
            error, where = "".join(traceback.format_exception(exc)), _where(exc.__traceback__)
            kind = "memory" if isinstance(exc, MemoryError) else type(exc).__name__
        target = output_path(case.argv)
        output = None
        if target not in (None, "-"):
            with contextlib.suppress(OSError), open(os.path.join(directory, target), "rb") as f:
                output = f.read()
        leftovers = sorted(
            os.path.relpath(os.path.join(root, name), directory)
            for root, _, names in os.walk(directory)
            for name in names
        )
        leftovers = [n for n in leftovers if n not in case.files and n != target]
    for stream in (stdout, stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    return Outcome(
        code,
        stdout.buffer.getvalue().decode("utf-8", "replace"),
        stderr.buffer.getvalue().decode("utf-8", "replace"),
        output,
        leftovers,
        error,
        where,
        kind,
    )


def _strict(text: str):
    def refuse(literal):
        raise ValueError(f"{literal} is not JSON")

    return json.loads(text, parse_constant=refuse)


def _shape_of_line(line: str, width: int = 40) -> str:
    """A message line with what varies taken out: quoted text, numbers, control characters."""
    line = re.sub(r"'[^']*'|\"[^\"]*\"|\([^)]*\)", "'…'", line)
    line = CONTROL.sub("", re.sub(r"\d+", "N", line))
    return line.strip()[:width]


def _paragraph(text: str) -> str:
    """Where the first control character is: the start of the message that holds it
    (the error: or warning: line above it), or the output's first line."""
    lines = text.split("\n")
    at = next(i for i, line in enumerate(lines) if CONTROL.search(line))
    start = next(
        (i for i in range(at, -1, -1) if lines[i].startswith(("error:", "warning:"))), None
    )
    if start is None:
        return "in the output"
    # The message's own words: up to the first quote, where the echoed text starts.
    return _shape_of_line(re.split(r"['\"\x00-\x1f\x7f-\x9f]", lines[start])[0], 30)


def problem(case: Case, outcome: Outcome) -> Problem | None:
    """The first way in which the outcome is not an answer or a clear refusal, if any."""
    out, err, code = outcome.stdout, outcome.stderr, outcome.code
    flags = options(case.argv)
    command = case.argv[0] if case.argv else ""
    if outcome.kind == "hang":
        return Problem("hang", f"{command} in {outcome.where}")
    if outcome.error is not None:
        what = "memory" if outcome.kind == "memory" else "internal error"
        if code is None:
            what = "escaped exception"
        first = outcome.error.rstrip().splitlines()[-1]
        exception = first.split(":", 1)[0]
        return Problem(what, f"{exception} in {outcome.where}")
    if code not in (0, 1, 2):
        return Problem("exit code", f"{command} exits {code}")
    for name, text in (("standard error", err), ("standard output", out)):
        if "Traceback (most recent call last)" in text:
            return Problem("traceback", f"on {name}")
    if "internal error" in err:
        line = next(line for line in err.splitlines() if "internal error" in line)
        return Problem("internal error", _shape_of_line(line))
    warned = PYTHON_WARNING.search(err)
    if warned:
        line = next(line for line in err.splitlines() if PYTHON_WARNING.search(line))
        return Problem("python warning", _shape_of_line(line.rsplit(":", 2)[-2]))
    if code != 0 and not FAILURE.search(err):
        return Problem("silent failure", f"{command} exits {code} with {_shape_of_line(err)!r}")
    target = output_path(case.argv)
    written = out if target in (None, "-") else (outcome.output or b"").decode("utf-8", "replace")
    given = "".join(case.argv) + case.stdin.decode("utf-8", "replace")
    given += "".join(c.decode("utf-8", "replace") for c in case.files.values())
    for text in (written, err):
        if CONTROL.search(text):
            kind = "colour codes" if SGR.search(text) and "\x1b" not in given else None
            return Problem(kind or "control characters", _paragraph(text))
    if target not in (None, "-"):
        before = case.files.get(target)
        if code != 0 and outcome.output != before:
            return Problem("-o not atomic", f"{command} exits {code} and changes {target}")
        if out:
            return Problem("-o", "writes to standard output as well")
    if outcome.leftovers:
        return Problem("leftover files", f"{command} leaves {outcome.leftovers[0]}")
    if code != 0:
        return None
    batch = "--batch" in flags or any(f.startswith("--batch=") for f in flags)
    as_json = "--json" in flags or "json" in _formats(flags)
    if not written and not (batch and as_json):
        return Problem("empty output", f"{command} exits 0 and writes nothing")
    if as_json and written:
        try:
            documents = (
                [_strict(line) for line in written.splitlines() if line.strip()]
                if batch
                else [_strict(written)]
            )
        except ValueError as err_:
            return Problem("invalid json", f"{command}: {str(err_)[:40]}")
        if not batch and not all(isinstance(d, dict) and "schema" in d for d in documents):
            return Problem("invalid json", f"{command}: not an object with a schema key")
    return None


def _formats(flags: list[str]) -> list[str]:
    found = []
    for i, flag in enumerate(flags):
        if flag == "--format" and i + 1 < len(flags):
            found.append(flags[i + 1])
        elif flag.startswith("--format="):
            found.append(flag.partition("=")[2])
    return found
