"""What errors and warnings echo of what the user gave: escaped, bounded, said once."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cgcli.interpret.diagnose import Notice

ESC = "\x1b"
CONTROLS = ("\x1b", "\x07", "\x9b", "\r", "\u202e", "\x00")  # ESC, BEL, 8-bit CSI, CR, RLO


def no_control_characters(text: str) -> None:
    for line in text.splitlines():
        assert line.isprintable(), repr(line)


@pytest.mark.parametrize(
    "args, shows",
    [
        (("eval", "-f", f"a{ESC}[2Jb"), "cannot read a\\x1b[2Jb"),
        (("eval", "x*2", "x=1", "-o", f"/no/such/{ESC}]0;title\x07"), "\\x1b]0;title\\x07"),
        (("eval", "x", f"x={ESC}[31m1"), "\\x1b[31m1"),
        (("eval", "-f", "a\x9bb\u202ec"), "a\\x9bb\\u202ec"),
        (("eval", "x*2", f"--precision={ESC}[31m"), "\\x1b[31m"),  # click's own message
        (("eval", "-f", "p.cg", f"z{ESC}[1m"), "z\\x1b[1m"),
    ],
)
def test_control_characters_in_what_the_user_typed_are_shown_escaped(cg, args, shows):
    run = cg(*args)
    assert run.code == 2
    assert shows in run.stderr
    no_control_characters(run.stderr)


def test_control_characters_in_files_are_shown_escaped(cg, tmp_path):
    header = tmp_path / "h.csv"
    header.write_text(f"x{ESC}]0;pwned\x07,y\n1,2\n")
    run = cg("eval", "x*z", "--batch", str(header))
    assert run.code == 2 and "x\\x1b]0;pwned\\x07,y" in run.stderr
    no_control_characters(run.stderr)
    values = tmp_path / "values.txt"
    values.write_text(f"x={ESC}[2J\r\n")
    run = cg("eval", "x", "--values", str(values))
    assert run.code == 2 and "\\x1b[2J" in run.stderr
    no_control_characters(run.stderr)


def test_a_warning_escapes_what_it_echoes_and_keeps_its_own_lines():
    from click.testing import CliRunner

    from cgcli.cli import report, warn
    from cgcli.errors import UsageError

    with CliRunner().isolation() as (_, err, _):
        warn([Notice("value", f"bad {ESC}[2J name\u202e")])
        report(UsageError(f"the file {ESC}[H holds nothing", "Give it a line."))
        text = err.getvalue().decode()
    assert text == (
        "warning: bad \\x1b[2J name\\u202e\n"
        "error: the file \\x1b[H holds nothing\nGive it a line.\n"
    )


def test_rich_does_not_turn_text_into_emoji_or_styles(cg):
    run = cg("eval", "-f", ":smile: [bold]x[/bold]")
    assert run.stderr == ("error: cannot read :smile: [bold]x[/bold]: No such file or directory\n")


def test_the_source_line_shows_the_character_with_the_caret_under_it():
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    lines = {}
    for encoding in ("utf-8", "ascii"):
        run = subprocess.run(
            [sys.executable, "-m", "cgcli", "eval", "y = 1 + x\u00b2"],
            capture_output=True,
            env={**env, "PYTHONIOENCODING": encoding},
        )
        lines[encoding] = run.stderr.decode(encoding).splitlines()[1:3]
    # "y = 1 + x" is 9 columns: the caret is in column 10 either way.
    assert lines["utf-8"] == ["  y = 1 + x\u00b2", "  " + " " * 9 + "^"]
    assert lines["ascii"] == ["  y = 1 + x\\xb2", "  " + " " * 9 + "^"]


def test_a_wide_or_invisible_character_before_the_column_moves_the_caret_by_what_it_takes():
    from cgcli.errors import SourceError

    # Two columns for a wide character, the code point for a zero-width one.
    for line, width in [("\u4e2d+*", 2), ("\u200b+*", len("\\u200b")), ("e\u0301+*", 1 + 6)]:
        rendered = SourceError(line, len(line) - 1, "unexpected '*'").render("utf-8")
        shown, caret = rendered.splitlines()[1:3]
        assert caret.index("^") == 2 + width + 1, (line, shown)
        assert shown.endswith("+*") and shown.isprintable()


def test_long_user_text_is_cut_in_the_middle_in_every_message(cg, tmp_path):
    path = str(tmp_path / ("d" * 200) / "out.csv")
    run = cg("eval", "x*2", "x=1", "-o", path)
    assert run.code == 2 and len(run.stderr) < 200
    assert "/tmp" in run.stderr and "out.csv: No such file or directory" in run.stderr
    run = cg("eval", "x", "x=1", "x=" + "2" * 100_000)  # echoed by the binding's error
    assert run.code == 2 and len(run.stderr) < 2500
    run = cg("eval", "-f", "p" * 100_000)
    assert run.code == 2 and len(run.stderr) < 200


def test_a_long_name_or_many_names_give_a_short_message(cg):
    run = cg("eval", "a" * 1_000_000)
    assert run.code == 2 and len(run.stderr) < 400
    run = cg("eval", "+".join(f"x{i}" for i in range(100_000)))
    assert run.code == 2 and len(run.stderr) < 400
    assert "x0, x1, x2, x3, x4, x5, x6, x7, x8, x9 and 99,990 more" in run.stderr


def test_a_derivative_warning_is_said_once_for_an_input_used_twice(cg):
    # z = y * y at y = log(0) = -inf: dz/dy = 2y = -inf, one derivative, one warning.
    run = cg("eval", "y = log(x); y*y", "x=0")
    lines = run.stderr.splitlines()
    assert lines == [
        "warning: y = log(x) is -inf at x = 0",
        "warning: the derivative of z = y * y with respect to y is -inf at y = -inf, "
        "so dz/dy is -inf",
    ]
    # x / x at x = 0: 1/x - x/x^2 = inf - nan = nan, said once.
    run = cg("eval", "x / x", "x=0")
    derivative = [line for line in run.stderr.splitlines() if "derivative" in line]
    assert derivative == [
        "warning: the derivative of y = x / x with respect to x is nan at x = 0, so dy/dx is nan"
    ]
