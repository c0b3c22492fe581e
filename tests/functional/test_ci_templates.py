"""The CI templates run: their commands, against a sample git repository.

``templates/ci/github-actions.yml``, ``templates/ci/gitlab-ci.yml`` and ``.pre-commit-hooks.yaml``
are parsed; the shell commands they run are extracted (installation and network steps — ``pip
install``, ``apt-get``, ``gh``, ``git fetch`` — are left out: synthspec is on ``PATH`` from this
venv) and run with bash in a repository made in ``tmp_path``: ``main`` holds a valid project with
its compiled artifacts, the branch adds a broken commit and then a fixed one. Broken → a command
fails; fixed → every command passes, the SARIF validates, the Code Quality report is well formed,
and the diff against ``origin/main`` is the Markdown comment. ``docs/ci.md`` shows the templates
verbatim (checked here) and its project example compiles.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GITHUB = ROOT / "templates" / "ci" / "github-actions.yml"
GITLAB = ROOT / "templates" / "ci" / "gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
SKIP = re.compile(r"^\s*(pip install|apt-get|gh |git fetch)")

PROJECT = 'specs: ["specs/*.yaml"]\ndefaults:\n  training: {model: small, max_training_time: 1}\n'
SPEC = """\
# yaml-language-server: $schema=../schemas/spec-v1.json
spec_version: 1
name: shop
description: Shop customers and their orders.
tables:
  customers:
    primary_key: id
    columns:
      age: numeric
      region: categorical
  orders:
    primary_key: order_id
    foreign_keys:
      - {columns: customer_id, references: customers, context: true}
    columns:
      amount: numeric
      placed: datetime
generation:
  size: {customers: 100}
  temperature: 1.0
"""
BROKEN = SPEC.replace("region: categorical", "region: categorcal")
FIXED = SPEC.replace("amount: numeric", "amount: categorical").replace("temperature: 1.0", "temperature: 0.9")


def _env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SYNTHSPEC_", "CI_"))}
    env.update(PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}", NO_COLOR="1", GIT_AUTHOR_NAME="t",
               GIT_AUTHOR_EMAIL="t@example.org", GIT_COMMITTER_NAME="t", GIT_COMMITTER_EMAIL="t@example.org",
               GITHUB_STEP_SUMMARY=str(tmp / "step-summary.md"))
    return env


def git(repo: Path, *args: str) -> str:
    res = subprocess.run(["git", *args], cwd=repo, env=_env(repo.parent), capture_output=True, text=True, check=True)
    return res.stdout.strip()


def synthspec(repo: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=repo, env=_env(repo.parent),
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def sample_repo(tmp_path_factory) -> dict:
    """A repository: main (valid, compiled), then on `feature` a broken commit and a fixed one."""
    repo = tmp_path_factory.mktemp("ci") / "repo"
    (repo / "specs").mkdir(parents=True)
    git(repo, "init", "-q", "-b", "main")
    (repo / "synthspec.yaml").write_text(PROJECT)
    (repo / "specs" / "shop.yaml").write_text(SPEC)
    (repo / ".gitignore").write_text(".synthspec/\n")
    assert synthspec(repo, "compile", "--no-data").returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "shop spec")
    base = git(repo, "rev-parse", "HEAD")
    git(repo, "checkout", "-qb", "feature")
    (repo / "specs" / "shop.yaml").write_text(BROKEN)
    git(repo, "commit", "-qam", "broken")
    broken = git(repo, "rev-parse", "HEAD")
    (repo / "specs" / "shop.yaml").write_text(FIXED)
    assert synthspec(repo, "compile", "--no-data").returncode == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "fixed")
    fixed = git(repo, "rev-parse", "HEAD")
    git(repo, "update-ref", "refs/remotes/origin/main", base)  # what `git fetch` would give CI
    return {"repo": repo, "base": base, "broken": broken, "fixed": fixed}


def run_commands(repo: Path, commands: list[str], commit: str) -> list[tuple[str, int, str]]:
    git(repo, "checkout", "-q", commit)
    out = []
    for cmd in commands:
        res = subprocess.run(["bash", "-c", cmd], cwd=repo, env=_env(repo.parent), capture_output=True, text=True,
                             check=False)
        out.append((cmd, res.returncode, res.stdout + res.stderr))
    return out


# --- GitHub Actions -----------------------------------------------------------------------------

def github_commands(workflow: dict) -> list[str]:
    steps = workflow["jobs"]["synthspec"]["steps"]
    cmds = []
    for s in steps:
        if "run" not in s or SKIP.search(s["run"]):
            continue
        cmd = s["run"].replace("${{ github.base_ref }}", "main")
        assert "${{" not in cmd, f"unexpected expression in {cmd!r}"
        cmds.append(cmd)
    return cmds


def test_github_workflow_shape():
    wf = yaml.safe_load(GITHUB.read_text())
    on = wf.get("on", wf.get(True))  # YAML 1.1 reads `on` as true
    assert "pull_request" in on
    steps = wf["jobs"]["synthspec"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/checkout") for u in uses)
    checkout = next(s for s in steps if s.get("uses", "").startswith("actions/checkout"))
    assert checkout["with"]["fetch-depth"] == 0
    upload = next(s for s in steps if s.get("uses", "").startswith("github/codeql-action/upload-sarif"))
    assert upload["with"]["sarif_file"] == "synthspec.sarif"
    runs = " ".join(s.get("run", "") for s in steps)
    assert "synthspec compile --check" in runs and "--format github" in runs
    assert 'synthspec diff "origin/${{ github.base_ref }}" HEAD --format markdown' in runs
    assert wf["permissions"]["security-events"] == "write"


def test_github_workflow_against_a_broken_and_a_fixed_commit(sample_repo, tmp_path):
    repo = sample_repo["repo"]
    cmds = github_commands(yaml.safe_load(GITHUB.read_text()))
    assert len(cmds) == 3  # compile --check, SARIF, diff
    check = cmds[0]
    broken = run_commands(repo, [check], sample_repo["broken"])
    assert broken[0][1] != 0
    assert "::error file=specs/shop.yaml" in broken[0][2]
    fixed = run_commands(repo, cmds, sample_repo["fixed"])
    assert [rc for _, rc, _ in fixed] == [0, 0, 0], fixed
    sarif = json.loads((repo / "synthspec.sarif").read_text())
    _validate_sarif(sarif)
    md = (repo / "synthspec-diff.md").read_text()
    assert md.startswith("<!-- synthspec-diff -->\n### synthspec diff `origin/main` → `HEAD`")
    assert "#### Breaking" in md and "encoding of `orders.amount` changed" in md
    assert "#### Regenerate" in md and "generation `temperature` changed" in md
    assert "#### What to do" in md
    for f in ("synthspec.sarif", "synthspec-diff.md"):
        (repo / f).unlink()


def _validate_sarif(doc: dict) -> None:
    import jsonschema

    schema = json.loads((ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(doc)


# --- GitLab CI ----------------------------------------------------------------------------------

def test_gitlab_job_against_a_broken_and_a_fixed_commit(sample_repo):
    repo = sample_repo["repo"]
    job = yaml.safe_load(GITLAB.read_text())["synthspec"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality.json"
    cmds = [c for c in job["script"] if not SKIP.search(c)]
    broken = run_commands(repo, cmds, sample_repo["broken"])
    assert any(rc != 0 for _, rc, _ in broken), broken
    report = json.loads((repo / "gl-code-quality.json").read_text())
    assert report and {"description", "check_name", "fingerprint", "severity", "location"} <= set(report[0])
    assert report[0]["location"] == {"path": "specs/shop.yaml", "lines": {"begin": 10}}
    assert report[0]["check_name"] == "S005" and report[0]["severity"] == "major"
    # the merge-request diff runs with the target branch set
    env_cmds = [f"export CI_MERGE_REQUEST_TARGET_BRANCH_NAME=main; {c}" for c in cmds]
    fixed = run_commands(repo, env_cmds, sample_repo["fixed"])
    assert [rc for _, rc, _ in fixed] == [0] * len(cmds), fixed
    assert json.loads((repo / "gl-code-quality.json").read_text()) == []
    assert "encoding of `orders.amount` changed" in (repo / "synthspec-diff.md").read_text()
    for f in ("synthspec.sarif", "synthspec.json", "gl-code-quality.json", "synthspec-diff.md"):
        (repo / f).unlink()


# --- pre-commit ---------------------------------------------------------------------------------

def test_pre_commit_hooks(sample_repo):
    hooks = yaml.safe_load(HOOKS.read_text())
    assert [h["id"] for h in hooks] == ["synthspec-validate", "synthspec-compile-check"]
    repo = sample_repo["repo"]
    for h in hooks:
        assert {"id", "name", "entry", "language"} <= set(h) and h["language"] == "python"
        assert re.search(h["files"], "specs/shop.yaml") and not re.search(h["files"], "README.md")
        cmd = shlex.join(shlex.split(h["entry"]) + h.get("args", []))
        assert h.get("pass_filenames") is False  # the hook runs on the project, not on each YAML file
        (_, rc_broken, out), = run_commands(repo, [cmd], sample_repo["broken"])
        assert rc_broken == 1, out
        (_, rc_fixed, out), = run_commands(repo, [cmd], sample_repo["fixed"])
        assert rc_fixed == 0, out


def test_pre_commit_compile_check_catches_stale_artifacts(sample_repo):
    repo = sample_repo["repo"]
    hook = yaml.safe_load(HOOKS.read_text())[1]
    git(repo, "checkout", "-q", sample_repo["fixed"])
    spec = repo / "specs" / "shop.yaml"
    spec.write_text(FIXED.replace("temperature: 0.9", "temperature: 0.8"))
    try:
        res = subprocess.run(["bash", "-c", hook["entry"]], cwd=repo, env=_env(repo.parent), capture_output=True,
                             text=True, check=False)
        assert res.returncode == 1 and "E002" in res.stderr
    finally:
        git(repo, "checkout", "-q", "--", "specs/shop.yaml")


# --- docs/ci.md -----------------------------------------------------------------------------------

_FILE_BLOCK = re.compile(r"<!-- file: (\S+) -->\s*\n```[a-z]*\n(.*?)^```", re.S | re.M)
_EXAMPLE_BLOCK = re.compile(r"<!-- example: (\S+) -->\s*\n```[a-z]*\n(.*?)^```", re.S | re.M)


def test_docs_show_the_templates_verbatim():
    text = (ROOT / "docs" / "ci.md").read_text()
    shown = dict(_FILE_BLOCK.findall(text))
    assert set(shown) == {"templates/ci/github-actions.yml", "templates/ci/gitlab-ci.yml", ".pre-commit-hooks.yaml"}
    for path, body in shown.items():
        assert body == (ROOT / path).read_text(), f"docs/ci.md shows an outdated {path}"


def test_docs_project_example_compiles(tmp_path):
    text = (ROOT / "docs" / "ci.md").read_text()
    examples = dict(_EXAMPLE_BLOCK.findall(text))
    (tmp_path / "specs").mkdir()
    (tmp_path / "synthspec.yaml").write_text(examples["synthspec.yaml"])
    (tmp_path / "specs" / "shop.yaml").write_text(SPEC)
    (tmp_path / "specs" / "payroll.yaml").write_text(SPEC.replace("name: shop", "name: payroll"))
    res = synthspec(tmp_path, "compile", "--no-data")
    assert res.returncode == 0, res.stderr
    gen = json.loads((tmp_path / "build" / "shop" / "generator.json").read_text())
    # the documented merge: the project's default applies where the spec says nothing
    assert {t["tabular_model_configuration"]["model"] for t in gen["tables"]} == {"MOSTLY_AI/Small"}
    assert synthspec(tmp_path, "compile", "--no-data", "--select", "payroll").returncode == 0


# --- docs/editor.md -------------------------------------------------------------------------------

def test_editor_docs_examples(tmp_path):
    text = (ROOT / "docs" / "editor.md").read_text()
    examples = dict(_EXAMPLE_BLOCK.findall(text))
    schema = json.loads((ROOT / "schemas" / "spec-v1.json").read_text())
    assert schema["$id"] == "https://synthspec.dev/schemas/spec-v1.json" and schema["$id"] in text
    settings = json.loads(examples["vscode-settings"])
    (path, globs), = settings["yaml.schemas"].items()
    assert (ROOT / path).resolve() == (ROOT / "schemas" / "spec-v1.json").resolve()
    assert "templates/*/spec.yaml" in globs
    # the modeline shown is the one `synthspec init` writes (path relative to the spec)
    shown = examples["modeline"].splitlines()[0]
    res = synthspec(tmp_path, "init", "proj", "--no-data")
    assert res.returncode == 0, res.stderr
    first = (tmp_path / "proj" / "spec.yaml").read_text().splitlines()[0]
    prefix = "# yaml-language-server: $schema="
    assert shown.startswith(prefix) and first.startswith(prefix)
    assert (tmp_path / "proj" / first[len(prefix):]).resolve() == (ROOT / "schemas" / "spec-v1.json").resolve()
    # and the modeline of the example, placed in a folder next to schemas/, names the same file
    assert (ROOT / "templates" / shown[len(prefix):]).resolve() == (ROOT / "schemas" / "spec-v1.json").resolve()
