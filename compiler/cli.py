"""The ``synthspec`` command line: parses arguments, calls the API, renders, picks the exit code.

Exit codes (ruff's): 0 clean, 1 findings at or above ``--fail-on``, 2 the tool itself failed.
This is the only module that prints or exits. No traceback ever reaches a user: an unexpected
exception is reported as ``X001 internal error`` with exit code 2 (``SYNTHSPEC_DEBUG=1`` re-raises).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from . import __version__
from .codes import CODES, make
from .diagnostics import Diagnostic, Severity, sort_diagnostics

EXIT_OK, EXIT_FINDINGS, EXIT_TOOL = 0, 1, 2
REPO_ROOT = Path(__file__).resolve().parent.parent


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # usage errors are X002, exit 2, never a traceback
        self.print_usage(sys.stderr)
        print(f"synthspec: error[X002]: {message}", file=sys.stderr)
        raise SystemExit(EXIT_TOOL)


def _add_output_opts(p, *, fail_on=True):
    p.add_argument("--format", "-f", choices=("text", "json", "sarif", "github"), default="text",
                   help="how diagnostics are printed (default: text)")
    if fail_on:
        p.add_argument("--fail-on", choices=("info", "warning", "error"), default="error",
                       help="lowest severity that makes the exit code 1 (default: error)")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")


def _add_project_opts(p):
    p.add_argument("--select", "-s", action="append", default=[], metavar="NAME|PATH",
                   help="project mode: compile only these specs (name, path or glob; repeatable)")
    p.add_argument("--project", metavar="FILE|DIR", help="project file (default: synthspec.yaml here or above)")


def build_parser() -> argparse.ArgumentParser:
    ap = _Parser(prog="synthspec", description="Schema-first compiler for synthetic data specs (MOSTLY AI).")
    ap.add_argument("--version", action="version", version=f"synthspec {__version__}")
    sub = ap.add_subparsers(dest="cmd", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser("validate", help="check specs without writing anything")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files (none: the project's, see docs/ci.md)")
    _add_project_opts(p)
    p.add_argument("--profile", "-p")
    p.add_argument("--data", metavar="DIR", help="read every table from files in DIR")
    p.add_argument("--no-data", action="store_true", help="do not read any data")
    _add_output_opts(p)

    p = sub.add_parser("compile", help="check specs and write generator.json, generate.json, manifest.json")
    p.add_argument("specs", nargs="*", metavar="SPEC", help="spec files (none: the project's, see docs/ci.md)")
    _add_project_opts(p)
    p.add_argument("-o", "--output", metavar="DIR", help="output folder (default build/<name>; one spec only)")
    p.add_argument("--profile", "-p")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if artifacts on disk are out of date")
    p.add_argument("--data", metavar="DIR", help="read every table from files in DIR")
    p.add_argument("--no-data", action="store_true", help="do not read any data")
    _add_output_opts(p)

    p = sub.add_parser("diff", help="semantic diff of specs between two git revisions, folders or spec files")
    p.add_argument("base", metavar="BASE", help="git revision, folder or spec file")
    p.add_argument("head", metavar="HEAD", help="git revision, folder or spec file")
    p.add_argument("--format", "-f", choices=("text", "json", "markdown"), default="text")
    p.add_argument("--fail-on", choices=("breaking", "retrain", "regenerate", "metadata", "never"), default="never",
                   help="lowest class of change that makes the exit code 1 (default: never)")
    p.add_argument("--profile", "-p", help="compare both sides compiled with this profile")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto")

    p = sub.add_parser("graph", help="print the relational graph (mermaid or dot)")
    p.add_argument("spec", metavar="SPEC")
    p.add_argument("--profile", "-p")
    p.add_argument("--format", "-f", choices=("mermaid", "dot"), default="mermaid")

    p = sub.add_parser("explain", help="explain a diagnostic code")
    p.add_argument("code", metavar="CODE", nargs="?")
    p.add_argument("--list", action="store_true", help="list every code")

    p = sub.add_parser("init", help="start a project from a template")
    p.add_argument("dir", metavar="DIR")
    p.add_argument("--template", "-t", default="tsocial")
    p.add_argument("--no-data", action="store_true", help="do not generate the template's demo data")

    p = sub.add_parser("run", help="compile (if given a spec) and run with the MOSTLY AI engine")
    p.add_argument("target", metavar="SPEC|MANIFEST")
    p.add_argument("--profile", "-p")
    p.add_argument("--retrain", action="store_true", help="train even if a matching generator exists")
    p.add_argument("-o", "--output", metavar="DIR", help="compile output folder (default build/<name>)")
    _add_output_opts(p)

    p = sub.add_parser("probe", help="a few synthetic rows, fast, from the trained generator (see docs/generation.md)")
    p.add_argument("target", metavar="SPEC|MANIFEST")
    p.add_argument("--rows", "-n", type=int, default=5, help="rows per subject table (default 5)")
    p.add_argument("--profile", "-p")
    p.add_argument("--retrain", action="store_true", help="train even if a matching generator exists")
    _add_output_opts(p)

    p = sub.add_parser("demo", help="generate the tSocial demo data, compile it and run it end to end")
    p.add_argument("--profile", "-p", default="demo")
    p.add_argument("--retrain", action="store_true")
    _add_output_opts(p, fail_on=False)

    p = sub.add_parser("render", help="render a deployment from a compiled manifest (databricks: an asset bundle)")
    p.add_argument("target_kind", choices=("databricks",), metavar="KIND", help="databricks")
    p.add_argument("target", metavar="SPEC|MANIFEST")
    p.add_argument("-o", "--output", metavar="DIR", help="bundle folder (default build/<name>/databricks)")
    p.add_argument("--profile", "-p", help="compile the spec with this profile first")
    p.add_argument("--no-data", action="store_true", help="compile the spec without reading data")
    p.add_argument("--catalog", help="Unity Catalog catalog of the volume (default main)")
    p.add_argument("--schema", help="schema of the volume (default synthspec)")
    p.add_argument("--volume", help="volume for run records and generator ZIPs (default synthspec)")
    p.add_argument("--node-type", help="job cluster node type (default i3.xlarge)")
    p.add_argument("--spark-version", help="Databricks runtime (default 15.4.x-scala2.12)")
    p.add_argument("--workers", type=int, help="workers (default 0: single node)")
    p.add_argument("--secret-scope", help="Databricks secret scope of a platform engine's key (default synthspec)")
    p.add_argument("--wheel", metavar="WHL", help="ship this synthspec wheel in the bundle (dist/)")
    _add_output_opts(p)

    p = sub.add_parser("infer", help="infer a spec from data, or resolve `auto` in an existing spec")
    p.add_argument("source", metavar="DATA", nargs="?", help="a folder of files, or a sqlite/duckdb file")
    p.add_argument("--spec", metavar="SPEC", help="update this spec (resolve auto encodings and missing keys)")
    p.add_argument("--write", action="store_true", help="write the result (atomically, keeping comments)")
    p.add_argument("--dry-run", action="store_true", help="print the diff instead of writing")
    p.add_argument("-o", "--output", metavar="FILE", help="where a bootstrapped spec goes (default: stdout)")
    p.add_argument("--name", help="spec name for a bootstrapped spec")
    p.add_argument("--rows", type=int, default=None, help="sample rows per table")
    p.add_argument("--seed", type=int, default=0)
    _add_output_opts(p)
    return ap


def _color(args) -> bool:
    if getattr(args, "color", "never") == "always":
        return True
    if getattr(args, "color", "never") == "never" or os.environ.get("NO_COLOR"):
        return False
    return sys.stderr.isatty()


def emit_diagnostics(diags: list[Diagnostic], args, sources: dict[str, str]) -> None:
    from .render import github_step_summary, render

    diags = sort_diagnostics(diags)
    fmt = getattr(args, "format", "text")
    out = render(diags, fmt, sources=sources, color=_color(args), tool_version=__version__,
                 base_dir=os.getcwd())
    if fmt == "text":
        if diags:
            sys.stderr.write(out)
    else:
        sys.stdout.write(out)
    if fmt == "github" and os.environ.get("GITHUB_STEP_SUMMARY") and diags:
        try:
            with open(os.environ["GITHUB_STEP_SUMMARY"], "a", encoding="utf-8") as f:
                f.write(github_step_summary(diags, base_dir=os.getcwd()))
        except OSError as exc:
            print(f"synthspec: cannot write the step summary: {exc}", file=sys.stderr)


def _exit_code(diags: list[Diagnostic], fail_on: str, *, failed: bool = False) -> int:
    threshold = Severity.parse(fail_on)
    if failed or any(d.severity >= threshold for d in diags):
        return EXIT_FINDINGS
    return EXIT_OK


# --- commands ---------------------------------------------------------------------------

def cmd_compile(args, *, write: bool) -> int:
    from .api import compile_spec

    if _project_mode(args):
        return cmd_project(args, write=write)
    if args.output and len(args.specs) > 1:
        raise _Usage("-o/--output takes one spec; compile several specs into build/<name>/")
    all_diags: list[Diagnostic] = []
    sources: dict[str, str] = {}
    failed = False
    messages = []
    for spec in args.specs:
        res = compile_spec(spec, profile=args.profile, out_dir=args.output, data=args.data,
                           use_data=not args.no_data, emit=True)
        sources.update(res.sources)
        all_diags += res.diagnostics
        if not res.ok:
            failed = True
            continue
        if write and args.check:
            stale = res.check()
            all_diags += stale
            failed = failed or bool(stale)
        elif write:
            written = res.write()
            all_diags += [d for d in res.diagnostics if d.code == "E003"]
            messages.append(f"{res.model.spec.name}: {len(written)} of 3 artifacts updated in {res.out_dir}")
    emit_diagnostics(all_diags, args, sources)
    if args.format == "text":
        for m in messages:
            print(m, file=sys.stderr)
    return _exit_code(all_diags, args.fail_on, failed=failed)


def _project_mode(args) -> bool:
    """No SPEC, ``--select`` or ``--project``; or every SPEC is listed by the project found here
    (so that it is compiled with the project's defaults and output folder, as CI compiles it)."""
    if not args.specs or args.select or args.project:
        if args.specs and (args.select or args.project):
            raise _Usage("give SPEC files or --select/--project, not both")
        return True
    from .project import find_project, load_project

    found = find_project()
    if found is None:
        return False
    project, diags = load_project(found, require_specs=False)
    if project is None or not project.specs:
        return False
    listed = set(project.specs)
    if all(Path(s).resolve() in listed for s in args.specs):
        args.project, args.select = str(found), list(args.specs)
        return True
    return False


def cmd_project(args, *, write: bool) -> int:
    from .project import PROJECT_FILE, compile_project, find_project

    target = args.project or find_project()
    if target is None:
        raise _Usage(f"no SPEC given and no {PROJECT_FILE} in {os.getcwd()} or a parent folder; "
                     "give spec files, or list them in a project file (docs/ci.md)")
    mode = ("check" if args.check else "write") if write else "validate"
    if args.output and len(args.select) != 1:
        raise _Usage("-o/--output takes one spec; select one with --select, or compile into the project's output")
    try:
        res = compile_project(target, select_=args.select, profile=args.profile, out_dir=args.output,
                              data=args.data, use_data=not args.no_data, mode=mode)
    except ValueError as exc:
        raise _Usage(str(exc)) from None
    emit_diagnostics(res.diagnostics, args, res.sources)
    if args.format == "text":
        for o in res.specs:
            if o.ok and mode == "write":
                print(f"{o.name}: {len(o.written)} of 3 artifacts updated in {o.out_dir}", file=sys.stderr)
        if res.project is not None and res.specs:
            print(f"{len(res.specs)} specs, {res.hits} from cache", file=sys.stderr)
    return _exit_code(res.diagnostics, args.fail_on, failed=not res.ok)


def cmd_diff(args) -> int:
    from .diff import diff, render

    result = diff(args.base, args.head, profile=args.profile)
    if result.diagnostics:
        emit_diagnostics(result.diagnostics, argparse.Namespace(format="text", color=args.color), result.sources)
    if result.resolved:
        sys.stdout.write(render(result, args.format))
    if any(d.severity >= Severity.ERROR and d.code == "E020" for d in result.diagnostics):
        return EXIT_FINDINGS
    return EXIT_FINDINGS if result.fails(args.fail_on) else EXIT_OK


def cmd_graph(args) -> int:
    from .api import compile_spec

    res = compile_spec(args.spec, profile=args.profile, use_data=False, emit=False)
    if res.model is None or not res.model.roles:
        args.format_diag = "text"
        ns = argparse.Namespace(format="text", color="auto")
        emit_diagnostics(res.diagnostics, ns, res.sources)
        return EXIT_FINDINGS
    sys.stdout.write(render_graph(res.model, args.format))
    return EXIT_OK


def render_graph(model, fmt: str) -> str:
    order = model.order or list(model.tables)
    lines = []
    if fmt == "mermaid":
        lines.append("flowchart LR")
        for n in order:
            t = model.tables[n]
            label = f"{n}<br/><i>{', '.join(model.roles.get(n, ()))}</i>"
            if t.primary_key:
                label += f"<br/>PK {', '.join(t.primary_key)}"
            lines.append(f'  {_mid(n)}["{label}"]')
        for n in order:
            for fk in model.tables[n].foreign_keys:
                arrow = "-->" if fk.context else "-.->"
                kind = "context" if fk.context else "link"
                lines.append(f'  {_mid(n)} {arrow}|"{", ".join(fk.columns)} ({kind})"| {_mid(fk.references)}')
    else:
        lines.append(f'digraph "{model.spec.name}" {{')
        lines.append("  rankdir=LR;")
        lines.append("  node [shape=box];")
        for n in order:
            t = model.tables[n]
            label = f"{n}\\n({', '.join(model.roles.get(n, ()))})"
            if t.primary_key:
                label += f"\\nPK {', '.join(t.primary_key)}"
            lines.append(f'  "{n}" [label="{label}"];')
        for n in order:
            for fk in model.tables[n].foreign_keys:
                style = "solid" if fk.context else "dashed"
                lines.append(f'  "{n}" -> "{fk.references}" [label="{", ".join(fk.columns)}", style={style}];')
        lines.append("}")
    return "\n".join(lines) + "\n"


def _mid(name: str) -> str:
    return "t_" + "".join(ch if ch.isalnum() else "_" for ch in name)


def cmd_explain(args) -> int:
    if args.list or not args.code:
        for c in CODES.values():
            print(f"{c.code}  {c.name:<34} {c.severity.label:<8} {c.summary}")
        return EXIT_OK
    code = args.code.upper()
    info = CODES.get(code)
    if info is None:
        raise _Usage(f"unknown code {args.code!r}; `synthspec explain --list` lists them")
    doc = REPO_ROOT / "docs" / "codes" / f"{code}.md"
    if doc.exists():
        sys.stdout.write(doc.read_text("utf-8"))
    else:
        print(f"{info.code} {info.name} ({info.severity.label})\n\n{info.summary}")
    return EXIT_OK


def cmd_init(args) -> int:
    src = REPO_ROOT / "templates" / args.template
    if not (src / "spec.yaml").exists():
        known = sorted(p.name for p in (REPO_ROOT / "templates").iterdir() if (p / "spec.yaml").exists())
        raise _Usage(f"unknown template {args.template!r}; templates: {', '.join(known)}")
    dest = Path(args.dir)
    targets = [f for f in sorted(src.iterdir()) if f.is_file() and not f.name.startswith(".")]
    clash = [dest / f.name for f in targets if (dest / f.name).exists()]
    if clash:
        raise _Usage(f"{clash[0]} already exists; synthspec init never overwrites files")
    dest.mkdir(parents=True, exist_ok=True)
    from .files import write_atomic

    schema = (REPO_ROOT / "schemas" / "spec-v1.json").resolve()
    for f in targets:
        data = f.read_bytes()
        if f.name == "spec.yaml":
            rel = Path(os.path.relpath(schema, dest.resolve())).as_posix()
            text = data.decode("utf-8").splitlines(keepends=True)
            text = [ln for ln in text if not ln.startswith("# yaml-language-server:")]
            data = (f"# yaml-language-server: $schema={rel}\n" + "".join(text)).encode("utf-8")
        write_atomic(dest / f.name, data)
    print(f"created {dest / 'spec.yaml'}", file=sys.stderr)
    if not args.no_data and (dest / "datagen.py").exists():
        _generate_template_data(dest)
        print(f"generated demo data in {dest / 'data'}", file=sys.stderr)
    print(f"next: synthspec compile {dest / 'spec.yaml'}", file=sys.stderr)
    return EXIT_OK


def _generate_template_data(dest: Path) -> dict:
    import importlib.util

    spec = importlib.util.spec_from_file_location("_synthspec_datagen", dest / "datagen.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.generate(dest / "data")


def cmd_run(args) -> int:
    from .api import compile_spec

    target = Path(args.target)
    sources: dict[str, str] = {}
    if target.suffix == ".json":
        manifest = target
    else:
        res = compile_spec(target, profile=args.profile, out_dir=args.output)
        sources.update(res.sources)
        if not res.ok:
            emit_diagnostics(res.diagnostics, args, sources)
            return EXIT_FINDINGS
        res.write()
        if res.diagnostics:
            emit_diagnostics(res.diagnostics, args, sources)
        manifest = res.out_dir / "manifest.json"
    return _run_manifest(manifest, args, sources)


def _run_manifest(manifest: Path, args, sources) -> int:
    from .run import run_manifest

    def progress(msg: str) -> None:
        print(f"  {msg}", file=sys.stderr, flush=True)

    print(f"running {manifest}", file=sys.stderr)
    result = run_manifest(manifest, retrain=args.retrain, progress=progress)
    emit_diagnostics(result.diagnostics, args, sources)
    _print_run_summary(result)
    return _exit_code(result.diagnostics, getattr(args, "fail_on", "error"), failed=not result.ok)


def _print_run_summary(result) -> None:
    if getattr(result, "version_dir", None):
        print(f"outputs: {result.version_dir}", file=sys.stderr)
        for t, p in sorted((result.outputs or {}).items()):
            print(f"  {t}: {p}", file=sys.stderr)
    if getattr(result, "report_dir", None):
        print(f"report:  {result.report_dir}", file=sys.stderr)
    metrics = getattr(result, "metrics", None) or {}
    tables = metrics.get("tables", metrics) if isinstance(metrics, dict) else {}
    for t, m in sorted(tables.items()):
        if isinstance(m, dict):
            acc = (m.get("accuracy") or {}).get("overall") if isinstance(m.get("accuracy"), dict) else m.get("accuracy")
            auc = (m.get("similarity") or {}).get("discriminator_auc") if isinstance(m.get("similarity"), dict) \
                else m.get("discriminator_auc")
            print(f"  {t}: accuracy {_pct(acc)}, discriminator AUC {_pct(auc)}", file=sys.stderr)


def _pct(v) -> str:
    return f"{v * 100:.1f}%" if isinstance(v, (int, float)) else "n/a"


def cmd_demo(args) -> int:
    from .api import compile_spec

    tdir = REPO_ROOT / "templates" / "tsocial"
    data_dir = tdir / "data"
    print("synthspec demo: tSocial template on the local MOSTLY AI engine", file=sys.stderr)
    if not (data_dir / "titular.parquet").exists():
        print(f"generating demo data in {data_dir}", file=sys.stderr)
        _generate_template_data(tdir)
    spec = tdir / "spec.yaml"
    res = compile_spec(spec, profile=args.profile)
    if not res.ok:
        emit_diagnostics(res.diagnostics, args, res.sources)
        return EXIT_FINDINGS
    res.write()
    if res.diagnostics:
        emit_diagnostics(res.diagnostics, args, res.sources)
    print(f"compiled {spec} (profile {args.profile}) into {res.out_dir}", file=sys.stderr)
    return _run_manifest(res.out_dir / "manifest.json", args, res.sources)


def cmd_probe(args) -> int:
    from .probing import probe

    res = probe(args.target, rows=args.rows, profile=args.profile, retrain=args.retrain,
                progress=lambda msg: print(f"  {msg}", file=sys.stderr, flush=True))
    emit_diagnostics(res.diagnostics, args, getattr(res, "sources", {}))
    for name, df in (getattr(res, "tables", None) or {}).items():
        print(f"== {name} ({len(df)} rows)\n{df.to_string(index=False, max_colwidth=40)}\n")
    return _exit_code(res.diagnostics, args.fail_on, failed=not res.ok)


def cmd_render(args) -> int:
    from .databricks import render

    target = Path(args.target)
    sources: dict[str, str] = {}
    if target.suffix == ".json":
        manifest = target
    else:
        from .api import compile_spec

        res = compile_spec(target, profile=args.profile, use_data=not args.no_data)
        sources.update(res.sources)
        if not res.ok:
            emit_diagnostics(res.diagnostics, args, sources)
            return EXIT_FINDINGS
        res.write()
        manifest = res.out_dir / "manifest.json"
    if not manifest.is_file():
        raise _Usage(f"{manifest} does not exist; compile the spec first")
    wheel = Path(args.wheel) if args.wheel else None
    if wheel is not None and not wheel.is_file():
        raise _Usage(f"--wheel {wheel} does not exist")
    opts = {"catalog": args.catalog, "schema": args.schema, "volume": args.volume, "node_type": args.node_type,
            "spark_version": args.spark_version, "workers": args.workers, "secret_scope": args.secret_scope}
    try:
        bundle = render(manifest, options=opts, wheel=wheel)
    except ValueError as e:
        raise _Usage(str(e)) from None
    emit_diagnostics(bundle.diagnostics, args, sources)
    if not bundle.ok:
        return EXIT_FINDINGS
    out = Path(args.output) if args.output else manifest.parent / "databricks"
    bundle.write(out, wheel=wheel)
    print(f"rendered the Databricks bundle into {out} (deploy: cd {out} && databricks bundle deploy)",
          file=sys.stderr)
    return _exit_code(bundle.diagnostics, args.fail_on)


def cmd_infer(args) -> int:
    from .infer_cmd import main as infer_main

    return infer_main(args, emit_diagnostics)


class _Usage(Exception):
    pass


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    if not args.cmd:
        parser.print_help(sys.stderr)
        return EXIT_TOOL
    try:
        if os.environ.get("SYNTHSPEC_TEST_FAULT") == args.cmd:  # lets tests prove no traceback escapes
            raise RuntimeError("injected fault")
        if args.cmd == "validate":
            args.output, args.check = None, False
            return cmd_compile(args, write=False)
        if args.cmd == "compile":
            return cmd_compile(args, write=True)
        if args.cmd == "diff":
            return cmd_diff(args)
        if args.cmd == "graph":
            return cmd_graph(args)
        if args.cmd == "explain":
            return cmd_explain(args)
        if args.cmd == "init":
            return cmd_init(args)
        if args.cmd == "run":
            return cmd_run(args)
        if args.cmd == "demo":
            return cmd_demo(args)
        if args.cmd == "probe":
            return cmd_probe(args)
        if args.cmd == "infer":
            return cmd_infer(args)
        if args.cmd == "render":
            return cmd_render(args)
    except _Usage as exc:
        print(f"synthspec: error[X002]: {exc}", file=sys.stderr)
        return EXIT_TOOL
    except KeyboardInterrupt:
        print("synthspec: interrupted", file=sys.stderr)
        return EXIT_TOOL
    except BrokenPipeError:
        return EXIT_TOOL
    except Exception as exc:  # noqa: BLE001 — the contract: no traceback reaches a user
        if os.environ.get("SYNTHSPEC_DEBUG"):
            raise
        from .api import internal_error

        d = internal_error(exc)
        print(f"synthspec: error[{d.code}]: {d.message}\n  = help: {d.help}\n"
              "  (set SYNTHSPEC_DEBUG=1 to see the traceback)", file=sys.stderr)
        return EXIT_TOOL
    return EXIT_TOOL


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
