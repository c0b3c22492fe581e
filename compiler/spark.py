"""Spark sources and outputs (``kind: spark``). pyspark is imported only inside functions.

Sources. A table of a ``kind: spark`` source is either

* a **catalog name** (``source: uc/main.tsocial.titular``; a source without ``path``): read with
  ``spark.table(name)``, so Unity Catalog tables, Hive tables and temporary views all work; or
* a **path** under the source's ``path`` (``source: lake/titular`` with ``path: /Volumes/...`` or a
  local folder): Parquet, or Delta when the folder holds ``_delta_log`` (or ``format: delta``).

Sampling runs in Spark and is bounded, seeded and deterministic (:meth:`SparkSource.sample`):

1. *block sampling*: the table's data files (``DataFrame.inputFiles()``) are put in a seeded
   order and only as many are kept as hold about ``oversample`` (4) times the sample; they are
   selected with a filter on ``_metadata.file_path``, which Spark turns into file pruning, so the
   other files are never opened. The cost follows the sample size, not the table size
   (``tests/bench/bench_spark_sampling.py``).
2. within those files the ``rows`` rows with the smallest ``xxhash64(row, seed)`` are kept
   (``ORDER BY hash LIMIT rows``: a bounded top-k, no shuffle of the table). The same data and
   seed give the same rows whatever the partitioning.

With ``where_in`` (children of sampled parents, :func:`compiler.sources.sample_related`) the table
is filtered by a broadcast left-semi join on the parent keys instead; then step 2 applies.

Outputs. ``output: {kind: spark, table_name: "main.synth.{table}_{version}"}`` writes each table
with ``saveAsTable`` (Delta when the session's default source is Delta, as on Databricks;
Parquet otherwise), cast to the schema of its Spark source when it has one. ``{version}`` becomes
the run's version name as an identifier (lower case, ``_`` for other characters). With
``mode: new_version`` (the default) no table that exists is ever replaced: the run stops before
training (R040). ``mode: overwrite`` replaces tables, and only then.

Sessions (:func:`get_session`): the active session when there is one (a Databricks notebook's
``spark``, a test fixture); otherwise a local one is created: ``local[1]`` (or
``SYNTHSPEC_SPARK_MASTER``), small driver memory, no UI, and its warehouse and Derby metastore
under ``SYNTHSPEC_SPARK_DIR`` (default ``.synthspec/spark`` in the working directory), with Hive
support so tables persist between ``compile`` and ``run``.
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .sources import DEFAULT_SAMPLE_ROWS, DEFAULT_SEED, Source, SourceError, _key, register_source_kind

HASH_COLUMN = "__synthspec_h"
OVERSAMPLE = 4
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")


class SparkUnavailable(SourceError):
    """No SparkSession exists and none can be created (pyspark or Java missing)."""


class SparkOutputError(Exception):
    """A Spark output cannot be written; ``code`` is the run diagnostic to report."""

    def __init__(self, message: str, code: str = "R041"):
        super().__init__(message)
        self.code = code


# --------------------------------------------------------------------------------------------
# sessions


def is_uri(path: str | None) -> bool:
    """``dbfs:/x``, ``s3://b/x``, ``file:/x`` — paths that are not local paths."""
    return bool(path) and bool(_URI.match(str(path)))


def spark_available() -> tuple[bool, str]:
    """Whether a session exists or can be created; the reason when not (no import of pyspark)."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return False, "pyspark is not installed (pip install 'synthspec[spark]')"
    if active_session() is not None:
        return True, "active session"
    java_home = os.environ.get("JAVA_HOME")
    if not (java_home and Path(java_home, "bin", "java").exists()) and shutil.which("java") is None:
        return False, "no Java runtime found (set JAVA_HOME or put `java` on PATH)"
    return True, "a local session can be created"


def active_session():
    """The active SparkSession, or None (without creating one; None when pyspark is missing)."""
    import importlib.util

    if importlib.util.find_spec("pyspark") is None:
        return None
    from pyspark.sql import SparkSession

    s = SparkSession.getActiveSession()
    if s is None:
        s = getattr(SparkSession, "_instantiatedSession", None)
    return s


def get_session():
    """The active session, or a new local one (see the module docstring).

    Raises:
        SparkUnavailable: pyspark is missing or the JVM does not start.
    """
    s = active_session()
    if s is not None:
        return s
    ok, why = spark_available()
    if not ok:
        raise SparkUnavailable(why)
    from pyspark.sql import SparkSession

    home = Path(os.environ.get("SYNTHSPEC_SPARK_DIR") or Path.cwd() / ".synthspec" / "spark").resolve()
    home.mkdir(parents=True, exist_ok=True)
    b = (SparkSession.builder.master(os.environ.get("SYNTHSPEC_SPARK_MASTER", "local[1]"))
         .appName("synthspec")
         .config("spark.ui.enabled", "false")
         .config("spark.ui.showConsoleProgress", "false")
         .config("spark.driver.memory", os.environ.get("SYNTHSPEC_SPARK_DRIVER_MEMORY", "1g"))
         .config("spark.sql.shuffle.partitions", "2")
         .config("spark.sql.warehouse.dir", str(home / "warehouse"))
         .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={home / 'derby'}"))
    try:
        s = b.enableHiveSupport().getOrCreate()
    except Exception as e:  # noqa: BLE001 — JVM start failures come as many exception types
        raise SparkUnavailable(f"cannot start a local Spark session: {type(e).__name__}: {e}") from e
    s.sparkContext.setLogLevel("ERROR")
    return s


# --------------------------------------------------------------------------------------------
# conversions


def to_pandas(sdf):
    """A Spark DataFrame as pandas through Arrow, typed as the Parquet reader types files."""
    if hasattr(sdf, "toArrow"):  # Spark >= 4
        return sdf.toArrow().to_pandas()
    sdf.sparkSession.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    return sdf.toPandas()


def from_pandas(spark, df, schema=None):
    """A pandas DataFrame as a Spark DataFrame (through Arrow), cast to ``schema`` when given."""
    import pandas as pd
    import pyarrow as pa

    df = df.copy()
    for c in df.columns:  # categories and mixed objects become plain values for Arrow
        s = df[c]
        if isinstance(s.dtype, pd.CategoricalDtype):
            df[c] = s.astype(object).where(s.notna(), None)
    tbl = pa.Table.from_pandas(df, preserve_index=False)
    try:
        sdf = spark.createDataFrame(tbl)
    except (TypeError, ValueError):  # Spark < 4 takes pandas, not Arrow tables
        sdf = spark.createDataFrame(tbl.to_pandas())
    if schema is not None:
        from pyspark.sql import functions as F

        fields = {f.name: f for f in schema.fields}
        sdf = sdf.select(*[F.col(c).cast(fields[c].dataType).alias(c) if c in fields else F.col(c)
                           for c in sdf.columns])
    return sdf


def _ident(version: str) -> str:
    return re.sub(r"[^a-z0-9_]", "_", version.lower())


# --------------------------------------------------------------------------------------------
# the source


class SparkSource(Source):
    """Tables of a Spark catalog, or Parquet/Delta folders under a root path, read with Spark.

    Options: ``root`` (the source's ``path``: a local folder or a URI; None: tables are catalog
    names), ``format`` (``auto`` | ``parquet`` | ``delta``), ``oversample`` (files read per sampled
    row, default 4), ``session`` (a SparkSession; default :func:`get_session`).
    """

    kind = "spark"

    def __init__(self, path: Path | None = None, options: Mapping[str, Any] | None = None):
        self.options = dict(options or {})
        self.root = self.options.get("root")
        self.format = self.options.get("format") or "auto"
        self.spark = self.options.get("session") or get_session()
        self._counts: dict[str, int] = {}

    # resolving -----------------------------------------------------------------------------
    def location(self, table: str) -> tuple[str, str]:
        """``("table", name)`` or ``(format, path)`` for a table name."""
        if not self.root:
            return "table", table
        root = str(self.root).rstrip("/")
        path = f"{root}/{table}"
        fmt = self.format
        if fmt in ("auto", "csv"):
            local = None if is_uri(path) else Path(path)
            fmt = "delta" if local is not None and (local / "_delta_log").is_dir() else "parquet"
        return fmt, path

    def _df(self, table: str):
        fmt, where = self.location(table)
        try:
            if fmt == "table":
                return self.spark.table(where)
            if not is_uri(where) and not Path(where).exists():
                raise SourceError(f"no table {table!r} under {self.root}")
            return self.spark.read.format(fmt).load(where)
        except SourceError:
            raise
        except Exception as e:  # noqa: BLE001 — AnalysisException & co. are user-facing source problems
            raise SourceError(f"cannot read {where} with Spark: {_first_line(e)}") from e

    def exists(self, table: str) -> bool:
        fmt, where = self.location(table)
        if fmt == "table":
            try:
                return bool(self.spark.catalog.tableExists(where))
            except Exception:  # noqa: BLE001 — a malformed name is a missing table
                return False
        return is_uri(where) or Path(where).exists()

    def tables(self) -> list[str]:
        if not self.root:
            return sorted(t.name for t in self.spark.catalog.listTables())
        root = Path(str(self.root))
        if is_uri(str(self.root)) or not root.is_dir():
            return []
        return sorted(p.name for p in root.iterdir() if not p.name.startswith((".", "_")))

    def schema(self, table: str) -> list[tuple[str, str]]:
        empty = to_pandas(self._df(table).limit(0))
        return [(str(c), str(empty[c].dtype)) for c in empty.columns]

    def spark_schema(self, table: str):
        return self._df(table).schema

    def row_count(self, table: str) -> int:
        if table not in self._counts:
            self._counts[table] = int(self._df(table).count())
        return self._counts[table]

    def binding(self, table: str) -> dict:
        """Facts for the manifest: the resolved location and format."""
        fmt, where = self.location(table)
        return {"format": fmt, "path": None if fmt == "table" or is_uri(where) else str(Path(where).resolve()),
                "uri": where if fmt != "table" and is_uri(where) else None}

    # sampling ------------------------------------------------------------------------------
    def plan_files(self, table: str, rows: int, seed: int) -> list[str] | None:
        """The data files a sample of ``rows`` rows reads (seeded), or None for all of them."""
        import numpy as np

        try:
            files = sorted(set(self._df(table).inputFiles()))
        except Exception:  # noqa: BLE001 — sources without files (JDBC, some views)
            return None
        n = self.row_count(table)
        if len(files) <= 1 or n <= rows:
            return None
        per_file = n / len(files)
        k = math.ceil(rows * int(self.options.get("oversample", OVERSAMPLE)) / max(per_file, 1.0))
        if k >= len(files):
            return None
        order = np.random.default_rng(seed).permutation(len(files))[:k]
        return [files[i] for i in sorted(order)]

    def sample(self, table: str, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = DEFAULT_SEED, *,
               where_in: Mapping[str, Iterable[Any]] | None = None):
        """A seeded sample of at most ``rows`` rows, ordered by the sampling hash (see the module doc)."""
        sdf = self._df(table)
        try:
            if where_in:
                return self._top(self._semi_join(sdf, where_in), rows, seed)
            files = self.plan_files(table, rows, seed)
            if files is not None:
                try:
                    df = self._top(self._in_files(sdf, files), rows, seed)
                except Exception:  # noqa: BLE001 — no `_metadata` column (some views): read everything
                    df = None
                if df is not None and len(df) >= rows:
                    return df
                # the files held fewer rows than estimated: fall back to the whole table
            return self._top(sdf, rows, seed)
        except SourceError:
            raise
        except Exception as e:  # noqa: BLE001
            raise SourceError(f"cannot sample {table!r} with Spark: {_first_line(e)}") from e

    def read_all(self, table: str):
        """The whole table on the driver, as pandas (what the engine trains on)."""
        try:
            return to_pandas(self._df(table))
        except SourceError:
            raise
        except Exception as e:  # noqa: BLE001
            raise SourceError(f"cannot read {table!r} with Spark: {_first_line(e)}") from e

    @staticmethod
    def _in_files(sdf, files: list[str]):
        from pyspark.sql import functions as F

        names = set(files)
        for f in files:  # inputFiles() says file:///x where _metadata.file_path says file:/x
            if f.startswith("file:///"):
                names.add("file:/" + f[len("file:///"):])
        return sdf.where(F.col("_metadata.file_path").isin(sorted(names)))

    def _semi_join(self, sdf, where_in):
        from pyspark.sql import functions as F
        from pyspark.sql.types import StringType, StructField, StructType

        for col, values in where_in.items():
            vals = sorted({str(_key(v)) for v in values if v is not None})
            keys = self.spark.createDataFrame([(v,) for v in vals], StructType([StructField("v", StringType())]))
            typ = sdf.schema[col].dataType.simpleString()
            keys = keys.select(F.expr(f"try_cast(v AS {typ})").alias(col)).where(F.col(col).isNotNull())
            sdf = sdf.join(F.broadcast(keys), on=col, how="left_semi")
        return sdf

    @staticmethod
    def _top(sdf, rows: int, seed: int):
        from pyspark.sql import functions as F
        from pyspark.sql.types import ArrayType, MapType, StructType

        cols = [f.name for f in sdf.schema.fields if not isinstance(f.dataType, MapType)]
        orderable = [f.name for f in sdf.schema.fields
                     if not isinstance(f.dataType, (MapType, ArrayType, StructType))]
        h = F.xxhash64(*[F.col(c) for c in cols], F.lit(int(seed))) if cols else F.lit(0)
        out = (sdf.withColumn(HASH_COLUMN, h).orderBy(HASH_COLUMN, *orderable).limit(int(rows)))
        return to_pandas(out).drop(columns=[HASH_COLUMN]).reset_index(drop=True)


def _open(path: Path, options: Mapping[str, Any]) -> Source:
    return SparkSource(path, options)


register_source_kind("spark", _open)


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return f"{type(e).__name__}: {text[0] if text else ''}"


# --------------------------------------------------------------------------------------------
# compile: data stage and manifest


def _raw_path(model, t) -> str | None:
    src = model.spec.sources.get(t.source.alias) if t.source else None
    return src.path if src is not None else None


def root_for(model, t) -> str | None:
    """The source root as Spark should see it: URIs and absolute paths as written, else resolved."""
    raw = _raw_path(model, t)
    if not raw:
        return None
    if is_uri(raw) or Path(raw).is_absolute():
        return raw
    return str(t.source.path)


def plan_binding(model, t) -> tuple[tuple | None, list]:
    """The data stage's plan entry for a table of a spark source, and D050/D051 findings.

    Returns ``(("spark", root, table, options), [])`` when the table can be sampled; ``(None,
    [diagnostic])`` when no session is reachable or the table does not exist (the spec is then
    compiled without its data, as for a missing file).
    """
    from .codes import make

    table = t.source.location or t.name
    spath = t.path + ("source",)
    ok, why = spark_available()
    if not ok:
        return None, [make("D050", f"source of `{t.name}` is a Spark table and Spark is not reachable: {why}; "
                                   "compiled without its data", span=model.doc.locate(spath), path=spath,
                           help="install the `spark` extra (and Java 17), run inside Databricks, or give "
                                "explicit encodings and compile with `--no-data`")]
    root = root_for(model, t)
    opts = {"root": root, "format": t.source.format}
    try:
        src = SparkSource(None, opts)
    except SourceError as e:
        return None, [make("D050", f"source of `{t.name}`: {e}; compiled without its data",
                           span=model.doc.locate(spath), path=spath,
                           help="check the Java runtime, or compile with `--no-data`")]
    if not src.exists(table):
        fmt, where = src.location(table)
        return None, [make("D051", f"Spark table of `{t.name}` not found: {where}; compiled without its data",
                           span=model.doc.locate(spath), path=spath,
                           help="check the catalog/schema/table name (`SHOW TABLES IN ...`), or the path")]
    return ("spark", root or "", table, opts), []


def manifest_source(model, t, binding: Mapping[str, Any] | None, out_dir: Path) -> dict:
    """The manifest's ``tables[].source`` for a spark source (URIs and absolute paths kept as written)."""
    from .emit import _rel

    s = t.source
    raw = _raw_path(model, t)
    if raw is None:
        path = None
    elif is_uri(raw) or Path(raw).is_absolute():
        path = raw
    else:
        path = _rel(s.path, out_dir)
    b = binding or {}
    fmt = b.get("format") or ("table" if raw is None else s.format)
    return {"kind": "spark", "format": fmt, "path": path, "table": s.location or t.name, "options": {},
            "sample": {"rows": s.sample_rows, "seed": s.sample_seed}, "fingerprint": b.get("fingerprint")}


# --------------------------------------------------------------------------------------------
# run: reading and writing


def _source_for(source: Mapping[str, Any], base_dir: Path) -> tuple[SparkSource, str]:
    from .run_io import resolve

    root = source.get("path")
    if root and not is_uri(root) and not Path(root).is_absolute():
        root = str(resolve(base_dir, root))
    fmt = source.get("format") or "auto"
    return SparkSource(None, {"root": root, "format": "auto" if fmt == "table" else fmt}), source.get("table")


def read_table(source: Mapping[str, Any], base_dir: Path):
    """Run: the whole table of a manifest ``source`` of kind spark, as pandas."""
    if not source.get("table"):  # before a session is started
        raise SourceError("a spark source needs `table`")
    src, table = _source_for(source, base_dir)
    return src.read_all(table)


def source_schema(source: Mapping[str, Any] | None, base_dir: Path):
    """The Spark schema of a manifest source of kind spark (None for other kinds)."""
    if not source or source.get("kind") != "spark":
        return None
    src, table = _source_for(source, base_dir)
    return src.spark_schema(table)


def table_names(target, tables: Iterable[str]) -> dict[str, str]:
    """``{table: qualified Spark table name}`` for an output target."""
    return {t: target.table_name_for(t).replace("{version}", _ident(target.version)) for t in tables}


def check_output_free(target, tables: Iterable[str]) -> None:
    """``mode: new_version``: raise (R040) if a table this run would write exists already."""
    if target.mode == "overwrite":
        return
    spark = get_session()
    taken = [n for n in table_names(target, tables).values() if spark.catalog.tableExists(n)]
    if taken:
        raise SparkOutputError(f"Spark table(s) {', '.join(taken)} exist already; with `mode: new_version` "
                               "nothing is overwritten", code="R040")


def write_tables(frames: Mapping[str, Any], target, version_dir: Path, *, sources: Mapping[str, Any] | None = None,
                 base_dir: Path | None = None):
    """Write every frame with ``saveAsTable``; record them in ``tables.json`` in the version folder.

    Returns a :class:`compiler.run_io.Written` (``locations``: table → Spark table name).
    """
    from .run_io import Written, atomic_write_text, dump_json

    spark = get_session()
    names = table_names(target, frames)
    check_output_free(target, frames)
    mode = "overwrite" if target.mode == "overwrite" else "errorifexists"
    written: list[str] = []
    record = {}
    try:
        for table, df in frames.items():
            schema = None
            if sources and base_dir is not None:
                try:
                    schema = source_schema(sources.get(table), base_dir)
                except SourceError:
                    schema = None
            sdf = from_pandas(spark, df, schema)
            name = names[table]
            _ensure_database(spark, name)
            sdf.write.mode(mode).saveAsTable(name)
            written.append(name)
            record[table] = {"table": name, "rows": int(len(df)), "schema": sdf.schema.simpleString()}
    except Exception as e:
        if mode == "errorifexists":  # leave no partial version behind
            for name in written:
                try:
                    spark.sql(f"DROP TABLE IF EXISTS {name}")
                except Exception:  # noqa: BLE001 — best effort
                    pass
        if isinstance(e, SparkOutputError):
            raise
        raise SparkOutputError(f"saveAsTable failed: {_first_line(e)}") from e
    version_dir.mkdir(parents=True, exist_ok=True)
    atomic_write_text(version_dir / "tables.json", dump_json({"mode": target.mode, "tables": record}))
    out = Written()
    for table, rec in record.items():
        out.tables[table] = "tables.json"
        out.locations[table] = rec["table"]
    return out


def _ensure_database(spark, name: str) -> None:
    parts = name.split(".")
    if len(parts) < 2:
        return
    db = ".".join(parts[:-1])
    try:
        if not spark.catalog.databaseExists(db):
            spark.sql(f"CREATE DATABASE IF NOT EXISTS {db}")
    except Exception:  # noqa: BLE001 — no rights to create: saveAsTable reports the real error
        pass


def read_tables(target, tables: Iterable[str]) -> dict:
    """Read a written version's tables back as pandas (tests, inspection)."""
    spark = get_session()
    return {t: to_pandas(spark.table(n)) for t, n in table_names(target, tables).items()}


def bind_frames(frames: Mapping[str, Any], *, prefix: str = "") -> dict[str, str]:
    """Register Spark DataFrames as temporary views so a ``kind: spark`` source can name them.

    In a notebook: ``bind_frames({"titular": df})`` and ``source: nb/titular`` with
    ``sources: {nb: {kind: spark}}``. Returns ``{name: view name}``.
    """
    out = {}
    for name, df in frames.items():
        view = f"{prefix}{name}"
        df.createOrReplaceTempView(view)
        out[name] = view
    return out


def describe_schema(sdf) -> str:
    return json.dumps(json.loads(sdf.schema.json()), sort_keys=True)
