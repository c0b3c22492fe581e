"""GitHub Actions workflow commands (annotations) and the step-summary table.

GitHub shows at most 10 annotations of each type (error, warning, notice) per step, and 50 per
job, and drops the rest without a word. So this renderer writes the most severe first (errors,
then warnings, then notices; canonical order within a type), at most :data:`MAX_PER_TYPE` of each,
then one plain line saying how many findings were not annotated. :func:`step_summary` gives a
Markdown table of all findings (or of those not annotated) for ``$GITHUB_STEP_SUMMARY``.

Escaping follows ``@actions/core`` (``command.ts``): in the message ``%``, ``\\r`` and ``\\n``
become ``%25``, ``%0D`` and ``%0A``; in property values ``:`` and ``,`` also become ``%3A``
and ``%2C``. A message therefore can never start a second command.
"""

from __future__ import annotations

import re
from typing import Mapping, Sequence

from ..diagnostics import Diagnostic, Severity
from ._common import SEVERITY_ORDER, canonical, display_path, plural, rule_name, summary_line

MAX_PER_TYPE = 10
#: ``$GITHUB_STEP_SUMMARY`` takes at most 1 MiB per step; keep clear of it.
STEP_SUMMARY_MAX_BYTES = 1_000_000

COMMAND = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "notice"}


def escape_data(text: str) -> str:
    """Escape a workflow command's message."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def split_annotated(diags: Sequence[Diagnostic]) -> tuple[list[Diagnostic], list[Diagnostic]]:
    """``(annotated, omitted)``: at most :data:`MAX_PER_TYPE` per severity, most severe first."""
    ordered = canonical(diags)
    annotated: list[Diagnostic] = []
    omitted: list[Diagnostic] = []
    for sev in SEVERITY_ORDER:
        of_type = [d for d in ordered if d.severity == sev]
        annotated += of_type[:MAX_PER_TYPE]
        omitted += of_type[MAX_PER_TYPE:]
    return annotated, omitted


def command(d: Diagnostic, base_dir: str | None = None) -> str:
    """One ``::error file=...,line=...::message`` line (without the newline)."""
    props: list[tuple[str, str]] = []
    path = display_path(d.span.file, base_dir)
    s = d.span
    if path:
        props.append(("file", path))
        if s.line:
            props.append(("line", str(s.line)))
            # GitHub rejects columns on annotations that span several lines.
            one_line = s.end_line in (0, s.line)
            if s.column and one_line:
                props.append(("col", str(s.column)))
            if s.end_line > s.line or (s.end_line == s.line and s.end_column > s.column):
                props.append(("endLine", str(s.end_line)))
                if s.end_line == s.line and s.column:
                    props.append(("endColumn", str(s.end_column)))
    name = rule_name(d.code)
    props.append(("title", f"{d.code} {name}" if name else d.code))
    text = d.message if not d.help else f"{d.message}\nhelp: {d.help}"
    rendered = ",".join(f"{k}={escape_property(v)}" for k, v in props)
    return f"::{COMMAND[d.severity]} {rendered}::{escape_data(text)}"


def render(diags: Sequence[Diagnostic], *, sources: Mapping[str, str] | None = None, color: bool = False,
           tool_version: str = "0.1.0", base_dir: str | None = None) -> str:
    """Render diagnostics as GitHub Actions annotations.

    Args:
        diags: the findings, in any order.
        sources, color, tool_version: unused; every renderer takes the same arguments.
        base_dir: the repository root; ``file=`` is relative to it (GitHub wants
            workspace-relative paths).

    Returns:
        At most 10 commands per type, most severe first, then a plain line counting the findings
        left out when there are any. Empty when there are no findings.
    """
    annotated, omitted = split_annotated(diags)
    lines = [command(d, base_dir) for d in annotated]
    if omitted:
        lines.append(
            f"synthspec: {len(omitted)} more {'finding' if len(omitted) == 1 else 'findings'} not "
            f"annotated (GitHub shows at most {MAX_PER_TYPE} per type); see the step summary."
        )
    return "".join(line + "\n" for line in lines)


# --- step summary (Markdown) ---------------------------------------------------------------

_CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.S)


def _escape_text(text: str) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return re.sub(r"([\\*_\[\]])", r"\\\1", text)


def _cell(text: str) -> str:
    """A message as a table cell: code spans kept, the rest escaped, ``|`` and newlines made safe."""
    out, pos = [], 0
    for m in _CODE_SPAN.finditer(text):
        out.append(_escape_text(text[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape_text(text[pos:]))
    return "".join(out).replace("|", "\\|").replace("\r\n", "\n").replace("\n", "<br>")


def _code(text: str) -> str:
    """``text`` as a code span, fenced with more backticks than it contains."""
    if not text:
        return ""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}".replace("|", "\\|")


def _location(d: Diagnostic, base_dir: str | None) -> str:
    path = display_path(d.span.file, base_dir)
    if not path:
        return ""
    s = d.span
    if s.line and s.column:
        return f"{path}:{s.line}:{s.column}"
    if s.line:
        return f"{path}:{s.line}"
    return path


def step_summary(diags: Sequence[Diagnostic], *, omitted_only: bool = False, base_dir: str | None = None) -> str:
    """A Markdown table of the findings, most severe first.

    Args:
        diags: the findings, in any order.
        omitted_only: list only the findings :func:`render` could not annotate; returns ``""``
            when there are none.
        base_dir: show paths relative to this directory (the repository root).

    Returns:
        Markdown ending in a newline, at most :data:`STEP_SUMMARY_MAX_BYTES` bytes (rows past that
        are counted, not listed).
    """
    annotated, omitted = split_annotated(diags)
    rows = omitted if omitted_only else annotated + omitted
    if omitted_only:
        if not omitted:
            return ""
        head = [
            "### synthspec: findings not shown as annotations",
            "",
            f"GitHub shows at most {MAX_PER_TYPE} annotations per type; "
            f"{plural(len(omitted), 'more finding')} {'is' if len(omitted) == 1 else 'are'} listed here.",
        ]
    else:
        head = ["### synthspec", "", summary_line(rows).capitalize() + "."]
        if not rows:
            return "\n".join(head) + "\n"
    head += ["", "| Code | Severity | Location | Message |", "| --- | --- | --- | --- |"]
    text = "\n".join(head) + "\n"
    size = len(text.encode("utf-8"))
    budget = STEP_SUMMARY_MAX_BYTES - 200  # room for the closing note
    shown = 0
    for d in rows:
        name = rule_name(d.code)
        row = (f"| {_code(d.code)}{' ' + name if name else ''} | {d.severity.label} | "
               f"{_code(_location(d, base_dir))} | {_cell(d.message)} |\n")
        n = len(row.encode("utf-8"))
        if size + n > budget:
            break
        text += row
        size += n
        shown += 1
    if shown < len(rows):
        text += (f"\n{plural(len(rows) - shown, 'more finding')} not listed: GitHub limits a step "
                 f"summary to 1 MiB. The json and sarif formats list all of them.\n")
    return text
