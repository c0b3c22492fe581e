"""Score a schema-inference prediction against a corpus dataset's ``truth.json``.

Pure Python (standard library only), so the inference code, the SDV baseline (run in its own venv) and the
MOSTLY AI baseline can all import it. Every tool is first converted to one prediction format::

    {"tables": {"<table>": {"primary_key": ["col", ...] | null,
                            "columns": {"<col>": "<kind>"}}},
     "foreign_keys": [{"child_table": "...", "child_columns": ["..."],
                       "parent_table": "...", "parent_columns": ["..."],
                       "is_context": true}]}

``<kind>`` uses truth.json's vocabulary (:data:`KINDS`). Tools that emit MOSTLY AI encodings are converted with
:func:`encoding_to_kind`; SDV sdtypes with :func:`sdtype_to_kind`.

Metrics (all in [0, 1]; ``score`` returns them per dataset, :func:`mean_scores` averages them over datasets with
equal weight per dataset):

``pk_accuracy``
    Over all truth tables: the predicted PK equals, as a set of columns, the truth PK or one of the table's truth
    ``alternate_keys``. From data alone a documented alternate key (another unique column set) cannot be told
    from the primary key, and either identifies the rows, so both count. A truth PK of ``null`` is matched only by a
    ``null`` (or empty, or missing) prediction. ``pk_accuracy_strict`` accepts the documented PK only.
``fk_precision`` / ``fk_recall`` / ``fk_f1``
    An FK is the triple (child table, parent table, set of (child column, parent column) pairs), so composite FKs
    match regardless of column order and self-references need no special case. ``is_context`` is ignored here.
    Duplicate predictions count once. With no predicted FKs precision is 0 (1 when the truth has none either);
    likewise recall with no truth FKs.
``context_accuracy``
    Over ALL truth tables (each table counts once): let the accepted set be the truth FKs of that table marked
    ``is_context`` or ``context_acceptable``. A table whose truth has an ``is_context`` FK is correct iff exactly
    one predicted FK of that table has ``is_context: true`` and it is in the accepted set. A table whose truth
    has no ``is_context`` FK is correct iff no context FK is predicted, or the predicted one is in the accepted
    set (a ``context_acceptable`` reading). Predicting two or more context FKs for a table is always wrong. So a
    tool that predicts no context at all scores the share of tables without a truth context.
    ``context_child_accuracy`` (child tables only) and ``context_none_accuracy`` (the other tables) are the two
    halves.
``kind_accuracy``
    Over non-key columns: columns of truth tables that are neither in the truth PK nor a child column of any truth
    FK (key membership is scored by the PK/FK metrics). A column is correct iff the predicted kind is the truth
    kind, is in its ``also_ok`` list, or the two are in the same coarse class (:func:`kinds_match`):
    ``lat``/``long`` are one class, and a truth ``pii_*`` kind is matched by any ``pii_*`` kind or by
    ``categorical``, because a synthesizer models PII strings as categories or character sequences (the PII tag
    is about the value and does not change the model). A missing column prediction is wrong.
    ``kind_accuracy_strict`` drops the coarse classes (exact kind or ``also_ok`` only), so it also measures
    whether the PII type was recognised.

CLI::

    python -m tests.bench.corpus.score PRED.json TRUTH.json            # one dataset, JSON to stdout
    python -m tests.bench.corpus.score --corpus DIR --preds OUT --prefix pred_sdv_   # table over datasets
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

KINDS = (
    "id",
    "categorical",
    "numeric",
    "datetime",
    "text",
    "lat",
    "long",
    "pii_name",
    "pii_email",
    "pii_phone",
    "pii_address",
    "pii_other",
)

METRICS = (
    "pk_accuracy",
    "fk_precision",
    "fk_recall",
    "fk_f1",
    "context_accuracy",
    "kind_accuracy",
    "pk_accuracy_strict",
    "context_child_accuracy",
    "context_none_accuracy",
    "kind_accuracy_strict",
)

# ---------------------------------------------------------------------------------------------------------------
# Mappings from tool vocabularies to kinds (one mapping per vocabulary, used for every tool that emits it).

_ENCODING_KIND = {
    "TABULAR_CATEGORICAL": "categorical",
    "TABULAR_NUMERIC_AUTO": "numeric",
    "TABULAR_NUMERIC_DISCRETE": "numeric",
    "TABULAR_NUMERIC_BINNED": "numeric",
    "TABULAR_NUMERIC_DIGIT": "numeric",
    "TABULAR_DATETIME": "datetime",
    "TABULAR_DATETIME_RELATIVE": "datetime",
    # CHARACTER is MOSTLY AI's model for high-cardinality, bounded-length strings: identifiers and codes such as
    # phone numbers, e-mails, postal codes, account numbers. In truth.json's vocabulary that is a PII/quasi-id
    # code, so it maps to pii_other (which the coarse rule also accepts for the other pii_* kinds).
    "TABULAR_CHARACTER": "pii_other",
    # A single "lat, long" column; truth has separate lat/long columns and the coarse rule treats them as one class.
    "TABULAR_LAT_LONG": "lat",
    "LANGUAGE_TEXT": "text",
    "LANGUAGE_CATEGORICAL": "categorical",
    "LANGUAGE_NUMERIC": "numeric",
    "LANGUAGE_DATETIME": "datetime",
}


def encoding_to_kind(encoding: str | None) -> str | None:
    """Map a MOSTLY AI ``ModelEncodingType`` name to a kind.

    Args:
        encoding: e.g. ``"TABULAR_NUMERIC_BINNED"`` (an enum member's ``.value`` or its name; case-insensitive).

    Returns:
        The kind, or ``None`` for ``AUTO``/unknown/None (scored as wrong).
    """
    if encoding is None:
        return None
    name = str(getattr(encoding, "value", encoding)).rsplit(".", 1)[-1].upper()
    return _ENCODING_KIND.get(name)


_SDTYPE_KIND = {
    "categorical": "categorical",
    "boolean": "categorical",
    "numerical": "numeric",
    # SDV 2.x: ordered discrete values (it picks it for low-cardinality integers), the analogue of MOSTLY AI's
    # TABULAR_NUMERIC_DISCRETE, which also maps to numeric.
    "ordinal": "numeric",
    "datetime": "datetime",
    "id": "id",
    # SDV marks strings it cannot type (mostly unique, no known pattern) as "unknown" and anonymises them with
    # random strings: the analogue of MOSTLY AI's CHARACTER, so it maps to the same kind.
    "unknown": "pii_other",
    "text": "text",
    "email": "pii_email",
    "phone_number": "pii_phone",
    "first_name": "pii_name",
    "last_name": "pii_name",
    "name": "pii_name",
    "address": "pii_address",
    "street_address": "pii_address",
    "secondary_address": "pii_address",
    "postcode": "pii_other",
    "zipcode": "pii_other",
    "ssn": "pii_other",
    "credit_card_number": "pii_other",
    "iban": "pii_other",
    "swift11": "pii_other",
    "swift8": "pii_other",
    "license_plate": "pii_other",
    "ipv4_address": "pii_other",
    "ipv6_address": "pii_other",
    "mac_address": "pii_other",
    "user_name": "pii_other",
    "password": "pii_other",
    "city": "categorical",
    "country": "categorical",
    "country_code": "categorical",
    "state": "categorical",
    "state_abbr": "categorical",
    "administrative_unit": "categorical",
    "company": "categorical",
    "job": "categorical",
    "latitude": "lat",
    "longitude": "long",
}


def sdtype_to_kind(sdtype: str | None) -> str | None:
    """Map an SDV sdtype (``"numerical"``, ``"email"``, ...) to a kind; unknown Faker sdtypes map to pii_other."""
    if sdtype is None:
        return None
    return _SDTYPE_KIND.get(str(sdtype), "pii_other")


def kinds_match(pred: str | None, truth: str, also_ok: Iterable[str] = (), *, strict: bool = False) -> bool:
    """Whether a predicted kind is accepted for a truth kind (see the module docstring, ``kind_accuracy``)."""
    if pred is None:
        return False
    if pred == truth or pred in set(also_ok):
        return True
    if strict:
        return False
    if {pred, truth} <= {"lat", "long"}:
        return True
    return truth.startswith("pii_") and (pred.startswith("pii_") or pred == "categorical")


# ---------------------------------------------------------------------------------------------------------------
# Loading


def load_truth(dataset_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """Read ``truth.json`` from a corpus dataset folder (or the path of a truth.json itself)."""
    path = Path(dataset_dir)
    if path.is_dir():
        path = path / "truth.json"
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


def read_tables(dataset_dir: str | os.PathLike[str], truth: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Read a dataset's CSVs as pandas DataFrames the way both baselines do (pandas imported lazily).

    Only the truth's ``null_tokens`` are null (pandas' default NA list is off, so a literal ``NA`` stays a string);
    dtypes are left to pandas' default inference, as a user calling ``pd.read_csv`` would get.
    """
    import pandas as pd

    truth = truth if truth is not None else load_truth(dataset_dir)
    tokens = list(truth.get("null_tokens", [""]))
    return {
        name: pd.read_csv(Path(dataset_dir) / spec.get("file", f"{name}.csv"), keep_default_na=False, na_values=tokens)
        for name, spec in truth["tables"].items()
    }


# ---------------------------------------------------------------------------------------------------------------
# Scoring

FkKey = tuple[str, str, frozenset[tuple[str, str]]]


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value]


def _fk_key(fk: Mapping[str, Any]) -> FkKey:
    child = _as_list(fk.get("child_columns"))
    parent = _as_list(fk.get("parent_columns"))
    if len(child) != len(parent) or not child:
        raise ValueError(f"foreign key {fk!r}: child_columns and parent_columns must be non-empty and equally long")
    return (str(fk["child_table"]), str(fk["parent_table"]), frozenset(zip(child, parent)))


def _fk_label(key: FkKey) -> str:
    child, parent, pairs = key
    ordered = sorted(pairs)
    return f"{child}({','.join(c for c, _ in ordered)}) -> {parent}({','.join(p for _, p in ordered)})"


def _ratio(num: int, den: int, empty: float = 1.0) -> float:
    return num / den if den else empty


def score(pred: Mapping[str, Any], truth: Mapping[str, Any]) -> dict[str, Any]:
    """Score one prediction against one dataset's truth.

    Args:
        pred: a prediction in the format of the module docstring.
        truth: the dataset's truth.json as a dict (see :func:`load_truth`).

    Returns:
        ``{"dataset": name, <metric>: float for each of METRICS, "counts": {...}, "errors": {...}}``. ``errors``
        lists every miss (table, column or FK label) so a regression can be traced.
    """
    pred_tables: Mapping[str, Any] = pred.get("tables") or {}
    truth_tables: Mapping[str, Any] = truth["tables"]
    errors: dict[str, list[str]] = {"pk": [], "fk_missing": [], "fk_spurious": [], "context": [], "kind": []}

    # Primary keys.
    pk_ok = pk_strict_ok = 0
    for table, tspec in truth_tables.items():
        got_list = _as_list((pred_tables.get(table) or {}).get("primary_key"))
        got = frozenset(got_list) if got_list else None
        want = frozenset(tspec["primary_key"]) if tspec.get("primary_key") else None
        alternates = {frozenset(k) for k in tspec.get("alternate_keys") or [] if k}
        pk_strict_ok += got == want
        if got == want or (got is not None and got in alternates):
            pk_ok += 1
        else:
            errors["pk"].append(f"{table}: predicted {sorted(got) if got else None}, truth {sorted(want) if want else None}")

    # Foreign keys.
    truth_fks = {_fk_key(fk): fk for fk in truth.get("foreign_keys", [])}
    pred_fk_list = list(pred.get("foreign_keys") or [])
    pred_keys = {_fk_key(fk) for fk in pred_fk_list}
    tp = len(pred_keys & truth_fks.keys())
    fp = len(pred_keys - truth_fks.keys())
    fn = len(truth_fks.keys() - pred_keys)
    empty_both = 1.0 if not pred_keys and not truth_fks else 0.0
    precision = _ratio(tp, tp + fp, empty_both)
    recall = _ratio(tp, tp + fn, empty_both if not truth_fks else 0.0)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    errors["fk_missing"] = sorted(_fk_label(k) for k in truth_fks.keys() - pred_keys)
    errors["fk_spurious"] = sorted(_fk_label(k) for k in pred_keys - truth_fks.keys())

    # Context.
    pred_ctx: dict[str, set[FkKey]] = {}
    for fk in pred_fk_list:
        if fk.get("is_context"):
            key = _fk_key(fk)
            pred_ctx.setdefault(key[0], set()).add(key)
    child_ok = child_n = none_ok = none_n = 0
    for table in truth_tables:
        mine = [k for k, fk in truth_fks.items() if k[0] == table]
        is_child = any(truth_fks[k].get("is_context") for k in mine)
        accepted = {k for k in mine if truth_fks[k].get("is_context") or truth_fks[k].get("context_acceptable")}
        got_ctx = pred_ctx.get(table, set())
        if is_child:
            child_n += 1
            ok = len(got_ctx) == 1 and got_ctx <= accepted
            child_ok += ok
        else:
            none_n += 1
            ok = not got_ctx or (len(got_ctx) == 1 and got_ctx <= accepted)
            none_ok += ok
        if not ok:
            want = sorted(_fk_label(k) for k in mine if truth_fks[k].get("is_context")) or ["none"]
            errors["context"].append(f"{table}: predicted {sorted(_fk_label(k) for k in got_ctx) or ['none']}, truth {want}")

    # Column kinds.
    key_cols: dict[str, set[str]] = {t: set(s.get("primary_key") or []) for t, s in truth_tables.items()}
    for fk in truth.get("foreign_keys", []):
        key_cols.setdefault(fk["child_table"], set()).update(_as_list(fk["child_columns"]))
    kind_ok = kind_strict_ok = kind_n = 0
    for table, tspec in truth_tables.items():
        got_cols = (pred_tables.get(table) or {}).get("columns") or {}
        for col, cspec in tspec["columns"].items():
            if col in key_cols[table]:
                continue
            kind_n += 1
            got = got_cols.get(col)
            also = cspec.get("also_ok") or []
            ok = kinds_match(got, cspec["kind"], also)
            kind_ok += ok
            kind_strict_ok += kinds_match(got, cspec["kind"], also, strict=True)
            if not ok:
                errors["kind"].append(f"{table}.{col}: predicted {got}, truth {cspec['kind']} (also_ok {also})")

    n_tables = len(truth_tables)
    return {
        "dataset": truth.get("dataset"),
        "pk_accuracy": _ratio(pk_ok, n_tables),
        "fk_precision": precision,
        "fk_recall": recall,
        "fk_f1": f1,
        "context_accuracy": _ratio(child_ok + none_ok, n_tables),
        "kind_accuracy": _ratio(kind_ok, kind_n),
        "pk_accuracy_strict": _ratio(pk_strict_ok, n_tables),
        "context_child_accuracy": _ratio(child_ok, child_n),
        "context_none_accuracy": _ratio(none_ok, none_n),
        "kind_accuracy_strict": _ratio(kind_strict_ok, kind_n),
        "counts": {
            "tables": n_tables,
            "pk_correct": pk_ok,
            "fk_tp": tp,
            "fk_fp": fp,
            "fk_fn": fn,
            "context_child_tables": child_n,
            "context_correct": child_ok + none_ok,
            "kind_columns": kind_n,
            "kind_correct": kind_ok,
        },
        "errors": errors,
    }


def mean_scores(results: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Average each metric over datasets (every dataset weighs the same)."""
    results = list(results)
    if not results:
        return {}
    return {m: sum(r[m] for r in results) / len(results) for m in METRICS}


def score_dir(
    pred_dir: str | os.PathLike[str], corpus_dir: str | os.PathLike[str], prefix: str = "pred_"
) -> dict[str, dict[str, Any]]:
    """Score ``<pred_dir>/<prefix><dataset>.json`` for every dataset folder of ``corpus_dir`` that has one."""
    out: dict[str, dict[str, Any]] = {}
    for ds in sorted(p for p in Path(corpus_dir).iterdir() if (p / "truth.json").is_file()):
        pred_path = Path(pred_dir) / f"{prefix}{ds.name}.json"
        if pred_path.is_file():
            out[ds.name] = score(json.loads(pred_path.read_text(encoding="utf-8")), load_truth(ds))
    return out


def markdown_table(results: Mapping[str, Mapping[str, Any]], metrics: Iterable[str] = METRICS[:6]) -> str:
    """Render per-dataset results and their mean as a Markdown table."""
    metrics = list(metrics)
    lines = ["| dataset | " + " | ".join(metrics) + " |", "|---" * (len(metrics) + 1) + "|"]
    for name, r in results.items():
        lines.append(f"| {name} | " + " | ".join(f"{r[m]:.3f}" for m in metrics) + " |")
    mean = mean_scores(results.values())
    if mean:
        lines.append("| **mean** | " + " | ".join(f"**{mean[m]:.3f}**" for m in metrics) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.corpus.score", description=__doc__.split("\n")[0])
    parser.add_argument("pred", nargs="?", help="prediction JSON (single-dataset mode)")
    parser.add_argument("truth", nargs="?", help="truth.json or its dataset folder (single-dataset mode)")
    parser.add_argument("--corpus", help="corpus folder (table mode)")
    parser.add_argument("--preds", help="folder with <prefix><dataset>.json predictions (table mode)")
    parser.add_argument("--prefix", default="pred_", help="prediction file prefix (table mode)")
    parser.add_argument("--all-metrics", action="store_true", help="table mode: also the secondary metrics")
    parser.add_argument("--errors", action="store_true", help="single-dataset mode: include the error lists")
    args = parser.parse_args(argv)
    if args.corpus and args.preds:
        results = score_dir(args.preds, args.corpus, args.prefix)
        sys.stdout.write(markdown_table(results, METRICS if args.all_metrics else METRICS[:6]) + "\n")
        return 0
    if not (args.pred and args.truth):
        parser.error("give PRED.json TRUTH.json, or --corpus DIR --preds DIR")
    with open(args.pred, encoding="utf-8") as fh:
        result = score(json.load(fh), load_truth(args.truth))
    if not args.errors:
        result.pop("errors")
    sys.stdout.write(json.dumps(result, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
