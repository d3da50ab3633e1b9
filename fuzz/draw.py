"""Choices drawn from fuzz bytes, and the bytes that give chosen answers (for seeds).

In a fuzz run a Draw reads atheris.FuzzedDataProvider; to write a seed, Script
answers each choice by its name from a dictionary and writes the bytes that make
the provider give the same answers, so that a seed is written as what it means.
"""

from __future__ import annotations


class Draw:
    """Choices drawn from atheris.FuzzedDataProvider: numbers from the end of the
    input, bytes from its start (as the provider does)."""

    def __init__(self, provider):
        self.provider = provider

    def int(self, name: str, low: int, high: int) -> int:
        return self.provider.ConsumeIntInRange(low, high)

    def bytes(self, name: str, most: int) -> bytes:
        return self.provider.ConsumeBytes(self.provider.ConsumeIntInRange(0, most))

    def pick(self, name: str, options: list):
        return options[self.int(name, 0, len(options) - 1)]

    def flag(self, name: str) -> bool:
        return bool(self.int(name, 0, 1))


class Script(Draw):
    """A Draw that answers from `answers` by name (the first option, 0 or b"" where
    not given) and records the input that makes the provider answer the same."""

    def __init__(self, answers: dict):
        self.answers, self.head, self.tail = dict(answers), bytearray(), bytearray()

    def _number(self, value: int, span: int) -> None:
        # The provider reads one byte (from the end) per 8 bits of the span.
        size = 0
        while span >> (8 * size):
            size += 1
        for i in reversed(range(size)):
            self.tail.append(value >> (8 * i) & 255)

    def int(self, name, low, high):
        value = self.answers.pop(name, low)
        assert low <= value <= high, (name, value)
        self._number(value - low, high - low)
        return value

    def bytes(self, name, most):
        value = self.answers.pop(name, b"")
        value = value.encode("utf-8", "surrogateescape") if isinstance(value, str) else value
        assert len(value) <= most, (name, len(value))
        self._number(len(value), most)
        self.head += value
        return value

    def pick(self, name, options):
        if name in self.answers:  # a seed names the option, not its place
            self.answers[name] = options.index(self.answers[name])
        return options[self.int(name, 0, len(options) - 1)]

    def data(self) -> bytes:
        assert not self.answers, f"never asked: {sorted(self.answers)}"
        return bytes(self.head) + bytes(reversed(self.tail))
