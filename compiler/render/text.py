"""Human-readable diagnostics, in the style of rustc and ruff.

::

    spec.yaml:4:7: error[S001] unknown key `colour`
      |
    4 |       colour: red
      |       ^^^^^^
      = help: did you mean `color`?
    spec.yaml:2:3: note: first defined here
      |
    2 |   name: users
      |   ^^^^

    1 error, 0 warnings, 0 infos

Columns in a :class:`~compiler.diagnostics.Span` count characters (code points), as ruamel's marks
do. The caret line is built from display widths, so tabs (shown as four spaces), wide East Asian
characters (two cells) and combining marks (zero cells) keep the caret under the right text.
"""

from __future__ import annotations

import unicodedata
from typing import Mapping, Sequence

from ..diagnostics import Diagnostic, Severity, Span
from ._common import canonical, display_path, split_lines, summary_line

TAB = "    "  # rustc also shows a tab as four spaces, whatever the tab stops were
_REPLACEMENT = "\N{REPLACEMENT CHARACTER}"

_RESET = "\x1b[0m"
_STYLE = {
    Severity.ERROR: "\x1b[1;31m",
    Severity.WARNING: "\x1b[1;33m",
    Severity.INFO: "\x1b[1;34m",
    "note": "\x1b[1;32m",
    "help": "\x1b[1;36m",
    "gutter": "\x1b[1;34m",
    "bold": "\x1b[1m",
}


class _Paint:
    def __init__(self, color: bool):
        self.color = color

    def __call__(self, style, text: str) -> str:
        if not self.color or not text:
            return text
        return f"{_STYLE[style]}{text}{_RESET}"


def _cell(ch: str) -> tuple[str, int]:
    """How one source character is shown and how many terminal cells it takes."""
    if ch == "\t":
        return TAB, len(TAB)
    cat = unicodedata.category(ch)
    if cat == "Cc":  # other control characters would move the cursor or ring the bell
        return _REPLACEMENT, 1
    if cat in ("Mn", "Me", "Cf"):  # combining marks, zero-width joiners, BOM
        return ch, 0
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return ch, 2
    return ch, 1


def display(text: str) -> str:
    """The source text as it is printed in an excerpt (tabs expanded, controls replaced)."""
    return "".join(_cell(ch)[0] for ch in text)


def width(text: str) -> int:
    """Terminal cells ``display(text)`` takes."""
    return sum(_cell(ch)[1] for ch in text)


def caret_line(line: str, span: Span) -> str:
    """Spaces then carets under ``span`` on ``line`` (``span.line`` is the line shown).

    One caret per cell from ``column`` to ``end_column`` when the span ends on the same line,
    a single caret when it ends on a later line or its end is unknown.
    """
    start = max(span.column, 1) - 1
    pad = width(line[:start]) + max(0, start - len(line))
    if span.end_line == span.line and span.end_column > span.column:
        end = span.end_column - 1
        under = max(1, width(line[start:end]) + max(0, end - max(len(line), start)))
    else:
        under = 1
    return " " * pad + "^" * under


def _location(span: Span, base_dir: str | None) -> str:
    path = display_path(span.file, base_dir)
    if not path:
        return ""
    if not span.line:
        return path
    if not span.column:
        return f"{path}:{span.line}"
    return f"{path}:{span.line}:{span.column}"


class _Sources:
    """Source lines per file, split once per render (a spec can have thousands of findings)."""

    def __init__(self, sources: Mapping[str, str] | None):
        self.sources = sources or {}
        self.lines: dict[str, list[str]] = {}

    def line(self, span: Span) -> str | None:
        if not span.located or span.file not in self.sources:
            return None
        if span.file not in self.lines:
            self.lines[span.file] = split_lines(self.sources[span.file])
        lines = self.lines[span.file]
        if span.line > len(lines):
            return None
        return lines[span.line - 1]


def _excerpt(span: Span, line: str, gutter: int, sev, paint: _Paint) -> list[str]:
    bar = paint("gutter", " " * gutter + " |")
    number = paint("gutter", f"{span.line:>{gutter}} |")
    carets = caret_line(line, span)
    pad = len(carets) - len(carets.lstrip(" "))
    return [
        bar,
        f"{number} {display(line)}".rstrip(),
        f"{bar} {' ' * pad}{paint(sev, carets[pad:])}",
    ]


def _render_one(d: Diagnostic, sources: _Sources, base_dir, paint: _Paint) -> list[str]:
    primary = sources.line(d.span)
    related = [(r, sources.line(r.span)) for r in d.related]
    numbers = [d.span.line if primary is not None else 0] + [r.span.line for r, src in related if src is not None]
    gutter = max(len(str(n)) for n in numbers) if any(numbers) else 1

    head = f"{d.severity.label}[{d.code}]"
    loc = _location(d.span, base_dir)
    out = [(paint("bold", loc + ":") + " " if loc else "") + paint(d.severity, head) + " " + paint("bold", d.message)]
    if primary is not None:
        out += _excerpt(d.span, primary, gutter, d.severity, paint)
    if d.help:
        label = paint("gutter", "=") + " " + paint("help", "help") + ": "
        indent = " " * (gutter + 1)
        help_lines = d.help.splitlines() or [""]
        out.append(indent + label + help_lines[0])
        out += [(indent + " " * len("= help: ") + h).rstrip() for h in help_lines[1:]]
    for r, src in related:
        rloc = _location(r.span, base_dir)
        out.append((paint("bold", rloc + ":") + " " if rloc else "") + paint("note", "note:") + " " + r.message)
        if src is not None:
            out += _excerpt(r.span, src, gutter, "note", paint)
    return out


def render(diags: Sequence[Diagnostic], *, sources: Mapping[str, str] | None = None, color: bool = False,
           tool_version: str = "0.1.0", base_dir: str | None = None) -> str:
    """Render diagnostics for a terminal.

    Args:
        diags: the findings, in any order (they are put in canonical order).
        sources: ``span.file`` -> file text, for the source excerpts; files not in it print
            without an excerpt.
        color: add ANSI colours (off by default; the CLI decides from the terminal).
        tool_version: unused here; every renderer takes the same arguments.
        base_dir: show paths relative to this directory when they lie under it.

    Returns:
        One block per diagnostic separated by blank lines, then the summary line, ending in
        a newline.
    """
    paint = _Paint(color)
    ordered = canonical(diags)
    lines = _Sources(sources)
    blocks = ["\n".join(_render_one(d, lines, base_dir, paint)) for d in ordered]
    blocks.append(paint("bold", summary_line(ordered)))
    return "\n\n".join(blocks) + "\n"
