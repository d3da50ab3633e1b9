"""The `cg` command: parse options, call the library, render. Exit codes are set in main()."""

from __future__ import annotations

import os
import sys
from contextlib import suppress

import click

from ..errors import CgError, EvaluationError, Exit, UsageError
from .arguments import (
    ExpressionCommand,
    evaluation_options,
    notation_for,
    program_arguments,
    view_options,
)
from .output import console, no_precision, show, warn


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cgcli", prog_name="cg")
@click.option("--traceback", is_flag=True, hidden=True, help="Show Python tracebacks.")
def cli(traceback):
    """cg: see how a formula's value and every partial derivative come about.

    \b
    cg eval    "(a+b)*(b-c)" a=1 b=2 c=3   value and gradient
    cg graph   "(a+b)*(b-c)" a=1 b=2 c=3   the graph
    cg explain "(a+b)*(b-c)" a=1 b=2 c=3   the chain rule
    cg diff    "x^2*sin(x)"                the derivative
    cg optimize "sin(x)*sin(x)"            fewer operations
    cg hessian "x^2*y^3" x=1 y=2          second derivatives
    cg codegen "(a+b)*(b-c)" --lang c      code
    """


@cli.command(
    "eval", cls=ExpressionCommand, short_help="The value and every partial derivative of EXPR."
)
@program_arguments
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@click.option(
    "--all", "all_nodes", is_flag=True, help="List every intermediate node, not only the inputs."
)
@click.option(
    "--batch",
    metavar="FILE",
    help="Evaluate at every row of FILE (.csv with a header, .jsonl, .npy, .npz, .parquet; "
    "'-' for CSV on standard input); write a row a point, as CSV, with --json as JSON lines, "
    "or as Parquet to -o OUT.parquet.",
)
@click.option(
    "--skip-bad-rows",
    is_flag=True,
    help="With --batch: skip rows that are not numbers, and count them.",
)
@click.option(
    "--keep",
    metavar="NAMES",
    multiple=True,
    help="With --batch: write these columns of FILE too (id,label), as they are.",
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
@click.option(
    "--optimize",
    is_flag=True,
    help="Evaluate the program after the safe rewrites of `cg optimize`.",
)
@evaluation_options
@view_options
def eval_command(
    program,
    as_json,
    all_nodes,
    batch,
    skip_bad_rows,
    keep,
    jacobian,
    check_numerically,
    optimize,
    exact,
    strict,
    kink,
    max_memory,
    precision,
    ascii_only,
    output,
    width,
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
      cg eval "x*y/(x + y)" x=1/3 y=1/2 --exact
      cg eval "sum(relu(W @ x + b))" "W=[[1,2],[3,-4]]" "x=[0.5,1]" "b=[0.1,-0.2]"
      cg eval "sin(x)*exp(-y^2)" --batch points.csv -o out.csv
    """
    from .. import run
    from ..io.streams import open_output

    if batch is not None:
        from ..io.batch import refuse

        refuse(
            {
                "--all": all_nodes,
                "--jacobian": jacobian,
                "--check": check_numerically,
                "--exact": exact,
                "--precision": precision is not None,
            }
        )
        if batch == "-" and "-" in (program.path, program.expression):
            raise UsageError(
                "the program and the batch cannot both come from standard input",
                "Give one of them as a file: -f FILE or --batch FILE.",
            )
        names = [name.strip() for names in keep for name in names.split(",") if name.strip()]
        return batch_command(
            program,
            batch,
            as_json,
            skip_bad_rows,
            kink,
            strict,
            output,
            names,
            width,
            max_memory,
            optimize,
        )
    if optimize and exact:
        raise UsageError(
            "--optimize rewrites the program for float64 (its folded constants are float64 "
            "numbers), so it does not go with --exact",
            "Leave out one of them.",
        )
    if skip_bad_rows or keep:
        option = "--skip-bad-rows" if skip_bad_rows else "--keep"
        raise UsageError(f"{option} goes with --batch FILE: only a batch has rows")
    if as_json:
        no_precision(precision, "--json", "the table")
    result = run(
        *program.load(exact, max_memory),
        strict=strict,
        kink=kink,
        exact=exact,
        jacobian=jacobian,
        max_memory=max_memory,
        optimize=optimize,
    )
    checked = None
    if check_numerically:
        from ..interpret.check import check, unchecked

        checked = check(result, max_memory) if result.jacobian is None else None
        result.notices.extend(unchecked(result, checked))
    disagree = [row for row in checked or () if row.status == "disagree"]
    if disagree and strict:  # a failure writes nothing, as every --strict failure
        from ..values import fmt

        raise EvaluationError(
            "--strict --check: reverse mode and finite differences disagree for "
            + "; ".join(
                f"{row.input} (reverse mode {fmt(row.reverse)}, finite differences "
                f"{fmt(row.numerical)})"
                for row in disagree[:10]
            ),
            "Without --strict, the table of the check shows how far apart they are.",
        )
    warn(result.notices, width)
    with open_output(output) as stream:
        if as_json:
            from ..render.jsonout import write

            write(stream, result, checked)
            stream.write("\n")
        else:
            from ..render.table import checks, kinks, table

            notation = notation_for(stream, ascii_only)
            out = console(stream, width)
            show(
                stream,
                table(result, all_nodes, precision, notation, out.width),
                out,
                notation.ascii,
            )
            found = kinks(result, notation)
            if found is not None:
                show(stream, found, out, notation.ascii)
            if checked is not None:
                grid = checks(checked, result, notation, precision, out.width)
                show(stream, grid, out, notation.ascii)
    if disagree:
        names = ", ".join(row.input for row in disagree)
        message = f"--check: reverse mode and finite differences disagree for {names}"
        from ..interpret.diagnose import Notice

        warn([Notice("check", message)], width)


def batch_command(
    program,
    batch,
    as_json,
    skip_bad,
    kink,
    strict,
    output,
    keep,
    width=None,
    max_memory=None,
    optimize=False,
):
    from ..io import batch as batches
    from ..io.streams import open_output
    from ..language.parse import parse

    source, values = program.load(max_memory=max_memory)
    graph = parse(source, bound=values)
    if optimize:
        from ..transform.optimize import optimized

        graph = optimized(graph)
    with progress_bar(batch) as advance, open_output(output) as stream:
        summary = batches.run(
            graph,
            batch,
            stream,
            as_json,
            values,
            skip_bad,
            kink,
            strict,
            advance,
            keep,
            parquet=output is not None and output.lower().endswith(".parquet"),
            budget=max_memory,
        )
    warn(summary.notices(), width)


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

    from ..io.streams import console as make

    @contextlib.contextmanager
    def bar():
        with Progress(console=make(stderr=True), transient=True) as progress:
            task = progress.add_task("evaluating", total=os.path.getsize(path))
            yield lambda size: progress.advance(task, size)

    return bar()


@cli.command(
    "graph", cls=ExpressionCommand, short_help="Draw the graph: a tree, DOT, Mermaid or JSON."
)
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
def graph_command(
    program, form, depth, exact, strict, kink, max_memory, precision, ascii_only, output, width
):
    """Draw the graph of EXPR: the output at the root, the inputs at the leaves.

    With values for the inputs, every node shows its value and its adjoint
    ∂f/∂node; with values for some, or an array output, the values that can be
    computed; without them, the structure alone.

    \b
    Examples:
      cg graph "(a+b)*(b-c)" a=1 b=2 c=3
      cg graph "(a+b)*(b-c)" --format dot | dot -Tsvg > graph.svg
      cg graph "(a+b)*(b-c)" a=1 b=2 c=3 --format mermaid -o graph.md
    """
    from ..interpret.drawing import to_draw
    from ..io.streams import open_output
    from ..language.parse import parse
    from ..render.tree import MAX_DEPTH

    if form == "json":
        no_precision(precision, "--format json", "the tree (or DOT, Mermaid)")
    if depth is not None and depth > MAX_DEPTH and form == "tree":
        raise UsageError(
            f"--depth {depth} is deeper than cg draws a tree: at most {MAX_DEPTH} levels, "
            f"whose guides alone are {MAX_DEPTH * 4} columns wide",
            "--format dot, mermaid or json draw a graph of any depth.",
        )
    source, values = program.load(exact, max_memory)
    graph = parse(source, bound=values)
    result = to_draw(graph, values, strict=strict, kink=kink, exact=exact, max_memory=max_memory)
    if result is not None:
        warn(result.notices, width)
    with open_output(output) as stream:
        notation = notation_for(stream, ascii_only)
        if form == "tree":
            from ..render.tree import depth_for, tree

            out = console(stream, width)
            limit = depth or depth_for(out.width)
            show(stream, tree(graph, result, notation, precision, limit), out, notation.ascii)
            if result is not None:
                from ..render.table import kinks

                found = kinks(result, notation)
                if found is not None:
                    show(stream, found, out, notation.ascii)
            return
        from ..render import export, plain

        if form == "json":
            drawn = export.graph_json(graph, result) + "\n"
        elif form == "dot":
            drawn = export.dot(graph, result, notation, precision)
        else:
            drawn = export.mermaid(graph, result, notation, precision)
        stream.write(plain(drawn) if notation.ascii else drawn)


@cli.command("explain", cls=ExpressionCommand, short_help="Both passes over EXPR, step by step.")
@program_arguments
@click.option("--json", "as_json", is_flag=True, help="Write the steps as JSON.")
@evaluation_options
@view_options
def explain_command(
    program, as_json, exact, strict, kink, max_memory, precision, ascii_only, output, width
):
    """Write out both passes over EXPR, step by step, with the numbers filled in.

    The forward pass computes each node from its inputs; the backward pass
    computes each adjoint ∂f/∂node as the chain-rule sum over the node's uses,
    with every local partial derivative as a formula and as a number.

    \b
    Example:
      cg explain "(a+b)*(b-c)" a=1 b=2 c=3
    """
    from .. import run
    from ..io.streams import open_output
    from ..render.steps import explain

    if as_json:
        no_precision(precision, "--json", "the steps as text")
    result = run(
        *program.load(exact, max_memory),
        strict=strict,
        kink=kink,
        exact=exact,
        max_memory=max_memory,
    )
    warn(result.notices, width)
    with open_output(output) as stream:
        notation = notation_for(stream, ascii_only)
        steps = explain(result, notation, precision)
        if as_json:
            from ..render.jsonout import explanation_json

            stream.write(explanation_json(result, steps) + "\n")
            return
        from ..render.explain import text

        show(
            stream, text(steps, result, notation, precision), console(stream, width), notation.ascii
        )


def _transforms() -> None:
    from .transforms import diff_command, optimize_command

    cli.add_command(diff_command)
    cli.add_command(optimize_command)
    from .hessian import hessian_command

    cli.add_command(hessian_command)
    from .codegen import codegen_command

    cli.add_command(codegen_command)


_transforms()


def ctx_name(error: click.UsageError) -> str:
    """The command a click error is about: eval, graph or explain."""
    ctx = error.ctx
    return ctx.info_name if ctx is not None and ctx.parent is not None else "eval"


def report(error: CgError) -> None:
    from rich.markup import escape

    from ..errors import ClosedPipe, paragraph
    from ..io.streams import console as make

    err = make(stderr=True)
    # soft_wrap: Rich must not re-wrap the source line, or the caret would move.
    text = escape(paragraph(error.render(err.encoding)))
    with suppress(CgError, ClosedPipe):  # standard error cannot be written: nowhere to say so
        err.print(f"[bold red]error:[/] {text}", soft_wrap=True, emoji=False)


# Written when memory has run out: made now, so that saying it needs no memory.
OUT_OF_MEMORY = (
    b"error: cg ran out of memory: this input needs more than the machine, or the limit "
    b"cg runs under, allows. Smaller inputs, or more memory, will let it finish.\n"
)
INTERNAL_ERROR = (
    b"error: internal error, and another while reporting it. This is a bug in cg. Run "
    b"again with `cg --traceback ...` and report what it prints.\n"
)


def main(argv=None) -> None:
    from ..io.streams import Guarded, stopping_on_signals

    args = sys.argv[1:] if argv is None else list(argv)
    # Every write to standard output or standard error, by cg, Rich or click, says
    # which stream failed; a closed pipe stops cg (exit 141) whoever was writing.
    streams = sys.stdout, sys.stderr
    if sys.stdout is not None:
        sys.stdout = Guarded(sys.stdout, "standard output")
    if sys.stderr is not None:
        sys.stderr = Guarded(sys.stderr, "standard error")
    out_of_memory = False
    try:
        with stopping_on_signals():
            code = run_command(args)
    except MemoryError:
        if "--traceback" in args:
            raise
        out_of_memory = True  # said below, once the frames holding the memory are gone
        code = Exit.EVALUATION
    finally:
        sys.stdout, sys.stderr = streams
    if out_of_memory:
        last_words(OUT_OF_MEMORY)
    sys.exit(int(code or 0))


def run_command(args: list[str]) -> int:
    """Run the command; the exit code for what happened, every error said in words."""
    from ..errors import ClosedPipe, Stopped, shown

    try:
        code = cli.main(args=args, prog_name="cg", standalone_mode=False)
        if sys.stdout is not None:
            sys.stdout.flush()
    except MemoryError:
        raise  # main says it without allocating
    except CgError as error:
        report(error)
        code = error.exit_code
    except (ClosedPipe, BrokenPipeError):
        # The reader went away (cg ... | head -1): stop quietly, with 128 + SIGPIPE
        # as a program killed by it would. Python's final flush goes to /dev/null.
        silence()
        code = Exit.CLOSED_PIPE
    except Stopped as stop:
        code = 128 + stop.signal
    except (click.exceptions.Abort, KeyboardInterrupt):
        code = Exit.INTERRUPTED
    except click.ClickException as error:
        if isinstance(error, click.NoSuchOption) and error.option_name.startswith("--"):
            # "--a" may be a program (the negation of -a) rather than a mistyped option.
            if error.possibilities:
                names = ", ".join(sorted(error.possibilities))
                error.message += f" (Did you mean {names}?)"
                error.possibilities = None
            name = shown(error.option_name)
            error.message += (
                f"\nIf {name} is the program, put it after --: cg {ctx_name(error)} -- {name} ..."
            )
        show_click_error(error)
        code = error.exit_code
    except Exception as error:  # the last line of defence: never a traceback
        if "--traceback" in args:
            raise
        try:
            report(
                CgError(
                    f"internal error: {type(error).__name__}: {shown(error, 200)}",
                    "This is a bug in cg. Run again with `cg --traceback ...` and report "
                    "what it prints.",
                )
            )
        except Exception:
            last_words(INTERNAL_ERROR)
        code = Exit.EVALUATION
    return code


def show_click_error(error: click.ClickException) -> None:
    """click's usage message, with what it echoes made printable."""
    import io

    from ..errors import ClosedPipe, paragraph

    text = io.StringIO()
    error.show(file=text)
    try:
        if sys.stderr is not None:
            sys.stderr.write(paragraph(text.getvalue().rstrip("\n")) + "\n")
            sys.stderr.flush()
    except (CgError, ClosedPipe):
        pass


def silence() -> None:
    """Point standard output and error at /dev/null: nothing more can reach a reader."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    for stream in (sys.__stdout__, sys.__stderr__):
        with suppress(AttributeError, OSError, ValueError):  # closed, or not a real file
            os.dup2(devnull, stream.fileno())
    os.close(devnull)


def last_words(message: bytes) -> None:
    """Write a message made in advance to standard error: no allocation, no import."""
    try:  # noqa: SIM105 - suppress() would make an object
        os.write(2, message)
    except OSError:
        pass
