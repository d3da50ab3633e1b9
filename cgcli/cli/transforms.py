"""`cg diff` and `cg optimize`: commands over a transformed graph (thin: options, the
library, a view)."""

from __future__ import annotations

import click

from ..errors import UsageError
from .arguments import (
    ExpressionCommand,
    evaluation_options,
    notation_for,
    program_arguments,
    view_options,
)
from .output import console, no_precision, show, warn

ASSUME = click.option(
    "--assume",
    type=click.Choice(["finite"]),
    help="Also rewrite x*0 → 0, x-x → 0, x/x → 1: exact only where every value is finite.",
)
STEPS = click.option("--steps", is_flag=True, help="List the rewrites that fired, and where.")


@click.command("diff", cls=ExpressionCommand, short_help="The derivative of EXPR as a formula.")
@program_arguments
@click.option(
    "--wrt", multiple=True, metavar="NAME", help="Differentiate by NAME (repeat; default: all)."
)
@click.option(
    "--order",
    type=click.IntRange(1, 2),
    default=1,
    metavar="N",
    help="2: second derivatives, ∂²f/∂x∂y for --wrt x --wrt y.",
)
@click.option("--json", "as_json", is_flag=True, help="Write the formulas as JSON.")
@click.option("--latex", is_flag=True, help="Write the formulas in LaTeX.")
@STEPS
@ASSUME
@evaluation_options
@view_options
def diff_command(
    program,
    wrt,
    order,
    as_json,
    latex,
    steps,
    assume,
    exact,
    strict,
    kink,
    max_memory,
    precision,
    ascii_only,
    output,
    width,
):
    """Write ∂f/∂x for each input x of EXPR as a formula cg reads back.

    f is the output (the last statement), or the name the program gives it.
    Values shared by the partials are written once, as statements. With values
    for the inputs, each partial's value is printed too (as `cg eval` gives it).

    \b
    Examples:
      cg diff "x^2*sin(x)"
      cg diff "(a+b)*(b-c)" --wrt b
      cg diff "(a+b)*(b-c)" a=1 b=2 c=3
      cg diff "sum(relu(W @ x + b))" "W=[[1,2],[3,4]]" "x=[1,-1]" "b=[0,1]"
      cg diff "x^2*sin(x)" --latex
      cg diff "x^2*y^3" --order 2 --wrt x --wrt y
    """
    from .. import run
    from ..io.streams import open_output
    from ..language.parse import parse
    from ..render import diff as view

    if as_json:
        no_precision(precision, "--json", "the text")
    source, values = program.load(exact, max_memory)
    graph = parse(source, bound=values)
    if order == 2:
        from ..transform.second import differentiate_twice

        found = differentiate_twice(graph, list(wrt), values, assume == "finite")
    else:
        found = differentiate(graph, list(wrt), values, assume == "finite")
    gradient = None
    if values and all(name in values for name in graph.inputs):
        if order == 2:
            gradient = _second_values(graph, values, found, exact, strict, kink, max_memory)
        else:
            result = run(
                source, values, strict=strict, kink=kink, exact=exact, max_memory=max_memory
            )
            warn(result.notices, width)
            gradient = result.gradient
    with open_output(output) as stream:
        if as_json:
            stream.write(view.document(found, source, gradient) + "\n")
            return
        notation = notation_for(stream, ascii_only)
        if latex:
            text = view.latex(found) + "\n"
        else:
            from ..io.streams import columns

            text = view.text(found, source, notation, gradient, precision, width or columns(stream))
        if steps:
            text += "\nrewrites:\n" + view.steps(found.rewrites)
        stream.write(text if not notation.ascii else _plain(text))


def _second_values(graph, values, found, exact, strict, kink, max_memory) -> dict:
    """Each second derivative's value, keyed "x,y" as the formulas are: from the
    dense Hessian (cg hessian's)."""
    from ..transform.hessian_values import hessian

    computed = hessian(
        graph, values, exact=exact, strict=strict, kink=kink, max_memory=max_memory, sparse=False
    )
    warn(computed.result.notices)
    return {key: computed.block(*key.split(",")) for key in found.partials}


def differentiate(graph, wrt, values, assume_finite):
    from ..transform.diff import differentiate as run

    return run(graph, wrt or None, values, assume_finite)


def _plain(text: str) -> str:
    from ..render import plain

    return plain(text)


@click.command(
    "optimize", cls=ExpressionCommand, short_help="EXPR after the safe rewrites, re-parseable."
)
@program_arguments
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@STEPS
@ASSUME
@view_options
def optimize_command(program, as_json, steps, assume, precision, ascii_only, output, width):
    """Rewrite EXPR with the safe rewrites and print the smaller program.

    Constant folding, the identities of 0 and 1, like factors and terms, common
    subexpressions and dead code; only rewrites that are exact in float64 unless
    --assume finite. The node counts before and after are printed too.

    \b
    Examples:
      cg optimize "sin(x)*sin(x) + sin(x)"
      cg optimize "x*1 + 0*y" --assume finite --steps
    """
    from ..io.streams import open_output
    from ..language.parse import parse
    from ..render import optimized as view
    from ..transform.rewrite import simplify

    if precision is not None:
        raise UsageError("cg optimize prints a program, not numbers: it takes no --precision")
    source, values = program.load()
    graph = parse(source, bound=values)
    done = simplify(graph, assume_finite=assume == "finite")
    with open_output(output) as stream:
        if as_json:
            stream.write(view.document(graph, done) + "\n")
            return
        text = view.text(graph, done)
        if steps:
            text += "\nrewrites:\n" + view.steps(done.rewrites)
        stream.write(_plain(text) if notation_for(stream, ascii_only).ascii else text)


__all__ = ["console", "diff_command", "optimize_command", "show"]
