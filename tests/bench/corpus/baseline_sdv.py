"""Baseline: SDV's metadata auto-detection (``Metadata.detect_from_dataframes``) on the corpus.

SDV is never a project dependency. Run this with a throwaway venv::

    python3 -m venv /tmp/sdv-venv
    /tmp/sdv-venv/bin/pip install sdv pandas torch==2.13.0
    /tmp/sdv-venv/bin/python -m tests.bench.corpus.baseline_sdv OUT_DIR [--corpus /work/shared/corpus]

(from the repository root). It writes ``OUT_DIR/pred_sdv_<dataset>.json`` in the scorer's prediction format.

Conversion (documented in tests/bench/corpus/README.md):
- primary key: SDV's detected ``primary_key`` (SDV detects single-column keys only), or null.
- foreign keys: every detected relationship, ``child_foreign_key -> parent_primary_key``.
- context: SDV has no such notion. Its relationship to the *first* parent is marked ``is_context``, "first" in
  SDV's relationship list. SDV builds that list parent by parent in input table order (truth.json order; the
  children of one parent come in set order), so per child the first parent is the earliest parent table and the
  choice is reproducible. ``--context-rule column-order`` instead takes the FK whose column comes first in the
  child's file (a variant, reported in the README). SDV never detects self-references.
- kinds: every column's sdtype through :func:`score.sdtype_to_kind`.
Detection samples rows without a seed inside SDV, so numpy's global RNG is seeded first (reproducible output).
"""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make `tests.bench.corpus` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.bench.corpus.score import load_truth, read_tables, sdtype_to_kind  # noqa: E402

DEFAULT_CORPUS = "/work/shared/corpus"


def sdv_metadata_to_pred(
    meta: dict[str, Any], column_order: dict[str, list[str]], context_rule: str = "sdv-order"
) -> dict[str, Any]:
    """Convert ``Metadata.to_dict()`` output to the scorer's prediction format.

    Args:
        meta: SDV metadata as a dict.
        column_order: table -> its columns in file order (gives the table order and picks the context FK).
        context_rule: ``"sdv-order"`` (default: SDV's relationship order) or ``"column-order"`` (the FK whose
            column comes first in the child's file).
    """
    as_list = lambda v: [v] if isinstance(v, str) else list(v)  # noqa: E731
    tables: dict[str, Any] = {}
    for name in column_order:
        tmeta = meta["tables"].get(name, {})
        pk = tmeta.get("primary_key")
        tables[name] = {
            "primary_key": as_list(pk) if pk else None,
            "columns": {c: sdtype_to_kind(spec.get("sdtype")) for c, spec in tmeta.get("columns", {}).items()},
        }
    fks = [
        {
            "child_table": rel["child_table_name"],
            "child_columns": as_list(rel["child_foreign_key"]),
            "parent_table": rel["parent_table_name"],
            "parent_columns": as_list(rel["parent_primary_key"]),
            "is_context": False,
        }
        for rel in meta.get("relationships", [])
    ]

    def position(fk: dict[str, Any]) -> tuple[int, str]:
        cols = column_order.get(fk["child_table"], [])
        col = fk["child_columns"][0]
        return (cols.index(col) if col in cols else len(cols), fk["parent_table"])

    if context_rule == "column-order":  # else keep SDV's order: parents in input table order
        fks.sort(key=lambda fk: (fk["child_table"], position(fk)))
    has_context: set[str] = set()
    for fk in fks:
        if fk["child_table"] != fk["parent_table"] and fk["child_table"] not in has_context:
            fk["is_context"] = True
            has_context.add(fk["child_table"])
    fks.sort(key=lambda fk: (fk["child_table"], position(fk)))  # stable output: SDV's child order is set order
    raw = {
        t: {c: spec.get("sdtype") for c, spec in meta["tables"].get(t, {}).get("columns", {}).items()}
        for t in column_order
    }
    return {"tables": tables, "foreign_keys": fks, "raw_sdtypes": raw}


def detect(dataset_dir: Path, context_rule: str = "sdv-order") -> dict[str, Any]:
    """Run SDV detection on one corpus dataset and return the prediction."""
    import numpy as np
    from sdv.metadata import Metadata

    truth = load_truth(dataset_dir)
    data = read_tables(dataset_dir, truth)
    np.random.seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        meta = Metadata.detect_from_dataframes(data)
    return sdv_metadata_to_pred(meta.to_dict(), {name: [str(c) for c in df.columns] for name, df in data.items()}, context_rule)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SDV metadata detection baseline on the corpus")
    parser.add_argument("out_dir", help="folder for pred_sdv_<dataset>.json")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    parser.add_argument("--context-rule", choices=["sdv-order", "column-order"], default="sdv-order")
    args = parser.parse_args(argv)
    import sdv

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    for ds in sorted(p for p in Path(args.corpus).iterdir() if (p / "truth.json").is_file()):
        pred = detect(ds, args.context_rule)
        pred["tool"] = {"name": "sdv", "version": sdv.__version__, "call": "Metadata.detect_from_dataframes"}
        (out / f"pred_sdv_{ds.name}.json").write_text(json.dumps(pred, indent=2, sort_keys=True) + "\n")
        print(f"{ds.name}: {len(pred['foreign_keys'])} FKs -> {out / f'pred_sdv_{ds.name}.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
