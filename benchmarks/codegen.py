"""W4 with generated code: cg codegen's numpy and C beside hand-written numpy and SymPy.

    python benchmarks/codegen.py [--points N] [--repeat R]

The value and both partial derivatives of f(x, y) = sin(x)*exp(-y^2) + log(1+x^2)
at N points (default 10^6), on one thread, in one run: numpy code written by hand
for this f (benchmarks/batch.py's), the module `cg codegen` writes, SymPy's
lambdify(..., cse=True) of [f, df/dx, df/dy], cg's own batch engine, and the C
`cg codegen --lang c` writes, compiled with -O2 and called in a loop over the points
(through ctypes, once for all of them). It prints the best of R runs of each and its
ratio to the hand-written numpy, and checks that every row computed the same numbers
(the emitted numpy: bit for bit those of the batch engine).
"""

from __future__ import annotations

import argparse
import ctypes
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
from batch import PROGRAM, by_hand  # the script's folder is on sys.path

from cgcli.emit.c import translation_unit
from cgcli.emit.python import module
from cgcli.interpret.batch import evaluate_points
from cgcli.language.parse import parse

LOOP = """
void run(long n, const double *x, const double *y, double *f, double *dx, double *dy)
{
    long k;
    for (k = 0; k < n; k++) {
        const double inputs[2] = {x[k], y[k]};
        double gradient[2];
        f[k] = cg_value_and_grad(inputs, gradient);
        dx[k] = gradient[0];
        dy[k] = gradient[1];
    }
}
"""


def emitted_numpy(directory: str):
    path = os.path.join(directory, "w4.py")
    with open(path, "w") as f:
        f.write(module(parse(PROGRAM)))
    spec = importlib.util.spec_from_file_location("w4", path)
    w4 = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(w4)  # the module cg wrote for this benchmark
    assert w4.INPUTS == ("x", "y")
    return lambda x, y: _flat(w4.value_and_grad(x, y))


def _flat(result):
    value, gradient = result
    return (value, *gradient)


def sympy_lambdify():
    import sympy as sp

    x, y = sp.symbols("x y", real=True)
    f = sp.sin(x) * sp.exp(-(y**2)) + sp.log(1 + x**2)
    fn = sp.lambdify((x, y), [f, sp.diff(f, x), sp.diff(f, y)], "numpy", cse=True)
    return lambda a, b: fn(a, b)


def emitted_c(directory: str):
    cc = shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        return None
    source = os.path.join(directory, "w4.c")
    with open(source, "w") as f:
        f.write(translation_unit(parse(PROGRAM)) + LOOP)
    library = os.path.join(directory, "w4.so")
    flags = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic", "-shared", "-fPIC"]
    subprocess.run([cc, *flags, "-o", library, source, "-lm"], check=True)
    run = ctypes.CDLL(library).run
    pointer = ctypes.POINTER(ctypes.c_double)
    run.argtypes = [ctypes.c_long] + [pointer] * 5

    def call(x, y):
        out = [np.empty_like(x) for _ in range(3)]
        run(len(x), *[a.ctypes.data_as(pointer) for a in (x, y, *out)])
        return tuple(out)

    return call


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    x, y = rng.uniform(-2, 2, args.points), rng.uniform(-2, 2, args.points)
    graph = parse(PROGRAM)
    with tempfile.TemporaryDirectory() as directory:
        rows = [
            ("hand-written numpy", by_hand),
            ("cg codegen, numpy", emitted_numpy(directory)),
            ("SymPy lambdify(cse=True)", sympy_lambdify()),
            ("cg batch engine (library)", lambda a, b: _batch(graph, a, b)),
        ]
        c = emitted_c(directory)
        if c is not None:
            rows.append(("cg codegen --lang c, -O2", c))
        timings = {}
        for _, fn in rows:
            fn(x[:1000], y[:1000])  # warm up
        for _ in range(args.repeat):  # interleaved, so that noise meets every row alike
            for label, fn in rows:
                start = time.process_time()  # CPU time: robust on a shared, loaded machine
                result = fn(x, y)
                seconds = time.process_time() - start
                old = timings.get(label)
                timings[label] = (min(seconds, old[0]) if old else seconds, result)
    hand = timings["hand-written numpy"][0]
    reference = timings["cg batch engine (library)"][1]
    emitted = timings["cg codegen, numpy"][1]
    assert all(np.array_equal(a, b) for a, b in zip(emitted, reference)), "not bit for bit"
    print(f"W4: value and gradient of {PROGRAM} at {args.points:,} points, one thread")
    print("| code | time | ratio to hand-written numpy | agrees with cg eval --batch |")
    print("|---|---|---|---|")
    for label, _ in rows:
        seconds, result = timings[label]
        worst = max(float(np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300)))
                    for a, b in zip(result, reference))  # fmt: skip
        same = sum(int(np.sum(a == b)) for a, b in zip(result, reference)) / (3 * len(x))
        agrees = "bit for bit" if same == 1 else f"{same:.1%} bit for bit, rel. {worst:.1e}"
        print(f"| {label} | {seconds * 1e3:.1f} ms | {seconds / hand:.2f} | {agrees} |")


def _batch(graph, x, y):
    value, gradient = evaluate_points(graph, {"x": x, "y": y})
    return value, gradient["x"], gradient["y"]


if __name__ == "__main__":
    main()
