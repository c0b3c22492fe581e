"""Stage 4 — graph: the relational graph (networkx) and every check on it.

Nodes are ``table:<name>``; an edge child → parent per foreign key (``context`` attribute). The
stage reports every problem at once, derives each table's roles (subject / linked / context) and a
parents-first order, and stores both on the model.
"""

from __future__ import annotations

import networkx as nx

from .codes import make
from .diagnostics import Diagnostic, Related
from .model import Model, TableIR

ROLE_ORDER = ("subject", "linked", "context")


def node(name: str) -> str:
    return f"table:{name}"


def build_graph(model: Model) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for t in model.tables.values():
        g.add_node(node(t.name), table=t.name)
    for t in model.tables.values():
        for fk in t.foreign_keys:
            if fk.references in model.tables:
                g.add_edge(node(t.name), node(fk.references), key=fk.index, context=fk.context,
                           columns=fk.columns)
    return g


def derive_roles(model: Model) -> dict[str, tuple[str, ...]]:
    roles: dict[str, set[str]] = {n: set() for n in model.tables}
    for t in model.tables.values():
        ctx = [fk for fk in t.foreign_keys if fk.context]
        roles[t.name].add("linked" if ctx else "subject")
        for fk in ctx:
            if fk.references in roles:
                roles[fk.references].add("context")
    return {n: tuple(r for r in ROLE_ORDER if r in rs) for n, rs in roles.items()}


def check(model: Model) -> tuple[nx.MultiDiGraph, list[Diagnostic]]:
    """Stage entry point."""
    doc = model.doc
    diags: list[Diagnostic] = []
    tables = model.tables

    context_parents = {fk.references for t in tables.values() for fk in t.foreign_keys
                       if fk.context and fk.references != t.name}
    for t in tables.values():
        diags += _check_table_fks(model, t)
        diags += _check_columns(model, t, t.name in context_parents)

    g = build_graph(model)
    ctx = nx.DiGraph()
    ctx.add_nodes_from(g.nodes)
    for u, v, data in g.edges(data=True):
        if data["context"] and u != v:
            ctx.add_edge(u, v)
    for cycle in sorted(sorted(c) for c in nx.simple_cycles(ctx)):
        names = [c.split(":", 1)[1] for c in cycle]
        first = tables[names[0]]
        fk = next(f for f in first.foreign_keys if f.context and f.references in names)
        ring = " → ".join(_cycle_order(ctx, cycle) + [_cycle_order(ctx, cycle)[0]])
        diags.append(make(
            "G005", f"context foreign keys form a cycle: {ring}", span=doc.locate(fk.path + ("context",)),
            path=fk.path, related=[Related(doc.locate(f.path + ("context",)), f"context FK of `{n}`")
                                   for n in names[1:] for f in tables[n].foreign_keys
                                   if f.context and f.references != n and node(f.references) in cycle],
            help="a context FK makes the child a sequence of its parent; set `context: false` on one FK of the cycle"))

    roles = derive_roles(model)
    model.roles = roles
    for t in tables.values():
        for r in t.declared_roles:
            if r not in roles[t.name]:
                why = {
                    "subject": "it has a context foreign key, so it is generated per parent (linked)",
                    "linked": "it has no context foreign key, so it is a top-level subject table",
                    "context": "no table references it through a context foreign key",
                }[r]
                diags.append(make("G009", f"`{t.name}` is declared `{r}`, but {why}",
                                  span=doc.locate(t.path + ("role",)), path=t.path + ("role",),
                                  help=f"the graph gives `{t.name}` the roles: {', '.join(roles[t.name])}"))

    size = model.generation.get("size") or {}
    for tname in size:
        spath = ("generation", "size", tname)
        if tname not in tables:
            diags.append(make("G014", f"`generation.size` names unknown table `{tname}`",
                              span=doc.locate(spath, key=True), path=spath))
        elif "subject" not in roles[tname]:
            ctxfk = tables[tname].context_fk
            root = _root_of(tables, tname)
            diags.append(make("G010", f"`{tname}` is linked to `{ctxfk.references}`; its size follows its parents and "
                                      f"`generation.size.{tname}` is ignored by the engine",
                              span=doc.locate(spath, key=True), path=spath,
                              help=f"remove it, or size the subject table `{root}` instead" if root != tname
                              else "remove it"))

    if len(tables) > 1:
        connected = {n for e in g.edges() for n in e}
        for t in tables.values():  # a broken FK (reported above) still relates its table
            if t.foreign_keys:
                connected.add(node(t.name))
        for t in tables.values():
            if node(t.name) not in connected:
                diags.append(make("G013", f"`{t.name}` has no relation to any other table; it is generated independently",
                                  span=doc.locate(t.path, key=True), path=t.path,
                                  help="fine for a lookup table; otherwise declare its foreign keys"))
    model.order = _parents_first(model, g)
    return g, diags


def _cycle_order(ctx: nx.DiGraph, cycle: list[str]) -> list[str]:
    start = min(cycle)
    out, cur, members = [start], start, set(cycle)
    while True:
        nxt = sorted(n for n in ctx.successors(cur) if n in members)
        if not nxt or nxt[0] == start or nxt[0] in out:
            break
        out.append(nxt[0])
        cur = nxt[0]
    return [o.split(":", 1)[1] for o in out]


def _root_of(tables: dict[str, TableIR], name: str) -> str:
    seen = []
    while name not in seen:
        seen.append(name)
        fk = tables[name].context_fk
        if fk is None or fk.references not in tables:
            return name
        name = fk.references
    return seen[0]  # a context cycle has no root


def _check_table_fks(model: Model, t: TableIR) -> list[Diagnostic]:
    doc, tables = model.doc, model.tables
    diags = []
    first_ctx = None
    col_owner: dict[str, int] = {}
    for fk in t.foreign_keys:
        ref_span = doc.locate(fk.path + ("references",))
        for c in fk.columns:
            if c in col_owner:
                diags.append(make("G015", f"column `{t.name}.{c}` is used by two foreign keys",
                                  span=doc.locate(fk.path + ("columns",)), path=fk.path,
                                  related=[Related(doc.locate(t.foreign_keys[col_owner[c]].path + ("columns",)),
                                                   "also used here")],
                                  help="a column can hold one relation; split it or remove one foreign key"))
            else:
                col_owner[c] = fk.index
        if fk.context:
            if fk.references == t.name:
                diags.append(make("G006", f"`{t.name}` has a context foreign key to itself",
                                  span=doc.locate(fk.path + ("context",)), path=fk.path,
                                  help="a self-reference (e.g. manager → employee) must be `context: false`"))
            if first_ctx is not None:
                diags.append(make("G004", f"`{t.name}` has more than one context foreign key",
                                  span=doc.locate(fk.path + ("context",)), path=fk.path,
                                  related=[Related(doc.locate(first_ctx.path + ("context",)), "first context FK")],
                                  help="a table is a sequence of at most one parent; set `context: false` on the others"))
            else:
                first_ctx = fk
        parent = tables.get(fk.references)
        if parent is None:
            from .schema import did_you_mean

            guess = did_you_mean(fk.references, [n for n in tables if n != t.name])
            diags.append(make("G001", f"foreign key of `{t.name}` references unknown table `{fk.references}`",
                              span=ref_span, path=fk.path + ("references",),
                              help=f"did you mean `{guess}`?" if guess else f"tables: {', '.join(tables)}"))
            continue
        if not parent.primary_key:
            diags.append(make("G007", f"`{t.name}` references `{parent.name}`, which has no primary key",
                              span=ref_span, path=fk.path + ("references",),
                              related=[Related(doc.locate(parent.path, key=True), f"`{parent.name}` is defined here")],
                              help=f"declare `primary_key:` on `{parent.name}`; a foreign key always references it"))
            continue
        if len(fk.columns) != len(parent.primary_key):
            diags.append(make(
                "G003", f"foreign key lists {len(fk.columns)} column(s) but the primary key of `{parent.name}` has "
                        f"{len(parent.primary_key)} ({', '.join(parent.primary_key)})",
                span=doc.locate(fk.path + ("columns",)), path=fk.path + ("columns",),
                related=[Related(doc.locate(parent.path + ("primary_key",)), "the referenced primary key")],
                help="list one child column per primary-key column, in the same order"))
        if fk.referenced_columns is not None and tuple(fk.referenced_columns) != tuple(parent.primary_key):
            diags.append(make(
                "G002", f"foreign key references `{parent.name}({', '.join(fk.referenced_columns)})`, which is not "
                        f"its primary key ({', '.join(parent.primary_key)})",
                span=doc.locate(fk.path + ("referenced_columns",)), path=fk.path + ("referenced_columns",),
                help="MOSTLY AI foreign keys always reference the primary key; reference it, or change the parent's key"))
    if t.primary_key:
        pk = set(t.primary_key)
        for fk in t.foreign_keys:
            if len(t.primary_key) == 1 and t.primary_key[0] in fk.columns or set(fk.columns) == pk:
                diags.append(make(
                    "G008", f"`{', '.join(fk.columns)}` is both the primary key and a foreign key of `{t.name}`",
                    span=doc.locate(fk.path + ("columns",)), path=fk.path + ("columns",),
                    related=[Related(doc.locate(t.path + ("primary_key",)), "primary key")],
                    help="the engine cannot model a key that is both; for a 1:1 extension table keep only the foreign key"))
    return diags


def _check_columns(model: Model, t: TableIR, is_context: bool) -> list[Diagnostic]:
    doc = model.doc
    diags = []
    keys = t.key_columns
    has_ctx = t.context_fk is not None
    for c in t.columns:
        if c.name in keys and c.encoding != "AUTO":
            diags.append(make("G012", f"`{t.name}.{c.name}` is a key column; its encoding `{c.authored}` is ignored",
                              span=doc.locate(c.path + (("encoding",) if not isinstance(_raw(doc, c.path), str) else ())),
                              path=c.path, help="keys are not modelled: the engine regenerates them; remove the encoding"))
            continue
        if c.encoding == "TABULAR_DATETIME_RELATIVE" and not c.exclude:
            span = doc.locate(c.path + (("encoding",) if not isinstance(_raw(doc, c.path), str) else ()))
            if not has_ctx:
                diags.append(make("G011", f"`{t.name}.{c.name}` uses `datetime_relative`, but `{t.name}` has no "
                                          "context foreign key", span=span, path=c.path,
                                  help="relative datetimes model the time between events of a sequence; use `datetime`"))
            elif is_context:
                diags.append(make("G016", f"`{t.name}` is the context of another table; the engine drops "
                                          f"`datetime_relative` on `{c.name}`", span=span, path=c.path,
                                  help="use `datetime`"))
    return diags


def _raw(doc, path):
    node = doc.data
    for p in path:
        node = node[p]
    return node


def _parents_first(model: Model, g: nx.MultiDiGraph) -> list[str]:
    """Topological order over context FKs (parents first), authored order as the tie-break."""
    authored = {n: i for i, n in enumerate(model.tables)}
    dg = nx.DiGraph()
    dg.add_nodes_from(model.tables)
    for t in model.tables.values():
        for fk in t.foreign_keys:
            if fk.references in model.tables and fk.references != t.name:
                was = dg.edges[fk.references, t.name]["context"] if dg.has_edge(fk.references, t.name) else False
                dg.add_edge(fk.references, t.name, context=was or fk.context)
    try:
        return list(nx.lexicographical_topological_sort(dg, key=lambda n: authored[n]))
    except nx.NetworkXUnfeasible:
        ctx = nx.DiGraph()
        ctx.add_nodes_from(model.tables)
        ctx.add_edges_from((u, v) for u, v, d in dg.edges(data=True) if d["context"])
        try:
            return list(nx.lexicographical_topological_sort(ctx, key=lambda n: authored[n]))
        except nx.NetworkXUnfeasible:
            return list(model.tables)
