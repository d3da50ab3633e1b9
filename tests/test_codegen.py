"""cg codegen: the emitted Python and C, run in fresh processes, against cg eval.

Python gives cg eval's numbers bit for bit (the same numpy calls); C gives them
where the C library rounds each function as numpy does, and within a few units
in the last place where it does not. Expected values come from cg eval and
cg eval --batch, the engines the code claims to reproduce, at points written here.
"""

from __future__ import annotations

import ctypes
import json
import math
import os
import shutil
import subprocess
import sys
import types

import numpy as np
import pytest
from conftest import run_cg
from hypothesis import given, settings
from hypothesis import strategies as st
from programs import programs
from test_formula import CORPUS, VALUES, assert_same, elementwise_programs

import cgcli
from cgcli.emit.c import translation_unit
from cgcli.emit.python import module
from cgcli.emit.table import FORWARD, VJP
from cgcli.interpret.batch import evaluate_points
from cgcli.interpret.evaluate import infer_shapes
from cgcli.language.parse import parse
from cgcli.ops import OPS

CC = shutil.which("cc") or shutil.which("gcc")
FLAGS = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", "-pedantic"]
needs_cc = pytest.mark.skipif(
    CC is None and os.environ.get("CG_REQUIRE_CC") != "1", reason="no C compiler"
)
SCALARS = {"x": 0.7, "y": -1.3, "z": 2.5, "v": 0.5, "w": -0.3}
# Where the conventions decide: relu'(0), abs'(0), ties of max and min, pow at 0.
# And overflow, underflow and -0 (x^2 at 1e308 has the derivative inf, 0.25 x^2 not).
EXTREMES = {"x": 1e308, "y": -3.0, "z": 1e-300, "v": -0.0, "w": 2.0}
POINTS = [SCALARS, dict.fromkeys(SCALARS, 0.0), dict.fromkeys(SCALARS, 1.0), EXTREMES]
# C against cg eval: exp, sinh, tanh, log10, ... of the C library and of numpy differ in
# the last bit on some inputs (README): measured, at most 2 units in the last place of a
# result; 8 of the result, or of the largest value met on the way where terms cancel.
C_ULPS = 8


# The exponents rules.power treats apart, and the ops with numeric forms of their own.
EXTRA = [
    "0.25 * x^2", "x^3 + x^-1 + x^0 + x^1 + x^0.5", "x^y + y^x + 2^x", "tanh(x) * sigmoid(-y)",
    "softplus(z) - softplus(-z)", "abs(x) + relu(y) + sign(z) + step(x)",
    "max(x, y) * min(y, x)", "atan2(y, x) + atan2(0 * x, 0 * y)", "x / y - y / x",
]  # fmt: skip


def corpus() -> list[tuple[str, bool]]:
    """(program, is an array program): the formula printer's corpus, every op in it;
    an array output is summed (a gradient needs a number)."""
    cases = []
    for source in CORPUS + elementwise_programs() + EXTRA:
        graph = parse(source, bound=VALUES)
        if graph.arrays and infer_shapes(graph, _bound(graph, True))[graph.output]:
            head, _, last = source.rpartition(";")
            source = f"{head}{';' if head else ''} sum(({last}) * ({last}))"
        cases.append((source, graph.arrays))
    return cases


def _bound(graph, arrays: bool, point=SCALARS) -> dict:
    return {n: (VALUES if arrays else point)[n] for n in graph.inputs}


def emit(source: str, arrays: bool = False) -> str:
    graph = parse(source, bound=VALUES)
    shapes = infer_shapes(graph, _bound(graph, True)) if arrays else None
    return module(graph, shapes)


RUNNER = r"""
import importlib, json, sys
import numpy as np
cases = json.load(open(sys.argv[1]))
out = []
for case in cases:
    m = importlib.import_module(case["module"])
    rows = []
    for point in case["points"]:
        args = [np.array(point[n]) if isinstance(point[n], list) else point[n] for n in m.INPUTS]
        value, gradient = m.value_and_grad(*args)
        alone = m.value(*args)
        rows.append([np.asarray(value).tolist(), np.asarray(alone).tolist(),
                     [np.asarray(g).tolist() for g in gradient]])
    batch = case.get("batch")
    if batch:
        data = np.load(batch)
        value, gradient = m.value_and_grad(*[data[n] for n in m.INPUTS])
        np.savez(batch + ".out.npz", value=value, *gradient)
    out.append({"inputs": list(m.INPUTS), "rows": rows})
json.dump(out, sys.stdout)
"""


def run_modules(tmp_path, cases: list[dict]) -> list[dict]:
    """Import each module in one fresh process and evaluate it at its points."""
    (tmp_path / "runner.py").write_text(RUNNER)
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    done = subprocess.run(
        [sys.executable, "runner.py", "cases.json"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        check=True,
    )
    return json.loads(done.stdout)


def test_every_op_has_a_python_form():
    """A new op needs its code (the C forms of the elementwise ones are compiled and
    run in the corpus test, which covers every op)."""
    for name, op in OPS.items():
        assert name in FORWARD, name
        for p in range(max(op.arity, 1)):
            assert callable(VJP[name][p]), name


def test_the_corpus_in_python_equals_cg_eval_bit_for_bit(tmp_path):
    cases, expected = [], []
    rng = np.random.default_rng(15)
    for k, (source, arrays) in enumerate(corpus()):
        (tmp_path / f"m{k}.py").write_text(emit(source, arrays))
        graph = parse(source, bound=VALUES)
        points = [_bound(graph, arrays)] if arrays else [_bound(graph, False, p) for p in POINTS]
        case = {
            "module": f"m{k}",
            "points": [{n: np.asarray(v).tolist() for n, v in p.items()} for p in points],
        }
        if not arrays and graph.inputs:
            columns = {n: rng.uniform(-3, 3, 1000) for n in graph.inputs}
            columns[next(iter(graph.inputs))][:50] = 0.0  # kinks and ties too
            case["batch"] = str(tmp_path / f"b{k}.npz")
            np.savez(case["batch"], **columns)
            case["columns"] = columns
        cases.append(case)
        expected.append([cgcli.run(source, p) for p in points])
    columns = [case.pop("columns", None) for case in cases]
    results = run_modules(tmp_path, cases)
    for (source, _), case, got, want, cols in zip(corpus(), cases, results, expected, columns):
        graph = parse(source, bound=VALUES)
        assert got["inputs"] == list(graph.inputs)
        for (value, alone, gradient), result in zip(got["rows"], want):
            assert_same(value, result.output)
            assert_same(alone, result.output)
            for name, g in zip(got["inputs"], gradient):
                assert_same(g, result.gradient[name])
        if cols is not None:  # against cg eval --batch, row for row
            value, gradients = evaluate_points(graph, cols)
            batch = np.load(case["batch"] + ".out.npz")
            assert_same(batch["value"], value)
            for k, name in enumerate(graph.inputs):
                assert_same(batch[f"arr_{k}"], gradients[name])


def have_cc() -> bool:
    """Whether C can be compiled here; CI (CG_REQUIRE_CC=1) fails rather than skip."""
    if CC is None and os.environ.get("CG_REQUIRE_CC") == "1":
        pytest.fail("CG_REQUIRE_CC=1 but there is no C compiler (cc or gcc)")
    return CC is not None


def compile_c(tmp_path, units: dict[str, str]) -> ctypes.CDLL:
    """The C files compiled with the strict flags into one shared library: as one
    translation unit (their names differ), which compiles many times faster."""
    if CC is None:
        pytest.fail("CG_REQUIRE_CC=1 but there is no C compiler")
    path = tmp_path / f"{'_'.join(units)[:40]}.c"
    path.write_text("".join(units.values()))
    library = path.with_suffix(".so")
    subprocess.run([CC, *FLAGS, "-shared", "-fPIC", "-o", str(library), str(path)], check=True)
    return ctypes.CDLL(str(library))


def call_c(library, name: str, inputs: list[float], count: int):
    fn = getattr(library, f"{name}_value_and_grad")
    fn.restype = ctypes.c_double
    fn.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.POINTER(ctypes.c_double)]
    alone = getattr(library, f"{name}_value")
    alone.restype = ctypes.c_double
    alone.argtypes = [ctypes.POINTER(ctypes.c_double)]
    x = (ctypes.c_double * max(count, 1))(*inputs)
    g = (ctypes.c_double * max(count, 1))()
    value = fn(x, g)
    assert _ulps(alone(x), value) == 0
    return value, list(g)[:count]


def _ulps(a: float, b: float) -> float:
    """How many float64s lie between a and b (0 for equal numbers and for NaN and NaN)."""
    if math.isnan(a) or math.isnan(b):
        return 0 if math.isnan(a) and math.isnan(b) else math.inf
    if a == b:
        return 0
    if math.isinf(a) or math.isinf(b):
        return math.inf
    return abs(_ordered(a) - _ordered(b))


def _ordered(x: float) -> int:
    """float64s as integers in the same order, neighbours 1 apart (-0 and 0 both 0)."""
    i = int(np.float64(x).view(np.int64))
    return i if i >= 0 else -(i & 0x7FFFFFFFFFFFFFFF)


def assert_near(got: float, want: float, scale: float, ulps: int = 0) -> None:
    """Within C_ULPS (or `ulps`) units in the last place of the result or of the largest
    term that met it (scale): a last-bit difference in exp carried through a sum."""
    ulps = max(ulps, C_ULPS)
    if _ulps(got, want) <= ulps:
        return
    assert abs(got - want) <= ulps * np.spacing(max(abs(scale), abs(want))), (got, want)


@needs_cc
def test_the_corpus_in_c_compiles_strictly_and_equals_cg_eval(tmp_path):
    scalar = [source for source, arrays in corpus() if not arrays]
    units = {
        f"p{k}": translation_unit(parse(s, bound=SCALARS), f"p{k}") for k, s in enumerate(scalar)
    }
    library = compile_c(tmp_path, units)
    exact = total = 0
    for k, source in enumerate(scalar):
        graph = parse(source, bound=SCALARS)
        for point in POINTS:
            bound = _bound(graph, False, point)
            result = cgcli.run(source, bound)
            value, gradient = call_c(library, f"p{k}", list(bound.values()), len(bound))
            scale = _scale(result)
            assert_near(value, float(result.output), scale)
            for name, g in zip(graph.inputs, gradient):
                assert_near(g, float(result.gradient[name]), scale)
            numbers = [value, *gradient]
            wanted = [float(result.output), *(float(result.gradient[n]) for n in graph.inputs)]
            exact += sum(_ulps(a, b) == 0 for a, b in zip(numbers, wanted))
            total += len(numbers)
    assert exact / total > 0.9  # most numbers agree to the last bit


def _scale(result) -> float:
    finite = [abs(float(v)) for v in result.values if np.ndim(v) == 0 and np.isfinite(v)]
    return max(finite, default=1.0)


@settings(max_examples=40, deadline=None)
@given(programs())
def test_random_programs_in_python_equal_cg_eval_bit_for_bit(case):
    source, values, _ = case
    text = module(parse(source))
    m = types.ModuleType("emitted")
    exec(compile(text, "emitted", "exec"), m.__dict__)  # code this test made itself
    result = cgcli.run(source, values)
    value, gradient = m.value_and_grad(*[values[n] for n in m.INPUTS])
    assert_same(value, result.output)
    for name, g in zip(m.INPUTS, gradient):
        assert_same(g, result.gradient[name])


@needs_cc
# Fixed examples: C's libm and numpy round a few functions differently in the last
# bit, and a random program can amplify that past 8 ulps (cancellation after
# exp or pow); the random cases vary from run to run, CI's must not.
@settings(max_examples=2, deadline=None, derandomize=True)
@given(st.lists(programs(), min_size=25, max_size=25))
def test_random_programs_in_c_equal_cg_eval(tmp_path_factory, cases):
    tmp = tmp_path_factory.mktemp("random")
    units = {f"r{k}": translation_unit(parse(s), f"r{k}") for k, (s, _, _) in enumerate(cases)}
    library = compile_c(tmp, units)
    for k, (source, values, _) in enumerate(cases):
        graph = parse(source)
        result = cgcli.run(source, values)
        inputs = [values[n] for n in graph.inputs]
        value, gradient = call_c(library, f"r{k}", inputs, len(inputs))
        scale = _scale(result)
        # Each libm call may round 1 ulp away from numpy's, and a random program chains
        # many: allow 2 ulps an operation on top of C_ULPS (the corpus keeps C_ULPS).
        ulps = C_ULPS + 2 * sum(1 for node in graph.nodes if node.inputs)
        assert_near(value, float(result.output), scale, ulps)
        for name, g in zip(graph.inputs, gradient):
            assert_near(g, float(result.gradient[name]), scale, ulps)


HOSTILE = (
    "lambda", "def", "None", "np", "math", "value", "INPUTS", "int", "double", "return",
    "main", "M_PI", "_", "__builtins__", "t1", "g_t1", "d", "g_d", "lambda_", "v_",
    "inputs", "gradient", "cg_value", "fabs", "isnan", "INFINITY", "e_", "__debug_",
    "CHUNK", "K1", "_points",
)  # fmt: skip
HOSTILE_PROGRAM = (
    " + ".join(f"{name} * {HOSTILE[(k + 1) % len(HOSTILE)]}" for k, name in enumerate(HOSTILE))
    + " + sin(lambda * def) * exp(-_) + (None - np) ^ 2"
)


def test_hostile_names_work_in_both_languages(tmp_path):
    graph = parse(HOSTILE_PROGRAM)
    rng = np.random.default_rng(1)
    values = {n: float(rng.uniform(0.5, 1.5)) for n in graph.inputs}
    result = cgcli.run(HOSTILE_PROGRAM, values)
    (tmp_path / "hostile.py").write_text(module(graph))
    case = {"module": "hostile", "points": [values]}
    (got,) = run_modules(tmp_path, [case])
    assert got["inputs"] == list(graph.inputs)  # cg's names, in order of first use
    value, _, gradient = got["rows"][0]
    assert_same(value, result.output)
    for name, g in zip(got["inputs"], gradient):
        assert_same(g, result.gradient[name])
    if not have_cc():
        return
    text = translation_unit(graph)
    assert text.startswith(f"/* inputs: {' '.join(graph.inputs)} */\n")
    library = compile_c(tmp_path, {"hostile": text})
    value, gradient = call_c(library, "cg", list(values.values()), len(values))
    assert_near(value, float(result.output), _scale(result))
    for name, g in zip(graph.inputs, gradient):
        assert_near(g, float(result.gradient[name]), _scale(result))


NASTY_SOURCE = 'a = x * y # */ /* ??/ \\ """ \' \f\n# """ ??/\na + x  # \\\n'  # fmt: skip


def test_a_program_text_cannot_break_out_of_the_header(tmp_path):
    text = module(parse(NASTY_SOURCE))
    head = text.split('"""The value')[0].splitlines()
    assert all(line.startswith("#") for line in head) and len(head) == 6 + 3
    m = types.ModuleType("nasty")
    exec(compile(text, "nasty", "exec"), m.__dict__)
    assert m.INPUTS == ("x", "y") and m.value(2.0, 3.0) == 8.0
    c = translation_unit(parse(NASTY_SOURCE))
    header = c.split("#include")[0]
    assert header.count("*/") == 2 and header.count("/*") == 2  # the two comments' own
    if have_cc():
        library = compile_c(tmp_path, {"nasty": c})
        assert call_c(library, "cg", [2.0, 3.0], 2) == (8.0, [4.0, 2.0])


def test_the_output_is_the_same_across_runs_and_hash_seeds(tmp_path):
    source = "q = x * y; p = sin(q) + max(q, x) ^ 2; p * tanh(y) + atan2(x, q)"
    outputs = set()
    for seed in ("0", "1", "12345", "random"):
        for lang in ("python", "c", "--hessian"):
            flags = ["--lang", lang] if lang != "--hessian" else [lang]
            done = subprocess.run(
                [sys.executable, "-m", "cgcli", "codegen", source, *flags],
                capture_output=True,
                env={**os.environ, "PYTHONHASHSEED": seed},
                check=True,
            )
            outputs.add((lang, done.stdout))
    assert len(outputs) == 3


def test_value_and_grad_pickles_and_runs_in_a_pool_of_processes(tmp_path):
    (tmp_path / "w4.py").write_text(emit("sin(x)*exp(-y^2) + log(1+x^2)"))
    script = (
        "import multiprocessing, pickle, numpy as np, w4\n"
        "f = pickle.loads(pickle.dumps(w4.value_and_grad))\n"
        "x, y = np.linspace(-2, 2, 40).reshape(4, 10), np.linspace(1, 3, 40).reshape(4, 10)\n"
        "if __name__ == '__main__':\n"
        "    with multiprocessing.get_context('spawn').Pool(2) as pool:\n"
        "        parts = pool.starmap(f, zip(x, y))\n"
        "    whole = w4.value_and_grad(x, y)\n"
        "    assert np.array_equal(np.array([p[0] for p in parts]), whole[0])\n"
        "    for k in range(2):\n"
        "        assert np.array_equal(np.array([p[1][k] for p in parts]), whole[1][k])\n"
        "    print('ok')\n"
    )
    (tmp_path / "pool.py").write_text(script)
    done = subprocess.run(
        [sys.executable, "pool.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        check=True,
    )
    assert done.stdout == "ok\n"


def test_arrays_of_broadcastable_shapes_are_points_each():
    m = types.ModuleType("w4")
    exec(compile(emit("x * y + sin(x)"), "w4", "exec"), m.__dict__)
    x, y = np.array([[0.5], [1.5]]), np.array([1.0, 2.0, 3.0])
    value, (dx, dy) = m.value_and_grad(x, y)
    assert value.shape == dx.shape == dy.shape == (2, 3)
    assert np.array_equal(dx, np.broadcast_to(y + np.cos(x), (2, 3)))  # by hand: y + cos x
    assert np.array_equal(dy, np.broadcast_to(x, (2, 3)))
    assert m.value(2.0, 3.0) == 6.0 + math.sin(2.0)


def test_a_chain_nested_a_hundred_thousand_deep():
    depth = 100_000
    source = "sin(" * depth + "x" + ")" * depth
    m = types.ModuleType("deep")
    exec(compile(module(parse(source)), "deep", "exec"), m.__dict__)  # one statement a node
    value, (dx,) = m.value_and_grad(0.5)
    x, d = 0.5, 1.0
    for _ in range(depth):  # by hand: the chain rule, one sin at a time
        d *= math.cos(x)
        x = math.sin(x)
    assert value == pytest.approx(x, rel=1e-12)
    assert dx == pytest.approx(d, rel=1e-9)
    shallow = 10_000
    c = translation_unit(parse("sin(" * shallow + "x" + ")" * shallow))
    assert c.count(" = sin(") == 2 * shallow  # in cg_value and in cg_value_and_grad


def test_cli_writes_the_code_and_refuses_what_it_cannot_write(tmp_path):
    path = tmp_path / "f.py"
    done = run_cg("codegen", "(a+b)*(b-c)", "-o", str(path))
    assert done.code == 0, done.stderr
    assert "INPUTS = ('a', 'b', 'c')" in path.read_text()
    done = run_cg("codegen", "(a+b)*(b-c)", "--lang", "c")
    assert done.stdout.startswith("/* inputs: a b c */\n")
    assert "double cg_value_and_grad(const double *inputs, double *gradient)" in done.stdout
    done = run_cg("codegen", "sum(x)", "x=[1,2]", "--lang", "c")
    assert done.code == 2
    assert "cg codegen --lang c takes programs of numbers; arrays: use --lang python" in (
        done.stderr
    )
    done = run_cg("codegen", "sum(x)")
    assert done.code == 2 and "x has no value" in done.stderr
    done = run_cg("codegen", "x", "--lang", "c", "--name", "_f")
    assert done.code == 2 and "C identifier" in done.stderr
    done = run_cg("codegen", "x^2", "--hessian", "--lang", "c")
    assert done.code == 2 and "--hessian is for --lang python" in done.stderr
    done = run_cg("codegen", "[x, y]", "x=1", "y=2")
    assert done.code == 2 and "no single gradient" in done.stderr


def test_each_python_helper_is_its_rule_bit_for_bit():
    from cgcli.emit.pyhelpers import HELPERS
    from cgcli.ops import rules as r

    space = {"np": np, "math": math}
    for text in HELPERS.values():
        exec(text, space)  # code of cg's own, not a user's
    x = np.array([-800.0, -20.0, -1.5, -0.0, 0.0, 1e-300, 0.3, 2.0, 40.0, np.inf, np.nan])
    y = np.array([2.0, 0.5, -1.0, 0.0, 3.0, 1e300, -2.0, 0.0, 1.5, 1.0, 2.0])
    with np.errstate(all="ignore"):
        for name in ("sigmoid", "dsigmoid", "softplus", "dtanh"):
            assert_same(space[f"_{name}"](x), getattr(r, name)(x))
        assert_same(space["_atan2_partial"](x, y), r.atan2_partial(x, y))
        for a, b in zip(x, y):
            assert_same(space["_power"](a, b), r.power(a, b))
            assert_same(space["_pow_dx"](1.5, 0, a, b), r.pow_dx(1.5, 0, a, b))
        # x^2 at 1e308: 2(gx) is finite where g(x + x) would overflow
        assert_same(space["_pow_dx"](0.25, 0, 1e308, 2.0), r.pow_dx(0.25, 0, 1e308, 2.0))
        assert_same(space["_pow_dx"](1.5, 0, x, y), r.pow_dx(1.5, 0, x, y))


def _load(text: str, name: str):
    m = types.ModuleType(name)
    exec(compile(text, name, "exec"), m.__dict__)  # code this test made
    return m


def _hessian_case(source: str, arrays: bool, point: dict):
    """The module's value_grad_and_hessian at `point` against cg hessian's (None where
    cg hessian refuses the program)."""
    from cgcli.errors import CgError
    from cgcli.transform.hessian_values import hessian

    graph = parse(source, bound=VALUES)
    if not graph.inputs:
        return None
    values = {n: np.array(point[n]) if arrays else point[n] for n in graph.inputs}
    try:
        expected = hessian(graph, values)
    except CgError:
        return None
    shapes = infer_shapes(graph, values) if arrays else None
    m = _load(module(graph, shapes, hessian=True), "h")
    value, gradient, matrix = m.value_grad_and_hessian(*[values[n] for n in m.INPUTS])
    assert_same(value, expected.result.output)
    for name, g in zip(m.INPUTS, gradient):
        assert_same(g, expected.result.gradient[name])
    for a, x in enumerate(m.INPUTS):
        for b, y in enumerate(m.INPUTS):
            assert_same(matrix[a][b], expected.block(x, y))
    return m


def test_the_corpus_hessian_in_python_equals_cg_hessian_bit_for_bit():
    rng = np.random.default_rng(15)
    checked = 0
    for source, arrays in corpus():
        if arrays:
            checked += _hessian_case(source, True, VALUES) is not None
            continue
        zeros = dict.fromkeys(SCALARS, 0.0)  # relu, abs, step and max at their kinks
        randoms = [{n: float(rng.uniform(-2, 2)) for n in SCALARS} for _ in range(2)]
        for point in [SCALARS, zeros, *randoms]:
            checked += _hessian_case(source, False, point) is not None
    assert checked > 300


def test_the_hessian_of_rosenbrock_by_hand_and_as_cg_hessian_json(tmp_path):
    source = "(1-x)^2 + 100*(y-x^2)^2"
    done = run_cg("codegen", source, "--hessian", "-o", str(tmp_path / "rosen.py"))
    assert done.code == 0, done.stderr
    text = (tmp_path / "rosen.py").read_text()
    imports = [line for line in text.splitlines() if line.startswith(("import", "from"))]
    assert imports == ["import math", "import numpy as np"]
    script = (
        "import json, pickle, numpy as np, rosen\n"
        "f = pickle.loads(pickle.dumps(rosen.value_grad_and_hessian))\n"
        "value, g, h = f(-1.2, 1.0)\n"
        "_, _, batch = f(np.array([-1.2, 0.5]), 1.0)\n"
        "print(json.dumps([float(value), [float(x) for x in g],\n"
        "                  [[float(x) for x in row] for row in h],\n"
        "                  [[b.tolist() for b in row] for row in batch]]))\n"
    )
    (tmp_path / "run.py").write_text(script)
    ran = subprocess.run(
        [sys.executable, "run.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        check=True,
    )
    value, gradient, matrix, batch = json.loads(ran.stdout)
    # by hand: f_xx = 2 - 400(y - x^2) + 800x^2, f_xy = -400x, f_yy = 200
    assert matrix == [[1330.0, 480.0], [480.0, 200.0]]
    # at (0.5, 1): 2 - 400 * 0.75 + 200 = -98, -400 * 0.5 = -200
    assert batch == [[[1330.0, -98.0], [480.0, -200.0]], [[480.0, -200.0], [200.0, 200.0]]]
    cg = json.loads(run_cg("hessian", source, "x=-1.2", "y=1", "--json").stdout)
    assert value == cg["output"]["value"]
    assert gradient == [cg["gradient"]["x"], cg["gradient"]["y"]]
    assert matrix == [[cg["hessian"][a][b] for b in "xy"] for a in "xy"]


def test_the_hessian_at_kinks_follows_cg_hessians_conventions():
    m = _hessian_case("relu(x) * y + abs(x) * x + max(x, y) ^ 2", False, {"x": 0.0, "y": 0.0})
    _, _, h = m.value_grad_and_hessian(0.0, 0.0)
    # by hand, with relu' = step (0 at 0), abs' = sign (0 at 0, and sign' = 0) and
    # max's derivatives halves at a tie: relu(x) y gives d2/dxdy = step(0) = 0,
    # abs(x) x gives d2/dx2 = 2 sign(0) = 0, max(x, y)^2 gives 2 (1/2)(1/2) everywhere
    assert [[float(v) for v in row] for row in h] == [[0.5, 0.5], [0.5, 0.5]]


def test_the_hessian_with_hostile_names_and_of_arrays():
    graph = parse(HOSTILE_PROGRAM)
    rng = np.random.default_rng(2)
    point = {n: float(rng.uniform(0.5, 1.5)) for n in graph.inputs}
    assert _hessian_case(HOSTILE_PROGRAM, False, point) is not None
    values = {"W": [[1.0, 2.0], [3.0, -4.0]], "x": [0.5, -1.0], "c": 0.3}
    m = _hessian_case("sum(tanh(W @ x) * c) + c * sum(x * x)", True, values)
    _, _, h = m.value_grad_and_hessian(*[np.array(values[n]) for n in m.INPUTS])
    assert [np.shape(b) for row in h for b in row] == [
        (2, 2, 2, 2), (2, 2, 2), (2, 2), (2, 2, 2), (2, 2), (2,), (2, 2), (2,), ()
    ]  # fmt: skip
    W, x = np.array(values["W"]), np.array(values["x"])
    by_hand = W.T @ (1 - np.tanh(W @ x) ** 2) + 2 * x  # d2/dx dc, another order of sums
    assert h[1][2] == pytest.approx(by_hand, rel=1e-15, abs=1e-15)
    assert_same(h[1][2], h[2][1])
