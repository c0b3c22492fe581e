"""Baseline: MOSTLY AI's own AUTO detection (encodings and primary keys) on the corpus, without training.

Run from the repository root with the project venv::

    .venv/bin/python -m tests.bench.corpus.baseline_mostly OUT_DIR [--corpus /work/shared/corpus]

For each dataset, every table is given to ``mostly.generators.create`` only as data (``{"name": t, "data": df}``:
no columns, no keys), in a throwaway ``MostlyAI(local=True)`` folder. Creating the generator runs the SDK's
schema detection (encodings, PK auto-detection) but not training. The resolved config is read back from
``g.config()`` and written as ``OUT_DIR/pred_mostly_<dataset>.json`` in the scorer's prediction format:

- primary key: the auto-detected ``primary_key`` (single column, or null).
- foreign keys: none (MOSTLY AI infers none), so no context either.
- kinds: each column's resolved ``model_encoding_type`` through :func:`score.encoding_to_kind`. Numeric columns
  stay ``TABULAR_NUMERIC_AUTO`` until training resolves them; all of them map to ``numeric`` anyway.

A second file, ``OUT_DIR/pred_mostly_detector_<dataset>.json``, differs in one point: LOCAL mode silently turns a
detected ``LANGUAGE_TEXT`` into ``TABULAR_CHARACTER``; this variant re-runs the SDK's detector
(``mostlyai.sdk._data.auto_detect.auto_detect_encoding_type``, a private function, on the first 10,000 rows as the
SDK does) on the CHARACTER columns and keeps ``LANGUAGE_TEXT`` where the detector said so: what the platform
(non-LOCAL) would configure.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a file: make `tests.bench.corpus` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from tests.bench.corpus.score import encoding_to_kind, load_truth, read_tables  # noqa: E402

DEFAULT_CORPUS = "/work/shared/corpus"


def _enc_name(value: Any) -> str | None:
    return None if value is None else str(getattr(value, "value", value))


def generator_config_to_pred(config: Any, table_order: list[str]) -> dict[str, Any]:
    """Convert a resolved ``GeneratorConfig`` (object or dict) to the scorer's prediction format."""
    cfg = config.model_dump() if hasattr(config, "model_dump") else dict(config)
    by_name = {t["name"]: t for t in cfg.get("tables") or []}
    tables: dict[str, Any] = {}
    raw: dict[str, dict[str, str | None]] = {}
    for name in table_order:
        t = by_name.get(name, {})
        pk = t.get("primary_key")
        cols = {c["name"]: _enc_name(c.get("model_encoding_type")) for c in t.get("columns") or []}
        raw[name] = cols
        tables[name] = {
            "primary_key": [pk] if pk else None,
            "columns": {c: encoding_to_kind(enc) for c, enc in cols.items()},
        }
    fks = [
        {
            "child_table": t["name"],
            "child_columns": [fk["column"]],
            "parent_table": fk["referenced_table"],
            "parent_columns": list(by_name.get(fk["referenced_table"], {}).get("primary_key") or []) or ["?"],
            "is_context": bool(fk.get("is_context")),
        }
        for t in cfg.get("tables") or []
        for fk in t.get("foreign_keys") or []
    ]  # always empty for AUTO (no FK inference); kept so the converter is general
    return {"tables": tables, "foreign_keys": fks, "raw_encodings": raw}


def detect(dataset_dir: Path, mostly: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Create (not train) a generator for one dataset; return the LOCAL prediction and the detector variant."""
    from mostlyai.sdk._data.auto_detect import auto_detect_encoding_type

    truth = load_truth(dataset_dir)
    data = read_tables(dataset_dir, truth)
    g = mostly.generators.create(
        {"name": f"auto-{dataset_dir.name}", "tables": [{"name": t, "data": df} for t, df in data.items()]}
    )
    try:
        local = generator_config_to_pred(g.config(), list(truth["tables"]))
    finally:
        g.delete()
    detector = json.loads(json.dumps(local))
    for table, cols in detector["raw_encodings"].items():
        for col, enc in cols.items():
            if enc == "TABULAR_CHARACTER":
                verdict = str(auto_detect_encoding_type(data[table][col].head(10_000)).value)
                if verdict == "LANGUAGE_TEXT":
                    cols[col] = verdict
                    detector["tables"][table]["columns"][col] = encoding_to_kind(verdict)
    return local, detector


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="MOSTLY AI AUTO-detection baseline on the corpus")
    parser.add_argument("out_dir", help="folder for pred_mostly_<dataset>.json")
    parser.add_argument("--corpus", default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    import mostlyai
    from mostlyai.sdk import MostlyAI

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="mostly-auto-") as home:
        mostly = MostlyAI(local=True, local_dir=home, quiet=True)
        for ds in sorted(p for p in Path(args.corpus).iterdir() if (p / "truth.json").is_file()):
            local, detector = detect(ds, mostly)
            version = getattr(mostlyai, "__version__", None)
            call = "generators.create (AUTO, no training)"
            for variant, pred in (("mostly", local), ("mostly_detector", detector)):
                pred["tool"] = {"name": "mostlyai", "version": version, "call": call, "variant": variant}
                path = out / f"pred_{variant}_{ds.name}.json"
                path.write_text(json.dumps(pred, indent=2, sort_keys=True) + "\n")
            print(f"{ds.name}: {sum(t['primary_key'] is not None for t in local['tables'].values())} PKs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
