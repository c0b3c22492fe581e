"""Column profiling: counts, shapes, ranges and detected formats, never raw string values.

:func:`profile_table` turns a (sampled) pandas DataFrame into a :class:`TableProfile`, one
:class:`ColumnProfile` per column. A profile is safe to log, diff and store in a manifest: it holds
counts, shares, lengths, numeric and date ranges and the share of values matching each known format
(ISO dates, ``dd/mm/yyyy``, ``yyyymmdd`` integers, ``HH:MM`` times, numeric strings, booleans,
lat/long, e-mail, phone, Spanish DNI/NIE/NIF, IBAN, UUID, hashes, URLs, codes such as ``T00001``),
but no string taken from the data. ``tests/unit/test_profile.py`` checks that no sample value string
appears in the serialized profile.

Format shares are measured over the distinct non-null values, weighted by how often each occurs. A
column with more than :data:`MAX_DISTINCT_CHECKED` distinct values is checked on a seeded subset of
them, so the cost of profiling depends on the sample, not on the data's cardinality.
"""

from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

MAX_DISTINCT_CHECKED = 500
"""Distinct values checked for formats per column (a seeded subset beyond this)."""

# --- value detectors ------------------------------------------------------------------------------------------

_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_ISO_DATETIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,]\d{1,9})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?"
)
_SLASH_DATE = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{4})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_YMD_SLASH = re.compile(r"(\d{4})[/.](\d{1,2})[/.](\d{1,2})")
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d{1,6})?)?")
_NUMERIC = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|\.\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:[,.' ]\d{3})+(?:[.,]\d+)?")
_LATLONG = re.compile(r"\(?\s*(-?\d{1,3}\.\d+)\s*[,;]\s*(-?\d{1,3}\.\d+)\s*\)?")
_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_PHONE = re.compile(r"\+?[\d\s().\-/]{6,24}(?:\s*(?:x|ext\.?)\s*\d{1,6})?", re.IGNORECASE)
_URL = re.compile(r"(?:https?|ftp)://\S|www\.\S|#\S+\.html?#", re.IGNORECASE)
_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_HEX_HASH = re.compile(r"(?:[0-9a-f]{32}|[0-9a-f]{40}|[0-9a-f]{64}|[0-9A-F]{32}|[0-9A-F]{40}|[0-9A-F]{64})")
_CODE = re.compile(r"[A-Za-z]{1,5}[-_/.]?\d{2,}")
_DNI = re.compile(r"(\d{8})[- ]?([A-Za-z])")
_NIE = re.compile(r"([XYZxyz])[- ]?(\d{7})[- ]?([A-Za-z])")
_CIF = re.compile(r"([ABCDEFGHJNPQRSUVWabcdefghjnpqrsuvw])[- ]?(\d{7})([0-9A-Ja-j])")
_IBAN = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]{10,30}")
_BIRTH_NUMBER = re.compile(r"(\d{2})(\d{2})(\d{2})(?:/?\d{3,4})?")

_NULL_TOKENS = {"NA", "N/A", "n/a", "NULL", "null", "Null", "None", "none", "NaN", "nan", "?", "-", "--", "\\N",
                "#N/A", "(null)", "."}
_DNI_LETTERS = "TRWAGMYFPDXBNJZSQVHLCKE"
_BOOL_TOKENS = {"true", "false", "t", "f", "y", "n", "yes", "no", "si", "sí", "s", "0", "1", "on", "off"}
_BOOL_PAIRS = [
    {"true", "false"}, {"t", "f"}, {"y", "n"}, {"yes", "no"}, {"si", "no"}, {"sí", "no"}, {"s", "n"},
    {"0", "1"}, {"on", "off"},
]
_DAYS = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)

FORMATS = (
    "iso_date", "iso_datetime", "iso_datetime_tz", "date_dmy", "date_mdy", "date_ymd_slash", "date_yyyymmdd",
    "date_yyyymm", "time", "integer", "decimal", "leading_zero", "thousands", "boolean", "latlong_pair",
    "email", "phone", "url", "uuid", "hex_hash", "code", "dni", "nie", "nif_cif", "iban", "birth_number",
    "multiword", "alpha", "upper", "null_token",
)
"""Every format name a profile can report (the keys of :attr:`ColumnProfile.formats`)."""


def _valid_ymd(y: int, m: int, d: int) -> bool:
    return 1000 <= y <= 2999 and 1 <= m <= 12 and 1 <= d <= _DAYS[m]


def _dni_ok(num: str, letter: str) -> bool:
    return _DNI_LETTERS[int(num) % 23] == letter.upper()


def _cif_ok(first: str, digits: str, control: str) -> bool:
    even = sum(int(digits[i]) for i in (1, 3, 5))
    odd = 0
    for i in (0, 2, 4, 6):
        x = int(digits[i]) * 2
        odd += x // 10 + x % 10
    c = (10 - (even + odd) % 10) % 10
    control = control.upper()
    return control == str(c) or control == "JABCDEFGHI"[c]


def _iban_ok(v: str) -> bool:
    s = v[4:] + v[:4]
    num = "".join(str(int(ch, 36)) for ch in s)
    return int(num) % 97 == 1


def classify_value(v: str) -> set[str]:
    """The formats one (stripped, non-empty) string value matches. Public for tests."""
    tags: set[str] = set()
    n = len(v)
    low = v.lower()
    if v in _NULL_TOKENS:
        tags.add("null_token")
        return tags
    if low in _BOOL_TOKENS:
        tags.add("boolean")
    if v.isdigit():
        tags.add("integer")
        if n > 1 and v[0] == "0":
            tags.add("leading_zero")
        if n == 8 and _valid_ymd(int(v[:4]), int(v[4:6]), int(v[6:])):
            tags.add("date_yyyymmdd")
        if n == 6 and 1800 <= int(v[:4]) <= 2199 and 1 <= int(v[4:]) <= 12:
            tags.add("date_yyyymm")
        if n in (6, 9, 10):
            m = _BIRTH_NUMBER.fullmatch(v)
            if m:
                mm, dd = int(m.group(2)), int(m.group(3))
                mm = mm - 50 if mm > 50 else mm
                mm = mm - 20 if mm > 20 else mm
                if 1 <= mm <= 12 and 1 <= dd <= _DAYS[mm]:
                    tags.add("birth_number")
        return tags
    c0 = v[0]
    if c0.isdigit() or c0 in "+-.(":
        if _NUMERIC.fullmatch(v):
            tags.add("decimal")
            return tags
        if _THOUSANDS.fullmatch(v):
            tags.add("thousands")
        if n >= 8 and c0.isdigit():
            m = _ISO_DATETIME.fullmatch(v)
            if m and _valid_ymd(int(m[1]), int(m[2]), int(m[3])) and int(m[4]) < 24 and int(m[5]) < 60:
                tags.add("iso_datetime_tz" if m[7] else "iso_datetime")
                return tags
            m = _ISO_DATE.fullmatch(v)
            if m and _valid_ymd(int(m[1]), int(m[2]), int(m[3])):
                tags.add("iso_date")
                return tags
            m = _SLASH_DATE.fullmatch(v)
            if m:
                a, b, y = int(m[1]), int(m[3]), int(m[4])
                if _valid_ymd(y, b, a):
                    tags.add("date_dmy")
                if _valid_ymd(y, a, b):
                    tags.add("date_mdy")
                if tags & {"date_dmy", "date_mdy"}:
                    return tags
            m = _YMD_SLASH.fullmatch(v)
            if m and _valid_ymd(int(m[1]), int(m[2]), int(m[3])):
                tags.add("date_ymd_slash")
                return tags
            m = _DNI.fullmatch(v)
            if m and _dni_ok(m[1], m[2]):
                tags.add("dni")
                return tags
        if ":" in v and n <= 15:
            m = _TIME.fullmatch(v)
            if m and int(m[1]) < 24 and int(m[2]) < 60 and (m[3] is None or int(m[3]) < 60):
                tags.add("time")
                return tags
        if "," in v or ";" in v:
            m = _LATLONG.fullmatch(v)
            if m and abs(float(m[1])) <= 90 and abs(float(m[2])) <= 180:
                tags.add("latlong_pair")
                return tags
        if sum(ch.isdigit() for ch in v) >= 6 and _PHONE.fullmatch(v):
            tags.add("phone")
            return tags
    if "@" in v and _EMAIL.fullmatch(v):
        tags.add("email")
        return tags
    if n >= 8 and ("/" in v or "." in v) and _URL.search(v):
        tags.add("url")
        return tags
    if n == 36 and _UUID.fullmatch(v):
        tags.add("uuid")
        return tags
    if n in (32, 40, 64) and _HEX_HASH.fullmatch(v):
        tags.add("hex_hash")
        return tags
    if n <= 11 and c0.isalpha():
        m = _NIE.fullmatch(v)
        if m:
            num = {"X": "0", "Y": "1", "Z": "2"}[m[1].upper()] + m[2]
            if _dni_ok(num, m[3]):
                tags.add("nie")
                return tags
        m = _CIF.fullmatch(v)
        if m and _cif_ok(m[1], m[2], m[3]):
            tags.add("nif_cif")
            return tags
    if n >= 14 and c0.isalpha():
        compact = v.replace(" ", "").upper()
        if _IBAN.fullmatch(compact) and _iban_ok(compact):
            tags.add("iban")
            return tags
    if n <= 16 and _CODE.fullmatch(v):
        tags.add("code")
    if " " in v and len(v.split()) >= 3:
        tags.add("multiword")
    if v.replace(" ", "").isalpha():
        tags.add("alpha")
        if v.isupper():
            tags.add("upper")
    return tags


# --- profiles -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ColumnProfile:
    """What is known about one column of a sample. No raw string values (see module docstring).

    ``physical`` is one of ``int``, ``float``, ``bool``, ``string``, ``datetime``, ``date``, ``other``.
    Shares are in [0, 1]; ``formats`` maps a name from :data:`FORMATS` to the (count-weighted) share of
    non-null values matching it; only formats with a non-zero share are listed.
    """

    name: str
    physical: str
    dtype: str
    rows: int
    null_count: int
    null_share: float
    distinct: int
    distinct_share: float
    unique: bool
    top_share: float = 0.0
    min_length: int | None = None
    max_length: int | None = None
    mean_length: float | None = None
    mean_words: float | None = None
    max_words: int | None = None
    distinct_lengths: int | None = None
    blank_share: float = 0.0
    padded_share: float = 0.0
    num_min: float | None = None
    num_max: float | None = None
    integral: bool | None = None
    max_digits: int | None = None
    max_decimals: int | None = None
    sequential: bool | None = None
    date_min: str | None = None
    date_max: str | None = None
    has_time: bool | None = None
    tz_aware: bool | None = None
    formats: dict[str, float] = field(default_factory=dict)
    checked_distinct: int = 0

    @property
    def non_null(self) -> int:
        return self.rows - self.null_count

    def fmt(self, name: str) -> float:
        """Share of non-null values in format ``name`` (0.0 when absent)."""
        return self.formats.get(name, 0.0)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TableProfile:
    """Profiles of every column of one table sample, in column order."""

    rows: int
    columns: dict[str, ColumnProfile]

    def to_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "columns": {k: v.to_dict() for k, v in self.columns.items()}}


def physical_type(series) -> str:
    """Map a pandas Series dtype to a physical type name (see :class:`ColumnProfile`)."""
    import pandas as pd
    from pandas.api import types as pt

    dt = series.dtype
    if pt.is_bool_dtype(dt):
        return "bool"
    if pt.is_integer_dtype(dt):
        return "int"
    if pt.is_float_dtype(dt):
        return "float"
    if pt.is_datetime64_any_dtype(dt):
        return "datetime"
    if isinstance(dt, pd.CategoricalDtype):
        return physical_type(series.astype(dt.categories.dtype))
    if pt.is_string_dtype(dt) or dt == object:
        import datetime as _dt

        first = series.dropna()
        if len(first):
            v = first.iloc[0]
            if isinstance(v, _dt.datetime):
                return "datetime"
            if isinstance(v, _dt.date):
                return "date"
            if isinstance(v, (bool,)):
                return "bool"
            if isinstance(v, (bytes, bytearray)):
                return "other"
        return "string"
    return "other"


def _r(x: float) -> float:
    return float(round(x, 6))


def _decimals(values) -> int:
    """Smallest number of decimals (≤ 10) that represents every value exactly enough."""
    import numpy as np

    v = np.asarray(values, dtype="float64")
    v = v[np.isfinite(v)]
    if not len(v):
        return 0
    for d in range(0, 11):
        scaled = v * (10.0**d)
        if np.all(np.abs(scaled - np.round(scaled)) <= 1e-6 * np.maximum(1.0, np.abs(scaled))):
            return d
    return 10


def _weighted_formats(values: list[str], counts: list[int]) -> tuple[dict[str, float], float, float, int]:
    totals: dict[str, int] = {}
    words_sum = 0
    max_words = 0
    total = 0
    for v, c in zip(values, counts):
        s = v.strip()
        total += c
        if not s:
            continue
        for t in classify_value(s):
            totals[t] = totals.get(t, 0) + c
        w = len(s.split())
        words_sum += w * c
        max_words = max(max_words, w)
    if not total:
        return {}, 0.0, 0.0, 0
    return {k: _r(totals[k] / total) for k in sorted(totals)}, _r(words_sum / total), total, max_words


def _subset(vc, seed: int = 0):
    """Deterministic subset of a value_counts() result of at most MAX_DISTINCT_CHECKED entries."""
    import numpy as np

    if len(vc) <= MAX_DISTINCT_CHECKED:
        return vc
    rng = np.random.default_rng(seed)
    idx = np.sort(rng.choice(len(vc), size=MAX_DISTINCT_CHECKED, replace=False))
    return vc.iloc[idx]


def _bool_pair_share(vc) -> float:
    """Share of values in one boolean token pair, if the column has at most two distinct values."""
    if not 0 < len(vc) <= 2:
        return 0.0
    keys = {str(k).strip().lower() for k in vc.index}
    if any(keys <= pair for pair in _BOOL_PAIRS):
        return 1.0
    return 0.0


def profile_column(name: str, series) -> ColumnProfile:
    """Profile one column. ``series`` is a pandas Series (a sample)."""
    import numpy as np
    import pandas as pd

    rows = int(len(series))
    phys = physical_type(series)
    s = series
    if phys == "string":
        # Empty and whitespace-only strings count as null (CSV readers disagree on them).
        s = s.astype("string")
        stripped = s.str.strip()
        blank = stripped.eq("").fillna(False)
        blank_share = _r(float(blank.sum()) / rows) if rows else 0.0
        s = s.mask(blank)
    else:
        blank_share = 0.0
    nn = s.dropna()
    null_count = rows - int(len(nn))
    kw: dict[str, Any] = {"blank_share": blank_share}
    try:
        vc = nn.value_counts(sort=True)
    except TypeError:  # unhashable values (lists, dicts)
        vc = nn.astype(str).value_counts(sort=True)
    distinct = int(len(vc))
    non_null = int(len(nn))
    top_share = _r(float(vc.iloc[0]) / non_null) if distinct else 0.0

    if phys == "string" and distinct:
        sub = _subset(vc)
        vals = [str(x) for x in sub.index]
        cnts = [int(c) for c in sub.to_numpy()]
        formats, mean_words, _, max_words = _weighted_formats(vals, cnts)
        lens = np.fromiter((len(v) for v in vals), dtype=np.int64, count=len(vals))
        w = np.asarray(cnts, dtype=np.float64)
        padded = np.fromiter((v != v.strip() for v in vals), dtype=bool, count=len(vals))
        kw.update(
            min_length=int(lens.min()), max_length=int(lens.max()), mean_length=_r(float((lens * w).sum() / w.sum())),
            mean_words=mean_words, max_words=int(max_words), distinct_lengths=int(len(np.unique(lens))),
            padded_share=_r(float(w[padded].sum() / w.sum())),
        )
        bp = _bool_pair_share(vc)
        if bp:
            formats["boolean"] = bp
        elif "boolean" in formats:
            formats.pop("boolean")
        # Numeric ranges of numeric strings (a number is not a raw string value).
        if formats.get("integer", 0) + formats.get("decimal", 0) >= 0.999:
            nums = pd.to_numeric(pd.Series(vals).str.replace(",", ".", regex=False), errors="coerce")
            if nums.notna().any():
                kw.update(num_min=_r(float(nums.min())), num_max=_r(float(nums.max())),
                          max_digits=int(max(len(v.strip().lstrip("+-").split(".")[0].split(",")[0]) for v in vals)),
                          max_decimals=_decimals(nums.dropna().to_numpy()))
        kw["formats"] = formats
        kw["checked_distinct"] = len(vals)
    elif phys in ("int", "float") and distinct:
        arr = nn.to_numpy(dtype="float64", na_value=np.nan)
        arr = arr[np.isfinite(arr)]
        if len(arr):
            uniq = np.unique(arr)
            integral = bool(np.all(np.floor(uniq) == uniq))
            amax = float(np.max(np.abs(uniq)))
            kw.update(num_min=_r(float(uniq[0])), num_max=_r(float(uniq[-1])), integral=integral,
                      max_digits=len(str(int(amax))) if amax < 1e18 else 19,
                      max_decimals=0 if integral else _decimals(uniq[:MAX_DISTINCT_CHECKED]))
            if integral:
                span = uniq[-1] - uniq[0] + 1
                kw["sequential"] = bool(len(uniq) == non_null and span <= 2 * len(uniq) + 10)
                sub = _subset(vc)
                xs = sub.index.to_numpy(dtype="float64", na_value=np.nan)
                cs = sub.to_numpy()
                keep = (xs >= 0) & (xs < 1e12)
                ints = [str(int(x)) for x in xs[keep]] if 6 <= (kw["max_digits"] or 0) <= 10 else []
                if ints:
                    counts = [int(c) for c in cs[keep]]
                    formats, _, _, _ = _weighted_formats(ints, counts)
                    formats = {k: v for k, v in formats.items()
                               if k in ("date_yyyymmdd", "date_yyyymm", "birth_number")}
                else:
                    formats = {}
                if len(vc) == 2 and _bool_pair_share(vc):
                    formats["boolean"] = 1.0
                kw["formats"] = formats
    elif phys == "bool":
        kw["formats"] = {"boolean": 1.0} if distinct else {}
    elif phys in ("datetime", "date") and distinct:
        ts = pd.to_datetime(nn, errors="coerce", utc=getattr(nn.dtype, "tz", None) is not None)
        ts = ts.dropna()
        if len(ts):
            kw.update(date_min=ts.min().isoformat(), date_max=ts.max().isoformat(),
                      tz_aware=getattr(ts.dtype, "tz", None) is not None)
            t = ts.dt
            kw["has_time"] = bool(((t.hour != 0) | (t.minute != 0) | (t.second != 0)).any())
        kw["formats"] = {}
    return ColumnProfile(
        name=str(name), physical=phys, dtype=str(series.dtype), rows=rows, null_count=null_count,
        null_share=_r(null_count / rows) if rows else 0.0, distinct=distinct,
        distinct_share=_r(distinct / non_null) if non_null else 0.0,
        unique=bool(non_null > 0 and distinct == non_null), top_share=top_share, **kw,
    )


def profile_table(df) -> TableProfile:
    """Profile every column of a DataFrame sample.

    Args:
        df: a pandas DataFrame (normally a bounded sample from :mod:`compiler.sources`).

    Returns:
        A :class:`TableProfile` with one :class:`ColumnProfile` per column, in column order.
    """
    return TableProfile(rows=int(len(df)), columns={str(c): profile_column(str(c), df[c]) for c in df.columns})


def word_tokens(name: str) -> list[str]:
    """Split a column or table name into lower-case word tokens (snake, camel, digits)."""
    parts = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    parts = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", parts)
    return [p for p in re.split(r"[^A-Za-z0-9]+", parts.lower()) if p]


def is_nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)
