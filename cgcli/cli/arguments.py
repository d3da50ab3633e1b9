"""What the commands share: reading the program and its values from the command line
(an expression may start with '-'), and the options every command takes."""

from __future__ import annotations

import functools
import re

import click

from ..errors import UsageError, shown

OPTION = re.compile(r"--[A-Za-z][A-Za-z0-9-]*(=.*)?", re.S)


class ExpressionCommand(click.Command):
    """A command whose expression may start with '-': `cg eval "-x^2" x=3` works as typed.

    click would read "-x^2" as options -x -^ -2. An argument that starts with a
    single '-' and is not one of the command's own short options is marked with
    a NUL byte (which no real argument can hold) so that click passes it through
    as a positional argument; the command removes the mark. So is an argument
    that starts with '--' but cannot be an option name, such as "--x*y".
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
                value = next(rest, None)
                if value is not None:  # else click says the option needs a value
                    marked.append(value)
                continue
            if arg.startswith("--"):
                if not OPTION.fullmatch(arg):  # --x*y is an expression, not an option
                    arg = "\0" + arg
            elif arg.startswith("-") and arg != "-" and arg not in flags:
                arg = "\0" + arg
            marked.append(arg)
        return super().parse_args(ctx, marked)


def _unmark(text: str | None) -> str | None:
    return text[1:] if text and text.startswith("\0") else text


class Program:
    """The program and the values for it, as the command line gave them."""

    def __init__(self, expression, bindings, path, values_file):
        self.expression = _unmark(expression)
        self.bindings = [_unmark(b) for b in bindings]
        self.path = path
        self.values_file = values_file

    def load(self, exact: bool = False, max_memory: int | None = None) -> tuple[str, dict]:
        """The program text and the values bound to its variables (arrays read from
        files within the memory budget `max_memory`)."""
        from ..io.bindings import parse_bindings
        from ..io.streams import read_source
        from ..io.valuefiles import read_values

        expression, bindings, path = self.expression, list(self.bindings), self.path
        if path is not None:
            if expression is not None:
                bindings.insert(0, expression)
            unexpected = [b for b in bindings if "=" not in b]
            if unexpected:
                raise UsageError(
                    f"the program comes from {shown(path)}, so '{shown(unexpected[0])}' must be "
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
        if self.values_file is not None:
            bindings = read_values(self.values_file, max_memory) + bindings
        return source, parse_bindings(bindings, exact, max_memory)


def program_arguments(command):
    """EXPR (or -f FILE), the NAME=VALUE bindings and --values FILE, shared by every
    command, which receives them as one Program."""

    @functools.wraps(command)
    def with_program(expression, bindings, path, values_file, **options):
        return command(Program(expression, bindings, path, values_file), **options)

    with_program = click.option(
        "--values",
        "values_file",
        metavar="FILE",
        help="Read bindings from FILE: a JSON object of names and values, or name=value lines.",
    )(with_program)
    with_program = click.option(
        "-f",
        "--file",
        "path",
        metavar="FILE",
        help="Read the program from FILE ('-' for standard input).",
    )(with_program)
    with_program = click.argument("bindings", nargs=-1, metavar="[NAME=VALUE]...")(with_program)
    return click.argument("expression", required=False, metavar="EXPR")(with_program)


def view_options(command):
    """How numbers and symbols are written, how wide the text is, and where it goes."""
    from ..io.streams import MAX_WIDTH, MIN_WIDTH

    command = click.option(
        "-o", "--output", metavar="FILE", help="Write to FILE (replaced whole, never half-written)."
    )(command)
    command = click.option(
        "--width",
        type=click.IntRange(MIN_WIDTH, MAX_WIDTH),
        metavar="N",
        help="Lay the text out for N columns (default: $COLUMNS, else the terminal's "
        "width, else 80).",
    )(command)
    command = click.option(
        "--ascii", "ascii_only", is_flag=True, help="Plain ASCII: d for ∂, * for ·."
    )(command)
    return click.option(
        "--precision",
        type=click.IntRange(1, 17),
        metavar="N",
        help="Print numbers with N significant digits (not with JSON, which writes them in full).",
    )(command)


class Size(click.ParamType):
    """A number of bytes, written as 512M, 4G, 1.5G or 1000000."""

    name = "size"

    def convert(self, value, param, ctx):
        from ..interpret.budget import parse_size

        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as err:
            self.fail(str(err), param, ctx)


def evaluation_options(command):
    """How values are computed: exactly or in float64, what happens at kinks, and how
    much memory the arrays may take."""
    command = click.option(
        "--max-memory",
        type=Size(),
        default=1 << 30,
        metavar="SIZE",
        help="Refuse arrays (values, derivatives, a Jacobian, a file) that would take more "
        "memory than SIZE, as in 512M or 4G.  [default: 1G]",
    )(command)
    command = click.option(
        "--kink",
        type=click.Choice(["subgradient", "nan", "error"]),
        default="subgradient",
        show_default=True,
        help="At a point where an op is not differentiable: use the README's conventions, "
        "give NaN, or stop (exit 1).",
    )(command)
    command = click.option(
        "--strict", is_flag=True, help="Fail (exit 1) when a value or derivative is not finite."
    )(command)
    return click.option(
        "--exact",
        is_flag=True,
        help="Compute with fractions where every op is rational (bindings may be 1/3).",
    )(command)


def notation_for(stream, ascii_only: bool):
    from ..io.streams import speaks_unicode
    from ..render import Notation

    return Notation(ascii=ascii_only or not speaks_unicode(stream))
