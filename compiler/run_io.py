"""Run I/O: read the full source tables a manifest binds, write versioned outputs atomically.

Sources (manifest ``tables[].source``), paths relative to the manifest's folder:

* ``{"kind": "files", "format": "parquet"|"csv", "path": ..., "options": {...}}``; ``format`` may
  be omitted when the suffix says it. Parquet is read with ``pandas.read_parquet``.
* ``{"kind": "sqlite"|"duckdb", "path": <database file>, "table": <table name>}`` (``location``
  is accepted as a synonym of ``table``).

CSV files and databases are read in full through the data stage's readers
(:func:`compiler.sources.open_source`, with the source's ``options`` such as ``delimiter``,
``encoding``, ``null_values``), so the run sees the same column types compile saw in its sample.

Outputs (manifest ``output``): ``kind`` is ``parquet``, ``csv``, ``sqlite``, ``duckdb`` or ``spark``
(Spark tables named by ``table_name``, see :mod:`compiler.spark`; the version folder then holds
``tables.json``, the report and the run record);
``path`` is a template with ``{name}`` (the manifest's name) and ``{version}``; ``table_name`` a
template with ``{table}``. The *version folder* is the path up to and including the first
component that holds ``{version}`` (``/{version}`` is appended when the template has none); the
rest of the path, if any, names the data inside it (a sub-folder for parquet/csv, the database
file for sqlite/duckdb; default ``<name>.sqlite`` / ``<name>.duckdb``).

A version is written into a hidden temporary folder next to the version folder
(``.tmp-<version>-<pid>``) and renamed into place only when everything (data, report, run
record) is written, so an interrupted run never leaves a partial version. A version name that
already exists gets a suffix ``-1``, ``-2``, … (nothing is ever overwritten). ``LATEST`` (a small
file with the version folder's name) and a ``latest`` symlink beside the versions are replaced
atomically, and only after success.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, Mapping

OUTPUT_KINDS = ("parquet", "csv", "sqlite", "duckdb", "spark")
_DB_SUFFIX = {"sqlite": ".sqlite", "duckdb": ".duckdb"}
LATEST_FILE = "LATEST"
LATEST_LINK = "latest"


class SourceError(Exception):
    """A source table cannot be read."""


class OutputError(Exception):
    """An output cannot be planned or written."""


# --------------------------------------------------------------------------------------------
# sources


def resolve(base_dir: Path, rel: str) -> Path:
    """A manifest path (posix, relative to the manifest's folder) as a local path."""
    p = PurePosixPath(rel)
    return Path(os.path.normpath(Path(p) if p.is_absolute() else (base_dir / Path(*p.parts))))


def read_source(source: Mapping[str, Any], base_dir: Path):
    """Read one full source table as a pandas DataFrame.

    Raises:
        SourceError: unknown kind or format, missing file, reader failure.
    """
    import pandas as pd

    kind = source.get("kind", "files")
    if kind == "spark":  # catalog tables and cluster paths, read by Spark (compiler/spark.py)
        from .sources import SourceError as _CompileSourceError
        from .spark import read_table

        try:
            return read_table(source, base_dir)
        except _CompileSourceError as e:
            raise SourceError(str(e)) from e
    if "path" not in source:
        raise SourceError("the source has no `path`")
    path = resolve(base_dir, source["path"])
    if not path.exists():
        raise SourceError(f"{path} does not exist")
    options = dict(source.get("options") or {})
    try:
        if kind == "files" and (source.get("format") or _format_from_suffix(path)) == "parquet":
            import pandas as pd

            return pd.read_parquet(path)
        # CSV and databases go through the data stage's readers, so that run types the full
        # table exactly as compile typed its sample (CSV null tokens, dialect, SQLite affinities)
        from .sources import SourceError as _CompileSourceError
        from .sources import open_source

        if kind == "files":
            fmt = source.get("format") or _format_from_suffix(path)
            if fmt != "csv":
                raise SourceError(f"unknown file format {fmt!r} (parquet or csv)")
            table = path.stem
        elif kind in ("sqlite", "duckdb"):
            table = source.get("table") or source.get("location")
            if not table:
                raise SourceError("a database source needs `table`")
        else:
            raise SourceError(f"unknown source kind {kind!r} (files, sqlite or duckdb)")
        try:
            with open_source(kind, path, options) as src:
                return src.sample(str(table), rows=max(src.row_count(str(table)), 1), seed=0)
        except _CompileSourceError as e:
            raise SourceError(str(e)) from e
    except SourceError:
        raise
    except Exception as e:  # any reader error is a source problem for the user
        raise SourceError(f"{path}: {type(e).__name__}: {e}") from e


def _format_from_suffix(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    if ".parquet" in suffixes or ".pqt" in suffixes:
        return "parquet"
    if ".csv" in suffixes or ".tsv" in suffixes:
        return "csv"
    return path.suffix.lower().lstrip(".")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# --------------------------------------------------------------------------------------------
# versions


def version_name(now: datetime, manifest_sha256: str) -> str:
    """``<UTC yyyymmddThhmmssZ>-<sha256[:8]>``."""
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ") + "-" + manifest_sha256[:8]


@dataclass(frozen=True)
class OutputTarget:
    """Where one run's version goes."""

    kind: str
    root: Path            # the folder that holds the versions (and LATEST)
    version: str          # the version folder's name (suffixed if needed)
    data_rel: str         # data location inside the version folder ("" = the folder itself)
    table_name: str       # template with {table} (and {name}, {version})
    mode: str = "new_version"  # or "overwrite" (spark tables only)
    name: str = ""        # the manifest's name

    @property
    def version_dir(self) -> Path:
        return self.root / self.version

    def table_name_for(self, table: str) -> str:
        return self.table_name.replace("{table}", table).replace("{name}", self.name)


def plan_output(output: Mapping[str, Any], base_dir: Path, *, name: str, version: str,
                tables: list[str] | None = None) -> OutputTarget:
    """Resolve the manifest ``output`` for one run; picks a free version name.

    For ``kind: spark`` and ``tables`` given, checks before any training that no table this run
    would write exists (unless ``mode: overwrite``); the error's ``code`` attribute is R040.

    Raises:
        OutputError: unknown kind or mode, bad template, an existing Spark table.
    """
    kind = output.get("kind", "parquet")
    if kind not in OUTPUT_KINDS:
        raise OutputError(f"output kind {kind!r} is not supported by the local runner ({', '.join(OUTPUT_KINDS)})")
    mode = output.get("mode", "new_version")
    if mode != "new_version" and not (kind == "spark" and mode == "overwrite"):
        raise OutputError(f"output mode {mode!r} is not supported for {kind} (only new_version: outputs are never "
                          "overwritten; `overwrite` is for spark tables)")
    template = str(output.get("path") or "out/{name}/{version}").replace("{name}", name)
    parts = list(PurePosixPath(template).parts)
    idx = next((i for i, p in enumerate(parts) if "{version}" in p), None)
    if idx is None:
        parts.append("{version}")
        idx = len(parts) - 1
    if "{version}" in "".join(parts[idx + 1:]):
        raise OutputError("`{version}` may appear in one path component only")
    root = resolve(base_dir, str(PurePosixPath(*parts[:idx])) if idx else ".")
    rest = parts[idx + 1:]
    if kind in _DB_SUFFIX and (not rest or not PurePosixPath(rest[-1]).suffix):
        rest = rest + [f"{name}{_DB_SUFFIX[kind]}"]
    base = parts[idx].replace("{version}", version)
    final = base
    k = 0
    while (root / final).exists() or (root / final).is_symlink():
        k += 1
        final = f"{base}-{k}"
    target = OutputTarget(kind=kind, root=root, version=final, data_rel="/".join(rest),
                          table_name=str(output.get("table_name") or "{table}"), mode=mode, name=name)
    if kind == "spark" and tables is not None:
        from .spark import SparkOutputError, check_output_free

        try:
            check_output_free(target, tables)
        except SparkOutputError as e:
            err = OutputError(str(e))
            err.code = e.code  # type: ignore[attr-defined]
            raise err from None
    return target


class VersionWriter:
    """Build a version in a temporary folder and rename it into place on :meth:`commit`.

    Use as a context manager; leaving the block without ``commit()`` (an exception, a failed
    check) removes the temporary folder, so no partial version ever exists.
    """

    def __init__(self, target: OutputTarget):
        self.target = target
        self.tmp = target.root / f".tmp-{target.version}-{os.getpid()}"
        self.committed: Path | None = None

    def __enter__(self) -> "VersionWriter":
        self.target.root.mkdir(parents=True, exist_ok=True)
        clean_stale_temps(self.target.root)
        if self.tmp.exists():
            shutil.rmtree(self.tmp)
        self.tmp.mkdir()
        return self

    def __exit__(self, *exc) -> None:
        if self.committed is None and self.tmp.exists():
            shutil.rmtree(self.tmp, ignore_errors=True)

    @property
    def path(self) -> Path:
        return self.tmp

    def commit(self) -> Path:
        """Rename the temporary folder to the version folder (fails if it appeared meanwhile)."""
        final = self.target.version_dir
        _fsync_tree(self.tmp)
        if final.exists():
            raise OutputError(f"{final} appeared while this run was writing; nothing was overwritten")
        os.rename(self.tmp, final)
        _fsync_dir(self.target.root)
        self.committed = final
        return final


def clean_stale_temps(root: Path) -> None:
    """Remove ``.tmp-*-<pid>`` folders left by runs whose process no longer exists."""
    for p in root.glob(".tmp-*"):
        pid = p.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or _alive(int(pid)):
            continue
        shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(path: Path) -> None:
    for p in sorted(path.rglob("*")):
        if p.is_file():
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(path)


def atomic_write_text(path: Path, text: str) -> None:
    """Write a file through a temporary sibling and ``os.replace``."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def update_latest(root: Path, version: str) -> None:
    """Point ``LATEST`` (file) and ``latest`` (symlink, best effort) at ``version``."""
    atomic_write_text(root / LATEST_FILE, version + "\n")
    link = root / LATEST_LINK
    if link.exists() and not link.is_symlink():
        return  # a real file or folder named `latest`: leave it alone
    tmp = root / f".{LATEST_LINK}.tmp-{os.getpid()}"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(version, tmp, target_is_directory=True)
        os.replace(tmp, link)
    except OSError:
        if tmp.is_symlink():
            tmp.unlink()


def read_latest(root: Path) -> str | None:
    p = root / LATEST_FILE
    return p.read_text(encoding="utf-8").strip() if p.exists() else None


# --------------------------------------------------------------------------------------------
# writing and reading tables


@dataclass
class Written:
    """Data files written for one version, relative to the version folder."""

    tables: dict[str, str] = field(default_factory=dict)   # table → file (relative)
    locations: dict[str, str] = field(default_factory=dict)  # table → table name inside a database


def write_tables(frames: Mapping[str, Any], target: OutputTarget, version_dir: Path, *,
                 sources: Mapping[str, Any] | None = None, base_dir: Path | None = None) -> Written:
    """Write every frame (dict order) into ``version_dir`` as the target kind says.

    ``kind: spark`` writes tables with ``saveAsTable`` (:func:`compiler.spark.write_tables`; cast to
    the schemas of the manifest ``sources`` that are Spark tables) and lists them in ``tables.json``.
    """
    if target.kind == "spark":
        from .spark import write_tables as write_spark

        return write_spark(frames, target, version_dir, sources=sources, base_dir=base_dir)
    out = Written()
    dest = version_dir / target.data_rel if target.data_rel else version_dir
    if target.kind in ("parquet", "csv"):
        dest.mkdir(parents=True, exist_ok=True)
        for table, df in frames.items():
            fname = f"{target.table_name_for(table)}.{target.kind}"
            path = dest / fname
            if target.kind == "parquet":
                df.to_parquet(path, index=False)
            else:
                df.to_csv(path, index=False, lineterminator="\n")
            out.tables[table] = _rel(path, version_dir)
        return out
    dest.parent.mkdir(parents=True, exist_ok=True)
    if target.kind == "sqlite":
        import sqlite3

        con = sqlite3.connect(dest)
        try:
            for table, df in frames.items():
                tname = target.table_name_for(table)
                _for_sqlite(df).to_sql(tname, con, index=False)
                out.tables[table] = _rel(dest, version_dir)
                out.locations[table] = tname
            con.commit()
        finally:
            con.close()
        return out
    import duckdb

    con = duckdb.connect(str(dest))
    try:
        for table, df in frames.items():
            tname = target.table_name_for(table)
            con.register("__synthspec_df", _for_duckdb(df))
            con.execute(f"CREATE TABLE {_quote(tname)} AS SELECT * FROM __synthspec_df")
            con.unregister("__synthspec_df")
            out.tables[table] = _rel(dest, version_dir)
            out.locations[table] = tname
    finally:
        con.close()
    return out


def _for_sqlite(df):
    import datetime as dt

    import pandas as pd

    df = df.copy()
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            df[c] = s.astype(object).where(s.notna(), None)
        elif pd.api.types.is_object_dtype(s.dtype):
            nn = s.dropna()
            if len(nn) and isinstance(nn.iloc[0], dt.date):
                df[c] = s.map(lambda v: v.isoformat() if isinstance(v, dt.date) else None)
    return df


def _for_duckdb(df):
    import pandas as pd

    df = df.copy()
    for c in df.columns:
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            df[c] = s.astype(object).where(s.notna(), None)
    return df


def read_tables(version_dir: Path, target: OutputTarget, tables: list[str]) -> dict:
    """Read a written version back (tests, inspection)."""
    import pandas as pd

    if target.kind == "spark":
        from .spark import read_tables as read_spark

        return read_spark(target, tables)

    dest = version_dir / target.data_rel if target.data_rel else version_dir
    out = {}
    for table in tables:
        tname = target.table_name_for(table)
        if target.kind == "parquet":
            out[table] = pd.read_parquet(dest / f"{tname}.parquet")
        elif target.kind == "csv":
            out[table] = pd.read_csv(dest / f"{tname}.csv")
        elif target.kind == "sqlite":
            import sqlite3

            con = sqlite3.connect(dest)
            try:
                out[table] = pd.read_sql_query(f"SELECT * FROM {_quote(tname)}", con)
            finally:
                con.close()
        else:
            import duckdb

            con = duckdb.connect(str(dest), read_only=True)
            try:
                out[table] = con.execute(f"SELECT * FROM {_quote(tname)}").df()
            finally:
                con.close()
    return out


def _rel(path: Path, base: Path) -> str:
    return path.relative_to(base).as_posix()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def file_hashes(version_dir: Path) -> dict[str, dict[str, Any]]:
    """``{relative path: {"sha256", "bytes"}}`` for every file under ``version_dir``, sorted."""
    out = {}
    for p in sorted(version_dir.rglob("*")):
        if p.is_file():
            out[_rel(p, version_dir)] = {"sha256": sha256_file(p), "bytes": p.stat().st_size}
    return out


def dump_json(obj: Any) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
