"""`cg codegen`: the program's value and gradient as code (thin: options, the emitter)."""

from __future__ import annotations

import click

from ..errors import UsageError
from .arguments import ExpressionCommand, program_arguments


@click.command(
    "codegen", cls=ExpressionCommand, short_help="EXPR and its gradient as Python or C code."
)
@program_arguments
@click.option(
    "--lang",
    type=click.Choice(["python", "c"]),
    default="python",
    show_default=True,
    help="Python with numpy (a module), or C99 (one file that includes <math.h>).",
)
@click.option(
    "--name",
    default="cg",
    show_default=True,
    metavar="NAME",
    help="With --lang c: the functions' prefix (NAME_value_and_grad).",
)
@click.option(
    "--hessian",
    is_flag=True,
    help="With --lang python: also value_grad_and_hessian(...), cg hessian's numbers.",
)
@click.option("-o", "--output", metavar="FILE", help="Write to FILE (replaced whole).")
@click.option(
    "--ascii", "ascii_only", is_flag=True, help="Accepted, as by every command: code is ASCII."
)
def codegen_command(program, lang, name, hessian, output, ascii_only):
    """Write straight-line code for the value of EXPR and its gradient.

    Python: a module that imports numpy and math only, with INPUTS,
    value(...) and value_and_grad(...), on numbers or on float64 arrays
    (each element a point); --hessian adds value_grad_and_hessian(...),
    with cg hessian's numbers. C: double cg_value_and_grad(const double
    *inputs, double *gradient). Both give cg eval's numbers (README).
    Programs of arrays (Python only) need values for their inputs' shapes.

    \b
    Examples:
      cg codegen "(a+b)*(b-c)" -o f.py
      cg codegen "(1-x)^2 + 100*(y-x^2)^2" --hessian -o rosenbrock.py
      cg codegen "(a+b)*(b-c)" --lang c -o f.c
      cg codegen "sum(W @ x)" "W=[[1,2],[3,4]]" "x=[1,-1]"
    """
    from ..interpret.evaluate import infer_shapes
    from ..io.streams import open_output
    from ..language.parse import parse

    if hessian and lang != "python":
        raise UsageError(
            "--hessian is for --lang python: the C code has the value and the gradient only",
            "Leave out --hessian, or write Python with --lang python.",
        )
    source, values = program.load()
    graph = parse(source, bound=values)
    if lang == "c":
        from ..emit.c import translation_unit

        text = translation_unit(graph, name)
    else:
        from ..emit.python import module

        shapes = None
        if graph.arrays:
            missing = [n for n in graph.inputs if n not in values]
            if missing:
                raise UsageError(
                    "the code of a program of arrays depends on the shapes of its inputs, "
                    f"and {', '.join(missing)} {'has' if len(missing) == 1 else 'have'} no value",
                    "Give every input a value (its shape is what counts), as in x=[1,2,3].",
                )
            shapes = infer_shapes(graph, values)
        text = module(graph, shapes, hessian)
    with open_output(output) as stream:
        stream.write(text)
