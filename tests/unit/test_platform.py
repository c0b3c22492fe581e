"""Engine selection (compiler/platform.py): spec checks, manifest entry, key handling — no server."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from compiler.api import compile_spec
from compiler.platform import EngineConfigError, _attach_key, api_key, manifest_engine, resolve_base_url

ROOT = Path(__file__).resolve().parents[2]
BASE = textwrap.dedent("""\
    spec_version: 1
    name: clinic
    tables:
      patient:
        primary_key: patient_id
        columns: {region: categorical}
    """)


def _compile(tmp_path, extra: str):
    (tmp_path / "spec.yaml").write_text(BASE + textwrap.dedent(extra))
    return compile_spec(tmp_path / "spec.yaml", out_dir=tmp_path / "build", use_data=False)


@pytest.mark.parametrize("extra,code", [
    ("engine: {kind: platform, base_url: 'https://m.example.org', api_key: sk-abc123secret}\n", "M040"),
    ("engine: {kind: platform, base_url: 'https://u:sk-abc123secret@m.example.org'}\n", "M041"),
    ("engine: {kind: platform, base_url: 'ftp://m.example.org'}\n", "M041"),
    ("engine: {kind: platform}\n", "M042"),
    ("engine: {base_url: 'https://m.example.org'}\n", "M043"),
    ("output: {kind: csv, mode: overwrite}\n", "M044"),
])
def test_engine_checks(tmp_path, extra, code):
    res = _compile(tmp_path, extra)
    assert [d.code for d in res.diagnostics] == [code]
    d = res.diagnostics[0]
    assert "sk-abc123secret" not in d.message and "sk-abc123secret" not in (d.help or "")
    if code in ("M040", "M041"):
        assert d.span.line == 7  # the `engine:` key, so no excerpt shows the value


def test_manifest_holds_the_reference_only(tmp_path, monkeypatch):
    monkeypatch.setenv("MOSTLY_API_KEY", "sk-never-in-a-file")
    res = _compile(tmp_path, "engine: {kind: platform, base_url: 'https://m.example.org', "
                             "api_key: '${env:MOSTLY_API_KEY}'}\n")
    assert res.ok
    res.write()
    assert res.manifest["engine"] == {"kind": "platform", "local_dir": res.manifest["engine"]["local_dir"],
                                      "base_url": "https://m.example.org", "api_key_env": "MOSTLY_API_KEY",
                                      "api_key_header": "X-MOSTLY-API-KEY"}
    for p in (tmp_path / "build").iterdir():
        assert b"sk-never-in-a-file" not in p.read_bytes()
    local = manifest_engine({"kind": "local"}, "x")
    assert local == {"kind": "local", "local_dir": "x"}


def test_key_and_url_from_environment(monkeypatch):
    eng = {"kind": "platform", "base_url": "${env:MB_URL}", "api_key_env": "MB_KEY"}
    monkeypatch.delenv("MB_URL", raising=False)
    monkeypatch.delenv("MB_KEY", raising=False)
    with pytest.raises(EngineConfigError) as e:
        resolve_base_url(eng)
    assert e.value.code == "R042" and "MB_URL" in str(e.value)
    with pytest.raises(EngineConfigError):
        api_key(eng)
    monkeypatch.setenv("MB_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("MB_KEY", "k")
    assert resolve_base_url(eng) == "http://127.0.0.1:9" and api_key(eng) == "k"


def test_key_header_on_every_sub_client():
    pytest.importorskip("mostlyai")
    from mostlyai.sdk import MostlyAI

    c = MostlyAI(base_url="http://127.0.0.1:9", quiet=True, test_connection=False)
    _attach_key(c, "X-MOSTLY-API-KEY", "k1")
    for sub in (c, c.connectors, c.generators, c.synthetic_datasets, c.synthetic_probes):
        assert sub.headers()["X-MOSTLY-API-KEY"] == "k1" and sub.headers()["Accept"] == "application/json"


def test_docs_platform_spec_compiles(tmp_path):
    text = (ROOT / "docs" / "platform.md").read_text()
    spec = next(b for b in re.findall(r"```yaml\n(.*?)```", text, re.S) if b.startswith("spec_version:"))
    (tmp_path / "spec.yaml").write_text(spec)
    res = compile_spec(tmp_path / "spec.yaml", out_dir=tmp_path / "b", use_data=False)
    assert res.ok, [str(d) for d in res.diagnostics]
    assert res.manifest["engine"]["api_key_env"] == "MOSTLY_API_KEY"
    assert json.loads(json.dumps(res.manifest))["engine"]["kind"] == "platform"
