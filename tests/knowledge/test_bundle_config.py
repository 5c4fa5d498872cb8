"""A bundle's [knowledge] table: store, files, reasoning, mapping; CONSTRUCT-selected facts."""

from __future__ import annotations

from pathlib import Path

import pytest

from knowledge import KnowledgeError, load_knowledge

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
