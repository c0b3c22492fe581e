"""Helpers shared by the renderers: canonical order, counts, paths, documentation links.

Nothing here imports anything heavier than the standard library; the CLI imports the renderers
on every run.
"""

from __future__ import annotations

import os
import posixpath
import re
from typing import Iterable, Sequence

from ..codes import CODES
from ..diagnostics import Diagnostic, Severity, sort_diagnostics

#: Where the code pages (``docs/codes/<CODE>.md``) are published. SARIF needs absolute URIs
#: (``helpUri`` and ``informationUri`` have ``"format": "uri"``), so a relative path will not do.
PROJECT_URL = "https://github.com/synthspec/synthspec"
DOCS_CODES_URL = PROJECT_URL + "/blob/main/docs/codes/"

#: Severities from most to least severe, the order limits are applied in.
SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)

# The line breaks YAML (and so ruamel's and PyYAML's marks) count: \r\n, \r, \n, NEL, LS, PS.
# str.splitlines() also splits on \v, \f and others, which would shift line numbers.
_LINE_BREAK = re.compile("\r\n|[\n\r\x85\u2028\u2029]")


def canonical(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Canonical order without exact duplicates; every renderer starts from this list."""
    return sort_diagnostics(diags)


def counts(diags: Iterable[Diagnostic]) -> dict[str, int]:
    """``{"error": n, "warning": n, "info": n}``, always with all three keys."""
    out = {s.label: 0 for s in SEVERITY_ORDER}
    for d in diags:
        out[d.severity.label] += 1
    return out


def plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(diags: Sequence[Diagnostic]) -> str:
    """``2 errors, 1 warning, 0 infos`` or ``no problems found``."""
    if not diags:
        return "no problems found"
    c = counts(diags)
    return ", ".join(plural(c[s.label], s.label) for s in SEVERITY_ORDER)


def doc_url(code: str) -> str:
    """Absolute link to the code's page ``docs/codes/<CODE>.md``."""
    return f"{DOCS_CODES_URL}{code}.md"


def rule_name(code: str) -> str:
    entry = CODES.get(code)
    return entry.name if entry else ""


def split_lines(text: str) -> list[str]:
    """Split source text into lines the way YAML counts them (line ``n`` is ``result[n - 1]``)."""
    return _LINE_BREAK.split(text)


def relative_path(file: str, base_dir: str | None) -> tuple[str, bool]:
    """Return ``(path, inside)``: ``file`` relative to ``base_dir`` in posix form.

    ``inside`` is False when ``file`` is absolute and lies outside ``base_dir`` (or when
    ``base_dir`` is None and ``file`` is absolute); the path is then returned normalised but not
    relativised. Relative files with no ``base_dir`` are taken as relative to the root already.
    """
    if not file:
        return "", False
    if base_dir is not None:
        try:
            rel = os.path.relpath(os.path.abspath(file), os.path.abspath(base_dir))
        except ValueError:  # Windows: a different drive
            rel = os.pardir
        rel_posix = rel.replace(os.sep, "/")
        if rel_posix != ".." and not rel_posix.startswith("../") and not os.path.isabs(rel):
            return rel_posix, True
        return os.path.abspath(file).replace(os.sep, "/"), False
    if os.path.isabs(file):
        return posixpath.normpath(file.replace(os.sep, "/")), False
    return posixpath.normpath(file.replace(os.sep, "/")), True


def display_path(file: str, base_dir: str | None) -> str:
    """The path to show a person or a CI system: relative to ``base_dir`` when under it."""
    if not file:
        return ""
    if base_dir is None:
        return file
    path, _inside = relative_path(file, base_dir)
    return path
