"""Deterministic demo data for the ``tsocial`` starter template.

The real tSocial tables (eSocial's case-handling system) hold personal data and cannot be shared, so this
module writes realistic-looking stand-ins for three of them: ``titular`` (benefit holders),
``actuacionsnomina`` (payroll actions on a holder's case) and ``pagamentnomina`` (monthly payments).
Every value is drawn from ``numpy.random.default_rng(seed)``; no real person is described.

Same arguments give byte-identical files (for a given numpy/pyarrow/pandas version): Parquet is written
from Arrow arrays built here (no pandas metadata, no timestamps), CSV with a fixed format.

Usage::

    python templates/tsocial/datagen.py OUT_DIR [--rows N] [--seed S] [--format parquet|csv]

or, from Python (the file is a plain module, importable by path)::

    paths = generate("data", titulars=2000, seed=20261204, fmt="parquet")

See ``README.md`` beside this file for the columns and the traps they contain.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import unicodedata
from pathlib import Path

TABLES: tuple[str, ...] = ("titular", "actuacionsnomina", "pagamentnomina")
FORMATS: tuple[str, ...] = ("parquet", "csv")
DEFAULT_TITULARS = 2000
DEFAULT_SEED = 20261204
MAX_TITULARS = 999_999  # identificador is `T` + 6 digits

# Column name -> Arrow type, in file order. "category" is dictionary<values=string, indices=int8>
# (pandas `category`); its categories, in dictionary order, are in CATEGORIES.
SCHEMAS: dict[str, tuple[tuple[str, str], ...]] = {
    "titular": (
        ("identificador", "string"),
        ("nom", "string"),
        ("cognomPrimer", "string"),
        ("cognomSegon", "string"),
        ("sexe", "category"),
        ("dataNaixement", "date32"),
        ("dni", "string"),
        ("correuElectronic", "string"),
        ("telefon", "string"),
        ("comarca", "string"),
        ("municipi", "string"),
        ("dataAlta", "timestamp[us]"),
    ),
    "actuacionsnomina": (
        ("N_Procediment", "string"),
        ("N_Expedient", "int64"),
        ("identificador", "string"),
        ("Tipus_Actuacio", "category"),
        ("Efecte_Nomina", "category"),
        ("Data_actuacio", "timestamp[us]"),
        ("Import_Mensual", "float64"),
        ("Observacions", "string"),
    ),
    "pagamentnomina": (
        ("Id_Pagament", "int64"),
        ("N_Procediment", "string"),
        ("N_Expedient", "int64"),
        ("Usuari_Solicitant", "string"),
        ("Import", "float64"),
        ("Data_Pagament", "date32"),
        ("Estat", "category"),
        ("Mes_Nomina", "string"),
    ),
}

TIPUS = ("Alta", "Revisió", "Modificació", "Suspensió", "Reactivació", "Baixa")
EFECTES = ("Inclusió", "Exclusió", "Modificació import", "Sense efecte")
ESTATS = ("Pagat", "Pendent", "Retornat", "Anul·lat")
CATEGORIES: dict[tuple[str, str], tuple[str, ...]] = {
    ("titular", "sexe"): ("H", "D"),
    ("actuacionsnomina", "Tipus_Actuacio"): TIPUS,
    ("actuacionsnomina", "Efecte_Nomina"): EFECTES,
    ("pagamentnomina", "Estat"): ESTATS,
}

DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"

# The data are "extracted" on 2025-12-31; ages are measured at 2026-01-01.
_REFERENCE_DAY = "2026-01-01"
_FIRST_ALTA_DAY = "2005-01-01"
_LAST_DAY = "2025-12-31"
_LEGACY_ALTA = "2005-01-03T00:00:00"  # the bulk migration from the previous system
_LAST_PAYROLL_MONTH = "2026-02"  # payments up to two months ahead are already scheduled (Pendent)

# Given names: (name, sex, weight among people born before 1955, 1955-1984, from 1985).
_GIVEN_NAMES: tuple[tuple[str, str, float, float, float], ...] = (
    ("Josep", "H", 60, 25, 5), ("Antonio", "H", 70, 35, 5), ("Joan", "H", 50, 30, 12),
    ("Manuel", "H", 55, 25, 3), ("Francesc", "H", 35, 12, 3), ("Francisco", "H", 45, 25, 3),
    ("Jordi", "H", 10, 55, 20), ("David", "H", 0.5, 35, 35), ("Javier", "H", 3, 30, 15),
    ("Daniel", "H", 1, 22, 30), ("Marc", "H", 0.2, 8, 45), ("Pau", "H", 0.2, 5, 40),
    ("Xavier", "H", 3, 35, 10), ("Carles", "H", 8, 28, 8), ("Miquel", "H", 25, 15, 6),
    ("Albert", "H", 2, 25, 18), ("Sergi", "H", 0.5, 25, 20), ("Pere", "H", 30, 15, 8),
    ("Ramon", "H", 35, 10, 2), ("Enric", "H", 15, 10, 3), ("Lluís", "H", 20, 18, 5),
    ("Àlex", "H", 0.2, 6, 30), ("Oriol", "H", 0.3, 10, 22), ("Pol", "H", 0.1, 1, 35),
    ("Arnau", "H", 0.1, 1.5, 30), ("Joaquim", "H", 20, 8, 2), ("Jaume", "H", 18, 12, 6),
    ("Ricard", "H", 5, 10, 4), ("Martí", "H", 1, 2, 20), ("José", "H", 40, 20, 4),
    ("Juan", "H", 35, 20, 5), ("Jesús", "H", 18, 10, 3),
    ("Maria", "D", 60, 30, 12), ("Montserrat", "D", 55, 35, 4), ("Carme", "D", 45, 15, 1),
    ("Núria", "D", 4, 40, 10), ("Marta", "D", 1, 40, 25), ("Laura", "D", 0.5, 30, 35),
    ("Anna", "D", 3, 30, 35), ("Josefa", "D", 45, 8, 0.5), ("Isabel", "D", 30, 18, 5),
    ("Rosa", "D", 40, 15, 2), ("Dolors", "D", 40, 10, 0.5), ("Mercè", "D", 35, 20, 2),
    ("Cristina", "D", 1, 35, 20), ("Laia", "D", 0.1, 4, 45), ("Júlia", "D", 0.5, 3, 40),
    ("Elena", "D", 3, 15, 15), ("Sílvia", "D", 0.5, 35, 10), ("Teresa", "D", 35, 15, 2),
    ("Pilar", "D", 30, 15, 2), ("Ana", "D", 10, 20, 12), ("Francesca", "D", 18, 4, 1),
    ("Marina", "D", 1, 10, 25), ("Aina", "D", 0.1, 1, 30), ("Neus", "D", 5, 15, 6),
    ("Roser", "D", 20, 12, 3), ("Glòria", "D", 12, 15, 3), ("Meritxell", "D", 0.5, 20, 15),
    ("Assumpta", "D", 15, 6, 0.5), ("Eulàlia", "D", 15, 8, 3), ("Carmen", "D", 50, 20, 3),
    ("Antònia", "D", 20, 5, 0.5), ("Paula", "D", 0.2, 3, 35), ("Clàudia", "D", 0.2, 4, 35),
)

# Surnames with rough per-mille frequencies in Catalonia (a long, skewed tail).
_SURNAMES: tuple[tuple[str, float], ...] = (
    ("Garcia", 30), ("Martínez", 18), ("López", 16), ("Sánchez", 14), ("Rodríguez", 12),
    ("Fernández", 12), ("Pérez", 11), ("González", 9), ("Gómez", 8), ("Martín", 8), ("Ruiz", 7),
    ("Puig", 6), ("Hernández", 6), ("Jiménez", 6), ("Moreno", 6), ("Vidal", 5), ("Vila", 5),
    ("Soler", 5), ("Ferrer", 5), ("Serra", 5), ("Muñoz", 5), ("Romero", 5), ("Navarro", 5),
    ("Font", 4), ("Roca", 4), ("Pujol", 4), ("Casas", 4), ("Martí", 4), ("Molina", 4), ("Díaz", 4),
    ("Torres", 4), ("Álvarez", 4), ("Sala", 3.5), ("Pons", 3.5), ("Costa", 3.5), ("Bosch", 3.5),
    ("Serrano", 3.5), ("Riera", 3), ("Mas", 3), ("Roig", 3), ("Prat", 3), ("Solé", 3), ("Rovira", 3),
    ("Ortega", 3), ("Rubio", 3), ("Alonso", 3), ("Gil", 3), ("Vives", 2.5), ("Camps", 2.5),
    ("Ribas", 2.5), ("Bonet", 2.5), ("Segura", 2.5), ("Cortés", 2.5), ("Pla", 2.5), ("Sanz", 2.5),
    ("Domínguez", 2.5), ("Marín", 2.5), ("Ramos", 2.5), ("Giménez", 2.5), ("Torrent", 2),
    ("Batlle", 2), ("Sabaté", 2), ("Mestres", 2), ("Badia", 2), ("Comas", 2), ("Farré", 2),
    ("Oliva", 2), ("Ros", 2), ("Planas", 2), ("Castells", 2), ("Carbonell", 2), ("Casals", 2),
    ("Vallès", 2), ("Castillo", 2), ("Cano", 2), ("Fàbregas", 1.5), ("Miró", 1.5), ("Guerrero", 1.5),
)

# A few names for holders of a foreigner's identity number (NIE).
_FOREIGN_GIVEN: tuple[tuple[str, str], ...] = (
    ("Mohamed", "H"), ("Ahmed", "H"), ("Youssef", "H"), ("Bilal", "H"), ("Andrei", "H"), ("Ion", "H"),
    ("Carlos", "H"), ("Luis", "H"), ("Fatima", "D"), ("Khadija", "D"), ("Aicha", "D"), ("Ioana", "D"),
    ("Mariana", "D"), ("Gabriela", "D"), ("Yasmina", "D"), ("Natalia", "D"),
)
_FOREIGN_SURNAMES: tuple[str, ...] = (
    "El Amrani", "Benali", "Bouzid", "Haddad", "Popescu", "Ionescu", "Rodrigues", "Da Silva",
    "Quispe", "Mamani", "Chen", "Wang",
)

# (comarca, province, population in thousands, municipalities with weights; the capital first).
# 41 comarques plus the Val d'Aran, and the Lluçanès (created in 2023).
_COMARQUES: tuple[tuple[str, str, float, tuple[tuple[str, float], ...]], ...] = (
    ("Barcelonès", "B", 2330, (("Barcelona", 1700), ("L'Hospitalet de Llobregat", 280),
                               ("Badalona", 225), ("Santa Coloma de Gramenet", 120),
                               ("Sant Adrià de Besòs", 38))),
    ("Vallès Occidental", "B", 950, (("Sabadell", 218), ("Terrassa", 225), ("Sant Cugat del Vallès", 95),
                                     ("Rubí", 80), ("Cerdanyola del Vallès", 58), ("Ripollet", 39),
                                     ("Barberà del Vallès", 33), ("Castellar del Vallès", 25))),
    ("Baix Llobregat", "B", 840, (("Sant Feliu de Llobregat", 45), ("Cornellà de Llobregat", 90),
                                  ("Sant Boi de Llobregat", 84), ("Castelldefels", 68), ("Viladecans", 68),
                                  ("El Prat de Llobregat", 65), ("Gavà", 48),
                                  ("Esplugues de Llobregat", 47), ("Martorell", 29), ("Molins de Rei", 26))),
    ("Maresme", "B", 470, (("Mataró", 130), ("Premià de Mar", 29), ("Pineda de Mar", 28), ("El Masnou", 24),
                           ("Vilassar de Mar", 21), ("Calella", 20), ("Malgrat de Mar", 19))),
    ("Vallès Oriental", "B", 420, (("Granollers", 63), ("Mollet del Vallès", 52), ("Parets del Vallès", 19),
                                   ("Cardedeu", 19), ("Sant Celoni", 18), ("La Garriga", 17),
                                   ("Canovelles", 17))),
    ("Tarragonès", "T", 270, (("Tarragona", 138), ("Salou", 29), ("Vila-seca", 23), ("Torredembarra", 17),
                              ("Constantí", 7))),
    ("Segrià", "L", 215, (("Lleida", 142), ("Alcarràs", 10), ("Almacelles", 7), ("Alpicat", 7))),
    ("Gironès", "G", 200, (("Girona", 105), ("Salt", 33), ("Cassà de la Selva", 11), ("Sarrià de Ter", 5))),
    ("Baix Camp", "T", 200, (("Reus", 108), ("Cambrils", 36), ("Mont-roig del Camp", 13), ("Riudoms", 7))),
    ("Bages", "B", 185, (("Manresa", 79), ("Sant Joan de Vilatorrada", 11), ("Sant Vicenç de Castellet", 10),
                         ("Navarcles", 6), ("Súria", 6))),
    ("Selva", "G", 180, (("Santa Coloma de Farners", 14), ("Blanes", 41), ("Lloret de Mar", 41),
                         ("Tordera", 18), ("Hostalric", 4))),
    ("Osona", "B", 165, (("Vic", 48), ("Manlleu", 21), ("Torelló", 14), ("Tona", 9))),
    ("Garraf", "B", 155, (("Vilanova i la Geltrú", 69), ("Sant Pere de Ribes", 32), ("Sitges", 31))),
    ("Alt Empordà", "G", 145, (("Figueres", 47), ("Roses", 20), ("L'Escala", 11), ("Llançà", 5))),
    ("Baix Empordà", "G", 140, (("La Bisbal d'Empordà", 11), ("Palafrugell", 23),
                                ("Sant Feliu de Guíxols", 22), ("Palamós", 18))),
    ("Anoia", "B", 125, (("Igualada", 41), ("Piera", 17), ("Vilanova del Camí", 12))),
    ("Alt Penedès", "B", 112, (("Vilafranca del Penedès", 40), ("Sant Sadurní d'Anoia", 13))),
    ("Baix Penedès", "T", 110, (("El Vendrell", 39), ("Calafell", 29), ("Cunit", 14))),
    ("Baix Ebre", "T", 80, (("Tortosa", 34), ("Deltebre", 11), ("L'Ametlla de Mar", 8))),
    ("Montsià", "T", 72, (("Amposta", 21), ("La Ràpita", 15), ("Alcanar", 10))),
    ("Garrotxa", "G", 59, (("Olot", 37), ("Besalú", 2.5))),
    ("Alt Camp", "T", 46, (("Valls", 26),)),
    ("Berguedà", "B", 40, (("Berga", 17),)),
    ("Noguera", "L", 40, (("Balaguer", 17),)),
    ("Pla d'Urgell", "L", 38, (("Mollerussa", 16),)),
    ("Urgell", "L", 37, (("Tàrrega", 17),)),
    ("Pla de l'Estany", "G", 33, (("Banyoles", 20),)),
    ("Ripollès", "G", 25, (("Ripoll", 11),)),
    ("Segarra", "L", 23, (("Cervera", 9),)),
    ("Ribera d'Ebre", "T", 22, (("Móra d'Ebre", 6),)),
    ("Alt Urgell", "L", 20, (("La Seu d'Urgell", 13),)),
    ("Conca de Barberà", "T", 20, (("Montblanc", 7.5),)),
    ("Garrigues", "L", 19, (("Les Borges Blanques", 6),)),
    ("Cerdanya", "G", 19, (("Puigcerdà", 9.5),)),
    ("Solsonès", "L", 14, (("Solsona", 9.5),)),
    ("Moianès", "B", 14, (("Moià", 6.5),)),
    ("Pallars Jussà", "L", 13, (("Tremp", 6),)),
    ("Terra Alta", "T", 11, (("Gandesa", 3),)),
    ("Val d'Aran", "L", 10, (("Vielha e Mijaran", 5.7),)),
    ("Priorat", "T", 9, (("Falset", 2.9),)),
    ("Lluçanès", "B", 8, (("Prats de Lluçanès", 2.6),)),
    ("Pallars Sobirà", "L", 7, (("Sort", 2.3),)),
    ("Alta Ribagorça", "L", 4, (("El Pont de Suert", 2.3),)),
)
_LANDLINE_PREFIX = {"B": "93", "G": "972", "L": "973", "T": "977"}

_EMAIL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("gmail.com", 48), ("hotmail.com", 18), ("outlook.com", 7), ("yahoo.es", 6), ("hotmail.es", 4),
    ("telefonica.net", 3), ("xtec.cat", 3), ("icloud.com", 3), ("live.com", 2), ("gencat.cat", 1.5),
    ("movistar.es", 1.5), ("terra.es", 1),
)

_OBSERVACIONS: dict[str, tuple[str, ...]] = {
    "Alta": ("Alta per resolució favorable de la sol·licitud.",
             "Alta després de la valoració de la treballadora social.",
             "Alta amb efectes del mes següent.",
             "Expedient traslladat des d'un altre ens local."),
    "Revisió": ("Revisió anual d'ingressos.", "Revisió d'ofici sense canvis.",
                "Revisió per canvi en la unitat de convivència.", "Actualització de l'import segons l'IRSC."),
    "Modificació": ("Modificació de l'import per nous ingressos.", "Canvi de compte bancari.",
                    "Canvi de domicili dins del mateix municipi.", "Actualització de dades personals."),
    "Suspensió": ("Suspensió temporal per ingrés en centre residencial.",
                  "Suspensió per manca de documentació.", "Suspensió cautelar pendent de revisió.",
                  "Suspensió per estada a l'estranger."),
    "Reactivació": ("Reactivació després d'aportar la documentació.",
                    "Reactivació per finalització de l'ingrés hospitalari.",
                    "Reactivació amb abonament d'endarreriments."),
    "Baixa": ("Baixa a petició de la persona interessada.", "Baixa per trasllat a un altre municipi.",
              "Baixa per superar el límit d'ingressos.", "Baixa per defunció."),
}
_OBSERVACIONS_GENERAL: tuple[str, ...] = (
    "Pendent de documentació.", "Documentació completa.", "Contacte telefònic amb la persona titular.",
    "Visita domiciliària realitzada.", "Informe social adjunt.", "Es notifica per correu certificat.",
    "Sense incidències.", "Cal revisar el compte de cobrament.",
)

# Tipus_Actuacio: first action of a case, then a Markov chain (rows follow TIPUS order).
_TIPUS_FIRST = (0.90, 0.04, 0.03, 0.0, 0.03, 0.0)
_TIPUS_NEXT = (
    (0.05, 0.38, 0.30, 0.12, 0.00, 0.15),  # after Alta
    (0.05, 0.30, 0.30, 0.12, 0.03, 0.20),  # after Revisió
    (0.05, 0.35, 0.30, 0.12, 0.00, 0.18),  # after Modificació
    (0.00, 0.10, 0.00, 0.00, 0.55, 0.35),  # after Suspensió
    (0.00, 0.40, 0.30, 0.12, 0.00, 0.18),  # after Reactivació
    (0.55, 0.10, 0.00, 0.00, 0.35, 0.00),  # after Baixa
)
# Efecte_Nomina given Tipus_Actuacio (columns follow EFECTES order).
_EFECTE_GIVEN_TIPUS = (
    (0.93, 0.00, 0.00, 0.07),
    (0.00, 0.03, 0.35, 0.62),
    (0.00, 0.00, 0.85, 0.15),
    (0.00, 0.88, 0.00, 0.12),
    (0.90, 0.00, 0.00, 0.10),
    (0.00, 0.95, 0.00, 0.05),
)


def check_letter(number: int) -> str:
    """Return the check letter of a DNI number (or of a NIE with X/Y/Z replaced by 0/1/2)."""
    return DNI_LETTERS[number % 23]


def generate(
    out_dir: str | Path,
    *,
    titulars: int = DEFAULT_TITULARS,
    seed: int = DEFAULT_SEED,
    fmt: str = "parquet",
) -> dict[str, Path]:
    """Write the three demo tables into ``out_dir``.

    Args:
        out_dir: folder to write into (created if missing). Existing files of the same names are replaced
            atomically.
        titulars: number of rows of ``titular`` (1 to 999,999); the other tables follow it
            (about 1.5 actuacions per titular and about 3 payments per actuació).
        seed: seed of ``numpy.random.default_rng``; the same seed gives byte-identical files.
        fmt: ``"parquet"`` or ``"csv"``.

    Returns:
        The written files, keyed by table name in the order titular, actuacionsnomina, pagamentnomina.

    Raises:
        ValueError: on an unknown format or a number of titulars out of range.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    tables = build_tables(titulars=titulars, seed=seed)
    return write_tables(tables, out_dir, fmt=fmt)


def build_tables(*, titulars: int = DEFAULT_TITULARS, seed: int = DEFAULT_SEED) -> dict:
    """Build the three tables in memory as ``pyarrow.Table`` objects keyed by table name.

    Args:
        titulars: number of rows of ``titular`` (1 to 999,999).
        seed: seed of ``numpy.random.default_rng``.

    Returns:
        ``{"titular": pa.Table, "actuacionsnomina": pa.Table, "pagamentnomina": pa.Table}``.
    """
    import numpy as np

    if isinstance(titulars, bool) or not isinstance(titulars, int) or not 1 <= titulars <= MAX_TITULARS:
        raise ValueError(f"titulars must be an integer from 1 to {MAX_TITULARS}, got {titulars!r}")
    rng = np.random.default_rng(seed)
    tit = _titular(rng, titulars)
    act = _actuacions(rng, tit)
    pag = _pagaments(rng, tit, act)
    return {
        "titular": _to_arrow("titular", tit["columns"]),
        "actuacionsnomina": _to_arrow("actuacionsnomina", act["columns"]),
        "pagamentnomina": _to_arrow("pagamentnomina", pag),
    }


def write_tables(tables: dict, out_dir: str | Path, *, fmt: str = "parquet") -> dict[str, Path]:
    """Write Arrow tables as ``<name>.parquet`` or ``<name>.csv``, each through a temp file and ``os.replace``.

    Args:
        tables: ``pyarrow.Table`` objects keyed by table name.
        out_dir: destination folder (created if missing).
        fmt: ``"parquet"`` or ``"csv"``.

    Returns:
        The written paths, keyed by table name.
    """
    if fmt not in FORMATS:
        raise ValueError(f"fmt must be one of {', '.join(FORMATS)}, got {fmt!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for name, table in tables.items():
        path = out / f"{name}.{fmt}"
        _atomic_write(path, lambda tmp, t=table: _write_one(t, tmp, fmt))
        paths[name] = path
    return paths


# --------------------------------------------------------------------------------------------- titular


def _titular(rng, n: int) -> dict:
    import numpy as np

    ref_day = _day(_REFERENCE_DAY)

    # Birth dates: working-age adults and the elderly (dependency benefits), ages 18-95 at the reference
    # day, plus a few impossible-looking centenarians (data entry errors kept by the source system).
    elderly = rng.random(n) < 0.42
    age = np.where(elderly, 65 + 30 * rng.beta(1.6, 2.2, n), 18 + 47 * rng.beta(2.0, 2.0, n))
    birth = ref_day - np.floor(age * 365.2425).astype(np.int64)
    birth = np.clip(birth, _day("1930-01-02"), _day("2007-11-30"))
    n_old = int(round(n * 0.0015))
    old_rows = rng.choice(n, size=n_old, replace=False) if n_old else np.empty(0, np.int64)
    birth[old_rows] = rng.integers(_day("1919-01-01"), _day("1921-12-31") + 1, n_old)
    birth_year = _years(birth)

    # Identity documents: ~2% NIE (foreign residents), the rest DNI. DNI numbers grow with issue date,
    # so older people tend to hold lower numbers.
    is_nie = rng.random(n) < 0.02
    dni = np.empty(n, dtype=object)
    dni_rows = np.flatnonzero(~is_nie)
    numbers = np.sort(rng.choice(79_000_000, size=dni_rows.size, replace=False) + 1_000_000)
    by_age = np.argsort(birth[dni_rows] + rng.normal(0, 3000, dni_rows.size), kind="stable")
    dni_numbers = np.empty(dni_rows.size, np.int64)
    dni_numbers[by_age] = numbers
    for row, number in zip(dni_rows.tolist(), dni_numbers.tolist()):
        dni[row] = f"{number:08d}{check_letter(number)}"
    nie_rows = np.flatnonzero(is_nie)
    nie_numbers = rng.choice(10_000_000, size=nie_rows.size, replace=False)
    nie_prefix = rng.choice(3, size=nie_rows.size, p=[0.55, 0.40, 0.05])
    for row, prefix, number in zip(nie_rows.tolist(), nie_prefix.tolist(), nie_numbers.tolist()):
        dni[row] = f"{'XYZ'[prefix]}{number:07d}{check_letter(prefix * 10_000_000 + number)}"

    # Sex first (social-services holders are more often women), then a name fitting sex and cohort.
    sexe = np.where(rng.random(n) < 0.57, 1, 0)  # index into ("H", "D")
    cohort = np.where(birth_year < 1955, 0, np.where(birth_year < 1985, 1, 2))
    nom = np.empty(n, dtype=object)
    for s, sex in enumerate(("H", "D")):
        bank = [g for g in _GIVEN_NAMES if g[1] == sex]
        for c in range(3):
            rows = np.flatnonzero((sexe == s) & (cohort == c))
            weights = np.array([g[2 + c] for g in bank])
            nom[rows] = np.array([g[0] for g in bank], dtype=object)[
                rng.choice(len(bank), size=rows.size, p=weights / weights.sum())]
    surnames = np.array([s for s, _ in _SURNAMES], dtype=object)
    sw = np.array([w for _, w in _SURNAMES])
    cognom1 = surnames[rng.choice(len(surnames), size=n, p=sw / sw.sum())]
    cognom2 = surnames[rng.choice(len(surnames), size=n, p=sw / sw.sum())]
    foreign = is_nie & (rng.random(n) < 0.6)
    for row in np.flatnonzero(foreign).tolist():
        bank = [g for g, sx in _FOREIGN_GIVEN if sx == "HD"[sexe[row]]]
        nom[row] = bank[rng.integers(len(bank))]
        cognom1[row] = _FOREIGN_SURNAMES[rng.integers(len(_FOREIGN_SURNAMES))]
    # Foreign residents often have a single surname.
    no_second = rng.random(n) < np.where(is_nie, 0.7, 0.017)
    cognom2[no_second] = None

    # Where they live.
    cw = np.array([c[2] for c in _COMARQUES])
    comarca_idx = rng.choice(len(_COMARQUES), size=n, p=cw / cw.sum())
    comarca = np.empty(n, dtype=object)
    municipi = np.empty(n, dtype=object)
    province = np.empty(n, dtype=object)
    for ci, (name, prov, _, munis) in enumerate(_COMARQUES):
        rows = np.flatnonzero(comarca_idx == ci)
        mw = np.array([w for _, w in munis])
        comarca[rows] = name
        province[rows] = prov
        municipi[rows] = np.array([m for m, _ in munis], dtype=object)[
            rng.choice(len(munis), size=rows.size, p=mw / mw.sum())]

    # Registration: after the 18th birthday, 2005-2025, more recent years more frequent, on weekdays in
    # office hours; ~5% carry the timestamp of the 2005 migration from the previous system.
    months = birth.astype("datetime64[D]").astype("datetime64[M]")
    dom = birth - months.astype("datetime64[D]").astype(np.int64)
    adult = (months + np.timedelta64(18 * 12, "M")).astype("datetime64[D]").astype(np.int64) + dom
    lower = np.maximum(adult, _day(_FIRST_ALTA_DAY))
    upper = _day(_LAST_DAY)
    alta_day = lower + np.floor(rng.beta(1.4, 1.0, n) * (upper - lower + 1)).astype(np.int64)
    alta_day = np.minimum(alta_day, upper)
    weekday = (alta_day + 3) % 7  # 0 = Monday (1970-01-01 was a Thursday)
    alta_day = alta_day + np.where(weekday >= 5, 7 - weekday, 0)
    alta = alta_day * 86400 + 8 * 3600 + rng.integers(0, 7 * 3600, n)
    legacy = (lower == _day(_FIRST_ALTA_DAY)) & (rng.random(n) < 0.06)
    alta[legacy] = _second(_LEGACY_ALTA)

    # identificador grows with registration order, with gaps (deleted or test cases).
    ids = np.sort(rng.choice(MAX_TITULARS, size=n, replace=False) + 1)
    order = np.argsort(alta, kind="stable")
    ident = np.empty(n, dtype=object)
    ident[order] = np.array([f"T{i:06d}" for i in ids.tolist()], dtype=object)

    email = _emails(rng, nom, cognom1, cognom2, birth_year, cohort)
    # Older people give an e-mail address less often.
    email[rng.random(n) < np.where(cohort == 0, 0.09, 0.025)] = None

    # Phones: mobiles for most, landlines (province prefix) mostly for the elderly.
    mobile_p = np.choose(cohort, [0.55, 0.86, 0.96])
    mobile = rng.random(n) < mobile_p
    mobile_digits = rng.integers(0, 100_000_000, n)
    land_digits = rng.integers(0, 10_000_000, n)
    telefon = np.empty(n, dtype=object)
    for i in range(n):
        if mobile[i]:
            telefon[i] = f"6{mobile_digits[i]:08d}"
        else:
            prefix = _LANDLINE_PREFIX[province[i]]
            rest = 9 - len(prefix)
            telefon[i] = f"{prefix}{land_digits[i] % 10 ** rest:0{rest}d}"
    telefon[rng.random(n) < 0.08] = None

    # Rows in primary-key order, as a database export would list them.
    rows = np.argsort(ident.astype(str), kind="stable")
    columns = {
        "identificador": ident[rows],
        "nom": nom[rows],
        "cognomPrimer": cognom1[rows],
        "cognomSegon": cognom2[rows],
        "sexe": sexe[rows],
        "dataNaixement": birth[rows],
        "dni": dni[rows],
        "correuElectronic": email[rows],
        "telefon": telefon[rows],
        "comarca": comarca[rows],
        "municipi": municipi[rows],
        "dataAlta": alta[rows],
    }
    return {"columns": columns, "alta": alta[rows], "ident": ident[rows]}


def _emails(rng, nom, cognom1, cognom2, birth_year, cohort):
    import numpy as np

    n = len(nom)
    domains = np.array([d for d, _ in _EMAIL_DOMAINS], dtype=object)
    dw = np.array([w for _, w in _EMAIL_DOMAINS])
    domain = domains[rng.choice(len(domains), size=n, p=dw / dw.sum())]
    pattern = rng.choice(8, size=n, p=[0.30, 0.15, 0.10, 0.15, 0.15, 0.05, 0.05, 0.05])
    number = rng.integers(1, 1000, n)
    seen: set[str] = set()
    out = np.empty(n, dtype=object)
    for i in range(n):
        f, c1 = _slug(nom[i]), _slug(cognom1[i])
        c2 = _slug(cognom2[i]) if cognom2[i] is not None else ""
        yy = f"{birth_year[i] % 100:02d}"
        local = (
            f"{f}.{c1}", f"{f}{c1}", f"{f}.{c1}{c2}", f"{f[0]}{c1}", f"{f}{c1}{yy}", f"{f}_{c1}",
            f"{c1}.{f}", f"{f}{number[i]}",
        )[pattern[i]]
        candidate, k = f"{local}@{domain[i]}", 1
        while candidate in seen:  # a second person with the same pattern gets a number
            k += 1
            candidate = f"{local}{k}@{domain[i]}"
        seen.add(candidate)
        out[i] = candidate
    return out


def _slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if ch.isascii() and ch.isalnum())


# ------------------------------------------------------------------------------------ actuacionsnomina


def _actuacions(rng, tit: dict) -> dict:
    import numpy as np

    ident, alta = tit["ident"], tit["alta"]
    n = len(ident)
    horizon = _second(f"{_LAST_DAY}T23:59:59")

    # Actions per holder: ~18% never reached the payroll, the rest 1 + Poisson(0.83).
    counts = np.where(rng.random(n) < 0.18, 0, 1 + rng.poisson(0.83, n))
    counts = np.minimum(counts, 12)
    owner = np.repeat(np.arange(n), counts)
    m = owner.size
    start = np.concatenate(([0], np.cumsum(counts)[:-1]))
    pos = np.arange(m) - start[owner]
    max_pos = int(counts.max()) if n else 0

    # Dates: first action soon after registration, then months apart; squeezed to end by the horizon.
    gaps = np.where(pos == 0, 86400 + rng.exponential(45 * 86400, m), 7 * 86400 + rng.exponential(330 * 86400, m))
    cum = _group_cumsum(gaps, start[owner])
    total = np.zeros(n)
    has = counts > 0
    total[has] = cum[start[has] + counts[has] - 1]
    room = (horizon - alta - 86400) * 0.95
    scale = np.clip(room / np.maximum(total, 1.0), 0.0, 1.0)
    t = alta[owner] + cum * scale[owner]
    # Office hours, then strictly increasing within a holder and strictly after the registration.
    t = np.floor(t / 86400) * 86400 + 8 * 3600 + rng.integers(0, 7 * 3600, m)
    t = t.astype(np.int64)
    for k in range(max_pos):
        rows = np.flatnonzero(pos == k)
        prev = alta[owner[rows]] if k == 0 else t[rows - 1]
        t[rows] = np.maximum(t[rows], prev + 600)

    # Types follow a Markov chain along each holder's history; the effect depends on the type.
    tipus = np.zeros(m, np.int64)
    first_cp = np.cumsum(_TIPUS_FIRST)
    next_cp = np.cumsum(np.array(_TIPUS_NEXT), axis=1)
    for k in range(max_pos):
        rows = np.flatnonzero(pos == k)
        cp = first_cp[None, :] if k == 0 else next_cp[tipus[rows - 1]]
        tipus[rows] = _draw(rng, cp)
    efecte = _draw(rng, np.cumsum(np.array(_EFECTE_GIVEN_TIPUS), axis=1)[tipus])

    # Keep what happened by the extraction day (a prefix of each history, so the chain stays valid).
    keep = t <= horizon
    owner, pos, t, tipus, efecte = owner[keep], pos[keep], t[keep], tipus[keep], efecte[keep]
    m = owner.size
    counts = np.bincount(owner, minlength=n)
    start = np.concatenate(([0], np.cumsum(counts)[:-1]))

    # Monthly amount: a per-holder base, changed by each "Modificació import"; re-entries start afresh.
    base = np.exp(rng.normal(np.log(600), 0.35, n))
    mult = np.ones(m)
    modif = efecte == EFECTES.index("Modificació import")
    mult[modif] = np.exp(rng.normal(0.01, 0.10, int(modif.sum())))
    reentry = (tipus == TIPUS.index("Alta")) & (pos > 0)
    mult[reentry] = np.exp(rng.normal(0.0, 0.2, int(reentry.sum())))
    logs = _group_cumsum(np.log(mult), start[owner])
    amount = np.round(base[owner] * np.exp(logs), 2)
    import_mensual = amount.copy()
    import_mensual[rng.random(m) < 0.01] = np.nan
    # A missing decimal point: 612.35 typed as 61235.00 (the payments used the right amount).
    n_typo = int(round(m * 0.001))
    candidates = np.flatnonzero(~np.isnan(import_mensual))
    if n_typo and candidates.size:
        typo = rng.choice(candidates, size=min(n_typo, candidates.size), replace=False)
        import_mensual[typo] = np.round(amount[typo]) * 100

    # Procedures: about 14 per year (codes PRC-YYYY-NNNN); busier procedures get more cases.
    year = _years(t // 86400)
    proc_codes: list[str] = []
    proc_idx = np.zeros(m, np.int64)
    for y in range(int(_FIRST_ALTA_DAY[:4]), int(_LAST_DAY[:4]) + 1):
        numbers = np.sort(rng.choice(np.arange(1, 400), size=14, replace=False))
        first = len(proc_codes)
        proc_codes.extend(f"PRC-{y}-{num:04d}" for num in numbers.tolist())
        rows = np.flatnonzero(year == y)
        w = 1.0 / np.arange(1, 15) ** 0.9
        proc_idx[rows] = first + rng.choice(14, size=rows.size, p=w / w.sum())
    # Case numbers count up per procedure in date order, with gaps (withdrawn applications).
    expedient = np.zeros(m, np.int64)
    order = np.lexsort((np.arange(m), t, proc_idx))
    sorted_proc = proc_idx[order]
    step = rng.geometric(0.6, m)
    new_group = np.ones(m, bool)
    new_group[1:] = sorted_proc[1:] != sorted_proc[:-1]
    step[new_group] = rng.integers(1, 40, int(new_group.sum()))
    group_id = np.cumsum(new_group) - 1
    cum_step = np.cumsum(step)
    group_start = np.flatnonzero(new_group)
    expedient[order] = cum_step - (cum_step[group_start] - step[group_start])[group_id]

    # Free-text notes for ~60% of the actions.
    observacions = np.empty(m, dtype=object)
    has_note = rng.random(m) < 0.60
    specific = rng.random(m) < 0.70
    second = rng.random(m) < 0.25
    pick1 = rng.integers(0, 1000, m)
    pick2 = rng.integers(0, 1000, m)
    last = pos == counts[owner] - 1
    for i in np.flatnonzero(has_note).tolist():
        if specific[i]:
            bank = _OBSERVACIONS[TIPUS[tipus[i]]]
            if TIPUS[tipus[i]] == "Baixa" and not last[i]:
                bank = bank[:-1]  # nobody comes back after "Baixa per defunció"
        else:
            bank = _OBSERVACIONS_GENERAL
        text = bank[pick1[i] % len(bank)]
        if second[i]:
            extra = _OBSERVACIONS_GENERAL[pick2[i] % len(_OBSERVACIONS_GENERAL)]
            if extra != text:
                text = f"{text} {extra}"
        observacions[i] = text

    columns = {
        "N_Procediment": np.array(proc_codes, dtype=object)[proc_idx] if m else np.empty(0, object),
        "N_Expedient": expedient,
        "identificador": ident[owner],
        "Tipus_Actuacio": tipus,
        "Efecte_Nomina": efecte,
        "Data_actuacio": t,
        "Import_Mensual": import_mensual,
        "Observacions": observacions,
    }
    return {"columns": columns, "owner": owner, "pos": pos, "counts": counts, "amount": amount}


# -------------------------------------------------------------------------------------- pagamentnomina


def _pagaments(rng, tit: dict, act: dict) -> dict:
    import numpy as np

    cols = act["columns"]
    owner, pos, counts, amount = act["owner"], act["pos"], act["counts"], act["amount"]
    m = owner.size
    n = len(tit["ident"])
    t = cols["Data_actuacio"]
    efecte = cols["Efecte_Nomina"]

    # Payroll months run from the month after the action until the next action of the same holder.
    act_month = (t // 86400).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    last_month = np.datetime64(_LAST_PAYROLL_MONTH, "M").astype(np.int64)
    is_last = pos == counts[owner] - 1
    next_month = np.full(m, last_month)
    next_month[~is_last] = act_month[np.flatnonzero(~is_last) + 1]
    room = np.maximum(np.minimum(next_month, last_month) - act_month, 0)
    inclusion = np.isin(efecte, [EFECTES.index("Inclusió"), EFECTES.index("Modificació import")])
    exclusion = efecte == EFECTES.index("Exclusió")
    wanted = np.where(inclusion, 1 + rng.poisson(2.6, m),
                      np.where(exclusion, rng.binomial(1, 0.35, m), rng.poisson(1.5, m)))
    wanted = np.minimum(wanted, 12)
    n_pay = np.minimum(wanted, room)
    pay_act = np.repeat(np.arange(m), n_pay)
    p = pay_act.size
    pay_start = np.concatenate(([0], np.cumsum(n_pay)[:-1]))
    k = np.arange(p) - pay_start[pay_act]
    mes = act_month[pay_act] + 1 + k

    # Paid on the 25th-28th of the payroll month; ~4% late (arrears), up to two months.
    delay = np.where(rng.random(p) < 0.04, rng.integers(1, 3, p), 0)
    day = (mes + delay).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + rng.integers(24, 28, p)

    # Amount: usually the monthly amount; some partial months, arrears and negative corrections.
    base = amount[pay_act]
    u = rng.random(p)
    factor = np.where(u < 0.80, 1.0, np.where(u < 0.92, rng.uniform(0.3, 1.0, p), rng.uniform(1.2, 2.5, p)))
    factor = np.where(exclusion[pay_act], rng.uniform(0.1, 0.9, p), factor)
    negative = rng.random(p) < 0.006
    factor[negative] = -rng.uniform(0.1, 1.0, int(negative.sum()))
    importe = np.round(base * factor, 2)

    # State: future payments are pending; past ones mostly paid.
    last_day = _day(_LAST_DAY)
    estat = rng.choice(len(ESTATS), size=p, p=[0.93, 0.01, 0.035, 0.025])
    december = (day > last_day - 31) & (rng.random(p) < 0.25)
    estat[december] = ESTATS.index("Pendent")
    estat[day > last_day] = ESTATS.index("Pendent")
    estat[negative & (day <= last_day)] = ESTATS.index("Pagat")

    # Who asked: usually the holder, sometimes a relative or representative who is a holder too.
    holder = owner[pay_act]
    v = rng.random(p)
    other = (holder + rng.integers(1, max(n, 2), p)) % n
    solicitant = tit["ident"][np.where(v < 0.15, other, holder)]
    solicitant[v >= 0.96] = None

    # Payment ids follow the payment date, with gaps.
    order = np.lexsort((k, pay_act, day))
    ids = np.empty(p, np.int64)
    ids[order] = 100_000 + np.cumsum(rng.geometric(0.85, p))
    mes_nomina = np.array([f"{1970 + x // 12}{x % 12 + 1:02d}" for x in mes.tolist()], dtype=object)

    return {
        "Id_Pagament": ids[order],
        "N_Procediment": cols["N_Procediment"][pay_act][order],
        "N_Expedient": cols["N_Expedient"][pay_act][order],
        "Usuari_Solicitant": solicitant[order],
        "Import": importe[order],
        "Data_Pagament": day[order],
        "Estat": estat[order],
        "Mes_Nomina": mes_nomina[order],
    }


# ------------------------------------------------------------------------------------------- helpers


def _day(iso: str) -> int:
    import numpy as np

    return int(np.datetime64(iso, "D").astype(np.int64))


def _second(iso: str) -> int:
    import numpy as np

    return int(np.datetime64(iso, "s").astype(np.int64))


def _years(days):
    import numpy as np

    return np.asarray(days).astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64) + 1970


def _group_cumsum(values, group_start):
    """Cumulative sum restarting at each group; rows of a group are contiguous, group_start per row."""
    import numpy as np

    cum = np.cumsum(values)
    if not cum.size:
        return cum
    return cum - (cum[group_start] - values[group_start])


def _draw(rng, cumprobs):
    """One categorical draw per row of a matrix of cumulative probabilities."""
    import numpy as np

    u = rng.random(cumprobs.shape[0])
    return np.minimum((u[:, None] >= cumprobs).sum(axis=1), cumprobs.shape[1] - 1)


def _to_arrow(name: str, columns: dict):
    import numpy as np
    import pyarrow as pa

    arrays, fields = [], []
    for col, kind in SCHEMAS[name]:
        values = columns[col]
        if kind == "string":
            arr = pa.array(list(values), type=pa.string())
        elif kind == "category":
            cats = CATEGORIES[(name, col)]
            arr = pa.DictionaryArray.from_arrays(pa.array(np.asarray(values, np.int8), pa.int8()),
                                                 pa.array(cats, pa.string()))
        elif kind == "date32":
            arr = pa.array(np.asarray(values, np.int32), pa.date32())
        elif kind == "timestamp[us]":
            arr = pa.array(np.asarray(values, np.int64) * 1_000_000, pa.timestamp("us"))
        elif kind == "int64":
            arr = pa.array(np.asarray(values, np.int64), pa.int64())
        elif kind == "float64":
            values = np.asarray(values, np.float64)
            arr = pa.array(values, pa.float64(), mask=np.isnan(values))
        else:  # pragma: no cover - SCHEMAS is fixed above
            raise AssertionError(kind)
        arrays.append(arr)
        fields.append(pa.field(col, arr.type))
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))


def _write_one(table, path: str, fmt: str) -> None:
    if fmt == "parquet":
        import pyarrow.parquet as pq

        # Arrays built here carry no pandas metadata; the footer names only the writer's version.
        pq.write_table(table, path, compression="snappy")
    else:
        frame = table.to_pandas()
        frame.to_csv(path, index=False, lineterminator="\n", encoding="utf-8", float_format="%.2f",
                     date_format="%Y-%m-%d %H:%M:%S")


def _atomic_write(path: Path, write) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


# ----------------------------------------------------------------------------------------------- CLI


def main(argv: list[str] | None = None) -> int:
    """Command line: ``datagen.py OUT_DIR [--rows N] [--seed S] [--format parquet|csv]``."""
    parser = argparse.ArgumentParser(description="Write the tSocial demo tables (synthetic-looking, no real persons).")
    parser.add_argument("out_dir", help="folder to write titular, actuacionsnomina and pagamentnomina into")
    parser.add_argument("--rows", type=int, default=DEFAULT_TITULARS, help="rows of titular (default %(default)s)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (default %(default)s)")
    parser.add_argument("--format", choices=FORMATS, default="parquet", dest="fmt")
    args = parser.parse_args(argv)
    try:
        tables = build_tables(titulars=args.rows, seed=args.seed)
        paths = write_tables(tables, args.out_dir, fmt=args.fmt)
    except ValueError as exc:
        parser.error(str(exc))
    for name, path in paths.items():
        print(f"{name}: {tables[name].num_rows} rows -> {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
