"""Terms between pyoxigraph and rdflib, one literal convention for both.

A plain literal and an ``xsd:string`` literal are the same value (RDF 1.1): rdflib
writes the first with no datatype, pyoxigraph always with ``xsd:string``; going to
rdflib, ``xsd:string`` is dropped, coming back it is restored.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
import rdflib

__all__ = ["from_rdflib", "to_rdflib"]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def to_rdflib(term: Any) -> Any:
    """A pyoxigraph term as rdflib's."""
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return rdflib.Literal(term.value, lang=term.language)
        if term.datatype.value == _XSD_STRING:
            return rdflib.Literal(term.value)
        # normalize=False: rdflib would rewrite "0042"^^xsd:integer as "42", "1"^^xsd:boolean
        # as "true"...; the memory store keeps the lexical form, as Oxigraph does
        return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value),
                              normalize=False)
    if isinstance(term, ox.DefaultGraph):
        return rdflib.graph.DATASET_DEFAULT_GRAPH_ID
    raise TypeError(f"no rdflib term for {term!r}")


def from_rdflib(term: Any) -> Any:
    """An rdflib term as pyoxigraph's."""
    if isinstance(term, rdflib.URIRef):
        if term == rdflib.graph.DATASET_DEFAULT_GRAPH_ID:
            return ox.DefaultGraph()
        return ox.NamedNode(str(term))
    if isinstance(term, rdflib.BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        datatype = term.datatype
        if datatype is None:
            return ox.Literal(str(term))
        return ox.Literal(str(term), datatype=ox.NamedNode(str(datatype)))
    raise TypeError(f"no pyoxigraph term for {term!r}")
