"""Renderers: snapshots per format, escaping, CI limits, caret alignment, SARIF schema validity.

Snapshots live in ``tests/unit/snapshots/render_*``; regenerate them (and the examples in
``docs/output-formats.md``) with ``SYNTHSPEC_UPDATE_SNAPSHOTS=1``.
"""

from __future__ import annotations

import gzip
import json
import os
import random
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft4Validator, FormatChecker

from compiler.codes import CODES, make
from compiler.diagnostics import Related, Span
from compiler.render import FORMATS, RENDERERS, github_step_summary, render
from compiler.render import github as gh
from compiler.render import sarif
from compiler.render.text import caret_line, display, width

ROOT = Path(__file__).resolve().parents[2]
SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
SCHEMA = ROOT / "tests" / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"
DOC = ROOT / "docs" / "output-formats.md"
UPDATE = os.environ.get("SYNTHSPEC_UPDATE_SNAPSHOTS") == "1"

# A tiny spec. Line 8 holds a tab and a non-ASCII name, line 9 a wide (CJK) value.
SPEC = (
    "spec_version: 1\n"
    "tables:\n"
    "  users:\n"
    "    source: users_csv\n"
    "    primary_key: id\n"
    "    colour: blue\n"
    "    columns:\n"
    '      city: {encoding: categorical, label: "Mercè\tSants", pii: none}\n'
    "      email: {encoding: auto, label: 東京}\n"
    "  orders:\n"
    "    foreign_keys:\n"
    "      - columns: [user_id]\n"
    "        references: userz\n"
)
FILE = "specs/shop.yaml"
SOURCES = {FILE: SPEC}


def sample():
    """The fixed diagnostics the snapshots are made from (deliberately not in canonical order)."""
    return [
        make("L001", "column `users.email` holds e-mail addresses and is modelled",
             span=Span(FILE, 9, 7, 9, 12), path=("tables", "users", "columns", "email"),
             help="exclude it (`exclude: true`) and let the generator fake it"),
        make("S001", "unknown key `colour` in table `users`",
             span=Span(FILE, 6, 5, 6, 11), path=("tables", "users", "colour"),
             help="did you mean `columns`?"),
        make("G001", "foreign key of `orders` references table `userz`, which is not defined",
             span=Span(FILE, 13, 21, 13, 26), path=("tables", "orders", "foreign_keys", 0, "references"),
             help="defined tables: orders, users",
             related=(Related(Span(FILE, 3, 3, 3, 8), "did you mean this table?"),)),
        make("S005", "`pii: none` is not one of email, name, phone, address",
             span=Span(FILE, 8, 64, 8, 68), path=("tables", "users", "columns", "city", "pii")),
        make("G013", "table `orders` has no relation to any other table",
             span=Span(FILE, 10, 3, 13, 26), path=("tables", "orders")),
        make("Y003", "cannot read `specs/extra.yaml`: no such file", span=Span("specs/extra.yaml")),
        make("X002", "unknown option `--colour`; did you mean `--color`?"),
    ]


def doc_sample():
    """The two diagnostics shown in docs/output-formats.md."""
    return [d for d in sample() if d.code in ("S001", "L001")]


def check_snapshot(name: str, actual: str) -> None:
    path = SNAPSHOTS / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(actual.encode("utf-8"))
        return
    assert path.exists(), f"missing snapshot {path}; run with SYNTHSPEC_UPDATE_SNAPSHOTS=1"
    expected = path.read_bytes().decode("utf-8")
    assert actual == expected, f"{name} differs from its snapshot; run with SYNTHSPEC_UPDATE_SNAPSHOTS=1 if intended"


# --- snapshots ------------------------------------------------------------------------------

SNAPSHOT_CASES = {
    "render_text.txt": lambda: render(sample(), "text", sources=SOURCES),
    "render_text_color.txt": lambda: render(sample(), "text", sources=SOURCES, color=True),
    "render_json.json": lambda: render(sample(), "json"),
    "render_sarif.sarif": lambda: render(sample(), "sarif", tool_version="0.1.0"),
    "render_github.txt": lambda: render(sample(), "github"),
    "render_github_summary.md": lambda: github_step_summary(sample()),
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CASES))
def test_snapshot(name):
    check_snapshot(name, SNAPSHOT_CASES[name]())


@pytest.mark.parametrize("fmt", FORMATS)
def test_same_diagnostics_same_bytes_in_any_order(fmt):
    diags = sample()
    first = render(diags, fmt, sources=SOURCES)
    for seed in range(5):
        shuffled = diags[:]
        random.Random(seed).shuffle(shuffled)
        assert render(shuffled, fmt, sources=SOURCES) == first
    # exact duplicates are reported once
    assert render(diags + diags, fmt, sources=SOURCES) == first


def test_registry_and_dispatch():
    assert tuple(RENDERERS) == FORMATS == ("text", "json", "sarif", "github")
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        render([], "xml")


# --- text -----------------------------------------------------------------------------------

def test_text_layout():
    out = render(sample(), "text", sources=SOURCES)
    assert ("specs/shop.yaml:6:5: error[S001] unknown key `colour` in table `users`\n"
            "  |\n"
            "6 |     colour: blue\n"
            "  |     ^^^^^^\n"
            "  = help: did you mean `columns`?\n\n") in out
    # a related span: a note line with its own excerpt, gutters aligned across the diagnostic
    assert ("   = help: defined tables: orders, users\n"
            "specs/shop.yaml:3:3: note: did you mean this table?\n"
            "   |\n"
            " 3 |   users:\n"
            "   |   ^^^^^\n") in out
    # no position: no excerpt; no file: no location
    assert "specs/extra.yaml: error[Y003] cannot read `specs/extra.yaml`: no such file\n\n" in out
    assert out.startswith("error[X002] unknown option `--colour`; did you mean `--color`?\n\n")
    assert out.endswith("\n\n5 errors, 1 warning, 1 info\n")
    assert "\x1b[" not in out


def test_text_summary_and_empty():
    assert render([], "text") == "no problems found\n"
    one = [make("M006", "surrogate key unused")]
    assert render(one, "text").splitlines()[-1] == "0 errors, 1 warning, 0 infos"


def test_text_color_only_when_asked():
    plain = render(sample(), "text", sources=SOURCES)
    colored = render(sample(), "text", sources=SOURCES, color=True)
    assert "\x1b[1;31merror[S001]\x1b[0m" in colored
    assert re.sub(r"\x1b\[[0-9;]*m", "", colored) == plain


def test_text_multiline_span_single_caret():
    out = render([d for d in sample() if d.code == "G013"], "text", sources=SOURCES)
    lines = out.splitlines()
    i = lines.index("10 |   orders:")
    assert lines[i + 1] == "   |   ^"


def test_text_without_source_has_no_excerpt():
    out = render([d for d in sample() if d.code == "S001"], "text")
    assert out == (
        "specs/shop.yaml:6:5: error[S001] unknown key `colour` in table `users`\n"
        "  = help: did you mean `columns`?\n\n"
        "1 error, 0 warnings, 0 infos\n"
    )


def test_text_multiline_help_is_indented():
    d = make("S001", "m", span=Span("a.yaml", 1, 1, 1, 2), help="first\nsecond")
    out = render([d], "text", sources={"a.yaml": "x: 1\n"})
    assert "  = help: first\n          second\n" in out


def test_text_span_past_end_of_line_and_line_out_of_range():
    src = {"a.yaml": "ab\n"}
    d = make("Y001", "eol", span=Span("a.yaml", 1, 3))
    assert "1 | ab\n  |   ^\n" in render([d], "text", sources=src)
    gone = make("Y001", "gone", span=Span("a.yaml", 9, 1))
    assert "|" not in render([gone], "text", sources=src)


def test_text_crlf_and_yaml_line_breaks():
    # YAML counts \r\n, \r, \n (and NEL/LS/PS) as line breaks, not \f or \v like str.splitlines
    src = {"a.yaml": "a: 1\r\nb: \f2\rc: 3\n"}
    d = make("S003", "m", span=Span("a.yaml", 3, 1, 3, 2))
    assert "3 | c: 3\n  | ^\n" in render([d], "text", sources=src)


def test_unknown_code_renders_everywhere(sarif_validator):
    d = make("S001", "m", span=Span("a.yaml", 1, 1))
    odd = replace(d, code="Z999")
    for fmt in FORMATS:
        assert "Z999" in render([odd], fmt)
    assert json.loads(render([odd], "json"))["diagnostics"][0]["name"] == ""
    assert "title=Z999::" in render([odd], "github")
    _assert_valid(sarif_validator, json.loads(render([odd], "sarif")))


def test_text_base_dir(tmp_path):
    d = make("S001", "m", span=Span(str(tmp_path / "sub" / "a.yaml"), 1, 1))
    assert render([d], "text", base_dir=str(tmp_path)).startswith("sub/a.yaml:1:1: error[S001] m\n")


def _cells_before_caret(caret: str) -> int:
    return len(caret) - len(caret.lstrip(" "))


@pytest.mark.parametrize("name", ["Mercè", "Merce\u0300", "東京", "Zoë\u200d"])
def test_caret_alignment_with_tab_and_wide_characters(name):
    line = f"\tlabel: {name}\tx: value"
    col = line.index("value") + 1
    caret = caret_line(line, Span("a.yaml", 1, col, 1, col + len("value")))
    shown = display(line)
    assert "\t" not in shown and shown.endswith("value")
    # the carets sit exactly under "value": as many cells before them as the shown text has
    expected = 0
    for ch in shown[: -len("value")]:
        if unicodedata.combining(ch) or unicodedata.category(ch) == "Cf":
            continue
        expected += 2 if unicodedata.east_asian_width(ch) in "WF" else 1
    assert _cells_before_caret(caret) == expected == width(line[: col - 1])
    assert caret.strip() == "^" * 5


def test_caret_alignment_against_wcwidth():
    wcwidth = pytest.importorskip("wcwidth")
    line = "\tcity: Mercè 東京 Sants"
    col = line.index("Sants") + 1
    caret = caret_line(line, Span("a.yaml", 1, col, 1, col + 5))
    shown = display(line)
    assert wcwidth.wcswidth(shown[: shown.index("Sants")]) == _cells_before_caret(caret)
    wide = caret_line(line, Span("a.yaml", 1, line.index("東") + 1, 1, line.index("東") + 3))
    assert wide.strip() == "^^^^"  # two wide characters take four cells


def test_text_caret_under_tab_line_of_the_spec():
    out = render([d for d in sample() if d.code == "S005"], "text", sources=SOURCES)
    lines = out.splitlines()
    src_line = next(line for line in lines if line.startswith("8 |"))
    caret = lines[lines.index(src_line) + 1]
    # every character of this line takes one cell once the tab is expanded, so string indices
    # are cell offsets: the carets start under "none"
    assert "\t" not in src_line and "Mercè    Sants" in src_line
    assert caret.index("^") == src_line.index("none")
    assert caret.rstrip().endswith(" ^^^^")


# --- json -----------------------------------------------------------------------------------

def test_json_document():
    out = render(sample(), "json")
    assert out.endswith("}\n")
    doc = json.loads(out)
    assert doc["version"] == 1
    assert doc["summary"] == {"error": 5, "warning": 1, "info": 1}
    s001 = next(d for d in doc["diagnostics"] if d["code"] == "S001")
    assert s001 == {
        "code": "S001", "name": "unknown-key", "severity": "error",
        "message": "unknown key `colour` in table `users`", "file": FILE,
        "line": 6, "column": 5, "end_line": 6, "end_column": 11,
        "json_path": "$.tables.users.colour", "help": "did you mean `columns`?", "related": [],
        "url": s001["url"],
    }
    assert s001["url"].endswith("docs/codes/S001.md")
    x002 = next(d for d in doc["diagnostics"] if d["code"] == "X002")
    assert x002["file"] is None and x002["line"] is None and x002["json_path"] is None
    g001 = next(d for d in doc["diagnostics"] if d["code"] == "G001")
    assert g001["json_path"] == "$.tables.orders.foreign_keys[0].references"
    assert g001["related"] == [{"file": FILE, "line": 3, "column": 3, "end_line": 3, "end_column": 8,
                                "message": "did you mean this table?"}]
    assert out == json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_json_empty():
    assert json.loads(render([], "json")) == {"version": 1, "diagnostics": [],
                                               "summary": {"error": 0, "warning": 0, "info": 0}}


# --- sarif ----------------------------------------------------------------------------------

_URI_CHARS = re.compile(r"^(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$")


def _format_checker() -> FormatChecker:
    """Draft-4 formats plus RFC 3986 ``uri`` / ``uri-reference`` (jsonschema checks those only
    with an optional package, which this venv does not have)."""
    checker = FormatChecker()

    @checker.checks("uri-reference")
    def _uri_reference(value) -> bool:
        return not isinstance(value, str) or bool(_URI_CHARS.match(value))

    @checker.checks("uri")
    def _uri(value) -> bool:
        return not isinstance(value, str) or (
            bool(_URI_CHARS.match(value)) and re.match(r"^[A-Za-z][A-Za-z0-9+.\-]*:", value) is not None)

    return checker


@pytest.fixture(scope="module")
def sarif_validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/errata01/os/schemas/sarif-schema-2.1.0.json")
    Draft4Validator.check_schema(schema)
    return Draft4Validator(schema, format_checker=_format_checker())


def _assert_valid(validator, log: dict) -> None:
    errors = sorted(validator.iter_errors(log), key=lambda e: list(e.absolute_path))
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message}" for e in errors[:10])


def test_sarif_validates_against_official_schema(sarif_validator):
    log = json.loads(render(sample(), "sarif"))
    _assert_valid(sarif_validator, log)
    _assert_valid(sarif_validator, json.loads(render([], "sarif")))


def test_schema_validator_catches_a_broken_log(sarif_validator):
    """The validator really validates: a wrong level and a raw space in a URI are caught."""
    log = json.loads(render(sample(), "sarif"))
    log["runs"][0]["results"][0]["level"] = "fatal"
    loc = log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["artifactLocation"]
    loc["uri"] = "has space.yaml"
    messages = [e.message for e in sarif_validator.iter_errors(log)]
    assert any("fatal" in m for m in messages)
    assert any("has space.yaml" in m for m in messages)


def test_sarif_structure():
    log = json.loads(render(sample(), "sarif", tool_version="9.9.9"))
    assert log["version"] == "2.1.0" and len(log["runs"]) == 1
    run = log["runs"][0]
    driver = run["tool"]["driver"]
    assert driver["name"] == "synthspec" and driver["version"] == "9.9.9"
    assert driver["informationUri"].startswith("https://")
    ids = [r["id"] for r in driver["rules"]]
    assert ids == sorted({d.code for d in sample()})  # results' and notifications' codes
    for rule in driver["rules"]:
        info = CODES[rule["id"]]
        assert rule["name"] == info.name
        assert rule["shortDescription"]["text"] == info.summary
        assert rule["helpUri"].endswith(f"docs/codes/{info.code}.md")
        assert rule["defaultConfiguration"]["level"] == sarif.LEVEL[info.severity]
    for res in run["results"]:
        assert ids[res["ruleIndex"]] == res["ruleId"]
    by_code = {r["ruleId"]: r for r in run["results"]}
    assert by_code["G013"]["level"] == "note" and by_code["L001"]["level"] == "warning"
    s001 = by_code["S001"]
    assert s001["message"]["text"] == "unknown key `colour` in table `users`\nhelp: did you mean `columns`?"
    assert s001["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "specs/shop.yaml", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 6, "startColumn": 5, "endLine": 6, "endColumn": 11},
    }
    rel = by_code["G001"]["relatedLocations"][0]
    assert rel["id"] == 1 and rel["message"]["text"] == "did you mean this table?"
    assert rel["physicalLocation"]["region"]["startLine"] == 3
    # GitHub rejects an upload with a location-less result: a file without a position is about the
    # whole file (line 1); a finding without a file is a notification of the invocation instead
    assert by_code["Y003"]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}
    assert all(r["locations"] and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
               for r in run["results"])
    assert "X002" not in by_code
    invocation = run["invocations"][0]
    assert invocation["executionSuccessful"] is False  # a tool-stage error: the analysis did not run
    assert invocation["toolExecutionNotifications"] == [{
        "associatedRule": {"id": "X002", "index": ids.index("X002")},
        "level": "error",
        "message": {"text": "unknown option `--colour`; did you mean `--color`?"},
    }]
    assert "properties" not in run  # nothing left out


def test_sarif_related_without_file_goes_into_the_message(sarif_validator):
    d = make("G005", "context cycle", span=Span(FILE, 3, 3), path=("tables", "users"),
             related=(Related(Span(), "users -> orders -> users"), Related(Span(FILE, 10, 3), "orders here")),
             help="break the cycle")
    log = json.loads(render([d], "sarif"))
    res = log["runs"][0]["results"][0]
    assert res["message"]["text"] == "context cycle\nnote: users -> orders -> users\nhelp: break the cycle"
    assert [r["message"]["text"] for r in res["relatedLocations"]] == ["orders here"]
    assert log["runs"][0]["invocations"] == [{"executionSuccessful": True}]
    _assert_valid(sarif_validator, log)


def test_sarif_uri_relative_to_base_dir_and_percent_encoded(tmp_path, sarif_validator):
    weird = tmp_path / "my specs" / "spéc:1%#.yaml"
    outside = "/elsewhere/a b.yaml"
    diags = [make("S001", "m", span=Span(str(weird), 1, 1)), make("S002", "n", span=Span(outside, 2, 1))]
    log = json.loads(render(diags, "sarif", base_dir=str(tmp_path)))
    locs = {r["ruleId"]: r["locations"][0]["physicalLocation"]["artifactLocation"] for r in log["runs"][0]["results"]}
    assert locs["S001"] == {"uri": "my%20specs/sp%C3%A9c%3A1%25%23.yaml", "uriBaseId": "%SRCROOT%"}
    assert locs["S002"] == {"uri": "file:///elsewhere/a%20b.yaml"}
    _assert_valid(sarif_validator, log)


def test_sarif_fingerprint_survives_line_moves():
    a = make("S001", "unknown key", span=Span(FILE, 6, 5, 6, 11), path=("tables", "users", "colour"))
    moved = make("S001", "unknown key", span=Span(FILE, 40, 9, 40, 15), path=("tables", "users", "colour"))
    other = make("S001", "unknown key", span=Span(FILE, 6, 5, 6, 11), path=("tables", "users", "color2"))

    def fp(d):
        return json.loads(render([d], "sarif"))["runs"][0]["results"][0]["partialFingerprints"]["synthspec/v1"]

    assert fp(a) == fp(moved)
    assert fp(a) != fp(other)
    assert re.fullmatch(r"[0-9a-f]{32}:1", fp(a))
    # same hash twice: told apart by the occurrence number
    twin = make("S001", "unknown key (again)", span=Span(FILE, 7, 5), path=("tables", "users", "colour"))
    fps = [r["partialFingerprints"]["synthspec/v1"] for r in json.loads(render([a, twin], "sarif"))["runs"][0]["results"]]
    assert fps[0].split(":")[0] == fps[1].split(":")[0] and {f[-2:] for f in fps} == {":1", ":2"}


def _many(n_err: int, n_warn: int, n_info: int, file: str = FILE) -> list:
    out = []
    for i in range(n_info):
        out.append(make("G013", f"info {i}", span=Span(file, i + 1, 1), path=("i", i)))
    for i in range(n_warn):
        out.append(make("L001", f"warning {i}", span=Span(file, i + 1, 2), path=("w", i)))
    for i in range(n_err):
        out.append(make("S001", f"error {i}", span=Span(file, i + 1, 3), path=("e", i)))
    return out


def test_sarif_truncates_least_severe_first(sarif_validator):
    diags = _many(3, 4, 5)
    out = sarif.build(diags, max_results=5)
    log = json.loads(out)
    run = log["runs"][0]
    levels = [r["level"] for r in run["results"]]
    assert sorted(levels) == ["error"] * 3 + ["warning"] * 2
    # kept results stay in canonical order (file, line, column)
    lines = [(r["locations"][0]["physicalLocation"]["region"]["startLine"],
              r["locations"][0]["physicalLocation"]["region"]["startColumn"]) for r in run["results"]]
    assert lines == sorted(lines)
    assert run["properties"] == {"resultsTotal": 12, "resultsOmitted": 7,
                                 "omittedBySeverity": {"error": 0, "warning": 2, "info": 5}}
    note = run["invocations"][0]["toolExecutionNotifications"][0]
    assert note["level"] == "warning" and note["message"]["text"].startswith("7 of 12 results were left out")
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == ["L001", "S001"]  # only codes used
    _assert_valid(sarif_validator, log)


def test_sarif_github_result_limit_is_25000():
    assert sarif.MAX_RESULTS == 25_000 and sarif.MAX_GZIP_BYTES <= 10 * 1024 * 1024
    diags = _many(2, 25_000, 0)
    log = json.loads(render(diags, "sarif"))
    run = log["runs"][0]
    assert len(run["results"]) == 25_000
    assert run["properties"]["resultsOmitted"] == 2
    assert run["properties"]["omittedBySeverity"] == {"error": 0, "warning": 2, "info": 0}
    assert sum(r["level"] == "error" for r in run["results"]) == 2


def test_sarif_gzip_size_limit():
    diags = _many(30, 30, 0)
    full = sarif.build(diags)
    limit = sarif.gzip_size(full) // 2
    out = sarif.build(diags, max_gzip_bytes=limit)
    assert sarif.gzip_size(out) <= limit
    assert len(gzip.compress(out.encode())) <= limit * 1.1  # independent of the helper's level
    run = json.loads(out)["runs"][0]
    kept = len(run["results"])
    assert 0 < kept < 60 and run["properties"]["resultsOmitted"] == 60 - kept
    # maximal: one more result would not fit
    assert sarif.gzip_size(sarif.build(diags, max_results=kept + 1)) > limit
    # the least severe went first
    assert kept > 30 or {r["level"] for r in run["results"]} == {"error"}


# --- github ---------------------------------------------------------------------------------

def test_github_escaping():
    assert gh.escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert gh.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    d = make("S001", "bad: 50%, really\n::error ::injected", span=Span("dir,x/a:b.yaml", 3, 4, 3, 9),
             help="fix it")
    out = render([d], "github")
    assert out == ("::error file=dir%2Cx/a%3Ab.yaml,line=3,col=4,endLine=3,endColumn=9,title=S001 unknown-key"
                   "::bad: 50%25, really%0A::error ::injected%0Ahelp: fix it\n")
    assert out.count("\n") == 1  # a message can never start a second command


def test_github_positions():
    multi = make("G013", "m", span=Span("a.yaml", 2, 3, 5, 1))
    assert render([multi], "github") == "::notice file=a.yaml,line=2,endLine=5,title=G013 disconnected-table::m\n"
    point = make("L001", "m", span=Span("a.yaml", 2, 3))
    assert render([point], "github") == "::warning file=a.yaml,line=2,col=3,title=L001 identifying-pii-modelled::m\n"
    nofile = make("X002", "m")
    assert render([nofile], "github") == "::error title=X002 usage::m\n"
    assert render([], "github") == ""


def test_github_at_most_10_per_type_most_severe_first():
    diags = _many(15, 12, 3)
    out = render(diags, "github").splitlines()
    kinds = [line.split(" ", 1)[0] for line in out[:-1]]
    assert kinds == ["::error"] * 10 + ["::warning"] * 10 + ["::notice"] * 3
    assert out[-1] == ("synthspec: 7 more findings not annotated (GitHub shows at most 10 per type); "
                       "see the step summary.")
    # within a type, canonical order
    errors = [line for line in out if line.startswith("::error")]
    assert [int(re.search(r"line=(\d+)", e).group(1)) for e in errors] == list(range(1, 11))
    one_more = render(_many(11, 0, 0), "github").splitlines()[-1]
    assert one_more.startswith("synthspec: 1 more finding not annotated")


def test_github_step_summary():
    diags = _many(15, 12, 3)
    full = github_step_summary(diags)
    assert full.startswith("### synthspec\n\n15 errors, 12 warnings, 3 infos.\n")
    rows = [line for line in full.splitlines() if line.startswith("| `")]
    assert len(rows) == 30
    assert rows[0].startswith("| `S001` unknown-key | error | `specs/shop.yaml:1:3` | error 0 |")
    omitted = github_step_summary(diags, omitted_only=True)
    assert len([line for line in omitted.splitlines() if line.startswith("| `")]) == 7
    assert "| error 9 |" not in omitted and "| error 10 |" in omitted and "| warning 10 |" in omitted
    assert github_step_summary(_many(1, 1, 1), omitted_only=True) == ""
    assert github_step_summary([]) == "### synthspec\n\nNo problems found.\n"


def test_github_step_summary_escapes_cells():
    d = make("S001", "a | b <script> *x* `keep|<this>`\nsecond", span=Span("we|ird`.yaml", 1, 1))
    row = next(line for line in github_step_summary([d]).splitlines() if line.startswith("| `S001`"))
    assert row == ("| `S001` unknown-key | error | ``we\\|ird`.yaml:1:1`` | "
                   "a \\| b &lt;script&gt; \\*x\\* `keep\\|<this>`<br>second |")


def test_github_step_summary_size_limit():
    diags = [make("S001", "x" * 2000 + f" {i}", span=Span(FILE, i + 1, 1), path=("p", i)) for i in range(1000)]
    text = github_step_summary(diags)
    assert len(text.encode()) <= gh.STEP_SUMMARY_MAX_BYTES
    listed = len([line for line in text.splitlines() if line.startswith("| `")])
    assert 0 < listed < 1000
    assert f"{1000 - listed} more findings not listed" in text


# --- docs -----------------------------------------------------------------------------------

DOC_EXAMPLES = {
    "text": lambda: render(doc_sample(), "text", sources=SOURCES),
    "json": lambda: render(doc_sample(), "json"),
    "sarif": lambda: render(doc_sample(), "sarif"),
    "github": lambda: render(doc_sample(), "github"),
    "github-summary": lambda: github_step_summary(doc_sample()),
}
_BLOCK = re.compile(r"(<!-- example: (?P<name>[a-z-]+) -->\n```[a-z]*\n)(?P<body>.*?)(```\n)", re.S)


def test_docs_examples_are_real_output():
    text = DOC.read_text(encoding="utf-8")
    found = {m.group("name") for m in _BLOCK.finditer(text)}
    assert found == set(DOC_EXAMPLES), f"doc example blocks: {sorted(found)}"
    if UPDATE:
        text = _BLOCK.sub(lambda m: m.group(1) + DOC_EXAMPLES[m.group("name")]() + m.group(4), text)
        DOC.write_text(text, encoding="utf-8")
    for m in _BLOCK.finditer(text):
        assert m.group("body") == DOC_EXAMPLES[m.group("name")](), f"docs example {m.group('name')} is stale"
    # the doc's spec excerpt is the spec the examples come from
    assert "```yaml\n" + SPEC + "```" in text
