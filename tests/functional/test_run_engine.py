"""``run_manifest`` end to end.

The ``engine`` tests train once (module fixture) on the ``mini`` fixture — customer (150 rows,
``C00003``-style codes) → case (composite key proc + exp_no) → payment (composite context FK,
non-context FK with NULLs) — with ``MOSTLY_AI/Small`` and 0.1 minutes per table, then run the
same manifest again to check that the generator is reused. The other tests stop before the
engine starts and run in well under a second.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "run"))
from make_data import mini_frames, write_mini  # noqa: E402

from compiler.run import engine_error, key_strings, run_manifest  # noqa: E402
from compiler.run_io import read_latest  # noqa: E402

CLOCK = dt.datetime(2026, 12, 4, 12, 0, 0, tzinfo=dt.timezone.utc)


def _codes(result):
    return [d.code for d in result.diagnostics]


# --------------------------------------------------------------------------------------------
# with the engine


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("run")
    manifest = write_mini(root / "proj")
    engine_dir = root / "engine"
    lines: list[str] = []
    t0 = time.perf_counter()
    first = run_manifest(manifest, progress=lines.append, clock=lambda: CLOCK, local_dir=engine_dir)
    t1 = time.perf_counter()
    second = run_manifest(manifest, clock=lambda: CLOCK, local_dir=engine_dir)  # same clock: same name
    t2 = time.perf_counter()
    print(f"\nengine test: first run {t1 - t0:.1f}s {first.timings} peak {first.peak_rss_mb} MB;"
          f" second run {t2 - t1:.1f}s {second.timings}")
    return {"manifest": manifest, "engine_dir": engine_dir, "first": first, "second": second, "lines": lines,
            "wall": (t1 - t0, t2 - t1), "source": mini_frames()}


@pytest.mark.engine
def test_first_run_trains_and_writes_a_version(runs):
    r = runs["first"]
    assert r.ok, [str(d.message) for d in r.diagnostics]
    assert not r.reused and "train" in r.timings and "export" in r.timings
    assert r.version_dir.name == "20261204T120000Z-" + hashlib.sha256(runs["manifest"].read_bytes()).hexdigest()[:8]
    assert set(r.outputs) == {"customer", "case", "payment"}
    assert all(p.is_file() and p.parent == r.version_dir for p in r.outputs.values())
    assert any(line.startswith("train: customer:tabular TRAIN_MODEL") for line in runs["lines"])
    assert not list(r.version_dir.parent.glob(".tmp-*"))


@pytest.mark.engine
def test_second_run_reuses_the_generator(runs):
    first, second = runs["first"], runs["second"]
    assert second.ok and second.reused
    assert "train" not in second.timings and "import" in second.timings
    assert second.timings["import"] < 0.2 * first.timings["train"]
    assert second.training_key == first.training_key
    # same second, same manifest: a suffix, never an overwrite; LATEST follows the newest
    assert second.version_dir.name == first.version_dir.name + "-1"
    assert read_latest(second.version_dir.parent) == second.version_dir.name
    assert first.version_dir.is_dir()


@pytest.mark.engine
def test_restored_keys_keep_format_and_never_reuse_real_values(runs):
    src = runs["source"]
    out = {t: pd.read_parquet(p) for t, p in runs["first"].outputs.items()}
    cust, case, pay = out["customer"], out["case"], out["payment"]
    assert len(cust) == 120  # the requested subject size
    assert cust["cust_id"].str.fullmatch(r"C\d{5}").all() and cust["cust_id"].is_unique
    assert not set(cust["cust_id"]) & set(src["customer"]["cust_id"])
    assert set(case["proc"]) <= {"P01", "P02", "P03"}  # shared component: real codes, realistic cardinality
    assert case["exp_no"].min() > src["case"]["exp_no"].max()
    assert not case.duplicated(["proc", "exp_no"]).any()
    assert pay["pay_id"].is_unique and pay["pay_id"].min() > src["payment"]["pay_id"].max()


@pytest.mark.engine
def test_every_foreign_key_resolves(runs):
    out = {t: pd.read_parquet(p) for t, p in runs["first"].outputs.items()}
    cust, case, pay = out["customer"], out["case"], out["payment"]
    assert set(case["cust_id"]) <= set(cust["cust_id"])
    assert case["cust_id"].notna().all()
    case_keys = set(key_strings(case, ["proc", "exp_no"]))
    assert all(k in case_keys for k in key_strings(pay, ["proc", "exp_no"]))
    req = pay["requester"].dropna()
    assert set(req) <= set(cust["cust_id"])
    assert pay["requester"].isna().any()  # NULL non-context FKs stay NULL (10% in the source)


@pytest.mark.engine
def test_output_schema_equals_the_source(runs):
    src = runs["source"]
    for t, p in runs["first"].outputs.items():
        got = pd.read_parquet(p)
        assert list(got.columns) == list(src[t].columns), t
        assert got.dtypes.to_dict() == src[t].dtypes.to_dict(), t
    cust = pd.read_parquet(runs["first"].outputs["customer"])
    # faked: never modelled, filled after generation with example.org addresses, none of them a source value
    assert cust["email"].notna().all() and cust["email"].str.endswith("@example.org").all()
    assert not set(cust["email"]) & set(src["customer"]["email"])
    case = pd.read_parquet(runs["first"].outputs["case"])
    assert case["notes"].isna().all()  # excluded only: kept in the schema, empty
    assert set(cust["vip"].unique()) <= {True, False}


@pytest.mark.engine
def test_run_record(runs):
    r = runs["first"]
    rec = json.loads(r.record_path.read_text())
    assert rec["manifest"]["sha256"] == hashlib.sha256(runs["manifest"].read_bytes()).hexdigest()
    assert rec["spec"]["sha256"] == "0" * 64
    assert rec["versions"]["mostlyai"] == "6.2.0" and rec["versions"]["mostlyai-engine"]
    assert rec["versions"]["synthspec"]
    assert rec["user"] and rec["host"]
    assert rec["started_utc"] == "2026-12-04T12:00:00Z"
    assert rec["generator"]["reused"] is False and rec["generator"]["training_key"] == r.training_key
    assert rec["training"]["tables"][0]["tabular_model_configuration"]["model"] == "MOSTLY_AI/Small"
    assert rec["generation"]["config"]["tables"][0]["configuration"]["sample_size"] == 120
    assert {"load", "train", "generate", "restore", "verify", "write"} <= set(rec["timings_seconds"])
    assert rec["rows"]["customer"] == 120
    for rel, info in rec["files"].items():
        data = (r.version_dir / rel).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info["sha256"], rel
    assert set(rec["outputs"]) == {"customer", "case", "payment"}
    assert "run.json" not in rec["files"]


@pytest.mark.engine
def test_metrics_report_and_summary(runs):
    r = runs["first"]
    metrics = json.loads((r.report_dir / "metrics.json").read_text())
    cust = metrics["tables"]["customer"]
    assert 0 < cust["accuracy"]["overall"] <= 1
    for key in ("cosine_similarity", "discriminator_auc", "dcr_share", "ims"):
        assert key in cust
    assert r.metrics == metrics
    htmls = sorted(p.relative_to(r.report_dir).as_posix() for p in r.report_dir.rglob("*.html"))
    assert "model/customer-tabular.html" in htmls and "data/customer-tabular-data.html" in htmls
    summary = (r.report_dir / "summary.md").read_text()
    assert "| customer | 120 |" in summary


@pytest.mark.engine
def test_reused_generator_gives_identical_outputs(runs):
    """Same generator + same seed: identical files, except non-context FK columns.

    The engine assigns non-context FKs with an unseeded ``np.random.default_rng()``
    (``mostlyai/sdk/_data/non_context.py``), so ``payment.requester`` differs between runs; every
    other value is identical (key restoration is seeded).
    """
    a = json.loads(runs["first"].record_path.read_text())["files"]
    b = json.loads(runs["second"].record_path.read_text())["files"]
    for t in ("customer", "case"):
        assert a[f"syn_{t}.parquet"]["sha256"] == b[f"syn_{t}.parquet"]["sha256"], t
    x = pd.read_parquet(runs["first"].outputs["payment"]).drop(columns=["requester"])
    y = pd.read_parquet(runs["second"].outputs["payment"]).drop(columns=["requester"])
    pd.testing.assert_frame_equal(x, y)


@pytest.mark.engine
def test_below_threshold_writes_report_but_keeps_latest(runs):
    """Thresholds are checked after the report: the version exists, LATEST does not move (R016)."""
    proj = runs["manifest"].parent
    m = json.loads(runs["manifest"].read_text())
    m["quality"] = {"min_accuracy": 0.999, "max_discriminator_auc": None}
    strict = proj / "manifest-strict.json"
    strict.write_text(json.dumps(m))
    latest_before = read_latest(runs["second"].version_dir.parent)
    r = run_manifest(strict, local_dir=runs["engine_dir"])
    assert not r.ok and "R016" in _codes(r)
    assert r.reused  # only the manifest's quality changed: the training key is the same
    assert r.version_dir.is_dir() and (r.report_dir / "summary.md").is_file()
    assert "Below threshold" in (r.report_dir / "summary.md").read_text()
    assert json.loads(r.record_path.read_text())["status"] == "below_quality_thresholds"
    assert read_latest(r.version_dir.parent) == latest_before


@pytest.mark.engine
def test_failed_training_is_an_error_with_the_engine_message(tmp_path, capfd):
    manifest = write_mini(tmp_path / "proj", n_customers=40)
    gen = json.loads((tmp_path / "proj" / "generator.json").read_text())
    gen["tables"][0]["tabular_model_configuration"]["model"] = "MOSTLY_AI/Tiny"
    (tmp_path / "proj" / "generator.json").write_text(json.dumps(gen))
    r = run_manifest(manifest, local_dir=tmp_path / "engine")
    assert not r.ok and "R006" in _codes(r)
    msg = next(d.message for d in r.diagnostics if d.code == "R006")
    assert "MOSTLY_AI/Tiny not supported" in msg
    assert not (tmp_path / "proj" / "out").exists() or not any((tmp_path / "proj" / "out").rglob("run.json"))
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err  # the engine's log went to our log file
    assert captured.out == ""


# --------------------------------------------------------------------------------------------
# before the engine starts (fast)


def test_missing_artifact_is_r001(tmp_path):
    manifest = write_mini(tmp_path)
    (tmp_path / "generate.json").unlink()
    r = run_manifest(manifest)
    assert not r.ok and _codes(r) == ["R001"]


def test_duplicate_source_key_is_r003_and_orphans_are_r004(tmp_path):
    manifest = write_mini(tmp_path, n_customers=30)
    cust = pd.read_parquet(tmp_path / "data" / "customer.parquet")
    cust.loc[1, "cust_id"] = cust.loc[0, "cust_id"]
    cust.to_parquet(tmp_path / "data" / "customer.parquet", index=False)
    r = run_manifest(manifest, local_dir=tmp_path / "engine")
    assert not r.ok and "R003" in _codes(r) and "R004" in _codes(r)
    assert not (tmp_path / "engine").exists()  # stopped before the engine


def test_missing_source_is_r002(tmp_path):
    manifest = write_mini(tmp_path)
    (tmp_path / "data" / "payment.parquet").unlink()
    r = run_manifest(manifest)
    assert _codes(r) == ["R002"] and "payment" in r.diagnostics[0].message


def test_unsupported_output_is_r021(tmp_path):
    manifest = write_mini(tmp_path)
    m = json.loads(manifest.read_text())
    m["output"]["kind"] = "excel"
    manifest.write_text(json.dumps(m))
    r = run_manifest(manifest, local_dir=tmp_path / "engine")
    assert _codes(r) == ["R021"]


def test_engine_error_picks_the_engine_message():
    log = "\n".join([
        "2026-12-04 INFO something",
        "Traceback (most recent call last):",
        '  File "x.py", line 1, in <module>',
        "ValueError: model MOSTLY_AI/Tiny not supported",
        "2026-12-04 ERROR Exception type: <class 'ValueError'>",
        "2026-12-04 ERROR Exception message: model MOSTLY_AI/Tiny not supported",
    ])
    assert engine_error(log) == "model MOSTLY_AI/Tiny not supported"
    assert engine_error("Traceback\nKeyError: 'x'\n") == "KeyError: 'x'"
    assert "no error message" in engine_error("")


def test_thresholds():
    from compiler.quality import check_thresholds

    metrics = {"tables": {"a": {"accuracy": {"overall": 0.7}, "discriminator_auc": 0.9, "dcr_share": 0.5, "ims": 0.0},
                          "b": None}}
    d = check_thresholds(metrics, {"min_accuracy": 0.8, "max_discriminator_auc": 0.95, "max_dcr_shar": 0.6,
                                   "max_identical_matches": None})
    assert [x.code for x in d] == ["R017", "R016"]  # unknown key first (sorted), then a below accuracy
    assert "accuracy.overall = 0.700 is below the threshold min_accuracy = 0.8" in d[1].message
    assert check_thresholds(metrics, {"min_accuracy": None}) == []


def test_surrogate_encoding_is_equal_for_int_and_float_components():
    a = pd.DataFrame({"p": ["P01", "P02"], "e": pd.Series([7, 8], dtype="int64")})
    b = pd.DataFrame({"p": ["P01", None], "e": [7.0, 8.0]})
    assert key_strings(a, ["p", "e"]) == ['["P01",7]', '["P02",8]']
    assert key_strings(b, ["p", "e"]) == ['["P01",7]', None]
    assert re.fullmatch(r'\["P01",7\]', key_strings(a, ["p", "e"])[0])
