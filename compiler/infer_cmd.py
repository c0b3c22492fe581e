"""``synthspec infer``: bootstrap a spec from data, or update an existing spec in place.

Two library functions (they never print, never exit) and the CLI glue :func:`main`:

* :func:`bootstrap_spec` reads every table of a source (a folder of Parquet/CSV files, a SQLite or a
  DuckDB file) with bounded, seeded samples (related tables sampled together), runs
  :func:`compiler.infer.infer_schema` and returns a complete spec as YAML text: sources, tables,
  primary keys (composite keys with a ``surrogate_key``), foreign keys with ``context``, roles when
  the evidence is strong, an explicit encoding and a PII tag for every column, and a short comment
  with the evidence for each choice (counts and shares only, never a value from the data).
* :func:`update_spec` loads a spec with ruamel's round-trip loader, samples its bound sources
  (binding rules of :func:`compiler.data._bind`), resolves every ``auto`` encoding, fills a missing
  ``primary_key`` and adds the data's columns that the spec does not list. Everything the user wrote
  stays byte for byte: the edits are made on the text at the positions ruamel reports (a token
  replaced, a comment appended, lines inserted), and the result is checked to mean exactly the
  original plus the edits. Where a text edit cannot be placed (flow-style tables or column maps), the
  edit is made on ruamel's tree and only the changed lines of its output are merged into the text.

The result of both is checked with :func:`compiler.api.compile_spec` (no data) before it is returned.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import io
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codes import make
from .diagnostics import Diagnostic, Severity, Span, has_errors

REPO_ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = REPO_ROOT / "schemas" / "spec-v1.json"
DEFAULT_ROWS = 10_000
#: PII that identifies a person on its own (the lint stage's L001 set): excluded by default
IDENTIFYING_PII = {"email", "phone", "national_id"}
#: an FK must be at least this confident for a role to be declared from it
ROLE_CONFIDENCE = 0.85
_AUTO = ("auto", "AUTO")
_PLAIN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}

EXIT_OK, EXIT_FINDINGS, EXIT_TOOL = 0, 1, 2
FIXABLE = "G007"


class InferError(Exception):
    """A bad argument to :func:`bootstrap_spec` (unknown source kind, invalid name)."""


# --- shared: encodings --------------------------------------------------------------------------------------------


def resolve_encoding(profile, *, is_child: bool, is_context: bool) -> tuple[str, str, str | None]:
    """The explicit encoding ``infer`` writes for a column: ``(friendly encoding, reason, pii tag)``.

    The same choice compile makes for ``auto`` (``compiler.data``): ``datetime_relative`` only on
    child tables that are not themselves a context, numeric-looking strings as categories; plus one
    guard compile applies to explicit encodings only: an encoding that would not fit the stored
    values (D003) falls back to ``categorical`` (``character`` beyond 1,000 distinct values).
    """
    from .data import _incompatible
    from .infer import infer_column
    from .spec import canonical_encoding

    inf = infer_column(profile, table_is_child=is_child)
    enc, reason = inf.encoding, inf.reason
    text_enc = "categorical" if profile.distinct <= 1000 else "character"
    if enc == "datetime_relative" and is_context:
        enc, reason = "datetime", f"{reason}; not relative: the table is a context"
    if inf.convert and enc not in ("datetime", "datetime_relative") and profile.physical == "string":
        enc, reason = text_enc, f"{reason}; stored as text"
    if _incompatible(canonical_encoding(enc), profile):
        enc, reason = text_enc, f"{reason}; stored as text the engine cannot read as {inf.encoding}"
    return enc, reason, inf.pii


def _scalar(s: str) -> str:
    """A YAML scalar for a name: plain when safe, else double-quoted."""
    if _PLAIN.fullmatch(s) and s.lower() not in _RESERVED:
        return s
    return json.dumps(s, ensure_ascii=False)


def _n(x: int) -> str:
    return f"{x:,}"


def _clean(text: str) -> str:
    """A reason as a one-line comment (no newlines, no stray comment markers)."""
    return " ".join(str(text).replace("#", "no.").split())


# --- sampling --------------------------------------------------------------------------------------------------


class _TableSet:
    """Several (source, table) pairs seen as one source, so :func:`sample_related` can span them."""

    def __init__(self, parts: dict[str, tuple[Any, str]]):
        self.parts = parts

    def sample(self, table, rows, seed, *, where_in=None):
        src, name = self.parts[table]
        return src.sample(name, rows, seed, where_in=where_in)


def _sample(source, tables: list[str], counts: dict[str, int], rows: int, seed: int, declared=None):
    """Sample every table; when tables are larger than the sample, resample related tables together.

    Returns ``(samples, schema)``; the schema comes from the final samples.
    """
    from .infer import infer_schema
    from .sources import sample_related

    samples = {t: source.sample(t, rows, seed) for t in tables}
    schema = infer_schema(samples, declared=declared, row_counts=counts)
    if any(counts[t] > len(samples[t]) for t in tables):
        ctx = [fk for fk in schema.foreign_keys if fk.is_context and not fk.is_self_reference]
        if ctx:
            samples = sample_related(source, tables, ctx, rows, seed)
            schema = infer_schema(samples, declared=declared, row_counts=counts)
    return samples, schema


# --- bootstrap ----------------------------------------------------------------------------------------------------


def source_kind(path: Path) -> str:
    """``files`` for a folder or a Parquet/CSV file, ``sqlite`` or ``duckdb`` for a database file."""
    from .sources import FileSource

    if path.is_dir():
        return "files"
    suffix = path.suffix.lower()
    if suffix in FileSource.SUFFIXES:
        return "files"
    try:
        head = path.open("rb").read(16)
    except OSError as exc:
        raise InferError(f"cannot read {path}: {exc.strerror or exc}") from None
    if head.startswith(b"SQLite format 3\x00"):
        return "sqlite"
    if head[8:12] == b"DUCK" or suffix in (".duckdb", ".ddb"):
        return "duckdb"
    raise InferError(f"{path} is neither a folder of Parquet/CSV files nor a SQLite or DuckDB file")


def _detect_csv_options(src, tables: list[str], rows: int, seed: int) -> tuple[dict, str | None]:
    """Reading options for the CSV files of a folder: delimiter, encoding and NULL tokens.

    The NULL tokens are those the reader itself would take for NULL in some column (a token that is the
    only non-numeric value of an otherwise numeric column, see ``compiler.sources``); writing them down
    makes every reader of the spec (compile, run) read the files the same way, in every column.
    """
    from .sources import ALWAYS_NULL, NULL_TOKEN_CANDIDATES, open_source

    csv_tables = [t for t in tables if src._fmt(t) == "csv"]
    if not csv_tables:
        return {}, None
    dialects = [src.dialect(t) for t in csv_tables]
    opts: dict[str, Any] = {}
    notes = []
    delims = {d.delimiter for d in dialects}
    if len(delims) == 1 and next(iter(delims)) != ",":
        opts["delimiter"] = next(iter(delims))
        notes.append("delimiter")
    encs = {d.encoding for d in dialects}
    if len(encs) == 1 and next(iter(encs)) not in ("utf-8", "utf-8-sig"):
        opts["encoding"] = next(iter(encs))
        notes.append("encoding")
    import pandas as pd

    raw = open_source("files", src.path, {**opts, "null_values": []})
    tokens: set[str] = set()
    columns = 0
    for t in csv_tables:
        df = raw.sample(t, rows, seed)
        for c in df.columns:
            s = df[c]
            if str(s.dtype) not in ("string", "object", "str"):
                continue
            v = s.dropna().astype(str)
            v = v[~v.isin(ALWAYS_NULL)]
            if not len(v):
                continue
            bad = v[pd.to_numeric(v.str.strip(), errors="coerce").isna()]
            found = set(bad.unique().tolist())
            if 0 < len(bad) < len(v) and found <= set(NULL_TOKEN_CANDIDATES):
                tokens |= found
                columns += 1
    raw.close()
    extra = tokens - set(ALWAYS_NULL)
    if extra:
        opts["null_values"] = sorted(set(ALWAYS_NULL) | extra)
        notes.append(f"NULL tokens seen in {columns} numeric column(s)")
    if not opts:
        return {}, None
    return opts, f"detected in {len(csv_tables)} CSV file(s): " + ", ".join(notes)


def _order(tables: list[str], fks) -> list[str]:
    """Parents first (every FK, self-references ignored), ties by name; cycles keep name order."""
    parents = {t: {fk.parent_table for fk in fks if fk.child_table == t and fk.parent_table != t} for t in tables}
    out: list[str] = []
    left = sorted(tables)
    while left:
        ready = [t for t in left if parents[t] <= set(out)] or [left[0]]
        out.append(ready[0])
        left.remove(ready[0])
    return out


def _fk_comment(fk, child_df) -> str:
    if fk.source == "declared":
        return "declared"
    if fk.inclusion is None:
        return _clean(fk.evidence)
    cols = list(fk.child_columns)
    distinct = len(child_df[cols].dropna().drop_duplicates()) if all(c in child_df for c in cols) else 0
    parent = f"{fk.parent_table}.{fk.parent_columns[0]}" if len(fk.parent_columns) == 1 else \
        f"{fk.parent_table}({', '.join(fk.parent_columns)})"
    what = "values" if len(cols) == 1 else "value tuples"
    msg = f"{fk.inclusion:.0%} of {_n(distinct)} distinct {what} found in {parent}, {_n(fk.orphan_values)} orphans"
    if fk.null_count:
        msg += f", {_n(fk.null_count)} nulls"
    if fk.is_self_reference:
        msg += "; a hierarchy (self-reference)"
    if fk.is_context and "; context: " in fk.evidence:
        msg += "; context: " + fk.evidence.split("; context: ", 1)[1]
    elif not fk.is_context and not fk.is_self_reference:
        msg += "; not context"
    return _clean(msg)


def _pk_comment(pk, t_inf) -> str:
    rows, total = t_inf.rows_sampled, t_inf.rows_total or t_inf.rows_sampled
    scope = f"{_n(rows)} of {_n(rows)} rows" if rows >= total else f"{_n(rows)} of {_n(rows)} sampled rows, " \
                                                                   f"{_n(total)} in all"
    if len(pk.columns) == 1:
        why = pk.evidence.split("; ", 1)[1] if "; " in pk.evidence else pk.evidence
        return _clean(f"unique, non-null, id-like ({scope}); {why}")
    return _clean(f"{pk.evidence} ({scope})")


def bootstrap_spec(source_path, *, name: str | None = None, rows: int = DEFAULT_ROWS, seed: int = 0,
                   spec_dir: str | Path | None = None) -> tuple[str, list[Diagnostic]]:
    """Infer a complete spec from the tables of a data source.

    Args:
        source_path: a folder of Parquet/CSV files (one table per file), one such file, or a SQLite /
            DuckDB database file.
        name: the spec's ``name`` (default: from the source's file or folder name).
        rows: rows sampled per table (bounded, seeded; related tables are sampled together).
        seed: the sampling seed.
        spec_dir: the folder the spec will be written to (default: the current folder); source paths
            and the ``$schema`` modeline are made relative to it.

    Returns:
        ``(yaml_text, diagnostics)``. The text is empty when nothing could be read (see the
        diagnostics). Diagnostics: D001 (a table or the source cannot be read), D042 (no primary key
        found for a table).

    Raises:
        InferError: the path is not a supported source, or ``name`` is not a valid spec name.
    """
    from ruamel.yaml.comments import CommentedMap as CM
    from ruamel.yaml.comments import CommentedSeq as CS

    from .model import find_project_root
    from .sources import SourceError, open_source

    src_path = Path(source_path)
    if not src_path.exists():
        raise InferError(f"{src_path} does not exist")
    kind = source_kind(src_path)
    spec_dir = Path(spec_dir or os.getcwd()).resolve()
    stem = src_path.resolve().stem if src_path.is_file() else src_path.resolve().name
    alias = re.sub(r"[^A-Za-z0-9_]", "_", stem).strip("_") or "data"
    if alias[0].isdigit():
        alias = "d_" + alias
    if name is None:
        name = alias[:64]
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}", name):
        raise InferError(f"invalid spec name {name!r}: a letter or _, then up to 63 letters, digits, _ . -")
    rows = int(rows or DEFAULT_ROWS)
    if rows < 1:
        raise InferError("--rows must be at least 1")
    display = str(src_path)
    diags: list[Diagnostic] = []

    # 1. Open the source; for files, detect CSV reading options first so sampling reads as compile will.
    folder = src_path if (kind != "files" or src_path.is_dir()) else src_path.parent
    csv_opts, csv_note = {}, None
    try:
        src = open_source(kind, folder if kind == "files" else src_path)
        tables = src.tables() if not (kind == "files" and src_path.is_file()) else [src_path.stem]
        if kind == "files":
            csv_opts, csv_note = _detect_csv_options(src, tables, rows, seed)
            if csv_opts:
                src.close()
                src = open_source(kind, folder, csv_opts)
    except (SourceError, OSError) as exc:
        return "", [make("D001", f"cannot read {display}: {exc}", span=Span(file=display))]
    if not tables:
        return "", [make("D001", f"no tables found in {display}", span=Span(file=display),
                         help="a folder needs .parquet/.csv files; a database needs at least one table")]

    # 2. Row counts, samples, inference.
    counts: dict[str, int] = {}
    readable = []
    for t in tables:
        try:
            counts[t] = src.row_count(t)
            readable.append(t)
        except Exception as exc:  # noqa: BLE001 — one unreadable table is a finding, not a crash
            diags.append(make("D001", f"cannot read table `{t}` of {display}: {type(exc).__name__}: {exc}",
                              span=Span(file=display)))
    if not readable:
        src.close()
        return "", diags
    try:
        samples, schema = _sample(src, readable, counts, rows, seed)
    except Exception as exc:  # noqa: BLE001
        src.close()
        return "", diags + [make("D001", f"cannot sample {display}: {type(exc).__name__}: {exc}",
                                 span=Span(file=display))]
    src.close()

    # 3. Keys the compiler would reject are settled here (G015 shared FK columns, G008 PK = FK).
    fks = list(schema.foreign_keys)
    pks = {t: tuple(schema.tables[t].primary_key.columns or ()) for t in readable}
    notes: dict[str, list[str]] = {t: [] for t in readable}
    kept = []
    for fk in sorted(fks, key=lambda f: (not f.is_context, -len(f.child_columns), -f.confidence)):
        if any(set(fk.child_columns) & set(k.child_columns) for k in kept if k.child_table == fk.child_table):
            continue
        kept.append(fk)
    fks = [fk for fk in fks if fk in kept]
    referenced = {fk.parent_table for fk in fks if not fk.is_self_reference}
    for t in readable:
        pk = pks[t]
        for fk in [f for f in fks if f.child_table == t]:
            if pk and ((len(pk) == 1 and pk[0] in fk.child_columns) or set(fk.child_columns) == set(pk)):
                if t in referenced:
                    fks.remove(fk)
                    notes[t].append(f"`{', '.join(fk.child_columns)}` also references {fk.parent_table} "
                                    "(a key cannot be both primary and foreign)")
                else:
                    pks[t] = ()
                    notes[t].append("1:1 extension: its key is a foreign key, so no primary key")
                    fks = [f for f in fks if not (f.child_table == t and f.is_self_reference)]
                break
    ctx_child = {fk.child_table for fk in fks if fk.is_context}
    ctx_parent = {fk.parent_table for fk in fks if fk.is_context}

    # 4. Build the spec.
    source_abs = (folder if kind == "files" else src_path).resolve()
    rel = Path(os.path.relpath(source_abs, spec_dir)).as_posix()
    src_cm = CM()
    src_cm["kind"] = kind
    src_cm["path"] = rel
    if kind == "files" and csv_opts:
        src_cm["format"] = "auto"
        src_cm["csv"] = CM(csv_opts)
        src_cm["csv"].fa.set_flow_style()
        if "null_values" in csv_opts:
            nv = CS(csv_opts["null_values"])
            nv.fa.set_flow_style()
            src_cm["csv"]["null_values"] = nv
    if rows != DEFAULT_ROWS or seed != 0:
        src_cm["sample"] = CM(rows=rows, seed=seed)
        src_cm["sample"].fa.set_flow_style()
    root_dir = find_project_root(spec_dir)
    try:
        source_abs.relative_to(root_dir)
    except ValueError:
        src_cm["allow_outside_root"] = True
    src_cm.fa.set_flow_style()
    sources = CM()
    sources[alias] = src_cm
    src_comment = f"{len(readable)} table(s)"
    if csv_note:
        src_comment += f"; csv options {csv_note}"
    sources.yaml_add_eol_comment(src_comment, alias)

    tables_cm = CM()
    sizes = CM()
    order = _order(readable, fks)
    for i, t in enumerate(order):
        ti = schema.tables[t]
        df = samples[t]
        tm = CM()
        t_fks = [fk for fk in fks if fk.child_table == t]
        roles = (["linked"] if t in ctx_child else ["subject"]) + (["context"] if t in ctx_parent else [])
        role_fks = [fk for fk in fks if fk.is_context and t in (fk.child_table, fk.parent_table)]
        if role_fks and all(fk.confidence >= ROLE_CONFIDENCE for fk in role_fks):
            if len(roles) == 1:
                tm["role"] = roles[0]
            else:
                r = CS(roles)
                r.fa.set_flow_style()
                tm["role"] = r
            tm.yaml_add_eol_comment(f"from {len(role_fks)} context foreign key(s)", "role")
        if kind == "files":
            tm["source"] = f"{alias}/{src._file(t).name}" if hasattr(src, "_file") else f"{alias}/{t}"
        else:
            tm["source"] = f"{alias}/{t}"
        pk = pks[t]
        if pk:
            tm["primary_key"] = pk[0] if len(pk) == 1 else _flow_seq(CS, pk)
            tm.yaml_add_eol_comment(_pk_comment(ti.primary_key, ti), "primary_key")
            if len(pk) > 1:
                sur = "__".join(pk)
                while sur in df.columns:
                    sur += "_"
                tm["surrogate_key"] = sur
        elif not notes[t]:
            diags.append(make("D042", f"no primary key found for `{t}`: {ti.primary_key.evidence}",
                              span=Span(file=display),
                              help="declare one if the table has a key the sample could not show; a table "
                                   "without one cannot be referenced by a foreign key"))
            notes[t].append("no primary key found: no unique, non-null, id-like column or column set")
        if t_fks:
            seq = CS()
            for j, fk in enumerate(t_fks):
                e = CM()
                e["columns"] = fk.child_columns[0] if len(fk.child_columns) == 1 else _flow_seq(CS, fk.child_columns)
                e["references"] = fk.parent_table
                e["context"] = bool(fk.is_context)
                e.fa.set_flow_style()
                seq.append(e)
                seq.yaml_add_eol_comment(_fk_comment(fk, df), j)
            tm["foreign_keys"] = seq
        keys = set(pk) | {c for fk in t_fks for c in fk.child_columns}
        cols = CM()
        for c in df.columns:
            if c in keys:
                continue
            enc, reason, pii = resolve_encoding(ti.profile.columns[c], is_child=t in ctx_child,
                                                is_context=t in ctx_parent)
            e = CM()
            e["encoding"] = enc
            if pii:
                e["pii"] = pii
            if pii in IDENTIFYING_PII:
                e["fake"] = True
                reason += f"; identifying ({pii}): not modelled, faked after generation"
            e.fa.set_flow_style()
            cols[str(c)] = e
            cols.yaml_add_eol_comment(_clean(reason), str(c))
        tm["columns"] = cols
        if notes[t]:
            tm.yaml_set_comment_before_after_key("columns", before="; ".join(notes[t]), indent=4)
        tables_cm[t] = tm
        if i:
            tables_cm.yaml_set_comment_before_after_key(t, before="\n")
        if "linked" not in roles:
            sizes[t] = int(counts[t])

    root = CM()
    root["spec_version"] = 1
    root["name"] = name
    root["sources"] = sources
    root["tables"] = tables_cm
    if sizes:
        sizes.fa.set_flow_style()
        root["generation"] = CM(size=sizes)
        root["generation"].yaml_add_eol_comment("subject tables: rows in the source", "size")
    for k in ("sources", "tables", "generation"):
        if k in root:
            root.yaml_set_comment_before_after_key(k, before="\n")

    schema_rel = Path(os.path.relpath(SCHEMA_FILE, spec_dir)).as_posix()
    sampled = "all rows" if all(counts[t] <= len(samples[t]) for t in readable) else \
        f"samples of up to {_n(rows)} rows, seed {seed}"
    head = (f"# yaml-language-server: $schema={schema_rel}\n"
            f"# Inferred by `synthspec infer` from {len(readable)} table(s) ({sampled}).\n"
            "# Comments give the evidence for each choice; review the keys and roles before you rely on them.\n")
    return head + _dump(root), diags


def _flow_seq(CS, items):
    s = CS(list(items))
    s.fa.set_flow_style()
    return s


def _dump(root) -> str:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096
    buf = io.StringIO()
    y.dump(root, buf)
    # ruamel aligns a comment to the one above it (one space when the line is longer): two spaces, always
    out = []
    for line in buf.getvalue().splitlines(keepends=True):
        i = _comment_start(line)
        if i > 0 and line[:i].strip():
            line = line[:i].rstrip() + "  " + line[i:]
        out.append(line)
    return "".join(out)


def _comment_start(line: str, start: int = 0) -> int:
    """Index of the ``#`` that starts a comment in ``line`` after ``start`` (quotes respected), or -1."""
    q = None
    prev = " "
    for i in range(start, len(line)):
        ch = line[i]
        if q:
            if ch == q:
                q = None
        elif ch in "\"'" and prev in " ,{[:":
            q = ch
        elif ch == "#" and prev in " \t":
            return i
        prev = ch
    return -1


# --- update ---------------------------------------------------------------------------------------------------


@dataclass
class SpecUpdate:
    """What :func:`plan_update` found: the old and new text, the changes and the diagnostics."""

    path: Path
    old_text: str
    new_text: str
    sha256: str  # of the file's bytes when it was read
    diagnostics: list[Diagnostic] = field(default_factory=list)
    resolved: int = 0
    keys_added: int = 0
    columns_added: int = 0
    bom: bool = False

    @property
    def changed(self) -> bool:
        return self.new_text != self.old_text

    def diff(self) -> str:
        """A unified diff old → new (empty when nothing changed)."""
        name = str(self.path)
        return "".join(difflib.unified_diff(self.old_text.splitlines(keepends=True),
                                            self.new_text.splitlines(keepends=True),
                                            fromfile=f"a/{name}", tofile=f"b/{name}"))


@dataclass
class _ColAdd:
    name: str
    encoding: str
    pii: str | None
    exclude: bool
    comment: str


@dataclass
class _Plan:
    """The edits for one table."""

    autos: list[tuple[str, str, str]] = field(default_factory=list)  # (column, encoding, comment)
    pk: tuple[str, ...] = ()
    pk_comment: str = ""
    surrogate: str | None = None
    add: list[_ColAdd] = field(default_factory=list)


def update_spec(spec_path, *, rows: int | None = None, seed: int | None = None) -> tuple[str, list[Diagnostic]]:
    """Resolve ``auto`` encodings, fill a missing ``primary_key`` and add missing columns of a spec.

    Nothing the user wrote changes: keys, encodings, excludes, order, comments, quoting, blank lines,
    flow/block styles stay as they are; only the edited lines differ. The caller writes the text.

    Args:
        spec_path: the spec file.
        rows: rows sampled per table (default: the source's ``sample.rows``, else 10,000).
        seed: sampling seed (default: the source's ``sample.seed``, else 0).

    Returns:
        ``(new_text, diagnostics)``. When the spec has errors, the text is unchanged and the
        diagnostics hold the errors. Diagnostics: D004 (an ``auto`` resolved), D010 (a primary key
        added), D041 (columns added), D042 (no primary key found), D001/D002 (a source that cannot be
        read or does not exist).
    """
    up = plan_update(spec_path, rows=rows, seed=seed)
    return up.new_text, up.diagnostics


def plan_update(spec_path, *, rows: int | None = None, seed: int | None = None) -> SpecUpdate:
    """Like :func:`update_spec`, with the details (old text, sha256 of what was read, counts, diff)."""
    from .api import _display, compile_spec
    from .load import load_text

    path = Path(spec_path)
    raw = path.read_bytes()
    sha = hashlib.sha256(raw).hexdigest()
    bom = raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    up = SpecUpdate(path=path, old_text=text, new_text=text, sha256=sha, bom=bom)
    shown = _display(path)
    doc, ld = load_text(text, shown)
    if doc is None or has_errors(ld):
        up.diagnostics = ld
        return up
    res = compile_spec(doc, use_data=False, emit=False)
    errors = [d for d in res.diagnostics if d.severity >= Severity.ERROR]
    # A foreign key to a table without a primary key (G007) is what filling the key repairs: go on, and
    # report the errors only if the updated spec still has them.
    fixable = bool(errors) and res.model is not None and all(d.code == FIXABLE for d in errors)
    if (errors and not fixable) or res.model is None:
        up.diagnostics = errors
        return up
    model = res.model
    plans, diags = _plan(model, rows, seed)
    up.diagnostics = diags
    if not any(p.autos or p.pk or p.add for p in plans.values()):
        if fixable:
            up.diagnostics = errors + [d for d in diags if d.severity >= Severity.ERROR]
        return up
    new = _apply_edits(text, doc.data, plans)
    if new is None:
        up.diagnostics.append(make("X001", "internal error: infer could not apply its edits without changing "
                                           "other parts of the spec; nothing was changed", span=Span(file=shown),
                                   help="this is a bug in synthspec; please report it with the spec"))
        return up
    check = compile_spec(load_text(new, shown)[0], use_data=False, emit=False)
    if has_errors(check.diagnostics) and fixable:
        up.diagnostics = errors + [d for d in diags if d.severity >= Severity.ERROR]
        return up
    if has_errors(check.diagnostics):
        bad = next(d for d in check.diagnostics if d.severity >= Severity.ERROR)
        up.diagnostics.append(make("X001", f"internal error: the updated spec would not compile ({bad.code} "
                                           f"{bad.message}); nothing was changed", span=Span(file=shown),
                                   help="this is a bug in synthspec; please report it with the spec"))
        return up
    up.new_text = new
    up.resolved = sum(len(p.autos) for p in plans.values())
    up.keys_added = sum(1 for p in plans.values() if p.pk)
    up.columns_added = sum(len(p.add) for p in plans.values())
    return up


def _bound_samples(model, rows, seed):
    """Sample every table whose source is bound and exists (related tables together)."""
    from .data import _bind
    from .sources import SourceError, open_source

    doc = model.doc
    diags: list[Diagnostic] = []
    opened: dict[tuple, Any] = {}
    parts: dict[str, tuple[Any, str]] = {}
    counts: dict[str, int] = {}
    eff_rows, eff_seed = rows, seed
    for name in model.order or list(model.tables):
        t = model.tables[name]
        b = _bind(model, t, None)
        if b is None:
            continue
        kind, path, tbl, opts = b
        spath = t.path + ("source",)
        if not Path(path).exists():
            diags.append(make("D002", f"source of `{name}` not found: {path}; left as it is",
                              span=doc.locate(spath), path=spath))
            continue
        try:
            k = (kind, str(path), json.dumps(opts, sort_keys=True))
            if k not in opened:
                opened[k] = open_source(kind, Path(path), opts)
            counts[name] = opened[k].row_count(tbl)
            parts[name] = (opened[k], tbl)
        except (SourceError, Exception) as exc:  # noqa: BLE001 — a located finding, not a crash
            diags.append(make("D001", f"cannot read the source of `{name}`: {exc}", span=doc.locate(spath),
                              path=spath))
            continue
        if eff_rows is None and t.source:
            eff_rows = t.source.sample_rows
        if eff_seed is None and t.source:
            eff_seed = t.source.sample_seed
    return parts, counts, diags, (eff_rows or DEFAULT_ROWS, eff_seed or 0), opened


def _plan(model, rows, seed) -> tuple[dict[str, _Plan], list[Diagnostic]]:
    from .infer import infer_schema
    from .sources import sample_related

    doc = model.doc
    parts, counts, diags, (rows, seed), opened = _bound_samples(model, rows, seed)
    plans: dict[str, _Plan] = {}
    if not parts:
        return plans, diags
    names = list(parts)
    # Declared keys steer sampling and inference; keys naming columns the data lacks are left out
    # (compile reports them as D009).
    try:
        tset = _TableSet(parts)
        ctx = [{"child_table": t, "child_columns": list(fk.columns), "parent_table": fk.references,
                "parent_columns": list(model.tables[fk.references].primary_key), "is_context": True}
               for t in names for fk in model.tables[t].foreign_keys
               if fk.context and fk.references in parts and model.tables[fk.references].primary_key]
        if ctx and any(counts[t] > rows for t in names):
            samples = sample_related(tset, names, ctx, rows, seed)
        else:
            samples = {t: tset.sample(t, rows, seed) for t in names}
    except Exception as exc:  # noqa: BLE001
        for t in names:
            diags.append(make("D001", f"cannot sample the source of `{t}`: {type(exc).__name__}: {exc}",
                              span=doc.locate(model.tables[t].path + ("source",))))
        return plans, diags
    finally:
        for s in opened.values():
            try:
                s.close()
            except Exception:  # noqa: BLE001
                pass
    declared = {}
    for t in names:
        ir = model.tables[t]
        have = set(samples[t].columns)
        d: dict[str, Any] = {"primary_key": list(ir.primary_key) if ir.primary_key and set(ir.primary_key) <= have
                             else None, "foreign_keys": []}
        for fk in ir.foreign_keys:
            parent = model.tables.get(fk.references)
            if fk.references in samples and parent and parent.primary_key and set(fk.columns) <= have \
                    and set(parent.primary_key) <= set(samples[fk.references].columns):
                d["foreign_keys"].append({"columns": list(fk.columns), "references": fk.references,
                                          "referenced_columns": list(parent.primary_key), "context": fk.context})
        declared[t] = d
    schema = infer_schema(samples, declared=declared, row_counts=counts)

    raw_tables = doc.data.get("tables") or {}
    for t in names:
        ir = model.tables[t]
        ti = schema.tables[t]
        raw = raw_tables.get(t) or {}
        raw_cols = raw.get("columns") or {}
        plan = _Plan()
        df_cols = [str(c) for c in samples[t].columns]
        is_child = ir.context_fk is not None
        is_context = "context" in model.roles.get(t, ())
        fk_cols = {c for fk in ir.foreign_keys for c in fk.columns}
        # 2. A missing primary key (never one that would clash with what the user wrote).
        pk = tuple(ti.primary_key.columns or ())
        if "primary_key" not in raw:
            ok = bool(pk) and ti.primary_key.source == "inferred" and not (set(pk) & fk_cols)
            for c in pk:
                e = raw_cols.get(c)
                if c in raw_cols and not (e in _AUTO or (isinstance(e, dict) and not e.get("exclude")
                                                         and e.get("encoding", "auto") in _AUTO)):
                    ok = False
            if ok and len(pk) > 1:
                sur = raw.get("surrogate_key") or "__".join(pk)
                while sur in raw_cols or sur in df_cols:
                    sur += "_"
                plan.surrogate = None if raw.get("surrogate_key") else sur
            if ok:
                plan.pk = pk
                plan.pk_comment = _pk_comment(ti.primary_key, ti)
                ppath = ir.path + ("primary_key",)
                diags.append(make("D010", f"`{t}`: primary key {', '.join(pk)} inferred and added "
                                          f"({plan.pk_comment})", span=doc.locate(ir.path, key=True), path=ppath))
            elif not pk:
                diags.append(make("D042", f"no primary key found for `{t}`: {ti.primary_key.evidence}",
                                  span=doc.locate(ir.path, key=True), path=ir.path,
                                  help="declare one if the table has a key the sample could not show"))
        keys = set(ir.primary_key) | set(plan.pk) | fk_cols
        prof = ti.profile.columns
        # 1. auto → the inferred encoding (key and excluded columns are not modelled: left alone).
        for c, e in raw_cols.items():
            if c in keys or c not in prof:
                continue
            if e in _AUTO or (isinstance(e, dict) and not e.get("exclude") and e.get("encoding", "auto") in _AUTO):
                enc, reason, pii = resolve_encoding(prof[c], is_child=is_child, is_context=is_context)
                note = _clean(reason + (f"; looks like pii: {pii}" if pii and not
                                        (isinstance(e, dict) and e.get("pii")) else ""))
                plan.autos.append((c, enc, note))
                cpath = ir.path + ("columns", c)
                diags.append(make("D004", f"`{t}.{c}` resolved from `auto` to `{enc}` ({_clean(reason)})",
                                  span=doc.locate(cpath + (("encoding",) if isinstance(e, dict) and "encoding" in e
                                                          else ())), path=cpath, severity=Severity.INFO))
        # 3. Columns in the data that the spec does not list.
        for c in df_cols:
            if c in raw_cols or c in keys:
                continue
            enc, reason, pii = resolve_encoding(prof[c], is_child=is_child, is_context=is_context)
            excl = pii in IDENTIFYING_PII
            if excl:
                reason += f"; identifying ({pii}): not modelled, faked after generation"
            plan.add.append(_ColAdd(c, enc, pii, excl, _clean(reason)))
        if plan.add:
            diags.append(make("D041", f"{len(plan.add)} column(s) of `{t}` found in the data added to the spec: "
                                      f"{', '.join(a.name for a in plan.add)}",
                              span=doc.locate(ir.path, key=True), path=ir.path + ("columns",)))
        plans[t] = plan
    return plans, diags


# --- applying the edits ---------------------------------------------------------------------------------------


def _expected(data: dict, plans: dict[str, _Plan], styles: dict[str, str]) -> dict:
    """The spec's data with the edits applied (what the edited text must load to)."""
    out = copy.deepcopy(data)
    for t, p in plans.items():
        tm = out["tables"][t]
        cols = tm.get("columns")
        for c, enc, _ in p.autos:
            e = cols[c]
            if isinstance(e, dict):
                e["encoding"] = enc
            else:
                cols[c] = enc
        if p.pk:
            tm["primary_key"] = p.pk[0] if len(p.pk) == 1 else list(p.pk)
            if p.surrogate:
                tm["surrogate_key"] = p.surrogate
        if p.add:
            if tm.get("columns") is None:
                tm["columns"] = {}
            for a in p.add:
                tm["columns"][a.name] = _entry_data(a, styles[t])
    return out


def _entry_data(a: _ColAdd, style: str):
    if style == "short" and not a.pii and not a.exclude:
        return a.encoding
    e: dict[str, Any] = {"encoding": a.encoding}
    if a.pii:
        e["pii"] = a.pii
    if a.exclude:  # identifying PII: left out of the model, filled with fake values by `run`
        e["fake"] = True
    return e


def _entry_text(a: _ColAdd, style: str) -> str:
    d = _entry_data(a, style)
    if isinstance(d, str):
        return d
    return "{" + ", ".join(f"{k}: {'true' if v is True else v}" for k, v in d.items()) + "}"


def _apply_edits(text: str, data: dict, plans: dict[str, _Plan]) -> str | None:
    """Edit the text; verify it loads to exactly the expected data.

    Each edit is made on the text where it can be (a token replaced, a comment appended, lines
    inserted); the rest (inside flow-style tables or column maps) is made on ruamel's tree, and only
    the lines that changed in ruamel's output are merged into the text.
    """
    from .load import load_text

    styles = {t: _column_style(data["tables"][t].get("columns")) for t in plans}
    want = _expected(data, plans, styles)
    crlf = "\r\n" in text and text.count("\r\n") == text.count("\n")
    if crlf:  # edit with \n (as ruamel writes), give the file its \r\n back
        text = text.replace("\r\n", "\n")
    text1, rest = _edit_text(text, plans, styles)
    new = text1
    if any(p.autos or p.pk or p.add for p in rest.values()):
        new = _edit_tree(text1, rest, styles)
    if new is None:
        return None
    if crlf:
        new = new.replace("\n", "\r\n")
    doc, _ = load_text(new, "<infer>")
    return new if doc is not None and doc.data == want else None


def _column_style(cols) -> str:
    """``short`` when most listed columns are written `col: encoding`, else ``map``."""
    if not isinstance(cols, dict) or not cols:
        return "map"
    short = sum(isinstance(v, str) for v in cols.values())
    return "short" if short * 2 > len(cols) else "map"


def _rt_load(text: str):
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.preserve_quotes = True
    return y.load(text)


def _is_content(line: str) -> bool:
    s = line.strip()
    return bool(s) and not s.startswith("#")


def _indent_of(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _has_comment(line: str, start: int) -> bool:
    """Whether ``line`` has a comment after column ``start`` (quotes respected)."""
    return _comment_start(line, start) >= 0


def _append_comment(line: str, comment: str) -> str:
    nl = "\r\n" if line.endswith("\r\n") else ("\n" if line.endswith("\n") else "")
    body = line[: len(line) - len(nl)].rstrip()
    return f"{body}  # {comment}{nl}"


def _block_end(lines: list[str], first: int, indent: int) -> int:
    """Index of the last content line of the block entry starting at line ``first`` (its key at ``indent``)."""
    last = first
    for i in range(first + 1, len(lines)):
        ln = lines[i]
        if not _is_content(ln):
            continue
        if _indent_of(ln) <= indent:
            break
        last = i
    return last


_AUTO_TOKEN = re.compile(r"([\"']?)(auto|AUTO)\1")


def _edit_text(text: str, plans: dict[str, _Plan], styles: dict[str, str]) -> tuple[str, dict[str, _Plan]]:
    """Edit the original lines in place at the positions ruamel reports.

    Returns the edited text and the edits that could not be placed on the text (for :func:`_edit_tree`).
    """
    root = _rt_load(text)
    lines = text.splitlines(keepends=True)
    no_final_nl = bool(lines) and not lines[-1].endswith(("\n", "\r"))
    if no_final_nl:
        lines[-1] += "\n"
    nl = "\r\n" if text.count("\r\n") * 2 > text.count("\n") else "\n"
    tables = root["tables"]
    step = _step(root)
    replace: list[tuple[int, int, int, str]] = []  # (line, start, end, text)
    comments: dict[int, str] = {}
    inserts: list[tuple[int, int, list[str]]] = []  # (after line, order, lines)
    rest: dict[str, _Plan] = {}
    for t, p in plans.items():
        r = rest.setdefault(t, _Plan())
        tm = tables[t]
        flow_table = tm.fa.flow_style()
        keys = list(tm.keys())
        t_line = tables.lc.key(t)[0]
        kind = tm.lc.key(keys[0])[1] if keys else None
        cols = tm.get("columns")
        for c, enc, note in p.autos:
            e = cols[c]
            if isinstance(e, str):
                line, col = cols.lc.value(c)
            elif isinstance(e, dict) and "encoding" in e:
                line, col = e.lc.value("encoding")
            elif isinstance(e, dict) and e.fa.flow_style():  # `{pii: name}`: `encoding` goes first
                line, col = cols.lc.value(c)
                if not lines[line].startswith("{", col):
                    r.autos.append((c, enc, note))
                    continue
                replace.append((line, col + 1, col + 1, f"encoding: {enc}" + (", " if len(e) else "")))
                if "}" in lines[line][col:] and not _has_comment(lines[line], col) and not _in_flow(cols, tm, tables):
                    comments[line] = note
                continue
            elif isinstance(e, dict) and len(e):  # a block mapping without `encoding`: a first line
                kl, kc = e.lc.key(next(iter(e)))
                inserts.append((kl - 1, 2, [f"{' ' * kc}encoding: {enc}  # {note}{nl}"]))
                continue
            else:
                r.autos.append((c, enc, note))
                continue
            m = _AUTO_TOKEN.match(lines[line], col)
            if not m:
                r.autos.append((c, enc, note))
                continue
            replace.append((line, m.start(2), m.end(2), enc))
            ends_here = isinstance(e, str) or not e.fa.flow_style() or "}" in lines[line][m.end():]
            if ends_here and not _has_comment(lines[line], m.end()) and not _in_flow(cols, tm, tables):
                comments[line] = note
        if p.pk:
            if flow_table or kind is None:
                r.pk, r.pk_comment, r.surrogate = p.pk, p.pk_comment, p.surrogate
            else:
                after = None
                for k in keys:
                    if k in ("surrogate_key", "foreign_keys", "columns", "training"):
                        kl = tm.lc.key(k)[0]
                        prev = [i for i in range(t_line + 1, kl) if _is_content(lines[i])]
                        after = prev[-1] if prev else t_line
                        break
                if after is None:
                    after = _block_end(lines, tm.lc.key(keys[-1])[0], kind)
                pk_val = _scalar(p.pk[0]) if len(p.pk) == 1 else "[" + ", ".join(_scalar(c) for c in p.pk) + "]"
                new = [f"{' ' * kind}primary_key: {pk_val}  # {p.pk_comment}{nl}"]
                if p.surrogate:
                    new.append(f"{' ' * kind}surrogate_key: {_scalar(p.surrogate)}{nl}")
                inserts.append((after, 0, new))
        if p.add:
            style = styles[t]
            vcol = None
            if flow_table or kind is None or (cols is not None and (not isinstance(cols, dict) or cols.fa.flow_style())):
                r.add = list(p.add)
                continue
            if cols is None and "columns" in tm:  # `columns:` with nothing under it
                after, cind, new = tm.lc.key("columns")[0], kind + step, []
            elif cols is None:
                after = _block_end(lines, tm.lc.key(keys[-1])[0], kind)
                cind, new = kind + step, [f"{' ' * kind}columns:{nl}"]
            else:
                ckeys = list(cols.keys())
                cind = cols.lc.key(ckeys[0])[1]
                last = ckeys[-1]
                after = _block_end(lines, cols.lc.key(last)[0], cind)
                (kl, kc), (vl, vc) = cols.lc.key(last), cols.lc.value(last)
                if vl == kl and lines[vl][vc - 2:vc] == "  ":
                    vcol = vc  # the values are aligned: align the new ones too
                new = []
            for a in p.add:
                key = _scalar(a.name)
                pad = " " * (max(1, vcol - cind - len(key) - 1) if vcol else 1)
                new.append(f"{' ' * cind}{key}:{pad}{_entry_text(a, style)}  # {a.comment}{nl}")
            inserts.append((after, 1, new))
    by_line: dict[int, list] = {}
    for rep in replace:
        by_line.setdefault(rep[0], []).append(rep)
    for line, reps in by_line.items():
        s = lines[line]
        for _, a, b, new in sorted(reps, key=lambda x: -x[1]):
            s = s[:a] + new + s[b:]
        lines[line] = s
    for line, note in comments.items():
        lines[line] = _append_comment(lines[line], note)
    for after, _, new in sorted(inserts, key=lambda x: (-x[0], -x[1])):
        lines[after + 1:after + 1] = new
    out = "".join(lines)
    if no_final_nl and out.endswith("\n"):
        out = out[:-1]  # keep the file's missing final newline
    return out, rest


def _in_flow(*maps) -> bool:
    return any(getattr(m, "fa", None) is not None and m.fa.flow_style() for m in maps)


def _step(root) -> int:
    """The document's mapping indentation step (2 when it cannot be seen)."""
    for t, tm in root["tables"].items():
        if hasattr(tm, "lc") and not tm.fa.flow_style() and len(tm):
            return max(1, tm.lc.key(next(iter(tm)))[1] - root["tables"].lc.key(t)[1])
    return 2


def _seq_offset(text: str, step: int) -> int:
    """How far a block sequence's dash sits right of its parent key (``foreign_keys:``)."""
    lines = text.splitlines()
    for i, ln in enumerate(lines):
        s = ln.lstrip(" ")
        if s.startswith("- ") and i:
            prev = next((lines[j] for j in range(i - 1, -1, -1) if _is_content(lines[j])), None)
            if prev is not None and prev.rstrip().endswith(":"):
                return max(0, _indent_of(ln) - _indent_of(prev))
    return step


def _edit_tree(text: str, plans: dict[str, _Plan], styles: dict[str, str]) -> str | None:
    """Edit ruamel's tree, dump it, and merge only the changed lines into the text."""
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap as CM
    from ruamel.yaml.comments import CommentedSeq as CS

    probe = _rt_load(text)
    step = _step(probe)
    off = _seq_offset(text, step)
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.indent(mapping=step, sequence=off + 2, offset=off)
    y.width = 4096

    def dump(obj) -> str:
        buf = io.StringIO()
        y.dump(obj, buf)
        return buf.getvalue()

    base = dump(y.load(text))
    root = y.load(text)
    for t, p in plans.items():
        tm = root["tables"][t]
        cols = tm.get("columns")
        for c, enc, note in p.autos:
            e = cols[c]
            if isinstance(e, dict):
                if "encoding" in e:
                    e["encoding"] = enc
                else:
                    e.insert(0, "encoding", enc)
            else:
                cols[c] = enc
            if not _in_flow(cols, tm) and not (c in cols.ca.items and cols.ca.items[c][2] if
                                              len(cols.ca.items.get(c, ())) > 2 else False):
                if isinstance(e, dict) and not e.fa.flow_style():
                    e.yaml_add_eol_comment(note, "encoding")
                else:
                    cols.yaml_add_eol_comment(note, c)
        if p.pk:
            keys = list(tm.keys())
            pos = next((i for i, k in enumerate(keys) if k in ("surrogate_key", "foreign_keys", "columns",
                                                                "training")), len(keys))
            val: Any = p.pk[0]
            if len(p.pk) > 1:
                val = CS(list(p.pk))
                val.fa.set_flow_style()
            tm.insert(pos, "primary_key", val, comment=None if tm.fa.flow_style() else p.pk_comment)
            if p.surrogate:
                tm.insert(pos + 1, "surrogate_key", p.surrogate)
        if p.add:
            if tm.get("columns") is None:
                tm["columns"] = CM()
            cm = tm["columns"]
            for a in p.add:
                d = _entry_data(a, styles[t])
                if isinstance(d, dict):
                    d = CM(d)
                    d.fa.set_flow_style()
                cm[a.name] = d
                if not _in_flow(cm, tm):
                    cm.yaml_add_eol_comment(a.comment, a.name)
    out = dump(root)
    merged = _merge(text, base, out)
    return merged if merged is not None else out


def _merge(original: str, base: str, edited: str) -> str | None:
    """Apply the line changes base → edited onto ``original`` (where base differs from it in style only)."""
    o = original.splitlines(keepends=True)
    a = base.splitlines(keepends=True)
    b = edited.splitlines(keepends=True)
    amap: dict[int, int] = {}
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, o, autojunk=False).get_opcodes():
        if tag == "equal":
            for k in range(i2 - i1):
                amap[i1 + k] = j1 + k
    out = list(o)
    for tag, i1, i2, j1, j2 in reversed(difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes()):
        if tag == "equal":
            continue
        if i1 < i2:
            idx = [amap.get(i) for i in range(i1, i2)]
            if None in idx or idx != list(range(idx[0], idx[0] + len(idx))):
                return None
            out[idx[0]:idx[-1] + 1] = b[j1:j2]
        else:
            if i1 - 1 in amap:
                at = amap[i1 - 1] + 1
            elif i1 in amap:
                at = amap[i1]
            elif i1 == 0:
                at = 0
            else:
                return None
            out[at:at] = b[j1:j2]
    return "".join(out)


# --- CLI glue -----------------------------------------------------------------------------------------------------


def _usage(msg: str) -> int:
    print(f"synthspec: error[X002]: {msg}", file=sys.stderr)
    return EXIT_TOOL


def _exit(diags: list[Diagnostic], fail_on: str) -> int:
    threshold = Severity.parse(fail_on)
    return EXIT_FINDINGS if any(d.severity >= threshold for d in diags) else EXIT_OK


def _write_new(path: Path, data: bytes) -> None:
    """Write a new file atomically; never replace one that exists (even one created meanwhile)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.link(tmp, path)  # fails with FileExistsError instead of replacing
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass


def main(args, emit_diagnostics) -> int:
    """``synthspec infer``: the CLI glue (the only function here that prints)."""
    machine = getattr(args, "format", "text") in ("json", "sarif")
    if args.spec:
        if args.source:
            return _usage("give DATA or --spec, not both: an existing spec reads the sources it declares")
        if args.output or args.name:
            return _usage("-o/--output and --name are for a new spec; with --spec use --write or --dry-run")
        if args.write and args.dry_run:
            return _usage("--write and --dry-run exclude each other")
        if machine and not args.write:
            return _usage(f"--format {args.format} prints diagnostics on stdout; use it with --write")
        return _main_update(args, emit_diagnostics)
    if not args.source:
        return _usage("give a data source (a folder, or a .sqlite/.duckdb file) or --spec SPEC")
    if args.write or args.dry_run:
        return _usage("--write and --dry-run update an existing spec: synthspec infer --spec SPEC --write")
    if machine and not args.output:
        return _usage(f"--format {args.format} prints diagnostics on stdout; write the spec with -o FILE")
    out = Path(args.output) if args.output else None
    if out is not None and (out.exists() or out.is_symlink()):
        return _usage(f"{out} already exists; infer never overwrites a file. To update that spec from its data: "
                      f"synthspec infer --spec {out} --write")
    if not Path(args.source).exists():
        return _usage(f"{args.source} does not exist")
    try:
        text, diags = bootstrap_spec(args.source, name=args.name, rows=args.rows or DEFAULT_ROWS, seed=args.seed,
                                     spec_dir=out.parent if out is not None else None)
    except InferError as exc:
        return _usage(str(exc))
    emit_diagnostics(diags, args, {})
    if not text or has_errors(diags):
        return _exit(diags, args.fail_on) or EXIT_FINDINGS
    if out is None:
        sys.stdout.write(text)
    else:
        try:
            _write_new(out, text.encode("utf-8"))
        except FileExistsError:
            return _usage(f"{out} was created while infer ran; infer never overwrites a file")
        if args.format == "text":
            print(f"wrote {out}; next: synthspec compile {out}", file=sys.stderr)
    return _exit(diags, args.fail_on)


def write_update(up: SpecUpdate) -> list[Diagnostic]:
    """Write an update atomically (keeping the file's mode), unless the file changed since it was read.

    Returns ``[]`` when written (or nothing changed), else the D040 that refused the write.
    """
    from .files import write_atomic

    if not up.changed:
        return []
    try:
        now = hashlib.sha256(up.path.read_bytes()).hexdigest()
    except OSError:
        now = None
    if now != up.sha256:
        return [make("D040", f"{up.path} changed on disk while infer was working; nothing was written",
                     span=Span(file=str(up.path)), help="run `synthspec infer --spec SPEC --write` again")]
    write_atomic(up.path, (b"\xef\xbb\xbf" if up.bom else b"") + up.new_text.encode("utf-8"))
    return []


def _main_update(args, emit_diagnostics) -> int:
    path = Path(args.spec)
    if not path.is_file():
        return _usage(f"{path} does not exist")
    up = plan_update(path, rows=args.rows, seed=args.seed)
    sources = {d.span.file: up.old_text for d in up.diagnostics if d.span.file}
    if has_errors(up.diagnostics):
        emit_diagnostics(up.diagnostics, args, sources)
        return EXIT_TOOL if any(d.code == "X001" for d in up.diagnostics) else EXIT_FINDINGS
    if args.dry_run:
        emit_diagnostics(up.diagnostics, args, sources)
        sys.stdout.write(up.diff())
        return _exit(up.diagnostics, args.fail_on)
    if not args.write:
        emit_diagnostics(up.diagnostics, args, sources)
        sys.stdout.write(up.new_text)
        return _exit(up.diagnostics, args.fail_on)
    refused = write_update(up)
    if refused:
        emit_diagnostics(up.diagnostics + refused, args, sources)
        return EXIT_TOOL
    emit_diagnostics(up.diagnostics, args, sources)
    if args.format == "text":
        if up.changed:
            print(f"updated {path}: {up.resolved} auto encoding(s) resolved, {up.keys_added} primary key(s) added, "
                  f"{up.columns_added} column(s) added", file=sys.stderr)
        else:
            print(f"{path} is up to date", file=sys.stderr)
    return _exit(up.diagnostics, args.fail_on)
