"""Stage 1: YAML loading, YAML 1.2 scalars, tags, duplicates, limits, positions."""

import math
import time

import pytest

from compiler.load import MAX_FILE_BYTES, load_file, load_text


def codes(diags):
    return [d.code for d in diags]


def test_yaml12_scalars_dates_stay_strings():
    doc, diags = load_text("a: yes\nb: 2024-01-05\nc: 0x1F\nd: on\ne: 1.5e3\nf: ~\ng: 0o17\nh: .inf\ni: '12'\nj: 12:30\n")
    assert diags == []
    assert doc.data == {"a": "yes", "b": "2024-01-05", "c": 31, "d": "on", "e": 1500.0, "f": None, "g": 15,
                        "h": math.inf, "i": "12", "j": "12:30"}


def test_keys_are_strings_even_when_yaml11_would_make_them_booleans():
    doc, _ = load_text("on: 1\nno: 2\n3: x\n")
    assert list(doc.data) == ["on", "no", "3"]


@pytest.mark.parametrize("text", [
    "a: !!python/object:os.system x\n",
    "a: !!python/object/apply:os.system ['echo hi']\n",
    "a: !custom 3\n",
    "a: !!set {x, y}\n",
    "a: !!binary aGVsbG8=\n",
])
def test_object_constructing_tags_are_refused(text):
    doc, diags = load_text(text, "t.yaml")
    assert "Y006" in codes(diags)
    assert diags[0].span.line == 1


def test_explicit_standard_tags_are_honoured():
    doc, diags = load_text("a: !!str 12\nb: !!int '7'\nc: !!float '1'\n")
    assert diags == [] and doc.data == {"a": "12", "b": 7, "c": 1.0}


def test_duplicate_key_is_located_with_the_first_definition():
    doc, diags = load_text("a: 1\nb:\n  x: 1\n  x: 2\n", "d.yaml")
    (d,) = diags
    assert d.code == "Y002" and (d.span.line, d.span.column) == (4, 3)
    assert d.related[0].span.line == 3


def test_syntax_error_is_located():
    doc, diags = load_text("a: [1, 2\nb: c\n", "s.yaml")
    assert doc is None and codes(diags) == ["Y001"] and diags[0].span.line == 2


def test_multiple_documents_and_non_mapping():
    assert codes(load_text("a: 1\n---\nb: 2\n")[1]) == ["Y008"]
    assert codes(load_text("- 1\n- 2\n")[1]) == ["Y007"]
    assert codes(load_text("")[1]) == ["Y007"]


def test_complex_key_refused():
    assert "Y009" in codes(load_text("? [a, b]\n: 1\n")[1])


def test_alias_bomb_is_refused_in_bounded_time():
    lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, 10):
        p, c = chr(96 + i), chr(97 + i)
        lines.append(f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]")
    t = time.perf_counter()
    doc, diags = load_text("\n".join(lines) + "\n")
    assert time.perf_counter() - t < 5
    assert doc is None and codes(diags) == ["Y005"]


def test_recursive_alias_and_deep_nesting_are_refused():
    assert codes(load_text("a: &a [*a]\n")[1]) == ["Y005"]
    assert codes(load_text("a: " + "[" * 500 + "]" * 500 + "\n")[1]) == ["Y005"]


def test_merge_keys():
    doc, diags = load_text("base: &b {model: small, max_training_time: 1}\nt: {<<: *b, model: large}\n")
    assert diags == [] and doc.data["t"] == {"model": "large", "max_training_time": 1}
    assert doc.locate(("t", "max_training_time")).line == 1


def test_file_size_limit(tmp_path):
    big = tmp_path / "big.yaml"
    big.write_bytes(b"a: " + b"x" * (MAX_FILE_BYTES + 10) + b"\n")
    doc, diags = load_file(big)
    assert doc is None and codes(diags) == ["Y004"]


def test_missing_and_non_utf8_files(tmp_path):
    assert codes(load_file(tmp_path / "nope.yaml")[1]) == ["Y003"]
    bad = tmp_path / "latin.yaml"
    bad.write_bytes("a: Mercè\n".encode("latin-1"))
    assert codes(load_file(bad)[1]) == ["Y003"]


def test_locate_paths_keys_and_missing_keys():
    text = "spec_version: 1\ntables:\n  t:\n    columns:\n      email: {encoding: character}\n    fks:\n      - {a: 1}\n"
    doc, _ = load_text(text, "l.yaml")
    sp = doc.locate(("tables", "t", "columns", "email", "encoding"))
    assert (sp.line, sp.column) == (5, 25)
    assert doc.locate(("tables", "t", "columns", "email"), key=True).column == 7
    assert doc.locate(("tables", "t", "fks", 0, "a")).line == 7
    missing = doc.locate(("tables", "t", "primary_key"))  # missing key: points at its parent
    assert (missing.line, missing.column) == (3, 3)
