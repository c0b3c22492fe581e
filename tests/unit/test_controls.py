"""Constraints, privacy, generation controls and model choices: compile-time rules (located codes)
and artifacts that the SDK's own models and the strict schemas accept."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import jsonschema
import pytest

from compiler.api import compile_spec
from compiler.lint import DP_EPSILON_LIMIT

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = {p.name: json.loads(p.read_text("utf-8")) for p in (ROOT / "schemas").glob("*.json")}

BASE = """\
spec_version: 1
name: t
tables:
  people:
    primary_key: pid
    columns:
      region: categorical
      country: categorical
      city: categorical
      start: datetime
      end: datetime
      low: numeric
      high: numeric
      income: numeric
      bio: text
      email: {exclude: true}
  visits:
    primary_key: vid
    foreign_keys: [{columns: pid, references: people, context: true}]
    columns:
      at: datetime_relative
      cost: numeric
"""


def comp(tmp_path, extra: str = "", base: str = BASE, **kw):
    (tmp_path / "synthspec.yaml").write_text("", "utf-8")
    spec = tmp_path / "spec.yaml"
    spec.write_text(base + textwrap.dedent(extra), "utf-8")
    return compile_spec(spec, out_dir=tmp_path / "build", **kw)


def codes(res) -> list[str]:
    return [d.code for d in res.diagnostics]


def assert_sdk_valid(res):
    from mostlyai.sdk.domain import GeneratorConfig, SyntheticDatasetConfig

    assert res.ok, [f"{d.code} {d.message}" for d in res.diagnostics]
    strip = lambda d: {k: v for k, v in d.items() if k != "$schema"}  # noqa: E731
    GeneratorConfig.model_validate(strip(res.generator))
    SyntheticDatasetConfig.model_validate(strip(res.generate))
    jsonschema.Draft202012Validator(SCHEMAS["generator-config-strict.json"]).validate(res.generator)
    jsonschema.Draft202012Validator(SCHEMAS["synthetic-dataset-config.json"]).validate(res.generate)
    jsonschema.Draft7Validator(SCHEMAS["manifest-v1.json"]).validate(res.manifest)


FULL = """\
training:
  model: small
  batch_size: 32
  gradient_accumulation_steps: 2
  max_sample_size: 1000
  max_epochs: 5
  max_sequence_window: 20
  rare_category_replacement_method: sample
  enable_model_report: false
  differential_privacy: {max_epsilon: 5, delta: 0.00001, noise_multiplier: 1.2}
generation:
  temperature: 0.9
  top_p: 0.95
  tables:
    people:
      size: 50
      rebalancing: {column: region, probabilities: {nord: 0.5, sud: 0.25}}
      imputation: [income, low]
      fairness: {target: city, sensitive: [region]}
"""


def test_everything_reaches_the_artifacts_as_the_sdk_expects(tmp_path):
    res = comp(tmp_path, FULL, base=BASE.replace("      email: {exclude: true}\n", """\
      email: {exclude: true}
    constraints:
      - fixed_combinations: [country, city]
      - inequality: {low: start, high: end}
      - inequality: {low: low, high: high}
"""))
    assert_sdk_valid(res)
    g = res.generator
    assert g["constraints"] == [
        {"type": "FixedCombinations", "config": {"table_name": "people", "columns": ["country", "city"]}},
        {"type": "Inequality", "config": {"table_name": "people", "low_column": "start", "high_column": "end"}},
        {"type": "Inequality", "config": {"table_name": "people", "low_column": "low", "high_column": "high"}},
    ]
    people = g["tables"][0]
    tab, lang = people["tabular_model_configuration"], people["language_model_configuration"]
    assert tab["differential_privacy"] == {"max_epsilon": 5.0, "delta": 1e-05, "noise_multiplier": 1.2,
                                          "max_grad_norm": 1.0, "value_protection_epsilon": 1.0}
    assert tab["rare_category_replacement_method"] == "SAMPLE" and tab["batch_size"] == 32
    assert tab["gradient_accumulation_steps"] == 2 and tab["max_sequence_window"] == 20
    assert tab["enable_model_report"] is False and tab["model"] == "MOSTLY_AI/Small"
    assert lang["model"] == "MOSTLY_AI/LSTMFromScratch-3m" and "max_sequence_window" not in lang
    conf = res.generate["tables"][0]["configuration"]
    assert conf == {"sample_size": 50, "sampling_temperature": 0.9, "sampling_top_p": 0.95,
                    "rebalancing": {"column": "region", "probabilities": {"nord": 0.5, "sud": 0.25}},
                    "imputation": {"columns": ["income", "low"]},
                    "fairness": {"target_column": "city", "sensitive_columns": ["region"]}}
    assert res.manifest["generation"]["size"] == {"people": 50}
    # the SDK's own model holds exactly what was emitted
    assert res.generator_config.tables[0].tabular_model_configuration.differential_privacy.max_epsilon == 5.0


def test_dp_true_and_value_protection_off_drops_the_epsilon(tmp_path):
    res = comp(tmp_path, """\
    training:
      value_protection: false
      differential_privacy: {value_protection_epsilon: 2}
    lint: {ignore: [L004], reason: "test data"}
    """)
    assert codes(res).count("M021") == 1
    dp = res.generator["tables"][0]["tabular_model_configuration"]["differential_privacy"]
    assert "value_protection_epsilon" not in dp
    assert_sdk_valid(res)
    res = comp(tmp_path, "training: {differential_privacy: true}\n")
    assert res.generator["tables"][0]["tabular_model_configuration"]["differential_privacy"]["max_epsilon"] == 10.0
    res = comp(tmp_path, "training: {differential_privacy: true}\n", base=BASE.replace(
        "      cost: numeric\n", "      cost: numeric\n    training: {differential_privacy: false}\n"))
    assert "differential_privacy" not in res.generator["tables"][1]["tabular_model_configuration"]


def test_language_model_from_the_hub_warns(tmp_path):
    res = comp(tmp_path, "training: {language_model: microsoft/phi-1_5}\n")
    assert "M022" in codes(res) and res.ok
    assert res.generator["tables"][0]["language_model_configuration"]["model"] == "microsoft/phi-1_5"
    assert "language_model" not in res.generator["tables"][0]["tabular_model_configuration"]
    assert_sdk_valid(res)
    assert "S005" in codes(comp(tmp_path, "training: {language_model: 'not a model'}\n"))


@pytest.mark.parametrize("constraints,code,line_has", [
    ("[{fixed_combinations: [country]}]", "G020", "fixed_combinations"),
    ("[{inequality: {low: low, high: low}}]", "G020", "inequality"),
    ("[{}]", "G020", "{}"),
    ("[{fixed_combinations: [country, city], inequality: {low: low, high: high}}]", "G020", "fixed"),
    ("[{fixed_combinations: [country, nope]}]", "G021", "nope"),
    ("[{fixed_combinations: [country, pid]}]", "G021", "pid"),
    ("[{fixed_combinations: [country, email]}]", "G021", "email"),
    ("[{fixed_combinations: [country, city]}, {fixed_combinations: [city, region]}]", "G022", "region"),
    ("[{fixed_combinations: [country, country, city]}]", "G022", "country"),
    ("[{fixed_combinations: [country, low]}]", "G023", "low"),
    ("[{fixed_combinations: [country, bio]}]", "G023", "bio"),
    ("[{inequality: {low: low, high: start}}]", "G023", "inequality"),
    ("[{inequality: {low: income, high: bio}}]", "G023", "inequality"),
])
def test_constraint_rules(tmp_path, constraints, code, line_has):
    res = comp(tmp_path, base=BASE.replace("      email: {exclude: true}\n",
                                           f"      email: {{exclude: true}}\n    constraints: {constraints}\n"))
    assert code in codes(res), res.diagnostics
    assert not res.ok
    d = next(d for d in res.diagnostics if d.code == code)
    assert d.span.line == 17 and line_has in (tmp_path / "spec.yaml").read_text().splitlines()[16]


def test_datetime_relative_inequality_is_rejected(tmp_path):
    base = BASE.replace("      cost: numeric\n", "      cost: numeric\n      at2: datetime\n"
                        "    constraints: [{inequality: {low: at2, high: at}}]\n")
    res = comp(tmp_path, base=base)
    d = next(d for d in res.diagnostics if d.code == "G023")
    assert "datetime_relative" in d.help


@pytest.mark.parametrize("gen,code", [
    ("tables: {nope: {size: 3}}", "G024"),
    ("tables: {visits: {imputation: [cost]}}", "G025"),
    ("tables: {visits: {size: 3}}", "G025"),
    ("tables: {people: {imputation: [zzz]}}", "G026"),
    ("tables: {people: {rebalancing: {column: pid, probabilities: {a: 0.5}}}}", "G026"),
    ("tables: {people: {fairness: {target: email, sensitive: [region]}}}", "G026"),
    ("tables: {people: {rebalancing: {column: income, probabilities: {a: 0.5}}}}", "G027"),
    ("tables: {people: {fairness: {target: city, sensitive: [start]}}}", "G027"),
    ("tables: {people: {imputation: [bio]}}", "G027"),
    ("tables: {people: {rebalancing: {column: region, probabilities: {a: 0.7, b: 0.4}}}}", "G028"),
    ("tables: {people: {fairness: {target: city, sensitive: [region, city]}}}", "G029"),
    ("{size: {people: 5}, tables: {people: {size: 6}}}", "G030"),
    ("tables: {people: {size: 6, seed: seeds/p.csv}}", "G030"),
    ("tables: {people: {rebalancing: {column: region, probabilities: {a: 1.5}}}}", "S004"),
    ("tables: {people: {seed: ../../outside.csv}}", "M003"),
])
def test_generation_rules(tmp_path, gen, code):
    res = comp(tmp_path, f"generation:\n  {gen}\n", use_data=False)
    assert code in codes(res), res.diagnostics
    assert not res.ok
    d = next(d for d in res.diagnostics if d.code == code)
    assert d.span.line >= 24


@pytest.mark.parametrize("control", [
    "seed: seeds/p.csv", "rebalancing: {column: region, probabilities: {a: 0.5}}", "imputation: [income]",
    "fairness: {target: city, sensitive: [region]}"])
def test_flexible_generation_is_required(tmp_path, control):
    res = comp(tmp_path, f"training: {{enable_flexible_generation: false}}\n"
                         f"generation: {{tables: {{people: {{{control}}}}}}}\n", use_data=False)
    assert "M023" in codes(res) and not res.ok


def test_quality_thresholds_need_the_model_report(tmp_path):
    res = comp(tmp_path, "training: {enable_model_report: false}\nquality: {min_accuracy: 0.5}\n")
    assert codes(res).count("M024") == 1 and res.ok  # once: the setting is authored once


def _data_project(tmp_path, n_oest: int = 3, seed_cols=("region",)):
    import pandas as pd

    (tmp_path / "data").mkdir()
    (tmp_path / "seeds").mkdir()
    regions = ["nord"] * 60 + ["sud"] * 30 + ["oest"] * n_oest
    pd.DataFrame({"pid": range(len(regions)), "region": regions,
                  "income": [1.0] * len(regions)}).to_parquet(tmp_path / "data" / "people.parquet")
    pd.DataFrame({c: ["nord"] * 4 for c in seed_cols}).to_csv(tmp_path / "seeds" / "p.csv", index=False)


DATA_BASE = """\
spec_version: 1
name: t
sources: {d: {kind: files, path: data}}
tables:
  people:
    source: d/people.parquet
    primary_key: pid
    columns: {region: auto, income: numeric}
"""


def test_rebalancing_values_are_checked_against_the_data(tmp_path):
    _data_project(tmp_path)
    res = comp(tmp_path, "generation: {tables: {people: {rebalancing: {column: region, "
                         "probabilities: {oest: 0.3, west: 0.1, nord: 0.2}}}}}\n", base=DATA_BASE)
    got = {d.code: d for d in res.diagnostics if d.code.startswith("G03")}
    assert set(got) == {"G031", "G032"}
    assert "'west'" in got["G031"].message and "'oest'" in got["G032"].message
    assert "'nord'" in got["G031"].help
    res = comp(tmp_path, "training: {value_protection: false}\nlint: {ignore: [L004], reason: test}\n"
                         "generation: {tables: {people: {rebalancing: {column: region, "
                         "probabilities: {oest: 0.3}}}}}\n", base=DATA_BASE)
    assert res.ok and "G032" not in codes(res)


def test_seed_rows_are_checked(tmp_path):
    _data_project(tmp_path, seed_cols=("region", "zz"))
    res = comp(tmp_path, "generation: {tables: {people: {seed: seeds/p.csv}}}\n", base=DATA_BASE)
    d = next(d for d in res.diagnostics if d.code == "G034")
    assert "zz" in d.message
    res = comp(tmp_path, "generation: {tables: {people: {seed: seeds/missing.csv}}}\n", base=DATA_BASE)
    assert "G033" in codes(res) and res.ok
    (tmp_path / "seeds" / "p.csv").write_text("region\nnord\nsud\n")
    res = comp(tmp_path, "generation: {tables: {people: {seed: d/../seeds/p.csv}}}\n", base=DATA_BASE)
    assert res.ok, res.diagnostics
    assert res.manifest["generation"]["seeds"]["people"] == {
        "kind": "files", "format": "csv", "path": "../seeds/p.csv", "table": None, "options": {}}
    assert "sample_size" not in res.generate["tables"][0]["configuration"]
    assert_sdk_valid(res)


def test_lint_rules_and_overrides(tmp_path):
    base = BASE.replace("      region: categorical\n", "      region: {encoding: categorical, pii: address}\n")
    res = comp(tmp_path, "training: {value_protection: false}\n", base=base)
    assert "L003" in codes(res) and "L002" not in codes(res) and "L004" not in codes(res)
    res = comp(tmp_path, "training: {value_protection: false}\n")
    assert "L004" in codes(res)
    res = comp(tmp_path, "training: {differential_privacy: {noise_multiplier: 0}}\n")
    assert "L005" in codes(res)
    res = comp(tmp_path, f"training: {{differential_privacy: {{max_epsilon: {DP_EPSILON_LIMIT:.1f}}}}}\n")
    assert "L005" not in codes(res)
    # overrides: column, table, spec; the manifest records them; no reason / non-L code is M020
    base2 = base.replace("{encoding: categorical, pii: address}",
                         "{encoding: categorical, pii: address, lint: {ignore: [L003], reason: regions are public}}")
    res = comp(tmp_path, "training: {value_protection: false, differential_privacy: {max_epsilon: 50}}\n"
                         "lint: {ignore: [L004, L005], reason: fixture}\n", base=base2)
    assert not {"L003", "L004", "L005"} & set(codes(res)) and codes(res).count("L006") == 1  # L004: unused
    ov = res.manifest["lint_overrides"]
    assert [(o["scope"], o["table"], o["column"], [s["code"] for s in o["suppressed"]]) for o in ov] == [
        ("spec", None, None, ["L005", "L005"]), ("column", "people", "region", ["L003"])]
    assert ov[1]["reason"] == "regions are public"
    assert_sdk_valid(res)
    res = comp(tmp_path, "lint: {ignore: [L004]}\n")
    assert "M020" in codes(res) and not res.ok
    res = comp(tmp_path, "lint: {ignore: [G011], reason: x}\n")
    assert "M020" in codes(res) and not res.ok


def test_docs_examples_compile(tmp_path):
    """Every complete spec (```yaml starting with `spec_version:`) in the feature pages compiles cleanly."""
    import re

    n = 0
    for page in ("constraints.md", "privacy.md", "generation.md"):
        text = (ROOT / "docs" / page).read_text("utf-8")
        for i, m in enumerate(re.finditer(r"^```yaml\n(spec_version:.*?)^```", text, re.M | re.S)):
            d = tmp_path / f"{page}-{i}"
            d.mkdir()
            (d / "synthspec.yaml").write_text("", "utf-8")
            (d / "spec.yaml").write_text(m.group(1), "utf-8")
            res = compile_spec(d / "spec.yaml", out_dir=d / "build", use_data=False)
            assert res.ok, (page, i, [f"{x.code} {x.message}" for x in res.diagnostics])
            assert not [x for x in res.diagnostics if x.severity >= 2], (page, i, res.diagnostics)
            assert_sdk_valid(res)
            n += 1
    assert n >= 3
