"""What a batch's rows are, as its readers give them and its writer counts them: a
request (which columns), a chunk of rows, and the summary of what was done, with
the memory shares that bound a chunk."""

from __future__ import annotations

import numpy as np

from ..errors import UsageError, shown
from ..interpret.batch import CHUNK
from ..interpret.budget import DEFAULT
from ..interpret.diagnose import Notice

# A batch reads within a share of the default memory budget, whatever --max-memory
# says (it bounds the bindings and the evaluation of one point).
CHUNK_BYTES = DEFAULT // 64  # characters of text, or bytes of an array, read a chunk


class Request:
    """What a batch asks of its file: the inputs it needs, the columns to keep,
    the names already bound on the command line, how many rows a chunk, and the
    memory budget that what a file says about its own parts is checked against."""

    def __init__(
        self, needed, keep=(), bound=(), rows: int = CHUNK, skip_bad: bool = False, budget=None
    ):
        self.needed, self.keep, self.bound = list(needed), list(keep), list(bound)
        self.rows, self.skip_bad = rows, skip_bad
        self.budget = DEFAULT if budget is None else budget


class Chunk:
    """Rows of input: the values of each column as arrays, each row's line number,
    and the values of the columns kept, a list a column (an Arrow array, from Parquet)."""

    def __init__(self, columns: dict[str, np.ndarray], lines: np.ndarray, kept=None):
        self.columns, self.lines = columns, lines
        self.kept: dict[str, list] = kept or {}


class Summary:
    """What a batch did: rows written, rows skipped and where, rows not finite, and
    the columns of the file that it did not write."""

    MAX_NAMES = 1000  # columns not written that are remembered by name

    def __init__(self, notices: list[Notice] = ()):
        self.found = list(notices)  # known before the first row: bindings not used
        self.rows = 0
        self.unit = "line"  # how the file's rows are numbered: a .npy's by row
        self.skipped: list[int] = []  # line (or row) numbers
        self.not_finite = 0
        self.first_not_finite: int | None = None
        self.unwritten: dict[str, None] = {}  # in the file's order
        self.unwritten_kind = "column"
        self.more_unwritten = False

    def not_written(self, kind: str, names) -> None:
        self.unwritten_kind = kind
        for name in names:
            if name in self.unwritten:
                continue
            if len(self.unwritten) == self.MAX_NAMES:
                self.more_unwritten = True
                return
            self.unwritten[name] = None

    def notices(self) -> list[Notice]:
        found = list(self.found)
        if self.unwritten:
            found.append(self._unwritten())
        if self.skipped:
            many = len(self.skipped) > 1
            lines = ", ".join(map(str, self.skipped[:10])) + (", ..." * (len(self.skipped) > 10))
            found.append(
                Notice(
                    "skipped",
                    f"skipped {len(self.skipped)} bad row{'s' * many} (line{'s' * many} {lines})",
                )
            )
        if self.not_finite:
            found.append(
                Notice(
                    "value",
                    f"{self.not_finite} row{'s' * (self.not_finite > 1)} "
                    f"{'have' if self.not_finite > 1 else 'has'} a value or derivative that "
                    f"is not finite (the first at {self.unit} {self.first_not_finite})",
                )
            )
        return found

    def _unwritten(self) -> Notice:
        names = [shown(name, 40) for name in list(self.unwritten)[:5]]
        listed = ", ".join(names)
        if self.more_unwritten:
            listed += " and more"
        elif len(self.unwritten) > 5:
            listed += f" and {len(self.unwritten) - 5} more"
        one = len(self.unwritten) == 1
        they, are = ("it", "is") if one else ("them", "are")
        return Notice(
            "unused",
            f"the {self.unwritten_kind}{'' if one else 's'} {listed} {are} not written: the "
            f"program does not use {they} (--keep {','.join(names)} writes {they})",
        )


def check_names(names: list[str], request: Request, where: str, kind: str, summary, hint=None):
    """The names a file offers (a CSV header, an .npz's arrays, a .npy's fields)
    against those the batch asks for; those it does not use are noted."""
    present = set(names)
    clash = [name for name in request.bound if name in present]
    if clash:
        raise UsageError(
            f"{clash[0]} is given twice: bound on the command line and as a {kind} of {where}",
            f"Give it one value: drop {clash[0]}=... to take each row's, or give the "
            f"file without that {kind}.",
        )
    wanted = request.needed + request.keep
    missing = [name for name in wanted if name not in present]
    if missing:
        listed = ", ".join(shown(name) for name in missing[:10])
        raise UsageError(f"{where} has no {kind} for {listed}", hint)
    if len(present) < len(names):
        counts: dict[str, int] = {}
        for name in names:
            counts[name] = counts.get(name, 0) + 1
        twice = [name for name in wanted if counts[name] > 1]
        if twice:
            raise UsageError(
                f"{where} has {counts[twice[0]]} {kind}s named {shown(twice[0])}",
                "Give each column one name, so that cg knows which to take.",
            )
    used = set(wanted)
    summary.not_written(kind, [name for name in names if name and name not in used])
