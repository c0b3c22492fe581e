"""Diagnostics are data: a stable code, a severity, a message, a located span, help.

Every stage returns ``(value, diagnostics)``; nothing below ``cli.py`` prints. Renderers in
``compiler.render`` turn a list of :class:`Diagnostic` into text, JSON, SARIF or GitHub commands.
Positions are 1-based everywhere in this module (ruamel/PyYAML marks are 0-based and are
converted once, in :func:`Span.from_marks`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from typing import Iterable


class Severity(enum.IntEnum):
    """Ordered severities; ``--fail-on`` compares against these."""

    INFO = 1
    WARNING = 2
    ERROR = 3

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> "Severity":
        try:
            return cls[text.strip().upper()]
        except KeyError:
            raise ValueError(f"unknown severity {text!r}; expected info, warning or error") from None


@dataclass(frozen=True, order=True)
class Span:
    """A located region of a file. Lines and columns are 1-based; ``end_*`` is exclusive-ish
    (points just past the node), 0 meaning unknown."""

    file: str = ""
    line: int = 0
    column: int = 0
    end_line: int = 0
    end_column: int = 0

    @classmethod
    def from_marks(cls, file: str, start, end=None) -> "Span":
        """Build a span from 0-based YAML marks (objects with ``line``/``column``)."""
        if start is None:
            return cls(file=file)
        el = end.line + 1 if end is not None else 0
        ec = end.column + 1 if end is not None else 0
        return cls(file=file, line=start.line + 1, column=start.column + 1, end_line=el, end_column=ec)

    @property
    def located(self) -> bool:
        return self.line > 0

    def __str__(self) -> str:
        if not self.file:
            return "<input>"
        if not self.line:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Related:
    """A secondary location with its own short message (e.g. "first defined here")."""

    span: Span
    message: str


@dataclass(frozen=True)
class Diagnostic:
    """One finding. ``path`` is the JSON path of the offending node (stable when lines move)."""

    code: str
    severity: Severity
    message: str
    span: Span = field(default_factory=Span)
    help: str | None = None
    path: tuple[str | int, ...] = ()
    related: tuple[Related, ...] = ()

    @property
    def name(self) -> str:
        from .codes import CODES

        entry = CODES.get(self.code)
        return entry.name if entry else ""

    @property
    def json_path(self) -> str:
        out = "$"
        for p in self.path:
            out += f"[{p}]" if isinstance(p, int) else f".{p}"
        return out

    def sort_key(self):
        # ruff's RenderingSortKey: file, position, severity (most severe first), code, message
        return (self.span.file, self.span.line, self.span.column, -int(self.severity), self.code, self.message)

    def with_span(self, span: Span) -> "Diagnostic":
        return replace(self, span=span)


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Canonical order; exact duplicates (same code, place and message) are reported once."""
    seen: set = set()
    out = []
    for d in sorted(diags, key=Diagnostic.sort_key):
        k = (d.code, d.span, d.message)
        if k in seen:
            continue
        seen.add(k)
        out.append(d)
    return out


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.severity >= Severity.ERROR for d in diags)


def max_severity(diags: Iterable[Diagnostic]) -> Severity | None:
    sev = [d.severity for d in diags]
    return max(sev) if sev else None
