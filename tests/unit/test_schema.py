"""Stage 2: validation errors become located diagnostics with stable codes."""

import pytest

from compiler.load import load_text
from compiler.schema import validate

BASE = "spec_version: 1\nname: t\ntables:\n  t:\n    primary_key: id\n"


def check(text):
    doc, diags = load_text(text, "s.yaml")
    assert not diags
    spec, diags = validate(doc)
    return spec, diags


def test_valid_minimal_spec():
    spec, diags = check(BASE)
    assert diags == [] and spec.tables["t"].primary_key == "id"


def test_unknown_key_with_did_you_mean_points_at_the_key():
    _, (d,) = check(BASE + "    primary_kee: x\n")
    assert d.code == "S001" and d.help == "did you mean `primary_key`?" and (d.span.line, d.span.column) == (6, 5)


def test_unknown_encoding_suggests_the_closest():
    _, (d,) = check(BASE + "    columns:\n      a: {encoding: charcter}\n")
    assert d.code == "S005" and "`character`" in d.help and d.span.line == 7


def test_missing_context_points_at_the_fk():
    _, (d,) = check(BASE + "    foreign_keys:\n      - {columns: x, references: t}\n")
    assert d.code == "S002" and "context" in d.message and d.span.line == 7


@pytest.mark.parametrize("snippet,code", [
    ("generation: {top_p: 0.5}\n", "M007"),
    ("generation: {top_p: 1.5}\n", "M007"),
    ("generation: {temperature: 2.5}\n", "M008"),
    ("generation: {temperature: -1}\n", "M008"),
    ("training: {max_training_time: 0}\n", "M009"),
    ("training: {max_epochs: 0}\n", "M009"),
    ("training: {model: tiny}\n", "M010"),
    ("training: {batch_size: 0}\n", "S004"),
    ("generation: {size: {t: 0}}\n", "S004"),
    ("output: {kind: excel}\n", "S005"),
    ("generation: {temperature: '1'}\n", "S003"),
])
def test_field_specific_codes(snippet, code):
    _, diags = check(BASE + snippet)
    assert [d.code for d in diags] == [code]
    assert diags[0].span.line == 6


def test_unsupported_spec_version():
    _, (d,) = check(BASE.replace("spec_version: 1", "spec_version: 2"))
    assert d.code == "S006"


def test_strict_types_no_coercion():
    _, diags = check(BASE + "generation: {seed: '42'}\n")
    assert diags[0].code == "S003" and diags[0].help == "remove the quotes"
    _, diags = check(BASE + "    columns:\n      a: {exclude: yes}\n")
    assert diags[0].code == "S003" and "true" in diags[0].help


def test_union_errors_are_reported_once():
    _, diags = check(BASE.replace("primary_key: id", "primary_key: 5"))
    assert len(diags) == 1 and "a string or a list" in diags[0].message


def test_every_error_reported_at_once():
    _, diags = check(BASE + "    x: 1\n    y: 2\ngeneration: {top_p: 0.1, temperature: 9}\n")
    assert sorted(d.code for d in diags) == ["M007", "M008", "S001", "S001"]


def test_column_shorthand_and_sdk_names():
    spec, diags = check(BASE + "    columns:\n      a: categorical\n      b: TABULAR_NUMERIC_DIGIT\n      c: {encoding: LANGUAGE_TEXT}\n")
    assert diags == [] and spec.tables["t"].columns["a"] == "categorical"


def test_a_value_fitting_no_union_branch_is_one_error_with_the_allowed_values():
    _, diags = check(BASE + "    columns:\n      c: {pii: email, fake: yes}\n")
    assert len(diags) == 1 and diags[0].code == "S005"
    assert "true or false" in diags[0].message and diags[0].help.startswith("allowed: name")
    _, diags = check(BASE + "    columns:\n      c: {pii: ssn}\n")
    assert "encodings" not in diags[0].help and "national_id" in diags[0].help
