"""synthspec: a schema-first compiler for synthetic data specs (MOSTLY AI SDK).

The public API is re-exported here lazily so that ``import compiler`` stays cheap::

    import compiler
    result = compiler.compile_spec("spec.yaml", profile="ci")
    if result.ok:
        cfg = result.generator_config   # a real mostlyai.sdk.domain.GeneratorConfig
"""

__version__ = "0.1.0"

_API = {"load_spec", "compile_spec", "CompileResult", "validate_spec", "run", "probe"}


def __getattr__(name):
    if name in _API:
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module 'compiler' has no attribute {name!r}")


__all__ = sorted(_API | {"__version__"})

# ``compiler.run`` is both the API function (``compiler.run("spec.yaml")``) and the runner module
# ``compiler/run.py``; importing the module rebinds the package attribute to it, so the module itself
# is made callable and delegates to :func:`compiler.api.run` (see the end of compiler/run.py).
