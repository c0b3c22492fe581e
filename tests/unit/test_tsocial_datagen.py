"""Tests of the tSocial demo-data generator (templates/tsocial/datagen.py), on real files in tmp_path."""

from __future__ import annotations

import hashlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest

pd = pytest.importorskip("pandas")
pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

DATAGEN_PATH = Path(__file__).resolve().parents[2] / "templates" / "tsocial" / "datagen.py"


def _load_module():
    spec = importlib.util.spec_from_file_location("tsocial_datagen", DATAGEN_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


datagen = _load_module()

ARROW_TYPES = {
    "string": pa.string(),
    "category": pa.dictionary(pa.int8(), pa.string()),
    "date32": pa.date32(),
    "timestamp[us]": pa.timestamp("us"),
    "int64": pa.int64(),
    "float64": pa.float64(),
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def default_paths(tmp_path_factory) -> dict[str, Path]:
    return datagen.generate(tmp_path_factory.mktemp("default"))


@pytest.fixture(scope="module")
def frames(default_paths) -> dict:
    return {name: pd.read_parquet(path) for name, path in default_paths.items()}


# ------------------------------------------------------------------------------------------- files


def test_generate_returns_the_three_parquet_files(default_paths):
    assert list(default_paths) == ["titular", "actuacionsnomina", "pagamentnomina"]
    for name, path in default_paths.items():
        assert path.name == f"{name}.parquet"
        assert path.is_file()
    # The temp files of the atomic write are gone.
    assert sorted(p.name for p in next(iter(default_paths.values())).parent.iterdir()) == sorted(
        f"{name}.parquet" for name in default_paths
    )


def test_same_seed_gives_identical_bytes(tmp_path, default_paths):
    again = datagen.generate(tmp_path / "again")
    for name, path in default_paths.items():
        assert _sha256(again[name]) == _sha256(path), name


def test_other_seed_gives_other_bytes(tmp_path, default_paths):
    other = datagen.generate(tmp_path / "other", seed=7)
    for name, path in default_paths.items():
        assert _sha256(other[name]) != _sha256(path), name


def test_parquet_carries_no_pandas_metadata_nor_timestamps(default_paths):
    for path in default_paths.values():
        meta = pq.ParquetFile(path).metadata
        keys = set((meta.metadata or {}).keys())
        assert b"pandas" not in keys
        assert keys <= {b"ARROW:schema"}
        assert meta.created_by.startswith("parquet-cpp-arrow")


def test_overwrite_in_place(tmp_path):
    first = datagen.generate(tmp_path, titulars=40, seed=1)
    digest = {name: _sha256(path) for name, path in first.items()}
    second = datagen.generate(tmp_path, titulars=40, seed=2)
    assert second == first
    assert any(_sha256(path) != digest[name] for name, path in second.items())
    assert len(list(tmp_path.iterdir())) == 3


# ------------------------------------------------------------------------------------------- schema


def test_dtypes_as_specified(default_paths):
    for name, path in default_paths.items():
        schema = pq.read_schema(path)
        expected = [(col, ARROW_TYPES[kind]) for col, kind in datagen.SCHEMAS[name]]
        assert [(field.name, field.type) for field in schema] == expected, name


def test_categories_are_the_documented_ones(frames):
    for (table, column), categories in datagen.CATEGORIES.items():
        series = frames[table][column]
        assert list(series.cat.categories) == list(categories)
        assert series.notna().all()
    assert set(frames["titular"]["sexe"]) == {"H", "D"}
    assert set(frames["actuacionsnomina"]["Tipus_Actuacio"]) == set(datagen.TIPUS)
    assert set(frames["actuacionsnomina"]["Efecte_Nomina"]) == set(datagen.EFECTES)
    assert set(frames["pagamentnomina"]["Estat"]) == set(datagen.ESTATS)


def test_row_counts_in_expected_ranges(frames):
    n_tit = len(frames["titular"])
    n_act = len(frames["actuacionsnomina"])
    n_pag = len(frames["pagamentnomina"])
    assert n_tit == 2000
    assert 1.3 * n_tit <= n_act <= 1.7 * n_tit
    assert 2.0 * n_act <= n_pag <= 4.0 * n_act
    # Some holders have no action at all.
    assert frames["titular"]["identificador"].isin(frames["actuacionsnomina"]["identificador"]).mean() < 0.95


# ------------------------------------------------------------------------------------------- keys


def test_primary_keys_unique(frames):
    tit, act, pag = frames["titular"], frames["actuacionsnomina"], frames["pagamentnomina"]
    assert tit["identificador"].is_unique and tit["identificador"].notna().all()
    assert tit["identificador"].str.fullmatch(r"T\d{6}").all()
    assert not act.duplicated(["N_Procediment", "N_Expedient"]).any()
    assert act[["N_Procediment", "N_Expedient"]].notna().all().all()
    # The composite key is needed: neither part is a key alone.
    assert not act["N_Expedient"].is_unique
    assert not act["N_Procediment"].is_unique
    assert 150 <= act["N_Procediment"].nunique() <= 400
    assert act["N_Procediment"].str.fullmatch(r"PRC-20\d\d-\d{4}").all()
    assert pag["Id_Pagament"].is_unique and pag["Id_Pagament"].notna().all()


def test_foreign_keys_resolve(frames):
    tit, act, pag = frames["titular"], frames["actuacionsnomina"], frames["pagamentnomina"]
    ids = set(tit["identificador"])
    assert act["identificador"].notna().all()
    assert set(act["identificador"]) <= ids
    parent = set(zip(act["N_Procediment"], act["N_Expedient"]))
    assert pag[["N_Procediment", "N_Expedient"]].notna().all().all()
    assert set(zip(pag["N_Procediment"], pag["N_Expedient"])) <= parent
    # The non-context FK may be null; whatever is set resolves.
    solicitant = pag["Usuari_Solicitant"]
    assert 0.02 <= solicitant.isna().mean() <= 0.07
    assert set(solicitant.dropna()) <= ids
    holder = pag.merge(act[["N_Procediment", "N_Expedient", "identificador"]], on=["N_Procediment", "N_Expedient"])
    assert len(holder) == len(pag)
    set_rows = holder["Usuari_Solicitant"].notna()
    other = (holder["Usuari_Solicitant"] != holder["identificador"]) & set_rows
    assert 0.10 <= other.mean() <= 0.20


# ------------------------------------------------------------------------------------------- values


def _dni_valid(value: str) -> bool:
    if re.fullmatch(r"\d{8}[A-Z]", value):
        return datagen.DNI_LETTERS[int(value[:8]) % 23] == value[8]
    if re.fullmatch(r"[XYZ]\d{7}[A-Z]", value):
        return datagen.DNI_LETTERS[int("XYZ".index(value[0]) * 10_000_000 + int(value[1:8])) % 23] == value[8]
    return False


def test_dni_and_nie_check_letters(frames):
    dni = frames["titular"]["dni"]
    assert dni.notna().all() and dni.is_unique
    assert all(_dni_valid(v) for v in dni)
    nie_share = dni.str.match(r"[XYZ]").mean()
    assert 0.005 <= nie_share <= 0.04


def test_check_letter_known_values():
    assert datagen.check_letter(12345678) == "Z"
    assert datagen.check_letter(0) == "T"
    # NIE X1234567L: X counts as 0.
    assert datagen.check_letter(1234567) == "L"
    assert not _dni_valid("12345678A")
    assert _dni_valid("X1234567L")


def test_titular_values_are_plausible(frames):
    tit = frames["titular"]
    sex_of = {name: sex for name, sex, *_ in datagen._GIVEN_NAMES}
    sex_of.update(dict(datagen._FOREIGN_GIVEN))
    assert (tit["nom"].map(sex_of) == tit["sexe"].astype(str)).all()
    assert 0.01 <= tit["cognomSegon"].isna().mean() <= 0.06
    assert tit["cognomPrimer"].notna().all()
    assert tit["cognomPrimer"].value_counts().index[0] == "Garcia"

    birth = pd.to_datetime(tit["dataNaixement"])
    ref = pd.Timestamp("2026-01-01")
    age = (ref - birth).dt.days / 365.2425
    outliers = birth < pd.Timestamp("1925-01-01")
    assert 1 <= outliers.sum() <= 5
    assert (birth[outliers].dt.year.between(1918, 1922)).all()
    assert age[~outliers].between(18, 96).all()

    email = tit["correuElectronic"]
    assert 0.02 <= email.isna().mean() <= 0.08
    assert email.dropna().str.fullmatch(r"[a-z0-9._]+@[a-z.]+\.(com|es|net|cat)").all()
    phone = tit["telefon"]
    assert 0.04 <= phone.isna().mean() <= 0.12
    assert phone.dropna().str.fullmatch(r"[69]\d{8}").all()

    municipis = {c: {m for m, _ in munis} for c, _, _, munis in datagen._COMARQUES}
    assert all(m in municipis[c] for c, m in zip(tit["comarca"], tit["municipi"]))
    assert tit["comarca"].value_counts().index[0] == "Barcelonès"
    assert len(datagen._COMARQUES) == 43  # 41 + Val d'Aran + Lluçanès (2023)

    alta = tit["dataAlta"]
    assert alta.min() >= pd.Timestamp("2005-01-01") and alta.max() <= pd.Timestamp("2025-12-31 23:59:59")


def test_actuacions_values_are_plausible(frames):
    tit, act = frames["titular"], frames["actuacionsnomina"]
    merged = act.merge(tit[["identificador", "dataAlta"]], on="identificador")
    assert (merged["Data_actuacio"] > merged["dataAlta"]).all()
    # Ordered within a holder, strictly.
    diffs = act.groupby("identificador", sort=False)["Data_actuacio"].diff().dropna()
    assert (diffs > pd.Timedelta(0)).all()
    amount = act["Import_Mensual"]
    assert 0.002 <= amount.isna().mean() <= 0.03
    assert 1 <= (amount > 10_000).sum() <= 5
    typical = amount[amount < 10_000]
    assert 450 <= typical.median() <= 750
    assert (typical > 0).all()
    assert (amount.dropna() == amount.dropna().round(2)).all()
    assert 0.3 <= act["Observacions"].isna().mean() <= 0.5
    assert act["Tipus_Actuacio"].value_counts().index[0] == "Alta"


def test_pagaments_values_are_plausible(frames):
    act, pag = frames["actuacionsnomina"], frames["pagamentnomina"]
    merged = pag.merge(act, on=["N_Procediment", "N_Expedient"])
    pay_day = pd.to_datetime(merged["Data_Pagament"])
    assert (pay_day > merged["Data_actuacio"]).all()
    assert pag["Mes_Nomina"].str.fullmatch(r"20\d\d(0[1-9]|1[0-2])").all()
    month = pd.to_datetime(pag["Mes_Nomina"], format="%Y%m")
    paid = pd.to_datetime(pag["Data_Pagament"])
    assert (paid >= month).all()
    assert (pag["Import"] < 0).sum() >= 1
    assert pag["Estat"].value_counts().index[0] == "Pagat"
    assert (pag.loc[paid > pd.Timestamp("2025-12-31"), "Estat"] == "Pendent").all()
    assert 300 <= pag["Import"].median() <= 900


# ------------------------------------------------------------------------------------------- csv, sizes, CLI


def test_csv_format(tmp_path):
    paths = datagen.generate(tmp_path / "csv", titulars=300, seed=11, fmt="csv")
    again = datagen.generate(tmp_path / "csv2", titulars=300, seed=11, fmt="csv")
    parquet = datagen.generate(tmp_path / "pq", titulars=300, seed=11)
    for name, path in paths.items():
        assert path.name == f"{name}.csv"
        assert _sha256(path) == _sha256(again[name])
        from_csv = pd.read_csv(path, dtype=str, keep_default_na=False)
        from_pq = pd.read_parquet(parquet[name])
        assert list(from_csv.columns) == [col for col, _ in datagen.SCHEMAS[name]]
        assert len(from_csv) == len(from_pq)
    tit = pd.read_csv(paths["titular"], dtype=str, keep_default_na=False)
    assert tit["telefon"].str.fullmatch(r"([69]\d{8})?").all()  # leading digits kept as text
    assert tit["dataNaixement"].str.fullmatch(r"\d{4}-\d\d-\d\d").all()
    assert tit["dataAlta"].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    pag = pd.read_csv(paths["pagamentnomina"], dtype=str, keep_default_na=False)
    assert pag["Import"].str.fullmatch(r"-?\d+\.\d\d").all()
    assert pag["Mes_Nomina"].str.fullmatch(r"\d{6}").all()


@pytest.mark.parametrize("titulars", [1, 2, 17])
def test_tiny_sizes_still_consistent(tmp_path, titulars):
    paths = datagen.generate(tmp_path, titulars=titulars, seed=3)
    tit = pd.read_parquet(paths["titular"])
    act = pd.read_parquet(paths["actuacionsnomina"])
    pag = pd.read_parquet(paths["pagamentnomina"])
    assert len(tit) == titulars
    assert set(act["identificador"]) <= set(tit["identificador"])
    assert set(zip(pag["N_Procediment"], pag["N_Expedient"])) <= set(zip(act["N_Procediment"], act["N_Expedient"]))
    for name, path in paths.items():
        assert [f.name for f in pq.read_schema(path)] == [col for col, _ in datagen.SCHEMAS[name]]


@pytest.mark.parametrize("kwargs", [{"fmt": "xlsx"}, {"titulars": 0}, {"titulars": 1_000_000}, {"titulars": 2.5}])
def test_bad_arguments_raise(tmp_path, kwargs):
    with pytest.raises(ValueError):
        datagen.generate(tmp_path, **kwargs)
    assert not any(tmp_path.iterdir())


def test_runs_as_a_script(tmp_path):
    out = tmp_path / "cli"
    proc = subprocess.run(
        [sys.executable, str(DATAGEN_PATH), str(out), "--rows", "25", "--seed", "5", "--format", "csv"],
        capture_output=True, text=True, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "titular: 25 rows" in proc.stdout
    assert sorted(p.name for p in out.iterdir()) == ["actuacionsnomina.csv", "pagamentnomina.csv", "titular.csv"]
    bad = subprocess.run([sys.executable, str(DATAGEN_PATH), str(out), "--rows", "0"],
                         capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert "titulars must be" in bad.stderr
