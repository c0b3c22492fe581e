"""SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

One run; ``tool.driver.rules`` lists only the codes the run's results use, sorted. Paths are
URIs relative to ``%SRCROOT%`` (the ``base_dir`` argument, the repository root in CI); a file
outside it gets an absolute ``file://`` URI. Columns count Unicode code points, which the run
declares with ``columnKind``.

GitHub code scanning rejects a run with more than 25,000 results and an upload over 10 MB
gzip-compressed. This renderer never writes such a file: it keeps the most severe results
(errors, then warnings, then notes; canonical order within a severity), drops the rest, and says
how many it dropped in ``run.invocations[0].toolExecutionNotifications`` and
``run.properties``.

GitHub also rejects a whole upload when one result has no location
(``locationFromSarifResult: expected at least one location``). So a finding with no file is not a
result: it becomes a ``toolExecutionNotifications`` entry of the run's invocation (these are
tool and command-line problems, ``X`` codes, in practice), and a finding with a file but no line
gets ``region.startLine: 1`` (it is about the whole file; GitHub wants a region).

``partialFingerprints["synthspec/v1"]`` hashes code, JSON path and file (not the line), so an
alert keeps its identity when lines move; a finding without a JSON path adds its message.
Equal hashes are told apart by an occurrence number, as GitHub's ``primaryLocationLineHash`` is.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from typing import Mapping, Sequence
from urllib.parse import quote

from ..codes import CODES
from ..diagnostics import Diagnostic, Severity, Span
from ._common import PROJECT_URL, canonical, counts, doc_url, relative_path

SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
SARIF_VERSION = "2.1.0"
SRCROOT = "%SRCROOT%"
FINGERPRINT_KEY = "synthspec/v1"

#: GitHub code scanning's hard limits (docs: "SARIF results exceed hard limit").
MAX_RESULTS = 25_000
MAX_GZIP_BYTES = 10_000_000  # "10 MB"; decimal, to stay clear of the limit whichever is meant
MAX_RELATED = 1_000  # locations per result

LEVEL = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}

# RFC 3986 sub-delims, "@" and unreserved characters may stay as they are in a path segment.
# ":" is encoded so that a relative reference's first segment never reads as a scheme.
_SAFE_RELATIVE = "/!$&'()*+,;=@"
_SAFE_ABSOLUTE = _SAFE_RELATIVE + ":"


def artifact_location(file: str, base_dir: str | None) -> dict:
    """``artifactLocation`` for ``file``: relative to ``%SRCROOT%`` or an absolute file URI."""
    path, inside = relative_path(file, base_dir)
    if inside:
        return {"uri": quote(path, safe=_SAFE_RELATIVE), "uriBaseId": SRCROOT}
    if not path.startswith("/"):
        path = "/" + path  # Windows drive paths: file:///C:/...
    return {"uri": "file://" + quote(path, safe=_SAFE_ABSOLUTE)}


def region(span: Span) -> dict:
    """The SARIF region of a span. ``endColumn`` is exclusive in SARIF as in :class:`Span`.
    An unknown line gives ``startLine: 1``: the finding is about the whole file."""
    if not span.located:
        return {"startLine": 1}
    out = {"startLine": span.line}
    if span.column > 0:
        out["startColumn"] = span.column
    if span.end_line >= span.line and (span.end_line, span.end_column) > (span.line, span.column):
        out["endLine"] = span.end_line
        if span.end_column > 0:
            out["endColumn"] = span.end_column
    return out


def _location(span: Span, base_dir: str | None, message: str | None = None) -> dict:
    loc: dict = {}
    if span.file:
        loc["physicalLocation"] = {"artifactLocation": artifact_location(span.file, base_dir),
                                   "region": region(span)}
    if message is not None:
        loc["message"] = {"text": message}
    return loc


def fingerprint(d: Diagnostic, base_dir: str | None = None) -> str:
    """Hash of code, JSON path and file; the message stands in for a missing JSON path."""
    file = relative_path(d.span.file, base_dir)[0] if d.span.file else ""
    parts = [d.code, d.json_path if d.path else "", file]
    if not d.path:
        parts.append(d.message)
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()[:32]


def _rule(code: str, severity: Severity) -> dict:
    entry = CODES.get(code)
    rule: dict = {"id": code}
    if entry:
        rule["name"] = entry.name
        rule["shortDescription"] = {"text": entry.summary}
        severity = entry.severity
    rule["helpUri"] = doc_url(code)
    rule["defaultConfiguration"] = {"level": LEVEL[severity]}
    return rule


def _text(d: Diagnostic) -> str:
    """The message, related notes that have no file (no location can carry them), then help."""
    parts = [d.message] + [f"note: {r.message}" for r in d.related if not r.span.file]
    if d.help:
        parts.append(f"help: {d.help}")
    return "\n".join(parts)


def _result(d: Diagnostic, rule_index: int, fp: str, base_dir: str | None) -> dict:
    res: dict = {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": LEVEL[d.severity],
        "message": {"text": _text(d)},
        "locations": [_location(d.span, base_dir)],
        "partialFingerprints": {FINGERPRINT_KEY: fp},
    }
    related = [r for r in d.related if r.span.file][:MAX_RELATED]
    if related:
        res["relatedLocations"] = [
            {"id": i, **_location(r.span, base_dir, r.message)} for i, r in enumerate(related, start=1)
        ]
    return res


def _notification(d: Diagnostic, rule_index: int) -> dict:
    return {
        "associatedRule": {"id": d.code, "index": rule_index},
        "level": LEVEL[d.severity],
        "message": {"text": _text(d)},
    }


def _log(kept: list[tuple[Diagnostic, str]], unlocated: list[Diagnostic], tool_version: str,
         base_dir: str | None, omitted: list[Diagnostic], total: int, limits: tuple[int, int]) -> dict:
    used = [d for d, _ in kept] + unlocated
    codes = sorted({d.code for d in used})
    default_sev: dict[str, Severity] = {}
    for d in used:
        default_sev.setdefault(d.code, d.severity)
    rules = [_rule(c, default_sev[c]) for c in codes]
    index = {c: i for i, c in enumerate(codes)}
    notifications = [_notification(d, index[d.code]) for d in unlocated]
    if omitted:
        c = counts(omitted)
        max_results, max_bytes = limits
        notifications.append({
            "descriptor": {"id": "results-truncated"},
            "level": "warning",
            "message": {"text": (
                f"{len(omitted)} of {total} results were left out to stay within GitHub code scanning's "
                f"upload limits (at most {max_results} results per run and {max_bytes} bytes "
                f"gzip-compressed); the least severe went first. Left out: {c['error']} errors, "
                f"{c['warning']} warnings, {c['info']} notes."
            )},
        })
    invocation: dict = {
        # A tool-stage error (internal error, bad command line) means the analysis did not run.
        "executionSuccessful": not any(d.code.startswith("X") and d.severity >= Severity.ERROR for d in used),
    }
    if notifications:
        invocation["toolExecutionNotifications"] = notifications
    run: dict = {
        "tool": {
            "driver": {
                "name": "synthspec",
                "version": tool_version,
                "informationUri": PROJECT_URL,
                "rules": rules,
            }
        },
        "columnKind": "unicodeCodePoints",
        "invocations": [invocation],
        "results": [_result(d, index[d.code], fp, base_dir) for d, fp in kept],
    }
    if omitted:
        run["properties"] = {"resultsTotal": total, "resultsOmitted": len(omitted),
                             "omittedBySeverity": counts(omitted)}
    return {"$schema": SCHEMA_URI, "version": SARIF_VERSION, "runs": [run]}


def _dump(log: dict) -> str:
    return json.dumps(log, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def gzip_size(text: str) -> int:
    """Bytes of ``text`` gzip-compressed as an uploader would (level 6, no timestamp)."""
    return len(gzip.compress(text.encode("utf-8"), compresslevel=6, mtime=0))


def build(diags: Sequence[Diagnostic], *, tool_version: str = "0.1.0", base_dir: str | None = None,
          max_results: int = MAX_RESULTS, max_gzip_bytes: int = MAX_GZIP_BYTES) -> str:
    """Render the SARIF log text, truncated to the limits given.

    Findings without a file become notifications, not results (see the module docstring); the
    limits count results only. The size search serialises the log O(log n) times: about 15 times
    for 25,000 results, only when the first attempt is too big.

    Args:
        diags: the findings, in any order.
        tool_version: ``tool.driver.version``.
        base_dir: the directory ``%SRCROOT%`` stands for.
        max_results: at most this many results (GitHub: 25,000 per run).
        max_gzip_bytes: the gzip-compressed text stays at most this size (GitHub: 10 MB).

    Returns:
        The SARIF text (keys sorted, indent 2, trailing newline).
    """
    everything = canonical(diags)
    unlocated = [d for d in everything if not d.span.file]
    ordered = [d for d in everything if d.span.file]
    fps: list[str] = []
    seen: dict[str, int] = {}
    for d in ordered:
        h = fingerprint(d, base_dir)
        seen[h] = seen.get(h, 0) + 1
        fps.append(f"{h}:{seen[h]}")
    # Indices of the results, most severe first; canonical order within a severity.
    ranked = sorted(range(len(ordered)), key=lambda i: (-int(ordered[i].severity), i))
    limits = (max_results, max_gzip_bytes)

    def text_for(k: int) -> str:
        keep = set(ranked[:k])
        kept = [(ordered[i], fps[i]) for i in range(len(ordered)) if i in keep]
        omitted = [ordered[i] for i in range(len(ordered)) if i not in keep]
        return _dump(_log(kept, unlocated, tool_version, base_dir, omitted, len(ordered), limits))

    k = min(len(ranked), max_results)
    out = text_for(k)
    if gzip_size(out) <= max_gzip_bytes:
        return out
    lo, hi = 0, k - 1  # the largest k with a small enough file; k = 0 always fits in practice
    best = text_for(0)
    while lo <= hi:
        mid = (lo + hi) // 2
        candidate = text_for(mid)
        if gzip_size(candidate) <= max_gzip_bytes:
            best, lo = candidate, mid + 1
        else:
            hi = mid - 1
    return best


def render(diags: Sequence[Diagnostic], *, sources: Mapping[str, str] | None = None, color: bool = False,
           tool_version: str = "0.1.0", base_dir: str | None = None) -> str:
    """Render diagnostics as a SARIF 2.1.0 log within GitHub code scanning's upload limits.

    Args:
        diags: the findings, in any order.
        sources, color: unused; every renderer takes the same arguments.
        tool_version: ``tool.driver.version``.
        base_dir: the directory ``%SRCROOT%`` stands for (the repository root in CI).

    Returns:
        The SARIF text (keys sorted, indent 2, trailing newline).
    """
    return build(diags, tool_version=tool_version, base_dir=base_dir)
