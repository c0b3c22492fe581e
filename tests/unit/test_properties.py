"""Property-based tests of the compile core (load → schema → model → graph → lint → emit).

Random valid specs (``tests/strategies.py``) are rendered to YAML, written to temporary files and
compiled with ``use_data=False``. Properties: they compile cleanly; twice gives the same bytes; the
order of mapping keys in the YAML does not matter except where authored order is a documented
tie-break; the spec's location only shows up as relative paths in the manifest; bytes do not depend
on ``PYTHONHASHSEED``; every artifact passes the SDK's own models and our strict JSON Schemas.

What is authored-order dependent (read from ``compiler/graph.py`` and ``compiler/emit.py``):

* the order of the ``tables`` lists of generator.json / generate.json / manifest.json and of the
  manifest's ``transforms`` follows ``model.order``: parents first over every FK edge (context or
  not, self-references ignored), ties broken by the authored order of ``tables`` (falling back to
  context FKs only when non-context FKs form a cycle);
* inside a table: PK model column, then FK model columns in ``foreign_keys`` list order, then the
  modelled columns in the authored order of ``columns``. Lists are never reordered by the tests.
* everything else is a dict dumped with sorted keys; the manifest's ``spec.sha256`` hashes the text.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.api import compile_spec
from tests.strategies import (
    canonical_encoding, expected_roles, model_columns, to_yaml, valid_specs,
)

REPO = Path(__file__).resolve().parents[2]
SCHEMAS = REPO / "schemas"
TSOCIAL = REPO / "templates" / "tsocial" / "spec.yaml"
ARTIFACTS = ("generator.json", "generate.json", "manifest.json")

#: SYNTHSPEC_PROPERTY_SCALE=10 for a deep run (the default keeps both files at ~20 s)
SCALE = float(os.environ.get("SYNTHSPEC_PROPERTY_SCALE", "1"))
FAST = settings(max_examples=int(80 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])
MEDIUM = settings(max_examples=int(40 * SCALE), deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------------------------------
# helpers
# ------------------------------------------------------------------------------------------

def _compile_text(text: str, folder: Path, *, profile=None, name="spec.yaml"):
    folder.mkdir(parents=True, exist_ok=True)
    spec = folder / name
    spec.write_text(text, encoding="utf-8")
    return compile_spec(spec, profile=profile, use_data=False, out_dir=folder / "build", project_root=folder)


def _errors(res) -> list:
    return [(d.code, d.message) for d in res.diagnostics if d.severity >= 3]


def _ok(res, spec=None) -> dict[str, bytes]:
    assert res.ok and not _errors(res), (_errors(res), json.dumps(spec, ensure_ascii=False, indent=1))
    return res.files()


def _j(b: bytes) -> dict:
    return json.loads(b)


def _by_name(tables: list[dict]) -> dict:
    names = [t["name"] for t in tables]
    assert len(names) == len(set(names)), f"duplicate table names {names}"
    return {t["name"]: t for t in tables}


def _normalise(files: dict[str, bytes]) -> dict:
    """The artifacts with authored-order tie-breaks (table order) and the text hash taken out."""
    gen, gset, man = (_j(files[n]) for n in ARTIFACTS)
    gen["tables"] = _by_name(gen["tables"])
    gset["tables"] = _by_name(gset["tables"])
    man["tables"] = _by_name(man["tables"])
    man["transforms"] = sorted(man["transforms"], key=lambda t: json.dumps(t, sort_keys=True))
    man["spec"].pop("sha256")
    return {"generator": gen, "generate": gset, "manifest": man}


def _expected_order(spec: dict) -> list[str]:
    """Parents first over FK edges (no self-loops), smallest authored index first among the ready.

    Restated from graph._parents_first: when the non-context FKs make the graph cyclic, only
    context FKs (a forest by construction) order the tables.
    """
    names = list(spec["tables"])

    def topo(edges):
        indeg = {n: 0 for n in names}
        kids = {n: [] for n in names}
        for parent, child in set(edges):
            indeg[child] += 1
            kids[parent].append(child)
        out, ready = [], [n for n in names if indeg[n] == 0]
        while ready:
            ready.sort(key=names.index)
            n = ready.pop(0)
            out.append(n)
            for k in kids[n]:
                indeg[k] -= 1
                if indeg[k] == 0:
                    ready.append(k)
        return out if len(out) == len(names) else None

    all_edges, ctx_edges = [], []
    for t, tab in spec["tables"].items():
        for fk in tab.get("foreign_keys", []):
            if fk["references"] != t:
                all_edges.append((fk["references"], t))
                if fk["context"]:
                    ctx_edges.append((fk["references"], t))
    return topo(all_edges) or topo(ctx_edges)


def _validators():
    import jsonschema

    load = lambda n: json.loads((SCHEMAS / n).read_text("utf-8"))  # noqa: E731
    return {
        "generator": jsonschema.Draft202012Validator(load("generator-config-strict.json")),
        "generate": jsonschema.Draft202012Validator(load("synthetic-dataset-config.json")),
        "manifest": jsonschema.Draft7Validator(load("manifest-v1.json")),
    }


_VALIDATORS: dict = {}


def _check_artifacts(files: dict[str, bytes]) -> None:
    from mostlyai.sdk.domain import GeneratorConfig, SyntheticDatasetConfig

    if not _VALIDATORS:
        _VALIDATORS.update(_validators())
    gen, gset, man = (_j(files[n]) for n in ARTIFACTS)
    for name, doc in (("generator", gen), ("generate", gset), ("manifest", man)):
        errs = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in _VALIDATORS[name].iter_errors(doc)]
        assert not errs, (name, errs[:5])
    strip = lambda d: {k: v for k, v in d.items() if k != "$schema"}  # noqa: E731
    GeneratorConfig.model_validate(strip(gen))
    SyntheticDatasetConfig.model_validate(strip(gset))


# ------------------------------------------------------------------------------------------
# properties
# ------------------------------------------------------------------------------------------

@FAST
@given(spec=valid_specs(), flow=st.booleans(), quote=st.sampled_from(["safe", "minimal"]))
def test_valid_specs_compile_cleanly_and_follow_the_documented_semantics(spec, flow, quote):
    with tempfile.TemporaryDirectory() as tmp:
        res = _compile_text(to_yaml(spec, flow=flow, quote=quote), Path(tmp))
        files = _ok(res, spec)
        for profile in spec.get("profiles", {}):
            _ok(_compile_text(to_yaml(spec), Path(tmp) / "p", profile=profile), spec)

    gen, gset, man = (_j(files[n]) for n in ARTIFACTS)
    roles = expected_roles(spec)
    assert res.roles == roles
    order = [t["name"] for t in gen["tables"]]
    assert order == _expected_order(spec)
    assert [t["name"] for t in gset["tables"]] == order == [t["name"] for t in man["tables"]]
    for t in gen["tables"]:
        name, tab = t["name"], spec["tables"][t["name"]]
        names = [c["name"] for c in t["columns"]]
        assert len(names) == len(set(names)), names
        assert [n if want is not None else None for n, want in zip(names, model_columns(spec, name))] == \
            model_columns(spec, name)
        cols = tab.get("columns", {})
        for c in t["columns"]:  # keys are AUTO (never modelled); modelled columns carry their explicit encoding
            want = canonical_encoding(cols[c["name"]]) if c["name"] in cols else "AUTO"
            assert c["model_encoding_type"] == want, (name, c)
        fks = tab.get("foreign_keys", [])
        assert [fk["is_context"] for fk in t.get("foreign_keys", [])] == [fk["context"] for fk in fks]
        assert [fk["referenced_table"] for fk in t.get("foreign_keys", [])] == [fk["references"] for fk in fks]
    sizes = (spec.get("generation") or {}).get("size") or {}
    for t in gset["tables"]:
        assert t["configuration"].get("sample_size") == sizes.get(t["name"])
        if "sample_size" in t["configuration"]:
            assert "subject" in roles[t["name"]]


@FAST
@given(spec=valid_specs(), flow=st.booleans(), quote=st.sampled_from(["safe", "minimal"]),
       seed=st.none() | st.integers(0, 2**32))
def test_yaml_rendering_reads_back_as_the_same_data(spec, flow, quote, seed):
    from compiler.load import load_text

    text = to_yaml(spec, flow=flow, quote=quote, key_order_seed=seed)
    doc, diags = load_text(text)
    assert doc is not None and not diags, (diags, text)
    assert doc.data == json.loads(json.dumps(spec))  # dict equality ignores key order
    assert list(doc.data) == list(spec) or seed is not None
    for t, tab in spec["tables"].items():  # authored column order survives any shuffle
        assert list(doc.data["tables"][t].get("columns", {})) == list(tab.get("columns", {}))


def test_minimal_quoting_leaves_yaml11_booleans_plain_and_the_loader_reads_yaml12():
    from compiler.load import load_text

    spec = {"spec_version": 1, "name": "x", "tables": {n: {"primary_key": n} for n in ("on", "no", "yes", "y", "off")}}
    minimal, safe = to_yaml(spec, quote="minimal"), to_yaml(spec)
    assert "\n  on:\n    primary_key: on\n" in minimal and '\n  "on":\n    primary_key: "on"\n' in safe
    for text in (minimal, safe):
        doc, diags = load_text(text)
        assert not diags and doc.data == spec


@MEDIUM
@given(spec=valid_specs())
def test_compiling_twice_gives_identical_bytes(spec):
    text = to_yaml(spec)
    with tempfile.TemporaryDirectory() as tmp:
        first = _ok(_compile_text(text, Path(tmp)), spec)
        second = _ok(_compile_text(text, Path(tmp)), spec)
    assert first == second
    for name, data in first.items():
        assert data.endswith(b"\n") and not data.endswith(b"\n\n"), name


@FAST
@given(spec=valid_specs(), seeds=st.tuples(st.integers(0, 2**32), st.integers(0, 2**32), st.integers(0, 2**32)))
def test_mapping_key_order_does_not_matter(spec, seeds):
    s1, s2, s3 = seeds
    with tempfile.TemporaryDirectory() as tmp:
        base_text = to_yaml(spec)
        base = _ok(_compile_text(base_text, Path(tmp) / "a"), spec)
        # every mapping shuffled except `tables` (and each table's `columns`): byte-identical, except the
        # manifest's hash of the spec text
        kept_text = to_yaml(spec, key_order_seed=s1, shuffle_tables=False, flow=bool(s1 % 2))
        kept = _ok(_compile_text(kept_text, Path(tmp) / "a"), spec)
        assert kept["generator.json"] == base["generator.json"]
        assert kept["generate.json"] == base["generate.json"]
        m_base, m_kept = _j(base["manifest.json"]), _j(kept["manifest.json"])
        assert m_kept["spec"].pop("sha256") == hashlib.sha256(kept_text.encode()).hexdigest()
        m_base["spec"].pop("sha256")
        assert m_kept == m_base
        # `tables` shuffled too: equal once table lists are compared by name
        t2, t3 = to_yaml(spec, key_order_seed=s2), to_yaml(spec, key_order_seed=s3, quote="minimal")
        for text in (t2, t3):
            files = _ok(_compile_text(text, Path(tmp) / "a"), spec)
            assert _normalise(files) == _normalise(base)
            # and the new order is the documented one for the new authored order
            shuffled = {k: spec["tables"][k] for k in _table_order_in(text, spec)}
            assert [t["name"] for t in _j(files["generator.json"])["tables"]] == \
                _expected_order({**spec, "tables": shuffled})


def _table_order_in(text: str, spec: dict) -> list[str]:
    from compiler.load import load_text

    doc, _ = load_text(text)
    return list(doc.data["tables"])


@MEDIUM
@given(spec=valid_specs())
def test_location_of_the_spec_only_shows_in_manifest_paths(spec):
    text = to_yaml(spec)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        a = _ok(_compile_text(text, tmp / "one"), spec)
        b = _ok(_compile_text(text, tmp / "two" / "deeper" / "àç dir", name="other.yaml"), spec)
        assert a["generator.json"] == b["generator.json"]
        assert a["generate.json"] == b["generate.json"]
        # same layout relative to the spec: the manifest is identical too (paths are relative)
        b2 = _compile_text(text, tmp / "two" / "deeper" / "àç dir")
        assert _ok(b2, spec)["manifest.json"] == a["manifest.json"]
        # a different layout (one shared output folder): only path fields differ
        shared = tmp / "shared-out"
        res1 = compile_spec(tmp / "one" / "spec.yaml", use_data=False, out_dir=shared, project_root=tmp / "one")
        res2 = compile_spec(tmp / "two" / "deeper" / "àç dir" / "other.yaml", use_data=False, out_dir=shared,
                            project_root=tmp / "two" / "deeper" / "àç dir")
        f1, f2 = _ok(res1, spec), _ok(res2, spec)
    assert f1["generator.json"] == f2["generator.json"] and f1["generate.json"] == f2["generate.json"]
    diffs = set(_diff_paths(_j(f1["manifest.json"]), _j(f2["manifest.json"])))
    allowed = {("spec", "path"), ("output", "path"), ("engine", "local_dir")}
    allowed |= {("tables", i, "source", "path") for i in range(len(spec["tables"]))}
    assert diffs <= allowed, diffs - allowed
    assert ("spec", "path") in diffs and ("output", "path") in diffs


def _diff_paths(a, b, path=()):
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        for k in a:
            yield from _diff_paths(a[k], b[k], path + (k,))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            yield from _diff_paths(x, y, path + (i,))
    elif a != b or type(a) is not type(b):
        yield path


@MEDIUM
@given(spec=valid_specs())
def test_artifacts_pass_the_sdk_models_and_the_strict_schemas(spec):
    with tempfile.TemporaryDirectory() as tmp:
        _check_artifacts(_ok(_compile_text(to_yaml(spec), Path(tmp)), spec))
        for profile in spec.get("profiles", {}):
            _check_artifacts(_ok(_compile_text(to_yaml(spec), Path(tmp), profile=profile), spec))


def test_tsocial_artifacts_pass_the_sdk_models_and_the_strict_schemas():
    for profile in (None, "demo", "ci"):
        res = compile_spec(TSOCIAL, profile=profile, use_data=False, out_dir=REPO / "build" / "tsocial")
        _check_artifacts(_ok(res))


# ------------------------------------------------------------------------------------------
# PYTHONHASHSEED: the real CLI in subprocesses
# ------------------------------------------------------------------------------------------

def _cli_compile(spec: Path, out: Path, hashseed: str) -> dict[str, bytes]:
    env = {**os.environ, "PYTHONHASHSEED": hashseed}
    proc = subprocess.run([sys.executable, "-m", "compiler.cli", "compile", str(spec), "-o", str(out),
                           "--no-data", "--color", "never"],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return {n: (out / n).read_bytes() for n in ARTIFACTS}


def _same_across_hashseeds(spec: Path, tmp: Path) -> None:
    a = _cli_compile(spec, tmp / "seed0", "0")
    b = _cli_compile(spec, tmp / "seed12345", "12345")
    # -o differs, but both folders are siblings: relative paths in the manifest are the same
    assert a == b


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=valid_specs(max_tables=8).filter(lambda s: len(s["tables"]) >= 3))
def test_generated_specs_are_byte_identical_across_hash_seeds(spec):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "spec.yaml").write_text(to_yaml(spec), encoding="utf-8")
        (tmp / "pyproject.toml").write_text("", encoding="utf-8")  # pin the project root
        _same_across_hashseeds(tmp / "spec.yaml", tmp)


def test_tsocial_is_byte_identical_across_hash_seeds(tmp_path):
    _same_across_hashseeds(TSOCIAL, tmp_path)


# ------------------------------------------------------------------------------------------
# regressions: bugs the properties found (fixed in 0bb1557, 49464cd); open ones are strict xfails
# ------------------------------------------------------------------------------------------

def _compile_dict(d: dict, tmp: Path, profile=None):
    return _compile_text(to_yaml(d), tmp, profile=profile)


def test_two_composite_fks_to_one_parent_get_distinct_model_columns(tmp_path):
    # was: both FKs got the parent's surrogate name; compile ok, GeneratorConfig rejected duplicate columns
    spec = {"spec_version": 1, "name": "x", "tables": {
        "acct": {"primary_key": ["bank", "num"], "columns": {"bal": "numeric"}},
        "xfer": {"primary_key": "id", "columns": {"amt": "numeric"}, "foreign_keys": [
            {"columns": ["fb", "fn"], "references": "acct", "context": True},
            {"columns": ["tb", "tn"], "references": "acct", "context": False}]}}}
    res = _compile_dict(spec, tmp_path)
    files = _ok(res)
    _check_artifacts(files)
    xfer = _by_name(res.generator["tables"])["xfer"]
    fk_cols = [fk["column"] for fk in xfer["foreign_keys"]]
    assert len(set(fk_cols)) == 2
    transforms = [t["column"] for t in res.manifest["transforms"] if t["table"] == "xfer"]
    assert sorted(transforms) == sorted(fk_cols)


def test_surrogate_key_colliding_with_a_foreign_key_column_is_reported(tmp_path):
    # was: not reported (M005 only checked `columns:` and PK components); generator.json had `c` twice
    spec = {"spec_version": 1, "name": "x", "tables": {
        "b": {"primary_key": "id"},
        "a": {"primary_key": ["p", "q"], "surrogate_key": "c", "columns": {"bal": "numeric"},
              "foreign_keys": [{"columns": "c", "references": "b", "context": False}]}}}
    res = _compile_dict(spec, tmp_path)
    assert not res.ok and "M005" in [d.code for d in res.diagnostics]


def test_profile_overlay_for_an_unknown_table_is_an_error(tmp_path):
    # was: profiles.<p>.tables naming an unknown table silently added a new, empty table
    spec = {"spec_version": 1, "name": "x", "tables": {"a": {"primary_key": "id", "columns": {"v": "numeric"}}},
            "profiles": {"ci": {"tables": {"aa": {"training": {"model": "small"}}}}}}
    res = _compile_dict(spec, tmp_path, profile="ci")
    assert not res.ok and "M012" in [d.code for d in res.diagnostics]


def test_compile_spec_accepts_any_valid_dict():
    # was: compile_spec(dict) re-parsed json.dumps(ensure_ascii=False) as YAML: DEL, U+FFFE ... gave Y001
    spec = {"spec_version": 1, "name": "x", "description": "DEL:\x7f NONCHAR:\ufffe NEL:\x85",
            "tables": {"a": {"primary_key": "id", "columns": {"v": "numeric"}}}}
    res = compile_spec(copy.deepcopy(spec), use_data=False)
    assert res.ok, _errors(res)


@MEDIUM
@given(spec=valid_specs())
def test_a_dict_and_its_yaml_compile_to_the_same_configs(spec):
    with tempfile.TemporaryDirectory() as tmp:
        from_yaml = _ok(_compile_text(to_yaml(spec), Path(tmp)), spec)
    from_dict = _ok(compile_spec(copy.deepcopy(spec), use_data=False, out_dir=Path(tmp) / "build"), spec)
    assert from_dict["generator.json"] == from_yaml["generator.json"]
    assert from_dict["generate.json"] == from_yaml["generate.json"]


def test_context_parent_precedes_child_when_non_context_fks_form_a_cycle(tmp_path):
    # was (fixed in 49464cd): one `context` attribute per parent/child pair in an nx.DiGraph, so a
    # non-context FK to the same parent overwrote the context edge; with a non-context FK cycle (the
    # fallback to context edges only) a linked table came before its context parent
    spec = {"spec_version": 1, "name": "x", "tables": {
        "c": {"primary_key": "id", "foreign_keys": [
            {"columns": "p1", "references": "p", "context": True},
            {"columns": "p2", "references": "p", "context": False},
            {"columns": "d1", "references": "d", "context": False}]},
        "d": {"primary_key": "id", "foreign_keys": [{"columns": "c1", "references": "c", "context": True}]},
        "p": {"primary_key": "id"}}}
    res = _compile_dict(spec, tmp_path)
    order = [t["name"] for t in _ok(res) and res.generator["tables"]]
    assert order.index("p") < order.index("c") < order.index("d"), order


def test_infinite_training_budget_is_a_diagnostic_not_a_crash(tmp_path):
    text = "spec_version: 1\nname: x\ntraining: {max_epochs: .inf}\ntables:\n  a: {primary_key: id}\n"
    res = _compile_text(text, tmp_path)
    if res.ok:
        res.files()  # must not raise
    else:
        assert {d.code for d in res.diagnostics} & {"S004", "M009"}
