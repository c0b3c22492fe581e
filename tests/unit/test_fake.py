"""Fake values for excluded identifying columns (`fake:` in a spec)."""

import re

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from compiler.api import compile_spec
from compiler.fake import DNI_LETTERS, fake_values, resolve_kind


def test_resolve_kind_from_pii():
    assert resolve_kind(True, "email") == "email"
    assert resolve_kind(True, "national_id") == "national_id"
    assert resolve_kind(True, "phone") == "pattern"
    assert resolve_kind("surname", None) == "surname"
    assert resolve_kind(True, None) is None and resolve_kind(False, "email") is None


def test_kinds_have_the_right_shape_and_copy_nothing():
    src = pd.Series([f"{n:08d}{DNI_LETTERS[n % 23]}" for n in range(1000, 1200)] + [None] * 20)
    out = fake_values("national_id", src, 500, seed=3, salt="t.dni")
    vals = out.dropna()
    assert all(re.fullmatch(r"\d{8}[A-Z]", v) and DNI_LETTERS[int(v[:8]) % 23] == v[8] for v in vals)
    assert not set(vals) & set(src.dropna())
    assert 0.03 < out.isna().mean() < 0.16  # the source's null share (~9%)
    emails = fake_values("email", pd.Series(["real.person@gmail.com"] * 10), 50, seed=1)
    assert all(e.endswith("@example.org") for e in emails) and emails.is_unique
    phones = pd.Series(["612345678", "934567890", "698765432"] * 10)
    fake_phones = fake_values("pattern", phones, 40, seed=1, salt="t.tel")
    assert all(re.fullmatch(r"\d{9}", p) for p in fake_phones) and not set(fake_phones) & set(phones)


@settings(max_examples=25, deadline=None)
@given(kind=st.sampled_from(["name", "given_name", "surname", "email", "national_id", "address", "pattern"]),
       seed=st.integers(0, 2**31), n=st.integers(0, 60))
def test_deterministic_and_sized(kind, seed, n):
    src = pd.Series(["Aa-0001", "Bb-0002", None, "Cc-0003"])
    a = fake_values(kind, src, n, seed=seed, salt="t.c")
    b = fake_values(kind, src, n, seed=seed, salt="t.c")
    assert len(a) == n and a.equals(b)


@pytest.mark.parametrize("entry,code", [("{fake: true}", "M050"), ("{pii: none, fake: true}", "M050")])
def test_fake_needs_a_kind(tmp_path, entry, code):
    p = tmp_path / "s.yaml"
    p.write_text(f"spec_version: 1\nname: f\ntables:\n  t:\n    primary_key: id\n    columns:\n      c: {entry}\n")
    res = compile_spec(p, use_data=False, out_dir=tmp_path / "b")
    assert [d.code for d in res.diagnostics] == [code]


def test_fake_columns_are_not_modelled_and_reach_the_manifest(tmp_path):
    p = tmp_path / "s.yaml"
    p.write_text("spec_version: 1\nname: f\ntables:\n  t:\n    primary_key: id\n    columns:\n"
                 "      mail: {encoding: character, pii: email, fake: true}\n      who: {fake: surname}\n"
                 "      v: numeric\n")
    res = compile_spec(p, use_data=False, out_dir=tmp_path / "b")
    assert res.ok and not [d for d in res.diagnostics if d.code == "L001"]
    assert [c["name"] for c in res.generator["tables"][0]["columns"]] == ["id", "v"]
    t = res.manifest["tables"][0]
    assert t["fake"] == [{"name": "mail", "kind": "email"}, {"name": "who", "kind": "surname"}]
    assert set(t["excluded_columns"]) == {"mail", "who"}
