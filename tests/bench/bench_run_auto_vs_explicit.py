"""Explicit compiled encodings vs. MOSTLY AI's own AUTO detection, same budget (issue 4).

    .venv/bin/python tests/bench/bench_run_auto_vs_explicit.py [--profile demo] [--runs 1]

Compiles the tSocial template with a profile, then runs it twice per repetition with the real local
engine: once as compiled (explicit encodings) and once with every modelled column's encoding set
to ``AUTO`` in generator.json (the SDK resolves it from the data). Same data, seed, model and time
limit; both retrain (separate engine homes). Prints accuracy and discriminator AUC per table, the
wall time and the peak RSS of each run.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def _auto_variant(build: Path, dest: Path) -> Path:
    shutil.copytree(build, dest)
    gen = json.loads((dest / "generator.json").read_text())
    for t in gen["tables"]:
        for c in t["columns"]:
            c["model_encoding_type"] = "AUTO"
    (dest / "generator.json").write_text(json.dumps(gen, indent=2, sort_keys=True) + "\n")
    man = json.loads((dest / "manifest.json").read_text())
    # the copy lives one folder deeper than the original build: re-anchor relative paths
    def fix(p):
        return None if p is None else str(Path("..") / p)
    for t in man["tables"]:
        if t.get("source") and t["source"].get("path"):
            t["source"]["path"] = fix(t["source"]["path"])
    man["spec"]["path"] = fix(man["spec"]["path"])
    man["output"]["path"] = fix(man["output"]["path"]).replace("{name}", "{name}-auto")
    man["engine"]["local_dir"] = fix(man["engine"]["local_dir"] + "-auto")
    (dest / "manifest.json").write_text(json.dumps(man, indent=2, sort_keys=True) + "\n")
    return dest / "manifest.json"


def _summary(res) -> dict:
    tables = (res.metrics or {}).get("tables", {})
    out = {}
    for t, m in tables.items():
        acc = m.get("accuracy")
        auc = m.get("discriminator_auc")
        out[t] = (acc.get("overall") if isinstance(acc, dict) else acc,
                  auc if not isinstance(auc, dict) else auc.get("training_synthetic"))
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--profile", default="demo")
    ap.add_argument("--runs", type=int, default=1)
    args = ap.parse_args()
    from compiler.api import compile_spec
    from compiler.run import run_manifest

    spec = ROOT / "templates" / "tsocial" / "spec.yaml"
    if not (spec.parent / "data" / "titular.parquet").exists():
        from compiler.cli import _generate_template_data

        _generate_template_data(spec.parent)
    tmp = Path(tempfile.mkdtemp(prefix="synthspec-auto-"))
    build = tmp / "explicit"
    res = compile_spec(spec, profile=args.profile, out_dir=build)
    assert res.ok, res.diagnostics
    res.write()
    results: dict[str, list] = {"explicit": [], "auto": []}
    for i in range(args.runs):
        for variant in ("explicit", "auto"):
            man = build / "manifest.json" if variant == "explicit" else _auto_variant(build, tmp / f"auto{i}" / "b")
            t = time.perf_counter()
            r = run_manifest(man, retrain=True, local_dir=tmp / f"home-{variant}-{i}")
            wall = time.perf_counter() - t
            if not r.ok:
                print(variant, "FAILED:", [f"{d.code} {d.message}" for d in r.diagnostics][:3])
                continue
            results[variant].append((_summary(r), wall, getattr(r, "peak_rss_mb", None)))
            print(f"run {i} {variant:8s}: wall {wall:6.1f} s, peak RSS {getattr(r, 'peak_rss_mb', 'n/a')} MB, "
                  + ", ".join(f"{t}: acc {a:.3f} AUC {u:.3f}" if isinstance(a, float) and isinstance(u, float)
                              else f"{t}: acc {a} AUC {u}" for t, (a, u) in sorted(_summary(r).items())))
    print("\nmedians over runs:")
    for variant, rows in results.items():
        if not rows:
            continue
        tables = sorted(rows[0][0])
        accs = {t: statistics.median(r[0][t][0] for r in rows if r[0].get(t) and r[0][t][0] is not None)
                for t in tables}
        print(f"  {variant:8s} mean accuracy {statistics.mean(accs.values()):.3f}  "
              + "  ".join(f"{t} {a:.3f}" for t, a in accs.items())
              + f"  wall {statistics.median(r[1] for r in rows):.1f} s")


if __name__ == "__main__":
    main()
