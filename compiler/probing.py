"""``synthspec probe``: a few synthetic rows, fast, from the generator a manifest trains.

It reuses the runner (:mod:`compiler.run`): the same sources, engine frames and *training key*,
so a generator that ``synthspec run`` trained (or an earlier probe) is imported from the cache
instead of trained again; with no cached generator the probe trains it first (and caches it for
``run``). The rows come from ``mostly.probe`` (synchronous, in the engine's server process) with
the generation controls of ``generate.json`` — temperature, top_p, rebalancing, imputation,
fairness — and at most ``rows`` seed rows for seeded tables. Keys and dtypes are restored as in a
run. Nothing is written except the generator cache and the engine log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .diagnostics import Diagnostic, has_errors, sort_diagnostics


@dataclass
class ProbeResult:
    """What :func:`probe_manifest` returns; ``tables`` maps each table to a pandas DataFrame."""

    ok: bool
    diagnostics: list[Diagnostic] = field(default_factory=list)
    tables: dict[str, Any] = field(default_factory=dict)
    reused: bool = False
    training_key: str | None = None
    timings: dict[str, float] = field(default_factory=dict)


def probe_manifest(manifest_path, *, rows: int = 5, retrain: bool = False,
                   progress: Callable[[str], None] | None = None, local_dir: Path | None = None) -> ProbeResult:
    """Generate ``rows`` rows per subject table (linked tables follow) from the manifest's generator.

    Never raises for user-facing failures: they are diagnostics (R-codes; R031 for the probe itself).
    """
    from .run import _Timer, collect

    say = progress or (lambda _msg: None)
    timer = _Timer()
    result = ProbeResult(ok=False, timings=timer.timings)
    return collect(result, lambda diags: _probe(Path(manifest_path), rows=max(int(rows), 1), retrain=retrain,
                                                say=say, local_dir=local_dir, timer=timer, result=result,
                                                diags=diags))


def _probe(path: Path, *, rows, retrain, say, local_dir, timer, result: ProbeResult, diags) -> None:
    from .run import (_check_source_keys, _cleanup, _Engine, _fail, _load_sources, _strip_schema, _train_or_reuse,
                      _versions, build_engine_frames, engine_error, load_manifest, restore, training_key, with_seeds)
    from .run_io import resolve

    with timer.step("load"):
        m = load_manifest(path)
        sources, d = _load_sources(m, say)
        diags += d
        d = _check_source_keys(m, sources)
        diags += d
        if has_errors(d):
            return
        frames = build_engine_frames(m, sources)
        config = with_seeds(m, _strip_schema(m.generate), rows=rows)
    key = training_key(m, frames, _versions())
    result.training_key = key
    engine_dir = Path(local_dir) if local_dir is not None else resolve(
        m.dir, (m.data.get("engine") or {}).get("local_dir") or ".synthspec/mostlyai")
    engine_dir = engine_dir.resolve()
    cache_dir = engine_dir / "synthspec" / "generators" / key
    log_path = engine_dir / "synthspec" / "logs" / f"probe-{key[:12]}.log"
    seed = int((m.data.get("generation") or {}).get("seed") or 0)
    seeded = set(((m.data.get("generation") or {}).get("seeds") or {}))
    tables = []
    for t in config.get("tables") or []:
        conf = dict(t.get("configuration") or {})
        if "subject" in (m.table(t["name"]).get("roles") or ["subject"]) and t["name"] not in seeded:
            conf["sample_size"] = rows
        tables.append({"name": t["name"], "configuration": conf})

    if not (cache_dir / "generator.zip").exists() or retrain:
        say("probe: no trained generator for this manifest yet; training it first (it is cached for `run`)")
    with timer.step("engine_start"):
        engine = _Engine(engine_dir, log_path).__enter__()
    try:
        g, reused = _train_or_reuse(m, engine, frames, cache_dir, retrain=retrain, say=say, timer=timer, diags=diags)
        result.reused = reused
        from mostlyai.sdk.domain import SyntheticProbeConfig

        with timer.step("probe"):
            say(f"probe: {rows} row(s) per subject table")
            offset = engine.log_offset()
            try:
                probe_config = SyntheticProbeConfig.model_validate({"tables": tables, "random_state": seed})
                with engine.capture():
                    data = engine.mostly.probe(g, config=probe_config, return_type="dict")
            except Exception as e:  # the SDK raises for probes (unlike generate): report its words
                msg = str(e) or engine_error(engine.log_since(offset))
                raise _fail("R031", f"{type(e).__name__}: {msg}", help=f"the engine's log: {engine.log_path}") from e
        with timer.step("restore"):
            final, d = restore(m, data, sources, seed=seed)
            diags += d
        result.tables = final
        _cleanup(engine, None, g if reused else None)
    finally:
        engine.__exit__(None, None, None)


def probe(spec_or_manifest, *, rows: int = 5, profile: str | None = None, retrain: bool = False,
          progress: Callable[[str], None] | None = None, local_dir: Path | None = None):
    """Compile (if given a spec) and probe. Returns a :class:`ProbeResult`, or the failed
    :class:`compiler.api.CompileResult` when the spec does not compile."""
    from .api import manifest_for

    manifest, res = manifest_for(spec_or_manifest, profile=profile)
    if manifest is None:
        return res
    out = probe_manifest(manifest, rows=rows, retrain=retrain, progress=progress, local_dir=local_dir)
    if res is not None:
        out.diagnostics = sort_diagnostics(list(res.diagnostics) + out.diagnostics)
    return out


__all__ = ["ProbeResult", "probe", "probe_manifest"]
