"""The RDF knowledge graph (loading, stores, ontology closure, mapping to predicates).

Not built yet: this package holds its place in the layout (see the README's roadmap).
"""

__all__: list[str] = []
