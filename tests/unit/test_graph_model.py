"""Stages 3–4: model normalisation and every relational check."""

import textwrap

import pytest

from compiler.api import compile_spec


def comp(tmp_path, body, profile=None, **kw):
    p = tmp_path / "spec.yaml"
    p.write_text("spec_version: 1\nname: g\n" + textwrap.dedent(body))
    return compile_spec(p, profile=profile, out_dir=tmp_path / "out", use_data=False, **kw)


def codes(res):
    return sorted(d.code for d in res.diagnostics)


def test_roles_are_derived(tmp_path):
    res = comp(tmp_path, """
    tables:
      p: {primary_key: id, columns: {a: categorical}}
      c: {primary_key: id, foreign_keys: [{columns: p_id, references: p, context: true}], columns: {b: numeric}}
      l: {primary_key: id, columns: {x: categorical}}
      d: {primary_key: id, foreign_keys: [{columns: l_id, references: l, context: false}, {columns: c_id, references: c, context: true}]}
    """)
    assert res.ok, res.diagnostics
    assert res.roles == {"p": ("subject", "context"), "c": ("linked", "context"), "l": ("subject",), "d": ("linked",)}
    assert res.model.order.index("p") < res.model.order.index("c") < res.model.order.index("d")


@pytest.mark.parametrize("body,code", [
    ("tables: {a: {primary_key: id, foreign_keys: [{columns: x, references: zz, context: false}]}}", "G001"),
    ("tables:\n  p: {primary_key: [a, b]}\n  c: {foreign_keys: [{columns: x, references: p, context: false}]}", "G003"),
    ("tables:\n  p: {primary_key: a}\n  c: {foreign_keys: [{columns: x, references: p, context: false, referenced_columns: b}]}", "G002"),
    ("tables:\n  p: {primary_key: a}\n  q: {primary_key: a}\n  c: {foreign_keys: [{columns: x, references: p, context: true}, {columns: y, references: q, context: true}]}", "G004"),
    ("tables:\n  p: {primary_key: a, foreign_keys: [{columns: x, references: p, context: true}]}", "G006"),
    ("tables:\n  p: {}\n  c: {foreign_keys: [{columns: x, references: p, context: false}]}", "G007"),
    ("tables:\n  p: {primary_key: a}\n  c: {primary_key: x, foreign_keys: [{columns: x, references: p, context: false}]}", "G008"),
    ("tables:\n  p: {primary_key: a, role: linked}", "G009"),
    ("tables:\n  p: {primary_key: a, role: context}", "G009"),
    ("tables:\n  p: {primary_key: a, columns: {t: datetime_relative}}", "G011"),
    ("tables:\n  p: {primary_key: a}\ngeneration: {size: {q: 3}}", "G014"),
    ("tables:\n  p: {primary_key: a}\n  c: {foreign_keys: [{columns: x, references: p, context: false}, {columns: x, references: p, context: false}]}", "G015"),
    ("tables:\n  p: {primary_key: [a, a]}", "M004"),
    ("tables:\n  p: {primary_key: [a, b], surrogate_key: c, columns: {c: categorical}}", "M005"),
    ("tables:\n  p: {primary_key: a, columns: {a: {exclude: true}}}", "M011"),
    ("tables:\n  p: {source: nope/p.csv, primary_key: a}", "M002"),
])
def test_error_codes(tmp_path, body, code):
    res = comp(tmp_path, body)
    assert code in codes(res), res.diagnostics
    assert not res.ok
    d = next(d for d in res.diagnostics if d.code == code)
    assert d.span.line > 2, d  # located inside the spec body


@pytest.mark.parametrize("body,code", [
    ("tables:\n  p: {primary_key: a}\n  c: {foreign_keys: [{columns: x, references: p, context: true}]}\ngeneration: {size: {c: 5}}", "G010"),
    ("tables:\n  p: {primary_key: a, columns: {a: categorical}}", "G012"),
    ("tables:\n  p: {primary_key: a}\n  q: {primary_key: b}", "G013"),
    ("tables:\n  p: {primary_key: a, surrogate_key: s}", "M006"),
    ("tables:\n  p: {primary_key: a, columns: {e: {encoding: character, pii: email}}}", "L001"),
    ("tables:\n  p: {primary_key: a, training: {value_protection: false}, columns: {n: {encoding: character, pii: name}}}", "L002"),
    ("tables:\n  p: {primary_key: a, training: {value_protection: false}, columns: {n: {encoding: categorical, pii: name}}}", "L003"),
    ("tables:\n  p: {primary_key: a, training: {value_protection: false}, columns: {n: numeric}}", "L004"),
    ("tables:\n  p: {primary_key: a, training: {differential_privacy: {max_epsilon: 50}}, columns: {n: numeric}}", "L005"),
])
def test_warning_and_info_codes_do_not_block(tmp_path, body, code):
    res = comp(tmp_path, body)
    assert code in codes(res)
    assert res.ok


def test_context_cycle_reported_once_per_cycle(tmp_path):
    res = comp(tmp_path, """
    tables:
      a: {primary_key: id, foreign_keys: [{columns: c_id, references: c, context: true}]}
      b: {primary_key: id, foreign_keys: [{columns: a_id, references: a, context: true}]}
      c: {primary_key: id, foreign_keys: [{columns: b_id, references: b, context: true}]}
      x: {primary_key: id, foreign_keys: [{columns: y_id, references: y, context: true}]}
      y: {primary_key: id, foreign_keys: [{columns: x_id, references: x, context: true}]}
    """)
    cyc = [d for d in res.diagnostics if d.code == "G005"]
    assert len(cyc) == 2
    assert "a → c → b → a" in cyc[0].message


def test_non_context_cycles_and_self_references_are_fine(tmp_path):
    res = comp(tmp_path, """
    tables:
      emp: {primary_key: id, foreign_keys: [{columns: boss, references: emp, context: false}, {columns: store, references: store, context: false}], columns: {n: categorical}}
      store: {primary_key: id, foreign_keys: [{columns: manager, references: emp, context: false}]}
    """)
    assert res.ok, res.diagnostics


def test_composite_keys_compile_to_surrogates(tmp_path):
    res = comp(tmp_path, """
    tables:
      p: {primary_key: [a, b], surrogate_key: ab, columns: {v: numeric}}
      c: {primary_key: id, foreign_keys: [{columns: [x, y], references: p, context: true}], columns: {w: categorical}}
      d: {primary_key: id, foreign_keys: [{columns: [a, b], references: p, context: false, surrogate_key: pab}]}
    """)
    assert res.ok
    gen = {t["name"]: t for t in res.generator["tables"]}
    assert gen["p"]["primary_key"] == "ab"
    assert gen["c"]["foreign_keys"] == [{"column": "ab", "referenced_table": "p", "is_context": True}]
    assert gen["d"]["foreign_keys"][0]["column"] == "pab"
    assert [c["name"] for c in gen["c"]["columns"]] == ["id", "ab", "w"]
    tr = res.manifest["transforms"]
    assert {"op": "surrogate_key", "table": "p", "column": "ab", "components": ["a", "b"]} in tr
    assert {"op": "surrogate_key", "table": "c", "column": "ab", "components": ["x", "y"], "references": "p"} in tr


def test_training_resolution_defaults_spec_profile_table(tmp_path):
    res = comp(tmp_path, """
    training: {model: medium, max_training_time: 20}
    tables:
      p: {primary_key: a, columns: {v: numeric}, training: {max_epochs: 3}}
      q: {primary_key: a, columns: {v: numeric}}
    profiles:
      fast: {training: {model: small}, tables: {q: {training: {max_training_time: 1}}}}
    """, profile="fast")
    assert res.ok
    gen = {t["name"]: t["tabular_model_configuration"] for t in res.generator["tables"]}
    assert gen["p"] == {"model": "MOSTLY_AI/Small", "max_training_time": 20.0, "max_epochs": 3.0, "value_protection": True}
    assert gen["q"]["max_training_time"] == 1.0


def test_unknown_profile_and_invalid_overlay(tmp_path):
    res = comp(tmp_path, "tables: {p: {primary_key: a}}\nprofiles: {ci: {generation: {top_p: 0.95}}}\n", profile="cj")
    assert codes(res) == ["M001"] and "`ci`" in res.diagnostics[0].help
    res = comp(tmp_path, "tables: {p: {primary_key: a}}\nprofiles: {ci: {generation: {size: {p: 0}}}}\n", profile="ci")
    assert codes(res) == ["S004"]  # the overlay itself is validated as part of the spec


def test_source_path_must_stay_inside_root(tmp_path):
    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "synthspec.yaml").write_text("")
    p = tmp_path / "proj" / "spec.yaml"
    p.write_text("spec_version: 1\nname: r\nsources: {s: {kind: files, path: ../outside}}\n"
                 "tables: {t: {source: s/t.csv, primary_key: a}}\n")
    res = compile_spec(p, use_data=False, out_dir=tmp_path / "o")
    assert codes(res) == ["M003"]
    p.write_text(p.read_text().replace("path: ../outside}", "path: ../outside, allow_outside_root: true}"))
    assert compile_spec(p, use_data=False, out_dir=tmp_path / "o").ok


def test_auto_without_data_is_an_error_with_a_fix(tmp_path):
    res = comp(tmp_path, "tables: {p: {primary_key: a, columns: {v: auto, w: {pii: name}}}}\n")
    e = [d for d in res.diagnostics if d.code == "E001"]
    assert len(e) == 2 and "infer" in e[0].help and not res.ok
