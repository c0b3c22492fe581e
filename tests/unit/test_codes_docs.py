"""The code registry and its documentation agree.

* every code in :data:`compiler.codes.CODES` has a page ``docs/codes/<CODE>.md``;
* no page exists for a code the registry does not know;
* each page's title is ``# <CODE> <name>`` with the registry's name, its severity and stage line
  (when it has one) match the registry, and it has the sections What it does, Why, Example, Fix;
* ``docs/codes/README.md`` indexes every code, with the registry's name, severity and stage.

The index table is generated from the registry: ``SYNTHSPEC_UPDATE_DOCS=1`` rewrites it (between the
``<!-- codes:start -->`` and ``<!-- codes:end -->`` markers) before checking it.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from compiler.codes import CODES, STAGES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "codes"
INDEX = DOCS / "README.md"
UPDATE = os.environ.get("SYNTHSPEC_UPDATE_DOCS") == "1"
SECTIONS = ["What it does", "Why", "Example", "Fix"]
START, END = "<!-- codes:start -->", "<!-- codes:end -->"

_ROW = re.compile(r"^\|\s*\[([A-Z]\d{3})\]\(([A-Z]\d{3})\.md\)\s*\|\s*`([^`]+)`\s*\|\s*(\w+)\s*\|\s*(\w+)\s*\|", re.M)


def page_files() -> list[Path]:
    return sorted(p for p in DOCS.glob("*.md") if p.name != "README.md")


def index_table() -> str:
    """The index table, one row per registry code, in registry order (stage by stage)."""
    rows = ["| code | name | severity | stage | what it reports |", "|---|---|---|---|---|"]
    for c in CODES.values():
        summary = c.summary.replace("|", "\\|")
        rows.append(f"| [{c.code}]({c.code}.md) | `{c.name}` | {c.severity.label} | {c.stage} | {summary} |")
    return "\n".join(rows)


def _between_markers(text: str) -> tuple[int, int]:
    start, end = text.find(START), text.find(END)
    assert 0 <= start < end, f"{INDEX.name} needs the markers {START} and {END} around the table"
    return start + len(START), end


# --- pages ------------------------------------------------------------------------------------

def test_every_code_has_a_page():
    missing = [c for c in CODES if not (DOCS / f"{c}.md").exists()]
    assert not missing, f"codes without a page in docs/codes/: {', '.join(missing)}"


def test_no_page_for_an_unknown_code():
    unknown = [p.name for p in page_files() if p.stem not in CODES]
    assert not unknown, f"pages for codes the registry does not know: {', '.join(unknown)}"


@pytest.mark.parametrize("page", page_files(), ids=[p.stem for p in page_files()])
def test_page_title_and_sections(page: Path):
    if page.stem not in CODES:
        pytest.skip("unknown code (reported by test_no_page_for_an_unknown_code)")
    info = CODES[page.stem]
    text = page.read_text("utf-8")
    first = text.splitlines()[0] if text else ""
    assert first == f"# {info.code} {info.name}", f"{page.name}: title should be `# {info.code} {info.name}`"
    heads = [h.strip() for h in re.findall(r"^## (.+)$", text, re.M)]
    assert [h for h in heads if h in SECTIONS] == SECTIONS, f"{page.name}: sections {SECTIONS} in this order"
    # `**Severity:** error · **Stage:** graph` (or `Severity: error. Stage: graph.`), when present
    head = text[:text.find("\n## ")]
    sev = re.search(r"Severity:\**\s*(\w+)", head)
    if sev:
        assert sev.group(1) == info.severity.label, f"{page.name}: severity is {info.severity.label}"
    stage = re.search(r"Stage:\**\s*(\w+)", head)
    if stage:
        assert stage.group(1) == info.stage, f"{page.name}: stage is {info.stage}"


# --- the index --------------------------------------------------------------------------------

def test_index_lists_every_code():
    if UPDATE:
        text = INDEX.read_text("utf-8")
        a, b = _between_markers(text)
        INDEX.write_text(text[:a] + "\n" + index_table() + "\n" + text[b:], "utf-8")
    text = INDEX.read_text("utf-8")
    rows = {m.group(1): m.groups() for m in _ROW.finditer(text)}
    missing = [c for c in CODES if c not in rows]
    assert not missing, f"{INDEX.name} does not list: {', '.join(missing)} (SYNTHSPEC_UPDATE_DOCS=1 regenerates it)"
    unknown = [c for c in rows if c not in CODES]
    assert not unknown, f"{INDEX.name} lists unknown codes: {', '.join(unknown)}"
    for code, (_, target, name, severity, stage) in rows.items():
        info = CODES[code]
        assert (target, name, severity, stage) == (code, info.name, info.severity.label, info.stage), (
            f"{INDEX.name}: the row of {code} disagrees with the registry")


def test_index_names_every_stage():
    text = INDEX.read_text("utf-8")
    for letter, stage in STAGES.items():
        assert f"`{letter}`" in text and stage in text, f"{INDEX.name} should explain the {letter} ({stage}) prefix"
