"""All of cg's speed targets, measured against their floors in one run: one table.

    python benchmarks/run.py [--quick]

W1 start-up: `cg eval "(a+b)*(b-c)" a=1 b=2 c=3` as a fresh process, with and
   without --json, median of 15 runs after warm-up, beside `python -c "import numpy"`.
W2 wide: sum over i of sin(x_i)*x_{i+1} + exp(-x_i^2)/(1+x_i^2), n = 100, 1,000,
   10,000: text to value and every partial, through cgcli.run, beside a plain Lark
   LALR parse of the same text into a tree with cg's own grammar; and the CLI end to
   end with the program in a file (-f) and the values in a file (--values).
W3 deep: sin(sin(...x...)) and ((x*x+1)*x+1)..., D = 10^3 .. 10^6, from a file, x =
   0.5: seconds and peak memory of a fresh process, and at D = 10^5 beside Lark.
W5 deep tree: `cg graph` of sin(sin(...x...)), D = 10^5, drawn 500 levels deep
   (--depth 500) and as deep as COLUMNS=1000000 allows, beside `cg eval --json` of
   the same file (the linear case): a tree costs its lines, never depth squared.
W4 batch: benchmarks/batch.py's comparison with hand-written numpy, one thread; and
   `cg eval --batch` on 10^5 and 10^6 CSV rows, in and out: rows a second, peak memory.
H  hostile shapes that were once superlinear, each beside its linear case: one name
   reassigned N times (c = c + 1) beside N distinct statements, N = 10^3 .. 10^5;
   --check of sum x_i*x_{i+1} with 250 .. 10^4 inputs beside the same evaluation
   without it; and a program of 5,000,001 terms, refused before the parse, beside
   cg's whole run of 10^5 terms.

Every ratio is of two timings taken in this run: these machines are shared and noisy.
--quick stops W2 at 1,000, W3 at 10^5 and H at 10^4, and runs fewer repeats.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = sys.executable
CG = [PYTHON, "-m", "cgcli"]


def wide(n: int) -> tuple[str, dict]:
    terms = [f"sin(x_{i})*x_{(i + 1) % n}+exp(-x_{i}^2)/(1+x_{i}^2)" for i in range(n)]
    values = {f"x_{i}": ((37 * i) % 101) / 101 - 0.5 for i in range(n)}
    return "+".join(terms), values


def deep(shape: str, depth: int) -> str:
    if shape == "sin":
        return "sin(" * depth + "x" + ")" * depth
    return "(" * depth + "x" + "*x+1)" * depth


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def process(args: list[str], runs: int = 1, env: dict | None = None) -> tuple[float, float]:
    """Median seconds and peak MiB of a fresh process."""
    code = (
        "import resource, runpy, sys\nsys.argv = sys.argv[1:]\ntry:\n"
        "    runpy.run_module(sys.argv[0], run_name='__main__', alter_sys=True)\n"
        "except SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
        "print('peak', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    times, peaks = [], []
    for _ in range(runs):
        start = time.perf_counter()
        run = subprocess.run(
            [PYTHON, "-c", code, *args],
            capture_output=True,
            text=True,
            env={**os.environ, **(env or {})},
        )
        times.append(time.perf_counter() - start)
        if run.returncode not in (0,):
            raise SystemExit(f"{args[:3]} failed: {run.stderr[-400:]}")
        peaks.append(int(run.stderr.rsplit("peak ", 1)[1]) / 1024)
    return statistics.median(times), max(peaks)


def compile_bytecode() -> None:
    """As pip does when it installs a package: a checkout run with PYTHONDONTWRITEBYTECODE
    would otherwise compile cg's modules afresh in every process it times."""
    import cgcli

    subprocess.run([PYTHON, "-m", "compileall", "-q", os.path.dirname(cgcli.__file__)], check=True)


def startup(runs: int) -> list[tuple]:
    def median(command):
        for _ in range(3):  # warm-up: page cache, .pyc files
            subprocess.run(command, capture_output=True)
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run(command, capture_output=True, check=True)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    seed = ["eval", "(a+b)*(b-c)", "a=1", "b=2", "c=3"]
    cg = [os.path.join(os.path.dirname(PYTHON), "cg")]
    if not os.path.exists(cg[0]):
        cg = CG
    floor = median([PYTHON, "-c", "import numpy"])
    table = median(cg + seed)
    as_json = median(cg + seed + ["--json"])
    return [
        ("W1", "python -c 'import numpy' (the floor)", floor, 1.0, ""),
        ("W1", "cg eval seed --json", as_json, as_json / floor, "<= 1.2"),
        ("W1", "cg eval seed (table)", table, table / floor, "<= 1.5"),
    ]


def lark_parser():
    from lark import Lark

    from cgcli.language.lalr import grammar_text

    return Lark(grammar_text(), parser="lalr")


def wide_rows(sizes: list[int], repeat: int, folder: str) -> list[tuple]:
    import cgcli

    lark = lark_parser()
    rows, times = [], {}
    for n in sizes:
        text, values = wide(n)
        t_lark = best(lambda text=text: lark.parse(text), repeat)
        t_cg = best(lambda text=text, values=values: cgcli.run(text, values), repeat)
        times[n] = t_cg
        rows.append(("W2", f"n = {n:,}: Lark parse into a tree", t_lark, 1.0, ""))
        target = "<= 0.8" if n == 10_000 else ""
        rows.append(("W2", f"n = {n:,}: cg, text to gradient", t_cg, t_cg / t_lark, target))
    for small, large in itertools.pairwise(sizes):
        rows.append(
            (
                "W2",
                f"t({large:,}) / t({small:,})",
                times[large] / times[small],
                None,
                "<= 11" if large == 10_000 else "",
            )
        )
    n = sizes[-1]
    text, values = wide(n)
    program = os.path.join(folder, "wide.cg")
    bound = os.path.join(folder, "wide.json")
    with open(program, "w") as handle:
        handle.write(text)
    with open(bound, "w") as handle:
        json.dump(values, handle)
    seconds, peak = process(
        [
            "cgcli",
            "eval",
            "-f",
            program,
            "--values",
            bound,
            "--json",
            "-o",
            os.path.join(folder, "out.json"),
        ]
    )
    rows.append(
        (
            "W2",
            f"n = {n:,}: cg eval -f --values --json, a process ({peak:.0f} MiB)",
            seconds,
            None,
            "",
        )
    )
    return rows


def deep_rows(depths: list[int], folder: str) -> list[tuple]:
    lark = lark_parser()
    rows = []
    for shape in ("sin", "horner"):
        peaks = {}
        for depth in depths:
            path = os.path.join(folder, f"{shape}-{depth}.cg")
            with open(path, "w") as handle:
                handle.write(deep(shape, depth))
            seconds, peak = process(
                [
                    "cgcli",
                    "eval",
                    "-f",
                    path,
                    "x=0.5",
                    "--json",
                    "-o",
                    os.path.join(folder, "out.json"),
                ]
            )
            peaks[depth] = peak
            note = f"peak {peak:,.0f} MiB"
            ratio = None
            if depth == 100_000:
                text = deep(shape, depth)
                t_lark = best(lambda text=text: lark.parse(text), 1)
                import cgcli

                t_cg = best(lambda text=text: cgcli.run(text, {"x": 0.5}), 2)
                rows.append(("W3", f"{shape} D = 10^5: Lark parse into a tree", t_lark, 1.0, ""))
                rows.append(
                    ("W3", f"{shape} D = 10^5: cg, text to gradient", t_cg, t_cg / t_lark, "<= 1.0")
                )
            rows.append(("W3", f"{shape} D = {depth:,}: a process, {note}", seconds, ratio, ""))
        low, high = min(peaks), max(peaks)
        growth = (peaks[high] - peaks[low]) / (high - low) * 1e6 / 1024 if high > low else 0
        rows.append(
            ("W3", f"{shape}: memory per 10^6 levels (from the slope), GiB", growth, None, "linear")
        )
    return rows


def tree_rows(folder: str) -> list[tuple]:
    path = os.path.join(folder, "tree.cg")
    with open(path, "w") as handle:
        handle.write(deep("sin", 100_000))
    out = ["-o", os.path.join(folder, "out.txt")]
    linear, _ = process(["cgcli", "eval", "-f", path, "x=0.5", "--json", *out])
    rows = [("W5", "sin D = 10^5: cg eval --json, a process (the linear case)", linear, 1.0, "")]
    for label, args, env in (
        ("cg graph --depth 500", ["--depth", "500"], None),
        ("cg graph at COLUMNS=1000000", [], {"COLUMNS": "1000000"}),
    ):
        seconds, _ = process(["cgcli", "graph", "-f", path, "x=0.5", *args, *out], env=env)
        rows.append(("W5", f"sin D = 10^5: {label}", seconds, seconds / linear, "<= 1.5"))
    return rows


def batch_rows(points: int, repeat: int) -> list[tuple]:
    sys.path.insert(0, HERE)
    import numpy as np
    from batch import by_hand, cli_rows  # benchmarks/batch.py

    from cgcli.interpret.batch import evaluate_points
    from cgcli.language.parse import parse

    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, points), rng.uniform(-2, 2, points)
    graph = parse("sin(x)*exp(-y^2) + log(1+x^2)")
    t_hand = best(lambda: by_hand(x, y), repeat)
    t_cg = best(lambda: evaluate_points(graph, {"x": x, "y": y}), repeat)
    rows = [
        ("W4", f"{points:,} points: hand-written numpy", t_hand, 1.0, ""),
        ("W4", f"{points:,} points: cg batch (library)", t_cg, t_cg / t_hand, "<= 1.0"),
    ]
    for count, seconds, peak in cli_rows(x, y, [points // 10, points]):
        rows.append(
            (
                "CLI",
                f"--batch {count:,} CSV rows in and out: {count / seconds:,.0f} rows/s, "
                f"peak {peak:.0f} MiB",
                seconds,
                None,
                "flat memory",
            )
        )
    return rows


def hostile_rows(sizes: list[int], inputs: list[int], repeat: int) -> list[tuple]:
    import cgcli
    from cgcli.interpret.check import check

    rows = []
    for n in sizes:
        same = "c = 1\n" + "c = c + 1\n" * n + "c"
        distinct = "c0 = 1\n" + "".join(f"c{i + 1} = c{i} + 1\n" for i in range(n)) + f"c{n}"
        t_distinct = best(lambda distinct=distinct: cgcli.run(distinct), repeat)
        t_same = best(lambda same=same: cgcli.run(same), repeat)
        rows.append(("H", f"N = {n:,} distinct statements c_k = c_(k-1) + 1", t_distinct, 1.0, ""))
        rows.append(
            ("H", f"N = {n:,}: one name reassigned, c = c + 1", t_same, t_same / t_distinct, "<= 2")
        )
    for n in inputs:
        text = "+".join(f"x{i}*x{i + 1}" for i in range(n))
        values = {f"x{i}": 0.5 + i / (2 * n) for i in range(n + 1)}
        t_eval = best(lambda text=text, values=values: cgcli.run(text, values), repeat)
        t_check = best(lambda text=text, values=values: check(cgcli.run(text, values)), repeat)
        checked = min(n + 1, 1000)
        rows.append(("H", f"{n + 1:,} inputs: cg eval (library)", t_eval, 1.0, ""))
        rows.append(
            (
                "H",
                f"{n + 1:,} inputs: cg eval --check, {checked:,} partials",
                t_check,
                t_check / t_eval,
                "<= 5",
            )
        )
    small = "+".join(["x"] * 100_000)
    t_small = best(lambda: cgcli.run(small, {"x": 1.0}), repeat)
    huge = "+".join(["x"] * 5_000_001)

    def refuse():
        try:
            cgcli.run(huge, {"x": 1.0})
        except cgcli.errors.UsageError:
            return
        raise SystemExit("a program of 5,000,001 terms was not refused")

    t_refuse = best(refuse, repeat)
    rows.append(("H", "10^5 terms x+x+...: cg, text to gradient", t_small, 1.0, ""))
    rows.append(
        ("H", "5,000,001 terms: refused before the parse", t_refuse, t_refuse / t_small, "<= 1")
    )
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    quick = args.quick
    rows = []
    compile_bytecode()
    with tempfile.TemporaryDirectory() as folder:
        rows += startup(7 if quick else 15)
        rows += wide_rows(
            [100, 1_000] if quick else [100, 1_000, 10_000], 2 if quick else 3, folder
        )
        rows += deep_rows(
            [1_000, 10_000, 100_000] if quick else [1_000, 10_000, 100_000, 1_000_000], folder
        )
        rows += tree_rows(folder)
        rows += batch_rows(1_000_000, 3 if quick else 7)
        rows += hostile_rows(
            [1_000, 10_000] if quick else [1_000, 10_000, 100_000],
            [249, 999] if quick else [249, 999, 9_999],
            2 if quick else 3,
        )
    print(f"{'':4}{'workload':62}{'seconds':>10}{'ratio':>8}  target")
    for tag, label, seconds, ratio, target in rows:
        ratio_text = f"{ratio:8.2f}" if ratio is not None else " " * 8
        print(f"{tag:4}{label:62}{seconds:10.4f}{ratio_text}  {target}")


if __name__ == "__main__":
    main()
