"""Unit tests for the corpus scorer (tests/bench/corpus/score.py) on tiny hand-made truth/prediction dicts."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # so a bare `pytest` also finds the tests package

from tests.bench.corpus.score import (  # noqa: E402
    encoding_to_kind,
    kinds_match,
    load_truth,
    main,
    mean_scores,
    score,
    sdtype_to_kind,
)


def _fk(child, ccols, parent, pcols, ctx=False, acceptable=False):
    fk = {"child_table": child, "child_columns": ccols, "parent_table": parent, "parent_columns": pcols}
    fk["is_context"] = ctx
    if acceptable:
        fk["context_acceptable"] = True
    return fk


@pytest.fixture
def truth():
    """customer <- orders <- lines (composite FK), employee self-reference, a keyless log table, a bridge."""
    return {
        "dataset": "tiny",
        "null_tokens": [""],
        "tables": {
            "customer": {
                "primary_key": ["cid"],
                "columns": {
                    "cid": {"kind": "id"},
                    "name": {"kind": "pii_name"},
                    "email": {"kind": "pii_email"},
                    "city": {"kind": "categorical", "also_ok": ["text"]},
                },
            },
            "employee": {
                "primary_key": ["eid"],
                "alternate_keys": [["login"]],
                "columns": {"eid": {"kind": "id"}, "login": {"kind": "pii_other"}, "boss": {"kind": "id"}},
            },
            "orders": {
                "primary_key": ["oid", "year"],
                "columns": {
                    "oid": {"kind": "id"},
                    "year": {"kind": "numeric", "also_ok": ["datetime"]},
                    "cid": {"kind": "id"},
                    "eid": {"kind": "id"},
                    "amount": {"kind": "numeric"},
                },
            },
            "lines": {
                "primary_key": ["lid"],
                "columns": {
                    "lid": {"kind": "id"},
                    "order_no": {"kind": "id"},
                    "order_year": {"kind": "numeric"},
                    "note": {"kind": "text"},
                },
            },
            "log": {"primary_key": None, "columns": {"at": {"kind": "datetime"}, "lat": {"kind": "lat"}}},
        },
        "foreign_keys": [
            _fk("orders", ["cid"], "customer", ["cid"], ctx=True),
            _fk("orders", ["eid"], "employee", ["eid"], acceptable=True),
            _fk("lines", ["order_no", "order_year"], "orders", ["oid", "year"], ctx=True),
            _fk("employee", ["boss"], "employee", ["eid"]),
        ],
    }


@pytest.fixture
def perfect(truth):
    tables = {
        t: {"primary_key": s["primary_key"], "columns": {c: v["kind"] for c, v in s["columns"].items()}}
        for t, s in truth["tables"].items()
    }
    return {"tables": tables, "foreign_keys": [dict(fk) for fk in truth["foreign_keys"]]}


def test_perfect_prediction_scores_one(truth, perfect):
    r = score(perfect, truth)
    for m in ("pk_accuracy", "fk_precision", "fk_recall", "fk_f1", "context_accuracy", "kind_accuracy"):
        assert r[m] == 1.0, m
    assert r["kind_accuracy_strict"] == 1.0
    assert r["counts"]["kind_columns"] == 8  # key columns (PK and FK child columns) are not scored for kind
    assert r["counts"]["context_child_tables"] == 2
    assert all(not v for v in r["errors"].values())


def test_empty_prediction(truth):
    r = score({"tables": {}, "foreign_keys": []}, truth)
    assert r["pk_accuracy"] == pytest.approx(1 / 5)  # only the keyless table: absent PK == null truth PK
    assert (r["fk_precision"], r["fk_recall"], r["fk_f1"]) == (0.0, 0.0, 0.0)
    assert r["context_accuracy"] == pytest.approx(3 / 5)  # the three tables without a truth context
    assert r["context_child_accuracy"] == 0.0 and r["context_none_accuracy"] == 1.0
    assert r["kind_accuracy"] == 0.0


def test_null_pk_must_be_predicted_null(truth, perfect):
    perfect["tables"]["log"]["primary_key"] = ["at"]
    r = score(perfect, truth)
    assert r["pk_accuracy"] == pytest.approx(4 / 5)
    perfect["tables"]["log"]["primary_key"] = []  # an empty list means "no key"
    assert score(perfect, truth)["pk_accuracy"] == 1.0


def test_composite_pk_is_a_set_and_alternate_keys_count_except_in_strict(truth, perfect):
    perfect["tables"]["orders"]["primary_key"] = ["year", "oid"]
    perfect["tables"]["employee"]["primary_key"] = "login"  # a bare string is one column; login is an alternate key
    r = score(perfect, truth)
    assert r["pk_accuracy"] == 1.0
    assert r["pk_accuracy_strict"] == pytest.approx(4 / 5)
    perfect["tables"]["orders"]["primary_key"] = ["oid"]  # a subset of the composite key is wrong
    r = score(perfect, truth)
    assert r["pk_accuracy"] == pytest.approx(4 / 5)
    assert r["errors"]["pk"] == ["orders: predicted ['oid'], truth ['oid', 'year']"]


def test_composite_fk_matches_as_pairs_regardless_of_order(truth, perfect):
    perfect["foreign_keys"][2] = _fk("lines", ["order_year", "order_no"], "orders", ["year", "oid"], ctx=True)
    assert score(perfect, truth)["fk_f1"] == 1.0
    # same columns but a crossed mapping is a different FK
    perfect["foreign_keys"][2] = _fk("lines", ["order_no", "order_year"], "orders", ["year", "oid"], ctx=True)
    r = score(perfect, truth)
    assert r["counts"]["fk_tp"] == 3 and r["counts"]["fk_fp"] == 1 and r["counts"]["fk_fn"] == 1
    assert r["fk_precision"] == r["fk_recall"] == r["fk_f1"] == pytest.approx(3 / 4)
    assert "lines: predicted" in r["errors"]["context"][0]


def test_self_reference_and_direction(truth, perfect):
    perfect["foreign_keys"] = [fk for fk in perfect["foreign_keys"] if fk["child_table"] != "employee"]
    r = score(perfect, truth)
    assert r["fk_recall"] == pytest.approx(3 / 4) and r["fk_precision"] == 1.0
    assert r["errors"]["fk_missing"] == ["employee(boss) -> employee(eid)"]
    perfect["foreign_keys"].append(_fk("customer", ["cid"], "orders", ["cid"]))  # reversed direction: spurious
    r = score(perfect, truth)
    assert r["counts"]["fk_fp"] == 1
    perfect["foreign_keys"].extend([_fk("employee", ["boss"], "employee", ["eid"])] * 2)  # duplicates count once
    r = score(perfect, truth)
    assert r["counts"]["fk_tp"] == 4 and r["counts"]["fk_fp"] == 1


def test_context_rules(truth, perfect):
    # the context_acceptable FK instead of the is_context one is accepted
    for fk in perfect["foreign_keys"]:
        if fk["child_table"] == "orders":
            fk["is_context"] = not fk["is_context"]
    r = score(perfect, truth)
    assert r["context_accuracy"] == 1.0
    # a context on a table without truth context and not acceptable is wrong
    perfect["foreign_keys"][3]["is_context"] = True  # employee self-reference
    r = score(perfect, truth)
    assert r["context_accuracy"] == pytest.approx(4 / 5) and r["context_none_accuracy"] == pytest.approx(2 / 3)
    # two context FKs on one table are wrong even if one is right
    perfect["foreign_keys"][3]["is_context"] = False
    perfect["foreign_keys"][0]["is_context"] = True
    perfect["foreign_keys"][1]["is_context"] = True
    r = score(perfect, truth)
    assert r["context_child_accuracy"] == pytest.approx(1 / 2)


def test_context_fk_must_also_map_columns_correctly(truth, perfect):
    perfect["foreign_keys"][0] = _fk("orders", ["eid"], "customer", ["cid"], ctx=True)
    r = score(perfect, truth)
    assert r["context_child_accuracy"] == pytest.approx(1 / 2)


def test_kind_rules(truth, perfect):
    cols = perfect["tables"]["customer"]["columns"]
    cols["name"] = "categorical"  # coarse: pii is modelled as a category
    cols["email"] = "pii_other"  # coarse: any pii kind (CHARACTER / SDV unknown)
    cols["city"] = "text"  # also_ok
    r = score(perfect, truth)
    assert r["kind_accuracy"] == 1.0
    assert r["kind_accuracy_strict"] == pytest.approx(6 / 8)
    cols["city"] = "pii_address"  # a pii kind on a non-pii column is wrong
    del perfect["tables"]["log"]["columns"]["at"]  # a missing column is wrong
    r = score(perfect, truth)
    assert r["kind_accuracy"] == pytest.approx(6 / 8)
    assert any(e.startswith("log.at: predicted None") for e in r["errors"]["kind"])


def test_kinds_match_and_mappings():
    assert kinds_match("long", "lat") and not kinds_match("long", "lat", strict=True)
    assert not kinds_match("categorical", "text") and not kinds_match(None, "id")
    assert kinds_match("id", "pii_other", ["id"], strict=True)
    assert encoding_to_kind("TABULAR_NUMERIC_BINNED") == "numeric"
    assert encoding_to_kind("ModelEncodingType.tabular_datetime_relative") == "datetime"
    assert encoding_to_kind("TABULAR_CHARACTER") == "pii_other"
    assert encoding_to_kind("LANGUAGE_TEXT") == "text"
    assert encoding_to_kind("AUTO") is None
    assert sdtype_to_kind("numerical") == "numeric" and sdtype_to_kind("email") == "pii_email"
    assert sdtype_to_kind("unknown") == "pii_other" and sdtype_to_kind("some_faker_type") == "pii_other"


def test_mean_and_cli(truth, perfect, tmp_path, capsys):
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "truth.json").write_text(json.dumps(truth))
    assert load_truth(tmp_path / "tiny") == truth
    pred = tmp_path / "pred_tiny.json"
    pred.write_text(json.dumps(perfect))
    assert main([str(pred), str(tmp_path / "tiny")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["fk_f1"] == 1.0 and "errors" not in out
    assert main(["--corpus", str(tmp_path), "--preds", str(tmp_path), "--prefix", "pred_"]) == 0
    table = capsys.readouterr().out
    assert "| tiny | 1.000 |" in table and "**mean**" in table
    m = mean_scores([score(perfect, truth), score({"tables": {}}, truth)])
    assert m["fk_f1"] == 0.5 and m["pk_accuracy"] == pytest.approx(0.6)


def test_malformed_fk_is_rejected(truth):
    with pytest.raises(ValueError, match="equally long"):
        score({"tables": {}, "foreign_keys": [_fk("lines", ["a", "b"], "orders", ["oid"])]}, truth)
