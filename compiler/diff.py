"""``synthspec diff BASE HEAD``: a semantic diff of specs and of what they compile to.

BASE and HEAD are each a spec file, a folder, or a git revision (read with ``git cat-file``; the
working tree is never touched). Both sides are compiled in memory without data
(``compile_spec(..., use_data=False)``) from files laid out as in the repository, so that sources,
profiles and relative paths resolve the same way on both sides. The typed models are compared —
never the text — and every change gets one class (most severe first):

``breaking``
    a table or column removed, a primary key, foreign key or context foreign key changed, an
    encoding changed, a column excluded: the generator must be retrained and consumers of the table
    (tables whose foreign keys reference it) are affected.
``retrain``
    training settings, training data (sources), a table or column added, column order, the seed
    (it is also the generator's ``random_state``): the generator must be retrained.
``regenerate``
    generation settings (sizes, temperature, top_p), output and quality settings: the trained
    generator can be reused, the data must be generated again.
``metadata``
    descriptions, declared roles that the graph already implied, encoding spellings that name the same
    SDK encoding, comments and formatting: nothing to do.

A safety net compares the compiled artifacts as well: a difference in ``generator.json``,
``generate.json`` or the manifest that no classified change explains is reported as a change of
the class the artifact implies, so a change the model comparison does not know is never lost.
Formatting-only and comment-only edits give identical models and artifacts, hence ``metadata``.

Nothing here prints or exits.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from .codes import make
from .diagnostics import Diagnostic, Related, Severity, Span

CLASSES = ("breaking", "retrain", "regenerate", "metadata")  # most severe first
RANK = {c: len(CLASSES) - i for i, c in enumerate(CLASSES)}  # breaking 4 … metadata 1
WHAT_TO_DO = {
    "breaking": "retrain the generator and regenerate; tell the owners of the consumers named below",
    "retrain": "retrain the generator, then regenerate (`synthspec run` retrains: the manifest changed)",
    "regenerate": "regenerate with the trained generator; no retraining",
    "metadata": "nothing to do",
}
TITLE = {
    "breaking": "Breaking — retrain, downstream consumers affected",
    "retrain": "Retrain — training settings or training data changed",
    "regenerate": "Regenerate — generation or output settings changed",
    "metadata": "Metadata — descriptions, comments, formatting",
}
SKIP_DIRS = {".git", ".synthspec", "build", "node_modules", "__pycache__", ".venv", "venv"}
#: GitHub rejects a pull-request comment over 65,536 characters; stay below it.
MARKDOWN_MAX_CHARS = 60_000


@dataclass(frozen=True)
class Change:
    """One classified change of one spec."""

    cls: str
    spec: str
    what: str
    table: str | None = None
    path: str = ""  # where in the spec (dotted), or the artifact
    before: Any = None
    after: Any = None
    consumers: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"class": self.cls, "spec": self.spec, "table": self.table, "path": self.path, "what": self.what,
                "before": self.before, "after": self.after, "consumers": list(self.consumers)}


@dataclass
class SpecDiff:
    name: str
    base: str | None  # how the spec file is shown on each side
    head: str | None
    status: str  # added | removed | changed | unchanged
    changes: list[Change] = field(default_factory=list)

    @property
    def worst(self) -> str | None:
        return max((c.cls for c in self.changes), key=RANK.get, default=None)


@dataclass
class DiffResult:
    """What :func:`diff` returns."""

    base: str
    head: str
    specs: list[SpecDiff] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    resolved: bool = True  # both sides were found

    @property
    def changes(self) -> list[Change]:
        return [c for s in self.specs for c in s.changes]

    @property
    def counts(self) -> dict[str, int]:
        out = {c: 0 for c in CLASSES}
        for c in self.changes:
            out[c.cls] += 1
        return out

    @property
    def worst(self) -> str | None:
        return max((c.cls for c in self.changes), key=RANK.get, default=None)

    def fails(self, fail_on: str) -> bool:
        """True if a change is of class ``fail_on`` or more severe (``never``: never)."""
        if fail_on == "never":
            return False
        return any(RANK[c.cls] >= RANK[fail_on] for c in self.changes)

    def to_json(self) -> dict:
        from .render.json_ import document

        return {"version": 1, "base": self.base, "head": self.head, "summary": self.counts, "worst": self.worst,
                "specs": [{"name": s.name, "base": s.base, "head": s.head, "status": s.status, "worst": s.worst,
                           "what_to_do": WHAT_TO_DO[s.worst] if s.worst else None} for s in self.specs],
                "changes": [c.to_json() for c in self.changes],
                "diagnostics": document(self.diagnostics, os.getcwd())["diagnostics"]}


# --- sides ------------------------------------------------------------------------------------

@dataclass
class Side:
    label: str
    root: Path  # where the files are (a folder of the working tree, or a temporary copy)
    specs: dict[str, Path]  # identity (spec name, else path) → file
    shown: dict[Path, str]  # file → how it is shown
    defaults: dict = field(default_factory=dict)
    output: str = "build"
    single: bool = False  # a spec file was given
    tmp: Any = None  # TemporaryDirectory holding a git revision


def _git(args: list[str], cwd: Path, *, input_: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["git", *args], cwd=cwd, input=input_, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          check=False)


def _git_side(rev: str, cwd: Path) -> tuple[Side | None, str | None]:
    top = _git(["rev-parse", "--show-toplevel"], cwd)
    if top.returncode != 0:
        return None, f"`{rev}` is not a file or folder, and {cwd} is not in a git repository"
    root = Path(top.stdout.decode().strip())
    prefix = _git(["rev-parse", "--show-prefix"], cwd).stdout.decode().strip()
    sha = _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root)
    if sha.returncode != 0:
        return None, f"`{rev}` is not a spec file, a folder or a git revision of {root}"
    commit = sha.stdout.decode().strip()
    names = _git(["ls-tree", "-r", "-z", "--name-only", commit], root).stdout.decode("utf-8", "surrogateescape")
    wanted = [n for n in names.split("\0") if n and n.startswith(prefix) and n.endswith((".yaml", ".yml"))
              and not any(part in SKIP_DIRS for part in n[len(prefix):].split("/")[:-1])]
    tmp = tempfile.TemporaryDirectory(prefix="synthspec-diff-")
    dest = Path(tmp.name)
    if wanted:
        batch = _git(["cat-file", "--batch"], root, input_="".join(f"{commit}:{n}\n" for n in wanted).encode())
        out, pos = batch.stdout, 0
        for n in wanted:
            nl = out.index(b"\n", pos)
            header = out[pos:nl].split()
            pos = nl + 1
            if len(header) < 3 or header[1] != b"blob":
                continue
            size = int(header[2])
            f = dest / n[len(prefix):]
            f.parent.mkdir(parents=True, exist_ok=True)
            f.write_bytes(out[pos:pos + size])
            pos += size + 1
    side = _folder_side(dest, f"{rev}")
    side.tmp = tmp
    side.shown = {p: f"{rev}:{prefix}{s}" for p, s in side.shown.items()}
    return side, None


def _looks_like_spec(path: Path) -> str | None:
    """The spec's ``name`` (or its path) if the file is a synthspec spec, else None."""
    from .load import MAX_FILE_BYTES, load_text

    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            return None
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    if "spec_version" not in text or "tables" not in text:
        return None
    doc, _ = load_text(text, str(path))
    if doc is None or not isinstance(doc.data, dict) or "spec_version" not in doc.data or "tables" not in doc.data:
        return None
    name = doc.data.get("name")
    return name if isinstance(name, str) and name else None


def _folder_side(root: Path, label: str) -> Side:
    from .project import PROJECT_FILE, load_project

    files: list[Path] = []
    defaults, output = {}, "build"
    if (root / PROJECT_FILE).is_file():
        project, _ = load_project(root / PROJECT_FILE, require_specs=False)
        if project is not None and project.specs:
            files, defaults, output = list(project.specs), project.defaults, project.output
    if not files:
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS and not d.startswith("."))
            for fn in sorted(filenames):
                if fn.endswith((".yaml", ".yml")) and fn != PROJECT_FILE:
                    files.append(Path(dirpath) / fn)
    specs: dict[str, Path] = {}
    shown: dict[Path, str] = {}
    for f in files:
        name = _looks_like_spec(f)
        if name is None:
            continue
        rel = f.resolve().relative_to(root.resolve()).as_posix() if _under(f, root) else str(f)
        ident = name if name not in specs else rel
        specs[ident] = f
        shown[f] = rel
    return Side(label=label, root=root, specs=specs, shown=shown, defaults=defaults, output=output)


def _under(p: Path, root: Path) -> bool:
    try:
        p.resolve().relative_to(root.resolve())
        return True
    except ValueError:
        return False


def resolve_side(arg: str, cwd: Path | None = None) -> tuple[Side | None, str | None]:
    """A side of the diff: a spec file, a folder, or a git revision (in that order)."""
    cwd = Path(cwd or os.getcwd())
    p = cwd / arg
    if p.is_file():
        from .model import find_project_root

        root = find_project_root(p.parent)
        return Side(label=arg, root=root, specs={"": p.resolve()}, shown={p.resolve(): arg}, single=True), None
    if p.is_dir():
        return _folder_side(p, arg), None
    return _git_side(arg, cwd)


# --- compiling a side -------------------------------------------------------------------------

def _compile(side: Side, path: Path, profile: str | None):
    from .api import compile_spec
    from .load import load_file
    from .project import merge_defaults

    doc, ld = load_file(path, display=str(path))
    if doc is not None and not ld and side.defaults and isinstance(doc.data, dict):
        doc.data = merge_defaults(side.defaults, doc.data)
    name = doc.data.get("name") if doc is not None and isinstance(doc.data, dict) else None
    out_root = Path(side.output) if Path(side.output).is_absolute() else side.root / side.output
    out_dir = out_root / name if isinstance(name, str) and name else out_root / "_"
    return compile_spec(doc if doc is not None and not ld else path, profile=profile, out_dir=out_dir,
                        use_data=False, emit=True, project_root=side.root)


def _relabel(d: Diagnostic, path: Path, shown: str) -> Diagnostic:
    def fix(s: Span) -> Span:
        return replace(s, file=shown) if s.file in (str(path), str(path.resolve())) else s

    return replace(d, span=fix(d.span), related=tuple(Related(fix(r.span), r.message) for r in d.related))


# --- comparing ----------------------------------------------------------------------------------

def _consumers(name: str, *models) -> tuple[str, ...]:
    out = set()
    for m in models:
        if m is None:
            continue
        for t in m.tables.values():
            if t.name != name and any(fk.references == name for fk in t.foreign_keys):
                out.add(t.name)
    return tuple(sorted(out))


def _src(t, spec_dir: Path) -> dict | None:
    s = t.source
    if s is None:
        return None
    path = None
    if s.path is not None:
        path = os.path.relpath(s.path, spec_dir).replace(os.sep, "/")
    return {"source": s.alias, "kind": s.kind, "path": path, "location": s.location, "format": s.format,
            "options": s.options, "sample_rows": s.sample_rows, "sample_seed": s.sample_seed}


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "(" + ", ".join(map(str, v)) + ")" if len(v) != 1 else str(v[0])
    if isinstance(v, dict):
        return json.dumps(v, sort_keys=True, ensure_ascii=False)
    return "—" if v is None else str(v)


def compare_models(spec: str, b, h, *, base_dir: Path, head_dir: Path) -> list[Change]:
    """The classified changes between two compiled models of one spec."""
    out: list[Change] = []

    def add(cls, what, *, table=None, path="", before=None, after=None, consumers=()):
        out.append(Change(cls, spec, what, table, path, before, after, tuple(consumers)))

    if b.spec.name != h.spec.name:
        add("regenerate", "spec renamed (generator name and output folder change)", path="name",
            before=b.spec.name, after=h.spec.name)
    for name in sorted(set(b.tables) - set(h.tables)):
        add("breaking", f"table `{name}` removed", table=name, path=f"tables.{name}",
            consumers=_consumers(name, b))
    for name in sorted(set(h.tables) - set(b.tables)):
        add("retrain", f"table `{name}` added", table=name, path=f"tables.{name}")
    both = [n for n in h.tables if n in b.tables]
    # a training setting that changed the same way on every table is reported once
    common_training = {}
    if both:
        keys = set().union(*(set(b.tables[n].training) | set(h.tables[n].training) for n in both))
        for k in sorted(keys):
            pairs = {(repr(b.tables[n].training.get(k)), repr(h.tables[n].training.get(k))) for n in both}
            if len(pairs) == 1 and len(both) > 1:
                x, y = b.tables[both[0]].training.get(k), h.tables[both[0]].training.get(k)
                if x != y:
                    common_training[k] = (x, y)
    for k, (x, y) in common_training.items():
        add("retrain", f"training `{k}` changed (every table)", path=f"training.{k}", before=x, after=y)
    for name in both:
        tb, th = b.tables[name], h.tables[name]
        cons = _consumers(name, b, h)
        tp = f"tables.{name}"
        if tb.primary_key != th.primary_key:
            add("breaking", f"primary key of `{name}` changed", table=name, path=f"{tp}.primary_key",
                before=list(tb.primary_key), after=list(th.primary_key), consumers=cons)
        elif tb.pk_model_column != th.pk_model_column:
            add("breaking", f"surrogate key of `{name}` renamed", table=name, path=f"{tp}.surrogate_key",
                before=tb.pk_model_column, after=th.pk_model_column, consumers=cons)
        fb = {fk.columns: fk for fk in tb.foreign_keys}
        fh = {fk.columns: fk for fk in th.foreign_keys}
        for cols in [c for c in fb if c not in fh]:
            fk = fb[cols]
            kind = "context foreign key" if fk.context else "foreign key"
            add("breaking", f"{kind} {_fmt(cols)} → `{fk.references}` of `{name}` removed", table=name,
                path=f"{tp}.foreign_keys", before=f"{_fmt(cols)} → {fk.references}", consumers=cons)
        for cols in [c for c in fh if c not in fb]:
            fk = fh[cols]
            kind = "context foreign key" if fk.context else "foreign key"
            add("breaking", f"{kind} {_fmt(cols)} → `{fk.references}` of `{name}` added", table=name,
                path=f"{tp}.foreign_keys", after=f"{_fmt(cols)} → {fk.references}", consumers=cons)
        for cols in [c for c in fh if c in fb]:
            x, y = fb[cols], fh[cols]
            for attr, label in (("references", "references"), ("context", "context"),
                                ("referenced_columns", "referenced columns"), ("model_column", "surrogate column")):
                if getattr(x, attr) != getattr(y, attr):
                    what = (f"context foreign key {_fmt(cols)} of `{name}`" if (x.context or y.context)
                            else f"foreign key {_fmt(cols)} of `{name}`") + f": {label} changed"
                    add("breaking", what, table=name, path=f"{tp}.foreign_keys", before=getattr(x, attr),
                        after=getattr(y, attr), consumers=cons)
        cb = {c.name: c for c in tb.columns}
        ch = {c.name: c for c in th.columns}
        for c in [c for c in cb if c not in ch]:
            add("breaking", f"column `{name}.{c}` removed", table=name, path=f"{tp}.columns.{c}", consumers=cons)
        for c in [c for c in ch if c not in cb]:
            cls = "metadata" if ch[c].exclude else "retrain"
            add(cls, f"column `{name}.{c}` added" + (" (excluded)" if ch[c].exclude else ""), table=name,
                path=f"{tp}.columns.{c}", after=ch[c].authored)
        for c in [c for c in ch if c in cb]:
            x, y = cb[c], ch[c]
            cp = f"{tp}.columns.{c}"
            if x.exclude != y.exclude:
                if y.exclude:
                    add("breaking", f"column `{name}.{c}` excluded from the model", table=name, path=cp,
                        before=False, after=True, consumers=cons)
                else:
                    add("retrain", f"column `{name}.{c}` no longer excluded", table=name, path=cp,
                        before=True, after=False)
            elif x.encoding != y.encoding and not y.exclude:
                add("breaking", f"encoding of `{name}.{c}` changed", table=name, path=f"{cp}.encoding",
                    before=x.encoding, after=y.encoding, consumers=cons)
            elif x.authored != y.authored and not y.exclude:
                add("metadata", f"encoding of `{name}.{c}` spelled differently (same SDK encoding {y.encoding})",
                    table=name, path=f"{cp}.encoding", before=x.authored, after=y.authored)
            if x.pii != y.pii:
                add("regenerate", f"pii tag of `{name}.{c}` changed (privacy review: lint and the run report)",
                    table=name, path=f"{cp}.pii", before=x.pii, after=y.pii)
        ob = [c.name for c in tb.modelled_columns() if c.name in ch]
        oh = [c.name for c in th.modelled_columns() if c.name in cb]
        if ob != oh and sorted(ob) == sorted(oh):
            add("retrain", f"column order of `{name}` changed (the model's column order)", table=name,
                path=f"{tp}.columns", before=ob, after=oh)
        for k in sorted(set(tb.training) | set(th.training)):
            if tb.training.get(k) != th.training.get(k) and k not in common_training:
                add("retrain", f"training `{k}` of `{name}` changed", table=name, path=f"{tp}.training.{k}",
                    before=tb.training.get(k), after=th.training.get(k))
        sb, sh = _src(tb, base_dir), _src(th, head_dir)
        if sb != sh:
            keys = sorted(set(sb or {}) | set(sh or {}))
            changed = [k for k in keys if (sb or {}).get(k) != (sh or {}).get(k)]
            add("retrain", f"training data of `{name}` changed ({', '.join(changed)})", table=name,
                path=f"{tp}.source", before=sb, after=sh)
        rb, rh = b.roles.get(name, ()), h.roles.get(name, ())
        if tuple(tb.declared_roles) != tuple(th.declared_roles) and rb == rh:
            add("metadata", f"declared role of `{name}` changed (the graph's roles are unchanged)", table=name,
                path=f"{tp}.role", before=list(tb.declared_roles), after=list(th.declared_roles))
    gb, gh = b.generation, h.generation
    for k in sorted(set(gb) | set(gh)):
        if k == "size":
            sb, sh = gb.get("size") or {}, gh.get("size") or {}
            for t in sorted(set(sb) | set(sh)):
                if sb.get(t) != sh.get(t):
                    add("regenerate", f"generation size of `{t}` changed", table=t, path=f"generation.size.{t}",
                        before=sb.get(t), after=sh.get(t))
        elif gb.get(k) != gh.get(k):
            cls = "retrain" if k == "seed" else "regenerate"
            what = f"generation `{k}` changed" + (" (also the generator's random_state)" if k == "seed" else "")
            add(cls, what, path=f"generation.{k}", before=gb.get(k), after=gh.get(k))
    for section, cls in (("output", "regenerate"), ("quality", "regenerate"), ("engine", "retrain")):
        xb, xh = getattr(b, section), getattr(h, section)
        for k in sorted(set(xb) | set(xh)):
            if xb.get(k) != xh.get(k):
                add(cls, f"{section} `{k}` changed", path=f"{section}.{k}", before=xb.get(k), after=xh.get(k))
    db = _descriptions(b.spec.model_dump(mode="json"))
    dh = _descriptions(h.spec.model_dump(mode="json"))
    for p in sorted(set(db) | set(dh)):
        if db.get(p) != dh.get(p) and not p.startswith("profiles."):
            add("metadata", f"description changed at `{p}`", path=p, before=db.get(p), after=dh.get(p))
    if b.spec.spec_version != h.spec.spec_version:
        add("metadata", "spec_version changed", path="spec_version", before=b.spec.spec_version,
            after=h.spec.spec_version)
    return out


def _descriptions(node, path: str = "") -> dict[str, str]:
    out = {}
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}" if path else str(k)
            if k == "description" and (isinstance(v, str) or v is None):
                if v is not None:
                    out[p] = v
            else:
                out.update(_descriptions(v, p))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out.update(_descriptions(v, f"{path}[{i}]"))
    return out


def _norm_generator(g: dict) -> dict:
    g = {k: v for k, v in g.items() if k != "description"}
    g["tables"] = {t["name"]: t for t in g.get("tables", [])}
    return g


def _norm_generate(g: dict) -> dict:
    return {**g, "tables": {t["name"]: t for t in g.get("tables", [])}}


def _norm_manifest(m: dict) -> dict:
    m = json.loads(json.dumps(m))
    for k in ("spec",):  # the spec's hash and place: compared as text, not as meaning
        m.pop(k, None)
    m.get("engine", {}).pop("local_dir", None)
    m.get("output", {}).pop("path", None)
    tables = {}
    for t in m.get("tables", []):
        if isinstance(t.get("source"), dict):
            t["source"].pop("path", None)
        tables[t["name"]] = t
    m["tables"] = tables
    return m


def compare_artifacts(spec: str, b, h, changes: list[Change]) -> list[Change]:
    """Artifact differences no classified change explains (the safety net)."""
    out: list[Change] = []
    if b is None or h is None:
        return out

    def covered(min_cls: str, table: str | None = None) -> bool:
        return any(RANK[c.cls] >= RANK[min_cls] and (table is None or c.table in (None, table)) for c in changes)

    gb, gh = _norm_generator(b.generator), _norm_generator(h.generator)
    for t in sorted(set(gb["tables"]) | set(gh["tables"])):
        if gb["tables"].get(t) != gh["tables"].get(t) and not covered("retrain", t):
            out.append(Change("retrain", spec, f"generator config of `{t}` changed", t, "generator.json"))
    rest_b = {k: v for k, v in gb.items() if k != "tables"}
    rest_h = {k: v for k, v in gh.items() if k != "tables"}
    if rest_b != rest_h and not covered("regenerate"):
        out.append(Change("retrain", spec, "generator config changed", None, "generator.json"))
    if _norm_generate(b.generate) != _norm_generate(h.generate) and not covered("regenerate"):
        out.append(Change("regenerate", spec, "generation config changed", None, "generate.json"))
    if _norm_manifest(b.manifest) != _norm_manifest(h.manifest) and not covered("regenerate"):
        out.append(Change("regenerate", spec, "run manifest changed", None, "manifest.json"))
    return out


# --- the diff -----------------------------------------------------------------------------------

def diff(base: str, head: str, *, profile: str | None = None, cwd: str | Path | None = None) -> DiffResult:
    """Compare the specs of two sides (git revisions, folders or spec files).

    Args:
        base, head: each a spec file, a folder or a git revision (tried in that order).
        profile: compile both sides with this profile (default: none, plus every profile whose
            definition changed, compared under that profile).
        cwd: where relative paths and the git repository are looked up (default: the current one).

    Returns:
        A :class:`DiffResult`; E020 in its diagnostics if a side could not be resolved.
    """
    result = DiffResult(base=base, head=head)
    sides = []
    for arg in (base, head):
        side, err = resolve_side(arg, Path(cwd) if cwd else None)
        if side is None:
            result.diagnostics.append(make("E020", err, help="give two git revisions (e.g. `origin/main HEAD`), "
                                                             "two folders, or two spec files"))
        sides.append(side)
    if None in sides:
        result.resolved = False
        return result
    sb, sh = sides
    try:
        if sb.single or sh.single:
            pairs = [(next(iter(sb.specs.values()), None) if sb.single else _only(sb),
                      next(iter(sh.specs.values()), None) if sh.single else _only(sh))]
        else:
            pairs = [(sb.specs.get(k), sh.specs.get(k)) for k in _ordered_keys(sb.specs, sh.specs)]
        for pb, ph in pairs:
            result.specs.append(_diff_pair(result, sb, sh, pb, ph, profile))
    finally:
        for s in sides:
            if s.tmp is not None:
                s.tmp.cleanup()
    return result


def _only(side: Side) -> Path | None:
    return next(iter(side.specs.values()), None) if len(side.specs) == 1 else None


def _ordered_keys(a: dict, b: dict) -> list[str]:
    return sorted(set(a) | set(b))


def _diff_pair(result: DiffResult, sb: Side, sh: Side, pb: Path | None, ph: Path | None,
               profile: str | None) -> SpecDiff:
    shown_b = sb.shown.get(pb) if pb else None
    shown_h = sh.shown.get(ph) if ph else None
    rb = _compile(sb, pb, profile) if pb else None
    rh = _compile(sh, ph, profile) if ph else None
    mb = rb.model if rb else None
    mh = rh.model if rh else None
    name = (mh.spec.name if mh else None) or (mb.spec.name if mb else None) or (shown_h or shown_b or "?")
    for res, path, shown, label in ((rb, pb, shown_b, sb.label), (rh, ph, shown_h, sh.label)):
        if res is None or res.model is not None:
            if res is not None and res.artifacts is None and res.model is not None:
                errs = [d for d in res.diagnostics if d.severity >= Severity.ERROR]
                if errs:
                    result.diagnostics.append(_side_warning(label, shown, path, errs, partial=True))
            continue
        errs = [d for d in res.diagnostics if d.severity >= Severity.ERROR]
        result.diagnostics.append(_side_warning(label, shown, path, errs, partial=False))
    if pb is None:
        sd = SpecDiff(name, None, shown_h, "added")
        sd.changes.append(Change("retrain", name, f"spec `{name}` added: a new generator to train"))
        return sd
    if ph is None:
        sd = SpecDiff(name, shown_b, None, "removed")
        cons = ()
        sd.changes.append(Change("breaking", name, f"spec `{name}` removed: its synthetic data is no longer produced",
                                 consumers=tuple(sorted(mb.tables)) if mb else cons))
        return sd
    sd = SpecDiff(name, shown_b, shown_h, "unchanged")
    if mb is None or mh is None:
        if rb is not None and rh is not None and rb.document is not None and rh.document is not None \
                and rb.document.text != rh.document.text:
            sd.status = "changed"
        return sd
    changes = compare_models(name, mb, mh, base_dir=pb.parent.resolve(), head_dir=ph.parent.resolve())
    changes += compare_artifacts(name, rb.artifacts, rh.artifacts, changes)
    if profile is None:
        changes += _profile_changes(name, sb, sh, pb, ph, rb, rh, changes)
    if not changes and rb.document.sha256 != rh.document.sha256:
        changes.append(Change("metadata", name, "formatting or comments changed (no semantic change)"))
    sd.changes = sorted(changes, key=lambda c: (-RANK[c.cls], c.table or "", c.path, c.what))
    sd.status = "changed" if sd.changes else "unchanged"
    return sd


def _profile_changes(name, sb, sh, pb, ph, rb, rh, base_changes) -> list[Change]:
    """Profiles whose definition changed, compared under that profile."""
    pdb = rb.model.spec.model_dump(mode="json").get("profiles") or {}
    pdh = rh.model.spec.model_dump(mode="json").get("profiles") or {}
    out = []
    seen = {(c.cls, c.what, c.path) for c in base_changes}
    for p in sorted(set(pdb) | set(pdh)):
        if p not in pdh:
            out.append(Change("breaking", name, f"profile `{p}` removed: runs with `--profile {p}` fail",
                              path=f"profiles.{p}"))
        elif p not in pdb:
            out.append(Change("metadata", name, f"profile `{p}` added", path=f"profiles.{p}"))
        elif pdb[p] != pdh[p]:
            xb, xh = _compile(sb, pb, p), _compile(sh, ph, p)
            found = []
            if xb.model is not None and xh.model is not None:
                inner = compare_models(name, xb.model, xh.model, base_dir=pb.parent.resolve(),
                                       head_dir=ph.parent.resolve())
                inner += compare_artifacts(name, xb.artifacts, xh.artifacts, inner)
                found = [replace(c, what=f"[profile {p}] {c.what}") for c in inner
                         if (c.cls, c.what, c.path) not in seen]
            out += found or [Change("metadata", name, f"profile `{p}` changed without effect on its compile",
                                    path=f"profiles.{p}")]
    return out


def _side_warning(label: str, shown: str | None, path: Path | None, errs: list[Diagnostic], *,
                  partial: bool) -> Diagnostic:
    first = errs[0] if errs else None
    detail = f"{first.code} {first.message}" if first else "it does not load"
    more = f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""
    how = "compared as far as it compiles (no artifacts)" if partial else "not compared"
    return make("E021", f"{shown or path} does not compile on side `{label}`: {detail}{more}; {how}",
                span=Span(file=shown or str(path)),
                help=f"`synthspec validate {shown}` shows every finding" if shown and ":" not in shown else
                "check out that revision and run `synthspec validate` to see every finding")


# --- rendering ----------------------------------------------------------------------------------

FORMATS = ("text", "json", "markdown")


def render(result: DiffResult, fmt: str) -> str:
    """Render a diff as ``text``, ``json`` or ``markdown`` (a pull-request comment)."""
    if fmt == "json":
        return json.dumps(result.to_json(), indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"
    if fmt == "markdown":
        return render_markdown(result)
    if fmt == "text":
        return render_text(result)
    raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def summary_line(result: DiffResult) -> str:
    c = result.counts
    if not result.changes:
        return f"no changes between {result.base} and {result.head}"
    parts = ", ".join(f"{c[k]} {k}" for k in CLASSES)
    return f"{parts} — {WHAT_TO_DO[result.worst]}"


def render_text(result: DiffResult) -> str:
    lines = [f"synthspec diff {result.base} → {result.head}: {summary_line(result)}"]
    for s in result.specs:
        if not s.changes:
            continue
        where = s.head or s.base
        lines.append("")
        lines.append(f"{s.name} ({where}, {s.status}): {s.worst} — {WHAT_TO_DO[s.worst]}")
        for c in s.changes:
            tail = ""
            if c.before is not None or c.after is not None:
                tail = f": {_fmt(c.before)} → {_fmt(c.after)}"
            cons = f" [consumers: {', '.join(c.consumers)}]" if c.consumers else ""
            lines.append(f"  {c.cls:<10} {c.what}{tail}{cons}")
    return "\n".join(lines) + "\n"


def _md(v: Any) -> str:
    text = _fmt(v)
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("\r", " ")
    text = text.replace("`", "'")
    if len(text) > 200:
        text = text[:197] + "..."
    return f"`{text}`" if text != "—" else text


def _md_text(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ").replace("\r", " ")


def render_markdown(result: DiffResult) -> str:
    """A pull-request comment: a summary line, one table per class, what to do per spec."""
    c = result.counts
    out = ["<!-- synthspec-diff -->", f"### synthspec diff `{_md_text(result.base)}` → `{_md_text(result.head)}`", ""]
    if not result.changes:
        out.append(f"No changes to synthetic data specs. {len(result.specs)} spec(s) compared.")
    else:
        out.append(" · ".join(f"**{c[k]} {k}**" if c[k] and k == result.worst else f"{c[k]} {k}" for k in CLASSES)
                   + f" — {WHAT_TO_DO[result.worst]}.")
    budget = MARKDOWN_MAX_CHARS
    omitted = 0
    for cls in CLASSES:
        rows = [ch for ch in result.changes if ch.cls == cls]
        if not rows:
            continue
        block = ["", f"#### {TITLE[cls]} ({len(rows)})", "", "| spec | table | change | before | after | consumers |",
                 "|---|---|---|---|---|---|"]
        for ch in rows:
            row = (f"| `{_md_text(ch.spec)}` | {('`' + _md_text(ch.table) + '`') if ch.table else '—'} | "
                   f"{_md_text(ch.what)} | {_md(ch.before)} | {_md(ch.after)} | "
                   f"{', '.join('`' + _md_text(x) + '`' for x in ch.consumers) or '—'} |")
            if sum(len(x) + 1 for x in out) + sum(len(x) + 1 for x in block) + len(row) > budget:
                omitted += 1
                continue
            block.append(row)
        out += block
    if omitted:
        out += ["", f"_{omitted} more change(s) not shown (comment size limit); run `synthspec diff "
                    f"{_md_text(result.base)} {_md_text(result.head)}` for all of them._"]
    todo = [s for s in result.specs if s.changes]
    if todo:
        out += ["", "#### What to do", ""]
        for s in todo:
            cons = sorted({x for ch in s.changes if ch.cls == "breaking" for x in ch.consumers})
            line = f"- `{_md_text(s.name)}` ({s.status}): {WHAT_TO_DO[s.worst]}"
            if cons:
                line += f" — consumers: {', '.join('`' + _md_text(x) + '`' for x in cons)}"
            out.append(line + ".")
    warns = [d for d in result.diagnostics if d.code == "E021"]
    if warns:
        out += ["", "#### Compile problems", ""] + [f"- {_md_text(d.message)}" for d in warns]
    return "\n".join(out) + "\n"


__all__ = ["CLASSES", "Change", "SpecDiff", "DiffResult", "diff", "resolve_side", "compare_models",
           "compare_artifacts", "render", "render_text", "render_markdown", "FORMATS"]
