"""`synthspec infer` through the real CLI: bootstrap a spec from data, update a spec in place.

Every fixture is real data written into tmp_path (Parquet, `;`-delimited CSV with NA tokens, SQLite).
A bootstrapped spec must compile with its data without errors; an updated spec must differ from the
original only in the edited lines. ``SYNTHSPEC_UPDATE_DOCS=1`` rewrites the examples of docs/infer.md
from the real output instead of comparing them.
"""

from __future__ import annotations

import difflib
import os
import re
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from ruamel.yaml import YAML

from compiler.api import compile_spec

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "infer.md"
UPDATE = os.environ.get("SYNTHSPEC_UPDATE_DOCS") == "1"
FIRST = ["Anna", "Joan", "Marta", "Pere", "Laia", "Jordi", "Núria", "Pau", "Clara", "Marc"]
CITIES = ["Girona", "Lleida", "Tarragona", "Reus", "Vic", "Manresa"]


def cli(*args, cwd):
    env = dict(os.environ, COLUMNS="100")
    env.pop("SYNTHSPEC_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "compiler.cli", "infer", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd, env=env, timeout=120)


def load(path: Path):
    return YAML(typ="safe").load(path.read_text("utf-8"))


def comments(text: str) -> str:
    return "\n".join(ln.split("# ", 1)[1] for ln in text.splitlines() if "# " in ln)


def compiles_with_data(spec: Path):
    res = compile_spec(spec, out_dir=spec.parent / "build", use_data=True, emit=True,
                       project_root=spec.parent)
    errors = [f"{d.code} {d.span} {d.message}" for d in res.diagnostics if d.severity >= 3]
    assert res.ok and not errors, errors
    return res


# --- fixtures: real files -----------------------------------------------------------------------------------


def shop(folder: Path) -> dict:
    """Parquet: customers ← orders (context) ← order_lines (composite key) → products (lookup, not context)."""
    rng = np.random.default_rng(1)
    folder.mkdir(parents=True, exist_ok=True)
    n, m = 200, 1000
    cust = pd.DataFrame({
        "customer_id": np.arange(1, n + 1), "first_name": rng.choice(FIRST, n),
        "email": [f"user{i}@example.org" for i in range(n)], "city": rng.choice(CITIES, n),
        "signup_date": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")})
    prod = pd.DataFrame({"product_id": np.arange(1, 21), "category": rng.choice(["a", "b", "c"], 20),
                         "price": rng.uniform(1, 100, 20).round(2)})
    orders = pd.DataFrame({
        "order_id": np.arange(1, m + 1), "customer_id": np.sort(rng.integers(1, n + 1, m)),
        "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 365 * 24, m), unit="h"),
        "status": rng.choice(["open", "paid", "sent"], m), "amount": rng.gamma(2.0, 30.0, m).round(2)})
    orders.loc[orders.index[:n], "customer_id"] = np.arange(1, n + 1)
    lines = [(o, ln, int(rng.integers(1, 21)), int(rng.integers(1, 5)))
             for o in orders.order_id for ln in range(1, int(rng.integers(1, 4)) + 1)]
    ol = pd.DataFrame(lines, columns=["order_id", "line_no", "product_id", "quantity"])
    for name, df in {"customers": cust, "products": prod, "orders": orders, "order_lines": ol}.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    return {"customers": cust, "products": prod, "orders": orders, "order_lines": ol}


def clinic_csv(folder: Path) -> dict:
    """`;`-delimited CSV files with `NA` in numeric columns."""
    rng = np.random.default_rng(2)
    folder.mkdir(parents=True, exist_ok=True)
    n, m = 150, 450
    pat = pd.DataFrame({"patient_id": np.arange(1, n + 1), "age": rng.integers(1, 99, n),
                        "weight": rng.normal(70, 12, n).round(1).astype(object),
                        "region": rng.choice(["Osona", "Segrià", "Baix Camp"], n)})
    pat.loc[rng.choice(n, 12, replace=False), "weight"] = "NA"
    vis = pd.DataFrame({"visit_id": np.arange(1, m + 1), "patient_id": rng.integers(1, n + 1, m),
                        "visit_date": [f"2024-{a:02d}-{b:02d}" for a, b in zip(rng.integers(1, 13, m),
                                                                              rng.integers(1, 29, m))],
                        "diagnosis": rng.choice(["J10", "K21", "M54", "I10"], m),
                        "cost": rng.uniform(20, 400, m).round(2).astype(object)})
    vis.loc[rng.choice(m, 30, replace=False), "cost"] = "NA"
    pat.to_csv(folder / "patients.csv", sep=";", index=False)
    vis.to_csv(folder / "visits.csv", sep=";", index=False)
    return {"patients": pat, "visits": vis}


def library_sqlite(path: Path) -> None:
    rng = np.random.default_rng(3)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE authors (author_id INTEGER PRIMARY KEY, surname TEXT, country TEXT)")
    con.execute("CREATE TABLE books (book_id INTEGER PRIMARY KEY, author_id INTEGER, title TEXT, year INTEGER, "
                "genre TEXT)")
    con.execute("CREATE TABLE loans (loan_id INTEGER PRIMARY KEY, book_id INTEGER, loan_date TEXT, days INTEGER)")
    con.executemany("INSERT INTO authors VALUES (?,?,?)",
                    [(i, f"Surname{i % 17}", str(rng.choice(["ES", "FR", "IT", "PT"]))) for i in range(1, 41)])
    con.executemany("INSERT INTO books VALUES (?,?,?,?,?)",
                    [(i, int(rng.integers(1, 41)) if i > 40 else i, f"Some words of title number {i}",
                      int(rng.integers(1950, 2024)), str(rng.choice(["novel", "poetry", "essay"])))
                     for i in range(1, 301)])
    con.executemany("INSERT INTO loans VALUES (?,?,?,?)",
                    [(i, int(rng.integers(1, 301)) if i > 300 else i,
                      f"2024-{int(rng.integers(1, 13)):02d}-{int(rng.integers(1, 29)):02d}", int(rng.integers(1, 60)))
                     for i in range(1, 901)])
    con.commit()
    con.close()


def northwind(folder: Path) -> dict:
    """Parquet: a renamed FK (orders.ship_via → shippers.shipper_id) and a self-reference (reports_to)."""
    rng = np.random.default_rng(4)
    folder.mkdir(parents=True, exist_ok=True)
    ship = pd.DataFrame({"shipper_id": [1, 2, 3], "company_name": ["Speedy", "United", "Federal"]})
    ne, no = 30, 600
    emp = pd.DataFrame({
        "employee_id": np.arange(1, ne + 1), "last_name": rng.choice(["Puig", "Vila", "Soler", "Roca"], ne),
        "title": rng.choice(["rep", "manager"], ne),
        "reports_to": pd.array([None] + [int(rng.integers(1, i + 1)) for i in range(1, ne)], dtype="Int64"),
        "hire_date": pd.Timestamp("2015-01-01") + pd.to_timedelta(rng.integers(0, 2000, ne), unit="D")})
    orders = pd.DataFrame({
        "order_id": np.arange(10248, 10248 + no), "employee_id": rng.integers(1, ne + 1, no),
        "ship_via": rng.integers(1, 4, no), "freight": rng.gamma(2, 20, no).round(2),
        "order_date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 9000, no), unit="h")})
    for name, df in {"shippers": ship, "employees": emp, "orders": orders}.items():
        df.to_parquet(folder / f"{name}.parquet", index=False)
    return {"shippers": ship, "employees": emp, "orders": orders}


def raw_values(frames: dict) -> set[str]:
    """String values of the data that must never appear in a comment (short tokens are too common)."""
    out = set()
    for df in frames.values():
        for c in df.columns:
            if df[c].dtype == object or str(df[c].dtype).startswith(("str", "string")):
                out |= {str(v) for v in df[c].dropna().unique() if len(str(v)) >= 4 and str(v) != "NA"}
    return out


def assert_complete(spec: dict):
    """Every table has a source; every listed column an explicit encoding (never auto)."""
    for t, tm in spec["tables"].items():
        assert tm["source"]
        for c, e in tm["columns"].items():
            enc = e if isinstance(e, str) else e["encoding"]
            assert enc not in ("auto", "AUTO"), f"{t}.{c}"


# --- bootstrap ------------------------------------------------------------------------------------------


def test_bootstrap_parquet_composite_key_and_lookup_fk(tmp_path):
    frames = shop(tmp_path / "data")
    r = cli("data", "-o", "spec.yaml", "--name", "shop", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "wrote spec.yaml" in r.stderr
    text = (tmp_path / "spec.yaml").read_text("utf-8")
    first = text.splitlines()[0]
    assert first.startswith("# yaml-language-server: $schema=")
    assert (tmp_path / first.split("=", 1)[1]).resolve() == (ROOT / "schemas" / "spec-v1.json").resolve()
    spec = load(tmp_path / "spec.yaml")
    assert spec["spec_version"] == 1 and spec["name"] == "shop"
    assert spec["sources"] == {"data": {"kind": "files", "path": "data"}}
    assert_complete(spec)
    t = spec["tables"]
    assert t["order_lines"]["primary_key"] == ["order_id", "line_no"]
    assert t["order_lines"]["surrogate_key"] == "order_id__line_no"
    fks = {fk["references"]: fk for fk in t["order_lines"]["foreign_keys"]}
    assert fks["orders"]["context"] is True and fks["products"]["context"] is False
    assert t["orders"]["foreign_keys"] == [{"columns": "customer_id", "references": "customers", "context": True}]
    assert t["customers"]["role"] == ["subject", "context"] and "role" not in t["products"]
    assert t["customers"]["columns"]["first_name"] == {"encoding": "categorical", "pii": "name"}
    assert t["customers"]["columns"]["email"] == {"encoding": "character", "pii": "email", "fake": True}
    # the evidence, as counts and shares
    assert "primary_key: customer_id  # unique, non-null, id-like (200 of 200 rows)" in text
    assert "100% of 200 distinct values found in customers.customer_id, 0 orphans" in text
    assert "city: {encoding: categorical}  # 6 distinct values" in text
    found = [v for v in raw_values(frames) if v in comments(text)]
    assert not found, found
    res = compiles_with_data(tmp_path / "spec.yaml")
    assert [d.code for d in res.diagnostics if d.severity >= 2] == []


def test_bootstrap_csv_semicolon_and_na_tokens(tmp_path):
    frames = clinic_csv(tmp_path / "csv")
    r = cli("csv", "-o", "specs/clinic.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    spec_path = tmp_path / "specs" / "clinic.yaml"
    spec = load(spec_path)
    src = spec["sources"]["csv"]
    assert src["path"] == "../csv" and src["csv"]["delimiter"] == ";" and "NA" in src["csv"]["null_values"]
    assert src["allow_outside_root"] is True  # the spec's folder is the project root; the data is beside it
    assert_complete(spec)
    cols = spec["tables"]["patients"]["columns"]
    assert cols["weight"]["encoding"].startswith("numeric") and cols["age"]["encoding"].startswith("numeric")
    assert spec["tables"]["visits"]["columns"]["cost"]["encoding"].startswith("numeric")
    assert spec["tables"]["visits"]["foreign_keys"][0]["references"] == "patients"
    assert not [v for v in raw_values(frames) if v in comments(spec_path.read_text("utf-8"))]
    compiles_with_data(spec_path)


def test_bootstrap_sqlite(tmp_path):
    library_sqlite(tmp_path / "library.sqlite")
    r = cli("library.sqlite", "-o", "spec.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    spec = load(tmp_path / "spec.yaml")
    assert spec["sources"] == {"library": {"kind": "sqlite", "path": "library.sqlite"}}
    t = spec["tables"]
    assert [t[n]["source"] for n in t] == ["library/authors", "library/books", "library/loans"]
    assert t["loans"]["foreign_keys"] == [{"columns": "book_id", "references": "books", "context": True}]
    assert t["books"]["columns"]["title"]["encoding"] == "text"
    assert t["loans"]["columns"]["loan_date"]["encoding"] == "datetime_relative"
    assert_complete(spec)
    compiles_with_data(tmp_path / "spec.yaml")


def test_bootstrap_renamed_fk_and_self_reference_to_stdout(tmp_path):
    northwind(tmp_path / "nw")
    r = cli("nw", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # the spec alone, on stdout
    assert r.stdout == cli("nw", cwd=tmp_path).stdout  # deterministic
    (tmp_path / "spec.yaml").write_text(r.stdout, "utf-8")
    spec = load(tmp_path / "spec.yaml")
    t = spec["tables"]
    fks = {fk["columns"]: fk for fk in t["orders"]["foreign_keys"]}
    assert fks["ship_via"] == {"columns": "ship_via", "references": "shippers", "context": False}
    assert fks["employee_id"]["context"] is True
    assert t["employees"]["foreign_keys"] == [{"columns": "reports_to", "references": "employees",
                                               "context": False}]
    assert "a hierarchy (self-reference)" in r.stdout
    assert_complete(spec)
    compiles_with_data(tmp_path / "spec.yaml")


def test_bootstrap_never_overwrites(tmp_path):
    northwind(tmp_path / "nw")
    (tmp_path / "spec.yaml").write_text("# mine\n")
    r = cli("nw", "-o", "spec.yaml", cwd=tmp_path)
    assert r.returncode == 2
    assert "spec.yaml already exists; infer never overwrites a file" in r.stderr
    assert "synthspec infer --spec spec.yaml --write" in r.stderr
    assert (tmp_path / "spec.yaml").read_text() == "# mine\n"
    assert cli("missing", cwd=tmp_path).returncode == 2
    assert cli("nw", "--write", cwd=tmp_path).returncode == 2  # --write is for --spec


# --- update ----------------------------------------------------------------------------------------------

HAND = """\
# My shop spec, written by hand.
spec_version: 1
name: "shop"

sources:
  raw: {kind: files, path: data}   # parquet

tables:
  customers:
    source: raw/customers.parquet
    # no key yet

    columns:
      first_name:  {encoding: auto, pii: name}   # keep this comment
      city:        auto
      email:       {exclude: true, pii: email}

  orders:
    role: linked
    source: raw/orders.parquet
    primary_key: order_id
    foreign_keys:
      - {columns: customer_id, references: customers, context: true}
    columns:
      status: 'auto'
      amount:
        encoding: AUTO
        description: what was paid

  products: {source: raw/products.parquet, primary_key: product_id, columns: {category: auto}}

generation:
  size: {customers: 200}   # for tests
"""

# (removed line, the line that replaces it) for each edited line; added lines follow
CHANGED = {
    "      first_name:  {encoding: auto, pii: name}   # keep this comment":
        "      first_name:  {encoding: categorical, pii: name}   # keep this comment",
    "      city:        auto": "      city:        categorical  # 6 distinct values",
    "      status: 'auto'": "      status: 'categorical'  # 3 distinct values",
    "        encoding: AUTO": "        encoding: numeric_binned  # 957 distinct values, continuous",
    "  products: {source: raw/products.parquet, primary_key: product_id, columns: {category: auto}}":
        "  products: {source: raw/products.parquet, primary_key: product_id, columns: {category: categorical, "
        "price: numeric_discrete}}",
}
ADDED = [
    "    primary_key: customer_id  # unique, non-null, id-like (200 of 200 rows); name matches the table, "
    "first column, sequential integers",
    "      signup_date: {encoding: datetime}  # datetime dtype",
    "      order_date: {encoding: datetime_relative}  # datetime dtype, event time of a child table",
]


def test_update_changes_only_the_edited_lines_and_is_idempotent(tmp_path):
    shop(tmp_path / "data")
    spec = tmp_path / "spec.yaml"
    spec.write_text(HAND, "utf-8")
    os.chmod(spec, 0o640)
    before = spec.stat()

    dry = cli("--spec", "spec.yaml", "--dry-run", cwd=tmp_path)
    assert dry.returncode == 0, dry.stderr
    assert spec.read_text("utf-8") == HAND and spec.stat().st_mtime_ns == before.st_mtime_ns  # wrote nothing
    assert dry.stdout.startswith("--- a/spec.yaml\n+++ b/spec.yaml\n")
    removed = [ln[1:] for ln in dry.stdout.splitlines()[2:] if ln.startswith("-")]
    added = [ln[1:] for ln in dry.stdout.splitlines()[2:] if ln.startswith("+")]
    assert sorted(removed) == sorted(CHANGED)
    assert sorted(added) == sorted(list(CHANGED.values()) + ADDED)
    assert "info[D004]" in dry.stderr and "info[D010]" in dry.stderr and "info[D041]" in dry.stderr

    shown = cli("--spec", "spec.yaml", cwd=tmp_path)  # neither flag: the new spec on stdout
    assert shown.returncode == 0 and spec.read_text("utf-8") == HAND

    w = cli("--spec", "spec.yaml", "--write", cwd=tmp_path)
    assert w.returncode == 0, w.stderr
    assert "updated spec.yaml: 5 auto encoding(s) resolved, 1 primary key(s) added, 3 column(s) added" in w.stderr
    new = spec.read_text("utf-8")
    assert new == shown.stdout
    assert stat.S_IMODE(spec.stat().st_mode) == 0o640
    # byte for byte: the new text is the old one with exactly these lines replaced or inserted
    ops = difflib.SequenceMatcher(None, HAND.splitlines(), new.splitlines(), autojunk=False).get_opcodes()
    old_l, new_l = HAND.splitlines(), new.splitlines()
    for tag, i1, i2, j1, j2 in ops:
        if tag in ("replace", "delete"):
            assert all(old_l[i] in CHANGED for i in range(i1, i2))
        if tag in ("replace", "insert"):
            assert all(new_l[j] in CHANGED.values() or new_l[j] in ADDED for j in range(j1, j2))
    # the primary key went after `source:`, before the comment; the new columns at the end of `columns:`
    assert new_l.index(ADDED[0]) == new_l.index("    source: raw/customers.parquet") + 1
    assert new_l.index(ADDED[1]) == new_l.index("      email:       {exclude: true, pii: email}") + 1
    assert new_l.index(ADDED[2]) == new_l.index("        description: what was paid") + 1
    compiles_with_data(spec)

    again = cli("--spec", "spec.yaml", "--write", cwd=tmp_path)  # idempotent
    assert again.returncode == 0 and "spec.yaml is up to date" in again.stderr
    assert spec.read_text("utf-8") == new
    assert cli("--spec", "spec.yaml", "--dry-run", cwd=tmp_path).stdout == ""


def test_update_refuses_a_spec_with_errors(tmp_path):
    shop(tmp_path / "data")
    spec = tmp_path / "spec.yaml"
    bad = HAND.replace("    role: linked\n", "    role: linked\n    colums: {}\n")
    spec.write_text(bad, "utf-8")
    for flag in ("--write", "--dry-run"):
        r = cli("--spec", "spec.yaml", flag, cwd=tmp_path)
        assert r.returncode == 1 and "error[S001]" in r.stderr and r.stdout == ""
    assert spec.read_text("utf-8") == bad


def test_update_keeps_a_spec_edited_meanwhile(tmp_path):
    from compiler.infer_cmd import plan_update, write_update

    shop(tmp_path / "data")
    spec = tmp_path / "spec.yaml"
    spec.write_text(HAND, "utf-8")
    up = plan_update(spec)
    assert up.changed
    spec.write_text(HAND + "# edited by hand meanwhile\n", "utf-8")
    refused = write_update(up)
    assert [d.code for d in refused] == ["D040"]
    assert spec.read_text("utf-8").endswith("# edited by hand meanwhile\n")


def test_update_short_style_aligned_and_missing_columns_key(tmp_path):
    northwind(tmp_path / "nw")
    spec = tmp_path / "spec.yaml"
    text = ("spec_version: 1\nname: nw\nsources:\n    nw: {kind: files, path: nw}\ntables:\n"
            "    shippers:\n        source: nw/shippers.parquet\n        primary_key: shipper_id\n"
            "    employees:\n        source: nw/employees.parquet\n        primary_key: employee_id\n"
            "        columns:\n            title:      categorical\n            hire_date:  auto\n"
            "        foreign_keys:\n            - {columns: reports_to, references: employees, context: false}\n")
    spec.write_text(text, "utf-8")
    r = cli("--spec", "spec.yaml", "--write", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    new = spec.read_text("utf-8")
    assert "        columns:\n            company_name: {encoding: categorical}  # 3 distinct values\n" in new
    assert "            hire_date:  datetime  # datetime dtype\n" in new
    assert "            last_name:  {encoding: categorical, pii: name}  #" in new  # 4-space indent, aligned
    assert new.endswith("            - {columns: reports_to, references: employees, context: false}\n")
    compiles_with_data(spec)


# --- docs/infer.md: its examples are produced here --------------------------------------------------------------


def _block(text: str, opener: str) -> tuple[int, int]:
    start = text.index(opener) + len(opener)
    return start, text.index("```", start)


def test_docs_examples(tmp_path):
    doc = DOC.read_text("utf-8")
    s, e = _block(doc, '```python title="make-data"\n')
    subprocess.run([sys.executable, "-c", doc[s:e]], cwd=tmp_path, check=True)
    r = cli("data", "-o", "spec.yaml", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    boot = re.sub(r"\$schema=\S+", "$schema=../schemas/spec-v1.json", (tmp_path / "spec.yaml").read_text("utf-8"))
    compiles_with_data(tmp_path / "spec.yaml")
    s2, e2 = _block(doc, '```yaml title="hand.yaml"\n')
    (tmp_path / "hand.yaml").write_text(doc[s2:e2], "utf-8")
    d = cli("--spec", "hand.yaml", "--dry-run", cwd=tmp_path)
    assert d.returncode == 0, d.stderr
    shown = {'```yaml title="spec.yaml"\n': boot, '```diff title="synthspec infer --spec hand.yaml --dry-run"\n':
             d.stdout}
    for opener, real in shown.items():
        s, e = _block(doc, opener)
        if UPDATE:
            doc = doc[:s] + real + doc[e:]
        else:
            assert doc[s:e] == real, f"{opener.strip()} drifted (SYNTHSPEC_UPDATE_DOCS=1 rewrites it)"
    if UPDATE:
        DOC.write_text(doc, "utf-8")


def test_update_crlf_implicit_auto_and_quoted_names(tmp_path):
    (tmp_path / "data").mkdir()
    pd.DataFrame({"id": range(1, 51), "first name": ["Anna", "Joan"] * 25, "yes": [1, 2, 3, 4, 5] * 10,
                  "note": ["x", "y"] * 25}).to_parquet(tmp_path / "data" / "people.parquet", index=False)
    lines = ["spec_version: 1", "name: q", "sources:", "  s: {kind: files, path: data}", "tables:", "  people:",
             "    source: s/people.parquet", "    columns:", "      note: {pii: other}", '      "first name":',
             "        description: hi", ""]
    spec = tmp_path / "spec.yaml"
    spec.write_bytes("\r\n".join(lines).encode())
    r = cli("--spec", "spec.yaml", "--write", "--format", "json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert '"D004"' in r.stdout  # machine-readable diagnostics on stdout, the spec in its file
    raw = spec.read_bytes().decode()
    assert raw.count("\r\n") == raw.count("\n")  # still CRLF throughout
    new = raw.split("\r\n")
    assert "      note: {encoding: categorical, pii: other}  # 2 distinct values" in new
    assert '        encoding: categorical  # name says person name; values are words; looks like pii: name' in new
    assert '      "yes": {encoding: numeric_discrete}  # 5 distinct values' in new
    assert [ln for ln in lines if ln not in new] == ["      note: {pii: other}"]
    compiles_with_data(spec)
    assert cli("--spec", "spec.yaml", "--format", "json", cwd=tmp_path).returncode == 2  # JSON and a spec on stdout
