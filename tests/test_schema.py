"""Every command's JSON matches the JSON Schema files kept in schema/."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMAS = Path(__file__).resolve().parents[1] / "schema"


def validator(name: str) -> Draft202012Validator:
    registry = Registry()
    for path in SCHEMAS.glob("*.schema.json"):
        document = json.loads(path.read_text())
        registry = registry.with_resource(document["$id"], Resource.from_contents(document))
    schema = json.loads((SCHEMAS / f"{name}.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, registry=registry)


CASES = [
    ("eval", ["eval", "(a+b)*(b-c)", "a=1", "b=2", "c=3", "--json"]),
    ("eval", ["eval", "log(x) + relu(y)", "x=0", "y=0", "--json"]),
    ("eval", ["eval", "x*y/(x+y) + sin(x)", "x=1/3", "y=1/2", "--exact", "--json"]),
    ("eval", ["eval", "relu(x)*y + x^3", "x=1e-5", "y=2", "--check", "--json"]),
    ("eval", ["eval", "relu(x)*y", "x=0", "y=2", "--kink", "nan", "--json", "z=1"]),
    ("eval", ["eval", "sum(relu(W @ x))", "W=[[1,2],[3,-4]]", "x=[0.5,1]", "--json"]),
    ("eval", ["eval", "W @ x", "W=[[1,2],[3,-4]]", "x=[0.5,1]", "--json", "--jacobian"]),
    ("graph", ["graph", "(a+b)*(b-c)", "--format", "json"]),
    ("graph", ["graph", "(a+b)*(b-c)", "a=1", "b=2", "c=3", "--format", "json"]),
    ("explain", ["explain", "(a+b)*(b-c)", "a=1", "b=2", "c=3", "--json"]),
    ("explain", ["explain", "x*x + sin(x)", "x=1/2", "--exact", "--json"]),
    ("explain", ["explain", "sum(W @ x)", "W=[[1,2],[3,-4]]", "x=[0.5,1]", "--json"]),
    ("graph", ["graph", "sum(W @ x)", "W=[[1,2],[3,-4]]", "x=[0.5,1]", "--format", "json"]),
    ("diff", ["diff", "x^2*sin(x)", "--json"]),
    ("diff", ["diff", "(a+b)*(b-c)", "a=1", "b=2", "c=3", "--json"]),
    ("diff", ["diff", "log(x) + y*0", "x=0", "y=1", "--json", "--assume", "finite"]),
    ("diff", ["diff", "sum(relu(W @ x))", "W=[[1,2],[3,-4]]", "x=[0.5,1]", "--json"]),
    ("diff", ["diff", "x^2*y^3", "--order", "2", "x=1", "y=2", "--json"]),
    ("hessian", ["hessian", "(1-x)^2 + 100*(y-x^2)^2", "x=-1.2", "y=1", "--json"]),
    ("hessian", ["hessian", "x*y/(x + y)", "x=1/3", "y=1/2", "--exact", "--json"]),
    ("hessian", ["hessian", "relu(x)*y + x^1.5", "x=0", "y=1", "--json"]),
    ("hessian", ["hessian", "sum(W @ x * x)", "W=[[1,2],[3,4]]", "x=[1,-1]", "--json"]),
    ("hessian", ["hessian", "x*y + sin(z)", "x=1", "y=2", "z=3", "--sparse", "--json"]),
    ("hessian", ["hessian", "x^2*y^3", "x=1", "y=2", "--vector", "x=1", "--json"]),
    ("optimize", ["optimize", "sin(x)*sin(x) + sin(x)", "--json"]),
    ("optimize", ["optimize", "x*1 + 2*3", "--json"]),
]


@pytest.mark.parametrize("name, args", CASES)
def test_json_output_matches_its_schema(cg, name, args):
    run = cg(*args)
    assert run.code == 0, run.stderr
    errors = sorted(validator(name).iter_errors(run.json()), key=str)
    assert not errors, errors[0].message


def test_the_schema_rejects_what_it_should():
    # A schema that accepts anything checks nothing.
    check = validator("eval")
    good = {
        "schema": 1,
        "expression": "x",
        "exact": False,
        "kink_policy": "subgradient",
        "output": {"name": "x", "value": 1.0},
        "gradient": {"x": 1.0},
        "inputs": {"x": 1.0},
        "warnings": [],
        "kinks": [],
        "nodes": [],
    }
    assert check.is_valid(good)
    assert not check.is_valid({**good, "schema": 2})
    assert not check.is_valid({**good, "output": {"name": "x", "value": "nan"}})
    assert not check.is_valid({**good, "surprise": 1})


def test_the_hessian_schema_rejects_what_it_should():
    check = validator("hessian")
    good = {
        "schema": 1,
        "expression": "x*y",
        "exact": False,
        "inputs": ["x", "y"],
        "output": {"name": "z", "value": 2.0},
        "gradient": {"x": 2.0, "y": 1.0},
        "hessian": {"x": {"x": 0.0, "y": 1.0}, "y": {"x": 1.0, "y": 0.0}},
        "sparse": False,
        "warnings": [],
        "kinks": [],
        "second_kinks": [],
    }
    assert check.is_valid(good)
    assert not check.is_valid({**good, "schema": 2})
    assert not check.is_valid({**good, "hessian": {"x": {"y": "nan"}}})
    assert not check.is_valid({**good, "hessian_vector": {"x": 1.0}, "vector": {"x": 1.0}})
    no_matrix = {k: v for k, v in good.items() if k not in ("hessian", "sparse")}
    assert not check.is_valid(no_matrix)
    assert not check.is_valid({**good, "surprise": 1})
