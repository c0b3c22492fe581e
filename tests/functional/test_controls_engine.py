"""Constraints, rebalancing, imputation and seed rows end to end with the local engine, and probe.

One module-scoped training (``MOSTLY_AI/Small``, 0.1 minutes, model report off) of a 400-row
subject table ``people``; three uses of the same generator (the training key ignores
generate.json, so the second run and the probe import the cached generator):

1. ``run`` of spec A: ``fixed_combinations: [country, city]``, ``inequality`` on two datetimes and
   on two numbers, ``rebalancing`` of region ``oest`` (5 % in the source) to 40 %, ``imputation``
   of ``income`` (25 % NULL in the source);
2. ``run`` of spec B: the same, with 30 seed rows (``region: est``) from a CSV file;
3. ``probe`` of spec A's manifest (3 rows).
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from compiler.api import compile_spec
from compiler.probing import probe_manifest
from compiler.run import run_manifest

CLOCK = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.timezone.utc)
N = 400
CITIES = {"ES": ["Barcelona", "Madrid"], "FR": ["Paris", "Lyon"]}

SPEC = """\
spec_version: 1
name: ctl
sources:
  d: {{kind: files, path: data}}
training: {{model: small, max_training_time: 0.1, max_epochs: 20, enable_model_report: false}}
tables:
  people:
    source: d/people.parquet
    primary_key: pid
    columns:
      region: categorical
      country: categorical
      city: categorical
      start: datetime
      end: datetime
      low: numeric
      high: numeric
      income: numeric
    constraints:
      - fixed_combinations: [country, city]
      - inequality: {{low: start, high: end}}
      - inequality: {{low: low, high: high}}
generation:
  seed: 7
  tables:
    people:
{controls}
"""
CONTROLS_A = """\
      size: 500
      rebalancing: {column: region, probabilities: {oest: 0.4}}
      imputation: [income]"""
CONTROLS_B = """\
      seed: seeds/people.csv
      imputation: [income]"""


def people_frame(n: int = N, seed: int = 3):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    country = rng.choice(["ES", "FR"], n)
    start = pd.Timestamp("2021-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    low = rng.integers(0, 1000, n).astype(float)
    return pd.DataFrame({
        "pid": np.arange(1, n + 1),
        "region": rng.choice(["nord", "sud", "est", "oest"], n, p=[.5, .3, .15, .05]),
        "country": country,
        "city": [CITIES[c][int(rng.random() < .4)] for c in country],
        "start": start,
        "end": start + pd.to_timedelta(rng.integers(0, 400, n), unit="D"),
        "low": low,
        "high": low + rng.integers(0, 500, n),
        "income": np.where(rng.random(n) < .25, np.nan, rng.normal(2500, 400, n).round(0)),
    })


def _project(root: Path):
    import pandas as pd

    (root / "data").mkdir(parents=True)
    (root / "seeds").mkdir()
    (root / "synthspec.yaml").write_text("", "utf-8")
    src = people_frame()
    src.to_parquet(root / "data" / "people.parquet", index=False)
    pd.DataFrame({"region": ["est"] * 30}).to_csv(root / "seeds" / "people.csv", index=False)
    manifests = {}
    for name, controls in (("ctl_a", CONTROLS_A), ("ctl_b", CONTROLS_B)):
        spec = root / f"{name}.yaml"
        spec.write_text(SPEC.format(controls=controls), "utf-8")  # one name: the generator is the same
        res = compile_spec(spec, out_dir=root / "build" / name)
        assert res.ok, [f"{d.code} {d.message}" for d in res.diagnostics]
        res.write()
        manifests[name] = res.out_dir / "manifest.json"
    return src, manifests


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    import pandas as pd

    root = tmp_path_factory.mktemp("controls")
    src, manifests = _project(root / "proj")
    engine = root / "engine"
    t0 = time.perf_counter()
    a = run_manifest(manifests["ctl_a"], clock=lambda: CLOCK, local_dir=engine)
    t1 = time.perf_counter()
    b = run_manifest(manifests["ctl_b"], clock=lambda: CLOCK, local_dir=engine)
    t2 = time.perf_counter()
    p = probe_manifest(manifests["ctl_a"], rows=3, local_dir=engine)
    t3 = time.perf_counter()
    out = {"a": pd.read_parquet(a.outputs["people"]) if a.ok else None,
           "b": pd.read_parquet(b.outputs["people"]) if b.ok else None}
    return {"src": src, "a": a, "b": b, "probe": p, "out": out, "wall": (t1 - t0, t2 - t1, t3 - t2)}


def _violations(df) -> dict[str, int]:
    seen = {(c, city) for c, cities in CITIES.items() for city in cities}
    return {
        "fixed_combinations": int(sum((c, city) not in seen for c, city in zip(df["country"], df["city"]))),
        "start<=end": int((df["start"] > df["end"]).sum()),
        "low<=high": int((df["low"] > df["high"]).sum()),
    }


@pytest.mark.engine
def test_runs_succeed_and_share_one_generator(ran):
    a, b, p = ran["a"], ran["b"], ran["probe"]
    assert a.ok, [f"{d.code} {d.message}" for d in a.diagnostics]
    assert b.ok, [f"{d.code} {d.message}" for d in b.diagnostics]
    assert p.ok, [f"{d.code} {d.message}" for d in p.diagnostics]
    assert not a.reused and b.reused and p.reused
    assert a.training_key == b.training_key == p.training_key
    print(f"\ncontrols engine test: run A {ran['wall'][0]:.1f}s (train {a.timings.get('train')}s, generate "
          f"{a.timings.get('generate')}s), run B {ran['wall'][1]:.1f}s, probe {ran['wall'][2]:.1f}s "
          f"(probe step {p.timings.get('probe')}s)")


@pytest.mark.engine
def test_constraints_hold(ran):
    for key in ("a", "b"):
        df = ran["out"][key]
        v = _violations(df)
        print(f"\n{key}: {len(df)} rows, violations {v}")
        assert v == {"fixed_combinations": 0, "start<=end": 0, "low<=high": 0}, v
    assert _violations(ran["src"]) == {"fixed_combinations": 0, "start<=end": 0, "low<=high": 0}


@pytest.mark.engine
def test_rebalancing_moves_the_share(ran):
    before = float((ran["src"]["region"] == "oest").mean())
    df = ran["out"]["a"]
    after = float((df["region"] == "oest").mean())
    print(f"\nregion=oest share: source {before:.3f}, synthetic {after:.3f} (target 0.40), rows {len(df)}")
    assert len(df) == 500
    assert abs(after - 0.4) < 0.08 and after > 3 * before


@pytest.mark.engine
def test_imputation_leaves_no_nulls(ran):
    src_nulls = int(ran["src"]["income"].isna().sum())
    nulls = {k: int(ran["out"][k]["income"].isna().sum()) for k in ("a", "b")}
    print(f"\nincome NULLs: source {src_nulls}/{N}, synthetic {nulls}")
    assert src_nulls > 50 and nulls == {"a": 0, "b": 0}


@pytest.mark.engine
def test_seed_rows_condition_the_output(ran):
    df = ran["out"]["b"]
    assert len(df) == 30 and (df["region"] == "est").all()
    assert df["pid"].is_unique


@pytest.mark.engine
def test_probe_returns_a_few_rows(ran):
    t = ran["probe"].tables["people"]
    assert len(t) == 3
    assert list(t.columns) == list(ran["src"].columns)
    assert t["income"].notna().all()
