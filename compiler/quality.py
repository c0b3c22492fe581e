"""Quality report of a run: MOSTLY AI's HTML reports, ``metrics.json``, ``summary.md``, thresholds.

Metrics come from the trained generator (``g.tables[i].tabular_model_metrics``, computed by the
engine on a holdout when the model report is enabled). Per table ``metrics.json`` holds::

    {"accuracy": {"overall", "univariate", "bivariate", "trivariate", "coherence",
                  "overall_max", ...},           # *_max: the holdout's own score (the ceiling)
     "cosine_similarity": ..., "cosine_similarity_holdout": ...,
     "discriminator_auc": ..., "discriminator_auc_holdout": ...,
     "dcr_share": ..., "ims": ..., "ims_holdout": ..., "dcr_training": ..., "dcr_holdout": ...}

Thresholds (manifest ``quality``; ``null`` = not checked), each applied to every table that has
metrics:

=========================  ==========================================================
``min_accuracy``           ``accuracy.overall`` ≥ value
``max_discriminator_auc``  ``discriminator_auc`` ≤ value (0.5 = indistinguishable)
``max_dcr_share``          ``dcr_share`` ≤ value (0.5 = as close to training as holdout)
``max_identical_matches``  ``ims`` ≤ value (share of synthetic rows equal to a training row)
=========================  ==========================================================
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any, Mapping

from .codes import make
from .diagnostics import Diagnostic

THRESHOLDS: dict[str, tuple[str, str]] = {
    # key → (metric path, comparison)
    "min_accuracy": ("accuracy.overall", "min"),
    "max_discriminator_auc": ("discriminator_auc", "max"),
    "max_dcr_share": ("dcr_share", "max"),
    "max_identical_matches": ("ims", "max"),
}


def table_metrics(model_metrics) -> dict[str, Any] | None:
    """Flatten one table's ``ModelMetrics`` (or None) into the metrics.json shape."""
    if model_metrics is None:
        return None
    acc = model_metrics.accuracy
    sim = model_metrics.similarity
    dist = model_metrics.distances
    out: dict[str, Any] = {
        "accuracy": {k: getattr(acc, k, None) for k in (
            "overall", "univariate", "bivariate", "trivariate", "coherence",
            "overall_max", "univariate_max", "bivariate_max", "trivariate_max", "coherence_max")}
        if acc is not None else None,
        "cosine_similarity": getattr(sim, "cosine_similarity_training_synthetic", None),
        "cosine_similarity_holdout": getattr(sim, "cosine_similarity_training_holdout", None),
        "discriminator_auc": getattr(sim, "discriminator_auc_training_synthetic", None),
        "discriminator_auc_holdout": getattr(sim, "discriminator_auc_training_holdout", None),
        "dcr_share": getattr(dist, "dcr_share", None),
        "dcr_training": getattr(dist, "dcr_training", None),
        "dcr_holdout": getattr(dist, "dcr_holdout", None),
        "ims": getattr(dist, "ims_training", None),
        "ims_holdout": getattr(dist, "ims_holdout", None),
    }
    return out


def collect_metrics(generator) -> dict[str, Any]:
    """``{"accuracy": <generator overall>, "tables": {table: metrics | None}}``."""
    tables = {}
    for t in generator.tables or []:
        tables[t.name] = table_metrics(t.tabular_model_metrics)
    return {"accuracy": generator.accuracy, "tables": tables}


def _get(d: Mapping[str, Any] | None, dotted: str):
    cur: Any = d
    for part in dotted.split("."):
        if not isinstance(cur, Mapping):
            return None
        cur = cur.get(part)
    return cur


def check_thresholds(metrics: Mapping[str, Any], quality: Mapping[str, Any] | None) -> list[Diagnostic]:
    """R-code diagnostics for every table below a threshold, and for unknown threshold keys."""
    diags: list[Diagnostic] = []
    for key, value in sorted((quality or {}).items()):
        if value is None:
            continue
        if key not in THRESHOLDS:
            diags.append(make("R017", f"unknown quality threshold `{key}`; it was not checked",
                              help="known thresholds: " + ", ".join(sorted(THRESHOLDS)), path=("quality", key)))
            continue
        metric, kind = THRESHOLDS[key]
        for table, m in sorted((metrics.get("tables") or {}).items()):
            got = _get(m, metric)
            if got is None:
                continue
            bad = got < value if kind == "min" else got > value
            if bad:
                rel = "below" if kind == "min" else "above"
                diags.append(make(
                    "R016",
                    f"table `{table}`: {metric} = {got:.3f} is {rel} the threshold {key} = {value}",
                    help="see report/summary.md and the HTML reports in report/; train longer, use a larger "
                         "model, or review the encodings", path=("quality", key)))
    return diags


def write_reports(report_dir: Path, generator, dataset) -> list[str]:
    """Save MOSTLY AI's HTML reports into ``report_dir`` (``model/…`` and ``data/…``).

    The generator's model reports go to ``model/<table>-tabular.html``; the synthetic dataset's
    data reports go to ``data/<table>-tabular-data.html`` (its model reports repeat the
    generator's and are skipped when identical). Reports are missing when the engine made none
    (fewer than 100 training samples, or ``enable_model_report: false``).

    Returns:
        The written files, relative to ``report_dir``.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    written: list[str] = []
    seen: dict[str, bytes] = {}
    for label, obj in (("model", generator), ("data", dataset)):
        if obj is None:
            continue
        zpath = report_dir / f".{label}-reports.zip"
        try:
            obj.reports(zpath, display=False)
        except Exception:  # the engine made no report for this resource; metrics still stand
            zpath.unlink(missing_ok=True)
            continue
        with zipfile.ZipFile(zpath) as zf:
            for info in sorted(zf.infolist(), key=lambda i: i.filename):
                name = Path(info.filename).name
                data = zf.read(info)
                if label == "data" and not name.endswith("-data.html") and seen.get(name) == data:
                    continue
                sub = "data" if name.endswith("-data.html") else "model"
                if label == "data" and sub == "model" and name in seen:
                    name = name.replace(".html", "-synthetic.html")
                dest = report_dir / sub / name
                dest.parent.mkdir(parents=True, exist_ok=True)
                dest.write_bytes(data)
                seen[name] = data
                written.append(f"{sub}/{name}")
        zpath.unlink()
    return sorted(written)


def _fmt(v, pct: bool = False) -> str:
    if v is None:
        return "–"
    return f"{100 * v:.1f}%" if pct else f"{v:.3f}"


def summary_markdown(*, name: str, version: str, metrics: Mapping[str, Any], rows: Mapping[str, int],
                     quality: Mapping[str, Any] | None, findings: list[Diagnostic], reused: bool,
                     reports: list[str]) -> str:
    """A short human-readable summary of one run."""
    lines = [f"# {name} — synthetic data version `{version}`", ""]
    lines.append(f"Generator: {'reused (imported from the cache)' if reused else 'trained in this run'}; "
                 f"overall accuracy {_fmt(metrics.get('accuracy'), pct=True)}.")
    lines.append("")
    lines.append("| table | rows | accuracy (holdout) | uni / bi / tri | coherence | cosine sim. | "
                 "discriminator AUC | DCR share | identical matches |")
    lines.append("|---|---:|---|---|---|---|---|---|---|")
    for table in rows:
        m = (metrics.get("tables") or {}).get(table) or {}
        acc = m.get("accuracy") or {}
        lines.append(
            f"| {table} | {rows[table]} | {_fmt(acc.get('overall'), True)} ({_fmt(acc.get('overall_max'), True)}) | "
            f"{_fmt(acc.get('univariate'), True)} / {_fmt(acc.get('bivariate'), True)} / "
            f"{_fmt(acc.get('trivariate'), True)} | {_fmt(acc.get('coherence'), True)} | "
            f"{_fmt(m.get('cosine_similarity'))} | {_fmt(m.get('discriminator_auc'), True)} | "
            f"{_fmt(m.get('dcr_share'), True)} | {_fmt(m.get('ims'), True)} |")
    lines.append("")
    active = {k: v for k, v in sorted((quality or {}).items()) if v is not None}
    if active:
        lines.append("Thresholds: " + ", ".join(f"`{k}` = {v}" for k, v in active.items()) + ".")
    else:
        lines.append("Thresholds: none set (manifest `quality`).")
    failed = [d for d in findings if d.code == "R016"]
    lines.append("")
    if failed:
        lines.append("**Below threshold** — this version was written for inspection but `LATEST` was not moved:")
        lines.extend(f"- {d.message}" for d in failed)
    else:
        lines.append("All thresholds met." if active else "No thresholds checked.")
    if reports:
        lines.append("")
        lines.append("Reports: " + ", ".join(f"[{r}]({r})" for r in reports) + ".")
    lines.append("")
    lines.append("Accuracy is the engine's holdout-based score (the value in parentheses is the holdout's own "
                 "score, the ceiling). A discriminator AUC near 50% and a DCR share near 50% mean the synthetic "
                 "rows are as close to the training data as unseen real rows are.")
    return "\n".join(lines) + "\n"
