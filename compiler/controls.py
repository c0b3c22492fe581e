"""Constraints, privacy settings, generation controls and model choices: the checks the SDK only
makes after training (or never), made at compile time and located.

Three entry points, called by :func:`compiler.api.compile_spec`:

* :func:`check` — after the graph stage (roles known), no data: constraint shapes and columns,
  generation controls on subject tables, size conflicts, rebalancing shares, fairness target vs
  sensitive columns, lint-override syntax, differential-privacy interactions, language models,
  flexible generation, quality thresholds vs model reports. Codes G020–G030, M020–M024.
* :func:`check_resolved` — after the data stage (``auto`` resolved where data was reachable):
  the encoding rules of constraints, rebalancing, fairness and imputation, and rebalancing values
  against the sampled data (G023, G027, G031, G032). Columns still on ``auto`` are skipped here:
  emit reports them (E001).
* :func:`check_seeds` — reads seed files (G033, G034), only when compile reads data.

:func:`generation_controls`, :func:`effective_sizes` and :func:`seed_source` give emit what it writes.
The SDK facts behind every rule are in MOSTLYAI.md §1 (client validators, ``_constraint_types.py``,
``_SyntheticTableConfigValidation``, the engine's fairness checks).
"""

from __future__ import annotations

import os
from pathlib import Path

from .codes import CODES, make
from .diagnostics import Diagnostic, Related, Severity
from .model import Model, TableIR
from .spec import DEFAULT_LANGUAGE_MODEL

NUMERIC = {"TABULAR_NUMERIC_AUTO", "TABULAR_NUMERIC_DISCRETE", "TABULAR_NUMERIC_BINNED", "TABULAR_NUMERIC_DIGIT"}
CATEGORICAL = "TABULAR_CATEGORICAL"
#: value protection removes a category held by fewer than 5, 6 or 7 subjects (drawn at random)
RARE_SUBJECTS = 8
CONTROLS = ("seed", "rebalancing", "imputation", "fairness")


# --------------------------------------------------------------------------------------------
# helpers


def _gen_tables(model: Model) -> dict:
    return model.generation.get("tables") or {}


def effective_sizes(model: Model) -> dict[str, int]:
    """``generation.size`` merged with ``generation.tables.<t>.size``."""
    out = dict(model.generation.get("size") or {})
    for name, g in _gen_tables(model).items():
        if g.get("size") is not None:
            out[name] = g["size"]
    return out


def generation_controls(model: Model, table: str) -> dict:
    """The SyntheticTableConfiguration keys for rebalancing, imputation and fairness (snake_case)."""
    g = _gen_tables(model).get(table) or {}
    out: dict = {}
    if g.get("rebalancing"):
        r = g["rebalancing"]
        out["rebalancing"] = {"column": r["column"], "probabilities": {k: float(v) for k, v in r["probabilities"].items()}}
    if g.get("imputation"):
        out["imputation"] = {"columns": list(g["imputation"])}
    if g.get("fairness"):
        f = g["fairness"]
        out["fairness"] = {"target_column": f["target"], "sensitive_columns": list(f["sensitive"])}
    return out


def seed_source(model: Model, table: str) -> tuple[dict | None, list[Diagnostic]]:
    """Resolve ``generation.tables.<table>.seed`` to a source entry with an absolute ``path``.

    ``<source>/<file or table>`` when the first segment names a declared source, otherwise a
    CSV/Parquet path relative to the spec's folder."""
    ref = (_gen_tables(model).get(table) or {}).get("seed")
    if not ref:
        return None, []
    spath = ("generation", "tables", table, "seed")
    base_dir = model.spec_path.parent.resolve() if model.spec_path else Path.cwd()
    alias, _, rest = ref.partition("/")
    src = model.spec.sources.get(alias)
    allow_outside = False
    if src is not None and rest and src.path is not None:
        root = Path(src.path)
        root = (root if root.is_absolute() else base_dir / root).resolve()
        allow_outside = src.allow_outside_root
        options = src.csv.model_dump(exclude_none=True) if src.csv else {}
        if src.kind == "files":
            path = (root / rest).resolve() if root.is_dir() or not root.suffix else root
            entry = {"kind": "files", "format": _fmt(path), "path": str(path), "table": None, "options": options}
        elif src.kind in ("sqlite", "duckdb"):
            path = root
            entry = {"kind": src.kind, "format": src.kind, "path": str(root), "table": rest, "options": {}}
        else:
            return None, [make("G033", f"seed of `{table}` reads from the {src.kind} source `{alias}`, which compile "
                                       "cannot read; use a file or a sqlite/duckdb source",
                               span=model.doc.locate(spath), path=spath)]
    else:
        p = Path(ref)
        path = (p if p.is_absolute() else base_dir / p).resolve()
        entry = {"kind": "files", "format": _fmt(path), "path": str(path), "table": None, "options": {}}
    try:
        path.relative_to(model.project_root)
    except ValueError:
        if not allow_outside:
            return None, [make("M003", f"seed `{ref}` of `{table}` resolves outside the project root "
                                       f"`{model.project_root}`", span=model.doc.locate(spath), path=spath,
                               help="move the seed file into the project")]
    return entry, []


def _fmt(path: Path) -> str:
    suffixes = [s.lower() for s in path.suffixes]
    return "parquet" if (".parquet" in suffixes or ".pqt" in suffixes or ".pq" in suffixes) else "csv"


def _setting_path(model: Model, t: TableIR, key: str, sub: str | None = None) -> tuple:
    """Where a training setting of ``t`` is authored: the table's ``training`` if it sets it, else the spec's."""
    ts = model.spec.tables[t.name].training
    if ts is not None and key in ts.model_fields_set:
        base = ("tables", t.name, "training", key)
    else:
        base = ("training", key)
    return base + ((sub,) if sub else ())


def _authored_dp(model: Model, t: TableIR):
    ts = model.spec.tables[t.name].training
    if ts is not None and "differential_privacy" in ts.model_fields_set:
        return ts.differential_privacy
    return model.spec.training.differential_privacy


def _has_tabular(t: TableIR) -> bool:
    return bool(t.pk_model_column) or t.context_fk is not None or any(
        not c.encoding.startswith("LANGUAGE_") for c in t.modelled_columns())


def _column_problem(t: TableIR, col: str) -> str | None:
    """Why ``col`` is not a modelled column of ``t`` (None: it is)."""
    if col in t.key_columns:
        return f"`{t.name}.{col}` is a key column; keys are not modelled (the engine regenerates them)"
    c = next((c for c in t.columns if c.name == col), None)
    if c is None:
        return f"`{t.name}` has no column `{col}`"
    if c.exclude:
        return f"`{t.name}.{col}` is excluded (`exclude: true`)"
    return None


def _guess_help(t: TableIR, col: str, default: str) -> str:
    from .schema import did_you_mean

    names = [c.name for c in t.modelled_columns()]
    guess = did_you_mean(col, names) if col not in {c.name for c in t.columns} | t.key_columns else None
    return f"did you mean `{guess}`?" if guess else default


# --------------------------------------------------------------------------------------------
# check (no data)


def check(model: Model) -> list[Diagnostic]:
    """Everything that needs no data (see the module docstring)."""
    diags: list[Diagnostic] = []
    diags += _check_lint_overrides(model)
    diags += _check_training(model)
    for t in model.tables.values():
        diags += _check_constraints(model, t)
    diags += _check_generation(model)
    return diags


def _check_lint_overrides(model: Model) -> list[Diagnostic]:
    doc = model.doc
    diags = []
    where = [(("lint",), model.spec.lint.model_dump() if model.spec.lint else None)]
    for t in model.tables.values():
        where.append((t.path + ("lint",), t.lint))
        where += [(c.path + ("lint",), c.lint) for c in t.columns]
    for path, ov in where:
        if not ov:
            continue
        for i, code in enumerate(ov["ignore"]):
            if code not in CODES or not code.startswith("L"):
                what = "is not a lint code" if code in CODES else "is not a known code"
                diags.append(make("M020", f"`{code}` {what}; only lint findings (L codes) can be ignored",
                                  span=doc.locate(path + ("ignore", i)), path=path + ("ignore", i),
                                  help="`synthspec explain --list` lists the codes; errors of other stages must be "
                                       "fixed, not ignored"))
        if not (ov.get("reason") or "").strip():
            diags.append(make("M020", f"`{'.'.join(map(str, path))}` ignores {', '.join(ov['ignore'])} without a "
                                      "`reason`", span=doc.locate(path, key=True), path=path,
                              help="add `reason: \"...\"`: why the finding does not apply here; it is recorded in "
                                   "the manifest for reviewers and auditors"))
    return diags


def _check_training(model: Model) -> list[Diagnostic]:
    doc = model.doc
    diags: list[Diagnostic] = []
    seen: set = set()

    def once(code, path, message, **kw):
        if (code, path) not in seen:
            seen.add((code, path))
            diags.append(make(code, message, span=doc.locate(path), path=path, **kw))

    quality_on = {k: v for k, v in (model.quality or {}).items() if v is not None}
    for t in model.tables.values():
        tr = t.training
        dp = _authored_dp(model, t)
        if dp not in (None, True, False) and dp.value_protection_epsilon is not None \
                and tr.get("value_protection") is False:
            path = _setting_path(model, t, "differential_privacy", "value_protection_epsilon")
            once("M021", path, f"`value_protection_epsilon` is dropped: value protection is off on `{t.name}`",
                 help="the SDK sets it to None when value_protection is false; remove it, or turn value "
                      "protection on to spend it")
        modelled = t.modelled_columns()
        if t.language_model != DEFAULT_LANGUAGE_MODEL and any(c.encoding.startswith("LANGUAGE_") for c in modelled):
            path = _setting_path(model, t, "language_model")
            once("M022", path, f"language model `{t.language_model}` of `{t.name}` is downloaded from the Hugging "
                               "Face Hub and needs network access; on CPU it trains very slowly",
                 help=f"`{DEFAULT_LANGUAGE_MODEL}` (the default) trains on CPU without network access; keep the Hub "
                      "model for a machine with a GPU")
        if quality_on and tr.get("enable_model_report") is False:
            path = _setting_path(model, t, "enable_model_report")
            once("M024", path, f"the model report of `{t.name}` is off, so the quality thresholds "
                               f"({', '.join(sorted(quality_on))}) cannot be checked for it",
                 help="turn `enable_model_report` on, or drop the thresholds")
    return diags


def _check_constraints(model: Model, t: TableIR) -> list[Diagnostic]:
    doc = model.doc
    diags: list[Diagnostic] = []
    used: dict[str, tuple] = {}
    for con in t.constraints:
        cpath = con["path"]
        kinds = [k for k in ("fixed_combinations", "inequality") if k in con]
        if len(kinds) != 1:
            diags.append(make("G020", "a constraint has " + ("no kind" if not kinds else "two kinds") +
                                      "; give exactly one of `fixed_combinations` or `inequality`",
                              span=doc.locate(cpath), path=cpath,
                              help="write each rule as its own list item: `- fixed_combinations: [a, b]` or "
                                   "`- inequality: {low: a, high: b}`"))
            continue
        if kinds[0] == "fixed_combinations":
            cols = [(c, cpath + ("fixed_combinations", i)) for i, c in enumerate(con["fixed_combinations"])]
            if len(set(c for c, _ in cols)) < 2:
                diags.append(make("G020", f"`fixed_combinations` on `{t.name}` needs at least 2 columns, got "
                                          f"{len(set(c for c, _ in cols))}",
                                  span=doc.locate(cpath + ("fixed_combinations",)), path=cpath,
                                  help="list the categorical columns whose value combinations must stay real"))
        else:
            ineq = con["inequality"]
            cols = [(ineq["low"], cpath + ("inequality", "low")), (ineq["high"], cpath + ("inequality", "high"))]
            if ineq["low"] == ineq["high"]:
                diags.append(make("G020", f"`inequality` on `{t.name}` compares `{ineq['low']}` with itself",
                                  span=doc.locate(cpath + ("inequality", "high")), path=cpath,
                                  help="`low` and `high` must be two different columns"))
                continue
        for col, path in cols:
            why = _column_problem(t, col)
            if why:
                diags.append(make("G021", f"constraint column: {why}", span=doc.locate(path), path=path,
                                  help=_guess_help(t, col, "constraints act on modelled columns of the same table")))
                continue
            if col in used:
                first = used[col]
                same = first[:len(cpath)] == cpath
                diags.append(make("G022", f"`{t.name}.{col}` is used " + ("twice in one constraint" if same else
                                                                          "by two constraints"),
                                  span=doc.locate(path), path=path, related=[Related(doc.locate(first), "first used here")],
                                  help="a column can take part in at most one constraint (the SDK rejects it); "
                                       "merge the rules or drop one"))
                continue
            used[col] = path
    return diags


def _check_generation(model: Model) -> list[Diagnostic]:
    doc = model.doc
    diags: list[Diagnostic] = []
    sizes = model.generation.get("size") or {}
    for name, g in _gen_tables(model).items():
        gpath = ("generation", "tables", name)
        t = model.tables.get(name)
        if t is None:
            from .schema import did_you_mean

            guess = did_you_mean(name, model.tables)
            diags.append(make("G024", f"`generation.tables` names unknown table `{name}`",
                              span=doc.locate(gpath, key=True), path=gpath,
                              help=f"did you mean `{guess}`?" if guess else f"tables: {', '.join(model.tables)}"))
            continue
        set_keys = [k for k in ("size", *CONTROLS) if g.get(k) is not None]
        if "subject" not in model.roles.get(name, ()):
            for k in set_keys:
                fk = t.context_fk
                diags.append(make("G025", f"`{name}` is linked to `{fk.references if fk else '?'}`; `{k}` applies to "
                                          "subject tables only", span=doc.locate(gpath + (k,), key=True),
                                  path=gpath + (k,),
                                  help="a linked table is generated as sequences of its parent's rows; set the control "
                                       "on the subject table, or remove it"))
            continue
        if g.get("size") is not None and name in sizes:
            diags.append(make("G030", f"the size of `{name}` is given twice", span=doc.locate(gpath + ("size",)),
                              path=gpath + ("size",),
                              related=[Related(doc.locate(("generation", "size", name)), "also given here")],
                              help="keep one: `generation.size` or `generation.tables.<table>.size`"))
        if g.get("seed") is not None and (g.get("size") is not None or name in sizes):
            where = gpath + ("size",) if g.get("size") is not None else ("generation", "size", name)
            diags.append(make("G030", f"`{name}` has seed rows and a size; a seeded table gets one row per seed row",
                              span=doc.locate(where), path=where,
                              related=[Related(doc.locate(gpath + ("seed",)), "seed rows")],
                              help="remove the size, or remove the seed"))
        flex_off = t.training.get("enable_flexible_generation") is False
        for k in CONTROLS:
            if g.get(k) is not None and flex_off:
                fpath = _setting_path(model, t, "enable_flexible_generation")
                diags.append(make("M023", f"`{k}` on `{name}` needs flexible generation, which is off",
                                  span=doc.locate(gpath + (k,), key=True), path=gpath + (k,),
                                  related=[Related(doc.locate(fpath), "enable_flexible_generation: false")],
                                  help="the engine generates columns in training order without it and cannot "
                                       "condition on seeds, rebalance, impute or apply fairness; set "
                                       "`enable_flexible_generation: true` (the default)"))
        if g.get("seed") is not None:
            _, sd = seed_source(model, name)
            diags += sd
        for col, path in _control_columns(g, gpath):
            why = _column_problem(t, col)
            if why:
                diags.append(make("G026", f"{path[3]} column: {why}", span=doc.locate(path), path=path,
                                  help=_guess_help(t, col, "generation controls act on modelled columns")))
        r = g.get("rebalancing")
        if r:
            total = sum(r["probabilities"].values())
            if total > 1 + 1e-9:
                ppath = gpath + ("rebalancing", "probabilities")
                diags.append(make("G028", f"the rebalancing shares of `{name}.{r['column']}` sum to {total:g}, "
                                          "more than 1", span=doc.locate(ppath), path=ppath,
                                  help="shares are fractions of the generated rows; values you leave out share what "
                                       "remains of 1"))
        f = g.get("fairness")
        if f and f["target"] in f["sensitive"]:
            i = f["sensitive"].index(f["target"])
            spath = gpath + ("fairness", "sensitive", i)
            diags.append(make("G029", f"fairness target `{f['target']}` is also listed as sensitive",
                              span=doc.locate(spath), path=spath,
                              related=[Related(doc.locate(gpath + ("fairness", "target")), "the target")],
                              help="the target is made independent of the sensitive columns; it cannot be one of them"))
    return diags


def _control_columns(g: dict, gpath: tuple) -> list[tuple[str, tuple]]:
    out = []
    if g.get("rebalancing"):
        out.append((g["rebalancing"]["column"], gpath + ("rebalancing", "column")))
    for i, c in enumerate(g.get("imputation") or []):
        out.append((c, gpath + ("imputation", i)))
    if g.get("fairness"):
        out.append((g["fairness"]["target"], gpath + ("fairness", "target")))
        out += [(c, gpath + ("fairness", "sensitive", i)) for i, c in enumerate(g["fairness"]["sensitive"])]
    return out


# --------------------------------------------------------------------------------------------
# check_resolved (after the data stage)


def check_resolved(model: Model) -> list[Diagnostic]:
    """Encoding rules and rebalancing values (see the module docstring)."""
    doc = model.doc
    diags: list[Diagnostic] = []
    for t in model.tables.values():
        enc = {c.name: c.encoding for c in t.modelled_columns()}
        for con in t.constraints:
            cpath = con["path"]
            if "fixed_combinations" in con and "inequality" not in con:
                for i, col in enumerate(con["fixed_combinations"]):
                    e = enc.get(col)
                    if e in (None, "AUTO", CATEGORICAL):
                        continue
                    path = cpath + ("fixed_combinations", i)
                    diags.append(make("G023", f"`fixed_combinations` column `{t.name}.{col}` is `{e}`; it must be "
                                              "categorical", span=doc.locate(path), path=path,
                                      help=_encoding_help(e, "encode it `categorical`, or drop it from the rule")))
            elif "inequality" in con and "fixed_combinations" not in con:
                ineq = con["inequality"]
                lo, hi = enc.get(ineq["low"]), enc.get(ineq["high"])
                if None in (lo, hi) or "AUTO" in (lo, hi) or ineq["low"] == ineq["high"]:
                    continue
                if (lo in NUMERIC and hi in NUMERIC) or (lo == hi == "TABULAR_DATETIME"):
                    continue
                path = cpath + ("inequality",)
                rel = "TABULAR_DATETIME_RELATIVE" in (lo, hi)
                diags.append(make("G023", f"`inequality` on `{t.name}` compares `{ineq['low']}` ({lo}) with "
                                          f"`{ineq['high']}` ({hi}); both must be numeric or both datetime",
                                  span=doc.locate(path), path=path,
                                  help="the SDK does not support `datetime_relative` in constraints; use `datetime`"
                                  if rel else _encoding_help(lo if lo.startswith("LANGUAGE_") else hi,
                                                             "give both columns numeric encodings, or both `datetime`")))
        if "subject" not in model.roles.get(t.name, ()):
            continue
        g = _gen_tables(model).get(t.name) or {}
        gpath = ("generation", "tables", t.name)
        for col, path in _control_columns(g, gpath):
            e = enc.get(col)
            if e in (None, "AUTO"):
                continue
            what = path[3]
            if what == "imputation":
                if e.startswith("LANGUAGE_"):
                    diags.append(make("G027", f"imputation column `{t.name}.{col}` is `{e}`; imputation works on the "
                                              "tabular model only", span=doc.locate(path), path=path,
                                      help="the engine rejects imputation for language models; drop the column"))
            elif e != CATEGORICAL:
                diags.append(make("G027", f"{what} column `{t.name}.{col}` is `{e}`; it must be categorical",
                                  span=doc.locate(path), path=path,
                                  help=_encoding_help(e, f"{what} works on `categorical` columns only (the SDK and "
                                                         "engine reject it after training)")))
        diags += _check_rebalancing_values(model, t, g, gpath)
    return diags


def _encoding_help(enc: str, default: str) -> str:
    if enc.startswith("LANGUAGE_"):
        return "the column is part of the language model; constraints and controls act on the tabular model"
    return default


def _check_rebalancing_values(model: Model, t: TableIR, g: dict, gpath: tuple) -> list[Diagnostic]:
    r = g.get("rebalancing")
    if not r:
        return []
    stats = (model.value_counts.get(t.name) or {}).get(r["column"])
    if not stats:
        return []
    doc = model.doc
    counts: dict = stats["counts"]
    sampled, total = stats["sampled"], stats["total"]
    complete = sampled >= total
    note = "" if complete else f" (in a sample of {sampled:,} of {total:,} rows)"
    vp_on = t.training.get("value_protection") is not False
    diags = []
    for value in r["probabilities"]:
        path = gpath + ("rebalancing", "probabilities", value)
        n = counts.get(value)
        if n is None:
            known = sorted(counts, key=lambda v: -counts[v])[:8]
            diags.append(make("G031", f"rebalancing value {value!r} does not occur in `{t.name}.{r['column']}`{note}",
                              span=doc.locate(path, key=True), path=path,
                              severity=None if complete else Severity.WARNING,
                              help="the SDK rejects it after training (`Rebalancing value not found`); values: "
                                   + ", ".join(repr(v) for v in known) + (" …" if len(counts) > 8 else "")))
        elif vp_on:
            est = n if complete else n * total / max(sampled, 1)
            if est < RARE_SUBJECTS:
                diags.append(make("G032", f"rebalancing value {value!r} of `{t.name}.{r['column']}` occurs in only "
                                          f"{n} row(s){note}; value protection may remove it",
                                  span=doc.locate(path, key=True), path=path,
                                  help="value protection drops categories held by fewer than 5–7 subjects; then "
                                       "generation fails with `Rebalancing value not found`. Rebalance a frequent "
                                       "value, or turn value protection off for this table (see L004)"))
    return diags


def value_count_columns(model: Model, table: str) -> list[str]:
    """Columns whose value counts the data stage keeps (rebalancing columns)."""
    r = (_gen_tables(model).get(table) or {}).get("rebalancing")
    return [r["column"]] if r else []


# --------------------------------------------------------------------------------------------
# check_seeds (reads data)


def check_seeds(model: Model) -> list[Diagnostic]:
    """Read every seed and check its columns against the table's modelled columns."""
    from .run_io import SourceError, read_source

    doc = model.doc
    diags: list[Diagnostic] = []
    for name, g in _gen_tables(model).items():
        t = model.tables.get(name)
        if t is None or not g.get("seed") or "subject" not in model.roles.get(name, ()):
            continue
        entry, d = seed_source(model, name)
        if entry is None:
            continue
        spath = ("generation", "tables", name, "seed")
        shown = os.path.relpath(entry["path"], model.spec_path.parent) if model.spec_path else entry["path"]
        if not Path(entry["path"]).exists():
            diags.append(make("G033", f"seed of `{name}` not found: {Path(shown).as_posix()}; its columns are not "
                                      "checked", span=doc.locate(spath), path=spath,
                              help="create the seed file (CSV or Parquet), or fix the path; `synthspec run` needs it"))
            continue
        try:
            df = read_source(entry, Path("/"))
        except SourceError as e:
            diags.append(make("G033", f"cannot read the seed of `{name}`: {e}", span=doc.locate(spath), path=spath,
                              help="seeds are CSV or Parquet files, or tables of a sqlite/duckdb source"))
            continue
        modelled = {c.name: c for c in t.modelled_columns()}
        bad = []
        for col in df.columns:
            why = _column_problem(t, str(col))
            if why is None and modelled[str(col)].encoding.startswith("LANGUAGE_"):
                why = f"`{name}.{col}` is part of the language model"
            if why:
                bad.append(why)
        if bad:
            diags.append(make("G034", f"seed of `{name}` has column(s) the generator does not model: " + "; ".join(bad),
                              span=doc.locate(spath), path=spath,
                              help="seed columns must be modelled tabular columns of the table; drop the others "
                                   "from the seed (keys are generated)"))
        if len(df) == 0:
            diags.append(make("G034", f"seed of `{name}` has no rows; a seeded table gets one row per seed row",
                              span=doc.locate(spath), path=spath, help="add seed rows, or remove `seed`"))
    return diags
