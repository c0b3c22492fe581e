"""Restore keys and dtypes after generation.

The MOSTLY AI engine regenerates every primary key and context foreign key as a watermarked
UUID string (``mostly…``) whatever the source type, re-links non-context foreign keys to the
generated parent keys, and returns booleans as ``"True"``/``"False"`` strings (MOSTLYAI.md §2,
§3). This module maps the synthetic keys back to *fresh* keys of the source's type and format,
consistently across parents and children, and restores the source dtypes.

Key value policy (why *fresh*): real key values can identify a person (a case number, a national
id), so a synthetic key never takes a value that occurs in the source key column; it only keeps
the *format*:

* **integers** continue after the source maximum (``max+1, max+2, …``). When that would overflow
  the source integer type, the smallest unused non-negative values are taken instead.
* **numbered codes** (``T000123``, ``EXP-2024-0042``, ``00123``): every source value is
  ``<prefix><digits><suffix>`` with one common prefix and suffix. Fresh codes continue the
  numbering after the source maximum, zero-padded to the source width when all widths are equal;
  when the width's number space runs out, unused numbers below the maximum are taken, and only
  when even that is not enough is the width grown (reported as a note).
* **other strings** (UUIDs, structured codes such as ``PRC-2005-0094``, random tokens): a
  per-position template is inferred. With at least 20 source values a position keeps the
  characters seen there (a single character — UUID dashes, a version nibble — stays literal);
  with fewer, it takes the smallest class of digits / hex / lower / upper / lower+digits /
  upper+digits / letters / alphanumerics that holds them. When the template has too little room
  for unique fresh values, positions widen to their class, and only then are keys lengthened
  (reported). Fresh values are drawn with a seeded generator; lengths follow the source length
  distribution.
* **composite keys** get their component columns back. One component carries uniqueness: among
  the components that are not shared (below), the one with the most distinct values (ties: the
  later); if all are shared, the last one, by the usual (group, running number) layout. It gets
  globally unique fresh values as above, which makes every tuple unique. A component whose values are shared by many rows (average multiplicity ≥
  :data:`SHARED_MIN_ROWS`, e.g. a procedure code) keeps its values and their frequencies: they are
  sampled from the source values held by at least :data:`SHARED_MIN_ROWS` rows (the rare-value
  threshold of the engine's value protection; such values identify no one). Any other component
  gets fresh values of its format with the source's cardinality (distinct values scaled to the
  synthetic row count), sampled per row.

Foreign keys map through the parent's key map (context and non-context alike); NULL stays NULL.
A synthetic FK value that is not a generated parent key is counted and reported, never invented.

Everything is seeded: the same synthetic frames, sources and seed give the same keys.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

SHARED_MIN_ROWS = 5
"""A composite-key component value held by fewer rows than this is never reused (rare)."""

_LITERAL_MIN_VALUES = 20
_PATTERN_RE = re.compile(r"^(.*?)(\d+)(\D*)$", re.DOTALL)

_ALPHABETS: tuple[tuple[str, str], ...] = (
    ("digits", "0123456789"),
    ("hex", "0123456789abcdef"),
    ("HEX", "0123456789ABCDEF"),
    ("lower", "abcdefghijklmnopqrstuvwxyz"),
    ("upper", "ABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    ("lower_digits", "abcdefghijklmnopqrstuvwxyz0123456789"),
    ("upper_digits", "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
    ("alpha", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"),
    ("alnum", "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"),
)


class KeyRestoreError(ValueError):
    """A key cannot be restored (unsupported key type, unmappable values)."""


# --------------------------------------------------------------------------------------------
# formats


@dataclass(frozen=True)
class IntFormat:
    """Integer keys. ``lo``/``hi`` are the bounds of the source integer type."""

    max_value: int
    lo: int
    hi: int
    kind: str = "int"


@dataclass(frozen=True)
class PatternFormat:
    """``<prefix><number><suffix>``; ``width`` > 0 means zero-padded to that many digits."""

    prefix: str
    suffix: str
    width: int
    max_number: int
    kind: str = "pattern"


@dataclass(frozen=True)
class TemplateFormat:
    """Per-position alphabets (a one-character alphabet is a literal) and the source lengths."""

    positions: tuple[str, ...]
    lengths: tuple[int, ...]
    kind: str = "template"


KeyFormat = IntFormat | PatternFormat | TemplateFormat


def _is_int_like(series) -> bool:
    import pandas as pd

    s = series.dropna()
    if pd.api.types.is_bool_dtype(series.dtype):
        return False
    if pd.api.types.is_integer_dtype(series.dtype):
        return True
    if pd.api.types.is_float_dtype(series.dtype):
        return bool(len(s)) and bool(((s % 1) == 0).all())
    return False


def _int_bounds(dtype) -> tuple[int, int]:
    import numpy as np
    import pandas as pd

    try:
        if pd.api.types.is_integer_dtype(dtype):
            np_dtype = np.dtype(str(dtype).lower()) if str(dtype)[0] in "IU" else np.dtype(dtype)
            info = np.iinfo(np_dtype)
            return int(info.min), int(info.max)
    except TypeError:
        pass
    return -(2**53), 2**53  # float-held integers stay exact up to 2**53


def infer_format(values) -> KeyFormat:
    """Infer the key format of a source key column (a pandas Series; NULLs ignored).

    Raises:
        KeyRestoreError: the column is neither integer-like nor string.
    """
    import pandas as pd

    s = values.dropna()
    if _is_int_like(values):
        lo, hi = _int_bounds(values.dtype)
        mx = int(s.max()) if len(s) else 0
        return IntFormat(max_value=mx, lo=lo, hi=hi)
    if not (pd.api.types.is_string_dtype(values.dtype) or pd.api.types.is_object_dtype(values.dtype)
            or isinstance(values.dtype, pd.CategoricalDtype)):
        raise KeyRestoreError(f"keys of dtype {values.dtype} cannot be restored (integer or string keys only)")
    strs = [str(v) for v in s]
    if not strs:
        return PatternFormat(prefix="", suffix="", width=0, max_number=0)
    pat = _infer_pattern(strs)
    if pat is not None:
        return pat
    return _infer_template(strs)


def _infer_pattern(strs: Sequence[str]) -> PatternFormat | None:
    prefix = suffix = None
    widths = set()
    mx = -1
    for v in strs:
        m = _PATTERN_RE.match(v)
        if not m:
            return None
        p, d, x = m.groups()
        if prefix is None:
            prefix, suffix = p, x
        elif p != prefix or x != suffix:
            return None
        widths.add(len(d))
        mx = max(mx, int(d))
    fixed = len(widths) == 1
    return PatternFormat(prefix=prefix or "", suffix=suffix or "", width=widths.pop() if fixed else 0, max_number=mx)


def _class_for(chars: set[str]) -> str:
    """The smallest named class (digits, hex, lower, …) holding every char, else the chars."""
    for _, alphabet in _ALPHABETS:
        if chars <= set(alphabet):
            return alphabet
    return "".join(sorted(chars))


def position_class(alphabet: str) -> str:
    """What a template position may widen to when room is needed (punctuation stays literal)."""
    if len(alphabet) == 1 and not alphabet.isalnum():
        return alphabet
    return _class_for(set(alphabet))


def _alphabet_for(chars: set[str], n_values: int) -> str:
    if len(chars) == 1:
        (c,) = chars
        # punctuation is structure (UUID dashes); a letter or digit is literal only when many
        # values agree on it (a UUID's version nibble), otherwise it is a coincidence of few values
        if not c.isalnum() or n_values >= _LITERAL_MIN_VALUES:
            return c
        return _class_of(c)
    if n_values >= _LITERAL_MIN_VALUES:
        # enough values: keep the characters seen at this position (a year "20[0-2]x" stays
        # plausible); widened to the class only if uniqueness needs the room
        return "".join(sorted(chars))
    return _class_for(chars)


def _class_of(c: str) -> str:
    for _, alphabet in _ALPHABETS:
        if c in alphabet:
            return alphabet
    return c


def _infer_template(strs: Sequence[str]) -> TemplateFormat:
    maxlen = max(len(v) for v in strs)
    seen: list[set[str]] = [set() for _ in range(maxlen)]
    for v in strs:
        for i, c in enumerate(v):
            seen[i].add(c)
    positions = tuple(_alphabet_for(s, len(strs)) if s else "0123456789" for s in seen)
    lengths = tuple(sorted(len(v) for v in strs))
    return TemplateFormat(positions=positions, lengths=lengths)


# --------------------------------------------------------------------------------------------
# fresh values


def _rng(seed: int, *salt: str):
    import numpy as np

    h = hashlib.sha256(("\x1f".join([str(seed), *salt])).encode()).digest()
    return np.random.default_rng(int.from_bytes(h[:8], "little"))


def _fresh_ints(start: int, n: int, lo: int, hi: int, used: set[int]) -> list[int]:
    if start + n - 1 <= hi:
        return list(range(start, start + n))
    out: list[int] = []
    v = max(lo, 0)
    while len(out) < n:
        if v > hi:
            raise KeyRestoreError(f"the integer key type has no room for {n} fresh values")
        if v not in used:
            out.append(v)
        v += 1
    return out


def fresh_keys(fmt: KeyFormat, n: int, *, used: set | None = None, seed: int = 0,
               salt: str = "", notes: list[str] | None = None) -> list:
    """``n`` distinct fresh key values of format ``fmt``, none of them in ``used``.

    Args:
        fmt: the inferred source format.
        n: how many values.
        used: source values that must not be reused (ints for IntFormat, strings otherwise).
        seed: the run's seed; ``salt`` (e.g. ``"table.column"``) decorrelates columns.
        notes: receives a sentence whenever the format could not be kept exactly.
    """
    used = used or set()
    notes = notes if notes is not None else []
    if n <= 0:
        return []
    if isinstance(fmt, IntFormat):
        start = max(fmt.max_value + 1, 1) if fmt.max_value >= 0 else 1
        used_ints = {int(u) for u in used} if start + n - 1 > fmt.hi else set()
        return _fresh_ints(start, n, fmt.lo, fmt.hi, used_ints)
    if isinstance(fmt, PatternFormat):
        return _fresh_pattern(fmt, n, used, notes, salt)
    return _fresh_template(fmt, n, used, seed, salt, notes)


def _fresh_pattern(fmt: PatternFormat, n: int, used: set, notes: list[str], salt: str) -> list[str]:
    width = fmt.width
    start = fmt.max_number + 1
    if width:
        cap = 10**width - 1
        if start + n - 1 > cap:
            used_nums = set()
            for u in used:
                m = _PATTERN_RE.match(str(u))
                if m and m.group(1) == fmt.prefix and m.group(3) == fmt.suffix:
                    used_nums.add(int(m.group(2)))
            free = cap + 1 - len(used_nums)
            if free >= n:
                # numbers after the maximum first, then the unused ones from 1 up, 0 last
                order = list(range(start, cap + 1)) + list(range(1, start)) + [0]
                nums = [k for k in order if k not in used_nums][:n]
                return [f"{fmt.prefix}{k:0{width}d}{fmt.suffix}" for k in nums]
            new_width = len(str(start + n - 1))
            notes.append(f"{salt}: {n} fresh codes do not fit in {width} digits; widened to {new_width}")
            width = new_width
        return [f"{fmt.prefix}{k:0{width}d}{fmt.suffix}" for k in range(start, start + n)]
    return [f"{fmt.prefix}{k}{fmt.suffix}" for k in range(start, start + n)]


def _space(positions: Sequence[str], lengths: Sequence[int]) -> int:
    best = 0
    for L in set(lengths):
        size = 1
        for a in positions[:L]:
            size *= len(a)
        best = max(best, size)
    return best


def _fresh_template(fmt: TemplateFormat, n: int, used: set, seed: int, salt: str, notes: list[str]) -> list[str]:
    import numpy as np

    positions = list(fmt.positions)
    lengths = list(fmt.lengths)
    # room: need comfortably more combinations than values, else rejection sampling stalls
    if _space(positions, lengths) < 4 * (n + len(used)):
        positions = [position_class(a) for a in positions]
    while _space(positions, lengths) < 4 * (n + len(used)):
        positions.append("0123456789")
        lengths = [L + 1 for L in lengths]
        notes.append(f"{salt}: not enough distinct values of the source format; keys lengthened by one character")
    rng = _rng(seed, "template", salt)
    lens = rng.choice(np.asarray(lengths), size=n, replace=True) if len(set(lengths)) > 1 else np.full(n, lengths[0])
    out: list[str | None] = [None] * n
    taken = set(str(u) for u in used)
    todo = np.arange(n)
    for _ in range(64):
        if not len(todo):
            break
        cols = []
        maxlen = int(lens[todo].max())
        for i in range(maxlen):
            alpha = np.asarray(list(positions[i]))
            cols.append(alpha[rng.integers(0, len(alpha), size=len(todo))])
        chars = np.stack(cols, axis=1) if cols else np.empty((len(todo), 0), dtype=str)
        retry = []
        for row, idx in enumerate(todo):
            v = "".join(chars[row, : int(lens[idx])])
            if v in taken:
                retry.append(idx)
            else:
                taken.add(v)
                out[idx] = v
        todo = np.asarray(retry, dtype=int)
    if len(todo):
        raise KeyRestoreError(f"{salt}: could not draw {n} unique keys of the source format")
    return out  # type: ignore[return-value]


# --------------------------------------------------------------------------------------------
# composite keys


def composite_fresh_keys(source, n: int, *, seed: int = 0, salt: str = "",
                         notes: list[str] | None = None):
    """Fresh component tuples for a composite key (see module docstring).

    Args:
        source: the source DataFrame restricted to the key's component columns (in key order).
        n: number of tuples.

    Returns:
        A DataFrame with the same columns and ``n`` rows whose tuples are unique.
    """
    import numpy as np
    import pandas as pd

    notes = notes if notes is not None else []
    cols = list(source.columns)
    rows = len(source)
    distinct = {c: int(source[c].nunique(dropna=True)) for c in cols}
    shared = {c: rows > 0 and distinct[c] > 0 and rows / distinct[c] >= SHARED_MIN_ROWS for c in cols}
    # one component carries uniqueness and gets globally unique fresh values: the non-shared one
    # with the most distinct values (ties: the later); if every component is shared, the last
    # one, by the usual (group, running number) layout of composite keys
    free = [c for c in cols if not shared[c]]
    unique_col = max(reversed(free), key=lambda c: distinct[c]) if free else cols[-1]
    out = {}
    for c in cols:
        col = source[c]
        rng = _rng(seed, "component", salt, c)
        counts = col.value_counts(dropna=True, sort=False)
        pool = counts[counts >= SHARED_MIN_ROWS]
        if c != unique_col and shared[c] and len(pool):
            # reuse the non-rare values with their source frequencies
            keys = sorted(pool.index, key=str)
            w = np.asarray([pool[k] for k in keys], dtype=float)
            out[c] = [keys[i] for i in rng.choice(len(keys), size=n, p=w / w.sum())]
            continue
        fmt = infer_format(col)
        used = _used(col, fmt)
        m = n if c == unique_col else max(1, min(round(distinct[c] * n / max(rows, 1)), _room(fmt, used)))
        if m >= n:
            out[c] = fresh_keys(fmt, n, used=used, seed=seed, salt=f"{salt}.{c}", notes=notes)
        else:  # fresh values with the source's cardinality per row
            vals = fresh_keys(fmt, m, used=used, seed=seed, salt=f"{salt}.{c}", notes=notes)
            out[c] = [vals[i] for i in rng.integers(0, m, size=n)]
    return pd.DataFrame(out, columns=cols)


def _room(fmt: KeyFormat, used: set) -> int:
    """How many fresh values fit the format without changing it (large for open formats)."""
    if isinstance(fmt, PatternFormat) and fmt.width:
        return max(1, 10**fmt.width - len(used))
    return 2**62


def _used(col, fmt: KeyFormat) -> set:
    s = col.dropna()
    if isinstance(fmt, IntFormat):
        return {int(v) for v in s}
    return {str(v) for v in s}


# --------------------------------------------------------------------------------------------
# restoring a relational dataset


@dataclass(frozen=True)
class KeySpec:
    """One key as the run layer sees it: the source ``columns`` and the engine's ``model_column``."""

    columns: tuple[str, ...]
    model_column: str


@dataclass(frozen=True)
class ForeignKeySpec(KeySpec):
    references: str = ""
    context: bool = False


@dataclass(frozen=True)
class TableKeys:
    name: str
    primary_key: KeySpec | None
    foreign_keys: tuple[ForeignKeySpec, ...] = ()


@dataclass
class KeyRestoreResult:
    tables: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    unresolved: dict[tuple[str, str], int] = field(default_factory=dict)
    """(table, fk model column) → number of non-NULL synthetic FK values that are no parent key."""


def restore_keys(synthetic: dict, sources: dict, tables: Sequence[TableKeys], *, seed: int = 0) -> KeyRestoreResult:
    """Replace the engine's UUID keys with fresh keys of the source format, parents first.

    Args:
        synthetic: table → synthetic DataFrame (engine output, keys in ``model_column``s).
        sources: table → source DataFrame holding at least the key columns.
        tables: the key layout, parents before children.
        seed: the run's seed.

    Returns:
        The frames with key columns restored (components in place of surrogates, surrogate
        columns dropped), notes, and counts of FK values that did not map.
    """
    import numpy as np
    import pandas as pd

    result = KeyRestoreResult(tables={})
    keymaps: dict[str, tuple[dict, Any]] = {}  # table → (uuid → row position, new key frame)
    for t in tables:
        df = synthetic[t.name].copy()
        src = sources[t.name]
        if t.primary_key is not None:
            pk = t.primary_key
            n = len(df)
            if len(pk.columns) == 1:
                c = pk.columns[0]
                fmt = infer_format(src[c])
                vals = fresh_keys(fmt, n, used=_used(src[c], fmt), seed=seed, salt=f"{t.name}.{c}", notes=result.notes)
                new = pd.DataFrame({c: vals})
            else:
                new = composite_fresh_keys(src[list(pk.columns)], n, seed=seed, salt=t.name, notes=result.notes)
            uuids = df[pk.model_column].astype(object).tolist()
            keymaps[t.name] = ({u: i for i, u in enumerate(uuids)}, new)
            if pk.model_column not in pk.columns:
                df = df.drop(columns=[pk.model_column])
            for c in pk.columns:
                df[c] = new[c].to_numpy()
        for fk in t.foreign_keys:
            if fk.references not in keymaps:
                raise KeyRestoreError(f"{t.name}.{fk.model_column}: parent {fk.references!r} has no restored keys "
                                      "(tables must be ordered parents first)")
            index, parent_new = keymaps[fk.references]
            parent_pk = next(x for x in tables if x.name == fk.references).primary_key
            raw = df[fk.model_column]
            notnull = raw.notna().to_numpy()
            pos = np.full(len(df), -1, dtype=np.int64)
            missing = 0
            for i, (ok, u) in enumerate(zip(notnull, raw.astype(object).tolist())):
                if ok:
                    p = index.get(u, -1)
                    pos[i] = p
                    missing += p < 0
            if missing:
                result.unresolved[(t.name, fk.model_column)] = int(missing)
            hit = pos >= 0
            if fk.model_column not in fk.columns:
                df = df.drop(columns=[fk.model_column])
            for child_col, parent_col in zip(fk.columns, parent_pk.columns):
                pv = parent_new[parent_col].to_numpy(dtype=object)
                col = np.full(len(df), None, dtype=object)
                col[hit] = pv[pos[hit]]
                df[child_col] = _compact(col)
        result.tables[t.name] = df
    return result


def _compact(values):
    """An object array of keys → a Series with a natural dtype (int64/Int64 or string)."""
    import pandas as pd

    s = pd.Series(values, dtype=object)
    nn = s.dropna()
    if len(nn) and all(isinstance(v, (int,)) and not isinstance(v, bool) for v in nn):
        return s.astype("Int64") if len(nn) < len(s) else s.astype("int64")
    return s


# --------------------------------------------------------------------------------------------
# dtypes


def logical_type(dtype, values=None) -> str:
    """A coarse type name used to compare schemas across storage round trips.

    ``int``, ``float``, ``bool``, ``string``, ``datetime``, ``datetime_tz``, ``date``,
    ``category``, ``timedelta`` or ``object``. Nullable and non-nullable variants compare equal,
    as do datetime units. ``values`` (optional) lets an object column holding ``datetime.date``
    values be recognised as ``date``.
    """
    import datetime as dt

    import pandas as pd

    api = pd.api.types
    if isinstance(dtype, pd.CategoricalDtype):
        return "category"
    if api.is_bool_dtype(dtype):
        return "bool"
    if api.is_integer_dtype(dtype):
        return "int"
    if api.is_float_dtype(dtype):
        return "float"
    if isinstance(dtype, pd.DatetimeTZDtype):
        return "datetime_tz"
    if api.is_datetime64_any_dtype(dtype):
        return "datetime"
    if api.is_timedelta64_dtype(dtype):
        return "timedelta"
    if api.is_string_dtype(dtype) and not api.is_object_dtype(dtype):
        return "string"
    if api.is_object_dtype(dtype) and values is not None:
        nn = values.dropna()
        if len(nn) and all(isinstance(v, dt.date) and not isinstance(v, dt.datetime) for v in nn.head(1000)):
            return "date"
        if len(nn) and all(isinstance(v, str) for v in nn.head(1000)):
            return "string"
    return "object"


def _to_bool(s):
    import pandas as pd

    m = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}

    def conv(v):
        if v is None or (isinstance(v, float) and v != v) or v is pd.NA:
            return pd.NA
        if isinstance(v, bool):
            return v
        return m.get(str(v).strip().lower(), pd.NA)

    return pd.Series([conv(v) for v in s.astype(object)], index=s.index, dtype="boolean")


def _to_datetime(s):
    import pandas as pd

    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return s
    return pd.to_datetime(s, errors="coerce", format="mixed")


def restore_column(series, source):
    """Cast one synthetic column to the dtype of the source column ``source`` (a Series).

    Falls back to the nullable variant (``Int64``, ``boolean``) when the synthetic column has
    NULLs that the source dtype cannot hold.
    """
    import pandas as pd

    api = pd.api.types
    target = source.dtype
    lt = logical_type(target, source)
    s = series
    try:
        if lt == "bool":
            b = _to_bool(s)
            return b.astype(target) if not b.isna().any() else b
        if lt == "int":
            num = pd.to_numeric(s, errors="coerce")
            if num.isna().any():
                return num.round().astype("Int64") if not isinstance(target, pd.api.extensions.ExtensionDtype) \
                    else num.round().astype(target)
            return num.round().astype(target)
        if lt == "float":
            return pd.to_numeric(s, errors="coerce").astype(target)
        if lt in ("datetime", "datetime_tz"):
            d = _to_datetime(s)
            if lt == "datetime_tz" and d.dt.tz is None:
                d = d.dt.tz_localize(target.tz)
            return d.astype(target)
        if lt == "date":
            d = _to_datetime(s)
            return pd.Series([v.date() if not pd.isna(v) else None for v in d], index=s.index, dtype=object)
        if lt == "category":
            cats = list(target.categories)
            extra = sorted({v for v in s.dropna().astype(object) if v not in set(cats)}, key=str)
            base = s.astype(object)
            if len(cats) and api.is_numeric_dtype(target.categories.dtype):
                base = pd.to_numeric(s, errors="coerce")
                extra = []
            return base.astype(pd.CategoricalDtype(cats + extra, ordered=target.ordered))
        if lt == "string":
            if api.is_object_dtype(target):
                return s.astype(object).where(s.notna(), None)
            return s.astype(target)
        if lt == "timedelta":
            return pd.to_timedelta(s, errors="coerce").astype(target)
        return s.astype(object)
    except (TypeError, ValueError) as e:  # keep the synthetic values; the schema check reports it
        raise KeyRestoreError(f"column {series.name!r}: cannot convert to {target}: {e}") from e


def empty_like(source, n: int):
    """An all-NULL column of ``n`` rows with the source column's (nullable) dtype."""
    import pandas as pd

    lt = logical_type(source.dtype, source)
    if lt == "int":
        return pd.Series([pd.NA] * n, dtype="Int64")
    if lt == "bool":
        return pd.Series([pd.NA] * n, dtype="boolean")
    if lt in ("date", "object"):
        return pd.Series([None] * n, dtype=object)
    return pd.Series([None] * n, dtype=object).astype(source.dtype)
