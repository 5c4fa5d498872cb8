"""networkx views: an entity's neighbourhood (labelled, edges keyed by property IRI) and the
class hierarchy (subclass -> superclass)."""

from __future__ import annotations

import random
from pathlib import Path

import networkx as nx
import pyoxigraph as ox
import pytest

from knowledge import (
    AtomTable,
    KnowledgeError,
    KnowledgeGraph,
    class_hierarchy,
    neighbourhood,
    rdfs_closure,
)

EX = "http://example.org/clinic#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"


def test_the_neighbourhood_of_an_entity_is_a_labelled_multidigraph(kg: KnowledgeGraph,
                                                                    data: Path) -> None:
    kg.load(data / "formats")
    graph = neighbourhood(kg, EX + "ann", hops=1)
    assert isinstance(graph, nx.MultiDiGraph)
    assert graph.nodes[EX + "ann"] == {"label": "Ann Smith", "kind": "entity"}  # rdfs:label
    assert graph.nodes[EX + "f1"] == {"label": "f1", "kind": "entity"}  # no label: short name
    assert graph.nodes["52"]["kind"] == "literal"
    out = {(v, key) for _, v, key in graph.out_edges(EX + "ann", keys=True)}
    assert out == {(EX + "Smoker", RDF_TYPE), (EX + "f1", EX + "hasBiopsyFinding"),
                   ("52", EX + "age"), ("Ann Smith", RDFS + "label"),
                   (EX + "tamoxifen", EX + "takes")}
    edge = graph.edges[EX + "ann", EX + "f1", EX + "hasBiopsyFinding"]
    assert edge == {"label": "hasBiopsyFinding",
                    "graph": (data / "formats" / "patients.nt").resolve().as_uri()}
    assert EX + "breast" not in graph  # two links away


def test_more_hops_reach_further_in_both_directions(kg: KnowledgeGraph, data: Path) -> None:
    kg.load(data / "formats")
    graph = neighbourhood(kg, EX + "f1", hops=2)
    assert graph.has_edge(EX + "ann", EX + "f1", key=EX + "hasBiopsyFinding")  # incoming
    assert graph.has_edge(EX + "f1", EX + "breast", key=EX + "site")
    assert graph.nodes[EX + "breast"]["label"] == "breast"
    assert graph.has_edge(EX + "ann", EX + "tamoxifen", key=EX + "takes")  # second hop
    assert graph.nodes[EX + "Carcinoma"]["label"] == "Carcinoma"


def test_two_properties_between_the_same_nodes_are_two_edges() -> None:
    kg = KnowledgeGraph()
    kg.load_string(f"@prefix ex: <{EX}> . ex:a ex:treats ex:b ; ex:knows ex:b .")
    graph = neighbourhood(kg, ox.NamedNode(EX + "a"), table=AtomTable({"ex": EX}))
    assert graph.number_of_edges(EX + "a", EX + "b") == 2
    assert {d["label"] for _, _, d in graph.edges(data=True)} == {"ex:treats", "ex:knows"}
    assert graph.nodes[EX + "b"]["label"] == "ex:b"


def test_the_neighbourhood_stops_at_its_limit() -> None:
    kg = KnowledgeGraph()
    kg.load_string(f"@prefix ex: <{EX}> . "
                   + " ".join(f"ex:hub ex:link ex:n{i} ." for i in range(50)))
    assert neighbourhood(kg, EX + "hub", limit=10).number_of_edges() == 10


def test_the_neighbourhood_of_a_name_that_is_no_iri_is_a_knowledge_error() -> None:
    with pytest.raises(KnowledgeError, match="'ann' is not an IRI"):
        neighbourhood(KnowledgeGraph(), "ann")


def class_tree(seed: int) -> tuple[str, set[tuple[str, str]]]:
    rng = random.Random(seed)
    classes = [f"{EX}C{i}" for i in range(rng.randint(5, 25))]
    edges = {(cls, rng.choice(classes[:i])) for i, cls in enumerate(classes) if i}
    lines = [f"<{sub}> <{RDFS}subClassOf> <{sup}> ." for sub, sup in edges]
    lines += [f'<{cls}> <{RDFS}label> "class {i}" .' for i, cls in enumerate(classes)]
    return "\n".join(lines), edges


@pytest.mark.parametrize("seed", range(4))
def test_the_class_hierarchy_of_a_tree_is_an_acyclic_digraph(kg: KnowledgeGraph,
                                                             seed: int) -> None:
    turtle, edges = class_tree(seed)
    kg.load_string(turtle, format="nt")
    hierarchy = class_hierarchy(kg)
    assert isinstance(hierarchy, nx.DiGraph)
    assert set(hierarchy.edges) == edges
    assert nx.is_directed_acyclic_graph(hierarchy)
    assert nx.is_arborescence(hierarchy.reverse())  # one root, one parent each
    assert hierarchy.nodes[EX + "C0"]["label"] == "class 0"
    rdfs_closure(kg)  # inferred subclass links: the transitive closure, still acyclic
    closed = class_hierarchy(kg)
    assert set(closed.edges) == set(nx.transitive_closure_dag(nx.DiGraph(list(edges))).edges)
    assert nx.is_directed_acyclic_graph(closed)
