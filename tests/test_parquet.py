"""--batch with Parquet: points read a record batch at a time and results written
under the CSV's column names, checked against hand-derived gradients and against
the same points given as CSV; hostile files refused in words, within memory.

pyarrow is an optional extra: these tests skip without it, except in CI, where
CG_REQUIRE_DASK=1 makes its absence a failure.
"""

from __future__ import annotations

import datetime
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import strict_json
from test_batch_hostile import cg_limited, refused

if os.environ.get("CG_REQUIRE_DASK") == "1":
    import pyarrow as pa  # CI: the extra is required, so its absence fails here
else:
    pa = pytest.importorskip("pyarrow")
import pyarrow.parquet as pq

PROGRAM = "sin(x)*exp(-y^2) + log(1+x^2)"


def by_hand(x, y):
    """The value and gradient of PROGRAM, derived by hand."""
    e = np.exp(-(y**2))
    value = np.sin(x) * e + np.log1p(x**2)
    dx = np.cos(x) * e + 2 * x / (1 + x**2)
    dy = -2 * y * np.sin(x) * e
    return value, dx, dy


@pytest.fixture
def points(tmp_path):
    """2,000 points in 7 row groups: x as float64, y as float32, with an id (int32),
    a date and a label that holds a comma."""
    rng = np.random.default_rng(15)
    n = 2000
    table = pa.table(
        {
            "id": pa.array(np.arange(n), pa.int32()),
            "x": rng.normal(size=n) * 3,
            "y": rng.normal(size=n).astype(np.float32),
            "when": pa.array([datetime.date(2020, 1, 1 + i % 28) for i in range(n)]),
            "label": [f"p{i},q" for i in range(n)],
        }
    )
    path = tmp_path / "points.parquet"
    pq.write_table(table, path, row_group_size=300)
    assert pq.ParquetFile(path).metadata.num_row_groups == 7
    return path, table


def test_parquet_in_and_out_gives_the_gradient_derived_by_hand(cg, points, tmp_path):
    path, table = points
    out = tmp_path / "out.parquet"
    run = cg("eval", PROGRAM, "--batch", str(path), "-o", str(out), "--keep", "id,when,label")
    assert run.code == 0, run.stderr
    result = pq.read_table(out)
    assert result.column_names == ["id", "when", "label", "x", "y", "value", "d/dx", "d/dy"]
    schema = result.schema
    assert schema.field("id").type == pa.int32()  # kept columns keep their Arrow type
    assert schema.field("when").type == pa.date32()
    assert schema.field("label").type == pa.string()
    assert all(schema.field(name).type == pa.float64() for name in result.column_names[3:])
    for name in ("id", "when", "label"):
        assert result.column(name).to_pylist() == table.column(name).to_pylist()
    x = table.column("x").to_numpy()
    y = table.column("y").to_numpy().astype(np.float64)  # float32 read exactly as float64
    assert np.array_equal(result.column("x").to_numpy(), x)
    assert np.array_equal(result.column("y").to_numpy(), y)
    value, dx, dy = by_hand(x, y)
    np.testing.assert_allclose(result.column("value").to_numpy(), value, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(result.column("d/dx").to_numpy(), dx, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(result.column("d/dy").to_numpy(), dy, rtol=1e-14, atol=1e-15)


def test_parquet_is_read_as_the_same_points_in_csv_are(cg, points, tmp_path):
    path, table = points
    csv = tmp_path / "points.csv"
    x, y = table.column("x").to_numpy(), table.column("y").to_numpy().astype(np.float64)
    csv.write_text("x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(x.tolist(), y.tolist())))
    from_csv = cg("eval", PROGRAM, "--batch", str(csv))
    from_parquet = cg("eval", PROGRAM, "--batch", str(path))
    assert from_csv.code == 0 and from_parquet.code == 0, from_parquet.stderr
    assert from_parquet.stdout == from_csv.stdout  # the CSV text, byte for byte
    assert "id, when, label are not written" in from_parquet.stderr
    # and Parquet written from CSV holds the very numbers that CSV writes
    out = tmp_path / "out.parquet"
    assert cg("eval", PROGRAM, "--batch", str(csv), "-o", str(out)).code == 0
    written = pq.read_table(out)
    lines = from_csv.stdout.splitlines()
    assert written.column_names == lines[0].split(",")
    rows = np.array([[float(v) for v in line.split(",")] for line in lines[1:]])
    columns = np.column_stack([c.to_numpy() for c in written.columns])
    assert np.array_equal(columns, rows)


def test_columns_kept_from_parquet_as_csv_and_json_write_them(cg, points):
    path, _ = points
    run = cg("eval", "x", "--batch", str(path), "--keep", "id,when,label")
    assert run.stdout.splitlines()[0] == "id,when,label,x,value,d/dx"
    assert run.stdout.splitlines()[2].startswith('1,2020-01-02,"p1,q",')
    run = cg("eval", "x", "--batch", str(path), "--keep", "id,when", "--json")
    first = strict_json(run.stdout.splitlines()[0])
    assert first["kept"] == {"id": 0, "when": "2020-01-01"}


def test_kept_columns_from_csv_are_text_in_parquet(cg, tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("name,x\nfirst,1\nsecond,2\n")
    out = tmp_path / "o.parquet"
    assert cg("eval", "x*x", "--batch", str(csv), "--keep", "name", "-o", str(out)).code == 0
    table = pq.read_table(out)
    assert table.schema.field("name").type == pa.string()
    assert table.to_pylist() == [
        {"name": "first", "x": 1.0, "value": 1.0, "d/dx": 2.0},
        {"name": "second", "x": 2.0, "value": 4.0, "d/dx": 4.0},
    ]


def test_an_empty_file_gives_an_empty_table_with_the_kept_types(cg, tmp_path):
    path = tmp_path / "empty.parquet"
    pq.write_table(pa.table({"k": pa.array([], pa.int16()), "x": pa.array([], pa.float64())}), path)
    out = tmp_path / "o.parquet"
    assert cg("eval", "2*x", "--batch", str(path), "--keep", "k", "-o", str(out)).code == 0
    table = pq.read_table(out)
    assert table.num_rows == 0
    assert table.schema.field("k").type == pa.int16()
    assert table.column_names == ["k", "x", "value", "d/dx"]
    assert cg("eval", "2*x", "--batch", str(path)).stdout == "x,value,d/dx\n"


def test_nulls_are_refused_by_row_or_skipped_and_counted(cg, tmp_path):
    path = tmp_path / "nulls.parquet"
    table = pa.table(
        {"id": [1, 2, 3, 4, 5], "x": [1.0, None, 3.0, float("nan"), 5.0], "y": [1, 2, 3, 4, None]}
    )
    pq.write_table(table, path, row_group_size=2)
    run = cg("eval", "x+y", "--batch", str(path))
    assert run.code == 2
    assert (
        run.stderr.startswith("error: ") and "row 2: the value of x is missing (null)" in run.stderr
    )
    run = cg("eval", "x", "--batch", str(path), "x=1")  # x bound: only y is read
    assert run.code == 2 and "x is given twice" in run.stderr
    run = cg("eval", "x+2*y", "--batch", str(path), "--skip-bad-rows", "--keep", "id")
    assert run.code == 0, run.stderr
    assert run.stdout.splitlines() == [
        "id,x,y,value,d/dx,d/dy",
        "1,1.0,1.0,3.0,1.0,2.0",
        "3,3.0,3.0,9.0,1.0,2.0",
    ]
    assert "skipped 3 bad rows (lines 2, 4, 5)" in run.stderr or "rows 2, 4, 5" in run.stderr
    nan = tmp_path / "nan.parquet"
    pq.write_table(pa.table({"x": [1.0, float("inf")]}), nan)
    run = cg("eval", "x", "--batch", str(nan))
    assert run.code == 2 and "row 2: the value of x is not finite" in run.stderr


@pytest.mark.parametrize(
    "column, words",
    [
        (pa.array(["1", "2"]), "the values of x are string, not numbers"),
        (pa.array([True, False]), "the values of x are bool, not numbers"),
        (pa.array([[1.0], [2.0]]), "the values of x are list<element: double>, not numbers"),
    ],
)
def test_a_column_the_program_uses_must_hold_numbers(cg, tmp_path, column, words):
    path = tmp_path / "t.parquet"
    pq.write_table(pa.table({"x": column}), path)
    run = cg("eval", "x", "--batch", str(path))
    assert run.code == 2 and words in run.stderr, run.stderr
    assert "Traceback" not in run.stderr


def test_integer_columns_are_read_as_float64(cg, tmp_path):
    path = tmp_path / "i.parquet"
    pq.write_table(
        pa.table(
            {
                "x": pa.array([3, -4], pa.int8()),
                "y": pa.array([7, 2**53 + 1], pa.uint64()),  # rounds to 2^53, as numpy does
            }
        ),
        path,
    )
    run = cg("eval", "x*y", "--batch", str(path))
    assert run.stdout.splitlines()[1:] == [
        "3.0,7.0,21.0,7.0,3.0",
        f"-4.0,{float(2**53)!r},{-4.0 * 2**53!r},{float(2**53)!r},-4.0",
    ]


def test_missing_columns_and_clashing_names_are_refused_as_for_csv(cg, points, tmp_path):
    path, _ = points
    run = cg("eval", "x*z", "--batch", str(path))
    assert run.code == 2 and "has no column for z" in run.stderr
    run = cg("eval", "x", "--batch", str(path), "--json", "-o", str(tmp_path / "o.parquet"))
    assert run.code == 2 and "--json writes JSON lines" in run.stderr


# ------------------------------------------------------------------ hostile files


def damaged(tmp_path, points, how):
    data = bytearray(points[0].read_bytes())
    meta = pq.ParquetFile(points[0]).metadata
    if how == "cut":
        data = data[: len(data) // 2]
    elif how == "page":  # the first page header of x overwritten
        start = meta.row_group(0).column(1).data_page_offset
        data[start : start + 40] = b"\xff" * 40
    elif how == "footer":  # the metadata's bytes overwritten, its length kept
        length = int.from_bytes(data[-8:-4], "little")
        data[-8 - length : -8 - length + 64] = b"\x19" * 64
    elif how == "long footer":  # the footer says it is longer than the file
        data[-8:-4] = (len(data) * 2).to_bytes(4, "little")
    elif how == "csv":
        data = bytearray(b"x,y\n1,2\n")
    elif how == "garbage":
        data = bytearray(b"PAR1" + os.urandom(5000) + (100).to_bytes(4, "little") + b"PAR1")
    path = tmp_path / "bad.parquet"
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    "how, words",
    [
        ("cut", "is not a Parquet file"),
        ("page", "is not a whole Parquet file"),
        ("footer", "is not a whole Parquet file"),
        ("long footer", "more than the file holds"),
        ("csv", "is not a Parquet file"),
        ("garbage", "is not a whole Parquet file"),
    ],
)
def test_damaged_files_are_refused_in_words(cg, tmp_path, points, how, words):
    path = damaged(tmp_path, points, how)
    run = cg("eval", PROGRAM, "--batch", str(path), "--keep", "label")
    refused(run.code, run.stderr, words)


def test_a_row_group_larger_than_the_budget_is_refused_before_it_is_read(tmp_path):
    """16 MiB of zeros in one row group compress to a few KB; the metadata says how
    large they are, and that is more than --max-memory 8M allows."""
    path = tmp_path / "bomb.parquet"
    n = 1 << 21
    pq.write_table(
        pa.table({"x": np.zeros(n)}),
        path,
        compression="zstd",
        use_dictionary=False,
        row_group_size=n,
    )
    assert path.stat().st_size < 1 << 16
    code, _, stderr = cg_limited("eval", "x", "--batch", str(path), "--max-memory", "8M")
    refused(code, stderr, "row group 1 holds 16 MiB of the columns read, uncompressed")
    # within the budget it is read, a record batch at a time, under the 1 GiB limit
    code, _, stderr = cg_limited(
        "eval", "x", "--batch", str(path), "-o", str(tmp_path / "o.parquet")
    )
    assert code == 0, stderr
    assert pq.ParquetFile(tmp_path / "o.parquet").metadata.num_rows == n


# ------------------------------------------------------------------ without pyarrow

WITHOUT_PYARROW = (
    "import sys\nsys.modules['pyarrow'] = None\n"  # import pyarrow then fails
    "from cgcli.cli import main\nmain()\n"
)


@pytest.mark.parametrize("output", [None, "out.parquet"])
def test_without_pyarrow_cg_says_how_to_install_it(tmp_path, output):
    source = tmp_path / "p.parquet" if output is None else tmp_path / "p.csv"
    if output is None:
        source.write_bytes(b"PAR1")
    else:
        source.write_text("x\n1\n")
    args = ["eval", "x", "--batch", str(source)]
    if output:
        args += ["-o", str(tmp_path / output)]
    run = subprocess.run(
        [sys.executable, "-c", WITHOUT_PYARROW, *args], capture_output=True, text=True
    )
    refused(run.returncode, run.stderr, "pip install 'cgcli[parquet]'")
    assert not (tmp_path / "out.parquet").exists()


def test_a_csv_batch_does_not_import_pyarrow(tmp_path):
    csv = tmp_path / "p.csv"
    csv.write_text("x\n1\n")
    args = ["eval", "x*x", "--batch", str(csv), "-o", str(tmp_path / "o.csv")]
    code = (
        "import sys\nfrom cgcli.cli import main\n"
        f"try:\n    main({args!r})\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'pyarrow'))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.strip().splitlines()[-1] == "[]", run.stderr
    assert (tmp_path / "o.csv").read_text() == "x,value,d/dx\n1.0,1.0,2.0\n"
