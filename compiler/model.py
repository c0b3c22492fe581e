"""Stage 3 — model: a validated Spec (+ profile) → the typed, normalised :class:`Model`.

Here keys become tuples, composite keys get their surrogate column names, encodings get their SDK
names, training settings are resolved per table (defaults ← spec ← profile ← table), and sources
are resolved to paths inside the project root.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codes import make
from .diagnostics import Diagnostic, Related, has_errors
from .load import Document
from .schema import did_you_mean, validate_data
from .spec import DEFAULT_LANGUAGE_MODEL, DEFAULT_TRAINING, MODEL_SIZES, Spec, canonical_encoding

PROJECT_MARKERS = ("synthspec.yaml", ".git", "pyproject.toml")


@dataclass(frozen=True)
class SourceRef:
    alias: str
    kind: str
    path: Path | None  # absolute
    location: str | None  # file or table inside the source
    format: str
    options: dict
    sample_rows: int
    sample_seed: int


@dataclass(frozen=True)
class ColumnIR:
    name: str
    encoding: str  # SDK name (``AUTO`` if unresolved)
    authored: str  # as written
    exclude: bool
    pii: str | None
    path: tuple  # JSON path of the column entry
    lint: dict | None = None  # {"ignore": [...], "reason": ...} as authored
    fake: str | None = None  # the fake kind filled in after generation (implies exclude)


@dataclass(frozen=True)
class ForeignKeyIR:
    index: int
    columns: tuple[str, ...]
    references: str
    referenced_columns: tuple[str, ...] | None
    context: bool
    model_column: str  # the single column the engine sees
    path: tuple

    @property
    def composite(self) -> bool:
        return len(self.columns) > 1


@dataclass(frozen=True)
class TableIR:
    name: str
    declared_roles: tuple[str, ...]
    source: SourceRef | None
    primary_key: tuple[str, ...]
    pk_model_column: str | None
    foreign_keys: tuple[ForeignKeyIR, ...]
    columns: tuple[ColumnIR, ...]
    training: dict  # the SDK ModelConfiguration of the tabular model (snake_case)
    path: tuple
    language_model: str = DEFAULT_LANGUAGE_MODEL
    constraints: tuple[dict, ...] = ()  # {"index", "fixed_combinations" | "inequality", "path"} as authored
    lint: dict | None = None

    @property
    def key_columns(self) -> set[str]:
        out = set(self.primary_key)
        for fk in self.foreign_keys:
            out.update(fk.columns)
        return out

    @property
    def context_fk(self) -> ForeignKeyIR | None:
        return next((fk for fk in self.foreign_keys if fk.context), None)

    def modelled_columns(self) -> list[ColumnIR]:
        keys = self.key_columns
        return [c for c in self.columns if not c.exclude and c.name not in keys]


@dataclass
class Model:
    spec: Spec
    doc: Document
    profile: str | None
    spec_path: Path | None
    project_root: Path
    tables: dict[str, TableIR]
    generation: dict
    output: dict
    quality: dict
    engine: dict
    roles: dict[str, tuple[str, ...]] = field(default_factory=dict)  # filled by the graph stage
    order: list[str] = field(default_factory=list)  # parents first; filled by the graph stage
    value_counts: dict = field(default_factory=dict)  # table → column → sampled value counts (data stage)
    lint_overrides: list[dict] = field(default_factory=list)  # filled by the lint stage; lands in the manifest


def find_project_root(start: Path) -> Path:
    """The nearest ancestor holding synthspec.yaml, .git or pyproject.toml; else ``start``."""
    start = start.resolve()
    for d in (start, *start.parents):
        if any((d / m).exists() for m in PROJECT_MARKERS):
            return d
    return start


def _deep_merge(base: dict, over: dict) -> dict:
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = _deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def apply_profile(doc: Document, spec: Spec, profile: str | None) -> tuple[Spec | None, list[Diagnostic]]:
    """Merge ``profiles.<profile>`` onto the document's data and re-validate."""
    if not profile:
        return spec, []
    if profile not in spec.profiles:
        guess = did_you_mean(profile, spec.profiles)
        known = ", ".join(sorted(spec.profiles)) or "none"
        return None, [make("M001", f"profile `{profile}` is not defined (defined: {known})",
                           span=doc.locate(("profiles",), key=True) if spec.profiles else doc.locate(()),
                           help=f"did you mean `{guess}`?" if guess else "add it under `profiles:` or drop --profile")]
    overlay = dict(doc.data["profiles"][profile])
    overlay.pop("description", None)
    unknown = []
    for section, known in (("tables", spec.tables), ("sources", spec.sources)):
        for name in (overlay.get(section) or {}):
            if name not in known:
                guess = did_you_mean(name, known)
                p_path = ("profiles", profile, section, name)
                unknown.append(make("M012", f"profile `{profile}` overrides unknown {section[:-1]} `{name}`",
                                    span=doc.locate(p_path, key=True), path=p_path,
                                    help=f"did you mean `{guess}`?" if guess else
                                    f"profiles can only override {section} the spec defines"))
    if unknown:
        return None, unknown
    merged = _deep_merge(doc.data, overlay)
    pdoc = ProfiledDocument(doc, profile)
    new, diags = validate_data(pdoc, merged)
    out = [make("M012", f"with profile `{profile}`: {d.message}", span=d.span, help=d.help, path=d.path)
           for d in diags]
    return new, out


class ProfiledDocument:
    """A Document seen through a profile: a path the profile sets is located in the profile."""

    def __init__(self, doc: Document, profile: str):
        self._doc, self._prefix = doc, ("profiles", profile)

    def __getattr__(self, name):
        return getattr(self._doc, name)

    def locate(self, path, *, key: bool = False):
        path = tuple(path)
        p_path = self._prefix + path
        _, _, pdepth = self._doc.node_at(p_path)
        _, _, bdepth = self._doc.node_at(path)
        if pdepth - len(self._prefix) > bdepth and pdepth > len(self._prefix):
            return self._doc.locate(p_path, key=key)
        return self._doc.locate(path, key=key)


def build(doc: Document, spec: Spec, *, profile: str | None = None, spec_path: Path | None = None,
          project_root: Path | None = None) -> tuple[Model | None, list[Diagnostic]]:
    """Stage entry point: normalise a validated spec into a :class:`Model`."""
    diags: list[Diagnostic] = []
    spec2, pd = apply_profile(doc, spec, profile)
    diags += pd
    if spec2 is None:
        return None, diags
    spec = spec2
    base_dir = spec_path.parent.resolve() if spec_path else Path.cwd()
    root = (project_root or find_project_root(base_dir)).resolve()

    defaults = dict(DEFAULT_TRAINING)
    defaults.update(spec.training.model_dump(exclude_none=True))

    tables: dict[str, TableIR] = {}
    for tname, t in spec.tables.items():
        tpath = ("tables", tname)
        pk = _as_tuple(t.primary_key)
        diags += _dup_columns(doc, pk, tpath + ("primary_key",), "primary key")
        declared = {c for c in t.columns}
        pk_model = None
        if len(pk) == 1:
            pk_model = pk[0]
            if t.surrogate_key:
                diags.append(make("M006", f"`surrogate_key` on `{tname}` is ignored: its primary key has one column",
                                  span=doc.locate(tpath + ("surrogate_key",), key=True), path=tpath + ("surrogate_key",),
                                  help="remove `surrogate_key`, or list the key's columns"))
        elif len(pk) > 1:
            pk_model = t.surrogate_key or "__".join(pk)
            if pk_model in declared or pk_model in pk:
                diags.append(make("M005", f"surrogate key `{pk_model}` of `{tname}` collides with a column of the table",
                                  span=doc.locate(tpath + (("surrogate_key",) if t.surrogate_key else ("primary_key",))),
                                  path=tpath, help="choose another `surrogate_key` name"))
        fk_cols_all = {c for fk in t.foreign_keys for c in _as_tuple(fk.columns)}
        if len(pk) > 1 and pk_model in fk_cols_all and not any(d.code == "M005" for d in diags):
            diags.append(make("M005", f"surrogate key `{pk_model}` of `{tname}` collides with a foreign key column",
                              span=doc.locate(tpath + (("surrogate_key",) if t.surrogate_key else ("primary_key",))),
                              path=tpath, help="choose another `surrogate_key` name"))
        taken = set(declared) | set(pk) | fk_cols_all | ({pk_model} if pk_model else set())
        fks = []
        for i, fk in enumerate(t.foreign_keys):
            fpath = tpath + ("foreign_keys", i)
            cols = _as_tuple(fk.columns)
            diags += _dup_columns(doc, cols, fpath + ("columns",), "foreign key")
            if len(cols) == 1:
                model_col = cols[0]
            elif fk.surrogate_key:
                model_col = fk.surrogate_key
                if model_col in taken:
                    diags.append(make("M005", f"surrogate key `{model_col}` of a foreign key of `{tname}` collides "
                                              "with a column of the table",
                                      span=doc.locate(fpath + ("surrogate_key",)), path=fpath + ("surrogate_key",),
                                      help="choose another `surrogate_key` name"))
            else:
                parent = spec.tables.get(fk.references)
                parent_sur = None
                if parent is not None and len(_as_tuple(parent.primary_key)) > 1:
                    parent_sur = parent.surrogate_key or "__".join(_as_tuple(parent.primary_key))
                model_col = parent_sur or "__".join(cols)
                candidates = [model_col, f"{fk.references}__{model_col}", "__".join(cols)]
                model_col = next((c for c in candidates if c not in taken), None)
                n = 2
                while model_col is None:
                    if f"{candidates[1]}_{n}" not in taken:
                        model_col = f"{candidates[1]}_{n}"
                    n += 1
            taken.add(model_col)
            fks.append(ForeignKeyIR(
                index=i, columns=cols, references=fk.references,
                referenced_columns=_as_tuple(fk.referenced_columns) if fk.referenced_columns else None,
                context=fk.context, model_column=model_col, path=fpath))
        keys = set(pk) | {c for f in fks for c in f.columns}
        columns = []
        for cname, entry in t.columns.items():
            cpath = tpath + ("columns", cname)
            lint = None
            fake = None
            if isinstance(entry, str):
                enc_auth, exclude, pii = entry, False, None
            else:
                enc_auth, exclude, pii = entry.encoding, entry.exclude, entry.pii
                lint = entry.lint.model_dump() if entry.lint else None
                if entry.fake not in (None, False):
                    from .fake import resolve_kind

                    fake = resolve_kind(entry.fake, pii)
                    if cname in keys:
                        diags.append(make("M051", f"key column `{tname}.{cname}` cannot be faked",
                                          span=doc.locate(cpath + ("fake",)), path=cpath + ("fake",),
                                          help="keys are regenerated by the engine and mapped back to the source's "
                                               "format by `run`; remove `fake`"))
                    elif fake is None:
                        diags.append(make("M050", f"`fake: true` on `{tname}.{cname}` needs a `pii` tag to choose "
                                                  "the kind of values", span=doc.locate(cpath + ("fake",)),
                                          path=cpath + ("fake",),
                                          help="add `pii: email` (name, phone, national_id, address, other), or name "
                                               "the kind: `fake: email`"))
                    exclude = True  # a faked column is never modelled
            if exclude and cname in keys and fake is None:
                diags.append(make("M011", f"key column `{tname}.{cname}` cannot be excluded",
                                  span=doc.locate(cpath + ("exclude",)), path=cpath,
                                  help="keys are never modelled, the engine regenerates them; remove `exclude: true`"))
            columns.append(ColumnIR(name=cname, encoding=canonical_encoding(enc_auth), authored=enc_auth,
                                    exclude=exclude, pii=pii if pii != "none" else None, path=cpath, lint=lint,
                                    fake=fake))
        training = dict(defaults)
        if t.training is not None:
            training.update(t.training.model_dump(exclude_none=True))
        language_model = training.pop("language_model", None) or DEFAULT_LANGUAGE_MODEL
        constraints = tuple(
            {"index": i, **c.model_dump(exclude_none=True), "path": tpath + ("constraints", i)}
            for i, c in enumerate(t.constraints))
        source, sd = _resolve_source(doc, spec, tname, t.source, base_dir, root)
        diags += sd
        roles = t.role if isinstance(t.role, list) else ([t.role] if t.role else [])
        tables[tname] = TableIR(
            name=tname, declared_roles=tuple(roles), source=source, primary_key=pk, pk_model_column=pk_model,
            foreign_keys=tuple(fks), columns=tuple(columns), training=_sdk_training(training), path=tpath,
            language_model=language_model, constraints=constraints,
            lint=t.lint.model_dump() if t.lint else None)
    from .platform import check_engine  # engine and output-mode checks (M040-M044)

    diags += check_engine(doc, spec)
    if has_errors(diags):
        return None, diags
    model = Model(
        spec=spec, doc=ProfiledDocument(doc, profile) if profile else doc, profile=profile, spec_path=spec_path, project_root=root, tables=tables,
        generation=spec.generation.model_dump(), output=spec.output.model_dump(),
        quality=spec.quality.model_dump(), engine=spec.engine.model_dump())
    return model, diags


def _as_tuple(v) -> tuple[str, ...]:
    if v is None:
        return ()
    return (v,) if isinstance(v, str) else tuple(v)


def _dup_columns(doc: Document, cols: tuple, path: tuple, what: str) -> list[Diagnostic]:
    seen: dict[str, int] = {}
    out = []
    for i, c in enumerate(cols):
        if c in seen:
            out.append(make("M004", f"{what} lists column `{c}` twice", span=doc.locate(path + (i,)), path=path + (i,),
                            related=[Related(doc.locate(path + (seen[c],)), "first listed here")]))
        else:
            seen[c] = i
    return out


#: mostlyai.sdk.domain.DifferentialPrivacyConfig defaults (6.2.0)
DP_DEFAULTS = {"max_epsilon": 10.0, "delta": 1e-05, "noise_multiplier": 1.5, "max_grad_norm": 1.0,
               "value_protection_epsilon": 1.0}


def _sdk_training(t: dict) -> dict:
    out: dict[str, Any] = {}
    for k, v in t.items():
        if k == "model":
            out["model"] = MODEL_SIZES.get(v, v)
        elif k == "rare_category_replacement_method":
            out[k] = v.upper()
        elif k in ("max_training_time", "max_epochs"):
            out[k] = float(v)
        elif k == "differential_privacy":
            if v is False:
                continue
            # explicit SDK defaults, so generator.json says what the SDK will hold after validation
            out[k] = {**DP_DEFAULTS, **{dk: float(dv) for dk, dv in (v if isinstance(v, dict) else {}).items()}}
        else:
            out[k] = v
    dp = out.get("differential_privacy")
    if dp is not None and out.get("value_protection") is False:
        dp.pop("value_protection_epsilon", None)  # the SDK drops it too (controls.py says so: M021)
    return out


def _resolve_source(doc, spec: Spec, tname: str, ref: str | None, base_dir: Path, root: Path):
    if ref is None:
        return None, []
    spath = ("tables", tname, "source")
    alias, _, location = ref.partition("/")
    src = spec.sources.get(alias)
    if src is None:
        guess = did_you_mean(alias, spec.sources)
        return None, [make("M002", f"table `{tname}` reads from source `{alias}`, which is not declared under `sources`",
                           span=doc.locate(spath), path=spath,
                           help=f"did you mean `{guess}`?" if guess else "declare it: `sources: {"
                                f"{alias}: {{kind: files, path: data}}}}`")]
    path = None
    diags = []
    if src.path is not None:
        p = Path(src.path)
        path = (p if p.is_absolute() else base_dir / p).resolve()
        if not src.allow_outside_root and src.kind != "spark" and not _inside(path, root):  # spark: cluster paths
            diags.append(make("M003", f"source `{alias}` path `{src.path}` resolves outside the project root `{root}`",
                              span=doc.locate(("sources", alias, "path")), path=("sources", alias, "path"),
                              help="move the data into the project, or set `allow_outside_root: true` on the source"))
    sample = src.sample
    return SourceRef(
        alias=alias, kind=src.kind, path=path, location=location or None, format=src.format,
        options=src.csv.model_dump(exclude_none=True) if src.csv else {},
        sample_rows=sample.rows if sample else 10_000, sample_seed=sample.seed if sample else 0,
    ), diags


def _inside(p: Path, root: Path) -> bool:
    try:
        p.relative_to(root)
        return True
    except ValueError:
        return False
