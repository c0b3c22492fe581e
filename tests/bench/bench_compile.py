"""Compile benchmarks (issue 2). Prints medians and ratios; asserts nothing about time.

    .venv/bin/python tests/bench/bench_compile.py [--runs N] [--tables 1000] [--columns 20]

1. ``synthspec compile templates/tsocial/spec.yaml`` wall time (a fresh process each run) against
   ``python -c 'import pydantic, networkx, jsonschema, ruamel.yaml'`` in the same run; and the
   modules that path imports (``-X importtime``): no torch, no mostlyai engine, no pandas.
2. A generated spec of N tables x M columns: in-process compile (load, validate, model, graph,
   lint, emit; no data) against PyYAML's libyaml ``CSafeLoader`` only parsing the same text, and
   ruamel's round-trip loader for reference; peak RSS of a compile in a fresh process; and a check
   that a diagnostic in the last table is still located.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable
BIN = Path(PY).parent / "synthspec"


def wall(cmd: list[str], runs: int, **kw) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        out.append(time.perf_counter() - t)
    return out


def big_spec(n_tables: int, n_cols: int) -> str:
    encs = ["categorical", "numeric", "datetime", "character", "numeric_binned"]
    lines = ["spec_version: 1", "name: big", "training: {model: small, max_training_time: 5}", "tables:"]
    for i in range(n_tables):
        lines.append(f"  t{i:04d}:")
        lines.append(f"    primary_key: id")
        if i:
            lines.append("    foreign_keys:")
            lines.append(f"      - {{columns: parent_id, references: t{(i - 1) // 3:04d}, context: true}}")
        lines.append("    columns:")
        for j in range(n_cols):
            lines.append(f"      c{j:02d}: {{encoding: {encs[(i + j) % len(encs)]}, pii: none}}  # column {j}")
    lines.append("generation: {size: {t0000: 100}, seed: 1}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--tables", type=int, default=1000)
    ap.add_argument("--columns", type=int, default=20)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="synthspec-bench-"))
    spec = ROOT / "templates" / "tsocial" / "spec.yaml"
    env = dict(os.environ)

    print("== 1. tSocial compile, fresh process each run ==")
    base = wall([PY, "-c", "import pydantic, networkx, jsonschema, ruamel.yaml"], args.runs)
    comp = wall([str(BIN), "compile", str(spec), "-o", str(tmp / "ts"), "--no-data"], args.runs, env=env)
    comp_data = wall([str(BIN), "compile", str(spec), "-o", str(tmp / "ts2")], args.runs, env=env)
    mb, mc, mcd = statistics.median(base), statistics.median(comp), statistics.median(comp_data)
    print(f"import pydantic, networkx, jsonschema, ruamel.yaml : median {mb * 1000:7.1f} ms")
    print(f"synthspec compile tsocial (--no-data)             : median {mc * 1000:7.1f} ms  ratio {mc / mb:.2f}x  (target <= 500 ms, <= 1.5x)")
    print(f"synthspec compile tsocial (data if reachable)     : median {mcd * 1000:7.1f} ms  ratio {mcd / mb:.2f}x")
    imp = subprocess.run([PY, "-X", "importtime", "-m", "compiler.cli", "compile", str(spec), "-o", str(tmp / "ts3")],
                         capture_output=True, text=True, env=env)
    mods = {ln.split("|")[-1].strip() for ln in imp.stderr.splitlines() if ln.startswith("import time:")}
    heavy = sorted(m for m in mods if m.split(".")[0] in ("torch", "pandas", "mostlyai", "pyarrow")
                   or m.startswith("mostlyai.engine"))
    print(f"modules imported on the compile path: {len(mods)}; heavy ones: {heavy or 'none'}")

    print(f"\n== 2. generated spec: {args.tables} tables x {args.columns} columns ==")
    text = big_spec(args.tables, args.columns)
    path = tmp / "big.yaml"
    path.write_text(text)
    print(f"file: {len(text) / 1e6:.2f} MB, {text.count(chr(10))} lines")
    sys.path.insert(0, str(ROOT))
    import yaml

    from compiler.api import compile_spec

    def t_libyaml():
        t = time.perf_counter()
        yaml.load(text, Loader=yaml.CSafeLoader)
        return time.perf_counter() - t

    def t_compile():
        t = time.perf_counter()
        r = compile_spec(path, out_dir=tmp / "bigout", use_data=False)
        assert r.ok, r.diagnostics[:3]
        r.files()
        return time.perf_counter() - t

    def t_ruamel():
        from ruamel.yaml import YAML

        t = time.perf_counter()
        YAML(typ="rt").load(text)
        return time.perf_counter() - t

    ly = [t_libyaml() for _ in range(args.runs)]
    cp = [t_compile() for _ in range(args.runs)]
    ru = [t_ruamel() for _ in range(max(3, args.runs // 3))]
    ml, mcp, mr = statistics.median(ly), statistics.median(cp), statistics.median(ru)
    print(f"PyYAML CSafeLoader parse only : median {ml * 1000:8.1f} ms")
    print(f"synthspec compile (in-process): median {mcp * 1000:8.1f} ms  ratio {mcp / ml:.2f}x  (target <= 2x)")
    print(f"ruamel round-trip parse only  : median {mr * 1000:8.1f} ms  ratio {mr / ml:.2f}x (why compile does not use it)")

    bad = text.replace(f"  t{args.tables - 1:04d}:\n    primary_key: id",
                       f"  t{args.tables - 1:04d}:\n    primary_kee: id", 1)
    (tmp / "bad.yaml").write_text(bad)
    r = compile_spec(tmp / "bad.yaml", use_data=False)
    located = [f"{d.code} {d.span}" for d in r.diagnostics if d.code == "S001"]
    print(f"diagnostic in the last table still located: {located}")

    rss = subprocess.run(
        [PY, "-c", "import resource,sys; sys.path.insert(0, sys.argv[2]); from compiler.api import compile_spec; "
                   "r = compile_spec(sys.argv[1], use_data=False); r.files(); "
                   "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)", str(path), str(ROOT)],
        capture_output=True, text=True)
    peak = int(rss.stdout.strip().splitlines()[-1]) / 1024 if rss.stdout.strip() else float("nan")
    print(f"peak RSS of a fresh-process compile: {peak:.0f} MB (target <= 300 MB)")


if __name__ == "__main__":
    main()
