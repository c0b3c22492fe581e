"""Profiles: formats are detected, counts are right, and no raw string value leaks into a profile."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from compiler.profile import FORMATS, classify_value, profile_column, profile_table, word_tokens


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("2024-01-05", "iso_date"),
        ("2024-01-05 10:11:12", "iso_datetime"),
        ("2022-05-24 22:54:33.12+01", "iso_datetime_tz"),
        ("2024-01-05T10:11:12Z", "iso_datetime_tz"),
        ("31/12/2023", "date_dmy"),
        ("12/31/2023", "date_mdy"),
        ("2023/12/31", "date_ymd_slash"),
        ("20240105", "date_yyyymmdd"),
        ("202401", "date_yyyymm"),
        ("12:30", "time"),
        ("41.38, 2.17", "latlong_pair"),
        ("41.38712, 2.16998", "latlong_pair"),
        ("ana.garcia@example.org", "email"),
        ("+34 912 345 678", "phone"),
        ("+1 (780) 428-9482", "phone"),
        ("12345678Z", "dni"),
        ("ES9121000418450200051332", "iban"),
        ("ES91 2100 0418 4502 0005 1332", "iban"),
        ("550e8400-e29b-41d4-a716-446655440000", "uuid"),
        ("8cb2237d0679ca88db6464eac60da96345513964", "hex_hash"),
        ("T00001", "code"),
        ("01581", "leading_zero"),
        ("3.14", "decimal"),
        ("Y", "boolean"),
        ("f", "boolean"),
        ("https://example.org/x", "url"),
        ("?", "null_token"),
    ],
)
def test_classify_value(value, tag):
    assert tag in classify_value(value)


@pytest.mark.parametrize(
    ("value", "not_tag"),
    [
        ("T00001", "time"),
        ("T00001", "iso_date"),
        ("12345678A", "dni"),  # wrong check letter
        ("ES9121000418450200051333", "iban"),  # wrong checksum
        ("20241332", "date_yyyymmdd"),
        ("25:30", "time"),
        ("2024-02-30", "iso_date"),
    ],
)
def test_classify_value_rejects(value, not_tag):
    assert not_tag not in classify_value(value)


def test_nie_and_cif():
    num = 1234567
    letter = "TRWAGMYFPDXBNJZSQVHLCKE"[num % 23]
    assert "nie" in classify_value(f"X{num:07d}{letter}")
    assert "nif_cif" in classify_value("B12345674")  # control digit 4 for 1234567


def test_counts_and_shapes():
    s = pd.Series(["a", "b", "b", None, "  ", "ccc"])
    p = profile_column("x", s)
    assert p.physical == "string"
    assert p.rows == 6 and p.null_count == 2  # None and the blank string
    assert p.distinct == 3 and not p.unique
    assert p.min_length == 1 and p.max_length == 3
    u = profile_column("u", pd.Series([3, 1, 2], dtype="Int64"))
    assert u.unique and u.sequential and u.num_min == 1 and u.num_max == 3 and u.integral


def test_numeric_and_date_profiles():
    p = profile_column("f", pd.Series([1.25, 2.5, np.nan, 10.0]))
    assert p.physical == "float" and p.max_decimals == 2 and p.null_count == 1 and not p.integral
    d = profile_column("d", pd.Series(pd.to_datetime(["2024-01-01 00:00", "2024-03-01 10:00"])))
    assert d.physical == "datetime" and d.has_time and d.date_min.startswith("2024-01-01")
    y = profile_column("y", pd.Series([20240105, 20231231, 19991201]))
    assert y.fmt("date_yyyymmdd") == 1.0


def test_profile_has_no_raw_string_values():
    rng = np.random.default_rng(0)
    secrets = [f"Zorbluxian{i}Quintessa" for i in range(40)]
    df = pd.DataFrame({
        "name": rng.choice(secrets, 300),
        "email": [f"{s.lower()}@privatemail.example" for s in rng.choice(secrets, 300)],
        "dni": ["12345678Z"] * 300,
        "code": [f"QX{i:06d}" for i in range(300)],
        "when": ["2021-07-04"] * 150 + ["2021-07-05"] * 150,
        "n": rng.integers(0, 100, 300),
    })
    text = json.dumps(profile_table(df).to_dict(), sort_keys=True)
    for col in ["name", "email", "dni", "code"]:
        for v in df[col].astype(str).unique():
            assert v not in text, f"raw value of {col} leaked"
    for s in secrets:
        assert s not in text and s.lower() not in text
    assert "12345678Z" not in text


def test_format_names_are_declared():
    df = pd.DataFrame({"a": ["2024-01-01", "x", "T00001", "a@b.co", "41.1, 2.2", "?"]})
    p = profile_table(df).columns["a"]
    assert set(p.formats) <= set(FORMATS)


def test_word_tokens():
    assert word_tokens("InvoiceLineId") == ["invoice", "line", "id"]
    assert word_tokens("o_custkey") == ["o", "custkey"]
    assert word_tokens("HTTPStatus2") == ["http", "status2"]


def test_large_cardinality_is_bounded():
    s = pd.Series([f"v{i}" for i in range(50_000)])
    p = profile_column("big", s)
    assert p.checked_distinct <= 2000 and p.unique and p.distinct == 50_000
