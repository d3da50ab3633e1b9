"""The committed LALR tables are the grammar's, and running them needs no Lark."""

from __future__ import annotations

import subprocess
import sys

from test_evaluate import CORPUS

from cgcli.language import _tables, lalr
from cgcli.language.parse import _Builder


def test_tables_were_generated_from_this_grammar():
    # If this fails, the grammar changed: run `python -m cgcli.language.lalr` and commit.
    assert _tables.GRAMMAR_DIGEST == lalr.digest(lalr.grammar_text())


def test_committed_tables_equal_a_fresh_build():
    fresh = lalr.build(lalr.grammar_text())
    assert {key: getattr(_tables, key) for key in fresh} == fresh


def graph_of(parser, source):
    builder = _Builder(source, set())
    parser.parse(source, builder.actions)
    return [
        (n.op if isinstance(n.op, str) else n.op.name, n.inputs, n.value)
        for n in builder.graph.nodes
    ]


def test_fresh_tables_and_committed_tables_build_the_same_graphs():
    committed = lalr.Parser(vars(_tables))
    fresh = lalr.Parser(lalr.build(lalr.grammar_text()))
    for source in CORPUS:
        assert graph_of(committed, source) == graph_of(fresh, source)


def test_a_one_shot_run_does_not_import_lark_or_rich_for_json():
    code = (
        "import sys\nfrom cgcli.cli import main\n"
        "try:\n    main(['eval', 'x*y', 'x=1', 'y=2', '--json'])\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('lark', 'rich')))"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.strip().splitlines()[-1] == "[]"
