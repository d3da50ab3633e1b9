"""Faults and resources: huge, deep and nasty inputs are answered or refused, quickly."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_properties import refuses_clearly


def cg_process(*args, stdin=None, timeout=60, **kwargs):
    # The peak of this process's own memory (VmHWM): getrusage's ru_maxrss would
    # also count the RSS of the pytest process it was forked from.
    code = (
        "import re, sys\nfrom cgcli.cli import main\n"
        "try:\n    main(sys.argv[1:])\nfinally:\n"
        "    status = open('/proc/self/status').read()\n"
        "    peak = re.search(r'VmHWM:\\s*(\\d+)', status).group(1)\n"
        "    print(f'peak-kib={peak}', file=sys.stderr)\n"
    )
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", code, *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        **kwargs,
    )
    run.seconds = time.perf_counter() - started
    run.peak_mib = int(run.stderr.decode().rsplit("peak-kib=", 1)[1]) / 1024
    return run


def test_a_100_megabyte_program_is_refused_without_reading_it_all(tmp_path):
    program = tmp_path / "huge.cg"
    with open(program, "w") as handle:
        for _ in range(100):
            handle.write("x+" * (512 * 1024))  # 1 MiB a round
        handle.write("x")
    run = cg_process("eval", "-f", str(program), "x=1")
    assert run.returncode == 2
    assert b"holds more than 33,554,432 bytes" in run.stderr
    assert run.seconds < 20 and run.peak_mib < 300
    run = cg_process("eval", "-", "x=1", stdin=program.read_bytes())
    assert run.returncode == 2 and b"standard input holds more than" in run.stderr


def test_a_million_deep_nesting_is_answered(tmp_path):
    program = tmp_path / "deep.cg"
    program.write_text("sin(" * 1_000_000 + "x" + ")" * 1_000_000)
    run = cg_process("eval", "-f", str(program), "x=0.5", "--json", timeout=180)
    assert run.returncode == 0, run.stderr[-500:]
    assert b'"name": "x"' in run.stdout
    assert run.peak_mib < 3000


@pytest.mark.parametrize("x", ["2", "1.5", "0.5", "-2"])
@pytest.mark.parametrize("exact", [[], ["--exact"]])
def test_a_power_tower_is_answered_quickly(x, exact):
    run = cg_process("eval", "x^x^x^x^x^x^x^x^x^x", f"x={x}", "--json", *exact, timeout=30)
    assert run.returncode == 0, run.stderr
    assert run.seconds < 15


def test_a_5000_digit_literal(cg):
    digits = "1" * 5000
    refuses_clearly(cg("eval", f"x + {digits}", "x=1"))  # too large for float64: refused
    assert "too large for a float64" in cg("eval", f"x + {digits}", "x=1").stderr
    small = "0." + "3" * 5000
    run = cg("eval", f"x + {small}", "x=1", "--json")
    assert run.code == 0 and run.json()["output"]["value"] == 1 + 1 / 3
    run = cg("eval", f"x + {small}", "x=1", "--json", "--exact")  # past the cap: a float
    assert run.code == 0 and run.json()["output"]["exact"] is None
    refuses_clearly(cg("eval", "x", f"x={small}", "--exact"))
    assert cg("eval", "x", f"x={small}").code == 0


def test_too_many_nodes_are_refused(cg, tmp_path):
    program = tmp_path / "wide.cg"
    program.write_text("+".join(["x"] * 5_000_001))
    run = cg("eval", "-f", str(program), "x=1")
    assert run.code == 2 and "more than 5,000,000 nodes" in run.stderr


def test_a_closed_standard_output_ends_quietly():
    run = subprocess.run(
        f"{sys.executable} -m cgcli eval '(a+b)*(b-c)' a=1 b=2 c=3 >&-",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stderr and "Exception ignored" not in run.stderr


def test_ctrl_c_ends_with_130_and_no_traceback(tmp_path):
    program = tmp_path / "deep.cg"
    program.write_text("sin(" * 1_000_000 + "x" + ")" * 1_000_000)
    process = subprocess.Popen(
        [sys.executable, "-m", "cgcli", "eval", "-f", str(program), "x=0.5"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    time.sleep(2.0)  # well into the parse
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"Traceback" not in stderr


def test_numpy_files_are_never_unpickled():
    # Checked again for the array inputs: every np.load in the package says
    # allow_pickle=False (the source scan in test_project.py forbids True).
    root = Path(__file__).resolve().parents[1] / "cgcli"
    for path in root.rglob("*.py"):
        for line in path.read_text().splitlines():
            if "np.load(" in line:
                assert "allow_pickle=False" in line, (path.name, line)
