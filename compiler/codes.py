"""The registry of diagnostic codes. One letter per stage, a number; never reused or renumbered.

``Y`` load, ``S`` schema, ``M`` model, ``G`` graph, ``D`` data, ``L`` lint, ``E`` emit, ``R`` run,
``X`` the tool itself. Every code has a page ``docs/codes/<CODE>.md`` (a test enforces it).
"""

from __future__ import annotations

from dataclasses import dataclass

from .diagnostics import Severity

E, W, I = Severity.ERROR, Severity.WARNING, Severity.INFO

STAGES = {
    "Y": "load",
    "S": "schema",
    "M": "model",
    "G": "graph",
    "D": "data",
    "L": "lint",
    "E": "emit",
    "R": "run",
    "X": "tool",
}


@dataclass(frozen=True)
class CodeInfo:
    code: str
    name: str
    severity: Severity
    summary: str

    @property
    def stage(self) -> str:
        return STAGES[self.code[0]]

    @property
    def doc_path(self) -> str:
        return f"docs/codes/{self.code}.md"


_ALL = [
    # --- load -------------------------------------------------------------------------
    CodeInfo("Y001", "yaml-syntax", E, "The file is not valid YAML."),
    CodeInfo("Y002", "duplicate-key", E, "A mapping defines the same key twice."),
    CodeInfo("Y003", "unreadable-file", E, "The spec file does not exist or cannot be read as UTF-8."),
    CodeInfo("Y004", "file-too-large", E, "The spec file is larger than the size limit."),
    CodeInfo("Y005", "alias-expansion", E, "Anchors and aliases expand to more nodes than the limit."),
    CodeInfo("Y006", "unsupported-tag", E, "A YAML tag that could construct objects, or an unknown tag, was used."),
    CodeInfo("Y007", "not-a-mapping", E, "The document is empty or its top level is not a mapping."),
    CodeInfo("Y008", "multiple-documents", E, "The file holds more than one YAML document."),
    CodeInfo("Y009", "complex-key", E, "A mapping key is not a plain scalar."),
    # --- schema -----------------------------------------------------------------------
    CodeInfo("S001", "unknown-key", E, "A key that the spec language does not define."),
    CodeInfo("S002", "missing-key", E, "A required key is missing."),
    CodeInfo("S003", "wrong-type", E, "A value has the wrong type."),
    CodeInfo("S004", "out-of-range", E, "A number is outside its allowed range."),
    CodeInfo("S005", "invalid-value", E, "A value is not one of the allowed values or does not match the expected form."),
    CodeInfo("S006", "unsupported-spec-version", E, "`spec_version` names a version this compiler does not know."),
    # --- model ------------------------------------------------------------------------
    CodeInfo("M001", "unknown-profile", E, "The profile asked for is not defined in `profiles`."),
    CodeInfo("M002", "unknown-source", E, "A table's `source` names a source that is not declared."),
    CodeInfo("M003", "path-escapes-root", E, "A source path resolves outside the project root."),
    CodeInfo("M004", "duplicate-key-column", E, "A key lists the same column twice."),
    CodeInfo("M005", "surrogate-key-conflict", E, "The surrogate key name collides with a column of the table."),
    CodeInfo("M006", "surrogate-key-unused", W, "`surrogate_key` is set on a table whose primary key has one column."),
    CodeInfo("M007", "top-p-out-of-range", E, "`top_p` is outside [0.9, 1]; the SDK rejects it."),
    CodeInfo("M008", "temperature-out-of-range", E, "`temperature` is outside [0, 2]; the SDK rejects it."),
    CodeInfo("M009", "non-positive-budget", E, "`max_training_time` or `max_epochs` is 0 or negative (0 means 10 days / 100 epochs to the engine)."),
    CodeInfo("M010", "unknown-model", E, "The model size is not small, medium or large."),
    CodeInfo("M011", "excluded-key-column", E, "A primary or foreign key column is marked `exclude: true`."),
    CodeInfo("M012", "profile-invalid", E, "Applying a profile overlay produced an invalid spec."),
    # constraints, privacy, generation controls, model choices (compiler/controls.py)
    CodeInfo("M020", "lint-override-invalid", E, "A `lint: {ignore: ...}` override has no reason, or names a code that is not a lint code."),
    CodeInfo("M021", "dp-epsilon-dropped", W, "`differential_privacy.value_protection_epsilon` is set while value protection is off; the SDK drops it."),
    CodeInfo("M022", "language-model-from-hub", W, "`text` columns use a Hugging Face model, which needs network access and, to train in reasonable time, a GPU."),
    CodeInfo("M023", "flexible-generation-required", E, "Seed rows, rebalancing, imputation or fairness are used with `enable_flexible_generation: false`."),
    CodeInfo("M024", "quality-without-model-report", W, "Quality thresholds are set, but a table's model report is off, so they cannot be checked."),
    # engine and outputs (compiler/platform.py)
    CodeInfo("M050", "fake-without-kind", E, "`fake: true` on a column without a `pii` tag that says what to fake."),
    CodeInfo("M051", "fake-key-column", E, "`fake` on a primary or foreign key column."),
    CodeInfo("M040", "secret-not-env-reference", E, "`engine.api_key` is not an environment reference `${env:NAME}`."),
    CodeInfo("M041", "base-url-invalid", E, "`engine.base_url` is not an http(s) URL, or carries credentials."),
    CodeInfo("M042", "base-url-missing", E, "`engine: {kind: platform}` without `base_url`."),
    CodeInfo("M043", "engine-setting-ignored", W, "`base_url` or `api_key` is set with `engine: {kind: local}`."),
    CodeInfo("M044", "overwrite-not-allowed", E, "`output.mode: overwrite` on an output that is not `kind: spark`."),
    # --- graph ------------------------------------------------------------------------
    CodeInfo("G001", "fk-unknown-table", E, "A foreign key references a table that is not defined."),
    CodeInfo("G002", "fk-unknown-column", E, "A foreign key names referenced columns that are not the parent's primary key."),
    CodeInfo("G003", "fk-arity-mismatch", E, "A foreign key lists a different number of columns than the referenced primary key."),
    CodeInfo("G004", "multiple-context-fks", E, "A table has more than one context foreign key."),
    CodeInfo("G005", "context-cycle", E, "Context foreign keys form a cycle."),
    CodeInfo("G006", "context-self-reference", E, "A context foreign key references its own table."),
    CodeInfo("G007", "referenced-table-without-pk", E, "A foreign key references a table that has no primary key."),
    CodeInfo("G008", "pk-is-fk", E, "A column is both the primary key and a foreign key."),
    CodeInfo("G009", "role-mismatch", E, "The declared `role` disagrees with the role the relational graph gives the table."),
    CodeInfo("G010", "size-for-non-subject", W, "`generation.size` names a table that is not a subject table; the engine ignores it."),
    CodeInfo("G011", "datetime-relative-without-context", E, "`datetime_relative` is used on a table without a context foreign key."),
    CodeInfo("G012", "encoding-on-key", W, "An encoding is set on a key column; keys are not modelled."),
    CodeInfo("G013", "disconnected-table", I, "A table has no relation to any other table."),
    CodeInfo("G014", "size-unknown-table", E, "`generation.size` names a table that is not defined."),
    CodeInfo("G015", "duplicate-foreign-key", E, "Two foreign keys of a table use the same column."),
    CodeInfo("G016", "datetime-relative-on-context", W, "`datetime_relative` on a table that is itself a context; the engine drops it."),
    # constraints and generation controls (compiler/controls.py)
    CodeInfo("G020", "constraint-shape", E, "A constraint has no kind or two kinds, `fixed_combinations` lists fewer than 2 columns, or `inequality` compares a column with itself."),
    CodeInfo("G021", "constraint-column-invalid", E, "A constraint names a column that the table does not have, a key column or an excluded column."),
    CodeInfo("G022", "constraint-column-reused", E, "A column takes part in more than one constraint."),
    CodeInfo("G023", "constraint-encoding", E, "A `fixed_combinations` column is not categorical, or the two `inequality` columns are not both numeric or both datetime."),
    CodeInfo("G024", "generation-unknown-table", E, "`generation.tables` names a table that is not defined."),
    CodeInfo("G025", "generation-control-not-subject", E, "Size, seed rows, rebalancing, imputation or fairness are set on a table that is not a subject table."),
    CodeInfo("G026", "generation-column-invalid", E, "Rebalancing, imputation or fairness names a column that the table does not have, a key column or an excluded column."),
    CodeInfo("G027", "generation-column-encoding", E, "A rebalancing or fairness column is not categorical, or an imputation column belongs to the language model."),
    CodeInfo("G028", "rebalancing-shares-over-one", E, "The rebalancing shares of a column sum to more than 1."),
    CodeInfo("G029", "fairness-target-sensitive", E, "The fairness target is also listed as a sensitive column."),
    CodeInfo("G030", "generation-size-conflict", E, "A table's size is given twice, or together with seed rows."),
    CodeInfo("G031", "rebalancing-value-missing", E, "A rebalancing value does not occur in the column's data (a warning when only a sample was read)."),
    CodeInfo("G032", "rebalancing-value-rare", W, "A rebalancing value is so rare that value protection may remove it, and generation would fail."),
    CodeInfo("G033", "seed-unreadable", W, "The seed rows of a table cannot be found or read at compile time; their columns are not checked."),
    CodeInfo("G034", "seed-columns-invalid", E, "The seed rows have columns the generator does not model, or no rows."),
    # --- data -------------------------------------------------------------------------
    CodeInfo("D001", "source-unreadable", E, "A table's source cannot be read."),
    CodeInfo("D002", "source-missing", I, "A table's source does not exist; the spec is compiled without its data."),
    CodeInfo("D003", "encoding-incompatible", E, "A declared encoding does not fit the column's values (the engine would output NULLs or garbage)."),
    CodeInfo("D004", "auto-resolved", I, "An `auto` encoding was resolved from the data."),
    CodeInfo("D005", "pk-duplicates", E, "Primary-key values repeat in the data; the engine silently drops the duplicate rows."),
    CodeInfo("D006", "pk-nulls", E, "The primary key is NULL in some rows."),
    CodeInfo("D007", "fk-orphans", W, "Foreign-key values reference no parent row; the engine drops (context) or unlinks (non-context) them."),
    CodeInfo("D008", "context-fk-nulls", W, "A context foreign key is NULL in some rows; the engine silently drops them."),
    CodeInfo("D009", "column-not-in-data", E, "A column named in the spec is not in the data."),
    CodeInfo("D010", "inferred-key", I, "A primary or foreign key was inferred from the data (with its evidence); declare it to make it a contract."),
    CodeInfo("D011", "ambiguous-date-format", W, "Every date in a column reads as both dd/mm/yyyy and mm/dd/yyyy; the day-first reading was assumed."),
    CodeInfo("D012", "missing-value-tokens", I, "A numeric column holds tokens such as `?` or `NA` for missing values; they are converted to NULL."),
    CodeInfo("D030", "columns-not-in-spec", I, "Columns in the data but not in the spec are excluded."),
    CodeInfo("D031", "source-drift", W, "The source's columns or dtypes changed since the last compile."),
    CodeInfo("D040", "spec-changed-on-disk", E, "The spec file changed on disk while `synthspec infer` worked on it; nothing was written."),
    CodeInfo("D041", "columns-added", I, "`synthspec infer` added columns that are in the data but not in the spec, with inferred encodings."),
    CodeInfo("D042", "no-primary-key-found", I, "`synthspec infer` found no unique, non-null, id-like column or column set for a table."),
    # Spark sources (compiler/spark.py)
    CodeInfo("D050", "spark-unreachable", W, "A table reads a Spark source and no Spark session exists or can be started; compiled without its data."),
    CodeInfo("D051", "spark-table-missing", W, "A Spark table or path named by a table's source does not exist; compiled without its data."),
    # --- lint -------------------------------------------------------------------------
    CodeInfo("L001", "identifying-pii-modelled", W, "A strongly identifying PII column is modelled instead of excluded and faked."),
    CodeInfo("L002", "value-protection-off", W, "Value protection is off on a table with PII columns."),
    CodeInfo("L003", "pii-categorical-unprotected", W, "A PII column is modelled as categorical with value protection off: its real values, rare ones included, are reproduced verbatim."),
    CodeInfo("L004", "value-protection-off-subject", W, "Value protection is off on a subject table (one row per person or entity)."),
    CodeInfo("L005", "dp-epsilon-too-large", W, "Differential privacy with an epsilon so large (or no noise) that the guarantee protects nothing."),
    CodeInfo("L006", "lint-override-unused", I, "A `lint: {ignore: ...}` override silenced nothing."),
    # --- emit -------------------------------------------------------------------------
    CodeInfo("E001", "unresolved-auto-encoding", E, "A column is on `auto` and no data is reachable to resolve it."),
    CodeInfo("E002", "artifact-out-of-date", E, "`--check`: an artifact on disk differs from what compile would write."),
    CodeInfo("E003", "write-failed", E, "An artifact could not be written."),
    # projects (synthspec.yaml), the compile cache and `synthspec diff`
    CodeInfo("E010", "project-file-invalid", E, "The project file `synthspec.yaml` is not valid, or lists specs that cannot be compiled together."),
    CodeInfo("E011", "project-spec-not-found", E, "An entry of the project's `specs` names a file that does not exist, or a glob that matches none."),
    CodeInfo("E012", "select-matches-nothing", E, "`--select` names no spec of the project."),
    CodeInfo("E013", "project-defaults-invalid", E, "A shared default in the project file is not valid spec language, or sets a section a project cannot default."),
    CodeInfo("E020", "diff-revision-unknown", E, "`synthspec diff`: BASE or HEAD is neither a spec file, a folder nor a git revision."),
    CodeInfo("E021", "diff-side-does-not-compile", W, "`synthspec diff`: a spec does not compile on one side; its changes are compared only as far as it compiles."),
    # Databricks bundles (compiler/databricks.py)
    CodeInfo("E040", "source-not-on-cluster", E, "`synthspec render databricks`: a table's source is a local file the Databricks job cannot read."),
    # --- run --------------------------------------------------------------------------
    CodeInfo("R001", "manifest-invalid", E, "The manifest, or an artifact it names, cannot be read or is not a valid v1 manifest."),
    CodeInfo("R002", "source-unreadable-at-run", E, "A bound source table cannot be read at run time, or lacks a column the manifest needs."),
    CodeInfo("R003", "source-key-invalid", E, "A source primary key has duplicate or NULL values; the engine would silently drop rows."),
    CodeInfo("R004", "source-orphan-fk", W, "Source child rows whose foreign key matches no parent; the engine ignores or re-links them."),
    CodeInfo("R005", "engine-unavailable", E, "The local MOSTLY AI engine could not be started."),
    CodeInfo("R006", "training-failed", E, "Training did not finish with status DONE; the message is the engine's own."),
    CodeInfo("R007", "generation-failed", E, "Generation did not finish with status DONE; the message is the engine's own."),
    CodeInfo("R008", "generator-reuse-failed", W, "The cached generator for this manifest could not be imported; it was trained again."),
    CodeInfo("R009", "key-restore-failed", E, "Synthetic keys or values could not be mapped back to the source's keys and dtypes."),
    CodeInfo("R010", "output-pk-not-unique", E, "A synthetic primary key has duplicate values."),
    CodeInfo("R011", "output-pk-null", E, "A synthetic primary key has NULL values."),
    CodeInfo("R012", "output-fk-unresolved", E, "A synthetic foreign key value matches no synthetic parent key (or a context key is NULL)."),
    CodeInfo("R013", "subject-size-mismatch", E, "A subject table has a different number of rows than `generation.size` asked for."),
    CodeInfo("R014", "output-schema-mismatch", E, "A synthetic table's columns, order or types differ from the source's."),
    CodeInfo("R015", "output-write-failed", E, "The output version could not be written; no version was created."),
    CodeInfo("R016", "quality-below-threshold", E, "A quality metric is outside its threshold; the report is written, `LATEST` is not moved."),
    CodeInfo("R017", "unknown-quality-threshold", W, "The manifest's `quality` names a threshold the runner does not know."),
    CodeInfo("R018", "unknown-check", W, "The manifest's `checks` names a check the runner does not know."),
    CodeInfo("R019", "source-schema-drift", W, "The source's columns or dtypes differ from what compile saw (`source_columns`)."),
    CodeInfo("R020", "key-format-changed", W, "Fresh synthetic keys could not keep the source key format exactly."),
    CodeInfo("R021", "output-unsupported", E, "The manifest's `output` asks for a kind or mode the local runner cannot write."),
    CodeInfo("R030", "seed-unreadable-at-run", E, "A table's seed rows cannot be read at run time, or do not fit the generator's columns."),
    CodeInfo("R031", "probe-failed", E, "`synthspec probe` could not generate rows from the trained generator."),
    # Spark outputs and platform mode (compiler/spark.py, compiler/platform.py)
    CodeInfo("R040", "spark-table-exists", E, "A Spark table this run would write exists already, and `output.mode` is `new_version`."),
    CodeInfo("R041", "spark-write-failed", E, "Writing a Spark output table failed; tables this run wrote are dropped."),
    CodeInfo("R042", "engine-secret-missing", E, "An environment variable the `engine` refers to (`${env:NAME}`) is not set."),
    CodeInfo("R043", "platform-unreachable", E, "The MOSTLY AI server in `engine.base_url` cannot be reached or rejects the credentials."),
    # --- tool -------------------------------------------------------------------------
    CodeInfo("X001", "internal-error", E, "synthspec itself failed; this is a bug."),
    CodeInfo("X002", "usage", E, "The command line is invalid (unknown option, missing file, bad value)."),
]

CODES: dict[str, CodeInfo] = {c.code: c for c in _ALL}
assert len(CODES) == len(_ALL), "duplicate code in registry"


def info(code: str) -> CodeInfo:
    return CODES[code]


def make(code: str, message: str, *, span=None, help: str | None = None, path=(), related=(),
         severity: Severity | None = None):
    """Create a :class:`~compiler.diagnostics.Diagnostic` with the code's default severity."""
    from .diagnostics import Diagnostic, Span

    return Diagnostic(
        code=code,
        severity=severity if severity is not None else CODES[code].severity,
        message=message,
        span=span if span is not None else Span(),
        help=help,
        path=tuple(path),
        related=tuple(related),
    )
