"""Spark sampling cost follows the sample size, not the table size.

Generates (once, into /tmp/synthspec_spark_bench/) two Parquet tables with ``spark.range`` +
expressions — 2,000,000 and 20,000,000 rows x 8 columns, 500,000 rows per file (4 and 40 files) —
then, in one local[1] session, times for each table and sample size (median of ``--runs``):

* ``sample``: :meth:`compiler.spark.SparkSource.sample` (block sampling over a seeded choice of
  files, then the rows with the smallest seeded hash),
* ``full-hash``: the same hash selection over the whole table (what sampling would cost without
  block sampling: a scan of every row),
* ``count``: ``row_count`` (Parquet metadata).

    .venv/bin/python tests/bench/bench_spark_sampling.py [--sizes 2000000 20000000] [--rows 1000 10000 100000] [--runs 3]

Checks (exit 1 otherwise): on the 20M table, a 10,000-row sample costs less than 3x the same sample
on the 2M table and less than half the full-hash scan.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
OUT = Path("/tmp/synthspec_spark_bench")
PER_FILE = 500_000


def session():
    from pyspark.sql import SparkSession

    s = (SparkSession.builder.master("local[1]").appName("bench-spark-sampling")
         .config("spark.ui.enabled", "false").config("spark.ui.showConsoleProgress", "false")
         .config("spark.driver.memory", "1g").config("spark.sql.shuffle.partitions", "1")
         .config("spark.sql.catalogImplementation", "in-memory")
         .config("spark.sql.warehouse.dir", str(OUT / "warehouse")).getOrCreate())
    s.sparkContext.setLogLevel("ERROR")
    return s


def generate(spark, rows: int) -> Path:
    path = OUT / f"t{rows}"
    if (path / "_SUCCESS").exists():
        return path
    t0 = time.perf_counter()
    (spark.range(rows).selectExpr(
        "id",
        "concat('T', lpad(cast(id as string), 9, '0')) AS code",
        "element_at(array('north', 'south', 'east', 'west', 'centre'), cast(id % 5 + 1 as int)) AS region",
        "cast(id * 7919 % 100000 as double) / 100.0 AS amount",
        "date_add(date'1950-01-01', cast(id * 31 % 25000 as int)) AS born",
        "cast(id % 97 as int) AS grp",
        "id % 3 = 0 AS flag",
        "concat('note ', cast(id % 1013 as string)) AS note",
    ).write.mode("overwrite").option("maxRecordsPerFile", PER_FILE).parquet(str(path)))
    print(f"generated {rows:,} rows into {path} in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", type=int, nargs="+", default=[2_000_000, 20_000_000])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000, 10_000, 100_000])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args(argv)
    from compiler.spark import SparkSource

    spark = session()
    results: dict[tuple[int, str, int], float] = {}
    for size in args.sizes:
        path = generate(spark, size)
        src = SparkSource(None, {"root": str(path.parent), "session": spark})
        table = path.name
        src.sample(table, 100, seed=0)  # warm-up: JIT, file listing
        n_files = len(src._df(table).inputFiles())
        results[(size, "count", 0)] = median_time(lambda: SparkSource(None, {"root": str(path.parent),
                                                                            "session": spark}).row_count(table),
                                                  args.runs)
        for rows in args.rows:
            files = src.plan_files(table, rows, 0)
            results[(size, "sample", rows)] = median_time(lambda: src.sample(table, rows, seed=0), args.runs)
            results[(size, "full-hash", rows)] = median_time(lambda: src._top(src._df(table), rows, 0), args.runs)
            print(f"{size:>11,} rows ({n_files} files)  sample {rows:>7,}: "
                  f"{results[(size, 'sample', rows)]:6.2f} s  reading {len(files) if files else n_files} file(s); "
                  f"full-hash {results[(size, 'full-hash', rows)]:6.2f} s", flush=True)
        print(f"{size:>11,} rows  count: {results[(size, 'count', 0)]:.2f} s", flush=True)
    spark.stop()
    small, big = min(args.sizes), max(args.sizes)
    ok = True
    if 10_000 in args.rows and small != big:
        ratio = results[(big, "sample", 10_000)] / results[(small, "sample", 10_000)]
        vs_full = results[(big, "sample", 10_000)] / results[(big, "full-hash", 10_000)]
        print(f"10,000-row sample: {big:,} / {small:,} rows = {ratio:.2f}x time; "
              f"block sample / full-hash on {big:,} rows = {vs_full:.2f}")
        ok = ratio < 3 and vs_full < 0.5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
