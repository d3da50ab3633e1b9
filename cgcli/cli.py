"""The `cg` command: parse options, call the library, render. Exit codes are set in main()."""

from __future__ import annotations

import functools
import re
import sys

import click

from .errors import CgError, EvaluationError, Exit, UsageError

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
                marked.append(next(rest, ""))
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

    def load(self, exact: bool = False) -> tuple[str, dict]:
        """The program text and the values bound to its variables."""
        from .bindings import parse_bindings, read_values
        from .streams import read_source

        expression, bindings, path = self.expression, list(self.bindings), self.path
        if path is not None:
            if expression is not None:
                bindings.insert(0, expression)
            unexpected = [b for b in bindings if "=" not in b]
            if unexpected:
                raise UsageError(
                    f"the program comes from {path}, so '{unexpected[0]}' must be a binding "
                    "name=number",
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
            bindings = read_values(self.values_file) + bindings
        return source, parse_bindings(bindings, exact)


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
    """How numbers and symbols are written, and where the output goes."""
    command = click.option(
        "-o", "--output", metavar="FILE", help="Write to FILE (replaced whole, never half-written)."
    )(command)
    command = click.option(
        "--ascii", "ascii_only", is_flag=True, help="Plain ASCII: d for ∂, * for ·."
    )(command)
    return click.option(
        "--precision",
        type=click.IntRange(1, 17),
        metavar="N",
        help="Print numbers with N significant digits.",
    )(command)


def evaluation_options(command):
    """How values are computed: exactly or in float64, and what happens at kinks."""
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
    from .render import Notation
    from .streams import speaks_unicode

    return Notation(ascii=ascii_only or not speaks_unicode(stream))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cgcli", prog_name="cg")
@click.option("--traceback", is_flag=True, hidden=True, help="Show Python tracebacks.")
def cli(traceback):
    """cg: see how a formula's value and every partial derivative come about.

    \b
    cg eval    "(a+b)*(b-c)" a=1 b=2 c=3     value and gradient
    cg graph   "(a+b)*(b-c)" a=1 b=2 c=3     the graph as a tree (or DOT, Mermaid, JSON)
    cg explain "(a+b)*(b-c)" a=1 b=2 c=3     the chain rule, step by step
    """


@cli.command("eval", cls=ExpressionCommand)
@program_arguments
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@click.option(
    "--all", "all_nodes", is_flag=True, help="List every intermediate node, not only the inputs."
)
@click.option(
    "--batch",
    metavar="FILE",
    help="Evaluate at every row of FILE (.csv with a header, .jsonl, .npy, .npz; '-' for "
    "CSV on standard input); write a row a point, as CSV or, with --json, JSON lines.",
)
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="With --batch: skip rows that are not numbers, and count them.",
)
@click.option(
    "--jacobian",
    is_flag=True,
    help="For an array output: the derivative of every element by every input.",
)
@click.option(
    "--check",
    "check_numerically",
    is_flag=True,
    help="Check every partial derivative against finite differences.",
)
@evaluation_options
@view_options
def eval_command(
    program,
    as_json,
    all_nodes,
    batch,
    skip_bad_rows,
    jacobian,
    check_numerically,
    exact,
    strict,
    kink,
    precision,
    ascii_only,
    output,
):
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
    from .streams import open_output

    if batch is not None:
        return batch_command(program, batch, as_json, skip_bad_rows, kink, strict, output)
    result = run(
        *program.load(exact),
        strict=strict,
        kink=kink,
        exact=exact,
        jacobian=jacobian,
    )
    warn(result.notices)
    checked = None
    if check_numerically:
        from .check import check

        checked = check(result)
    with open_output(output) as stream:
        if as_json:
            from .render.jsonout import dumps

            stream.write(dumps(result, checked) + "\n")
        else:
            from .render.table import checks, kinks, table

            notation = notation_for(stream, ascii_only)
            out = console(stream)
            show(stream, table(result, all_nodes, precision, notation), out, notation.ascii)
            found = kinks(result, notation)
            if found is not None:
                show(stream, found, out, notation.ascii)
            if checked is not None:
                show(stream, checks(checked, result, notation, precision), out, notation.ascii)
    disagree = [row.input for row in checked or () if row.status == "disagree"]
    if disagree:
        message = f"--check: reverse mode and finite differences disagree for {', '.join(disagree)}"
        if strict:
            raise EvaluationError(message, "See the table of the check above.")
        from .evaluate import Notice

        warn([Notice("check", message)])


def batch_command(program, batch, as_json, skip_bad, kink, strict, output):
    from . import batch as batches
    from .parse import parse
    from .streams import open_output

    source, values = program.load()
    graph = parse(source, bound=values)
    with progress_bar(batch) as advance, open_output(output) as stream:
        summary = batches.run(
            graph, batch, stream, as_json, values, skip_bad, kink, strict, advance
        )
    warn(summary.notices())


def progress_bar(path: str):
    """A progress bar on standard error for a long batch, when a person is watching."""
    import contextlib
    import os

    if (
        path == "-"
        or not sys.stderr.isatty()
        or not os.path.isfile(path)
        or os.path.getsize(path) < 10_000_000
    ):
        return contextlib.nullcontext(None)
    from rich.progress import Progress

    from .streams import console as make

    @contextlib.contextmanager
    def bar():
        with Progress(console=make(stderr=True), transient=True) as progress:
            task = progress.add_task("evaluating", total=os.path.getsize(path))
            yield lambda size: progress.advance(task, size)

    return bar()


@cli.command("graph", cls=ExpressionCommand)
@program_arguments
@click.option(
    "--format",
    "form",
    type=click.Choice(["tree", "dot", "mermaid", "json"]),
    default="tree",
    show_default=True,
    help="How to draw the graph.",
)
@click.option(
    "--depth",
    type=click.IntRange(1),
    metavar="N",
    help="Draw the tree N levels deep (default: what fits the width).",
)
@evaluation_options
@view_options
def graph_command(program, form, depth, exact, strict, kink, precision, ascii_only, output):
    """Draw the graph of EXPR: the output at the root, the inputs at the leaves.

    With values for the inputs, every node shows its value and its adjoint
    ∂f/∂node; without them, the structure alone.

    \b
    Examples:
      cg graph "(a+b)*(b-c)" a=1 b=2 c=3
      cg graph "(a+b)*(b-c)" --format dot | dot -Tsvg > graph.svg
      cg graph "(a+b)*(b-c)" a=1 b=2 c=3 --format mermaid -o graph.md
    """
    from .evaluate import evaluate
    from .parse import parse
    from .streams import open_output

    source, values = program.load(exact)
    graph = parse(source, bound=values)
    result = None
    if values or not graph.inputs:
        result = evaluate(graph, values, strict=strict, kink=kink, exact=exact)
        warn(result.notices)
    with open_output(output) as stream:
        notation = notation_for(stream, ascii_only)
        if form == "tree":
            from .render.tree import depth_for, tree

            out = console(stream)
            limit = depth or depth_for(out.width)
            show(stream, tree(graph, result, notation, precision, limit), out, notation.ascii)
            if result is not None:
                from .render.table import kinks

                found = kinks(result, notation)
                if found is not None:
                    show(stream, found, out, notation.ascii)
            return
        from .render import export

        if form == "json":
            stream.write(export.graph_json(graph, result) + "\n")
        elif form == "dot":
            stream.write(export.dot(graph, result, notation, precision))
        else:
            stream.write(export.mermaid(graph, result, notation, precision))


@cli.command("explain", cls=ExpressionCommand)
@program_arguments
@click.option("--json", "as_json", is_flag=True, help="Write the steps as JSON.")
@evaluation_options
@view_options
def explain_command(program, as_json, exact, strict, kink, precision, ascii_only, output):
    """Write out both passes over EXPR, step by step, with the numbers filled in.

    The forward pass computes each node from its inputs; the backward pass
    computes each adjoint ∂f/∂node as the chain-rule sum over the node's uses,
    with every local partial derivative as a formula and as a number.

    \b
    Example:
      cg explain "(a+b)*(b-c)" a=1 b=2 c=3
    """
    from . import run
    from .explain import explain
    from .streams import open_output

    result = run(*program.load(exact), strict=strict, kink=kink, exact=exact)
    warn(result.notices)
    with open_output(output) as stream:
        notation = notation_for(stream, ascii_only)
        steps = explain(result, notation, precision)
        if as_json:
            from .render.jsonout import explanation_json

            stream.write(explanation_json(result, steps) + "\n")
            return
        from .render.explain import text

        show(stream, text(steps, result, notation, precision))


def console(stream):
    from .streams import console as make

    return make(None if stream is sys.stdout else stream)


def show(stream, renderable, out=None, ascii_only=False) -> None:
    if ascii_only:
        from .render import AsciiOnly

        renderable = AsciiOnly(renderable)
    (out or console(stream)).print(renderable)


def warn(notices) -> None:
    if not notices:
        return
    from rich.markup import escape

    from .streams import console as make

    err = make(stderr=True)
    for notice in notices:
        err.print(f"[yellow]warning:[/] {escape(notice.message)}", soft_wrap=True)


def report(error: CgError) -> None:
    from rich.markup import escape

    from .streams import console as make

    # soft_wrap: Rich must not re-wrap the source line, or the caret would move.
    make(stderr=True).print(f"[bold red]error:[/] {escape(error.render())}", soft_wrap=True)


def main(argv=None) -> None:
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = cli.main(args=args, prog_name="cg", standalone_mode=False)
    except CgError as error:
        report(error)
        code = error.exit_code
    except click.exceptions.Abort:
        code = Exit.INTERRUPTED
    except click.ClickException as error:
        if isinstance(error, click.NoSuchOption) and error.option_name.startswith("--"):
            # "--a" may be a program (the negation of -a) rather than a mistyped option.
            if error.possibilities:
                names = ", ".join(sorted(error.possibilities))
                error.message += f" (Did you mean {names}?)"
                error.possibilities = None
            error.message += (
                f"\nIf {error.option_name} is the program, put it after --: "
                f"cg eval -- {error.option_name} ..."
            )
        error.show()
        code = error.exit_code
    except BrokenPipeError:
        # The reader went away (cg ... | head -1): stop quietly. Point stdout at
        # /dev/null so that Python's final flush does not complain either.
        import os

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
                "This is a bug in cg. Run again with `cg --traceback ...` and report what "
                "it prints.",
            )
        )
        code = Exit.EVALUATION
    sys.exit(int(code or 0))
