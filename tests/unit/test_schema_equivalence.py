"""``schemas/spec-v1.json`` (draft-07, what editors use) and ``compiler.spec.Spec`` (strict pydantic, what
compile uses) must accept and reject the same documents.

Fed with random valid specs, with one-mutation variants of them (wrong types, unknown keys, missing
keys, out-of-range numbers, bad enum values, strings / floats / booleans where numbers go, empty
lists and maps, bad mapping keys) and with a table of hand-picked boundary cases.

Known disagreements, each pinned by a strict xfail below (they fail loudly once fixed):

* A — an integral float (``seed: 1.0``, ``rows: 10.0``) in an integer position: JSON Schema's
  ``integer`` is a mathematical integer, so the schema accepts it; strict pydantic rejects any float.
  JSON Schema cannot tell ``1.0`` from ``1``, so only the model side can change (accept integral floats).
* B — ``spec_version: true``: pydantic's ``Literal[1]`` accepts ``True`` (``True == 1``) even in strict
  mode and normalises it to 1; the schema (``const: 1``) rejects a boolean. The model is wrong.
* C — ``name: "abc\\n"``: python-jsonschema applies ``pattern`` with ``re.search``, where ``$`` also
  matches before a trailing newline; pydantic (Rust regex) and ECMA-262 (what JSON Schema specifies,
  and what editors run) reject it. The Python validator is the odd one out, not the schema.
* D — ``temperature: .nan`` (YAML can say it, JSON cannot): every comparison with NaN is false, so
  python-jsonschema's minimum/maximum checks pass; pydantic rejects NaN. The model is right.
"""

from __future__ import annotations

import copy
import json
import math
import os
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from pydantic import ValidationError

from compiler.spec import Spec
from tests.strategies import mutated_documents, to_yaml, valid_specs

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "schemas" / "spec-v1.json"
SCHEMA = json.loads(SCHEMA_PATH.read_text("utf-8"))
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
#: SYNTHSPEC_PROPERTY_SCALE=10 for a deep run
SCALE = float(os.environ.get("SYNTHSPEC_PROPERTY_SCALE", "1"))


def pydantic_errors(doc) -> list[dict] | None:
    """None when the model accepts ``doc``; its errors otherwise."""
    try:
        Spec.model_validate(doc)
        return None
    except ValidationError as exc:
        return exc.errors(include_url=False)


def schema_errors(doc) -> list:
    return list(VALIDATOR.iter_errors(doc))


def known_disagreement(doc, perrs, serrs) -> str | None:
    """Which documented class (A–D) explains a disagreement, if any."""
    if perrs and not serrs:
        if all(e["type"] == "int_type" and isinstance(e.get("input"), float) and math.isfinite(e["input"])
               and float(e["input"]).is_integer() for e in perrs):
            return "A"
        if all(e["type"] == "string_pattern_mismatch" and isinstance(e.get("input"), str)
               and e["input"].endswith("\n") for e in perrs):
            return "C"
        if all(isinstance(e.get("input"), float) and math.isnan(e["input"]) for e in perrs):
            return "D"
    if perrs is None and serrs:
        if doc.get("spec_version") is True and all(list(e.absolute_path) == ["spec_version"] for e in serrs):
            return "B"
    return None


def assert_agree(doc, *, allow_known: bool = True) -> None:
    perrs, serrs = pydantic_errors(doc), schema_errors(doc)
    if (perrs is None) == (not serrs):
        return
    known = known_disagreement(doc, perrs, serrs)
    if allow_known and known:
        return
    detail = ([(e["loc"], e["type"], e["msg"]) for e in perrs] if perrs
              else [("/".join(map(str, e.absolute_path)), e.message) for e in serrs])
    raise AssertionError(f"pydantic {'accepts' if perrs is None else 'rejects'}, the schema "
                         f"{'rejects' if serrs else 'accepts'} (class {known or 'unknown'}): {detail[:5]}")


# ------------------------------------------------------------------------------------------
# the committed schema is the one the models generate (else equivalence of the file is moot)
# ------------------------------------------------------------------------------------------

def test_committed_schema_is_generated_from_the_models():
    from compiler.schemagen import spec_schema

    assert json.loads(json.dumps(spec_schema())) == SCHEMA, "run `python -m compiler.schemagen`"


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

@settings(max_examples=int(80 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=valid_specs())
def test_both_accept_every_valid_spec(spec):
    assert pydantic_errors(spec) is None
    assert not schema_errors(spec)
    # and the same document read back from YAML (the form editors and compile see)
    from compiler.load import load_text

    doc, diags = load_text(to_yaml(spec, quote="minimal"))
    assert doc is not None and not diags
    assert pydantic_errors(doc.data) is None and not schema_errors(doc.data)


@settings(max_examples=int(400 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.filter_too_much])
@given(mutation=mutated_documents())
def test_both_accept_or_both_reject_every_mutation(mutation):
    op, path, doc = mutation
    assert_agree(doc)


@settings(max_examples=int(150 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutation=mutated_documents(ops=("float_for_int", "wrong_type", "out_of_range", "bool_for_number",
                                       "str_for_number"), integral_floats=False))
def test_numbers_agree_apart_from_the_documented_classes(mutation):
    op, path, doc = mutation
    perrs, serrs = pydantic_errors(doc), schema_errors(doc)
    if (perrs is None) != (not serrs):
        # only class A (an integral float drawn by wrong_type/out_of_range: 1.0, 0.0, 1e308) or B
        assert known_disagreement(doc, perrs, serrs) in ("A", "B"), (op, path)


# ------------------------------------------------------------------------------------------
# hand-picked boundaries
# ------------------------------------------------------------------------------------------

def _base() -> dict:
    return {"spec_version": 1, "name": "x", "tables": {"t": {"primary_key": "id", "columns": {"c": "categorical"}}}}


def _with(path: tuple, value):
    def make():
        doc = _base()
        node = doc
        for p in path[:-1]:
            node = node.setdefault(p, {})
        node[path[-1]] = value
        return doc
    return make


def _without(*path):
    def make():
        doc = _base()
        node = doc
        for p in path[:-1]:
            node = node[p]
        del node[path[-1]]
        return doc
    return make


_FK = {"columns": "p", "references": "t", "context": False}

# (id, document factory, expected: True = both accept, False = both reject)
CASES = [
    ("base", _base, True),
    ("missing spec_version", _without("spec_version"), False),
    ("missing name", _without("name"), False),
    ("missing tables", _without("tables"), False),
    ("empty tables", _with(("tables",), {}), False),
    ("spec_version 2", _with(("spec_version",), 2), False),
    ("spec_version '1'", _with(("spec_version",), "1"), False),
    ("spec_version 1.0", _with(("spec_version",), 1.0), True),
    ("name 64 chars", _with(("name",), "a" * 64), True),
    ("name 65 chars", _with(("name",), "a" * 65), False),
    ("name starts with digit", _with(("name",), "1a"), False),
    ("name non-ascii", _with(("name",), "àç"), False),
    ("name with space", _with(("name",), "a b"), False),
    ("name leading newline", _with(("name",), "\nabc"), False),
    ("unknown top-level key", _with(("bogus",), 1), False),
    ("unknown table key", _with(("tables", "t", "primary_kee"), "id"), False),
    ("unknown column key", _with(("tables", "t", "columns", "c"), {"encoding": "categorical", "typo": 1}), False),
    ("table name empty", _with(("tables", ""), {}), False),
    ("table name 256 chars", _with(("tables", "k" * 256), {}), True),
    ("table name 257 chars", _with(("tables", "k" * 257), {}), False),
    ("column entry null", _with(("tables", "t", "columns", "c"), None), False),
    ("column entry {}", _with(("tables", "t", "columns", "c"), {}), True),
    ("column entry number", _with(("tables", "t", "columns", "c"), 5), False),
    ("column entry list", _with(("tables", "t", "columns", "c"), ["categorical"]), False),
    ("column bad encoding", _with(("tables", "t", "columns", "c"), "Categorical"), False),
    ("column sdk encoding", _with(("tables", "t", "columns", "c"), "LANGUAGE_TEXT"), True),
    ("column sdk lowercase", _with(("tables", "t", "columns", "c"), "tabular_categorical"), False),
    ("column exclude 1", _with(("tables", "t", "columns", "c"), {"exclude": 1}), False),
    ("column exclude 'yes'", _with(("tables", "t", "columns", "c"), {"exclude": "yes"}), False),
    ("column pii bad", _with(("tables", "t", "columns", "c"), {"pii": "ssn"}), False),
    ("column pii null", _with(("tables", "t", "columns", "c"), {"pii": None}), True),
    ("columns empty", _with(("tables", "t", "columns"), {}), True),
    ("columns list", _with(("tables", "t", "columns"), ["c"]), False),
    ("primary_key empty list", _with(("tables", "t", "primary_key"), []), False),
    ("primary_key empty string", _with(("tables", "t", "primary_key"), ""), False),
    ("primary_key number", _with(("tables", "t", "primary_key"), 1), False),
    ("primary_key null", _with(("tables", "t", "primary_key"), None), True),
    ("role list empty", _with(("tables", "t", "role"), []), True),
    ("role bad", _with(("tables", "t", "role"), "Subject"), False),
    ("role list", _with(("tables", "t", "role"), ["subject", "context"]), True),
    ("foreign_keys empty", _with(("tables", "t", "foreign_keys"), []), True),
    ("foreign_keys map", _with(("tables", "t", "foreign_keys"), {}), False),
    ("fk ok", _with(("tables", "t", "foreign_keys"), [_FK]), True),
    ("fk missing context", _with(("tables", "t", "foreign_keys"), [{"columns": "p", "references": "t"}]), False),
    ("fk context 0", _with(("tables", "t", "foreign_keys"), [{**_FK, "context": 0}]), False),
    ("fk context 'false'", _with(("tables", "t", "foreign_keys"), [{**_FK, "context": "false"}]), False),
    ("fk columns empty list", _with(("tables", "t", "foreign_keys"), [{**_FK, "columns": []}]), False),
    ("fk unknown key", _with(("tables", "t", "foreign_keys"), [{**_FK, "on_delete": "cascade"}]), False),
    ("training model bad", _with(("training", "model"), "huge"), False),
    ("training model sdk", _with(("training", "model"), "MOSTLY_AI/Large"), True),
    ("max_training_time 0", _with(("training", "max_training_time"), 0), False),
    ("max_training_time int", _with(("training", "max_training_time"), 5), True),
    ("max_training_time tiny", _with(("training", "max_training_time"), 5e-324), True),
    ("max_training_time -1", _with(("training", "max_training_time"), -1.0), False),
    ("max_training_time true", _with(("training", "max_training_time"), True), False),
    ("max_training_time '5'", _with(("training", "max_training_time"), "5"), False),
    ("batch_size 0", _with(("training", "batch_size"), 0), False),
    ("batch_size 1.5", _with(("training", "batch_size"), 1.5), False),
    ("batch_size true", _with(("training", "batch_size"), True), False),
    ("rare method upper", _with(("training", "rare_category_replacement_method"), "CONSTANT"), False),
    ("value_protection 'true'", _with(("training", "value_protection"), "true"), False),
    ("value_protection 1", _with(("training", "value_protection"), 1), False),
    ("temperature int 1", _with(("generation", "temperature"), 1), True),
    ("temperature 2", _with(("generation", "temperature"), 2.0), True),
    ("temperature 2.0001", _with(("generation", "temperature"), 2.0001), False),
    ("temperature -0.0", _with(("generation", "temperature"), -0.0), True),
    ("temperature true", _with(("generation", "temperature"), True), False),
    ("temperature '1.0'", _with(("generation", "temperature"), "1.0"), False),
    ("temperature inf", _with(("generation", "temperature"), math.inf), False),
    ("top_p 0.9", _with(("generation", "top_p"), 0.9), True),
    ("top_p 0.8999", _with(("generation", "top_p"), 0.8999), False),
    ("top_p 1 int", _with(("generation", "top_p"), 1), True),
    ("seed 0", _with(("generation", "seed"), 0), True),
    ("seed -1", _with(("generation", "seed"), -1), False),
    ("seed 2**64", _with(("generation", "seed"), 2**64), True),
    ("seed true", _with(("generation", "seed"), True), False),
    ("seed null", _with(("generation", "seed"), None), True),
    ("seed 1.5", _with(("generation", "seed"), 1.5), False),
    ("size 0", _with(("generation", "size"), {"t": 0}), False),
    ("size true", _with(("generation", "size"), {"t": True}), False),
    ("size unknown table (graph, not schema)", _with(("generation", "size"), {"zz": 5}), True),
    ("size key empty", _with(("generation", "size"), {"": 5}), False),
    ("source no kind", _with(("sources",), {"s": {"path": "data"}}), False),
    ("source bad kind", _with(("sources",), {"s": {"kind": "s3"}}), False),
    ("source path empty", _with(("sources",), {"s": {"kind": "files", "path": ""}}), False),
    ("source path null", _with(("sources",), {"s": {"kind": "files", "path": None}}), True),
    ("sample rows max", _with(("sources",), {"s": {"kind": "files", "sample": {"rows": 10_000_000}}}), True),
    ("sample rows max+1", _with(("sources",), {"s": {"kind": "files", "sample": {"rows": 10_000_001}}}), False),
    ("sample rows true", _with(("sources",), {"s": {"kind": "files", "sample": {"rows": True}}}), False),
    ("csv delimiter 2 chars", _with(("sources",), {"s": {"kind": "files", "csv": {"delimiter": ";;"}}}), False),
    ("csv delimiter empty", _with(("sources",), {"s": {"kind": "files", "csv": {"delimiter": ""}}}), False),
    ("csv delimiter ç", _with(("sources",), {"s": {"kind": "files", "csv": {"delimiter": "ç"}}}), True),
    ("csv delimiter astral", _with(("sources",), {"s": {"kind": "files", "csv": {"delimiter": "😀"}}}), True),
    ("csv null_values empty", _with(("sources",), {"s": {"kind": "files", "csv": {"null_values": []}}}), True),
    ("csv null_values numbers", _with(("sources",), {"s": {"kind": "files", "csv": {"null_values": [1]}}}), False),
    ("output kind bad", _with(("output", "kind"), "xlsx"), False),
    ("output path empty", _with(("output", "path"), ""), False),
    ("output path null", _with(("output", "path"), None), False),
    ("quality 1.01", _with(("quality", "min_accuracy"), 1.01), False),
    ("quality 1 int", _with(("quality", "min_accuracy"), 1), True),
    ("engine kind remote", _with(("engine", "kind"), "remote"), False),
    ("training null", _with(("training",), None), False),
    ("generation null", _with(("generation",), None), False),
    ("description null", _with(("description",), None), True),
    ("description number", _with(("description",), 1), False),
    ("profiles empty", _with(("profiles",), {}), True),
    ("profile empty", _with(("profiles",), {"ci": {}}), True),
    ("profile unknown key", _with(("profiles",), {"ci": {"columns": {}}}), False),
    ("profile tables training", _with(("profiles",), {"ci": {"tables": {"t": {"training": {"model": "small"}}}}}),
     True),
    ("profile tables columns", _with(("profiles",), {"ci": {"tables": {"t": {"columns": {}}}}}), False),
    ("profile sources kind", _with(("profiles",), {"ci": {"sources": {"s": {"kind": "files"}}}}), False),
    ("profile generation bad top_p", _with(("profiles",), {"ci": {"generation": {"top_p": 0.5}}}), False),
    ("top-level list", lambda: [_base()], False),
    ("top-level null", lambda: None, False),
]


@pytest.mark.parametrize("make,expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_boundary_cases(make, expected):
    doc = make()
    perrs, serrs = pydantic_errors(doc), schema_errors(doc)
    assert (perrs is None) == expected, perrs
    assert (not serrs) == expected, [e.message for e in serrs]


# ------------------------------------------------------------------------------------------
# the documented disagreements (strict: they start failing once fixed — then move them up)
# ------------------------------------------------------------------------------------------

KNOWN = [
    ("A", "seed 1.0", _with(("generation", "seed"), 1.0)),
    ("A", "size 10.0", _with(("generation", "size"), {"t": 10.0})),
    ("A", "sample rows 10.0", _with(("sources",), {"s": {"kind": "files", "sample": {"rows": 10.0}}})),
    ("A", "batch_size 64.0", _with(("training", "batch_size"), 64.0)),
    ("B", "spec_version true", _with(("spec_version",), True)),
    ("C", "name trailing newline", _with(("name",), "abc\n")),
    ("D", "temperature nan", _with(("generation", "temperature"), math.nan)),
    ("D", "min_accuracy nan", _with(("quality", "min_accuracy"), math.nan)),
]


@pytest.mark.xfail(strict=True, reason="documented disagreement between spec-v1.json and compiler.spec.Spec "
                                       "(see the module docstring, classes A-D)")
@pytest.mark.parametrize("make", [c[2] for c in KNOWN], ids=[f"{c[0]}: {c[1]}" for c in KNOWN])
def test_known_disagreements(make):
    assert_agree(make(), allow_known=False)


@pytest.mark.parametrize("cls,make", [(c[0], c[2]) for c in KNOWN], ids=[f"{c[0]}: {c[1]}" for c in KNOWN])
def test_known_disagreements_are_classified(cls, make):
    doc = make()
    perrs, serrs = pydantic_errors(doc), schema_errors(doc)
    if (perrs is None) != (not serrs):  # still disagreeing: the property tests excuse it as this class only
        assert known_disagreement(doc, perrs, serrs) == cls
