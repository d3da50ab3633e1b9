"""The memory budget: how much memory the arrays of one evaluation may take.

Shape inference knows every array's size before anything is computed, and a
.npy header says how large its array is before it is read; each large
allocation (a node's value, the values and derivatives of all of them, a
Jacobian, an array read from a file) is compared with the budget first and
refused, with exit code 2, when it would not fit. `--max-memory SIZE` on the
command line and `max_memory=` in `cgcli.run` set it; 1 GiB unless told.
"""

from __future__ import annotations

import re

from ..errors import UsageError, shown

DEFAULT = 1 << 30  # 1 GiB
FLOAT = 8  # bytes of a float64
UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
# At most 15 digits before the point: a size is read without ever meeting Python's
# limit on the digits of an integer.
# (Compiled when first used: a run that keeps the default never needs it.)
SIZE = r"\s*([0-9]{1,15}(?:\.[0-9]{0,6})?|\.[0-9]{1,6})\s*([KMGT]?)(?:i?B)?\s*\Z"


class BudgetError(UsageError):
    """An array, or all of them, would take more memory than the budget allows."""


def parse_size(text) -> int:
    """Bytes, from 512M, 4G, 1.5G, 2GiB, 64MB or a number of bytes (K, M, G, T are
    powers of 1024)."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text <= 0:
            raise ValueError(f"a memory budget must be positive, not {text}")
        return text
    match = re.match(SIZE, text, re.I) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"'{shown(str(text), 30)}' is not a size such as 512M, 4G or 1.5G")
    number, unit = match.groups()
    size = int(float(number) * UNITS[unit.upper()])
    if size <= 0:
        raise ValueError(f"a memory budget must be positive, not {text.strip()}")
    return size


def show_size(nbytes: int) -> str:
    """74.5 GiB, 512 MiB, 800 bytes: as numpy words its own MemoryError."""
    for unit, scale in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if nbytes >= scale:
            amount = nbytes / scale
            return f"{amount:.3g} {unit}" if amount < 100 else f"{amount:,.0f} {unit}"
    return f"{nbytes} bytes"


def check_budget(nbytes: int, what: str, budget: int | None) -> None:
    """Refuse (exit code 2) `what` when it would take more than `budget` bytes; None
    is no budget at all. `what` says what would be allocated, as in "t1 = x @ y, an
    array of shape (100000,100000),"."""
    if budget is not None and nbytes > budget:
        raise BudgetError(
            f"{what} would take {show_size(nbytes)}, more than the memory budget of "
            f"{show_size(budget)}",
            "Raise it with --max-memory SIZE (as in --max-memory 8G) if the machine has "
            "the memory, or make the arrays smaller.",
        )
