"""Multi-spec projects: the project file ``synthspec.yaml`` and the content-hash compile cache.

A project file lists specs and shared defaults::

    # synthspec.yaml
    specs:                      # paths or globs, relative to this file (required in project mode)
      - specs/*.yaml
      - legacy/payroll.yml
    defaults:                   # merged under every spec; the spec's own values win
      training: {model: small, max_training_time: 5}
      generation: {seed: 7}
    output: build               # output root: each spec compiles into <output>/<name>/ (default build)

Semantics of ``defaults`` (see ``docs/ci.md``): the keys allowed are the spec sections
:data:`DEFAULT_SECTIONS`; the merge is recursive over mappings — a key the spec sets replaces the
default, a key it does not set is taken from the default, and lists and scalars are replaced
whole, never concatenated. ``generation.size`` names tables, so it cannot be a default.

The cache (``<project>/.synthspec/cache/compile/``) keeps, per spec, the artifacts and diagnostics
of its last compile under a key made of every input that can change them: the spec's bytes, its
path in the project, the defaults, the output folder, the profile, the data options, the absolute
project root, the synthspec version *and a hash of the compiler's own source and schemas*, and the
MOSTLY AI SDK version the manifest records. The data a compile read is a dependency recorded in the
entry (each bound file's size and mtime, the data stage's own fingerprint) and checked on every
hit, as is the part of the previous manifest the drift check (D031) compares against. A hit reads
one JSON file and imports neither pydantic nor the stages: that is where the speed comes from.

Nothing here prints or exits; :func:`compile_project` returns a :class:`ProjectResult`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from . import __version__
from .codes import make
from .diagnostics import Diagnostic, Related, Severity, Span, has_errors, sort_diagnostics
from .files import check_files, stat_key, write_atomic

PROJECT_FILE = "synthspec.yaml"
DEFAULT_OUTPUT = "build"
PROJECT_KEYS = ("specs", "defaults", "output")
#: The spec sections a project may give defaults for.
DEFAULT_SECTIONS = ("sources", "training", "generation", "output", "quality", "engine", "profiles")
SPEC_SUFFIXES = (".yaml", ".yml")
ARTIFACTS = ("generator.json", "generate.json", "manifest.json")
CACHE_VERSION = 1
CACHE_DIR = Path(".synthspec") / "cache" / "compile"
_SPEC_MARK = "\x00spec"  # stands for the spec's display path inside a cache entry
_GLOB = re.compile(r"[*?\[]")

PKG_DIR = Path(__file__).resolve().parent
REPO_ROOT = PKG_DIR.parent


# --- the project file -------------------------------------------------------------------------

@dataclass(frozen=True)
class Project:
    """A loaded project file. Paths are absolute; ``specs`` keeps the listing order."""

    file: Path
    root: Path
    specs: tuple[Path, ...]
    defaults: dict
    output: str
    display: str  # the project file as diagnostics show it
    doc: Any = field(default=None, repr=False, compare=False)  # compiler.load.Document
    entry_of: dict = field(default_factory=dict, repr=False, compare=False)  # spec → index in `specs:`

    @property
    def output_root(self) -> Path:
        p = Path(self.output)
        return p if p.is_absolute() else self.root / p


def find_project(start: str | Path | None = None) -> Path | None:
    """The nearest ``synthspec.yaml`` in ``start`` (default: the current directory) or a parent."""
    d = Path(start or os.getcwd()).resolve()
    for cand in (d, *d.parents):
        f = cand / PROJECT_FILE
        if f.is_file():
            return f
    return None


def display_path(p: Path) -> str:
    """``p`` relative to the current directory when it lies under it (as compile shows specs)."""
    try:
        return Path(p).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(p)


def _is_blank_yaml(text: str) -> bool:
    return all(not ln.strip() or ln.lstrip().startswith("#") or ln.strip() in ("---", "...")
               for ln in text.splitlines())


def load_project(path: str | Path, *, require_specs: bool = True) -> tuple[Project | None, list[Diagnostic]]:
    """Load and check a project file (or the ``synthspec.yaml`` in a folder); expand its globs.

    Args:
        path: the project file, or a folder holding one.
        require_specs: a project file without ``specs`` is an error (E010); ``specs: []`` is not.

    Returns:
        ``(project, diagnostics)``; ``project`` is None when the file is unusable (E010, E011).
    """
    from .load import load_file, load_text

    p = Path(path)
    if p.is_dir():
        p = p / PROJECT_FILE
    shown = display_path(p)
    try:
        text = p.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        return None, [make("E010", f"cannot read the project file: {exc.strerror or exc}", span=Span(file=shown))]
    except UnicodeDecodeError as exc:
        return None, [make("E010", f"the project file is not valid UTF-8 (byte {exc.start})", span=Span(file=shown))]
    if _is_blank_yaml(text):  # an empty file marks a project root (compiler.model.find_project_root)
        doc, _ = load_text("{}\n", shown)
        data = {}
    else:
        doc, ld = load_file(p, display=shown)
        if doc is None or has_errors(ld):
            return None, [make("E010", f"project file: {d.message}", span=d.span, help=d.help) for d in ld]
        data = doc.data
    diags: list[Diagnostic] = []

    def err(code, msg, path_, *, key=False, help=None):
        diags.append(make(code, msg, span=doc.locate(path_, key=key), path=path_, help=help))

    if not isinstance(data, dict):
        err("E010", "the project file must be a mapping (`specs:`, `defaults:`, `output:`)", ())
        return None, diags
    for k in data:
        if k not in PROJECT_KEYS:
            from difflib import get_close_matches

            guess = get_close_matches(str(k), PROJECT_KEYS, n=1)
            err("E010", f"unknown key `{k}` in the project file", (k,), key=True,
                help=f"did you mean `{guess[0]}`?" if guess else f"the keys are {', '.join(PROJECT_KEYS)}")
    specs = data.get("specs")
    if specs is None:
        specs = []
        if require_specs and not diags:
            err("E010", "the project file lists no specs", (),
                help='add the spec files or globs, relative to the project file: `specs: ["specs/*.yaml"]`')
    elif not isinstance(specs, list) or not all(isinstance(s, str) and s.strip() for s in specs):
        err("E010", "`specs` must be a list of file paths or globs", ("specs",),
            help='for example `specs: ["specs/*.yaml", "legacy/payroll.yml"]`')
        specs = []
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, dict):
        err("E013", "`defaults` must be a mapping of spec sections", ("defaults",),
            help=f"sections a project can default: {', '.join(DEFAULT_SECTIONS)}")
        defaults = {}
    for k in defaults:
        if k not in DEFAULT_SECTIONS:
            err("E013", f"`defaults` cannot set `{k}`", ("defaults", k), key=True,
                help=f"sections a project can default: {', '.join(DEFAULT_SECTIONS)}; "
                     "names, descriptions and tables belong to each spec")
    gen = defaults.get("generation")
    if isinstance(gen, dict) and "size" in gen:
        err("E013", "`defaults.generation.size` names tables; give sizes in each spec", ("defaults", "generation", "size"),
            key=True, help="move `size` into the specs (or into a profile of each spec)")
    output = data.get("output", DEFAULT_OUTPUT)
    if not isinstance(output, str) or not output.strip():
        err("E010", "`output` must be a folder path", ("output",), help="for example `output: build`")
        output = DEFAULT_OUTPUT
    if has_errors(diags):
        return None, diags

    root = p.resolve().parent
    out_root = (Path(output) if Path(output).is_absolute() else root / output).resolve()
    found: list[Path] = []
    entry_of: dict[Path, int] = {}
    for i, pattern in enumerate(specs):
        if _GLOB.search(pattern):
            hits = sorted(q.resolve() for q in root.glob(pattern)
                          if q.is_file() and q.suffix in SPEC_SUFFIXES and _listable(q.resolve(), root, out_root, p))
            if not hits:
                err("E011", f"`{pattern}` matches no spec file", ("specs", i),
                    help="globs are relative to the project file and match .yaml/.yml files")
        else:
            q = (root / pattern).resolve()
            hits = [q] if q.is_file() else []
            if not hits:
                err("E011", f"spec `{pattern}` does not exist", ("specs", i),
                    help="paths are relative to the project file")
        for q in hits:
            if q not in entry_of:
                entry_of[q] = i
                found.append(q)
    if has_errors(diags):
        return None, diags
    return Project(file=p.resolve(), root=root, specs=tuple(found), defaults=defaults, output=output,
                   display=shown, doc=doc, entry_of=entry_of), diags


def _listable(q: Path, root: Path, out_root: Path, project_file: Path) -> bool:
    """Globs skip the project file, hidden folders, the output folder and the cache."""
    if q == project_file.resolve():
        return False
    try:
        rel = q.relative_to(root)
    except ValueError:
        return True
    if any(part.startswith(".") for part in rel.parts[:-1]):
        return False
    try:
        q.relative_to(out_root)
        return False
    except ValueError:
        return True


def merge_defaults(defaults: dict, spec: dict) -> dict:
    """The spec over the defaults: mappings merge recursively, everything else the spec replaces."""
    out = dict(defaults)
    for k, v in spec.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge_defaults(out[k], v)
        else:
            out[k] = v
    return out


class _DefaultsDoc:
    """Locates a spec path of a defaults probe inside the project file's ``defaults:``."""

    def __init__(self, doc):
        self._doc = doc

    def __getattr__(self, name):
        return getattr(self._doc, name)

    def locate(self, path, *, key: bool = False):
        return self._doc.locate(("defaults",) + tuple(path), key=key)


def check_defaults(project: Project) -> list[Diagnostic]:
    """E013 for every default that the spec language rejects (imports the schema stage)."""
    if not project.defaults:
        return []
    from .schema import validate_data

    probe = merge_defaults(project.defaults, {"spec_version": 1, "name": "defaults",
                                              "tables": {"t": {"columns": {"c": "categorical"}}}})
    _, diags = validate_data(_DefaultsDoc(project.doc), probe)
    return [make("E013", f"in `defaults`: {d.message}", span=d.span, help=d.help, path=("defaults",) + tuple(d.path))
            for d in diags if d.path and d.path[0] in DEFAULT_SECTIONS]


# --- selection --------------------------------------------------------------------------------

def spec_name(path: Path) -> str | None:
    """The ``name:`` of a spec file (parsed with the fast loader), None if unreadable."""
    from .load import load_file

    doc, _ = load_file(path)
    if doc is not None and isinstance(doc.data, dict) and isinstance(doc.data.get("name"), str):
        return doc.data["name"]
    return None


def select(project: Project, selectors: Iterable[str]) -> tuple[list[Path], list[Diagnostic]]:
    """The project's specs that ``selectors`` pick: a spec ``name``, a path (relative to the current
    directory or the project), or a glob over paths. Listing order is kept; E012 for a selector that
    picks nothing."""
    import fnmatch

    selectors = list(selectors)
    if not selectors:
        return list(project.specs), []
    cwd = Path.cwd().resolve()
    rels = {s: s.relative_to(project.root).as_posix() if _under(s, project.root) else str(s) for s in project.specs}
    names: dict[Path, str | None] | None = None
    chosen: set[Path] = set()
    diags = []
    for sel in selectors:
        hit = set()
        for base in (cwd, project.root):
            q = (base / sel).resolve()
            if q in rels:
                hit.add(q)
        if not hit and _GLOB.search(sel):
            hit = {s for s, r in rels.items() if fnmatch.fnmatchcase(r, sel)
                   or fnmatch.fnmatchcase(display_path(s), sel)}
        if not hit:
            if names is None:
                names = {s: spec_name(s) for s in project.specs}
            hit = {s for s, n in names.items() if n == sel}
        if not hit:
            diags.append(make("E012", f"`--select {sel}` matches no spec of the project {project.display}",
                              span=Span(file=project.display),
                              help="select by the spec's `name`, its path, or a glob over paths; "
                                   "the project's `specs:` lists what can be selected"))
        chosen |= hit
    return [s for s in project.specs if s in chosen], diags


def _under(p: Path, root: Path) -> bool:
    try:
        p.relative_to(root)
        return True
    except ValueError:
        return False


# --- the cache --------------------------------------------------------------------------------

_FINGERPRINT: str | None = None


def compiler_fingerprint() -> str:
    """The synthspec version plus a hash of the compiler's source files and JSON Schemas: a change
    to the compiler (even at the same version number) invalidates every cache entry."""
    global _FINGERPRINT
    if _FINGERPRINT is None:
        h = hashlib.sha256(f"synthspec {__version__}\n".encode())
        files = sorted(PKG_DIR.rglob("*.py")) + sorted((REPO_ROOT / "schemas").glob("*.json"))
        for f in files:
            try:
                data = f.read_bytes()
            except OSError:
                continue
            h.update(f.relative_to(REPO_ROOT).as_posix().encode() + b"\0" + len(data).to_bytes(8, "big") + data)
        _FINGERPRINT = h.hexdigest()
    return _FINGERPRINT


def sdk_version() -> str:
    """The installed ``mostlyai`` distribution (its dist-info folder name), cheaply."""
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for n in names:
            if n.startswith("mostlyai-") and n.endswith((".dist-info", ".egg-info")):
                return n
    try:
        import importlib.metadata as md

        return md.version("mostlyai")
    except Exception:  # noqa: BLE001 — not installed: emit records the version it targets
        return "none"


def _drift_input(out_dir: Path) -> str | None:
    """What the D031 drift check reads from the previous manifest: its ``source_columns``."""
    try:
        old = json.loads((out_dir / "manifest.json").read_text("utf-8"))
        cols = {t.get("name"): t.get("source_columns") for t in old.get("tables", []) if isinstance(t, dict)}
    except (OSError, ValueError, AttributeError):
        return None
    return hashlib.sha256(json.dumps(cols, sort_keys=True).encode()).hexdigest()


def cache_key(project: Project, spec: Path, spec_bytes: bytes, *, out_dir: Path | None, profile: str | None,
              use_data: bool, data: Path | None) -> str:
    """The key of a spec's cache entry: every input that can change its artifacts or diagnostics,
    except the data and the previous manifest, which the entry records as dependencies."""
    parts = {
        "cache": CACHE_VERSION, "compiler": compiler_fingerprint(), "sdk": sdk_version(),
        "python": list(sys.version_info[:2]),
        "root": str(project.root), "spec_path": os.path.relpath(spec, project.root),
        "spec": hashlib.sha256(spec_bytes).hexdigest(),
        "defaults": project.defaults, "output": os.path.relpath(project.output_root.resolve(), project.root),
        "out_dir": str(Path(out_dir).resolve()) if out_dir else None,
        "profile": profile, "use_data": use_data, "data": str(Path(data).resolve()) if data else None,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:40]


def _spec_id(project: Project, spec: Path, profile: str | None) -> str:
    return hashlib.sha256(f"{os.path.relpath(spec, project.root)}\0{profile}".encode()).hexdigest()[:16]


def _span_out(s: Span, spec_display: str) -> list:
    return [_SPEC_MARK if s.file == spec_display else s.file, s.line, s.column, s.end_line, s.end_column]


def _span_in(v: list, spec_display: str) -> Span:
    return Span(spec_display if v[0] == _SPEC_MARK else v[0], *v[1:])


def diag_to_json(d: Diagnostic, spec_display: str) -> dict:
    return {"code": d.code, "severity": int(d.severity), "message": d.message, "span": _span_out(d.span, spec_display),
            "help": d.help, "path": list(d.path),
            "related": [[_span_out(r.span, spec_display), r.message] for r in d.related]}


def diag_from_json(v: dict, spec_display: str) -> Diagnostic:
    return Diagnostic(code=v["code"], severity=Severity(v["severity"]), message=v["message"],
                      span=_span_in(v["span"], spec_display), help=v["help"], path=tuple(v["path"]),
                      related=tuple(Related(_span_in(s, spec_display), m) for s, m in v["related"]))


def _deps_ok(entry: dict, out_dir: Path) -> bool:
    deps = entry.get("deps") or {}
    for p, key in deps.get("data", []):
        if stat_key(Path(p)) != key:
            return False
    if "drift" in deps and _drift_input(out_dir) != deps["drift"]:
        return False
    return True


# --- compiling a project ----------------------------------------------------------------------

@dataclass
class SpecOutcome:
    """One spec of a project run."""

    path: Path
    display: str
    name: str | None
    out_dir: Path | None
    files: dict[str, bytes]
    diagnostics: list[Diagnostic]
    cached: bool
    written: list[Path] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.files) and not has_errors(self.diagnostics)


@dataclass
class ProjectResult:
    """What :func:`compile_project` returns."""

    project: Project | None
    specs: list[SpecOutcome] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)  # everything, project-level included
    sources: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.project is not None and not has_errors(self.diagnostics) and all(s.ok for s in self.specs)

    @property
    def hits(self) -> int:
        return sum(s.cached for s in self.specs)


def compile_project(project: Project | str | Path | None = None, *, select_: Iterable[str] = (),
                    profile: str | None = None, out_dir: str | Path | None = None, data: str | Path | None = None,
                    use_data: bool = True, mode: str = "write", cache: bool = True) -> ProjectResult:
    """Compile the specs of a project, each from the cache when none of its inputs changed.

    Args:
        project: a :class:`Project`, a project file or folder, or None to find ``synthspec.yaml``
            in the current directory or a parent.
        select_: pick specs by name, path or glob (:func:`select`); all when empty.
        profile: the profile applied to every spec.
        out_dir: output folder; only with exactly one selected spec (default ``<output>/<name>``).
        data, use_data: as in :func:`compiler.api.compile_spec`.
        mode: ``"write"`` (write changed artifacts), ``"check"`` (E002 for stale artifacts on disk)
            or ``"validate"`` (write nothing).
        cache: read and write the compile cache.

    Returns:
        A :class:`ProjectResult`; nothing is printed.
    """
    if mode not in ("write", "check", "validate"):
        raise ValueError(f"unknown mode {mode!r}")
    diags: list[Diagnostic] = []
    if not isinstance(project, Project):
        f = Path(project) if project is not None else find_project()
        if f is None:
            raise FileNotFoundError(f"no {PROJECT_FILE} in {os.getcwd()} or a parent folder")
        project, diags = load_project(f)
        try:
            sources = {display_path(Path(f) / PROJECT_FILE if Path(f).is_dir() else Path(f)): Path(
                Path(f) / PROJECT_FILE if Path(f).is_dir() else f).read_text("utf-8", errors="replace")}
        except OSError:
            sources = {}
    else:
        sources = {project.display: project.doc.text if project.doc is not None else ""}
    res = ProjectResult(project=project, diagnostics=list(diags), sources=sources)
    if project is None:
        res.diagnostics = sort_diagnostics(res.diagnostics)
        return res
    chosen, sd = select(project, select_)
    res.diagnostics += sd
    if sd:
        res.diagnostics = sort_diagnostics(res.diagnostics)
        return res
    if out_dir is not None and len(chosen) != 1:
        raise ValueError("an output folder can only be given for one spec; select exactly one")

    defaults_checked = False
    if not chosen:  # nothing to compile; still say whether the defaults are valid
        res.diagnostics = sort_diagnostics(res.diagnostics + check_defaults(project))
        return res
    for spec in chosen:
        display = display_path(spec)
        try:
            raw = spec.read_bytes()
        except OSError:
            raw = None
        outcome = None
        if raw is not None and cache:
            outcome = _lookup(project, spec, raw, display, profile=profile, out_dir=out_dir,
                              use_data=use_data, data=data)
        if outcome is None:
            if not defaults_checked:
                dd = check_defaults(project)
                defaults_checked = True
                if dd:
                    res.diagnostics += dd
                    res.diagnostics = sort_diagnostics(res.diagnostics)
                    return res
            outcome, entry = _compile_one(project, spec, display, profile=profile, out_dir=out_dir,
                                          use_data=use_data, data=data, raw=raw)
            if cache and raw is not None and entry is not None:
                _store(project, spec, raw, entry, outcome, profile=profile, use_data=use_data, data=data,
                       out_dir=out_dir, mode=mode)
        if raw is not None:
            res.sources[display] = raw.decode("utf-8-sig", errors="replace")
        res.specs.append(outcome)

    # two specs with one name would write into one folder
    seen: dict[str, SpecOutcome] = {}
    for o in res.specs:
        if o.name is None or o.out_dir is None:
            continue
        first = seen.get(o.out_dir.resolve().as_posix())
        if first is not None:
            i = project.entry_of.get(o.path, 0)
            o.diagnostics.append(make(
                "E010", f"specs {first.display} and {o.display} both compile into {o.out_dir} (name `{o.name}`)",
                span=project.doc.locate(("specs", i)) if project.doc is not None else Span(file=project.display),
                path=("specs", i), help="give every spec of a project its own `name`"))
            o.files = {}
        else:
            seen[o.out_dir.resolve().as_posix()] = o

    for o in res.specs:
        if not o.ok:
            continue
        if mode == "check":
            o.diagnostics += check_files(o.files, o.out_dir)
        elif mode == "write":
            wd = []
            for name, data_ in o.files.items():
                p = o.out_dir / name
                try:
                    if write_atomic(p, data_):
                        o.written.append(p)
                except OSError as exc:
                    wd.append(make("E003", f"cannot write {p}: {exc.strerror or exc}", span=Span(file=str(p))))
            o.diagnostics += wd
    for o in res.specs:
        res.diagnostics += o.diagnostics
    res.diagnostics = sort_diagnostics(res.diagnostics)
    return res


def _default_out(project: Project, name: str | None) -> Path | None:
    if not isinstance(name, str) or not name:
        return None
    p = project.output_root / name
    shown = display_path(p)
    return Path(shown)


def _lookup(project, spec, raw, display, *, profile, out_dir, use_data, data) -> SpecOutcome | None:
    """The cached outcome of ``spec`` if its key matches and its recorded dependencies are unchanged."""
    key = cache_key(project, spec, raw, out_dir=out_dir, profile=profile, use_data=use_data, data=data)
    f = project.root / CACHE_DIR / f"{_spec_id(project, spec, profile)}-{key}.json"
    try:
        entry = json.loads(f.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if entry.get("cache_version") != CACHE_VERSION or entry.get("key") != key:
        return None
    o_dir = Path(display_path(project.root / entry["out_dir"])) if entry.get("out_dir") else None
    if o_dir is not None and out_dir is not None:
        o_dir = Path(out_dir)
    if not _deps_ok(entry, o_dir or project.output_root):
        return None
    return SpecOutcome(path=spec, display=display, name=entry.get("name"), out_dir=o_dir,
                       files={k: v.encode("utf-8") for k, v in entry["files"].items()},
                       diagnostics=[diag_from_json(d, display) for d in entry["diagnostics"]], cached=True)


def _compile_one(project, spec, display, *, profile, out_dir, use_data, data, raw):
    from .api import compile_spec
    from .load import load_text

    doc = None
    if raw is not None:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = None
        if text is not None:
            doc, ld = load_text(text, display)
            if doc is not None and ld:
                doc = None  # let compile_spec report the load findings itself
    name = None
    if doc is not None and isinstance(doc.data, dict):
        if project.defaults:
            doc.data = merge_defaults(project.defaults, doc.data)
        name = doc.data.get("name") if isinstance(doc.data.get("name"), str) else None
    o_dir = Path(out_dir) if out_dir else _default_out(project, name)
    res = compile_spec(doc if doc is not None else spec if raw is None else Path(display), profile=profile,
                       out_dir=o_dir, data=data, use_data=use_data, emit=True, project_root=project.root)
    if res.model is not None:
        name = res.model.spec.name
    files = res.files() if res.ok else {}
    outcome = SpecOutcome(path=spec, display=display, name=name, out_dir=res.out_dir or o_dir, files=files,
                          diagnostics=list(res.diagnostics), cached=False)
    deps: dict = {}
    if use_data and res.model is not None:
        try:
            from .data import _bind
        except ImportError:
            _bind = None
        if _bind is not None:
            paths = set()
            for t in res.model.tables.values():
                b = _bind(res.model, t, Path(data) if data else None)
                if b is not None:
                    paths.add(str(Path(b[1]).resolve()))
            deps["data"] = [[p, stat_key(Path(p))] for p in sorted(paths)]
        man = res.manifest or {}
        if any(t.get("source_columns") for t in man.get("tables", [])):
            deps["drift"] = _drift_input(outcome.out_dir) if outcome.out_dir else None
    entry = {"name": name, "files": {k: v.decode("utf-8") for k, v in files.items()},
             "diagnostics": [diag_to_json(d, display) for d in outcome.diagnostics], "deps": deps}
    return outcome, entry


def _store(project, spec, raw, entry, outcome, *, profile, use_data, data, out_dir, mode) -> None:
    key = cache_key(project, spec, raw, out_dir=out_dir, profile=profile, use_data=use_data, data=data)
    deps = entry["deps"]
    if "drift" in deps and mode == "write" and outcome.ok and not any(d.code == "D031" for d in outcome.diagnostics):
        # this compile is about to write the manifest; with no drift reported, the next compile
        # compares against the manifest written now and finds none either
        cols = {t.get("name"): t.get("source_columns")
                for t in json.loads(outcome.files["manifest.json"]).get("tables", [])}
        deps["drift"] = hashlib.sha256(json.dumps(cols, sort_keys=True).encode()).hexdigest()
    full = {"cache_version": CACHE_VERSION, "key": key, "spec": os.path.relpath(spec, project.root),
            "out_dir": os.path.relpath(outcome.out_dir.resolve(), project.root) if outcome.out_dir else None,
            **entry}
    sid = _spec_id(project, spec, profile)
    cdir = project.root / CACHE_DIR
    try:
        cdir.mkdir(parents=True, exist_ok=True)
        for old in os.listdir(cdir):  # one entry per spec and profile: the last one
            if old.startswith(sid + "-") and old != f"{sid}-{key}.json":
                try:
                    os.unlink(cdir / old)
                except OSError:
                    pass
        write_atomic(cdir / f"{sid}-{key}.json", json.dumps(full, sort_keys=True).encode("utf-8"))
    except OSError:
        pass  # a cache that cannot be written only costs time


__all__ = ["PROJECT_FILE", "Project", "ProjectResult", "SpecOutcome", "find_project", "load_project",
           "merge_defaults", "check_defaults", "select", "compile_project", "cache_key", "compiler_fingerprint"]
