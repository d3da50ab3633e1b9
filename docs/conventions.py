"""Print the README's table of singular points: what cg, PyTorch and JAX return at each.

Run it where torch and jax are installed (they are not dependencies of cg):
    python docs/conventions.py
Each row evaluates the same function and derivative in all three at the point.
"""

from __future__ import annotations

import math

import cgcli

# (the point as the README names it, cg program, values, the input to differentiate,
#  the same function written for torch and for jax.numpy as f(lib, *args))
ROWS = [
    (
        "relu'(0)",
        "relu(x)",
        {"x": 0.0},
        "x",
        lambda m, x: m.relu(x) if hasattr(m, "relu") else m.maximum(x, 0.0) * (x > 0),
    ),
    ("abs'(0)", "abs(x)", {"x": 0.0}, "x", lambda m, x: m.abs(x)),
    (
        "d max(x, y)/dx at x = y",
        "max(x, y)",
        {"x": 1.0, "y": 1.0},
        "x",
        lambda m, x, y: m.maximum(x, y),
    ),
    (
        "d min(x, y)/dx at x = y",
        "min(x, y)",
        {"x": 1.0, "y": 1.0},
        "x",
        lambda m, x, y: m.minimum(x, y),
    ),
    ("sqrt'(0)", "sqrt(x)", {"x": 0.0}, "x", lambda m, x: m.sqrt(x)),
    ("log(0), log'(0)", "log(x)", {"x": 0.0}, "x", lambda m, x: m.log(x)),
    ("x/y at x = 1, y = 0; d/dy", "x/y", {"x": 1.0, "y": 0.0}, "y", lambda m, x, y: x / y),
    ("0/0; d/dx", "x/y", {"x": 0.0, "y": 0.0}, "x", lambda m, x, y: x / y),
    ("d(x^y)/dy at x = 0, y = 2", "x^y", {"x": 0.0, "y": 2.0}, "y", lambda m, x, y: x**y),
    ("d(x^y)/dy at x = 0, y = 0", "x^y", {"x": 0.0, "y": 0.0}, "y", lambda m, x, y: x**y),
    ("d(x^y)/dy at x = 0, y = -1", "x^y", {"x": 0.0, "y": -1.0}, "y", lambda m, x, y: x**y),
    ("d(x^y)/dx at x = 0, y = 0", "x^y", {"x": 0.0, "y": 0.0}, "x", lambda m, x, y: x**y),
    ("d(x^y)/dx at x = 0, y = 0.5", "x^y", {"x": 0.0, "y": 0.5}, "x", lambda m, x, y: x**y),
    ("d(x^y)/dy at x = -2, y = 3", "x^y", {"x": -2.0, "y": 3.0}, "y", lambda m, x, y: x**y),
    (
        "asin'(1)",
        "asin(x)",
        {"x": 1.0},
        "x",
        lambda m, x: m.asin(x) if hasattr(m, "asin") else m.arcsin(x),
    ),
    (
        "atan2 at (0, 0); d/dy",
        "atan2(y, x)",
        {"y": 0.0, "x": 0.0},
        "y",
        lambda m, y, x: m.atan2(y, x) if hasattr(m, "atan2") else m.arctan2(y, x),
    ),
]


def show(v: float) -> str:
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return f"{v:g}"


def with_torch(fn, values, wrt):
    import torch

    args = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in values.items()}
    out = fn(torch, *args.values())
    out.backward()
    return float(out), float(args[wrt].grad)


def with_jax(fn, values, wrt):
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    names = list(values)
    position = names.index(wrt)
    value, grad = jax.value_and_grad(lambda *a: fn(jnp, *a), argnums=position)(
        *[jnp.float64(v) for v in values.values()]
    )
    return float(value), float(grad)


def main():
    print("| at | cg | PyTorch | JAX |")
    print("|---|---|---|---|")
    for label, program, values, wrt, fn in ROWS:
        result = cgcli.run(program, values)
        cells = [f"{show(float(result.output))}, {show(float(result.gradient[wrt]))}"]
        for oracle in (with_torch, with_jax):
            try:
                value, grad = oracle(fn, values, wrt)
                cells.append(f"{show(value)}, {show(grad)}")
            except Exception as error:  # an oracle that refuses the point says so
                cells.append(f"error: {type(error).__name__}")
        print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
