"""Data sources: list tables, read schemas and row counts, draw bounded, seeded samples.

One interface, :class:`Source`, with implementations for a folder of files (Parquet and CSV), SQLite
and DuckDB. :func:`open_source` is the factory (``kind`` = ``files`` | ``sqlite`` | ``duckdb``; more
kinds, such as Spark, register through :func:`register_source_kind`).

Sampling is bounded and deterministic: the default is :data:`DEFAULT_SAMPLE_ROWS` rows with a seed,
and a table larger than the sample is never loaded whole:

* Parquet: row groups are chosen by a seeded permutation until they hold a few times the sample,
  only those row groups are read, and rows are drawn from them by seeded index.
* CSV: the file is streamed in blocks (pyarrow.csv) and reservoir-sampled with seeded keys.
* SQLite: seeded random rowids are looked up in batches (O(sample), no full scan); tables without
  rowid fall back to ordering by a seeded hash.
* DuckDB: ``USING SAMPLE reservoir(n ROWS) REPEATABLE (seed)`` on a single thread.

:func:`sample_related` samples related tables together (parents first, then only the children of
the sampled parents), so relations survive sampling.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_SAMPLE_ROWS = 10_000
DEFAULT_SEED = 0
NULL_TOKEN_CANDIDATES = ("", "NA", "N/A", "n/a", "NULL", "null", "Null", "None", "none", "NaN", "nan", "?", "-",
                         "\\N", "#N/A", "(null)", "--")
ALWAYS_NULL = ("", "NULL", "null", "\\N", "(null)", "#N/A")
"""Tokens treated as null in every text column (empty strings count as null, as most writers mean)."""


class SourceError(Exception):
    """A source cannot be opened or read (maps to diagnostic D001)."""


class Source(ABC):
    """A set of tables that can be listed, described and sampled."""

    kind: str = ""

    @abstractmethod
    def tables(self) -> list[str]:
        """Table names, sorted."""

    @abstractmethod
    def schema(self, table: str) -> list[tuple[str, str]]:
        """``[(column, dtype string)]`` in column order (pandas dtype names after loading)."""

    @abstractmethod
    def row_count(self, table: str) -> int:
        """Number of rows (from metadata when the format has it)."""

    @abstractmethod
    def sample(self, table: str, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = DEFAULT_SEED, *,
               where_in: Mapping[str, Iterable[Any]] | None = None):
        """A seeded sample of at most ``rows`` rows, in source order, as a pandas DataFrame.

        ``where_in`` keeps only rows whose column values are in the given sets (AND over columns);
        the sample is drawn from the rows that match.
        """

    def fingerprint(self, table: str, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = DEFAULT_SEED) -> str:
        """sha256 over schema, row count and a content hash of the sample (independent of file mtime)."""
        df = self.sample(table, rows, seed)
        h = hashlib.sha256()
        h.update(json.dumps({"schema": self.schema(table), "rows": self.row_count(table),
                             "sample_rows": int(len(df)), "seed": seed}, sort_keys=True).encode())
        h.update(b"\x00")
        h.update(content_hash(df).encode())
        return h.hexdigest()

    def close(self) -> None:  # pragma: no cover - trivial
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def content_hash(df) -> str:
    """sha256 of a DataFrame's column names, dtypes and values as text (stable across runs)."""
    h = hashlib.sha256()
    for c in df.columns:
        s = df[c]
        h.update(f"{c}\x1f{s.dtype}\x1e".encode())
        vals = s.astype("object").where(s.notna(), None).tolist()
        h.update("\x1f".join("\x00" if v is None else str(v) for v in vals).encode("utf-8", "surrogatepass"))
        h.update(b"\x1d")
    return h.hexdigest()


def _where_mask(df, where_in):
    import pandas as pd

    mask = pd.Series(True, index=df.index)
    for col, values in (where_in or {}).items():
        vals = list(values)
        col_s = df[col]
        norm = {_key(v) for v in vals}
        mask &= col_s.map(lambda v: _key(v) in norm).astype(bool)
    return mask


def _key(v):
    if v is None:
        return None
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if hasattr(v, "item") and not isinstance(v, str):
        return _key(v.item())
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return v


def _seeded_take(n_total: int, rows: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_total, size=rows, replace=False))


# --- files ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CsvDialect:
    """What :func:`sniff_csv` found: delimiter, quote char, encoding and header presence."""

    delimiter: str = ","
    quotechar: str = '"'
    encoding: str = "utf-8"
    header: bool = True


def sniff_csv(path: Path, sample_bytes: int = 256 * 1024) -> CsvDialect:
    """Detect the encoding (utf-8, utf-8-sig, latin-1 fallback) and delimiter of a CSV file."""
    raw = Path(path).open("rb").read(sample_bytes)
    if raw.startswith(codecs.BOM_UTF8):
        enc = "utf-8-sig"
    else:
        try:
            # A block boundary can cut a multi-byte char: ignore an incomplete tail only.
            codecs.getincrementaldecoder("utf-8")().decode(raw, final=False)
            enc = "utf-8"
        except UnicodeDecodeError:
            enc = "latin-1"
    text = raw.decode(enc, errors="ignore")
    if len(raw) == sample_bytes and "\n" in text:
        text = text[: text.rfind("\n")]
    delim = ","
    try:
        d = csv.Sniffer().sniff(text[:65536], delimiters=",;\t|")
        delim = d.delimiter
    except csv.Error:
        lines = [ln for ln in text.splitlines()[:50] if ln]
        best = None
        for cand in (",", ";", "\t", "|"):
            counts = [ln.count(cand) for ln in lines]
            if counts and min(counts) > 0:
                score = (len(set(counts)) == 1, min(counts))
                if best is None or score > best[0]:
                    best = (score, cand)
        if best:
            delim = best[1]
    # The sniffer can pick a delimiter that occurs inside quoted text; prefer the one that gives a
    # consistent column count over the first rows.
    delim = _consistent_delimiter(text, delim)
    return CsvDialect(delimiter=delim, quotechar='"', encoding=enc, header=True)


def _consistent_delimiter(text: str, guess: str) -> str:
    import io

    def widths(d):
        try:
            rows = list(csv.reader(io.StringIO(text), delimiter=d, quotechar='"'))[:200]
        except csv.Error:
            return None
        if len(rows) > 2:
            rows = rows[:-1]  # the last row may be cut
        w = [len(r) for r in rows if r]
        return w

    best = (None, guess)
    for d in dict.fromkeys([guess, ",", ";", "\t", "|"]):
        w = widths(d)
        if not w or w[0] < 2:
            continue
        consistent = sum(x == w[0] for x in w) / len(w)
        key = (consistent >= 0.999, consistent, d == guess, w[0])
        if best[0] is None or key > best[0]:
            best = (key, d)
    return best[1]


def _type_csv_frame(df, null_tokens: Iterable[str] | None):
    """Turn an all-string CSV frame into typed columns: nulls, ints, floats; strings stay strings.

    Null tokens: ``null_tokens`` when given (exactly those); otherwise :data:`ALWAYS_NULL` everywhere,
    plus any candidate token that is the only non-numeric value of an otherwise numeric column.
    Digit strings with leading zeros stay strings (codes, not numbers).
    """
    import pandas as pd

    out = {}
    explicit = None if null_tokens is None else set(null_tokens)
    for c in df.columns:
        s = df[c].astype("string")
        if explicit is not None:
            s = s.mask(s.isin(explicit))
        else:
            s = s.mask(s.isin(ALWAYS_NULL))
        nn = s.dropna()
        if explicit is None and len(nn):
            num = pd.to_numeric(nn, errors="coerce")
            bad = nn[num.isna()]
            if len(bad) and len(bad) < len(nn) and set(bad.unique()) <= set(NULL_TOKEN_CANDIDATES):
                s = s.mask(s.isin(set(bad.unique())))
                nn = s.dropna()
        out[c] = _convert_strings(s, nn)
    return pd.DataFrame(out, index=df.index)


def _convert_strings(s, nn):
    import pandas as pd

    if not len(nn):
        return s
    stripped = nn.str.strip()
    if stripped.str.fullmatch(r"[+-]?\d{1,18}").all():
        if not (stripped.str.len().gt(1) & stripped.str.match(r"[+-]?0\d")).any():
            return pd.to_numeric(s.str.strip(), errors="coerce").astype("Int64")
        return s
    if stripped.str.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?").all():
        return pd.to_numeric(s.str.strip(), errors="coerce").astype("float64")
    return s


class FileSource(Source):
    """A folder of ``.parquet``/``.pq`` and ``.csv``/``.tsv``/``.txt`` files, or a single file.

    Tables are named by file stem. Options: ``null_values`` (list of CSV null tokens; default:
    detected), ``delimiter``, ``encoding`` (CSV overrides), ``block_size`` (CSV streaming, bytes),
    ``oversample`` (Parquet: rows read per sampled row, default 4).
    """

    kind = "files"
    SUFFIXES = {".parquet": "parquet", ".pq": "parquet", ".csv": "csv", ".tsv": "csv", ".txt": "csv"}

    def __init__(self, path: Path, options: Mapping[str, Any] | None = None):
        self.path = Path(path)
        self.options = dict(options or {})
        if not self.path.exists():
            raise SourceError(f"path does not exist: {self.path}")
        files = [self.path] if self.path.is_file() else sorted(p for p in self.path.iterdir() if p.is_file())
        self._files: dict[str, Path] = {}
        for f in files:
            if f.suffix.lower() in self.SUFFIXES and f.stem not in self._files:
                self._files[f.stem] = f
        self._cache: dict[tuple, Any] = {}

    def _file(self, table: str) -> Path:
        try:
            return self._files[table]
        except KeyError:
            raise SourceError(f"no table {table!r} in {self.path}") from None

    def _fmt(self, table: str) -> str:
        return self.SUFFIXES[self._file(table).suffix.lower()]

    def tables(self) -> list[str]:
        return sorted(self._files)

    # Parquet ---------------------------------------------------------------------------------------------------
    def _pq(self, table):
        import pyarrow.parquet as pq

        return pq.ParquetFile(self._file(table))

    def schema(self, table: str) -> list[tuple[str, str]]:
        if self._fmt(table) == "parquet":
            sch = self._pq(table).schema_arrow
            empty = sch.empty_table().to_pandas()
            return [(n, str(empty[n].dtype)) for n in sch.names]
        df = self.sample(table, rows=DEFAULT_SAMPLE_ROWS, seed=DEFAULT_SEED)
        return [(str(c), str(df[c].dtype)) for c in df.columns]

    def row_count(self, table: str) -> int:
        if self._fmt(table) == "parquet":
            return int(self._pq(table).metadata.num_rows)
        return self._csv_scan(table, DEFAULT_SAMPLE_ROWS, DEFAULT_SEED, None)[1]

    def parquet_plan(self, table: str, rows: int, seed: int) -> list[int]:
        """Row groups a Parquet sample of ``rows`` rows reads (seeded; public for the benchmark)."""
        import numpy as np

        md = self._pq(table).metadata
        n_rg = md.num_row_groups
        sizes = [md.row_group(i).num_rows for i in range(n_rg)]
        if sum(sizes) <= rows:
            return list(range(n_rg))
        budget = rows * int(self.options.get("oversample", 4))
        order = np.random.default_rng(seed).permutation(n_rg)
        picked, have = [], 0
        for i in order:
            picked.append(int(i))
            have += sizes[i]
            if have >= budget and len(picked) >= min(n_rg, 2):
                break
        return sorted(picked)

    def _sample_parquet(self, table, rows, seed, where_in):
        import pyarrow as pa
        import pyarrow.compute as pc

        pf = self._pq(table)
        if where_in:
            import pyarrow.dataset as ds

            dset = ds.dataset(self._file(table), format="parquet")
            expr = None
            for col, values in where_in.items():
                typ = dset.schema.field(col).type
                vals = [v for v in values if v is not None]
                arr = pa.array(vals).cast(typ, safe=False) if vals else pa.array([], type=typ)
                e = pc.field(col).isin(arr)
                expr = e if expr is None else expr & e
            tbl = dset.to_table(filter=expr)
            if tbl.num_rows > rows:
                tbl = tbl.take(pa.array(_seeded_take(tbl.num_rows, rows, seed)))
            return tbl.to_pandas()
        groups = self.parquet_plan(table, rows, seed)
        tbl = pf.read_row_groups(groups) if groups else pf.schema_arrow.empty_table()
        if tbl.num_rows > rows:
            tbl = tbl.take(pa.array(_seeded_take(tbl.num_rows, rows, seed)))
        return tbl.to_pandas()

    # CSV --------------------------------------------------------------------------------------------------------
    def dialect(self, table: str) -> CsvDialect:
        d = sniff_csv(self._file(table))
        return CsvDialect(delimiter=self.options.get("delimiter", d.delimiter), quotechar=d.quotechar,
                          encoding=self.options.get("encoding", d.encoding), header=True)

    def _csv_scan(self, table, rows, seed, where_in):
        key = ("csv", table, rows, seed, json.dumps({k: sorted(map(str, v)) for k, v in (where_in or {}).items()},
                                                    sort_keys=True))
        if key in self._cache:
            return self._cache[key]
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.csv as pacsv

        d = self.dialect(table)
        path = self._file(table)
        enc = d.encoding
        for attempt in range(2):
            try:
                header = pacsv.open_csv(
                    path, read_options=pacsv.ReadOptions(encoding=enc, block_size=1 << 16),
                    parse_options=pacsv.ParseOptions(delimiter=d.delimiter, quote_char=d.quotechar,
                                                     newlines_in_values=True),
                ).schema.names
                types = {n: pa.string() for n in header}
                reader = pacsv.open_csv(
                    path,
                    read_options=pacsv.ReadOptions(encoding=enc,
                                                   block_size=int(self.options.get("block_size", 1 << 22))),
                    parse_options=pacsv.ParseOptions(delimiter=d.delimiter, quote_char=d.quotechar,
                                                     double_quote=True, newlines_in_values=True),
                    convert_options=pacsv.ConvertOptions(column_types=types, strings_can_be_null=False,
                                                         null_values=[], quoted_strings_can_be_null=False),
                )
                rng = np.random.default_rng(seed)
                keep = None
                total = 0
                for batch in reader:
                    chunk = batch.to_pandas()
                    chunk.index = pd.RangeIndex(total, total + len(chunk))
                    total += len(chunk)
                    keys = rng.random(len(chunk))
                    if where_in:
                        m = _where_mask(_type_csv_frame(chunk, self.options.get("null_values")), where_in).to_numpy()
                        chunk, keys = chunk[m], keys[m]
                    chunk = chunk.assign(__k=keys)
                    keep = chunk if keep is None else pd.concat([keep, chunk])
                    if len(keep) > rows:
                        keep = keep.nsmallest(rows, "__k", keep="first")
                break
            except (UnicodeDecodeError, pa.ArrowInvalid) as e:
                if attempt == 0 and enc != "latin-1" and ("UTF" in str(e) or isinstance(e, UnicodeDecodeError)):
                    enc = "latin-1"
                    continue
                raise SourceError(f"cannot read {path}: {e}") from e
        if keep is None:
            keep = pd.DataFrame({n: pd.Series([], dtype="string") for n in header}).assign(__k=[])
        keep = keep.sort_index().drop(columns="__k").reset_index(drop=True)
        df = _type_csv_frame(keep, self.options.get("null_values"))
        self._cache[key] = (df, total)
        return df, total

    def sample(self, table: str, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = DEFAULT_SEED, *, where_in=None):
        if self._fmt(table) == "parquet":
            return self._sample_parquet(table, rows, seed, where_in)
        return self._csv_scan(table, rows, seed, where_in)[0].copy()


# --- SQL ----------------------------------------------------------------------------------------------------------


def _qi(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_SQLITE_TYPES = (("INT", "Int64"), ("CHAR", "string"), ("CLOB", "string"), ("TEXT", "string"), ("BLOB", "object"),
                 ("REAL", "float64"), ("FLOA", "float64"), ("DOUB", "float64"), ("NUMERIC", "float64"),
                 ("DECIMAL", "float64"), ("BOOL", "boolean"), ("DATE", "string"), ("TIME", "string"))


def _sqlite_dtype(decl: str) -> str:
    d = (decl or "").upper()
    for k, v in _SQLITE_TYPES:
        if k in d:
            return v
    return "object"


class SQLiteSource(Source):
    """Tables of a SQLite database file (read-only)."""

    kind = "sqlite"

    def __init__(self, path: Path, options: Mapping[str, Any] | None = None):
        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"SQLite file does not exist: {self.path}")
        self.options = dict(options or {})
        self.con = sqlite3.connect(f"file:{self.path}?mode=ro", uri=True)

    def close(self):
        self.con.close()

    def tables(self) -> list[str]:
        rows = self.con.execute("SELECT name FROM sqlite_master WHERE type IN ('table','view') "
                                "AND name NOT LIKE 'sqlite_%'").fetchall()
        return sorted(r[0] for r in rows)

    def _cols(self, table):
        info = self.con.execute(f"PRAGMA table_info({_qi(table)})").fetchall()
        if not info:
            raise SourceError(f"no table {table!r} in {self.path}")
        return [(r[1], r[2]) for r in info]

    def schema(self, table: str) -> list[tuple[str, str]]:
        return [(n, _sqlite_dtype(t)) for n, t in self._cols(table)]

    def row_count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT COUNT(*) FROM {_qi(table)}").fetchone()[0])

    def _frame(self, cur, table):
        return self._records([d[0] for d in cur.description], cur.fetchall(), table)

    def _records(self, names, data, table):
        import pandas as pd

        df = pd.DataFrame.from_records(data, columns=names)
        dtypes = dict(self.schema(table))
        for c in df.columns:
            dt = dtypes.get(c, "object")
            try:
                if dt == "Int64":
                    df[c] = pd.to_numeric(df[c], errors="raise").astype("Int64")
                elif dt == "float64":
                    df[c] = pd.to_numeric(df[c], errors="raise").astype("float64")
                elif dt == "string":
                    df[c] = df[c].astype("string")
                elif dt == "boolean":
                    df[c] = df[c].astype("boolean")
            except (ValueError, TypeError):
                df[c] = df[c].astype("object")
        return df

    def _has_rowid(self, table) -> bool:
        try:
            self.con.execute(f"SELECT rowid FROM {_qi(table)} LIMIT 1").fetchall()
            return True
        except sqlite3.OperationalError:
            return False

    def sample(self, table: str, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = DEFAULT_SEED, *, where_in=None):
        import numpy as np

        cols = ", ".join(_qi(n) for n, _ in self._cols(table))
        if where_in:
            # Filter in SQL by the first column's values (batched), the rest in pandas; then subsample.
            import pandas as pd

            col0, vals0 = next(iter(where_in.items()))
            vals0 = sorted({v for v in vals0 if v is not None}, key=str)
            parts = []
            for i in range(0, len(vals0), 900):
                chunk = vals0[i:i + 900]
                cur = self.con.execute(f"SELECT rowid AS __r, {cols} FROM {_qi(table)} WHERE {_qi(col0)} IN "
                                       f"({','.join('?' * len(chunk))})", [_py(v) for v in chunk])
                parts.append(self._frame(cur, table))
            df = pd.concat(parts) if parts else self._frame(self.con.execute(
                f"SELECT rowid AS __r, {cols} FROM {_qi(table)} WHERE 0"), table)
            df = df[_where_mask(df, where_in)].sort_values("__r")
            if len(df) > rows:
                df = df.iloc[_seeded_take(len(df), rows, seed)]
            return df.drop(columns="__r").reset_index(drop=True)
        n = self.row_count(table)
        if n <= rows:
            return self._frame(self.con.execute(f"SELECT {cols} FROM {_qi(table)}"), table)
        if not self._has_rowid(table):
            self.con.create_function("__synth_h", 2, lambda a, b: hashlib.sha256(f"{b}:{a}".encode()).hexdigest(),
                                     deterministic=True)
            keycols = ", ".join(_qi(n) for n, _ in self._cols(table))
            q = (f"SELECT {cols} FROM {_qi(table)} ORDER BY __synth_h(({keycols.split(', ')[0]}), {int(seed)}) "
                 f"LIMIT {int(rows)}")
            return self._frame(self.con.execute(q), table)
        lo, hi = self.con.execute(f"SELECT MIN(rowid), MAX(rowid) FROM {_qi(table)}").fetchone()
        rng = np.random.default_rng(seed)
        got: dict[int, tuple] = {}
        tried: set[int] = set()
        span = hi - lo + 1
        cur_cols = None
        while len(got) < rows and len(tried) < span:
            need = rows - len(got)
            density = max(n / span, 1e-3)
            k = min(span - len(tried), int(need / density * 1.2) + 16)
            cand = [int(x) for x in rng.integers(lo, hi + 1, size=k * 2) if int(x) not in tried]
            cand = list(dict.fromkeys(cand))[:k]
            if not cand:
                continue
            tried.update(cand)
            for i in range(0, len(cand), 900):
                chunk = cand[i:i + 900]
                cur = self.con.execute(f"SELECT rowid, {cols} FROM {_qi(table)} WHERE rowid IN "
                                       f"({','.join('?' * len(chunk))})", chunk)
                cur_cols = cur.description
                for r in cur.fetchall():
                    got[r[0]] = r[1:]
        # More rows than asked can be found in the last batch: drop the surplus with a seeded choice.
        ids = sorted(got)
        if len(ids) > rows:
            ids = sorted(np.random.default_rng(seed + 1).choice(ids, size=rows, replace=False).tolist())
        names = [d[0] for d in (cur_cols or [])][1:] or [n for n, _ in self._cols(table)]
        return self._records(names, [got[i] for i in ids], table)


def _py(v):
    return v.item() if hasattr(v, "item") and not isinstance(v, str) else v


class DuckDBSource(Source):
    """Tables (and views) of a DuckDB database file, opened read-only; names are ``schema.table`` outside main."""

    kind = "duckdb"

    def __init__(self, path: Path, options: Mapping[str, Any] | None = None):
        import duckdb

        self.path = Path(path)
        if not self.path.is_file():
            raise SourceError(f"DuckDB file does not exist: {self.path}")
        self.options = dict(options or {})
        self.con = duckdb.connect(str(self.path), read_only=True)
        self.con.execute("SET threads TO 1")  # REPEATABLE sampling is deterministic on one thread only

    def close(self):
        self.con.close()

    def _ref(self, table: str) -> str:
        if "." in table:
            s, t = table.split(".", 1)
            return f"{_qi(s)}.{_qi(t)}"
        return _qi(table)

    def tables(self) -> list[str]:
        rows = self.con.execute("SELECT table_schema, table_name FROM information_schema.tables "
                                "WHERE table_catalog = current_database()").fetchall()
        return sorted(t if s == "main" else f"{s}.{t}" for s, t in rows)

    def schema(self, table: str) -> list[tuple[str, str]]:
        df = self.con.execute(f"SELECT * FROM {self._ref(table)} LIMIT 0").df()
        return [(str(c), str(df[c].dtype)) for c in df.columns]

    def row_count(self, table: str) -> int:
        return int(self.con.execute(f"SELECT COUNT(*) FROM {self._ref(table)}").fetchone()[0])

    def sample(self, table: str, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = DEFAULT_SEED, *, where_in=None):
        import pandas as pd

        src = self._ref(table)
        where = ""
        if where_in:
            conds = []
            for i, (col, values) in enumerate(where_in.items()):
                vals = pd.DataFrame({"v": [_py(v) for v in values if v is not None]})
                self.con.register(f"__w{i}", vals)
                conds.append(f"{_qi(col)} IN (SELECT v FROM __w{i})")
            where = " WHERE " + " AND ".join(conds)
        inner = f"SELECT rowid AS __r, * FROM {src}{where}"
        q = (f"SELECT * FROM ({inner}) USING SAMPLE reservoir({int(rows)} ROWS) REPEATABLE ({int(seed)}) "
             f"ORDER BY __r")
        try:
            df = self.con.execute(q).df()
        except Exception:  # views have no rowid
            inner = f"SELECT * FROM {src}{where}"
            df = self.con.execute(f"SELECT * FROM ({inner}) USING SAMPLE reservoir({int(rows)} ROWS) "
                                  f"REPEATABLE ({int(seed)})").df()
        finally:
            for i in range(len(where_in or {})):
                self.con.unregister(f"__w{i}")
        return df.drop(columns=["__r"], errors="ignore").reset_index(drop=True)


# --- factory and related sampling ---------------------------------------------------------------------------------

_KINDS: dict[str, Callable[[Path, Mapping[str, Any]], Source]] = {
    "files": FileSource,
    "sqlite": SQLiteSource,
    "duckdb": DuckDBSource,
}


_LAZY_KINDS = {"spark": "compiler.spark"}
"""Kinds whose module registers itself when first used (so compile never imports pyspark otherwise)."""


def register_source_kind(kind: str, factory: Callable[[Path, Mapping[str, Any]], Source]) -> None:
    """Register another source kind (e.g. ``spark``) for :func:`open_source`."""
    _KINDS[kind] = factory


def source_kinds() -> list[str]:
    return sorted(set(_KINDS) | set(_LAZY_KINDS))


def open_source(kind: str, path: Path, options: Mapping[str, Any] | None = None) -> Source:
    """Open a source of the given kind.

    Args:
        kind: ``files`` (a folder of Parquet/CSV files or one file), ``sqlite``, ``duckdb`` or
            ``spark`` (:mod:`compiler.spark`; options ``root``, ``format``, ``session``).
        path: the folder or file.
        options: kind-specific options (see each class).

    Raises:
        SourceError: unknown kind, missing path, unreadable file.
    """
    if kind not in _KINDS and kind in _LAZY_KINDS:
        import importlib

        importlib.import_module(_LAZY_KINDS[kind])
    try:
        factory = _KINDS[kind]
    except KeyError:
        raise SourceError(f"unknown source kind {kind!r}; expected one of {', '.join(source_kinds())}") from None
    try:
        return factory(Path(path), dict(options or {}))
    except SourceError:
        raise
    except Exception as e:  # sqlite3/duckdb errors
        raise SourceError(f"cannot open {kind} source {path}: {e}") from e


def _fk_fields(fk) -> tuple[str, list[str], str, list[str], bool]:
    get = (lambda k: fk[k]) if isinstance(fk, Mapping) else (lambda k: getattr(fk, k))
    cc = get("child_columns")
    pc = get("parent_columns")
    cc = [cc] if isinstance(cc, str) else list(cc)
    pc = [pc] if isinstance(pc, str) else list(pc)
    try:
        ctx = bool(get("is_context"))
    except (KeyError, AttributeError):
        ctx = True
    return get("child_table"), cc, get("parent_table"), pc, ctx


def sample_related(source: Source, tables: Iterable[str], fks: Iterable[Any], rows: int = DEFAULT_SAMPLE_ROWS,
                   seed: int = DEFAULT_SEED, *, max_child_rows: int | None = None) -> dict[str, Any]:
    """Sample related tables together so that relations survive sampling.

    Tables without a context FK (subject tables) are sampled first, independently. Then each child, in
    topological order, keeps only rows whose context-FK values are among the sampled parent keys (a
    child with several sampled parents uses its context FK; FKs without ``is_context`` count as
    context). If a child then has more than ``max_child_rows`` rows (default ``10 * rows``), whole
    parent groups are dropped (seeded) until it fits, so sequences stay complete.

    Args:
        source: a :class:`Source`.
        tables: the table names to sample.
        fks: dicts or objects with ``child_table``, ``child_columns``, ``parent_table``,
            ``parent_columns`` and optionally ``is_context``.
        rows: sample size for subject tables.
        seed: the seed.

    Returns:
        ``{table: DataFrame}`` in the order of ``tables``.
    """
    import numpy as np

    tables = list(tables)
    max_child_rows = max_child_rows or rows * 10
    parent_of: dict[str, tuple[list[str], str, list[str]]] = {}
    for fk in fks:
        child, cc, parent, pc, ctx = _fk_fields(fk)
        if child == parent or child not in tables or parent not in tables or not ctx:
            continue
        parent_of.setdefault(child, (cc, parent, pc))
    done: dict[str, Any] = {}
    pending = list(tables)
    guard = 0
    while pending and guard <= len(tables) + 1:
        guard += 1
        for t in list(pending):
            rel = parent_of.get(t)
            if rel and rel[1] not in done and rel[1] in pending:
                continue
            if not rel:
                done[t] = source.sample(t, rows, seed)
            else:
                cc, parent, pc = rel
                pdf = done[parent]
                keys = pdf[pc[0]].dropna().unique().tolist()
                df = source.sample(t, max_child_rows * 4, seed, where_in={cc[0]: keys})
                if len(cc) > 1:
                    ptuples = {tuple(_key(v) for v in r) for r in pdf[pc].itertuples(index=False, name=None)}
                    m = [tuple(_key(v) for v in r) in ptuples for r in df[cc].itertuples(index=False, name=None)]
                    df = df[np.asarray(m, dtype=bool)]
                if len(df) > max_child_rows:
                    groups = df[cc[0]].map(_key)
                    uniq = sorted(groups.dropna().unique().tolist(), key=str)
                    order = np.random.default_rng(seed).permutation(len(uniq))
                    sizes = groups.value_counts()
                    keep, total = set(), 0
                    for i in order:
                        g = uniq[i]
                        if total + sizes[g] > max_child_rows and keep:
                            continue
                        keep.add(g)
                        total += sizes[g]
                    df = df[groups.isin(keep)]
                done[t] = df.reset_index(drop=True)
            pending.remove(t)
    for t in pending:  # context cycles: sample independently
        done[t] = source.sample(t, rows, seed)
    return {t: done[t] for t in tables}
