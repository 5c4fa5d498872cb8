"""``KnowledgeGraph``: RDF files in one store, each triple with the source it came from.

Three stores behind one class, chosen by name (as in a bundle's ``bundle.toml``):

* ``"oxigraph"`` (the default): Oxigraph, an embedded RDF database written in Rust
  (through ``pyoxigraph``), in memory or in a folder;
* ``"memory"``: rdflib's in-memory store;
* an ``http(s)://`` URL: a remote SPARQL endpoint (SPARQL 1.1 query, update and graph
  store protocols, e.g. ``oxigraph serve``).

Whichever store, users see rdflib: :attr:`KnowledgeGraph.rdflib` is an ``rdflib.Dataset``
over the same data. Every file is loaded into a named graph of its own (``file:`` IRI of
the file), or into the named graphs it declares itself (N-Quads, TriG), so a triple
always says where it came from.
"""

from __future__ import annotations

import hashlib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import pyoxigraph as ox

from nesy.errors import KnowledgeError, Location

if TYPE_CHECKING:
    import rdflib

__all__ = ["FORMATS", "INFERRED", "STORES", "KnowledgeGraph", "LoadReport"]

#: File extensions and the RDF format each is read as.
FORMATS: dict[str, ox.RdfFormat] = {
    ".ttl": ox.RdfFormat.TURTLE,
    ".turtle": ox.RdfFormat.TURTLE,
    ".nt": ox.RdfFormat.N_TRIPLES,
    ".nq": ox.RdfFormat.N_QUADS,
    ".trig": ox.RdfFormat.TRIG,
    ".jsonld": ox.RdfFormat.JSON_LD,
    ".json": ox.RdfFormat.JSON_LD,
    ".rdf": ox.RdfFormat.RDF_XML,
    ".owl": ox.RdfFormat.RDF_XML,
    ".xml": ox.RdfFormat.RDF_XML,
}
_FORMAT_NAMES = {"turtle": ox.RdfFormat.TURTLE, "ttl": ox.RdfFormat.TURTLE,
                 "nt": ox.RdfFormat.N_TRIPLES, "ntriples": ox.RdfFormat.N_TRIPLES,
                 "n-triples": ox.RdfFormat.N_TRIPLES, "nquads": ox.RdfFormat.N_QUADS,
                 "n-quads": ox.RdfFormat.N_QUADS, "trig": ox.RdfFormat.TRIG,
                 "json-ld": ox.RdfFormat.JSON_LD, "jsonld": ox.RdfFormat.JSON_LD,
                 "xml": ox.RdfFormat.RDF_XML, "rdf/xml": ox.RdfFormat.RDF_XML}
_T = TypeVar("_T")

#: The stores, by name; any http(s) URL names a remote SPARQL endpoint.
STORES = ("oxigraph", "memory")
#: The named graph that holds the triples inferred by ontology reasoning.
INFERRED = "urn:nesy:inferred"


@dataclass(frozen=True)
class LoadReport:
    """What a load added: the files read and the triples in each source graph."""

    files: tuple[str, ...]
    triples: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.triples.values())


class KnowledgeGraph:
    """RDF triples from files, with their sources, behind rdflib.

    >>> kg = KnowledgeGraph()
    >>> kg.load_string('@prefix ex: <http://example.org/> . ex:ann a ex:Patient .',
    ...                source="inline").total
    1
    >>> len(kg)
    1
    """

    def __init__(self, store: str = "oxigraph", path: str | Path | None = None) -> None:
        self.store_name = store
        self._backend = _backend(store, path)
        self._hash = hashlib.sha256()
        self._derived: dict[str, tuple[tuple[str, int], Any]] = {}

    # ------------------------------------------------------------------ loading

    def load(self, path: str | Path, format: str | None = None) -> LoadReport:
        """Load an RDF file, or every RDF file under a folder (by extension).

        All files are parsed before any triple is added: a parse error (a
        :class:`KnowledgeError` naming file and line) leaves the graph as it was.
        """
        path = Path(path)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.suffix.lower() in FORMATS
                           and p.is_file())
        elif path.is_file():
            files = [path]
        else:
            raise KnowledgeError(f"no such file or folder: {path}", Location(str(path)))
        parsed: list[tuple[str, list[ox.Quad]]] = []
        digests = []
        for file in files:
            data = _read(file)
            rdf_format = _format_of(file, format)
            source = file.resolve().as_uri()
            parsed.append((str(file), _parse(data, rdf_format, str(file), source)))
            digests.append(hashlib.sha256(data).digest())
        return self._add(parsed, digests)

    def load_string(self, text: str | bytes, format: str = "turtle",
                    source: str = "inline") -> LoadReport:
        """Load RDF from text; ``source`` names its graph (an IRI, or a name made one)."""
        data = text.encode() if isinstance(text, str) else text
        rdf_format = _FORMAT_NAMES.get(format.lower())
        if rdf_format is None:
            raise KnowledgeError(f"unknown RDF format {format!r} (known: "
                                 f"{', '.join(sorted(_FORMAT_NAMES))})")
        graph = source if ":" in source else f"urn:nesy:source:{urllib.parse.quote(source)}"
        quads = _parse(data, rdf_format, source, graph)
        return self._add([(source, quads)], [hashlib.sha256(data).digest()])

    def _add(self, parsed: list[tuple[str, list[ox.Quad]]], digests: list[bytes]) -> LoadReport:
        counts: dict[str, int] = {}
        quads: list[ox.Quad] = []
        for _, file_quads in parsed:
            quads += file_quads
            for quad in file_quads:
                key = _graph_name(quad.graph_name)
                counts[key] = counts.get(key, 0) + 1
        try:
            self._backend.add(quads)
        except KnowledgeError:
            raise
        except Exception as exc:  # a store that fails half-way: say so, do not hide it
            raise KnowledgeError(f"the {self.store_name} store refused the triples: {exc}") \
                from exc
        for digest in digests:
            self._hash.update(digest)
        return LoadReport(tuple(name for name, _ in parsed), counts)

    # ------------------------------------------------------------------- access

    def __len__(self) -> int:
        return self._backend.count()

    def derived(self, name: str, compute: Callable[[], _T]) -> _T:
        """``compute()``, kept until the graph changes (an index over its triples)."""
        state = (self._hash.hexdigest(), len(self))
        cached = self._derived.get(name)
        if cached is None or cached[0] != state:
            cached = (state, compute())
            self._derived[name] = cached
        return cached[1]

    @property
    def content_hash(self) -> str:
        """sha256 over the bytes of everything loaded, in order: a cache key."""
        return self._hash.copy().hexdigest()

    def sources(self) -> dict[str, int]:
        """Triples per source graph."""
        counts: dict[str, int] = {}
        for row in self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                               "GROUP BY ?g"):
            counts[_graph_name(row["g"])] = int(row["n"].value)
        return counts

    def quads(self, subject: Any = None, predicate: Any = None, object: Any = None,
              graph: Any = None) -> Iterator[ox.Quad]:
        """Quads matching a pattern (``None`` matches anything), across all graphs."""
        return self._backend.quads(subject, predicate, object, graph)

    def select(self, query: str) -> list[dict[str, Any]]:
        """Rows of a SPARQL SELECT over the union of all graphs (pyoxigraph terms)."""
        return self._backend.select(query)

    def construct(self, query: str) -> list[ox.Triple]:
        """Triples of a SPARQL CONSTRUCT over the union of all graphs."""
        return self._backend.construct(query)

    def update(self, update: str) -> None:
        """Run a SPARQL UPDATE."""
        self._backend.update(update)

    @property
    def rdflib(self) -> rdflib.Dataset:
        """The graph as an ``rdflib.Dataset`` over the same store (no copy)."""
        return self._backend.rdflib()


# ---------------------------------------------------------------------- helpers


def _read(file: Path) -> bytes:
    try:
        return file.read_bytes()
    except OSError as exc:
        raise KnowledgeError(f"cannot read {file}: {exc.strerror or exc}",
                             Location(str(file))) from exc


def _format_of(file: Path, format: str | None) -> ox.RdfFormat:
    if format is not None:
        rdf_format = _FORMAT_NAMES.get(format.lower())
        if rdf_format is None:
            raise KnowledgeError(f"unknown RDF format {format!r}", Location(str(file)))
        return rdf_format
    rdf_format = FORMATS.get(file.suffix.lower())
    if rdf_format is None:
        raise KnowledgeError(f"cannot tell the RDF format of {file.name} from its extension "
                             f"(known: {', '.join(sorted(FORMATS))})", Location(str(file)))
    return rdf_format


def _parse(data: bytes, rdf_format: ox.RdfFormat, name: str, graph: str) -> list[ox.Quad]:
    """Every quad of a document, triples placed in ``graph``; errors name file and line."""
    target = ox.NamedNode(graph)
    try:
        quads = []
        for quad in ox.parse(data, format=rdf_format, base_iri=graph,
                             without_named_graphs=False):
            if isinstance(quad.graph_name, ox.DefaultGraph):
                quad = ox.Quad(quad.subject, quad.predicate, quad.object, target)
            quads.append(quad)
        return quads
    except SyntaxError as exc:
        line = exc.lineno if isinstance(exc.lineno, int) else None
        column = exc.offset if isinstance(exc.offset, int) else None
        message = str(exc.msg if exc.msg else exc)
        raise KnowledgeError(message, Location(name, line, column)) from exc
    except (ValueError, OSError) as exc:
        raise KnowledgeError(str(exc), Location(name)) from exc


def _graph_name(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.DefaultGraph):
        return "default"
    return str(term)


def _backend(store: str, path: str | Path | None) -> _Backend:
    if store == "oxigraph":
        return _Oxigraph(path)
    if store == "memory":
        if path is not None:
            raise KnowledgeError("the memory store keeps nothing on disk: give no path")
        return _Rdflib()
    if store.startswith(("http://", "https://")):
        return _Remote(store)
    raise KnowledgeError(f"unknown store {store!r} (known: {', '.join(STORES)}, or the URL of "
                         "a SPARQL endpoint)")


class _Backend:
    """What a store does for the graph."""

    def add(self, quads: list[ox.Quad]) -> None:
        raise NotImplementedError

    def count(self) -> int:
        raise NotImplementedError

    def quads(self, s: Any, p: Any, o: Any, g: Any) -> Iterator[ox.Quad]:
        raise NotImplementedError

    def select(self, query: str) -> list[dict[str, Any]]:
        raise NotImplementedError

    def construct(self, query: str) -> list[ox.Triple]:
        raise NotImplementedError

    def update(self, update: str) -> None:
        raise NotImplementedError

    def rdflib(self) -> rdflib.Dataset:
        raise NotImplementedError


class _Oxigraph(_Backend):
    def __init__(self, path: str | Path | None) -> None:
        try:
            self.store = ox.Store(str(path)) if path is not None else ox.Store()
        except OSError as exc:
            raise KnowledgeError(f"cannot open the Oxigraph store at {path}: {exc}") from exc

    def add(self, quads: list[ox.Quad]) -> None:
        self.store.bulk_extend(quads)  # one transaction: all or nothing

    def count(self) -> int:
        return len(self.store)

    def quads(self, s: Any, p: Any, o: Any, g: Any) -> Iterator[ox.Quad]:
        return iter(self.store.quads_for_pattern(s, p, o, g))

    def select(self, query: str) -> list[dict[str, Any]]:
        try:
            solutions = self.store.query(query, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise KnowledgeError(f"SPARQL syntax error: {exc}") from exc
        if not isinstance(solutions, ox.QuerySolutions):
            raise KnowledgeError("expected a SPARQL SELECT query")
        names = [v.value for v in solutions.variables]
        return [{name: row[name] for name in names if row[name] is not None}
                for row in solutions]

    def construct(self, query: str) -> list[ox.Triple]:
        try:
            triples = self.store.query(query, use_default_graph_as_union=True)
        except SyntaxError as exc:
            raise KnowledgeError(f"SPARQL syntax error: {exc}") from exc
        if not isinstance(triples, ox.QueryTriples):
            raise KnowledgeError("expected a SPARQL CONSTRUCT query")
        return list(triples)

    def update(self, update: str) -> None:
        try:
            self.store.update(update)
        except SyntaxError as exc:
            raise KnowledgeError(f"SPARQL syntax error: {exc}") from exc

    def rdflib(self) -> rdflib.Dataset:
        import rdflib
        from oxrdflib import OxigraphStore

        return rdflib.Dataset(store=OxigraphStore(store=self.store))


class _Rdflib(_Backend):
    """rdflib's memory store; SPARQL runs in rdflib (the reference, and the slow one)."""

    def __init__(self) -> None:
        import rdflib

        self.dataset = rdflib.Dataset(default_union=True)

    def add(self, quads: list[ox.Quad]) -> None:
        from ._rdflib_terms import to_rdflib

        try:
            converted = [(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object),
                          self.dataset.graph(to_rdflib(q.graph_name))) for q in quads]
        except TypeError as exc:
            raise KnowledgeError(f"the memory store (rdflib) cannot hold this triple: {exc}; "
                                 "RDF 1.2 triple terms need the oxigraph store (or write "
                                 "confidences as reified rdf:Statements)") from exc
        self.dataset.addN(converted)

    def count(self) -> int:
        return sum(1 for _ in self.dataset.quads((None, None, None, None)))

    def quads(self, s: Any, p: Any, o: Any, g: Any) -> Iterator[ox.Quad]:
        from ._rdflib_terms import from_rdflib, to_rdflib

        pattern: Any = tuple(None if t is None else to_rdflib(t) for t in (s, p, o, g))
        for qs, qp, qo, qg in self.dataset.quads(pattern):
            graph: Any = getattr(qg, "identifier", qg)
            yield ox.Quad(from_rdflib(qs), from_rdflib(qp), from_rdflib(qo),
                          from_rdflib(graph))

    def select(self, query: str) -> list[dict[str, Any]]:
        from ._rdflib_terms import from_rdflib

        try:
            result: Any = self.dataset.query(query)
        except Exception as exc:
            raise KnowledgeError(f"SPARQL error: {exc}") from exc
        names = [str(v) for v in result.vars or []]
        return [{name: from_rdflib(row[name]) for name in names if row[name] is not None}
                for row in result]

    def construct(self, query: str) -> list[ox.Triple]:
        from ._rdflib_terms import from_rdflib

        try:
            result: Any = self.dataset.query(query)
        except Exception as exc:
            raise KnowledgeError(f"SPARQL error: {exc}") from exc
        return [ox.Triple(from_rdflib(s), from_rdflib(p), from_rdflib(o))
                for s, p, o in result]

    def update(self, update: str) -> None:
        try:
            self.dataset.update(update)
        except Exception as exc:
            raise KnowledgeError(f"SPARQL error: {exc}") from exc

    def rdflib(self) -> rdflib.Dataset:
        return self.dataset


class _Remote(_Backend):
    """A SPARQL endpoint over HTTP: ``URL/query``, ``URL/update``, ``URL/store``.

    The URL is the server's root (as ``oxigraph serve`` lays it out) or its query
    endpoint ending in ``/query`` or ``/sparql``.
    """

    def __init__(self, url: str) -> None:
        root = url.rstrip("/")
        for suffix in ("/query", "/sparql"):
            if root.endswith(suffix):
                root = root[: -len(suffix)]
        self.root = root
        self.query_url = f"{root}/query"
        self.update_url = f"{root}/update"
        self.store_url = f"{root}/store"

    def _request(self, url: str, data: bytes, content_type: str,
                 accept: str = "*/*") -> bytes:
        request = urllib.request.Request(url, data=data, method="POST",
                                         headers={"Content-Type": content_type,
                                                  "Accept": accept})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return bytes(response.read())
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode(errors="replace").strip()
            raise KnowledgeError(f"the SPARQL endpoint {url} answered {exc.code}: "
                                 f"{detail[:300]}") from exc
        except (urllib.error.URLError, OSError) as exc:
            raise KnowledgeError(f"cannot reach the SPARQL endpoint {url}: {exc}") from exc

    def add(self, quads: list[ox.Quad]) -> None:
        data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
        assert data is not None
        self._request(self.store_url, data, "application/n-quads")

    def count(self) -> int:
        rows = self.select("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION "
                           "{ GRAPH ?g { ?s ?p ?o } } }")
        return int(rows[0]["n"].value) if rows else 0

    def quads(self, s: Any, p: Any, o: Any, g: Any) -> Iterator[ox.Quad]:
        terms = {"s": s, "p": p, "o": o, "g": g}
        pattern = {k: (str(v) if v is not None else f"?{k}") for k, v in terms.items()}
        query = (f"SELECT * WHERE {{ GRAPH {pattern['g']} "
                 f"{{ {pattern['s']} {pattern['p']} {pattern['o']} }} }}")
        for row in self.select(query):
            yield ox.Quad(row.get("s", s), row.get("p", p), row.get("o", o), row.get("g", g))

    def select(self, query: str) -> list[dict[str, Any]]:
        body = self._request(self.query_url, query.encode(), "application/sparql-query",
                             "application/sparql-results+json")
        try:
            results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            raise KnowledgeError(f"unreadable answer from {self.query_url}: {exc}") from exc
        if not isinstance(results, ox.QuerySolutions):
            raise KnowledgeError("expected a SPARQL SELECT query")
        names = [v.value for v in results.variables]
        return [{name: row[name] for name in names if row[name] is not None}
                for row in results]

    def construct(self, query: str) -> list[ox.Triple]:
        body = self._request(self.query_url, query.encode(), "application/sparql-query",
                             "application/n-triples")
        return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]

    def update(self, update: str) -> None:
        self._request(self.update_url, update.encode(), "application/sparql-update")

    def rdflib(self) -> rdflib.Dataset:
        import rdflib
        from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

        store = SPARQLUpdateStore(self.query_url, self.update_url)
        return rdflib.Dataset(store=store)

