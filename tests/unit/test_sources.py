"""Sources: Parquet, CSV, SQLite and DuckDB sampling is bounded, seeded and faithful."""

from __future__ import annotations

import csv
import os
import sqlite3
import string

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.sources import (
    DEFAULT_SAMPLE_ROWS,
    NULL_TOKEN_CANDIDATES,
    FileSource,
    SourceError,
    open_source,
    sample_related,
    sniff_csv,
)


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "id": np.arange(1, n + 1, dtype=np.int64),
        "grp": rng.integers(1, 50, n),
        "amount": np.round(rng.gamma(2, 10, n), 2),
        "label": rng.choice(["alpha", "beta", "gamma"], n),
    })


@pytest.fixture
def parquet_dir(tmp_path):
    df = _frame(20_000)
    pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp_path / "big.parquet", row_group_size=1_000)
    pq.write_table(pa.Table.from_pandas(_frame(50), preserve_index=False), tmp_path / "small.parquet")
    return tmp_path, df


def test_parquet_tables_schema_count(parquet_dir):
    path, df = parquet_dir
    src = open_source("files", path, {})
    assert src.tables() == ["big", "small"]
    assert src.row_count("big") == 20_000
    assert [c for c, _ in src.schema("big")] == list(df.columns)
    assert dict(src.schema("big"))["id"] == "int64"


def test_parquet_sample_bounded_seeded_and_faithful(parquet_dir):
    path, df = parquet_dir
    src = open_source("files", path, {})
    a = src.sample("big", 1_000, seed=1)
    b = src.sample("big", 1_000, seed=1)
    c = src.sample("big", 1_000, seed=2)
    assert len(a) == 1_000
    pd.testing.assert_frame_equal(a, b)
    assert not a["id"].equals(c["id"])
    assert a["id"].is_monotonic_increasing  # source order
    merged = a.merge(df, on="id", suffixes=("", "_src"))
    assert len(merged) == 1_000 and (merged["amount"] == merged["amount_src"]).all()
    # Only a few of the 20 row groups are read for a 1,000-row sample.
    assert len(src.parquet_plan("big", 1_000, 1)) < 20


def test_parquet_small_table_is_read_whole(parquet_dir):
    path, _ = parquet_dir
    src = open_source("files", path, {})
    assert len(src.sample("small", DEFAULT_SAMPLE_ROWS)) == 50


def test_parquet_where_in(parquet_dir):
    path, df = parquet_dir
    src = open_source("files", path, {})
    got = src.sample("big", 100_000, 0, where_in={"grp": [3, 7]})
    assert set(got["grp"]) == {3, 7}
    assert len(got) == int(df["grp"].isin([3, 7]).sum())


def test_csv_quirks(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text(
        'id,code,num,note,empty\n'
        '1,01581,1.5,"line one\nline two",\n'
        '2,00042,?,"he said ""hi""",x\n'
        '3,12345,2.5,plain,\n', encoding="utf-8")
    src = open_source("files", p, {})
    df = src.sample("t")
    assert src.row_count("t") == 3
    assert list(df["code"]) == ["01581", "00042", "12345"]  # leading zeros keep a code a string
    assert str(df["id"].dtype) == "Int64"
    assert df["num"].isna().sum() == 1 and str(df["num"].dtype) == "float64"  # '?' detected as null token
    assert df["note"][0] == "line one\nline two" and df["note"][1] == 'he said "hi"'
    assert df["empty"].isna().sum() == 2


def test_csv_explicit_null_values(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("a,b\nNA,1\nx,?\n", encoding="utf-8")
    df = open_source("files", p, {"null_values": ["NA"]}).sample("t")
    assert df["a"].isna().tolist() == [True, False]
    assert df["b"].tolist() == ["1", "?"]


def test_csv_reservoir_sample_is_bounded_and_seeded(tmp_path):
    p = tmp_path / "big.csv"
    _frame(30_000).to_csv(p, index=False)
    src = FileSource(p, {"block_size": 64 * 1024})
    a = src.sample("big", 500, seed=3)
    b = FileSource(p, {"block_size": 64 * 1024}).sample("big", 500, seed=3)
    assert len(a) == 500 and a["id"].is_monotonic_increasing
    pd.testing.assert_frame_equal(a, b)
    assert src.row_count("big") == 30_000
    assert a["id"].max() > 20_000  # drawn from the whole file, not the head


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    delim=st.sampled_from([",", ";", "\t", "|"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "latin-1"]),
    rows=st.lists(
        st.tuples(st.integers(-10_000, 10_000),
                  st.text(alphabet=string.ascii_letters + "áéíñç ,;|", min_size=1, max_size=12).map(str.strip)
                  .filter(lambda s: s != "" and not s.isdigit() and s not in NULL_TOKEN_CANDIDATES)),
        min_size=3, max_size=30),
)
def test_csv_dialect_detection_generated(tmp_path_factory, delim, encoding, rows):
    d = tmp_path_factory.mktemp("csv")
    p = d / "g.csv"
    with p.open("w", encoding=encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=delim, quotechar='"', quoting=csv.QUOTE_MINIMAL)
        w.writerow(["n", "word"])
        w.writerows(rows)
    dialect = sniff_csv(p)
    assert dialect.delimiter == delim
    if encoding == "utf-8-sig":
        assert dialect.encoding == "utf-8-sig"
    df = open_source("files", d, {}).sample("g")
    assert df["n"].astype("int64").tolist() == [r[0] for r in rows]
    assert df["word"].tolist() == [r[1] for r in rows]


@pytest.fixture
def sqlite_db(tmp_path):
    db = tmp_path / "x.sqlite"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT, score REAL)")
    con.execute("CREATE TABLE child (cid INTEGER PRIMARY KEY, parent_id INTEGER, v TEXT)")
    con.execute("CREATE TABLE norow (k TEXT PRIMARY KEY, v INTEGER) WITHOUT ROWID")
    con.executemany("INSERT INTO parent VALUES (?,?,?)", [(i, f"n{i}", i / 3) for i in range(1, 3001)])
    con.executemany("INSERT INTO child VALUES (?,?,?)", [(i, 1 + i % 3000, "x") for i in range(1, 12001)])
    con.executemany("INSERT INTO norow VALUES (?,?)", [(f"k{i:05d}", i) for i in range(2000)])
    con.execute("DELETE FROM parent WHERE id % 7 = 0")  # gaps in rowid
    con.commit()
    con.close()
    return db


def test_sqlite(sqlite_db):
    src = open_source("sqlite", sqlite_db, {})
    assert src.tables() == ["child", "norow", "parent"]
    assert dict(src.schema("parent")) == {"id": "Int64", "name": "string", "score": "float64"}
    n = src.row_count("parent")
    a = src.sample("parent", 500, seed=5)
    b = src.sample("parent", 500, seed=5)
    assert len(a) == 500 and n > 500
    pd.testing.assert_frame_equal(a, b)
    assert a["id"].is_unique and not (a["id"] % 7 == 0).any()
    assert len(src.sample("parent", 10_000)) == n
    nr = src.sample("norow", 300, seed=1)
    assert len(nr) == 300 and nr.equals(src.sample("norow", 300, seed=1))
    w = src.sample("child", 100_000, where_in={"parent_id": [1, 2]})
    assert set(w["parent_id"]) == {1, 2} and len(w) == 8


def test_duckdb(tmp_path):
    import duckdb

    db = tmp_path / "x.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE TABLE t AS SELECT range AS id, range % 13 AS g, 'v' || range AS s FROM range(50000)")
    con.close()
    src = open_source("duckdb", db, {})
    assert src.tables() == ["t"] and src.row_count("t") == 50_000
    a = src.sample("t", 1000, seed=4)
    assert len(a) == 1000 and a["id"].is_monotonic_increasing
    pd.testing.assert_frame_equal(a, src.sample("t", 1000, seed=4))
    w = src.sample("t", 100_000, where_in={"g": [0]})
    assert set(w["g"]) == {0} and len(w) == len(range(0, 50000, 13))
    src.close()


def test_fingerprint_stable_and_content_sensitive(tmp_path):
    p = tmp_path / "f.csv"
    _frame(100).to_csv(p, index=False)
    f1 = open_source("files", tmp_path, {}).fingerprint("f")
    os.utime(p, (1, 1))
    assert open_source("files", tmp_path, {}).fingerprint("f") == f1
    df = _frame(100)
    df.loc[5, "label"] = "changed"
    df.to_csv(p, index=False)
    assert open_source("files", tmp_path, {}).fingerprint("f") != f1


def test_sample_related_keeps_relations(tmp_path):
    parents = pd.DataFrame({"pid": np.arange(1, 2001), "x": np.arange(2000) % 5})
    rng = np.random.default_rng(0)
    children = pd.DataFrame({"cid": np.arange(1, 10_001), "pid": rng.integers(1, 2001, 10_000)})
    parents.to_parquet(tmp_path / "p.parquet")
    children.to_parquet(tmp_path / "c.parquet")
    src = open_source("files", tmp_path, {})
    fk = {"child_table": "c", "child_columns": ["pid"], "parent_table": "p", "parent_columns": ["pid"],
          "is_context": True}
    got = sample_related(src, ["p", "c"], [fk], rows=200, seed=1)
    assert len(got["p"]) == 200
    assert set(got["c"]["pid"]) <= set(got["p"]["pid"])
    expected = children[children["pid"].isin(got["p"]["pid"])]
    assert len(got["c"]) == len(expected)
    again = sample_related(src, ["p", "c"], [fk], rows=200, seed=1)
    pd.testing.assert_frame_equal(got["c"], again["c"])


def test_unknown_kind_and_missing_path(tmp_path):
    with pytest.raises(SourceError):
        open_source("oracle", tmp_path, {})
    with pytest.raises(SourceError):
        open_source("files", tmp_path / "nope", {})
    with pytest.raises(SourceError):
        open_source("sqlite", tmp_path / "nope.db", {})
