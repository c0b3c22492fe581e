"""Inference: encodings avoid AUTO's misfires; keys, FKs and context come from values with name evidence."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.infer import (
    ENCODINGS,
    KINDS,
    check_foreign_key,
    check_primary_key,
    infer_column,
    infer_schema,
    name_similarity,
)
from compiler.profile import profile_column


def col(name, values, child=False):
    return infer_column(profile_column(name, pd.Series(values)), table_is_child=child)


# --- single columns: the AUTO misfires ----------------------------------------------------------------------


def test_codes_are_not_dates():
    r = col("titular_code", [f"T{i:05d}" for i in range(1, 300)])
    assert r.kind != "datetime" and r.encoding not in ("datetime", "datetime_relative")


def test_integer_coded_dates_are_dates():
    r = col("fecha", [20240105, 20231231, 20220228, 20240229] * 10)
    assert (r.kind, r.encoding, r.convert) == ("datetime", "datetime", "to_datetime:%Y%m%d")
    r = col("fecha", ["20240105", "20231231", "20220228"] * 10)
    assert r.kind == "datetime" and r.convert == "to_datetime:%Y%m%d"


def test_two_decimal_coordinates_are_lat_long():
    r = col("location", ["41.38, 2.17", "40.42, -3.70", "39.47, -0.38"] * 5)
    assert (r.kind, r.encoding) == ("lat", "lat_long")
    assert col("latitude", [41.38, 40.42, 39.47]).kind == "lat"
    assert col("lng", [2.17, -3.70, -0.38]).kind == "long"


def test_times_are_datetimes_with_conversion():
    r = col("hora", ["12:30", "08:15", "23:59"] * 4)
    assert r.kind == "datetime" and r.convert == "to_datetime:%H:%M"


@pytest.mark.parametrize("values", [["Y", "N", "Y"], ["t", "f", "f"], [0, 1, 1, 0], [True, False, True]])
def test_booleans_are_categorical(values):
    r = col("flag", values * 5)
    assert (r.kind, r.encoding) == ("categorical", "categorical")


def test_numeric_strings_need_conversion():
    r = col("importe", [f"{x:.2f}" for x in np.linspace(1, 500, 300)])
    assert r.kind == "numeric" and r.convert == "to_numeric" and r.encoding.startswith("numeric_")
    r = col("rate", [f"{x / 10:.1f}" for x in range(49)] + ["?"])
    assert r.kind == "numeric" and r.convert == "to_numeric:coerce"


def test_leading_zero_codes_stay_strings():
    r = col("territory", ["01581", "01730", "02116", "19713"] * 5)
    assert not r.encoding.startswith("numeric") and r.convert is None


def test_iso_dates_and_event_times():
    vals = [(dt.date(2020, 1, 1) + dt.timedelta(days=i)).isoformat() for i in range(200)]
    assert col("fecha_alta", vals).encoding == "datetime"
    r = col("fecha_alta", vals, child=True)
    assert (r.encoding, r.convert) == ("datetime_relative", "to_datetime:%Y-%m-%d")
    assert col("last_update", vals, child=True).encoding == "datetime"  # audit columns are not event times


def test_pii_detection():
    assert col("correo", [f"user{i}@example.org" for i in range(50)]).pii == "email"
    assert col("telefono", [f"+34 6{i:02d} 123 456" for i in range(50)]).pii == "phone"
    assert col("first_name", ["Ana", "Joan", "Marta", "Pere"] * 10).kind == "pii_name"
    assert col("dni", ["12345678Z", "00000000T"] * 10).pii == "national_id"  # the spec language has the tag
    assert col("postal_code", ["08001", "28004"] * 10).kind == "pii_other"
    assert col("address", ["Carrer Major 1", "Gran Via 22"] * 10).kind == "pii_address"


def test_free_text():
    words = "the quick brown fox jumps over a lazy dog while singing".split()
    rng = np.random.default_rng(0)
    r = col("comment", [" ".join(rng.choice(words, 9)) for _ in range(100)])
    assert (r.kind, r.encoding) == ("text", "text")


def test_all_null_and_vocabularies():
    r = col("x", [None, None])
    assert r.kind in KINDS and r.encoding in ENCODINGS


@settings(max_examples=60, deadline=None)
@given(
    dates=st.lists(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2099, 12, 31)), min_size=1, max_size=60),
    fmt=st.sampled_from(["%Y-%m-%d", "%d/%m/%Y", "%Y%m%d", "%Y-%m-%d %H:%M:%S", "int%Y%m%d", "dtype"]),
    child=st.booleans(),
    name=st.sampled_from(["d", "fecha", "when", "value", "col_1"]),
)
def test_valid_dates_in_one_format_are_always_datetimes(dates, fmt, child, name):
    if fmt == "dtype":
        values = pd.Series(pd.to_datetime(dates))
    elif fmt == "int%Y%m%d":
        values = pd.Series([int(d.strftime("%Y%m%d")) for d in dates])
    else:
        values = pd.Series([d.strftime(fmt) for d in dates])
    r = infer_column(profile_column(name, values), table_is_child=child)
    assert r.kind == "datetime"
    assert r.encoding in ("datetime", "datetime_relative")


# --- keys ------------------------------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(values=st.one_of(st.lists(st.integers(), unique=True, min_size=1, max_size=50),
                        st.lists(st.text(min_size=1, max_size=8), unique=True, min_size=1, max_size=50)))
def test_unique_non_null_column_is_never_a_pk_violation(values):
    df = pd.DataFrame({"k": values, "other": [1] * len(values)})
    chk = check_primary_key(df, "k")
    assert chk.ok and chk.duplicate_rows == 0 and chk.null_rows == 0


def test_pk_violations_are_counted():
    df = pd.DataFrame({"a": [1, 1, 2, None], "b": [1, 1, 2, 3]})
    chk = check_primary_key(df, ["a", "b"])
    assert (chk.duplicate_rows, chk.null_rows) == (1, 1)


def _shop(n_customers=120, n_orders=900, seed=0):
    rng = np.random.default_rng(seed)
    customers = pd.DataFrame({
        "c_custkey": np.arange(1, n_customers + 1),
        "c_name": [f"Customer {i}" for i in range(n_customers)],
        "c_segment": rng.choice(["A", "B", "C"], n_customers),
        "c_region": rng.choice(["north", "south"], n_customers),
    })
    shippers = pd.DataFrame({"shipper_id": [1, 2, 3, 4, 5, 6], "company_name": list("UVWXYZ")})
    orders = pd.DataFrame({
        "order_id": np.arange(1001, 1001 + n_orders),
        "o_custkey": rng.integers(1, n_customers + 1, n_orders),
        "ship_via": rng.integers(1, 4, n_orders),
        "priority": rng.integers(1, 6, n_orders),  # small ints: included in every id column, not an FK
        "order_date": [(dt.date(2023, 1, 1) + dt.timedelta(days=int(x))).isoformat()
                       for x in rng.integers(0, 365, n_orders)],
        "total": np.round(rng.gamma(2, 30, n_orders), 2),
    })
    products = pd.DataFrame({"product_id": np.arange(1, 41), "name": [f"P{i}" for i in range(40)]})
    pairs = {(int(o), int(p)) for o, p in zip(rng.choice(orders["order_id"], 2500), rng.integers(1, 41, 2500))}
    lines = pd.DataFrame(sorted(pairs), columns=["order_id", "product_id"])
    lines["quantity"] = rng.integers(1, 10, len(lines))
    staff = pd.DataFrame({"staff_id": np.arange(1, 11), "name": [f"S{i}" for i in range(10)],
                          "manager_id": [None, 1, 1, 2, 2, 3, 3, 4, 4, 5]})
    staff["manager_id"] = staff["manager_id"].astype("Int64")
    return {"customers": customers, "shippers": shippers, "orders": orders, "products": products,
            "order_lines": lines, "staff": staff}


def _fkset(schema):
    return {(f.child_table, f.child_columns, f.parent_table, f.parent_columns) for f in schema.foreign_keys}


def test_infer_schema_keys_fks_context():
    s = infer_schema(_shop())
    pk = {n: t.primary_key.columns for n, t in s.tables.items()}
    assert pk["customers"] == ("c_custkey",)
    assert pk["orders"] == ("order_id",)
    assert pk["order_lines"] == ("order_id", "product_id")  # bridge: composite of its FKs
    fks = _fkset(s)
    assert ("orders", ("o_custkey",), "customers", ("c_custkey",)) in fks  # prefixed names
    assert ("orders", ("ship_via",), "shippers", ("shipper_id",)) in fks  # renamed FK
    assert ("staff", ("manager_id",), "staff", ("staff_id",)) in fks  # self-reference
    assert not any(f[1] == ("priority",) for f in fks)  # small-int trap
    ctx = {f.child_table: f.parent_table for f in s.foreign_keys if f.is_context}
    assert ctx["orders"] == "customers" and ctx["order_lines"] == "orders"
    assert "staff" not in ctx and "customers" not in ctx
    assert "subject" in s.tables["customers"].roles and "context" in s.tables["customers"].roles
    assert s.tables["orders"].roles[0] == "linked"
    assert s.tables["orders"].columns["order_date"].encoding == "datetime_relative"
    for f in s.foreign_keys:
        assert f.evidence and "%" in f.evidence or f.source == "declared"


def test_evidence_has_no_raw_values():
    tables = _shop()
    text = json.dumps(infer_schema(tables).to_dict(), default=str)
    for v in tables["customers"]["c_name"]:
        assert v not in text


def test_composite_fk_to_composite_pk():
    rng = np.random.default_rng(1)
    parent = pd.DataFrame({"proc_no": np.repeat(np.arange(1, 41), 5), "exp_no": np.tile(np.arange(1, 6), 40),
                           "kind": rng.choice(["a", "b"], 200)})
    idx = rng.integers(0, 200, 600)
    child = pd.DataFrame({"payment_id": np.arange(1, 601), "proc_no": parent["proc_no"].to_numpy()[idx],
                          "exp_no": parent["exp_no"].to_numpy()[idx], "amount": rng.gamma(2, 10, 600)})
    s = infer_schema({"procedure": parent, "payment": child})
    assert set(s.tables["procedure"].primary_key.columns) == {"proc_no", "exp_no"}
    comp = [f for f in s.foreign_keys if f.child_table == "payment" and len(f.child_columns) == 2]
    assert comp and comp[0].parent_table == "procedure" and comp[0].is_context


def test_declared_keys_win():
    tables = _shop()
    s = infer_schema(tables, declared={"orders": {"primary_key": ["order_id"], "foreign_keys": [
        {"columns": "ship_via", "references": "shippers", "context": True}]}})
    ctx = [f for f in s.foreign_keys if f.child_table == "orders" and f.is_context]
    assert len(ctx) == 1 and ctx[0].parent_table == "shippers" and ctx[0].source == "declared"
    assert s.tables["orders"].primary_key.source == "declared"


def test_check_foreign_key_counts_orphans_and_nulls():
    child = pd.DataFrame({"p": [1, 2, 9, None, 9]})
    parent = pd.DataFrame({"id": [1, 2, 3]})
    chk = check_foreign_key(child, "p", parent, "id")
    assert (chk.null_rows, chk.orphan_rows, chk.orphan_values) == (1, 2, 1)


def test_name_similarity():
    assert name_similarity("customer_id", "customers", "customer_id") == 3
    assert name_similarity("ArtistId", "Artist", "ArtistId") == 3
    assert name_similarity("o_custkey", "customer", "c_custkey") == 3
    assert name_similarity("manager_staff_id", "staff", "staff_id") == 2
    assert name_similarity("ship_via", "shippers", "shipper_id") == 1
    assert name_similarity("rental_duration", "rental", "rental_id") == 1
    assert name_similarity("amount", "orders", "order_id") == 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_inference_is_deterministic(seed):
    a = infer_schema(_shop(60, 300, seed))
    b = infer_schema(_shop(60, 300, seed))
    assert json.dumps(a.to_dict(), sort_keys=True, default=str) == json.dumps(b.to_dict(), sort_keys=True, default=str)


def test_sampled_parent_lowers_the_inclusion_bar():
    tables = _shop()
    sampled = {**tables, "customers": tables["customers"].sample(60, random_state=0)}
    s = infer_schema(sampled, row_counts={"customers": 120})
    assert ("orders", ("o_custkey",), "customers", ("c_custkey",)) in _fkset(s)


def test_inference_diagnostics():
    from compiler.infer import inference_diagnostics

    tables = _shop()
    tables["customers"]["rate"] = [f"{x / 10:.1f}" for x in range(119)] + ["?"]
    tables["customers"]["since"] = [f"{1 + i % 12:02d}/{1 + i % 12:02d}/2020" for i in range(120)]
    diags = inference_diagnostics(infer_schema(tables), file="spec.yaml")
    codes = {d.code for d in diags}
    assert {"D010", "D011", "D012"} <= codes
    assert all(d.span.file == "spec.yaml" for d in diags)
    assert any("ship_via" in d.message for d in diags if d.code == "D010")
