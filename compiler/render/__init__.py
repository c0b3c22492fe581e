"""Renderers: turn a list of :class:`~compiler.diagnostics.Diagnostic` into text for people and
machines.

One module per format, registered by name in :data:`RENDERERS`; all take the same arguments.
Every renderer puts the diagnostics in canonical order first, so the same diagnostics give the
same bytes whatever order they arrive in. See ``docs/output-formats.md``.
"""

from __future__ import annotations

from typing import Callable, Mapping, Sequence

from ..diagnostics import Diagnostic
from . import github, json_, sarif, text

FORMATS = ("text", "json", "sarif", "github")

Renderer = Callable[..., str]
RENDERERS: dict[str, Renderer] = {
    "text": text.render,
    "json": json_.render,
    "sarif": sarif.render,
    "github": github.render,
}
assert tuple(RENDERERS) == FORMATS


def render(diags: Sequence[Diagnostic], fmt: str, *, sources: Mapping[str, str] | None = None,
           color: bool = False, tool_version: str = "0.1.0", base_dir: str | None = None) -> str:
    """Render diagnostics in one of :data:`FORMATS`.

    Args:
        diags: the findings, in any order.
        fmt: ``text``, ``json``, ``sarif`` or ``github``.
        sources: ``span.file`` -> the file's text, for the text format's source excerpts.
        color: ANSI colours in the text format.
        tool_version: the version SARIF names in ``tool.driver.version``.
        base_dir: paths are written relative to this directory (the repository root in CI)
            when they lie under it; SARIF's ``%SRCROOT%``.

    Returns:
        The rendered text, ending in a newline (``github`` with no findings: empty).

    Raises:
        ValueError: ``fmt`` is not one of :data:`FORMATS`.
    """
    try:
        renderer = RENDERERS[fmt]
    except KeyError:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}") from None
    return renderer(diags, sources=sources, color=color, tool_version=tool_version, base_dir=base_dir)


def github_step_summary(diags: Sequence[Diagnostic], *, omitted_only: bool = False,
                        base_dir: str | None = None) -> str:
    """Markdown table of the findings for ``$GITHUB_STEP_SUMMARY`` (the CLI appends it).

    Args:
        diags: the findings, in any order.
        omitted_only: only the findings the ``github`` format could not annotate (``""`` if none).
        base_dir: paths relative to this directory.

    Returns:
        Markdown text ending in a newline, or ``""``.
    """
    return github.step_summary(diags, omitted_only=omitted_only, base_dir=base_dir)


__all__ = ["FORMATS", "RENDERERS", "render", "github_step_summary"]
