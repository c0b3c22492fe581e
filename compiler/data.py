"""Stage 5 — data (optional): sample bound sources, resolve ``auto``, check the data contracts.

Runs when a table's source is reachable (or ``--data DIR`` is given). It reads a bounded, seeded
sample per table (``compiler.sources``), profiles it (``compiler.profile``: counts, formats and
ranges, never raw values), infers an encoding for every ``auto`` column (``compiler.infer``), and
checks the contracts the engine would otherwise break silently: primary-key duplicates and NULLs,
foreign-key orphans and NULLs, encodings that do not fit the values, columns missing on either
side, and schema drift since the last compile.

The whole stage result is cached in ``<project>/.synthspec/cache/`` under a key made of the spec's
sha256, the profile, the sampling settings, the synthspec version and the size and mtime of every
bound file, so a recompile with nothing changed neither reads data nor imports pandas.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable

from . import __version__
from .codes import make
from .files import stat_key
from .diagnostics import Diagnostic, Related, Severity, Span
from .model import ColumnIR, Model, TableIR
from .spec import canonical_encoding

CACHE_VERSION = 1
NUMERIC = {"int", "float", "bool"}


def _bind(model: Model, t: TableIR, data_dir: Path | None):
    """→ (source kind, path to open, table name inside the source, options) or None."""
    if data_dir is not None:
        stem = Path(t.source.location).stem if t.source and t.source.location else t.name
        return ("files", data_dir, stem, {})
    s = t.source
    if s is None or s.path is None:
        return None
    if s.kind == "files":
        if s.location:
            loc = s.path / s.location
            return ("files", loc, Path(s.location).stem, dict(s.options))
        return ("files", s.path, t.name, dict(s.options))
    if s.kind in ("sqlite", "duckdb"):
        return (s.kind, s.path, s.location or t.name, dict(s.options))
    return None  # spark: compiler.spark.plan_binding (see run)


def run(model: Model, *, data_dir: Path | None = None,
        progress: Callable[[str], None] | None = None) -> tuple[dict, list[Diagnostic]]:
    """Stage entry point. Returns ``(bindings, diagnostics)``; may replace tables on ``model``."""
    doc = model.doc
    plan = {}
    diags: list[Diagnostic] = []
    for name in model.order or list(model.tables):
        t = model.tables[name]
        if data_dir is None and t.source is not None and t.source.kind == "spark":
            from .spark import plan_binding  # imports pyspark only when a spark source is bound

            b, d = plan_binding(model, t)
            diags += d
            if b is not None:
                plan[name] = b
            continue
        b = _bind(model, t, data_dir)
        if b is None:
            continue
        kind, path, tbl, opts = b
        if not Path(path).exists():
            shown = os.path.relpath(path, model.spec_path.parent) if model.spec_path else str(path)
            diags.append(make("D002", f"source of `{name}` not found: {Path(shown).as_posix()}; compiled without its data",
                              span=doc.locate(t.path + ("source",)), path=t.path + ("source",),
                              help="generate or copy the data there, or pass `--data DIR`; contracts are not checked"))
            continue
        plan[name] = b
    if not plan:
        return {}, diags

    key = _cache_key(model, plan, data_dir)
    cache_file = model.project_root / ".synthspec" / "cache" / f"data-{key}.json"
    live = any(k == "spark" for k, *_ in plan.values())  # no file stamps to key a cache on: always sample
    cached = None if live else _read_cache(cache_file)
    if cached is None:
        import importlib.util

        missing = [m for m in ("pandas", "pyarrow") if importlib.util.find_spec(m) is None]
        if missing:  # a compile-only install: say so instead of failing inside a reader
            return {}, diags + [make("D001", f"cannot read the bound sources: {' and '.join(missing)} not installed; "
                                             "compiled without data", severity=Severity.WARNING,
                                     span=doc.locate(("sources",), key=True), path=("sources",),
                                     help="pip install 'synthspec[data]' (or [local]) to sample data at compile time")]
        result = _compute(model, plan, progress)
        if not live:
            _write_cache(cache_file, result)
    else:
        result = cached
    _apply(model, result)
    diags += [_diag_from(d, doc) for d in result["diagnostics"]]
    return result["bindings"], diags


def _cache_key(model: Model, plan: dict, data_dir) -> str:
    h = hashlib.sha256()
    parts = {
        "v": CACHE_VERSION, "synthspec": __version__, "spec": model.doc.sha256, "profile": model.profile,
        "data_dir": str(data_dir) if data_dir else None,
        "plan": {n: [k, str(Path(p).resolve()), tbl, o, stat_key(Path(p))] for n, (k, p, tbl, o) in plan.items()},
    }
    h.update(json.dumps(parts, sort_keys=True, default=str).encode())
    return h.hexdigest()[:32]


def _read_cache(path: Path) -> dict | None:
    try:
        data = json.loads(path.read_text("utf-8"))
        return data if data.get("cache_version") == CACHE_VERSION else None
    except (OSError, ValueError):
        return None


def _write_cache(path: Path, result: dict) -> None:
    from .files import write_atomic

    try:
        write_atomic(path, json.dumps(result, sort_keys=True).encode("utf-8"))
    except OSError:
        pass  # a cache that cannot be written only costs time


# --- the computation (imports pandas) --------------------------------------------------------------


def _compute(model: Model, plan: dict, progress) -> dict:
    from .controls import value_count_columns
    from .infer import check_foreign_key, check_primary_key, infer_column
    from .profile import profile_table
    from .sources import SourceError, open_source

    diags: list[dict] = []
    bindings: dict[str, dict] = {}
    resolved: dict[str, dict[str, dict]] = {}
    values: dict[str, dict[str, dict]] = {}
    samples: dict[str, Any] = {}
    counts: dict[str, int] = {}
    opened: dict[tuple, Any] = {}
    for name, (kind, path, tbl, opts) in plan.items():
        t = model.tables[name]
        rows = t.source.sample_rows if t.source else 10_000
        seed = t.source.sample_seed if t.source else 0
        if progress:
            progress(f"sampling {name}")
        try:
            k = (kind, str(path), json.dumps(opts, sort_keys=True))
            src = opened.get(k) or open_source(kind, Path(path), opts)
            opened[k] = src
            df = src.sample(tbl, rows, seed)
            schema = src.schema(tbl)
            n = src.row_count(tbl)
            fp = src.fingerprint(tbl, rows, seed)
        except SourceError as exc:
            diags.append(_d("D001", f"cannot read the source of `{name}`: {exc}", t.path + ("source",)))
            continue
        except Exception as exc:  # noqa: BLE001 — any reader failure is a located finding, not a crash
            diags.append(_d("D001", f"cannot read the source of `{name}`: {type(exc).__name__}: {exc}",
                            t.path + ("source",)))
            continue
        samples[name], counts[name] = df, n
        file = Path(path)
        if kind == "files" and file.is_dir() and hasattr(src, "_file"):
            file = src._file(tbl)  # the file the folder holds for this table
        fmt = "parquet" if file.suffix.lower() in (".parquet", ".pq") else ("csv" if kind == "files" else kind)
        bindings[name] = {"path": str(file.resolve()), "format": fmt, "fingerprint": fp, "rows": n,
                          "sampled_rows": int(len(df)),
                          "columns": [{"name": c, "dtype": d} for c, d in schema]}
        if hasattr(src, "binding"):  # sources that are not local files say where the table is
            bindings[name].update(src.binding(tbl))
        prof = profile_table(df)
        for col in value_count_columns(model, name):  # rebalancing values (compiler/controls.py)
            if col in df.columns:
                vc = df[col].dropna().astype(str).value_counts()
                values.setdefault(name, {})[col] = {"counts": {str(k): int(v) for k, v in vc.head(1000).items()},
                                                    "sampled": int(len(df)), "total": int(n)}
        resolved[name] = {}
        diags += _check_columns(model, t, list(df.columns))
        is_child = t.context_fk is not None
        is_context = "context" in model.roles.get(name, ())
        for c in t.columns:
            if c.exclude or c.name in t.key_columns or c.name not in prof.columns:
                continue
            p = prof.columns[c.name]
            if c.encoding == "AUTO":
                inf = infer_column(p, table_is_child=is_child)
                enc = inf.encoding
                if enc == "datetime_relative" and is_context:
                    enc = "datetime"
                if inf.convert and enc not in ("datetime", "datetime_relative") and p.physical == "string":
                    enc = "categorical" if p.distinct <= 1000 else "character"
                resolved[name][c.name] = {"encoding": canonical_encoding(enc), "reason": inf.reason,
                                          "confidence": inf.confidence, "pii": inf.pii}
                diags.append(_d("D004", f"`{name}.{c.name}` resolved from `auto` to `{enc}` ({inf.reason}; "
                                        f"confidence {inf.confidence:.2f})", c.path, sev=Severity.INFO,
                                help="`synthspec infer --spec SPEC --write` writes it into the spec"))
            else:
                msg = _incompatible(c.encoding, p)
                if msg:
                    diags.append(_d("D003", f"`{name}.{c.name}`: {msg}", c.path + ("encoding",),
                                    help=f"the values look like {_describe(p)}; choose an encoding that fits, "
                                         "or `auto` to infer one"))
        if t.primary_key and all(c in df.columns for c in t.primary_key):
            kc = check_primary_key(df, list(t.primary_key))
            where = _sample_note(len(df), n)
            if kc.duplicate_rows:
                diags.append(_d("D005", f"primary key of `{name}` has {kc.duplicate_rows} duplicate row(s){where}; "
                                        "the engine keeps one row per key and silently drops the rest",
                                t.path + ("primary_key",), help="deduplicate the source or choose a unique key"))
            if kc.null_rows:
                diags.append(_d("D006", f"primary key of `{name}` is NULL in {kc.null_rows} row(s){where}",
                                t.path + ("primary_key",), help="a primary key must be non-null"))
    for name, (kind, path, tbl, opts) in plan.items():
        if name not in samples:
            continue
        t = model.tables[name]
        for fk in t.foreign_keys:
            parent = model.tables.get(fk.references)
            if parent is None or fk.references not in samples or not parent.primary_key:
                continue
            child_df, parent_df = samples[name], samples[fk.references]
            if not all(c in child_df.columns for c in fk.columns) or \
                    not all(c in parent_df.columns for c in parent.primary_key):
                continue
            complete_parent = len(parent_df) >= counts[fk.references]
            chk = check_foreign_key(child_df, list(fk.columns), parent_df, list(parent.primary_key))
            where = _sample_note(len(child_df), counts[name])
            if chk.orphan_rows and complete_parent:
                fate = ("the engine silently drops these child rows" if fk.context
                        else "the engine treats them as NULL and re-links nothing")
                diags.append(_d("D007", f"{chk.orphan_rows} row(s) of `{name}` ({chk.orphan_values} distinct value(s)) "
                                        f"reference no row of `{fk.references}`{where}; {fate}",
                                fk.path + ("columns",),
                                help="fix the source, or declare the relation `context: false` if it is a lookup"))
            if chk.null_rows and fk.context:
                diags.append(_d("D008", f"context foreign key of `{name}` is NULL in {chk.null_rows} row(s){where}; "
                                        "the engine silently drops these rows", fk.path + ("columns",),
                                help="a context FK must be set on every row; use `context: false` if it is optional"))
    for src in opened.values():
        try:
            src.close()
        except Exception:  # noqa: BLE001
            pass
    return {"cache_version": CACHE_VERSION, "bindings": bindings, "resolved": resolved, "diagnostics": diags,
            "values": values}


def _sample_note(sampled: int, total: int) -> str:
    return "" if sampled >= total else f" in a sample of {sampled:,} of {total:,} rows"


def _d(code, message, path, *, help=None, sev: Severity | None = None, key: bool = False) -> dict:
    return {"code": code, "message": message, "path": list(path), "help": help,
            "severity": int(sev) if sev is not None else None, "key": key}


def _diag_from(d: dict, doc) -> Diagnostic:
    sev = Severity(d["severity"]) if d.get("severity") else None
    return make(d["code"], d["message"], span=doc.locate(tuple(d["path"]), key=d.get("key", False)),
                path=tuple(d["path"]),
                help=d.get("help"), severity=sev)


def _check_columns(model: Model, t: TableIR, data_cols: list[str]) -> list[dict]:
    out = []
    have = set(data_cols)
    for c in t.columns:
        if c.name not in have and not c.exclude:
            out.append(_d("D009", f"column `{t.name}.{c.name}` is in the spec but not in the data", c.path,
                          help="fix the name, or remove the column from the spec"))
    if t.primary_key:
        miss = [c for c in t.primary_key if c not in have]
        if miss:
            out.append(_d("D009", f"primary key column(s) {', '.join(miss)} of `{t.name}` not in the data",
                          t.path + ("primary_key",)))
    for fk in t.foreign_keys:
        miss = [c for c in fk.columns if c not in have]
        if miss:
            out.append(_d("D009", f"foreign key column(s) {', '.join(miss)} of `{t.name}` not in the data",
                          fk.path + ("columns",)))
    declared = {c.name for c in t.columns} | t.key_columns
    extra = [c for c in data_cols if c not in declared]
    if extra:
        out.append(_d("D030", f"{len(extra)} column(s) of `{t.name}` in the data are not in the spec and are excluded: "
                              f"{', '.join(extra)}", t.path,
                      help="list them under `columns:` (e.g. with `auto`) to model them; "
                           "`synthspec infer --spec SPEC --write` adds them", sev=Severity.INFO, key=True))
    return out


def _describe(p) -> str:
    best = max(p.formats.items(), key=lambda kv: kv[1])[0] if p.formats else None
    return f"{p.physical} values" + (f" (mostly `{best}`)" if best else "")


def _incompatible(encoding: str, p) -> str | None:
    """Why a declared encoding does not fit the values (MOSTLYAI.md §1, measured), or None."""
    phys, f = p.physical, p.formats
    if p.non_null == 0:
        return None
    numeric_str = f.get("integer", 0) + f.get("decimal", 0)
    dates = sum(f.get(k, 0) for k in ("iso_date", "iso_datetime", "iso_datetime_tz", "date_ymd_slash"))
    if encoding.startswith("TABULAR_NUMERIC"):
        if phys in NUMERIC:
            return None
        if phys == "string" and encoding == "TABULAR_NUMERIC_DIGIT" and numeric_str >= 0.999:
            return None
        if phys in ("datetime", "date"):
            return f"`{encoding}` on a {phys} column produces garbage (measured: a constant year)"
        return f"`{encoding}` on {phys} values produces an all-NULL column"
    if encoding in ("TABULAR_DATETIME", "TABULAR_DATETIME_RELATIVE"):
        if phys in ("datetime", "date") or (phys == "string" and dates >= 0.999):
            return None
        return f"`{encoding}` on {phys} values that are not dates produces an all-NULL (NaT) column"
    if encoding == "TABULAR_LAT_LONG":
        if phys == "string" and f.get("latlong_pair", 0) >= 0.999:
            return None
        return f"`{encoding}` needs \"lat, long\" strings; on {phys} values it produces an all-NULL column"
    return None


def _apply(model: Model, result: dict) -> None:
    """Put resolved encodings into the model (keys and excluded columns untouched)."""
    model.value_counts = result.get("values") or {}
    for name, cols in result["resolved"].items():
        t = model.tables.get(name)
        if t is None or not cols:
            continue
        new_cols = []
        for c in t.columns:
            r = cols.get(c.name)
            if r is not None and c.encoding == "AUTO":
                c = replace(c, encoding=r["encoding"], pii=c.pii or r.get("pii"))
            new_cols.append(c)
        model.tables[name] = replace(t, columns=tuple(new_cols))


def drift(model: Model, bindings: dict, out_dir: Path) -> list[Diagnostic]:
    """D031 when a source's columns or dtypes changed since the manifest in ``out_dir`` was written."""
    try:
        old = json.loads((out_dir / "manifest.json").read_text("utf-8"))
    except (OSError, ValueError):
        return []
    diags = []
    for t in old.get("tables", []):
        name = t.get("name")
        before = t.get("source_columns")
        now = (bindings.get(name) or {}).get("columns")
        if not before or not now or name not in model.tables:
            continue
        b, n = {c["name"]: c["dtype"] for c in before}, {c["name"]: c["dtype"] for c in now}
        added = [c for c in n if c not in b]
        removed = [c for c in b if c not in n]
        changed = [f"{c} {b[c]}→{n[c]}" for c in n if c in b and b[c] != n[c]]
        if added or removed or changed:
            parts = ([f"added {', '.join(added)}"] if added else []) + \
                    ([f"removed {', '.join(removed)}"] if removed else []) + \
                    ([f"retyped {', '.join(changed)}"] if changed else [])
            t_ir = model.tables[name]
            diags.append(make("D031", f"the source of `{name}` changed since the last compile: {'; '.join(parts)}",
                              span=model.doc.locate(t_ir.path, key=True), path=t_ir.path,
                              help="review the spec's columns; the artifacts will be rewritten"))
    return diags
