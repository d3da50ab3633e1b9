"""Batches beyond one machine: the module `cg codegen` emits is the unit an engine
runs. Points in a Parquet file of several row groups are read by Dask as several
partitions, mapped with the emitted value_and_grad (shipped to the workers by
pickle, never imported there from a file) on Dask's local scheduler with
processes, and the result equals `cg eval --batch` on the same file row for row,
bit for bit; both agree with the gradient derived by hand.

Dask and pyarrow are test-only extras: these tests skip without them, except in
CI, where CG_REQUIRE_DASK=1 makes their absence a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cg
from test_parquet import PROGRAM, by_hand

if os.environ.get("CG_REQUIRE_DASK") == "1":
    import dask  # CI: the extra is required, so its absence fails here
else:
    dask = pytest.importorskip("dask")
    pytest.importorskip("dask.dataframe")
import cloudpickle
import dask.array as da
import dask.dataframe as dd
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

ROWS, ROW_GROUP = 10_000, 2_500


def gradients(part: pd.DataFrame, module) -> pd.DataFrame:
    """One partition's value and gradient, under the names cg eval --batch gives them
    (the README's recipe)."""
    value, gradient = module.value_and_grad(
        *(part[name].to_numpy(dtype="float64") for name in module.INPUTS)
    )
    columns = {"value": value} | {f"d/d{n}": g for n, g in zip(module.INPUTS, gradient)}
    return pd.DataFrame(columns, index=part.index)


def stacked(block: np.ndarray, module) -> np.ndarray:
    """One block of points (a row a point, a column an input): value and gradient."""
    value, gradient = module.value_and_grad(*block.T)
    return np.column_stack([value, *gradient])


@pytest.fixture(scope="module")
def emitted(tmp_path_factory):
    """The emitted module, loaded under a name no worker can import: pickle must
    carry its functions by value, as it would to the machines of a cluster."""
    directory = tmp_path_factory.mktemp("dask")
    source = directory / "emitted.py"
    run = run_cg("codegen", PROGRAM, "-o", str(source))
    assert run.code == 0, run.stderr
    name = "cg_emitted_for_dask"
    spec = importlib.util.spec_from_file_location(name, source)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    cloudpickle.register_pickle_by_value(module)
    yield directory, module
    cloudpickle.unregister_pickle_by_value(module)
    del sys.modules[name]


@pytest.fixture(scope="module")
def points(emitted):
    directory, _ = emitted
    rng = np.random.default_rng(2015)
    x, y = rng.normal(size=ROWS) * 3, rng.normal(size=ROWS)
    path = directory / "points.parquet"
    pq.write_table(pa.table({"x": x, "y": y}), path, row_group_size=ROW_GROUP)
    batch = directory / "batch.parquet"
    run = run_cg("eval", PROGRAM, "--batch", str(path), "-o", str(batch))
    assert run.code == 0, run.stderr
    return path, pq.read_table(batch)


def test_dask_dataframe_of_the_emitted_module_equals_cg_eval_batch(emitted, points):
    _, module = emitted
    path, batch = points
    frame = dd.read_parquet(path, split_row_groups=True)
    assert frame.npartitions == ROWS // ROW_GROUP
    meta = pd.DataFrame({name: pd.Series(dtype="float64") for name in batch.column_names[2:]})
    result = frame.map_partitions(gradients, module, meta=meta).compute(scheduler="processes")
    assert list(result.columns) == ["value", "d/dx", "d/dy"]
    assert len(result) == ROWS
    for name in result.columns:  # row for row, bit for bit
        assert np.array_equal(result[name].to_numpy(), batch.column(name).to_numpy()), name
    x, y = batch.column("x").to_numpy(), batch.column("y").to_numpy()
    value, dx, dy = by_hand(x, y)
    np.testing.assert_allclose(result["value"].to_numpy(), value, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(result["d/dx"].to_numpy(), dx, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(result["d/dy"].to_numpy(), dy, rtol=1e-14, atol=1e-15)


def test_dask_array_of_the_emitted_module_equals_cg_eval_batch(emitted, points):
    _, module = emitted
    path, batch = points
    table = pq.read_table(path)
    array = da.from_array(
        np.column_stack([table.column(n).to_numpy() for n in module.INPUTS]),
        chunks=(ROW_GROUP, len(module.INPUTS)),
    )
    assert array.numblocks == (ROWS // ROW_GROUP, 1)
    result = array.map_blocks(
        stacked,
        module,
        chunks=(ROW_GROUP, 1 + len(module.INPUTS)),
        meta=np.empty((0, 0), dtype=np.float64),
    ).compute(scheduler="processes")
    expected = np.column_stack([batch.column(n).to_numpy() for n in ("value", "d/dx", "d/dy")])
    assert np.array_equal(result, expected)


def test_the_readme_recipe_runs_as_it_stands_and_equals_cg_eval_batch(tmp_path):
    """The README's recipe, copied out of it and run as a user runs it: a script,
    with model.py beside it, writing a Parquet dataset of the gradients."""
    readme = (Path(__file__).parent.parent / "README.md").read_text()
    recipe = re.search(r"```python\n(# cg codegen ([^\n]*?) -o model\.py\n.*?)```", readme, re.S)
    assert recipe is not None, "the README's Dask recipe"
    program = recipe.group(2).strip('"')
    assert program == PROGRAM
    assert run_cg("codegen", program, "-o", str(tmp_path / "model.py")).code == 0
    (tmp_path / "recipe.py").write_text(recipe.group(1))
    rng = np.random.default_rng(7)
    table = pa.table({"x": rng.normal(size=ROWS), "y": rng.normal(size=ROWS)})
    pq.write_table(table, tmp_path / "points.parquet", row_group_size=ROW_GROUP)
    run = subprocess.run(
        [sys.executable, "recipe.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stderr
    parts = sorted((tmp_path / "gradients").glob("*.parquet"))
    assert len(parts) == ROWS // ROW_GROUP  # a partition a row group, each written
    result = pd.read_parquet(tmp_path / "gradients")
    batch = tmp_path / "batch.parquet"
    cg = run_cg("eval", PROGRAM, "--batch", str(tmp_path / "points.parquet"), "-o", str(batch))
    assert cg.code == 0, cg.stderr
    expected = pq.read_table(batch)
    assert list(result.columns) == ["value", "d/dx", "d/dy"]
    for name in result.columns:
        assert np.array_equal(result[name].to_numpy(), expected.column(name).to_numpy()), name
