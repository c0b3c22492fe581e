"""Stage 6 — lint: privacy and best-practice findings on a checked model.

Every finding can be silenced where it applies, with a reason: ``lint: {ignore: [L003], reason: "..."}``
on the column, the table or the spec (the narrowest matching override wins). Silenced findings
are not reported; the override, its reason and what it silenced are stored on
``model.lint_overrides`` and land in the manifest. An override that silenced nothing is L006.
"""

from __future__ import annotations

import math

from .codes import make
from .diagnostics import Diagnostic
from .model import Model, TableIR

#: PII that identifies a person on its own; modelling it risks leaking or garbling it
IDENTIFYING_PII = {"email", "phone", "national_id"}
CATEGORICAL_ENCODINGS = {"TABULAR_CATEGORICAL", "LANGUAGE_CATEGORICAL"}
#: ε above which (ε, δ)-DP stops protecting anyone: an attacker who starts at one-in-a-million odds
#: that a given person is in the training data may end above 50 % (posterior odds ≤ e^ε × prior
#: odds, and e^13.8 ≈ 10^6). See docs/privacy.md.
DP_EPSILON_LIMIT = math.log(1e6)


def lint(model: Model) -> list[Diagnostic]:
    """Stage entry point."""
    findings: list[tuple[Diagnostic, TableIR, str | None]] = []
    for t in model.tables.values():
        findings += _table_findings(model, t)
    return _apply_overrides(model, findings)


def _table_findings(model: Model, t: TableIR) -> list[tuple[Diagnostic, TableIR, str | None]]:
    from .controls import _setting_path

    doc = model.doc
    out: list[tuple[Diagnostic, TableIR, str | None]] = []
    keys = t.key_columns
    pii_cols = []
    for c in t.columns:
        if c.pii and not c.exclude and c.name not in keys:
            pii_cols.append(c)
            if c.pii in IDENTIFYING_PII:
                out.append((make(
                    "L001", f"`{t.name}.{c.name}` is tagged `pii: {c.pii}` and is modelled",
                    span=doc.locate(c.path, key=True), path=c.path,
                    help="identifying values can leak rare real values or come out garbled; set `fake: true`: "
                         "the column is left out of the model and filled with fake values of its shape after "
                         "generation"), t, c.name))
    if t.training.get("value_protection") is False:
        vp_path = _setting_path(model, t, "value_protection")
        categorical = [c for c in pii_cols if c.encoding in CATEGORICAL_ENCODINGS]
        for c in categorical:
            out.append((make(
                "L003", f"`{t.name}.{c.name}` (`pii: {c.pii}`) is categorical and value protection is off on "
                        f"`{t.name}`: every real value, rare ones included, can be generated verbatim",
                span=doc.locate(c.path, key=True), path=c.path,
                help="turn value protection on (rare values become `_RARE_` or a frequent value), or exclude the "
                     "column and fake it"), t, c.name))
        rest = [c for c in pii_cols if c not in categorical]
        if rest:
            out.append((make(
                "L002", f"value protection is off on `{t.name}`, which models PII columns "
                        f"({', '.join(c.name for c in rest)})",
                span=doc.locate(t.path, key=True), path=t.path,
                help="keep `value_protection: true`: it removes rare categories and clips extreme values"), t, None))
        elif not pii_cols and "subject" in model.roles.get(t.name, ("subject",)):
            out.append((make(
                "L004", f"value protection is off on the subject table `{t.name}`: rare categories and the exact "
                        "minimum and maximum of real rows are reproduced",
                span=doc.locate(vp_path), path=vp_path,
                help="keep `value_protection: true` unless every value is public; silence this with "
                     "`lint: {ignore: [L004], reason: ...}` when that is so"), t, None))
    dp = t.training.get("differential_privacy")
    if dp is not None:
        weak = []
        if dp.get("noise_multiplier") == 0:
            weak.append("noise_multiplier 0 adds no noise (ε is infinite)")
        if dp.get("max_epsilon", 0) > DP_EPSILON_LIMIT:
            weak.append(f"max_epsilon {dp['max_epsilon']:g}")
        if dp.get("value_protection_epsilon", 0) > DP_EPSILON_LIMIT:
            weak.append(f"value_protection_epsilon {dp['value_protection_epsilon']:g}")
        if weak:
            path = _setting_path(model, t, "differential_privacy")
            out.append((make(
                "L005", f"differential privacy on `{t.name}` protects nothing: {'; '.join(weak)} "
                        f"(limit ε ≤ {DP_EPSILON_LIMIT:.1f})",
                span=doc.locate(path), path=path,
                help="above ε ≈ 13.8 (= ln 10^6) an attacker with one-in-a-million prior odds can become more "
                     "certain than not that a person was in the data; use ε ≤ 10 (the SDK default), ideally 1–5, "
                     "and a positive noise_multiplier"), t, None))
    return out


def _override_records(model: Model) -> list[dict]:
    recs = []
    if model.spec.lint:
        recs.append({"scope": "spec", "table": None, "column": None, "path": ("lint",),
                     **model.spec.lint.model_dump()})
    for t in model.tables.values():
        if t.lint:
            recs.append({"scope": "table", "table": t.name, "column": None, "path": t.path + ("lint",), **t.lint})
        for c in t.columns:
            if c.lint:
                recs.append({"scope": "column", "table": t.name, "column": c.name, "path": c.path + ("lint",),
                             **c.lint})
    for r in recs:
        r["suppressed"] = []
    return recs


def _apply_overrides(model: Model, findings) -> list[Diagnostic]:
    recs = _override_records(model)
    kept: list[Diagnostic] = []
    for d, t, col in findings:
        match = None
        for scope, table, column in (("column", t.name, col), ("table", t.name, None), ("spec", None, None)):
            if scope == "column" and col is None:
                continue
            match = next((r for r in recs if r["scope"] == scope and r["table"] == table and r["column"] == column
                          and d.code in r["ignore"]), None)
            if match:
                break
        if match is None:
            kept.append(d)
        else:
            match["suppressed"].append({"code": d.code, "message": d.message})
    for r in recs:
        unused = [c for c in r["ignore"] if c not in {s["code"] for s in r["suppressed"]}]
        if unused:
            where = {"spec": "the spec", "table": f"`{r['table']}`", "column": f"`{r['table']}.{r['column']}`"}[r["scope"]]
            kept.append(make("L006", f"the lint override on {where} ignores {', '.join(unused)}, which reported "
                                     "nothing there", span=model.doc.locate(r["path"] + ("ignore",)),
                             path=r["path"] + ("ignore",),
                             help="remove the code from `ignore` (or the whole override) so that the manifest "
                                  "records only overrides that matter"))
    model.lint_overrides = [{k: v for k, v in r.items() if k != "path"} for r in recs]
    return kept
