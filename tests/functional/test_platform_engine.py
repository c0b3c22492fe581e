"""Platform mode: the same manifest runs against a MOSTLY AI server through the SDK's CLIENT mode.

The server is the SDK's own (``mostlyai.sdk._local.server.LocalServer``, what ``MostlyAI(local=True,
local_port=...)`` starts), run by the test in a background process, bound to 127.0.0.1 only, with
one addition: a middleware that answers 401 unless the request carries the expected API key in
``X-MOSTLY-API-KEY`` (as a platform would). synthspec connects with ``MostlyAI(base_url=...)`` and the
key from ``${env:MOSTLY_API_KEY}``; afterwards every file under the test's folder (project, build,
outputs, run record, engine logs, the server's own home and log) is searched for the key.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from compiler.api import compile_spec
from compiler.run import run_manifest

SECRET = "sk-synthspec-test-7f3a9c1e5b"
SERVER = textwrap.dedent("""\
    import os, sys, time
    from fastapi.responses import JSONResponse
    from mostlyai.sdk._local.server import LocalServer

    EXPECTED = os.environ.pop("TEST_SERVER_EXPECTED_KEY")

    class LoopbackServer(LocalServer):
        def _create_server(self):
            @self._app.middleware("http")
            async def require_key(request, call_next):
                if request.headers.get("x-mostly-api-key") != EXPECTED:
                    return JSONResponse(status_code=401, content={"detail": "invalid API key"})
                return await call_next(request)
            self.host = "127.0.0.1"  # loopback only (LocalServer binds 0.0.0.0 for docker)
            super()._create_server()

    LoopbackServer(home_dir=sys.argv[1], port=int(sys.argv[2]))
    print("ready", flush=True)
    while True:
        time.sleep(3600)
""")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("platform")
    port = _free_port()
    (root / "server.py").write_text(SERVER)
    log = open(root / "server.log", "wb")
    env = dict(os.environ, TEST_SERVER_EXPECTED_KEY=SECRET)
    proc = subprocess.Popen([sys.executable, str(root / "server.py"), str(root / "server_home"), str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/v2/generators", timeout=2)
        except urllib.error.HTTPError as e:
            if e.code == 401:  # up, and asking for the key
                break
        except OSError:
            pass
        if proc.poll() is not None or time.time() > deadline:
            raise RuntimeError("the test server did not start: " + (root / "server.log").read_text()[-2000:])
        time.sleep(0.5)
    yield {"url": url, "root": root}
    os.killpg(proc.pid, signal.SIGTERM)  # the server and its job processes (its own session)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
    log.close()


def _project(root: Path, url: str) -> Path:
    proj = root / "project"
    (proj / "data").mkdir(parents=True)
    (proj / "synthspec.yaml").write_text("specs: [spec.yaml]\n")
    rng = np.random.default_rng(1)
    n = 300
    pd.DataFrame({
        "id": np.arange(1, n + 1),
        "region": rng.choice(["north", "south", "east"], n),
        "amount": np.round(rng.gamma(2.0, 50.0, n), 2),
    }).to_parquet(proj / "data" / "people.parquet", index=False)
    (proj / "spec.yaml").write_text(textwrap.dedent(f"""\
        spec_version: 1
        name: platform_demo
        sources: {{raw: {{kind: files, path: data}}}}
        training: {{model: small, max_training_time: 0.1, max_epochs: 2}}
        engine:
          kind: platform
          base_url: {url}
          api_key: ${{env:MOSTLY_API_KEY}}
        tables:
          people:
            source: raw/people.parquet
            primary_key: id
            columns: {{region: categorical, amount: numeric}}
        generation: {{size: {{people: 100}}, seed: 3}}
        """))
    return proj


@pytest.mark.engine
def test_platform_run_and_no_secret_anywhere(server, monkeypatch):
    proj = _project(server["root"], server["url"])
    res = compile_spec(proj / "spec.yaml", out_dir=proj / "build")
    assert res.ok, [str(d) for d in res.diagnostics]
    res.write()
    manifest = proj / "build" / "manifest.json"

    monkeypatch.delenv("MOSTLY_API_KEY", raising=False)
    r = run_manifest(manifest)
    assert not r.ok and [d.code for d in r.diagnostics] == ["R042"]

    monkeypatch.setenv("MOSTLY_API_KEY", "sk-wrong")
    r = run_manifest(manifest)
    assert not r.ok and [d.code for d in r.diagnostics] == ["R043"]
    assert "rejected the credentials" in r.diagnostics[0].message

    monkeypatch.setenv("MOSTLY_API_KEY", SECRET)
    said: list[str] = []
    r = run_manifest(manifest, progress=said.append)
    assert r.ok, [f"{d.code} {d.message}" for d in r.diagnostics]
    assert r.rows == {"people": 100}
    out = pd.read_parquet(r.outputs["people"])
    assert list(out.columns) == ["id", "region", "amount"] and out["id"].is_unique
    import json

    rec = json.loads(r.record_path.read_text())
    assert rec["engine"]["kind"] == "platform" and rec["engine"]["base_url"] == server["url"]
    assert rec["engine"]["api_key_env"] == "MOSTLY_API_KEY"
    assert any("platform" in s for s in said)
    # the key is nowhere: not in any file written (project, build, outputs, record, logs, server home)
    checked = 0
    for p in server["root"].rglob("*"):
        if p.is_file():
            checked += 1
            assert SECRET.encode() not in p.read_bytes(), p
    assert checked > 10
    assert not any(SECRET in s for s in said) and not any(SECRET in d.message for d in r.diagnostics)
