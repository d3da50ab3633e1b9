"""cg hessian on W2 (benchmarks/run.py's wide expression, whose Hessian is cyclic
tridiagonal: 3n non-zeros), beside cg eval's gradient of the same text: one table.

    python benchmarks/hessian.py [--quick]

Rows, for n = 10, 100, 1,000, 10,000 (--quick: to 1,000):
  - `cg hessian -f W2 --values V --json -o FILE --sparse` and `cg eval` of the same
    files, each a fresh process (median of 3), their ratio, the hessian's peak memory
    and its number of colours; the dense `cg hessian` too, up to n = 1,000;
  - the same in one process (cgcli.run against transform.hessian_values.hessian), so
    that start-up does not flatter the ratio;
  - the anchors where they import (test-only, not installed by the README): PyTorch's
    torch.autograd.functional.hessian (vectorize=True) and JAX's jit(hessian) of W2
    written as vector code; JAX's compile time apart.
And the choice of transform: reverse over reverse (what cg does) against forward
over reverse (a tangent pass over the gradient graph, elementwise ops only, written
here for the measurement), graph building time and size at n = 100 and 1,000.

Every ratio is of two timings taken in this run: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from run import best, compile_bytecode, process, wide


def files(folder: str, n: int) -> tuple[str, str]:
    text, values = wide(n)
    program, bound = os.path.join(folder, f"w2_{n}.cg"), os.path.join(folder, f"w2_{n}.json")
    with open(program, "w") as handle:
        handle.write(text)
    with open(bound, "w") as handle:
        json.dump(values, handle)
    return program, bound


def median_process(args: list[str], runs: int) -> tuple[float, float]:
    times, peaks = [], []
    for _ in range(runs):
        seconds, peak = process(args)
        times.append(seconds)
        peaks.append(peak)
    return statistics.median(times), max(peaks)


def cg_rows(sizes: list[int], runs: int, folder: str) -> list[tuple]:
    import cgcli
    from cgcli.language.parse import parse
    from cgcli.transform.hessian_values import hessian

    rows = []
    for n in sizes:
        program, bound = files(folder, n)
        out = os.path.join(folder, "out.json")
        common = ["-f", program, "--values", bound, "--json", "-o", out]
        t_grad, _ = median_process(["cgcli", "eval", *common], runs)
        t_sparse, peak = median_process(["cgcli", "hessian", *common, "--sparse"], runs)
        with open(out) as handle:
            colours = json.load(handle)["colours"]
        dense = None
        if n <= 1000:
            dense, dense_peak = median_process(["cgcli", "hessian", *common, "--dense"], runs)
        text, values = wide(n)
        lib_grad = best(lambda text=text, values=values: cgcli.run(text, values), 3)

        def library(text=text, values=values):
            collecting = gc.isenabled()
            gc.disable()
            try:
                return hessian(parse(text, bound=values), values, sparse=True)
            finally:
                if collecting:
                    gc.enable()

        lib_hess = best(library, 3)
        rows.append(
            {
                "n": n,
                "hessian": t_sparse,
                "peak": peak,
                "gradient": t_grad,
                "ratio": t_sparse / t_grad,
                "colours": colours,
                "dense": dense,
                "dense_peak": dense_peak if dense is not None else None,
                "lib_hessian": lib_hess,
                "lib_gradient": lib_grad,
            }
        )
    return rows


def anchors(sizes: list[int]) -> dict:
    """Seconds per Hessian of W2 as vector code, by library and n ('' if absent)."""
    found: dict = {}
    try:
        import torch

        torch.set_num_threads(1)

        def f(x):
            return (torch.sin(x) * torch.roll(x, -1) + torch.exp(-x * x) / (1 + x * x)).sum()

        for n in sizes:
            if n > 1000:  # 800 MB dense at 10^4: not run
                continue
            x = torch.tensor(list(wide(n)[1].values()), dtype=torch.float64)
            run = lambda x=x: torch.autograd.functional.hessian(f, x, vectorize=True)  # noqa: E731
            run()
            found[("torch", n)] = best(run, 3)
    except ImportError:
        pass
    try:
        import jax
        import jax.numpy as jnp

        jax.config.update("jax_enable_x64", True)

        def g(x):
            return jnp.sum(jnp.sin(x) * jnp.roll(x, -1) + jnp.exp(-x * x) / (1 + x * x))

        for n in sizes:
            if n > 1000:
                continue
            x = jnp.asarray(list(wide(n)[1].values()), dtype=jnp.float64)
            h = jax.jit(jax.hessian(g))
            start = time.perf_counter()
            h(x).block_until_ready()
            found[("jax compile", n)] = time.perf_counter() - start
            found[("jax", n)] = best(lambda h=h, x=x: h(x).block_until_ready(), 3)
    except ImportError:
        pass
    return found


def forward_over_reverse(graph):
    """The tangent of the gradient graph, node by node, in the same builder: the JVP of
    an elementwise op is its VJP rule with the tangent as cotangent (enough for W2)."""
    from cgcli.graph import INPUT
    from cgcli.transform.grad import grad
    from cgcli.transform.symbolic import Sym

    first = grad(graph)
    b = first.builder
    nodes = b.graph.nodes
    tangent = [None] * len(nodes)
    for node in nodes[: len(tangent)]:
        if node.op == INPUT:
            tangent[node.id] = b.input("v_" + node.name)
            continue
        if not node.inputs:
            continue
        if not node.op.elementwise:
            raise NotImplementedError(node.op.name)
        args = [Sym(b, j, b.shapes[j]) for j in node.inputs]
        z, total = Sym(b, node.id, b.shapes[node.id]), None
        for p, j in enumerate(node.inputs):
            if tangent[j] is not None:
                c = b.value(node.op.d[p](b, tangent[j], z, *args, **(node.attrs or {})))
                total = c if total is None else total + c
        tangent[node.id] = total
    return b.graph


def transform_rows(sizes: list[int]) -> list[tuple]:
    from cgcli.language.parse import parse
    from cgcli.transform.hessian import hessian_graph

    rows = []
    for n in sizes:
        text, values = wide(n)
        graph = parse(text, bound=values)
        gc.collect()
        gc.disable()
        try:
            reverse = best(lambda graph=graph: hessian_graph(graph), 3)
            forward = best(lambda graph=graph: forward_over_reverse(graph), 3)
            size_r = len(hessian_graph(graph).graph.nodes)
            size_f = len(forward_over_reverse(graph).nodes)
        finally:
            gc.enable()
        rows.append((n, reverse, size_r, forward, size_f))
    return rows


def seconds(t) -> str:
    if t is None or t == "":
        return "-"
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    sizes = [10, 100, 1000] if args.quick else [10, 100, 1000, 10_000]
    runs = 1 if args.quick else 3
    compile_bytecode()
    with tempfile.TemporaryDirectory() as folder:
        rows = cg_rows(sizes, runs, folder)
    anchor = anchors(sizes)
    head = (
        "| n | cg hessian --sparse | peak | cg eval gradient | ratio | target | colours "
        "| cg hessian --dense | in-process hessian / gradient | PyTorch hessian | JAX jit "
        "hessian (compile) |"
    )
    print(head)
    print("|" + "---|" * 11)
    for r in rows:
        n = r["n"]
        target = {1000: "<= 10", 10_000: "<= 20"}.get(n, "")
        torch_t = anchor.get(("torch", n), "" if ("torch", 10) in anchor else None)
        jax_t = anchor.get(("jax", n))
        jax_c = anchor.get(("jax compile", n))
        jax_cell = (
            "not importable"
            if ("jax", 10) not in anchor
            else (
                f"{seconds(jax_t)} ({seconds(jax_c)})" if jax_t is not None else "not run (dense)"
            )
        )
        torch_cell = (
            "not importable"
            if ("torch", 10) not in anchor
            else (seconds(torch_t) if torch_t != "" else "not run (dense, 800 MB)")
        )
        dense = "-" if r["dense"] is None else f"{seconds(r['dense'])} ({r['dense_peak']:.0f} MiB)"
        print(
            f"| {n:,} | {seconds(r['hessian'])} | {r['peak']:.0f} MiB | {seconds(r['gradient'])} "
            f"| {r['ratio']:.1f}× | {target} | {r['colours']} | {dense} "
            f"| {seconds(r['lib_hessian'])} / {seconds(r['lib_gradient'])} = "
            f"{r['lib_hessian'] / r['lib_gradient']:.1f}× | {torch_cell} | {jax_cell} |"
        )
    print()
    print("| n | reverse over reverse: build | nodes | forward over reverse: build | nodes |")
    print("|---|---|---|---|---|")
    for n, reverse, size_r, forward, size_f in transform_rows([100, 1000]):
        print(f"| {n:,} | {seconds(reverse)} | {size_r:,} | {seconds(forward)} | {size_f:,} |")


if __name__ == "__main__":
    main()
