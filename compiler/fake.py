"""Fake values for identifying PII columns that are excluded from the model (``fake:`` in a spec).

Modelling e-mails, phone numbers or national ids leaks rare real values or garbles them (L001), so
the advice is to exclude them; but test and integration data needs them filled. After generation,
``synthspec run`` fills each ``fake`` column with values that have the column's shape and null
share and come from nowhere real: names from a built-in list, e-mails under the reserved
``example.org`` domain, national ids with a valid check letter drawn at random, other codes from the
source's character template (``compiler.keys``). No source value is ever copied. Deterministic for
a given seed, table and column.
"""

from __future__ import annotations

import unicodedata

KINDS = ("name", "given_name", "surname", "email", "phone", "national_id", "address", "pattern")
#: ``fake: true`` resolves from the column's ``pii`` tag
FROM_PII = {"name": "name", "email": "email", "phone": "pattern", "national_id": "national_id",
            "address": "address", "other": "pattern"}

GIVEN = ("Laia", "Marc", "Núria", "Jordi", "Marta", "Pau", "Anna", "Joan", "Júlia", "Pere", "Carla", "Àlex",
         "Maria", "David", "Lucía", "Javier", "Sofía", "Hugo", "Elena", "Daniel", "Clara", "Adrià", "Emma",
         "Oriol", "Paula", "Sergi", "Irene", "Víctor", "Aina", "Pol", "Mireia", "Arnau")
SURNAMES = ("Puig", "Vila", "Soler", "Ferrer", "Serra", "Font", "Roca", "Pujol", "Garcia", "Martínez", "López",
            "Sánchez", "Pérez", "Gómez", "Ruiz", "Vidal", "Costa", "Riera", "Bosch", "Camps", "Mas", "Sala",
            "Torres", "Navarro", "Molina", "Castells", "Prat", "Vives", "Marín", "Ortega")
STREETS = ("Carrer", "Avinguda", "Passeig", "Plaça", "Calle", "Camí")
DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"


def resolve_kind(fake, pii: str | None) -> str | None:
    """``fake: true`` → the kind implied by ``pii``; a kind name → itself; None/False → None."""
    if fake in (None, False):
        return None
    if fake is True:
        return FROM_PII.get(pii or "")
    return fake


def _ascii(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if c.isascii() and c.isalnum()).lower()


def fake_values(kind: str, source, n: int, *, seed: int = 0, salt: str = ""):
    """A pandas Series of ``n`` fake values of ``kind`` shaped like ``source`` (dtype, null share)."""
    import numpy as np
    import pandas as pd

    from .keys import _rng, fresh_keys, infer_format

    rng = np.random.default_rng(_rng(seed, "fake", salt).integers(0, 2**63 - 1))
    src = source.dropna()
    null_share = float(source.isna().mean()) if len(source) else 0.0
    if kind in ("name", "given_name", "surname"):
        words = src.astype(str).str.split().str.len().mean() if len(src) else 1
        given = rng.choice(GIVEN, n)
        sur = rng.choice(SURNAMES, n)
        if kind == "given_name":
            vals = list(given)
        elif kind == "surname":
            vals = list(sur)
        else:
            vals = [f"{g} {s}" for g, s in zip(given, sur)] if words and words > 1.5 else list(rng.choice(
                GIVEN + SURNAMES, n))
    elif kind == "email":
        given, sur = rng.choice(GIVEN, n), rng.choice(SURNAMES, n)
        vals = [f"{_ascii(g)}.{_ascii(s)}{i}@example.org" for i, (g, s) in enumerate(zip(given, sur), start=1)]
    elif kind == "national_id":
        nums = rng.integers(0, 100_000_000, n)
        vals = [f"{k:08d}{DNI_LETTERS[k % 23]}" for k in nums]
    elif kind == "address":
        vals = [f"{st} {s}, {num}" for st, s, num in zip(rng.choice(STREETS, n), rng.choice(SURNAMES, n),
                                                          rng.integers(1, 200, n))]
    else:  # pattern: the source's character template, fresh values only
        strs = src.astype(str) if len(src) else pd.Series(["X0000"])
        fmt = infer_format(strs)
        vals = list(fresh_keys(fmt, n, used=set(strs), seed=seed, salt=f"fake:{salt}"))
    out = pd.Series(vals, dtype=object)
    if null_share > 0 and n:
        out[rng.random(n) < null_share] = None
    if kind == "pattern" and len(src) and str(source.dtype) not in ("object", "str", "string"):
        try:
            return out.astype(source.dtype)
        except (TypeError, ValueError):
            return out
    if str(source.dtype) in ("string", "str"):
        return out.astype(source.dtype)
    return out
