"""The real CLI as a subprocess: exit codes, formats, --check, graph, explain, init."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TSOCIAL = ROOT / "templates" / "tsocial" / "spec.yaml"


def cli(*args, cwd=None, env=None):
    e = dict(os.environ, **(env or {}))
    e.pop("SYNTHSPEC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "compiler.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd or ROOT, env=e, timeout=120)


BAD = "spec_version: 1\nname: bad\ntables:\n  a:\n    primary_key: id\n    foreign_keys:\n      - {columns: x, references: b, context: true}\n"
WARN = "spec_version: 1\nname: warn\ntables:\n  a: {primary_key: id, columns: {id: categorical, v: numeric}}\n"


def test_compile_clean_then_check(tmp_path):
    r = cli("compile", TSOCIAL, "-o", tmp_path, "--no-data")
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["generate.json", "generator.json", "manifest.json"]
    assert cli("compile", TSOCIAL, "-o", tmp_path, "--check", "--no-data").returncode == 0
    (tmp_path / "generator.json").write_text("{}\n")
    r = cli("compile", TSOCIAL, "-o", tmp_path, "--check", "--no-data")
    assert r.returncode == 1 and "E002" in r.stderr and "generator.json" in r.stderr
    assert (tmp_path / "generator.json").read_text() == "{}\n"  # --check never writes


def test_errors_exit_1_with_location_and_caret(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(BAD)
    r = cli("validate", spec)
    assert r.returncode == 1
    assert f"{spec}:7:34: error[G001]" in r.stderr
    assert "^" in r.stderr and "Traceback" not in r.stderr


def test_fail_on_controls_exit_code_for_warnings(tmp_path):
    spec = tmp_path / "w.yaml"
    spec.write_text(WARN)
    assert cli("validate", spec).returncode == 0
    assert cli("validate", spec, "--fail-on", "warning").returncode == 1


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_machine_formats_on_stdout(tmp_path, fmt):
    spec = tmp_path / "bad.yaml"
    spec.write_text(BAD)
    r = cli("validate", spec, "--format", fmt)
    assert r.returncode == 1
    doc = json.loads(r.stdout)
    text = json.dumps(doc)
    assert "G001" in text


def test_github_format_writes_step_summary(tmp_path):
    spec = tmp_path / "bad.yaml"
    spec.write_text(BAD)
    summary = tmp_path / "summary.md"
    r = cli("validate", spec, "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert r.returncode == 1 and r.stdout.startswith("::error ")
    assert "G001" in summary.read_text()


def test_graph_mermaid_and_dot():
    r = cli("graph", TSOCIAL)
    assert r.returncode == 0 and r.stdout.startswith("flowchart LR")
    assert "t_pagamentnomina -.->" in r.stdout and "t_actuacionsnomina -->" in r.stdout
    r = cli("graph", TSOCIAL, "--format", "dot")
    assert r.returncode == 0 and r.stdout.startswith('digraph "tsocial"') and "style=dashed" in r.stdout


def test_explain():
    r = cli("explain", "g005")
    assert r.returncode == 0 and "G005" in r.stdout
    assert cli("explain", "Z999").returncode == 2
    r = cli("explain", "--list")
    assert r.returncode == 0 and "Y001" in r.stdout and "X001" in r.stdout


def test_init_creates_a_compiling_project_and_never_overwrites(tmp_path):
    dest = tmp_path / "proj"
    r = cli("init", dest, "--no-data")
    assert r.returncode == 0, r.stderr
    first = (dest / "spec.yaml").read_text()
    assert first.startswith("# yaml-language-server: $schema=")
    schema_ref = first.splitlines()[0].split("$schema=")[1]
    assert (dest / schema_ref).resolve() == (ROOT / "schemas" / "spec-v1.json").resolve()
    assert cli("compile", dest / "spec.yaml", "-o", tmp_path / "b", "--no-data").returncode == 0
    (dest / "spec.yaml").write_text(first + "# my edit\n")
    r = cli("init", dest, "--no-data")
    assert r.returncode == 2 and "never overwrites" in r.stderr
    assert (dest / "spec.yaml").read_text().endswith("# my edit\n")


def test_usage_errors_exit_2():
    assert cli("compile").returncode == 2
    assert cli("frobnicate").returncode == 2
    r = cli("compile", TSOCIAL, TSOCIAL, "-o", "x")
    assert r.returncode == 2 and "X002" in r.stderr


def test_internal_error_is_reported_without_traceback(tmp_path):
    r = cli("validate", TSOCIAL, env={"SYNTHSPEC_TEST_FAULT": "validate"})
    assert r.returncode == 2
    assert "X001" in r.stderr and "Traceback" not in r.stderr


def test_missing_spec_file_is_a_finding_not_a_crash(tmp_path):
    r = cli("validate", tmp_path / "nope.yaml")
    assert r.returncode == 1 and "Y003" in r.stderr
