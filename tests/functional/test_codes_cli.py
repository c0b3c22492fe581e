"""Every code page's example is a negative fixture, run through the real CLI.

For each ``docs/codes/<CODE>.md`` of the stages this file covers (``Y S M G L E X``), the spec under
``## Example`` is written to ``tmp/spec.yaml`` and ``synthspec`` runs on it as a subprocess (cwd =
that folder, no colour, 80 columns). The test asserts that

* the page's code is reported, and no other code;
* the exit code is 1 for an error, 0 for a warning or info, 2 for an ``X`` code;
* the page's ```` ```text ```` block equals the real output (stderr and stdout, interleaved), with the
  temporary folder normalised: ``<tmp>/spec.yaml`` shows as ``spec.yaml``, ``<tmp>`` as
  ``/path/to/project``.

``SYNTHSPEC_UPDATE_DOCS=1 pytest tests/functional/test_codes_cli.py`` rewrites the ``text`` blocks
from the real output instead of comparing them (the code and exit-code checks still run).

A page steers its run with HTML comments inside ``## Example``:

* ``<!-- cli: ARGS -->`` — the arguments after ``synthspec`` (default ``validate spec.yaml``);
* ``<!-- generated: NAME -->`` — a fixture the example cannot hold as text, built by
  :data:`GENERATORS` (a non-UTF-8 file, a file over the size limit, a stale build folder …;
  ``files`` writes the page's ```` ```csv title="data/x.csv" ```` blocks);
* ``<!-- skip: REASON -->`` — the example is not run (only X001, an internal error, which no
  correct build of synthspec can be made to produce on purpose).

An example is a ```` ```yaml ```` block (a complete spec; ```` ```yaml title="spec.yaml" ```` marks raw
text that is deliberately not a valid spec) or, for command-line misuse, a ```` ```console ````
block whose ``$ synthspec ...`` line gives the arguments.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from compiler.codes import CODES
from compiler.diagnostics import Severity

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "codes"
LETTERS = "YSMGLEX"  # D* and R* pages are exercised by their own stages' tests
UPDATE = os.environ.get("SYNTHSPEC_UPDATE_DOCS") == "1"
PROJECT = "/path/to/project"  # what the temporary folder is shown as in the docs
TIMEOUT = 60

_FENCE = re.compile(r"^```([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
_DIRECTIVE = re.compile(r"<!--\s*(cli|generated|skip):\s*(.*?)\s*-->", re.S)
_REPORTED = re.compile(r"\b(?:error|warning|info)\[([A-Z]\d{3})\]")


# --- reading pages ------------------------------------------------------------------------

@dataclass
class Example:
    code: str
    page: Path
    kind: str  # "yaml" | "console"
    body: str  # the spec text, or the console command line
    expected: str | None  # the ```text block, None if the page has none
    args: list[str]
    generated: list[str] = field(default_factory=list)
    skip: str | None = None


def example_section(text: str) -> tuple[int, int]:
    """Start and end offsets of the ``## Example`` section of a page."""
    m = re.search(r"^## Example[ \t]*$", text, re.M)
    if m is None:
        raise AssertionError("page has no `## Example` section")
    nxt = re.search(r"^## ", text[m.end():], re.M)
    return m.end(), m.end() + nxt.start() if nxt else len(text)


def parse_example(page: Path) -> Example:
    text = page.read_text("utf-8")
    start, end = example_section(text)
    section = text[start:end]
    directives: dict[str, list[str]] = {}
    for m in _DIRECTIVE.finditer(section):
        directives.setdefault(m.group(1), []).append(m.group(2))
    kind = body = expected = None
    for m in _FENCE.finditer(section):
        info, content = m.group(1).strip(), m.group(2)
        lang = info.split()[0] if info else ""
        if kind is None and lang in ("yaml", "console"):
            kind, body = lang, content
        elif expected is None and lang == "text":
            expected = content
    skip = (directives.get("skip") or [None])[0]
    if kind is None and skip is None:
        raise AssertionError(f"{page.name}: no ```yaml or ```console block under ## Example")
    if kind is None:
        args = []
    elif kind == "console":
        line = next((ln for ln in body.splitlines() if ln.startswith("$ ")), None)
        assert line is not None, f"{page.name}: the console block has no `$ synthspec ...` line"
        words = shlex.split(line[2:])
        assert words[0] == "synthspec", f"{page.name}: the console command must start with `synthspec`"
        args = words[1:]
    elif "cli" in directives:
        args = shlex.split(directives["cli"][0])
    else:
        args = ["validate", "spec.yaml"]
    return Example(code=page.stem, page=page, kind=kind or "", body=body or "", expected=expected, args=args,
                   generated=[g.strip() for g in directives.get("generated", [])], skip=skip)


def pages() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md") if p.stem in CODES and p.stem[0] in LETTERS)


PAGES = pages()


# --- fixtures a page cannot hold as text ------------------------------------------------------

def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "SYNTHSPEC_", "FORCE_COLOR"))}
    env.update(NO_COLOR="1", COLUMNS="80", LC_ALL="C.UTF-8", PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([sys.executable, "-m", "compiler.cli", *args], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=TIMEOUT, check=False)


def _latin1(ex: Example, d: Path) -> None:
    """The spec saved in Latin-1 instead of UTF-8."""
    (d / "spec.yaml").write_bytes(ex.body.encode("latin-1"))


def _big_file(ex: Example, d: Path) -> None:
    """The spec followed by comment lines until it is just over 10 MiB."""
    from compiler.load import MAX_FILE_BYTES

    line = "# " + "padding " * 12 + "\n"
    n = (MAX_FILE_BYTES - len(ex.body.encode("utf-8"))) // len(line) + 1
    (d / "spec.yaml").write_text(ex.body + line * n, "utf-8")


def _stale_build(ex: Example, d: Path) -> None:
    """``build/`` holds what `compile -o build` wrote for an earlier spec (temperature 1.0), and
    then the example (which changed the temperature) was saved over it."""
    old = re.sub(r"temperature: [0-9.]+", "temperature: 1.0", ex.body)
    assert old != ex.body, "stale-build needs a `temperature:` to change"
    (d / "spec.yaml").write_text(old, "utf-8")
    res = _run(["compile", "-o", "build", "spec.yaml"], d)
    assert res.returncode == 0, res.stdout.decode()
    (d / "spec.yaml").write_text(ex.body, "utf-8")


def _build_is_a_file(ex: Example, d: Path) -> None:
    """A file named ``build`` stands where the output folder should be created."""
    (d / "spec.yaml").write_text(ex.body, "utf-8")
    (d / "build").write_text("not a folder\n", "utf-8")


def _files(ex: Example, d: Path) -> None:
    """Every non-YAML ```` ```<lang> title="<path>" ```` block of ``## Example`` (a data file, seed
    rows) written to ``<path>`` in the folder."""
    text = ex.page.read_text("utf-8")
    start, end = example_section(text)
    for m in _FENCE.finditer(text[start:end]):
        title = re.search(r'title="([^"]+)"', m.group(1))
        if title and m.group(1).split()[0] != "yaml":
            target = d / title.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(m.group(2), "utf-8")


GENERATORS = {
    "files": _files,
    "latin-1": _latin1,
    "big-file": _big_file,
    "stale-build": _stale_build,
    "build-is-a-file": _build_is_a_file,
}


# --- running ----------------------------------------------------------------------------------

@dataclass
class Outcome:
    returncode: int
    output: str


def normalise(out: str, d: Path) -> str:
    for tmp in {str(d.resolve()), str(d)}:
        out = out.replace(tmp + os.sep, "").replace(tmp, PROJECT)
    return out.rstrip("\n")


def run_example(ex: Example, d: Path) -> Outcome:
    d.mkdir(parents=True, exist_ok=True)
    # the folder is the project root (model.find_project_root), so `../x` escapes it however
    # deep the temporary folder sits
    (d / "synthspec.yaml").write_text("", "utf-8")
    if ex.kind == "yaml":
        (d / "spec.yaml").write_text(ex.body, "utf-8")
    for name in ex.generated:
        assert name in GENERATORS, f"{ex.page.name}: unknown generator {name!r}; known: {', '.join(GENERATORS)}"
        GENERATORS[name](ex, d)
    res = _run(ex.args, d)
    return Outcome(res.returncode, normalise(res.stdout.decode("utf-8", "replace"), d))


def fix_specs(page: Path) -> list[str]:
    """The complete specs (``yaml`` blocks that start with ``spec_version:``) under ``## Fix``."""
    text = page.read_text("utf-8")
    m = re.search(r"^## Fix[ \t]*$", text, re.M)
    if m is None:
        return []
    nxt = re.search(r"^## ", text[m.end():], re.M)
    section = text[m.end():m.end() + nxt.start() if nxt else len(text)]
    return [b.group(2) for b in _FENCE.finditer(section)
            if b.group(1).strip() == "yaml" and b.group(2).startswith("spec_version:")]


def run_fixes(fixes: dict[str, str], d: Path) -> Outcome:
    """Validate every fix spec in one process: ``synthspec validate --no-data A/spec.yaml B/spec.yaml ...``."""
    for name, body in fixes.items():
        (d / name).mkdir(parents=True)
        (d / name / "synthspec.yaml").write_text("", "utf-8")
        (d / name / "spec.yaml").write_text(body, "utf-8")
    res = _run(["validate", "--no-data", *(f"{name}/spec.yaml" for name in fixes)], d)
    return Outcome(res.returncode, normalise(res.stdout.decode("utf-8", "replace"), d))


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory) -> dict[str, Outcome]:
    """Run every example once, in parallel (a fresh interpreter each, ~0.25 s), and all complete
    fixes in one more run. Keys are the codes, and ``"fixes"``."""
    base = tmp_path_factory.mktemp("codes")
    jobs = [(ex.code, lambda ex=ex: run_example(ex, base / ex.code))
            for ex in map(parse_example, PAGES) if not ex.skip]
    fixes = {f"{page.stem}-fix{i}": body for page in PAGES for i, body in enumerate(fix_specs(page))}
    (base / "fixes").mkdir()
    jobs.append(("fixes", lambda: run_fixes(fixes, base / "fixes")))
    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        return dict(pool.map(lambda job: (job[0], job[1]()), jobs))


def expected_exit(code: str) -> int:
    if code.startswith("X"):
        return 2
    return 1 if CODES[code].severity >= Severity.ERROR else 0


def write_text_block(page: Path, output: str) -> None:
    text = page.read_text("utf-8")
    start, end = example_section(text)
    section = text[start:end]
    block = f"```text\n{output}\n```"
    fences = [m for m in _FENCE.finditer(section) if m.group(1).strip().split()[:1] == ["text"]]
    if fences:
        m = fences[0]
        section = section[:m.start()] + block + section[m.end():]
    else:  # after the example's spec block
        m = next(m for m in _FENCE.finditer(section) if m.group(1).strip().split()[:1] in (["yaml"], ["console"]))
        section = section[:m.end()] + "\n\n" + block + section[m.end():]
    page.write_text(text[:start] + section + text[end:], "utf-8")


# --- tests ------------------------------------------------------------------------------------

def test_every_code_of_these_stages_has_an_example():
    assert [p.stem for p in PAGES] == sorted(c for c in CODES if c[0] in LETTERS)


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_example(page: Path, outcomes):
    ex = parse_example(page)
    if ex.skip:
        pytest.skip(f"{ex.code}: {ex.skip}")
    got = outcomes[ex.code]
    if UPDATE:
        write_text_block(page, got.output)
    reported = set(_REPORTED.findall(got.output))
    assert ex.code in reported, f"{ex.code} not reported by `synthspec {' '.join(ex.args)}`:\n{got.output}"
    assert reported == {ex.code}, f"the example should trigger only {ex.code}, got {sorted(reported)}:\n{got.output}"
    assert got.returncode == expected_exit(ex.code), got.output
    if not UPDATE:
        assert ex.expected is not None, f"{page.name}: no ```text block with the output under ## Example"
        assert ex.expected.rstrip("\n") == got.output, (
            f"{page.name}: the documented output differs from the real output "
            "(SYNTHSPEC_UPDATE_DOCS=1 rewrites it)")


def test_skipped_examples_are_only_internal_errors():
    assert [p.stem for p in PAGES if parse_example(p).skip] in ([], ["X001"])


_FIX_FINDING = re.compile(r"^([\w.-]+)/spec\.yaml(?::\d+:\d+)?: (error|warning|info)\[([A-Z]\d{3})\]", re.M)


@pytest.mark.parametrize("page", PAGES, ids=[p.stem for p in PAGES])
def test_fix_is_clean(page: Path, outcomes):
    """Every complete spec under ``## Fix`` validates (``--no-data``) without errors and without the
    page's own code."""
    n = len(fix_specs(page))
    if not n:
        pytest.skip("the fix is a fragment or a command")
    out = outcomes["fixes"].output
    names = {f"{page.stem}-fix{i}" for i in range(n)}
    found = [(sev, code) for name, sev, code in _FIX_FINDING.findall(out) if name in names]
    assert page.stem not in {code for _, code in found}, out
    assert "error" not in {sev for sev, _ in found}, out
