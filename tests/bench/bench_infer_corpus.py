"""Score schema inference on the development corpus (/work/shared/corpus or $SYNTHSPEC_CORPUS).

For each dataset: open its folder as a ``files`` source with the truth's CSV null tokens, take the
default bounded sample of every table (10,000 rows, seed 0), run :func:`compiler.infer.infer_schema`
with the real row counts, convert to the scorer's prediction format and score it with
``tests/bench/corpus/score.py``. Prints per-dataset metrics, the mean, the baselines and the misses.

    .venv/bin/python tests/bench/bench_infer_corpus.py [--rows N] [--errors] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from compiler.infer import infer_schema  # noqa: E402
from compiler.sources import DEFAULT_SAMPLE_ROWS, open_source  # noqa: E402
from tests.bench.corpus.score import load_truth, mean_scores, score  # noqa: E402

CORPUS = Path(os.environ.get("SYNTHSPEC_CORPUS", "/work/shared/corpus"))
HEAD = ("pk_accuracy", "fk_precision", "fk_recall", "fk_f1", "context_accuracy", "kind_accuracy")
BASELINES = {
    "SDV": {"pk_accuracy": 0.92, "fk_f1": 0.91, "context_accuracy": 0.67, "kind_accuracy": 0.88},
    "MOSTLY AI AUTO": {"pk_accuracy": 0.92, "fk_f1": 0.0, "context_accuracy": 0.62, "kind_accuracy": 0.94},
}
TARGETS = {"pk_accuracy": 0.95, "fk_f1": 0.90, "context_accuracy": 0.95, "kind_accuracy": 0.98}


def predict(dataset_dir: Path, rows: int = DEFAULT_SAMPLE_ROWS, seed: int = 0):
    truth = load_truth(dataset_dir)
    src = open_source("files", dataset_dir, {"null_values": truth.get("null_tokens", [""])})
    names = [n for n in truth["tables"]]  # file order does not matter; truth only names the tables
    samples = {n: src.sample(n, rows, seed) for n in names}
    counts = {n: src.row_count(n) for n in names}
    schema = infer_schema(samples, row_counts=counts)
    return schema, truth


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=DEFAULT_SAMPLE_ROWS)
    ap.add_argument("--errors", action="store_true", help="print every miss")
    ap.add_argument("--json", help="write the per-dataset results here")
    args = ap.parse_args(argv)
    results = {}
    for ds in sorted(p for p in CORPUS.iterdir() if (p / "truth.json").is_file()):
        t0 = time.perf_counter()
        schema, truth = predict(ds, args.rows)
        r = score(schema.to_prediction(), truth)
        r["seconds"] = time.perf_counter() - t0
        results[ds.name] = r
    print(f"{'dataset':<12}" + "".join(f"{m:>18}" for m in HEAD) + f"{'s':>7}")
    for n, r in results.items():
        print(f"{n:<12}" + "".join(f"{r[m]:>18.3f}" for m in HEAD) + f"{r['seconds']:>7.2f}")
    mean = mean_scores(results.values())
    print(f"{'MEAN':<12}" + "".join(f"{mean[m]:>18.3f}" for m in HEAD))
    for name, base in BASELINES.items():
        print(f"{name:<12}" + "".join(f"{base[m]:>18.2f}" if m in base else f"{'':>18}" for m in HEAD))
    print("targets     " + "".join(f"{TARGETS[m]:>18.2f}" if m in TARGETS else f"{'':>18}" for m in HEAD))
    ok = all(mean[m] >= t for m, t in TARGETS.items()) and all(
        mean[m] > b[m] for b in BASELINES.values() for m in b)
    print("all targets met and baselines beaten:", ok)
    if args.errors:
        for n, r in results.items():
            for k, errs in r["errors"].items():
                for e in errs:
                    print(f"  {n} {k}: {e}")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
