"""`cg diff` of the wide expression W2, beside `cg eval` of the same text and beside SymPy.

    python benchmarks/diff.py [--quick] [--no-sympy]

W2 is benchmarks/run.py's: sum over i of sin(x_i)*x_{i+1} + exp(-x_i^2)/(1+x_i^2),
n = 100, 1,000, 10,000 inputs. For each n, in this process, best of 3, with the
cyclic collector as the CLI has it (off where cg turns it off, on elsewhere):

- t_eval: `cg eval` from text to the printed table: cgcli.run, then render/table
  laid out by Rich at 80 columns into a string;
- t_diff: `cg diff` from text to the printed formulas: language/parse.parse,
  transform/diff.differentiate, render/diff.text;
- the sizes of the derivative: the program's operations (forward), the distinct
  operations all partials need (shared, what cg prints) and the same written as
  trees (tree);
- SymPy on the same text, in a fresh process with 60 s a step: parse_expr, diff by
  every input, cse of all partials; its operations are count_ops of cse's output.

Then the --json variants of both commands, the whole CLI as a fresh process at one
n (what start-up adds), and where cg diff's time goes at the largest n.
Every ratio is of two timings taken in this run: these machines are shared and noisy.
--quick stops at n = 1,000 and takes the best of 2.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import selectors
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from run import compile_bytecode, process, wide  # noqa: E402 (benchmarks/run.py)

import cgcli  # noqa: E402
from cgcli.emit.formula import shared_size, tree_size  # noqa: E402
from cgcli.language.parse import parse  # noqa: E402
from cgcli.render import Notation  # noqa: E402
from cgcli.render import diff as diff_view  # noqa: E402
from cgcli.transform import diff as diff_transform  # noqa: E402
from cgcli.transform import rewrite  # noqa: E402

SYMPY_STEP = 60.0  # seconds SymPy gets for each step


def best(fn, repeat: int) -> float:
    """The least of `repeat` timings, each after a collection (as a fresh process has
    no garbage of earlier runs to scan)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def eval_table(source: str, values: dict) -> str:
    """`cg eval SOURCE --values ...`: the value and gradient, then the table as printed."""
    from rich.console import Console

    from cgcli.render.table import table

    result = cgcli.run(source, values)
    out = io.StringIO()
    console = Console(file=out, width=80, height=25, highlight=False)
    console.print(table(result, False, None, Notation(), 80), crop=False)
    return out.getvalue()


def eval_json(source: str, values: dict) -> str:
    from cgcli.render.jsonout import write

    out = io.StringIO()
    write(out, cgcli.run(source, values))
    return out.getvalue()


def differentiated(source: str):
    return diff_transform.differentiate(parse(source))


def diff_text(source: str) -> str:
    """`cg diff SOURCE`: the formulas as printed."""
    return diff_view.text(differentiated(source), source, Notation())


def diff_json(source: str) -> str:
    return diff_view.document(differentiated(source), source)


SYMPY_CHILD = """
import sys, time
sys.path.insert(0, {here!r})
from run import wide
import sympy
text, values = wide({n})
symbols = [sympy.Symbol(name) for name in values]
def step(name, start):
    print(name, time.perf_counter() - start, flush=True)
start = time.perf_counter()
f = sympy.parse_expr(text.replace("^", "**"), local_dict={{s.name: s for s in symbols}})
step("parse", start)
start = time.perf_counter()
partials = [sympy.diff(f, s) for s in symbols]
step("diff", start)
start = time.perf_counter()
replacements, reduced = sympy.cse(partials)
step("cse", start)
ops = sum(sympy.count_ops(e) for _, e in replacements) + sum(sympy.count_ops(e) for e in reduced)
print("ops", ops, flush=True)
"""


def sympy_run(n: int) -> dict:
    """SymPy's seconds per step (None for one that did not finish in SYMPY_STEP) and
    the operations of cse's output, from a fresh process."""
    child = subprocess.Popen(
        [sys.executable, "-c", SYMPY_CHILD.format(here=HERE, n=n)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    found = {"parse": None, "diff": None, "cse": None, "ops": None}
    selector = selectors.DefaultSelector()
    selector.register(child.stdout, selectors.EVENT_READ)
    try:
        for _ in found:
            if not selector.select(timeout=SYMPY_STEP):
                break  # this step did not finish in time
            line = child.stdout.readline()
            if not line:
                break
            key, value = line.split()
            found[key] = float(value)
    finally:
        child.kill()
        child.wait()
    return found


def sympy_seconds(found: dict) -> str:
    """parse + diff + cse, or where it stopped: > 60 s (diff)."""
    total = 0.0
    for step in ("parse", "diff", "cse"):
        if found[step] is None:
            return f"> {SYMPY_STEP:.0f} s ({step})"
        total += found[step]
    return f"{total:.2f}"


class Stopwatch:
    """Seconds spent in a module's function, while cg diff runs as usual."""

    def __init__(self, module, name: str):
        self.module, self.name, self.seconds = module, name, 0.0
        self.original = getattr(module, name)

    def __enter__(self):
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return self.original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start

        setattr(self.module, self.name, timed)
        return self

    def __exit__(self, *exc):
        setattr(self.module, self.name, self.original)


def breakdown(source: str, repeat: int) -> list[tuple[str, float]]:
    """cg diff's time by stage, from the best of `repeat` whole runs."""
    runs = []
    for _ in range(repeat):
        gc.collect()
        with (
            Stopwatch(diff_transform, "grad") as g,
            Stopwatch(rewrite, "simplify") as s,
        ):
            start = time.perf_counter()
            graph = parse(source)
            parsed = time.perf_counter()
            found = diff_transform.differentiate(graph)
            done = time.perf_counter()
            diff_view.text(found, source, Notation())
            printed = time.perf_counter()
        other = (done - parsed) - g.seconds - s.seconds
        runs.append(
            [
                ("parse (language/parse)", parsed - start),
                ("grad (transform/grad)", g.seconds),
                ("simplify (transform/rewrite)", s.seconds),
                ("the rest of differentiate", other),
                ("print (render/diff.text)", printed - done),
                ("total", printed - start),
            ]
        )
    return min(runs, key=lambda r: r[-1][1])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-sympy", action="store_true")
    parser.add_argument(
        "--json-up-to",
        type=int,
        default=1_000,
        metavar="N",
        help="time cg diff --json up to N inputs (it writes LaTeX per partial: slow past 10^3)",
    )
    args = parser.parse_args()
    sizes = [100, 1_000] if args.quick else [100, 1_000, 10_000]
    repeat = 2 if args.quick else 3
    compile_bytecode()

    rows, json_rows = [], []
    for n in sizes:
        source, values = wide(n)
        found = differentiated(source)
        partials = list(found.partials.values())
        sizes_ = (
            found.forward_nodes,
            shared_size(found.graph, partials),
            tree_size(found.graph, partials),
        )
        del found
        t_eval = best(lambda s=source, v=values: eval_table(s, v), repeat)
        t_diff = best(lambda s=source: diff_text(s), repeat)
        j_eval = best(lambda s=source, v=values: eval_json(s, v), repeat)
        j_diff = None
        if n <= args.json_up_to:
            j_diff = best(lambda s=source: diff_json(s), 1 if n > 1_000 else repeat)
        sympy = None if args.no_sympy else sympy_run(n)
        rows.append((n, *sizes_, t_eval, t_diff, sympy))
        json_rows.append((n, j_eval, j_diff))

    print(f"W2: cg diff (text to formulas) beside cg eval (text to table), best of {repeat}")
    print(
        f"{'n':>7}{'forward':>9}{'shared':>8}{'tree':>8}{'sympy':>8}"
        f"{'t_eval':>9}{'t_diff':>9}{'diff/eval':>10}{'t(10n)/t(n)':>12}  t_sympy"
    )
    units = f"{'ops':>9}{'ops':>8}{'ops':>8}{'ops':>8}{'s':>9}{'s':>9}"
    print(f"{'':7}{units}{'<= 3':>10}{'<= 11':>12}")
    previous = None
    for n, forward, shared, tree, t_eval, t_diff, sympy in rows:
        growth = f"{t_diff / previous:12.2f}" if previous else " " * 12
        previous = t_diff
        ops = f"{sympy['ops']:8.0f}" if sympy and sympy["ops"] is not None else f"{'-':>8}"
        t_sympy = sympy_seconds(sympy) if sympy else "-"
        print(
            f"{n:7,}{forward:9,}{shared:8,}{tree:8,}{ops}"
            f"{t_eval:9.3f}{t_diff:9.3f}{t_diff / t_eval:10.2f}{growth}  {t_sympy}"
        )
    if not args.no_sympy:
        print("\nSymPy's steps, seconds (a fresh process, 60 s a step):")
        for n, *_, sympy in rows:
            steps = ", ".join(
                f"{k} {'> 60' if sympy[k] is None else f'{sympy[k]:.2f}'}"
                for k in ("parse", "diff", "cse")
            )
            print(f"  n = {n:,}: {steps}")

    print("\n--json, the same work with JSON out (diff: best of 1 above n = 1,000)")
    print(f"{'n':>7}{'t_eval':>9}{'t_diff':>9}{'diff/eval':>10}")
    for n, j_eval, j_diff in json_rows:
        if j_diff is None:
            print(f"{n:7,}{j_eval:9.3f}  cg diff --json not timed (--json-up-to)")
        else:
            print(f"{n:7,}{j_eval:9.3f}{j_diff:9.3f}{j_diff / j_eval:10.2f}")

    n = 1_000
    source, values = wide(n)
    with tempfile.TemporaryDirectory() as folder:
        program = os.path.join(folder, "wide.cg")
        bound = os.path.join(folder, "wide.json")
        out = os.path.join(folder, "out.txt")
        with open(program, "w") as handle:
            handle.write(source)
        with open(bound, "w") as handle:
            json.dump(values, handle)
        p_eval, _ = process(["cgcli", "eval", "-f", program, "--values", bound, "-o", out], 5)
        p_diff, _ = process(["cgcli", "diff", "-f", program, "-o", out], 5)
        with open(out) as handle:
            assert handle.read() == diff_text(source), "the CLI printed other formulas"
    t_eval = best(lambda: eval_table(source, values), repeat)
    t_diff = best(lambda: diff_text(source), repeat)
    print(f"\nthe CLI as a fresh process, n = {n:,} (median of 5) beside the same work in-process")
    print(f"{'':10}{'process':>9}{'library':>9}{'start-up share':>16}")
    for name, p, t in (("cg eval", p_eval, t_eval), ("cg diff", p_diff, t_diff)):
        print(f"{name:10}{p:9.3f}{t:9.3f}{(p - t) / p:16.0%}")

    n = sizes[-1]
    print(f"\nwhere cg diff's time goes, n = {n:,} (the best of {repeat} runs)")
    for stage, seconds in breakdown(wide(n)[0], repeat):
        print(f"  {stage:32}{seconds:8.3f}")


if __name__ == "__main__":
    main()
