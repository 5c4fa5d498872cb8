"""Ontology reasoning: the RDFS that rules need, as a handful of SPARQL updates.

The subset: ``rdfs:subClassOf`` and ``rdfs:subPropertyOf`` (transitive), their
consequences for ``rdf:type`` and property values, ``rdfs:domain`` and
``rdfs:range``; optionally ``owl:sameAs`` (symmetric, transitive). Each rule is one
``INSERT ... WHERE`` with property paths for the transitive closures, run by the
store itself (Oxigraph: in Rust), in an order that reaches the fixpoint in one pass
for this subset. Inferred triples go to the named graph :data:`INFERRED`, so an
explanation can say a fact was inferred. Results are cached by the content hash of
what was loaded; full OWL-RL (``owlrl``, forward chaining in Python) stays available.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox

from nesy.errors import KnowledgeError

from ._graph import INFERRED, KnowledgeGraph, _parse, _read

__all__ = ["RDFS_RULES", "owl_rl_closure", "rdfs_closure"]

_PREFIXES = """PREFIX rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
"""

#: The rules, in the order that reaches the fixpoint: (name, SPARQL UPDATE).
RDFS_RULES: tuple[tuple[str, str], ...] = (
    ("subPropertyOf is transitive (rdfs5)", """
INSERT { GRAPH <%(g)s> { ?p rdfs:subPropertyOf ?r } }
%(using)s
WHERE { ?p rdfs:subPropertyOf/rdfs:subPropertyOf+ ?r
        FILTER NOT EXISTS { ?p rdfs:subPropertyOf ?r } }"""),
    ("subClassOf is transitive (rdfs11)", """
INSERT { GRAPH <%(g)s> { ?c rdfs:subClassOf ?e } }
%(using)s
WHERE { ?c rdfs:subClassOf/rdfs:subClassOf+ ?e
        FILTER NOT EXISTS { ?c rdfs:subClassOf ?e } }"""),
    ("a value of a property is one of its super-properties (rdfs7)", """
INSERT { GRAPH <%(g)s> { ?s ?q ?o } }
%(using)s
WHERE { %(q_values)s ?p rdfs:subPropertyOf ?q . ?s ?p ?o
        FILTER (?p != ?q)
        FILTER NOT EXISTS { ?s ?q ?o } }"""),
    ("the domain of a property types its subjects (rdfs2)", """
INSERT { GRAPH <%(g)s> { ?s rdf:type ?c } }
%(using)s
WHERE { %(c_values)s ?p rdfs:domain ?c . %(values_of_p)s
        FILTER NOT EXISTS { ?s rdf:type ?c } }"""),
    ("the range of a property types its objects (rdfs3)", """
INSERT { GRAPH <%(g)s> { ?o rdf:type ?c } }
%(using)s
WHERE { %(c_values)s ?p rdfs:range ?c . %(values_of_p)s
        FILTER (!isLiteral(?o))
        FILTER NOT EXISTS { ?o rdf:type ?c } }"""),
    ("an instance of a class is one of its super-classes (rdfs9)", """
INSERT { GRAPH <%(g)s> { ?s rdf:type ?d } }
%(using)s
WHERE { %(d_values)s ?c rdfs:subClassOf ?d . ?s rdf:type ?c
        FILTER (?c != ?d)
        FILTER NOT EXISTS { ?s rdf:type ?d } }"""),
)

_SAME_AS = (
    ("sameAs is symmetric", """
INSERT { GRAPH <%(g)s> { ?b owl:sameAs ?a } }
%(using)s
WHERE { ?a owl:sameAs ?b FILTER NOT EXISTS { ?b owl:sameAs ?a } }"""),
    ("sameAs is transitive", """
INSERT { GRAPH <%(g)s> { ?a owl:sameAs ?c } }
%(using)s
WHERE { ?a owl:sameAs/owl:sameAs+ ?c FILTER (?a != ?c)
        FILTER NOT EXISTS { ?a owl:sameAs ?c } }"""),
    ("what holds of a thing holds of the same thing", """
INSERT { GRAPH <%(g)s> { ?b ?p ?o } }
%(using)s
WHERE { ?a owl:sameAs ?b . ?a ?p ?o FILTER (?p != owl:sameAs)
        FILTER NOT EXISTS { ?b ?p ?o } }"""),
    ("what is said of a thing is said of the same thing", """
INSERT { GRAPH <%(g)s> { ?s ?p ?b } }
%(using)s
WHERE { ?a owl:sameAs ?b . ?s ?p ?a FILTER (?p != owl:sameAs)
        FILTER NOT EXISTS { ?s ?p ?b } }"""),
)
_VERSION = "rdfs-2"  # change it with the rules: caches of other rules are stale


def rdfs_closure(kg: KnowledgeGraph, same_as: bool = False,
                 cache_dir: str | Path | None = None,
                 classes: Iterable[str] | None = None,
                 properties: Iterable[str] | None = None) -> int:
    """Add the RDFS consequences of the graph to it; the number of triples added.

    With a ``cache_dir`` (default: ``$NESY_CACHE/rdfs`` when ``NESY_CACHE`` is set), the
    inferred triples are kept under the graph's content hash and read back next time.
    ``classes`` and ``properties`` (IRIs) restrict the consequences to the types and
    property values the rules can see (those a mapping names): the same facts for them,
    much less work on a large graph. The class and property hierarchies are always closed.

    >>> kg = KnowledgeGraph()
    >>> _ = kg.load_string('''@prefix ex: <http://example.org/> .
    ...     @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
    ...     ex:Carcinoma rdfs:subClassOf ex:Malignancy . ex:Malignancy rdfs:subClassOf ex:Finding .
    ...     ex:f1 a ex:Carcinoma .''')
    >>> rdfs_closure(kg)
    3
    """
    graph = ox.NamedNode(INFERRED)
    restricted = classes is not None or properties is not None
    class_set = sorted(set(classes or ()))
    property_set = sorted(set(properties or ()))
    cache = _cache_file(kg, same_as, cache_dir,
                        (class_set, property_set) if restricted else None)
    if cache is not None and cache.exists():
        before = len(kg)
        quads = _parse(_read(cache), ox.RdfFormat.N_QUADS, str(cache), INFERRED)
        kg._add([(str(cache), quads)], [])  # no digest: inferred triples are no new content
        return len(kg) - before
    before = len(kg)
    rules = RDFS_RULES + (_SAME_AS if same_as else ())
    # The WHERE clauses read the merge of every graph (SPARQL's USING), inferred included.
    graphs = sorted(set(kg.sources()) | {INFERRED})
    using = "\n".join(f"USING <{g}>" for g in graphs if g != "default")
    values = {"g": INFERRED, "using": using, "q_values": "", "c_values": "", "d_values": "",
              "values_of_p": "?s ?p ?o ."}
    if restricted:
        values["q_values"] = _values("q", property_set)
        values["d_values"] = _values("d", class_set)
        # values of sub-properties count for a property's domain and range, too
        values["values_of_p"] = ("{ ?s ?p ?o } UNION { ?p2 rdfs:subPropertyOf ?p . "
                                 "?s ?p2 ?o }")
    for _ in range(2 if same_as else 1):  # sameAs copies can feed the RDFS rules again
        subclasses_read = False
        for name, update in rules:
            if restricted and "%(c_values)s" in update and not subclasses_read:
                # the classes whose instances are instances of a class the rules see: read
                # once the hierarchy is closed (rdfs11); domain and range add no subclasses
                values["c_values"] = _values("c", _subclasses(kg, class_set))
                subclasses_read = True
            try:
                kg.update(_PREFIXES + update % values)
            except KnowledgeError as exc:
                raise KnowledgeError(f"RDFS rule '{name}' failed: {exc}") from exc
    added = len(kg) - before
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        quads = list(kg.quads(None, None, None, graph))
        data = ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""
        temporary = cache.with_suffix(".tmp")
        temporary.write_bytes(data)
        temporary.replace(cache)  # whole files only
    return added


def _values(variable: str, iris: Iterable[str]) -> str:
    return f"VALUES ?{variable} {{ {' '.join(f'<{iri}>' for iri in iris)} }}"


def _subclasses(kg: KnowledgeGraph, classes: list[str]) -> list[str]:
    if not classes:
        return []
    rows = kg.select(_PREFIXES + f"SELECT DISTINCT ?c WHERE {{ {_values('d', classes)} "
                     "?c rdfs:subClassOf ?d }")
    return sorted({row["c"].value for row in rows if isinstance(row["c"], ox.NamedNode)}
                  | set(classes))


def owl_rl_closure(kg: KnowledgeGraph) -> int:
    """Full OWL 2 RL through ``owlrl`` (forward chaining in Python: slow on big graphs).

    owlrl reasons over a copy of the union of all graphs (RDF 1.2 triple terms left out);
    what it adds goes to :data:`INFERRED`, as with :func:`rdfs_closure`.
    """
    try:
        import owlrl
    except ImportError as exc:
        raise KnowledgeError("OWL-RL reasoning needs the owlrl package") from exc
    import rdflib

    from ._rdflib_terms import from_rdflib, to_rdflib

    graph = rdflib.Graph()
    for quad in kg.quads():
        with contextlib.suppress(TypeError):  # a triple term: not for owlrl
            graph.add((to_rdflib(quad.subject), to_rdflib(quad.predicate),
                       to_rdflib(quad.object)))
    asserted = set(graph)
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    target = ox.NamedNode(INFERRED)
    quads = [ox.Quad(from_rdflib(s), from_rdflib(p), from_rdflib(o), target)
             for s, p, o in graph if (s, p, o) not in asserted  # and not generalized RDF:
             and not isinstance(s, rdflib.Literal) and isinstance(p, rdflib.URIRef)]
    before = len(kg)
    kg._add([(INFERRED, quads)], [])  # no digest: inferred triples are no new content
    return len(kg) - before


def _cache_file(kg: KnowledgeGraph, same_as: bool, cache_dir: str | Path | None,
                restriction: tuple[list[str], list[str]] | None = None) -> Path | None:
    if cache_dir is None:
        root = os.environ.get("NESY_CACHE")
        if not root:
            return None
        cache_dir = Path(root) / "rdfs"
    # Relative IRIs resolve against each file's own IRI: the same bytes in another place
    # are other triples, so the sources belong to the key.
    key = hashlib.sha256(kg.content_hash.encode())
    for source in sorted(set(kg.sources()) - {INFERRED}):
        key.update(source.encode() + b"\n")
    if restriction is not None:
        key.update(repr(restriction).encode())
    name = f"{key.hexdigest()}-{_VERSION}{'-sameas' if same_as else ''}.nq"
    return Path(cache_dir) / name
