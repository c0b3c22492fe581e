"""Generate the JSON Schemas in ``schemas/`` (``python -m compiler.schemagen [--check]``).

- ``spec-v1.json``: the spec language, draft-07, from :mod:`compiler.spec` (editors use it).
- ``generator-config-strict.json`` / ``synthetic-dataset-config.json``: the installed MOSTLY AI SDK's
  own models in snake_case (``by_alias=False``), with the SDK's internal ``client`` and
  ``extra_key_values`` removed and ``additionalProperties: false`` on every object, so a typo or a
  camelCase key in an emitted artifact is an error (the SDK itself only logs and drops it).
- ``manifest-v1.json``: the run manifest (hand-written below; strict).

A test regenerates them and fails if the committed files differ.
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "schemas"
BASE = "https://synthspec.dev/schemas"
DRAFT7 = "http://json-schema.org/draft-07/schema#"
DRAFT2020 = "https://json-schema.org/draft/2020-12/schema"


def _dumps(obj) -> str:
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _to_draft7(schema: dict) -> dict:
    """pydantic emits ``$defs``; draft-07 tools expect ``definitions``."""
    text = json.dumps(schema).replace('"#/$defs/', '"#/definitions/')
    out = json.loads(text)
    if "$defs" in out:
        out["definitions"] = out.pop("$defs")
    return out


def spec_schema() -> dict:
    from .spec import Spec

    s = _to_draft7(Spec.model_json_schema())
    s["$schema"] = DRAFT7
    s["$id"] = f"{BASE}/spec-v1.json"
    s["description"] = ("synthspec spec, version 1: relational tables, keys, roles and encodings, compiled to "
                        "MOSTLY AI generator configs. https://synthspec.dev/docs/spec-reference")
    return s


def _strictify(node):
    if isinstance(node, dict):
        if "properties" in node or (node.get("type") == "object" and "additionalProperties" not in node):
            props = node.get("properties", {})
            for internal in ("client", "extra_key_values"):
                props.pop(internal, None)
            if "required" in node:
                node["required"] = [r for r in node["required"] if r in props]
            node["additionalProperties"] = False
        for v in node.values():
            _strictify(v)
    elif isinstance(node, list):
        for v in node:
            _strictify(v)
    return node


def sdk_schema(model_name: str, schema_id: str) -> dict:
    from mostlyai.sdk import domain

    model = getattr(domain, model_name)
    s = copy.deepcopy(model.model_json_schema(by_alias=False))
    _strictify(s)
    constraint = s.get("$defs", {}).get("ConstraintConfig")
    if constraint is not None:  # `config: dict` in the SDK; the two shapes synthspec emits, strictly
        name = {"type": "string", "minLength": 1}
        constraint["properties"]["config"] = {"anyOf": [
            {"type": "object", "additionalProperties": False, "required": ["table_name", "columns"],
             "properties": {"table_name": name, "columns": {"type": "array", "items": name, "minItems": 2}}},
            {"type": "object", "additionalProperties": False, "required": ["table_name", "low_column", "high_column"],
             "properties": {"table_name": name, "low_column": name, "high_column": name}},
        ], "description": "FixedCombinations: table_name, columns (≥ 2); Inequality: table_name, low_column, "
                          "high_column (snake_case, as synthspec emits them)"}
    s["properties"]["$schema"] = {"type": "string", "description": "added by synthspec; removed before the SDK sees it"}
    s["$schema"] = DRAFT2020
    s["$id"] = f"{BASE}/{schema_id}"
    s["description"] = (f"Strict snake_case variant of mostlyai.sdk.domain.{model_name} (mostlyai "
                        f"{_sdk_version()}): unknown keys are errors.")
    return s


def _sdk_version() -> str:
    import importlib.metadata as md

    return md.version("mostlyai")


def _obj(props: dict, required=None, **extra) -> dict:
    out = {"type": "object", "additionalProperties": False, "properties": props}
    out["required"] = sorted(required if required is not None else props)
    out.update(extra)
    return out


_S = {"type": "string"}
_NS = {"type": ["string", "null"]}
_COLS = {"type": "array", "items": _S, "minItems": 1}


def manifest_schema() -> dict:
    source = {"anyOf": [{"type": "null"}, _obj({
        "kind": {"enum": ["files", "sqlite", "duckdb", "spark"]},
        "format": {"enum": ["auto", "parquet", "csv", "delta", "table"]},
        "path": _NS, "table": _NS, "options": {"type": "object"},
        "sample": _obj({"rows": {"type": "integer", "minimum": 1}, "seed": {"type": "integer", "minimum": 0}}),
        "fingerprint": {"type": ["string", "null"]},
    })]}
    table = _obj({
        "name": _S,
        "roles": {"type": "array", "items": {"enum": ["subject", "linked", "context"]}},
        "source": source,
        "primary_key": {"anyOf": [{"type": "null"}, _obj({"columns": _COLS, "model_column": _S})]},
        "foreign_keys": {"type": "array", "items": _obj({
            "columns": _COLS, "model_column": _S, "references": _S, "context": {"type": "boolean"}})},
        "columns": {"type": "array", "items": _obj({"name": _S, "encoding": _S, "pii": _NS})},
        "excluded_columns": {"type": "array", "items": _S},
        "source_columns": {"anyOf": [{"type": "null"}, {"type": "array", "items": _obj({"name": _S, "dtype": _S})}]},
        "fake": {"type": "array", "items": _obj({"name": _S, "kind": {"enum": ["name", "given_name", "surname", "email",
                                                                              "phone", "national_id", "address",
                                                                              "pattern"]}})},
    }, required=["name", "roles", "source", "primary_key", "foreign_keys", "columns", "excluded_columns",
                 "source_columns"])
    transform = _obj({
        "op": {"const": "surrogate_key"}, "table": _S, "column": _S, "components": _COLS, "references": _S,
    }, required=["op", "table", "column", "components"])
    num01 = {"type": ["number", "null"], "minimum": 0, "maximum": 1}
    seed = _obj({"kind": {"enum": ["files", "sqlite", "duckdb"]}, "format": {"enum": ["parquet", "csv", "sqlite", "duckdb"]},
                 "path": _S, "table": _NS, "options": {"type": "object"}})
    lint_override = _obj({
        "scope": {"enum": ["spec", "table", "column"]}, "table": _NS, "column": _NS,
        "ignore": {"type": "array", "items": {"type": "string", "pattern": "^L[0-9]{3}$"}, "minItems": 1},
        "reason": _S,
        "suppressed": {"type": "array", "items": _obj({"code": _S, "message": _S})},
    })
    return {
        "$schema": DRAFT7,
        "$id": f"{BASE}/manifest-v1.json",
        "title": "synthspec run manifest v1",
        "description": "Written by `synthspec compile`, executed by `synthspec run`. Paths are relative to the "
                       "manifest's folder.",
        **_obj({
            "$schema": _S,
            "manifest_version": {"const": 1},
            "name": _S,
            "spec": _obj({"path": _NS, "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                          "spec_version": {"const": 1}, "profile": _NS}),
            "compiler": _obj({"synthspec": _S, "mostlyai": _S}),
            "artifacts": _obj({"generator": _S, "generate": _S}),
            "engine": _obj({"kind": {"enum": ["local", "platform"]}, "local_dir": _S, "base_url": _S,
                            "api_key_env": {"type": ["string", "null"], "pattern": "^[A-Za-z_][A-Za-z0-9_]*$"},
                            "api_key_header": _S}, required=["kind", "local_dir"]),
            "tables": {"type": "array", "items": table, "minItems": 1},
            "transforms": {"type": "array", "items": transform},
            "generation": _obj({"size": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1}},
                                "temperature": {"type": "number", "minimum": 0, "maximum": 2},
                                "top_p": {"type": "number", "minimum": 0.9, "maximum": 1},
                                "seed": {"type": ["integer", "null"]},
                                "seeds": {"type": "object", "additionalProperties": seed,
                                          "description": "table → seed rows, read by the runner and attached as "
                                                         "sample_seed_data"}},
                               required=["size", "temperature", "top_p", "seed"]),
            "output": _obj({"kind": {"enum": ["parquet", "csv", "sqlite", "duckdb", "spark"]}, "path": _S,
                            "table_name": _S, "mode": {"enum": ["new_version", "overwrite"]}}),
            "quality": _obj({"min_accuracy": num01, "max_discriminator_auc": num01, "max_dcr_share": num01,
                             "max_identical_matches": num01}, required=[]),
            "checks": {"type": "array", "items": {"enum": ["pk_unique", "pk_not_null", "fk_resolves",
                                                           "subject_sizes", "schema_matches_source"]}},
            "lint_overrides": {"type": "array", "items": lint_override,
                               "description": "lint findings silenced in the spec, with their reasons"},
        }, required=["$schema", "manifest_version", "name", "spec", "compiler", "artifacts", "engine", "tables",
                     "transforms", "generation", "output", "quality", "checks"]),
    }


def all_schemas() -> dict[str, dict]:
    return {
        "spec-v1.json": spec_schema(),
        "manifest-v1.json": manifest_schema(),
        "generator-config-strict.json": sdk_schema("GeneratorConfig", "generator-config-strict.json"),
        "synthetic-dataset-config.json": sdk_schema("SyntheticDatasetConfig", "synthetic-dataset-config.json"),
    }


REFERENCE = SCHEMA_DIR.parent / "docs" / "spec-reference.md"
BEGIN, END = "<!-- BEGIN GENERATED: python -m compiler.schemagen -->", "<!-- END GENERATED -->"
_ORDER = ["Spec", "Source", "CsvOptions", "Sample", "Training", "DifferentialPrivacy", "Table", "ForeignKey", "Column",
          "Constraint", "InequalityColumns", "LintOverride", "Generation", "TableGeneration", "Rebalancing", "Fairness",
          "Output", "Quality", "Engine", "Profile", "TableOverlay", "SourceOverlay"]


def _type_of(node: dict, defs: dict) -> str:
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        return f"[{name}](#{name.lower()})"
    if "anyOf" in node or "oneOf" in node:
        parts = [_type_of(n, defs) for n in node.get("anyOf", node.get("oneOf"))]
        return " \\| ".join(p for p in parts if p != "null") + (" \\| null" if "null" in parts else "")
    if "enum" in node:
        vals = node["enum"]
        if len(vals) > 12:
            return "encoding name (see [Encodings](#encodings))"
        return " \\| ".join(f"`{v}`" for v in vals)
    if "const" in node:
        return f"`{node['const']}`"
    t = node.get("type")
    if t == "array":
        return f"list of {_type_of(node.get('items', {}), defs)}"
    if t == "object" and "additionalProperties" in node and isinstance(node["additionalProperties"], dict):
        return f"map of name → {_type_of(node['additionalProperties'], defs)}"
    return {"string": "string", "integer": "integer", "number": "number", "boolean": "boolean",
            "null": "null", "object": "mapping"}.get(t, "any")


def _constraint(node: dict) -> str:
    out = []
    for n in [node, *node.get("anyOf", [])]:
        for k, sym in (("minimum", "≥"), ("exclusiveMinimum", ">"), ("maximum", "≤"), ("exclusiveMaximum", "<")):
            if k in n:
                out.append(f"{sym} {n[k]}")
        if "pattern" in n:
            out.append(f"pattern `{n['pattern']}`")
        if "minItems" in n:
            out.append(f"≥ {n['minItems']} items")
    return ", ".join(dict.fromkeys(out))


def reference_tables() -> str:
    schema = spec_schema()
    defs = schema["definitions"]
    objs = {"Spec": schema, **defs}
    lines = []
    for name in _ORDER + sorted(set(objs) - set(_ORDER)):
        obj = objs.get(name)
        if not obj or "properties" not in obj:
            continue
        lines += [f"### {name}", ""]
        if obj.get("description") and name != "Spec":
            lines += [obj["description"], ""]
        lines += ["| key | type | required | default | constraint | description |", "|---|---|---|---|---|---|"]
        req = set(obj.get("required", []))
        for key, node in obj["properties"].items():
            default = node.get("default")
            d = "" if key in req or "default" not in node else f"`{json.dumps(default)}`"
            desc = node.get("description", "").replace("|", "\\|")
            lines.append(f"| `{key}` | {_type_of(node, defs)} | {'yes' if key in req else ''} | {d} | "
                         f"{_constraint(node)} | {desc} |")
        lines.append("")
    from .spec import FRIENDLY_ENCODINGS, SDK_ENCODINGS

    lines += ["### Encodings", "", "| friendly name | SDK ModelEncodingType |", "|---|---|",
              "| `auto` | resolved from data at compile time (never emitted) |"]
    lines += [f"| `{k}` | `{v}` |" for k, v in FRIENDLY_ENCODINGS.items()]
    others = [e for e in SDK_ENCODINGS if e not in FRIENDLY_ENCODINGS.values()]
    lines += [f"| — | `{e}` (SDK name only) |" for e in others]
    return "\n".join(lines) + "\n"


def render_reference(current: str) -> str:
    head, _, rest = current.partition(BEGIN)
    _, _, tail = rest.partition(END)
    return f"{head}{BEGIN}\n\n{reference_tables()}\n{END}{tail}"


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    check = "--check" in argv
    stale = []
    for name, schema in all_schemas().items():
        path = SCHEMA_DIR / name
        text = _dumps(schema)
        if check:
            if not path.exists() or path.read_text("utf-8") != text:
                stale.append(name)
        else:
            from .files import write_atomic

            write_atomic(path, text.encode("utf-8"))
    if REFERENCE.exists():
        cur = REFERENCE.read_text("utf-8")
        new = render_reference(cur)
        if check and cur != new:
            stale.append("docs/spec-reference.md")
        elif not check and cur != new:
            from .files import write_atomic

            write_atomic(REFERENCE, new.encode("utf-8"))
    if stale:
        print("out of date: " + ", ".join(stale) + " (run `python -m compiler.schemagen`)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
