"""Stage 1 — load: YAML text → plain Python data + a node tree for locating diagnostics.

Design (measured, see ``tests/bench/bench_compile.py``): the round-trip loader of ruamel.yaml is
several times slower than libyaml, so compile parses with libyaml's C composer (PyYAML's
``CSafeLoader``; pure-Python fallback if libyaml is missing) into *nodes* only. Our own small
constructor turns nodes into dicts/lists/scalars, with YAML 1.2 core-schema scalars (``yes``/``on``
stay strings, dates stay strings), duplicate-key detection, a node budget that stops alias bombs, and
no tag that can construct Python objects. Positions are not copied into the data: a diagnostic
resolves its JSON path back to a node with :meth:`Document.locate` only when it is reported, so
clean specs pay nothing for locations. ruamel.yaml is used only where comments must survive an edit
(``synthspec infer --write``).
"""

from __future__ import annotations

import hashlib
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .codes import make
from .diagnostics import Diagnostic, Related, Span

MAX_FILE_BYTES = 10 * 1024 * 1024  # a spec is hand-written text; 10 MB is far beyond any real one
MAX_DEPTH = 64
#: nodes visited while constructing (aliases counted each time they are expanded)
MAX_NODES_FLOOR = 200_000
MAX_NODES_PER_BYTE = 2  # a budget proportional to the text: aliases may at most ~double the data

_T = "tag:yaml.org,2002:"
STR, INT, FLOAT, BOOL, NULL, TS, MERGE, VALUE, MAP, SEQ = (
    _T + s for s in ("str", "int", "float", "bool", "null", "timestamp", "merge", "value", "map", "seq")
)
_SCALAR_TAGS = {STR, INT, FLOAT, BOOL, NULL, TS, VALUE}

# YAML 1.2 core schema
_NULL_RE = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL_RE = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT_RE = re.compile(r"^[-+]?[0-9]+$")
_OCT_RE = re.compile(r"^0o[0-7]+$")
_HEX_RE = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT_RE = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF_RE = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN_RE = re.compile(r"^\.(?:nan|NaN|NAN)$")


def resolve_plain(value: str) -> Any:
    """Resolve a plain (unquoted) scalar with the YAML 1.2 core schema."""
    if _NULL_RE.match(value):
        return None
    if _BOOL_RE.match(value):
        return value[0] in "tT"
    if _INT_RE.match(value):
        return int(value)
    if _HEX_RE.match(value):
        return int(value[2:], 16)
    if _OCT_RE.match(value):
        return int(value[2:], 8)
    if _FLOAT_RE.match(value):
        return float(value)
    if _INF_RE.match(value):
        return -math.inf if value[0] == "-" else math.inf
    if _NAN_RE.match(value):
        return math.nan
    return value


class LoadAbort(Exception):
    """Raised inside the constructor to stop at the first fatal load problem."""

    def __init__(self, diag: Diagnostic):
        super().__init__(diag.message)
        self.diag = diag


@dataclass
class Document:
    """A loaded YAML file: its data, its text, and its node tree for locating paths."""

    path: str
    text: str
    data: Any
    root: Any = None  # yaml.Node
    sha256: str = ""
    _index: dict = field(default_factory=dict, repr=False)

    # -- locating -------------------------------------------------------------------------
    def _pairs(self, node) -> dict:
        """key → (key_node, value_node) for a mapping node, merges included (own keys win)."""
        cached = self._index.get(id(node))
        if cached is not None:
            return cached
        out: dict = {}
        merged: list = []
        for k, v in node.value:
            if getattr(k, "tag", None) == MERGE or (k.value == "<<" and not k.style):
                merged.extend(v.value if v.id == "sequence" else [v])
                continue
            out.setdefault(k.value, (k, v))
        for m in merged:
            if m.id == "mapping":
                for key, kv in self._pairs(m).items():
                    out.setdefault(key, kv)
        self._index[id(node)] = out
        return out

    def node_at(self, path) -> tuple[Any, Any, int]:
        """Walk ``path``; return (key_node, value_node, depth reached)."""
        node, key_node, depth = self.root, None, 0
        for part in path:
            if node is None:
                break
            if node.id == "mapping":
                hit = self._pairs(node).get(str(part))
                if hit is None:
                    break
                key_node, node = hit
            elif node.id == "sequence" and isinstance(part, int) and 0 <= part < len(node.value):
                key_node, node = None, node.value[part]
            else:
                break
            depth += 1
        return key_node, node, depth

    def locate(self, path, *, key: bool = False) -> Span:
        """Span of the node at ``path`` (its key when ``key``); the deepest existing parent otherwise."""
        if self.root is None:  # built from a dict, not parsed: no positions, the JSON path locates
            return Span(file=self.path)
        key_node, node, depth = self.node_at(tuple(path))
        if depth < len(tuple(path)):
            # missing key: point at the parent's key (or the parent node itself at the top)
            target = key_node or node
        else:
            target = key_node if (key and key_node is not None) else node
        if target is None:
            return Span(file=self.path)
        return Span.from_marks(self.path, target.start_mark, target.end_mark)


_RESOLVER = None


def _yaml11_tag(value: str) -> str:
    """The tag PyYAML's YAML 1.1 resolver gives a plain scalar (to tell explicit `!!str` apart)."""
    global _RESOLVER
    if _RESOLVER is None:
        import yaml

        _RESOLVER = yaml.resolver.Resolver()
    import yaml

    return _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))


def _loader():
    import yaml

    return getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def load_text(text: str, path: str = "<string>") -> tuple[Document | None, list[Diagnostic]]:
    """Parse YAML text into a :class:`Document`. Never raises for bad input."""
    import yaml

    if len(text.encode("utf-8", "surrogatepass")) > MAX_FILE_BYTES:
        return None, [make("Y004", f"spec is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB",
                           span=Span(file=path), help="split the spec: one spec per dataset")]
    doc = Document(path=path, text=text, data=None, sha256=hashlib.sha256(text.encode("utf-8")).hexdigest())
    try:
        nodes = []
        loader = _loader()(text)
        try:
            while loader.check_node():
                nodes.append(loader.get_node())
                if len(nodes) > 1:
                    break
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        msg = (exc.problem or str(exc)).strip()
        if exc.context:
            msg = f"{msg} ({exc.context.strip()})"
        if "found undefined alias" in msg or "found unhashable key" in msg:
            pass
        return None, [make("Y001", f"invalid YAML: {msg}", span=Span.from_marks(path, mark),
                           help="check indentation, quoting and that every `key: value` has a space after the colon")]
    except yaml.reader.ReaderError as exc:  # control characters such as NUL
        pos = exc.position if isinstance(exc.position, int) else 0
        line = text.count("\n", 0, pos) + 1
        col = pos - (text.rfind("\n", 0, pos) + 1) + 1
        return None, [make("Y001", f"invalid YAML: {exc.reason} (character {exc.character!r} is not allowed)",
                           span=Span(file=path, line=line, column=col),
                           help="remove the control character; YAML allows printable text, tabs and newlines")]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "mark", None)
        return None, [make("Y001", f"invalid YAML: {exc}", span=Span.from_marks(path, mark) if mark else Span(file=path))]
    except RecursionError:
        return None, [make("Y005", "the YAML is nested too deeply", span=Span(file=path, line=1, column=1))]
    if len(nodes) > 1:
        return None, [make("Y008", "the file holds more than one YAML document",
                           span=Span.from_marks(path, nodes[1].start_mark),
                           help="keep one spec per file; remove the `---` separator")]
    if not nodes or nodes[0].id != "mapping":
        span = Span.from_marks(path, nodes[0].start_mark) if nodes else Span(file=path, line=1, column=1)
        return None, [make("Y007", "the spec must be a YAML mapping (`spec_version: 1`, `tables: ...`)",
                           span=span, help="start from `synthspec init DIR`")]
    doc.root = nodes[0]
    budget = max(MAX_NODES_FLOOR, MAX_NODES_PER_BYTE * len(text))
    builder = _Builder(doc, budget)
    try:
        doc.data = builder.build(doc.root, 0)
    except LoadAbort as exc:
        return None, builder.diags + [exc.diag]
    except RecursionError:
        return None, [make("Y005", "the YAML is nested too deeply", span=Span(file=path, line=1, column=1))]
    if builder.diags:
        return (None if any(d.severity >= 3 for d in builder.diags) else doc), builder.diags
    return doc, []


def load_file(path: str | Path, *, display: str | None = None) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse a spec file. ``display`` is the path shown in diagnostics."""
    p = Path(path)
    shown = display or str(path)
    try:
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [make("Y004", f"spec is {size:,} bytes, over the limit of {MAX_FILE_BYTES:,} bytes (10 MiB)",
                               span=Span(file=shown), help="split the spec: one spec per dataset")]
        raw = p.read_bytes()
    except OSError as exc:
        return None, [make("Y003", f"cannot read spec: {exc.strerror or exc}", span=Span(file=shown))]
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return None, [make("Y003", f"spec is not valid UTF-8 (byte {exc.start})", span=Span(file=shown),
                           help="save the file as UTF-8")]
    return load_text(text, shown)


class _Builder:
    """Nodes → plain data, with duplicate-key checks, tag policy and a node budget."""

    def __init__(self, doc: Document, budget: int):
        self.doc = doc
        self.budget = budget
        self.seen = 0
        self.diags: list[Diagnostic] = []

    def _span(self, node) -> Span:
        return Span.from_marks(self.doc.path, node.start_mark, node.end_mark)

    def _tick(self, node):
        self.seen += 1
        if self.seen > self.budget:
            raise LoadAbort(make(
                "Y005", f"anchors and aliases expand to more than {self.budget:,} nodes",
                span=self._span(node), help="expand the aliases by hand or simplify the spec"))

    def build(self, node, depth: int):
        if depth > MAX_DEPTH:
            raise LoadAbort(make("Y005", f"the YAML is nested deeper than {MAX_DEPTH} levels", span=self._span(node)))
        self._tick(node)
        kind = node.id
        if kind == "scalar":
            return self.scalar(node)
        if kind == "sequence":
            if node.tag != SEQ:
                self._bad_tag(node)
            return [self.build(n, depth + 1) for n in node.value]
        if node.tag != MAP:
            self._bad_tag(node)
        return self.mapping(node, depth)

    def _bad_tag(self, node):
        self.diags.append(make(
            "Y006", f"YAML tag `{node.tag.replace(_T, '!!')}` is not allowed in a spec", span=self._span(node),
            help="specs are plain data: remove the tag (only strings, numbers, booleans, null, lists and mappings)"))

    def scalar(self, node):
        tag, value = node.tag, node.value
        if tag not in _SCALAR_TAGS:
            self._bad_tag(node)
            return value
        if not node.style:  # plain (None in PyYAML, '' in its C composer)
            res = resolve_plain(value)
            if tag == STR:
                if not isinstance(res, str) and _yaml11_tag(value) != STR:
                    return value  # an explicit `!!str 12`
                return res
            fits = {INT: isinstance(res, int) and not isinstance(res, bool),
                    FLOAT: isinstance(res, (int, float)) and not isinstance(res, bool),
                    BOOL: isinstance(res, bool), NULL: res is None}.get(tag, True)
            if fits or _yaml11_tag(value) == tag:
                return float(res) if tag == FLOAT and isinstance(res, int) and not isinstance(res, bool) else res  # implicit (YAML 1.1 `yes` stays a 1.2 string) or a fitting explicit tag
            # an explicit tag the value does not fit (`!!int abc`): same rules as quoted scalars
        # quoted or block scalar: a string unless explicitly tagged
        if node.style and tag in (STR, TS, VALUE):
            return value
        res = resolve_plain(value)
        if tag == INT and isinstance(res, int) and not isinstance(res, bool):
            return res
        if tag == FLOAT and isinstance(res, (int, float)) and not isinstance(res, bool):
            return float(res)
        if tag == BOOL and isinstance(res, bool):
            return res
        if tag == NULL and res is None:
            return None
        self.diags.append(make("Y006", f"`{value}` cannot be read as `{tag.replace(_T, '!!')}`", span=self._span(node)))
        return value

    def mapping(self, node, depth: int) -> dict:
        out: dict = {}
        first: dict = {}
        merges = []
        for knode, vnode in node.value:
            if knode.id != "scalar":
                self.diags.append(make("Y009", "mapping keys must be plain scalars", span=self._span(knode)))
                continue
            if knode.tag == MERGE or (knode.value == "<<" and not knode.style):
                merges.append(vnode)
                continue
            if knode.tag not in _SCALAR_TAGS:
                self._bad_tag(knode)
            key = knode.value
            if key in first:
                prev = first[key]
                self.diags.append(make(
                    "Y002", f"duplicate key `{key}`", span=self._span(knode),
                    related=[Related(self._span(prev), "first defined here")],
                    help="YAML keeps only one of them; remove or rename the other"))
                continue
            first[key] = knode
            self._tick(knode)
            out[key] = self.build(vnode, depth + 1)
        for m in merges:  # `<<: *defaults` — explicit keys win, earlier merges win over later ones
            sources = m.value if m.id == "sequence" else [m]
            for src in sources:
                if src.id != "mapping":
                    self.diags.append(make("Y001", "a merge key `<<` must refer to a mapping", span=self._span(src)))
                    continue
                for k, v in self.mapping(src, depth + 1).items():
                    out.setdefault(k, v)
        return out
