"""Where output goes: -o as a shell's `>` would write it, write errors, closed pipes,
signals, and running out of memory. Every run here is a real process."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

NOBODY = 65534
OLD = "old\n"

needs_root = pytest.mark.skipif(
    os.geteuid() != 0, reason="making files of other users needs root (CI runs as root)"
)


def cg(*args, **kwargs):
    return subprocess.run(
        [sys.executable, "-m", "cgcli", *args], capture_output=True, text=True, **kwargs
    )


# Runs cg as nobody: the imports are made as root first, by the same run into a
# scratch file, so that this works wherever Python and the checkout are (even in
# /root, which nobody cannot read).
AS_NOBODY = f"""
import os, sys, tempfile
from cgcli.cli import main
with tempfile.TemporaryDirectory() as scratch:
    try:
        main(["eval", "x*2", "x=1", "-o", os.path.join(scratch, "warm-up")])
    except SystemExit:
        pass
os.setgroups([])
os.setgid({NOBODY})
os.setuid({NOBODY})
main(sys.argv[1:])
"""


def cg_as_nobody(target: Path):
    return subprocess.run(
        [sys.executable, "-c", AS_NOBODY, "eval", "x*2", "x=1", "-o", str(target)],
        capture_output=True,
        text=True,
    )


def shell_as(user: int | None, target: Path):
    """What `>` does: the reference every -o outcome is compared with."""
    ids = {} if user is None else {"user": user, "group": user, "extra_groups": []}
    return subprocess.run(
        ["sh", "-c", 'echo new > "$1"', "sh", str(target)], capture_output=True, text=True, **ids
    )


@contextlib.contextmanager
def world_directory():
    """A directory under /tmp that nobody can enter (pytest's tmp_path is 0700)."""
    base = Path(tempfile.mkdtemp(prefix="cg-output-", dir="/tmp"))
    base.chmod(0o755)
    try:
        yield base
    finally:
        shutil.rmtree(base, ignore_errors=True)


def directory(base: Path, owner: int, mode: int = 0o755) -> Path:
    d = base / f"dir-{owner}-{mode:o}"
    d.mkdir()
    os.chown(d, owner, owner)
    d.chmod(mode)
    return d


def old_file(path: Path, owner: int, mode: int, group: int | None = None) -> Path:
    path.write_text(OLD)
    os.chown(path, owner, owner if group is None else group)
    path.chmod(mode)
    return path


# Each builds one situation in a fresh directory and returns the path -o names.
SITUATIONS = {
    "a root file in nobody's directory": lambda b: old_file(directory(b, NOBODY) / "f", 0, 0o644),
    "nobody's read-only file": lambda b: old_file(directory(b, NOBODY) / "f", NOBODY, 0o444),
    "a file anyone may write, in root's directory": lambda b: old_file(
        directory(b, 0) / "f", 0, 0o666
    ),
    "a new file in root's directory": lambda b: directory(b, 0) / "new",
    "a new file in nobody's directory": lambda b: directory(b, NOBODY) / "new",
    "nobody's 0640 file": lambda b: old_file(directory(b, NOBODY) / "f", NOBODY, 0o640),
    "nobody's setuid program": lambda b: old_file(directory(b, NOBODY) / "f", NOBODY, 0o4755),
    "a root file anyone may write, in nobody's directory": lambda b: old_file(
        directory(b, NOBODY) / "f", 0, 0o666
    ),
    "a root file nobody's group may write": lambda b: old_file(
        directory(b, NOBODY) / "f", 0, 0o664, group=NOBODY
    ),
    "a file of another user in a sticky directory": lambda b: old_file(
        directory(b, 0, 0o1777) / "f", NOBODY - 1, 0o666
    ),
    "a root file in a sticky directory": lambda b: old_file(
        directory(b, 0, 0o1777) / "f", 0, 0o666
    ),
    "a file with a hard link": lambda b: hard_linked(directory(b, NOBODY), NOBODY),
    "a link to nobody's file": lambda b: linked(directory(b, NOBODY), NOBODY),
    "a link to nowhere": lambda b: dangling(directory(b, NOBODY)),
    "a file with an extended attribute": lambda b: with_attribute(directory(b, NOBODY), NOBODY),
}


def hard_linked(d: Path, owner: int) -> Path:
    target = old_file(d / "f", owner, 0o644)
    os.link(target, d / "other-name")
    return target


def linked(d: Path, owner: int) -> Path:
    old_file(d / "real", owner, 0o600)
    (d / "link").symlink_to(d / "real")
    return d / "link"


def dangling(d: Path) -> Path:
    (d / "link").symlink_to(d / "missing")
    return d / "link"


def with_attribute(d: Path, owner: int) -> Path:
    target = old_file(d / "f", owner, 0o644)
    try:
        os.setxattr(target, "user.note", b"kept")
    except OSError:
        pytest.skip("this file system has no user extended attributes")
    return target


def outcome(target: Path, run) -> dict:
    """What a person would check after writing to `target`."""
    d = target.parent
    real = Path(os.path.realpath(target))
    found = {"written": run.returncode == 0, "is link": target.is_symlink()}
    if real.exists():
        info = real.stat()
        text = real.read_text()
        found.update(
            changed=text != OLD,
            owner=(info.st_uid, info.st_gid),
            mode=oct(stat.S_IMODE(info.st_mode)),
            names=info.st_nlink,
            # every name of the file shows what the file holds
            names_agree=all(p.read_text() == text for p in d.iterdir() if p.samefile(real)),
            attributes={n: os.getxattr(real, n) for n in os.listxattr(real)},
        )
    found["left behind"] = sorted(p.name for p in d.iterdir() if p.name.startswith(".cg-"))
    return found


@needs_root
@pytest.mark.parametrize("situation", list(SITUATIONS))
def test_o_refuses_and_keeps_exactly_what_a_shell_redirect_would(situation):
    with world_directory() as base:
        (base / "shell").mkdir()
        (base / "cg").mkdir()
        reference = SITUATIONS[situation](base / "shell")
        target = SITUATIONS[situation](base / "cg")
        expected = outcome(reference, shell_as(NOBODY, reference))
        run = cg_as_nobody(target)
        assert outcome(target, run) == expected, run.stderr
        if expected["written"]:
            assert run.stderr == "" and "x*2" in Path(os.path.realpath(target)).read_text()
        else:
            assert run.returncode == 2
            assert run.stderr == f"error: cannot write {target}: Permission denied\n"


ROOT_SITUATIONS = {
    "nobody's file, written by root": lambda b: old_file(directory(b, NOBODY) / "f", NOBODY, 0o600),
    "a read-only file, written by root": lambda b: old_file(directory(b, 0) / "f", 0, 0o444),
    "nobody's file with a hard link, written by root": lambda b: hard_linked(
        directory(b, NOBODY), NOBODY
    ),
}


@needs_root
@pytest.mark.parametrize("situation", list(ROOT_SITUATIONS))
def test_o_as_root_keeps_the_owner_and_mode_a_redirect_keeps(situation):
    with world_directory() as base:
        (base / "shell").mkdir()
        (base / "cg").mkdir()
        reference = ROOT_SITUATIONS[situation](base / "shell")
        target = ROOT_SITUATIONS[situation](base / "cg")
        expected = outcome(reference, shell_as(None, reference))
        run = cg("eval", "x*2", "x=1", "-o", str(target))
        assert expected["written"] and outcome(target, run) == expected, run.stderr


def test_o_dev_stdout_writes_to_the_descriptor_without_truncating_it(tmp_path):
    log = tmp_path / "log"
    log.write_text("before\n")
    with open(log, "a") as handle:  # cg ... -o /dev/stdout >> log
        run = subprocess.run(
            [sys.executable, "-m", "cgcli", "eval", "x*2", "x=1", "--json", "-o", "/dev/stdout"],
            stdout=handle,
            stderr=subprocess.PIPE,
            text=True,
        )
    assert run.returncode == 0 and run.stderr == ""
    text = log.read_text()
    assert text.startswith("before\n{") and '"value": 2.0' in text


# ------------------------------------------------------------ write errors

FULL = "No space left on device"


@pytest.mark.parametrize(
    "args",
    [
        ("eval", "x*2", "x=1"),
        ("eval", "x*2", "x=1", "--json"),
        ("graph", "x*2", "x=1", "--format", "dot"),
        ("explain", "x*2", "x=1"),
        ("--help",),
    ],
)
def test_a_full_standard_output_is_a_write_error_not_a_bug(args):
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            [sys.executable, "-m", "cgcli", *args], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert run.returncode == 1
    assert run.stderr == f"error: cannot write standard output: {FULL}\n"


def test_a_full_device_and_a_closed_standard_output_are_write_errors(tmp_path):
    run = cg("eval", "x*2", "x=1", "-o", "/dev/full")
    assert run.returncode == 1 and run.stderr == f"error: cannot write /dev/full: {FULL}\n"
    run = subprocess.run(
        f"{sys.executable} -m cgcli eval x*2 x=1 >&-", shell=True, capture_output=True, text=True
    )
    assert run.returncode == 1
    assert run.stderr == "error: cannot write standard output: it is closed\n"


def points(path: Path, rows: int) -> Path:
    with open(path, "w") as handle:
        handle.write("x,y\n")
        handle.writelines(f"{i},{i + 1}\n" for i in range(rows))
    return path


@needs_root
def test_a_full_file_system_under_o_leaves_the_file_as_it_was(tmp_path):
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)])
    if mounted.returncode != 0:
        pytest.skip("cannot mount a small file system here")
    try:
        out = disk / "out.csv"
        out.write_text(OLD)
        run = cg("eval", "x*y", "--batch", str(points(tmp_path / "p.csv", 50_000)), "-o", str(out))
        assert run.returncode == 1
        assert run.stderr == f"error: cannot write {out}: {FULL}\n"
        assert out.read_text() == OLD and sorted(p.name for p in disk.iterdir()) == ["out.csv"]
    finally:
        subprocess.run(["umount", str(disk)])


# ------------------------------------------------------------ closed pipes


def closed_after_one_byte(*args):
    """Run cg with a reader that takes one byte and goes away (as `| head -c1`)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "cgcli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert process.stdout.read(1)
    process.stdout.close()
    stderr = process.stderr.read()
    process.wait(timeout=120)
    return process.returncode, stderr


@pytest.fixture(scope="module")
def large(tmp_path_factory):
    """A program and a batch whose every output is megabytes: far more than a pipe holds."""
    d = tmp_path_factory.mktemp("large")
    program = d / "long.cg"
    program.write_text("+".join(["sin(x)"] * 1000))  # a table of 150 kB
    return program, points(d / "points.csv", 200_000)


@pytest.mark.parametrize(
    "args",
    [
        ("eval", "-f", "{program}", "x=1", "--all"),
        ("eval", "-f", "{program}", "x=1", "--json"),
        ("eval", "x*y", "--batch", "{batch}"),
        ("eval", "x*y", "--batch", "{batch}", "--json"),
        ("eval", "x*y", "--batch", "{batch}", "-o", "/dev/stdout"),
        ("eval", "-f", "{program}", "x=1", "--all", "-o", "/dev/stdout"),
        ("graph", "-f", "{program}", "x=1", "--format", "dot"),
        ("graph", "-f", "{program}", "x=1", "--format", "json"),
        ("graph", "-f", "{program}", "x=1", "--format", "mermaid"),
        ("explain", "-f", "{program}", "x=1"),
        ("explain", "-f", "{program}", "x=1", "--json"),
    ],
)
def test_a_reader_that_goes_away_ends_cg_quietly_with_141(large, args):
    program, batch = large
    args = [a.format(program=program, batch=batch) for a in args]
    code, stderr = closed_after_one_byte(*args)
    assert (code, stderr) == (141, b"")


def test_a_fifo_whose_reader_goes_away_ends_cg_with_141(large, tmp_path):
    _, batch = large
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    process = subprocess.Popen(
        [sys.executable, "-m", "cgcli", "eval", "x*y", "--batch", str(batch), "-o", str(fifo)],
        stderr=subprocess.PIPE,
    )
    with open(fifo, "rb") as reader:
        assert reader.read(1)
    assert process.wait(timeout=120) == 141 and process.stderr.read() == b""


def test_a_reader_that_takes_everything_is_success():
    process = subprocess.Popen(
        [sys.executable, "-m", "cgcli", "eval", "x*2", "x=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.wait(timeout=60) == 0  # all of it is in the pipe before anyone reads
    process.stdout.close()
    assert process.stderr.read() == b""


# ------------------------------------------------------------ signals


def temporaries(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir() if p.name.startswith(".cg-"))


@contextlib.contextmanager
def batch_waiting_on_a_fifo(tmp_path, **kwargs):
    """cg writing a batch to out.csv from a FIFO that stays open: it waits, forever,
    with its temporary file beside out.csv."""
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    out = tmp_path / "out.csv"
    out.write_text(OLD)
    process = subprocess.Popen(
        [sys.executable, "-m", "cgcli", "eval", "x*y", "--batch", str(fifo), "-o", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **kwargs,
    )
    with open(fifo, "w") as writer:
        writer.write("x,y\n1,2\n")
        writer.flush()
        deadline = time.monotonic() + 30
        while not temporaries(tmp_path) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert temporaries(tmp_path), "cg never started writing"
        time.sleep(0.3)  # well inside the read
        yield process, writer, out
    process.wait(timeout=60)


SIGNALS = ["SIGTERM", "SIGHUP", "SIGINT", "SIGQUIT", "SIGUSR1", "SIGUSR2", "SIGALRM"]


@pytest.mark.parametrize("name", SIGNALS)
def test_a_signal_removes_the_temporary_file_and_ends_with_128_plus_n(tmp_path, name):
    number = getattr(signal, name)
    with batch_waiting_on_a_fifo(tmp_path) as (process, _, out):
        process.send_signal(number)
        assert process.wait(timeout=60) == 128 + number
    assert temporaries(tmp_path) == [] and out.read_text() == OLD
    assert b"Traceback" not in process.stderr.read()


def test_a_signal_ignored_at_the_start_stays_ignored(tmp_path):
    def ignore_hangups():
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as nohup does

    with batch_waiting_on_a_fifo(tmp_path, preexec_fn=ignore_hangups) as (process, writer, out):
        process.send_signal(signal.SIGHUP)
        time.sleep(0.5)
        assert process.poll() is None  # still there
        writer.write("3,4\n")
    assert process.returncode == 0
    assert out.read_text().splitlines()[1:] == ["1.0,2.0,2.0,2.0,1.0", "3.0,4.0,12.0,4.0,3.0"]
    assert temporaries(tmp_path) == []


# ------------------------------------------------------------ out of memory

# Takes all the memory there is, under a limit just above what the process uses,
# and holds it while the MemoryError goes up: the report must need nothing more.
HOG = """
import resource, sys
from cgcli.cli.arguments import Program

def load(self, *args, **kwargs):
    with open("/proc/self/statm") as statm:
        size = int(statm.read().split()[0]) * resource.getpagesize()
    resource.setrlimit(resource.RLIMIT_AS, (size + (64 << 20), resource.RLIM_INFINITY))
    held = None
    try:
        while True:
            held = [held, bytearray(1 << 16)]
    except MemoryError:
        pass
    while True:  # and every small block too
        held = [held]

Program.load = load
from cgcli.cli import main
main(sys.argv[1:])
"""


@pytest.mark.parametrize("command", ["eval", "graph", "explain"])
def test_running_out_of_memory_is_one_line_and_no_traceback(command):
    run = subprocess.run(
        [sys.executable, "-c", HOG, command, "x*2", "x=1"], capture_output=True, timeout=120
    )
    assert run.returncode == 1
    assert run.stderr.startswith(b"error: cg ran out of memory: ")
    assert run.stderr.count(b"\n") == 1 and b"Traceback" not in run.stderr
