"""The public Python API surface (`import compiler`)."""

import subprocess
import sys


def test_api_names_resolve_lazily_and_run_stays_callable():
    code = (
        "import sys, compiler\n"
        "assert 'pydantic' not in sys.modules  # import compiler is cheap\n"
        "assert callable(compiler.compile_spec) and callable(compiler.load_spec) and callable(compiler.probe)\n"
        "import compiler.run  # the runner module shares the name with the API function\n"
        "assert callable(compiler.run) and hasattr(compiler.run, 'run_manifest')\n"
        "r = compiler.run('does-not-exist.yaml')\n"
        "assert not r.ok and r.diagnostics[0].code == 'Y003'\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_load_spec_raises_with_located_diagnostics(tmp_path):
    import pytest

    from compiler.api import SpecError, load_spec

    p = tmp_path / "s.yaml"
    p.write_text("spec_version: 1\nname: x\ntables: {t: {primary_kee: id}}\n")
    with pytest.raises(SpecError) as e:
        load_spec(p)
    d = e.value.diagnostics[0]
    assert d.code == "S001" and d.span.line == 3
    p.write_text("spec_version: 1\nname: x\ntables: {t: {primary_key: id}}\n")
    assert load_spec(p).tables["t"].primary_key == "id"
