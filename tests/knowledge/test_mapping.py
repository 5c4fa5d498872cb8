"""From RDF to logic facts: the bundle's mapping, atoms that map back exactly, literal values,
confidences, the hops radius, provenance; bad mappings and atoms."""

from __future__ import annotations

import dataclasses
import json
import random
import tomllib
from collections import deque
from pathlib import Path

import pyoxigraph as ox
import pytest

from knowledge import (
    AtomTable,
    KnowledgeError,
    KnowledgeGraph,
    KnowledgeMapping,
    PredicateMap,
    String,
    rdfs_closure,
)

EX = "http://example.org/clinic#"
SNOMED = "http://snomed.info/id/"
XSD = "http://www.w3.org/2001/XMLSchema#"
PREFIXES = f"""@prefix ex: <{EX}> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <{XSD}> .
"""
BUNDLE_TOML = f"""
[knowledge]
default_prefix = "ex"
hops = 1
confidence = "ex:confidence"

[knowledge.prefixes]
ex = "{EX}"
snomed = "{SNOMED}"

[knowledge.predicates]
has_finding = "ex:hasFinding"
smoker = {{ class = "ex:Smoker" }}
age = {{ property = "ex:age" }}
code = {{ property = "ex:code", arity = 2 }}
"""


def bundle_mapping(**changes: object) -> KnowledgeMapping:
    config = tomllib.loads(BUNDLE_TOML)["knowledge"]
    return KnowledgeMapping.from_dict({**config, **changes})


def ex(local: str) -> ox.NamedNode:
    return ox.NamedNode(EX + local)


# --------------------------------------------------------------------------- the mapping


def test_a_bundle_table_maps_properties_to_arity_2_and_classes_to_arity_1() -> None:
    mapping = bundle_mapping()
    assert mapping.arities() == {"has_finding": 2, "smoker": 1, "age": 2, "code": 2}
    assert set(mapping.predicates) == {
        PredicateMap("has_finding", EX + "hasFinding", "property"),
        PredicateMap("smoker", EX + "Smoker", "class"),
        PredicateMap("age", EX + "age", "property"),
        PredicateMap("code", EX + "code", "property"),
    }
    assert (mapping.hops, mapping.confidence) == (1, EX + "confidence")
    assert mapping.table.prefixes == {"ex": EX, "snomed": SNOMED}


def test_mapped_triples_become_facts_with_their_triple_and_graph(kg: KnowledgeGraph) -> None:
    kg.load_string(PREFIXES + f"""
        ex:Smoker rdfs:subClassOf ex:RiskGroup .
        ex:ann a ex:Smoker ; ex:hasFinding ex:f1 ; ex:age 52 ; ex:code <{SNOMED}254837009> ;
            ex:unmapped "ignored" .""", source="case")
    rdfs_closure(kg)
    mapping = KnowledgeMapping.from_dict({
        **tomllib.loads(BUNDLE_TOML)["knowledge"],
        "predicates": {**tomllib.loads(BUNDLE_TOML)["knowledge"]["predicates"],
                       "risk": {"class": "ex:RiskGroup"}}})
    facts = {(f.predicate, f.args): f for f in mapping.facts(kg, ["ann"], hops=1)}
    assert set(facts) == {("smoker", ("ann",)), ("risk", ("ann",)),
                          ("has_finding", ("ann", "f1")), ("age", ("ann", 52)),
                          ("code", ("ann", "snomed:254837009"))}
    age = facts["age", ("ann", 52)]
    assert age.triple == (f"<{EX}ann>", f"<{EX}age>", f'"52"^^<{XSD}integer>')
    assert (age.graph, age.inferred, age.probability) == ("urn:nesy:source:case", False, None)
    risk = facts["risk", ("ann",)]
    assert risk.inferred and risk.triple[2] == f"<{EX}RiskGroup>"
    assert json.loads(json.dumps(age.to_dict())) == {
        "predicate": "age", "args": ["ann", 52], "probability": None,
        "triple": list(age.triple), "graph": "urn:nesy:source:case", "inferred": False}


def test_one_property_may_feed_two_predicates() -> None:
    kg = KnowledgeGraph()
    kg.load_string(PREFIXES + "ex:ann ex:hasFinding ex:f1 .")
    mapping = KnowledgeMapping.from_dict({"prefixes": {"ex": EX}, "default_prefix": "ex",
                                          "predicates": {"finding": "ex:hasFinding",
                                                         "has_finding": "ex:hasFinding"}})
    assert sorted(f.predicate for f in mapping.facts(kg, ["ann"])) == ["finding", "has_finding"]


# --------------------------------------------------------------------------------- atoms

TABLE = AtomTable({"ex": EX, "snomed": SNOMED, "sub": EX + "sub/",
                   "schema": "https://schema.org/"}, "ex")


@pytest.mark.parametrize(("term", "atom"), [
    (ox.NamedNode(EX + "ann"), "ann"),
    (ox.NamedNode(EX + "f1"), "f1"),
    (ox.NamedNode(EX + "Ann_Smith"), "Ann_Smith"),
    (ox.NamedNode(EX + "été-2024.v1"), "été-2024.v1"),
    (ox.NamedNode(EX + "a%20b"), "a%20b"),
    (ox.NamedNode(EX + "x:y"), "ex:x:y"),  # a colon would read as a prefix
    (ox.NamedNode(EX + "_private"), "ex:_private"),  # "_:" would read as a blank node
    (ox.NamedNode(EX + "sub/leaf"), "sub/leaf"),  # the default namespace first
    (ox.NamedNode(SNOMED + "254837009"), "snomed:254837009"),
    (ox.NamedNode("https://schema.org/Person"), "schema:Person"),
    (ox.NamedNode("http://other.org/thing#x"), "<http://other.org/thing#x>"),
    (ox.NamedNode("urn:isbn:0451450523"), "<urn:isbn:0451450523>"),
    (ox.NamedNode(EX), f"<{EX}>"),  # the namespace itself
    (ox.NamedNode("http://example.org/clinic"), "<http://example.org/clinic>"),
    (ox.BlankNode("b0"), "_:b0"),
])
def test_iris_become_readable_atoms_and_map_back_exactly(term: ox.NamedNode | ox.BlankNode,
                                                         atom: str) -> None:
    assert TABLE.atom(term) == atom
    assert TABLE.iri(atom) == term


ODD = "abcXYZ019-._~!$&'()*+,;=:@/?#%éß中"


@pytest.mark.parametrize("seed", range(5))
def test_random_iris_round_trip_through_atoms(seed: int) -> None:
    rng = random.Random(seed)
    namespaces = [EX, SNOMED, EX + "sub/", "https://schema.org/", "http://other.org/",
                  "urn:x-local:"]
    tables = [TABLE, AtomTable({"ex": EX}), AtomTable({}), AtomTable({"a": "http://a.org/",
                                                                      "b": "http://a.org/b"}, "a")]
    for _ in range(300):
        local = "".join(rng.choice(ODD) for _ in range(rng.randint(0, 12)))
        if "%" in local:  # a % in an IRI starts a percent-escape
            local = local.replace("%", "%25")
        try:
            term: ox.NamedNode | ox.BlankNode = ox.NamedNode(rng.choice(namespaces) + local)
        except ValueError:
            continue  # not an IRI ("#" twice...): nothing to map
        if rng.random() < 0.1:
            term = ox.BlankNode()
        for table in tables:
            atom = table.atom(term)
            assert isinstance(atom, str) and table.iri(atom) == term, (term, atom)


def test_without_a_default_the_longest_namespace_names_the_atom() -> None:
    table = AtomTable({"ex": EX, "sub": EX + "sub/"})
    assert table.atom(ox.NamedNode(EX + "sub/leaf")) == "sub:leaf"
    assert table.atom(ox.NamedNode(EX + "leaf")) == "ex:leaf"
    assert table.iri("sub:leaf") == ox.NamedNode(EX + "sub/leaf")


@pytest.mark.parametrize(("atom", "message"), [
    ("foo:ann", "unknown prefix 'foo'"),
    ("<not an iri>", "does not stand for a valid IRI"),
    ("has space", "does not stand for a valid IRI"),
    ("_:", "does not stand for a valid IRI"),
])
def test_an_atom_that_names_no_iri_is_a_knowledge_error(atom: str, message: str) -> None:
    with pytest.raises(KnowledgeError, match=message) as caught:
        TABLE.iri(atom)
    assert repr(atom) in str(caught.value)


def test_an_atom_needs_a_default_prefix_to_be_a_local_name() -> None:
    with pytest.raises(KnowledgeError, match="'ann' names no IRI: there is no default prefix"):
        AtomTable({"ex": EX}).iri("ann")


@pytest.mark.parametrize("term", [
    ox.Literal("ann"),
    ox.Triple(ex("ann"), ex("hasFinding"), ex("f1")),
])
def test_a_term_that_is_no_iri_has_no_atom(term: ox.Literal | ox.Triple) -> None:
    with pytest.raises(KnowledgeError, match="not an IRI or a blank node"):
        TABLE.atom(term)  # type: ignore[arg-type]


def test_a_triple_term_is_no_logic_value() -> None:
    with pytest.raises(KnowledgeError, match="cannot become a logic value"):
        TABLE.value(ox.Triple(ex("ann"), ex("hasFinding"), ex("f1")))


# ------------------------------------------------------------------------ literal values


@pytest.mark.parametrize(("literal", "value"), [
    ('"52"^^xsd:integer', 52),
    ("52", 52),
    ('"-3"^^xsd:int', -3),
    ('"0042"^^xsd:long', 42),
    ('"7"^^xsd:nonNegativeInteger', 7),
    ('"2.5"^^xsd:decimal', 2.5),
    ("2.50", 2.5),
    ('"1e3"^^xsd:double', 1000.0),
    ('"0.25"^^xsd:float', 0.25),
    ('"INF"^^xsd:double', String("INF")),
    ("true", "true"),
    ('"1"^^xsd:boolean', "true"),
    ('"0"^^xsd:boolean', "false"),
    ('"Ann"', String("Ann")),
    ('"Ann"^^xsd:string', String("Ann")),
    ('"Ann"@en', String("Ann")),
    ('"2024-01-31"^^xsd:date', String("2024-01-31")),
    ('"abc"^^xsd:integer', String("abc")),  # ill-typed: its text
])
def test_literals_become_values_by_datatype(kg: KnowledgeGraph, literal: str,
                                            value: object) -> None:
    kg.load_string(PREFIXES + f"ex:ann ex:value {literal} .")
    mapping = KnowledgeMapping.from_dict({"prefixes": {"ex": EX}, "default_prefix": "ex",
                                          "predicates": {"value": "ex:value"}})
    [fact] = mapping.facts(kg, ["ann"])
    assert fact.args == ("ann", value)
    assert type(fact.args[1]) is type(value)


# ---------------------------------------------------------------------------- confidence

REIFIED = PREFIXES + """
ex:ann ex:hasFinding ex:f3 .
[] a rdf:Statement ; rdf:subject ex:ann ; rdf:predicate ex:hasFinding ; rdf:object ex:f2 ;
   ex:confidence 0.3 .
[] a rdf:Statement ; rdf:subject ex:ann ; rdf:predicate ex:hasFinding ; rdf:object ex:f5 ;
   ex:confidence 0.6 .
[] a rdf:Statement ; rdf:subject ex:ann ; rdf:predicate ex:hasFinding ; rdf:object ex:f4 ;
   ex:source "hearsay" .
"""
ANNOTATED = PREFIXES + """
ex:ann ex:hasFinding ex:f1 {| ex:confidence 0.8 |} .
ex:ann ex:hasFinding ex:f6 {| ex:source "lab" |} .
"""


def findings(kg: KnowledgeGraph, mapping: KnowledgeMapping) -> dict[str, float | None]:
    return {str(f.args[1]): f.probability for f in mapping.facts(kg, ["ann"], hops=1)}


def test_a_reified_statement_with_a_confidence_is_a_probabilistic_fact(
        kg: KnowledgeGraph) -> None:
    kg.load_string(REIFIED)
    # f4 is reified without a confidence: reification asserts nothing
    assert findings(kg, bundle_mapping()) == {"f2": 0.3, "f3": None, "f5": 0.6}


def test_an_annotated_triple_is_a_probabilistic_fact(kg: KnowledgeGraph, store: str) -> None:
    if store == "memory":
        with pytest.raises(KnowledgeError, match=r"RDF 1\.2 triple terms need the oxigraph"):
            kg.load_string(ANNOTATED)
        assert len(kg) == 0
        return
    kg.load_string(ANNOTATED)
    kg.load_string(REIFIED)
    assert findings(kg, bundle_mapping()) == {"f1": 0.8, "f2": 0.3, "f3": None, "f5": 0.6,
                                              "f6": None}


def test_without_a_confidence_property_annotations_are_plain_facts() -> None:
    kg = KnowledgeGraph()
    kg.load_string(ANNOTATED)
    kg.load_string(REIFIED)
    assert findings(kg, bundle_mapping(confidence=None)) == {"f1": None, "f3": None,
                                                             "f6": None}


@pytest.mark.parametrize(("confidence", "message"), [
    ("1.5", "is 1.5, outside"),
    ("-0.1", "outside"),
    ('"high"', "is not a number"),
])
def test_a_confidence_outside_0_1_is_a_knowledge_error(confidence: str, message: str) -> None:
    kg = KnowledgeGraph()
    kg.load_string(PREFIXES + f"ex:ann ex:hasFinding ex:f1 {{| ex:confidence {confidence} |}} .")
    with pytest.raises(KnowledgeError, match=f"confidence of <{EX}ann> .*{message}"):
        bundle_mapping().facts(kg, ["ann"])


def test_a_mapped_value_that_is_a_triple_term_is_a_knowledge_error() -> None:
    kg = KnowledgeGraph()
    kg.load_string(PREFIXES + "ex:ann ex:hasFinding <<( ex:a ex:b ex:c )>> .")
    with pytest.raises(KnowledgeError, match="cannot become a logic value"):
        bundle_mapping().facts(kg, ["ann"])


# ------------------------------------------------------------------------------ hops

TREE_MAPPING = KnowledgeMapping.from_dict({
    "prefixes": {"ex": EX}, "default_prefix": "ex",
    "predicates": {"node": {"class": "ex:Node"}, "child": "ex:child", "weight": "ex:weight"}})


def tree(seed: int, prefix: str = "n") -> tuple[str, dict[str, list[str]]]:
    """A random tree (with a few back links) as Turtle, and its mapped links."""
    rng = random.Random(seed)
    links: dict[str, list[str]] = {f"{prefix}0": []}
    lines = []
    for i in range(1, rng.randint(15, 40)):
        parent = rng.choice(sorted(links))
        links[parent].append(f"{prefix}{i}")
        links[f"{prefix}{i}"] = []
    for node in sorted(links):
        if rng.random() < 0.1:  # a link back up: a cycle
            links[node].append(f"{prefix}0")
        lines.append(f"ex:{node} a ex:Node ; ex:weight {rng.randint(0, 9)} ; "
                     f"ex:seeAlso ex:{prefix}0 .")  # not mapped: never followed
        lines += [f"ex:{node} ex:child ex:{child} ." for child in links[node]]
    return PREFIXES + "\n".join(lines), links


def within(links: dict[str, list[str]], start: list[str], hops: int) -> set[str]:
    distance = dict.fromkeys(start, 0)
    queue = deque(start)
    while queue:
        node = queue.popleft()
        for child in links[node]:
            if child not in distance:
                distance[child] = distance[node] + 1
                queue.append(child)
    return {node for node, d in distance.items() if d <= hops}


@pytest.mark.parametrize("seed", range(3))
def test_facts_reach_exactly_hops_links_from_the_entities(kg: KnowledgeGraph, seed: int) -> None:
    turtle, links = tree(seed)
    kg.load_string(turtle)
    starts = [["n0"], ["n0", sorted(links)[-1]]]
    for start in starts:
        for hops in (0, 1, 2, 3):
            ball = within(links, start, hops)
            facts = TREE_MAPPING.facts(kg, start, hops=hops)
            got = {(f.predicate, f.args[:1] if f.predicate == "node" else f.args[:2])
                   for f in facts if f.predicate != "weight"}
            expected = {("node", (n,)) for n in ball} | {
                ("child", (n, c)) for n in ball for c in links[n] if c in ball}
            assert got == expected, (start, hops)
            assert {f.args[0] for f in facts if f.predicate == "weight"} == ball
            assert len(facts) == len({(f.predicate, f.args) for f in facts})  # no repeats


def test_a_big_graph_gives_only_the_facts_of_the_case(kg: KnowledgeGraph, store: str) -> None:
    turtle, links = tree(7, prefix="case")
    others = 300 if store in ("memory", "remote") else 3000
    noise = "\n".join(f"ex:other{i} a ex:Node ; ex:weight {i % 10} ; ex:child ex:other{i + 1} ."
                      for i in range(others))
    kg.load_string(turtle, source="case")
    kg.load_string(PREFIXES + noise, source="noise")
    facts = TREE_MAPPING.facts(kg, ["case0"], hops=2)
    assert {f.graph for f in facts} == {"urn:nesy:source:case"}
    assert {f.args[0] for f in facts} == within(links, ["case0"], 2)


def test_the_mapping_hops_is_the_default_radius() -> None:
    turtle, links = tree(1)
    kg = KnowledgeGraph()
    kg.load_string(turtle)
    one = KnowledgeMapping(TREE_MAPPING.table, TREE_MAPPING.predicates, hops=1)
    assert {f.args[0] for f in one.facts(kg, ["n0"])} == within(links, ["n0"], 1)


def test_entities_may_be_iris_or_prefixed_atoms() -> None:
    kg = KnowledgeGraph()
    kg.load_string(PREFIXES + "ex:ann a ex:Node .")
    for entity in ("ann", "ex:ann", f"<{EX}ann>", ex("ann")):
        assert [f.args for f in TREE_MAPPING.facts(kg, [entity])] == [("ann",)]


# ------------------------------------------------------------------------ bad mappings


def test_check_arities_accepts_the_mapped_arities() -> None:
    bundle_mapping().check_arities({"has_finding": [2], "smoker": [1], "other": [3]})


@pytest.mark.parametrize(("used", "message"), [
    ({"has_finding": [3]}, "has_finding is mapped to arity 2 but the rules use has_finding/3"),
    ({"smoker": [1, 2]}, "smoker is mapped to arity 1 but the rules use smoker/2"),
])
def test_a_rule_using_a_mapped_predicate_with_another_arity_fails(
        used: dict[str, list[int]], message: str) -> None:
    with pytest.raises(KnowledgeError, match=message):
        bundle_mapping().check_arities(used)


def test_a_predicate_mapped_with_two_arities_is_a_knowledge_error() -> None:
    table = AtomTable({"ex": EX}, "ex")
    with pytest.raises(KnowledgeError, match="predicate risk is mapped with arity 2 and 1"):
        KnowledgeMapping(table, (PredicateMap("risk", EX + "risk", "property"),
                                 PredicateMap("risk", EX + "Risk", "class")))



def test_a_mapping_copied_with_replace_gives_each_fact_once() -> None:
    kg = KnowledgeGraph()
    kg.load_string(PREFIXES + "ex:ann a ex:Smoker ; ex:age 52 .")
    mapping = bundle_mapping()
    wider = dataclasses.replace(mapping, hops=3)
    expected = [("age", ("ann", 52)), ("smoker", ("ann",))]
    for each in (wider, mapping):
        assert sorted((f.predicate, f.args) for f in each.facts(kg, ["ann"])) == expected
@pytest.mark.parametrize(("changes", "message"), [
    ({"predicates": {"age": {"property": "ex:age", "arity": 1}}},
     "age: a property maps to arity 2, not 1"),
    ({"predicates": {"risk": "foo:Risk"}}, "unknown prefix 'foo' in 'foo:Risk'"),
    ({"predicates": {"risk": {"class": "foo:Risk"}}}, "unknown prefix 'foo'"),
    ({"predicates": {"risk": "ex:has risk"}}, "'ex:has risk' does not stand for a valid IRI"),
    ({"predicates": {"Risk": "ex:risk"}}, "'Risk' is not a predicate name"),
    ({"predicates": {"risk": {"klass": "ex:Risk"}}}, "risk = .*write"),
    ({"default_prefix": "foo"}, "the default prefix 'foo' is not declared"),
    ({"confidence": "foo:confidence"}, "unknown prefix 'foo'"),
    ({"hops": -1}, "hops must be a whole number, not -1"),
    ({"hops": True}, "hops must be a whole number"),
    ({"prefixes": ["ex"]}, r"\[knowledge.prefixes\] maps names to IRIs"),
])
def test_a_bad_mapping_is_a_knowledge_error_naming_the_problem(changes: dict[str, object],
                                                                message: str) -> None:
    with pytest.raises(KnowledgeError, match=message):
        bundle_mapping(**changes)


def test_an_unknown_prefix_in_an_entity_is_a_knowledge_error(data: Path) -> None:
    kg = KnowledgeGraph()
    kg.load(data / "formats")
    with pytest.raises(KnowledgeError, match="unknown prefix 'foo' in 'foo:ann'"):
        bundle_mapping().facts(kg, ["foo:ann"])
    assert {f.predicate for f in bundle_mapping().facts(kg, ["ann"])} >= {"age", "smoker"}


def test_reified_links_keep_to_the_radius(kg: KnowledgeGraph) -> None:
    kg.load_string(REIFIED + "ex:f2 a ex:Finding .")
    mapping = bundle_mapping(predicates={"has_finding": "ex:hasFinding",
                                         "finding": {"class": "ex:Finding"}})
    assert mapping.facts(kg, ["ann"], hops=0) == []
    facts = {(f.predicate, f.args, f.probability) for f in mapping.facts(kg, ["ann"], hops=1)}
    assert facts == {("has_finding", ("ann", "f2"), 0.3), ("has_finding", ("ann", "f3"), None),
                     ("has_finding", ("ann", "f5"), 0.6), ("finding", ("f2",), None)}
