"""Stage 7 — emit: a checked model → generator.json, generate.json, manifest.json (as bytes).

Same inputs give the same bytes: keys are sorted (authored orders live in lists), indent 2, a
trailing newline, no timestamps, paths relative to the output folder. Writing is atomic
(:func:`write_atomic`) and skips files whose bytes are unchanged.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from . import __version__
from .codes import make
from .diagnostics import Diagnostic, Span
from .files import check_files, write_atomic  # noqa: F401 — re-exported
from .model import Model
from .platform import manifest_engine

SCHEMA_BASE = "https://synthspec.dev/schemas"
GENERATOR_SCHEMA = f"{SCHEMA_BASE}/generator-config-strict.json"
GENERATE_SCHEMA = f"{SCHEMA_BASE}/synthetic-dataset-config.json"
MANIFEST_SCHEMA = f"{SCHEMA_BASE}/manifest-v1.json"
TARGET_SDK = "6.2.0"
CHECKS = ["pk_unique", "pk_not_null", "fk_resolves", "subject_sizes", "schema_matches_source"]


@dataclass(frozen=True)
class Artifacts:
    generator: dict
    generate: dict
    manifest: dict

    def files(self) -> dict[str, bytes]:
        return {
            "generator.json": dumps(self.generator),
            "generate.json": dumps(self.generate),
            "manifest.json": dumps(self.manifest),
        }


def dumps(obj) -> bytes:
    """Deterministic JSON: sorted keys, 2-space indent, and a container holding only scalars on one
    line (one column per line reads and diffs well). Leaves use the C encoder, which also keeps a
    1,000-table artifact fast to write (the indenting pure-Python encoder is ~10x slower)."""
    out: list[str] = []
    _dump(obj, 0, out)
    out.append("\n")
    return "".join(out).encode("utf-8")


_LEAF = json.JSONEncoder(sort_keys=True, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
_SCALARS = (str, int, float, bool, type(None))


def _dump(obj, level: int, out: list[str]) -> None:
    if isinstance(obj, dict):
        if not obj:
            out.append("{}")
        elif all(isinstance(v, _SCALARS) for v in obj.values()):
            out.append(_LEAF.encode(obj))
        else:
            pad = "  " * (level + 1)
            out.append("{\n")
            for i, k in enumerate(sorted(obj)):
                out.append(f"{pad}{_LEAF.encode(k)}: ")
                _dump(obj[k], level + 1, out)
                out.append(",\n" if i < len(obj) - 1 else "\n")
            out.append("  " * level + "}")
    elif isinstance(obj, list):
        if not obj:
            out.append("[]")
        elif all(isinstance(v, _SCALARS) for v in obj):
            out.append(_LEAF.encode(obj))
        else:
            pad = "  " * (level + 1)
            out.append("[\n")
            for i, v in enumerate(obj):
                out.append(pad)
                _dump(v, level + 1, out)
                out.append(",\n" if i < len(obj) - 1 else "\n")
            out.append("  " * level + "]")
    else:
        out.append(_LEAF.encode(obj))


def _rel(path: Path | None, out_dir: Path) -> str | None:
    if path is None:
        return None
    return Path(os.path.relpath(Path(path).resolve(), out_dir.resolve())).as_posix()


def generator_config(model: Model) -> tuple[dict, list[Diagnostic]]:
    """The MOSTLY AI GeneratorConfig (snake_case, no data, explicit encodings)."""
    diags: list[Diagnostic] = []
    tables = []
    for name in model.order or list(model.tables):
        t = model.tables[name]
        cols = []
        if t.pk_model_column:
            cols.append({"name": t.pk_model_column, "model_encoding_type": "AUTO"})
        for fk in t.foreign_keys:
            cols.append({"name": fk.model_column, "model_encoding_type": "AUTO"})
        for c in t.modelled_columns():
            if c.encoding == "AUTO":
                diags.append(make(
                    "E001", f"`{t.name}.{c.name}` is on `auto` and no data is reachable to resolve it",
                    span=model.doc.locate(c.path, key=True), path=c.path,
                    help="give an explicit encoding, or point the table at its data (`source:`) / pass `--data DIR` "
                         "so compile can infer it; `synthspec infer --spec SPEC --write` writes the result back"))
                continue
            cols.append({"name": c.name, "model_encoding_type": c.encoding})
        entry: dict = {"name": t.name, "columns": cols}
        if t.pk_model_column:
            entry["primary_key"] = t.pk_model_column
        if t.foreign_keys:
            entry["foreign_keys"] = [
                {"column": fk.model_column, "referenced_table": fk.references, "is_context": fk.context}
                for fk in t.foreign_keys]
        modelled = t.modelled_columns()
        has_tabular = bool(t.pk_model_column) or any(fk.context for fk in t.foreign_keys) or any(
            not c.encoding.startswith("LANGUAGE_") for c in modelled)
        has_language = any(c.encoding.startswith("LANGUAGE_") for c in modelled)
        if has_tabular:
            entry["tabular_model_configuration"] = dict(t.training)
        if has_language:
            # the SDK forces max_sequence_window to None for language models
            lang = {k: v for k, v in t.training.items() if k not in ("model", "max_sequence_window")}
            lang["model"] = t.language_model
            entry["language_model_configuration"] = lang
        tables.append(entry)
    cfg = {"$schema": GENERATOR_SCHEMA, "name": model.spec.name, "tables": tables}
    constraints = _constraints(model)
    if constraints:
        cfg["constraints"] = constraints
    if model.spec.description:
        cfg["description"] = model.spec.description
    if model.generation.get("seed") is not None:
        cfg["random_state"] = model.generation["seed"]
    return cfg, diags


def _constraints(model: Model) -> list[dict]:
    """GeneratorConfig.constraints, in table order then authored order."""
    out = []
    for name in model.order or list(model.tables):
        for con in model.tables[name].constraints:
            if "fixed_combinations" in con:
                out.append({"type": "FixedCombinations",
                            "config": {"table_name": name, "columns": list(con["fixed_combinations"])}})
            elif "inequality" in con:
                out.append({"type": "Inequality", "config": {"table_name": name, "low_column": con["inequality"]["low"],
                                                             "high_column": con["inequality"]["high"]}})
    return out


def dataset_config(model: Model) -> dict:
    """The MOSTLY AI SyntheticDatasetConfig: sizes for subject tables only, and the generation
    controls (rebalancing, imputation, fairness). Seed rows are attached by the runner."""
    from .controls import effective_sizes, generation_controls

    gen = model.generation
    size = effective_sizes(model)
    tables = []
    for name in model.order or list(model.tables):
        conf: dict = {"sampling_temperature": float(gen["temperature"]), "sampling_top_p": float(gen["top_p"])}
        if "subject" in model.roles.get(name, ()):
            if name in size:
                conf["sample_size"] = size[name]
            conf.update(generation_controls(model, name))
        tables.append({"name": name, "configuration": conf})
    cfg = {"$schema": GENERATE_SCHEMA, "name": model.spec.name, "tables": tables}
    if gen.get("seed") is not None:
        cfg["random_state"] = gen["seed"]
    return cfg


def manifest(model: Model, out_dir: Path, *, bindings: dict | None = None) -> dict:
    """The run manifest. ``bindings`` (table → source facts) comes from the data stage when it ran."""
    bindings = bindings or {}
    tables = []
    transforms = []
    for name in model.order or list(model.tables):
        t = model.tables[name]
        src = None
        b = bindings.get(name) or {}
        if t.source is not None or b:
            s = t.source
            path = s.path if s else None
            if s is not None and s.kind == "files" and path is not None and s.location:
                path = path / s.location
            if b.get("path"):
                path = Path(b["path"])
            src = {"kind": s.kind if s else "files", "format": b.get("format", s.format if s else "auto"),
                   "path": _rel(path, out_dir) if path else None, "table": s.location if s else None,
                   "options": s.options if s else {},
                   "sample": {"rows": s.sample_rows if s else 10_000, "seed": s.sample_seed if s else 0},
                   "fingerprint": b.get("fingerprint")}
            if s is not None and s.kind == "spark":  # catalog names and cluster paths, not local files
                from .spark import manifest_source

                src = manifest_source(model, t, b, out_dir)
        tables.append({
            "name": name,
            "roles": list(model.roles.get(name, ())),
            "source": src,
            "primary_key": {"columns": list(t.primary_key), "model_column": t.pk_model_column} if t.primary_key else None,
            "foreign_keys": [{"columns": list(fk.columns), "model_column": fk.model_column,
                              "references": fk.references, "context": fk.context} for fk in t.foreign_keys],
            "columns": [{"name": c.name, "encoding": c.encoding, "pii": c.pii} for c in t.modelled_columns()],
            "excluded_columns": [c.name for c in t.columns if c.exclude],
            "source_columns": (bindings.get(name) or {}).get("columns"),
        })
        faked = [{"name": c.name, "kind": c.fake} for c in t.columns if c.fake]
        if faked:  # filled by `run` after generation; absent when unused (older manifests stay valid)
            tables[-1]["fake"] = faked
        if len(t.primary_key) > 1:
            transforms.append({"op": "surrogate_key", "table": name, "column": t.pk_model_column,
                               "components": list(t.primary_key)})
        for fk in t.foreign_keys:
            if fk.composite:
                transforms.append({"op": "surrogate_key", "table": name, "column": fk.model_column,
                                   "components": list(fk.columns), "references": fk.references})
    spec_path = model.spec_path
    out_path = model.output["path"]
    base = spec_path.parent if spec_path else Path.cwd()
    out_abs = Path(out_path) if Path(out_path).is_absolute() else base / out_path
    local_dir = model.project_root / model.engine["local_dir"]
    try:
        import importlib.metadata as md

        sdk = md.version("mostlyai")
    except Exception:  # noqa: BLE001 — not installed: the version this compiler targets
        sdk = TARGET_SDK
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifest_version": 1,
        "name": model.spec.name,
        "spec": {"path": _rel(spec_path, out_dir) if spec_path else None, "sha256": model.doc.sha256,
                 "spec_version": model.spec.spec_version, "profile": model.profile},
        "compiler": {"synthspec": __version__, "mostlyai": sdk},
        "artifacts": {"generator": "generator.json", "generate": "generate.json"},
        "engine": manifest_engine(model.engine, _rel(local_dir, out_dir)),
        "tables": tables,
        "transforms": transforms,
        "generation": _manifest_generation(model, out_dir),
        "output": {"kind": model.output["kind"], "path": _rel(out_abs, out_dir), "table_name": model.output["table_name"],
                   "mode": model.output.get("mode") or "new_version"},
        "quality": dict(model.quality),
        "checks": list(CHECKS),
        **({"lint_overrides": [dict(r) for r in model.lint_overrides]} if model.lint_overrides else {}),
    }


def _manifest_generation(model: Model, out_dir: Path) -> dict:
    from .controls import effective_sizes, seed_source

    out = {"size": effective_sizes(model), "temperature": model.generation["temperature"],
           "top_p": model.generation["top_p"], "seed": model.generation.get("seed")}
    seeds = {}
    for name in model.order or list(model.tables):
        entry, _ = seed_source(model, name)
        if entry is not None:
            seeds[name] = {**entry, "path": _rel(Path(entry["path"]), out_dir)}
    if seeds:
        out["seeds"] = seeds
    return out


def emit(model: Model, out_dir: Path, *, bindings: dict | None = None) -> tuple[Artifacts | None, list[Diagnostic]]:
    """Stage entry point: build the three artifacts in memory."""
    gen, diags = generator_config(model)
    if any(d.severity >= 3 for d in diags):
        return None, diags
    return Artifacts(generator=gen, generate=dataset_config(model), manifest=manifest(model, out_dir, bindings=bindings)), diags


def write(artifacts: Artifacts, out_dir: Path) -> tuple[list[Path], list[Diagnostic]]:
    written, diags = [], []
    for name, data in artifacts.files().items():
        p = out_dir / name
        try:
            if write_atomic(p, data):
                written.append(p)
        except OSError as exc:
            diags.append(make("E003", f"cannot write {p}: {exc.strerror or exc}", span=Span(file=str(p))))
    return written, diags


def check(artifacts: Artifacts, out_dir: Path) -> list[Diagnostic]:
    """``--check``: one E002 per artifact whose bytes on disk differ from what compile would write."""
    return check_files(artifacts.files(), out_dir)
