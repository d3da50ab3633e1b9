"""What a value is: a float64, a numpy array, or (under --exact) a Fraction.

These checks do not import `fractions` (and with it `decimal`) to ask: if it was
never imported, no value can be a Fraction. A one-shot `cg` spares the import.
"""

from __future__ import annotations

import sys

import numpy as np


def is_fraction(value) -> bool:
    fractions = sys.modules.get("fractions")
    return fractions is not None and type(value) is fractions.Fraction


def to_float(value):
    """A Fraction as the nearest float64 (inf past the largest); anything else as it is."""
    if is_fraction(value):
        try:
            return np.float64(float(value))
        except OverflowError:
            return np.float64(np.inf if value > 0 else -np.inf)
    return value
