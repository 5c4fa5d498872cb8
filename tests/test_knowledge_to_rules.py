"""From the knowledge graph to the rules: mapped facts reach a program as external facts."""

from __future__ import annotations

import pytest

from knowledge import KnowledgeGraph, KnowledgeMapping, rdfs_closure
from symbolic import Program, Term, format_term

TURTLE = """@prefix ex: <http://example.org/clinic#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
ex:Carcinoma rdfs:subClassOf ex:SuspiciousFinding .
ex:Calcification rdfs:subClassOf ex:SuspiciousFinding .
ex:ann ex:hasFinding ex:f1 {| ex:confidence 0.7 |} ; ex:hasFinding ex:f2 ; ex:age 52 .
ex:f1 a ex:Carcinoma . ex:f2 a ex:Calcification .
ex:bob ex:hasFinding ex:f3 ; ex:age 35 . ex:f3 a ex:Carcinoma .
"""
MAPPING = {"prefixes": {"ex": "http://example.org/clinic#"}, "default_prefix": "ex",
           "confidence": "ex:confidence", "hops": 1,
           "predicates": {"has_finding": "ex:hasFinding", "age": "ex:age",
                          "suspicious": {"class": "ex:SuspiciousFinding"}}}
RULES = """
0.9::biopsy(P) :- has_finding(P, F), suspicious(F), age(P, A), A > 40.
"""


@pytest.mark.parametrize(("patient", "expected"), [
    # one rule instance per finding (ProbLog: a choice per ground instance), f1 with
    # confidence 0.7, f2 certain: 1 - (1 - 0.9 * 0.7) * (1 - 0.9)
    ("ann", 0.963),
    ("bob", 0.0),  # 35 is not over 40
])
def test_graph_facts_decide_with_the_rules(patient: str, expected: float) -> None:
    kg = KnowledgeGraph()
    kg.load_string(TURTLE)
    mapping = KnowledgeMapping.from_dict(MAPPING)
    rdfs_closure(kg, classes=mapping.classes(), properties=mapping.properties())
    facts = {Term(f.predicate, *f.args): f.probability for f in mapping.facts(kg, [patient])}
    program = Program.from_string(RULES, external=mapping.arities())
    assert program.probability(f"biopsy({patient})", facts=facts) == pytest.approx(expected)
    if facts:
        explanation = program.explain(f"biopsy({patient})", facts=facts)
        leaves = {leaf.atom for proof in explanation.proofs for leaf in proof.leaves()}
        assert leaves <= {format_term(t) for t in facts} | {f"biopsy({patient})"}


def test_uncertain_graph_facts_are_probabilistic() -> None:
    kg = KnowledgeGraph()
    kg.load_string(TURTLE.replace("ex:hasFinding ex:f2 ;", ""))
    mapping = KnowledgeMapping.from_dict(MAPPING)
    rdfs_closure(kg)
    facts = {Term(f.predicate, *f.args): f.probability for f in mapping.facts(kg, ["ann"])}
    program = Program.from_string(RULES, external=mapping.arities())
    assert program.probability("biopsy(ann)", facts=facts) == pytest.approx(0.9 * 0.7)
