"""Engine selection: the local MOSTLY AI engine, or a MOSTLY AI server (``engine: {kind: platform}``).

The spec names the server and its credentials; secrets are **environment references only**::

    engine:
      kind: platform
      base_url: https://mostly.example.org        # or ${env:MOSTLY_BASE_URL}
      api_key: ${env:MOSTLY_API_KEY}

Compile checks the form (M040–M044) and writes only the reference into the manifest
(``api_key_env: MOSTLY_API_KEY``); the key is read from the environment by ``synthspec run`` at the
moment it connects (R042 when it is not set) and is never written to an artifact, a log or the
run record. A message never repeats a value that was given where a reference was expected.

SDK 6.2.0's ``MostlyAI(base_url=...)`` (CLIENT mode) has no ``api_key`` argument, so the key is sent
as an HTTP header (``api_key_header``, default ``X-MOSTLY-API-KEY``, the MOSTLY AI platform's
header) on every request of the client's sub-clients.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

ENV_REF = re.compile(r"^\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}$")
DEFAULT_HEADER = "X-MOSTLY-API-KEY"


class EngineConfigError(Exception):
    """The engine cannot be reached or configured; ``code`` is the run diagnostic."""

    def __init__(self, message: str, code: str = "R042", help: str | None = None):
        super().__init__(message)
        self.code = code
        self.help = help


def env_name(value: str | None) -> str | None:
    """``${env:NAME}`` → ``NAME``; anything else → None."""
    m = ENV_REF.match(value or "")
    return m.group(1) if m else None


# --------------------------------------------------------------------------------------------
# compile


def check_engine(doc, spec) -> list:
    """Model-stage checks of ``engine`` and ``output.mode`` (M040–M044). Never echoes a secret.

    M040 and M041 point at the ``engine:`` key, not at the value, so that the renderers' source
    excerpt does not print the secret either.
    """
    from .codes import make

    out = []
    e = spec.engine
    ep = ("engine",)
    if e.kind == "platform":
        if not e.base_url:
            out.append(make("M042", "`engine: {kind: platform}` needs `base_url`", span=doc.locate(ep), path=ep,
                            help="the server's URL, e.g. `base_url: https://mostly.example.org` or `${env:NAME}`"))
        elif not env_name(e.base_url):
            parts = urlsplit(e.base_url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                out.append(make("M041", "`engine.base_url` is not an http(s) URL", span=doc.locate(ep + ("base_url",)),
                                path=ep + ("base_url",), help="e.g. `https://mostly.example.org`"))
            elif parts.username or parts.password or parts.query:
                out.append(make("M041", "`engine.base_url` carries credentials (user info or a query); they would be "
                                        "written into the manifest (the value is not shown)",
                                span=doc.locate(ep, key=True), path=ep + ("base_url",),  # no excerpt of the value
                                help="remove them; give the key as `api_key: ${env:NAME}`"))
        if e.api_key is not None and not env_name(e.api_key):
            out.append(make("M040", "`engine.api_key` must be an environment reference `${env:NAME}`; a key written "
                                    "in the spec would end up in git and in artifacts (the value is not shown)",
                            span=doc.locate(ep, key=True), path=ep + ("api_key",),  # the excerpt must not show the key
                            help="export the key in an environment variable and write `api_key: ${env:MOSTLY_API_KEY}`"
                                 "; rotate the key if this spec was ever committed"))
    else:
        if e.api_key is not None and not env_name(e.api_key):
            out.append(make("M040", "`engine.api_key` must be an environment reference `${env:NAME}` (the value is "
                                    "not shown)", span=doc.locate(ep, key=True), path=ep + ("api_key",),
                            help="write `api_key: ${env:MOSTLY_API_KEY}`; rotate the key if it was committed"))
        extra = [k for k in ("base_url", "api_key") if getattr(e, k) is not None]
        if extra:
            out.append(make("M043", f"`engine.{extra[0]}` is ignored with `kind: local`", span=doc.locate(ep), path=ep,
                            help="set `kind: platform` to run against a MOSTLY AI server, or remove it"))
    if spec.output.mode == "overwrite" and spec.output.kind != "spark":
        out.append(make("M044", f"`output.mode: overwrite` is only allowed for `kind: spark`; {spec.output.kind} "
                                "outputs are versioned folders and never overwritten",
                        span=doc.locate(("output", "mode")), path=("output", "mode"),
                        help="remove `mode`, or write to Spark tables"))
    return out


def manifest_engine(engine: Mapping[str, Any], local_dir_rel: str) -> dict:
    """The manifest's ``engine`` entry: references, never values."""
    out: dict[str, Any] = {"kind": engine.get("kind", "local"), "local_dir": local_dir_rel}
    if out["kind"] == "platform":
        out["base_url"] = engine.get("base_url")
        out["api_key_env"] = env_name(engine.get("api_key"))
        out["api_key_header"] = engine.get("api_key_header") or DEFAULT_HEADER
    return out


# --------------------------------------------------------------------------------------------
# run


def resolve_base_url(engine: Mapping[str, Any]) -> str:
    raw = engine.get("base_url")
    name = env_name(raw)
    if name:
        val = os.environ.get(name)
        if not val:
            raise EngineConfigError(f"environment variable {name} (engine.base_url) is not set",
                                    help=f"export {name}=https://... before `synthspec run`")
        return val
    if not raw:
        raise EngineConfigError("`engine: {kind: platform}` without `base_url`", code="R001")
    return raw


def api_key(engine: Mapping[str, Any]) -> str | None:
    """The key from the environment (None when the manifest names none)."""
    name = engine.get("api_key_env")
    if not name:
        return None
    val = os.environ.get(name)
    if not val:
        raise EngineConfigError(f"environment variable {name} (engine.api_key) is not set",
                                help=f"export {name} with the platform's API key before `synthspec run`")
    return val


def connect(engine: Mapping[str, Any] | None, local_dir):
    """A ``MostlyAI`` client for the manifest's engine (local: the in-process server)."""
    from mostlyai.sdk import MostlyAI

    engine = dict(engine or {"kind": "local"})
    if engine.get("kind", "local") == "local":
        return MostlyAI(local=True, local_dir=str(local_dir), quiet=True)
    url = resolve_base_url(engine)
    key = api_key(engine)
    client = MostlyAI(base_url=url, quiet=True, test_connection=False)
    if key is not None:
        _attach_key(client, engine.get("api_key_header") or DEFAULT_HEADER, key)
    try:  # fail here, with a clear message, rather than at the first training call
        next(client.generators.list(limit=1), None)
    except Exception as e:  # noqa: BLE001 — httpx/APIError; the message never contains the key
        status = getattr(e, "status_code", None) or getattr(getattr(e, "response", None), "status_code", None)
        what = "rejected the credentials" if status in (401, 403) or "401" in str(e) or "403" in str(e) else \
            "is not reachable"
        raise EngineConfigError(f"the MOSTLY AI server at {_safe_url(url)} {what}: {type(e).__name__}",
                                code="R043", help="check engine.base_url and the key's environment variable") from None
    return client


def _attach_key(client, header: str, key: str) -> None:
    """Send ``header: key`` on every request of the client and its sub-clients (in memory only)."""
    for c in (client, client.connectors, client.generators, client.synthetic_datasets, client.synthetic_probes):
        base = c.headers

        def headers(_base=base):
            return {**_base(), header: key}

        c.headers = headers


def _safe_url(url: str) -> str:
    p = urlsplit(url)
    host = p.hostname or ""
    return f"{p.scheme}://{host}{':' + str(p.port) if p.port else ''}{p.path}"


def describe(engine: Mapping[str, Any] | None, engine_dir, log_path) -> dict:
    """The run record's ``engine`` entry (no secrets: the key's variable name only)."""
    engine = dict(engine or {"kind": "local"})
    out = {"kind": engine.get("kind", "local"), "local_dir": str(engine_dir), "log": str(log_path)}
    if out["kind"] == "platform":
        raw = engine.get("base_url") or ""
        out["base_url"] = raw if env_name(raw) else _safe_url(raw)
        out["api_key_env"] = engine.get("api_key_env")
    return out
