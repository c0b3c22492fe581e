"""Docs are part of the feature: every shown example runs here."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from compiler.api import compile_spec

ROOT = Path(__file__).resolve().parents[2]
# pages whose yaml examples are complete, valid specs (output-formats.md shows invalid ones on purpose
# and is checked by tests/unit/test_render.py)
DOCS = [ROOT / "README.md", *(ROOT / "docs" / n for n in ("getting-started.md", "spec-reference.md", "guide.md"))]
DOCS = [p for p in DOCS if p.exists()]
BLOCK = re.compile(r"```(\w+)[^\n]*\n(.*?)```", re.S)


def blocks(path, lang):
    return [b for lng, b in BLOCK.findall(path.read_text("utf-8")) if lng == lang]


SPEC_BLOCKS = [(p, i, b) for p in DOCS for i, b in enumerate(blocks(p, "yaml")) if b.startswith("spec_version:")]


@pytest.mark.parametrize("path,i,text", SPEC_BLOCKS, ids=[f"{p.name}#{i}" for p, i, _ in SPEC_BLOCKS])
def test_spec_examples_compile(tmp_path, path, i, text):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    res = compile_spec(spec, out_dir=tmp_path / "b", use_data=False)
    assert res.ok, [f"{d.code} {d.span} {d.message}" for d in res.diagnostics]


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_getting_started_walkthrough(tmp_path):
    doc = ROOT / "docs" / "getting-started.md"
    spec_text = next(b for b in blocks(doc, "yaml") if b.startswith("spec_version:"))
    profile = next(b for b in blocks(doc, "yaml") if b.startswith("profiles:"))
    (tmp_path / "clinic.yaml").write_text(spec_text + profile)
    consoles = blocks(doc, "console")
    # "$ synthspec compile clinic.yaml" and its output
    shown = next(c for c in consoles if c.startswith("$ synthspec compile clinic.yaml"))
    r = _cli("compile", "clinic.yaml", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == shown.split("\n", 1)[1]
    # the G006 example: the same spec with a self-referencing context FK added
    shown = next(c for c in consoles if c.startswith("$ synthspec validate clinic.yaml"))
    bad = spec_text.replace(
        "      - {columns: patient_id, references: patient, context: true}   # visits are a sequence per patient\n",
        "      - {columns: patient_id, references: patient, context: true}   # visits are a sequence per patient\n"
        "      - {columns: previous_visit, references: visit, context: true}\n")
    (tmp_path / "clinic.yaml").write_text(bad)
    r = _cli("validate", "clinic.yaml", cwd=tmp_path)
    assert r.returncode == 1
    out_lines = shown.split("\n", 1)[1].rstrip("\n").splitlines()
    assert r.stderr.splitlines()[: len(out_lines)] == out_lines
    assert _cli("compile", "clinic.yaml", "--profile", "ci", "-o", "build/clinic-ci", cwd=tmp_path).returncode == 1


def test_readme_examples(tmp_path):
    readme = ROOT / "README.md"
    consoles = blocks(readme, "console")
    shown = next(c for c in consoles if c.startswith("$ synthspec validate broken.yaml"))
    (tmp_path / "broken.yaml").write_text(
        "spec_version: 1\nname: broken\ntables:\n  a:\n    primary_key: id\n    foreign_keys:\n"
        "      - {columns: x, references: b, context: true}\n")
    r = _cli("validate", "broken.yaml", cwd=tmp_path)
    expected = shown.split("\n", 1)[1].rstrip("\n").splitlines()
    assert r.stderr.splitlines()[: len(expected)] == expected
    shown = next(c for c in consoles if c.startswith("$ synthspec compile templates/tsocial/spec.yaml"))
    r = _cli("compile", str(ROOT / "templates/tsocial/spec.yaml"), "--profile", "demo", "--no-data",
             "-o", "build/tsocial", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr.strip() == shown.split("\n", 1)[1].strip()
    py = next(b for b in blocks(readme, "python"))
    code = py.replace('"templates/tsocial/spec.yaml"', repr(str(ROOT / "templates/tsocial/spec.yaml")))
    code = code.replace('compile_spec(', 'compile_spec(use_data=False, out_dir="build/tsocial", path_or_spec=', 1)
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "build" / "tsocial" / "generator.json").exists()
