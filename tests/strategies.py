"""Hypothesis strategies shared by the property tests.

* :func:`valid_specs` — random *valid* specs as plain Python dicts (JSON data model: str keys, str / int /
  float / bool / None / list / dict values). Every spec it draws compiles without errors with
  ``use_data=False``: keys and foreign keys are consistent, context FKs form a forest, every modelled
  column has an explicit non-``auto`` encoding, ``generation.size`` names subject tables only.
* :func:`mutated_documents` — a valid spec with one mutation applied (wrong type, unknown key, missing
  key, out-of-range number, bad enum value, string/float/bool where a number goes, empty list/map, bad
  mapping key). Most are invalid; some stay valid (deleting an optional key) — the schema-equivalence
  test only needs both validators to agree.
* :func:`to_yaml` — render such a dict as YAML text with our own small emitter: block or flow style,
  optionally shuffled mapping key order (never the order of a table's ``columns`` mapping, which is
  authored order, nor of any list), and quoting of every string that would not read back as itself.

Helpers :func:`expected_roles` and :func:`model_columns` restate the documented semantics (DESIGN.md §3)
independently of the compiler, so tests can compare the compiler's output with them.
"""

from __future__ import annotations

import json
import math
import random
import re
from typing import Any

from hypothesis import strategies as st

# --------------------------------------------------------------------------------------------
# vocabulary
# --------------------------------------------------------------------------------------------

FRIENDLY = ("categorical", "numeric", "numeric_discrete", "numeric_binned", "numeric_digit", "character",
            "datetime", "lat_long", "text")
SDK = ("TABULAR_CATEGORICAL", "TABULAR_NUMERIC_AUTO", "TABULAR_NUMERIC_DISCRETE", "TABULAR_NUMERIC_BINNED",
       "TABULAR_NUMERIC_DIGIT", "TABULAR_CHARACTER", "TABULAR_DATETIME", "TABULAR_LAT_LONG", "LANGUAGE_TEXT",
       "LANGUAGE_CATEGORICAL", "LANGUAGE_NUMERIC", "LANGUAGE_DATETIME")
RELATIVE = ("datetime_relative", "TABULAR_DATETIME_RELATIVE")
AUTO = ("auto", "AUTO")
PII = ("name", "email", "phone", "national_id", "address", "other", "none")
MODELS = ("small", "medium", "large", "MOSTLY_AI/Small", "MOSTLY_AI/Medium", "MOSTLY_AI/Large")
ROLE_ORDER = ("subject", "linked", "context")

#: names that need care: YAML 1.1 booleans / nulls, numbers, timestamps, YAML syntax characters
SPECIAL_NAMES = (
    "on", "no", "yes", "y", "Y", "n", "off", "On", "NO", "Yes", "true", "False", "null", "Null", "~",
    "1", "007", "0x1F", "0o17", "1e3", "1.5", ".inf", ".nan", "1_000", "12:30", "2001-12-14", "=",
    "<<", "a b", "a:b", "a: b", "x#y", "x #y", "-x", "- x", "?q", "!tag", "&a", "*a", "'q'", '"q"', "%p",
    "@at", "`bt`", "[x]", "{x}", "a,b", "|", ">", "ç", "àç", "Àçéñü", "naïve", "straße", "λ", "表",
    "名前", "ÿ", "É_1", " lead", "trail ", "tab\there",
)
_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_àçéñüÀÇßλ表"


def _clean(s: str) -> str:
    # a plain name never holds "__" (the compiler derives surrogate names by joining with "__") and
    # never holds "§" (our fresh surrogate names do), so generated names cannot collide with either
    return re.sub("_{2,}", "_", s)


identifiers = st.one_of(
    st.sampled_from(SPECIAL_NAMES),
    st.text(_ALPHABET, min_size=1, max_size=10).map(_clean),
)

SPEC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
spec_names = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_.\-]{0,20}\Z")

descriptions = st.one_of(
    st.sampled_from(["", "Plain text.", "yes", "null", "1.5", "a: b # not a comment", "multi\nline\ttext",
                     "quote ' and \" and \\ backslash", "àçλ表 😀", "- dash", "{flow}", "  spaced  "]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30),
)


def _fresh(draw, used: set[str], strategy=identifiers) -> str:
    name = draw(strategy)
    base, k = name, 0
    while name in used:
        k += 1
        name = f"{base}x{k}"
    used.add(name)
    return name


# --------------------------------------------------------------------------------------------
# pieces
# --------------------------------------------------------------------------------------------

def _positive_floats(lo_excl=0.0, hi=10_000.0):
    return st.one_of(
        st.floats(min_value=lo_excl, max_value=hi, exclude_min=True, allow_nan=False, allow_infinity=False),
        st.integers(min_value=1, max_value=int(hi)),
        st.sampled_from([0.2, 0.75, 1.0, 1e-05, 5e-324, 1e3]),
    )


@st.composite
def trainings(draw) -> dict:
    fields = {
        "model": st.sampled_from(MODELS),
        "max_training_time": _positive_floats(),
        "max_epochs": _positive_floats(),
        "max_sample_size": st.integers(1, 10**7),
        "batch_size": st.integers(1, 4096),
        "max_sequence_window": st.integers(1, 1000),
        "value_protection": st.booleans(),
        "rare_category_replacement_method": st.sampled_from(["constant", "sample"]),
        "enable_flexible_generation": st.booleans(),
        "enable_model_report": st.booleans(),
    }
    out = {}
    for k in draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=5)):
        out[k] = draw(fields[k])
    return out


def _unit_floats():
    return st.one_of(st.floats(0, 1, allow_nan=False), st.sampled_from([0, 1, 0.5]))


@st.composite
def generations(draw, subject_tables: list[str], *, partial: bool = False) -> dict:
    out: dict = {}
    sized = draw(st.lists(st.sampled_from(subject_tables), unique=True)) if subject_tables else []
    if sized or not partial and draw(st.booleans()):
        out["size"] = {t: draw(st.integers(1, 10**7)) for t in sized}
    if draw(st.booleans()):
        out["temperature"] = draw(st.one_of(st.floats(0, 2, allow_nan=False), st.sampled_from([0, 1, 2])))
    if draw(st.booleans()):
        out["top_p"] = draw(st.one_of(st.floats(0.9, 1, allow_nan=False), st.sampled_from([1, 0.9])))
    if draw(st.booleans()):
        out["seed"] = draw(st.one_of(st.none(), st.integers(0, 2**31 - 1)))
    return out


@st.composite
def outputs(draw) -> dict:
    out: dict = {}
    if draw(st.booleans()):
        out["kind"] = draw(st.sampled_from(["parquet", "csv", "sqlite", "duckdb", "spark"]))
    if draw(st.booleans()):
        out["path"] = draw(st.sampled_from(["out/{name}/{version}", "synthetic", "out/àç/{version}"]))
    if draw(st.booleans()):
        out["table_name"] = draw(st.sampled_from(["{table}", "syn_{table}", "x"]))
    return out


@st.composite
def qualities(draw) -> dict:
    out: dict = {}
    for k in ("min_accuracy", "max_discriminator_auc"):
        if draw(st.booleans()):
            out[k] = draw(st.one_of(st.none(), _unit_floats()))
    return out


@st.composite
def csv_options(draw) -> dict:
    out: dict = {}
    if draw(st.booleans()):
        out["delimiter"] = draw(st.sampled_from([",", ";", "\t", "|", "ç"]))
    if draw(st.booleans()):
        out["encoding"] = draw(st.sampled_from(["utf-8", "latin-1", None]))
    if draw(st.booleans()):
        out["quotechar"] = draw(st.sampled_from(['"', "'"]))
    if draw(st.booleans()):
        out["null_values"] = draw(st.lists(st.sampled_from(["NA", "?", "", "null", "-"]), max_size=3))
    return out


@st.composite
def samples(draw) -> dict:
    out: dict = {}
    if draw(st.booleans()):
        out["rows"] = draw(st.integers(1, 10_000_000))
    if draw(st.booleans()):
        out["seed"] = draw(st.integers(0, 2**40))
    return out


@st.composite
def sources(draw, *, overlay: bool = False) -> dict:
    out: dict = {}
    if not overlay:
        out["kind"] = draw(st.sampled_from(["files", "sqlite", "duckdb", "spark"]))
    if draw(st.booleans()):
        out["path"] = draw(st.sampled_from(["data", "data/db.sqlite", "./data", "àç/data", "data dir"]))
    if draw(st.booleans()):
        out["format"] = draw(st.sampled_from(["auto", "parquet", "csv"]))
    if draw(st.booleans()):
        out["csv"] = draw(csv_options())
    if draw(st.booleans()):
        out["sample"] = draw(samples())
    if draw(st.booleans()):
        out["allow_outside_root"] = draw(st.booleans())
    if not overlay and draw(st.booleans()):
        out["description"] = draw(descriptions)
    return out


# --------------------------------------------------------------------------------------------
# valid specs
# --------------------------------------------------------------------------------------------

@st.composite
def valid_specs(draw, *, max_tables: int = 8, profiles: bool = True) -> dict:
    """A random valid spec (see the module docstring)."""
    n = draw(st.integers(1, max_tables))
    table_names: list[str] = []
    used_tables: set[str] = set()
    for _ in range(n):
        table_names.append(_fresh(draw, used_tables))
    sk_counter = [0]

    def fresh_surrogate() -> str:
        sk_counter[0] += 1
        return f"{draw(identifiers)}§{sk_counter[0]}"

    # phase 1: primary keys --------------------------------------------------------------------
    t_used: dict[str, set[str]] = {t: set() for t in table_names}
    pks: dict[str, list[str]] = {}
    pk_form: dict[str, str] = {}  # "none" | "str" | "list"
    surrogate: dict[str, str | None] = {}
    for t in table_names:
        kind = draw(st.sampled_from(["none", "single", "single", "single", "composite"]))
        if kind == "none":
            pks[t], pk_form[t], surrogate[t] = [], "none", None
            continue
        k = 1 if kind == "single" else draw(st.integers(2, 3))
        pks[t] = [_fresh(draw, t_used[t]) for _ in range(k)]
        pk_form[t] = "list" if k > 1 or draw(st.booleans()) else "str"
        surrogate[t] = fresh_surrogate() if k > 1 and draw(st.booleans()) else None

    def pk_model(t: str) -> str | None:
        if not pks[t]:
            return None
        if len(pks[t]) == 1:
            return pks[t][0]
        return surrogate[t] or "__".join(pks[t])

    referable = [t for t in table_names if pks[t]]

    # phase 2: foreign keys (context FKs only to earlier tables: a forest by construction) ------
    fks: dict[str, list[dict]] = {t: [] for t in table_names}
    ctx_parent: dict[str, str | None] = {}
    for i, t in enumerate(table_names):
        earlier = [p for p in table_names[:i] if pks[p]]
        ctx = draw(st.sampled_from(earlier)) if earlier and draw(st.booleans()) else None
        ctx_parent[t] = ctx
        others = draw(st.lists(st.sampled_from(referable), max_size=3)) if referable else []
        parents = ([(ctx, True)] if ctx else []) + [(p, False) for p in others]
        order = draw(st.permutations(range(len(parents)))) if parents else []
        reusable = list(pks[t]) if len(pks[t]) > 1 else []  # a composite PK's components may double as FK columns
        taken_by_fk: set[str] = set()
        model_cols = {pk_model(t)} - {None}
        for j in order:
            parent, is_ctx = parents[j]
            cols = []
            for _ in pks[parent]:
                free = [c for c in reusable if c not in taken_by_fk and c not in cols]
                if free and draw(st.integers(0, 5)) == 0:
                    cols.append(draw(st.sampled_from(free)))
                else:
                    cols.append(_fresh(draw, t_used[t]))
            if set(cols) == set(pks[t]):  # G008: the PK itself can't be an FK
                cols[-1] = _fresh(draw, t_used[t])
            taken_by_fk.update(cols)
            fk: dict[str, Any] = {}
            fk["columns"] = cols if len(cols) > 1 or draw(st.booleans()) else cols[0]
            fk["references"] = parent
            if draw(st.integers(0, 3)) == 0:
                ref = pks[parent]
                fk["referenced_columns"] = ref if len(ref) > 1 or draw(st.booleans()) else ref[0]
            fk["context"] = is_ctx
            if len(cols) > 1:
                # the model column of a composite FK: surrogate_key, else the parent's surrogate name; when
                # that is taken (two FKs to one composite parent) the compiler derives another one, or
                # the author names it
                natural = pk_model(parent)
                if draw(st.integers(0, 3)) == 0 or (natural in model_cols and draw(st.booleans())):
                    fk["surrogate_key"] = fresh_surrogate()
                model_cols.add(fk.get("surrogate_key", natural))
            else:
                model_cols.add(cols[0])
            fks[t].append(fk)

    is_context = {t: False for t in table_names}
    for t, p in ctx_parent.items():
        if p:
            is_context[p] = True

    # phase 3: columns, roles, training -----------------------------------------------------------
    tables: dict[str, dict] = {}
    for t in table_names:
        key_cols = set(pks[t]) | {c for fk in fks[t] for c in _as_list(fk["columns"])}
        encs = list(FRIENDLY + SDK)
        if ctx_parent[t] and not is_context[t]:
            encs += list(RELATIVE)
        columns: dict[str, Any] = {}
        for _ in range(draw(st.integers(0, 6))):
            c = _fresh(draw, t_used[t])
            if draw(st.integers(0, 5)) == 0:  # excluded: any encoding, even auto / datetime_relative
                entry: dict = {"exclude": True}
                if draw(st.booleans()):
                    entry["encoding"] = draw(st.sampled_from(FRIENDLY + SDK + RELATIVE + AUTO))
                if draw(st.booleans()):
                    entry["pii"] = draw(st.sampled_from(PII))
                columns[c] = entry
                continue
            enc = draw(st.sampled_from(encs))
            if draw(st.booleans()):
                columns[c] = enc
            else:
                entry = {"encoding": enc}
                if draw(st.booleans()):
                    entry["exclude"] = False
                if draw(st.booleans()):
                    entry["pii"] = draw(st.sampled_from(PII + (None,)))
                if draw(st.integers(0, 3)) == 0:
                    entry["description"] = draw(descriptions)
                columns[c] = entry
        # key columns may be listed too (not modelled): no encoding or `auto`, never excluded
        for kc in sorted(key_cols):
            if draw(st.integers(0, 5)) == 0:
                columns[kc] = draw(st.sampled_from(["auto", "AUTO", {"pii": "other"}, {"encoding": "auto"},
                                                    {"description": "key"}, {"exclude": False}]))
        if columns:
            # authored order is part of the spec: shuffle once here, never again in to_yaml
            items = list(columns.items())
            perm = draw(st.permutations(range(len(items))))
            columns = dict(items[i] for i in perm)
        table: dict[str, Any] = {}
        roles = ["linked" if ctx_parent[t] else "subject"] + (["context"] if is_context[t] else [])
        if draw(st.integers(0, 2)) == 0:
            declared = draw(st.lists(st.sampled_from(roles), min_size=1, unique=True))
            table["role"] = declared[0] if len(declared) == 1 and draw(st.booleans()) else declared
        if draw(st.integers(0, 4)) == 0:
            table["description"] = draw(descriptions)
        if pks[t]:
            table["primary_key"] = pks[t] if pk_form[t] == "list" else pks[t][0]
        if surrogate[t]:
            table["surrogate_key"] = surrogate[t]
        if fks[t]:
            table["foreign_keys"] = fks[t]
        elif draw(st.integers(0, 5)) == 0:
            table["foreign_keys"] = []
        if columns or draw(st.booleans()):
            table["columns"] = columns
        if draw(st.integers(0, 3)) == 0:
            table["training"] = draw(trainings())
        tables[t] = table

    spec: dict[str, Any] = {"spec_version": 1, "name": draw(spec_names)}
    if draw(st.booleans()):
        spec["description"] = draw(descriptions)
    aliases: list[str] = []
    if draw(st.integers(0, 2)) == 0:
        used_alias: set[str] = set()
        aliases = [_fresh(draw, used_alias) for _ in range(draw(st.integers(1, 2)))]
        spec["sources"] = {a: draw(sources()) for a in aliases}
        for t in table_names:
            if draw(st.booleans()):
                a = draw(st.sampled_from(aliases))
                loc = draw(st.sampled_from(["", "/x.parquet", "/tbl", "/àç.csv", "/sub/x.parquet"]))
                tables[t]["source"] = a + loc
    if draw(st.booleans()):
        spec["training"] = draw(trainings())
    spec["tables"] = tables
    subjects = [t for t in table_names if not ctx_parent[t]]
    if draw(st.booleans()):
        spec["generation"] = draw(generations(subjects))
    if draw(st.integers(0, 3)) == 0:
        spec["output"] = draw(outputs())
    if draw(st.integers(0, 3)) == 0:
        spec["quality"] = draw(qualities())
    if draw(st.integers(0, 4)) == 0:
        spec["engine"] = {"kind": "local"} if draw(st.booleans()) else {"local_dir": ".engine/àç"}
    if profiles and draw(st.booleans()):
        used_prof: set[str] = set()
        profs = {}
        for _ in range(draw(st.integers(1, 2))):
            p: dict[str, Any] = {}
            if draw(st.booleans()):
                p["description"] = draw(descriptions)
            if draw(st.booleans()):
                p["training"] = draw(trainings())
            if draw(st.integers(0, 2)) == 0:
                names = draw(st.lists(st.sampled_from(table_names), unique=True, min_size=1, max_size=3))
                p["tables"] = {n_: {"training": draw(trainings())} for n_ in names}
            if draw(st.booleans()):
                p["generation"] = draw(generations(subjects, partial=True))
            if draw(st.integers(0, 3)) == 0:
                p["output"] = draw(outputs())
            if draw(st.integers(0, 3)) == 0:
                p["quality"] = draw(qualities())
            if aliases and draw(st.integers(0, 2)) == 0:
                p["sources"] = {a: draw(sources(overlay=True)) for a in draw(
                    st.lists(st.sampled_from(aliases), unique=True, min_size=1))}
            profs[_fresh(draw, used_prof)] = p
        spec["profiles"] = profs
    # top-level key order as an author might write it (to_yaml can shuffle it further)
    return spec


def _as_list(v) -> list:
    if v is None:
        return []
    return [v] if isinstance(v, str) else list(v)


# --------------------------------------------------------------------------------------------
# documented semantics, restated independently of the compiler
# --------------------------------------------------------------------------------------------

def expected_roles(spec: dict) -> dict[str, tuple[str, ...]]:
    roles: dict[str, set] = {t: set() for t in spec["tables"]}
    for t, tab in spec["tables"].items():
        ctx = [fk for fk in tab.get("foreign_keys", []) if fk["context"]]
        roles[t].add("linked" if ctx else "subject")
        for fk in ctx:
            roles[fk["references"]].add("context")
    return {t: tuple(r for r in ROLE_ORDER if r in rs) for t, rs in roles.items()}


def pk_model_column(spec: dict, t: str) -> str | None:
    tab = spec["tables"][t]
    pk = _as_list(tab.get("primary_key"))
    if not pk:
        return None
    if len(pk) == 1:
        return pk[0]
    return tab.get("surrogate_key") or "__".join(pk)


def model_columns(spec: dict, t: str) -> list[str | None]:
    """The columns the engine sees, in order: PK model column, FK model columns, modelled columns.

    A composite FK's model column is its ``surrogate_key``, else the parent's surrogate name; when that
    name is already taken in the table the compiler derives a fresh one: ``None`` stands for it.
    """
    tab = spec["tables"][t]
    out: list[str | None] = []
    pkm = pk_model_column(spec, t)
    if pkm:
        out.append(pkm)
    keys = set(_as_list(tab.get("primary_key")))
    for fk in tab.get("foreign_keys", []):
        keys.update(_as_list(fk["columns"]))
    taken = set(tab.get("columns", {})) | keys | ({pkm} if pkm else set())
    for fk in tab.get("foreign_keys", []):
        cols = _as_list(fk["columns"])
        if len(cols) == 1:
            out.append(cols[0])
        elif fk.get("surrogate_key"):
            out.append(fk["surrogate_key"])
        else:
            natural = pk_model_column(spec, fk["references"])
            out.append(None if natural in taken else natural)
        taken.add(out[-1])
    for c, e in tab.get("columns", {}).items():
        if c in keys or (isinstance(e, dict) and e.get("exclude")):
            continue
        out.append(c)
    return out


def canonical_encoding(entry) -> str:
    enc = entry if isinstance(entry, str) else entry.get("encoding", "auto")
    if enc in AUTO:
        return "AUTO"
    friendly = {"categorical": "TABULAR_CATEGORICAL", "numeric": "TABULAR_NUMERIC_AUTO",
                "numeric_discrete": "TABULAR_NUMERIC_DISCRETE", "numeric_binned": "TABULAR_NUMERIC_BINNED",
                "numeric_digit": "TABULAR_NUMERIC_DIGIT", "character": "TABULAR_CHARACTER",
                "datetime": "TABULAR_DATETIME", "datetime_relative": "TABULAR_DATETIME_RELATIVE",
                "lat_long": "TABULAR_LAT_LONG", "text": "LANGUAGE_TEXT"}
    return friendly.get(enc, enc)


# --------------------------------------------------------------------------------------------
# mutations (for schema equivalence)
# --------------------------------------------------------------------------------------------

_ANY_VALUES = (None, True, False, 0, 1, -1, 1.5, 1.0, "", "x", "1", "true", [], {}, ["x"], [1], {"k": 1},
               {"k": "v"})
_BAD_STRINGS = ("bogus", "", "AUTO ", "Categorical", "tabular_categorical", "SMALL", "Subject", "parquet2",
                "none ", "medium\n", "x" * 300)
OPS = ("wrong_type", "unknown_key", "delete_key", "out_of_range", "bad_enum", "str_for_number",
       "float_for_int", "bool_for_number", "number_for_bool", "empty_container", "bad_key", "null")


def _paths(node, path=()):
    yield path, node
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, path + (i,))


def _set(doc, path, value):
    if not path:
        return value
    node = doc
    for p in path[:-1]:
        node = node[p]
    node[path[-1]] = value
    return doc


def _copy(x):
    return json.loads(json.dumps(x))


@st.composite
def mutated_documents(draw, *, ops=OPS, integral_floats: bool = True) -> tuple[str, tuple, Any]:
    """(op, path, document): a valid spec with one mutation at ``path``.

    ``integral_floats=False`` leaves out floats with an integral value in integer positions (``1.0``
    for ``seed``): a known, documented disagreement between JSON Schema and strict pydantic.
    """
    doc = _copy(draw(valid_specs(max_tables=4)))
    op = draw(st.sampled_from(ops))
    nodes = list(_paths(doc))

    def pick(pred):
        cands = [(p, n) for p, n in nodes if pred(p, n)]
        return draw(st.sampled_from(cands)) if cands else None

    is_num = lambda p, n: isinstance(n, (int, float)) and not isinstance(n, bool)  # noqa: E731
    hit = None
    if op == "wrong_type":
        hit = pick(lambda p, n: bool(p))
        if hit:
            doc = _set(doc, hit[0], draw(st.sampled_from(_ANY_VALUES)))
    elif op == "unknown_key":
        hit = pick(lambda p, n: isinstance(n, dict))
        if hit:
            hit[1][draw(st.sampled_from(["bogus", "primary_kee", "Columns", "sample_size", "enabled", "$schema"]))] = 1
    elif op == "delete_key":
        hit = pick(lambda p, n: isinstance(n, dict) and n)
        if hit:
            del hit[1][draw(st.sampled_from(sorted(hit[1])))]
    elif op == "out_of_range":
        hit = pick(is_num)
        if hit:
            doc = _set(doc, hit[0], draw(st.sampled_from([-1, 0, -0.5, 0.0, 0.89, 1.01, 2.01, 3, 10**7 + 1,
                                                          2**64, -(2**63), 1e308, 5e-324, 0.5])))
    elif op == "bad_enum":
        hit = pick(lambda p, n: isinstance(n, str))
        if hit:
            doc = _set(doc, hit[0], draw(st.sampled_from(_BAD_STRINGS)))
    elif op == "str_for_number":
        hit = pick(is_num)
        if hit:
            doc = _set(doc, hit[0], str(hit[1]))
    elif op == "float_for_int":
        hit = pick(lambda p, n: is_num(p, n) and isinstance(n, int))
        if hit:
            choices = [hit[1] + 0.5] + ([float(hit[1])] if integral_floats and abs(hit[1]) < 2**53 else [])
            doc = _set(doc, hit[0], draw(st.sampled_from(choices)))
    elif op == "bool_for_number":
        hit = pick(is_num)
        if hit:
            doc = _set(doc, hit[0], draw(st.booleans()))
    elif op == "number_for_bool":
        hit = pick(lambda p, n: isinstance(n, bool))
        if hit:
            doc = _set(doc, hit[0], draw(st.sampled_from([0, 1, 1.0, "true", "yes"])))
    elif op == "empty_container":
        hit = pick(lambda p, n: isinstance(n, (dict, list)))
        if hit:
            doc = _set(doc, hit[0], {} if isinstance(hit[1], dict) else [])
    elif op == "bad_key":
        hit = pick(lambda p, n: isinstance(n, dict) and p and p[-1] in ("tables", "columns", "size", "sources",
                                                                         "profiles"))
        if hit:
            hit[1][draw(st.sampled_from(["", "k" * 257]))] = draw(st.sampled_from(["categorical", {}, 5]))
    elif op == "null":
        hit = pick(lambda p, n: bool(p) and n is not None)
        if hit:
            doc = _set(doc, hit[0], None)
    if not integral_floats:
        # the valid spec itself may hold ints in float positions; that is fine. Only the mutation
        # must not put an integral float in an int position, which the branches above ensure.
        pass
    return op, (hit[0] if hit else None), doc


# --------------------------------------------------------------------------------------------
# YAML emitter
# --------------------------------------------------------------------------------------------

_PLAIN = re.compile(r"[^\W\d][\w.\-/]*")
_YAML11_SPECIAL = re.compile(
    r"(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|=|<<)")


def _printable(ch: str) -> bool:
    o = ord(ch)
    return (0x20 <= o <= 0x7E or 0xA0 <= o <= 0xD7FF or 0xE000 <= o <= 0xFFFD or 0x10000 <= o <= 0x10FFFF) \
        and o != 0xFEFF


def _double_quoted(s: str) -> str:
    out = ['"']
    for ch in s:
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif _printable(ch):
            out.append(ch)
        else:
            o = ord(ch)
            out.append(f"\\x{o:02X}" if o <= 0xFF else f"\\u{o:04X}" if o <= 0xFFFF else f"\\U{o:08X}")
    out.append('"')
    return "".join(out)


def _needs_quotes(s: str, quote: str) -> bool:
    if not _PLAIN.fullmatch(s):
        return True
    from compiler.load import resolve_plain  # YAML 1.2 core schema, as the compiler reads plain scalars

    if resolve_plain(s) != s or not isinstance(resolve_plain(s), str):
        return True
    if quote == "safe" and _YAML11_SPECIAL.fullmatch(s):  # portable: YAML 1.1 readers see a bool / null
        return True
    return False


def _float(x: float) -> str:
    if math.isnan(x) or math.isinf(x):
        raise ValueError("specs hold finite numbers only")
    r = repr(x)
    if "e" in r:
        mant, exp = r.split("e")
        if "." not in mant:
            mant += ".0"
        if exp[0] not in "+-":
            exp = "+" + exp
        r = f"{mant}e{exp}"
    return r


def scalar(v, quote: str = "safe") -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, str):
        return _double_quoted(v) if _needs_quotes(v, quote) else v
    raise TypeError(f"not JSON data: {type(v).__name__}")


def _order(d: dict, path: tuple, rng: random.Random | None, shuffle_tables: bool) -> list:
    keys = list(d)
    if rng is None:
        return keys
    if len(path) == 3 and path[0] == "tables" and path[2] == "columns":
        return keys  # authored order of columns is meaningful
    if path == ("tables",) and not shuffle_tables:
        return keys
    rng.shuffle(keys)
    return keys


def _flow(v, path, rng, shuffle_tables, quote) -> str:
    if isinstance(v, dict):
        items = [f"{scalar(k, quote)}: {_flow(v[k], path + (k,), rng, shuffle_tables, quote)}"
                 for k in _order(v, path, rng, shuffle_tables)]
        return "{" + ", ".join(items) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(_flow(x, path + (i,), rng, shuffle_tables, quote) for i, x in enumerate(v)) + "]"
    return scalar(v, quote)


def _block(v, path, rng, shuffle_tables, quote, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(v, dict):
        for k in _order(v, path, rng, shuffle_tables):
            val = v[k]
            key = scalar(k, quote)
            if isinstance(val, (dict, list)) and val:
                lines.append(f"{pad}{key}:")
                lines += _block(val, path + (k,), rng, shuffle_tables, quote, indent + 2)
            else:
                lines.append(f"{pad}{key}: {_flow(val, path + (k,), rng, shuffle_tables, quote)}")
    elif isinstance(v, list):
        for i, item in enumerate(v):
            if isinstance(item, (dict, list)) and item:
                sub = _block(item, path + (i,), rng, shuffle_tables, quote, 0)
                lines.append(f"{pad}- {sub[0]}")
                lines += [f"{pad}  {s}" for s in sub[1:]]
            else:
                lines.append(f"{pad}- {_flow(item, path + (i,), rng, shuffle_tables, quote)}")
    else:
        lines.append(pad + scalar(v, quote))
    return lines


def to_yaml(d: dict, *, key_order_seed: int | None = None, flow: bool = False, shuffle_tables: bool = True,
            quote: str = "safe") -> str:
    """Render a spec dict as YAML text.

    Args:
        d: the spec (JSON data model).
        key_order_seed: shuffle the order of every mapping's keys with this seed — except a table's
            ``columns`` (authored order) and, when ``shuffle_tables`` is False, the ``tables`` mapping.
            Lists keep their order. None keeps the dict's order.
        flow: render every table's body (and every value below the top level) in flow style.
        quote: ``"safe"`` quotes every string a YAML 1.1 or 1.2 reader would not read back as that
            string (``on``, ``no``, ``yes``, ``y`` ...); ``"minimal"`` quotes only what YAML 1.2 core
            needs, so ``on``/``yes`` stay plain (the compiler reads YAML 1.2).
    """
    if quote not in ("safe", "minimal"):
        raise ValueError(quote)
    rng = random.Random(key_order_seed) if key_order_seed is not None else None
    if not flow:
        return "\n".join(_block(d, (), rng, shuffle_tables, quote, 0)) + "\n"
    lines = []
    for k in _order(d, (), rng, shuffle_tables):
        lines.append(f"{scalar(k, quote)}: {_flow(d[k], (k,), rng, shuffle_tables, quote)}")
    return "\n".join(lines) + "\n"


__all__ = ["valid_specs", "mutated_documents", "to_yaml", "identifiers", "expected_roles", "model_columns",
           "pk_model_column", "canonical_encoding", "scalar", "SPECIAL_NAMES", "OPS"]
