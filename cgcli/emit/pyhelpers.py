"""The functions an emitted Python module defines when its code calls them.

Each numeric one is cgcli/ops/rules.py's rule of the same name (or, for
sum_to_shape, derivatives.unbroadcast run on numpy), copied with the same numpy
calls in the same order, so that it gives the same bits; tests/test_codegen.py
holds each to its original.
"""

from __future__ import annotations

HELPERS = {
    "points": '''
def _points(kernel, inputs, results):
    """kernel at every point: numbers, or float64 arrays of broadcastable shapes taken
    element by element, CHUNK points at a time (each input spread over the common
    shape, as cg eval --batch spreads a number bound on the command line)."""
    inputs = [np.asarray(x, dtype=np.float64) for x in inputs]
    shape = np.broadcast_shapes(*[x.shape for x in inputs])
    with np.errstate(all="ignore"):
        if not shape:
            return tuple(np.float64(r) for r in kernel(*[x[()] for x in inputs]))
        flat = [np.broadcast_to(x, shape).ravel() for x in inputs]
        size = math.prod(shape)
        out = [np.empty(size) for _ in range(results)]
        for start in range(0, size, CHUNK):
            stop = start + CHUNK
            for o, r in zip(out, kernel(*[x[start:stop] for x in flat])):
                o[start:stop] = r
        return tuple(o.reshape(shape) for o in out)
''',
    "array": '''
def _array(x, shape, name):
    """x as a float64 array of the shape the program was written for."""
    x = np.asarray(x, dtype=np.float64)
    if x.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, not {x.shape}")
    return x if x.shape else x[()]
''',
    "power": """
def _power(x, y):
    # x^y: x*x, sqrt(x) and 1/x for a number x and y = 2, 0.5, -1 (correctly rounded)
    if np.ndim(y) == 0 and np.ndim(x) == 0:
        if y == 2:
            return x * x
        if y == 0.5:
            return np.sqrt(x)
        if y == -1:
            return np.divide(1.0, x)
    return x**y
""",
    "pow_dx": """
def _pow_dx(g, z, x, y):
    # y x^(y-1), and 0 where y = 0 even at x = 0
    if np.ndim(y) == 0:
        if y == 2:
            return 2.0 * (g * x)
        return g * 0.0 if y == 0 else g * (y * _power(x, y - 1.0))
    return np.where(y == 0, 0.0, g * y * np.power(x, y - 1.0))
""",
    "sigmoid": """
def _sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))
""",
    "dsigmoid": """
def _dsigmoid(x):
    e = np.exp(-np.abs(x))
    return e / ((1.0 + e) * (1.0 + e))
""",
    "softplus": """
def _softplus(x):
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))
""",
    "dtanh": """
def _dtanh(x):
    # sech(x)^2 = 4e/(1+e)^2 with e = exp(-2|x|): no cancellation in 1 - tanh^2
    e = np.exp(-2.0 * np.abs(x))
    return 4.0 * e / ((1.0 + e) * (1.0 + e))
""",
    "atan2_partial": """
def _atan2_partial(a, b):
    # a/(a^2 + b^2), as (a/h)/h with h = hypot(a, b) where the squares would overflow
    # or underflow; 0 at the origin
    squares = a * a + b * b
    h = np.hypot(a, b)
    safe = (squares >= np.finfo(np.float64).tiny) & (squares < np.inf)
    return np.where(h == 0, 0.0, np.where(safe, a / np.where(safe, squares, 1.0), (a / h) / h))
""",
    "unbroadcast": '''
def _unbroadcast(g, shape):
    """Sum an adjoint over the axes that broadcasting added or stretched."""
    g = np.asarray(g)
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g
''',
    "sum_to_shape": '''
def _sum_to_shape(g, shape):
    """broadcast's adjoint: summed over the axes it added or stretched."""
    while len(np.shape(g)) > len(shape):
        g = np.sum(g, axis=0)
    stretched = [k for k, n in enumerate(shape) if n == 1 and np.shape(g)[k] != 1]
    for k in stretched:
        g = np.sum(g, axis=k)
        kept = list(np.shape(g))
        kept.insert(k, 1)
        g = np.reshape(g, tuple(kept))
    return g
''',
    "expand": '''
def _expand(g, x, axis):
    """A reduction's cotangent spread back over the axis it reduced."""
    if axis is not None:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, np.shape(x))
''',
    "matmul_dx": """
def _matmul_dx(g, x, y):
    x, y = np.asarray(x), np.asarray(y)
    if y.ndim == 1:
        return np.multiply.outer(g, y) if x.ndim == 1 else g[..., :, None] * y
    if x.ndim == 1:
        return (y @ g[..., :, None])[..., 0]
    return g @ np.swapaxes(y, -1, -2)
""",
    "matmul_dy": """
def _matmul_dy(g, x, y):
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim == 1:
        return g * x if y.ndim == 1 else x[:, None] * g[..., None, :]
    if y.ndim == 1:
        return (np.swapaxes(x, -1, -2) @ g[..., :, None])[..., 0]
    return np.swapaxes(x, -1, -2) @ g
""",
    "extreme_vjp": """
def _extreme_vjp(g, z, x, axis):
    # max or min over an axis: ties share the derivative equally
    hit = x == _expand(z, x, axis)
    return _expand(g, x, axis) * hit / np.sum(hit, axis=axis, keepdims=True)
""",
    "logsumexp": """
def _logsumexp(x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isfinite(m), m, 0.0)
    total = np.sum(np.exp(x - m), axis=axis, keepdims=True)
    return (
        np.squeeze(m + np.log(total), axis=axis)
        if axis is not None
        else (m + np.log(total)).reshape(())
    )
""",
    "logsumexp_vjp": """
def _logsumexp_vjp(g, x, axis):
    m = np.max(x, axis=axis, keepdims=True)
    e = np.exp(x - np.where(np.isfinite(m), m, 0.0))
    return _expand(g, x, axis) * (e / np.sum(e, axis=axis, keepdims=True))
""",
    "softmax": """
def _softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
""",
    "softmax_vjp": """
def _softmax_vjp(g, z, axis):
    return z * (g - np.sum(g * z, axis=axis, keepdims=True))
""",
    "norm": """
def _norm(x, axis):
    # the 2-norm scaled by the largest magnitude: no overflow in the squares
    m = np.max(np.abs(x), axis=axis, keepdims=True)
    scale = np.where((m > 0) & (m < np.inf), m, 1.0)
    result = scale * np.sqrt(np.sum((x / scale) ** 2, axis=axis, keepdims=True))
    return np.squeeze(result, axis=axis) if axis is not None else result.reshape(())
""",
    "norm_vjp": """
def _norm_vjp(g, z, x, axis):
    # x/|x|, and 0 at |x| = 0
    n = _expand(z, x, axis)
    return _expand(g, x, axis) * np.where(n > 0, x / np.where(n > 0, n, 1.0), 0.0)
""",
    "index_vjp": """
def _index_vjp(g, x, key):
    out = np.zeros(np.shape(x))
    out[key] = g
    return out
""",
    "unit": '''
def _unit(k, start, shape):
    """An input's part of the unit vector e_k, its elements numbered from start."""
    e = np.zeros(shape)
    if start <= k < start + e.size:
        e.flat[k - start] = 1.0
    return e if shape else e[()]
''',
    "upper": '''
def _upper(columns):
    """The Hessian's entries row by row from its columns H.e_j: H[i][j] from column j
    on and above the diagonal (i <= j), mirrored below it, as cg hessian does."""
    n = len(columns)
    return [columns[max(i, j)][min(i, j)] for i in range(n) for j in range(n)]
''',
    "array_hessian": '''
def _array_hessian(columns, shapes):
    """The blocks d2f/dx dy (shaped x.shape + y.shape) from the columns H.e_j, the
    inputs flattened in order: on and above the diagonal from column j, mirrored."""
    matrix = np.array([np.concatenate([np.ravel(p) for p in c]) for c in columns]).T
    upper = np.triu_indices(len(matrix), 1)
    matrix[(upper[1], upper[0])] = matrix[upper]
    starts = np.cumsum([0] + [math.prod(s) for s in shapes])
    rows = []
    for a, x in enumerate(shapes):
        row = []
        for b, y in enumerate(shapes):
            part = matrix[starts[a] : starts[a + 1], starts[b] : starts[b + 1]]
            row.append(part.reshape(x + y) if x or y else part[0, 0])
        rows.append(tuple(row))
    return tuple(rows)
''',
}

NEEDS = {
    "pow_dx": ("power",),
    "extreme_vjp": ("expand",),
    "logsumexp_vjp": ("expand",),
    "norm_vjp": ("expand",),
}


def helper_order(wanted) -> list[str]:
    """The helpers to define, with those they call, in the order of HELPERS."""
    wanted = set(wanted)
    for name in list(wanted):
        wanted.update(NEEDS.get(name, ()))
    return [name for name in HELPERS if name in wanted]
