"""The same behaviour in every store: Oxigraph (memory, disk), rdflib's memory store and a
remote SPARQL endpoint (a real ``oxigraph serve``); the rdflib view over each."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyoxigraph as ox
import pytest

from knowledge import (
    INFERRED,
    KnowledgeError,
    KnowledgeGraph,
    KnowledgeMapping,
    rdfs_closure,
)

EX = "http://example.org/clinic#"
MAPPING = KnowledgeMapping.from_dict({
    "prefixes": {"ex": EX, "rdfs": "http://www.w3.org/2000/01/rdf-schema#"},
    "default_prefix": "ex",
    "predicates": {
        "finding": {"class": "ex:Finding"}, "malignancy": {"class": "ex:Malignancy"},
        "patient": {"class": "ex:Patient"}, "risk_group": {"class": "ex:RiskGroup"},
        "has_finding": "ex:hasFinding", "biopsy_finding": "ex:hasBiopsyFinding",
        "age": "ex:age", "smokes": "ex:smokes", "site": "ex:site", "takes": "ex:takes",
        "dose": "ex:doseMg", "label": "rdfs:label",
    },
})
TYPES = f"SELECT ?s ?c WHERE {{ ?s a ?c FILTER(STRSTARTS(STR(?s), \"{EX}\")) }}"


def summary(kg: KnowledgeGraph) -> dict[str, Any]:
    """What the stores must agree on, as plain sorted data."""
    types = sorted((r["s"].value, r["c"].value) for r in kg.select(TYPES))
    facts = sorted(json.dumps(f.to_dict(), sort_keys=True)
                   for f in MAPPING.facts(kg, ["ann", "bob"], hops=1))
    return {"len": len(kg), "sources": kg.sources(), "types": types, "facts": facts}


def test_every_store_agrees_on_load_select_sources_closure_and_facts(
        kg: KnowledgeGraph, data: Path) -> None:
    reference = KnowledgeGraph("oxigraph")
    for graph in (reference, kg):
        graph.load(data / "formats")
    assert summary(kg) == summary(reference)
    assert len(kg) == 27
    added = rdfs_closure(kg)
    assert added == rdfs_closure(reference) > 0
    assert kg.sources()[INFERRED] == added
    after = summary(kg)
    assert after == summary(reference)
    # and what they agree on is right, not only the same
    assert ["f1", "Malignancy"] in [[s.removeprefix(EX), c.removeprefix(EX)]
                                    for s, c in after["types"]]
    facts = {(f.predicate, f.args, f.inferred) for f in MAPPING.facts(kg, ["ann"], hops=1)}
    assert ("has_finding", ("ann", "f1"), True) in facts
    assert ("patient", ("ann",), True) in facts
    assert ("age", ("ann", 52), False) in facts
    assert ("malignancy", ("f1",), True) in facts


def test_select_and_construct_read_the_union_of_all_graphs(kg: KnowledgeGraph) -> None:
    kg.load_string(f"<{EX}a> <{EX}p> <{EX}b> .", format="nt", source="one")
    kg.load_string(f"<{EX}b> <{EX}p> <{EX}c> .", format="nt", source="two")
    rows = kg.select(f"SELECT ?x ?z WHERE {{ ?x <{EX}p> ?y . ?y <{EX}p> ?z }}")
    assert rows == [{"x": ox.NamedNode(EX + "a"), "z": ox.NamedNode(EX + "c")}]
    triples = kg.construct(f"CONSTRUCT {{ ?x <{EX}q> ?z }} WHERE "
                           f"{{ ?x <{EX}p> ?y . ?y <{EX}p> ?z }}")
    assert triples == [ox.Triple(ox.NamedNode(EX + "a"), ox.NamedNode(EX + "q"),
                                 ox.NamedNode(EX + "c"))]


# rdflib's own SPARQL engine calls rdflib's deprecated Dataset.contexts (memory store)
@pytest.mark.filterwarnings("ignore:Dataset.contexts is deprecated:DeprecationWarning",
                            "ignore:Dataset.default_context is deprecated:DeprecationWarning")
def test_the_rdflib_view_holds_the_same_data(kg: KnowledgeGraph, data: Path) -> None:
    kg.load(data / "formats")
    rdfs_closure(kg)
    dataset = kg.rdflib
    assert len(dataset) == len(kg)
    per_graph = {str(row.g): int(row.n) for row in dataset.query(
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")}
    assert per_graph == kg.sources()
    classes = {str(row.c) for row in dataset.query(
        f"SELECT ?c WHERE {{ <{EX}f1> a ?c }}")}  # the default graph is the union
    assert classes == {EX + "Carcinoma", EX + "Malignancy", EX + "Finding"}


def test_an_oxigraph_store_on_disk_keeps_its_triples(tmp_path: Path, data: Path) -> None:
    kg = KnowledgeGraph("oxigraph", tmp_path / "store")
    kg.load(data / "formats")
    rdfs_closure(kg)
    before = (len(kg), kg.sources())
    del kg  # closes the store
    reopened = KnowledgeGraph("oxigraph", tmp_path / "store")
    assert (len(reopened), reopened.sources()) == before


def test_the_remote_url_may_name_the_query_endpoint(sparql_server: str) -> None:
    kg = KnowledgeGraph(sparql_server)
    kg.update("DROP ALL")
    kg.load_string(f"<{EX}a> <{EX}p> <{EX}b> .", format="nt")
    for url in (f"{sparql_server}/query", f"{sparql_server}/sparql/"):
        assert len(KnowledgeGraph(url)) == 1


def test_an_unreachable_endpoint_is_a_knowledge_error() -> None:
    import socket

    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    kg = KnowledgeGraph(f"http://127.0.0.1:{port}")
    with pytest.raises(KnowledgeError, match=f"cannot reach the SPARQL endpoint .*:{port}"):
        len(kg)


@pytest.mark.parametrize(("store", "path", "message"), [
    ("neo4j", None, r"unknown store 'neo4j' \(known: oxigraph, memory"),
    ("memory", "somewhere", "keeps nothing on disk"),
])
def test_a_bad_store_is_a_knowledge_error(store: str, path: str | None, message: str) -> None:
    with pytest.raises(KnowledgeError, match=message):
        KnowledgeGraph(store, path)


def test_a_locked_store_folder_is_a_knowledge_error(tmp_path: Path) -> None:
    first = KnowledgeGraph("oxigraph", tmp_path / "store")
    with pytest.raises(KnowledgeError, match="cannot open the Oxigraph store"):
        KnowledgeGraph("oxigraph", tmp_path / "store")
    assert len(first) == 0
