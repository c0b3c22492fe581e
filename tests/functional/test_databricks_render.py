"""``synthspec render databricks``: the bundle rendered for the tSocial manifest is complete and consistent.

The Databricks CLI is not available here, so the bundle is validated structurally: the YAML parses,
every path it references (notebook, wheel, manifest) exists in the rendered folder, the manifest is
valid against ``schemas/manifest-v1.json`` and loads with the runner's own checks, the tables the job
names are the manifest's, the volume paths agree, and no secret or unfilled placeholder is left.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "templates" / "databricks" / "spec.yaml"


def _cli(*args, cwd, env=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("SYNTHSPEC_")}
    e.update(env or {}, PYTHONPATH=str(ROOT), NO_COLOR="1")
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=cwd, env=e, capture_output=True,
                          text=True, timeout=120)


def _validate_bundle(bundle: Path) -> dict:
    doc = yaml.safe_load((bundle / "databricks.yml").read_text())
    assert re.fullmatch(r"[a-z0-9-]+", doc["bundle"]["name"])
    manifest = json.loads((bundle / "artifacts" / "manifest.json").read_text())
    schema = json.loads((ROOT / "schemas" / "manifest-v1.json").read_text())
    jsonschema.validate(manifest, schema)
    jobs = doc["resources"]["jobs"]
    assert len(jobs) == 1
    job = next(iter(jobs.values()))
    keys = {c["job_cluster_key"] for c in job["job_clusters"]}
    for c in job["job_clusters"]:
        nc = c["new_cluster"]
        assert nc["spark_version"] and nc["node_type_id"] and isinstance(nc["num_workers"], int)
        assert nc["data_security_mode"] == "SINGLE_USER"  # Unity Catalog access from a single-user cluster
    for task in job["tasks"]:
        assert task["job_cluster_key"] in keys
        nb = task["notebook_task"]
        path = bundle / nb["notebook_path"]
        assert path.is_file(), nb["notebook_path"]
        text = path.read_text()
        assert text.startswith("# Databricks notebook source\n") and "# COMMAND ----------" in text
        compile(text, str(path), "exec")  # the cells are valid Python
        assert "{{" not in text
        params = nb["base_parameters"]
        prefix = "${workspace.file_path}/"
        assert params["manifest"].startswith(prefix)
        assert (bundle / params["manifest"][len(prefix):]).is_file()
        for lib in task["libraries"]:
            if "whl" in lib:
                assert (bundle / lib["whl"]).is_file(), lib["whl"]
            else:
                assert re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[0-9.]+", lib["pypi"]["package"])
        # the tables the job reads and writes are the manifest's, as fully qualified names
        srcs = [t["source"]["table"] for t in manifest["tables"]]
        assert params["source_tables"].split(",") == srcs
        assert all(re.fullmatch(r"\w+\.\w+\.\w+", s) for s in srcs)
        if manifest["output"]["kind"] == "spark":
            outs = params["output_tables"].split(",")
            assert outs == [manifest["output"]["table_name"].replace("{table}", t["name"]) for t in manifest["tables"]]
            assert all(re.fullmatch(r"\w+\.\w+\.\w+_\{version\}", o) for o in outs)
        # run records and generator ZIPs go to the same Unity Catalog volume
        vol = params["volume_root"]
        assert re.fullmatch(r"/Volumes/\w+/\w+/\w+/\w+", vol)
        assert manifest["output"]["path"] == f"{vol}/runs/{{version}}"
    for art in manifest["artifacts"].values():
        assert (bundle / "artifacts" / art).is_file()
    from compiler.run import load_manifest

    load_manifest(bundle / "artifacts" / "manifest.json")  # the runner's own shape checks (R001)
    assert re.search(r"\{\{\w+\}\}", (bundle / "databricks.yml").read_text()) is None  # every placeholder filled
    return doc


def test_render_tsocial_bundle(tmp_path):
    wheel = tmp_path / "synthspec-0.1.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    r = _cli("compile", str(SPEC), "--no-data", "-o", "build", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _cli("render", "databricks", "build/manifest.json", "-o", "bundle", "--wheel", str(wheel),
             "--catalog", "main", "--schema", "tsocial_synth", "--volume", "runs", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    doc = _validate_bundle(tmp_path / "bundle")
    job = doc["resources"]["jobs"]["synthspec_tsocial"]
    params = job["tasks"][0]["notebook_task"]["base_parameters"]
    assert params["source_tables"] == "main.tsocial.titular,main.tsocial.actuacionsnomina,main.tsocial.pagamentnomina"
    assert params["volume_root"] == "/Volumes/main/tsocial_synth/runs/tsocial"
    assert {"whl": "./dist/synthspec-0.1.0-py3-none-any.whl"} in job["tasks"][0]["libraries"]
    # rendering is deterministic
    first = {p.relative_to(tmp_path / "bundle"): p.read_bytes() for p in (tmp_path / "bundle").rglob("*") if p.is_file()}
    r = _cli("render", "databricks", "build/manifest.json", "-o", "bundle2", "--wheel", str(wheel),
             "--catalog", "main", "--schema", "tsocial_synth", "--volume", "runs", cwd=tmp_path)
    second = {p.relative_to(tmp_path / "bundle2"): p.read_bytes() for p in (tmp_path / "bundle2").rglob("*")
              if p.is_file()}
    assert first == second


def test_render_from_spec_with_platform_engine_keeps_secrets_out(tmp_path):
    spec = SPEC.read_text().replace(
        "generation:", "engine: {kind: platform, base_url: 'https://mostly.example.org', "
                       "api_key: '${env:MOSTLY_API_KEY}'}\n\ngeneration:", 1)
    (tmp_path / "spec.yaml").write_text(spec)
    secret = "sk-render-test-0123456789"
    r = _cli("render", "databricks", "spec.yaml", "--no-data", "-o", "bundle", cwd=tmp_path,
             env={"MOSTLY_API_KEY": secret})
    assert r.returncode == 0, r.stderr
    doc = _validate_bundle(tmp_path / "bundle")
    cluster = doc["resources"]["jobs"]["synthspec_tsocial"]["job_clusters"][0]["new_cluster"]
    assert cluster["spark_env_vars"] == {"MOSTLY_API_KEY": "{{secrets/synthspec/mostly_api_key}}"}
    manifest = json.loads((tmp_path / "bundle" / "artifacts" / "manifest.json").read_text())
    assert manifest["engine"] == {"kind": "platform", "local_dir": "/local_disk0/synthspec/mostlyai",
                                  "base_url": "https://mostly.example.org", "api_key_env": "MOSTLY_API_KEY",
                                  "api_key_header": "X-MOSTLY-API-KEY"}
    for p in tmp_path.rglob("*"):
        if p.is_file():
            assert secret.encode() not in p.read_bytes(), p


def test_render_refuses_local_file_sources(tmp_path):
    r = _cli("compile", str(ROOT / "templates" / "tsocial" / "spec.yaml"), "--no-data", "-o", "build", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    r = _cli("render", "databricks", "build/manifest.json", "-o", "bundle", cwd=tmp_path)
    assert r.returncode == 1
    assert r.stderr.count("E040") == 3 and not (tmp_path / "bundle").exists()


@pytest.mark.parametrize("bad", ["main;drop", "a b"])
def test_render_rejects_bad_identifiers(tmp_path, bad):
    r = _cli("compile", str(SPEC), "--no-data", "-o", "build", cwd=tmp_path)
    assert r.returncode == 0
    r = _cli("render", "databricks", "build/manifest.json", "--catalog", bad, cwd=tmp_path)
    assert r.returncode == 2 and "X002" in r.stderr
