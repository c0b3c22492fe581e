"""Spark sources and outputs against a real local PySpark session (module fixture, local[1]).

Tables: ``spark_catalog.tsocial.titular`` (3,000 rows in 6 files) and ``...actuacions`` (children
with a context FK), plus a Parquet folder read by path. Compile samples them in Spark; the output
writer saves versioned tables and the test reads them back.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest

pyspark = pytest.importorskip("pyspark")

from compiler.api import compile_spec  # noqa: E402
from compiler.run_io import OutputError, plan_output, write_tables  # noqa: E402
from compiler.sources import open_source, sample_related  # noqa: E402


@pytest.fixture(scope="module")
def spark(tmp_path_factory):
    from pyspark.sql import SparkSession

    home = tmp_path_factory.mktemp("spark")
    stale = SparkSession.getActiveSession()
    if stale is not None:  # another module's session would keep its own (static) catalog settings
        stale.stop()
    s = (SparkSession.builder.master("local[1]").appName("synthspec-tests")
         .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
         .config("spark.driver.memory", "768m").config("spark.sql.shuffle.partitions", "1")
         .config("spark.sql.catalogImplementation", "in-memory")
         .config("spark.sql.warehouse.dir", str(home / "warehouse"))
         .getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    s.sql("CREATE DATABASE IF NOT EXISTS tsocial")
    titular = s.range(1, 3001).selectExpr(
        "concat('T', lpad(cast(id as string), 5, '0')) AS identificador",
        "element_at(array('Anna', 'Joan', 'Maria', 'Pere', 'Laia'), cast(id % 5 + 1 as int)) AS nom",
        "element_at(array('Barcelones', 'Valles', 'Maresme'), cast(id % 3 + 1 as int)) AS comarca",
        "date_add(date'1950-01-01', cast(id * 7 % 20000 as int)) AS dataNaixement",
        "cast(id % 4 as int) AS fills",
    )
    titular.repartition(6, "identificador").write.saveAsTable("tsocial.titular")
    act = s.range(0, 9000).selectExpr(
        "cast(id as bigint) AS id_actuacio",
        "concat('T', lpad(cast(id % 3000 + 1 as string), 5, '0')) AS identificador",
        "element_at(array('ALTA', 'BAIXA', 'MODIF'), cast(id % 3 + 1 as int)) AS tipus",
        "cast((id * 7919 % 100000) / 100.0 AS double) AS import",
    )
    act.repartition(3).write.saveAsTable("tsocial.actuacions")
    lake = home / "lake"
    titular.repartition(4).write.parquet(str(lake / "titular"))
    yield s
    s.stop()


def _src(spark, **opts):
    return open_source("spark", Path("."), {"session": spark, **opts})


# --------------------------------------------------------------------------------------------
# the source


def test_catalog_table_schema_count_three_part_name(spark):
    src = _src(spark)
    assert src.row_count("spark_catalog.tsocial.titular") == 3000
    schema = dict(src.schema("spark_catalog.tsocial.titular"))
    assert list(schema) == ["identificador", "nom", "comarca", "dataNaixement", "fills"]
    assert schema["fills"] == "int32" and schema["dataNaixement"] == "object"
    assert src.exists("tsocial.titular") and not src.exists("tsocial.nope")


def test_sample_is_bounded_seeded_and_block_sampled(spark):
    src = _src(spark)
    t = "spark_catalog.tsocial.titular"
    files = src.plan_files(t, 100, seed=1)
    assert files is not None and 1 <= len(files) < 6  # reads a few of the 6 files, not all
    a, b = src.sample(t, 100, seed=1), src.sample(t, 100, seed=1)
    assert len(a) == 100 and a.equals(b)  # deterministic across calls
    c = src.sample(t, 100, seed=2)
    assert set(a["identificador"]) != set(c["identificador"])
    full = src.read_all(t).set_index("identificador")
    for row in a.itertuples(index=False):  # every sampled row is a real row, unchanged
        assert full.loc[row.identificador, "nom"] == row.nom
    # a sample at least as large as the table is the whole table
    assert len(src.sample(t, 5000, seed=1)) == 3000


def test_path_source_parquet_folder(spark, tmp_path_factory):
    lake = Path(spark.conf.get("spark.sql.warehouse.dir").removeprefix("file:")).parent / "lake"
    src = _src(spark, root=str(lake))
    assert src.tables() == ["titular"]
    assert src.location("titular")[0] == "parquet"
    s = src.sample("titular", 50, seed=3)
    assert len(s) == 50 and s.equals(src.sample("titular", 50, seed=3))


def test_sample_related_semi_join(spark):
    src = _src(spark)
    fk = {"child_table": "tsocial.actuacions", "child_columns": "identificador", "parent_table": "tsocial.titular",
          "parent_columns": "identificador", "is_context": True}
    got = sample_related(src, ["tsocial.titular", "tsocial.actuacions"], [fk], rows=200, seed=5)
    parents, children = got["tsocial.titular"], got["tsocial.actuacions"]
    assert len(parents) == 200
    assert set(children["identificador"]) <= set(parents["identificador"])
    # sequences stay complete: every sampled parent has all its 3 children
    assert children.groupby("identificador").size().eq(3).all() and len(children) == 600


# --------------------------------------------------------------------------------------------
# compile with a spark source


def _spec(tmp_path: Path, *, output: str = "", source: str = "uc/spark_catalog.tsocial.titular") -> Path:
    spec = tmp_path / "spec.yaml"
    spec.write_text(textwrap.dedent(f"""\
        spec_version: 1
        name: tsocial_uc
        sources:
          uc: {{kind: spark, sample: {{rows: 500, seed: 7}}}}
        tables:
          titular:
            source: {source}
            primary_key: identificador
            columns:
              nom: auto
              comarca: auto
              dataNaixement: auto
              fills: auto
          actuacions:
            source: uc/tsocial.actuacions
            primary_key: id_actuacio
            foreign_keys:
              - {{columns: identificador, references: titular, context: true}}
            columns:
              tipus: auto
              import: auto
        {output}"""))
    (tmp_path / "synthspec.yaml").write_text("specs: [spec.yaml]\n")
    return spec


def test_compile_samples_spark_tables_and_writes_manifest(spark, tmp_path):
    res = compile_spec(_spec(tmp_path), out_dir=tmp_path / "build")
    assert res.ok, [str(d) for d in res.diagnostics]
    gen = {t["name"]: {c["name"]: c["model_encoding_type"] for c in t["columns"]} for t in res.generator["tables"]}
    assert gen["titular"]["comarca"] == "TABULAR_CATEGORICAL"
    assert gen["titular"]["dataNaixement"] == "TABULAR_DATETIME"
    assert gen["actuacions"]["import"].startswith("TABULAR_NUMERIC")
    src = {t["name"]: t["source"] for t in res.manifest["tables"]}
    assert src["titular"] == {"kind": "spark", "format": "table", "path": None, "table": "spark_catalog.tsocial.titular",
                              "options": {}, "sample": {"rows": 500, "seed": 7},
                              "fingerprint": src["titular"]["fingerprint"]}
    assert len(src["titular"]["fingerprint"]) == 64
    # same data, same seed: the same fingerprint (sampling is deterministic across runs)
    again = compile_spec(_spec(tmp_path), out_dir=tmp_path / "build")
    assert again.manifest == res.manifest


def test_compile_missing_spark_table_is_d051(spark, tmp_path):
    res = compile_spec(_spec(tmp_path, source="uc/tsocial.nope"), out_dir=tmp_path / "build")
    codes = [d.code for d in res.diagnostics]
    assert "D051" in codes and "E001" in codes  # auto cannot be resolved without data


# --------------------------------------------------------------------------------------------
# outputs


def _frames():
    import pandas as pd

    return {"titular": pd.DataFrame({"identificador": ["T00001", "T00002"], "nom": ["Anna", None],
                                     "comarca": ["Valles", "Maresme"],
                                     "dataNaixement": [dt.date(1960, 1, 2), dt.date(1971, 5, 6)],
                                     "fills": pd.array([1, 2], dtype="int32")})}


def test_spark_output_versions_schema_and_no_overwrite(spark, tmp_path):
    out = {"kind": "spark", "path": "out/{name}/{version}", "table_name": "synth.{table}_{version}"}
    src = {"titular": {"kind": "spark", "format": "table", "path": None, "table": "spark_catalog.tsocial.titular"}}
    t1 = plan_output(out, tmp_path, name="tsocial", version="20261204T120000Z-abcdef12", tables=["titular"])
    t1.version_dir.mkdir(parents=True)
    w = write_tables(_frames(), t1, t1.version_dir, sources=src, base_dir=tmp_path)
    assert w.locations == {"titular": "synth.titular_20261204t120000z_abcdef12"}
    back = spark.table(w.locations["titular"])
    assert back.schema == spark.table("tsocial.titular").schema  # the source's schema, column for column
    assert sorted(r.identificador for r in back.collect()) == ["T00001", "T00002"]
    rec = json.loads((t1.version_dir / "tables.json").read_text())
    assert rec["tables"]["titular"]["rows"] == 2
    # a second run is a new version: new table, the first untouched
    t2 = plan_output(out, tmp_path, name="tsocial", version="20261205T120000Z-abcdef12", tables=["titular"])
    t2.version_dir.mkdir(parents=True)
    w2 = write_tables(_frames(), t2, t2.version_dir)
    assert w2.locations["titular"] != w.locations["titular"]
    assert spark.table(w.locations["titular"]).count() == 2


def test_spark_output_existing_table_needs_overwrite(spark, tmp_path):
    fixed = {"kind": "spark", "path": "out/{version}", "table_name": "synth.fixed_{table}"}
    t = plan_output(fixed, tmp_path, name="x", version="v1", tables=["titular"])
    t.version_dir.mkdir(parents=True)
    write_tables(_frames(), t, t.version_dir)
    with pytest.raises(OutputError) as e:  # checked before any training
        plan_output(fixed, tmp_path, name="x", version="v2", tables=["titular"])
    assert e.value.code == "R040" and "synth.fixed_titular" in str(e.value)
    assert spark.table("synth.fixed_titular").count() == 2
    t3 = plan_output({**fixed, "mode": "overwrite"}, tmp_path, name="x", version="v3", tables=["titular"])
    t3.version_dir.mkdir(parents=True)
    f = _frames()
    f["titular"] = f["titular"].iloc[:1]
    write_tables(f, t3, t3.version_dir)
    assert spark.table("synth.fixed_titular").count() == 1


def test_overwrite_is_spark_only(tmp_path):
    with pytest.raises(OutputError):
        plan_output({"kind": "parquet", "mode": "overwrite"}, tmp_path, name="x", version="v")


# --------------------------------------------------------------------------------------------
# docs/spark-databricks.md: the notebook example (compile), and the run with the engine


DOC = Path(__file__).resolve().parents[2] / "docs" / "spark-databricks.md"


def _doc_block(opener: str) -> str:
    import re

    text = DOC.read_text("utf-8")
    m = re.search(re.escape(opener) + r"\n(.*?)```", text, re.S)
    assert m, opener
    return m.group(1)


def _doc_spec() -> str:
    import re

    return next(b for b in re.findall(r"```yaml\n(.*?)```", DOC.read_text("utf-8"), re.S)
                if "name: tsocial_nb" in b)


def test_docs_notebook_example(spark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(_doc_spec())
    ns = {"spark": spark}
    exec(_doc_block('```python title="notebook"'), ns)
    assert ns["encodings"]["comarca"] == "TABULAR_CATEGORICAL"
    m = json.loads((tmp_path / "build" / "tsocial_nb" / "manifest.json").read_text())
    assert m["tables"][0]["source"]["table"] == "nb_titular" and m["output"]["kind"] == "spark"


@pytest.mark.engine
def test_docs_run_example_spark_in_spark_out(spark, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "spec.yaml").write_text(_doc_spec())
    ns = {"spark": spark}
    exec(_doc_block('```python title="notebook"'), ns)
    exec(_doc_block('```python title="run"'), ns)
    synthetic = ns["synthetic"]
    assert synthetic.count() == 200
    assert synthetic.schema == spark.table("nb_titular").schema  # the source's schema
    assert synthetic.select("identificador").distinct().count() == 200
