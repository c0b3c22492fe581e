"""Stage 5: data-aware compile — auto resolution, contracts (D codes), cache, drift."""

import json
import sqlite3
import textwrap

import pandas as pd
import pytest

from compiler.api import compile_spec


def project(tmp_path, spec_body, tables: dict, fmt="parquet"):
    (tmp_path / "synthspec.yaml").write_text("")
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    for name, df in tables.items():
        if fmt == "parquet":
            df.to_parquet(data / f"{name}.parquet", index=False)
        else:
            df.to_csv(data / f"{name}.csv", index=False)
    spec = tmp_path / "spec.yaml"
    spec.write_text("spec_version: 1\nname: d\nsources: {src: {kind: files, path: data}}\n" + textwrap.dedent(spec_body))
    return spec


def people(n=300):
    return pd.DataFrame({
        "pid": [f"P{i:05d}" for i in range(n)],
        "city": [["Girona", "Lleida", "Reus", "Vic"][i % 4] for i in range(n)],
        "born": pd.to_datetime("1950-01-01") + pd.to_timedelta([i * 37 for i in range(n)], unit="D"),
        "income": [1000.5 + (i * 7919) % 3000 for i in range(n)],
        "code": [f"T{i:05d}" for i in range(n)],
        "extra": range(n),
    })


def visits(p, per=3):
    rows = [{"vid": len(p) * 0 + i * per + j, "pid": p.pid[i], "amount": float(j * 10 + i % 7)}
            for i in range(len(p)) for j in range(per)]
    return pd.DataFrame(rows)


SPEC = """
tables:
  people:
    source: src/people.parquet
    primary_key: pid
    columns: {city: auto, born: auto, income: auto, code: auto}
  visits:
    source: src/visits.parquet
    primary_key: vid
    foreign_keys: [{columns: pid, references: people, context: true}]
    columns: {amount: numeric}
"""


def codes(res):
    return [d.code for d in res.diagnostics]


def test_auto_is_resolved_from_data_and_extra_columns_are_reported(tmp_path):
    p = people()
    spec = project(tmp_path, SPEC, {"people": p, "visits": visits(p)})
    res = compile_spec(spec, out_dir=tmp_path / "b")
    assert res.ok, res.diagnostics
    enc = {c["name"]: c["model_encoding_type"] for c in res.generator["tables"][0]["columns"]}
    assert enc["city"] == "TABULAR_CATEGORICAL"
    assert enc["born"] == "TABULAR_DATETIME"
    assert enc["income"].startswith("TABULAR_NUMERIC")
    assert enc["code"] != "TABULAR_DATETIME"  # T00001-style codes are not dates
    assert "extra" not in enc
    assert codes(res).count("D004") == 4 and "D030" in codes(res)
    src = res.manifest["tables"][0]["source"]
    assert src["fingerprint"] and res.manifest["tables"][0]["source_columns"][0] == {"name": "pid", "dtype": src and res.manifest["tables"][0]["source_columns"][0]["dtype"]}


def test_contracts_pk_duplicates_orphans_null_context(tmp_path):
    p = people(100)
    p.loc[5, "pid"] = p.loc[4, "pid"]
    v = visits(people(100))
    v.loc[0, "pid"] = "NOPE"
    v["pid"] = v["pid"].astype(object)
    v.loc[1, "pid"] = None
    spec = project(tmp_path, SPEC, {"people": p, "visits": v})
    res = compile_spec(spec, out_dir=tmp_path / "b")
    c = codes(res)
    assert "D005" in c and "D007" in c and "D008" in c
    d5 = next(d for d in res.diagnostics if d.code == "D005")
    assert "1 duplicate" in d5.message and d5.span.line > 0
    d7 = next(d for d in res.diagnostics if d.code == "D007")
    assert "drops" in d7.message and "4 row(s)" in d7.message and "2 distinct" in d7.message  # NOPE + P00005 x3
    assert not res.ok


def test_incompatible_encodings_and_missing_columns(tmp_path):
    p = people(50)
    spec = project(tmp_path, """
    tables:
      people:
        source: src/people.parquet
        primary_key: pid
        columns: {city: numeric, income: datetime, code: lat_long, nothere: categorical}
    """, {"people": p})
    res = compile_spec(spec, out_dir=tmp_path / "b")
    c = codes(res)
    assert c.count("D003") == 3 and "D009" in c
    d = next(d for d in res.diagnostics if d.code == "D003" and "city" in d.message)
    assert "all-NULL" in d.message


def test_csv_and_sqlite_sources(tmp_path):
    p = people(80)
    spec = project(tmp_path, SPEC.replace(".parquet", ".csv"), {"people": p, "visits": visits(p)}, fmt="csv")
    res = compile_spec(spec, out_dir=tmp_path / "b")
    assert res.ok, res.diagnostics
    db = tmp_path / "d.sqlite"
    with sqlite3.connect(db) as con:
        p.assign(born=p.born.astype(str)).to_sql("people", con, index=False)
        visits(p).to_sql("visits", con, index=False)
    spec.write_text(spec.read_text().replace("{kind: files, path: data}", "{kind: sqlite, path: d.sqlite}")
                    .replace("src/people.csv", "src/people").replace("src/visits.csv", "src/visits"))
    res = compile_spec(spec, out_dir=tmp_path / "b2")
    assert res.ok, res.diagnostics
    assert res.manifest["tables"][0]["source"]["format"] == "sqlite"


def test_missing_source_is_info_and_auto_then_errors(tmp_path):
    spec = project(tmp_path, SPEC, {})
    res = compile_spec(spec, out_dir=tmp_path / "b")
    assert "D002" in codes(res) and "E001" in codes(res)


def test_cache_hit_gives_identical_artifacts_and_changes_invalidate(tmp_path):
    p = people()
    spec = project(tmp_path, SPEC, {"people": p, "visits": visits(p)})
    a = compile_spec(spec, out_dir=tmp_path / "b")
    cache = list((tmp_path / ".synthspec" / "cache").iterdir())
    assert len(cache) == 1
    b = compile_spec(spec, out_dir=tmp_path / "b")
    assert a.files() == b.files() and codes(a) == codes(b)
    p2 = p.drop(columns=["code"])
    p2.to_parquet(tmp_path / "data" / "people.parquet", index=False)
    c = compile_spec(spec, out_dir=tmp_path / "b")
    assert "D009" in codes(c)  # `code` is gone: the cache did not hide it
    assert len(list((tmp_path / ".synthspec" / "cache").iterdir())) == 2


def test_drift_since_last_compile(tmp_path):
    p = people()
    spec = project(tmp_path, SPEC, {"people": p, "visits": visits(p)})
    res = compile_spec(spec, out_dir=tmp_path / "b")
    res.write()
    p.assign(newcol=1).to_parquet(tmp_path / "data" / "people.parquet", index=False)
    res2 = compile_spec(spec, out_dir=tmp_path / "b")
    d = [d for d in res2.diagnostics if d.code == "D031"]
    assert d and "added newcol" in d[0].message


def test_data_dir_override(tmp_path):
    p = people(60)
    spec = project(tmp_path, SPEC, {})
    other = tmp_path / "other"
    other.mkdir()
    p.to_parquet(other / "people.parquet", index=False)
    visits(p).to_parquet(other / "visits.parquet", index=False)
    res = compile_spec(spec, out_dir=tmp_path / "b", data=other)
    assert res.ok, res.diagnostics
    assert res.manifest["tables"][0]["source"]["path"].endswith("other/people.parquet")


def test_no_raw_values_in_artifacts_or_cache(tmp_path):
    p = people()
    spec = project(tmp_path, SPEC, {"people": p, "visits": visits(p)})
    res = compile_spec(spec, out_dir=tmp_path / "b")
    blob = b"".join(res.files().values()) + b"".join(f.read_bytes() for f in (tmp_path / ".synthspec" / "cache").iterdir())
    for v in ("P00017", "Girona", "T00042"):
        assert v.encode() not in blob
