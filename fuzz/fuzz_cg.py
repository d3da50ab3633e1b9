"""Fuzz target: every command of `cg` and every way input reaches it, in one run.

    pip install atheris
    python fuzz/fuzz_cg.py -max_total_time=1800 -max_len=4096 -timeout=60 \\
        -rss_limit_mb=4096 fuzz/corpus fuzz/seeds fuzz/crashes   # stops at the first crash
    CG_FUZZ_CRASHES=fuzz/found python fuzz/fuzz_cg.py ...   # records each distinct crash, goes on
    python fuzz/fuzz_cg.py --show FILE...                   # the case a fuzz input becomes, run

An input is split by atheris.FuzzedDataProvider into a case (cases.py): the
command (eval, graph, explain, eval --batch) and its options, the program (an
argument, -f FILE or standard input), bindings (numbers, fractions, arrays,
@file.npy/.csv/.json), --values FILE, the batch file, -o FILE, COLUMNS and
NO_COLOR. The case runs in this process, in a fresh directory, with at most
CG_FUZZ_SECONDS (10) seconds of CPU time and CG_FUZZ_MEMORY_MB (2048) MiB of
address space beyond what the process holds; oracle.py says what a crash is.

With CG_FUZZ_CRASHES=DIR the run goes on past a crash: the smallest input of each
distinct crash (its kind and where in cg it happened) is kept in DIR, with a
.txt file that shows its case and traceback, and DIR/summary.tsv counts them.
CG_FUZZ_ONLY=TEXT counts only the crashes whose signature holds TEXT (to
minimise one with -minimize_crash=1). Every crash found becomes a test in
tests/test_fuzz_regressions.py, and its input a file in fuzz/crashes/.
"""

from __future__ import annotations

import hashlib
import os
import pkgutil
import re
import sys

# One thread for numpy: the machine is shared, and a case is small.
for _name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import atheris  # noqa: E402

# The commands import what they need when they run: import all of cg here, so
# that all of it is instrumented for coverage.
with atheris.instrument_imports(include=["cgcli"]):
    import cgcli

    for _module in pkgutil.walk_packages(cgcli.__path__, "cgcli."):
        if not _module.name.endswith("__main__"):
            __import__(_module.name)

import cases  # noqa: E402
import oracle  # noqa: E402
from draw import Draw  # noqa: E402

SECONDS = float(os.environ.get("CG_FUZZ_SECONDS", "10"))
MEMORY = int(os.environ.get("CG_FUZZ_MEMORY_MB", "2048")) << 20
CRASHES = os.environ.get("CG_FUZZ_CRASHES")
ONLY = os.environ.get("CG_FUZZ_ONLY")


class Crash(Exception):
    pass


def case_of(data: bytes) -> oracle.Case:
    return cases.build(Draw(atheris.FuzzedDataProvider(data)))


def describe(case: oracle.Case, outcome: oracle.Outcome, found) -> str:
    lines = [
        f"crash: {found.signature}" if found else "no crash",
        f"argv: {case.argv!r}",
        *(
            f"file {name}: {content[:300]!r}{' ...' * (len(content) > 300)}"
            for name, content in case.files.items()
        ),
        *([f"stdin: {case.stdin[:300]!r}"] if case.stdin else []),
        *([f"env: {case.env!r}"] if case.env else []),
        f"exit: {outcome.code}",
        "stdout:",
        outcome.stdout[:2000],
        "stderr:",
        outcome.stderr[:2000],
    ]
    if outcome.output is not None:
        lines += ["-o file:", outcome.output[:2000].decode("utf-8", "replace")]
    if outcome.error:
        lines += ["traceback:", outcome.error]
    return "\n".join(lines)


_seen: dict[str, list] = {}  # signature: [count, size of the smallest input]


def record(found, data: bytes, case, outcome) -> None:
    entry = _seen.setdefault(found.signature, [0, None])
    entry[0] += 1
    if entry[1] is None or len(data) < entry[1]:
        entry[1] = len(data)
        slug = re.sub(r"[^A-Za-z0-9]+", "-", found.signature).strip("-")[:60]
        stem = f"{slug}-{hashlib.sha1(found.signature.encode()).hexdigest()[:8]}"
        os.makedirs(CRASHES, exist_ok=True)
        with open(os.path.join(CRASHES, stem), "wb") as handle:
            handle.write(data)
        with open(os.path.join(CRASHES, stem + ".txt"), "w") as handle:
            handle.write(describe(case, outcome, found) + "\n")
    if entry[0] == 1 or entry[0] % 100 == 0:
        with open(os.path.join(CRASHES, "summary.tsv"), "w") as handle:
            handle.write("hits\tsmallest\tcrash\n")
            for signature, (hits, size) in sorted(_seen.items()):
                handle.write(f"{hits}\t{size}\t{signature}\n")


def test_one_input(data: bytes) -> None:
    case = case_of(data)
    outcome = oracle.run(case, SECONDS, MEMORY)
    found = oracle.problem(case, outcome)
    if found is None or (ONLY and ONLY not in found.signature):
        return
    if CRASHES:
        record(found, data, case, outcome)
        return
    raise Crash(describe(case, outcome, found))


def show(paths: list[str]) -> None:
    for path in paths:
        with open(path, "rb") as handle:
            data = handle.read()
        case = case_of(data)
        outcome = oracle.run(case, SECONDS, MEMORY)
        print(f"== {path}\n{describe(case, outcome, oracle.problem(case, outcome))}\n")


if __name__ == "__main__":
    if sys.argv[1:2] == ["--show"]:
        show(sys.argv[2:])
    else:
        atheris.Setup(sys.argv, test_one_input)
        atheris.Fuzz()
