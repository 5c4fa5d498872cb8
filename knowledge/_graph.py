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

import contextlib
import hashlib
import urllib.error
import urllib.parse
import urllib.request
import warnings
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
        self._derived: dict[str, tuple[int, Any]] = {}
        self._generation = 0  # counts changes, for derived()

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
        if isinstance(self._backend, _Oxigraph):
            fast = self._load_into_store(files, format)
            if fast is not None:
                return fast
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

    def _load_into_store(self, files: list[Path], format: str | None) -> LoadReport | None:
        """Oxigraph parses each file straight into its graph: no Python objects per triple.

        Only for files of triples whose graphs are new (None otherwise: the general path).
        A file that fails removes the graphs this call loaded before it, so a failed load
        still leaves the graph as it was.
        """
        assert isinstance(self._backend, _Oxigraph)
        store = self._backend.store
        plan = []
        for file in files:
            rdf_format = _format_of(file, format)
            graph = ox.NamedNode(file.resolve().as_uri())
            if rdf_format.supports_datasets or store.contains_named_graph(graph):
                return None
            plan.append((file, rdf_format, graph))
        loaded: list[ox.NamedNode] = []
        digests = []
        try:
            for file, rdf_format, graph in plan:
                data = _read(file)
                try:
                    store.load(data, format=rdf_format, base_iri=graph.value, to_graph=graph)
                except (SyntaxError, ValueError, OSError):
                    _parse(data, rdf_format, str(file), graph.value)  # raises, naming the line
                    raise
                loaded.append(graph)
                digests.append(hashlib.sha256(data).digest())
        except BaseException:
            for graph in loaded:
                store.remove_graph(graph)
            raise
        counts = {}
        for graph in loaded:
            rows = self.select(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph.value}> "
                               "{ ?s ?p ?o } }")
            counts[graph.value] = int(rows[0]["n"].value) if rows else 0
        for digest in digests:
            self._hash.update(digest)
        self._generation += 1
        return LoadReport(tuple(str(file) for file in files), counts)

    def _add(self, parsed: list[tuple[str, list[ox.Quad]]], digests: list[bytes]) -> LoadReport:
        counts: dict[str, int] = {}
        # a triple written twice (or as "x" and "x"^^xsd:string) is one triple
        quads = list(dict.fromkeys(quad for _, file_quads in parsed for quad in file_quads))
        for quad in quads:
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
        self._generation += 1
        return LoadReport(tuple(name for name, _ in parsed), counts)

    # ------------------------------------------------------------------- access

    def __len__(self) -> int:
        return self._backend.count()

    def derived(self, name: str, compute: Callable[[], _T]) -> _T:
        """``compute()``, kept until the graph changes (an index over its triples).

        Changes are loads and :meth:`update`; writes through :attr:`rdflib` are not seen.
        """
        state = self._generation
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
        return self._backend.graph_counts()

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
        self._generation += 1
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
        if line is None and rdf_format == ox.RdfFormat.RDF_XML:
            line, column = _xml_error_position(data)
        message = str(exc.msg if exc.msg else exc)
        raise KnowledgeError(message, Location(name, line, column)) from exc
    except (ValueError, OSError) as exc:
        raise KnowledgeError(str(exc), Location(name)) from exc


def _xml_error_position(data: bytes) -> tuple[int | None, int | None]:
    """Where an XML document stops being well-formed (Oxigraph's RDF/XML errors say not)."""
    import xml.parsers.expat

    parser = xml.parsers.expat.ParserCreate()
    try:
        parser.Parse(data, True)
    except xml.parsers.expat.ExpatError as exc:
        return exc.lineno, exc.offset + 1
    return None, None


def _rows(solutions: Any) -> list[dict[str, Any]]:
    """SELECT solutions as dicts of the bound variables."""
    if not isinstance(solutions, ox.QuerySolutions):
        raise KnowledgeError("expected a SPARQL SELECT query")
    names = [v.value for v in solutions.variables]
    return [{name: row[name] for name in names if row[name] is not None}
            for row in solutions]


def _graph_name(term: Any) -> str:
    if isinstance(term, ox.NamedNode):
        return term.value
    if isinstance(term, ox.DefaultGraph):
        return "default"
    return str(term)


@contextlib.contextmanager
def _rdflib_quietly() -> Iterator[None]:
    """rdflib's SPARQL engine calls rdflib's own deprecated Dataset API: not our users' news."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


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

    def graph_counts(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.select("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } "
                               "GROUP BY ?g"):
            counts[_graph_name(row["g"])] = int(row["n"].value)
        return counts

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
        return _rows(solutions)

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

        return rdflib.Dataset(store=OxigraphStore(store=self.store), default_union=True)


class _Rdflib(_Backend):
    """rdflib's memory store; SPARQL runs in rdflib (the reference, and the slow one)."""

    def __init__(self) -> None:
        import rdflib

        self.dataset = rdflib.Dataset(default_union=True)

    def add(self, quads: list[ox.Quad]) -> None:
        from ._rdflib_terms import to_rdflib

        # Literals as Oxigraph keeps them ("0042"^^xsd:integer is "42"^^xsd:integer, one
        # triple), so that every store holds the same triples.
        canonical = ox.Store()
        canonical.bulk_extend(quads)
        quads = list(canonical)
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

    def graph_counts(self) -> dict[str, int]:  # rdflib's GRAPH ?g warns of its own API
        from ._rdflib_terms import from_rdflib

        counts = {}
        for graph in self.dataset.graphs():
            if len(graph):
                counts[_graph_name(from_rdflib(graph.identifier))] = len(graph)
        return counts

    def quads(self, s: Any, p: Any, o: Any, g: Any) -> Iterator[ox.Quad]:
        from ._rdflib_terms import from_rdflib, to_rdflib

        try:
            pattern: Any = tuple(None if t is None else to_rdflib(t) for t in (s, p, o, g))
        except TypeError:
            return  # an RDF 1.2 triple term: this store holds none
        for qs, qp, qo, qg in self.dataset.quads(pattern):
            graph: Any = getattr(qg, "identifier", qg)
            yield ox.Quad(from_rdflib(qs), from_rdflib(qp), from_rdflib(qo),
                          from_rdflib(graph))

    def select(self, query: str) -> list[dict[str, Any]]:
        from ._rdflib_terms import from_rdflib

        try:
            with _rdflib_quietly():
                result: Any = self.dataset.query(query)
                names = [str(v) for v in result.vars or []]
                rows = list(result)
        except Exception as exc:
            raise KnowledgeError(f"SPARQL error: {exc}") from exc
        return [{name: from_rdflib(row[name]) for name in names if row[name] is not None}
                for row in rows]

    def construct(self, query: str) -> list[ox.Triple]:
        from ._rdflib_terms import from_rdflib

        try:
            with _rdflib_quietly():
                triples: list[Any] = list(self.dataset.query(query))
        except Exception as exc:
            raise KnowledgeError(f"SPARQL error: {exc}") from exc
        return [ox.Triple(from_rdflib(s), from_rdflib(p), from_rdflib(o))
                for s, p, o in triples]

    def update(self, update: str) -> None:
        import rdflib.plugins.sparql as rdflib_sparql

        # rdflib reads every graph named in USING from the web (SPARQL_LOAD_GRAPHS) and
        # fails on urn: names; here they are graphs of the dataset, so take them from it.
        loading = rdflib_sparql.SPARQL_LOAD_GRAPHS
        rdflib_sparql.SPARQL_LOAD_GRAPHS = False
        try:
            with _rdflib_quietly():
                self.dataset.update(update)
        except Exception as exc:
            raise KnowledgeError(f"SPARQL error: {exc}") from exc
        finally:
            rdflib_sparql.SPARQL_LOAD_GRAPHS = loading

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
        rows = self._select("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION "
                            "{ GRAPH ?g { ?s ?p ?o } } }", self.query_url)
        return int(rows[0]["n"].value) if rows else 0

    def quads(self, s: Any, p: Any, o: Any, g: Any) -> Iterator[ox.Quad]:
        # A blank node in a query is a variable, not that node: match it here instead
        # (the server's blank node ids are stable, as its answers give them).
        terms = {"s": s, "p": p, "o": o, "g": g}
        pattern = {k: (f"?{k}" if v is None or isinstance(v, ox.BlankNode)
                       else _sparql_term(v)) for k, v in terms.items()}
        query = (f"SELECT * WHERE {{ GRAPH {pattern['g']} "
                 f"{{ {pattern['s']} {pattern['p']} {pattern['o']} }} }}")
        for row in self._select(query, self.query_url):
            if all(row.get(k, v) == v for k, v in terms.items() if v is not None):
                yield ox.Quad(row.get("s", s), row.get("p", p), row.get("o", o),
                              row.get("g", g))

    def select(self, query: str) -> list[dict[str, Any]]:
        # Oxigraph's server reads the union of all graphs as the default graph when asked.
        return self._select(query, f"{self.query_url}?union-default-graph")

    def _select(self, query: str, url: str) -> list[dict[str, Any]]:
        body = self._request(url, query.encode(), "application/sparql-query",
                             "application/sparql-results+json")
        try:
            results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
        except (SyntaxError, ValueError) as exc:
            raise KnowledgeError(f"unreadable answer from {self.query_url}: {exc}") from exc
        return _rows(results)

    def construct(self, query: str) -> list[ox.Triple]:
        body = self._request(f"{self.query_url}?union-default-graph", query.encode(),
                             "application/sparql-query", "application/n-triples")
        return [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]

    def update(self, update: str) -> None:
        self._request(self.update_url, update.encode(), "application/sparql-update")

    def rdflib(self) -> rdflib.Dataset:
        import rdflib
        from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

        store = SPARQLUpdateStore(self.query_url, self.update_url,
                                  params={"union-default-graph": ""})
        return rdflib.Dataset(store=store, default_union=True)


def _sparql_term(term: Any) -> str:
    """A term as SPARQL text; a triple term in SPARQL 1.2's ``<<( s p o )>>``."""
    if isinstance(term, ox.Triple):
        return (f"<<( {_sparql_term(term.subject)} {_sparql_term(term.predicate)} "
                f"{_sparql_term(term.object)} )>>")
    return str(term)
