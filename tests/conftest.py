"""Shared helpers: run the real `cg` entry point and capture what a user would see."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from cgcli.cli import main


@dataclass
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self):
        return strict_json(self.stdout)


def strict_json(text: str):
    """json.loads that refuses NaN and Infinity literals, as RFC 8259 does."""

    def refuse(literal):
        raise ValueError(f"non-standard JSON literal {literal}")

    return json.loads(text, parse_constant=refuse)


def run_cg(*args: str, input: str | bytes | None = None, env=None) -> Run:
    runner = CliRunner()
    with runner.isolation(input=input, env=env) as (out, err, _):
        try:
            main(list(args))
            code = 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else 1
        stdout, stderr = out.getvalue(), err.getvalue()
    return Run(code, stdout.decode(), stderr.decode())


@pytest.fixture
def cg():
    return run_cg


# Property tests: the default run stays under a minute; --hypothesis-profile=long
# runs many more cases.
from hypothesis import HealthCheck, settings  # noqa: E402

# The default run is derandomized: the same examples every run, so that CI on a clean
# clone passes or fails for the code, not for the draw. --hypothesis-profile=long
# explores new ones.
settings.register_profile(
    "cg",
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile("cg")
