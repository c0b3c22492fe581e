"""``synthspec diff``: every class on real edits of the tSocial spec, formatting-only edits are only
ever metadata (hypothesis), and the three kinds of sides (files, folders, git revisions)."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.diff import CLASSES, diff, render
from compiler.load import load_text
from tests.strategies import to_yaml

ROOT = Path(__file__).resolve().parents[2]
TSOCIAL = (ROOT / "templates" / "tsocial" / "spec.yaml").read_text()


def diff_texts(tmp: Path, before: str, after: str, **kw):
    (tmp / "a").mkdir(exist_ok=True)
    (tmp / "b").mkdir(exist_ok=True)
    (tmp / "a" / "spec.yaml").write_text(before)
    (tmp / "b" / "spec.yaml").write_text(after)
    return diff(str(tmp / "a" / "spec.yaml"), str(tmp / "b" / "spec.yaml"), **kw)


def classes(result) -> list[tuple[str, str]]:
    return [(c.cls, c.what) for c in result.changes]


def edit(old: str, new: str, text: str = TSOCIAL) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# --- each class -----------------------------------------------------------------------------------

@pytest.mark.parametrize("before,after,cls,what,consumers", [
    ("      Estat:         categorical\n", "", "breaking", "column `pagamentnomina.Estat` removed", ()),
    ("      Import_Mensual: numeric", "      Import_Mensual: categorical", "breaking",
     "encoding of `actuacionsnomina.Import_Mensual` changed", ("pagamentnomina",)),
    ("primary_key: [N_Procediment, N_Expedient]     # composite: compiled to a surrogate key\n    surrogate_key: N_Exp_Pro",
     "primary_key: [N_Procediment, N_Expedient]\n    surrogate_key: N_Key", "breaking",
     "surrogate key of `actuacionsnomina` renamed", ("pagamentnomina",)),
    ("{columns: Usuari_Solicitant, references: titular, context: false}", "{columns: Usuari_Solicitant, references: actuacionsnomina, context: false}",
     "breaking", "foreign key Usuari_Solicitant of `pagamentnomina`: references changed", ()),
    ("      comarca:          categorical", "      comarca:          {exclude: true}", "breaking",
     "column `titular.comarca` excluded from the model", ("actuacionsnomina", "pagamentnomina")),
    ("  max_training_time: 10 ", "  max_training_time: 20 ", "retrain", "training `max_training_time` changed (every table)", ()),
    ("      Mes_Nomina:    categorical\n", "      Mes_Nomina:    categorical\n      Nou:    numeric\n", "retrain",
     "column `pagamentnomina.Nou` added", ()),
    ("      Import:        numeric\n      Data_Pagament: datetime\n", "      Data_Pagament: datetime\n      Import:        numeric\n",
     "retrain", "column order of `pagamentnomina` changed (the model's column order)", ()),
    ("  seed: 42", "  seed: 43", "retrain", "generation `seed` changed (also the generator's random_state)", ()),
    ("  tsocial: {kind: files, path: data}", "  tsocial: {kind: files, path: data2}", "retrain",
     "training data of `titular` changed (path)", ()),
    ("size: {titular: 2000}", "size: {titular: 3000}", "regenerate", "generation size of `titular` changed", ()),
    ("  temperature: 1.0", "  temperature: 0.7", "regenerate", "generation `temperature` changed", ()),
    ('table_name: "syntetic_{table}"', 'table_name: "synthetic_{table}"', "regenerate", "output `table_name` changed", ()),
    ("description: Synthetic copy", "description: A synthetic copy", "metadata", "description changed at `description`", ()),
    ("      sexe:             categorical", "      sexe:             TABULAR_CATEGORICAL", "metadata",
     "encoding of `titular.sexe` spelled differently (same SDK encoding TABULAR_CATEGORICAL)", ()),
    ("    role: subject\n", "", "metadata", "declared role of `titular` changed (the graph's roles are unchanged)", ()),
])
def test_each_class(tmp_path, before, after, cls, what, consumers):
    result = diff_texts(tmp_path, TSOCIAL, edit(before, after))
    assert not [d for d in result.diagnostics if d.code != "E021"], result.diagnostics
    found = [c for c in result.changes if c.what == what]
    assert found, classes(result)
    assert found[0].cls == cls and found[0].consumers == consumers
    assert result.worst == cls  # nothing more severe was reported alongside


def test_context_fk_change_names_consumers(tmp_path):
    after = edit("{columns: identificador, references: titular, context: true}",
                 "{columns: identificador, references: titular, context: false}")
    result = diff_texts(tmp_path, TSOCIAL, after)
    ch = next(c for c in result.changes if "context changed" in c.what)
    assert ch.cls == "breaking" and ch.table == "actuacionsnomina" and ch.consumers == ("pagamentnomina",)
    assert (ch.before, ch.after) == (True, False)
    assert any(d.code == "E021" for d in result.diagnostics)  # the head no longer compiles (role: linked)


def test_table_removed_names_the_tables_that_referenced_it(tmp_path):
    spec = load_text(TSOCIAL)[0].data
    spec["tables"].pop("pagamentnomina")
    result = diff_texts(tmp_path, TSOCIAL, to_yaml(spec))
    ch = next(c for c in result.changes if c.what == "table `pagamentnomina` removed")
    assert ch.cls == "breaking"
    spec2 = load_text(TSOCIAL)[0].data
    spec2["tables"].pop("pagamentnomina")
    spec2["tables"].pop("actuacionsnomina")
    ch = next(c for c in diff_texts(tmp_path, TSOCIAL, to_yaml(spec2)).changes
              if c.what == "table `actuacionsnomina` removed")
    assert ch.consumers == ("pagamentnomina",)


def test_a_changed_profile_is_compared_under_that_profile(tmp_path):
    after = edit("ci:   {training: {model: small, max_training_time: 0.2, max_epochs: 5}",
                 "ci:   {training: {model: small, max_training_time: 0.2, max_epochs: 6}")
    result = diff_texts(tmp_path, TSOCIAL, after)
    assert classes(result) == [("retrain", "[profile ci] training `max_epochs` changed (every table)")]
    removed = edit("  demo: {training: {model: small, max_training_time: 0.75}, generation: {size: {titular: 500}}}\n", "")
    assert classes(diff_texts(tmp_path, TSOCIAL, removed)) == [
        ("breaking", "profile `demo` removed: runs with `--profile demo` fail")]


def test_identical_specs_have_no_changes(tmp_path):
    result = diff_texts(tmp_path, TSOCIAL, TSOCIAL)
    assert result.changes == [] and result.specs[0].status == "unchanged"
    assert "No changes" in render(result, "markdown")


# --- formatting is only ever metadata ------------------------------------------------------------

def _comments(text: str, rng: random.Random) -> str:
    out = []
    for ln in text.splitlines():
        r = rng.random()
        if r < 0.15:
            out.append("# " + "".join(rng.choice("abc xyz:{}[]#'\"") for _ in range(rng.randint(0, 20))))
        out.append(ln + ("   # note: " + str(rng.randint(0, 99)) if r > 0.85 and not ln.rstrip().endswith(":")
                         and "|" not in ln else ""))
    return "\n".join(out) + "\n"


TSOCIAL_DATA = load_text(TSOCIAL)[0].data


@settings(max_examples=int(os.environ.get("SYNTHSPEC_PROPERTY_SCALE", "1")) * 25, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32), flow=st.booleans(), quote=st.sampled_from(["safe", "minimal"]),
       comment=st.booleans())
def test_reformatting_tsocial_is_only_metadata(seed, flow, quote, comment):
    text = to_yaml(TSOCIAL_DATA, key_order_seed=seed, flow=flow, quote=quote)  # column order kept
    if comment:
        text = _comments(text, random.Random(seed))
    with tempfile.TemporaryDirectory() as tmp:
        result = diff_texts(Path(tmp), TSOCIAL, text)
    assert not result.diagnostics
    assert {c.cls for c in result.changes} <= {"metadata"}, classes(result)
    assert classes(result) == [("metadata", "formatting or comments changed (no semantic change)")]


# --- sides: folders and git revisions --------------------------------------------------------------

def _git(repo: Path, *args: str) -> str:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@x", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@x"}
    return subprocess.run(["git", *args], cwd=repo, env=env, capture_output=True, text=True, check=True).stdout.strip()


@pytest.fixture
def repo(tmp_path) -> Path:
    r = tmp_path / "repo"
    (r / "proj" / "specs").mkdir(parents=True)
    _git(r, "init", "-q", "-b", "main")
    (r / "proj" / "synthspec.yaml").write_text('specs: ["specs/*.yaml"]\ndefaults:\n  training: {max_epochs: 3}\n')
    (r / "proj" / "specs" / "tsocial.yaml").write_text(TSOCIAL)
    (r / "proj" / "specs" / "other.yaml").write_text(TSOCIAL.replace("name: tsocial", "name: other"))
    (r / "proj" / "notes.yaml").write_text("just: yaml\n")
    _git(r, "add", "-A")
    _git(r, "commit", "-qm", "one")
    (r / "proj" / "specs" / "tsocial.yaml").write_text(edit("size: {titular: 2000}", "size: {titular: 10}"))
    (r / "proj" / "specs" / "other.yaml").unlink()
    (r / "proj" / "specs" / "new.yaml").write_text(TSOCIAL.replace("name: tsocial", "name: new"))
    (r / "proj" / "synthspec.yaml").write_text('specs: ["specs/*.yaml"]\ndefaults:\n  training: {max_epochs: 4}\n')
    _git(r, "add", "-A")
    _git(r, "commit", "-qm", "two")
    return r


def test_git_revisions_from_a_project_subfolder(repo):
    result = diff("HEAD~1", "HEAD", cwd=repo / "proj")
    by = {s.name: s for s in result.specs}
    assert {n: s.status for n, s in by.items()} == {"new": "added", "other": "removed", "tsocial": "changed"}
    assert by["other"].worst == "breaking" and by["new"].worst == "retrain"
    whats = classes(result)
    assert ("regenerate", "generation size of `titular` changed") in whats
    # the project's defaults are applied on each side
    assert ("retrain", "training `max_epochs` changed (every table)") in whats
    assert by["tsocial"].base == "HEAD~1:proj/specs/tsocial.yaml"
    # the working tree was not touched
    assert not (repo / "proj" / "specs" / "other.yaml").exists()


def test_a_folder_against_a_revision(repo):
    (repo / "proj" / "specs" / "new.yaml").write_text(TSOCIAL.replace("name: tsocial", "name: new")
                                                      .replace("temperature: 1.0", "temperature: 0.5"))
    result = diff("HEAD", ".", cwd=repo / "proj")  # the working tree against the last commit
    assert classes(result) == [("regenerate", "generation `temperature` changed")]


def test_unknown_revision_is_E020(repo):
    result = diff("nope", "HEAD", cwd=repo)
    assert [d.code for d in result.diagnostics] == ["E020"] and not result.resolved


# --- output and exit codes ---------------------------------------------------------------------------

def cli(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)


def test_formats_and_fail_on(repo):
    cwd = repo / "proj"
    res = cli(cwd, "diff", "HEAD~1", "HEAD", "--format", "json")
    assert res.returncode == 0, res.stderr
    doc = json.loads(res.stdout)
    assert doc["worst"] == "breaking" and doc["summary"]["breaking"] == 1 and set(doc["summary"]) == set(CLASSES)
    assert {s["name"]: s["status"] for s in doc["specs"]}["other"] == "removed"
    md = cli(cwd, "diff", "HEAD~1", "HEAD", "--format", "markdown").stdout
    assert md.startswith("<!-- synthspec-diff -->") and "| spec | table | change |" in md and "#### What to do" in md
    text = cli(cwd, "diff", "HEAD~1", "HEAD").stdout
    assert text.startswith("synthspec diff HEAD~1 → HEAD: 1 breaking")
    assert cli(cwd, "diff", "HEAD~1", "HEAD", "--fail-on", "breaking").returncode == 1
    assert cli(cwd, "diff", "HEAD", "HEAD", "--fail-on", "metadata").returncode == 0
    assert cli(cwd, "diff", "nope", "HEAD").returncode == 1


def test_markdown_escapes_and_stays_under_the_comment_limit(tmp_path):
    from compiler.diff import MARKDOWN_MAX_CHARS, Change, DiffResult, SpecDiff

    many = [Change("retrain", "s", f"column `t.c{i}|x` added", "t", after="a|b\nc") for i in range(3000)]
    result = DiffResult(base="a", head="b", specs=[SpecDiff("s", "s.yaml", "s.yaml", "changed", many)])
    md = render(result, "markdown")
    assert len(md) < MARKDOWN_MAX_CHARS + 2000
    assert "more change(s) not shown" in md
    assert "c0\\|x" in md and "a\\|b c" in md
