"""Ontology reasoning: the RDFS closure against owlrl's RDFS semantics on hand-made and
random ontologies, the INFERRED graph, the cache by content hash, owl:sameAs, OWL-RL."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import owlrl
import pyoxigraph as ox
import pytest
import rdflib

from knowledge import (
    INFERRED,
    RDFS_RULES,
    KnowledgeError,
    KnowledgeGraph,
    KnowledgeMapping,
    owl_rl_closure,
    rdfs_closure,
)
from knowledge._reasoning import _cache_file

EX = "http://example.org/onto#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
TYPE, SUBCLASS, SUBPROPERTY = RDF + "type", RDFS + "subClassOf", RDFS + "subPropertyOf"
PREFIXES = f"""@prefix ex: <{EX}> .
@prefix rdf: <{RDF}> .
@prefix rdfs: <{RDFS}> .
@prefix owl: <{OWL}> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
"""
Triple = tuple[str, str, str]


def ex(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


def triples_of(kg: KnowledgeGraph, graph: str | None = None) -> set[Triple]:
    """Every triple (N-Triples text of each term), in one graph or in all."""
    name = ox.NamedNode(graph) if graph else None
    return {(str(q.subject), str(q.predicate), str(q.object))
            for q in kg.quads(None, None, None, name)}


def _text(term: Any) -> str:
    """An rdflib term as the N-Triples text pyoxigraph gives it."""
    if isinstance(term, rdflib.URIRef):
        return str(ox.NamedNode(str(term)))
    if isinstance(term, rdflib.Literal):
        if term.language:
            return str(ox.Literal(str(term), language=term.language))
        datatype = ox.NamedNode(str(term.datatype)) if term.datatype else None
        return str(ox.Literal(str(term), datatype=datatype))
    return f"_:{term}"


def owlrl_rdfs(turtle: str) -> set[Triple]:
    """owlrl's RDFS closure of the same document."""
    graph = rdflib.Graph()
    graph.parse(data=turtle, format="turtle")
    owlrl.DeductiveClosure(owlrl.RDFS_Semantics).expand(graph)
    return {(_text(s), _text(p), _text(o)) for s, p, o in graph}


def own_part(triples: set[Triple], asserted: set[Triple]) -> set[Triple]:
    """The triples between the ontology's own IRIs that the closure is about.

    owlrl also derives axiomatic triples (``rdfs:Resource``, ``rdf:Property``, container
    membership, ``rdfs:Class``, typed literals, reflexive subclass/subproperty): those
    mention terms that are not the graph's own, or are reflexive, and are left out.
    """
    own = {term for triple in asserted for term in triple
           if term.startswith(f"<{EX}") or term.startswith('"')}
    properties = {p for _, p, _ in asserted if p.startswith(f"<{EX}")}
    kept = set()
    for s, p, o in triples:
        if not s.startswith(f"<{EX}") or o not in own:
            continue
        schema = p in (f"<{SUBCLASS}>", f"<{SUBPROPERTY}>") and s != o and o.startswith("<")
        typing = p == f"<{TYPE}>" and o.startswith("<")
        if schema or typing or p in properties:
            kept.add((s, p, o))
    return kept


def assert_agrees_with_owlrl(kg: KnowledgeGraph, turtle: str) -> set[Triple]:
    """Load, close, compare with owlrl; the triples the closure inferred."""
    kg.load_string(PREFIXES + turtle, source="ontology")
    asserted = triples_of(kg)
    added = rdfs_closure(kg)
    ours = triples_of(kg)
    inferred = triples_of(kg, INFERRED)
    assert added == len(inferred) == len(ours - asserted) == len(kg) - len(asserted)
    expected = own_part(owlrl_rdfs(PREFIXES + turtle), asserted)
    assert own_part(ours, asserted) == expected
    return inferred


# ----------------------------------------------------------------- each rule, by hand


@pytest.mark.parametrize(("turtle", "inferred"), [
    pytest.param("ex:a rdfs:subPropertyOf ex:b . ex:b rdfs:subPropertyOf ex:c .",
                 {("a", SUBPROPERTY, "c")}, id="subPropertyOf-transitive"),
    pytest.param("ex:A rdfs:subClassOf ex:B . ex:B rdfs:subClassOf ex:C . "
                 "ex:C rdfs:subClassOf ex:D .",
                 {("A", SUBCLASS, "C"), ("A", SUBCLASS, "D"), ("B", SUBCLASS, "D")},
                 id="subClassOf-transitive"),
    pytest.param("ex:A rdfs:subClassOf ex:B . ex:x a ex:A .", {("x", TYPE, "B")},
                 id="type-from-subclass"),
    pytest.param("ex:p rdfs:subPropertyOf ex:q . ex:x ex:p ex:y .", {("x", EX + "q", "y")},
                 id="super-property-value"),
    pytest.param("ex:p rdfs:domain ex:D . ex:x ex:p ex:y .", {("x", TYPE, "D")}, id="domain"),
    pytest.param('ex:p rdfs:range ex:R . ex:x ex:p ex:y . ex:x ex:p "text" .',
                 {("y", TYPE, "R")}, id="range-not-of-literals"),
    pytest.param("ex:p rdfs:subPropertyOf ex:q . ex:q rdfs:domain ex:D . "
                 "ex:D rdfs:subClassOf ex:E . ex:x ex:p ex:y .",
                 {("x", EX + "q", "y"), ("x", TYPE, "D"), ("x", TYPE, "E")},
                 id="rules-feed-each-other"),
])
def test_each_rule_adds_its_consequences(kg: KnowledgeGraph, turtle: str,
                                         inferred: set[tuple[str, str, str]]) -> None:
    expected = {(f"<{EX}{s}>", f"<{p if '#' in p else EX + p}>", f"<{EX}{o}>")
                for s, p, o in inferred}
    assert assert_agrees_with_owlrl(kg, turtle) == expected


def test_the_rules_are_named() -> None:
    names = " ".join(name for name, _ in RDFS_RULES)
    for rule in ("rdfs2", "rdfs3", "rdfs5", "rdfs7", "rdfs9", "rdfs11"):
        assert rule in names


# ------------------------------------------------------- whole ontologies against owlrl

HAND_MADE = {
    "deep-class-chain": """
        ex:C1 rdfs:subClassOf ex:C2 . ex:C2 rdfs:subClassOf ex:C3 .
        ex:C3 rdfs:subClassOf ex:C4 . ex:C4 rdfs:subClassOf ex:C5 .
        ex:i1 a ex:C1 . ex:i3 a ex:C3 .""",
    "diamond-and-cycle": """
        ex:Bat rdfs:subClassOf ex:Mammal , ex:Flyer .
        ex:Mammal rdfs:subClassOf ex:Animal . ex:Flyer rdfs:subClassOf ex:Animal .
        ex:Animal rdfs:subClassOf ex:Being . ex:Being rdfs:subClassOf ex:Animal .
        ex:bruce a ex:Bat .""",
    "property-tree": """
        ex:hasMother rdfs:subPropertyOf ex:hasParent .
        ex:hasParent rdfs:subPropertyOf ex:hasAncestor .
        ex:hasAncestor rdfs:domain ex:Person ; rdfs:range ex:Person .
        ex:hasParent rdfs:range ex:Parent .
        ex:age rdfs:domain ex:Person .
        ex:ann ex:hasMother ex:beth . ex:beth ex:hasParent ex:cleo . ex:dan ex:age 7 .""",
    "clinic": """
        ex:Carcinoma rdfs:subClassOf ex:Malignancy . ex:Malignancy rdfs:subClassOf ex:Finding .
        ex:Smoker rdfs:subClassOf ex:RiskGroup . ex:RiskGroup rdfs:subClassOf ex:Patient .
        ex:hasBiopsyFinding rdfs:subPropertyOf ex:hasFinding .
        ex:hasFinding rdfs:domain ex:Patient ; rdfs:range ex:Finding .
        ex:ann a ex:Smoker ; ex:hasBiopsyFinding ex:f1 ; ex:age 52 ; ex:name "Ann" .
        ex:f1 a ex:Carcinoma . ex:bob ex:hasFinding ex:f2 .""",
}


@pytest.mark.parametrize("name", sorted(HAND_MADE))
def test_hand_made_ontologies_agree_with_owlrl(kg: KnowledgeGraph, name: str) -> None:
    inferred = assert_agrees_with_owlrl(kg, HAND_MADE[name])
    assert inferred  # every one of them has consequences


def random_ontology(seed: int) -> str:
    """A class tree, a property tree with domains and ranges, typed instances with values."""
    rng = random.Random(seed)
    classes = [f"ex:C{i}" for i in range(rng.randint(4, 12))]
    properties = [f"ex:p{i}" for i in range(rng.randint(2, 7))]
    instances = [f"ex:i{i}" for i in range(rng.randint(3, 12))]
    lines = []
    for i, cls in enumerate(classes[1:], start=1):
        lines.append(f"{cls} rdfs:subClassOf {rng.choice(classes[:i])} .")
        if rng.random() < 0.15:  # a second parent: no longer a tree
            lines.append(f"{cls} rdfs:subClassOf {rng.choice(classes[:i])} .")
    for i, prop in enumerate(properties):
        if i and rng.random() < 0.7:
            lines.append(f"{prop} rdfs:subPropertyOf {rng.choice(properties[:i])} .")
        if rng.random() < 0.5:
            lines.append(f"{prop} rdfs:domain {rng.choice(classes)} .")
        if rng.random() < 0.5:
            lines.append(f"{prop} rdfs:range {rng.choice(classes)} .")
    for instance in instances:
        for cls in rng.sample(classes, rng.randint(0, 2)):
            lines.append(f"{instance} a {cls} .")
        for _ in range(rng.randint(0, 3)):
            value = rng.choice([*instances, str(rng.randint(0, 99))])
            lines.append(f"{instance} {rng.choice(properties)} {value} .")
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(8))
def test_random_ontologies_agree_with_owlrl(kg: KnowledgeGraph, seed: int) -> None:
    assert_agrees_with_owlrl(kg, random_ontology(seed))


# ------------------------------------------------------------------ the INFERRED graph


def test_inferred_triples_go_to_their_own_graph(kg: KnowledgeGraph, data: Path) -> None:
    kg.load(data / "formats")
    sources = kg.sources()
    asserted = triples_of(kg)
    added = rdfs_closure(kg)
    assert kg.sources() == {**sources, INFERRED: added}
    assert not triples_of(kg, INFERRED) & asserted
    assert rdfs_closure(kg) == 0  # a fixpoint: nothing more to add


# ------------------------------------------------------------------------------ cache


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_the_closure_is_cached_by_content_hash(store: str, tmp_path: Path, data: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    first = KnowledgeGraph(store)
    first.load(data / "formats")
    added = rdfs_closure(first, cache_dir=tmp_path)
    cache = _cache_file(first, False, tmp_path)
    assert cache is not None and cache.is_file() and added > 0

    second = KnowledgeGraph(store)
    second.load(data / "formats")
    assert second.content_hash == first.content_hash

    def no_update(update: str) -> None:
        raise AssertionError("the closure was computed again")

    monkeypatch.setattr(second, "update", no_update)
    assert rdfs_closure(second, cache_dir=tmp_path) == added
    assert triples_of(second) == triples_of(first)
    assert second.sources() == first.sources()
    assert second.content_hash == first.content_hash  # inferred triples are no new content


def test_the_cache_key_follows_the_content(tmp_path: Path) -> None:
    one, other = KnowledgeGraph(), KnowledgeGraph()
    one.load_string(PREFIXES + "ex:A rdfs:subClassOf ex:B . ex:x a ex:A .")
    other.load_string(PREFIXES + "ex:A rdfs:subClassOf ex:C . ex:x a ex:A .")
    rdfs_closure(one, cache_dir=tmp_path)
    assert rdfs_closure(other, cache_dir=tmp_path) == 1
    assert (f"<{EX}x>", f"<{TYPE}>", f"<{EX}C>") in triples_of(other, INFERRED)
    assert len(list(tmp_path.glob("*.nq"))) == 2
    rdfs_closure(KnowledgeGraph(), same_as=True, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("*-sameas.nq"))) == 1


def test_the_cache_key_follows_where_relative_iris_resolve(tmp_path: Path) -> None:
    text = "<x> a <C> . <C> <http://www.w3.org/2000/01/rdf-schema#subClassOf> <D> ."
    graphs = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "k.ttl").write_text(text)
        kg = KnowledgeGraph()
        kg.load(tmp_path / folder / "k.ttl")
        rdfs_closure(kg, cache_dir=tmp_path / "cache")
        graphs.append(kg)
    for folder, kg in zip(("a", "b"), graphs, strict=True):
        inferred = triples_of(kg, INFERRED)
        assert len(inferred) == 1
        assert all(f"/{folder}/x>" in subject for subject, _, _ in inferred)


def test_nesy_cache_names_the_default_cache_folder(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NESY_CACHE", str(tmp_path))
    kg = KnowledgeGraph()
    kg.load_string(PREFIXES + "ex:A rdfs:subClassOf ex:B . ex:x a ex:A .")
    rdfs_closure(kg)
    cache = _cache_file(kg, False, tmp_path / "rdfs")
    assert cache is not None and cache.is_file() and cache.name.endswith("-rdfs-2.nq")


def test_a_corrupt_cache_file_is_a_knowledge_error_naming_it(tmp_path: Path) -> None:
    kg = KnowledgeGraph()
    kg.load_string(PREFIXES + "ex:A rdfs:subClassOf ex:B . ex:x a ex:A .")
    cache = _cache_file(kg, False, tmp_path)
    assert cache is not None
    cache.write_text("<urn:a> <urn:b> .\n")
    with pytest.raises(KnowledgeError, match=r"rdfs-2\.nq:1") as caught:
        rdfs_closure(kg, cache_dir=tmp_path)
    assert caught.value.file == str(cache) and caught.value.line == 1
    assert len(kg) == 2


# ---------------------------------------------------------------------------- sameAs

SAME_AS = """
ex:a owl:sameAs ex:b . ex:b owl:sameAs ex:c .
ex:a a ex:Patient ; ex:age 40 .
ex:Patient rdfs:subClassOf ex:Person .
ex:c ex:hasFinding ex:f1 .
ex:doc ex:treats ex:b .
"""


def test_same_as_is_symmetric_transitive_and_copies_statements(kg: KnowledgeGraph) -> None:
    kg.load_string(PREFIXES + SAME_AS)
    rdfs_closure(kg, same_as=True)
    triples = triples_of(kg)
    same = {(s, o) for s, p, o in triples if p == f"<{OWL}sameAs>"}
    names = [f"<{EX}{x}>" for x in "abc"]
    assert same >= {(x, y) for x in names for y in names if x != y}
    for name in names:
        assert (name, f"<{TYPE}>", f"<{EX}Patient>") in triples
        assert (name, f"<{TYPE}>", f"<{EX}Person>") in triples
        assert (name, f"<{EX}age>", '"40"^^<http://www.w3.org/2001/XMLSchema#integer>') \
            in triples
        assert (name, f"<{EX}hasFinding>", f"<{EX}f1>") in triples
        assert (f"<{EX}doc>", f"<{EX}treats>", name) in triples


def test_same_as_is_off_by_default(kg: KnowledgeGraph) -> None:
    kg.load_string(PREFIXES + SAME_AS)
    rdfs_closure(kg)
    assert (f"<{EX}b>", f"<{TYPE}>", f"<{EX}Patient>") not in triples_of(kg)


# ---------------------------------------------------------------------------- OWL-RL


@pytest.mark.parametrize("store", ["oxigraph", "memory"])
def test_owl_rl_closure_adds_owl_consequences_to_the_inferred_graph(store: str) -> None:
    kg = KnowledgeGraph(store)
    kg.load_string(PREFIXES + HAND_MADE["clinic"]
                   + "ex:hasPatient owl:inverseOf ex:hasDoctor . ex:doc ex:hasPatient ex:ann .")
    sources = kg.sources()
    added = owl_rl_closure(kg)
    assert kg.sources() == {**sources, INFERRED: added}
    inferred = triples_of(kg, INFERRED)
    assert (f"<{EX}ann>", f"<{EX}hasDoctor>", f"<{EX}doc>") in inferred
    assert (f"<{EX}f1>", f"<{TYPE}>", f"<{EX}Finding>") in inferred
    assert owl_rl_closure(kg) == 0


# ------------------------------------------------------------------ restricted closure


@pytest.mark.parametrize("seed", range(30))
def test_the_closure_restricted_to_a_mapping_gives_the_same_facts(seed: int) -> None:
    """Restricting the closure to what a mapping names changes none of the mapped facts."""
    rng = random.Random(1000 + seed)
    text = PREFIXES + random_ontology(seed)
    classes = sorted({word for word in text.split() if word.startswith("ex:C")})
    properties = sorted({word for word in text.split() if word.startswith("ex:p")})
    chosen_classes = rng.sample(classes, min(len(classes), rng.randint(1, 3)))
    chosen_properties = rng.sample(properties, min(len(properties), rng.randint(1, 3)))
    predicates: dict[str, Any] = {f"c{i}": {"class": c} for i, c in enumerate(chosen_classes)}
    predicates.update({f"p{i}": p for i, p in enumerate(chosen_properties)})
    mapping = KnowledgeMapping.from_dict({"prefixes": {"ex": EX}, "default_prefix": "ex",
                                          "predicates": predicates})
    full, restricted = KnowledgeGraph(), KnowledgeGraph()
    full.load_string(text)
    restricted.load_string(text)
    rdfs_closure(full)
    rdfs_closure(restricted, classes=mapping.classes(), properties=mapping.properties())
    entities = sorted({word[3:] for word in text.split() if word.startswith("ex:i")})

    def facts(kg: KnowledgeGraph) -> set[tuple[str, tuple[Any, ...]]]:
        return {(f.predicate, f.args) for f in mapping.facts(kg, entities, hops=0)}

    assert facts(restricted) == facts(full)
    assert len(restricted) <= len(full)
