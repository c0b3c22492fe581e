"""Stage 6 — lint: privacy and best-practice findings on a checked model."""

from __future__ import annotations

from .codes import make
from .diagnostics import Diagnostic
from .model import Model

#: PII that identifies a person on its own; modelling it risks leaking or garbling it
IDENTIFYING_PII = {"email", "phone", "national_id"}


def lint(model: Model) -> list[Diagnostic]:
    """Stage entry point."""
    doc = model.doc
    diags: list[Diagnostic] = []
    for t in model.tables.values():
        keys = t.key_columns
        pii_cols = []
        for c in t.columns:
            if c.pii and not c.exclude and c.name not in keys:
                pii_cols.append(c)
                if c.pii in IDENTIFYING_PII:
                    diags.append(make(
                        "L001", f"`{t.name}.{c.name}` is tagged `pii: {c.pii}` and is modelled",
                        span=doc.locate(c.path, key=True), path=c.path,
                        help="identifying values can leak rare real values or come out garbled; set `exclude: true` "
                             "and fill the column with fake values after generation"))
        if pii_cols and t.training.get("value_protection") is False:
            diags.append(make(
                "L002", f"value protection is off on `{t.name}`, which models PII columns "
                        f"({', '.join(c.name for c in pii_cols)})",
                span=doc.locate(t.path, key=True), path=t.path,
                help="keep `value_protection: true`: it removes rare categories and clips extreme values"))
    return diags
