"""Execute a compiled manifest with the local MOSTLY AI engine.

Steps (each timed, each reported through the ``progress`` callback):

1. **load** the manifest, ``generator.json`` and ``generate.json``; read the *full* bound source
   tables (:mod:`compiler.run_io`); check source keys (R003, R004) and drift from what compile
   saw (R019).
2. **transform**: build each table's engine frame with exactly the key and modelled columns of
   ``generator.json`` (its order). A ``surrogate_key`` transform builds its column from the
   component columns: the value is the compact JSON array of the components
   (``["P01",17]``: integers as JSON integers, integral floats as integers so that an ``int``
   parent key and a ``float`` child key holding NULLs encode alike, other floats as JSON numbers,
   dates/timestamps as ISO strings, strings as strings), NULL when any component is NULL.
3. **train** with ``MostlyAI(local=True, local_dir=..., quiet=True)``, polling
   ``g.training.progress()``; a status other than DONE is R006 with the engine's own message
   (picked from its stderr, which is redirected into ``<local_dir>/synthspec/logs/`` while a job
   starts: the engine's job subprocess inherits the parent's file descriptors 1 and 2). The
   generator is exported as a ZIP into ``<local_dir>/synthspec/generators/<training key>/``.
   **Reuse:** the *training key* is the sha256 of everything that determines the trained model:
   ``generator.json``, the key layout and transforms, a digest of the actual training frames,
   and the SDK and engine versions. A rerun with the same key imports the ZIP instead of training
   (``retrain=True`` forces training). The key is deliberately narrower than the manifest's
   sha256 (a new output path or sample size reuses the generator) and wider (changed source data
   under an unchanged manifest trains again).
4. **generate** with ``generate.json`` (R007 on failure) and fetch the synthetic tables.
5. **restore** keys and dtypes (:mod:`compiler.keys`): fresh keys of the source's format,
   consistently across parents and children; composite keys get their components back; excluded
   columns come back as all-NULL columns of their source type, so that the output schema is the
   source's columns that are keys, modelled or excluded, in source order.
6. **verify** before writing (R010–R014): PK unique and non-null, every FK resolves (NULL only
   for non-context FKs), subject-table sizes, schema equal to the source's.
7. **write** a new version folder atomically (data, ``report/`` with MOSTLY AI's HTML reports,
   ``metrics.json`` and ``summary.md``, and the run record ``run.json``), then move ``LATEST``.
   Quality thresholds are checked after the report is written: a run below them keeps its
   version folder for inspection but does not move ``LATEST`` and fails with R016.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import platform
import re
import socket
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterator

from .codes import make
from .diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics

KNOWN_CHECKS = ("pk_unique", "pk_not_null", "fk_resolves", "subject_sizes", "schema_matches_source")
RUN_RECORD_VERSION = 1
_POLL_SECONDS = 1.0


@dataclass
class RunResult:
    """What :func:`run_manifest` did.

    ``outputs`` maps each table to its data file (for sqlite/duckdb: the database file; the
    table name inside it is in ``run.json``). Paths point into the final version folder.
    """

    ok: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    version_dir: Path | None = None
    outputs: dict[str, Path] = field(default_factory=dict)
    report_dir: Path | None = None
    metrics: dict[str, Any] = field(default_factory=dict)
    record_path: Path | None = None
    timings: dict[str, float] = field(default_factory=dict)
    reused: bool = False
    training_key: str | None = None
    rows: dict[str, int] = field(default_factory=dict)
    peak_rss_mb: float | None = None


class _Fail(Exception):
    def __init__(self, *diags: Diagnostic):
        super().__init__(diags[0].message if diags else "run failed")
        self.diags = list(diags)


def _fail(code: str, message: str, **kw) -> _Fail:
    return _Fail(make(code, message, **kw))


# --------------------------------------------------------------------------------------------
# manifest


@dataclass
class _Manifest:
    path: Path
    dir: Path
    sha256: str
    data: dict
    generator: dict
    generate: dict

    @property
    def tables(self) -> list[dict]:
        return self.data["tables"]

    def table(self, name: str) -> dict:
        return next(t for t in self.tables if t["name"] == name)


def _strip_schema(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "$schema"}


def _json_fail(path: Path, e: Exception, **kw) -> _Fail:
    """R001 for an unreadable or malformed JSON file, located at the parser's line and column."""
    from .diagnostics import Span

    if isinstance(e, json.JSONDecodeError):
        return _fail("R001", f"{path} is not valid JSON: {e.msg}", span=Span(file=str(path), line=e.lineno,
                                                                          column=e.colno), **kw)
    return _fail("R001", f"cannot read {path}: {getattr(e, 'strerror', None) or e}", span=Span(file=str(path)), **kw)


def load_manifest(path: Path) -> _Manifest:
    """Read and shape-check a manifest and its two artifacts (R001)."""
    from .run_io import resolve

    path = Path(path)
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
    except (OSError, ValueError) as e:
        raise _json_fail(path, e) from e
    if not isinstance(data, dict):
        raise _fail("R001", f"{path}: the manifest is not a JSON object")
    if data.get("manifest_version") != 1:
        raise _fail("R001", f"{path}: manifest_version {data.get('manifest_version')!r} is not supported (1)",
                    help="compile the spec again with this synthspec version")
    missing = [k for k in ("name", "tables", "artifacts", "output") if k not in data]
    if missing:
        raise _fail("R001", f"{path}: missing key(s) {', '.join(missing)}")
    base = path.parent
    arts = {}
    for key in ("generator", "generate"):
        rel = (data.get("artifacts") or {}).get(key)
        if not rel:
            raise _fail("R001", f"{path}: artifacts.{key} is missing")
        p = resolve(base, rel)
        try:
            arts[key] = json.loads(p.read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise _json_fail(p, e, help="compile again so that all three artifacts are written together") from e
    engine = data.get("engine") or {"kind": "local"}
    if engine.get("kind", "local") not in ("local", "platform"):
        raise _fail("R021", f"engine kind {engine.get('kind')!r} is not supported (local, platform)")
    gen_tables = {t["name"] for t in arts["generator"].get("tables") or []}
    man_tables = [t["name"] for t in data["tables"]]
    if set(man_tables) != gen_tables:
        raise _fail("R001", f"the manifest's tables {sorted(man_tables)} differ from generator.json's {sorted(gen_tables)}",
                    help="compile again so that all three artifacts are written together")
    return _Manifest(path=path, dir=base, sha256=hashlib.sha256(raw).hexdigest(), data=data,
                     generator=arts["generator"], generate=arts["generate"])


# --------------------------------------------------------------------------------------------
# key encoding shared by transforms and checks


def _norm(v):
    import math

    import numpy as np
    import pandas as pd

    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        if math.isnan(v):
            return None
        return int(v) if float(v).is_integer() else float(v)
    if isinstance(v, (datetime, date, pd.Timestamp)):
        return v.isoformat()
    return str(v)


def key_strings(df, columns: list[str]) -> list[str | None]:
    """The surrogate encoding of ``columns`` per row: a compact JSON array, None if any part is NULL."""
    cols = [df[c].astype(object).tolist() for c in columns]
    out: list[str | None] = []
    for parts in zip(*cols):
        normed = [_norm(p) for p in parts]
        out.append(None if any(p is None for p in normed)
                   else json.dumps(normed, separators=(",", ":"), ensure_ascii=False))
    return out


def _fmt_cols(cols) -> str:
    return "(" + ", ".join(cols) + ")"


# --------------------------------------------------------------------------------------------
# load + transform


def _load_sources(m: _Manifest, say) -> tuple[dict, list[Diagnostic]]:
    from .run_io import SourceError, read_source

    frames, diags = {}, []
    for t in m.tables:
        src = t.get("source")
        if not src:
            raise _fail("R002", f"table `{t['name']}` has no bound source", path=("tables", t["name"], "source"))
        try:
            df = read_source(src, m.dir)
        except SourceError as e:
            raise _fail("R002", f"table `{t['name']}`: {e}", path=("tables", t["name"], "source")) from e
        needed = _needed_columns(t)
        missing = [c for c in needed if c not in df.columns]
        if missing:
            raise _fail("R002", f"table `{t['name']}`: column(s) {', '.join(missing)} not in the source",
                        help="compile again against the current data", path=("tables", t["name"]))
        frames[t["name"]] = df
        say(f"load: {t['name']} ({len(df)} rows, {len(df.columns)} columns)")
        diags += _drift(t, df)
    return frames, diags


def _needed_columns(t: dict) -> list[str]:
    cols: list[str] = []
    if t.get("primary_key"):
        cols += t["primary_key"]["columns"]
    for fk in t.get("foreign_keys") or []:
        cols += fk["columns"]
    cols += [c["name"] for c in t.get("columns") or []]
    return list(dict.fromkeys(cols))


def _drift(t: dict, df) -> list[Diagnostic]:
    seen = t.get("source_columns")
    if not seen:
        return []
    diags = []
    was = {c["name"]: str(c.get("dtype")) for c in seen}
    for name, dtype in was.items():
        if name not in df.columns:
            diags.append(make("R019", f"table `{t['name']}`: column `{name}` was in the source when compiled, "
                                      "not any more", path=("tables", t["name"])))
        elif dtype not in ("None", str(df[name].dtype)):
            diags.append(make("R019", f"table `{t['name']}`: column `{name}` is {df[name].dtype} at run time, "
                                      f"{dtype} when compiled", path=("tables", t["name"])))
    return diags


def _check_source_keys(m: _Manifest, sources: dict) -> list[Diagnostic]:
    diags: list[Diagnostic] = []
    pk_sets: dict[str, set] = {}
    for t in m.tables:
        name, df = t["name"], sources[t["name"]]
        pk = t.get("primary_key")
        if pk:
            ks = key_strings(df, pk["columns"])
            nulls = sum(k is None for k in ks)
            vals = [k for k in ks if k is not None]
            s = set(vals)
            dups = len(vals) - len(s)
            if nulls or dups:
                parts = []
                if dups:
                    parts.append(f"{dups} duplicate value(s)")
                if nulls:
                    parts.append(f"{nulls} NULL value(s)")
                diags.append(make("R003", f"table `{name}`: primary key {_fmt_cols(pk['columns'])} has "
                                          + " and ".join(parts) + " in the source",
                                  help="the engine keeps one row per key and drops the rest silently; fix the key",
                                  path=("tables", name, "primary_key")))
            pk_sets[name] = s
    for t in m.tables:
        df = sources[t["name"]]
        for fk in t.get("foreign_keys") or []:
            parent = pk_sets.get(fk["references"])
            if parent is None:
                continue
            ks = key_strings(df, fk["columns"])
            orphans = sum(1 for k in ks if k is not None and k not in parent)
            nulls = sum(1 for k in ks if k is None)
            if orphans or (fk.get("context") and nulls):
                what = f"{orphans} row(s) with no parent in `{fk['references']}`"
                if fk.get("context") and nulls:
                    what += f" and {nulls} NULL row(s)"
                effect = "the engine ignores these rows" if fk.get("context") else "the engine treats them as NULL"
                diags.append(make("R004", f"table `{t['name']}`: foreign key {_fmt_cols(fk['columns'])} has {what}; "
                                          f"{effect}", path=("tables", t["name"], "foreign_keys")))
    return diags


def _surrogates(m: _Manifest) -> dict[tuple[str, str], list[str]]:
    out = {}
    for tr in m.data.get("transforms") or []:
        if tr.get("op") != "surrogate_key":
            raise _fail("R001", f"unknown transform op {tr.get('op')!r}", path=("transforms",))
        out[(tr["table"], tr["column"])] = list(tr["components"])
    return out


def build_engine_frames(m: _Manifest, sources: dict) -> dict:
    """Per table, the DataFrame the engine trains on: generator.json's columns, surrogates built."""
    import pandas as pd

    surr = _surrogates(m)
    frames = {}
    gtables = {t["name"]: t for t in m.generator["tables"]}
    for t in m.tables:
        name = t["name"]
        src = sources[name]
        cols = [c["name"] for c in gtables[name].get("columns") or []]
        data = {}
        for c in cols:
            if (name, c) in surr:
                data[c] = pd.Series(key_strings(src, surr[(name, c)]), dtype=object)
            elif c in src.columns:
                data[c] = src[c].reset_index(drop=True)
            else:
                raise _fail("R002", f"table `{name}`: column `{c}` of generator.json is not in the source")
        frame = pd.DataFrame(data, columns=cols)
        # a single-column FK read as float (NULLs in an int column) must match an int parent key
        for fk in t.get("foreign_keys") or []:
            c = fk["model_column"]
            if (name, c) in surr or c not in frame.columns:
                continue
            parent = sources[fk["references"]]
            pcol = m.table(fk["references"])["primary_key"]["columns"][0]
            if pd.api.types.is_float_dtype(frame[c].dtype) and pd.api.types.is_integer_dtype(parent[pcol].dtype):
                s = frame[c]
                if ((s.dropna() % 1) == 0).all():
                    frame[c] = s.astype("Int64")
        frames[name] = frame
    return frames


def _frame_digest(df) -> str:
    import pandas as pd

    h = hashlib.sha256()
    h.update(json.dumps([[str(c), str(df[c].dtype)] for c in df.columns]).encode())
    h.update(pd.util.hash_pandas_object(df, index=False).to_numpy().tobytes())
    return h.hexdigest()


def training_key(m: _Manifest, frames: dict, versions: dict) -> str:
    """sha256 of what determines the trained generator (see module docstring)."""
    layout = [{k: t.get(k) for k in ("name", "primary_key", "foreign_keys", "columns")} for t in m.tables]
    payload = {
        "generator": _strip_schema(m.generator),
        "layout": layout,
        "transforms": m.data.get("transforms") or [],
        "data": {name: _frame_digest(df) for name, df in sorted(frames.items())},
        "versions": {k: versions.get(k) for k in ("mostlyai", "mostlyai-engine")},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


# --------------------------------------------------------------------------------------------
# engine


def _versions() -> dict[str, str | None]:
    import importlib.metadata as md

    from . import __version__ as ss_version  # type: ignore[attr-defined]

    out: dict[str, str | None] = {"synthspec": ss_version, "python": platform.python_version()}
    for pkg in ("mostlyai", "mostlyai-engine", "mostlyai-qa", "pandas", "pyarrow", "torch"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            out[pkg] = None
    return out


class _Engine:
    """The local SDK with its output kept off our stdout/stderr.

    ``capture()`` points file descriptors 1 and 2 at the run's engine log while an SDK call runs.
    The training/generation subprocess is started during such a call and inherits the log as
    its stdout/stderr for its whole life, so the engine's warnings and tracebacks land there.
    """

    def __init__(self, local_dir: Path, log_path: Path, config: dict | None = None):
        self.local_dir = local_dir
        self.log_path = log_path
        self.config = dict(config or {"kind": "local"})  # the manifest's engine (compiler/platform.py)
        self.remote = self.config.get("kind", "local") != "local"
        self.mostly = None
        self._quiet_before = None
        self.peak_rss = 0

    def __enter__(self) -> "_Engine":
        import rich

        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        console = rich.get_console()
        self._quiet_before = console.quiet
        try:
            with self.capture():
                from .platform import EngineConfigError, connect

                try:
                    self.mostly = connect(self.config, self.local_dir)
                except EngineConfigError as e:
                    raise _fail(e.code, str(e), help=e.help, path=("engine",)) from None
        except _Fail:
            console.quiet = self._quiet_before
            raise
        except Exception as e:  # the SDK wraps import failures in APIError; report its words
            console.quiet = self._quiet_before
            raise _fail("R005", f"{type(e).__name__}: {e}",
                        help="set up the environment with `make venv` (MOSTLYAI.md §0)") from e
        return self

    def __exit__(self, *exc) -> None:
        import rich

        server = getattr(self.mostly, "local_server", None)
        if server is not None:
            with self.capture():
                try:
                    server.stop()
                finally:
                    server._server = None  # its __del__ would stop it again and print to stdout
        rich.get_console().quiet = self._quiet_before

    def log_offset(self) -> int:
        return self.log_path.stat().st_size if self.log_path.exists() else 0

    def log_since(self, offset: int) -> str:
        if not self.log_path.exists():
            return ""
        with open(self.log_path, "rb") as fh:
            fh.seek(offset)
            return fh.read().decode("utf-8", "replace")

    @contextmanager
    def capture(self) -> Iterator[None]:
        for s in (sys.stdout, sys.stderr):
            try:
                s.flush()
            except (AttributeError, ValueError):
                pass
        fd = os.open(self.log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        saved = (os.dup(1), os.dup(2))
        try:
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            yield
        finally:
            for s in (sys.stdout, sys.stderr):
                try:
                    s.flush()
                except (AttributeError, ValueError):
                    pass
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
            os.close(fd)

    def sample_rss(self) -> None:
        try:
            import psutil

            me = psutil.Process()
            total = me.memory_info().rss
            for c in me.children(recursive=True):
                try:
                    total += c.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_rss = max(self.peak_rss, total)
        except Exception:  # memory sampling is informative only
            pass

    def job_alive(self, resource_id: str) -> bool | None:
        """Whether an engine subprocess for ``resource_id`` still runs (None: cannot tell)."""
        if self.remote:  # the job runs on the server
            return None
        try:
            import psutil

            for c in psutil.Process().children(recursive=True):
                try:
                    if resource_id in " ".join(c.cmdline()) and c.status() != psutil.STATUS_ZOMBIE:
                        return True
                except psutil.Error:
                    continue
            return False
        except Exception:
            return None

    def wait(self, job, resource_id: str, verb: str, say) -> Any:
        """Poll ``job.progress()`` until the job ends; report step changes. Returns the last progress."""
        from mostlyai.sdk.domain import ProgressStatus

        terminal = {ProgressStatus.done, ProgressStatus.failed, ProgressStatus.canceled}
        last: dict[str, tuple] = {}
        gone = 0
        while True:
            p = job.progress()
            self.sample_rss()
            for step in p.steps or []:
                label = " ".join(x for x in (step.model_label or "", str(step.step_code.value if step.step_code else ""))
                                 if x)
                pv = step.progress
                pct = int(100 * pv.value / pv.max) if pv and pv.max else 0
                # report a step when it ends, and while it runs at every quarter of its progress
                if step.status in terminal:
                    state = (step.status, 4)
                elif step.status == ProgressStatus.in_progress and pct > 0:
                    state = (step.status, pct // 25)
                else:
                    continue
                if last.get(step.id) != state:
                    last[step.id] = state
                    if step.status in terminal:
                        say(f"{verb}: {label} {step.status.value.lower()}")
                    else:
                        say(f"{verb}: {label} {pct}%")
            if p.status in terminal:
                return p
            if self.job_alive(resource_id) is False:
                gone += 1
                if gone >= 3:  # the engine process died without marking the job (e.g. killed)
                    return p
            else:
                gone = 0
            time.sleep(_POLL_SECONDS)


_EXC_LINE = re.compile(r"^\s*([A-Za-z_][\w.]*(Error|Exception|Interrupt))(:.*)?$")


def engine_error(log_text: str, progress=None) -> str:
    """The engine's own error message: a step's error_message, else the exception from its log."""
    for step in (getattr(progress, "steps", None) or []):
        if getattr(step, "error_message", None):
            return str(step.error_message)
    lines = log_text.splitlines()
    for line in reversed(lines):
        if "Exception message:" in line:
            return line.split("Exception message:", 1)[1].strip()
    for line in reversed(lines):
        mm = _EXC_LINE.match(line)
        if mm:
            return line.strip()
    errs = [ln.strip() for ln in lines if "ERROR" in ln or "failed" in ln.lower()]
    return errs[-1] if errs else "(the engine wrote no error message)"


# --------------------------------------------------------------------------------------------
# restore + verify


def _table_keys(m: _Manifest):
    from .keys import ForeignKeySpec, KeySpec, TableKeys

    out = []
    for t in m.tables:
        pk = t.get("primary_key")
        out.append(TableKeys(
            name=t["name"],
            primary_key=KeySpec(tuple(pk["columns"]), pk["model_column"]) if pk else None,
            foreign_keys=tuple(ForeignKeySpec(tuple(fk["columns"]), fk["model_column"], references=fk["references"],
                                              context=bool(fk.get("context"))) for fk in t.get("foreign_keys") or []),
        ))
    return out


def expected_columns(t: dict, source) -> list[str]:
    """The output schema's columns: source columns that are keys, modelled or excluded, source order."""
    keep = set(_needed_columns(t)) | set(t.get("excluded_columns") or [])
    return [c for c in source.columns if c in keep]


def restore(m: _Manifest, synthetic: dict, sources: dict, *, seed: int) -> tuple[dict, list[Diagnostic]]:
    """Keys and dtypes back to the source's (see :mod:`compiler.keys`)."""
    from .fake import fake_values
    from .keys import KeyRestoreError, empty_like, restore_column, restore_keys

    diags: list[Diagnostic] = []
    missing = [t["name"] for t in m.tables if t["name"] not in synthetic]
    if missing:
        raise _fail("R007", f"the engine returned no data for table(s) {', '.join(missing)}")
    try:
        res = restore_keys(synthetic, sources, _table_keys(m), seed=seed)
    except KeyRestoreError as e:
        raise _fail("R009", str(e)) from e
    for note in res.notes:
        diags.append(make("R020", note))
    for (table, col), n in sorted(res.unresolved.items()):
        diags.append(make("R012", f"table `{table}`: {n} synthetic value(s) of foreign key `{col}` are no generated "
                                  "parent key"))
    import pandas as pd

    out = {}
    for t in m.tables:
        name = t["name"]
        df = res.tables[name].reset_index(drop=True)
        src = sources[name]
        cols = {}
        fakes = {f["name"]: f["kind"] for f in t.get("fake") or []}
        for c in expected_columns(t, src):
            if c in df.columns:
                try:
                    cols[c] = restore_column(df[c], src[c]).reset_index(drop=True)
                except KeyRestoreError as e:
                    raise _fail("R009", f"table `{name}`: {e}") from e
            elif c in fakes:
                cols[c] = fake_values(fakes[c], src[c], len(df), seed=seed, salt=f"{name}.{c}")
            elif c in (t.get("excluded_columns") or []):
                cols[c] = empty_like(src[c], len(df))
            else:
                raise _fail("R009", f"table `{name}`: the engine returned no column `{c}`")
        out[name] = pd.DataFrame(cols, columns=list(cols)) if cols else pd.DataFrame(index=range(len(df)))
    return out, diags


def verify(m: _Manifest, frames: dict, sources: dict) -> list[Diagnostic]:
    """The manifest's ``checks`` on the restored frames (R010–R014, R018)."""
    from .keys import logical_type

    checks = list(m.data.get("checks") or KNOWN_CHECKS)
    diags = [make("R018", f"unknown check `{c}`; it was not run", path=("checks",)) for c in checks
             if c not in KNOWN_CHECKS]
    pk_sets: dict[str, set] = {}
    for t in m.tables:
        name, df = t["name"], frames[t["name"]]
        pk = t.get("primary_key")
        if not pk:
            continue
        ks = key_strings(df, pk["columns"])
        vals = [k for k in ks if k is not None]
        pk_sets[name] = set(vals)
        if "pk_not_null" in checks and len(vals) < len(ks):
            diags.append(make("R011", f"table `{name}`: primary key {_fmt_cols(pk['columns'])} has "
                                      f"{len(ks) - len(vals)} NULL value(s)"))
        if "pk_unique" in checks and len(pk_sets[name]) < len(vals):
            diags.append(make("R010", f"table `{name}`: primary key {_fmt_cols(pk['columns'])} has "
                                      f"{len(vals) - len(pk_sets[name])} duplicate value(s)"))
    if "fk_resolves" in checks:
        for t in m.tables:
            df = frames[t["name"]]
            for fk in t.get("foreign_keys") or []:
                parent = pk_sets.get(fk["references"], set())
                ks = key_strings(df, fk["columns"])
                isna = df[fk["columns"]].isna()
                allnull = int(isna.all(axis=1).sum())
                partial = int((isna.any(axis=1) & ~isna.all(axis=1)).sum())
                bad = sum(1 for k in ks if k is not None and k not in parent)
                if bad:
                    diags.append(make("R012", f"table `{t['name']}`: {bad} value(s) of {_fmt_cols(fk['columns'])} "
                                              f"match no key of `{fk['references']}`"))
                if fk.get("context") and allnull:
                    diags.append(make("R012", f"table `{t['name']}`: context foreign key {_fmt_cols(fk['columns'])} "
                                              f"is NULL in {allnull} row(s)"))
                if partial:
                    diags.append(make("R012", f"table `{t['name']}`: {partial} row(s) have a partly NULL "
                                              f"foreign key {_fmt_cols(fk['columns'])}"))
    if "subject_sizes" in checks:
        sizes = (m.data.get("generation") or {}).get("size") or {}
        for name, n in sorted(sizes.items()):
            if name in frames and "subject" in (m.table(name).get("roles") or ["subject"]) and len(frames[name]) != n:
                diags.append(make("R013", f"table `{name}`: {len(frames[name])} rows, {n} requested"))
    if "schema_matches_source" in checks:
        for t in m.tables:
            name, df, src = t["name"], frames[t["name"]], sources[t["name"]]
            want = expected_columns(t, src)
            if list(df.columns) != want:
                diags.append(make("R014", f"table `{name}`: columns {list(df.columns)} differ from the source's {want}"))
                continue
            for c in want:
                a, b = logical_type(df[c].dtype, df[c]), logical_type(src[c].dtype, src[c])
                if a != b and not (df[c].isna().all() and c in (t.get("excluded_columns") or [])):
                    diags.append(make("R014", f"table `{name}`: column `{c}` is {a} ({df[c].dtype}), the source's is "
                                              f"{b} ({src[c].dtype})"))
    return diags


# --------------------------------------------------------------------------------------------
# the run


class _Timer:
    def __init__(self):
        self.timings: dict[str, float] = {}

    @contextmanager
    def step(self, name: str):
        t0 = time.perf_counter()
        try:
            yield
        finally:
            self.timings[name] = round(self.timings.get(name, 0.0) + time.perf_counter() - t0, 3)


def _diag_json(d: Diagnostic) -> dict:
    return {"code": d.code, "severity": d.severity.label, "message": d.message}


def run_manifest(manifest_path, *, retrain: bool = False, progress: Callable[[str], None] | None = None,
                 clock: Callable[[], datetime] | None = None, local_dir: Path | None = None) -> RunResult:
    """Train (or reuse), generate, restore, verify and write a new output version.

    Args:
        manifest_path: the compiled ``manifest.json``.
        retrain: train even when a generator for this training key is cached.
        progress: called with one short line per step and per engine step change.
        clock: returns the current time (UTC); injectable for tests.
        local_dir: the engine's folder; default: the manifest's ``engine.local_dir``.

    Returns:
        A :class:`RunResult`; ``ok`` is False when any error diagnostic was produced. Never
        raises for user-facing failures (they are R-code diagnostics).
    """
    clock = clock or (lambda: datetime.now(timezone.utc))
    say = progress or (lambda _msg: None)
    timer = _Timer()
    result = RunResult(ok=False, timings=timer.timings)
    started = clock()
    return collect(result, lambda diags: _run(Path(manifest_path), retrain=retrain, say=say, clock=clock,
                                              started=started, local_dir=local_dir, timer=timer, result=result,
                                              diags=diags))


def collect(result, body):
    """Run ``body(diags)``; a :class:`_Fail` ends it with its diagnostics. Sets ``result.diagnostics``
    (canonical order) and ``result.ok`` (no errors) and returns ``result``."""
    diags: list[Diagnostic] = []
    try:
        body(diags)
    except _Fail as f:
        diags += f.diags
    result.diagnostics = sort_diagnostics(diags)
    result.ok = not has_errors(result.diagnostics)
    return result


def _run(path: Path, *, retrain, say, clock, started, local_dir, timer: _Timer, result: RunResult,
         diags: list[Diagnostic]) -> None:
    from . import quality
    from .run_io import (OutputError, VersionWriter, atomic_write_text, dump_json, file_hashes, plan_output,
                         resolve, update_latest, version_name, write_tables)

    with timer.step("load"):
        m = load_manifest(path)
        say(f"manifest: {m.path} (sha256 {m.sha256[:12]})")
        sources, d = _load_sources(m, say)
        diags += d
        d = _check_source_keys(m, sources)
        diags += d
        if has_errors(d):
            return
    with timer.step("transform"):
        frames = build_engine_frames(m, sources)
    versions = _versions()
    key = training_key(m, frames, versions)
    result.training_key = key
    version = version_name(started, m.sha256)
    try:
        target = plan_output(m.data["output"], m.dir, name=m.data["name"], version=version,
                             tables=[t["name"] for t in m.tables])
    except OutputError as e:
        raise _fail(getattr(e, "code", "R021"), str(e), path=("output",)) from e
    engine_dir = Path(local_dir) if local_dir is not None else resolve(
        m.dir, (m.data.get("engine") or {}).get("local_dir") or ".synthspec/mostlyai")
    engine_dir = engine_dir.resolve()
    cache_dir = engine_dir / "synthspec" / "generators" / key
    log_path = engine_dir / "synthspec" / "logs" / f"{target.version}.log"
    seed = int((m.data.get("generation") or {}).get("seed") or 0)

    with timer.step("engine_start"):
        eng = m.data.get("engine") or {"kind": "local"}
        say(f"engine: starting the local MOSTLY AI engine in {engine_dir}" if eng.get("kind", "local") == "local"
            else "engine: connecting to the MOSTLY AI platform")
        engine = _Engine(engine_dir, log_path, eng).__enter__()
    try:
        g, reused = _train_or_reuse(m, engine, frames, cache_dir, retrain=retrain, say=say, timer=timer, diags=diags)
        result.reused = reused
        sd = _generate(m, engine, g, say=say, timer=timer)
        with timer.step("fetch"):
            with engine.capture():
                synthetic = sd.data(return_type="dict")
        with timer.step("metrics"):
            metrics = quality.collect_metrics(g)
        result.metrics = metrics
        with timer.step("restore"):
            say("restore: keys and dtypes")
            final, d = restore(m, synthetic, sources, seed=seed)
            diags += d
        with timer.step("verify"):
            say("verify: " + ", ".join(m.data.get("checks") or KNOWN_CHECKS))
            diags += verify(m, final, sources)
        result.rows = {t: len(df) for t, df in final.items()}
        if has_errors(diags):
            return
        qdiags = quality.check_thresholds(metrics, m.data.get("quality"))
        diags += qdiags
        try:
            with VersionWriter(target) as w:
                with timer.step("write"):
                    say(f"write: {target.kind} into {target.version_dir}")
                    written = write_tables(final, target, w.path,
                                           sources={t["name"]: t.get("source") for t in m.tables}, base_dir=m.dir)
                with timer.step("report"):
                    with engine.capture():
                        reports = quality.write_reports(w.path / "report", g, sd)
                    atomic_write_text(w.path / "report" / "metrics.json", dump_json(metrics))
                    atomic_write_text(w.path / "report" / "summary.md", quality.summary_markdown(
                        name=m.data["name"], version=target.version, metrics=metrics, rows=result.rows,
                        quality=m.data.get("quality"), findings=qdiags, reused=reused, reports=reports))
                engine.sample_rss()
                result.peak_rss_mb = round(engine.peak_rss / 2**20, 1) if engine.peak_rss else None
                files = file_hashes(w.path)
                record = _record(m, target=target, version=target.version, started=started, ended=clock(),
                                 versions=versions, key=key, reused=reused, cache_dir=cache_dir, g=g, sd=sd,
                                 engine_dir=engine_dir, log_path=log_path, timings=dict(timer.timings),
                                 metrics=metrics, rows=result.rows, written=written, files=files,
                                 diags=sort_diagnostics(diags), peak_rss_mb=result.peak_rss_mb)
                atomic_write_text(w.path / "run.json", dump_json(record))
                final_dir = w.commit()
        except _Fail:
            raise
        except Exception as e:  # any writer failure (OS, pyarrow, sqlite, duckdb) leaves no version
            code = getattr(e, "code", None) if type(e).__name__ == "SparkOutputError" else None  # R040/R041
            raise _fail(code or "R015", f"{target.root}: {type(e).__name__}: {e}", help="nothing was written as a "
                        "version; run again (the trained generator is reused)") from e
        result.version_dir = final_dir
        result.outputs = {t: final_dir / rel for t, rel in written.tables.items()}
        result.report_dir = final_dir / "report"
        result.record_path = final_dir / "run.json"
        if not has_errors(qdiags):
            update_latest(target.root, target.version)
            say(f"done: {final_dir}")
        else:
            say(f"done, below quality thresholds (LATEST not moved): {final_dir}")
        _cleanup(engine, sd, g if reused else None)
    finally:
        engine.__exit__(None, None, None)


def _cleanup(engine: _Engine, sd, imported_g) -> None:
    """Delete the synthetic dataset (it was copied out) and an imported generator copy."""
    with engine.capture():
        for obj in (sd, imported_g):
            if obj is None:
                continue
            try:
                obj.delete()
            except Exception:  # best effort: leftovers only cost disk in local_dir
                pass


def _train_or_reuse(m: _Manifest, engine: _Engine, frames: dict, cache_dir: Path, *, retrain: bool, say,
                    timer: _Timer, diags: list[Diagnostic]):
    from mostlyai.sdk.domain import GeneratorConfig, ProgressStatus

    zip_path = cache_dir / "generator.zip"
    if zip_path.exists() and not retrain:
        with timer.step("import"):
            say(f"reuse: importing the generator trained for this key ({cache_dir.name[:12]})")
            try:
                with engine.capture():
                    g = engine.mostly.generators.import_from_file(zip_path)
                if g.training_status == ProgressStatus.done:
                    return g, True
                raise RuntimeError(f"imported generator has status {g.training_status.value}")
            except Exception as e:  # a broken cache entry must not block the run: train again
                diags.append(make("R008", f"cannot import {zip_path}: {type(e).__name__}: {e}; training again"))
    cfg = _strip_schema(m.generator)
    cfg["tables"] = [dict(t, data=frames[t["name"]]) for t in cfg["tables"]]
    try:
        config = GeneratorConfig.model_validate(cfg)
    except ValueError as e:
        raise _fail("R001", f"generator.json is not a valid GeneratorConfig: {e}") from e
    with timer.step("train"):
        g = _engine_job(engine, "train", "R006", say, rejected="the engine rejected the training: ",
                        start=lambda: engine.mostly.train(config=config, start=True, wait=False, progress_bar=False),
                        job=lambda g: g.training, status=lambda g: g.training_status, what="training")
    with timer.step("export"):
        say("export: generator ZIP")
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cache_dir / f".export-{os.getpid()}"
        tmp.mkdir(exist_ok=True)
        try:
            with engine.capture():
                exported = g.export_to_file(tmp)
            os.replace(exported, zip_path)
            (cache_dir / "generator-info.json").write_text(json.dumps(
                {"generator_id": g.id, "manifest_sha256": m.sha256, "training_key": cache_dir.name},
                indent=2, sort_keys=True) + "\n")
        finally:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    return g, False


def _generate(m: _Manifest, engine: _Engine, g, *, say, timer: _Timer):
    from mostlyai.sdk.domain import SyntheticDatasetConfig

    try:
        config = SyntheticDatasetConfig.model_validate(with_seeds(m, _strip_schema(m.generate)))
    except ValueError as e:
        raise _fail("R001", f"generate.json is not a valid SyntheticDatasetConfig: {e}") from e
    with timer.step("generate"):
        return _engine_job(engine, "generate", "R007", say, rejected="",
                           start=lambda: engine.mostly.generate(g, config=config, start=True, wait=False,
                                                                progress_bar=False),
                           job=lambda sd: sd.generation, status=lambda sd: sd.generation_status, what="generation")


def _engine_job(engine: _Engine, label: str, code: str, say, *, start, job, status, what: str, rejected: str):
    """Start an engine job, follow its progress, and turn any end but DONE into ``code`` with the engine's
    own error (the SDK does not raise for failed jobs)."""
    from mostlyai.sdk.domain import ProgressStatus

    say(f"{label}: starting")
    offset = engine.log_offset()
    try:
        with engine.capture():
            obj = start()
    except Exception as e:
        raise _fail(code, f"{rejected}{type(e).__name__}: {e}") from e
    p = engine.wait(job(obj), obj.id, label, say)
    with engine.capture():
        obj.reload()
    if status(obj) != ProgressStatus.done:
        msg = engine_error(engine.log_since(offset), p)
        raise _fail(code, f"{what} ended with status {status(obj).value}: {msg}",
                    help=f"the engine's full log: {engine.log_path}")
    return obj


def load_seeds(m: _Manifest, *, rows: int | None = None) -> dict:
    """The seed rows of ``generation.seeds`` (table → DataFrame), checked against generator.json (R030)."""
    from .run_io import SourceError, read_source

    out = {}
    gtables = {t["name"]: t for t in m.generator.get("tables") or []}
    for name, src in sorted(((m.data.get("generation") or {}).get("seeds") or {}).items()):
        try:
            df = read_source(src, m.dir)
        except SourceError as e:
            raise _fail("R030", f"seed rows of `{name}`: {e}", path=("generation", "seeds", name)) from e
        t = m.table(name) if name in gtables else None
        modelled = {c["name"] for c in (t or {}).get("columns") or []}
        extra = [str(c) for c in df.columns if c not in modelled]
        if t is None or extra or len(df) == 0:
            why = "no such table" if t is None else (f"column(s) {', '.join(extra)} are not modelled columns"
                                                     if extra else "no rows")
            raise _fail("R030", f"seed rows of `{name}`: {why}", path=("generation", "seeds", name),
                        help="seed columns must be modelled columns of the table; compile again to check them")
        out[name] = df.head(rows) if rows else df
    return out


def with_seeds(m: _Manifest, config: dict, *, rows: int | None = None) -> dict:
    """``config`` (generate.json without ``$schema``) with each seeded table's rows as ``sample_seed_data``."""
    seeds = load_seeds(m, rows=rows)
    if not seeds:
        return config
    tables = [dict(t) for t in config.get("tables") or []]
    for name, df in seeds.items():
        entry = next((t for t in tables if t["name"] == name), None)
        if entry is None:
            entry = {"name": name}
            tables.append(entry)
        conf = dict(entry.get("configuration") or {})
        conf.pop("sample_size", None)  # a seeded table gets one row per seed row
        conf["sample_seed_data"] = df
        entry["configuration"] = conf
    return {**config, "tables": tables}


def _record(m: _Manifest, *, target, version, started, ended, versions, key, reused, cache_dir, g, sd, engine_dir,
            log_path, timings, metrics, rows, written, files, diags, peak_rss_mb) -> dict:
    from .platform import describe as describe_engine

    def utc(t: datetime) -> str:
        if t.tzinfo is None:
            t = t.replace(tzinfo=timezone.utc)
        return t.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    try:
        user = getpass.getuser()
    except Exception:  # no login name (containers): still record something honest
        user = str(os.getuid()) if hasattr(os, "getuid") else None
    status = "ok" if not any(d.code == "R016" for d in diags) else "below_quality_thresholds"
    return {
        "$schema": "https://synthspec.dev/schemas/run-record-v1.json",
        "run_record_version": RUN_RECORD_VERSION,
        "status": status,
        "name": m.data["name"],
        "version": version,
        "user": user,
        "host": socket.gethostname(),
        "started_utc": utc(started),
        "ended_utc": utc(ended),
        "manifest": {"path": str(m.path.resolve()), "sha256": m.sha256},
        "spec": m.data.get("spec"),
        "compiler": m.data.get("compiler"),
        "versions": versions,
        "engine": describe_engine(m.data.get("engine"), engine_dir, log_path),
        "generator": {"reused": reused, "training_key": key, "zip": str(cache_dir / "generator.zip"),
                      "id": g.id, "accuracy": g.accuracy},
        "synthetic_dataset_id": sd.id,
        "training": _strip_schema(m.generator),
        "generation": {"config": _strip_schema(m.generate), "manifest": m.data.get("generation")},
        "transforms": m.data.get("transforms") or [],
        "surrogate_key_encoding": "compact JSON array of the components",
        "key_policy": "fresh keys of the source format; see compiler/keys.py",
        "quality": m.data.get("quality"),
        "checks": m.data.get("checks") or list(KNOWN_CHECKS),
        "timings_seconds": timings,
        "peak_rss_mb": peak_rss_mb,
        "metrics": metrics,
        "rows": rows,
        "output": {"kind": target.kind, "root": str(target.root), "table_name": target.table_name},
        "outputs": {t: {"path": rel, **({"table": written.locations[t]} if t in written.locations else {})}
                    for t, rel in written.tables.items()},
        "files": files,
        "diagnostics": [_diag_json(d) for d in diags if d.severity >= Severity.WARNING],
    }



class _CallableModule(__import__("types").ModuleType):
    """``import compiler.run`` rebinds ``compiler.run``; calling it still runs (``compiler.api.run``)."""

    def __call__(self, *args, **kwargs):
        from .api import run as _run

        return _run(*args, **kwargs)


__import__("sys").modules[__name__].__class__ = _CallableModule
