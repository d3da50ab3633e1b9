"""Batch evaluation: cg against hand-written numpy, and the CLI on a million CSV rows.

    python benchmarks/batch.py [--points N] [--repeat R]

For f(x, y) = sin(x)*exp(-y^2) + log(1+x^2) at N points (default 10^6) it times
the value and both partial derivatives through cg's library call
(cgcli.interpret.batch.evaluate_points, the one --batch uses) and through numpy code
written by hand for this f, in the same run, on one thread, and prints the
ratio of the best of R runs. Then it times `cg eval --batch` end to end on an
N-row CSV file (read, evaluate, write), with its peak memory, and again on N/10
rows to show that memory does not grow with the number of rows.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")  # numpy's kernels on one thread, as numpy's

import numpy as np

from cgcli.interpret.batch import evaluate_points
from cgcli.language.parse import parse

PROGRAM = "sin(x)*exp(-y^2) + log(1+x^2)"


def by_hand(x, y):
    """The value and gradient of f, written out in numpy."""
    e = np.exp(-(y**2))
    s = np.sin(x)
    q = 1 + x**2
    f = s * e + np.log(q)
    dx = np.cos(x) * e + 2 * x / q
    dy = -2 * y * s * e
    return f, dx, dy


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def cli(path: str, out: str) -> tuple[float, float]:
    """Seconds and peak MiB of `cg eval --batch` on a file."""
    code = (
        "import resource, sys\nfrom cgcli.cli import main\ntry:\n    main(sys.argv[1:])\n"
        "finally:\n    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "
        "file=sys.stderr)\n"
    )
    start = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", code, "eval", PROGRAM, "--batch", path, "-o", out],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit(run.stderr)
    return seconds, int(run.stderr.strip().splitlines()[-1]) / 1024


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    n = args.points
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, n), rng.uniform(-2, 2, n)
    graph = parse(PROGRAM)

    t_hand, (f, dx, dy) = best(lambda: by_hand(x, y), args.repeat)
    t_cg, (out, gradient) = best(lambda: evaluate_points(graph, {"x": x, "y": y}), args.repeat)
    # The same answers, or the timing means nothing.
    np.testing.assert_allclose(out, f, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(gradient["x"], dx, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(gradient["y"], dy, rtol=1e-13, atol=1e-15)

    print(f"value and gradient of {PROGRAM} at {n:,} points (best of {args.repeat}, one thread)")
    print(f"{'':32}{'seconds':>10}{'ratio':>8}")
    print(f"{'hand-written numpy':32}{t_hand:10.4f}{1.0:8.2f}")
    print(f"{'cg (cgcli.interpret.batch.evaluate_points)':32}{t_cg:10.4f}{t_cg / t_hand:8.2f}")

    print()
    print("cg eval --batch points.csv -o out.csv, end to end (a fresh process)")
    print(f"{'rows':>12}{'seconds':>10}{'rows/s':>12}{'peak MiB':>10}")
    for count, seconds, peak in cli_rows(x, y, [n // 10, n]):
        print(f"{count:12,}{seconds:10.2f}{count / seconds:12,.0f}{peak:10.0f}")


def cli_rows(x, y, counts: list[int]) -> list[tuple[int, float, float]]:
    """(rows, seconds, peak MiB) of `cg eval --batch` on CSV files of these many rows."""
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for count in counts:
            path = os.path.join(folder, f"points-{count}.csv")
            with open(path, "w") as handle:
                handle.write("x,y\n")
                step = 100_000
                for start in range(0, count, step):
                    chunk = np.column_stack([x[start : start + step], y[start : start + step]])
                    rows_ = chunk[: count - start].tolist()
                    handle.write("".join(f"{a!r},{b!r}\n" for a, b in rows_))
            seconds, peak = cli(path, os.path.join(folder, "out.csv"))
            rows.append((count, seconds, peak))
    return rows


if __name__ == "__main__":
    main()
