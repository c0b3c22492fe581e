"""Stage 2 — schema: plain data → a validated :class:`compiler.spec.Spec`, every error located.

Validation runs the pydantic models (strict, unknown keys forbidden), which are equivalent to
``schemas/spec-v1.json`` (a test feeds both the same documents). pydantic's validator is compiled,
so a 1,000-table spec validates in milliseconds where a pure-Python JSON Schema walk takes seconds;
every pydantic error is mapped back to a stable code and the YAML node it concerns.
"""

from __future__ import annotations

import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from .codes import make
from .diagnostics import Diagnostic
from .load import Document
from .spec import ENCODING_NAMES, Spec

# field-specific codes: (last path element, pydantic error type prefix) → code
_FIELD_CODES = {
    "top_p": "M007",
    "temperature": "M008",
    "max_training_time": "M009",
    "max_epochs": "M009",
}
_FIELD_HELP = {
    "M007": "the SDK accepts sampling top_p in [0.9, 1]; 1.0 samples from the full distribution",
    "M008": "the SDK accepts sampling temperature in [0, 2]; 1.0 reproduces the learned distribution",
    "M009": "the engine reads 0 as 'use the default' (10 days of training / 100 epochs); give a positive value",
    "M010": "models are `small`, `medium` or `large` (MOSTLY_AI/Small, /Medium, /Large)",
}

_TYPE_NAMES = {
    "string_type": "a string", "int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
    "dict_type": "a mapping", "list_type": "a list", "model_type": "a mapping", "model_attributes_type": "a mapping",
    "int_from_float": "an integer", "none_required": "null",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _data_path(data: Any, loc: tuple) -> tuple:
    """Drop pydantic loc entries that are not keys of the data (union tags, type names)."""
    out = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:
            out.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part not in node:
            # either a missing key (keep it: locate() points at the parent) or a union tag (skip)
            if part in ("full", "short") or part.startswith(("list[", "str", "constrained-str", "function-")) \
                    or part.startswith("literal["):
                continue
            out.append(part)
            node = None
        else:
            continue
    return tuple(out)


def _unwrap(tp):
    """Strip Annotated/Optional; return the BaseModel class or a container origin."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
            continue
        if origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            models = [a for a in args if isinstance(_unwrap(a), type) and issubclass(_unwrap(a), BaseModel)]
            if models:
                tp = models[0]
                continue
            containers = [a for a in args if typing.get_origin(_unwrap_annot(a)) in (dict, list)]
            if containers:
                tp = containers[0]
                continue
            return None
        return tp


def _unwrap_annot(tp):
    while typing.get_origin(tp) is typing.Annotated:
        tp = typing.get_args(tp)[0]
    return tp


def model_at(path: tuple) -> type[BaseModel] | None:
    """The pydantic model class that validates the mapping at ``path`` (None if not a model)."""
    tp: Any = Spec
    for part in path:
        tp = _unwrap(tp)
        if tp is None:
            return None
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(part) if isinstance(part, str) else None
            if field is None:
                return None
            tp = field.annotation
            continue
        origin = typing.get_origin(tp)
        if origin is dict:
            tp = typing.get_args(tp)[1]
        elif origin is list:
            tp = typing.get_args(tp)[0]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


def did_you_mean(word: str, options) -> str | None:
    match = difflib.get_close_matches(word, list(options), n=1, cutoff=0.5 if len(word) <= 4 else 0.6)
    if not match:
        lowered = {o.lower(): o for o in options}
        if word.lower() in lowered:
            return lowered[word.lower()]
        return None
    return match[0]


def _convert(doc: Document, data: Any, err: dict, *, base: tuple = ()) -> Diagnostic:
    etype = err["type"]
    loc = base + tuple(err["loc"])
    path = _data_path(data, tuple(err["loc"]))
    full_path = base + path
    msg = err["msg"]
    inp = err.get("input")
    ctx = err.get("ctx") or {}
    field = str(path[-1]) if path else ""
    where = ".".join(str(p) for p in full_path) or "the spec"

    if etype == "extra_forbidden":
        parent = path[:-1]
        model = model_at(parent)
        options = list(model.model_fields) if model else []
        guess = did_you_mean(field, options)
        help_ = f"did you mean `{guess}`?" if guess else (
            f"allowed keys here: {', '.join(options)}" if options else None)
        return make("S001", f"unknown key `{field}` in {'.'.join(map(str, base + parent)) or 'the spec'}",
                    span=doc.locate(full_path, key=True), help=help_, path=full_path)
    if etype == "missing":
        return make("S002", f"missing required key `{field}` in {'.'.join(map(str, base + path[:-1])) or 'the spec'}",
                    span=doc.locate(full_path), path=full_path,
                    help=_missing_help(field))
    code = None
    if etype == "finite_number":  # .inf / .nan
        code = _FIELD_CODES.get(field, "S004")
    if field in _FIELD_CODES and etype.startswith(("greater_than", "less_than")):
        code = _FIELD_CODES[field]
    if field == "model" and etype == "literal_error":
        code = "M010"
    if field == "spec_version" and etype == "literal_error":
        return make("S006", f"spec_version {inp!r} is not supported; this compiler reads spec_version 1",
                    span=doc.locate(full_path), path=full_path, help="set `spec_version: 1`")
    span = doc.locate(full_path)
    if code:
        return make(code, f"{where}: {msg} (got {inp!r})", span=span, path=full_path, help=_FIELD_HELP.get(code))
    if etype.startswith(("greater_than", "less_than")):
        return make("S004", f"{where}: {msg} (got {inp!r})", span=span, path=full_path)
    if etype in _TYPE_NAMES or etype.endswith("_type") or etype in ("union_tag_invalid", "union_tag_not_found"):
        want = _TYPE_NAMES.get(etype, msg.replace("Input should be ", ""))
        return make("S003", f"{where}: expected {want}, got {_describe(inp)}", span=span, path=full_path,
                    help=_type_help(etype, inp))
    if etype == "literal_error":
        expected = ctx.get("expected", "")
        options = [o.strip().strip("'") for o in expected.replace(" or ", ",").split(",") if o.strip()]
        guess = did_you_mean(str(inp), options) if isinstance(inp, str) else None
        help_ = f"did you mean `{guess}`?" if guess else f"allowed: {', '.join(options)}"
        if field == "encoding" or (len(path) >= 2 and path[-2] == "columns"):  # `{encoding: x}` or `col: x`
            help_ = (f"did you mean `{guess}`? " if guess else "") + "see `synthspec explain S005` for the encodings"
        return make("S005", f"{where}: {inp!r} is not allowed", span=span, path=full_path, help=help_)
    if etype == "string_pattern_mismatch" and field == "name" and len(path) == 1:
        return make("S005", f"name {inp!r} is not a valid dataset name", span=span, path=full_path,
                    help="start with a letter or `_`; then letters, digits, `_`, `.` or `-` (at most 64); "
                         "it names the build folder")
    if etype in ("too_short", "string_too_short", "too_long", "string_too_long"):
        return make("S004", f"{where}: {msg}", span=span, path=full_path)
    return make("S005", f"{where}: {msg}", span=span, path=full_path)


def _missing_help(field: str) -> str | None:
    return {
        "context": "say whether the child is a sequence per parent row: `context: true` or `context: false`",
        "spec_version": "add `spec_version: 1` at the top",
        "tables": "a spec needs at least one table",
        "references": "name the parent table: `references: <table>`",
        "columns": "name the child column(s) of the foreign key",
        "kind": "sources need a kind: files | sqlite | duckdb | spark",
    }.get(field)


def _type_help(etype: str, inp: Any) -> str | None:
    if etype == "int_type" and isinstance(inp, str) and inp.strip().lstrip("-").isdigit():
        return "remove the quotes"
    if etype == "bool_type" and isinstance(inp, str) and inp.lower() in ("yes", "no", "on", "off", "y", "n"):
        return "YAML 1.2: write `true` or `false`"
    return None


def validate_data(doc: Document, data: Any, *, base: tuple = ()) -> tuple[Spec | None, list[Diagnostic]]:
    """Validate plain data (the document's, or a profile-merged copy) into a Spec."""
    try:
        return Spec.model_validate(data), []
    except ValidationError as exc:
        diags = [_convert(doc, data, e, base=base) for e in exc.errors(include_url=False)]
        return None, _merge_union_errors(diags)


def _merge_union_errors(diags: list[Diagnostic]) -> list[Diagnostic]:
    """A value that fits no branch of a union gives one error per branch (a type error per type
    branch, a value error per literal branch); report it once, where the first one stood."""
    from dataclasses import replace

    groups: dict = {}
    for d in diags:
        if d.code in ("S003", "S005"):
            groups.setdefault(d.path, []).append(d)
    out: list[Diagnostic] = []
    for d in diags:
        group = groups.get(d.path) if d.code in ("S003", "S005") else None
        if group is None or len(group) == 1:
            out.append(d)
            continue
        if d is not group[0]:
            continue
        wants = [g.message.split(": expected ", 1)[1].rsplit(", got ", 1)[0] for g in group if g.code == "S003"]
        values = [g for g in group if g.code == "S005"]
        if values:  # e.g. `fake: yes` against `true | false | email | ...`
            v = values[0]
            out.append(replace(v, message=f"{v.message}; expected {' or '.join(wants)} or an allowed value"
                               if wants else v.message))
        else:
            got = group[0].message.rsplit(", got ", 1)[1]
            head = group[0].message.split(": expected ")[0]
            out.append(replace(group[0], message=f"{head}: expected {' or '.join(wants)}, got {got}"))
    return out


def validate(doc: Document) -> tuple[Spec | None, list[Diagnostic]]:
    """Stage entry point: validate a loaded document."""
    if not isinstance(doc.data, dict):
        return None, [make("Y007", "the spec must be a YAML mapping", span=doc.locate(()))]
    return validate_data(doc, doc.data)


__all__ = ["validate", "validate_data", "model_at", "did_you_mean", "ENCODING_NAMES"]
