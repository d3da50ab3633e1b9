"""Promises about the project itself: CI runs the README's command; no eval on input."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    return re.findall(r"```sh\n(.+?)\n```", text)[:2]


def test_readme_starts_with_the_install_and_test_commands():
    install, test = readme_commands()
    assert "pip install ." in install and 'cg eval "(a+b)*(b-c)" a=1 b=2 c=3' in install
    assert "pip install '.[test]'" in test and "pytest" in test


def test_ci_runs_the_readme_test_command():
    script = (ROOT / ".ci" / "run").read_text()
    pattern = re.search(r'grep -m1 -F "(.+?)" README.md', script).group(1)
    matching = [line for line in (ROOT / "README.md").read_text().splitlines() if pattern in line]
    assert matching[0] == readme_commands()[1]


# Calls that must never see user text. A new use needs a reviewed entry here.
FORBIDDEN = re.compile(
    r"(?<![\w.])(eval|exec|compile|__import__)\(|pickle\.loads?\(|"
    r"allow_pickle\s*=\s*True|\bgetattr\("
)
ALLOWED: dict[str, int] = {}


def test_no_eval_exec_or_pickle_in_the_package():
    found = {}
    for path in sorted((ROOT / "cgcli").rglob("*.py")):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if FORBIDDEN.search(line.split("#")[0]):
                found[f"{path.relative_to(ROOT)}:{number}"] = line.strip()
    assert set(found) == set(ALLOWED), found


def readme_examples() -> list[tuple[str, str]]:
    """Every `$ cg ...` example in the README with the output shown under it."""
    blocks, block = [], None
    for line in (ROOT / "README.md").read_text().splitlines(keepends=True):
        if line.startswith("```"):
            if block is None:
                block = []
            else:
                blocks.append("".join(block))
                block = None
        elif block is not None:
            block.append(line)
    examples = []
    for block in blocks:
        for chunk in re.split(r"^\$ ", block, flags=re.M)[1:]:
            command, _, output = chunk.partition("\n")
            examples.append((command, output.rstrip("\n") + "\n"))
    return examples


def test_readme_examples_print_what_the_readme_shows(cg, tmp_path, monkeypatch):
    import shlex

    # The files the examples read.
    (tmp_path / "points.csv").write_text("x,y\n1,2\n0.5,-1\n")
    from textwrap import dedent

    from test_evaluate import MICROGRAD

    (tmp_path / "micrograd.cg").write_text(dedent(MICROGRAD).lstrip())
    monkeypatch.chdir(tmp_path)

    examples = readme_examples()
    assert len(examples) >= 4
    for command, expected in examples:
        words = shlex.split(command)
        assert words[0] == "cg"
        run = cg(*words[1:], env={"COLUMNS": "80", "NO_COLOR": None, "TERM": "dumb"})
        assert run.code == 0, (command, run.stderr)
        # Compared line by line without trailing blanks, which a README does not keep.
        shown = [line.rstrip() for line in run.stdout.splitlines()]
        assert shown == expected.splitlines(), command


def test_readme_mermaid_picture_is_current(cg):
    text = (ROOT / "README.md").read_text()
    shown = re.search(r"```mermaid\n(.*?)```", text, re.S).group(1)
    run = cg("graph", "(a+b)*(b-c)", "a=1", "b=2", "c=3", "--format", "mermaid")
    assert run.stdout == shown
