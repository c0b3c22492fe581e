"""Run I/O (compiler.run_io): sources, atomic versions, the latest pointer, the four output kinds."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from compiler.run_io import (OutputError, SourceError, VersionWriter, file_hashes, plan_output, read_latest,
                             read_source, read_tables, update_latest, version_name, write_tables)

NOW = dt.datetime(2026, 12, 4, 15, 30, 5, tzinfo=dt.timezone.utc)
SHA = "ab12cd34" + "0" * 56


def frames():
    return {
        "titular": pd.DataFrame({
            "id": pd.Series([1, 2, 3], dtype="int64"),
            "nom": pd.Series(["Anna", "Pau", None], dtype="str"),
            "vip": [True, False, True],
            "score": [1.5, None, 3.25],
            "alta": pd.to_datetime(["2020-01-01 10:00:00", "2021-06-30 00:00:00", "2022-12-31 23:59:59"]),
            "n": pd.array([1, None, 3], dtype="Int64"),
        }),
        "pagament": pd.DataFrame({"pid": [10, 11], "id": [1, 3], "import": [9.5, 10.0]}),
    }


def test_version_name():
    assert version_name(NOW, SHA) == "20261204T153005Z-ab12cd34"
    naive = dt.datetime(2026, 1, 2, 3, 4, 5)
    assert version_name(naive, SHA) == "20260102T030405Z-ab12cd34"


def test_plan_output_templates(tmp_path):
    t = plan_output({"kind": "parquet", "path": "out/{name}/{version}", "table_name": "syn_{table}"}, tmp_path,
                    name="ts", version="V")
    assert t.root == tmp_path / "out" / "ts" and t.version == "V" and t.data_rel == ""
    assert t.table_name_for("titular") == "syn_titular"
    t = plan_output({"kind": "sqlite", "path": "out/{name}"}, tmp_path, name="ts", version="V")
    assert t.root == tmp_path / "out" / "ts" and t.data_rel == "ts.sqlite"  # {version} appended, default db file
    t = plan_output({"kind": "duckdb", "path": "db/v-{version}/all.duckdb"}, tmp_path, name="ts", version="V")
    assert t.root == tmp_path / "db" and t.version == "v-V" and t.data_rel == "all.duckdb"
    (tmp_path / "db" / "v-V").mkdir(parents=True)
    t = plan_output({"kind": "duckdb", "path": "db/v-{version}/all.duckdb"}, tmp_path, name="ts", version="V")
    assert t.version == "v-V-1"  # an existing version is never overwritten: suffix
    with pytest.raises(OutputError):
        plan_output({"kind": "excel", "path": "x"}, tmp_path, name="ts", version="V")
    with pytest.raises(OutputError):
        plan_output({"kind": "csv", "path": "x", "mode": "overwrite"}, tmp_path, name="ts", version="V")


@pytest.mark.parametrize("kind", ["parquet", "csv", "sqlite", "duckdb"])
def test_all_output_kinds_read_back(tmp_path, kind):
    target = plan_output({"kind": kind, "path": "out/{name}/{version}", "table_name": "syn_{table}"}, tmp_path,
                         name="ts", version=version_name(NOW, SHA))
    src = frames()
    with VersionWriter(target) as w:
        written = write_tables(src, target, w.path)
        final = w.commit()
    assert final == tmp_path / "out" / "ts" / "20261204T153005Z-ab12cd34"
    assert set(written.tables) == {"titular", "pagament"}
    for rel in written.tables.values():
        assert (final / rel).is_file()
    back = read_tables(final, target, ["titular", "pagament"])
    for name, df in src.items():
        got = back[name]
        assert list(got.columns) == list(df.columns)
        assert len(got) == len(df)
        assert got["id"].tolist() == df["id"].tolist()
    t = back["titular"]
    assert t["nom"].iloc[:2].tolist() == ["Anna", "Pau"] and pd.isna(t["nom"].iloc[2])
    assert [bool(v) for v in t["vip"]] == [True, False, True]
    assert pd.to_datetime(t["alta"]).tolist() == src["titular"]["alta"].tolist()
    assert pd.isna(t["score"].iloc[1]) and pd.isna(t["n"].iloc[1])
    if kind == "parquet":  # parquet keeps dtypes exactly
        pd.testing.assert_frame_equal(t, src["titular"])


def test_interrupted_write_leaves_no_version_and_rerun_succeeds(tmp_path):
    out = {"kind": "parquet", "path": "out/{name}/{version}", "table_name": "{table}"}
    target = plan_output(out, tmp_path, name="ts", version="V1")
    bad = dict(frames())
    bad["zzz"] = pd.DataFrame({"mixed": pd.Series([1, "a", 2.5], dtype=object)})  # pyarrow cannot write this
    with pytest.raises(Exception):
        with VersionWriter(target) as w:
            write_tables(bad, target, w.path)  # writes titular, pagament, then fails on zzz
            w.commit()
    root = tmp_path / "out" / "ts"
    assert not (root / "V1").exists()
    assert [p.name for p in root.iterdir()] == []  # no temp folder, no pointer
    assert read_latest(root) is None
    target = plan_output(out, tmp_path, name="ts", version="V1")
    with VersionWriter(target) as w:
        write_tables(frames(), target, w.path)
        w.commit()
    update_latest(root, target.version)
    assert (root / "V1" / "titular.parquet").is_file()
    assert read_latest(root) == "V1"


def test_stale_temp_of_a_dead_process_is_removed(tmp_path):
    root = tmp_path / "out"
    stale = root / ".tmp-V0-999999999"
    stale.mkdir(parents=True)
    (stale / "half.parquet").write_bytes(b"x")
    mine = root / f".tmp-V9-{os.getpid()}"  # a live process's temp folder is left alone
    mine.mkdir()
    target = plan_output({"kind": "csv", "path": "out/{version}"}, tmp_path, name="n", version="V1")
    with VersionWriter(target) as w:
        write_tables(frames(), target, w.path)
        w.commit()
    assert not stale.exists() and mine.exists()


def test_latest_pointer_moves_atomically(tmp_path):
    root = tmp_path / "out"
    for v in ("A", "B"):
        (root / v).mkdir(parents=True)
        update_latest(root, v)
        assert read_latest(root) == v
        assert os.readlink(root / "latest") == v
    assert sorted(p.name for p in root.iterdir()) == ["A", "B", "LATEST", "latest"]  # no temp files left


def test_file_hashes_cover_every_file(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("x")
    (tmp_path / "y.txt").write_text("yy")
    h = file_hashes(tmp_path)
    assert list(h) == ["a/x.txt", "y.txt"]
    assert h["y.txt"]["bytes"] == 2 and len(h["y.txt"]["sha256"]) == 64


def test_read_source_kinds(tmp_path):
    df = frames()["pagament"]
    df.to_parquet(tmp_path / "p.parquet", index=False)
    df.to_csv(tmp_path / "p.csv", index=False, sep=";")
    con = sqlite3.connect(tmp_path / "db.sqlite")
    df.to_sql("pagament", con, index=False)
    con.close()
    import duckdb

    dcon = duckdb.connect(str(tmp_path / "db.duckdb"))
    dcon.register("df", df)
    dcon.execute("CREATE TABLE pagament AS SELECT * FROM df")
    dcon.close()
    got = [
        read_source({"kind": "files", "format": "parquet", "path": "p.parquet"}, tmp_path),
        read_source({"kind": "files", "path": "p.csv", "options": {"delimiter": ";"}}, tmp_path),
        read_source({"kind": "sqlite", "path": "db.sqlite", "table": "pagament"}, tmp_path),
        read_source({"kind": "duckdb", "path": "db.duckdb", "table": "pagament"}, tmp_path),
    ]
    for g in got:
        assert g["pid"].tolist() == [10, 11] and g["import"].tolist() == [9.5, 10.0]
    with pytest.raises(SourceError):
        read_source({"kind": "files", "path": "missing.parquet"}, tmp_path)
    with pytest.raises(SourceError):
        read_source({"kind": "sqlite", "path": "db.sqlite", "table": "nope"}, tmp_path)
    with pytest.raises(SourceError):
        read_source({"kind": "spark", "path": "p.csv"}, tmp_path)
