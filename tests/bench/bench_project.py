"""Project compile benchmark (issue 5). Prints medians; asserts nothing about time.

    .venv/bin/python tests/bench/bench_project.py [--specs 50] [--tables 20] [--columns 8] [--runs 5]

A generated project of N specs x M tables (a context chain plus non-context links, a few columns
each), compiled with ``synthspec compile --no-data`` as a fresh process each time:

1. cold: no build folder, no cache;
2. warm, nothing changed (target <= 0.3 s wall);
3. warm after editing one spec (target <= 1.5x compiling that spec alone);
4. that one spec alone: a copy outside any project, ``synthspec compile SPEC -o DIR`` (no cache).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PY = sys.executable
BIN = Path(PY).parent / "synthspec"
CMD = [str(BIN)] if BIN.exists() else [PY, "-m", "compiler.cli"]


def spec_text(k: int, n_tables: int, n_cols: int, temperature: float = 1.0) -> str:
    encs = ["categorical", "numeric", "datetime", "numeric_binned"]
    lines = ["spec_version: 1", f"name: s{k:03d}", f"description: generated spec {k}", "training:",
             "  model: small", "  max_training_time: 5", "tables:"]
    for t in range(n_tables):
        lines += [f"  t{t:02d}:", "    primary_key: id"]
        fks = []
        if t > 0:
            fks.append(f"      - {{columns: p{t - 1:02d}, references: t{t - 1:02d}, context: true}}")
        if t > 1:
            fks.append(f"      - {{columns: l{t - 2:02d}, references: t{t - 2:02d}, context: false}}")
        if fks:
            lines += ["    foreign_keys:", *fks]
        lines.append("    columns:")
        lines += [f"      c{c:02d}: {encs[(t + c) % len(encs)]}" for c in range(n_cols)]
    lines += ["generation:", "  size: {t00: 1000}", f"  temperature: {temperature}", "  seed: 1"]
    return "\n".join(lines) + "\n"


def run(cwd: Path, *args: str) -> float:
    t = time.perf_counter()
    res = subprocess.run([*CMD, *args], cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    dt = time.perf_counter() - t
    if res.returncode != 0:
        raise SystemExit(f"synthspec {' '.join(args)} failed:\n{res.stderr.decode()}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--specs", type=int, default=50)
    ap.add_argument("--tables", type=int, default=20)
    ap.add_argument("--columns", type=int, default=8)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "proj"
        (root / "specs").mkdir(parents=True)
        (root / "synthspec.yaml").write_text('specs: ["specs/*.yaml"]\n')
        for k in range(a.specs):
            (root / "specs" / f"s{k:03d}.yaml").write_text(spec_text(k, a.tables, a.columns))
        alone = Path(tmp) / "alone"
        alone.mkdir()
        (alone / "spec.yaml").write_text(spec_text(7, a.tables, a.columns))

        cold = []
        for _ in range(max(2, a.runs // 2)):
            shutil.rmtree(root / "build", ignore_errors=True)
            shutil.rmtree(root / ".synthspec", ignore_errors=True)
            cold.append(run(root, "compile", "--no-data"))
        warm = [run(root, "compile", "--no-data") for _ in range(a.runs)]
        check = [run(root, "compile", "--check", "--no-data") for _ in range(a.runs)]
        edited = []
        for i in range(a.runs):
            (root / "specs" / "s007.yaml").write_text(spec_text(7, a.tables, a.columns, temperature=0.5 + i / 100))
            edited.append(run(root, "compile", "--no-data"))
        single = [run(alone, "compile", "spec.yaml", "-o", "out", "--no-data") for _ in range(a.runs)]

    med = statistics.median
    print(f"project: {a.specs} specs x {a.tables} tables x {a.columns} columns; medians of fresh processes")
    print(f"  cold compile (no cache, no build):      {med(cold):7.3f} s   (runs: {', '.join(f'{x:.3f}' for x in cold)})")
    print(f"  warm compile, nothing changed:          {med(warm):7.3f} s   target <= 0.300 s")
    print(f"  warm compile --check, nothing changed:  {med(check):7.3f} s")
    print(f"  warm compile after editing one spec:    {med(edited):7.3f} s")
    print(f"  that spec alone (no project, no cache): {med(single):7.3f} s")
    print(f"  edited / alone:                         {med(edited) / med(single):7.2f} x   target <= 1.5 x")


if __name__ == "__main__":
    main()
