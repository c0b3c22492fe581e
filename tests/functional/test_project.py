"""Projects (``synthspec.yaml``) and the compile cache.

The cache must be fast and never stale. Both directions are proven here: with nothing changed every
spec is a hit and the bytes equal a compile without the cache; each kind of change — a spec's bytes,
the defaults, the output root, the profile, the synthspec version or source, the SDK version, a
bound data file, the previous manifest that drift reads — misses for exactly the specs it affects,
and what is then served equals a cold compile.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from compiler import project as P
from compiler.project import compile_project, load_project, merge_defaults

ROOT = Path(__file__).resolve().parents[2]

SPEC = """\
spec_version: 1
name: {name}
tables:
  customers:
    primary_key: id
    columns:
      age: numeric
      region: categorical
  orders:
    primary_key: order_id
    foreign_keys:
      - {{columns: customer_id, references: customers, context: true}}
    columns:
      amount: numeric
generation:
  size: {{customers: 10}}
profiles:
  ci: {{training: {{model: small}}}}
"""

DATA_SPEC = """\
spec_version: 1
name: withdata
sources:
  files: {kind: files, path: ../data}
tables:
  people:
    source: files/people.csv
    primary_key: id
    columns:
      age: numeric
      city: categorical
"""


@pytest.fixture
def proj(tmp_path, monkeypatch) -> Path:
    (tmp_path / "specs").mkdir()
    for n in ("alpha", "beta", "gamma"):
        (tmp_path / "specs" / f"{n}.yaml").write_text(SPEC.format(name=n))
    (tmp_path / "synthspec.yaml").write_text('specs: ["specs/*.yaml"]\ndefaults:\n  training: {max_epochs: 3}\n')
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(**kw):
    return compile_project(None, use_data=kw.pop("use_data", False), **kw)


def outputs(res) -> dict:
    return {o.name: (o.files, [(d.code, d.message, str(d.span)) for d in o.diagnostics]) for o in res.specs}


def hits(res) -> dict:
    return {o.name: o.cached for o in res.specs}


def fresh(**kw) -> dict:
    return outputs(run(cache=False, mode="validate", **kw))


# --- the project file -----------------------------------------------------------------------------

def test_merge_defaults_is_recursive_and_the_spec_wins():
    d = {"training": {"model": "small", "max_epochs": 3}, "output": {"kind": "csv"}, "sources": {"a": {"kind": "files"}}}
    s = {"training": {"model": "large"}, "output": "x", "sources": {"b": {"kind": "sqlite"}}}
    assert merge_defaults(d, s) == {"training": {"model": "large", "max_epochs": 3}, "output": "x",
                                    "sources": {"a": {"kind": "files"}, "b": {"kind": "sqlite"}}}
    assert merge_defaults({"x": [1, 2]}, {"x": [3]}) == {"x": [3]}  # lists are replaced, not concatenated


def test_defaults_apply_under_each_spec(proj):
    (proj / "specs" / "beta.yaml").write_text(SPEC.format(name="beta").replace(
        "tables:", "training: {max_epochs: 9}\ntables:", 1))
    res = run()
    assert res.ok, res.diagnostics
    gen = {o.name: json.loads(o.files["generator.json"]) for o in res.specs}
    epochs = {n: {t["tabular_model_configuration"]["max_epochs"] for t in g["tables"]} for n, g in gen.items()}
    assert epochs == {"alpha": {3.0}, "beta": {9.0}, "gamma": {3.0}}
    assert (proj / "build" / "alpha" / "generator.json").exists()


def test_globs_skip_the_project_file_output_and_hidden_folders(proj):
    (proj / "synthspec.yaml").write_text('specs: ["**/*.yaml"]\n')
    (proj / "build").mkdir()
    (proj / "build" / "junk.yaml").write_text("x: 1\n")
    (proj / ".hidden").mkdir()
    (proj / ".hidden" / "junk.yaml").write_text("x: 1\n")
    project, diags = load_project(proj)
    assert not diags
    assert [p.name for p in project.specs] == ["alpha.yaml", "beta.yaml", "gamma.yaml"]


def test_select_by_name_path_and_glob(proj):
    assert [o.name for o in run(select_=["beta"]).specs] == ["beta"]
    assert [o.name for o in run(select_=["specs/gamma.yaml"]).specs] == ["gamma"]
    assert [o.name for o in run(select_=["specs/[ab]*.yaml"]).specs] == ["alpha", "beta"]
    res = run(select_=["nope"])
    assert [d.code for d in res.diagnostics] == ["E012"] and not res.specs


def test_duplicate_names_are_an_error(proj):
    (proj / "specs" / "zeta.yaml").write_text(SPEC.format(name="alpha"))
    res = run()
    assert not res.ok
    assert [d.code for d in res.diagnostics if d.code.startswith("E")] == ["E010"]
    assert "both compile into" in next(d.message for d in res.diagnostics if d.code == "E010")


def test_invalid_defaults_are_located_in_the_project_file(proj):
    (proj / "synthspec.yaml").write_text('specs: ["specs/*.yaml"]\ndefaults:\n  training: {top_p: 3}\n')
    res = run()
    assert [(d.code, d.span.file, d.span.line) for d in res.diagnostics] == [("E013", "synthspec.yaml", 3)]
    (proj / "synthspec.yaml").write_text('specs: ["specs/*.yaml"]\ndefaults:\n  generation: {size: {a: 1}}\n')
    assert [d.code for d in run().diagnostics] == ["E013"]


# --- the cache: hits ---------------------------------------------------------------------------

def test_unchanged_project_is_all_hits_with_identical_bytes(proj):
    first = run()
    assert first.ok and first.hits == 0
    built = {p: p.read_bytes() for p in (proj / "build").rglob("*.json")}
    second = run()
    assert hits(second) == {"alpha": True, "beta": True, "gamma": True}
    assert outputs(second) == outputs(first) == fresh()
    assert {p: p.read_bytes() for p in (proj / "build").rglob("*.json")} == built
    assert not any(o.written for o in second.specs)


def test_check_and_validate_use_the_cache(proj):
    run()
    res = run(mode="check")
    assert res.ok and res.hits == 3
    (proj / "build" / "beta" / "generate.json").write_text("{}\n")
    res = run(mode="check")
    assert [(d.code, Path(d.span.file).parent.name) for d in res.diagnostics] == [("E002", "beta")]


def test_a_hit_imports_no_stage(proj):
    run()
    code = ("import sys; from compiler.project import compile_project; r = compile_project(None, use_data=False); "
            "assert r.ok and r.hits == 3, r.diagnostics; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pydantic', 'jsonschema', 'networkx') "
            "or m in ('compiler.model', 'compiler.schema', 'compiler.graph', 'compiler.api')))")
    out = subprocess.run([sys.executable, "-c", code], cwd=proj, capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.stdout.strip() == "[]"


def test_diagnostics_are_served_with_the_current_display_path(proj, monkeypatch):
    (proj / "specs" / "beta.yaml").write_text(SPEC.format(name="beta").replace("age: numeric", "age: numeric\n      ssn: {encoding: categorical, pii: national_id}"))
    first = run()
    assert any(d.code == "L001" and d.span.file == "specs/beta.yaml" for d in first.diagnostics)
    monkeypatch.chdir(proj / "specs")
    second = run()
    assert second.hits == 3
    assert any(d.code == "L001" and d.span.file == "beta.yaml" and d.span.line == 8 for d in second.diagnostics)


def test_corrupt_entries_are_misses(proj):
    run()
    for f in (proj / ".synthspec" / "cache" / "compile").iterdir():
        f.write_text("{not json")
    res = run()
    assert res.hits == 0 and outputs(res) == fresh()
    assert run().hits == 3


# --- the cache: exactly what must miss ------------------------------------------------------------

def test_editing_one_spec_misses_that_spec_only(proj):
    run()
    spec = proj / "specs" / "beta.yaml"
    spec.write_text(spec.read_text().replace("size: {customers: 10}", "size: {customers: 20}"))
    res = run()
    assert hits(res) == {"alpha": True, "beta": False, "gamma": True}
    assert outputs(res) == fresh()
    assert json.loads((proj / "build" / "beta" / "generate.json").read_text())["tables"][0]["configuration"][
        "sample_size"] == 20


def test_a_comment_is_a_miss_for_that_spec_and_the_same_artifacts_except_the_hash(proj):
    first = run()
    spec = proj / "specs" / "alpha.yaml"
    spec.write_text("# a comment\n" + spec.read_text())
    res = run()
    assert hits(res) == {"alpha": False, "beta": True, "gamma": True}
    a0, a1 = first.specs[0].files, res.specs[0].files
    assert a0["generator.json"] == a1["generator.json"] and a0["manifest.json"] != a1["manifest.json"]


def test_changing_the_defaults_misses_every_spec(proj):
    run()
    (proj / "synthspec.yaml").write_text('specs: ["specs/*.yaml"]\ndefaults:\n  training: {max_epochs: 4}\n')
    res = run()
    assert res.hits == 0 and outputs(res) == fresh()


def test_listing_another_spec_keeps_the_others_cached(proj):
    run()
    (proj / "more").mkdir()
    (proj / "more" / "delta.yaml").write_text(SPEC.format(name="delta"))
    (proj / "synthspec.yaml").write_text('specs: ["specs/*.yaml", more/delta.yaml]\n'
                                         'defaults:\n  training: {max_epochs: 3}\n')
    assert hits(run()) == {"alpha": True, "beta": True, "gamma": True, "delta": False}


def test_changing_the_output_root_misses_every_spec(proj):
    run()
    (proj / "synthspec.yaml").write_text('specs: ["specs/*.yaml"]\noutput: out\n'
                                         'defaults:\n  training: {max_epochs: 3}\n')
    res = run()
    assert res.hits == 0 and (proj / "out" / "alpha" / "manifest.json").exists()


def test_a_profile_is_its_own_entry(proj):
    run()
    res = run(profile="ci")
    assert res.hits == 0 and outputs(res) == fresh(profile="ci")
    assert run(profile="ci").hits == 3 and run().hits == 3


def test_synthspec_version_source_and_sdk_invalidate_everything(proj, monkeypatch):
    run()
    assert run().hits == 3
    monkeypatch.setattr(P, "__version__", "99.0.0")
    monkeypatch.setattr(P, "_FINGERPRINT", None)
    assert run().hits == 0
    monkeypatch.undo()
    monkeypatch.chdir(proj)
    P._FINGERPRINT = None
    assert run().hits == 0  # the entries were replaced by the 99.0.0 ones
    assert run().hits == 3
    monkeypatch.setattr(P, "_FINGERPRINT", "another build of the compiler")
    assert run().hits == 0
    monkeypatch.setattr(P, "sdk_version", lambda: "mostlyai-6.3.0.dist-info")
    assert run().hits == 0
    monkeypatch.setattr(P, "_FINGERPRINT", None)


def test_the_fingerprint_covers_the_compiler_source(tmp_path, monkeypatch):
    import shutil

    pkg = tmp_path / "compiler"
    shutil.copytree(ROOT / "compiler", pkg, ignore=shutil.ignore_patterns("__pycache__"))
    code = "import compiler.project as p; print(p.compiler_fingerprint())"
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    a = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True).stdout
    (pkg / "lint.py").write_text((pkg / "lint.py").read_text() + "\n# changed\n")
    b = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True).stdout
    assert a.strip() and b.strip() and a != b


def test_stat_key_is_the_data_stages(tmp_path):
    import compiler.data as data_stage
    from compiler.files import stat_key

    assert P.stat_key is stat_key and data_stage.stat_key is stat_key  # one fingerprint for both caches
    f = tmp_path / "a.csv"
    f.write_text("x\n1\n")
    assert stat_key(f)[0] == 4 and stat_key(tmp_path)[0][0] == "a.csv" and stat_key(tmp_path / "missing") == ["missing"]


def _data_project(proj: Path) -> Path:
    (proj / "data").mkdir()
    (proj / "data" / "people.csv").write_text("id,age,city\n" + "".join(f"{i},{20 + i % 50},c{i % 4}\n"
                                                                        for i in range(60)))
    (proj / "specs" / "withdata.yaml").write_text(DATA_SPEC)
    return proj / "data" / "people.csv"


def test_a_changed_data_file_misses_only_the_spec_that_reads_it(proj):
    csv = _data_project(proj)
    first = run(use_data=True)
    assert first.ok, first.diagnostics
    assert run(use_data=True).hits == 4
    csv.write_text(csv.read_text() + "60,33,c9\n")
    res = run(use_data=True)
    assert hits(res) == {"alpha": True, "beta": True, "gamma": True, "withdata": False}
    assert run(use_data=True).hits == 4
    assert outputs(run(use_data=True)) == outputs(run(use_data=True, cache=False, mode="validate"))


def test_drift_is_reported_once_and_never_served_stale(proj):
    csv = _data_project(proj)
    assert run(use_data=True).ok
    # a column appears in the data: D030 (not in spec) and D031 (drift since the last compile)
    text = csv.read_text().splitlines()
    csv.write_text("\n".join([text[0] + ",extra"] + [ln + ",1" for ln in text[1:]]) + "\n")
    res = run(use_data=True)
    codes = {d.code for d in res.diagnostics}
    assert "D031" in codes and not hits(res)["withdata"]
    # the manifest was rewritten: the next compile must not serve the D031 again
    res = run(use_data=True)
    assert "D031" not in {d.code for d in res.diagnostics}
    assert outputs(res) == outputs(run(use_data=True, cache=False, mode="validate"))
    assert run(use_data=True).hits == 4


# --- the command line -------------------------------------------------------------------------------

def cli(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    e = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SYNTHSPEC_"))}
    e.update(NO_COLOR="1", PYTHONPATH=str(ROOT), **(env or {}))
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=cwd, env=e, capture_output=True,
                          text=True, check=False)


def test_cli_project_mode_from_a_subfolder(proj):
    res = cli(proj / "specs", "compile", "--no-data")
    assert res.returncode == 0, res.stderr
    assert "3 specs, 0 from cache" in res.stderr
    res = cli(proj / "specs", "compile", "--no-data", "--check")
    assert res.returncode == 0 and "3 specs, 3 from cache" in res.stderr


def test_cli_a_listed_spec_is_compiled_as_part_of_the_project(proj):
    res = cli(proj, "compile", "--no-data", "specs/alpha.yaml")
    assert res.returncode == 0, res.stderr
    gen = json.loads((proj / "build" / "alpha" / "generator.json").read_text())
    assert gen["tables"][0]["tabular_model_configuration"]["max_epochs"] == 3.0  # the project's default
    assert not (proj / "build" / "beta").exists()


def test_cli_without_a_project_is_a_usage_error(tmp_path):
    res = cli(tmp_path, "compile")
    assert res.returncode == 2 and "X002" in res.stderr


def _many_findings_project(root: Path, n: int) -> None:
    (root / "specs").mkdir()
    pii = "\n".join(f"      p{i}: {{encoding: categorical, pii: email}}" for i in range(3))
    for k in range(n):
        (root / "specs" / f"s{k:02d}.yaml").write_text(
            SPEC.format(name=f"s{k:02d}").replace("      region: categorical", "      region: categorical\n" + pii))
    (root / "synthspec.yaml").write_text('specs: ["specs/*.yaml"]\n')


def test_github_annotations_are_limited_across_the_project(tmp_path):
    _many_findings_project(tmp_path, 12)  # 36 L001 warnings
    summary = tmp_path / "summary.md"
    res = cli(tmp_path, "validate", "--no-data", "--format", "github", env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert res.returncode == 0, res.stderr
    lines = res.stdout.splitlines()
    assert sum(ln.startswith("::warning ") for ln in lines) == 10
    assert any("26" in ln and "not" in ln for ln in lines if not ln.startswith("::"))
    text = summary.read_text()
    assert text.count("L001") >= 36 and "s11.yaml" in text


def test_sarif_of_a_project_is_valid_and_complete(tmp_path):
    import jsonschema

    _many_findings_project(tmp_path, 12)
    res = cli(tmp_path, "validate", "--no-data", "--format", "sarif")
    doc = json.loads(res.stdout)
    schema = json.loads((ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(doc)
    results = doc["runs"][0]["results"]
    assert len(results) == 36
    assert {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in results} == {
        f"specs/s{k:02d}.yaml" for k in range(12)}
