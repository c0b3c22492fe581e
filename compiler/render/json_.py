"""A stable JSON document for programs: ``{"version": 1, "diagnostics": [...], "summary": {...}}``.

Keys are sorted, indentation is two spaces and the document ends in a newline, so the same
diagnostics always give the same bytes. Unknown positions (0 in a span) are ``null``; so are a
missing file, help or JSON path. Bump :data:`VERSION` on any change that breaks a consumer.
"""

from __future__ import annotations

import json
from typing import Mapping, Sequence

from ..diagnostics import Diagnostic, Span
from ._common import canonical, counts, display_path, doc_url, rule_name

VERSION = 1


def _n(v: int) -> int | None:
    return v if v > 0 else None


def _position(span: Span, base_dir: str | None) -> dict:
    return {
        "file": display_path(span.file, base_dir) or None,
        "line": _n(span.line),
        "column": _n(span.column),
        "end_line": _n(span.end_line),
        "end_column": _n(span.end_column),
    }


def to_dict(d: Diagnostic, base_dir: str | None = None) -> dict:
    """One diagnostic as the JSON object this format writes."""
    return {
        "code": d.code,
        "name": rule_name(d.code),
        "severity": d.severity.label,
        "message": d.message,
        **_position(d.span, base_dir),
        "json_path": d.json_path if d.path else None,
        "help": d.help,
        "related": [{**_position(r.span, base_dir), "message": r.message} for r in d.related],
        "url": doc_url(d.code),
    }


def document(diags: Sequence[Diagnostic], base_dir: str | None = None) -> dict:
    ordered = canonical(diags)
    return {
        "version": VERSION,
        "diagnostics": [to_dict(d, base_dir) for d in ordered],
        "summary": counts(ordered),
    }


def render(diags: Sequence[Diagnostic], *, sources: Mapping[str, str] | None = None, color: bool = False,
           tool_version: str = "0.1.0", base_dir: str | None = None) -> str:
    """Render diagnostics as the version-1 JSON document.

    Args:
        diags: the findings, in any order (they are written in canonical order).
        sources, color, tool_version: unused; every renderer takes the same arguments.
        base_dir: write ``file`` relative to this directory when the file lies under it.

    Returns:
        The JSON text, keys sorted, indent 2, non-ASCII kept as UTF-8, trailing newline.
    """
    return json.dumps(document(diags, base_dir), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
