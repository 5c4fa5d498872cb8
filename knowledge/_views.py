"""networkx views of the graph, for the UI: an entity's neighbourhood, the class tree."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pyoxigraph as ox

from nesy.errors import KnowledgeError

from ._graph import KnowledgeGraph
from ._mapping import AtomTable

if TYPE_CHECKING:
    import networkx

__all__ = ["class_hierarchy", "neighbourhood"]

_LABEL = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
_SUBCLASS = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#subClassOf")


def neighbourhood(kg: KnowledgeGraph, entity: ox.NamedNode | str, hops: int = 1,
                  table: AtomTable | None = None, limit: int = 2000) -> networkx.MultiDiGraph:
    """The triples around ``entity`` (both directions, ``hops`` deep) as a MultiDiGraph.

    Nodes are IRIs (or literal texts) with ``label`` (``rdfs:label`` or a short name) and
    ``kind`` ("entity", "literal"); edges carry the property IRI as ``key``, a short
    ``label`` and the source ``graph``. At most ``limit`` edges.
    """
    import networkx as nx

    try:
        start = entity if isinstance(entity, ox.NamedNode) else ox.NamedNode(entity)
    except ValueError as exc:
        raise KnowledgeError(f"{entity!r} is not an IRI: {exc}") from exc
    graph = nx.MultiDiGraph()
    _add_node(graph, kg, start, table)
    frontier: list[Any] = [start]
    seen: set[Any] = {start}
    for _ in range(hops):
        next_frontier: list[Any] = []
        for node in frontier:
            quads = [*kg.quads(node, None, None, None), *kg.quads(None, None, node, None)]
            for quad in quads:
                if graph.number_of_edges() >= limit:
                    return graph
                for end in (quad.subject, quad.object):
                    if end not in seen:
                        seen.add(end)
                        _add_node(graph, kg, end, table)
                        if not isinstance(end, ox.Literal):
                            next_frontier.append(end)
                graph.add_edge(_key(quad.subject), _key(quad.object), key=quad.predicate.value,
                               label=_short(quad.predicate, table),
                               graph=getattr(quad.graph_name, "value", ""))
        frontier = next_frontier
    return graph


def class_hierarchy(kg: KnowledgeGraph, table: AtomTable | None = None) -> networkx.DiGraph:
    """Classes with edges subclass -> superclass (asserted and inferred), labelled."""
    import networkx as nx

    graph = nx.DiGraph()
    for quad in kg.quads(None, _SUBCLASS, None, None):
        if quad.subject == quad.object:
            continue
        for node in (quad.subject, quad.object):
            if _key(node) not in graph:
                _add_node(graph, kg, node, table)
        graph.add_edge(_key(quad.subject), _key(quad.object))
    return graph


def _key(term: Any) -> str:
    return term.value if isinstance(term, ox.NamedNode | ox.Literal) else str(term)


def _short(term: Any, table: AtomTable | None) -> str:
    if isinstance(term, ox.NamedNode | ox.BlankNode) and table is not None:
        return table.atom(term)
    if isinstance(term, ox.NamedNode):
        value = term.value
        for separator in ("#", "/"):
            if separator in value.rstrip(separator):
                return value.rstrip(separator).rsplit(separator, 1)[1]
        return value
    return term.value if isinstance(term, ox.Literal) else str(term)


def _add_node(graph: Any, kg: KnowledgeGraph, term: Any, table: AtomTable | None) -> None:
    if isinstance(term, ox.Literal):
        graph.add_node(_key(term), label=term.value, kind="literal",
                       datatype=term.datatype.value)
        return
    labels = [q.object.value for q in kg.quads(term, _LABEL, None, None)
              if isinstance(q.object, ox.Literal)]
    graph.add_node(_key(term), label=labels[0] if labels else _short(term, table),
                   kind="entity")
