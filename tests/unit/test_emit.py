"""Stage 7: artifacts are valid for the SDK and the strict schemas, deterministic, written atomically."""

import json
import os
from pathlib import Path

import jsonschema
import pytest

from compiler.api import compile_spec
from compiler.files import write_atomic

ROOT = Path(__file__).resolve().parents[2]
TSOCIAL = ROOT / "templates" / "tsocial" / "spec.yaml"
GOLDEN = sorted(p / "spec.yaml" for p in (ROOT / "tests" / "golden").iterdir() if (p / "spec.yaml").exists())


def schema(name):
    return json.loads((ROOT / "schemas" / name).read_text())


@pytest.mark.parametrize("spec", [TSOCIAL, *GOLDEN], ids=lambda p: p.parent.name)
@pytest.mark.parametrize("profile", [None, "ci"])
def test_artifacts_pass_sdk_models_and_strict_schemas(spec, profile, tmp_path):
    res = compile_spec(spec, profile=profile if spec == TSOCIAL else None, out_dir=tmp_path, use_data=False)
    if not res.ok:
        assert any(d.severity == 3 for d in res.diagnostics)
        return
    from mostlyai.sdk.domain import GeneratorConfig, SyntheticDatasetConfig

    assert isinstance(res.generator_config, GeneratorConfig)
    assert isinstance(res.dataset_config, SyntheticDatasetConfig)
    jsonschema.Draft202012Validator(schema("generator-config-strict.json")).validate(res.generator)
    jsonschema.Draft202012Validator(schema("synthetic-dataset-config.json")).validate(res.generate)
    jsonschema.Draft7Validator(schema("manifest-v1.json")).validate(res.manifest)
    for t in res.generator["tables"]:
        keys = {t.get("primary_key")} | {fk["column"] for fk in t.get("foreign_keys", [])}
        for c in t["columns"]:
            assert c["model_encoding_type"] != "AUTO" or c["name"] in keys, c
        for fk in t.get("foreign_keys", []):
            assert isinstance(fk["is_context"], bool)


def test_strict_schema_rejects_typos_and_camelcase():
    v = jsonschema.Draft202012Validator(schema("generator-config-strict.json"))
    good = {"name": "x", "tables": [{"name": "t", "primary_key": "id", "columns": [{"name": "id"}]}]}
    assert not list(v.iter_errors(good))
    assert list(v.iter_errors({"tables": [{"name": "t", "primary_kee": "id"}]}))
    assert list(v.iter_errors({"tables": [{"name": "t", "primaryKey": "id"}]}))
    assert list(v.iter_errors({"tables": [{"name": "t", "columns": [{"name": "a", "model_encoding_type": "CATEGORICAL"}]}]}))


def test_schemas_are_current():
    from compiler.schemagen import main

    assert main(["--check"]) == 0, "schemas/ is stale: run python -m compiler.schemagen"


def test_only_subject_tables_get_sizes(tmp_path):
    res = compile_spec(TSOCIAL, profile="ci", out_dir=tmp_path, use_data=False)
    confs = {t["name"]: t["configuration"] for t in res.generate["tables"]}
    assert confs["titular"]["sample_size"] == 100
    assert "sample_size" not in confs["actuacionsnomina"] and "sample_size" not in confs["pagamentnomina"]


def test_write_is_atomic_idempotent_and_check_detects_drift(tmp_path):
    res = compile_spec(TSOCIAL, out_dir=tmp_path / "b", use_data=False)
    assert len(res.write()) == 3
    mtimes = {p: p.stat().st_mtime_ns for p in (tmp_path / "b").iterdir()}
    assert res.write() == []  # unchanged bytes are not rewritten
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "b").iterdir()} == mtimes
    assert res.check() == []
    (tmp_path / "b" / "generate.json").write_text("{}")
    (tmp_path / "b" / "manifest.json").unlink()
    stale = res.check()
    assert [d.code for d in stale] == ["E002", "E002"]
    assert not [p for p in (tmp_path / "b").iterdir() if p.name.endswith(".tmp")]


def test_write_atomic_keeps_old_file_when_writing_fails(tmp_path, monkeypatch):
    p = tmp_path / "a.json"
    p.write_bytes(b"old")

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        write_atomic(p, b"new")
    assert p.read_bytes() == b"old"
    assert [x.name for x in tmp_path.iterdir()] == ["a.json"]


def test_manifest_records_spec_hash_versions_and_relative_paths(tmp_path):
    res = compile_spec(TSOCIAL, profile="demo", out_dir=tmp_path / "b", use_data=False)
    m = res.manifest
    import hashlib

    assert m["spec"]["sha256"] == hashlib.sha256(TSOCIAL.read_bytes()).hexdigest()
    assert m["spec"]["profile"] == "demo"
    assert (tmp_path / "b" / m["spec"]["path"]).resolve() == TSOCIAL.resolve()
    assert m["tables"][0]["source"]["path"].endswith("templates/tsocial/data/titular.parquet")
    assert [t["name"] for t in m["tables"]] == ["titular", "actuacionsnomina", "pagamentnomina"]
