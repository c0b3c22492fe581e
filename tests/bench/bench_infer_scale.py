"""Scale benchmark: profile + infer of a wide Parquet table must follow the sample size, not the table size.

Generates (once, into /tmp/synthspec_scale/) Parquet tables of 1M, 5M and 20M rows x 20 mixed-type
columns (row groups of 131,072 rows), then for each, in a fresh subprocess (so peak RSS is the
measurement's own):

* ``read``: pyarrow reading exactly the rows the sampler needs (the same row groups, then ``take``),
* ``sample``: :meth:`FileSource.sample` (10,000 rows, seed 0),
* ``total``: sample + :func:`profile_table` + :func:`infer_schema` (all column inferences, keys).

Prints the medians of ``--runs`` runs and checks: total <= 2x read on the 5M table, peak RSS <= 2 GB.

    .venv/bin/python tests/bench/bench_infer_scale.py [--sizes 1000000 5000000 20000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = Path("/tmp/synthspec_scale")
ROW_GROUP = 131_072
CHUNK = 1_000_000


def generate(path: Path, rows: int, seed: int = 7) -> None:
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.exists():
        return
    tmp = path.with_suffix(".tmp")
    rng = np.random.default_rng(seed)
    cities = np.array([f"City {i}" for i in range(300)], dtype=object)
    status = np.array(["open", "closed", "pending", "void"], dtype=object)
    first = np.array([f"Name{i}" for i in range(2000)], dtype=object)
    domains = np.array(["example.com", "mail.org", "corp.net"], dtype=object)
    writer = None
    for start in range(0, rows, CHUNK):
        n = min(CHUNK, rows - start)
        ids = np.arange(start + 1, start + n + 1, dtype=np.int64)
        day = rng.integers(0, 3650, n)
        base = np.datetime64("2015-01-01")
        dates = base + day.astype("timedelta64[D]")
        ts = dates.astype("datetime64[s]") + rng.integers(0, 86400, n).astype("timedelta64[s]")
        ymd = (2015 + day // 365) * 10000 + (1 + (day % 365) // 31) * 100 + 1 + (day % 28)
        fn = first[rng.integers(0, len(first), n)]
        cols = {
            "id": ids,
            "customer_id": rng.integers(1, rows // 10 + 2, n),
            "code": pa.array(np.char.add("T", np.char.zfill(ids.astype(str), 8)).astype(object)),
            "status": status[rng.integers(0, 4, n)],
            "city": cities[rng.integers(0, 300, n)],
            "amount": np.round(rng.gamma(2.0, 50.0, n), 2),
            "quantity": rng.integers(1, 20, n),
            "score": rng.normal(0, 1, n),
            "flag": rng.random(n) < 0.3,
            "yn": np.where(rng.random(n) < 0.5, "Y", "N").astype(object),
            "event_date": dates,
            "event_ts": ts,
            "ymd": ymd,
            "hhmm": np.char.add(np.char.zfill(rng.integers(0, 24, n).astype(str), 2), ":30").astype(object),
            "lat": np.round(rng.uniform(35, 44, n), 5),
            "lon": np.round(rng.uniform(-9, 4, n), 5),
            "first_name": fn,
            "email": np.char.add(np.char.add(fn.astype(str), "@"), domains[rng.integers(0, 3, n)].astype(str)).astype(object),
            "note": np.where(rng.random(n) < 0.9, None, "free text comment with several words in it").astype(object),
            "price_str": np.char.mod("%.2f", rng.uniform(1, 100, n)).astype(object),
        }
        tbl = pa.table(cols)
        if writer is None:
            writer = pq.ParquetWriter(tmp, tbl.schema)
        writer.write_table(tbl, row_group_size=ROW_GROUP)
    writer.close()
    tmp.rename(path)


def measure(path: Path, rows: int, seed: int) -> dict:
    """One measurement (run in a subprocess)."""
    import resource

    import pyarrow as pa
    import pyarrow.parquet as pq

    from compiler.infer import infer_schema
    from compiler.profile import profile_table
    from compiler.sources import _seeded_take, open_source

    src = open_source("files", path, {})
    table = src.tables()[0]
    plan = src.parquet_plan(table, rows, seed)
    pf = pq.ParquetFile(path)
    pf.read_row_groups(plan)  # warm the page cache so neither side pays the cold read

    def read():
        tbl = pq.ParquetFile(path).read_row_groups(plan)
        return tbl.take(pa.array(_seeded_take(tbl.num_rows, rows, seed)))

    def sample():
        return src.sample(table, rows, seed)

    def total():
        df = src.sample(table, rows, seed)
        prof = profile_table(df)
        return infer_schema({table: df}, row_counts={table: src.row_count(table)}, table_profiles={table: prof})

    times = {"read": [], "sample": [], "total": []}
    for _ in range(3):  # interleaved, median of three inside each process
        for name, fn in (("read", read), ("sample", sample), ("total", total)):
            t0 = time.perf_counter()
            res = fn()
            times[name].append(time.perf_counter() - t0)
    schema = res
    t_read, t_sample, t_total = (statistics.median(times[k]) for k in ("read", "sample", "total"))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # MiB on Linux
    t = schema.tables[table]
    return {"read": t_read, "sample": t_sample, "total": t_total, "rss_mib": rss, "row_groups": len(plan),
            "rows_read": sum(pf.metadata.row_group(i).num_rows for i in plan),
            "pk": list(t.primary_key.columns or []),
            "encodings": {c: ci.encoding for c, ci in t.columns.items()}}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 5_000_000, 20_000_000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rows", type=int, default=10_000)
    ap.add_argument("--measure", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(Path(args.measure), args.rows, 0)))
        return 0
    OUT.mkdir(exist_ok=True)
    ok = True
    print(f"{'rows':>11} {'size MiB':>9} {'rg read':>8} {'rows read':>10} {'read s':>8} {'sample s':>9} "
          f"{'total s':>8} {'total/read':>10} {'peak RSS MiB':>13}")
    for size in args.sizes:
        path = OUT / f"wide_{size}.parquet"
        t0 = time.perf_counter()
        generate(path, size)
        gen = time.perf_counter() - t0
        runs = []
        for _ in range(args.runs):
            p = subprocess.run([sys.executable, __file__, "--measure", str(path), "--rows", str(args.rows)],
                               capture_output=True, text=True, check=True)
            runs.append(json.loads(p.stdout.strip().splitlines()[-1]))
        med = {k: statistics.median(r[k] for r in runs) for k in ("read", "sample", "total", "rss_mib")}
        ratio = med["total"] / med["read"]
        print(f"{size:>11,} {path.stat().st_size / 2**20:>9.0f} {runs[0]['row_groups']:>8} {runs[0]['rows_read']:>10,} "
              f"{med['read']:>8.3f} {med['sample']:>9.3f} {med['total']:>8.3f} {ratio:>10.2f} {med['rss_mib']:>13.0f}"
              + (f"   (generated in {gen:.0f} s)" if gen > 1 else ""))
        if size == 5_000_000 and ratio > 2.0:
            ok = False
        if med["rss_mib"] > 2048:
            ok = False
    print("inferred encodings:", json.dumps(runs[-1]["encodings"]))
    print("inferred primary key:", runs[-1]["pk"])
    print("checks (5M: total <= 2x read; peak RSS <= 2 GiB):", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
