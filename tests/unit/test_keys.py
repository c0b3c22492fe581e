"""Key and dtype restoration (compiler.keys): hypothesis properties and concrete cases."""

from __future__ import annotations

import datetime as dt
import re
import uuid

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler.keys import (ForeignKeySpec, IntFormat, KeySpec, PatternFormat, TableKeys, TemplateFormat,
                           composite_fresh_keys, empty_like, fresh_keys, infer_format, logical_type,
                           position_class, restore_column, restore_keys)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _mostly_uuid(i: int) -> str:
    return "mostly" + str(uuid.UUID(int=i + 1))[6:]


# --------------------------------------------------------------------------------------------
# single-column formats


@SETTINGS
@given(src=st.sets(st.integers(min_value=-10**6, max_value=10**9), min_size=1, max_size=200),
       n=st.integers(min_value=1, max_value=300))
def test_int_keys_fresh_unique_and_int(src, n):
    s = pd.Series(sorted(src), dtype="int64")
    fmt = infer_format(s)
    assert isinstance(fmt, IntFormat)
    out = fresh_keys(fmt, n, used=set(src))
    assert len(out) == n == len(set(out))
    assert all(type(v) is int for v in out)
    assert not set(out) & src


def test_int_keys_continue_after_max_and_respect_dtype_bounds():
    assert fresh_keys(infer_format(pd.Series([5, 9, 2])), 3) == [10, 11, 12]
    s = pd.Series([126, 127, 1], dtype="int8")  # no room after the maximum: smallest unused values
    out = fresh_keys(infer_format(s), 4, used={126, 127, 1})
    assert out == [0, 2, 3, 4]


@st.composite
def patterns(draw):
    prefix = draw(st.text(alphabet="ABCXYZ-_/", min_size=0, max_size=3))
    suffix = draw(st.text(alphabet="abc-", min_size=0, max_size=2))
    width = draw(st.integers(min_value=1, max_value=6))
    nums = draw(st.sets(st.integers(min_value=0, max_value=10**width - 1), min_size=1, max_size=150))
    return prefix, suffix, width, sorted(nums)


@SETTINGS
@given(p=patterns(), n=st.integers(min_value=1, max_value=300))
def test_pattern_keys_keep_prefix_width_suffix(p, n):
    prefix, suffix, width, nums = p
    src = [f"{prefix}{k:0{width}d}{suffix}" for k in nums]
    fmt = infer_format(pd.Series(src))
    assert isinstance(fmt, PatternFormat)
    notes: list[str] = []
    out = fresh_keys(fmt, n, used=set(src), notes=notes, salt="t.c")
    assert len(out) == n == len(set(out))
    assert not set(out) & set(src)
    w = re.escape(prefix) + r"(\d+)" + re.escape(suffix)
    for v in out:
        m = re.fullmatch(w, v)
        assert m, v
        if not notes:  # the width is kept unless the number space ran out (then a note says so)
            assert len(m.group(1)) == width
    if n + len(nums) <= 10**width:
        assert not notes


def test_pattern_example_t_codes():
    src = pd.Series(["T000001", "T000123", "T000007"])
    assert fresh_keys(infer_format(src), 3) == ["T000124", "T000125", "T000126"]


def test_pattern_width_grows_only_when_needed():
    src = [f"X{k}" for k in range(1, 13)]  # X1..X12, variable width: no padding, no note
    notes: list[str] = []
    assert fresh_keys(infer_format(pd.Series(src)), 2, used=set(src), notes=notes) == ["X13", "X14"]
    assert not notes
    notes: list[str] = []
    src = [f"{k:02d}" for k in range(0, 99)]  # 00..98 fixed width 2: one free value (99)
    out = fresh_keys(infer_format(pd.Series(src)), 3, used=set(src), notes=notes, salt="t.k")
    assert out == ["099", "100", "101"] and notes


@SETTINGS
@given(src=st.sets(st.text(alphabet="abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
                           min_size=5, max_size=5), min_size=25, max_size=150),
       n=st.integers(min_value=1, max_value=300))
def test_template_keys_same_length_and_position_classes(src, n):
    src = sorted(s for s in src if not s[-1].isdigit())  # keep these off the numbered-code path
    if len(src) < 2:
        return
    fmt = infer_format(pd.Series(src))
    assert isinstance(fmt, TemplateFormat)
    out = fresh_keys(fmt, n, used=set(src), seed=3, salt="t.c")
    assert len(out) == n == len(set(out))
    assert not set(out) & set(src)
    for v in out:
        assert len(v) == 5
        for i, c in enumerate(v):
            assert c in position_class(fmt.positions[i])


def test_template_uuid_like_keeps_dashes_and_hex():
    rng = np.random.default_rng(0)
    src = [str(uuid.UUID(int=int(rng.integers(0, 2**62)) << 64 | int(rng.integers(0, 2**62)), version=4))
           for _ in range(100)]
    out = fresh_keys(infer_format(pd.Series(src)), 50, used=set(src), seed=1, salt="x")
    for v in out:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", v), v


def test_structured_codes_keep_observed_characters_per_position():
    src = [f"PRC-20{y:02d}-{k:04d}" for y in range(5, 25) for k in (94, 102, 311)]
    fmt = infer_format(pd.Series(src))
    assert isinstance(fmt, TemplateFormat)
    out = fresh_keys(fmt, 30, used=set(src), seed=2, salt="a.n")
    for v in out:
        assert re.fullmatch(r"PRC-20[0-2]\d-\d{4}", v), v
    assert not set(out) & set(src)


def test_fresh_keys_are_deterministic():
    src = pd.Series(["ab-x1z", "cd-y2w", "ef-q3r"] * 10).drop_duplicates()
    fmt = infer_format(src)
    assert fresh_keys(fmt, 20, seed=5, salt="a") == fresh_keys(fmt, 20, seed=5, salt="a")
    assert fresh_keys(fmt, 20, seed=5, salt="a") != fresh_keys(fmt, 20, seed=6, salt="a")


# --------------------------------------------------------------------------------------------
# composite keys


@st.composite
def composite_sources(draw):
    n = draw(st.integers(min_value=1, max_value=200))
    procs = draw(st.lists(st.sampled_from(["P01", "P02", "P03", "P10"]), min_size=n, max_size=n))
    nums = draw(st.lists(st.integers(min_value=1, max_value=50), min_size=n, max_size=n))
    df = pd.DataFrame({"proc": procs, "num": nums}).drop_duplicates().reset_index(drop=True)
    return df


@SETTINGS
@given(src=composite_sources(), n=st.integers(min_value=1, max_value=300))
def test_composite_tuples_unique_and_components_typed(src, n):
    notes: list[str] = []
    out = composite_fresh_keys(src, n, seed=1, salt="t", notes=notes)
    assert list(out.columns) == ["proc", "num"]
    assert len(out) == n
    assert not out.duplicated().any()
    # the width is kept unless 2 digits cannot hold enough fresh codes (then a note says so)
    width = r"\d{2}" if not notes else r"\d{2,}"
    assert all(re.fullmatch("P" + width, v) for v in out["proc"])
    assert all(isinstance(v, (int, np.integer)) for v in out["num"])


def test_composite_shared_component_keeps_source_codes_and_cardinality():
    src = pd.DataFrame({"proc": ["P01"] * 40 + ["P02"] * 30 + ["P99"] * 2, "exp": range(72)})
    out = composite_fresh_keys(src, 100, seed=1, salt="t")
    assert set(out["proc"]) <= {"P01", "P02"}  # P99 is rare (2 rows): never reused
    assert out["exp"].min() > 71 and out["exp"].is_unique


# --------------------------------------------------------------------------------------------
# a relational dataset


@st.composite
def datasets(draw):
    n_parent = draw(st.integers(min_value=1, max_value=40))
    kind = draw(st.sampled_from(["int", "code", "composite"]))
    if kind == "int":
        src_parent = pd.DataFrame({"id": np.arange(100, 100 + n_parent, dtype="int64")})
        pk = KeySpec(("id",), "id")
    elif kind == "code":
        src_parent = pd.DataFrame({"id": [f"T{k:05d}" for k in range(n_parent)]})
        pk = KeySpec(("id",), "id")
    else:
        src_parent = pd.DataFrame({"a": [f"P{k % 3}" for k in range(n_parent)], "b": np.arange(n_parent)})
        pk = KeySpec(("a", "b"), "ab")
    n_syn_parent = draw(st.integers(min_value=1, max_value=40))
    parent_uuids = [_mostly_uuid(i) for i in range(n_syn_parent)]
    syn_parent = pd.DataFrame({pk.model_column: parent_uuids, "x": range(n_syn_parent)})
    n_child = draw(st.integers(min_value=0, max_value=60))
    ctx = draw(st.lists(st.sampled_from(parent_uuids), min_size=n_child, max_size=n_child))
    other = draw(st.lists(st.one_of(st.none(), st.sampled_from(parent_uuids)), min_size=n_child, max_size=n_child))
    syn_child = pd.DataFrame({"cid": [_mostly_uuid(1000 + i) for i in range(n_child)],
                              "fk_ctx": pd.Series(ctx, dtype=object), "fk_other": pd.Series(other, dtype=object)})
    cols = pk.columns
    if len(cols) == 1:
        fks = (ForeignKeySpec(("pid",), "fk_ctx", references="p", context=True),
               ForeignKeySpec(("other",), "fk_other", references="p", context=False))
        syn_child = syn_child.rename(columns={"fk_ctx": "pid", "fk_other": "other"})
        fks = (ForeignKeySpec(("pid",), "pid", references="p", context=True),
               ForeignKeySpec(("other",), "other", references="p", context=False))
    else:
        fks = (ForeignKeySpec(("a", "b"), "fk_ctx", references="p", context=True),
               ForeignKeySpec(("oa", "ob"), "fk_other", references="p", context=False))
    src_child = pd.DataFrame({"cid": np.arange(n_child, dtype="int64")})
    tables = [TableKeys("p", pk), TableKeys("c", KeySpec(("cid",), "cid"), fks)]
    return tables, {"p": syn_parent, "c": syn_child}, {"p": src_parent, "c": src_child}, other


def _tuples(df, cols):
    return [tuple(r) for r in df[list(cols)].itertuples(index=False, name=None)]


@SETTINGS
@given(ds=datasets(), seed=st.integers(min_value=0, max_value=2**31))
def test_restore_keys_unique_typed_and_every_fk_resolves(ds, seed):
    tables, syn, src, other = ds
    res = restore_keys(syn, src, tables, seed=seed)
    assert not res.unresolved
    p, c = res.tables["p"], res.tables["c"]
    pkcols = tables[0].primary_key.columns
    assert tables[0].primary_key.model_column not in pkcols or True
    ptuples = _tuples(p, pkcols)
    assert len(set(ptuples)) == len(ptuples) == len(syn["p"])
    srcset = set(_tuples(src["p"], pkcols))
    assert not set(ptuples) & srcset  # fresh: no real key tuple reused
    for col in pkcols:  # types kept
        if pd.api.types.is_integer_dtype(src["p"][col].dtype):
            assert pd.api.types.is_integer_dtype(p[col].dtype)
        else:
            assert all(isinstance(v, str) for v in p[col])
    pset = set(ptuples)
    ctx, oth = tables[1].foreign_keys
    for fk in (ctx, oth):
        assert fk.model_column in fk.columns or fk.model_column not in c.columns  # surrogates dropped
    for t in _tuples(c, ctx.columns):
        assert t in pset
    for t, raw in zip(_tuples(c, oth.columns), other):
        if raw is None:
            assert all(pd.isna(v) for v in t)  # NULL stays NULL
        else:
            assert t in pset
    # consistent: the same synthetic parent uuid maps to the same restored key everywhere
    back = dict(zip(syn["p"][tables[0].primary_key.model_column], ptuples))
    ctx_raw = syn["c"][ctx.model_column].tolist()
    assert [back[u] for u in ctx_raw] == _tuples(c, ctx.columns)


def test_restore_keys_counts_unmappable_fk_values():
    tables = [TableKeys("p", KeySpec(("id",), "id")),
              TableKeys("c", None, (ForeignKeySpec(("pid",), "pid", references="p", context=True),))]
    syn = {"p": pd.DataFrame({"id": ["mostly-a", "mostly-b"]}), "c": pd.DataFrame({"pid": ["mostly-a", "nope"]})}
    src = {"p": pd.DataFrame({"id": [1, 2]}), "c": pd.DataFrame({"pid": [1, 2]})}
    res = restore_keys(syn, src, tables)
    assert res.unresolved == {("c", "pid"): 1}
    assert res.tables["p"]["id"].tolist() == [3, 4]
    assert res.tables["c"]["pid"].iloc[0] == 3 and pd.isna(res.tables["c"]["pid"].iloc[1])


# --------------------------------------------------------------------------------------------
# dtypes


def test_restore_bool_from_engine_strings():
    out = restore_column(pd.Series(["True", "False", "True"]), pd.Series([True, False]))
    assert out.dtype == bool and out.tolist() == [True, False, True]
    with_null = restore_column(pd.Series(["True", None]), pd.Series([True, False]))
    assert str(with_null.dtype) == "boolean" and with_null.isna().tolist() == [False, True]


def test_restore_ints_floats_datetimes_dates_categories_strings():
    src = pd.DataFrame({
        "i": pd.Series([1, 2], dtype="int32"),
        "f": [1.5, 2.5],
        "ts": pd.to_datetime(["2020-01-01 10:00", "2021-01-01 00:00"]).astype("datetime64[ms]"),
        "tz": pd.to_datetime(["2020-01-01", "2021-01-01"]).tz_localize("Europe/Madrid"),
        "d": [dt.date(2020, 1, 1), dt.date(2021, 5, 3)],
        "cat": pd.Categorical(["a", "b"]),
        "s": pd.Series(["x", "y"], dtype="str"),
    })
    syn = pd.DataFrame({
        "i": pd.array([3, 4], dtype="Int64"),
        "f": ["1.25", "2"],
        "ts": pd.to_datetime(["2022-02-02 12:00", "2023-03-03 00:00"]),
        "tz": pd.to_datetime(["2022-02-02", "2023-03-03"]),
        "d": pd.to_datetime(["2022-02-02", None]),
        "cat": ["b", "_RARE_"],
        "s": ["z", None],
    })
    out = {c: restore_column(syn[c], src[c]) for c in src.columns}
    assert out["i"].dtype == "int32" and out["i"].tolist() == [3, 4]
    assert out["f"].dtype == "float64" and out["f"].tolist() == [1.25, 2.0]
    assert out["ts"].dtype == src["ts"].dtype
    assert str(out["tz"].dtype) == str(src["tz"].dtype)
    assert out["d"].tolist()[0] == dt.date(2022, 2, 2) and out["d"].iloc[1] is None
    assert isinstance(out["cat"].dtype, pd.CategoricalDtype) and list(out["cat"].cat.categories[:2]) == ["a", "b"]
    assert out["cat"].tolist() == ["b", "_RARE_"]
    assert out["s"].dtype == src["s"].dtype and out["s"].isna().tolist() == [False, True]
    for c in src.columns:
        assert logical_type(out[c].dtype, out[c]) == logical_type(src[c].dtype, src[c]), c


def test_restore_int_with_nulls_falls_back_to_nullable():
    out = restore_column(pd.Series([1.0, None]), pd.Series([1, 2], dtype="int64"))
    assert str(out.dtype) == "Int64" and logical_type(out.dtype) == "int"


def test_empty_like_keeps_logical_type():
    for s in (pd.Series([1, 2]), pd.Series(["a", "b"], dtype="str"), pd.Series([True, False]),
              pd.to_datetime(pd.Series(["2020-01-01"])), pd.Series([dt.date(2020, 1, 1)])):
        e = empty_like(s, 3)
        assert len(e) == 3 and e.isna().all()
        assert logical_type(e.dtype, e) in (logical_type(s.dtype, s), "object")


def test_unsupported_key_dtype_is_an_error():
    from compiler.keys import KeyRestoreError

    with pytest.raises(KeyRestoreError):
        infer_format(pd.to_datetime(pd.Series(["2020-01-01"])))
