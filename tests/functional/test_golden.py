"""Golden tests: tests/golden/<case>/spec.yaml → expected/*.json and expected/diagnostics.txt.

Each case is compiled into its own ``expected/`` folder, so the manifest's relative paths are the
committed ones. A case whose spec is the tSocial template has no spec.yaml, only ``args``.
Regenerate with ``SYNTHSPEC_UPDATE_GOLDEN=1 pytest tests/functional/test_golden.py``.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest

from compiler.api import compile_spec
from compiler.render import render

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())
UPDATE = os.environ.get("SYNTHSPEC_UPDATE_GOLDEN") == "1"


def _args(case: Path) -> tuple[Path, str | None]:
    spec = case / "spec.yaml"
    profile = None
    if (case / "args").exists():
        argv = shlex.split((case / "args").read_text())
        if "--profile" in argv:
            profile = argv[argv.index("--profile") + 1]
    if not spec.exists():
        spec = ROOT / "templates" / "tsocial" / "spec.yaml"
    return spec, profile


@pytest.mark.parametrize("name", CASES)
def test_golden(name, monkeypatch):
    case = GOLDEN / name
    monkeypatch.chdir(ROOT)  # diagnostics show paths relative to the working directory
    spec, profile = _args(case)
    expected = case / "expected"
    res = compile_spec(spec.relative_to(ROOT), profile=profile, out_dir=expected, use_data=False)
    produced = dict(res.files()) if res.ok else {}
    produced["diagnostics.txt"] = render(res.diagnostics, "text", sources=res.sources).encode()
    if UPDATE:
        expected.mkdir(exist_ok=True)
        for old in expected.iterdir():
            if old.name not in produced:
                old.unlink()
        for fname, data in produced.items():
            (expected / fname).write_bytes(data)
    on_disk = {p.name for p in expected.iterdir()} if expected.exists() else set()
    assert on_disk == set(produced), f"{name}: files differ: expected {sorted(on_disk)}, produced {sorted(produced)}"
    for fname, data in produced.items():
        assert (expected / fname).read_bytes() == data, f"{name}/{fname} differs (SYNTHSPEC_UPDATE_GOLDEN=1 to accept)"
