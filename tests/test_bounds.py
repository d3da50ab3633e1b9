"""Hostile input, round two (issue 12): memory that stays bounded, costs that stay
linear, plain refusals where Python's limits were met, the library's inputs taken
as float64, and messages of bounded length.

Memory is tested in a subprocess under an address-space limit, never by
allocating much here; cost, by counting the work done, never by timing it."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from programs import programs
from test_properties import refuses_clearly

import cgcli
from cgcli.language.parse import parse

LIMIT = 1 << 30  # bytes of address space for a cg under test: numpy needs ~400 MiB


def limited(*args, timeout=60, stdin=None):
    """cg in a fresh process that may not map more than LIMIT bytes."""

    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))

    env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "COLUMNS": "80"}
    run = subprocess.run(
        [sys.executable, "-m", "cgcli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=cap,
        env=env,
        input=stdin,
    )
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    return run


def refused(run, *words, longest=600):
    """A clean refusal, exit code 2, in one bounded paragraph that says `words`."""
    assert run.returncode == 2, (run.returncode, run.stderr[-800:])
    assert run.stderr.startswith("error: "), run.stderr[:300]
    assert len(run.stderr) <= longest, len(run.stderr)
    for word in words:
        assert word in run.stderr, run.stderr


# ------------------------------------------------------------ files of values


@pytest.mark.parametrize("name", ["zero.csv", "zero.json"])
def test_an_endless_binding_file_is_refused_after_a_bounded_read(tmp_path, name):
    (tmp_path / name).symlink_to("/dev/zero")
    run = limited("eval", "sum(x)", f"x=@{tmp_path / name}")
    refused(run, "holds more than 33,554,432 bytes", "1/32 of the memory budget", ".npy")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_an_endless_values_file_is_refused_after_a_bounded_read(device):
    refused(limited("eval", "x", "--values", device), "in --values", "holds more than")


def test_a_gigabyte_one_line_values_file_is_neither_read_nor_echoed(tmp_path):
    # Sparse: a gigabyte long, and nothing on the disk.
    for name, start in (("line.txt", b"x=1"), ("big.json", b"[1, 2"), ("big.csv", b"1,2")):
        path = tmp_path / name
        with open(path, "wb") as handle:
            handle.write(start)
            handle.truncate(1 << 30)
    refused(limited("eval", "x", "--values", str(tmp_path / "line.txt")), "holds more than")
    refused(limited("eval", "sum(x)", f"x=@{tmp_path / 'big.json'}"), "holds more than")
    refused(limited("eval", "sum(x)", f"x=@{tmp_path / 'big.csv'}"), "holds more than")


def test_the_text_limit_follows_the_budget(cg, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(",".join(["1"] * 20_000))  # 39,999 bytes
    assert cg("eval", "sum(x)", f"x=@{path}", "--json").json()["output"]["value"] == 20_000
    run = cg("eval", "sum(x)", f"x=@{path}", "--max-memory", "1M")  # 1 MiB / 32 = 32 KiB
    assert run.code == 2 and "holds more than 32,768 bytes" in run.stderr


def npy_header(path, shape, descr="<f8", data=b""):
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(
            handle, {"descr": descr, "fortran_order": False, "shape": shape}
        )
        handle.write(data)


def test_a_npy_header_claiming_a_trillion_elements_is_refused_before_reading(tmp_path):
    npy_header(tmp_path / "huge.npy", (10**12,), data=b"\0" * 80)
    run = limited("eval", "sum(x)", f"x=@{tmp_path / 'huge.npy'}")
    # 10^12 float64 are 8e12 bytes = 7.28 TiB (8e12 / 2^40).
    refused(run, "x=@", "an array of shape (1000000000000,)", "7.28 TiB", "budget of 1 GiB")


def test_a_npy_file_shorter_than_its_header_says_is_refused(cg, tmp_path):
    npy_header(tmp_path / "short.npy", (1000,), data=b"\0" * 80)
    run = cg("eval", "sum(x)", f"x=@{tmp_path / 'short.npy'}")
    assert run.code == 2 and "shorter than its header says" in run.stderr, run.stderr


def test_a_device_or_noise_named_npy_is_not_said_to_be_pickled(cg, tmp_path):
    (tmp_path / "zero.npy").symlink_to("/dev/zero")
    (tmp_path / "noise.npy").write_bytes(os.urandom(4096))
    for name in ("zero.npy", "noise.npy"):
        run = cg("eval", "sum(x)", f"x=@{tmp_path / name}")
        assert run.code == 2 and "is not a .npy file cg reads" in run.stderr, run.stderr
        assert "pickle" not in run.stderr


def test_npy_arrays_together_count_against_the_budget(tmp_path):
    from cgcli.interpret.budget import BudgetError
    from cgcli.io.bindings import parse_bindings

    np.save(tmp_path / "a.npy", np.ones(100_000))  # 800,000 bytes each
    a, b, c = (f"{name}=@{tmp_path / 'a.npy'}" for name in "abc")
    assert len(parse_bindings([a, b], budget=2_000_000)) == 2  # 1,600,000 bytes
    with pytest.raises(BudgetError, match=r"c=@.*with the arrays bound before it"):
        parse_bindings([a, b, c], budget=2_000_000)  # 2,400,000 bytes


# ----------------------------------------------------------- results too large


def test_a_result_shape_inference_knows_is_huge_is_refused_naming_it(tmp_path):
    np.save(tmp_path / "x.npy", np.arange(100_000.0))
    run = limited("eval", "sum(x + transpose(reshape(x, 1, 100000)))", f"x=@{tmp_path / 'x.npy'}")
    # (100000, 100000) float64: 8e10 bytes = 74.5 GiB (8e10 / 2^30 = 74.51).
    refused(run, "an array of shape (100000,100000)", "74.5 GiB", "= x + ", "--max-memory")


@pytest.mark.parametrize(
    "program",
    [
        "x + transpose(reshape(x, 1, 100000))",  # an array output: values only
        "sum(x + transpose(reshape(x, 1, 100000))) + y",  # y unbound: what x gives
    ],
)
def test_cg_graph_refuses_a_huge_result_before_computing_the_values_it_draws(tmp_path, program):
    # cg graph draws the values it can compute where evaluate would refuse (an array
    # output, an input unbound): the same budget holds there. (100000, 100000): 74.5 GiB.
    np.save(tmp_path / "x.npy", np.arange(100_000.0))
    run = limited("graph", program, f"x=@{tmp_path / 'x.npy'}")
    refused(run, "an array of shape (100000,100000)", "74.5 GiB", "= x + ", "--max-memory")


def test_a_jacobian_past_the_budget_is_refused_before_it_is_built(cg, tmp_path):
    np.save(tmp_path / "x.npy", np.arange(100_000.0))
    run = limited("eval", "x*2", f"x=@{tmp_path / 'x.npy'}", "--jacobian")
    refused(run, "the Jacobian of y", "10,000,000,000 entries", "74.5 GiB")
    # 100 x 100 entries of 8 bytes: 80,000 bytes, over 50K and under the default.
    args = ["eval", "x*2", f"x={json.dumps(list(range(100)))}", "--jacobian", "--json"]
    doc = cg(*args).json()
    assert np.array_equal(doc["jacobian"]["x"], 2 * np.eye(100))
    run = cg(*args, "--max-memory", "50K")
    assert run.code == 2 and "10,000 entries" in run.stderr and "78.1 KiB" in run.stderr


def test_the_values_and_derivatives_of_all_nodes_count_together(cg, tmp_path):
    # Each of the 4 arrays of 1000 x 1000 takes 8 MB; x and its adjoint, t and its
    # adjoint: 32 MB in all, under 40M (41,943,040 bytes) and over 24M (25,165,824).
    np.save(tmp_path / "x.npy", np.ones((1000, 1000)))
    args = ["eval", "sum(x*2)", f"x=@{tmp_path / 'x.npy'}", "--json"]
    assert cg(*args, "--max-memory", "40M").json()["output"]["value"] == 2_000_000
    run = cg(*args, "--max-memory", "24M")
    assert run.code == 2 and "values and derivatives of the arrays up to" in run.stderr


def test_the_library_takes_a_budget():
    from cgcli.interpret.budget import BudgetError

    x = np.ones(1000)
    with pytest.raises(BudgetError, match="shape \\(1000,1000\\)"):
        cgcli.run("sum(x * reshape(x, 1000, 1))", {"x": x}, max_memory="1M")
    result = cgcli.run("sum(x * reshape(x, 1000, 1))", {"x": x}, max_memory=None)
    assert result.output == 1000 * 1000


@pytest.mark.parametrize(
    "text, size",
    [
        ("512M", 512 * 2**20),
        ("4G", 4 * 2**30),
        ("1.5G", 3 * 2**29),
        ("2GiB", 2 * 2**30),
        ("64MB", 64 * 2**20),
        ("100000", 100000),
        (" 8 k ", 8192),
        (1234, 1234),
    ],
)
def test_sizes(text, size):
    from cgcli.interpret.budget import parse_size

    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["12Q", "0", "-1", "", "1e9", "9" * 5000, "G", 0, -5, True])
def test_bad_sizes(text):
    from cgcli.interpret.budget import parse_size

    with pytest.raises(ValueError):
        parse_size(text)


def test_sizes_are_shown_as_numpy_shows_them():
    from cgcli.interpret.budget import show_size

    assert show_size(8 * 10**10) == "74.5 GiB"
    assert show_size(8 * 10**12) == "7.28 TiB"
    assert show_size(512 * 2**20) == "512 MiB"
    assert show_size(800) == "800 bytes"


def test_a_bad_max_memory_is_a_usage_error(cg):
    run = cg("eval", "x", "x=1", "--max-memory", "12Q")
    assert run.code == 2 and "'12Q' is not a size such as 512M" in run.stderr


# ----------------------------------------------------------- the node limit


def test_a_program_sure_to_pass_the_node_limit_is_refused_before_the_parse(monkeypatch):
    from cgcli.language import lalr

    def parsed(*args, **kwargs):
        raise AssertionError("the parse started")

    monkeypatch.setattr(lalr.Parser, "parse", parsed)
    for source in ("+".join(["x"] * 5_000_001), "x/y-" * 2_500_000 + "x"):
        with pytest.raises(cgcli.errors.UsageError, match="more than 5,000,000 nodes"):
            parse(source)


@given(programs(max_depth=5))
def test_the_count_of_nodes_is_never_more_than_the_nodes(case):
    from cgcli.language.parse import fewest_nodes

    source, values, _ = case
    assert fewest_nodes(source) <= len(parse(source, bound=values).nodes)


@given(st.text(alphabet="xy12.e+-*/^@()[],:;= \n\t#sinTE", max_size=40))
def test_the_count_of_nodes_is_a_lower_bound_for_any_text_that_parses(text):
    from cgcli.language.parse import fewest_nodes

    try:
        graph = parse(text, bound={"x", "y"})
    except cgcli.errors.CgError:
        return
    assert fewest_nodes(text) <= len(graph.nodes)


def test_the_count_of_nodes_by_hand():
    from cgcli.language.parse import fewest_nodes

    # 1 input, then an add for each +: 5 nodes; the 1e-3 is a constant, not a minus.
    assert fewest_nodes("x+x+x+x+x") == 5
    assert fewest_nodes("x*1e-3") == 2  # mul, and an operand
    assert fewest_nodes("x**2 # 1+2+3+4") == 2  # one power; the comment is not code
    assert fewest_nodes("sin (x) - -x") == 3  # sin, the binary minus, an operand


# ------------------------------------------------------------ linear costs


def test_a_name_reassigned_n_times_costs_n_lookups(monkeypatch):
    import cgcli.language.parse as parsing

    class Counting(set):
        probes = 0

        def __contains__(self, item):
            Counting.probes += 1
            return super().__contains__(item)

    original = parsing._Builder.__init__

    def counting(self, *args):
        original(self, *args)
        self.used = Counting(self.used)

    monkeypatch.setattr(parsing._Builder, "__init__", counting)
    n = 2000
    graph = parse("c = 1\n" + "c = c + 1\n" * n + "c")
    assert graph.nodes[graph.output].name == f"c_{n + 1}"
    # Each new name is tried once (and found free): the old search tried 2, 3, ...
    # every time, n^2/2 = 2,000,000 probes.
    assert Counting.probes <= 3 * n


# ------------------------------------------------------- Python's digit limit

DIGITS = "9" * 5000
ZEROS = "0" * 5000


@pytest.mark.parametrize(
    "args, words",
    [
        ([f"x[{DIGITS}]", "x=[1,2]"], "is too large (5,000 digits): no array has that many"),
        ([f"x[1:{DIGITS}]", "x=[1,2]"], "is too large (5,000 digits): no array has that many"),
        ([f"x[::-{DIGITS}]", "x=[1,2]"], "is too large (5,000 digits): no array has that many"),
        # A number that is not 0 but would be read as 0 is refused, --exact or not.
        ([f"x*1e-{DIGITS}", "x=2", "--exact"], "is too small for a float64: it would be 0"),
        (["sum(x, axis=1e300)", "x=[1,2]"], "too large for any array"),
        (["sum(reshape(x, 1e300))", "x=[1,2]"], "too large for any array"),
        (["sum(reshape(x, shape=[1e300]))", "x=[1,2]"], "too large for any array"),
        (["x", f"x=1e-{DIGITS}", "--exact"], "too many digits for exact arithmetic"),
        (["x", f"x=1/1e-{DIGITS}", "--exact"], "too many digits for exact arithmetic"),
        (["sum(x)", f"x=[{DIGITS}]"], "too large for a float64"),
    ],
)
def test_digits_past_pythons_limit_get_a_plain_refusal(cg, args, words):
    run = cg("eval", *args)
    refuses_clearly(run)
    assert run.code == 2 and words in run.stderr, run.stderr
    assert len(run.stderr) < 600


def test_digits_past_pythons_limit_that_mean_something_small_are_read(cg):
    # Leading zeros do not make a number large, nor its exponent.
    doc = cg("eval", f"x*1e-{ZEROS}5", "x=2", "--exact", "--json").json()
    assert doc["output"]["exact"] == "1/50000"  # 2 * 10^-5
    doc = cg("eval", f"x[{ZEROS}1]", "x=[1,2]", "--json").json()
    assert doc["output"]["value"] == 2.0
    doc = cg("eval", "x", f"x=1e-{ZEROS}5", "--exact", "--json").json()
    assert doc["output"]["exact"] == "1/100000"


# ------------------------------------------------------------ the library


def test_integer_arrays_are_float64_not_wrapping_integers():
    result = cgcli.run("sum(x*x)", {"x": np.array([3037000500, 1])})
    # 3037000500^2 + 1 = 9223372037000250001, past int64's 9223372036854775807.
    assert result.output == 9223372037000250001.0
    assert result.gradient["x"].tolist() == [6074001000.0, 2.0]
    result = cgcli.run(
        "sum(x - y)", {"x": np.array([0], dtype=np.uint8), "y": np.array([1], dtype=np.uint8)}
    )
    assert result.output == -1.0 and result.gradient["y"].dtype == np.float64


def test_numpy_scalars_fractions_and_decimals_are_numbers():
    from decimal import Decimal

    result = cgcli.run("x - y", {"x": np.uint8(0), "y": np.int64(1)})
    assert result.output == -1.0 and type(result.gradient["x"]) is np.float64
    assert type(cgcli.run("x", {"x": Fraction(1, 3)}).output) is np.float64
    assert cgcli.run("x", {"x": Fraction(1, 3)}, exact=True).output == Fraction(1, 3)
    assert cgcli.run("x*3", {"x": np.int64(2)}, exact=True).output == Fraction(6)
    assert cgcli.run("x", {"x": Decimal("0.1")}, exact=True).output == Fraction(1, 10)
    assert cgcli.run("sum(x)", {"x": [Fraction(1, 2), 1]}).output == 1.5
    assert cgcli.run("2*x", {"x": np.array(3)}).output == 6.0


@pytest.mark.parametrize(
    "value",
    [
        [1, None],
        [1, "a"],
        ["1.5"],
        [True, 1],
        [[1, 2], [3]],
        np.array([1, None], dtype=object),
        np.array([1 + 1j]),
        np.array(["1"]),
        np.array([True]),
        np.bool_(True),
        True,
        1 + 2j,
        "2",
        None,
    ],
)
def test_what_is_not_a_number_is_a_type_error(value):
    with pytest.raises(TypeError, match="the value of x"):
        cgcli.run("sum(x)", {"x": value})


def test_a_masked_array_is_refused_not_half_used():
    with pytest.raises(TypeError, match="masked array"):
        cgcli.run("sum(x*x)", {"x": np.ma.masked_array([1.0, 2.0], mask=[0, 1])})


@pytest.mark.parametrize(
    "value", [10**400, [10**400], Fraction(10**400), np.array([np.longdouble("1e4000")])]
)
def test_a_number_past_float64_is_a_value_error(value):
    with pytest.raises(ValueError, match="too large for a float64"):
        cgcli.run("sum(x)", {"x": value})


# ------------------------------------------------------------ messages


def test_integers_past_64_bits_in_a_json_array_are_numbers(cg, tmp_path):
    doc = cg("eval", "sum(x)", "x=[100000000000000000000, 1]", "--json").json()
    assert doc["output"]["value"] == 1e20  # 1e20 + 1 rounds to 1e20 in float64
    (tmp_path / "x.json").write_text("[100000000000000000000, 2]")
    doc = cg("eval", "sum(x)", f"x=@{tmp_path / 'x.json'}", "--json").json()
    assert doc["inputs"]["x"] == [1e20, 2.0]


def test_duplicate_keys_in_a_values_file_are_refused(cg, tmp_path):
    (tmp_path / "v.json").write_text('{"x": 1, "y": 2, "x": 3}')
    run = cg("eval", "x", "--values", str(tmp_path / "v.json"))
    assert run.code == 2 and "'x' is given twice" in run.stderr, run.stderr


@pytest.mark.parametrize(
    "name, text", [("v.txt", "x=1.5\ny=2\n"), ("v.json", '{"x": 1.5, "y": [2]}')]
)
def test_a_byte_order_mark_in_a_values_file_is_skipped(cg, tmp_path, name, text):
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode())
    doc = cg("eval", "x*sum(y)", "--values", str(tmp_path / name), "--json").json()
    assert doc["output"]["value"] == 3.0


@pytest.mark.parametrize("name, text", [("x.csv", "1,2\n"), ("x.json", "[1, 2]")])
def test_a_byte_order_mark_in_an_array_file_is_skipped(cg, tmp_path, name, text):
    (tmp_path / name).write_bytes(b"\xef\xbb\xbf" + text.encode())
    assert cg("eval", "sum(x)", f"x=@{tmp_path / name}", "--json").json()["output"]["value"] == 3


def test_lone_carriage_returns_end_lines(cg, tmp_path):
    (tmp_path / "p.cg").write_bytes(b"a = 1\rb = 2\ra*b")
    assert cg("eval", "-f", str(tmp_path / "p.cg"), "--json").json()["output"]["value"] == 2
    (tmp_path / "q.cg").write_bytes(b"a = 1\rb = )\ra*b")
    run = cg("eval", "-f", str(tmp_path / "q.cg"))
    assert run.code == 2 and "juxtaposition" not in run.stderr
    assert "line 2" in run.stderr, run.stderr


@pytest.mark.parametrize(
    "binding, words",
    [
        ("x=1/1e-400", "too large for a float64"),  # 10^400
        (f"x=1/1e-{DIGITS}", "too small for a float64: it would be 0"),
        (f"x=1/0e-{DIGITS}", "the denominator is 0"),
        ("x=1/0.000", "the denominator is 0"),
    ],
)
def test_a_denominator_that_underflows_is_not_called_0(cg, binding, words):
    run = cg("eval", "x", binding)
    assert run.code == 2 and words in run.stderr, run.stderr
    assert len(run.stderr) < 400


def test_a_fraction_of_two_tiny_numbers_is_their_ratio(cg):
    doc = cg("eval", "x", "x=3e-400/1.5e-400", "--json").json()
    assert doc["output"]["value"] == 2.0
    doc = cg("eval", "x", "x=1/1e-400", "--exact", "--json").json()
    assert doc["output"]["exact"] == str(10**400)


def test_a_long_unbound_name_is_shown_clipped(cg):
    name = "a" * 1_000_000
    run = cg("eval", name)
    assert run.code == 2 and "no value for the variable aaa" in run.stderr
    assert len(run.stderr) < 600


def test_many_unbound_names_are_counted_not_listed(cg):
    run = cg("eval", "+".join(f"v{i}" for i in range(100_000)))
    names = ", ".join(f"v{i}" for i in range(10))
    assert run.code == 2 and f"{names} and 99,990 more" in run.stderr
    assert len(run.stderr) < 600


def test_many_unused_bindings_are_counted_not_listed(cg, tmp_path):
    (tmp_path / "v.json").write_text(json.dumps({f"w{i}": 1 for i in range(100_000)}))
    run = cg("eval", "x", "x=1", "--values", str(tmp_path / "v.json"), "--json")
    unused = [w for w in run.json()["warnings"] if w["kind"] == "unused"]
    assert len(unused) == 11
    assert unused[-1]["message"].startswith("nor does it use 99,990 more of the names bound")


def test_a_long_garbage_line_in_a_values_file_is_clipped(cg, tmp_path):
    (tmp_path / "v.txt").write_text("x" * 10_000_000 + "\n")
    run = cg("eval", "x", "--values", str(tmp_path / "v.txt"))
    assert run.code == 2 and "is not of the form name=number" in run.stderr
    assert len(run.stderr) < 400


@pytest.mark.parametrize(
    "program",
    [
        "[" + ",".join(f"v{i}" for i in range(2_000)) + "]\n1",  # a statement not used
        "sum([" + ",".join(f"v{i}" for i in range(2_000)) + ", [1, 2]])",  # shapes differ
        "x." + "T" * 100_000,
        "sum(x, " + "a" * 100_000 + "=1)",
    ],
)
def test_messages_about_long_programs_are_bounded(cg, tmp_path, program):
    (tmp_path / "p.cg").write_text(program)
    (tmp_path / "v.json").write_text(json.dumps({f"v{i}": 1 for i in range(2_000)}))
    run = cg("eval", "-f", str(tmp_path / "p.cg"), "--values", str(tmp_path / "v.json"), "x=[1]")
    refuses_clearly(run)
    assert 0 < len(run.stderr) < 1000, run.stderr[:2000]
