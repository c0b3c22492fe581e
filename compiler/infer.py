"""Inference from sampled data: column encodings and kinds, primary keys, foreign keys, context, roles.

Two entry points:

* :func:`infer_column` turns one :class:`~compiler.profile.ColumnProfile` into a
  :class:`ColumnInference` (a friendly encoding name, the value kind, a PII tag, the dtype conversion
  the run layer must apply, a confidence and a short reason).
* :func:`infer_schema` takes a sample of every table (pandas DataFrames) and finds primary keys
  (single columns, or minimal composites for bridge tables), foreign keys by value inclusion backed by
  name evidence, at most one context FK per table and the roles that follow.

Every result carries an ``evidence``/``reason`` string that holds counts, shares and names, never a
value from the data. The rules are general (see ``docs/inference.md``); nothing here knows any dataset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .profile import ColumnProfile, TableProfile, profile_table, word_tokens

ENCODINGS = (
    "categorical", "numeric_discrete", "numeric_binned", "numeric_digit", "character", "datetime",
    "datetime_relative", "lat_long", "text",
)
KINDS = (
    "id", "categorical", "numeric", "datetime", "text", "lat", "long", "pii_name", "pii_email", "pii_phone",
    "pii_address", "pii_other",
)
PII_TAG = {
    "pii_name": "name", "pii_email": "email", "pii_phone": "phone", "pii_address": "address", "pii_other": "other",
}

_ID_TOKENS = {"id", "key", "pk", "fk", "code", "no", "nr", "num", "number", "uuid", "guid", "ref", "cd", "nbr",
              # the same words in the languages of our users' schemas (Catalan, Spanish, French, German...)
              "identificador", "identificacio", "identificacion", "identifier", "ident", "codi", "codigo",
              "numero", "nro", "clau", "clave", "identifiant", "nummer", "kennung"}
#: a leading "number of" marker: N_Expedient, num_order, no_factura
_ID_PREFIX_TOKENS = {"n", "num", "no", "nr", "nro", "numero", "id", "cod", "codi", "code"}


def _idish(col: str) -> bool:
    toks = word_tokens(col)
    return bool(toks) and (toks[-1] in _ID_TOKENS or (len(toks) >= 2 and toks[0] in _ID_PREFIX_TOKENS))
_DATE_FORMATS = ("iso_date", "iso_datetime", "iso_datetime_tz", "date_dmy", "date_mdy", "date_ymd_slash", "time")
_AUDIT_TOKENS = {"update", "updated", "modified", "modify", "changed", "audit", "inserted", "loaded", "etl"}
_NOT_EVENT_TOKENS = _AUDIT_TOKENS | {"birth", "dob", "born", "naixement", "nacimiento", "expiry", "expires"}
_PERSON_NAME_SUBSTR = ("firstname", "lastname", "surname", "forename", "givenname", "middlename", "fullname",
                       "maidenname", "contactname", "nickname", "apellido", "cognom", "nombre", "personname")
_PERSON_NAME_TOKENS = {"nom", "nombre", "cognom", "apellido", "apellidos", "surname", "forename"}
_PHONE_TOKENS = {"phone", "telephone", "tel", "fax", "mobile", "cell", "movil", "telefon", "telefono", "telf",
                 "mobil", "cellphone", "phonenumber", "homephone", "workphone"}
_ADDRESS_TOKENS = {"address", "addr", "street", "direccion", "adreca", "domicilio", "calle", "address1",
                   "address2", "address3", "addressline", "line1", "line2", "streetaddress"}
_POSTAL_TOKENS = {"zip", "zipcode", "postal", "postcode", "postalcode", "plz", "cp", "codipostal"}
_NATIONAL_ID_TOKENS = {"dni", "nie", "nif", "ssn", "passport", "iban", "nss", "tin", "cif", "nin", "sin"}
_USER_TOKENS = {"username", "login", "password", "passwd", "pwd", "userid", "user"}
_ACCOUNT_TOKENS = {"account", "acct", "iban", "card", "creditcard", "bic", "swift", "ccc"}
_LAT_TOKENS = {"lat", "latitude", "latitud"}
_LON_TOKENS = {"lon", "lng", "long", "longitude", "longitud"}


@dataclass(frozen=True)
class ColumnInference:
    """The inferred encoding and kind of one column.

    Attributes:
        encoding: friendly encoding name (one of :data:`ENCODINGS`).
        reason: why, in a few words (counts and shares only).
        confidence: 0..1.
        pii: ``name``/``email``/``phone``/``address``/``other`` or None.
        kind: value kind in truth.json's vocabulary (:data:`KINDS`).
        convert: dtype conversion the run layer must apply before training, e.g. ``"to_numeric"``,
            ``"to_datetime:%Y%m%d"``, or None when the physical type already fits the encoding.
    """

    encoding: str
    reason: str
    confidence: float
    pii: str | None
    kind: str
    convert: str | None = None


def _tokens(name: str) -> list[str]:
    return word_tokens(name)


def _has(tokens, vocab) -> bool:
    return any(t in vocab for t in tokens)


def _date_share(p: ColumnProfile) -> tuple[float, str | None]:
    f = p.formats
    dm = max(f.get("date_dmy", 0.0), f.get("date_mdy", 0.0))
    parts = {
        "iso_date": f.get("iso_date", 0.0), "iso_datetime": f.get("iso_datetime", 0.0),
        "iso_datetime_tz": f.get("iso_datetime_tz", 0.0), "dm": dm, "date_ymd_slash": f.get("date_ymd_slash", 0.0),
        "time": f.get("time", 0.0),
    }
    total = sum(parts.values())
    best = max(parts, key=lambda k: parts[k]) if total else None
    return min(total, 1.0), best


def _convert_for(p: ColumnProfile, best: str) -> str:
    f = p.formats
    if best == "iso_date":
        return "to_datetime:%Y-%m-%d" if f.get("iso_date", 0) >= 0.999 else "to_datetime:ISO8601"
    if best == "iso_datetime":
        return "to_datetime:ISO8601"
    if best == "iso_datetime_tz":
        return "to_datetime:ISO8601,utc"
    if best == "date_ymd_slash":
        return "to_datetime:%Y/%m/%d"
    if best == "time":
        return "to_datetime:%H:%M:%S" if (p.max_length or 0) > 5 else "to_datetime:%H:%M"
    dmy, mdy = f.get("date_dmy", 0.0), f.get("date_mdy", 0.0)
    return "to_datetime:dayfirst" if dmy >= mdy else "to_datetime:monthfirst"


def _numeric_encoding(p: ColumnProfile) -> tuple[str, str]:
    if p.distinct < 100 and (p.integral or (p.max_decimals is not None and p.max_decimals <= 2)):
        return "numeric_discrete", f"{p.distinct} distinct values"
    if p.integral and (p.max_digits or 0) <= 6:
        return "numeric_digit", f"integers, up to {p.max_digits} digits"
    return "numeric_binned", f"{p.distinct} distinct values, continuous"


def _is_event_time(p: ColumnProfile, tokens: list[str]) -> bool:
    if _has(tokens, _NOT_EVENT_TOKENS):
        return False
    return p.distinct >= 10 and p.distinct_share >= 0.2


def infer_column(profile: ColumnProfile, *, table_is_child: bool = False) -> ColumnInference:
    """Infer the encoding and kind of one column from its profile.

    Args:
        profile: the column's :class:`~compiler.profile.ColumnProfile`.
        table_is_child: whether the table has a context FK (only then ``datetime_relative`` is used).

    Returns:
        A :class:`ColumnInference`.
    """
    p = profile
    tokens = _tokens(p.name)
    lname = re.sub(r"[^a-z0-9]", "", p.name.lower())
    nn = p.non_null
    f = p.formats

    def out(enc, kind, reason, conf, convert=None, pii=None):
        return ColumnInference(encoding=enc, reason=reason, confidence=round(conf, 3), pii=pii or PII_TAG.get(kind),
                               kind=kind, convert=convert)

    # 1. Name-evidenced PII that holds even for sparse columns.
    is_address = _has(tokens, _ADDRESS_TOKENS) and not _has(tokens, {"email", "mail", "ip", "mac", "web", "url"}) \
        and tokens[-1] not in _ID_TOKENS
    if is_address and f.get("email", 0) < 0.5:
        return out("character" if p.distinct_share > 0.5 else "categorical", "pii_address",
                   "name says address", 0.8 if nn else 0.5)
    if nn == 0:
        return out("categorical", "categorical", "all values are null", 0.5)

    # 2. Strong value formats.
    if f.get("email", 0) >= 0.9:
        return out("character", "pii_email", f"{f['email']:.0%} of values are e-mail addresses", f["email"])
    ids = f.get("dni", 0) + f.get("nie", 0) + f.get("nif_cif", 0)
    if ids >= 0.9:
        return out("character", "pii_other", f"{ids:.0%} of values are DNI/NIE/NIF with a valid check letter", ids,
                   pii="national_id")
    if f.get("iban", 0) >= 0.9:
        return out("character", "pii_other", f"{f['iban']:.0%} of values are IBANs with a valid checksum", f["iban"])
    if f.get("latlong_pair", 0) >= 0.95:
        return out("lat_long", "lat", f"{f['latlong_pair']:.0%} of values are 'lat, long' pairs", f["latlong_pair"])

    # 3. Dates and times (string-coded or integer-coded), never codes like T00001.
    if p.physical in ("datetime", "date"):
        rel = table_is_child and _is_event_time(p, tokens)
        return out("datetime_relative" if rel else "datetime", "datetime",
                   "datetime dtype" + (", event time of a child table" if rel else ""), 0.99)
    if p.physical == "string":
        share, best = _date_share(p)
        if share >= 0.95 and best:
            rel = table_is_child and _is_event_time(p, tokens)
            return out("datetime_relative" if rel else "datetime", "datetime",
                       f"{share:.0%} of values are dates/times ({best})", share, _convert_for(p, best))
    int_like = p.physical == "int" or (p.physical == "float" and p.integral) or (
        p.physical == "string" and f.get("integer", 0) >= 0.999)
    if int_like:
        if f.get("date_yyyymmdd", 0) >= 0.98 and p.max_digits == 8:
            return out("datetime", "datetime", f"{f['date_yyyymmdd']:.0%} of values are yyyymmdd dates",
                       f["date_yyyymmdd"], "to_datetime:%Y%m%d")
        if f.get("date_yyyymm", 0) >= 0.98 and p.max_digits == 6 and p.distinct >= 2:
            return out("datetime", "datetime", f"{f['date_yyyymm']:.0%} of values are yyyymm months",
                       f["date_yyyymm"], "to_datetime:%Y%m")
        if f.get("birth_number", 0) >= 0.98 and p.distinct >= 20 and (p.max_digits or 0) >= 6 \
                and f.get("leading_zero", 0) == 0 and (p.num_min or 0) >= 1000:
            return out("character", "pii_other",
                       f"{f['birth_number']:.0%} of values are birth-number codes (yymmdd, month offset by sex)",
                       0.7)

    # 4. Name-evidenced PII.
    if _has(tokens, _POSTAL_TOKENS) or "postalcode" in lname or "zipcode" in lname:
        return out("categorical" if p.distinct_share < 0.5 else "character", "pii_other",
                   "name says postal code", 0.8)
    if _has(tokens, _PHONE_TOKENS) and (f.get("phone", 0) + f.get("integer", 0) >= 0.8 or p.physical == "int"):
        return out("character", "pii_phone", "name says phone; values are phone-shaped", 0.9)
    if f.get("phone", 0) >= 0.9 and p.distinct_share >= 0.5:
        return out("character", "pii_phone", f"{f['phone']:.0%} of values are phone numbers", 0.75)
    if _has(tokens, _NATIONAL_ID_TOKENS):
        return out("character", "pii_other", "name says national id / account number", 0.7,
                   pii="national_id" if _has(tokens, {"dni", "nie", "nif", "ssn", "passport", "nss", "nin", "sin"})
                   else None)
    if p.physical == "string" and (_has(tokens, _USER_TOKENS) and not _has(tokens, _ID_TOKENS)):
        return out("categorical" if p.distinct_share < 0.5 else "character", "pii_other",
                   "name says user name / password", 0.7)
    if f.get("hex_hash", 0) >= 0.9:
        return out("character", "pii_other", "values are hex digests", 0.8)
    if p.physical == "string" and (any(s in lname for s in _PERSON_NAME_SUBSTR) or _has(tokens, _PERSON_NAME_TOKENS)
                                   or ("name" in tokens and _has(tokens, {"first", "last", "given", "middle", "sur",
                                                                          "full", "contact", "maiden", "family"}))):
        if f.get("alpha", 0) >= 0.6 and (p.mean_words or 0) <= 4:
            return out("categorical", "pii_name", "name says person name; values are words", 0.8)

    # 5. Booleans and numbers.
    if f.get("boolean", 0) >= 0.999 and p.distinct <= 2:
        return out("categorical", "categorical", "two-valued boolean", 0.95)
    is_num = p.physical in ("int", "float")
    convert = None
    if p.physical == "string":
        num_share = f.get("integer", 0) + f.get("decimal", 0)
        if num_share >= 0.999 and f.get("leading_zero", 0) == 0 and p.distinct > 1:
            is_num, convert = True, "to_numeric"
        elif num_share >= 0.9 and num_share + f.get("null_token", 0) >= 0.999 and f.get("leading_zero", 0) == 0 \
                and p.distinct > 2:
            # Numbers with a missing-value token such as '?' or 'NA': numeric, the tokens become null.
            is_num, convert = True, "to_numeric:coerce"
    if is_num:
        if _has(tokens, _LAT_TOKENS) and p.num_min is not None and -90 <= p.num_min and (p.num_max or 0) <= 90:
            return out("numeric_binned", "lat", "name says latitude; values in [-90, 90]", 0.85, convert)
        if _has(tokens, _LON_TOKENS) and p.num_min is not None and -180 <= p.num_min and (p.num_max or 0) <= 180 \
                and not _has(tokens, {"term", "description", "text"}):
            return out("numeric_binned", "long", "name says longitude; values in [-180, 180]", 0.85, convert)
        if _has(tokens, _ACCOUNT_TOKENS) and tokens[-1] not in {"id", "key", "pk", "fk"} and p.integral \
                and p.distinct_share >= 0.5:
            return out("character", "pii_other", "name says account/card number; near-unique integers", 0.7,
                       convert)
        if tokens and tokens[-1] in {"id", "key", "pk", "fk", "uuid", "guid"} and p.integral:
            enc = "categorical" if p.distinct <= 1000 else "numeric_digit"
            return out(enc, "id", "name says identifier; integer values", 0.7, convert)
        enc, why = _numeric_encoding(p)
        return out(enc, "numeric", ("numeric strings, " if convert else "") + why, 0.9, convert)

    # 6. Strings: identifiers, free text, high-cardinality codes, categories.
    if f.get("uuid", 0) >= 0.9:
        return out("character", "id", "values are UUIDs", 0.8)
    if f.get("leading_zero", 0) > 0 and f.get("integer", 0) >= 0.95:
        kind = "id" if tokens and tokens[-1] in _ID_TOKENS else "categorical"
        return out("categorical" if p.distinct_share < 0.5 else "character", kind,
                   "digit strings with leading zeros (a code, not a number)", 0.7)
    mw = p.mean_words or 0.0
    if f.get("url", 0) >= 0.8:
        return out("character", "text", "values are URLs/links", 0.7)
    if mw >= 5 or (p.mean_length or 0) >= 60 or (p.max_words or 0) >= 15 or (
            mw >= 2.5 and p.distinct_share >= 0.9 and nn >= 20):
        return out("text", "text", f"free text: {mw:.1f} words on average, {p.distinct_share:.0%} distinct", 0.75)
    if tokens and tokens[-1] in {"id", "key", "pk", "fk", "uuid", "guid"} and mw <= 1:
        return out("categorical" if p.distinct_share < 0.5 else "character", "id", "name says identifier", 0.6)
    if p.distinct >= 100 and p.distinct_share >= 0.5 and (p.max_length or 0) <= 50:
        return out("character", "categorical", f"{p.distinct} distinct short strings", 0.6)
    return out("categorical", "categorical", f"{p.distinct} distinct values", 0.8)


# --- keys and relationships -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrimaryKeyInference:
    """A table's primary key (or None) with its evidence."""

    columns: tuple[str, ...] | None
    confidence: float
    evidence: str
    source: str = "inferred"  # inferred | declared


@dataclass(frozen=True)
class ForeignKeyInference:
    """A foreign key found by value inclusion (or declared), with its evidence (no raw values)."""

    child_table: str
    child_columns: tuple[str, ...]
    parent_table: str
    parent_columns: tuple[str, ...]
    is_context: bool
    confidence: float
    inclusion: float | None
    orphan_values: int
    null_count: int
    name_similarity: int
    evidence: str
    source: str = "inferred"
    context_score: float | None = None

    @property
    def is_self_reference(self) -> bool:
        return self.child_table == self.parent_table

    def to_dict(self) -> dict[str, Any]:
        return {
            "child_table": self.child_table, "child_columns": list(self.child_columns),
            "parent_table": self.parent_table, "parent_columns": list(self.parent_columns),
            "is_context": self.is_context, "confidence": self.confidence, "inclusion": self.inclusion,
            "orphan_values": self.orphan_values, "null_count": self.null_count,
            "name_similarity": self.name_similarity, "evidence": self.evidence, "source": self.source,
        }


@dataclass(frozen=True)
class TableInference:
    """Everything inferred about one table."""

    name: str
    rows_sampled: int
    rows_total: int | None
    primary_key: PrimaryKeyInference
    roles: tuple[str, ...]
    columns: dict[str, ColumnInference]
    profile: TableProfile

    @property
    def key_columns(self) -> set[str]:
        return set(self.primary_key.columns or ())


@dataclass(frozen=True)
class InferredSchema:
    """Tables (with PKs, roles and column inferences) and foreign keys."""

    tables: dict[str, TableInference]
    foreign_keys: tuple[ForeignKeyInference, ...]

    def fks_of(self, table: str) -> list[ForeignKeyInference]:
        return [fk for fk in self.foreign_keys if fk.child_table == table]

    def to_prediction(self) -> dict[str, Any]:
        """The scorer's prediction format (tests/bench/corpus/score.py): key columns have kind ``id``."""
        out: dict[str, Any] = {"tables": {}, "foreign_keys": []}
        for name, t in self.tables.items():
            keys = set(t.primary_key.columns or ())
            for fk in self.fks_of(name):
                keys.update(fk.child_columns)
            out["tables"][name] = {
                "primary_key": list(t.primary_key.columns) if t.primary_key.columns else None,
                "columns": {c: ("id" if c in keys else ci.kind) for c, ci in t.columns.items()},
            }
        out["foreign_keys"] = [
            {"child_table": fk.child_table, "child_columns": list(fk.child_columns), "parent_table": fk.parent_table,
             "parent_columns": list(fk.parent_columns), "is_context": fk.is_context}
            for fk in self.foreign_keys
        ]
        return out

    def to_dict(self) -> dict[str, Any]:
        return {
            "tables": {
                n: {
                    "rows_sampled": t.rows_sampled, "rows_total": t.rows_total,
                    "primary_key": list(t.primary_key.columns) if t.primary_key.columns else None,
                    "primary_key_evidence": t.primary_key.evidence, "roles": list(t.roles),
                    "columns": {c: {"encoding": ci.encoding, "kind": ci.kind, "pii": ci.pii, "convert": ci.convert,
                                    "confidence": ci.confidence, "reason": ci.reason} for c, ci in t.columns.items()},
                }
                for n, t in self.tables.items()
            },
            "foreign_keys": [fk.to_dict() for fk in self.foreign_keys],
        }


@dataclass(frozen=True)
class KeyCheck:
    """Result of checking a primary key on data: duplicate rows and null rows."""

    columns: tuple[str, ...]
    rows: int
    duplicate_rows: int
    null_rows: int

    @property
    def ok(self) -> bool:
        return self.duplicate_rows == 0 and self.null_rows == 0


@dataclass(frozen=True)
class ForeignKeyCheck:
    """Result of checking a foreign key on data: orphans and nulls (counts only)."""

    rows: int
    null_rows: int
    orphan_rows: int
    orphan_values: int
    inclusion: float | None

    @property
    def ok(self) -> bool:
        return self.orphan_rows == 0


def check_primary_key(df, columns) -> KeyCheck:
    """Count duplicate and null key rows of ``df`` for key ``columns`` (a str or a list)."""
    cols = (columns,) if isinstance(columns, str) else tuple(columns)
    sub = df[list(cols)]
    null_mask = sub.isna().any(axis=1)
    dup = int(sub[~null_mask].duplicated(keep="first").sum())
    return KeyCheck(columns=cols, rows=int(len(df)), duplicate_rows=dup, null_rows=int(null_mask.sum()))


def check_foreign_key(child, child_columns, parent, parent_columns) -> ForeignKeyCheck:
    """Count null and orphan child rows of an FK (composite allowed), comparing normalized values."""
    cc = [child_columns] if isinstance(child_columns, str) else list(child_columns)
    pc = [parent_columns] if isinstance(parent_columns, str) else list(parent_columns)
    c = child[cc]
    null_mask = c.isna().any(axis=1)
    ctuples = [tuple(_norm(v) for v in row) for row in c[~null_mask].itertuples(index=False, name=None)]
    ptuples = {tuple(_norm(v) for v in row) for row in parent[pc].dropna().itertuples(index=False, name=None)}
    orphans = [t for t in ctuples if t not in ptuples]
    distinct = set(ctuples)
    return ForeignKeyCheck(
        rows=int(len(child)), null_rows=int(null_mask.sum()), orphan_rows=len(orphans), orphan_values=len(set(orphans)),
        inclusion=(1 - len(set(orphans)) / len(distinct)) if distinct else None,
    )


def _norm(v):
    """Normalize a key value for comparison: integral numbers and digit strings compare as ints."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if isinstance(v, float):
        return int(v) if v == v and v.is_integer() else v
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalars
        return _norm(v.item())
    s = str(v).strip()
    if s.isdigit():
        return int(s)
    return s


def _singular(word: str) -> str:
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("sses", "xes", "ches", "shes")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        return word[:-1]
    return word


def _table_stem(table: str) -> str:
    toks = word_tokens(table)
    if not toks:
        return table.lower()
    toks[-1] = _singular(toks[-1])
    return "".join(toks)


def _col_stem(col: str) -> str:
    toks = word_tokens(col)
    while len(toks) > 1 and toks[-1] in _ID_TOKENS:
        toks = toks[:-1]
    if len(toks) > 1 and len(toks[0]) == 1:
        toks = toks[1:]
    return "".join(toks)


def _nn(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _strip_prefix(name: str) -> str:
    toks = word_tokens(name)
    if len(toks) > 1 and len(toks[0]) <= 2:
        toks = toks[1:]
    return "".join(toks)


def name_similarity(child_col: str, parent_table: str, parent_col: str) -> int:
    """Name evidence that ``child_col`` references ``parent_table.parent_col``: 0 (none) .. 3 (same name)."""
    cn, kn = _nn(child_col), _nn(parent_col)
    ps = _table_stem(parent_table)
    cs = _col_stem(child_col)
    generic_key = kn in {"id", "key", "code", "pk", "uuid"}
    if cn == kn and not generic_key:
        return 3
    if cs and (cs == ps or cs == _nn(parent_table)) and _tokens(child_col)[-1:] != _tokens(child_col):
        return 3
    if cs and cs == ps:
        return 3
    if not generic_key and len(kn) >= 3 and _strip_prefix(child_col) == _strip_prefix(parent_col):
        return 3
    if not generic_key and len(kn) >= 4 and cn.endswith(kn):
        return 2
    if len(ps) >= 3 and cs.endswith(ps):
        return 2
    all_toks = _tokens(child_col)
    for i, t in enumerate(all_toks[:-1]):
        if t == ps and all_toks[i + 1] in _ID_TOKENS:  # manager_staff_id -> staff
            return 2
    toks = [t for t in all_toks if t not in _ID_TOKENS and len(t) >= 3]
    pk_stem = _col_stem(parent_col)
    for t in toks:
        for target in (ps, pk_stem):
            if len(target) >= 3 and (target.startswith(t) or t.startswith(target)):
                return 1
    return 0


def _keyish(p: ColumnProfile) -> bool:
    """A column that could hold key values (ints, integral floats, short non-text strings)."""
    if p.physical in ("int",):
        return True
    if p.physical == "float":
        return bool(p.integral) or p.non_null == 0
    if p.physical == "string":
        if sum(p.formats.get(k, 0) for k in _DATE_FORMATS) >= 0.5:
            return False
        return (p.mean_words or 0) <= 1.2 and (p.max_length or 0) <= 64 and p.formats.get("email", 0) < 0.5
    return False


def _distinctive(p: ColumnProfile) -> bool:
    """String keys whose values cannot coincide by chance: fixed-width non-numeric codes or UUIDs."""
    if p.physical != "string":
        return False
    if p.formats.get("uuid", 0) >= 0.99:
        return True
    return (p.distinct_lengths == 1 and (p.min_length or 0) >= 4 and p.formats.get("code", 0) >= 0.99
            and p.formats.get("integer", 0) < 0.5)


def _int_like(p: ColumnProfile) -> bool:
    return p.physical == "int" or (p.physical == "float" and bool(p.integral)) or (
        p.physical == "string" and p.formats.get("integer", 0) >= 0.999)


@dataclass
class _T:
    name: str
    df: Any
    prof: TableProfile
    total: int
    order: int
    values: dict[str, frozenset] = field(default_factory=dict)

    def vals(self, col: str) -> frozenset:
        if col not in self.values:
            s = self.df[col].dropna()
            if self.prof.columns[col].physical == "string":
                s = s.astype(str).str.strip()
                s = s[s != ""]
            self.values[col] = frozenset(_norm(v) for v in s.unique().tolist())
        return self.values[col]


def _pk_score(t: _T, col: str, table_stems: dict[str, str]) -> tuple[int, list[str]]:
    p = t.prof.columns[col]
    why: list[str] = []
    score = 0
    cs, ts = _col_stem(col), _table_stem(t.name)
    toks = _tokens(col)
    if _nn(col) in {"id", "key", "pk", "uuid", "guid"} or (cs and (cs == ts or cs == _nn(t.name))):
        score += 3
        why.append("name matches the table")
    elif toks and _idish(col):
        score += 1
        why.append("id-like name")
    if p.physical == "string" and p.distinct_lengths == 1 and p.formats.get("code", 0) >= 0.99:
        score += 1
        why.append("fixed-width codes")
    if list(t.df.columns).index(col) == 0:
        score += 1
        why.append("first column")
    if p.sequential:
        score += 1
        why.append("sequential integers")
    if p.formats.get("uuid", 0) >= 0.99:
        score += 1
        why.append("UUIDs")
    borrowed = [o for o, st in table_stems.items() if o != t.name and cs and st == cs]
    if borrowed and not (cs == ts):
        score -= 2
        why.append("name matches another table")
    if p.physical == "string" and ((p.mean_words or 0) > 1.2 or p.formats.get("email", 0) > 0.5):
        score -= 3
    return score, why


def _composite_unique(df, cols) -> bool:
    sub = df[list(cols)]
    if sub.isna().any(axis=None):
        return False
    return not sub.duplicated().any()


def _coverage(parent: _T) -> float:
    return min(1.0, len(parent.df) / parent.total) if parent.total else 1.0


def infer_schema(tables: dict, *, declared: dict | None = None, row_counts: dict[str, int] | None = None,
                 table_profiles: dict[str, TableProfile] | None = None) -> InferredSchema:
    """Infer keys, foreign keys, context and roles from table samples.

    Args:
        tables: ``{name: pandas.DataFrame}`` samples (for related tables, ideally from
            :func:`compiler.sources.sample_related`).
        declared: keys the spec declares, which win over inference: ``{table: {"primary_key": str | list |
            None, "foreign_keys": [{"columns": str | list, "references": table, "referenced_columns":
            optional list, "context": optional bool}]}}`` (a top-level ``"tables"`` wrapper is accepted).
        row_counts: total rows per table when the samples are smaller than the tables; inclusion
            thresholds are then scaled by the parent's sampling coverage.
        table_profiles: precomputed profiles (computed here when missing).

    Returns:
        An :class:`InferredSchema`.
    """
    declared = dict(declared or {})
    if "tables" in declared and isinstance(declared["tables"], dict):
        declared = declared["tables"]
    row_counts = row_counts or {}
    T: dict[str, _T] = {}
    for i, (name, df) in enumerate(tables.items()):
        prof = (table_profiles or {}).get(name) or profile_table(df)
        T[name] = _T(name=name, df=df, prof=prof, total=max(int(row_counts.get(name, len(df))), len(df)), order=i)
    stems = {n: _table_stem(n) for n in T}

    # 1. Single-column primary keys.
    pks: dict[str, PrimaryKeyInference] = {}
    for name, t in T.items():
        d = declared.get(name) or {}
        if d.get("primary_key"):
            cols = (d["primary_key"],) if isinstance(d["primary_key"], str) else tuple(d["primary_key"])
            pks[name] = PrimaryKeyInference(cols, 1.0, "declared in the spec", "declared")
            continue
        best = None
        for col, p in t.prof.columns.items():
            if not (p.unique and p.null_count == 0 and _keyish(p)):
                continue
            s, why = _pk_score(t, col, stems)
            key = (s, -list(t.df.columns).index(col))
            if best is None or key > best[0]:
                best = (key, col, why)
        if best and best[0][0] >= 2:
            (s, _), col, why = best
            pks[name] = PrimaryKeyInference((col,), min(0.99, 0.5 + 0.1 * s),
                                            f"unique and non-null in {len(t.df)} sampled rows; " + ", ".join(why))

    # 2. Foreign keys to single-column keys (and declared ones).
    fks: list[ForeignKeyInference] = []
    fks_declared = _declared_fks(declared, T, pks)
    declared_cols = {(fk.child_table, fk.child_columns) for fk in fks_declared}
    fks.extend(fks_declared)
    fks.extend(_find_single_fks(T, pks, skip=declared_cols))

    # 3. Composite keys for tables without one: bridge (FK columns together unique), else minimal composite.
    changed = False
    for name, t in T.items():
        if name in pks:
            continue
        fk_cols = [c for c in t.df.columns if any(fk.child_table == name and c in fk.child_columns
                                                  for fk in fks if not fk.is_self_reference)]
        if len(fk_cols) >= 2 and _composite_unique(t.df, fk_cols) and len(fk_cols) <= 4:
            pks[name] = PrimaryKeyInference(tuple(fk_cols), 0.8,
                                            f"bridge: its {len(fk_cols)} foreign-key columns are unique together")
            changed = True
            continue
        cands = [c for c, p in t.prof.columns.items() if p.null_count == 0 and _keyish(p) and p.distinct > 1]
        cands.sort(key=lambda c: (-(_idish(c) or c in fk_cols),
                                  list(t.df.columns).index(c)))
        found = None
        from itertools import combinations

        for size in (2, 3):
            for combo in combinations(cands[:8], size):
                if all(_idish(c) or c in fk_cols for c in combo) and _composite_unique(t.df, combo):
                    found = tuple(sorted(combo, key=list(t.df.columns).index))
                    break
            if found:
                break
        if found:
            pks[name] = PrimaryKeyInference(found, 0.6, f"no single unique id column; {len(found)} id-like columns are unique together")
            changed = True
        else:
            single = [(c, _pk_score(t, c, stems)[0]) for c, p in t.prof.columns.items()
                      if p.unique and p.null_count == 0 and _keyish(p)]
            single.sort(key=lambda x: -x[1])
            if single and single[0][1] >= 0 and _int_like(t.prof.columns[single[0][0]]):
                pks[name] = PrimaryKeyInference((single[0][0],), 0.4, "the only unique non-null id-like column")
                changed = True
    if changed:
        have = {(fk.child_table, fk.child_columns) for fk in fks}
        for fk in _find_single_fks(T, pks, skip=declared_cols):
            if (fk.child_table, fk.child_columns) not in have:
                fks.append(fk)
    fks.extend(_find_composite_fks(T, pks, fks))

    # 4. Context FKs and roles.
    fks = _choose_context(T, pks, fks, declared)
    fks.sort(key=lambda fk: (T[fk.child_table].order, list(T[fk.child_table].df.columns).index(fk.child_columns[0]),
                             fk.parent_table))
    has_ctx = {fk.child_table for fk in fks if fk.is_context}
    is_ctx = {fk.parent_table for fk in fks if fk.is_context}
    out: dict[str, TableInference] = {}
    for name, t in T.items():
        roles = ("linked",) if name in has_ctx else ("subject",)
        if name in is_ctx:
            roles = roles + ("context",)
        cols = {c: infer_column(p, table_is_child=name in has_ctx) for c, p in t.prof.columns.items()}
        # datetime_relative only on the first event-time column of a child table.
        seen_rel = False
        for c, ci in list(cols.items()):
            if ci.encoding == "datetime_relative":
                if seen_rel:
                    cols[c] = ColumnInference("datetime", ci.reason, ci.confidence, ci.pii, ci.kind, ci.convert)
                seen_rel = True
        pk = pks.get(name) or PrimaryKeyInference(None, 0.5, "no unique, non-null, id-like column or column set")
        out[name] = TableInference(name=name, rows_sampled=len(t.df), rows_total=t.total, primary_key=pk,
                                   roles=roles, columns=cols, profile=t.prof)
    return InferredSchema(tables=out, foreign_keys=tuple(fks))


def _declared_fks(declared: dict, T: dict[str, _T], pks: dict[str, PrimaryKeyInference]) -> list[ForeignKeyInference]:
    out = []
    for child, d in declared.items():
        if child not in T:
            continue
        for fk in (d or {}).get("foreign_keys") or []:
            cols = (fk["columns"],) if isinstance(fk["columns"], str) else tuple(fk["columns"])
            parent = fk["references"]
            pcols = fk.get("referenced_columns")
            if pcols is None:
                pcols = pks[parent].columns if parent in pks and pks[parent].columns else cols
            pcols = (pcols,) if isinstance(pcols, str) else tuple(pcols)
            chk = check_foreign_key(T[child].df, cols, T[parent].df, pcols) if parent in T else None
            out.append(ForeignKeyInference(
                child, cols, parent, pcols, bool(fk.get("context", False)), 1.0,
                chk.inclusion if chk else None, chk.orphan_values if chk else 0, chk.null_rows if chk else 0,
                max(name_similarity(c, parent, pc) for c, pc in zip(cols, pcols)), "declared in the spec", "declared",
                context_score=None if fk.get("context") is None else (100.0 if fk["context"] else -100.0),
            ))
    return out


def _self_hierarchy_ok(t: _T, col: str, pk: str) -> bool:
    """A self-reference must look like a hierarchy: some roots (nulls), no self-loops, no cycles."""
    sub = t.df[[pk, col]].dropna(subset=[pk])
    parent_of = {}
    import pandas as pd

    for k, v in sub.itertuples(index=False, name=None):
        if pd.isna(v):
            continue
        nk, nv = _norm(k), _norm(v)
        if nk == nv:
            return False
        parent_of[nk] = nv
    for start in list(parent_of)[:5000]:
        seen = {start}
        cur = start
        for _ in range(64):
            cur = parent_of.get(cur)
            if cur is None:
                break
            if cur in seen:
                return False
            seen.add(cur)
    return True


def _find_single_fks(T: dict[str, _T], pks: dict[str, PrimaryKeyInference], skip=()) -> list[ForeignKeyInference]:
    parents = [(n, pk.columns[0]) for n, pk in pks.items() if pk.columns and len(pk.columns) == 1]
    out: list[ForeignKeyInference] = []
    for child, t in T.items():
        own_pk = pks.get(child)
        for col, p in t.prof.columns.items():
            if (child, (col,)) in skip or not (_keyish(p) or p.non_null == 0):
                continue
            cands = []
            for parent, k in parents:
                if parent == child and col == k:
                    continue
                pt = T[parent]
                kp = pt.prof.columns[k]
                name = name_similarity(col, parent, k)
                if p.non_null == 0:
                    if name >= 2 and parent != child:
                        cands.append((name, 0.0, parent, k, None, 0, "all values null; name evidence only"))
                    continue
                if _int_like(p) != _int_like(kp):
                    continue
                cv = t.vals(col)
                if not cv:
                    continue
                pv = pt.vals(k)
                inter = len(cv & pv)
                incl = inter / len(cv)
                exp = _coverage(pt)
                orphans = len(cv) - inter
                if name >= 2:
                    ok = incl >= 0.9 * exp
                elif name == 1:
                    # Weak name evidence: the child must also use a fair share of the parent's keys.
                    ok = incl >= 0.98 * exp and len(cv) >= 2 and (inter / max(1, len(pv)) >= 0.2 or len(cv) >= 50)
                else:
                    ok = False
                    if parent == child and incl >= 0.999 and p.null_count > 0 and _self_hierarchy_ok(t, col, k):
                        ok = True
                        name = 0
                    elif parent != child and _distinctive(kp) and _distinctive(p) and len(cv) >= 20 \
                            and incl >= 0.98 * exp:
                        ok = True  # values no other column could hold by chance (fixed-width codes, UUIDs)
                        name = 0
                if not ok:
                    continue
                if own_pk and own_pk.columns == (col,) and name < 3:
                    continue  # a table's own key referencing another table needs the same name
                ev = (f"{incl:.0%} of {len(cv)} distinct values found in {parent}.{k}"
                      + (f" (parent sampled at {exp:.0%})" if exp < 1 else "")
                      + f"; {orphans} orphan values; {p.null_count} nulls; name similarity {name}/3"
                      + ("; hierarchy (self-reference, no cycles)" if parent == child else ""))
                cands.append((name, incl, parent, k, incl, orphans, ev))
            if not cands:
                continue
            cands.sort(key=lambda c: (-c[0], -c[1], T[c[2]].order))
            name, _, parent, k, incl, orphans, ev = cands[0]
            if name == 0 and cands[0][2] != child and not (_distinctive(p) and len(cands) == 1):
                continue
            conf = {3: 0.95, 2: 0.85, 1: 0.7, 0: 0.6}[name] * (1.0 if incl is None or incl >= 0.999 else 0.9)
            if incl is None:
                conf = 0.5
            out.append(ForeignKeyInference(child, (col,), parent, (k,), False, round(conf, 3), incl, orphans,
                                           p.null_count, name, ev))
    return out


def _find_composite_fks(T, pks, fks) -> list[ForeignKeyInference]:
    out = []
    for parent, pk in pks.items():
        if not pk.columns or len(pk.columns) < 2:
            continue
        pt = T[parent]
        for child, t in T.items():
            if child == parent:
                continue
            match = []
            for k in pk.columns:
                best = None
                for col in t.df.columns:
                    s = name_similarity(col, parent, k)
                    if _nn(col) == _nn(k):
                        s = 3
                    if s >= 2 and col not in match and (best is None or s > best[0]):
                        best = (s, col)
                if not best:
                    break
                match.append(best[1])
            if len(match) != len(pk.columns):
                continue
            if any(fk.child_table == child and set(fk.child_columns) == set(match) for fk in fks):
                continue
            chk = check_foreign_key(t.df, match, pt.df, pk.columns)
            exp = _coverage(pt)
            if chk.inclusion is None or chk.inclusion < 0.9 * exp:
                continue
            ev = (f"{chk.inclusion:.0%} of distinct value tuples found in {parent}({', '.join(pk.columns)}); "
                  f"{chk.orphan_values} orphan tuples; {chk.null_rows} rows with nulls; names match")
            out.append(ForeignKeyInference(child, tuple(match), parent, tuple(pk.columns), False, 0.85, chk.inclusion,
                                           chk.orphan_values, chk.null_rows, 3, ev))
    # A composite FK supersedes single-column FKs of its columns to the same parent.
    return out


def _descriptive_columns(t: _T, key_cols: set[str]) -> int:
    n = 0
    for c, p in t.prof.columns.items():
        if c in key_cols:
            continue
        toks = _tokens(c)
        if _has(toks, _AUDIT_TOKENS):
            continue
        n += 1
    return n


def _choose_context(T, pks, fks, declared) -> list[ForeignKeyInference]:
    """Pick at most one context FK per table (see docs/inference.md for the scoring)."""
    from dataclasses import replace

    key_cols = {n: set(pks[n].columns or ()) if n in pks else set() for n in T}
    for fk in fks:
        key_cols[fk.child_table].update(fk.child_columns)
    # Parents referenced one-to-one (unique child column) by two or more tables are shared references.
    one_to_one: dict[str, set[str]] = {}
    for fk in fks:
        cp = T[fk.child_table].prof.columns[fk.child_columns[0]]
        if len(fk.child_columns) == 1 and cp.unique and not fk.is_self_reference:
            one_to_one.setdefault(fk.parent_table, set()).add(fk.child_table)
    declared_ctx = {fk.child_table for fk in fks if fk.source == "declared" and fk.context_score is not None
                    and fk.context_score > 0}
    declared_any = {fk.child_table for fk in fks if fk.source == "declared" and fk.context_score is not None}

    def score(fk, ctx_of) -> tuple[float, list[str]]:
        c, p = T[fk.child_table], T[fk.parent_table]
        s, why = 0.0, []
        cs, ps = _nn(fk.child_table), _table_stem(fk.parent_table)
        if len(ps) >= 3 and cs.startswith(ps) and cs != ps:
            s += 3
            why.append("child table is named after the parent")
        pk = pks.get(fk.child_table)
        if pk and pk.columns and len(pk.columns) > 1 and pk.columns[0] == fk.child_columns[0]:
            s += 2
            why.append("leads the child's composite key")
        if ctx_of.get(fk.parent_table) is None:
            s += 1
            why.append("parent is top-level")
        pv = p.vals(pks[fk.parent_table].columns[0]) if fk.parent_table in pks and len(fk.child_columns) == 1 else None
        if pv:
            cov = len(c.vals(fk.child_columns[0]) & pv) / len(pv)
            if cov >= 0.9 * min(1.0, len(c.df) / max(1, c.total) * 10):
                s += 1
                why.append(f"{cov:.0%} of parents have children")
        if fk.null_count:
            s -= 2
            why.append("NULLs in the key (rows without an owner)")
        if p.total <= 5:
            s -= 3
            why.append("parent has 5 rows or fewer (lookup)")
        elif p.total <= 30:
            s -= 2
            why.append("parent has 30 rows or fewer (lookup)")
        fan = c.total / max(1, p.total)
        if fan >= 50:
            s -= 3
            why.append(f"{fan:.0f} child rows per parent row (lookup)")
        return s, why

    ctx_of: dict[str, str | None] = {n: None for n in T}
    chosen: dict[str, tuple] = {}
    for _ in range(4):
        new: dict[str, tuple] = {}
        for child in T:
            if child in declared_any:
                continue
            best = None
            for i, fk in enumerate(fks):
                if fk.child_table != child or fk.is_self_reference or fk.inclusion is None:
                    continue
                if child in one_to_one.get(fk.parent_table, set()) and len(one_to_one[fk.parent_table]) >= 2:
                    continue
                s, why = score(fk, ctx_of)
                tie = (s, _descriptive_columns(T[fk.parent_table], key_cols[fk.parent_table]), T[fk.parent_table].total,
                       -i)
                if s >= 0 and (best is None or tie > best[0]):
                    best = (tie, i, why)
            if best:
                new[child] = best
        nxt = {n: (fks[new[n][1]].parent_table if n in new else None) for n in T}
        for n in declared_ctx:
            nxt[n] = next(fk.parent_table for fk in fks if fk.child_table == n and fk.source == "declared"
                          and fk.context_score and fk.context_score > 0)
        if nxt == ctx_of:
            chosen = new
            break
        ctx_of, chosen = nxt, new
    # Keep the context graph a forest: drop the weakest edge of any cycle.
    edges = {c: chosen[c] for c in chosen}
    for start in sorted(edges):
        path, cur = [], start
        while cur in edges and cur not in path:
            path.append(cur)
            cur = fks[edges[cur][1]].parent_table
        if cur in path:
            cyc = path[path.index(cur):]
            weakest = min(cyc, key=lambda n: edges[n][0])
            edges.pop(weakest)
    out = []
    for i, fk in enumerate(fks):
        if fk.source == "declared" and fk.child_table in declared_any:
            out.append(replace(fk, is_context=bool(fk.context_score and fk.context_score > 0)))
            continue
        is_ctx = fk.child_table in edges and edges[fk.child_table][1] == i
        ev = fk.evidence
        if is_ctx:
            ev += "; context: " + (", ".join(edges[fk.child_table][2]) or "the strongest owner candidate")
        out.append(replace(fk, is_context=is_ctx, evidence=ev,
                           context_score=float(edges[fk.child_table][0][0]) if is_ctx else None))
    return out


def inference_diagnostics(schema: InferredSchema, *, file: str = "") -> list:
    """Diagnostics about an inferred schema: D010 inferred keys, D011 ambiguous dates, D012 missing-value tokens.

    Args:
        schema: the result of :func:`infer_schema`.
        file: the spec path to attach to each diagnostic's span (optional).

    Returns:
        A list of :class:`~compiler.diagnostics.Diagnostic` in a deterministic order.
    """
    from .codes import make
    from .diagnostics import Span

    span = Span(file=file)
    out = []
    for name, t in schema.tables.items():
        pk = t.primary_key
        if pk.source == "inferred" and pk.columns:
            out.append(make("D010", f"`{name}`: primary key {list(pk.columns)} inferred ({pk.evidence})", span=span,
                            path=("tables", name, "primary_key"),
                            help=f"declare it: `primary_key: {list(pk.columns) if len(pk.columns) > 1 else pk.columns[0]}`"))
        for c, ci in t.columns.items():
            p = t.profile.columns[c]
            if ci.convert == "to_datetime:dayfirst" and p.fmt("date_dmy") >= 0.999 and p.fmt("date_mdy") >= 0.999:
                out.append(make("D011", f"`{name}.{c}`: every value reads as dd/mm/yyyy and as mm/dd/yyyy; "
                                        "day-first assumed", span=span, path=("tables", name, "columns", c),
                                help="set the column's date format explicitly in the spec"))
            if ci.convert == "to_numeric:coerce":
                out.append(make("D012", f"`{name}.{c}`: {p.fmt('null_token'):.1%} of values are missing-value tokens "
                                        "in a numeric column; they become NULL", span=span,
                                path=("tables", name, "columns", c)))
    for fk in schema.foreign_keys:
        if fk.source != "inferred":
            continue
        out.append(make("D010", f"`{fk.child_table}`: foreign key {list(fk.child_columns)} -> "
                                f"`{fk.parent_table}`{list(fk.parent_columns)} inferred"
                                f"{' (context)' if fk.is_context else ''}: {fk.evidence}", span=span,
                        path=("tables", fk.child_table, "foreign_keys"),
                        help=f"declare it: `{{columns: {list(fk.child_columns)}, references: {fk.parent_table}, "
                             f"context: {str(fk.is_context).lower()}}}`"))
    return out
