"""Where output goes: -o as a shell's `>` would write it. Every run here is a real process."""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import subprocess
import sys
import tempfile
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
