"""The spec language v1 as pydantic models — the single source of truth.

``schemas/spec-v1.json`` (draft-07, for editors) is generated from these models by
``python -m compiler.schemagen``; a test proves the file is current and that the schema and the
models accept and reject the same documents. Models are strict (no coercion of ``"1"`` to ``1``,
the same as JSON Schema) and forbid unknown keys.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

SPEC_VERSION = 1

FRIENDLY_ENCODINGS: dict[str, str] = {
    "categorical": "TABULAR_CATEGORICAL",
    "numeric": "TABULAR_NUMERIC_AUTO",
    "numeric_discrete": "TABULAR_NUMERIC_DISCRETE",
    "numeric_binned": "TABULAR_NUMERIC_BINNED",
    "numeric_digit": "TABULAR_NUMERIC_DIGIT",
    "character": "TABULAR_CHARACTER",
    "datetime": "TABULAR_DATETIME",
    "datetime_relative": "TABULAR_DATETIME_RELATIVE",
    "lat_long": "TABULAR_LAT_LONG",
    "text": "LANGUAGE_TEXT",
}
SDK_ENCODINGS = (
    "TABULAR_CATEGORICAL", "TABULAR_NUMERIC_AUTO", "TABULAR_NUMERIC_DISCRETE", "TABULAR_NUMERIC_BINNED",
    "TABULAR_NUMERIC_DIGIT", "TABULAR_CHARACTER", "TABULAR_DATETIME", "TABULAR_DATETIME_RELATIVE",
    "TABULAR_LAT_LONG", "LANGUAGE_TEXT", "LANGUAGE_CATEGORICAL", "LANGUAGE_NUMERIC", "LANGUAGE_DATETIME",
)
ENCODING_NAMES = ("auto", *FRIENDLY_ENCODINGS, "AUTO", *SDK_ENCODINGS)
EncodingName = Literal[ENCODING_NAMES]  # type: ignore[valid-type]

MODEL_SIZES = {"small": "MOSTLY_AI/Small", "medium": "MOSTLY_AI/Medium", "large": "MOSTLY_AI/Large"}
ModelName = Literal["small", "medium", "large", "MOSTLY_AI/Small", "MOSTLY_AI/Medium", "MOSTLY_AI/Large"]

PiiTag = Literal["name", "email", "phone", "national_id", "address", "other", "none"]
Role = Literal["subject", "linked", "context"]

Identifier = Annotated[str, Field(min_length=1, max_length=256)]
Columns = Union[Identifier, Annotated[list[Identifier], Field(min_length=1)]]

#: the language model used for `text` columns unless `training.language_model` names another
DEFAULT_LANGUAGE_MODEL = "MOSTLY_AI/LSTMFromScratch-3m"
#: `MOSTLY_AI/LSTMFromScratch-3m` or a Hugging Face model id (`org/name`)
LANGUAGE_MODEL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$"
LintCode = Annotated[str, Field(pattern=r"^[A-Z][0-9]{3}$")]


def canonical_encoding(name: str) -> str:
    """``categorical`` / ``TABULAR_CATEGORICAL`` → ``TABULAR_CATEGORICAL``; ``auto`` → ``AUTO``."""
    if name in ("auto", "AUTO"):
        return "AUTO"
    return FRIENDLY_ENCODINGS.get(name, name)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False)


class Sample(_Model):
    """How much data compile reads to infer encodings and check contracts."""

    rows: int = Field(10_000, ge=1, le=10_000_000, description="Rows sampled per table (bounded, deterministic).")
    seed: int = Field(0, ge=0, description="Seed of the sample.")


class CsvOptions(_Model):
    delimiter: str | None = Field(None, min_length=1, max_length=1, description="Detected when omitted.")
    encoding: str | None = Field(None, description="Detected when omitted (utf-8, utf-8-sig, latin-1).")
    quotechar: str | None = Field(None, min_length=1, max_length=1)
    null_values: list[str] | None = Field(None, description="Extra tokens read as NULL (e.g. NA, ?).")


class Source(_Model):
    """Where tables come from. Paths are relative to the spec file."""

    kind: Literal["files", "sqlite", "duckdb", "spark"] = Field(description="files (parquet/csv) | sqlite | duckdb | spark")
    path: str | None = Field(None, min_length=1, description="Folder or file (files), database file (sqlite, duckdb).")
    format: Literal["auto", "parquet", "csv", "delta"] = Field(
        "auto", description="File format for `files` (parquet, csv) and path tables of `spark` (parquet, delta).")
    csv: CsvOptions | None = None
    sample: Sample | None = None
    allow_outside_root: bool = Field(False, description="Allow `path` to resolve outside the project root.")
    description: str | None = None


class LintOverride(_Model):
    """Silence lint findings here, with a reason that is recorded in the manifest."""

    ignore: list[LintCode] = Field(min_length=1, description="Lint codes (`L…`) not to report here.")
    reason: str | None = Field(None, min_length=1,
                               description="Why the findings do not apply (required; lands in the manifest).")


class Column(_Model):
    """How one column is modelled."""

    encoding: EncodingName = Field("auto", description="Friendly name or the SDK's own ModelEncodingType.")
    exclude: bool = Field(False, description="Leave the column out of the model and the output.")
    pii: PiiTag | None = Field(None, description="What kind of personal data the column holds.")
    fake: bool | Literal["name", "given_name", "surname", "email", "phone", "national_id", "address", "pattern"] \
        | None = Field(None, description="Leave the column out of the model and fill it after generation with fake "
                                         "values of its shape (true: the kind follows `pii`).")
    description: str | None = None
    lint: LintOverride | None = Field(None, description="Lint findings to silence on this column, with a reason.")


def _column_kind(v: Any) -> str:
    return "short" if isinstance(v, str) else "full"


ColumnEntry = Annotated[
    Union[Annotated[Column, Tag("full")], Annotated[EncodingName, Tag("short")]],
    Discriminator(_column_kind),
]


class ForeignKey(_Model):
    """A foreign key; it always references the parent's primary key."""

    columns: Columns = Field(description="The child column(s); as many as the parent's primary key.")
    references: Identifier = Field(description="The parent table.")
    referenced_columns: Columns | None = Field(None, description="Optional: must equal the parent's primary key.")
    context: bool = Field(description="true: the child is a sequence per parent row (at most one per table).")
    surrogate_key: Identifier | None = Field(None, description="Name of the surrogate column for a composite FK.")


class DifferentialPrivacy(_Model):
    """Differential privacy (DP-SGD) for training; omitted keys take the SDK's defaults."""

    max_epsilon: float | None = Field(None, gt=0, le=10000,
                                      description="Privacy budget ε: training stops once it is spent (SDK default 10).")
    delta: float | None = Field(None, gt=0, le=1, description="δ of (ε, δ)-DP (SDK default 1e-5).")
    noise_multiplier: float | None = Field(None, ge=0, le=10000,
                                           description="Gaussian noise per step (SDK default 1.5; 0 = no privacy).")
    max_grad_norm: float | None = Field(None, ge=0, le=10000, description="Per-sample gradient clip (SDK default 1.0).")
    value_protection_epsilon: float | None = Field(
        None, gt=0, le=10000,
        description="ε spent on value protection (SDK default 1.0); dropped when value_protection is false.")


class Training(_Model):
    """Training settings (spec defaults; a table may override any of them)."""

    model: ModelName | None = Field(None, description="small | medium | large")
    max_training_time: float | None = Field(None, gt=0, description="Minutes, > 0 (0 would mean 10 days).")
    max_epochs: float | None = Field(None, gt=0, description="> 0 (0 would mean 100).")
    max_sample_size: int | None = Field(None, ge=1, description="Rows (subjects for linked tables) used for training.")
    batch_size: int | None = Field(None, ge=1)
    gradient_accumulation_steps: int | None = Field(None, ge=1)
    max_sequence_window: int | None = Field(None, ge=1, description="Rows of a sequence seen at once (linked tables).")
    value_protection: bool | None = Field(None, description="Remove rare categories, clip extreme values (default true).")
    rare_category_replacement_method: Literal["constant", "sample"] | None = Field(
        None, description="Rare categories become `_RARE_` (constant) or a frequent category (sample).")
    differential_privacy: bool | DifferentialPrivacy | None = Field(
        None, description="true (SDK defaults), false (off) or the DP settings; a table's value replaces the spec's.")
    enable_flexible_generation: bool | None = Field(
        None, description="Needed by seed, rebalancing, imputation and fairness (default true).")
    enable_model_report: bool | None = Field(None, description="Write the model QA report (default true).")
    language_model: str | None = Field(
        None, pattern=LANGUAGE_MODEL_PATTERN,
        description="Model of `text` columns: MOSTLY_AI/LSTMFromScratch-3m (default, CPU) or a Hugging Face id.")


class InequalityColumns(_Model):
    low: Identifier = Field(description="The column that is never greater than `high`.")
    high: Identifier


class Constraint(_Model):
    """A rule every generated row keeps. Give exactly one of the two kinds."""

    fixed_combinations: list[Identifier] | None = Field(
        None, min_length=1, description="≥ 2 categorical columns: only value combinations seen in training occur.")
    inequality: InequalityColumns | None = Field(
        None, description="`{low: a, high: b}`: a ≤ b in every row (two numeric or two datetime columns).")


class Table(_Model):
    """One table of the dataset."""

    role: Role | list[Role] | None = Field(None, description="Asserted role(s); checked against the graph.")
    source: str | None = Field(None, min_length=1, description="`<source>/<file or table>`, or `<source>`.")
    description: str | None = None
    primary_key: Columns | None = Field(None, description="One column, or a list (composite, compiled to a surrogate).")
    surrogate_key: Identifier | None = Field(None, description="Name of the surrogate column of a composite key.")
    foreign_keys: list[ForeignKey] = Field(default_factory=list)
    columns: dict[Identifier, ColumnEntry] = Field(default_factory=dict, description="Column name → encoding or settings.")
    training: Training | None = None
    constraints: list[Constraint] = Field(default_factory=list, description="Rules the generated rows keep.")
    lint: LintOverride | None = Field(None, description="Lint findings to silence on this table, with a reason.")


class Rebalancing(_Model):
    column: Identifier = Field(description="A categorical column of the table.")
    probabilities: dict[str, Annotated[float, Field(ge=0, le=1)]] = Field(
        min_length=1, description="Value → target share in [0, 1]; the shares sum to ≤ 1.")


class Fairness(_Model):
    target: Identifier = Field(description="Categorical column made independent of the sensitive columns.")
    sensitive: list[Identifier] = Field(min_length=1, description="Categorical columns (not the target).")


class TableGeneration(_Model):
    """Generation controls of one subject table."""

    size: int | None = Field(None, ge=1, description="Rows (or use `generation.size`).")
    seed: str | None = Field(None, min_length=1,
                             description="Seed rows: `<source>/<file or table>`, or a CSV/Parquet path relative to "
                                         "the spec; one generated row per seed row.")
    rebalancing: Rebalancing | None = None
    imputation: list[Identifier] | None = Field(None, min_length=1, description="Columns generated without NULLs.")
    fairness: Fairness | None = None


class Generation(_Model):
    size: dict[Identifier, Annotated[int, Field(ge=1)]] = Field(
        default_factory=dict, description="Rows per subject table; linked tables follow their parents.")
    temperature: float = Field(1.0, ge=0, le=2, description="0..2")
    top_p: float = Field(1.0, ge=0.9, le=1, description="0.9..1")
    seed: int | None = Field(None, ge=0, description="Random seed of training and generation.")
    tables: dict[Identifier, TableGeneration] = Field(
        default_factory=dict, description="Per subject table: size, seed rows, rebalancing, imputation, fairness.")


class Output(_Model):
    kind: Literal["parquet", "csv", "sqlite", "duckdb", "spark"] = "parquet"
    path: str = Field("out/{name}/{version}", min_length=1, description="Relative to the spec; {name}, {version}.")
    table_name: str = Field("{table}", min_length=1, description="Output table name; {table}, {name}, {version}.")
    mode: Literal["new_version", "overwrite"] = Field(
        "new_version", description="new_version: never replace an output; overwrite: replace Spark tables (spark only).")


class Quality(_Model):
    """Thresholds `synthspec run` checks after writing the report (a run outside them fails with R016)."""

    min_accuracy: float | None = Field(None, ge=0, le=1, description="Minimum overall accuracy per table.")
    max_discriminator_auc: float | None = Field(None, ge=0, le=1,
                                                description="Maximum discriminator AUC (0.5 = indistinguishable).")
    max_dcr_share: float | None = Field(None, ge=0, le=1,
                                        description="Maximum share of synthetic rows closer to training than holdout.")
    max_identical_matches: float | None = Field(None, ge=0, le=1,
                                                description="Maximum share of synthetic rows identical to training rows.")


class Engine(_Model):
    """Where training and generation run (see docs/platform.md)."""

    kind: Literal["local", "platform"] = Field(
        "local", description="local: the MOSTLY AI engine on this machine; platform: a MOSTLY AI server at base_url.")
    local_dir: str = Field(".synthspec/mostlyai",
                           description="Engine home (local) and generator ZIP cache, relative to the project root.")
    base_url: str | None = Field(None, min_length=1,
                                 description="platform: the server's URL, or `${env:NAME}`.")
    api_key: str | None = Field(None, min_length=1,
                                description="platform: `${env:NAME}` only; a key written in the spec is an error.")
    api_key_header: str = Field("X-MOSTLY-API-KEY", min_length=1,
                                description="platform: the HTTP header that carries the API key.")


class SourceOverlay(_Model):
    path: str | None = Field(None, min_length=1)
    format: Literal["auto", "parquet", "csv", "delta"] | None = None
    csv: CsvOptions | None = None
    sample: Sample | None = None
    allow_outside_root: bool | None = None


class TableOverlay(_Model):
    training: Training | None = None


class Profile(_Model):
    """An overlay merged onto the spec by `--profile NAME`."""

    description: str | None = None
    training: Training | None = None
    tables: dict[Identifier, TableOverlay] | None = None
    generation: Generation | None = None
    output: Output | None = None
    quality: Quality | None = None
    sources: dict[Identifier, SourceOverlay] | None = None


class Spec(_Model):
    """A synthspec spec (version 1)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, allow_inf_nan=False, title="synthspec spec v1")

    spec_version: Literal[1] = Field(description="Always 1.")
    name: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$", description="Dataset name; names build/<name>/.")
    description: str | None = None
    sources: dict[Identifier, Source] = Field(default_factory=dict)
    training: Training = Field(default_factory=Training)
    tables: dict[Identifier, Table] = Field(min_length=1)
    generation: Generation = Field(default_factory=Generation)
    output: Output = Field(default_factory=Output)
    quality: Quality = Field(default_factory=Quality)
    engine: Engine = Field(default_factory=Engine)
    lint: LintOverride | None = Field(None, description="Lint findings to silence in every table, with a reason.")
    profiles: dict[Identifier, Profile] = Field(default_factory=dict)


DEFAULT_TRAINING = {
    "model": "medium",
    "max_training_time": 10.0,
    "max_epochs": 100.0,
    "value_protection": True,
}
