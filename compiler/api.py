"""The Python API: every step is a function returning typed objects. Nothing here prints or exits.

Pipeline (each stage returns ``(value, diagnostics)``; the pipeline stops between stages when a
stage reported an error):

1. ``load``   — YAML → data + node tree (Y codes)
2. ``schema`` — data → :class:`compiler.spec.Spec` (S codes, plus field codes M007–M010)
3. ``model``  — Spec + profile → normalised :class:`compiler.model.Model` (M codes)
4. ``graph``  — relational checks, roles, parents-first order (G codes)
5. ``data``   — optional: sample bound sources, infer ``auto`` encodings, check contracts (D codes)
6. ``lint``   — privacy and best practice (L codes)
7. ``emit``   — generator.json, generate.json, manifest.json (E codes)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .codes import make
from .diagnostics import Diagnostic, Severity, has_errors, sort_diagnostics
from .load import Document, load_file, load_text


class SpecError(Exception):
    """Raised by :func:`load_spec` when the spec does not load or validate."""

    def __init__(self, diagnostics: list[Diagnostic]):
        self.diagnostics = diagnostics
        first = diagnostics[0] if diagnostics else None
        super().__init__(f"{first.span}: {first.code} {first.message}" if first else "invalid spec")


@dataclass
class CompileResult:
    """What :func:`compile_spec` returns."""

    diagnostics: list[Diagnostic]
    document: Document | None = None
    model: Any = None  # compiler.model.Model
    artifacts: Any = None  # compiler.emit.Artifacts
    out_dir: Path | None = None
    sources: dict[str, str] = field(default_factory=dict)  # file → text, for renderers

    @property
    def ok(self) -> bool:
        return self.artifacts is not None and not has_errors(self.diagnostics)

    def failed(self, fail_on: Severity = Severity.ERROR) -> bool:
        return any(d.severity >= fail_on for d in self.diagnostics) or self.artifacts is None

    @property
    def manifest(self) -> dict | None:
        return self.artifacts.manifest if self.artifacts else None

    @property
    def generator(self) -> dict | None:
        return self.artifacts.generator if self.artifacts else None

    @property
    def generate(self) -> dict | None:
        return self.artifacts.generate if self.artifacts else None

    @property
    def roles(self) -> dict[str, tuple[str, ...]]:
        return dict(self.model.roles) if self.model is not None else {}

    @property
    def generator_config(self):
        """The artifact as a real ``mostlyai.sdk.domain.GeneratorConfig`` (imports the SDK)."""
        if not self.artifacts:
            return None
        from mostlyai.sdk.domain import GeneratorConfig

        return GeneratorConfig.model_validate(_strip_schema(self.artifacts.generator))

    @property
    def dataset_config(self):
        """The artifact as a real ``mostlyai.sdk.domain.SyntheticDatasetConfig``."""
        if not self.artifacts:
            return None
        from mostlyai.sdk.domain import SyntheticDatasetConfig

        return SyntheticDatasetConfig.model_validate(_strip_schema(self.artifacts.generate))

    def files(self) -> dict[str, bytes]:
        return self.artifacts.files() if self.artifacts else {}

    def write(self, out_dir: str | Path | None = None) -> list[Path]:
        """Write the artifacts atomically; returns the files that changed."""
        from .emit import write

        if not self.ok:
            raise RuntimeError("cannot write artifacts of a failed compile")
        written, diags = write(self.artifacts, Path(out_dir) if out_dir else self.out_dir)
        if diags:
            self.diagnostics = sort_diagnostics(self.diagnostics + diags)
        return written

    def check(self, out_dir: str | Path | None = None) -> list[Diagnostic]:
        """``--check``: E002 for each artifact on disk that differs from this result."""
        from .emit import check

        return check(self.artifacts, Path(out_dir) if out_dir else self.out_dir)


def _strip_schema(d: dict) -> dict:
    return {k: v for k, v in d.items() if k != "$schema"}


def _load(path_or_spec) -> tuple[Document | None, Path | None, list[Diagnostic]]:
    if isinstance(path_or_spec, Document):
        p = Path(path_or_spec.path) if path_or_spec.path and not path_or_spec.path.startswith("<") else None
        return path_or_spec, p, []
    if isinstance(path_or_spec, dict):
        import copy
        import hashlib
        import json

        # no YAML round trip: a dict is already data (diagnostics carry its JSON path, not a line)
        text = json.dumps(path_or_spec, indent=1, ensure_ascii=False, default=str)
        doc = Document(path="<dict>", text=text, data=copy.deepcopy(path_or_spec),
                       sha256=hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest())
        return doc, None, []
    if hasattr(path_or_spec, "model_dump"):  # a compiler.spec.Spec
        return _load(path_or_spec.model_dump(mode="json", exclude_defaults=True))
    p = Path(path_or_spec)
    doc, diags = load_file(p, display=_display(p))
    return doc, p, diags


def _display(p: Path) -> str:
    try:
        return p.resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(p)


def load_spec(path_or_spec) -> "Spec":  # noqa: F821
    """Load and validate a spec file (or dict); raise :class:`SpecError` with located diagnostics."""
    from .schema import validate

    doc, _, diags = _load(path_or_spec)
    if doc is None or has_errors(diags):
        raise SpecError(sort_diagnostics(diags))
    spec, sd = validate(doc)
    if spec is None:
        raise SpecError(sort_diagnostics(sd))
    return spec


def validate_spec(path_or_spec, profile: str | None = None) -> CompileResult:
    """Run every check but emit nothing (``synthspec validate``)."""
    return compile_spec(path_or_spec, profile=profile, emit=False)


def compile_spec(path_or_spec, profile: str | None = None, *, out_dir: str | Path | None = None,
                 data: str | Path | None = None, use_data: bool = True, emit: bool = True,
                 project_root: str | Path | None = None,
                 progress: Callable[[str], None] | None = None) -> CompileResult:
    """Compile a spec into artifacts (in memory; call ``.write()`` to store them).

    Args:
        path_or_spec: a spec file path, a ``dict`` or a :class:`compiler.spec.Spec`.
        profile: name of a ``profiles:`` overlay to apply.
        out_dir: where artifacts go (default ``build/<name>`` next to the current directory).
        data: a folder of files that overrides the sources of every table (``--data``).
        use_data: read bound sources when reachable (sampling, inference, contracts).
        emit: build artifacts (False: check only).
        project_root: the root source paths must stay inside (default: discovered).

    Returns:
        A :class:`CompileResult`; ``.ok`` tells whether artifacts were produced without errors.
    """
    from . import controls
    from . import graph as graph_stage
    from . import lint as lint_stage
    from . import model as model_stage
    from .schema import validate

    doc, spec_path, diags = _load(path_or_spec)
    result = CompileResult(diagnostics=diags, document=doc)
    if doc is not None:
        result.sources[doc.path] = doc.text
    elif spec_path is not None:
        try:
            result.sources[_display(spec_path)] = spec_path.read_text("utf-8", errors="replace")
        except OSError:
            pass
    if doc is None or has_errors(diags):
        result.diagnostics = sort_diagnostics(diags)
        return result

    spec, sd = validate(doc)
    diags += sd
    if spec is None:
        result.diagnostics = sort_diagnostics(diags)
        return result

    model, md = model_stage.build(doc, spec, profile=profile, spec_path=spec_path,
                                  project_root=Path(project_root) if project_root else None)
    diags += md
    if model is None:
        result.diagnostics = sort_diagnostics(diags)
        return result
    result.model = model

    _, gd = graph_stage.check(model)
    diags += gd
    if not has_errors(gd):
        diags += controls.check(model)
    if has_errors(diags):
        result.diagnostics = sort_diagnostics(diags)
        return result

    bindings: dict = {}
    if use_data:
        bindings, dd = _data_stage(model, data, progress)
        diags += dd
        if has_errors(dd):
            result.diagnostics = sort_diagnostics(diags)
            return result

    diags += controls.check_resolved(model)
    if use_data:
        diags += controls.check_seeds(model)
    if has_errors(diags):
        result.diagnostics = sort_diagnostics(diags)
        return result

    diags += lint_stage.lint(model)

    result.out_dir = Path(out_dir) if out_dir else Path("build") / model.spec.name
    if bindings:
        from .data import drift

        diags += drift(model, bindings, result.out_dir)
    if emit:
        from .emit import emit as emit_stage

        artifacts, ed = emit_stage(model, result.out_dir, bindings=bindings)
        diags += ed
        result.artifacts = artifacts
    result.diagnostics = sort_diagnostics(diags)
    return result


def _data_stage(model, data, progress) -> tuple[dict, list[Diagnostic]]:
    """Sample bound sources when reachable; infer ``auto`` encodings; check data contracts."""
    from . import data as data_stage  # imports pandas only when it samples (and says so if it is missing)

    return data_stage.run(model, data_dir=Path(data) if data else None, progress=progress)


def run(spec_or_manifest, *, profile: str | None = None, **kwargs):
    """Compile (if given a spec) and execute with the engine. See :mod:`compiler.run`."""
    from .run import run_manifest

    manifest, res = manifest_for(spec_or_manifest, profile=profile)
    return res if manifest is None else run_manifest(manifest, **kwargs)


def manifest_for(spec_or_manifest, *, profile: str | None = None) -> tuple[Path | None, CompileResult | None]:
    """A ``manifest.json`` path as is, or a spec compiled and written to its build folder.

    Returns ``(manifest, compile result)``; the result is None for a manifest, and the manifest is
    None when the spec does not compile.
    """
    p = Path(spec_or_manifest)
    if p.suffix == ".json":
        return p, None
    res = compile_spec(p, profile=profile)
    if not res.ok:
        return None, res
    res.write()
    return res.out_dir / "manifest.json", res


def probe(spec_or_manifest, *, rows: int = 5, profile: str | None = None, **kwargs):
    """A few rows, fast, from the trained generator (cached by ``run``; trained first if missing).
    Returns a :class:`compiler.probing.ProbeResult` (``.tables``: table → DataFrame), or the failed
    :class:`CompileResult`. See :mod:`compiler.probing`."""
    from .probing import probe as _probe

    return _probe(spec_or_manifest, rows=rows, profile=profile, **kwargs)


def internal_error(exc: BaseException) -> Diagnostic:
    return make("X001", f"internal error: {type(exc).__name__}: {exc}",
                help="this is a bug in synthspec; please report it with the spec that triggered it")
