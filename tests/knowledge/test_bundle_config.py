"""A bundle's [knowledge] table: store, files, reasoning, mapping; CONSTRUCT-selected facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeError, check_knowledge_config, knowledge_predicates, load_knowledge

ONTOLOGY = """@prefix ex: <http://example.org/> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Smoker rdfs:subClassOf ex:RiskGroup .
ex:ann a ex:Smoker ; ex:knows ex:bob .
ex:bob a ex:Patient ; ex:knows ex:cid .
"""
MAPPING = {"prefixes": {"ex": "http://example.org/"}, "default_prefix": "ex",
           "predicates": {"risk": {"class": "ex:RiskGroup"}, "knows": "ex:knows",
                          "patient": {"class": "ex:Patient"}}}


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "ontology.ttl").write_text(ONTOLOGY)
    return tmp_path


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_bundle_graph_is_loaded_and_reasoned(bundle: Path, store: str) -> None:
    kg, mapping = load_knowledge({**MAPPING, "store": store, "hops": 1}, bundle)
    facts = sorted((f.predicate, f.args) for f in mapping.facts(kg, ["ann"]))
    assert facts == [("knows", ("ann", "bob")), ("patient", ("bob",)), ("risk", ("ann",))]
    assert kg.store_name == store


def test_reasoning_none_leaves_the_graph_as_written(bundle: Path) -> None:
    kg, mapping = load_knowledge({**MAPPING, "reasoning": "none"}, bundle)
    assert not [f for f in mapping.facts(kg, ["ann"]) if f.predicate == "risk"]


def test_persistent_store_in_the_bundle(bundle: Path) -> None:
    kg, _ = load_knowledge({**MAPPING, "location": "store"}, bundle)
    assert len(kg) > 0 and (bundle / "store").is_dir()


def test_construct_selects_the_facts_of_a_case(bundle: Path) -> None:
    config = {**MAPPING, "construct": "CONSTRUCT { ?entity ?p ?o } WHERE { ?entity ?p ?o }"}
    kg, mapping = load_knowledge(config, bundle)
    facts = sorted((f.predicate, f.args) for f in mapping.facts(kg, ["bob"]))
    assert facts == [("knows", ("bob", "cid")), ("patient", ("bob",))]


@pytest.mark.parametrize(("config", "message"), [
    ({"stor": "memory"}, "unknown key 'stor'"),
    ({"store": "bolt://x"}, "unknown store"),
    ({"reasoning": "magic"}, "reasoning 'magic'"),
    ({"files": "knowledge"}, "files is a list"),
    ({"files": ["missing.ttl"]}, "no such file"),
])
def test_bad_configuration_is_a_knowledge_error(bundle: Path, config: dict, message: str) -> None:
    with pytest.raises(KnowledgeError, match=message):
        load_knowledge({**MAPPING, **config}, bundle)


# ------------------------------------------------------------- facts for every case

SHARED = """@prefix ex: <http://example.org/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Smoker rdfs:subClassOf ex:RiskGroup .
ex:ann a ex:Smoker ; ex:knows ex:bob .
ex:bob a ex:Patient ; ex:knows ex:cid {| ex:confidence 0.4 |} .
ex:s1 a rdf:Statement ; rdf:subject ex:cid ; rdf:predicate ex:knows ; rdf:object ex:ann ;
    ex:confidence 0.3 .
"""


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "knowledge" / "graph.ttl").write_text(SHARED)
    return tmp_path


def _facts(config: dict, root: Path) -> list[tuple[str, tuple, float | None, bool]]:
    kg, mapping = load_knowledge({**MAPPING, "confidence": "ex:confidence", **config}, root)
    return sorted((f.predicate, f.args, f.probability, f.inferred)
                  for f in mapping.shared_facts(kg))


def test_all_gives_every_mapped_fact_once(shared: Path) -> None:
    assert _facts({"entities": "all"}, shared) == [
        ("knows", ("ann", "bob"), None, False),
        ("knows", ("bob", "cid"), 0.4, False),    # an RDF 1.2 annotation
        ("knows", ("cid", "ann"), 0.3, False),    # only a reified statement
        ("patient", ("bob",), None, False),
        ("risk", ("ann",), None, True),           # inferred (rdfs9)
    ]


def test_listed_entities_give_their_facts_within_hops(shared: Path) -> None:
    assert _facts({"entities": ["ann"], "hops": 0}, shared) == [("risk", ("ann",), None, True)]
    assert _facts({"entities": ["ann", "ex:bob"], "hops": 0}, shared) == [
        ("knows", ("ann", "bob"), None, False), ("patient", ("bob",), None, False),
        ("risk", ("ann",), None, True)]
    assert [f[:2] for f in _facts({"entities": ["ann"], "hops": 2}, shared)] == [
        ("knows", ("ann", "bob")), ("knows", ("bob", "cid")), ("knows", ("cid", "ann")),
        ("patient", ("bob",)), ("risk", ("ann",))]
    assert _facts({}, shared) == _facts({"entities": []}, shared) == []


def test_an_entity_the_graph_does_not_know_is_an_error(shared: Path) -> None:
    kg, mapping = load_knowledge({**MAPPING, "entities": ["ann", "dan"]}, shared)
    with pytest.raises(KnowledgeError, match="says nothing about 'dan'"):
        mapping.shared_facts(kg)


@pytest.mark.parametrize(("entities", "message"), [
    ("everything", 'entities is "all" or a list of atoms'),
    (["ann", 3], 'entities is "all" or a list of atoms'),
    ({"ann": 1}, 'entities is "all" or a list of atoms'),
    (["zz:ann"], "entities: unknown prefix 'zz'"),
])
def test_bad_entities_are_knowledge_errors(shared: Path, entities: object, message: str) -> None:
    with pytest.raises(KnowledgeError, match=message):
        check_knowledge_config({**MAPPING, "entities": entities})
    with pytest.raises(KnowledgeError, match=message):
        load_knowledge({**MAPPING, "entities": entities}, shared)
    assert knowledge_predicates({**MAPPING, "entities": entities}) == {  # still known
        "risk": 1, "knows": 2, "patient": 1}


def test_all_cannot_go_with_a_construct_query(shared: Path) -> None:
    config = {**MAPPING, "entities": "all", "construct": "CONSTRUCT { ?entity ?p ?o } WHERE "
              "{ ?entity ?p ?o }"}
    with pytest.raises(KnowledgeError, match="a construct query cannot select"):
        load_knowledge(config, shared)
