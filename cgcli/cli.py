"""The `cg` command: parse options, call the library, render. Exit codes are set in main()."""

from __future__ import annotations

import os
import sys

import click

from .errors import CgError, Exit, UsageError


class ExpressionCommand(click.Command):
    """A command whose expression may start with '-': `cg eval "-x^2" x=3` works as typed.

    click would read "-x^2" as options -x -^ -2. An argument that starts with a
    single '-' and is not one of the command's own short options is marked with
    a NUL byte (which no real argument can hold) so that click passes it through
    as a positional argument; the command removes the mark.
    """

    def parse_args(self, ctx, args):
        flags, valued = set(), set()
        for param in self.params:
            if isinstance(param, click.Option):
                names = param.opts + param.secondary_opts
                (flags if param.is_flag or param.count else valued).update(names)
        marked = []
        rest = iter(args)
        for arg in rest:
            if arg == "--":
                marked.append(arg)
                marked.extend(rest)
                break
            if arg in valued:
                marked.append(arg)
                marked.append(next(rest, ""))
                continue
            if arg.startswith("-") and not arg.startswith("--") and arg != "-" and arg not in flags:
                arg = "\0" + arg
            marked.append(arg)
        return super().parse_args(ctx, marked)


def _unmark(text: str | None) -> str | None:
    return text[1:] if text and text.startswith("\0") else text


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cgcli", prog_name="cg")
@click.option("--traceback", is_flag=True, hidden=True, help="Show Python tracebacks.")
def cli(traceback):
    """cg: see how a formula's value and every partial derivative come about.

    \b
    cg eval "(a+b)*(b-c)" a=1 b=2 c=3
    """


@cli.command("eval", cls=ExpressionCommand)
@click.argument("expression", required=False, metavar="EXPR")
@click.argument("bindings", nargs=-1, metavar="[NAME=VALUE]...")
@click.option(
    "-f",
    "--file",
    "path",
    metavar="FILE",
    help="Read the program from FILE ('-' for standard input).",
)
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@click.option(
    "--all", "all_nodes", is_flag=True, help="List every intermediate node, not only the inputs."
)
@click.option(
    "--precision",
    type=click.IntRange(1, 17),
    metavar="N",
    help="Print numbers with N significant digits.",
)
@click.option(
    "--strict", is_flag=True, help="Fail (exit 1) when a value or derivative is not finite."
)
def eval_command(expression, bindings, path, as_json, all_nodes, precision, strict):
    """Evaluate EXPR and every partial derivative of it, at the values given.

    EXPR is an expression or a program of statements separated by ';' or new
    lines; '-' reads it from standard input. The output is the last statement.

    \b
    Examples:
      cg eval "(a+b)*(b-c)" a=1 b=2 c=3
      cg eval "-x^2" x=3
      cg eval "d = a + b; e = b - c; d * e" a=1 b=2 c=3 --all
      cg eval -f model.cg --json w=0.5 x=2
    """
    from . import run
    from .bindings import parse_bindings

    expression = _unmark(expression)
    bindings = [_unmark(b) for b in bindings]
    if path is not None:
        if expression is not None:
            bindings.insert(0, expression)
        unexpected = [b for b in bindings if "=" not in b]
        if unexpected:
            raise UsageError(
                f"the program comes from {path}, so '{unexpected[0]}' must be "
                "a binding name=number",
                "Give the program either as an argument or with -f, not both.",
            )
        source = read_source(path)
    elif expression is None:
        raise UsageError("no expression was given", 'Try: cg eval "(a+b)*(b-c)" a=1 b=2 c=3')
    elif expression == "-":
        source = read_source("-")
    else:
        source = expression
    values = parse_bindings(bindings)
    result = run(source, values, strict=strict)
    if as_json:
        from .render.jsonout import dumps

        click.echo(dumps(result))
        warn(result.notices)
        return
    from .render.table import table

    warn(result.notices)
    console = stdout_console()
    console.print(table(result, all_nodes, precision, partial=_partial(console)))


def read_source(path: str) -> str:
    where = "standard input" if path == "-" else path
    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as handle:
                data = handle.read()
    except OSError as err:
        raise UsageError(f"cannot read {where}: {err.strerror or err}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise UsageError(
            f"{where} is not UTF-8 text: byte 0x{data[err.start]:02x} at offset "
            f"{err.start} cannot be decoded",
            "cg programs are ASCII text.",
        ) from None


def stdout_console():
    from rich.console import Console

    return Console(highlight=False)


def stderr_console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def _partial(console) -> str:
    try:
        "\u2202".encode(console.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "d"
    return "\u2202"


def warn(notices):
    if not notices:
        return
    console = stderr_console()
    for notice in notices:
        console.print(f"[yellow]warning:[/] {_escape(notice.message)}", soft_wrap=True)


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def report(error: CgError) -> None:
    # soft_wrap: Rich must not re-wrap the source line, or the caret would move.
    stderr_console().print(f"[bold red]error:[/] {_escape(error.render())}", soft_wrap=True)


def main(argv=None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = cli.main(args=args, prog_name="cg", standalone_mode=False)
    except CgError as error:
        report(error)
        code = error.exit_code
    except click.exceptions.Abort:
        stderr_console().print("interrupted")
        code = Exit.INTERRUPTED
    except click.ClickException as error:
        error.show()
        code = error.exit_code
    except BrokenPipeError:
        # The reader went away (cg ... | head -1): stop quietly. Point stdout at
        # /dev/null so that Python's final flush does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        code = Exit.EVALUATION
    except KeyboardInterrupt:
        code = Exit.INTERRUPTED
    except Exception as error:  # the last line of defence: never a traceback
        if "--traceback" in args:
            raise
        report(
            CgError(
                f"internal error: {type(error).__name__}: {error}",
                "This is a bug in cg. Run again with `cg --traceback ...` "
                "and report what it prints.",
            )
        )
        code = Exit.EVALUATION
    sys.exit(int(code or 0))
