"""``synthspec render databricks``: a Databricks Asset Bundle (job + notebook) from a compiled manifest.

The bundle (``-o DIR``, default ``build/<name>/databricks``)::

    databricks.yml              the bundle: one job, a single-node job cluster, one notebook task
    notebooks/synthspec_run.py  the notebook (Databricks source format) that calls run_manifest
    artifacts/manifest.json     the manifest, rewritten for the cluster (see below)
    artifacts/generator.json    copied unchanged
    artifacts/generate.json     copied unchanged
    dist/<wheel>                the synthspec wheel, when ``--wheel`` is given

The manifest is rewritten so that it runs on the cluster: ``engine.local_dir`` points at the
driver's local disk, and ``output.path`` at the Unity Catalog volume
``/Volumes/<catalog>/<schema>/<volume>/<name>/runs/{version}`` (run records, reports, and the data of
file outputs; Spark outputs go to the tables of ``output.table_name``). The notebook copies generator
ZIPs between the driver and ``.../<name>/generators/`` so later runs reuse a trained generator.

Every table must read a Spark source that the cluster can reach: a catalog table, or a path that is
a URI or absolute (``/Volumes/...``). A local file source is E040. A platform engine keeps its
``${env:NAME}`` reference; the job cluster gets ``NAME`` from a Databricks secret
(``{{secrets/<scope>/<name lower case>}}``), never the key itself.

The templates are ``templates/databricks/databricks.yml`` and ``templates/databricks/notebook.py``:
``{{key}}`` placeholders are filled in; ``${...}`` are left for the Databricks CLI.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codes import make
from .diagnostics import Diagnostic

TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "databricks"
DRIVER_LOCAL_DIR = "/local_disk0/synthspec/mostlyai"
DEFAULTS = {
    "catalog": "main",
    "schema": "synthspec",
    "volume": "synthspec",
    "spark_version": "15.4.x-scala2.12",
    "node_type": "i3.xlarge",
    "workers": 0,
    "secret_scope": "synthspec",
    "mostlyai": "mostlyai[local]==6.2.0",
}
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_IDENT = re.compile(r"^[A-Za-z0-9_]+$")


@dataclass
class Bundle:
    """What :func:`render` produced: files (relative path → bytes) and findings."""

    files: dict[str, bytes] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    source_tables: dict[str, str] = field(default_factory=dict)
    output_tables: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(d.severity >= 3 for d in self.diagnostics)

    def write(self, out_dir: Path, wheel: Path | None = None) -> list[Path]:
        from .emit import write_atomic

        out = []
        for rel, data in sorted(self.files.items()):
            p = Path(out_dir) / rel
            write_atomic(p, data)
            out.append(p)
        if wheel is not None:
            dest = Path(out_dir) / "dist" / Path(wheel).name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(wheel, dest)
            out.append(dest)
        return out


def _fill(text: str, values: dict[str, Any]) -> str:
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)


def _fill_tree(node, values):
    if isinstance(node, dict):
        return {_fill(k, values): _fill_tree(v, values) for k, v in node.items()}
    if isinstance(node, list):
        return [_fill_tree(v, values) for v in node]
    if isinstance(node, str):
        return _fill(node, values)
    return node


def _on_cluster(src: dict | None) -> bool:
    from .spark import is_uri

    if not src or src.get("kind") != "spark":
        return False
    path = src.get("path")
    return path is None or is_uri(path) or path.startswith("/")


def source_table(src: dict) -> str:
    """What a manifest source names on the cluster: a catalog table or ``<path>/<table>``."""
    return src["table"] if not src.get("path") else f"{src['path'].rstrip('/')}/{src['table']}"


def render(manifest_path: Path, *, options: dict | None = None, wheel: Path | None = None) -> Bundle:
    """Render the bundle for a compiled manifest (in memory; :meth:`Bundle.write` stores it).

    Args:
        manifest_path: ``manifest.json`` (``generator.json`` and ``generate.json`` beside it).
        options: overrides of :data:`DEFAULTS` (catalog, schema, volume, spark_version,
            node_type, workers, secret_scope, mostlyai).
        wheel: a synthspec wheel to ship in ``dist/`` and install on the cluster (else the
            cluster installs ``synthspec`` from the package index).
    """
    import yaml

    opts = {**DEFAULTS, **{k: v for k, v in (options or {}).items() if v is not None}}
    bundle = Bundle()
    manifest_path = Path(manifest_path)
    m = json.loads(manifest_path.read_text("utf-8"))
    name = m["name"]
    for key in ("catalog", "schema", "volume", "secret_scope"):
        if not _IDENT.match(str(opts[key])):
            raise ValueError(f"--{key.replace('_', '-')} must be a plain identifier, not {opts[key]!r}")
    volume_root = f"/Volumes/{opts['catalog']}/{opts['schema']}/{opts['volume']}/{name}"

    for t in m["tables"]:
        src = t.get("source")
        if not _on_cluster(src):
            where = f"{src.get('kind')} source `{src.get('path') or src.get('table')}`" if src else "no source"
            bundle.diagnostics.append(make(
                "E040", f"table `{t['name']}` reads {where}, which a Databricks job cannot reach",
                path=("tables", t["name"], "source"),
                help="read it from Unity Catalog: `sources: {uc: {kind: spark}}` and `source: uc/<catalog>.<schema>."
                     "<table>` (or a `/Volumes/...` path); see templates/databricks/spec.yaml"))
            continue
        bundle.source_tables[t["name"]] = source_table(src)
    if not bundle.ok:
        return bundle

    out = m["output"]
    cm = copy.deepcopy(m)
    cm["engine"]["local_dir"] = DRIVER_LOCAL_DIR
    cm["output"]["path"] = f"{volume_root}/runs/{{version}}"
    if out["kind"] == "spark":
        tmpl = out.get("table_name") or "{table}"
        bundle.output_tables = {t["name"]: tmpl.replace("{table}", t["name"]).replace("{name}", name)
                                for t in m["tables"]}
    from .emit import dumps

    art = manifest_path.parent
    bundle.files["artifacts/manifest.json"] = dumps(cm)
    for key in ("generator", "generate"):
        rel = m["artifacts"][key]
        bundle.files[f"artifacts/{rel}"] = (art / rel).read_bytes()

    engine = m.get("engine") or {"kind": "local"}
    values = {"name": name, "bundle_name": f"synthspec-{name}".replace("_", "-").lower(), **opts}
    doc = _fill_tree(yaml.safe_load((TEMPLATES / "databricks.yml").read_text("utf-8")), values)
    job = doc["resources"]["jobs"][f"synthspec_{name}"]
    cluster = job["job_clusters"][0]["new_cluster"]
    cluster["num_workers"] = int(opts["workers"])
    if int(opts["workers"]) == 0:  # training runs on the driver: a single-node cluster is enough
        cluster["spark_conf"] = {"spark.databricks.cluster.profile": "singleNode", "spark.master": "local[*, 4]"}
        cluster["custom_tags"] = {"ResourceClass": "SingleNode"}
    env = {}
    if engine.get("kind") == "platform":
        from .platform import env_name

        for var in filter(None, [engine.get("api_key_env"), env_name(engine.get("base_url"))]):
            env[var] = f"{{{{secrets/{opts['secret_scope']}/{var.lower()}}}}}"
    cluster["spark_env_vars"] = env
    libs: list[dict] = [{"pypi": {"package": opts["mostlyai"]}}]
    if wheel is not None:
        libs.append({"whl": f"./dist/{Path(wheel).name}"})
    else:
        from . import __version__

        libs.append({"pypi": {"package": f"synthspec[spark]=={__version__}"}})
    job["tasks"][0]["libraries"] = libs
    job["tasks"][0]["notebook_task"]["base_parameters"]["source_tables"] = ",".join(bundle.source_tables.values())
    if bundle.output_tables:
        job["tasks"][0]["notebook_task"]["base_parameters"]["output_tables"] = ",".join(bundle.output_tables.values())
    head = "".join(ln for ln in (TEMPLATES / "databricks.yml").read_text("utf-8").splitlines(True)
                   if ln.startswith("#"))
    bundle.files["databricks.yml"] = (_fill(head, values) + yaml.safe_dump(doc, sort_keys=False, width=120)).encode()

    def md(items):
        return ", ".join(f"`{v}`" for v in items) or "(none)"

    nb_values = {
        "name": name,
        "engine": "MOSTLY AI platform (`engine.base_url`; key from the cluster's environment)"
        if engine.get("kind") == "platform" else "the local MOSTLY AI engine on the driver",
        "source_tables_md": md(bundle.source_tables.values()),
        "output_tables_md": md(bundle.output_tables.values()) if bundle.output_tables else
        f"{out['kind']} files under `{volume_root}/runs/<version>/`",
        "volume_root_md": volume_root,
        "local_dir": DRIVER_LOCAL_DIR,
    }
    bundle.files["notebooks/synthspec_run.py"] = _fill((TEMPLATES / "notebook.py").read_text("utf-8"),
                                                       nb_values).encode()
    return bundle
