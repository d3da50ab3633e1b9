"""`cg hessian`: the value, gradient and Hessian (or H·v) of EXPR at a point (thin:
options, the library, a view)."""

from __future__ import annotations

import click

from ..errors import UsageError
from .arguments import ExpressionCommand, evaluation_options, program_arguments, view_options
from .output import console, no_precision, show, warn


@click.command(
    "hessian", cls=ExpressionCommand, short_help="The second derivatives of EXPR at a point."
)
@program_arguments
@click.option("--json", "as_json", is_flag=True, help="Write the result as JSON.")
@click.option(
    "--sparse/--dense",
    default=None,
    help="Only the entries the graph can make non-zero, one product H·v a "
    "colour (default above 1,000 inputs).",
)
@click.option(
    "--vector",
    multiple=True,
    metavar="NAME=VALUE",
    help="Print H·v for this v instead of H (repeat; inputs not named: 0).",
)
@evaluation_options
@view_options
def hessian_command(
    program,
    as_json,
    sparse,
    vector,
    exact,
    strict,
    kink,
    max_memory,
    precision,
    ascii_only,
    output,
    width,
):
    """Print the value, the gradient and the Hessian of EXPR at the values given.

    The Hessian is the derivative graph differentiated again (reverse over
    reverse), symmetric by construction: entries on and above the diagonal are
    computed and mirrored. Array inputs give blocks, shaped x.shape + y.shape.

    \b
    Examples:
      cg hessian "(1-x)^2 + 100*(y-x^2)^2" x=-1.2 y=1
      cg hessian "x*y/(x + y)" x=1/3 y=1/2 --exact
      cg hessian "sum(x*x*x)" "x=[1,2]" --json
      cg hessian "x^2*y^3" x=1 y=2 --vector x=1 --vector y=-1
    """
    from ..io.bindings import parse_bindings
    from ..io.streams import open_output
    from ..language.parse import parse
    from ..render import hessian as view
    from ..transform.hessian_values import hessian

    if as_json:
        no_precision(precision, "--json", "the table")
    if vector and sparse:
        raise UsageError(
            "--vector prints one product H·v, --sparse the whole matrix: choose one",
        )
    source, values = program.load(exact, max_memory)
    graph = parse(source, bound=values)
    v = None
    if vector:
        unnamed = [b for b in vector if "=" not in b]
        if unnamed:
            raise UsageError(
                f"--vector {unnamed[0]}: give a part of v as NAME=VALUE",
                "As in --vector x=1 --vector y=-1.",
            )
        v = parse_bindings(list(vector), exact, max_memory)
    found = hessian(
        graph,
        values,
        exact=exact,
        strict=strict,
        kink=kink,
        max_memory=max_memory,
        sparse=sparse,
        vector=v,
    )
    warn(found.result.notices, width)
    with open_output(output) as stream:
        if as_json:
            stream.write(view.document(found) + "\n")
            return
        from ..render.table import kinks, table
        from .arguments import notation_for

        notation = notation_for(stream, ascii_only)
        out = console(stream, width)
        parts = [table(found.result, False, precision, notation, out.width)]
        if found.product is not None:
            parts.append(view.product_table(found, notation, precision))
        elif found.entries is not None:
            parts.append(view.sparse_view(found, notation, out.width, precision))
        else:
            parts.append(view.matrix_table(found, notation, precision))
        parts.append(kinks(found.result, notation))
        parts.append(view.second_kinks(found, notation, found.result.policy))
        for part in parts:
            if part is not None:
                show(stream, part, out, notation.ascii)
