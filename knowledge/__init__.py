"""The RDF knowledge graph: loading, stores, ontology closure, mapping to logic facts.

>>> from knowledge import KnowledgeGraph, KnowledgeMapping, rdfs_closure
>>> kg = KnowledgeGraph()
>>> _ = kg.load_string('''@prefix ex: <http://example.org/> .
...     @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
...     ex:Smoker rdfs:subClassOf ex:RiskGroup .
...     ex:ann a ex:Smoker ; ex:age 52 .''')
>>> rdfs_closure(kg)
1
>>> mapping = KnowledgeMapping.from_dict({
...     "prefixes": {"ex": "http://example.org/"}, "default_prefix": "ex",
...     "predicates": {"at_risk": {"class": "ex:RiskGroup"}, "age": "ex:age"}})
>>> sorted((f.predicate, f.args) for f in mapping.facts(kg, ["ann"]))
[('age', ('ann', 52)), ('at_risk', ('ann',))]
"""

from nesy.errors import KnowledgeError

from ._config import REASONING, check_knowledge_config, knowledge_predicates, load_knowledge
from ._graph import FORMATS, INFERRED, STORES, KnowledgeGraph, LoadReport
from ._mapping import AtomTable, KnowledgeFact, KnowledgeMapping, PredicateMap, String
from ._reasoning import RDFS_RULES, owl_rl_closure, rdfs_closure
from ._shacl import SHACL_METHODS, ShaclViolation, ShapeValidator
from ._views import class_hierarchy, neighbourhood

__all__ = [
    "FORMATS",
    "INFERRED",
    "RDFS_RULES",
    "REASONING",
    "SHACL_METHODS",
    "STORES",
    "AtomTable",
    "KnowledgeError",
    "KnowledgeFact",
    "KnowledgeGraph",
    "KnowledgeMapping",
    "LoadReport",
    "PredicateMap",
    "ShaclViolation",
    "ShapeValidator",
    "String",
    "check_knowledge_config",
    "class_hierarchy",
    "knowledge_predicates",
    "load_knowledge",
    "neighbourhood",
    "owl_rl_closure",
    "rdfs_closure",
]
