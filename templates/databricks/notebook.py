# Databricks notebook source
# MAGIC %md
# MAGIC # synthspec: {{name}}
# MAGIC
# MAGIC Runs the compiled manifest `artifacts/manifest.json` of this bundle with `compiler.run.run_manifest`
# MAGIC on this cluster: reads the source tables with Spark, trains (or reuses) the generator, generates,
# MAGIC restores keys and types, verifies, and writes a new version. Rendered by `synthspec render databricks`;
# MAGIC edit the spec and render again rather than this notebook.
# MAGIC
# MAGIC * engine: {{engine}}
# MAGIC * reads: {{source_tables_md}}
# MAGIC * writes: {{output_tables_md}}
# MAGIC * run records and reports: `{{volume_root_md}}/runs/<version>/`
# MAGIC * generator ZIPs (reused by later runs): `{{volume_root_md}}/generators/<training key>/generator.zip`

# COMMAND ----------

dbutils.widgets.text("manifest", "")
dbutils.widgets.text("volume_root", "")
manifest_path = dbutils.widgets.get("manifest")
volume_root = dbutils.widgets.get("volume_root")

# COMMAND ----------

import json
import shutil
from pathlib import Path

from compiler.run import run_manifest

LOCAL_DIR = Path("{{local_dir}}")  # the engine's home on the driver's local disk (manifest engine.local_dir)
cache_local = LOCAL_DIR / "synthspec" / "generators"
cache_volume = Path(volume_root) / "generators"
if cache_volume.is_dir():  # generators trained by earlier runs of this job
    shutil.copytree(cache_volume, cache_local, dirs_exist_ok=True)

result = run_manifest(manifest_path, progress=print)
for d in result.diagnostics:
    print(f"{d.severity.label}[{d.code}] {d.message}")

# COMMAND ----------

if result.training_key and (cache_local / result.training_key).is_dir():
    shutil.copytree(cache_local / result.training_key, cache_volume / result.training_key, dirs_exist_ok=True)
if not result.ok:
    errors = [f"{d.code} {d.message}" for d in result.diagnostics if d.severity.label == "error"]
    raise RuntimeError("synthspec run failed: " + "; ".join(errors))
dbutils.notebook.exit(json.dumps({"version_dir": str(result.version_dir), "rows": result.rows,
                                  "reused": result.reused, "training_key": result.training_key}))
